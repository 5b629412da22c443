//! The OpenAPI document: 3.1, generated from the code, covering every route.

use central_api::server::routes;
use reqwest::StatusCode;
use serde_json::Value;

use crate::common::start;

fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn openapi_is_3_1_and_documents_every_route() {
    let h = start().await;
    // Served without a token.
    let response = h.http.get(h.url("/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));

    let paths = doc["paths"].as_object().unwrap();
    let routes = routes();
    assert!(routes.len() >= 5);
    for route in &routes {
        let method = route.method.as_str().to_ascii_lowercase();
        assert!(
            paths.get(route.path).and_then(|p| p.get(&method)).is_some(),
            "{} {} is not documented",
            route.method,
            route.path
        );
    }
    // And nothing documented that the router does not serve.
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(documented, routes.len());
}

#[tokio::test]
async fn every_schema_reference_in_openapi_resolves() {
    let doc = central_api::server::openapi_document();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "Me",
        "ProgramInfo",
        "FeedLine",
        "MutationBatch",
        "MutationResults",
        "Problem",
        "Partner",
        "LedgerEntry",
    ] {
        assert!(schemas.contains_key(name), "{name}");
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{r} points outside components"));
        assert!(schemas.contains_key(name), "{r} does not resolve");
    }
}
