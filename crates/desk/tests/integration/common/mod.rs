//! What the tests share: the reference server on loopback with its demo data, quick sync
//! options, and laptops (each its own cache and sync engine) signed in as partner users.

use std::time::Duration;

use central_api::demo::{self, DemoConfig};
use central_api::server::{self, RunningServer, ServerConfig};
use chrono::NaiveDate;
use desk::api::{ApiClient, Token};
use desk::store::{Store, CACHE_FILE};
use desk::sync::{SyncEngine, SyncOptions};
use program::contract::{Dataset, Partner, Role};
use program::Region;

pub const DEPLOYMENTS: usize = 2_000;

pub fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

/// Quick retries and small pages, so faults and paging show up in small data.
pub fn fast() -> SyncOptions {
    SyncOptions {
        page_size: 1_000,
        min_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        max_retries: 8,
        ..SyncOptions::default()
    }
}

pub struct World {
    pub dir: tempfile::TempDir,
    pub server: RunningServer,
    pub data: Dataset,
}

pub async fn world() -> World {
    world_with(server::Limits::default()).await
}

/// [`world`] with the server's limits set.
pub async fn world_with(limits: server::Limits) -> World {
    let dir = tempfile::tempdir().unwrap();
    let server = server::start(ServerConfig {
        deployments: DEPLOYMENTS,
        today: Some(as_of()),
        limits,
        ..ServerConfig::demo(dir.path().join("central.sqlite3"), as_of())
    })
    .await
    .unwrap();
    World {
        dir,
        server,
        data: demo::generate(&DemoConfig::with_deployments(as_of(), DEPLOYMENTS)),
    }
}

/// One laptop: its own cache, signed in as `user` of `partner`.
pub struct Device {
    pub store: Store,
    pub engine: std::sync::Arc<SyncEngine>,
}

impl World {
    pub fn partner(&self, f: impl Fn(&Partner) -> bool) -> Partner {
        self.data.partners.iter().find(|p| f(p)).cloned().unwrap()
    }

    /// A place of `region` nobody holds exclusively: a state, province or region where its
    /// country has them ("US-AK"), else a country ("PR").
    pub fn free_place(&self, region: Region) -> String {
        match demo::unclaimed_places(&self.data.territories, region)[0] {
            (_, Some(subdivision)) => subdivision.code().to_string(),
            (country, None) => country.code().to_string(),
        }
    }

    pub async fn device(&self, name: &str, user: &str, role: Role, partner: &Partner) -> Device {
        let token = self
            .server
            .create_token(user, role, &[partner.id])
            .await
            .unwrap();
        let store = Store::open(&self.dir.path().join(name).join(CACHE_FILE))
            .await
            .unwrap();
        let engine = engine(&self.server, &store, &token).await;
        engine.run_once().await.unwrap();
        Device { store, engine }
    }
}

pub async fn engine(
    server: &RunningServer,
    store: &Store,
    token: &str,
) -> std::sync::Arc<SyncEngine> {
    engine_with_pages(server, store, token, SyncOptions::default().page_size).await
}

/// [`engine`] reading the feed in pages of `page_size` changes.
pub async fn engine_with_pages(
    server: &RunningServer,
    store: &Store,
    token: &str,
    page_size: u32,
) -> std::sync::Arc<SyncEngine> {
    let api = ApiClient::new(server.base_url().parse().unwrap(), Token::new(token)).unwrap();
    SyncEngine::new(
        store.clone(),
        api,
        SyncOptions {
            page_size,
            min_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(200),
            max_retries: 4,
            ..SyncOptions::default()
        },
    )
    .await
    .unwrap()
}

/// A laptop of an account manager over every partner, its cache in `dir`/laptop, after its first
/// round.
pub async fn manager_laptop(
    server: &RunningServer,
    dir: &std::path::Path,
) -> (Store, std::sync::Arc<SyncEngine>) {
    let partners = server.store().partner_ids().await.unwrap();
    let token = server
        .create_token("Ana Manager", Role::PlatformAccountManager, &partners)
        .await
        .unwrap();
    let store = Store::open(&dir.join("laptop").join(CACHE_FILE))
        .await
        .unwrap();
    let engine = engine(server, &store, &token).await;
    engine.run_once().await.unwrap();
    (store, engine)
}

/// The text of a PDF, laid out as on the page (pdftotext from poppler-utils).
pub fn pdftotext(path: &std::path::Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, installed by `make test`)");
    assert!(
        out.status.success(),
        "pdftotext failed on {}",
        path.display()
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every file of a folder, recursively.
pub fn files_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_in(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Writes the cache `store` holds, decrypted, into the plaintext database `out`: a cache as a
/// release before encryption left it, or a fixture readable without this run's secret store.
pub async fn export_plaintext(store: &Store, out: &std::path::Path) {
    let mut conn = store.pool().acquire().await.unwrap();
    sqlx::query("ATTACH DATABASE ? AS plaintext KEY ''")
        .bind(out.to_str().unwrap())
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("SELECT sqlcipher_export('plaintext')")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("DETACH DATABASE plaintext")
        .execute(&mut *conn)
        .await
        .unwrap();
}

/// The name this binary lists the test `test` of `module` (the caller's `module_path!()`) under:
/// `secrets::passphrase_phase`, for running that one test again in a child process (`--exact`).
pub fn test_name(module: &str, test: &str) -> String {
    match module.split_once("::") {
        Some((_crate, path)) => format!("{path}::{test}"),
        None => test.to_string(),
    }
}

/// Queues three purchases (1,234, 250.50 and 75 credits, 1,559.50 in all) on `desk`, waiting to be
/// sent, for a partner that pays in USD (no exchange rate needed before the first sync). Returns
/// the partner.
pub async fn three_waiting_purchases(desk: &desk::Desk) -> String {
    let partner: String =
        sqlx::query_scalar("SELECT id FROM partners WHERE currency = 'USD' ORDER BY id LIMIT 1")
            .fetch_one(desk.store().pool())
            .await
            .unwrap();
    for credits in ["1234", "250.50", "75"] {
        desk.purchase_credits(&partner, credits).await.unwrap();
    }
    partner
}

/// A laptop whose cache holds the small demo workspace (`DemoConfig::small`), loaded as the demo
/// is: its folder, its Desk and the data it holds.
pub async fn demo_desk() -> (tempfile::TempDir, desk::Desk, Dataset) {
    let dir = tempfile::tempdir().unwrap();
    let desk = desk::Desk::open(dir.path()).await.unwrap();
    let data = demo::generate(&DemoConfig::small(as_of()));
    desk.load_workspace(&data, desk::views::WorkspaceKind::Demo, as_of())
        .await
        .unwrap();
    (dir, desk, data)
}
