//! What the UI receives and sends: the IPC types, exported to TypeScript in `ui/src/ipc/`.
//!
//! Money and credits cross as decimal strings, dates as ISO 8601 strings, ids as UUID strings.

use program::benefits::{Benefit, Entitlement};
use program::contract::Exclusivity;
use program::{Brand, Currency, DiscountBand, Region, Tier};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Columns the portfolio can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PortfolioSort {
    #[default]
    Name,
    Tier,
    Discount,
    Region,
    ActiveCustomers,
    Balance,
    Nps,
    Retention,
    RecurringVolume,
    Runway,
}

/// Filters and order of the portfolio screen. Empty filters match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PortfolioQuery {
    pub tier: Option<Tier>,
    pub region: Option<Region>,
    pub brand: Option<Brand>,
    /// Case-insensitive substring of the partner's name.
    pub search: Option<String>,
    /// Only partners meeting every threshold of the next self-service tier.
    #[serde(default)]
    pub eligible_only: bool,
    /// Only partners holding an exclusive territory.
    #[serde(default)]
    pub exclusive_only: bool,
    /// Only partners whose runway is below this many days.
    #[serde(default)]
    pub runway_below_days: Option<u32>,
    pub sort: PortfolioSort,
    pub descending: bool,
}

/// One partner in the portfolio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PortfolioRow {
    #[ts(type = "string")]
    pub id: program::contract::PartnerId,
    pub name: String,
    pub tier: Tier,
    /// Fraction, e.g. "0.125" for 12.5 %.
    pub discount_rate: String,
    pub region: Region,
    /// ISO 3166-1 alpha-2 code of the partner's headquarters.
    pub country: String,
    pub brands: Vec<Brand>,
    pub currency: Currency,
    pub active_customers: u32,
    /// Credits, as a decimal string with two decimals.
    pub credit_balance: String,
    /// NPS over the trailing 12 months; null below the minimum response count.
    pub nps: Option<i32>,
    pub nps_responses: u32,
    /// Logo retention over the trailing 12 months, as a fraction; null without starting
    /// customers.
    pub retention: Option<String>,
    /// Credits consumed by recurring deployments over the trailing 12 months.
    pub recurring_volume: String,
    /// Days the balance lasts at the last 30 days' burn; null when nothing is being consumed.
    pub runway_days: Option<u32>,
    pub eligible_for_upgrade: bool,
    pub exclusive_territory: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BenefitRow {
    pub benefit: Benefit,
    pub entitlement: Entitlement,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TerritoryRow {
    pub id: String,
    pub region: Region,
    /// Set for a country-level territory; null covers the whole region.
    pub country: Option<String>,
    pub exclusivity: Exclusivity,
}

/// Everything the partner page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PartnerPage {
    pub partner: PortfolioRow,
    pub band: DiscountBand,
    pub account_manager: String,
    /// ISO date.
    pub joined_on: String,
    pub benefits: Vec<BenefitRow>,
    pub next_tier: Option<Tier>,
    /// Rows whose cell the next tier changes, with the next tier's cell.
    pub next_tier_adds: Vec<BenefitRow>,
    pub territories: Vec<TerritoryRow>,
    pub nps: program::metrics::Nps,
    /// Customers active at the start of the trailing 12 months, and how many are still active.
    pub retention_base: u32,
    pub retention_retained: u32,
    /// Names of the customers lost over the trailing 12 months.
    pub churned: Vec<String>,
    /// Credits consumed per day over the last 30 and 90 days.
    pub burn_30: String,
    pub burn_90: String,
    pub outlook: program::progression::Outlook,
    /// The thresholds of the next tier (for Regional: of consideration for Strategic).
    pub progression: Vec<program::progression::ThresholdStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum WorkspaceKind {
    Demo,
    Remote,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WorkspaceInfo {
    pub kind: WorkspaceKind,
    pub partners: u32,
    pub customers: u32,
    pub deployments: u32,
    /// ISO date of the data.
    pub as_of: String,
}

/// What sync is doing, as the status bar shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    /// Up to date, waiting for the next round.
    Idle,
    Syncing,
    /// The central API cannot be reached; sync retries by itself.
    Offline,
    /// The last round failed for a reason a retry will not fix (e.g. the token was refused).
    Failed,
}

/// Why the last round failed, in a form the UI words for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncProblemKind {
    Offline,
    ServerBusy,
    ServerError,
    SignInRefused,
    BadData,
    Refused,
    LocalStorage,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SyncProblem {
    pub kind: SyncProblemKind,
    /// The technical cause, in English, for support.
    pub detail: String,
}

/// Progress of a round's download, by position in the change feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SyncProgress {
    pub done: u32,
    pub total: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SyncStatus {
    pub phase: SyncPhase,
    /// RFC 3339 time of the last round that completed.
    pub last_synced_at: Option<String>,
    /// Local changes waiting to be sent.
    pub pending: u32,
    /// Local changes the central API refused (see `outbox_rejected`).
    pub rejected: u32,
    /// Set while downloading; the UI shows a bar during the first sync.
    pub progress: Option<SyncProgress>,
    /// Whether the cache has never completed a sync.
    pub first_sync: bool,
    pub problem: Option<SyncProblem>,
}

/// A local change the central API refused, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RejectedChange {
    pub id: String,
    /// What the change was, in words (e.g. "Buy 5000 credits for Andes Digital").
    pub summary: String,
    pub reason: String,
    /// RFC 3339 time the change was made.
    pub created_at: String,
}

/// Which table to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    /// The portfolio as filtered and sorted on screen.
    Portfolio,
    /// One partner's credit ledger.
    Ledger,
    Customers,
    Deployments,
}

/// What a purchase of credits costs at a partner's rate, or what an amount buys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PurchaseQuote {
    /// Credits bought, decimal string.
    pub credits: String,
    /// Fiat paid, decimal string in `currency`'s minor unit.
    pub fiat: String,
    pub currency: Currency,
    /// The partner's discount rate, as a fraction.
    pub rate: String,
    pub band: DiscountBand,
    /// Units of `currency` per USD, and the day of that rate.
    pub fx_per_usd: String,
    pub fx_as_of: String,
}
