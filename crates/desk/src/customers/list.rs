//! The customer list page: a partner's customers by status, and the row each one shows.

use chrono::NaiveDate;
use program::contract::PartnerId;
use program::Brand;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::error::{DeskError, Result};
use crate::input::iso;
use crate::store::Store;
use crate::views::{CustomerCounts, CustomerFilter, CustomerPage, CustomerRow, CustomerStatus};

/// Rows per page when none is asked for; the most a page may hold.
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 500;

/// The partner's customers on `as_of` with what each is to it, as a CTE named `mine`; `?1` is the
/// partner, `?2` the day (`as_of`). A customer of record is active when a deployment keeps it
/// active (`program::metrics::keeps_active`): `active_deployments` counts those.
pub(super) fn mine(as_of: NaiveDate) -> String {
    let since = format!("'{}'", iso(program::metrics::active_since(as_of)));
    let keeps_active = crate::metrics::KEEPS_ACTIVE
        .replace("?day", "?2")
        .replace("?since", &since);
    MINE.replace("?keeps_active", &keeps_active)
}

const MINE: &str = "WITH mine AS (
  SELECT c.id, c.name, c.country, c.subdivision, c.brand, c.founder, c.created_on, c.partner_id,
         (SELECT count(*) FROM deployments d WHERE d.customer_id = c.id
           AND ?keeps_active) AS active_deployments,
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
    crate::portfolio::partner::ensure_exists(store, partner).await?;
    let (id, day) = (partner.to_string(), iso(as_of));
    let counts = sqlx::query(&format!(
        "{} SELECT count(*) AS all_, \
           coalesce(sum(status = 'active'), 0) AS active, \
           coalesce(sum(status = 'churned'), 0) AS churned, \
           coalesce(sum(status <> 'migrated_out' AND migrated_in_on IS NOT NULL), 0) AS migrated_in, \
           coalesce(sum(status = 'migrated_out'), 0) AS migrated_out \
         FROM classified",
        mine(as_of)
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
        "{} SELECT * FROM classified WHERE {condition} \
         ORDER BY name COLLATE NOCASE, id LIMIT ?3 OFFSET ?4",
        mine(as_of)
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

pub(super) fn customer_row(r: &SqliteRow) -> Result<CustomerRow> {
    let brand: String = r.try_get("brand")?;
    let status: String = r.try_get("status")?;
    let count =
        |c: &str| -> Result<u32> { Ok(u32::try_from(r.try_get::<i64, _>(c)?).unwrap_or(0)) };
    Ok(CustomerRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        country: r.try_get("country")?,
        subdivision: r.try_get("subdivision")?,
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
