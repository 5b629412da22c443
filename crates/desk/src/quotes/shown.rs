//! Quotes as the user sees them: the platform's copy with this device's changes on top, priced.

use chrono::{NaiveDate, Utc};
use program::contract::{MutationKind, PartnerId};
use program::quotes::{Quote, QuoteId, QuoteStatus};
use program::Country;
use uuid::Uuid;

use super::model::{parse_id, partner_of, ENTITY};
use super::pricing::priced;
use super::{partner, CatalogOption, Partner, QuoteList, QuoteView, Shown};
use crate::error::{DeskError, Result};
use crate::outbox::{self, Made, Overlay};
use crate::store::Store;
use crate::workspace;

impl Overlay for Quote {
    fn target(change: &MutationKind) -> Option<Uuid> {
        match change {
            MutationKind::SaveQuote { quote } => Some(quote.id.0),
            MutationKind::SetQuoteStatus { id, .. } => Some(id.0),
            _ => None,
        }
    }

    fn id(&self) -> Uuid {
        self.id.0
    }

    fn created(change: MutationKind, _: &Made<'_>) -> Option<Quote> {
        match change {
            MutationKind::SaveQuote { quote } => Some(quote),
            _ => None,
        }
    }

    fn apply(&mut self, change: MutationKind, _: &Made<'_>) -> bool {
        match change {
            MutationKind::SaveQuote { quote } => {
                *self = quote;
                true
            }
            // A status change the platform has overtaken no longer applies.
            MutationKind::SetQuoteStatus { from, to, .. } if self.status == from => {
                self.status = to;
                true
            }
            _ => false,
        }
    }
}

/// Every quote of `partner` (or the one quote `only`), with this device's changes on top, newest
/// first.
async fn shown(store: &Store, partner: PartnerId, only: Option<QuoteId>) -> Result<Vec<Shown>> {
    let (partner_text, only_text) = (partner.to_string(), only.map(|q| q.to_string()));
    let rows = sqlx::query_scalar!(
        "SELECT data FROM quotes WHERE partner_id = ?1 AND (?2 IS NULL OR id = ?2) \
         ORDER BY created_on DESC, number DESC, revision DESC",
        partner_text,
        only_text
    )
    .fetch_all(store.pool())
    .await?;
    let mirror: Vec<Shown> = rows
        .iter()
        .map(|data| {
            Ok(Shown::mirrored(
                serde_json::from_str(data)
                    .map_err(|e| DeskError::Corrupt(format!("quote: {e}")))?,
                0,
            ))
        })
        .collect::<Result<_>>()?;
    // A quote names its author itself: no change here needs the user's name.
    outbox::over_mirror(store, ENTITY, partner, only.map(|q| q.0), "", mirror).await
}

pub(crate) async fn one_shown(store: &Store, partner: PartnerId, id: QuoteId) -> Result<Shown> {
    shown(store, partner, Some(id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| DeskError::NotFound {
            what: format!("quote {id}"),
        })
}

async fn view(store: &Store, p: &Partner, s: Shown, today: NaiveDate) -> Result<QuoteView> {
    let q = s.item;
    let priced = priced(
        store,
        p,
        q.country,
        q.brand,
        &q.fx,
        &q.lines,
        q.priced_with.as_ref(),
    )
    .await?;
    Ok(QuoteView {
        id: q.id.to_string(),
        number: q.number,
        revision: q.revision,
        supersedes: q.supersedes.map(|s| s.to_string()),
        partner_id: q.partner_id.to_string(),
        customer_id: q.customer_id.map(|c| c.to_string()),
        customer: q.customer,
        country: q.country.code().to_string(),
        brand: q.brand,
        lang: q.lang,
        lines: q.lines,
        status: q.status,
        created_on: q.created_on.to_string(),
        created_by: q.created_by,
        valid_until: q.valid_until.to_string(),
        lapsed: matches!(q.status, QuoteStatus::Draft | QuoteStatus::Sent) && q.valid_until < today,
        pending: s.pending,
        refused_changes: s.refused,
        rule: priced.as_ref().err().cloned(),
        priced: priced.ok(),
    })
}

pub(super) async fn view_of(
    store: &Store,
    partner: PartnerId,
    id: QuoteId,
    today: NaiveDate,
) -> Result<QuoteView> {
    let p = self::partner(store, partner).await?;
    let s = one_shown(store, partner, id).await?;
    view(store, &p, s, today).await
}

/// One quote, priced.
pub async fn get(store: &Store, quote_id: &str) -> Result<QuoteView> {
    let id = parse_id(quote_id)?;
    let partner = partner_of(store, id).await?;
    view_of(store, partner, id, Utc::now().date_naive()).await
}

/// A partner's quotes and what the builder offers.
pub async fn list(store: &Store, partner_id: PartnerId, today: NaiveDate) -> Result<QuoteList> {
    let p = partner(store, partner_id).await?;
    let mut quotes = Vec::new();
    for s in shown(store, partner_id, None).await? {
        quotes.push(view(store, &p, s, today).await?);
    }
    Ok(QuoteList {
        quotes,
        catalog: workspace::catalog(store)
            .await?
            .into_iter()
            .map(|c| CatalogOption {
                sku: c.sku,
                name: c.name,
                kind: c.kind,
                billing: c.billing,
                list_price: format!("{:.2}", c.list_price.amount()),
                brands: c.brands,
                early_access: c.early_access,
            })
            .collect(),
        brands: p.brands,
        currencies: workspace::fx_rates(store)
            .await?
            .iter()
            .map(|r| r.currency)
            .collect(),
        tier: p.tier,
        partner_currency: p.currency,
        validity_days: workspace::quote_validity_days(store).await?,
        country_currencies: program::Region::ALL
            .iter()
            .flat_map(|r| r.countries())
            .filter_map(|c| Country::parse(c).ok())
            .map(|c| (c.code().to_string(), c.currency()))
            .collect(),
    })
}
