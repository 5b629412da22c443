//! How much of the server one client may take: a token past its rate, an address guessing
//! tokens, more requests than the server handles at once, and readers slower than the database.

use std::time::{Duration, Instant};

use central_api::server::{self, Limits, Rate, ServerConfig};
use program::contract::{ProblemCode, Role};
use reqwest::StatusCode;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::common::{as_of, parse_page, problem, start_with};

/// The `Retry-After` of `response`, in seconds.
fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_token_past_its_rate_gets_429_with_retry_after_and_another_token_is_served() {
    let h = start_with(Limits {
        per_token: Rate::new(1, 3),
        ..Limits::default()
    })
    .await;
    let busy = h.manager().await;
    let other = h
        .partner_user(Role::PartnerAdmin, h.data.partners[0].id)
        .await;
    for _ in 0..3 {
        assert_eq!(h.get(&busy, "/v1/me").await.status(), StatusCode::OK);
    }
    let refused = h.get(&busy, "/v1/me").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&refused);
    assert_eq!(wait, 1, "a second refills one request");
    let p = problem(refused).await;
    assert_eq!((p.code, p.status), (ProblemCode::RateLimited, 429));
    // Another token has its own bucket.
    assert_eq!(h.get(&other, "/v1/me").await.status(), StatusCode::OK);
    // Waiting what it was told lets the first one in again.
    tokio::time::sleep(Duration::from_secs(wait)).await;
    assert_eq!(h.get(&busy, "/v1/me").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn guessing_tokens_is_slowed_per_address_and_a_valid_token_is_not() {
    let h = start_with(Limits {
        per_address: Rate::new(1, 5),
        ..Limits::default()
    })
    .await;
    let token = h.manager().await;
    for n in 0..5 {
        let guess = h.get(&format!("guess-{n}"), "/v1/me").await;
        assert_eq!(guess.status(), StatusCode::UNAUTHORIZED, "guess {n}");
    }
    let refused = h.get("guess-5", "/v1/me").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&refused) >= 1);
    assert_eq!(problem(refused).await.code, ProblemCode::RateLimited);
    // A request without a token draws from the same bucket.
    let anonymous = h.http.get(h.url("/openapi.json")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::TOO_MANY_REQUESTS);
    // The signed-in user at the same address is served from their token's bucket.
    assert_eq!(h.get(&token, "/v1/me").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_request_past_the_turns_waits_then_gets_503_and_is_served_once_a_turn_frees() {
    let h = start_with(Limits {
        max_in_flight: 1,
        queue_timeout: Duration::from_millis(300),
        ..Limits::default()
    })
    .await;
    let token = h.manager().await;
    // A batch whose body arrives in two halves holds the one turn in between.
    let partner = h.data.partners[0].id;
    let body = serde_json::json!({"mutations": [{
        "id": uuid::Uuid::now_v7(), "kind": "purchase_credits",
        "input": {"partner_id": partner, "credits": "10"}
    }]})
    .to_string();
    let mut slow = TcpStream::connect(h.server.addr()).await.unwrap();
    let head = format!(
        "POST /v1/mutations HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Idempotency-Key: halves\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{}",
        body.len(),
        &body[..body.len() / 2]
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    let waited = h.get(&token, "/v1/me").await;
    assert_eq!(waited.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "it waited for a turn first"
    );
    assert_eq!(retry_after(&waited), 1);
    assert_eq!(problem(waited).await.code, ProblemCode::Unavailable);

    // The rest of the body: the batch is applied, and the turn is free again.
    slow.write_all(&body.as_bytes()[body.len() / 2..])
        .await
        .unwrap();
    let mut answer = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut slow, &mut answer)
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(h.get(&token, "/v1/me").await.status(), StatusCode::OK);
}

/// A server with a feed far larger than a socket's buffers, so a client that does not read
/// leaves the server's chunks waiting.
async fn big_feed(limits: Limits) -> (server::RunningServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        deployments: 20_000,
        today: Some(as_of()),
        limits,
        ..ServerConfig::demo(dir.path().join("central.sqlite3"), as_of())
    };
    (server::start(config).await.unwrap(), dir)
}

/// A client that neither compresses (every byte of the page crosses the socket) nor reads a
/// body until told to.
fn plain_client() -> reqwest::Client {
    reqwest::Client::builder().no_gzip().build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_slower_than_the_database_hold_neither_it_nor_a_turn() {
    let limits = Limits {
        max_in_flight: 4,
        queue_timeout: Duration::from_secs(5),
        feed_hold: Duration::from_millis(200),
        idle_timeout: Duration::from_secs(60),
        ..Limits::default()
    };
    let (server, _dir) = big_feed(limits).await;
    let partners = server.store().partner_ids().await.unwrap();
    let token = server
        .create_token("Ana Manager", Role::PlatformAccountManager, &partners)
        .await
        .unwrap();
    let http = plain_client();
    let page = format!("{}/v1/changes?after=0&limit=50000", server.base_url());
    // Ten readers, more than the turns (4) and the read connections (8), each taking the answer's
    // headers and then nothing: had they held their turn or their snapshot, the later ones would
    // wait past the queue timeout and get 503.
    let mut readers = Vec::new();
    for _ in 0..10 {
        let response = http.get(&page).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        readers.push(response);
    }
    // The server answers everyone else meanwhile: a read and a write.
    let me = http
        .get(format!("{}/v1/me", server.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let head = server.store().head().await.unwrap();
    let batch = serde_json::json!({"mutations": [{
        "id": uuid::Uuid::now_v7(), "kind": "purchase_credits",
        "input": {"partner_id": partners[0], "credits": "10"}
    }]});
    let written = http
        .post(format!("{}/v1/mutations", server.base_url()))
        .bearer_auth(&token)
        .header("Idempotency-Key", "while-readers-lag")
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(written.status(), StatusCode::OK);
    assert_eq!(server.store().head().await.unwrap(), head + 1);
    // Each slow reader still gets its whole page, as of when it asked.
    for reader in readers {
        let page = parse_page(&reader.text().await.unwrap());
        assert_eq!(page.changes.len(), 50_000);
        assert_eq!(page.trailer.next, page.changes.last().unwrap().seq);
        assert!(page.trailer.has_more);
        assert_eq!(page.header.head, head);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_takes_nothing_is_cut_off_without_a_trailer() {
    let (server, _dir) = big_feed(Limits {
        feed_hold: Duration::from_millis(100),
        idle_timeout: Duration::from_millis(500),
        ..Limits::default()
    })
    .await;
    let partners = server.store().partner_ids().await.unwrap();
    let token = server
        .create_token("Ana Manager", Role::PlatformAccountManager, &partners)
        .await
        .unwrap();
    let reader = plain_client()
        .get(format!(
            "{}/v1/changes?after=0&limit=50000",
            server.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(reader.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_secs(2)).await;
    // What arrives is a page without its trailer (or a broken body): never a page read as whole.
    match reader.text().await {
        Ok(body) => assert!(
            !body.contains("\"line\":\"trailer\""),
            "the page was cut off"
        ),
        Err(e) => assert!(e.is_body() || e.is_decode(), "{e}"),
    }
}

#[test]
fn serve_refuses_a_limit_that_allows_nothing_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.sqlite3");
    for flag in ["--token-rate", "--address-burst", "--max-in-flight"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_central-api"))
            .args(["serve", "--addr", "127.0.0.1:0", "--db"])
            .arg(&db)
            .args([flag, "0"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{flag} 0");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("at least one request"), "{flag}: {said}");
        assert!(!db.exists(), "{flag}: nothing was created");
    }
}
