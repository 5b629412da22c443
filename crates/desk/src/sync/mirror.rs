//! The mirror: the tables copied from the central API, the cursor, a page applied to them, a wipe.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

use program::contract::{Entity, Op, PartnerId};
use sqlx::SqliteConnection;

use crate::api::{ApiError, Page, Row};
use crate::error::{DeskError, Result};
use crate::outbox;
use crate::store::{self, HoldersOf, Rows, Store};

use super::engine::SyncError;

/// Keys of `sync_state`.
pub const CURSOR: &str = "cursor";
/// Tables mirrored from the central API, children before parents (the order a wipe deletes in).
const MIRROR_TABLES: &[&str] = &[
    "action_items",
    "quotes",
    "deals",
    "territory_claims",
    "partner_brands",
    "catalog_item_brands",
    "customer_migrations",
    "nps_responses",
    "ledger_days",
    "ledger_entries",
    "deployments",
    "territories",
    "customers",
    "catalog_items",
    "partners",
];

pub(super) async fn set_cursor_on(conn: &mut SqliteConnection, cursor: u64) -> Result<()> {
    store::set_state_on(conn, CURSOR, &cursor.to_string()).await
}

/// Deletes every mirrored row and the cursor; the outbox and local work stay.
pub async fn wipe_mirror(store: &Store) -> Result<()> {
    let mut conn = store.pool().acquire().await?;
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *conn)
        .await?;
    let outcome = wipe_mirror_on(&mut conn).await;
    sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *conn)
        .await?;
    outcome
}

/// [`wipe_mirror`] on a connection with foreign keys off. The indexes and triggers go first (a
/// DELETE then truncates each table instead of visiting its rows) and are built again, with any a
/// first sync dropped, on the empty tables.
pub(super) async fn wipe_mirror_on(conn: &mut SqliteConnection) -> Result<()> {
    let mut tx = sqlx::Connection::begin_with(&mut *conn, store::BEGIN_WRITE).await?;
    store::defer_indexes(&mut tx, MIRROR_TABLES).await?;
    for table in MIRROR_TABLES
        .iter()
        .chain(&["partner_figures", "partner_search", "figures_dirty"])
    {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *tx)
            .await?;
    }
    store::restore_indexes(&mut tx).await?;
    store::delete_state_on(&mut tx, CURSOR).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Default)]
pub(super) struct Applied {
    pub(super) kept_local: u64,
    pub(super) mismatched: Vec<String>,
    pub(super) building_indexes: Duration,
}

/// Each partner's ledger in the mirror, (entries, balance in hundredths), for the partners a round
/// has checked so far: read from the partner's sums per day (`ledger_days`, which the cache keeps
/// equal to its lines) the first time a page's trailer names the partner (in a first sync, every
/// partner starts at nothing), then kept up to date with the lines the round inserts. A page's checksums then cost a lookup each, not a pass over the partner's whole
/// ledger, which made a first sync quadratic in the size of the ledger. Updated only once a page
/// has committed; a round starts without it.
#[derive(Debug, Default)]
pub(super) struct LedgerTotals {
    known: HashMap<PartnerId, (u64, i128)>,
    /// Whether a partner not in `known` has no lines in the mirror.
    complete: bool,
}

impl LedgerTotals {
    pub(super) fn new(empty_ledger: bool) -> LedgerTotals {
        LedgerTotals {
            known: HashMap::new(),
            complete: empty_ledger,
        }
    }

    fn get(&self, partner: &PartnerId) -> Option<(u64, i128)> {
        self.known
            .get(partner)
            .copied()
            .or(self.complete.then_some((0, 0)))
    }
}

/// What a page does to the mirror's secondary indexes, in its transaction.
#[derive(Debug, Clone, Copy)]
pub(super) struct Indexes {
    /// Drop them (the first page of a first sync).
    pub(super) defer: bool,
    /// Build again those a first sync dropped (the last page of a round).
    pub(super) restore: bool,
}

/// Whether the mirror holds no rows at all.
pub(super) async fn mirror_is_empty(conn: &mut SqliteConnection) -> Result<bool> {
    for table in MIRROR_TABLES {
        let any: bool = sqlx::query_scalar(&format!("SELECT EXISTS (SELECT 1 FROM {table})"))
            .fetch_one(&mut *conn)
            .await?;
        if any {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Applies one page and moves the cursor, in one transaction, on the round's connection.
///
/// Foreign keys are off on this connection while it applies: the feed is ordered by change, not
/// by dependency (a customer updated late comes after the deployments that name it), so
/// references settle once the mirror has caught up, as the server guarantees.
pub(super) async fn apply_page(
    conn: &mut SqliteConnection,
    page: &Page,
    totals: &mut LedgerTotals,
    indexes: Indexes,
    first_sync: bool,
) -> std::result::Result<Applied, SyncError> {
    let mut tx = sqlx::Connection::begin_with(&mut *conn, store::BEGIN_WRITE).await?;
    if indexes.defer {
        store::defer_indexes(&mut tx, MIRROR_TABLES).await?;
    }
    // Rows with a pending local change, by entity; changes the platform applied that wait for
    // their copy: (entity, id) → outbox ids, and a purchase by its ledger line's id (the
    // mutation's own).
    let mut pending: HashMap<String, HashSet<String>> = HashMap::new();
    let mut waiting: HashMap<(String, String), Vec<String>> = HashMap::new();
    for q in outbox::targets(&mut *tx).await? {
        if !q.applied {
            pending.entry(q.entity).or_default().insert(q.entity_id);
        } else if q.entity == "credit_purchase" {
            let key = (Entity::LedgerEntry.as_str().to_string(), q.id.clone());
            waiting.entry(key).or_default().push(q.id);
        } else {
            waiting
                .entry((q.entity, q.entity_id))
                .or_default()
                .push(q.id);
        }
    }
    let mut arrived: Vec<String> = Vec::new();
    let mut applied = Applied::default();
    let mut rows = Rows::default();
    let mut deletes: HashMap<Entity, Vec<String>> = HashMap::new();
    for change in &page.changes {
        if !waiting.is_empty() {
            // The feed holds each row's latest change: this one includes every change the
            // platform applied to the row before the download began.
            if let Some(ids) =
                waiting.remove(&(change.entity.as_str().to_string(), change.id.clone()))
            {
                arrived.extend(ids);
            }
        }
        // Deals and quotes are the exception: the mirror holds only the platform's copy, and the
        // app shows a user's pending changes on top of it (see `deals`), so the copy stays
        // current.
        if !matches!(
            change.entity,
            Entity::Deal | Entity::Quote | Entity::ActionItem
        ) && pending
            .get(change.entity.as_str())
            .is_some_and(|ids| ids.contains(&change.id))
        {
            applied.kept_local += 1;
            continue;
        }
        match (change.op, &change.row) {
            (Op::Upsert, Some(row)) => {
                let version = i64::try_from(change.version).unwrap_or(i64::MAX);
                match row {
                    Row::Partner(r) => rows.partners.push((r, version)),
                    Row::Territory(r) => rows.territories.push((r, version)),
                    Row::Customer(r) => rows.customers.push((r, version)),
                    Row::Deployment(r) => rows.deployments.push((r, version)),
                    Row::LedgerEntry(r) => rows.ledger.push(r),
                    Row::NpsResponse(r) => rows.nps.push(r),
                    Row::CatalogItem(r) => rows.catalog.push((r, version)),
                    Row::CustomerMigration(r) => rows.migrations.push(r),
                    Row::Deal(r) => rows.deals.push((r, version)),
                    Row::TerritoryClaim(r) => rows.claims.push((r.clone(), version)),
                    Row::Quote(r) => rows.quotes.push((r, version)),
                    Row::ActionItem(r) => rows.action_items.push((r, version)),
                }
            }
            (Op::Upsert, None) => {
                return Err(ApiError::BadPage(format!(
                    "upsert of {} {} without data",
                    change.entity.as_str(),
                    change.id
                ))
                .into())
            }
            (Op::Delete, _) => deletes
                .entry(change.entity)
                .or_default()
                .push(change.id.clone()),
        }
    }
    // A customer counts as active (and retained) for the partner that held it on the day, not
    // for the partner that made the deployment: a deployment's change, or a customer moving, also
    // changes the figures of whoever holds or held the customer. A customer that stays with its
    // partner (renamed, say) changes only that partner's search document. (A first sync brings
    // every partner's own row, and with it every partner's refresh.)
    let customers: Vec<String> = if first_sync {
        Vec::new()
    } else {
        let (moved, stayed) = customers_by_holder(&mut tx, &rows.customers).await?;
        store::mark_search_dirty(&mut tx, &stayed).await?;
        moved
            .into_iter()
            .chain(
                rows.deployments
                    .iter()
                    .map(|(d, _)| d.customer_id.to_string()),
            )
            .collect()
    };
    if !first_sync {
        store::mark_holders_dirty(&mut tx, HoldersOf::Customers, &customers).await?;
        if let Some(gone) = deletes.get(&Entity::Deployment) {
            store::mark_holders_dirty(&mut tx, HoldersOf::Deployments, gone).await?;
        }
    }
    // A first sync's pages sum their own lines into `ledger_days` (its triggers are away).
    let sum_lines = !rows.ledger.is_empty() && !store::ledger_days_kept(&mut tx).await?;
    let written = store::upsert_rows(&mut tx, &rows).await?;
    for (entity, ids) in &deletes {
        delete_rows(&mut tx, *entity, ids).await?;
    }
    if !first_sync {
        // And whoever holds them now.
        store::mark_holders_dirty(&mut tx, HoldersOf::Customers, &customers).await?;
    }
    for id in &arrived {
        sqlx::query!("DELETE FROM outbox WHERE id = ? AND applied = 1", id)
            .execute(&mut *tx)
            .await?;
    }
    let touched = if first_sync {
        rows.touched_partners()
    } else {
        rows.touched_partners_but_by_customers()
    };
    store::mark_figures_dirty(&mut tx, &touched).await?;

    // What the page did to each partner's ledger. When the mirror held some of its lines already
    // (a refetch from the start), which ones is unknown: those partners are read again.
    let every_line_new = written.ledger_inserted == rows.ledger.len() as u64;
    if sum_lines {
        store::ledger_days::add_page(&mut tx, &rows.ledger, every_line_new).await?;
    }
    // Hundredths summed in 128 bits: no run of lines can overflow them.
    let mut added: HashMap<PartnerId, (u64, i128)> = HashMap::new();
    for line in &rows.ledger {
        let a = added.entry(line.partner_id).or_default();
        a.0 += 1;
        a.1 += i128::from(line.credits.minor().map_err(DeskError::from)?);
    }
    let mut checked = Vec::with_capacity(page.trailer.checksums.len());
    for sum in &page.trailer.checksums {
        let known = every_line_new
            .then(|| totals.get(&sum.partner_id))
            .flatten()
            .map(|(n, minor)| {
                let a = added.get(&sum.partner_id).copied().unwrap_or_default();
                (n + a.0, minor + a.1)
            });
        let (n, minor) = match known {
            Some(t) => t,
            // From the partner's sums per day, which its lines keep (a few hundred rows, not
            // every line).
            None => store::ledger_days::totals(&mut tx, &sum.partner_id.to_string()).await?,
        };
        if n != sum.entries || Ok(minor) != sum.balance.minor().map(i128::from) {
            applied.mismatched.push(sum.partner_id.to_string());
        }
        checked.push((sum.partner_id, (n, minor)));
    }
    if indexes.restore {
        let started = Instant::now();
        if store::restore_indexes(&mut tx).await? {
            applied.building_indexes = started.elapsed();
            tracing::info!(
                ms = applied.building_indexes.as_millis() as u64,
                "built the indexes a first sync had dropped"
            );
        }
    }
    set_cursor_on(&mut tx, page.trailer.next).await?;
    tx.commit().await?;

    if !every_line_new {
        totals.complete = false;
    }
    for (partner, a) in added {
        if every_line_new {
            if let Some((n, minor)) = totals.get(&partner) {
                totals.known.insert(partner, (n + a.0, minor + a.1));
            }
        } else {
            totals.known.remove(&partner);
        }
    }
    totals.known.extend(checked);
    Ok(applied)
}

/// The page's customers split by what their row does to the figures: the ids of those new to
/// the mirror or moving to another partner, and the partners of those staying where they are.
async fn customers_by_holder(
    conn: &mut SqliteConnection,
    customers: &[(&program::contract::Customer, i64)],
) -> Result<(Vec<String>, BTreeSet<PartnerId>)> {
    let mut held: HashMap<String, String> = HashMap::new();
    for chunk in customers.chunks(500) {
        let ids: Vec<String> = chunk.iter().map(|(c, _)| c.id.to_string()).collect();
        let json =
            serde_json::to_string(&ids).map_err(|e| DeskError::Corrupt(format!("ids: {e}")))?;
        let found: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, partner_id FROM customers WHERE id IN (SELECT value FROM json_each(?))",
        )
        .bind(json)
        .fetch_all(&mut *conn)
        .await?;
        held.extend(found);
    }
    let mut moved = Vec::new();
    let mut stayed = BTreeSet::new();
    for (c, _) in customers {
        let id = c.id.to_string();
        if held.get(&id) == Some(&c.partner_id.to_string()) {
            stayed.insert(c.partner_id);
        } else {
            moved.push(id);
        }
    }
    Ok((moved, stayed))
}

async fn delete_rows(conn: &mut SqliteConnection, entity: Entity, ids: &[String]) -> Result<()> {
    // The partners whose figures the deleted rows counted in.
    let owners: &[&str] = match entity {
        Entity::Partner => &["partners.id"],
        Entity::Territory => &["territories.partner_id"],
        Entity::Customer => &["customers.partner_id"],
        Entity::Deployment => &["deployments.partner_id"],
        Entity::NpsResponse => &["nps_responses.partner_id"],
        Entity::CustomerMigration => &[
            "customer_migrations.from_partner_id",
            "customer_migrations.to_partner_id",
        ],
        Entity::Deal => &["deals.partner_id"],
        Entity::LedgerEntry
        | Entity::CatalogItem
        | Entity::TerritoryClaim
        | Entity::Quote
        | Entity::ActionItem => &[],
    };
    for owner in owners {
        let (table, column) = owner.split_once('.').expect("table.column");
        store::mark_figures_dirty_where_in(conn, table, column, ids).await?;
    }
    let (table, key) = match entity {
        Entity::Partner => {
            store::delete_where_in(conn, "partner_brands", "partner_id", ids).await?;
            ("partners", "id")
        }
        Entity::Territory => ("territories", "id"),
        Entity::Customer => ("customers", "id"),
        Entity::Deployment => ("deployments", "id"),
        Entity::LedgerEntry => {
            // The ledger is append-only; a server that deletes a line is wrong, not obeyed.
            tracing::warn!(count = ids.len(), "ignoring deletes of ledger lines");
            return Ok(());
        }
        Entity::NpsResponse => ("nps_responses", "id"),
        Entity::CatalogItem => {
            store::delete_where_in(conn, "catalog_item_brands", "sku", ids).await?;
            ("catalog_items", "sku")
        }
        Entity::CustomerMigration => ("customer_migrations", "id"),
        Entity::Deal => ("deals", "id"),
        Entity::TerritoryClaim => ("territory_claims", "id"),
        Entity::Quote => ("quotes", "id"),
        Entity::ActionItem => ("action_items", "id"),
    };
    store::delete_where_in(conn, table, key, ids).await
}
