//! Pull: the change feed read into the mirror, a round's passes over it and its progress.
//!
//! A round writes on one connection of its own, closed when the round ends, with foreign keys
//! off, a large page cache (`write_cache_mib`) and WAL checkpoints every 256 MB instead of every
//! 4 MB (`make bench` measures it). Pages are downloaded and decoded ahead of the writing (one
//! waiting, one on its way) while the current one is written. Each line is parsed once, straight
//! into the row it carries. Ledger checksums are checked against running totals, not by summing
//! each partner's ledger per page. A first sync (from cursor 0 into an empty mirror) drops the
//! mirror's secondary indexes in the transaction of its first page and builds them again in the
//! transaction of its last: one sorted build instead of millions of random inserts. If it stops
//! in between, the indexes are built before the cache is used again: by the failing round itself,
//! by a wipe, or, after a crash, by the next `Store::open`. Only the round doing the first sync
//! ever reads the mirror without them (the window may read it meanwhile, slower, and sees a
//! mirror still filling anyway).

use std::time::{Duration, Instant};

use sqlx::SqliteConnection;
use tokio::sync::mpsc;

use crate::api::{ApiError, Changes};
use crate::error::{DeskError, Result};
use crate::store;
use crate::views::SyncProgress;

use super::engine::{SyncEngine, SyncError, SyncReport};
use super::mirror::{
    apply_page, mirror_is_empty, set_cursor_on, wipe_mirror_on, Indexes, LedgerTotals, CURSOR,
};

/// The most page cache a first sync's writing connection takes, in MiB.
const FIRST_SYNC_CACHE_MIB: u32 = 64;

impl SyncEngine {
    /// Fetches the page after `cursor`, retrying transient failures.
    async fn fetch(&self, cursor: u64) -> std::result::Result<Changes, ApiError> {
        self.retrying(|| self.api.changes(cursor, self.options.page_size))
            .await
    }

    pub(super) async fn pull(&self, report: &mut SyncReport) -> std::result::Result<(), SyncError> {
        if self.first_sync_due().await? {
            return self.first_sync(report).await;
        }
        let mut conn = self.store.pool().acquire().await?;
        // This connection carries the round's settings (foreign keys off, a large page cache):
        // it is closed when the round ends, however it ends, never handed back to the pool.
        conn.close_on_drop();
        writing_connection(&mut conn, self.options.write_cache_mib).await?;
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
        let outcome = self.pull_on(&mut conn, report).await;
        if outcome.is_err() {
            // A mirror rebuilt from the start (after a 410) that stops midway leaves no cache
            // without its indexes behind.
            let restored = async {
                let mut tx = sqlx::Connection::begin_with(&mut *conn, store::BEGIN_WRITE).await?;
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

    /// Whether this round is a first sync: from the start of the feed into an empty mirror, of
    /// a cache still in the file it opened in.
    async fn first_sync_due(&self) -> Result<bool> {
        if self.store.on_first_sync_file() || self.cursor().await? != 0 {
            return Ok(false);
        }
        let mut conn = self.store.pool().acquire().await?;
        mirror_is_empty(&mut conn).await
    }

    /// A first sync: the whole feed into a file of its own, the cache from the start (see
    /// `store::first_sync`).
    async fn first_sync(&self, report: &mut SyncReport) -> std::result::Result<(), SyncError> {
        let mut conn = self.store.begin_first_sync().await?;
        // With the secondary indexes dropped, a first sync fills its tables in key order and
        // needs no big cache: at 1,000,000 deployments 64 MiB held the same pace as 256
        // (70.8 s against 72.0 s) and the process's peak 346 MB against 490 (`make bench`).
        let cache_mib = self.options.write_cache_mib.min(FIRST_SYNC_CACHE_MIB);
        writing_connection(&mut conn, cache_mib).await?;
        let mut round = Round {
            cursor: 0,
            start: 0,
            rebuilt: false,
            first_sync: true,
            first_page: true,
            totals: LedgerTotals::new(true),
            started: Instant::now(),
            rows: 0,
        };
        let mut downloaded = async {
            while let Pass::Restart = self.pass(&mut conn, report, &mut round).await? {}
            Ok::<_, SyncError>(())
        }
        .await;
        // However the download went, the cache is not left without its indexes.
        let started = Instant::now();
        let restored = async {
            let mut tx = sqlx::Connection::begin_with(&mut conn, store::BEGIN_WRITE).await?;
            let any = store::restore_indexes(&mut tx).await?;
            tx.commit().await?;
            Ok::<_, DeskError>(any)
        }
        .await;
        match restored {
            Ok(true) => report.building_indexes += started.elapsed(),
            Ok(false) => {}
            Err(e) if downloaded.is_ok() => downloaded = Err(e.into()),
            Err(e) => {
                tracing::warn!(error = %e, "could not rebuild the indexes after a failed sync")
            }
        }
        self.store.end_first_sync(conn).await?;
        downloaded?;
        report.cursor = round.cursor;
        Ok(())
    }

    /// [`SyncEngine::pull`] on the round's connection.
    async fn pull_on(
        &self,
        conn: &mut SqliteConnection,
        report: &mut SyncReport,
    ) -> std::result::Result<(), SyncError> {
        let cursor = self.cursor().await?;
        // From the start into an empty mirror in place: the cache lives in a first sync's file
        // made the cache by this process, and its mirror was emptied since.
        let first_sync = cursor == 0 && mirror_is_empty(conn).await?;
        let mut round = Round {
            cursor,
            start: cursor,
            rebuilt: false,
            first_sync,
            first_page: first_sync,
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
        let mut tx = sqlx::Connection::begin_with(&mut *conn, store::BEGIN_WRITE).await?;
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
        conn: &mut SqliteConnection,
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
                let applied =
                    apply_page(conn, &page, &mut round.totals, indexes, round.first_sync).await?;
                report.writing += started.elapsed();
                report.building_indexes += applied.building_indexes;
                report.pages += 1;
                if !page.skipped.is_empty() {
                    // A newer platform's kinds of data: this version has nowhere to keep them.
                    tracing::warn!(
                        kinds = ?page.skipped,
                        "skipped changes of kinds this version does not know"
                    );
                }
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

/// The settings of a round's writing connection: foreign keys off (the feed is ordered by
/// change, not by dependency), a page cache of `cache_mib`, statement journals in memory, helper
/// threads for the sorts of an index build (see `store::defer_indexes`).
async fn writing_connection(conn: &mut SqliteConnection, cache_mib: u32) -> Result<()> {
    let cache_kib = u64::from(cache_mib.max(2)) * 1024;
    for pragma in [
        "PRAGMA foreign_keys = OFF".to_string(),
        format!("PRAGMA cache_size = -{cache_kib}"),
        "PRAGMA temp_store = MEMORY".to_string(),
        "PRAGMA threads = 2".to_string(),
    ] {
        sqlx::query(&pragma).execute(&mut *conn).await?;
    }
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
