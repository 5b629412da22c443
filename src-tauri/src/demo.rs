//! The demo workspace: the reference central API started in-process on a loopback port, with a
//! token made for this run, synced over real HTTP like any remote workspace.

use std::path::{Path, PathBuf};

use central_api::demo::GENERATION;
use central_api::server::{self, KeyPragma, RunningServer, ServerConfig};
use chrono::Utc;
use desk::api::Token;
use desk::error::DeskError;
use desk::signin::Credentials;
use desk::store::cipher;
use desk::sync::SyncOptions;
use desk::views::{StartupStep, WorkspaceKind};
use desk::Desk;
use program::contract::Role;
use tokio::sync::Mutex;

/// The demo server's own database, beside the cache, one per generation of the demo world
/// (`central_api::demo::GENERATION`): a newer app makes its world afresh instead of serving an
/// older one its rules may refuse.
fn demo_db(data_dir: &Path, generation: u32) -> PathBuf {
    data_dir.join(format!("demo-central-api-{generation}.sqlite3"))
}

/// Removes the databases of earlier demo worlds (and their journals), if any are left.
fn remove_earlier_worlds(data_dir: &Path) {
    let earlier = (1..GENERATION).map(|g| demo_db(data_dir, g));
    for db in earlier.chain([data_dir.join("demo-central-api.sqlite3")]) {
        let existed = db.exists();
        match cipher::remove_database(&db) {
            Ok(()) if existed => tracing::info!(path = ?db, "removed an earlier demo world"),
            Ok(()) => {}
            Err(e) => {
                tracing::warn!(path = ?db, error = %e, "could not remove an earlier demo world")
            }
        }
    }
}

/// Who the demo signs in as: an account manager with every demo partner in scope.
const DEMO_USER: &str = "Demo account manager";

pub struct Demo {
    db: PathBuf,
    server: Mutex<Option<RunningServer>>,
}

fn failed(e: impl std::fmt::Display) -> DeskError {
    DeskError::Corrupt(format!("the demo workspace could not start: {e}"))
}

impl Demo {
    pub fn new(data_dir: &Path) -> Demo {
        Demo {
            db: demo_db(data_dir, GENERATION),
            server: Mutex::new(None),
        }
    }

    /// Starts the demo server (once) and connects `desk` to it, telling `progress` each step.
    pub async fn open(
        &self,
        desk: &Desk,
        progress: &(dyn Fn(StartupStep) + Sync),
    ) -> desk::error::Result<()> {
        let mut server = self.server.lock().await;
        if server.is_none() {
            progress(if self.db.exists() {
                StartupStep::StartingDemo
            } else {
                StartupStep::CreatingDemo
            });
            if let Some(dir) = self.db.parent() {
                remove_earlier_worlds(dir);
            }
            // The demo's world is encrypted like the cache, under a key of its own.
            let key = cipher::key_for(&self.db).await?;
            cipher::prepare(&self.db, &key).await?;
            let config = ServerConfig {
                key: Some(KeyPragma {
                    key: key.pragma(),
                    page_size: cipher::PAGE_SIZE,
                }),
                ..ServerConfig::demo(&self.db, Utc::now().date_naive())
            };
            *server = Some(server::start(config).await.map_err(failed)?);
        }
        progress(StartupStep::Connecting);
        let running = server.as_ref().expect("started above");
        let partners = running.store().partner_ids().await.map_err(failed)?;
        let token = running
            .create_token(DEMO_USER, Role::PlatformAccountManager, &partners)
            .await
            .map_err(failed)?;
        let base = running.base_url().parse().map_err(failed)?;
        desk.connect(
            base,
            Credentials::token(Token::new(token)),
            WorkspaceKind::Demo,
            // The cache belongs to this demo world: a new world starts a new cache.
            &format!("demo-{GENERATION}"),
            SyncOptions::default(),
        )
        .await?;
        Ok(())
    }

    /// Leaves the demo workspace for a real one: stops the demo server and deletes its database
    /// (and journals) and key, so nothing of the demo's world is left on disk.
    pub async fn leave(&self) -> desk::error::Result<()> {
        if let Some(running) = self.server.lock().await.take() {
            if let Err(e) = running.shutdown().await {
                tracing::warn!(error = %e, "the demo server did not stop cleanly");
            }
        }
        cipher::remove_database(&self.db)?;
        desk::secrets::delete_database_key(&self.db).await?;
        Ok(())
    }
}
