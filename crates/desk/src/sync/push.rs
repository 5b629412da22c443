//! Push: the outbox sent to the central API, batch by batch.
//!
//! Pending outbox rows go in order, in batches, with an `Idempotency-Key` derived from the
//! batch's mutation ids so a resend is recognised. Each mutation comes back applied (kept, marked
//! applied and never sent again, until the page that brings the platform's copy of its row takes
//! it away in the same transaction, so the screen never shows neither), rejected (kept, with its
//! reason, for the user; it never blocks the rest) or retry (kept pending).

use program::contract::{Mutation, MutationBatch, Outcome};
use uuid::Uuid;

use crate::error::DeskError;
use crate::outbox::{self, Select, Status};

use super::engine::{SyncEngine, SyncError, SyncReport};

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
                        sqlx::query!("UPDATE outbox SET applied = 1 WHERE id = ?", id)
                            .execute(&mut *tx)
                            .await?;
                        report.pushed += 1;
                        progressed = true;
                    }
                    Outcome::Rejected { reason, .. } => {
                        let rejected = Status::Rejected.as_str();
                        sqlx::query!(
                            "UPDATE outbox SET status = ?, last_error = ?, \
                             attempts = attempts + 1 WHERE id = ?",
                            rejected,
                            reason,
                            id,
                        )
                        .execute(&mut *tx)
                        .await?;
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
            if !progressed {
                // Everything came back "retry": leave it for the next round.
                return Ok(());
            }
        }
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
