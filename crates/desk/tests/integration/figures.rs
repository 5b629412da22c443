//! Each partner's figures (`partner_figures`) after incremental rounds equal a recomputation of
//! every partner's from the mirror: a deployment's change reaches the figures of the partner that
//! holds its customer, not only of the partner that made it.

use std::collections::BTreeMap;

use chrono::Days;
use desk::store::Store;
use program::contract::{Billing, Customer, Deployment, Entity, PartnerId};
use program::metrics::active_since;
use program::migration::{CustomerMigration, Initiator};
use sqlx::Row;

use crate::common::{self, as_of};

/// Every partner's figures as the cache holds them, a row of text per partner, once the
/// partners marked since the last refresh are refreshed (as the app does after each round).
async fn figures(store: &Store) -> BTreeMap<String, String> {
    desk::figures::refresh(store).await.unwrap();
    sqlx::query(
        "SELECT partner_id, active_customers, nps, nps_responses, retention, retention_base, \
         retained, recurring_minor, balance_minor, burn_30, burn_90, runway_days, eligible \
         FROM partner_figures",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
    .into_iter()
    .map(|r| {
        let cells: Vec<String> = (1..r.len())
            .map(|i| {
                r.try_get::<Option<String>, _>(i)
                    .map(|v| v.unwrap_or_default())
                    .or_else(|_| r.try_get::<Option<i64>, _>(i).map(|v| format!("{v:?}")))
                    .or_else(|_| r.try_get::<Option<f64>, _>(i).map(|v| format!("{v:?}")))
                    .unwrap()
            })
            .collect();
        (r.get::<String, _>(0), cells.join(" | "))
    })
    .collect()
}

/// Moves customer `c` to partner `to` on the server: its founder's migration, on the workspace's
/// day.
async fn migrate(server: &central_api::server::RunningServer, c: &Customer, to: PartnerId) {
    let m = CustomerMigration::new(
        program::contract::MigrationId(uuid::Uuid::now_v7()),
        c.id,
        c.partner_id,
        to,
        as_of(),
        Initiator::Founder(c.founder.clone()),
    )
    .unwrap();
    server.store().record_migration(&m).await.unwrap();
}

async fn active_customers(store: &Store, partner: PartnerId) -> i64 {
    desk::figures::refresh(store).await.unwrap();
    sqlx::query_scalar("SELECT active_customers FROM partner_figures WHERE partner_id = ?")
        .bind(partner.to_string())
        .fetch_one(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_deployment_ending_after_its_customer_moved_changes_the_new_partners_figures() {
    let common::World { dir, server, data } = common::world().await;
    let since = active_since(as_of());
    let never_moved = |c: &&Customer| data.migrations.iter().all(|m| m.customer_id != c.id);
    let of = |c: &Customer| -> Vec<Deployment> {
        data.deployments
            .iter()
            .filter(|d| d.customer_id == c.id)
            .cloned()
            .collect()
    };
    // Two active customers of one brand, and a partner that sells it. Every deployment of the
    // first one ends before the activity window (the monthly ones running since before it; the
    // others are deleted); the second one's are all deleted. Neither is active after.
    let running = |d: &Deployment| {
        d.billing == Billing::Monthly && d.ended_on.is_none() && d.started_on < since - Days::new(1)
    };
    let ending = data
        .customers
        .iter()
        .filter(never_moved)
        .find(|c| of(c).iter().any(running))
        .expect("a customer kept active by a long-running monthly deployment");
    let going = data
        .customers
        .iter()
        .filter(never_moved)
        .find(|c| c.id != ending.id && c.brand == ending.brand && of(c).iter().any(running))
        .expect("another active customer of the brand");
    let to = data
        .partners
        .iter()
        .find(|p| {
            p.brands.contains(&ending.brand)
                && p.id != ending.partner_id
                && p.id != going.partner_id
        })
        .expect("a partner selling the brand")
        .id;

    let (store, engine) = common::manager_laptop(&server, dir.path()).await;

    for c in [ending, going] {
        migrate(&server, c, to).await;
    }
    engine.run_once().await.unwrap();
    let before = active_customers(&store, to).await;

    // The former partners' deployments go: one customer's deleted, the other's ended before the
    // window.
    for d in of(going) {
        server
            .store()
            .delete(Entity::Deployment, &d.id.to_string())
            .await
            .unwrap();
    }
    for d in of(ending) {
        if running(&d) {
            let ended = Deployment {
                ended_on: Some(since - Days::new(1)),
                ..d
            };
            server.store().upsert_deployment(&ended).await.unwrap();
        } else {
            let id = d.id.to_string();
            server
                .store()
                .delete(Entity::Deployment, &id)
                .await
                .unwrap();
        }
    }
    engine.run_once().await.unwrap();
    let kept = figures(&store).await;
    assert_eq!(
        active_customers(&store, to).await,
        before - 2,
        "the partner holding the customers lost them as active"
    );

    // Recomputed from scratch, every partner's figures are the ones kept.
    store
        .delete_state(desk::figures::FIGURES_AS_OF)
        .await
        .unwrap();
    desk::figures::refresh(&store).await.unwrap();
    let recomputed = figures(&store).await;
    assert_eq!(kept.len(), recomputed.len());
    for (partner, row) in &recomputed {
        assert_eq!(kept.get(partner), Some(row), "partner {partner}");
    }
}

/// A customer renamed, its holder the same, changes only its partner's search document: the
/// round marks that partner for it alone, the refresh computes no partner's figures, and the
/// portfolio search finds the new name. A customer moving to another partner marks both
/// partners' figures.
#[tokio::test]
async fn a_renamed_customer_rewrites_the_search_document_and_leaves_the_figures_standing() {
    let common::World { dir, server, data } = common::world().await;
    let (store, engine) = common::manager_laptop(&server, dir.path()).await;
    engine.run_once().await.unwrap();
    let before = figures(&store).await;
    let marks = |store: Store| async move {
        sqlx::query_as::<_, (String, bool)>(
            "SELECT partner_id, figures FROM figures_dirty ORDER BY partner_id",
        )
        .fetch_all(store.pool())
        .await
        .unwrap()
    };
    assert_eq!(marks(store.clone()).await, []);

    let customer = data.customers[0].clone();
    let renamed = Customer {
        name: "Zyxwvut Renamed Holdings".into(),
        ..customer.clone()
    };
    server.store().upsert_customer(&renamed).await.unwrap();
    engine.run_once().await.unwrap();
    assert_eq!(
        marks(store.clone()).await,
        [(customer.partner_id.to_string(), false)]
    );
    assert_eq!(desk::figures::refresh(&store).await.unwrap(), 0);
    assert_eq!(marks(store.clone()).await, []);
    let query = desk::views::PortfolioQuery {
        search: Some("zyxwvut".into()),
        ..desk::views::PortfolioQuery::default()
    };
    let found = desk::portfolio::list(&store, &query).await.unwrap();
    let ids: Vec<String> = found.rows.iter().map(|r| r.id.to_string()).collect();
    assert_eq!(ids, [customer.partner_id.to_string()]);
    assert_eq!(figures(&store).await, before);

    // Moved to another partner selling its brand (its founder's migration): both partners'
    // figures.
    let to = data
        .partners
        .iter()
        .find(|p| p.id != customer.partner_id && p.brands.contains(&customer.brand))
        .unwrap()
        .id;
    migrate(&server, &customer, to).await;
    engine.run_once().await.unwrap();
    let marked = marks(store.clone()).await;
    for partner in [customer.partner_id, to] {
        assert!(
            marked.contains(&(partner.to_string(), true)),
            "{partner} in {marked:?}"
        );
    }
    // Both documents follow the customer.
    let found = desk::portfolio::list(&store, &query).await.unwrap();
    let ids: Vec<String> = found.rows.iter().map(|r| r.id.to_string()).collect();
    assert_eq!(ids, [to.to_string()]);

    // A change that counts only in the figures (a consumption) recomputes them and leaves every
    // search document as it was, as does the daily recomputation of every partner.
    let documents = |store: Store| async move {
        sqlx::query_as::<_, (String, i64)>(
            "SELECT partner_id, rowid FROM partner_search ORDER BY partner_id",
        )
        .fetch_all(store.pool())
        .await
        .unwrap()
    };
    let written = documents(store.clone()).await;
    let d = data
        .deployments
        .iter()
        .find(|d| d.partner_id == to)
        .unwrap();
    let line = crate::ledger_days::line(d, as_of(), 0, 300);
    server.store().append_ledger(&line).await.unwrap();
    engine.run_once().await.unwrap();
    assert!(desk::figures::refresh(&store).await.unwrap() >= 1);
    assert_eq!(documents(store.clone()).await, written);
    store
        .delete_state(desk::figures::FIGURES_AS_OF)
        .await
        .unwrap();
    assert_eq!(
        desk::figures::refresh(&store).await.unwrap(),
        data.partners.len()
    );
    assert_eq!(documents(store.clone()).await, written);
}
