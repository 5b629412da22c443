//! Property tests of the credit purchase math, both ways.

use chrono::NaiveDate;
use program::credits::{credits_for_fiat, fiat_for_credits, FxRate};
use program::{Credits, Currency, DiscountRate, Money, Tier};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn tier() -> impl Strategy<Value = Tier> {
    prop::sample::select(Tier::ALL.to_vec())
}

/// A rate inside the tier's band, in steps of 0.1 %.
fn rate() -> impl Strategy<Value = DiscountRate> {
    (tier(), 0u32..=50).prop_map(|(t, step)| {
        let band = t.band();
        DiscountRate::new(t, band.min + Decimal::new(step as i64, 3)).unwrap()
    })
}

fn fx() -> impl Strategy<Value = FxRate> {
    (
        prop::sample::select(Currency::ALL.to_vec()),
        5_000i64..=50_000_000,
    )
        .prop_map(|(currency, per_usd_ten_thousandths)| FxRate {
            currency,
            per_usd: if currency == Currency::USD {
                Decimal::ONE
            } else {
                Decimal::new(per_usd_ten_thousandths, 4)
            },
            as_of: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        })
}

fn credits() -> impl Strategy<Value = Credits> {
    (0i64..=100_000_000).prop_map(Credits::from_minor)
}

proptest! {
    #[test]
    fn fiat_paid_is_the_discounted_price_rounded_to_the_minor_unit(c in credits(), r in rate(), fx in fx()) {
        let paid = fiat_for_credits(c, r, &fx).unwrap();
        let exact = c.amount() * (Decimal::ONE - r.fraction()) * fx.per_usd;
        let half_unit = Decimal::new(5, fx.currency.minor_units() + 1);
        prop_assert!(paid.amount.normalize().scale() <= fx.currency.minor_units());
        prop_assert!((paid.amount - exact).abs() <= half_unit);
        prop_assert_eq!(paid.currency, fx.currency);
    }

    #[test]
    fn fiat_paid_never_decreases_with_more_credits(a in credits(), b in credits(), r in rate(), fx in fx()) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(fiat_for_credits(lo, r, &fx).unwrap().amount <= fiat_for_credits(hi, r, &fx).unwrap().amount);
    }

    #[test]
    fn credits_for_fiat_is_the_largest_purchase_the_amount_covers(minor in 0i64..=10_000_000_000, r in rate(), fx in fx()) {
        let amount = Money::from_minor(minor, fx.currency);
        let c = credits_for_fiat(amount, r, &fx).unwrap();
        prop_assert!(fiat_for_credits(c, r, &fx).unwrap().amount <= amount.amount);
        let one_more = c + Credits::from_minor(1);
        prop_assert!(fiat_for_credits(one_more, r, &fx).unwrap().amount > amount.amount);
    }

    #[test]
    fn paying_the_price_of_some_credits_buys_at_least_those_credits(c in credits(), r in rate(), fx in fx()) {
        let paid = fiat_for_credits(c, r, &fx).unwrap();
        prop_assert!(credits_for_fiat(paid, r, &fx).unwrap() >= c);
    }
}
