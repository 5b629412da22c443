//! Signing in through the browser (OAuth 2.0 code + PKCE, loopback redirect), with this test as
//! both the browser and the app.

use base64::prelude::{Engine as _, BASE64_URL_SAFE_NO_PAD};
use program::contract::{AuthServerMetadata, Me, Role, DESK_CLIENT_ID};
use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use crate::common::{problem, start, Harness};

const LOGIN: &str = "ana";
const PASSWORD: &str = "correct horse battery";
const REDIRECT: &str = "http://127.0.0.1:49152/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-and-some-more";

fn challenge(verifier: &str) -> String {
    BASE64_URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A browser: it never follows redirects, so the test sees where the server sends it.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn with_user() -> Harness {
    let h = start().await;
    let partners = h.partners();
    h.server
        .create_user(
            LOGIN,
            PASSWORD,
            Role::PlatformAccountManager,
            &partners[..3],
        )
        .await
        .unwrap();
    h
}

/// The login page's query (the app's authorization request), with `changes` applied.
fn request(changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", DESK_CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("state", "s-123"),
        ("code_challenge", &challenge(VERIFIER)),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (name, value) in changes {
        params.retain(|(k, _)| k != name);
        if !value.is_empty() {
            params.push((name.to_string(), value.to_string()));
        }
    }
    params
}

/// The login page's URL with the app's request (with `changes` applied) as its query.
fn authorize_url(h: &Harness, changes: &[(&str, &str)]) -> Url {
    let mut url = Url::parse(&h.url("/oauth/authorize")).unwrap();
    url.query_pairs_mut().extend_pairs(request(changes));
    url
}

/// Submits the login form; returns the response (not followed).
async fn submit(
    h: &Harness,
    login: &str,
    password: &str,
    decision: &str,
    changes: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = request(changes);
    form.push(("login".into(), login.into()));
    form.push(("password".into(), password.into()));
    form.push(("decision".into(), decision.into()));
    browser()
        .post(h.url("/oauth/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Where a 303 sends the browser, and its query as pairs.
fn redirected(response: &reqwest::Response) -> (Url, Vec<(String, String)>) {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let url = Url::parse(response.headers()[LOCATION].to_str().unwrap()).unwrap();
    let pairs = url.query_pairs().into_owned().collect();
    (url, pairs)
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Signs in on the page and returns the code.
async fn code(h: &Harness) -> String {
    let response = submit(h, LOGIN, PASSWORD, "allow", &[]).await;
    let (url, pairs) = redirected(&response);
    assert_eq!(url.as_str().split('?').next(), Some(REDIRECT));
    assert_eq!(param(&pairs, "state"), Some("s-123"));
    param(&pairs, "code").expect("a code").to_string()
}

async fn token_request(h: &Harness, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(h.url("/oauth/token"))
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    (response.status(), response.json().await.unwrap())
}

async fn redeem(h: &Harness, code: &str, verifier: &str) -> (StatusCode, Value) {
    token_request(
        h,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", DESK_CLIENT_ID),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await
}

async fn refresh(h: &Harness, refresh_token: &str) -> (StatusCode, Value) {
    token_request(
        h,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", DESK_CLIENT_ID),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

fn text(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn the_metadata_names_the_endpoints_on_the_host_the_client_reached() {
    let h = start().await;
    let meta: AuthServerMetadata = reqwest::get(h.url("/.well-known/oauth-authorization-server"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta.issuer, h.server.base_url());
    assert_eq!(meta.authorization_endpoint, h.url("/oauth/authorize"));
    assert_eq!(meta.token_endpoint, h.url("/oauth/token"));
    assert_eq!(meta.code_challenge_methods_supported, ["S256"]);
}

#[tokio::test]
async fn a_user_signs_in_with_a_code_and_pkce_and_the_token_is_theirs() {
    let h = with_user().await;
    let page = browser().get(authorize_url(&h, &[])).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Sign in to Partner Desk"), "{html}");
    assert!(html.contains(r#"name="code_challenge""#));

    let code = code(&h).await;
    let (status, tokens) = redeem(&h, &code, VERIFIER).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    let me: Me = h
        .get(&text(&tokens, "access_token"), "/v1/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me.user, LOGIN);
    assert_eq!(me.role, Role::PlatformAccountManager);
    let mut three = h.partners()[..3].to_vec();
    three.sort();
    assert_eq!(me.partners, three);
}

#[tokio::test]
async fn a_code_is_spent_by_its_first_use_and_needs_its_own_verifier() {
    let h = with_user().await;
    // The wrong verifier is refused, and the attempt spends the code.
    let stolen = code(&h).await;
    let other_verifier = "x".repeat(43);
    let (status, body) = redeem(&h, &stolen, &other_verifier).await;
    assert_eq!(
        (status, text(&body, "error")),
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    let (status, body) = redeem(&h, &stolen, VERIFIER).await;
    assert_eq!(
        (status, text(&body, "error")),
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );

    // A good exchange works once.
    let code = code(&h).await;
    assert_eq!(redeem(&h, &code, VERIFIER).await.0, StatusCode::OK);
    let (status, body) = redeem(&h, &code, VERIFIER).await;
    assert_eq!(
        (status, text(&body, "error")),
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );

    // Bound to its redirect.
    let code = self::code(&h).await;
    let (status, body) = token_request(
        &h,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", DESK_CLIENT_ID),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:1/elsewhere"),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(
        (status, text(&body, "error")),
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );

    // Other faults have their own names.
    let (_, body) = token_request(
        &h,
        &[("grant_type", "password"), ("client_id", DESK_CLIENT_ID)],
    )
    .await;
    assert_eq!(text(&body, "error"), "unsupported_grant_type");
    let (_, body) = token_request(
        &h,
        &[("grant_type", "refresh_token"), ("client_id", "other")],
    )
    .await;
    assert_eq!(text(&body, "error"), "invalid_client");
}

#[tokio::test]
async fn a_wrong_password_shows_the_page_again_with_the_login_and_issues_no_code() {
    let h = with_user().await;
    for (login, password) in [(LOGIN, "wrong password"), ("nobody", PASSWORD)] {
        let response = submit(&h, login, password, "allow", &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get(LOCATION).is_none());
        let html = response.text().await.unwrap();
        assert!(
            html.contains("That login and password do not match"),
            "{html}"
        );
        assert!(html.contains(&format!(r#"value="{login}""#)));
    }
}

#[tokio::test]
async fn denying_sends_access_denied_back_to_the_app_with_its_state() {
    let h = with_user().await;
    let response = submit(&h, "", "", "deny", &[]).await;
    let (_, pairs) = redirected(&response);
    assert_eq!(param(&pairs, "error"), Some("access_denied"));
    assert_eq!(param(&pairs, "state"), Some("s-123"));
    assert_eq!(param(&pairs, "code"), None);
}

#[tokio::test]
async fn a_redirect_that_is_not_loopback_or_an_unknown_client_is_refused_on_the_page() {
    let h = with_user().await;
    for changes in [
        [("redirect_uri", "http://evil.example:8080/callback")],
        [("redirect_uri", "http://localhost:49152/callback")],
        [("redirect_uri", "")],
        [("client_id", "someone-else")],
    ] {
        let page = browser()
            .get(authorize_url(&h, &changes))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::BAD_REQUEST, "{changes:?}");
        assert!(page.headers().get(LOCATION).is_none());
        let html = page.text().await.unwrap();
        assert!(
            html.contains("Start signing in again from the app"),
            "{html}"
        );
        // Nor does the form go anywhere.
        let response = submit(&h, LOGIN, PASSWORD, "allow", &changes).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get(LOCATION).is_none());
    }
}

#[tokio::test]
async fn a_request_without_pkce_goes_back_to_the_app_as_invalid_request() {
    let h = with_user().await;
    for changes in [
        [("code_challenge_method", "plain")],
        [("code_challenge", "")],
        [("response_type", "token")],
    ] {
        let page = browser()
            .get(authorize_url(&h, &changes))
            .send()
            .await
            .unwrap();
        let (_, pairs) = redirected(&page);
        let error = param(&pairs, "error").unwrap();
        assert!(
            ["invalid_request", "unsupported_response_type"].contains(&error),
            "{changes:?}: {error}"
        );
        assert_eq!(param(&pairs, "state"), Some("s-123"));
    }
}

#[tokio::test]
async fn an_expired_access_token_is_refused_in_words_and_a_refresh_token_renews_it_once() {
    let h = with_user().await;
    let code = code(&h).await;
    let (_, tokens) = redeem(&h, &code, VERIFIER).await;
    let (access, refresh_token) = (
        text(&tokens, "access_token"),
        text(&tokens, "refresh_token"),
    );
    assert_eq!(h.get(&access, "/v1/me").await.status(), StatusCode::OK);

    assert_eq!(h.server.store().expire_access_tokens().await.unwrap(), 1);
    let refused = h.get(&access, "/v1/me").await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let detail = problem(refused).await.detail.unwrap();
    assert!(detail.contains("expired"), "{detail}");

    let (status, renewed) = refresh(&h, &refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    assert_ne!(text(&renewed, "refresh_token"), refresh_token);
    let me: Me = h
        .get(&text(&renewed, "access_token"), "/v1/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me.user, LOGIN);
    // The old refresh token was spent.
    let (status, body) = refresh(&h, &refresh_token).await;
    assert_eq!(
        (status, text(&body, "error")),
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    // An administrator's token does not expire.
    let admin = h.manager().await;
    h.server.store().expire_access_tokens().await.unwrap();
    assert_eq!(h.get(&admin, "/v1/me").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn revoking_a_users_sign_ins_ends_their_access_and_refresh_tokens() {
    let h = with_user().await;
    let code = code(&h).await;
    let (_, tokens) = redeem(&h, &code, VERIFIER).await;
    assert_eq!(h.server.store().revoke_sign_ins(LOGIN).await.unwrap(), 2);
    let refused = h.get(&text(&tokens, "access_token"), "/v1/me").await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let (_, body) = refresh(&h, &text(&tokens, "refresh_token")).await;
    assert_eq!(text(&body, "error"), "invalid_grant");
}

#[tokio::test]
async fn a_user_needs_a_login_a_long_enough_password_and_a_scope_that_exists() {
    let h = with_user().await;
    let partner = h.partners()[0];
    let refused = |r: Result<(), central_api::server::StoreError>| r.unwrap_err().to_string();
    let store = h.server.store();
    assert!(refused(
        store
            .create_user(LOGIN, PASSWORD, Role::PartnerAdmin, &[partner])
            .await
    )
    .contains("already exists"));
    assert!(refused(
        store
            .create_user("bo", "short", Role::PartnerAdmin, &[partner])
            .await
    )
    .contains("at least 8"));
    assert!(refused(
        store
            .create_user(" ", PASSWORD, Role::PartnerAdmin, &[partner])
            .await
    )
    .contains("login is empty"));
    assert!(refused(
        store
            .create_user("bo", PASSWORD, Role::PartnerAdmin, &[])
            .await
    )
    .contains("exactly one partner"));
    let unknown = program::contract::PartnerId(uuid::Uuid::from_u128(7));
    assert!(refused(
        store
            .create_user("bo", PASSWORD, Role::PartnerSales, &[unknown])
            .await
    )
    .contains("no partner"));
    // Nothing was half-made: "bo" cannot sign in.
    let response = submit(&h, "bo", PASSWORD, "allow", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get(LOCATION).is_none());
}

#[tokio::test]
async fn the_login_page_speaks_the_apps_language() {
    let h = with_user().await;
    let page = browser()
        .get(authorize_url(&h, &[("ui_locales", "es")]))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"<html lang="es">"#));
    assert!(page.contains("Iniciar sesión en Partner Desk"));
    // And keeps it on a wrong password.
    let again = submit(
        &h,
        LOGIN,
        "wrong password",
        "allow",
        &[("ui_locales", "es")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(again.contains("no coinciden"), "{again}");
}

#[tokio::test]
async fn the_user_command_reads_the_password_from_standard_input_and_the_user_signs_in() {
    use std::io::Write;
    let h = start().await;
    let db = h.db();
    let partner = h.partners()[0];
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_central-api"))
        .args(["user", "--db"])
        .arg(&db)
        .args(["--login", "bo", "--role", "partner-sales", "--partner"])
        .arg(partner.to_string())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"bo's password from stdin\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_, pairs) = redirected(&submit(&h, "bo", "bo's password from stdin", "allow", &[]).await);
    assert!(param(&pairs, "code").is_some());
    // The password is not in the database.
    let needle = b"bo's password from stdin";
    for file in [db.clone(), db.with_extension("sqlite3-wal")] {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{file:?}"
        );
    }
}

#[tokio::test]
async fn a_signed_in_users_token_carries_their_scope_as_it_stands_and_says_when_it_expires() {
    let h = with_user().await;
    let code = code(&h).await;
    let (_, tokens) = redeem(&h, &code, VERIFIER).await;
    let token = text(&tokens, "access_token");
    let me: Me = h.get(&token, "/v1/me").await.json().await.unwrap();
    assert_eq!(me.partners.len(), 3);
    let expires = me.expires_at.expect("a signed-in token expires");
    let in_an_hour = chrono::Utc::now() + chrono::Duration::hours(1);
    assert!((expires - in_an_hour).num_seconds().abs() < 60, "{expires}");

    // The administrator moves the user to two other partners: the same token follows.
    let moved = h.partners()[3..5].to_vec();
    assert!(h
        .server
        .store()
        .set_user_scope(LOGIN, Role::PlatformAccountManager, &moved)
        .await
        .unwrap());
    let me: Me = h.get(&token, "/v1/me").await.json().await.unwrap();
    let mut expected = moved.clone();
    expected.sort();
    assert_eq!(me.partners, expected);
    let first = h.partners()[0];
    let page = h.page(&token, 0, 5_000).await;
    assert!(
        page.changes
            .iter()
            .all(|c| c.entity != program::contract::Entity::Partner || c.id != first.to_string()),
        "a partner no longer in scope is not in the feed"
    );
}
