//! Customers, their migrations between partners, their deployments and their NPS responses.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, Months, NaiveDate};
use program::benefits::Benefit;
use program::contract::{
    Billing, CatalogItem, CatalogKind, Customer, CustomerId, Deployment, DeploymentId, MigrationId,
    NpsResponse, NpsResponseId, Partner, PartnerId,
};
use program::migration::Initiator;
use program::{Brand, Country, Credits, CustomerMigration, Region, Subdivision, Tier};
use rand::seq::SliceRandom;
use rand::Rng;
use rust_decimal::Decimal;

use super::names::{unique_name, CUSTOMER_HEADS, CUSTOMER_TAILS};
use super::Gen;

/// Customers, each with a brand that serves its country and a partner that sells that brand.
/// Returns each partner's service quality too (it drives NPS and churn).
pub(super) fn customers(
    g: &mut Gen,
    partners: &[Partner],
    n: usize,
) -> (Vec<Customer>, BTreeMap<PartnerId, f64>) {
    let weight = |t: Tier| match t {
        Tier::Authorized => 1,
        Tier::Specialist => 3,
        Tier::Regional => 7,
        Tier::Strategic => 14,
    };
    let quality: BTreeMap<PartnerId, f64> = partners
        .iter()
        .map(|p| (p.id, g.rng.gen_range(6.2..9.6)))
        .collect();
    let mut sellers: BTreeMap<Brand, Vec<(usize, u32)>> = BTreeMap::new();
    for (i, p) in partners.iter().enumerate() {
        for b in &p.brands {
            sellers.entry(*b).or_default().push((i, weight(p.tier)));
        }
    }
    let mut names = BTreeSet::new();
    let customers = (0..n)
        .map(|_| {
            // 45 % LATAM, 30 % USA/CAN, 25 % EU/ES.
            let region = match g.rng.gen_range(0..100) {
                0..45 => Region::Latam,
                45..75 => Region::UsaCan,
                _ => Region::EuEs,
            };
            let brand = region.brand();
            let code = *g.pick::<&str>(region.countries());
            let country = Country::parse(code).expect("a listed country");
            let subdivisions: Vec<Subdivision> = Subdivision::of(country).collect();
            let subdivision = (!subdivisions.is_empty()).then(|| *g.pick(&subdivisions));
            let list = &sellers[&brand];
            let (idx, _) = *list
                .choose_weighted(&mut g.rng, |(_, w)| *w)
                .expect("every brand has a seller");
            let name = unique_name(&mut g.rng, CUSTOMER_HEADS, CUSTOMER_TAILS, &mut names);
            Customer {
                id: CustomerId(g.uuid()),
                partner_id: partners[idx].id,
                domain: Some(super::domain_of(&name)),
                name,
                country,
                subdivision,
                brand,
                founder: g.person(),
                // Made by its partner, once the partner had joined.
                created_on: g.day_back(0..900).max(partners[idx].joined_on),
            }
        })
        .collect();
    (customers, quality)
}

/// About 1 % of customers (at least 3) moved to another partner selling their brand, at their
/// founder's request, within the last 18 months.
pub(super) fn migrations(
    g: &mut Gen,
    partners: &[Partner],
    customers: &mut [Customer],
) -> Vec<CustomerMigration> {
    let count = (customers.len() / 100).max(3).min(customers.len());
    let mut out = Vec::with_capacity(count);
    let mut moved = BTreeSet::new();
    let mut attempts = 0;
    while out.len() < count && attempts < count * 20 {
        attempts += 1;
        let i = g.rng.gen_range(0..customers.len());
        let c = &customers[i];
        if moved.contains(&i) {
            continue;
        }
        let age = (g.as_of - c.created_on).num_days().max(1) as u64;
        let effective_on = g.day_back(0..age.min(540));
        // To a partner selling its brand that had joined by then.
        let to: Vec<&Partner> = partners
            .iter()
            .filter(|p| p.id != c.partner_id && p.brands.contains(&c.brand))
            .filter(|p| p.joined_on <= effective_on)
            .collect();
        let Some(to) = to.choose(&mut g.rng).map(|p| p.id) else {
            continue;
        };
        let m = CustomerMigration::new(
            MigrationId(g.uuid()),
            c.id,
            c.partner_id,
            to,
            effective_on,
            Initiator::Founder(c.founder.clone()),
        )
        .expect("a founder moving to another partner");
        customers[i].partner_id = to;
        moved.insert(i);
        out.push(m);
    }
    out.sort_by_key(|m| (m.effective_on, m.id));
    out
}

/// The partner of record for `customer` on `day`, given the migrations.
pub(super) fn partner_on(
    customer: &Customer,
    by_customer: &BTreeMap<CustomerId, &CustomerMigration>,
    day: NaiveDate,
) -> PartnerId {
    by_customer
        .get(&customer.id)
        .map_or(customer.partner_id, |m| m.partner_of_record_on(day))
}

pub(super) fn deployments(
    g: &mut Gen,
    partners: &[Partner],
    customers: &[Customer],
    migrations: &[CustomerMigration],
    catalog: &[CatalogItem],
    n: usize,
) -> Vec<Deployment> {
    let by_customer: BTreeMap<_, _> = migrations.iter().map(|m| (m.customer_id, m)).collect();
    let partner: BTreeMap<PartnerId, &Partner> = partners.iter().map(|p| (p.id, p)).collect();
    // Early-access items are deployed only by partners whose tier had early access that day.
    let early_access = |id: PartnerId, day: NaiveDate| {
        Benefit::EarlyAccess
            .for_tier(partner[&id].tier_on(day))
            .is_granted()
    };
    let window_start = g.as_of - Months::new(24);
    // Churned customers (about 8 %) ended everything on one day.
    let mut churned_on: BTreeMap<CustomerId, NaiveDate> = BTreeMap::new();
    for c in customers {
        if g.rng.gen_bool(0.08) {
            let days = (g.as_of - c.created_on).num_days().clamp(1, 700) as u64;
            churned_on.insert(c.id, g.day_back(0..days));
        }
    }
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        // Every customer gets one deployment first; the rest go to customers at random.
        let c = if k < customers.len() {
            &customers[k]
        } else {
            g.pick(customers)
        };
        let first = c.created_on.max(window_start);
        let last = churned_on.get(&c.id).copied().unwrap_or(g.as_of);
        let span = (last - first).num_days().max(0) as u64;
        let started_on = first + Days::new(g.rng.gen_range(0..=span));
        let partner_id = partner_on(c, &by_customer, started_on);
        let offered: Vec<&CatalogItem> = catalog
            .iter()
            .filter(|i| i.brands.contains(&c.brand))
            .filter(|i| !i.early_access || early_access(partner_id, started_on))
            .collect();
        let item = *g.pick(&offered);
        let quantity = match item.kind {
            CatalogKind::Skill => g.rng.gen_range(1..=4),
            _ => 1,
        };
        // In hundredths, as the ledger keeps them.
        let mut credits = item.list_price.amount() * Decimal::from(quantity);
        credits.rescale(Credits::DECIMALS);
        let credits = Credits::rounded(credits);
        let ended_on = match (churned_on.get(&c.id), item.billing) {
            (Some(day), _) => Some((*day).max(started_on + Days::new(1))),
            (None, Billing::Monthly) if g.rng.gen_bool(0.15) => {
                let left = (g.as_of - started_on).num_days();
                (left > 31).then(|| started_on + Days::new(g.rng.gen_range(31..=left as u64)))
            }
            _ => None,
        };
        out.push(Deployment {
            id: DeploymentId(g.uuid()),
            customer_id: c.id,
            partner_id,
            sku: item.sku.clone(),
            billing: item.billing,
            credits,
            started_on,
            ended_on: ended_on.filter(|end| *end <= g.as_of),
        });
    }
    out
}

pub(super) fn nps(
    g: &mut Gen,
    customers: &[Customer],
    migrations: &[CustomerMigration],
    quality: &BTreeMap<PartnerId, f64>,
) -> Vec<NpsResponse> {
    let by_customer: BTreeMap<_, _> = migrations.iter().map(|m| (m.customer_id, m)).collect();
    let mut out = Vec::new();
    for c in customers {
        for _ in 0..g.rng.gen_range(0..=3) {
            let age = (g.as_of - c.created_on).num_days().clamp(1, 720) as u64;
            let answered_on = g.day_back(0..age);
            let partner_id = partner_on(c, &by_customer, answered_on);
            let noise: f64 = (0..3).map(|_| g.rng.gen_range(-1.4..1.4)).sum();
            let score = (quality[&partner_id] + noise).round().clamp(0.0, 10.0) as u8;
            out.push(NpsResponse {
                id: NpsResponseId(g.uuid()),
                customer_id: c.id,
                partner_id,
                answered_on,
                score,
            });
        }
    }
    out
}
