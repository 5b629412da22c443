//! Work a request leaves running after its handler has returned: a feed page's writer streams
//! the body from a task of its own. Stopping the server waits for these before it closes the
//! database, so that no page is still opening a connection when the pool closes (sqlx then gives
//! up on the connection being made, and its thread opens and closes the file after the pool
//! counts as closed).

use std::future::Future;
use std::sync::Arc;

use tokio::sync::Semaphore;

/// Far more than can run at once; each task holds one.
const SLOTS: u32 = 1 << 16;

/// The server's background tasks. Cheap to clone; every clone tracks the same tasks.
#[derive(Clone, Debug)]
pub(crate) struct Background(Arc<Semaphore>);

impl Background {
    pub(crate) fn new() -> Background {
        Background(Arc::new(Semaphore::new(SLOTS as usize)))
    }

    /// Runs `work` on a task of its own, counted until it ends.
    pub(crate) fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        let slot = Arc::clone(&self.0).try_acquire_owned();
        tokio::spawn(async move {
            let _slot = slot;
            work.await;
        });
    }

    /// Waits until every task spawned so far has ended.
    pub(crate) async fn finished(&self) {
        // The semaphore is never closed, so this only waits.
        let _ = self.0.acquire_many(SLOTS).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn finished_waits_for_every_task_spawned() {
        let background = Background::new();
        let done = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&done);
        background.spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            flag.store(true, Ordering::SeqCst);
        });
        background.finished().await;
        assert!(
            done.load(Ordering::SeqCst),
            "finished before the task ended"
        );
        // And again, with nothing running: at once.
        tokio::time::timeout(Duration::from_secs(1), background.finished())
            .await
            .expect("finished waits with no task running");
    }
}
