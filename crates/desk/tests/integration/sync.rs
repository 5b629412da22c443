//! Sync against the reference central API on a loopback port, into a real SQLite file: first
//! sync, incremental changes and deletes, every fault of the fault switch, a 410 rebuild, a ledger
//! checksum mismatch, the outbox, scope, and the process killed mid-sync.

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

struct Setup {
    _dir: tempfile::TempDir,
    server: RunningServer,
    store: Store,
    token: String,
}

async fn setup(deployments: usize) -> Setup {
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
    async fn engine(&self, options: SyncOptions) -> std::sync::Arc<SyncEngine> {
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

const TABLES: &[(Entity, &str)] = &[
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

async fn local_count(store: &Store, table: &str) -> u64 {
    let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(store.pool())
        .await
        .unwrap();
    n as u64
}

async fn local_balances(store: &Store) -> BTreeMap<PartnerId, Credits> {
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

async fn wait_for_sync(desk: &desk::Desk) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = desk.sync_status().await {
            if status.last_synced_at.is_some() && status.phase == desk::views::SyncPhase::Idle {
                return;
            }
        }
        assert!(Instant::now() < deadline, "no sync completed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_keeps_the_token_in_the_keychain_and_sign_out_wipes_the_cache() {
    use desk::error::ErrorCode;
    let s = setup(1_000).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = desk::Desk::open(dir.path()).await.unwrap();
    let base = s.server.base_url();

    let err = desk
        .sign_in(&base, "wrong-token", fast())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unauthorized);
    let err = desk
        .sign_in("http://central.example.com", &s.token, fast())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(
        err.to_string().starts_with("base_url: plain http://"),
        "{err}"
    );

    desk.sign_in(&base, &s.token, fast()).await.unwrap();
    wait_for_sync(&desk).await;
    assert!(local_count(&desk.store(), "partners").await > 1);
    assert_eq!(desk.workspace_info().await.unwrap().home_partner, None);
    let account = format!("{}/#Ana Manager", base);
    let kept = desk::secrets::load_credentials(&account)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.access.expose(), s.token);
    assert!(kept.refresh.is_none(), "a raw token has no refresh token");
    // The token is nowhere in the cache file.
    desk.store().close().await;
    let bytes = std::fs::read(dir.path().join(CACHE_FILE)).unwrap();
    let wal = std::fs::read(dir.path().join(format!("{CACHE_FILE}-wal"))).unwrap_or_default();
    let needle = s.token.as_bytes();
    for file in [&bytes, &wal] {
        assert!(
            !file.windows(needle.len()).any(|w| w == needle),
            "token in the cache"
        );
    }
    let desk = desk::Desk::open(dir.path()).await.unwrap();

    // Resuming finds the account and its token again.
    assert!(desk.resume(fast()).await.unwrap());
    wait_for_sync(&desk).await;

    // Another account in the same cache never sees the first one's rows.
    let mine = s.server.store().partner_ids().await.unwrap()[0];
    let other = s
        .server
        .create_token("Pat Partner", Role::PartnerAdmin, &[mine])
        .await
        .unwrap();
    desk.sign_in(&base, &other, fast()).await.unwrap();
    wait_for_sync(&desk).await;
    assert_eq!(local_count(&desk.store(), "partners").await, 1);
    // A partner's own user lands on the partner's page.
    assert_eq!(
        desk.workspace_info().await.unwrap().home_partner,
        Some(mine.to_string())
    );

    desk.sign_out().await.unwrap();
    for (_, table) in TABLES {
        assert_eq!(local_count(&desk.store(), table).await, 0, "{table} wiped");
    }
    let account = format!("{}/#Pat Partner", base);
    assert_eq!(
        desk::secrets::load_credentials(&account).await.unwrap(),
        None
    );
    desk::secrets::delete_credentials(&format!("{}/#Ana Manager", base))
        .await
        .unwrap();
}

/// The UI follows the role: the laptop knows who signed in, and a partner's sales user, whom the
/// platform would refuse, is not offered buying credits and cannot queue a purchase.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ui_follows_the_role_a_partner_sales_user_buys_no_credits() {
    use desk::error::ErrorCode;
    let s = setup(1_000).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = desk::Desk::open(dir.path()).await.unwrap();
    let base = s.server.base_url();
    let mine = s.server.store().partner_ids().await.unwrap()[0];
    let token = s
        .server
        .create_token("Sam Sales", Role::PartnerSales, &[mine])
        .await
        .unwrap();
    desk.sign_in(&base, &token, fast()).await.unwrap();
    wait_for_sync(&desk).await;
    assert_eq!(
        desk.workspace_info().await.unwrap().role,
        Some(Role::PartnerSales)
    );
    let err = desk
        .purchase_credits(&mine.to_string(), "100")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(
        err.to_string()
            .contains("partner sales users cannot buy credits"),
        "{err}"
    );
    assert_eq!(
        local_count(&desk.store(), "outbox").await,
        0,
        "nothing queued"
    );
    desk::secrets::delete_credentials(&format!("{}/#Sam Sales", base))
        .await
        .unwrap();
}

/// The portfolio's figures and the search index are derived from the mirror; each sync round
/// keeps them in step with what it downloaded (renames, new ledger lines, deletes).
#[tokio::test]
async fn figures_and_search_follow_each_sync_round() {
    use desk::portfolio;
    use desk::views::{PortfolioQuery, SearchKind};
    let s = setup(2_000).await;
    let engine = s.engine(fast()).await;
    engine.run_once().await.unwrap();

    let everyone = PortfolioQuery {
        limit: Some(1_000),
        ..PortfolioQuery::default()
    };
    let balances = local_balances(&s.store).await;
    let page = portfolio::list(&s.store, &everyone).await.unwrap();
    assert_eq!(page.total as usize, page.rows.len());
    for row in &page.rows {
        let expected = balances.get(&row.id).copied().unwrap_or_default();
        assert_eq!(row.credit_balance, format!("{:.2}", expected.amount()));
    }

    // The server renames a customer and adds a ledger line to one partner.
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
    let old_name = customer.name.clone();
    customer.name = "Zyxwvut Panadería Núñez".into();
    store.upsert_customer(&customer).await.unwrap();
    let partner = page.rows[0].id;
    let line = program::contract::LedgerEntry {
        id: program::contract::LedgerEntryId(uuid::Uuid::now_v7()),
        partner_id: partner,
        at: chrono::Utc::now(),
        kind: program::contract::LedgerKind::Adjustment,
        credits: Credits::whole(125),
        fiat: None,
        rate: None,
        deployment_id: None,
        customer_id: None,
        billing: None,
        reason: Some(program::contract::AdjustmentReason::Goodwill),
    };
    store.append_ledger(&line).await.unwrap();
    engine.run_once().await.unwrap();

    // Accents and case do not matter; every word is a prefix.
    let hits = portfolio::search(&s.store, "panaderia nun").await.unwrap();
    assert!(
        hits.iter()
            .any(|h| h.kind == SearchKind::Customer && h.id == customer_id),
        "{hits:?}"
    );
    // The portfolio's search box finds the customer's partner by the new name too.
    let found = portfolio::list(
        &s.store,
        &PortfolioQuery {
            search: Some("zyxwvut panaderia".into()),
            ..PortfolioQuery::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.rows[0].id, customer.partner_id);
    let hits = portfolio::search(&s.store, &old_name).await.unwrap();
    assert!(
        !hits.iter().any(|h| h.id == customer_id),
        "the old name is no longer indexed"
    );
    let page = portfolio::list(&s.store, &everyone).await.unwrap();
    let row = page.rows.iter().find(|r| r.id == partner).unwrap();
    let expected = local_balances(&s.store).await[&partner];
    assert_eq!(row.credit_balance, format!("{:.2}", expected.amount()));
    assert_eq!(
        expected,
        balances.get(&partner).copied().unwrap_or_default() + Credits::whole(125),
        "the new line counts"
    );
}

/// The first sync's bar: rows written so far, growing page by page to the round's whole, the
/// position in the feed, and a time left once the pace is known.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_sync_reports_the_rows_written_and_the_time_left_as_it_goes() {
    let s = setup(20_000).await;
    let engine = s
        .engine(SyncOptions {
            page_size: 500,
            ..fast()
        })
        .await;
    let mut status = engine.status();
    let seen = tokio::spawn(async move {
        let mut seen = Vec::new();
        while status.changed().await.is_ok() {
            if let Some(p) = status.borrow_and_update().progress {
                if seen.last() != Some(&p) {
                    seen.push(p);
                }
            }
        }
        seen
    });
    let started = Instant::now();
    let report = engine.run_once().await.unwrap();
    let took = started.elapsed();
    drop(engine);
    let seen = seen.await.unwrap();

    assert!(seen.len() >= 10, "{} progress reports", seen.len());
    for pair in seen.windows(2) {
        assert!(pair[0].rows < pair[1].rows, "rows only grow: {pair:?}");
        assert!(
            pair[0].done <= pair[1].done,
            "the position only moves on: {pair:?}"
        );
    }
    let last = seen.last().unwrap();
    assert_eq!(
        u64::from(last.rows),
        report.changes,
        "every row written is counted"
    );
    assert_eq!(last.done, last.total, "the bar ends full");
    // Once the round has run a second, it says how long the rest takes, never more than the
    // whole round took at the pace it kept.
    if took > Duration::from_secs(2) {
        let estimates: Vec<u32> = seen.iter().filter_map(|p| p.seconds_left).collect();
        assert!(!estimates.is_empty(), "no time left in {seen:?}");
        assert!(
            estimates
                .iter()
                .all(|&s| u64::from(s) <= took.as_secs() * 2 + 1),
            "{estimates:?} for a round of {took:?}"
        );
        assert_eq!(last.seconds_left, Some(0), "nothing is left at the end");
    }
}
