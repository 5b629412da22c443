//! The reference server under load, on loopback: 200 clients for a minute (`LOAD_SECONDS` to
//! change it), among them laptops syncing and writing through their outbox, clients reading the
//! feed slower than the database, and clients sharing one token past its rate. No answer is a
//! 5xx, `/v1/me` answers within a second at the 99th percentile, the rate limit answers 429 and
//! the clients wait it out, and every write is applied exactly once: each partner's balance on
//! the server moves by exactly the purchases its clients were told were applied.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use central_api::server::{self, Limits, Rate, ServerConfig};
use desk::outbox;
use desk::store::{Store, CACHE_FILE};
use program::contract::{MutationKind, MutationResults, Outcome, PartnerId, Role};
use program::Credits;
use reqwest::StatusCode;

use crate::common::{as_of, engine};

const CLIENTS: usize = 200;
/// Laptops: a cache, an outbox and a sync engine each.
const LAPTOPS: usize = 10;
/// Clients reading the whole feed a little at a time.
const SLOW_READERS: usize = 10;
/// Clients sharing one token, together past its rate.
const GREEDY: usize = 20;
/// Per token: 20 requests a second, 40 at once.
const RATE: Rate = Rate::new(20, 40);

fn seconds() -> u64 {
    std::env::var("LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60)
}

/// What the clients saw, all together.
#[derive(Default)]
struct Seen {
    /// `/v1/me` answers, in milliseconds.
    me_ms: Mutex<Vec<u64>>,
    /// Answers by status.
    statuses: Mutex<BTreeMap<u16, u64>>,
    /// Purchases the server said it applied, by partner, in hundredths.
    bought: Mutex<BTreeMap<PartnerId, i64>>,
    /// Bytes the slow readers read.
    slow_bytes: AtomicU64,
}

impl Seen {
    fn status(&self, status: StatusCode) {
        *self
            .statuses
            .lock()
            .unwrap()
            .entry(status.as_u16())
            .or_default() += 1;
    }

    fn bought(&self, partner: PartnerId, credits: Credits) {
        *self.bought.lock().unwrap().entry(partner).or_default() += credits.minor().unwrap();
    }
}

/// Waits what a 429 or 503 asks (`Retry-After` in seconds, 1 if absent).
async fn wait_out(response: &reqwest::Response) {
    let seconds = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    tokio::time::sleep(Duration::from_secs(seconds)).await;
}

/// One client of the API, as fast as the server lets it: who am I, a page of the feed, and every
/// fifth time a purchase of a few credits, sent again with its key until it is answered.
async fn client(
    base: String,
    token: String,
    partner: PartnerId,
    n: usize,
    until: Instant,
    seen: Arc<Seen>,
) {
    let http = reqwest::Client::new();
    let mut round = 0u64;
    while Instant::now() < until {
        round += 1;
        let asked = Instant::now();
        let me = http
            .get(format!("{base}/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        seen.status(me.status());
        match me.status() {
            StatusCode::OK => seen
                .me_ms
                .lock()
                .unwrap()
                .push(asked.elapsed().as_millis() as u64),
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                wait_out(&me).await;
                continue;
            }
            _ => {}
        }
        let page = http
            .get(format!("{base}/v1/changes?after=0&limit=100"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        seen.status(page.status());
        if page.status() == StatusCode::TOO_MANY_REQUESTS {
            wait_out(&page).await;
            continue;
        }
        page.bytes().await.unwrap();
        if !round.is_multiple_of(5) {
            continue;
        }
        let credits = Credits::whole(i64::try_from(n % 7 + 1).unwrap());
        let batch = serde_json::json!({"mutations": [{
            "id": uuid::Uuid::now_v7(), "kind": "purchase_credits",
            "input": {"partner_id": partner, "credits": credits}
        }]});
        let key = uuid::Uuid::now_v7().to_string();
        loop {
            let answer = http
                .post(format!("{base}/v1/mutations"))
                .bearer_auth(&token)
                .header("Idempotency-Key", &key)
                .json(&batch)
                .send()
                .await
                .unwrap();
            seen.status(answer.status());
            match answer.status() {
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                    wait_out(&answer).await;
                }
                StatusCode::OK => {
                    let results: MutationResults = answer.json().await.unwrap();
                    if results.results[0].outcome == Outcome::Applied {
                        seen.bought(partner, credits);
                    }
                    break;
                }
                other => panic!("a purchase answered {other}"),
            }
        }
    }
}

/// A client reading the whole feed 16 KiB at a time, a pause between reads.
async fn slow_reader(base: String, token: String, until: Instant, seen: Arc<Seen>) {
    let http = reqwest::Client::builder().no_gzip().build().unwrap();
    while Instant::now() < until {
        let mut page = http
            .get(format!("{base}/v1/changes?after=0&limit=50000"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        seen.status(page.status());
        if page.status() != StatusCode::OK {
            wait_out(&page).await;
            continue;
        }
        let mut body = Vec::new();
        while let Some(chunk) = page.chunk().await.unwrap() {
            body.extend_from_slice(&chunk);
            seen.slow_bytes
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let text = String::from_utf8(body).unwrap();
        assert!(
            text.trim_end().ends_with('}') && text.contains("\"line\":\"trailer\""),
            "a slow reader's page is whole"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_clients_for_a_minute_get_no_5xx_quick_sign_ins_and_every_write_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = server::start(ServerConfig {
        deployments: 2_000,
        today: Some(as_of()),
        limits: Limits {
            per_token: RATE,
            ..Limits::default()
        },
        ..ServerConfig::demo(dir.path().join("central.sqlite3"), as_of())
    })
    .await
    .unwrap();
    let partners = server.store().partner_ids().await.unwrap();
    let before = server.store().balances().await.unwrap();
    let base = server.base_url();
    let manager = server
        .create_token("Load Manager", Role::PlatformAccountManager, &partners)
        .await
        .unwrap();
    let until = Instant::now() + Duration::from_secs(seconds());
    let seen = Arc::new(Seen::default());
    let mut tasks = tokio::task::JoinSet::new();

    // The laptops: each a partner admin's cache, buying credits through its outbox every round.
    let mut laptops = Vec::new();
    for n in 0..LAPTOPS {
        let partner = partners[n % partners.len()];
        let token = server
            .create_token(&format!("Laptop {n}"), Role::PartnerAdmin, &[partner])
            .await
            .unwrap();
        let store = Store::open(&dir.path().join(format!("laptop-{n}")).join(CACHE_FILE))
            .await
            .unwrap();
        let engine = engine(&server, &store, &token).await;
        laptops.push((store.clone(), partner));
        let seen = Arc::clone(&seen);
        tasks.spawn(async move {
            let mut queued: Vec<Credits> = Vec::new();
            while Instant::now() < until {
                let credits = Credits::whole(i64::try_from(n + 1).unwrap());
                let kind = MutationKind::PurchaseCredits {
                    partner_id: partner,
                    credits,
                    price: None,
                };
                outbox::enqueue(&store, "credit_purchase", &partner.to_string(), &kind, None)
                    .await
                    .unwrap();
                queued.push(credits);
                // A round the server slowed past the engine's retries is simply tried again.
                let _ = engine.run_once().await;
            }
            // Until the outbox is empty.
            for _ in 0..20 {
                if engine.run_once().await.is_ok()
                    && outbox::counts(&store).await.unwrap() == (0, 0)
                {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            assert_eq!(
                outbox::counts(&store).await.unwrap(),
                (0, 0),
                "laptop {n}: every purchase sent, none refused"
            );
            for credits in queued {
                seen.bought(partner, credits);
            }
        });
    }
    for _ in 0..SLOW_READERS {
        tasks.spawn(slow_reader(
            base.clone(),
            manager.clone(),
            until,
            Arc::clone(&seen),
        ));
    }
    // The greedy ones share one partner user's token.
    let greedy_partner = partners[0];
    let greedy = server
        .create_token("Greedy", Role::PartnerAdmin, &[greedy_partner])
        .await
        .unwrap();
    for n in 0..GREEDY {
        tasks.spawn(client(
            base.clone(),
            greedy.clone(),
            greedy_partner,
            n,
            until,
            Arc::clone(&seen),
        ));
    }
    for n in 0..CLIENTS - LAPTOPS - SLOW_READERS - GREEDY {
        let partner = partners[n % partners.len()];
        let token = server
            .create_token(&format!("Client {n}"), Role::PartnerAdmin, &[partner])
            .await
            .unwrap();
        tasks.spawn(client(
            base.clone(),
            token,
            partner,
            n,
            until,
            Arc::clone(&seen),
        ));
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }

    let statuses = seen.statuses.lock().unwrap().clone();
    let mut me_ms = seen.me_ms.lock().unwrap().clone();
    me_ms.sort_unstable();
    let p99 = me_ms[me_ms.len() * 99 / 100];
    println!(
        "load: {CLIENTS} clients for {} s: answers by status {statuses:?}; /v1/me p50 {} ms, \
         p99 {p99} ms over {}; slow readers read {} MB",
        seconds(),
        me_ms[me_ms.len() / 2],
        me_ms.len(),
        seen.slow_bytes.load(Ordering::Relaxed) / 1_000_000
    );
    assert!(
        statuses.keys().all(|s| *s < 500),
        "no answer was a 5xx: {statuses:?}"
    );
    assert!(
        statuses.get(&429).is_some_and(|n| *n > 0),
        "the shared token met its rate: {statuses:?}"
    );
    assert!(p99 < 1_000, "/v1/me p99 {p99} ms");
    assert!(seen.slow_bytes.load(Ordering::Relaxed) > 0);

    // Every write applied once: each partner's balance moved by exactly what was bought.
    let after = server.store().balances().await.unwrap();
    let bought = seen.bought.lock().unwrap().clone();
    assert!(!bought.is_empty());
    let minor = |balances: &BTreeMap<PartnerId, Credits>, p: &PartnerId| {
        balances.get(p).map_or(0, |c| c.minor().unwrap())
    };
    for partner in &partners {
        let moved = minor(&after, partner) - minor(&before, partner);
        assert_eq!(
            moved,
            bought.get(partner).copied().unwrap_or_default(),
            "partner {partner}: its balance moved by what its clients bought"
        );
    }
    for (store, _) in laptops {
        store.close().await;
    }
}
