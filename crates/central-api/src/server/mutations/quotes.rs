//! Quotes: saving a draft or a revision priced by the program's rules, and moving its status.

use chrono::{Days, NaiveDate};

use super::*;

/// Writes a draft quote or a new revision, after pricing it by the program's rules: the same
/// [`program::quotes::price`] the app runs, with the platform's catalog, the partner's tier and
/// rate as they stand, and the FX rate of the day.
pub(super) async fn save_quote(
    w: &mut WriteTx,
    state: &AppState,
    caller: &Caller,
    quote: &Quote,
) -> Result<Outcome, StoreError> {
    if !caller.may_see(quote.partner_id) {
        return Ok(rejected(
            ProblemCode::Forbidden,
            "You can write quotes only for partners you work with.",
        ));
    }
    let Some(partner) = w.partner(quote.partner_id).await? else {
        return Ok(rejected(
            ProblemCode::NotFound,
            "This partner no longer exists.",
        ));
    };
    let days = state.policy.quote_validity_days;
    if quote.valid_until != valid_until(quote.created_on, days) {
        return Ok(rejected(
            ProblemCode::RuleViolation,
            format!("A quote is valid for {days} days from the day it is made."),
        ));
    }
    let quote = &as_the_platform_knows_it(quote, caller, state.today(), days);
    if let Some(existing) = w.quote(quote.id).await? {
        if existing == *quote {
            return Ok(Outcome::Applied);
        }
        if existing.partner_id != quote.partner_id || existing.status != QuoteStatus::Draft {
            return Ok(rejected(
                ProblemCode::RuleViolation,
                "This quote was sent and can no longer change; revise it to make a new version.",
            ));
        }
    }
    if quote.status != QuoteStatus::Draft {
        return Ok(rejected(
            ProblemCode::RuleViolation,
            "A quote is saved as a draft, then sent.",
        ));
    }
    if let Some((field, max)) = program::quotes::text_past_bound(&quote.customer, &quote.created_by)
    {
        return Ok(rejected(
            ProblemCode::BadRequest,
            format!("A quote's {field} has at most {max} characters."),
        ));
    }
    if let Err(e) = program::quotes::check_quote_number(&quote.number) {
        return Ok(rejected(ProblemCode::BadRequest, e.to_string()));
    }
    if w.quote_number_taken(quote.id, &quote.number, quote.revision)
        .await?
    {
        return Ok(rejected(
            ProblemCode::RuleViolation,
            format!(
                "Quote number {} (version {}) is already used by another quote.",
                quote.number, quote.revision
            ),
        ));
    }
    match (quote.revision, quote.supersedes) {
        (1, None) => {}
        (n, Some(previous)) if n > 1 => match w.quote(previous).await? {
            Some(p)
                if p.number == quote.number
                    && p.revision + 1 == n
                    && p.partner_id == quote.partner_id
                    && !matches!(p.status, QuoteStatus::Draft | QuoteStatus::Accepted) => {}
            _ => {
                return Ok(rejected(
                    ProblemCode::RuleViolation,
                    "A revision must follow the sent, declined or expired version it revises, with the same number (an accepted quote is final).",
                ))
            }
        },
        _ => {
            return Ok(rejected(
                ProblemCode::RuleViolation,
                "A first version has revision 1 and revises nothing.",
            ))
        }
    }
    let fx_of = |currency: Currency| {
        if currency == Currency::USD {
            Some(FxRate::usd(quote.fx.as_of))
        } else {
            state
                .policy
                .fx_rates
                .iter()
                .find(|r| r.currency == currency)
                .copied()
        }
    };
    // A quote priced offline carries the rate its laptop had: the platform takes any rate it
    // published, while that rate is within a quote's validity of today.
    let current = fx_of(quote.fx.currency).map(|r| r.per_usd) == Some(quote.fx.per_usd);
    if !current && !fx_rate_usable(&quote.fx, days, state.today()) {
        return Ok(rejected(
            ProblemCode::RuleViolation,
            quote_rule_text(&QuoteRule::FxRateTooOld {
                currency: quote.fx.currency,
                as_of: quote.fx.as_of,
                days,
            }),
        ));
    }
    if !current && !w.fx_rate_published(&quote.fx).await? {
        return Ok(rejected(
            ProblemCode::RuleViolation,
            format!(
                "The {} exchange rate on this quote ({} of {}) is not one the platform published; price it again.",
                quote.fx.currency, quote.fx.per_usd, quote.fx.as_of
            ),
        ));
    }
    let Some(partner_fx) = fx_of(partner.currency) else {
        return Ok(rejected(
            ProblemCode::RuleViolation,
            format!("There is no exchange rate for {}.", partner.currency),
        ));
    };
    let seller = Seller {
        tier: partner.tier,
        rate: partner.discount_rate,
        brands: &partner.brands,
        fx: &partner_fx,
        balance: Credits::ZERO,
    };
    let request = Request {
        country: quote.country,
        brand: quote.brand,
        fx: &quote.fx,
        lines: &quote.lines,
    };
    let catalog = w.catalog().await?;
    if let Err(rule) = price(&seller, &request, &catalog) {
        return Ok(rejected(ProblemCode::RuleViolation, quote_rule_text(&rule)));
    }
    let customers = w
        .customers_matching(&Prospect::new(&quote.customer, None), quote.customer_id)
        .await?;
    if let Err(rule) = check_customer(partner.id, quote.customer_id, &quote.customer, &customers) {
        return Ok(rejected(ProblemCode::RuleViolation, quote_rule_text(&rule)));
    }
    // What the quote was priced with must be what the platform prices it with today: the
    // catalog entries of exactly its lines, and the partner's tier and rate.
    if let Some(with) = &quote.priced_with {
        let today =
            PricedWith::capture(&quote.lines, &catalog, partner.tier, partner.discount_rate);
        if *with != today {
            let changed = with
                .changed_item(&catalog)
                .map(str::to_string)
                .or_else(|| (with.items != today.items).then(|| "an item".to_string()));
            return Ok(rejected(
                ProblemCode::RuleViolation,
                match changed {
                    Some(sku) => format!(
                        "The catalog's price or terms of {sku} changed since this quote was priced; price it again."
                    ),
                    None => "This partner's tier or discount rate changed since this quote was priced; price it again.".to_string(),
                },
            ));
        }
    }
    w.put_quote(quote).await?;
    Ok(Outcome::Applied)
}

/// The reason a refused quote is given, in English (the app words the same rules itself, in the
/// user's language, before a quote is ever sent).
/// How far ahead of the platform's day a laptop's date may be (time zones) before it is taken
/// for a clock set wrong.
const CLOCK_AHEAD_DAYS: u64 = 1;

/// `quote` with what the platform knows better than the laptop that sent it: its author is the
/// token's user, and a day of making later than the platform's (a laptop clock set ahead) is the
/// platform's day, its validity counted from it. A day in the past is the laptop's to say (a
/// quote made offline is synced later); the exchange rate's own age bounds it.
fn as_the_platform_knows_it(quote: &Quote, caller: &Caller, today: NaiveDate, days: u32) -> Quote {
    let mut quote = quote.clone();
    quote.created_by.clone_from(&caller.user);
    let latest = today
        .checked_add_days(Days::new(CLOCK_AHEAD_DAYS))
        .unwrap_or(today);
    if quote.created_on > latest {
        tracing::warn!(
            ahead_days = (quote.created_on - today).num_days(),
            "a quote made on a laptop whose clock is ahead: dated today"
        );
        quote.created_on = today;
        quote.valid_until = valid_until(today, days);
    }
    quote
}

fn quote_rule_text(rule: &QuoteRule) -> String {
    match rule {
        QuoteRule::NoLines => "A quote needs at least one line.".into(),
        QuoteRule::TooManyLines { max } => format!("A quote has at most {max} lines."),
        QuoteRule::BrandRegion { brand, country } => {
            format!("{brand} does not serve {country}.")
        }
        QuoteRule::BrandNotCarried { brand } => format!("This partner does not sell {brand}."),
        QuoteRule::UnknownItem { sku } => format!("{sku} is not in the catalog."),
        QuoteRule::ItemNotInBrand { sku, brand } => format!("{sku} is not offered under {brand}."),
        QuoteRule::EarlyAccessTier { sku, tier } => format!(
            "{sku} is an early-access item, for Specialist partners and above; this partner is {tier}."
        ),
        QuoteRule::RateOutsideBand { tier } => format!(
            "This partner's discount rate is outside the {tier} band; the platform must correct it."
        ),
        QuoteRule::BadQuantity { line, max } => {
            format!("Line {line}: the quantity must be 1 to {max}.")
        }
        QuoteRule::TooLarge { line: 0 } => "The quote's total is too large to count.".into(),
        QuoteRule::TooLarge { line } => format!("Line {line}: the amount is too large to count."),
        QuoteRule::MonthsRequired { line } => {
            format!("Line {line}: a monthly item needs a number of months.")
        }
        QuoteRule::MonthsNotAllowed { line } => {
            format!("Line {line}: a one-off item takes no months.")
        }
        QuoteRule::NoFxRate { currency } => format!("There is no exchange rate for {currency}."),
        QuoteRule::FxRateTooOld {
            currency,
            as_of,
            days,
        } => format!(
            "The {currency} exchange rate of {as_of} is more than {days} days old; price the quote at a current rate."
        ),
        QuoteRule::CountryServedByNone { country } => {
            format!("No brand of the program is sold in {country}.")
        }
        QuoteRule::NotYourCustomer => {
            "This customer is not one this partner serves; quote your own customer or a new prospect.".into()
        }
        QuoteRule::AnotherPartnersCustomer => {
            "This company is already a customer of a partner; a customer changes partner only by a migration its founder starts.".into()
        }
    }
}

/// Moves a quote along draft → sent → accepted / declined / expired.
pub(super) async fn set_quote_status(
    w: &mut WriteTx,
    state: &AppState,
    caller: &Caller,
    id: QuoteId,
    partner_id: PartnerId,
    from: QuoteStatus,
    to: QuoteStatus,
) -> Result<Outcome, StoreError> {
    if !caller.may_see(partner_id) {
        return Ok(rejected(
            ProblemCode::Forbidden,
            "You can change quotes only for partners you work with.",
        ));
    }
    let Some(mut quote) = w.quote(id).await?.filter(|q| q.partner_id == partner_id) else {
        return Ok(rejected(
            ProblemCode::NotFound,
            "This quote does not exist.",
        ));
    };
    if quote.status == to {
        return Ok(Outcome::Applied);
    }
    if quote.status != from || !from.may_move_to(to) {
        return Ok(rejected(
            ProblemCode::RuleViolation,
            format!(
                "This quote is {}; it cannot become {}.",
                quote.status.as_str(),
                to.as_str()
            ),
        ));
    }
    // A customer can be sent, or accept, a quote only while it is valid.
    if matches!(to, QuoteStatus::Sent | QuoteStatus::Accepted) && quote.valid_until < state.today()
    {
        return Ok(rejected(
            ProblemCode::RuleViolation,
            format!(
                "This quote was valid until {}; save the draft again, or revise the quote.",
                quote.valid_until
            ),
        ));
    }
    quote.status = to;
    w.put_quote(&quote).await?;
    Ok(Outcome::Applied)
}
