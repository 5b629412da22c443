//! Quarterly Executive Reviews, built from the local cache: the review a screen shows, the deck
//! (PDF, typeset by Typst from `templates/qbr.typ`), the same deck as an editable presentation
//! (PPTX) and the workbook (XLSX, a sheet per table).
//!
//! SQL gathers a partner's facts ([`program::qbr::Facts`]); every figure is then computed by
//! `program::qbr`, once, and the screen, the deck and the workbook all print that one
//! [`Review`]. Nothing here needs the network.

mod action_items;
mod batch;
mod deck;
mod facts;
mod files;
mod format;
mod model;
mod review;
mod slides;
mod workbook;

pub use action_items::{action_items, save_action_item};
pub use batch::default_jobs;
pub use deck::{deck_data, summary, write_deck, TEMPLATE};
pub use facts::facts;
pub use files::{export, file_name, ReviewPaths};
pub use format::{
    format_change, format_gap, format_kpi, format_measure, format_ratio, measure_name,
};
pub use model::{
    default_quarter, parse_quarter, quarters, ActionItemForm, ActionItemView, Audience, KpiRow,
    Review, ReviewDeals, ReviewFiles, ReviewMigration, ReviewMonth, ReviewQuarters, Risk,
    TopCustomer,
};
pub use review::{review, TOP_CUSTOMERS};
pub use slides::write_slides;
pub use workbook::workbook;
