//! The program's metrics, defined once. Every screen, export and review computes them through
//! these functions (or, for speed over the whole portfolio, through SQL that a test checks
//! against them), and [`DEFINITIONS`] says each in words, the text the app shows beside it.
//!
//! - **Active customers** on a day: customers with a monthly deployment live, or that consumed
//!   credits in the last [`ACTIVE_DAYS`] days (a one-off deployment made, or a monthly one
//!   running, in that time), attributed to their partner of record on that day (a migrated
//!   customer counts for its new partner from the migration date). A one-off deployment keeps its
//!   customer active for 90 days, not forever.
//! - **NPS** over a window: each customer's latest answer in the window counts once; % promoters
//!   (scores 9–10) − % detractors (0–6), rounded to a whole point, half away from zero. With
//!   fewer than [`NPS_MIN_RESPONSES`] customers answering there is no score, only the count.
//! - **Retention** (logo retention) over a window: of the customers active for the partner at the
//!   window's start, the share still active for it at the end. A customer that migrated to
//!   another partner counts as lost for the old partner. For a partner younger than the window,
//!   retention is measured over its time in the program: of the customers it has deployed for
//!   since it joined, the share active for it at the end (and the figure says since when).
//!   Churned customers are listed.
//! - **Recurring activation volume**: credits consumed by recurring (monthly) deployments.
//! - **Burn rate**: credits consumed per day over a trailing window (30 or 90 days); **runway**:
//!   days the balance lasts at that rate.
//!
//! Windows have names of their own: the trailing 12 months ("12 months") for tier progression and
//! the partner page, the calendar quarter ("quarter") in reviews.

use std::collections::HashMap;

use chrono::{Days, Months, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::entities::{Billing, CustomerId};
use crate::money::Credits;

/// Fewer customers answering than this give no NPS.
pub const NPS_MIN_RESPONSES: u32 = 5;

/// The trailing window of retention and recurring volume.
pub const TRAILING_MONTHS: u32 = 12;

/// A Net Promoter Score with the counts behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Nps {
    /// −100..=100; None below the minimum count.
    pub score: Option<i32>,
    /// Answers counted: one per customer, its latest in the window.
    pub responses: u32,
    pub promoters: u32,
    pub detractors: u32,
}

/// NPS of each customer's latest answer among `answers` (customer, day, score 0..=10), those
/// given in the window: a customer answering twice counts once, with the later answer (two on
/// one day: the lower score).
pub fn nps_latest(answers: impl IntoIterator<Item = (CustomerId, NaiveDate, u8)>) -> Nps {
    let mut latest: HashMap<CustomerId, (NaiveDate, std::cmp::Reverse<u8>)> = HashMap::new();
    for (customer, on, score) in answers {
        let answer = (on, std::cmp::Reverse(score));
        let slot = latest.entry(customer).or_insert(answer);
        *slot = (*slot).max(answer);
    }
    nps(latest.into_values().map(|(_, score)| score.0))
}

/// NPS of `scores` (each 0..=10), each counted.
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
    /// Customers active at the start (for a partner younger than the window: customers it has
    /// deployed for since it joined).
    pub base: u32,
    pub retained: u32,
    /// None when there was no customer at the start.
    pub rate: Option<Decimal>,
    /// Active at the start, gone at the end.
    pub churned: Vec<CustomerId>,
    /// The day the partner joined, when it is younger than the window and retention is measured
    /// over its time in the program; None for the whole window.
    pub since: Option<NaiveDate>,
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
        since: None,
    }
}

/// Retention of a partner that joined on `joined_on`, after the window's start: measured over its
/// time in the program. `customers` are those it has deployed for since it joined (each
/// `active_at_start`), with whether each is active for it at the end.
pub fn retention_since_joining(
    customers: impl IntoIterator<Item = CustomerEnds>,
    joined_on: NaiveDate,
) -> Retention {
    Retention {
        since: Some(joined_on),
        ..retention(customers)
    }
}

/// How long consumption keeps a customer active: the last 90 days, the day itself included.
pub const ACTIVE_DAYS: u64 = 90;

/// The first of the [`ACTIVE_DAYS`] days ending on `day`.
pub fn active_since(day: NaiveDate) -> NaiveDate {
    day - Days::new(ACTIVE_DAYS - 1)
}

/// Whether a deployment keeps its customer active on `day`: a one-off deployment for the 90 days
/// from the day it is made (its consumption), a monthly one while it runs and for 90 days after
/// it ends.
pub fn keeps_active(
    billing: Billing,
    started_on: NaiveDate,
    ended_on: Option<NaiveDate>,
    day: NaiveDate,
) -> bool {
    let since = active_since(day);
    started_on <= day
        && match billing {
            Billing::OneOff => started_on >= since,
            Billing::Monthly => ended_on.is_none_or(|end| end > since),
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

/// The figures of tier progression and the partner page, over the trailing 12 months, in words
/// (English, Spanish): what the app shows beside each figure, keyed as the app names them. The
/// quarter's figures of a review are [`crate::qbr::Kpi::definition`].
pub const DEFINITIONS: &[(&str, &str, &str)] = &[
    (
        "active_customers",
        "Active customers today: customers with a monthly deployment live, or that consumed credits in the last 90 days (a one-off deployment made, or a monthly one running, in that time). A one-off deployment keeps its customer active for 90 days. A customer counts for its partner of record that day.",
        "Clientes activos hoy: clientes con un despliegue mensual en marcha, o que consumieron créditos en los últimos 90 días (un despliegue único hecho, o uno mensual en marcha, en ese tiempo). Un despliegue único mantiene activo a su cliente 90 días. Cada cliente cuenta para su socio titular ese día.",
    ),
    (
        "nps_12_months",
        "NPS over the last 12 months: each customer's latest survey answer counts once; % promoters (9–10) minus % detractors (0–6). At least 5 customers must have answered.",
        "NPS de los últimos 12 meses: la última respuesta de cada cliente cuenta una vez; % de promotores (9–10) menos % de detractores (0–6). Deben haber respondido al menos 5 clientes.",
    ),
    (
        "retention_12_months",
        "Retention over the last 12 months: of the customers active for the partner 12 months ago, the share still active for it today; a customer that migrated away counts as lost. For a partner that joined less than 12 months ago: of the customers it has deployed for since it joined, the share active today.",
        "Retención de los últimos 12 meses: de los clientes activos para el socio hace 12 meses, la proporción que sigue activa hoy; un cliente que migró a otro socio cuenta como perdido. Para un socio con menos de 12 meses en el programa: de los clientes para los que ha desplegado desde que entró, la proporción activa hoy.",
    ),
    (
        "recurring_volume_12_months",
        "Recurring volume over the last 12 months: credits consumed by monthly deployments.",
        "Volumen recurrente de los últimos 12 meses: créditos consumidos por despliegues mensuales.",
    ),
];

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
    fn nps_counts_each_customers_latest_answer_once() {
        let c = |n| CustomerId(Uuid::from_u128(n));
        // 1 answered 10 then 3: its 3 counts; 2 answered 9 twice on one day and 6 the same day:
        // the lower, 6. Five customers: promoters 3, 4, 5's answers (9, 10, 9); detractors 1, 2.
        let answers = [
            (c(1), day(2026, 1, 5), 10),
            (c(1), day(2026, 3, 5), 3),
            (c(2), day(2026, 2, 1), 9),
            (c(2), day(2026, 2, 1), 6),
            (c(3), day(2026, 2, 1), 9),
            (c(4), day(2026, 2, 1), 10),
            (c(5), day(2026, 2, 1), 9),
        ];
        let n = nps_latest(answers);
        assert_eq!((n.responses, n.promoters, n.detractors), (5, 3, 2));
        assert_eq!(n.score, Some(20));
        // Four customers answering many times have no score.
        let few: Vec<_> = (0..20)
            .map(|i| (c(i % 4), day(2026, 1, 1) + chrono::Days::new(i as u64), 10))
            .collect();
        assert_eq!(nps_latest(few).score, None);
    }

    #[test]
    fn an_active_customer_has_a_monthly_deployment_live_or_consumption_in_the_last_90_days() {
        let today = day(2026, 11, 30);
        let since = active_since(today);
        assert_eq!(since, day(2026, 9, 2), "90 days, today included");
        // A one-off deployment keeps its customer active for 90 days, not forever.
        assert!(keeps_active(Billing::OneOff, since, None, today));
        assert!(!keeps_active(
            Billing::OneOff,
            since - chrono::Days::new(1),
            None,
            today
        ));
        // A monthly one while it runs, and for 90 days after it ends.
        assert!(keeps_active(Billing::Monthly, day(2024, 1, 1), None, today));
        assert!(keeps_active(
            Billing::Monthly,
            day(2024, 1, 1),
            Some(since + chrono::Days::new(1)),
            today
        ));
        assert!(!keeps_active(
            Billing::Monthly,
            day(2024, 1, 1),
            Some(since),
            today
        ));
        // Nothing before it starts.
        assert!(!keeps_active(
            Billing::OneOff,
            today + chrono::Days::new(1),
            None,
            today
        ));
        assert!(!keeps_active(
            Billing::Monthly,
            today + chrono::Days::new(1),
            None,
            today
        ));
    }

    #[test]
    fn every_figure_of_the_12_months_has_its_definition_in_both_languages() {
        for (key, en, es) in DEFINITIONS {
            assert!(!en.is_empty() && !es.is_empty() && en != es, "{key}");
        }
        let keys: Vec<&str> = DEFINITIONS.iter().map(|d| d.0).collect();
        assert_eq!(
            keys,
            [
                "active_customers",
                "nps_12_months",
                "retention_12_months",
                "recurring_volume_12_months"
            ]
        );
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
    fn retention_since_joining_says_since_when() {
        let joined = day(2026, 5, 1);
        let r = retention_since_joining([ends(1, true, true), ends(2, true, false)], joined);
        assert_eq!((r.base, r.retained, r.since), (2, 1, Some(joined)));
        assert_eq!(retention([ends(1, true, true)]).since, None);
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
