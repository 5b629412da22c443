//! Deal registrations: each territory holder's pipeline, at every stage.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Days;
use program::contract::{CatalogItem, Customer, Exclusivity, Partner, PartnerId, Territory};
use program::deals::{
    normalize_company, Deal, DealChange, DealEvent, DealField, DealId, DealRule, DealStage,
    DealStatus, TerritoryClaim,
};
use program::{Country, Credits, Region, Subdivision, Tier};
use rand::Rng;

use super::names::{unique_name, CUSTOMER_HEADS, CUSTOMER_TAILS};
use super::partners::BLOCKS;
use super::Gen;

/// Each Regional and Strategic partner's territory pipeline, and a few deals of Specialists:
/// prospects in the partner's region (outside territories others hold exclusively), under the
/// region's brand, with products that brand offers, at every stage. A registration that sat in
/// one stage for the reference policy's 90 days is expired; some are a few days from it.
pub(super) fn deals(
    g: &mut Gen,
    partners: &[Partner],
    territories: &[Territory],
    customers: &[Customer],
    catalog: &[CatalogItem],
) -> Vec<Deal> {
    const REGISTRATION_DAYS: u64 = 90;
    let claims: Vec<(PartnerId, TerritoryClaim)> = territories
        .iter()
        .filter_map(|t| {
            let holder = partners.iter().find(|p| p.id == t.partner_id)?;
            Some((t.partner_id, TerritoryClaim::of(t, holder)?))
        })
        .collect();
    let mut names = BTreeSet::new();
    // Prospects are new companies: never a customer some partner serves (no poaching).
    let mut prospects: BTreeSet<String> = customers
        .iter()
        .map(|c| normalize_company(&c.name))
        .collect();
    let mut out = Vec::new();
    // Which block of each region the next partner's first deal runs beside.
    let mut next_block: BTreeMap<Region, usize> = BTreeMap::new();
    for p in partners {
        let n = match p.tier {
            Tier::Strategic => g.rng.gen_range(8..16),
            Tier::Regional => g.rng.gen_range(5..12),
            Tier::Specialist if g.rng.gen_bool(0.3) => g.rng.gen_range(1..4),
            _ => 0,
        };
        let brand = p.region().brand();
        let others = |country: Country, subdivision: Option<Subdivision>| {
            claims
                .iter()
                .any(|(holder, claim)| *holder != p.id && claim.covers(country, subdivision))
        };
        // Countries no one else holds whole.
        let countries: Vec<Country> = p
            .region()
            .countries()
            .iter()
            .filter_map(|c| Country::parse(c).ok())
            .filter(|c| {
                !claims.iter().any(|(holder, claim)| {
                    *holder != p.id
                        && claim.exclusivity == Exclusivity::CountryLevel
                        && claim.country == Some(*c)
                })
            })
            .collect();
        // The partner's own exclusive places, and the places across the border of every block
        // of its region: half of a holder's pipeline runs inside its territory, and a third of
        // everyone's near a border.
        let own: Vec<(Country, Option<Subdivision>)> = claims
            .iter()
            .filter(|(holder, _)| *holder == p.id)
            .flat_map(|(_, claim)| match claim.exclusivity {
                Exclusivity::Regional => claim
                    .subdivisions
                    .iter()
                    .map(|s| (s.country(), Some(*s)))
                    .collect(),
                _ => claim
                    .country
                    .map(|c| (c, None))
                    .into_iter()
                    .collect::<Vec<_>>(),
            })
            .collect();
        let across: Vec<Subdivision> = BLOCKS
            .iter()
            .filter(|b| b.region == p.region())
            .flat_map(|b| b.across_subdivisions())
            .filter(|s| !others(s.country(), Some(*s)))
            .collect();
        let products: Vec<&CatalogItem> = catalog
            .iter()
            .filter(|i| i.brands.contains(&brand))
            .collect();
        if countries.is_empty() || products.is_empty() {
            continue;
        }
        let place = |g: &mut Gen| -> Option<(Country, Option<Subdivision>)> {
            let (country, subdivision) = match g.rng.gen_range(0..100) {
                0..50 if !own.is_empty() => *g.pick(&own),
                50..85 if !across.is_empty() => {
                    let s = *g.pick(&across);
                    return Some((s.country(), Some(s)));
                }
                _ => (*g.pick(&countries), None),
            };
            if subdivision.is_some() {
                return Some((country, subdivision));
            }
            let subdivisions: Vec<Subdivision> = Subdivision::of(country)
                .filter(|s| !others(country, Some(*s)))
                .collect();
            match subdivisions.is_empty() {
                true if Subdivision::of(country).next().is_some() => None,
                true => Some((country, None)),
                false => Some((country, Some(*g.pick(&subdivisions)))),
            }
        };
        // A partner's first deal runs across the border of a block of its region it does not
        // hold, the blocks in turn, so every block has other partners' pipeline beside it.
        let beside: Vec<Subdivision> = BLOCKS
            .iter()
            .filter(|b| b.region == p.region())
            .filter(|b| {
                !b.held_subdivisions()
                    .iter()
                    .any(|s| own.contains(&(s.country(), Some(*s))))
            })
            .filter_map(|b| {
                b.across_subdivisions()
                    .into_iter()
                    .find(|s| !others(s.country(), Some(*s)))
            })
            .collect();
        let first = (n > 0 && !beside.is_empty()).then(|| {
            let k = next_block.entry(p.region()).or_default();
            let s = beside[*k % beside.len()];
            *k += 1;
            (s.country(), Some(s))
        });
        for i in 0..n {
            // The second runs inside the partner's own states or provinces, where it holds some.
            let inside = own.iter().copied().find(|(_, s)| s.is_some());
            let chosen_place = match (i, first, inside) {
                (0, Some(place), _) | (1, _, Some(place)) => Some(place),
                _ => place(g),
            };
            let Some((country, subdivision)) = chosen_place else {
                continue;
            };
            let company = loop {
                let name = unique_name(&mut g.rng, CUSTOMER_HEADS, CUSTOMER_TAILS, &mut names);
                if prospects.insert(normalize_company(&name)) {
                    break name;
                }
            };
            let registered_on = g.day_back(0..240);
            let seconds = g.rng.gen_range(0..36_000);
            let registered_at = g.at(registered_on, seconds);
            let since_days = (g.as_of - registered_on).num_days().max(0) as u64;
            let stage_days_back = g.rng.gen_range(0..=since_days);
            let seconds = g.rng.gen_range(0..36_000);
            let stage_since = g
                .at(g.days_ago(stage_days_back), seconds)
                .max(registered_at);
            let stage = *g.pick(&DealStage::ALL);
            let mut chosen: Vec<String> = Vec::new();
            for _ in 0..g.rng.gen_range(1..=3) {
                let sku = g.pick(&products).sku.clone();
                if !chosen.contains(&sku) {
                    chosen.push(sku);
                }
            }
            let expected_close = if stage.is_closed() {
                stage_since.date_naive()
            } else {
                g.as_of + Days::new(g.rng.gen_range(0..150)) - Days::new(20)
            };
            let status = if !stage.is_closed() && stage_days_back >= REGISTRATION_DAYS {
                DealStatus::Expired
            } else {
                DealStatus::Approved
            };
            let owner = g.person();
            let mut history = vec![
                DealEvent {
                    at: registered_at,
                    by: owner.clone(),
                    what: DealChange::Registered,
                },
                DealEvent {
                    at: registered_at,
                    by: "platform".into(),
                    what: DealChange::Approved,
                },
            ];
            if stage != DealStage::Registered {
                history.push(DealEvent {
                    at: stage_since,
                    by: owner.clone(),
                    what: DealChange::Set {
                        field: DealField::Stage,
                        from: DealStage::Registered.as_str().into(),
                        to: stage.as_str().into(),
                    },
                });
            }
            let refusal = (status == DealStatus::Expired).then(|| {
                history.push(DealEvent {
                    at: g.at(g.days_ago(stage_days_back - REGISTRATION_DAYS), 0),
                    by: "platform".into(),
                    what: DealChange::Expired { days: 90 },
                });
                DealRule::Expired { days: 90 }
            });
            let domain = super::domain_of(&company);
            out.push(Deal {
                id: DealId(g.uuid_at(registered_at)),
                partner_id: p.id,
                company,
                domain: Some(domain),
                country,
                subdivision,
                brand,
                products: chosen,
                value: Credits::whole(g.rng.gen_range(10..500) * 100),
                stage,
                expected_close: Some(expected_close),
                owner,
                notes: String::new(),
                status,
                refusal,
                registered_at,
                stage_since,
                history,
            });
        }
    }
    out.sort_by_key(|d| d.registered_at);
    out
}
