//! Editing a deal: the field edits a device sends, and how the platform merges them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Deal, DealChange, DealEvent, DealField, DealStage, DealStatus};
use crate::money::Credits;

/// One field an edit changes: what the editing device saw, and what it wants. The platform
/// applies the edit only where the field still holds `from`; where someone changed it first,
/// their value stays and the edit is recorded as lost (see [`merge_edit`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum DealEdit {
    Stage {
        from: DealStage,
        to: DealStage,
    },
    Value {
        #[ts(type = "string")]
        from: Credits,
        #[ts(type = "string")]
        to: Credits,
    },
    ExpectedClose {
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    },
    Owner {
        from: String,
        to: String,
    },
    Notes {
        from: String,
        to: String,
    },
    Products {
        from: Vec<String>,
        to: Vec<String>,
    },
}

impl DealEdit {
    pub fn field(&self) -> DealField {
        match self {
            DealEdit::Stage { .. } => DealField::Stage,
            DealEdit::Value { .. } => DealField::Value,
            DealEdit::ExpectedClose { .. } => DealField::ExpectedClose,
            DealEdit::Owner { .. } => DealField::Owner,
            DealEdit::Notes { .. } => DealField::Notes,
            DealEdit::Products { .. } => DealField::Products,
        }
    }
}

/// Why an edit cannot be made at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("a {from} deal cannot move to {to}")]
    BadMove {
        from: &'static str,
        to: &'static str,
    },
    #[error("this deal was {status} and can no longer change; register it again")]
    NotOpen { status: &'static str },
    #[error("{0}")]
    Invalid(String),
}

/// Refuses a text or list longer than a deal keeps.
fn too_long(field: &str, len: usize, max: u32) -> Result<(), EditError> {
    if len > max as usize {
        return Err(EditError::Invalid(format!(
            "the {field} must be at most {max} {}",
            if field == "products" {
                "entries"
            } else {
                "characters"
            }
        )));
    }
    Ok(())
}

fn date_text(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// The products an edit would give a deal, if it changes them: they go through the catalog's
/// rules of a registration ([`super::check_products`]) before the edit is taken.
pub fn products_edited(edits: &[DealEdit]) -> Option<&[String]> {
    edits.iter().rev().find_map(|e| match e {
        DealEdit::Products { to, .. } => Some(to.as_slice()),
        _ => None,
    })
}

/// Applies `edits` to `deal` as the platform does: each field the edit saw unchanged takes its
/// new value; each field someone else changed first keeps the platform's value, and the losing
/// value goes into the history as [`DealChange::Lost`]. A stage move restarts the registration's
/// clock. `Err` when the edit is not allowed at all (a closed, refused or expired deal, a move
/// backwards).
pub fn merge_edit(
    deal: &mut Deal,
    edits: &[DealEdit],
    at: DateTime<Utc>,
    by: &str,
) -> Result<(), EditError> {
    if matches!(deal.status, DealStatus::Refused | DealStatus::Expired) {
        return Err(EditError::NotOpen {
            status: deal.status.as_str(),
        });
    }
    let mut events = Vec::new();
    for edit in edits {
        let field = edit.field();
        // (what the platform holds, what the edit saw, what it wants), as text for the history.
        let (current, seen, wanted) = match edit {
            DealEdit::Stage { from, to } => (
                deal.stage.as_str().to_string(),
                from.as_str().to_string(),
                to.as_str().to_string(),
            ),
            DealEdit::Value { from, to } => {
                if to.amount().is_sign_negative() || Credits::new(to.amount()).is_err() {
                    return Err(EditError::Invalid(
                        "the value must be zero or more, with at most two decimals".into(),
                    ));
                }
                if *to > Credits::whole(super::DEAL_VALUE_MAX) {
                    return Err(EditError::Invalid(format!(
                        "the value must be at most {} credits",
                        super::DEAL_VALUE_MAX
                    )));
                }
                // Compared as numbers: 25000.5 and 25000.50 are the same value.
                (
                    deal.value.amount().normalize().to_string(),
                    from.amount().normalize().to_string(),
                    to.amount().normalize().to_string(),
                )
            }
            DealEdit::ExpectedClose { from, to } => (
                date_text(deal.expected_close),
                date_text(*from),
                date_text(*to),
            ),
            DealEdit::Owner { from, to } => {
                if to.trim().is_empty() {
                    return Err(EditError::Invalid("a deal needs an owner".into()));
                }
                too_long("owner", to.trim().chars().count(), super::OWNER_MAX)?;
                (deal.owner.clone(), from.clone(), to.trim().to_string())
            }
            DealEdit::Notes { from, to } => {
                too_long("notes", to.chars().count(), super::NOTES_MAX)?;
                (deal.notes.clone(), from.clone(), to.clone())
            }
            DealEdit::Products { from, to } => {
                if to.is_empty() {
                    return Err(EditError::Invalid(
                        "a deal needs at least one product of interest".into(),
                    ));
                }
                too_long("products", to.len(), super::PRODUCTS_MAX)?;
                (deal.products.join(", "), from.join(", "), to.join(", "))
            }
        };
        if current == wanted {
            continue;
        }
        if current != seen {
            events.push(DealChange::Lost {
                field,
                wanted,
                kept: current,
            });
            continue;
        }
        match edit {
            DealEdit::Stage { to, .. } => {
                if !deal.stage.may_move_to(*to) {
                    return Err(EditError::BadMove {
                        from: deal.stage.as_str(),
                        to: to.as_str(),
                    });
                }
                deal.stage = *to;
                deal.stage_since = at;
            }
            DealEdit::Value { to, .. } => deal.value = *to,
            DealEdit::ExpectedClose { to, .. } => deal.expected_close = *to,
            DealEdit::Owner { to, .. } => deal.owner = to.trim().to_string(),
            DealEdit::Notes { to, .. } => deal.notes.clone_from(to),
            DealEdit::Products { to, .. } => deal.products.clone_from(to),
        }
        events.push(DealChange::Set {
            field,
            from: current,
            to: wanted,
        });
    }
    deal.history
        .extend(events.into_iter().map(|what| DealEvent {
            at,
            by: by.to_string(),
            what,
        }));
    Ok(())
}
