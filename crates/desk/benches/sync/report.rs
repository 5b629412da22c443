//! The benchmark's report: one line per phase, and the median of the rounds.

use std::fmt::Write as _;
use std::io::Write as _;

use super::system::cpus;

/// One line of the report.
pub(crate) struct Phase {
    pub(crate) name: &'static str,
    pub(crate) rows: u64,
    pub(crate) secs: f64,
    pub(crate) bytes: Option<u64>,
    pub(crate) peak_rss_kb: Option<u64>,
    pub(crate) ratio: Option<f64>,
    pub(crate) target: &'static str,
    pub(crate) met: Option<bool>,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.rows as f64 / self.secs.max(1e-9)
    }
}

/// The middle value (the mean of the two middle ones for an even count).
pub(crate) fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

pub(crate) fn print_report(deployments: usize, phases: &[Phase]) {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nSync benchmark report ({deployments} deployments, {} CPUs)",
        cpus()
    );
    let _ = writeln!(
        out,
        "{:<46} {:>10} {:>9} {:>10} {:>14} {:>9} {:>6}  {:<31} met",
        "phase", "rows", "seconds", "rows/s", "bytes (wire)", "peak MB", "ratio", "target"
    );
    let _ = writeln!(out, "{}", "-".repeat(152));
    for p in phases {
        let _ = writeln!(
            out,
            "{:<46} {:>10} {:>9.3} {:>10.0} {:>14} {:>9} {:>6}  {:<31} {}",
            p.name,
            p.rows,
            p.secs,
            p.rate(),
            p.bytes.map_or("-".into(), |b| b.to_string()),
            p.peak_rss_kb
                .map_or("-".into(), |kb| format!("{:.1}", kb as f64 / 1024.0)),
            p.ratio.map_or("-".into(), |r| format!("{r:.2}")),
            p.target,
            match p.met {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "-",
            }
        );
    }
    print!("{out}");
    let _ = std::io::stdout().flush();
}
