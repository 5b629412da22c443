//! The write path: the server decides, each mutation id applies at most once, and a repeated
//! Idempotency-Key gets the stored answer.

use central_api::demo::fx_rates;
use program::contract::{
    Entity, LedgerEntry, LedgerKind, Mutation, MutationBatch, MutationKind, Outcome, PartnerId,
    ProblemCode, Role,
};
use program::{fiat_for_credits, Credits};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::common::{as_of, problem, rule_violation, start};

const JSON: &str = "application/json";

fn purchase(partner_id: PartnerId, credits: Credits) -> Mutation {
    Mutation {
        id: Uuid::now_v7(),
        base_version: None,
        kind: MutationKind::PurchaseCredits {
            partner_id,
            credits,
            price: None,
        },
    }
}

fn batch(mutations: &[Mutation]) -> MutationBatch {
    MutationBatch {
        mutations: mutations.to_vec(),
    }
}

fn rejected_code(outcome: &Outcome) -> ProblemCode {
    match outcome {
        Outcome::Rejected { code, reason } => {
            assert!(!reason.is_empty());
            *code
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn a_purchase_appends_a_ledger_line_priced_at_the_partners_rate() {
    let h = start().await;
    let partner = h
        .data
        .partners
        .iter()
        .find(|p| p.currency != program::Currency::USD)
        .unwrap();
    let token = h.partner_user(Role::PartnerAdmin, partner.id).await;
    let head = h.server.store().head().await.unwrap();
    let m = purchase(partner.id, Credits::new(Decimal::new(250050, 2)).unwrap());
    let results = h
        .mutate(&token, "k1", &batch(std::slice::from_ref(&m)))
        .await;
    assert_eq!(results.results.len(), 1);
    assert_eq!(results.results[0].id, m.id);
    assert_eq!(results.results[0].outcome, Outcome::Applied);

    let page = h.page(&token, head, 100).await;
    assert_eq!(page.changes.len(), 1);
    assert_eq!(page.changes[0].entity, Entity::LedgerEntry);
    let line: LedgerEntry = serde_json::from_value(page.changes[0].data.clone().unwrap()).unwrap();
    assert_eq!(line.id.0, m.id, "the ledger line carries the mutation's id");
    assert_eq!(line.kind, LedgerKind::Purchase);
    assert_eq!(line.credits.minor(), Ok(250_050));
    let rate = partner.discount().unwrap();
    let fx = fx_rates(as_of())
        .into_iter()
        .find(|r| r.currency == partner.currency)
        .unwrap();
    assert_eq!(
        line.fiat,
        Some(fiat_for_credits(line.credits, rate, &fx).unwrap())
    );
    assert_eq!(line.rate, Some(rate.fraction()));
    assert_eq!(page.trailer.checksums.len(), 1);
    assert_eq!(
        page.trailer.checksums[0].balance,
        h.server.store().balances().await.unwrap()[&partner.id]
    );
}

#[tokio::test]
async fn the_same_batch_twice_with_one_idempotency_key_applies_once() {
    let h = start().await;
    let partner = h.data.partners[2].id;
    let token = h.manager().await;
    let before = h.server.store().balances().await.unwrap()[&partner];
    let b = batch(&[
        purchase(partner, Credits::whole(100)),
        purchase(partner, Credits::whole(-1)),
    ]);
    let first = h.mutate(&token, "batch-1", &b).await;
    let head = h.server.store().head().await.unwrap();
    let second = h.mutate(&token, "batch-1", &b).await;
    assert_eq!(first, second);
    assert_eq!(h.server.store().head().await.unwrap(), head, "nothing new");
    assert_eq!(
        h.server.store().balances().await.unwrap()[&partner],
        before + Credits::whole(100)
    );
}

#[tokio::test]
async fn a_mutation_id_applies_at_most_once() {
    let h = start().await;
    let partner = h.data.partners[0].id;
    let token = h.manager().await;
    let before = h.server.store().balances().await.unwrap()[&partner];
    let m = purchase(partner, Credits::whole(40));
    let first = h
        .mutate(&token, "a", &batch(std::slice::from_ref(&m)))
        .await;
    // Resent in a new batch with a new key, twice in it.
    let again = h.mutate(&token, "b", &batch(&[m.clone(), m.clone()])).await;
    assert_eq!(first.results[0].outcome, Outcome::Applied);
    assert!(again
        .results
        .iter()
        .all(|r| r.outcome == Outcome::Applied && r.id == m.id));
    assert_eq!(
        h.server.store().balances().await.unwrap()[&partner],
        before + Credits::whole(40)
    );
}

#[tokio::test]
async fn a_rejected_mutation_does_not_block_the_next() {
    let h = start().await;
    let partner = h.data.partners[1].id;
    let token = h.manager().await;
    let before = h.server.store().balances().await.unwrap()[&partner];
    let b = batch(&[
        purchase(partner, Credits::ZERO),
        purchase(partner, Credits::whole(2_000_000)),
        purchase(partner, Credits::whole(75)),
    ]);
    let results = h.mutate(&token, "mixed", &b).await.results;
    assert_eq!(
        results.iter().map(|r| r.id).collect::<Vec<_>>(),
        b.mutations.iter().map(|m| m.id).collect::<Vec<_>>(),
        "results in the batch's order"
    );
    for r in &results[..2] {
        assert_eq!(rejected_code(&r.outcome), ProblemCode::RuleViolation);
    }
    assert_eq!(results[2].outcome, Outcome::Applied);
    assert_eq!(
        h.server.store().balances().await.unwrap()[&partner],
        before + Credits::whole(75)
    );
}

#[tokio::test]
async fn credits_with_more_than_two_decimals_are_rejected() {
    let h = start().await;
    let partner = h.data.partners[1].id;
    let token = h.manager().await;
    // Sent as raw JSON: the typed Credits refuses to hold such an amount.
    let body = serde_json::json!({"mutations": [{
        "id": Uuid::now_v7(), "kind": "purchase_credits",
        "input": {"partner_id": partner, "credits": "10.005"}
    }]});
    let response = h
        .post_raw(&token, "precise", Some(JSON), body.to_string())
        .await;
    let results: program::contract::MutationResults = response.json().await.unwrap();
    assert_eq!(
        rejected_code(&results.results[0].outcome),
        ProblemCode::RuleViolation
    );
}

#[tokio::test]
async fn bounded_values_a_value_past_every_bound_is_rejected_alone_and_nothing_of_it_is_written() {
    let h = start().await;
    let partner = h.data.partners[1].id;
    let token = h.manager().await;
    let head = h.server.store().head().await.unwrap();
    // Decimal's largest value, then a purchase the program allows, in one batch of raw JSON (the
    // typed Credits cannot hold the first).
    let (hostile, fine) = (Uuid::now_v7(), Uuid::now_v7());
    let body = serde_json::json!({"mutations": [
        {"id": hostile, "kind": "purchase_credits",
         "input": {"partner_id": partner, "credits": "79228162514264337593543950335"}},
        {"id": fine, "kind": "purchase_credits",
         "input": {"partner_id": partner, "credits": "10"}},
    ]});
    let response = h
        .post_raw(&token, "past-the-bound", Some(JSON), body.to_string())
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let results: program::contract::MutationResults = response.json().await.unwrap();
    assert_eq!(results.results[0].id, hostile);
    match &results.results[0].outcome {
        Outcome::Rejected { code, reason } => {
            assert_eq!(*code, ProblemCode::RuleViolation);
            assert!(reason.contains("at most"), "{reason}");
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(results.results[1].outcome, Outcome::Applied);
    // By content: one new ledger line, the fine purchase's, of 10 credits.
    let page = h.page(&token, head, 100).await;
    let lines: Vec<LedgerEntry> = page
        .changes
        .iter()
        .filter(|c| c.entity == Entity::LedgerEntry)
        .map(|c| serde_json::from_value(c.data.clone().unwrap()).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(
        (lines[0].id.0, lines[0].credits),
        (fine, Credits::whole(10))
    );
}

#[tokio::test]
async fn purchase_by_partner_sales_is_rejected() {
    let h = start().await;
    let partner = h.data.partners[0].id;
    let token = h.partner_user(Role::PartnerSales, partner).await;
    let head = h.server.store().head().await.unwrap();
    let results = h
        .mutate(
            &token,
            "sales",
            &batch(&[purchase(partner, Credits::whole(10))]),
        )
        .await;
    assert_eq!(
        rejected_code(&results.results[0].outcome),
        ProblemCode::Forbidden
    );
    assert_eq!(h.server.store().head().await.unwrap(), head);
}

#[tokio::test]
async fn purchase_for_a_partner_outside_the_scope_is_rejected() {
    let h = start().await;
    let mine = h.data.partners[0].id;
    let theirs = h.data.partners[1].id;
    let token = h.partner_user(Role::PartnerAdmin, mine).await;
    let results = h
        .mutate(
            &token,
            "scope",
            &batch(&[
                purchase(theirs, Credits::whole(10)),
                purchase(mine, Credits::whole(10)),
            ]),
        )
        .await;
    assert_eq!(
        rejected_code(&results.results[0].outcome),
        ProblemCode::Forbidden
    );
    assert_eq!(results.results[1].outcome, Outcome::Applied);
}

#[tokio::test]
async fn a_missing_idempotency_key_gets_400() {
    let h = start().await;
    let token = h.manager().await;
    let response = h
        .http
        .post(h.url("/v1/mutations"))
        .bearer_auth(&token)
        .json(&batch(&[purchase(
            h.data.partners[0].id,
            Credits::whole(1),
        )]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(problem(response).await.code, ProblemCode::BadRequest);
}

#[tokio::test]
async fn a_reused_idempotency_key_with_another_batch_gets_422() {
    let h = start().await;
    let token = h.manager().await;
    let partner = h.data.partners[0].id;
    h.mutate(
        &token,
        "same",
        &batch(&[purchase(partner, Credits::whole(1))]),
    )
    .await;
    let response = h
        .http
        .post(h.url("/v1/mutations"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "same")
        .json(&batch(&[purchase(partner, Credits::whole(2))]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(response).await.code, ProblemCode::BadRequest);
}

#[tokio::test]
async fn a_body_that_is_not_a_batch_gets_400() {
    let h = start().await;
    let token = h.manager().await;
    let response = h
        .post_raw(&token, "junk", Some(JSON), "{\"mutations\": 3}")
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(problem(response).await.code, ProblemCode::BadRequest);
}

/// A purchase carrying the price the user saw: credits, the partner's rate, an FX rate, and the
/// fiat those make.
fn priced_purchase(
    partner: &program::contract::Partner,
    credits: Credits,
    fx: program::FxRate,
) -> (Mutation, program::Money) {
    let rate = partner.discount().unwrap();
    let fiat = fiat_for_credits(credits, rate, &fx).unwrap();
    let m = Mutation {
        id: Uuid::now_v7(),
        base_version: None,
        kind: MutationKind::PurchaseCredits {
            partner_id: partner.id,
            credits,
            price: Some(program::credits::PurchasePrice {
                rate: rate.fraction(),
                fx,
                fiat,
            }),
        },
    };
    (m, fiat)
}

#[tokio::test]
async fn credits_are_never_money_a_purchase_made_offline_is_charged_the_price_the_user_saw() {
    let h = start().await;
    let partner = h
        .data
        .partners
        .iter()
        .find(|p| p.currency != program::Currency::USD)
        .cloned()
        .unwrap();
    let token = h.partner_user(Role::PartnerAdmin, partner.id).await;
    let today_rate = fx_rates(as_of())
        .into_iter()
        .find(|r| r.currency == partner.currency)
        .unwrap();
    // The laptop priced it days ago, at the rate published then, which has moved since.
    let today = chrono::Utc::now().date_naive();
    let then = program::FxRate {
        per_usd: today_rate.per_usd * Decimal::new(97, 2),
        as_of: today - chrono::Days::new(6),
        ..today_rate
    };
    h.server.store().publish_fx_rates(&[then]).await.unwrap();
    let credits = Credits::whole(2_000);
    let (m, seen) = priced_purchase(&partner, credits, then);
    let at_today = fiat_for_credits(credits, partner.discount().unwrap(), &today_rate).unwrap();
    assert_ne!(seen, at_today, "the two rates price differently");
    let head = h.server.store().head().await.unwrap();
    let results = h.mutate(&token, "p1", &batch(&[m])).await;
    assert_eq!(results.results[0].outcome, Outcome::Applied);
    let page = h.page(&token, head, 100).await;
    let line: LedgerEntry = serde_json::from_value(page.changes[0].data.clone().unwrap()).unwrap();
    assert_eq!(
        line.fiat,
        Some(seen),
        "charged what the user saw, not today's price"
    );

    // A rate the platform never published, and a fiat that is not what the credits cost: refused
    // with the reason, and nothing written.
    let made_up = program::FxRate {
        per_usd: then.per_usd + Decimal::new(1, 2),
        ..then
    };
    let (m, _) = priced_purchase(&partner, credits, made_up);
    let outcome = &h.mutate(&token, "p2", &batch(&[m])).await.results[0].outcome;
    assert!(
        rule_violation(outcome).contains("not one the platform published"),
        "{outcome:?}"
    );
    let (mut m, _) = priced_purchase(&partner, credits, then);
    if let MutationKind::PurchaseCredits { price: Some(p), .. } = &mut m.kind {
        p.fiat = program::Money::new(Decimal::ONE, partner.currency).unwrap();
    }
    let outcome = &h.mutate(&token, "p3", &batch(&[m])).await.results[0].outcome;
    assert!(
        rule_violation(outcome).contains("is not what"),
        "{outcome:?}"
    );
    // An exchange rate older than the window (30 days).
    let old = program::FxRate {
        as_of: today - chrono::Days::new(60),
        ..then
    };
    h.server.store().publish_fx_rates(&[old]).await.unwrap();
    let (m, _) = priced_purchase(&partner, credits, old);
    let outcome = &h.mutate(&token, "p4", &batch(&[m])).await.results[0].outcome;
    assert!(
        rule_violation(outcome).contains("more than 30 days old"),
        "{outcome:?}"
    );
    let after = h.page(&token, head, 100).await;
    assert_eq!(
        after.changes.len(),
        1,
        "only the first purchase was written"
    );
}

#[tokio::test]
async fn credits_are_never_money_a_purchase_priced_before_the_partners_rate_changed_is_refused() {
    let h = start().await;
    let mut partner = h
        .data
        .partners
        .iter()
        .find(|p| p.tier == program::Tier::Specialist)
        .cloned()
        .unwrap();
    let token = h.partner_user(Role::PartnerAdmin, partner.id).await;
    let fx = fx_rates(as_of())
        .into_iter()
        .find(|r| r.currency == partner.currency)
        .unwrap_or_else(|| program::FxRate::usd(as_of()));
    let (m, _) = priced_purchase(&partner, Credits::whole(100), fx);
    // The platform moves the partner's rate within its band before the purchase arrives.
    let band = partner.tier.band();
    partner.discount_rate = if partner.discount_rate == band.min {
        band.max
    } else {
        band.min
    };
    h.server.store().upsert_partner(&partner).await.unwrap();
    let outcome = &h.mutate(&token, "r1", &batch(&[m])).await.results[0].outcome;
    assert!(
        rule_violation(outcome).contains("discount rate changed"),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn credits_are_never_money_the_ledger_refuses_an_adjustment_without_a_reason() {
    use program::contract::{AdjustmentReason, LedgerEntryId};
    let h = start().await;
    let partner = h.data.partners[0].id;
    let line = |credits: i64, reason| LedgerEntry {
        id: LedgerEntryId(Uuid::now_v7()),
        partner_id: partner,
        at: chrono::Utc::now(),
        kind: LedgerKind::Adjustment,
        credits: Credits::whole(credits),
        fiat: None,
        rate: None,
        deployment_id: None,
        customer_id: None,
        billing: None,
        reason,
    };
    let store = h.server.store();
    let before = store
        .balances()
        .await
        .unwrap()
        .get(&partner)
        .copied()
        .unwrap_or_default();
    for (credits, reason) in [
        (50, None),
        (-50, Some(AdjustmentReason::Goodwill)),
        (50, Some(AdjustmentReason::Expiry)),
    ] {
        let err = store
            .append_ledger(&line(credits, reason))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("adjustment"), "{err}");
    }
    let balance = |b: std::collections::BTreeMap<PartnerId, Credits>| {
        b.get(&partner).copied().unwrap_or_default()
    };
    assert_eq!(
        balance(store.balances().await.unwrap()),
        before,
        "nothing written"
    );
    store
        .append_ledger(&line(50, Some(AdjustmentReason::Goodwill)))
        .await
        .unwrap();
    assert_eq!(
        balance(store.balances().await.unwrap()),
        before + Credits::whole(50)
    );
}
