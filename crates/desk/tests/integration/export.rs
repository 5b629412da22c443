//! Exports against a real cache loaded with the demo program: XLSX cells are numbers and dates
//! with their formats (and add up exactly), CSV round-trips, headers follow the language, and a
//! failed export leaves nothing behind.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::Path;

use calamine::{open_workbook, Data, DataType, Reader, Xlsx};
use central_api::demo::{generate, DemoConfig};
use chrono::{NaiveDate, TimeZone, Utc};
use desk::error::{DeskError, ErrorCode};
use desk::export::{self, Cell, Column, ColumnKind, ExportFormat, Lang, Table};
use desk::views::{PortfolioQuery, PortfolioRow, WorkspaceKind};
use desk::Desk;
use program::contract::{Dataset, Partner, PartnerId};
use program::{Credits, Currency, Money};
use rust_decimal::Decimal;

pub(crate) fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

pub(crate) async fn demo_desk() -> (tempfile::TempDir, Desk, Dataset) {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path()).await.unwrap();
    let data = generate(&DemoConfig::with_deployments(as_of(), 4_000));
    desk.load_workspace(&data, WorkspaceKind::Demo, as_of())
        .await
        .unwrap();
    (dir, desk, data)
}

/// The partner with the longest ledger: the hardest sum.
fn busiest(data: &Dataset) -> &Partner {
    data.partners
        .iter()
        .max_by_key(|p| data.ledger.iter().filter(|l| l.partner_id == p.id).count())
        .unwrap()
}

async fn portfolio_row(desk: &Desk, id: PartnerId) -> PortfolioRow {
    let rows = desk
        .portfolio(&PortfolioQuery::default())
        .await
        .unwrap()
        .rows;
    rows.into_iter().find(|r| r.id == id).unwrap()
}

pub(crate) fn sheet(path: &Path) -> (String, calamine::Range<Data>, calamine::StyleRange) {
    let mut book: Xlsx<_> = open_workbook(path).unwrap();
    let names = book.sheet_names();
    assert_eq!(names.len(), 1, "one sheet per table");
    let name = names[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    let styles = book.worksheet_style(&name).unwrap();
    (name, range, styles)
}

pub(crate) fn format_code(styles: &calamine::StyleRange, row: u32, col: u32) -> String {
    styles
        .get((row, col))
        .and_then(|s| s.number_format.as_ref())
        .map(|f| f.format_code.clone())
        .unwrap_or_else(|| "General".into())
}

pub(crate) fn headers(range: &calamine::Range<Data>) -> Vec<String> {
    range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect()
}

/// The XML of the first sheet, to check what calamine does not read: panes and the autofilter.
fn sheet_xml(path: &Path) -> String {
    let mut zip = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

pub(crate) fn float(cell: &Data) -> f64 {
    match cell {
        Data::Float(v) => *v,
        other => panic!("expected a number, found {other:?}"),
    }
}

pub(crate) fn cents(v: f64) -> i64 {
    (v * 100.0).round() as i64
}

fn dir_entries(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[tokio::test]
async fn ledger_xlsx_holds_numbers_with_formats_and_sums_to_the_balance_to_the_cent() {
    let (dir, desk, data) = demo_desk().await;
    let partner = busiest(&data);
    let table = export::ledger(&desk.store(), partner.id, Lang::En)
        .await
        .unwrap();
    let path = dir.path().join("ledger.xlsx");
    export::save(table.clone(), ExportFormat::Xlsx, path.clone())
        .await
        .unwrap();

    let (name, range, styles) = sheet(&path);
    assert_eq!(name, "Credit ledger");
    assert_eq!(
        headers(&range),
        [
            "Date and time (UTC)",
            "Type",
            "Credits",
            "Amount paid",
            "Currency",
            "Discount applied",
            "Deployment ID",
            "Customer"
        ]
    );
    let lines: Vec<_> = data
        .ledger
        .iter()
        .filter(|l| l.partner_id == partner.id)
        .collect();
    assert_eq!(range.height(), lines.len() + 1, "a header and every line");
    assert!(styles
        .get((0, 0))
        .and_then(|s| s.font.as_ref())
        .is_some_and(|f| f.is_bold()));

    let money_format = match partner.currency.minor_units() {
        0 => format!("#,##0 \"{}\"", partner.currency.code()),
        _ => format!("#,##0.00 \"{}\"", partner.currency.code()),
    };
    let mut sum_cents = 0i64;
    let mut purchases = 0;
    for (i, row) in range.rows().enumerate().skip(1) {
        let r = i as u32;
        // Credits: a number, the nearest double to the exact amount, with two decimals shown.
        let credits = float(&row[2]);
        let exact = Credits::from_minor(cents(credits));
        assert_eq!(credits, exact.amount().to_string().parse::<f64>().unwrap());
        assert_eq!(format_code(&styles, r, 2), "#,##0.00");
        sum_cents += exact.minor().unwrap();
        // Time: a real Excel date-time, not text.
        assert!(matches!(row[0], Data::DateTime(_)), "{:?}", row[0]);
        assert_eq!(format_code(&styles, r, 0), "yyyy-mm-dd hh:mm:ss");
        assert!(matches!(row[1], Data::String(_)));
        if row[1] == Data::String("purchase".into()) {
            purchases += 1;
            assert!(float(&row[3]) > 0.0);
            assert_eq!(format_code(&styles, r, 3), money_format);
            assert_eq!(row[4], Data::String(partner.currency.code().into()));
            assert_eq!(
                float(&row[5]),
                partner.discount_rate.to_string().parse::<f64>().unwrap()
            );
            assert_eq!(format_code(&styles, r, 5), "0.0#%");
        } else {
            assert_eq!(row[3], Data::Empty, "only purchases have an amount paid");
        }
    }
    assert!(purchases > 0);

    let balance = portfolio_row(&desk, partner.id).await.credit_balance;
    let balance: Decimal = balance.parse().unwrap();
    assert_eq!(Credits::from_minor(sum_cents).amount(), balance);

    // Oldest first, and the times are the ledger's own.
    let mut expected: Vec<_> = lines.iter().map(|l| (l.at, l.id)).collect();
    expected.sort();
    let first = range.rows().nth(1).unwrap()[0].as_datetime().unwrap();
    assert_eq!(first.and_utc(), expected[0].0);
    let times: Vec<_> = range
        .rows()
        .skip(1)
        .map(|r| r[0].as_datetime().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "by time");

    let xml = sheet_xml(&path);
    assert!(xml.contains(r#"ySplit="1""#), "header row frozen");
    assert!(
        xml.contains(&format!(r#"<autoFilter ref="A1:H{}"/>"#, lines.len() + 1)),
        "autofilter over the whole table"
    );
    assert!(xml.contains("<cols>"), "column widths are set");
}

#[tokio::test]
async fn ledger_csv_round_trips_exact_values() {
    let (dir, desk, data) = demo_desk().await;
    let partner = busiest(&data);
    let table = export::ledger(&desk.store(), partner.id, Lang::En)
        .await
        .unwrap();
    let path = dir.path().join("ledger.csv");
    export::write(&table, ExportFormat::Csv, &path).unwrap();

    let bytes = fs::read(&path).unwrap();
    assert!(!bytes.starts_with(b"\xEF\xBB\xBF"), "plain UTF-8, no BOM");
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let expected: Vec<String> = table.columns().iter().map(|c| c.header.clone()).collect();
    assert_eq!(header, expected);

    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), table.rows().len());
    let mut sum = Decimal::ZERO;
    for (record, row) in records.iter().zip(table.rows()) {
        assert_eq!(record.len(), row.len());
        for (field, cell) in record.iter().zip(row) {
            let back = match cell {
                Cell::Empty => {
                    assert_eq!(field, "");
                    continue;
                }
                Cell::Text(_) => Cell::Text(field.into()),
                Cell::Integer(_) => Cell::Integer(field.parse().unwrap()),
                Cell::Credits(_) => {
                    let (_, decimals) = field.split_once('.').expect("two decimals");
                    assert_eq!(decimals.len(), 2, "{field}");
                    Cell::Credits(Credits::new(field.parse().unwrap()).unwrap())
                }
                Cell::Money(m) => {
                    Cell::Money(Money::new(field.parse().unwrap(), m.currency).unwrap())
                }
                Cell::Percent(_) => Cell::Percent(field.parse().unwrap()),
                Cell::Date(_) => Cell::Date(field.parse().unwrap()),
                Cell::DateTime(_) => Cell::DateTime(field.parse().unwrap()),
            };
            assert_eq!(&back, cell, "{field:?}");
        }
        sum += record[2].parse::<Decimal>().unwrap();
    }
    let balance = portfolio_row(&desk, partner.id).await.credit_balance;
    assert_eq!(sum, balance.parse::<Decimal>().unwrap());
    // Machine-readable: an ISO instant and a plain fraction, whatever the header language.
    let purchase = records.iter().find(|r| &r[1] == "purchase").unwrap();
    assert!(purchase[0].ends_with('Z'), "{}", &purchase[0]);
    assert_eq!(purchase[5], partner.discount_rate.normalize().to_string());
}

#[tokio::test]
async fn spanish_exports_have_spanish_headers_and_the_same_values() {
    let (dir, desk, data) = demo_desk().await;
    let partner = busiest(&data).id;
    let store = &desk.store();
    let rows = desk
        .portfolio(&PortfolioQuery::default())
        .await
        .unwrap()
        .rows;
    let tables = |lang| {
        let rows = rows.clone();
        async move {
            vec![
                export::portfolio(&rows, lang).unwrap(),
                export::ledger(store, partner, lang).await.unwrap(),
                export::customers(store, partner, as_of(), lang)
                    .await
                    .unwrap(),
                export::deployments(store, partner, lang).await.unwrap(),
            ]
        }
    };
    let en = tables(Lang::En).await;
    let es = tables(Lang::Es).await;
    let titles: Vec<_> = es.iter().map(Table::title).collect();
    assert_eq!(
        titles,
        [
            "Cartera",
            "Movimientos de créditos",
            "Clientes",
            "Despliegues"
        ]
    );
    for (en, es) in en.iter().zip(&es) {
        assert_eq!(
            en.rows(),
            es.rows(),
            "{}: only the words change",
            es.title()
        );
        let unique: BTreeSet<_> = es.columns().iter().map(|c| &c.header).collect();
        assert_eq!(unique.len(), es.columns().len(), "{}", es.title());
        for (e, s) in en.columns().iter().zip(es.columns()) {
            assert_eq!(e.kind, s.kind);
            assert!(e.header != s.header || e.header == "SKU", "{}", s.header);
        }
    }
    assert_eq!(es[1].columns()[0].header, "Fecha y hora (UTC)");
    assert_eq!(es[0].columns()[11].header, "Saldo de créditos");

    let path = dir.path().join("movimientos.xlsx");
    export::write(&es[1], ExportFormat::Xlsx, &path).unwrap();
    let (name, range, _) = sheet(&path);
    assert_eq!(name, "Movimientos de créditos");
    assert_eq!(headers(&range)[2], "Créditos");
    let path = dir.path().join("clientes.csv");
    export::write(&es[2], ExportFormat::Csv, &path).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(
        "Nombre,País,Marca,Fundador,Fecha de alta,Despliegues activos,Socio titular\n"
    ));
}

#[tokio::test]
async fn portfolio_xlsx_has_percent_rates_and_exact_balances() {
    let (dir, desk, data) = demo_desk().await;
    let rows = desk
        .portfolio(&PortfolioQuery::default())
        .await
        .unwrap()
        .rows;
    let table = export::portfolio(&rows, Lang::En).unwrap();
    let path = dir.path().join("portfolio.xlsx");
    export::write(&table, ExportFormat::Xlsx, &path).unwrap();

    let (_, range, styles) = sheet(&path);
    assert_eq!(range.height(), data.partners.len() + 1);
    let mut total = 0i64;
    for (i, (row, partner)) in range.rows().skip(1).zip(&rows).enumerate() {
        let r = i as u32 + 1;
        assert_eq!(
            row[0],
            Data::String(partner.name.clone()),
            "in the order given"
        );
        let rate: f64 = partner.discount_rate.parse().unwrap();
        assert_eq!(float(&row[2]), rate, "a fraction, shown as a percentage");
        assert_eq!(format_code(&styles, r, 2), "0.0#%");
        assert_eq!(float(&row[6]), f64::from(partner.active_customers));
        assert_eq!(format_code(&styles, r, 6), "#,##0");
        assert_eq!(format_code(&styles, r, 10), "#,##0.00", "recurring volume");
        assert_eq!(format_code(&styles, r, 11), "#,##0.00");
        total += cents(float(&row[11]));
    }
    let ledger_total: i64 = data.ledger.iter().map(|l| l.credits.minor().unwrap()).sum();
    assert_eq!(total, ledger_total, "every balance exact to the cent");
}

#[tokio::test]
async fn customers_include_former_ones_under_their_partner_of_record() {
    let (dir, desk, data) = demo_desk().await;
    let moved = &data.migrations[0];
    let from = data
        .partners
        .iter()
        .find(|p| p.id == moved.from_partner)
        .unwrap();
    let to = data
        .partners
        .iter()
        .find(|p| p.id == moved.to_partner)
        .unwrap();
    let customer = data
        .customers
        .iter()
        .find(|c| c.id == moved.customer_id)
        .unwrap();
    let table = export::customers(&desk.store(), from.id, as_of(), Lang::En)
        .await
        .unwrap();
    let row = table
        .rows()
        .iter()
        .find(|r| r[0] == Cell::Text(customer.name.clone()))
        .expect("a customer that migrated away is still listed");
    assert_eq!(row[6], Cell::Text(to.name.clone()));
    assert_eq!(row[4], Cell::Date(customer.created_on));

    // Current customers are all there; the active ones match the portfolio's count.
    let current = table
        .rows()
        .iter()
        .filter(|r| r[6] == Cell::Text(from.name.clone()));
    let of_record = data
        .customers
        .iter()
        .filter(|c| c.partner_id == from.id)
        .count();
    assert_eq!(current.clone().count(), of_record);
    let active = current
        .filter(|r| matches!(r[5], Cell::Integer(n) if n > 0))
        .count();
    let row = portfolio_row(&desk, from.id).await;
    assert_eq!(active, row.active_customers as usize);

    let path = dir.path().join("customers.xlsx");
    export::write(&table, ExportFormat::Xlsx, &path).unwrap();
    let (_, range, styles) = sheet(&path);
    let first = &range.rows().nth(1).unwrap();
    assert!(matches!(first[4], Data::DateTime(_)), "a real date");
    assert_eq!(format_code(&styles, 1, 4), "yyyy-mm-dd");
    assert!(matches!(first[5], Data::Float(_)), "a count is a number");
}

#[tokio::test]
async fn deployments_add_up_and_open_ones_have_no_end() {
    let (dir, desk, data) = demo_desk().await;
    let partner = busiest(&data);
    let table = export::deployments(&desk.store(), partner.id, Lang::En)
        .await
        .unwrap();
    let mine: Vec<_> = data
        .deployments
        .iter()
        .filter(|d| d.partner_id == partner.id)
        .collect();
    assert_eq!(table.rows().len(), mine.len());

    let path = dir.path().join("deployments.xlsx");
    export::write(&table, ExportFormat::Xlsx, &path).unwrap();
    let (_, range, _) = sheet(&path);
    let total: i64 = range.rows().skip(1).map(|r| cents(float(&r[3]))).sum();
    assert_eq!(
        total,
        mine.iter().map(|d| d.credits.minor().unwrap()).sum::<i64>()
    );
    let open = range.rows().skip(1).filter(|r| r[5] == Data::Empty).count();
    assert_eq!(open, mine.iter().filter(|d| d.ended_on.is_none()).count());
    let started: Vec<_> = range
        .rows()
        .skip(1)
        .map(|r| r[4].as_date().unwrap())
        .collect();
    assert!(started.windows(2).all(|w| w[0] <= w[1]), "by start date");
}

#[tokio::test]
async fn an_unknown_partner_is_not_found_rather_than_an_empty_export() {
    let (_dir, desk, _) = demo_desk().await;
    let nobody = PartnerId(uuid::Uuid::from_u128(42));
    let err = export::ledger(&desk.store(), nobody, Lang::En)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
}

fn money_table() -> Table {
    let mut table = Table::new(
        "Amounts: [paid]?",
        vec![
            Column::new("Amount", ColumnKind::Money),
            Column::new("When", ColumnKind::Date),
        ],
    );
    table
        .push_row(vec![
            Cell::Money(Money::from_minor(1_500_000, Currency::CLP)),
            Cell::Date(NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()),
        ])
        .unwrap();
    table
        .push_row(vec![
            Cell::Money(Money::from_minor(-1_250, Currency::USD)),
            Cell::Empty,
        ])
        .unwrap();
    table
}

#[test]
fn money_keeps_its_currency_decimals_in_both_formats() {
    let dir = tempfile::tempdir().unwrap();
    let table = money_table();
    let xlsx = dir.path().join("money.xlsx");
    export::write(&table, ExportFormat::Xlsx, &xlsx).unwrap();
    let (name, range, styles) = sheet(&xlsx);
    assert_eq!(name, "Amounts- -paid--", "Excel's sheet-name rules");
    assert_eq!(range.get_value((1, 0)), Some(&Data::Float(1_500_000.0)));
    assert_eq!(format_code(&styles, 1, 0), "#,##0 \"CLP\"");
    assert_eq!(range.get_value((2, 0)), Some(&Data::Float(-12.5)));
    assert_eq!(format_code(&styles, 2, 0), "#,##0.00 \"USD\"");

    let csv = dir.path().join("money.csv");
    export::write(&table, ExportFormat::Csv, &csv).unwrap();
    assert_eq!(
        fs::read_to_string(&csv).unwrap(),
        "Amount,When\n1500000,2026-01-31\n-12.50,\n"
    );
}

#[test]
fn a_row_that_does_not_fit_its_table_is_refused() {
    let mut table = money_table();
    let wrong_kind = table.push_row(vec![Cell::Integer(1), Cell::Empty]);
    assert!(matches!(
        wrong_kind,
        Err(DeskError::InvalidInput { field: "row", .. })
    ));
    let too_short = table.push_row(vec![Cell::Empty]);
    assert!(matches!(
        too_short,
        Err(DeskError::InvalidInput { field: "row", .. })
    ));
    // Money's fields are public; a peso has no cents.
    let half_peso = Money {
        amount: Decimal::new(125, 1),
        currency: Currency::CLP,
    };
    let too_precise = table.push_row(vec![Cell::Money(half_peso), Cell::Empty]);
    assert!(matches!(
        too_precise,
        Err(DeskError::InvalidInput { field: "row", .. })
    ));
    assert_eq!(table.rows().len(), 2, "nothing was added");
}

#[test]
fn an_export_to_a_missing_folder_is_a_clear_error_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no such folder").join("ledger.xlsx");
    for format in [ExportFormat::Xlsx, ExportFormat::Csv] {
        let err = export::write(&money_table(), format, &path).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput);
        assert!(
            err.to_string().contains("no such folder")
                && err.to_string().contains("does not exist"),
            "{err}"
        );
    }
    assert!(dir_entries(dir.path()).is_empty(), "no folder, no file");
}

#[test]
fn a_failed_export_leaves_the_previous_file_and_no_temporary_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.xlsx");
    fs::write(&path, b"the previous export").unwrap();
    // Excel cannot show dates before 1900: the XLSX writer fails part way through.
    let mut table = money_table();
    table
        .push_row(vec![
            Cell::Empty,
            Cell::Date(NaiveDate::from_ymd_opt(1850, 1, 1).unwrap()),
        ])
        .unwrap();
    let err = export::write(&table, ExportFormat::Xlsx, &path).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput, "{err}");
    assert_eq!(fs::read(&path).unwrap(), b"the previous export");
    assert_eq!(
        dir_entries(dir.path()),
        BTreeSet::from(["report.xlsx".into()])
    );

    // The same table as CSV has no such limit, and replaces the file whole.
    export::write(&table, ExportFormat::Csv, &path).unwrap();
    assert!(fs::read_to_string(&path)
        .unwrap()
        .ends_with(",1850-01-01\n"));
    assert_eq!(
        dir_entries(dir.path()),
        BTreeSet::from(["report.xlsx".into()])
    );
}

#[test]
fn times_are_utc_instants_in_csv_and_excel_dates_in_xlsx() {
    let dir = tempfile::tempdir().unwrap();
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 17, 4, 5).unwrap();
    let mut table = Table::new("T", vec![Column::new("At", ColumnKind::DateTime)]);
    table.push_row(vec![Cell::DateTime(at)]).unwrap();
    let csv = dir.path().join("t.csv");
    export::write(&table, ExportFormat::Csv, &csv).unwrap();
    assert_eq!(
        fs::read_to_string(&csv).unwrap(),
        "At\n2026-11-23T17:04:05Z\n"
    );
    let xlsx = dir.path().join("t.xlsx");
    export::write(&table, ExportFormat::Xlsx, &xlsx).unwrap();
    let (_, range, _) = sheet(&xlsx);
    let back = range.get_value((1, 0)).unwrap().as_datetime().unwrap();
    assert_eq!(back.and_utc(), at);
}
