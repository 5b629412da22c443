//! `GET /v1/changes`: one page of the change feed, as NDJSON.
//!
//! A page is a header line, the changes after the cursor that the caller may see (in `seq`
//! order, at most `limit`), then a trailer with the next cursor and the ledger checksums of the
//! partners whose entries the page carried. It is read from one snapshot and streamed as it is
//! read, in chunks, so a 10,000-line page never sits in memory as one string. A client slower
//! than the database does not hold the snapshot (a pooled read transaction) at its pace: once it
//! has left a chunk untaken for [`Limits::feed_hold`], the rest of the page is read into memory,
//! the snapshot and the request's turn let go, and the page sent from memory; a client that then
//! takes nothing for [`Limits::idle_timeout`] is cut off (its page ends without a trailer, which
//! a client reads as a broken page).
//!
//! Cursor rules: `after` equal to the head answers 304 (nothing new); `after` below the horizon
//! (tombstones were purged since it was issued) or above the head (a cursor this feed never
//! issued, e.g. after the server's data was reset) answers 410, and the client re-bootstraps from
//! 0. Cursor 0 is always valid: the compacted feed from the start is a complete bootstrap, and the
//! cursors that bootstrap is handed below the horizon stay valid until the next compaction.

use std::collections::BTreeSet;
use std::io;

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use program::contract::{FeedLine, PageHeader, PageTrailer, PartnerId, ProblemCode};
use serde::Deserialize;
use tokio::sync::mpsc;

use super::auth::Caller;
use super::edge::Limits;
use super::faults::PageFault;
use super::problem::ApiError;
use super::store::{FeedRow, Snapshot, Store, StoreError};
use super::throttle::Turn;
use super::AppState;

pub const NDJSON: &str = "application/x-ndjson";
pub const DEFAULT_LIMIT: u32 = 1_000;
pub const MAX_LIMIT: u32 = 50_000;

/// Buffered lines are sent once they reach this size.
const CHUNK_BYTES: usize = 64 * 1024;

#[derive(Debug, Deserialize)]
pub(crate) struct FeedParams {
    after: Option<u64>,
    limit: Option<u32>,
}

pub(crate) async fn changes(
    State(state): State<AppState>,
    turn: Option<axum::Extension<Turn>>,
    caller: Caller,
    params: Result<Query<FeedParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| {
        ApiError::bad_request(format!(
            "after and limit must be whole numbers ({})",
            e.body_text()
        ))
    })?;
    let after = params.after.unwrap_or(0);
    // Cursors are `seq`s, which SQLite keeps in 64 signed bits: the document says int64.
    if i64::try_from(after).is_err() {
        return Err(ApiError::bad_request(format!(
            "after must be between 0 and {} (got {after})",
            i64::MAX
        )));
    }
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_LIMIT} (got {limit})"
        )));
    }
    let snapshot = state.store.snapshot().await?;
    if !state
        .store
        .cursor_is_valid(&snapshot, &caller.token_hash, after)
    {
        return Err(gone(format!(
            "cursor {after} is older than the feed's horizon {}; sync again from 0",
            snapshot.horizon
        )));
    }
    if after > snapshot.head {
        return Err(gone(format!(
            "cursor {after} is ahead of the feed's head {}; sync again from 0",
            snapshot.head
        )));
    }
    if after == snapshot.head {
        return Ok(StatusCode::NOT_MODIFIED.into_response());
    }

    let fault = state.faults.take_page_fault();
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, io::Error>>(4);
    let background = state.background.clone();
    background.spawn(async move {
        let page = Page {
            after,
            limit,
            partners: caller.partners,
            token_hash: caller.token_hash,
            store: state.store,
            fault,
            limits: state.limits,
            turn: turn.map(|axum::Extension(turn)| turn),
        };
        if let Err(PageError::Store(err)) = page.write(snapshot, &tx).await {
            tracing::error!(error = %err, "changes page failed mid-stream");
            // An error ends the body abnormally: the client sees a broken page, not a short one.
            let _ = tx
                .send(Err(io::Error::other("the page could not be read")))
                .await;
        }
    });
    let body = Body::from_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static(NDJSON))],
        body,
    )
        .into_response())
}

fn gone(detail: String) -> ApiError {
    ApiError::new(StatusCode::GONE, ProblemCode::CursorTooOld, detail)
}

enum PageError {
    /// The client went away; nothing more to do.
    Closed,
    Store(StoreError),
}

impl From<sqlx::Error> for PageError {
    fn from(err: sqlx::Error) -> PageError {
        PageError::Store(err.into())
    }
}

impl From<StoreError> for PageError {
    fn from(err: StoreError) -> PageError {
        PageError::Store(err)
    }
}

struct Page {
    after: u64,
    limit: u32,
    partners: Vec<PartnerId>,
    token_hash: String,
    store: Store,
    fault: Option<PageFault>,
    limits: Limits,
    /// The request's turn, let go with the snapshot.
    turn: Option<Turn>,
}

/// Lines waiting to be sent.
struct Out<'a> {
    buf: Vec<u8>,
    tx: &'a mpsc::Sender<Result<Bytes, io::Error>>,
    /// How long a chunk waits for the client before the rest of the page is held in memory.
    hold: std::time::Duration,
    /// Chunks the client has not taken yet, once it fell behind.
    held: Option<Vec<Bytes>>,
}

impl Out<'_> {
    async fn flush(&mut self) -> Result<(), PageError> {
        use tokio::sync::mpsc::error::SendTimeoutError;
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        if let Some(held) = &mut self.held {
            held.push(chunk);
            return Ok(());
        }
        match self.tx.send_timeout(Ok(chunk), self.hold).await {
            Ok(()) => Ok(()),
            Err(SendTimeoutError::Timeout(chunk)) => {
                tracing::debug!("a slow client: the rest of its page is read into memory");
                self.held = Some(chunk.into_iter().collect());
                Ok(())
            }
            Err(SendTimeoutError::Closed(_)) => Err(PageError::Closed),
        }
    }

    /// Sends the chunks held for a slow client, each within `idle` of the last.
    async fn drain(&mut self, idle: std::time::Duration) -> Result<(), PageError> {
        for chunk in self.held.take().unwrap_or_default() {
            if self.tx.send_timeout(Ok(chunk), idle).await.is_err() {
                // Gone, or taking nothing: the page ends here, without its trailer.
                return Err(PageError::Closed);
            }
        }
        Ok(())
    }

    /// Sends what is buffered, then ends the body with an error: the connection drops mid-page.
    async fn break_off(&mut self, idle: std::time::Duration) -> Result<(), PageError> {
        self.flush().await?;
        self.drain(idle).await?;
        let _ = self
            .tx
            .send(Err(io::Error::other("connection dropped (injected fault)")))
            .await;
        Err(PageError::Closed)
    }

    fn line(&mut self, line: &FeedLine) {
        serde_json::to_writer(&mut self.buf, line).expect("feed lines serialize");
        self.buf.push(b'\n');
    }

    /// A change line, written around the stored JSON, which is already the entity's wire form:
    /// parsing and re-serializing it for every line would double the cost of a page.
    fn change(&mut self, row: &FeedRow) {
        let b = &mut self.buf;
        b.extend_from_slice(b"{\"line\":\"change\",\"seq\":");
        b.extend_from_slice(row.seq.to_string().as_bytes());
        b.extend_from_slice(b",\"entity\":");
        serde_json::to_writer(&mut *b, &row.entity).expect("strings serialize");
        b.extend_from_slice(b",\"op\":");
        serde_json::to_writer(&mut *b, &row.op).expect("strings serialize");
        b.extend_from_slice(b",\"id\":");
        serde_json::to_writer(&mut *b, &row.id).expect("strings serialize");
        b.extend_from_slice(b",\"version\":");
        b.extend_from_slice(row.version.to_string().as_bytes());
        if let Some(data) = &row.data {
            b.extend_from_slice(b",\"data\":");
            b.extend_from_slice(data.as_bytes());
        }
        b.extend_from_slice(b"}\n");
    }
}

impl Page {
    async fn write(
        self,
        mut snapshot: Snapshot,
        tx: &mpsc::Sender<Result<Bytes, io::Error>>,
    ) -> Result<(), PageError> {
        let head = snapshot.head;
        let idle = self.limits.idle_timeout;
        let mut out = Out {
            buf: Vec::with_capacity(CHUNK_BYTES + 4096),
            tx,
            hold: self.limits.feed_hold,
            held: None,
        };
        out.line(&FeedLine::Header(PageHeader {
            after: self.after,
            head,
        }));
        if self.fault == Some(PageFault::Malformed) {
            out.buf
                .extend_from_slice(b"{\"line\":\"change\",\"seq\":\"not a number\",\n");
        }

        let mut sent = 0u32;
        let mut last = self.after;
        let mut has_more = false;
        let mut ledger_partners = BTreeSet::new();
        {
            // One row past the limit tells whether more follow.
            let mut rows = snapshot.changes(self.after, self.limit + 1, &self.partners);
            while let Some(row) = rows.try_next().await? {
                if sent == self.limit {
                    has_more = true;
                    break;
                }
                out.change(&row);
                sent += 1;
                last = row.seq as u64;
                ledger_partners.extend(row.ledger_partner);
                if self.fault == Some(PageFault::Drop) {
                    return out.break_off(idle).await;
                }
                if out.buf.len() >= CHUNK_BYTES {
                    out.flush().await?;
                }
            }
        }
        if self.fault == Some(PageFault::Drop) {
            // A page with no changes breaks after its header.
            return out.break_off(idle).await;
        }

        // With nothing visible left, the cursor moves to the head, past rows the caller cannot
        // see, so the next sync does not scan them again.
        let next = if has_more { last } else { head };
        if next < snapshot.horizon {
            // A bootstrap walking below the horizon after a compaction: it may resume here.
            self.store
                .remember_cursor(snapshot.epoch, &self.token_hash, next);
        }
        let checksums = snapshot.checksums(&ledger_partners, next).await?;
        if self.fault != Some(PageFault::Truncate) {
            out.line(&FeedLine::Trailer(PageTrailer {
                next,
                has_more,
                checksums,
            }));
        }
        out.flush().await?;
        // The page is read: the database and the turn go before a slow client is waited for.
        drop(snapshot);
        drop(self.turn);
        out.drain(idle).await
    }
}
