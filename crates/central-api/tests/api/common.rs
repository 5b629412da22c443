//! The harness: a real server on a loopback port with its own database, the demo data it was made
//! from (to check the feed against), and small helpers to call it over HTTP.

use std::collections::BTreeMap;

use central_api::demo::{self, DemoConfig};
use central_api::server::{self, RunningServer, ServerConfig};
use chrono::NaiveDate;
use program::contract::{
    Change, Dataset, FeedLine, MutationBatch, MutationResults, PageHeader, PageTrailer, PartnerId,
    Problem, Role,
};
use reqwest::{Response, StatusCode};
use tempfile::TempDir;

pub const DEPLOYMENTS: usize = 300;

pub fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

pub fn demo_config() -> DemoConfig {
    DemoConfig::with_deployments(as_of(), DEPLOYMENTS)
}

pub struct Harness {
    pub server: RunningServer,
    /// The data the server was loaded with.
    pub data: Dataset,
    pub http: reqwest::Client,
    _dir: TempDir,
}

/// A parsed changes page.
#[derive(Debug)]
pub struct Page {
    pub header: PageHeader,
    pub changes: Vec<Change>,
    pub trailer: PageTrailer,
}

pub async fn start() -> Harness {
    start_with(central_api::server::Limits::default()).await
}

/// [`start`] with the server's limits set.
pub async fn start_with(limits: central_api::server::Limits) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        deployments: DEPLOYMENTS,
        today: Some(as_of()),
        limits,
        ..ServerConfig::demo(dir.path().join("central.sqlite3"), as_of())
    };
    let server = server::start(config).await.unwrap();
    assert!(server.created_dataset());
    Harness::over(server, demo::generate(&demo_config()), dir)
}

impl Harness {
    /// The harness over a server started on a database in `dir` that holds `data`.
    pub fn over(server: RunningServer, data: Dataset, dir: TempDir) -> Harness {
        Harness {
            server,
            data,
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    /// The server's database file.
    pub fn db(&self) -> std::path::PathBuf {
        self._dir.path().join("central.sqlite3")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    /// A customer no migration has touched, and the partners other than its own that sell its
    /// brand (where it could move).
    pub fn unmigrated_customer(&self) -> (program::contract::Customer, Vec<PartnerId>) {
        let customer = self
            .data
            .customers
            .iter()
            .find(|c| self.data.migrations.iter().all(|m| m.customer_id != c.id))
            .cloned()
            .unwrap();
        let sellers = self
            .data
            .partners
            .iter()
            .filter(|p| p.id != customer.partner_id && p.brands.contains(&customer.brand))
            .map(|p| p.id)
            .collect();
        (customer, sellers)
    }

    pub fn partners(&self) -> Vec<PartnerId> {
        self.data.partners.iter().map(|p| p.id).collect()
    }

    /// An account manager over every partner.
    pub async fn manager(&self) -> String {
        self.server
            .create_token("alicia", Role::PlatformAccountManager, &self.partners())
            .await
            .unwrap()
    }

    pub async fn partner_user(&self, role: Role, partner: PartnerId) -> String {
        self.server
            .create_token("pat", role, &[partner])
            .await
            .unwrap()
    }

    pub async fn get(&self, token: &str, path: &str) -> Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn changes(&self, token: &str, after: u64, limit: u32) -> Response {
        self.get(token, &format!("/v1/changes?after={after}&limit={limit}"))
            .await
    }

    /// One page, which must be a complete 200 page.
    pub async fn page(&self, token: &str, after: u64, limit: u32) -> Page {
        let response = self.changes(token, after, limit).await;
        assert_eq!(response.status(), StatusCode::OK);
        parse_page(&response.text().await.unwrap())
    }

    /// Every page from `after` until nothing more is visible.
    pub async fn sync(&self, token: &str, after: u64, limit: u32) -> Vec<Page> {
        let mut pages = Vec::new();
        let mut cursor = after;
        loop {
            let response = self.changes(token, cursor, limit).await;
            if response.status() == StatusCode::NOT_MODIFIED {
                return pages;
            }
            assert_eq!(response.status(), StatusCode::OK);
            let page = parse_page(&response.text().await.unwrap());
            cursor = page.trailer.next;
            let more = page.trailer.has_more;
            pages.push(page);
            if !more {
                return pages;
            }
        }
    }

    /// `POST /v1/mutations` of `body` as it is, declared as `content_type` (none: no header),
    /// for bodies the typed batch cannot make.
    pub async fn post_raw(
        &self,
        token: &str,
        key: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(self.url("/v1/mutations"))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .body(body);
        if let Some(t) = content_type {
            request = request.header("Content-Type", t);
        }
        request.send().await.unwrap()
    }

    /// [`Harness::post_raw`] of a JSON `body` under a new idempotency key.
    pub async fn post_json(&self, token: &str, body: Vec<u8>) -> reqwest::Response {
        let key = uuid::Uuid::now_v7().to_string();
        self.post_raw(token, &key, Some("application/json"), body)
            .await
    }

    pub async fn mutate(&self, token: &str, key: &str, batch: &MutationBatch) -> MutationResults {
        let response = self
            .http
            .post(self.url("/v1/mutations"))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(batch)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }
}

/// Parses a page, insisting on its shape: header first, changes, trailer last.
pub fn parse_page(body: &str) -> Page {
    let mut lines = body
        .lines()
        .map(|l| serde_json::from_str::<FeedLine>(l).unwrap());
    let Some(FeedLine::Header(header)) = lines.next() else {
        panic!("a page starts with its header")
    };
    let mut changes = Vec::new();
    for line in lines {
        match line {
            FeedLine::Change(change) => changes.push(change),
            FeedLine::Trailer(trailer) => {
                return Page {
                    header,
                    changes,
                    trailer,
                }
            }
            FeedLine::Header(_) => panic!("one header per page"),
        }
    }
    panic!("a page ends with its trailer")
}

/// A response's problem details, checking the media type.
pub async fn problem(response: Response) -> Problem {
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    response.json().await.unwrap()
}

pub fn all_changes(pages: &[Page]) -> Vec<&Change> {
    pages.iter().flat_map(|p| &p.changes).collect()
}

/// How many rows of each entity the dataset has.
pub fn counts(data: &Dataset) -> BTreeMap<&'static str, usize> {
    BTreeMap::from([
        ("partner", data.partners.len()),
        ("territory", data.territories.len()),
        ("customer", data.customers.len()),
        ("deployment", data.deployments.len()),
        ("ledger_entry", data.ledger.len()),
        ("nps_response", data.nps.len()),
        ("catalog_item", data.catalog.len()),
        ("customer_migration", data.migrations.len()),
        ("deal", data.deals.len()),
        (
            "territory_claim",
            data.territories
                .iter()
                .filter(|t| t.exclusivity != program::contract::Exclusivity::None)
                .count(),
        ),
    ])
}

/// The reason of a mutation refused for breaking a rule of the program; panics on any other
/// outcome.
pub fn rule_violation(outcome: &program::contract::Outcome) -> String {
    match outcome {
        program::contract::Outcome::Rejected {
            code: program::contract::ProblemCode::RuleViolation,
            reason,
        } => reason.clone(),
        other => panic!("expected a rule violation, got {other:?}"),
    }
}
