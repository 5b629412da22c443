//! A partner's review of a quarter, built from its facts.

use std::collections::HashMap;

use chrono::NaiveDate;
use program::benefits::Benefit;
use program::contract::{CustomerId, PartnerId};
use program::qbr::{self, Facts, Kpi, Quarter};
use program::Credits;
use rust_decimal::Decimal;

use super::action_items::action_items;
use super::facts::{consumption_by_customer, facts};
use super::model::{KpiRow, Review, ReviewDeals, ReviewMigration, ReviewMonth, Risk, TopCustomer};
use crate::error::{DeskError, Result};
use crate::input::iso;
use crate::store::Store;

/// How many customers the review ranks.
pub const TOP_CUSTOMERS: usize = 10;

fn decimal(d: Decimal) -> String {
    d.normalize().to_string()
}

fn kpi_rows(facts: &Facts, quarter: Quarter) -> Vec<KpiRow> {
    let now = qbr::kpis(facts, quarter);
    let previous = qbr::kpis(facts, quarter.previous());
    let year = qbr::kpis(facts, quarter.year_before());
    Kpi::ALL
        .iter()
        .map(|&kpi| {
            let (v, p, y) = (now.value(kpi), previous.value(kpi), year.value(kpi));
            let (change_previous, relative_previous) = qbr::change(kpi, v, p);
            let (change_year, relative_year) = qbr::change(kpi, v, y);
            KpiRow {
                kpi,
                value: v.map(decimal),
                previous: p.map(decimal),
                year_before: y.map(decimal),
                change_previous: change_previous.map(decimal),
                relative_previous: relative_previous.map(decimal),
                change_year: change_year.map(decimal),
                relative_year: relative_year.map(decimal),
            }
        })
        .collect()
}

/// `partner`'s review of `quarter` from the cache, as of `as_of` (today).
pub async fn review(
    store: &Store,
    partner: PartnerId,
    quarter: Quarter,
    as_of: NaiveDate,
) -> Result<Review> {
    if quarter.first_day() > as_of {
        return Err(DeskError::InvalidInput {
            field: "quarter",
            reason: format!("{quarter} has not begun"),
        });
    }
    let row = crate::portfolio::row(store, partner).await?;
    let measured_to = quarter.last_day().min(as_of);
    // A past quarter is reviewed at the tier the partner held at its end, not today's.
    let tier = crate::portfolio::partner::tier_on(store, partner, row.tier, measured_to).await?;
    // Independent reads of the cache, side by side on the pool's connections.
    let ((facts, names), policy, deals, consumed, actions) = tokio::try_join!(
        facts(store, partner, quarter, as_of),
        crate::workspace::progression_policy(store),
        crate::deals::deals_of(store, partner),
        consumption_by_customer(store, partner, quarter, as_of),
        action_items(store, partner, quarter, as_of),
    )?;
    let partner_text = partner.to_string();
    let (account_manager, logo): (String, Option<String>) =
        sqlx::query_as("SELECT account_manager, logo FROM partners WHERE id = ?")
            .bind(&partner_text)
            .fetch_one(store.pool())
            .await?;
    // Tier progression at the quarter's end, from the same facts: the trailing year now and six
    // months before (the pace toward each threshold).
    let now = qbr::progression_metrics(&facts, measured_to);
    let then = qbr::progression_metrics(&facts, crate::metrics::pace_start(measured_to));
    let outlook = program::progression::outlook(tier, &now, &policy);
    let progression = policy
        .next_thresholds(tier)
        .map(|t| program::progression::threshold_statuses(t, &now, &then, measured_to))
        .unwrap_or_default();
    let name = |id: &CustomerId| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let summary = qbr::deal_summary(&deals, quarter);
    let partner_names: HashMap<String, String> = sqlx::query!("SELECT id, name FROM partners")
        .fetch_all(store.pool())
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let moved = qbr::migrations(&facts, quarter);
    let migrations = moved
        .incoming
        .iter()
        .map(|m| ("in", m, m.1.from))
        .chain(moved.outgoing.iter().map(|m| ("out", m, m.1.to)))
        .map(|(direction, (customer, m), other)| ReviewMigration {
            customer: name(customer),
            direction: direction.to_string(),
            other_partner: partner_names
                .get(&other.to_string())
                .cloned()
                .unwrap_or_else(|| other.to_string()),
            effective_on: iso(m.on),
        })
        .collect();
    let top_customers = qbr::top_customers(&consumed, TOP_CUSTOMERS)
        .into_iter()
        .map(|(id, credits)| TopCustomer {
            id: id.to_string(),
            name: name(&id),
            consumed: credits.amount().to_string(),
        })
        .collect();
    let kpis = qbr::kpis(&facts, quarter);
    let threshold = crate::settings::get(store).await?.low_runway_days;
    let mut risks: Vec<Risk> = qbr::detractors(&facts, quarter)
        .into_iter()
        .map(|(c, score)| Risk::Detractor {
            customer: name(&c),
            score,
        })
        .collect();
    risks.extend(
        kpis.retention
            .churned
            .iter()
            .map(|c| Risk::Churned { customer: name(c) }),
    );
    if let Some(days) = kpis.runway_days.filter(|d| *d < threshold) {
        risks.push(Risk::LowRunway { days, threshold });
    }
    let money = |c: Credits| c.amount().to_string();
    Ok(Review {
        partner_id: partner.to_string(),
        partner: row.name,
        tier,
        brands: row.brands,
        logo,
        account_manager,
        quarter: quarter.to_string(),
        previous: quarter.previous().to_string(),
        year_before: quarter.year_before().to_string(),
        measured_to: iso(measured_to),
        qbr_included: Benefit::QuarterlyExecutiveReviews
            .for_tier(tier)
            .is_granted(),
        kpis: kpi_rows(&facts, quarter),
        monthly: qbr::monthly(&facts, quarter)
            .into_iter()
            .map(|m| ReviewMonth {
                month: m.month.format("%Y-%m").to_string(),
                active_customers: m.active_customers,
                new_deployments: m.new_deployments,
                consumed: money(m.consumed),
                bought: money(m.bought),
                balance: money(m.balance),
                nps: m.nps,
            })
            .collect(),
        outlook,
        next_tier: tier.next(),
        progression,
        deals: ReviewDeals {
            open: summary.open,
            open_value: money(summary.open_value),
            won: summary.won,
            won_value: money(summary.won_value),
            lost: summary.lost,
            lost_value: money(summary.lost_value),
            win_rate: summary.win_rate.map(decimal),
            forecast: money(summary.forecast),
        },
        migrations,
        top_customers,
        risks,
        actions,
    })
}
