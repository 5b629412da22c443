//! A first sync drops the mirror's secondary indexes and builds them again when it ends (see
//! `desk::sync`): whether it ends well, fails midway, or is killed, the cache is never used
//! without them afterwards.

use std::time::Duration;

use central_api::server::{self, RunningServer, Scope, ServerConfig};
use chrono::NaiveDate;
use desk::api::{ApiClient, Token};
use desk::outbox;
use desk::store::{Store, CACHE_FILE, DEFERRED_INDEXES};
use desk::sync::{SyncEngine, SyncOptions};
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

/// The secondary (named) indexes of the cache, sorted.
async fn indexes(conn: &mut SqliteConnection) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
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

/// Waits until the first sync has dropped the indexes (its first page committed).
async fn until_deferred(path: &std::path::Path) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if path.exists() {
            let mut conn = watch(path).await;
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
    let mut conn = watch(&s.cache()).await;
    let schema = indexes(&mut conn).await;
    assert!(schema.len() >= 5, "{schema:?}");

    let engine = s.engine(&store, 1_000).await;
    let report = engine.run_once().await.unwrap();
    assert!(report.pages > 2, "{report:?}");
    assert_eq!(indexes(&mut conn).await, schema);
    assert!(!deferred(&mut conn).await);
    s.assert_mirror_counts(&store).await;
    // The indexes are whole: SQLite's own check agrees with the tables.
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(check, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_that_fails_midway_builds_them_before_it_returns() {
    let s = setup(20_000).await;
    let store = Store::open(&s.cache()).await.unwrap();
    let mut conn = watch(&s.cache()).await;
    let schema = indexes(&mut conn).await;
    let engine = s.engine(&store, 500).await;
    let round = tokio::spawn({
        let engine = engine.clone();
        async move { engine.run_once().await }
    });
    until_deferred(&s.cache()).await;
    assert!(indexes(&mut conn).await.len() < schema.len());
    s.server.faults().unavailable_next(100_000);
    let outcome = round.await.unwrap();
    assert!(outcome.is_err(), "the round failed: {outcome:?}");
    assert_eq!(indexes(&mut conn).await, schema);
    assert!(!deferred(&mut conn).await);

    // The next round carries on from where it stopped, with its indexes, to an exact mirror.
    s.server.faults().clear();
    engine.run_once().await.unwrap();
    assert_eq!(indexes(&mut conn).await, schema);
    s.assert_mirror_counts(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_sync_killed_midway_gets_its_indexes_back_when_the_cache_opens() {
    let s = setup(20_000).await;
    let schema = {
        let store = Store::open(&s.cache()).await.unwrap();
        let mut conn = watch(&s.cache()).await;
        let schema = indexes(&mut conn).await;
        store.close().await;
        schema
    };
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_partner-desk-sync"))
        .args(["--data-dir", s.cache().parent().unwrap().to_str().unwrap()])
        .args(["--url", &s.server.base_url()])
        .args(["--page-size", "500"])
        .env("PARTNER_DESK_TOKEN", &s.token)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    until_deferred(&s.cache()).await;
    child.kill().await.unwrap(); // SIGKILL, and reaped
    {
        let mut conn = watch(&s.cache()).await;
        assert!(deferred(&mut conn).await, "killed before the sync finished");
        assert!(indexes(&mut conn).await.len() < schema.len());
    }

    let store = Store::open(&s.cache()).await.unwrap();
    let mut conn = watch(&s.cache()).await;
    assert_eq!(indexes(&mut conn).await, schema);
    assert!(!deferred(&mut conn).await);
    s.engine(&store, 2_000).await.run_once().await.unwrap();
    assert_eq!(indexes(&mut conn).await, schema);
    s.assert_mirror_counts(&store).await;
}

/// The user goes on working while a first sync writes its pages. A page reads the outbox before
/// it writes; a change committed in between once failed the round with "database is locked"
/// (`SQLITE_BUSY_SNAPSHOT`, 517, which no busy timeout waits out). Every change made during the
/// round reaches the platform exactly once, counted by its amount in the mirror afterwards.
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
    let round = engine.run_once().await;
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let made = writer.await.unwrap();
    let report = round.unwrap();
    assert!(report.changes > 3_000, "{report:?}");
    assert!(made >= 10, "only {made} changes were made during the round");

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
