//! Statements cut into chunks: multi-row INSERTs and `… IN (…)` lists of ids.

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::error::Result;

/// Ids per `DELETE … WHERE id IN (…)`.
pub(super) const CHUNK: usize = 500;

/// Rows per multi-row INSERT, largest first. A page is cut into statements of these sizes only,
/// so the same few statement texts repeat and sqlx prepares each once per connection; cutting at
/// one size would leave a remainder of a new size, and a new prepare, at every page. 1,024 rows of
/// the widest table (the ledger) binds 11,264 values, well under SQLite's limit of 32,766; bigger or smaller
/// statements (64 to 2,048 rows) measured the same.
const STATEMENT_ROWS: [usize; 6] = [1_024, 256, 64, 16, 4, 1];

/// Runs multi-row INSERTs of `rows`, in statements of the sizes in [`STATEMENT_ROWS`]; `tail`
/// follows the VALUES (an upsert clause). Returns the rows written.
pub(super) async fn insert_chunked<T>(
    conn: &mut SqliteConnection,
    head: &str,
    tail: &str,
    rows: &[T],
    bind: impl Fn(&mut sqlx::query_builder::Separated<'_, '_, Sqlite, &'static str>, &T),
) -> Result<u64> {
    let mut written = 0;
    let mut rest = rows;
    for size in STATEMENT_ROWS {
        while rest.len() >= size {
            let (chunk, after) = rest.split_at(size);
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(head);
            qb.push_values(chunk, |mut b, row| bind(&mut b, row));
            qb.push(tail);
            written += qb.build().execute(&mut *conn).await?.rows_affected();
            rest = after;
        }
    }
    Ok(written)
}

/// Deletes the rows of `table` whose `column` is one of `ids`, a chunk at a time.
pub(crate) async fn delete_where_in(
    conn: &mut SqliteConnection,
    table: &str,
    column: &str,
    ids: &[String],
) -> Result<()> {
    execute_in_chunks(
        conn,
        &format!("DELETE FROM {table} WHERE {column} IN ("),
        ids,
        ")",
    )
    .await
}

/// Runs `head` followed by a chunk of `ids` as a bound list and `tail`, for every chunk of
/// [`CHUNK`] ids (`head` ends with `IN (`, `tail` starts with `)`).
pub(crate) async fn execute_in_chunks(
    conn: &mut SqliteConnection,
    head: &str,
    ids: &[String],
    tail: &str,
) -> Result<()> {
    for chunk in ids.chunks(CHUNK) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(head);
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(id.as_str());
        }
        qb.push(tail);
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}
