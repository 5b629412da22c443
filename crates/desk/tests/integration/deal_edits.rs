//! A registered deal edited on the desktop, against the reference central API on a loopback port
//! and real SQLite files: its products go through the catalog's rules of a registration, two
//! devices editing one deal, and a change the platform refuses.

use central_api::demo;
use program::contract::{Partner, Role};
use program::deals::{DealChange, DealEdit, DealField, DealRule, DealStage, DealStatus};
use program::{Brand, Credits, Region};

use desk::deals::{self, DealForm};
use desk::error::{ErrorCode, IpcError, Refusal};

use crate::common::{self, as_of, world, World};
use crate::deals::form;

async fn synced_deal(w: &World, company: &str) -> (Partner, common::Device, deals::DealView) {
    let country = w.free_place(Region::Latam);
    let p = w.partner(|p| p.brands.contains(&Brand::CentroPago));
    let a = w.device("a", "Ana", Role::PartnerAdmin, &p).await;
    let deal = deals::register(&a.store, &form(&p, company, &country, Brand::CentroPago))
        .await
        .unwrap();
    a.engine.run_once().await.unwrap();
    (p, a, deal)
}

#[tokio::test]
async fn local_precheck_deal_products_edited_go_through_the_catalogs_rules_of_a_registration() {
    let w = world().await;
    let (_, a, deal) = synced_deal(&w, "Sin Catálogo").await;
    let outbox = || async {
        sqlx::query_scalar::<_, String>("SELECT payload FROM outbox ORDER BY seq")
            .fetch_all(a.store.pool())
            .await
            .unwrap()
    };
    let before = outbox().await;
    let err = deals::edit(
        &a.store,
        &deal.id,
        vec![DealEdit::Products {
            from: deal.products.clone(),
            to: vec!["NOT-A-SKU".into()],
        }],
    )
    .await
    .unwrap_err();
    assert_eq!(IpcError::from(&err).code, ErrorCode::Refused);
    assert!(
        matches!(
            err,
            desk::error::DeskError::Refused(Refusal::Deal(DealRule::UnknownProduct { .. }))
        ),
        "{err}"
    );
    assert_eq!(outbox().await, before, "nothing was queued");
}

#[tokio::test]
async fn local_precheck_deal_products_edited_cannot_take_a_product_registered_for_the_prospect() {
    let w = world().await;
    let (p, a, first) = synced_deal(&w, "Dos Registros").await;
    // The same prospect again, for another product: allowed, and synced.
    let other_sku = demo::catalog()
        .into_iter()
        .find(|i| {
            i.brands.contains(&Brand::CentroPago)
                && !i.early_access
                && !first.products.contains(&i.sku)
        })
        .unwrap()
        .sku;
    let country = w.free_place(Region::Latam);
    let second = deals::register(
        &a.store,
        &DealForm {
            products: vec![other_sku.clone()],
            ..form(&p, "DOS REGISTROS SA", &country, Brand::CentroPago)
        },
    )
    .await
    .unwrap();
    a.engine.run_once().await.unwrap();
    // Adding the first deal's product to the second is refused on the laptop, naming the
    // partner's own earlier registration; nothing is queued.
    let pending = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM outbox WHERE status = 'pending'")
            .fetch_one(a.store.pool())
            .await
            .unwrap()
    };
    let before = pending().await;
    let err = deals::edit(
        &a.store,
        &second.id,
        vec![DealEdit::Products {
            from: vec![other_sku.clone()],
            to: vec![other_sku, first.products[0].clone()],
        }],
    )
    .await
    .unwrap_err();
    match err {
        desk::error::DeskError::Refused(Refusal::Deal(DealRule::AlreadyRegistered {
            yours: Some(own),
        })) => assert_eq!(own.products, first.products),
        other => panic!("expected the duplicate rule, got {other}"),
    }
    assert_eq!(pending().await, before, "nothing was queued");
}

#[tokio::test]
async fn a_deal_edited_on_two_devices_keeps_the_platforms_value_and_shows_the_losing_edit() {
    let w = world().await;
    let (p, a, deal) = synced_deal(&w, "Dos Laptops").await;
    let b = w.device("b", "Beto", Role::PartnerSales, &p).await;
    let value = |to: i64| DealEdit::Value {
        from: Credits::new("25000.50".parse().unwrap()).unwrap(),
        to: Credits::whole(to),
    };
    // Both offline, both change the value; Beto also moves the stage.
    deals::edit(&a.store, &deal.id, vec![value(30_000)])
        .await
        .unwrap();
    let shown = deals::edit(
        &b.store,
        &deal.id,
        vec![
            value(20_000),
            DealEdit::Stage {
                from: DealStage::Registered,
                to: DealStage::Qualified,
            },
        ],
    )
    .await
    .unwrap();
    // Beto sees his own edit at once, pending.
    assert_eq!(shown.value, "20000.00");
    assert!(shown.pending);
    a.engine.run_once().await.unwrap();
    b.engine.run_once().await.unwrap();
    a.engine.run_once().await.unwrap();
    for store in [&a.store, &b.store] {
        let list = deals::list(store, p.id, as_of()).await.unwrap();
        let d = list.deals.iter().find(|d| d.id == deal.id).unwrap();
        assert_eq!(d.value, "30000.00", "the edit the platform took first wins");
        assert_eq!(
            d.stage,
            DealStage::Qualified,
            "the uncontested change is applied"
        );
        assert!(!d.pending);
    }
    let list_b = deals::list(&b.store, p.id, as_of()).await.unwrap();
    assert_eq!(list_b.user, "Beto");
    let d = list_b.deals.iter().find(|d| d.id == deal.id).unwrap();
    assert!(d.history.iter().any(|e| e.by == "Beto"
        && e.what
            == DealChange::Lost {
                field: DealField::Value,
                wanted: "20000".into(),
                kept: "30000".into(),
            }));
}

#[tokio::test]
async fn a_change_the_platform_refuses_falls_away_and_shows_its_reason() {
    let w = world().await;
    let country = w.free_place(Region::EuEs);
    let p = w.partner(|p| p.brands.contains(&Brand::Voldier));
    let d = w.device("a", "Pat", Role::PartnerAdmin, &p).await;
    let deal = deals::register(
        &d.store,
        &form(&p, "Late Edit SL", &country, Brand::Voldier),
    )
    .await
    .unwrap();
    d.engine.run_once().await.unwrap();
    // Offline, Pat changes the notes; meanwhile the registration expires on the platform.
    deals::edit(
        &d.store,
        &deal.id,
        vec![DealEdit::Notes {
            from: String::new(),
            to: "demo booked".into(),
        }],
    )
    .await
    .unwrap();
    w.server
        .store()
        .expire_deals(chrono::Utc::now().date_naive() + chrono::Days::new(120), 90)
        .await
        .unwrap();
    d.engine.run_once().await.unwrap();
    let list = deals::list(&d.store, p.id, as_of()).await.unwrap();
    let v = list.deals.iter().find(|x| x.id == deal.id).unwrap();
    assert_eq!(v.status, DealStatus::Expired);
    assert_eq!(v.notes, "", "the refused change no longer shows as applied");
    assert_eq!(v.refused_changes.len(), 1);
    assert!(v.refused_changes[0].reason.contains("expired"));
    // Dismissed, it is gone.
    desk::outbox::dismiss(&d.store, &v.refused_changes[0].id)
        .await
        .unwrap();
    let list = deals::list(&d.store, p.id, as_of()).await.unwrap();
    assert!(list
        .deals
        .iter()
        .find(|x| x.id == deal.id)
        .unwrap()
        .refused_changes
        .is_empty());
}
