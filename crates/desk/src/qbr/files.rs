//! A review's files: their names, and writing the deck (PDF and PPTX) and the workbook.

use std::path::{Path, PathBuf};

use program::Lang;

use super::deck::{write_deck, TEMPLATE};
use super::model::{Audience, Review};
use super::slides::write_slides;
use super::workbook::workbook;
use crate::error::{DeskError, Result};

/// The file name of a partner's deck or workbook: `QBR-2026-Q3-<partner>.pdf`, and
/// `QBR-2026-Q3-<partner>-internal.pdf` when it carries the internal appendix, so that it is not
/// sent to the partner by mistake.
pub fn file_name(review: &Review, audience: Audience, extension: &str) -> String {
    let partner: String = review
        .partner
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let suffix = match Audience::of(review, audience) {
        Audience::Partner => "",
        Audience::Internal => "-internal",
    };
    crate::export::file_name(
        &format!("QBR-{}-{partner}{suffix}", review.quarter),
        extension,
    )
}

/// Where a review's files were written.
#[derive(Debug, Clone)]
pub struct ReviewPaths {
    /// The deck to present or send (PDF).
    pub deck: PathBuf,
    /// The same deck, for the account manager to edit (PPTX).
    pub slides: PathBuf,
    /// Every table in full (XLSX).
    pub workbook: PathBuf,
}

/// Writes the deck (PDF and PPTX) and the workbook of `review` for `audience` into `dir`.
pub async fn export(
    review: Review,
    lang: Lang,
    audience: Audience,
    template: Option<PathBuf>,
    dir: &Path,
) -> Result<ReviewPaths> {
    let template = match template.filter(|t| t.exists()) {
        Some(path) => tokio::fs::read_to_string(path).await?,
        None => TEMPLATE.to_string(),
    };
    let paths = ReviewPaths {
        deck: dir.join(file_name(&review, audience, "pdf")),
        slides: dir.join(file_name(&review, audience, "pptx")),
        workbook: dir.join(file_name(&review, audience, "xlsx")),
    };
    let to = paths.clone();
    tokio::task::spawn_blocking(move || -> Result<()> {
        write_deck(&review, lang, audience, &template, &to.deck)?;
        write_slides(&review, lang, audience, &to.slides)?;
        crate::export::write_workbook(&workbook(&review, lang, audience)?, &to.workbook)
    })
    .await
    .map_err(|e| DeskError::Io(std::io::Error::other(e)))??;
    Ok(paths)
}
