//! Pricing a quote with [`program::quotes::price`], and the rules a form is checked against.

use chrono::Utc;
use program::quotes::{
    check_customer, price, LineInput, PricedQuote, PricedWith, QuoteRule, Request, Seller,
};
use program::{Brand, Country, FxRate};

use super::{partner, Partner, QuoteCheck, QuoteForm};
use crate::error::{DeskError, Refusal, Result};
use crate::store::Store;
use crate::workspace;

/// Prices `lines` for `partner`: with what a saved quote was priced with (its catalog entries, the
/// partner's tier and rate then), or else as of now; the customer's FX rate (frozen in a saved
/// quote); the partner's provisional balance now.
pub(super) async fn priced(
    store: &Store,
    p: &Partner,
    country: Country,
    brand: Brand,
    fx: &FxRate,
    lines: &[LineInput],
    with: Option<&PricedWith>,
) -> Result<std::result::Result<PricedQuote, QuoteRule>> {
    let rates = workspace::fx_rates(store).await?;
    let Some(partner_fx) = rates.iter().find(|r| r.currency == p.currency) else {
        return Ok(Err(QuoteRule::NoFxRate {
            currency: p.currency,
        }));
    };
    // A saved quote was checked against the partner's brands when it was made.
    let saved_brand = [brand];
    let seller = Seller {
        tier: with.map_or(p.tier, |w| w.tier),
        rate: with.map_or(p.rate, |w| w.rate),
        brands: if with.is_some() {
            &saved_brand
        } else {
            &p.brands
        },
        fx: partner_fx,
        balance: crate::ledger::provisional_balance(store, p.id).await?,
    };
    let request = Request {
        country,
        brand,
        fx,
        lines,
    };
    Ok(match with {
        Some(w) => price(&seller, &request, &w.items),
        None => price(&seller, &request, &workspace::catalog(store).await?),
    })
}

/// What a quote saved now is priced with.
pub(super) async fn priced_now(
    store: &Store,
    p: &Partner,
    lines: &[LineInput],
) -> Result<PricedWith> {
    Ok(PricedWith::capture(
        lines,
        &workspace::catalog(store).await?,
        p.tier,
        p.rate,
    ))
}

/// Reads the form's customer side: country, brand and the currency's FX rate.
pub(super) async fn customer_side(
    store: &Store,
    form: &QuoteForm,
) -> Result<(Country, Brand, FxRate)> {
    let invalid = |field: &'static str, reason: &str| DeskError::InvalidInput {
        field,
        reason: reason.into(),
    };
    let country = Country::parse(form.country.trim()).map_err(|e| match e {
        program::regions::CountryError::ServedByNone(country) => {
            DeskError::Refused(Refusal::Quote(QuoteRule::CountryServedByNone { country }))
        }
        e => invalid("country", &e.to_string()),
    })?;
    let brand = form
        .brand
        .ok_or_else(|| invalid("brand", "choose a brand"))?;
    let currency = form
        .currency
        .ok_or_else(|| invalid("currency", "choose the customer's currency"))?;
    let fx = workspace::fx_rate(store, currency).await?.ok_or_else(|| {
        invalid(
            "currency",
            &format!("there is no exchange rate for {currency} (sync once to get them)"),
        )
    })?;
    Ok((country, brand, fx))
}

/// The platform takes a quote only at a rate of the last `validity` days: a laptop offline for
/// longer must sync before it quotes in another currency.
pub(super) async fn fx_rule(store: &Store, fx: &FxRate) -> Result<Option<QuoteRule>> {
    let days = workspace::quote_validity_days(store).await?;
    Ok(
        (!program::quotes::fx_rate_usable(fx, days, Utc::now().date_naive())).then_some(
            QuoteRule::FxRateTooOld {
                currency: fx.currency,
                as_of: fx.as_of,
                days,
            },
        ),
    )
}

/// Prices a form as the seller builds it.
pub async fn check(store: &Store, form: &QuoteForm) -> Result<QuoteCheck> {
    let p = partner(
        store,
        crate::portfolio::partner::parse_id(&form.partner_id)?,
    )
    .await?;
    let (country, brand, fx) = match customer_side(store, form).await {
        Ok(side) => side,
        // A rule the form breaks before it is priced (a country no brand serves).
        Err(DeskError::Refused(Refusal::Quote(rule))) => {
            return Ok(QuoteCheck {
                priced: None,
                rule: Some(rule),
            })
        }
        Err(e) => return Err(e),
    };
    if let Some(rule) = fx_rule(store, &fx).await? {
        return Ok(QuoteCheck {
            priced: None,
            rule: Some(rule),
        });
    }
    let customer = customer_rule(store, p.id, customer_id(form)?, &form.customer).await?;
    Ok(
        match priced(store, &p, country, brand, &fx, &form.lines, None).await? {
            Ok(q) => match customer {
                Ok(()) => QuoteCheck {
                    priced: Some(q),
                    rule: None,
                },
                Err(rule) => QuoteCheck {
                    priced: None,
                    rule: Some(rule),
                },
            },
            Err(rule) => QuoteCheck {
                priced: None,
                rule: Some(rule),
            },
        },
    )
}

/// The customer a form names by id, if any.
pub(super) fn customer_id(form: &QuoteForm) -> Result<Option<program::contract::CustomerId>> {
    form.customer_id
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(|c| crate::input::id("customer_id", "a customer", c))
        .transpose()
}

/// No poaching, against the customers the cache holds: a quote names the partner's own customer
/// or a new prospect (`program::quotes::check_customer`).
pub(super) async fn customer_rule(
    store: &Store,
    partner: program::contract::PartnerId,
    customer_id: Option<program::contract::CustomerId>,
    customer: &str,
) -> Result<std::result::Result<(), QuoteRule>> {
    let prospect = program::deals::Prospect::new(customer, None);
    let known = crate::customers::known(store, &prospect, customer_id).await?;
    Ok(check_customer(partner, customer_id, customer, &known))
}
