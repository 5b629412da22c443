//! The local pre-check of each rule of a deal registration, on the desktop, against the reference
//! central API on a loopback port and real SQLite files: brands by region, exclusive territories,
//! an earlier registration of the prospect, the benefits matrix's territory rights, expiry after
//! the policy's period, no poaching, and a country no brand serves.

use common::{as_of, engine, world};
use desk::deals::{self, DealForm};
use desk::error::{ErrorCode, IpcError, Refusal};
use desk::store::{Store, CACHE_FILE};
use program::contract::{Exclusivity, Role};
use program::deals::{DealEdit, DealRule, DealStatus};
use program::{Brand, Region};

use crate::common;
use crate::deals::form;

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
