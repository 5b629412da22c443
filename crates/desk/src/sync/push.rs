//! Push: the outbox sent to the central API, batch by batch.
//!
//! Pending outbox rows go in order, in batches, with an `Idempotency-Key` derived from the
//! batch's mutation ids so a resend is recognised. Each mutation comes back applied (kept, marked
//! applied and never sent again, until the page that brings the platform's copy of its row takes
//! it away in the same transaction, so the screen never shows neither), rejected (kept, with its
//! reason, for the user; it never blocks the rest) or retry (kept pending). Batches are capped by
//! count and by bytes; a batch the platform refuses whole is halved until the change at fault is
//! found, and only that one is rejected.

use program::contract::{Mutation, MutationBatch, MutationResults, Outcome};
use uuid::Uuid;

use crate::api::ApiError;
use crate::error::DeskError;
use crate::outbox::{self, Select, Status};
use crate::store;

use super::engine::{SyncEngine, SyncError, SyncReport};

/// The most a batch carries, in bytes of JSON: well under the reference server's 2 MB limit, so a
/// batch of long quotes goes as several.
pub const MAX_BATCH_BYTES: usize = 512 * 1024;

impl SyncEngine {
    pub(super) async fn push(&self, report: &mut SyncReport) -> std::result::Result<(), SyncError> {
        loop {
            let queued = outbox::read(
                self.store.pool(),
                Select {
                    status: Some(Status::Pending),
                    applied: Some(false),
                    limit: Some(self.options.batch_size),
                    ..Select::default()
                },
            )
            .await?;
            if queued.is_empty() {
                return Ok(());
            }
            let mutations = queued
                .into_iter()
                .map(|q| {
                    Ok(Mutation {
                        id: q
                            .id
                            .parse()
                            .map_err(|_| DeskError::Corrupt(format!("outbox id {}", q.id)))?,
                        base_version: q.base_version,
                        kind: q.change,
                    })
                })
                .collect::<Result<Vec<_>, DeskError>>()?;
            let mutations = capped_by_bytes(mutations);
            if !self.send_batch(mutations, report).await? {
                // Everything came back "retry": leave it for the next round.
                return Ok(());
            }
        }
    }

    /// Sends `mutations` as one batch and records each outcome; whether any made progress. A
    /// batch the platform refuses whole (it is malformed, or too large, for one of its
    /// mutations) is halved until the mutation at fault is alone, and that one is marked
    /// rejected with the platform's reason: one bad change never holds back the others.
    async fn send_batch(
        &self,
        mutations: Vec<Mutation>,
        report: &mut SyncReport,
    ) -> std::result::Result<bool, SyncError> {
        let mut pending = vec![mutations];
        let mut progressed = false;
        while let Some(mutations) = pending.pop() {
            let key = batch_key(&mutations);
            let batch = MutationBatch { mutations };
            match self.retrying(|| self.api.mutations(&batch, &key)).await {
                Ok(results) => {
                    progressed |= self.record(&results, report).await?;
                }
                Err(ApiError::Refused { status, detail }) if refused_whole(status) => {
                    let mut mutations = batch.mutations;
                    if mutations.len() == 1 {
                        let id = mutations[0].id.to_string();
                        let reason =
                            format!("the platform refused this change ({status}): {detail}");
                        tracing::warn!(status, "the platform refused a change whole");
                        mark_rejected(&self.store, &id, &reason).await?;
                        report.rejected += 1;
                        progressed = true;
                    } else {
                        tracing::info!(
                            status,
                            mutations = mutations.len(),
                            "a batch was refused whole: sending it in halves"
                        );
                        let second = mutations.split_off(mutations.len() / 2);
                        // The first half goes first: the outbox's order is kept.
                        pending.push(second);
                        pending.push(mutations);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(progressed)
    }

    /// Records each mutation's outcome, in one transaction; whether any was applied or rejected.
    async fn record(
        &self,
        results: &MutationResults,
        report: &mut SyncReport,
    ) -> std::result::Result<bool, SyncError> {
        let mut tx = self.store.pool().begin_with(store::BEGIN_WRITE).await?;
        let mut progressed = false;
        for r in &results.results {
            let id = r.id.to_string();
            match &r.outcome {
                Outcome::Applied => {
                    // Kept (and shown) until this round's download brings the platform's copy;
                    // never sent again.
                    sqlx::query!("UPDATE outbox SET applied = 1 WHERE id = ?", id)
                        .execute(&mut *tx)
                        .await?;
                    report.pushed += 1;
                    progressed = true;
                }
                Outcome::Rejected { reason, .. } => {
                    reject_on(&mut tx, &id, reason).await?;
                    report.rejected += 1;
                    progressed = true;
                }
                Outcome::Retry { reason } => {
                    sqlx::query!(
                        "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                        reason,
                        id,
                    )
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(progressed)
    }
}

/// Whether a refusal of a whole batch can be narrowed down to one of its mutations: the body is
/// malformed, too large or not understood. (Any other refusal, 401 or 403, is the session's.)
fn refused_whole(status: u16) -> bool {
    matches!(status, 400 | 413 | 415 | 422)
}

/// The longest prefix of `mutations` whose JSON stays under [`MAX_BATCH_BYTES`] (one mutation at
/// least, whatever its size: alone, the platform says whether it takes it).
fn capped_by_bytes(mut mutations: Vec<Mutation>) -> Vec<Mutation> {
    let mut bytes = 0;
    let keep = mutations
        .iter()
        .take_while(|m| {
            bytes += serde_json::to_vec(m).map_or(usize::MAX / 2, |json| json.len() + 1);
            bytes <= MAX_BATCH_BYTES
        })
        .count()
        .max(1);
    mutations.truncate(keep);
    mutations
}

async fn reject_on(
    conn: &mut sqlx::SqliteConnection,
    id: &str,
    reason: &str,
) -> std::result::Result<(), SyncError> {
    let rejected = Status::Rejected.as_str();
    sqlx::query!(
        "UPDATE outbox SET status = ?, last_error = ?, attempts = attempts + 1 WHERE id = ?",
        rejected,
        reason,
        id,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn mark_rejected(
    store: &crate::store::Store,
    id: &str,
    reason: &str,
) -> std::result::Result<(), SyncError> {
    reject_on(&mut *store.pool().acquire().await?, id, reason).await
}

/// A stable key for a batch: the same mutations in the same order give the same key.
fn batch_key(mutations: &[Mutation]) -> String {
    let ids: Vec<u8> = mutations
        .iter()
        .flat_map(|m| m.id.as_bytes().to_vec())
        .collect();
    Uuid::new_v5(&Uuid::NAMESPACE_OID, &ids).to_string()
}
