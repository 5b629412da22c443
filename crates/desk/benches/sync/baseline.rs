//! The sqlite3 baseline: the mirror exported as SQL, and the sqlite3 tool timed importing it.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use desk::store::Store;
use sqlx::Row;

use super::system::{command_output, remove_db};
use super::{BoxError, MIRROR_TABLES};

/// The cache's triggers, dropped from the baselines' schema: they keep derived sums
/// (`ledger_days`) that a first sync writes per page instead, so the baselines import the
/// mirror's rows alone, as the tool would.
const DROP_TRIGGERS: &str = "DROP TRIGGER ledger_days_insert; DROP TRIGGER ledger_days_delete; \
     DROP TRIGGER ledger_days_update;";

/// Rows per INSERT statement in the sqlite3 import script.
const SQL_ROWS_PER_INSERT: usize = 500;

/// Applies the cache's migrations to a fresh database with the sqlite3 tool and times the tool
/// importing `script` (from [`export_sql`]) in one transaction. Returns the seconds.
pub(crate) fn sqlite3_import(
    sqlite3: &Path,
    script: &Path,
    dir: &Path,
    rows: u64,
) -> Result<f64, BoxError> {
    let baseline_db = dir.join("sqlite3-baseline.sqlite3");
    remove_db(&baseline_db)?;
    create_schema(sqlite3, &baseline_db)?;
    println!("sqlite3 baseline: importing {rows} rows ...");
    let started = Instant::now();
    let status = std::process::Command::new(sqlite3)
        .arg("-bail")
        .arg(&baseline_db)
        .stdin(std::fs::File::open(script)?)
        .status()?;
    let secs = started.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!("sqlite3 failed importing {}: {status}", script.display()).into());
    }
    let mut imported = 0;
    for table in MIRROR_TABLES {
        let db = baseline_db.to_str().ok_or("a non-UTF-8 path")?;
        let n = command_output(sqlite3, &[db, &format!("SELECT count(*) FROM {table}")])?;
        imported += n.trim().parse::<u64>()?;
    }
    assert_eq!(imported, rows, "sqlite3 imported every row");
    remove_db(&baseline_db)?;
    Ok(secs)
}

/// The encryption's own cost: imports `script` through this build's SQLite (SQLCipher) into a
/// fresh database with the cache's schema and page size, once in plaintext and once under a
/// random key, and
/// returns the seconds of each (the migrations untimed).
pub(crate) async fn encryption_cost(script: &Path, dir: &Path) -> Result<(f64, f64), BoxError> {
    use sqlx::{ConnectOptions, Connection};
    let sql = std::fs::read_to_string(script)?;
    let mut secs = Vec::new();
    for keyed in [false, true] {
        let db = dir.join("sqlcipher-baseline.sqlite3");
        remove_db(&db)?;
        // Both in the cache's page size and with the page cache a first sync writes with, so the
        // difference is the encryption's alone.
        let mut options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&db)
            .create_if_missing(true)
            .pragma(
                "cache_size",
                format!(
                    "-{}",
                    desk::sync::SyncOptions::default().write_cache_mib * 1024
                ),
            );
        options = if keyed {
            desk::store::cipher::keyed(options, &desk::secrets::DatabaseKey::random())
        } else {
            options.page_size(desk::store::cipher::PAGE_SIZE)
        };
        let mut conn = options.connect().await?;
        desk::store::MIGRATOR.run(&mut conn).await?;
        sqlx::raw_sql(DROP_TRIGGERS).execute(&mut conn).await?;
        println!(
            "SQLCipher import ({}): importing ...",
            if keyed { "encrypted" } else { "plaintext" }
        );
        // Statement by statement (handing SQLite the whole script at once copies what is left
        // of it at every statement): `export_sql` ends each with `;` at the end of a line.
        let started = Instant::now();
        let mut from = 0;
        for (at, _) in sql.match_indices(";\n") {
            sqlx::raw_sql(&sql[from..=at]).execute(&mut conn).await?;
            from = at + 2;
        }
        secs.push(started.elapsed().as_secs_f64());
        conn.close().await?;
        remove_db(&db)?;
    }
    Ok((secs[0], secs[1]))
}

/// Writes every mirrored row as SQL for the sqlite3 tool into `dir`: one transaction of
/// multi-row INSERTs, values written by SQLite's own `quote()` so they read back exactly (NULLs
/// too). Checks it wrote `expected` rows; returns the script's path.
pub(crate) async fn export_sql(
    store: &Store,
    dir: &Path,
    expected: u64,
) -> Result<PathBuf, BoxError> {
    use futures_util::TryStreamExt;
    println!("sqlite3 baseline: exporting the mirror as SQL ...");
    let path = dir.join("import.sql");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
    writeln!(out, "BEGIN;")?;
    let mut total = 0u64;
    for table in MIRROR_TABLES {
        let columns: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
        ))
        .fetch_all(store.pool())
        .await?;
        let values = columns
            .iter()
            .map(|c| format!("quote({c})"))
            .collect::<Vec<_>>()
            .join(" || ',' || ");
        let without_rowid: bool = sqlx::query_scalar(
            "SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_master WHERE type = 'table' AND name = ?",
        )
        .bind(table)
        .fetch_one(store.pool())
        .await?;
        // Rows in the order they were written (rowid), so the import sees the feed's order.
        let order = if without_rowid { "" } else { " ORDER BY rowid" };
        let head = format!("INSERT INTO {table} ({}) VALUES\n", columns.join(", "));
        let sql = format!("SELECT '(' || {values} || ')' FROM {table}{order}");
        let mut rows = sqlx::query(&sql).fetch(store.pool());
        let mut in_statement = 0usize;
        while let Some(row) = rows.try_next().await? {
            let tuple: String = row.try_get(0)?;
            if in_statement == 0 {
                out.write_all(head.as_bytes())?;
            } else {
                out.write_all(b",\n")?;
            }
            out.write_all(tuple.as_bytes())?;
            in_statement += 1;
            total += 1;
            if in_statement == SQL_ROWS_PER_INSERT {
                out.write_all(b";\n")?;
                in_statement = 0;
            }
        }
        if in_statement > 0 {
            out.write_all(b";\n")?;
        }
    }
    writeln!(out, "COMMIT;")?;
    out.flush()?;
    assert_eq!(total, expected, "exported every mirrored row");
    Ok(path)
}

/// Applies the cache's migrations, in order, to a fresh database with the sqlite3 tool.
fn create_schema(sqlite3: &Path, db: &Path) -> Result<(), BoxError> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.retain(|p| p.extension().is_some_and(|e| e == "sql"));
    files.sort();
    for file in files {
        let status = std::process::Command::new(sqlite3)
            .arg("-bail")
            .arg(db)
            .stdin(std::fs::File::open(&file)?)
            .status()?;
        if !status.success() {
            return Err(format!("sqlite3 could not apply {}", file.display()).into());
        }
    }
    let db = db.to_str().ok_or("a non-UTF-8 path")?;
    command_output(sqlite3, &[db, DROP_TRIGGERS])?;
    Ok(())
}
