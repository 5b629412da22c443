//! CSV: a header row, then plain, machine-readable values in UTF-8 (no byte-order mark): decimals
//! with '.' and no grouping, percentages as the fraction itself, ISO 8601 dates and RFC 3339 times.
//! What a program reading the file needs, not what a person reads; that is XLSX's job.

use std::io::{self, Write};

use chrono::SecondsFormat;
use program::Credits;

use super::{fixed, Cell, Table};
use crate::error::{DeskError, Result};

pub(super) fn write(table: &Table, out: impl Write) -> Result<()> {
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(table.columns().iter().map(|c| c.header.as_str()))
        .map_err(error)?;
    for row in table.rows() {
        w.write_record(row.iter().map(value)).map_err(error)?;
    }
    w.flush()?;
    Ok(())
}

/// A cell as CSV text: "-1250.00", "0.125", "2026-11-23", "2026-11-23T10:01:00Z".
fn value(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(s) => s.clone(),
        Cell::Integer(n) => n.to_string(),
        Cell::Credits(c) => fixed(c.amount(), Credits::DECIMALS).to_string(),
        Cell::Money(m) => fixed(m.amount, m.currency.minor_units()).to_string(),
        Cell::Percent(p) => p.normalize().to_string(),
        Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
        Cell::DateTime(t) => t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
    }
}

fn error(e: ::csv::Error) -> DeskError {
    match e.into_kind() {
        ::csv::ErrorKind::Io(e) => DeskError::Io(e),
        // Rows are checked against their table, so only I/O can fail; keep the cause if not.
        other => DeskError::Io(io::Error::other(format!("CSV: {other:?}"))),
    }
}
