//! XLSX: one sheet with a bold, frozen header row, an autofilter and columns sized to their
//! contents. Numbers are written as Excel numbers and dates as Excel dates, each with a number
//! format, so the sheet sums, sorts and filters them as values, never as text.
//!
//! This is the only place an exact value becomes an `f64`: Excel stores IEEE doubles, and the
//! nearest double to a decimal with two decimals still reads back as that decimal to the cent.

use std::collections::HashMap;
use std::io::Write;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use program::Currency;
use rust_decimal::Decimal;
use rust_xlsxwriter::{
    ColNum, ExcelDateTime, Format, FormatAlign, FormatBorder, RowNum, Workbook, Worksheet,
    XlsxError,
};

use super::{Cell, Column, ColumnKind, Table};
use crate::error::{DeskError, Result};

/// Excel's limits: rows (the header included) and columns of a sheet, characters of a sheet name.
const MAX_ROWS: usize = 1_048_576;
const MAX_COLUMNS: usize = 16_384;
const MAX_SHEET_NAME: usize = 31;

const INTEGER: &str = "#,##0";
const CREDITS: &str = "#,##0.00";
const PERCENT: &str = "0.0#%";
const DATE: &str = "yyyy-mm-dd";
const DATE_TIME: &str = "yyyy-mm-dd hh:mm:ss";

pub(super) fn write(table: &Table, out: impl Write) -> Result<()> {
    write_sheets(std::slice::from_ref(table), out)
}

/// A workbook of one sheet per table, in order.
pub(super) fn write_sheets(tables: &[Table], mut out: impl Write) -> Result<()> {
    let mut workbook = Workbook::new();
    let mut formats = Formats::new();
    for table in tables {
        fill(workbook.add_worksheet(), table, &mut formats)?;
    }
    // To a buffer first, so a failed write to disk surfaces as the I/O error it is.
    let bytes = workbook.save_to_buffer().map_err(error)?;
    out.write_all(&bytes)?;
    out.flush()?;
    Ok(())
}

fn fill(sheet: &mut Worksheet, table: &Table, formats: &mut Formats) -> Result<()> {
    let rows = table.rows().len();
    let columns = table.columns().len();
    if rows >= MAX_ROWS || columns > MAX_COLUMNS {
        return Err(DeskError::InvalidInput {
            field: "format",
            reason: format!(
                "an XLSX sheet holds at most {} rows and {MAX_COLUMNS} columns; this table has \
                 {rows} rows and {columns} columns: export it as CSV",
                MAX_ROWS - 1
            ),
        });
    }
    sheet.set_name(sheet_name(table.title())).map_err(error)?;
    for (c, column) in table.columns().iter().enumerate() {
        let c = c as ColNum;
        sheet
            .write_string_with_format(0, c, &column.header, &formats.header(column.kind))
            .map_err(error)?;
        sheet
            .set_column_width(c, width(column, table, usize::from(c)))
            .map_err(error)?;
    }
    for (r, row) in table.rows().iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            write_cell(sheet, r as RowNum + 1, c as ColNum, cell, formats)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(error)?;
    if columns > 0 {
        sheet
            .autofilter(0, 0, rows as RowNum, (columns - 1) as ColNum)
            .map_err(error)?;
    }
    Ok(())
}

fn write_cell(
    sheet: &mut Worksheet,
    r: RowNum,
    c: ColNum,
    cell: &Cell,
    formats: &mut Formats,
) -> Result<()> {
    match cell {
        Cell::Empty => return Ok(()),
        // Always a string: text that looks like a formula or a number stays what it is.
        Cell::Text(s) => sheet.write_string(r, c, s),
        Cell::Integer(n) => sheet.write_number_with_format(r, c, *n as f64, &formats.integer),
        Cell::Credits(credits) => {
            sheet.write_number_with_format(r, c, number(credits.amount()), &formats.credits)
        }
        Cell::Money(m) => {
            let format = formats.money(m.currency);
            sheet.write_number_with_format(r, c, number(m.amount), format)
        }
        Cell::Percent(p) => sheet.write_number_with_format(r, c, number(*p), &formats.percent),
        Cell::Date(d) => sheet.write_datetime_with_format(r, c, excel_date(*d)?, &formats.date),
        Cell::DateTime(t) => {
            sheet.write_datetime_with_format(r, c, excel_date_time(*t)?, &formats.date_time)
        }
    }
    .map_err(error)?;
    Ok(())
}

/// The nearest double to `amount`. Through its decimal text on purpose: parsing rounds correctly,
/// where `Decimal::to_f64` may land a double away.
fn number(amount: Decimal) -> f64 {
    amount
        .to_string()
        .parse()
        .expect("a decimal's text is a valid float")
}

fn excel_date(d: NaiveDate) -> Result<ExcelDateTime> {
    let year = u16::try_from(d.year()).map_err(|_| out_of_range(d))?;
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8).map_err(error)
}

fn excel_date_time(t: DateTime<Utc>) -> Result<ExcelDateTime> {
    let seconds = f64::from(t.second()) + f64::from(t.nanosecond()) / 1e9;
    excel_date(t.date_naive())?
        .and_hms(t.hour() as u16, t.minute() as u8, seconds)
        .map_err(error)
}

fn out_of_range(d: NaiveDate) -> DeskError {
    DeskError::InvalidInput {
        field: "table",
        reason: format!("{d} is outside the dates Excel can show"),
    }
}

fn error(e: XlsxError) -> DeskError {
    match e {
        XlsxError::IoError(e) => DeskError::Io(e),
        e => DeskError::InvalidInput {
            field: "table",
            reason: format!("cannot be written as XLSX: {e}"),
        },
    }
}

struct Formats {
    integer: Format,
    credits: Format,
    percent: Format,
    date: Format,
    date_time: Format,
    money: HashMap<Currency, Format>,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            integer: Format::new().set_num_format(INTEGER),
            credits: Format::new().set_num_format(CREDITS),
            percent: Format::new().set_num_format(PERCENT),
            date: Format::new().set_num_format(DATE),
            date_time: Format::new().set_num_format(DATE_TIME),
            money: HashMap::new(),
        }
    }

    fn header(&self, kind: ColumnKind) -> Format {
        let format = Format::new()
            .set_bold()
            .set_border_bottom(FormatBorder::Thin);
        if is_numeric(kind) {
            format.set_align(FormatAlign::Right)
        } else {
            format
        }
    }

    fn money(&mut self, currency: Currency) -> &Format {
        self.money
            .entry(currency)
            .or_insert_with(|| Format::new().set_num_format(money_format(currency)))
    }
}

/// `#,##0.00 "USD"`, `#,##0 "CLP"`: the currency's own decimals, and its code, since several
/// currencies share the "$" sign.
fn money_format(currency: Currency) -> String {
    let decimals = currency.minor_units() as usize;
    let fraction = if decimals == 0 {
        String::new()
    } else {
        format!(".{}", "0".repeat(decimals))
    };
    format!("#,##0{fraction} \"{}\"", currency.code())
}

fn is_numeric(kind: ColumnKind) -> bool {
    !matches!(kind, ColumnKind::Text)
}

/// Excel's rules for sheet names: no `[]:*?/\`, no apostrophe at either end, 31 characters.
fn sheet_name(title: &str) -> String {
    let name: String = title
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '-' } else { c })
        .take(MAX_SHEET_NAME)
        .collect();
    let name = name.trim().trim_matches('\'').trim();
    if name.is_empty() {
        "Sheet1".to_string()
    } else {
        name.to_string()
    }
}

/// A width in characters that fits the header (with its filter button) and the widest value.
fn width(column: &Column, table: &Table, c: usize) -> f64 {
    let header = column.header.chars().count() + 3;
    let widest = table
        .rows()
        .iter()
        .map(|row| shown_len(&row[c]))
        .max()
        .unwrap_or(0);
    (header.max(widest) + 1).clamp(8, 60) as f64
}

/// About how many characters Excel shows for a value in its format.
fn shown_len(cell: &Cell) -> usize {
    match cell {
        Cell::Empty => 0,
        Cell::Text(s) => s.chars().count(),
        Cell::Integer(n) => grouped_len(Decimal::from(*n), 0),
        Cell::Credits(c) => grouped_len(c.amount(), 2),
        Cell::Money(m) => grouped_len(m.amount, m.currency.minor_units() as usize) + 4,
        Cell::Percent(_) => 7,
        Cell::Date(_) => DATE.len(),
        Cell::DateTime(_) => DATE_TIME.len(),
    }
}

/// Characters of `amount` with thousands separators and `decimals` decimals.
fn grouped_len(amount: Decimal, decimals: usize) -> usize {
    let digits = amount.abs().trunc().to_string().len();
    let sign = usize::from(amount.is_sign_negative() && !amount.is_zero());
    let fraction = if decimals == 0 { 0 } else { decimals + 1 };
    sign + digits + (digits - 1) / 3 + fraction
}
