//! QBR benchmark: a Strategic partner's Quarterly Executive Review built from the cache and its
//! deck and workbook written, end to end, at 100,000 deployments for that partner. A report, not
//! a timed test.
//!
//!     BENCHES=qbr make bench
//!
//! Target: < 2 s end to end (review + deck + workbook). `BENCH_QBR_DEPLOYMENTS` sets the
//! partner's deployments (default 100,000); `BENCH_QBR_RUNS` the timed runs (default 5);
//! `BENCH_QBR_DIR` keeps the cache between runs.

use std::time::{Duration, Instant};

use central_api::demo::{generate, DemoConfig};
use chrono::NaiveDate;
use desk::export::Lang;
use desk::qbr::Audience;
use desk::views::WorkspaceKind;
use desk::Desk;
use program::Tier;

use crate::env_number;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const TARGET: Duration = Duration::from_secs(2);
const QUARTER: &str = "2026-Q3";

fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// The deployments of the Strategic partner that made the most.
fn largest_strategic(data: &program::contract::Dataset) -> usize {
    let mut made: std::collections::HashMap<_, usize> = std::collections::HashMap::new();
    for d in &data.deployments {
        *made.entry(d.partner_id).or_default() += 1;
    }
    data.partners
        .iter()
        .filter(|p| p.tier == Tier::Strategic)
        .map(|p| made.get(&p.id).copied().unwrap_or(0))
        .max()
        .unwrap_or(0)
}

pub fn main() -> Result<(), BoxError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), BoxError> {
    let wanted = env_number("BENCH_QBR_DEPLOYMENTS", 100_000)?;
    let runs = env_number("BENCH_QBR_RUNS", 5)?.max(1);
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date");
    // Twelve partners share the program; the biggest Strategic one carries about a quarter of it.
    let config = |total: usize| DemoConfig {
        partners: 12,
        customers: total / 10,
        deployments: total,
        ..DemoConfig::with_deployments(as_of, total)
    };
    let keep = std::env::var_os("BENCH_QBR_DIR").map(std::path::PathBuf::from);
    let temp = tempfile::tempdir()?;
    let dir = keep
        .unwrap_or_else(|| temp.path().to_path_buf())
        .join(format!("qbr-{wanted}"));
    let desk = Desk::open(&dir).await?;
    if desk.has_workspace().await? {
        println!("setup: reusing the cache in {}", dir.display());
    } else {
        let started = Instant::now();
        // Brands are dealt at random: the program grows until its biggest Strategic partner
        // carries the deployments asked for.
        let mut total = wanted * 41 / 10;
        let mut data = generate(&config(total));
        for _ in 0..4 {
            let biggest = largest_strategic(&data);
            if biggest >= wanted {
                break;
            }
            total = total * wanted / biggest.max(1) * 21 / 20;
            data = generate(&config(total));
        }
        desk.load_workspace(&data, WorkspaceKind::Demo, as_of)
            .await?;
        println!(
            "setup: {} partners, {} deployments, {} ledger lines generated and loaded in {:.1} s",
            data.partners.len(),
            data.deployments.len(),
            data.ledger.len(),
            started.elapsed().as_secs_f64()
        );
    }
    let (partner, deployments): (String, i64) = sqlx::query_as(
        "SELECT p.id, count(d.id) AS n FROM partners p JOIN deployments d ON d.partner_id = p.id \
         WHERE p.tier = ? GROUP BY p.id ORDER BY n DESC LIMIT 1",
    )
    .bind(
        serde_json::to_value(Tier::Strategic)?
            .as_str()
            .unwrap_or("strategic"),
    )
    .fetch_one(desk.store().pool())
    .await?;
    let ledger: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ledger_entries WHERE partner_id = ?")
            .bind(&partner)
            .fetch_one(desk.store().pool())
            .await?;
    // The size: a report on a smaller partner would flatter the timings.
    if usize::try_from(deployments).unwrap_or(0) < wanted {
        return Err(format!(
            "the largest Strategic partner has {deployments} deployments, fewer than the \
             {wanted} asked for: the demo data's share for it is too small"
        )
        .into());
    }
    println!(
        "qbr benchmark: the Strategic partner with the most deployments: {deployments} deployments, \
         {ledger} ledger lines; {QUARTER}; {runs} runs after one warm-up; {} CPUs",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let out = tempfile::tempdir()?;
    let mut review_times = Vec::new();
    let mut total_times = Vec::new();
    for run in 0..=runs {
        let started = Instant::now();
        let review = desk.review(&partner, QUARTER).await?;
        let reviewed = started.elapsed();
        std::hint::black_box(&review);
        let files = desk
            .export_review(&partner, QUARTER, Lang::En, Audience::Partner, out.path())
            .await?;
        let whole = started.elapsed();
        std::hint::black_box(files);
        if run > 0 {
            review_times.push(reviewed);
            // The export builds the review again: the end to end time is the export's alone.
            total_times.push(whole - reviewed);
        }
    }
    review_times.sort();
    total_times.sort();
    let median = |v: &[Duration]| v[v.len() / 2];
    let max = |v: &[Duration]| v[v.len() - 1];
    println!("{:<44} {:>10} {:>10}", "step", "median s", "max s");
    println!(
        "{:<44} {:>10} {:>10}",
        "review from the cache (SQL + figures)",
        secs(median(&review_times)),
        secs(max(&review_times))
    );
    println!(
        "{:<44} {:>10} {:>10}",
        "end to end: review + deck PDF + workbook",
        secs(median(&total_times)),
        secs(max(&total_times))
    );
    let verdict = if max(&total_times) < TARGET {
        "yes"
    } else {
        "NO"
    };
    println!(
        "target < {} s end to end: {verdict} (slowest run {} s)",
        TARGET.as_secs(),
        secs(max(&total_times))
    );
    Ok(())
}
