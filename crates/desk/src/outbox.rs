//! The outbox: local changes waiting for the central API, and the ones it refused.
//!
//! A local write and its outbox row commit in one transaction on a connection switched to
//! `synchronous = FULL`, so a change the user saw saved survives a crash or a power cut.

use chrono::{SecondsFormat, Utc};
use program::contract::MutationKind;
use serde::{Deserialize, Serialize};
use sqlx::pool::PoolConnection;
use sqlx::{Row, Sqlite};
use ts_rs::TS;
use uuid::Uuid;

use crate::error::{DeskError, Result};
use crate::store::Store;
use crate::views::{ChangeSummary, RejectedChange};

/// A change the central API refused, shown on what it changed (a deal, a quote) until the user
/// dismisses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RefusedChange {
    /// The outbox id, to dismiss it.
    pub id: String,
    pub reason: String,
}

/// Queues `kind` for the central API; returns the mutation's id (a UUIDv7).
pub async fn enqueue(
    store: &Store,
    entity: &str,
    entity_id: &str,
    kind: &MutationKind,
    base_version: Option<u64>,
) -> Result<Uuid> {
    let mut w = LocalWrite::begin(store).await?;
    let id = w.enqueue(entity, entity_id, kind, base_version).await?;
    w.commit().await?;
    Ok(id)
}

/// A local write: one transaction, on a connection switched to `synchronous = FULL`, for a
/// user's change and its outbox rows. Dropped without [`LocalWrite::commit`], it rolls back (its
/// connection is closed rather than returned to the pool with a transaction open).
pub struct LocalWrite {
    conn: PoolConnection<Sqlite>,
    open: bool,
}

impl LocalWrite {
    pub async fn begin(store: &Store) -> Result<LocalWrite> {
        let mut conn = store.pool().acquire().await?;
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut *conn)
            .await?;
        let mut w = LocalWrite { conn, open: false };
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *w.conn).await?;
        w.open = true;
        Ok(w)
    }

    /// The connection, for the user's change itself, in the same transaction.
    pub fn conn(&mut self) -> &mut sqlx::SqliteConnection {
        &mut self.conn
    }

    /// Adds an outbox row; returns the mutation's id (a UUIDv7).
    pub async fn enqueue(
        &mut self,
        entity: &str,
        entity_id: &str,
        kind: &MutationKind,
        base_version: Option<u64>,
    ) -> Result<Uuid> {
        let id = Uuid::now_v7();
        let payload = serde_json::to_string(kind)
            .map_err(|e| DeskError::Corrupt(format!("mutation payload: {e}")))?;
        sqlx::query(
            "INSERT INTO outbox (id, entity, entity_id, op, payload, base_version, created_at) \
             VALUES (?, ?, ?, 'upsert', ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(entity)
        .bind(entity_id)
        .bind(payload)
        .bind(base_version.and_then(|v| i64::try_from(v).ok()))
        .bind(Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true))
        .execute(&mut *self.conn)
        .await?;
        Ok(id)
    }

    pub async fn commit(mut self) -> Result<()> {
        sqlx::query("COMMIT").execute(&mut *self.conn).await?;
        self.open = false;
        sqlx::query("PRAGMA synchronous = NORMAL")
            .execute(&mut *self.conn)
            .await?;
        Ok(())
    }
}

impl Drop for LocalWrite {
    fn drop(&mut self) {
        if self.open {
            self.conn.close_on_drop();
        }
    }
}

/// The changes the central API refused, newest first, with their reasons.
pub async fn rejected(store: &Store) -> Result<Vec<RejectedChange>> {
    let rows = sqlx::query(
        "SELECT o.id, o.payload, o.last_error, o.created_at, p.name AS partner \
         FROM outbox o LEFT JOIN partners p ON p.id = coalesce(json_extract(o.payload, '$.input.partner_id'), json_extract(o.payload, '$.input.deal.partner_id'), json_extract(o.payload, '$.input.quote.partner_id'), json_extract(o.payload, '$.input.item.partner_id')) \
         WHERE o.status = 'rejected' ORDER BY o.seq DESC",
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let payload: String = r.try_get("payload")?;
            let kind: MutationKind = serde_json::from_str(&payload)
                .map_err(|e| DeskError::Corrupt(format!("outbox payload: {e}")))?;
            let partner: Option<String> = r.try_get("partner")?;
            let what = match kind {
                MutationKind::PurchaseCredits { credits, .. } => ChangeSummary::PurchaseCredits {
                    credits: credits.amount().to_string(),
                    partner,
                },
                MutationKind::RegisterDeal { deal } => ChangeSummary::RegisterDeal {
                    company: deal.company,
                },
                MutationKind::SaveQuote { quote } => ChangeSummary::SaveQuote {
                    number: quote.number,
                    customer: quote.customer,
                },
                MutationKind::SetQuoteStatus { to, .. } => {
                    ChangeSummary::SetQuoteStatus { status: to }
                }
                MutationKind::SaveActionItem { item } => {
                    ChangeSummary::SaveActionItem { text: item.text }
                }
                MutationKind::EditDeal { edits, .. } => ChangeSummary::EditDeal {
                    fields: edits.iter().map(|e| e.field()).collect(),
                },
            };
            Ok(RejectedChange {
                id: r.try_get("id")?,
                what,
                reason: r
                    .try_get::<Option<String>, _>("last_error")?
                    .unwrap_or_default(),
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
}

/// Removes a refused change once the user has seen it.
pub async fn dismiss(store: &Store, id: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM outbox WHERE id = ? AND status = 'rejected'")
        .bind(id)
        .execute(store.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(DeskError::NotFound {
            what: format!("refused change {id}"),
        });
    }
    Ok(())
}
