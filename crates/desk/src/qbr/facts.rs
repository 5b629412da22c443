//! A partner's facts for a review, read from the cache.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use program::contract::{Billing, CustomerId, LedgerKind, PartnerId};
use program::qbr::{self, CustomerFact, DeploymentFact, Facts, LedgerDay, Move, NpsFact, Quarter};
use program::Credits;
use sqlx::Row;

use crate::error::{DeskError, Result};
use crate::input::iso;
use crate::store::Store;

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
    Billing::parse(s).ok_or_else(|| DeskError::Corrupt(format!("billing {s:?}")))
}

fn ledger_kind(s: &str) -> Result<LedgerKind> {
    LedgerKind::parse(s).ok_or_else(|| DeskError::Corrupt(format!("ledger kind {s:?}")))
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
    let ((customers, names), deployments, opening, early, late, nps, joined_on) = tokio::try_join!(
        customer_facts(store, partner),
        deployment_facts(store, partner, from, to),
        opening_balance(store, partner, from),
        ledger_days(store, partner, from, middle),
        ledger_days(store, partner, middle, to + Days::new(1)),
        nps_facts(store, partner, from, to),
        joined_on(store, partner),
    )?;
    let mut ledger = early;
    ledger.extend(late);
    Ok((
        Facts {
            partner,
            joined_on,
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

/// The day `partner` joined the program.
async fn joined_on(store: &Store, partner: PartnerId) -> Result<NaiveDate> {
    let id = partner.to_string();
    let joined = sqlx::query_scalar!("SELECT joined_on FROM partners WHERE id = ?", id)
        .fetch_one(store.pool())
        .await?;
    parse_day(&joined)
}

/// Every deployment of the partner's customers (a customer's activity counts for its partner of
/// record whoever deployed) that could keep a customer active at some point from `from` to `to`:
/// started by `to`, and not ended more than 90 days before `from`.
async fn deployment_facts(
    store: &Store,
    partner: PartnerId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DeploymentFact>> {
    sqlx::query(&format!(
        "SELECT customer_id, partner_id, billing, credits_minor, started_on, ended_on FROM deployments \
         WHERE customer_id IN ({THEIR_CUSTOMERS}) AND started_on <= ?2 \
           AND (ended_on IS NULL OR ended_on > ?3)"
    ))
    .bind(partner.to_string())
    .bind(iso(to))
    .bind(iso(program::metrics::active_since(from)))
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(DeploymentFact {
            customer: CustomerId(parse_uuid(
                &r.try_get::<String, _>("customer_id")?,
                "customer",
            )?),
            partner: PartnerId(parse_uuid(
                &r.try_get::<String, _>("partner_id")?,
                "partner",
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
    let (partner, from) = (partner.to_string(), iso(from));
    let minor = sqlx::query_scalar!(
        r#"SELECT coalesce(sum(credits_minor), 0) AS "minor!: i64" FROM ledger_entries
           WHERE partner_id = ? AND at < ?"#,
        partner,
        from
    )
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
    let (partner, from, to) = (partner.to_string(), iso(from), iso(to));
    sqlx::query!(
        "SELECT customer_id, answered_on, score FROM nps_responses \
         WHERE partner_id = ? AND answered_on >= ? AND answered_on <= ?",
        partner,
        from,
        to
    )
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|r| {
        let score = r.score;
        Ok(NpsFact {
            customer: CustomerId(parse_uuid(&r.customer_id, "customer")?),
            on: parse_day(&r.answered_on)?,
            score: u8::try_from(score).map_err(|_| DeskError::Corrupt(format!("score {score}")))?,
        })
    })
    .collect()
}

/// Credits each customer consumed from `partner`'s ledger in `quarter` (to `as_of`).
pub(super) async fn consumption_by_customer(
    store: &Store,
    partner: PartnerId,
    quarter: Quarter,
    as_of: NaiveDate,
) -> Result<Vec<(CustomerId, Credits)>> {
    let to = quarter.last_day().min(as_of) + Days::new(1);
    let (partner, from, to) = (partner.to_string(), iso(quarter.first_day()), iso(to));
    sqlx::query!(
        r#"SELECT customer_id AS "customer_id!", -sum(credits_minor) AS "minor!: i64"
           FROM ledger_entries
           WHERE partner_id = ? AND kind = 'consumption' AND customer_id IS NOT NULL
             AND at >= ? AND at < ? GROUP BY customer_id"#,
        partner,
        from,
        to
    )
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|r| {
        Ok((
            CustomerId(parse_uuid(&r.customer_id, "customer")?),
            Credits::from_minor(r.minor),
        ))
    })
    .collect()
}
