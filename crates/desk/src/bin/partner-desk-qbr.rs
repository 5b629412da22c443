//! `partner-desk-qbr`: the Quarterly Executive Review decks of every partner in the user's scope,
//! for a quarter, rendered from the local cache into a folder (the week before QBR season).
//!
//!     partner-desk-qbr --quarter 2026-Q3 --out ~/QBR [--lang es] [--data-dir DIR]
//!
//! Works offline on the cache the app keeps (by default the app's data folder, or
//! `PARTNER_DESK_DATA_DIR`). Each partner gets its deck (PDF) and workbook (XLSX); a partner whose
//! tier does not include QBRs gets an internal review, marked as such. A progress bar shows on a
//! terminal; the summary line and any partner that failed are printed at the end, and the exit
//! status is non-zero if any did.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use desk::export::Lang;
use desk::Desk;
use indicatif::{ProgressBar, ProgressStyle};

const USAGE: &str =
    "usage: partner-desk-qbr --quarter 2026-Q3 --out DIR [--lang en|es] [--data-dir DIR]";

/// The app's identifier: its data folder's name (see src-tauri/tauri.conf.json).
const APP_ID: &str = "app.partnerdesk.desktop";

struct Args {
    quarter: String,
    out: PathBuf,
    lang: Lang,
    data_dir: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let (mut quarter, mut out, mut lang, mut data_dir) = (None, None, Lang::En, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--quarter" => quarter = Some(value()?),
            "--out" => out = Some(PathBuf::from(value()?)),
            "--data-dir" => data_dir = Some(PathBuf::from(value()?)),
            "--lang" => {
                lang = match value()?.as_str() {
                    "en" => Lang::En,
                    "es" => Lang::Es,
                    other => return Err(format!("--lang: {other:?} is not en or es")),
                }
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    let data_dir =
        match data_dir.or_else(|| std::env::var_os("PARTNER_DESK_DATA_DIR").map(PathBuf::from)) {
            Some(d) => d,
            None => dirs::data_dir()
                .ok_or("no data folder: pass --data-dir")?
                .join(APP_ID),
        };
    Ok(Args {
        quarter: quarter.ok_or(USAGE)?,
        out: out.ok_or(USAGE)?,
        lang,
        data_dir,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("partner-desk-qbr: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<bool, Box<dyn std::error::Error>> {
    let args = parse_args()?;
    desk::qbr::parse_quarter(&args.quarter)?;
    if !args.data_dir.join(desk::store::CACHE_FILE).exists() {
        return Err(format!(
            "no cache in {}: open Partner Desk and sync once, or pass --data-dir",
            args.data_dir.display()
        )
        .into());
    }
    std::fs::create_dir_all(&args.out)?;
    let desk = Desk::open(&args.data_dir).await?;
    let partners = desk.partner_ids().await?;
    let bar = ProgressBar::new(partners.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed_precise} {wide_msg}")?
            .progress_chars("=> "),
    );
    let started = Instant::now();
    let mut failed = Vec::new();
    for (id, name) in &partners {
        bar.set_message(name.clone());
        if let Err(e) = desk
            .export_review(id, &args.quarter, args.lang, &args.out)
            .await
        {
            failed.push(format!("{name}: {e}"));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!(
        "{} decks and workbooks for {} in {} ({:.1} s)",
        partners.len() - failed.len(),
        args.quarter,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    for f in &failed {
        eprintln!("failed: {f}");
    }
    Ok(failed.is_empty())
}
