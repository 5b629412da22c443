//! The review's view types: what the screen, the deck and the workbook show, and the quarters a
//! review can be built for.

use chrono::NaiveDate;
use program::metrics::Nps;
use program::progression::{Outlook, ThresholdStatus};
use program::qbr::{self, Kpi, Quarter};
use program::{Brand, Tier};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{DeskError, Result};

/// One key figure: this quarter, the one before and the same one a year before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KpiRow {
    pub kpi: Kpi,
    /// Decimal strings (retention as a fraction); null when the figure has no value.
    pub value: Option<String>,
    pub previous: Option<String>,
    pub year_before: Option<String>,
    /// Differences, and relative changes as fractions (null for NPS and retention, which move in
    /// points, and against a zero).
    pub change_previous: Option<String>,
    pub relative_previous: Option<String>,
    pub change_year: Option<String>,
    pub relative_year: Option<String>,
}

/// One month of the review's charts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReviewMonth {
    /// "YYYY-MM".
    pub month: String,
    pub active_customers: u32,
    pub new_deployments: u32,
    pub consumed: String,
    pub bought: String,
    pub balance: String,
    pub nps: Nps,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReviewDeals {
    pub open: u32,
    pub open_value: String,
    pub won: u32,
    pub won_value: String,
    pub lost: u32,
    pub lost_value: String,
    pub win_rate: Option<String>,
    pub forecast: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReviewMigration {
    pub customer: String,
    /// "in" or "out".
    pub direction: String,
    pub other_partner: String,
    pub effective_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TopCustomer {
    pub id: String,
    pub name: String,
    /// Credits consumed in the quarter.
    pub consumed: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Risk {
    /// The customer's last answer of the quarter was 0–6.
    Detractor { customer: String, score: u8 },
    /// Active for the partner when the quarter began, not at its end.
    Churned { customer: String },
    /// The closing runway is under the user's alert threshold.
    LowRunway { days: u32, threshold: u32 },
}

impl Risk {
    /// Whether the risk names a customer (a survey answer, a customer lost): material for the
    /// account manager, not for the partner's deck.
    pub fn names_a_customer(&self) -> bool {
        matches!(self, Risk::Detractor { .. } | Risk::Churned { .. })
    }
}

/// Who a review's deck and workbook are for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The partner: nothing about single customers' survey answers or risks.
    #[default]
    Partner,
    /// The account manager: the partner's deck and an internal appendix naming the customers at
    /// risk. A partner whose tier has no QBRs only ever gets this one (an internal review).
    Internal,
}

impl Audience {
    /// The audience `review`'s files are made for when `asked` is wanted.
    pub fn of(review: &Review, asked: Audience) -> Audience {
        if review.qbr_included {
            asked
        } else {
            Audience::Internal
        }
    }
}

/// A partner's review of a quarter: everything the screen, the deck and the workbook show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Review {
    pub partner_id: String,
    pub partner: String,
    pub tier: Tier,
    pub brands: Vec<Brand>,
    /// The partner's logo (SVG) for the deck; the window does not show it.
    #[serde(skip)]
    #[ts(skip)]
    pub logo: Option<String>,
    pub account_manager: String,
    pub quarter: String,
    pub previous: String,
    pub year_before: String,
    /// ISO date the figures run to: the quarter's last day, or today while it is in progress.
    pub measured_to: String,
    /// Whether the partner's tier includes QBRs; without, this is an internal review.
    pub qbr_included: bool,
    pub kpis: Vec<KpiRow>,
    pub monthly: Vec<ReviewMonth>,
    pub outlook: Outlook,
    pub next_tier: Option<Tier>,
    /// The next tier's thresholds at the quarter's end, and the gap to each.
    pub progression: Vec<ThresholdStatus>,
    pub deals: ReviewDeals,
    pub migrations: Vec<ReviewMigration>,
    pub top_customers: Vec<TopCustomer>,
    pub risks: Vec<Risk>,
    /// Written in this review, or carried over open from an earlier one.
    pub actions: Vec<ActionItemView>,
}

/// The quarters offered, newest first, and the one to start on (the last that has ended).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReviewQuarters {
    pub quarters: Vec<String>,
    pub default: String,
}

/// Where a review's files were written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReviewFiles {
    pub deck: String,
    /// The deck as an editable presentation (PPTX).
    pub slides: String,
    pub workbook: String,
}

impl Review {
    pub fn kpi(&self, kpi: Kpi) -> Option<&KpiRow> {
        self.kpis.iter().find(|k| k.kpi == kpi)
    }

    /// The risks `audience` reads: the partner's deck leaves out those naming a customer.
    pub fn risks_for(&self, audience: Audience) -> impl Iterator<Item = &Risk> {
        self.risks
            .iter()
            .filter(move |r| audience == Audience::Internal || !r.names_a_customer())
    }
}

/// The quarters a review can be built for on `as_of`: the current one (to date) and the seven
/// before it, newest first.
pub fn quarters(as_of: NaiveDate) -> Vec<String> {
    let mut q = Quarter::of(as_of);
    let mut out = Vec::new();
    for _ in 0..8 {
        out.push(q.to_string());
        q = q.previous();
    }
    out
}

/// The last quarter that has ended by `as_of`: the one a review is usually for.
pub fn default_quarter(as_of: NaiveDate) -> String {
    Quarter::of(as_of).previous().to_string()
}

pub fn parse_quarter(s: &str) -> Result<Quarter> {
    s.parse()
        .map_err(|e: qbr::QuarterError| DeskError::InvalidInput {
            field: "quarter",
            reason: e.to_string(),
        })
}

/// An action item as a review shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ActionItemView {
    pub id: String,
    /// The review it was written in.
    pub quarter: String,
    pub text: String,
    pub owner: String,
    /// ISO date.
    pub due_on: String,
    pub done: bool,
    /// Written in an earlier review and still open.
    pub carried_over: bool,
    /// Saved on this device, not yet accepted by the platform.
    pub pending: bool,
    /// Open and past its due date (on the review's last measured day).
    pub overdue: bool,
}

/// A new action item (no id) or a change to one, from the review screen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ActionItemForm {
    pub partner_id: String,
    pub id: Option<String>,
    /// The review it is written in ("2026-Q3"); an existing item keeps its own.
    pub quarter: String,
    pub text: String,
    pub owner: String,
    /// ISO date.
    pub due_on: String,
    pub done: bool,
}
