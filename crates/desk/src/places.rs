//! Places for the forms: the states, provinces and regions (first-level ISO 3166-2 subdivisions)
//! of a country, with their names in the app's two languages, from `program::Subdivision`.

use program::{Country, Lang, Region, Subdivision};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{DeskError, Result};

/// A state, province or region a picker offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SubdivisionChoice {
    /// ISO 3166-2 code ("US-TX").
    pub code: String,
    pub en: String,
    pub es: String,
}

/// The countries the program serves (ISO 3166-1 codes, every region's), in code order: what a
/// form's country picker offers, named by the window in the user's language.
pub fn countries() -> Vec<String> {
    let mut codes: Vec<String> = Region::ALL
        .iter()
        .flat_map(|r| r.countries().iter().map(|c| c.to_string()))
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// The subdivisions of `country` (an ISO 3166-1 code), in code order; empty for a country that
/// has none. A code that is no country the program serves is an invalid input.
pub fn subdivisions(country: &str) -> Result<Vec<SubdivisionChoice>> {
    let country = Country::parse(country).map_err(|e| DeskError::InvalidInput {
        field: "country",
        reason: e.to_string(),
    })?;
    Ok(Subdivision::of(country)
        .map(|s| SubdivisionChoice {
            code: s.code().to_string(),
            en: s.name(Lang::En).to_string(),
            es: s.name(Lang::Es).to_string(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_picker_offers_every_country_the_program_serves_once() {
        let all = countries();
        for region in Region::ALL {
            for c in region.countries() {
                assert_eq!(all.iter().filter(|a| a == c).count(), 1, "{c}");
                assert!(Country::parse(c).is_ok(), "{c}");
            }
        }
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        assert!(all.contains(&"MX".to_string()) && all.contains(&"ES".to_string()));
    }

    #[test]
    fn a_country_lists_its_states_with_both_names() {
        let spain = subdivisions("es").unwrap();
        assert_eq!(spain.len(), 19);
        let catalonia = spain.iter().find(|s| s.code == "ES-CT").unwrap();
        assert_eq!(
            (catalonia.en.as_str(), catalonia.es.as_str()),
            ("Catalonia", "Cataluña")
        );
        assert!(subdivisions("PR").unwrap().is_empty());
        assert!(matches!(
            subdivisions("XX"),
            Err(DeskError::InvalidInput {
                field: "country",
                ..
            })
        ));
    }
}
