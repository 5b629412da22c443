//! Quotes on a laptop: priced from the synced catalog and FX rates, numbered so that laptops never
//! collide, written offline through the outbox, and printed as a customer-ready PDF.
//!
//! As with deals, the `quotes` table mirrors the platform's copy and only sync writes it; drafts,
//! revisions and status changes wait in the outbox and are shown on top (see `deals`). Amounts are
//! never stored: [`program::quotes::price`] computes them from a quote's lines, its frozen FX rate
//! and the catalog prices it was saved with, the same way here, in the PDF, in the exports and on
//! the server.

mod model;
mod pdf;
mod pricing;
mod shown;
mod write;

pub(crate) use model::{partner, Partner, Shown};
pub use model::{CatalogOption, QuoteCheck, QuoteForm, QuoteList, QuoteView};
pub use pdf::{
    export_pdf, format_amount, format_date, format_number, pdf_data, NumberStyle, TEMPLATE,
};
pub use pricing::check;
pub(crate) use shown::one_shown;
pub use shown::{get, list};
pub use write::{revise, save, set_status};

/// Refuses a text that is not a quote number (`program::quotes::check_quote_number`) before it
/// names a file: a number synced from elsewhere is data, not a path.
pub fn check_number(number: &str) -> crate::error::Result<()> {
    program::quotes::check_quote_number(number).map_err(|e| crate::error::DeskError::InvalidInput {
        field: "number",
        reason: e.to_string(),
    })
}
