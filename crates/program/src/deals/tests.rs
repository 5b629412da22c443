use super::*;
use crate::entities::{Billing, CatalogKind, Exclusivity, Partner, Territory};
use crate::tiers::Tier;
use uuid::Uuid;

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

fn check(
    i: &DealInput,
    claims: &[TerritoryClaim],
    earlier: &[Registration<'_>],
) -> Result<(), DealRule> {
    check_all(i, claims, earlier, &[])
}

/// Every rule, for a Strategic partner selling every brand and holding no territory.
fn check_all(
    i: &DealInput,
    claims: &[TerritoryClaim],
    earlier: &[Registration<'_>],
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
}

fn claim(
    exclusivity: Exclusivity,
    tier: Tier,
    country: &str,
    subdivisions: &[&str],
) -> TerritoryClaim {
    TerritoryClaim {
        id: TerritoryId(Uuid::from_u128(9)),
        holder: "Norte".into(),
        holder_tier: tier,
        region: c(country).region(),
        country: Some(c(country)),
        subdivisions: subdivisions.iter().map(|s| sub(s)).collect(),
        exclusivity,
    }
}

fn in_place(company: &str, subdivision: &str) -> DealInput {
    let s = sub(subdivision);
    DealInput {
        subdivision: Some(s),
        ..input(
            company,
            s.country().code(),
            Brand::ALL
                .into_iter()
                .find(|b| b.check_serves(s.country()).is_ok())
                .unwrap(),
            &["SKILL-ANY"],
        )
    }
}

#[test]
fn regional_exclusivity_covers_its_states_or_provinces_not_the_rest_of_the_country() {
    let norte = claim(
        Exclusivity::Regional,
        Tier::Regional,
        "MX",
        &["MX-NLE", "MX-COA"],
    );
    assert_eq!(
        check(
            &in_place("Acme", "MX-NLE"),
            std::slice::from_ref(&norte),
            &[]
        ),
        Err(DealRule::ExclusiveTerritory {
            holder: "Norte".into(),
            region: Region::Latam,
            country: Some(c("MX")),
            subdivision: Some(sub("MX-NLE")),
        })
    );
    assert!(check(
        &in_place("Acme", "MX-COA"),
        std::slice::from_ref(&norte),
        &[]
    )
    .is_err());
    // Across the border, in Jalisco or in Texas, the claim holds nothing.
    assert!(check(
        &in_place("Acme", "MX-JAL"),
        std::slice::from_ref(&norte),
        &[]
    )
    .is_ok());
    assert!(check(
        &in_place("Acme", "US-TX"),
        std::slice::from_ref(&norte),
        &[]
    )
    .is_ok());
}

#[test]
fn country_level_exclusivity_covers_its_whole_country() {
    let mx = claim(Exclusivity::CountryLevel, Tier::Strategic, "MX", &[]);
    for place in ["MX-JAL", "MX-NLE", "MX-YUC"] {
        assert!(matches!(
            check(&in_place("Acme", place), std::slice::from_ref(&mx), &[]),
            Err(DealRule::ExclusiveTerritory {
                subdivision: None,
                ..
            })
        ));
    }
    let br = claim(Exclusivity::CountryLevel, Tier::Strategic, "BR", &[]);
    assert!(check(&in_place("Acme", "MX-JAL"), &[br], &[]).is_ok());
}

#[test]
fn a_partners_own_exclusive_territory_never_blocks_it() {
    let norte = claim(Exclusivity::Regional, Tier::Regional, "MX", &["MX-NLE"]);
    let i = in_place("Acme", "MX-NLE");
    let own = BTreeSet::from([norte.id]);
    let registrant = Registrant {
        id: i.partner_id,
        tier: Tier::Regional,
        brands: &Brand::ALL,
        own_territories: &own,
    };
    assert!(check_registration(&i, &registrant, &catalog(), &[norte], &[], &[]).is_ok());
}

#[test]
fn territory_rights_follow_the_benefits_matrix() {
    // A claim the matrix does not allow its holder (a Specialist holding a region, a Regional
    // partner holding a country) protects nothing.
    let i = in_place("Acme", "MX-NLE");
    for (exclusivity, tier, subdivisions) in [
        (Exclusivity::Regional, Tier::Specialist, &["MX-NLE"][..]),
        (Exclusivity::Regional, Tier::Authorized, &["MX-NLE"]),
        (Exclusivity::CountryLevel, Tier::Regional, &[]),
        (Exclusivity::None, Tier::Strategic, &[]),
    ] {
        assert!(
            check(&i, &[claim(exclusivity, tier, "MX", subdivisions)], &[]).is_ok(),
            "{exclusivity:?} held by {tier}"
        );
    }
}

#[test]
fn a_deal_names_its_state_or_province_where_the_country_has_them() {
    let none = DealInput {
        subdivision: None,
        ..input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"])
    };
    assert_eq!(
        check(&none, &[], &[]),
        Err(DealRule::SubdivisionNeeded { country: c("MX") })
    );
    let texas_in_mexico = DealInput {
        subdivision: Some(sub("US-TX")),
        ..none.clone()
    };
    assert_eq!(
        check(&texas_in_mexico, &[], &[]),
        Err(DealRule::SubdivisionNotInCountry {
            subdivision: sub("US-TX"),
            country: c("MX")
        })
    );
    // Puerto Rico has no subdivisions to name.
    let pr = DealInput {
        subdivision: None,
        ..input("Acme", "PR", Brand::CentroPago, &["SKILL-ANY"])
    };
    assert!(check(&pr, &[], &[]).is_ok());
}

fn territory(exclusivity: Exclusivity, country: Option<&str>, subdivisions: &[&str]) -> Territory {
    Territory {
        id: TerritoryId(Uuid::now_v7()),
        partner_id: PartnerId(Uuid::from_u128(7)),
        region: country.map_or(Region::Latam, |k| c(k).region()),
        country: country.map(c),
        subdivisions: subdivisions.iter().map(|s| sub(s)).collect(),
        exclusivity,
    }
}

#[test]
fn territory_exclusivity_by_tier_regional_holds_subdivisions_strategic_a_country() {
    let regional = territory(Exclusivity::Regional, Some("US"), &["US-TX", "US-OK"]);
    let country = territory(Exclusivity::CountryLevel, Some("BR"), &[]);
    assert_eq!(regional.check(Tier::Regional), Ok(()));
    assert_eq!(country.check(Tier::Strategic), Ok(()));
    for tier in [Tier::Authorized, Tier::Specialist, Tier::Strategic] {
        assert!(
            matches!(regional.check(tier), Err(TerritoryRule::NotForTier { .. })),
            "{tier}"
        );
    }
    for tier in [Tier::Authorized, Tier::Specialist, Tier::Regional] {
        assert!(
            matches!(country.check(tier), Err(TerritoryRule::NotForTier { .. })),
            "{tier}"
        );
    }
    // Every tier may work a territory without exclusivity.
    assert_eq!(
        territory(Exclusivity::None, None, &[]).check(Tier::Authorized),
        Ok(())
    );
}

#[test]
fn territory_shape_a_regional_exclusivity_is_subdivisions_of_one_country() {
    let t = |country, subs: &[&str]| {
        territory(Exclusivity::Regional, country, subs).check(Tier::Regional)
    };
    assert_eq!(t(None, &["US-TX"]), Err(TerritoryRule::CountryNeeded));
    assert_eq!(t(Some("US"), &[]), Err(TerritoryRule::SubdivisionsNeeded));
    assert_eq!(
        t(Some("US"), &["US-TX", "MX-NLE"]),
        Err(TerritoryRule::SubdivisionOutside {
            subdivision: sub("MX-NLE"),
            country: c("US")
        })
    );
    let mut wrong_region = territory(Exclusivity::CountryLevel, Some("ES"), &[]);
    wrong_region.region = Region::Latam;
    assert!(matches!(
        wrong_region.check(Tier::Strategic),
        Err(TerritoryRule::CountryOutsideRegion { .. })
    ));
    assert_eq!(
        territory(Exclusivity::CountryLevel, Some("ES"), &["ES-AN"]).check(Tier::Strategic),
        Err(TerritoryRule::SubdivisionsNotExpected)
    );
}

#[test]
fn exclusive_territories_never_overlap() {
    let texas = territory(Exclusivity::Regional, Some("US"), &["US-TX", "US-OK"]);
    let oklahoma = territory(Exclusivity::Regional, Some("US"), &["US-OK"]);
    let california = territory(Exclusivity::Regional, Some("US"), &["US-CA"]);
    let usa = territory(Exclusivity::CountryLevel, Some("US"), &[]);
    let canada = territory(Exclusivity::CountryLevel, Some("CA"), &[]);
    let global = territory(Exclusivity::None, Some("US"), &[]);
    assert!(texas.overlaps(&oklahoma) && oklahoma.overlaps(&texas));
    assert!(!texas.overlaps(&california));
    assert!(usa.overlaps(&california) && california.overlaps(&usa));
    assert!(!usa.overlaps(&canada));
    assert!(
        !global.overlaps(&usa),
        "a territory without exclusivity claims nothing"
    );
}

#[test]
fn a_partner_moved_below_the_tier_its_territory_needs_loses_the_claim() {
    let t = territory(Exclusivity::Regional, Some("US"), &["US-TX"]);
    let partner = |tier: Tier| {
        let joined_on = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let mut p = Partner {
            id: t.partner_id,
            name: "Lone Star".into(),
            tier: Tier::Authorized,
            discount_rate: Tier::Authorized.band().min,
            country: c("US"),
            brands: vec![Brand::RemindLedger],
            currency: crate::money::Currency::USD,
            joined_on,
            account_manager: "Ana".into(),
            tier_history: Partner::joining(joined_on),
        };
        p.move_to(
            tier,
            tier.band().min,
            NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        );
        p
    };
    let held =
        TerritoryClaim::of(&t, &partner(Tier::Regional)).expect("a Regional partner holds it");
    assert_eq!(held.subdivisions, vec![sub("US-TX")]);
    assert_eq!(TerritoryClaim::of(&t, &partner(Tier::Specialist)), None);
    // A claim published before the move protects nothing once its tier no longer allows it.
    let stale = TerritoryClaim {
        holder_tier: Tier::Specialist,
        ..held
    };
    assert!(!stale.covers(c("US"), Some(sub("US-TX"))));
}

#[test]
fn second_registration_of_the_same_prospect_is_refused() {
    let first = approved(
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
    let earlier = [Registration {
        deal: &first,
        holder: "Sur",
    }];
    // Same company, spelled differently.
    let again = input("Acme", "MX", Brand::CentroPago, &["SKILL-ANY"]);
    assert_eq!(
        check(&again, &[], &earlier),
        Err(DealRule::AlreadyRegistered {
            holder: "Sur".into(),
            registered_on: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            products: vec!["SKILL-ANY".into()],
        })
    );
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
    assert!(check(&by_domain, &[], &earlier).is_err());
}

#[test]
fn same_prospect_without_overlapping_products_is_allowed() {
    let first = approved(
        input("Acme", "MX", Brand::CentroPago, &["CORE-LATAM"]),
        "2026-10-01",
    );
    let earlier = [Registration {
        deal: &first,
        holder: "Sur",
    }];
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
        let earlier = [Registration {
            deal: &first,
            holder: "Sur",
        }];
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
            to: Credits::new(rust_decimal::Decimal::MAX).unwrap(),
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
