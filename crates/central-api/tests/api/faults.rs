//! The fault switch, observed from a client.

use std::time::{Duration, Instant};

use program::contract::{FeedLine, ProblemCode};
use reqwest::StatusCode;

use crate::common::{parse_page, problem, start};

#[tokio::test]
async fn latency_delays_every_response() {
    let h = start().await;
    let token = h.manager().await;
    h.server.faults().set_latency(Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(h.get(&token, "/v1/me").await.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));
    h.server.faults().set_latency(Duration::ZERO);
    let started = Instant::now();
    h.get(&token, "/v1/me").await;
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn the_next_n_requests_answer_503_then_service_resumes() {
    let h = start().await;
    let token = h.manager().await;
    h.server.faults().unavailable_next(2);
    for _ in 0..2 {
        let response = h.get(&token, "/v1/me").await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(problem(response).await.code, ProblemCode::Unavailable);
    }
    assert_eq!(h.get(&token, "/v1/me").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_next_n_requests_answer_429_with_retry_after() {
    let h = start().await;
    let token = h.manager().await;
    h.server.faults().rate_limit_next(1, 7);
    let response = h.get(&token, "/v1/changes?after=0&limit=10").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "7");
    assert_eq!(problem(response).await.code, ProblemCode::RateLimited);
    assert_eq!(h.get(&token, "/v1/me").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_dropped_page_breaks_mid_body() {
    let h = start().await;
    let token = h.manager().await;
    h.server.faults().drop_next_pages(1);
    match h
        .http
        .get(h.url("/v1/changes?after=0&limit=500"))
        .bearer_auth(&token)
        .send()
        .await
    {
        Ok(response) => {
            assert_eq!(response.status(), StatusCode::OK);
            assert!(response.bytes().await.is_err(), "the body breaks off");
        }
        // The break can also surface before the body is read.
        Err(err) => assert!(!err.is_status(), "{err}"),
    }
    // The next page is whole.
    let page = h.page(&token, 0, 500).await;
    assert_eq!(page.changes.len(), 500);
}

#[tokio::test]
async fn a_truncated_page_ends_cleanly_without_its_trailer() {
    let h = start().await;
    let token = h.manager().await;
    h.server.faults().truncate_next_pages(1);
    let response = h.changes(&token, 0, 200).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    let lines: Vec<FeedLine> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(matches!(lines.first(), Some(FeedLine::Header(_))));
    assert!(!lines.iter().any(|l| matches!(l, FeedLine::Trailer(_))));
    assert_eq!(lines.len(), 201);
    // The next page is whole.
    assert_eq!(h.page(&token, 0, 200).await.changes.len(), 200);
}

#[tokio::test]
async fn a_corrupt_page_carries_a_malformed_line() {
    let h = start().await;
    let token = h.manager().await;
    h.server.faults().corrupt_next_pages(1);
    let response = h.changes(&token, 0, 50).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    let bad = body
        .lines()
        .filter(|l| serde_json::from_str::<FeedLine>(l).is_err())
        .count();
    assert_eq!(bad, 1);
    parse_page(&h.changes(&token, 0, 50).await.text().await.unwrap());
}

#[tokio::test]
async fn clear_turns_every_fault_off() {
    let h = start().await;
    let token = h.manager().await;
    let faults = h.server.faults();
    faults.unavailable_next(3);
    faults.rate_limit_next(3, 1);
    faults.drop_next_pages(3);
    faults.clear();
    assert_eq!(h.get(&token, "/v1/me").await.status(), StatusCode::OK);
    h.page(&token, 0, 10).await;
}
