//! The deck as an editable presentation (PPTX): the same slides as the PDF, from the same
//! [`deck_data`](super::deck_data), as text boxes, tables and native charts an account manager
//! can change before the meeting. The package's fixed parts (theme, master, layout) are in
//! `templates/pptx/`; the slides, charts and their workbooks are written here.

mod chart;
mod package;
mod shapes;
mod trends;

use std::io::Write;
use std::path::Path;

use program::Lang;
use serde_json::Value;

use self::chart::Chart;
use self::package::{logo_png, package};
use self::shapes::{Frame, Para, Run, Slide, Table, CM};
use super::deck::deck_data;
use super::model::{Audience, Review};
use crate::error::Result;

/// The same type scale as the PDF deck (`templates/qbr.typ`), in points.
mod size {
    pub const NOTE: u32 = 11;
    pub const SMALL: u32 = 13;
    pub const TABLE: u32 = 14;
    pub const BODY: u32 = 16;
    pub const LARGE: u32 = 18;
    pub const LEAD: u32 = 20;
    pub const TITLE: u32 = 26;
    pub const DISPLAY: u32 = 36;
}

/// The most rows a list or table shows on a slide, as in the PDF; the workbook has them all.
const ROWS: usize = 10;
/// A 16:9 slide, 33.867 × 19.05 cm, and its margins.
const WIDTH: f64 = 33.867;
const HEIGHT: f64 = 19.05;
const MARGIN: f64 = 1.6;
const BODY_TOP: f64 = 3.2;
const GREY: &str = "5A5A5A";
const RED: &str = "B42318";

/// A field of the deck's data as text ("" when absent).
fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A word with its first letter in capitals: a table's header.
fn cap(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Where the text under a table of `rows` rows (and its header) at `size` points may start, in cm.
fn below_table(rows: usize, size: u32) -> f64 {
    let height = (rows as i64 + 1) * shapes::row_height(size);
    BODY_TOP + height as f64 / CM as f64 + 0.3
}

/// What a list leaves out: "… 3 more in the workbook".
fn rest(n: usize, shown: usize, l: &Value) -> Option<Para> {
    (n > shown).then(|| {
        Para::of(Run::new(format!("… {} {}", n - shown, s(l, "more")), size::SMALL).color(GREY))
    })
}

/// The presentation being built: its slides, charts and pictures.
struct Deck<'a> {
    d: &'a Value,
    lang: &'static str,
    accent: String,
    slides: Vec<Slide>,
    charts: Vec<(String, Chart)>,
    media: Vec<(String, Vec<u8>)>,
}

impl Deck<'_> {
    fn l(&self, key: &str) -> &str {
        s(&self.d["labels"], key)
    }

    /// A new slide with its footer (the partner, the review, the slide's number) and, unless it
    /// is the title slide, its title over a rule in the accent colour.
    fn slide(&mut self, title: Option<&str>) -> Slide {
        let mut slide = Slide::new(self.lang);
        if let Some(title) = title {
            slide.text(
                "Title",
                Frame::cm(MARGIN, 1.1, WIDTH - 2.0 * MARGIN, 1.3),
                &[Para::of(
                    Run::new(title, size::TITLE).bold().color(&self.accent),
                )],
            );
            slide.rect(
                "Rule",
                Frame::cm(MARGIN, 2.45, WIDTH - 2.0 * MARGIN, 0.05),
                &self.accent,
                &[],
            );
        }
        let footer = format!(
            "{} · {} {}",
            s(self.d, "partner"),
            self.l("title"),
            s(self.d, "quarter")
        );
        slide.text(
            "Footer",
            Frame::cm(MARGIN, HEIGHT - 1.1, WIDTH - 2.0 * MARGIN - 2.0, 0.6),
            &[Para::of(Run::new(footer, size::NOTE).color("646464"))],
        );
        slide.number(
            Frame::cm(WIDTH - MARGIN - 2.0, HEIGHT - 1.1, 2.0, 0.6),
            self.slides.len() + 1,
            size::NOTE,
            "646464",
        );
        slide
    }

    fn body(&self) -> Frame {
        Frame::cm(
            MARGIN,
            BODY_TOP,
            WIDTH - 2.0 * MARGIN,
            HEIGHT - BODY_TOP - 1.6,
        )
    }

    /// A table across the body's width, its columns in proportion to `weights`.
    fn table(
        &self,
        slide: &mut Slide,
        y: f64,
        (weights, align): (&[f64], &[&'static str]),
        (header, rows): (Vec<String>, Vec<Vec<String>>),
        size: u32,
    ) {
        let total: f64 = weights.iter().sum();
        let width = WIDTH - 2.0 * MARGIN;
        let widths: Vec<i64> = weights
            .iter()
            .map(|w| (w / total * width * CM as f64).round() as i64)
            .collect();
        slide.table(
            &Table {
                name: "Table",
                at: ((MARGIN * CM as f64) as i64, (y * CM as f64) as i64),
                widths: &widths,
                align,
                header,
                rows,
                size,
            },
            &self.accent,
        );
    }

    fn title_slide(&mut self) -> Result<()> {
        let d = self.d;
        let mut slide = self.slide(None);
        let logo = s(d, "logo");
        let (png, width) = logo_png(logo)?;
        let height = 1.6;
        let logo_w = height * width;
        let top = 4.6;
        let n = self.media.len() / 2 + 1;
        self.media.push((format!("logo{n}.png"), png));
        self.media
            .push((format!("logo{n}.svg"), logo.as_bytes().to_vec()));
        slide.picture(
            "Logo",
            Frame::cm(MARGIN, top, logo_w, height),
            &format!("logo{n}.png"),
            &format!("logo{n}.svg"),
        );
        let brands = list(d, "brands")
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" · ");
        slide.text(
            "Brands",
            Frame::cm(MARGIN + logo_w + 0.4, top + 0.45, 20.0, 0.8),
            &[Para::of(Run::new(brands, size::LEAD).color("505050"))],
        );
        let paras = [
            Para::of(
                Run::new(s(d, "partner"), size::DISPLAY)
                    .bold()
                    .color(&self.accent),
            ),
            Para::of(Run::new(
                format!("{} — {}", self.l("title"), s(d, "quarter")),
                size::TITLE,
            )),
            Para::of(Run::new(
                format!(
                    "{} · {}: {} · {} {}",
                    s(d, "tier"),
                    self.l("account_manager"),
                    s(d, "account_manager"),
                    self.l("measured_to"),
                    s(d, "measured_to")
                ),
                size::BODY,
            )),
        ];
        slide.text(
            "Partner",
            Frame::cm(MARGIN, top + 2.1, WIDTH - 2.0 * MARGIN, 4.0),
            &paras,
        );
        if d["internal"].as_bool() == Some(true) {
            slide.rect(
                "Internal review",
                Frame::cm(MARGIN, top + 6.6, WIDTH - 2.0 * MARGIN, 1.4),
                "F0F0F0",
                &[Para::of(Run::new(self.l("internal"), size::BODY).bold())],
            );
        }
        self.slides.push(slide);
        Ok(())
    }

    fn bullets(&mut self, title: &str, lines: &[String], size: u32, extra: Option<Para>) {
        let mut slide = self.slide(Some(title));
        let mut paras: Vec<Para> = lines
            .iter()
            .map(|l| Para::bullet(Run::new(l, size)))
            .collect();
        paras.extend(extra);
        let body = self.body();
        slide.text("Body", body, &paras);
        self.slides.push(slide);
    }

    fn summary(&mut self) {
        let lines: Vec<String> = list(self.d, "summary")
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        let title = self.l("summary").to_string();
        self.bullets(&title, &lines, size::LARGE, None);
    }

    fn kpis(&mut self) {
        let d = self.d;
        let title = self.l("kpis").to_string();
        let mut slide = self.slide(Some(&title));
        let (q, p, y) = (s(d, "quarter"), s(d, "previous"), s(d, "year_before"));
        let header = vec![
            self.l("figure").to_string(),
            q.to_string(),
            p.to_string(),
            y.to_string(),
            format!("{} vs {p}", self.l("change")),
            format!("{} vs {y}", self.l("change")),
        ];
        let rows = list(d, "kpis")
            .iter()
            .map(|k| {
                [
                    "name",
                    "value",
                    "previous",
                    "year_before",
                    "change_previous",
                    "change_year",
                ]
                .iter()
                .map(|f| s(k, f).to_string())
                .collect()
            })
            .collect();
        self.table(
            &mut slide,
            BODY_TOP,
            (
                &[2.3, 1.2, 1.2, 1.2, 1.1, 1.1],
                &["l", "r", "r", "r", "r", "r"],
            ),
            (header, rows),
            size::TABLE,
        );
        self.slides.push(slide);
    }

    fn progression(&mut self) {
        let d = self.d;
        let rows: Vec<Vec<String>> = list(d, "progression")
            .iter()
            .map(|t| {
                let met = if t["met"].as_bool() == Some(true) {
                    self.l("yes")
                } else {
                    self.l("no")
                };
                vec![
                    s(t, "measure").into(),
                    s(t, "current").into(),
                    s(t, "required").into(),
                    s(t, "gap").into(),
                    met.into(),
                    s(t, "estimated_on").into(),
                ]
            })
            .collect();
        if rows.is_empty() {
            return;
        }
        let title = self.l("tier").to_string();
        let mut slide = self.slide(Some(&title));
        slide.text(
            "Outlook",
            Frame::cm(MARGIN, BODY_TOP, WIDTH - 2.0 * MARGIN, 1.0),
            &[Para::of(Run::new(s(d, "outlook"), size::LEAD))],
        );
        let header = ["measure", "current", "required", "gap", "met", "estimated"]
            .iter()
            .map(|k| self.l(k).to_string())
            .collect();
        self.table(
            &mut slide,
            BODY_TOP + 1.6,
            (
                &[2.0, 1.0, 1.0, 1.0, 0.7, 1.3],
                &["l", "r", "r", "r", "ctr", "l"],
            ),
            (header, rows),
            size::TABLE,
        );
        self.slides.push(slide);
    }

    fn pipeline(&mut self) {
        let deals = &self.d["deals"];
        if deals["any"].as_bool() != Some(true) {
            return;
        }
        let title = self.l("pipeline").to_string();
        let mut slide = self.slide(Some(&title));
        let row =
            |label: &str, n: &str, v: &str| vec![self.l(label).to_string(), n.into(), v.into()];
        let rows = vec![
            row("open", s(deals, "open"), s(deals, "open_value")),
            row("won", s(deals, "won"), s(deals, "won_value")),
            row("lost", s(deals, "lost"), s(deals, "lost_value")),
            row("forecast", "", s(deals, "forecast")),
            row("win_rate", s(deals, "win_rate"), ""),
        ];
        let header = vec![
            String::new(),
            cap(self.l("deals")),
            cap(self.l("credits_unit")),
        ];
        self.table(
            &mut slide,
            BODY_TOP,
            (&[2.0, 1.0, 1.5], &["l", "r", "r"]),
            (header, rows),
            size::LEAD,
        );
        self.slides.push(slide);
    }

    /// A slide of at most [`ROWS`] rows of `items`, "… n more" under it.
    fn listing(
        &mut self,
        title: &str,
        items: &[Value],
        header: Vec<String>,
        fields: &[&str],
        (weights, align): (&[f64], &[&'static str]),
    ) {
        if items.is_empty() {
            return;
        }
        let title = self.l(title).to_string();
        let mut slide = self.slide(Some(&title));
        let rows: Vec<Vec<String>> = items
            .iter()
            .take(ROWS)
            .map(|i| fields.iter().map(|f| s(i, f).to_string()).collect())
            .collect();
        let below = below_table(rows.len(), size::TABLE);
        self.table(
            &mut slide,
            BODY_TOP,
            (weights, align),
            (header, rows),
            size::TABLE,
        );
        if let Some(more) = rest(items.len(), ROWS, &self.d["labels"]) {
            slide.text("More", Frame::cm(MARGIN, below, 20.0, 0.8), &[more]);
        }
        self.slides.push(slide);
    }

    fn actions(&mut self) {
        let items = list(self.d, "actions");
        if items.is_empty() {
            return;
        }
        let title = self.l("actions").to_string();
        let mut slide = self.slide(Some(&title));
        let shown = ROWS - 2;
        let rows: Vec<Vec<String>> = items
            .iter()
            .take(shown)
            .map(|a| {
                let text = if a["carried_over"].as_bool() == Some(true) {
                    format!(
                        "{} ({} {})",
                        s(a, "text"),
                        self.l("carried_from"),
                        s(a, "from")
                    )
                } else {
                    s(a, "text").to_string()
                };
                vec![
                    text,
                    s(a, "owner").into(),
                    s(a, "due").into(),
                    s(a, "status").into(),
                ]
            })
            .collect();
        let below = below_table(rows.len(), size::TABLE);
        let header = ["action", "owner", "due", "status"]
            .iter()
            .map(|k| self.l(k).to_string())
            .collect();
        self.table(
            &mut slide,
            BODY_TOP,
            (&[3.0, 1.2, 1.3, 0.9], &["l", "l", "l", "l"]),
            (header, rows),
            size::TABLE,
        );
        if let Some(more) = rest(items.len(), shown, &self.d["labels"]) {
            slide.text("More", Frame::cm(MARGIN, below, 20.0, 0.8), &[more]);
        }
        self.slides.push(slide);
    }

    fn texts(&self, key: &str) -> Vec<String> {
        list(self.d, key)
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    }

    fn risks(&mut self) {
        let risks = self.texts("risks");
        if risks.is_empty() {
            return;
        }
        let more = rest(risks.len(), ROWS, &self.d["labels"]);
        let title = self.l("risks").to_string();
        self.bullets(&title, &risks[..risks.len().min(ROWS)], size::BODY, more);
    }

    fn appendix(&mut self) {
        let title = self.l("appendix").to_string();
        let mut slide = self.slide(Some(&title));
        let mut paras: Vec<Para> = list(self.d, "kpis")
            .iter()
            .map(|k| Para {
                runs: vec![
                    Run::new(format!("{}: ", s(k, "name")), size::NOTE).bold(),
                    Run::new(s(k, "definition"), size::NOTE),
                ],
                bullet: false,
                align: "l",
            })
            .collect();
        paras.push(Para::of(Run::new(self.l("source"), size::NOTE).color(GREY)));
        let body = self.body();
        slide.text("Definitions", body, &paras);
        self.slides.push(slide);
    }

    fn customer_risks(&mut self) {
        let risks = self.texts("customer_risks");
        if self.d["appendix_internal"].as_bool() != Some(true) || risks.is_empty() {
            return;
        }
        let title = self.l("customer_risks").to_string();
        let mut slide = self.slide(Some(&title));
        slide.rect(
            "Internal",
            Frame::cm(MARGIN, BODY_TOP, WIDTH - 2.0 * MARGIN, 1.0),
            "FDECEA",
            &[Para::of(
                Run::new(self.l("internal_only"), size::SMALL)
                    .bold()
                    .color("8A1C12"),
            )],
        );
        let shown = ROWS - 1;
        let mut paras: Vec<Para> = risks
            .iter()
            .take(shown)
            .map(|r| Para::bullet(Run::new(r, size::BODY)))
            .collect();
        paras.extend(rest(risks.len(), shown, &self.d["labels"]));
        slide.text(
            "Customers at risk",
            Frame::cm(MARGIN, BODY_TOP + 1.5, WIDTH - 2.0 * MARGIN, 12.0),
            &paras,
        );
        self.slides.push(slide);
    }
}

fn lang_of(tag: &'static str) -> Lang {
    if tag.starts_with("es") {
        Lang::Es
    } else {
        Lang::En
    }
}

/// The slides of the deck's data `d` (in `lang`), in the PDF deck's order.
fn build(d: &Value, lang: Lang) -> Result<Deck<'_>> {
    let mut deck = Deck {
        d,
        lang: match lang {
            Lang::En => "en-US",
            Lang::Es => "es-ES",
        },
        accent: s(d, "color").trim_start_matches('#').to_uppercase(),
        slides: Vec::new(),
        charts: Vec::new(),
        media: Vec::new(),
    };
    deck.title_slide()?;
    deck.summary();
    deck.kpis();
    deck.trends();
    deck.progression();
    deck.pipeline();
    let l = &d["labels"];
    deck.listing(
        "top",
        list(d, "top_customers"),
        vec![s(l, "customer").into(), cap(s(l, "credits_unit"))],
        &["name", "consumed"],
        (&[2.0, 1.0], &["l", "r"]),
    );
    deck.listing(
        "migrations",
        list(d, "migrations"),
        ["customer", "direction", "other", "on"]
            .iter()
            .map(|k| s(l, k).to_string())
            .collect(),
        &["customer", "direction", "other", "on"],
        (&[1.6, 0.8, 1.6, 1.2], &["l", "l", "l", "l"]),
    );
    deck.risks();
    deck.actions();
    deck.appendix();
    deck.customer_risks();
    Ok(deck)
}

/// Writes `review`'s deck in `lang` for `audience` as a PPTX into `path` (all or nothing).
/// Blocking.
pub fn write_slides(review: &Review, lang: Lang, audience: Audience, path: &Path) -> Result<()> {
    let data = deck_data(review, lang, audience)?;
    let deck = build(&data, lang)?;
    let bytes = package(&deck)?;
    crate::export::write_atomically(path, |file| {
        file.write_all(&bytes)?;
        Ok(())
    })
}
