//! The benefits matrix: what each tier includes, exactly as the program's table.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::tiers::Tier;

/// The eleven rows of the program's benefits table, in the table's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Benefit {
    SellCoreBundles,
    PartnerPricingSkillsPacks,
    PrioritySupport,
    LeadSharingCoSelling,
    EarlyAccess,
    TerritoryOpportunities,
    DedicatedAccountSupport,
    JointProductRoadmap,
    QuarterlyExecutiveReviews,
    CustomSlaContractualTerms,
    ApplicationModel,
}

/// One cell of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Entitlement {
    Included,
    NotIncluded,
    /// Territory opportunities at the regional level.
    RegionalTerritory,
    /// Territory opportunities at the country level.
    CountryLevelTerritory,
    SelfService,
    InviteOnly,
}

impl Entitlement {
    /// Whether the cell grants something (as opposed to "—").
    pub fn is_granted(self) -> bool {
        !matches!(self, Entitlement::NotIncluded)
    }

    /// The cell as the program text writes it.
    pub fn program_text(self) -> &'static str {
        match self {
            Entitlement::Included => "✓",
            Entitlement::NotIncluded => "—",
            Entitlement::RegionalTerritory => "Regional",
            Entitlement::CountryLevelTerritory => "Country-level",
            Entitlement::SelfService => "Self-service",
            Entitlement::InviteOnly => "Invite-only",
        }
    }
}

impl Benefit {
    pub const ALL: [Benefit; 11] = [
        Benefit::SellCoreBundles,
        Benefit::PartnerPricingSkillsPacks,
        Benefit::PrioritySupport,
        Benefit::LeadSharingCoSelling,
        Benefit::EarlyAccess,
        Benefit::TerritoryOpportunities,
        Benefit::DedicatedAccountSupport,
        Benefit::JointProductRoadmap,
        Benefit::QuarterlyExecutiveReviews,
        Benefit::CustomSlaContractualTerms,
        Benefit::ApplicationModel,
    ];

    /// The row's label in the program text.
    pub fn program_label(self) -> &'static str {
        match self {
            Benefit::SellCoreBundles => "Sell core bundles",
            Benefit::PartnerPricingSkillsPacks => "Partner pricing on skills + packs",
            Benefit::PrioritySupport => "Priority support (4h SLA)",
            Benefit::LeadSharingCoSelling => "Lead sharing + co-selling",
            Benefit::EarlyAccess => "Early access (skills + packs)",
            Benefit::TerritoryOpportunities => "Territory opportunities",
            Benefit::DedicatedAccountSupport => "Dedicated account support",
            Benefit::JointProductRoadmap => "Joint product roadmap",
            Benefit::QuarterlyExecutiveReviews => "Quarterly Executive Reviews",
            Benefit::CustomSlaContractualTerms => "Custom SLA + contractual terms",
            Benefit::ApplicationModel => "Application model",
        }
    }

    /// The matrix cell for `tier`.
    pub fn for_tier(self, tier: Tier) -> Entitlement {
        use Entitlement::*;
        // The lowest tier that includes each benefit; every tier above includes it too.
        let from = |lowest: Tier| {
            if tier >= lowest {
                Included
            } else {
                NotIncluded
            }
        };
        match self {
            Benefit::SellCoreBundles | Benefit::PartnerPricingSkillsPacks => from(Tier::Authorized),
            Benefit::PrioritySupport | Benefit::LeadSharingCoSelling | Benefit::EarlyAccess => {
                from(Tier::Specialist)
            }
            Benefit::DedicatedAccountSupport | Benefit::QuarterlyExecutiveReviews => {
                from(Tier::Regional)
            }
            Benefit::JointProductRoadmap | Benefit::CustomSlaContractualTerms => {
                from(Tier::Strategic)
            }
            Benefit::TerritoryOpportunities => match tier {
                Tier::Authorized | Tier::Specialist => NotIncluded,
                Tier::Regional => RegionalTerritory,
                Tier::Strategic => CountryLevelTerritory,
            },
            Benefit::ApplicationModel => {
                if tier.is_invitation_only() {
                    InviteOnly
                } else {
                    SelfService
                }
            }
        }
    }
}

/// The whole matrix for one tier, in the table's order.
pub fn benefits_of(tier: Tier) -> Vec<(Benefit, Entitlement)> {
    Benefit::ALL
        .iter()
        .map(|b| (*b, b.for_tier(tier)))
        .collect()
}

/// What moving from `tier` to the tier above would add: rows whose cell changes.
pub fn added_by_next_tier(tier: Tier) -> Vec<(Benefit, Entitlement)> {
    let Some(next) = tier.next() else {
        return Vec::new();
    };
    Benefit::ALL
        .iter()
        .filter(|b| b.for_tier(next) != b.for_tier(tier))
        .map(|b| (*b, b.for_tier(next)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qbrs_are_only_for_regional_and_strategic() {
        let with: Vec<_> = Tier::ALL
            .into_iter()
            .filter(|t| Benefit::QuarterlyExecutiveReviews.for_tier(*t).is_granted())
            .collect();
        assert_eq!(with, vec![Tier::Regional, Tier::Strategic]);
    }

    #[test]
    fn authorized_and_specialist_have_no_territory_exclusivity() {
        for tier in [Tier::Authorized, Tier::Specialist] {
            assert_eq!(
                Benefit::TerritoryOpportunities.for_tier(tier),
                Entitlement::NotIncluded
            );
        }
    }

    #[test]
    fn next_tier_from_regional_adds_strategic_rows() {
        let added: Vec<_> = added_by_next_tier(Tier::Regional)
            .into_iter()
            .map(|(b, _)| b)
            .collect();
        assert_eq!(
            added,
            vec![
                Benefit::TerritoryOpportunities,
                Benefit::JointProductRoadmap,
                Benefit::CustomSlaContractualTerms,
                Benefit::ApplicationModel,
            ]
        );
        assert!(added_by_next_tier(Tier::Strategic).is_empty());
    }
}
