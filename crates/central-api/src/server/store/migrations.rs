//! Customer migrations: recording one the rules allow, the customer's chain of them, and moving
//! customers to their new partner of record on the effective day.

use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
use program::contract::{Customer, CustomerId, Entity, LedgerEntry, LedgerEntryId, Partner};
use program::CustomerMigration;
use sqlx::SqliteConnection;
use uuid::Uuid;

use super::changes::{
    append_ledger, current, current_change, put_value, write_customer, Visibility,
};
use super::StoreError;

/// Records a migration the rules allow (`rules::migration`); the customer's partner of record
/// changes now if the migration is effective by `today`, else on its day (`apply_due_migrations`).
/// A migration is a record: once written, it is not changed.
pub(super) async fn put_migration(
    conn: &mut SqliteConnection,
    m: &CustomerMigration,
    today: NaiveDate,
) -> Result<u64, StoreError> {
    let id = m.id.to_string();
    let customer_id = m.customer_id.to_string();
    let is_new = current_change(conn, Entity::CustomerMigration, &id)
        .await?
        .is_none_or(|c| c.op == "delete");
    if !is_new {
        return Err(StoreError::Invalid {
            entity: Entity::CustomerMigration,
            reason: format!("{id}: recorded already; a migration is not changed"),
        });
    }
    let customer: Option<Customer> = current(conn, Entity::Customer, &customer_id).await?;
    let to: Option<Partner> = current(conn, Entity::Partner, &m.to_partner.to_string()).await?;
    let earlier = migrations_of(conn, m.customer_id).await?;
    super::rules::migration(m, customer.as_ref(), to.as_ref(), &earlier)?;
    let vis = Visibility::of([m.from_partner, m.to_partner]);
    let seq = put_value(
        conn,
        Entity::CustomerMigration,
        &id,
        m,
        Some(&customer_id),
        &vis,
    )
    .await?;
    if m.effective_on <= today {
        if let Some(mut customer) = customer {
            customer.partner_id = m.to_partner;
            write_customer(conn, &customer).await?;
        }
    }
    let line = LedgerEntry::for_migration(LedgerEntryId(Uuid::now_v7()), m, noon(m.effective_on));
    append_ledger(conn, &line).await?;
    Ok(seq)
}

/// A customer's recorded migrations, in the order they take effect.
pub(super) async fn migrations_of(
    conn: &mut SqliteConnection,
    customer: CustomerId,
) -> Result<Vec<CustomerMigration>, StoreError> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT data FROM changes \
         WHERE entity = 'customer_migration' AND customer = ? AND op = 'upsert'",
    )
    .bind(customer.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut out = rows
        .iter()
        .map(|d| serde_json::from_str::<CustomerMigration>(d))
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_by_key(|m| (m.effective_on, m.id));
    Ok(out)
}

/// Moves the customers whose migration takes effect by `today` to their new partner of record.
/// Returns how many moved.
pub(super) async fn apply_due_migrations(
    conn: &mut SqliteConnection,
    today: NaiveDate,
) -> Result<usize, StoreError> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT data FROM changes WHERE entity = 'customer_migration' AND op = 'upsert' ORDER BY seq",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut due: Vec<CustomerMigration> = rows
        .iter()
        .map(|d| serde_json::from_str::<CustomerMigration>(d))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|m| m.effective_on <= today)
        .collect();
    due.sort_by_key(|m| (m.effective_on, m.id));
    let mut moved = 0;
    for m in due {
        let customer: Option<Customer> =
            current(conn, Entity::Customer, &m.customer_id.to_string()).await?;
        if let Some(mut customer) = customer.filter(|c| c.partner_id == m.from_partner) {
            customer.partner_id = m.to_partner;
            write_customer(conn, &customer).await?;
            moved += 1;
        }
    }
    Ok(moved)
}

fn noon(day: NaiveDate) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_time(NaiveTime::from_hms_opt(12, 0, 0).expect("noon")))
}
