//! What the UI receives and sends: the IPC types, exported to TypeScript in `ui/src/ipc/`.
//!
//! Money and credits cross as decimal strings, dates as ISO 8601 strings, ids as UUID strings.

use program::benefits::{Benefit, Entitlement};
use program::contract::Exclusivity;
use program::deals::DealField;
use program::quotes::QuoteStatus;
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
    /// Words that must each begin a word of the partner's name or country, or of one of its
    /// customers' names (accents and case ignored).
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
    /// Rows to skip (paging).
    #[serde(default)]
    pub offset: u32,
    /// Rows per page; default 100, at most 1,000.
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One page of the portfolio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PortfolioPage {
    pub rows: Vec<PortfolioRow>,
    /// Partners matching the query, on every page.
    pub total: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SearchKind {
    Partner,
    Customer,
}

/// One result of the search box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SearchHit {
    pub kind: SearchKind,
    pub id: String,
    pub name: String,
    pub country: String,
    /// The partner to open: the hit itself, or the customer's partner of record.
    pub partner_id: String,
    pub partner_name: String,
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
    /// The country of an exclusive territory; null covers the whole region.
    pub country: Option<String>,
    /// ISO 3166-2 codes of the states, provinces or regions a regional exclusivity covers; empty
    /// for a whole country or region.
    pub subdivisions: Vec<String>,
    pub exclusivity: Exclusivity,
}

/// One step of a partner's tier history: the tier it entered on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TierStep {
    pub tier: Tier,
    /// ISO date.
    pub on: String,
}

/// Everything the partner page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PartnerPage {
    pub partner: PortfolioRow,
    pub band: DiscountBand,
    pub account_manager: String,
    /// ISO date.
    pub joined_on: String,
    /// Every tier the partner has held, oldest first (Authorized on the day it joined).
    pub tier_history: Vec<TierStep>,
    pub benefits: Vec<BenefitRow>,
    pub next_tier: Option<Tier>,
    /// Rows whose cell the next tier changes, with the next tier's cell.
    pub next_tier_adds: Vec<BenefitRow>,
    pub territories: Vec<TerritoryRow>,
    pub nps: program::metrics::Nps,
    /// Customers active at the start of the trailing 12 months, and how many are still active.
    pub retention_base: u32,
    pub retention_retained: u32,
    /// ISO date the partner joined, when it is younger than the 12 months and retention is
    /// measured over its time in the program (its base: the customers it deployed for since).
    pub retention_since: Option<String>,
    /// Names of the customers lost over the trailing 12 months.
    pub churned: Vec<String>,
    /// Credits consumed per day over the last 30 and 90 days.
    pub burn_30: String,
    pub burn_90: String,
    pub outlook: program::progression::Outlook,
    /// The thresholds of the next tier (for Regional: of consideration for Strategic).
    pub progression: Vec<program::progression::ThresholdStatus>,
}

/// What the app is doing before its window can show a workspace, in the order it does it: the
/// window shows the step and how far along the steps it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum StartupStep {
    /// Opening (or first creating) the local cache.
    OpeningCache,
    /// Creating the demo workspace's world: its partners, customers, deployments and ledger
    /// (the first start only).
    CreatingDemo,
    /// Starting the demo workspace's platform on this computer.
    StartingDemo,
    /// Connecting the cache to its workspace.
    Connecting,
}

impl StartupStep {
    /// Every step, in order.
    pub const ALL: [StartupStep; 4] = [
        StartupStep::OpeningCache,
        StartupStep::CreatingDemo,
        StartupStep::StartingDemo,
        StartupStep::Connecting,
    ];
}

/// Where the start is: the step under way (`None` once the start is over) and its place among
/// [`StartupStep::ALL`], from 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StartupProgress {
    pub step: Option<StartupStep>,
    pub number: u32,
    pub of: u32,
}

impl StartupProgress {
    pub fn at(step: StartupStep) -> StartupProgress {
        let number = StartupStep::ALL
            .iter()
            .position(|s| *s == step)
            .map_or(0, |i| i as u32 + 1);
        StartupProgress {
            step: Some(step),
            number,
            of: StartupStep::ALL.len() as u32,
        }
    }

    pub fn done() -> StartupProgress {
        StartupProgress {
            step: None,
            number: StartupStep::ALL.len() as u32,
            of: StartupStep::ALL.len() as u32,
        }
    }
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
    /// Some partners in the cache have no figures yet (a first sync computes them when its
    /// download ends): the portfolio, which lists partners by their figures, is not whole yet.
    pub figures_pending: bool,
    pub customers: u32,
    pub deployments: u32,
    /// ISO date of the data.
    pub as_of: String,
    /// For a partner's own user: their partner, whose page is the home screen.
    pub home_partner: Option<String>,
    /// The signed-in user's role; None in the demo workspace. The UI offers only what the role
    /// may do (a partner's sales user buys no credits).
    pub role: Option<program::contract::Role>,
    /// The central API a signed-in workspace syncs with (signing in again starts from it); None
    /// in the demo workspace.
    pub base_url: Option<String>,
    /// This build's version (`desk::VERSION`), shown at the foot of the window.
    pub app_version: String,
    /// What this start recovered from a damaged cache, if it had to (`crate::recovery`).
    pub recovered: Option<Recovery>,
}

/// Why the cache was recovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Damage {
    /// The secret store no longer holds the cache's key: nothing of it can be read.
    KeyMissing,
    /// The file does not open, or its pages fail their checks.
    Unreadable,
}

/// What a recovery did, for the window to tell the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Recovery {
    pub damage: Damage,
    /// Where the damaged file was moved.
    pub moved_to: String,
    /// Whether the damaged cache's outbox could be read at all (not without its key, say): if not,
    /// whatever it held is lost.
    pub outbox_read: bool,
    /// Changes waiting to be sent that were carried into the new cache.
    pub changes_kept: u32,
    /// Changes waiting to be sent that could not be read back.
    pub changes_lost: u32,
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
    /// Rows (changes) written to the cache so far in this round.
    pub rows: u32,
    /// The time the rest should take at the pace so far; none until the pace is known.
    pub seconds_left: Option<u32>,
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
    /// RFC 3339 time the access token expires, set from a week before (and after) when the app
    /// cannot renew it (a token an administrator handed out): the window asks the user to get a
    /// new one in time.
    pub token_expires_at: Option<String>,
}

/// A local change the central API refused, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RejectedChange {
    pub id: String,
    /// What the change was; the window words it in the user's language.
    pub what: ChangeSummary,
    /// The central API's reason, as it gave it.
    pub reason: String,
    /// RFC 3339 time the change was made.
    pub created_at: String,
}

/// What a local change did, in facts the window puts into words (e.g. "Buy 5,000.00 credits for
/// Andes Digital").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeSummary {
    PurchaseCredits {
        /// Decimal string.
        credits: String,
        /// The partner's name, when the cache knows it.
        partner: Option<String>,
    },
    RegisterDeal {
        company: String,
    },
    EditDeal {
        fields: Vec<DealField>,
    },
    SaveQuote {
        number: String,
        customer: String,
    },
    SetQuoteStatus {
        status: QuoteStatus,
    },
    SaveActionItem {
        text: String,
    },
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
    /// One partner's deals.
    Deals,
    /// One partner's pipeline: by territory and stage, win rate, the quarter's forecast.
    Pipeline,
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

/// Kinds of ledger lines: the program's.
pub use program::contract::LedgerKind;

/// One line of a partner's credit ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LedgerLine {
    pub id: String,
    /// RFC 3339 time.
    pub at: String,
    pub kind: LedgerKind,
    /// Credits, signed (consumptions are negative), decimal string.
    pub credits: String,
    /// The balance right after this line.
    pub balance_after: String,
    /// Fiat paid (purchases), decimal string in `currency`.
    pub fiat: Option<String>,
    pub currency: Option<String>,
    /// The discount rate applied (purchases), as a fraction.
    pub rate: Option<String>,
    pub deployment_id: Option<String>,
    /// The deployment's SKU (consumptions).
    pub sku: Option<String>,
    pub customer_id: Option<String>,
    pub customer: Option<String>,
    /// Why an adjustment was made (adjustments only).
    pub reason: Option<program::contract::AdjustmentReason>,
}

/// A purchase made here that the central API has not applied yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PendingPurchase {
    pub id: String,
    pub credits: String,
    /// RFC 3339 time it was made.
    pub created_at: String,
}

/// One page of a partner's ledger, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LedgerPage {
    pub lines: Vec<LedgerLine>,
    /// Pass back as `after` for the next (older) page; null on the last page.
    pub next: Option<String>,
    /// Lines in the whole ledger.
    pub entries: u32,
    /// The balance as of the last sync.
    pub balance: String,
    /// The balance once the pending purchases below are applied.
    pub provisional_balance: String,
    pub pending: Vec<PendingPurchase>,
}

/// Which of a partner's customers to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CustomerFilter {
    #[default]
    All,
    Active,
    Churned,
    MigratedIn,
    MigratedOut,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CustomerStatus {
    /// The partner's, with a deployment active today.
    Active,
    /// The partner's, with no deployment active today.
    Churned,
    /// Moved to another partner.
    MigratedOut,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CustomerRow {
    pub id: String,
    pub name: String,
    pub country: String,
    /// ISO 3166-2 code of its state, province or region, where its country has them.
    pub subdivision: Option<String>,
    pub brand: Brand,
    pub founder: String,
    /// ISO date.
    pub created_on: String,
    pub status: CustomerStatus,
    pub active_deployments: u32,
    pub deployments: u32,
    /// When it migrated to this partner (latest), if it did.
    pub migrated_in_on: Option<String>,
    /// When it migrated away from this partner (latest), if it did.
    pub migrated_out_on: Option<String>,
    /// Its partner of record today.
    pub partner_now: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CustomerCounts {
    pub all: u32,
    pub active: u32,
    pub churned: u32,
    pub migrated_in: u32,
    pub migrated_out: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CustomerPage {
    pub rows: Vec<CustomerRow>,
    /// Customers matching the filter.
    pub total: u32,
    pub counts: CustomerCounts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DeploymentRow {
    pub id: String,
    pub sku: String,
    pub product: Option<String>,
    pub monthly: bool,
    /// Credits per month (monthly) or once.
    pub credits: String,
    pub started_on: String,
    pub ended_on: Option<String>,
    pub active: bool,
    /// The partner that made the deployment.
    pub partner_id: String,
    pub partner: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MigrationDirection {
    In,
    Out,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MigrationRow {
    pub id: String,
    pub customer_id: String,
    pub customer: Option<String>,
    pub direction: MigrationDirection,
    /// The partner it came from (in) or went to (out).
    pub other_partner_id: String,
    pub other_partner: Option<String>,
    /// ISO date.
    pub effective_on: String,
    /// The founder who asked for it.
    pub initiated_by: String,
    /// What the migration cost in credits: always zero ("0.00"); a migration moves the partner of
    /// record, never credits.
    pub credits: String,
}

/// A customer, its deployments (whichever partner made them) and its migrations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CustomerDetail {
    pub customer: CustomerRow,
    pub deployments: Vec<DeploymentRow>,
    pub migrations: Vec<MigrationRow>,
}

/// One month of a partner's trend charts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TrendPoint {
    /// "YYYY-MM".
    pub month: String,
    /// At the month's end (today for the current month).
    pub active_customers: u32,
    pub active_deployments: u32,
    /// Of the month's responses.
    pub nps: program::metrics::Nps,
    /// Credits consumed in the month.
    pub consumed: String,
}

/// The user's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Settings {
    /// Runway (days) below which a partner is flagged.
    pub low_runway_days: u32,
}
