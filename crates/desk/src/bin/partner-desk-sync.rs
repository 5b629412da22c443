//! `partner-desk-sync`: the app's sync engine without a window, for scripts and benchmarks.
//!
//! Syncs the cache in a data folder with a central API once and prints a summary. The token is
//! read from the `PARTNER_DESK_TOKEN` environment variable (never from the command line, where
//! other users could read it). On Linux it also prints its peak memory (`VmHWM`), which the sync
//! benchmark (`make bench`) reports.
//!
//!     PARTNER_DESK_TOKEN=… partner-desk-sync --data-dir DIR --url https://api.example.com

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use desk::api::{parse_base_url, ApiClient, Token};
use desk::store::CACHE_FILE;
use desk::sync::{SyncEngine, SyncOptions};
use desk::workspace::ACCOUNT;

/// Syncs the cache in a data folder with a central API once. The token is read from
/// PARTNER_DESK_TOKEN, never from the command line.
#[derive(Debug, Parser)]
#[command(name = "partner-desk-sync", version, about)]
struct Args {
    /// The data folder whose cache is synced (created if missing).
    #[arg(long)]
    data_dir: PathBuf,
    /// The central API's base URL.
    #[arg(long)]
    url: String,
    /// Changes per page of the feed.
    #[arg(long)]
    page_size: Option<u32>,
    /// The page cache, in MiB, of the connection that writes the pages (memory against speed).
    #[arg(long)]
    write_cache_mib: Option<u32>,
    /// Delete the cache if it holds another account's data, and sync this one into a new one
    /// (without it, such a cache is refused).
    #[arg(long)]
    wipe: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("partner-desk-sync: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let token = std::env::var("PARTNER_DESK_TOKEN")
        .map_err(|_| "set PARTNER_DESK_TOKEN to the API token")?;
    let base = parse_base_url(&args.url)?;
    // First the cache (refused while another process holds it), then whose data it is to hold:
    // the account of the token, as the app names it.
    // A damaged cache is set aside and its waiting changes carried into a new one, as the app
    // does; this sync then refills it.
    let (mut store, recovered) = desk::recovery::open(&args.data_dir.join(CACHE_FILE)).await?;
    if let Some(r) = recovered {
        eprintln!(
            "partner-desk-sync: the cache could not be read ({:?}); it was moved to {} and a new \
             one started, keeping {} of the changes waiting to be sent{}",
            r.damage,
            r.moved_to,
            r.changes_kept,
            if r.outbox_read {
                ""
            } else {
                " (the old outbox could not be read)"
            }
        );
    }
    let api = ApiClient::new(base.clone(), Token::new(token))?;
    let account = format!("{}#{}", base.as_str(), api.me().await?.user);
    match store.get_state(ACCOUNT).await? {
        Some(other) if other != account && !args.wipe => {
            return Err(format!(
                "the cache in {} holds the data of another account ({other}); pass --wipe to \
                 delete it and sync {account} instead",
                args.data_dir.display()
            )
            .into())
        }
        Some(other) if other != account => store = store.renew().await?,
        _ => {}
    }
    store.set_state(ACCOUNT, &account).await?;
    let mut options = SyncOptions::default();
    if let Some(n) = args.page_size {
        options.page_size = n;
    }
    if let Some(n) = args.write_cache_mib {
        options.write_cache_mib = n;
    }
    let engine = SyncEngine::new(store, api, options).await?;
    let started = Instant::now();
    let report = engine.run_once().await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "synced {} changes in {} pages ({} bytes) in {:.2} s ({:.0} changes/s); pushed {}, refused {}, rebuilds {}; cursor {}",
        report.changes,
        report.pages,
        report.bytes,
        secs,
        report.changes as f64 / secs.max(1e-9),
        report.pushed,
        report.rejected,
        report.rebuilds,
        report.cursor
    );
    println!(
        "time: writing {:.2} s (building indexes {:.2} s of it), waiting for pages {:.2} s",
        report.writing.as_secs_f64(),
        report.building_indexes.as_secs_f64(),
        report.waiting.as_secs_f64()
    );
    if let Some(kb) = peak_rss_kb() {
        println!("peak memory (VmHWM): {kb} kB");
    }
    if let Some((user, system)) = cpu_secs() {
        println!("cpu time: user {user:.2} s, system {system:.2} s");
    }
    if let Some(bytes) = disk_writes() {
        println!("disk writes: {bytes} bytes");
    }
    Ok(())
}

/// The CPU time the process used so far, user and system, in seconds (Linux only).
#[cfg(target_os = "linux")]
fn cpu_secs() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces, within parentheses).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, in USER_HZ (100 on Linux).
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok().map(|t| t / 100.0);
    Some((ticks(11)?, ticks(12)?))
}

#[cfg(not(target_os = "linux"))]
fn cpu_secs() -> Option<(f64, f64)> {
    None
}

/// The bytes the process caused to be written to storage so far (Linux only).
#[cfg(target_os = "linux")]
fn disk_writes() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    let line = io.lines().find(|l| l.starts_with("write_bytes:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(not(target_os = "linux"))]
fn disk_writes() -> Option<u64> {
    None
}

/// The process's peak resident set size, from `/proc/self/status` (Linux only).
#[cfg(target_os = "linux")]
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(not(target_os = "linux"))]
fn peak_rss_kb() -> Option<u64> {
    None
}
