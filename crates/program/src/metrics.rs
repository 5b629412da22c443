//! The program's metrics, defined once. Every screen, export and review computes them through
//! these functions (or, for speed over the whole portfolio, through SQL that a test checks
//! against them).
//!
//! - **NPS** over a window: % promoters (scores 9–10) − % detractors (0–6), rounded to a whole
//!   point, half away from zero. With fewer than [`NPS_MIN_RESPONSES`] responses there is no
//!   score, only the count.
//! - **Retention** (logo retention) over the trailing 12 months: of the customers active for the
//!   partner at the window's start, the share still active for it at the end. A customer that
//!   migrated to another partner counts as lost for the old partner. Churned customers are listed.
//! - **Recurring activation volume**: credits consumed by recurring (monthly) deployments over the
//!   trailing 12 months.
//! - **Active customers**: customers with at least one active deployment on the day, attributed to
//!   their partner of record on that day (a migrated customer counts for its new partner from the
//!   migration date).
//! - **Burn rate**: credits consumed per day over a trailing window (30 or 90 days); **runway**:
//!   days the balance lasts at that rate.

use chrono::{Months, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::entities::{Billing, CustomerId};
use crate::money::Credits;

/// Fewer survey responses than this give no NPS.
pub const NPS_MIN_RESPONSES: u32 = 5;

/// The trailing window of retention and recurring volume.
pub const TRAILING_MONTHS: u32 = 12;

/// A Net Promoter Score with the counts behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Nps {
    /// −100..=100; None below the minimum response count.
    pub score: Option<i32>,
    pub responses: u32,
    pub promoters: u32,
    pub detractors: u32,
}

/// NPS of `scores` (each 0..=10).
pub fn nps(scores: impl IntoIterator<Item = u8>) -> Nps {
    let (mut responses, mut promoters, mut detractors) = (0u32, 0u32, 0u32);
    for s in scores {
        responses += 1;
        match s {
            9..=10 => promoters += 1,
            0..=6 => detractors += 1,
            _ => {}
        }
    }
    nps_from_counts(responses, promoters, detractors)
}

/// NPS from already-counted responses, promoters (9–10) and detractors (0–6).
pub fn nps_from_counts(responses: u32, promoters: u32, detractors: u32) -> Nps {
    let score = (responses >= NPS_MIN_RESPONSES).then(|| {
        let exact = Decimal::from(i64::from(promoters) - i64::from(detractors))
            * Decimal::ONE_HUNDRED
            / Decimal::from(responses);
        let rounded = exact.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
        i32::try_from(rounded.mantissa() / 10i128.pow(rounded.scale())).expect("−100..=100")
    });
    Nps {
        score,
        responses,
        promoters,
        detractors,
    }
}

/// What a customer looked like, for the partner being measured, at the two ends of a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerEnds {
    pub customer: CustomerId,
    /// Active and attributed to the partner at the window's start.
    pub active_at_start: bool,
    /// Active and attributed to the partner at the window's end.
    pub active_at_end: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// Customers active at the start.
    pub base: u32,
    pub retained: u32,
    /// None when there was no customer at the start.
    pub rate: Option<Decimal>,
    /// Active at the start, gone at the end.
    pub churned: Vec<CustomerId>,
}

/// Logo retention over a window, from each customer's two ends.
pub fn retention(customers: impl IntoIterator<Item = CustomerEnds>) -> Retention {
    let (mut base, mut retained, mut churned) = (0u32, 0u32, Vec::new());
    for c in customers.into_iter().filter(|c| c.active_at_start) {
        base += 1;
        if c.active_at_end {
            retained += 1;
        } else {
            churned.push(c.customer);
        }
    }
    churned.sort();
    Retention {
        base,
        retained,
        rate: (base > 0).then(|| Decimal::from(retained) / Decimal::from(base)),
        churned,
    }
}

/// The first day of the trailing window ending on `as_of` (12 months back, same day).
pub fn trailing_start(as_of: NaiveDate) -> NaiveDate {
    as_of
        .checked_sub_months(Months::new(TRAILING_MONTHS))
        .expect("a date after year 1")
}

/// One consumption from the ledger, as far as the volume metrics need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consumption {
    pub on: NaiveDate,
    pub billing: Billing,
    /// Credits consumed (a positive amount).
    pub credits: Credits,
}

/// Credits consumed by recurring deployments in (`as_of` − 12 months, `as_of`].
pub fn recurring_volume(consumptions: &[Consumption], as_of: NaiveDate) -> Credits {
    let start = trailing_start(as_of);
    consumptions
        .iter()
        .filter(|c| c.billing == Billing::Monthly && c.on > start && c.on <= as_of)
        .map(|c| c.credits)
        .sum()
}

/// The windows a burn rate is read over: the last 30 days (which runway days follow) and the last
/// 90 (the steadier trend beside it).
pub const BURN_SHORT_DAYS: u32 = 30;
pub const BURN_LONG_DAYS: u32 = 90;

/// Credits consumed per day over the `days` days ending on `as_of`, to the hundredth.
pub fn burn_rate(consumptions: &[Consumption], as_of: NaiveDate, days: u32) -> Credits {
    if days == 0 {
        return Credits::ZERO;
    }
    let start = as_of - chrono::Days::new(u64::from(days));
    let total: Credits = consumptions
        .iter()
        .filter(|c| c.on > start && c.on <= as_of)
        .map(|c| c.credits)
        .sum();
    Credits::rounded(total.amount() / Decimal::from(days))
}

/// Whole days `balance` lasts at `per_day`; None when nothing is being consumed.
pub fn runway_days(balance: Credits, per_day: Credits) -> Option<u32> {
    if per_day <= Credits::ZERO {
        return None;
    }
    if balance <= Credits::ZERO {
        return Some(0);
    }
    let days = (balance.amount() / per_day.amount()).floor();
    Some(u32::try_from(days.mantissa() / 10i128.pow(days.scale())).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn nps_is_promoters_minus_detractors_in_percent() {
        // 4 promoters, 2 passives, 4 detractors of 10: 40 % − 40 % = 0.
        let n = nps([10, 9, 9, 10, 7, 8, 0, 6, 3, 5]);
        assert_eq!(
            (n.score, n.responses, n.promoters, n.detractors),
            (Some(0), 10, 4, 4)
        );
        // 3 promoters, 1 detractor of 6: 50 − 16.67 = 33.33 → 33.
        assert_eq!(nps([9, 9, 10, 6, 7, 8]).score, Some(33));
        // 2 promoters of 8, no detractor: 25.
        assert_eq!(nps([9, 10, 7, 7, 8, 8, 7, 8]).score, Some(25));
        assert_eq!(nps([10; 5]).score, Some(100));
        assert_eq!(nps([0; 7]).score, Some(-100));
    }

    #[test]
    fn nps_rounds_half_points_away_from_zero() {
        // 1 promoter, 0 detractors of 8 = 12.5 → 13; the mirror image → −13.
        assert_eq!(nps([9, 7, 7, 7, 7, 7, 7, 7]).score, Some(13));
        assert_eq!(nps([0, 7, 7, 7, 7, 7, 7, 7]).score, Some(-13));
    }

    #[test]
    fn no_nps_below_the_minimum_response_count() {
        let n = nps([10, 10, 10, 10]);
        assert_eq!((n.score, n.responses), (None, 4));
        assert_eq!(nps([]).score, None);
    }

    fn ends(id: u128, start: bool, end: bool) -> CustomerEnds {
        CustomerEnds {
            customer: CustomerId(Uuid::from_u128(id)),
            active_at_start: start,
            active_at_end: end,
        }
    }

    #[test]
    fn retention_is_the_share_of_starting_customers_still_active_at_the_end() {
        let r = retention([
            ends(1, true, true),
            ends(2, true, false),
            ends(3, true, true),
            ends(4, true, true),
            ends(5, false, true), // new during the window: not in the base
        ]);
        assert_eq!((r.base, r.retained), (4, 3));
        assert_eq!(r.rate, Some(Decimal::new(75, 2)));
        assert_eq!(r.churned, vec![CustomerId(Uuid::from_u128(2))]);
    }

    #[test]
    fn retention_without_starting_customers_has_no_rate() {
        assert_eq!(retention([ends(1, false, true)]).rate, None);
    }

    #[test]
    fn recurring_volume_counts_monthly_consumption_of_the_trailing_12_months() {
        let as_of = day(2026, 11, 23);
        let c = |on, billing, credits| Consumption {
            on,
            billing,
            credits: Credits::whole(credits),
        };
        let lines = [
            c(day(2026, 11, 23), Billing::Monthly, 100),
            c(day(2025, 11, 24), Billing::Monthly, 10), // first day inside
            c(day(2025, 11, 23), Billing::Monthly, 1_000), // the day the window starts: out
            c(day(2026, 6, 1), Billing::OneOff, 5_000), // one-off: not recurring
            c(day(2026, 11, 24), Billing::Monthly, 7),  // after as_of
        ];
        assert_eq!(recurring_volume(&lines, as_of), Credits::whole(110));
    }

    #[test]
    fn burn_rate_and_runway() {
        let as_of = day(2026, 11, 30);
        let lines: Vec<_> = (0..30)
            .map(|i| Consumption {
                on: as_of - chrono::Days::new(i),
                billing: Billing::Monthly,
                credits: Credits::whole(10),
            })
            .collect();
        let rate = burn_rate(&lines, as_of, 30);
        assert_eq!(rate, Credits::whole(10));
        assert_eq!(
            burn_rate(&lines, as_of, 90),
            Credits::rounded(Decimal::new(300, 0) / Decimal::from(90))
        );
        assert_eq!(runway_days(Credits::whole(105), rate), Some(10));
        assert_eq!(runway_days(Credits::whole(105), Credits::ZERO), None);
        assert_eq!(runway_days(Credits::ZERO, rate), Some(0));
    }
}
