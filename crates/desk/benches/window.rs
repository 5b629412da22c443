//! The window's start, measured through the window: the release app started as a user starts
//! it, on a display (Xvfb under `make bench`), timed by the page itself. The page tells the app
//! when it first painted and when it first painted the portfolio with data, and the app writes
//! the time since its process started in its log (`painted what=… ms=…`); this reads the log.
//!
//! - **First launch**: a new data folder each time, so the app makes the demo workspace's world
//!   while the window shows its steps. Target: first paint < 1 s (the window never sits blank).
//! - **Warm start**: the same folder again, the cache already there.
//! - **The big portfolio**: a signed-in account's cache of 10,000 partners, 100,000 customers and
//!   1,000,000 deployments (`BENCH_WINDOW_DEPLOYMENTS`; 0 leaves it out), its central API out of
//!   reach (the laptop offline, so every sample opens the same cache). Target: the portfolio
//!   painted with data < 1 s; and the memory the app holds sitting on it, 3 s after: the app
//!   process's resident set (target < 250 MB) and the proportional share of the app with its
//!   WebKit processes. The setup (generating the data, loading it, the figures) is timed and
//!   printed, not measured; the files are in the OS's page cache when the app starts.
//!
//! Each start is one sample; the report gives the median and the slowest of each. Without the
//! app built (`make app`) or a display, it says so and measures nothing.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use central_api::demo::generate;
use desk::credentials::{Credentials, Token};
use desk::views::WorkspaceKind;
use desk::workspace::{ACCOUNT, BASE_URL};
use desk::Desk;

use crate::{env_number, status_kb, BoxError};

const RUNS: usize = 5;
/// Where the big portfolio's account syncs from: a loopback port nothing listens on.
const UNREACHABLE: &str = "http://127.0.0.1:9/";
/// How long the app sits on its portfolio before its memory is read.
const SETTLE: Duration = Duration::from_secs(3);
/// The longest a start may take before the sample counts as failed.
const PATIENCE: Duration = Duration::from_secs(60);

fn app() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/partner-desk")
}

/// The `ms` of the log's `painted` line for `what`, once written.
fn painted(logs: &Path, what: &str) -> Option<u64> {
    let entries = std::fs::read_dir(logs).ok()?;
    let needle = format!("what={what} ");
    entries.flatten().find_map(|entry| {
        let text = std::fs::read_to_string(entry.path()).ok()?;
        let line = text
            .lines()
            .find(|l| l.contains("painted") && l.contains(&needle))?;
        let ms = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("ms="))?;
        ms.parse().ok()
    })
}

/// Whether a log in `logs` has a line containing `text`.
fn log_has(logs: &Path, text: &str) -> bool {
    std::fs::read_dir(logs)
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| {
            std::fs::read_to_string(entry.path()).is_ok_and(|t| t.lines().any(|l| l.contains(text)))
        })
}

/// Stops the app however it is (a kill: the start is what is measured, not the end).
fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// One start on `data`: the first paint and the first paint with data, in ms since the process
/// started.
fn start(data: &Path) -> Result<(u64, u64), BoxError> {
    let (paints, child) = start_kept(data)?;
    stop(child);
    Ok(paints)
}

/// As [`start`], leaving the app running.
fn start_kept(data: &Path) -> Result<((u64, u64), Child), BoxError> {
    let logs = data.join("logs");
    let _ = std::fs::remove_dir_all(&logs);
    let exports = data.join("exports");
    let child = Command::new(app())
        .env("PARTNER_DESK_DATA_DIR", data)
        .env("PARTNER_DESK_EXPORT_DIR", &exports)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let begun = Instant::now();
    loop {
        if let (Some(window), Some(data)) = (painted(&logs, "window"), painted(&logs, "data")) {
            return Ok(((window, data), child));
        }
        if begun.elapsed() > PATIENCE {
            stop(child);
            return Err(
                format!("no painted lines in {} after {PATIENCE:?}", logs.display()).into(),
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn median(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

fn line(name: &str, samples: &mut [u64], target: Option<u64>) {
    let worst = samples.iter().copied().max().unwrap_or(0);
    let m = median(samples);
    let verdict = match target {
        Some(t) if m < t => format!("  target < {t} ms: met"),
        Some(t) => format!("  target < {t} ms: NOT met"),
        None => String::new(),
    };
    println!("  {name:<44} median {m:>6} ms   slowest {worst:>6} ms{verdict}");
}

pub fn main() -> Result<(), BoxError> {
    println!("window: the app's start, timed by its page ({RUNS} starts each)");
    if !app().exists() {
        println!("  skipped: {} is not built (make app)", app().display());
        return Ok(());
    }
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        println!("  skipped: no display (make bench runs under Xvfb)");
        return Ok(());
    }
    let (mut first_paint, mut first_data) = (Vec::new(), Vec::new());
    let mut kept = None;
    for _ in 0..RUNS {
        let dir = tempfile::tempdir()?;
        let (paint, data) = start(dir.path())?;
        first_paint.push(paint);
        first_data.push(data);
        kept = Some(dir);
    }
    let kept = kept.ok_or("no run")?;
    let (mut warm_paint, mut warm_data) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let (paint, data) = start(kept.path())?;
        warm_paint.push(paint);
        warm_data.push(data);
    }
    line("first launch: first paint", &mut first_paint, Some(1000));
    line(
        "first launch: portfolio painted with data",
        &mut first_data,
        None,
    );
    line("warm start: first paint", &mut warm_paint, Some(1000));
    line(
        "warm start: portfolio painted with data",
        &mut warm_data,
        Some(1000),
    );
    big_portfolio()
}

/// The big portfolio's starts and the memory the app holds on it.
fn big_portfolio() -> Result<(), BoxError> {
    let deployments = env_number("BENCH_WINDOW_DEPLOYMENTS", 1_000_000)?;
    if deployments == 0 {
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let partners = big_cache(dir.path(), deployments)?;
    let (mut paint, mut data) = (Vec::new(), Vec::new());
    let mut memory = None;
    for run in 0..RUNS {
        let ((p, d), child) = start_kept(dir.path())?;
        if log_has(&dir.path().join("logs"), "StartingDemo") {
            stop(child);
            return Err("the app opened the demo workspace, not the big cache's account".into());
        }
        paint.push(p);
        data.push(d);
        if run == 0 {
            std::thread::sleep(SETTLE);
            memory = Some(Memory::of(child.id()));
        }
        stop(child);
    }
    println!("  the big portfolio: {partners} partners, {deployments} deployments, offline");
    line("big portfolio: first paint", &mut paint, Some(1000));
    line(
        "big portfolio: portfolio painted with data",
        &mut data,
        Some(1000),
    );
    if let Some(memory) = memory {
        memory.print();
    }
    Ok(())
}

/// A remote account's cache of `deployments` (`crate::big_workspace`) in `dir`, its token in the secret store as a sign-in leaves it.
/// Returns the number of partners.
fn big_cache(dir: &Path, deployments: usize) -> Result<usize, BoxError> {
    let (config, as_of) = (crate::big_workspace(deployments), crate::as_of());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let started = Instant::now();
        let data = generate(&config);
        let generated = started.elapsed();
        let started = Instant::now();
        let desk = Desk::open(dir).await?;
        desk.load_workspace(&data, WorkspaceKind::Remote, as_of)
            .await?;
        let loaded = started.elapsed();
        let started = Instant::now();
        desk::figures::refresh(&desk.store()).await?;
        let account = format!("{UNREACHABLE}#bench");
        let store = desk.store();
        store.set_state(ACCOUNT, &account).await?;
        store.set_state(BASE_URL, UNREACHABLE).await?;
        desk::secrets::store_credentials(&account, &Credentials::token(Token::new("bench")))
            .await?;
        store.close().await;
        println!(
            "  setup: {} partners, {deployments} deployments generated in {:.1} s, loaded in \
             {:.1} s, figures in {:.1} s",
            config.partners,
            generated.as_secs_f64(),
            loaded.as_secs_f64(),
            started.elapsed().as_secs_f64()
        );
        Ok::<_, BoxError>(config.partners)
    })
}

/// The memory of the app and the processes it started (WebKit's web and network processes).
struct Memory {
    /// The app process's resident set, kB.
    app_rss: u64,
    /// Proportional set sizes (shared pages split between their users), kB, summed over the app
    /// and its descendants, and how many processes that is.
    tree_pss: u64,
    processes: usize,
}

impl Memory {
    fn of(pid: u32) -> Memory {
        let tree = descendants(pid);
        Memory {
            app_rss: status_kb(pid, "VmRSS:").unwrap_or(0),
            tree_pss: tree.iter().filter_map(|&p| pss_kb(p)).sum(),
            processes: tree.len(),
        }
    }

    fn print(&self) {
        let mb = |kb: u64| kb as f64 / 1024.0;
        let verdict = if mb(self.app_rss) < 250.0 {
            "met"
        } else {
            "NOT met"
        };
        println!(
            "  big portfolio: memory {SETTLE:?} after: the app {:.0} MB resident (target < 250 MB: \
             {verdict}); with its WebKit processes {:.0} MB proportional ({} processes)",
            mb(self.app_rss),
            mb(self.tree_pss),
            self.processes
        );
    }
}

/// `pid` and every process below it.
fn descendants(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u64)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let p: u32 = e.file_name().to_str()?.parse().ok()?;
            Some((p, status_kb(p, "PPid:")?))
        })
        .collect();
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let parent = u64::from(tree[i]);
        tree.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    tree
}

/// The process's proportional set size, kB (`/proc/<pid>/smaps_rollup`).
fn pss_kb(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let line = text.lines().find(|l| l.starts_with("Pss:"))?;
    line["Pss:".len()..].split_whitespace().next()?.parse().ok()
}
