//! The local SQLite cache: opening it, its schema, and loading a whole workspace into it.
//!
//! The cache lives in the OS app-data folder. It is opened in WAL mode with foreign keys on and a
//! busy timeout, migrated with the embedded migrations, and refused (untouched) when a newer
//! Partner Desk has already migrated it past what this build knows.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use program::contract::{
    CatalogItem, Customer, Dataset, Deployment, LedgerEntry, NpsResponse, Partner, PartnerId,
    Territory,
};
use program::deals::{Deal, TerritoryClaim};
use program::migration::CustomerMigration;
use program::quotes::Quote;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::error::{DeskError, Result};

/// The cache's schema, embedded at compile time from `migrations/`.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// The file name of the cache inside the data folder.
pub const CACHE_FILE: &str = "partner-desk.sqlite3";

/// Ids per `DELETE … WHERE id IN (…)`.
const CHUNK: usize = 500;

/// Rows per multi-row INSERT, largest first. A page is cut into statements of these sizes only,
/// so the same few statement texts repeat and sqlx prepares each once per connection; cutting at
/// one size would leave a remainder of a new size, and a new prepare, at every page. 1,024 rows of
/// the widest table (the ledger) binds 11,264 values, well under SQLite's limit of 32,766; bigger or smaller
/// statements (64 to 2,048 rows) measured the same.
const STATEMENT_ROWS: [usize; 6] = [1_024, 256, 64, 16, 4, 1];

#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    path: PathBuf,
    /// Serialises refreshes of `partner_figures` (see `crate::figures`).
    figures_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl Store {
    /// Opens (creating if needed) the cache at `path` and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .synchronous(SqliteSynchronous::Normal);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        if let Err(e) = refuse_newer_schema(&pool).await {
            pool.close().await;
            return Err(e);
        }
        // Before anything reads the cache, or a migration alters it: a first sync that stopped
        // midway (the process killed) left its secondary indexes dropped.
        restore_indexes_on_open(&pool).await?;
        MIGRATOR.run(&pool).await?;
        Ok(Store {
            pool,
            path: path.to_path_buf(),
            figures_lock: std::sync::Arc::default(),
        })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Whether the cache holds no workspace yet.
    pub async fn is_empty(&self) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM partners")
            .fetch_one(&self.pool)
            .await?;
        Ok(n == 0)
    }

    pub(crate) fn figures_lock(&self) -> &tokio::sync::Mutex<()> {
        &self.figures_lock
    }

    pub async fn get_state(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM sync_state WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn delete_state(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM sync_state WHERE key = ?")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_state(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO sync_state (key, value) VALUES (?, ?) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Loads a whole workspace in one transaction: all of it or none of it.
    pub async fn load_dataset(&self, data: &Dataset, state: &[(&str, String)]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let rows = Rows::of_dataset(data);
        upsert_rows(&mut tx, &rows).await?;
        mark_figures_dirty(&mut tx, &rows.touched_partners()).await?;
        for (key, value) in state {
            sqlx::query("INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)")
                .bind(key)
                .bind(value)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// `sync_state` key: the secondary indexes a first sync dropped, as JSON `[[name, sql], …]`, to
/// be created again when it ends (see [`defer_indexes`]).
pub const DEFERRED_INDEXES: &str = "deferred_indexes";

/// Indexes whose keys the change feed delivers in order within each partner (a partner's ledger
/// lines by time, its NPS answers by day): each new entry lands at the end of its partner's run,
/// one hot page per partner, so keeping them up to date while a first sync writes is cheaper
/// than sorting millions of entries when it ends.
const ARRIVAL_ORDERED: [&str; 2] = ["ledger_partner_at", "nps_partner_on"];

/// Drops the secondary indexes of `tables` and remembers them in `sync_state`, on a connection
/// inside a transaction: the same transaction as the first page of a first sync, so both commit
/// or neither does.
///
/// A first sync fills empty tables, and index entries written row by row at random places cost
/// far more than an index built once, sorted, at the end. [`restore_indexes`] builds them again in
/// the transaction of the sync's last page; if the sync stops before that, the next
/// [`Store::open`] builds them before anything reads the cache, a round that fails builds them
/// before it returns, and a wipe builds them on the empty tables. The primary keys stay: upserts
/// need them, and so do the indexes in [`ARRIVAL_ORDERED`].
pub(crate) async fn defer_indexes(conn: &mut SqliteConnection, tables: &[&str]) -> Result<()> {
    let mut indexes: Vec<(String, String)> = Vec::new();
    for table in tables {
        // `sql` is NULL for the indexes behind PRIMARY KEY and UNIQUE constraints.
        indexes.extend(
            sqlx::query_as::<_, (String, String)>(
                "SELECT name, sql FROM sqlite_master \
                 WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
            )
            .bind(table)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .filter(|(name, _)| !ARRIVAL_ORDERED.contains(&name.as_str())),
        );
    }
    if indexes.is_empty() {
        return Ok(());
    }
    let mut saved: Vec<(String, String)> = deferred(conn).await?.unwrap_or_default();
    for (name, _) in &indexes {
        sqlx::query(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))
            .persistent(false)
            .execute(&mut *conn)
            .await?;
    }
    saved.extend(indexes);
    sqlx::query(
        "INSERT INTO sync_state (key, value) VALUES (?, ?) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(DEFERRED_INDEXES)
    .bind(serde_json::to_string(&saved).map_err(|e| DeskError::Corrupt(e.to_string()))?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The indexes [`defer_indexes`] dropped and no one has built again yet.
async fn deferred(conn: &mut SqliteConnection) -> Result<Option<Vec<(String, String)>>> {
    let saved: Option<String> = sqlx::query_scalar("SELECT value FROM sync_state WHERE key = ?")
        .bind(DEFERRED_INDEXES)
        .fetch_optional(&mut *conn)
        .await?;
    saved
        .map(|json| {
            serde_json::from_str(&json)
                .map_err(|e| DeskError::Corrupt(format!("{DEFERRED_INDEXES}: {e}")))
        })
        .transpose()
}

/// Builds again the indexes [`defer_indexes`] dropped, if any, on a connection inside a
/// transaction. Returns whether there were any.
pub(crate) async fn restore_indexes(conn: &mut SqliteConnection) -> Result<bool> {
    let Some(saved) = deferred(conn).await? else {
        return Ok(false);
    };
    for (name, sql) in &saved {
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?")
                .bind(name)
                .fetch_optional(&mut *conn)
                .await?;
        if exists.is_none() {
            sqlx::query(sql)
                .persistent(false)
                .execute(&mut *conn)
                .await?;
        }
    }
    sqlx::query("DELETE FROM sync_state WHERE key = ?")
        .bind(DEFERRED_INDEXES)
        .execute(&mut *conn)
        .await?;
    Ok(true)
}

/// [`restore_indexes`] for a cache being opened, in its own transaction.
async fn restore_indexes_on_open(pool: &SqlitePool) -> Result<()> {
    if !table_exists(pool, "sync_state").await? {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    if restore_indexes(&mut tx).await? {
        tx.commit().await?;
        tracing::info!("rebuilt the indexes of a first sync that did not finish");
    }
    Ok(())
}

/// Whether the cache has a table `name` (a cache not yet migrated may not).
async fn table_exists(pool: &SqlitePool, name: &str) -> Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
            .bind(name)
            .fetch_optional(pool)
            .await?;
    Ok(found.is_some())
}

/// The highest schema version this build knows.
pub fn known_schema_version() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

async fn refuse_newer_schema(pool: &SqlitePool) -> Result<()> {
    if !table_exists(pool, "_sqlx_migrations").await? {
        return Ok(());
    }
    let found: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
        .fetch_one(pool)
        .await?;
    let known = known_schema_version();
    match found {
        Some(found) if found > known => Err(DeskError::SchemaTooNew { found, known }),
        _ => Ok(()),
    }
}

/// Runs multi-row INSERTs of `rows`, in statements of the sizes in [`STATEMENT_ROWS`]; `tail`
/// follows the VALUES (an upsert clause). Returns the rows written.
async fn insert_chunked<T>(
    conn: &mut SqliteConnection,
    head: &str,
    tail: &str,
    rows: &[T],
    bind: impl Fn(&mut sqlx::query_builder::Separated<'_, '_, Sqlite, &'static str>, &T),
) -> Result<u64> {
    let mut written = 0;
    let mut rest = rows;
    for size in STATEMENT_ROWS {
        while rest.len() >= size {
            let (chunk, after) = rest.split_at(size);
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(head);
            qb.push_values(chunk, |mut b, row| bind(&mut b, row));
            qb.push(tail);
            written += qb.build().execute(&mut *conn).await?.rows_affected();
            rest = after;
        }
    }
    Ok(written)
}

/// Deletes the rows of `table` whose `column` is one of `ids`, a chunk at a time.
pub(crate) async fn delete_where_in(
    conn: &mut SqliteConnection,
    table: &str,
    column: &str,
    ids: &[String],
) -> Result<()> {
    execute_in_chunks(
        conn,
        &format!("DELETE FROM {table} WHERE {column} IN ("),
        ids,
    )
    .await
}

/// Runs `head` followed by a chunk of `ids` as a bound list and `)`, for every chunk of
/// [`CHUNK`] ids (`head` ends with `IN (`).
pub(crate) async fn execute_in_chunks(
    conn: &mut SqliteConnection,
    head: &str,
    ids: &[String],
) -> Result<()> {
    for chunk in ids.chunks(CHUNK) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(head);
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(id.as_str());
        }
        qb.push(")");
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

fn date(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Rows to write to the mirror, borrowed from wherever they were decoded, each versioned one with
/// the server's version of it (0 for a row that has none, such as the demo workspace's).
#[derive(Debug, Default)]
pub(crate) struct Rows<'a> {
    pub partners: Vec<(&'a Partner, i64)>,
    pub territories: Vec<(&'a Territory, i64)>,
    pub customers: Vec<(&'a Customer, i64)>,
    pub deployments: Vec<(&'a Deployment, i64)>,
    pub ledger: Vec<&'a LedgerEntry>,
    pub nps: Vec<&'a NpsResponse>,
    pub catalog: Vec<(&'a CatalogItem, i64)>,
    pub migrations: Vec<&'a CustomerMigration>,
    pub deals: Vec<(&'a Deal, i64)>,
    pub claims: Vec<(TerritoryClaim, i64)>,
    pub quotes: Vec<(&'a Quote, i64)>,
    pub action_items: Vec<(&'a program::qbr::ActionItem, i64)>,
}

impl<'a> Rows<'a> {
    /// A whole dataset, at version 0.
    pub fn of_dataset(data: &'a Dataset) -> Rows<'a> {
        Rows {
            partners: data.partners.iter().map(|r| (r, 0)).collect(),
            territories: data.territories.iter().map(|r| (r, 0)).collect(),
            customers: data.customers.iter().map(|r| (r, 0)).collect(),
            deployments: data.deployments.iter().map(|r| (r, 0)).collect(),
            ledger: data.ledger.iter().collect(),
            nps: data.nps.iter().collect(),
            catalog: data.catalog.iter().map(|r| (r, 0)).collect(),
            migrations: data.migrations.iter().collect(),
            deals: data.deals.iter().map(|r| (r, 0)).collect(),
            quotes: Vec::new(),
            action_items: Vec::new(),
            claims: data
                .territories
                .iter()
                .filter_map(|t| {
                    let holder = data.partners.iter().find(|p| p.id == t.partner_id)?;
                    Some((TerritoryClaim::of(t, holder)?, 0))
                })
                .collect(),
        }
    }
}

impl Rows<'_> {
    /// The partners whose figures (`partner_figures`) these rows count in.
    pub fn touched_partners(&self) -> BTreeSet<PartnerId> {
        let mut out = BTreeSet::new();
        out.extend(self.partners.iter().map(|(r, _)| r.id));
        out.extend(self.territories.iter().map(|(r, _)| r.partner_id));
        out.extend(self.customers.iter().map(|(r, _)| r.partner_id));
        out.extend(self.deployments.iter().map(|(r, _)| r.partner_id));
        out.extend(self.ledger.iter().map(|r| r.partner_id));
        out.extend(self.nps.iter().map(|r| r.partner_id));
        out.extend(self.deals.iter().map(|(r, _)| r.partner_id));
        for m in &self.migrations {
            out.insert(m.from_partner);
            out.insert(m.to_partner);
        }
        out
    }
}

/// Marks `partners`' figures for a refresh (see `crate::figures`), in the caller's transaction.
pub(crate) async fn mark_figures_dirty(
    conn: &mut SqliteConnection,
    partners: &BTreeSet<PartnerId>,
) -> Result<()> {
    let ids: Vec<String> = partners.iter().map(ToString::to_string).collect();
    for chunk in ids.chunks(CHUNK) {
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("INSERT OR IGNORE INTO figures_dirty (partner_id) ");
        qb.push_values(chunk, |mut b, id| {
            b.push_bind(id.as_str());
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Marks for a refresh the partners named in `column` of the rows of `table` whose `id` is in
/// `ids` (rows about to be deleted).
pub(crate) async fn mark_figures_dirty_where_in(
    conn: &mut SqliteConnection,
    table: &str,
    column: &str,
    ids: &[String],
) -> Result<()> {
    execute_in_chunks(
        conn,
        &format!(
            "INSERT OR IGNORE INTO figures_dirty (partner_id) \
             SELECT {column} FROM {table} WHERE id IN ("
        ),
        ids,
    )
    .await
}

/// What [`upsert_rows`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Written {
    /// Ledger lines inserted; fewer than given when the mirror held some already (those are left
    /// as they are: the ledger is append-only).
    pub ledger_inserted: u64,
}

/// Writes `rows`, inserting new rows and replacing existing ones in place (an upsert, never a
/// delete-and-insert, so nothing cascades). Child rows (a partner's brands, an item's brands) are
/// replaced as a set.
pub(crate) async fn upsert_rows(conn: &mut SqliteConnection, data: &Rows<'_>) -> Result<Written> {
    insert_chunked(
        conn,
        "INSERT INTO partners (id, name, tier, discount_rate, country, region, currency, joined_on, account_manager, version) ",
        " ON CONFLICT (id) DO UPDATE SET name = excluded.name, tier = excluded.tier, \
         discount_rate = excluded.discount_rate, country = excluded.country, region = excluded.region, \
         currency = excluded.currency, joined_on = excluded.joined_on, \
         account_manager = excluded.account_manager, version = excluded.version",
        &data.partners,
        |b, (p, version)| {
            b.push_bind(p.id.to_string())
                .push_bind(p.name.clone())
                .push_bind(p.tier.as_str())
                .push_bind(p.discount_rate.to_string())
                .push_bind(p.country.code().to_string())
                .push_bind(p.region().as_str())
                .push_bind(p.currency.code())
                .push_bind(date(p.joined_on))
                .push_bind(p.account_manager.clone())
                .push_bind(*version);
        },
    )
    .await?;
    let partner_ids: Vec<String> = data
        .partners
        .iter()
        .map(|(p, _)| p.id.to_string())
        .collect();
    delete_where_in(conn, "partner_brands", "partner_id", &partner_ids).await?;
    let brands: Vec<_> = data
        .partners
        .iter()
        .flat_map(|(p, _)| p.brands.iter().map(move |b| (p.id, *b)))
        .collect();
    insert_chunked(
        conn,
        "INSERT INTO partner_brands (partner_id, brand) ",
        "",
        &brands,
        |b, (id, brand)| {
            b.push_bind(id.to_string()).push_bind(brand.name());
        },
    )
    .await?;
    insert_chunked(
        conn,
        "INSERT INTO territories (id, partner_id, region, country, exclusivity, version) ",
        " ON CONFLICT (id) DO UPDATE SET partner_id = excluded.partner_id, region = excluded.region, \
         country = excluded.country, exclusivity = excluded.exclusivity, version = excluded.version",
        &data.territories,
        |b, (t, version)| {
            b.push_bind(t.id.to_string())
                .push_bind(t.partner_id.to_string())
                .push_bind(t.region.as_str())
                .push_bind(t.country.map(|c| c.code().to_string()))
                .push_bind(exclusivity(t.exclusivity))
                .push_bind(*version);
        },
    )
    .await?;
    insert_chunked(
        conn,
        "INSERT INTO territory_claims (id, holder, holder_tier, region, country, exclusivity, version) ",
        " ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, holder_tier = excluded.holder_tier, \
         region = excluded.region, country = excluded.country, exclusivity = excluded.exclusivity, \
         version = excluded.version",
        &data.claims,
        |b, (c, version)| {
            b.push_bind(c.id.to_string())
                .push_bind(c.holder.clone())
                .push_bind(c.holder_tier.as_str())
                .push_bind(c.region.as_str())
                .push_bind(c.country.map(|c| c.code().to_string()))
                .push_bind(exclusivity(c.exclusivity))
                .push_bind(*version);
        },
    )
    .await?;
    let deals: Vec<(&Deal, i64, String)> = data
        .deals
        .iter()
        .map(|(d, v)| {
            serde_json::to_string(d)
                .map(|json| (*d, *v, json))
                .map_err(|e| DeskError::Corrupt(format!("deal {}: {e}", d.id)))
        })
        .collect::<Result<_>>()?;
    insert_chunked(
        conn,
        "INSERT INTO deals (id, partner_id, company_key, domain_key, status, stage, registered_at, data, version) ",
        " ON CONFLICT (id) DO UPDATE SET partner_id = excluded.partner_id, \
         company_key = excluded.company_key, domain_key = excluded.domain_key, \
         status = excluded.status, stage = excluded.stage, registered_at = excluded.registered_at, \
         data = excluded.data, version = excluded.version",
        &deals,
        |b, (d, version, json)| {
            b.push_bind(d.id.to_string())
                .push_bind(d.partner_id.to_string())
                .push_bind(program::deals::normalize_company(&d.company))
                .push_bind(d.domain.as_deref().and_then(program::deals::normalize_domain))
                .push_bind(d.status.as_str())
                .push_bind(d.stage.as_str())
                .push_bind(d.registered_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                .push_bind(json.clone())
                .push_bind(*version);
        },
    )
    .await?;
    let quotes: Vec<(&Quote, i64, String)> = data
        .quotes
        .iter()
        .map(|(q, v)| {
            serde_json::to_string(q)
                .map(|json| (*q, *v, json))
                .map_err(|e| DeskError::Corrupt(format!("quote {}: {e}", q.id)))
        })
        .collect::<Result<_>>()?;
    insert_chunked(
        conn,
        "INSERT INTO quotes (id, partner_id, number, revision, status, created_on, data, version) ",
        " ON CONFLICT (id) DO UPDATE SET partner_id = excluded.partner_id, number = excluded.number, \
         revision = excluded.revision, status = excluded.status, created_on = excluded.created_on, \
         data = excluded.data, version = excluded.version",
        &quotes,
        |b, (q, version, json)| {
            b.push_bind(q.id.to_string())
                .push_bind(q.partner_id.to_string())
                .push_bind(q.number.clone())
                .push_bind(i64::from(q.revision))
                .push_bind(q.status.as_str())
                .push_bind(q.created_on.to_string())
                .push_bind(json.clone())
                .push_bind(*version);
        },
    )
    .await?;
    let items: Vec<(&program::qbr::ActionItem, i64, String)> = data
        .action_items
        .iter()
        .map(|(i, v)| {
            serde_json::to_string(i)
                .map(|json| (*i, *v, json))
                .map_err(|e| DeskError::Corrupt(format!("action item {}: {e}", i.id)))
        })
        .collect::<Result<_>>()?;
    insert_chunked(
        conn,
        "INSERT INTO action_items (id, partner_id, quarter, data, version) ",
        " ON CONFLICT (id) DO UPDATE SET partner_id = excluded.partner_id, \
         quarter = excluded.quarter, data = excluded.data, version = excluded.version",
        &items,
        |b, (i, version, json)| {
            b.push_bind(i.id.to_string())
                .push_bind(i.partner_id.to_string())
                .push_bind(i.quarter.to_string())
                .push_bind(json.clone())
                .push_bind(*version);
        },
    )
    .await?;
    insert_chunked(
        conn,
        "INSERT INTO catalog_items (sku, name, kind, price_minor, billing, early_access, version) ",
        " ON CONFLICT (sku) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
         price_minor = excluded.price_minor, billing = excluded.billing, \
         early_access = excluded.early_access, version = excluded.version",
        &data.catalog,
        |b, (c, version)| {
            b.push_bind(c.sku.clone())
                .push_bind(c.name.clone())
                .push_bind(catalog_kind(c.kind))
                .push_bind(c.list_price.minor())
                .push_bind(billing(c.billing))
                .push_bind(c.early_access)
                .push_bind(*version);
        },
    )
    .await?;
    let skus: Vec<String> = data.catalog.iter().map(|(c, _)| c.sku.clone()).collect();
    delete_where_in(conn, "catalog_item_brands", "sku", &skus).await?;
    let item_brands: Vec<_> = data
        .catalog
        .iter()
        .flat_map(|(c, _)| c.brands.iter().map(move |b| (c.sku.clone(), *b)))
        .collect();
    insert_chunked(
        conn,
        "INSERT INTO catalog_item_brands (sku, brand) ",
        "",
        &item_brands,
        |b, (sku, brand)| {
            b.push_bind(sku.clone()).push_bind(brand.name());
        },
    )
    .await?;
    insert_chunked(
        conn,
        "INSERT INTO customers (id, partner_id, name, country, brand, founder, created_on, version) ",
        " ON CONFLICT (id) DO UPDATE SET partner_id = excluded.partner_id, name = excluded.name, \
         country = excluded.country, brand = excluded.brand, founder = excluded.founder, \
         created_on = excluded.created_on, version = excluded.version",
        &data.customers,
        |b, (c, version)| {
            b.push_bind(c.id.to_string())
                .push_bind(c.partner_id.to_string())
                .push_bind(c.name.clone())
                .push_bind(c.country.code().to_string())
                .push_bind(c.brand.name())
                .push_bind(c.founder.clone())
                .push_bind(date(c.created_on))
                .push_bind(*version);
        },
    )
    .await?;
    insert_chunked(
        conn,
        "INSERT INTO deployments (id, customer_id, partner_id, sku, billing, credits_minor, started_on, ended_on, version) ",
        " ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, \
         partner_id = excluded.partner_id, sku = excluded.sku, billing = excluded.billing, \
         credits_minor = excluded.credits_minor, started_on = excluded.started_on, \
         ended_on = excluded.ended_on, version = excluded.version",
        &data.deployments,
        |b, (d, version)| {
            b.push_bind(d.id.to_string())
                .push_bind(d.customer_id.to_string())
                .push_bind(d.partner_id.to_string())
                .push_bind(d.sku.clone())
                .push_bind(billing(d.billing))
                .push_bind(d.credits.minor())
                .push_bind(date(d.started_on))
                .push_bind(d.ended_on.map(date))
                .push_bind(*version);
        },
    )
    .await?;
    // The ledger is append-only: a line the mirror already holds is never rewritten.
    let ledger_inserted = insert_chunked(
        conn,
        "INSERT INTO ledger_entries (id, partner_id, at, kind, credits_minor, fiat_minor, fiat_currency, rate, deployment_id, customer_id, billing) ",
        " ON CONFLICT (id) DO NOTHING",
        &data.ledger,
        |b, l| {
            b.push_bind(l.id.to_string())
                .push_bind(l.partner_id.to_string())
                .push_bind(l.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .push_bind(ledger_kind(l.kind))
                .push_bind(l.credits.minor())
                .push_bind(l.fiat.map(|m| m.minor()))
                .push_bind(l.fiat.map(|m| m.currency.code()))
                .push_bind(l.rate.map(|r| r.to_string()))
                .push_bind(l.deployment_id.map(|d| d.to_string()))
                .push_bind(l.customer_id.map(|c| c.to_string()))
                .push_bind(l.billing.map(billing));
        },
    )
    .await?;
    insert_chunked(
        conn,
        "INSERT INTO nps_responses (id, customer_id, partner_id, answered_on, score) ",
        " ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, \
         partner_id = excluded.partner_id, answered_on = excluded.answered_on, score = excluded.score",
        &data.nps,
        |b, n| {
            b.push_bind(n.id.to_string())
                .push_bind(n.customer_id.to_string())
                .push_bind(n.partner_id.to_string())
                .push_bind(date(n.answered_on))
                .push_bind(i64::from(n.score));
        },
    )
    .await?;
    insert_chunked(
        conn,
        "INSERT INTO customer_migrations (id, customer_id, from_partner_id, to_partner_id, effective_on, initiated_by) ",
        " ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, \
         from_partner_id = excluded.from_partner_id, to_partner_id = excluded.to_partner_id, \
         effective_on = excluded.effective_on, initiated_by = excluded.initiated_by",
        &data.migrations,
        |b, m| {
            let program::migration::Initiator::Founder(name) = &m.initiated_by;
            b.push_bind(m.id.to_string())
                .push_bind(m.customer_id.to_string())
                .push_bind(m.from_partner.to_string())
                .push_bind(m.to_partner.to_string())
                .push_bind(date(m.effective_on))
                .push_bind(name.clone());
        },
    )
    .await?;
    Ok(Written { ledger_inserted })
}

pub(crate) fn exclusivity(e: program::contract::Exclusivity) -> &'static str {
    use program::contract::Exclusivity::*;
    match e {
        None => "none",
        Regional => "regional",
        CountryLevel => "country_level",
    }
}

fn billing(b: program::contract::Billing) -> &'static str {
    match b {
        program::contract::Billing::OneOff => "one_off",
        program::contract::Billing::Monthly => "monthly",
    }
}

fn catalog_kind(k: program::contract::CatalogKind) -> &'static str {
    use program::contract::CatalogKind::*;
    match k {
        CoreBundle => "core_bundle",
        Skill => "skill",
        Pack => "pack",
    }
}

fn ledger_kind(k: program::contract::LedgerKind) -> &'static str {
    use program::contract::LedgerKind::*;
    match k {
        Purchase => "purchase",
        Consumption => "consumption",
        Migration => "migration",
        Adjustment => "adjustment",
    }
}
