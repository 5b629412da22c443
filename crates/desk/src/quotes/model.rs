//! The quote types the UI exchanges, the partner facts pricing needs, and finding a quote.

use program::contract::PartnerId;
use program::quotes::{LineInput, PricedQuote, Quote, QuoteId, QuoteRule, QuoteStatus};
use program::Lang;
use program::{Brand, Currency, Tier};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{DeskError, Result};
use crate::outbox::{self, Kind, RefusedChange, Select};
use crate::store::Store;

pub(super) const ENTITY: &str = "quote";

/// What the quote builder sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct QuoteForm {
    pub partner_id: String,
    /// A draft being edited; None for a new quote.
    pub quote_id: Option<String>,
    /// An existing customer, or None for a prospect named in `customer`.
    pub customer_id: Option<String>,
    pub customer: String,
    /// ISO country code.
    pub country: String,
    pub brand: Option<Brand>,
    pub currency: Option<Currency>,
    pub lang: Lang,
    pub lines: Vec<LineInput>,
}

/// The builder's live answer: the priced quote, or the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct QuoteCheck {
    pub priced: Option<PricedQuote>,
    pub rule: Option<QuoteRule>,
}

/// A quote as the user sees it: the platform's copy with this device's pending changes on top,
/// priced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct QuoteView {
    pub id: String,
    pub number: String,
    pub revision: u32,
    pub supersedes: Option<String>,
    pub partner_id: String,
    pub customer_id: Option<String>,
    pub customer: String,
    pub country: String,
    pub brand: Brand,
    pub lang: Lang,
    pub lines: Vec<LineInput>,
    pub status: QuoteStatus,
    pub created_on: String,
    pub created_by: String,
    pub valid_until: String,
    /// Past its validity date while still a draft or sent.
    pub lapsed: bool,
    pub pending: bool,
    pub refused_changes: Vec<RefusedChange>,
    /// None when the quote no longer prices (e.g. an item left the catalog); see `rule`.
    pub priced: Option<PricedQuote>,
    pub rule: Option<QuoteRule>,
}

/// The quotes screen of one partner, and what the builder offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct QuoteList {
    pub quotes: Vec<QuoteView>,
    pub catalog: Vec<CatalogOption>,
    pub brands: Vec<Brand>,
    /// Currencies with a synced FX rate.
    pub currencies: Vec<Currency>,
    pub tier: Tier,
    pub partner_currency: Currency,
    pub validity_days: u32,
    /// The currency each country's customers pay in (ISO code → currency), for the builder's
    /// default.
    pub country_currencies: std::collections::BTreeMap<String, Currency>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CatalogOption {
    pub sku: String,
    pub name: String,
    pub kind: program::contract::CatalogKind,
    pub billing: program::contract::Billing,
    /// Credits, decimal string.
    pub list_price: String,
    pub brands: Vec<Brand>,
    pub early_access: bool,
}

/// What pricing needs about a partner, from the cache.
pub(crate) struct Partner {
    pub id: PartnerId,
    pub name: String,
    pub tier: Tier,
    pub rate: rust_decimal::Decimal,
    pub brands: Vec<Brand>,
    pub currency: Currency,
}

pub(crate) async fn partner(store: &Store, id: PartnerId) -> Result<Partner> {
    let id_text = id.to_string();
    let row = sqlx::query!(
        r#"SELECT p.name, p.tier, p.discount_rate, p.currency,
                  coalesce((SELECT json_group_array(brand) FROM partner_brands b
                             WHERE b.partner_id = p.id), '[]') AS "brands!: String"
           FROM partners p WHERE p.id = ?"#,
        id_text
    )
    .fetch_optional(store.pool())
    .await?
    .ok_or_else(|| DeskError::NotFound {
        what: format!("partner {id}"),
    })?;
    let corrupt = |what: &str| DeskError::Corrupt(format!("partner {id}: {what}"));
    Ok(Partner {
        id,
        name: row.name,
        tier: Tier::parse(&row.tier).ok_or_else(|| corrupt("tier"))?,
        rate: row.discount_rate.parse().map_err(|_| corrupt("rate"))?,
        brands: serde_json::from_str::<Vec<String>>(&row.brands)
            .map_err(|_| corrupt("brands"))?
            .iter()
            .filter_map(|b| Brand::parse(b))
            .collect(),
        currency: Currency::parse(&row.currency).ok_or_else(|| corrupt("currency"))?,
    })
}

pub(super) fn parse_id(id: &str) -> Result<QuoteId> {
    crate::input::id("quote_id", "a quote", id)
}

/// The partner a quote belongs to, from the mirror or the outbox.
pub(super) async fn partner_of(store: &Store, id: QuoteId) -> Result<PartnerId> {
    let id_text = id.to_string();
    let mirrored = sqlx::query_scalar!("SELECT partner_id FROM quotes WHERE id = ?", id_text)
        .fetch_optional(store.pool())
        .await?;
    if let Some(partner) = mirrored {
        return crate::portfolio::partner::parse_id(&partner);
    }
    outbox::partner_of(
        store,
        Select {
            entity: Some(ENTITY),
            entity_id: Some(&id_text),
            kind: Some(Kind::SaveQuote),
            ..Select::default()
        },
    )
    .await?
    .ok_or_else(|| DeskError::NotFound {
        what: format!("quote {id}"),
    })
}

/// One quote as shown: the platform's copy (if any) with local changes on top.
pub(crate) type Shown = outbox::Shown<Quote>;
