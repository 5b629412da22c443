//! Sync with the central API: push the outbox, then pull the change feed into the mirror.
//!
//! Pull: each page and the new cursor commit in one transaction, so a crash mid-sync resumes
//! from the last whole page and never applies a page twice. A row with a pending local change is
//! never overwritten by a download. A 410 rebuilds the mirror from the start and keeps the
//! outbox. A ledger checksum that disagrees with the mirror refetches the feed from the start
//! (upserts make that safe).
//!
//! Pull, fast (`make bench` measures it): a round writes on one connection of its own, closed when
//! the round ends, with foreign keys off, a large page cache (`write_cache_mib`) and WAL
//! checkpoints every 256 MB instead of every 4 MB. Pages are downloaded and decoded ahead of the
//! writing (one waiting, one on its way) while the current one is written. Each line is parsed
//! once, straight into the row it carries. Ledger checksums are checked against running totals, not
//! by summing each partner's ledger per page. A first sync (from cursor 0 into an empty mirror)
//! drops the mirror's secondary indexes in the transaction of its first page and builds them again
//! in the transaction of its last: one sorted build instead of millions of random inserts. If it
//! stops in between, the indexes are built before the cache is used again: by the failing round
//! itself, by a wipe, or, after a crash, by the next `Store::open`. Only the round doing the first
//! sync ever reads the mirror without them (the window may read it meanwhile, slower, and sees a
//! mirror still filling anyway).
//!
//! Push: pending outbox rows go in order, in batches, with an `Idempotency-Key` derived from the
//! batch's mutation ids so a resend is recognised. Each mutation comes back applied (kept, marked
//! applied and never sent again, until the page that brings the platform's copy of its row takes
//! it away in the same transaction, so the screen never shows neither), rejected (kept, with its
//! reason, for the user; it never blocks the rest) or retry (kept pending).
//!
//! Transient failures (network, 5xx, 429/503, a broken page) are retried with exponential
//! back-off and jitter, honouring `Retry-After`; the background loop keeps probing while offline
//! and syncs as soon as the network returns.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use chrono::{SecondsFormat, Utc};
use program::contract::{Entity, Mutation, MutationBatch, MutationKind, Op, Outcome, PartnerId};
use sqlx::pool::PoolConnection;
use sqlx::{Row as _, Sqlite, SqliteConnection};
use tokio::sync::{mpsc, watch, Notify};
use uuid::Uuid;

use crate::api::{ApiClient, ApiError, Changes, Page, Row};
use crate::error::{DeskError, Result};
use crate::store::{self, Rows, Store};
use crate::views::{SyncPhase, SyncProblem, SyncProblemKind, SyncProgress, SyncStatus};
use crate::workspace::{PROGRAM_POLICY, USER};

/// Keys of `sync_state`.
pub const CURSOR: &str = "cursor";
pub const LAST_SYNCED_AT: &str = "last_synced_at";
/// Tables mirrored from the central API, children before parents (the order a wipe deletes in).
const MIRROR_TABLES: &[&str] = &[
    "action_items",
    "quotes",
    "deals",
    "territory_claims",
    "partner_brands",
    "catalog_item_brands",
    "customer_migrations",
    "nps_responses",
    "ledger_entries",
    "deployments",
    "territories",
    "customers",
    "catalog_items",
    "partners",
];

/// How sync paces itself. Tests shorten the delays.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Changes per page (the reference server sends at most 10,000).
    pub page_size: u32,
    /// SQLite's page cache, in MiB, of the connection that writes the pages of a round (SQLite's
    /// default is 2 MiB). The mirror's id indexes take random inserts: once they outgrow the
    /// cache, every row costs page reads and evictions. The connection is closed after the round,
    /// which gives the memory back.
    pub write_cache_mib: u32,
    /// Mutations per push batch.
    pub batch_size: u32,
    /// Between rounds when all is well.
    pub interval: Duration,
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    /// Retries of one request before the round gives up (the loop tries again later).
    pub max_retries: usize,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            // The server's largest page: a first sync of 6.5M rows commits 131 pages instead of
            // 653, and measured 83k rows/s against 66k with 10,000 (`make bench`).
            page_size: 50_000,
            write_cache_mib: 256,
            batch_size: 100,
            interval: Duration::from_secs(60),
            min_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            max_retries: 6,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Local(#[from] DeskError),
}

impl From<sqlx::Error> for SyncError {
    fn from(e: sqlx::Error) -> Self {
        SyncError::Local(DeskError::Storage(e))
    }
}

impl SyncError {
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Api(e) if e.is_transient())
    }

    pub fn problem(&self) -> SyncProblem {
        match self {
            SyncError::Api(e) => api_problem(e),
            SyncError::Local(_) => SyncProblem {
                kind: SyncProblemKind::LocalStorage,
                detail: self.to_string(),
            },
        }
    }
}

fn api_problem(e: &ApiError) -> SyncProblem {
    let kind = match e {
        ApiError::Offline(_) => SyncProblemKind::Offline,
        ApiError::Busy { .. } => SyncProblemKind::ServerBusy,
        ApiError::Server { .. } => SyncProblemKind::ServerError,
        ApiError::Unauthorized => SyncProblemKind::SignInRefused,
        ApiError::BadPage(_) | ApiError::CursorTooOld => SyncProblemKind::BadData,
        ApiError::Refused { .. } => SyncProblemKind::Refused,
    };
    SyncProblem {
        kind,
        detail: e.to_string(),
    }
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub pages: u32,
    pub changes: u64,
    pub bytes: u64,
    /// Changes not applied because the row has a pending local change.
    pub kept_local: u64,
    pub pushed: u32,
    pub rejected: u32,
    /// Times the mirror was rebuilt from the start (410, or a ledger checksum mismatch).
    pub rebuilds: u32,
    pub cursor: u64,
    /// Where the pull's time went: writing pages into the mirror (the index builds of a first
    /// sync included), building those indexes, and waiting for a page that had not arrived yet
    /// (the rest of the download overlaps the writing).
    pub writing: Duration,
    pub building_indexes: Duration,
    pub waiting: Duration,
}

/// The sync engine of one workspace.
#[derive(Debug)]
pub struct SyncEngine {
    store: Store,
    api: ApiClient,
    options: SyncOptions,
    status: watch::Sender<SyncStatus>,
    wake: Arc<Notify>,
    /// One round at a time, whoever asks.
    round: tokio::sync::Mutex<()>,
}

impl SyncEngine {
    pub async fn new(store: Store, api: ApiClient, options: SyncOptions) -> Result<Arc<Self>> {
        let engine = SyncEngine {
            status: watch::Sender::new(SyncStatus {
                phase: SyncPhase::Idle,
                last_synced_at: None,
                pending: 0,
                rejected: 0,
                progress: None,
                first_sync: true,
                problem: None,
            }),
            store,
            api,
            options,
            wake: Arc::new(Notify::new()),
            round: tokio::sync::Mutex::new(()),
        };
        engine.refresh_counts().await?;
        Ok(Arc::new(engine))
    }

    pub fn api(&self) -> &ApiClient {
        &self.api
    }

    pub fn status(&self) -> watch::Receiver<SyncStatus> {
        self.status.subscribe()
    }

    pub fn current_status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    /// Asks the background loop for a round now.
    pub fn request(&self) {
        self.wake.notify_one();
    }

    /// Re-reads the outbox counts and the last sync time into the status (after a local write).
    pub async fn refresh_counts(&self) -> Result<()> {
        let (pending, rejected) = outbox_counts(self.store.pool()).await?;
        let last = self.store.get_state(LAST_SYNCED_AT).await?;
        self.status.send_modify(|s| {
            s.pending = pending;
            s.rejected = rejected;
            s.first_sync = last.is_none();
            s.last_synced_at = last;
        });
        Ok(())
    }

    /// Runs sync in the background until the returned task is aborted: a round at start, then
    /// every `interval` or when asked; while offline it probes with growing delays, so it syncs
    /// soon after the network returns.
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let engine = Arc::clone(self);
        tokio::spawn(async move {
            let mut offline_delay = engine.options.min_backoff;
            loop {
                let outcome = engine.run_once().await;
                // Figures for what the round brought, before anyone asks for them.
                if let Err(e) = crate::figures::refresh(&engine.store).await {
                    tracing::warn!(error = %e, "could not refresh the partners' figures");
                }
                let wait = match outcome {
                    Ok(_) => {
                        offline_delay = engine.options.min_backoff;
                        // A change saved after this round's push goes now, not a minute later.
                        match unsent(engine.store.pool()).await {
                            Ok(true) => Duration::ZERO,
                            _ => engine.options.interval,
                        }
                    }
                    Err(e) if e.is_transient() => {
                        offline_delay = (offline_delay * 2).min(engine.options.max_backoff);
                        offline_delay
                    }
                    Err(_) => engine.options.interval,
                };
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = engine.wake.notified() => {}
                }
            }
        })
    }

    /// One round: push the outbox, then pull every page. Updates the status as it goes.
    pub async fn run_once(&self) -> std::result::Result<SyncReport, SyncError> {
        let _round = self.round.lock().await;
        self.status.send_modify(|s| {
            s.phase = SyncPhase::Syncing;
        });
        let started = Instant::now();
        let mut report = SyncReport::default();
        let outcome = async {
            self.push(&mut report).await?;
            self.pull(&mut report).await?;
            // Each page took away the applied changes it brought; a whole download has brought
            // them all (a change that touched nothing this user sees included).
            sqlx::query("DELETE FROM outbox WHERE applied = 1")
                .execute(self.store.pool())
                .await?;
            let policy = self.retrying(|| self.api.program()).await?;
            self.store.set_state(PROGRAM_POLICY, &policy).await?;
            if self.store.get_state(USER).await?.is_none() {
                let me = self.retrying(|| self.api.me()).await?;
                self.store.set_state(USER, &me.user).await?;
            }
            Ok::<_, SyncError>(())
        }
        .await;
        match &outcome {
            Ok(()) => {
                // Milliseconds: the UI reloads when this changes, and two rounds can end within
                // one second (a change saved mid-round is sent by a round right after).
                let now = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
                self.store.set_state(LAST_SYNCED_AT, &now).await?;
                tracing::info!(
                    changes = report.changes,
                    pushed = report.pushed,
                    rejected = report.rejected,
                    ms = started.elapsed().as_millis() as u64,
                    writing_ms = report.writing.as_millis() as u64,
                    waiting_ms = report.waiting.as_millis() as u64,
                    "sync round done"
                );
            }
            Err(e) => tracing::warn!(error = %e, "sync round failed"),
        }
        let (pending, rejected) = outbox_counts(self.store.pool()).await?;
        let last = self.store.get_state(LAST_SYNCED_AT).await?;
        self.status.send_modify(|s| {
            s.pending = pending;
            s.rejected = rejected;
            s.progress = None;
            s.first_sync = last.is_none();
            s.last_synced_at = last;
            match &outcome {
                Ok(()) => {
                    s.phase = SyncPhase::Idle;
                    s.problem = None;
                }
                Err(e) => {
                    s.phase = if e.is_transient() {
                        SyncPhase::Offline
                    } else {
                        SyncPhase::Failed
                    };
                    s.problem = Some(e.problem());
                }
            }
        });
        outcome.map(|()| report)
    }

    /// Only the download half of a round (the outbox stays as it is): for tests and tools.
    pub async fn pull_only(&self) -> std::result::Result<SyncReport, SyncError> {
        let _round = self.round.lock().await;
        let mut report = SyncReport::default();
        self.pull(&mut report).await?;
        Ok(report)
    }

    /// Runs `op` with back-off on transient errors, honouring `Retry-After`.
    async fn retrying<T, F, Fut>(&self, op: F) -> std::result::Result<T, ApiError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = std::result::Result<T, ApiError>>,
    {
        let policy = ExponentialBuilder::default()
            .with_min_delay(self.options.min_backoff)
            .with_max_delay(self.options.max_backoff)
            .with_max_times(self.options.max_retries)
            .with_jitter();
        // "Sync now" cuts a back-off short, but never a wait the server asked for (Retry-After).
        let asked_to_wait = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let wake = Arc::clone(&self.wake);
        let asked = Arc::clone(&asked_to_wait);
        let result = op
            .retry(policy)
            .when(ApiError::is_transient)
            .adjust(|e, backoff| e.retry_after().or(backoff))
            .sleep(move |delay| {
                let wake = Arc::clone(&wake);
                let honour = asked.load(std::sync::atomic::Ordering::Relaxed);
                async move {
                    if honour {
                        tokio::time::sleep(delay).await;
                    } else {
                        tokio::select! {
                            _ = tokio::time::sleep(delay) => {}
                            _ = wake.notified() => {}
                        }
                    }
                }
            })
            .notify(|e, wait| {
                asked_to_wait.store(
                    e.retry_after().is_some(),
                    std::sync::atomic::Ordering::Relaxed,
                );
                tracing::debug!(error = %e, ?wait, "retrying");
                // Say so at once; the round keeps retrying behind the indicator.
                self.status.send_modify(|s| {
                    s.phase = SyncPhase::Offline;
                    s.problem = Some(api_problem(e));
                });
            })
            .await;
        if result.is_ok() && self.status.borrow().phase == SyncPhase::Offline {
            self.status.send_modify(|s| {
                s.phase = SyncPhase::Syncing;
                s.problem = None;
            });
        }
        result
    }

    async fn push(&self, report: &mut SyncReport) -> std::result::Result<(), SyncError> {
        loop {
            let rows = sqlx::query(
                "SELECT id, payload, base_version FROM outbox \
                 WHERE status = 'pending' AND applied = 0 ORDER BY seq LIMIT ?",
            )
            .bind(i64::from(self.options.batch_size))
            .fetch_all(self.store.pool())
            .await?;
            if rows.is_empty() {
                return Ok(());
            }
            let mut mutations = Vec::with_capacity(rows.len());
            for r in &rows {
                let id: String = r.try_get("id")?;
                let payload: String = r.try_get("payload")?;
                let base: Option<i64> = r.try_get("base_version")?;
                let kind: MutationKind = serde_json::from_str(&payload)
                    .map_err(|e| DeskError::Corrupt(format!("outbox payload {id}: {e}")))?;
                mutations.push(Mutation {
                    id: id
                        .parse()
                        .map_err(|_| DeskError::Corrupt(format!("outbox id {id}")))?,
                    base_version: base.and_then(|v| u64::try_from(v).ok()),
                    kind,
                });
            }
            let key = batch_key(&mutations);
            let batch = MutationBatch { mutations };
            let results = self.retrying(|| self.api.mutations(&batch, &key)).await?;
            let mut tx = self.store.pool().begin().await?;
            let mut progressed = false;
            for r in &results.results {
                let id = r.id.to_string();
                match &r.outcome {
                    Outcome::Applied => {
                        // Kept (and shown) until this round's download brings the platform's
                        // copy; never sent again.
                        sqlx::query("UPDATE outbox SET applied = 1 WHERE id = ?")
                            .bind(&id)
                            .execute(&mut *tx)
                            .await?;
                        report.pushed += 1;
                        progressed = true;
                    }
                    Outcome::Rejected { reason, .. } => {
                        sqlx::query(
                            "UPDATE outbox SET status = 'rejected', last_error = ?, \
                             attempts = attempts + 1 WHERE id = ?",
                        )
                        .bind(reason)
                        .bind(&id)
                        .execute(&mut *tx)
                        .await?;
                        report.rejected += 1;
                        progressed = true;
                    }
                    Outcome::Retry { reason } => {
                        sqlx::query(
                            "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                        )
                        .bind(reason)
                        .bind(&id)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
            tx.commit().await?;
            if !progressed {
                // Everything came back "retry": leave it for the next round.
                return Ok(());
            }
        }
    }

    /// Fetches the page after `cursor`, retrying transient failures.
    async fn fetch(&self, cursor: u64) -> std::result::Result<Changes, ApiError> {
        self.retrying(|| self.api.changes(cursor, self.options.page_size))
            .await
    }

    async fn pull(&self, report: &mut SyncReport) -> std::result::Result<(), SyncError> {
        let mut conn = self.store.pool().acquire().await?;
        // This connection carries the round's settings (foreign keys off, a large page cache):
        // it is closed when the round ends, however it ends, never handed back to the pool.
        conn.close_on_drop();
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut *conn)
            .await?;
        let cache_kib = u64::from(self.options.write_cache_mib.max(2)) * 1024;
        sqlx::query(&format!("PRAGMA cache_size = -{cache_kib}"))
            .execute(&mut *conn)
            .await?;
        // Statement journals (a multi-row INSERT keeps one) in memory, not in temporary files.
        sqlx::query("PRAGMA temp_store = MEMORY")
            .execute(&mut *conn)
            .await?;
        // Checkpoint every 256 MB of WAL rather than every 4 MB: a page of random id-index
        // inserts dirties tens of MB, and a checkpoint after every commit wrote every such page
        // twice over; pages changed again before the next checkpoint are now copied once. The
        // WAL file is cut back to 64 MB after a checkpoint.
        sqlx::query("PRAGMA wal_autocheckpoint = 65536")
            .execute(&mut *conn)
            .await?;
        sqlx::query("PRAGMA journal_size_limit = 67108864")
            .execute(&mut *conn)
            .await?;
        // Helper threads for the sorts of an index build (see `store::defer_indexes`).
        sqlx::query("PRAGMA threads = 2")
            .execute(&mut *conn)
            .await?;
        let outcome = self.pull_on(&mut conn, report).await;
        if outcome.is_err() {
            // A first sync that stops midway leaves no cache without its indexes behind.
            let restored = async {
                let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                store::restore_indexes(&mut tx).await?;
                tx.commit().await?;
                Ok::<_, DeskError>(())
            }
            .await;
            if let Err(e) = restored {
                tracing::warn!(error = %e, "could not rebuild the indexes after a failed sync");
            }
        }
        outcome
    }

    /// [`SyncEngine::pull`] on the round's connection.
    async fn pull_on(
        &self,
        conn: &mut PoolConnection<Sqlite>,
        report: &mut SyncReport,
    ) -> std::result::Result<(), SyncError> {
        let cursor = self.cursor().await?;
        // A first sync: from the start into an empty mirror.
        let first_sync = cursor == 0 && mirror_is_empty(conn).await?;
        let mut round = Round {
            cursor,
            start: cursor,
            rebuilt: false,
            first_sync,
            first_page: true,
            totals: LedgerTotals::new(first_sync),
            started: Instant::now(),
            rows: 0,
        };
        // A pass reads the feed from the round's cursor until it ends or the mirror must be read
        // again from the start (a 410, a ledger checksum that disagrees), which starts a new pass.
        while let Pass::Restart = self.pass(conn, report, &mut round).await? {}
        let cursor = round.cursor;
        // Whatever ended the round (nothing new, say), no indexes stay dropped.
        let started = Instant::now();
        let mut tx = sqlx::Connection::begin(&mut **conn).await?;
        if store::restore_indexes(&mut tx).await? {
            report.building_indexes += started.elapsed();
        }
        tx.commit().await?;
        report.cursor = cursor;
        Ok(())
    }

    /// One pass over the feed from `round.cursor`. Pages are downloaded and decoded ahead of the
    /// writing, one waiting and one on its way while a third is written: the network, the
    /// server, gzip and JSON on one side, SQLite on its own thread on the other, and a slow page
    /// on either side no longer stalls the other.
    async fn pass(
        &self,
        conn: &mut PoolConnection<Sqlite>,
        report: &mut SyncReport,
        round: &mut Round,
    ) -> std::result::Result<Pass, SyncError> {
        let (pages, mut arrived) = mpsc::channel::<std::result::Result<Changes, ApiError>>(1);
        let from = round.cursor;
        let fetcher = async move {
            let mut after = from;
            loop {
                let answer = self.fetch(after).await;
                let next = match &answer {
                    Ok(Changes::Page(page)) if page.trailer.has_more => Some(page.trailer.next),
                    _ => None,
                };
                if pages.send(answer).await.is_err() {
                    break;
                }
                match next {
                    Some(next) => after = next,
                    None => break,
                }
            }
            // Done: the writer ends the pass.
            std::future::pending::<()>().await;
        };
        let writer = async {
            loop {
                let asked = Instant::now();
                let Some(answer) = arrived.recv().await else {
                    unreachable!("the fetcher keeps its sender until the pass ends");
                };
                report.waiting += asked.elapsed();
                let page = match answer {
                    Ok(Changes::UpToDate) => return Ok(Pass::Done),
                    Ok(Changes::Page(page)) => page,
                    Err(ApiError::CursorTooOld) if !round.rebuilt => {
                        tracing::warn!(
                            cursor = round.cursor,
                            "cursor too old: rebuilding the mirror"
                        );
                        wipe_mirror_on(conn).await?;
                        round.restart(true);
                        report.rebuilds += 1;
                        return Ok(Pass::Restart);
                    }
                    Err(e) => return Err(e.into()),
                };
                let indexes = Indexes {
                    // Only when more pages follow: a one-page sync gains nothing from it.
                    defer: round.first_sync && round.first_page && page.trailer.has_more,
                    restore: !page.trailer.has_more,
                };
                round.first_page = false;
                let started = Instant::now();
                let applied = apply_page(conn, &page, &mut round.totals, indexes).await?;
                report.writing += started.elapsed();
                report.building_indexes += applied.building_indexes;
                report.pages += 1;
                report.changes += page.changes.len() as u64;
                report.bytes += page.bytes as u64;
                report.kept_local += applied.kept_local;
                round.cursor = page.trailer.next;
                round.rows += page.changes.len() as u64;
                let total = page.header.head.saturating_sub(round.start).max(1);
                let done = round.cursor.saturating_sub(round.start).min(total);
                let seconds_left = seconds_left(done, total, round.started.elapsed());
                self.status.send_modify(|s| {
                    s.progress = Some(SyncProgress {
                        done: u32::try_from(done).unwrap_or(u32::MAX),
                        total: u32::try_from(total).unwrap_or(u32::MAX),
                        rows: u32::try_from(round.rows).unwrap_or(u32::MAX),
                        seconds_left,
                    });
                });
                if !applied.mismatched.is_empty() && !round.rebuilt {
                    tracing::warn!(
                        partners = applied.mismatched.len(),
                        "ledger checksum mismatch: refetching from the start"
                    );
                    set_cursor_on(conn, 0).await?;
                    round.restart(false);
                    report.rebuilds += 1;
                    return Ok(Pass::Restart);
                }
                if !page.trailer.has_more {
                    return Ok(Pass::Done);
                }
            }
        };
        // The writer ends the pass; the fetcher, wherever it is, is dropped with it.
        tokio::select! {
            end = writer => end,
            () = fetcher => unreachable!("the fetcher never ends on its own"),
        }
    }

    async fn cursor(&self) -> Result<u64> {
        Ok(self
            .store
            .get_state(CURSOR)
            .await?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    }
}

/// A stable key for a batch: the same mutations in the same order give the same key.
fn batch_key(mutations: &[Mutation]) -> String {
    let ids: Vec<u8> = mutations
        .iter()
        .flat_map(|m| m.id.as_bytes().to_vec())
        .collect();
    Uuid::new_v5(&Uuid::NAMESPACE_OID, &ids).to_string()
}

async fn outbox_counts(pool: &sqlx::SqlitePool) -> Result<(u32, u32)> {
    let row = sqlx::query(
        "SELECT coalesce(sum(status = 'pending' AND applied = 0), 0) AS pending, \
                coalesce(sum(status = 'rejected'), 0) AS rejected FROM outbox",
    )
    .fetch_one(pool)
    .await?;
    let n = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    Ok((n(row.try_get("pending")?), n(row.try_get("rejected")?)))
}

async fn set_cursor_on(conn: &mut SqliteConnection, cursor: u64) -> Result<()> {
    sqlx::query(
        "INSERT INTO sync_state (key, value) VALUES (?, ?) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(CURSOR)
    .bind(cursor.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes every mirrored row and the cursor; the outbox and local work stay.
pub async fn wipe_mirror(store: &Store) -> Result<()> {
    let mut conn = store.pool().acquire().await?;
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await?;
    let outcome = wipe_mirror_on(&mut conn).await;
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *conn)
        .await?;
    outcome
}

/// [`wipe_mirror`] on a connection with foreign keys off. Indexes a first sync dropped are built
/// again, on the empty tables.
async fn wipe_mirror_on(conn: &mut SqliteConnection) -> Result<()> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    for table in MIRROR_TABLES
        .iter()
        .chain(&["partner_figures", "partner_search", "figures_dirty"])
    {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *tx)
            .await?;
    }
    store::restore_indexes(&mut tx).await?;
    sqlx::query("DELETE FROM sync_state WHERE key = ?")
        .bind(CURSOR)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Where a round's pull stands, across its passes.
#[derive(Debug)]
struct Round {
    cursor: u64,
    /// The cursor the round started from (progress is counted from it).
    start: u64,
    /// Whether the round already read the feed again from the start; it does so once at most.
    rebuilt: bool,
    /// Whether this pass fills an empty mirror from the start.
    first_sync: bool,
    first_page: bool,
    totals: LedgerTotals,
    /// When the round, or its pass from the start, began; with `rows`, the pace of its progress.
    started: Instant,
    /// Changes written since then.
    rows: u64,
}

impl Round {
    /// Back to the start of the feed; `emptied` when the mirror was wiped first.
    fn restart(&mut self, emptied: bool) {
        self.cursor = 0;
        self.start = 0;
        self.started = Instant::now();
        self.rows = 0;
        self.rebuilt = true;
        if emptied {
            self.first_sync = true;
            self.first_page = true;
            self.totals = LedgerTotals::new(true);
        }
    }
}

/// The time a download `done` of `total` feed positions into it, `elapsed` so far, still needs
/// at the pace it kept; none before a second of it, when the pace says little yet.
fn seconds_left(done: u64, total: u64, elapsed: Duration) -> Option<u32> {
    if done == 0 || elapsed < Duration::from_secs(1) {
        return None;
    }
    let left = elapsed.as_secs_f64() * total.saturating_sub(done) as f64 / done as f64;
    Some(left.ceil().min(f64::from(u32::MAX)) as u32)
}

/// How a pass over the feed ended.
#[derive(Debug)]
enum Pass {
    Done,
    /// The round reads the feed again from the start.
    Restart,
}

#[derive(Debug, Default)]
struct Applied {
    kept_local: u64,
    mismatched: Vec<String>,
    building_indexes: Duration,
}

/// Each partner's ledger in the mirror, (entries, balance in hundredths), for the partners a round
/// has checked so far: read from the mirror the first time a page's trailer names the partner
/// (in a first sync, every partner starts at nothing), then kept up to date with the lines the
/// round inserts. A page's checksums then cost a lookup each, not a pass over the partner's whole
/// ledger, which made a first sync quadratic in the size of the ledger. Updated only once a page
/// has committed; a round starts without it.
#[derive(Debug, Default)]
struct LedgerTotals {
    known: HashMap<PartnerId, (u64, i64)>,
    /// Whether a partner not in `known` has no lines in the mirror.
    complete: bool,
}

impl LedgerTotals {
    fn new(empty_ledger: bool) -> LedgerTotals {
        LedgerTotals {
            known: HashMap::new(),
            complete: empty_ledger,
        }
    }

    fn get(&self, partner: &PartnerId) -> Option<(u64, i64)> {
        self.known
            .get(partner)
            .copied()
            .or(self.complete.then_some((0, 0)))
    }
}

/// What a page does to the mirror's secondary indexes, in its transaction.
#[derive(Debug, Clone, Copy)]
struct Indexes {
    /// Drop them (the first page of a first sync).
    defer: bool,
    /// Build again those a first sync dropped (the last page of a round).
    restore: bool,
}

/// Whether the mirror holds no rows at all.
async fn mirror_is_empty(conn: &mut SqliteConnection) -> Result<bool> {
    for table in MIRROR_TABLES {
        let any: bool = sqlx::query_scalar(&format!("SELECT EXISTS (SELECT 1 FROM {table})"))
            .fetch_one(&mut *conn)
            .await?;
        if any {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether the outbox holds changes no round has tried to send yet.
async fn unsent(pool: &sqlx::SqlitePool) -> Result<bool> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT EXISTS (SELECT 1 FROM outbox \
         WHERE status = 'pending' AND applied = 0 AND attempts = 0)",
    )
    .fetch_one(pool)
    .await?
        != 0)
}

/// Applies one page and moves the cursor, in one transaction, on the round's connection.
///
/// Foreign keys are off on this connection while it applies: the feed is ordered by change, not
/// by dependency (a customer updated late comes after the deployments that name it), so
/// references settle once the mirror has caught up, as the server guarantees.
async fn apply_page(
    conn: &mut PoolConnection<Sqlite>,
    page: &Page,
    totals: &mut LedgerTotals,
    indexes: Indexes,
) -> std::result::Result<Applied, SyncError> {
    let mut tx = sqlx::Connection::begin(&mut **conn).await?;
    if indexes.defer {
        store::defer_indexes(&mut tx, MIRROR_TABLES).await?;
    }
    // Rows with a pending local change, by entity.
    let mut pending: HashMap<String, HashSet<String>> = HashMap::new();
    for (entity, id) in sqlx::query_as::<_, (String, String)>(
        "SELECT entity, entity_id FROM outbox WHERE status = 'pending' AND applied = 0",
    )
    .fetch_all(&mut *tx)
    .await?
    {
        pending.entry(entity).or_default().insert(id);
    }
    // Changes the platform applied that wait for their copy: (entity, id) → outbox ids, and a
    // purchase by its ledger line's id (the mutation's own).
    let mut waiting: HashMap<(String, String), Vec<String>> = HashMap::new();
    for (id, entity, entity_id) in sqlx::query_as::<_, (String, String, String)>(
        "SELECT id, entity, entity_id FROM outbox WHERE applied = 1",
    )
    .fetch_all(&mut *tx)
    .await?
    {
        let key = if entity == "credit_purchase" {
            (Entity::LedgerEntry.as_str().to_string(), id.clone())
        } else {
            (entity, entity_id)
        };
        waiting.entry(key).or_default().push(id);
    }
    let mut arrived: Vec<String> = Vec::new();
    let mut applied = Applied::default();
    let mut rows = Rows::default();
    let mut deletes: HashMap<Entity, Vec<String>> = HashMap::new();
    for change in &page.changes {
        if !waiting.is_empty() {
            // The feed holds each row's latest change: this one includes every change the
            // platform applied to the row before the download began.
            if let Some(ids) =
                waiting.remove(&(change.entity.as_str().to_string(), change.id.clone()))
            {
                arrived.extend(ids);
            }
        }
        // Deals and quotes are the exception: the mirror holds only the platform's copy, and the
        // app shows a user's pending changes on top of it (see `deals`), so the copy stays
        // current.
        if !matches!(
            change.entity,
            Entity::Deal | Entity::Quote | Entity::ActionItem
        ) && pending
            .get(change.entity.as_str())
            .is_some_and(|ids| ids.contains(&change.id))
        {
            applied.kept_local += 1;
            continue;
        }
        match (change.op, &change.row) {
            (Op::Upsert, Some(row)) => {
                let version = i64::try_from(change.version).unwrap_or(i64::MAX);
                match row {
                    Row::Partner(r) => rows.partners.push((r, version)),
                    Row::Territory(r) => rows.territories.push((r, version)),
                    Row::Customer(r) => rows.customers.push((r, version)),
                    Row::Deployment(r) => rows.deployments.push((r, version)),
                    Row::LedgerEntry(r) => rows.ledger.push(r),
                    Row::NpsResponse(r) => rows.nps.push(r),
                    Row::CatalogItem(r) => rows.catalog.push((r, version)),
                    Row::CustomerMigration(r) => rows.migrations.push(r),
                    Row::Deal(r) => rows.deals.push((r, version)),
                    Row::TerritoryClaim(r) => rows.claims.push((r.clone(), version)),
                    Row::Quote(r) => rows.quotes.push((r, version)),
                    Row::ActionItem(r) => rows.action_items.push((r, version)),
                }
            }
            (Op::Upsert, None) => {
                return Err(ApiError::BadPage(format!(
                    "upsert of {} {} without data",
                    change.entity.as_str(),
                    change.id
                ))
                .into())
            }
            (Op::Delete, _) => deletes
                .entry(change.entity)
                .or_default()
                .push(change.id.clone()),
        }
    }
    let written = store::upsert_rows(&mut tx, &rows).await?;
    for (entity, ids) in &deletes {
        delete_rows(&mut tx, *entity, ids).await?;
    }
    for id in &arrived {
        sqlx::query("DELETE FROM outbox WHERE id = ? AND applied = 1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    store::mark_figures_dirty(&mut tx, &rows.touched_partners()).await?;

    // What the page did to each partner's ledger. When the mirror held some of its lines already
    // (a refetch from the start), which ones is unknown: those partners are read again.
    let every_line_new = written.ledger_inserted == rows.ledger.len() as u64;
    let mut added: HashMap<PartnerId, (u64, i64)> = HashMap::new();
    for line in &rows.ledger {
        let a = added.entry(line.partner_id).or_default();
        a.0 += 1;
        a.1 += line.credits.minor();
    }
    let mut checked = Vec::with_capacity(page.trailer.checksums.len());
    for sum in &page.trailer.checksums {
        let known = every_line_new
            .then(|| totals.get(&sum.partner_id))
            .flatten()
            .map(|(n, minor)| {
                let a = added.get(&sum.partner_id).copied().unwrap_or_default();
                (n + a.0, minor + a.1)
            });
        let (n, minor) = match known {
            Some(t) => t,
            None => {
                let (n, minor): (i64, i64) = sqlx::query_as(
                    "SELECT count(*), coalesce(sum(credits_minor), 0) \
                     FROM ledger_entries WHERE partner_id = ?",
                )
                .bind(sum.partner_id.to_string())
                .fetch_one(&mut *tx)
                .await?;
                (u64::try_from(n).unwrap_or_default(), minor)
            }
        };
        if n != sum.entries || minor != sum.balance.minor() {
            applied.mismatched.push(sum.partner_id.to_string());
        }
        checked.push((sum.partner_id, (n, minor)));
    }
    if indexes.restore {
        let started = Instant::now();
        if store::restore_indexes(&mut tx).await? {
            applied.building_indexes = started.elapsed();
            tracing::info!(
                ms = applied.building_indexes.as_millis() as u64,
                "built the indexes a first sync had dropped"
            );
        }
    }
    set_cursor_on(&mut tx, page.trailer.next).await?;
    tx.commit().await?;

    if !every_line_new {
        totals.complete = false;
    }
    for (partner, a) in added {
        if every_line_new {
            if let Some((n, minor)) = totals.get(&partner) {
                totals.known.insert(partner, (n + a.0, minor + a.1));
            }
        } else {
            totals.known.remove(&partner);
        }
    }
    totals.known.extend(checked);
    Ok(applied)
}

async fn delete_rows(conn: &mut SqliteConnection, entity: Entity, ids: &[String]) -> Result<()> {
    // The partners whose figures the deleted rows counted in.
    let owners: &[&str] = match entity {
        Entity::Partner => &["partners.id"],
        Entity::Territory => &["territories.partner_id"],
        Entity::Customer => &["customers.partner_id"],
        Entity::Deployment => &["deployments.partner_id"],
        Entity::NpsResponse => &["nps_responses.partner_id"],
        Entity::CustomerMigration => &[
            "customer_migrations.from_partner_id",
            "customer_migrations.to_partner_id",
        ],
        Entity::Deal => &["deals.partner_id"],
        Entity::LedgerEntry
        | Entity::CatalogItem
        | Entity::TerritoryClaim
        | Entity::Quote
        | Entity::ActionItem => &[],
    };
    for owner in owners {
        let (table, column) = owner.split_once('.').expect("table.column");
        store::mark_figures_dirty_where_in(conn, table, column, ids).await?;
    }
    let (table, key) = match entity {
        Entity::Partner => {
            store::delete_where_in(conn, "partner_brands", "partner_id", ids).await?;
            ("partners", "id")
        }
        Entity::Territory => ("territories", "id"),
        Entity::Customer => ("customers", "id"),
        Entity::Deployment => ("deployments", "id"),
        Entity::LedgerEntry => {
            // The ledger is append-only; a server that deletes a line is wrong, not obeyed.
            tracing::warn!(count = ids.len(), "ignoring deletes of ledger lines");
            return Ok(());
        }
        Entity::NpsResponse => ("nps_responses", "id"),
        Entity::CatalogItem => {
            store::delete_where_in(conn, "catalog_item_brands", "sku", ids).await?;
            ("catalog_items", "sku")
        }
        Entity::CustomerMigration => ("customer_migrations", "id"),
        Entity::Deal => ("deals", "id"),
        Entity::TerritoryClaim => ("territory_claims", "id"),
        Entity::Quote => ("quotes", "id"),
        Entity::ActionItem => ("action_items", "id"),
    };
    store::delete_where_in(conn, table, key, ids).await
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::seconds_left;

    #[test]
    fn time_left_follows_the_pace_so_far() {
        // A quarter done in 10 s: three quarters more take 30 s.
        assert_eq!(seconds_left(250, 1_000, Duration::from_secs(10)), Some(30));
        // Part of a second is a whole one.
        assert_eq!(seconds_left(3, 4, Duration::from_secs(2)), Some(1));
        assert_eq!(seconds_left(1_000, 1_000, Duration::from_secs(9)), Some(0));
    }

    #[test]
    fn time_left_is_unknown_before_the_pace_is() {
        assert_eq!(seconds_left(0, 1_000, Duration::from_secs(5)), None);
        assert_eq!(seconds_left(500, 1_000, Duration::from_millis(400)), None);
    }
}
