//! Buying Activation Credits: the tier discount applies to the fiat paid.
//!
//! fiat paid = credits × (1 − rate) × FX, rounded once, at the end, to the currency's minor unit,
//! half away from zero (see `money::ROUNDING`). The inverse answers "how many credits does this
//! amount buy": the most credits, to the hundredth, whose price does not exceed the amount.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::money::{Credits, Currency, Money, MoneyError};
use crate::tiers::DiscountRate;

/// The most credits one purchase may buy: more is a typo, not an order. The laptop refuses it
/// before queueing, the platform when it arrives.
pub const MAX_PURCHASE: i64 = 1_000_000;

/// Units of `currency` per 1 USD, as of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FxRate {
    pub currency: Currency,
    #[ts(type = "string")]
    pub per_usd: Decimal,
    #[ts(type = "string")]
    pub as_of: NaiveDate,
}

impl FxRate {
    /// The identity rate for paying in USD.
    pub fn usd(as_of: NaiveDate) -> FxRate {
        FxRate {
            currency: Currency::USD,
            per_usd: Decimal::ONE,
            as_of,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurchaseError {
    #[error("credits to buy must not be negative (got {0})")]
    NegativeCredits(Decimal),
    #[error("amount to spend must not be negative (got {0})")]
    NegativeAmount(Decimal),
    #[error("the FX rate is for {fx} but the amount is in {amount}")]
    WrongFxCurrency { fx: Currency, amount: Currency },
    #[error("the FX rate must be positive (got {0})")]
    BadFxRate(Decimal),
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// What a purchase was priced at where the user made it, frozen like a quote's price: the
/// platform takes the purchase at exactly this price, or refuses it with the reason (see
/// [`check_purchase_price`]); it never charges another amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PurchasePrice {
    /// The partner's discount rate the user saw, as a fraction.
    #[ts(type = "string")]
    pub rate: Decimal,
    /// The exchange rate the user saw.
    pub fx: FxRate,
    /// The fiat the user agreed to pay.
    pub fiat: Money,
}

/// Why the platform does not take a purchase at the price it carries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PurchasePriceError {
    #[error("the partner's discount rate changed since this purchase was priced (it was {was}, it is {now}); buy again at the new price")]
    RateChanged { was: Decimal, now: Decimal },
    #[error("the {currency} exchange rate of {as_of} this purchase was priced at is more than {days} days old; buy again at a current rate")]
    FxTooOld {
        currency: Currency,
        as_of: NaiveDate,
        days: u32,
    },
    #[error("the {currency} exchange rate of {as_of} this purchase was priced at is not one the platform published")]
    FxNotPublished {
        currency: Currency,
        as_of: NaiveDate,
    },
    #[error("the exchange rate is in {fx} but the partner pays in {partner}")]
    WrongCurrency { fx: Currency, partner: Currency },
    #[error(
        "the price carried ({carried}) is not what {credits} credits cost at that rate ({priced})"
    )]
    PriceMismatch {
        carried: Money,
        priced: Money,
        credits: Credits,
    },
    #[error(transparent)]
    Purchase(#[from] PurchaseError),
}

/// Whether the platform still takes a price made at `rate` on `today`: a rate it published is
/// good for `days` (a quote's validity, 30 in the reference policy) from its own date, so a quote
/// or a purchase priced offline at the last synced rate lands as long as that rate is recent. A
/// USD price needs no exchange rate and never ages.
pub fn fx_rate_usable(rate: &FxRate, days: u32, today: NaiveDate) -> bool {
    rate.currency == Currency::USD
        || rate
            .as_of
            .checked_add_days(chrono::Days::new(u64::from(days)))
            .unwrap_or(rate.as_of)
            >= today
}

/// How the platform knows the exchange rate a purchase carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FxStanding {
    /// Its rate of today for the currency.
    Current,
    /// A rate it published before.
    Published,
    /// Not a rate it ever published.
    Unknown,
}

/// The rule for a purchase priced on a laptop: its rate is the partner's rate now, its exchange
/// rate the platform's current one, or one it published within the FX validity window (`days`
/// from its own date, the window quotes have; see [`fx_rate_usable`]), in the
/// partner's currency, and its fiat exactly what `credits` cost at those rates. Returns the fiat
/// to charge.
pub fn check_purchase_price(
    credits: Credits,
    price: &PurchasePrice,
    rate_now: DiscountRate,
    partner_currency: Currency,
    fx: FxStanding,
    days: u32,
    today: NaiveDate,
) -> Result<Money, PurchasePriceError> {
    if price.rate != rate_now.fraction() {
        return Err(PurchasePriceError::RateChanged {
            was: price.rate,
            now: rate_now.fraction(),
        });
    }
    if price.fx.currency != partner_currency {
        return Err(PurchasePriceError::WrongCurrency {
            fx: price.fx.currency,
            partner: partner_currency,
        });
    }
    let usd = price.fx.currency == Currency::USD;
    if fx == FxStanding::Unknown && !usd {
        return Err(PurchasePriceError::FxNotPublished {
            currency: price.fx.currency,
            as_of: price.fx.as_of,
        });
    }
    if fx != FxStanding::Current && !fx_rate_usable(&price.fx, days, today) {
        return Err(PurchasePriceError::FxTooOld {
            currency: price.fx.currency,
            as_of: price.fx.as_of,
            days,
        });
    }
    let priced = fiat_for_credits(credits, rate_now, &price.fx)?;
    if priced != price.fiat {
        return Err(PurchasePriceError::PriceMismatch {
            carried: price.fiat,
            priced,
            credits,
        });
    }
    Ok(priced)
}

/// The balance a partner can count on before the platform has confirmed its latest purchases:
/// the ledger's balance as of the last sync plus every purchase made and not refused that the
/// ledger does not hold yet. Credits are exact to the hundredth: nothing is rounded.
pub fn provisional_balance(synced: Credits, pending: impl IntoIterator<Item = Credits>) -> Credits {
    synced + pending.into_iter().sum::<Credits>()
}

/// The fiat a partner pays for `credits` at its discount `rate`, in the FX rate's currency.
pub fn fiat_for_credits(
    credits: Credits,
    rate: DiscountRate,
    fx: &FxRate,
) -> Result<Money, PurchaseError> {
    if credits.is_negative() {
        return Err(PurchaseError::NegativeCredits(credits.amount()));
    }
    if fx.per_usd <= Decimal::ZERO {
        return Err(PurchaseError::BadFxRate(fx.per_usd));
    }
    let exact = credits
        .amount()
        .checked_mul(rate.pay_factor())
        .and_then(|v| v.checked_mul(fx.per_usd))
        .ok_or_else(|| MoneyError::OutOfRange(credits.to_string()))?;
    Ok(Money::rounded(exact, fx.currency))
}

/// The most credits (to the hundredth) that `amount` buys at `rate`: their price is at most
/// `amount`, and one hundredth more would cost more than `amount`.
pub fn credits_for_fiat(
    amount: Money,
    rate: DiscountRate,
    fx: &FxRate,
) -> Result<Credits, PurchaseError> {
    if amount.currency != fx.currency {
        return Err(PurchaseError::WrongFxCurrency {
            fx: fx.currency,
            amount: amount.currency,
        });
    }
    if amount.amount.is_sign_negative() && !amount.amount.is_zero() {
        return Err(PurchaseError::NegativeAmount(amount.amount));
    }
    if fx.per_usd <= Decimal::ZERO {
        return Err(PurchaseError::BadFxRate(fx.per_usd));
    }
    // The price is rounded to half a minor unit at most, so the answer lies between the floors of
    // (amount − half) / unit price and (amount + half) / unit price: search that range exactly
    // against the price function itself.
    let unit_price = rate.pay_factor() * fx.per_usd;
    let half = Decimal::new(5, fx.currency.minor_units() + 1);
    let out_of_range = || MoneyError::OutOfRange(amount.to_string());
    let to_minor_floor = |v: Decimal| -> Result<i64, PurchaseError> {
        let c = v
            .checked_div(unit_price)
            .ok_or_else(out_of_range)?
            .max(Decimal::ZERO)
            .round_dp_with_strategy(Credits::DECIMALS, rust_decimal::RoundingStrategy::ToZero);
        Ok(Credits::new(c)?.minor()?)
    };
    let costs_at_most = |minor: i64| -> Result<bool, PurchaseError> {
        Ok(fiat_for_credits(Credits::from_minor(minor), rate, fx)?.amount <= amount.amount)
    };
    let (mut lo, mut hi) = (
        to_minor_floor(amount.amount.checked_sub(half).ok_or_else(out_of_range)?)?,
        to_minor_floor(amount.amount.checked_add(half).ok_or_else(out_of_range)?)?
            .checked_add(1)
            .ok_or_else(out_of_range)?,
    );
    // Invariant: price(lo) <= amount < price(hi).
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if costs_at_most(mid)? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(Credits::from_minor(lo))
}

#[cfg(test)]
mod tests {

    #[test]
    fn provisional_balance_is_the_synced_balance_plus_the_purchases_not_yet_in_it() {
        let synced = Credits::new(Decimal::new(-1_250, 2)).unwrap();
        let pending = [
            Credits::whole(100),
            Credits::new(Decimal::new(5_05, 2)).unwrap(),
        ];
        assert_eq!(
            provisional_balance(synced, pending).amount(),
            Decimal::new(92_55, 2)
        );
        assert_eq!(provisional_balance(synced, []), synced);
    }
    use super::*;
    use crate::tiers::Tier;
    use rust_decimal_macros::dec;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
    }

    #[test]
    fn tier_discount_applies_to_the_fiat_paid() {
        let rate = DiscountRate::new(Tier::Regional, dec!(0.32)).unwrap();
        let paid = fiat_for_credits(Credits::whole(10_000), rate, &FxRate::usd(day())).unwrap();
        assert_eq!(paid, Money::new(dec!(6800.00), Currency::USD).unwrap());
    }

    #[test]
    fn purchase_in_another_currency_rounds_once_to_its_minor_unit() {
        let rate = DiscountRate::new(Tier::Authorized, dec!(0.125)).unwrap();
        let fx = FxRate {
            currency: Currency::CLP,
            per_usd: dec!(941.37),
            as_of: day(),
        };
        // 333.33 × 0.875 × 941.37 = 274 563.504... → 274 564 CLP (no minor unit)
        let paid = fiat_for_credits(Credits::new(dec!(333.33)).unwrap(), rate, &fx).unwrap();
        assert_eq!(paid.amount, dec!(274564));
    }

    #[test]
    fn credits_for_fiat_buys_the_most_credits_the_amount_covers() {
        let rate = DiscountRate::new(Tier::Specialist, dec!(0.20)).unwrap();
        let fx = FxRate::usd(day());
        let credits =
            credits_for_fiat(Money::new(dec!(100), Currency::USD).unwrap(), rate, &fx).unwrap();
        assert_eq!(credits, Credits::whole(125));
    }

    #[test]
    fn credits_for_fiat_refuses_a_mismatched_fx_rate() {
        let rate = DiscountRate::new(Tier::Specialist, dec!(0.20)).unwrap();
        let err = credits_for_fiat(
            Money::new(dec!(100), Currency::EUR).unwrap(),
            rate,
            &FxRate::usd(day()),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the FX rate is for USD but the amount is in EUR"
        );
    }

    #[test]
    fn purchase_priced_offline_is_taken_at_its_price_or_refused_with_the_reason() {
        let rate = DiscountRate::new(Tier::Specialist, dec!(0.20)).unwrap();
        let fx = FxRate {
            currency: Currency::MXN,
            per_usd: dec!(17.2345),
            as_of: day(),
        };
        let credits = Credits::whole(1_000);
        let seen = PurchasePrice {
            rate: dec!(0.20),
            fx,
            fiat: fiat_for_credits(credits, rate, &fx).unwrap(),
        };
        let today = day() + chrono::Days::new(10);
        let check = |price: &PurchasePrice, rate_now, published: bool, today| {
            let fx = if published {
                FxStanding::Published
            } else {
                FxStanding::Unknown
            };
            check_purchase_price(credits, price, rate_now, Currency::MXN, fx, 30, today)
        };
        // Days later, at the rate the user saw: charged exactly what they saw.
        assert_eq!(check(&seen, rate, true, today), Ok(seen.fiat));
        // The partner's rate changed meanwhile: refused, never charged at the new rate.
        let moved = DiscountRate::new(Tier::Specialist, dec!(0.25)).unwrap();
        assert!(matches!(
            check(&seen, moved, true, today),
            Err(PurchasePriceError::RateChanged { .. })
        ));
        // The FX rate is older than the window, or not one the platform published.
        let late = day() + chrono::Days::new(31);
        assert!(matches!(
            check(&seen, rate, true, late),
            Err(PurchasePriceError::FxTooOld { days: 30, .. })
        ));
        // The platform's rate of today is always taken, however old its date.
        assert_eq!(
            check_purchase_price(
                credits,
                &seen,
                rate,
                Currency::MXN,
                FxStanding::Current,
                30,
                late
            ),
            Ok(seen.fiat)
        );
        assert!(matches!(
            check(&seen, rate, false, today),
            Err(PurchasePriceError::FxNotPublished { .. })
        ));
        // A price that is not what the credits cost at those rates (tampered, or a rounding of
        // its own).
        let mut cheap = seen;
        cheap.fiat = Money::new(dec!(10.00), Currency::MXN).unwrap();
        assert!(matches!(
            check(&cheap, rate, true, today),
            Err(PurchasePriceError::PriceMismatch { .. })
        ));
        // In another currency than the partner pays in.
        let mut usd = seen;
        usd.fx = FxRate::usd(day());
        assert!(matches!(
            check(&usd, rate, true, today),
            Err(PurchasePriceError::WrongCurrency { .. })
        ));
    }
}
