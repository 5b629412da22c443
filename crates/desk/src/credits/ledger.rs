//! A partner's credit ledger, newest first, keyset-paginated, with each line's running balance,
//! the balance as of the last sync and the provisional balance after the purchases still waiting
//! in the outbox.
//!
//! Keyset, not OFFSET: a page starts after the last line of the one before, `(at, id)` being the
//! ledger index's order, so page 500 costs what page 1 does and a sync adding lines meanwhile
//! never shifts a page.

use program::contract::{AdjustmentReason, MutationKind, PartnerId};
use program::Credits;

use crate::error::{DeskError, Result};
use crate::outbox::{self, Kind, Select, Status};
use crate::store::Store;
use crate::views::{LedgerKind, LedgerLine, LedgerPage, PendingPurchase};

/// Lines per page when none is asked for; the most a page may hold.
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 500;

/// The position after which the next page starts: the last line's `at` and `id`, as the opaque
/// string the UI hands back.
fn cursor_of(at: &str, id: &str) -> String {
    format!("{at}|{id}")
}

fn parse_cursor(cursor: &str) -> Result<(String, String)> {
    let bad = || DeskError::InvalidInput {
        field: "after",
        reason: format!("{cursor:?} is not a ledger position"),
    };
    let (at, id) = cursor.split_once('|').ok_or_else(bad)?;
    if at.is_empty() || id.is_empty() || uuid::Uuid::parse_str(id).is_err() {
        return Err(bad());
    }
    Ok((at.to_string(), id.to_string()))
}

/// One page of `partner`'s ledger, newest first, starting after `after` (a page's `next`).
pub async fn page(
    store: &Store,
    partner: PartnerId,
    after: Option<&str>,
    limit: Option<u32>,
) -> Result<LedgerPage> {
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(DeskError::InvalidInput {
            field: "limit",
            reason: format!("must be between 1 and {MAX_PAGE}"),
        });
    }
    let after = after.map(parse_cursor).transpose()?;
    let id = partner.to_string();
    crate::portfolio::partner::ensure_exists(store, partner).await?;
    let totals = sqlx::query!(
        r#"SELECT count(*) AS "entries!: i64", coalesce(sum(credits_minor), 0) AS "balance!: i64"
           FROM ledger_entries WHERE partner_id = ?"#,
        id
    )
    .fetch_one(store.pool())
    .await?;
    let (entries, balance) = (totals.entries, totals.balance);
    // The balance after the page's first line: everything up to it.
    let (upper_at, upper_id) = after
        .clone()
        .unwrap_or_else(|| ("\u{10FFFF}".into(), String::new()));
    let mut running: i64 = if after.is_some() {
        sqlx::query_scalar!(
            r#"SELECT coalesce(sum(credits_minor), 0) AS "minor!: i64" FROM ledger_entries
               WHERE partner_id = ? AND (at, id) < (?, ?)"#,
            id,
            upper_at,
            upper_id,
        )
        .fetch_one(store.pool())
        .await?
    } else {
        balance
    };
    let fetch = i64::from(limit) + 1;
    let rows = sqlx::query!(
        r#"SELECT l.id, l.at, l.kind, l.credits_minor, l.fiat_minor, l.fiat_currency, l.rate,
                  l.deployment_id, d.sku AS "sku?", l.customer_id, c.name AS "customer?", l.reason
           FROM ledger_entries l
           LEFT JOIN deployments d ON d.id = l.deployment_id
           LEFT JOIN customers c ON c.id = l.customer_id
           WHERE l.partner_id = ? AND (l.at, l.id) < (?, ?)
           ORDER BY l.at DESC, l.id DESC LIMIT ?"#,
        id,
        upper_at,
        upper_id,
        fetch,
    )
    .fetch_all(store.pool())
    .await?;
    let more = rows.len() > limit as usize;
    let mut lines = Vec::with_capacity(rows.len().min(limit as usize));
    for r in rows.into_iter().take(limit as usize) {
        let credits = r.credits_minor;
        let currency = r.fiat_currency;
        let fiat = match (r.fiat_minor, currency.as_deref()) {
            (Some(minor), Some(code)) => {
                let currency = program::Currency::parse(code)
                    .ok_or_else(|| DeskError::Corrupt(format!("currency {code:?}")))?;
                Some(
                    program::Money::from_minor(minor, currency)
                        .amount
                        .to_string(),
                )
            }
            _ => None,
        };
        lines.push(LedgerLine {
            id: r.id,
            at: r.at,
            kind: LedgerKind::parse(&r.kind)
                .ok_or_else(|| DeskError::Corrupt(format!("ledger kind {:?}", r.kind)))?,
            credits: Credits::from_minor(credits).amount().to_string(),
            balance_after: Credits::from_minor(running).amount().to_string(),
            fiat,
            currency,
            rate: r.rate,
            deployment_id: r.deployment_id,
            sku: r.sku,
            customer_id: r.customer_id,
            customer: r.customer,
            reason: r
                .reason
                .map(|x| {
                    AdjustmentReason::parse(&x)
                        .ok_or_else(|| DeskError::Corrupt(format!("adjustment reason {x:?}")))
                })
                .transpose()?,
        });
        running -= credits;
    }
    let next = if more {
        lines.last().map(|l| cursor_of(&l.at, &l.id))
    } else {
        None
    };
    let queued = queued_purchases(store, partner).await?;
    let provisional = program::credits::provisional_balance(
        Credits::from_minor(balance),
        queued.iter().map(|(_, c)| *c),
    );
    let pending = queued.into_iter().map(|(p, _)| p).collect();
    Ok(LedgerPage {
        lines,
        next,
        entries: u32::try_from(entries).unwrap_or(u32::MAX),
        balance: Credits::from_minor(balance).amount().to_string(),
        provisional_balance: format!("{:.2}", provisional.amount()),
        pending,
    })
}

/// The balance as of the last sync plus the purchases not in it yet ([`pending_purchases`]): what
/// the partner can count on (`program::credits::provisional_balance`).
pub async fn provisional_balance(store: &Store, partner: PartnerId) -> Result<Credits> {
    let partner_text = partner.to_string();
    let synced = sqlx::query_scalar!(
        r#"SELECT coalesce(sum(credits_minor), 0) AS "minor!: i64" FROM ledger_entries
           WHERE partner_id = ?"#,
        partner_text
    )
    .fetch_one(store.pool())
    .await?;
    let queued = queued_purchases(store, partner).await?;
    Ok(program::credits::provisional_balance(
        Credits::from_minor(synced),
        queued.into_iter().map(|(_, c)| c),
    ))
}

/// Purchases for `partner` made here and not yet in the synced ledger: waiting to be sent, or
/// applied by the central API and waiting for their ledger line (the page that brings the line
/// takes the outbox row away in the same transaction); refused ones are not counted.
pub async fn pending_purchases(store: &Store, partner: PartnerId) -> Result<Vec<PendingPurchase>> {
    Ok(queued_purchases(store, partner)
        .await?
        .into_iter()
        .map(|(p, _)| p)
        .collect())
}

/// [`pending_purchases`], each with its credits as a number.
async fn queued_purchases(
    store: &Store,
    partner: PartnerId,
) -> Result<Vec<(PendingPurchase, Credits)>> {
    let queued = outbox::read(
        store.pool(),
        Select {
            partner: Some(partner),
            kind: Some(Kind::PurchaseCredits),
            status: Some(Status::Pending),
            ..Select::default()
        },
    )
    .await?;
    Ok(queued
        .into_iter()
        .filter_map(|q| match q.change {
            MutationKind::PurchaseCredits { credits, .. } => Some((
                PendingPurchase {
                    id: q.id,
                    credits: format!("{:.2}", credits.amount()),
                    created_at: q.created_at,
                },
                credits,
            )),
            _ => None,
        })
        .collect())
}
