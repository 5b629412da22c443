//! A review's files: the deck read back with pdftotext in both languages (its figures, its
//! words, its number format, its template without warnings) and the workbook read back with
//! calamine.

use crate::common;
use crate::qbr::{account_manager, Figure, QUARTER};

use calamine::{open_workbook, Data, Reader, Xlsx};
use common::{as_of, pdftotext, world};
use desk::qbr::{self, Audience, Review};
use program::qbr::Kpi;
use program::Lang;
use program::Tier;

#[tokio::test]
async fn the_deck_prints_the_figures_the_app_shows_in_both_languages() {
    let w = world().await;
    let p = w.partner(|p| p.tier == Tier::Regional);
    let store = account_manager(&w, &p).await;
    let review = qbr::review(&store, p.id, QUARTER.parse().unwrap(), as_of())
        .await
        .unwrap();
    let keep = std::env::var_os("QBR_PDF_DIR").map(std::path::PathBuf::from);
    let dir = tempfile::tempdir().unwrap();
    for (lang, title, appendix) in [
        (
            Lang::En,
            "Quarterly Executive Review",
            "Appendix: definitions",
        ),
        (
            Lang::Es,
            "Revisión Ejecutiva Trimestral",
            "Anexo: definiciones",
        ),
    ] {
        let out = keep.clone().unwrap_or_else(|| dir.path().to_path_buf());
        let sub = out.join(format!("{lang:?}"));
        std::fs::create_dir_all(&sub).unwrap();
        let qbr::ReviewPaths {
            deck,
            workbook: book,
            ..
        } = qbr::export(review.clone(), lang, Audience::Partner, None, &sub)
            .await
            .unwrap();
        let text = pdftotext(&deck);
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for needle in [title, appendix, p.name.as_str()] {
            assert!(flat.contains(needle), "{lang:?}: {needle:?} missing");
        }
        // pdftotext gives a no-break space as a space, or keeps it: compare words.
        let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        for row in &review.kpis {
            // The figure's cells on the key figures slide, formatted as the window formats them
            // (held to the window's rules by `the_deck_formats_numbers_by_the_windows_rules`).
            let cells = crate::qbr_slides::kpi_cells(row, lang);
            let figures = words(&cells[1..4].join(" "));
            let changes = words(&cells[4..6].join(" "));
            for line in [figures, changes] {
                assert!(
                    flat.contains(&line),
                    "{lang:?} {:?}: {line:?} missing",
                    row.kpi
                );
            }
            assert!(flat.contains(row.kpi.name(lang)), "{lang:?}: {:?}", row.kpi);
            // The appendix defines it (its first words; pdftotext wraps lines).
            let start: String = row
                .kpi
                .definition(lang)
                .split_whitespace()
                .take(4)
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                flat.contains(&start),
                "{lang:?}: definition of {:?}",
                row.kpi
            );
        }
        // Tier progression: each threshold with its gap.
        assert!(
            !review.progression.is_empty(),
            "a Regional partner has thresholds"
        );
        for t in &review.progression {
            assert!(flat.contains(qbr::measure_name(t.measure, lang)));
            let line = words(&format!(
                "{} {} {}",
                qbr::format_measure(t.measure, t.current.as_deref(), lang),
                qbr::format_measure(t.measure, Some(&t.required), lang),
                qbr::format_gap(t.measure, t.gap.as_deref(), lang),
            ));
            assert!(flat.contains(&line), "{lang:?}: {line:?} missing");
        }
        // Landscape slides.
        let info = std::process::Command::new("pdfinfo")
            .arg(&deck)
            .output()
            .unwrap();
        let info = String::from_utf8(info.stdout).unwrap();
        let size = info.lines().find(|l| l.starts_with("Page size:")).unwrap();
        let dims: Vec<f64> = size
            .split_whitespace()
            .filter_map(|t| t.parse().ok())
            .collect();
        assert!(dims[0] > dims[1], "landscape: {size}");
        assert!(book.exists());
    }
    // Figures in the reader's format: the Spanish deck groups with dots.
    let balance = review.kpi(Kpi::Balance).unwrap().value.as_deref();
    assert_ne!(
        qbr::format_kpi(Kpi::Balance, balance, Lang::En),
        qbr::format_kpi(Kpi::Balance, balance, Lang::Es)
    );
}

#[tokio::test]
async fn the_spanish_summary_agrees_in_number_and_names_the_quarter_t() {
    let w = world().await;
    let p = w.partner(|p| p.tier == Tier::Regional);
    let store = account_manager(&w, &p).await;
    let mut review = qbr::review(&store, p.id, QUARTER.parse().unwrap(), as_of())
        .await
        .unwrap();
    (review.deals.won, review.deals.lost, review.deals.open) = (1, 2, 1);
    let es = qbr::summary(&review, Lang::Es, Audience::Partner).join(" ");
    for needle in ["1 ganada (", "2 perdidas,", "1 abierta (", "vs. T"] {
        assert!(es.contains(needle), "{needle:?} missing from {es:?}");
    }
    let en = qbr::summary(&review, Lang::En, Audience::Partner).join(" ");
    for needle in ["1 won (", "2 lost,", "1 open (", "vs Q"] {
        assert!(en.contains(needle), "{needle:?} missing from {en:?}");
    }
}

/// The window prints the review's numbers with `ui/src/lib/qbr.ts`, held by its tests to the
/// cases of `ui/src/lib/qbr.cases.json`; the deck's formatter is held to the same cases.
#[test]
fn the_deck_formats_numbers_by_the_windows_rules() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../ui/src/lib/qbr.cases.json"
    );
    let table: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = table["cases"].as_array().unwrap();
    assert!(cases.len() > 20);
    let text = |c: &serde_json::Value, key: &str| c[key].as_str().map(String::from);
    for c in cases {
        for (lang, key) in [(Lang::En, "en"), (Lang::Es, "es")] {
            let kpi = || serde_json::from_value::<Kpi>(c["kpi"].clone()).unwrap();
            let measure = || {
                serde_json::from_value::<program::progression::Measure>(c["measure"].clone())
                    .unwrap()
            };
            let value = text(c, "value");
            let shown = match c["format"].as_str().unwrap() {
                "kpi" => qbr::format_kpi(kpi(), value.as_deref(), lang),
                "change" => qbr::format_change(
                    kpi(),
                    text(c, "change").as_deref(),
                    text(c, "relative").as_deref(),
                    lang,
                ),
                "measure" => qbr::format_measure(measure(), value.as_deref(), lang),
                "gap" => qbr::format_gap(measure(), value.as_deref(), lang),
                other => panic!("format {other}"),
            };
            assert_eq!(Some(shown), text(c, key), "{c}");
        }
    }
}

#[tokio::test]
async fn the_workbook_holds_the_tables_behind_every_figure_as_typed_numbers_in_both_languages() {
    let w = world().await;
    let p = w.partner(|p| p.tier == Tier::Regional);
    let store = account_manager(&w, &p).await;
    let form = desk::qbr::ActionItemForm {
        partner_id: p.id.to_string(),
        id: None,
        quarter: QUARTER.into(),
        text: "Plan the Voldier launch".into(),
        owner: "Ana".into(),
        due_on: "2026-12-15".into(),
        done: false,
    };
    qbr::save_action_item(&store, &form, as_of()).await.unwrap();
    let review = qbr::review(&store, p.id, QUARTER.parse().unwrap(), as_of())
        .await
        .unwrap();
    assert_eq!(review.actions.len(), 1);
    assert!(!review.progression.is_empty());
    let number = |v: &str| Data::Float(v.parse().unwrap());
    for (lang, sheets, measures) in [
        (
            Lang::En,
            [
                "Key figures",
                "Definitions",
                "Monthly trends",
                "Tier progression",
                "Pipeline",
                "Migrations",
                "Top customers",
                "Risks",
                "Action items",
            ],
            [
                "Active customers",
                "NPS (12 months)",
                "Retention (12 months)",
                "Recurring volume (12 months)",
            ],
        ),
        (
            Lang::Es,
            [
                "Cifras clave",
                "Definiciones",
                "Tendencias mensuales",
                "Progresión de nivel",
                "Pipeline",
                "Migraciones",
                "Principales clientes",
                "Riesgos",
                "Acciones acordadas",
            ],
            [
                "Clientes activos",
                "NPS (12 meses)",
                "Retención (12 meses)",
                "Volumen recurrente (12 meses)",
            ],
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let book = qbr::export(review.clone(), lang, Audience::Partner, None, dir.path())
            .await
            .unwrap()
            .workbook;
        let mut wb: Xlsx<_> = open_workbook(&book).unwrap();
        assert_eq!(wb.sheet_names(), sheets.to_vec());
        // A column per figure, a row per quarter: every value a number, as the review holds it.
        let kpis = wb.worksheet_range(sheets[0]).unwrap();
        let rows: [(&str, Figure); 5] = [
            ("value", |k| &k.value),
            ("previous", |k| &k.previous),
            ("year before", |k| &k.year_before),
            ("change vs previous", |k| &k.change_previous),
            ("change vs year before", |k| &k.change_year),
        ];
        for (i, row) in review.kpis.iter().enumerate() {
            let c = i as u32 + 1;
            assert_eq!(
                kpis.get_value((0, c)),
                Some(&Data::String(row.kpi.name(lang).into()))
            );
            for (r, (what, of)) in rows.iter().enumerate() {
                let cell = kpis.get_value((r as u32 + 1, c)).unwrap();
                match of(row) {
                    Some(v) => assert_eq!(cell, &number(v), "{:?} {what}", row.kpi),
                    None => assert_eq!(cell, &Data::Empty, "{:?} {what}", row.kpi),
                }
            }
        }
        let definitions = wb.worksheet_range(sheets[1]).unwrap();
        assert_eq!(definitions.height(), review.kpis.len() + 1);
        let monthly = wb.worksheet_range(sheets[2]).unwrap();
        assert_eq!(monthly.height(), 13);
        for (i, m) in review.monthly.iter().enumerate() {
            let consumed = monthly.get_value((i as u32 + 1, 3)).unwrap();
            assert_eq!(consumed, &number(&m.consumed), "{}", m.month);
        }
        // Progression: the measures by name, the gap beside each threshold.
        let progression = wb.worksheet_range(sheets[3]).unwrap();
        for (i, t) in review.progression.iter().enumerate() {
            let r = i as u32 + 1;
            assert_eq!(
                progression.get_value((r, 0)),
                Some(&Data::String(measures[i].into()))
            );
            assert_eq!(
                progression.get_value((r, 3)),
                Some(&Data::String(qbr::format_gap(
                    t.measure,
                    t.gap.as_deref(),
                    lang
                )))
            );
        }
        let top = wb.worksheet_range(sheets[6]).unwrap();
        assert_eq!(top.height(), review.top_customers.len() + 1);
        // The partner's workbook: the risks that name no customer (those go to the internal one).
        let risks = wb.worksheet_range(sheets[7]).unwrap();
        assert_eq!(
            risks.height(),
            review.risks_for(Audience::Partner).count() + 1
        );
        let actions = wb.worksheet_range(sheets[8]).unwrap();
        assert_eq!(
            actions.get_value((1, 0)),
            Some(&Data::String("Plan the Voldier launch".into()))
        );
        assert_eq!(actions.get_value((1, 1)), Some(&Data::String("Ana".into())));
    }
}

#[test]
fn the_bundled_deck_template_has_no_warnings() {
    // A tiny review typeset without the database: the template compiles cleanly.
    let review = Review {
        partner_id: "p".into(),
        partner: "Acme Partners".into(),
        tier: Tier::Regional,
        brands: vec![program::Brand::CentroPago],
        logo: None,
        account_manager: "Ana".into(),
        quarter: "2026-Q3".into(),
        previous: "2026-Q2".into(),
        year_before: "2025-Q3".into(),
        measured_to: "2026-09-30".into(),
        qbr_included: true,
        kpis: Kpi::ALL
            .iter()
            .map(|&kpi| qbr::KpiRow {
                kpi,
                value: Some("10".into()),
                previous: Some("8".into()),
                year_before: None,
                change_previous: Some("2".into()),
                relative_previous: Some("0.25".into()),
                change_year: None,
                relative_year: None,
            })
            .collect(),
        monthly: (1..=12)
            .map(|m| qbr::ReviewMonth {
                month: format!("2026-{m:02}"),
                active_customers: m,
                new_deployments: 1,
                consumed: "10.50".into(),
                bought: "0".into(),
                balance: "-5".into(),
                nps: program::metrics::nps_from_counts(0, 0, 0),
            })
            .collect(),
        outlook: program::progression::Outlook::Progressing {
            next: Tier::Strategic,
        },
        next_tier: Some(Tier::Strategic),
        progression: vec![program::progression::ThresholdStatus {
            measure: program::progression::Measure::Retention,
            current: Some("0.8123".into()),
            required: "0.9".into(),
            met: false,
            gap: Some("0.0877".into()),
            estimated_on: None,
        }],
        deals: qbr::ReviewDeals {
            open: 0,
            open_value: "0".into(),
            won: 0,
            won_value: "0".into(),
            lost: 0,
            lost_value: "0".into(),
            win_rate: None,
            forecast: "0".into(),
        },
        migrations: vec![],
        top_customers: vec![],
        risks: vec![],
        actions: vec![qbr::ActionItemView {
            id: "a".into(),
            quarter: "2026-Q2".into(),
            text: "Train the new sales team".into(),
            owner: "Ana".into(),
            due_on: "2026-08-01".into(),
            done: false,
            carried_over: true,
            pending: false,
            overdue: true,
        }],
    };
    let data = qbr::deck_data(&review, Lang::Es, Audience::Internal).unwrap();
    let rendered = desk::pdf::render(qbr::TEMPLATE, &data, common::as_of()).unwrap();
    assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
    assert!(rendered.pdf.starts_with(b"%PDF"));
}
