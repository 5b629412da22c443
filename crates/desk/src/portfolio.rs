//! The portfolio: every partner in the user's scope, with the figures the list shows.
//!
//! Answers from the local cache only. Balances are summed in integer hundredths of a credit, so
//! they are exact; active customers count customers of record with a deployment active on the
//! workspace's as-of date.

use chrono::NaiveDate;
use program::contract::PartnerId;
use program::{Brand, Credits, Currency, Region, Tier};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use program::progression::{outlook, Outlook, ProgressionPolicy};
use rust_decimal::Decimal;

use crate::error::{DeskError, Result};
use crate::metrics;
use crate::store::Store;
use crate::views::{PortfolioQuery, PortfolioRow, PortfolioSort};

/// Longest search text accepted; longer input is a mistake, not a query.
pub const MAX_SEARCH_LEN: usize = 200;

const SELECT: &str = ") \
SELECT p.id, p.name, p.tier, p.discount_rate, p.region, p.country, p.currency,
       (SELECT group_concat(brand, ',') FROM partner_brands b WHERE b.partner_id = p.id) AS brands,
       (SELECT count(*) FROM customers c
         WHERE c.partner_id = p.id
           AND EXISTS (SELECT 1 FROM deployments d, as_of
                        WHERE d.customer_id = c.id AND d.started_on <= as_of.day
                          AND (d.ended_on IS NULL OR d.ended_on > as_of.day))) AS active_customers,
       (SELECT coalesce(sum(l.credits_minor), 0) FROM ledger_entries l
         WHERE l.partner_id = p.id) AS balance_minor,
       EXISTS (SELECT 1 FROM territories t
                WHERE t.partner_id = p.id AND t.exclusivity <> 'none') AS exclusive
FROM partners p
WHERE 1 = 1";

fn base(as_of: NaiveDate) -> QueryBuilder<'static, Sqlite> {
    let mut qb = QueryBuilder::new("WITH as_of(day) AS (SELECT ");
    qb.push_bind(as_of.format("%Y-%m-%d").to_string());
    qb.push(SELECT);
    qb
}

/// Partners matching `q`, in its order.
pub async fn list(
    store: &Store,
    q: &PortfolioQuery,
    as_of: NaiveDate,
) -> Result<Vec<PortfolioRow>> {
    let search = match q.search.as_deref().map(str::trim) {
        Some(s) if s.chars().count() > MAX_SEARCH_LEN => {
            return Err(DeskError::InvalidInput {
                field: "search",
                reason: format!("must be at most {MAX_SEARCH_LEN} characters"),
            })
        }
        Some(s) if !s.is_empty() => Some(s.to_lowercase()),
        _ => None,
    };
    let mut qb = base(as_of);
    if let Some(tier) = q.tier {
        qb.push(" AND p.tier = ").push_bind(tier.as_str());
    }
    if let Some(region) = q.region {
        qb.push(" AND p.region = ").push_bind(region.as_str());
    }
    if let Some(brand) = q.brand {
        qb.push(
            " AND EXISTS (SELECT 1 FROM partner_brands b WHERE b.partner_id = p.id AND b.brand = ",
        )
        .push_bind(brand.name())
        .push(")");
    }
    if let Some(s) = search {
        // instr() on lower() instead of LIKE: no wildcard characters to escape in user input.
        qb.push(" AND instr(lower(p.name), ")
            .push_bind(s)
            .push(") > 0");
    }
    let dir = if q.descending { "DESC" } else { "ASC" };
    let key = match q.sort {
        PortfolioSort::Name => "p.name COLLATE NOCASE",
        PortfolioSort::Tier => {
            "CASE p.tier WHEN 'authorized' THEN 0 WHEN 'specialist' THEN 1 WHEN 'regional' THEN 2 ELSE 3 END"
        }
        // Rates are fractions written "0.xxx": their text order is their numeric order.
        PortfolioSort::Discount => "p.discount_rate",
        PortfolioSort::Region => "p.region",
        PortfolioSort::ActiveCustomers => "active_customers",
        PortfolioSort::Balance => "balance_minor",
        // Computed figures are ordered after the query; name order breaks their ties.
        PortfolioSort::Nps
        | PortfolioSort::Retention
        | PortfolioSort::RecurringVolume
        | PortfolioSort::Runway => "p.name COLLATE NOCASE",
    };
    qb.push(format_args!(
        " ORDER BY {key} {dir}, p.name COLLATE NOCASE ASC, p.id ASC"
    ));
    let rows = qb.build().fetch_all(store.pool()).await?;
    let mut rows = rows.iter().map(portfolio_row).collect::<Result<Vec<_>>>()?;
    let figures = metrics::figures(store, as_of, None).await?;
    let policy = policy(store).await?;
    for row in &mut rows {
        attach(row, figures.get(&row.id), &policy);
    }
    rows.retain(|r| {
        (!q.eligible_only || r.eligible_for_upgrade)
            && (!q.exclusive_only || r.exclusive_territory)
            && q.runway_below_days
                .is_none_or(|limit| r.runway_days.is_some_and(|d| d < limit))
    });
    sort_by_figures(&mut rows, q.sort, q.descending);
    Ok(rows)
}

/// The progression policy: as the central API last sent it, else the reference policy.
pub async fn policy(store: &Store) -> Result<ProgressionPolicy> {
    Ok(store
        .get_state(crate::sync::PROGRAM_POLICY)
        .await?
        .and_then(|json| serde_json::from_str::<program::contract::ProgramPolicy>(&json).ok())
        .map_or_else(ProgressionPolicy::reference, |p| p.progression))
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

/// Orders by a computed figure (the SQL order stays for the other columns). Unknown values
/// (no NPS, no retention, no runway) sort last either way.
fn sort_by_figures(rows: &mut [PortfolioRow], sort: PortfolioSort, descending: bool) {
    let key = |r: &PortfolioRow| -> Option<Decimal> {
        match sort {
            PortfolioSort::Nps => r.nps.map(Decimal::from),
            PortfolioSort::Retention => r.retention.as_deref().and_then(|v| v.parse().ok()),
            PortfolioSort::RecurringVolume => r.recurring_volume.parse().ok(),
            PortfolioSort::Runway => r.runway_days.map(Decimal::from),
            _ => None,
        }
    };
    if !matches!(
        sort,
        PortfolioSort::Nps
            | PortfolioSort::Retention
            | PortfolioSort::RecurringVolume
            | PortfolioSort::Runway
    ) {
        return;
    }
    rows.sort_by(|a, b| match (key(a), key(b)) {
        (Some(x), Some(y)) if descending => y.cmp(&x),
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
}

/// One partner's portfolio row.
pub async fn row(store: &Store, id: PartnerId, as_of: NaiveDate) -> Result<PortfolioRow> {
    let mut qb = base(as_of);
    qb.push(" AND p.id = ").push_bind(id.to_string());
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
        nps: None,
        nps_responses: 0,
        retention: None,
        recurring_volume: "0.00".into(),
        runway_days: None,
        eligible_for_upgrade: false,
        exclusive_territory: r.try_get("exclusive")?,
    })
}
