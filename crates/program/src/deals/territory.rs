//! Exclusive territories as the territory map shows them, and which countries a claim covers.

use serde::{Deserialize, Serialize};

use crate::entities::{Exclusivity, Partner, Territory, TerritoryId};
use crate::regions::{Country, Region};
use crate::tiers::Tier;

/// A territory someone holds exclusively, as the territory map shows it to every partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TerritoryClaim {
    /// The territory's id.
    pub id: TerritoryId,
    /// The holder's name (the map names who holds a territory, and nothing else about them).
    pub holder: String,
    pub holder_tier: Tier,
    pub region: Region,
    pub country: Option<Country>,
    pub exclusivity: Exclusivity,
}

impl TerritoryClaim {
    /// The map's entry for a territory: Some for an exclusive one.
    pub fn of(t: &Territory, holder: &Partner) -> Option<TerritoryClaim> {
        (t.exclusivity != Exclusivity::None).then(|| TerritoryClaim {
            id: t.id,
            holder: holder.name.clone(),
            holder_tier: holder.tier,
            region: t.region,
            country: t.country,
            exclusivity: t.exclusivity,
        })
    }

    /// Whether the claim covers `country` and is one the benefits matrix lets its holder keep.
    pub fn covers(&self, country: Country) -> bool {
        self.exclusivity != Exclusivity::None
            && self.exclusivity.allowed_for(self.holder_tier)
            && match self.exclusivity {
                Exclusivity::None => false,
                Exclusivity::Regional => country.region() == self.region,
                Exclusivity::CountryLevel => self.country == Some(country),
            }
    }
}
