//! The customer-ready PDF of a quote: the template, its data, and printing.

use chrono::Utc;
use program::quotes::PricedQuote;
use program::Country;
use program::Lang;

use super::{get, partner, QuoteView};
use crate::error::{DeskError, Result};
use crate::store::Store;
use crate::workspace;

/// The bundled quote template (see `templates/quote.typ`: a partner may copy and change it).
pub const TEMPLATE: &str = include_str!("../../templates/quote.typ");

use crate::pdf::format::brand_color;
pub use crate::pdf::format::{format_amount, format_date, format_number, NumberStyle};

/// The words of the printed quote.
fn labels(lang: Lang, validity_days: u32) -> serde_json::Value {
    let pick = |en: &str, es: &str| match lang {
        Lang::En => en.to_string(),
        Lang::Es => es.to_string(),
    };
    serde_json::json!({
        "quote": pick("Quote", "Cotización"),
        "number": pick("Quote number", "Número de cotización"),
        "version": pick("Version", "Versión"),
        "date": pick("Date", "Fecha"),
        "valid_until": pick("Valid until", "Válida hasta"),
        "customer": pick("Prepared for", "Preparada para"),
        "item": pick("Item", "Concepto"),
        "quantity": pick("Qty", "Cant."),
        "months": pick("Months", "Meses"),
        "unit_price": pick("Unit price", "Precio unitario"),
        "amount": pick("Amount", "Importe"),
        "total": pick("Total", "Total"),
        "early_access": pick("early access", "acceso anticipado"),
        "page": pick("page", "página"),
        "prepared_by": pick("Prepared by", "Preparada por"),
        "validity": match lang {
            Lang::En => format!("This quote is valid for {validity_days} days from its date."),
            Lang::Es => format!("Esta cotización es válida durante {validity_days} días desde su fecha."),
        },
    })
}

/// What the template receives for a quote: every word in the customer's language, every number
/// and date in the customer's format, and the same figures [`price`] gives.
pub fn pdf_data(
    view: &QuoteView,
    priced: &PricedQuote,
    partner_name: &str,
    validity_days: u32,
) -> Result<serde_json::Value> {
    let lang = view.lang;
    let decimals = priced.currency.minor_units();
    let style = NumberStyle::of(lang, Country::parse(&view.country).ok());
    let money = |d: rust_decimal::Decimal| format_number(d, decimals, style);
    let day = |iso: &str| -> Result<String> {
        Ok(format_date(
            iso.parse()
                .map_err(|_| DeskError::Corrupt(format!("date {iso:?}")))?,
            lang,
        ))
    };
    let lines: Vec<serde_json::Value> = priced
        .lines
        .iter()
        .map(|l| {
            serde_json::json!({
                "name": l.name,
                "sku": l.sku,
                "quantity": l.quantity.to_string(),
                "months": l.months.map(|m| m.to_string()).unwrap_or_default(),
                "unit_price": money(l.unit_price),
                "amount": money(l.amount),
                "early_access": l.early_access,
            })
        })
        .collect();
    let fx_date = format_date(priced.fx.as_of, lang);
    let per_usd = format_number(priced.fx.per_usd, 4, style);
    Ok(serde_json::json!({
        "brand": {
            "name": view.brand.name(),
            "color": brand_color(view.brand),
            "region": view.brand.region().as_str(),
        },
        "labels": labels(lang, validity_days),
        "lang": match lang { Lang::En => "en", Lang::Es => "es" },
        "number": view.number,
        "revision": view.revision,
        "date": day(&view.created_on)?,
        "valid_until": day(&view.valid_until)?,
        "customer": view.customer,
        "country": view.country,
        "partner": partner_name,
        "prepared_by": view.created_by,
        "currency": priced.currency.code(),
        "lines": lines,
        "total": money(priced.total),
        "fx": match lang {
            Lang::En => format!("Prices in {} at 1 USD = {per_usd} {} (rate of {fx_date}); list prices are set in USD.", priced.currency.code(), priced.currency.code()),
            Lang::Es => format!("Precios en {} al tipo 1 USD = {per_usd} {} (tipo del {fx_date}); los precios de lista se fijan en USD.", priced.currency.code(), priced.currency.code()),
        },
        "rounding": match lang {
            Lang::En => "Unit prices are rounded to the currency's smallest unit; each line is its unit price times its quantity, and the total is the sum of the lines.",
            Lang::Es => "Los precios unitarios se redondean a la unidad mínima de la moneda; cada línea es su precio unitario por su cantidad y el total es la suma de las líneas.",
        },
    }))
}

/// Prints a quote as PDF into `dir` (with `template`, a partner's own copy, or the bundled one)
/// and returns the file's path. A template with errors gives an error naming the line, and no
/// file.
pub async fn export_pdf(
    store: &Store,
    quote_id: &str,
    dir: &std::path::Path,
    template: Option<&std::path::Path>,
) -> Result<String> {
    let view = get(store, quote_id).await?;
    let priced = view.priced.clone().ok_or_else(|| DeskError::InvalidInput {
        field: "quote",
        reason: serde_json::to_string(&view.rule).unwrap_or_default(),
    })?;
    let p = partner(
        store,
        crate::portfolio::partner::parse_id(&view.partner_id)?,
    )
    .await?;
    let data = pdf_data(
        &view,
        &priced,
        &p.name,
        workspace::quote_validity_days(store).await?,
    )?;
    let template = match template.filter(|t| t.exists()) {
        Some(path) => tokio::fs::read_to_string(path).await?,
        None => TEMPLATE.to_string(),
    };
    super::check_number(&view.number)?;
    let path = dir.join(crate::export::file_name(
        &format!("{}-v{}", view.number, view.revision),
        "pdf",
    ));
    let out = path.clone();
    tokio::task::spawn_blocking(move || {
        let rendered =
            crate::pdf::render(&template, &data, Utc::now().date_naive()).map_err(|e| {
                DeskError::InvalidInput {
                    field: "template",
                    reason: e.to_string(),
                }
            })?;
        for warning in &rendered.warnings {
            tracing::warn!(%warning, "quote template");
        }
        crate::export::write_atomically(&out, |file| {
            use std::io::Write;
            file.write_all(&rendered.pdf)?;
            Ok(())
        })
    })
    .await
    .map_err(|e| DeskError::Io(std::io::Error::other(e)))??;
    tracing::info!("printed a quote");
    Ok(path.display().to_string())
}
