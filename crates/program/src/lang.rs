//! The languages Partner Desk speaks: the partner program's own two, English and Spanish. A
//! quote is printed in one, a review's files and the exports are written in one, and the app's
//! windows follow the user's.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A language of the program's documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    En,
    Es,
}
