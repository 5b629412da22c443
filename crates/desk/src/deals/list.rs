//! The deals screen of a partner: its deals, what expires soon, and the pipeline.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use program::contract::PartnerId;
use program::deals::{forecast, quarter_of, win_rate, Deal, DealStage, DealStatus};
use program::{Credits, Currency};

use super::shown::{fiat, partner_facts, shown, view};
use super::{CatalogChoice, DealList, DealView, Pipeline, PipelineCell};
use crate::error::Result;
use crate::store::Store;
use crate::workspace;

/// A partner's deals, pipeline and what expires soon.
pub async fn list(store: &Store, partner_id: PartnerId, today: NaiveDate) -> Result<DealList> {
    let facts = partner_facts(store, partner_id).await?;
    let days = workspace::registration_days(store).await?;
    let fx = workspace::fx_rate(store, facts.currency).await?;
    let shown = shown(store, partner_id, None).await?;
    let deals: Vec<DealView> = shown
        .iter()
        .map(|s| view(s, facts.currency, fx.as_ref(), days, today))
        .collect();
    let mut expiring: Vec<DealView> = deals.iter().filter(|d| d.expiring_soon).cloned().collect();
    expiring.sort_by(|a, b| a.expires_on.cmp(&b.expires_on));
    let pipeline = pipeline(
        shown.iter().map(|s| &s.item),
        facts.currency,
        fx.as_ref(),
        today,
    );
    let catalog = workspace::catalog(store)
        .await?
        .into_iter()
        .map(|c| CatalogChoice {
            sku: c.sku,
            name: c.name,
            brands: c.brands,
        })
        .collect();
    let map = super::map::map(
        store,
        &facts.territories,
        &facts.brands,
        shown.iter().map(|s| &s.item),
    )
    .await?;
    Ok(DealList {
        deals,
        expiring,
        pipeline,
        registration_days: days,
        territory_benefit: program::Benefit::TerritoryOpportunities
            .for_tier(facts.tier)
            .is_granted(),
        brands: facts.brands,
        catalog,
        user: workspace::user_name(store).await?,
        map,
    })
}

/// Counts and sums of deals by territory and stage; win rate; the quarter's forecast. Refused
/// and expired deals count nowhere.
pub fn pipeline<'a>(
    deals: impl Iterator<Item = &'a Deal> + Clone,
    currency: Currency,
    fx: Option<&program::FxRate>,
    today: NaiveDate,
) -> Pipeline {
    let live = deals
        .clone()
        .filter(|d| matches!(d.status, DealStatus::Approved | DealStatus::Pending));
    let mut cells: BTreeMap<(String, DealStage), (u32, Credits)> = BTreeMap::new();
    let mut stages: BTreeMap<DealStage, (u32, Credits)> = BTreeMap::new();
    for d in live.clone() {
        let c = cells
            .entry((d.country.code().to_string(), d.stage))
            .or_insert((0, Credits::ZERO));
        c.0 += 1;
        c.1 = c.1 + d.value;
        let s = stages.entry(d.stage).or_insert((0, Credits::ZERO));
        s.0 += 1;
        s.1 = s.1 + d.value;
    }
    let cell = |country: String, stage: DealStage, (n, credits): (u32, Credits)| PipelineCell {
        country,
        stage,
        deals: n,
        credits: format!("{:.2}", credits.amount()),
        fiat: fiat(credits, fx),
    };
    let open: Credits = live
        .clone()
        .filter(|d| !d.stage.is_closed())
        .fold(Credits::ZERO, |a, d| a + d.value);
    let won = live.clone().filter(|d| d.stage == DealStage::Won).count() as u64;
    let lost = live.clone().filter(|d| d.stage == DealStage::Lost).count() as u64;
    let quarter = quarter_of(today);
    let forecast = forecast(deals, quarter);
    Pipeline {
        cells: cells
            .into_iter()
            .map(|((country, stage), v)| cell(country, stage, v))
            .collect(),
        stages: DealStage::ALL
            .into_iter()
            .map(|stage| {
                cell(
                    String::new(),
                    stage,
                    stages.get(&stage).copied().unwrap_or((0, Credits::ZERO)),
                )
            })
            .collect(),
        open_credits: format!("{:.2}", open.amount()),
        open_fiat: fiat(open, fx),
        win_rate: win_rate(won, lost).map(|r| r.to_string()),
        won: won as u32,
        lost: lost as u32,
        forecast_credits: format!("{:.2}", forecast.amount()),
        forecast_fiat: fiat(forecast, fx),
        quarter_start: quarter.0.to_string(),
        quarter_end: quarter.1.to_string(),
        currency,
    }
}

/// Every deal of a partner as shown, for exports.
pub async fn all(store: &Store, partner: PartnerId, today: NaiveDate) -> Result<Vec<DealView>> {
    Ok(list(store, partner, today).await?.deals)
}
