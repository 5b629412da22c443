//! The partner page: tier, rate and band, benefits from the matrix, what the next tier adds, and
//! territories.

use chrono::NaiveDate;
use program::benefits::{added_by_next_tier, benefits_of};
use program::contract::{Exclusivity, PartnerId};
use program::{Region, Tier, TierChange};

use program::progression::{outlook, threshold_statuses};

use crate::error::{DeskError, Result};
use crate::input::iso;
use crate::metrics;
use crate::portfolio;
use crate::store::Store;
use crate::views::{BenefitRow, PartnerPage, TerritoryRow, TierStep};

/// Parses a partner id from the UI.
pub fn parse_id(id: &str) -> Result<PartnerId> {
    crate::input::id("id", "a partner", id)
}

/// NotFound unless the cache holds partner `id`.
pub async fn ensure_exists(store: &Store, id: PartnerId) -> Result<()> {
    let id_text = id.to_string();
    let found = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM partners WHERE id = ?) AS "found!: bool""#,
        id_text
    )
    .fetch_one(store.pool())
    .await?;
    if found {
        Ok(())
    } else {
        Err(DeskError::NotFound {
            what: format!("partner {id}"),
        })
    }
}

/// Partner `id`'s tier history from the cache, oldest first. Empty in a cache synced before tier
/// histories were kept, until its next sync pulls them.
pub async fn tier_history(store: &Store, id: PartnerId) -> Result<Vec<TierChange>> {
    let id_text = id.to_string();
    let json = sqlx::query_scalar!("SELECT tier_history FROM partners WHERE id = ?", id_text)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| DeskError::NotFound {
            what: format!("partner {id}"),
        })?;
    serde_json::from_str(&json).map_err(|e| DeskError::Corrupt(format!("tier history: {e}")))
}

/// The tier partner `id` held on `day`, by its tier history (`current` where the cache has no
/// history yet).
pub async fn tier_on(store: &Store, id: PartnerId, current: Tier, day: NaiveDate) -> Result<Tier> {
    let history = tier_history(store, id).await?;
    Ok(if history.is_empty() {
        current
    } else {
        program::tiers::tier_on(&history, day)
    })
}

pub async fn page(store: &Store, id: PartnerId, as_of: NaiveDate) -> Result<PartnerPage> {
    let mut partner = portfolio::row(store, id).await?;
    let policy = crate::workspace::progression_policy(store).await?;
    let now = metrics::partner_figures(store, id, as_of).await?;
    let then = metrics::partner_figures(store, id, metrics::pace_start(as_of)).await?;
    portfolio::attach(&mut partner, Some(&now), &policy);
    let outlook = outlook(partner.tier, &now.progression(), &policy);
    let progression = policy
        .next_thresholds(partner.tier)
        .map(|t| threshold_statuses(t, &now.progression(), &then.progression(), as_of))
        .unwrap_or_default();
    let ids = serde_json::Value::from(
        now.retention
            .churned
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
    )
    .to_string();
    let churned = sqlx::query_scalar!(
        "SELECT name FROM customers WHERE id IN (SELECT value FROM json_each(?)) \
         ORDER BY name",
        ids
    )
    .fetch_all(store.pool())
    .await?;
    let id_text = id.to_string();
    let extra = sqlx::query!(
        "SELECT account_manager, joined_on FROM partners WHERE id = ?",
        id_text
    )
    .fetch_one(store.pool())
    .await?;
    let territories = sqlx::query!(
        "SELECT id, region, country, exclusivity, subdivisions FROM territories \
         WHERE partner_id = ? \
         ORDER BY region, country IS NOT NULL, country, id",
        id_text
    )
    .fetch_all(store.pool())
    .await?
    .into_iter()
    .map(|r| {
        Ok(TerritoryRow {
            id: r.id,
            region: Region::parse(&r.region)
                .ok_or_else(|| DeskError::Corrupt(format!("region {:?}", r.region)))?,
            country: r.country,
            subdivisions: serde_json::from_str(&r.subdivisions)
                .map_err(|e| DeskError::Corrupt(format!("territory subdivisions: {e}")))?,
            exclusivity: match r.exclusivity.as_str() {
                "none" => Exclusivity::None,
                "regional" => Exclusivity::Regional,
                "country_level" => Exclusivity::CountryLevel,
                other => return Err(DeskError::Corrupt(format!("exclusivity {other:?}"))),
            },
        })
    })
    .collect::<Result<Vec<_>>>()?;
    let tier_history = tier_history(store, id)
        .await?
        .into_iter()
        .map(|c| TierStep {
            tier: c.tier,
            on: iso(c.on),
        })
        .collect();
    let tier = partner.tier;
    let to_rows = |cells: Vec<_>| {
        cells
            .into_iter()
            .map(|(benefit, entitlement)| BenefitRow {
                benefit,
                entitlement,
            })
            .collect()
    };
    Ok(PartnerPage {
        band: tier.band(),
        account_manager: extra.account_manager,
        joined_on: extra.joined_on,
        tier_history,
        benefits: to_rows(benefits_of(tier)),
        next_tier: tier.next(),
        next_tier_adds: to_rows(added_by_next_tier(tier)),
        territories,
        partner,
        nps: now.nps,
        retention_base: now.retention.base,
        retention_retained: now.retention.retained,
        retention_since: now.retention.since.map(iso),
        churned,
        burn_30: format!("{:.2}", now.burn_30.amount()),
        burn_90: format!("{:.2}", now.burn_90.amount()),
        outlook,
        progression,
    })
}
