//! The outbox: local changes waiting for the central API, and the ones it refused.
//!
//! A local write and its outbox row commit in one transaction on a connection switched to
//! `synchronous = FULL`, so a change the user saw saved survives a crash or a power cut. Every
//! reader goes through [`read`], which gives each row typed: what it is ([`Kind`]), whose data it
//! changes, where it stands ([`Status`]) and the change itself.

use chrono::{DateTime, SecondsFormat, Utc};
use program::contract::{MutationKind, PartnerId};
use serde::{Deserialize, Serialize};
use sqlx::pool::PoolConnection;
use sqlx::Sqlite;
use ts_rs::TS;
use uuid::Uuid;

use crate::error::{DeskError, Result};
use crate::store::Store;
use crate::views::{ChangeSummary, RejectedChange};

/// A change the central API refused, shown on what it changed (a deal, a quote) until the user
/// dismisses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RefusedChange {
    /// The outbox id, to dismiss it.
    pub id: String,
    pub reason: String,
}

/// What a queued change is: its mutation's name on the wire, in the `kind` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    PurchaseCredits,
    RegisterDeal,
    EditDeal,
    SaveQuote,
    SetQuoteStatus,
    SaveActionItem,
}

impl Kind {
    pub fn of(change: &MutationKind) -> Kind {
        match change {
            MutationKind::PurchaseCredits { .. } => Kind::PurchaseCredits,
            MutationKind::RegisterDeal { .. } => Kind::RegisterDeal,
            MutationKind::EditDeal { .. } => Kind::EditDeal,
            MutationKind::SaveQuote { .. } => Kind::SaveQuote,
            MutationKind::SetQuoteStatus { .. } => Kind::SetQuoteStatus,
            MutationKind::SaveActionItem { .. } => Kind::SaveActionItem,
        }
    }

    /// The wire tag (`"register_deal"`, …), as the column holds it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PurchaseCredits => "purchase_credits",
            Kind::RegisterDeal => "register_deal",
            Kind::EditDeal => "edit_deal",
            Kind::SaveQuote => "save_quote",
            Kind::SetQuoteStatus => "set_quote_status",
            Kind::SaveActionItem => "save_action_item",
        }
    }
}

/// Where a queued change stands. An applied change (sent, taken by the platform, waiting for its
/// copy to come down) is still `Pending`, with [`Queued::applied`] set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    /// Refused by the platform for good; kept, with its reason, until the user dismisses it.
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Result<Status> {
        match s {
            "pending" => Ok(Status::Pending),
            "rejected" => Ok(Status::Rejected),
            other => Err(DeskError::Corrupt(format!("outbox status {other:?}"))),
        }
    }
}

/// One queued change, typed.
#[derive(Debug, Clone)]
pub struct Queued {
    /// The mutation's id (a UUIDv7, the platform's idempotency key).
    pub id: String,
    /// What it changes: `"deal"`, `"quote"`, `"credit_purchase"`, `"action_item"`.
    pub entity: String,
    pub entity_id: String,
    pub partner_id: PartnerId,
    pub change: MutationKind,
    pub status: Status,
    /// Taken by the platform; its copy has not come down yet. Never sent again.
    pub applied: bool,
    pub base_version: Option<u64>,
    /// The platform's reason for a refusal, or the last "try again later".
    pub last_error: Option<String>,
    /// When the user made the change (RFC 3339, milliseconds, UTC).
    pub created_at: String,
}

impl Queued {
    pub fn is_pending(&self) -> bool {
        self.status == Status::Pending
    }

    /// When the user made the change; now, for a row whose time does not read.
    pub fn made_at(&self) -> DateTime<Utc> {
        self.created_at.parse().unwrap_or_else(|_| Utc::now())
    }

    /// The refusal as a screen shows it on what it changed.
    pub fn refused(&self) -> RefusedChange {
        RefusedChange {
            id: self.id.clone(),
            reason: self.last_error.clone().unwrap_or_default(),
        }
    }
}

/// Which changes [`read`] returns, oldest first. Each field set narrows; the default takes all.
#[derive(Debug, Clone, Copy, Default)]
pub struct Select<'a> {
    pub entity: Option<&'a str>,
    pub entity_id: Option<&'a str>,
    pub partner: Option<PartnerId>,
    pub kind: Option<Kind>,
    pub status: Option<Status>,
    pub applied: Option<bool>,
    pub limit: Option<u32>,
}

/// The one reader of the outbox: the changes `select` names, oldest first, typed.
pub async fn read<'e>(
    db: impl sqlx::SqliteExecutor<'e>,
    select: Select<'_>,
) -> Result<Vec<Queued>> {
    let (partner, kind, status, limit) = (
        select.partner.map(|p| p.to_string()),
        select.kind.map(Kind::as_str),
        select.status.map(Status::as_str),
        select.limit.map(i64::from),
    );
    let rows = sqlx::query!(
        r#"SELECT id, entity, entity_id, partner_id, payload, status,
                  applied AS "applied: bool", base_version, last_error, created_at
           FROM outbox
           WHERE (?1 IS NULL OR entity = ?1) AND (?2 IS NULL OR entity_id = ?2)
             AND (?3 IS NULL OR partner_id = ?3) AND (?4 IS NULL OR kind = ?4)
             AND (?5 IS NULL OR status = ?5) AND (?6 IS NULL OR applied = ?6)
           ORDER BY seq LIMIT coalesce(?7, -1)"#,
        select.entity,
        select.entity_id,
        partner,
        kind,
        status,
        select.applied,
        limit,
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Queued {
                change: serde_json::from_str(&r.payload)
                    .map_err(|e| DeskError::Corrupt(format!("outbox payload {}: {e}", r.id)))?,
                partner_id: r.partner_id.parse().map_err(|_| {
                    DeskError::Corrupt(format!("outbox partner {:?}", r.partner_id))
                })?,
                entity: r.entity,
                entity_id: r.entity_id,
                status: Status::parse(&r.status)?,
                applied: r.applied,
                base_version: r.base_version.and_then(|v| u64::try_from(v).ok()),
                last_error: r.last_error,
                created_at: r.created_at,
                id: r.id,
            })
        })
        .collect()
}

/// The partner whose data the first change `select` names changes, if there is one.
pub async fn partner_of(store: &Store, select: Select<'_>) -> Result<Option<PartnerId>> {
    let first = read(
        store.pool(),
        Select {
            limit: Some(1),
            ..select
        },
    )
    .await?;
    Ok(first.first().map(|q| q.partner_id))
}

/// What a pending change is about, without the change itself: for the sync, which asks on every
/// page which rows have a local change and which applied changes wait for their copy.
#[derive(Debug, Clone)]
pub struct Target {
    pub id: String,
    pub entity: String,
    pub entity_id: String,
    pub applied: bool,
}

/// The pending changes' [`Target`]s, oldest first: [`read`] without parsing any payload.
pub async fn targets<'e>(db: impl sqlx::SqliteExecutor<'e>) -> Result<Vec<Target>> {
    Ok(sqlx::query_as!(
        Target,
        r#"SELECT id, entity, entity_id, applied AS "applied: bool"
           FROM outbox WHERE status = 'pending' ORDER BY seq"#
    )
    .fetch_all(db)
    .await?)
}

/// How many changes wait to be sent, and how many the platform refused.
pub async fn counts(store: &Store) -> Result<(u32, u32)> {
    let row = sqlx::query!(
        r#"SELECT coalesce(sum(status = 'pending' AND applied = 0), 0) AS "pending!: i64",
                  coalesce(sum(status = 'rejected'), 0) AS "rejected!: i64"
           FROM outbox"#
    )
    .fetch_one(store.pool())
    .await?;
    let n = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    Ok((n(row.pending), n(row.rejected)))
}

/// Whether the outbox holds changes no round has tried to send yet.
pub async fn unsent(store: &Store) -> Result<bool> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM outbox
                          WHERE status = 'pending' AND applied = 0 AND attempts = 0) AS "unsent!: bool""#
    )
    .fetch_one(store.pool())
    .await?)
}

/// A thing the app shows with this device's changes on top of the platform's copy: a deal, a
/// quote, an action item. [`over_mirror`] reads the queue once for all of them; each says what a
/// change of its kind does to it.
pub trait Overlay: Sized {
    /// Whether a refused change shows on the thing it changed (a deal, a quote), or only in the
    /// list of refused changes (an action item).
    const SHOWS_REFUSED: bool = true;
    /// The id of the thing `change` is about, if it is about one of these.
    fn target(change: &MutationKind) -> Option<Uuid>;
    fn id(&self) -> Uuid;
    /// What a change makes of a thing not in the mirror (a new one), if anything.
    fn created(change: MutationKind, made: &Made<'_>) -> Option<Self>;
    /// A pending change applied on top; whether the thing now shows a pending change.
    fn apply(&mut self, change: MutationKind, made: &Made<'_>) -> bool;
    /// A new thing whose creation the platform refused, as it is shown then.
    fn refused(&mut self) {}
}

/// Who made a change and when, for the things that record it.
pub struct Made<'a> {
    pub at: DateTime<Utc>,
    pub by: &'a str,
}

/// A thing as shown: the platform's copy (if any) with this device's changes on top.
#[derive(Debug, Clone)]
pub struct Shown<T> {
    pub item: T,
    /// The platform's version of its copy; 0 for a thing only this device has.
    pub version: i64,
    /// A change of it waits for the platform.
    pub pending: bool,
    /// Changes of it the platform refused, until the user dismisses them.
    pub refused: Vec<RefusedChange>,
}

impl<T> Shown<T> {
    /// The platform's copy, with nothing on top yet.
    pub fn mirrored(item: T, version: i64) -> Shown<T> {
        Shown {
            item,
            version,
            pending: false,
            refused: Vec::new(),
        }
    }
}

/// `mirror` (the platform's copies of `partner`'s things of `entity`, or of the one `only`) with
/// this device's changes on top, in the order they were made: a pending change applied, a
/// refused one listed on what it changed, a new thing first.
pub async fn over_mirror<T: Overlay>(
    store: &Store,
    entity: &str,
    partner: PartnerId,
    only: Option<Uuid>,
    user: &str,
    mut mirror: Vec<Shown<T>>,
) -> Result<Vec<Shown<T>>> {
    let only = only.map(|id| id.to_string());
    let queued = read(
        store.pool(),
        Select {
            entity: Some(entity),
            entity_id: only.as_deref(),
            partner: Some(partner),
            ..Select::default()
        },
    )
    .await?;
    for q in queued {
        let Some(target) = T::target(&q.change) else {
            continue;
        };
        let made = Made {
            at: q.made_at(),
            by: user,
        };
        let pending = q.is_pending();
        match mirror.iter_mut().find(|s| s.item.id() == target) {
            Some(s) if pending => {
                if s.item.apply(q.change, &made) {
                    s.pending = true;
                }
            }
            Some(s) => {
                if T::SHOWS_REFUSED {
                    s.refused.push(q.refused());
                }
            }
            None if !pending && !T::SHOWS_REFUSED => {}
            None => {
                let refused = q.refused();
                if let Some(mut item) = T::created(q.change, &made) {
                    if !pending {
                        item.refused();
                    }
                    mirror.insert(
                        0,
                        Shown {
                            item,
                            version: 0,
                            pending,
                            refused: if pending { Vec::new() } else { vec![refused] },
                        },
                    );
                }
            }
        }
    }
    Ok(mirror)
}

/// Queues `kind` for the central API; returns the mutation's id (a UUIDv7).
pub async fn enqueue(
    store: &Store,
    entity: &str,
    entity_id: &str,
    kind: &MutationKind,
    base_version: Option<u64>,
) -> Result<Uuid> {
    let mut w = LocalWrite::begin(store).await?;
    let id = w.enqueue(entity, entity_id, kind, base_version).await?;
    w.commit().await?;
    Ok(id)
}

/// A local write: one transaction, on a connection switched to `synchronous = FULL`, for a
/// user's change and its outbox rows. Dropped without [`LocalWrite::commit`], it rolls back (its
/// connection is closed rather than returned to the pool with a transaction open).
pub struct LocalWrite {
    conn: PoolConnection<Sqlite>,
    open: bool,
    /// The store's write turn, until the write ends (see `Store::write_turn`).
    _turn: tokio::sync::OwnedRwLockReadGuard<()>,
}

impl LocalWrite {
    pub async fn begin(store: &Store) -> Result<LocalWrite> {
        let turn = store.write_turn().await;
        let mut conn = store.pool().acquire().await?;
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut *conn)
            .await?;
        let mut w = LocalWrite {
            conn,
            open: false,
            _turn: turn,
        };
        sqlx::query(crate::store::BEGIN_WRITE)
            .execute(&mut *w.conn)
            .await?;
        w.open = true;
        Ok(w)
    }

    /// The connection, for the user's change itself, in the same transaction.
    pub fn conn(&mut self) -> &mut sqlx::SqliteConnection {
        &mut self.conn
    }

    /// Adds an outbox row; returns the mutation's id (a UUIDv7).
    pub async fn enqueue(
        &mut self,
        entity: &str,
        entity_id: &str,
        kind: &MutationKind,
        base_version: Option<u64>,
    ) -> Result<Uuid> {
        let id = Uuid::now_v7();
        let payload = serde_json::to_string(kind)
            .map_err(|e| DeskError::Corrupt(format!("mutation payload: {e}")))?;
        let (id_text, kind_name, partner, base, now) = (
            id.to_string(),
            Kind::of(kind).as_str(),
            kind.partner_id().to_string(),
            base_version.and_then(|v| i64::try_from(v).ok()),
            Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        );
        sqlx::query!(
            "INSERT INTO outbox (id, kind, entity, entity_id, partner_id, op, payload, \
                                 base_version, created_at) \
             VALUES (?, ?, ?, ?, ?, 'upsert', ?, ?, ?)",
            id_text,
            kind_name,
            entity,
            entity_id,
            partner,
            payload,
            base,
            now,
        )
        .execute(&mut *self.conn)
        .await?;
        Ok(id)
    }

    pub async fn commit(mut self) -> Result<()> {
        sqlx::query("COMMIT").execute(&mut *self.conn).await?;
        self.open = false;
        sqlx::query("PRAGMA synchronous = NORMAL")
            .execute(&mut *self.conn)
            .await?;
        Ok(())
    }
}

impl Drop for LocalWrite {
    fn drop(&mut self) {
        if self.open {
            self.conn.close_on_drop();
        }
    }
}

/// The changes the central API refused, newest first, with their reasons.
pub async fn rejected(store: &Store) -> Result<Vec<RejectedChange>> {
    let mut refused = read(
        store.pool(),
        Select {
            status: Some(Status::Rejected),
            ..Select::default()
        },
    )
    .await?;
    refused.reverse();
    // The names of the partners these changes are for, not the whole workspace's.
    let names: std::collections::HashMap<String, String> = sqlx::query!(
        "SELECT id, name FROM partners \
         WHERE id IN (SELECT partner_id FROM outbox WHERE status = 'rejected')"
    )
    .fetch_all(store.pool())
    .await?
    .into_iter()
    .map(|p| (p.id, p.name))
    .collect();
    Ok(refused
        .into_iter()
        .map(|q| {
            let partner = names.get(&q.partner_id.to_string()).cloned();
            let what = match q.change {
                MutationKind::PurchaseCredits { credits, .. } => ChangeSummary::PurchaseCredits {
                    credits: credits.amount().to_string(),
                    partner,
                },
                MutationKind::RegisterDeal { deal } => ChangeSummary::RegisterDeal {
                    company: deal.company,
                },
                MutationKind::SaveQuote { quote } => ChangeSummary::SaveQuote {
                    number: quote.number,
                    customer: quote.customer,
                },
                MutationKind::SetQuoteStatus { to, .. } => {
                    ChangeSummary::SetQuoteStatus { status: to }
                }
                MutationKind::SaveActionItem { item } => {
                    ChangeSummary::SaveActionItem { text: item.text }
                }
                MutationKind::EditDeal { edits, .. } => ChangeSummary::EditDeal {
                    fields: edits.iter().map(|e| e.field()).collect(),
                },
            };
            RejectedChange {
                id: q.id,
                what,
                reason: q.last_error.unwrap_or_default(),
                created_at: q.created_at,
            }
        })
        .collect())
}

/// Removes a refused change once the user has seen it.
pub async fn dismiss(store: &Store, id: &str) -> Result<()> {
    let rejected = Status::Rejected.as_str();
    let done = sqlx::query!(
        "DELETE FROM outbox WHERE id = ? AND status = ?",
        id,
        rejected
    )
    .execute(store.pool())
    .await?;
    if done.rows_affected() == 0 {
        return Err(DeskError::NotFound {
            what: format!("refused change {id}"),
        });
    }
    Ok(())
}
