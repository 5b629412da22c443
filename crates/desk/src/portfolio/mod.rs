//! The portfolio: every partner in the user's scope, with the figures the list shows, filtered,
//! sorted and paged in SQL over `partner_figures` (see `crate::figures`), and the search box over
//! partners and customers (SQLite FTS5).
//!
//! `partner` is one partner's page: its figures, territories, benefits and progression.
//!
//! Answers from the local cache only. Balances are summed in integer hundredths of a credit, so
//! they are exact; active customers count customers of record with a deployment active on the
//! workspace's as-of date.

use program::contract::PartnerId;
use program::{Brand, Credits, Currency, Region, Tier};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use program::progression::{outlook, Outlook, ProgressionPolicy};

pub mod partner;

use crate::error::{DeskError, Result};
use crate::figures;
use crate::metrics;
use crate::store::Store;
use crate::views::{
    PortfolioPage, PortfolioQuery, PortfolioRow, PortfolioSort, SearchHit, SearchKind,
};

/// Longest search text accepted; longer input is a mistake, not a query.
pub const MAX_SEARCH_LEN: usize = 200;
/// Rows per portfolio page when the query sets no limit; the most a page may ask for.
pub const DEFAULT_PAGE: u32 = 100;
pub const MAX_PAGE: u32 = 1_000;
/// Hits of each kind the search box lists.
pub const SEARCH_HITS: u32 = 8;
/// Matches of each kind the search box considers before ordering them.
const CANDIDATES: i64 = 200;

/// A portfolio row, from `partner_figures f`: each partner's figures beside its own columns,
/// with an index per sort order (see `crate::figures`).
const ROWS: &str = "\
SELECT f.partner_id AS id, f.name, f.tier, f.discount_rate, f.region, f.country, f.currency,
       f.brands, f.active_customers, f.balance_minor, f.nps, f.nps_responses, f.retention,
       f.recurring_minor, f.runway_days, f.eligible, f.exclusive
FROM partner_figures f WHERE 1 = 1";

/// What the user typed in a search box, made safe for FTS5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchText {
    /// Nothing typed: no filter.
    Everything,
    /// Only characters no name is indexed by (`%_`, `*`): nothing can match.
    Nothing,
    /// An FTS5 query: every word, as a prefix, must match (an "and" of prefixes). Each word is
    /// quoted, so no input is FTS syntax: quotes, `*`, `-`, `OR`, `NEAR` are taken literally.
    Match(String),
}

impl SearchText {
    pub fn parse(text: &str) -> Result<SearchText> {
        let text = text.trim();
        if text.chars().count() > MAX_SEARCH_LEN {
            return Err(DeskError::InvalidInput {
                field: "search",
                reason: format!("must be at most {MAX_SEARCH_LEN} characters"),
            });
        }
        if text.is_empty() {
            return Ok(SearchText::Everything);
        }
        let words: Vec<String> = text
            .split_whitespace()
            // A word without a letter or digit matches nothing the tokenizer indexes.
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
            .collect();
        Ok(if words.is_empty() {
            SearchText::Nothing
        } else {
            SearchText::Match(words.join(" "))
        })
    }
}

/// Partners matching `q`, in its order, one page of them, with the count of all that match.
pub async fn list(store: &Store, q: &PortfolioQuery) -> Result<PortfolioPage> {
    figures::refresh(store).await?;
    let search = SearchText::parse(q.search.as_deref().unwrap_or_default())?;
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(DeskError::InvalidInput {
            field: "limit",
            reason: format!("must be between 1 and {MAX_PAGE}"),
        });
    }
    let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(ROWS);
    push_filters(&mut qb, q, search.clone());
    let dir = if q.descending { "DESC" } else { "ASC" };
    let (key, nullable) = match q.sort {
        PortfolioSort::Name => ("f.name COLLATE NOCASE", false),
        PortfolioSort::Tier => ("f.tier_rank", false),
        // Rates are fractions written "0.xxx": their text order is their numeric order.
        PortfolioSort::Discount => ("f.discount_rate", false),
        PortfolioSort::Region => ("f.region", false),
        PortfolioSort::ActiveCustomers => ("f.active_customers", false),
        PortfolioSort::Balance => ("f.balance_minor", false),
        PortfolioSort::Nps => ("f.nps", true),
        // Fractions in [0, 1] written "0.xxxx" or "1": text order is numeric order.
        PortfolioSort::Retention => ("f.retention", true),
        PortfolioSort::RecurringVolume => ("f.recurring_minor", false),
        PortfolioSort::Runway => ("f.runway_days", true),
    };
    // Unknown figures (no NPS, no retention, no runway) sort last either way; name, then id,
    // break ties so pages never overlap. Each order is an index's (`figures_by_*`), read
    // backwards when descending, so a page is read off it.
    let ties = if q.descending {
        "f.name COLLATE NOCASE DESC, f.partner_id DESC"
    } else {
        "f.name COLLATE NOCASE ASC, f.partner_id ASC"
    };
    let order = if nullable {
        format!("ORDER BY ({key}) IS NULL, {key} {dir}, {ties}")
    } else if q.sort == PortfolioSort::Name {
        format!("ORDER BY {key} {dir}, f.partner_id {dir}")
    } else {
        format!("ORDER BY {key} {dir}, {ties}")
    };
    qb.push(format_args!(" {order} LIMIT "))
        .push_bind(i64::from(limit))
        .push(" OFFSET ")
        .push_bind(i64::from(q.offset));
    let rows = qb.build().fetch_all(store.pool()).await?;
    // A short page says how many match by itself (unless it is past the end); otherwise the
    // count, on its own: a window count over the page query would sort every match.
    let total: i64 = if rows.len() < limit as usize && (!rows.is_empty() || q.offset == 0) {
        i64::from(q.offset) + rows.len() as i64
    } else {
        let mut count: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT count(*) FROM partner_figures f WHERE 1 = 1");
        push_filters(&mut count, q, search);
        count.build_query_scalar().fetch_one(store.pool()).await?
    };
    Ok(PortfolioPage {
        rows: rows.iter().map(portfolio_row).collect::<Result<Vec<_>>>()?,
        total: u32::try_from(total).unwrap_or(u32::MAX),
    })
}

/// Appends `q`'s filters (` AND …`) to a query over `partner_figures f`.
fn push_filters(qb: &mut QueryBuilder<'_, Sqlite>, q: &PortfolioQuery, search: SearchText) {
    if let Some(tier) = q.tier {
        qb.push(" AND f.tier = ").push_bind(tier.as_str());
    }
    if let Some(region) = q.region {
        qb.push(" AND f.region = ").push_bind(region.as_str());
    }
    if let Some(brand) = q.brand {
        qb.push(
            " AND EXISTS (SELECT 1 FROM partner_brands b \
             WHERE b.partner_id = f.partner_id AND b.brand = ",
        )
        .push_bind(brand.name())
        .push(")");
    }
    if search == SearchText::Nothing {
        qb.push(" AND 0");
    }
    if let SearchText::Match(s) = search {
        // The partner's own name or country, or one of its customers' (`partner_search`).
        qb.push(
            " AND f.partner_id IN (SELECT s.partner_id FROM partner_search s WHERE s.rowid IN \
             (SELECT rowid FROM partner_search_fts WHERE partner_search_fts MATCH ",
        )
        .push_bind(s)
        .push("))");
    }
    if q.eligible_only {
        qb.push(" AND f.eligible = 1");
    }
    if q.exclusive_only {
        qb.push(" AND f.exclusive = 1");
    }
    if let Some(days) = q.runway_below_days {
        qb.push(" AND f.runway_days < ").push_bind(i64::from(days));
    }
}

/// Every partner matching `q` (for an export of the whole filtered portfolio).
pub async fn list_all(store: &Store, q: &PortfolioQuery) -> Result<Vec<PortfolioRow>> {
    let mut out = Vec::new();
    loop {
        let page = list(
            store,
            &PortfolioQuery {
                offset: u32::try_from(out.len()).unwrap_or(u32::MAX),
                limit: Some(MAX_PAGE),
                ..q.clone()
            },
        )
        .await?;
        let done = page.rows.len() < MAX_PAGE as usize;
        out.extend(page.rows);
        if done {
            return Ok(out);
        }
    }
}

/// The search box: partners and customers whose name (or country, or a customer's founder)
/// matches every word of `text` as a prefix, up to [`SEARCH_HITS`] of each.
pub async fn search(store: &Store, text: &str) -> Result<Vec<SearchHit>> {
    let SearchText::Match(query) = SearchText::parse(text)? else {
        return Ok(Vec::new());
    };
    // Ranking every match of a two-letter prefix (bm25) costs more than the box can wait, and
    // names are too short for it to mean much: the first CANDIDATES matches in index order are
    // taken instead, then names whose first word starts with what was typed come first, each
    // group alphabetically.
    let first_word = text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_lowercase();
    let order = |hits: &mut Vec<SearchHit>| {
        hits.sort_by_cached_key(|h| {
            let name = h.name.to_lowercase();
            (!name.starts_with(&first_word), name, h.id.clone())
        });
        hits.truncate(SEARCH_HITS as usize);
    };
    let mut partners = Vec::new();
    for r in sqlx::query!(
        "SELECT p.id, p.name, p.country FROM partners_fts \
         JOIN partners p ON p.rowid = partners_fts.rowid \
         WHERE partners_fts MATCH ? LIMIT ?",
        query,
        CANDIDATES
    )
    .fetch_all(store.pool())
    .await?
    {
        partners.push(SearchHit {
            kind: SearchKind::Partner,
            id: r.id.clone(),
            name: r.name.clone(),
            country: r.country,
            partner_id: r.id,
            partner_name: r.name,
        });
    }
    order(&mut partners);
    let mut customers = Vec::new();
    for r in sqlx::query!(
        "SELECT c.id, c.name, c.country, p.id AS partner_id, p.name AS partner_name \
         FROM customers_fts JOIN customers c ON c.rowid = customers_fts.rowid \
         JOIN partners p ON p.id = c.partner_id \
         WHERE customers_fts MATCH ? LIMIT ?",
        query,
        CANDIDATES
    )
    .fetch_all(store.pool())
    .await?
    {
        customers.push(SearchHit {
            kind: SearchKind::Customer,
            id: r.id,
            name: r.name,
            country: r.country,
            partner_id: r.partner_id,
            partner_name: r.partner_name,
        });
    }
    order(&mut customers);
    let mut hits = partners;
    hits.extend(customers);
    Ok(hits)
}

/// Fills a row's figures and its upgrade flag.
pub(crate) fn attach(
    row: &mut PortfolioRow,
    f: Option<&metrics::Figures>,
    policy: &ProgressionPolicy,
) {
    let Some(f) = f else {
        return;
    };
    row.active_customers = f.active_customers;
    row.nps = f.nps.score;
    row.nps_responses = f.nps.responses;
    row.retention = f.retention.rate.map(metrics::fraction);
    row.recurring_volume = format!("{:.2}", f.recurring_volume.amount());
    row.runway_days = f.runway_days;
    row.eligible_for_upgrade = matches!(
        outlook(row.tier, &f.progression(), policy),
        Outlook::EligibleForUpgrade { .. }
    );
}

/// One partner's portfolio row.
pub async fn row(store: &Store, id: PartnerId) -> Result<PortfolioRow> {
    figures::refresh(store).await?;
    let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(ROWS);
    qb.push(" AND f.partner_id = ").push_bind(id.to_string());
    match qb.build().fetch_optional(store.pool()).await? {
        Some(r) => portfolio_row(&r),
        None => Err(DeskError::NotFound {
            what: format!("partner {id}"),
        }),
    }
}

fn corrupt(what: &str, value: &str) -> DeskError {
    DeskError::Corrupt(format!("{what} {value:?}"))
}

fn portfolio_row(r: &SqliteRow) -> Result<PortfolioRow> {
    let id: String = r.try_get("id")?;
    let tier: String = r.try_get("tier")?;
    let region: String = r.try_get("region")?;
    let currency: String = r.try_get("currency")?;
    let brands: Option<String> = r.try_get("brands")?;
    let active: i64 = r.try_get("active_customers")?;
    let balance: i64 = r.try_get("balance_minor")?;
    let mut brands = brands
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| Brand::parse(s).ok_or_else(|| corrupt("brand", s)))
        .collect::<Result<Vec<_>>>()?;
    brands.sort();
    Ok(PortfolioRow {
        id: PartnerId(id.parse().map_err(|_| corrupt("partner id", &id))?),
        name: r.try_get("name")?,
        tier: Tier::parse(&tier).ok_or_else(|| corrupt("tier", &tier))?,
        discount_rate: r.try_get("discount_rate")?,
        region: Region::parse(&region).ok_or_else(|| corrupt("region", &region))?,
        country: r.try_get("country")?,
        brands,
        currency: Currency::parse(&currency).ok_or_else(|| corrupt("currency", &currency))?,
        active_customers: u32::try_from(active)
            .map_err(|_| corrupt("count", &active.to_string()))?,
        credit_balance: Credits::from_minor(balance).amount().to_string(),
        nps: r
            .try_get::<Option<i64>, _>("nps")?
            .and_then(|v| i32::try_from(v).ok()),
        nps_responses: u32::try_from(r.try_get::<i64, _>("nps_responses")?).unwrap_or(0),
        retention: r.try_get("retention")?,
        recurring_volume: format!(
            "{:.2}",
            Credits::from_minor(r.try_get("recurring_minor")?).amount()
        ),
        runway_days: r
            .try_get::<Option<i64>, _>("runway_days")?
            .and_then(|v| u32::try_from(v).ok()),
        eligible_for_upgrade: r.try_get("eligible")?,
        exclusive_territory: r.try_get("exclusive")?,
    })
}
