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
mod idempotency;
mod load;
mod migrations;
mod prospects;
mod reads;
mod rules;
mod snapshot;
mod tokens;
pub use tokens::{token_id, TokenInfo, DEFAULT_TOKEN_DAYS, TOKEN_ID_LEN};
mod write_tx;
mod writes;

pub(crate) use accounts::IssuedTokens;
pub(crate) use snapshot::{FeedRow, Snapshot};
pub(crate) use write_tx::WriteTx;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use program::contract::{Dataset, Entity, PartnerId, Role};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tokio::sync::Mutex;
use uuid::Uuid;

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
    /// The platform's day, when the server runs on a fixed one (`ServerConfig::today`); else the
    /// clock's.
    today: Option<NaiveDate>,
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
    /// Opens (creating if needed) the plaintext database at `path`, in WAL mode.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_keyed(path, None).await
    }

    /// Opens (creating if needed) the database at `path`, in WAL mode, encrypted under `key` when
    /// one is given.
    pub async fn open_keyed(
        path: &Path,
        key: Option<&crate::server::KeyPragma>,
    ) -> Result<Store, StoreError> {
        let mut options = SqliteConnectOptions::new();
        if let Some(key) = key {
            options = options
                .pragma("key", key.key.clone())
                .pragma("cipher_page_size", key.page_size.to_string());
        }
        let options = options
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .after_release(|conn, _| Box::pin(not_in_a_transaction(conn)))
            .connect_with(options)
            .await?;
        sqlx::raw_sql(include_str!("schema.sql"))
            .execute(&pool)
            .await?;
        let has_feed: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM feed WHERE id = 1)")
            .fetch_one(&pool)
            .await?;
        if !has_feed {
            sqlx::query("INSERT OR IGNORE INTO feed (id, head, horizon) VALUES (1, 0, 0)")
                .execute(&pool)
                .await?;
        }
        tokens::add_login_if_missing(&mut *pool.acquire().await?).await?;
        changes::add_copies_if_missing(&mut *pool.acquire().await?).await?;
        prospects::index_customers_if_missing(&mut *pool.acquire().await?).await?;
        prospects::index_open_deals_if_missing(&mut *pool.acquire().await?).await?;
        Ok(Store {
            pool,
            writer: Arc::new(Mutex::new(())),
            issued: Arc::default(),
            today: None,
        })
    }

    /// The same store, on a fixed day (`None`: the clock's).
    pub fn on_day(mut self, today: Option<NaiveDate>) -> Store {
        self.today = today;
        self
    }

    /// The platform's day: the fixed one, or the clock's.
    pub fn today(&self) -> NaiveDate {
        self.today
            .unwrap_or_else(|| chrono::Utc::now().date_naive())
    }

    /// Closes the pool, waiting for connections in use to come back, until no connection is left
    /// open on the file.
    ///
    /// sqlx's `Pool::close` (0.8) can miss one: a connection handed back while `close` waits for
    /// the others goes to the idle queue after `close` last emptied it, and stays open on the
    /// database — in WAL mode holding the file, and whatever transaction its last user left — for
    /// as long as anything holds the pool. An administrator's command on a stopped server's
    /// database then waited for that writer and failed with "database is locked". Closing again
    /// until the pool is empty closes it too.
    pub async fn close(&self) {
        self.pool.close().await;
        while self.pool.size() > 0 {
            tracing::debug!(
                open = self.pool.size(),
                "closing connections handed back late"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
            self.pool.close().await;
        }
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
        let mut w = self.begin_write().await?;
        for r in rates {
            sqlx::query(
                "INSERT OR IGNORE INTO fx_rates (currency, as_of, per_usd) VALUES (?, ?, ?)",
            )
            .bind(r.currency.code())
            .bind(r.as_of.to_string())
            .bind(r.per_usd.to_string())
            .execute(w.conn())
            .await?;
        }
        w.commit().await?;
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
}

/// Whether a connection handed back to the pool may be kept: not if it is still inside a
/// transaction. sqlx's SQLite `begin` is not cancel-safe (launchbadge/sqlx#3932): a request
/// dropped (its client gone) after its `BEGIN IMMEDIATE` ran but before it read the answer gave
/// its connection back inside a transaction nobody would end, holding the write lock, and every
/// later write failed. Such a connection is closed, which rolls the transaction back. The ping
/// goes through the connection's worker after whatever it still had to do, so a `BEGIN` still
/// queued has run when the depth is read.
async fn not_in_a_transaction(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection as _;
    conn.ping().await?;
    Ok(!conn.is_in_transaction())
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
