//! The demo generator's tests: determinism, size, and every guarantee of the module doc.

use std::collections::{BTreeMap, BTreeSet};

use program::contract::{Exclusivity, LedgerKind, PartnerId};
use program::deals::{DealStatus, TerritoryClaim};
use program::{fiat_for_credits, Brand, Credits, Region, Tier};

use super::*;
use program::benefits::{Benefit, Entitlement};

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

#[test]
fn demo_is_deterministic_for_a_seed() {
    assert_eq!(
        generate(&DemoConfig::small(day())),
        generate(&DemoConfig::small(day()))
    );
    let other = DemoConfig {
        seed: 7,
        ..DemoConfig::small(day())
    };
    assert_ne!(
        generate(&other).partners[0].name,
        generate(&DemoConfig::small(day())).partners[0].name
    );
}

#[test]
fn small_demo_has_its_documented_size() {
    let d = generate(&DemoConfig::small(day()));
    assert_eq!(d.partners.len(), 40);
    assert_eq!(d.customers.len(), 2_000);
    assert_eq!(d.deployments.len(), 20_000);
    assert!(d.nps.len() > 1_000);
    assert!(d.migrations.len() >= 3);
}

#[test]
fn scale_reaches_a_million_deployments() {
    let c = DemoConfig::with_deployments(day(), 1_000_000);
    assert_eq!(c.deployments, 1_000_000);
    assert_eq!(c.customers, 100_000);
    assert!(c.partners > 200);
}

#[test]
fn every_partner_climbed_from_authorized_one_tier_at_a_time() {
    let d = generate(&DemoConfig::small(day()));
    for p in &d.partners {
        assert_eq!(p.check_tier_history(), Ok(()), "{p:?}");
        let tiers: Vec<Tier> = p.tier_history.iter().map(|c| c.tier).collect();
        let climbed: Vec<Tier> = Tier::ALL.into_iter().filter(|t| *t <= p.tier).collect();
        assert_eq!(tiers, climbed, "{}", p.name);
        assert!(p.tier_history.iter().all(|c| c.on < day()), "{p:?}");
    }
    // A review of an earlier quarter sees some partners at a lower tier than today.
    let year_ago = day() - chrono::Days::new(365);
    assert!(d.partners.iter().any(|p| p.tier_on(year_ago) < p.tier));
}

#[test]
fn every_tier_region_and_brand_has_partners() {
    let d = generate(&DemoConfig::small(day()));
    for tier in Tier::ALL {
        for region in Region::ALL {
            assert!(
                d.partners
                    .iter()
                    .any(|p| p.tier == tier && p.region() == region),
                "{tier} in {region}"
            );
        }
    }
    for brand in Brand::ALL {
        assert!(d.partners.iter().any(|p| p.brands.contains(&brand)));
    }
    let names: BTreeSet<_> = d.partners.iter().map(|p| &p.name).collect();
    assert_eq!(names.len(), d.partners.len(), "partner names are unique");
}

#[test]
fn every_rate_lies_in_its_tier_band() {
    for p in generate(&DemoConfig::small(day())).partners {
        assert!(p.discount().is_ok(), "{} {}", p.tier, p.discount_rate);
    }
}

#[test]
fn every_customer_brand_serves_its_country_and_is_sold_by_its_partner() {
    let d = generate(&DemoConfig::small(day()));
    let partners: BTreeMap<_, _> = d.partners.iter().map(|p| (p.id, p)).collect();
    for c in &d.customers {
        assert!(c.check_brand().is_ok(), "{} in {}", c.brand, c.country);
        assert!(partners[&c.partner_id].brands.contains(&c.brand));
    }
}

#[test]
fn demo_deals_keep_every_registration_rule() {
    use program::deals::{check_registration, Deal, DealInput, KnownCustomer, Registrant};
    let d = generate(&DemoConfig::small(day()));
    let customers: Vec<KnownCustomer> = d.customers.iter().map(KnownCustomer::of).collect();
    assert!(d.deals.len() >= 20, "{} deals", d.deals.len());
    let claims: Vec<TerritoryClaim> = d
        .territories
        .iter()
        .filter_map(|t| TerritoryClaim::of(t, d.partners.iter().find(|p| p.id == t.partner_id)?))
        .collect();
    for (i, deal) in d.deals.iter().enumerate() {
        let p = d.partners.iter().find(|p| p.id == deal.partner_id).unwrap();
        let own: BTreeSet<_> = d
            .territories
            .iter()
            .filter(|t| t.partner_id == p.id)
            .map(|t| t.id)
            .collect();
        let earlier: Vec<&Deal> = d.deals[..i].iter().collect();
        let input = DealInput {
            id: deal.id,
            partner_id: deal.partner_id,
            company: deal.company.clone(),
            domain: deal.domain.clone(),
            country: deal.country,
            subdivision: deal.subdivision,
            brand: deal.brand,
            products: deal.products.clone(),
            value: deal.value,
            expected_close: deal.expected_close,
            owner: deal.owner.clone(),
            notes: deal.notes.clone(),
        };
        let registrant = Registrant {
            id: p.id,
            tier: p.tier,
            brands: &p.brands,
            own_territories: &own,
        };
        assert_eq!(
            check_registration(
                &input,
                &registrant,
                &d.catalog,
                &claims,
                &earlier,
                &customers
            ),
            Ok(()),
            "{}",
            deal.company
        );
        // Expired exactly when an open deal sat 90 days in its stage.
        assert_eq!(
            deal.status == DealStatus::Expired,
            !deal.stage.is_closed() && deal.stage_since.date_naive() + Days::new(90) <= day()
        );
    }
}

#[test]
fn exclusivity_follows_the_matrix_and_never_overlaps() {
    for config in [
        DemoConfig::small(day()),
        DemoConfig::with_deployments(day(), 200_000),
    ] {
        let d = generate(&config);
        let partners: BTreeMap<_, _> = d.partners.iter().map(|p| (p.id, p)).collect();
        for (i, t) in d.territories.iter().enumerate() {
            let tier = partners[&t.partner_id].tier;
            assert_eq!(t.check(tier), Ok(()), "{tier} {t:?}");
            assert_ne!(
                Benefit::TerritoryOpportunities.for_tier(tier),
                Entitlement::NotIncluded,
                "{tier} holds no territory"
            );
            for o in &d.territories[..i] {
                assert!(!t.overlaps(o), "{t:?} overlaps {o:?}");
            }
        }
    }
}

#[test]
fn demo_regional_partners_hold_states_and_strategic_a_country_with_pipelines_across_each_border() {
    let d = generate(&DemoConfig::small(day()));
    let partners: BTreeMap<_, _> = d.partners.iter().map(|p| (p.id, p)).collect();
    let regional: Vec<_> = d
        .territories
        .iter()
        .filter(|t| t.exclusivity == Exclusivity::Regional)
        .collect();
    let country_level: Vec<_> = d
        .territories
        .iter()
        .filter(|t| t.exclusivity == Exclusivity::CountryLevel)
        .collect();
    assert!(regional.len() >= 3, "a Regional holder in each region");
    assert!(
        country_level.len() >= 3,
        "a Strategic holder in each region"
    );
    for t in &regional {
        assert_eq!(partners[&t.partner_id].tier, Tier::Regional);
        assert!(!t.subdivisions.is_empty());
        // The holder's pipeline runs inside; other partners' run in the same country, outside.
        let inside = |deal: &&program::deals::Deal| {
            deal.subdivision
                .is_some_and(|s| t.subdivisions.contains(&s))
        };
        assert!(
            d.deals
                .iter()
                .filter(inside)
                .all(|deal| deal.partner_id == t.partner_id),
            "only the holder registers inside {:?}",
            t.subdivisions
        );
        assert!(d
            .deals
            .iter()
            .any(|deal| deal.partner_id == t.partner_id && inside(&deal)));
        assert!(
            d.deals.iter().any(|deal| deal.partner_id != t.partner_id
                && Some(deal.country) == t.country
                && !inside(&deal)),
            "others' pipeline across the border of {:?}",
            t.subdivisions
        );
    }
    for t in &country_level {
        assert_eq!(partners[&t.partner_id].tier, Tier::Strategic);
        assert!(t.subdivisions.is_empty());
        assert!(d
            .deals
            .iter()
            .filter(|deal| Some(deal.country) == t.country)
            .all(|deal| deal.partner_id == t.partner_id));
        assert!(d
            .deals
            .iter()
            .any(|deal| deal.partner_id == t.partner_id && Some(deal.country) == t.country));
    }
}

#[test]
fn demo_customers_and_deals_name_their_state_or_province() {
    let d = generate(&DemoConfig::small(day()));
    for c in &d.customers {
        assert_eq!(c.check_place(), Ok(()), "{c:?}");
    }
    for deal in &d.deals {
        assert_eq!(
            program::Subdivision::check_place(deal.country, deal.subdivision),
            Ok(()),
            "{deal:?}"
        );
    }
}

#[test]
fn deployments_lie_within_the_last_24_months() {
    let d = generate(&DemoConfig::small(day()));
    let start = day() - Months::new(24);
    for dep in &d.deployments {
        assert!(dep.started_on >= start && dep.started_on <= day());
        assert!(dep
            .ended_on
            .is_none_or(|e| e > dep.started_on && e <= day()));
    }
    assert!(d.deployments.iter().any(|x| x.ended_on.is_some()));
}

#[test]
fn purchases_cover_every_consumption_and_no_balance_goes_negative() {
    let d = generate(&DemoConfig::small(day()));
    let mut balance: BTreeMap<PartnerId, Credits> = BTreeMap::new();
    for e in &d.ledger {
        e.validate().unwrap();
        let b = balance.entry(e.partner_id).or_default();
        *b = *b + e.credits;
        assert!(!b.is_negative(), "{} below zero at {}", e.partner_id, e.at);
    }
    for e in d.ledger.iter().filter(|e| e.kind == LedgerKind::Purchase) {
        let p = d.partners.iter().find(|p| p.id == e.partner_id).unwrap();
        let fx = fx_rates(day())
            .into_iter()
            .find(|r| r.currency == p.currency)
            .unwrap();
        let rate = p.discount().unwrap();
        assert_eq!(e.rate, Some(rate.fraction()));
        assert_eq!(
            e.fiat,
            Some(fiat_for_credits(e.credits, rate, &fx).unwrap())
        );
    }
}

#[test]
fn migrations_cost_zero_credits_and_move_the_partner_of_record() {
    let d = generate(&DemoConfig::small(day()));
    for m in &d.migrations {
        let c = d.customers.iter().find(|c| c.id == m.customer_id).unwrap();
        assert_eq!(c.partner_id, m.to_partner);
        let line = d
            .ledger
            .iter()
            .find(|e| e.kind == LedgerKind::Migration && e.customer_id == Some(c.id))
            .unwrap();
        assert_eq!(line.credits, Credits::ZERO);
    }
}

#[test]
fn nps_scores_are_between_zero_and_ten() {
    let d = generate(&DemoConfig::small(day()));
    assert!(d.nps.iter().all(|r| r.score <= 10));
    assert!(d.nps.iter().any(|r| r.score >= 9) && d.nps.iter().any(|r| r.score <= 6));
}

#[test]
fn early_access_the_demo_deploys_early_access_items_only_through_tiers_that_have_it() {
    use program::benefits::Benefit;
    let d = generate(&DemoConfig::small(day()));
    let early: BTreeSet<&str> = d
        .catalog
        .iter()
        .filter(|i| i.early_access)
        .map(|i| i.sku.as_str())
        .collect();
    assert!(!early.is_empty());
    let partner: BTreeMap<_, _> = d.partners.iter().map(|p| (p.id, p)).collect();
    let tier: BTreeMap<_, _> = d.partners.iter().map(|p| (p.id, p.tier)).collect();
    let mut through_early_tiers = 0;
    for dep in &d.deployments {
        if early.contains(dep.sku.as_str()) {
            // The tier the partner held on the day it deployed, not today's.
            let t = partner[&dep.partner_id].tier_on(dep.started_on);
            assert!(
                Benefit::EarlyAccess.for_tier(t).is_granted(),
                "{} deployed on {} by a partner then {t:?}",
                dep.sku,
                dep.started_on
            );
            through_early_tiers += 1;
        }
    }
    // The demo still shows early-access items, through the tiers that have them.
    assert!(through_early_tiers > 0);
    assert!(d
        .deployments
        .iter()
        .any(|dep| tier[&dep.partner_id] == Tier::Authorized));
}

#[test]
fn no_poaching_the_demo_registers_deals_only_for_new_prospects() {
    use program::deals::{normalize_company, served_by, KnownCustomer, Prospect};
    let d = generate(&DemoConfig::small(day()));
    let customers: Vec<KnownCustomer> = d.customers.iter().map(KnownCustomer::of).collect();
    assert!(d.customers.iter().all(|c| c.domain.is_some()));
    for deal in &d.deals {
        let prospect = Prospect::new(&deal.company, deal.domain.as_deref());
        assert_eq!(
            served_by(&prospect, deal.partner_id, &customers),
            None,
            "{}",
            deal.company
        );
        assert!(!d
            .customers
            .iter()
            .any(|c| normalize_company(&c.name) == prospect.company));
    }
}

#[test]
fn the_low_runway_alert_singles_out_some_partners_not_all() {
    use program::metrics::{burn_rate, runway_days, Consumption, BURN_SHORT_DAYS};
    let d = generate(&DemoConfig::small(day()));
    let mut short = 0;
    for p in &d.partners {
        let lines: Vec<_> = d.ledger.iter().filter(|l| l.partner_id == p.id).collect();
        let balance: Credits = lines.iter().map(|l| l.credits).sum();
        let consumed: Vec<Consumption> = lines
            .iter()
            .filter(|l| l.kind == LedgerKind::Consumption)
            .map(|l| Consumption {
                on: l.at.date_naive(),
                billing: l.billing.unwrap_or(program::contract::Billing::OneOff),
                credits: -l.credits,
            })
            .collect();
        let burn = burn_rate(&consumed, day(), BURN_SHORT_DAYS);
        if runway_days(balance, burn).is_some_and(|days| days < 30) {
            short += 1;
        }
    }
    // Partners that buy just in time run short; those keeping a reserve do not.
    assert!(short > 0, "no partner under the alert");
    assert!(
        short * 2 < d.partners.len(),
        "{short} of {} under the alert",
        d.partners.len()
    );
}

#[test]
fn nothing_in_the_demo_lies_after_the_start_of_its_day() {
    // Whoever opens the demo on its day opens it after the day began: nothing may be later.
    let d = generate(&DemoConfig::small(day()));
    let latest = midnight_plus(day(), LATEST_ON_AS_OF);
    let mut times: Vec<(String, DateTime<Utc>)> = Vec::new();
    times.extend(
        d.ledger
            .iter()
            .map(|l| (format!("ledger line {}", l.id.0), l.at)),
    );
    for deal in &d.deals {
        times.push((format!("deal {} registered", deal.id.0), deal.registered_at));
        times.push((format!("deal {} stage", deal.id.0), deal.stage_since));
        times.extend(
            deal.history
                .iter()
                .map(|e| (format!("deal {} event", deal.id.0), e.at)),
        );
    }
    assert!(times.len() > d.ledger.len(), "the deals were looked at");
    for (what, at) in &times {
        assert!(*at <= latest, "{what} at {at}, after {latest}");
    }
    // The workspace's own day is in it: the limit bites, it is not vacuous.
    assert!(times.iter().any(|(_, at)| at.date_naive() == day()));
    for dep in &d.deployments {
        assert!(
            dep.started_on <= day(),
            "deployment {} starts later",
            dep.id.0
        );
    }
    for r in &d.nps {
        assert!(r.answered_on <= day(), "survey answer {} later", r.id.0);
    }
    for m in &d.migrations {
        assert!(m.effective_on <= day(), "migration {} later", m.id.0);
    }
}
