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
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::deals::{Deal, DealStage, DealStatus};
use crate::entities::{Billing, CustomerId, LedgerKind, PartnerId};
use crate::lang::Lang;
use crate::metrics::{self, Consumption, CustomerEnds, Nps, Retention};
use crate::money::Credits;

/// A calendar quarter: `2026-Q3` is July to September 2026.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(try_from = "String", into = "String")]
#[ts(type = "string")]
pub struct Quarter {
    year: i32,
    number: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a quarter: write it as 2026-Q3")]
pub struct QuarterError(pub String);

impl Quarter {
    /// The quarter `number` (1..=4) of `year`.
    pub fn new(year: i32, number: u8) -> Option<Quarter> {
        ((1..=4).contains(&number) && (1..=9999).contains(&year))
            .then_some(Quarter { year, number })
    }

    /// The quarter holding `day`.
    pub fn of(day: NaiveDate) -> Quarter {
        Quarter {
            year: day.year(),
            number: u8::try_from(day.month0() / 3 + 1).expect("1..=4"),
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn number(self) -> u8 {
        self.number
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, u32::from(self.number - 1) * 3 + 1, 1)
            .expect("a quarter's first day")
    }

    pub fn last_day(self) -> NaiveDate {
        self.first_day()
            .checked_add_months(Months::new(3))
            .and_then(|d| d.pred_opt())
            .expect("a quarter's last day")
    }

    pub fn contains(self, day: NaiveDate) -> bool {
        day >= self.first_day() && day <= self.last_day()
    }

    pub fn previous(self) -> Quarter {
        Quarter::of(self.first_day() - Days::new(1))
    }

    pub fn next(self) -> Quarter {
        Quarter::of(self.last_day() + Days::new(1))
    }

    /// The same quarter a year before.
    pub fn year_before(self) -> Quarter {
        Quarter {
            year: self.year - 1,
            number: self.number,
        }
    }

    /// "Q3 2026" (the same in English and Spanish).
    pub fn label(self) -> String {
        format!("Q{} {}", self.number, self.year)
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-Q{}", self.year, self.number)
    }
}

impl FromStr for Quarter {
    type Err = QuarterError;

    /// `2026-Q3`, `2026Q3` or `2026-q3`.
    fn from_str(s: &str) -> Result<Quarter, QuarterError> {
        let bad = || QuarterError(s.to_string());
        let t = s.trim().to_ascii_uppercase();
        let (year, number) = t.split_once('Q').ok_or_else(bad)?;
        let year: i32 = year.trim_end_matches('-').parse().map_err(|_| bad())?;
        let number: u8 = number.parse().map_err(|_| bad())?;
        Quarter::new(year, number).ok_or_else(bad)
    }
}

impl TryFrom<String> for Quarter {
    type Error = QuarterError;
    fn try_from(s: String) -> Result<Quarter, QuarterError> {
        s.parse()
    }
}

impl From<Quarter> for String {
    fn from(q: Quarter) -> String {
        q.to_string()
    }
}

/// The review's key figures, in the order the review shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Kpi {
    ActiveCustomers,
    NewDeployments,
    DeploymentValue,
    RecurringVolume,
    Nps,
    Retention,
    CreditsBought,
    CreditsConsumed,
    Balance,
    RunwayDays,
}

impl Kpi {
    pub const ALL: [Kpi; 10] = [
        Kpi::ActiveCustomers,
        Kpi::NewDeployments,
        Kpi::DeploymentValue,
        Kpi::RecurringVolume,
        Kpi::Nps,
        Kpi::Retention,
        Kpi::CreditsBought,
        Kpi::CreditsConsumed,
        Kpi::Balance,
        Kpi::RunwayDays,
    ];

    pub fn name(self, lang: Lang) -> &'static str {
        let (en, es) = match self {
            Kpi::ActiveCustomers => ("Active customers", "Clientes activos"),
            Kpi::NewDeployments => ("New deployments", "Despliegues nuevos"),
            Kpi::DeploymentValue => ("Deployment value", "Valor desplegado"),
            Kpi::RecurringVolume => (
                "Recurring activation volume",
                "Volumen de activación recurrente",
            ),
            Kpi::Nps => ("NPS", "NPS"),
            Kpi::Retention => ("Retention", "Retención"),
            Kpi::CreditsBought => ("Credits bought", "Créditos comprados"),
            Kpi::CreditsConsumed => ("Credits consumed", "Créditos consumidos"),
            Kpi::Balance => ("Balance", "Saldo"),
            Kpi::RunwayDays => ("Runway (days)", "Autonomía (días)"),
        };
        match lang {
            Lang::En => en,
            Lang::Es => es,
        }
    }

    /// What the figure is, as the deck's appendix prints it.
    pub fn definition(self, lang: Lang) -> &'static str {
        let (en, es) = match self {
            Kpi::ActiveCustomers => (
                "Customers with at least one active deployment on the quarter's last day, counted for their partner of record that day.",
                "Clientes con al menos un despliegue activo el último día del trimestre, contados para su partner de registro ese día.",
            ),
            Kpi::NewDeployments => (
                "Deployments started during the quarter for customers of the partner on their start day.",
                "Despliegues iniciados durante el trimestre para clientes del partner el día de su inicio.",
            ),
            Kpi::DeploymentValue => (
                "Credits of the deployments started during the quarter (a recurring deployment counts one month); 1 credit = 1 USD of deployment value.",
                "Créditos de los despliegues iniciados durante el trimestre (un despliegue recurrente cuenta un mes); 1 crédito = 1 USD de valor desplegado.",
            ),
            Kpi::RecurringVolume => (
                "Credits consumed during the quarter by recurring (monthly) deployments.",
                "Créditos consumidos durante el trimestre por despliegues recurrentes (mensuales).",
            ),
            Kpi::Nps => (
                "Net Promoter Score of the quarter's survey answers: % promoters (9-10) minus % detractors (0-6), to the whole point; none below 5 answers.",
                "Net Promoter Score de las respuestas del trimestre: % promotores (9-10) menos % detractores (0-6), al punto entero; sin valor con menos de 5 respuestas.",
            ),
            Kpi::Retention => (
                "Of the customers active for the partner on the day before the quarter, the share still active for it on its last day (a customer migrated away counts as lost).",
                "De los clientes activos para el partner el día anterior al trimestre, la proporción aún activa para él su último día (un cliente migrado cuenta como perdido).",
            ),
            Kpi::CreditsBought => (
                "Activation Credits purchased during the quarter.",
                "Créditos de Activación comprados durante el trimestre.",
            ),
            Kpi::CreditsConsumed => (
                "Activation Credits consumed by deployments during the quarter.",
                "Créditos de Activación consumidos por despliegues durante el trimestre.",
            ),
            Kpi::Balance => (
                "The credit balance at the end of the quarter's last day: every ledger line up to then.",
                "El saldo de créditos al cierre del último día del trimestre: todas las líneas del libro hasta entonces.",
            ),
            Kpi::RunwayDays => (
                "Whole days the closing balance lasts at the consumption rate of the quarter's last 30 days.",
                "Días enteros que dura el saldo de cierre al ritmo de consumo de los últimos 30 días del trimestre.",
            ),
        };
        match lang {
            Lang::En => en,
            Lang::Es => es,
        }
    }
}

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
    pub billing: Billing,
    pub credits: Credits,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
}

impl DeploymentFact {
    pub fn is_active_on(&self, day: NaiveDate) -> bool {
        self.started_on <= day && self.ended_on.is_none_or(|end| end > day)
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
        nps: metrics::nps(
            facts
                .nps
                .iter()
                .filter(|n| n.on > start && n.on <= day)
                .map(|n| n.score),
        )
        .score,
        retention: index.retention(start, day).rate,
        recurring_volume: metrics::recurring_volume(&consumptions(facts), day),
    }
}

/// A quarter's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kpis {
    pub active_customers: u32,
    pub new_deployments: u32,
    pub deployment_value: Credits,
    pub recurring_volume: Credits,
    pub nps: Nps,
    pub retention: Retention,
    pub credits_bought: Credits,
    pub credits_consumed: Credits,
    pub balance: Credits,
    pub runway_days: Option<u32>,
}

impl Kpis {
    /// The figure as a decimal (retention as a fraction); None when it has no value.
    pub fn value(&self, kpi: Kpi) -> Option<Decimal> {
        match kpi {
            Kpi::ActiveCustomers => Some(Decimal::from(self.active_customers)),
            Kpi::NewDeployments => Some(Decimal::from(self.new_deployments)),
            Kpi::DeploymentValue => Some(self.deployment_value.amount()),
            Kpi::RecurringVolume => Some(self.recurring_volume.amount()),
            Kpi::Nps => self.nps.score.map(Decimal::from),
            Kpi::Retention => self.retention.rate.map(|r| r.round_dp(4)),
            Kpi::CreditsBought => Some(self.credits_bought.amount()),
            Kpi::CreditsConsumed => Some(self.credits_consumed.amount()),
            Kpi::Balance => Some(self.balance.amount()),
            Kpi::RunwayDays => self.runway_days.map(Decimal::from),
        }
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
                .is_some_and(|list| list.iter().any(|d| d.is_active_on(day)))
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

    fn retention(&self, start: NaiveDate, end: NaiveDate) -> Retention {
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
    metrics::nps(
        facts
            .nps
            .iter()
            .filter(|n| n.on >= first && n.on <= last)
            .map(|n| n.score),
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
/// points and retention in percentage points: only the difference.
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
        Kpi::Nps | Kpi::Retention => None,
        _ if before.is_zero() => None,
        _ => Some((diff / before.abs()).round_dp(4)),
    };
    (Some(diff), relative)
}

/// The review's action items are due inside a quarter; an open one from an earlier quarter is
/// carried over to the next review. `item_quarter` is the quarter an item was written for.
pub fn carried_over(item_quarter: Quarter, done: bool, review: Quarter) -> bool {
    !done && item_quarter < review
}

crate::entities::id_type!(
    /// An action item's id: a UUIDv7 made by the device that wrote it.
    ActionItemId
);

/// Longest an action item's text may be, in characters.
pub const ACTION_TEXT_MAX: usize = 500;
/// Longest an owner's name may be, in characters.
pub const ACTION_OWNER_MAX: usize = 100;

/// One action item of a review: what is to be done, by whom, by when. Written in the review of
/// `quarter`; while not done it is carried over to every later review. Saved whole: the last
/// save to reach the platform wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ActionItem {
    pub id: ActionItemId,
    #[ts(type = "string")]
    pub partner_id: PartnerId,
    /// The review it was written in ("2026-Q3").
    #[cfg_attr(feature = "schema", schemars(with = "String"))]
    pub quarter: Quarter,
    pub text: String,
    pub owner: String,
    pub due_on: NaiveDate,
    pub done: bool,
}

/// Why an action item cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionItemRule {
    #[error("an action item needs a text of at most {ACTION_TEXT_MAX} characters")]
    Text,
    #[error("an action item needs an owner of at most {ACTION_OWNER_MAX} characters")]
    Owner,
    #[error("an action item of {quarter} cannot be due before the quarter begins ({first})")]
    DueBeforeQuarter { quarter: Quarter, first: NaiveDate },
}

impl ActionItem {
    /// The rules every copy applies (the app before saving, the platform on receipt).
    pub fn check(&self) -> Result<(), ActionItemRule> {
        let text = self.text.trim();
        if text.is_empty() || text.chars().count() > ACTION_TEXT_MAX {
            return Err(ActionItemRule::Text);
        }
        let owner = self.owner.trim();
        if owner.is_empty() || owner.chars().count() > ACTION_OWNER_MAX {
            return Err(ActionItemRule::Owner);
        }
        if self.due_on < self.quarter.first_day() {
            return Err(ActionItemRule::DueBeforeQuarter {
                quarter: self.quarter,
                first: self.quarter.first_day(),
            });
        }
        Ok(())
    }

    /// Whether it belongs on the review of `review`: written for it, or open and written earlier.
    pub fn shown_in(&self, review: Quarter) -> bool {
        self.quarter == review || carried_over(self.quarter, self.done, review)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deals::{DealId, DealInput};
    use crate::regions::{Brand, Country};
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }
    fn partner(n: u128) -> PartnerId {
        PartnerId(Uuid::from_u128(n))
    }
    fn customer(n: u128) -> CustomerId {
        CustomerId(Uuid::from_u128(n))
    }
    const ME: u128 = 1;
    const OTHER: u128 = 2;

    fn q(s: &str) -> Quarter {
        s.parse().unwrap()
    }

    #[test]
    fn quarters_parse_print_and_step() {
        let q3 = q("2026-Q3");
        assert_eq!(q3.to_string(), "2026-Q3");
        assert_eq!(q("2026q3"), q3);
        assert_eq!(
            (q3.first_day(), q3.last_day()),
            (day(2026, 7, 1), day(2026, 9, 30))
        );
        assert_eq!(q3.previous(), q("2026-Q2"));
        assert_eq!(q("2026-Q1").previous(), q("2025-Q4"));
        assert_eq!(q("2026-Q4").next(), q("2027-Q1"));
        assert_eq!(q3.year_before(), q("2025-Q3"));
        assert_eq!(Quarter::of(day(2026, 11, 24)), q("2026-Q4"));
        assert_eq!(q("2024-Q1").last_day(), day(2024, 3, 31));
        for bad in ["2026-Q5", "2026-Q0", "Q3", "2026", "", "2026-Q3x"] {
            assert!(bad.parse::<Quarter>().is_err(), "{bad}");
        }
        assert_eq!(serde_json::to_string(&q3).unwrap(), "\"2026-Q3\"");
    }

    /// A small partner, its numbers worked out by hand in the comments.
    fn hand_made() -> Facts {
        let dep = |c: u128, billing, credits: i64, started: NaiveDate, ended: Option<NaiveDate>| {
            DeploymentFact {
                customer: customer(c),
                billing,
                credits: Credits::whole(credits),
                started_on: started,
                ended_on: ended,
            }
        };
        let ledger = |on, kind, billing, credits: i64| LedgerDay {
            on,
            kind,
            billing,
            credits: Credits::whole(credits),
        };
        let fact = |n: u128, partner: u128, moves: Vec<Move>| CustomerFact {
            id: customer(n),
            name: format!("C{n}"),
            partner: super::tests::partner(partner),
            moves,
        };
        Facts {
            partner: partner(ME),
            as_of: day(2026, 11, 24),
            customers: vec![
                fact(10, ME, vec![]),
                fact(11, ME, vec![]),
                // Migrated away on 15 Aug 2026.
                fact(
                    12,
                    OTHER,
                    vec![Move {
                        on: day(2026, 8, 15),
                        from: partner(ME),
                        to: partner(OTHER),
                    }],
                ),
                // Migrated in on 1 Sep 2026.
                fact(
                    13,
                    ME,
                    vec![Move {
                        on: day(2026, 9, 1),
                        from: partner(OTHER),
                        to: partner(ME),
                    }],
                ),
                fact(14, ME, vec![]),
            ],
            deployments: vec![
                dep(10, Billing::Monthly, 100, day(2026, 1, 10), None),
                dep(
                    11,
                    Billing::Monthly,
                    50,
                    day(2026, 2, 1),
                    Some(day(2026, 8, 1)),
                ),
                dep(12, Billing::OneOff, 300, day(2026, 3, 5), None),
                dep(13, Billing::Monthly, 70, day(2026, 5, 1), None),
                dep(14, Billing::OneOff, 40, day(2026, 7, 20), None),
                dep(10, Billing::OneOff, 25, day(2026, 9, 30), None),
                dep(13, Billing::OneOff, 9, day(2026, 8, 1), None), // before it was ours
            ],
            opening_balance: Credits::whole(1_000),
            ledger_from: day(2026, 1, 1),
            ledger: vec![
                ledger(day(2026, 6, 30), LedgerKind::Purchase, None, 500),
                ledger(day(2026, 7, 5), LedgerKind::Purchase, None, 2_000),
                ledger(
                    day(2026, 7, 10),
                    LedgerKind::Consumption,
                    Some(Billing::Monthly),
                    -150,
                ),
                ledger(
                    day(2026, 7, 20),
                    LedgerKind::Consumption,
                    Some(Billing::OneOff),
                    -40,
                ),
                ledger(
                    day(2026, 9, 10),
                    LedgerKind::Consumption,
                    Some(Billing::Monthly),
                    -170,
                ),
                ledger(
                    day(2026, 9, 30),
                    LedgerKind::Consumption,
                    Some(Billing::OneOff),
                    -25,
                ),
                ledger(day(2026, 9, 30), LedgerKind::Adjustment, None, 5),
                ledger(day(2026, 10, 1), LedgerKind::Purchase, None, 9_999),
            ],
            nps: [(10, 10), (11, 9), (13, 3), (14, 8), (10, 6), (12, 9)]
                .iter()
                .enumerate()
                .map(|(i, (c, s))| NpsFact {
                    customer: customer(*c),
                    on: day(2026, 7, 1) + Days::new(i as u64 * 10),
                    score: *s,
                })
                .collect(),
        }
    }

    #[test]
    fn kpis_of_a_hand_made_quarter() {
        let k = kpis(&hand_made(), q("2026-Q3"));
        // 30 Sep: 10 active (2 deployments), 11 ended 1 Aug, 12 migrated away, 13 ours since
        // 1 Sep and active, 14 active → 10, 13, 14.
        assert_eq!(k.active_customers, 3);
        // Started in Q3 for our customers: 14 (20 Jul, 40) and 10 (30 Sep, 25); 13's one of 1 Aug
        // was before it was ours.
        assert_eq!(
            (k.new_deployments, k.deployment_value),
            (2, Credits::whole(65))
        );
        assert_eq!(k.recurring_volume, Credits::whole(320));
        // Six answers: promoters 10, 9, 9; detractors 3, 6 → (3 − 2) / 6 = 16.7 → 17.
        assert_eq!(k.nps.score, Some(17));
        // 30 Jun: 10, 11, 12, (13 was the other partner's) → base 3; 30 Sep: only 10 → 1/3.
        assert_eq!((k.retention.base, k.retention.retained), (3, 1));
        assert_eq!(k.retention.churned, vec![customer(11), customer(12)]);
        assert_eq!(k.credits_bought, Credits::whole(2_000));
        assert_eq!(k.credits_consumed, Credits::whole(385));
        // 1000 + 500 + 2000 − 385 + 5 (the adjustment); 1 Oct's purchase is after.
        assert_eq!(k.balance, Credits::whole(3_120));
        // The last 30 days consumed 170 + 25 = 195: 6.5 a day; 3120 / 6.5 = 480.
        assert_eq!(k.runway_days, Some(480));
        assert_eq!(k.value(Kpi::Retention), Some(Decimal::new(3333, 4)));
    }

    #[test]
    fn the_previous_quarter_counts_the_customer_that_later_moved() {
        let k = kpis(&hand_made(), q("2026-Q2"));
        // 30 Jun: 10, 11, 12 (still ours) are active; 13 belonged to the other partner.
        assert_eq!(k.active_customers, 3);
        // Q2 starts: only 13's deployment of 1 May, not ours then.
        assert_eq!((k.new_deployments, k.deployment_value), (0, Credits::ZERO));
        assert_eq!(k.credits_bought, Credits::whole(500));
        assert_eq!(k.balance, Credits::whole(1_500));
        assert_eq!(k.runway_days, None, "nothing consumed in the last 30 days");
        assert_eq!(k.nps.score, None);
    }

    #[test]
    fn monthly_trend_ends_with_the_quarters_last_month() {
        let m = monthly(&hand_made(), q("2026-Q3"));
        assert_eq!(m.len(), 12);
        assert_eq!(m[0].month, day(2025, 10, 1));
        let sep = &m[11];
        assert_eq!(sep.month, day(2026, 9, 1));
        assert_eq!(sep.active_customers, 3);
        assert_eq!(sep.consumed, Credits::whole(195));
        assert_eq!(sep.balance, Credits::whole(3_120));
        let jul = &m[9];
        assert_eq!(
            (jul.bought, jul.consumed, jul.new_deployments),
            (Credits::whole(2_000), Credits::whole(190), 1)
        );
        // The quarter's months add up to the quarter.
        let k = kpis(&hand_made(), q("2026-Q3"));
        let sum: Credits = m[9..].iter().map(|p| p.consumed).sum();
        assert_eq!(sum, k.credits_consumed);
    }

    #[test]
    fn a_quarter_in_progress_is_measured_to_date() {
        let mut facts = hand_made();
        facts.as_of = day(2026, 9, 10);
        let k = kpis(&facts, q("2026-Q3"));
        // Up to 10 Sep: the 170 of 10 Sep counts, the 25 and the adjustment of 30 Sep do not.
        assert_eq!(k.credits_consumed, Credits::whole(360));
        assert_eq!(k.balance, Credits::whole(3_140));
        // 10 is counted (13 too: ours since 1 Sep), 14 active.
        assert_eq!(k.active_customers, 3);
        assert_eq!(k.new_deployments, 1);
        assert_eq!(
            monthly(&facts, q("2026-Q3"))[11].consumed,
            Credits::whole(170)
        );
    }

    #[test]
    fn progression_metrics_are_the_trailing_year_definitions() {
        let facts = hand_made();
        let m = progression_metrics(&facts, day(2026, 9, 30));
        assert_eq!(m.active_customers, 3);
        // Trailing year from 30 Sep 2025: 10, 11, 12 had no deployment then → no base.
        assert_eq!(m.retention, None);
        // Six answers: 3 promoters, 2 detractors → 17.
        assert_eq!(m.nps, Some(17));
        assert_eq!(m.recurring_volume, Credits::whole(320));
        // On 31 Jan 2027 the base is who was active on 31 Jan 2026: only 10 (11 and 12 start
        // later, 13 was the other partner's), and 10 is still active.
        let later = progression_metrics(&facts, day(2027, 1, 31));
        assert_eq!(later.retention, Some(Decimal::ONE));
    }

    #[test]
    fn migrations_of_the_quarter_in_and_out() {
        let m = migrations(&hand_made(), q("2026-Q3"));
        assert_eq!(
            m.incoming.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
            vec![customer(13)]
        );
        assert_eq!(
            m.outgoing.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
            vec![customer(12)]
        );
        assert!(migrations(&hand_made(), q("2026-Q2")).incoming.is_empty());
    }

    #[test]
    fn detractors_are_customers_whose_last_answer_was_six_or_less() {
        // 10 answered 10 then 6: a detractor now; 13 answered 3.
        assert_eq!(
            detractors(&hand_made(), q("2026-Q3")),
            vec![(customer(13), 3), (customer(10), 6)]
        );
    }

    #[test]
    fn top_customers_rank_by_consumption_and_skip_zero() {
        let list = [
            (customer(1), Credits::whole(5)),
            (customer(2), Credits::whole(50)),
            (customer(3), Credits::ZERO),
            (customer(4), Credits::whole(50)),
        ];
        assert_eq!(
            top_customers(&list, 2),
            vec![
                (customer(2), Credits::whole(50)),
                (customer(4), Credits::whole(50))
            ]
        );
        assert_eq!(top_customers(&list, 10).len(), 3);
    }

    #[test]
    fn change_is_relative_for_amounts_and_in_points_for_scores() {
        let d = |n: i64| Some(Decimal::from(n));
        assert_eq!(
            change(Kpi::ActiveCustomers, d(120), d(100)),
            (d(20), Some(Decimal::new(2, 1)))
        );
        assert_eq!(change(Kpi::Nps, d(40), d(25)), (d(15), None));
        assert_eq!(change(Kpi::Balance, d(10), d(0)), (d(10), None));
        assert_eq!(change(Kpi::Nps, None, d(25)), (None, None));
    }

    #[test]
    fn every_kpi_has_a_definition_in_both_languages() {
        for kpi in Kpi::ALL {
            for lang in [Lang::En, Lang::Es] {
                assert!(kpi.definition(lang).len() > 30, "{kpi:?}");
                assert!(!kpi.name(lang).is_empty());
            }
            assert_ne!(kpi.definition(Lang::En), kpi.definition(Lang::Es));
        }
    }

    #[test]
    fn open_action_items_of_earlier_quarters_are_carried_over() {
        assert!(carried_over(q("2026-Q2"), false, q("2026-Q3")));
        assert!(!carried_over(q("2026-Q2"), true, q("2026-Q3")));
        assert!(!carried_over(q("2026-Q3"), false, q("2026-Q3")));
        let item = ActionItem {
            id: ActionItemId(Uuid::from_u128(9)),
            partner_id: partner(ME),
            quarter: q("2026-Q2"),
            text: "Train the new sales team".into(),
            owner: "Ana".into(),
            due_on: day(2026, 8, 1),
            done: false,
        };
        assert!(item.shown_in(q("2026-Q2")) && item.shown_in(q("2026-Q3")));
        assert!(!item.shown_in(q("2026-Q1")), "not before it was written");
        let done = ActionItem {
            done: true,
            ..item.clone()
        };
        assert!(done.shown_in(q("2026-Q2")) && !done.shown_in(q("2026-Q3")));
    }

    #[test]
    fn an_action_item_needs_a_text_an_owner_and_a_due_date_in_or_after_its_quarter() {
        let item = ActionItem {
            id: ActionItemId(Uuid::from_u128(9)),
            partner_id: partner(ME),
            quarter: q("2026-Q3"),
            text: "Renew the CentroPago bundle".into(),
            owner: "Ana".into(),
            due_on: day(2026, 12, 15),
            done: false,
        };
        assert_eq!(item.check(), Ok(()));
        let with = |f: &dyn Fn(&mut ActionItem)| {
            let mut i = item.clone();
            f(&mut i);
            i.check()
        };
        assert_eq!(with(&|i| i.text = "  ".into()), Err(ActionItemRule::Text));
        assert_eq!(
            with(&|i| i.text = "x".repeat(501)),
            Err(ActionItemRule::Text)
        );
        assert_eq!(
            with(&|i| i.text = "é".repeat(500)),
            Ok(()),
            "characters, not bytes"
        );
        assert_eq!(
            with(&|i| i.owner = String::new()),
            Err(ActionItemRule::Owner)
        );
        assert!(matches!(
            with(&|i| i.due_on = day(2026, 6, 30)),
            Err(ActionItemRule::DueBeforeQuarter { .. })
        ));
        assert_eq!(with(&|i| i.due_on = day(2026, 7, 1)), Ok(()));
    }

    #[test]
    fn deals_are_won_or_lost_in_the_quarter_their_stage_closed() {
        let at = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap();
        let deal = |n: u128, stage, value: i64, registered, since| {
            let mut d = Deal::registered(
                DealInput {
                    id: DealId(Uuid::from_u128(n)),
                    partner_id: partner(ME),
                    company: format!("Co {n}"),
                    domain: None,
                    country: Country::parse("MX").unwrap(),
                    brand: Brand::CentroPago,
                    products: vec![],
                    value: Credits::whole(value),
                    expected_close: None,
                    owner: "ana".into(),
                    notes: String::new(),
                },
                registered,
                "ana",
            );
            d.status = DealStatus::Approved;
            d.stage = stage;
            d.stage_since = since;
            d
        };
        let deals = [
            deal(1, DealStage::Won, 100, at(2026, 5, 1), at(2026, 8, 1)),
            deal(2, DealStage::Lost, 40, at(2026, 5, 1), at(2026, 9, 30)),
            deal(3, DealStage::Won, 7, at(2026, 5, 1), at(2026, 6, 30)), // won in Q2
            deal(4, DealStage::Proposal, 60, at(2026, 7, 1), at(2026, 7, 2)),
            deal(5, DealStage::Won, 9, at(2026, 9, 1), at(2026, 10, 2)), // open at Q3's end
            deal(6, DealStage::Qualified, 1, at(2026, 10, 5), at(2026, 10, 5)), // after Q3
        ];
        let s = deal_summary(&deals, q("2026-Q3"));
        assert_eq!((s.won, s.won_value), (1, Credits::whole(100)));
        assert_eq!((s.lost, s.lost_value), (1, Credits::whole(40)));
        assert_eq!((s.open, s.open_value), (2, Credits::whole(69)));
        assert_eq!(s.win_rate, Some(Decimal::new(5, 1)));
    }
}
