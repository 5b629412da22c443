//! Secondary indexes (and the triggers that keep derived sums) a first sync drops and builds again
//! when it ends.

use sqlx::sqlite::SqlitePool;
use sqlx::SqliteConnection;

use crate::error::{DeskError, Result};

/// `sync_state` key: the secondary indexes a first sync dropped, as JSON `[[name, sql], …]`, to
/// be created again when it ends (see [`defer_indexes`]).
pub const DEFERRED_INDEXES: &str = "deferred_indexes";

/// Indexes whose keys the change feed delivers in order within each partner (a partner's ledger
/// lines by time, its NPS answers by day): each new entry lands at the end of its partner's run,
/// one hot page per partner, so keeping them up to date while a first sync writes is cheaper
/// than sorting millions of entries when it ends.
const ARRIVAL_ORDERED: [&str; 2] = ["ledger_partner_at", "nps_partner_on"];

/// Drops the secondary indexes of `tables` and remembers them in `sync_state`, on a connection
/// inside a transaction: the same transaction as the first page of a first sync, so both commit
/// or neither does.
///
/// A first sync fills empty tables, and index entries written row by row at random places cost
/// far more than an index built once, sorted, at the end. [`restore_indexes`] builds them again in
/// the transaction of the sync's last page; if the sync stops before that, the next
/// [`Store::open`] builds them before anything reads the cache, a round that fails builds them
/// before it returns, and a wipe builds them on the empty tables. The primary keys stay: upserts
/// need them, and so do the indexes in [`ARRIVAL_ORDERED`].
pub(crate) async fn defer_indexes(conn: &mut SqliteConnection, tables: &[&str]) -> Result<()> {
    let mut indexes: Vec<(String, String)> = Vec::new();
    for table in tables {
        // `sql` is NULL for the indexes behind PRIMARY KEY and UNIQUE constraints. The triggers
        // that keep `ledger_days` go too: a page of a first sync adds its own sums, and a wipe's
        // DELETE without them truncates the ledger instead of visiting each line. (The full-text
        // indexes' triggers stay: nothing else would write their entries.)
        let found: Vec<(String, String)> = sqlx::query_as(
            "SELECT name, sql FROM sqlite_master \
             WHERE (type = 'index' OR (type = 'trigger' AND name GLOB 'ledger_days_*')) \
               AND tbl_name = ? AND sql IS NOT NULL \
             ORDER BY type, name",
        )
        .bind(table)
        .fetch_all(&mut *conn)
        .await?;
        indexes.extend(
            found
                .into_iter()
                .filter(|(name, _)| !ARRIVAL_ORDERED.contains(&name.as_str())),
        );
    }
    if indexes.is_empty() {
        return Ok(());
    }
    let mut saved: Vec<(String, String)> = deferred(conn).await?.unwrap_or_default();
    for (name, sql) in &indexes {
        let what = if is_trigger(sql) { "TRIGGER" } else { "INDEX" };
        sqlx::query(&format!("DROP {what} \"{}\"", name.replace('"', "\"\"")))
            .persistent(false)
            .execute(&mut *conn)
            .await?;
    }
    saved.extend(indexes);
    let json = serde_json::to_string(&saved).map_err(|e| DeskError::Corrupt(e.to_string()))?;
    super::set_state_on(conn, DEFERRED_INDEXES, &json).await
}

/// The indexes [`defer_indexes`] dropped and no one has built again yet.
async fn deferred(conn: &mut SqliteConnection) -> Result<Option<Vec<(String, String)>>> {
    super::get_state_on(conn, DEFERRED_INDEXES)
        .await?
        .map(|json| {
            serde_json::from_str(&json)
                .map_err(|e| DeskError::Corrupt(format!("{DEFERRED_INDEXES}: {e}")))
        })
        .transpose()
}

/// Builds again the indexes [`defer_indexes`] dropped, if any, on a connection inside a
/// transaction. Returns whether there were any.
pub(crate) async fn restore_indexes(conn: &mut SqliteConnection) -> Result<bool> {
    let Some(saved) = deferred(conn).await? else {
        return Ok(false);
    };
    for (name, sql) in &saved {
        let exists = sqlx::query_scalar::<_, i64>(
            "SELECT 1 FROM sqlite_master WHERE type IN ('index', 'trigger') AND name = ?",
        )
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
        if exists.is_none() {
            sqlx::query(sql)
                .persistent(false)
                .execute(&mut *conn)
                .await?;
        }
    }
    super::delete_state_on(conn, DEFERRED_INDEXES).await?;
    Ok(true)
}

fn is_trigger(sql: &str) -> bool {
    sql.trim_start()
        .get(..14)
        .is_some_and(|head| head.eq_ignore_ascii_case("CREATE TRIGGER"))
}

/// Whether the triggers that keep `ledger_days` are in place (a first sync drops them, and its
/// pages then add their own sums).
pub(crate) async fn ledger_days_kept(conn: &mut SqliteConnection) -> Result<bool> {
    let found = sqlx::query_scalar::<_, i64>(
        "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'ledger_days_insert'",
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

/// [`restore_indexes`] for a cache being opened, in its own transaction.
pub(super) async fn restore_indexes_on_open(pool: &SqlitePool) -> Result<()> {
    if !table_exists(pool, "sync_state").await? {
        return Ok(());
    }
    let mut tx = pool.begin_with(super::BEGIN_WRITE).await?;
    if restore_indexes(&mut tx).await? {
        tx.commit().await?;
        tracing::info!("rebuilt the indexes of a first sync that did not finish");
    }
    Ok(())
}

/// Whether the cache has a table `name` (a cache not yet migrated may not).
pub(super) async fn table_exists(pool: &SqlitePool, name: &str) -> Result<bool> {
    let found = sqlx::query_scalar!(
        "SELECT 1 AS one FROM sqlite_master WHERE type = 'table' AND name = ?",
        name
    )
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}
