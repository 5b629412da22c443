//! The fault switch: misbehaviour on demand, for testing clients against a flaky network.
//!
//! A [`Faults`] handle is shared by the server and whoever holds it (tests, the desktop app's demo
//! workspace). Latency applies to every request while set. Every "next N" fault is armed by adding
//! to a counter, and consumed one at a time as requests arrive; the page faults are consumed only
//! by a `GET /v1/changes` that sends a page (not by a 304 or an error).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use program::contract::ProblemCode;

use super::problem::ApiError;

/// A handle on the fault switch. Cheap to clone; all clones share one switch.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    inner: Arc<Switch>,
}

#[derive(Debug, Default)]
struct Switch {
    latency_ms: AtomicU64,
    unavailable: AtomicU32,
    rate_limited: AtomicU32,
    retry_after_secs: AtomicU64,
    whole_pages: AtomicU32,
    drop_pages: AtomicU32,
    truncate_pages: AtomicU32,
    corrupt_pages: AtomicU32,
}

/// What goes wrong with a changes page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageFault {
    /// Part of the body is sent, then the connection is dropped.
    Drop,
    /// The page ends cleanly but without its trailer.
    Truncate,
    /// One line of the page is not valid JSON.
    Malformed,
}

impl Faults {
    /// Delays every response by `latency` (zero turns it off).
    pub fn set_latency(&self, latency: Duration) {
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.inner.latency_ms.store(ms, Ordering::SeqCst);
    }

    /// The next `n` requests answer 503 Service Unavailable.
    pub fn unavailable_next(&self, n: u32) {
        self.inner.unavailable.fetch_add(n, Ordering::SeqCst);
    }

    /// The next `n` requests answer 429 Too Many Requests with `Retry-After: retry_after_secs`.
    pub fn rate_limit_next(&self, n: u32, retry_after_secs: u64) {
        self.inner
            .retry_after_secs
            .store(retry_after_secs, Ordering::SeqCst);
        self.inner.rate_limited.fetch_add(n, Ordering::SeqCst);
    }

    /// The next `n` changes pages are sent whole before the armed page faults apply: a download
    /// that breaks partway.
    pub fn whole_next_pages(&self, n: u32) {
        self.inner.whole_pages.fetch_add(n, Ordering::SeqCst);
    }

    /// The next `n` changes pages send part of their body, then drop the connection.
    pub fn drop_next_pages(&self, n: u32) {
        self.inner.drop_pages.fetch_add(n, Ordering::SeqCst);
    }

    /// The next `n` changes pages end cleanly without their trailer line.
    pub fn truncate_next_pages(&self, n: u32) {
        self.inner.truncate_pages.fetch_add(n, Ordering::SeqCst);
    }

    /// The next `n` changes pages carry one line that is not valid JSON.
    pub fn corrupt_next_pages(&self, n: u32) {
        self.inner.corrupt_pages.fetch_add(n, Ordering::SeqCst);
    }

    /// Turns every fault off.
    pub fn clear(&self) {
        let s = &self.inner;
        s.latency_ms.store(0, Ordering::SeqCst);
        for counter in [
            &s.unavailable,
            &s.rate_limited,
            &s.whole_pages,
            &s.drop_pages,
            &s.truncate_pages,
            &s.corrupt_pages,
        ] {
            counter.store(0, Ordering::SeqCst);
        }
    }

    /// Takes one armed page fault, if any (a page suffers one fault at a time).
    pub(crate) fn take_page_fault(&self) -> Option<PageFault> {
        let s = &self.inner;
        if take(&s.whole_pages) {
            return None;
        }
        [
            (&s.drop_pages, PageFault::Drop),
            (&s.truncate_pages, PageFault::Truncate),
            (&s.corrupt_pages, PageFault::Malformed),
        ]
        .into_iter()
        .find(|(counter, _)| take(counter))
        .map(|(_, fault)| fault)
    }
}

/// Consumes one from an armed counter; false if it was at zero.
fn take(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

/// Applies latency and the "next N requests" faults before a request reaches its handler.
pub(crate) async fn middleware(
    State(faults): State<Faults>,
    request: Request,
    next: Next,
) -> Response {
    let s = &faults.inner;
    let latency = s.latency_ms.load(Ordering::SeqCst);
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if take(&s.unavailable) {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ProblemCode::Unavailable,
            "the service is unavailable (injected fault)",
        )
        .into_response();
    }
    if take(&s.rate_limited) {
        return ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ProblemCode::RateLimited,
            "too many requests (injected fault)",
        )
        .with_retry_after(s.retry_after_secs.load(Ordering::SeqCst))
        .into_response();
    }
    next.run(request).await
}
