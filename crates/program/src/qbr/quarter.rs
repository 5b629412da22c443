//! The calendar quarter a review covers: parsing, printing and stepping between quarters.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A calendar quarter: `2026-Q3` is July to September 2026.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(try_from = "String", into = "String")]
#[ts(type = "string")]
pub struct Quarter {
    year: i32,
    number: u8,
}

/// As it is written: `2026-Q3`.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Quarter {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Quarter".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-Q[1-4]$",
            "description": "A calendar quarter: 2026-Q3 is July to September 2026.",
            "examples": ["2026-Q3"]
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a quarter: write it as 2026-Q3")]
pub struct QuarterError(pub String);

impl Quarter {
    /// The quarter `number` (1..=4) of `year`.
    pub fn new(year: i32, number: u8) -> Option<Quarter> {
        ((1..=4).contains(&number) && (1..=9999).contains(&year))
            .then_some(Quarter { year, number })
    }

    /// The quarter holding `day`.
    pub fn of(day: NaiveDate) -> Quarter {
        Quarter {
            year: day.year(),
            number: u8::try_from(day.month0() / 3 + 1).expect("1..=4"),
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn number(self) -> u8 {
        self.number
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, u32::from(self.number - 1) * 3 + 1, 1)
            .expect("a quarter's first day")
    }

    pub fn last_day(self) -> NaiveDate {
        self.first_day()
            .checked_add_months(Months::new(3))
            .and_then(|d| d.pred_opt())
            .expect("a quarter's last day")
    }

    pub fn contains(self, day: NaiveDate) -> bool {
        day >= self.first_day() && day <= self.last_day()
    }

    pub fn previous(self) -> Quarter {
        Quarter::of(self.first_day() - Days::new(1))
    }

    pub fn next(self) -> Quarter {
        Quarter::of(self.last_day() + Days::new(1))
    }

    /// The same quarter a year before.
    pub fn year_before(self) -> Quarter {
        Quarter {
            year: self.year - 1,
            number: self.number,
        }
    }

    /// "Q3 2026" in English, "T3 2026" (trimestre) in Spanish.
    pub fn label(self, lang: crate::Lang) -> String {
        let letter = match lang {
            crate::Lang::En => 'Q',
            crate::Lang::Es => 'T',
        };
        format!("{letter}{} {}", self.number, self.year)
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-Q{}", self.year, self.number)
    }
}

impl FromStr for Quarter {
    type Err = QuarterError;

    /// `2026-Q3`, `2026Q3` or `2026-q3`.
    fn from_str(s: &str) -> Result<Quarter, QuarterError> {
        let bad = || QuarterError(s.to_string());
        let t = s.trim().to_ascii_uppercase();
        let (year, number) = t.split_once('Q').ok_or_else(bad)?;
        let year: i32 = year.trim_end_matches('-').parse().map_err(|_| bad())?;
        let number: u8 = number.parse().map_err(|_| bad())?;
        Quarter::new(year, number).ok_or_else(bad)
    }
}

impl TryFrom<String> for Quarter {
    type Error = QuarterError;
    fn try_from(s: String) -> Result<Quarter, QuarterError> {
        s.parse()
    }
}

impl From<Quarter> for String {
    fn from(q: Quarter) -> String {
        q.to_string()
    }
}
