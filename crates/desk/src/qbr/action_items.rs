//! A review's action items: the platform's copy with this device's pending saves, and saving one.

use chrono::NaiveDate;
use program::contract::{MutationKind, PartnerId};
use program::qbr::{self, Quarter};

use super::model::{parse_quarter, ActionItemForm, ActionItemView};
use crate::error::{DeskError, Result};
use crate::input::{self, iso};
use crate::outbox::{self, Made, Overlay, Shown};
use crate::store::Store;
use uuid::Uuid;

/// The outbox's name for action items.
const ACTION_ENTITY: &str = "action_item";

fn view_of(
    item: &qbr::ActionItem,
    review: Quarter,
    pending: bool,
    today: NaiveDate,
) -> ActionItemView {
    ActionItemView {
        id: item.id.to_string(),
        quarter: item.quarter.to_string(),
        text: item.text.clone(),
        owner: item.owner.clone(),
        due_on: iso(item.due_on),
        done: item.done,
        carried_over: qbr::carried_over(item.quarter, item.done, review),
        pending,
        overdue: !item.done && item.due_on < today,
    }
}

impl Overlay for qbr::ActionItem {
    /// A refused save is listed among the refused changes; the item shows as the platform has it.
    const SHOWS_REFUSED: bool = false;

    fn target(change: &MutationKind) -> Option<Uuid> {
        match change {
            MutationKind::SaveActionItem { item } => Some(item.id.0),
            _ => None,
        }
    }

    fn id(&self) -> Uuid {
        self.id.0
    }

    fn created(change: MutationKind, _: &Made<'_>) -> Option<qbr::ActionItem> {
        match change {
            MutationKind::SaveActionItem { item } => Some(item),
            _ => None,
        }
    }

    /// The whole item: the last save wins.
    fn apply(&mut self, change: MutationKind, _: &Made<'_>) -> bool {
        match change {
            MutationKind::SaveActionItem { item } => {
                *self = item;
                true
            }
            _ => false,
        }
    }
}

/// Every action item of `partner`: the platform's copy with this device's pending saves on top.
async fn all_action_items(
    store: &Store,
    partner: PartnerId,
) -> Result<Vec<Shown<qbr::ActionItem>>> {
    let mut mirror = Vec::new();
    let partner_text = partner.to_string();
    for data in sqlx::query_scalar!(
        "SELECT data FROM action_items WHERE partner_id = ? ORDER BY id",
        partner_text
    )
    .fetch_all(store.pool())
    .await?
    {
        mirror.push(Shown::mirrored(
            serde_json::from_str(&data)
                .map_err(|e| DeskError::Corrupt(format!("action item: {e}")))?,
            0,
        ));
    }
    // An item names its owner itself: no change here needs the user's name.
    outbox::over_mirror(store, ACTION_ENTITY, partner, None, "", mirror).await
}

/// The action items on `partner`'s review of `quarter`: written in it, or carried over open from
/// an earlier one. Open items first, by due date.
pub async fn action_items(
    store: &Store,
    partner: PartnerId,
    quarter: Quarter,
    today: NaiveDate,
) -> Result<Vec<ActionItemView>> {
    let mut shown: Vec<ActionItemView> = all_action_items(store, partner)
        .await?
        .iter()
        .filter(|s| s.item.shown_in(quarter))
        .map(|s| view_of(&s.item, quarter, s.pending, today))
        .collect();
    shown.sort_by(|a, b| {
        (a.done, &a.due_on, &a.text, &a.id).cmp(&(b.done, &b.due_on, &b.text, &b.id))
    });
    Ok(shown)
}

/// Saves an action item on this device (queued for the platform) after the program's checks;
/// nothing is queued when one fails.
pub async fn save_action_item(
    store: &Store,
    form: &ActionItemForm,
    today: NaiveDate,
) -> Result<ActionItemView> {
    let partner = crate::portfolio::partner::parse_id(&form.partner_id)?;
    crate::portfolio::partner::ensure_exists(store, partner).await?;
    let review = parse_quarter(&form.quarter)?;
    let existing = match &form.id {
        Some(id) => {
            let id: qbr::ActionItemId = input::id("id", "an action item", id)?;
            let found = all_action_items(store, partner)
                .await?
                .into_iter()
                .find(|s| s.item.id == id)
                .ok_or_else(|| DeskError::NotFound {
                    what: format!("action item {id}"),
                })?;
            Some(found.item)
        }
        None => None,
    };
    let due_on = input::date("due_on", &form.due_on)?;
    let item = qbr::ActionItem {
        id: existing
            .as_ref()
            .map_or_else(|| qbr::ActionItemId(uuid::Uuid::now_v7()), |e| e.id),
        partner_id: partner,
        quarter: existing.as_ref().map_or(review, |e| e.quarter),
        text: form.text.trim().to_string(),
        owner: form.owner.trim().to_string(),
        due_on,
        done: form.done,
    };
    item.check().map_err(|rule| DeskError::InvalidInput {
        field: match rule {
            qbr::ActionItemRule::Text => "text",
            qbr::ActionItemRule::Owner => "owner",
            qbr::ActionItemRule::DueBeforeQuarter { .. } => "due_on",
        },
        reason: rule.to_string(),
    })?;
    let mut w = crate::outbox::LocalWrite::begin(store).await?;
    w.enqueue(
        ACTION_ENTITY,
        &item.id.to_string(),
        &program::contract::MutationKind::SaveActionItem { item: item.clone() },
        None,
    )
    .await?;
    w.commit().await?;
    tracing::info!("saved an action item");
    Ok(view_of(&item, review, true, today))
}
