//! The benchmarks: reports, not timed tests. Each prints its numbers and whether each target was
//! met, and fails only if something breaks. One binary (they share the desk, the reference
//! server and sqlx, compiled once); name the ones to run after `--`, none for all:
//!
//!     make bench                         # every benchmark
//!     BENCHES="sync qbr" make bench      # cargo bench --bench benches -- sync qbr

mod qbr;
mod quotes;
mod screens;
mod season;
mod sync;
mod window;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

type Bench = fn() -> Result<(), BoxError>;

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
