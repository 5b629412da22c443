//! The deck (PDF, typeset by Typst from `templates/qbr.typ`): its summary, its data and its words.

use std::path::Path;

use chrono::Utc;
use program::progression::Outlook;
use program::qbr::{Kpi, Quarter};
use program::Lang;
use program::{Brand, Tier};
use rust_decimal::Decimal;

use super::format::{
    credit_kpi, fixed, format_change, format_gap, format_kpi, format_measure, format_ratio,
    measure_name, parsed, pick,
};
use super::model::{Audience, Review, ReviewMonth, Risk};
use crate::error::{DeskError, Result};
use crate::pdf::format::{self, format_date};

/// The bundled deck template.
pub const TEMPLATE: &str = include_str!("../../templates/qbr.typ");

/// The executive summary's lines, in `lang`, for `audience`: each figure with its unit, the deals,
/// the tier outlook, and what needs discussing.
pub fn summary(review: &Review, lang: Lang, audience: Audience) -> Vec<String> {
    let q = |s: &str| {
        s.parse::<Quarter>()
            .map(|q| q.label(lang))
            .unwrap_or_default()
    };
    let vs = pick(lang, "vs", "vs.");
    let mut out = Vec::new();
    for kpi in [
        Kpi::ActiveCustomers,
        Kpi::DeploymentValue,
        Kpi::RecurringVolume,
        Kpi::Nps,
        Kpi::Retention,
        Kpi::Balance,
    ] {
        let Some(row) = review.kpi(kpi) else { continue };
        let changes = [
            (
                row.change_previous.as_deref(),
                row.relative_previous.as_deref(),
                &review.previous,
            ),
            (
                row.change_year.as_deref(),
                row.relative_year.as_deref(),
                &review.year_before,
            ),
        ]
        .into_iter()
        .filter(|(change, _, _)| change.is_some())
        .map(|(change, relative, quarter)| {
            format!(
                "{} {vs} {}",
                format_change(kpi, change, relative, lang),
                q(quarter)
            )
        })
        .collect::<Vec<_>>();
        let value = with_unit(kpi, row.value.as_deref(), lang);
        out.push(if changes.is_empty() {
            format!("{}: {value}", kpi.name(lang))
        } else {
            format!("{}: {value} ({})", kpi.name(lang), changes.join("; "))
        });
    }
    let d = &review.deals;
    let credits = |v: &str| format_credits(v, lang);
    // Spanish agrees in number: "1 ganada", "2 ganadas".
    let es = |n: u32, one: &str, other: &str| format!("{n} {}", if n == 1 { one } else { other });
    out.push(match lang {
        Lang::En => format!(
            "Deals: {} won ({} credits), {} lost, {} open ({} credits).",
            d.won,
            credits(&d.won_value),
            d.lost,
            d.open,
            credits(&d.open_value)
        ),
        Lang::Es => format!(
            "Oportunidades: {} ({} créditos), {}, {} ({} créditos).",
            es(d.won, "ganada", "ganadas"),
            credits(&d.won_value),
            es(d.lost, "perdida", "perdidas"),
            es(d.open, "abierta", "abiertas"),
            credits(&d.open_value)
        ),
    });
    out.push(outlook_text(review, lang));
    out.extend(
        review
            .risks_for(Audience::Partner)
            .map(|r| format!("{}.", risk_text(r, lang))),
    );
    let customers = review
        .risks_for(audience)
        .filter(|r| r.names_a_customer())
        .count();
    if customers > 0 {
        out.push(match lang {
            Lang::En => {
                format!("Customers at risk: {customers} (internal appendix, not for the partner).")
            }
            Lang::Es => {
                format!("Clientes en riesgo: {customers} (anexo interno, no para el partner).")
            }
        });
    }
    out
}

/// A figure with its unit, as a sentence reads it: "297,514 credits", "81.2%", "107"; an NPS
/// without a score says why.
fn with_unit(kpi: Kpi, value: Option<&str>, lang: Lang) -> String {
    let text = format_kpi(kpi, value, lang);
    if value.is_none() && kpi == Kpi::Nps {
        pick(
            lang,
            "no score (fewer than 5 customers answered)",
            "sin valor (respondieron menos de 5 clientes)",
        )
    } else if value.is_some() && credit_kpi(kpi) {
        format!("{text} {}", pick(lang, "credits", "créditos"))
    } else {
        text
    }
}

/// Credits as the deck prints an amount: to the hundredth, whole when the cents are zero.
fn format_credits(value: &str, lang: Lang) -> String {
    format_kpi(Kpi::Balance, Some(value), lang)
}

fn risk_text(risk: &Risk, lang: Lang) -> String {
    match (risk, lang) {
        (Risk::Detractor { customer, score }, Lang::En) => {
            format!("{customer}: last survey answer {score} of 10")
        }
        (Risk::Detractor { customer, score }, Lang::Es) => {
            format!("{customer}: última respuesta de encuesta {score} de 10")
        }
        (Risk::Churned { customer }, Lang::En) => {
            format!("{customer}: no longer an active customer")
        }
        (Risk::Churned { customer }, Lang::Es) => format!("{customer}: ya no es cliente activo"),
        (Risk::LowRunway { days, threshold }, Lang::En) => {
            format!("Credit runway of {days} days, under the {threshold}-day alert")
        }
        (Risk::LowRunway { days, threshold }, Lang::Es) => {
            format!("Autonomía de créditos de {days} días, bajo la alerta de {threshold} días")
        }
    }
}

fn tier_name(tier: Tier, lang: Lang) -> String {
    let (en, es) = match tier {
        Tier::Authorized => ("Authorized", "Autorizado"),
        Tier::Specialist => ("Specialist", "Especialista"),
        Tier::Regional => ("Regional", "Regional"),
        Tier::Strategic => ("Strategic", "Estratégico"),
    };
    pick(lang, en, es)
}

fn outlook_text(review: &Review, lang: Lang) -> String {
    match &review.outlook {
        Outlook::AtTop => pick(
            lang,
            "Tier: Strategic, the program's top tier.",
            "Nivel: Estratégico, el más alto del programa.",
        ),
        Outlook::MayBeConsideredForStrategic => pick(
            lang,
            "Tier: meets the thresholds to be considered for Strategic (by invitation).",
            "Nivel: cumple los umbrales para ser considerado Estratégico (por invitación).",
        ),
        Outlook::EligibleForUpgrade { .. } => match lang {
            Lang::En => format!(
                "Tier: eligible for {} — every threshold met.",
                review
                    .next_tier
                    .map(|t| tier_name(t, lang))
                    .unwrap_or_default()
            ),
            Lang::Es => format!(
                "Nivel: elegible para {}: cumple todos los umbrales.",
                review
                    .next_tier
                    .map(|t| tier_name(t, lang))
                    .unwrap_or_default()
            ),
        },
        Outlook::Progressing { next } => {
            let missing = review.progression.iter().filter(|t| !t.met).count();
            match lang {
                Lang::En => format!(
                    "Tier: {} of the thresholds for {} still to meet.",
                    missing,
                    tier_name(*next, lang)
                ),
                Lang::Es => format!(
                    "Nivel: faltan {} de los umbrales para {}.",
                    missing,
                    tier_name(*next, lang)
                ),
            }
        }
    }
}

/// The title slide's mark: the partner's logo when the platform has one (checked again here,
/// as the platform checks it), else its first brand's.
fn logo(review: &Review) -> (String, &'static str) {
    if let Some(svg) = &review.logo {
        match program::logo::check_logo(svg) {
            Ok(()) => return (svg.clone(), "partner"),
            Err(e) => tracing::warn!(error = %e, "a partner's logo is not one the deck places"),
        }
    }
    let brand = review.brands.first().copied().unwrap_or(Brand::CentroPago);
    (format::brand_mark(brand), "brand")
}

/// The deck's accent: the partner's first brand's colour, as on its quotes.
fn brand_color(brands: &[Brand]) -> &'static str {
    brands
        .first()
        .map_or("#333333", |b| format::brand_color(*b))
}

/// A month as a chart's axis prints it: its short name ("Sep", "sep") and, on the first month
/// and each January, its year.
fn month_label(month: &str, first: bool, lang: Lang) -> (String, String) {
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const ES: [&str; 12] = [
        "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic",
    ];
    let m: usize = month.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(1);
    let names = match lang {
        Lang::En => EN,
        Lang::Es => ES,
    };
    let year = if first || m == 1 {
        month.get(0..4).unwrap_or("").to_string()
    } else {
        String::new()
    };
    (names[m.clamp(1, 12) - 1].to_string(), year)
}

/// A month in full, for the chart's latest values: "Nov 2026", "nov 2026".
fn month_name(month: &str, lang: Lang) -> String {
    let (name, _) = month_label(month, false, lang);
    format!("{name} {}", month.get(0..4).unwrap_or(""))
}

/// What the deck template receives: every word in `lang`, every number formatted the reader's
/// way, and the chart series as plain numbers (geometry only; the printed figures are the
/// formatted strings).
pub fn deck_data(review: &Review, lang: Lang, audience: Audience) -> Result<serde_json::Value> {
    let audience = Audience::of(review, audience);
    let label = |s: &str| {
        s.parse::<Quarter>()
            .map(|q| q.label(lang))
            .unwrap_or_default()
    };
    let credits = |s: &str| format_credits(s, lang);
    let kpis: Vec<serde_json::Value> = review
        .kpis
        .iter()
        .map(|k| {
            serde_json::json!({
                "name": k.kpi.name(lang),
                "definition": k.kpi.definition(lang),
                "value": format_kpi(k.kpi, k.value.as_deref(), lang),
                "previous": format_kpi(k.kpi, k.previous.as_deref(), lang),
                "year_before": format_kpi(k.kpi, k.year_before.as_deref(), lang),
                "change_previous": format_change(k.kpi, k.change_previous.as_deref(), k.relative_previous.as_deref(), lang),
                "change_year": format_change(k.kpi, k.change_year.as_deref(), k.relative_year.as_deref(), lang),
            })
        })
        .collect();
    let series = |f: &dyn Fn(&ReviewMonth) -> String| -> Vec<serde_json::Value> {
        review
            .monthly
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let value = f(m);
                // Whole numbers on a chart: the table beside it has the cents.
                let shown = value
                    .parse::<Decimal>()
                    .map(|v| fixed(v, 0, lang, false))
                    .unwrap_or_default();
                let (label, year) = month_label(&m.month, i == 0, lang);
                serde_json::json!({ "label": label, "year": year, "value": value, "shown": shown })
            })
            .collect()
    };
    let (customer_risks, risks): (Vec<&Risk>, Vec<&Risk>) = review
        .risks_for(audience)
        .partition(|r| r.names_a_customer());
    let texts = |list: Vec<&Risk>| {
        list.into_iter()
            .map(|r| risk_text(r, lang))
            .collect::<Vec<_>>()
    };
    let progression: Vec<serde_json::Value> = review
        .progression
        .iter()
        .map(|t| {
            serde_json::json!({
                "measure": measure_name(t.measure, lang),
                "current": format_measure(t.measure, t.current.as_deref(), lang),
                "required": format_measure(t.measure, Some(&t.required), lang),
                "met": t.met,
                "gap": format_gap(t.measure, t.gap.as_deref(), lang),
                "estimated_on": t.estimated_on.as_deref().and_then(|d| d.parse().ok()).map(|d| format_date(d, lang)).unwrap_or_default(),
            })
        })
        .collect();
    let d = &review.deals;
    let (logo, logo_of) = logo(review);
    Ok(serde_json::json!({
        "lang": match lang { Lang::En => "en", Lang::Es => "es" },
        "partner": review.partner,
        "tier": tier_name(review.tier, lang),
        "brands": review.brands.iter().map(|b| b.name()).collect::<Vec<_>>(),
        "color": brand_color(&review.brands),
        "logo": logo,
        "logo_of": logo_of,
        "account_manager": review.account_manager,
        "quarter": label(&review.quarter),
        "previous": label(&review.previous),
        "year_before": label(&review.year_before),
        "measured_to": format_date(review.measured_to.parse().map_err(|_| DeskError::Corrupt("measured_to".into()))?, lang),
        "internal": !review.qbr_included,
        "summary": summary(review, lang, audience),
        "kpis": kpis,
        "latest_month": review.monthly.last().map(|m| month_name(&m.month, lang)).unwrap_or_default(),
        "charts": {
            "active_customers": series(&|m| m.active_customers.to_string()),
            "consumed": series(&|m| m.consumed.clone()),
            "bought": series(&|m| m.bought.clone()),
            "balance": series(&|m| m.balance.clone()),
            "nps": series(&|m| m.nps.score.map(|s| s.to_string()).unwrap_or_default()),
        },
        "outlook": outlook_text(review, lang),
        "progression": progression,
        "deals": {
            "open": d.open.to_string(), "open_value": credits(&d.open_value),
            "won": d.won.to_string(), "won_value": credits(&d.won_value),
            "lost": d.lost.to_string(), "lost_value": credits(&d.lost_value),
            "win_rate": parsed(d.win_rate.as_deref()).map(|w| format_ratio(w, lang)).unwrap_or_else(|| "—".into()),
            "forecast": credits(&d.forecast),
            "any": d.open + d.won + d.lost > 0,
        },
        "migrations": review.migrations.iter().map(|m| serde_json::json!({
            "customer": m.customer,
            "direction": match (m.direction.as_str(), lang) { ("in", Lang::En) => "in", ("in", Lang::Es) => "entrada", (_, Lang::En) => "out", (_, Lang::Es) => "salida" },
            "other": m.other_partner,
            "on": m.effective_on.parse().map(|d| format_date(d, lang)).unwrap_or_default(),
        })).collect::<Vec<_>>(),
        "top_customers": review.top_customers.iter().map(|c| serde_json::json!({
            "name": c.name, "consumed": credits(&c.consumed),
        })).collect::<Vec<_>>(),
        "risks": texts(risks),
        "customer_risks": texts(customer_risks),
        "appendix_internal": audience == Audience::Internal,
        "actions": review.actions.iter().map(|a| serde_json::json!({
            "text": a.text,
            "owner": a.owner,
            "due": a.due_on.parse().map(|d| format_date(d, lang)).unwrap_or_default(),
            "status": match (a.done, a.overdue, lang) {
                (true, _, Lang::En) => "done", (true, _, Lang::Es) => "hecha",
                (false, true, Lang::En) => "overdue", (false, true, Lang::Es) => "vencida",
                (false, false, Lang::En) => "open", (false, false, Lang::Es) => "abierta",
            },
            "carried_over": a.carried_over,
            "from": a.quarter.parse::<Quarter>().map(|q| q.label(lang)).unwrap_or_default(),
        })).collect::<Vec<_>>(),
        "labels": labels(lang),
    }))
}

/// The deck's words.
fn labels(lang: Lang) -> serde_json::Value {
    const WORDS: &[(&str, &str, &str)] = &[
        ("title", "Quarterly Executive Review", "Revisión Ejecutiva Trimestral"),
        ("internal", "Internal review — this partner's tier does not include Quarterly Executive Reviews", "Revisión interna: el nivel de este partner no incluye Revisiones Ejecutivas Trimestrales"),
        ("summary", "Executive summary", "Resumen ejecutivo"),
        ("kpis", "Key figures", "Cifras clave"),
        ("figure", "Figure", "Cifra"),
        ("change", "Change", "Cambio"),
        ("trends", "Monthly trends", "Tendencias mensuales"),
        ("active_customers", "Active customers at month end", "Clientes activos a fin de mes"),
        ("credits", "Credits consumed and bought", "Créditos consumidos y comprados"),
        ("consumed", "consumed", "consumidos"),
        ("bought", "bought", "comprados"),
        ("balance", "Credit balance at month end", "Saldo de créditos a fin de mes"),
        ("nps", "NPS of the month", "NPS del mes"),
        ("nps_note", "each customer's latest answer; no score below 5 customers", "la última respuesta de cada cliente; sin valor con menos de 5 clientes"),
        ("negative", "below zero in red", "bajo cero en rojo"),
        ("nps_too_few", "Fewer than two months of the year had answers from 5 customers or more: too few for a monthly score. The key figures give the quarter's.", "Menos de dos meses del año tuvieron respuestas de 5 clientes o más: muy pocas para un valor mensual. Las cifras clave dan el del trimestre."),
        ("tier", "Tier progression", "Progresión de nivel"),
        ("measure", "Measure", "Medida"),
        ("current", "Now", "Actual"),
        ("required", "Required", "Requerido"),
        ("met", "Met", "Cumplido"),
        ("gap", "Gap", "Falta"),
        ("yes", "yes", "sí"),
        ("no", "no", "no"),
        ("estimated", "Reached by", "Se alcanza el"),
        ("pipeline", "Territory pipeline", "Pipeline del territorio"),
        ("open", "Open deals", "Oportunidades abiertas"),
        ("won", "Won in the quarter", "Ganadas en el trimestre"),
        ("lost", "Lost in the quarter", "Perdidas en el trimestre"),
        ("win_rate", "Win rate", "Tasa de éxito"),
        ("forecast", "Forecast of the quarter", "Previsión del trimestre"),
        ("deals", "deals", "oportunidades"),
        ("credits_unit", "credits", "créditos"),
        ("migrations", "Customer migrations", "Migraciones de clientes"),
        ("no_migrations", "No customer moved in or out this quarter.", "Ningún cliente entró ni salió este trimestre."),
        ("direction", "Direction", "Sentido"),
        ("other", "Other partner", "Otro partner"),
        ("on", "Effective", "Vigente desde"),
        ("top", "Top customers by credits consumed", "Principales clientes por créditos consumidos"),
        ("customer", "Customer", "Cliente"),
        ("no_top", "No customer consumed credits this quarter.", "Ningún cliente consumió créditos este trimestre."),
        ("risks", "Risks", "Riesgos"),
        ("customer_risks", "Internal appendix: customers at risk", "Anexo interno: clientes en riesgo"),
        ("internal_only", "Internal: for the account manager, not for the partner", "Interno: para el gerente de cuenta, no para el partner"),
        ("latest", "latest", "último"),
        ("more", "more in the workbook", "más en el libro"),
        ("no_risks", "No risk flagged this quarter.", "Ningún riesgo señalado este trimestre."),
        ("actions", "Action items", "Acciones acordadas"),
        ("no_actions", "No action item yet.", "Aún no hay acciones."),
        ("action", "Action", "Acción"),
        ("owner", "Owner", "Responsable"),
        ("due", "Due", "Vence"),
        ("status", "Status", "Estado"),
        ("carried_from", "carried over from", "arrastrada de"),
        ("appendix", "Appendix: definitions", "Anexo: definiciones"),
        ("measured_to", "Figures to", "Cifras al"),
        ("account_manager", "Account manager", "Gerente de cuenta"),
        ("source", "Built from the Partner Desk cache; every figure is defined in the appendix.", "Elaborado con la caché de Partner Desk; cada cifra se define en el anexo."),
    ];
    WORDS
        .iter()
        .map(|(key, en, es)| (key.to_string(), serde_json::Value::from(pick(lang, en, es))))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Renders `review`'s deck in `lang` into `path` (all or nothing). Blocking.
pub fn write_deck(
    review: &Review,
    lang: Lang,
    audience: Audience,
    template: &str,
    path: &Path,
) -> Result<()> {
    let data = deck_data(review, lang, audience)?;
    let rendered = crate::pdf::render(template, &data, Utc::now().date_naive()).map_err(|e| {
        DeskError::InvalidInput {
            field: "template",
            reason: e.to_string(),
        }
    })?;
    for warning in &rendered.warnings {
        tracing::warn!(%warning, "deck template");
    }
    crate::export::write_atomically(path, |file| {
        use std::io::Write;
        file.write_all(&rendered.pdf)?;
        Ok(())
    })
}
