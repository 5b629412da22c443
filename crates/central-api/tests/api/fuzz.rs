//! The mutation endpoint under arbitrary input (proptest, in the normal suite): bytes of any
//! kind, and valid batches with one value anywhere in them replaced by any JSON value. Every
//! input is answered, never with a 5xx: a problem document, or one result per mutation.

use program::contract::{Mutation, MutationKind, MutationResults, Role};
use program::deals::{DealId, DealInput};
use program::qbr::{ActionItem, ActionItemId};
use program::{Brand, Country, Credits};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use crate::common::{start_with, Harness};

/// Any JSON value, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        // Numbers as the wire writes amounts, of any size and precision.
        "-?[0-9]{1,40}(\\.[0-9]{1,12})?".prop_map(Value::from),
        Just(Value::from("79228162514264337593543950335")),
        Just(Value::from("x".repeat(5_000))),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Valid mutations of each kind a partner admin sends, as the wire writes them.
pub(crate) fn templates(h: &Harness) -> Vec<Value> {
    let partner = h
        .data
        .partners
        .iter()
        .find(|p| p.brands.contains(&Brand::CentroPago))
        .unwrap();
    let sku = central_api::demo::catalog()
        .into_iter()
        .find(|i| i.brands.contains(&Brand::CentroPago) && !i.early_access)
        .unwrap()
        .sku;
    let kinds = [
        MutationKind::PurchaseCredits {
            partner_id: partner.id,
            credits: Credits::whole(1_000),
            price: None,
        },
        MutationKind::RegisterDeal {
            deal: DealInput {
                id: DealId(Uuid::now_v7()),
                partner_id: partner.id,
                company: "Fuzz SA".into(),
                domain: Some("fuzz.example".into()),
                country: Country::parse("PE").unwrap(),
                subdivision: None,
                brand: Brand::CentroPago,
                products: vec![sku],
                value: Credits::whole(5_000),
                expected_close: None,
                owner: "Pat".into(),
                notes: String::new(),
            },
        },
        MutationKind::SaveActionItem {
            item: ActionItem {
                id: ActionItemId(Uuid::now_v7()),
                partner_id: partner.id,
                quarter: "2026-Q4".parse().unwrap(),
                text: "Follow up".into(),
                owner: "Pat".into(),
                due_on: "2026-12-31".parse().unwrap(),
                done: false,
            },
        },
    ];
    kinds
        .into_iter()
        .map(|kind| {
            serde_json::to_value(Mutation {
                id: Uuid::now_v7(),
                base_version: None,
                kind,
            })
            .unwrap()
        })
        .collect()
}

/// The JSON pointers of every value in `v`, itself included.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                pointers(child, format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// Sends `body` as a batch and checks the answer's shape; `mutations` is how many the body
/// holds when it is a batch at all.
async fn answered(h: &Harness, token: &str, body: Vec<u8>, mutations: Option<usize>) -> u16 {
    let response = h.post_json(token, body).await;
    let status = response.status();
    assert!(!status.is_server_error(), "answered {status}");
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    let text = response.text().await.unwrap();
    if status == StatusCode::OK {
        let results: MutationResults = serde_json::from_str(&text).unwrap();
        assert_eq!(Some(results.results.len()), mutations, "{text}");
    } else {
        assert_eq!(kind, "application/problem+json", "{status}: {text}");
        let problem: program::contract::Problem = serde_json::from_str(&text).unwrap();
        assert_eq!(problem.status, status.as_u16());
    }
    status.as_u16()
}

#[test]
fn the_mutation_endpoint_answers_any_input_without_a_server_error() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (h, token, templates) = rt.block_on(async {
        let h = start_with(central_api::server::Limits {
            // Every case reaches the rules, not the rate limits.
            per_token: central_api::server::Rate::new(100_000, 100_000),
            registrations: central_api::server::Hourly::new(1_000_000, 100_000),
            ..central_api::server::Limits::default()
        })
        .await;
        let partner = h
            .data
            .partners
            .iter()
            .find(|p| p.brands.contains(&Brand::CentroPago))
            .unwrap()
            .id;
        let token = h.partner_user(Role::PartnerAdmin, partner).await;
        let templates = templates(&h);
        (h, token, templates)
    });
    let runner = || {
        TestRunner::new(Config {
            cases: 300,
            ..Config::default()
        })
    };

    let statuses = std::sync::Mutex::new(std::collections::BTreeMap::<u16, usize>::new());
    let count = |status: u16| *statuses.lock().unwrap().entry(status).or_default() += 1;

    // Bytes of any kind.
    runner()
        .run(&prop::collection::vec(any::<u8>(), 0..1_024), |bytes| {
            count(rt.block_on(answered(&h, &token, bytes, None)));
            Ok(())
        })
        .unwrap();

    // A valid mutation with one value anywhere in it replaced by anything, under a fresh id
    // (unless the id is what was replaced), so every case is decided anew.
    let mutated = (
        0..templates.len(),
        any::<prop::sample::Index>(),
        json_value(),
    );
    runner()
        .run(&mutated, |(which, at, value)| {
            let mut mutation = templates[which].clone();
            mutation["id"] = Value::from(Uuid::now_v7().to_string());
            let mut paths = Vec::new();
            pointers(&mutation, String::new(), &mut paths);
            let path = at.get(&paths);
            match mutation.pointer_mut(path) {
                Some(slot) if !path.is_empty() => *slot = value,
                _ => mutation = value,
            }
            let body = serde_json::to_vec(&serde_json::json!({ "mutations": [mutation] })).unwrap();
            // A batch whose one mutation has no readable id is refused whole (400).
            count(rt.block_on(answered(&h, &token, body, Some(1))));
            Ok(())
        })
        .unwrap();

    let statuses = statuses.into_inner().unwrap();
    println!("answers by status: {statuses:?}");
    assert!(
        statuses.get(&200).is_some_and(|n| *n > 50),
        "most mutated batches reach the rules: {statuses:?}"
    );
    // The server is still whole.
    rt.block_on(async {
        assert_eq!(h.get(&token, "/v1/me").await.status(), StatusCode::OK);
    });
}
