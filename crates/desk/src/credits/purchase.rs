//! Buying Activation Credits: checking and queueing a purchase, and pricing one at the
//! partner's own rate.

use program::contract::MutationKind;
use program::Credits;
use rust_decimal::Decimal;

use crate::error::{DeskError, Result};
use crate::store::Store;
use crate::views::PurchaseQuote;
use crate::{input, outbox, portfolio, workspace};

pub use program::credits::MAX_PURCHASE as MAX_PURCHASE_CREDITS;

/// Queues a purchase of `credits` (a decimal string) for `partner_id`, with the price the user
/// sees now (the partner's rate, the last synced FX rate, the fiat they make), frozen like a
/// quote's: the central API takes it at exactly that price, or refuses it with the reason (see
/// [`program::credits::check_purchase_price`]). An FX rate older than the window the platform
/// takes is refused here, before anything is queued.
pub async fn purchase(store: &Store, partner_id: &str, credits: &str) -> Result<String> {
    let id = portfolio::partner::parse_id(partner_id)?;
    let credits = input::credits("credits", credits)?;
    if credits <= Credits::ZERO || credits > Credits::whole(MAX_PURCHASE_CREDITS) {
        return Err(DeskError::InvalidInput {
            field: "credits",
            reason: format!("must be more than 0 and at most {MAX_PURCHASE_CREDITS}"),
        });
    }
    // The platform refuses it from a partner's sales user: so does the laptop, before queueing.
    if workspace::role(store).await? == Some(program::contract::Role::PartnerSales) {
        return Err(DeskError::InvalidInput {
            field: "credits",
            reason: "partner sales users cannot buy credits; ask your partner admin".into(),
        });
    }
    // The partner must be in the cache (and so in the user's scope).
    let (row, rate, fx) = terms(store, id).await?;
    let days = workspace::quote_validity_days(store).await?;
    let today = chrono::Utc::now().date_naive();
    if !program::credits::fx_rate_usable(&fx, days, today) {
        return Err(DeskError::InvalidInput {
            field: "credits",
            reason: format!(
                "this computer's {} exchange rate dates from {}, more than {days} days ago, and \
                 the platform no longer takes it: sync to get today's rate",
                row.currency, fx.as_of
            ),
        });
    }
    let fiat =
        program::fiat_for_credits(credits, rate, &fx).map_err(|e| DeskError::InvalidInput {
            field: "credits",
            reason: e.to_string(),
        })?;
    let kind = MutationKind::PurchaseCredits {
        partner_id: id,
        credits,
        price: Some(program::credits::PurchasePrice {
            rate: rate.fraction(),
            fx,
            fiat,
        }),
    };
    let mutation = outbox::enqueue(store, "credit_purchase", &id.to_string(), &kind, None).await?;
    Ok(mutation.to_string())
}

/// Prices a purchase at the partner's own rate: `credits` → fiat, or `fiat` → the most
/// credits it buys. Exactly one of the two is given.
pub async fn price(
    store: &Store,
    partner_id: &str,
    credits: Option<&str>,
    fiat: Option<&str>,
) -> Result<PurchaseQuote> {
    let id = portfolio::partner::parse_id(partner_id)?;
    let (row, rate, fx) = terms(store, id).await?;
    let bad = |field: &'static str| {
        move |e: program::credits::PurchaseError| DeskError::InvalidInput {
            field,
            reason: e.to_string(),
        }
    };
    let (credits, money) = match (credits, fiat) {
        (Some(c), None) => {
            let credits = input::credits("credits", c)?;
            let money = program::fiat_for_credits(credits, rate, &fx).map_err(bad("credits"))?;
            (credits, money)
        }
        (None, Some(f)) => {
            let money =
                program::Money::new(input::decimal("fiat", f)?, row.currency).map_err(|e| {
                    DeskError::InvalidInput {
                        field: "fiat",
                        reason: e.to_string(),
                    }
                })?;
            let credits = program::credits_for_fiat(money, rate, &fx).map_err(bad("fiat"))?;
            (
                credits,
                program::fiat_for_credits(credits, rate, &fx).map_err(bad("fiat"))?,
            )
        }
        _ => {
            return Err(DeskError::InvalidInput {
                field: "credits",
                reason: "give either credits or a fiat amount".into(),
            })
        }
    };
    Ok(PurchaseQuote {
        credits: format!("{:.2}", credits.amount()),
        fiat: money.amount.to_string(),
        currency: row.currency,
        rate: row.discount_rate,
        band: row.tier.band(),
        fx_per_usd: fx.per_usd.to_string(),
        fx_as_of: fx.as_of.format("%Y-%m-%d").to_string(),
    })
}

/// What a purchase for `id` is priced with: the partner's row (its currency), its discount rate
/// and the FX rate the central API last sent.
async fn terms(
    store: &Store,
    id: program::contract::PartnerId,
) -> Result<(
    crate::views::PortfolioRow,
    program::DiscountRate,
    program::FxRate,
)> {
    let row = portfolio::row(store, id).await?;
    let rate_value: Decimal = row
        .discount_rate
        .parse()
        .map_err(|_| DeskError::Corrupt(format!("rate {:?}", row.discount_rate)))?;
    let rate =
        program::DiscountRate::new(row.tier, rate_value).map_err(|_| DeskError::InvalidInput {
            field: "credits",
            reason: "this partner's discount rate is outside its tier's band; the platform must \
                     correct it before credits can be bought"
                .into(),
        })?;
    let fx = fx_rate(store, row.currency).await?;
    Ok((row, rate, fx))
}

/// The FX rate for `currency` from the program policy the central API last sent.
async fn fx_rate(store: &Store, currency: program::Currency) -> Result<program::FxRate> {
    workspace::fx_rate(store, currency)
        .await?
        .ok_or_else(|| DeskError::NotFound {
            what: format!("an exchange rate for {currency} (sync once to get them)"),
        })
}
