//! Wire types of the central API, shared by the desktop client and the reference server.
//!
//! Entities carry exact decimals as strings, dates as ISO 8601 and ids as UUIDs. Validation that
//! the program demands (a rate inside its band, a brand inside its region) is exposed as methods
//! so both sides run the same checks.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::migration::CustomerMigration;
use crate::money::{Credits, Currency, Money};
use crate::regions::{Brand, BrandRegionError, Country, Region};
use crate::tiers::{DiscountRate, RateError, Tier};

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        #[serde(transparent)]
        #[ts(type = "string")]
        pub struct $name(pub Uuid);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    PartnerId,
    TerritoryId,
    CustomerId,
    DeploymentId,
    LedgerEntryId,
    NpsResponseId,
    MigrationId,
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Partner {
    pub id: PartnerId,
    pub name: String,
    pub tier: Tier,
    /// The partner's discount on Activation Credits, as a fraction; must lie in the tier's band.
    pub discount_rate: Decimal,
    /// Headquarters.
    pub country: Country,
    pub brands: Vec<Brand>,
    /// The currency the partner buys credits in.
    pub currency: Currency,
    pub joined_on: NaiveDate,
    pub account_manager: String,
}

impl Partner {
    pub fn region(&self) -> Region {
        self.country.region()
    }

    /// The rate, checked against the tier's band.
    pub fn discount(&self) -> Result<DiscountRate, RateError> {
        DiscountRate::new(self.tier, self.discount_rate)
    }
}

/// How exclusive a territory is. Only Regional (regional) and Strategic (country-level) partners
/// may hold exclusivity, decided case by case by the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Exclusivity {
    None,
    Regional,
    CountryLevel,
}

impl Exclusivity {
    /// Whether `tier` may hold this kind of exclusivity under the benefits matrix.
    pub fn allowed_for(self, tier: Tier) -> bool {
        match self {
            Exclusivity::None => true,
            Exclusivity::Regional => tier == Tier::Regional,
            Exclusivity::CountryLevel => tier == Tier::Strategic,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Territory {
    pub id: TerritoryId,
    pub partner_id: PartnerId,
    pub region: Region,
    /// Set for a country-level territory; None covers the whole region.
    pub country: Option<Country>,
    pub exclusivity: Exclusivity,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Customer {
    pub id: CustomerId,
    /// The partner of record today (changes only through a migration).
    pub partner_id: PartnerId,
    pub name: String,
    pub country: Country,
    pub brand: Brand,
    pub founder: String,
    pub created_on: NaiveDate,
}

impl Customer {
    pub fn check_brand(&self) -> Result<(), BrandRegionError> {
        self.brand.check_serves(self.country)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Billing {
    OneOff,
    Monthly,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Deployment {
    pub id: DeploymentId,
    pub customer_id: CustomerId,
    /// The partner that made the deployment.
    pub partner_id: PartnerId,
    pub sku: String,
    pub billing: Billing,
    /// Credits consumed: once for a one-off deployment, per month for a recurring one.
    pub credits: Credits,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
}

impl Deployment {
    pub fn is_active_on(&self, day: NaiveDate) -> bool {
        self.started_on <= day && self.ended_on.is_none_or(|end| end > day)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    Purchase,
    Consumption,
    Migration,
    Adjustment,
}

/// One line of a partner's append-only credit ledger. Credits are signed: purchases add,
/// consumptions subtract, migrations are always zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LedgerEntry {
    pub id: LedgerEntryId,
    pub partner_id: PartnerId,
    pub at: DateTime<Utc>,
    pub kind: LedgerKind,
    pub credits: Credits,
    /// For purchases: the fiat paid and the discount rate applied.
    pub fiat: Option<Money>,
    pub rate: Option<Decimal>,
    pub deployment_id: Option<DeploymentId>,
    pub customer_id: Option<CustomerId>,
    /// For consumptions: the consumed deployment's billing, carried on the line so that
    /// recurring volume is read from the ledger alone. Absent from older feeds: the client then
    /// looks the deployment up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing: Option<Billing>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("a purchase must add credits and record the fiat paid and the rate applied")]
    BadPurchase,
    #[error("a consumption must subtract credits and name its deployment")]
    BadConsumption,
    #[error("a customer migration costs 0 credits")]
    MigrationWithCredits,
    #[error("only a consumption carries its deployment's billing")]
    BillingOutsideConsumption,
}

impl LedgerEntry {
    /// The zero-credit ledger line recording a customer migration.
    pub fn for_migration(id: LedgerEntryId, m: &CustomerMigration, at: DateTime<Utc>) -> Self {
        LedgerEntry {
            id,
            partner_id: m.to_partner,
            at,
            kind: LedgerKind::Migration,
            credits: m.credit_cost(),
            fiat: None,
            rate: None,
            deployment_id: None,
            customer_id: Some(m.customer_id),
            billing: None,
        }
    }

    pub fn validate(&self) -> Result<(), LedgerError> {
        match self.kind {
            LedgerKind::Purchase
                if self.credits <= Credits::ZERO || self.fiat.is_none() || self.rate.is_none() =>
            {
                Err(LedgerError::BadPurchase)
            }
            LedgerKind::Consumption
                if self.credits >= Credits::ZERO || self.deployment_id.is_none() =>
            {
                Err(LedgerError::BadConsumption)
            }
            LedgerKind::Migration if self.credits != Credits::ZERO => {
                Err(LedgerError::MigrationWithCredits)
            }
            kind if kind != LedgerKind::Consumption && self.billing.is_some() => {
                Err(LedgerError::BillingOutsideConsumption)
            }
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NpsResponse {
    pub id: NpsResponseId,
    pub customer_id: CustomerId,
    pub partner_id: PartnerId,
    pub answered_on: NaiveDate,
    /// 0..=10.
    pub score: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum CatalogKind {
    CoreBundle,
    Skill,
    Pack,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CatalogItem {
    pub sku: String,
    pub name: String,
    pub kind: CatalogKind,
    /// List price in credits: per deployment for one-off items, per month for recurring ones.
    pub list_price: Credits,
    pub billing: Billing,
    pub brands: Vec<Brand>,
    pub early_access: bool,
}

/// A whole workspace at once: what the demo generator produces and a bootstrap loads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dataset {
    pub partners: Vec<Partner>,
    pub territories: Vec<Territory>,
    pub customers: Vec<Customer>,
    pub deployments: Vec<Deployment>,
    pub ledger: Vec<LedgerEntry>,
    pub nps: Vec<NpsResponse>,
    pub catalog: Vec<CatalogItem>,
    pub migrations: Vec<CustomerMigration>,
    pub deals: Vec<crate::deals::Deal>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::Initiator;

    #[test]
    fn only_a_consumption_carries_its_deployments_billing() {
        let line = |kind, credits: i64, billing| LedgerEntry {
            id: LedgerEntryId(uuid::Uuid::nil()),
            partner_id: PartnerId(uuid::Uuid::nil()),
            at: chrono::DateTime::UNIX_EPOCH,
            kind,
            credits: Credits::whole(credits),
            fiat: None,
            rate: None,
            deployment_id: Some(DeploymentId(uuid::Uuid::nil())),
            customer_id: None,
            billing,
        };
        assert_eq!(
            line(LedgerKind::Consumption, -5, Some(Billing::Monthly)).validate(),
            Ok(())
        );
        assert_eq!(line(LedgerKind::Consumption, -5, None).validate(), Ok(()));
        assert_eq!(
            line(LedgerKind::Adjustment, 5, Some(Billing::OneOff)).validate(),
            Err(LedgerError::BillingOutsideConsumption)
        );
    }

    #[test]
    fn territory_exclusivity_follows_the_benefits_matrix() {
        use Exclusivity::*;
        for tier in [Tier::Authorized, Tier::Specialist] {
            assert!(!Regional.allowed_for(tier) && !CountryLevel.allowed_for(tier));
        }
        assert!(Regional.allowed_for(Tier::Regional) && !CountryLevel.allowed_for(Tier::Regional));
        assert!(CountryLevel.allowed_for(Tier::Strategic));
    }

    #[test]
    fn migration_ledger_line_carries_zero_credits() {
        let m = CustomerMigration::new(
            MigrationId(Uuid::from_u128(1)),
            CustomerId(Uuid::from_u128(2)),
            PartnerId(Uuid::from_u128(3)),
            PartnerId(Uuid::from_u128(4)),
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            Initiator::Founder("Lu".into()),
        )
        .unwrap();
        let line = LedgerEntry::for_migration(LedgerEntryId(Uuid::from_u128(5)), &m, Utc::now());
        assert_eq!(line.credits, Credits::ZERO);
        assert!(line.validate().is_ok());
        let mut bad = line;
        bad.credits = Credits::whole(1);
        assert_eq!(bad.validate(), Err(LedgerError::MigrationWithCredits));
    }
}

// ---------------------------------------------------------------------------------------------
// The API: who is asking, the change feed, the write path, and errors.
// ---------------------------------------------------------------------------------------------

/// What a signed-in user is, as `GET /v1/me` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Platform side: sees the partners assigned to them.
    PlatformAccountManager,
    /// Partner side: sees only their own partner.
    PartnerAdmin,
    PartnerSales,
}

/// `GET /v1/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Me {
    pub user: String,
    pub role: Role,
    /// The partners this user may see: the scope of every read and write.
    pub partners: Vec<PartnerId>,
}

/// The OAuth 2.0 client id of Partner Desk, a public (native) client: it signs in through the
/// system browser with an authorization code, PKCE and a loopback redirect (RFC 8252).
pub const DESK_CLIENT_ID: &str = "partner-desk";

/// Where a central API's OAuth 2.0 discovery document lives (RFC 8414), under its base URL.
pub const AUTH_METADATA_PATH: &str = ".well-known/oauth-authorization-server";

/// `GET /.well-known/oauth-authorization-server` (RFC 8414): where to sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuthServerMetadata {
    pub issuer: String,
    /// The login page the browser opens.
    pub authorization_endpoint: String,
    /// Where the app trades a code or a refresh token for tokens.
    pub token_endpoint: String,
    pub response_types_supported: Vec<String>,
    pub grant_types_supported: Vec<String>,
    pub code_challenge_methods_supported: Vec<String>,
    pub token_endpoint_auth_methods_supported: Vec<String>,
}

/// The kinds of rows the change feed carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Partner,
    Territory,
    Customer,
    Deployment,
    LedgerEntry,
    NpsResponse,
    CatalogItem,
    CustomerMigration,
    Deal,
    /// The territory map: who holds which territory exclusively, seen by everyone.
    TerritoryClaim,
    Quote,
    /// A Quarterly Executive Review's action item.
    ActionItem,
}

impl Entity {
    pub const ALL: [Entity; 12] = [
        Entity::Partner,
        Entity::Territory,
        Entity::Customer,
        Entity::Deployment,
        Entity::LedgerEntry,
        Entity::NpsResponse,
        Entity::CatalogItem,
        Entity::CustomerMigration,
        Entity::Deal,
        Entity::TerritoryClaim,
        Entity::Quote,
        Entity::ActionItem,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Partner => "partner",
            Entity::Territory => "territory",
            Entity::Customer => "customer",
            Entity::Deployment => "deployment",
            Entity::LedgerEntry => "ledger_entry",
            Entity::NpsResponse => "nps_response",
            Entity::CatalogItem => "catalog_item",
            Entity::CustomerMigration => "customer_migration",
            Entity::Deal => "deal",
            Entity::TerritoryClaim => "territory_claim",
            Entity::Quote => "quote",
            Entity::ActionItem => "action_item",
        }
    }

    pub fn parse(s: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Upsert,
    Delete,
}

/// One line of a `GET /v1/changes` page (NDJSON): a header, the changes in `seq` order, and a
/// trailer. A page without its trailer is truncated and must be discarded whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "line", rename_all = "snake_case")]
pub enum FeedLine {
    Header(PageHeader),
    Change(Change),
    Trailer(PageTrailer),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PageHeader {
    /// The cursor the page starts after.
    pub after: u64,
    /// The feed's newest `seq` when the page was cut.
    pub head: u64,
}

/// A row that changed. `seq` is server-assigned and strictly increasing across the feed;
/// `version` counts the row's own changes. `data` is the entity's wire type for an upsert, and
/// absent for a delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Change {
    pub seq: u64,
    pub entity: Entity,
    pub op: Op,
    pub id: String,
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

/// The end of a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PageTrailer {
    /// The cursor to ask for next (the last `seq` of the page, or `after` for an empty page).
    pub next: u64,
    pub has_more: bool,
    /// For each partner in scope whose ledger the page touched: the ledger as of `next`. A client
    /// whose mirror disagrees refetches that partner's ledger.
    pub checksums: Vec<LedgerChecksum>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LedgerChecksum {
    pub partner_id: PartnerId,
    pub entries: u64,
    pub balance: Credits,
}

/// A write the client asks the server to make. `id` (a UUIDv7 made by the client) makes it
/// idempotent: the server applies an id at most once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Mutation {
    pub id: Uuid,
    /// The version of the row the change was based on, when it edits one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_version: Option<u64>,
    #[serde(flatten)]
    pub kind: MutationKind,
}

/// What a mutation does. Later work adds action items here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "kind", content = "input", rename_all = "snake_case")]
pub enum MutationKind {
    /// Buy Activation Credits at the partner's own rate, paid in its currency.
    PurchaseCredits {
        partner_id: PartnerId,
        credits: Credits,
    },
    /// Register a deal. The platform records it and decides it: approved, or refused with the
    /// rule it breaks (the decision comes back on the deal, by the feed).
    RegisterDeal { deal: crate::deals::DealInput },
    /// Change fields of a deal (see [`crate::deals::merge_edit`] for contested fields).
    EditDeal {
        id: crate::deals::DealId,
        partner_id: PartnerId,
        edits: Vec<crate::deals::DealEdit>,
    },
    /// Write a draft quote, or a new revision of a sent one. The platform prices it by the same
    /// rules and refuses one that breaks them.
    SaveQuote { quote: crate::quotes::Quote },
    /// Move a quote along its lifecycle (sent, accepted, declined, expired).
    SetQuoteStatus {
        id: crate::quotes::QuoteId,
        partner_id: PartnerId,
        from: crate::quotes::QuoteStatus,
        to: crate::quotes::QuoteStatus,
    },
    /// Write an action item of a review, new or changed (the whole item: the last save wins).
    SaveActionItem { item: crate::qbr::ActionItem },
}

/// `POST /v1/mutations`, sent with an `Idempotency-Key` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MutationBatch {
    pub mutations: Vec<Mutation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MutationResults {
    pub results: Vec<MutationResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MutationResult {
    pub id: Uuid,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// What became of one mutation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Done (now or by an earlier delivery of the same id); its effects arrive by the feed.
    Applied,
    /// Refused for good; `reason` is meant for the user.
    Rejected { code: ProblemCode, reason: String },
    /// Not done this time; send it again later.
    Retry { reason: String },
}

/// Stable error codes of the API's problem details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    Unauthorized,
    Forbidden,
    NotFound,
    BadRequest,
    CursorTooOld,
    RateLimited,
    Unavailable,
    Internal,
    /// A mutation broke a rule of the program.
    RuleViolation,
}

/// An error response (RFC 9457 problem details), with a stable `code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub code: ProblemCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// `GET /v1/program`: the program's policy as the server enforces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProgramPolicy {
    pub tiers: Vec<TierPolicy>,
    pub progression: crate::progression::ProgressionPolicy,
    pub fx_rates: Vec<crate::credits::FxRate>,
    /// Days a deal registration lasts unless it moves stage.
    pub deal_registration_days: u32,
    /// Days a quote stays valid.
    pub quote_validity_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TierPolicy {
    pub tier: Tier,
    pub band: crate::tiers::DiscountBand,
    pub benefits: Vec<(crate::benefits::Benefit, crate::benefits::Entitlement)>,
}

impl ProgramPolicy {
    /// The reference server's policy.
    pub fn reference(fx_rates: Vec<crate::credits::FxRate>) -> ProgramPolicy {
        ProgramPolicy {
            tiers: Tier::ALL
                .into_iter()
                .map(|tier| TierPolicy {
                    tier,
                    band: tier.band(),
                    benefits: crate::benefits::benefits_of(tier),
                })
                .collect(),
            progression: crate::progression::ProgressionPolicy::reference(),
            fx_rates,
            deal_registration_days: 90,
            quote_validity_days: 30,
        }
    }
}

/// `GET /v1/program`: the policy, plus the catalog partners sell from. The policy's fields sit at
/// the top level, so a client that only wants the policy reads the same document as a
/// `ProgramPolicy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProgramInfo {
    #[serde(flatten)]
    pub policy: ProgramPolicy,
    pub catalog: Vec<CatalogItem>,
}
