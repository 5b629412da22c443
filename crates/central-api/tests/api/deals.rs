//! Deal registration on the server, the authority: each rule of the program, the territory map,
//! expiry, and edits from two devices.

use chrono::Days;
use program::contract::Territory;
use program::contract::{
    Entity, Exclusivity, Mutation, MutationBatch, MutationKind, Outcome, Partner, ProblemCode, Role,
};
use program::deals::{
    Deal, DealChange, DealEdit, DealField, DealId, DealInput, DealRule, DealStage, DealStatus,
};
use program::{Brand, Country, Credits, Region, Subdivision, Tier};
use uuid::Uuid;

use crate::common::{start, Harness};

/// A registration in `place`: a country ("PR"), or a state, province or region ("US-TX"); for a
/// country divided into them, its first.
fn input(partner: &Partner, company: &str, place: &str, brand: Brand) -> DealInput {
    let (country, subdivision) = match Subdivision::parse(place) {
        Ok(s) => (s.country(), Some(s)),
        Err(_) => {
            let country = Country::parse(place).unwrap();
            (country, Subdivision::of(country).next())
        }
    };
    DealInput {
        id: DealId(Uuid::now_v7()),
        partner_id: partner.id,
        company: company.into(),
        domain: None,
        country,
        subdivision,
        brand,
        products: vec![sku_for(brand)],
        value: Credits::whole(12_000),
        expected_close: None,
        owner: "Pat".into(),
        notes: String::new(),
    }
}

/// A catalog item every partner of the brand may name (none in early access).
fn sku_for(brand: Brand) -> String {
    central_api::demo::catalog()
        .into_iter()
        .find(|i| i.brands.contains(&brand) && !i.early_access)
        .unwrap()
        .sku
}

async fn send(h: &Harness, token: &str, kind: MutationKind) -> Outcome {
    let m = Mutation {
        id: Uuid::now_v7(),
        base_version: None,
        kind,
    };
    let results = h
        .mutate(
            token,
            &Uuid::now_v7().to_string(),
            &MutationBatch { mutations: vec![m] },
        )
        .await;
    results.results[0].outcome.clone()
}

/// Registers as the partner's own admin; returns the deal as the platform decided it.
async fn register(h: &Harness, input: DealInput) -> Deal {
    let token = h.partner_user(Role::PartnerAdmin, input.partner_id).await;
    let id = input.id;
    let outcome = send(h, &token, MutationKind::RegisterDeal { deal: input }).await;
    assert_eq!(outcome, Outcome::Applied);
    h.server.store().deal(id).await.unwrap().expect("recorded")
}

/// Two partners selling CentroPago (LATAM).
fn centro_pago_sellers(h: &Harness) -> Vec<Partner> {
    h.data
        .partners
        .iter()
        .filter(|p| p.brands.contains(&Brand::CentroPago))
        .take(2)
        .cloned()
        .collect()
}

fn partner(h: &Harness, f: impl Fn(&Partner) -> bool) -> Partner {
    h.data.partners.iter().find(|p| f(p)).cloned().unwrap()
}

/// The public territory map, as a partner user's feed brings it.
async fn public_map(h: &Harness, token: &str) -> Vec<program::deals::TerritoryClaim> {
    h.sync(token, 0, 1_000)
        .await
        .iter()
        .flat_map(|p| p.changes.iter())
        .filter(|c| c.entity == Entity::TerritoryClaim)
        .map(|c| serde_json::from_value(c.data.clone().unwrap()).unwrap())
        .collect()
}

/// The first Regional partner holding states or provinces exclusively, and that territory.
fn regional_holder(h: &Harness) -> (Partner, Territory) {
    let t = h
        .data
        .territories
        .iter()
        .find(|t| t.exclusivity == Exclusivity::Regional)
        .cloned()
        .unwrap();
    (partner(h, |p| p.id == t.partner_id), t)
}

/// A place of `region` (a subdivision where its country has them) no one holds exclusively.
fn free_place(h: &Harness, region: Region) -> String {
    match central_api::demo::unclaimed_places(&h.data.territories, region)[0] {
        (_, Some(subdivision)) => subdivision.code().to_string(),
        (country, None) => country.code().to_string(),
    }
}

/// A place of the territory's country that no one holds exclusively: across its border.
fn across_the_border(h: &Harness, t: &Territory) -> String {
    central_api::demo::unclaimed_places(&h.data.territories, t.region)
        .into_iter()
        .find_map(|(country, s)| s.filter(|_| Some(country) == t.country))
        .expect("the demo leaves part of the country open")
        .code()
        .to_string()
}

#[tokio::test]
async fn deal_brand_must_serve_the_prospects_country() {
    let h = start().await;
    let p = partner(&h, |p| p.brands.contains(&Brand::CentroPago));
    let deal = register(&h, input(&p, "Northwind", "US", Brand::CentroPago)).await;
    assert_eq!(deal.status, DealStatus::Refused);
    assert!(matches!(
        deal.refusal,
        Some(DealRule::BrandRegion {
            brand: Brand::CentroPago,
            ..
        })
    ));
    // The decision is in the history, from the platform.
    assert!(deal
        .history
        .iter()
        .any(|e| e.by == "platform" && matches!(e.what, DealChange::Refused { .. })));
}

#[tokio::test]
async fn regional_exclusivity_refuses_a_deal_inside_its_states_and_not_across_the_border() {
    let h = start().await;
    let (holder, territory) = regional_holder(&h);
    let brand = territory.region.brand();
    let other = partner(&h, |p| p.id != holder.id && p.brands.contains(&brand));
    let inside = territory.subdivisions[0];
    let refused = register(&h, input(&other, "Contoso", inside.code(), brand)).await;
    assert_eq!(refused.status, DealStatus::Refused);
    assert_eq!(
        refused.refusal,
        Some(DealRule::ExclusiveTerritory {
            region: territory.region,
            country: territory.country,
            subdivision: Some(inside),
        })
    );
    // The refusal names the place, not whose it is.
    let told = serde_json::to_string(&refused).unwrap();
    assert!(!told.contains(&holder.name), "{told}");
    // Across the border, in the same country, the same partner registers freely.
    let across = across_the_border(&h, &territory);
    let accepted = register(&h, input(&other, "Contoso", &across, brand)).await;
    assert_eq!(accepted.status, DealStatus::Approved, "{across}");
    // The holder itself registers inside freely.
    let own = register(&h, input(&holder, "Tailspin", inside.code(), brand)).await;
    assert_eq!(own.status, DealStatus::Approved);
}

#[tokio::test]
async fn country_level_exclusivity_refuses_a_deal_anywhere_in_its_country() {
    let h = start().await;
    let t = h
        .data
        .territories
        .iter()
        .find(|t| t.exclusivity == Exclusivity::CountryLevel)
        .cloned()
        .unwrap();
    let holder = partner(&h, |p| p.id == t.partner_id);
    let brand = t.region.brand();
    let global = partner(&h, |p| {
        matches!(p.tier, Tier::Authorized | Tier::Specialist) && p.brands.contains(&brand)
    });
    let country = t.country.unwrap();
    for s in Subdivision::of(country).take(3) {
        let deal = register(&h, input(&global, "Woodgrove", s.code(), brand)).await;
        assert!(
            matches!(
                &deal.refusal,
                Some(DealRule::ExclusiveTerritory {
                    subdivision: None,
                    ..
                })
            ) && !serde_json::to_string(&deal).unwrap().contains(&holder.name),
            "{s}: {:?}",
            deal.refusal
        );
    }
}

#[tokio::test]
async fn a_deal_names_its_state_or_province_where_the_country_has_them() {
    let h = start().await;
    let p = partner(&h, |p| p.brands.contains(&Brand::RemindLedger));
    let none = DealInput {
        subdivision: None,
        ..input(&p, "Litware", "US", Brand::RemindLedger)
    };
    let deal = register(&h, none).await;
    assert_eq!(
        deal.refusal,
        Some(DealRule::SubdivisionNeeded {
            country: Country::parse("US").unwrap()
        })
    );
    let elsewhere = DealInput {
        subdivision: Subdivision::parse("CA-QC").ok(),
        ..input(&p, "Litware", "US", Brand::RemindLedger)
    };
    assert!(matches!(
        register(&h, elsewhere).await.refusal,
        Some(DealRule::SubdivisionNotInCountry { .. })
    ));
}

#[tokio::test]
async fn exclusive_territories_never_overlap_the_second_is_refused_naming_the_first() {
    let h = start().await;
    let (holder, first) = regional_holder(&h);
    let rival = partner(&h, |p| p.tier == Tier::Regional && p.id != holder.id);
    let second = Territory {
        id: program::contract::TerritoryId(Uuid::now_v7()),
        partner_id: rival.id,
        region: first.region,
        country: first.country,
        subdivisions: vec![first.subdivisions[0]],
        exclusivity: Exclusivity::Regional,
    };
    let refused = h
        .server
        .store()
        .upsert_territory(&second)
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains(&holder.name),
        "the refusal names the first holder: {refused}"
    );
    // Nothing was written: the map still has one claim on that state.
    let token = h.partner_user(Role::PartnerSales, rival.id).await;
    let claims = public_map(&h, &token).await;
    let on_it: Vec<_> = claims
        .iter()
        .filter(|c| c.subdivisions.contains(&first.subdivisions[0]))
        .map(|c| c.holder.as_str())
        .collect();
    assert_eq!(on_it, [holder.name.as_str()]);
    // A territory the tier may not hold is refused too: a Regional partner holding a country.
    let country_for_regional = Territory {
        subdivisions: Vec::new(),
        exclusivity: Exclusivity::CountryLevel,
        country: Some(Country::parse("PR").unwrap()),
        region: Region::Latam,
        ..second
    };
    assert!(h
        .server
        .store()
        .upsert_territory(&country_for_regional)
        .await
        .is_err());
}

#[tokio::test]
async fn territory_rights_follow_the_benefits_matrix() {
    let h = start().await;
    // Every exclusive claim on the public map is one the holder's tier may hold.
    let token = h
        .partner_user(Role::PartnerSales, h.data.partners.last().unwrap().id)
        .await;
    let claims = public_map(&h, &token).await;
    assert!(
        !claims.is_empty(),
        "the territory map reaches every partner"
    );
    for c in &claims {
        assert!(c.exclusivity.allowed_for(c.holder_tier), "{c:?}");
        assert!(matches!(c.holder_tier, Tier::Regional | Tier::Strategic));
    }
    // A Regional partner re-tiered to Specialist loses its claim's protection: the map follows.
    let (mut holder, territory) = regional_holder(&h);
    let today = h.server.store().today();
    holder.move_to(Tier::Specialist, Tier::Specialist.band().min, today);
    h.server.store().upsert_partner(&holder).await.unwrap();
    let brand = territory.region.brand();
    let other = partner(&h, |p| p.id != holder.id && p.brands.contains(&brand));
    let inside = territory.subdivisions[0].code();
    let deal = register(&h, input(&other, "Fabrikam", inside, brand)).await;
    assert_eq!(deal.status, DealStatus::Approved);
}

#[tokio::test]
async fn second_registration_of_the_same_prospect_is_refused() {
    let h = start().await;
    let country = free_place(&h, Region::Latam);
    let sellers = centro_pago_sellers(&h);
    let first = register(
        &h,
        DealInput {
            domain: Some("https://www.tortilleria-lupita.mx".into()),
            ..input(
                &sellers[0],
                "Tortillería Lupita, S.A. de C.V.",
                &country,
                Brand::CentroPago,
            )
        },
    )
    .await;
    assert_eq!(first.status, DealStatus::Approved);
    // Another partner, the same prospect spelled differently.
    let second = register(
        &h,
        input(
            &sellers[1],
            "TORTILLERIA LUPITA",
            &country,
            Brand::CentroPago,
        ),
    )
    .await;
    assert_eq!(second.status, DealStatus::Refused);
    // Refused by the rule alone: not whose registration it is, not when, not for what.
    assert_eq!(
        second.refusal,
        Some(DealRule::AlreadyRegistered { yours: None })
    );
    let told = serde_json::to_string(&second).unwrap();
    for secret in [sellers[0].name.clone(), sellers[0].id.to_string()] {
        assert!(!told.contains(&secret), "{secret:?} in {told}");
    }
    // By domain alone.
    let by_domain = register(
        &h,
        DealInput {
            domain: Some("tortilleria-lupita.mx".into()),
            ..input(&sellers[1], "Grupo Lupita", &country, Brand::CentroPago)
        },
    )
    .await;
    assert_eq!(by_domain.status, DealStatus::Refused);
    // Once the first is lost, the prospect is free again.
    let token = h.partner_user(Role::PartnerAdmin, sellers[0].id).await;
    let outcome = send(
        &h,
        &token,
        MutationKind::EditDeal {
            id: first.id,
            partner_id: sellers[0].id,
            edits: vec![DealEdit::Stage {
                from: DealStage::Registered,
                to: DealStage::Lost,
            }],
        },
    )
    .await;
    assert_eq!(outcome, Outcome::Applied);
    let again = register(
        &h,
        input(
            &sellers[1],
            "Tortilleria Lupita",
            &country,
            Brand::CentroPago,
        ),
    )
    .await;
    assert_eq!(again.status, DealStatus::Approved);
}

#[tokio::test]
async fn registration_expires_after_the_policy_period_unless_it_moves_stage() {
    let h = start().await;
    let country = free_place(&h, Region::EuEs);
    let p = partner(&h, |p| p.brands.contains(&Brand::Voldier));
    let idle = register(&h, input(&p, "Idle GmbH", &country, Brand::Voldier)).await;
    let moving = register(&h, input(&p, "Moving BV", &country, Brand::Voldier)).await;
    let token = h.partner_user(Role::PartnerAdmin, p.id).await;
    let store = h.server.store();
    // 89 days on: nothing expires.
    let today = chrono::Utc::now().date_naive();
    store.expire_deals(today + Days::new(89), 90).await.unwrap();
    assert_eq!(
        store.deal(idle.id).await.unwrap().unwrap().status,
        DealStatus::Approved
    );
    // The moving deal moves stage; then day 90 comes.
    let outcome = send(
        &h,
        &token,
        MutationKind::EditDeal {
            id: moving.id,
            partner_id: p.id,
            edits: vec![DealEdit::Stage {
                from: DealStage::Registered,
                to: DealStage::Qualified,
            }],
        },
    )
    .await;
    assert_eq!(outcome, Outcome::Applied);
    let mut moved = store.deal(moving.id).await.unwrap().unwrap();
    assert_eq!(moved.stage, DealStage::Qualified);
    // Its clock restarted at the move; pretend the move happened 30 days after registration.
    moved.stage_since = moved.registered_at + chrono::Duration::days(30);
    store
        .upsert(Entity::Deal, serde_json::to_value(&moved).unwrap())
        .await
        .unwrap();
    store.expire_deals(today + Days::new(90), 90).await.unwrap();
    let idle = store.deal(idle.id).await.unwrap().unwrap();
    assert_eq!(idle.status, DealStatus::Expired);
    assert_eq!(idle.refusal, Some(DealRule::Expired { days: 90 }));
    assert_eq!(
        store.deal(moving.id).await.unwrap().unwrap().status,
        DealStatus::Approved
    );
    // An expired deal can no longer change.
    let outcome = send(
        &h,
        &token,
        MutationKind::EditDeal {
            id: idle.id,
            partner_id: p.id,
            edits: vec![DealEdit::Notes {
                from: String::new(),
                to: "late".into(),
            }],
        },
    )
    .await;
    assert!(matches!(
        outcome,
        Outcome::Rejected {
            code: ProblemCode::RuleViolation,
            ..
        }
    ));
}

#[tokio::test]
async fn contested_field_keeps_the_platforms_value_and_records_the_losing_edit() {
    let h = start().await;
    let country = free_place(&h, Region::Latam);
    let p = partner(&h, |p| p.brands.contains(&Brand::CentroPago));
    let deal = register(&h, input(&p, "Dos Equipos", &country, Brand::CentroPago)).await;
    let a = h
        .server
        .create_token("Ana", Role::PartnerAdmin, &[p.id])
        .await
        .unwrap();
    let b = h
        .server
        .create_token("Beto", Role::PartnerSales, &[p.id])
        .await
        .unwrap();
    let value = |from: i64, to: i64| DealEdit::Value {
        from: Credits::whole(from),
        to: Credits::whole(to),
    };
    let edit = |edits: Vec<DealEdit>| MutationKind::EditDeal {
        id: deal.id,
        partner_id: p.id,
        edits,
    };
    assert_eq!(
        send(&h, &a, edit(vec![value(12_000, 15_000)])).await,
        Outcome::Applied
    );
    // Beto, offline, saw 12,000 too.
    let notes = DealEdit::Notes {
        from: String::new(),
        to: "CFO on board".into(),
    };
    assert_eq!(
        send(&h, &b, edit(vec![value(12_000, 9_000), notes])).await,
        Outcome::Applied
    );
    let now = h.server.store().deal(deal.id).await.unwrap().unwrap();
    assert_eq!(now.value, Credits::whole(15_000), "the first change wins");
    assert_eq!(now.notes, "CFO on board", "an uncontested field is applied");
    assert!(now.history.iter().any(|e| e.by == "Beto"
        && e.what
            == DealChange::Lost {
                field: DealField::Value,
                wanted: "9000".into(),
                kept: "15000".into(),
            }));
    // Closing is allowed; moving out of a closed stage is refused outright.
    let back = send(
        &h,
        &a,
        edit(vec![DealEdit::Stage {
            from: DealStage::Registered,
            to: DealStage::Won,
        }]),
    )
    .await;
    assert_eq!(back, Outcome::Applied);
    let reopen = send(
        &h,
        &a,
        edit(vec![DealEdit::Stage {
            from: DealStage::Won,
            to: DealStage::Proposal,
        }]),
    )
    .await;
    assert!(matches!(reopen, Outcome::Rejected { .. }));
}

#[tokio::test]
async fn a_partner_cannot_register_or_edit_deals_of_another_partner() {
    let h = start().await;
    let partners = h.partners();
    let token = h.partner_user(Role::PartnerAdmin, partners[0]).await;
    let other = partner(&h, |p| p.id == partners[1]);
    let outcome = send(
        &h,
        &token,
        MutationKind::RegisterDeal {
            deal: input(&other, "Nope", "US", Brand::RemindLedger),
        },
    )
    .await;
    assert!(matches!(
        outcome,
        Outcome::Rejected {
            code: ProblemCode::Forbidden,
            ..
        }
    ));
}

/// A customer, its partner of record, and another partner that sells the customer's brand.
fn customer_and_rival(h: &Harness) -> (program::contract::Customer, Partner, Partner) {
    h.data
        .customers
        .iter()
        .find_map(|c| {
            let rival = h
                .data
                .partners
                .iter()
                .find(|p| p.id != c.partner_id && p.brands.contains(&c.brand))?;
            let owner = partner(h, |p| p.id == c.partner_id);
            Some((c.clone(), owner, rival.clone()))
        })
        .unwrap()
}

#[tokio::test]
async fn no_poaching_a_deal_for_another_partners_customer_is_refused_naming_no_one() {
    let h = start().await;
    let (customer, owner, rival) = customer_and_rival(&h);
    let country = customer.country.code();
    // By name, however it is written.
    let by_name = input(
        &rival,
        &format!("{}, Inc.", customer.name.to_uppercase()),
        country,
        customer.brand,
    );
    let refused = register(&h, by_name).await;
    assert_eq!(refused.status, DealStatus::Refused);
    assert_eq!(
        refused.refusal,
        Some(DealRule::AlreadyCustomer { yours: false })
    );
    // What the rival sees of the decision names neither the partner of record nor its data.
    let seen = serde_json::to_string(&refused).unwrap();
    for secret in [
        owner.name.clone(),
        owner.id.to_string(),
        customer.id.to_string(),
        customer.founder.clone(),
    ] {
        assert!(!seen.contains(&secret), "{secret} leaked: {seen}");
    }
    // By web domain, under another name.
    let mut by_domain = input(&rival, "Totally Different Name", country, customer.brand);
    by_domain.domain = Some(format!("https://www.{}/", customer.domain.clone().unwrap()));
    let refused = register(&h, by_domain).await;
    assert_eq!(
        refused.refusal,
        Some(DealRule::AlreadyCustomer { yours: false })
    );
    // A new prospect is approved (or refused for another reason, never this one).
    let fresh = register(
        &h,
        input(&rival, "Zephyr Brand-New Prospect", country, customer.brand),
    )
    .await;
    assert_ne!(
        fresh.refusal,
        Some(DealRule::AlreadyCustomer { yours: false })
    );
}

#[tokio::test]
async fn no_poaching_a_deal_for_your_own_customer_is_refused_as_already_yours() {
    let h = start().await;
    let (customer, owner, _) = customer_and_rival(&h);
    let own = register(
        &h,
        input(
            &owner,
            &customer.name,
            customer.country.code(),
            customer.brand,
        ),
    )
    .await;
    assert_eq!(own.refusal, Some(DealRule::AlreadyCustomer { yours: true }));
}

#[tokio::test]
async fn no_poaching_a_customer_moved_by_migration_is_matched_under_its_new_partner() {
    // The keys follow the partner of record: after a migration, the new partner's registration
    // is "already yours" and the former partner's is another partner's customer.
    let h = start().await;
    let m = h
        .data
        .migrations
        .first()
        .cloned()
        .expect("the demo has migrations");
    let customer = h
        .data
        .customers
        .iter()
        .find(|c| c.id == m.customer_id)
        .cloned()
        .unwrap();
    assert_eq!(customer.partner_id, m.to_partner);
    let now = partner(&h, |p| p.id == m.to_partner);
    let before = partner(&h, |p| p.id == m.from_partner);
    let code = customer.country.code();
    let mine = register(&h, input(&now, &customer.name, code, customer.brand)).await;
    assert_eq!(
        mine.refusal,
        Some(DealRule::AlreadyCustomer { yours: true })
    );
    let theirs = register(&h, input(&before, &customer.name, code, customer.brand)).await;
    assert_eq!(
        theirs.refusal,
        Some(DealRule::AlreadyCustomer { yours: false })
    );
}

#[tokio::test]
async fn early_access_a_deal_for_an_early_access_product_is_refused_for_an_authorized_partner() {
    let h = start().await;
    let item = central_api::demo::catalog()
        .into_iter()
        .find(|i| i.early_access)
        .unwrap();
    let brand = item.brands[0];
    let country = free_place(&h, brand.region());
    for tier in [Tier::Authorized, Tier::Specialist] {
        let p = partner(&h, |p| p.tier == tier && p.brands.contains(&brand));
        let mut i = input(&p, &format!("Early Bird {tier:?}"), &country, brand);
        i.products = vec![item.sku.clone()];
        let deal = register(&h, i).await;
        if tier == Tier::Authorized {
            assert_eq!(
                deal.refusal,
                Some(DealRule::EarlyAccessTier {
                    sku: item.sku.clone(),
                    tier
                })
            );
        } else {
            assert_eq!(deal.status, DealStatus::Approved, "{:?}", deal.refusal);
        }
    }
}

#[tokio::test]
async fn a_deal_past_its_bounds_is_refused_and_an_edit_past_them_is_rejected() {
    let h = start().await;
    let p = partner(&h, |p| p.brands.contains(&Brand::CentroPago));
    let place = free_place(&h, Region::Latam);
    // The largest amount of credits that can be read at all, far past a deal's bound (a value
    // past it is refused as the body is read: see `mutations::a_value_past_every_bound_...`).
    let huge = Credits::MAX;
    let refused = register(
        &h,
        DealInput {
            value: huge,
            ..input(&p, "Overflow Labs", &place, Brand::CentroPago)
        },
    )
    .await;
    assert_eq!(refused.status, DealStatus::Refused);
    assert_eq!(
        refused.refusal,
        Some(DealRule::ValueTooLarge {
            max: Credits::whole(program::deals::DEAL_VALUE_MAX)
        })
    );
    let long = register(
        &h,
        DealInput {
            notes: "x".repeat(1_500_000),
            ..input(&p, "Verbose Labs", &place, Brand::CentroPago)
        },
    )
    .await;
    assert_eq!(
        long.refusal,
        Some(DealRule::TooLong {
            field: "notes".into(),
            max: program::deals::NOTES_MAX
        })
    );
    // An approved deal edited past its bounds: rejected, and the deal keeps its value.
    let deal = register(&h, input(&p, "Bounded Labs", &place, Brand::CentroPago)).await;
    assert_eq!(deal.status, DealStatus::Approved);
    let token = h.partner_user(Role::PartnerAdmin, p.id).await;
    let outcome = send(
        &h,
        &token,
        MutationKind::EditDeal {
            id: deal.id,
            partner_id: p.id,
            edits: vec![DealEdit::Value {
                from: deal.value,
                to: huge,
            }],
        },
    )
    .await;
    assert!(
        matches!(&outcome, Outcome::Rejected { reason, .. } if reason.contains("at most")),
        "{outcome:?}"
    );
    let stored = h.server.store().deal(deal.id).await.unwrap().unwrap();
    assert_eq!(stored.value, deal.value);
}

#[tokio::test]
async fn deal_products_edited_go_through_the_catalogs_rules_of_a_registration() {
    let h = start().await;
    let place = free_place(&h, Region::Latam);
    let p = partner(&h, |p| p.brands.contains(&Brand::CentroPago));
    let deal = register(&h, input(&p, "Catálogo Labs", &place, Brand::CentroPago)).await;
    let token = h
        .server
        .create_token("Ana", Role::PartnerAdmin, &[p.id])
        .await
        .unwrap();
    let products = |to: Vec<String>| MutationKind::EditDeal {
        id: deal.id,
        partner_id: p.id,
        edits: vec![DealEdit::Products {
            from: deal.products.clone(),
            to,
        }],
    };
    let own = sku_for(Brand::CentroPago);
    let elsewhere = central_api::demo::catalog()
        .into_iter()
        .find(|i| !i.brands.contains(&Brand::CentroPago))
        .unwrap()
        .sku;
    for (to, says) in [
        (vec!["NOT-A-SKU".to_string()], "not in the catalog"),
        (vec![elsewhere], "not offered under"),
        (vec![own.clone(), own.clone()], "named twice"),
    ] {
        match send(&h, &token, products(to.clone())).await {
            Outcome::Rejected { code, reason } => {
                assert_eq!(code, ProblemCode::RuleViolation, "{to:?}");
                assert!(reason.contains(says), "{to:?}: {reason}");
            }
            other => panic!("{to:?} was taken: {other:?}"),
        }
        let now = h.server.store().deal(deal.id).await.unwrap().unwrap();
        assert_eq!(now.products, deal.products, "{to:?} changed nothing");
    }
}

#[tokio::test]
async fn deal_products_edited_cannot_take_a_product_another_partner_registered_for_the_prospect() {
    let h = start().await;
    let place = free_place(&h, Region::Latam);
    let sellers = centro_pago_sellers(&h);
    let skus: Vec<String> = central_api::demo::catalog()
        .into_iter()
        .filter(|i| i.brands.contains(&Brand::CentroPago) && !i.early_access)
        .map(|i| i.sku)
        .take(3)
        .collect();
    let with = |partner: &Partner, company: &str, sku: &str| DealInput {
        products: vec![sku.to_string()],
        ..input(partner, company, &place, Brand::CentroPago)
    };
    // Two partners hold the same prospect for different products, both approved.
    let ours = register(&h, with(&sellers[0], "Doble Registro SA", &skus[0])).await;
    let theirs = register(&h, with(&sellers[1], "DOBLE REGISTRO", &skus[1])).await;
    assert_eq!(
        (ours.status, theirs.status),
        (DealStatus::Approved, DealStatus::Approved)
    );
    let token = h.partner_user(Role::PartnerAdmin, sellers[0].id).await;
    let products = |to: Vec<String>| MutationKind::EditDeal {
        id: ours.id,
        partner_id: sellers[0].id,
        edits: vec![DealEdit::Products {
            from: ours.products.clone(),
            to,
        }],
    };
    // Adding the other partner's product: refused as a registration of it would be, without
    // naming who holds it.
    match send(&h, &token, products(vec![skus[0].clone(), skus[1].clone()])).await {
        Outcome::Rejected { code, reason } => {
            assert_eq!(code, ProblemCode::RuleViolation);
            assert!(
                reason.contains("registered for this prospect already"),
                "{reason}"
            );
            assert!(!reason.contains(&sellers[1].name), "{reason}");
        }
        other => panic!("the held product was taken: {other:?}"),
    }
    let now = h.server.store().deal(ours.id).await.unwrap().unwrap();
    assert_eq!(now.products, ours.products, "nothing written");
    // A product no one holds for this prospect is added.
    let free = products(vec![skus[0].clone(), skus[2].clone()]);
    assert_eq!(send(&h, &token, free).await, Outcome::Applied);
    let now = h.server.store().deal(ours.id).await.unwrap().unwrap();
    assert_eq!(now.products, vec![skus[0].clone(), skus[2].clone()]);
}

/// Each registration tells whether a prospect is taken: one user's are paced (here one a
/// second, two at once). Past the allowance a registration is answered `retry`, recorded
/// nowhere, and goes through when sent again later; another user is not slowed.
#[tokio::test]
async fn registrations_are_paced_per_user_so_probing_for_prospects_is_slow() {
    let h = crate::common::start_with(central_api::server::Limits {
        registrations: central_api::server::Hourly::new(3_600, 2),
        ..central_api::server::Limits::default()
    })
    .await;
    let sellers = centro_pago_sellers(&h);
    let place = free_place(&h, Region::Latam);
    let prober = h.partner_user(Role::PartnerAdmin, sellers[0].id).await;
    let tries: Vec<Mutation> = ["Alfa SA", "Beta SA", "Gamma SA"]
        .into_iter()
        .map(|company| Mutation {
            id: Uuid::now_v7(),
            base_version: None,
            kind: MutationKind::RegisterDeal {
                deal: input(&sellers[0], company, &place, Brand::CentroPago),
            },
        })
        .collect();
    let results = h
        .mutate(
            &prober,
            &Uuid::now_v7().to_string(),
            &MutationBatch {
                mutations: tries.clone(),
            },
        )
        .await;
    let outcomes: Vec<&Outcome> = results.results.iter().map(|r| &r.outcome).collect();
    assert_eq!(outcomes[..2], [&Outcome::Applied, &Outcome::Applied]);
    assert!(
        matches!(outcomes[2], Outcome::Retry { reason } if reason.contains("Too many deal registrations")),
        "{:?}",
        outcomes[2]
    );
    let MutationKind::RegisterDeal { deal: third } = &tries[2].kind else {
        unreachable!()
    };
    assert_eq!(h.server.store().deal(third.id).await.unwrap(), None);

    // Another partner's user has an allowance of their own.
    let other = register(
        &h,
        input(&sellers[1], "Delta SA", &place, Brand::CentroPago),
    )
    .await;
    assert_eq!(other.status, DealStatus::Approved);

    // A second later the paced one is sent again, and decided.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let again = h
        .mutate(
            &prober,
            &Uuid::now_v7().to_string(),
            &MutationBatch {
                mutations: vec![tries[2].clone()],
            },
        )
        .await;
    assert_eq!(again.results[0].outcome, Outcome::Applied);
    assert_eq!(
        h.server
            .store()
            .deal(third.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        DealStatus::Approved
    );
}
