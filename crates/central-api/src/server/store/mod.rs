//! The server's SQLite store.
//!
//! It owns the compacted change feed (the latest change of every row, each at a strictly
//! increasing `seq`), who may see each change, the append-only ledger and its running totals per
//! partner, API tokens, and the record of decided mutations and idempotent responses.
//!
//! Every write goes through one [`WriteTx`] at a time: SQLite has a single writer, and queueing
//! writers in-process (plus `BEGIN IMMEDIATE` for other processes, such as the `token` command)
//! means no write ever fails on a busy lock. Every feed page is read from one [`Snapshot`], so its
//! head, rows and checksums agree with each other.
//!
//! The public methods are the test hooks: they make server-side changes the way the platform
//! would, and read back counts and balances to verify a client's mirror.

mod accounts;
mod changes;
mod load;

pub(crate) use accounts::IssuedTokens;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use futures_util::stream::BoxStream;
use program::contract::{
    CatalogItem, Customer, Dataset, Deployment, Entity, LedgerChecksum, LedgerEntry, NpsResponse,
    Outcome, Partner, PartnerId, Role, Territory,
};
use program::deals::{Deal, DealChange, DealEvent, DealId, DealRule, DealStatus};
use program::quotes::{Quote, QuoteId};
use program::{Credits, CustomerMigration};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, SqliteConnection, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};
use uuid::Uuid;

use super::caller::Caller;

/// What can go wrong in the store. Test hooks surface these; handlers map them to problems.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("stored JSON does not match its type: {0}")]
    Json(#[from] serde_json::Error),
    #[error("no {} with id {id}", .entity.as_str())]
    NotFound { entity: Entity, id: String },
    #[error("the ledger is append-only: {0}")]
    AppendOnly(String),
    #[error("invalid {}: {reason}", .entity.as_str())]
    Invalid { entity: Entity, reason: String },
    #[error("the feed already holds data; a dataset loads into an empty feed only")]
    NotEmpty,
    #[error("the database holds unexpected data: {0}")]
    Corrupt(String),
    #[error("cannot move the horizon to {horizon}: the feed's head is {head}")]
    HorizonAhead { horizon: u64, head: u64 },
    #[error("cannot create the token: {0}")]
    Token(String),
    #[error("cannot create the user: {0}")]
    Account(String),
}

/// Whose rows to count: everyone's, or what these partners may see (as the feed would show it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Partners(Vec<PartnerId>),
}

/// A handle on the server's database. Cheap to clone; every clone shares one pool and one writer
/// queue.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    writer: Arc<Mutex<()>>,
    issued: Arc<std::sync::Mutex<IssuedCursors>>,
}

/// Cursors the feed handed out below the horizon since the last compaction.
///
/// A cursor below the horizon is normally too old: tombstones after it were purged, so its holder
/// may keep rows that are gone. But a bootstrap that starts (at 0) after a compaction walks
/// through cursors below the horizon too, and holds only rows read after the purge. Remembering
/// which cursors were issued in the current compaction epoch, per token, tells the two apart
/// without breaking the page limit. The memory is lost on restart; a bootstrap in flight then
/// gets one 410 and starts over, which is safe.
#[derive(Debug, Default)]
struct IssuedCursors {
    epoch: u64,
    cursors: HashSet<(String, u64)>,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, in WAL mode.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::raw_sql(include_str!("schema.sql"))
            .execute(&pool)
            .await?;
        Ok(Store {
            pool,
            writer: Arc::new(Mutex::new(())),
            issued: Arc::default(),
        })
    }

    /// Closes the pool, waiting for connections in use to come back.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The newest `seq` handed out (0 for an empty feed).
    pub async fn head(&self) -> Result<u64, StoreError> {
        Ok(self.counters().await?.0)
    }

    /// The lowest valid cursor besides 0: tombstones below it have been purged.
    pub async fn horizon(&self) -> Result<u64, StoreError> {
        Ok(self.counters().await?.1)
    }

    async fn counters(&self) -> Result<(u64, u64), StoreError> {
        let (head, horizon): (i64, i64) =
            sqlx::query_as("SELECT head, horizon FROM feed WHERE id = 1")
                .fetch_one(&self.pool)
                .await?;
        Ok((head as u64, horizon as u64))
    }

    /// The day the loaded data is "as of", once a dataset has been loaded.
    pub async fn as_of(&self) -> Result<Option<NaiveDate>, StoreError> {
        let as_of: Option<NaiveDate> = sqlx::query_scalar("SELECT as_of FROM feed WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(as_of)
    }

    /// Records FX rates as published (a rate already published for its currency and day stays).
    pub async fn publish_fx_rates(&self, rates: &[program::FxRate]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for r in rates {
            sqlx::query(
                "INSERT OR IGNORE INTO fx_rates (currency, as_of, per_usd) VALUES (?, ?, ?)",
            )
            .bind(r.currency.code())
            .bind(r.as_of.to_string())
            .bind(r.per_usd.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Loads a whole dataset into an empty feed, in one transaction, and records its day and
    /// seed.
    pub async fn load(
        &self,
        data: &Dataset,
        seed: u64,
        as_of: NaiveDate,
    ) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        load::load(w.conn(), data, seed, as_of).await?;
        w.commit().await
    }

    // --- Test hooks: server-side changes -------------------------------------------------------

    /// Upserts any entity from its wire JSON (as it appears in a change's `data`), routing to the
    /// typed hook below. A ledger entry is appended (and refused if its id exists); a customer
    /// migration is recorded with its effects. Returns the row's new `seq`.
    pub async fn upsert(&self, entity: Entity, data: serde_json::Value) -> Result<u64, StoreError> {
        use serde_json::from_value;
        match entity {
            Entity::Partner => self.upsert_partner(&from_value(data)?).await,
            Entity::Territory => self.upsert_territory(&from_value(data)?).await,
            Entity::Customer => self.upsert_customer(&from_value(data)?).await,
            Entity::Deployment => self.upsert_deployment(&from_value(data)?).await,
            Entity::LedgerEntry => self.append_ledger(&from_value(data)?).await,
            Entity::NpsResponse => self.upsert_nps(&from_value(data)?).await,
            Entity::CatalogItem => self.upsert_catalog_item(&from_value(data)?).await,
            Entity::CustomerMigration => self.record_migration(&from_value(data)?).await,
            Entity::Deal => {
                let mut w = self.begin_write().await?;
                let seq = changes::put_deal(w.conn(), &from_value(data)?).await?;
                w.commit().await?;
                Ok(seq)
            }
            Entity::Quote => {
                let mut w = self.begin_write().await?;
                let seq = changes::put_quote(w.conn(), &from_value(data)?).await?;
                w.commit().await?;
                Ok(seq)
            }
            Entity::ActionItem => {
                let mut w = self.begin_write().await?;
                let seq = changes::put_action_item(w.conn(), &from_value(data)?).await?;
                w.commit().await?;
                Ok(seq)
            }
            Entity::TerritoryClaim => Err(StoreError::Invalid {
                entity,
                reason: "the territory map follows the territories; change a territory instead"
                    .into(),
            }),
        }
    }

    pub async fn upsert_partner(&self, partner: &Partner) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let seq = changes::put_partner(w.conn(), partner).await?;
        w.commit().await?;
        Ok(seq)
    }

    pub async fn upsert_territory(&self, territory: &Territory) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let seq = changes::put_territory(w.conn(), territory).await?;
        w.commit().await?;
        Ok(seq)
    }

    /// Upserts a customer. If its partner of record changed, its deployments are re-sent so the
    /// new partner's feed carries them.
    pub async fn upsert_customer(&self, customer: &Customer) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let seq = changes::put_customer(w.conn(), customer).await?;
        w.commit().await?;
        Ok(seq)
    }

    pub async fn upsert_deployment(&self, deployment: &Deployment) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let seq = changes::put_deployment(w.conn(), deployment).await?;
        w.commit().await?;
        Ok(seq)
    }

    pub async fn upsert_nps(&self, response: &NpsResponse) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let seq = changes::put_nps(w.conn(), response).await?;
        w.commit().await?;
        Ok(seq)
    }

    pub async fn upsert_catalog_item(&self, item: &CatalogItem) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let seq = changes::put_catalog_item(w.conn(), item).await?;
        w.commit().await?;
        Ok(seq)
    }

    /// Records a customer migration: the migration row, the customer's new partner of record
    /// (visible to both partners from now on), its deployments re-sent, and, for a new migration,
    /// the receiving partner's zero-credit ledger line. Returns the migration row's `seq`.
    pub async fn record_migration(&self, migration: &CustomerMigration) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let seq = changes::put_migration(w.conn(), migration).await?;
        w.commit().await?;
        Ok(seq)
    }

    /// Appends a ledger entry. Refused if an entry with its id exists (the ledger is append-only)
    /// or if it breaks the ledger's rules.
    pub async fn append_ledger(&self, entry: &LedgerEntry) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let seq = w.append_ledger(entry).await?;
        w.commit().await?;
        Ok(seq)
    }

    /// Expires every approved, open registration that sat in one stage for `registration_days`
    /// by `today`. Returns how many expired.
    pub async fn expire_deals(
        &self,
        today: NaiveDate,
        registration_days: u32,
    ) -> Result<usize, StoreError> {
        let mut w = self.begin_write().await?;
        let lapsed: Vec<Deal> = w
            .open_deals()
            .await?
            .into_iter()
            .filter(|d| d.is_lapsed(registration_days, today))
            .collect();
        let at = Utc::now();
        for mut deal in lapsed.iter().cloned() {
            deal.status = DealStatus::Expired;
            deal.refusal = Some(DealRule::Expired {
                days: registration_days,
            });
            deal.history.push(DealEvent {
                at,
                by: "platform".into(),
                what: DealChange::Expired {
                    days: registration_days,
                },
            });
            w.put_deal(&deal).await?;
        }
        w.commit().await?;
        Ok(lapsed.len())
    }

    /// Expires the sent quotes whose last valid day is before `today` (a customer can no longer
    /// accept them); returns how many.
    pub async fn expire_quotes(&self, today: NaiveDate) -> Result<usize, StoreError> {
        let mut w = self.begin_write().await?;
        let lapsed: Vec<String> = sqlx::query_scalar(
            "SELECT data FROM changes WHERE entity = 'quote' AND op = 'upsert' \
             AND json_extract(data, '$.status') = 'sent' \
             AND json_extract(data, '$.valid_until') < ?",
        )
        .bind(today.to_string())
        .fetch_all(w.conn())
        .await?;
        for data in &lapsed {
            let mut quote: Quote = serde_json::from_str(data)?;
            quote.status = program::quotes::QuoteStatus::Expired;
            w.put_quote(&quote).await?;
        }
        w.commit().await?;
        Ok(lapsed.len())
    }

    /// A quote as the platform holds it.
    pub async fn quote(&self, id: QuoteId) -> Result<Option<Quote>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        changes::current(&mut conn, Entity::Quote, &id.to_string()).await
    }

    /// A deal as the platform holds it.
    pub async fn deal(&self, id: DealId) -> Result<Option<Deal>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        changes::current(&mut conn, Entity::Deal, &id.to_string()).await
    }

    /// Deletes a row: its change becomes a tombstone at a new `seq`, seen by whoever saw the row.
    /// Ledger entries cannot be deleted.
    pub async fn delete(&self, entity: Entity, id: &str) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let seq = changes::delete(w.conn(), entity, id).await?;
        w.commit().await?;
        Ok(seq)
    }

    /// Purges tombstones below `horizon` and makes it the lowest valid cursor (besides 0, the
    /// bootstrap). Returns how many tombstones went.
    pub async fn compact(&self, horizon: u64) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let purged = changes::compact(w.conn(), horizon).await?;
        w.commit().await?;
        Ok(purged)
    }

    // --- Test hooks: reads ---------------------------------------------------------------------

    /// The current wire JSON of a row, or None if it does not exist or was deleted.
    pub async fn get(
        &self,
        entity: Entity,
        id: &str,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let data: Option<Option<String>> = sqlx::query_scalar(
            "SELECT data FROM changes WHERE entity = ? AND id = ? AND op = 'upsert'",
        )
        .bind(entity.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(data
            .flatten()
            .map(|d| serde_json::from_str(&d))
            .transpose()?)
    }

    /// The partners that exist, in feed order.
    pub async fn partner_ids(&self) -> Result<Vec<PartnerId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM changes WHERE entity = 'partner' AND op = 'upsert' ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await?;
        ids.iter().map(|id| parse_partner(id)).collect()
    }

    /// The catalog as it stands.
    pub async fn catalog(&self) -> Result<Vec<CatalogItem>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT data FROM changes WHERE entity = 'catalog_item' AND op = 'upsert' ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|d| serde_json::from_str(d))
            .collect::<Result<_, _>>()?)
    }

    /// How many live (not deleted) rows of `entity` the scope can see.
    pub async fn count(&self, entity: Entity, scope: &Scope) -> Result<u64, StoreError> {
        let count: i64 = match scope {
            Scope::All => {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM changes WHERE entity = ? AND op = 'upsert'",
                )
                .bind(entity.as_str())
                .fetch_one(&self.pool)
                .await?
            }
            Scope::Partners(partners) => {
                sqlx::query_scalar(COUNT_VISIBLE.as_str())
                    .bind(entity.as_str())
                    .bind(scope_json(partners))
                    .fetch_one(&self.pool)
                    .await?
            }
        };
        Ok(count as u64)
    }

    /// Every partner's ledger balance now.
    pub async fn balances(&self) -> Result<BTreeMap<PartnerId, Credits>, StoreError> {
        Ok(self
            .checksums_now()
            .await?
            .into_iter()
            .map(|c| (c.partner_id, c.balance))
            .collect())
    }

    /// Every partner's ledger entry count and balance now, as a feed trailer would state them.
    pub async fn checksums_now(&self) -> Result<Vec<LedgerChecksum>, StoreError> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT k.id, t.entries, t.balance FROM ledger_totals t \
             JOIN partner_keys k ON k.ix = t.pix \
             WHERE t.seq = (SELECT MAX(seq) FROM ledger_totals l WHERE l.pix = t.pix) \
             ORDER BY k.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, entries, balance)| {
                Ok(LedgerChecksum {
                    partner_id: parse_partner(&id)?,
                    entries: entries as u64,
                    balance: Credits::from_minor(balance),
                })
            })
            .collect()
    }

    // --- Tokens --------------------------------------------------------------------------------

    /// Creates an API token for `user` and returns it; only its SHA-256 is stored. A partner
    /// admin or partner sales token names exactly one partner; every partner named must exist.
    pub async fn create_token(
        &self,
        user: &str,
        role: Role,
        partners: &[PartnerId],
    ) -> Result<String, StoreError> {
        if user.trim().is_empty() {
            return Err(StoreError::Token("the user name is empty".into()));
        }
        let partners = self
            .check_scope(role, partners)
            .await?
            .map_err(StoreError::Token)?;
        let token = random_secret("pdk");
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO tokens (hash, user_name, role, partners, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token_hash(&token))
        .bind(user.trim())
        .bind(role_str(role))
        .bind(serde_json::to_string(&partners)?)
        .bind(Utc::now())
        .execute(w.conn())
        .await?;
        w.commit().await?;
        Ok(token)
    }

    /// The partners a token or user of `role` may name, sorted and without repeats: exactly one
    /// for partner roles, and every one must exist. The inner Err says why not.
    async fn check_scope(
        &self,
        role: Role,
        partners: &[PartnerId],
    ) -> Result<Result<Vec<PartnerId>, String>, StoreError> {
        if role != Role::PlatformAccountManager && partners.len() != 1 {
            return Ok(Err(format!(
                "a {} belongs to exactly one partner (got {})",
                role_str(role),
                partners.len()
            )));
        }
        let partners: Vec<PartnerId> = partners
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let known: BTreeSet<PartnerId> = self.partner_ids().await?.into_iter().collect();
        if let Some(unknown) = partners.iter().find(|p| !known.contains(p)) {
            return Ok(Err(format!("no partner with id {unknown}")));
        }
        Ok(Ok(partners))
    }

    /// Who a token belongs to: None for a token the server never issued (or revoked),
    /// `Err(expired)` inside for one whose time is up.
    pub(crate) async fn caller(
        &self,
        token: &str,
    ) -> Result<Option<Result<Caller, TokenExpired>>, StoreError> {
        let hash = token_hash(token);
        let row: Option<(String, String, String, Option<i64>)> = sqlx::query_as(
            "SELECT t.user_name, t.role, t.partners, e.expires_at
             FROM tokens t LEFT JOIN token_expiry e ON e.hash = t.hash WHERE t.hash = ?",
        )
        .bind(&hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some((user, role, partners, expires_at)) = row else {
            return Ok(None);
        };
        if expires_at.is_some_and(|at| at <= Utc::now().timestamp()) {
            return Ok(Some(Err(TokenExpired)));
        }
        let role = parse_role(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("a token has an unknown role {role:?}")))?;
        Ok(Some(Ok(Caller {
            user,
            role,
            partners: serde_json::from_str(&partners)?,
            token_hash: hash,
        })))
    }

    // --- Idempotency ---------------------------------------------------------------------------

    /// The stored (request hash, response) for an Idempotency-Key of `user`.
    pub(crate) async fn idempotent_response(
        &self,
        user: &str,
        key: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT request, response FROM idempotency WHERE user_name = ? AND key = ?",
        )
        .bind(user)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Stores the response to an Idempotency-Key, unless a concurrent request with the same key
    /// stored one first; returns whichever is stored, so both requests answer the same.
    pub(crate) async fn save_idempotent_response(
        &self,
        user: &str,
        key: &str,
        request: &str,
        response: &str,
    ) -> Result<(String, String), StoreError> {
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT OR IGNORE INTO idempotency (user_name, key, request, response, created_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(user)
        .bind(key)
        .bind(request)
        .bind(response)
        .bind(Utc::now())
        .execute(w.conn())
        .await?;
        let stored = sqlx::query_as(
            "SELECT request, response FROM idempotency WHERE user_name = ? AND key = ?",
        )
        .bind(user)
        .bind(key)
        .fetch_one(w.conn())
        .await?;
        w.commit().await?;
        Ok(stored)
    }

    // --- Transactions --------------------------------------------------------------------------

    /// Begins the one write transaction; others wait their turn.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx, StoreError> {
        let guard = self.writer.clone().lock_owned().await;
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(WriteTx { tx, _guard: guard })
    }

    /// Begins a read snapshot of the feed.
    pub(crate) async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The first read fixes the snapshot: everything after sees the feed as of this head.
        let (head, horizon, epoch): (i64, i64, i64) =
            sqlx::query_as("SELECT head, horizon, epoch FROM feed WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
        Ok(Snapshot {
            tx,
            head: head as u64,
            horizon: horizon as u64,
            epoch: epoch as u64,
        })
    }

    /// Whether `cursor` is one the feed can resume from for this token, as of `snapshot`: 0 (a
    /// bootstrap), at or above the horizon, or issued below it since the last compaction.
    pub(crate) fn cursor_is_valid(
        &self,
        snapshot: &Snapshot,
        token_hash: &str,
        cursor: u64,
    ) -> bool {
        if cursor == 0 || cursor >= snapshot.horizon {
            return true;
        }
        let issued = self.issued.lock().expect("issued cursors lock");
        issued.epoch == snapshot.epoch && issued.cursors.contains(&(token_hash.to_string(), cursor))
    }

    /// Remembers a cursor handed out below the horizon (see [`IssuedCursors`]).
    pub(crate) fn remember_cursor(&self, snapshot_epoch: u64, token_hash: &str, cursor: u64) {
        let mut issued = self.issued.lock().expect("issued cursors lock");
        if issued.epoch < snapshot_epoch {
            *issued = IssuedCursors {
                epoch: snapshot_epoch,
                cursors: HashSet::new(),
            };
        }
        // A page read before a compaction that has since committed proves nothing.
        if issued.epoch == snapshot_epoch {
            issued.cursors.insert((token_hash.to_string(), cursor));
        }
    }
}

/// The write transaction. Dropped without `commit`, it rolls back.
pub(crate) struct WriteTx {
    // Declared before the guard so it is dropped (and rolled back) before the next writer enters.
    tx: Transaction<'static, Sqlite>,
    _guard: OwnedMutexGuard<()>,
}

impl WriteTx {
    pub(crate) fn conn(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
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

    /// The outcome already decided for a mutation id, if any.
    pub(crate) async fn decided(&mut self, id: Uuid) -> Result<Option<Outcome>, StoreError> {
        let outcome: Option<String> =
            sqlx::query_scalar("SELECT outcome FROM mutations WHERE id = ?")
                .bind(id.to_string())
                .fetch_optional(self.conn())
                .await?;
        Ok(outcome.map(|o| serde_json::from_str(&o)).transpose()?)
    }

    /// Records a mutation's final outcome, in the same transaction as its effect.
    pub(crate) async fn record_decision(
        &mut self,
        id: Uuid,
        user: &str,
        outcome: &Outcome,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO mutations (id, user_name, outcome, decided_at) VALUES (?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(user)
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

    pub(crate) async fn territories(&mut self) -> Result<Vec<Territory>, StoreError> {
        changes::territories(self.conn()).await
    }

    pub(crate) async fn catalog(&mut self) -> Result<Vec<CatalogItem>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT data FROM changes WHERE entity = 'catalog_item' AND op = 'upsert'",
        )
        .fetch_all(self.conn())
        .await?;
        Ok(rows
            .iter()
            .map(|d| serde_json::from_str(d))
            .collect::<Result<_, _>>()?)
    }

    /// Partners by id, for the names and tiers the deal rules print.
    pub(crate) async fn partners(&mut self) -> Result<Vec<Partner>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT data FROM changes WHERE entity = 'partner' AND op = 'upsert'",
        )
        .fetch_all(self.conn())
        .await?;
        Ok(rows
            .iter()
            .map(|d| serde_json::from_str(d))
            .collect::<Result<_, _>>()?)
    }
}

/// One change as stored, ready to be written as a feed line.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct FeedRow {
    pub seq: i64,
    pub entity: String,
    pub id: String,
    pub op: String,
    pub version: i64,
    pub data: Option<String>,
    /// For a ledger entry: its partner's key, to state that partner's checksum in the trailer.
    pub ledger_partner: Option<i64>,
}

/// A consistent read of the feed: the head, the rows and the ledger totals all as of one moment.
pub(crate) struct Snapshot {
    tx: Transaction<'static, Sqlite>,
    pub head: u64,
    pub horizon: u64,
    /// How many compactions there had been.
    pub epoch: u64,
}

impl Snapshot {
    /// The changes after `after` that `partners` may see, in `seq` order, at most `limit`.
    pub(crate) fn changes(
        &mut self,
        after: u64,
        limit: u32,
        partners: &[PartnerId],
    ) -> BoxStream<'_, Result<FeedRow, sqlx::Error>> {
        sqlx::query_as::<_, FeedRow>(FEED_PAGE.as_str())
            .bind(after as i64)
            .bind(scope_json(partners))
            .bind(i64::from(limit))
            .fetch(&mut *self.tx)
    }

    /// Each partner's ledger entry count and balance as of `seq`, by partner key.
    pub(crate) async fn checksums(
        &mut self,
        partners: &BTreeSet<i64>,
        seq: u64,
    ) -> Result<Vec<LedgerChecksum>, StoreError> {
        let mut out = Vec::with_capacity(partners.len());
        for pix in partners {
            let row: Option<(String, i64, i64)> = sqlx::query_as(
                "SELECT k.id, t.entries, t.balance FROM ledger_totals t \
                 JOIN partner_keys k ON k.ix = t.pix \
                 WHERE t.pix = ? AND t.seq <= ? ORDER BY t.seq DESC LIMIT 1",
            )
            .bind(pix)
            .bind(seq as i64)
            .fetch_optional(&mut *self.tx)
            .await?;
            if let Some((id, entries, balance)) = row {
                out.push(LedgerChecksum {
                    partner_id: parse_partner(&id)?,
                    entries: entries as u64,
                    balance: Credits::from_minor(balance),
                });
            }
        }
        out.sort_by_key(|c| c.partner_id);
        Ok(out)
    }
}

/// A change is visible to a scope (bound as `?2`, a JSON array of partner ids) if it is public
/// or one of the scope's partners is among the change's partners. The `+` keeps SQLite from
/// seeking `(seq, pix)` once per partner of the scope (hundreds for an account manager, for
/// every row of the feed): it reads the change's own partners (one to three) by `seq` and looks
/// each up in the scope's list.
const VISIBLE_TO_SCOPE: &str = "(c.public = 1 OR EXISTS (\
    SELECT 1 FROM change_partners v WHERE v.seq = c.seq AND +v.pix IN (\
        SELECT k.ix FROM partner_keys k WHERE k.id IN (SELECT value FROM json_each(?2)))))";

/// One page of the feed: after `?1`, visible to `?2`, at most `?3`. Scanning in `seq` order and
/// checking visibility per row keeps a whole sync at one pass over the feed whatever the scope,
/// since each page resumes where the last one stopped.
static FEED_PAGE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT c.seq, c.entity, c.id, c.op, c.version, c.data, \
            CASE WHEN c.entity = 'ledger_entry' \
                THEN (SELECT v.pix FROM change_partners v WHERE v.seq = c.seq LIMIT 1) \
            END AS ledger_partner \
         FROM changes c WHERE c.seq > ?1 AND {VISIBLE_TO_SCOPE} ORDER BY c.seq LIMIT ?3"
    )
});

/// Live rows of entity `?1` visible to `?2`.
static COUNT_VISIBLE: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT COUNT(*) FROM changes c WHERE c.entity = ?1 AND c.op = 'upsert' AND {VISIBLE_TO_SCOPE}")
});

fn scope_json(partners: &[PartnerId]) -> String {
    serde_json::to_string(partners).expect("partner ids serialize")
}

fn parse_partner(id: &str) -> Result<PartnerId, StoreError> {
    Uuid::parse_str(id)
        .map(PartnerId)
        .map_err(|e| StoreError::Corrupt(format!("partner id {id:?}: {e}")))
}

/// How a role is stored: its wire name.
pub(crate) fn role_str(role: Role) -> &'static str {
    match role {
        Role::PlatformAccountManager => "platform_account_manager",
        Role::PartnerAdmin => "partner_admin",
        Role::PartnerSales => "partner_sales",
    }
}

fn parse_role(s: &str) -> Option<Role> {
    [
        Role::PlatformAccountManager,
        Role::PartnerAdmin,
        Role::PartnerSales,
    ]
    .into_iter()
    .find(|r| role_str(*r) == s)
}

/// A token the server issued whose time is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenExpired;

/// A new random secret (token, code): `prefix_` and 64 hex digits from the OS's generator.
fn random_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}_{}", hex(&bytes))
}

/// Tokens are looked up by their SHA-256: a stolen database holds no usable token.
fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
