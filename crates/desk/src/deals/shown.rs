//! Deals as the user sees them: the platform's copy with this device's changes on top.

use std::collections::BTreeSet;

use chrono::{Days, NaiveDate, Utc};
use program::contract::{MutationKind, PartnerId, TerritoryId};
use program::deals::{merge_edit, Deal, DealId, DealStatus};
use program::{Brand, Credits, Currency};
use uuid::Uuid;

use super::model::ENTITY;
use super::{DealView, EXPIRING_WITHIN_DAYS};
use crate::error::{DeskError, Result};
use crate::outbox::{self, Made, Overlay};
use crate::store::Store;
use crate::workspace;

/// What the cache knows about a partner that the deal rules need.
pub(super) struct PartnerFacts {
    pub(super) id: PartnerId,
    pub(super) tier: program::Tier,
    pub(super) brands: Vec<Brand>,
    pub(super) currency: Currency,
    pub(super) territories: BTreeSet<TerritoryId>,
}

pub(super) async fn partner_facts(store: &Store, id: PartnerId) -> Result<PartnerFacts> {
    let id_text = id.to_string();
    let row = sqlx::query!("SELECT tier, currency FROM partners WHERE id = ?", id_text)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| DeskError::NotFound {
            what: format!("partner {id}"),
        })?;
    let brands = sqlx::query_scalar!(
        "SELECT brand FROM partner_brands WHERE partner_id = ? ORDER BY brand",
        id_text
    )
    .fetch_all(store.pool())
    .await?;
    let territories =
        sqlx::query_scalar!("SELECT id FROM territories WHERE partner_id = ?", id_text)
            .fetch_all(store.pool())
            .await?;
    Ok(PartnerFacts {
        id,
        tier: program::Tier::parse(&row.tier)
            .ok_or_else(|| DeskError::Corrupt(format!("tier {:?}", row.tier)))?,
        brands: brands.iter().filter_map(|b| Brand::parse(b)).collect(),
        currency: Currency::parse(&row.currency)
            .ok_or_else(|| DeskError::Corrupt(format!("currency {:?}", row.currency)))?,
        territories: territories
            .iter()
            .filter_map(|t| t.parse().ok().map(TerritoryId))
            .collect(),
    })
}

/// One deal as shown: the platform's copy (if any) with local changes on top.
pub(super) type Shown = outbox::Shown<Deal>;

impl Overlay for Deal {
    fn target(change: &MutationKind) -> Option<Uuid> {
        match change {
            MutationKind::RegisterDeal { deal } => Some(deal.id.0),
            MutationKind::EditDeal { id, .. } => Some(id.0),
            _ => None,
        }
    }

    fn id(&self) -> Uuid {
        self.id.0
    }

    fn created(change: MutationKind, made: &Made<'_>) -> Option<Deal> {
        match change {
            MutationKind::RegisterDeal { deal } => Some(Deal::registered(deal, made.at, made.by)),
            _ => None,
        }
    }

    fn apply(&mut self, change: MutationKind, made: &Made<'_>) -> bool {
        match change {
            MutationKind::EditDeal { edits, .. } => {
                // As the platform will: a change it would refuse stays pending until it does.
                let mut edited = self.clone();
                if merge_edit(&mut edited, &edits, made.at, made.by).is_ok() {
                    *self = edited;
                }
                true
            }
            // Registered already: the platform's copy is the deal.
            _ => false,
        }
    }

    fn refused(&mut self) {
        self.status = DealStatus::Refused;
    }
}

/// Every deal of `partner` (or the one deal `only`), with this device's changes on top.
pub(super) async fn shown(
    store: &Store,
    partner: PartnerId,
    only: Option<DealId>,
) -> Result<Vec<Shown>> {
    let (partner_text, only_text) = (partner.to_string(), only.map(|d| d.to_string()));
    let rows = sqlx::query!(
        "SELECT data, version FROM deals WHERE partner_id = ?1 AND (?2 IS NULL OR id = ?2) \
         ORDER BY registered_at DESC, id DESC",
        partner_text,
        only_text,
    )
    .fetch_all(store.pool())
    .await?;
    let mirror: Vec<Shown> = rows
        .into_iter()
        .map(|r| {
            Ok(Shown::mirrored(
                serde_json::from_str(&r.data)
                    .map_err(|e| DeskError::Corrupt(format!("deal: {e}")))?,
                r.version,
            ))
        })
        .collect::<Result<_>>()?;
    let user = workspace::user_name(store).await?;
    outbox::over_mirror(store, ENTITY, partner, only.map(|d| d.0), &user, mirror).await
}

pub(super) fn fiat(credits: Credits, fx: Option<&program::FxRate>) -> Option<String> {
    let fx = fx?;
    // An estimate in the partner's money, rounded once to its minor unit.
    Some(
        program::Money::rounded(credits.amount() * fx.per_usd, fx.currency)
            .amount
            .to_string(),
    )
}

pub(super) fn view(
    s: &Shown,
    currency: Currency,
    fx: Option<&program::FxRate>,
    days: u32,
    today: NaiveDate,
) -> DealView {
    let d = &s.item;
    let expires_on = d.expires_on(days);
    DealView {
        id: d.id.to_string(),
        partner_id: d.partner_id.to_string(),
        company: d.company.clone(),
        domain: d.domain.clone(),
        country: d.country.code().to_string(),
        subdivision: d.subdivision.map(String::from),
        brand: d.brand,
        products: d.products.clone(),
        value: format!("{:.2}", d.value.amount()),
        value_fiat: fiat(d.value, fx),
        currency,
        stage: d.stage,
        expected_close: d.expected_close.map(|c| c.to_string()),
        owner: d.owner.clone(),
        notes: d.notes.clone(),
        status: d.status,
        refusal: d.refusal.clone(),
        pending: s.pending,
        refused_changes: s.refused.clone(),
        registered_at: d.registered_at.to_rfc3339(),
        expires_on: expires_on.map(|e| e.to_string()),
        expiring_soon: d.status == DealStatus::Approved
            && expires_on.is_some_and(|e| {
                e > today
                    && e <= today
                        .checked_add_days(Days::new(EXPIRING_WITHIN_DAYS))
                        .unwrap_or(today)
            }),
        history: d.history.clone(),
        version: s.version,
    }
}

pub(super) async fn one(store: &Store, partner: PartnerId, id: DealId) -> Result<DealView> {
    let facts = partner_facts(store, partner).await?;
    let fx = workspace::fx_rate(store, facts.currency).await?;
    let days = workspace::registration_days(store).await?;
    shown(store, partner, Some(id))
        .await?
        .first()
        .map(|s| {
            view(
                s,
                facts.currency,
                fx.as_ref(),
                days,
                Utc::now().date_naive(),
            )
        })
        .ok_or_else(|| DeskError::NotFound {
            what: format!("deal {id}"),
        })
}

/// Every deal of a partner as the app shows it (this device's changes on top), as the program's
/// deals.
pub async fn deals_of(store: &Store, partner: PartnerId) -> Result<Vec<Deal>> {
    Ok(shown(store, partner, None)
        .await?
        .into_iter()
        .map(|s| s.item)
        .collect())
}
