//! Exports of the app's tables (portfolio, ledger, customers, deployments) to CSV and XLSX.
//!
//! A [`Table`] holds exact values — decimals, dates, times — never floats. Each writer decides how
//! a kind of value looks in its format: CSV gets plain, machine-readable text (decimal strings with
//! '.', ISO dates); XLSX gets real numbers and dates with number formats, and is the only place a
//! number becomes an `f64` (what Excel stores). Headers come in the user's language (`headers`).
//! The builders (`tables`) only read the cache; nothing here writes to it.
//!
//! A file is written to a temporary file in the target's folder and renamed into place, so a
//! failed export never leaves a half-written file behind, nor replaces a good one.

mod csv;
mod headers;
mod screens;
mod tables;
mod xlsx;

use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use program::{Credits, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{DeskError, Result};

pub use headers::Lang;
pub use screens::screen;
pub use tables::{customers, deals, deployments, ledger, pipeline, portfolio, quote_lines};

/// The name of a file an export writes, from data (a quote number, a partner's name): `stem`
/// with what `sanitize-filename` leaves of it (no path separator, control character, `.` or `..`,
/// nor a name Windows reserves), no leading dot, at most 200 bytes, then `.ext`. Every export's
/// file name goes through here, so no data can name a file outside the folder it is saved in.
pub fn file_name(stem: &str, ext: &str) -> String {
    let options = sanitize_filename::Options {
        windows: true,
        truncate: true,
        replacement: "-",
    };
    let clean = sanitize_filename::sanitize_with_options(stem, options);
    let mut clean = clean.trim_start_matches(['.', ' ']).to_string();
    while clean.len() > 200 {
        clean.pop();
    }
    if clean.is_empty() {
        clean.push_str("export");
    }
    format!("{clean}.{ext}")
}

/// `path`, if it names a file saved in the export folder `dir` (not in a folder below it, not
/// through a link out of it): what the app agrees to open or show in the file manager. Anything
/// else, whoever asks, is `InvalidInput`; a file since deleted is `NotFound`.
pub fn saved_export(dir: &Path, path: &Path) -> Result<PathBuf> {
    let outside = || DeskError::InvalidInput {
        field: "path",
        reason: format!(
            "{} is not a file saved in the export folder",
            path.display()
        ),
    };
    let file = match path.canonicalize() {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(DeskError::NotFound {
                what: format!("the file {}", path.display()),
            })
        }
        Err(_) => return Err(outside()),
    };
    let dir = dir.canonicalize().map_err(|_| outside())?;
    if file.parent() != Some(dir.as_path()) || !file.is_file() {
        return Err(outside());
    }
    Ok(file)
}

/// What a column holds, and so how each format writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnKind {
    Text,
    Integer,
    /// Activation Credits, to the hundredth.
    Credits,
    /// Fiat money; each cell carries its currency, whose minor unit sets the decimals.
    Money,
    /// A fraction (0.125) shown as a percentage (12.5 %).
    Percent,
    /// A calendar date.
    Date,
    /// An instant, in UTC.
    DateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub header: String,
    pub kind: ColumnKind,
}

impl Column {
    pub fn new(header: impl Into<String>, kind: ColumnKind) -> Column {
        Column {
            header: header.into(),
            kind,
        }
    }
}

/// One value of a table, exact. `Empty` fits any column (a missing value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Empty,
    Text(String),
    Integer(i64),
    Credits(Credits),
    Money(Money),
    /// A fraction: 0.125 is 12.5 %.
    Percent(Decimal),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
}

impl Cell {
    /// The column kind this value belongs in; none for `Empty`, which belongs anywhere.
    pub fn kind(&self) -> Option<ColumnKind> {
        Some(match self {
            Cell::Empty => return None,
            Cell::Text(_) => ColumnKind::Text,
            Cell::Integer(_) => ColumnKind::Integer,
            Cell::Credits(_) => ColumnKind::Credits,
            Cell::Money(_) => ColumnKind::Money,
            Cell::Percent(_) => ColumnKind::Percent,
            Cell::Date(_) => ColumnKind::Date,
            Cell::DateTime(_) => ColumnKind::DateTime,
        })
    }
}

/// A titled grid of exact values; every row has one cell per column, of the column's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    title: String,
    columns: Vec<Column>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table. The title names the XLSX sheet (shortened to Excel's 31 characters).
    pub fn new(title: impl Into<String>, columns: Vec<Column>) -> Table {
        Table {
            title: title.into(),
            columns,
            rows: Vec::new(),
        }
    }

    /// Appends a row; refuses one of the wrong width, with a value of the wrong kind, or with
    /// money finer than its currency's minor unit.
    pub fn push_row(&mut self, row: Vec<Cell>) -> Result<()> {
        let invalid = |reason: String| DeskError::InvalidInput {
            field: "row",
            reason,
        };
        if row.len() != self.columns.len() {
            return Err(invalid(format!(
                "has {} cells, the table {:?} has {} columns",
                row.len(),
                self.title,
                self.columns.len()
            )));
        }
        for (cell, column) in row.iter().zip(&self.columns) {
            if cell.kind().is_some_and(|kind| kind != column.kind) {
                return Err(invalid(format!(
                    "column {:?} holds {:?} values, not {cell:?}",
                    column.header, column.kind
                )));
            }
            if let Cell::Money(m) = cell {
                Money::new(m.amount, m.currency).map_err(|e| invalid(e.to_string()))?;
            }
        }
        self.rows.push(row);
        Ok(())
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    pub fn rows(&self) -> &[Vec<Cell>] {
        &self.rows
    }
}

/// The file formats a table can be exported to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    /// The file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }
}

/// Writes `table` to `path` in `format`, replacing any file there. All or nothing: the file
/// appears complete or not at all. Blocking; from async code use [`save`].
pub fn write(table: &Table, format: ExportFormat, path: &Path) -> Result<()> {
    write_atomically(path, |file| match format {
        ExportFormat::Csv => csv::write(table, file),
        ExportFormat::Xlsx => xlsx::write(table, file),
    })
}

/// Writes `tables` as one XLSX workbook, a sheet each, to `path` (all or nothing). Blocking.
pub fn write_workbook(tables: &[Table], path: &Path) -> Result<()> {
    write_atomically(path, |file| xlsx::write_sheets(tables, file))
}

/// Writes a file through `fill` into a temporary file beside `path`, then renames it into place:
/// a failure never leaves a half-written file, nor replaces a good one.
pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> Result<()>,
) -> Result<()> {
    let folder = folder_of(path)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".partner-desk-export-")
        .suffix(".tmp")
        .tempfile_in(folder)
        .map_err(|e| invalid_path(format!("cannot write in {}: {e}", folder.display())))?;
    fill(tmp.as_file_mut())?;
    // On disk before the rename, so a crash cannot leave an empty file under the final name.
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| DeskError::Io(e.error))?;
    Ok(())
}

/// [`write`] on a blocking thread, for async callers (the Tauri commands).
pub async fn save(table: Table, format: ExportFormat, path: PathBuf) -> Result<()> {
    tokio::task::spawn_blocking(move || write(&table, format, &path))
        .await
        .map_err(|e| DeskError::Io(io::Error::other(e)))?
}

fn invalid_path(reason: String) -> DeskError {
    DeskError::InvalidInput {
        field: "path",
        reason,
    }
}

/// The existing folder `path` goes in. Checked first, so the error names the real problem rather
/// than the temporary file's.
fn folder_of(path: &Path) -> Result<&Path> {
    if path.file_name().is_none() || path.is_dir() {
        return Err(invalid_path(format!(
            "{} is not a file name",
            path.display()
        )));
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        return Err(invalid_path(format!(
            "the folder {} does not exist",
            folder.display()
        )));
    }
    Ok(folder)
}

/// `amount` with exactly `decimals` decimals ("12.50"); the amounts here are exact at that scale,
/// so this only pads.
fn fixed(mut amount: Decimal, decimals: u32) -> Decimal {
    amount.rescale(decimals);
    amount
}
