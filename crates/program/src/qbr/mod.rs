//! Quarterly Executive Reviews: the calendar quarter, and every figure of a review defined once.
//!
//! A review compares a partner's quarter with the quarter before and the same quarter a year
//! before. Its figures are computed here from plain facts (the partner's customers and their
//! moves, deployments, a daily ledger summary, survey answers), so the app's screen, the deck and
//! the workbook show the same numbers, and each figure's definition ([`Kpi::definition`]) is the
//! text printed in the deck's appendix.
//!
//! A customer counts for the partner of record on a day: its current partner, unless a migration
//! after that day moved it, then that migration's old partner (as in [`crate::metrics`]).

use std::collections::HashMap;

use chrono::{Datelike, Days, Months, NaiveDate};
use rust_decimal::Decimal;

use crate::deals::{Deal, DealStage, DealStatus};
use crate::entities::{Billing, CustomerId, LedgerKind, PartnerId};
use crate::metrics::{self, Consumption, CustomerEnds, Nps, Retention};
use crate::money::Credits;

mod action_items;
mod kpi;
mod quarter;

pub use action_items::{
    carried_over, ActionItem, ActionItemId, ActionItemRule, ACTION_OWNER_MAX, ACTION_TEXT_MAX,
};
pub use kpi::{Kpi, Kpis};
pub use quarter::{Quarter, QuarterError};

/// A customer that has been the partner's at some point, with its migrations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerFact {
    pub id: CustomerId,
    pub name: String,
    /// Its partner now.
    pub partner: PartnerId,
    /// Its migrations, oldest first.
    pub moves: Vec<Move>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    pub on: NaiveDate,
    pub from: PartnerId,
    pub to: PartnerId,
}

impl CustomerFact {
    /// Its partner of record on `day`.
    pub fn partner_on(&self, day: NaiveDate) -> PartnerId {
        self.moves
            .iter()
            .find(|m| m.on > day)
            .map_or(self.partner, |m| m.from)
    }
}

/// A deployment of one of those customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeploymentFact {
    pub customer: CustomerId,
    /// The partner that made it (the customer's partner of record on its start day).
    pub partner: PartnerId,
    pub billing: Billing,
    pub credits: Credits,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
}

impl DeploymentFact {
    pub fn is_active_on(&self, day: NaiveDate) -> bool {
        self.started_on <= day && self.ended_on.is_none_or(|end| end > day)
    }

    /// Whether it keeps its customer active on `day` ([`metrics::keeps_active`]).
    pub fn keeps_active(&self, day: NaiveDate) -> bool {
        metrics::keeps_active(self.billing, self.started_on, self.ended_on, day)
    }
}

/// The partner's ledger lines of one day and kind (and, for consumptions, billing), summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerDay {
    pub on: NaiveDate,
    pub kind: LedgerKind,
    /// The consumed deployment's billing; None for other kinds.
    pub billing: Option<Billing>,
    /// Signed, as in the ledger: purchases add, consumptions subtract.
    pub credits: Credits,
}

/// One survey answer given to the partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NpsFact {
    pub customer: CustomerId,
    pub on: NaiveDate,
    pub score: u8,
}

/// Everything a partner's review is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub partner: PartnerId,
    /// The day the partner joined the program: a window that begins before it measures retention
    /// over the partner's time in the program.
    pub joined_on: NaiveDate,
    /// The day the data runs to: a quarter still in progress is measured up to it.
    pub as_of: NaiveDate,
    pub customers: Vec<CustomerFact>,
    pub deployments: Vec<DeploymentFact>,
    /// The balance of every ledger line dated before `ledger_from`.
    pub opening_balance: Credits,
    pub ledger_from: NaiveDate,
    /// Ledger days from `ledger_from` on.
    pub ledger: Vec<LedgerDay>,
    pub nps: Vec<NpsFact>,
}

/// The first day the facts of a review of `quarter` must cover: 18 months before the quarter
/// begins, enough for the year-before quarter, the monthly trend, and tier progression (a
/// trailing year, measured now and six months before).
pub fn facts_from(quarter: Quarter) -> NaiveDate {
    quarter
        .first_day()
        .checked_sub_months(Months::new(18))
        .expect("a quarter after year 2")
        - Days::new(1)
}

/// The inputs of tier progression on `day`, by the trailing-year definitions of
/// [`crate::metrics`], from the review's facts.
pub fn progression_metrics(facts: &Facts, day: NaiveDate) -> crate::progression::PartnerMetrics {
    let index = Index::new(facts);
    let start = metrics::trailing_start(day);
    crate::progression::PartnerMetrics {
        active_customers: index.active_customers(day),
        nps: metrics::nps_latest(
            facts
                .nps
                .iter()
                .filter(|n| n.on > start && n.on <= day)
                .map(|n| (n.customer, n.on, n.score)),
        )
        .score,
        retention: index.retention(start, day).rate,
        recurring_volume: metrics::recurring_volume(&consumptions(facts), day),
    }
}

struct Index<'a> {
    facts: &'a Facts,
    by_customer: HashMap<CustomerId, Vec<&'a DeploymentFact>>,
}

impl<'a> Index<'a> {
    fn new(facts: &'a Facts) -> Index<'a> {
        let mut by_customer: HashMap<CustomerId, Vec<&DeploymentFact>> = HashMap::new();
        for d in &facts.deployments {
            by_customer.entry(d.customer).or_default().push(d);
        }
        Index { facts, by_customer }
    }

    /// Whether `c` is the partner's and active on `day`.
    fn active_for_partner(&self, c: &CustomerFact, day: NaiveDate) -> bool {
        c.partner_on(day) == self.facts.partner
            && self
                .by_customer
                .get(&c.id)
                .is_some_and(|list| list.iter().any(|d| d.keeps_active(day)))
    }

    fn active_customers(&self, day: NaiveDate) -> u32 {
        let n = self
            .facts
            .customers
            .iter()
            .filter(|c| self.active_for_partner(c, day))
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Deployments started in [first, last] for customers of the partner on their start day.
    fn started(&self, first: NaiveDate, last: NaiveDate) -> (u32, Credits) {
        let mut count = 0u32;
        let mut value = Credits::ZERO;
        for c in &self.facts.customers {
            for d in self.by_customer.get(&c.id).into_iter().flatten() {
                if d.started_on >= first
                    && d.started_on <= last
                    && c.partner_on(d.started_on) == self.facts.partner
                {
                    count += 1;
                    value = value + d.credits;
                }
            }
        }
        (count, value)
    }

    /// Retention from `start` to `end`; for a partner that joined after `start`, over its time in
    /// the program: the customers it deployed for by `end`.
    fn retention(&self, start: NaiveDate, end: NaiveDate) -> Retention {
        let facts = self.facts;
        if facts.joined_on > start {
            let deployed_for: std::collections::HashSet<CustomerId> = facts
                .deployments
                .iter()
                .filter(|d| d.partner == facts.partner && d.started_on <= end)
                .map(|d| d.customer)
                .collect();
            let ends = facts
                .customers
                .iter()
                .filter(|c| deployed_for.contains(&c.id))
                .map(|c| CustomerEnds {
                    customer: c.id,
                    active_at_start: true,
                    active_at_end: self.active_for_partner(c, end),
                });
            return metrics::retention_since_joining(ends, facts.joined_on);
        }
        metrics::retention(self.facts.customers.iter().map(|c| CustomerEnds {
            customer: c.id,
            active_at_start: self.active_for_partner(c, start),
            active_at_end: self.active_for_partner(c, end),
        }))
    }
}

fn ledger_sum(facts: &Facts, first: NaiveDate, last: NaiveDate, kind: LedgerKind) -> Credits {
    facts
        .ledger
        .iter()
        .filter(|l| l.kind == kind && l.on >= first && l.on <= last)
        .map(|l| l.credits)
        .sum()
}

fn balance_on(facts: &Facts, day: NaiveDate) -> Credits {
    facts.opening_balance
        + facts
            .ledger
            .iter()
            .filter(|l| l.on <= day)
            .map(|l| l.credits)
            .sum::<Credits>()
}

fn nps_between(facts: &Facts, first: NaiveDate, last: NaiveDate) -> Nps {
    metrics::nps_latest(
        facts
            .nps
            .iter()
            .filter(|n| n.on >= first && n.on <= last)
            .map(|n| (n.customer, n.on, n.score)),
    )
}

fn consumptions(facts: &Facts) -> Vec<Consumption> {
    facts
        .ledger
        .iter()
        .filter(|l| l.kind == LedgerKind::Consumption)
        .map(|l| Consumption {
            on: l.on,
            billing: l.billing.unwrap_or(Billing::OneOff),
            credits: -l.credits,
        })
        .collect()
}

/// The last day `quarter` is measured to: its last, or `as_of` while it is in progress.
pub fn measured_to(facts: &Facts, quarter: Quarter) -> NaiveDate {
    quarter.last_day().min(facts.as_of)
}

/// The figures of `quarter`, by the definitions of [`Kpi`] (a quarter in progress to date).
pub fn kpis(facts: &Facts, quarter: Quarter) -> Kpis {
    let index = Index::new(facts);
    let (first, last) = (quarter.first_day(), measured_to(facts, quarter));
    let (new_deployments, deployment_value) = index.started(first, last);
    let consumed = consumptions(facts);
    let recurring_volume = consumed
        .iter()
        .filter(|c| c.billing == Billing::Monthly && quarter.contains(c.on))
        .map(|c| c.credits)
        .sum();
    let balance = balance_on(facts, last);
    let burn = metrics::burn_rate(&consumed, last, metrics::BURN_SHORT_DAYS);
    Kpis {
        active_customers: index.active_customers(last),
        new_deployments,
        deployment_value,
        recurring_volume,
        nps: nps_between(facts, first, last),
        retention: index.retention(first - Days::new(1), last),
        credits_bought: ledger_sum(facts, first, last, LedgerKind::Purchase),
        credits_consumed: -ledger_sum(facts, first, last, LedgerKind::Consumption),
        balance,
        runway_days: metrics::runway_days(balance, burn),
    }
}

/// One month of the review's trend charts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthPoint {
    /// The month's first day.
    pub month: NaiveDate,
    /// On the month's last day.
    pub active_customers: u32,
    pub new_deployments: u32,
    pub consumed: Credits,
    pub bought: Credits,
    /// At the month's end.
    pub balance: Credits,
    pub nps: Nps,
}

/// The twelve months ending with `quarter`'s last, oldest first.
pub fn monthly(facts: &Facts, quarter: Quarter) -> Vec<MonthPoint> {
    let index = Index::new(facts);
    let end = measured_to(facts, quarter);
    (0..12u32)
        .rev()
        .map(|back| {
            let first = (end.with_day(1).expect("day 1"))
                .checked_sub_months(Months::new(back))
                .expect("a month after year 1");
            let last = first
                .checked_add_months(Months::new(1))
                .and_then(|d| d.pred_opt())
                .expect("a month's end")
                .min(end);
            MonthPoint {
                month: first,
                active_customers: index.active_customers(last),
                new_deployments: index.started(first, last).0,
                consumed: -ledger_sum(facts, first, last, LedgerKind::Consumption),
                bought: ledger_sum(facts, first, last, LedgerKind::Purchase),
                balance: balance_on(facts, last),
                nps: nps_between(facts, first, last),
            }
        })
        .collect()
}

/// Customer migrations to and from the partner that took effect in `quarter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrations {
    pub incoming: Vec<(CustomerId, Move)>,
    pub outgoing: Vec<(CustomerId, Move)>,
}

pub fn migrations(facts: &Facts, quarter: Quarter) -> Migrations {
    let mut out = Migrations {
        incoming: Vec::new(),
        outgoing: Vec::new(),
    };
    for c in &facts.customers {
        for m in c.moves.iter().filter(|m| quarter.contains(m.on)) {
            if m.to == facts.partner {
                out.incoming.push((c.id, *m));
            } else if m.from == facts.partner {
                out.outgoing.push((c.id, *m));
            }
        }
    }
    for list in [&mut out.incoming, &mut out.outgoing] {
        list.sort_by_key(|(id, m)| (m.on, *id));
    }
    out
}

/// Customers of the partner whose last answer of the quarter was a detractor's (0–6), with it.
pub fn detractors(facts: &Facts, quarter: Quarter) -> Vec<(CustomerId, u8)> {
    let mut last: HashMap<CustomerId, NpsFact> = HashMap::new();
    for n in facts.nps.iter().filter(|n| quarter.contains(n.on)) {
        let slot = last.entry(n.customer).or_insert(*n);
        if n.on >= slot.on {
            *slot = *n;
        }
    }
    let mut out: Vec<(CustomerId, u8)> = last
        .into_values()
        .filter(|n| n.score <= 6)
        .map(|n| (n.customer, n.score))
        .collect();
    out.sort_by_key(|(id, score)| (*score, *id));
    out
}

/// Deals in and around a quarter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealSummary {
    /// Approved or pending deals not closed (won or lost) by the quarter's end, registered by then.
    pub open: u32,
    pub open_value: Credits,
    /// Closed during the quarter.
    pub won: u32,
    pub won_value: Credits,
    pub lost: u32,
    pub lost_value: Credits,
    /// Won over closed, of the quarter's closed deals.
    pub win_rate: Option<Decimal>,
    /// [`crate::deals::forecast`] of the quarter.
    pub forecast: Credits,
}

/// The quarter's deals: a deal is won (or lost) in the quarter its stage became won (lost).
pub fn deal_summary(deals: &[Deal], quarter: Quarter) -> DealSummary {
    let (first, last) = (quarter.first_day(), quarter.last_day());
    let live = |d: &&Deal| matches!(d.status, DealStatus::Approved | DealStatus::Pending);
    let closed_in = |stage: DealStage| {
        deals
            .iter()
            .filter(live)
            .filter(move |d| d.stage == stage && quarter.contains(d.stage_since.date_naive()))
    };
    let (won, lost): (Vec<&Deal>, Vec<&Deal>) = (
        closed_in(DealStage::Won).collect(),
        closed_in(DealStage::Lost).collect(),
    );
    let open: Vec<&Deal> = deals
        .iter()
        .filter(live)
        .filter(|d| d.registered_at.date_naive() <= last)
        .filter(|d| {
            !matches!(d.stage, DealStage::Won | DealStage::Lost)
                || d.stage_since.date_naive() > last
        })
        .collect();
    let count = |v: &[&Deal]| u32::try_from(v.len()).unwrap_or(u32::MAX);
    let value = |v: &[&Deal]| v.iter().map(|d| d.value).sum::<Credits>();
    DealSummary {
        open: count(&open),
        open_value: value(&open),
        won: count(&won),
        won_value: value(&won),
        lost: count(&lost),
        lost_value: value(&lost),
        win_rate: crate::deals::win_rate(won.len() as u64, lost.len() as u64),
        forecast: crate::deals::forecast(deals, (first, last)),
    }
}

/// Customers of the partner ranked by credits consumed in the quarter (`consumed` holds each
/// customer's consumption of the quarter), the largest first, ties by id, at most `n`.
pub fn top_customers(consumed: &[(CustomerId, Credits)], n: usize) -> Vec<(CustomerId, Credits)> {
    let mut list: Vec<(CustomerId, Credits)> = consumed
        .iter()
        .copied()
        .filter(|(_, c)| *c > Credits::ZERO)
        .collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    list.truncate(n);
    list
}

/// A figure's change against a comparison quarter: the difference, and for counts and amounts
/// the relative change (None when the earlier value is zero or either has no value). NPS moves in
/// points, retention in percentage points and the runway in days: only the difference (a runway
/// falling from 90 to 12 days reads as 78 days fewer, not as "-86.7%").
pub fn change(
    kpi: Kpi,
    now: Option<Decimal>,
    before: Option<Decimal>,
) -> (Option<Decimal>, Option<Decimal>) {
    let (Some(now), Some(before)) = (now, before) else {
        return (None, None);
    };
    let diff = now - before;
    let relative = match kpi {
        Kpi::Nps | Kpi::Retention | Kpi::RunwayDays => None,
        _ if before.is_zero() => None,
        _ => Some((diff / before.abs()).round_dp(4)),
    };
    (Some(diff), relative)
}

#[cfg(test)]
mod tests;
