//! Writing one row's change.
//!
//! This is where the feed's rules live: a row's new change replaces its previous one at a new,
//! strictly increasing `seq` (so the feed stays compacted to one change per row); each change
//! records which partners may see it; the ledger is append-only and keeps running totals; and
//! tombstones below the horizon can be purged.
//!
//! Visibility: a partner sees itself; a territory, ledger entry or NPS response is seen by its
//! partner; a customer by its partner of record and every partner named in its migrations, a
//! former partner only as the customer was when it moved away (`customer_visibility`); a
//! deployment by the partner that made it and its customer's partner of record; a migration by
//! both sides; a deal or a quote by its partner; catalog items and the territory map's claims (who holds
//! which territory exclusively, by name) by everyone.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use program::contract::{
    CatalogItem, Customer, Deployment, Entity, LedgerEntry, NpsResponse, Partner, PartnerId,
    Territory,
};
use program::deals::{Deal, TerritoryClaim};
use program::quotes::Quote;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::SqliteConnection;

use super::{parse_partner, StoreError};

/// Who may see a change.
pub(super) enum Visibility {
    Public,
    Partners(BTreeSet<PartnerId>),
    /// Partners, each seeing the change itself (`None`) or the copy of the row kept for it.
    Copies(BTreeMap<PartnerId, Option<String>>),
}

impl Visibility {
    pub(super) fn of(partners: impl IntoIterator<Item = PartnerId>) -> Visibility {
        Visibility::Partners(partners.into_iter().collect())
    }
}

/// The change a row has now.
pub(super) struct Current {
    seq: i64,
    version: i64,
    pub(super) op: String,
    customer: Option<String>,
}

pub(super) async fn current_change(
    conn: &mut SqliteConnection,
    entity: Entity,
    id: &str,
) -> Result<Option<Current>, StoreError> {
    let row: Option<(i64, i64, String, Option<String>)> = sqlx::query_as(
        "SELECT seq, version, op, customer FROM changes WHERE entity = ? AND id = ?",
    )
    .bind(entity.as_str())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(seq, version, op, customer)| Current {
        seq,
        version,
        op,
        customer,
    }))
}

/// A row's current value, or None if it does not exist or was deleted.
pub(super) async fn current<T: DeserializeOwned>(
    conn: &mut SqliteConnection,
    entity: Entity,
    id: &str,
) -> Result<Option<T>, StoreError> {
    let data: Option<Option<String>> = sqlx::query_scalar(
        "SELECT data FROM changes WHERE entity = ? AND id = ? AND op = 'upsert'",
    )
    .bind(entity.as_str())
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(data
        .flatten()
        .map(|d| serde_json::from_str(&d))
        .transpose()?)
}

/// The small integer standing for a partner in the visibility tables, made on first use.
async fn partner_key(conn: &mut SqliteConnection, id: PartnerId) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO partner_keys (id) VALUES (?) \
         ON CONFLICT (id) DO UPDATE SET id = excluded.id RETURNING ix",
    )
    .bind(id.to_string())
    .fetch_one(&mut *conn)
    .await?)
}

/// Writes a row's new change (an upsert with `data`, or a delete without), replacing its previous
/// change. Returns the new `seq`.
async fn put(
    conn: &mut SqliteConnection,
    entity: Entity,
    id: &str,
    data: Option<&str>,
    customer: Option<&str>,
    visibility: &Visibility,
) -> Result<u64, StoreError> {
    let previous = current_change(conn, entity, id).await?;
    let seq: i64 =
        sqlx::query_scalar("UPDATE feed SET head = head + 1 WHERE id = 1 RETURNING head")
            .fetch_one(&mut *conn)
            .await?;
    if let Some(p) = &previous {
        sqlx::query("DELETE FROM change_partners WHERE seq = ?")
            .bind(p.seq)
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM changes WHERE seq = ?")
            .bind(p.seq)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(
        "INSERT INTO changes (seq, entity, id, op, version, data, public, customer) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(seq)
    .bind(entity.as_str())
    .bind(id)
    .bind(if data.is_some() { "upsert" } else { "delete" })
    .bind(previous.as_ref().map_or(1, |p| p.version + 1))
    .bind(data)
    .bind(matches!(visibility, Visibility::Public))
    .bind(customer)
    .execute(&mut *conn)
    .await?;
    let seen: Vec<(PartnerId, Option<&str>)> = match visibility {
        Visibility::Public => Vec::new(),
        Visibility::Partners(partners) => partners.iter().map(|p| (*p, None)).collect(),
        Visibility::Copies(copies) => copies.iter().map(|(p, c)| (*p, c.as_deref())).collect(),
    };
    for (partner, copy) in seen {
        let pix = partner_key(conn, partner).await?;
        sqlx::query("INSERT INTO change_partners (seq, pix, data) VALUES (?, ?, ?)")
            .bind(seq)
            .bind(pix)
            .bind(copy)
            .execute(&mut *conn)
            .await?;
    }
    Ok(seq as u64)
}

/// Adds `change_partners.data` to a database made before it (no copies were kept then).
pub(super) async fn add_copies_if_missing(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    let has: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info('change_partners') WHERE name = 'data')",
    )
    .fetch_one(&mut *conn)
    .await?;
    if !has {
        sqlx::query("ALTER TABLE change_partners ADD COLUMN data TEXT")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub(super) async fn put_value<T: Serialize>(
    conn: &mut SqliteConnection,
    entity: Entity,
    id: &str,
    value: &T,
    customer: Option<&str>,
    visibility: &Visibility,
) -> Result<u64, StoreError> {
    let data = serde_json::to_string(value)?;
    put(conn, entity, id, Some(&data), customer, visibility).await
}

pub(super) async fn put_partner(
    conn: &mut SqliteConnection,
    p: &Partner,
    today: NaiveDate,
) -> Result<u64, StoreError> {
    let before: Option<Partner> = current(conn, Entity::Partner, &p.id.to_string()).await?;
    super::rules::partner(p, before.as_ref(), today)?;
    let id = p.id.to_string();
    let seq = put_value(conn, Entity::Partner, &id, p, None, &Visibility::of([p.id])).await?;
    // The map names each claim's holder and tier: a renamed or re-tiered partner changes it.
    for t in territories(conn)
        .await?
        .iter()
        .filter(|t| t.partner_id == p.id)
    {
        put_claim(conn, t, Some(p)).await?;
    }
    Ok(seq)
}

pub(super) async fn put_territory(
    conn: &mut SqliteConnection,
    t: &Territory,
) -> Result<u64, StoreError> {
    let id = t.id.to_string();
    let holder: Option<Partner> = current(conn, Entity::Partner, &t.partner_id.to_string()).await?;
    let others = territories(conn).await?;
    let mut holders = Vec::new();
    for o in others.iter().filter(|o| o.overlaps(t)) {
        holders.extend(current::<Partner>(conn, Entity::Partner, &o.partner_id.to_string()).await?);
    }
    super::rules::territory(t, holder.as_ref(), &others, |o| {
        holders.iter().find(|p| p.id == o.partner_id)
    })?;
    let vis = Visibility::of([t.partner_id]);
    let seq = put_value(conn, Entity::Territory, &id, t, None, &vis).await?;
    put_claim(conn, t, holder.as_ref()).await?;
    Ok(seq)
}

/// Keeps the territory map in step with a territory: its claim written, changed or withdrawn.
async fn put_claim(
    conn: &mut SqliteConnection,
    t: &Territory,
    holder: Option<&Partner>,
) -> Result<(), StoreError> {
    let id = t.id.to_string();
    match holder.and_then(|h| TerritoryClaim::of(t, h)) {
        Some(claim) => {
            let existing: Option<TerritoryClaim> =
                current(conn, Entity::TerritoryClaim, &id).await?;
            if existing.as_ref() != Some(&claim) {
                put_value(
                    conn,
                    Entity::TerritoryClaim,
                    &id,
                    &claim,
                    None,
                    &Visibility::Public,
                )
                .await?;
            }
        }
        None => {
            if current::<TerritoryClaim>(conn, Entity::TerritoryClaim, &id)
                .await?
                .is_some()
            {
                delete(conn, Entity::TerritoryClaim, &id).await?;
            }
        }
    }
    Ok(())
}

/// Every territory as it stands.
pub(super) async fn territories(conn: &mut SqliteConnection) -> Result<Vec<Territory>, StoreError> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT data FROM changes WHERE entity = 'territory' AND op = 'upsert' ORDER BY seq",
    )
    .fetch_all(&mut *conn)
    .await?;
    decode_all(&rows)
}

/// Rows of wire JSON, each read as a `T`.
pub(super) fn decode_all<T: DeserializeOwned>(rows: &[String]) -> Result<Vec<T>, StoreError> {
    Ok(rows
        .iter()
        .map(|d| serde_json::from_str(d))
        .collect::<Result<_, _>>()?)
}

const TERRITORIES_IN: &str = "SELECT data FROM changes WHERE entity = 'territory' \
     AND op = 'upsert' AND json_extract(data, '$.country') = ? ORDER BY seq";

const QUOTE_NUMBER_TAKEN: &str = "SELECT count(*) FROM changes WHERE entity = 'quote' \
     AND op = 'upsert' AND id <> ? AND json_extract(data, '$.number') = ? \
     AND json_extract(data, '$.revision') = ?";

/// The territories that name `country` (the only ones an exclusivity claim there can come
/// from, see `TerritoryClaim::covers`), by the `changes_territory_country` index.
pub(super) async fn territories_in(
    conn: &mut SqliteConnection,
    country: program::Country,
) -> Result<Vec<Territory>, StoreError> {
    let rows: Vec<String> = sqlx::query_scalar(TERRITORIES_IN)
        .bind(country.code())
        .fetch_all(&mut *conn)
        .await?;
    decode_all(&rows)
}

pub(super) async fn put_deal(conn: &mut SqliteConnection, d: &Deal) -> Result<u64, StoreError> {
    let id = d.id.to_string();
    let vis = Visibility::of([d.partner_id]);
    let seq = put_value(conn, Entity::Deal, &id, d, None, &vis).await?;
    super::prospects::index_deal(conn, d).await?;
    Ok(seq)
}

pub(super) async fn put_quote(conn: &mut SqliteConnection, q: &Quote) -> Result<u64, StoreError> {
    program::quotes::check_quote_number(&q.number).map_err(|e| StoreError::Invalid {
        entity: Entity::Quote,
        reason: format!("{}: {e}", q.id),
    })?;
    let id = q.id.to_string();
    let vis = Visibility::of([q.partner_id]);
    put_value(conn, Entity::Quote, &id, q, None, &vis).await
}

pub(super) async fn put_action_item(
    conn: &mut SqliteConnection,
    item: &program::qbr::ActionItem,
) -> Result<u64, StoreError> {
    item.check().map_err(|rule| StoreError::Invalid {
        entity: Entity::ActionItem,
        reason: format!("{}: {rule}", item.id),
    })?;
    let id = item.id.to_string();
    let vis = Visibility::of([item.partner_id]);
    put_value(conn, Entity::ActionItem, &id, item, None, &vis).await
}

/// Whether another quote (not `id`) carries `number` at `revision`.
pub(super) async fn quote_number_taken(
    conn: &mut SqliteConnection,
    id: &str,
    number: &str,
    revision: u32,
) -> Result<bool, StoreError> {
    let n: i64 = sqlx::query_scalar(QUOTE_NUMBER_TAKEN)
        .bind(id)
        .bind(number)
        .bind(i64::from(revision))
        .fetch_one(&mut *conn)
        .await?;
    Ok(n > 0)
}

/// Every deal that is approved and open: the registrations a new one is checked against.
pub(super) async fn open_deals(conn: &mut SqliteConnection) -> Result<Vec<Deal>, StoreError> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT data FROM changes WHERE entity = 'deal' AND op = 'upsert' \
         AND json_extract(data, '$.status') = 'approved' \
         AND json_extract(data, '$.stage') NOT IN ('won', 'lost') ORDER BY seq",
    )
    .fetch_all(&mut *conn)
    .await?;
    decode_all(&rows)
}

pub(super) async fn put_nps(
    conn: &mut SqliteConnection,
    n: &NpsResponse,
) -> Result<u64, StoreError> {
    let id = n.id.to_string();
    let vis = Visibility::of([n.partner_id]);
    put_value(conn, Entity::NpsResponse, &id, n, None, &vis).await
}

pub(super) async fn put_catalog_item(
    conn: &mut SqliteConnection,
    item: &CatalogItem,
) -> Result<u64, StoreError> {
    if !program::contract::is_sku(&item.sku) {
        return Err(StoreError::Invalid {
            entity: Entity::CatalogItem,
            reason: format!(
                "{:?} is not a SKU: capital letters and digits joined by hyphens, at most {}",
                item.sku,
                program::contract::MAX_SKU
            ),
        });
    }
    let vis = Visibility::Public;
    put_value(conn, Entity::CatalogItem, &item.sku, item, None, &vis).await
}

/// The partner of record of a customer, if the customer exists.
async fn customer_partner(
    conn: &mut SqliteConnection,
    customer_id: &str,
) -> Result<Option<PartnerId>, StoreError> {
    let partner: Option<Option<String>> = sqlx::query_scalar(
        "SELECT json_extract(data, '$.partner_id') FROM changes \
         WHERE entity = 'customer' AND id = ? AND op = 'upsert'",
    )
    .bind(customer_id)
    .fetch_optional(&mut *conn)
    .await?;
    partner.flatten().map(|p| parse_partner(&p)).transpose()
}

/// Who sees a customer's change, and what of it. Its partner of record and the partners of
/// migrations still to take effect see the change; a partner the customer moved away from sees
/// the change that moved it (`moved_from`) and, after that, only what it saw then: a former
/// partner sees the customer's history up to the migration and nothing after.
async fn customer_visibility(
    conn: &mut SqliteConnection,
    c: &Customer,
    moved_from: Option<PartnerId>,
) -> Result<Visibility, StoreError> {
    let chain = super::migrations::migrations_of(conn, c.id).await?;
    // The copy each partner saw of the customer's previous change.
    let previous: Vec<(Option<String>, String, Option<String>)> = sqlx::query_as(
        "SELECT c.data, k.id, v.data FROM changes c \
         JOIN change_partners v ON v.seq = c.seq JOIN partner_keys k ON k.ix = v.pix \
         WHERE c.entity = 'customer' AND c.id = ?",
    )
    .bind(c.id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut saw: BTreeMap<PartnerId, Option<String>> = BTreeMap::new();
    for (data, partner, copy) in previous {
        saw.insert(parse_partner(&partner)?, copy.or(data));
    }
    let mut seen = BTreeMap::from([(c.partner_id, None)]);
    for m in &chain {
        seen.entry(m.to_partner).or_insert(None);
    }
    for former in chain.iter().map(|m| m.from_partner) {
        if former == c.partner_id || Some(former) == moved_from {
            continue;
        }
        let copy = saw.get(&former).cloned().flatten();
        // A former partner the previous change was hidden from has no copy to keep: it sees
        // the change itself, which happens only to a database written before copies were kept.
        seen.insert(former, copy);
    }
    if let Some(from) = moved_from {
        seen.insert(from, None);
    }
    Ok(Visibility::Copies(seen))
}

pub(super) async fn put_customer(
    conn: &mut SqliteConnection,
    c: &Customer,
) -> Result<u64, StoreError> {
    let id = c.id.to_string();
    let before: Option<Customer> = current(conn, Entity::Customer, &id).await?;
    let partner: Option<Partner> =
        current(conn, Entity::Partner, &c.partner_id.to_string()).await?;
    super::rules::customer(c, partner.as_ref(), before.as_ref())?;
    write_customer(conn, c).await
}

/// Writes a customer whose rules were checked: by `put_customer`, or by a migration moving it.
pub(super) async fn write_customer(
    conn: &mut SqliteConnection,
    c: &Customer,
) -> Result<u64, StoreError> {
    let id = c.id.to_string();
    super::prospects::index_customer(conn, c).await?;
    let before = customer_partner(conn, &id).await?;
    let moved_from = before.filter(|p| *p != c.partner_id);
    let visibility = customer_visibility(conn, c, moved_from).await?;
    let seq = put_value(conn, Entity::Customer, &id, c, None, &visibility).await?;
    if before.is_some_and(|p| p != c.partner_id) {
        // The new partner of record sees the customer's deployments from now on; its feed has
        // moved past their old changes, so they are sent again.
        let deployments: Vec<String> = sqlx::query_scalar(
            "SELECT data FROM changes \
             WHERE customer = ? AND entity = 'deployment' AND op = 'upsert' ORDER BY seq",
        )
        .bind(&id)
        .fetch_all(&mut *conn)
        .await?;
        for data in deployments {
            put_deployment(conn, &serde_json::from_str(&data)?).await?;
        }
    }
    Ok(seq)
}

pub(super) async fn put_deployment(
    conn: &mut SqliteConnection,
    d: &Deployment,
) -> Result<u64, StoreError> {
    let id = d.id.to_string();
    let customer = d.customer_id.to_string();
    let record: Option<Customer> = current(conn, Entity::Customer, &customer).await?;
    let chain = super::migrations::migrations_of(conn, d.customer_id).await?;
    let item: Option<CatalogItem> = current(conn, Entity::CatalogItem, &d.sku).await?;
    let of_record = record
        .as_ref()
        .map(|c| program::migration::partner_of_record_on(c.partner_id, &chain, d.started_on));
    let partner: Option<Partner> = match of_record {
        Some(id) => current(conn, Entity::Partner, &id.to_string()).await?,
        None => None,
    };
    super::rules::deployment(
        d,
        record.as_ref(),
        &chain,
        |_| partner.as_ref(),
        item.as_ref(),
    )?;
    let mut partners = BTreeSet::from([d.partner_id]);
    partners.extend(customer_partner(conn, &customer).await?);
    let vis = Visibility::Partners(partners);
    put_value(conn, Entity::Deployment, &id, d, Some(&customer), &vis).await
}

/// Appends a ledger entry and moves its partner's running totals.
pub(super) async fn append_ledger(
    conn: &mut SqliteConnection,
    e: &LedgerEntry,
) -> Result<u64, StoreError> {
    let id = e.id.to_string();
    if current_change(conn, Entity::LedgerEntry, &id)
        .await?
        .is_some()
    {
        return Err(StoreError::AppendOnly(format!(
            "ledger entry {id} exists and cannot be changed"
        )));
    }
    e.validate().map_err(|err| StoreError::Invalid {
        entity: Entity::LedgerEntry,
        reason: err.to_string(),
    })?;
    let vis = Visibility::of([e.partner_id]);
    let seq = put_value(conn, Entity::LedgerEntry, &id, e, None, &vis).await?;
    let pix = partner_key(conn, e.partner_id).await?;
    let (entries, balance): (i64, i64) = sqlx::query_as(
        "SELECT entries, balance FROM ledger_totals WHERE pix = ? ORDER BY seq DESC LIMIT 1",
    )
    .bind(pix)
    .fetch_optional(&mut *conn)
    .await?
    .unwrap_or((0, 0));
    sqlx::query("INSERT INTO ledger_totals (pix, seq, entries, balance) VALUES (?, ?, ?, ?)")
        .bind(pix)
        .bind(seq as i64)
        .bind(entries + 1)
        .bind(
            e.credits
                .minor()
                .ok()
                .and_then(|minor| balance.checked_add(minor))
                .ok_or_else(|| StoreError::Invalid {
                    entity: Entity::LedgerEntry,
                    reason: format!("{}: the balance would pass {}", e.id, program::Credits::MAX),
                })?,
        )
        .execute(&mut *conn)
        .await?;
    Ok(seq)
}

/// Turns a row's change into a tombstone at a new `seq`, seen by whoever could see the row.
pub(super) async fn delete(
    conn: &mut SqliteConnection,
    entity: Entity,
    id: &str,
) -> Result<u64, StoreError> {
    if entity == Entity::LedgerEntry {
        return Err(StoreError::AppendOnly(format!(
            "ledger entry {id} cannot be deleted"
        )));
    }
    let Some(previous) = current_change(conn, entity, id)
        .await?
        .filter(|c| c.op == "upsert")
    else {
        return Err(StoreError::NotFound {
            entity,
            id: id.to_string(),
        });
    };
    if entity == Entity::Customer {
        sqlx::query("DELETE FROM customer_keys WHERE customer_id = ?")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let public: bool = sqlx::query_scalar("SELECT public FROM changes WHERE seq = ?")
        .bind(previous.seq)
        .fetch_one(&mut *conn)
        .await?;
    let visibility = if public {
        Visibility::Public
    } else {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT k.id FROM change_partners v JOIN partner_keys k ON k.ix = v.pix WHERE v.seq = ?",
        )
        .bind(previous.seq)
        .fetch_all(&mut *conn)
        .await?;
        Visibility::Partners(
            ids.iter()
                .map(|id| parse_partner(id))
                .collect::<Result<_, _>>()?,
        )
    };
    put(
        conn,
        entity,
        id,
        None,
        previous.customer.as_deref(),
        &visibility,
    )
    .await
}

/// Purges tombstones below `horizon` and raises the horizon to it.
pub(super) async fn compact(conn: &mut SqliteConnection, horizon: u64) -> Result<u64, StoreError> {
    let head: i64 = sqlx::query_scalar("SELECT head FROM feed WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    if horizon > head as u64 {
        return Err(StoreError::HorizonAhead {
            horizon,
            head: head as u64,
        });
    }
    let horizon = horizon as i64;
    sqlx::query(
        "DELETE FROM change_partners WHERE seq IN \
         (SELECT seq FROM changes WHERE op = 'delete' AND seq < ?)",
    )
    .bind(horizon)
    .execute(&mut *conn)
    .await?;
    let purged = sqlx::query("DELETE FROM changes WHERE op = 'delete' AND seq < ?")
        .bind(horizon)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    sqlx::query("UPDATE feed SET horizon = MAX(horizon, ?), epoch = epoch + 1 WHERE id = 1")
        .bind(horizon)
        .execute(&mut *conn)
        .await?;
    Ok(purged)
}

#[cfg(test)]
mod tests {
    use sqlx::{Connection, SqliteConnection};

    /// SQLite's plan for `sql`, one step a line.
    async fn plan(conn: &mut SqliteConnection, sql: &str) -> String {
        let rows: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        rows.into_iter()
            .map(|(.., detail)| detail)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[tokio::test]
    async fn the_rules_of_a_write_look_up_by_index_and_read_no_whole_entity() {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        sqlx::raw_sql(include_str!("schema.sql"))
            .execute(&mut conn)
            .await
            .unwrap();
        for (sql, index) in [
            (super::TERRITORIES_IN, "changes_territory_country"),
            (
                crate::server::store::prospects::OPEN_DEALS_LIKE,
                "open_deal_keys_company",
            ),
            (
                crate::server::store::prospects::OPEN_DEALS_LIKE,
                "open_deal_keys_domain",
            ),
            (super::QUOTE_NUMBER_TAKEN, "changes_quote_number"),
        ] {
            let plan = plan(&mut conn, sql).await;
            assert!(plan.contains(index), "{index} in:\n{plan}");
            assert!(
                !plan.lines().any(|step| step.starts_with("SCAN")),
                "no table read whole:\n{plan}"
            );
        }
    }
}
