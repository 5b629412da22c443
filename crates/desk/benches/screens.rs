//! The screens benchmark: p50 and p95 of each screen's backing query over a cache of 10,000
//! partners, 100,000 customers and 1,000,000 deployments (with their ledger of ~5M lines). A
//! report, not a timed test: it prints its numbers and whether each met the target (p95 < 20 ms),
//! and fails only if something breaks.
//!
//!     make bench                                                    # every benchmark
//!     BENCHES=screens make bench                                    # this one
//!     BENCH_SCREENS_DEPLOYMENTS=100000 BENCHES=screens make bench   # a quick run
//!
//! Setup (timed and printed, not measured): the demo generator's data loaded into a fresh cache
//! in one transaction, then every partner's figures computed once (`figures::refresh`, what a
//! first sync ends with). Each screen's query then runs `BENCH_SCREENS_RUNS` times (default 300)
//! after 20 warm-up runs, on partners and search words drawn with a fixed seed. With
//! `BENCH_SCREENS_DIR` the cache is kept there and reused by the next run.

use std::time::{Duration, Instant};

use central_api::demo::generate;
use desk::views::{CustomerFilter, PortfolioQuery, PortfolioSort, WorkspaceKind};
use desk::Desk;
use program::Tier;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const TARGET_P95: Duration = Duration::from_millis(20);
const WARM_UP: usize = 20;

fn env_number(name: &str) -> Result<Option<usize>, BoxError> {
    match std::env::var(name) {
        Ok(v) => Ok(Some(
            v.replace('_', "")
                .parse()
                .map_err(|_| format!("{name}: {v:?} is not a number"))?,
        )),
        Err(_) => Ok(None),
    }
}

struct Row {
    screen: &'static str,
    times: Vec<Duration>,
}

impl Row {
    fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.times.clone();
        sorted.sort();
        let ix = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted[ix]
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1_000.0)
}

/// Runs `f` `runs` times after the warm-up, timing each.
async fn measure<F, Fut>(screen: &'static str, runs: usize, mut f: F) -> Result<Row, BoxError>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), BoxError>>,
{
    for i in 0..WARM_UP {
        f(i).await?;
    }
    let mut times = Vec::with_capacity(runs);
    for i in 0..runs {
        let started = Instant::now();
        f(WARM_UP + i).await?;
        times.push(started.elapsed());
    }
    Ok(Row { screen, times })
}

pub fn main() -> Result<(), BoxError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> Result<(), BoxError> {
    let deployments = env_number("BENCH_SCREENS_DEPLOYMENTS")?.unwrap_or(1_000_000);
    let runs = env_number("BENCH_SCREENS_RUNS")?.unwrap_or(300);
    // 10,000 partners at 1M deployments; fewer, in proportion, for a quick run.
    let config = crate::big_workspace(deployments);
    let as_of = crate::as_of();
    let keep = std::env::var_os("BENCH_SCREENS_DIR").map(std::path::PathBuf::from);
    let temp = tempfile::tempdir()?;
    let dir = keep
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf())
        .join(format!("screens-{deployments}"));
    println!(
        "screens benchmark: {} partners, {} customers, {} deployments, {} CPUs",
        config.partners,
        config.customers,
        config.deployments,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let desk = Desk::open(&dir).await?;
    if desk.has_workspace().await? {
        println!("setup: reusing the cache in {}", dir.display());
    } else {
        let started = Instant::now();
        let data = generate(&config);
        let generated = started.elapsed();
        let started = Instant::now();
        desk.load_workspace(&data, WorkspaceKind::Demo, as_of)
            .await?;
        println!(
            "setup: generated in {:.1} s, loaded {} ledger lines and the rest in {:.1} s",
            generated.as_secs_f64(),
            data.ledger.len(),
            started.elapsed().as_secs_f64()
        );
    }
    let started = Instant::now();
    let refreshed = desk::figures::refresh(&desk.store()).await?;
    println!(
        "setup: figures of {refreshed} partners computed in {:.1} s (what a first sync ends with)",
        started.elapsed().as_secs_f64()
    );

    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM partners ORDER BY id")
        .fetch_all(desk.store().pool())
        .await?;
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM customers WHERE rowid % 97 = 0 UNION ALL \
         SELECT name FROM partners WHERE rowid % 13 = 0",
    )
    .fetch_all(desk.store().pool())
    .await?;
    let mut rng = StdRng::seed_from_u64(20_261_124);
    let partner_sample: Vec<String> = (0..runs + WARM_UP)
        .map(|_| ids.choose(&mut rng).cloned().unwrap_or_default())
        .collect();
    // What someone types: the first 2–5 letters of a word of a name, sometimes two words.
    let words: Vec<String> = (0..runs + WARM_UP)
        .map(|_| {
            let name = names.choose(&mut rng).cloned().unwrap_or_default();
            let parts: Vec<&str> = name.split_whitespace().collect();
            let take = rng.gen_range(2..=5);
            let first: String = parts.first().unwrap_or(&"").chars().take(take).collect();
            match parts.get(1) {
                Some(second) if rng.gen_bool(0.3) => {
                    format!("{first} {}", second.chars().take(2).collect::<String>())
                }
                _ => first,
            }
        })
        .collect();
    let pages = (ids.len() / 100).max(1);
    let offsets: Vec<u32> = (0..runs + WARM_UP)
        .map(|_| (rng.gen_range(0..pages) * 100) as u32)
        .collect();
    type Variant = (&'static str, fn(usize, &[u32], &[String]) -> PortfolioQuery);
    let variants: [Variant; 6] = [
        ("portfolio page: by name", |_, _, _| {
            PortfolioQuery::default()
        }),
        ("portfolio page: by balance, any page", |i, offsets, _| {
            PortfolioQuery {
                sort: PortfolioSort::Balance,
                descending: true,
                offset: offsets[i],
                ..PortfolioQuery::default()
            }
        }),
        ("portfolio page: runway < 30 days", |_, _, _| {
            PortfolioQuery {
                sort: PortfolioSort::Runway,
                runway_below_days: Some(30),
                ..PortfolioQuery::default()
            }
        }),
        ("portfolio page: a tier, by NPS", |_, _, _| PortfolioQuery {
            tier: Some(Tier::Specialist),
            sort: PortfolioSort::Nps,
            descending: true,
            ..PortfolioQuery::default()
        }),
        ("portfolio page: eligible, by volume", |_, _, _| {
            PortfolioQuery {
                eligible_only: true,
                sort: PortfolioSort::RecurringVolume,
                ..PortfolioQuery::default()
            }
        }),
        ("portfolio page: searched", |i, _, words| PortfolioQuery {
            search: Some(words[i].clone()),
            ..PortfolioQuery::default()
        }),
    ];

    let mut rows = Vec::new();
    for (screen, query) in variants {
        rows.push(
            measure(screen, runs, |i| {
                let (desk, q) = (&desk, query(i, &offsets, &words));
                async move {
                    desk.portfolio(&q).await?;
                    Ok(())
                }
            })
            .await?,
        );
    }
    rows.push(
        measure("partner page (figures, progression)", runs, |i| {
            let (desk, id) = (&desk, &partner_sample[i]);
            async move {
                desk.partner_page(id).await?;
                Ok(())
            }
        })
        .await?,
    );
    rows.push(
        measure("ledger page (first 50 lines)", runs, |i| {
            let (desk, id) = (&desk, &partner_sample[i]);
            async move {
                desk.ledger(id, None, None).await?;
                Ok(())
            }
        })
        .await?,
    );
    // A page deep in the ledger: the cursor of the first page's last line, 50 lines back.
    let mut deep = Vec::with_capacity(partner_sample.len());
    for id in &partner_sample {
        deep.push(desk.ledger(id, None, Some(400)).await?.next);
    }
    rows.push(
        measure("ledger page (older, keyset)", runs, |i| {
            let (desk, id, after) = (&desk, &partner_sample[i], deep[i].clone());
            async move {
                desk.ledger(id, after.as_deref(), None).await?;
                Ok(())
            }
        })
        .await?,
    );
    rows.push(
        measure("customers page (50 rows)", runs, |i| {
            let (desk, id) = (&desk, &partner_sample[i]);
            async move {
                desk.customers(id, CustomerFilter::All, 0, None).await?;
                Ok(())
            }
        })
        .await?,
    );
    rows.push(
        measure("trends (12 months)", runs, |i| {
            let (desk, id) = (&desk, &partner_sample[i]);
            async move {
                desk.trends(id).await?;
                Ok(())
            }
        })
        .await?,
    );
    rows.push(
        measure("search (partners + customers)", runs, |i| {
            let (desk, text) = (&desk, &words[i]);
            async move {
                desk.search(text).await?;
                Ok(())
            }
        })
        .await?,
    );

    println!(
        "\nScreens benchmark report ({} partners, {} deployments, {runs} runs each)",
        ids.len(),
        config.deployments
    );
    println!(
        "{:<44} {:>9} {:>9} {:>9}  {:<12} met",
        "screen query", "p50 ms", "p95 ms", "max ms", "target"
    );
    println!("{}", "-".repeat(96));
    for row in &rows {
        let p95 = row.quantile(0.95);
        println!(
            "{:<44} {:>9} {:>9} {:>9}  {:<12} {}",
            row.screen,
            ms(row.quantile(0.5)),
            ms(p95),
            ms(row.quantile(1.0)),
            "p95 < 20 ms",
            if p95 < TARGET_P95 { "yes" } else { "NO" }
        );
    }
    desk.store().close().await;
    drop(temp);
    Ok(())
}
