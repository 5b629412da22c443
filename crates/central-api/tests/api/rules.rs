//! The program's rules at the store, the one path every record the platform writes goes through
//! (the API, the admin commands, the demo's load): each rule refused with its reason, and nothing
//! written when it is.

use chrono::Days;
use program::contract::{Entity, MigrationId};
use program::migration::Initiator;
use program::{Brand, Country, CustomerMigration, Subdivision, Tier};
use uuid::Uuid;

use crate::common::{as_of, start, Harness};

/// A customer no migration has touched, and a partner other than its own that sells its brand.
fn customer_and_new_partner(
    h: &Harness,
) -> (program::contract::Customer, program::contract::Partner) {
    let customer = h
        .data
        .customers
        .iter()
        .find(|c| h.data.migrations.iter().all(|m| m.customer_id != c.id))
        .cloned()
        .unwrap();
    let to = h
        .data
        .partners
        .iter()
        .find(|p| p.id != customer.partner_id && p.brands.contains(&customer.brand))
        .cloned()
        .unwrap();
    (customer, to)
}

fn migration(
    customer: &program::contract::Customer,
    to: program::contract::PartnerId,
    on: chrono::NaiveDate,
    by: &str,
) -> CustomerMigration {
    CustomerMigration {
        id: MigrationId(Uuid::now_v7()),
        customer_id: customer.id,
        from_partner: customer.partner_id,
        to_partner: to,
        effective_on: on,
        initiated_by: Initiator::Founder(by.into()),
    }
}

async fn stored_customer(
    h: &Harness,
    id: program::contract::CustomerId,
) -> program::contract::Customer {
    serde_json::from_value(
        h.server
            .store()
            .get(Entity::Customer, &id.to_string())
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn migration_is_started_by_the_customers_founder_only() {
    let h = start().await;
    let (customer, to) = customer_and_new_partner(&h);
    let head = h.server.store().head().await.unwrap();
    let err = h
        .server
        .store()
        .record_migration(&migration(&customer, to.id, as_of(), "Someone Else"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("founder"), "{err}");
    // Nothing written: no migration row, no ledger line, the same partner of record.
    assert_eq!(h.server.store().head().await.unwrap(), head);
    assert_eq!(
        stored_customer(&h, customer.id).await.partner_id,
        customer.partner_id
    );
}

#[tokio::test]
async fn migration_leaves_the_current_partner_for_one_that_sells_the_customers_brand() {
    let h = start().await;
    let (customer, to) = customer_and_new_partner(&h);
    let store = h.server.store();
    let mut wrong_from = migration(&customer, to.id, as_of(), &customer.founder);
    wrong_from.from_partner = to.id;
    wrong_from.to_partner = customer.partner_id;
    assert!(store.record_migration(&wrong_from).await.is_err());
    let no_brand = h
        .data
        .partners
        .iter()
        .find(|p| !p.brands.contains(&customer.brand))
        .unwrap();
    let err = store
        .record_migration(&migration(
            &customer,
            no_brand.id,
            as_of(),
            &customer.founder,
        ))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not sell"), "{err}");
    assert_eq!(
        stored_customer(&h, customer.id).await.partner_id,
        customer.partner_id
    );
}

#[tokio::test]
async fn migration_takes_effect_on_its_effective_date_not_before() {
    let h = start().await;
    let (customer, to) = customer_and_new_partner(&h);
    let store = h.server.store();
    let on = as_of() + Days::new(10);
    store
        .record_migration(&migration(&customer, to.id, on, &customer.founder))
        .await
        .unwrap();
    assert_eq!(
        stored_customer(&h, customer.id).await.partner_id,
        customer.partner_id,
        "recorded ahead of its day, the migration has not moved the customer yet"
    );
    assert_eq!(
        store.apply_due_migrations(on - Days::new(1)).await.unwrap(),
        0
    );
    assert_eq!(
        stored_customer(&h, customer.id).await.partner_id,
        customer.partner_id
    );
    assert_eq!(store.apply_due_migrations(on).await.unwrap(), 1);
    assert_eq!(stored_customer(&h, customer.id).await.partner_id, to.id);
    // Applied once: the next day moves nothing.
    assert_eq!(
        store.apply_due_migrations(on + Days::new(1)).await.unwrap(),
        0
    );
}

#[tokio::test]
async fn customer_changes_partner_only_by_a_migration() {
    let h = start().await;
    let (customer, to) = customer_and_new_partner(&h);
    let moved = program::contract::Customer {
        partner_id: to.id,
        ..customer.clone()
    };
    let err = h.server.store().upsert_customer(&moved).await.unwrap_err();
    assert!(err.to_string().contains("migration"), "{err}");
    assert_eq!(
        stored_customer(&h, customer.id).await.partner_id,
        customer.partner_id
    );
    // Renaming it is a change like any other.
    let renamed = program::contract::Customer {
        name: "Renamed SA".into(),
        ..customer.clone()
    };
    h.server.store().upsert_customer(&renamed).await.unwrap();
}

#[tokio::test]
async fn customer_brand_serves_its_country_and_it_names_its_state() {
    let h = start().await;
    let (customer, _) = customer_and_new_partner(&h);
    let store = h.server.store();
    let elsewhere = program::contract::Customer {
        country: Country::parse("DE").unwrap(),
        subdivision: None,
        brand: Brand::RemindLedger,
        ..customer.clone()
    };
    assert!(store.upsert_customer(&elsewhere).await.is_err());
    let no_state = program::contract::Customer {
        subdivision: None,
        ..customer.clone()
    };
    if Subdivision::of(customer.country).next().is_some() {
        let err = store.upsert_customer(&no_state).await.unwrap_err();
        assert!(err.to_string().contains("say which one"), "{err}");
    }
    assert_eq!(stored_customer(&h, customer.id).await, customer);
}

#[tokio::test]
async fn partner_rate_lies_in_its_tier_band_and_moves_with_the_tier_in_the_same_change() {
    let h = start().await;
    let store = h.server.store();
    let p = h
        .data
        .partners
        .iter()
        .find(|p| p.tier == Tier::Regional)
        .cloned()
        .unwrap();
    // Moved down to Specialist keeping its Regional rate: refused.
    let moved_down = program::contract::Partner {
        tier: Tier::Specialist,
        ..p.clone()
    };
    let err = store.upsert_partner(&moved_down).await.unwrap_err();
    assert!(err.to_string().contains("band"), "{err}");
    // With a rate of the new band in the same change: taken.
    store
        .upsert_partner(&program::contract::Partner {
            discount_rate: Tier::Specialist.band().max,
            ..moved_down
        })
        .await
        .unwrap();
}
