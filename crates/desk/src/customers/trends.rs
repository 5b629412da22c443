//! The monthly trends of a partner's customers page, at each month's end.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};
use program::contract::{Billing, PartnerId};
use program::Credits;

use crate::error::{DeskError, Result};
use crate::store::Store;
use crate::views::TrendPoint;

use crate::input::iso;

/// Months the trend charts cover, the current one included.
pub const TREND_MONTHS: u32 = 12;

/// The last day of each of the [`TREND_MONTHS`] months up to `as_of` (the current month's point
/// is `as_of` itself), oldest first.
pub fn month_ends(as_of: NaiveDate) -> Vec<NaiveDate> {
    let first_of_month = as_of.with_day(1).unwrap_or(as_of);
    let mut out: Vec<NaiveDate> = (1..TREND_MONTHS)
        .rev()
        .filter_map(|back| {
            first_of_month
                .checked_sub_months(Months::new(back - 1))
                .and_then(|d| d.pred_opt())
        })
        .collect();
    out.push(as_of);
    out
}

/// The monthly trends of `partner`'s page: active customers and the deployments keeping them
/// active at each month's end (customers of record then, `program::metrics::keeps_active`), NPS
/// of the month (each customer's latest answer of the month, with their count; no score below
/// the minimum) and credits consumed in the month.
pub async fn trends(
    store: &Store,
    partner: PartnerId,
    as_of: NaiveDate,
) -> Result<Vec<TrendPoint>> {
    crate::portfolio::partner::ensure_exists(store, partner).await?;
    let id = partner.to_string();
    let ends = month_ends(as_of);
    let first = ends.first().copied().unwrap_or(as_of);
    let window_start = first.with_day(1).unwrap_or(first);

    // The customers that were the partner's at some point, with their migrations.
    let customers: Vec<(String, String)> = sqlx::query!(
        "SELECT c.id, c.partner_id FROM customers c WHERE c.partner_id = ?1 \
         OR c.id IN (SELECT customer_id FROM customer_migrations \
                      WHERE from_partner_id = ?1 OR to_partner_id = ?1)",
        id
    )
    .fetch_all(store.pool())
    .await?
    .into_iter()
    .map(|r| (r.id, r.partner_id))
    .collect();
    let mut moves: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for m in sqlx::query!(
        "SELECT m.customer_id, m.effective_on, m.from_partner_id FROM customer_migrations m \
         WHERE m.customer_id IN (SELECT c.id FROM customers c WHERE c.partner_id = ?1) \
            OR m.from_partner_id = ?1 OR m.to_partner_id = ?1 ORDER BY m.effective_on",
        id
    )
    .fetch_all(store.pool())
    .await?
    {
        moves
            .entry(m.customer_id)
            .or_default()
            .push((m.effective_on, m.from_partner_id));
    }
    let mut spans: HashMap<String, Vec<(Billing, NaiveDate, Option<NaiveDate>)>> = HashMap::new();
    for d in sqlx::query!(
        "SELECT d.customer_id, d.billing, d.started_on, d.ended_on FROM deployments d \
         WHERE d.customer_id IN (SELECT c.id FROM customers c WHERE c.partner_id = ?1 \
            OR c.id IN (SELECT customer_id FROM customer_migrations \
                         WHERE from_partner_id = ?1 OR to_partner_id = ?1))",
        id
    )
    .fetch_all(store.pool())
    .await?
    {
        let day = |s: &str| {
            s.parse::<NaiveDate>()
                .map_err(|_| DeskError::Corrupt(format!("deployment date {s:?}")))
        };
        let billing = Billing::parse(&d.billing)
            .ok_or_else(|| DeskError::Corrupt(format!("billing {:?}", d.billing)))?;
        let ended_on = d.ended_on.as_deref().map(day).transpose()?;
        spans
            .entry(d.customer_id)
            .or_default()
            .push((billing, day(&d.started_on)?, ended_on));
    }
    let record_on = |customer: &str, current: &str, day: &str| -> bool {
        let partner = moves
            .get(customer)
            .and_then(|list| list.iter().find(|(on, _)| on.as_str() > day))
            .map_or(current, |(_, from)| from.as_str());
        partner == id
    };

    let (from, to) = (iso(window_start), iso(as_of));
    let nps: HashMap<String, (u32, u32, u32)> = sqlx::query!(
        r#"SELECT month AS "month!: String", count(*) AS "n!: i64",
                  sum(score >= 9) AS "promoters!: i64", sum(score <= 6) AS "detractors!: i64"
           FROM (SELECT substr(answered_on, 1, 7) AS month, score,
                        row_number() OVER (PARTITION BY substr(answered_on, 1, 7), customer_id
                                           ORDER BY answered_on DESC, score ASC) AS latest
                 FROM nps_responses WHERE partner_id = ? AND answered_on >= ? AND answered_on <= ?)
           WHERE latest = 1 GROUP BY 1"#,
        id,
        from,
        to
    )
    .fetch_all(store.pool())
    .await?
    .into_iter()
    .map(|r| {
        let c = |v: i64| u32::try_from(v).unwrap_or(0);
        (r.month, (c(r.n), c(r.promoters), c(r.detractors)))
    })
    .collect();
    let until = iso(as_of + chrono::Days::new(1));
    let consumed: HashMap<String, i64> = sqlx::query!(
        r#"SELECT substr(at, 1, 7) AS "month!: String", -sum(credits_minor) AS "minor!: i64"
           FROM ledger_entries
           WHERE partner_id = ? AND kind = 'consumption' AND at >= ? AND at < ? GROUP BY 1"#,
        id,
        from,
        until
    )
    .fetch_all(store.pool())
    .await?
    .into_iter()
    .map(|r| (r.month, r.minor))
    .collect();

    Ok(ends
        .iter()
        .map(|end| {
            let day = iso(*end);
            let month = day[..7].to_string();
            let keeps_active =
                |(billing, started, ended): &(Billing, NaiveDate, Option<NaiveDate>)| {
                    program::metrics::keeps_active(*billing, *started, *ended, *end)
                };
            let (mut customers_active, mut deployments_active) = (0u32, 0u32);
            for (customer, current) in &customers {
                if !record_on(customer, current, &day) {
                    continue;
                }
                let live = spans
                    .get(customer)
                    .map_or(0, |list| list.iter().filter(|d| keeps_active(d)).count());
                if live > 0 {
                    customers_active += 1;
                    deployments_active += u32::try_from(live).unwrap_or(u32::MAX);
                }
            }
            let (n, p, d) = nps.get(&month).copied().unwrap_or_default();
            TrendPoint {
                month,
                active_customers: customers_active,
                active_deployments: deployments_active,
                nps: program::metrics::nps_from_counts(n, p, d),
                consumed: Credits::from_minor(consumed.get(&day[..7]).copied().unwrap_or(0))
                    .amount()
                    .to_string(),
            }
        })
        .collect())
}
