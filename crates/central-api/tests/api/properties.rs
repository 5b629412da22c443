//! Random platform records written through the store, the one write path: whatever is accepted,
//! the store never holds a state the program forbids. Partners with any tier, rate and tier history,
//! territories of any shape, customers anywhere under any brand, migrations by anyone to anyone,
//! on any day; each write either passes the rules or changes nothing.

use std::collections::BTreeMap;

use central_api::server::Store;
use chrono::{Days, NaiveDate};
use program::contract::{
    Customer, CustomerId, Entity, Exclusivity, MigrationId, Partner, PartnerId, Territory,
    TerritoryId,
};
use program::deals::TerritoryClaim;
use program::migration::Initiator;
use program::{Brand, Country, Currency, CustomerMigration, Subdivision, Tier};
use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

const PARTNERS: u128 = 4;
const TERRITORIES: u128 = 6;
const CUSTOMERS: u128 = 6;
const COUNTRIES: [&str; 5] = ["US", "CA", "MX", "BR", "ES"];

#[derive(Debug, Clone)]
enum Op {
    /// A partner written at `tier` and rate: new, or moved `days` from today; `honest` keeps its
    /// tier history (a new partner's path from Authorized, a move added at the end), otherwise the
    /// history is made up (the tier alone on the joining day, or the stored one rewritten).
    Partner {
        ix: u128,
        tier: Tier,
        rate_tenths: i64,
        days: i64,
        honest: bool,
    },
    Territory {
        ix: u128,
        partner: u128,
        exclusivity: Exclusivity,
        country: usize,
        from: usize,
        len: usize,
    },
    Customer {
        ix: u128,
        partner: u128,
        country: usize,
        brand: Brand,
        named_place: bool,
    },
    Migration {
        customer: u128,
        to: u128,
        by_founder: bool,
        days: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let tier = prop::sample::select(Tier::ALL.to_vec());
    let brand = prop::sample::select(Brand::ALL.to_vec());
    let exclusivity = prop::sample::select(vec![
        Exclusivity::None,
        Exclusivity::Regional,
        Exclusivity::CountryLevel,
    ]);
    prop_oneof![
        (0..PARTNERS, tier, 50i64..500, -5i64..5, any::<bool>()).prop_map(
            |(ix, tier, rate_tenths, days, honest)| Op::Partner {
                ix,
                tier,
                rate_tenths,
                days,
                honest
            }
        ),
        (
            0..TERRITORIES,
            0..PARTNERS,
            exclusivity,
            0..COUNTRIES.len(),
            0usize..6,
            0usize..3
        )
            .prop_map(
                |(ix, partner, exclusivity, country, from, len)| Op::Territory {
                    ix,
                    partner,
                    exclusivity,
                    country,
                    from,
                    len
                }
            ),
        (
            0..CUSTOMERS,
            0..PARTNERS,
            0..COUNTRIES.len(),
            brand,
            any::<bool>()
        )
            .prop_map(|(ix, partner, country, brand, named_place)| Op::Customer {
                ix,
                partner,
                country,
                brand,
                named_place
            }),
        (0..CUSTOMERS, 0..PARTNERS, any::<bool>(), -5i64..5).prop_map(
            |(customer, to, by_founder, days)| Op::Migration {
                customer,
                to,
                by_founder,
                days
            }
        ),
    ]
}

fn partner_id(ix: u128) -> PartnerId {
    PartnerId(Uuid::from_u128(100 + ix))
}

fn customer_id(ix: u128) -> CustomerId {
    CustomerId(Uuid::from_u128(200 + ix))
}

fn territory_id(ix: u128) -> TerritoryId {
    TerritoryId(Uuid::from_u128(300 + ix))
}

/// Each partner sells a fixed set of brands (its brands are not what these records vary).
fn brands(ix: u128) -> Vec<Brand> {
    match ix % 3 {
        0 => vec![Brand::CentroPago],
        1 => vec![Brand::RemindLedger, Brand::Voldier],
        _ => Brand::ALL.to_vec(),
    }
}

async fn get<T: serde::de::DeserializeOwned>(
    store: &Store,
    entity: Entity,
    id: String,
) -> Option<T> {
    store
        .get(entity, &id)
        .await
        .unwrap()
        .map(|v| serde_json::from_value(v).unwrap())
}

fn shift(today: NaiveDate, days: i64) -> NaiveDate {
    if days < 0 {
        today - Days::new(days.unsigned_abs())
    } else {
        today + Days::new(days as u64)
    }
}

async fn write(store: &Store, op: &Op, today: NaiveDate) {
    let country = |i: usize| Country::parse(COUNTRIES[i]).unwrap();
    // Refusals are expected: the property is about what the store holds afterwards.
    let _ = match op {
        Op::Partner {
            ix,
            tier,
            rate_tenths,
            days,
            honest,
        } => {
            let rate = Decimal::new(*rate_tenths, 3);
            let on = shift(today, *days);
            let stored = get::<Partner>(store, Entity::Partner, partner_id(*ix).to_string()).await;
            let history_before = stored.as_ref().map(|p| p.tier_history.clone());
            let p = match stored {
                Some(mut p) if *honest => {
                    p.move_to(*tier, rate, on);
                    p
                }
                Some(mut p) => {
                    p.tier = *tier;
                    p.discount_rate = rate;
                    p.tier_history.last_mut().expect("a history").on = on;
                    p
                }
                None => {
                    let joined_on = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
                    let mut p = Partner {
                        id: partner_id(*ix),
                        name: format!("Partner {ix}"),
                        tier: Tier::Authorized,
                        discount_rate: rate,
                        country: Country::parse("MX").unwrap(),
                        brands: brands(*ix),
                        currency: Currency::MXN,
                        joined_on,
                        account_manager: "Eva".into(),
                        tier_history: Partner::joining(joined_on),
                        logo: None,
                    };
                    if *honest {
                        p.move_to(*tier, rate, on);
                    } else {
                        p.tier = *tier;
                        p.tier_history[0].tier = *tier;
                    }
                    p
                }
            };
            let written = store.upsert_partner(&p).await;
            let after = get::<Partner>(store, Entity::Partner, partner_id(*ix).to_string()).await;
            if written.is_ok() {
                assert_eq!(
                    after.as_ref(),
                    Some(&p),
                    "an accepted partner is stored as written"
                );
            }
            if let (Some(before), Some(after)) = (history_before, after) {
                assert!(
                    after.tier_history.starts_with(&before),
                    "a tier history was rewritten: {before:?} became {:?}",
                    after.tier_history
                );
            }
            written
        }
        Op::Territory {
            ix,
            partner,
            exclusivity,
            country: c,
            from,
            len,
        } => {
            let country = country(*c);
            store
                .upsert_territory(&Territory {
                    id: territory_id(*ix),
                    partner_id: partner_id(*partner),
                    region: country.region(),
                    country: Some(country),
                    subdivisions: Subdivision::of(country).skip(*from).take(*len).collect(),
                    exclusivity: *exclusivity,
                })
                .await
        }
        Op::Customer {
            ix,
            partner,
            country: c,
            brand,
            named_place,
        } => {
            let country = country(*c);
            store
                .upsert_customer(&Customer {
                    id: customer_id(*ix),
                    partner_id: partner_id(*partner),
                    name: format!("Customer {ix}"),
                    domain: None,
                    country,
                    subdivision: named_place
                        .then(|| Subdivision::of(country).next())
                        .flatten(),
                    brand: *brand,
                    founder: format!("Founder {ix}"),
                    created_on: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
                })
                .await
        }
        Op::Migration {
            customer,
            to,
            by_founder,
            days,
        } => {
            let Some(c) =
                get::<Customer>(store, Entity::Customer, customer_id(*customer).to_string()).await
            else {
                return;
            };
            let on = shift(today, *days);
            store
                .record_migration(&CustomerMigration {
                    id: MigrationId(Uuid::now_v7()),
                    customer_id: c.id,
                    from_partner: c.partner_id,
                    to_partner: partner_id(*to),
                    effective_on: on,
                    initiated_by: Initiator::Founder(if *by_founder {
                        c.founder.clone()
                    } else {
                        "Someone Else".into()
                    }),
                })
                .await
        }
    };
}

fn tier_for(e: Exclusivity) -> Tier {
    match e {
        Exclusivity::None => Tier::Authorized,
        Exclusivity::Regional => Tier::Regional,
        Exclusivity::CountryLevel => Tier::Strategic,
    }
}

async fn check_invariants(
    store: &Store,
    first_partner: &BTreeMap<u128, PartnerId>,
    today: NaiveDate,
) {
    let mut partners = BTreeMap::new();
    for ix in 0..PARTNERS {
        if let Some(p) = get::<Partner>(store, Entity::Partner, partner_id(ix).to_string()).await {
            assert!(
                p.discount().is_ok(),
                "a rate outside its band is stored: {p:?}"
            );
            assert_eq!(
                p.check_tier_history(),
                Ok(()),
                "a tier history the program forbids: {p:?}"
            );
            assert!(
                p.tier_history.iter().all(|c| c.on <= today),
                "a tier change ahead of today: {p:?}"
            );
            partners.insert(p.id, p);
        }
    }
    let mut exclusive: Vec<Territory> = Vec::new();
    for ix in 0..TERRITORIES {
        let id = territory_id(ix).to_string();
        let Some(t) = get::<Territory>(store, Entity::Territory, id.clone()).await else {
            continue;
        };
        let holder = partners
            .get(&t.partner_id)
            .expect("a territory's holder exists");
        assert_eq!(
            t.check(tier_for(t.exclusivity)),
            Ok(()),
            "a territory of a forbidden shape: {t:?}"
        );
        let claim = get::<TerritoryClaim>(store, Entity::TerritoryClaim, id).await;
        assert_eq!(
            claim.is_some(),
            t.exclusivity != Exclusivity::None && t.check(holder.tier).is_ok(),
            "the map holds a claim exactly for an exclusive territory its holder's tier keeps: {t:?} {holder:?}"
        );
        if t.exclusivity != Exclusivity::None {
            for o in &exclusive {
                assert!(
                    !o.overlaps(&t),
                    "two exclusive territories overlap: {o:?} {t:?}"
                );
            }
            exclusive.push(t);
        }
    }
    for ix in 0..CUSTOMERS {
        let Some(c) = get::<Customer>(store, Entity::Customer, customer_id(ix).to_string()).await
        else {
            continue;
        };
        assert!(c.check_brand().is_ok() && c.check_place().is_ok(), "{c:?}");
        let partner = partners
            .get(&c.partner_id)
            .expect("a customer's partner exists");
        assert!(
            partner.brands.contains(&c.brand),
            "its partner sells its brand: {c:?}"
        );
        // Its partner is the one it was created with, or the one its latest due migration gave.
        let expected = latest_due_migration(store, c.id, today)
            .await
            .map_or(first_partner[&ix], |m| m.to_partner);
        assert_eq!(
            c.partner_id, expected,
            "moved only by its migrations: {c:?}"
        );
    }
}

async fn latest_due_migration(
    store: &Store,
    customer: CustomerId,
    today: NaiveDate,
) -> Option<CustomerMigration> {
    let all = store.migrations_of(customer).await.unwrap();
    for m in &all {
        let c: Customer = get(store, Entity::Customer, customer.to_string())
            .await
            .unwrap();
        let Initiator::Founder(name) = &m.initiated_by;
        assert_eq!(
            name, &c.founder,
            "a migration started by someone not its founder: {m:?}"
        );
    }
    all.into_iter()
        .filter(|m| m.effective_on <= today)
        .max_by_key(|m| (m.effective_on, m.id))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn the_store_never_holds_a_state_the_program_forbids(ops in prop::collection::vec(op(), 1..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open(&dir.path().join("central.sqlite3")).await.unwrap();
            let today = store.today();
            let mut first_partner = BTreeMap::new();
            for op in &ops {
                write(&store, op, today).await;
                if let Op::Customer { ix, .. } = op {
                    if let Some(c) = get::<Customer>(&store, Entity::Customer, customer_id(*ix).to_string()).await {
                        first_partner.entry(*ix).or_insert(c.partner_id);
                    }
                }
            }
            check_invariants(&store, &first_partner, today).await;
            store.close().await;
        });
    }
}
