//! A review's action items: what they hold, the rules they keep, and when they are carried over.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Quarter;
use crate::entities::PartnerId;

/// The review's action items are due inside a quarter; an open one from an earlier quarter is
/// carried over to the next review. `item_quarter` is the quarter an item was written for.
pub fn carried_over(item_quarter: Quarter, done: bool, review: Quarter) -> bool {
    !done && item_quarter < review
}

crate::entities::id_type!(
    /// An action item's id: a UUIDv7 made by the device that wrote it.
    ActionItemId
);

/// Longest an action item's text may be, in characters.
pub const ACTION_TEXT_MAX: usize = 500;
/// Longest an owner's name may be, in characters.
pub const ACTION_OWNER_MAX: usize = 100;

/// One action item of a review: what is to be done, by whom, by when. Written in the review of
/// `quarter`; while not done it is carried over to every later review. Saved whole: the last
/// save to reach the platform wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ActionItem {
    pub id: ActionItemId,
    #[ts(type = "string")]
    pub partner_id: PartnerId,
    /// The review it was written in ("2026-Q3").
    pub quarter: Quarter,
    pub text: String,
    pub owner: String,
    pub due_on: NaiveDate,
    pub done: bool,
}

/// Why an action item cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionItemRule {
    #[error("an action item needs a text of at most {ACTION_TEXT_MAX} characters")]
    Text,
    #[error("an action item needs an owner of at most {ACTION_OWNER_MAX} characters")]
    Owner,
    #[error("an action item of {quarter} cannot be due before the quarter begins ({first})")]
    DueBeforeQuarter { quarter: Quarter, first: NaiveDate },
}

impl ActionItem {
    /// The rules every copy applies (the app before saving, the platform on receipt).
    pub fn check(&self) -> Result<(), ActionItemRule> {
        let text = self.text.trim();
        if text.is_empty() || text.chars().count() > ACTION_TEXT_MAX {
            return Err(ActionItemRule::Text);
        }
        let owner = self.owner.trim();
        if owner.is_empty() || owner.chars().count() > ACTION_OWNER_MAX {
            return Err(ActionItemRule::Owner);
        }
        if self.due_on < self.quarter.first_day() {
            return Err(ActionItemRule::DueBeforeQuarter {
                quarter: self.quarter,
                first: self.quarter.first_day(),
            });
        }
        Ok(())
    }

    /// Whether it belongs on the review of `review`: written for it, or open and written earlier.
    pub fn shown_in(&self, review: Quarter) -> bool {
        self.quarter == review || carried_over(self.quarter, self.done, review)
    }
}
