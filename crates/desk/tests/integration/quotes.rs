//! Quotes on a laptop, against the reference central API on loopback and real SQLite files:
//! pricing rules as the app and the server apply them, numbers that never collide across
//! devices, the lifecycle, and the customer's PDF read back with pdftotext.

use crate::common;

use std::path::Path;

use common::{as_of, pdftotext, world, World};
use desk::quotes::{self, QuoteForm};
use program::contract::{Partner, Role};
use program::quotes::{LineInput, QuoteRule, QuoteStatus};
use program::Lang;
use program::{Brand, Tier};

fn line(sku: &str, quantity: u32, months: Option<u32>) -> LineInput {
    LineInput {
        sku: sku.into(),
        quantity,
        months,
    }
}

fn form(p: &Partner, customer: &str, brand: Brand, lang: Lang, lines: Vec<LineInput>) -> QuoteForm {
    QuoteForm {
        partner_id: p.id.to_string(),
        quote_id: None,
        customer_id: None,
        customer: customer.into(),
        country: brand.region().countries()[0].into(),
        brand: Some(brand),
        currency: Some(p.currency),
        lang,
        lines,
    }
}

/// A brand's core bundle (monthly), guided onboarding (one-off) and a monthly skill.
fn lines_for(brand: Brand) -> Vec<LineInput> {
    let core = match brand {
        Brand::CentroPago => "CORE-CP",
        Brand::RemindLedger => "CORE-RL",
        Brand::Voldier => "CORE-VO",
    };
    vec![
        line(core, 2, Some(12)),
        line("ONBOARD", 1, None),
        line("SK-INVOICE", 3, Some(12)),
    ]
}

fn seller(w: &World, brand: Brand, tier: Option<Tier>) -> Partner {
    w.partner(|p| p.brands.contains(&brand) && tier.is_none_or(|t| p.tier == t))
}

#[tokio::test]
async fn every_brand_prints_in_both_languages_with_the_right_total_number_validity_and_brand() {
    let w = world().await;
    let out = tempfile::tempdir().unwrap();
    // `QUOTE_PDF_DIR=folder` keeps the PDFs there, to look at them.
    let out_dir = std::env::var_os("QUOTE_PDF_DIR").map_or(out.path().to_path_buf(), Into::into);
    for brand in Brand::ALL {
        let p = seller(&w, brand, None);
        let d = w
            .device(brand.name(), "Sam Seller", Role::PartnerSales, &p)
            .await;
        for lang in [Lang::En, Lang::Es] {
            let q = quotes::save(
                &d.store,
                &form(&p, "Acme Andina", brand, lang, lines_for(brand)),
                "Sam Seller",
            )
            .await
            .unwrap();
            let priced = q.priced.clone().expect("priced");
            // The bundled template has no warnings.
            let data = quotes::pdf_data(&q, &priced, "Partner", 30).unwrap();
            let rendered = desk::pdf::render(quotes::TEMPLATE, &data, as_of()).unwrap();
            assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);

            let path = quotes::export_pdf(&d.store, &q.id, &out_dir, None)
                .await
                .unwrap();
            let text = pdftotext(Path::new(&path));
            // In the customer's way of writing numbers: Spanish in the US is 1,234.50, in
            // Argentina and Austria 1.234,50.
            let style = quotes::NumberStyle::of(lang, program::Country::parse(&q.country).ok());
            let total = quotes::format_number(priced.total, priced.currency.minor_units(), style);
            let (group, point) = match (lang, q.country.as_str()) {
                (Lang::Es, "AR" | "AT") => ('.', ','),
                _ => (',', '.'),
            };
            assert_eq!(
                style,
                quotes::NumberStyle { group, point },
                "{lang:?} {}",
                q.country
            );
            let valid = quotes::format_date(q.valid_until.parse().unwrap(), lang);
            for needle in [
                q.number.as_str(),
                brand.name(),
                total.as_str(),
                valid.as_str(),
                "Acme Andina",
            ] {
                assert!(
                    text.contains(needle),
                    "{brand} {lang:?}: {needle:?} not in\n{text}"
                );
            }
            let word = match lang {
                Lang::En => "Valid until",
                Lang::Es => "Válida hasta",
            };
            assert!(
                text.contains(word),
                "{brand} {lang:?}: {word:?} not in\n{text}"
            );
            // The printed lines add up to the printed total.
            let sum: rust_decimal::Decimal = priced.lines.iter().map(|l| l.amount).sum();
            assert_eq!(sum, priced.total);
        }
    }
}

/// A CentroPago seller's device and a draft it saved for `customer`.
async fn draft(w: &World, customer: &str) -> (common::Device, quotes::QuoteView) {
    let p = seller(w, Brand::CentroPago, None);
    let d = w.device("a", "Sam", Role::PartnerAdmin, &p).await;
    let lines = lines_for(Brand::CentroPago);
    let q = quotes::save(
        &d.store,
        &form(&p, customer, Brand::CentroPago, Lang::En, lines),
        "Sam",
    )
    .await
    .unwrap();
    (d, q)
}

#[tokio::test]
async fn a_broken_template_gives_a_clear_error_and_writes_no_file() {
    let w = world().await;
    let (d, q) = draft(&w, "Broken").await;
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("quote.typ");
    std::fs::write(
        &template,
        "#let q = json(sys.inputs.data)\n#q.no_such_field\n#table(\n",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let err = quotes::export_pdf(&d.store, &q.id, out.path(), Some(&template))
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with("template: the template has errors"),
        "{message}"
    );
    assert!(message.contains("line "), "names the place: {message}");
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "no file, not even a partial one"
    );
}

#[tokio::test]
async fn a_quote_number_that_is_a_path_prints_no_file_anywhere() {
    let w = world().await;
    let (d, q) = draft(&w, "Traveller").await;
    // Sent to the platform and back: the cache's copy is the platform's.
    d.engine.run_once().await.unwrap();
    // The number as a hostile copy of the quote would carry it.
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("exports");
    std::fs::create_dir(&out).unwrap();
    for evil in ["../escaped", "/tmp/absolute", "Q-7K3FX-2026-0001\0", "CON"] {
        sqlx::query(
            "UPDATE quotes SET number = ?1, data = json_set(data, '$.number', ?1) WHERE id = ?2",
        )
        .bind(evil)
        .bind(&q.id)
        .execute(d.store.pool())
        .await
        .unwrap();
        let err = quotes::export_pdf(&d.store, &q.id, &out, None)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("a quote number reads"),
            "{evil:?}: {err}"
        );
    }
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
    assert_eq!(
        std::fs::read_dir(root.path()).unwrap().count(),
        1,
        "only the exports folder"
    );
}

#[tokio::test]
async fn quotes_made_offline_on_two_devices_never_share_a_number() {
    let w = world().await;
    let p = seller(&w, Brand::Voldier, None);
    let a = w.device("a", "Ana", Role::PartnerSales, &p).await;
    let b = w.device("b", "Beto", Role::PartnerSales, &p).await;
    let mut made = Vec::new();
    for i in 0..5 {
        for (d, who) in [(&a, "Ana"), (&b, "Beto")] {
            let q = quotes::save(
                &d.store,
                &form(
                    &p,
                    &format!("Cliente {i}"),
                    Brand::Voldier,
                    Lang::Es,
                    lines_for(Brand::Voldier),
                ),
                who,
            )
            .await
            .unwrap();
            made.push(q.number);
        }
    }
    a.engine.run_once().await.unwrap();
    b.engine.run_once().await.unwrap();
    a.engine.run_once().await.unwrap();
    let mut numbers: Vec<String> = quotes::list(&a.store, p.id, as_of())
        .await
        .unwrap()
        .quotes
        .iter()
        .map(|q| {
            assert!(
                !q.pending && q.refused_changes.is_empty(),
                "{} synced",
                q.number
            );
            q.number.clone()
        })
        .collect();
    assert_eq!(
        numbers.len(),
        10,
        "both devices' quotes reached the server and came back"
    );
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 10, "all numbers distinct: {made:?}");
    assert!(made
        .iter()
        .all(|n| n.starts_with("Q-") && n.len() == "Q-XXXXX-2026-0001".len()));
}

#[tokio::test]
async fn an_early_access_item_is_quoted_for_a_specialist_and_refused_for_an_authorized_partner() {
    let w = world().await;
    let early = vec![line("SK-FORECAST", 1, Some(6))];
    let specialist = seller(&w, Brand::RemindLedger, Some(Tier::Specialist));
    let d = w.device("s", "Sol", Role::PartnerSales, &specialist).await;
    let check = quotes::check(
        &d.store,
        &form(
            &specialist,
            "Beta Co",
            Brand::RemindLedger,
            Lang::En,
            early.clone(),
        ),
    )
    .await
    .unwrap();
    assert!(check.priced.is_some(), "{:?}", check.rule);
    let q = quotes::save(
        &d.store,
        &form(
            &specialist,
            "Beta Co",
            Brand::RemindLedger,
            Lang::En,
            early.clone(),
        ),
        "Sol",
    )
    .await
    .unwrap();
    d.engine.run_once().await.unwrap();
    let synced = quotes::get(&d.store, &q.id).await.unwrap();
    assert!(!synced.pending && synced.refused_changes.is_empty());

    let authorized = seller(&w, Brand::RemindLedger, Some(Tier::Authorized));
    let d = w.device("z", "Zoe", Role::PartnerSales, &authorized).await;
    let check = quotes::check(
        &d.store,
        &form(
            &authorized,
            "Beta Co",
            Brand::RemindLedger,
            Lang::En,
            early.clone(),
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        check.rule,
        Some(QuoteRule::EarlyAccessTier {
            sku: "SK-FORECAST".into(),
            tier: Tier::Authorized
        })
    );
    let err = quotes::save(
        &d.store,
        &form(&authorized, "Beta Co", Brand::RemindLedger, Lang::En, early),
        "Zoe",
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("early_access_tier"), "{err}");
}

#[tokio::test]
async fn a_rate_older_than_a_quotes_validity_is_refused_before_anything_is_queued() {
    let w = world().await;
    let p = w
        .partner(|p| p.brands.contains(&Brand::CentroPago) && p.currency != program::Currency::USD);
    let d = w.device("o", "Oli", Role::PartnerSales, &p).await;
    // The laptop's last sync was 31 days ago: its rates are a quote's validity (30 days) old.
    let mut policy = desk::workspace::program_policy(&d.store)
        .await
        .unwrap()
        .unwrap();
    let old = chrono::Utc::now().date_naive() - chrono::Days::new(31);
    for rate in &mut policy.fx_rates {
        rate.as_of = old;
    }
    d.store
        .set_state(
            desk::workspace::PROGRAM_POLICY,
            &serde_json::to_string(&policy).unwrap(),
        )
        .await
        .unwrap();
    let f = form(
        &p,
        "Tarde SA",
        Brand::CentroPago,
        Lang::Es,
        lines_for(Brand::CentroPago),
    );
    let check = quotes::check(&d.store, &f).await.unwrap();
    assert_eq!(
        check.rule,
        Some(QuoteRule::FxRateTooOld {
            currency: p.currency,
            as_of: old,
            days: 30
        })
    );
    let err = quotes::save(&d.store, &f, "Oli").await.unwrap_err();
    assert!(err.to_string().contains("fx_rate_too_old"), "{err}");
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(d.store.pool())
        .await
        .unwrap();
    assert_eq!(queued, 0);
    // A day fresher, the same quote is taken.
    for rate in &mut policy.fx_rates {
        rate.as_of = old + chrono::Days::new(1);
    }
    d.store
        .set_state(
            desk::workspace::PROGRAM_POLICY,
            &serde_json::to_string(&policy).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(quotes::check(&d.store, &f).await.unwrap().rule, None);
}

#[tokio::test]
async fn a_sent_quote_keeps_its_prices_when_the_catalog_or_the_partners_tier_changes() {
    let w = world().await;
    let specialist = seller(&w, Brand::RemindLedger, Some(Tier::Specialist));
    let d = w.device("k", "Kim", Role::PartnerSales, &specialist).await;
    let lines = vec![line("SK-FORECAST", 2, Some(6)), line("ONBOARD", 1, None)];
    let q = quotes::save(
        &d.store,
        &form(
            &specialist,
            "Fija SA",
            Brand::RemindLedger,
            Lang::Es,
            lines.clone(),
        ),
        "Kim",
    )
    .await
    .unwrap();
    quotes::set_status(&d.store, &q.id, QuoteStatus::Sent)
        .await
        .unwrap();
    d.engine.run_once().await.unwrap();
    let sent = quotes::get(&d.store, &q.id).await.unwrap();
    assert!(!sent.pending && sent.refused_changes.is_empty());
    let printed = sent.priced.clone().expect("the sent quote prices");

    // Later syncs bring a dearer catalog and a tier without early access.
    sqlx::query("UPDATE catalog_items SET price_minor = price_minor * 2")
        .execute(d.store.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE partners SET tier = 'authorized', discount_rate = ? WHERE id = ?")
        .bind(Tier::Authorized.band().min.to_string())
        .bind(specialist.id.to_string())
        .execute(d.store.pool())
        .await
        .unwrap();

    let later = quotes::get(&d.store, &q.id).await.unwrap();
    assert_eq!(later.rule, None);
    let later = later
        .priced
        .expect("it still prices, from what it was priced with");
    assert_eq!(later.lines, printed.lines);
    assert_eq!(later.total, printed.total);
    assert_eq!(later.partner_cost, printed.partner_cost);
    let dir = tempfile::tempdir().unwrap();
    let pdf = quotes::export_pdf(&d.store, &q.id, dir.path(), None)
        .await
        .unwrap();
    let text = pdftotext(Path::new(&pdf));
    assert!(text.contains(&q.number), "{text}");

    // A new quote is priced by today's catalog and tier.
    let check = quotes::check(
        &d.store,
        &form(&specialist, "Fija SA", Brand::RemindLedger, Lang::Es, lines),
    )
    .await
    .unwrap();
    assert_eq!(
        check.rule,
        Some(QuoteRule::EarlyAccessTier {
            sku: "SK-FORECAST".into(),
            tier: Tier::Authorized
        })
    );
}

#[tokio::test]
async fn a_sent_quote_is_revised_as_a_new_version_and_the_old_one_is_kept() {
    let w = world().await;
    let p = seller(&w, Brand::CentroPago, None);
    let d = w.device("a", "Sam", Role::PartnerAdmin, &p).await;
    let v1 = quotes::save(
        &d.store,
        &form(
            &p,
            "Versiones SA",
            Brand::CentroPago,
            Lang::Es,
            lines_for(Brand::CentroPago),
        ),
        "Sam",
    )
    .await
    .unwrap();
    // A draft cannot skip to accepted.
    assert!(quotes::set_status(&d.store, &v1.id, QuoteStatus::Accepted)
        .await
        .is_err());
    quotes::set_status(&d.store, &v1.id, QuoteStatus::Sent)
        .await
        .unwrap();
    let v2 = quotes::revise(&d.store, &v1.id, "Sam").await.unwrap();
    assert_eq!(v2.number, v1.number);
    assert_eq!(v2.revision, 2);
    assert_eq!(v2.status, QuoteStatus::Draft);
    d.engine.run_once().await.unwrap();
    let list = quotes::list(&d.store, p.id, as_of()).await.unwrap();
    let versions: Vec<(u32, QuoteStatus)> = list
        .quotes
        .iter()
        .filter(|q| q.number == v1.number)
        .map(|q| (q.revision, q.status))
        .collect();
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert!(versions.contains(&(1, QuoteStatus::Sent)));
    assert!(versions.contains(&(2, QuoteStatus::Draft)));
    assert!(list
        .quotes
        .iter()
        .all(|q| !q.pending && q.refused_changes.is_empty()));
}

#[tokio::test]
async fn the_balance_check_and_top_up_follow_the_partners_provisional_balance() {
    let w = world().await;
    let p = seller(&w, Brand::CentroPago, None);
    let d = w.device("a", "Sam", Role::PartnerAdmin, &p).await;
    let big = vec![line("CORE-CP", 5_000, Some(12))];
    let check = quotes::check(
        &d.store,
        &form(&p, "Grande", Brand::CentroPago, Lang::En, big),
    )
    .await
    .unwrap();
    let q = check.priced.unwrap();
    assert!(!q.covered);
    assert_eq!(
        q.top_up.amount(),
        q.credits.amount() - q.balance.amount().max(rust_decimal::Decimal::ZERO)
    );
    assert_eq!(q.partner_currency, p.currency);
    assert_eq!(q.margin, q.list_value - q.partner_cost);
}

#[tokio::test]
async fn the_lines_export_adds_up_to_the_printed_total() {
    let w = world().await;
    let p = seller(&w, Brand::Voldier, None);
    let d = w.device("a", "Sam", Role::PartnerAdmin, &p).await;
    let q = quotes::save(
        &d.store,
        &form(
            &p,
            "Hoja de Cálculo SL",
            Brand::Voldier,
            Lang::Es,
            lines_for(Brand::Voldier),
        ),
        "Sam",
    )
    .await
    .unwrap();
    let priced = q.priced.unwrap();
    let table = desk::export::quote_lines(&priced, desk::export::Lang::Es).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lines.csv");
    desk::export::write(&table, desk::export::ExportFormat::Csv, &path).unwrap();
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let amount = headers
        .iter()
        .position(|h| h == "Importe")
        .expect("an amount column");
    let sum: rust_decimal::Decimal = reader
        .records()
        .map(|r| r.unwrap()[amount].parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    assert_eq!(sum, priced.total);
    assert_eq!(table_rows(&path), priced.lines.len());
}

fn table_rows(path: &Path) -> usize {
    csv::Reader::from_path(path).unwrap().records().count()
}

#[tokio::test]
async fn no_poaching_a_quote_for_a_customer_the_partner_does_not_serve_is_refused_before_queueing()
{
    let w = world().await;
    let c = w.data.customers[0].clone();
    let owner = w.partner(|p| p.id == c.partner_id);
    let d = w.device("n", "Nia", Role::PartnerSales, &owner).await;
    let mut f = form(&owner, &c.name, c.brand, Lang::En, lines_for(c.brand));
    f.country = c.country.code().into();
    // Its own customer, by id: saved.
    f.customer_id = Some(c.id.to_string());
    quotes::save(&d.store, &f, "Nia").await.unwrap();
    // Another partner's customer named by id (as a tampered or stale form would): refused.
    let rival = w.partner(|p| p.id != c.partner_id && p.brands.contains(&c.brand));
    let r = w.device("r", "Rui", Role::PartnerSales, &rival).await;
    let mut theirs = form(&rival, &c.name, c.brand, Lang::En, lines_for(c.brand));
    theirs.country = c.country.code().into();
    theirs.customer_id = Some(c.id.to_string());
    let check = quotes::check(&r.store, &theirs).await.unwrap();
    assert_eq!(check.rule, Some(QuoteRule::NotYourCustomer));
    let err = quotes::save(&r.store, &theirs, "Rui").await.unwrap_err();
    assert!(err.to_string().contains("not_your_customer"), "{err}");
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(r.store.pool())
        .await
        .unwrap();
    assert_eq!(queued, 0);
}

#[tokio::test]
async fn bounded_values_a_customer_name_past_its_bound_is_refused_before_anything_is_queued() {
    let w = world().await;
    let p = seller(&w, Brand::CentroPago, None);
    let d = w.device("b", "Bea", Role::PartnerSales, &p).await;
    let long = "A".repeat(program::quotes::CUSTOMER_MAX as usize + 1);
    let f = form(
        &p,
        &long,
        Brand::CentroPago,
        Lang::Es,
        lines_for(Brand::CentroPago),
    );
    let err = quotes::save(&d.store, &f, "Bea").await.unwrap_err();
    assert!(
        matches!(
            err,
            desk::error::DeskError::InvalidInput {
                field: "customer",
                ..
            }
        ),
        "{err}"
    );
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(d.store.pool())
        .await
        .unwrap();
    assert_eq!(queued, 0);
    // At the bound it is a quote.
    let at_bound = "A".repeat(program::quotes::CUSTOMER_MAX as usize);
    let f = form(
        &p,
        &at_bound,
        Brand::CentroPago,
        Lang::Es,
        lines_for(Brand::CentroPago),
    );
    quotes::save(&d.store, &f, "Bea").await.unwrap();
}
