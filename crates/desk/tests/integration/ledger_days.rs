//! Each partner's ledger summed per day (`ledger_days`, which the figures and the ledger checksums
//! read) equals its lines, whoever wrote them: a first sync in pages of any size (its pages sum
//! their own lines), incremental rounds (the cache's triggers), lines that do not carry their
//! billing, a line the mirror lost. And every partner's balance, burn rates and recurring volume
//! read from the sums equal the program's definitions applied to the lines themselves.
//!
//! The random seed is printed; `LEDGER_DAYS_SEED=<seed>` replays a run.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use desk::store::{Store, CACHE_FILE};
use program::contract::{
    AdjustmentReason, Billing, Deployment, LedgerEntry, LedgerEntryId, LedgerKind, PartnerId, Role,
};
use program::metrics::{self, Consumption};
use program::Credits;
use rand::{Rng, SeedableRng};
use sqlx::Row;

use crate::common::{self, as_of};

/// (partner, day, class) → (lines, hundredths).
type Sums = BTreeMap<(String, String, i64), (i64, i64)>;

async fn kept(store: &Store) -> Sums {
    sums(
        store,
        "SELECT partner_id, day, class, lines, credits_minor FROM ledger_days",
    )
    .await
}

/// The same sums, from the lines.
async fn from_lines(store: &Store) -> Sums {
    sums(
        store,
        "SELECT partner_id, substr(at, 1, 10), \
           CASE WHEN kind <> 'consumption' THEN 0 WHEN billing = 'monthly' THEN 1 \
                WHEN billing IS NULL THEN 3 ELSE 2 END, count(*), sum(credits_minor) \
         FROM ledger_entries GROUP BY 1, 2, 3",
    )
    .await
}

async fn sums(store: &Store, sql: &str) -> Sums {
    sqlx::query(sql)
        .fetch_all(store.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|r| ((r.get(0), r.get(1), r.get(2)), (r.get(3), r.get(4))))
        .collect()
}

pub(crate) async fn assert_sums_follow_the_lines(store: &Store, when: &str) {
    let (kept, lines) = (kept(store).await, from_lines(store).await);
    assert!(!lines.is_empty());
    assert_eq!(kept, lines, "{when}: the sums per day are the lines'");
}

/// Balance, burn rates and recurring volume per partner as `desk::metrics` computes them, and as
/// the program's definitions compute them from every line (a consumption without its billing
/// takes its deployment's).
async fn assert_volume_figures_follow_the_lines(store: &Store, day: NaiveDate) {
    let figures = desk::metrics::figures(store, day, None).await.unwrap();
    let billing: BTreeMap<String, String> = sqlx::query_as("SELECT id, billing FROM deployments")
        .fetch_all(store.pool())
        .await
        .unwrap()
        .into_iter()
        .collect();
    let rows = sqlx::query(
        "SELECT partner_id, substr(at, 1, 10), kind, credits_minor, billing, deployment_id \
         FROM ledger_entries",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let mut balance: BTreeMap<String, i64> = BTreeMap::new();
    let mut used: BTreeMap<String, Vec<Consumption>> = BTreeMap::new();
    for r in rows {
        let partner: String = r.get(0);
        let on: NaiveDate = r.get::<String, _>(1).parse().unwrap();
        let minor: i64 = r.get(3);
        if on <= day {
            *balance.entry(partner.clone()).or_default() += minor;
        }
        if r.get::<String, _>(2) == "consumption" {
            let of_line: Option<String> = r.get(4);
            let of_deployment = r
                .get::<Option<String>, _>(5)
                .and_then(|d| billing.get(&d).cloned());
            let monthly = of_line.or(of_deployment).as_deref() == Some("monthly");
            used.entry(partner).or_default().push(Consumption {
                on,
                billing: if monthly {
                    Billing::Monthly
                } else {
                    Billing::OneOff
                },
                credits: Credits::from_minor(-minor),
            });
        }
    }
    assert!(!balance.is_empty());
    for (partner, minor) in &balance {
        let f = figures
            .get(&PartnerId(partner.parse().unwrap()))
            .unwrap_or_else(|| panic!("figures of partner {partner}"));
        let lines = used.get(partner).cloned().unwrap_or_default();
        let expected = (
            Credits::from_minor(*minor),
            metrics::burn_rate(&lines, day, metrics::BURN_SHORT_DAYS),
            metrics::burn_rate(&lines, day, metrics::BURN_LONG_DAYS),
            metrics::recurring_volume(&lines, day),
        );
        assert_eq!(
            (f.balance, f.burn_30, f.burn_90, f.recurring_volume),
            expected,
            "partner {partner} on {day}: balance, burn 30, burn 90, recurring volume"
        );
    }
}

/// A line on the platform on `day`: of `kind` 0 a consumption of `d` with its billing on the
/// line, 1 one without (an older feed), 2 a goodwill adjustment; `credits` in hundredths.
pub(crate) fn line(d: &Deployment, day: NaiveDate, kind: u8, credits: i64) -> LedgerEntry {
    let consumption = kind < 2;
    LedgerEntry {
        id: LedgerEntryId(uuid::Uuid::now_v7()),
        partner_id: d.partner_id,
        at: day.and_hms_opt(23, 59, 59).unwrap().and_utc(),
        kind: if consumption {
            LedgerKind::Consumption
        } else {
            LedgerKind::Adjustment
        },
        credits: Credits::from_minor(if consumption { -credits } else { credits }),
        fiat: None,
        rate: None,
        deployment_id: consumption.then_some(d.id),
        customer_id: consumption.then_some(d.customer_id),
        billing: (kind == 0).then_some(d.billing),
        reason: (!consumption).then_some(AdjustmentReason::Goodwill),
    }
}

#[tokio::test]
async fn the_ledger_sums_per_day_equal_the_lines_after_random_pages() {
    let seed: u64 = std::env::var("LEDGER_DAYS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("ledger days seed: {seed} (LEDGER_DAYS_SEED={seed} replays this run)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let common::World { dir, server, data } = common::world().await;
    let partners = server.store().partner_ids().await.unwrap();
    let token = server
        .create_token("Ana Manager", Role::PlatformAccountManager, &partners)
        .await
        .unwrap();
    let store = Store::open(&dir.path().join("laptop").join(CACHE_FILE))
        .await
        .unwrap();
    // A first sync in pages of a random size: each page sums its own lines.
    let page_size = rng.gen_range(50..2_000);
    println!("first sync in pages of {page_size}");
    common::engine_with_pages(&server, &store, &token, page_size)
        .await
        .run_once()
        .await
        .unwrap();
    assert_sums_follow_the_lines(&store, "after the first sync").await;

    // Rounds of new lines, some on days the mirror has lines for, some at the windows' edges,
    // some without their billing (an older feed), in pages of random sizes.
    let day = as_of();
    let edges = [0, 1, 29, 30, 31, 89, 90, 91, 364, 365, 366];
    for round in 0..4 {
        for _ in 0..rng.gen_range(1..40) {
            let d = &data.deployments[rng.gen_range(0..data.deployments.len())];
            let back = if rng.gen_bool(0.5) {
                edges[rng.gen_range(0..edges.len())]
            } else {
                rng.gen_range(0..400)
            };
            let on = day - Days::new(back);
            let entry = line(d, on, rng.gen_range(0..3), rng.gen_range(1..100_000));
            server.store().append_ledger(&entry).await.unwrap();
        }
        common::engine_with_pages(&server, &store, &token, rng.gen_range(1..60))
            .await
            .run_once()
            .await
            .unwrap();
        assert_sums_follow_the_lines(&store, &format!("after round {round}")).await;
    }
    let unbilled: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ledger_entries WHERE kind = 'consumption' AND billing IS NULL",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert!(unbilled > 0, "some lines came without their billing");
    for back in [0, 30, 200] {
        assert_volume_figures_follow_the_lines(&store, day - Days::new(back)).await;
    }

    // A line the mirror loses leaves its day's sums with it.
    sqlx::query("DELETE FROM ledger_entries WHERE id = (SELECT min(id) FROM ledger_entries)")
        .execute(store.pool())
        .await
        .unwrap();
    assert_sums_follow_the_lines(&store, "after a line was lost").await;
    store.close().await;
}
