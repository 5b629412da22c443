//! An administrator's tokens: listed by id, revoked at once, expiring; and who a caller is to
//! idempotency keys and decided mutations (never a free-text name two people can share).

use central_api::server::{self, token_id, ServerConfig, DEFAULT_TOKEN_DAYS};
use program::contract::{Me, MutationResults, Outcome, PartnerId, ProblemCode, Role};
use reqwest::StatusCode;

use crate::common::{as_of, problem, start, Harness, DEPLOYMENTS};

/// A purchase of `credits` for `partner` as mutation `id`, sent with `key`.
async fn buy(
    h: &Harness,
    token: &str,
    key: &str,
    id: uuid::Uuid,
    partner: PartnerId,
    credits: u32,
) -> (StatusCode, Option<MutationResults>) {
    let batch = serde_json::json!({"mutations": [{
        "id": id, "kind": "purchase_credits",
        "input": {"partner_id": partner, "credits": credits.to_string()}
    }]});
    let response = h
        .http
        .post(h.url("/v1/mutations"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&batch)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.ok())
}

async fn balance(h: &Harness, partner: PartnerId) -> program::Credits {
    h.server.store().balances().await.unwrap()[&partner]
}

#[tokio::test]
async fn a_token_is_listed_by_its_id_and_a_revoked_one_stops_at_once() {
    let h = start().await;
    let [a, b] = [h.partners()[0], h.partners()[1]];
    let store = h.server.store();
    let pat = store
        .create_token("Pat", Role::PartnerAdmin, &[a])
        .await
        .unwrap();
    let sam = store
        .create_token("Sam", Role::PartnerSales, &[b])
        .await
        .unwrap();
    let listed = store.tokens().await.unwrap();
    let pats = listed.iter().find(|t| t.id == token_id(&pat)).unwrap();
    assert_eq!(
        (pats.user.as_str(), pats.role, pats.partners),
        ("Pat", Role::PartnerAdmin, 1)
    );
    assert!(pats.login.is_none());
    assert!(
        !listed.iter().any(|t| pat.contains(&t.id)),
        "an id is never a piece of the token"
    );
    let in_90_days = chrono::Utc::now() + chrono::Duration::days(i64::from(DEFAULT_TOKEN_DAYS));
    let expires = pats.expires_at.unwrap();
    assert!((expires - in_90_days).num_seconds().abs() < 60, "{expires}");
    // /v1/me says so too.
    let me: Me = h.get(&pat, "/v1/me").await.json().await.unwrap();
    assert_eq!(me.expires_at, Some(expires));

    assert!(store.revoke_token(&token_id(&pat)).await.unwrap());
    assert_eq!(
        h.get(&pat, "/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(h.get(&sam, "/v1/me").await.status(), StatusCode::OK);
    assert!(!store.revoke_token(&token_id(&pat)).await.unwrap(), "gone");
    assert!(store.revoke_token("not-an-id").await.is_err());
    assert!(!store
        .tokens()
        .await
        .unwrap()
        .iter()
        .any(|t| t.id == token_id(&pat)));
}

#[tokio::test]
async fn a_token_past_its_days_is_refused_as_expired() {
    let h = start().await;
    let token = h
        .server
        .store()
        .create_token_for("Pat", Role::PartnerAdmin, &[h.partners()[0]], 0)
        .await
        .unwrap();
    let response = h.get(&token, "/v1/me").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let p = problem(response).await;
    assert_eq!(p.code, ProblemCode::Unauthorized);
    assert!(p.detail.unwrap().contains("expired"));
}

#[tokio::test]
async fn two_people_who_share_a_name_never_share_an_idempotency_key() {
    let h = start().await;
    let [a, b] = [h.partners()[0], h.partners()[1]];
    let store = h.server.store();
    let pat_a = store
        .create_token("Pat", Role::PartnerAdmin, &[a])
        .await
        .unwrap();
    let pat_b = store
        .create_token("Pat", Role::PartnerAdmin, &[b])
        .await
        .unwrap();
    let (before_a, before_b) = (balance(&h, a).await, balance(&h, b).await);
    let (first, second) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    let (status, answer) = buy(&h, &pat_a, "same-key", first, a, 10).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer.unwrap().results[0].outcome, Outcome::Applied);
    // The other Pat, the same key, another body: a request of their own, not a replay of the
    // first Pat's answer (nor a conflict with it).
    let (status, answer) = buy(&h, &pat_b, "same-key", second, b, 20).await;
    assert_eq!(status, StatusCode::OK);
    let results = answer.unwrap().results;
    assert_eq!(
        (results[0].id, &results[0].outcome),
        (second, &Outcome::Applied)
    );
    assert_eq!(balance(&h, a).await - before_a, program::Credits::whole(10));
    assert_eq!(balance(&h, b).await - before_b, program::Credits::whole(20));
    // Their own key again is their own answer again, and nothing is applied twice.
    let (_, again) = buy(&h, &pat_b, "same-key", second, b, 20).await;
    assert_eq!(again.unwrap().results[0].id, second);
    assert_eq!(balance(&h, b).await - before_b, program::Credits::whole(20));
}

#[tokio::test]
async fn a_mutations_outcome_is_told_only_to_whoever_sent_it() {
    let h = start().await;
    let [a, b] = [h.partners()[0], h.partners()[1]];
    let store = h.server.store();
    let ana = store
        .create_token("Ana", Role::PartnerAdmin, &[a])
        .await
        .unwrap();
    let bo = store
        .create_token("Bo", Role::PartnerAdmin, &[b])
        .await
        .unwrap();
    let before_b = balance(&h, b).await;
    let id = uuid::Uuid::now_v7();
    let (_, answer) = buy(&h, &ana, "ana-1", id, a, 10).await;
    assert_eq!(answer.unwrap().results[0].outcome, Outcome::Applied);
    // Bo sends a change under the same id: refused, told nothing of Ana's, and not applied.
    let (status, answer) = buy(&h, &bo, "bo-1", id, b, 30).await;
    assert_eq!(status, StatusCode::OK);
    match &answer.unwrap().results[0].outcome {
        Outcome::Rejected { code, reason } => {
            assert_eq!(*code, ProblemCode::BadRequest);
            assert!(reason.contains("already used"), "{reason}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(balance(&h, b).await, before_b);
    // Ana sending it again (her answer was lost) hears her outcome.
    let (_, again) = buy(&h, &ana, "ana-2", id, a, 10).await;
    assert_eq!(again.unwrap().results[0].outcome, Outcome::Applied);
}

/// Runs `central-api` with `args`; returns (success, stdout, stderr and how long it took).
fn cli(args: &[&str]) -> (bool, String, String) {
    let started = std::time::Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_central-api"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        format!(
            "{} (after {:?})",
            String::from_utf8_lossy(&out.stderr),
            started.elapsed()
        ),
    )
}

/// `GET /v1/me` with `token` on a server started on `config`, then stopped.
async fn me_status(config: &ServerConfig, token: &str) -> StatusCode {
    let running = server::start(config.clone()).await.unwrap();
    let status = reqwest::Client::new()
        .get(format!("{}/v1/me", running.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status();
    running.shutdown().await.unwrap();
    status
}

#[tokio::test]
async fn the_command_line_makes_lists_and_revokes_tokens() {
    // The administrator's commands run on the database of a stopped server.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("central.sqlite3");
    let config = ServerConfig {
        deployments: DEPLOYMENTS,
        today: Some(as_of()),
        ..ServerConfig::demo(&path, as_of())
    };
    let running = server::start(config.clone()).await.unwrap();
    let partner = running.store().partner_ids().await.unwrap()[0].to_string();
    running.shutdown().await.unwrap();
    let db = path.to_str().unwrap();
    let (ok, token, said) = cli(&[
        "token",
        "--db",
        db,
        "--user",
        "Pat Cli",
        "--role",
        "partner-admin",
        "--partner",
        &partner,
        "--days",
        "7",
    ]);
    assert!(ok, "{said}");
    let token = token.trim().to_string();
    let id = token_id(&token);
    assert!(said.contains(&id) && said.contains("7 days"), "{said}");
    assert_eq!(me_status(&config, &token).await, StatusCode::OK);

    let (ok, list, said) = cli(&["token", "list", "--db", db]);
    assert!(ok, "{said}");
    let line = list.lines().find(|l| l.starts_with(&id)).expect("listed");
    assert!(
        line.contains("Pat Cli") && line.contains("partner_admin"),
        "{line}"
    );
    assert!(!list.contains(&token), "the list never shows a token");

    let (ok, _, said) = cli(&["token", "revoke", "--db", db, &id]);
    assert!(ok, "{said}");
    assert_eq!(me_status(&config, &token).await, StatusCode::UNAUTHORIZED);
    let (ok, _, said) = cli(&["token", "revoke", "--db", db, &id]);
    assert!(!ok && said.contains("no token has the id"), "{said}");
    let (ok, _, said) = cli(&["token", "--db", db, "--user", "Pat"]);
    assert!(!ok && said.contains("--role"), "{said}");
}
