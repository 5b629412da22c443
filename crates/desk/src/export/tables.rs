//! The tables the app exports: a partner's ledger, customers and deployments, read from the cache
//! (SELECTs only), and the portfolio, from the rows the screen already shows.
//!
//! Amounts come from their integer minor units, so every value is exact; codes (tiers, kinds,
//! billing) are exported as stored.

use chrono::{DateTime, NaiveDate, Utc};
use program::contract::PartnerId;
use program::{Credits, Currency, Money};
use rust_decimal::Decimal;

use super::headers::{Lang, Text};
use super::{Cell, Column, ColumnKind, Table};
use crate::error::{DeskError, Result};
use crate::store::Store;
use crate::views::PortfolioRow;

/// The partners shown, one row each, in the order given.
pub fn portfolio(rows: &[PortfolioRow], lang: Lang) -> Result<Table> {
    let mut table = Table::new(
        Text::Portfolio.get(lang),
        columns(
            lang,
            &[
                (Text::Partner, ColumnKind::Text),
                (Text::Tier, ColumnKind::Text),
                (Text::Discount, ColumnKind::Percent),
                (Text::Region, ColumnKind::Text),
                (Text::Country, ColumnKind::Text),
                (Text::Brands, ColumnKind::Text),
                (Text::ActiveCustomers, ColumnKind::Integer),
                (Text::Nps, ColumnKind::Integer),
                (Text::NpsResponses, ColumnKind::Integer),
                (Text::Retention, ColumnKind::Percent),
                (Text::RecurringVolume, ColumnKind::Credits),
                (Text::CreditBalance, ColumnKind::Credits),
                (Text::RunwayDays, ColumnKind::Integer),
            ],
        ),
    );
    for row in rows {
        let volume = decimal("recurring volume", &row.recurring_volume)?;
        let volume = Credits::new(volume).map_err(|e| DeskError::Corrupt(e.to_string()))?;
        let balance = decimal("credit balance", &row.credit_balance)?;
        let balance = Credits::new(balance).map_err(|e| DeskError::Corrupt(e.to_string()))?;
        let brands: Vec<&str> = row.brands.iter().map(|b| b.name()).collect();
        table.push_row(vec![
            Cell::Text(row.name.clone()),
            Cell::Text(row.tier.as_str().into()),
            Cell::Percent(decimal("discount rate", &row.discount_rate)?),
            Cell::Text(row.region.as_str().into()),
            Cell::Text(row.country.clone()),
            Cell::Text(brands.join(", ")),
            Cell::Integer(row.active_customers.into()),
            row.nps.map_or(Cell::Empty, |n| Cell::Integer(n.into())),
            Cell::Integer(row.nps_responses.into()),
            match &row.retention {
                Some(r) => Cell::Percent(decimal("retention", r)?),
                None => Cell::Empty,
            },
            Cell::Credits(volume),
            Cell::Credits(balance),
            row.runway_days
                .map_or(Cell::Empty, |d| Cell::Integer(d.into())),
        ])?;
    }
    Ok(table)
}

struct LedgerLine {
    at: String,
    kind: String,
    credits_minor: i64,
    fiat_minor: Option<i64>,
    fiat_currency: Option<String>,
    rate: Option<String>,
    deployment_id: Option<String>,
    customer_id: Option<String>,
    customer: Option<String>,
}

/// Every line of the partner's credit ledger, oldest first (by time, then id). Its credits add
/// up to the partner's balance.
pub async fn ledger(store: &Store, partner: PartnerId, lang: Lang) -> Result<Table> {
    crate::portfolio::partner::ensure_exists(store, partner).await?;
    let partner_text = partner.to_string();
    let lines = sqlx::query_as!(
        LedgerLine,
        r#"SELECT l.at, l.kind, l.credits_minor, l.fiat_minor, l.fiat_currency, l.rate,
                  l.deployment_id, l.customer_id, c.name AS "customer?"
           FROM ledger_entries l LEFT JOIN customers c ON c.id = l.customer_id
           WHERE l.partner_id = ? ORDER BY l.at, l.id"#,
        partner_text
    )
    .fetch_all(store.pool())
    .await?;
    let mut table = Table::new(
        Text::Ledger.get(lang),
        columns(
            lang,
            &[
                (Text::At, ColumnKind::DateTime),
                (Text::Kind, ColumnKind::Text),
                (Text::Credits, ColumnKind::Credits),
                (Text::AmountPaid, ColumnKind::Money),
                (Text::Currency, ColumnKind::Text),
                (Text::DiscountApplied, ColumnKind::Percent),
                (Text::DeploymentId, ColumnKind::Text),
                (Text::Customer, ColumnKind::Text),
            ],
        ),
    );
    for l in lines {
        let fiat = match (l.fiat_minor, &l.fiat_currency) {
            (Some(minor), Some(code)) => Cell::Money(Money::from_minor(minor, currency(code)?)),
            _ => Cell::Empty,
        };
        table.push_row(vec![
            Cell::DateTime(date_time(&l.at)?),
            Cell::Text(l.kind),
            Cell::Credits(Credits::from_minor(l.credits_minor)),
            fiat,
            text(l.fiat_currency),
            match l.rate {
                Some(rate) => Cell::Percent(decimal("rate", &rate)?),
                None => Cell::Empty,
            },
            text(l.deployment_id),
            // A customer outside the cache (another partner's now) is still named by its id.
            text(l.customer.or(l.customer_id)),
        ])?;
    }
    Ok(table)
}

struct CustomerLine {
    name: String,
    country: String,
    brand: String,
    founder: String,
    created_on: String,
    active_deployments: i64,
    partner_of_record: Option<String>,
}

/// The customers the partner serves or has served: those it is partner of record for, those
/// with a deployment made through it, and those that migrated away from it (their partner of
/// record says where they are now). By name. Active deployments are those keeping the customer
/// active on `as_of` (`program::metrics::keeps_active`), as the portfolio counts them.
pub async fn customers(
    store: &Store,
    partner: PartnerId,
    as_of: NaiveDate,
    lang: Lang,
) -> Result<Table> {
    crate::portfolio::partner::ensure_exists(store, partner).await?;
    let (partner_text, day) = (partner.to_string(), crate::input::iso(as_of));
    let since = crate::input::iso(program::metrics::active_since(as_of));
    let lines = sqlx::query_as!(
        CustomerLine,
        r#"SELECT c.name, c.country, c.brand, c.founder, c.created_on,
                  p.name AS "partner_of_record?",
                  (SELECT count(*) FROM deployments d
                    WHERE d.customer_id = c.id AND d.started_on <= ?2
                      AND (d.started_on >= ?3 OR (d.billing = 'monthly'
                           AND (d.ended_on IS NULL OR d.ended_on > ?3)))) AS "active_deployments!: i64"
           FROM customers c LEFT JOIN partners p ON p.id = c.partner_id
           WHERE c.partner_id = ?1
              OR EXISTS (SELECT 1 FROM deployments d WHERE d.customer_id = c.id AND d.partner_id = ?1)
              OR EXISTS (SELECT 1 FROM customer_migrations m
                          WHERE m.customer_id = c.id AND m.from_partner_id = ?1)
           ORDER BY c.name COLLATE NOCASE, c.id"#,
        partner_text,
        day,
        since
    )
    .fetch_all(store.pool())
    .await?;
    let mut table = Table::new(
        Text::Customers.get(lang),
        columns(
            lang,
            &[
                (Text::Name, ColumnKind::Text),
                (Text::Country, ColumnKind::Text),
                (Text::Brand, ColumnKind::Text),
                (Text::Founder, ColumnKind::Text),
                (Text::CreatedOn, ColumnKind::Date),
                (Text::ActiveDeployments, ColumnKind::Integer),
                (Text::PartnerOfRecord, ColumnKind::Text),
            ],
        ),
    );
    for c in lines {
        table.push_row(vec![
            Cell::Text(c.name),
            Cell::Text(c.country),
            Cell::Text(c.brand),
            Cell::Text(c.founder),
            Cell::Date(date(&c.created_on)?),
            Cell::Integer(c.active_deployments),
            text(c.partner_of_record),
        ])?;
    }
    Ok(table)
}

struct DeploymentLine {
    id: String,
    customer_id: String,
    customer: Option<String>,
    sku: String,
    billing: String,
    credits_minor: i64,
    started_on: String,
    ended_on: Option<String>,
}

/// The deployments made through the partner, by start date (then id). The id ties each to its
/// ledger lines.
pub async fn deployments(store: &Store, partner: PartnerId, lang: Lang) -> Result<Table> {
    crate::portfolio::partner::ensure_exists(store, partner).await?;
    let partner_text = partner.to_string();
    let lines = sqlx::query_as!(
        DeploymentLine,
        r#"SELECT d.id, d.customer_id, c.name AS "customer?", d.sku, d.billing, d.credits_minor,
                  d.started_on, d.ended_on
           FROM deployments d LEFT JOIN customers c ON c.id = d.customer_id
           WHERE d.partner_id = ? ORDER BY d.started_on, d.id"#,
        partner_text
    )
    .fetch_all(store.pool())
    .await?;
    let mut table = Table::new(
        Text::Deployments.get(lang),
        columns(
            lang,
            &[
                (Text::Customer, ColumnKind::Text),
                (Text::Sku, ColumnKind::Text),
                (Text::Billing, ColumnKind::Text),
                (Text::Credits, ColumnKind::Credits),
                (Text::StartedOn, ColumnKind::Date),
                (Text::EndedOn, ColumnKind::Date),
                (Text::DeploymentId, ColumnKind::Text),
            ],
        ),
    );
    for d in lines {
        table.push_row(vec![
            Cell::Text(d.customer.unwrap_or(d.customer_id)),
            Cell::Text(d.sku),
            Cell::Text(d.billing),
            Cell::Credits(Credits::from_minor(d.credits_minor)),
            Cell::Date(date(&d.started_on)?),
            match d.ended_on {
                Some(day) => Cell::Date(date(&day)?),
                None => Cell::Empty,
            },
            Cell::Text(d.id),
        ])?;
    }
    Ok(table)
}

fn columns(lang: Lang, spec: &[(Text, ColumnKind)]) -> Vec<Column> {
    spec.iter()
        .map(|(header, kind)| Column::new(header.get(lang), *kind))
        .collect()
}

/// An unknown partner is an error, not an empty export.
fn text(value: Option<String>) -> Cell {
    value.map_or(Cell::Empty, Cell::Text)
}

fn corrupt(what: &str, value: &str) -> DeskError {
    DeskError::Corrupt(format!("{what} {value:?}"))
}

fn decimal(what: &str, value: &str) -> Result<Decimal> {
    value.trim().parse().map_err(|_| corrupt(what, value))
}

fn currency(code: &str) -> Result<Currency> {
    Currency::parse(code).ok_or_else(|| corrupt("currency", code))
}

fn date(value: &str) -> Result<NaiveDate> {
    value.parse().map_err(|_| corrupt("date", value))
}

fn date_time(value: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| corrupt("time", value))
}

/// A partner's deals as the app shows them (pending changes included), newest first: the
/// pipeline's rows.
pub async fn deals(
    store: &Store,
    partner: PartnerId,
    today: NaiveDate,
    lang: Lang,
) -> Result<Table> {
    let deals = crate::deals::all(store, partner, today).await?;
    let mut table = Table::new(
        Text::Deals.get(lang),
        columns(
            lang,
            &[
                (Text::Company, ColumnKind::Text),
                (Text::Domain, ColumnKind::Text),
                (Text::Country, ColumnKind::Text),
                (Text::Brand, ColumnKind::Text),
                (Text::Products, ColumnKind::Text),
                (Text::Stage, ColumnKind::Text),
                (Text::Status, ColumnKind::Text),
                (Text::ValueCredits, ColumnKind::Credits),
                (Text::Value, ColumnKind::Money),
                (Text::ExpectedClose, ColumnKind::Date),
                (Text::Owner, ColumnKind::Text),
                (Text::Notes, ColumnKind::Text),
                (Text::RegisteredOn, ColumnKind::Date),
                (Text::ExpiresOn, ColumnKind::Date),
            ],
        ),
    );
    let day = |s: &Option<String>| -> Result<Cell> {
        Ok(match s {
            Some(d) => Cell::Date(date(d)?),
            None => Cell::Empty,
        })
    };
    for d in deals {
        let credits: rust_decimal::Decimal = d
            .value
            .parse()
            .map_err(|_| crate::error::DeskError::Corrupt(format!("deal value {:?}", d.value)))?;
        let money = match &d.value_fiat {
            Some(v) => Cell::Money(program::Money::rounded(
                v.parse()
                    .map_err(|_| crate::error::DeskError::Corrupt(format!("deal value {v:?}")))?,
                d.currency,
            )),
            None => Cell::Empty,
        };
        table.push_row(vec![
            Cell::Text(d.company),
            text(d.domain),
            Cell::Text(d.country),
            Cell::Text(d.brand.name().to_string()),
            Cell::Text(d.products.join(", ")),
            Cell::Text(stage_name(d.stage, lang).to_string()),
            Cell::Text(status_name(d.pending, d.status, lang).to_string()),
            Cell::Credits(program::Credits::rounded(credits)),
            money,
            day(&d.expected_close)?,
            Cell::Text(d.owner),
            Cell::Text(d.notes),
            Cell::Date(date(&d.registered_at[..10])?),
            day(&d.expires_on)?,
        ])?;
    }
    Ok(table)
}

/// A partner's pipeline as the deals screen shows it: deals and value by territory and stage,
/// the totals of each stage over every territory, the win rate over closed deals and the
/// quarter's forecast, in credits and in the partner's currency.
pub async fn pipeline(
    store: &Store,
    partner: PartnerId,
    today: NaiveDate,
    lang: Lang,
) -> Result<Table> {
    let p = crate::deals::list(store, partner, today).await?.pipeline;
    let mut table = Table::new(
        Text::Pipeline.get(lang),
        columns(
            lang,
            &[
                (Text::Country, ColumnKind::Text),
                (Text::Stage, ColumnKind::Text),
                (Text::Deals, ColumnKind::Integer),
                (Text::ValueCredits, ColumnKind::Credits),
                (Text::Value, ColumnKind::Money),
                (Text::WinRate, ColumnKind::Percent),
            ],
        ),
    );
    let credits = |v: &str| -> Result<Cell> {
        let d: rust_decimal::Decimal = v.parse().map_err(|_| corrupt("credits", v))?;
        Ok(Cell::Credits(program::Credits::rounded(d)))
    };
    let money = |v: &Option<String>| -> Result<Cell> {
        Ok(match v {
            Some(v) => Cell::Money(program::Money::rounded(
                v.parse().map_err(|_| corrupt("amount", v))?,
                p.currency,
            )),
            None => Cell::Empty,
        })
    };
    let territory = |code: &str| -> Cell {
        if code.is_empty() {
            Cell::Text(Text::AllTerritories.get(lang).to_string())
        } else {
            Cell::Text(code.to_string())
        }
    };
    for c in p.cells.iter().chain(&p.stages) {
        table.push_row(vec![
            territory(&c.country),
            Cell::Text(stage_name(c.stage, lang).to_string()),
            Cell::Integer(i64::from(c.deals)),
            credits(&c.credits)?,
            money(&c.fiat)?,
            Cell::Empty,
        ])?;
    }
    table.push_row(vec![
        Cell::Text(Text::WonAndLost.get(lang).to_string()),
        Cell::Empty,
        Cell::Integer(i64::from(p.won + p.lost)),
        Cell::Empty,
        Cell::Empty,
        match &p.win_rate {
            Some(r) => Cell::Percent(r.parse().map_err(|_| corrupt("win rate", r))?),
            None => Cell::Empty,
        },
    ])?;
    table.push_row(vec![
        Cell::Text(format!(
            "{} ({} – {})",
            Text::Forecast.get(lang),
            p.quarter_start,
            p.quarter_end
        )),
        Cell::Empty,
        Cell::Empty,
        credits(&p.forecast_credits)?,
        money(&p.forecast_fiat)?,
        Cell::Empty,
    ])?;
    Ok(table)
}

/// A deal stage as the app's catalog names it.
fn stage_name(stage: program::deals::DealStage, lang: Lang) -> &'static str {
    use program::deals::DealStage::*;
    let (en, es) = match stage {
        Registered => ("Registered", "Registrada"),
        Qualified => ("Qualified", "Calificada"),
        Proposal => ("Proposal", "Propuesta"),
        Won => ("Won", "Ganada"),
        Lost => ("Lost", "Perdida"),
    };
    match lang {
        Lang::En => en,
        Lang::Es => es,
    }
}

/// A deal's standing as the app shows it: pending while this device waits for the platform.
fn status_name(pending: bool, status: program::deals::DealStatus, lang: Lang) -> &'static str {
    use program::deals::DealStatus::*;
    let (en, es) = match (pending, status) {
        (true, _) | (_, Pending) => ("Pending", "Pendiente"),
        (_, Approved) => ("Approved", "Aprobada"),
        (_, Refused) => ("Refused", "Rechazada"),
        (_, Expired) => ("Expired", "Vencida"),
    };
    match lang {
        Lang::En => en,
        Lang::Es => es,
    }
}

/// A quote's lines as printed: each line's amount rounded per the rounding rule, so a
/// spreadsheet's sum is the quote's total.
pub fn quote_lines(priced: &program::quotes::PricedQuote, lang: Lang) -> Result<Table> {
    let mut table = Table::new(
        Text::QuoteLines.get(lang),
        columns(
            lang,
            &[
                (Text::Line, ColumnKind::Integer),
                (Text::Sku, ColumnKind::Text),
                (Text::Item, ColumnKind::Text),
                (Text::Quantity, ColumnKind::Integer),
                (Text::Months, ColumnKind::Integer),
                (Text::UnitPrice, ColumnKind::Money),
                (Text::Amount, ColumnKind::Money),
                (Text::Credits, ColumnKind::Credits),
            ],
        ),
    );
    let money = |v: rust_decimal::Decimal| Cell::Money(program::Money::rounded(v, priced.currency));
    for l in &priced.lines {
        table.push_row(vec![
            Cell::Integer(i64::from(l.line_no)),
            Cell::Text(l.sku.clone()),
            Cell::Text(l.name.clone()),
            Cell::Integer(i64::from(l.quantity)),
            l.months
                .map_or(Cell::Empty, |m| Cell::Integer(i64::from(m))),
            money(l.unit_price),
            money(l.amount),
            Cell::Credits(l.credits),
        ])?;
    }
    Ok(table)
}
