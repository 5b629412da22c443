//! Regions, the countries that define them, and the brands bound to each region.
//!
//! CentroPago is sold in LATAM, RemindLedger in the USA and Canada, Voldier in the EU (Spain
//! included). A quote or deal for a customer outside the brand's region is refused.
//!
//! Every ISO 3166-1 country can be entered; one outside every region is served by no brand, and
//! says so. Decided where the program's words leave room: Puerto Rico is LATAM (the
//! Spanish-speaking Caribbean, billed in USD); Guam, the US Virgin Islands, American Samoa and the
//! Northern Mariana Islands are the USA's; Belize, Guyana and Suriname are LATAM (Central and
//! South America); the EU's outermost regions with their own codes (French Guiana, Guadeloupe,
//! Martinique, Réunion, Mayotte, Saint-Martin) and Åland are the EU's. Haiti and the
//! English-speaking Caribbean are served by no brand.

use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Region {
    /// Latin America: Mexico, Central America, the Spanish-speaking Caribbean and South America.
    Latam,
    /// The United States (with its territories outside the Caribbean and Puerto Rico) and Canada.
    UsaCan,
    /// The European Union's member states (Spain among them), with their outermost regions.
    EuEs,
}

const LATAM: &[&str] = &[
    "AR", "BO", "BR", "CL", "CO", "CR", "CU", "DO", "EC", "GT", "HN", "MX", "NI", "PA", "PE", "PR",
    "PY", "SV", "UY", "VE", "BZ", "GY", "SR",
];
const USA_CAN: &[&str] = &["US", "CA", "GU", "VI", "AS", "MP"];
const EU_ES: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "GF", "GP", "MQ", "RE", "YT",
    "MF", "AX",
];
/// Every ISO 3166-1 alpha-2 code, as Debian's `iso-codes` 4.15 lists them (the standard's 249).
const ISO_3166_1: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

impl Region {
    pub const ALL: [Region; 3] = [Region::Latam, Region::UsaCan, Region::EuEs];

    /// ISO 3166-1 alpha-2 codes of the countries that make up the region.
    pub fn countries(self) -> &'static [&'static str] {
        match self {
            Region::Latam => LATAM,
            Region::UsaCan => USA_CAN,
            Region::EuEs => EU_ES,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Region::Latam => "latam",
            Region::UsaCan => "usa_can",
            Region::EuEs => "eu_es",
        }
    }

    pub fn parse(s: &str) -> Option<Region> {
        Region::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The brand sold in this region.
    pub fn brand(self) -> Brand {
        match self {
            Region::Latam => Brand::CentroPago,
            Region::UsaCan => Brand::RemindLedger,
            Region::EuEs => Brand::Voldier,
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A country the program serves (one in a brand's region), by ISO 3166-1 alpha-2 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(try_from = "String", into = "String")]
#[ts(type = "string")]
pub struct Country([u8; 2]);

/// One of the codes of the countries the program serves.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Country {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Country".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut codes: Vec<&str> = Region::ALL
            .iter()
            .flat_map(|r| r.countries())
            .copied()
            .collect();
        codes.sort_unstable();
        schemars::json_schema!({
            "type": "string",
            "enum": codes,
            "description": "A country the program serves, by ISO 3166-1 alpha-2 code."
        })
    }
}

/// Why a code is not a [`Country`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountryError {
    #[error("{0:?} is not a country code (an ISO 3166-1 code such as MX, US or ES)")]
    NotACountry(String),
    /// A real country outside every brand's region.
    #[error("no brand of the program is sold in {0}: CentroPago serves Latin America, RemindLedger the USA and Canada, Voldier the EU")]
    ServedByNone(String),
}

impl Country {
    pub fn parse(code: &str) -> Result<Country, CountryError> {
        let upper = code.trim().to_ascii_uppercase();
        if Region::ALL
            .iter()
            .any(|r| r.countries().contains(&upper.as_str()))
        {
            let b = upper.as_bytes();
            Ok(Country([b[0], b[1]]))
        } else if ISO_3166_1.contains(&upper.as_str()) {
            Err(CountryError::ServedByNone(upper))
        } else {
            Err(CountryError::NotACountry(code.to_string()))
        }
    }

    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).expect("country codes are ASCII")
    }

    /// The currency the program bills customers and partners of the country in: their own where
    /// the program has it, euros across the EU and Spain, US dollars elsewhere.
    pub fn currency(self) -> crate::money::Currency {
        use crate::money::Currency;
        match self.code() {
            "US" | "PR" | "EC" | "SV" | "PA" => Currency::USD,
            "CA" => Currency::CAD,
            "MX" => Currency::MXN,
            "BR" => Currency::BRL,
            "CO" => Currency::COP,
            "CL" => Currency::CLP,
            "AR" => Currency::ARS,
            "PE" => Currency::PEN,
            _ if self.region() == Region::EuEs => Currency::EUR,
            _ => Currency::USD,
        }
    }

    /// The region the country belongs to.
    pub fn region(&self) -> Region {
        Region::ALL
            .into_iter()
            .find(|r| r.countries().contains(&self.code()))
            .expect("a parsed country belongs to a region")
    }
}

impl TryFrom<String> for Country {
    type Error = CountryError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Country::parse(&s)
    }
}

impl From<Country> for String {
    fn from(c: Country) -> String {
        c.code().to_string()
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The platform's brands; each is bound to one region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Brand {
    CentroPago,
    RemindLedger,
    Voldier,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{brand} is only available in {region}; {country} is in {country_region}", country_region = country.region())]
pub struct BrandRegionError {
    pub brand: Brand,
    pub region: Region,
    pub country: Country,
}

impl Brand {
    pub const ALL: [Brand; 3] = [Brand::CentroPago, Brand::RemindLedger, Brand::Voldier];

    pub fn region(self) -> Region {
        match self {
            Brand::CentroPago => Region::Latam,
            Brand::RemindLedger => Region::UsaCan,
            Brand::Voldier => Region::EuEs,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Brand::CentroPago => "CentroPago",
            Brand::RemindLedger => "RemindLedger",
            Brand::Voldier => "Voldier",
        }
    }

    pub fn parse(s: &str) -> Option<Brand> {
        Brand::ALL.into_iter().find(|b| b.name() == s)
    }

    /// Refuses the brand for a customer outside its region.
    pub fn check_serves(self, country: Country) -> Result<(), BrandRegionError> {
        if country.region() == self.region() {
            Ok(())
        } else {
            Err(BrandRegionError {
                brand: self,
                region: self.region(),
                country,
            })
        }
    }
}

impl fmt::Display for Brand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str) -> Country {
        Country::parse(code).unwrap()
    }

    #[test]
    fn centropago_serves_latam_only() {
        assert!(Brand::CentroPago.check_serves(c("MX")).is_ok());
        assert!(Brand::CentroPago.check_serves(c("BR")).is_ok());
        assert!(Brand::CentroPago.check_serves(c("US")).is_err());
        assert!(Brand::CentroPago.check_serves(c("ES")).is_err());
    }

    #[test]
    fn remindledger_serves_usa_and_canada_only() {
        assert!(Brand::RemindLedger.check_serves(c("US")).is_ok());
        assert!(Brand::RemindLedger.check_serves(c("CA")).is_ok());
        assert!(Brand::RemindLedger.check_serves(c("MX")).is_err());
    }

    #[test]
    fn voldier_is_refused_outside_eu() {
        assert!(Brand::Voldier.check_serves(c("ES")).is_ok());
        assert!(Brand::Voldier.check_serves(c("DE")).is_ok());
        let err = Brand::Voldier.check_serves(c("US")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Voldier is only available in eu_es; US is in usa_can"
        );
    }

    #[test]
    fn regions_do_not_overlap_and_each_has_one_brand() {
        for a in Region::ALL {
            for b in Region::ALL {
                if a != b {
                    assert!(a.countries().iter().all(|x| !b.countries().contains(x)));
                }
            }
            assert_eq!(a.brand().region(), a);
        }
    }

    #[test]
    fn unknown_country_is_a_clear_error() {
        let err = Country::parse("ZZ").unwrap_err();
        assert!(err.to_string().contains("\"ZZ\" is not a country code"));
        assert_eq!(c("es").code(), "ES");
    }

    /// Every country, region by region, as the program decides it (the decisions are in the
    /// module's documentation).
    const TABLE: &[(&str, Option<Region>)] = &[
        // LATAM: Mexico, Central America, the Spanish-speaking Caribbean, South America.
        ("MX", Some(Region::Latam)),
        ("GT", Some(Region::Latam)),
        ("BZ", Some(Region::Latam)),
        ("SV", Some(Region::Latam)),
        ("HN", Some(Region::Latam)),
        ("NI", Some(Region::Latam)),
        ("CR", Some(Region::Latam)),
        ("PA", Some(Region::Latam)),
        ("CU", Some(Region::Latam)),
        ("DO", Some(Region::Latam)),
        ("PR", Some(Region::Latam)),
        ("CO", Some(Region::Latam)),
        ("VE", Some(Region::Latam)),
        ("GY", Some(Region::Latam)),
        ("SR", Some(Region::Latam)),
        ("EC", Some(Region::Latam)),
        ("PE", Some(Region::Latam)),
        ("BO", Some(Region::Latam)),
        ("BR", Some(Region::Latam)),
        ("PY", Some(Region::Latam)),
        ("UY", Some(Region::Latam)),
        ("AR", Some(Region::Latam)),
        ("CL", Some(Region::Latam)),
        // USA/CAN, with the USA's territories outside the Caribbean and Puerto Rico.
        ("US", Some(Region::UsaCan)),
        ("CA", Some(Region::UsaCan)),
        ("GU", Some(Region::UsaCan)),
        ("VI", Some(Region::UsaCan)),
        ("AS", Some(Region::UsaCan)),
        ("MP", Some(Region::UsaCan)),
        // EU/ES: the 27 member states, and the outermost regions with codes of their own.
        ("AT", Some(Region::EuEs)),
        ("BE", Some(Region::EuEs)),
        ("BG", Some(Region::EuEs)),
        ("HR", Some(Region::EuEs)),
        ("CY", Some(Region::EuEs)),
        ("CZ", Some(Region::EuEs)),
        ("DK", Some(Region::EuEs)),
        ("EE", Some(Region::EuEs)),
        ("FI", Some(Region::EuEs)),
        ("FR", Some(Region::EuEs)),
        ("DE", Some(Region::EuEs)),
        ("GR", Some(Region::EuEs)),
        ("HU", Some(Region::EuEs)),
        ("IE", Some(Region::EuEs)),
        ("IT", Some(Region::EuEs)),
        ("LV", Some(Region::EuEs)),
        ("LT", Some(Region::EuEs)),
        ("LU", Some(Region::EuEs)),
        ("MT", Some(Region::EuEs)),
        ("NL", Some(Region::EuEs)),
        ("PL", Some(Region::EuEs)),
        ("PT", Some(Region::EuEs)),
        ("RO", Some(Region::EuEs)),
        ("SK", Some(Region::EuEs)),
        ("SI", Some(Region::EuEs)),
        ("ES", Some(Region::EuEs)),
        ("SE", Some(Region::EuEs)),
        ("GF", Some(Region::EuEs)),
        ("GP", Some(Region::EuEs)),
        ("MQ", Some(Region::EuEs)),
        ("RE", Some(Region::EuEs)),
        ("YT", Some(Region::EuEs)),
        ("MF", Some(Region::EuEs)),
        ("AX", Some(Region::EuEs)),
        // Served by no brand: near the regions but outside them.
        ("HT", None),
        ("JM", None),
        ("TT", None),
        ("BS", None),
        ("GB", None),
        ("CH", None),
        ("NO", None),
        ("IS", None),
        ("UM", None),
        ("GL", None),
        ("PM", None),
        ("FK", None),
        ("JP", None),
    ];

    #[test]
    fn every_country_is_in_the_region_the_program_decides_or_served_by_none() {
        let mut in_table = 0;
        for (code, region) in TABLE {
            match region {
                Some(r) => {
                    assert_eq!(c(code).region(), *r, "{code}");
                    in_table += 1;
                }
                None => assert_eq!(
                    Country::parse(code),
                    Err(CountryError::ServedByNone(code.to_string())),
                    "{code}"
                ),
            }
        }
        // The table holds every country of every region: no region has one it does not list.
        let listed: usize = Region::ALL.iter().map(|r| r.countries().len()).sum();
        assert_eq!(in_table, listed);
        // Every code of a region is a real ISO 3166-1 code.
        for r in Region::ALL {
            for code in r.countries() {
                assert!(ISO_3166_1.contains(code), "{code}");
            }
        }
        assert_eq!(ISO_3166_1.len(), 249);
    }

    #[test]
    fn a_country_served_by_no_brand_says_so() {
        let err = Country::parse("jp").unwrap_err();
        assert_eq!(
            err.to_string(),
            "no brand of the program is sold in JP: CentroPago serves Latin America, RemindLedger the USA and Canada, Voldier the EU"
        );
        for brand in Brand::ALL {
            assert!(!brand.region().countries().contains(&"JP"));
        }
    }
}
