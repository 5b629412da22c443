//! Tiers and their discount bands on Activation Credits.
//!
//! Every partner starts at Authorized. A partner's own discount rate is set by the platform and must
//! lie inside its tier's band; `DiscountRate` can only be built through that check.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The four partner tiers, in ascending order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Authorized,
    Specialist,
    Regional,
    Strategic,
}

impl Tier {
    pub const ALL: [Tier; 4] = [
        Tier::Authorized,
        Tier::Specialist,
        Tier::Regional,
        Tier::Strategic,
    ];

    /// The tier every partner starts at.
    pub const fn entry() -> Tier {
        Tier::Authorized
    }

    /// The discount band on Activation Credits for this tier, in fractions (0.10 = 10 %).
    pub fn band(self) -> DiscountBand {
        let (min, max) = match self {
            Tier::Authorized => (10, 15),
            Tier::Specialist => (20, 25),
            Tier::Regional => (30, 35),
            Tier::Strategic => (40, 45),
        };
        DiscountBand {
            min: Decimal::new(min, 2),
            max: Decimal::new(max, 2),
        }
    }

    /// The tier above this one, if any.
    pub fn next(self) -> Option<Tier> {
        match self {
            Tier::Authorized => Some(Tier::Specialist),
            Tier::Specialist => Some(Tier::Regional),
            Tier::Regional => Some(Tier::Strategic),
            Tier::Strategic => None,
        }
    }

    /// Strategic is invitation-only; the other tiers are self-service.
    pub fn is_invitation_only(self) -> bool {
        self == Tier::Strategic
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Authorized => "authorized",
            Tier::Specialist => "specialist",
            Tier::Regional => "regional",
            Tier::Strategic => "strategic",
        }
    }

    pub fn parse(s: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An inclusive range of discount rates, as fractions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DiscountBand {
    #[ts(type = "string")]
    pub min: Decimal,
    #[ts(type = "string")]
    pub max: Decimal,
}

impl DiscountBand {
    pub fn contains(&self, rate: Decimal) -> bool {
        rate >= self.min && rate <= self.max
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("discount rate {rate} is outside the {tier} band ({min}–{max})", min = band.min, max = band.max)]
    OutsideBand {
        tier: Tier,
        rate: Decimal,
        band: DiscountBand,
    },
}

/// A partner's discount rate on Activation Credits, checked against its tier's band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiscountRate {
    tier: Tier,
    rate: Decimal,
}

impl DiscountRate {
    /// Checks `rate` (a fraction, 0.125 = 12.5 %) against the band of `tier`.
    pub fn new(tier: Tier, rate: Decimal) -> Result<Self, RateError> {
        let band = tier.band();
        if band.contains(rate) {
            Ok(DiscountRate {
                tier,
                rate: rate.normalize(),
            })
        } else {
            Err(RateError::OutsideBand { tier, rate, band })
        }
    }

    pub fn tier(&self) -> Tier {
        self.tier
    }

    /// The rate as a fraction.
    pub fn fraction(&self) -> Decimal {
        self.rate
    }

    /// What the partner pays per unit of list price: 1 − rate.
    pub fn pay_factor(&self) -> Decimal {
        Decimal::ONE - self.rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn every_partner_starts_at_authorized() {
        assert_eq!(Tier::entry(), Tier::Authorized);
    }

    #[test]
    fn bands_match_the_program() {
        let bands: Vec<_> = Tier::ALL
            .iter()
            .map(|t| (t.band().min, t.band().max))
            .collect();
        assert_eq!(
            bands,
            vec![
                (dec!(0.10), dec!(0.15)),
                (dec!(0.20), dec!(0.25)),
                (dec!(0.30), dec!(0.35)),
                (dec!(0.40), dec!(0.45)),
            ]
        );
    }

    #[test]
    fn rate_inside_band_is_accepted_including_edges() {
        for tier in Tier::ALL {
            let band = tier.band();
            assert!(DiscountRate::new(tier, band.min).is_ok());
            assert!(DiscountRate::new(tier, band.max).is_ok());
            assert!(DiscountRate::new(tier, (band.min + band.max) / dec!(2)).is_ok());
        }
    }

    #[test]
    fn rate_outside_band_is_a_clear_error() {
        let err = DiscountRate::new(Tier::Authorized, dec!(0.20)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "discount rate 0.20 is outside the authorized band (0.10–0.15)"
        );
        assert!(DiscountRate::new(Tier::Strategic, dec!(0.3999)).is_err());
        assert!(DiscountRate::new(Tier::Specialist, dec!(0.2501)).is_err());
    }

    #[test]
    fn tiers_are_ordered_and_strategic_is_last() {
        assert!(Tier::Authorized < Tier::Specialist);
        assert!(Tier::Regional < Tier::Strategic);
        assert_eq!(Tier::Strategic.next(), None);
        assert!(Tier::Strategic.is_invitation_only());
        assert!(Tier::ALL[..3].iter().all(|t| !t.is_invitation_only()));
    }
}
