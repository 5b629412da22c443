//! A first sync writes a file of its own, the cache from the start (see
//! `desk::store::first_sync`); it drops that file's secondary indexes and builds them again when
//! it ends (see `desk::sync`). Whether it ends well, fails midway, or is killed, the cache is
//! never used without them afterwards, a sync that stopped goes on from its last page, and the
//! cache's own rows (outbox, settings, sync state) are in the file that becomes the cache.

use std::time::Duration;

use central_api::server::{self, RunningServer, Scope, ServerConfig};
use chrono::NaiveDate;
use desk::api::{ApiClient, Token};
use desk::outbox;
use desk::store::{done_path, first_sync_path, Store, CACHE_FILE, DEFERRED_INDEXES};
use desk::sync::{SyncEngine, SyncOptions, SyncReport};
use program::contract::{Entity, MutationKind, Role};
use program::Credits;
use rust_decimal::Decimal;
use sqlx::{Connection, SqliteConnection};

fn options(page_size: u32) -> SyncOptions {
    SyncOptions {
        page_size,
        min_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        max_retries: 3,
        ..SyncOptions::default()
    }
}

struct Setup {
    dir: tempfile::TempDir,
    server: RunningServer,
    token: String,
}

async fn setup(deployments: usize) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        deployments,
        today: Some(NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()),
        ..ServerConfig::demo(
            dir.path().join("central.sqlite3"),
            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        )
    };
    let server = server::start(config).await.unwrap();
    let partners = server.store().partner_ids().await.unwrap();
    let token = server
        .create_token("Ana Manager", Role::PlatformAccountManager, &partners)
        .await
        .unwrap();
    Setup { dir, server, token }
}

impl Setup {
    fn cache(&self) -> std::path::PathBuf {
        self.dir.path().join("client").join(CACHE_FILE)
    }

    async fn engine(&self, store: &Store, page_size: u32) -> std::sync::Arc<SyncEngine> {
        let api = ApiClient::new(
            self.server.base_url().parse().unwrap(),
            Token::new(&self.token),
        )
        .unwrap();
        SyncEngine::new(store.clone(), api, options(page_size))
            .await
            .unwrap()
    }

    /// After a round that went on with a first sync that stopped: the cache has every index and
    /// trigger, the mirror every row and the ledger's sums per day, and the round downloaded
    /// again only what had not been written.
    async fn assert_resumed(&self, store: &Store, schema: &[String], report: &SyncReport) {
        let mut conn = store.pool().acquire().await.unwrap();
        assert_eq!(indexes(&mut conn).await, schema);
        assert!(!deferred(&mut conn).await);
        drop(conn);
        self.assert_mirror_counts(store).await;
        crate::ledger_days::assert_sums_follow_the_lines(store, "a first sync resumed").await;
        let rows = mirrored_rows(store).await;
        assert!(
            report.changes < rows,
            "{} changes again for {rows} rows",
            report.changes
        );
    }

    async fn assert_mirror_counts(&self, store: &Store) {
        for (entity, table) in [
            (Entity::Customer, "customers"),
            (Entity::Deployment, "deployments"),
            (Entity::LedgerEntry, "ledger_entries"),
        ] {
            let local: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                .fetch_one(store.pool())
                .await
                .unwrap();
            let server = self
                .server
                .store()
                .count(entity, &Scope::All)
                .await
                .unwrap();
            assert_eq!(local as u64, server, "{table}");
        }
    }
}

/// The rows the feed brought into the mirror, one per change (a partner's brands come with it).
async fn mirrored_rows(store: &Store) -> u64 {
    let mut rows = 0;
    for table in [
        "partners",
        "catalog_items",
        "customers",
        "territories",
        "deployments",
        "ledger_entries",
        "nps_responses",
        "customer_migrations",
        "territory_claims",
        "deals",
        "quotes",
        "action_items",
    ] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(store.pool())
            .await
            .unwrap();
        rows += n as u64;
    }
    rows
}

/// The secondary (named) indexes of the cache, sorted.
/// The cache's indexes and triggers (a first sync drops some of both).
async fn indexes(conn: &mut SqliteConnection) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL \
         ORDER BY name",
    )
    .fetch_all(conn)
    .await
    .unwrap()
}

async fn deferred(conn: &mut SqliteConnection) -> bool {
    sqlx::query_scalar::<_, String>("SELECT value FROM sync_state WHERE key = ?")
        .bind(DEFERRED_INDEXES)
        .fetch_optional(conn)
        .await
        .unwrap()
        .is_some()
}

/// A plain connection to the cache, beside the sync's, to watch it.
async fn watch(path: &std::path::Path) -> SqliteConnection {
    SqliteConnection::connect_with(&desk::store::cipher::options(path).await.unwrap())
        .await
        .unwrap()
}

/// A plain connection to the first sync's file of the cache at `cache` (under the cache's key).
async fn watch_first_sync(cache: &std::path::Path) -> SqliteConnection {
    let options = desk::store::cipher::options(cache)
        .await
        .unwrap()
        .filename(first_sync_path(cache));
    SqliteConnection::connect_with(&options).await.unwrap()
}

/// Waits until the first sync of the cache at `cache` has dropped its file's indexes (its first
/// page committed).
async fn until_deferred(cache: &std::path::Path) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if first_sync_path(cache).exists() {
            let mut conn = watch_first_sync(cache).await;
            let has_state: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_state'",
            )
            .fetch_optional(&mut conn)
            .await
            .unwrap();
            if has_state.is_some() && deferred(&mut conn).await {
                return;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the first sync never began"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test]
async fn a_first_sync_builds_again_the_indexes_it_dropped() {
    let s = setup(3_000).await;
    let store = Store::open(&s.cache()).await.unwrap();
    let schema = indexes(&mut watch(&s.cache()).await).await;
    assert!(schema.len() >= 5, "{schema:?}");

    let engine = s.engine(&store, 1_000).await;
    let report = engine.run_once().await.unwrap();
    assert!(report.pages > 2, "{report:?}");
    // The cache lives in the first sync's file now, with every index.
    assert_eq!(store.file(), first_sync_path(&s.cache()));
    let mut conn = store.pool().acquire().await.unwrap();
    assert_eq!(indexes(&mut conn).await, schema);
    assert!(!deferred(&mut conn).await);
    // The indexes are whole: SQLite's own check agrees with the tables.
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);
    s.assert_mirror_counts(&store).await;
}

/// What the cache held of its own before a first sync (a setting, the sync state, a refused
/// change) is in the first sync's file, which is the cache from then on; at the next open that
/// file takes the cache's name, and the first sync leaves nothing beside it.
#[tokio::test]
async fn a_first_syncs_file_keeps_the_caches_own_rows_and_becomes_the_cache() {
    let s = setup(3_000).await;
    let store = Store::open(&s.cache()).await.unwrap();
    let settings = desk::views::Settings {
        low_runway_days: 45,
    };
    desk::settings::set(&store, settings).await.unwrap();
    store.set_state("probe", "kept").await.unwrap();
    let refused = outbox::enqueue(
        &store,
        "credit_purchase",
        "p",
        &MutationKind::PurchaseCredits {
            partner_id: s.server.store().partner_ids().await.unwrap()[0],
            credits: Credits::new(Decimal::new(123_456, 2)).unwrap(),
            price: None,
        },
        None,
    )
    .await
    .unwrap();
    sqlx::query("UPDATE outbox SET status = 'rejected', last_error = 'refused' WHERE id = ?")
        .bind(refused.to_string())
        .execute(store.pool())
        .await
        .unwrap();

    let report = s.engine(&store, 1_000).await.run_once().await.unwrap();
    assert!(report.pages > 2, "{report:?}");
    assert!(done_path(&s.cache()).exists());
    let kept = |store: Store| async move {
        let settings = desk::settings::get(&store).await.unwrap();
        assert_eq!(settings.low_runway_days, 45);
        let probe = store.get_state("probe").await.unwrap();
        assert_eq!(probe.as_deref(), Some("kept"));
        let outbox: Vec<(String, String)> = sqlx::query_as("SELECT id, status FROM outbox")
            .fetch_all(store.pool())
            .await
            .unwrap();
        assert_eq!(outbox, [(refused.to_string(), "rejected".to_string())]);
    };
    kept(store.clone()).await;
    s.assert_mirror_counts(&store).await;
    store.close().await;

    let store = Store::open(&s.cache()).await.unwrap();
    assert_eq!(store.file(), s.cache());
    let first = first_sync_path(&s.cache());
    let wal = std::path::PathBuf::from(format!("{}-wal", first.display()));
    for gone in [first, done_path(&s.cache()), wal] {
        assert!(!gone.exists(), "{}", gone.display());
    }
    kept(store.clone()).await;
    s.assert_mirror_counts(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_that_fails_midway_goes_on_from_its_last_page() {
    let s = setup(20_000).await;
    let store = Store::open(&s.cache()).await.unwrap();
    let schema = indexes(&mut watch(&s.cache()).await).await;
    let engine = s.engine(&store, 500).await;
    let round = tokio::spawn({
        let engine = engine.clone();
        async move { engine.run_once().await }
    });
    until_deferred(&s.cache()).await;
    s.server.faults().unavailable_next(100_000);
    let outcome = round.await.unwrap();
    assert!(outcome.is_err(), "the round failed: {outcome:?}");
    // The cache (the first sync's file since the round began) has its indexes back, and what
    // arrived before the failure for the window to read.
    assert_eq!(store.file(), first_sync_path(&s.cache()));
    let mut conn = store.pool().acquire().await.unwrap();
    assert_eq!(indexes(&mut conn).await, schema);
    assert!(!deferred(&mut conn).await);
    let partners: i64 = sqlx::query_scalar("SELECT count(*) FROM partners")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert!(partners > 0, "what arrived is there to read");
    drop(conn);

    // The next round goes on from where it stopped.
    s.server.faults().clear();
    let report = engine.run_once().await.unwrap();
    s.assert_resumed(&store, &schema, &report).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_killed_midway_goes_on_from_its_last_page_with_its_indexes() {
    let s = setup(20_000).await;
    let schema = {
        let store = Store::open(&s.cache()).await.unwrap();
        let schema = indexes(&mut watch(&s.cache()).await).await;
        store.close().await;
        schema
    };
    let sync = || {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_partner-desk-sync"))
            .args(["--data-dir", s.cache().parent().unwrap().to_str().unwrap()])
            .args(["--url", &s.server.base_url()])
            .args(["--page-size", "500"])
            .env("PARTNER_DESK_TOKEN", &s.token)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut child = sync();
    until_deferred(&s.cache()).await;
    child.kill().await.unwrap(); // SIGKILL, and reaped
    {
        let mut conn = watch_first_sync(&s.cache()).await;
        assert!(deferred(&mut conn).await, "killed before the sync finished");
        assert!(indexes(&mut conn).await.len() < schema.len());
    }

    // The first sync's file is the cache, whole, with its indexes; the next round goes on.
    let store = Store::open(&s.cache()).await.unwrap();
    assert_eq!(indexes(&mut watch(&s.cache()).await).await, schema);
    let report = s.engine(&store, 2_000).await.run_once().await.unwrap();
    s.assert_resumed(&store, &schema, &report).await;
    store.close().await;

    // A first sync whose process ended: its file takes the cache's name at the next open.
    desk::store::cipher::remove_database(&s.cache()).unwrap();
    let status = sync().wait().await.unwrap();
    assert!(status.success());
    assert!(first_sync_path(&s.cache()).exists() && done_path(&s.cache()).exists());
    let store = Store::open(&s.cache()).await.unwrap();
    assert!(!first_sync_path(&s.cache()).exists() && !done_path(&s.cache()).exists());
    assert_eq!(indexes(&mut watch(&s.cache()).await).await, schema);
    s.assert_mirror_counts(&store).await;
}

/// The user goes on working while a first sync writes its pages. A page reads the outbox before
/// it writes; a change committed in between once failed the round with "database is locked"
/// (`SQLITE_BUSY_SNAPSHOT`, 517, which no busy timeout waits out). Every change made during the
/// round reaches the platform exactly once, counted by its amount in the mirror afterwards. And
/// the window reads the deployments as they arrive, without an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_while_a_round_writes_its_pages_neither_fail_it_nor_are_lost() {
    let s = setup(3_000).await;
    let store = Store::open(&s.cache()).await.unwrap();
    let engine = s.engine(&store, 300).await;
    let partner = s.server.store().partner_ids().await.unwrap()[0];
    // Unlike any demo purchase: whole hundreds and 37 hundredths, one of each.
    let minor = |n: i64| 100_037 + 10_000 * n;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = tokio::spawn({
        let (store, done) = (store.clone(), done.clone());
        async move {
            let mut n = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let kind = MutationKind::PurchaseCredits {
                    partner_id: partner,
                    credits: Credits::new(Decimal::new(minor(n), 2)).unwrap(),
                    price: None,
                };
                let row = partner.to_string();
                outbox::enqueue(&store, "credit_purchase", &row, &kind, None)
                    .await
                    .unwrap();
                n += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            n
        }
    });
    let reader = tokio::spawn({
        let (store, done) = (store.clone(), done.clone());
        async move {
            let mut seen = Vec::new();
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let n: i64 = sqlx::query_scalar("SELECT count(*) FROM deployments")
                    .fetch_one(store.pool())
                    .await
                    .unwrap();
                seen.push(n);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            seen
        }
    });
    let round = engine.run_once().await;
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let made = writer.await.unwrap();
    let seen = reader.await.unwrap();
    let report = round.unwrap();
    assert!(report.changes > 3_000, "{report:?}");
    assert!(made >= 10, "only {made} changes were made during the round");
    assert!(
        seen.iter().any(|&n| n > 0 && n < 3_000),
        "the deployments were read as they arrived: {seen:?}"
    );

    // The next round sends what the first did not; the one after finds nothing left.
    engine.run_once().await.unwrap();
    engine.run_once().await.unwrap();
    for n in 0..made {
        let copies: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM ledger_entries \
             WHERE partner_id = ? AND kind = 'purchase' AND credits_minor = ?",
        )
        .bind(partner.to_string())
        .bind(minor(n))
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(copies, 1, "purchase {n} of {made}");
    }
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(left, 0, "the outbox ends empty");
}
