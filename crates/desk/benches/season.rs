//! The QBR season: every Regional and Strategic partner's review (the deck as PDF and PPTX, and
//! the workbook) of a 10,000-partner workspace, written by `Desk::export_reviews` as
//! `partner-desk-qbr` writes them. A report, not a timed test.
//!
//!     BENCHES=season make bench
//!     BENCH_SEASON_PARTNERS=1000 BENCHES=season make bench      # a quick run
//!
//! - **One core against every core**: the same first `BENCH_SEASON_SAMPLE` reviews (default 60)
//!   written one at a time with the process held to one CPU (`taskset`), then as many at a time
//!   as `partner-desk-qbr` writes by default (`BENCH_SEASON_JOBS`) on every CPU: decks per second
//!   each way, how busy the cores were, and the ratio (target ≥ 1.8× on 2 cores).
//! - **The whole season**, as many at a time: decks per second, and the process's resident memory
//!   after the first 100 decks, at the end and at its highest (flat: no growth per deck).
//!
//! Setup (timed and printed, not measured): the demo generator's data at 10 customers and 100
//! deployments per partner, loaded into a new cache. Files are deleted as they are written.

use std::time::{Duration, Instant};

use central_api::demo::generate;
use desk::export::Lang;
use desk::qbr::{Audience, ReviewFiles};
use desk::views::WorkspaceKind;
use desk::Desk;

use crate::{env_number, status_kb, BoxError};

const QUARTER: &str = "2026-Q3";
const TARGET_RATIO: f64 = 1.8;
/// The decks after which memory is first read: the caches filled, the season's baseline.
const SETTLED_AFTER: usize = 100;

/// This process's resident memory, MB.
fn rss_mb() -> f64 {
    status_kb(std::process::id(), "VmRSS:").map_or(0.0, |kb| kb as f64 / 1024.0)
}

/// The CPU time this process used so far (user and system), from `/proc/self/stat`.
fn cpu_time() -> Duration {
    let ticks = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // Fields after the command name; utime and stime are the 14th and 15th of the line.
            let fields: Vec<u64> = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|f| f.parse().ok())
                .collect();
            Some(fields.iter().sum::<u64>())
        })
        .unwrap_or(0);
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

/// Lets every thread of this process (and those it starts later) run on the first `cores` CPUs
/// only, with util-linux's `taskset`; false when it could not.
fn run_on(cores: usize) -> bool {
    std::process::Command::new("taskset")
        .args(["-a", "-p", "-c", &format!("0-{}", cores.max(1) - 1)])
        .arg(std::process::id().to_string())
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Deletes a review's files once written: the season's disk use stays flat.
fn remove(files: &ReviewFiles) {
    for path in [&files.deck, &files.slides, &files.workbook] {
        let _ = std::fs::remove_file(path);
    }
}

pub fn main() -> Result<(), BoxError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> Result<(), BoxError> {
    let partners = env_number("BENCH_SEASON_PARTNERS", 10_000)?.max(12);
    let sample = env_number("BENCH_SEASON_SAMPLE", 60)?.max(2);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // How many reviews at once on every core: `partner-desk-qbr`'s default unless told.
    let jobs = env_number("BENCH_SEASON_JOBS", desk::qbr::default_jobs())?.max(1);
    let (config, as_of) = (crate::big_workspace(partners * 100), crate::as_of());
    let dir = tempfile::tempdir()?;
    let out = tempfile::tempdir()?;
    let started = Instant::now();
    let data = generate(&config);
    let desk = Desk::open(dir.path()).await?;
    desk.load_workspace(&data, WorkspaceKind::Demo, as_of)
        .await?;
    drop(data);
    let season: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, name FROM partners WHERE tier IN ('regional', 'strategic') ORDER BY name, id",
    )
    .fetch_all(desk.store().pool())
    .await?;
    println!(
        "season: {} Regional and Strategic partners' reviews of {partners} partners ({}); {cores} \
         CPUs; setup {:.1} s",
        season.len(),
        QUARTER,
        started.elapsed().as_secs_f64()
    );
    if season.len() < sample {
        return Err(format!("only {} partners have QBRs", season.len()).into());
    }

    // A warm-up (fonts, templates), then the same sample one at a time and one per core.
    let write = |list: &[(String, String)], jobs: usize| {
        let (desk, out) = (desk.clone(), out.path().to_path_buf());
        let list = list.to_vec();
        async move {
            let (started, cpu) = (Instant::now(), cpu_time());
            let failed = desk
                .export_reviews(
                    &list,
                    QUARTER,
                    Lang::En,
                    Audience::Partner,
                    &out,
                    jobs,
                    |_, r| {
                        if let Ok(files) = r {
                            remove(files);
                        }
                    },
                )
                .await;
            (started.elapsed(), cpu_time() - cpu, failed)
        }
    };
    let mut failures = write(&season[..2], 1).await.2;
    // One core: the process held to one CPU (one review alone keeps more than one busy: typst
    // lays pages out in parallel, SQLite reads on a thread of its own).
    let pinned = run_on(1);
    let (one, one_cpu, failed) = write(&season[..sample], 1).await;
    if pinned && !run_on(cores) {
        return Err("could not let the process use every CPU again (taskset)".into());
    }
    failures.extend(failed);
    let (every, every_cpu, failed) = write(&season[..sample], jobs).await;
    failures.extend(failed);
    // How busy the cores were: a batch that waits on the disk (each file is synced before it is
    // renamed into place) gains less from more cores than one that typesets.
    let busy = |cpu: Duration, took: Duration, n: usize| {
        100.0 * cpu.as_secs_f64() / (took.as_secs_f64() * n as f64).max(1e-9)
    };
    let rate = |n: usize, took: Duration| n as f64 / took.as_secs_f64().max(1e-9);
    let ratio = rate(sample, every) / rate(sample, one);
    println!(
        "  {sample} reviews one at a time, {}  {:>8.2} decks/s   {:.0} % busy",
        if pinned {
            "on one core"
        } else {
            "on any core (no taskset)"
        },
        rate(sample, one),
        busy(one_cpu, one, 1)
    );
    println!(
        "  {sample} reviews, {jobs} at a time          {:>8.2} decks/s   {cores} cores {:.0} % busy; \
         ratio {ratio:.2}× (target ≥ {TARGET_RATIO}×: {})",
        rate(sample, every),
        busy(every_cpu, every, cores),
        if ratio >= TARGET_RATIO {
            "met"
        } else {
            "NOT met"
        }
    );

    // The whole season, one per core, its memory read as it goes.
    let (mut settled, mut highest, mut written) = (None, 0.0_f64, 0_usize);
    let started = Instant::now();
    let failed = desk
        .export_reviews(
            &season,
            QUARTER,
            Lang::En,
            Audience::Partner,
            out.path(),
            jobs,
            |_, r| {
                if let Ok(files) = r {
                    remove(files);
                }
                written += 1;
                let now = rss_mb();
                highest = highest.max(now);
                if written == SETTLED_AFTER {
                    settled = Some(now);
                }
            },
        )
        .await;
    let took = started.elapsed();
    let end = rss_mb();
    println!(
        "  the season: {} reviews in {:.1} s, {:.2} decks/s ({jobs} at a time)",
        season.len(),
        took.as_secs_f64(),
        rate(season.len(), took)
    );
    if let Some(settled) = settled {
        let growth = (end - settled) * 1024.0 / (season.len() - SETTLED_AFTER).max(1) as f64;
        println!(
            "  memory: {settled:.0} MB after {SETTLED_AFTER} decks, {end:.0} MB at the end, \
             highest {highest:.0} MB: {growth:+.1} kB per deck after the first {SETTLED_AFTER}"
        );
    }
    failures.extend(failed);
    if let Some((name, e)) = failures.first() {
        return Err(format!("{} reviews failed, e.g. {name}: {e}", failures.len()).into());
    }
    Ok(())
}
