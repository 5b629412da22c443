//! Whole numbers as JSON Schema counts them: `1.0` and `1e3` are integers there, and the OpenAPI
//! document is the contract, so a client that writes a version or a quantity as `2.0` is not
//! refused. serde's own integers take only `2`. A fraction, a negative number or one past the
//! field's range is still refused, with serde's message.
//!
//! Use with `#[serde(deserialize_with = "crate::integral::whole")]`, or `integral::optional`
//! beside `#[serde(default)]` on an `Option`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, Visitor};

/// The largest whole number an `f64` holds exactly (2^53).
const EXACT: f64 = 9_007_199_254_740_992.0;

/// A whole number of type `T`, from a JSON integer or an integral JSON number.
struct Whole<T>(T);

impl<'de, T: TryFrom<u64>> Deserialize<'de> for Whole<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Of<T>(PhantomData<T>);

        impl<T: TryFrom<u64>> Of<T> {
            fn fit<E: de::Error>(v: u64, unexp: de::Unexpected<'_>) -> Result<Whole<T>, E> {
                T::try_from(v)
                    .map(Whole)
                    .map_err(|_| E::invalid_value(unexp, &Of::<T>(PhantomData)))
            }
        }

        impl<T: TryFrom<u64>> Visitor<'_> for Of<T> {
            type Value = Whole<T>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a whole number ({})", std::any::type_name::<T>())
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Whole<T>, E> {
                Self::fit(v, de::Unexpected::Unsigned(v))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Whole<T>, E> {
                let unexp = de::Unexpected::Signed(v);
                let v = u64::try_from(v).map_err(|_| E::invalid_value(unexp, &self))?;
                Self::fit(v, unexp)
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Whole<T>, E> {
                let unexp = de::Unexpected::Float(v);
                if v.fract() != 0.0 || !(0.0..=EXACT).contains(&v) {
                    return Err(E::invalid_value(unexp, &self));
                }
                // Whole and within 2^53: the cast is exact.
                Self::fit(v as u64, unexp)
            }
        }

        d.deserialize_any(Of(PhantomData))
    }
}

/// A whole number field.
pub fn whole<'de, D: Deserializer<'de>, T: TryFrom<u64>>(d: D) -> Result<T, D::Error> {
    Whole::deserialize(d).map(|w| w.0)
}

/// An optional whole number field (`null` or absent is `None`; pair with `#[serde(default)]`).
pub fn optional<'de, D: Deserializer<'de>, T: TryFrom<u64>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<Whole<T>>::deserialize(d).map(|w| w.map(|w| w.0))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Line {
        #[serde(deserialize_with = "super::whole")]
        quantity: u32,
        #[serde(default, deserialize_with = "super::optional")]
        months: Option<u32>,
    }

    fn line(json: &str) -> Result<Line, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn integral_numbers_are_whole_numbers_as_json_schema_says() {
        for json in [
            r#"{"quantity": 3, "months": 12}"#,
            r#"{"quantity": 3.0, "months": 12.0}"#,
            r#"{"quantity": 3e0, "months": 1.2e1}"#,
        ] {
            let want = Line {
                quantity: 3,
                months: Some(12),
            };
            assert_eq!(line(json), Ok(want), "{json}");
        }
        let bare = Line {
            quantity: 1,
            months: None,
        };
        assert_eq!(line(r#"{"quantity": 1}"#), Ok(bare));
        assert_eq!(
            line(r#"{"quantity": 1, "months": null}"#).map(|l| l.months),
            Ok(None)
        );
    }

    #[test]
    fn fractions_negatives_and_numbers_past_the_range_are_refused() {
        for json in [
            r#"{"quantity": 1.5}"#,
            r#"{"quantity": -1}"#,
            r#"{"quantity": -1.0}"#,
            r#"{"quantity": 4294967296}"#,
            r#"{"quantity": 4294967296.0}"#,
            r#"{"quantity": 1e300}"#,
            r#"{"quantity": "1"}"#,
            r#"{"quantity": 1, "months": 0.5}"#,
        ] {
            let err = line(json).expect_err(json);
            assert!(
                err.contains("whole number") || err.contains("invalid type"),
                "{json}: {err}"
            );
        }
    }

    #[test]
    fn a_changes_base_version_may_be_written_as_an_integral_number() {
        let m: crate::contract::Mutation = serde_json::from_value(serde_json::json!({
            "id": "0190d5a0-0000-7000-8000-000000000001",
            "base_version": 7.0,
            "kind": "purchase_credits",
            "input": {
                "partner_id": "0190d5a0-0000-7000-8000-000000000002",
                "credits": "100",
                "price": null
            }
        }))
        .unwrap();
        assert_eq!(m.base_version, Some(7));
    }
}
