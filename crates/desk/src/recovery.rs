//! A damaged cache is recovered, not fatal. A cache that does not open — its key is gone from the
//! secret store (the keychain was reset), the key does not open it, or its pages fail their
//! checks (a file cut short, flipped bytes) — is moved aside, a new cache is opened in its place,
//! and what the user made on this laptop and the platform does not yet hold is carried into it:
//! the changes still waiting in the outbox (each one that can still be read), the user's settings,
//! and which account and device the cache was for. Everything else is the platform's, and the
//! next sync, a full one, brings it back.
//!
//! The damaged file stays beside the cache (`partner-desk.sqlite3.damaged-<time>`) with its key
//! moved to its new name, so nothing is destroyed that someone might still want to read.

use std::path::Path;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};

use crate::error::{DeskError, Result};
use crate::secrets::{self, DatabaseKey};
use crate::store::{self, cipher, lock, PageCheck, Store};
use crate::views::{Damage, Recovery};

/// `sync_state` keys that say where the mirror stands: left behind, so the next sync is a full one.
const MIRROR_POSITION: &[&str] = &[
    crate::sync::CURSOR,
    crate::sync::LAST_SYNCED_AT,
    crate::store::DEFERRED_INDEXES,
    crate::figures::FIGURES_AS_OF,
];

/// Opens the cache at `path`; one that cannot be opened for its key or its damage is recovered
/// (see the module's documentation). Any other failure (a newer schema, a cache in use, no
/// secret store) is returned as it is, the cache untouched.
pub async fn open(path: &Path) -> Result<(Store, Option<Recovery>)> {
    open_checking(path, PageCheck::AtOpen).await
}

/// As [`open`], the cache's pages checked when `check` says.
pub async fn open_checking(path: &Path, check: PageCheck) -> Result<(Store, Option<Recovery>)> {
    let damage = match Store::open_checking(path, check).await {
        Ok(store) => return Ok((store, None)),
        Err(DeskError::CacheKeyMissing) => Damage::KeyMissing,
        Err(DeskError::CacheUnreadable(why)) => {
            tracing::warn!(why = %why, "the cache cannot be read");
            Damage::Unreadable
        }
        Err(e) => return Err(e),
    };
    // Held throughout: no other process opens the cache while it is moved and refilled.
    let _held = lock::acquire(path)?;
    let moved_to = cipher::damaged_path(path, chrono::Utc::now());
    let key = secrets::database_key(path).await?;
    if let Some(key) = &key {
        secrets::set_database_key(&moved_to, key).await?;
    }
    for suffix in ["-wal", "-shm"] {
        let journal = cipher::sibling(path, suffix);
        if journal.exists() {
            std::fs::rename(&journal, cipher::sibling(&moved_to, suffix))?;
        }
    }
    std::fs::rename(path, &moved_to)?;
    secrets::delete_database_key(path).await?;
    match std::fs::remove_file(cipher::check_failed_path(path)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
        _ => {}
    }

    let store = Store::open(path).await?;
    let carried = match &key {
        Some(key) => carry(&store, &moved_to, key).await,
        None => None,
    };
    let (changes_kept, changes_lost) = carried.unwrap_or_default();
    tracing::warn!(
        damage = ?damage,
        moved_to = %moved_to.display(),
        outbox_read = carried.is_some(),
        changes_kept,
        changes_lost,
        "recovered a damaged cache: the next sync refills it"
    );
    Ok((
        store,
        Some(Recovery {
            damage,
            moved_to: moved_to.display().to_string(),
            outbox_read: carried.is_some(),
            changes_kept,
            changes_lost,
        }),
    ))
}

/// Carries what can still be read of the damaged cache at `damaged` into `store`: each outbox row
/// on its own (a damaged page loses the rows on it, not the others), the settings and the
/// `sync_state` that is not the mirror's position. Returns the changes kept and lost, or None
/// when the outbox could not be read at all.
async fn carry(store: &Store, damaged: &Path, key: &DatabaseKey) -> Option<(u32, u32)> {
    let mut old = open_damaged(damaged, key).await?;
    let mut new = match store.pool().acquire().await {
        Ok(conn) => conn,
        Err(e) => {
            tracing::warn!(error = %e, "could not carry anything from the damaged cache");
            return None;
        }
    };
    let carried = carry_outbox(&mut old, &mut new).await;
    for (table, skip) in [("settings", &[][..]), ("sync_state", MIRROR_POSITION)] {
        if let Err(e) = carry_keyed(&mut old, &mut new, table, skip).await {
            tracing::warn!(table, error = %e, "could not carry a table of the damaged cache");
        }
    }
    if let Err(e) = old.close().await {
        tracing::warn!(error = %e, "could not close the damaged cache");
    }
    carried
}

/// A connection to the damaged cache, in this version's pages or, for a cache that never moved
/// to them, 4 KiB ones; None when its schema cannot be read either way. It reads with
/// `writable_schema` on, which lets SQLite open a file shorter than its header says (and read
/// what is left of it) instead of refusing it whole.
async fn open_damaged(damaged: &Path, key: &DatabaseKey) -> Option<SqliteConnection> {
    for page_size in [cipher::PAGE_SIZE, cipher::LEGACY_PAGE_SIZE] {
        let options = cipher::keyed_in_pages_of(
            SqliteConnectOptions::new().filename(damaged),
            key,
            page_size,
        )
        .pragma("writable_schema", "ON");
        let opened = async {
            let mut conn = options.connect().await?;
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sqlite_master")
                .fetch_one(&mut conn)
                .await?;
            Ok::<_, DeskError>(conn)
        };
        match opened.await {
            Ok(conn) => return Some(conn),
            Err(e) => {
                tracing::warn!(page_size, error = %e, "the damaged cache does not open in these pages");
            }
        }
    }
    None
}

/// The outbox rows of the damaged cache (`old`), one statement each, in their order of sending.
async fn carry_outbox(
    old: &mut SqliteConnection,
    new: &mut SqliteConnection,
) -> Option<(u32, u32)> {
    let columns = match shared_columns(old, new, "outbox").await {
        Ok(columns) if !columns.is_empty() => columns,
        Ok(_) => {
            tracing::warn!("the damaged cache has no outbox to read");
            return None;
        }
        Err(e) => {
            tracing::warn!(error = %e, "the damaged cache's outbox cannot be read");
            return None;
        }
    };
    // The row ids come from the table's own b-tree; a damaged page may cut the list short, in
    // which case the rows before it are still carried.
    let seqs: Vec<i64> = match sqlx::query_scalar("SELECT seq FROM outbox ORDER BY seq")
        .fetch_all(&mut *old)
        .await
    {
        Ok(seqs) => seqs,
        Err(e) => {
            tracing::warn!(error = %e, "the damaged cache's outbox cannot be listed");
            return None;
        }
    };
    let read = format!("SELECT {} FROM outbox WHERE seq = ?", as_values(&columns));
    let insert = format!(
        "INSERT OR IGNORE INTO outbox ({}) VALUES ",
        columns.join(", ")
    );
    let (mut kept, mut lost) = (0, 0);
    for seq in seqs {
        let copied = async {
            let values: String = sqlx::query_scalar(&read)
                .bind(seq)
                .fetch_one(&mut *old)
                .await?;
            let done = sqlx::query(&format!("{insert}({values})"))
                .execute(&mut *new)
                .await?;
            Ok::<_, DeskError>(done.rows_affected() == 1)
        };
        match copied.await {
            Ok(true) => kept += 1,
            Ok(false) => lost += 1,
            Err(e) => {
                tracing::warn!(seq, error = %e, "a waiting change could not be read back");
                lost += 1;
            }
        }
    }
    Some((kept, lost))
}

/// A `key`/`value` table of the damaged cache (`old`), but for the keys in `skip`.
async fn carry_keyed(
    old: &mut SqliteConnection,
    new: &mut SqliteConnection,
    table: &str,
    skip: &[&str],
) -> Result<()> {
    let skip = skip
        .iter()
        .map(|k| format!("'{}'", k.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ");
    let rows: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT {} FROM {table} WHERE key NOT IN ({skip})",
        as_values(&["key".to_string(), "value".to_string()])
    ))
    .fetch_all(&mut *old)
    .await?;
    let mut tx = new.begin_with(store::BEGIN_WRITE).await?;
    for values in rows {
        sqlx::query(&format!(
            "INSERT OR REPLACE INTO {table} (key, value) VALUES ({values})"
        ))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn columns_of(conn: &mut SqliteConnection, table: &str) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT name FROM pragma_table_info(?) ORDER BY cid")
            .bind(table)
            .fetch_all(conn)
            .await?,
    )
}

/// An expression giving a row's `columns` as SQL literals (SQLite's own `quote()`), comma-separated:
/// the `VALUES` of an INSERT that writes the row again exactly, on another connection.
fn as_values(columns: &[String]) -> String {
    columns
        .iter()
        .map(|c| format!("quote({c})"))
        .collect::<Vec<_>>()
        .join(" || ', ' || ")
}

/// The columns `table` has in both the new cache and the damaged one (an older schema's table
/// lacks the newer columns, which then take their defaults), quoted.
async fn shared_columns(
    old: &mut SqliteConnection,
    new: &mut SqliteConnection,
    table: &str,
) -> Result<Vec<String>> {
    let in_old = columns_of(old, table).await?;
    let in_new = columns_of(new, table).await?;
    Ok(in_new
        .into_iter()
        .filter(|c| in_old.contains(c))
        .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
        .collect())
}
