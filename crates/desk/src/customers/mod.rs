//! A partner's customers (active, churned, migrated in or out) and their deployments, its
//! customer migrations, and the monthly trends of its page.
//!
//! A customer's partner of record on a day is the rule of `crate::metrics`: its current partner,
//! unless a migration after that day moved it, in which case the first such migration's old
//! partner. A customer's deployments and history stay attached to the customer whichever partner
//! it has.

mod detail;
mod list;
mod trends;

pub use detail::{detail, migrations};
pub use list::{page, DEFAULT_PAGE, MAX_PAGE};
pub use trends::{month_ends, trends, TREND_MONTHS};
