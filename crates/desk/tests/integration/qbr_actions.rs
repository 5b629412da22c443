//! A review's action items: kept on the laptop, sent through the outbox, carried over to the
//! next quarter until done.

use crate::common;

use common::{as_of, world};
use desk::qbr;
use desk::store::Store;
use program::contract::Role;
use program::qbr::Quarter;
use program::Tier;

#[tokio::test]
async fn action_items_sync_through_the_outbox_and_carry_over_until_done() {
    use desk::qbr::ActionItemForm;
    let w = world().await;
    let p = w.partner(|p| p.tier == Tier::Strategic);
    let laptop = w
        .device("am", "ana.am", Role::PlatformAccountManager, &p)
        .await;
    let (q3, q4): (Quarter, Quarter) = ("2026-Q3".parse().unwrap(), "2026-Q4".parse().unwrap());
    let form = ActionItemForm {
        partner_id: p.id.to_string(),
        id: None,
        quarter: q3.to_string(),
        text: "  Train the new sales team on Voldier  ".into(),
        owner: "Ana".into(),
        due_on: "2026-12-15".into(),
        done: false,
    };
    let outbox = |store: &Store| {
        let pool = store.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM outbox")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    // Bad input: a clear error, nothing queued.
    for (bad, field) in [
        (
            ActionItemForm {
                text: " ".into(),
                ..form.clone()
            },
            "text",
        ),
        (
            ActionItemForm {
                owner: String::new(),
                ..form.clone()
            },
            "owner",
        ),
        (
            ActionItemForm {
                due_on: "2026-06-30".into(),
                ..form.clone()
            },
            "due_on",
        ),
        (
            ActionItemForm {
                due_on: "15/12/2026".into(),
                ..form.clone()
            },
            "due_on",
        ),
        (
            ActionItemForm {
                quarter: "Q3".into(),
                ..form.clone()
            },
            "quarter",
        ),
    ] {
        let err = qbr::save_action_item(&laptop.store, &bad, as_of())
            .await
            .unwrap_err();
        assert!(err.to_string().starts_with(field), "{field}: {err}");
    }
    assert_eq!(outbox(&laptop.store).await, 0);

    // Saved offline: on the review at once, waiting to sync.
    let saved = qbr::save_action_item(&laptop.store, &form, as_of())
        .await
        .unwrap();
    assert!(saved.pending && !saved.carried_over);
    assert_eq!(saved.text, "Train the new sales team on Voldier");
    let shown = qbr::action_items(&laptop.store, p.id, q3, as_of())
        .await
        .unwrap();
    assert_eq!(shown, vec![saved.clone()]);
    laptop.engine.run_once().await.unwrap();
    let synced = qbr::action_items(&laptop.store, p.id, q3, as_of())
        .await
        .unwrap();
    assert_eq!(synced.len(), 1);
    assert!(!synced[0].pending, "accepted by the platform");

    // Another laptop sees it, carried over to the next review while open.
    let other = w
        .device("am2", "ben.am", Role::PlatformAccountManager, &p)
        .await;
    let next = qbr::action_items(&other.store, p.id, q4, as_of())
        .await
        .unwrap();
    assert_eq!(next.len(), 1);
    assert!(next[0].carried_over && next[0].quarter == "2026-Q3");
    let review = qbr::review(&other.store, p.id, q4, as_of()).await.unwrap();
    assert_eq!(review.actions, next);

    // Done on the second laptop: it stays on its own review, and leaves the next one.
    let done = ActionItemForm {
        id: Some(next[0].id.clone()),
        quarter: q4.to_string(),
        done: true,
        ..form.clone()
    };
    let marked = qbr::save_action_item(&other.store, &done, as_of())
        .await
        .unwrap();
    assert_eq!(
        marked.quarter, "2026-Q3",
        "an item keeps the review it was written in"
    );
    other.engine.run_once().await.unwrap();
    laptop.engine.run_once().await.unwrap();
    assert!(qbr::action_items(&laptop.store, p.id, q4, as_of())
        .await
        .unwrap()
        .is_empty());
    let q3_items = qbr::action_items(&laptop.store, p.id, q3, as_of())
        .await
        .unwrap();
    assert!(q3_items[0].done && !q3_items[0].pending);

    // A change the platform refuses (queued past the app's checks) is listed with the reason and
    // shown nowhere.
    let bad = program::qbr::ActionItem {
        id: program::qbr::ActionItemId(uuid::Uuid::now_v7()),
        partner_id: p.id,
        quarter: q3,
        text: String::new(),
        owner: "Ana".into(),
        due_on: "2026-12-01".parse().unwrap(),
        done: false,
    };
    desk::outbox::enqueue(
        &laptop.store,
        "action_item",
        &bad.id.to_string(),
        &program::contract::MutationKind::SaveActionItem { item: bad },
        None,
    )
    .await
    .unwrap();
    laptop.engine.run_once().await.unwrap();
    let refused = desk::outbox::rejected(&laptop.store).await.unwrap();
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0].reason.contains("needs a text"),
        "{}",
        refused[0].reason
    );
    assert_eq!(
        qbr::action_items(&laptop.store, p.id, q3, as_of())
            .await
            .unwrap()
            .len(),
        1
    );
}
