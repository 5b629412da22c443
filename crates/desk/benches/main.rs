//! The benchmarks: reports, not timed tests. Each prints its numbers and whether each target was
//! met, and fails only if something breaks. One binary (they share the desk, the reference
//! server and sqlx, compiled once); name the ones to run after `--`, none for all:
//!
//!     make bench                         # every benchmark
//!     BENCHES="sync qbr" make bench      # cargo bench --bench benches -- sync qbr
//!     BENCH_LOG=desk=debug make bench    # with the desk's log (to stderr)

mod qbr;
mod quotes;
mod screens;
mod season;
mod sync;
mod window;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

type Bench = fn() -> Result<(), BoxError>;

/// The day the benchmarks' workspaces are as of (the test servers' day).
fn as_of() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date")
}

/// A workspace of `deployments` in the big benchmarks' proportions, the screens', the season's
/// and the window's: 10 customers and 100 deployments a partner (10,000 partners at 1,000,000
/// deployments), 12 partners at least.
fn big_workspace(deployments: usize) -> central_api::demo::DemoConfig {
    central_api::demo::DemoConfig {
        partners: (deployments / 100).max(12),
        customers: deployments / 10,
        deployments,
        ..central_api::demo::DemoConfig::with_deployments(as_of(), deployments)
    }
}

/// A number field of `/proc/<pid>/status` (kB for the memory fields).
fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

/// A number from the environment (`_` may group its digits), or `default` when it is not set.
fn env_number(name: &str, default: usize) -> Result<usize, BoxError> {
    match std::env::var(name) {
        Ok(v) => Ok(v
            .replace('_', "")
            .parse()
            .map_err(|_| format!("{name}: {v:?} is not a number"))?),
        Err(_) => Ok(default),
    }
}

/// Each benchmark by its name, in the order `make bench` runs them.
const BENCHES: [(&str, Bench); 6] = [
    ("sync", sync::main),
    ("screens", screens::main),
    ("quotes", || {
        quotes::main();
        Ok(())
    }),
    ("qbr", qbr::main),
    ("season", season::main),
    ("window", window::main),
];

fn main() -> Result<(), BoxError> {
    // `BENCH_LOG=desk=debug`: the log of the code the benchmarks run, on stderr.
    if let Ok(filter) = std::env::var("BENCH_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .init();
    }
    // Cargo hands a benchmark without a harness `--bench`; the names are the other arguments.
    let asked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if let Some(unknown) = asked
        .iter()
        .find(|a| !BENCHES.iter().any(|(name, _)| name == a))
    {
        let known: Vec<&str> = BENCHES.iter().map(|(name, _)| *name).collect();
        return Err(format!("no benchmark {unknown:?}; there are {}", known.join(", ")).into());
    }
    for (name, run) in BENCHES {
        if asked.is_empty() || asked.iter().any(|a| a == name) {
            run()?;
        }
    }
    Ok(())
}
