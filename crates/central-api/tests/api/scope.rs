//! A partner's data is written only by those who work with it: every kind of mutation, sent for
//! another partner, is refused and writes nothing.

use program::contract::{Mutation, MutationBatch, MutationKind, Outcome, ProblemCode, Role};
use program::deals::{DealEdit, DealStage};
use program::quotes::QuoteStatus;
use program::Brand;
use uuid::Uuid;

use crate::common::{start, Harness};

/// Sends `kinds` in one batch with `token`; the outcomes in order.
async fn send(h: &Harness, token: &str, kinds: Vec<MutationKind>) -> Vec<Outcome> {
    let mutations = kinds
        .into_iter()
        .map(|kind| Mutation {
            id: Uuid::now_v7(),
            base_version: None,
            kind,
        })
        .collect();
    h.mutate(
        token,
        &Uuid::now_v7().to_string(),
        &MutationBatch { mutations },
    )
    .await
    .results
    .into_iter()
    .map(|r| r.outcome)
    .collect()
}

#[tokio::test]
async fn every_mutation_kind_for_another_partner_is_forbidden_and_writes_nothing() {
    let h = start().await;
    // The fuzzer's valid mutations are those of a CentroPago seller: theirs. It has a deal and
    // a draft quote of its own.
    let [purchase, register, action_item]: [MutationKind; 3] = crate::fuzz::templates(&h)
        .into_iter()
        .map(|m| serde_json::from_value::<Mutation>(m).unwrap().kind)
        .collect::<Vec<_>>()
        .try_into()
        .unwrap();
    let MutationKind::RegisterDeal { deal: ref input } = register else {
        panic!("the second template registers a deal")
    };
    let theirs = h
        .data
        .partners
        .iter()
        .find(|p| p.id == input.partner_id)
        .unwrap()
        .clone();
    let sku = input.products[0].clone();
    let quote = crate::quotes::quote(&theirs, "PE", Brand::CentroPago, &sku, Some(12));
    let their_token = h.partner_user(Role::PartnerAdmin, theirs.id).await;
    let own = send(
        &h,
        &their_token,
        vec![
            register.clone(),
            MutationKind::SaveQuote {
                quote: quote.clone(),
            },
        ],
    )
    .await;
    assert_eq!(own, [Outcome::Applied, Outcome::Applied]);
    let store = h.server.store();
    let deal = store.deal(input.id).await.unwrap().unwrap();
    let saved_quote = store.quote(quote.id).await.unwrap().unwrap();

    // Another partner's administrator tries each kind on their data.
    let mine = h.data.partners.iter().find(|p| p.id != theirs.id).unwrap();
    let my_token = h.partner_user(Role::PartnerAdmin, mine.id).await;
    let head = store.head().await.unwrap();
    let balances = store.balances().await.unwrap();
    let MutationKind::RegisterDeal { deal: mut new_deal } = register else {
        unreachable!()
    };
    new_deal.id = program::deals::DealId(Uuid::now_v7());
    let mut new_quote = crate::quotes::quote(&theirs, "PE", Brand::CentroPago, &sku, Some(12));
    new_quote.created_by = mine.name.clone();
    let kinds = vec![
        purchase,
        MutationKind::RegisterDeal {
            deal: new_deal.clone(),
        },
        MutationKind::EditDeal {
            id: deal.id,
            partner_id: theirs.id,
            edits: vec![DealEdit::Stage {
                from: deal.stage,
                to: DealStage::Won,
            }],
        },
        MutationKind::SaveQuote {
            quote: new_quote.clone(),
        },
        MutationKind::SetQuoteStatus {
            id: quote.id,
            partner_id: theirs.id,
            from: QuoteStatus::Draft,
            to: QuoteStatus::Sent,
        },
        action_item,
    ];
    let count = kinds.len();
    let outcomes = send(&h, &my_token, kinds).await;
    assert_eq!(outcomes.len(), count);
    for outcome in &outcomes {
        match outcome {
            Outcome::Rejected { code, .. } => assert_eq!(*code, ProblemCode::Forbidden),
            other => panic!("not refused: {other:?}"),
        }
    }
    // Nothing written: no change in the feed, the same balances, deal and quote, and neither
    // new row.
    assert_eq!(store.head().await.unwrap(), head);
    assert_eq!(store.balances().await.unwrap(), balances);
    assert_eq!(store.deal(deal.id).await.unwrap().unwrap(), deal);
    assert_eq!(store.quote(quote.id).await.unwrap().unwrap(), saved_quote);
    assert_eq!(store.deal(new_deal.id).await.unwrap(), None);
    assert_eq!(store.quote(new_quote.id).await.unwrap(), None);
}
