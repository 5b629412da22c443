//! The deck as a room sees it: read back word by word with its place on the slide
//! (`pdftotext -bbox`), for partners of three tiers in both languages. No text runs into other
//! text or off the slide, no slide is empty, nothing is smaller than the type scale's smallest
//! size, and the partner's deck (PDF and PPTX) names no customer at risk while the account
//! manager's appendix does.

use std::path::Path;

use crate::common;
use crate::qbr::QUARTER;

use calamine::{open_workbook, Data, Reader, Xlsx};
use common::{as_of, manager_laptop, world};
use desk::qbr::{self, Audience, Review};
use desk::store::Store;
use program::qbr::Kpi;
use program::{Lang, Tier};

/// A word on a slide and its box, in points from the page's top left.
#[derive(Debug, Clone)]
struct Word {
    text: String,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

/// A slide: its size and its words.
#[derive(Debug)]
struct Page {
    width: f64,
    height: f64,
    words: Vec<Word>,
}

fn attribute(tag: &str, name: &str) -> f64 {
    let start = tag
        .find(&format!(" {name}=\""))
        .unwrap_or_else(|| panic!("{name} in {tag}"))
        + name.len()
        + 3;
    let end = start + tag[start..].find('"').unwrap();
    tag[start..end].parse().unwrap()
}

/// Every page's words with their boxes (poppler's `pdftotext -bbox`).
fn pages(pdf: &Path) -> Vec<Page> {
    let out = std::process::Command::new("pdftotext")
        .arg("-bbox")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = String::from_utf8(out.stdout).unwrap();
    let mut pages = Vec::new();
    for chunk in html.split("<page ").skip(1) {
        let head = &chunk[..chunk.find('>').unwrap()];
        let mut page = Page {
            width: attribute(&format!(" {head}"), "width"),
            height: attribute(&format!(" {head}"), "height"),
            words: Vec::new(),
        };
        for w in chunk.split("<word ").skip(1) {
            let close = w.find('>').unwrap();
            let tag = format!(" {}", &w[..close]);
            let text = &w[close + 1..w.find("</word>").unwrap()];
            page.words.push(Word {
                text: text
                    .replace("&amp;", "&")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\""),
                x0: attribute(&tag, "xMin"),
                y0: attribute(&tag, "yMin"),
                x1: attribute(&tag, "xMax"),
                y1: attribute(&tag, "yMax"),
            });
        }
        pages.push(page);
    }
    pages
}

/// Two words overlap when their boxes share more than a sliver (glyph boxes of neighbours on a
/// line touch; accents reach into the line above by a point or so).
fn overlap(a: &Word, b: &Word) -> bool {
    let dx = a.x1.min(b.x1) - a.x0.max(b.x0);
    let dy = a.y1.min(b.y1) - a.y0.max(b.y0);
    dx > 1.0 && dy > 2.5
}

/// What is wrong with the deck's slides, one line per fault.
fn faults(pdf: &Path) -> Vec<String> {
    let mut faults = Vec::new();
    let pages = pages(pdf);
    for (n, page) in pages.iter().enumerate() {
        let n = n + 1;
        for w in &page.words {
            if w.x0 < 0.0 || w.y0 < 0.0 || w.x1 > page.width || w.y1 > page.height {
                faults.push(format!("slide {n}: {:?} runs off the slide", w.text));
            }
            // A word's box is about 1.2 × its type size tall: the scale's smallest is 11 pt.
            if w.y1 - w.y0 < 12.0 {
                faults.push(format!(
                    "slide {n}: {:?} is {:.1} pt tall, under the scale's smallest",
                    w.text,
                    w.y1 - w.y0
                ));
            }
        }
        for (i, a) in page.words.iter().enumerate() {
            for b in &page.words[i + 1..] {
                if overlap(a, b) {
                    faults.push(format!("slide {n}: {:?} runs into {:?}", a.text, b.text));
                }
            }
        }
        // Below the title band and above the footer: the slide's own content.
        if n > 1 {
            let body = page
                .words
                .iter()
                .filter(|w| w.y0 > 75.0 && w.y1 < page.height - 40.0)
                .count();
            if body < 8 {
                faults.push(format!("slide {n} is nearly empty: {body} words"));
            }
        }
    }
    faults
}

fn text_of(pdf: &Path) -> String {
    pages(pdf)
        .iter()
        .flat_map(|p| p.words.iter().map(|w| w.text.clone()))
        .collect::<Vec<_>>()
        .join(" ")
}

async fn review_of(store: &Store, partner: program::contract::PartnerId) -> Review {
    qbr::review(store, partner, QUARTER.parse().unwrap(), as_of())
        .await
        .unwrap()
}

#[tokio::test]
async fn no_slide_of_three_partners_decks_is_empty_clipped_too_small_or_runs_into_other_text() {
    let w = world().await;
    let (store, _engine) = manager_laptop(&w.server, w.dir.path()).await;
    let keep = std::env::var_os("QBR_PDF_DIR").map(std::path::PathBuf::from);
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for tier in [Tier::Strategic, Tier::Regional, Tier::Specialist] {
        let p = w.partner(|p| p.tier == tier);
        let review = review_of(&store, p.id).await;
        for lang in [Lang::En, Lang::Es] {
            let out = keep
                .clone()
                .unwrap_or_else(|| dir.path().to_path_buf())
                .join(format!("{tier:?}-{lang:?}"));
            std::fs::create_dir_all(&out).unwrap();
            let deck = qbr::export(review.clone(), lang, Audience::Internal, None, &out)
                .await
                .unwrap()
                .deck;
            let faults = faults(&deck);
            assert!(
                faults.is_empty(),
                "{tier:?} {lang:?}:\n{}",
                faults.join("\n")
            );
            checked += pages(&deck).len();
        }
    }
    assert!(checked >= 6 * 7, "{checked} slides");
}

#[tokio::test]
async fn a_slide_with_nothing_to_show_is_left_out() {
    let w = world().await;
    let (store, _engine) = manager_laptop(&w.server, w.dir.path()).await;
    let p = w.partner(|p| p.tier == Tier::Regional);
    let full = review_of(&store, p.id).await;
    let mut bare = full.clone();
    bare.progression.clear();
    bare.top_customers.clear();
    bare.migrations.clear();
    bare.risks.clear();
    bare.actions.clear();
    (bare.deals.open, bare.deals.won, bare.deals.lost) = (0, 0, 0);
    let dir = tempfile::tempdir().unwrap();
    let mut counts = Vec::new();
    for (name, review) in [("full", full), ("bare", bare)] {
        let out = dir.path().join(name);
        std::fs::create_dir_all(&out).unwrap();
        let deck = qbr::export(review, Lang::En, Audience::Partner, None, &out)
            .await
            .unwrap()
            .deck;
        let faults = faults(&deck);
        assert!(faults.is_empty(), "{name}:\n{}", faults.join("\n"));
        let text = text_of(&deck);
        for gone in [
            "No action item yet",
            "No risk flagged",
            "No customer moved",
            "No customer consumed",
        ] {
            assert!(!text.contains(gone), "{name}: {gone:?} printed");
        }
        counts.push((pages(&deck).len(), text));
    }
    let (bare_pages, bare_text) = &counts[1];
    // Title, summary, key figures, two of trends, appendix: the slides that always have content.
    assert_eq!(*bare_pages, 6, "{bare_text}");
    assert!(counts[0].0 > *bare_pages);
    for title in [
        "Tier progression",
        "Territory pipeline",
        "Action items",
        "Risks",
    ] {
        assert!(!bare_text.contains(title), "{title:?} printed empty");
    }
}

#[tokio::test]
async fn the_partners_deck_names_no_customer_at_risk_and_the_internal_appendix_does() {
    let w = world().await;
    let (store, _engine) = manager_laptop(&w.server, w.dir.path()).await;
    // A partner with QBRs and customers at risk this quarter.
    let mut found = None;
    for p in w
        .data
        .partners
        .iter()
        .filter(|p| p.tier >= Tier::Specialist)
    {
        let review = review_of(&store, p.id).await;
        if review.risks.iter().any(|r| r.names_a_customer()) {
            found = Some(review);
            break;
        }
    }
    let review = found.expect("a partner of the demo with a customer at risk");
    assert!(review.qbr_included);
    let dir = tempfile::tempdir().unwrap();
    for lang in [Lang::En, Lang::Es] {
        let partner = qbr::export(review.clone(), lang, Audience::Partner, None, dir.path())
            .await
            .unwrap();
        let internal = qbr::export(review.clone(), lang, Audience::Internal, None, dir.path())
            .await
            .unwrap();
        // Two files, the internal one named so that it is not sent by mistake.
        assert_ne!(partner.deck, internal.deck);
        let name = |p: &Path| p.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(!name(&partner.deck).ends_with("-internal"));
        assert!(name(&internal.deck).ends_with("-internal"));
        assert!(name(&internal.workbook).ends_with("-internal"));

        let (phrases, appendix, warning) = match lang {
            Lang::En => (
                ["last survey answer", "no longer an active customer"],
                "customers at risk",
                "not for the partner",
            ),
            Lang::Es => (
                ["última respuesta de encuesta", "ya no es cliente activo"],
                "clientes en riesgo",
                "no para el partner",
            ),
        };
        let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        // The PDF, and the PPTX the account manager edits.
        for (partner_text, internal_text) in [
            (text_of(&partner.deck), text_of(&internal.deck)),
            (
                crate::qbr_slides::text(&partner.slides),
                crate::qbr_slides::text(&internal.slides),
            ),
        ] {
            for phrase in phrases {
                assert!(
                    !partner_text.contains(phrase),
                    "{lang:?}: {phrase:?} in the partner's deck"
                );
            }
            assert!(!partner_text.contains(appendix), "{lang:?}");
            assert!(
                phrases.iter().any(|p| internal_text.contains(p)),
                "{lang:?}: the internal appendix lists the customers at risk"
            );
            assert!(
                internal_text.contains(warning),
                "{lang:?}: the appendix is marked internal"
            );
            for risk in review.risks.iter().filter(|r| r.names_a_customer()).take(5) {
                let customer = match risk {
                    qbr::Risk::Detractor { customer, .. } | qbr::Risk::Churned { customer } => {
                        customer
                    }
                    qbr::Risk::LowRunway { .. } => unreachable!(),
                };
                assert!(flat(&internal_text).contains(&flat(customer)), "{customer}");
            }
        }

        // The workbooks: the partner's risks sheet names no customer.
        let customers_named = |book: &Path| -> usize {
            let mut wb: Xlsx<_> = open_workbook(book).unwrap();
            let sheet = wb.sheet_names()[7].clone();
            let range = wb.worksheet_range(&sheet).unwrap();
            range
                .rows()
                .skip(1)
                .filter(|row| matches!(&row[1], Data::String(s) if !s.is_empty()))
                .count()
        };
        assert_eq!(customers_named(&partner.workbook), 0, "{lang:?}");
        assert_eq!(
            customers_named(&internal.workbook),
            review.risks.iter().filter(|r| r.names_a_customer()).count(),
            "{lang:?}"
        );
    }
}

#[tokio::test]
async fn the_summary_gives_each_figure_its_unit_and_precision_and_the_runway_moves_in_days() {
    let w = world().await;
    let (store, _engine) = manager_laptop(&w.server, w.dir.path()).await;
    let p = w.partner(|p| p.tier == Tier::Regional);
    let mut review = review_of(&store, p.id).await;
    let set = |review: &mut Review, kpi: Kpi, value: &str| {
        let row = review.kpis.iter_mut().find(|k| k.kpi == kpi).unwrap();
        row.value = Some(value.into());
    };
    set(&mut review, Kpi::Balance, "300000.00");
    set(&mut review, Kpi::DeploymentValue, "297513.5");
    review
        .kpis
        .iter_mut()
        .find(|k| k.kpi == Kpi::Nps)
        .unwrap()
        .value = None;
    let runway = review
        .kpis
        .iter_mut()
        .find(|k| k.kpi == Kpi::RunwayDays)
        .unwrap();
    (runway.value, runway.previous) = (Some("12".into()), Some("90".into()));
    (runway.change_previous, runway.relative_previous) = (Some("-78".into()), None);
    let en = qbr::summary(&review, Lang::En, Audience::Partner);
    assert!(
        en.iter().any(|l| l.starts_with("Balance: 300,000 credits")),
        "{en:?}"
    );
    assert!(
        en.iter()
            .any(|l| l.starts_with("Deployment value: 297,513.50 credits")),
        "{en:?}"
    );
    assert!(
        en.iter()
            .any(|l| l.starts_with("NPS (quarter): no score (fewer than 5 customers answered)")),
        "{en:?}"
    );
    let es = qbr::summary(&review, Lang::Es, Audience::Partner);
    assert!(
        es.iter().any(|l| l.starts_with("Saldo: 300.000 créditos")),
        "{es:?}"
    );
    let data = qbr::deck_data(&review, Lang::En, Audience::Partner).unwrap();
    let row = data["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == Kpi::RunwayDays.name(Lang::En))
        .unwrap();
    assert_eq!(row["change_previous"], "-78 days");
    assert_eq!(row["value"], "12");
}

#[tokio::test]
async fn a_partners_logo_reaches_its_deck_and_its_brand_stands_in_without_one() {
    let w = world().await;
    let (store, _engine) = manager_laptop(&w.server, w.dir.path()).await;
    let with = w.partner(|p| p.tier == Tier::Regional && p.logo.is_some());
    let without = w.partner(|p| p.logo.is_none());
    let review = review_of(&store, with.id).await;
    assert_eq!(review.logo, with.logo, "the logo synced with the partner");
    let data = qbr::deck_data(&review, Lang::En, Audience::Partner).unwrap();
    assert_eq!(data["logo_of"], "partner");
    assert_eq!(data["logo"].as_str(), with.logo.as_deref());

    let plain = review_of(&store, without.id).await;
    assert_eq!(plain.logo, None);
    let data = qbr::deck_data(&plain, Lang::En, Audience::Partner).unwrap();
    assert_eq!(data["logo_of"], "brand");
    assert_eq!(
        data["logo"].as_str(),
        Some(desk::pdf::format::brand_mark(plain.brands[0]).as_str())
    );

    // A logo the laptop would not place (one that slipped past a server): the brand's mark.
    let mut hostile = review.clone();
    hostile.logo = Some(
        r#"<svg xmlns="http://www.w3.org/2000/svg"><image href="https://tracker.example/p.png"/></svg>"#
            .into(),
    );
    let data = qbr::deck_data(&hostile, Lang::En, Audience::Partner).unwrap();
    assert_eq!(data["logo_of"], "brand");

    // Both decks typeset cleanly with their marks.
    for review in [&review, &plain] {
        let data = qbr::deck_data(review, Lang::Es, Audience::Partner).unwrap();
        let rendered = desk::pdf::render(qbr::TEMPLATE, &data, as_of()).unwrap();
        assert!(rendered.warnings.is_empty(), "{:?}", rendered.warnings);
    }
}
