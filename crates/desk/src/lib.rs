//! Partner Desk's backend, without Tauri.
//!
//! Owns the local SQLite cache (`store`), the services each screen calls (`portfolio`,
//! `partners`), logging, and the IPC types (`views`, `error`). It knows nothing of windows: the
//! Tauri shell maps its commands onto `Desk`'s methods.

pub mod error;
pub mod logging;
pub mod partners;
pub mod portfolio;
pub mod store;
pub mod views;

use std::path::Path;

use chrono::{NaiveDate, Utc};
use program::contract::Dataset;

use crate::error::Result;
use crate::store::Store;
use crate::views::{PartnerPage, PortfolioQuery, PortfolioRow, WorkspaceInfo, WorkspaceKind};

/// The backend as the UI sees it: one per open workspace.
#[derive(Debug, Clone)]
pub struct Desk {
    store: Store,
}

const STATE_KIND: &str = "workspace_kind";
const STATE_AS_OF: &str = "as_of";

impl Desk {
    /// Opens the workspace cache in `data_dir`.
    pub async fn open(data_dir: &Path) -> Result<Desk> {
        let store = Store::open(&data_dir.join(store::CACHE_FILE)).await?;
        Ok(Desk { store })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Whether a workspace has been loaded into the cache.
    pub async fn has_workspace(&self) -> Result<bool> {
        Ok(!self.store.is_empty().await?)
    }

    /// Loads a whole workspace snapshot as of `as_of`, in one transaction.
    pub async fn load_workspace(
        &self,
        data: &Dataset,
        kind: WorkspaceKind,
        as_of: NaiveDate,
    ) -> Result<()> {
        let kind = match kind {
            WorkspaceKind::Demo => "demo",
            WorkspaceKind::Remote => "remote",
        };
        self.store
            .load_dataset(
                data,
                &[
                    (STATE_KIND, kind.to_string()),
                    (STATE_AS_OF, as_of.format("%Y-%m-%d").to_string()),
                ],
            )
            .await?;
        tracing::info!(
            partners = data.partners.len(),
            deployments = data.deployments.len(),
            "workspace loaded"
        );
        Ok(())
    }

    /// The date the figures are computed for: the data's as-of date, else today (UTC).
    pub async fn as_of(&self) -> Result<NaiveDate> {
        Ok(self
            .store
            .get_state(STATE_AS_OF)
            .await?
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| Utc::now().date_naive()))
    }

    pub async fn workspace_info(&self) -> Result<WorkspaceInfo> {
        let count = |table: &'static str| {
            let pool = self.store.pool().clone();
            async move {
                let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                    .fetch_one(&pool)
                    .await?;
                Ok::<u32, error::DeskError>(u32::try_from(n).unwrap_or(u32::MAX))
            }
        };
        let kind = match self.store.get_state(STATE_KIND).await?.as_deref() {
            Some("remote") => WorkspaceKind::Remote,
            _ => WorkspaceKind::Demo,
        };
        Ok(WorkspaceInfo {
            kind,
            partners: count("partners").await?,
            customers: count("customers").await?,
            deployments: count("deployments").await?,
            as_of: self.as_of().await?.format("%Y-%m-%d").to_string(),
        })
    }

    pub async fn portfolio(&self, query: &PortfolioQuery) -> Result<Vec<PortfolioRow>> {
        portfolio::list(&self.store, query, self.as_of().await?).await
    }

    pub async fn partner_page(&self, id: &str) -> Result<PartnerPage> {
        let id = partners::parse_id(id)?;
        partners::page(&self.store, id, self.as_of().await?).await
    }
}
