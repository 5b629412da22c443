//! The QBR season: the reviews of many partners written at once, a few at a time, so that every
//! core typesets a deck (each review's SQL runs on a connection of the pool, each deck and
//! workbook on a blocking thread).

use std::collections::HashMap;
use std::path::Path;

use tokio::task::{Id, JoinError, JoinSet};

use crate::error::{DeskError, Result};
use crate::export::Lang;
use crate::qbr::{Audience, ReviewFiles};
use crate::Desk;

/// How many reviews to write at once by default: one more than the cores, so that a core whose
/// review waits on the disk (each file is synced before it is renamed into place) has another to
/// typeset. Measured by the season benchmark on 2 cores: 2 at a time 1.50× one core, 3 at a
/// time 1.73×, 4 at a time 1.71× with more memory.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()) + 1
}

impl Desk {
    /// Writes the review of each of `partners` (id, name) for `quarter` into `dir`, `jobs` at a
    /// time (at least one), and tells `done` of each as it ends, in the order they end. Returns
    /// the partners that failed, with why, by name.
    #[allow(clippy::too_many_arguments)]
    pub async fn export_reviews(
        &self,
        partners: &[(String, String)],
        quarter: &str,
        lang: Lang,
        audience: Audience,
        dir: &Path,
        jobs: usize,
        mut done: impl FnMut(&str, &Result<ReviewFiles>),
    ) -> Vec<(String, DeskError)> {
        let mut running = JoinSet::new();
        // Whose review each task writes, for a task that panics.
        let mut names = HashMap::new();
        let mut failed = Vec::new();
        let mut end = |joined: std::result::Result<(Id, Result<ReviewFiles>), JoinError>,
                       names: &mut HashMap<Id, String>| {
            let (id, result) = match joined {
                Ok(ended) => ended,
                // A panic is a failure of that review, not the end of the batch.
                Err(e) => (
                    e.id(),
                    Err(DeskError::Io(std::io::Error::other(e.to_string()))),
                ),
            };
            let name = names.remove(&id).unwrap_or_default();
            done(&name, &result);
            if let Err(e) = result {
                failed.push((name, e));
            }
        };
        for (id, name) in partners {
            while running.len() >= jobs.max(1) {
                if let Some(joined) = running.join_next_with_id().await {
                    end(joined, &mut names);
                }
            }
            let (desk, id) = (self.clone(), id.clone());
            let (quarter, dir) = (quarter.to_string(), dir.to_path_buf());
            let task = running.spawn(async move {
                desk.export_review(&id, &quarter, lang, audience, &dir)
                    .await
            });
            names.insert(task.id(), name.clone());
        }
        while let Some(joined) = running.join_next_with_id().await {
            end(joined, &mut names);
        }
        failed
    }
}
