//! The program's rules on every record the platform writes, in one place: the writes of one
//! record at a time (`changes`, which the API, the admin commands and the test hooks use) and the
//! load of a whole dataset (`load`, which the demo generator uses) both call these before they
//! store anything, so no path holds a state the program forbids.

use chrono::NaiveDate;
use program::contract::{CatalogItem, Customer, Deployment, Entity, Partner, PartnerId, Territory};
use program::CustomerMigration;

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
    let invalid = |reason: String| invalid(Entity::Territory, t.id, reason);
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

fn invalid(
    entity: Entity,
    id: impl std::fmt::Display,
    reason: impl std::fmt::Display,
) -> StoreError {
    StoreError::Invalid {
        entity,
        reason: format!("{id}: {reason}"),
    }
}

/// A partner: its rate lies in its tier's band, so a partner moved to another tier gets a rate of
/// the new band in the same change; its tier history starts at Authorized on the day it joined
/// and ends at its tier; and against what is stored (`before`), the history only grows, by
/// changes dated no later than `today`; its logo, if any, is a small self-contained SVG.
pub(super) fn partner(
    p: &Partner,
    before: Option<&Partner>,
    today: NaiveDate,
) -> Result<(), StoreError> {
    let refuse = |e: &dyn std::fmt::Display| invalid(Entity::Partner, p.id, e);
    p.discount().map_err(|e| refuse(&e))?;
    p.check_tier_history().map_err(|e| refuse(&e))?;
    if let Some(logo) = &p.logo {
        program::logo::check_logo(logo).map_err(|e| refuse(&e))?;
    }
    let stored = before.map_or(&[][..], |b| &b.tier_history[..]);
    program::tiers::check_tier_history_change(stored, &p.tier_history, today)
        .map_err(|e| refuse(&e))
}

/// A customer: its brand serves its country, it names its state or province where its country
/// has them, and its partner exists and sells its brand. An existing customer (`before`) keeps its
/// partner of record: a customer changes partner only by a migration its founder starts.
pub(super) fn customer(
    c: &Customer,
    partner: Option<&Partner>,
    before: Option<&Customer>,
) -> Result<(), StoreError> {
    let refuse = |reason: String| invalid(Entity::Customer, c.id, reason);
    c.check_brand().map_err(|e| refuse(e.to_string()))?;
    c.check_place().map_err(|e| refuse(e.to_string()))?;
    let partner = partner.ok_or_else(|| refuse(format!("no partner {}", c.partner_id)))?;
    if !partner.brands.contains(&c.brand) {
        return Err(refuse(format!(
            "{} does not sell {}",
            partner.name, c.brand
        )));
    }
    if before.is_some_and(|b| b.partner_id != c.partner_id) {
        return Err(refuse(
            "a customer changes partner only by a migration its founder starts".into(),
        ));
    }
    Ok(())
}

/// A migration, against the customer, the new partner and the customer's `earlier` migrations
/// (in the order they take effect) as they stand before it: `CustomerMigration::check` (its
/// founder starts it, it leaves the current partner for one that sells the customer's brand), and
/// the chain the migrations form: each takes effect no earlier than the one before it and leaves
/// the partner that one gives.
pub(super) fn migration(
    m: &CustomerMigration,
    customer: Option<&Customer>,
    to: Option<&Partner>,
    earlier: &[CustomerMigration],
) -> Result<(), StoreError> {
    let refuse = |reason: String| invalid(Entity::CustomerMigration, m.id, reason);
    let customer = customer.ok_or_else(|| refuse(format!("no customer {}", m.customer_id)))?;
    if let Some(last) = earlier.last() {
        if m.effective_on < last.effective_on {
            return Err(refuse(format!(
                "takes effect before the customer's earlier migration (on {})",
                last.effective_on
            )));
        }
    }
    let customer = &Customer {
        partner_id: earlier.last().map_or(customer.partner_id, |l| l.to_partner),
        ..customer.clone()
    };
    let to = to.ok_or_else(|| refuse(format!("no partner {}", m.to_partner)))?;
    m.check(customer, to).map_err(|e| refuse(e.to_string()))
}

/// A migration in a dataset loaded whole, where the customer already stands as of `as_of`: the
/// migration's rules against the customer as it stood before it, and, for the customer's latest
/// migration, its partner of record is the one the migration gives it on `as_of`.
pub(super) fn loaded_migration(
    m: &CustomerMigration,
    customer: Option<&Customer>,
    to: Option<&Partner>,
    latest: bool,
    as_of: chrono::NaiveDate,
) -> Result<(), StoreError> {
    let before = customer.map(|c| Customer {
        partner_id: m.from_partner,
        ..c.clone()
    });
    migration(m, before.as_ref(), to, &[])?;
    match customer {
        Some(c) if latest && c.partner_id != m.partner_of_record_on(as_of) => Err(invalid(
            Entity::CustomerMigration,
            m.id,
            "the customer's partner of record disagrees with its latest migration",
        )),
        _ => Ok(()),
    }
}

/// A deployment: of an item of the catalog, for a customer that exists, by the customer's partner
/// of record on the day it starts (`chain`: the customer's migrations in the order they take
/// effect), and `Deployment::check` (brand, billing, credits, early access by the tier held that
/// day, dates).
pub(super) fn deployment<'a>(
    d: &Deployment,
    customer: Option<&Customer>,
    chain: &[CustomerMigration],
    partner: impl Fn(PartnerId) -> Option<&'a Partner>,
    item: Option<&CatalogItem>,
) -> Result<(), StoreError> {
    let refuse = |reason: String| invalid(Entity::Deployment, d.id, reason);
    let customer = customer.ok_or_else(|| refuse(format!("no customer {}", d.customer_id)))?;
    let item = item.ok_or_else(|| refuse(format!("no catalog item {}", d.sku)))?;
    let of_record =
        program::migration::partner_of_record_on(customer.partner_id, chain, d.started_on);
    let partner = partner(of_record).ok_or_else(|| refuse(format!("no partner {of_record}")))?;
    d.check(customer, partner, item)
        .map_err(|e| refuse(e.to_string()))
}
