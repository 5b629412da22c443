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

use crate::common::{as_of, problem, start};

fn purchase(partner_id: PartnerId, credits: Credits) -> Mutation {
    Mutation {
        id: Uuid::now_v7(),
        base_version: None,
        kind: MutationKind::PurchaseCredits {
            partner_id,
            credits,
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
    assert_eq!(line.credits.minor(), 250_050);
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
        .http
        .post(h.url("/v1/mutations"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "precise")
        .json(&body)
        .send()
        .await
        .unwrap();
    let results: program::contract::MutationResults = response.json().await.unwrap();
    assert_eq!(
        rejected_code(&results.results[0].outcome),
        ProblemCode::RuleViolation
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
        .http
        .post(h.url("/v1/mutations"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "junk")
        .body("{\"mutations\": 3}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(problem(response).await.code, ProblemCode::BadRequest);
}
