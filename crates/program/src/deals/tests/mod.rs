use super::*;
use crate::entities::{Billing, CatalogKind, Exclusivity, Partner, Territory};
use crate::tiers::Tier;
use uuid::Uuid;

mod territory;

fn c(code: &str) -> Country {
    Country::parse(code).unwrap()
}

fn sub(code: &str) -> Subdivision {
    Subdivision::parse(code).unwrap()
}

fn at(day: &str) -> DateTime<Utc> {
    format!("{day}T10:00:00Z").parse().unwrap()
}

fn catalog() -> Vec<CatalogItem> {
    vec![
        CatalogItem {
            sku: "CORE-LATAM".into(),
            name: "Core LATAM".into(),
            kind: CatalogKind::CoreBundle,
            list_price: Credits::whole(100),
            billing: Billing::OneOff,
            brands: vec![Brand::CentroPago],
            early_access: false,
        },
        CatalogItem {
            sku: "SKILL-ANY".into(),
            name: "Skill".into(),
            kind: CatalogKind::Skill,
            list_price: Credits::whole(10),
            billing: Billing::Monthly,
            brands: Brand::ALL.to_vec(),
            early_access: false,
        },
    ]
}

fn input(company: &str, country: &str, brand: Brand, products: &[&str]) -> DealInput {
    DealInput {
        id: DealId(Uuid::now_v7()),
        partner_id: PartnerId(Uuid::from_u128(1)),
        company: company.into(),
        domain: None,
        country: c(country),
        subdivision: Subdivision::of(c(country)).next(),
        brand,
        products: products.iter().map(|s| s.to_string()).collect(),
        value: Credits::whole(5_000),
        expected_close: None,
        owner: "Ana".into(),
        notes: String::new(),
    }
}

fn check(i: &DealInput, claims: &[TerritoryClaim], earlier: &[&Deal]) -> Result<(), DealRule> {
    check_all(i, claims, earlier, &[])
}

/// Every rule, for a Strategic partner selling every brand and holding no territory.
fn check_all(
    i: &DealInput,
    claims: &[TerritoryClaim],
    earlier: &[&Deal],
    customers: &[KnownCustomer],
) -> Result<(), DealRule> {
    let own = BTreeSet::new();
    let registrant = Registrant {
        id: i.partner_id,
        tier: Tier::Strategic,
        brands: &Brand::ALL,
        own_territories: &own,
    };
    check_registration(i, &registrant, &catalog(), claims, earlier, customers)
}

fn approved(i: DealInput, day: &str) -> Deal {
    let mut d = Deal::registered(i, at(day), "someone");
    d.status = DealStatus::Approved;
    d
}

#[test]
fn deal_brand_must_serve_the_prospects_country() {
    let i = input("Acme", "US", Brand::CentroPago, &["SKILL-ANY"]);
    assert_eq!(
        check(&i, &[], &[]),
        Err(DealRule::BrandRegion {
            brand: Brand::CentroPago,
            country: c("US")
        })
    );
    assert!(check(
        &input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]),
        &[],
        &[]
    )
    .is_ok());
}

#[test]
fn deal_products_come_from_the_catalog_under_the_deals_brand() {
    let unknown = input("Acme", "MX", Brand::CentroPago, &["NOPE"]);
    assert!(matches!(
        check(&unknown, &[], &[]),
        Err(DealRule::UnknownProduct { .. })
    ));
    let other_brand = input("Acme", "ES", Brand::Voldier, &["CORE-LATAM"]);
    assert!(matches!(
        check(&other_brand, &[], &[]),
        Err(DealRule::ProductNotInBrand { .. })
    ));
    let twice = input(
        "Acme",
        "MX",
        Brand::CentroPago,
        &["CORE-LATAM", "CORE-LATAM"],
    );
    assert_eq!(
        check(&twice, &[], &[]),
        Err(DealRule::DuplicateProduct {
            sku: "CORE-LATAM".into()
        })
    );
}

#[test]
fn deal_products_edited_go_through_the_catalogs_rules_of_a_registration() {
    let edit = |to: &[&str]| {
        vec![
            DealEdit::Notes {
                from: String::new(),
                to: "call back".into(),
            },
            DealEdit::Products {
                from: vec![],
                to: to.iter().map(|s| s.to_string()).collect(),
            },
        ]
    };
    let rule = |to: &[&str]| {
        let edits = edit(to);
        let products = products_edited(&edits).expect("the edit changes products");
        check_products(products, Brand::CentroPago, Tier::Authorized, &catalog())
    };
    assert!(matches!(
        rule(&["NOPE"]),
        Err(DealRule::UnknownProduct { .. })
    ));
    assert!(matches!(
        check_products(
            &["CORE-LATAM".to_string()],
            Brand::Voldier,
            Tier::Authorized,
            &catalog()
        ),
        Err(DealRule::ProductNotInBrand { .. })
    ));
    assert!(matches!(
        rule(&["CORE-LATAM", "CORE-LATAM"]),
        Err(DealRule::DuplicateProduct { .. })
    ));
    assert_eq!(rule(&["CORE-LATAM"]), Ok(()));
    let notes_only = [DealEdit::Notes {
        from: String::new(),
        to: "x".into(),
    }];
    assert_eq!(products_edited(&notes_only), None);
}

#[test]
fn second_registration_of_the_same_prospect_is_refused() {
    let mut first = approved(
        DealInput {
            domain: Some("https://www.acme.mx/".into()),
            ..input(
                "ACME, S.A. de C.V.",
                "MX",
                Brand::CentroPago,
                &["SKILL-ANY", "CORE-LATAM"],
            )
        },
        "2026-10-01",
    );
    // The partner's own earlier registration: described, so the user can find it.
    let again = input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]);
    assert_eq!(
        check(&again, &[], &[&first]),
        Err(DealRule::AlreadyRegistered {
            yours: Some(EarlierRegistration {
                registered_on: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
                products: vec!["SKILL-ANY".into()],
            }),
        })
    );
    // Another partner's, same company spelled differently: refused, and nothing of it is told.
    first.partner_id = PartnerId(Uuid::from_u128(2));
    let refusal = check(&again, &[], &[&first]).unwrap_err();
    assert_eq!(refusal, DealRule::AlreadyRegistered { yours: None });
    let told = serde_json::to_string(&refusal).unwrap();
    assert_eq!(told, r#"{"rule":"already_registered"}"#);
    // Same domain, another name.
    let by_domain = DealInput {
        domain: Some("acme.mx".into()),
        ..input(
            "Grupo Acme Internacional",
            "MX",
            Brand::CentroPago,
            &["CORE-LATAM"],
        )
    };
    assert!(check(&by_domain, &[], &[&first]).is_err());
}

#[test]
fn an_edit_adding_a_product_another_registration_holds_is_refused_like_a_registration() {
    let mut theirs = approved(
        input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]),
        "2026-10-01",
    );
    theirs.partner_id = PartnerId(Uuid::from_u128(2));
    let ours = approved(
        input("ACME S.A.", "MX", Brand::CentroPago, &["CORE-LATAM"]),
        "2026-10-05",
    );
    let others = [&theirs, &ours];
    let added = ["CORE-LATAM".to_string(), "SKILL-ANY".to_string()];
    assert_eq!(
        check_products_added(&ours, &added, &others),
        Err(DealRule::AlreadyRegistered { yours: None })
    );
    // What the deal named already stays its own; a product no one holds is free.
    assert!(check_products_added(&ours, &["CORE-LATAM".to_string()], &others).is_ok());
    theirs.stage = DealStage::Lost;
    assert!(check_products_added(&ours, &added, &[&theirs, &ours]).is_ok());
}

#[test]
fn same_prospect_without_overlapping_products_is_allowed() {
    let first = approved(
        input("Acme", "MX", Brand::CentroPago, &["CORE-LATAM"]),
        "2026-10-01",
    );
    let earlier = [&first];
    assert!(check(
        &input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]),
        &[],
        &earlier
    )
    .is_ok());
}

#[test]
fn a_lost_or_refused_or_expired_registration_no_longer_holds_the_prospect() {
    for (status, stage) in [
        (DealStatus::Refused, DealStage::Registered),
        (DealStatus::Expired, DealStage::Qualified),
        (DealStatus::Approved, DealStage::Lost),
    ] {
        let mut first = approved(
            input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]),
            "2026-10-01",
        );
        first.status = status;
        first.stage = stage;
        let earlier = [&first];
        let again = input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]);
        assert!(check(&again, &[], &earlier).is_ok(), "{status:?} {stage:?}");
    }
}

#[test]
fn registration_expires_after_the_policy_period_unless_it_moves_stage() {
    let mut d = approved(
        input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]),
        "2026-01-01",
    );
    let day = |s: &str| s.parse::<NaiveDate>().unwrap();
    assert_eq!(d.expires_on(90), Some(day("2026-04-01")));
    assert!(!d.is_lapsed(90, day("2026-03-31")));
    assert!(d.is_lapsed(90, day("2026-04-01")));
    // Moving stage restarts the clock.
    merge_edit(
        &mut d,
        &[DealEdit::Stage {
            from: DealStage::Registered,
            to: DealStage::Qualified,
        }],
        at("2026-03-15"),
        "Ana",
    )
    .unwrap();
    assert!(!d.is_lapsed(90, day("2026-04-01")));
    assert_eq!(d.expires_on(90), Some(day("2026-06-13")));
    // A closed deal never expires.
    d.stage = DealStage::Won;
    assert_eq!(d.expires_on(90), None);
}

#[test]
fn deal_stages_move_forward_or_to_lost_and_never_out_of_a_closed_stage() {
    use DealStage::*;
    assert!(Registered.may_move_to(Qualified));
    assert!(Registered.may_move_to(Won));
    assert!(Proposal.may_move_to(Lost));
    assert!(!Proposal.may_move_to(Qualified));
    assert!(!Won.may_move_to(Lost));
    assert!(!Lost.may_move_to(Proposal));
}

#[test]
fn contested_field_keeps_the_platforms_value_and_shows_the_losing_edit() {
    let mut d = approved(
        input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]),
        "2026-10-01",
    );
    // Device A moved the value from 5,000 to 7,000 first.
    merge_edit(
        &mut d,
        &[DealEdit::Value {
            from: Credits::whole(5_000),
            to: Credits::whole(7_000),
        }],
        at("2026-10-02"),
        "Ana",
    )
    .unwrap();
    // Device B, offline, saw 5,000 and wanted 6,000, and also changed the notes.
    merge_edit(
        &mut d,
        &[
            DealEdit::Value {
                from: Credits::whole(5_000),
                to: Credits::whole(6_000),
            },
            DealEdit::Notes {
                from: String::new(),
                to: "call back in May".into(),
            },
        ],
        at("2026-10-03"),
        "Bea",
    )
    .unwrap();
    assert_eq!(d.value, Credits::whole(7_000));
    assert_eq!(d.notes, "call back in May");
    assert!(d.history.iter().any(|e| e.by == "Bea"
        && e.what
            == DealChange::Lost {
                field: DealField::Value,
                wanted: "6000".into(),
                kept: "7000".into(),
            }));
}

#[test]
fn refused_or_expired_deals_cannot_be_edited() {
    let mut d = approved(
        input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]),
        "2026-10-01",
    );
    d.status = DealStatus::Expired;
    let err = merge_edit(&mut d, &[], at("2026-10-02"), "Ana").unwrap_err();
    assert!(err.to_string().contains("expired"));
}

#[test]
fn company_names_and_domains_normalize() {
    assert_eq!(
        normalize_company("Café Águila, S.A. de C.V."),
        "cafe aguila"
    );
    assert_eq!(normalize_company("  ACME   Inc. "), "acme");
    assert_eq!(normalize_company("Co"), "co");
    assert_eq!(
        normalize_domain("https://WWW.Acme.com/about?x=1").as_deref(),
        Some("acme.com")
    );
    assert_eq!(normalize_domain("acme"), None);
}

#[test]
fn forecast_weighs_open_deals_closing_in_the_quarter_by_stage() {
    let q = quarter_of("2026-11-24".parse().unwrap());
    assert_eq!(
        q,
        ("2026-10-01".parse().unwrap(), "2026-12-31".parse().unwrap())
    );
    let mut a = approved(
        input("A", "MX", Brand::CentroPago, &["SKILL-ANY"]),
        "2026-10-01",
    );
    a.expected_close = Some("2026-12-15".parse().unwrap());
    a.stage = DealStage::Proposal; // 5,000 × 50 %
    let mut b = a.clone();
    b.stage = DealStage::Won; // 5,000 × 100 %
    let mut late = a.clone();
    late.expected_close = Some("2027-01-15".parse().unwrap());
    let mut refused = a.clone();
    refused.status = DealStatus::Refused;
    assert_eq!(
        forecast([&a, &b, &late, &refused], q),
        Credits::whole(7_500)
    );
    assert_eq!(win_rate(3, 1), Some(Decimal::new(75, 2)));
    assert_eq!(win_rate(0, 0), None);
}

fn customer_of(partner: u128, name: &str, domain: Option<&str>) -> KnownCustomer {
    KnownCustomer {
        id: crate::entities::CustomerId(Uuid::from_u128(700 + partner)),
        partner_id: PartnerId(Uuid::from_u128(partner)),
        prospect: Prospect::new(name, domain),
    }
}

fn check_with_customers(i: &DealInput, customers: &[KnownCustomer]) -> Result<(), DealRule> {
    check_all(i, &[], &[], customers)
}

#[test]
fn no_poaching_a_deal_for_another_partners_customer_is_refused_without_naming_it() {
    // Matched as the duplicate rule matches: the normalized name, or the web domain.
    let by_name = input("Café Águila, S.A.", "MX", Brand::CentroPago, &["SKILL-ANY"]);
    let theirs = [customer_of(2, "cafe aguila", None)];
    let refused = check_with_customers(&by_name, &theirs);
    assert_eq!(refused, Err(DealRule::AlreadyCustomer { yours: false }));
    // The refusal carries nothing of the other partner: no name, id or date.
    let json = serde_json::to_string(&refused.unwrap_err()).unwrap();
    assert_eq!(json, r#"{"rule":"already_customer","yours":false}"#);

    let mut by_domain = input("Aguila Holdings", "MX", Brand::CentroPago, &["SKILL-ANY"]);
    by_domain.domain = Some("https://www.aguila.mx/contact".into());
    let theirs = [customer_of(2, "Grupo Aguila", Some("aguila.mx"))];
    assert_eq!(
        check_with_customers(&by_domain, &theirs),
        Err(DealRule::AlreadyCustomer { yours: false })
    );
    // A different company, with no shared domain, is a new prospect.
    let other = input("Aguila Norte", "MX", Brand::CentroPago, &["SKILL-ANY"]);
    assert!(check_with_customers(&other, &theirs).is_ok());
}

#[test]
fn no_poaching_a_deal_for_your_own_customer_is_refused_as_already_yours() {
    let i = input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]);
    let mine = customer_of(1, "ACME Inc.", None);
    assert_eq!(
        check_with_customers(&i, std::slice::from_ref(&mine)),
        Err(DealRule::AlreadyCustomer { yours: true })
    );
    // Served by both: it is the registrant's own.
    assert_eq!(
        check_with_customers(&i, &[customer_of(2, "Acme", None), mine]),
        Err(DealRule::AlreadyCustomer { yours: true })
    );
}

#[test]
fn early_access_a_deal_for_an_early_access_product_needs_a_tier_with_early_access() {
    let mut items = catalog();
    items.push(CatalogItem {
        sku: "PACK-EA".into(),
        name: "Early pack".into(),
        kind: CatalogKind::Pack,
        list_price: Credits::whole(50),
        billing: Billing::OneOff,
        brands: vec![Brand::CentroPago],
        early_access: true,
    });
    let i = input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY", "PACK-EA"]);
    let own = BTreeSet::new();
    for tier in Tier::ALL {
        let registrant = Registrant {
            id: i.partner_id,
            tier,
            brands: &Brand::ALL,
            own_territories: &own,
        };
        let checked = check_registration(&i, &registrant, &items, &[], &[], &[]);
        if tier == Tier::Authorized {
            assert_eq!(
                checked,
                Err(DealRule::EarlyAccessTier {
                    sku: "PACK-EA".into(),
                    tier
                })
            );
        } else {
            assert_eq!(checked, Ok(()), "{tier:?}");
        }
    }
}

#[test]
fn a_deal_past_its_bounds_is_refused_with_the_field_and_the_bound() {
    let ok = input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]);
    let past = |f: fn(&mut DealInput)| {
        let mut i = ok.clone();
        f(&mut i);
        check(&i, &[], &[])
    };
    assert_eq!(
        past(|i| i.company = "x".repeat(201)),
        Err(DealRule::TooLong {
            field: "company".into(),
            max: COMPANY_MAX
        })
    );
    assert_eq!(
        past(|i| i.notes = "é".repeat(4_001)),
        Err(DealRule::TooLong {
            field: "notes".into(),
            max: NOTES_MAX
        })
    );
    assert_eq!(
        past(|i| i.products = vec!["SKILL-ANY".into(); 51]),
        Err(DealRule::TooLong {
            field: "products".into(),
            max: PRODUCTS_MAX
        })
    );
    assert_eq!(
        past(|i| i.value = Credits::whole(DEAL_VALUE_MAX) + Credits::from_minor(1)),
        Err(DealRule::ValueTooLarge {
            max: Credits::whole(DEAL_VALUE_MAX)
        })
    );
    // At the bounds: taken (the 4,000 characters are counted as characters, not bytes).
    let mut at_bounds = ok.clone();
    at_bounds.notes = "é".repeat(4_000);
    at_bounds.value = Credits::whole(DEAL_VALUE_MAX);
    assert_eq!(check(&at_bounds, &[], &[]), Ok(()));
    // An edit past a bound changes nothing.
    let mut d = approved(ok, "2026-10-01");
    let before = d.clone();
    for edit in [
        DealEdit::Value {
            from: d.value,
            to: Credits::MAX,
        },
        DealEdit::Notes {
            from: String::new(),
            to: "x".repeat(4_001),
        },
        DealEdit::Owner {
            from: d.owner.clone(),
            to: "x".repeat(121),
        },
    ] {
        assert!(matches!(
            merge_edit(&mut d, &[edit], at("2026-10-02"), "Ana"),
            Err(EditError::Invalid(_))
        ));
    }
    assert_eq!(d, before);
}

#[test]
fn bounded_values_the_forecast_of_deals_at_the_bound_sums_without_a_panic() {
    // A feed may carry values up to the largest amount the program reads; a thousand such deals
    // (the pipeline of a hostile or broken platform) still sum, and to the cent.
    let close = NaiveDate::from_ymd_opt(2026, 11, 15).unwrap();
    let deals: Vec<Deal> = (0..1_000)
        .map(|_| {
            approved(
                DealInput {
                    value: Credits::MAX,
                    expected_close: Some(close),
                    ..input("Overflow Labs", "MX", Brand::CentroPago, &["CORE"])
                },
                "2026-10-01",
            )
        })
        .collect();
    let quarter = (
        NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    );
    let expected =
        Credits::MAX.amount() * DealStage::Registered.forecast_weight() * Decimal::from(1_000);
    assert_eq!(
        forecast(&deals, quarter).amount(),
        Credits::rounded(expected).amount()
    );
    // Kept as hundredths it would not fit: refused, not wrapped.
    assert!(forecast(&deals, quarter).minor().is_err());
}
