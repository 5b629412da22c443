//! The deal types the UI exchanges.

use program::deals::{DealEvent, DealRule, DealStage, DealStatus};
use program::{Brand, Currency};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::outbox::RefusedChange;

/// The outbox's entity name for deal mutations.
pub(super) const ENTITY: &str = "deal";
/// Deals whose registration lapses within this many days are listed as expiring soon.
pub const EXPIRING_WITHIN_DAYS: u64 = 14;

/// What the deal form sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DealForm {
    pub partner_id: String,
    pub company: String,
    pub domain: String,
    /// ISO country code.
    pub country: String,
    /// ISO 3166-2 code of the state, province or region, or empty (where the country has none).
    #[serde(default)]
    pub subdivision: String,
    pub brand: Option<Brand>,
    pub products: Vec<String>,
    /// Estimated value in credits, a decimal string.
    pub value: String,
    /// ISO date, or empty.
    pub expected_close: String,
    pub owner: String,
    pub notes: String,
}

/// What the rules say about a form before it is saved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DealCheck {
    /// Rules the cache knows fully (brand by region, the partner's brands, the catalog): a
    /// registration breaking one is not saved.
    pub errors: Vec<DealRule>,
    /// Rules the platform decides from what it alone sees in full (exclusive territories,
    /// earlier registrations): the cache's view, to warn before saving.
    pub warnings: Vec<DealRule>,
}

/// A deal as the user sees it: the platform's copy with this device's pending changes on top.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DealView {
    pub id: String,
    pub partner_id: String,
    pub company: String,
    pub domain: Option<String>,
    pub country: String,
    /// ISO 3166-2 code of its state, province or region, where the country has them.
    pub subdivision: Option<String>,
    pub brand: Brand,
    pub products: Vec<String>,
    /// Credits, decimal string.
    pub value: String,
    /// The value in the partner's currency at the synced FX rate (1 credit = 1 USD), if known.
    pub value_fiat: Option<String>,
    pub currency: Currency,
    pub stage: DealStage,
    pub expected_close: Option<String>,
    pub owner: String,
    pub notes: String,
    pub status: DealStatus,
    /// The rule behind a refusal or expiry, as the platform decided it.
    pub refusal: Option<DealRule>,
    /// Changes made on this device that the platform has not decided yet.
    pub pending: bool,
    /// Changes the platform refused outright (with its reason), until dismissed.
    pub refused_changes: Vec<RefusedChange>,
    pub registered_at: String,
    /// When the registration lapses unless the deal moves stage.
    pub expires_on: Option<String>,
    pub expiring_soon: bool,
    pub history: Vec<DealEvent>,
    /// The base for an edit: what this device saw of each field.
    pub version: i64,
}

/// One cell of the pipeline: deals of a territory (country) at a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PipelineCell {
    pub country: String,
    pub stage: DealStage,
    pub deals: u32,
    /// Credits, decimal string.
    pub credits: String,
    /// In the partner's currency, decimal string, if the FX rate is known.
    pub fiat: Option<String>,
}

/// A partner's pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Pipeline {
    pub cells: Vec<PipelineCell>,
    /// Totals per stage over every territory.
    pub stages: Vec<PipelineCell>,
    /// Open deals (approved or pending), credits.
    pub open_credits: String,
    pub open_fiat: Option<String>,
    /// Won ÷ (won + lost), a fraction as a decimal string; None before any deal closed.
    pub win_rate: Option<String>,
    pub won: u32,
    pub lost: u32,
    /// The quarter's forecast (see `program::deals::forecast`).
    pub forecast_credits: String,
    pub forecast_fiat: Option<String>,
    pub quarter_start: String,
    pub quarter_end: String,
    pub currency: Currency,
}

/// The deals screen of one partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DealList {
    pub deals: Vec<DealView>,
    pub expiring: Vec<DealView>,
    pub pipeline: Pipeline,
    pub registration_days: u32,
    /// Whether the partner's tier includes territory opportunities (Regional and Strategic).
    pub territory_benefit: bool,
    /// The brands the partner sells, for the form.
    pub brands: Vec<Brand>,
    /// The catalog, for the form's products.
    pub catalog: Vec<CatalogChoice>,
    /// The signed-in user, as deal histories name people (their lost edits are theirs to see).
    pub user: String,
    /// The territory map: the partner's exclusive territories, others' claims, its open deals.
    pub map: TerritoryMap,
}

/// What the territory map draws.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TerritoryMap {
    /// The partner's own exclusive territories.
    pub own: Vec<MapArea>,
    /// Other partners' exclusive territories in the regions the partner sells in.
    pub claims: Vec<MapClaim>,
    /// The partner's open deals, counted by place.
    pub deals: Vec<MapDeals>,
}

/// An area on the map: a whole country (no subdivisions) or some of its subdivisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MapArea {
    /// ISO 3166-1 code.
    pub country: String,
    /// ISO 3166-2 codes; empty for the whole country.
    pub subdivisions: Vec<String>,
}

/// Another partner's exclusive territory, as the public map names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MapClaim {
    pub holder: String,
    pub country: String,
    pub subdivisions: Vec<String>,
}

/// How many open deals a place has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MapDeals {
    pub country: String,
    pub subdivision: Option<String>,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CatalogChoice {
    pub sku: String,
    pub name: String,
    pub brands: Vec<Brand>,
}
