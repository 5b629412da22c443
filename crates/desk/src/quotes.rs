//! Quotes on a laptop: priced from the synced catalog and FX rates, numbered so that laptops never
//! collide, written offline through the outbox, and printed as a customer-ready PDF.
//!
//! As with deals, the `quotes` table mirrors the platform's copy and only sync writes it; drafts,
//! revisions and status changes wait in the outbox and are shown on top (see `deals`). Amounts are
//! never stored: [`program::quotes::price`] computes them from a quote's lines, its frozen FX rate
//! and the catalog prices it was saved with, the same way here, in the PDF, in the exports and on
//! the server.

use chrono::{Datelike, NaiveDate, Utc};
use program::contract::{MutationKind, PartnerId};
use program::quotes::{
    price, quote_number, valid_until, LineInput, PricedQuote, PricedWith, Quote, QuoteId,
    QuoteLang, QuoteRule, QuoteStatus, Request, Seller,
};
use program::{Brand, Country, Currency, FxRate, Tier};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use ts_rs::TS;
use uuid::Uuid;

use crate::error::{DeskError, Result};
use crate::outbox::{LocalWrite, RefusedChange};
use crate::store::Store;
use crate::workspace;

const ENTITY: &str = "quote";
/// `sync_state` keys: this cache's device code for quote numbers, and its last sequence number.
const DEVICE_CODE: &str = "quote_device_code";
const SEQUENCE: &str = "quote_sequence";

/// What the quote builder sends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct QuoteForm {
    pub partner_id: String,
    /// A draft being edited; None for a new quote.
    pub quote_id: Option<String>,
    /// An existing customer, or None for a prospect named in `customer`.
    pub customer_id: Option<String>,
    pub customer: String,
    /// ISO country code.
    pub country: String,
    pub brand: Option<Brand>,
    pub currency: Option<Currency>,
    pub lang: QuoteLang,
    pub lines: Vec<LineInput>,
}

/// The builder's live answer: the priced quote, or the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct QuoteCheck {
    pub priced: Option<PricedQuote>,
    pub rule: Option<QuoteRule>,
}

/// A quote as the user sees it: the platform's copy with this device's pending changes on top,
/// priced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct QuoteView {
    pub id: String,
    pub number: String,
    pub revision: u32,
    pub supersedes: Option<String>,
    pub partner_id: String,
    pub customer_id: Option<String>,
    pub customer: String,
    pub country: String,
    pub brand: Brand,
    pub lang: QuoteLang,
    pub lines: Vec<LineInput>,
    pub status: QuoteStatus,
    pub created_on: String,
    pub created_by: String,
    pub valid_until: String,
    /// Past its validity date while still a draft or sent.
    pub lapsed: bool,
    pub pending: bool,
    pub refused_changes: Vec<RefusedChange>,
    /// None when the quote no longer prices (e.g. an item left the catalog); see `rule`.
    pub priced: Option<PricedQuote>,
    pub rule: Option<QuoteRule>,
}

/// The quotes screen of one partner, and what the builder offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct QuoteList {
    pub quotes: Vec<QuoteView>,
    pub catalog: Vec<CatalogOption>,
    pub brands: Vec<Brand>,
    /// Currencies with a synced FX rate.
    pub currencies: Vec<Currency>,
    pub tier: Tier,
    pub partner_currency: Currency,
    pub validity_days: u32,
    /// The currency each country's customers pay in (ISO code → currency), for the builder's
    /// default.
    pub country_currencies: std::collections::BTreeMap<String, Currency>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CatalogOption {
    pub sku: String,
    pub name: String,
    pub kind: program::contract::CatalogKind,
    pub billing: program::contract::Billing,
    /// Credits, decimal string.
    pub list_price: String,
    pub brands: Vec<Brand>,
    pub early_access: bool,
}

/// What pricing needs about a partner, from the cache.
pub(crate) struct Partner {
    pub id: PartnerId,
    pub name: String,
    pub tier: Tier,
    pub rate: rust_decimal::Decimal,
    pub brands: Vec<Brand>,
    pub currency: Currency,
}

pub(crate) async fn partner(store: &Store, id: PartnerId) -> Result<Partner> {
    let row = sqlx::query(
        "SELECT p.name, p.tier, p.discount_rate, p.currency, \
         coalesce((SELECT json_group_array(brand) FROM partner_brands b WHERE b.partner_id = p.id), '[]') AS brands \
         FROM partners p WHERE p.id = ?",
    )
    .bind(id.to_string())
    .fetch_optional(store.pool())
    .await?
    .ok_or_else(|| DeskError::NotFound {
        what: format!("partner {id}"),
    })?;
    let corrupt = |what: &str| DeskError::Corrupt(format!("partner {id}: {what}"));
    let tier: String = row.try_get("tier")?;
    let rate: String = row.try_get("discount_rate")?;
    let currency: String = row.try_get("currency")?;
    let brands: String = row.try_get("brands")?;
    Ok(Partner {
        id,
        name: row.try_get("name")?,
        tier: Tier::parse(&tier).ok_or_else(|| corrupt("tier"))?,
        rate: rate.parse().map_err(|_| corrupt("rate"))?,
        brands: serde_json::from_str::<Vec<String>>(&brands)
            .map_err(|_| corrupt("brands"))?
            .iter()
            .filter_map(|b| Brand::parse(b))
            .collect(),
        currency: Currency::parse(&currency).ok_or_else(|| corrupt("currency"))?,
    })
}

/// Prices `lines` for `partner`: with what a saved quote was priced with (its catalog entries, the
/// partner's tier and rate then), or else as of now; the customer's FX rate (frozen in a saved
/// quote); the partner's provisional balance now.
async fn priced(
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
async fn priced_now(store: &Store, p: &Partner, lines: &[LineInput]) -> Result<PricedWith> {
    Ok(PricedWith::capture(
        lines,
        &workspace::catalog(store).await?,
        p.tier,
        p.rate,
    ))
}

/// Reads the form's customer side: country, brand and the currency's FX rate.
async fn customer_side(store: &Store, form: &QuoteForm) -> Result<(Country, Brand, FxRate)> {
    let invalid = |field: &'static str, reason: &str| DeskError::InvalidInput {
        field,
        reason: reason.into(),
    };
    let country =
        Country::parse(form.country.trim()).map_err(|e| invalid("country", &e.to_string()))?;
    let brand = form
        .brand
        .ok_or_else(|| invalid("brand", "choose a brand"))?;
    let currency = form
        .currency
        .ok_or_else(|| invalid("currency", "choose the customer's currency"))?;
    let fx = workspace::fx_rates(store)
        .await?
        .into_iter()
        .find(|r| r.currency == currency)
        .ok_or_else(|| {
            invalid(
                "currency",
                &format!("there is no exchange rate for {currency} (sync once to get them)"),
            )
        })?;
    Ok((country, brand, fx))
}

/// The platform takes a quote only at a rate of the last `validity` days: a laptop offline for
/// longer must sync before it quotes in another currency.
async fn fx_rule(store: &Store, fx: &FxRate) -> Result<Option<QuoteRule>> {
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
    let p = partner(store, crate::partners::parse_id(&form.partner_id)?).await?;
    let (country, brand, fx) = customer_side(store, form).await?;
    if let Some(rule) = fx_rule(store, &fx).await? {
        return Ok(QuoteCheck {
            priced: None,
            rule: Some(rule),
        });
    }
    Ok(
        match priced(store, &p, country, brand, &fx, &form.lines, None).await? {
            Ok(q) => QuoteCheck {
                priced: Some(q),
                rule: None,
            },
            Err(rule) => QuoteCheck {
                priced: None,
                rule: Some(rule),
            },
        },
    )
}

/// This cache's device code, made once: 25 random bits, so laptops of one partner never share
/// one in practice, and the platform refuses a number already taken if they ever do.
async fn device_code(w: &mut LocalWrite) -> Result<String> {
    let conn = w.conn();
    let existing: Option<String> = sqlx::query_scalar("SELECT value FROM sync_state WHERE key = ?")
        .bind(DEVICE_CODE)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(code) = existing {
        return Ok(code);
    }
    let random = u32::from_le_bytes(Uuid::new_v4().as_bytes()[..4].try_into().expect("4 bytes"));
    let code = program::quotes::device_code(random);
    sqlx::query("INSERT INTO sync_state (key, value) VALUES (?, ?)")
        .bind(DEVICE_CODE)
        .bind(&code)
        .execute(&mut *conn)
        .await?;
    Ok(code)
}

/// The next number of this device, in the transaction that saves the quote.
async fn next_number(w: &mut LocalWrite, year: i32) -> Result<String> {
    let device = device_code(w).await?;
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO sync_state (key, value) VALUES (?1, '1') \
         ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) \
         RETURNING CAST(value AS INTEGER)",
    )
    .bind(SEQUENCE)
    .fetch_one(w.conn())
    .await?;
    Ok(quote_number(
        &device,
        year,
        u32::try_from(seq).unwrap_or(u32::MAX),
    ))
}

/// Saves a draft: a new quote (numbered on this device) or changes to a draft of this device.
/// Refuses a quote that breaks a rule; the balance check only informs.
pub async fn save(store: &Store, form: &QuoteForm, user: &str) -> Result<QuoteView> {
    let partner_id = crate::partners::parse_id(&form.partner_id)?;
    let p = partner(store, partner_id).await?;
    let (country, brand, fx) = customer_side(store, form).await?;
    if form.customer.trim().is_empty() {
        return Err(DeskError::InvalidInput {
            field: "customer",
            reason: "name the customer or prospect".into(),
        });
    }
    let broken = match fx_rule(store, &fx).await? {
        Some(rule) => Err(rule),
        None => priced(store, &p, country, brand, &fx, &form.lines, None)
            .await?
            .map(|_| ()),
    };
    if let Err(rule) = broken {
        return Err(DeskError::InvalidInput {
            field: "quote",
            reason: serde_json::to_string(&rule).unwrap_or_default(),
        });
    }
    let today = Utc::now().date_naive();
    let days = workspace::quote_validity_days(store).await?;
    let existing = match &form.quote_id {
        Some(id) => Some(one_shown(store, partner_id, parse_id(id)?).await?),
        None => None,
    };
    if let Some(e) = &existing {
        if e.quote.status != QuoteStatus::Draft {
            return Err(DeskError::InvalidInput {
                field: "quote_id",
                reason: "a sent quote cannot change; revise it".into(),
            });
        }
    }
    let customer_id = match form.customer_id.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(program::contract::CustomerId(c.parse().map_err(|_| {
            DeskError::InvalidInput {
                field: "customer_id",
                reason: format!("{c:?} is not a customer id"),
            }
        })?)),
        None => None,
    };
    let priced_with = Some(priced_now(store, &p, &form.lines).await?);
    let mut w = LocalWrite::begin(store).await?;
    let quote = match existing {
        Some(e) => Quote {
            customer_id,
            customer: form.customer.trim().to_string(),
            country,
            brand,
            fx,
            lang: form.lang,
            lines: form.lines.clone(),
            created_on: today,
            valid_until: valid_until(today, days),
            priced_with,
            ..e.quote
        },
        None => Quote {
            id: QuoteId(Uuid::now_v7()),
            number: next_number(&mut w, today.year()).await?,
            revision: 1,
            supersedes: None,
            partner_id,
            customer_id,
            customer: form.customer.trim().to_string(),
            country,
            brand,
            fx,
            lang: form.lang,
            lines: form.lines.clone(),
            status: QuoteStatus::Draft,
            created_on: today,
            valid_until: valid_until(today, days),
            created_by: user.to_string(),
            priced_with,
        },
    };
    let id = quote.id;
    w.enqueue(
        ENTITY,
        &id.to_string(),
        &MutationKind::SaveQuote { quote },
        None,
    )
    .await?;
    w.commit().await?;
    view_of(store, partner_id, id, today).await
}

/// Revises a sent, declined or expired quote (an accepted one is final): a new draft with the
/// same number and the next revision, priced at today's FX rate and catalog; the earlier version
/// is kept as it was.
pub async fn revise(store: &Store, quote_id: &str, user: &str) -> Result<QuoteView> {
    let id = parse_id(quote_id)?;
    let partner_id = partner_of(store, id).await?;
    let old = one_shown(store, partner_id, id).await?.quote;
    match old.status {
        QuoteStatus::Draft => {
            return Err(DeskError::InvalidInput {
                field: "quote_id",
                reason: "a draft is edited, not revised".into(),
            })
        }
        QuoteStatus::Accepted => {
            return Err(DeskError::InvalidInput {
                field: "quote_id",
                reason: "an accepted quote is final; make a new quote".into(),
            })
        }
        QuoteStatus::Sent | QuoteStatus::Declined | QuoteStatus::Expired => {}
    }
    let today = Utc::now().date_naive();
    let fx = workspace::fx_rates(store)
        .await?
        .into_iter()
        .find(|r| r.currency == old.fx.currency)
        .unwrap_or(old.fx);
    let days = workspace::quote_validity_days(store).await?;
    let p = partner(store, partner_id).await?;
    let priced_with = Some(priced_now(store, &p, &old.lines).await?);
    let revision = Quote {
        id: QuoteId(Uuid::now_v7()),
        revision: old.revision + 1,
        supersedes: Some(old.id),
        status: QuoteStatus::Draft,
        fx,
        created_on: today,
        valid_until: valid_until(today, days),
        created_by: user.to_string(),
        priced_with,
        ..old
    };
    let new_id = revision.id;
    let mut w = LocalWrite::begin(store).await?;
    w.enqueue(
        ENTITY,
        &new_id.to_string(),
        &MutationKind::SaveQuote { quote: revision },
        None,
    )
    .await?;
    w.commit().await?;
    view_of(store, partner_id, new_id, today).await
}

/// Moves a quote along draft → sent → accepted / declined / expired.
pub async fn set_status(store: &Store, quote_id: &str, to: QuoteStatus) -> Result<QuoteView> {
    let id = parse_id(quote_id)?;
    let partner_id = partner_of(store, id).await?;
    let current = one_shown(store, partner_id, id).await?.quote;
    if !current.status.may_move_to(to) {
        return Err(DeskError::InvalidInput {
            field: "status",
            reason: format!(
                "a {} quote cannot become {}",
                current.status.as_str(),
                to.as_str()
            ),
        });
    }
    // As the platform: sent or accepted only while valid.
    if matches!(to, QuoteStatus::Sent | QuoteStatus::Accepted)
        && current.valid_until < Utc::now().date_naive()
    {
        return Err(DeskError::InvalidInput {
            field: "status",
            reason: format!(
                "the quote was valid until {}; save the draft again, or revise the quote",
                current.valid_until
            ),
        });
    }
    let mut w = LocalWrite::begin(store).await?;
    w.enqueue(
        ENTITY,
        &id.to_string(),
        &MutationKind::SetQuoteStatus {
            id,
            partner_id,
            from: current.status,
            to,
        },
        None,
    )
    .await?;
    w.commit().await?;
    view_of(store, partner_id, id, Utc::now().date_naive()).await
}

fn parse_id(id: &str) -> Result<QuoteId> {
    id.parse()
        .map(QuoteId)
        .map_err(|_| DeskError::InvalidInput {
            field: "quote_id",
            reason: format!("{id:?} is not a quote id"),
        })
}

/// The partner a quote belongs to, from the mirror or the outbox.
async fn partner_of(store: &Store, id: QuoteId) -> Result<PartnerId> {
    let partner: Option<String> = sqlx::query_scalar(
        "SELECT partner_id FROM quotes WHERE id = ?1 UNION ALL \
         SELECT json_extract(payload, '$.input.quote.partner_id') FROM outbox \
         WHERE entity = 'quote' AND entity_id = ?1 AND payload LIKE '%save_quote%' LIMIT 1",
    )
    .bind(id.to_string())
    .fetch_optional(store.pool())
    .await?;
    crate::partners::parse_id(&partner.ok_or_else(|| DeskError::NotFound {
        what: format!("quote {id}"),
    })?)
}

pub(crate) struct Shown {
    pub quote: Quote,
    pending: bool,
    refused: Vec<RefusedChange>,
}

/// Every quote of `partner` (or the one quote `only`), with this device's changes on top, newest
/// first.
async fn shown(store: &Store, partner: PartnerId, only: Option<QuoteId>) -> Result<Vec<Shown>> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT data FROM quotes WHERE partner_id = ?1 AND (?2 IS NULL OR id = ?2) \
         ORDER BY created_on DESC, number DESC, revision DESC",
    )
    .bind(partner.to_string())
    .bind(only.map(|q| q.to_string()))
    .fetch_all(store.pool())
    .await?;
    let mut out: Vec<Shown> = rows
        .iter()
        .map(|data| {
            Ok(Shown {
                quote: serde_json::from_str(data)
                    .map_err(|e| DeskError::Corrupt(format!("quote: {e}")))?,
                pending: false,
                refused: Vec::new(),
            })
        })
        .collect::<Result<_>>()?;
    let queued = sqlx::query(
        "SELECT id, payload, status, last_error FROM outbox \
         WHERE entity = ?1 AND (?2 IS NULL OR entity_id = ?2) ORDER BY seq",
    )
    .bind(ENTITY)
    .bind(only.map(|q| q.to_string()))
    .fetch_all(store.pool())
    .await?;
    for q in &queued {
        let payload: String = q.try_get("payload")?;
        let kind: MutationKind = serde_json::from_str(&payload)
            .map_err(|e| DeskError::Corrupt(format!("outbox payload: {e}")))?;
        let pending = q.try_get::<String, _>("status")? == "pending";
        let refused = RefusedChange {
            id: q.try_get("id")?,
            reason: q
                .try_get::<Option<String>, _>("last_error")?
                .unwrap_or_default(),
        };
        match kind {
            MutationKind::SaveQuote { quote } if quote.partner_id == partner => {
                match out.iter_mut().find(|s| s.quote.id == quote.id) {
                    Some(s) if pending => {
                        s.quote = quote;
                        s.pending = true;
                    }
                    Some(s) => s.refused.push(refused),
                    None => out.insert(
                        0,
                        Shown {
                            quote,
                            pending,
                            refused: if pending { Vec::new() } else { vec![refused] },
                        },
                    ),
                }
            }
            MutationKind::SetQuoteStatus {
                id,
                partner_id,
                from,
                to,
            } if partner_id == partner => {
                if let Some(s) = out.iter_mut().find(|s| s.quote.id == id) {
                    if !pending {
                        s.refused.push(refused);
                    } else if s.quote.status == from {
                        s.quote.status = to;
                        s.pending = true;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
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
    let q = s.quote;
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

async fn view_of(
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

/// The bundled quote template (see `templates/quote.typ`: a partner may copy and change it).
pub const TEMPLATE: &str = include_str!("../templates/quote.typ");

use crate::pdf::format::brand_color;
pub use crate::pdf::format::{format_amount, format_date, format_number, NumberStyle};

/// The words of the printed quote.
fn labels(lang: QuoteLang, validity_days: u32) -> serde_json::Value {
    let pick = |en: &str, es: &str| match lang {
        QuoteLang::En => en.to_string(),
        QuoteLang::Es => es.to_string(),
    };
    serde_json::json!({
        "quote": pick("Quote", "Cotización"),
        "number": pick("Quote number", "Número de cotización"),
        "version": pick("Version", "Versión"),
        "date": pick("Date", "Fecha"),
        "valid_until": pick("Valid until", "Válida hasta"),
        "customer": pick("Prepared for", "Preparada para"),
        "item": pick("Item", "Concepto"),
        "quantity": pick("Qty", "Cant."),
        "months": pick("Months", "Meses"),
        "unit_price": pick("Unit price", "Precio unitario"),
        "amount": pick("Amount", "Importe"),
        "total": pick("Total", "Total"),
        "early_access": pick("early access", "acceso anticipado"),
        "page": pick("page", "página"),
        "prepared_by": pick("Prepared by", "Preparada por"),
        "validity": match lang {
            QuoteLang::En => format!("This quote is valid for {validity_days} days from its date."),
            QuoteLang::Es => format!("Esta cotización es válida durante {validity_days} días desde su fecha."),
        },
    })
}

/// What the template receives for a quote: every word in the customer's language, every number
/// and date in the customer's format, and the same figures [`price`] gives.
pub fn pdf_data(
    view: &QuoteView,
    priced: &PricedQuote,
    partner_name: &str,
    validity_days: u32,
) -> Result<serde_json::Value> {
    let lang = view.lang;
    let decimals = priced.currency.minor_units();
    let style = NumberStyle::of(lang, Country::parse(&view.country).ok());
    let money = |d: rust_decimal::Decimal| format_number(d, decimals, style);
    let day = |iso: &str| -> Result<String> {
        Ok(format_date(
            iso.parse()
                .map_err(|_| DeskError::Corrupt(format!("date {iso:?}")))?,
            lang,
        ))
    };
    let lines: Vec<serde_json::Value> = priced
        .lines
        .iter()
        .map(|l| {
            serde_json::json!({
                "name": l.name,
                "sku": l.sku,
                "quantity": l.quantity.to_string(),
                "months": l.months.map(|m| m.to_string()).unwrap_or_default(),
                "unit_price": money(l.unit_price),
                "amount": money(l.amount),
                "early_access": l.early_access,
            })
        })
        .collect();
    let fx_date = format_date(priced.fx.as_of, lang);
    let per_usd = format_number(priced.fx.per_usd, 4, style);
    Ok(serde_json::json!({
        "brand": {
            "name": view.brand.name(),
            "color": brand_color(view.brand),
            "region": view.brand.region().as_str(),
        },
        "labels": labels(lang, validity_days),
        "lang": match lang { QuoteLang::En => "en", QuoteLang::Es => "es" },
        "number": view.number,
        "revision": view.revision,
        "date": day(&view.created_on)?,
        "valid_until": day(&view.valid_until)?,
        "customer": view.customer,
        "country": view.country,
        "partner": partner_name,
        "prepared_by": view.created_by,
        "currency": priced.currency.code(),
        "lines": lines,
        "total": money(priced.total),
        "fx": match lang {
            QuoteLang::En => format!("Prices in {} at 1 USD = {per_usd} {} (rate of {fx_date}); list prices are set in USD.", priced.currency.code(), priced.currency.code()),
            QuoteLang::Es => format!("Precios en {} al tipo 1 USD = {per_usd} {} (tipo del {fx_date}); los precios de lista se fijan en USD.", priced.currency.code(), priced.currency.code()),
        },
        "rounding": match lang {
            QuoteLang::En => "Unit prices are rounded to the currency's smallest unit; each line is its unit price times its quantity, and the total is the sum of the lines.",
            QuoteLang::Es => "Los precios unitarios se redondean a la unidad mínima de la moneda; cada línea es su precio unitario por su cantidad y el total es la suma de las líneas.",
        },
    }))
}

/// Prints a quote as PDF into `dir` (with `template`, a partner's own copy, or the bundled one)
/// and returns the file's path. A template with errors gives an error naming the line, and no
/// file.
pub async fn export_pdf(
    store: &Store,
    quote_id: &str,
    dir: &std::path::Path,
    template: Option<&std::path::Path>,
) -> Result<String> {
    let view = get(store, quote_id).await?;
    let priced = view.priced.clone().ok_or_else(|| DeskError::InvalidInput {
        field: "quote",
        reason: serde_json::to_string(&view.rule).unwrap_or_default(),
    })?;
    let p = partner(store, crate::partners::parse_id(&view.partner_id)?).await?;
    let data = pdf_data(
        &view,
        &priced,
        &p.name,
        workspace::quote_validity_days(store).await?,
    )?;
    let template = match template.filter(|t| t.exists()) {
        Some(path) => tokio::fs::read_to_string(path).await?,
        None => TEMPLATE.to_string(),
    };
    let path = dir.join(format!("{}-v{}.pdf", view.number, view.revision));
    let out = path.clone();
    tokio::task::spawn_blocking(move || {
        let rendered =
            crate::pdf::render(&template, &data, Utc::now().date_naive()).map_err(|e| {
                DeskError::InvalidInput {
                    field: "template",
                    reason: e.to_string(),
                }
            })?;
        for warning in &rendered.warnings {
            tracing::warn!(%warning, "quote template");
        }
        crate::export::write_atomically(&out, |file| {
            use std::io::Write;
            file.write_all(&rendered.pdf)?;
            Ok(())
        })
    })
    .await
    .map_err(|e| DeskError::Io(std::io::Error::other(e)))??;
    tracing::info!("printed a quote");
    Ok(path.display().to_string())
}
