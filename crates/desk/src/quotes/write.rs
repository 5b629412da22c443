//! Writing quotes offline through the outbox: numbering, saving drafts, revising, moving status.

use chrono::{Datelike, Utc};
use program::contract::MutationKind;
use program::quotes::{quote_number, valid_until, Quote, QuoteId, QuoteStatus};
use uuid::Uuid;

use super::model::{parse_id, partner_of, ENTITY};
use super::pricing::{customer_id, customer_rule, customer_side, fx_rule, priced, priced_now};
use super::shown::view_of;
use super::{one_shown, partner, QuoteForm, QuoteView};
use crate::error::{DeskError, Refusal, Result};
use crate::outbox::LocalWrite;
use crate::store::Store;
use crate::workspace;

/// `sync_state` keys: this cache's device code for quote numbers, and its last sequence number.
const DEVICE_CODE: &str = "quote_device_code";
const SEQUENCE: &str = "quote_sequence";

/// This cache's device code, made once: 25 random bits, so laptops of one partner never share
/// one in practice, and the platform refuses a number already taken if they ever do.
async fn device_code(w: &mut LocalWrite) -> Result<String> {
    let conn = w.conn();
    let existing = sqlx::query_scalar!("SELECT value FROM sync_state WHERE key = ?", DEVICE_CODE)
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(code) = existing {
        return Ok(code);
    }
    let random = u32::from_le_bytes(Uuid::new_v4().as_bytes()[..4].try_into().expect("4 bytes"));
    let code = program::quotes::device_code(random);
    sqlx::query!(
        "INSERT INTO sync_state (key, value) VALUES (?, ?)",
        DEVICE_CODE,
        code
    )
    .execute(&mut *conn)
    .await?;
    Ok(code)
}

/// The next number of this device, in the transaction that saves the quote.
async fn next_number(w: &mut LocalWrite, year: i32) -> Result<String> {
    let device = device_code(w).await?;
    let seq = sqlx::query_scalar!(
        r#"INSERT INTO sync_state (key, value) VALUES (?1, '1')
           ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)
           RETURNING CAST(value AS INTEGER) AS "seq!: i64""#,
        SEQUENCE
    )
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
    let partner_id = crate::portfolio::partner::parse_id(&form.partner_id)?;
    let p = partner(store, partner_id).await?;
    let (country, brand, fx) = customer_side(store, form).await?;
    if form.customer.trim().is_empty() {
        return Err(DeskError::InvalidInput {
            field: "customer",
            reason: "name the customer or prospect".into(),
        });
    }
    if let Some((field, max)) = program::quotes::text_past_bound(form.customer.trim(), user) {
        return Err(DeskError::InvalidInput {
            field,
            reason: format!("at most {max} characters"),
        });
    }
    let customer_id = customer_id(form)?;
    let broken = match fx_rule(store, &fx).await? {
        Some(rule) => Err(rule),
        None => priced(store, &p, country, brand, &fx, &form.lines, None)
            .await?
            .map(|_| ()),
    };
    let broken = match broken {
        Ok(()) => customer_rule(store, partner_id, customer_id, &form.customer).await?,
        refused => refused,
    };
    if let Err(rule) = broken {
        return Err(DeskError::Refused(Refusal::Quote(rule)));
    }
    let today = Utc::now().date_naive();
    let days = workspace::quote_validity_days(store).await?;
    let existing = match &form.quote_id {
        Some(id) => Some(one_shown(store, partner_id, parse_id(id)?).await?),
        None => None,
    };
    if let Some(e) = &existing {
        if e.item.status != QuoteStatus::Draft {
            return Err(DeskError::InvalidInput {
                field: "quote_id",
                reason: "a sent quote cannot change; revise it".into(),
            });
        }
    }
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
            ..e.item
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
    let old = one_shown(store, partner_id, id).await?.item;
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
    if let Err(rule) = customer_rule(store, partner_id, old.customer_id, &old.customer).await? {
        return Err(DeskError::Refused(Refusal::Quote(rule)));
    }
    let today = Utc::now().date_naive();
    let fx = workspace::fx_rate(store, old.fx.currency)
        .await?
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
    let current = one_shown(store, partner_id, id).await?.item;
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
