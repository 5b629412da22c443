//! What the UI sends, read in one place: ids, numbers, amounts of credits and days. Each reader
//! names the field at fault, so the form can point at it; and [`iso`], the one way a day is
//! written back.

use std::str::FromStr;

use chrono::NaiveDate;
use program::Credits;
use rust_decimal::Decimal;

use crate::error::{DeskError, Result};

fn invalid(field: &'static str, reason: String) -> DeskError {
    DeskError::InvalidInput { field, reason }
}

/// An id of `what` (`"a partner"`, `"an action item"`, …): a UUID, surrounding spaces ignored.
pub fn id<T: FromStr>(field: &'static str, what: &str, text: &str) -> Result<T> {
    text.trim()
        .parse()
        .map_err(|_| invalid(field, format!("{text:?} is not {what} id")))
}

/// A plain decimal number (`"1250.5"`), surrounding spaces ignored.
pub fn decimal(field: &'static str, text: &str) -> Result<Decimal> {
    text.trim()
        .parse()
        .map_err(|_| invalid(field, format!("{text:?} is not a number")))
}

/// An amount of credits: a number counted to the hundredth, of any sign (the caller says which
/// amounts its rule takes).
pub fn credits(field: &'static str, text: &str) -> Result<Credits> {
    Credits::new(decimal(field, text)?)
        .map_err(|_| invalid(field, "credits are counted to the hundredth".into()))
}

/// A day, as ISO 8601 (`2026-12-05`).
pub fn date(field: &'static str, text: &str) -> Result<NaiveDate> {
    text.trim()
        .parse()
        .map_err(|_| invalid(field, format!("{text:?} is not a date (YYYY-MM-DD)")))
}

/// A day as the UI, the cache and the files write it: ISO 8601 (`2026-12-05`).
pub fn iso(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use program::contract::PartnerId;

    #[test]
    fn each_reader_names_the_field_at_fault() {
        let err = |e: DeskError| e.to_string();
        assert_eq!(
            id::<PartnerId>(
                "partner_id",
                "a partner",
                " 0190b7a4-5c3e-7d2a-9f4b-1a2b3c4d5e6f "
            )
            .unwrap()
            .to_string(),
            "0190b7a4-5c3e-7d2a-9f4b-1a2b3c4d5e6f"
        );
        assert_eq!(
            err(id::<PartnerId>("partner_id", "a partner", "p-1").unwrap_err()),
            "partner_id: \"p-1\" is not a partner id"
        );
        assert_eq!(decimal("value", " 12.50 ").unwrap(), Decimal::new(1250, 2));
        assert_eq!(
            err(decimal("value", "12,5").unwrap_err()),
            "value: \"12,5\" is not a number"
        );
        assert_eq!(credits("credits", "-3.25").unwrap().minor(), Ok(-325));
        assert_eq!(
            err(credits("credits", "1.005").unwrap_err()),
            "credits: credits are counted to the hundredth"
        );
        let day = date("due_on", "2026-12-05").unwrap();
        assert_eq!(iso(day), "2026-12-05");
        assert_eq!(
            err(date("due_on", "05/12/2026").unwrap_err()),
            "due_on: \"05/12/2026\" is not a date (YYYY-MM-DD)"
        );
    }
}
