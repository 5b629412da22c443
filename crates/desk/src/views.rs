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
}

/// Filters and order of the portfolio screen. Empty filters match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PortfolioQuery {
    pub tier: Option<Tier>,
    pub region: Option<Region>,
    pub brand: Option<Brand>,
    /// Case-insensitive substring of the partner's name.
    pub search: Option<String>,
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
