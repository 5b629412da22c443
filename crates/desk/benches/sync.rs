//! The sync benchmark: an initial sync of a big workspace, end to end over loopback, against the
//! sqlite3 command-line tool importing the same rows; then an incremental sync. A report, not a
//! timed test: it prints its numbers and whether each target was met, and fails only if something
//! breaks.
//!
//!     make bench                                        # 1,000,000 deployments
//!     BENCH_DEPLOYMENTS=20000 make bench                # a quick smoke run
//!
//! What it does:
//! 1. Starts the reference central API in-process on 127.0.0.1:0 with a fresh database of N
//!    deployments (plus their customers, ledger and the rest). Generating it is setup: timed and
//!    printed, not measured.
//! 2. Puts a byte-counting TCP proxy in front of it, so "bytes on the wire" is what crossed the
//!    socket (the client asks for gzip).
//! 3. Runs the client as its own process, the headless `partner-desk-sync`, against a fresh data
//!    folder, timed end to end (process start to exit). The binary prints its peak memory.
//! 4. Exports the mirror's rows as SQL (multi-row INSERTs, exact values, NULLs included), applies
//!    the cache's migrations to a fresh database (same tables, same indexes) and times `sqlite3`
//!    importing them in one transaction, with the tool's default settings.
//!    Then, once, the encryption's own cost: the same script imported through this build's SQLite
//!    (SQLCipher) into the cache's schema, in plaintext and under a key. The client's cache is
//!    encrypted, as the app's is (under a key in the secret store `make bench` starts).
//! 5. Times the portfolio's first page on the synced cache, which first computes every
//!    partner's figures (target < 1 s). Then makes 1,000 changes on the server, a quarter each of
//!    customers renamed, monthly deployments ended, survey answers scored again and purchases,
//!    and times one `run_once` of an in-process `SyncEngine` on the synced cache, and it with the
//!    portfolio after it, which recomputes the figures of the partners the changes touched (and
//!    the search documents of those whose customers were only renamed) (target < 300 ms); and, as
//!    another row, the headless binary on another 1,000 such changes, process start included.
//!
//! Steps 3 and 4 run `BENCH_ROUNDS` times (default 3), one after the other, the client into a
//! fresh data folder each time: one run of either varies by about 10 % on these machines, so the
//! report gives the medians, and the ratio is the median of each round's own ratio (the client and
//! the tool measured minutes apart), with every round listed below it.
//!
//! `BENCH_DEPLOYMENTS` sets N; `BENCH_DIR` the folder for the databases (default: a temporary
//! folder, removed at the end; 1,000,000 deployments take a few GB); `BENCH_PAGE_SIZE` the
//! client's page size and `BENCH_WRITE_CACHE_MIB` its writing connection's page cache (default:
//! the client's own). With `BENCH_DIR` and `BENCH_REUSE_SERVER=1`,
//! the server's database from an earlier run is reused, and `BENCH_SKIP_SQLITE3=1` skips the
//! baseline (both handy when tuning the client; the report then has no ratio).

mod baseline;
mod client;
mod proxy;
mod report;
mod system;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use central_api::server::{self, RunningServer, ServerConfig};
use chrono::NaiveDate;
use desk::api::{ApiClient, Token};
use desk::store::{Store, CACHE_FILE};
use desk::sync::{SyncEngine, SyncOptions};
use desk::views::PortfolioQuery;
use program::contract::{
    Customer, Deployment, Entity, LedgerEntry, LedgerEntryId, NpsResponse, Role,
};

use baseline::{encryption_cost, export_sql, sqlite3_import};
use client::run_client;
use proxy::Proxy;
use report::{median, print_report, Phase};
use system::{command_output, cpu_secs, cpus, remove_db, which};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const DEFAULT_DEPLOYMENTS: usize = 1_000_000;
const TARGET_ROWS_PER_SEC: f64 = 50_000.0;
const TARGET_INCREMENTAL: Duration = Duration::from_millis(300);
const TARGET_FIRST_VIEW: Duration = Duration::from_secs(1);
const INCREMENTAL_CHANGES: usize = 1_000;
/// Rounds of the initial sync and the sqlite3 import when `BENCH_ROUNDS` is not set.
const DEFAULT_ROUNDS: usize = 3;

/// The mirrored tables, in the order the feed fills them (parents first).
const MIRROR_TABLES: &[&str] = &[
    "partners",
    "partner_brands",
    "catalog_items",
    "catalog_item_brands",
    "territories",
    "customers",
    "customer_migrations",
    "deployments",
    "nps_responses",
    "ledger_entries",
];

pub fn main() -> Result<(), BoxError> {
    let deployments = env_number("BENCH_DEPLOYMENTS")?.unwrap_or(DEFAULT_DEPLOYMENTS);
    let page_size = env_number("BENCH_PAGE_SIZE")?;
    let rounds = env_number("BENCH_ROUNDS")?.unwrap_or(DEFAULT_ROUNDS).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(deployments, page_size, rounds))
}

fn env_number(name: &str) -> Result<Option<usize>, BoxError> {
    match std::env::var(name) {
        Ok(v) => Ok(Some(
            v.replace(['_', ','], "")
                .parse()
                .map_err(|_| format!("{name}={v}: not a number"))?,
        )),
        Err(_) => Ok(None),
    }
}

async fn run(deployments: usize, page_size: Option<usize>, rounds: usize) -> Result<(), BoxError> {
    let kept_dir = std::env::var_os("BENCH_DIR").map(PathBuf::from);
    let temp = match &kept_dir {
        Some(_) => None,
        None => Some(tempfile::tempdir()?),
    };
    let dir = match (&kept_dir, &temp) {
        (Some(d), _) => d.clone(),
        (None, Some(t)) => t.path().to_path_buf(),
        (None, None) => unreachable!(),
    };
    std::fs::create_dir_all(&dir)?;
    let client_bin = PathBuf::from(env!("CARGO_BIN_EXE_partner-desk-sync"));
    let sqlite3 = which("sqlite3").ok_or("the sqlite3 command-line tool is not installed")?;

    println!(
        "sync benchmark: {deployments} deployments, {} CPUs, {rounds} round(s)",
        cpus()
    );
    println!("  data folder:  {}", dir.display());
    println!("  client:       {}", client_bin.display());
    println!(
        "  sqlite3 tool: {} ({})",
        sqlite3.display(),
        command_output(&sqlite3, &["-version"])?
            .split_whitespace()
            .next()
            .unwrap_or("?")
    );

    // 1. The server, with a fresh database (setup, not measured).
    let server_db = dir.join("central.sqlite3");
    if std::env::var_os("BENCH_REUSE_SERVER").is_none() || kept_dir.is_none() {
        remove_db(&server_db)?;
    }
    let started = Instant::now();
    let server = server::start(ServerConfig {
        deployments,
        ..ServerConfig::demo(&server_db, as_of())
    })
    .await?;
    let head = server.store().head().await?;
    println!(
        "setup: {} the server's workspace ({head} changes) in {:.1} s",
        if server.created_dataset() {
            "generated and loaded"
        } else {
            "reopened"
        },
        started.elapsed().as_secs_f64()
    );
    let partners = server.store().partner_ids().await?;
    let token = server
        .create_token("Benchmark Manager", Role::PlatformAccountManager, &partners)
        .await?;

    // 2. The byte-counting proxy.
    let proxy = Proxy::start(server.addr()).await?;
    let url = format!("http://{}", proxy.addr);

    // 3. The initial sync, by the headless client in its own process.
    let data_dir = dir.join("client");
    if data_dir.exists() {
        std::fs::remove_dir_all(&data_dir)?;
    }
    proxy.reset();
    println!("initial sync: running {} ...", client_bin.display());
    let server_cpu = cpu_secs();
    let first = run_client(&client_bin, &data_dir, &url, &token, page_size).await?;
    let server_cpu = cpu_secs()
        .zip(server_cpu)
        .map(|(after, before)| after - before);
    let first_bytes = proxy.total();
    println!("  client said: {}", first.summary);
    let mut notes = Vec::new();
    if let Some((user, system)) = first.cpu {
        notes.push(format!(
            "initial sync: the client process used {user:.1} s user + {system:.1} s system CPU"
        ));
    }
    if let Some(cpu) = server_cpu {
        notes.push(format!(
            "initial sync: the server and proxy (this process) used {cpu:.1} s CPU meanwhile"
        ));
    }

    let mirror = data_dir.join(CACHE_FILE);
    // Opening the synced cache as a start does: its key from the secret store, every page's
    // authentication code checked, the schema checked.
    let started = Instant::now();
    let store = Store::open(&mirror).await?;
    let opening = started.elapsed();
    let cache_bytes = std::fs::metadata(&mirror)?.len();
    if let Some(written) = first.disk_writes {
        notes.push(format!(
            "initial sync: wrote {:.2} bytes to disk per byte of the synced cache ({written} for {cache_bytes})",
            written as f64 / cache_bytes as f64
        ));
    }
    let mut rows = 0u64;
    let mut per_table = String::new();
    for table in MIRROR_TABLES {
        let n = count(&store, table).await?;
        rows += n;
        let _ = write!(per_table, " {table} {n},");
    }
    println!(
        "  mirror rows: {rows} ({})",
        per_table.trim_end_matches(',')
    );
    if rows != head {
        // Child rows (brands) are not changes of their own; the rest must match one to one.
        println!("  (the feed had {head} changes; brand rows are part of their parent's change)");
    }

    // 4. The sqlite3 baseline: the same rows, the same schema, one transaction. Then the
    // further rounds of both.
    let script = if std::env::var_os("BENCH_SKIP_SQLITE3").is_some() {
        None
    } else {
        Some(export_sql(&store, &dir, rows).await?)
    };
    store.close().await;
    let mut syncs = vec![first.secs];
    let mut peak_rss_kb = first.peak_rss_kb;
    let mut baselines = Vec::new();
    for round in 1..=rounds {
        if round > 1 {
            std::fs::remove_dir_all(&data_dir)?;
            println!("initial sync, round {round} of {rounds} ...");
            let again = run_client(&client_bin, &data_dir, &url, &token, page_size).await?;
            println!("  client said: {}", again.summary);
            syncs.push(again.secs);
            peak_rss_kb = peak_rss_kb.max(again.peak_rss_kb);
        }
        if let Some(script) = &script {
            baselines.push(sqlite3_import(&sqlite3, script, &dir, rows)?);
        }
    }
    // What encrypting costs: the same script through this build's SQLite, plaintext and keyed.
    let encryption = match &script {
        Some(script) => Some(encryption_cost(script, &dir).await?),
        None => None,
    };
    if let Some(script) = &script {
        std::fs::remove_file(script)?;
    }
    // Each round's own ratio: the tool's time over the client's, for the same rows.
    let ratios: Vec<f64> = baselines
        .iter()
        .zip(&syncs)
        .map(|(tool, client)| tool / client.max(1e-9))
        .collect();
    for (i, client) in syncs.iter().enumerate() {
        notes.push(match (baselines.get(i), ratios.get(i)) {
            (Some(tool), Some(ratio)) => format!(
                "round {}: initial sync {client:.2} s, sqlite3 import {tool:.2} s, ratio {ratio:.2}",
                i + 1
            ),
            _ => format!("round {}: initial sync {client:.2} s", i + 1),
        });
    }
    let sync_secs = median(&syncs);
    let baseline_secs = (!baselines.is_empty()).then(|| median(&baselines));
    let ratio = (!ratios.is_empty()).then(|| median(&ratios));
    let store = Store::open(&mirror).await?;

    // The portfolio's first page once the first sync is in: it computes every partner's figures
    // first (derived data, after the sync proper), as the window's first view does.
    let started = Instant::now();
    let figured = desk::portfolio::list(&store, &PortfolioQuery::default())
        .await?
        .total;
    let first_view = started.elapsed();

    // 5. Incremental sync: 1,000 changes of the platform's ordinary activity (customers renamed,
    // deployments ended, survey answers, purchases), one in-process round.
    let [in_process, binary] = Activity::pick(&store, INCREMENTAL_CHANGES).await?;
    in_process.apply(&server, "Renamed in benchmark").await?;
    let api = ApiClient::new(url.parse()?, Token::new(token.clone()))?;
    let mut options = SyncOptions::default();
    if let Some(n) = page_size {
        options.page_size = u32::try_from(n)?;
    }
    let engine = SyncEngine::new(store.clone(), api, options).await?;
    proxy.reset();
    let started = Instant::now();
    let report = engine.run_once().await?;
    let incremental = started.elapsed();
    let incremental_bytes = proxy.total();
    assert_eq!(report.changes, in_process.len() as u64);
    // And the portfolio after it, with the figures of the partners the changes touched.
    let (refigured, researched): (i64, i64) = sqlx::query_as(
        "SELECT coalesce(sum(figures), 0), count(*) - coalesce(sum(figures), 0) FROM figures_dirty",
    )
    .fetch_one(store.pool())
    .await?;
    let started = Instant::now();
    desk::portfolio::list(&store, &PortfolioQuery::default()).await?;
    let incremental_view = started.elapsed();
    drop(engine);
    store.close().await;

    // The same through the headless binary, process start and cache opening included.
    binary.apply(&server, "Renamed again in benchmark").await?;
    proxy.reset();
    let second = run_client(&client_bin, &data_dir, &url, &token, page_size).await?;
    let second_bytes = proxy.total();
    println!("  client said: {}", second.summary);

    // The report.
    let client_rate = rows as f64 / sync_secs.max(1e-9);
    let mut phases = vec![Phase {
        name: "initial sync (partner-desk-sync process)",
        rows,
        secs: sync_secs,
        bytes: Some(first_bytes),
        peak_rss_kb,
        ratio,
        target: ">= 50,000 rows/s, ratio >= 1.0",
        met: Some(client_rate >= TARGET_ROWS_PER_SEC && ratio.is_some_and(|r| r >= 1.0)),
    }];
    if let Some(secs) = baseline_secs {
        phases.push(Phase {
            name: "sqlite3 tool import (1 transaction)",
            rows,
            secs,
            bytes: None,
            peak_rss_kb: None,
            ratio: Some(1.0),
            target: "baseline",
            met: None,
        });
    }
    if let Some((plaintext, encrypted)) = encryption {
        for (name, secs, target) in [
            (
                "SQLite import, this build, plaintext",
                plaintext,
                "(encryption's cost: baseline)",
            ),
            (
                "SQLCipher import, this build, encrypted",
                encrypted,
                "(encryption's cost)",
            ),
        ] {
            phases.push(Phase {
                name,
                rows,
                secs,
                bytes: None,
                peak_rss_kb: None,
                ratio: Some(plaintext / secs.max(1e-9)),
                target,
                met: None,
            });
        }
        notes.push(format!(
            "encryption: the same rows import {:.1} % slower encrypted ({encrypted:.2} s) than in \
             plaintext ({plaintext:.2} s), through this build's SQLite",
            (encrypted / plaintext.max(1e-9) - 1.0) * 100.0
        ));
    }
    phases.push(Phase {
        name: "opening the synced cache (integrity checked)",
        rows,
        secs: opening.as_secs_f64(),
        bytes: Some(cache_bytes),
        peak_rss_kb: None,
        ratio: None,
        target: "(informative: bytes = the cache's size)",
        met: None,
    });
    phases.push(Phase {
        name: "incremental sync (in-process run_once)",
        rows: report.changes,
        secs: incremental.as_secs_f64(),
        bytes: Some(incremental_bytes),
        peak_rss_kb: None,
        ratio: None,
        target: "(informative: without figures)",
        met: None,
    });
    phases.push(Phase {
        name: "incremental round with figures (+ portfolio)",
        rows: report.changes,
        secs: (incremental + incremental_view).as_secs_f64(),
        bytes: None,
        peak_rss_kb: None,
        ratio: None,
        target: "< 300 ms",
        met: Some(incremental + incremental_view < TARGET_INCREMENTAL),
    });
    notes.push(format!(
        "incremental round: the portfolio after it recomputed the figures of {refigured} \
         partners (and the search documents of {researched} more) in {:.2} s",
        incremental_view.as_secs_f64()
    ));
    phases.push(Phase {
        name: "first portfolio view after the first sync",
        rows: u64::from(figured),
        secs: first_view.as_secs_f64(),
        bytes: None,
        peak_rss_kb: None,
        ratio: None,
        target: "< 1 s (rows: partners)",
        met: Some(first_view < TARGET_FIRST_VIEW),
    });
    phases.push(Phase {
        name: "incremental sync (partner-desk-sync process)",
        rows: binary.len() as u64,
        secs: second.secs,
        bytes: Some(second_bytes),
        peak_rss_kb: second.peak_rss_kb,
        ratio: None,
        target: "(informative: process start)",
        met: None,
    });
    print_report(deployments, &phases);
    for note in notes {
        println!("  {note}");
    }

    server.shutdown().await?;
    proxy.stop();
    drop(temp);
    Ok(())
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date")
}

async fn count(store: &Store, table: &str) -> Result<u64, BoxError> {
    let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(store.pool())
        .await?;
    Ok(u64::try_from(n)?)
}

/// A round's worth of the platform's ordinary activity, a quarter of it each: customers renamed,
/// monthly deployments ended, survey answers scored again, credit purchases (ids of rows the
/// cache holds; a purchase is a new line made after one of these).
struct Activity {
    customers: Vec<String>,
    deployments: Vec<String>,
    answers: Vec<String>,
    purchases: Vec<String>,
}

impl Activity {
    /// Two rounds' worth of `n` changes each, on different rows.
    async fn pick(store: &Store, n: usize) -> Result<[Activity; 2], BoxError> {
        let quarter = n / 4;
        let ids = |sql: &'static str| {
            let store = store.clone();
            async move {
                let ids: Vec<String> = sqlx::query_scalar(sql)
                    .bind((quarter * 2) as i64)
                    .fetch_all(store.pool())
                    .await?;
                if ids.len() < quarter * 2 {
                    return Err(BoxError::from(format!("too few rows for: {sql}")));
                }
                let second = ids[quarter..].to_vec();
                Ok::<_, BoxError>((ids[..quarter].to_vec(), second))
            }
        };
        let (c1, c2) = ids("SELECT id FROM customers ORDER BY id LIMIT ?").await?;
        let (d1, d2) = ids(
            "SELECT id FROM deployments WHERE billing = 'monthly' AND ended_on IS NULL \
             ORDER BY id LIMIT ?",
        )
        .await?;
        let (a1, a2) = ids("SELECT id FROM nps_responses ORDER BY id LIMIT ?").await?;
        let (p1, p2) =
            ids("SELECT id FROM ledger_entries WHERE kind = 'purchase' ORDER BY id LIMIT ?")
                .await?;
        Ok([
            Activity {
                customers: c1,
                deployments: d1,
                answers: a1,
                purchases: p1,
            },
            Activity {
                customers: c2,
                deployments: d2,
                answers: a2,
                purchases: p2,
            },
        ])
    }

    fn len(&self) -> usize {
        self.customers.len() + self.deployments.len() + self.answers.len() + self.purchases.len()
    }

    /// Makes the changes on the server, one write each (as the platform would make them).
    async fn apply(&self, server: &RunningServer, tag: &str) -> Result<(), BoxError> {
        let store = server.store();
        let get = |entity: Entity, id: &str| {
            let id = id.to_string();
            async move {
                store
                    .get(entity, &id)
                    .await?
                    .ok_or_else(|| BoxError::from(format!("{entity:?} {id} is not on the server")))
            }
        };
        for (i, id) in self.customers.iter().enumerate() {
            let mut customer: Customer = serde_json::from_value(get(Entity::Customer, id).await?)?;
            customer.name = format!("{tag} {i}");
            store.upsert_customer(&customer).await?;
        }
        for id in &self.deployments {
            let mut deployment: Deployment =
                serde_json::from_value(get(Entity::Deployment, id).await?)?;
            deployment.ended_on = deployment.started_on.succ_opt();
            store.upsert_deployment(&deployment).await?;
        }
        for id in &self.answers {
            let mut answer: NpsResponse =
                serde_json::from_value(get(Entity::NpsResponse, id).await?)?;
            answer.score = (answer.score + 5) % 11;
            store.upsert_nps(&answer).await?;
        }
        for id in &self.purchases {
            let mut line: LedgerEntry =
                serde_json::from_value(get(Entity::LedgerEntry, id).await?)?;
            line.id = LedgerEntryId(uuid::Uuid::now_v7());
            store.append_ledger(&line).await?;
        }
        Ok(())
    }
}
