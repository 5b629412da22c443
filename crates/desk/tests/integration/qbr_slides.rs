//! The editable deck (PPTX) read back as an application would: unzipped, every part parsed and
//! typed, every relationship followed; then the same slides as the PDF in the same order, the same
//! figures in its summary, tables and charts, each chart's figures in its embedded workbook,
//! nothing under the type scale's smallest size or off the slide, for partners of three tiers in
//! both languages.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::path::Path;

use crate::common;
use crate::qbr::QUARTER;

use calamine::{Data, Reader, Xlsx};
use common::{as_of, manager_laptop, world};
use desk::qbr::{self, Audience};
use program::{Lang, Tier};
use roxmltree::{Document, Node};

const A: &str = "http://schemas.openxmlformats.org/drawingml/2006/main";
const P: &str = "http://schemas.openxmlformats.org/presentationml/2006/main";
const C: &str = "http://schemas.openxmlformats.org/drawingml/2006/chart";
const R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// A package's parts by name.
struct Pptx {
    parts: BTreeMap<String, Vec<u8>>,
}

impl Pptx {
    fn open(path: &Path) -> Pptx {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
        let mut parts = BTreeMap::new();
        for i in 0..zip.len() {
            let mut file = zip.by_index(i).unwrap();
            let mut body = Vec::new();
            file.read_to_end(&mut body).unwrap();
            parts.insert(file.name().unwrap().to_string(), body);
        }
        Pptx { parts }
    }

    fn text(&self, name: &str) -> &str {
        std::str::from_utf8(
            self.parts
                .get(name)
                .unwrap_or_else(|| panic!("{name} missing")),
        )
        .unwrap()
    }

    /// A part's relationships: id → the part it points at.
    fn rels(&self, part: &str) -> BTreeMap<String, String> {
        let (dir, file) = part.rsplit_once('/').unwrap_or(("", part));
        let rels = if dir.is_empty() {
            format!("_rels/{file}.rels")
        } else {
            format!("{dir}/_rels/{file}.rels")
        };
        let Some(body) = self.parts.get(&rels) else {
            return BTreeMap::new();
        };
        let doc = Document::parse(std::str::from_utf8(body).unwrap()).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name("Relationship"))
            .map(|n| {
                let target = n.attribute("Target").unwrap();
                (n.attribute("Id").unwrap().to_string(), resolve(dir, target))
            })
            .collect()
    }

    /// The slides' parts in the presentation's order.
    fn slides(&self) -> Vec<String> {
        let rels = self.rels("ppt/presentation.xml");
        let doc = Document::parse(self.text("ppt/presentation.xml")).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name((P, "sldId")))
            .map(|n| rels[n.attribute((R, "id")).unwrap()].clone())
            .collect()
    }
}

/// A relationship's target, from the folder of the part that holds it.
fn resolve(dir: &str, target: &str) -> String {
    let mut path: Vec<&str> = if dir.is_empty() {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    for step in target.split('/') {
        match step {
            ".." => {
                path.pop();
            }
            "." | "" => {}
            s => path.push(s),
        }
    }
    path.join("/")
}

/// A paragraph's text.
fn paragraph(p: Node<'_, '_>) -> String {
    p.descendants()
        .filter(|n| n.has_tag_name((A, "t")))
        .filter_map(|n| n.text())
        .collect()
}

/// The paragraphs of the shape named `name` (its `cNvPr`).
fn shape(doc: &Document<'_>, name: &str) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name((P, "sp")))
        .find(|sp| {
            sp.descendants()
                .any(|n| n.has_tag_name((P, "cNvPr")) && n.attribute("name") == Some(name))
        })
        .map(|sp| {
            sp.descendants()
                .filter(|n| n.has_tag_name((A, "p")))
                .map(paragraph)
                .collect()
        })
        .unwrap_or_default()
}

/// The rows of a slide's first table, each cell's text.
fn table(doc: &Document<'_>) -> Vec<Vec<String>> {
    doc.descendants()
        .filter(|n| n.has_tag_name((A, "tr")))
        .map(|tr| {
            tr.children()
                .filter(|n| n.has_tag_name((A, "tc")))
                .map(|tc| {
                    tc.descendants()
                        .filter(|n| n.has_tag_name((A, "p")))
                        .map(paragraph)
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        })
        .collect()
}

/// Every word of every slide, in order: what a reader of the file sees.
pub fn text(path: &Path) -> String {
    let pptx = Pptx::open(path);
    pptx.slides()
        .iter()
        .map(|s| {
            let doc = Document::parse(pptx.text(s)).unwrap();
            doc.descendants()
                .filter(|n| n.has_tag_name((A, "p")))
                .map(paragraph)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What is wrong with the package as a package: a part without a content type, a relationship
/// to a part that is not there, XML that does not parse.
fn package_faults(pptx: &Pptx) -> Vec<String> {
    let mut faults = Vec::new();
    let types = Document::parse(pptx.text("[Content_Types].xml")).unwrap();
    let defaults: Vec<&str> = types
        .descendants()
        .filter(|n| n.has_tag_name("Default"))
        .filter_map(|n| n.attribute("Extension"))
        .collect();
    let overrides: Vec<&str> = types
        .descendants()
        .filter(|n| n.has_tag_name("Override"))
        .filter_map(|n| n.attribute("PartName"))
        .collect();
    for name in pptx.parts.keys() {
        if name == "[Content_Types].xml" {
            continue;
        }
        let extension = name.rsplit('.').next().unwrap();
        if !overrides.contains(&format!("/{name}").as_str()) && !defaults.contains(&extension) {
            faults.push(format!("{name} has no content type"));
        }
        if extension == "xml" || extension == "rels" {
            if let Err(e) = Document::parse(pptx.text(name)) {
                faults.push(format!("{name}: {e}"));
            }
        }
        if extension != "rels" {
            for (id, target) in pptx.rels(name) {
                if !pptx.parts.contains_key(&target) {
                    faults.push(format!(
                        "{name} {id} points at {target}, not in the package"
                    ));
                }
            }
        }
    }
    for part in overrides {
        if !pptx.parts.contains_key(&part[1..]) {
            faults.push(format!("{part} is typed but not in the package"));
        }
    }
    faults
}

/// Text under 11 pt (the type scale's smallest) and shapes reaching off the 16:9 slide.
fn layout_faults(slide: &str, doc: &Document<'_>) -> Vec<String> {
    let mut faults = Vec::new();
    for n in doc.descendants() {
        if let Some(size) = n.attribute("sz").and_then(|s| s.parse::<u32>().ok()) {
            if size < 1100 {
                faults.push(format!("{slide}: text of {} pt", f64::from(size) / 100.0));
            }
        }
        if n.has_tag_name((A, "off")) {
            let ext = n.next_sibling_element().unwrap();
            let v =
                |node: Node<'_, '_>, a: &str| node.attribute(a).unwrap().parse::<i64>().unwrap();
            let (x, y, w, h) = (v(n, "x"), v(n, "y"), v(ext, "cx"), v(ext, "cy"));
            if x < 0 || y < 0 || x + w > 12_192_000 || y + h > 6_858_000 {
                faults.push(format!(
                    "{slide}: a shape at {x},{y} of {w}×{h} leaves the slide"
                ));
            }
        }
    }
    faults
}

/// A chart's cached series: name and values (None for a month without one).
fn chart_series(xml: &str) -> Vec<(String, Vec<Option<String>>)> {
    let doc = Document::parse(xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name((C, "ser")))
        .map(|ser| {
            let name = ser
                .descendants()
                .find(|n| n.has_tag_name((C, "tx")))
                .and_then(|tx| tx.descendants().find(|n| n.has_tag_name((C, "v"))))
                .and_then(|v| v.text())
                .unwrap_or("")
                .to_string();
            let cache = ser
                .descendants()
                .find(|n| n.has_tag_name((C, "numCache")))
                .unwrap();
            let count: usize = cache
                .children()
                .find(|n| n.has_tag_name((C, "ptCount")))
                .and_then(|n| n.attribute("val"))
                .unwrap()
                .parse()
                .unwrap();
            let mut values = vec![None; count];
            for pt in cache.children().filter(|n| n.has_tag_name((C, "pt"))) {
                let i: usize = pt.attribute("idx").unwrap().parse().unwrap();
                let v = pt.first_element_child().and_then(|v| v.text()).unwrap();
                values[i] = Some(v.to_string());
            }
            (name, values)
        })
        .collect()
}

/// A key figure's row as every file prints it: its name, the three quarters' values, the two
/// changes.
pub fn kpi_cells(k: &qbr::KpiRow, lang: Lang) -> Vec<String> {
    vec![
        k.kpi.name(lang).to_string(),
        qbr::format_kpi(k.kpi, k.value.as_deref(), lang),
        qbr::format_kpi(k.kpi, k.previous.as_deref(), lang),
        qbr::format_kpi(k.kpi, k.year_before.as_deref(), lang),
        qbr::format_change(
            k.kpi,
            k.change_previous.as_deref(),
            k.relative_previous.as_deref(),
            lang,
        ),
        qbr::format_change(
            k.kpi,
            k.change_year.as_deref(),
            k.relative_year.as_deref(),
            lang,
        ),
    ]
}

fn pdf_pages(pdf: &Path) -> usize {
    let info = std::process::Command::new("pdfinfo")
        .arg(pdf)
        .output()
        .unwrap();
    String::from_utf8(info.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn pdf_page_text(pdf: &Path, page: usize) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-f", &page.to_string(), "-l", &page.to_string()])
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    flat(&String::from_utf8(out.stdout).unwrap())
}

fn flat(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn the_editable_deck_has_the_pdfs_slides_and_figures_and_reads_back_whole() {
    let w = world().await;
    let (store, _engine) = manager_laptop(&w.server, w.dir.path()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut slides_checked = 0;
    for tier in [Tier::Strategic, Tier::Regional, Tier::Specialist] {
        let p = w.partner(|p| p.tier == tier);
        let review = qbr::review(&store, p.id, QUARTER.parse().unwrap(), as_of())
            .await
            .unwrap();
        for lang in [Lang::En, Lang::Es] {
            let out = dir.path().join(format!("{tier:?}-{lang:?}"));
            std::fs::create_dir_all(&out).unwrap();
            let files = qbr::export(review.clone(), lang, Audience::Internal, None, &out)
                .await
                .unwrap();
            let at = format!("{tier:?} {lang:?}");
            assert_eq!(files.slides.extension().unwrap(), "pptx");
            assert_eq!(files.slides.file_stem(), files.deck.file_stem());
            let pptx = Pptx::open(&files.slides);
            let faults = package_faults(&pptx);
            assert!(faults.is_empty(), "{at}:\n{}", faults.join("\n"));

            // The PDF's slides, in its order: each slide's title on the PDF's page.
            let slides = pptx.slides();
            assert_eq!(slides.len(), pdf_pages(&files.deck), "{at}");
            let docs: Vec<(String, String)> = slides
                .iter()
                .map(|s| (s.clone(), pptx.text(s).to_string()))
                .collect();
            for (i, (name, xml)) in docs.iter().enumerate() {
                let doc = Document::parse(xml).unwrap();
                let faults = layout_faults(name, &doc);
                assert!(faults.is_empty(), "{at}:\n{}", faults.join("\n"));
                let title = shape(&doc, "Title").join(" ");
                let page = pdf_page_text(&files.deck, i + 1);
                if i == 0 {
                    assert!(title.is_empty(), "{at}: the title slide has no slide title");
                    let partner = shape(&doc, "Partner");
                    assert_eq!(partner[0], review.partner, "{at}");
                } else {
                    assert!(!title.is_empty(), "{at}: slide {} has a title", i + 1);
                    assert!(
                        page.contains(&flat(&title)),
                        "{at}: {title:?} not on page {}",
                        i + 1
                    );
                }
                slides_checked += 1;
            }

            // The summary, line for line.
            let summary = Document::parse(&docs[1].1).unwrap();
            assert_eq!(
                shape(&summary, "Body"),
                qbr::summary(&review, lang, Audience::Internal),
                "{at}"
            );
            // The key figures, cell for cell.
            let kpis = table(&Document::parse(&docs[2].1).unwrap());
            assert_eq!(kpis.len(), review.kpis.len() + 1, "{at}");
            for (row, k) in kpis[1..].iter().zip(&review.kpis) {
                assert_eq!(row, &kpi_cells(k, lang), "{at}");
            }

            // The charts: the months' figures cached in the chart and in its workbook.
            let rels = pptx.rels(&slides[3]);
            let chart = rels.values().find(|t| t.contains("charts/")).unwrap();
            let series = chart_series(pptx.text(chart));
            let active: Vec<Option<String>> = review
                .monthly
                .iter()
                .map(|m| Some(m.active_customers.to_string()))
                .collect();
            assert_eq!(series.len(), 1, "{at}");
            assert_eq!(series[0].1, active, "{at}: active customers by month");
            let book = pptx.rels(chart).into_values().next().unwrap();
            let mut wb = Xlsx::new(Cursor::new(pptx.parts[&book].clone())).unwrap();
            let sheet = wb.sheet_names()[0].clone();
            let range = wb.worksheet_range(&sheet).unwrap();
            let column: Vec<Option<String>> = range
                .rows()
                .skip(1)
                .map(|r| match &r[1] {
                    Data::Float(v) => Some(v.to_string()),
                    Data::Int(v) => Some(v.to_string()),
                    _ => None,
                })
                .collect();
            assert_eq!(column, active, "{at}: the chart's workbook");
            let credits = rels
                .values()
                .filter(|t| t.contains("charts/"))
                .nth(1)
                .unwrap();
            let series = chart_series(pptx.text(credits));
            assert_eq!(series.len(), 2, "{at}: consumed and bought");
            let consumed: Vec<Option<String>> = review
                .monthly
                .iter()
                .map(|m| {
                    Some(
                        m.consumed
                            .parse::<rust_decimal::Decimal>()
                            .unwrap()
                            .round()
                            .to_string(),
                    )
                })
                .collect();
            assert_eq!(series[0].1, consumed, "{at}: credits consumed by month");

            // The title slide's mark: a PNG, and the SVG it was drawn from.
            let media: Vec<&String> = pptx
                .parts
                .keys()
                .filter(|k| k.starts_with("ppt/media/"))
                .collect();
            let png = media.iter().find(|m| m.ends_with(".png")).unwrap();
            assert!(pptx.parts[*png].starts_with(b"\x89PNG\r\n\x1a\n"), "{at}");
            if let Some(logo) = &review.logo {
                let svg = media.iter().find(|m| m.ends_with(".svg")).unwrap();
                assert_eq!(pptx.text(svg), logo, "{at}");
            }
        }
    }
    assert!(slides_checked >= 6 * 7, "{slides_checked} slides");
}
