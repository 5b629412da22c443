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
    LedgerEntry, LedgerEntryId, LedgerKind, Mutation, MutationKind, MutationResult,
    MutationResults, Outcome, Partner, PartnerId, ProblemCode, Role,
};
use program::credits::{check_purchase_price, FxStanding, PurchasePrice};
use program::deals::{
    check_registration, merge_edit, Deal, DealChange, DealEdit, DealEvent, DealId, DealInput,
    DealRule, DealStatus, Prospect, Registrant, TerritoryClaim,
};
use program::quotes::{
    check_customer, fx_rate_usable, price, valid_until, PricedWith, Quote, QuoteId, QuoteRule,
    QuoteStatus, Request, Seller,
};
use program::{fiat_for_credits, Credits, Currency, DiscountRate, FxRate, Money, Tier};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

mod credits;
mod quotes;

use credits::{purchase, Order};
use quotes::{save_quote, set_quote_status};

use super::auth::Caller;
use super::problem::ApiError;
use super::store::{hex, StoreError, WriteTx};
use super::AppState;

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Mutations per request.
pub const MAX_BATCH: usize = 1_000;
pub use program::credits::MAX_PURCHASE;

pub(crate) async fn post(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    super::edge::require_json(&headers)?;
    let key = idempotency_key(&headers)?;
    let request = hex(&Sha256::digest(&body));
    if let Some((stored_request, response)) = state
        .store
        .idempotent_response(&caller.principal, key)
        .await?
    {
        return replay(&request, &stored_request, response);
    }
    // Each mutation is read on its own: one the program cannot hold (an amount past its bound,
    // a value finer than a hundredth of a credit) is rejected alone, with the reason, and the
    // others go on. Only a mutation without a readable id spoils the batch.
    let batch: RawBatch = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("the body is not a batch of mutations: {e}")))?;
    if batch.mutations.len() > MAX_BATCH {
        return Err(ApiError::bad_request(format!(
            "a batch holds at most {MAX_BATCH} mutations (got {})",
            batch.mutations.len()
        )));
    }
    let mut read = Vec::with_capacity(batch.mutations.len());
    for raw in batch.mutations {
        let id = raw
            .get("id")
            .and_then(serde_json::Value::as_str)
            .and_then(|id| Uuid::parse_str(id).ok())
            .ok_or_else(|| ApiError::bad_request("every mutation needs an id (a UUID)"))?;
        read.push((id, serde_json::from_value::<Mutation>(raw)));
    }

    let mut results = Vec::with_capacity(read.len());
    for (id, mutation) in &read {
        let outcome = match mutation {
            Ok(mutation) => apply(&state, &caller, mutation).await,
            Err(e) => rejected(
                ProblemCode::RuleViolation,
                format!("the mutation cannot be read: {e}"),
            ),
        };
        results.push(MutationResult { id: *id, outcome });
    }
    let all_final = results
        .iter()
        .all(|r| !matches!(r.outcome, Outcome::Retry { .. }));
    let response = serde_json::to_string(&MutationResults { results }).expect("results serialize");
    let response = if all_final {
        state
            .store
            .save_idempotent_response(&caller.principal, key, &request, &response)
            .await?
            .1
    } else {
        response
    };
    Ok(json(response))
}

/// A batch as read off the wire ([`program::contract::MutationBatch`] in the OpenAPI
/// document): each mutation is read on its own.
#[derive(serde::Deserialize)]
struct RawBatch {
    mutations: Vec<serde_json::Value>,
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
    if let Some((principal, outcome)) = w.decided(mutation.id).await? {
        // Seen before: the same answer, and nothing done twice. Only to whoever sent it: another
        // caller learns nothing of it.
        return Ok(if principal == caller.principal {
            outcome
        } else {
            rejected(
                ProblemCode::BadRequest,
                "This change's id was already used by someone else; send it with a new id.",
            )
        });
    }
    if matches!(
        mutation.kind,
        MutationKind::RegisterDeal { .. } | MutationKind::EditDeal { .. }
    ) {
        if let Err(wait) = state.throttle.charge_registration(&caller.principal) {
            let minutes = wait.as_secs().div_ceil(60).max(1);
            return Ok(Outcome::Retry {
                reason: format!(
                    "Too many deal registrations in a short time; this one will be sent again \
                     (in about {minutes} min)."
                ),
            });
        }
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
    w.record_decision(mutation.id, &caller.principal, &outcome)
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
    // Under the writer's lock, only what the rules look at: the territories of the deal's
    // country and their holders (a claim is only as good as its holder's tier), and the open
    // deals for the same prospect.
    let prospect = Prospect::new(&input.company, input.domain.as_deref());
    let territories = w.territories_in(input.country).await?;
    let open = w.open_deals_like(&prospect).await?;
    let mut holders: BTreeMap<PartnerId, Partner> = BTreeMap::new();
    for id in territories.iter().map(|t| t.partner_id) {
        if let std::collections::btree_map::Entry::Vacant(entry) = holders.entry(id) {
            if let Some(holder) = w.partner(id).await? {
                entry.insert(holder);
            }
        }
    }
    let claims: Vec<TerritoryClaim> = territories
        .iter()
        .filter_map(|t| TerritoryClaim::of(t, holders.get(&t.partner_id)?))
        .collect();
    let own: BTreeSet<_> = territories
        .iter()
        .filter(|t| t.partner_id == partner.id)
        .map(|t| t.id)
        .collect();
    let earlier: Vec<&Deal> = open.iter().filter(|d| !d.is_lapsed(days, today)).collect();
    let registrant = Registrant {
        id: partner.id,
        tier: partner.tier,
        brands: &partner.brands,
        own_territories: &own,
    };
    let catalog = w.catalog().await?;
    let customers = w.customers_matching(&prospect, None).await?;
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
    // Products changed go through the catalog's rules of a registration, at the tier of today.
    if let Some(products) = program::deals::products_edited(edits) {
        let tier = w
            .partner(partner_id)
            .await?
            .map_or(Tier::Authorized, |p| p.tier);
        let catalog = w.catalog().await?;
        if let Err(rule) = program::deals::check_products(products, deal.brand, tier, &catalog) {
            return Ok(rejected(
                ProblemCode::RuleViolation,
                product_rule_text(&rule),
            ));
        }
        // And a product added must be free for this prospect, as at registration.
        let days = state.policy.deal_registration_days;
        let today = state.today();
        let open = w.open_deals_like(&deal.prospect()).await?;
        let others: Vec<&Deal> = open.iter().filter(|d| !d.is_lapsed(days, today)).collect();
        if let Err(rule) = program::deals::check_products_added(&deal, products, &others) {
            return Ok(rejected(
                ProblemCode::RuleViolation,
                product_rule_text(&rule),
            ));
        }
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

/// A refusal of a deal edit's products ([`program::deals::check_products`],
/// [`program::deals::check_products_added`]), in words.
fn product_rule_text(rule: &DealRule) -> String {
    match rule {
        DealRule::UnknownProduct { sku } => format!("{sku} is not in the catalog."),
        DealRule::ProductNotInBrand { sku, brand } => {
            format!("{sku} is not offered under {brand}.")
        }
        DealRule::EarlyAccessTier { sku, tier } => format!(
            "{sku} is an early-access item, for Specialist partners and above; this partner is {tier}."
        ),
        DealRule::DuplicateProduct { sku } => format!("{sku} is named twice."),
        DealRule::AlreadyRegistered { yours: Some(own) } => format!(
            "This partner registered this prospect for {} already, on {}.",
            own.products.join(", "),
            own.registered_on
        ),
        DealRule::AlreadyRegistered { yours: None } => "A product added is registered for this \
            prospect already, by another partner; the first approved registration wins."
            .into(),
        // check_products answers only the rules above.
        _ => "These products break a rule of the program's catalog.".into(),
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().chain(chars).collect::<String>() + "."
    })
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
