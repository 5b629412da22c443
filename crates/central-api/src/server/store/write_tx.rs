//! The one write transaction ([`WriteTx`]) and the reads and writes made inside it.

use std::panic::Location;
use std::time::{Duration, Instant};

use chrono::Utc;
use program::contract::{
    CatalogItem, CustomerId, Entity, LedgerEntry, Outcome, Partner, PartnerId, Territory,
};
use program::deals::{Deal, DealId, KnownCustomer, Prospect};
use program::quotes::{Quote, QuoteId};
use sqlx::{Sqlite, SqliteConnection, Transaction};
use tokio::sync::OwnedMutexGuard;
use uuid::Uuid;

use super::{changes, prospects, Store, StoreError};

impl Store {
    // --- Transactions --------------------------------------------------------------------------

    /// Begins the one write transaction; others wait their turn. A wait or a hold past
    /// [`SLOW_WRITE`] is logged with the caller's place in the code, so a writer that keeps the
    /// others waiting names itself.
    #[track_caller]
    pub(crate) fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<WriteTx, StoreError>> + Send + '_ {
        let caller = Location::caller();
        async move {
            let asked = Instant::now();
            let guard = self.writer.clone().lock_owned().await;
            let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            let waited = asked.elapsed();
            if waited > SLOW_WRITE {
                tracing::warn!(%caller, ?waited, "a write waited for the lock");
            }
            Ok(WriteTx {
                tx,
                _guard: guard,
                caller,
                began: Instant::now(),
            })
        }
    }
}

/// A write transaction waited for or held longer than this is logged.
const SLOW_WRITE: Duration = Duration::from_secs(1);

/// The write transaction. Dropped without `commit`, it rolls back.
pub(crate) struct WriteTx {
    // Declared before the guard so it is dropped (and rolled back) before the next writer enters.
    tx: Transaction<'static, Sqlite>,
    _guard: OwnedMutexGuard<()>,
    caller: &'static Location<'static>,
    began: Instant,
}

impl WriteTx {
    pub(crate) fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        let held = self.began.elapsed();
        if held > SLOW_WRITE {
            tracing::warn!(caller = %self.caller, ?held, "a write held the lock");
        }
        Ok(())
    }

    /// The customers the no-poaching rule compares `prospect` with: the one named by `id` and
    /// every customer whose normalized name or domain is the prospect's.
    pub(crate) async fn customers_matching(
        &mut self,
        prospect: &Prospect,
        id: Option<CustomerId>,
    ) -> Result<Vec<KnownCustomer>, StoreError> {
        prospects::customers_matching(self.conn(), prospect, id).await
    }

    /// Whether the platform published `rate` (its currency, day and units per USD).
    pub(crate) async fn fx_rate_published(
        &mut self,
        rate: &program::FxRate,
    ) -> Result<bool, StoreError> {
        let per_usd: Option<String> =
            sqlx::query_scalar("SELECT per_usd FROM fx_rates WHERE currency = ? AND as_of = ?")
                .bind(rate.currency.code())
                .bind(rate.as_of.to_string())
                .fetch_optional(self.conn())
                .await?;
        Ok(per_usd.and_then(|p| p.parse::<rust_decimal::Decimal>().ok()) == Some(rate.per_usd))
    }

    /// The outcome already decided for a mutation id, if any, with the principal who sent it.
    pub(crate) async fn decided(
        &mut self,
        id: Uuid,
    ) -> Result<Option<(String, Outcome)>, StoreError> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT user_name, outcome FROM mutations WHERE id = ?")
                .bind(id.to_string())
                .fetch_optional(self.conn())
                .await?;
        row.map(|(principal, o)| Ok((principal, serde_json::from_str(&o)?)))
            .transpose()
    }

    /// Records a mutation's final outcome, in the same transaction as its effect, for the
    /// principal who sent it.
    pub(crate) async fn record_decision(
        &mut self,
        id: Uuid,
        principal: &str,
        outcome: &Outcome,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO mutations (id, user_name, outcome, decided_at) VALUES (?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(principal)
        .bind(serde_json::to_string(outcome)?)
        .bind(Utc::now())
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// A partner as it stands, or None if it does not exist (or was deleted).
    pub(crate) async fn partner(&mut self, id: PartnerId) -> Result<Option<Partner>, StoreError> {
        changes::current(self.conn(), Entity::Partner, &id.to_string()).await
    }

    pub(crate) async fn append_ledger(&mut self, entry: &LedgerEntry) -> Result<u64, StoreError> {
        changes::append_ledger(self.conn(), entry).await
    }

    pub(crate) async fn deal(&mut self, id: DealId) -> Result<Option<Deal>, StoreError> {
        changes::current(self.conn(), Entity::Deal, &id.to_string()).await
    }

    pub(crate) async fn put_deal(&mut self, deal: &Deal) -> Result<u64, StoreError> {
        changes::put_deal(self.conn(), deal).await
    }

    pub(crate) async fn quote(&mut self, id: QuoteId) -> Result<Option<Quote>, StoreError> {
        changes::current(self.conn(), Entity::Quote, &id.to_string()).await
    }

    pub(crate) async fn action_item(
        &mut self,
        id: program::qbr::ActionItemId,
    ) -> Result<Option<program::qbr::ActionItem>, StoreError> {
        changes::current(self.conn(), Entity::ActionItem, &id.to_string()).await
    }

    pub(crate) async fn put_action_item(
        &mut self,
        item: &program::qbr::ActionItem,
    ) -> Result<u64, StoreError> {
        changes::put_action_item(self.conn(), item).await
    }

    pub(crate) async fn put_quote(&mut self, quote: &Quote) -> Result<u64, StoreError> {
        changes::put_quote(self.conn(), quote).await
    }

    pub(crate) async fn quote_number_taken(
        &mut self,
        id: QuoteId,
        number: &str,
        revision: u32,
    ) -> Result<bool, StoreError> {
        changes::quote_number_taken(self.conn(), &id.to_string(), number, revision).await
    }

    pub(crate) async fn open_deals(&mut self) -> Result<Vec<Deal>, StoreError> {
        changes::open_deals(self.conn()).await
    }

    /// See `prospects::open_deals_like`.
    pub(crate) async fn open_deals_like(
        &mut self,
        prospect: &program::deals::Prospect,
    ) -> Result<Vec<Deal>, StoreError> {
        prospects::open_deals_like(self.conn(), prospect).await
    }

    /// See `changes::territories_in`.
    pub(crate) async fn territories_in(
        &mut self,
        country: program::Country,
    ) -> Result<Vec<Territory>, StoreError> {
        changes::territories_in(self.conn(), country).await
    }

    pub(crate) async fn catalog(&mut self) -> Result<Vec<CatalogItem>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT data FROM changes WHERE entity = 'catalog_item' AND op = 'upsert'",
        )
        .fetch_all(self.conn())
        .await?;
        changes::decode_all(&rows)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sqlx::Connection;

    use crate::server::store::Store;

    /// A request whose client goes away is dropped wherever it stands, `begin_write` included.
    /// sqlx's SQLite `begin` is not cancel-safe (launchbadge/sqlx#3932): dropped after its
    /// `BEGIN IMMEDIATE` ran but before it read the answer, it handed its connection back to the
    /// pool inside a transaction that nobody would end, holding the write lock: every later write
    /// failed or waited out the busy timeout. Thousands of writes cancelled at random points, then
    /// no pooled connection is inside a transaction and writes go through at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_cancelled_at_any_point_leaves_no_transaction_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("central.sqlite3"))
            .await
            .unwrap();
        for i in 0..3_000u64 {
            let write = store.begin_write();
            let _ = tokio::time::timeout(Duration::from_micros(i % 150), write).await;
        }
        // Every connection of the pool at once, each asked (through its worker, after whatever
        // it was still doing) whether it is inside a transaction.
        let mut held = Vec::new();
        for _ in 0..8 {
            let mut conn = store
                .pool
                .acquire()
                .await
                .expect("every connection of the pool, in time");
            conn.ping().await.unwrap();
            assert!(
                !conn.is_in_transaction(),
                "a pooled connection was left inside a transaction"
            );
            held.push(conn);
        }
        drop(held);
        for _ in 0..20 {
            let w = tokio::time::timeout(Duration::from_secs(2), store.begin_write())
                .await
                .expect("a write waited 2 s for the lock")
                .unwrap();
            w.commit().await.unwrap();
        }
    }
}
