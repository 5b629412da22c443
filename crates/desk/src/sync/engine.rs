//! The sync engine: its options, errors and report, and its rounds (status, the background loop,
//! retries).
//!
//! Transient failures (network, 5xx, 429/503, a broken page) are retried with exponential
//! back-off and jitter, honouring `Retry-After`; the background loop keeps probing while offline
//! and syncs as soon as the network returns.

use std::sync::Arc;
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, SecondsFormat, Utc};
use tokio::sync::{watch, Notify};

use crate::api::{ApiClient, ApiError};
use crate::error::{DeskError, Result};
use crate::outbox;
use crate::store::Store;
use crate::views::{SyncPhase, SyncProblem, SyncProblemKind, SyncStatus};
use crate::workspace::{PROGRAM_POLICY, TOKEN_EXPIRES_AT, USER};

/// A key of `sync_state`: when the last round ended well.
pub const LAST_SYNCED_AT: &str = "last_synced_at";

/// How long before a token the app cannot renew expires the window starts saying so.
pub const TOKEN_WARNING: chrono::TimeDelta = chrono::TimeDelta::days(7);

/// The expiry to warn about at `now`: `expires_at` (RFC 3339) when it is at most
/// [`TOKEN_WARNING`] away, or already past.
pub fn token_warning(expires_at: Option<&str>, now: DateTime<Utc>) -> Option<String> {
    let text = expires_at?;
    let at = DateTime::parse_from_rfc3339(text).ok()?;
    (at.with_timezone(&Utc) - now <= TOKEN_WARNING).then(|| text.to_owned())
}

/// How sync paces itself. Tests shorten the delays.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Changes per page (the reference server sends at most 10,000).
    pub page_size: u32,
    /// SQLite's page cache, in MiB, of the connection that writes the pages of a round (SQLite's
    /// default is 2 MiB). The mirror's id indexes take random inserts: once they outgrow the
    /// cache, every row costs page reads and evictions. The connection is closed after the round,
    /// which gives the memory back. A first sync takes at most 64 MiB (see `pull`).
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
    pub(super) store: Store,
    pub(super) api: ApiClient,
    pub(super) options: SyncOptions,
    pub(super) status: watch::Sender<SyncStatus>,
    wake: Arc<Notify>,
    /// One round at a time, whoever asks.
    round: tokio::sync::Mutex<()>,
    /// Whether this session has read `GET /v1/me` (who the user is, when the token expires).
    me_read: std::sync::atomic::AtomicBool,
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
                token_expires_at: None,
            }),
            store,
            api,
            options,
            wake: Arc::new(Notify::new()),
            round: tokio::sync::Mutex::new(()),
            me_read: std::sync::atomic::AtomicBool::new(false),
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
        let (pending, rejected) = outbox::counts(&self.store).await?;
        let last = self.store.get_state(LAST_SYNCED_AT).await?;
        let expiry = self.token_warning().await?;
        self.status.send_modify(|s| {
            s.pending = pending;
            s.rejected = rejected;
            s.first_sync = last.is_none();
            s.last_synced_at = last;
            s.token_expires_at = expiry;
        });
        Ok(())
    }

    /// The token's expiry, when the window should warn of it now.
    async fn token_warning(&self) -> Result<Option<String>> {
        let expires_at = self.store.get_state(TOKEN_EXPIRES_AT).await?;
        Ok(token_warning(expires_at.as_deref(), Utc::now()))
    }

    /// Once a session: who the user is, and when the token expires if the app cannot renew it.
    async fn read_me(&self) -> std::result::Result<(), SyncError> {
        use std::sync::atomic::Ordering;
        if self.me_read.load(Ordering::Relaxed) {
            return Ok(());
        }
        let me = self.retrying(|| self.api.me()).await?;
        self.store.set_state(USER, &me.user).await?;
        match me.expires_at.filter(|_| !self.api.renews()) {
            Some(at) => {
                let at = at.to_rfc3339_opts(SecondsFormat::Secs, true);
                self.store.set_state(TOKEN_EXPIRES_AT, &at).await?;
            }
            None => self.store.delete_state(TOKEN_EXPIRES_AT).await?,
        }
        self.me_read.store(true, Ordering::Relaxed);
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
                        match outbox::unsent(&engine.store).await {
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

    /// One round: push the outbox, then pull every page (even when the push failed; the round
    /// then reports the push's error). Updates the status as it goes.
    pub async fn run_once(&self) -> std::result::Result<SyncReport, SyncError> {
        let _round = self.round.lock().await;
        self.status.send_modify(|s| {
            s.phase = SyncPhase::Syncing;
        });
        let started = Instant::now();
        let mut report = SyncReport::default();
        let outcome = async {
            // The download goes on whatever became of the upload: a change the platform will
            // not take (or a server that refuses writes for a while) never stops the mirror.
            let pushed = self.push(&mut report).await;
            if let Err(e) = &pushed {
                tracing::warn!(error = %e, "could not send the outbox; downloading anyway");
            }
            self.pull(&mut report).await?;
            pushed?;
            // Each page took away the applied changes it brought; a whole download has brought
            // them all (a change that touched nothing this user sees included).
            sqlx::query!("DELETE FROM outbox WHERE applied = 1")
                .execute(self.store.pool())
                .await?;
            let policy = self.retrying(|| self.api.program()).await?;
            self.store.set_state(PROGRAM_POLICY, &policy).await?;
            self.read_me().await?;
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
        let (pending, rejected) = outbox::counts(&self.store).await?;
        let last = self.store.get_state(LAST_SYNCED_AT).await?;
        let expiry = self.token_warning().await?;
        self.status.send_modify(|s| {
            s.pending = pending;
            s.rejected = rejected;
            s.token_expires_at = expiry;
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
    pub(super) async fn retrying<T, F, Fut>(&self, op: F) -> std::result::Result<T, ApiError>
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_warned_of_from_a_week_before_it_expires() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let warned = |at: &str| token_warning(Some(at), now);
        assert_eq!(warned("2026-12-09T12:00:00Z"), None, "8 days away");
        assert_eq!(warned("2026-12-08T12:00:01Z"), None, "a second past a week");
        assert_eq!(
            warned("2026-12-08T12:00:00Z").as_deref(),
            Some("2026-12-08T12:00:00Z"),
            "a week away"
        );
        assert!(warned("2026-12-02T00:00:00Z").is_some(), "tomorrow");
        assert!(warned("2026-11-30T00:00:00Z").is_some(), "already expired");
        assert_eq!(token_warning(None, now), None, "a token without expiry");
        assert_eq!(warned("next tuesday"), None, "unreadable");
    }
}
