//! The cache encrypted at rest: SQLCipher (sqlx's SQLite built with it), a random 256-bit key per
//! database kept in the OS secret store (`crate::secrets`), and the one-time move of a plaintext
//! cache (an earlier version's) into an encrypted one.
//!
//! The move never leaves a half-written cache: the plaintext file is exported into a new file
//! beside it, the copy is checked (integrity, and every table's row count against the original),
//! and only then renamed over the original. A crash before the rename leaves the plaintext cache
//! whole (the next start exports it again); after it, the encrypted one. The key is in the secret
//! store before the first byte is encrypted with it. A cache encrypted in 4 KiB pages (by the
//! development builds before [`PAGE_SIZE`]) moves to it the same way.

use std::path::{Path, PathBuf};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};

use crate::error::{DeskError, Result};
use crate::secrets::{self, DatabaseKey};

/// The size of an encrypted cache's pages. SQLCipher encrypts and authenticates every page it
/// writes or reads from disk, at a cost per page besides its cost per byte; in 16 KiB pages the
/// sync benchmark's import of 1.2 million rows took 12.4 s where 4 KiB pages (SQLCipher's
/// default) took 16.7 s, and checking every page as the cache opens 1.11 s instead of 1.38 s.
pub const PAGE_SIZE: u32 = 16_384;

/// SQLCipher's default page size, which the first encrypted caches (development builds after
/// 0.2.0) were written in: such a cache moves to [`PAGE_SIZE`] on its next open.
pub const LEGACY_PAGE_SIZE: u32 = 4_096;

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

/// Connection options for the database at `path` under `key`: the key and the page size are the
/// first things each connection runs.
pub fn keyed(options: SqliteConnectOptions, key: &DatabaseKey) -> SqliteConnectOptions {
    keyed_in_pages_of(options, key, PAGE_SIZE)
}

/// [`keyed`] for a database in `page_size` pages.
pub(crate) fn keyed_in_pages_of(
    options: SqliteConnectOptions,
    key: &DatabaseKey,
    page_size: u32,
) -> SqliteConnectOptions {
    options
        .pragma("key", key.pragma())
        .pragma("cipher_page_size", page_size.to_string())
}

/// Attaches the database at `path` under `key` to `conn` as `schema`, in [`PAGE_SIZE`] pages.
/// `ATTACH … KEY` takes SQLCipher's default page size, and reads an existing file's first page at
/// once: the default is set first, and the attached database's own size before anything else
/// reads or writes it (a new file).
pub(crate) async fn attach(
    conn: &mut SqliteConnection,
    path: &Path,
    schema: &str,
    key: &DatabaseKey,
) -> Result<()> {
    sqlx::query(&format!("PRAGMA cipher_default_page_size = {PAGE_SIZE}"))
        .execute(&mut *conn)
        .await?;
    sqlx::query(&format!("ATTACH DATABASE ? AS {schema} KEY ?"))
        .bind(path.to_string_lossy().as_ref())
        .bind(key.pragma().trim_matches('"'))
        .execute(&mut *conn)
        .await?;
    sqlx::query(&format!("PRAGMA {schema}.cipher_page_size = {PAGE_SIZE}"))
        .execute(&mut *conn)
        .await?;
    Ok(())
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

/// Removes a database and its journals (`-wal`, `-shm`, `-journal`), any copy being encrypted,
/// and a first sync's file beside it.
pub fn remove_database(path: &Path) -> Result<()> {
    for suffix in ["-wal", "-shm", "-journal", CHECK_FAILED] {
        remove_if_there(&sibling(path, suffix))?;
    }
    remove_if_there(&encrypting_path(path))?;
    super::first_sync::remove(path)?;
    remove_if_there(path)
}

/// Makes a rename or a new file in the folder of `path` durable (a directory opens for reading
/// on Unix; elsewhere a rename is durable once it returns).
pub(crate) fn sync_dir(path: &Path) -> Result<()> {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Beside a cache whose pages failed their check while it was open (`Store::check_pages`): what
/// failed. The next open recovers the cache.
const CHECK_FAILED: &str = "-check-failed";

/// The note of a failed page check of the cache at `path`.
pub fn check_failed_path(path: &Path) -> PathBuf {
    sibling(path, CHECK_FAILED)
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
/// removed, and a plaintext database, or one in 4 KiB pages, is moved into an encrypted one in
/// [`PAGE_SIZE`] pages.
pub async fn prepare(path: &Path, key: &DatabaseKey) -> Result<()> {
    let copy = encrypting_path(path);
    remove_if_there(&copy)?;
    remove_if_there(&sibling(&copy, "-journal"))?;
    match file_state(path)? {
        FileState::Missing => {}
        FileState::Plaintext => {
            let plain = SqliteConnectOptions::new().filename(path);
            rewrite(path, &copy, key, plain, Old::Plaintext).await?;
        }
        FileState::Encrypted => {
            // Most opens end at the first probe. A file neither opens (a wrong key, a damaged
            // first page) is left to the open, which says so.
            if !opens(keyed(SqliteConnectOptions::new().filename(path), key)).await {
                let legacy = keyed_in_pages_of(
                    SqliteConnectOptions::new().filename(path),
                    key,
                    LEGACY_PAGE_SIZE,
                );
                if opens(legacy.clone()).await {
                    rewrite(path, &copy, key, legacy, Old::InLegacyPages).await?;
                }
            }
        }
    }
    Ok(())
}

/// Whether a connection with `options` reads the database's schema.
async fn opens(options: SqliteConnectOptions) -> bool {
    let Ok(mut conn) = options.connect().await else {
        return false;
    };
    let read = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sqlite_master")
        .fetch_one(&mut conn)
        .await
        .is_ok();
    let _ = conn.close().await;
    read
}

/// What a cache moved into this version's file was.
#[derive(Debug, Clone, Copy)]
enum Old {
    Plaintext,
    InLegacyPages,
}

impl Old {
    /// Whether the database on `conn` is damaged, by the check that reads every page.
    async fn is_damaged(self, conn: &mut SqliteConnection) -> Result<bool> {
        let sql = match self {
            Old::Plaintext => "PRAGMA quick_check",
            Old::InLegacyPages => "PRAGMA cipher_integrity_check",
        };
        let found: Vec<String> = sqlx::query_scalar(sql).fetch_all(&mut *conn).await?;
        Ok(match self {
            Old::Plaintext => found != ["ok"],
            Old::InLegacyPages => !found.is_empty(),
        })
    }
}

/// Exports the database at `path`, opened with `from`, into `copy` encrypted under `key` in
/// [`PAGE_SIZE`] pages, checks the copy, and renames it over the original. A damaged original is
/// [`DeskError::CacheUnreadable`], left as it is (to be recovered).
async fn rewrite(
    path: &Path,
    copy: &Path,
    key: &DatabaseKey,
    from: SqliteConnectOptions,
    old_kind: Old,
) -> Result<()> {
    let started = std::time::Instant::now();
    // (Allowed to create files: the ATTACH below creates the copy.)
    let mut old = from.create_if_missing(true).connect().await?;
    if old_kind.is_damaged(&mut old).await? {
        old.close().await?;
        return Err(DeskError::CacheUnreadable(format!(
            "damaged pages in the cache to move ({old_kind:?})"
        )));
    }
    // Everything into the main file first: the export reads through the WAL, but the rename
    // below must leave no WAL of the old file beside the new one.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut old)
        .await?;
    let user_version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&mut old)
        .await?;
    attach(&mut old, copy, "encrypted", key).await?;
    sqlx::query("SELECT sqlcipher_export('encrypted')")
        .execute(&mut old)
        .await?;
    sqlx::query(&format!("PRAGMA encrypted.user_version = {user_version}"))
        .execute(&mut old)
        .await?;
    sqlx::query("DETACH DATABASE encrypted")
        .execute(&mut old)
        .await?;
    let expected = row_counts(&mut old).await?;
    old.close().await?;

    let mut encrypted = keyed(SqliteConnectOptions::new().filename(copy), key)
        .connect()
        .await?;
    let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut encrypted)
        .await?;
    if integrity != ["ok"] {
        return Err(DeskError::Corrupt(format!(
            "the new copy of the cache failed its integrity check: {}",
            integrity.join("; ")
        )));
    }
    let copied = row_counts(&mut encrypted).await?;
    encrypted.close().await?;
    if copied != expected {
        return Err(DeskError::Corrupt(
            "the new copy of the cache does not hold every row of the original".into(),
        ));
    }

    std::fs::File::open(copy)?.sync_all()?;
    // The old file's WAL was emptied above and its last connection closed; what is left of its
    // journals goes before the rename, so none can be read as the new file's.
    let wal = sibling(path, "-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(DeskError::Corrupt(
            "the cache's write-ahead log could not be emptied".into(),
        ));
    }
    remove_if_there(&wal)?;
    remove_if_there(&sibling(path, "-shm"))?;
    std::fs::rename(copy, path)?;
    sync_dir(path)?;
    tracing::info!(
        tables = expected.len(),
        ms = started.elapsed().as_millis() as u64,
        old = ?old_kind,
        "moved the cache into an encrypted file of {PAGE_SIZE}-byte pages"
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
