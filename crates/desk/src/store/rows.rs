//! Rows written to the mirror: upserts, and marking the partners whose figures they change.

use std::collections::BTreeSet;

use program::contract::{
    CatalogItem, Customer, Dataset, Deployment, LedgerEntry, NpsResponse, Partner, PartnerId,
    Territory,
};
use program::deals::{Deal, TerritoryClaim};
use program::migration::CustomerMigration;
use program::quotes::Quote;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::error::{DeskError, Result};

use super::chunks::{delete_where_in, execute_in_chunks, insert_chunked, CHUNK};

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
        let mut out = self.touched_partners_but_by_customers();
        out.extend(self.customers.iter().map(|(r, _)| r.partner_id));
        out
    }

    /// [`Rows::touched_partners`] but for the holders of the customer rows, which a sync page
    /// marks itself: a customer's figures follow its holder, not its name (see
    /// [`mark_holders_dirty`] and [`mark_search_dirty`]).
    pub fn touched_partners_but_by_customers(&self) -> BTreeSet<PartnerId> {
        let mut out = BTreeSet::new();
        out.extend(self.partners.iter().map(|(r, _)| r.id));
        out.extend(self.territories.iter().map(|(r, _)| r.partner_id));
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

/// What a mark in `figures_dirty` asks a refresh (`crate::figures`) for, when SQL writes it.
const FIGURES_AND_SEARCH: &str = "ON CONFLICT (partner_id) DO UPDATE SET figures = 1";

/// Marks `partners`' figures (and search documents) for a refresh (see `crate::figures`), in the
/// caller's transaction.
pub(crate) async fn mark_figures_dirty(
    conn: &mut SqliteConnection,
    partners: &BTreeSet<PartnerId>,
) -> Result<()> {
    mark(conn, partners, true).await
}

/// Marks `partners`' search documents for a refresh, their figures standing (unless already
/// marked), in the caller's transaction.
pub(crate) async fn mark_search_dirty(
    conn: &mut SqliteConnection,
    partners: &BTreeSet<PartnerId>,
) -> Result<()> {
    mark(conn, partners, false).await
}

async fn mark(
    conn: &mut SqliteConnection,
    partners: &BTreeSet<PartnerId>,
    figures: bool,
) -> Result<()> {
    let ids: Vec<String> = partners.iter().map(ToString::to_string).collect();
    for chunk in ids.chunks(CHUNK) {
        let mut qb: QueryBuilder<Sqlite> =
            QueryBuilder::new("INSERT INTO figures_dirty (partner_id, figures) ");
        qb.push_values(chunk, |mut b, id| {
            b.push_bind(id.as_str()).push_bind(figures);
        });
        qb.push(if figures {
            FIGURES_AND_SEARCH
        } else {
            "ON CONFLICT (partner_id) DO NOTHING"
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
    // (An upsert from a SELECT needs a WHERE of its own: `WHERE true`.)
    execute_in_chunks(
        conn,
        &format!(
            "INSERT INTO figures_dirty (partner_id) \
             SELECT partner_id FROM (SELECT {column} AS partner_id FROM {table} WHERE id IN ("
        ),
        ids,
        &format!(")) WHERE true {FIGURES_AND_SEARCH}"),
    )
    .await
}

/// Whose customers [`mark_holders_dirty`] is given.
#[derive(Debug, Clone, Copy)]
pub(crate) enum HoldersOf {
    /// Customer ids.
    Customers,
    /// Deployment ids: their customers, as the mirror holds them.
    Deployments,
}

/// Marks for a refresh every partner a customer's activity counts for: the partner holding it in
/// the mirror and both sides of each of its migrations. A customer is active, and retained, for
/// the partner that held it on the day (`crate::metrics`), whoever made its deployments.
pub(crate) async fn mark_holders_dirty(
    conn: &mut SqliteConnection,
    of: HoldersOf,
    ids: &[String],
) -> Result<()> {
    let customers = match of {
        HoldersOf::Customers => "SELECT value FROM json_each(?1)",
        HoldersOf::Deployments => {
            "SELECT customer_id FROM deployments WHERE id IN (SELECT value FROM json_each(?1))"
        }
    };
    let sql = format!(
        "WITH c (id) AS ({customers}) \
         INSERT INTO figures_dirty (partner_id) SELECT p FROM (\
         SELECT partner_id AS p FROM customers WHERE id IN (SELECT id FROM c) \
         UNION SELECT from_partner_id FROM customer_migrations WHERE customer_id IN (SELECT id FROM c) \
         UNION SELECT to_partner_id FROM customer_migrations WHERE customer_id IN (SELECT id FROM c)\
         ) WHERE true {FIGURES_AND_SEARCH}"
    );
    for chunk in ids.chunks(CHUNK) {
        let json =
            serde_json::to_string(chunk).map_err(|e| DeskError::Corrupt(format!("ids: {e}")))?;
        sqlx::query(&sql).bind(json).execute(&mut *conn).await?;
    }
    Ok(())
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
        "INSERT INTO partners (id, name, tier, discount_rate, country, region, currency, joined_on, account_manager, tier_history, logo, version) ",
        " ON CONFLICT (id) DO UPDATE SET name = excluded.name, tier = excluded.tier, \
         discount_rate = excluded.discount_rate, country = excluded.country, region = excluded.region, \
         currency = excluded.currency, joined_on = excluded.joined_on, \
         account_manager = excluded.account_manager, tier_history = excluded.tier_history, \
         logo = excluded.logo, version = excluded.version",
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
                .push_bind(tier_history(&p.tier_history))
                .push_bind(p.logo.clone())
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
        "INSERT INTO territories (id, partner_id, region, country, exclusivity, version, \
         subdivisions) ",
        " ON CONFLICT (id) DO UPDATE SET partner_id = excluded.partner_id, region = excluded.region, \
         country = excluded.country, exclusivity = excluded.exclusivity, version = excluded.version, \
         subdivisions = excluded.subdivisions",
        &data.territories,
        |b, (t, version)| {
            b.push_bind(t.id.to_string())
                .push_bind(t.partner_id.to_string())
                .push_bind(t.region.as_str())
                .push_bind(t.country.map(|c| c.code().to_string()))
                .push_bind(exclusivity(t.exclusivity))
                .push_bind(*version)
                .push_bind(subdivisions(&t.subdivisions));
        },
    )
    .await?;
    insert_chunked(
        conn,
        "INSERT INTO territory_claims (id, holder, holder_tier, region, country, exclusivity, \
         version, subdivisions) ",
        " ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, holder_tier = excluded.holder_tier, \
         region = excluded.region, country = excluded.country, exclusivity = excluded.exclusivity, \
         version = excluded.version, subdivisions = excluded.subdivisions",
        &data.claims,
        |b, (c, version)| {
            b.push_bind(c.id.to_string())
                .push_bind(c.holder.clone())
                .push_bind(c.holder_tier.as_str())
                .push_bind(c.region.as_str())
                .push_bind(c.country.map(|c| c.code().to_string()))
                .push_bind(exclusivity(c.exclusivity))
                .push_bind(*version)
                .push_bind(subdivisions(&c.subdivisions));
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
        // Amounts in a page are bounded as they are decoded (`Credits`, `Money`), so `minor()`
        // holds them; were one not, its NOT NULL column would refuse the row, not store a NULL.
        |b, (c, version)| {
            b.push_bind(c.sku.clone())
                .push_bind(c.name.clone())
                .push_bind(catalog_kind(c.kind))
                .push_bind(c.list_price.minor().ok())
                .push_bind(c.billing.as_str())
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
        "INSERT INTO customers (id, partner_id, name, country, brand, founder, created_on, version, \
         domain, company_key, domain_key, subdivision) ",
        " ON CONFLICT (id) DO UPDATE SET partner_id = excluded.partner_id, name = excluded.name, \
         country = excluded.country, brand = excluded.brand, founder = excluded.founder, \
         created_on = excluded.created_on, version = excluded.version, domain = excluded.domain, \
         company_key = excluded.company_key, domain_key = excluded.domain_key, \
         subdivision = excluded.subdivision",
        &data.customers,
        |b, (c, version)| {
            let keys = program::deals::KnownCustomer::of(c).prospect;
            b.push_bind(c.id.to_string())
                .push_bind(c.partner_id.to_string())
                .push_bind(c.name.clone())
                .push_bind(c.country.code().to_string())
                .push_bind(c.brand.name())
                .push_bind(c.founder.clone())
                .push_bind(date(c.created_on))
                .push_bind(*version)
                .push_bind(c.domain.clone())
                .push_bind(keys.company)
                .push_bind(keys.domain)
                .push_bind(c.subdivision.map(String::from));
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
                .push_bind(d.billing.as_str())
                .push_bind(d.credits.minor().ok())
                .push_bind(date(d.started_on))
                .push_bind(d.ended_on.map(date))
                .push_bind(*version);
        },
    )
    .await?;
    // The ledger is append-only: a line the mirror already holds is never rewritten.
    let ledger_inserted = insert_chunked(
        conn,
        "INSERT INTO ledger_entries (id, partner_id, at, kind, credits_minor, fiat_minor, fiat_currency, rate, deployment_id, customer_id, billing, reason) ",
        " ON CONFLICT (id) DO NOTHING",
        &data.ledger,
        |b, l| {
            b.push_bind(l.id.to_string())
                .push_bind(l.partner_id.to_string())
                .push_bind(l.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .push_bind(l.kind.as_str())
                .push_bind(l.credits.minor().ok())
                .push_bind(l.fiat.and_then(|m| m.minor().ok()))
                .push_bind(l.fiat.map(|m| m.currency.code()))
                .push_bind(l.rate.map(|r| r.to_string()))
                .push_bind(l.deployment_id.map(|d| d.to_string()))
                .push_bind(l.customer_id.map(|c| c.to_string()))
                .push_bind(l.billing.map(program::contract::Billing::as_str))
                .push_bind(l.reason.map(program::contract::AdjustmentReason::as_str));
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

fn catalog_kind(k: program::contract::CatalogKind) -> &'static str {
    use program::contract::CatalogKind::*;
    match k {
        CoreBundle => "core_bundle",
        Skill => "skill",
        Pack => "pack",
    }
}

/// A territory's subdivisions as the cache keeps them: a JSON array of ISO 3166-2 codes.
pub(crate) fn subdivisions(list: &[program::Subdivision]) -> String {
    serde_json::to_string(list).expect("codes serialize")
}

/// A partner's tier history as the cache keeps it: a JSON array of `{"tier", "on"}` steps.
fn tier_history(history: &[program::TierChange]) -> String {
    serde_json::to_string(history).expect("tiers and dates serialize")
}
