//! The HTTP edge: the server's limits, every error as a problem document, and the connection
//! loop that gives a client a deadline for its request's headers.
//!
//! A request has [`Limits::header_timeout`] to send its headers (hyper closes the connection
//! otherwise) and [`Limits::request_timeout`] from then until its response starts, reading the
//! body included (408). A body past [`Limits::max_body_bytes`] is answered 413. Whatever answers
//! an error without a problem document (axum's extractors, the body limit, the timeout, a route
//! that does not exist) is given one by [`problems`], and hyper's own answers to requests it
//! cannot read are given one on their way out (`wire`), so a client reads every error one way.
//! Turns and rates are `throttle`'s.

use std::pin::pin;
use std::time::Duration;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use program::contract::ProblemCode;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;
use tower::ServiceExt as _;
use tower_http::compression::{CompressionLayer, CompressionLevel};

use super::problem::ApiError;
use super::throttle::{self, Hourly, Rate, Throttle};
use super::wire::ProblemIo;

/// What the server allows a client, per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest request body accepted; a larger one is answered 413.
    pub max_body_bytes: usize,
    /// From the connection's first byte (or the end of the last response) to the end of the
    /// request's headers; a client slower than that is disconnected.
    pub header_timeout: Duration,
    /// From the headers to the start of the response, reading the body included; answered 408.
    pub request_timeout: Duration,
    /// Requests handled at once (see `throttle`).
    pub max_in_flight: usize,
    /// How long a request waits for its turn before it is answered 503.
    pub queue_timeout: Duration,
    /// Requests per signed-in token.
    pub per_token: Rate,
    /// Requests per client address without a valid token.
    pub per_address: Rate,
    /// Deal registrations and edits per user (see `throttle`).
    pub registrations: Hourly,
    /// How long the feed waits for a client to take the next part of its page before it reads the
    /// rest of the page into memory and lets go of the database (see `feed`).
    pub feed_hold: Duration,
    /// A client that takes nothing of its answer for this long is cut off.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_in_flight: 64,
            queue_timeout: Duration::from_secs(10),
            // A sync round is a few requests a second at most; a burst covers a first sync's
            // pages and a full outbox's batches at once.
            per_token: Rate::new(50, 500),
            per_address: Rate::new(10, 100),
            // Two a minute, sixty at once: a salesperson's day of offline registrations fits;
            // trying every company in a list does not.
            registrations: Hourly::new(120, 60),
            feed_hold: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(30),
        }
    }
}

/// The largest request body accepted unless configured otherwise (axum's own default).
pub const DEFAULT_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The most of an error's plain-text body kept as the problem's detail.
const DETAIL_BYTES: usize = 1024;

/// Gives an error answered in plain text (or with no body) a problem document, with the same
/// status (and `Retry-After`, if any); the text it had becomes the detail.
pub(super) async fn problems(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    // Plain text or nothing: what axum and tower-http answer. A problem document, the sign-in
    // page's HTML and OAuth's own JSON errors are answers already.
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|t| t.as_bytes().starts_with(b"text/plain"));
    if !plain {
        return response;
    }
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let text = axum::body::to_bytes(response.into_body(), DETAIL_BYTES)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let detail = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is larger than this server takes".into(),
        StatusCode::REQUEST_TIMEOUT => {
            "the request took too long to arrive or to answer; send it again".into()
        }
        _ if !text.is_empty() => text,
        _ => status
            .canonical_reason()
            .unwrap_or("the request failed")
            .to_string(),
    };
    let code = match status {
        StatusCode::UNAUTHORIZED => ProblemCode::Unauthorized,
        StatusCode::FORBIDDEN => ProblemCode::Forbidden,
        StatusCode::NOT_FOUND => ProblemCode::NotFound,
        StatusCode::TOO_MANY_REQUESTS => ProblemCode::RateLimited,
        StatusCode::REQUEST_TIMEOUT
        | StatusCode::SERVICE_UNAVAILABLE
        | StatusCode::GATEWAY_TIMEOUT => ProblemCode::Unavailable,
        s if s.is_server_error() => ProblemCode::Internal,
        _ => ProblemCode::BadRequest,
    };
    let mut answer = ApiError::new(status, code, detail).into_response();
    if let Some(retry_after) = retry_after {
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, retry_after);
    }
    answer
}

/// Refuses, with 415, a request whose body is not declared as JSON.
pub(super) fn require_json(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|t| t.to_str().ok())
        .and_then(|t| t.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if json {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemCode::BadRequest,
            "the body must be JSON, sent with Content-Type: application/json",
        ))
    }
}

/// Serves `app` over HTTP/1.1 on `listener` until `stop` fires (or its sender is dropped), then
/// lets the connections finish what they are answering and returns once they have.
pub(super) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    stop: oneshot::Receiver<()>,
) -> std::io::Result<()> {
    let (closing, _) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut stop = pin!(stop);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, say: wait a moment rather than spin.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        // Each request knows the address it came from (the rate limit per address).
        let Ok(peer) = stream.peer_addr().map(axum::extract::ConnectInfo) else {
            continue;
        };
        let service = TowerToHyperService::new(app.clone().map_request(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(peer);
                request
            },
        ));
        let mut closed = closing.subscribe();
        connections.spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let io = ProblemIo::new(TokioIo::new(stream));
            let mut connection = pin!(http.serve_connection(io, service));
            tokio::select! {
                served = connection.as_mut() => {
                    if let Err(e) = served {
                        tracing::debug!(error = %e, "connection ended");
                    }
                    return;
                }
                _ = closed.changed() => connection.as_mut().graceful_shutdown(),
            }
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended while closing");
            }
        });
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = closing.send(true);
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// The router with the edge's layers: the body limit, turns and rates (`throttle`), the request
/// timeout (a wait for a turn included), problem documents, and compression last, so that
/// `problems` reads the text it turns into a detail as it was written.
pub(super) fn with_limits(app: Router, limits: Limits, throttle: Throttle) -> Router {
    app.layer(axum::extract::DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            throttle,
            throttle::middleware,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(axum::middleware::map_response(problems))
        // The fastest gzip: a bootstrap page set of a million deployments is gigabytes of JSON,
        // and the default level costs more CPU than the client spends writing the rows, for
        // about a quarter fewer bytes.
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::problem::PROBLEM_JSON;
    use axum::body::Body;

    #[tokio::test]
    async fn an_error_without_a_problem_document_is_given_one() {
        let plain = (StatusCode::PAYLOAD_TOO_LARGE, "length limit exceeded").into_response();
        let answer = problems(plain).await;
        assert_eq!(answer.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(answer.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
        let body = axum::body::to_bytes(answer.into_body(), 4096)
            .await
            .unwrap();
        let problem: program::contract::Problem = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem.code, ProblemCode::BadRequest);
        assert_eq!(problem.status, 413);

        let ok = Response::new(Body::from("fine"));
        assert_eq!(problems(ok).await.status(), StatusCode::OK);
    }
}
