//! Money and Activation Credits as exact decimals.
//!
//! One rounding rule everywhere: amounts are rounded to the currency's minor unit, half away from
//! zero (0.005 USD → 0.01 USD), the rule customers expect on an invoice. Credits are counted to the
//! hundredth (1 credit = 1 USD of deployment value, so a hundredth of a credit is a cent of value).

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Neg, Sub};

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The rounding used for every money and credit amount.
pub const ROUNDING: RoundingStrategy = RoundingStrategy::MidpointAwayFromZero;

/// Currencies partners and customers pay in (ISO 4217).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Currency {
    USD,
    CAD,
    EUR,
    MXN,
    BRL,
    COP,
    CLP,
    ARS,
    PEN,
}

impl Currency {
    pub const ALL: [Currency; 9] = [
        Currency::USD,
        Currency::CAD,
        Currency::EUR,
        Currency::MXN,
        Currency::BRL,
        Currency::COP,
        Currency::CLP,
        Currency::ARS,
        Currency::PEN,
    ];

    /// Digits after the decimal point of the currency's minor unit (ISO 4217).
    pub fn minor_units(self) -> u32 {
        match self {
            Currency::CLP => 0,
            _ => 2,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Currency::USD => "USD",
            Currency::CAD => "CAD",
            Currency::EUR => "EUR",
            Currency::MXN => "MXN",
            Currency::BRL => "BRL",
            Currency::COP => "COP",
            Currency::CLP => "CLP",
            Currency::ARS => "ARS",
            Currency::PEN => "PEN",
        }
    }

    pub fn parse(code: &str) -> Option<Currency> {
        Currency::ALL.into_iter().find(|c| c.code() == code)
    }

    /// Rounds `amount` to this currency's minor unit with the program's rule.
    pub fn round(self, amount: Decimal) -> Decimal {
        amount.round_dp_with_strategy(self.minor_units(), ROUNDING)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("{amount} has more decimals than {currency} allows ({digits})")]
    TooPrecise {
        amount: Decimal,
        currency: Currency,
        digits: u32,
    },
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("{0} is out of range")]
    OutOfRange(String),
}

/// An amount of a fiat currency, always at the currency's minor unit. Bounded like
/// [`Credits`]: an amount whose minor units a signed 64-bit integer cannot hold is refused as it
/// is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Money {
    #[ts(type = "string")]
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    /// An exact amount; refuses amounts finer than the currency's minor unit.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Money, MoneyError> {
        if amount.normalize().scale() > currency.minor_units() {
            return Err(MoneyError::TooPrecise {
                amount,
                currency,
                digits: currency.minor_units(),
            });
        }
        Ok(Money { amount, currency })
    }

    /// Rounds `amount` to the currency's minor unit with the program's rule.
    pub fn rounded(amount: Decimal, currency: Currency) -> Money {
        Money {
            amount: currency.round(amount),
            currency,
        }
    }

    /// The amount in minor units (cents), as stored; an amount past what 64 bits of minor units
    /// hold is refused.
    pub fn minor(&self) -> Result<i64, MoneyError> {
        to_minor(self.amount, self.currency.minor_units())
            .ok_or_else(|| MoneyError::OutOfRange(self.to_string()))
    }

    pub fn from_minor(minor: i64, currency: Currency) -> Money {
        Money {
            amount: Decimal::new(minor, currency.minor_units()),
            currency,
        }
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or_else(|| MoneyError::OutOfRange(format!("{} + {}", self, other)))?;
        Ok(Money {
            amount,
            currency: self.currency,
        })
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        #[derive(Deserialize)]
        struct Fields {
            amount: Decimal,
            currency: Currency,
        }
        let Fields { amount, currency } = Fields::deserialize(deserializer)?;
        let money = Money { amount, currency };
        money.minor().map_err(serde::de::Error::custom)?;
        Ok(money)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// `amount` in units of 10^-`digits`, if a signed 64-bit integer holds it.
fn to_minor(amount: Decimal, digits: u32) -> Option<i64> {
    amount
        .round_dp_with_strategy(digits, ROUNDING)
        .checked_mul(Decimal::from(10i64.checked_pow(digits)?))
        .and_then(|scaled| i64::try_from(scaled).ok())
}

/// Activation Credits: pre-purchased deployment units, 1 credit = 1 USD of deployment value.
/// Not currency, not redeemable. Counted to the hundredth; negative values are debits.
///
/// Bounded: every amount that enters (a request, a page of the feed, a value typed) is at most
/// [`Credits::MAX`] either way, or it is refused with [`MoneyError`]; so is a sum that would be
/// kept past it ([`Credits::minor`]). Adding never panics: the sum of bounded amounts cannot
/// reach the decimal type's own limit before a trillion terms, and saturates there if it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, TS)]
#[serde(transparent)]
#[ts(type = "string")]
pub struct Credits(Decimal);

/// A decimal string to the hundredth, within [`Credits::MAX`] either way.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Credits {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Credits".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^-?[0-9]{1,17}(\\.[0-9]{1,2}0*)?$",
            "description": format!(
                "Activation Credits as a decimal string, to the hundredth, at most {} either way \
                 (a value past it is refused).",
                Credits::MAX.0
            ),
            "examples": ["1250.50", "-20"]
        })
    }
}

impl Credits {
    pub const ZERO: Credits = Credits(Decimal::ZERO);
    /// Credits are counted to this many decimals.
    pub const DECIMALS: u32 = 2;
    /// The most credits any amount, balance or sum may be, either way: as many hundredths as a
    /// signed 64-bit integer holds (the caches keep hundredths), about 92 quadrillion credits.
    pub const MAX: Credits = Credits(Decimal::from_parts(u32::MAX, i32::MAX as u32, 0, false, 2));

    /// Credits from an exact amount; refuses amounts finer than a hundredth or past
    /// [`Credits::MAX`].
    pub fn new(amount: Decimal) -> Result<Credits, MoneyError> {
        if amount.normalize().scale() > Self::DECIMALS {
            return Err(MoneyError::TooPrecise {
                amount,
                currency: Currency::USD,
                digits: Self::DECIMALS,
            });
        }
        if amount.abs() > Self::MAX.0 {
            return Err(MoneyError::OutOfRange(format!(
                "{amount} credits (at most {} either way)",
                Self::MAX.0
            )));
        }
        Ok(Credits(amount))
    }

    /// The sum, refused past [`Credits::MAX`].
    pub fn checked_add(self, rhs: Credits) -> Result<Credits, MoneyError> {
        Credits::new(self.0.saturating_add(rhs.0))
    }

    /// The sum of `items`, refused past [`Credits::MAX`] (the running sum may pass it on the
    /// way, as long as the total does not).
    pub fn checked_sum(items: impl IntoIterator<Item = Credits>) -> Result<Credits, MoneyError> {
        Credits::new(
            items
                .into_iter()
                .map(|c| c.0)
                .fold(Decimal::ZERO, Decimal::saturating_add),
        )
    }

    /// Rounds to the hundredth with the program's rule.
    pub fn rounded(amount: Decimal) -> Credits {
        Credits(amount.round_dp_with_strategy(Self::DECIMALS, ROUNDING))
    }

    pub fn whole(n: i64) -> Credits {
        Credits(Decimal::from(n))
    }

    /// Hundredths of a credit, as stored; a sum past [`Credits::MAX`] is refused.
    pub fn minor(&self) -> Result<i64, MoneyError> {
        to_minor(self.0, Self::DECIMALS).ok_or_else(|| MoneyError::OutOfRange(self.to_string()))
    }

    pub fn from_minor(minor: i64) -> Credits {
        Credits(Decimal::new(minor, Self::DECIMALS))
    }

    pub fn amount(&self) -> Decimal {
        self.0
    }

    /// The deployment value these credits stand for, in USD.
    pub fn deployment_value(&self) -> Money {
        Money::rounded(self.0, Currency::USD)
    }

    pub fn is_negative(&self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }
}

impl fmt::Display for Credits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} credits", self.0)
    }
}

impl<'de> Deserialize<'de> for Credits {
    /// A decimal string or number, refused when finer than a hundredth or past [`Credits::MAX`].
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Credits, D::Error> {
        let amount = <Decimal as Deserialize>::deserialize(deserializer)?;
        Credits::new(amount).map_err(serde::de::Error::custom)
    }
}

// Saturating: a sum of amounts within `Credits::MAX` reaches the decimal's limit only after
// about 10^12 terms; a result past `MAX` is refused wherever it is kept or read (`minor`, `new`).
impl Add for Credits {
    type Output = Credits;
    fn add(self, rhs: Credits) -> Credits {
        Credits(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Credits {
    type Output = Credits;
    fn sub(self, rhs: Credits) -> Credits {
        Credits(self.0.saturating_sub(rhs.0))
    }
}

impl Neg for Credits {
    type Output = Credits;
    fn neg(self) -> Credits {
        Credits(-self.0)
    }
}

impl Sum for Credits {
    fn sum<I: Iterator<Item = Credits>>(iter: I) -> Credits {
        iter.fold(Credits::ZERO, Add::add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn money_rounds_half_away_from_zero_to_the_minor_unit() {
        assert_eq!(
            Money::rounded(dec!(1.005), Currency::USD).amount,
            dec!(1.01)
        );
        assert_eq!(
            Money::rounded(dec!(-1.005), Currency::USD).amount,
            dec!(-1.01)
        );
        assert_eq!(
            Money::rounded(dec!(1.004), Currency::EUR).amount,
            dec!(1.00)
        );
        assert_eq!(
            Money::rounded(dec!(1500.5), Currency::CLP).amount,
            dec!(1501)
        );
    }

    #[test]
    fn money_refuses_amounts_finer_than_the_minor_unit() {
        assert!(Money::new(dec!(1.001), Currency::USD).is_err());
        assert!(Money::new(dec!(10.50), Currency::CLP).is_err());
        assert!(Money::new(dec!(10.00), Currency::CLP).is_ok());
    }

    #[test]
    fn money_of_different_currencies_does_not_add() {
        let a = Money::new(dec!(1), Currency::USD).unwrap();
        let b = Money::new(dec!(1), Currency::EUR).unwrap();
        assert_eq!(
            a.checked_add(b),
            Err(MoneyError::CurrencyMismatch(Currency::USD, Currency::EUR))
        );
    }

    #[test]
    fn one_credit_is_one_usd_of_deployment_value() {
        let value = Credits::whole(250).deployment_value();
        assert_eq!(value, Money::new(dec!(250), Currency::USD).unwrap());
    }

    #[test]
    fn credits_round_trip_through_minor_units() {
        let c = Credits::new(dec!(-1234.56)).unwrap();
        assert_eq!(c.minor(), Ok(-123456));
        assert_eq!(Credits::from_minor(c.minor().unwrap()), c);
        assert!(Credits::new(dec!(0.001)).is_err());
    }

    #[test]
    fn credits_serialize_as_decimal_strings() {
        let json = serde_json::to_string(&Credits::new(dec!(10.50)).unwrap()).unwrap();
        assert_eq!(json, "\"10.50\"");
    }

    #[test]
    fn bounded_values_credits_past_the_bound_are_refused_as_they_are_read() {
        let read = |json: &str| serde_json::from_str::<Credits>(json);
        // Decimal's own largest value, as a hostile or mistyped amount would carry it.
        for past in [
            "\"79228162514264337593543950335\"",
            "\"92233720368547758.08\"",
            "\"-92233720368547758.08\"",
            "\"10.005\"",
        ] {
            let err = read(past).expect_err(past).to_string();
            assert!(
                err.contains("at most") || err.contains("decimals"),
                "{past}: {err}"
            );
        }
        assert_eq!(read("\"92233720368547758.07\"").unwrap(), Credits::MAX);
        assert_eq!(Credits::MAX.minor(), Ok(i64::MAX));
        assert_eq!((-Credits::MAX).minor(), Ok(-i64::MAX));
        assert!(Credits::new(dec!(92233720368547758.08)).is_err());
    }

    #[test]
    fn bounded_values_sums_of_credits_never_panic_and_are_refused_past_the_bound() {
        let many = || std::iter::repeat_n(Credits::MAX, 1_000);
        // Added with `+`, the sum is carried (no panic) and refused where it would be kept.
        let total: Credits = many().sum();
        assert_eq!(total.amount(), Credits::MAX.amount() * dec!(1000));
        assert!(matches!(total.minor(), Err(MoneyError::OutOfRange(_))));
        assert!(Credits::checked_sum(many()).is_err());
        assert!(Credits::MAX.checked_add(Credits::from_minor(1)).is_err());
        assert_eq!(
            Credits::MAX.checked_add(-Credits::MAX.checked_add(Credits::from_minor(-1)).unwrap()),
            Ok(Credits::from_minor(1))
        );
        // The running sum may pass the bound on the way; only the total counts.
        assert_eq!(
            Credits::checked_sum([Credits::MAX, Credits::MAX, -Credits::MAX, -Credits::MAX]),
            Ok(Credits::ZERO)
        );
        // At the decimal type's own limit (some 10^12 terms away) it saturates, never panics.
        let edge = Credits(Decimal::MAX);
        assert_eq!((edge + edge).amount(), Decimal::MAX);
        assert_eq!(((-edge) - edge).amount(), Decimal::MIN);
        assert!((edge + edge).minor().is_err());
    }

    #[test]
    fn bounded_values_money_past_the_bound_is_refused_as_it_is_read() {
        let read = |amount: &str| {
            serde_json::from_str::<Money>(&format!(
                "{{\"amount\": \"{amount}\", \"currency\": \"USD\"}}"
            ))
        };
        assert!(read("79228162514264337593543950335").is_err());
        assert!(read("-92233720368547758.09").is_err());
        let ok = read("92233720368547758.07").unwrap();
        assert_eq!(ok.minor(), Ok(i64::MAX));
        let huge = Money {
            amount: Decimal::MAX,
            currency: Currency::CLP,
        };
        assert!(huge.minor().is_err());
    }
}
