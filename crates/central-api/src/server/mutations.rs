//! `POST /v1/mutations`: the write path, where the server is the authority.
//!
//! Each mutation is decided on its own, in its own transaction, and its id is recorded with its
//! outcome in the same transaction as its effect: an id is applied at most once, however often it
//! arrives, and one rejected mutation never blocks the rest of the batch. A whole response is kept
//! by `Idempotency-Key` (per user), so a repeated request gets the same answer without being
//! processed again. A response with any `retry` outcome is not kept: the client sends the batch
//! again, and those mutations deserve another try.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use program::contract::{
    LedgerEntry, LedgerEntryId, LedgerKind, Mutation, MutationBatch, MutationKind, MutationResult,
    MutationResults, Outcome, PartnerId, ProblemCode, Role,
};
use program::credits::{check_purchase_price, FxStanding, PurchasePrice};
use program::deals::{
    check_registration, merge_edit, Deal, DealChange, DealEdit, DealEvent, DealId, DealInput,
    DealStatus, Prospect, Registrant, Registration, TerritoryClaim,
};
use program::quotes::{
    check_customer, fx_rate_usable, price, valid_until, PricedWith, Quote, QuoteId, QuoteRule,
    QuoteStatus, Request, Seller,
};
use program::{fiat_for_credits, Credits, Currency, DiscountRate, FxRate, Money};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use uuid::Uuid;

use super::auth::Caller;
use super::problem::ApiError;
use super::store::{hex, StoreError, WriteTx};
use super::AppState;

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Mutations per request.
pub const MAX_BATCH: usize = 1_000;
/// The most credits one purchase may buy.
pub const MAX_PURCHASE: i64 = 1_000_000;

pub(crate) async fn post(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let request = hex(&Sha256::digest(&body));
    if let Some((stored_request, response)) =
        state.store.idempotent_response(&caller.user, key).await?
    {
        return replay(&request, &stored_request, response);
    }
    let batch: MutationBatch = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body is not a batch of mutations: {e}")))?;
    if batch.mutations.len() > MAX_BATCH {
        return Err(ApiError::bad_request(format!(
            "a batch holds at most {MAX_BATCH} mutations (got {})",
            batch.mutations.len()
        )));
    }

    let mut results = Vec::with_capacity(batch.mutations.len());
    for mutation in &batch.mutations {
        results.push(MutationResult {
            id: mutation.id,
            outcome: apply(&state, &caller, mutation).await,
        });
    }
    let all_final = results
        .iter()
        .all(|r| !matches!(r.outcome, Outcome::Retry { .. }));
    let response = serde_json::to_string(&MutationResults { results }).expect("results serialize");
    let response = if all_final {
        state
            .store
            .save_idempotent_response(&caller.user, key, &request, &response)
            .await?
            .1
    } else {
        response
    };
    Ok(json(response))
}

fn idempotency_key(headers: &HeaderMap) -> Result<&str, ApiError> {
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .ok_or_else(|| ApiError::bad_request("the Idempotency-Key header is required"))?
        .to_str()
        .map_err(|_| ApiError::bad_request("the Idempotency-Key header must be visible ASCII"))?;
    if key.is_empty() || key.len() > 255 {
        return Err(ApiError::bad_request(
            "the Idempotency-Key header must be 1 to 255 characters",
        ));
    }
    Ok(key)
}

/// The stored answer to a repeated Idempotency-Key, if the request is the same one.
fn replay(request: &str, stored_request: &str, response: String) -> Result<Response, ApiError> {
    if request != stored_request {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ProblemCode::BadRequest,
            "this Idempotency-Key was used for a different batch; a new batch needs a new key",
        ));
    }
    Ok(json(response))
}

fn json(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// Decides one mutation. A failure to decide (the database, not the rules) is a `retry`.
async fn apply(state: &AppState, caller: &Caller, mutation: &Mutation) -> Outcome {
    match decide(state, caller, mutation).await {
        Ok(outcome) => outcome,
        Err(err) => {
            tracing::warn!(mutation = %mutation.id, error = %err, "mutation left for a retry");
            Outcome::Retry {
                reason: "The server could not record this change just now; it will be sent again."
                    .into(),
            }
        }
    }
}

async fn decide(
    state: &AppState,
    caller: &Caller,
    mutation: &Mutation,
) -> Result<Outcome, StoreError> {
    let mut w = state.store.begin_write().await?;
    if let Some(outcome) = w.decided(mutation.id).await? {
        // Seen before: the same answer, and nothing done twice.
        return Ok(outcome);
    }
    let outcome = match &mutation.kind {
        MutationKind::PurchaseCredits {
            partner_id,
            credits,
            price,
        } => {
            let order = Order {
                id: mutation.id,
                partner_id: *partner_id,
                credits: *credits,
                price: price.as_ref(),
            };
            purchase(&mut w, state, caller, order).await?
        }
        MutationKind::RegisterDeal { deal } => register_deal(&mut w, state, caller, deal).await?,
        MutationKind::EditDeal {
            id,
            partner_id,
            edits,
        } => edit_deal(&mut w, state, caller, *id, *partner_id, edits).await?,
        MutationKind::SaveQuote { quote } => save_quote(&mut w, state, caller, quote).await?,
        MutationKind::SetQuoteStatus {
            id,
            partner_id,
            from,
            to,
        } => set_quote_status(&mut w, state, caller, *id, *partner_id, *from, *to).await?,
        MutationKind::SaveActionItem { item } => save_action_item(&mut w, caller, item).await?,
    };
    w.record_decision(mutation.id, &caller.user, &outcome)
        .await?;
    w.commit().await?;
    Ok(outcome)
}

fn rejected(code: ProblemCode, reason: impl Into<String>) -> Outcome {
    Outcome::Rejected {
        code,
        reason: reason.into(),
    }
}

/// A purchase as it arrives: its mutation id, whose, how many credits, and the price the user saw.
struct Order<'a> {
    id: Uuid,
    partner_id: PartnerId,
    credits: Credits,
    price: Option<&'a PurchasePrice>,
}

/// Buys credits at the partner's own rate, in its currency: at the price the user saw when the
/// purchase carries one (taken exactly, or refused with the reason; see
/// [`program::credits::check_purchase_price`]), else at the server's FX rate of today (purchases
/// queued by versions before 0.2). The ledger entry takes the mutation's id, so the client can
/// match its pending intent to the ledger line when the feed brings it.
async fn purchase(
    w: &mut WriteTx,
    state: &AppState,
    caller: &Caller,
    order: Order<'_>,
) -> Result<Outcome, StoreError> {
    let Order {
        id,
        partner_id,
        credits,
        price,
    } = order;
    if caller.role == Role::PartnerSales {
        return Ok(rejected(
            ProblemCode::Forbidden,
            "Partner sales users cannot buy credits; ask your partner admin.",
        ));
    }
    if !caller.may_see(partner_id) {
        return Ok(rejected(
            ProblemCode::Forbidden,
            "You can buy credits only for partners you work with.",
        ));
    }
    // Credits deserialize without their precision check, so it is made here.
    if Credits::new(credits.amount()).is_err() {
        return Ok(rejected(
            ProblemCode::RuleViolation,
            "Credits can have at most two decimals.",
        ));
    }
    if credits <= Credits::ZERO {
        return Ok(rejected(
            ProblemCode::RuleViolation,
            "Enter a number of credits greater than zero.",
        ));
    }
    if credits > Credits::whole(MAX_PURCHASE) {
        return Ok(rejected(
            ProblemCode::RuleViolation,
            "One purchase can buy at most 1,000,000 credits; split it into smaller purchases.",
        ));
    }
    let Some(partner) = w.partner(partner_id).await? else {
        return Ok(rejected(
            ProblemCode::NotFound,
            "This partner no longer exists.",
        ));
    };
    let Ok(rate) = partner.discount() else {
        return Ok(rejected(
            ProblemCode::RuleViolation,
            "This partner's discount rate is outside its tier's band; the platform must correct \
             it before credits can be bought.",
        ));
    };
    if let Some(price) = price {
        let standing = if state.policy.fx_rates.contains(&price.fx) {
            FxStanding::Current
        } else if w.fx_rate_published(&price.fx).await? {
            FxStanding::Published
        } else {
            FxStanding::Unknown
        };
        let days = state.policy.quote_validity_days;
        return match check_purchase_price(
            credits,
            price,
            rate,
            partner.currency,
            standing,
            days,
            state.today(),
        ) {
            Ok(fiat) => record_purchase(w, id, partner_id, credits, fiat, rate).await,
            Err(err) => Ok(rejected(
                ProblemCode::RuleViolation,
                capitalize(&err.to_string()),
            )),
        };
    }
    let Some(fx) = state
        .policy
        .fx_rates
        .iter()
        .find(|r| r.currency == partner.currency)
    else {
        return Ok(rejected(
            ProblemCode::RuleViolation,
            format!(
                "Credits cannot be bought in {} at the moment: there is no exchange rate for it.",
                partner.currency
            ),
        ));
    };
    let fiat = match fiat_for_credits(credits, rate, fx) {
        Ok(fiat) => fiat,
        Err(err) => return Ok(rejected(ProblemCode::RuleViolation, err.to_string())),
    };
    record_purchase(w, id, partner_id, credits, fiat, rate).await
}

/// Writes a priced purchase to the partner's ledger.
async fn record_purchase(
    w: &mut WriteTx,
    id: Uuid,
    partner_id: PartnerId,
    credits: Credits,
    fiat: Money,
    rate: DiscountRate,
) -> Result<Outcome, StoreError> {
    let entry = LedgerEntry {
        id: LedgerEntryId(id),
        partner_id,
        at: Utc::now(),
        kind: LedgerKind::Purchase,
        credits,
        fiat: Some(fiat),
        rate: Some(rate.fraction()),
        deployment_id: None,
        customer_id: None,
        billing: None,
        reason: None,
    };
    match w.append_ledger(&entry).await {
        Ok(_) => Ok(Outcome::Applied),
        Err(StoreError::AppendOnly(_)) => Ok(rejected(
            ProblemCode::BadRequest,
            "This mutation id is already the id of another ledger entry.",
        )),
        Err(StoreError::Invalid { reason, .. }) => Ok(rejected(ProblemCode::RuleViolation, reason)),
        Err(err) => Err(err),
    }
}

/// Records a registration and decides it by the program's rules (see
/// [`program::deals::check_registration`]). A well-formed registration is always recorded, and
/// `applied`: approved, or refused with the rule it breaks, the decision travels on the deal so
/// every device of the partner sees it. Only what cannot be recorded at all is `rejected`.
async fn register_deal(
    w: &mut WriteTx,
    state: &AppState,
    caller: &Caller,
    input: &DealInput,
) -> Result<Outcome, StoreError> {
    if !caller.may_see(input.partner_id) {
        return Ok(rejected(
            ProblemCode::Forbidden,
            "You can register deals only for partners you work with.",
        ));
    }
    if let Some(existing) = w.deal(input.id).await? {
        if existing.partner_id != input.partner_id {
            return Ok(rejected(
                ProblemCode::BadRequest,
                "This deal id belongs to another deal.",
            ));
        }
        // The same registration again (another device replaying it): nothing to do.
        return Ok(Outcome::Applied);
    }
    let Some(partner) = w.partner(input.partner_id).await? else {
        return Ok(rejected(
            ProblemCode::NotFound,
            "This partner no longer exists.",
        ));
    };
    if Credits::new(input.value.amount()).is_err() {
        return Ok(rejected(
            ProblemCode::RuleViolation,
            "A deal's value can have at most two decimals.",
        ));
    }
    let today = state.today();
    let days = state.policy.deal_registration_days;
    let partners = w.partners().await?;
    let name_of = |id: PartnerId| {
        partners
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| "another partner".to_string(), |p| p.name.clone())
    };
    let territories = w.territories().await?;
    let claims: Vec<TerritoryClaim> = territories
        .iter()
        .filter_map(|t| {
            let holder = partners.iter().find(|p| p.id == t.partner_id)?;
            TerritoryClaim::of(t, holder)
        })
        .collect();
    let own: BTreeSet<_> = territories
        .iter()
        .filter(|t| t.partner_id == partner.id)
        .map(|t| t.id)
        .collect();
    let open = w.open_deals().await?;
    let holders: Vec<String> = open.iter().map(|d| name_of(d.partner_id)).collect();
    let earlier: Vec<Registration<'_>> = open
        .iter()
        .zip(&holders)
        .filter(|(d, _)| !d.is_lapsed(days, today))
        .map(|(deal, holder)| Registration { deal, holder })
        .collect();
    let registrant = Registrant {
        id: partner.id,
        tier: partner.tier,
        brands: &partner.brands,
        own_territories: &own,
    };
    let catalog = w.catalog().await?;
    let customers = w
        .customers_matching(
            &Prospect::new(&input.company, input.domain.as_deref()),
            None,
        )
        .await?;
    let now = Utc::now();
    let mut deal = Deal::registered(input.clone(), now, &caller.user);
    let checked = check_registration(input, &registrant, &catalog, &claims, &earlier, &customers);
    let decision = match checked {
        Ok(()) => {
            deal.status = DealStatus::Approved;
            DealChange::Approved
        }
        Err(rule) => {
            deal.status = DealStatus::Refused;
            deal.refusal = Some(rule.clone());
            DealChange::Refused { rule }
        }
    };
    deal.history.push(DealEvent {
        at: now,
        by: "platform".into(),
        what: decision,
    });
    w.put_deal(&deal).await?;
    Ok(Outcome::Applied)
}

/// Changes a deal's fields; contested fields keep the platform's value and the losing edit is
/// kept in the deal's history for its author (see [`program::deals::merge_edit`]).
async fn edit_deal(
    w: &mut WriteTx,
    state: &AppState,
    caller: &Caller,
    id: DealId,
    partner_id: PartnerId,
    edits: &[DealEdit],
) -> Result<Outcome, StoreError> {
    if !caller.may_see(partner_id) {
        return Ok(rejected(
            ProblemCode::Forbidden,
            "You can change deals only for partners you work with.",
        ));
    }
    let Some(mut deal) = w.deal(id).await?.filter(|d| d.partner_id == partner_id) else {
        return Ok(rejected(ProblemCode::NotFound, "This deal does not exist."));
    };
    if deal.is_lapsed(state.policy.deal_registration_days, state.today()) {
        return Ok(rejected(
            ProblemCode::RuleViolation,
            "This deal's registration has expired; register it again.",
        ));
    }
    match merge_edit(&mut deal, edits, Utc::now(), &caller.user) {
        Ok(()) => {
            w.put_deal(&deal).await?;
            Ok(Outcome::Applied)
        }
        Err(err) => Ok(rejected(
            ProblemCode::RuleViolation,
            capitalize(&err.to_string()),
        )),
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().chain(chars).collect::<String>() + "."
    })
}

/// Writes a draft quote or a new revision, after pricing it by the program's rules: the same
/// [`program::quotes::price`] the app runs, with the platform's catalog, the partner's tier and
/// rate as they stand, and the FX rate of the day.
async fn save_quote(
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
    let days = state.policy.quote_validity_days;
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
    if quote.valid_until != valid_until(quote.created_on, days) {
        return Ok(rejected(
            ProblemCode::RuleViolation,
            format!("A quote is valid for {days} days from the day it is made."),
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
        QuoteRule::BadQuantity { line } => format!("Line {line}: the quantity must be 1 or more."),
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
async fn set_quote_status(
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

/// Writes a review's action item, whole: the last save to arrive wins.
async fn save_action_item(
    w: &mut WriteTx,
    caller: &Caller,
    item: &program::qbr::ActionItem,
) -> Result<Outcome, StoreError> {
    if !caller.may_see(item.partner_id) {
        return Ok(rejected(
            ProblemCode::Forbidden,
            "You can keep action items only for partners you work with.",
        ));
    }
    if let Err(rule) = item.check() {
        return Ok(rejected(ProblemCode::RuleViolation, rule.to_string()));
    }
    if let Some(existing) = w.action_item(item.id).await? {
        if existing.partner_id != item.partner_id {
            return Ok(rejected(
                ProblemCode::RuleViolation,
                "This action item belongs to another partner.",
            ));
        }
    }
    let mut item = item.clone();
    item.text = item.text.trim().to_string();
    item.owner = item.owner.trim().to_string();
    w.put_action_item(&item).await?;
    Ok(Outcome::Applied)
}
