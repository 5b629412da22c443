//! Territory deals on the desktop, against the reference central API on a loopback port and real
//! SQLite files: the local pre-check of each rule, offline registration that survives a kill,
//! two partners racing for one prospect, two devices editing one deal, refused changes, and the
//! pipeline's figures.

use crate::common;

use std::time::Duration;

use central_api::demo;
use central_api::server::{self, ServerConfig};
use common::{as_of, engine, world, World, DEPLOYMENTS};
use desk::api::{ApiClient, Token};
use desk::deals::{self, DealForm};
use desk::error::{ErrorCode, IpcError, Refusal};
use desk::store::{Store, CACHE_FILE};
use desk::sync::SyncOptions;
use program::contract::{Exclusivity, Partner, Role};
use program::deals::{DealChange, DealEdit, DealField, DealRule, DealStage, DealStatus};
use program::{Brand, Credits, Region, Subdivision};

/// A registration's form for `place`: a country ("PR"), or a state, province or region ("US-TX");
/// for a country divided into them, its first.
fn form(partner: &Partner, company: &str, place: &str, brand: Brand) -> DealForm {
    let sku = demo::catalog()
        .into_iter()
        .find(|i| i.brands.contains(&brand) && !i.early_access)
        .unwrap()
        .sku;
    let (country, subdivision) = match Subdivision::parse(place) {
        Ok(s) => (s.country().code().to_string(), s.code().to_string()),
        // A country as typed (one the program does not serve stays as it is).
        Err(_) => (
            place.to_string(),
            program::Country::parse(place)
                .ok()
                .and_then(|c| Subdivision::of(c).next())
                .map(String::from)
                .unwrap_or_default(),
        ),
    };
    DealForm {
        partner_id: partner.id.to_string(),
        company: company.into(),
        domain: String::new(),
        country,
        subdivision,
        brand: Some(brand),
        products: vec![sku],
        value: "25000.50".into(),
        expected_close: "2026-12-15".into(),
        owner: "Pat".into(),
        notes: String::new(),
    }
}

async fn server_deals_named(w: &World, company: &str) -> Vec<program::deals::Deal> {
    let mut out = Vec::new();
    // Every deal on the server, read from its feed as an account manager over everyone.
    let all: Vec<_> = w.data.partners.iter().map(|p| p.id).collect();
    let token = w
        .server
        .create_token("audit", Role::PlatformAccountManager, &all)
        .await
        .unwrap();
    let api = ApiClient::new(w.server.base_url().parse().unwrap(), Token::new(&token)).unwrap();
    let mut after = 0;
    loop {
        let desk::api::Changes::Page(page) = api.changes(after, 50_000).await.unwrap() else {
            break;
        };
        for c in &page.changes {
            if let Some(desk::api::Row::Deal(d)) = &c.row {
                if d.company == company {
                    out.push(d.clone());
                }
            }
        }
        after = page.trailer.next;
        if !page.trailer.has_more {
            break;
        }
    }
    out
}

#[tokio::test]
async fn local_precheck_refuses_a_brand_outside_the_prospects_region() {
    let w = world().await;
    let p = w.partner(|p| p.brands.contains(&Brand::CentroPago));
    let d = w.device("a", "Pat", Role::PartnerAdmin, &p).await;
    let check = deals::check(&d.store, &form(&p, "Acme", "US", Brand::CentroPago))
        .await
        .unwrap();
    assert!(matches!(
        check.errors.as_slice(),
        [DealRule::BrandRegion {
            brand: Brand::CentroPago,
            ..
        }]
    ));
    // Not saved, and nothing queued.
    let err = deals::register(&d.store, &form(&p, "Acme", "US", Brand::CentroPago))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("brand_region"), "{err}");
    // It crosses IPC as data: the rule and its facts, nothing for the UI to parse.
    let ipc = IpcError::from(&err);
    assert_eq!(ipc.code, ErrorCode::Refused);
    assert_eq!(
        ipc.refusal,
        Some(Refusal::Deal(DealRule::BrandRegion {
            brand: Brand::CentroPago,
            country: program::Country::parse("US").unwrap(),
        }))
    );
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(d.store.pool())
        .await
        .unwrap();
    assert_eq!(queued, 0);
    // A bad field names itself.
    let mut bad = form(&p, "Acme", "MX", Brand::CentroPago);
    bad.value = "12,5".into();
    let err = deals::register(&d.store, &bad).await.unwrap_err();
    assert!(err.to_string().starts_with("value:"), "{err}");
    let ipc = IpcError::from(&err);
    assert_eq!(
        (ipc.code, ipc.field.as_deref(), ipc.refusal),
        (ErrorCode::InvalidInput, Some("value"), None)
    );
}

#[tokio::test]
async fn local_precheck_warns_of_an_exclusive_territory_from_the_cached_map() {
    let w = world().await;
    let holder_territory = w
        .data
        .territories
        .iter()
        .find(|t| t.exclusivity == Exclusivity::Regional)
        .unwrap();
    let holder = w.partner(|p| p.id == holder_territory.partner_id);
    let brand = holder_territory.region.brand();
    let p = w.partner(|p| p.id != holder.id && p.brands.contains(&brand));
    let d = w.device("a", "Pat", Role::PartnerSales, &p).await;
    let f = form(
        &p,
        "Contoso",
        holder_territory.subdivisions[0].code(),
        brand,
    );
    let check = deals::check(&d.store, &f).await.unwrap();
    assert!(check.errors.is_empty());
    match check.warnings.as_slice() {
        [DealRule::ExclusiveTerritory { country, .. }] => {
            assert_eq!(*country, holder_territory.country)
        }
        other => panic!("expected the exclusive territory warning, got {other:?}"),
    }
    // Saved anyway, it goes to the platform, which refuses it with the same rule.
    let saved = deals::register(&d.store, &f).await.unwrap();
    assert_eq!(saved.status, DealStatus::Pending);
    assert!(saved.pending);
    d.engine.run_once().await.unwrap();
    let list = deals::list(&d.store, p.id, as_of()).await.unwrap();
    let decided = list.deals.iter().find(|x| x.id == saved.id).unwrap();
    assert_eq!(decided.status, DealStatus::Refused);
    assert!(!decided.pending);
    assert!(matches!(
        decided.refusal,
        Some(DealRule::ExclusiveTerritory { .. })
    ));
}

#[tokio::test]
async fn local_precheck_warns_of_an_earlier_registration_of_the_same_prospect() {
    let w = world().await;
    let country = w.free_place(Region::Latam);
    let p = w.partner(|p| p.brands.contains(&Brand::CentroPago));
    let d = w.device("a", "Pat", Role::PartnerAdmin, &p).await;
    deals::register(
        &d.store,
        &DealForm {
            domain: "https://www.panaderia-sol.mx/".into(),
            ..form(&p, "Panadería Sol, S.A.", &country, Brand::CentroPago)
        },
    )
    .await
    .unwrap();
    // Still offline: the pending registration already holds the prospect for this device.
    let again = DealForm {
        domain: "panaderia-sol.mx".into(),
        ..form(&p, "Otra Empresa", &country, Brand::CentroPago)
    };
    let check = deals::check(&d.store, &again).await.unwrap();
    assert!(matches!(
        check.warnings.as_slice(),
        [DealRule::AlreadyRegistered { .. }]
    ));
}

#[tokio::test]
async fn local_precheck_territory_rights_follow_the_benefits_matrix() {
    let w = world().await;
    // A Regional partner's regional exclusivity covers its states or provinces.
    let regional = w
        .data
        .territories
        .iter()
        .find(|t| t.exclusivity == Exclusivity::Regional)
        .unwrap();
    let brand = Brand::ALL
        .into_iter()
        .find(|b| b.region() == regional.region)
        .unwrap();
    let p = w.partner(|p| p.id != regional.partner_id && p.brands.contains(&brand));
    let d = w.device("a", "Pat", Role::PartnerSales, &p).await;
    let f = form(&p, "Contoso", regional.subdivisions[0].code(), brand);
    let warned = |check: &deals::DealCheck| {
        matches!(
            check.warnings.as_slice(),
            [DealRule::ExclusiveTerritory { .. }]
        )
    };
    assert!(warned(&deals::check(&d.store, &f).await.unwrap()));
    // The map still lists the claim, but its holder's tier no longer carries exclusivity
    // (Specialist: global, none): the claim does not count.
    sqlx::query("UPDATE territory_claims SET holder_tier = 'specialist' WHERE id = ?")
        .bind(regional.id.to_string())
        .execute(d.store.pool())
        .await
        .unwrap();
    let check = deals::check(&d.store, &f).await.unwrap();
    assert!(check.warnings.is_empty(), "{:?}", check.warnings);

    // A Strategic partner's country-level exclusivity covers its country, not its region.
    let strategic = w
        .data
        .territories
        .iter()
        .find(|t| t.exclusivity == Exclusivity::CountryLevel)
        .unwrap();
    let held = strategic.country.unwrap();
    let brand = Brand::ALL
        .into_iter()
        .find(|b| b.region() == strategic.region)
        .unwrap();
    let p = w.partner(|p| p.id != strategic.partner_id && p.brands.contains(&brand));
    let d = w.device("b", "Bo", Role::PartnerSales, &p).await;
    let check = deals::check(&d.store, &form(&p, "Initech", held.code(), brand))
        .await
        .unwrap();
    assert!(warned(&check), "{:?}", check.warnings);
    let elsewhere = w.free_place(strategic.region);
    let check = deals::check(&d.store, &form(&p, "Initech", &elsewhere, brand))
        .await
        .unwrap();
    assert!(check.warnings.is_empty(), "{:?}", check.warnings);
}

#[tokio::test]
async fn local_precheck_registration_expires_after_the_policys_period() {
    let w = world().await;
    let p = w.partner(|p| {
        p.tier == program::Tier::Strategic
            && w.data.deals.iter().filter(|d| d.partner_id == p.id).count() >= 8
    });
    let mine: Vec<_> = w
        .data
        .deals
        .iter()
        .filter(|x| x.partner_id == p.id)
        .collect();
    // The platform's policy, as last synced, is shorter than the reference 90 days: one day less
    // than the oldest open registration of this partner has sat in its stage, so that one has
    // lapsed here while the reference policy would keep it.
    let today = chrono::Utc::now().date_naive();
    let oldest = mine
        .iter()
        // Open under the reference policy today (the demo's date is fixed; today moves on).
        .filter(|x| x.status == DealStatus::Approved && x.expires_on(90).is_some_and(|e| e > today))
        .min_by_key(|x| x.stage_since)
        .expect("an open registration");
    let days = u32::try_from((today - oldest.stage_since.date_naive()).num_days() - 1).unwrap();
    assert!((1..90).contains(&days), "{days}");
    let d = w.device("a", "Pat", Role::PartnerAdmin, &p).await;
    sqlx::query(
        "UPDATE sync_state SET value = json_set(value, '$.deal_registration_days', ?) \
         WHERE key = 'program_policy'",
    )
    .bind(i64::from(days))
    .execute(d.store.pool())
    .await
    .unwrap();
    let list = deals::list(&d.store, p.id, as_of()).await.unwrap();
    for x in &mine {
        let shown = list
            .deals
            .iter()
            .find(|s| s.id == x.id.to_string())
            .unwrap();
        assert_eq!(
            shown.expires_on,
            x.expires_on(days).map(|e| e.to_string()),
            "{}",
            x.company
        );
    }
    let mut expiring: Vec<String> = list.expiring.iter().map(|x| x.id.clone()).collect();
    expiring.sort();
    let mut expected: Vec<String> = mine
        .iter()
        .filter(|x| x.status == DealStatus::Approved)
        .filter(|x| {
            x.expires_on(days)
                .is_some_and(|e| e > as_of() && e <= as_of() + chrono::Days::new(14))
        })
        .map(|x| x.id.to_string())
        .collect();
    expected.sort();
    assert_eq!(expiring, expected);

    // The lapsed registration cannot be changed: the app refuses before anything is queued.
    assert!(oldest.is_lapsed(days, today) && !oldest.is_lapsed(90, today));
    let err = deals::edit(
        &d.store,
        &oldest.id.to_string(),
        vec![DealEdit::Owner {
            from: oldest.owner.clone(),
            to: "Someone Else".into(),
        }],
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("\"expired\""), "{err}");
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(d.store.pool())
        .await
        .unwrap();
    assert_eq!(queued, 0);
}

#[tokio::test]
async fn a_change_the_platform_applied_is_shown_once_when_the_download_breaks_partway() {
    let w = world().await;
    let country = w.free_place(Region::Latam);
    let p = w.partner(|p| p.brands.contains(&Brand::CentroPago));
    let d = w.device("a", "Pat", Role::PartnerAdmin, &p).await;
    // One change per page, so a download can break between the deal and the purchase.
    let token = w
        .server
        .create_token("Pat", Role::PartnerAdmin, &[p.id])
        .await
        .unwrap();
    let api = ApiClient::new(w.server.base_url().parse().unwrap(), Token::new(&token)).unwrap();
    let engine = desk::sync::SyncEngine::new(
        d.store.clone(),
        api,
        SyncOptions {
            page_size: 1,
            min_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(100),
            max_retries: 2,
            ..SyncOptions::default()
        },
    )
    .await
    .unwrap();
    let before = desk::ledger::provisional_balance(&d.store, p.id)
        .await
        .unwrap();
    let with_purchase = Credits::rounded(before.amount() + Credits::whole(500).amount());
    let balance = || desk::ledger::provisional_balance(&d.store, p.id);
    let saved = deals::register(
        &d.store,
        &form(
            &p,
            "Ferretería Quetzal de Prueba",
            &country,
            Brand::CentroPago,
        ),
    )
    .await
    .unwrap();
    desk::outbox::enqueue(
        &d.store,
        "credit_purchase",
        &p.id.to_string(),
        &program::contract::MutationKind::PurchaseCredits {
            partner_id: p.id,
            credits: Credits::whole(500),
            price: None,
        },
        None,
    )
    .await
    .unwrap();
    let shown = |list: &deals::DealList| {
        list.deals
            .iter()
            .filter(|x| x.id == saved.id)
            .cloned()
            .collect::<Vec<_>>()
    };

    // Everything is uploaded; no page of the download gets through.
    w.server.faults().drop_next_pages(100);
    assert!(engine.run_once().await.is_err());
    let list = deals::list(&d.store, p.id, as_of()).await.unwrap();
    let deal = shown(&list);
    assert_eq!(deal.len(), 1, "the registration is still on screen, once");
    assert!(deal[0].pending);
    assert_eq!(balance().await.unwrap(), with_purchase);
    assert_eq!(
        engine.status().borrow().pending,
        0,
        "nothing waits to be sent"
    );

    // The download brings the deal, then breaks before the purchase's ledger line.
    w.server.faults().clear();
    w.server.faults().whole_next_pages(1);
    w.server.faults().drop_next_pages(100);
    assert!(engine.run_once().await.is_err());
    let list = deals::list(&d.store, p.id, as_of()).await.unwrap();
    let deal = shown(&list);
    assert_eq!(deal.len(), 1);
    assert!(
        !deal[0].pending,
        "the platform's copy replaced the applied change"
    );
    assert_eq!(deal[0].status, DealStatus::Approved);
    assert_eq!(balance().await.unwrap(), with_purchase, "counted once");

    // The whole download: the purchase is in the ledger, counted once, and nothing is left.
    w.server.faults().clear();
    engine.run_once().await.unwrap();
    assert_eq!(balance().await.unwrap(), with_purchase);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(d.store.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert_eq!(
        server_deals_named(&w, "Ferretería Quetzal de Prueba")
            .await
            .len(),
        1
    );
    let purchases = w
        .data
        .ledger
        .iter()
        .filter(|l| l.partner_id == p.id && l.kind == program::contract::LedgerKind::Purchase)
        .count();
    let lines: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ledger_entries WHERE partner_id = ? AND kind = 'purchase'",
    )
    .bind(p.id.to_string())
    .fetch_one(d.store.pool())
    .await
    .unwrap();
    assert_eq!(
        lines as usize,
        purchases + 1,
        "the purchase reached the platform once"
    );
}

/// The test binary runs itself as a child that saves a deal and is then killed (SIGKILL).
#[tokio::test]
async fn offline_registration_survives_a_kill_and_reaches_the_server_exactly_once() {
    if let Ok(path) = std::env::var("DEALS_CHILD_CACHE") {
        // The child: save the deal, say so, and wait to be killed.
        let store = Store::open(std::path::Path::new(&path)).await.unwrap();
        let f: DealForm =
            serde_json::from_str(&std::env::var("DEALS_CHILD_FORM").unwrap()).unwrap();
        deals::register(&store, &f).await.unwrap();
        println!("saved");
        tokio::time::sleep(Duration::from_secs(600)).await;
        return;
    }
    let w = world().await;
    let country = w.free_place(Region::EuEs);
    let p = w.partner(|p| p.brands.contains(&Brand::Voldier));
    let token = w
        .server
        .create_token("Pat", Role::PartnerAdmin, &[p.id])
        .await
        .unwrap();
    let cache = w.dir.path().join("laptop").join(CACHE_FILE);
    {
        let store = Store::open(&cache).await.unwrap();
        engine(&w.server, &store, &token)
            .await
            .run_once()
            .await
            .unwrap();
        store.close().await;
    }
    // Offline from here: the child only writes locally.
    let f = form(&p, "Kill Test Oy", &country, Brand::Voldier);
    let mut child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &common::test_name(
                module_path!(),
                "offline_registration_survives_a_kill_and_reaches_the_server_exactly_once",
            ),
            "--nocapture",
        ])
        .env("DEALS_CHILD_CACHE", &cache)
        .env("DEALS_CHILD_FORM", serde_json::to_string(&f).unwrap())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use tokio::io::AsyncBufReadExt;
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let saved = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if line.contains("saved") {
                    return true;
                }
            }
            false
        })
        .await
        .unwrap();
        assert!(saved, "the child saved the deal");
    }
    child.kill().await.unwrap();

    // Restarted, the deal is there, pending; then the network is back.
    let store = Store::open(&cache).await.unwrap();
    let before = deals::list(&store, p.id, as_of()).await.unwrap();
    let local = before
        .deals
        .iter()
        .find(|d| d.company == "Kill Test Oy")
        .expect("the deal survived the kill");
    assert!(local.pending);
    let e = engine(&w.server, &store, &token).await;
    e.run_once().await.unwrap();
    e.run_once().await.unwrap();
    let on_server = server_deals_named(&w, "Kill Test Oy").await;
    assert_eq!(on_server.len(), 1, "exactly one deal on the server");
    assert_eq!(on_server[0].id.to_string(), local.id);
    let after = deals::list(&store, p.id, as_of()).await.unwrap();
    let synced = after.deals.iter().find(|d| d.id == local.id).unwrap();
    assert_eq!(synced.status, DealStatus::Approved);
    assert!(!synced.pending);
    assert_eq!(synced.value, "25000.50");
}

#[tokio::test]
async fn two_partners_register_the_same_prospect_offline_and_the_first_to_sync_wins() {
    let w = world().await;
    let country = w.free_place(Region::Latam);
    let sellers: Vec<Partner> = w
        .data
        .partners
        .iter()
        .filter(|p| p.brands.contains(&Brand::CentroPago))
        .take(2)
        .cloned()
        .collect();
    let a = w.device("a", "Ana", Role::PartnerAdmin, &sellers[0]).await;
    let b = w.device("b", "Beto", Role::PartnerAdmin, &sellers[1]).await;
    // Both offline, neither sees the other's registration.
    let da = deals::register(
        &a.store,
        &form(&sellers[0], "Ferretería Núñez", &country, Brand::CentroPago),
    )
    .await
    .unwrap();
    let db = deals::register(
        &b.store,
        &form(
            &sellers[1],
            "FERRETERIA NUNEZ SA",
            &country,
            Brand::CentroPago,
        ),
    )
    .await
    .unwrap();
    a.engine.run_once().await.unwrap();
    b.engine.run_once().await.unwrap();
    let la = deals::list(&a.store, sellers[0].id, as_of()).await.unwrap();
    let lb = deals::list(&b.store, sellers[1].id, as_of()).await.unwrap();
    let va = la.deals.iter().find(|d| d.id == da.id).unwrap();
    let vb = lb.deals.iter().find(|d| d.id == db.id).unwrap();
    assert_eq!(va.status, DealStatus::Approved);
    assert_eq!(vb.status, DealStatus::Refused);
    match &vb.refusal {
        Some(DealRule::AlreadyRegistered { yours }) => assert_eq!(yours, &None),
        other => panic!("expected the duplicate refusal, got {other:?}"),
    }
}

/// A deal for `company` in a free LATAM place, registered by Ana of a CentroPago partner on her
/// laptop and synced.
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

#[tokio::test]
async fn pipeline_totals_forecast_and_expiring_deals_match_the_synced_deals() {
    let w = world().await;
    let p = w.partner(|p| {
        p.tier == program::Tier::Strategic
            && w.data.deals.iter().filter(|d| d.partner_id == p.id).count() >= 8
    });
    let d = w.device("a", "Pat", Role::PartnerAdmin, &p).await;
    let list = deals::list(&d.store, p.id, as_of()).await.unwrap();
    let mine: Vec<_> = w
        .data
        .deals
        .iter()
        .filter(|x| x.partner_id == p.id)
        .collect();
    assert_eq!(list.deals.len(), mine.len());
    assert!(list.territory_benefit);
    // Independently: sums per stage over approved deals.
    for cell in &list.pipeline.stages {
        let (n, sum) = mine
            .iter()
            .filter(|x| x.status == DealStatus::Approved && x.stage == cell.stage)
            .fold((0u32, Credits::ZERO), |(n, s), x| (n + 1, s + x.value));
        assert_eq!(cell.deals, n, "{:?}", cell.stage);
        assert_eq!(cell.credits, format!("{:.2}", sum.amount()));
    }
    let (q0, q1) = program::deals::quarter_of(as_of());
    let expected: rust_decimal::Decimal = mine
        .iter()
        .filter(|x| x.status == DealStatus::Approved)
        .filter(|x| x.expected_close.is_some_and(|c| c >= q0 && c <= q1))
        .map(|x| x.value.amount() * x.stage.forecast_weight())
        .sum();
    assert_eq!(
        list.pipeline.forecast_credits,
        format!("{:.2}", expected.round_dp(2))
    );
    let won = mine
        .iter()
        .filter(|x| x.status == DealStatus::Approved && x.stage == DealStage::Won)
        .count();
    assert_eq!(list.pipeline.won as usize, won);
    // Expiring within 14 days: approved, open, lapsing after today and by today + 14.
    let expiring: Vec<String> = mine
        .iter()
        .filter(|x| {
            x.expires_on(90).is_some_and(|e| {
                x.status == DealStatus::Approved
                    && e > as_of()
                    && e <= as_of() + chrono::Days::new(14)
            })
        })
        .map(|x| x.id.to_string())
        .collect();
    let mut shown: Vec<String> = list.expiring.iter().map(|x| x.id.clone()).collect();
    shown.sort();
    let mut expected_ids = expiring.clone();
    expected_ids.sort();
    assert_eq!(shown, expected_ids);
}

/// What the app does: the background sync loop, the server going away and coming back.
#[tokio::test]
async fn a_deal_saved_while_the_server_is_down_is_approved_once_it_returns() {
    use desk::views::SyncPhase;
    let w = world().await;
    let territory = w
        .data
        .territories
        .iter()
        .find(|t| t.exclusivity == Exclusivity::Regional)
        .cloned()
        .unwrap();
    let holder = w.partner(|p| p.id == territory.partner_id);
    let token = w
        .server
        .create_token("Rita", Role::PartnerAdmin, &[holder.id])
        .await
        .unwrap();
    let app_dir = tempfile::tempdir().unwrap();
    let desk = desk::Desk::open(app_dir.path()).await.unwrap();
    let options = SyncOptions {
        min_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_secs(2),
        ..SyncOptions::default()
    };
    desk.connect(
        w.server.base_url().parse().unwrap(),
        desk::signin::Credentials::token(Token::new(&token)),
        desk::views::WorkspaceKind::Remote,
        "test#Rita",
        options,
    )
    .await
    .unwrap();
    let until = |what: &'static str, f: Box<dyn Fn(&desk::views::SyncStatus) -> bool>| {
        let desk = &desk;
        async move {
            let deadline = std::time::Instant::now() + Duration::from_secs(30);
            loop {
                if desk.sync_status().await.is_some_and(|s| f(&s)) {
                    return;
                }
                assert!(std::time::Instant::now() < deadline, "timed out: {what}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    until(
        "first sync",
        Box::new(|s| s.last_synced_at.is_some() && s.phase == SyncPhase::Idle),
    )
    .await;

    let World {
        dir, server, data, ..
    } = w;
    let addr = server.addr();
    server.shutdown().await.unwrap();
    desk.request_sync().await;
    until("offline", Box::new(|s| s.phase == SyncPhase::Offline)).await;
    let saved = desk
        .register_deal(&form(
            &holder,
            "Offline Outfitters",
            territory.subdivisions[0].code(),
            territory.region.brand(),
        ))
        .await
        .unwrap();
    assert!(saved.pending);

    let back = server::start(ServerConfig {
        addr,
        deployments: DEPLOYMENTS,
        today: Some(as_of()),
        ..ServerConfig::demo(dir.path().join("central.sqlite3"), as_of())
    })
    .await
    .unwrap();
    desk.request_sync().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let list = desk.deals(&holder.id.to_string()).await.unwrap();
        let d = list.deals.iter().find(|d| d.id == saved.id).unwrap();
        if d.status == DealStatus::Approved && !d.pending {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still {:?} (pending {}); sync {:?}",
            d.status,
            d.pending,
            desk.sync_status().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(data);
    back.shutdown().await.unwrap();
}

#[tokio::test]
async fn local_precheck_no_poaching_refuses_a_registration_for_your_own_customer() {
    let w = world().await;
    let c = w.data.customers[0].clone();
    let p = w.partner(|p| p.id == c.partner_id);
    let d = w.device("a", "Pat", Role::PartnerSales, &p).await;
    // The partner's own customer, however its name is written: refused before anything is queued.
    let f = form(
        &p,
        &format!("  {}, S.A. ", c.name.to_lowercase()),
        c.country.code(),
        c.brand,
    );
    let check = deals::check(&d.store, &f).await.unwrap();
    assert_eq!(
        check.errors,
        vec![DealRule::AlreadyCustomer { yours: true }]
    );
    let err = deals::register(&d.store, &f).await.unwrap_err();
    assert_eq!(
        IpcError::from(&err).refusal,
        Some(Refusal::Deal(DealRule::AlreadyCustomer { yours: true }))
    );
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(d.store.pool())
        .await
        .unwrap();
    assert_eq!(queued, 0);
    // By its web domain, under another name, too.
    let mut by_domain = form(&p, "Another Name Entirely", c.country.code(), c.brand);
    by_domain.domain = c.domain.clone().unwrap();
    let check = deals::check(&d.store, &by_domain).await.unwrap();
    assert_eq!(
        check.errors,
        vec![DealRule::AlreadyCustomer { yours: true }]
    );
}

#[tokio::test]
async fn local_precheck_no_poaching_an_account_manager_sees_another_partners_customer() {
    let w = world().await;
    let c = w.data.customers[0].clone();
    let rival = w.partner(|p| p.id != c.partner_id && p.brands.contains(&c.brand));
    // An account manager over both partners: its cache holds the customer.
    let token = w
        .server
        .create_token(
            "am",
            Role::PlatformAccountManager,
            &[c.partner_id, rival.id],
        )
        .await
        .unwrap();
    let store = Store::open(&w.dir.path().join("am").join(CACHE_FILE))
        .await
        .unwrap();
    engine(&w.server, &store, &token)
        .await
        .run_once()
        .await
        .unwrap();
    let f = form(&rival, &c.name, c.country.code(), c.brand);
    let check = deals::check(&store, &f).await.unwrap();
    assert_eq!(
        check.errors,
        vec![DealRule::AlreadyCustomer { yours: false }]
    );
}

#[tokio::test]
async fn local_precheck_a_country_served_by_no_brand_is_refused_in_words() {
    let w = world().await;
    let p = w.partner(|p| p.brands.contains(&Brand::RemindLedger));
    let d = w.device("a", "Pat", Role::PartnerSales, &p).await;
    // Japan is a country, in no brand's region: a rule, in words, not a typing error.
    let f = form(&p, "Kaisha", "jp", Brand::RemindLedger);
    let check = deals::check(&d.store, &f).await.unwrap();
    assert_eq!(
        check.errors,
        vec![DealRule::CountryServedByNone {
            country: "JP".into()
        }]
    );
    let err = deals::register(&d.store, &f).await.unwrap_err();
    assert_eq!(IpcError::from(&err).code, ErrorCode::Refused);
    // Not a country at all: the field is wrong.
    let err = deals::check(&d.store, &form(&p, "Kaisha", "ZZ", Brand::RemindLedger))
        .await
        .unwrap_err();
    let ipc = IpcError::from(&err);
    assert_eq!(
        (ipc.code, ipc.field.as_deref()),
        (ErrorCode::InvalidInput, Some("country"))
    );
    // Guam is the USA's: RemindLedger serves it.
    let guam = deals::check(&d.store, &form(&p, "Island Co", "GU", Brand::RemindLedger))
        .await
        .unwrap();
    assert!(
        !guam.errors.iter().any(|r| matches!(
            r,
            DealRule::BrandRegion { .. } | DealRule::CountryServedByNone { .. }
        )),
        "{guam:?}"
    );
}
