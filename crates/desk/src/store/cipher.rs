//! The cache encrypted at rest: SQLCipher (sqlx's SQLite built with it), a random 256-bit key per
//! database kept in the OS secret store (`crate::secrets`), and the one-time move of a plaintext
//! cache (an earlier version's) into an encrypted one.
//!
//! The move never leaves a half-written cache: the plaintext file is exported into a new file
//! beside it, the copy is checked (integrity, and every table's row count against the original),
//! and only then renamed over the original. A crash before the rename leaves the plaintext cache
//! whole (the next start exports it again); after it, the encrypted one. The key is in the secret
//! store before the first byte is encrypted with it.

use std::path::{Path, PathBuf};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};

use crate::error::{DeskError, Result};
use crate::secrets::{self, DatabaseKey};

/// The first bytes of every plaintext SQLite database. An encrypted one starts with its salt.
const PLAINTEXT_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// What is in the file at `path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileState {
    /// No file, or an empty one: a new database.
    Missing,
    /// A plaintext SQLite database.
    Plaintext,
    /// Anything else: an encrypted database (or a damaged file).
    Encrypted,
}

pub fn file_state(path: &Path) -> Result<FileState> {
    use std::io::Read;
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileState::Missing),
        Err(e) => return Err(e.into()),
    };
    let mut header = [0u8; 16];
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..])? {
            0 => break,
            n => read += n,
        }
    }
    Ok(match read {
        0 => FileState::Missing,
        16 if &header == PLAINTEXT_HEADER => FileState::Plaintext,
        _ => FileState::Encrypted,
    })
}

/// The key of the database at `path` from the secret store, made (and stored) for a new or a
/// plaintext database. An encrypted database whose key the store no longer holds (the keychain
/// was reset, say) is [`DeskError::CacheKeyMissing`]: a new key would not open it.
pub async fn key_for(path: &Path) -> Result<DatabaseKey> {
    if let Some(key) = secrets::database_key(path).await? {
        return Ok(key);
    }
    match file_state(path)? {
        FileState::Encrypted => Err(DeskError::CacheKeyMissing),
        FileState::Missing | FileState::Plaintext => secrets::new_database_key(path).await,
    }
}

/// Connection options for the database at `path` under `key`: the key is the first thing each
/// connection runs.
pub fn keyed(options: SqliteConnectOptions, key: &DatabaseKey) -> SqliteConnectOptions {
    options.pragma("key", key.pragma())
}

/// Connection options for the database at `path` under its key from the secret store: for a
/// connection beside the store's own (the tests watch the cache through one).
pub async fn options(path: &Path) -> Result<SqliteConnectOptions> {
    let key = secrets::database_key(path)
        .await?
        .ok_or(DeskError::CacheKeyMissing)?;
    Ok(keyed(SqliteConnectOptions::new().filename(path), &key))
}

/// Where the encrypted copy is written before it replaces the original.
fn encrypting_path(path: &Path) -> PathBuf {
    sibling(path, ".encrypting")
}

/// `path` with `suffix` added to its file name (`cache.sqlite3` → `cache.sqlite3-wal`).
pub(crate) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Removes a file if it is there.
pub(crate) fn remove_if_there(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Removes a database and its journals (`-wal`, `-shm`, `-journal`) and any copy being encrypted.
pub fn remove_database(path: &Path) -> Result<()> {
    for suffix in ["-wal", "-shm", "-journal"] {
        remove_if_there(&sibling(path, suffix))?;
    }
    remove_if_there(&encrypting_path(path))?;
    remove_if_there(path)
}

/// Where a damaged database at `path` is moved aside at `when` (see `crate::recovery`).
pub fn damaged_path(path: &Path, when: chrono::DateTime<chrono::Utc>) -> PathBuf {
    sibling(
        path,
        &format!("{DAMAGED}{}", when.format("%Y%m%dT%H%M%S%.3fZ")),
    )
}

const DAMAGED: &str = ".damaged-";

/// The damaged databases moved aside from `path`, oldest first.
pub fn damaged_files(path: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Vec::new();
    };
    let prefix = format!("{}{DAMAGED}", name.to_string_lossy());
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                n.starts_with(&prefix) && !n.ends_with("-wal") && !n.ends_with("-shm")
            })
        })
        .collect();
    found.sort();
    found
}

/// Gets the database at `path` ready to open under `key`: a copy an interrupted move left is
/// removed, and a plaintext database is moved into an encrypted one.
pub async fn prepare(path: &Path, key: &DatabaseKey) -> Result<()> {
    let copy = encrypting_path(path);
    remove_if_there(&copy)?;
    remove_if_there(&sibling(&copy, "-journal"))?;
    if file_state(path)? == FileState::Plaintext {
        encrypt(path, &copy, key).await?;
    }
    Ok(())
}

/// Exports the plaintext database at `path` into an encrypted `copy`, checks the copy, and renames
/// it over the original.
async fn encrypt(path: &Path, copy: &Path, key: &DatabaseKey) -> Result<()> {
    let started = std::time::Instant::now();
    // (Allowed to create files: the ATTACH below creates the copy.)
    let mut plain = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .connect()
        .await?;
    // Everything into the main file first: the export reads through the WAL, but the rename
    // below must leave no plaintext WAL beside the encrypted file.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut plain)
        .await?;
    let user_version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&mut plain)
        .await?;
    sqlx::query("ATTACH DATABASE ? AS encrypted KEY ?")
        .bind(copy.to_string_lossy().as_ref())
        .bind(key.pragma().trim_matches('"'))
        .execute(&mut plain)
        .await?;
    sqlx::query("SELECT sqlcipher_export('encrypted')")
        .execute(&mut plain)
        .await?;
    sqlx::query(&format!("PRAGMA encrypted.user_version = {user_version}"))
        .execute(&mut plain)
        .await?;
    sqlx::query("DETACH DATABASE encrypted")
        .execute(&mut plain)
        .await?;
    let expected = row_counts(&mut plain).await?;
    plain.close().await?;

    let mut encrypted = keyed(SqliteConnectOptions::new().filename(copy), key)
        .connect()
        .await?;
    let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut encrypted)
        .await?;
    if integrity != ["ok"] {
        return Err(DeskError::Corrupt(format!(
            "the encrypted copy of the cache failed its integrity check: {}",
            integrity.join("; ")
        )));
    }
    let copied = row_counts(&mut encrypted).await?;
    encrypted.close().await?;
    if copied != expected {
        return Err(DeskError::Corrupt(
            "the encrypted copy of the cache does not hold every row of the original".into(),
        ));
    }

    std::fs::File::open(copy)?.sync_all()?;
    // The plaintext cache's WAL was emptied above and its last connection closed; what is left
    // of its journals goes before the rename, so none can be read as the encrypted file's.
    let wal = sibling(path, "-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(DeskError::Corrupt(
            "the plaintext cache's write-ahead log could not be emptied".into(),
        ));
    }
    remove_if_there(&wal)?;
    remove_if_there(&sibling(path, "-shm"))?;
    std::fs::rename(copy, path)?;
    if let Some(dir) = path.parent() {
        // The rename itself on disk (a directory opens for reading on Unix; elsewhere the
        // rename is already durable once it returns).
        #[cfg(unix)]
        std::fs::File::open(dir)?.sync_all()?;
        #[cfg(not(unix))]
        let _ = dir;
    }
    tracing::info!(
        tables = expected.len(),
        ms = started.elapsed().as_millis() as u64,
        "encrypted a plaintext cache"
    );
    Ok(())
}

/// Every table's name and row count, in name order.
async fn row_counts(conn: &mut SqliteConnection) -> Result<Vec<(String, i64)>> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM main.sqlite_master WHERE type = 'table' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut counts = Vec::with_capacity(tables.len());
    for table in tables {
        let quoted = table.replace('"', "\"\"");
        let count: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM main.\"{quoted}\""))
            .fetch_one(&mut *conn)
            .await?;
        counts.push((table, count));
    }
    Ok(counts)
}
