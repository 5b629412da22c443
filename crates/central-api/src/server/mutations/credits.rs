//! Buying credits: a purchase taken at the price the user saw, or refused with the reason.

use super::*;

/// A purchase as it arrives: its mutation id, whose, how many credits, and the price the user saw.
pub(super) struct Order<'a> {
    pub(super) id: Uuid,
    pub(super) partner_id: PartnerId,
    pub(super) credits: Credits,
    pub(super) price: Option<&'a PurchasePrice>,
}

/// Buys credits at the partner's own rate, in its currency: at the price the user saw when the
/// purchase carries one (taken exactly, or refused with the reason; see
/// [`program::credits::check_purchase_price`]), else at the server's FX rate of today (purchases
/// queued by versions before 0.2). The ledger entry takes the mutation's id, so the client can
/// match its pending intent to the ledger line when the feed brings it.
pub(super) async fn purchase(
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
