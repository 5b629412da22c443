//! Deal registrations: each territory holder's pipeline, at every stage.

use std::collections::BTreeSet;

use chrono::Days;
use program::contract::{CatalogItem, Customer, Partner, PartnerId, Territory};
use program::deals::{
    normalize_company, Deal, DealChange, DealEvent, DealField, DealId, DealRule, DealStage,
    DealStatus, TerritoryClaim,
};
use program::{Country, Credits, Tier};
use rand::Rng;

use super::names::{unique_name, CUSTOMER_HEADS, CUSTOMER_TAILS};
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
    for p in partners {
        let n = match p.tier {
            Tier::Strategic => g.rng.gen_range(8..16),
            Tier::Regional => g.rng.gen_range(5..12),
            Tier::Specialist if g.rng.gen_bool(0.3) => g.rng.gen_range(1..4),
            _ => 0,
        };
        let brand = p.region().brand();
        let countries: Vec<Country> = p
            .region()
            .countries()
            .iter()
            .filter_map(|c| Country::parse(c).ok())
            .filter(|c| {
                !claims
                    .iter()
                    .any(|(holder, claim)| *holder != p.id && claim.covers(*c))
            })
            .collect();
        let products: Vec<&CatalogItem> = catalog
            .iter()
            .filter(|i| i.brands.contains(&brand))
            .collect();
        if countries.is_empty() || products.is_empty() {
            continue;
        }
        for _ in 0..n {
            let company = loop {
                let name = unique_name(&mut g.rng, CUSTOMER_HEADS, CUSTOMER_TAILS, &mut names);
                if prospects.insert(normalize_company(&name)) {
                    break name;
                }
            };
            let registered_on = g.day_back(0..240);
            let registered_at = Gen::at(registered_on, g.rng.gen_range(0..36_000));
            let since_days = (g.as_of - registered_on).num_days().max(0) as u64;
            let stage_days_back = g.rng.gen_range(0..=since_days);
            let stage_since =
                Gen::at(g.days_ago(stage_days_back), g.rng.gen_range(0..36_000)).max(registered_at);
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
                    at: Gen::at(g.days_ago(stage_days_back - REGISTRATION_DAYS), 0),
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
                country: *g.pick(&countries),
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
