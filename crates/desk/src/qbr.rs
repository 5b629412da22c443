//! Quarterly Executive Reviews, built from the local cache: the review a screen shows, the deck
//! (PDF, typeset by Typst from `templates/qbr.typ`) and the workbook (XLSX, a sheet per table).
//!
//! SQL gathers a partner's facts ([`program::qbr::Facts`]); every figure is then computed by
//! `program::qbr`, once, and the screen, the deck and the workbook all print that one
//! [`Review`]. Nothing here needs the network.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{Days, NaiveDate, Utc};
use program::benefits::Benefit;
use program::contract::{Billing, CustomerId, LedgerKind, PartnerId};
use program::metrics::Nps;
use program::progression::{Measure, Outlook, ThresholdStatus};
use program::qbr::{
    self, CustomerFact, DeploymentFact, Facts, Kpi, LedgerDay, Move, NpsFact, Quarter,
};
use program::quotes::QuoteLang as Lang;
use program::{Brand, Credits, Tier};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use ts_rs::TS;

use crate::error::{DeskError, Result};
use crate::export::{Cell, Column, ColumnKind, Table};
use crate::pdf::format::{self, format_amount, format_date};
use crate::store::Store;

/// The bundled deck template.
pub const TEMPLATE: &str = include_str!("../templates/qbr.typ");

/// How many customers the review ranks.
pub const TOP_CUSTOMERS: usize = 10;

/// One key figure: this quarter, the one before and the same one a year before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KpiRow {
    pub kpi: Kpi,
    /// Decimal strings (retention as a fraction); null when the figure has no value.
    pub value: Option<String>,
    pub previous: Option<String>,
    pub year_before: Option<String>,
    /// Differences, and relative changes as fractions (null for NPS and retention, which move in
    /// points, and against a zero).
    pub change_previous: Option<String>,
    pub relative_previous: Option<String>,
    pub change_year: Option<String>,
    pub relative_year: Option<String>,
}

/// One month of the review's charts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReviewMonth {
    /// "YYYY-MM".
    pub month: String,
    pub active_customers: u32,
    pub new_deployments: u32,
    pub consumed: String,
    pub bought: String,
    pub balance: String,
    pub nps: Nps,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReviewDeals {
    pub open: u32,
    pub open_value: String,
    pub won: u32,
    pub won_value: String,
    pub lost: u32,
    pub lost_value: String,
    pub win_rate: Option<String>,
    pub forecast: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReviewMigration {
    pub customer: String,
    /// "in" or "out".
    pub direction: String,
    pub other_partner: String,
    pub effective_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TopCustomer {
    pub id: String,
    pub name: String,
    /// Credits consumed in the quarter.
    pub consumed: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Risk {
    /// The customer's last answer of the quarter was 0–6.
    Detractor { customer: String, score: u8 },
    /// Active for the partner when the quarter began, not at its end.
    Churned { customer: String },
    /// The closing runway is under the user's alert threshold.
    LowRunway { days: u32, threshold: u32 },
}

/// A partner's review of a quarter: everything the screen, the deck and the workbook show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Review {
    pub partner_id: String,
    pub partner: String,
    pub tier: Tier,
    pub brands: Vec<Brand>,
    pub account_manager: String,
    pub quarter: String,
    pub previous: String,
    pub year_before: String,
    /// ISO date the figures run to: the quarter's last day, or today while it is in progress.
    pub measured_to: String,
    /// Whether the partner's tier includes QBRs; without, this is an internal review.
    pub qbr_included: bool,
    pub kpis: Vec<KpiRow>,
    pub monthly: Vec<ReviewMonth>,
    pub outlook: Outlook,
    pub next_tier: Option<Tier>,
    /// The next tier's thresholds at the quarter's end, and the gap to each.
    pub progression: Vec<ThresholdStatus>,
    pub deals: ReviewDeals,
    pub migrations: Vec<ReviewMigration>,
    pub top_customers: Vec<TopCustomer>,
    pub risks: Vec<Risk>,
    /// Written in this review, or carried over open from an earlier one.
    pub actions: Vec<ActionItemView>,
}

/// The quarters offered, newest first, and the one to start on (the last that has ended).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReviewQuarters {
    pub quarters: Vec<String>,
    pub default: String,
}

/// Where a review's files were written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReviewFiles {
    pub deck: String,
    pub workbook: String,
}

impl Review {
    pub fn kpi(&self, kpi: Kpi) -> Option<&KpiRow> {
        self.kpis.iter().find(|k| k.kpi == kpi)
    }
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_day(s: &str) -> Result<NaiveDate> {
    s.get(..10)
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| DeskError::Corrupt(format!("date {s:?}")))
}

fn parse_uuid(s: &str, what: &str) -> Result<uuid::Uuid> {
    s.parse()
        .map_err(|_| DeskError::Corrupt(format!("{what} id {s:?}")))
}

fn billing(s: &str) -> Result<Billing> {
    match s {
        "monthly" => Ok(Billing::Monthly),
        "one_off" => Ok(Billing::OneOff),
        other => Err(DeskError::Corrupt(format!("billing {other:?}"))),
    }
}

fn ledger_kind(s: &str) -> Result<LedgerKind> {
    Ok(match s {
        "purchase" => LedgerKind::Purchase,
        "consumption" => LedgerKind::Consumption,
        "migration" => LedgerKind::Migration,
        "adjustment" => LedgerKind::Adjustment,
        other => return Err(DeskError::Corrupt(format!("ledger kind {other:?}"))),
    })
}

/// The customers that have been `partner`'s at some point, as SQL on `?1`.
const THEIR_CUSTOMERS: &str = "SELECT id FROM customers WHERE partner_id = ?1 \
     UNION SELECT customer_id FROM customer_migrations WHERE from_partner_id = ?1 OR to_partner_id = ?1";

/// A partner's facts for a review of `quarter`, as of `as_of`, and the names of its customers.
/// The reads are independent and run side by side on the pool's connections; the ledger, the
/// largest, is read in two halves at once.
pub async fn facts(
    store: &Store,
    partner: PartnerId,
    quarter: Quarter,
    as_of: NaiveDate,
) -> Result<(Facts, HashMap<CustomerId, String>)> {
    let from = qbr::facts_from(quarter);
    let to = quarter.last_day().min(as_of);
    let middle = from + Days::new(u64::try_from((to - from).num_days() / 2).unwrap_or(0));
    let ((customers, names), deployments, opening, early, late, nps) = tokio::try_join!(
        customer_facts(store, partner),
        deployment_facts(store, partner, from, to),
        opening_balance(store, partner, from),
        ledger_days(store, partner, from, middle),
        ledger_days(store, partner, middle, to + Days::new(1)),
        nps_facts(store, partner, from, to),
    )?;
    let mut ledger = early;
    ledger.extend(late);
    Ok((
        Facts {
            partner,
            as_of,
            customers,
            deployments,
            opening_balance: opening,
            ledger_from: from,
            ledger,
            nps,
        },
        names,
    ))
}

async fn customer_facts(
    store: &Store,
    partner: PartnerId,
) -> Result<(Vec<CustomerFact>, HashMap<CustomerId, String>)> {
    let id = partner.to_string();
    let pool = store.pool();
    let mut moves: HashMap<String, Vec<Move>> = HashMap::new();
    for r in sqlx::query(&format!(
        "SELECT customer_id, effective_on, from_partner_id, to_partner_id FROM customer_migrations \
         WHERE customer_id IN ({THEIR_CUSTOMERS}) ORDER BY effective_on, id"
    ))
    .bind(&id)
    .fetch_all(pool)
    .await?
    {
        let customer: String = r.try_get("customer_id")?;
        moves.entry(customer).or_default().push(Move {
            on: parse_day(&r.try_get::<String, _>("effective_on")?)?,
            from: PartnerId(parse_uuid(
                &r.try_get::<String, _>("from_partner_id")?,
                "partner",
            )?),
            to: PartnerId(parse_uuid(
                &r.try_get::<String, _>("to_partner_id")?,
                "partner",
            )?),
        });
    }
    let mut names = HashMap::new();
    let mut customers = Vec::new();
    for r in sqlx::query(&format!(
        "SELECT id, name, partner_id FROM customers WHERE id IN ({THEIR_CUSTOMERS}) ORDER BY id"
    ))
    .bind(&id)
    .fetch_all(pool)
    .await?
    {
        let cid: String = r.try_get("id")?;
        let customer = CustomerId(parse_uuid(&cid, "customer")?);
        let name: String = r.try_get("name")?;
        names.insert(customer, name.clone());
        customers.push(CustomerFact {
            id: customer,
            name,
            partner: PartnerId(parse_uuid(
                &r.try_get::<String, _>("partner_id")?,
                "partner",
            )?),
            moves: moves.remove(&cid).unwrap_or_default(),
        });
    }
    Ok((customers, names))
}

/// Every deployment of the partner's customers (a customer's activity counts for its partner of
/// record whoever deployed) that was live at some point from `from` to `to`.
async fn deployment_facts(
    store: &Store,
    partner: PartnerId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DeploymentFact>> {
    sqlx::query(&format!(
        "SELECT customer_id, billing, credits_minor, started_on, ended_on FROM deployments \
         WHERE customer_id IN ({THEIR_CUSTOMERS}) AND started_on <= ?2 \
           AND (ended_on IS NULL OR ended_on > ?3)"
    ))
    .bind(partner.to_string())
    .bind(iso(to))
    .bind(iso(from))
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(DeploymentFact {
            customer: CustomerId(parse_uuid(
                &r.try_get::<String, _>("customer_id")?,
                "customer",
            )?),
            billing: billing(&r.try_get::<String, _>("billing")?)?,
            credits: Credits::from_minor(r.try_get("credits_minor")?),
            started_on: parse_day(&r.try_get::<String, _>("started_on")?)?,
            ended_on: r
                .try_get::<Option<String>, _>("ended_on")?
                .map(|d| parse_day(&d))
                .transpose()?,
        })
    })
    .collect()
}

async fn opening_balance(store: &Store, partner: PartnerId, from: NaiveDate) -> Result<Credits> {
    let minor: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(credits_minor), 0) FROM ledger_entries WHERE partner_id = ? AND at < ?",
    )
    .bind(partner.to_string())
    .bind(iso(from))
    .fetch_one(store.pool())
    .await?;
    Ok(Credits::from_minor(minor))
}

/// The ledger from `from` up to (not including) `until`, summed per day and kind, consumptions
/// split by their deployment's billing.
async fn ledger_days(
    store: &Store,
    partner: PartnerId,
    from: NaiveDate,
    until: NaiveDate,
) -> Result<Vec<LedgerDay>> {
    sqlx::query(&format!(
        "SELECT substr(l.at, 1, 10) AS on_day, l.kind, {} AS billing, \
                sum(l.credits_minor) AS minor \
         FROM ledger_entries l WHERE l.partner_id = ? AND l.at >= ? AND l.at < ? GROUP BY 1, 2, 3",
        crate::metrics::LINE_BILLING
    ))
    .bind(partner.to_string())
    .bind(iso(from))
    .bind(iso(until))
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(LedgerDay {
            on: parse_day(&r.try_get::<String, _>("on_day")?)?,
            kind: ledger_kind(&r.try_get::<String, _>("kind")?)?,
            billing: r
                .try_get::<Option<String>, _>("billing")?
                .map(|b| billing(&b))
                .transpose()?,
            credits: Credits::from_minor(r.try_get("minor")?),
        })
    })
    .collect()
}

async fn nps_facts(
    store: &Store,
    partner: PartnerId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<NpsFact>> {
    sqlx::query(
        "SELECT customer_id, answered_on, score FROM nps_responses \
         WHERE partner_id = ? AND answered_on >= ? AND answered_on <= ?",
    )
    .bind(partner.to_string())
    .bind(iso(from))
    .bind(iso(to))
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|r| {
        let score: i64 = r.try_get("score")?;
        Ok(NpsFact {
            customer: CustomerId(parse_uuid(
                &r.try_get::<String, _>("customer_id")?,
                "customer",
            )?),
            on: parse_day(&r.try_get::<String, _>("answered_on")?)?,
            score: u8::try_from(score).map_err(|_| DeskError::Corrupt(format!("score {score}")))?,
        })
    })
    .collect()
}

/// Credits each customer consumed from `partner`'s ledger in `quarter` (to `as_of`).
async fn consumption_by_customer(
    store: &Store,
    partner: PartnerId,
    quarter: Quarter,
    as_of: NaiveDate,
) -> Result<Vec<(CustomerId, Credits)>> {
    let to = quarter.last_day().min(as_of) + Days::new(1);
    sqlx::query(
        "SELECT customer_id, -sum(credits_minor) AS minor FROM ledger_entries \
         WHERE partner_id = ? AND kind = 'consumption' AND customer_id IS NOT NULL \
           AND at >= ? AND at < ? GROUP BY customer_id",
    )
    .bind(partner.to_string())
    .bind(iso(quarter.first_day()))
    .bind(iso(to))
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|r| {
        Ok((
            CustomerId(parse_uuid(
                &r.try_get::<String, _>("customer_id")?,
                "customer",
            )?),
            Credits::from_minor(r.try_get("minor")?),
        ))
    })
    .collect()
}

fn decimal(d: Decimal) -> String {
    d.normalize().to_string()
}

fn kpi_rows(facts: &Facts, quarter: Quarter) -> Vec<KpiRow> {
    let now = qbr::kpis(facts, quarter);
    let previous = qbr::kpis(facts, quarter.previous());
    let year = qbr::kpis(facts, quarter.year_before());
    Kpi::ALL
        .iter()
        .map(|&kpi| {
            let (v, p, y) = (now.value(kpi), previous.value(kpi), year.value(kpi));
            let (change_previous, relative_previous) = qbr::change(kpi, v, p);
            let (change_year, relative_year) = qbr::change(kpi, v, y);
            KpiRow {
                kpi,
                value: v.map(decimal),
                previous: p.map(decimal),
                year_before: y.map(decimal),
                change_previous: change_previous.map(decimal),
                relative_previous: relative_previous.map(decimal),
                change_year: change_year.map(decimal),
                relative_year: relative_year.map(decimal),
            }
        })
        .collect()
}

/// `partner`'s review of `quarter` from the cache, as of `as_of` (today).
pub async fn review(
    store: &Store,
    partner: PartnerId,
    quarter: Quarter,
    as_of: NaiveDate,
) -> Result<Review> {
    if quarter.first_day() > as_of {
        return Err(DeskError::InvalidInput {
            field: "quarter",
            reason: format!("{quarter} has not begun"),
        });
    }
    let row = crate::portfolio::row(store, partner).await?;
    let measured_to = quarter.last_day().min(as_of);
    // Independent reads of the cache, side by side on the pool's connections.
    let ((facts, names), policy, deals, consumed, actions) = tokio::try_join!(
        facts(store, partner, quarter, as_of),
        crate::workspace::progression_policy(store),
        crate::deals::deals_of(store, partner),
        consumption_by_customer(store, partner, quarter, as_of),
        action_items(store, partner, quarter, as_of),
    )?;
    let account_manager: String =
        sqlx::query_scalar("SELECT account_manager FROM partners WHERE id = ?")
            .bind(partner.to_string())
            .fetch_one(store.pool())
            .await?;
    // Tier progression at the quarter's end, from the same facts: the trailing year now and six
    // months before (the pace toward each threshold).
    let now = qbr::progression_metrics(&facts, measured_to);
    let then = qbr::progression_metrics(&facts, crate::metrics::pace_start(measured_to));
    let outlook = program::progression::outlook(row.tier, &now, &policy);
    let progression = policy
        .next_thresholds(row.tier)
        .map(|t| program::progression::threshold_statuses(t, &now, &then, measured_to))
        .unwrap_or_default();
    let name = |id: &CustomerId| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let summary = qbr::deal_summary(&deals, quarter);
    let partner_names: HashMap<String, String> =
        sqlx::query_as::<_, (String, String)>("SELECT id, name FROM partners")
            .fetch_all(store.pool())
            .await?
            .into_iter()
            .collect();
    let moved = qbr::migrations(&facts, quarter);
    let migrations = moved
        .incoming
        .iter()
        .map(|m| ("in", m, m.1.from))
        .chain(moved.outgoing.iter().map(|m| ("out", m, m.1.to)))
        .map(|(direction, (customer, m), other)| ReviewMigration {
            customer: name(customer),
            direction: direction.to_string(),
            other_partner: partner_names
                .get(&other.to_string())
                .cloned()
                .unwrap_or_else(|| other.to_string()),
            effective_on: iso(m.on),
        })
        .collect();
    let top_customers = qbr::top_customers(&consumed, TOP_CUSTOMERS)
        .into_iter()
        .map(|(id, credits)| TopCustomer {
            id: id.to_string(),
            name: name(&id),
            consumed: credits.amount().to_string(),
        })
        .collect();
    let kpis = qbr::kpis(&facts, quarter);
    let threshold = crate::settings::get(store).await?.low_runway_days;
    let mut risks: Vec<Risk> = qbr::detractors(&facts, quarter)
        .into_iter()
        .map(|(c, score)| Risk::Detractor {
            customer: name(&c),
            score,
        })
        .collect();
    risks.extend(
        kpis.retention
            .churned
            .iter()
            .map(|c| Risk::Churned { customer: name(c) }),
    );
    if let Some(days) = kpis.runway_days.filter(|d| *d < threshold) {
        risks.push(Risk::LowRunway { days, threshold });
    }
    let money = |c: Credits| c.amount().to_string();
    Ok(Review {
        partner_id: partner.to_string(),
        partner: row.name,
        tier: row.tier,
        brands: row.brands,
        account_manager,
        quarter: quarter.to_string(),
        previous: quarter.previous().to_string(),
        year_before: quarter.year_before().to_string(),
        measured_to: iso(measured_to),
        qbr_included: Benefit::QuarterlyExecutiveReviews
            .for_tier(row.tier)
            .is_granted(),
        kpis: kpi_rows(&facts, quarter),
        monthly: qbr::monthly(&facts, quarter)
            .into_iter()
            .map(|m| ReviewMonth {
                month: m.month.format("%Y-%m").to_string(),
                active_customers: m.active_customers,
                new_deployments: m.new_deployments,
                consumed: money(m.consumed),
                bought: money(m.bought),
                balance: money(m.balance),
                nps: m.nps,
            })
            .collect(),
        outlook,
        next_tier: row.tier.next(),
        progression,
        deals: ReviewDeals {
            open: summary.open,
            open_value: money(summary.open_value),
            won: summary.won,
            won_value: money(summary.won_value),
            lost: summary.lost,
            lost_value: money(summary.lost_value),
            win_rate: summary.win_rate.map(decimal),
            forecast: money(summary.forecast),
        },
        migrations,
        top_customers,
        risks,
        actions,
    })
}

/// The quarters a review can be built for on `as_of`: the current one (to date) and the seven
/// before it, newest first.
pub fn quarters(as_of: NaiveDate) -> Vec<String> {
    let mut q = Quarter::of(as_of);
    let mut out = Vec::new();
    for _ in 0..8 {
        out.push(q.to_string());
        q = q.previous();
    }
    out
}

/// The last quarter that has ended by `as_of`: the one a review is usually for.
pub fn default_quarter(as_of: NaiveDate) -> String {
    Quarter::of(as_of).previous().to_string()
}

pub fn parse_quarter(s: &str) -> Result<Quarter> {
    s.parse()
        .map_err(|e: qbr::QuarterError| DeskError::InvalidInput {
            field: "quarter",
            reason: e.to_string(),
        })
}

fn pick(lang: Lang, en: &str, es: &str) -> String {
    match lang {
        Lang::En => en.to_string(),
        Lang::Es => es.to_string(),
    }
}

// How the review prints numbers. The window (`ui/src/lib/qbr.ts`) follows the same rules and both
// are held to the cases of `ui/src/lib/qbr.cases.json`: counts whole, credits to the hundredth,
// fractions in percent to one decimal ("81.2%", "81,2 %"), NPS and retention changes in points;
// rounded half away from zero; a change carries "+" when it rounds above zero.

/// `value` rounded to `decimals`; zero is never negative (no "-0.0").
fn rounded(value: Decimal, decimals: u32) -> Decimal {
    let r = value.round_dp_with_strategy(decimals, program::money::ROUNDING);
    if r.is_zero() {
        r.abs()
    } else {
        r
    }
}

fn fixed(value: Decimal, decimals: u32, lang: Lang, signed: bool) -> String {
    let r = rounded(value, decimals);
    let text = format_amount(r, decimals, lang);
    if signed && r > Decimal::ZERO {
        format!("+{text}")
    } else {
        text
    }
}

fn percent(fraction: Decimal, lang: Lang, signed: bool) -> String {
    let text = fixed(fraction * Decimal::ONE_HUNDRED, 1, lang, signed);
    match lang {
        Lang::En => format!("{text}%"),
        // Spanish sets the sign apart, with a space that does not break.
        Lang::Es => format!("{text}\u{a0}%"),
    }
}

fn points(text: String, lang: Lang) -> String {
    format!("{text} {}", pick(lang, "pts", "ptos"))
}

fn credit_kpi(kpi: Kpi) -> bool {
    matches!(
        kpi,
        Kpi::DeploymentValue
            | Kpi::RecurringVolume
            | Kpi::CreditsBought
            | Kpi::CreditsConsumed
            | Kpi::Balance
    )
}

fn parsed(value: Option<&str>) -> Option<Decimal> {
    value.and_then(|v| v.parse::<Decimal>().ok())
}

/// A fraction as a percentage to one decimal: "81.2%", "81,2 %".
pub fn format_ratio(fraction: Decimal, lang: Lang) -> String {
    percent(fraction, lang, false)
}

/// A KPI's value as the review prints it; "—" without a value.
pub fn format_kpi(kpi: Kpi, value: Option<&str>, lang: Lang) -> String {
    match parsed(value) {
        None => "—".to_string(),
        Some(v) if kpi == Kpi::Retention => percent(v, lang, false),
        Some(v) => fixed(v, if credit_kpi(kpi) { 2 } else { 0 }, lang, false),
    }
}

/// A change as the review prints it: relative in percent when there is one ("+12.5%"), else
/// the difference, in points for NPS and retention ("+3 pts"); "—" without one.
pub fn format_change(kpi: Kpi, change: Option<&str>, relative: Option<&str>, lang: Lang) -> String {
    if let Some(r) = parsed(relative) {
        return percent(r, lang, true);
    }
    match (parsed(change), kpi) {
        (None, _) => "—".to_string(),
        (Some(c), Kpi::Nps) => points(fixed(c, 0, lang, true), lang),
        (Some(c), Kpi::Retention) => points(fixed(c * Decimal::ONE_HUNDRED, 1, lang, true), lang),
        (Some(c), _) => fixed(c, if credit_kpi(kpi) { 2 } else { 0 }, lang, true),
    }
}

/// A tier progression value (current or required) in its measure's format; "—" without one.
pub fn format_measure(measure: Measure, value: Option<&str>, lang: Lang) -> String {
    match (parsed(value), measure) {
        (None, _) => "—".to_string(),
        (Some(v), Measure::Retention) => percent(v, lang, false),
        (Some(v), Measure::RecurringVolume) => fixed(v, 2, lang, false),
        (Some(v), _) => fixed(v, 0, lang, false),
    }
}

/// The gap to a threshold: retention in points, the others as their measure; "—" without one.
pub fn format_gap(measure: Measure, gap: Option<&str>, lang: Lang) -> String {
    match (parsed(gap), measure) {
        (Some(g), Measure::Retention) => {
            points(fixed(g * Decimal::ONE_HUNDRED, 1, lang, false), lang)
        }
        _ => format_measure(measure, gap, lang),
    }
}

/// A progression measure's name, as the deck and the workbook print it.
pub fn measure_name(measure: Measure, lang: Lang) -> &'static str {
    match (measure, lang) {
        (Measure::ActiveCustomers, Lang::En) => "Active customers",
        (Measure::ActiveCustomers, Lang::Es) => "Clientes activos",
        (Measure::Nps, _) => "NPS",
        (Measure::Retention, Lang::En) => "Retention (12 months)",
        (Measure::Retention, Lang::Es) => "Retención (12 meses)",
        (Measure::RecurringVolume, Lang::En) => "Recurring volume (12 months)",
        (Measure::RecurringVolume, Lang::Es) => "Volumen recurrente (12 meses)",
    }
}

/// The executive summary's lines, in `lang`.
pub fn summary(review: &Review, lang: Lang) -> Vec<String> {
    let q = |s: &str| s.parse::<Quarter>().map(|q| q.label()).unwrap_or_default();
    let mut out = Vec::new();
    for kpi in [
        Kpi::ActiveCustomers,
        Kpi::DeploymentValue,
        Kpi::RecurringVolume,
        Kpi::Nps,
        Kpi::Retention,
        Kpi::Balance,
    ] {
        let Some(row) = review.kpi(kpi) else { continue };
        out.push(format!(
            "{}: {} ({} {} {}; {} {} {})",
            kpi.name(lang),
            format_kpi(kpi, row.value.as_deref(), lang),
            format_change(
                kpi,
                row.change_previous.as_deref(),
                row.relative_previous.as_deref(),
                lang
            ),
            pick(lang, "vs", "vs."),
            q(&review.previous),
            format_change(
                kpi,
                row.change_year.as_deref(),
                row.relative_year.as_deref(),
                lang
            ),
            pick(lang, "vs", "vs."),
            q(&review.year_before),
        ));
    }
    let d = &review.deals;
    out.push(match lang {
        Lang::En => format!(
            "Deals: {} won ({} credits), {} lost, {} open ({} credits).",
            d.won,
            format_amount(d.won_value.parse().unwrap_or_default(), 2, lang),
            d.lost,
            d.open,
            format_amount(d.open_value.parse().unwrap_or_default(), 2, lang)
        ),
        Lang::Es => format!(
            "Oportunidades: {} ganadas ({} créditos), {} perdidas, {} abiertas ({} créditos).",
            d.won,
            format_amount(d.won_value.parse().unwrap_or_default(), 2, lang),
            d.lost,
            d.open,
            format_amount(d.open_value.parse().unwrap_or_default(), 2, lang)
        ),
    });
    out.push(outlook_text(review, lang));
    let risks = review.risks.len();
    out.push(match lang {
        Lang::En => format!("Risks to discuss: {risks}."),
        Lang::Es => format!("Riesgos a tratar: {risks}."),
    });
    out
}

fn tier_name(tier: Tier, lang: Lang) -> String {
    let (en, es) = match tier {
        Tier::Authorized => ("Authorized", "Autorizado"),
        Tier::Specialist => ("Specialist", "Especialista"),
        Tier::Regional => ("Regional", "Regional"),
        Tier::Strategic => ("Strategic", "Estratégico"),
    };
    pick(lang, en, es)
}

fn outlook_text(review: &Review, lang: Lang) -> String {
    match &review.outlook {
        Outlook::AtTop => pick(
            lang,
            "Tier: Strategic, the program's top tier.",
            "Nivel: Estratégico, el más alto del programa.",
        ),
        Outlook::MayBeConsideredForStrategic => pick(
            lang,
            "Tier: meets the thresholds to be considered for Strategic (by invitation).",
            "Nivel: cumple los umbrales para ser considerado Estratégico (por invitación).",
        ),
        Outlook::EligibleForUpgrade { .. } => match lang {
            Lang::En => format!(
                "Tier: eligible for {} — every threshold met.",
                review
                    .next_tier
                    .map(|t| tier_name(t, lang))
                    .unwrap_or_default()
            ),
            Lang::Es => format!(
                "Nivel: elegible para {}: cumple todos los umbrales.",
                review
                    .next_tier
                    .map(|t| tier_name(t, lang))
                    .unwrap_or_default()
            ),
        },
        Outlook::Progressing { next } => {
            let missing = review.progression.iter().filter(|t| !t.met).count();
            match lang {
                Lang::En => format!(
                    "Tier: {} of the thresholds for {} still to meet.",
                    missing,
                    tier_name(*next, lang)
                ),
                Lang::Es => format!(
                    "Nivel: faltan {} de los umbrales para {}.",
                    missing,
                    tier_name(*next, lang)
                ),
            }
        }
    }
}

/// The deck's accent: the partner's first brand's colour, as on its quotes.
fn brand_color(brands: &[Brand]) -> &'static str {
    brands
        .first()
        .map_or("#333333", |b| format::brand_color(*b))
}

fn month_label(month: &str, lang: Lang) -> String {
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const ES: [&str; 12] = [
        "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic",
    ];
    let m: usize = month.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    let year = month.get(2..4).unwrap_or("");
    let names = match lang {
        Lang::En => EN,
        Lang::Es => ES,
    };
    format!("{} {year}", names[(m.clamp(1, 12)) - 1])
}

/// What the deck template receives: every word in `lang`, every number formatted the reader's
/// way, and the chart series as plain numbers (geometry only; the printed figures are the
/// formatted strings).
pub fn deck_data(review: &Review, lang: Lang) -> Result<serde_json::Value> {
    let label = |s: &str| s.parse::<Quarter>().map(|q| q.label()).unwrap_or_default();
    let credits = |s: &str| format_amount(s.parse().unwrap_or_default(), 2, lang);
    let kpis: Vec<serde_json::Value> = review
        .kpis
        .iter()
        .map(|k| {
            serde_json::json!({
                "name": k.kpi.name(lang),
                "definition": k.kpi.definition(lang),
                "value": format_kpi(k.kpi, k.value.as_deref(), lang),
                "previous": format_kpi(k.kpi, k.previous.as_deref(), lang),
                "year_before": format_kpi(k.kpi, k.year_before.as_deref(), lang),
                "change_previous": format_change(k.kpi, k.change_previous.as_deref(), k.relative_previous.as_deref(), lang),
                "change_year": format_change(k.kpi, k.change_year.as_deref(), k.relative_year.as_deref(), lang),
            })
        })
        .collect();
    let series = |f: &dyn Fn(&ReviewMonth) -> String| -> Vec<serde_json::Value> {
        review
            .monthly
            .iter()
            .map(|m| {
                let value = f(m);
                // Whole numbers on a chart: the table beside it has the cents.
                let shown = value
                    .parse::<Decimal>()
                    .map(|v| fixed(v, 0, lang, false))
                    .unwrap_or_default();
                serde_json::json!({ "label": month_label(&m.month, lang), "value": value, "shown": shown })
            })
            .collect()
    };
    let risks: Vec<String> = review
        .risks
        .iter()
        .map(|r| match (r, lang) {
            (Risk::Detractor { customer, score }, Lang::En) => {
                format!("{customer}: last survey answer {score} of 10")
            }
            (Risk::Detractor { customer, score }, Lang::Es) => {
                format!("{customer}: última respuesta de encuesta {score} de 10")
            }
            (Risk::Churned { customer }, Lang::En) => {
                format!("{customer}: no longer an active customer")
            }
            (Risk::Churned { customer }, Lang::Es) => {
                format!("{customer}: ya no es cliente activo")
            }
            (Risk::LowRunway { days, threshold }, Lang::En) => {
                format!("Credit runway of {days} days, under the {threshold}-day alert")
            }
            (Risk::LowRunway { days, threshold }, Lang::Es) => {
                format!("Autonomía de créditos de {days} días, bajo la alerta de {threshold} días")
            }
        })
        .collect();
    let progression: Vec<serde_json::Value> = review
        .progression
        .iter()
        .map(|t| {
            serde_json::json!({
                "measure": measure_name(t.measure, lang),
                "current": format_measure(t.measure, t.current.as_deref(), lang),
                "required": format_measure(t.measure, Some(&t.required), lang),
                "met": t.met,
                "gap": format_gap(t.measure, t.gap.as_deref(), lang),
                "estimated_on": t.estimated_on.as_deref().and_then(|d| d.parse().ok()).map(|d| format_date(d, lang)).unwrap_or_default(),
            })
        })
        .collect();
    let d = &review.deals;
    Ok(serde_json::json!({
        "lang": match lang { Lang::En => "en", Lang::Es => "es" },
        "partner": review.partner,
        "tier": tier_name(review.tier, lang),
        "brands": review.brands.iter().map(|b| b.name()).collect::<Vec<_>>(),
        "color": brand_color(&review.brands),
        "account_manager": review.account_manager,
        "quarter": label(&review.quarter),
        "previous": label(&review.previous),
        "year_before": label(&review.year_before),
        "measured_to": format_date(review.measured_to.parse().map_err(|_| DeskError::Corrupt("measured_to".into()))?, lang),
        "internal": !review.qbr_included,
        "summary": summary(review, lang),
        "kpis": kpis,
        "charts": {
            "active_customers": series(&|m| m.active_customers.to_string()),
            "consumed": series(&|m| m.consumed.clone()),
            "bought": series(&|m| m.bought.clone()),
            "balance": series(&|m| m.balance.clone()),
            "nps": series(&|m| m.nps.score.map(|s| s.to_string()).unwrap_or_default()),
        },
        "outlook": outlook_text(review, lang),
        "progression": progression,
        "deals": {
            "open": d.open.to_string(), "open_value": credits(&d.open_value),
            "won": d.won.to_string(), "won_value": credits(&d.won_value),
            "lost": d.lost.to_string(), "lost_value": credits(&d.lost_value),
            "win_rate": parsed(d.win_rate.as_deref()).map(|w| format_ratio(w, lang)).unwrap_or_else(|| "—".into()),
            "forecast": credits(&d.forecast),
        },
        "migrations": review.migrations.iter().map(|m| serde_json::json!({
            "customer": m.customer,
            "direction": match (m.direction.as_str(), lang) { ("in", Lang::En) => "in", ("in", Lang::Es) => "entrada", (_, Lang::En) => "out", (_, Lang::Es) => "salida" },
            "other": m.other_partner,
            "on": m.effective_on.parse().map(|d| format_date(d, lang)).unwrap_or_default(),
        })).collect::<Vec<_>>(),
        "top_customers": review.top_customers.iter().map(|c| serde_json::json!({
            "name": c.name, "consumed": credits(&c.consumed),
        })).collect::<Vec<_>>(),
        "risks": risks,
        "actions": review.actions.iter().map(|a| serde_json::json!({
            "text": a.text,
            "owner": a.owner,
            "due": a.due_on.parse().map(|d| format_date(d, lang)).unwrap_or_default(),
            "status": match (a.done, a.overdue, lang) {
                (true, _, Lang::En) => "done", (true, _, Lang::Es) => "hecha",
                (false, true, Lang::En) => "overdue", (false, true, Lang::Es) => "vencida",
                (false, false, Lang::En) => "open", (false, false, Lang::Es) => "abierta",
            },
            "carried_over": a.carried_over,
            "from": a.quarter.parse::<Quarter>().map(|q| q.label()).unwrap_or_default(),
        })).collect::<Vec<_>>(),
        "labels": labels(lang),
    }))
}

/// The deck's words.
fn labels(lang: Lang) -> serde_json::Value {
    const WORDS: &[(&str, &str, &str)] = &[
        ("title", "Quarterly Executive Review", "Revisión Ejecutiva Trimestral"),
        ("internal", "Internal review — this partner's tier does not include Quarterly Executive Reviews", "Revisión interna: el nivel de este partner no incluye Revisiones Ejecutivas Trimestrales"),
        ("summary", "Executive summary", "Resumen ejecutivo"),
        ("kpis", "Key figures", "Cifras clave"),
        ("figure", "Figure", "Cifra"),
        ("change", "Change", "Cambio"),
        ("trends", "Monthly trends", "Tendencias mensuales"),
        ("active_customers", "Active customers at month end", "Clientes activos a fin de mes"),
        ("credits", "Credits consumed and bought", "Créditos consumidos y comprados"),
        ("consumed", "consumed", "consumidos"),
        ("bought", "bought", "comprados"),
        ("balance", "Credit balance at month end", "Saldo de créditos a fin de mes"),
        ("nps", "NPS of the month", "NPS del mes"),
        ("nps_note", "no score below 5 answers", "sin valor con menos de 5 respuestas"),
        ("negative", "below zero in red", "bajo cero en rojo"),
        ("tier", "Tier progression", "Progresión de nivel"),
        ("measure", "Measure", "Medida"),
        ("current", "Now", "Actual"),
        ("required", "Required", "Requerido"),
        ("met", "Met", "Cumplido"),
        ("gap", "Gap", "Falta"),
        ("yes", "yes", "sí"),
        ("no", "no", "no"),
        ("estimated", "Reached by", "Se alcanza el"),
        ("pipeline", "Territory pipeline", "Pipeline del territorio"),
        ("open", "Open deals", "Oportunidades abiertas"),
        ("won", "Won in the quarter", "Ganadas en el trimestre"),
        ("lost", "Lost in the quarter", "Perdidas en el trimestre"),
        ("win_rate", "Win rate", "Tasa de éxito"),
        ("forecast", "Forecast of the quarter", "Previsión del trimestre"),
        ("deals", "deals", "oportunidades"),
        ("credits_unit", "credits", "créditos"),
        ("migrations", "Customer migrations", "Migraciones de clientes"),
        ("no_migrations", "No customer moved in or out this quarter.", "Ningún cliente entró ni salió este trimestre."),
        ("direction", "Direction", "Sentido"),
        ("other", "Other partner", "Otro partner"),
        ("on", "Effective", "Vigente desde"),
        ("top", "Top customers by credits consumed", "Principales clientes por créditos consumidos"),
        ("customer", "Customer", "Cliente"),
        ("no_top", "No customer consumed credits this quarter.", "Ningún cliente consumió créditos este trimestre."),
        ("risks", "Risks", "Riesgos"),
        ("no_risks", "No risk flagged this quarter.", "Ningún riesgo señalado este trimestre."),
        ("actions", "Action items", "Acciones acordadas"),
        ("no_actions", "No action item yet.", "Aún no hay acciones."),
        ("action", "Action", "Acción"),
        ("owner", "Owner", "Responsable"),
        ("due", "Due", "Vence"),
        ("status", "Status", "Estado"),
        ("carried_from", "carried over from", "arrastrada de"),
        ("appendix", "Appendix: definitions", "Anexo: definiciones"),
        ("measured_to", "Figures to", "Cifras al"),
        ("account_manager", "Account manager", "Gerente de cuenta"),
        ("source", "Built from the Partner Desk cache; every figure is defined in the appendix.", "Elaborado con la caché de Partner Desk; cada cifra se define en el anexo."),
    ];
    WORDS
        .iter()
        .map(|(key, en, es)| (key.to_string(), serde_json::Value::from(pick(lang, en, es))))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Renders `review`'s deck in `lang` into `path` (all or nothing). Blocking.
pub fn write_deck(review: &Review, lang: Lang, template: &str, path: &Path) -> Result<()> {
    let data = deck_data(review, lang)?;
    let rendered = crate::pdf::render(template, &data, Utc::now().date_naive()).map_err(|e| {
        DeskError::InvalidInput {
            field: "template",
            reason: e.to_string(),
        }
    })?;
    for warning in &rendered.warnings {
        tracing::warn!(%warning, "deck template");
    }
    crate::export::write_atomically(path, |file| {
        use std::io::Write;
        file.write_all(&rendered.pdf)?;
        Ok(())
    })
}

/// One of a KPI row's figures.
type Figure = fn(&KpiRow) -> &Option<String>;

/// The workbook's sheets: the tables behind every figure of the deck.
pub fn workbook(review: &Review, lang: Lang) -> Result<Vec<Table>> {
    let p = |en: &str, es: &str| pick(lang, en, es);
    let credits = |s: &str| -> Cell {
        s.parse::<Decimal>()
            .ok()
            .and_then(|d| Credits::new(d).ok())
            .map_or(Cell::Empty, Cell::Credits)
    };
    let fraction =
        |v: &Option<String>| -> Cell { parsed(v.as_deref()).map_or(Cell::Empty, Cell::Percent) };
    // A figure in its kind's column: counts as integers, credits as credits, retention (and its
    // change, in points) as a fraction.
    let kind = |kpi: Kpi| match kpi {
        Kpi::Retention => ColumnKind::Percent,
        k if credit_kpi(k) => ColumnKind::Credits,
        _ => ColumnKind::Integer,
    };
    let typed = |kpi: Kpi, v: &Option<String>| -> Cell {
        match kind(kpi) {
            ColumnKind::Percent => fraction(v),
            ColumnKind::Credits => v.as_deref().map_or(Cell::Empty, credits),
            _ => parsed(v.as_deref())
                .filter(|d| d.fract().is_zero())
                .and_then(|d| i64::try_from(d).ok())
                .map_or(Cell::Empty, Cell::Integer),
        }
    };
    // One row per quarter and one column per figure, so that each column holds one kind.
    let mut kpis = Table::new(
        p("Key figures", "Cifras clave"),
        std::iter::once(Column::new(p("Quarter", "Trimestre"), ColumnKind::Text))
            .chain(
                review
                    .kpis
                    .iter()
                    .map(|k| Column::new(k.kpi.name(lang), kind(k.kpi))),
            )
            .collect(),
    );
    let label = |q: &str| q.parse::<Quarter>().map(|q| q.label()).unwrap_or_default();
    let rows: [(String, Figure); 5] = [
        (label(&review.quarter), |k| &k.value),
        (label(&review.previous), |k| &k.previous),
        (label(&review.year_before), |k| &k.year_before),
        (
            format!(
                "{} {}",
                p("Change vs", "Cambio vs."),
                label(&review.previous)
            ),
            |k| &k.change_previous,
        ),
        (
            format!(
                "{} {}",
                p("Change vs", "Cambio vs."),
                label(&review.year_before)
            ),
            |k| &k.change_year,
        ),
    ];
    for (name, of) in rows {
        kpis.push_row(
            std::iter::once(Cell::Text(name))
                .chain(review.kpis.iter().map(|k| typed(k.kpi, of(k))))
                .collect(),
        )?;
    }
    let mut definitions = Table::new(
        p("Definitions", "Definiciones"),
        vec![
            Column::new(p("Figure", "Cifra"), ColumnKind::Text),
            Column::new(
                format!(
                    "{} {}",
                    p("Relative vs", "Relativo vs."),
                    label(&review.previous)
                ),
                ColumnKind::Percent,
            ),
            Column::new(
                format!(
                    "{} {}",
                    p("Relative vs", "Relativo vs."),
                    label(&review.year_before)
                ),
                ColumnKind::Percent,
            ),
            Column::new(p("Definition", "Definición"), ColumnKind::Text),
        ],
    );
    for k in &review.kpis {
        definitions.push_row(vec![
            Cell::Text(k.kpi.name(lang).to_string()),
            fraction(&k.relative_previous),
            fraction(&k.relative_year),
            Cell::Text(k.kpi.definition(lang).to_string()),
        ])?;
    }
    let mut monthly = Table::new(
        p("Monthly trends", "Tendencias mensuales"),
        vec![
            Column::new(p("Month", "Mes"), ColumnKind::Text),
            Column::new(
                p("Active customers", "Clientes activos"),
                ColumnKind::Integer,
            ),
            Column::new(
                p("New deployments", "Despliegues nuevos"),
                ColumnKind::Integer,
            ),
            Column::new(
                p("Credits consumed", "Créditos consumidos"),
                ColumnKind::Credits,
            ),
            Column::new(
                p("Credits bought", "Créditos comprados"),
                ColumnKind::Credits,
            ),
            Column::new(
                p("Balance at month end", "Saldo a fin de mes"),
                ColumnKind::Credits,
            ),
            Column::new("NPS", ColumnKind::Integer),
            Column::new(p("NPS answers", "Respuestas NPS"), ColumnKind::Integer),
        ],
    );
    for m in &review.monthly {
        monthly.push_row(vec![
            Cell::Text(m.month.clone()),
            Cell::Integer(i64::from(m.active_customers)),
            Cell::Integer(i64::from(m.new_deployments)),
            credits(&m.consumed),
            credits(&m.bought),
            credits(&m.balance),
            m.nps
                .score
                .map_or(Cell::Empty, |s| Cell::Integer(i64::from(s))),
            Cell::Integer(i64::from(m.nps.responses)),
        ])?;
    }
    // Progression values hold several kinds in one column: written as the review prints them.
    let mut progression = Table::new(
        p("Tier progression", "Progresión de nivel"),
        vec![
            Column::new(p("Measure", "Medida"), ColumnKind::Text),
            Column::new(p("Now", "Actual"), ColumnKind::Text),
            Column::new(p("Required", "Requerido"), ColumnKind::Text),
            Column::new(p("Gap", "Falta"), ColumnKind::Text),
            Column::new(p("Met", "Cumplido"), ColumnKind::Text),
            Column::new(p("Reached by", "Se alcanza el"), ColumnKind::Date),
        ],
    );
    for t in &review.progression {
        progression.push_row(vec![
            Cell::Text(measure_name(t.measure, lang).to_string()),
            Cell::Text(format_measure(t.measure, t.current.as_deref(), lang)),
            Cell::Text(format_measure(t.measure, Some(&t.required), lang)),
            Cell::Text(format_gap(t.measure, t.gap.as_deref(), lang)),
            Cell::Text(if t.met {
                p("yes", "sí")
            } else {
                p("no", "no")
            }),
            t.estimated_on
                .as_deref()
                .and_then(|d| d.parse().ok())
                .map_or(Cell::Empty, Cell::Date),
        ])?;
    }
    let d = &review.deals;
    let mut deals = Table::new(
        p("Pipeline", "Pipeline"),
        vec![
            Column::new(p("Deals", "Oportunidades"), ColumnKind::Text),
            Column::new(p("Count", "Cantidad"), ColumnKind::Integer),
            Column::new(p("Credits", "Créditos"), ColumnKind::Credits),
        ],
    );
    for (what, count, value) in [
        (p("Open", "Abiertas"), Some(d.open), &d.open_value),
        (
            p("Won in the quarter", "Ganadas en el trimestre"),
            Some(d.won),
            &d.won_value,
        ),
        (
            p("Lost in the quarter", "Perdidas en el trimestre"),
            Some(d.lost),
            &d.lost_value,
        ),
        (
            p("Forecast of the quarter", "Previsión del trimestre"),
            None,
            &d.forecast,
        ),
    ] {
        deals.push_row(vec![
            Cell::Text(what),
            count.map_or(Cell::Empty, |c| Cell::Integer(i64::from(c))),
            credits(value),
        ])?;
    }
    let mut migrations = Table::new(
        p("Migrations", "Migraciones"),
        vec![
            Column::new(p("Customer", "Cliente"), ColumnKind::Text),
            Column::new(p("Direction", "Sentido"), ColumnKind::Text),
            Column::new(p("Other partner", "Otro partner"), ColumnKind::Text),
            Column::new(p("Effective", "Vigente desde"), ColumnKind::Date),
        ],
    );
    for m in &review.migrations {
        migrations.push_row(vec![
            Cell::Text(m.customer.clone()),
            Cell::Text(m.direction.clone()),
            Cell::Text(m.other_partner.clone()),
            m.effective_on.parse().map_or(Cell::Empty, Cell::Date),
        ])?;
    }
    let mut top = Table::new(
        p("Top customers", "Principales clientes"),
        vec![
            Column::new(p("Customer", "Cliente"), ColumnKind::Text),
            Column::new(
                p("Credits consumed", "Créditos consumidos"),
                ColumnKind::Credits,
            ),
        ],
    );
    for c in &review.top_customers {
        top.push_row(vec![Cell::Text(c.name.clone()), credits(&c.consumed)])?;
    }
    let mut risks = Table::new(
        p("Risks", "Riesgos"),
        vec![
            Column::new(p("Risk", "Riesgo"), ColumnKind::Text),
            Column::new(p("Customer", "Cliente"), ColumnKind::Text),
            Column::new(
                p("Last survey answer", "Última respuesta"),
                ColumnKind::Integer,
            ),
            Column::new(p("Runway (days)", "Autonomía (días)"), ColumnKind::Integer),
            Column::new(
                p("Low-runway alert (days)", "Alerta de autonomía baja (días)"),
                ColumnKind::Integer,
            ),
        ],
    );
    for r in &review.risks {
        let int = |n: u32| Cell::Integer(i64::from(n));
        risks.push_row(match r {
            Risk::Detractor { customer, score } => vec![
                Cell::Text(p("Detractor", "Detractor")),
                Cell::Text(customer.clone()),
                int(u32::from(*score)),
                Cell::Empty,
                Cell::Empty,
            ],
            Risk::Churned { customer } => vec![
                Cell::Text(p("No longer active", "Ya no activo")),
                Cell::Text(customer.clone()),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
            ],
            Risk::LowRunway { days, threshold } => vec![
                Cell::Text(p("Low credit runway", "Autonomía de créditos baja")),
                Cell::Empty,
                Cell::Empty,
                int(*days),
                int(*threshold),
            ],
        })?;
    }
    let mut actions = Table::new(
        p("Action items", "Acciones acordadas"),
        vec![
            Column::new(p("Action", "Acción"), ColumnKind::Text),
            Column::new(p("Owner", "Responsable"), ColumnKind::Text),
            Column::new(p("Due", "Vence"), ColumnKind::Date),
            Column::new(p("Status", "Estado"), ColumnKind::Text),
            Column::new(p("Written in", "Escrita en"), ColumnKind::Text),
            Column::new(p("Carried over", "Arrastrada"), ColumnKind::Text),
        ],
    );
    for a in &review.actions {
        actions.push_row(vec![
            Cell::Text(a.text.clone()),
            Cell::Text(a.owner.clone()),
            a.due_on.parse().map_or(Cell::Empty, Cell::Date),
            Cell::Text(match (a.done, a.overdue) {
                (true, _) => p("done", "hecha"),
                (false, true) => p("overdue", "vencida"),
                (false, false) => p("open", "abierta"),
            }),
            Cell::Text(label(&a.quarter)),
            Cell::Text(if a.carried_over {
                p("yes", "sí")
            } else {
                p("no", "no")
            }),
        ])?;
    }
    Ok(vec![
        kpis,
        definitions,
        monthly,
        progression,
        deals,
        migrations,
        top,
        risks,
        actions,
    ])
}

/// The file name of a partner's deck or workbook: `QBR-2026-Q3-<partner>.pdf`.
pub fn file_name(review: &Review, extension: &str) -> String {
    let partner: String = review
        .partner
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    format!("QBR-{}-{partner}.{extension}", review.quarter)
}

/// Writes the deck and the workbook of `review` into `dir`; returns their paths.
pub async fn export(
    review: Review,
    lang: Lang,
    template: Option<PathBuf>,
    dir: &Path,
) -> Result<(PathBuf, PathBuf)> {
    let template = match template.filter(|t| t.exists()) {
        Some(path) => tokio::fs::read_to_string(path).await?,
        None => TEMPLATE.to_string(),
    };
    let deck = dir.join(file_name(&review, "pdf"));
    let book = dir.join(file_name(&review, "xlsx"));
    let (d, b) = (deck.clone(), book.clone());
    tokio::task::spawn_blocking(move || -> Result<()> {
        write_deck(&review, lang, &template, &d)?;
        crate::export::write_workbook(&workbook(&review, lang)?, &b)
    })
    .await
    .map_err(|e| DeskError::Io(std::io::Error::other(e)))??;
    Ok((deck, book))
}

/// The outbox's name for action items.
const ACTION_ENTITY: &str = "action_item";

/// An action item as a review shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ActionItemView {
    pub id: String,
    /// The review it was written in.
    pub quarter: String,
    pub text: String,
    pub owner: String,
    /// ISO date.
    pub due_on: String,
    pub done: bool,
    /// Written in an earlier review and still open.
    pub carried_over: bool,
    /// Saved on this device, not yet accepted by the platform.
    pub pending: bool,
    /// Open and past its due date (on the review's last measured day).
    pub overdue: bool,
}

/// A new action item (no id) or a change to one, from the review screen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ActionItemForm {
    pub partner_id: String,
    pub id: Option<String>,
    /// The review it is written in ("2026-Q3"); an existing item keeps its own.
    pub quarter: String,
    pub text: String,
    pub owner: String,
    /// ISO date.
    pub due_on: String,
    pub done: bool,
}

fn view_of(
    item: &qbr::ActionItem,
    review: Quarter,
    pending: bool,
    today: NaiveDate,
) -> ActionItemView {
    ActionItemView {
        id: item.id.to_string(),
        quarter: item.quarter.to_string(),
        text: item.text.clone(),
        owner: item.owner.clone(),
        due_on: iso(item.due_on),
        done: item.done,
        carried_over: qbr::carried_over(item.quarter, item.done, review),
        pending,
        overdue: !item.done && item.due_on < today,
    }
}

/// Every action item of `partner`: the platform's copy with this device's pending saves on top.
async fn all_action_items(
    store: &Store,
    partner: PartnerId,
) -> Result<Vec<(qbr::ActionItem, bool)>> {
    let mut items: Vec<(qbr::ActionItem, bool)> = Vec::new();
    for data in sqlx::query_scalar::<_, String>(
        "SELECT data FROM action_items WHERE partner_id = ? ORDER BY id",
    )
    .bind(partner.to_string())
    .fetch_all(store.pool())
    .await?
    {
        items.push((
            serde_json::from_str(&data)
                .map_err(|e| DeskError::Corrupt(format!("action item: {e}")))?,
            false,
        ));
    }
    for payload in sqlx::query_scalar::<_, String>(
        "SELECT payload FROM outbox WHERE entity = ? AND status = 'pending' ORDER BY seq",
    )
    .bind(ACTION_ENTITY)
    .fetch_all(store.pool())
    .await?
    {
        let kind: program::contract::MutationKind = serde_json::from_str(&payload)
            .map_err(|e| DeskError::Corrupt(format!("outbox payload: {e}")))?;
        if let program::contract::MutationKind::SaveActionItem { item } = kind {
            if item.partner_id != partner {
                continue;
            }
            match items.iter_mut().find(|(i, _)| i.id == item.id) {
                Some(slot) => *slot = (item, true),
                None => items.push((item, true)),
            }
        }
    }
    Ok(items)
}

/// The action items on `partner`'s review of `quarter`: written in it, or carried over open from
/// an earlier one. Open items first, by due date.
pub async fn action_items(
    store: &Store,
    partner: PartnerId,
    quarter: Quarter,
    today: NaiveDate,
) -> Result<Vec<ActionItemView>> {
    let mut shown: Vec<ActionItemView> = all_action_items(store, partner)
        .await?
        .iter()
        .filter(|(i, _)| i.shown_in(quarter))
        .map(|(i, pending)| view_of(i, quarter, *pending, today))
        .collect();
    shown.sort_by(|a, b| {
        (a.done, &a.due_on, &a.text, &a.id).cmp(&(b.done, &b.due_on, &b.text, &b.id))
    });
    Ok(shown)
}

/// Saves an action item on this device (queued for the platform) after the program's checks;
/// nothing is queued when one fails.
pub async fn save_action_item(
    store: &Store,
    form: &ActionItemForm,
    today: NaiveDate,
) -> Result<ActionItemView> {
    let partner = crate::partners::parse_id(&form.partner_id)?;
    crate::partners::ensure_exists(store, partner).await?;
    let review = parse_quarter(&form.quarter)?;
    let existing = match &form.id {
        Some(id) => {
            let id = qbr::ActionItemId(id.parse().map_err(|_| DeskError::InvalidInput {
                field: "id",
                reason: format!("{id:?} is not an action item id"),
            })?);
            let found = all_action_items(store, partner)
                .await?
                .into_iter()
                .find(|(i, _)| i.id == id)
                .ok_or_else(|| DeskError::NotFound {
                    what: format!("action item {id}"),
                })?;
            Some(found.0)
        }
        None => None,
    };
    let due_on: NaiveDate = form
        .due_on
        .trim()
        .parse()
        .map_err(|_| DeskError::InvalidInput {
            field: "due_on",
            reason: format!("{:?} is not a date (YYYY-MM-DD)", form.due_on),
        })?;
    let item = qbr::ActionItem {
        id: existing
            .as_ref()
            .map_or_else(|| qbr::ActionItemId(uuid::Uuid::now_v7()), |e| e.id),
        partner_id: partner,
        quarter: existing.as_ref().map_or(review, |e| e.quarter),
        text: form.text.trim().to_string(),
        owner: form.owner.trim().to_string(),
        due_on,
        done: form.done,
    };
    item.check().map_err(|rule| DeskError::InvalidInput {
        field: match rule {
            qbr::ActionItemRule::Text => "text",
            qbr::ActionItemRule::Owner => "owner",
            qbr::ActionItemRule::DueBeforeQuarter { .. } => "due_on",
        },
        reason: rule.to_string(),
    })?;
    let mut w = crate::outbox::LocalWrite::begin(store).await?;
    w.enqueue(
        ACTION_ENTITY,
        &item.id.to_string(),
        &program::contract::MutationKind::SaveActionItem { item: item.clone() },
        None,
    )
    .await?;
    w.commit().await?;
    tracing::info!("saved an action item");
    Ok(view_of(&item, review, true, today))
}
