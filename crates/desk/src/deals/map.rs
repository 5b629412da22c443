//! The territory map of a partner's deals screen: the partner's exclusive territories, the claims
//! of other partners in the regions it sells in (the public map, as the cache holds it), and its
//! open deals counted by place.

use std::collections::{BTreeMap, BTreeSet};

use program::contract::PartnerId;
use program::deals::{Deal, DealStatus, TerritoryClaim};
use program::{Brand, Region};

use super::model::{MapArea, MapClaim, MapDeals, TerritoryMap};
use crate::error::{DeskError, Result};
use crate::store::Store;

pub(super) async fn map<'a>(
    store: &Store,
    partner_id: PartnerId,
    brands: &[Brand],
    deals: impl Iterator<Item = &'a Deal>,
) -> Result<TerritoryMap> {
    let id_text = partner_id.to_string();
    let rows = sqlx::query!(
        "SELECT c.holder, c.holder_tier, c.region, c.country, c.subdivisions, c.exclusivity, \
         t.id IS NOT NULL AS \"own!: bool\" \
         FROM territory_claims c LEFT JOIN territories t ON t.id = c.id AND t.partner_id = ?1 \
         WHERE c.country IS NOT NULL ORDER BY c.holder, c.country",
        id_text,
    )
    .fetch_all(store.pool())
    .await?;
    let regions: BTreeSet<Region> = brands.iter().map(|b| b.region()).collect();
    let mut out = TerritoryMap::default();
    for r in rows {
        let subdivisions: Vec<String> = serde_json::from_str(&r.subdivisions)
            .map_err(|e| DeskError::Corrupt(format!("claim subdivisions: {e}")))?;
        let claim: TerritoryClaim = serde_json::from_value(serde_json::json!({
            "id": uuid::Uuid::nil(),
            "holder": r.holder,
            "holder_tier": r.holder_tier,
            "region": r.region,
            "country": r.country,
            "subdivisions": subdivisions,
            "exclusivity": r.exclusivity,
        }))
        .map_err(|e| DeskError::Corrupt(format!("claim: {e}")))?;
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
        if r.own {
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
