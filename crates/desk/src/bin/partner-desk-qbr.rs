//! `partner-desk-qbr`: the Quarterly Executive Review decks of every partner in the user's scope,
//! for a quarter, rendered from the local cache into a folder (the week before QBR season).
//!
//!     partner-desk-qbr --quarter 2026-Q3 --out ~/QBR [--lang es] [--internal] [--jobs N] [--data-dir DIR]
//!
//! Works offline on the cache the app keeps (by default the app's data folder, or
//! `PARTNER_DESK_DATA_DIR`). Each partner gets its deck (PDF, and PPTX to edit) and workbook
//! (XLSX); a partner whose tier does not include QBRs gets an internal review, marked as such. The
//! decks are the partners' (no customer named at risk) unless `--internal` asks for the internal
//! appendix too (files named `…-internal`). Reviews are written a few at a time, one more than the
//! cores by default (`--jobs`).
//! A progress bar shows on a terminal; the summary line and any partner that failed are printed
//! at the end, and the exit status is non-zero if any did.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, ValueEnum};
use desk::export::Lang;
use desk::qbr::Audience;
use desk::Desk;
use indicatif::{ProgressBar, ProgressStyle};

/// The app's identifier: its data folder's name (see src-tauri/tauri.conf.json).
const APP_ID: &str = "app.partnerdesk.desktop";

/// Every partner's Quarterly Executive Review for a quarter, from the local cache.
#[derive(Debug, Parser)]
#[command(name = "partner-desk-qbr", version, about)]
struct Args {
    /// The quarter, written as 2026-Q3.
    #[arg(long)]
    quarter: String,
    /// The folder the decks and workbooks are written to (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// The language of the decks and workbooks.
    #[arg(long, value_enum, default_value_t = LangArg::En)]
    lang: LangArg,
    /// Add the internal appendix (the customers at risk) for the account manager; the files are
    /// named `…-internal` and are not for the partner.
    #[arg(long)]
    internal: bool,
    /// The app's data folder (default: PARTNER_DESK_DATA_DIR, or the app's own).
    #[arg(long, env = "PARTNER_DESK_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// How many reviews to write at once (default: one more than the cores).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LangArg {
    En,
    Es,
}

impl From<LangArg> for Lang {
    fn from(lang: LangArg) -> Lang {
        match lang {
            LangArg::En => Lang::En,
            LangArg::Es => Lang::Es,
        }
    }
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
    let args = Args::parse();
    desk::qbr::parse_quarter(&args.quarter)?;
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => dirs::data_dir()
            .ok_or("no data folder: pass --data-dir")?
            .join(APP_ID),
    };
    if !data_dir.join(desk::store::CACHE_FILE).exists() {
        return Err(format!(
            "no cache in {}: open Partner Desk and sync once, or pass --data-dir",
            data_dir.display()
        )
        .into());
    }
    std::fs::create_dir_all(&args.out)?;
    let desk = Desk::open(&data_dir).await?;
    let partners = desk.partner_ids().await?;
    let bar = ProgressBar::new(partners.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed_precise} {wide_msg}")?
            .progress_chars("=> "),
    );
    let audience = if args.internal {
        Audience::Internal
    } else {
        Audience::Partner
    };
    let jobs = args.jobs.map_or_else(desk::qbr::default_jobs, usize::from);
    let started = Instant::now();
    let failed = desk
        .export_reviews(
            &partners,
            &args.quarter,
            args.lang.into(),
            audience,
            &args.out,
            jobs,
            |name, _| {
                bar.set_message(name.to_string());
                bar.inc(1);
            },
        )
        .await;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    let written = partners.len() - failed.len();
    println!(
        "{written} reviews (deck as PDF and PPTX, workbook) for {} in {} ({secs:.1} s, {:.2} a \
         second, {jobs} at a time)",
        args.quarter,
        args.out.display(),
        written as f64 / secs.max(1e-9),
    );
    for (name, e) in &failed {
        eprintln!("failed: {name}: {e}");
    }
    Ok(failed.is_empty())
}
