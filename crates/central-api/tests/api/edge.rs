//! The HTTP edge: a body not declared as JSON, a body past the limit, a client too slow to send
//! its headers or its body. Each is answered (or cut off) without the server doing the work, and
//! every answer is a problem document.

use std::time::Duration;

use central_api::server::Limits;
use program::contract::{ProblemCode, Role};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{problem, start, start_with};

/// A batch of one small purchase for `partner`, as JSON text, with `padding` bytes more in a
/// field the server does not read.
fn purchase_batch(partner: &str, padding: usize) -> String {
    let mut batch = serde_json::json!({"mutations": [{
        "id": uuid::Uuid::now_v7(), "kind": "purchase_credits",
        "input": {"partner_id": partner, "credits": "10"}
    }]});
    if padding > 0 {
        batch["padding"] = "x".repeat(padding).into();
    }
    batch.to_string()
}

#[tokio::test]
async fn a_body_not_declared_as_json_gets_415_as_a_problem_and_nothing_is_written() {
    let h = start().await;
    let token = h.manager().await;
    let head = h.server.store().head().await.unwrap();
    let partner = h.data.partners[0].id.to_string();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let key = format!("type-{content_type:?}");
        let response = h
            .post_raw(&token, &key, content_type, purchase_batch(&partner, 0))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert_eq!(problem(response).await.code, ProblemCode::BadRequest);
    }
    // With its type (and a charset) the same body is taken.
    let typed = Some("Application/JSON; charset=utf-8");
    let response = h
        .post_raw(&token, "typed", typed, purchase_batch(&partner, 0))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        h.server.store().head().await.unwrap(),
        head + 1,
        "only the typed batch wrote (one ledger line)"
    );
}

#[tokio::test]
async fn a_body_past_the_limit_gets_413_as_a_problem_and_nothing_is_written() {
    let h = start_with(Limits {
        max_body_bytes: 16 * 1024,
        ..Limits::default()
    })
    .await;
    let token = h.manager().await;
    let head = h.server.store().head().await.unwrap();
    let partner = h.data.partners[0].id.to_string();
    let big = purchase_batch(&partner, 32 * 1024);
    let response = h
        .post_raw(&token, "big", Some("application/json"), big)
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let p = problem(response).await;
    assert_eq!((p.code, p.status), (ProblemCode::BadRequest, 413));
    assert!(p.detail.unwrap().contains("larger"));
    assert_eq!(h.server.store().head().await.unwrap(), head);
}

#[tokio::test]
async fn every_error_of_the_router_itself_is_a_problem_document() {
    let h = start().await;
    let token = h
        .partner_user(Role::PartnerAdmin, h.data.partners[0].id)
        .await;
    // A query that does not parse, a route that does not exist, a method a route does not take.
    for (method, path, status) in [
        ("GET", "/v1/changes?after=-1", StatusCode::BAD_REQUEST),
        (
            "GET",
            "/v1/changes?after=9223372036854775808",
            StatusCode::BAD_REQUEST,
        ),
        ("GET", "/v1/nowhere", StatusCode::NOT_FOUND),
        ("DELETE", "/v1/me", StatusCode::METHOD_NOT_ALLOWED),
    ] {
        let response = h
            .http
            .request(method.parse().unwrap(), h.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{method} {path}");
        let p = problem(response).await;
        assert_eq!(p.status, status.as_u16());
    }
    // A form endpoint sent no form, by a client that takes gzip: the problem's detail is the
    // rejection's text, not its compressed bytes.
    let response = h
        .http
        .post(h.url("/oauth/token"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let detail = problem(response).await.detail.unwrap();
    assert!(detail.starts_with("Form requests must have"), "{detail:?}");
}

/// Reads what the server sends on `stream` until it closes the connection, for at most 10 s.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection")
        .ok();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let h = start_with(Limits {
        header_timeout: Duration::from_millis(300),
        ..Limits::default()
    })
    .await;
    let mut stream = TcpStream::connect(h.server.addr()).await.unwrap();
    stream
        .write_all(b"GET /v1/me HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    // No blank line: the headers never end. The server hangs up rather than wait.
    let answer = read_until_closed(&mut stream).await;
    assert!(!answer.contains("200 OK"), "{answer}");
    // And it still answers everyone else.
    let token = h.manager().await;
    let me = h
        .http
        .get(h.url("/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_body_that_never_arrives_gets_408_as_a_problem_and_nothing_is_written() {
    let h = start_with(Limits {
        request_timeout: Duration::from_millis(500),
        ..Limits::default()
    })
    .await;
    let token = h.manager().await;
    let head = h.server.store().head().await.unwrap();
    let body = purchase_batch(&h.data.partners[0].id.to_string(), 0);
    let mut stream = TcpStream::connect(h.server.addr()).await.unwrap();
    let request = format!(
        "POST /v1/mutations HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Idempotency-Key: slow\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..body.len() / 2]
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    // Half the body, then nothing.
    let mut answer = vec![0; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("the server answers")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("\"code\":\"unavailable\""), "{answer}");
    assert_eq!(h.server.store().head().await.unwrap(), head);
}

#[tokio::test]
async fn a_request_that_is_not_http_gets_a_problem_document_from_the_connection_itself() {
    let h = start().await;
    let too_long = format!(
        "GET /v1/me HTTP/1.1\r\nHost: localhost\r\nX-Padding: {}\r\n\r\n",
        "x".repeat(1024 * 1024)
    );
    for (request, status) in [
        ("HELLO THERE\r\n\r\n".to_string(), 400),
        (
            "GET /v1/me HTTP/1.1\r\nHost localhost\r\n\r\n".to_string(),
            400,
        ),
        (
            "GET /v1/me HTTP/1.1\r\nHost: \u{1}\r\n\r\n".to_string(),
            400,
        ),
        (too_long, 431),
    ] {
        let mut stream = TcpStream::connect(h.server.addr()).await.unwrap();
        // The server may answer and hang up before it has read the whole request.
        let _ = stream.write_all(request.as_bytes()).await;
        let answer = read_until_closed(&mut stream).await;
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        assert!(
            head.starts_with(&format!("HTTP/1.1 {status} ")),
            "{request:.40}: {answer}"
        );
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/problem+json"),
            "{answer}"
        );
        assert!(
            head.to_ascii_lowercase()
                .contains(&format!("content-length: {}", body.len())),
            "{answer}"
        );
        let p: program::contract::Problem = serde_json::from_str(body).unwrap();
        assert_eq!((p.status, p.code), (status, ProblemCode::BadRequest));
    }
    // A well-formed request on a new connection is answered as ever.
    let me = h.get(&h.manager().await, "/v1/me").await;
    assert_eq!(me.status(), StatusCode::OK);
}
