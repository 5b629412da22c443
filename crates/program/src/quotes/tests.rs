use super::*;
use proptest::prelude::*;

fn item(sku: &str, price: i64, billing: Billing, brands: &[Brand], ea: bool) -> CatalogItem {
    CatalogItem {
        sku: sku.into(),
        name: sku.into(),
        kind: if billing == Billing::Monthly {
            CatalogKind::Skill
        } else {
            CatalogKind::CoreBundle
        },
        list_price: Credits::from_minor(price),
        billing,
        brands: brands.to_vec(),
        early_access: ea,
    }
}

fn catalog() -> Vec<CatalogItem> {
    vec![
        item("CORE", 120_000, Billing::OneOff, &Brand::ALL, false),
        item("SKILL", 1_999, Billing::Monthly, &Brand::ALL, false),
        item("BETA", 4_950, Billing::Monthly, &Brand::ALL, true),
        item("EU-ONLY", 10_000, Billing::OneOff, &[Brand::Voldier], false),
        CatalogItem {
            kind: CatalogKind::Pack,
            ..item("PACK", 2_500, Billing::OneOff, &Brand::ALL, false)
        },
    ]
}

fn fx(currency: Currency, per_usd: &str) -> FxRate {
    FxRate {
        currency,
        per_usd: per_usd.parse().unwrap(),
        as_of: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
    }
}

fn line(sku: &str, quantity: u32, months: Option<u32>) -> LineInput {
    LineInput {
        sku: sku.into(),
        quantity,
        months,
    }
}

fn quote(
    tier: Tier,
    rate: &str,
    country: &str,
    brand: Brand,
    lines: &[LineInput],
) -> Result<PricedQuote, QuoteRule> {
    let partner_fx = fx(Currency::MXN, "17.25");
    let customer_fx = fx(Currency::MXN, "17.25");
    let seller = Seller {
        tier,
        rate: rate.parse().unwrap(),
        brands: &Brand::ALL,
        fx: &partner_fx,
        balance: Credits::whole(1_000),
    };
    let request = Request {
        country: Country::parse(country).unwrap(),
        brand,
        fx: &customer_fx,
        lines,
    };
    price(&seller, &request, &catalog())
}

/// The pricing rules, one row each: (tier, rate, country, brand, lines, expected rule or Ok).
#[test]
fn quote_rules_table() {
    use QuoteRule::*;
    let ok = |_: &PricedQuote| true;
    type Case = (
        Tier,
        &'static str,
        &'static str,
        Brand,
        Vec<LineInput>,
        Option<QuoteRule>,
    );
    let cases: Vec<Case> = vec![
        (
            Tier::Authorized,
            "0.12",
            "MX",
            Brand::CentroPago,
            vec![line("CORE", 1, None)],
            None,
        ),
        (
            Tier::Authorized,
            "0.12",
            "MX",
            Brand::CentroPago,
            vec![],
            Some(NoLines),
        ),
        (
            Tier::Authorized,
            "0.12",
            "ES",
            Brand::CentroPago,
            vec![line("CORE", 1, None)],
            Some(BrandRegion {
                brand: Brand::CentroPago,
                country: Country::parse("ES").unwrap(),
            }),
        ),
        // Early access: Specialist and above only.
        (
            Tier::Authorized,
            "0.12",
            "MX",
            Brand::CentroPago,
            vec![line("BETA", 1, Some(12))],
            Some(EarlyAccessTier {
                sku: "BETA".into(),
                tier: Tier::Authorized,
            }),
        ),
        (
            Tier::Specialist,
            "0.22",
            "MX",
            Brand::CentroPago,
            vec![line("BETA", 1, Some(12))],
            None,
        ),
        (
            Tier::Strategic,
            "0.42",
            "MX",
            Brand::CentroPago,
            vec![line("BETA", 1, Some(12))],
            None,
        ),
        // The rate must lie in the band.
        (
            Tier::Specialist,
            "0.12",
            "MX",
            Brand::CentroPago,
            vec![line("CORE", 1, None)],
            Some(RateOutsideBand {
                tier: Tier::Specialist,
            }),
        ),
        (
            Tier::Authorized,
            "0.12",
            "MX",
            Brand::CentroPago,
            vec![line("EU-ONLY", 1, None)],
            Some(ItemNotInBrand {
                sku: "EU-ONLY".into(),
                brand: Brand::CentroPago,
            }),
        ),
        (
            Tier::Authorized,
            "0.12",
            "MX",
            Brand::CentroPago,
            vec![line("NOPE", 1, None)],
            Some(UnknownItem { sku: "NOPE".into() }),
        ),
        (
            Tier::Authorized,
            "0.12",
            "MX",
            Brand::CentroPago,
            vec![line("SKILL", 1, None)],
            Some(MonthsRequired { line: 1 }),
        ),
        (
            Tier::Authorized,
            "0.12",
            "MX",
            Brand::CentroPago,
            vec![line("CORE", 1, Some(3))],
            Some(MonthsNotAllowed { line: 1 }),
        ),
        (
            Tier::Authorized,
            "0.12",
            "MX",
            Brand::CentroPago,
            vec![line("CORE", 0, None)],
            Some(BadQuantity {
                line: 1,
                max: MAX_QUANTITY,
            }),
        ),
        (
            Tier::Authorized,
            "0.12",
            "MX",
            Brand::CentroPago,
            vec![line("CORE", 1, None); MAX_LINES + 1],
            Some(TooManyLines {
                max: MAX_LINES as u32,
            }),
        ),
    ];
    for (tier, rate, country, brand, lines, expected) in cases {
        let got = quote(tier, rate, country, brand, &lines);
        match expected {
            None => assert!(
                got.as_ref().is_ok_and(ok),
                "{tier} {country} {lines:?}: {got:?}"
            ),
            Some(rule) => assert_eq!(got, Err(rule), "{tier} {country} {lines:?}"),
        }
    }
}

#[test]
fn partner_pricing_applies_to_skills_and_packs_for_every_tier() {
    for tier in Tier::ALL {
        let rate = tier.band().min;
        let q = quote(
            tier,
            &rate.to_string(),
            "MX",
            Brand::CentroPago,
            &[line("SKILL", 2, Some(6))],
        )
        .unwrap();
        // 19.99 × 2 × 6 = 239.88 credits; the partner pays (1 − rate) of their value.
        assert_eq!(q.credits, Credits::from_minor(23_988));
        let expected = Currency::MXN
            .round(Decimal::new(23_988, 2) * (Decimal::ONE - rate) * Decimal::new(1725, 2));
        assert_eq!(q.partner_cost, expected, "{tier}");
        assert_eq!(q.margin, q.list_value - q.partner_cost);
        // A pack: 25.00 × 3 = 75.00 credits, at the same partner rate.
        let q = quote(
            tier,
            &rate.to_string(),
            "MX",
            Brand::CentroPago,
            &[line("PACK", 3, None)],
        )
        .unwrap();
        assert_eq!(q.lines[0].kind, CatalogKind::Pack);
        let expected = Currency::MXN
            .round(Decimal::new(7_500, 2) * (Decimal::ONE - rate) * Decimal::new(1725, 2));
        assert_eq!(q.partner_cost, expected, "{tier}");
    }
}

#[test]
fn each_line_is_rounded_once_and_the_total_is_the_sum_of_the_lines() {
    // 19.99 credits × 17.25 = 344.8275 MXN → 344.83 per line; three such lines print 1,034.49,
    // not the 1,034.48 that rounding the exact total would give.
    let q = quote(
        Tier::Authorized,
        "0.12",
        "MX",
        Brand::CentroPago,
        &[
            line("SKILL", 1, Some(1)),
            line("SKILL", 1, Some(1)),
            line("SKILL", 1, Some(1)),
        ],
    )
    .unwrap();
    assert!(q.lines.iter().all(|l| l.amount == Decimal::new(34_483, 2)));
    assert_eq!(q.total, Decimal::new(103_449, 2));
}

#[test]
fn balance_check_and_top_up() {
    // 1,200 credits needed, 1,000 held: 200 to buy, at the partner's rate.
    let q = quote(
        Tier::Authorized,
        "0.12",
        "MX",
        Brand::CentroPago,
        &[line("CORE", 1, None)],
    )
    .unwrap();
    assert!(!q.covered);
    assert_eq!(q.top_up, Credits::whole(200));
    assert_eq!(
        q.top_up_cost,
        Currency::MXN.round(Decimal::from(200) * Decimal::new(88, 2) * Decimal::new(1725, 2))
    );
}

#[test]
fn quote_lifecycle_moves_forward_only() {
    use QuoteStatus::*;
    assert!(Draft.may_move_to(Sent));
    assert!(Sent.may_move_to(Accepted) && Sent.may_move_to(Declined) && Sent.may_move_to(Expired));
    assert!(!Draft.may_move_to(Accepted));
    assert!(!Accepted.may_move_to(Sent));
    assert!(!Declined.may_move_to(Accepted));
}

#[test]
fn quote_numbers_are_checked_against_their_pattern() {
    for good in [
        "Q-7K3FX-2026-0042",
        "Q-TEST0-2026-12345",
        &quote_number("ZZZZZ", 2027, 1),
    ] {
        assert_eq!(check_quote_number(good), Ok(()), "{good}");
    }
    for bad in [
        "../../.bashrc",
        "Q-7K3FX-2026-0042/../../x",
        "/etc/passwd",
        "Q-7K3FX-2026-00\0",
        "Q-7K3FX-2026-0042\0",
        "Q-7K3FX-2026-0042.pdf",
        "Q-7k3fx-2026-0042",
        "Q-7K3FI-2026-0042",
        "Q-7K3FX-26-0042",
        "Q-7K3FX-2026-42",
        "Q-7K3FX-2026-0042-1",
        "CON",
        "",
        " Q-7K3FX-2026-0042",
    ] {
        assert!(check_quote_number(bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        check_quote_number("../x").unwrap_err().to_string(),
        "a quote number reads Q-<device>-<year>-<sequence>, such as Q-7K3FX-2026-0042; \"../x\" does not"
    );
}

#[test]
fn quote_numbers_read_well_and_carry_the_device() {
    assert_eq!(device_code(0), "00000");
    assert_eq!(device_code(u32::MAX).len(), 5);
    assert_eq!(quote_number("7K3FX", 2026, 42), "Q-7K3FX-2026-0042");
    assert_eq!(
        valid_until(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(), 30),
        NaiveDate::from_ymd_opt(2026, 12, 24).unwrap()
    );
}

proptest! {
    #[test]
    fn totals_equal_the_sum_of_lines_and_no_amount_is_a_float(
        lines in proptest::collection::vec((0usize..3, 1u32..50, 1u32..36), 1..60),
        per_usd in 1u32..5_000_000u32,
        clp in any::<bool>(),
    ) {
        let skus = ["CORE", "SKILL", "BETA"];
        let inputs: Vec<LineInput> = lines
            .iter()
            .map(|(i, q, m)| line(skus[*i], *q, (skus[*i] != "CORE").then_some(*m)))
            .collect();
        let currency = if clp { Currency::CLP } else { Currency::EUR };
        let customer_fx = FxRate { currency, per_usd: Decimal::new(per_usd as i64, 4), as_of: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap() };
        let partner_fx = fx(Currency::USD, "1");
        let seller = Seller { tier: Tier::Specialist, rate: Decimal::new(22, 2), brands: &Brand::ALL, fx: &partner_fx, balance: Credits::ZERO };
        let request = Request { country: Country::parse("ES").unwrap(), brand: Brand::Voldier, fx: &customer_fx, lines: &inputs };
        let q = price(&seller, &request, &catalog()).unwrap();
        let sum: Decimal = q.lines.iter().map(|l| l.amount).sum();
        prop_assert_eq!(q.total, sum);
        prop_assert_eq!(q.credits, q.lines.iter().fold(Credits::ZERO, |s, l| s + l.credits));
        for l in &q.lines {
            prop_assert_eq!(l.amount, currency.round(l.amount));
            // Every printed line multiplies out: unit price × quantity (× months).
            prop_assert_eq!(l.unit_price, currency.round(l.unit_price));
            let factor = Decimal::from(l.quantity) * Decimal::from(l.months.unwrap_or(1));
            prop_assert_eq!(l.amount, l.unit_price * factor);
        }
        // On the wire every amount is a decimal string, never a JSON number with a fraction.
        let json = serde_json::to_value(&q).unwrap();
        fn no_floats(v: &serde_json::Value) -> bool {
            match v {
                serde_json::Value::Number(n) => n.is_u64() || n.is_i64(),
                serde_json::Value::Array(a) => a.iter().all(no_floats),
                serde_json::Value::Object(o) => o.values().all(no_floats),
                _ => true,
            }
        }
        prop_assert!(no_floats(&json));
    }
}

#[test]
fn no_poaching_a_quote_names_only_your_own_customer_or_a_new_prospect() {
    use crate::deals::{KnownCustomer, Prospect};
    use crate::entities::{CustomerId, PartnerId};
    let me = PartnerId(uuid::Uuid::from_u128(1));
    let other = PartnerId(uuid::Uuid::from_u128(2));
    let known = |id: u128, partner: PartnerId, name: &str| KnownCustomer {
        id: CustomerId(uuid::Uuid::from_u128(id)),
        partner_id: partner,
        prospect: Prospect::new(name, None),
    };
    let customers = [known(10, me, "Mine SA"), known(20, other, "Theirs SA")];
    let mine = Some(CustomerId(uuid::Uuid::from_u128(10)));
    let theirs = Some(CustomerId(uuid::Uuid::from_u128(20)));
    let unknown = Some(CustomerId(uuid::Uuid::from_u128(30)));
    assert_eq!(check_customer(me, mine, "Mine SA", &customers), Ok(()));
    assert_eq!(
        check_customer(me, theirs, "Theirs SA", &customers),
        Err(QuoteRule::NotYourCustomer)
    );
    assert_eq!(
        check_customer(me, unknown, "Anyone", &customers),
        Err(QuoteRule::NotYourCustomer)
    );
    // A prospect by name: new, or the partner's own, but never another partner's customer.
    assert_eq!(check_customer(me, None, "Brand New Co", &customers), Ok(()));
    assert_eq!(check_customer(me, None, "mine", &customers), Ok(()));
    assert_eq!(
        check_customer(me, None, "THEIRS, S.A.", &customers),
        Err(QuoteRule::AnotherPartnersCustomer)
    );
}

#[test]
fn bounded_values_a_quote_past_what_the_program_counts_is_refused_not_a_panic() {
    // A catalog price at the largest amount the program reads, times the largest quantity.
    let catalog = vec![CatalogItem {
        list_price: Credits::MAX,
        ..item("HUGE", 0, Billing::OneOff, &Brand::ALL, false)
    }];
    let partner_fx = fx(Currency::MXN, "17.25");
    let seller = Seller {
        tier: Tier::Authorized,
        rate: "0.12".parse().unwrap(),
        brands: &Brand::ALL,
        fx: &partner_fx,
        balance: Credits::whole(1_000),
    };
    let priced = |lines: &[LineInput], customer_fx: &FxRate| {
        price(
            &seller,
            &Request {
                country: Country::parse("MX").unwrap(),
                brand: Brand::CentroPago,
                fx: customer_fx,
                lines,
            },
            &catalog,
        )
    };
    let mxn = fx(Currency::MXN, "17.25");
    assert_eq!(
        priced(&[line("HUGE", MAX_QUANTITY, None)], &mxn),
        Err(QuoteRule::TooLarge { line: 1 })
    );
    // One line at the bound fits; its price at an exchange rate past any currency's does not.
    assert!(priced(&[line("HUGE", 1, None)], &mxn).is_ok());
    let hostile = fx(Currency::MXN, "79228162514264337593543950335");
    assert_eq!(
        priced(&[line("HUGE", 1, None)], &hostile),
        Err(QuoteRule::TooLarge { line: 1 })
    );
    // Two lines at the bound: each fits, their total does not.
    assert_eq!(
        priced(&[line("HUGE", 1, None), line("HUGE", 1, None)], &mxn),
        Err(QuoteRule::TooLarge { line: 0 })
    );
}
