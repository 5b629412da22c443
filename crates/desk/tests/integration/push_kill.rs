//! A process killed during push: the headless sync is killed (SIGKILL) at random points of its
//! rounds, fifty times, each time with new changes of several kinds waiting in the outbox. Every
//! change reaches the platform exactly once, counted by its content on the server (a purchase by
//! its amount, a deal by its company, an action item by its text), and the outbox ends empty.
//! The random seed is printed; `PUSH_KILL_SEED=<seed>` replays a run.

use std::collections::BTreeMap;
use std::time::Instant;

use central_api::demo;
use central_api::server;
use desk::api::{ApiClient, Changes, Row, Token};
use desk::deals::DealForm;
use desk::qbr::ActionItemForm;
use desk::store::{Store, CACHE_FILE};
use program::contract::{LedgerKind, MutationKind, Partner, Role};
use program::{Brand, Credits, Region};
use rand::{Rng, SeedableRng};

use crate::common::{self, as_of};

/// What the changes queued so far should have made on the server.
#[derive(Default)]
struct Expected {
    purchases: Vec<Credits>,
    deals: Vec<String>,
    items: Vec<String>,
}

impl Expected {
    /// How many of the changes queued the server does not hold yet.
    fn missing_from(&self, now: &Found, before: &Found) -> usize {
        let purchases = self
            .purchases
            .iter()
            .filter(|c| now.purchases.get(c) == before.purchases.get(c))
            .count();
        let deals = self
            .deals
            .iter()
            .filter(|d| !now.deals.contains_key(*d))
            .count();
        let items = self
            .items
            .iter()
            .filter(|i| !now.items.contains_key(*i))
            .count();
        purchases + deals + items
    }
}

/// What the server holds that a change of this test could have made: purchases of the partner
/// by amount, deals by company, action items by text.
#[derive(Default)]
struct Found {
    purchases: BTreeMap<Credits, usize>,
    deals: BTreeMap<String, usize>,
    items: BTreeMap<String, usize>,
}

/// Reads the whole feed as `audit` (an account manager's token made before any kill).
async fn found_on_server(server: &server::RunningServer, audit: &str) -> Found {
    let api = ApiClient::new(server.base_url().parse().unwrap(), Token::new(audit)).unwrap();
    let mut found = Found::default();
    let mut after = 0;
    loop {
        let Changes::Page(page) = api.changes(after, 50_000).await.unwrap() else {
            panic!("the audit's feed starts over");
        };
        for change in &page.changes {
            match &change.row {
                Some(Row::LedgerEntry(e)) if e.kind == LedgerKind::Purchase => {
                    *found.purchases.entry(e.credits).or_default() += 1;
                }
                Some(Row::Deal(d)) => *found.deals.entry(d.company.clone()).or_default() += 1,
                Some(Row::ActionItem(i)) => *found.items.entry(i.text.clone()).or_default() += 1,
                _ => {}
            }
        }
        after = page.trailer.next;
        if !page.trailer.has_more {
            return found;
        }
    }
}

/// The laptop whose outbox the test fills between the sync's runs.
struct Laptop<'a> {
    cache: &'a std::path::Path,
    partner: &'a Partner,
    place: &'a str,
    seed: u64,
}

impl Laptop<'_> {
    /// Queues one to four changes of random kinds, the way the app does, while no sync runs.
    async fn queue(&self, rng: &mut impl Rng, expected: &mut Expected) {
        let store = Store::open(self.cache).await.unwrap();
        for _ in 0..rng.gen_range(1..=4) {
            self.queue_one(&store, rng, expected).await;
        }
        store.close().await;
    }

    async fn queue_one(&self, store: &Store, rng: &mut impl Rng, expected: &mut Expected) {
        let (partner, place, seed) = (self.partner, self.place, self.seed);
        let n = expected.purchases.len() + expected.deals.len() + expected.items.len();
        match rng.gen_range(0..3) {
            0 => {
                // Unlike any demo purchase: whole hundreds and 37 hundredths, one of each.
                let credits =
                    Credits::new(rust_decimal::Decimal::new(100_037 + 10_000 * n as i64, 2))
                        .unwrap();
                let kind = MutationKind::PurchaseCredits {
                    partner_id: partner.id,
                    credits,
                    price: None,
                };
                desk::outbox::enqueue(
                    store,
                    "credit_purchase",
                    &partner.id.to_string(),
                    &kind,
                    None,
                )
                .await
                .unwrap();
                expected.purchases.push(credits);
            }
            1 => {
                let company = format!("Kill Push {seed} Deal {n}");
                let sku = demo::catalog()
                    .into_iter()
                    .find(|i| i.brands.contains(&Brand::CentroPago) && !i.early_access)
                    .unwrap()
                    .sku;
                let (country, subdivision) = match program::Subdivision::parse(place) {
                    Ok(s) => (s.country().code().to_string(), s.code().to_string()),
                    Err(_) => (place.to_string(), String::new()),
                };
                let form = DealForm {
                    partner_id: partner.id.to_string(),
                    company: company.clone(),
                    domain: String::new(),
                    country,
                    subdivision,
                    brand: Some(Brand::CentroPago),
                    products: vec![sku],
                    value: "1000".into(),
                    expected_close: String::new(),
                    owner: "Pat".into(),
                    notes: String::new(),
                };
                desk::deals::register(store, &form).await.unwrap();
                expected.deals.push(company);
            }
            _ => {
                let text = format!("Kill push {seed}: action item {n}");
                let form = ActionItemForm {
                    partner_id: partner.id.to_string(),
                    id: None,
                    quarter: "2026-Q4".into(),
                    text: text.clone(),
                    owner: "Pat".into(),
                    due_on: "2026-12-31".into(),
                    done: false,
                };
                desk::qbr::save_action_item(store, &form, as_of())
                    .await
                    .unwrap();
                expected.items.push(text);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_killed_at_random_points_fifty_times_loses_nothing_and_doubles_nothing() {
    let seed: u64 = std::env::var("PUSH_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("push kill seed: {seed} (PUSH_KILL_SEED={seed} replays this run)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let common::World { dir, server, data } = common::world_with(server::Limits {
        // Registrations are paced per user; this test registers more than a burst.
        registrations: server::Hourly::new(100_000, 10_000),
        ..server::Limits::default()
    })
    .await;
    let partner = data
        .partners
        .iter()
        .find(|p| p.brands.contains(&Brand::CentroPago))
        .cloned()
        .unwrap();
    let place = match demo::unclaimed_places(&data.territories, Region::Latam)[0] {
        (_, Some(subdivision)) => subdivision.code().to_string(),
        (country, None) => country.code().to_string(),
    };
    let token = server
        .create_token("Pat", Role::PartnerAdmin, &[partner.id])
        .await
        .unwrap();
    let audit = server
        .create_token("audit", Role::PlatformAccountManager, &[partner.id])
        .await
        .unwrap();
    let data_dir = dir.path().join("laptop");
    let cache = data_dir.join(CACHE_FILE);
    {
        let store = Store::open(&cache).await.unwrap();
        common::engine(&server, &store, &token)
            .await
            .run_once()
            .await
            .unwrap();
        store.close().await;
    }
    let before = found_on_server(&server, &audit).await;
    let mut expected = Expected::default();

    let bin = env!("CARGO_BIN_EXE_partner-desk-sync");
    let spawn = || {
        tokio::process::Command::new(bin)
            .args(["--data-dir", data_dir.to_str().unwrap()])
            .args(["--url", &server.base_url()])
            .env("PARTNER_DESK_TOKEN", &token)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    };
    let laptop = Laptop {
        cache: &cache,
        partner: &partner,
        place: &place,
        seed,
    };
    // How long a round with a few changes takes here, uninterrupted: each kill below lands at a
    // random point of such a round, whatever the machine's speed.
    laptop.queue(&mut rng, &mut expected).await;
    let started = Instant::now();
    assert!(spawn().wait().await.unwrap().success());
    let whole = started.elapsed();

    let (mut kills, mut finished) = (0, 0);
    // Where the kills landed: before anything was sent, after the server applied changes the
    // laptop had not yet recorded as sent (the response lost), or after the push.
    let mut landed = BTreeMap::<&str, usize>::new();
    for _ in 0..50 {
        laptop.queue(&mut rng, &mut expected).await;
        let mut child = spawn();
        tokio::time::sleep(whole.mul_f64(rng.gen_range(0.0..1.0))).await;
        if child.try_wait().unwrap().is_some() {
            finished += 1;
            continue;
        }
        child.kill().await.unwrap(); // SIGKILL, and reaped
        kills += 1;
        let store = Store::open(&cache).await.unwrap();
        let (pending, _) = desk::outbox::counts(&store).await.unwrap();
        store.close().await;
        let missing = expected.missing_from(&found_on_server(&server, &audit).await, &before);
        let at = match (pending as usize).cmp(&missing) {
            std::cmp::Ordering::Greater => "after the server applied, before the laptop knew",
            _ if pending == 0 => "after the push",
            _ => "before the push was answered",
        };
        *landed.entry(at).or_default() += 1;
    }
    println!("where the kills landed: {landed:?}");
    // Then whole rounds until the outbox has nothing left to send, and one more that finds
    // nothing. A round the server answers "try again later" (its pace, a write it could not make
    // just then: the machine is busy with other tests) leaves those changes for the next, as the
    // app's next round would; a second apart, 20 at most.
    let mut drained = None;
    for round in 1..=20 {
        let output = tokio::process::Command::new(bin)
            .args(["--data-dir", data_dir.to_str().unwrap()])
            .args(["--url", &server.base_url()])
            .env("PARTNER_DESK_TOKEN", &token)
            .output()
            .await
            .unwrap();
        assert!(
            output.status.success(),
            "a whole round (seed {seed}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let store = Store::open(&cache).await.unwrap();
        let waiting = desk::outbox::read(
            store.pool(),
            desk::outbox::Select {
                status: Some(desk::outbox::Status::Pending),
                applied: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        store.close().await;
        if drained.is_some() {
            break;
        }
        if waiting.is_empty() {
            drained = Some(round);
        } else {
            // Why a whole round left them: the platform's last "try again later", if any.
            let why: Vec<_> = waiting
                .iter()
                .map(|q| {
                    (
                        q.entity.as_str(),
                        q.last_error.as_deref().unwrap_or("never sent"),
                    )
                })
                .collect();
            println!(
                "after whole round {round}: {} waiting: {why:?}\n{}",
                why.len(),
                String::from_utf8_lossy(&output.stdout)
            );
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }
    let drained = drained.expect("the outbox still held changes after 20 whole rounds");
    println!("the outbox was empty after {drained} whole round(s)");
    println!(
        "killed the sync {kills} times in 50 rounds ({finished} finished first; a round takes \
         {whole:?}); {} purchases, {} deals, {} action items queued",
        expected.purchases.len(),
        expected.deals.len(),
        expected.items.len()
    );
    assert!(kills >= 20, "only {kills} kills landed");

    // What the laptop still holds (pending, refused): said with any change missing below, as a
    // change still waiting is not the same fault as one lost.
    let outbox = {
        let store = Store::open(&cache).await.unwrap();
        let counts = desk::outbox::counts(&store).await.unwrap();
        store.close().await;
        counts
    };
    // Every change on the server once, by content.
    let after = found_on_server(&server, &audit).await;
    for credits in &expected.purchases {
        let made = after.purchases.get(credits).copied().unwrap_or(0)
            - before.purchases.get(credits).copied().unwrap_or(0);
        assert_eq!(
            made, 1,
            "the purchase of {credits} (seed {seed}; the outbox holds {outbox:?} pending, refused)"
        );
    }
    for company in &expected.deals {
        assert_eq!(
            after.deals.get(company),
            Some(&1),
            "{company} (seed {seed})"
        );
    }
    for text in &expected.items {
        assert_eq!(after.items.get(text), Some(&1), "{text} (seed {seed})");
    }
    // And the laptop has nothing left to send, nothing refused.
    assert_eq!(outbox, (0, 0), "seed {seed}");
}
