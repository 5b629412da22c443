//! Customer migrations in the feed: the new partner of record sees the customer and its
//! deployments; a former partner sees the customer's history up to the migration and nothing
//! after, whether the migration was written through the API or loaded with the data.

use central_api::demo;
use central_api::server::{self, ServerConfig, Store};
use program::contract::{Customer, CustomerId, Entity, LedgerEntry, LedgerKind, Role};
use program::migration::Initiator;
use program::{Credits, CustomerMigration};
use uuid::Uuid;

use crate::common::{all_changes, as_of, demo_config, start, Harness};

#[tokio::test]
async fn a_migration_shows_the_customer_and_its_deployments_to_the_new_partner() {
    let h = start().await;
    let store = h.server.store();
    // A customer that never migrated, moving to a partner that sells its brand.
    let (customer, sellers) = h.unmigrated_customer();
    let to = sellers[0];
    let token = h.partner_user(Role::PartnerAdmin, to).await;
    let head = store.head().await.unwrap();
    let migration = CustomerMigration::new(
        program::contract::MigrationId(Uuid::now_v7()),
        customer.id,
        customer.partner_id,
        to,
        as_of(),
        Initiator::Founder(customer.founder.clone()),
    )
    .unwrap();
    store.record_migration(&migration).await.unwrap();

    let changes: Vec<_> = h
        .sync(&token, head, 1_000)
        .await
        .into_iter()
        .flat_map(|p| p.changes)
        .collect();
    let of = |entity| changes.iter().filter(move |c| c.entity == entity);
    assert_eq!(of(Entity::CustomerMigration).count(), 1);
    let moved: Customer =
        serde_json::from_value(of(Entity::Customer).next().unwrap().data.clone().unwrap()).unwrap();
    assert_eq!((moved.id, moved.partner_id), (customer.id, to));
    let deployments = h
        .data
        .deployments
        .iter()
        .filter(|d| d.customer_id == customer.id)
        .count();
    assert_eq!(of(Entity::Deployment).count(), deployments);
    let line: LedgerEntry = serde_json::from_value(
        of(Entity::LedgerEntry)
            .next()
            .unwrap()
            .data
            .clone()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (line.kind, line.credits),
        (LedgerKind::Migration, Credits::ZERO)
    );

    // The former partner still sees the customer, now with its new partner of record.
    let former = h
        .partner_user(Role::PartnerAdmin, customer.partner_id)
        .await;
    let changes: Vec<_> = h
        .sync(&former, head, 1_000)
        .await
        .into_iter()
        .flat_map(|p| p.changes)
        .collect();
    assert!(changes
        .iter()
        .any(|c| c.entity == Entity::Customer && c.id == customer.id.to_string()));
}

/// What `token` sees of customer `id` in the feed after `after`: each change's data, in order.
async fn customer_seen(h: &Harness, token: &str, after: u64, id: CustomerId) -> Vec<Customer> {
    all_changes(&h.sync(token, after, 5_000).await)
        .into_iter()
        .filter(|c| c.entity == Entity::Customer && c.id == id.to_string())
        .map(|c| serde_json::from_value(c.data.clone().unwrap()).unwrap())
        .collect()
}

#[tokio::test]
async fn a_former_partner_sees_a_migrated_customer_up_to_the_migration_and_nothing_after() {
    let h = start().await;
    let store = h.server.store();
    let (customer, sellers) = h.unmigrated_customer();
    let (a, b, c) = (customer.partner_id, sellers[0], sellers[1]);
    let migrate = |from, to| {
        CustomerMigration::new(
            program::contract::MigrationId(Uuid::now_v7()),
            customer.id,
            from,
            to,
            as_of(),
            Initiator::Founder(customer.founder.clone()),
        )
        .unwrap()
    };
    let (token_a, token_b, token_c) = (
        h.partner_user(Role::PartnerAdmin, a).await,
        h.partner_user(Role::PartnerAdmin, b).await,
        h.partner_user(Role::PartnerAdmin, c).await,
    );
    let manager = h.manager().await;

    // A → B. Partner A's laptop syncs the move and stops there.
    store.record_migration(&migrate(a, b)).await.unwrap();
    let at_move = Customer {
        partner_id: b,
        ..customer.clone()
    };
    assert_eq!(
        customer_seen(&h, &token_a, 0, customer.id).await,
        vec![at_move.clone()]
    );
    let a_cursor = store.head().await.unwrap();

    // The customer changes under its new partner: A sees nothing of it, on the laptop that had
    // synced (the copy it is sent again is the one it has) or on a new one.
    let renamed = Customer {
        name: format!("{} Renamed", customer.name),
        domain: Some("renamed.example".into()),
        ..at_move.clone()
    };
    store.upsert_customer(&renamed).await.unwrap();
    for seen in customer_seen(&h, &token_a, a_cursor, customer.id).await {
        assert_eq!(seen, at_move, "an incremental round sends A nothing new");
    }
    assert_eq!(
        customer_seen(&h, &token_a, 0, customer.id).await,
        vec![at_move.clone()]
    );
    assert_eq!(
        customer_seen(&h, &token_b, 0, customer.id).await,
        vec![renamed.clone()]
    );
    assert_eq!(
        customer_seen(&h, &manager, 0, customer.id).await,
        vec![renamed.clone()]
    );

    // B → C, then another change: A still holds the customer as it left A, B as it left B.
    store.record_migration(&migrate(b, c)).await.unwrap();
    let left_b = Customer {
        partner_id: c,
        ..renamed.clone()
    };
    let latest = Customer {
        name: format!("{} Again", customer.name),
        ..left_b.clone()
    };
    store.upsert_customer(&latest).await.unwrap();
    assert_eq!(
        customer_seen(&h, &token_a, 0, customer.id).await,
        vec![at_move]
    );
    assert_eq!(
        customer_seen(&h, &token_b, 0, customer.id).await,
        vec![left_b]
    );
    assert_eq!(
        customer_seen(&h, &token_c, 0, customer.id).await,
        vec![latest.clone()]
    );
    assert_eq!(
        customer_seen(&h, &manager, 0, customer.id).await,
        vec![latest]
    );
}

#[tokio::test]
async fn a_loaded_chain_of_migrations_shows_each_former_partner_the_customer_as_it_left_it() {
    // The demo data with one customer moved twice: A → B, then B → C today.
    let mut data = demo::generate(&demo_config());
    let first = data.migrations[0].clone();
    let (a, b) = (first.from_partner, first.to_partner);
    let customer = data
        .customers
        .iter_mut()
        .find(|c| c.id == first.customer_id)
        .unwrap();
    let c = data
        .partners
        .iter()
        .find(|p| ![a, b].contains(&p.id) && p.brands.contains(&customer.brand))
        .unwrap()
        .id;
    customer.partner_id = c;
    let customer = customer.clone();
    data.migrations.push(
        CustomerMigration::new(
            program::contract::MigrationId(Uuid::now_v7()),
            customer.id,
            b,
            c,
            as_of(),
            Initiator::Founder(customer.founder.clone()),
        )
        .unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("central.sqlite3");
    let store = Store::open(&db).await.unwrap();
    store.load(&data, 7, as_of()).await.unwrap();
    store.close().await;
    let config = ServerConfig {
        today: Some(as_of()),
        ..ServerConfig::demo(db, as_of())
    };
    let server = server::start(config).await.unwrap();
    assert!(!server.created_dataset());
    let h = Harness::over(server, data, dir);

    for (partner, sees) in [(a, b), (b, c), (c, c)] {
        let token = h.partner_user(Role::PartnerAdmin, partner).await;
        let expected = Customer {
            partner_id: sees,
            ..customer.clone()
        };
        assert_eq!(
            customer_seen(&h, &token, 0, customer.id).await,
            vec![expected]
        );
    }
}
