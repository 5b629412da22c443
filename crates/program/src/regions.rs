//! Regions, the countries that define them, and the brands bound to each region.
//!
//! CentroPago is sold in LATAM, RemindLedger in the USA and Canada, Voldier in the EU (Spain
//! included). A quote or deal for a customer outside the brand's region is refused.

use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Region {
    /// Latin America: Mexico, Central America, the Spanish-speaking Caribbean and South America.
    Latam,
    /// The United States and Canada.
    UsaCan,
    /// The European Union's member states (Spain among them).
    EuEs,
}

const LATAM: &[&str] = &[
    "AR", "BO", "BR", "CL", "CO", "CR", "CU", "DO", "EC", "GT", "HN", "MX", "NI", "PA", "PE", "PR",
    "PY", "SV", "UY", "VE",
];
const USA_CAN: &[&str] = &["US", "CA"];
const EU_ES: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
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

/// A country the program serves, by ISO 3166-1 alpha-2 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(try_from = "String", into = "String")]
#[ts(type = "string")]
pub struct Country([u8; 2]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a country served by the program (expected an ISO code such as MX, US or ES)")]
pub struct UnknownCountry(pub String);

impl Country {
    pub fn parse(code: &str) -> Result<Country, UnknownCountry> {
        let upper = code.trim().to_ascii_uppercase();
        if Region::ALL
            .iter()
            .any(|r| r.countries().contains(&upper.as_str()))
        {
            let b = upper.as_bytes();
            Ok(Country([b[0], b[1]]))
        } else {
            Err(UnknownCountry(code.to_string()))
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
    type Error = UnknownCountry;
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
        assert!(err
            .to_string()
            .contains("\"ZZ\" is not a country served by the program"));
        assert_eq!(c("es").code(), "ES");
    }
}
