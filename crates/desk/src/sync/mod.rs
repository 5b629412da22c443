//! Sync with the central API: push the outbox, then pull the change feed into the mirror.
//!
//! Pull: each page and the new cursor commit in one transaction, so a crash mid-sync resumes
//! from the last whole page and never applies a page twice. A row with a pending local change is
//! never overwritten by a download. A 410 rebuilds the mirror from the start and keeps the
//! outbox. A ledger checksum that disagrees with the mirror refetches the feed from the start
//! (upserts make that safe). Push: pending outbox rows go in order, in batches, each with an
//! `Idempotency-Key`; a mutation comes back applied, rejected or retry. Transient failures are
//! retried with back-off; the background loop keeps probing while offline.
//!
//! - `engine`: the options, errors and report, the engine, its rounds and its retries.
//! - `push`: the outbox sent in batches.
//! - `pull`: the change feed read on a round's own connection, pass by pass, with its progress.
//! - `mirror`: the mirrored tables, the cursor, a page applied in one transaction, a wipe.

mod engine;
mod mirror;
mod pull;
mod push;

pub use engine::{SyncEngine, SyncError, SyncOptions, SyncReport, LAST_SYNCED_AT};
pub use mirror::{wipe_mirror, CURSOR};
