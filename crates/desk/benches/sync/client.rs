//! Running the headless client, `partner-desk-sync`, as its own process, and reading its report.

use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use super::BoxError;

/// What a run of the headless client reported.
pub(crate) struct ClientRun {
    pub(crate) secs: f64,
    pub(crate) summary: String,
    pub(crate) peak_rss_kb: Option<u64>,
    /// User and system CPU seconds.
    pub(crate) cpu: Option<(f64, f64)>,
    /// Bytes the process wrote to disk (Linux's `write_bytes`).
    pub(crate) disk_writes: Option<u64>,
}

pub(crate) async fn run_client(
    bin: &Path,
    data_dir: &Path,
    url: &str,
    token: &str,
    page_size: Option<usize>,
) -> Result<ClientRun, BoxError> {
    let mut cmd = tokio::process::Command::new(bin);
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(["--url", url])
        .env("PARTNER_DESK_TOKEN", token)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(n) = page_size {
        cmd.args(["--page-size", &n.to_string()]);
    }
    if let Some(n) = std::env::var_os("BENCH_WRITE_CACHE_MIB") {
        cmd.arg("--write-cache-mib").arg(n);
    }
    let started = Instant::now();
    let output = cmd.output().await?;
    let secs = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    for line in String::from_utf8_lossy(&output.stderr).lines() {
        println!("  client (stderr): {line}");
    }
    if !output.status.success() {
        return Err(format!("partner-desk-sync failed ({}): {stdout}", output.status).into());
    }
    let peak_rss_kb = stdout
        .lines()
        .find_map(|l| l.strip_prefix("peak memory (VmHWM): "))
        .and_then(|rest| rest.trim_end_matches(" kB").trim().parse().ok());
    let cpu = stdout
        .lines()
        .find_map(|l| l.strip_prefix("cpu time: user "))
        .and_then(|rest| {
            let (user, system) = rest.split_once(" s, system ")?;
            Some((
                user.parse().ok()?,
                system.trim_end_matches(" s").parse().ok()?,
            ))
        });
    let disk_writes = stdout
        .lines()
        .find_map(|l| l.strip_prefix("disk writes: "))
        .and_then(|rest| rest.trim_end_matches(" bytes").parse().ok());
    let summary = stdout.lines().collect::<Vec<_>>().join("\n  client said: ");
    Ok(ClientRun {
        secs,
        summary,
        peak_rss_kb,
        cpu,
        disk_writes,
    })
}
