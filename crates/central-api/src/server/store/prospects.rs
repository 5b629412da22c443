//! The prospect keys the deal rules look up without reading every row: each customer's
//! (`customer_keys`, the no-poaching rule) and each approved, open deal's (`open_deal_keys`, the
//! duplicate rule), kept by their entity's one write path (`changes`) and filled for a database
//! made before them.

use program::contract::{Customer, CustomerId};
use program::deals::{Deal, DealStage, DealStatus, KnownCustomer, Prospect};
use sqlx::SqliteConnection;
use uuid::Uuid;

use super::changes::{decode_all, open_deals};
use super::{parse_partner, StoreError};

// CROSS JOIN: the keys first (SQLite keeps that order), whatever the tables' sizes.
pub(super) const OPEN_DEALS_LIKE: &str = "SELECT c.data FROM open_deal_keys k \
     CROSS JOIN changes c ON c.entity = 'deal' AND c.id = k.deal_id AND c.op = 'upsert' \
     WHERE k.company_key = ?1 OR (?2 IS NOT NULL AND k.domain_key = ?2) ORDER BY c.seq";

/// Whether `d` is one of the registrations a new one is checked against (see `changes::open_deals`).
fn is_open(d: &Deal) -> bool {
    d.status == DealStatus::Approved && !matches!(d.stage, DealStage::Won | DealStage::Lost)
}

/// Writes, or removes, a deal's keys in `open_deal_keys` as it is open or not.
pub(super) async fn index_deal(conn: &mut SqliteConnection, d: &Deal) -> Result<(), StoreError> {
    if !is_open(d) {
        sqlx::query("DELETE FROM open_deal_keys WHERE deal_id = ?")
            .bind(d.id.to_string())
            .execute(&mut *conn)
            .await?;
        return Ok(());
    }
    let keys = d.prospect();
    sqlx::query(
        "INSERT INTO open_deal_keys (deal_id, company_key, domain_key) VALUES (?, ?, ?) \
         ON CONFLICT (deal_id) DO UPDATE SET company_key = excluded.company_key, \
         domain_key = excluded.domain_key",
    )
    .bind(d.id.to_string())
    .bind(&keys.company)
    .bind(keys.domain.as_deref())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Fills `open_deal_keys` from the deals themselves: for a database made before it existed, and
/// after the demo data's load (which writes deals in bulk).
pub(super) async fn index_open_deals(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    for deal in open_deals(conn).await? {
        index_deal(conn, &deal).await?;
    }
    Ok(())
}

/// [`index_open_deals`] for a database whose `open_deal_keys` is empty.
pub(super) async fn index_open_deals_if_missing(
    conn: &mut SqliteConnection,
) -> Result<(), StoreError> {
    let indexed: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM open_deal_keys)")
        .fetch_one(&mut *conn)
        .await?;
    if !indexed {
        index_open_deals(conn).await?;
    }
    Ok(())
}

/// The approved, open deals whose prospect has `prospect`'s normalized name or domain: the
/// registrations the duplicate rule compares a new one with (a superset of those it finds the
/// same, `Prospect::same_as`), by `open_deal_keys`.
pub(super) async fn open_deals_like(
    conn: &mut SqliteConnection,
    prospect: &Prospect,
) -> Result<Vec<Deal>, StoreError> {
    let rows: Vec<String> = sqlx::query_scalar(OPEN_DEALS_LIKE)
        .bind(&prospect.company)
        .bind(prospect.domain.as_deref())
        .fetch_all(&mut *conn)
        .await?;
    decode_all(&rows)
}

/// Writes (or replaces) a customer's no-poaching keys.
pub(super) async fn index_customer(
    conn: &mut SqliteConnection,
    c: &Customer,
) -> Result<(), StoreError> {
    let keys = KnownCustomer::of(c);
    sqlx::query(
        "INSERT INTO customer_keys (customer_id, partner_id, company_key, domain_key) \
         VALUES (?, ?, ?, ?) ON CONFLICT (customer_id) DO UPDATE SET \
         partner_id = excluded.partner_id, company_key = excluded.company_key, \
         domain_key = excluded.domain_key",
    )
    .bind(c.id.to_string())
    .bind(c.partner_id.to_string())
    .bind(&keys.prospect.company)
    .bind(keys.prospect.domain.as_deref())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Fills `customer_keys` for a database made before it existed.
pub(super) async fn index_customers_if_missing(
    conn: &mut SqliteConnection,
) -> Result<(), StoreError> {
    let indexed: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM customer_keys)")
        .fetch_one(&mut *conn)
        .await?;
    if indexed {
        return Ok(());
    }
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT data FROM changes WHERE entity = 'customer' AND op = 'upsert'")
            .fetch_all(&mut *conn)
            .await?;
    for data in rows {
        index_customer(conn, &serde_json::from_str(&data)?).await?;
    }
    Ok(())
}

/// The customers the no-poaching rule compares a prospect with: the one named by `id`, and those
/// whose normalized name or domain is the prospect's.
pub(super) async fn customers_matching(
    conn: &mut SqliteConnection,
    prospect: &Prospect,
    id: Option<CustomerId>,
) -> Result<Vec<KnownCustomer>, StoreError> {
    let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT customer_id, partner_id, company_key, domain_key FROM customer_keys \
         WHERE company_key = ?1 OR (?2 IS NOT NULL AND domain_key = ?2) OR customer_id = ?3",
    )
    .bind(&prospect.company)
    .bind(prospect.domain.as_deref())
    .bind(id.map(|c| c.to_string()))
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(customer, partner, company, domain)| {
            Ok(KnownCustomer {
                id: Uuid::parse_str(&customer)
                    .map(CustomerId)
                    .map_err(|e| StoreError::Corrupt(format!("customer id {customer:?}: {e}")))?,
                partner_id: parse_partner(&partner)?,
                prospect: Prospect { company, domain },
            })
        })
        .collect()
}
