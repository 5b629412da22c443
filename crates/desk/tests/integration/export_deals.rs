//! Exports of a partner's deals and of the pipeline against a real cache loaded with the demo
//! program: Spanish words and stages, cells that add up to what the screens show.

use calamine::Data;
use desk::export::{self, ExportFormat, Lang};
use program::{Credits, Money};
use rust_decimal::Decimal;

use crate::export::{as_of, cents, demo_desk, float, format_code, headers, sheet};

#[tokio::test]
async fn deals_export_in_spanish_words_stages_and_adds_up_to_the_open_pipeline() {
    let (dir, desk, data) = demo_desk().await;
    let partner = data
        .partners
        .iter()
        .max_by_key(|p| data.deals.iter().filter(|d| d.partner_id == p.id).count())
        .unwrap();
    let deals: Vec<_> = data
        .deals
        .iter()
        .filter(|d| d.partner_id == partner.id)
        .collect();
    assert!(deals.len() >= 5, "{}", deals.len());
    let table = export::deals(&desk.store(), partner.id, as_of(), Lang::Es)
        .await
        .unwrap();
    let path = dir.path().join("deals.xlsx");
    export::save(table, ExportFormat::Xlsx, path.clone())
        .await
        .unwrap();
    let (name, range, _) = sheet(&path);
    assert_eq!(name, "Oportunidades");
    let header = headers(&range);
    assert_eq!(
        header,
        [
            "Empresa",
            "Dominio",
            "País",
            "Marca",
            "Productos",
            "Etapa",
            "Estado",
            "Valor (créditos)",
            "Valor",
            "Cierre previsto",
            "Responsable",
            "Notas",
            "Registrada el",
            "El registro vence el"
        ]
    );
    assert_eq!(range.height(), deals.len() + 1, "a header and every deal");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (stage, status, credits) = (col("Etapa"), col("Estado"), col("Valor (créditos)"));
    let stages = ["Registrada", "Calificada", "Propuesta", "Ganada", "Perdida"];
    let mut open_cents = 0i64;
    for row in range.rows().skip(1) {
        let Data::String(s) = &row[stage] else {
            panic!("stage {:?}", row[stage])
        };
        assert!(stages.contains(&s.as_str()), "{s}");
        let Data::String(st) = &row[status] else {
            panic!("status {:?}", row[status])
        };
        let open =
            matches!(st.as_str(), "Aprobada" | "Pendiente") && s != "Ganada" && s != "Perdida";
        if open {
            open_cents += cents(float(&row[credits]));
        }
    }
    // The open pipeline on screen, summed independently from the spreadsheet.
    let list = desk::deals::list(&desk.store(), partner.id, as_of())
        .await
        .unwrap();
    let open: Decimal = list.pipeline.open_credits.parse().unwrap();
    assert_eq!(Credits::from_minor(open_cents).amount(), open);
}

#[tokio::test]
async fn pipeline_export_carries_the_screens_cells_stage_totals_win_rate_and_forecast() {
    let (dir, desk, data) = demo_desk().await;
    let partner = data
        .partners
        .iter()
        .max_by_key(|p| data.deals.iter().filter(|d| d.partner_id == p.id).count())
        .unwrap();
    // The program policy a sync would bring, with its FX rates: amounts in the partner's money.
    desk.store()
        .set_state(
            desk::workspace::PROGRAM_POLICY,
            &serde_json::to_string(&program::contract::ProgramPolicy::reference(
                central_api::demo::fx_rates(as_of()),
            ))
            .unwrap(),
        )
        .await
        .unwrap();
    let screen = desk::deals::list(&desk.store(), partner.id, as_of())
        .await
        .unwrap()
        .pipeline;
    let table = export::pipeline(&desk.store(), partner.id, as_of(), Lang::En)
        .await
        .unwrap();
    let path = dir.path().join("pipeline.xlsx");
    export::save(table, ExportFormat::Xlsx, path.clone())
        .await
        .unwrap();
    let (name, range, styles) = sheet(&path);
    assert_eq!(name, "Pipeline");
    assert_eq!(
        headers(&range),
        [
            "Country",
            "Stage",
            "Deals",
            "Value (credits)",
            "Value",
            "Win rate"
        ]
    );
    let rows: Vec<_> = range.rows().skip(1).collect();
    assert_eq!(rows.len(), screen.cells.len() + screen.stages.len() + 2);
    let credits = |c: &Data| Credits::from_minor(cents(float(c))).amount();
    for (row, cell) in rows.iter().zip(screen.cells.iter().chain(&screen.stages)) {
        let territory = if cell.country.is_empty() {
            "All territories"
        } else {
            cell.country.as_str()
        };
        assert_eq!(row[0], Data::String(territory.into()));
        let stage = match cell.stage {
            program::deals::DealStage::Registered => "Registered",
            program::deals::DealStage::Qualified => "Qualified",
            program::deals::DealStage::Proposal => "Proposal",
            program::deals::DealStage::Won => "Won",
            program::deals::DealStage::Lost => "Lost",
        };
        assert_eq!(row[1], Data::String(stage.into()));
        assert_eq!(float(&row[2]) as u32, cell.deals);
        assert_eq!(credits(&row[3]), cell.credits.parse::<Decimal>().unwrap());
        // In the partner's currency, at the screen's figure (cents exact).
        let fiat: Decimal = cell
            .fiat
            .as_deref()
            .expect("a synced rate")
            .parse()
            .unwrap();
        assert_eq!(
            Money::rounded(fiat, screen.currency).amount,
            Decimal::new(cents(float(&row[4])), 2)
        );
    }
    let closed = &rows[rows.len() - 2];
    assert_eq!(closed[0], Data::String("Closed: won and lost".into()));
    assert_eq!(float(&closed[2]) as u32, screen.won + screen.lost);
    match &screen.win_rate {
        Some(rate) => {
            assert_eq!(float(&closed[5]), rate.parse::<f64>().unwrap());
            assert_eq!(format_code(&styles, range.height() as u32 - 2, 5), "0.0#%");
        }
        None => assert_eq!(closed[5], Data::Empty),
    }
    let forecast = rows.last().unwrap();
    assert!(forecast[0]
        .to_string()
        .starts_with("Forecast for the quarter"));
    assert_eq!(
        credits(&forecast[3]),
        screen.forecast_credits.parse::<Decimal>().unwrap()
    );
}
