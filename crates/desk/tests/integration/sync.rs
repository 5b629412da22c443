//! Sync against the reference central API on a loopback port, into a real SQLite file: first
//! sync, incremental changes and deletes, every fault of the fault switch, a 410 rebuild, a ledger
//! checksum mismatch, the outbox, scope, and the process killed mid-sync. The sync as the app
//! runs it (signed in, in the background, with the figures after it) is in `sync_app.rs`.

use crate::common;

use common::{as_of, fast};

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use central_api::server::{self, RunningServer, Scope, ServerConfig};
use desk::api::{ApiClient, ApiError, Token};
use desk::outbox;
use desk::store::{Store, CACHE_FILE};
use desk::sync::{SyncEngine, SyncError, SyncOptions};
use program::contract::{Entity, MutationKind, PartnerId, Role};
use program::Credits;
use sqlx::Row;

pub(super) struct Setup {
    _dir: tempfile::TempDir,
    pub(super) server: RunningServer,
    pub(super) store: Store,
    pub(super) token: String,
}

pub(super) async fn setup(deployments: usize) -> Setup {
    setup_with(deployments, server::Limits::default()).await
}

/// [`setup`] with the server's limits set.
async fn setup_with(deployments: usize, limits: server::Limits) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        deployments,
        today: Some(as_of()),
        limits,
        ..ServerConfig::demo(dir.path().join("central.sqlite3"), as_of())
    };
    let server = server::start(config).await.unwrap();
    let partners = server.store().partner_ids().await.unwrap();
    let token = server
        .create_token("Ana Manager", Role::PlatformAccountManager, &partners)
        .await
        .unwrap();
    let store = Store::open(&dir.path().join("client").join(CACHE_FILE))
        .await
        .unwrap();
    Setup {
        _dir: dir,
        server,
        store,
        token,
    }
}

impl Setup {
    pub(super) async fn engine(&self, options: SyncOptions) -> std::sync::Arc<SyncEngine> {
        self.engine_with(&self.token, options).await
    }

    async fn engine_with(&self, token: &str, options: SyncOptions) -> std::sync::Arc<SyncEngine> {
        let api =
            ApiClient::new(self.server.base_url().parse().unwrap(), Token::new(token)).unwrap();
        SyncEngine::new(self.store.clone(), api, options)
            .await
            .unwrap()
    }
}

pub(super) const TABLES: &[(Entity, &str)] = &[
    (Entity::Partner, "partners"),
    (Entity::Territory, "territories"),
    (Entity::Customer, "customers"),
    (Entity::Deployment, "deployments"),
    (Entity::LedgerEntry, "ledger_entries"),
    (Entity::NpsResponse, "nps_responses"),
    (Entity::CatalogItem, "catalog_items"),
    (Entity::CustomerMigration, "customer_migrations"),
    (Entity::Deal, "deals"),
    (Entity::TerritoryClaim, "territory_claims"),
    (Entity::ActionItem, "action_items"),
];

pub(super) async fn local_count(store: &Store, table: &str) -> u64 {
    let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(store.pool())
        .await
        .unwrap();
    n as u64
}

pub(super) async fn local_balances(store: &Store) -> BTreeMap<PartnerId, Credits> {
    sqlx::query(
        "SELECT partner_id, sum(credits_minor) AS minor FROM ledger_entries GROUP BY partner_id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
    .iter()
    .map(|r| {
        let id: String = r.get("partner_id");
        (
            PartnerId(id.parse().unwrap()),
            Credits::from_minor(r.get("minor")),
        )
    })
    .collect()
}

/// The mirror holds exactly what the server holds: rows per entity and balances per partner.
/// Puts a purchase of `credits` for `partner` in the outbox, as a change of `row` (entity, id).
async fn enqueue_purchase(
    store: &Store,
    row: (&str, &str),
    partner: &str,
    credits: i64,
) -> uuid::Uuid {
    let kind = MutationKind::PurchaseCredits {
        partner_id: PartnerId(partner.parse().unwrap()),
        credits: Credits::whole(credits),
        price: None,
    };
    outbox::enqueue(store, row.0, row.1, &kind, None)
        .await
        .unwrap()
}

async fn assert_mirror_equals_server(s: &Setup) {
    for (entity, table) in TABLES {
        let server = s.server.store().count(*entity, &Scope::All).await.unwrap();
        assert_eq!(
            local_count(&s.store, table).await,
            server,
            "{table}: mirror vs server"
        );
    }
    let server: BTreeMap<_, _> = s
        .server
        .store()
        .balances()
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, b)| *b != Credits::ZERO)
        .collect();
    let local: BTreeMap<_, _> = local_balances(&s.store)
        .await
        .into_iter()
        .filter(|(_, b)| *b != Credits::ZERO)
        .collect();
    assert_eq!(local, server, "per-partner balances");
}

#[tokio::test]
async fn first_sync_mirrors_the_server() {
    let s = setup(3_000).await;
    let engine = s.engine(fast()).await;
    let report = engine.run_once().await.unwrap();
    assert!(report.pages > 1, "paged: {report:?}");
    assert_mirror_equals_server(&s).await;
    let status = engine.current_status();
    assert!(status.last_synced_at.is_some() && !status.first_sync);
    // Nothing new: the next round downloads nothing.
    let again = engine.run_once().await.unwrap();
    assert_eq!(again.changes, 0);
}

#[tokio::test]
async fn incremental_sync_applies_updates_and_deletes() {
    let s = setup(2_000).await;
    let engine = s.engine(fast()).await;
    engine.run_once().await.unwrap();

    let store = s.server.store();
    let customer_id: String = sqlx::query_scalar("SELECT id FROM customers LIMIT 1")
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    let mut customer: program::contract::Customer = serde_json::from_value(
        store
            .get(Entity::Customer, &customer_id)
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    customer.name = "Renamed Customer SA".into();
    store.upsert_customer(&customer).await.unwrap();
    let nps_id: String = sqlx::query_scalar("SELECT id FROM nps_responses LIMIT 1")
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    store.delete(Entity::NpsResponse, &nps_id).await.unwrap();

    let report = engine.run_once().await.unwrap();
    assert_eq!(report.changes, 2);
    let name: String = sqlx::query_scalar("SELECT name FROM customers WHERE id = ?")
        .bind(&customer_id)
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    assert_eq!(name, "Renamed Customer SA");
    let gone: i64 = sqlx::query_scalar("SELECT count(*) FROM nps_responses WHERE id = ?")
        .bind(&nps_id)
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    assert_eq!(gone, 0, "the delete reached the mirror");
    assert_mirror_equals_server(&s).await;
}

#[tokio::test]
async fn sync_survives_every_fault_of_the_switch() {
    let s = setup(2_000).await;
    let engine = s.engine(fast()).await;
    let faults = s.server.faults();
    faults.unavailable_next(2);
    faults.drop_next_pages(1);
    faults.truncate_next_pages(1);
    faults.corrupt_next_pages(1);
    engine.run_once().await.unwrap();
    assert_mirror_equals_server(&s).await;
}

#[tokio::test]
async fn rate_limit_honours_retry_after() {
    let s = setup(1_000).await;
    let engine = s.engine(fast()).await;
    s.server.faults().rate_limit_next(1, 1);
    let started = Instant::now();
    engine.run_once().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}, the server asked for 1 s",
        started.elapsed()
    );
    assert_mirror_equals_server(&s).await;
}

/// A loaded server answers 408 when a request takes longer than its limit; the client waits and
/// tries again, as for a 503, instead of taking it as a refusal.
#[tokio::test]
async fn a_request_the_server_timed_out_is_tried_again() {
    let s = setup_with(
        500,
        server::Limits {
            request_timeout: Duration::from_millis(300),
            ..server::Limits::default()
        },
    )
    .await;
    let engine = s.engine(fast()).await;
    let (server, store) = (&s.server, &s.store);

    server.faults().set_latency(Duration::from_millis(600));
    let err = engine.run_once().await.unwrap_err();
    assert!(
        matches!(err, SyncError::Api(ApiError::Busy { status: 408, .. })),
        "{err}"
    );
    assert!(err.is_transient(), "{err}");
    assert_eq!(
        engine.current_status().problem.unwrap().kind,
        desk::views::SyncProblemKind::ServerBusy
    );
    assert_eq!(local_count(store, "deployments").await, 0);

    server.faults().set_latency(Duration::ZERO);
    engine.run_once().await.unwrap();
    assert_eq!(
        local_count(store, "deployments").await,
        server
            .store()
            .count(Entity::Deployment, &Scope::All)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn an_unreachable_server_reports_offline_and_keeps_the_mirror() {
    let s = setup(1_000).await;
    let engine = s.engine(fast()).await;
    engine.run_once().await.unwrap();
    let before = local_count(&s.store, "deployments").await;
    s.server.faults().unavailable_next(50);
    let err = engine.run_once().await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    let status = engine.current_status();
    assert_eq!(status.phase, desk::views::SyncPhase::Offline);
    assert_eq!(
        status.problem.unwrap().kind,
        desk::views::SyncProblemKind::ServerBusy
    );
    assert_eq!(local_count(&s.store, "deployments").await, before);
}

#[tokio::test]
async fn a_refused_token_is_not_retried() {
    let s = setup(1_000).await;
    let engine = s.engine_with("not-a-token", fast()).await;
    let err = engine.run_once().await.unwrap_err();
    assert!(
        matches!(err, SyncError::Api(ApiError::Unauthorized)),
        "{err}"
    );
    assert!(!err.is_transient());
    assert_eq!(
        engine.current_status().phase,
        desk::views::SyncPhase::Failed
    );
}

#[tokio::test]
async fn cursor_too_old_rebuilds_the_mirror_and_keeps_the_outbox() {
    let s = setup(1_000).await;
    let engine = s.engine(fast()).await;
    engine.run_once().await.unwrap();
    // A change the user made that the server refused stays for the user to see.
    let partner: String = sqlx::query_scalar("SELECT id FROM partners LIMIT 1")
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    enqueue_purchase(&s.store, ("credit_purchase", &partner), &partner, 5_000_000).await;
    engine.run_once().await.unwrap();
    assert_eq!(engine.current_status().rejected, 1);

    let nps_id: String = sqlx::query_scalar("SELECT id FROM nps_responses LIMIT 1")
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    s.server
        .store()
        .delete(Entity::NpsResponse, &nps_id)
        .await
        .unwrap();
    let head = s.server.store().head().await.unwrap();
    s.server.store().compact(head).await.unwrap();
    // The server restarting forgets the cursors it issued: ours is now too old.
    let report = engine.run_once().await;
    let report = report.unwrap();
    assert!(report.rebuilds <= 1);
    assert_mirror_equals_server(&s).await;
    assert_eq!(outbox::rejected(&s.store).await.unwrap().len(), 1);
}

/// A mirror that lost a ledger line disagrees with the checksum the next page that names its
/// partner carries: the round reads the feed again from the start, and the line is back.
#[tokio::test]
async fn a_ledger_checksum_mismatch_refetches_the_feed() {
    let s = setup(1_000).await;
    let engine = s.engine(fast()).await;
    engine.run_once().await.unwrap();
    let (partner, lost): (String, String) =
        sqlx::query_as("SELECT partner_id, id FROM ledger_entries ORDER BY id LIMIT 1")
            .fetch_one(s.store.pool())
            .await
            .unwrap();
    sqlx::query("DELETE FROM ledger_entries WHERE id = ?")
        .bind(&lost)
        .execute(s.store.pool())
        .await
        .unwrap();
    // A purchase brings a new line of that partner, and with it the partner's checksum.
    enqueue_purchase(&s.store, ("credit_purchase", &partner), &partner, 1_000).await;
    let report = engine.run_once().await.unwrap();
    assert_eq!((report.pushed, report.rebuilds), (1, 1), "{report:?}");
    let back: i64 = sqlx::query_scalar("SELECT count(*) FROM ledger_entries WHERE id = ?")
        .bind(&lost)
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    assert_eq!(back, 1, "the lost line is in the mirror again");
    assert_mirror_equals_server(&s).await;
    // And the next round finds nothing to repair.
    let again = engine.run_once().await.unwrap();
    assert_eq!((again.changes, again.rebuilds), (0, 0));
}

#[tokio::test]
async fn a_rejected_mutation_does_not_block_the_next() {
    let s = setup(1_000).await;
    let engine = s.engine(fast()).await;
    engine.run_once().await.unwrap();
    let partner: String = sqlx::query_scalar("SELECT id FROM partners LIMIT 1")
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    let id = PartnerId(partner.parse().unwrap());
    let too_many = MutationKind::PurchaseCredits {
        partner_id: id,
        credits: Credits::whole(5_000_000),
        price: None,
    };
    let fine = MutationKind::PurchaseCredits {
        partner_id: id,
        credits: Credits::whole(1_000),
        price: None,
    };
    outbox::enqueue(&s.store, "credit_purchase", &partner, &too_many, None)
        .await
        .unwrap();
    let applied = outbox::enqueue(&s.store, "credit_purchase", &partner, &fine, None)
        .await
        .unwrap();
    let report = engine.run_once().await.unwrap();
    assert_eq!((report.pushed, report.rejected), (1, 1));
    let rejected = outbox::rejected(&s.store).await.unwrap();
    assert_eq!(rejected.len(), 1);
    assert!(!rejected[0].reason.is_empty());
    // What it was, as facts the window words in the user's language.
    let name: String = sqlx::query_scalar("SELECT name FROM partners WHERE id = ?")
        .bind(&partner)
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    assert_eq!(
        rejected[0].what,
        desk::views::ChangeSummary::PurchaseCredits {
            credits: "5000000".into(),
            partner: Some(name),
        }
    );
    // The applied purchase came back through the feed as a ledger line with the mutation's id.
    let line: i64 = sqlx::query_scalar(
        "SELECT credits_minor FROM ledger_entries WHERE id = ? AND kind = 'purchase'",
    )
    .bind(applied.to_string())
    .fetch_one(s.store.pool())
    .await
    .unwrap();
    assert_eq!(line, 100_000);
    assert_mirror_equals_server(&s).await;
    let status = engine.current_status();
    assert_eq!((status.pending, status.rejected), (0, 1));
}

#[tokio::test]
async fn a_row_with_a_pending_local_change_is_not_overwritten() {
    let s = setup(1_000).await;
    let engine = s.engine(fast()).await;
    engine.run_once().await.unwrap();
    let customer_id: String = sqlx::query_scalar("SELECT id FROM customers LIMIT 1")
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    let local_name: String = sqlx::query_scalar("SELECT name FROM customers WHERE id = ?")
        .bind(&customer_id)
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    // A local edit of the customer is waiting in the outbox.
    let partner: String = sqlx::query_scalar("SELECT partner_id FROM customers WHERE id = ?")
        .bind(&customer_id)
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    enqueue_purchase(&s.store, ("customer", &customer_id), &partner, 1).await;
    let mut customer: program::contract::Customer = serde_json::from_value(
        s.server
            .store()
            .get(Entity::Customer, &customer_id)
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    customer.name = "Changed On The Server".into();
    s.server.store().upsert_customer(&customer).await.unwrap();

    let report = engine.pull_only().await.unwrap();
    assert_eq!(report.kept_local, 1);
    let name: String = sqlx::query_scalar("SELECT name FROM customers WHERE id = ?")
        .bind(&customer_id)
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    assert_eq!(name, local_name, "the pending row was left alone");
}

#[tokio::test]
async fn a_partner_users_mirror_holds_only_its_partner() {
    let s = setup(2_000).await;
    let partners = s.server.store().partner_ids().await.unwrap();
    let mine = partners[3];
    let token = s
        .server
        .create_token("Sales Person", Role::PartnerSales, &[mine])
        .await
        .unwrap();
    let engine = s.engine_with(&token, fast()).await;
    engine.run_once().await.unwrap();
    let me = mine.to_string();
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM partners")
        .fetch_all(s.store.pool())
        .await
        .unwrap();
    assert_eq!(ids, vec![me.clone()]);
    for table in ["territories", "ledger_entries", "nps_responses", "deals"] {
        let others: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {table} WHERE partner_id <> ?"
        ))
        .bind(&me)
        .fetch_one(s.store.pool())
        .await
        .unwrap();
        assert_eq!(others, 0, "{table} holds another partner's rows");
    }
    // A customer is visible to its partner of record, or to a partner it migrated from.
    let strangers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM customers c WHERE c.partner_id <> ?1 AND NOT EXISTS \
         (SELECT 1 FROM customer_migrations m WHERE m.customer_id = c.id \
          AND (m.from_partner_id = ?1 OR m.to_partner_id = ?1))",
    )
    .bind(&me)
    .fetch_one(s.store.pool())
    .await
    .unwrap();
    assert_eq!(strangers, 0);
    assert!(local_count(&s.store, "customers").await > 0);
}

/// Kills the headless sync process at random points, again and again, then lets it finish: the
/// mirror ends equal to the server, with no ledger line twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_killed_at_random_points_resumes_to_an_exact_mirror() {
    use rand::Rng;
    let s = setup(20_000).await;
    let data_dir = s.store.path().parent().unwrap().to_path_buf();
    s.store.close().await;
    let bin = env!("CARGO_BIN_EXE_partner-desk-sync");
    let spawn_in = |dir: &std::path::Path| {
        tokio::process::Command::new(bin)
            .args(["--data-dir", dir.to_str().unwrap()])
            .args(["--url", &s.server.base_url()])
            .args(["--page-size", "2000"])
            .env("PARTNER_DESK_TOKEN", &s.token)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let spawn = || spawn_in(&data_dir);
    // How long a whole sync takes here, in this build, uninterrupted (into a folder of its own):
    // each run below is killed within a fiftieth of it on average, so the kills land all along
    // the sync whatever the machine's speed, instead of after a fast build has finished it.
    let scratch = tempfile::tempdir().unwrap();
    let started = Instant::now();
    assert!(spawn_in(scratch.path()).wait().await.unwrap().success());
    let whole = started.elapsed();
    let mut rng = rand::thread_rng();
    let mut kills = 0;
    let mut finished_early = 0;
    for _ in 0..50 {
        let mut child = spawn();
        let wait = whole.mul_f64(rng.gen_range(0.0..0.04));
        tokio::time::sleep(wait).await;
        if child.try_wait().unwrap().is_some() {
            finished_early += 1;
        } else {
            child.kill().await.unwrap(); // SIGKILL, and reaped
            kills += 1;
        }
    }
    let status = spawn().wait().await.unwrap();
    assert!(status.success(), "the last run completes");
    println!(
        "killed the sync process {kills} times ({finished_early} runs finished first; a whole \
         sync takes {whole:?})"
    );
    assert!(kills >= 25, "only {kills} kills landed");

    let store = Store::open(&data_dir.join(CACHE_FILE)).await.unwrap();
    let check = Setup {
        _dir: tempfile::tempdir().unwrap(),
        server: s.server,
        store,
        token: s.token,
    };
    assert_mirror_equals_server(&check).await;
    let doubled: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT id FROM ledger_entries GROUP BY id HAVING count(*) > 1)",
    )
    .fetch_one(check.store.pool())
    .await
    .unwrap();
    assert_eq!(doubled, 0);
}
