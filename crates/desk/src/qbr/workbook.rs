//! The workbook (XLSX): a sheet per table behind the deck's figures.

use program::qbr::{Kpi, Quarter};
use program::Credits;
use program::Lang;
use rust_decimal::Decimal;

use super::format::{credit_kpi, format_gap, format_measure, measure_name, parsed, pick};
use super::model::{Audience, KpiRow, Review, Risk};
use crate::error::Result;
use crate::export::{Cell, Column, ColumnKind, Table};

/// One of a KPI row's figures.
type Figure = fn(&KpiRow) -> &Option<String>;

/// The workbook's sheets: the tables behind every figure of the deck.
/// The partner's workbook leaves out the risks naming a customer, as its deck does.
pub fn workbook(review: &Review, lang: Lang, audience: Audience) -> Result<Vec<Table>> {
    let audience = Audience::of(review, audience);
    let p = |en: &str, es: &str| pick(lang, en, es);
    let credits = |s: &str| -> Cell {
        s.parse::<Decimal>()
            .ok()
            .and_then(|d| Credits::new(d).ok())
            .map_or(Cell::Empty, Cell::Credits)
    };
    let fraction =
        |v: &Option<String>| -> Cell { parsed(v.as_deref()).map_or(Cell::Empty, Cell::Percent) };
    // A figure in its kind's column: counts as integers, credits as credits, retention (and its
    // change, in points) as a fraction.
    let kind = |kpi: Kpi| match kpi {
        Kpi::Retention => ColumnKind::Percent,
        k if credit_kpi(k) => ColumnKind::Credits,
        _ => ColumnKind::Integer,
    };
    let typed = |kpi: Kpi, v: &Option<String>| -> Cell {
        match kind(kpi) {
            ColumnKind::Percent => fraction(v),
            ColumnKind::Credits => v.as_deref().map_or(Cell::Empty, credits),
            _ => parsed(v.as_deref())
                .filter(|d| d.fract().is_zero())
                .and_then(|d| i64::try_from(d).ok())
                .map_or(Cell::Empty, Cell::Integer),
        }
    };
    // One row per quarter and one column per figure, so that each column holds one kind.
    let mut kpis = Table::new(
        p("Key figures", "Cifras clave"),
        std::iter::once(Column::new(p("Quarter", "Trimestre"), ColumnKind::Text))
            .chain(
                review
                    .kpis
                    .iter()
                    .map(|k| Column::new(k.kpi.name(lang), kind(k.kpi))),
            )
            .collect(),
    );
    let label = |q: &str| {
        q.parse::<Quarter>()
            .map(|q| q.label(lang))
            .unwrap_or_default()
    };
    let rows: [(String, Figure); 5] = [
        (label(&review.quarter), |k| &k.value),
        (label(&review.previous), |k| &k.previous),
        (label(&review.year_before), |k| &k.year_before),
        (
            format!(
                "{} {}",
                p("Change vs", "Cambio vs."),
                label(&review.previous)
            ),
            |k| &k.change_previous,
        ),
        (
            format!(
                "{} {}",
                p("Change vs", "Cambio vs."),
                label(&review.year_before)
            ),
            |k| &k.change_year,
        ),
    ];
    for (name, of) in rows {
        kpis.push_row(
            std::iter::once(Cell::Text(name))
                .chain(review.kpis.iter().map(|k| typed(k.kpi, of(k))))
                .collect(),
        )?;
    }
    let mut definitions = Table::new(
        p("Definitions", "Definiciones"),
        vec![
            Column::new(p("Figure", "Cifra"), ColumnKind::Text),
            Column::new(
                format!(
                    "{} {}",
                    p("Relative vs", "Relativo vs."),
                    label(&review.previous)
                ),
                ColumnKind::Percent,
            ),
            Column::new(
                format!(
                    "{} {}",
                    p("Relative vs", "Relativo vs."),
                    label(&review.year_before)
                ),
                ColumnKind::Percent,
            ),
            Column::new(p("Definition", "Definición"), ColumnKind::Text),
        ],
    );
    for k in &review.kpis {
        definitions.push_row(vec![
            Cell::Text(k.kpi.name(lang).to_string()),
            fraction(&k.relative_previous),
            fraction(&k.relative_year),
            Cell::Text(k.kpi.definition(lang).to_string()),
        ])?;
    }
    let mut monthly = Table::new(
        p("Monthly trends", "Tendencias mensuales"),
        vec![
            Column::new(p("Month", "Mes"), ColumnKind::Text),
            Column::new(
                p("Active customers", "Clientes activos"),
                ColumnKind::Integer,
            ),
            Column::new(
                p("New deployments", "Despliegues nuevos"),
                ColumnKind::Integer,
            ),
            Column::new(
                p("Credits consumed", "Créditos consumidos"),
                ColumnKind::Credits,
            ),
            Column::new(
                p("Credits bought", "Créditos comprados"),
                ColumnKind::Credits,
            ),
            Column::new(
                p("Balance at month end", "Saldo a fin de mes"),
                ColumnKind::Credits,
            ),
            Column::new(p("NPS of the month", "NPS del mes"), ColumnKind::Integer),
            Column::new(
                p("Customers answering", "Clientes que respondieron"),
                ColumnKind::Integer,
            ),
        ],
    );
    for m in &review.monthly {
        monthly.push_row(vec![
            Cell::Text(m.month.clone()),
            Cell::Integer(i64::from(m.active_customers)),
            Cell::Integer(i64::from(m.new_deployments)),
            credits(&m.consumed),
            credits(&m.bought),
            credits(&m.balance),
            m.nps
                .score
                .map_or(Cell::Empty, |s| Cell::Integer(i64::from(s))),
            Cell::Integer(i64::from(m.nps.responses)),
        ])?;
    }
    // Progression values hold several kinds in one column: written as the review prints them.
    let mut progression = Table::new(
        p("Tier progression", "Progresión de nivel"),
        vec![
            Column::new(p("Measure", "Medida"), ColumnKind::Text),
            Column::new(p("Now", "Actual"), ColumnKind::Text),
            Column::new(p("Required", "Requerido"), ColumnKind::Text),
            Column::new(p("Gap", "Falta"), ColumnKind::Text),
            Column::new(p("Met", "Cumplido"), ColumnKind::Text),
            Column::new(p("Reached by", "Se alcanza el"), ColumnKind::Date),
        ],
    );
    for t in &review.progression {
        progression.push_row(vec![
            Cell::Text(measure_name(t.measure, lang).to_string()),
            Cell::Text(format_measure(t.measure, t.current.as_deref(), lang)),
            Cell::Text(format_measure(t.measure, Some(&t.required), lang)),
            Cell::Text(format_gap(t.measure, t.gap.as_deref(), lang)),
            Cell::Text(if t.met {
                p("yes", "sí")
            } else {
                p("no", "no")
            }),
            t.estimated_on
                .as_deref()
                .and_then(|d| d.parse().ok())
                .map_or(Cell::Empty, Cell::Date),
        ])?;
    }
    let d = &review.deals;
    let mut deals = Table::new(
        p("Pipeline", "Pipeline"),
        vec![
            Column::new(p("Deals", "Oportunidades"), ColumnKind::Text),
            Column::new(p("Count", "Cantidad"), ColumnKind::Integer),
            Column::new(p("Credits", "Créditos"), ColumnKind::Credits),
        ],
    );
    for (what, count, value) in [
        (p("Open", "Abiertas"), Some(d.open), &d.open_value),
        (
            p("Won in the quarter", "Ganadas en el trimestre"),
            Some(d.won),
            &d.won_value,
        ),
        (
            p("Lost in the quarter", "Perdidas en el trimestre"),
            Some(d.lost),
            &d.lost_value,
        ),
        (
            p("Forecast of the quarter", "Previsión del trimestre"),
            None,
            &d.forecast,
        ),
    ] {
        deals.push_row(vec![
            Cell::Text(what),
            count.map_or(Cell::Empty, |c| Cell::Integer(i64::from(c))),
            credits(value),
        ])?;
    }
    let mut migrations = Table::new(
        p("Migrations", "Migraciones"),
        vec![
            Column::new(p("Customer", "Cliente"), ColumnKind::Text),
            Column::new(p("Direction", "Sentido"), ColumnKind::Text),
            Column::new(p("Other partner", "Otro partner"), ColumnKind::Text),
            Column::new(p("Effective", "Vigente desde"), ColumnKind::Date),
        ],
    );
    for m in &review.migrations {
        migrations.push_row(vec![
            Cell::Text(m.customer.clone()),
            Cell::Text(m.direction.clone()),
            Cell::Text(m.other_partner.clone()),
            m.effective_on.parse().map_or(Cell::Empty, Cell::Date),
        ])?;
    }
    let mut top = Table::new(
        p("Top customers", "Principales clientes"),
        vec![
            Column::new(p("Customer", "Cliente"), ColumnKind::Text),
            Column::new(
                p("Credits consumed", "Créditos consumidos"),
                ColumnKind::Credits,
            ),
        ],
    );
    for c in &review.top_customers {
        top.push_row(vec![Cell::Text(c.name.clone()), credits(&c.consumed)])?;
    }
    let mut risks = Table::new(
        p("Risks", "Riesgos"),
        vec![
            Column::new(p("Risk", "Riesgo"), ColumnKind::Text),
            Column::new(p("Customer", "Cliente"), ColumnKind::Text),
            Column::new(
                p("Last survey answer", "Última respuesta"),
                ColumnKind::Integer,
            ),
            Column::new(p("Runway (days)", "Autonomía (días)"), ColumnKind::Integer),
            Column::new(
                p("Low-runway alert (days)", "Alerta de autonomía baja (días)"),
                ColumnKind::Integer,
            ),
        ],
    );
    for r in review.risks_for(audience) {
        let int = |n: u32| Cell::Integer(i64::from(n));
        risks.push_row(match r {
            Risk::Detractor { customer, score } => vec![
                Cell::Text(p("Detractor", "Detractor")),
                Cell::Text(customer.clone()),
                int(u32::from(*score)),
                Cell::Empty,
                Cell::Empty,
            ],
            Risk::Churned { customer } => vec![
                Cell::Text(p("No longer active", "Ya no activo")),
                Cell::Text(customer.clone()),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
            ],
            Risk::LowRunway { days, threshold } => vec![
                Cell::Text(p("Low credit runway", "Autonomía de créditos baja")),
                Cell::Empty,
                Cell::Empty,
                int(*days),
                int(*threshold),
            ],
        })?;
    }
    let mut actions = Table::new(
        p("Action items", "Acciones acordadas"),
        vec![
            Column::new(p("Action", "Acción"), ColumnKind::Text),
            Column::new(p("Owner", "Responsable"), ColumnKind::Text),
            Column::new(p("Due", "Vence"), ColumnKind::Date),
            Column::new(p("Status", "Estado"), ColumnKind::Text),
            Column::new(p("Written in", "Escrita en"), ColumnKind::Text),
            Column::new(p("Carried over", "Arrastrada"), ColumnKind::Text),
        ],
    );
    for a in &review.actions {
        actions.push_row(vec![
            Cell::Text(a.text.clone()),
            Cell::Text(a.owner.clone()),
            a.due_on.parse().map_or(Cell::Empty, Cell::Date),
            Cell::Text(match (a.done, a.overdue) {
                (true, _) => p("done", "hecha"),
                (false, true) => p("overdue", "vencida"),
                (false, false) => p("open", "abierta"),
            }),
            Cell::Text(label(&a.quarter)),
            Cell::Text(if a.carried_over {
                p("yes", "sí")
            } else {
                p("no", "no")
            }),
        ])?;
    }
    Ok(vec![
        kpis,
        definitions,
        monthly,
        progression,
        deals,
        migrations,
        top,
        risks,
        actions,
    ])
}
