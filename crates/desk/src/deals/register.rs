//! Registering and editing deals on this device, checked against the rules the cache knows.

use chrono::Utc;
use program::contract::MutationKind;
use program::deals::{
    check_registration, merge_edit, Deal, DealEdit, DealId, DealInput, DealRule, DealStatus,
    Registrant,
};
use program::regions::CountryError;
use program::{Country, Credits, Subdivision};
use uuid::Uuid;

use super::model::ENTITY;
use super::shown::{one, partner_facts, shown};
use super::{DealCheck, DealForm, DealView};
use crate::error::{DeskError, Refusal, Result};
use crate::input;
use crate::outbox::{self, LocalWrite, Select, Status};
use crate::store::Store;
use crate::workspace;

/// Reads a form into a registration, or says which field is wrong.
fn input_of(form: &DealForm, id: DealId) -> Result<DealInput> {
    let invalid = |field: &'static str, reason: &str| DeskError::InvalidInput {
        field,
        reason: reason.into(),
    };
    let partner_id = crate::portfolio::partner::parse_id(&form.partner_id)?;
    let country = Country::parse(form.country.trim()).map_err(|e| match e {
        CountryError::ServedByNone(country) => {
            DeskError::Refused(Refusal::Deal(DealRule::CountryServedByNone { country }))
        }
        e => invalid("country", &e.to_string()),
    })?;
    let subdivision = match form.subdivision.trim() {
        "" => None,
        code => Some(Subdivision::parse(code).map_err(|e| invalid("subdivision", &e.to_string()))?),
    };
    let brand = form
        .brand
        .ok_or_else(|| invalid("brand", "choose a brand"))?;
    let value = if form.value.trim().is_empty() {
        Credits::ZERO
    } else {
        let value = input::credits("value", &form.value)?;
        if value.is_negative() {
            return Err(invalid("value", "must be zero or more"));
        }
        value
    };
    let expected_close = match form.expected_close.trim() {
        "" => None,
        text => Some(input::date("expected_close", text)?),
    };
    Ok(DealInput {
        id,
        partner_id,
        company: form.company.trim().to_string(),
        domain: Some(form.domain.trim().to_string()).filter(|d| !d.is_empty()),
        country,
        subdivision,
        brand,
        products: form.products.clone(),
        value,
        expected_close,
        owner: form.owner.trim().to_string(),
        notes: form.notes.clone(),
    })
}

/// Runs the program's rules on a form against the cache.
pub async fn check(store: &Store, form: &DealForm) -> Result<DealCheck> {
    let input = match input_of(form, DealId(Uuid::nil())) {
        Ok(input) => input,
        // A rule the form breaks before it is a registration (a country no brand serves).
        Err(DeskError::Refused(Refusal::Deal(rule))) => {
            return Ok(DealCheck {
                errors: vec![rule],
                ..DealCheck::default()
            })
        }
        Err(e) => return Err(e),
    };
    check_input(store, &input).await
}

async fn check_input(store: &Store, input: &DealInput) -> Result<DealCheck> {
    let facts = partner_facts(store, input.partner_id).await?;
    let catalog = workspace::catalog(store).await?;
    let registrant = Registrant {
        id: facts.id,
        tier: facts.tier,
        brands: &facts.brands,
        own_territories: &facts.territories,
    };
    let mut result = DealCheck::default();
    // Rules the cache knows for certain: the catalog, the partner, and the customers it holds
    // (a customer in the cache is one; the platform may know more). Checked without the map or
    // other registrations.
    let prospect = program::deals::Prospect::new(&input.company, input.domain.as_deref());
    let customers = crate::customers::known(store, &prospect, None).await?;
    if let Err(rule) = check_registration(input, &registrant, &catalog, &[], &[], &customers) {
        result.errors.push(rule);
        return Ok(result);
    }
    // The map and the registrations this cache can see, other partners' as well (an account
    // manager sees a whole portfolio), this device's pending ones included.
    let claims = super::map::claims(store).await?;
    let mut known = registrations_like(store, &prospect).await?;
    for s in shown(store, facts.id, None).await? {
        if s.pending && !known.iter().any(|d| d.id == s.item.id) {
            let mut d = s.item;
            // A pending registration holds its prospect for this device's own checks.
            d.status = DealStatus::Approved;
            known.push(d);
        }
    }
    let days = workspace::registration_days(store).await?;
    let today = Utc::now().date_naive();
    let earlier: Vec<&Deal> = known.iter().filter(|d| !d.is_lapsed(days, today)).collect();
    if let Err(rule) = check_registration(input, &registrant, &catalog, &claims, &earlier, &[]) {
        result.warnings.push(rule);
    }
    Ok(result)
}

/// The registrations of `prospect` in the mirror (by its company or domain key).
async fn registrations_like(
    store: &Store,
    prospect: &program::deals::Prospect,
) -> Result<Vec<Deal>> {
    let domain = prospect.domain.as_deref();
    let rows = sqlx::query_scalar!(
        "SELECT data FROM deals WHERE company_key = ?1 OR (?2 IS NOT NULL AND domain_key = ?2)",
        prospect.company,
        domain,
    )
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|data| serde_json::from_str(data).map_err(|e| DeskError::Corrupt(e.to_string())))
        .collect()
}

/// Registers a deal on this device: saved with its outbox row in one transaction, pending until
/// the platform decides. Refuses a registration that breaks a rule the cache knows fully.
pub async fn register(store: &Store, form: &DealForm) -> Result<DealView> {
    let id = DealId(Uuid::now_v7());
    let input = input_of(form, id)?;
    let check = check_input(store, &input).await?;
    if let Some(rule) = check.errors.first() {
        return Err(DeskError::Refused(Refusal::Deal(rule.clone())));
    }
    let partner = input.partner_id;
    let mut w = LocalWrite::begin(store).await?;
    w.enqueue(
        ENTITY,
        &id.to_string(),
        &MutationKind::RegisterDeal { deal: input },
        None,
    )
    .await?;
    w.commit().await?;
    one(store, partner, id).await
}

/// Changes a deal on this device (stage, value, close date, owner, notes, products), queued for
/// the platform. `edits` carry what this device saw of each field; see
/// [`program::deals::merge_edit`] for what happens when someone changed it first.
pub async fn edit(store: &Store, deal_id: &str, edits: Vec<DealEdit>) -> Result<DealView> {
    let id: DealId = input::id("deal_id", "a deal", deal_id)?;
    if edits.is_empty() {
        return Err(DeskError::InvalidInput {
            field: "edits",
            reason: "nothing to change".into(),
        });
    }
    let id_text = id.to_string();
    let mirrored = sqlx::query_scalar!("SELECT partner_id FROM deals WHERE id = ?", id_text)
        .fetch_optional(store.pool())
        .await?;
    let partner = match mirrored {
        Some(p) => crate::portfolio::partner::parse_id(&p)?,
        None => outbox::partner_of(
            store,
            Select {
                entity: Some(ENTITY),
                entity_id: Some(&id_text),
                status: Some(Status::Pending),
                ..Select::default()
            },
        )
        .await?
        .ok_or_else(|| DeskError::NotFound {
            what: format!("deal {id}"),
        })?,
    };
    let current = shown(store, partner, Some(id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| DeskError::NotFound {
            what: format!("deal {id}"),
        })?;
    // The same rules the platform applies, so a change it would refuse is refused here first.
    let days = workspace::registration_days(store).await?;
    if current.item.is_lapsed(days, Utc::now().date_naive()) {
        return Err(DeskError::Refused(Refusal::Deal(DealRule::Expired {
            days,
        })));
    }
    if let Some(products) = program::deals::products_edited(&edits) {
        let facts = partner_facts(store, partner).await?;
        let catalog = workspace::catalog(store).await?;
        let brand = current.item.brand;
        if let Err(rule) = program::deals::check_products(products, brand, facts.tier, &catalog) {
            return Err(DeskError::Refused(Refusal::Deal(rule)));
        }
        // The registrations this cache sees of the same prospect (an account manager's, every
        // partner's; a partner's user, its own): a product added must be free, as the platform
        // will check against all of them.
        let known = registrations_like(store, &current.item.prospect()).await?;
        let days = workspace::registration_days(store).await?;
        let today = Utc::now().date_naive();
        let others: Vec<&Deal> = known.iter().filter(|d| !d.is_lapsed(days, today)).collect();
        if let Err(rule) = program::deals::check_products_added(&current.item, products, &others) {
            return Err(DeskError::Refused(Refusal::Deal(rule)));
        }
    }
    let mut probe = current.item.clone();
    merge_edit(&mut probe, &edits, Utc::now(), "me").map_err(|e| DeskError::InvalidInput {
        field: "edits",
        reason: e.to_string(),
    })?;
    let mut w = LocalWrite::begin(store).await?;
    w.enqueue(
        ENTITY,
        &id.to_string(),
        &MutationKind::EditDeal {
            id,
            partner_id: partner,
            edits,
        },
        u64::try_from(current.version).ok(),
    )
    .await?;
    w.commit().await?;
    one(store, partner, id).await
}
