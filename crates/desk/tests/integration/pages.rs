//! The cache's pages: the first encrypted caches (development builds after 0.2.0) were written in
//! SQLCipher's default 4 KiB pages, later ones in `cipher::PAGE_SIZE` pages. A cache in 4 KiB
//! pages moves to them on its next open, with nothing lost, and one damaged beyond opening is
//! recovered as any other.

use std::path::{Path, PathBuf};

use crate::common;

use central_api::demo::{generate, DemoConfig};
use common::as_of;
use desk::secrets::{self, DatabaseKey};
use desk::store::{cipher, Store, CACHE_FILE};
use desk::views::WorkspaceKind;
use desk::Desk;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{ConnectOptions, Connection};

/// A cache in 4 KiB pages in `dir`: a workspace, three purchases waiting to be sent and a
/// setting, encrypted under its own key (in the secret store) in 4 KiB pages. Returns the cache,
/// its key and the waiting changes by content.
async fn cache_in_4_kib_pages(dir: &Path) -> (PathBuf, DatabaseKey, Vec<(String, String, String)>) {
    let desk = Desk::open(&dir.join("made")).await.unwrap();
    let data = generate(&DemoConfig::with_deployments(as_of(), 5_000));
    desk.load_workspace(&data, WorkspaceKind::Remote, as_of())
        .await
        .unwrap();
    let store = desk.store();
    common::three_waiting_purchases(&desk).await;
    let waiting = outbox(store.pool()).await;
    assert_eq!(waiting.len(), 3);

    let cache = dir.join("legacy").join(CACHE_FILE);
    std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
    let key = DatabaseKey::random();
    let mut conn = store.pool().acquire().await.unwrap();
    sqlx::query("ATTACH DATABASE ? AS legacy KEY ?")
        .bind(cache.to_str().unwrap())
        .bind(key.pragma().trim_matches('"'))
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query(&format!(
        "PRAGMA legacy.cipher_page_size = {}",
        cipher::LEGACY_PAGE_SIZE
    ))
    .execute(&mut *conn)
    .await
    .unwrap();
    sqlx::query("SELECT sqlcipher_export('legacy')")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("DETACH DATABASE legacy")
        .execute(&mut *conn)
        .await
        .unwrap();
    drop(conn);
    store.close().await;
    secrets::set_database_key(&cache, &key).await.unwrap();
    assert!(
        !opens_in(&cache, &key, cipher::PAGE_SIZE).await,
        "the copy is not in this version's pages"
    );
    assert!(opens_in(&cache, &key, cipher::LEGACY_PAGE_SIZE).await);
    (cache, key, waiting)
}

fn in_pages_of(cache: &Path, key: &DatabaseKey, page_size: u32) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(cache)
        .pragma("key", key.pragma())
        .pragma("cipher_page_size", page_size.to_string())
}

async fn opens_in(cache: &Path, key: &DatabaseKey, page_size: u32) -> bool {
    let mut conn = in_pages_of(cache, key, page_size).connect().await.unwrap();
    let read = sqlx::query("SELECT count(*) FROM sqlite_master")
        .execute(&mut conn)
        .await
        .is_ok();
    conn.close().await.unwrap();
    read
}

async fn outbox<'c, E: sqlx::SqliteExecutor<'c>>(db: E) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT id, op, payload FROM outbox ORDER BY seq")
        .fetch_all(db)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cache_in_4_kib_pages_moves_to_larger_pages_with_its_waiting_changes_and_its_last_writes()
{
    let dir = tempfile::tempdir().unwrap();
    let (cache, key, waiting) = cache_in_4_kib_pages(dir.path()).await;

    // The process stopped with its last write still in the write-ahead log: the files copied
    // while the writer holds them open, as a crash leaves them.
    let mut writer = in_pages_of(&cache, &key, cipher::LEGACY_PAGE_SIZE)
        .journal_mode(SqliteJournalMode::Wal)
        .connect()
        .await
        .unwrap();
    sqlx::query("INSERT INTO sync_state (key, value) VALUES ('last-write', 'in the WAL')")
        .execute(&mut writer)
        .await
        .unwrap();
    let crashed = dir.path().join("crashed").join(CACHE_FILE);
    std::fs::create_dir_all(crashed.parent().unwrap()).unwrap();
    for suffix in ["", "-wal"] {
        std::fs::copy(
            format!("{}{suffix}", cache.display()),
            format!("{}{suffix}", crashed.display()),
        )
        .unwrap();
    }
    writer.close().await.unwrap();
    assert!(
        std::fs::metadata(format!("{}-wal", crashed.display()))
            .unwrap()
            .len()
            > 0
    );
    secrets::set_database_key(&crashed, &key).await.unwrap();

    for open in ["first", "second"] {
        let store = Store::open(&crashed).await.unwrap();
        assert_eq!(outbox(store.pool()).await, waiting, "{open} open");
        assert_eq!(
            store.get_state("last-write").await.unwrap().as_deref(),
            Some("in the WAL"),
            "{open} open"
        );
        // (SQLCipher answers the page size as text.)
        let page_size: String = sqlx::query_scalar("PRAGMA cipher_page_size")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(page_size, cipher::PAGE_SIZE.to_string(), "{open} open");
        store.close().await;
        assert!(
            !PathBuf::from(format!("{}.encrypting", crashed.display())).exists(),
            "{open} open: no copy left"
        );
    }
    assert!(opens_in(&crashed, &key, cipher::PAGE_SIZE).await);
    assert!(!opens_in(&crashed, &key, cipher::LEGACY_PAGE_SIZE).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_cache_in_4_kib_pages_is_recovered_with_its_waiting_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (cache, _key, waiting) = cache_in_4_kib_pages(dir.path()).await;
    let mut bytes = std::fs::read(&cache).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 64] {
        *b = !*b;
    }
    std::fs::write(&cache, bytes).unwrap();

    let desk = Desk::open(cache.parent().unwrap()).await.unwrap();
    let recovered = desk.workspace_info().await.unwrap().recovered.unwrap();
    assert_eq!(recovered.damage, desk::views::Damage::Unreadable);
    assert_eq!((recovered.changes_kept, recovered.changes_lost), (3, 0));
    assert_eq!(outbox(desk.store().pool()).await, waiting);
    assert_eq!(cipher::damaged_files(&cache).len(), 1);
}
