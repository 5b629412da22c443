//! Quotes on the server, the authority: it prices each one by the program's rules and keeps
//! numbers and versions straight.

use program::contract::{
    Mutation, MutationBatch, MutationKind, Outcome, Partner, ProblemCode, Role,
};
use program::quotes::{valid_until, LineInput, PricedWith, Quote, QuoteId, QuoteStatus};
use program::Lang;
use program::{Brand, Country, FxRate, Tier};
use uuid::Uuid;

use crate::common::{as_of, rule_violation, start, Harness};

pub(crate) fn quote(
    p: &Partner,
    country: &str,
    brand: Brand,
    sku: &str,
    months: Option<u32>,
) -> Quote {
    let fx = if p.currency == program::Currency::USD {
        FxRate::usd(as_of())
    } else {
        central_api::demo::fx_rates(as_of())
            .into_iter()
            .find(|r| r.currency == p.currency)
            .unwrap()
    };
    // The server's day (the harness pins it): a later day is a laptop clock set ahead.
    let today = as_of();
    Quote {
        id: QuoteId(Uuid::now_v7()),
        number: format!("Q-TEST0-2026-{:04}", rand_seq()),
        revision: 1,
        supersedes: None,
        partner_id: p.id,
        customer_id: None,
        customer: "Prospect".into(),
        country: Country::parse(country).unwrap(),
        brand,
        fx,
        lang: Lang::En,
        lines: vec![LineInput {
            sku: sku.into(),
            quantity: 1,
            months,
        }],
        status: QuoteStatus::Draft,
        created_on: today,
        valid_until: valid_until(today, 30),
        created_by: "Pat".into(),
        priced_with: None,
    }
}

fn rand_seq() -> u32 {
    Uuid::new_v4().as_u128() as u32 % 10_000
}

async fn send(h: &Harness, p: &Partner, kind: MutationKind) -> Outcome {
    let token = h.partner_user(Role::PartnerAdmin, p.id).await;
    let m = Mutation {
        id: Uuid::now_v7(),
        base_version: None,
        kind,
    };
    h.mutate(
        &token,
        &Uuid::now_v7().to_string(),
        &MutationBatch { mutations: vec![m] },
    )
    .await
    .results[0]
        .outcome
        .clone()
}

fn partner(h: &Harness, brand: Brand, tier: Tier) -> Partner {
    h.data
        .partners
        .iter()
        .find(|p| p.brands.contains(&brand) && p.tier == tier)
        .cloned()
        .unwrap()
}

#[tokio::test]
async fn quote_refuses_early_access_for_an_authorized_partner() {
    let h = start().await;
    let authorized = partner(&h, Brand::CentroPago, Tier::Authorized);
    let q = quote(&authorized, "MX", Brand::CentroPago, "SK-FORECAST", Some(3));
    let outcome = send(&h, &authorized, MutationKind::SaveQuote { quote: q }).await;
    assert!(rule_violation(&outcome).contains("early-access"));
    let specialist = partner(&h, Brand::CentroPago, Tier::Specialist);
    let q = quote(&specialist, "MX", Brand::CentroPago, "SK-FORECAST", Some(3));
    let id = q.id;
    assert_eq!(
        send(&h, &specialist, MutationKind::SaveQuote { quote: q }).await,
        Outcome::Applied
    );
    assert!(h.server.store().quote(id).await.unwrap().is_some());
}

#[tokio::test]
async fn a_quote_number_is_checked_against_its_pattern() {
    let h = start().await;
    let p = partner(&h, Brand::CentroPago, Tier::Specialist);
    let sku = h
        .data
        .catalog
        .iter()
        .find(|i| i.brands.contains(&Brand::CentroPago) && !i.early_access)
        .unwrap()
        .sku
        .clone();
    for evil in [
        "../../.bashrc",
        "/etc/passwd",
        "Q-7K3FX-2026-0042/x",
        "Q-7K3FX-2026-00\u{0}1",
    ] {
        let mut q = quote(&p, "MX", Brand::CentroPago, &sku, None);
        q.number = evil.into();
        match send(&h, &p, MutationKind::SaveQuote { quote: q.clone() }).await {
            Outcome::Rejected { code, reason } => {
                assert_eq!(code, ProblemCode::BadRequest, "{evil:?}");
                assert!(
                    reason.contains("a quote number reads"),
                    "{evil:?}: {reason}"
                );
            }
            other => panic!("{evil:?} was taken: {other:?}"),
        }
        let stored = h.server.store().quote(q.id).await.unwrap();
        assert!(stored.is_none(), "{evil:?} was stored");
    }
}

#[tokio::test]
async fn quote_refuses_voldier_outside_eu() {
    let h = start().await;
    let p = partner(&h, Brand::Voldier, Tier::Specialist);
    let q = quote(&p, "US", Brand::Voldier, "CORE-VO", Some(12));
    assert!(
        rule_violation(&send(&h, &p, MutationKind::SaveQuote { quote: q }).await)
            .contains("does not serve")
    );
}

#[tokio::test]
async fn a_quote_at_a_stale_exchange_rate_or_a_wrong_validity_is_refused() {
    let h = start().await;
    let p = h
        .data
        .partners
        .iter()
        .find(|p| p.brands.contains(&Brand::CentroPago) && p.currency != program::Currency::USD)
        .cloned()
        .unwrap();
    let mut q = quote(&p, "MX", Brand::CentroPago, "CORE-CP", Some(12));
    q.fx.per_usd += rust_decimal::Decimal::ONE;
    assert!(
        rule_violation(&send(&h, &p, MutationKind::SaveQuote { quote: q }).await)
            .contains("exchange rate")
    );
    let mut q = quote(&p, "MX", Brand::CentroPago, "CORE-CP", Some(12));
    q.valid_until = q.created_on;
    assert!(
        rule_violation(&send(&h, &p, MutationKind::SaveQuote { quote: q }).await)
            .contains("valid for 30 days")
    );
}

#[tokio::test]
async fn a_quote_priced_offline_at_a_rate_published_within_its_validity_is_taken() {
    let h = start().await;
    let p = h
        .data
        .partners
        .iter()
        .find(|p| p.brands.contains(&Brand::CentroPago) && p.currency != program::Currency::USD)
        .cloned()
        .unwrap();
    let today = as_of();
    let earlier = |days: u64, per_usd: &str| FxRate {
        currency: p.currency,
        per_usd: per_usd.parse().unwrap(),
        as_of: today - chrono::Days::new(days),
    };
    // The platform published other rates 5 and 40 days ago; the laptop priced at those.
    h.server
        .store()
        .publish_fx_rates(&[earlier(5, "3.21"), earlier(40, "3.07")])
        .await
        .unwrap();
    let mut q = quote(&p, "MX", Brand::CentroPago, "CORE-CP", Some(12));
    q.fx = earlier(5, "3.21");
    assert_eq!(
        send(&h, &p, MutationKind::SaveQuote { quote: q }).await,
        Outcome::Applied
    );
    // A rate the platform never published on that day is refused.
    let mut q = quote(&p, "MX", Brand::CentroPago, "CORE-CP", Some(12));
    q.fx = earlier(5, "3.22");
    assert!(
        rule_violation(&send(&h, &p, MutationKind::SaveQuote { quote: q }).await)
            .contains("not one the platform published")
    );
    // So is one older than a quote's validity.
    let mut q = quote(&p, "MX", Brand::CentroPago, "CORE-CP", Some(12));
    q.fx = earlier(40, "3.07");
    assert!(
        rule_violation(&send(&h, &p, MutationKind::SaveQuote { quote: q }).await)
            .contains("more than 30 days old")
    );
}

#[tokio::test]
async fn a_quote_priced_at_a_catalog_price_the_platform_no_longer_has_is_refused() {
    let h = start().await;
    let p = partner(&h, Brand::CentroPago, Tier::Specialist);
    let catalog = &h.data.catalog;
    let mut q = quote(&p, "MX", Brand::CentroPago, "CORE-CP", Some(12));
    q.priced_with = Some(PricedWith::capture(
        &q.lines,
        catalog,
        p.tier,
        p.discount_rate,
    ));
    let mut stale = q.clone();
    assert_eq!(
        send(&h, &p, MutationKind::SaveQuote { quote: q }).await,
        Outcome::Applied
    );
    stale.id = QuoteId(Uuid::now_v7());
    stale.number = format!("Q-TEST0-2026-{:04}", rand_seq());
    if let Some(with) = stale.priced_with.as_mut() {
        with.items[0].list_price = with.items[0].list_price + program::Credits::whole(1);
    }
    assert!(
        rule_violation(&send(&h, &p, MutationKind::SaveQuote { quote: stale }).await)
            .contains("CORE-CP changed since this quote was priced")
    );
}

#[tokio::test]
async fn a_number_is_used_once_and_a_sent_quote_changes_only_by_revision() {
    let h = start().await;
    let p = partner(&h, Brand::RemindLedger, Tier::Regional);
    let first = quote(&p, "US", Brand::RemindLedger, "CORE-RL", Some(12));
    assert_eq!(
        send(
            &h,
            &p,
            MutationKind::SaveQuote {
                quote: first.clone()
            }
        )
        .await,
        Outcome::Applied
    );
    // Another quote with the same number and version.
    let clash = Quote {
        id: QuoteId(Uuid::now_v7()),
        ..first.clone()
    };
    assert!(
        rule_violation(&send(&h, &p, MutationKind::SaveQuote { quote: clash }).await)
            .contains("already used")
    );
    // Sent, it cannot be rewritten; a revision is a new quote with the next version.
    let sent = MutationKind::SetQuoteStatus {
        id: first.id,
        partner_id: p.id,
        from: QuoteStatus::Draft,
        to: QuoteStatus::Sent,
    };
    assert_eq!(send(&h, &p, sent).await, Outcome::Applied);
    let mut rewrite = first.clone();
    rewrite.customer = "Someone else".into();
    assert!(
        rule_violation(&send(&h, &p, MutationKind::SaveQuote { quote: rewrite }).await)
            .contains("revise")
    );
    let revision = Quote {
        id: QuoteId(Uuid::now_v7()),
        revision: 2,
        supersedes: Some(first.id),
        ..first.clone()
    };
    assert_eq!(
        send(&h, &p, MutationKind::SaveQuote { quote: revision }).await,
        Outcome::Applied
    );
    // Forward only.
    let back = MutationKind::SetQuoteStatus {
        id: first.id,
        partner_id: p.id,
        from: QuoteStatus::Sent,
        to: QuoteStatus::Draft,
    };
    assert!(rule_violation(&send(&h, &p, back).await).contains("cannot become"));
    let kept = h.server.store().quote(first.id).await.unwrap().unwrap();
    assert_eq!(kept.status, QuoteStatus::Sent);
    assert_eq!(kept.customer, "Prospect");
}

#[tokio::test]
async fn a_sent_quote_expires_after_its_last_valid_day_and_a_draft_does_not() {
    let h = start().await;
    let p = partner(&h, Brand::RemindLedger, Tier::Regional);
    let sent = quote(&p, "US", Brand::RemindLedger, "CORE-RL", Some(12));
    let draft = quote(&p, "US", Brand::RemindLedger, "CORE-RL", Some(6));
    for q in [&sent, &draft] {
        assert_eq!(
            send(&h, &p, MutationKind::SaveQuote { quote: q.clone() }).await,
            Outcome::Applied
        );
    }
    let to_sent = MutationKind::SetQuoteStatus {
        id: sent.id,
        partner_id: p.id,
        from: QuoteStatus::Draft,
        to: QuoteStatus::Sent,
    };
    assert_eq!(send(&h, &p, to_sent).await, Outcome::Applied);
    let store = h.server.store();
    // On its last valid day the customer can still accept it.
    assert_eq!(store.expire_quotes(sent.valid_until).await.unwrap(), 0);
    let next_day = sent.valid_until + chrono::Days::new(1);
    assert_eq!(store.expire_quotes(next_day).await.unwrap(), 1);
    let expired = store.quote(sent.id).await.unwrap().unwrap();
    assert_eq!(expired.status, QuoteStatus::Expired);
    assert_eq!(expired.lines, sent.lines);
    assert_eq!(
        store.quote(draft.id).await.unwrap().unwrap().status,
        QuoteStatus::Draft
    );
    // Too late to accept: the platform refuses it with the reason.
    let accept = MutationKind::SetQuoteStatus {
        id: sent.id,
        partner_id: p.id,
        from: QuoteStatus::Sent,
        to: QuoteStatus::Accepted,
    };
    assert!(!rule_violation(&send(&h, &p, accept).await).is_empty());
}

#[tokio::test]
async fn a_quote_priced_with_terms_the_partner_no_longer_has_is_refused() {
    let h = start().await;
    let p = partner(&h, Brand::CentroPago, Tier::Specialist);
    let mut q = quote(&p, "MX", Brand::CentroPago, "CORE-CP", Some(12));
    // Priced when the partner had another rate (still in its band).
    let other_rate = if p.discount_rate == Tier::Specialist.band().min {
        Tier::Specialist.band().max
    } else {
        Tier::Specialist.band().min
    };
    q.priced_with = Some(PricedWith::capture(
        &q.lines,
        &h.data.catalog,
        p.tier,
        other_rate,
    ));
    assert!(
        rule_violation(&send(&h, &p, MutationKind::SaveQuote { quote: q }).await)
            .contains("tier or discount rate changed")
    );
    // Priced with an item list that is not its lines'.
    let mut q = quote(&p, "MX", Brand::CentroPago, "CORE-CP", Some(12));
    q.priced_with = Some(PricedWith::capture(
        &[LineInput {
            sku: "ONBOARD".into(),
            quantity: 1,
            months: None,
        }],
        &h.data.catalog,
        p.tier,
        p.discount_rate,
    ));
    assert!(
        rule_violation(&send(&h, &p, MutationKind::SaveQuote { quote: q }).await)
            .contains("changed since this quote was priced")
    );
}

#[tokio::test]
async fn a_quote_past_its_last_valid_day_cannot_be_sent() {
    let h = start().await;
    let p = partner(&h, Brand::RemindLedger, Tier::Regional);
    let mut q = quote(&p, "US", Brand::RemindLedger, "CORE-RL", Some(12));
    q.created_on = as_of() - chrono::Days::new(40);
    q.valid_until = valid_until(q.created_on, 30);
    assert_eq!(
        send(&h, &p, MutationKind::SaveQuote { quote: q.clone() }).await,
        Outcome::Applied
    );
    let to_sent = MutationKind::SetQuoteStatus {
        id: q.id,
        partner_id: p.id,
        from: QuoteStatus::Draft,
        to: QuoteStatus::Sent,
    };
    assert!(rule_violation(&send(&h, &p, to_sent).await).contains("was valid until"));
    assert_eq!(
        h.server.store().quote(q.id).await.unwrap().unwrap().status,
        QuoteStatus::Draft
    );
}

#[tokio::test]
async fn no_poaching_a_quote_names_only_the_partners_own_customer_or_a_new_prospect() {
    let h = start().await;
    // A customer, and another partner selling its brand.
    let (customer, other) = h
        .data
        .customers
        .iter()
        .find_map(|c| {
            let other = h
                .data
                .partners
                .iter()
                .find(|p| p.id != c.partner_id && p.brands.contains(&c.brand))?;
            Some((c.clone(), other.clone()))
        })
        .unwrap();
    let owner = h
        .data
        .partners
        .iter()
        .find(|p| p.id == customer.partner_id)
        .cloned()
        .unwrap();
    let sku = central_api::demo::catalog()
        .into_iter()
        .find(|i| i.brands.contains(&customer.brand) && !i.early_access)
        .unwrap();
    let months = (sku.billing == program::contract::Billing::Monthly).then_some(1);
    let country = customer.country.code();
    let for_customer = |p: &Partner, by_id: bool, name: &str| {
        let mut q = quote(p, country, customer.brand, &sku.sku, months);
        q.customer_id = by_id.then_some(customer.id);
        q.customer = name.into();
        q
    };

    // Another partner's customer, by id or by name (however it is written), is refused.
    let outcome = send(
        &h,
        &other,
        MutationKind::SaveQuote {
            quote: for_customer(&other, true, &customer.name),
        },
    )
    .await;
    assert!(
        rule_violation(&outcome).contains("not one this partner serves"),
        "{outcome:?}"
    );
    let shouted = format!("  {}, S.A. ", customer.name.to_uppercase());
    let outcome = send(
        &h,
        &other,
        MutationKind::SaveQuote {
            quote: for_customer(&other, false, &shouted),
        },
    )
    .await;
    let why = rule_violation(&outcome);
    assert!(why.contains("already a customer of a partner"), "{why}");
    // The reason names neither the partner of record nor anything of its data.
    assert!(!why.contains(&owner.name) && !why.contains(&owner.id.to_string()));

    // Its own partner quotes it, by id; anyone quotes a new prospect.
    let mine = for_customer(&owner, true, &customer.name);
    let mine_id = mine.id;
    assert_eq!(
        send(&h, &owner, MutationKind::SaveQuote { quote: mine }).await,
        Outcome::Applied
    );
    assert!(h.server.store().quote(mine_id).await.unwrap().is_some());
    let fresh = for_customer(&other, false, "Zephyr Brand-New Prospect");
    assert_eq!(
        send(&h, &other, MutationKind::SaveQuote { quote: fresh }).await,
        Outcome::Applied
    );
}

#[tokio::test]
async fn bounded_values_a_customer_name_past_its_bound_is_refused_and_nothing_is_stored() {
    let h = start().await;
    let p = partner(&h, Brand::CentroPago, Tier::Specialist);
    let mut q = quote(&p, "MX", Brand::CentroPago, "CORE-CP", Some(12));
    q.customer = "x".repeat(program::quotes::CUSTOMER_MAX as usize + 1);
    match send(&h, &p, MutationKind::SaveQuote { quote: q.clone() }).await {
        Outcome::Rejected { code, reason } => {
            assert_eq!(code, ProblemCode::BadRequest);
            assert!(reason.contains("customer"), "{reason}");
        }
        other => panic!("a long customer name was taken: {other:?}"),
    }
    assert!(h.server.store().quote(q.id).await.unwrap().is_none());
}

#[tokio::test]
async fn the_server_sets_a_quotes_author_and_dates_a_quote_from_a_clock_set_ahead_today() {
    let h = start().await;
    let p = partner(&h, Brand::CentroPago, Tier::Specialist);
    let today = as_of();
    // Another name than the token's user (pat), and a laptop clock 40 days ahead.
    let mut q = quote(&p, "MX", Brand::CentroPago, "CORE-CP", Some(12));
    q.created_by = "Mallory".into();
    q.created_on = today + chrono::Days::new(40);
    q.valid_until = valid_until(q.created_on, 30);
    assert_eq!(
        send(&h, &p, MutationKind::SaveQuote { quote: q.clone() }).await,
        Outcome::Applied
    );
    let stored = h.server.store().quote(q.id).await.unwrap().unwrap();
    assert_eq!(stored.created_by, "pat");
    assert_eq!(
        (stored.created_on, stored.valid_until),
        (today, valid_until(today, 30))
    );
    // A quote made offline days ago keeps its day: the laptop knows when it was made.
    let mut q = quote(&p, "MX", Brand::CentroPago, "CORE-CP", Some(12));
    q.created_on = today - chrono::Days::new(3);
    q.valid_until = valid_until(q.created_on, 30);
    assert_eq!(
        send(&h, &p, MutationKind::SaveQuote { quote: q.clone() }).await,
        Outcome::Applied
    );
    let stored = h.server.store().quote(q.id).await.unwrap().unwrap();
    assert_eq!(stored.created_on, q.created_on);
    // Sent again as the laptop has it, the same quote applies as before (nothing new).
    let head = h.server.store().head().await.unwrap();
    let mut again = q.clone();
    again.created_by = "someone else".into();
    assert_eq!(
        send(&h, &p, MutationKind::SaveQuote { quote: again }).await,
        Outcome::Applied
    );
    assert_eq!(h.server.store().head().await.unwrap(), head);
}

/// JSON Schema, and so the OpenAPI document, counts `2.0` as the integer 2: a quote whose
/// revision, quantity and months are written so, and a change whose base version is, are taken
/// as the whole numbers they are. `1.5` is still refused.
#[tokio::test]
async fn whole_numbers_written_with_a_fraction_of_zero_are_integers() {
    let h = start().await;
    let p = partner(&h, Brand::CentroPago, Tier::Specialist);
    let token = h.partner_user(Role::PartnerAdmin, p.id).await;
    let sku = "SK-FORECAST";
    let send = |quantity: serde_json::Value| {
        let q = quote(&p, "MX", Brand::CentroPago, sku, Some(3));
        let id = q.id;
        let mut m = serde_json::to_value(Mutation {
            id: Uuid::now_v7(),
            base_version: None,
            kind: MutationKind::SaveQuote { quote: q },
        })
        .unwrap();
        m["base_version"] = serde_json::json!(0.0);
        let q = &mut m["input"]["quote"];
        q["revision"] = serde_json::json!(1.0);
        q["lines"][0]["quantity"] = quantity;
        q["lines"][0]["months"] = serde_json::json!(3.0);
        let body = serde_json::to_vec(&serde_json::json!({ "mutations": [m] })).unwrap();
        let (h, token) = (&h, &token);
        async move {
            let response = h.post_json(token, body).await;
            (id, response.status(), response.text().await.unwrap())
        }
    };
    let (id, status, text) = send(serde_json::json!(2.0)).await;
    assert_eq!(status, 200, "{text}");
    let results: program::contract::MutationResults = serde_json::from_str(&text).unwrap();
    assert_eq!(results.results[0].outcome, Outcome::Applied, "{text}");
    let stored = h.server.store().quote(id).await.unwrap().unwrap();
    assert_eq!(stored.revision, 1);
    assert_eq!(
        (stored.lines[0].quantity, stored.lines[0].months),
        (2, Some(3))
    );

    // The batch is read; the mutation alone is refused, and says why.
    let (id, status, text) = send(serde_json::json!(1.5)).await;
    assert_eq!(status, 200, "{text}");
    let results: program::contract::MutationResults = serde_json::from_str(&text).unwrap();
    match &results.results[0].outcome {
        Outcome::Rejected { reason, .. } => assert!(reason.contains("whole number"), "{reason}"),
        other => panic!("1.5 was taken: {other:?}"),
    }
    assert!(h.server.store().quote(id).await.unwrap().is_none());
}
