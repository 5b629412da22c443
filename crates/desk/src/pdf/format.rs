//! How printed documents (quotes, review decks) write brands, amounts and dates, in the
//! document's language and the customer's country.

use chrono::{Datelike, NaiveDate};
use program::Lang;
use program::{Brand, Country};

/// A brand's accent colour in printed documents.
pub fn brand_color(brand: Brand) -> &'static str {
    match brand {
        Brand::CentroPago => "#0b7a75",
        Brand::RemindLedger => "#1f4e9e",
        Brand::Voldier => "#7a1f5c",
    }
}

/// A brand's mark, an SVG of simple shapes in the brand's colour: what a partner's deck shows
/// where the partner has no logo of its own.
pub fn brand_mark(brand: Brand) -> String {
    let ink = brand_color(brand);
    let shapes = match brand {
        // A coin.
        Brand::CentroPago => format!(
            r#"<circle cx="40" cy="40" r="34" fill="{ink}"/><circle cx="40" cy="40" r="20" fill="none" stroke="white" stroke-width="6"/>"#
        ),
        // The lines of a ledger.
        Brand::RemindLedger => format!(
            r#"<rect x="4" y="4" width="72" height="72" rx="12" fill="{ink}"/><rect x="18" y="22" width="44" height="7" fill="white"/><rect x="18" y="37" width="44" height="7" fill="white"/><rect x="18" y="52" width="28" height="7" fill="white"/>"#
        ),
        // A V.
        Brand::Voldier => {
            format!(r#"<path d="M4 8 L28 8 L40 44 L52 8 L76 8 L50 72 L30 72 Z" fill="{ink}"/>"#)
        }
    };
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 80 80" width="80" height="80">{shapes}</svg>"#
    )
}

/// How a customer writes numbers, as CLDR has it for their language and country: English, and
/// the Spanish of Mexico, Peru, Central America, the Caribbean and the United States, group with
/// commas and use a decimal point (`1,234.50`); the Spanish of Spain and South America groups
/// with points and uses a decimal comma (`1.234,50`), Costa Rica with spaces (`1 234,50`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberStyle {
    pub group: char,
    pub point: char,
}

impl NumberStyle {
    pub fn of(lang: Lang, country: Option<Country>) -> NumberStyle {
        let (group, point) = match (lang, country.as_ref().map(Country::code)) {
            (Lang::En, _) => (',', '.'),
            (
                Lang::Es,
                Some("MX" | "PE" | "US" | "PR" | "DO" | "CU" | "GT" | "HN" | "NI" | "PA" | "SV"),
            ) => (',', '.'),
            (Lang::Es, Some("CR")) => ('\u{a0}', ','),
            (Lang::Es, _) => ('.', ','),
        };
        NumberStyle { group, point }
    }
}

/// A decimal with `decimals` digits, grouped by thousands the language's usual way: `1,234.50`
/// in English, `1.234,50` in Spanish.
pub fn format_amount(value: rust_decimal::Decimal, decimals: u32, lang: Lang) -> String {
    format_number(value, decimals, NumberStyle::of(lang, None))
}

/// A decimal with `decimals` digits, rounded half away from zero, grouped by thousands in
/// `style`.
pub fn format_number(value: rust_decimal::Decimal, decimals: u32, style: NumberStyle) -> String {
    let NumberStyle { group, point } = style;
    let text = format!(
        "{:.*}",
        decimals as usize,
        value.round_dp_with_strategy(decimals, program::money::ROUNDING)
    );
    let (sign, digits) = text
        .strip_prefix('-')
        .map_or(("", text.as_str()), |d| ("-", d));
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{point}{fraction}")
    }
}

/// A date the customer's way: `24 November 2026`, `24 de noviembre de 2026`.
pub fn format_date(day: NaiveDate, lang: Lang) -> String {
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const ES: [&str; 12] = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ];
    let month = day.month0() as usize;
    match lang {
        Lang::En => format!("{} {} {}", day.day(), EN[month], day.year()),
        Lang::Es => format!("{} de {} de {}", day.day(), ES[month], day.year()),
    }
}
