//! How the review prints its figures, in either language.

use program::progression::Measure;
use program::qbr::Kpi;
use program::Lang;
use rust_decimal::Decimal;

use crate::pdf::format::format_amount;

pub(super) fn pick(lang: Lang, en: &str, es: &str) -> String {
    match lang {
        Lang::En => en.to_string(),
        Lang::Es => es.to_string(),
    }
}

// How the review prints numbers. The window (`ui/src/lib/qbr.ts`) follows the same rules and both
// are held to the cases of `ui/src/lib/qbr.cases.json`: counts whole, credits to the hundredth,
// credits whole when they round to whole credits ("300,000"), fractions in percent to one decimal
// ("81.2%", "81,2 %"), NPS and retention changes in points, the runway's change in days; rounded
// half away from zero; a change carries "+" when it rounds above zero.

/// `value` rounded to `decimals`; zero is never negative (no "-0.0").
fn rounded(value: Decimal, decimals: u32) -> Decimal {
    let r = value.round_dp_with_strategy(decimals, program::money::ROUNDING);
    if r.is_zero() {
        r.abs()
    } else {
        r
    }
}

pub(super) fn fixed(value: Decimal, decimals: u32, lang: Lang, signed: bool) -> String {
    let r = rounded(value, decimals);
    let text = format_amount(r, decimals, lang);
    if signed && r > Decimal::ZERO {
        format!("+{text}")
    } else {
        text
    }
}

/// Credits to the hundredth, without the cents when they are zero: "1,234.50", "300,000".
fn credits(value: Decimal, lang: Lang, signed: bool) -> String {
    let decimals = if rounded(value, 2).fract().is_zero() {
        0
    } else {
        2
    };
    fixed(value, decimals, lang, signed)
}

fn percent(fraction: Decimal, lang: Lang, signed: bool) -> String {
    let text = fixed(fraction * Decimal::ONE_HUNDRED, 1, lang, signed);
    match lang {
        Lang::En => format!("{text}%"),
        // Spanish sets the sign apart, with a space that does not break.
        Lang::Es => format!("{text}\u{a0}%"),
    }
}

fn points(text: String, lang: Lang) -> String {
    format!("{text} {}", pick(lang, "pts", "ptos"))
}

/// A number of days: "+1 day", "-78 days", "-78 días".
fn days(change: Decimal, lang: Lang) -> String {
    let one = rounded(change, 0).abs() == Decimal::ONE;
    let unit = match (lang, one) {
        (Lang::En, true) => "day",
        (Lang::En, false) => "days",
        (Lang::Es, true) => "día",
        (Lang::Es, false) => "días",
    };
    format!("{} {unit}", fixed(change, 0, lang, true))
}

pub(super) fn credit_kpi(kpi: Kpi) -> bool {
    matches!(
        kpi,
        Kpi::DeploymentValue
            | Kpi::RecurringVolume
            | Kpi::CreditsBought
            | Kpi::CreditsConsumed
            | Kpi::Balance
    )
}

pub(super) fn parsed(value: Option<&str>) -> Option<Decimal> {
    value.and_then(|v| v.parse::<Decimal>().ok())
}

/// A fraction as a percentage to one decimal: "81.2%", "81,2 %".
pub fn format_ratio(fraction: Decimal, lang: Lang) -> String {
    percent(fraction, lang, false)
}

/// A KPI's value as the review prints it; "—" without a value.
pub fn format_kpi(kpi: Kpi, value: Option<&str>, lang: Lang) -> String {
    match parsed(value) {
        None => "—".to_string(),
        Some(v) if kpi == Kpi::Retention => percent(v, lang, false),
        Some(v) if credit_kpi(kpi) => credits(v, lang, false),
        Some(v) => fixed(v, 0, lang, false),
    }
}

/// A change as the review prints it: relative in percent when there is one ("+12.5%"), else
/// the difference, in points for NPS and retention ("+3 pts"), in days for the runway ("-78
/// days"); "—" without one.
pub fn format_change(kpi: Kpi, change: Option<&str>, relative: Option<&str>, lang: Lang) -> String {
    if let Some(r) = parsed(relative) {
        return percent(r, lang, true);
    }
    match (parsed(change), kpi) {
        (None, _) => "—".to_string(),
        (Some(c), Kpi::Nps) => points(fixed(c, 0, lang, true), lang),
        (Some(c), Kpi::Retention) => points(fixed(c * Decimal::ONE_HUNDRED, 1, lang, true), lang),
        (Some(c), Kpi::RunwayDays) => days(c, lang),
        (Some(c), _) if credit_kpi(kpi) => credits(c, lang, true),
        (Some(c), _) => fixed(c, 0, lang, true),
    }
}

/// A tier progression value (current or required) in its measure's format; "—" without one.
pub fn format_measure(measure: Measure, value: Option<&str>, lang: Lang) -> String {
    match (parsed(value), measure) {
        (None, _) => "—".to_string(),
        (Some(v), Measure::Retention) => percent(v, lang, false),
        (Some(v), Measure::RecurringVolume) => credits(v, lang, false),
        (Some(v), _) => fixed(v, 0, lang, false),
    }
}

/// The gap to a threshold: retention in points, the others as their measure; "—" without one.
pub fn format_gap(measure: Measure, gap: Option<&str>, lang: Lang) -> String {
    match (parsed(gap), measure) {
        (Some(g), Measure::Retention) => {
            points(fixed(g * Decimal::ONE_HUNDRED, 1, lang, false), lang)
        }
        _ => format_measure(measure, gap, lang),
    }
}

/// A progression measure's name, as the deck and the workbook print it.
pub fn measure_name(measure: Measure, lang: Lang) -> &'static str {
    match (measure, lang) {
        (Measure::ActiveCustomers, Lang::En) => "Active customers",
        (Measure::ActiveCustomers, Lang::Es) => "Clientes activos",
        (Measure::Nps, Lang::En) => "NPS (12 months)",
        (Measure::Nps, Lang::Es) => "NPS (12 meses)",
        (Measure::Retention, Lang::En) => "Retention (12 months)",
        (Measure::Retention, Lang::Es) => "Retención (12 meses)",
        (Measure::RecurringVolume, Lang::En) => "Recurring volume (12 months)",
        (Measure::RecurringVolume, Lang::Es) => "Volumen recurrente (12 meses)",
    }
}
