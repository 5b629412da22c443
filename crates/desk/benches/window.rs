//! The window's start, measured through the window: the release app started as a user starts
//! it, on a display (Xvfb under `make bench`), timed by the page itself. The page tells the app
//! when it first painted and when it first painted the portfolio with data, and the app writes
//! the time since its process started in its log (`painted what=… ms=…`); this reads the log.
//!
//! - **First launch**: a new data folder each time, so the app makes the demo workspace's world
//!   while the window shows its steps. Target: first paint < 1 s (the window never sits blank).
//! - **Warm start**: the same folder again, the cache already there.
//!
//! Each start is one sample; the report gives the median and the slowest of each. Without the
//! app built (`make app`) or a display, it says so and measures nothing.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::BoxError;

const RUNS: usize = 5;
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

/// Stops the app however it is (a kill: the start is what is measured, not the end).
fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// One start on `data`: the first paint and the first paint with data, in ms since the process
/// started.
fn start(data: &Path) -> Result<(u64, u64), BoxError> {
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
            stop(child);
            return Ok((window, data));
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
    Ok(())
}
