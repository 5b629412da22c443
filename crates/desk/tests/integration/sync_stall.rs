//! Sync never stalls: a change the platform refuses whole is found and set aside alone while the
//! rest is sent; the download goes on when the upload fails; `Retry-After` is honoured in both
//! its forms, within a bound.

use crate::common;

use central_api::server;
use desk::store::Store;
use program::contract::{MutationKind, PartnerId};
use program::money::Currency;
use program::Credits;

struct Setup {
    _dir: tempfile::TempDir,
    server: server::RunningServer,
    store: Store,
    engine: std::sync::Arc<desk::sync::SyncEngine>,
    partner: PartnerId,
}

/// A laptop synced with a server that takes request bodies of `max_body_bytes` at most.
async fn setup(max_body_bytes: usize) -> Setup {
    let common::World { dir, server, data } = common::world_with(server::Limits {
        max_body_bytes,
        ..server::Limits::default()
    })
    .await;
    let partner = data
        .partners
        .iter()
        .find(|p| p.currency == Currency::USD)
        .unwrap()
        .id;
    let (store, engine) = common::manager_laptop(&server, dir.path()).await;
    Setup {
        _dir: dir,
        server,
        store,
        engine,
        partner,
    }
}

impl Setup {
    async fn purchase(&self, credits: i64) {
        let kind = MutationKind::PurchaseCredits {
            partner_id: self.partner,
            credits: Credits::whole(credits),
            price: None,
        };
        desk::outbox::enqueue(
            &self.store,
            "credit_purchase",
            &self.partner.to_string(),
            &kind,
            None,
        )
        .await
        .unwrap();
    }

    async fn balance(&self) -> Credits {
        self.server.store().balances().await.unwrap()[&self.partner]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_refused_whole_is_halved_until_the_change_at_fault_is_rejected_alone() {
    // Bodies of 32 KiB at most: one action item of 40,000 characters is more, and under the
    // client's own cap of a batch, so the three changes go as one batch and are refused whole.
    let s = setup(32 * 1024).await;
    let before = s.balance().await;
    s.purchase(100).await;
    let item = program::qbr::ActionItem {
        id: program::qbr::ActionItemId(uuid::Uuid::now_v7()),
        partner_id: s.partner,
        quarter: "2026-Q3".parse().unwrap(),
        text: "x".repeat(40_000),
        owner: "Ana".into(),
        due_on: "2026-12-01".parse().unwrap(),
        done: false,
    };
    let item_id = item.id.to_string();
    let mutation = desk::outbox::enqueue(
        &s.store,
        "action_item",
        &item_id,
        &MutationKind::SaveActionItem { item },
        None,
    )
    .await
    .unwrap();
    s.purchase(50).await;

    let report = s.engine.run_once().await.unwrap();
    assert_eq!((report.pushed, report.rejected), (2, 1), "{report:?}");
    // Both purchases reached the platform, once each; the item alone is set aside, with why.
    assert_eq!(s.balance().await - before, Credits::whole(150));
    let refused = desk::outbox::rejected(&s.store).await.unwrap();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].id, mutation.to_string());
    assert!(refused[0].reason.contains("413"), "{}", refused[0].reason);
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE status = 'pending'")
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    assert_eq!(waiting, 0);
    // The next round sends nothing again.
    let again = s.engine.run_once().await.unwrap();
    assert_eq!((again.pushed, again.rejected), (0, 0));
    assert_eq!(s.balance().await - before, Credits::whole(150));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_download_goes_on_when_the_upload_fails() {
    let s = setup(server::DEFAULT_MAX_BODY_BYTES).await;
    // A change on the platform to download, and one on the laptop to upload.
    let customer: String = sqlx::query_scalar("SELECT id FROM customers ORDER BY id LIMIT 1")
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    let value = s
        .server
        .store()
        .get(program::contract::Entity::Customer, &customer)
        .await
        .unwrap()
        .unwrap();
    let mut changed: program::entities::Customer = serde_json::from_value(value).unwrap();
    changed.name = "Renamed while the upload fails".into();
    s.server.store().upsert_customer(&changed).await.unwrap();
    s.purchase(75).await;
    // Every try of the upload (the first and the engine's 4 retries) finds the server busy.
    s.server.faults().unavailable_next(5);

    let failed = s.engine.run_once().await.unwrap_err();
    assert!(failed.is_transient(), "{failed}");
    let name: String = sqlx::query_scalar("SELECT name FROM customers WHERE id = ?")
        .bind(&customer)
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    assert_eq!(name, "Renamed while the upload fails", "downloaded anyway");
    // The purchase waits, once, and goes with the next round.
    let before = s.balance().await;
    s.engine.run_once().await.unwrap();
    assert_eq!(s.balance().await - before, Credits::whole(75));
}
