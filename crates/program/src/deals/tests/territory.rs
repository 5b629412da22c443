//! Territories: exclusivity by tier, the places a claim covers, overlaps, and a claim lost with
//! the tier that held it.

use super::*;

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
            logo: None,
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
