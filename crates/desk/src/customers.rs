//! A partner's customers (active, churned, migrated in or out) and their deployments, its
//! customer migrations, and the monthly trends of its page.
//!
//! A customer's partner of record on a day is the rule of `crate::metrics`: its current partner,
//! unless a migration after that day moved it, in which case the first such migration's old
//! partner. A customer's deployments and history stay attached to the customer whichever partner
//! it has.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};
use program::contract::PartnerId;
use program::{Brand, Credits};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::error::{DeskError, Result};
use crate::store::Store;
use crate::views::{
    CustomerCounts, CustomerDetail, CustomerFilter, CustomerPage, CustomerRow, CustomerStatus,
    DeploymentRow, MigrationDirection, MigrationRow, TrendPoint,
};

/// Rows per page when none is asked for; the most a page may hold.
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 500;
/// Months the trend charts cover, the current one included.
pub const TREND_MONTHS: u32 = 12;

/// The partner's customers with what each is to it, as a CTE named `mine`; `?1` is the partner,
/// `?2` the day.
const MINE: &str = "WITH mine AS (
  SELECT c.id, c.name, c.country, c.brand, c.founder, c.created_on, c.partner_id,
         (SELECT count(*) FROM deployments d WHERE d.customer_id = c.id
           AND d.started_on <= ?2 AND (d.ended_on IS NULL OR d.ended_on > ?2)) AS active_deployments,
         (SELECT count(*) FROM deployments d WHERE d.customer_id = c.id) AS deployments,
         (SELECT max(effective_on) FROM customer_migrations m
           WHERE m.customer_id = c.id AND m.to_partner_id = ?1) AS migrated_in_on,
         (SELECT max(effective_on) FROM customer_migrations m
           WHERE m.customer_id = c.id AND m.from_partner_id = ?1) AS migrated_out_on,
         (SELECT name FROM partners p WHERE p.id = c.partner_id) AS partner_now
  FROM customers c
  WHERE c.partner_id = ?1
     OR c.id IN (SELECT customer_id FROM customer_migrations WHERE from_partner_id = ?1)
), classified AS (
  SELECT *, CASE WHEN partner_id <> ?1 THEN 'migrated_out'
                 WHEN active_deployments > 0 THEN 'active'
                 ELSE 'churned' END AS status
  FROM mine
)";

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// One page of `partner`'s customers matching `filter`, by name, with the counts of each kind.
pub async fn page(
    store: &Store,
    partner: PartnerId,
    as_of: NaiveDate,
    filter: CustomerFilter,
    offset: u32,
    limit: Option<u32>,
) -> Result<CustomerPage> {
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(DeskError::InvalidInput {
            field: "limit",
            reason: format!("must be between 1 and {MAX_PAGE}"),
        });
    }
    crate::partners::ensure_exists(store, partner).await?;
    let (id, day) = (partner.to_string(), iso(as_of));
    let counts = sqlx::query(&format!(
        "{MINE} SELECT count(*) AS all_, \
           coalesce(sum(status = 'active'), 0) AS active, \
           coalesce(sum(status = 'churned'), 0) AS churned, \
           coalesce(sum(status <> 'migrated_out' AND migrated_in_on IS NOT NULL), 0) AS migrated_in, \
           coalesce(sum(status = 'migrated_out'), 0) AS migrated_out \
         FROM classified"
    ))
    .bind(&id)
    .bind(&day)
    .fetch_one(store.pool())
    .await?;
    let n =
        |c: &str| -> Result<u32> { Ok(u32::try_from(counts.try_get::<i64, _>(c)?).unwrap_or(0)) };
    let counts = CustomerCounts {
        all: n("all_")?,
        active: n("active")?,
        churned: n("churned")?,
        migrated_in: n("migrated_in")?,
        migrated_out: n("migrated_out")?,
    };
    let condition = match filter {
        CustomerFilter::All => "1 = 1",
        CustomerFilter::Active => "status = 'active'",
        CustomerFilter::Churned => "status = 'churned'",
        CustomerFilter::MigratedIn => "status <> 'migrated_out' AND migrated_in_on IS NOT NULL",
        CustomerFilter::MigratedOut => "status = 'migrated_out'",
    };
    let rows = sqlx::query(&format!(
        "{MINE} SELECT * FROM classified WHERE {condition} \
         ORDER BY name COLLATE NOCASE, id LIMIT ?3 OFFSET ?4"
    ))
    .bind(&id)
    .bind(&day)
    .bind(i64::from(limit))
    .bind(i64::from(offset))
    .fetch_all(store.pool())
    .await?;
    let total = match filter {
        CustomerFilter::All => counts.all,
        CustomerFilter::Active => counts.active,
        CustomerFilter::Churned => counts.churned,
        CustomerFilter::MigratedIn => counts.migrated_in,
        CustomerFilter::MigratedOut => counts.migrated_out,
    };
    Ok(CustomerPage {
        rows: rows.iter().map(customer_row).collect::<Result<_>>()?,
        total,
        counts,
    })
}

fn customer_row(r: &SqliteRow) -> Result<CustomerRow> {
    let brand: String = r.try_get("brand")?;
    let status: String = r.try_get("status")?;
    let count =
        |c: &str| -> Result<u32> { Ok(u32::try_from(r.try_get::<i64, _>(c)?).unwrap_or(0)) };
    Ok(CustomerRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        country: r.try_get("country")?,
        brand: Brand::parse(&brand)
            .ok_or_else(|| DeskError::Corrupt(format!("brand {brand:?}")))?,
        founder: r.try_get("founder")?,
        created_on: r.try_get("created_on")?,
        status: match status.as_str() {
            "active" => CustomerStatus::Active,
            "churned" => CustomerStatus::Churned,
            _ => CustomerStatus::MigratedOut,
        },
        active_deployments: count("active_deployments")?,
        deployments: count("deployments")?,
        migrated_in_on: r.try_get("migrated_in_on")?,
        migrated_out_on: r.try_get("migrated_out_on")?,
        partner_now: r.try_get("partner_now")?,
    })
}

/// One customer with every deployment it ever had (whichever partner made it) and its
/// migrations.
pub async fn detail(store: &Store, customer: &str, as_of: NaiveDate) -> Result<CustomerDetail> {
    let customer = customer.trim();
    if uuid::Uuid::parse_str(customer).is_err() {
        return Err(DeskError::InvalidInput {
            field: "customer_id",
            reason: format!("{customer:?} is not a customer id"),
        });
    }
    let partner: Option<String> =
        sqlx::query_scalar("SELECT partner_id FROM customers WHERE id = ?")
            .bind(customer)
            .fetch_optional(store.pool())
            .await?;
    let Some(partner) = partner else {
        return Err(DeskError::NotFound {
            what: format!("customer {customer}"),
        });
    };
    let row = sqlx::query(&format!("{MINE} SELECT * FROM classified WHERE id = ?3"))
        .bind(&partner)
        .bind(iso(as_of))
        .bind(customer)
        .fetch_one(store.pool())
        .await?;
    let day = iso(as_of);
    let deployments = sqlx::query(
        "SELECT d.id, d.sku, ci.name AS product, d.billing, d.credits_minor, d.started_on, \
                d.ended_on, d.partner_id, p.name AS partner \
         FROM deployments d \
         LEFT JOIN catalog_items ci ON ci.sku = d.sku \
         LEFT JOIN partners p ON p.id = d.partner_id \
         WHERE d.customer_id = ? ORDER BY d.started_on DESC, d.id",
    )
    .bind(customer)
    .fetch_all(store.pool())
    .await?
    .iter()
    .map(|r| {
        let billing: String = r.try_get("billing")?;
        let started: String = r.try_get("started_on")?;
        let ended: Option<String> = r.try_get("ended_on")?;
        Ok(DeploymentRow {
            id: r.try_get("id")?,
            sku: r.try_get("sku")?,
            product: r.try_get("product")?,
            monthly: billing == "monthly",
            credits: Credits::from_minor(r.try_get("credits_minor")?)
                .amount()
                .to_string(),
            active: started <= day && ended.as_ref().is_none_or(|e| *e > day),
            started_on: started,
            ended_on: ended,
            partner_id: r.try_get("partner_id")?,
            partner: r.try_get("partner")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let migrations = migration_rows(
        store,
        "WHERE m.customer_id = ?1",
        customer,
        PartnerId(
            partner
                .parse()
                .map_err(|_| DeskError::Corrupt(format!("partner id {partner:?}")))?,
        ),
    )
    .await?;
    Ok(CustomerDetail {
        customer: customer_row(&row)?,
        deployments,
        migrations,
    })
}

/// `partner`'s customer migrations, in and out, newest first.
pub async fn migrations(store: &Store, partner: PartnerId) -> Result<Vec<MigrationRow>> {
    crate::partners::ensure_exists(store, partner).await?;
    migration_rows(
        store,
        "WHERE m.from_partner_id = ?1 OR m.to_partner_id = ?1",
        &partner.to_string(),
        partner,
    )
    .await
}

/// Migrations matching `condition` (on `?1`), their direction seen from `partner`.
async fn migration_rows(
    store: &Store,
    condition: &str,
    bound: &str,
    partner: PartnerId,
) -> Result<Vec<MigrationRow>> {
    let rows = sqlx::query(&format!(
        "SELECT m.id, m.customer_id, c.name AS customer, m.from_partner_id, pf.name AS from_name, \
                m.to_partner_id, pt.name AS to_name, m.effective_on, m.initiated_by, \
                (SELECT l.credits_minor FROM ledger_entries l \
                  WHERE l.kind = 'migration' AND l.customer_id = m.customer_id \
                    AND substr(l.at, 1, 10) = m.effective_on LIMIT 1) AS credits_minor \
         FROM customer_migrations m \
         LEFT JOIN customers c ON c.id = m.customer_id \
         LEFT JOIN partners pf ON pf.id = m.from_partner_id \
         LEFT JOIN partners pt ON pt.id = m.to_partner_id \
         {condition} ORDER BY m.effective_on DESC, m.id"
    ))
    .bind(bound)
    .fetch_all(store.pool())
    .await?;
    let me = partner.to_string();
    rows.iter()
        .map(|r| {
            let to: String = r.try_get("to_partner_id")?;
            let incoming = to == me;
            let credits: Option<i64> = r.try_get("credits_minor")?;
            Ok(MigrationRow {
                id: r.try_get("id")?,
                customer_id: r.try_get("customer_id")?,
                customer: r.try_get("customer")?,
                direction: if incoming {
                    MigrationDirection::In
                } else {
                    MigrationDirection::Out
                },
                other_partner_id: if incoming {
                    r.try_get("from_partner_id")?
                } else {
                    to.clone()
                },
                other_partner: if incoming {
                    r.try_get("from_name")?
                } else {
                    r.try_get("to_name")?
                },
                effective_on: r.try_get("effective_on")?,
                initiated_by: r.try_get("initiated_by")?,
                // Migrations move customers, never credits: the ledger line is always 0.
                credits: Credits::from_minor(credits.unwrap_or(0))
                    .amount()
                    .to_string(),
            })
        })
        .collect()
}

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

/// The monthly trends of `partner`'s page: active customers and active deployments at each
/// month's end (customers of record then), NPS of the month's responses (with their count; no
/// score below the minimum) and credits consumed in the month.
pub async fn trends(
    store: &Store,
    partner: PartnerId,
    as_of: NaiveDate,
) -> Result<Vec<TrendPoint>> {
    crate::partners::ensure_exists(store, partner).await?;
    let id = partner.to_string();
    let ends = month_ends(as_of);
    let first = ends.first().copied().unwrap_or(as_of);
    let window_start = first.with_day(1).unwrap_or(first);

    // The customers that were the partner's at some point, with their migrations.
    let customers: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.id, c.partner_id FROM customers c WHERE c.partner_id = ?1 \
         OR c.id IN (SELECT customer_id FROM customer_migrations \
                      WHERE from_partner_id = ?1 OR to_partner_id = ?1)",
    )
    .bind(&id)
    .fetch_all(store.pool())
    .await?;
    let mut moves: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for (customer, on, from) in sqlx::query_as::<_, (String, String, String)>(
        "SELECT m.customer_id, m.effective_on, m.from_partner_id FROM customer_migrations m \
         WHERE m.customer_id IN (SELECT c.id FROM customers c WHERE c.partner_id = ?1) \
            OR m.from_partner_id = ?1 OR m.to_partner_id = ?1 ORDER BY m.effective_on",
    )
    .bind(&id)
    .fetch_all(store.pool())
    .await?
    {
        moves.entry(customer).or_default().push((on, from));
    }
    let mut spans: HashMap<String, Vec<(String, Option<String>)>> = HashMap::new();
    for (customer, started, ended) in sqlx::query_as::<_, (String, String, Option<String>)>(
        "SELECT d.customer_id, d.started_on, d.ended_on FROM deployments d \
         WHERE d.customer_id IN (SELECT c.id FROM customers c WHERE c.partner_id = ?1 \
            OR c.id IN (SELECT customer_id FROM customer_migrations \
                         WHERE from_partner_id = ?1 OR to_partner_id = ?1))",
    )
    .bind(&id)
    .fetch_all(store.pool())
    .await?
    {
        spans.entry(customer).or_default().push((started, ended));
    }
    let record_on = |customer: &str, current: &str, day: &str| -> bool {
        let partner = moves
            .get(customer)
            .and_then(|list| list.iter().find(|(on, _)| on.as_str() > day))
            .map_or(current, |(_, from)| from.as_str());
        partner == id
    };

    let nps: HashMap<String, (u32, u32, u32)> = sqlx::query_as::<_, (String, i64, i64, i64)>(
        "SELECT substr(answered_on, 1, 7) AS month, count(*), sum(score >= 9), sum(score <= 6) \
         FROM nps_responses WHERE partner_id = ? AND answered_on >= ? AND answered_on <= ? \
         GROUP BY month",
    )
    .bind(&id)
    .bind(iso(window_start))
    .bind(iso(as_of))
    .fetch_all(store.pool())
    .await?
    .into_iter()
    .map(|(m, n, p, d)| {
        let c = |v: i64| u32::try_from(v).unwrap_or(0);
        (m, (c(n), c(p), c(d)))
    })
    .collect();
    let consumed: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
        "SELECT substr(at, 1, 7) AS month, -sum(credits_minor) FROM ledger_entries \
         WHERE partner_id = ? AND kind = 'consumption' AND at >= ? AND at < ? GROUP BY month",
    )
    .bind(&id)
    .bind(iso(window_start))
    .bind(iso(as_of + chrono::Days::new(1)))
    .fetch_all(store.pool())
    .await?
    .into_iter()
    .collect();

    Ok(ends
        .iter()
        .map(|end| {
            let day = iso(*end);
            let month = day[..7].to_string();
            let (mut customers_active, mut deployments_active) = (0u32, 0u32);
            for (customer, current) in &customers {
                if !record_on(customer, current, &day) {
                    continue;
                }
                let live = spans.get(customer).map_or(0, |list| {
                    list.iter()
                        .filter(|(s, e)| *s <= day && e.as_ref().is_none_or(|e| *e > day))
                        .count()
                });
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
