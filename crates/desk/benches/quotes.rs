//! Quote benchmark: pricing a 50-line quote, and printing it as PDF (the first render in the
//! process, which parses the fonts, and the steady state). A report, not a timed test.
//!
//!     BENCHES=quotes make bench
//!
//! Targets: pricing < 1 ms, PDF < 300 ms. `BENCH_QUOTE_RUNS` sets the runs (default 200 pricing,
//! 20 PDF).

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use desk::quotes::{pdf_data, QuoteView, TEMPLATE};
use program::quotes::{price, LineInput, QuoteStatus, Request, Seller};
use program::Lang;
use program::{Brand, Country, Credits, Currency, FxRate, Tier};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn main() {
    let runs: usize = std::env::var("BENCH_QUOTE_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let catalog = central_api::demo::catalog();
    let skus: Vec<_> = catalog
        .iter()
        .filter(|c| c.brands.contains(&Brand::Voldier))
        .collect();
    let lines: Vec<LineInput> = (0..50)
        .map(|i| {
            let item = skus[i % skus.len()];
            LineInput {
                sku: item.sku.clone(),
                quantity: 1 + (i as u32 % 7),
                months: (item.billing == program::contract::Billing::Monthly).then_some(12),
            }
        })
        .collect();
    let eur = central_api::demo::fx_rates(as_of)
        .into_iter()
        .find(|r| r.currency == Currency::EUR)
        .unwrap();
    let usd = FxRate::usd(as_of);
    let seller = Seller {
        tier: Tier::Strategic,
        rate: "0.42".parse().unwrap(),
        brands: &Brand::ALL,
        fx: &usd,
        balance: Credits::whole(10_000),
    };
    let request = Request {
        country: Country::parse("ES").unwrap(),
        brand: Brand::Voldier,
        fx: &eur,
        lines: &lines,
    };

    let mut pricing = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let q = price(&seller, &request, &catalog).unwrap();
        pricing.push(started.elapsed());
        std::hint::black_box(q);
    }
    pricing.sort();

    let priced = price(&seller, &request, &catalog).unwrap();
    let view = QuoteView {
        id: "bench".into(),
        number: "Q-BENCH-2026-0001".into(), // a device code of the quote alphabet
        revision: 1,
        supersedes: None,
        partner_id: "bench".into(),
        customer_id: None,
        customer: "Benchmark Industrias SL".into(),
        country: "ES".into(),
        brand: Brand::Voldier,
        lang: Lang::Es,
        lines: lines.clone(),
        status: QuoteStatus::Draft,
        created_on: as_of.to_string(),
        created_by: "Bench".into(),
        valid_until: "2026-12-24".into(),
        lapsed: false,
        pending: false,
        refused_changes: Vec::new(),
        priced: Some(priced.clone()),
        rule: None,
    };
    let data = pdf_data(&view, &priced, "Benchmark Partner", 30).unwrap();
    let started = Instant::now();
    let first = desk::pdf::render(TEMPLATE, &data, as_of).unwrap();
    let first_render = started.elapsed();
    let pdf_runs = (runs / 10).max(5);
    let mut rendering = Vec::with_capacity(pdf_runs);
    for _ in 0..pdf_runs {
        let started = Instant::now();
        let r = desk::pdf::render(TEMPLATE, &data, as_of).unwrap();
        rendering.push(started.elapsed());
        std::hint::black_box(r);
    }
    rendering.sort();

    println!();
    println!(
        "Quote benchmark report (50 lines, {} CPUs)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "{:<44} {:>9} {:>9} {:>9}  {:<10} met",
        "what", "p50 ms", "p95 ms", "max ms", "target"
    );
    println!("{}", "-".repeat(96));
    let row = |what: &str, v: &[Duration], target_ms: f64| {
        let p95 = percentile(v, 0.95);
        println!(
            "{:<44} {:>9.3} {:>9.3} {:>9.3}  < {:<8} {}",
            what,
            ms(percentile(v, 0.5)),
            ms(p95),
            ms(*v.last().unwrap()),
            format!("{target_ms} ms"),
            if ms(p95) < target_ms { "yes" } else { "NO" }
        );
    };
    row(
        &format!("price a 50-line quote ({runs} runs)"),
        &pricing,
        1.0,
    );
    row("PDF, first render in the process", &[first_render], 300.0);
    row(
        &format!("PDF, steady state ({pdf_runs} runs)"),
        &rendering,
        300.0,
    );
    println!(
        "  PDF size: {} bytes for {} lines",
        first.pdf.len(),
        priced.lines.len()
    );
}
