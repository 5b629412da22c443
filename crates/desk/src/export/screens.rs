//! A screen's table saved as a file: which table each export kind is, for which partner, and the
//! file's name (`<what>-<partner>-<as-of>.<csv|xlsx>`).

use std::path::Path;

use chrono::Utc;

use super::{ExportFormat, Lang};
use crate::error::{DeskError, Result};
use crate::store::Store;
use crate::views::{ExportKind, PortfolioQuery};
use crate::{portfolio, workspace};

/// Writes the table of `kind` (the portfolio matching `query`, or one of `partner_id`'s tables)
/// into `dir`, as the figures stand on the data's day; returns the file's path.
pub async fn screen(
    store: &Store,
    kind: ExportKind,
    partner_id: Option<&str>,
    query: &PortfolioQuery,
    format: ExportFormat,
    lang: Lang,
    dir: &Path,
) -> Result<String> {
    let as_of = workspace::as_of(store).await?;
    let partner = match (kind, partner_id) {
        (ExportKind::Portfolio, _) => None,
        (_, Some(id)) => Some(portfolio::partner::parse_id(id)?),
        (_, None) => {
            return Err(DeskError::InvalidInput {
                field: "partner_id",
                reason: "is required for this table".into(),
            })
        }
    };
    let (table, subject) = match (kind, partner) {
        (ExportKind::Portfolio, _) => (
            super::portfolio(&portfolio::list_all(store, query).await?, lang)?,
            "portfolio".to_string(),
        ),
        (kind, Some(id)) => {
            let name = portfolio::row(store, id).await?.name;
            let table = match kind {
                ExportKind::Ledger => super::ledger(store, id, lang).await?,
                ExportKind::Customers => super::customers(store, id, as_of, lang).await?,
                ExportKind::Deals => super::deals(store, id, Utc::now().date_naive(), lang).await?,
                ExportKind::Pipeline => {
                    super::pipeline(store, id, Utc::now().date_naive(), lang).await?
                }
                _ => super::deployments(store, id, lang).await?,
            };
            let what = match kind {
                ExportKind::Ledger => "ledger",
                ExportKind::Customers => "customers",
                ExportKind::Deals => "deals",
                ExportKind::Pipeline => "pipeline",
                _ => "deployments",
            };
            (table, format!("{what}-{name}"))
        }
        (_, None) => unreachable!("checked above"),
    };
    let slug: String = subject
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let path = dir.join(super::file_name(
        &format!("{slug}-{}", as_of.format("%Y-%m-%d")),
        format.extension(),
    ));
    super::save(table, format, path.clone()).await?;
    tracing::info!(kind = ?kind, "exported a table");
    Ok(path.display().to_string())
}
