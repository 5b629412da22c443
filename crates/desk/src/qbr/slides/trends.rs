//! The two trends slides: each panel's title, note and latest values over a native chart.

use rust_decimal::Decimal;

use super::chart::{Chart, Series};
use super::shapes::{Frame, Para, Run, Slide};
use super::{lang_of, list, s, size, Deck, BODY_TOP, GREY, MARGIN, RED, WIDTH};

impl Deck<'_> {
    /// One of a trends slide's two panels: its title, its note, the latest values, the chart.
    fn panel(
        &mut self,
        slide: &mut Slide,
        left: bool,
        title: &str,
        note: Option<&str>,
        chart: Chart,
    ) {
        let width = (WIDTH - 2.0 * MARGIN - 1.2) / 2.0;
        let x = if left { MARGIN } else { MARGIN + width + 1.2 };
        let latest: Vec<String> = chart
            .series
            .iter()
            .map(|series| {
                let shown = series
                    .values
                    .last()
                    .cloned()
                    .flatten()
                    .and_then(|v| v.parse::<Decimal>().ok())
                    .map(|v| super::super::format::fixed(v, 0, lang_of(self.lang), false))
                    .unwrap_or_else(|| "—".into());
                if chart.series.len() > 1 {
                    format!("{} {shown}", series.name)
                } else {
                    shown
                }
            })
            .collect();
        let mut paras = vec![Para::of(Run::new(title, size::BODY).bold())];
        if let Some(note) = note {
            paras.push(Para::of(Run::new(note, size::NOTE).color(GREY)));
        }
        paras.push(Para::of(Run::new(
            format!(
                "{} ({}): {}",
                self.l("latest"),
                s(self.d, "latest_month"),
                latest.join(" · ")
            ),
            size::SMALL,
        )));
        slide.text("Chart title", Frame::cm(x, BODY_TOP, width, 2.2), &paras);
        let name = format!("chart{}.xml", self.charts.len() + 1);
        slide.chart(title, Frame::cm(x, BODY_TOP + 2.4, width, 11.0), &name);
        self.charts.push((name, chart));
    }

    /// A chart of the series `keys` of the deck's data, named `names`, in `colors`.
    fn chart(&self, keys: &[&str], names: &[&str], colors: &[&str]) -> Chart {
        let charts = &self.d["charts"];
        let months = list(charts, keys[0])
            .iter()
            .map(|p| {
                format!("{} {}", s(p, "label"), s(p, "year"))
                    .trim()
                    .to_string()
            })
            .collect();
        let series = keys
            .iter()
            .zip(names)
            .zip(colors)
            .map(|((key, name), color)| Series {
                name: (*name).to_string(),
                color: (*color).to_string(),
                values: list(charts, key)
                    .iter()
                    .map(|p| {
                        // Whole numbers on a chart, as in the PDF: the tables have the cents.
                        s(p, "value")
                            .parse::<Decimal>()
                            .ok()
                            .map(|v| v.round().to_string())
                    })
                    .collect(),
            })
            .collect();
        Chart {
            months,
            series,
            negative: None,
            lang: self.lang,
        }
    }

    pub(super) fn trends(&mut self) {
        let accent = self.accent.clone();
        let title = self.l("trends").to_string();
        let mut slide = self.slide(Some(&title));
        let active = self.chart(
            &["active_customers"],
            &[self.l("active_customers")],
            &[&accent],
        );
        let label = self.l("active_customers").to_string();
        self.panel(&mut slide, true, &label, None, active);
        let credits = self.chart(
            &["consumed", "bought"],
            &[self.l("consumed"), self.l("bought")],
            &[&accent, "969696"],
        );
        let label = self.l("credits").to_string();
        self.panel(&mut slide, false, &label, None, credits);
        self.slides.push(slide);

        let mut slide = self.slide(Some(&title));
        let mut balance = self.chart(&["balance"], &[self.l("balance")], &[&accent]);
        let below_zero = balance
            .series
            .iter()
            .flat_map(|s| &s.values)
            .any(|v| v.as_deref().is_some_and(|v| v.starts_with('-')));
        balance.negative = Some(RED.to_string());
        let (label, negative) = (
            self.l("balance").to_string(),
            self.l("negative").to_string(),
        );
        self.panel(
            &mut slide,
            true,
            &label,
            below_zero.then_some(negative.as_str()),
            balance,
        );
        let nps = self.chart(&["nps"], &[self.l("nps")], &[&accent]);
        let scored = nps.series[0].values.iter().flatten().count();
        let (label, note) = (self.l("nps").to_string(), self.l("nps_note").to_string());
        if scored >= 2 {
            self.panel(&mut slide, false, &label, Some(&note), nps);
        } else {
            let width = (WIDTH - 2.0 * MARGIN - 1.2) / 2.0;
            slide.text(
                "NPS",
                Frame::cm(MARGIN + width + 1.2, BODY_TOP, width, 4.0),
                &[
                    Para::of(Run::new(label, size::BODY).bold()),
                    Para::of(Run::new(self.l("nps_too_few"), size::BODY)),
                ],
            );
        }
        self.slides.push(slide);
    }
}
