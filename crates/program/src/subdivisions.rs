//! First-level subdivisions of countries (ISO 3166-2): the states, provinces, comunidades
//! autónomas, regions and departamentos a Regional partner's exclusive territory is made of, and
//! that a customer or a deal is placed in where its country has them.
//!
//! The list is `data/subdivisions.tsv`, written from Debian's `iso-codes` by
//! `tools/geo/subdivisions.py`. The parts of a country that have an ISO 3166-1 code of their own
//! (Puerto Rico, Guam, France's overseas regions...) are not in it: they are entered as countries.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::lang::Lang;
use crate::regions::{Country, CountryError};

/// Every first-level subdivision, sorted by code, as `(code, English name, Spanish name)`.
static TABLE: LazyLock<Vec<(&'static str, &'static str, &'static str)>> = LazyLock::new(|| {
    include_str!("../data/subdivisions.tsv")
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            Some((fields.next()?, fields.next()?, fields.next()?))
        })
        .collect()
});

static BY_CODE: LazyLock<HashMap<&'static str, u16>> = LazyLock::new(|| {
    TABLE
        .iter()
        .enumerate()
        .map(|(i, (code, _, _))| {
            (
                *code,
                u16::try_from(i).expect("fewer than 65,536 subdivisions"),
            )
        })
        .collect()
});

/// A first-level subdivision of a country the program serves, by ISO 3166-2 code ("US-TX",
/// "ES-AN", "MX-JAL"). It orders as its code does.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(try_from = "String", into = "String")]
#[ts(type = "string")]
pub struct Subdivision(u16);

/// One of the codes of the subdivisions of the countries the program serves.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Subdivision {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Subdivision".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut codes: Vec<&str> = crate::regions::Region::ALL
            .iter()
            .flat_map(|r| r.countries())
            .filter_map(|c| Country::parse(c).ok())
            .flat_map(Subdivision::of)
            .map(Subdivision::code)
            .collect();
        codes.sort_unstable();
        schemars::json_schema!({
            "type": "string",
            "enum": codes,
            "description": "A first-level subdivision (state, province or region) of a country \
                the program serves, by ISO 3166-2 code."
        })
    }
}

/// Why a code is not a [`Subdivision`] of a country, or a place lacks the one it needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubdivisionError {
    #[error("{0:?} is not a state, province or region code (an ISO 3166-2 code such as US-TX, ES-AN or MX-JAL)")]
    Unknown(String),
    #[error(transparent)]
    Country(#[from] CountryError),
    #[error("{subdivision} is not in {country}")]
    NotIn {
        subdivision: Subdivision,
        country: Country,
    },
    #[error("{country} is divided into states, provinces or regions: say which one")]
    Missing { country: Country },
}

impl Subdivision {
    /// Reads an ISO 3166-2 first-level code of a country the program serves.
    pub fn parse(code: &str) -> Result<Subdivision, SubdivisionError> {
        let upper = code.trim().to_ascii_uppercase();
        let Some(&index) = BY_CODE.get(upper.as_str()) else {
            return Err(SubdivisionError::Unknown(code.to_string()));
        };
        Country::parse(&upper[..2])?;
        Ok(Subdivision(index))
    }

    pub fn code(self) -> &'static str {
        TABLE[usize::from(self.0)].0
    }

    /// Its name in `lang` ("Bavaria" and "Baviera", "Andalusia" and "Andalucía").
    pub fn name(self, lang: Lang) -> &'static str {
        let (_, en, es) = TABLE[usize::from(self.0)];
        match lang {
            Lang::En => en,
            Lang::Es => es,
        }
    }

    pub fn country(self) -> Country {
        Country::parse(&self.code()[..2]).expect("parse admits only served countries")
    }

    /// The first-level subdivisions of `country`, in code order; empty where it has none.
    pub fn of(country: Country) -> impl Iterator<Item = Subdivision> {
        let prefix = format!("{}-", country.code());
        let start = TABLE.partition_point(|(code, _, _)| *code < prefix.as_str());
        TABLE[start..]
            .iter()
            .take_while(move |(code, _, _)| code.starts_with(&prefix))
            .enumerate()
            .map(move |(i, _)| Subdivision(u16::try_from(start + i).expect("table fits u16")))
    }

    /// Checks the subdivision a customer or a deal in `country` names: one of the country's where
    /// it has them, none where it has none.
    pub fn check_place(
        country: Country,
        subdivision: Option<Subdivision>,
    ) -> Result<(), SubdivisionError> {
        match subdivision {
            Some(s) if s.country() != country => Err(SubdivisionError::NotIn {
                subdivision: s,
                country,
            }),
            Some(_) => Ok(()),
            None if Subdivision::of(country).next().is_some() => {
                Err(SubdivisionError::Missing { country })
            }
            None => Ok(()),
        }
    }
}

impl fmt::Display for Subdivision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Subdivision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Subdivision({})", self.code())
    }
}

impl TryFrom<String> for Subdivision {
    type Error = SubdivisionError;

    fn try_from(code: String) -> Result<Self, Self::Error> {
        Subdivision::parse(&code)
    }
}

impl From<Subdivision> for String {
    fn from(s: Subdivision) -> String {
        s.code().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn country(code: &str) -> Country {
        Country::parse(code).unwrap()
    }

    #[test]
    fn subdivisions_are_first_level_iso_3166_2_codes_of_served_countries() {
        let texas = Subdivision::parse("us-tx").unwrap();
        assert_eq!((texas.code(), texas.name(Lang::En)), ("US-TX", "Texas"));
        assert_eq!(texas.country(), country("US"));
        let andalucia = Subdivision::parse("ES-AN").unwrap();
        assert_eq!(andalucia.name(Lang::En), "Andalusia");
        assert_eq!(andalucia.name(Lang::Es), "Andalucía");
        assert_eq!(
            Subdivision::parse("MX-JAL").unwrap().country(),
            country("MX")
        );
        // A province of Spain is second level: Seville is in Andalucía.
        assert!(matches!(
            Subdivision::parse("ES-SE"),
            Err(SubdivisionError::Unknown(_))
        ));
        assert!(matches!(
            Subdivision::parse("US-XX"),
            Err(SubdivisionError::Unknown(_))
        ));
        // Japan's prefectures are real, but the program sells nothing in Japan.
        assert!(matches!(
            Subdivision::parse("JP-13"),
            Err(SubdivisionError::Country(CountryError::ServedByNone(_)))
        ));
    }

    #[test]
    fn places_with_a_code_of_their_own_are_countries_not_subdivisions() {
        for code in ["US-PR", "US-GU", "US-VI", "FR-GF", "FR-RE", "NL-AW"] {
            assert!(Subdivision::parse(code).is_err(), "{code}");
        }
        assert_eq!(
            Subdivision::of(country("US")).count(),
            51,
            "50 states and DC"
        );
        assert_eq!(Subdivision::of(country("CA")).count(), 13);
        assert_eq!(
            Subdivision::of(country("ES")).count(),
            19,
            "17 communities, 2 cities"
        );
        assert_eq!(Subdivision::of(country("MX")).count(), 32);
        assert_eq!(Subdivision::of(country("PR")).count(), 0);
    }

    #[test]
    fn a_place_names_its_subdivision_where_its_country_has_them() {
        let texas = Subdivision::parse("US-TX").ok();
        assert_eq!(Subdivision::check_place(country("US"), texas), Ok(()));
        assert_eq!(
            Subdivision::check_place(country("US"), None),
            Err(SubdivisionError::Missing {
                country: country("US")
            })
        );
        assert!(matches!(
            Subdivision::check_place(country("CA"), texas),
            Err(SubdivisionError::NotIn { .. })
        ));
        assert_eq!(Subdivision::check_place(country("PR"), None), Ok(()));
    }

    #[test]
    fn subdivisions_cross_the_wire_as_their_code() {
        let s = Subdivision::parse("CA-QC").unwrap();
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"CA-QC\"");
        assert_eq!(serde_json::from_str::<Subdivision>("\"CA-QC\"").unwrap(), s);
        assert!(serde_json::from_str::<Subdivision>("\"CA-ZZ\"").is_err());
    }
}
