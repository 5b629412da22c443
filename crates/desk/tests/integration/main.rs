//! The desk's integration tests, one test binary: each file below is what was once a binary of
//! its own. One binary links the desk, the reference server and sqlx once instead of thirteen
//! times (a cold build on these 2-core machines spent ~580 s of compile time on the thirteen).
//!
//! Pick a file's tests by its module: `cargo test --release --workspace --test integration
//! secrets::`.

mod common;

mod cache;
mod deal_edits;
mod deal_rules;
mod deals;
mod export;
mod export_deals;
mod export_paths;
mod figures;
mod ipc_bindings;
mod ledger_days;
mod load;
mod page_check;
mod pages;
mod push_kill;
mod qbr;
mod qbr_actions;
mod qbr_deck;
mod qbr_files;
mod qbr_season;
mod qbr_slides;
mod quotes;
mod recovery;
mod screens;
mod secrets;
mod signin;
mod sync;
mod sync_app;
mod sync_first;
mod sync_stall;
mod upgrade;
