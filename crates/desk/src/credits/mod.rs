//! Activation Credits: the ledger of a partner (with the purchases this device has queued), and
//! buying credits.

pub mod ledger;
mod purchase;

pub use purchase::{price, purchase, MAX_PURCHASE_CREDITS};
