//! Wire types of the central API, shared by the desktop client and the reference server: the
//! change feed, mutations, problems, who is asking and the program policy. The entities they
//! carry are in `entities` (re-exported here).

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::migration::CustomerMigration;
use crate::money::Credits;
use crate::tiers::Tier;

pub use crate::entities::*;

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
    /// When the token stops working, if it does (absent from servers that do not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
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
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::integral::optional"
    )]
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
        /// The price the user saw, frozen where the purchase was made (see
        /// [`crate::credits::check_purchase_price`]). Absent from purchases queued by versions
        /// before 0.2: those are priced when they arrive.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        price: Option<crate::credits::PurchasePrice>,
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

impl MutationKind {
    /// The partner whose data it changes.
    pub fn partner_id(&self) -> PartnerId {
        match self {
            MutationKind::PurchaseCredits { partner_id, .. }
            | MutationKind::EditDeal { partner_id, .. }
            | MutationKind::SetQuoteStatus { partner_id, .. } => *partner_id,
            MutationKind::RegisterDeal { deal } => deal.partner_id,
            MutationKind::SaveQuote { quote } => quote.partner_id,
            MutationKind::SaveActionItem { item } => item.partner_id,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deals::{DealEdit, DealId};
    use crate::quotes::{QuoteId, QuoteStatus};

    #[test]
    fn a_mutation_names_the_partner_whose_data_it_changes() {
        let partner = PartnerId(Uuid::from_u128(7));
        for kind in [
            MutationKind::PurchaseCredits {
                partner_id: partner,
                credits: Credits::whole(5),
                price: None,
            },
            MutationKind::EditDeal {
                id: DealId(Uuid::from_u128(1)),
                partner_id: partner,
                edits: vec![DealEdit::Owner {
                    from: "Ana".into(),
                    to: "Luis".into(),
                }],
            },
            MutationKind::SetQuoteStatus {
                id: QuoteId(Uuid::from_u128(2)),
                partner_id: partner,
                from: QuoteStatus::Draft,
                to: QuoteStatus::Sent,
            },
        ] {
            assert_eq!(kind.partner_id(), partner);
        }
    }
}
