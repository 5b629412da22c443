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

/// An amount of a fiat currency, always at the currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
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

    /// The amount in minor units (cents), as stored.
    pub fn minor(&self) -> i64 {
        to_minor(self.amount, self.currency.minor_units())
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

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

fn to_minor(amount: Decimal, digits: u32) -> i64 {
    let scaled = amount.round_dp_with_strategy(digits, ROUNDING) * Decimal::from(10i64.pow(digits));
    i64::try_from(scaled).expect("amount fits in i64 minor units")
}

/// Activation Credits: pre-purchased deployment units, 1 credit = 1 USD of deployment value.
/// Not currency, not redeemable. Counted to the hundredth; negative values are debits.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize, TS,
)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
#[ts(type = "string")]
pub struct Credits(Decimal);

impl Credits {
    pub const ZERO: Credits = Credits(Decimal::ZERO);
    /// Credits are counted to this many decimals.
    pub const DECIMALS: u32 = 2;

    /// Credits from an exact amount; refuses amounts finer than a hundredth.
    pub fn new(amount: Decimal) -> Result<Credits, MoneyError> {
        if amount.normalize().scale() > Self::DECIMALS {
            return Err(MoneyError::TooPrecise {
                amount,
                currency: Currency::USD,
                digits: Self::DECIMALS,
            });
        }
        Ok(Credits(amount))
    }

    /// Rounds to the hundredth with the program's rule.
    pub fn rounded(amount: Decimal) -> Credits {
        Credits(amount.round_dp_with_strategy(Self::DECIMALS, ROUNDING))
    }

    pub fn whole(n: i64) -> Credits {
        Credits(Decimal::from(n))
    }

    /// Hundredths of a credit, as stored.
    pub fn minor(&self) -> i64 {
        to_minor(self.0, Self::DECIMALS)
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

impl Add for Credits {
    type Output = Credits;
    fn add(self, rhs: Credits) -> Credits {
        Credits(self.0 + rhs.0)
    }
}

impl Sub for Credits {
    type Output = Credits;
    fn sub(self, rhs: Credits) -> Credits {
        Credits(self.0 - rhs.0)
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
        assert_eq!(c.minor(), -123456);
        assert_eq!(Credits::from_minor(c.minor()), c);
        assert!(Credits::new(dec!(0.001)).is_err());
    }

    #[test]
    fn credits_serialize_as_decimal_strings() {
        let json = serde_json::to_string(&Credits::new(dec!(10.50)).unwrap()).unwrap();
        assert_eq!(json, "\"10.50\"");
    }
}
