//! Territory deals on the desktop, against the reference central API on a loopback port and real
//! SQLite files: offline registration that survives a kill, a change applied while the download
//! broke, two partners racing for one prospect, and the pipeline's figures. The local pre-check
//! of each rule of a registration is in `deal_rules.rs`, a registered deal's edits in
//! `deal_edits.rs`.

use crate::common;

use std::time::Duration;

use central_api::demo;
use central_api::server::{self, ServerConfig};
use common::{as_of, engine, world, World, DEPLOYMENTS};
use desk::api::{ApiClient, Token};
use desk::deals::{self, DealForm};
use desk::store::{Store, CACHE_FILE};
use desk::sync::SyncOptions;
use program::contract::{Exclusivity, Partner, Role};
use program::deals::{DealRule, DealStage, DealStatus};
use program::{Brand, Credits, Region, Subdivision};

/// A registration's form for `place`: a country ("PR"), or a state, province or region ("US-TX");
/// for a country divided into them, its first.
pub(super) fn form(partner: &Partner, company: &str, place: &str, brand: Brand) -> DealForm {
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
