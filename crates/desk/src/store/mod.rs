//! The local SQLite cache: opening it, its schema, and loading a whole workspace into it.
//!
//! The cache lives in the OS app-data folder, encrypted with SQLCipher under a key kept in the OS
//! secret store (`cipher`). It is opened in WAL mode with foreign keys on and a busy timeout,
//! migrated with the embedded migrations, and refused (untouched) when a newer Partner Desk has
//! already migrated it past what this build knows.

mod chunks;
pub mod cipher;
mod first_sync;
mod indexes;
pub(crate) mod ledger_days;
pub mod lock;
mod rows;

use std::path::{Path, PathBuf};
use std::time::Duration;

use program::contract::Dataset;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::SqliteConnection;

use crate::error::{DeskError, Result};
use crate::secrets::DatabaseKey;

use indexes::{restore_indexes_on_open, table_exists};

pub(crate) use chunks::{delete_where_in, execute_in_chunks};
pub use first_sync::{done_path, first_sync_path};
pub use indexes::DEFERRED_INDEXES;
pub(crate) use indexes::{defer_indexes, ledger_days_kept, restore_indexes};
pub(crate) use rows::{
    mark_figures_dirty, mark_figures_dirty_where_in, mark_holders_dirty, mark_search_dirty,
    upsert_rows, HoldersOf, Rows,
};

/// The cache's schema, embedded at compile time from `migrations/`.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// Each connection's page cache, in KiB. SQLCipher decrypts and checks every page it reads from
/// disk, so a page kept in the cache is one not decrypted again: with SQLite's default (2 MiB,
/// 128 of the cache's 16 KiB pages) refreshing every partner's figures took 5.3 s, with this 3.5 s
/// (sync benchmark, 200,000 deployments; 3.2 s in 4 KiB pages).
const PAGE_CACHE_KIB: u32 = 16 * 1024;

/// How every transaction that writes begins. `BEGIN IMMEDIATE` takes the write lock first, so a
/// transaction that reads before it writes (a page reads the outbox, an index rebuild reads the
/// schema) never finds its snapshot overtaken by another connection's commit: that is
/// `SQLITE_BUSY_SNAPSHOT` (517), which no busy timeout waits out. Waiting for the lock is left to
/// the busy timeout.
pub(crate) const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// The file name of the cache inside the data folder.
pub const CACHE_FILE: &str = "partner-desk.sqlite3";

#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
    key: DatabaseKey,
    /// The file the pool's connections open since a first sync's file became the cache (see
    /// `first_sync`); until then, `path`.
    live: std::sync::Arc<std::sync::OnceLock<PathBuf>>,
    /// Local writes (a user's change and its outbox row, a setting, the sync state) each take a
    /// turn to read; making a first sync's file the cache takes the turn to write, so that no local
    /// write lands in the file being left.
    writes: std::sync::Arc<tokio::sync::RwLock<()>>,
    /// Serialises refreshes of `partner_figures` (see `crate::figures`).
    figures_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// This process's hold on the cache (`lock`), until [`Store::close`].
    held: std::sync::Arc<std::sync::Mutex<Option<std::sync::Arc<lock::CacheLock>>>>,
}

/// When a cache's pages are checked (`PRAGMA cipher_integrity_check`: every page of the file read
/// and its authentication code compared, seconds on a cache of a million deployments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageCheck {
    /// Before the cache is handed out: the command-line programs, which then read it whole.
    AtOpen,
    /// By [`Store::check_pages`], once the window shows the cache: damage found then is recovered
    /// at the next start. (A damaged page read before that fails its own read: SQLCipher checks
    /// each page it reads.)
    Later,
}

impl Store {
    /// Opens (creating if needed) the cache at `path` under its key from the OS secret store
    /// (made for a new cache, or for a plaintext one, which is encrypted on the way), and brings
    /// its schema up to date.
    pub async fn open(path: &Path) -> Result<Store> {
        Store::open_checking(path, PageCheck::AtOpen).await
    }

    /// As [`Store::open`], its pages checked when `check` says.
    pub async fn open_checking(path: &Path, check: PageCheck) -> Result<Store> {
        let key = cipher::key_for(path).await?;
        Store::open_keyed(path, &key, check).await
    }

    /// Opens (creating if needed) the cache at `path` under `key`.
    pub async fn open_with_key(path: &Path, key: &DatabaseKey) -> Result<Store> {
        Store::open_keyed(path, key, PageCheck::AtOpen).await
    }

    async fn open_keyed(path: &Path, key: &DatabaseKey, check: PageCheck) -> Result<Store> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        // Before anything touches the file: no other process has it open.
        let held = lock::acquire(path)?;
        // A first sync's file an earlier process made the cache takes the cache's name.
        first_sync::finish(path, key).await?;
        // Pages that failed their check while the cache was open last time: recovered now.
        if let Ok(why) = std::fs::read_to_string(cipher::check_failed_path(path)) {
            return Err(DeskError::CacheUnreadable(format!(
                "its pages failed their check while it was open: {why}"
            )));
        }
        // A damaged file found while moving it to this version's pages is recovered as any other.
        cipher::prepare(path, key)
            .await
            .map_err(unreadable_if_damaged)?;
        let live = std::sync::Arc::new(std::sync::OnceLock::<PathBuf>::new());
        let pool = match SqlitePoolOptions::new()
            .max_connections(4)
            .before_acquire({
                let live = live.clone();
                move |conn, _| {
                    let live = live.clone();
                    Box::pin(async move { on_live_file(conn, &live).await })
                }
            })
            .after_release({
                let live = live.clone();
                move |conn, _| {
                    let live = live.clone();
                    Box::pin(async move {
                        Ok(not_in_a_transaction(conn).await? && on_live_file(conn, &live).await?)
                    })
                }
            })
            .connect_with(pool_options(path, key, true))
            .await
        {
            Ok(pool) => pool,
            Err(e) => return Err(unreadable_if_damaged(e.into())),
        };
        let ready = async {
            refuse_newer_schema(&pool).await?;
            if check == PageCheck::AtOpen {
                verify(&pool).await?;
            }
            // Before anything reads the cache, or a migration alters it: a first sync that
            // stopped midway (the process killed) left its secondary indexes dropped.
            restore_indexes_on_open(&pool).await?;
            MIGRATOR.run(&pool).await?;
            key_customers_of_older_caches(&pool).await
        };
        if let Err(e) = ready.await {
            pool.close().await;
            return Err(unreadable_if_damaged(e));
        }
        Ok(Store {
            pool,
            path: path.to_path_buf(),
            key: key.clone(),
            live,
            writes: std::sync::Arc::default(),
            figures_lock: std::sync::Arc::default(),
            held: std::sync::Arc::new(std::sync::Mutex::new(Some(held))),
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Checks every page of the open cache (what [`PageCheck::AtOpen`] does before handing it
    /// out). Damage found is [`DeskError::CacheUnreadable`], and is written down beside the cache
    /// so that the next open recovers it (`crate::recovery`).
    pub async fn check_pages(&self) -> Result<()> {
        let started = std::time::Instant::now();
        match verify(&self.pool).await {
            Err(DeskError::CacheUnreadable(why)) => {
                std::fs::write(cipher::check_failed_path(&self.path), &why)?;
                Err(DeskError::CacheUnreadable(why))
            }
            Ok(()) => {
                tracing::info!(
                    ms = started.elapsed().as_millis(),
                    "the cache's pages checked"
                );
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the cache, deletes its files (the database, its WAL and shared memory, any damaged
    /// copy moved aside) and their keys, and opens a new, empty cache under a new key in its place. Nothing of the old one is left
    /// to read: not the rows, not the free pages or search indexes that held them.
    pub async fn renew(&self) -> Result<Store> {
        self.close().await;
        // Damaged copies a recovery moved aside hold the same account's data.
        for damaged in cipher::damaged_files(&self.path) {
            cipher::remove_database(&damaged)?;
            crate::secrets::delete_database_key(&damaged).await?;
        }
        cipher::remove_database(&self.path)?;
        crate::secrets::delete_database_key(&self.path).await?;
        Store::open(&self.path).await
    }

    /// Closes the cache, and lets another process open it.
    pub async fn close(&self) {
        self.pool.close().await;
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
    }

    /// Whether the cache holds no workspace yet.
    pub async fn is_empty(&self) -> Result<bool> {
        let any = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM partners) AS "any!: bool""#)
            .fetch_one(&self.pool)
            .await?;
        Ok(!any)
    }

    pub(crate) fn figures_lock(&self) -> &tokio::sync::Mutex<()> {
        &self.figures_lock
    }

    pub async fn get_state(&self, key: &str) -> Result<Option<String>> {
        get_state_on(&mut *self.pool.acquire().await?, key).await
    }

    pub async fn delete_state(&self, key: &str) -> Result<()> {
        let _turn = self.write_turn().await;
        delete_state_on(&mut *self.pool.acquire().await?, key).await
    }

    pub async fn set_state(&self, key: &str, value: &str) -> Result<()> {
        let _turn = self.write_turn().await;
        set_state_on(&mut *self.pool.acquire().await?, key, value).await
    }

    /// A local write's turn: see [`Store::writes`]. Held for the whole write.
    pub(crate) async fn write_turn(&self) -> tokio::sync::OwnedRwLockReadGuard<()> {
        self.writes.clone().read_owned().await
    }

    /// Loads a whole workspace in one transaction: all of it or none of it.
    pub async fn load_dataset(&self, data: &Dataset, state: &[(&str, String)]) -> Result<()> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let rows = Rows::of_dataset(data);
        upsert_rows(&mut tx, &rows).await?;
        mark_figures_dirty(&mut tx, &rows.touched_partners()).await?;
        for (key, value) in state {
            sqlx::query!(
                "INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)",
                key,
                value,
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The `sync_state` value under `key`, on a connection (inside a transaction or not).
pub(crate) async fn get_state_on(conn: &mut SqliteConnection, key: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar!("SELECT value FROM sync_state WHERE key = ?", key)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Sets the `sync_state` value under `key`, on a connection (inside a transaction or not).
pub(crate) async fn set_state_on(
    conn: &mut SqliteConnection,
    key: &str,
    value: &str,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO sync_state (key, value) VALUES (?, ?) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        key,
        value,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Forgets the `sync_state` value under `key`, on a connection (inside a transaction or not).
pub(crate) async fn delete_state_on(conn: &mut SqliteConnection, key: &str) -> Result<()> {
    sqlx::query!("DELETE FROM sync_state WHERE key = ?", key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The options of the pool's connections to the cache's file `file`: in WAL mode, or (`wal`
/// false, while a first sync writes the file) in the journal mode the file is in.
fn pool_options(file: &Path, key: &DatabaseKey, wal: bool) -> SqliteConnectOptions {
    let options = cipher::keyed(SqliteConnectOptions::new(), key)
        .filename(file)
        .create_if_missing(true);
    let options = if wal {
        options.journal_mode(SqliteJournalMode::Wal)
    } else {
        options
    };
    options
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        .synchronous(SqliteSynchronous::Normal)
        .pragma("cache_size", format!("-{}", PAGE_CACHE_KIB))
}

/// Whether a pooled connection is on the file the cache lives in: after a first sync's file was
/// made the cache (`live` set), a connection still on the file it left is closed instead of used.
async fn on_live_file(
    conn: &mut SqliteConnection,
    live: &std::sync::OnceLock<PathBuf>,
) -> std::result::Result<bool, sqlx::Error> {
    let Some(live) = live.get() else {
        return Ok(true);
    };
    let file: String =
        sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .fetch_one(&mut *conn)
            .await?;
    Ok(Path::new(&file).file_name() == live.file_name())
}

/// Whether a connection handed back to the pool may be kept: not if it is still inside a
/// transaction, which sqlx's SQLite `begin` can leave behind when the future running it is
/// dropped at the wrong moment (launchbadge/sqlx#3932; the reference server has the same guard,
/// where it was seen). Closing the connection rolls it back; the ping runs after whatever the
/// connection's worker still had queued.
async fn not_in_a_transaction(
    conn: &mut SqliteConnection,
) -> std::result::Result<bool, sqlx::Error> {
    use sqlx::Connection as _;
    conn.ping().await?;
    Ok(!conn.is_in_transaction())
}

/// Fills the no-poaching keys of customers a cache made before schema v9 holds (see
/// `migrations/0009_customer_keys.sql`): once, on the first open by this version.
async fn key_customers_of_older_caches(pool: &SqlitePool) -> Result<()> {
    let unkeyed = sqlx::query!("SELECT id, name, domain FROM customers WHERE company_key IS NULL")
        .fetch_all(pool)
        .await?;
    if unkeyed.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin_with(BEGIN_WRITE).await?;
    for c in &unkeyed {
        let keys = program::deals::Prospect::new(&c.name, c.domain.as_deref());
        sqlx::query!(
            "UPDATE customers SET company_key = ?, domain_key = ? WHERE id = ?",
            keys.company,
            keys.domain,
            c.id
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    tracing::info!(
        customers = unkeyed.len(),
        "keyed the customers of an older cache"
    );
    Ok(())
}

/// `e` as [`DeskError::CacheUnreadable`] when SQLite found no database in the file (what a wrong
/// key, or a damaged first page, reads as) or a damaged one.
fn unreadable_if_damaged(e: DeskError) -> DeskError {
    let sqlite = match &e {
        DeskError::Storage(e) => e,
        DeskError::Migrate(sqlx::migrate::MigrateError::Execute(e)) => e,
        _ => return e,
    };
    let primary = match sqlite {
        sqlx::Error::Database(d) => d
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .map(|c| c & 0xff),
        _ => None,
    };
    // SQLITE_CORRUPT, SQLITE_NOTADB
    match primary {
        Some(11 | 26) => DeskError::CacheUnreadable(sqlite.to_string()),
        _ => e,
    }
}

/// Checks a cache as it opens: every page's authentication code matches (a flipped byte anywhere
/// is caught here, not by the first query that reads that page). A file cut short SQLite itself
/// refuses (its header counts more pages than the file holds). Either is
/// [`DeskError::CacheUnreadable`].
async fn verify(pool: &SqlitePool) -> Result<()> {
    let failures: Vec<String> = sqlx::query_scalar("PRAGMA cipher_integrity_check")
        .fetch_all(pool)
        .await?;
    if let Some(first) = failures.first() {
        return Err(DeskError::CacheUnreadable(format!(
            "{} damaged pages ({first})",
            failures.len()
        )));
    }
    Ok(())
}

/// The highest schema version this build knows.
pub fn known_schema_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

async fn refuse_newer_schema(pool: &SqlitePool) -> Result<()> {
    if !table_exists(pool, "_sqlx_migrations").await? {
        return Ok(());
    }
    // Runtime-checked: `_sqlx_migrations` is sqlx's own table, not in the schema the compile-time
    // checks are built from.
    let found: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
        .fetch_one(pool)
        .await?;
    let known = known_schema_version();
    match found {
        Some(found) if found > known => Err(DeskError::SchemaTooNew { found, known }),
        _ => Ok(()),
    }
}
