//! The program's rules at the store, the one path every record the platform writes goes through
//! (the API, the admin commands, the demo's load): each rule refused with its reason, and nothing
//! written when it is.

use chrono::Days;
use program::contract::{Entity, MigrationId, Partner, PartnerId};
use program::migration::Initiator;
use program::{Brand, Country, CustomerMigration, Subdivision, Tier, TierChange};
use uuid::Uuid;

use crate::common::{as_of, start, Harness};

/// A customer no migration has touched, and a partner other than its own that sells its brand.
fn customer_and_new_partner(
    h: &Harness,
) -> (program::contract::Customer, program::contract::Partner) {
    let (customer, sellers) = h.unmigrated_customer();
    let to = h
        .data
        .partners
        .iter()
        .find(|p| p.id == sellers[0])
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
    let mut moved_down = p.clone();
    moved_down.move_to(Tier::Specialist, p.discount_rate, store.today());
    let err = store.upsert_partner(&moved_down).await.unwrap_err();
    assert!(err.to_string().contains("band"), "{err}");
    assert_eq!(stored_partner(&h, p.id).await, p);
    // With a rate of the new band in the same change: taken.
    moved_down.discount_rate = Tier::Specialist.band().max;
    store.upsert_partner(&moved_down).await.unwrap();
    assert_eq!(stored_partner(&h, p.id).await, moved_down);
}

async fn stored_partner(h: &Harness, id: PartnerId) -> Partner {
    let v = h.server.store().get(Entity::Partner, &id.to_string()).await;
    serde_json::from_value(v.unwrap().expect("stored")).unwrap()
}

#[tokio::test]
async fn a_partner_starts_at_authorized_on_the_day_it_joins() {
    let h = start().await;
    let store = h.server.store();
    let joined_on = store.today() - Days::new(400);
    let newcomer = Partner {
        id: PartnerId(uuid::Uuid::from_u128(0xfeed)),
        name: "Newcomer Systems".into(),
        joined_on,
        tier_history: Partner::joining(joined_on),
        logo: None,
        ..h.data.partners[0].clone()
    };
    // Straight in at Strategic, with a Strategic rate: refused, and nothing is stored.
    let mut straight_in = newcomer.clone();
    straight_in.tier = Tier::Strategic;
    straight_in.discount_rate = Tier::Strategic.band().min;
    straight_in.tier_history = vec![TierChange {
        tier: Tier::Strategic,
        on: joined_on,
    }];
    let err = store.upsert_partner(&straight_in).await.unwrap_err();
    assert!(err.to_string().contains("starts at Authorized"), "{err}");
    // Strategic with a history that never left Authorized: refused.
    straight_in.tier_history = Partner::joining(joined_on);
    let err = store.upsert_partner(&straight_in).await.unwrap_err();
    assert!(
        err.to_string().contains("last of its tier history"),
        "{err}"
    );
    let stored = store.get(Entity::Partner, &newcomer.id.to_string()).await;
    assert!(stored.unwrap().is_none(), "a refused partner is not stored");
    // At Authorized, with an Authorized rate: taken.
    let authorized = Partner {
        tier: Tier::Authorized,
        discount_rate: Tier::Authorized.band().min,
        ..newcomer
    };
    store.upsert_partner(&authorized).await.unwrap();
    assert_eq!(stored_partner(&h, authorized.id).await, authorized);
}

#[tokio::test]
async fn a_tier_change_is_a_dated_record_added_to_the_tier_history() {
    let h = start().await;
    let store = h.server.store();
    let today = store.today();
    let p = h
        .data
        .partners
        .iter()
        .find(|p| p.tier == Tier::Specialist)
        .cloned()
        .unwrap();
    // The tier changed without a record of when: refused.
    let undated = Partner {
        tier: Tier::Regional,
        discount_rate: Tier::Regional.band().min,
        ..p.clone()
    };
    let err = store.upsert_partner(&undated).await.unwrap_err();
    assert!(
        err.to_string().contains("last of its tier history"),
        "{err}"
    );
    // Recorded ahead of today: refused.
    let mut ahead = p.clone();
    ahead.move_to(
        Tier::Regional,
        Tier::Regional.band().min,
        today + Days::new(1),
    );
    let err = store.upsert_partner(&ahead).await.unwrap_err();
    assert!(err.to_string().contains("not ahead"), "{err}");
    // The past rewritten (its climb to Specialist moved a day): refused.
    let mut rewritten = p.clone();
    rewritten.tier_history[1].on = rewritten.tier_history[1].on + Days::new(1);
    let err = store.upsert_partner(&rewritten).await.unwrap_err();
    assert!(err.to_string().contains("never rewritten"), "{err}");
    assert_eq!(stored_partner(&h, p.id).await, p, "refusals change nothing");
    // Moved up today: the history gains the step, and the tier before it still reads as it was.
    let mut moved = p.clone();
    moved.move_to(Tier::Regional, Tier::Regional.band().min, today);
    store.upsert_partner(&moved).await.unwrap();
    let stored = stored_partner(&h, p.id).await;
    assert_eq!(
        stored.tier_history,
        [
            &p.tier_history[..],
            &[TierChange {
                tier: Tier::Regional,
                on: today
            }]
        ]
        .concat()
    );
    assert_eq!(stored.tier_on(today), Tier::Regional);
    assert_eq!(stored.tier_on(today - Days::new(1)), Tier::Specialist);
}

async fn stored_deployment(h: &Harness, id: program::contract::DeploymentId) -> serde_json::Value {
    let v = h
        .server
        .store()
        .get(Entity::Deployment, &id.to_string())
        .await;
    v.unwrap().expect("stored")
}

#[tokio::test]
async fn a_deployment_is_made_by_the_customers_partner_of_record_on_the_catalogs_terms() {
    let h = start().await;
    let store = h.server.store();
    let migrated: Vec<_> = h.data.migrations.iter().map(|m| m.customer_id).collect();
    let d = h
        .data
        .deployments
        .iter()
        .find(|d| !migrated.contains(&d.customer_id))
        .cloned()
        .unwrap();
    let before = stored_deployment(&h, d.id).await;
    let other = h
        .data
        .partners
        .iter()
        .find(|p| p.id != d.partner_id)
        .unwrap();
    let item = h.data.catalog.iter().find(|i| i.sku == d.sku).unwrap();
    let maker = h
        .data
        .partners
        .iter()
        .find(|p| p.id == d.partner_id)
        .unwrap();
    let customer = h
        .data
        .customers
        .iter()
        .find(|c| c.id == d.customer_id)
        .unwrap();
    let foreign = h
        .data
        .catalog
        .iter()
        .find(|i| !i.brands.contains(&customer.brand))
        .unwrap();
    let refused = [
        (
            program::contract::Deployment {
                partner_id: other.id,
                ..d.clone()
            },
            "partner of record",
        ),
        (
            program::contract::Deployment {
                sku: foreign.sku.clone(),
                billing: foreign.billing,
                credits: foreign.list_price,
                ..d.clone()
            },
            "the customer's brand",
        ),
        (
            program::contract::Deployment {
                billing: match item.billing {
                    program::contract::Billing::Monthly => program::contract::Billing::OneOff,
                    program::contract::Billing::OneOff => program::contract::Billing::Monthly,
                },
                ..d.clone()
            },
            "as the catalog bills it",
        ),
        (
            program::contract::Deployment {
                credits: program::Credits::from_minor(item.list_price.minor().unwrap() + 1),
                ..d.clone()
            },
            "whole number of its list price",
        ),
        (
            program::contract::Deployment {
                ended_on: Some(d.started_on),
                ..d.clone()
            },
            "ends after it starts",
        ),
        (
            program::contract::Deployment {
                sku: "NO-SUCH-SKU".into(),
                ..d.clone()
            },
            "no catalog item",
        ),
        (
            program::contract::Deployment {
                started_on: maker.joined_on - Days::new(1),
                ended_on: None,
                ..d.clone()
            },
            "from the day it joins",
        ),
    ];
    for (wrong, reason) in refused {
        let err = store.upsert_deployment(&wrong).await.unwrap_err();
        assert!(err.to_string().contains(reason), "{reason}: {err}");
    }
    assert_eq!(
        stored_deployment(&h, d.id).await,
        before,
        "refusals change nothing"
    );
    store.upsert_deployment(&d).await.unwrap();
}

#[tokio::test]
async fn early_access_a_deployment_needs_the_tier_its_partner_held_on_its_start_date() {
    let h = start().await;
    let store = h.server.store();
    let migrated: Vec<_> = h.data.migrations.iter().map(|m| m.customer_id).collect();
    // A customer of a partner that has early access now but had none when it joined.
    let (customer, partner, item) = h
        .data
        .customers
        .iter()
        .filter(|c| !migrated.contains(&c.id))
        .find_map(|c| {
            let p = h.data.partners.iter().find(|p| p.id == c.partner_id)?;
            let item = h
                .data
                .catalog
                .iter()
                .find(|i| i.early_access && i.brands.contains(&c.brand))?;
            (p.tier >= Tier::Specialist).then_some((c, p, item))
        })
        .unwrap();
    let deployment = |started_on| program::contract::Deployment {
        id: program::contract::DeploymentId(Uuid::from_u128(0xdeb1)),
        customer_id: customer.id,
        partner_id: partner.id,
        sku: item.sku.clone(),
        billing: item.billing,
        credits: item.list_price,
        started_on,
        ended_on: None,
    };
    // On its first day, still Authorized: refused, naming the tier and the day.
    let err = store
        .upsert_deployment(&deployment(partner.joined_on))
        .await
        .unwrap_err();
    let said = err.to_string();
    assert!(said.contains("early access"), "{said}");
    assert!(
        said.contains("authorized") && said.contains(&partner.joined_on.to_string()),
        "{said}"
    );
    let id = deployment(partner.joined_on).id.to_string();
    assert!(store.get(Entity::Deployment, &id).await.unwrap().is_none());
    // Today, at a tier with early access: taken.
    store.upsert_deployment(&deployment(as_of())).await.unwrap();
}

#[tokio::test]
async fn action_item_text_and_owner_have_their_bounds_on_every_write_path() {
    let h = start().await;
    let store = h.server.store();
    let head = store.head().await.unwrap();
    let item = program::qbr::ActionItem {
        id: program::qbr::ActionItemId(Uuid::now_v7()),
        partner_id: h.data.partners[0].id,
        quarter: "2026-Q4".parse().unwrap(),
        text: "x".repeat(program::qbr::ACTION_TEXT_MAX + 1),
        owner: "Pat".into(),
        due_on: "2026-12-31".parse().unwrap(),
        done: false,
    };
    // Written by an administrator's hook, not a user: refused all the same.
    let err = store
        .upsert(Entity::ActionItem, serde_json::to_value(&item).unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains(&item.id.to_string()), "{err}");
    assert_eq!(store.head().await.unwrap(), head, "nothing written");
}

#[tokio::test]
async fn a_partners_logo_is_a_small_self_contained_svg() {
    let h = start().await;
    let store = h.server.store();
    let p = h.data.partners[0].clone();
    let with = |logo: &str| Partner {
        logo: Some(logo.into()),
        ..p.clone()
    };
    for (logo, says) in [
        ("<html/>", "not <svg>"),
        (
            r#"<svg xmlns="http://www.w3.org/2000/svg"><script>fetch('/')</script></svg>"#,
            "may not hold <script>",
        ),
        (
            r#"<svg xmlns="http://www.w3.org/2000/svg"><image href="https://x.example/a.png"/></svg>"#,
            "outside itself",
        ),
    ] {
        let err = store.upsert_partner(&with(logo)).await.unwrap_err();
        assert!(err.to_string().contains(says), "{logo}: {err}");
        assert_eq!(
            stored_partner(&h, p.id).await,
            p,
            "nothing of {logo} is stored"
        );
    }
    let big = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg"><desc>{}</desc></svg>"#,
        "x".repeat(program::logo::MAX_LOGO_BYTES)
    );
    let err = store.upsert_partner(&with(&big)).await.unwrap_err();
    assert!(err.to_string().contains("at most"), "{err}");
    // A mark of shapes: kept, and sent to the partner's laptops with the partner.
    let mark = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 80 80"><circle cx="40" cy="40" r="30" fill="#0b6e4f"/></svg>"##;
    store.upsert_partner(&with(mark)).await.unwrap();
    assert_eq!(stored_partner(&h, p.id).await.logo.as_deref(), Some(mark));
}
