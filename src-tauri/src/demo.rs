//! The demo workspace: the reference central API started in-process on a loopback port, with a
//! token made for this run, synced over real HTTP like any remote workspace.

use std::path::{Path, PathBuf};

use central_api::server::{self, RunningServer, ServerConfig};
use chrono::Utc;
use desk::api::Token;
use desk::error::DeskError;
use desk::signin::Credentials;
use desk::sync::SyncOptions;
use desk::views::WorkspaceKind;
use desk::Desk;
use program::contract::Role;
use tokio::sync::Mutex;

/// The demo server's own database, beside the cache.
const DEMO_DB: &str = "demo-central-api.sqlite3";
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
            db: data_dir.join(DEMO_DB),
            server: Mutex::new(None),
        }
    }

    /// Starts the demo server (once) and connects `desk` to it.
    pub async fn open(&self, desk: &Desk) -> desk::error::Result<()> {
        let mut server = self.server.lock().await;
        if server.is_none() {
            let config = ServerConfig::demo(&self.db, Utc::now().date_naive());
            *server = Some(server::start(config).await.map_err(failed)?);
        }
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
            "demo",
            SyncOptions::default(),
        )
        .await?;
        Ok(())
    }
}
