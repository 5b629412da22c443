//! Exclusive territories: what each tier may hold, that two never overlap, and which places a
//! claim covers, as the territory map shows them.
//!
//! The benefits matrix gives territory opportunities to Regional partners (a region inside one
//! country: one or more of its first-level subdivisions) and to Strategic partners (a whole
//! country). Authorized and Specialist partners are global and hold none. The platform grants
//! exclusivity case by case; a partner moved below the tier a territory needs loses the claim at
//! once, because every check reads the holder's tier of the day.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::entities::{Exclusivity, Partner, Territory, TerritoryId};
use crate::regions::{Country, Region};
use crate::subdivisions::Subdivision;
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
    /// The subdivisions of `country` a Regional exclusivity covers; empty for a whole country.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subdivisions: Vec<Subdivision>,
    pub exclusivity: Exclusivity,
}

/// Why a territory cannot be held as written. Each variant is one rule of the program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum TerritoryRule {
    /// The benefits matrix: Regional partners hold regions inside a country, Strategic partners
    /// whole countries, Authorized and Specialist partners nothing exclusive.
    #[error("a {tier} partner cannot hold {exclusivity:?} exclusivity: Regional partners hold regions inside one country, Strategic partners whole countries, Authorized and Specialist partners none")]
    NotForTier {
        tier: Tier,
        exclusivity: Exclusivity,
    },
    /// An exclusive territory lies in one country.
    #[error("an exclusive territory lies in one country: name it")]
    CountryNeeded,
    /// The country is not in the territory's region.
    #[error("{country} is not in the {region} region")]
    CountryOutsideRegion {
        #[ts(type = "string")]
        country: Country,
        region: Region,
    },
    /// A Regional exclusivity is one or more states, provinces or regions of its country.
    #[error("a regional exclusivity names the states, provinces or regions it covers")]
    SubdivisionsNeeded,
    /// A subdivision named is not in the territory's country.
    #[error("{subdivision} is not in {country}")]
    SubdivisionOutside {
        #[ts(type = "string")]
        subdivision: Subdivision,
        #[ts(type = "string")]
        country: Country,
    },
    /// A country-level exclusivity is the whole country, and a territory without exclusivity
    /// claims no subdivision.
    #[error("only a regional exclusivity names states, provinces or regions")]
    SubdivisionsNotExpected,
    /// Two exclusive territories never overlap: the one held first stands.
    #[error("{holder} already holds this area exclusively")]
    Overlaps {
        holder: String,
        #[ts(type = "string")]
        territory: TerritoryId,
    },
}

impl Territory {
    /// Checks the territory against the benefits matrix for a holder of `tier`, and its shape:
    /// a Regional exclusivity is one or more subdivisions of one country, a country-level one a
    /// whole country in the territory's region.
    pub fn check(&self, tier: Tier) -> Result<(), TerritoryRule> {
        if !self.exclusivity.allowed_for(tier) {
            return Err(TerritoryRule::NotForTier {
                tier,
                exclusivity: self.exclusivity,
            });
        }
        match (self.exclusivity, self.country) {
            (Exclusivity::None, None) => {}
            (_, None) => return Err(TerritoryRule::CountryNeeded),
            (_, Some(country)) if country.region() != self.region => {
                return Err(TerritoryRule::CountryOutsideRegion {
                    country,
                    region: self.region,
                })
            }
            (_, Some(_)) => {}
        }
        match self.exclusivity {
            Exclusivity::Regional if self.subdivisions.is_empty() => {
                Err(TerritoryRule::SubdivisionsNeeded)
            }
            Exclusivity::Regional => match self
                .subdivisions
                .iter()
                .find(|s| Some(s.country()) != self.country)
            {
                Some(&subdivision) => Err(TerritoryRule::SubdivisionOutside {
                    subdivision,
                    country: self.country.expect("checked above"),
                }),
                None => Ok(()),
            },
            Exclusivity::CountryLevel | Exclusivity::None if !self.subdivisions.is_empty() => {
                Err(TerritoryRule::SubdivisionsNotExpected)
            }
            Exclusivity::CountryLevel | Exclusivity::None => Ok(()),
        }
    }

    /// Whether two exclusive territories share any place: the same country, held whole by
    /// either, or a subdivision both name.
    pub fn overlaps(&self, other: &Territory) -> bool {
        overlap(
            (self.exclusivity, self.country, &self.subdivisions),
            (other.exclusivity, other.country, &other.subdivisions),
        )
    }
}

fn overlap(
    a: (Exclusivity, Option<Country>, &[Subdivision]),
    b: (Exclusivity, Option<Country>, &[Subdivision]),
) -> bool {
    a.0 != Exclusivity::None
        && b.0 != Exclusivity::None
        && a.1.is_some()
        && a.1 == b.1
        && (a.0 == Exclusivity::CountryLevel
            || b.0 == Exclusivity::CountryLevel
            || a.2.iter().any(|s| b.2.contains(s)))
}

impl TerritoryClaim {
    /// The map's entry for a territory: Some for an exclusive one its holder's tier may keep.
    /// A partner moved below the tier a territory needs has no claim.
    pub fn of(t: &Territory, holder: &Partner) -> Option<TerritoryClaim> {
        (t.exclusivity != Exclusivity::None && t.check(holder.tier).is_ok()).then(|| {
            TerritoryClaim {
                id: t.id,
                holder: holder.name.clone(),
                holder_tier: holder.tier,
                region: t.region,
                country: t.country,
                subdivisions: t.subdivisions.clone(),
                exclusivity: t.exclusivity,
            }
        })
    }

    /// Whether the claim covers a place: a country-level claim its whole country, a regional one
    /// the subdivisions it names. A claim its holder's tier may not keep covers nothing.
    pub fn covers(&self, country: Country, subdivision: Option<Subdivision>) -> bool {
        self.exclusivity.allowed_for(self.holder_tier)
            && self.country == Some(country)
            && match self.exclusivity {
                Exclusivity::None => false,
                Exclusivity::Regional => {
                    subdivision.is_some_and(|s| self.subdivisions.contains(&s))
                }
                Exclusivity::CountryLevel => true,
            }
    }

    /// Whether the claim and a territory share any place.
    pub fn overlaps(&self, t: &Territory) -> bool {
        overlap(
            (self.exclusivity, self.country, &self.subdivisions),
            (t.exclusivity, t.country, &t.subdivisions),
        )
    }
}
