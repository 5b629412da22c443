//! A first sync's own file.
//!
//! A first sync fills an empty mirror with every row the account sees: a million deployments
//! and millions of ledger lines. Written into the cache itself, in WAL mode, every page went to
//! disk twice (into the WAL, then into the file at each checkpoint): 2.3-2.7 bytes written per
//! byte of cache. So a first sync writes a new file beside the cache ([`first_sync_path`]) with a
//! rollback journal, which holds only the few pages a page of changes rewrites: 1.3 bytes per
//! byte (`make bench`).
//!
//! The new file becomes the cache as the first sync begins ([`Store::begin_first_sync`]): under
//! the store's write turn (no local write in flight), the cache's own rows (the outbox, the
//! settings, the sync state) are copied into it, a mark ([`done_path`]) says it is the cache
//! now, and the pool's new connections open it; a connection still on the old file is closed
//! when it comes back. So the window reads the rows as they arrive, and a change the user makes
//! meanwhile is written beside them. When the download ends the file goes into WAL mode
//! ([`Store::end_first_sync`]). The file keeps its name while this process runs (the old file's
//! WAL and shared memory are named after the old file: renaming the new one over it while
//! connections of either are open would mix them); the next open gives it the cache's name
//! ([`finish`]), and a first sync killed midway goes on from its last page there, in place.
//! Killed anywhere, the cache is whole: before the mark the old file is the cache, after it the
//! new one.
//!
//! The first sync's own connection does not wait for the disk at each page (`synchronous = OFF`:
//! a killed process loses nothing the OS was handed); a power cut midway can leave a file the
//! next start recovers (`crate::recovery`, which keeps the outbox rows it can read). A local
//! write waits for the disk as always (`outbox::LocalWrite`).

use std::path::{Path, PathBuf};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, SqliteConnection};

use super::cipher::{self, remove_if_there, sibling};
use super::{Store, BEGIN_WRITE, MIGRATOR};
use crate::error::{DeskError, Result};
use crate::secrets::DatabaseKey;

/// Where a first sync writes, beside the cache at `cache`.
pub fn first_sync_path(cache: &Path) -> PathBuf {
    sibling(cache, ".first-sync")
}

/// Beside the cache: the first sync's file is the cache now (the old file is not).
pub fn done_path(cache: &Path) -> PathBuf {
    sibling(cache, ".first-sync-done")
}

/// Keys of `sync_state` that belong to the mirror, not to the cache: the first sync's own.
const MIRROR_STATE: [&str; 2] = [crate::sync::CURSOR, super::DEFERRED_INDEXES];

/// Removes a first sync's file, its journals and its mark.
pub(crate) fn remove(cache: &Path) -> Result<()> {
    let file = first_sync_path(cache);
    for suffix in ["-wal", "-shm", "-journal"] {
        remove_if_there(&sibling(&file, suffix))?;
    }
    remove_if_there(&file)?;
    remove_if_there(&done_path(cache))
}

/// Gives a first sync's file an earlier process made the cache the cache's name, before the
/// cache opens. (A first sync's file without the mark is one killed before it began: removed.)
pub(crate) async fn finish(cache: &Path, key: &DatabaseKey) -> Result<()> {
    let done = done_path(cache);
    if !done.exists() {
        return remove(cache);
    }
    let file = first_sync_path(cache);
    if file.exists() {
        // The process that made it the cache may have ended with connections open: what its WAL
        // holds goes into the file, and the last connection's close removes the WAL. A file that
        // does not open is moved as it is, its WAL with it, and the open that follows recovers it.
        let options = cipher::keyed(SqliteConnectOptions::new().filename(&file), key);
        if let Ok(mut conn) = options.connect().await {
            let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&mut conn)
                .await;
            let _ = conn.close().await;
        }
        // The old cache: its rows were copied into the new file when the first sync began.
        for suffix in ["-wal", "-shm", "-journal"] {
            remove_if_there(&sibling(cache, suffix))?;
        }
        let wal = sibling(&file, "-wal");
        if wal.exists() {
            std::fs::rename(&wal, sibling(cache, "-wal"))?;
        }
        remove_if_there(&sibling(&file, "-shm"))?;
        std::fs::rename(&file, cache)?;
        cipher::sync_dir(cache)?;
        tracing::info!("the first sync's file became the cache");
    }
    remove_if_there(&done)?;
    cipher::sync_dir(cache)
}

impl Store {
    /// Whether the pool's connections open a first sync's file, made the cache since the cache
    /// opened.
    pub fn on_first_sync_file(&self) -> bool {
        self.live.get().is_some()
    }

    /// The file the cache's rows are in now: [`Store::path`], or the first sync's file made the
    /// cache since it opened (it takes the cache's name at the next open).
    pub fn file(&self) -> &Path {
        self.live.get().map_or(self.path(), PathBuf::as_path)
    }

    /// Makes a new file the cache for a first sync (see the module's documentation) and returns
    /// the first sync's own connection to it: a rollback journal, not synced page by page,
    /// foreign keys off, the schema up to date. Local writes wait meanwhile (milliseconds).
    pub(crate) async fn begin_first_sync(&self) -> Result<SqliteConnection> {
        let started = std::time::Instant::now();
        let file = first_sync_path(&self.path);
        // What a first sync killed before it began left (a mark would have made it the cache).
        remove(&self.path)?;
        let mut first = cipher::keyed(SqliteConnectOptions::new(), &self.key)
            .filename(&file)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Truncate)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(false)
            .connect()
            .await?;
        // (`run_direct`: `run` on a connection makes the future not `Send` for every lifetime.)
        MIGRATOR.run_direct(&mut first).await?;
        let turn = self.writes.write().await;
        let mirror_state = MIRROR_STATE.map(|k| format!("'{k}'")).join(", ");
        self.with_cache_attached(
            &mut first,
            &[
                "INSERT INTO main.outbox SELECT * FROM cache.outbox".into(),
                "INSERT INTO main.settings SELECT * FROM cache.settings".into(),
                format!(
                    "INSERT OR REPLACE INTO main.sync_state \
                     SELECT * FROM cache.sync_state WHERE key NOT IN ({mirror_state})"
                ),
            ],
        )
        .await?;
        std::fs::write(done_path(&self.path), b"")?;
        cipher::sync_dir(&self.path)?;
        self.pool
            .set_connect_options(super::pool_options(&file, &self.key, false));
        self.live.set(file).map_err(|_| {
            DeskError::Corrupt("a second first sync in one open of the cache".into())
        })?;
        drop(turn);
        sqlx::query("PRAGMA synchronous = OFF")
            .execute(&mut first)
            .await?;
        tracing::info!(
            ms = started.elapsed().as_millis() as u64,
            "the first sync's file is the cache"
        );
        Ok(first)
    }

    /// Ends a first sync on its connection `first` (however the download went): the file goes
    /// into WAL mode, which the pool's connections follow, and the connection closes.
    pub(crate) async fn end_first_sync(&self, mut first: SqliteConnection) -> Result<()> {
        // Leaving the rollback journal needs a moment when no other connection reads.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode = WAL")
                .fetch_one(&mut first)
                .await?;
            if mode.eq_ignore_ascii_case("wal") {
                break;
            }
            if std::time::Instant::now() > deadline {
                tracing::warn!(mode, "the first sync's file stays in its journal mode");
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        first.close().await?;
        self.pool
            .set_connect_options(super::pool_options(self.file(), &self.key, true));
        Ok(())
    }

    /// Runs `statements` in one write transaction on `first` with the cache attached as `cache`.
    async fn with_cache_attached(
        &self,
        first: &mut SqliteConnection,
        statements: &[String],
    ) -> Result<()> {
        cipher::attach(first, &self.path, "cache", &self.key).await?;
        let done = async {
            let mut tx = Connection::begin_with(&mut *first, BEGIN_WRITE).await?;
            for sql in statements {
                sqlx::query(sql).persistent(false).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, DeskError>(())
        }
        .await;
        sqlx::query("DETACH DATABASE cache")
            .execute(&mut *first)
            .await?;
        done
    }
}
