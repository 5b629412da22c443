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

use sqlx::Connection;

use crate::error::{DeskError, Result};
use crate::secrets::{self, DatabaseKey};
use crate::store::{cipher, lock, Store};
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
    let damage = match Store::open(path).await {
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
    // A connection of its own, never handed back to the pool: it reads the damaged file with
    // `writable_schema` on, which lets SQLite open a file shorter than its header says (and read
    // what is left of it) instead of refusing it whole.
    let mut conn = match store.pool().acquire().await {
        Ok(conn) => conn.detach(),
        Err(e) => {
            tracing::warn!(error = %e, "could not carry anything from the damaged cache");
            return None;
        }
    };
    if let Err(e) = sqlx::query("PRAGMA writable_schema = ON")
        .execute(&mut conn)
        .await
    {
        tracing::warn!(error = %e, "could not carry anything from the damaged cache");
        return None;
    }
    let attached = sqlx::query("ATTACH DATABASE ? AS damaged KEY ?")
        .bind(damaged.to_string_lossy().as_ref())
        .bind(key.pragma().trim_matches('"'))
        .execute(&mut conn)
        .await;
    if let Err(e) = attached {
        tracing::warn!(error = %e, "the damaged cache does not open at all");
        return None;
    }
    let carried = carry_outbox(&mut conn).await;
    for (table, skip) in [("settings", &[][..]), ("sync_state", MIRROR_POSITION)] {
        if let Err(e) = carry_keyed(&mut conn, table, skip).await {
            tracing::warn!(table, error = %e, "could not carry a table of the damaged cache");
        }
    }
    if let Err(e) = conn.close().await {
        tracing::warn!(error = %e, "could not close the damaged cache");
    }
    carried
}

/// The outbox rows of the damaged cache, one statement each, in their order of sending.
async fn carry_outbox(conn: &mut sqlx::SqliteConnection) -> Option<(u32, u32)> {
    let columns = match shared_columns(conn, "outbox").await {
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
    let seqs: Vec<i64> = match sqlx::query_scalar("SELECT seq FROM damaged.outbox ORDER BY seq")
        .fetch_all(&mut *conn)
        .await
    {
        Ok(seqs) => seqs,
        Err(e) => {
            tracing::warn!(error = %e, "the damaged cache's outbox cannot be listed");
            return None;
        }
    };
    let insert = format!(
        "INSERT OR IGNORE INTO main.outbox ({columns}) SELECT {columns} FROM damaged.outbox \
         WHERE seq = ?"
    );
    let (mut kept, mut lost) = (0, 0);
    for seq in seqs {
        match sqlx::query(&insert).bind(seq).execute(&mut *conn).await {
            Ok(done) if done.rows_affected() == 1 => kept += 1,
            Ok(_) => lost += 1,
            Err(e) => {
                tracing::warn!(seq, error = %e, "a waiting change could not be read back");
                lost += 1;
            }
        }
    }
    Some((kept, lost))
}

/// A `key`/`value` table of the damaged cache, but for the keys in `skip`.
async fn carry_keyed(conn: &mut sqlx::SqliteConnection, table: &str, skip: &[&str]) -> Result<()> {
    let skip = skip
        .iter()
        .map(|k| format!("'{}'", k.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ");
    let mut tx = conn.begin().await?;
    sqlx::query(&format!(
        "INSERT OR REPLACE INTO main.{table} (key, value) SELECT key, value FROM damaged.{table} \
         WHERE key NOT IN ({skip})"
    ))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The columns `table` has in both the new cache and the damaged one (an older schema's table
/// lacks the newer columns, which then take their defaults), quoted and comma-separated.
async fn shared_columns(conn: &mut sqlx::SqliteConnection, table: &str) -> Result<String> {
    let columns: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM pragma_table_info(?1, 'main') \
         WHERE name IN (SELECT name FROM pragma_table_info(?1, 'damaged')) ORDER BY cid",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    Ok(columns
        .iter()
        .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(", "))
}
