//! Signing in through the browser against the reference central API on a loopback port, with
//! this test as the browser: the loopback redirect, PKCE, the keychain, renewing an expired
//! access token during sync, and every way a sign-in can fail.

use crate::common;

use common::{as_of, fast, files_in};

use std::time::{Duration, Instant};

use central_api::server::{self, RunningServer, ServerConfig};
use desk::error::ErrorCode;
use desk::signin::{CallbackPage, BROWSER_WAIT};
use desk::store::CACHE_FILE;
use desk::views::{SyncPhase, SyncProblemKind};
use desk::Desk;
use program::contract::Role;
use reqwest::header::LOCATION;
use reqwest::StatusCode;
use url::Url;

const LOGIN: &str = "lucia";
const PASSWORD: &str = "a long enough password";

fn page() -> CallbackPage {
    CallbackPage {
        lang: "en".into(),
        title: "Partner Desk".into(),
        signed_in: "Signed in: back to the app".into(),
        not_signed_in: "Not signed in: see the app".into(),
    }
}

struct Setup {
    dir: tempfile::TempDir,
    server: RunningServer,
}

impl Setup {
    async fn start() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let config = ServerConfig {
            deployments: 500,
            today: Some(as_of()),
            ..ServerConfig::demo(dir.path().join("central.sqlite3"), as_of())
        };
        let server = server::start(config).await.unwrap();
        let partners = server.store().partner_ids().await.unwrap();
        server
            .create_user(LOGIN, PASSWORD, Role::PlatformAccountManager, &partners)
            .await
            .unwrap();
        Setup { dir, server }
    }

    async fn desk(&self) -> Desk {
        Desk::open(&self.dir.path().join("client")).await.unwrap()
    }

    fn account(&self) -> String {
        format!("{}/#{LOGIN}", self.server.base_url())
    }
}

/// The browser: opens the login page, submits it with `decision`, and follows the redirect back
/// to the app's loopback listener. Returns the page the app's listener showed.
async fn browser(authorize_url: &str, login: &str, password: &str, decision: &str) -> String {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser.get(authorize_url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let url = Url::parse(authorize_url).unwrap();
    let mut form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    form.extend([
        ("login".into(), login.into()),
        ("password".into(), password.into()),
        ("decision".into(), decision.into()),
    ]);
    let submitted = browser
        .post(url.join("/oauth/authorize").unwrap())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), StatusCode::SEE_OTHER);
    let back = submitted.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(back.starts_with("http://127.0.0.1:"), "{back}");
    browser
        .get(back)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn wait_until(desk: &Desk, what: &str, done: impl Fn(&desk::views::SyncStatus) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = desk.sync_status().await {
            if done(&status) {
                return;
            }
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn synced(desk: &Desk) {
    wait_until(desk, "a sync", |s| {
        s.last_synced_at.is_some() && s.phase == SyncPhase::Idle && s.problem.is_none()
    })
    .await;
}

async fn signed_in(s: &Setup) -> Desk {
    let desk = s.desk().await;
    let started = desk
        .begin_browser_sign_in(&s.server.base_url(), "en", page())
        .await
        .unwrap();
    let shown = browser(&started.authorize_url, LOGIN, PASSWORD, "allow").await;
    assert!(shown.contains("Signed in: back to the app"), "{shown}");
    desk.finish_browser_sign_in(BROWSER_WAIT, fast())
        .await
        .unwrap();
    synced(&desk).await;
    // The app renews a browser sign-in's access token itself: nothing to warn of.
    let status = desk.sync_status().await.unwrap();
    assert_eq!(status.token_expires_at, None);
    desk
}

async fn partner_count(desk: &Desk) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM partners")
        .fetch_one(desk.store().pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_signs_in_through_the_browser_and_the_tokens_go_to_the_keychain_only() {
    let s = Setup::start().await;
    let desk = signed_in(&s).await;
    let partners = s.server.store().partner_ids().await.unwrap();
    assert_eq!(partner_count(&desk).await, partners.len() as i64);
    assert_eq!(desk.workspace_info().await.unwrap().home_partner, None);

    let kept = desk::secrets::load_credentials(&s.account())
        .await
        .unwrap()
        .expect("credentials in the keychain");
    let renewal = kept.refresh.as_ref().expect("a refresh token");
    assert_eq!(
        renewal.token_endpoint.as_str(),
        format!("{}/oauth/token", s.server.base_url())
    );
    // Neither token is in the cache file.
    desk.store().close().await;
    let dir = s.dir.path().join("client");
    for file in [CACHE_FILE.to_string(), format!("{CACHE_FILE}-wal")] {
        let bytes = std::fs::read(dir.join(&file)).unwrap_or_default();
        for secret in [kept.access.expose(), renewal.token.expose()] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "a token in {file}"
            );
        }
    }
    desk::secrets::delete_credentials(&s.account())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_access_token_is_renewed_with_the_refresh_token_and_sync_goes_on() {
    let s = Setup::start().await;
    let desk = signed_in(&s).await;
    let before = desk::secrets::load_credentials(&s.account())
        .await
        .unwrap()
        .unwrap();

    // An hour passes; the platform renames a customer meanwhile.
    assert_eq!(s.server.store().expire_access_tokens().await.unwrap(), 1);
    let customer_id: String = sqlx::query_scalar("SELECT id FROM customers LIMIT 1")
        .fetch_one(desk.store().pool())
        .await
        .unwrap();
    let store = s.server.store();
    let mut customer: program::contract::Customer = serde_json::from_value(
        store
            .get(program::contract::Entity::Customer, &customer_id)
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    customer.name = "Renamed While Expired SA".into();
    store.upsert_customer(&customer).await.unwrap();
    desk.request_sync().await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let name: String = sqlx::query_scalar("SELECT name FROM customers WHERE id = ?")
            .bind(&customer_id)
            .fetch_one(desk.store().pool())
            .await
            .unwrap();
        if name == customer.name {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the renamed customer never arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    synced(&desk).await;

    // The renewed pair replaced the old one in the keychain; the old refresh token is spent.
    let after = desk::secrets::load_credentials(&s.account())
        .await
        .unwrap()
        .unwrap();
    assert_ne!(after.access, before.access);
    assert_ne!(
        after.refresh.as_ref().unwrap().token,
        before.refresh.as_ref().unwrap().token
    );
    let spent = desk::signin::refresh(before.refresh.as_ref().unwrap()).await;
    assert!(
        matches!(spent, Err(desk::api::ApiError::Unauthorized)),
        "{spent:?}"
    );

    // After a restart the kept refresh token still renews an expired token.
    drop(desk);
    let desk = s.desk().await;
    s.server.store().expire_access_tokens().await.unwrap();
    assert!(desk.resume(fast()).await.unwrap());
    synced(&desk).await;
    desk::secrets::delete_credentials(&s.account())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_the_app_cannot_renew_is_warned_of_from_a_week_before_it_expires() {
    let s = Setup::start().await;
    let partners = s.server.store().partner_ids().await.unwrap();
    let store = s.server.store();
    let month = store
        .create_token_for("Ana Admin", Role::PlatformAccountManager, &partners, 30)
        .await
        .unwrap();
    let desk = s.desk().await;
    desk.sign_in(&s.server.base_url(), &month, fast())
        .await
        .unwrap();
    synced(&desk).await;
    assert_eq!(
        desk.sync_status().await.unwrap().token_expires_at,
        None,
        "30 days left: no warning yet"
    );

    // The same user's next token has three days left: the status says when it expires, as
    // the central API does.
    let days = store
        .create_token_for("Ana Admin", Role::PlatformAccountManager, &partners, 3)
        .await
        .unwrap();
    desk.sign_in(&s.server.base_url(), &days, fast())
        .await
        .unwrap();
    wait_until(&desk, "the expiry warning", |status| {
        status.token_expires_at.is_some()
    })
    .await;
    let issued = store.tokens().await.unwrap();
    let expires = issued
        .iter()
        .filter_map(|t| t.expires_at)
        .min()
        .expect("the three-day token expires");
    let warned = desk.sync_status().await.unwrap().token_expires_at.unwrap();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(&warned).unwrap(),
        expires.with_timezone(&chrono::FixedOffset::east_opt(0).unwrap()),
    );

    // A start without the network still warns: the expiry is kept with the cache.
    drop(desk);
    let base = s.server.base_url();
    let dir = s.dir;
    s.server.shutdown().await.unwrap();
    let desk = Desk::open(&dir.path().join("client")).await.unwrap();
    assert!(desk.resume(fast()).await.unwrap());
    assert_eq!(
        desk.sync_status().await.unwrap().token_expires_at,
        Some(warned)
    );
    let account = format!("{base}/#Ana Admin");
    desk::secrets::delete_credentials(&account).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_sign_in_stops_sync_and_asks_to_sign_in_again() {
    let s = Setup::start().await;
    let desk = signed_in(&s).await;
    let partners = partner_count(&desk).await;
    assert!(s.server.store().revoke_sign_ins(LOGIN).await.unwrap() >= 2);
    desk.request_sync().await;
    wait_until(&desk, "the sign-in problem", |status| {
        status.problem.as_ref().map(|p| p.kind) == Some(SyncProblemKind::SignInRefused)
    })
    .await;
    // The mirror stays as it was.
    assert_eq!(partner_count(&desk).await, partners);
    desk::secrets::delete_credentials(&s.account())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denying_in_the_browser_ends_the_sign_in_with_its_own_error_and_signs_nothing_in() {
    let s = Setup::start().await;
    let desk = s.desk().await;
    let started = desk
        .begin_browser_sign_in(&s.server.base_url(), "en", page())
        .await
        .unwrap();
    let shown = browser(&started.authorize_url, "", "", "deny").await;
    assert!(shown.contains("Not signed in: see the app"), "{shown}");
    let err = desk
        .finish_browser_sign_in(BROWSER_WAIT, fast())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignInDenied, "{err}");
    assert!(desk.sync_status().await.is_none());
    assert_eq!(
        desk::secrets::load_credentials(&s.account()).await.unwrap(),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_that_never_comes_back_times_out_and_cancel_stops_the_wait() {
    let s = Setup::start().await;
    let desk = s.desk().await;
    desk.begin_browser_sign_in(&s.server.base_url(), "en", page())
        .await
        .unwrap();
    let err = desk
        .finish_browser_sign_in(Duration::from_millis(300), fast())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignInTimedOut, "{err}");

    // Cancelled while waiting: the wait ends at once and the listener is gone.
    let started = desk
        .begin_browser_sign_in(&s.server.base_url(), "en", page())
        .await
        .unwrap();
    let waiting = tokio::spawn({
        let desk = desk.clone();
        async move { desk.finish_browser_sign_in(BROWSER_WAIT, fast()).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let cancelled_at = Instant::now();
    desk.cancel_browser_sign_in();
    let err = waiting.await.unwrap().unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignInCancelled, "{err}");
    assert!(cancelled_at.elapsed() < Duration::from_secs(5));
    // The browser coming back late finds nobody listening.
    let url = Url::parse(&started.authorize_url).unwrap();
    let redirect: String = url
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(reqwest::get(&redirect).await.is_err(), "still listening");
    // Finishing with nothing under way says so.
    let err = desk
        .finish_browser_sign_in(BROWSER_WAIT, fast())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::SignInCancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_address_an_unreachable_server_and_something_else_each_say_so() {
    let s = Setup::start().await;
    let desk = s.desk().await;
    let begin = |url: String| {
        let desk = desk.clone();
        async move { desk.begin_browser_sign_in(&url, "en", page()).await }
    };
    let err = begin("not an address".into()).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
    let err = begin("http://central.example.com".into())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");

    // Something answers there, but not as a central API.
    let err = begin(format!("{}/somewhere/else", s.server.base_url()))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotCentralApi, "{err}");

    // Nobody listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let err = begin(format!("http://127.0.0.1:{port}")).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::Offline, "{err}");

    // A wrong token (the advanced way) is refused in its own words.
    let err = desk
        .sign_in(&s.server.base_url(), "pdk_not-a-token", fast())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unauthorized);
}

/// The files under `dir` whose raw bytes hold `text`.
fn files_holding(dir: &std::path::Path, text: &str) -> Vec<std::path::PathBuf> {
    files_in(dir)
        .into_iter()
        .filter(|f| {
            let bytes = std::fs::read(f).unwrap_or_default();
            bytes.windows(text.len()).any(|w| w == text.as_bytes())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_deletes_the_cache_its_key_and_the_token_and_leaves_nothing_to_read() {
    let s = Setup::start().await;
    let desk = signed_in(&s).await;
    let cache = desk.store().path().to_path_buf();
    let client = cache.parent().unwrap().to_path_buf();
    // A change still waiting to be sent goes with the cache too.
    let partner: String = sqlx::query_scalar("SELECT id FROM partners LIMIT 1")
        .fetch_one(desk.store().pool())
        .await
        .unwrap();
    let customer: (String, String) = sqlx::query_as("SELECT name, founder FROM customers LIMIT 1")
        .fetch_one(desk.store().pool())
        .await
        .unwrap();
    desk.purchase_credits(&partner, "100").await.unwrap();
    let key = desk::secrets::database_key(&cache).await.unwrap().unwrap();
    // At rest, before sign-out: the name is nowhere in clear, encrypted or not.
    for text in [&customer.0, &customer.1] {
        assert_eq!(
            files_holding(&client, text),
            Vec::<std::path::PathBuf>::new()
        );
    }

    desk.sign_out().await.unwrap();

    assert_eq!(
        desk::secrets::load_credentials(&s.account()).await.unwrap(),
        None,
        "the token is forgotten"
    );
    let new_key = desk::secrets::database_key(&cache).await.unwrap();
    assert!(
        new_key.is_some_and(|k| k != key),
        "the old key is gone; the empty cache in its place has a key of its own"
    );
    // The cache in its place is empty: no row of the account, no change waiting.
    assert_eq!(partner_count(&desk).await, 0);
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(desk.store().pool())
        .await
        .unwrap();
    assert_eq!(pending, 0);
    // The old database was deleted, not emptied: the new one is a few pages, and no journal of
    // the old one is left.
    let size = std::fs::metadata(&cache).unwrap().len();
    assert!(size < 256 * 1024, "a new, empty cache: {size} bytes");
    let leftovers: Vec<_> = files_in(&client)
        .into_iter()
        .filter(|f| f.to_string_lossy().ends_with(".encrypting"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_accounts_deletes_the_old_accounts_cache_and_token() {
    let s = Setup::start().await;
    let desk = signed_in(&s).await;
    let cache = desk.store().path().to_path_buf();
    let key = desk::secrets::database_key(&cache).await.unwrap().unwrap();
    assert!(partner_count(&desk).await > 0);

    // Another user of the same central API, with a token an administrator handed out.
    let partners = s.server.store().partner_ids().await.unwrap();
    let other = s
        .server
        .create_token("Olga Other", Role::PlatformAccountManager, &partners[..1])
        .await
        .unwrap();
    desk.sign_in(&s.server.base_url(), &other, fast())
        .await
        .unwrap();
    synced(&desk).await;

    assert_eq!(
        desk::secrets::load_credentials(&s.account()).await.unwrap(),
        None,
        "the first account's token is forgotten"
    );
    assert_ne!(
        desk::secrets::database_key(&cache).await.unwrap(),
        Some(key),
        "the first account's cache went with its key"
    );
    assert_eq!(
        partner_count(&desk).await,
        1,
        "only the new account's scope"
    );
    desk.sign_out().await.unwrap();
}
