//! The program's rules on every record the platform writes, in one place: the writes of one
//! record at a time (`changes`, which the API, the admin commands and the test hooks use) and the
//! load of a whole dataset (`load`, which the demo generator uses) both call these before they
//! store anything, so no path holds a state the program forbids.

use program::contract::{Entity, Partner, Territory};

use super::StoreError;

/// A territory: its shape and exclusivity fit its holder's tier (`Territory::check`), and an
/// exclusive one overlaps no other exclusive territory (`others`, every territory stored but
/// this one): the one held first stands, and the refusal names its holder.
pub(super) fn territory<'a>(
    t: &Territory,
    holder: Option<&Partner>,
    others: impl IntoIterator<Item = &'a Territory>,
    holder_of: impl Fn(&Territory) -> Option<&'a Partner>,
) -> Result<(), StoreError> {
    let invalid = |reason: String| StoreError::Invalid {
        entity: Entity::Territory,
        reason: format!("{}: {reason}", t.id),
    };
    let holder = holder.ok_or_else(|| invalid(format!("no partner {}", t.partner_id)))?;
    t.check(holder.tier)
        .map_err(|rule| invalid(rule.to_string()))?;
    if let Some(first) = others.into_iter().find(|o| o.id != t.id && o.overlaps(t)) {
        let rule = program::deals::TerritoryRule::Overlaps {
            holder: holder_of(first)
                .map_or_else(|| first.partner_id.to_string(), |p| p.name.clone()),
            territory: first.id,
        };
        return Err(invalid(rule.to_string()));
    }
    Ok(())
}
