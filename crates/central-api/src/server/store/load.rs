//! Loading a whole dataset into an empty feed.
//!
//! One transaction and multi-row inserts in chunks: row-at-a-time inserts cost a round trip to
//! SQLite's worker thread each, which at hundreds of thousands of rows is most of the time. The
//! visibility rules are the same as `changes`' (and the tests check the feed against them), but
//! computed here in memory from the dataset instead of by queries.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use program::contract::{Dataset, Entity, PartnerId};
use program::deals::{KnownCustomer, TerritoryClaim};
use program::CustomerMigration;
use serde::Serialize;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::StoreError;

/// One row's first change, before it has a `seq`.
struct NewChange {
    entity: Entity,
    id: String,
    data: String,
    customer: Option<String>,
    /// Partner keys that may see it; empty with `public`.
    partners: Vec<i64>,
    /// The copies some of them see instead (`change_partners.data`).
    copies: BTreeMap<i64, String>,
    public: bool,
    /// For a ledger entry: its partner's key and credits in hundredths.
    ledger: Option<(i64, i64)>,
}

/// Partner keys handed out in memory, inserted with the rows.
#[derive(Default)]
struct PartnerKeys {
    keys: HashMap<PartnerId, i64>,
    order: Vec<PartnerId>,
}

impl PartnerKeys {
    fn key(&mut self, id: PartnerId) -> i64 {
        *self.keys.entry(id).or_insert_with(|| {
            self.order.push(id);
            self.order.len() as i64
        })
    }

    fn keys<const N: usize>(&mut self, ids: [PartnerId; N]) -> Vec<i64> {
        let set: BTreeSet<i64> = ids.into_iter().map(|id| self.key(id)).collect();
        set.into_iter().collect()
    }
}

fn change<T: Serialize>(
    entity: Entity,
    id: String,
    value: &T,
    partners: Vec<i64>,
) -> Result<NewChange, StoreError> {
    Ok(NewChange {
        entity,
        id,
        data: serde_json::to_string(value)?,
        customer: None,
        partners,
        copies: BTreeMap::new(),
        public: false,
        ledger: None,
    })
}

/// The copies of a customer its former partners keep (see `changes::customer_visibility`): a
/// partner it moved away from sees it as it was after that move, except the partner of its latest
/// move, which sees the customer as it is (the move is the last change it saw).
fn former_copies(
    c: &program::contract::Customer,
    chain: &[CustomerMigration],
    as_of: NaiveDate,
    keys: &mut PartnerKeys,
) -> Result<BTreeMap<i64, String>, StoreError> {
    let moves: Vec<&CustomerMigration> = chain.iter().filter(|m| m.effective_on <= as_of).collect();
    let mut copies = BTreeMap::new();
    if let Some((last, earlier)) = moves.split_last() {
        for m in earlier {
            let then = program::contract::Customer {
                partner_id: m.to_partner,
                ..c.clone()
            };
            copies.insert(keys.key(m.from_partner), serde_json::to_string(&then)?);
        }
        copies.remove(&keys.key(last.from_partner));
        copies.remove(&keys.key(c.partner_id));
    }
    Ok(copies)
}

/// The dataset's rows in feed order: partners, catalog, territories (and the territory map's
/// claims), customers, migrations, deployments, NPS responses, deals, then the ledger in time
/// order.
fn rows(
    data: &Dataset,
    keys: &mut PartnerKeys,
    as_of: NaiveDate,
) -> Result<Vec<NewChange>, StoreError> {
    let mut rows = Vec::with_capacity(
        data.partners.len()
            + data.catalog.len()
            + data.territories.len()
            + data.customers.len()
            + data.migrations.len()
            + data.deployments.len()
            + data.nps.len()
            + data.deals.len()
            + data.ledger.len(),
    );
    for p in &data.partners {
        super::rules::partner(p, None, as_of)?;
        rows.push(change(
            Entity::Partner,
            p.id.to_string(),
            p,
            keys.keys([p.id]),
        )?);
    }
    for item in &data.catalog {
        let mut row = change(Entity::CatalogItem, item.sku.clone(), item, Vec::new())?;
        row.public = true;
        rows.push(row);
    }
    let partner = |id: PartnerId| data.partners.iter().find(|p| p.id == id);
    for (i, t) in data.territories.iter().enumerate() {
        super::rules::territory(t, partner(t.partner_id), &data.territories[..i], |o| {
            partner(o.partner_id)
        })?;
        rows.push(change(
            Entity::Territory,
            t.id.to_string(),
            t,
            keys.keys([t.partner_id]),
        )?);
        if let Some(claim) = partner(t.partner_id).and_then(|p| TerritoryClaim::of(t, p)) {
            let mut row = change(Entity::TerritoryClaim, t.id.to_string(), &claim, Vec::new())?;
            row.public = true;
            rows.push(row);
        }
    }
    let mut migrated: BTreeMap<_, Vec<PartnerId>> = BTreeMap::new();
    for m in &data.migrations {
        migrated
            .entry(m.customer_id)
            .or_default()
            .extend([m.from_partner, m.to_partner]);
    }
    let partners: HashMap<PartnerId, &program::contract::Partner> =
        data.partners.iter().map(|p| (p.id, p)).collect();
    let customers: HashMap<_, _> = data.customers.iter().map(|c| (c.id, c)).collect();
    let mut latest = HashMap::with_capacity(data.migrations.len());
    for m in &data.migrations {
        let entry = latest.entry(m.customer_id).or_insert(m);
        if (m.effective_on, m.id) > (entry.effective_on, entry.id) {
            *entry = m;
        }
    }
    for m in &data.migrations {
        super::rules::loaded_migration(
            m,
            customers.get(&m.customer_id).copied(),
            partners.get(&m.to_partner).copied(),
            latest.get(&m.customer_id).is_some_and(|l| l.id == m.id),
            as_of,
        )?;
    }
    let mut chains: HashMap<_, Vec<CustomerMigration>> = HashMap::new();
    for m in &data.migrations {
        chains.entry(m.customer_id).or_default().push(m.clone());
    }
    for chain in chains.values_mut() {
        chain.sort_by_key(|m| (m.effective_on, m.id));
    }
    let mut partner_of = HashMap::with_capacity(data.customers.len());
    for c in &data.customers {
        super::rules::customer(c, partners.get(&c.partner_id).copied(), None)?;
        partner_of.insert(c.id, c.partner_id);
        let mut partners: BTreeSet<i64> = [keys.key(c.partner_id)].into();
        for p in migrated.get(&c.id).into_iter().flatten() {
            partners.insert(keys.key(*p));
        }
        let mut row = change(
            Entity::Customer,
            c.id.to_string(),
            c,
            partners.into_iter().collect(),
        )?;
        let chain = chains.get(&c.id).map_or(&[][..], Vec::as_slice);
        row.copies = former_copies(c, chain, as_of, keys)?;
        rows.push(row);
    }
    for m in &data.migrations {
        let mut row = change(
            Entity::CustomerMigration,
            m.id.to_string(),
            m,
            keys.keys([m.from_partner, m.to_partner]),
        )?;
        row.customer = Some(m.customer_id.to_string());
        rows.push(row);
    }
    let catalog: HashMap<&str, &program::contract::CatalogItem> =
        data.catalog.iter().map(|i| (i.sku.as_str(), i)).collect();
    for d in &data.deployments {
        super::rules::deployment(
            d,
            customers.get(&d.customer_id).copied(),
            chains.get(&d.customer_id).map_or(&[][..], Vec::as_slice),
            |id| partners.get(&id).copied(),
            catalog.get(d.sku.as_str()).copied(),
        )?;
        let partners = match partner_of.get(&d.customer_id) {
            Some(current) => keys.keys([d.partner_id, *current]),
            None => keys.keys([d.partner_id]),
        };
        let mut row = change(Entity::Deployment, d.id.to_string(), d, partners)?;
        row.customer = Some(d.customer_id.to_string());
        rows.push(row);
    }
    for n in &data.nps {
        rows.push(change(
            Entity::NpsResponse,
            n.id.to_string(),
            n,
            keys.keys([n.partner_id]),
        )?);
    }
    for d in &data.deals {
        rows.push(change(
            Entity::Deal,
            d.id.to_string(),
            d,
            keys.keys([d.partner_id]),
        )?);
    }
    for e in &data.ledger {
        e.validate().map_err(|err| StoreError::Invalid {
            entity: Entity::LedgerEntry,
            reason: format!("{}: {err}", e.id),
        })?;
        let pix = keys.key(e.partner_id);
        let mut row = change(Entity::LedgerEntry, e.id.to_string(), e, vec![pix])?;
        let minor = e.credits.minor().map_err(|err| StoreError::Invalid {
            entity: Entity::LedgerEntry,
            reason: format!("{}: {err}", e.id),
        })?;
        row.ledger = Some((pix, minor));
        rows.push(row);
    }
    Ok(rows)
}

/// Rows per multi-row insert, well under SQLite's 32,766 bound parameters per statement.
const CHANGE_CHUNK: usize = 2_000;
const PAIR_CHUNK: usize = 8_000;

pub(super) async fn load(
    conn: &mut SqliteConnection,
    data: &Dataset,
    seed: u64,
    as_of: NaiveDate,
) -> Result<(), StoreError> {
    let head: i64 = sqlx::query_scalar("SELECT head FROM feed WHERE id = 1")
        .fetch_one(&mut *conn)
        .await?;
    if head != 0 {
        return Err(StoreError::NotEmpty);
    }
    let mut keys = PartnerKeys::default();
    let rows = rows(data, &mut keys, as_of)?;

    for (chunk_no, chunk) in keys.order.chunks(PAIR_CHUNK).enumerate() {
        let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO partner_keys (ix, id) ");
        q.push_values(chunk.iter().enumerate(), |mut b, (i, id)| {
            b.push_bind((chunk_no * PAIR_CHUNK + i + 1) as i64)
                .push_bind(id.to_string());
        });
        q.build().persistent(false).execute(&mut *conn).await?;
    }

    // seq = position in `rows` + 1.
    for (chunk_no, chunk) in rows.chunks(CHANGE_CHUNK).enumerate() {
        let first = (chunk_no * CHANGE_CHUNK) as i64 + 1;
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO changes (seq, entity, id, op, version, data, public, customer) ",
        );
        q.push_values(chunk.iter().enumerate(), |mut b, (i, row)| {
            b.push_bind(first + i as i64)
                .push_bind(row.entity.as_str())
                .push_bind(row.id.as_str())
                .push("'upsert'")
                .push("1")
                .push_bind(row.data.as_str())
                .push_bind(row.public)
                .push_bind(row.customer.as_deref());
        });
        q.build().persistent(false).execute(&mut *conn).await?;
    }

    let visibility: Vec<(i64, i64, Option<&str>)> = rows
        .iter()
        .enumerate()
        .flat_map(|(i, row)| {
            row.partners
                .iter()
                .map(move |pix| (i as i64 + 1, *pix, row.copies.get(pix).map(String::as_str)))
        })
        .collect();
    for chunk in visibility.chunks(PAIR_CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO change_partners (seq, pix, data) ");
        q.push_values(chunk, |mut b, (seq, pix, copy)| {
            b.push_bind(*seq).push_bind(*pix).push_bind(*copy);
        });
        q.build().persistent(false).execute(&mut *conn).await?;
    }

    for chunk in data.customers.chunks(PAIR_CHUNK / 2) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO customer_keys (customer_id, partner_id, company_key, domain_key) ",
        );
        q.push_values(chunk, |mut b, c| {
            let keys = KnownCustomer::of(c);
            b.push_bind(c.id.to_string())
                .push_bind(c.partner_id.to_string())
                .push_bind(keys.prospect.company)
                .push_bind(keys.prospect.domain);
        });
        q.build().persistent(false).execute(&mut *conn).await?;
    }

    let mut running: HashMap<i64, (i64, i64)> = HashMap::new();
    let totals: Vec<(i64, i64, i64, i64)> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, row)| {
            let (pix, minor) = row.ledger?;
            let t = running.entry(pix).or_default();
            *t = (t.0 + 1, t.1 + minor);
            Some((pix, i as i64 + 1, t.0, t.1))
        })
        .collect();
    for chunk in totals.chunks(PAIR_CHUNK / 2) {
        let mut q =
            QueryBuilder::<Sqlite>::new("INSERT INTO ledger_totals (pix, seq, entries, balance) ");
        q.push_values(chunk, |mut b, (pix, seq, entries, balance)| {
            b.push_bind(*pix)
                .push_bind(*seq)
                .push_bind(*entries)
                .push_bind(*balance);
        });
        q.build().persistent(false).execute(&mut *conn).await?;
    }

    super::prospects::index_open_deals(conn).await?;

    sqlx::query("UPDATE feed SET head = ?, horizon = 0, as_of = ?, seed = ? WHERE id = 1")
        .bind(rows.len() as i64)
        .bind(as_of)
        .bind(seed as i64)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
