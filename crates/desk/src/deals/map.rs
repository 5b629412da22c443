//! The territory map of a partner's deals screen: the partner's exclusive territories, the claims
//! of other partners in the regions it sells in (the public map, as the cache holds it), and its
//! open deals counted by place.

use std::collections::{BTreeMap, BTreeSet};

use program::contract::TerritoryId;
use program::deals::{Deal, DealStatus, TerritoryClaim};
use program::{Brand, Region};

use super::model::{MapArea, MapClaim, MapDeals, TerritoryMap};
use crate::error::{DeskError, Result};
use crate::store::Store;

/// The public territory map as the cache holds it.
pub(super) async fn claims(store: &Store) -> Result<Vec<TerritoryClaim>> {
    let rows = sqlx::query!(
        "SELECT id, holder, holder_tier, region, country, exclusivity, subdivisions \
         FROM territory_claims",
    )
    .fetch_all(store.pool())
    .await?;
    rows.into_iter()
        .map(|r| {
            let subdivisions: serde_json::Value = serde_json::from_str(&r.subdivisions)
                .map_err(|e| DeskError::Corrupt(format!("claim: {e}")))?;
            let json = serde_json::json!({
                "id": r.id,
                "holder": r.holder,
                "holder_tier": r.holder_tier,
                "region": r.region,
                "country": r.country,
                "subdivisions": subdivisions,
                "exclusivity": r.exclusivity,
            });
            serde_json::from_value(json).map_err(|e| DeskError::Corrupt(format!("claim: {e}")))
        })
        .collect()
}

/// The map of a partner holding `own` territories and selling `brands`, with `deals`.
pub(super) async fn map<'a>(
    store: &Store,
    own: &BTreeSet<TerritoryId>,
    brands: &[Brand],
    deals: impl Iterator<Item = &'a Deal>,
) -> Result<TerritoryMap> {
    let regions: BTreeSet<Region> = brands.iter().map(|b| b.region()).collect();
    let mut claims = claims(store).await?;
    claims.sort_by(|a, b| (&a.holder, a.country).cmp(&(&b.holder, b.country)));
    let mut out = TerritoryMap::default();
    for claim in claims {
        // A claim its holder's tier may not keep protects nothing, and is not drawn.
        if !claim.exclusivity.allowed_for(claim.holder_tier) {
            continue;
        }
        let Some(country) = claim.country else {
            continue;
        };
        let area = MapArea {
            country: country.code().to_string(),
            subdivisions: claim.subdivisions.iter().map(|s| s.to_string()).collect(),
        };
        if own.contains(&claim.id) {
            out.own.push(area);
        } else if regions.contains(&claim.region) {
            out.claims.push(MapClaim {
                holder: claim.holder,
                country: area.country,
                subdivisions: area.subdivisions,
            });
        }
    }
    let mut counts: BTreeMap<(String, Option<String>), u32> = BTreeMap::new();
    for d in deals.filter(|d| {
        matches!(d.status, DealStatus::Approved | DealStatus::Pending) && !d.stage.is_closed()
    }) {
        *counts
            .entry((
                d.country.code().to_string(),
                d.subdivision.map(String::from),
            ))
            .or_default() += 1;
    }
    out.deals = counts
        .into_iter()
        .map(|((country, subdivision), count)| MapDeals {
            country,
            subdivision,
            count,
        })
        .collect();
    Ok(out)
}
