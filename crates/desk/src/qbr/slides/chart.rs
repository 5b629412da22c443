//! A native column chart (DrawingML), its figures cached in the chart and kept in an embedded
//! workbook, so that PowerPoint's or LibreOffice's "Edit data" opens them.

use rust_xlsxwriter::Workbook;

use super::shapes::esc;
use crate::error::{DeskError, Result};

/// One series: its name, colour (RRGGBB) and a value per month (`None` where the month has none).
pub struct Series {
    pub name: String,
    pub color: String,
    pub values: Vec<Option<String>>,
}

/// A column chart of `series` over `months`.
pub struct Chart {
    pub months: Vec<String>,
    pub series: Vec<Series>,
    /// The colour of a negative value (a balance below zero), if it gets one of its own.
    pub negative: Option<String>,
    pub lang: &'static str,
}

/// A spreadsheet column's letter (A…Z; a chart here has at most a few series).
fn column(i: usize) -> char {
    (b'A' + u8::try_from(i).unwrap_or(25).min(25)) as char
}

const SHEET: &str = "Data";

impl Chart {
    fn last_row(&self) -> usize {
        self.months.len() + 1
    }

    fn categories(&self) -> String {
        let points: String = self
            .months
            .iter()
            .enumerate()
            .map(|(i, m)| format!(r#"<c:pt idx="{i}"><c:v>{}</c:v></c:pt>"#, esc(m)))
            .collect();
        format!(
            r#"<c:cat><c:strRef><c:f>{SHEET}!$A$2:$A${}</c:f><c:strCache><c:ptCount val="{}"/>{points}</c:strCache></c:strRef></c:cat>"#,
            self.last_row(),
            self.months.len()
        )
    }

    fn series_xml(&self, k: usize, s: &Series) -> String {
        let col = column(k + 1);
        let points: String = s
            .values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.as_ref().map(|v| (i, v)))
            .map(|(i, v)| format!(r#"<c:pt idx="{i}"><c:v>{}</c:v></c:pt>"#, esc(v)))
            .collect();
        let negatives: String = match &self.negative {
            Some(red) => s
                .values
                .iter()
                .enumerate()
                .filter(|(_, v)| v.as_deref().is_some_and(|v| v.starts_with('-')))
                .map(|(i, _)| {
                    format!(
                        r#"<c:dPt><c:idx val="{i}"/><c:invertIfNegative val="0"/><c:bubble3D val="0"/><c:spPr><a:solidFill><a:srgbClr val="{red}"/></a:solidFill></c:spPr></c:dPt>"#
                    )
                })
                .collect(),
            None => String::new(),
        };
        format!(
            r#"<c:ser><c:idx val="{k}"/><c:order val="{k}"/><c:tx><c:strRef><c:f>{SHEET}!${col}$1</c:f><c:strCache><c:ptCount val="1"/><c:pt idx="0"><c:v>{name}</c:v></c:pt></c:strCache></c:strRef></c:tx><c:spPr><a:solidFill><a:srgbClr val="{color}"/></a:solidFill></c:spPr><c:invertIfNegative val="0"/>{negatives}{cat}<c:val><c:numRef><c:f>{SHEET}!${col}$2:${col}${last}</c:f><c:numCache><c:formatCode>General</c:formatCode><c:ptCount val="{n}"/>{points}</c:numCache></c:numRef></c:val></c:ser>"#,
            name = esc(&s.name),
            color = s.color,
            cat = self.categories(),
            last = self.last_row(),
            n = self.months.len(),
        )
    }

    /// The chart's part; `workbook` is its relationship to the embedded workbook.
    pub fn xml(&self, workbook: &str) -> String {
        let series: String = self
            .series
            .iter()
            .enumerate()
            .map(|(k, s)| self.series_xml(k, s))
            .collect();
        let text = |size: u32| {
            format!(
                r#"<c:txPr><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr sz="{}"><a:solidFill><a:srgbClr val="505050"/></a:solidFill></a:defRPr></a:pPr><a:endParaRPr lang="{}"/></a:p></c:txPr>"#,
                size * 100,
                self.lang
            )
        };
        let legend = if self.series.len() > 1 {
            r#"<c:legend><c:legendPos val="t"/><c:overlay val="0"/></c:legend>"#
        } else {
            ""
        };
        format!(
            r##"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><c:lang val="{lang}"/><c:roundedCorners val="0"/><c:chart><c:autoTitleDeleted val="1"/><c:plotArea><c:layout/><c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:varyColors val="0"/>{series}<c:gapWidth val="50"/><c:axId val="1001"/><c:axId val="1002"/></c:barChart><c:catAx><c:axId val="1001"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="b"/><c:numFmt formatCode="General" sourceLinked="0"/><c:majorTickMark val="none"/><c:minorTickMark val="none"/><c:tickLblPos val="low"/><c:spPr><a:ln w="6350"><a:solidFill><a:srgbClr val="BEBEBE"/></a:solidFill></a:ln></c:spPr>{cat_text}<c:crossAx val="1002"/><c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx><c:valAx><c:axId val="1002"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="l"/><c:majorGridlines><c:spPr><a:ln w="6350"><a:solidFill><a:srgbClr val="E6E6E6"/></a:solidFill></a:ln></c:spPr></c:majorGridlines><c:numFmt formatCode="#,##0" sourceLinked="0"/><c:majorTickMark val="none"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/><c:spPr><a:ln><a:noFill/></a:ln></c:spPr>{val_text}<c:crossAx val="1001"/><c:crosses val="autoZero"/><c:crossBetween val="between"/></c:valAx></c:plotArea>{legend}<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>{chart_text}<c:externalData r:id="{workbook}"><c:autoUpdate val="0"/></c:externalData></c:chartSpace>"##,
            lang = self.lang,
            cat_text = text(11),
            val_text = text(11),
            chart_text = text(13),
        )
    }

    /// The embedded workbook: the months in column A, a column per series, the figures as the
    /// chart caches them.
    pub fn workbook(&self) -> Result<Vec<u8>> {
        let xlsx = |e: rust_xlsxwriter::XlsxError| DeskError::Io(std::io::Error::other(e));
        let mut book = Workbook::new();
        let sheet = book.add_worksheet().set_name(SHEET).map_err(xlsx)?;
        for (k, s) in self.series.iter().enumerate() {
            let col = u16::try_from(k + 1).unwrap_or(u16::MAX);
            sheet.write_string(0, col, &s.name).map_err(xlsx)?;
            for (i, v) in s.values.iter().enumerate() {
                let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
                // The chart's figures are whole credits, customers or scores: exact as doubles.
                if let Some(v) = v.as_ref().and_then(|v| v.parse::<f64>().ok()) {
                    sheet.write_number(row, col, v).map_err(xlsx)?;
                }
            }
        }
        for (i, m) in self.months.iter().enumerate() {
            let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
            sheet.write_string(row, 0, m).map_err(xlsx)?;
        }
        sheet.set_column_width(0, 14).map_err(xlsx)?;
        book.save_to_buffer().map_err(xlsx)
    }
}
