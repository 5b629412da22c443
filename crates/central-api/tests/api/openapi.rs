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

/// The schemathesis command line, as `make bootstrap` installs it (scripts/bootstrap.sh).
fn schemathesis() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tools/schemathesis/bin/st")
}

/// Schemathesis reads /openapi.json, generates requests from it (valid ones and ones that break
/// it), and checks every answer against it: no 5xx, every status, content type, header and body
/// as documented, data that fits accepted and data that does not refused, every feed line a
/// documented `FeedLine` (tests/schemathesis_hooks.py). Its configuration
/// (tests/schemathesis.toml) says where the document's own rules differ from its defaults. The
/// seed is random and printed, so a failure can be replayed with `st run --seed`.
#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_disagreement_with_a_managers_or_a_partners_token() {
    let st = schemathesis();
    assert!(
        st.exists(),
        "{} is missing: run `make bootstrap`",
        st.display()
    );
    // A token's rate would only turn generated requests into (documented) 429s.
    let h = crate::common::start_with(central_api::server::Limits {
        per_token: central_api::server::Rate::new(100_000, 100_000),
        ..central_api::server::Limits::default()
    })
    .await;
    let tokens = [
        ("an account manager", h.manager().await),
        (
            "a partner's administrator",
            h.partner_user(program::contract::Role::PartnerAdmin, h.data.partners[0].id)
                .await,
        ),
    ];
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    for (who, token) in tokens {
        let run = tokio::process::Command::new(&st)
            .current_dir(&config)
            .env("PYTHONPATH", &config)
            // Hypothesis's memory of examples, and Python's bytecode, in the build tree too.
            .env(
                "HYPOTHESIS_STORAGE_DIRECTORY",
                config.join("../../../target/hypothesis"),
            )
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .args(["run", &h.url("/openapi.json"), "--no-color"])
            .args(["--max-examples", "50", "--header"])
            .arg(format!("Authorization: Bearer {token}"))
            .output()
            .await
            .unwrap();
        let report = String::from_utf8_lossy(&run.stdout);
        let summary = report
            .lines()
            .filter(|l| l.contains(" generated, ") || l.starts_with("Seed:"))
            .collect::<Vec<_>>()
            .join("; ");
        println!("schemathesis with {who}'s token: {summary}");
        assert!(
            run.status.success(),
            "schemathesis with {who}'s token:\n{report}\n{}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
}
