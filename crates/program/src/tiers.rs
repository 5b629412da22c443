//! Tiers and their discount bands on Activation Credits.
//!
//! Every partner starts at Authorized. A partner's own discount rate is set by the platform and must
//! lie inside its tier's band; `DiscountRate` can only be built through that check.

use std::fmt;

use chrono::NaiveDate;
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

/// One step of a partner's tier history: the tier it entered on a day. A history starts at
/// Authorized on the day the partner joined and grows only at its end; the tier in force on a day
/// is that of the last step on or before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TierChange {
    pub tier: Tier,
    pub on: NaiveDate,
}

/// Why a tier history breaks the program's rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TierHistoryError {
    #[error("a partner starts at Authorized, on the day it joins ({joined_on})")]
    Start { joined_on: NaiveDate },
    #[error("tier changes follow one another in time, one a day at most ({on} comes too early)")]
    Order { on: NaiveDate },
    #[error("a tier change moves to another tier ({tier} on {on} repeats the tier before it)")]
    Repeats { tier: Tier, on: NaiveDate },
    #[error("the partner's tier ({tier}) is the last of its tier history ({last})")]
    NotCurrent { tier: Tier, last: Tier },
    #[error("a tier change is recorded on the day it takes effect or after, not ahead ({on})")]
    Ahead { on: NaiveDate },
    #[error("a tier history is never rewritten: changes are added at its end")]
    Rewritten,
}

/// Checks a partner's tier `history` against the day it joined and its current `tier`: it starts
/// at Authorized on `joined_on`, each change moves to another tier on a later day, and the last
/// step is `tier`.
pub fn check_tier_history(
    history: &[TierChange],
    joined_on: NaiveDate,
    tier: Tier,
) -> Result<(), TierHistoryError> {
    match history.first() {
        Some(first) if first.tier == Tier::entry() && first.on == joined_on => {}
        _ => return Err(TierHistoryError::Start { joined_on }),
    }
    for pair in history.windows(2) {
        let (before, change) = (pair[0], pair[1]);
        if change.on <= before.on {
            return Err(TierHistoryError::Order { on: change.on });
        }
        if change.tier == before.tier {
            return Err(TierHistoryError::Repeats {
                tier: change.tier,
                on: change.on,
            });
        }
    }
    let last = history.last().map_or(Tier::entry(), |c| c.tier);
    if last != tier {
        return Err(TierHistoryError::NotCurrent { tier, last });
    }
    Ok(())
}

/// Checks a change of tier history from `before` (what is stored) to `after` on `today`: the
/// stored steps stay as they are and the new ones, added at the end, are dated no later than
/// today.
pub fn check_tier_history_change(
    before: &[TierChange],
    after: &[TierChange],
    today: NaiveDate,
) -> Result<(), TierHistoryError> {
    if !after.starts_with(before) {
        return Err(TierHistoryError::Rewritten);
    }
    match after[before.len()..].iter().find(|c| c.on > today) {
        Some(ahead) => Err(TierHistoryError::Ahead { on: ahead.on }),
        None => Ok(()),
    }
}

/// The tier in force on `day` by `history`: the last step on or before it (Authorized before the
/// first).
pub fn tier_on(history: &[TierChange], day: NaiveDate) -> Tier {
    history
        .iter()
        .take_while(|c| c.on <= day)
        .last()
        .map_or(Tier::entry(), |c| c.tier)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn step(tier: Tier, on: NaiveDate) -> TierChange {
        TierChange { tier, on }
    }

    #[test]
    fn a_tier_history_starts_at_authorized_on_the_joining_day() {
        let joined = day(2021, 3, 1);
        let path = [
            step(Tier::Authorized, joined),
            step(Tier::Specialist, day(2022, 1, 10)),
            step(Tier::Regional, day(2023, 6, 1)),
        ];
        assert_eq!(check_tier_history(&path, joined, Tier::Regional), Ok(()));
        for wrong in [
            vec![],
            vec![step(Tier::Specialist, joined)],
            vec![step(Tier::Authorized, day(2021, 3, 2))],
        ] {
            assert_eq!(
                check_tier_history(&wrong, joined, Tier::Authorized),
                Err(TierHistoryError::Start { joined_on: joined })
            );
        }
        assert_eq!(
            TierHistoryError::Start { joined_on: joined }.to_string(),
            "a partner starts at Authorized, on the day it joins (2021-03-01)"
        );
    }

    #[test]
    fn tier_changes_follow_one_another_and_move_to_another_tier() {
        let joined = day(2021, 3, 1);
        let a = step(Tier::Authorized, joined);
        assert_eq!(
            check_tier_history(
                &[a, step(Tier::Specialist, joined)],
                joined,
                Tier::Specialist
            ),
            Err(TierHistoryError::Order { on: joined })
        );
        let later = day(2022, 1, 1);
        assert_eq!(
            check_tier_history(
                &[a, step(Tier::Authorized, later)],
                joined,
                Tier::Authorized
            ),
            Err(TierHistoryError::Repeats {
                tier: Tier::Authorized,
                on: later
            })
        );
        // Moved down is a change like any other.
        let path = [
            a,
            step(Tier::Regional, later),
            step(Tier::Specialist, day(2023, 1, 1)),
        ];
        assert_eq!(check_tier_history(&path, joined, Tier::Specialist), Ok(()));
    }

    #[test]
    fn the_partners_tier_is_the_last_of_its_tier_history() {
        let joined = day(2021, 3, 1);
        let path = [
            step(Tier::Authorized, joined),
            step(Tier::Specialist, day(2022, 1, 1)),
        ];
        assert_eq!(
            check_tier_history(&path, joined, Tier::Regional),
            Err(TierHistoryError::NotCurrent {
                tier: Tier::Regional,
                last: Tier::Specialist
            })
        );
    }

    #[test]
    fn a_tier_history_grows_only_at_its_end_and_never_ahead_of_today() {
        let joined = day(2021, 3, 1);
        let today = day(2024, 5, 1);
        let before = [
            step(Tier::Authorized, joined),
            step(Tier::Specialist, day(2022, 1, 1)),
        ];
        let mut after = before.to_vec();
        after.push(step(Tier::Regional, today));
        assert_eq!(check_tier_history_change(&before, &after, today), Ok(()));
        assert_eq!(check_tier_history_change(&before, &before, today), Ok(()));
        let rewritten = [before[0], step(Tier::Specialist, day(2022, 2, 1))];
        assert_eq!(
            check_tier_history_change(&before, &rewritten, today),
            Err(TierHistoryError::Rewritten)
        );
        assert_eq!(
            check_tier_history_change(&before, &before[..1], today),
            Err(TierHistoryError::Rewritten)
        );
        after[2].on = day(2024, 5, 2);
        assert_eq!(
            check_tier_history_change(&before, &after, today),
            Err(TierHistoryError::Ahead {
                on: day(2024, 5, 2)
            })
        );
    }

    #[test]
    fn the_tier_in_force_on_a_day_is_the_last_change_on_or_before_it() {
        let path = [
            step(Tier::Authorized, day(2021, 3, 1)),
            step(Tier::Specialist, day(2022, 1, 10)),
            step(Tier::Regional, day(2023, 6, 1)),
        ];
        assert_eq!(tier_on(&path, day(2022, 1, 9)), Tier::Authorized);
        assert_eq!(tier_on(&path, day(2022, 1, 10)), Tier::Specialist);
        assert_eq!(tier_on(&path, day(2023, 5, 31)), Tier::Specialist);
        assert_eq!(tier_on(&path, day(2026, 1, 1)), Tier::Regional);
        assert_eq!(tier_on(&path, day(2020, 1, 1)), Tier::Authorized);
    }

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
