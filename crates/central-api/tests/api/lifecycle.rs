//! Starting, stopping and starting again on the same database.

use central_api::server::{self, ServerConfig};
use program::contract::{Me, Role};
use reqwest::StatusCode;

use crate::common::{as_of, DEPLOYMENTS};

/// A server on the small demo data, with its database at `db`.
fn config(db: &std::path::Path) -> ServerConfig {
    ServerConfig {
        deployments: DEPLOYMENTS,
        today: Some(as_of()),
        ..ServerConfig::demo(db, as_of())
    }
}

/// A connection to the (plaintext) server database at `db`, the server stopped or running.
async fn connect(db: &std::path::Path) -> sqlx::SqliteConnection {
    use sqlx::Connection;
    sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_restart_reuses_the_database_and_its_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.sqlite3");
    let config = config(&db);
    let first = server::start(config.clone()).await.unwrap();
    assert!(first.created_dataset());
    let partners = first.store().partner_ids().await.unwrap();
    let token = first
        .create_token("ana", Role::PartnerAdmin, &partners[..1])
        .await
        .unwrap();
    let head = first.store().head().await.unwrap();
    let balances = first.store().balances().await.unwrap();
    let url = first.base_url();
    first.shutdown().await.unwrap();
    assert!(
        reqwest::get(format!("{url}/openapi.json")).await.is_err(),
        "stopped"
    );

    // Another seed would make other data: the existing database wins.
    let second = server::start(ServerConfig { seed: 7, ..config })
        .await
        .unwrap();
    assert!(!second.created_dataset());
    assert_eq!(second.store().head().await.unwrap(), head);
    assert_eq!(second.store().balances().await.unwrap(), balances);
    let response = reqwest::Client::new()
        .get(format!("{}/v1/me", second.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let me: Me = response.json().await.unwrap();
    assert_eq!(me.partners, partners[..1]);
    second.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_unknown_route_gets_a_404_problem() {
    let h = crate::common::start().await;
    let response = h.http.get(h.url("/v1/nothing")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let p = crate::common::problem(response).await;
    assert_eq!(p.code, program::contract::ProblemCode::NotFound);
    let response = h.http.delete(h.url("/v1/me")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[test]
fn the_program_prints_the_apps_version() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_central-api"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("central-api {}", env!("CARGO_PKG_VERSION"))
    );
}

/// The prospect keys of the approved, open deals in the server's database at `db`, by deal.
async fn open_deal_keys(db: &std::path::Path) -> Vec<(String, String, Option<String>)> {
    use sqlx::Connection;
    let mut conn = connect(db).await;
    let keys = sqlx::query_as(
        "SELECT deal_id, company_key, domain_key FROM open_deal_keys ORDER BY deal_id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    keys
}

#[tokio::test]
async fn the_open_deals_a_registration_is_checked_against_are_indexed_at_load_and_after_an_upgrade()
{
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.sqlite3");
    let config = config(&db);
    let data = central_api::demo::generate(&crate::common::demo_config());
    let mut expected: Vec<(String, String, Option<String>)> = data
        .deals
        .iter()
        .filter(|d| {
            d.status == program::deals::DealStatus::Approved
                && !matches!(
                    d.stage,
                    program::deals::DealStage::Won | program::deals::DealStage::Lost
                )
        })
        .map(|d| {
            let keys = d.prospect();
            (d.id.to_string(), keys.company, keys.domain)
        })
        .collect();
    expected.sort();
    assert!(!expected.is_empty(), "the demo data has open deals");

    let first = server::start(config.clone()).await.unwrap();
    first.shutdown().await.unwrap();
    assert_eq!(open_deal_keys(&db).await, expected, "indexed by the load");

    // A database from before the index: its table empty. The next start fills it.
    {
        use sqlx::Connection;
        let mut conn = connect(&db).await;
        sqlx::query("DELETE FROM open_deal_keys")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    let again = server::start(config).await.unwrap();
    assert!(!again.created_dataset());
    again.shutdown().await.unwrap();
    assert_eq!(
        open_deal_keys(&db).await,
        expected,
        "indexed again at start"
    );
}

#[tokio::test]
async fn a_database_from_before_token_logins_gets_them_and_its_tokens_keep_working() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.sqlite3");
    let config = config(&db);
    let first = server::start(config.clone()).await.unwrap();
    let partners = first.store().partner_ids().await.unwrap();
    let admin = first
        .create_token("ana", Role::PartnerAdmin, &partners[..1])
        .await
        .unwrap();
    first.shutdown().await.unwrap();
    // As an older server left it: no `login`, and a signed-in user's token known by its expiry.
    let mut conn = connect(&db).await;
    sqlx::raw_sql(
        "ALTER TABLE tokens DROP COLUMN login;
         INSERT INTO tokens (hash, user_name, role, partners, created_at)
             VALUES ('feed', 'pat', 'partner_admin', '[]', '2026-11-01T00:00:00Z');
         INSERT INTO token_expiry (hash, expires_at) VALUES ('feed', 4102444800);
         DELETE FROM token_expiry WHERE hash <> 'feed';",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();

    let again = server::start(config).await.unwrap();
    let logins: Vec<(String, Option<String>)> = {
        let mut conn = connect(&db).await;
        let rows = sqlx::query_as("SELECT user_name, login FROM tokens ORDER BY user_name")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        rows
    };
    assert_eq!(
        logins,
        [
            ("ana".to_string(), None),
            ("pat".to_string(), Some("pat".to_string()))
        ]
    );
    let me = reqwest::Client::new()
        .get(format!("{}/v1/me", again.base_url()))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.status(),
        StatusCode::OK,
        "the administrator's token still works"
    );
    again.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_database_from_before_former_partners_copies_gets_the_column_and_serves_its_feed() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.sqlite3");
    let config = config(&db);
    let first = server::start(config.clone()).await.unwrap();
    let head = first.store().head().await.unwrap();
    first.shutdown().await.unwrap();
    let has_copies = |db: std::path::PathBuf| async move {
        let mut conn = connect(&db).await;
        let has: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pragma_table_info('change_partners') WHERE name = 'data')",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
        has
    };
    let mut conn = connect(&db).await;
    sqlx::raw_sql("ALTER TABLE change_partners DROP COLUMN data")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    assert!(!has_copies(db.clone()).await);

    let again = server::start(config).await.unwrap();
    assert!(has_copies(db.clone()).await);
    let partners = again.store().partner_ids().await.unwrap();
    let token = again
        .create_token("alicia", Role::PlatformAccountManager, &partners)
        .await
        .unwrap();
    let page = reqwest::Client::new()
        .get(format!(
            "{}/v1/changes?after=0&limit=50000",
            again.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let page = crate::common::parse_page(&page);
    assert_eq!(page.trailer.next, head, "the whole feed, as before");
    again.shutdown().await.unwrap();
}

/// An administrator's command (`central-api token …`) opens the database of a running server.
/// Opening a current database writes nothing, so it waits for no writer of the server's, however
/// long that writer holds the lock.
#[tokio::test]
async fn opening_a_current_database_waits_for_no_writer() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.sqlite3");
    let server = server::start(config(&db)).await.unwrap();
    let mut writer = connect(&db).await;
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut writer)
        .await
        .unwrap();
    let opened = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        central_api::server::Store::open(&db),
    )
    .await
    .expect("the open waited for the writer")
    .unwrap();
    assert!(opened.partner_ids().await.unwrap().len() > 1);
    sqlx::query("ROLLBACK").execute(&mut writer).await.unwrap();
    writer.close().await.unwrap();
    opened.close().await;
    server.shutdown().await.unwrap();
}

/// The files of this process open on `db` (the database, its WAL and its shared memory).
fn open_files_on(db: &std::path::Path) -> Vec<std::path::PathBuf> {
    let db = db.canonicalize().unwrap();
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter(|target| target.starts_with(db.parent().unwrap()))
        .filter(|target| target.to_string_lossy().starts_with(&*db.to_string_lossy()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_leaves_nothing_open_on_its_database() {
    // Stopped while requests and its sweeper are at work: every connection of its pool closes
    // (a connection handed back during the close once stayed open, holding the file and a
    // write, and the next administrator's command waited 10 s for it and failed).
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.sqlite3");
    for round in 0..12 {
        let running = server::start(config(&db)).await.unwrap();
        let partners = running.store().partner_ids().await.unwrap();
        let token = running
            .create_token("ana", Role::PlatformAccountManager, &partners)
            .await
            .unwrap();
        let url = running.base_url();
        let busy: Vec<_> = (0..6)
            .map(|_| {
                let (url, token) = (url.clone(), token.clone());
                tokio::spawn(async move {
                    let client = reqwest::Client::new();
                    for _ in 0..20 {
                        let _ = client
                            .get(format!("{url}/v1/changes?after=0&limit=200"))
                            .bearer_auth(&token)
                            .send()
                            .await;
                    }
                })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(20 * round)).await;
        running.shutdown().await.unwrap();
        let open = open_files_on(&db);
        assert!(open.is_empty(), "round {round}: still open: {open:?}");
        for task in busy {
            let _ = task.await;
        }
    }
}
