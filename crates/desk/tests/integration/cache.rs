//! The local cache against a real SQLite file: how it opens, what it refuses, and that the
//! portfolio and partner page read back exactly what was loaded.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{as_of, demo_desk};

use central_api::demo::{generate, DemoConfig};
use chrono::NaiveDate;
use desk::error::{DeskError, ErrorCode, IpcError};
use desk::store::{cipher, known_schema_version, Store, CACHE_FILE};
use desk::views::{PortfolioQuery, PortfolioSort, WorkspaceKind};
use desk::Desk;
use program::benefits::benefits_of;
use program::contract::PartnerId;
use program::{Credits, Tier};

#[tokio::test]
async fn cache_opens_in_wal_mode_with_foreign_keys_and_a_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join(CACHE_FILE)).await.unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
    assert_eq!(fk, 1);
    assert_eq!(timeout, 5000);
}

#[tokio::test]
async fn money_is_never_stored_as_real() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join(CACHE_FILE)).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        // Plain tables; the search indexes (FTS5 virtual tables and their shadow tables) are
        // SQLite's own and hold no money.
        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert!(tables.len() >= 14, "schema v1 has its tables: {tables:?}");
    for table in tables {
        let types: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT name, type FROM pragma_table_info('{table}')"
        ))
        .fetch_all(store.pool())
        .await
        .unwrap();
        for (column, ty) in types {
            let ty = ty.to_uppercase();
            assert!(
                !(ty.contains("REAL") || ty.contains("FLOA") || ty.contains("DOUB")),
                "{table}.{column} is {ty}"
            );
        }
        let strict: i64 = sqlx::query_scalar("SELECT strict FROM pragma_table_list WHERE name = ?")
            .bind(&table)
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(
            strict, 1,
            "{table} is STRICT, so SQLite refuses a float in an INTEGER column"
        );
    }
}

#[tokio::test]
async fn cache_from_a_newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(CACHE_FILE);
    let store = Store::open(&path).await.unwrap();
    let newer = known_schema_version() + 1;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (?, 'from the future', 1, x'00', 0)",
    )
    .bind(newer)
    .execute(store.pool())
    .await
    .unwrap();
    sqlx::query("INSERT INTO sync_state (key, value) VALUES ('marker', 'kept')")
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;

    let err = Store::open(&path).await.unwrap_err();
    assert!(
        matches!(err, DeskError::SchemaTooNew { found, known } if found == newer && known == newer - 1)
    );
    let ipc = IpcError::from(err);
    assert_eq!(ipc.code, ErrorCode::SchemaTooNew);
    assert!(
        ipc.message.contains("newer Partner Desk"),
        "{}",
        ipc.message
    );

    // The refusal changed nothing: a raw connection still finds the data and the future version.
    let raw = sqlx::SqlitePool::connect_with(cipher::options(&path).await.unwrap())
        .await
        .unwrap();
    let kept: String = sqlx::query_scalar("SELECT value FROM sync_state WHERE key = 'marker'")
        .fetch_one(&raw)
        .await
        .unwrap();
    let max: i64 = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!((kept.as_str(), max), ("kept", newer));
}

#[tokio::test]
async fn loading_a_workspace_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(dir.path()).await.unwrap();
    let mut data = generate(&DemoConfig::small(as_of()));
    // A deployment whose customer does not exist violates a foreign key at the very end.
    let mut orphan = data.deployments[0].clone();
    orphan.id = program::contract::DeploymentId(uuid::Uuid::from_u128(7));
    orphan.customer_id = program::contract::CustomerId(uuid::Uuid::from_u128(8));
    data.deployments.push(orphan);
    let err = desk
        .load_workspace(&data, WorkspaceKind::Demo, as_of())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Storage);
    assert!(!desk.has_workspace().await.unwrap(), "nothing half-written");
}

#[tokio::test]
async fn portfolio_lists_every_partner_with_exact_balances_and_active_customers() {
    let (_dir, desk, data) = demo_desk().await;
    let rows = desk
        .portfolio(&PortfolioQuery::default())
        .await
        .unwrap()
        .rows;
    assert_eq!(rows.len(), data.partners.len());

    // Independent computation over the generated data.
    let mut balance: BTreeMap<PartnerId, Credits> = BTreeMap::new();
    for entry in &data.ledger {
        let b = balance.entry(entry.partner_id).or_default();
        *b = *b + entry.credits;
    }
    // Active: a deployment keeps the customer active today (a monthly one live, or consumption
    // in the last 90 days), by the program's definition over the generated data.
    let active_customers: BTreeSet<_> = data
        .deployments
        .iter()
        .filter(|d| keeps_active(d, as_of()))
        .map(|d| d.customer_id)
        .collect();
    for row in &rows {
        let partner = data.partners.iter().find(|p| p.id == row.id).unwrap();
        assert_eq!(row.name, partner.name);
        assert_eq!(row.tier, partner.tier);
        assert_eq!(row.discount_rate, partner.discount_rate.to_string());
        let expected = balance.get(&row.id).copied().unwrap_or_default();
        assert_eq!(
            row.credit_balance,
            format!("{:.2}", expected.amount()),
            "{}",
            row.name
        );
        let expected_active = data
            .customers
            .iter()
            .filter(|c| c.partner_id == row.id && active_customers.contains(&c.id))
            .count();
        assert_eq!(
            row.active_customers as usize, expected_active,
            "{}",
            row.name
        );
    }
    let names: Vec<_> = rows.iter().map(|r| r.name.to_lowercase()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by name by default");
}

#[tokio::test]
async fn portfolio_filters_and_sorts() {
    let (_dir, desk, data) = demo_desk().await;
    for tier in Tier::ALL {
        let rows = desk
            .portfolio(&PortfolioQuery {
                tier: Some(tier),
                ..Default::default()
            })
            .await
            .unwrap()
            .rows;
        assert_eq!(
            rows.len(),
            data.partners.iter().filter(|p| p.tier == tier).count()
        );
        assert!(rows.iter().all(|r| r.tier == tier));
    }
    let by_balance = desk
        .portfolio(&PortfolioQuery {
            sort: PortfolioSort::Balance,
            descending: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .rows;
    let balances: Vec<rust_decimal::Decimal> = by_balance
        .iter()
        .map(|r| r.credit_balance.parse().unwrap())
        .collect();
    assert!(
        balances.windows(2).all(|w| w[0] >= w[1]),
        "descending balances"
    );
    let by_tier = desk
        .portfolio(&PortfolioQuery {
            sort: PortfolioSort::Tier,
            ..Default::default()
        })
        .await
        .unwrap()
        .rows;
    assert!(by_tier.windows(2).all(|w| w[0].tier <= w[1].tier));

    // Search: the start of a word of the name, in any case, finds the partner.
    let first = &data.partners[0];
    let word = first.name.split_whitespace().last().unwrap();
    let needle = word[..word.len().min(4)].to_uppercase();
    let found = desk
        .portfolio(&PortfolioQuery {
            search: Some(needle.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .rows;
    assert!(
        found.iter().any(|r| r.id == first.id),
        "search {needle:?} finds {}",
        first.name
    );
    assert!(found.len() < data.partners.len(), "search narrows the list");
}

#[tokio::test]
async fn portfolio_search_with_wildcards_is_taken_literally() {
    let (_dir, desk, _data) = demo_desk().await;
    let rows = desk
        .portfolio(&PortfolioQuery {
            search: Some("%_".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .rows;
    assert!(rows.is_empty());
}

#[tokio::test]
async fn bad_input_is_a_clear_error_naming_the_field() {
    let (_dir, desk, _data) = demo_desk().await;
    let err = desk
        .portfolio(&PortfolioQuery {
            search: Some("x".repeat(201)),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert_eq!(err.to_string(), "search: must be at most 200 characters");

    let err = desk.partner_page("not-a-uuid").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().starts_with("id: "), "{err}");

    let err = desk
        .partner_page(&uuid::Uuid::nil().to_string())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn partner_page_shows_the_benefits_of_the_tier_and_the_territories() {
    let (_dir, desk, data) = demo_desk().await;
    for tier in Tier::ALL {
        let partner = data.partners.iter().find(|p| p.tier == tier).unwrap();
        let page = desk.partner_page(&partner.id.to_string()).await.unwrap();
        assert_eq!(page.partner.tier, tier);
        assert_eq!(page.band, tier.band());
        let cells: Vec<_> = page
            .benefits
            .iter()
            .map(|b| (b.benefit, b.entitlement))
            .collect();
        assert_eq!(cells, benefits_of(tier));
        assert_eq!(page.next_tier, tier.next());
        let territories = data
            .territories
            .iter()
            .filter(|t| t.partner_id == partner.id)
            .count();
        assert_eq!(page.territories.len(), territories);
        assert!(page
            .territories
            .iter()
            .all(|t| program::contract::Exclusivity::allowed_for(t.exclusivity, tier)));
    }
}

#[tokio::test]
async fn workspace_info_counts_what_was_loaded() {
    let (_dir, desk, data) = demo_desk().await;
    let info = desk.workspace_info().await.unwrap();
    assert_eq!(info.kind, WorkspaceKind::Demo);
    assert_eq!(info.partners as usize, data.partners.len());
    assert_eq!(info.customers as usize, data.customers.len());
    assert_eq!(info.deployments as usize, data.deployments.len());
    assert_eq!(info.as_of, "2026-11-23");
}

/// NPS rounded half away from zero, in integers only.
fn nps_by_hand(promoters: i64, detractors: i64, n: i64) -> Option<i32> {
    if n < 5 {
        return None;
    }
    let num = 100 * (promoters - detractors);
    let rounded = (2 * num + num.signum() * n) / (2 * n);
    Some(rounded as i32)
}

#[tokio::test]
async fn portfolio_metrics_match_an_independent_computation() {
    let (_dir, desk, data) = demo_desk().await;
    let rows = desk
        .portfolio(&PortfolioQuery::default())
        .await
        .unwrap()
        .rows;
    let store = desk.store();
    let pool = store.pool();

    // NPS over the trailing 12 months, from the raw responses: each customer's latest answer
    // (two on one day: the lower score).
    let nps: BTreeMap<String, (i64, i64, i64)> = sqlx::query_as::<_, (String, i64, i64, i64)>(
        "WITH window_ AS (SELECT * FROM nps_responses \
                          WHERE answered_on > date(?1, '-12 months') AND answered_on <= ?1) \
         SELECT partner_id, sum(score >= 9), sum(score <= 6), count(*) FROM window_ r \
         WHERE NOT EXISTS (SELECT 1 FROM window_ later \
            WHERE later.partner_id = r.partner_id AND later.customer_id = r.customer_id \
              AND (later.answered_on > r.answered_on OR (later.answered_on = r.answered_on \
                   AND (later.score < r.score OR (later.score = r.score AND later.id < r.id))))) \
         GROUP BY partner_id",
    )
    .bind("2026-11-23")
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .map(|(p, a, b, n)| (p, (a, b, n)))
    .collect();
    // Recurring volume: consumption of monthly deployments over the trailing 12 months.
    let volume: BTreeMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
        "SELECT l.partner_id, -sum(l.credits_minor) FROM ledger_entries l \
         JOIN deployments d ON d.id = l.deployment_id \
         WHERE l.kind = 'consumption' AND d.billing = 'monthly' \
           AND date(l.at) > date(?1, '-12 months') AND date(l.at) <= ?1 GROUP BY l.partner_id",
    )
    .bind("2026-11-23")
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    // Retention from the generated data itself: the partner of record and activity at both ends.
    let start = NaiveDate::from_ymd_opt(2025, 11, 23).unwrap();
    let record_on = |c: &program::contract::Customer, day: NaiveDate| {
        data.migrations
            .iter()
            .filter(|m| m.customer_id == c.id && m.effective_on > day)
            .min_by_key(|m| m.effective_on)
            .map_or(c.partner_id, |m| m.from_partner)
    };
    let mut by_customer: BTreeMap<_, Vec<&program::contract::Deployment>> = BTreeMap::new();
    for d in &data.deployments {
        by_customer.entry(d.customer_id).or_default().push(d);
    }
    let active_on = |c: &program::contract::Customer, day: NaiveDate| {
        by_customer
            .get(&c.id)
            .is_some_and(|ds| ds.iter().any(|d| keeps_active(d, day)))
    };
    for row in &rows {
        let id = row.id.to_string();
        let (p, d, n) = nps.get(&id).copied().unwrap_or_default();
        assert_eq!(row.nps, nps_by_hand(p, d, n), "NPS of {}", row.name);
        assert_eq!(row.nps_responses as i64, n);
        let minor = volume.get(&id).copied().unwrap_or_default();
        assert_eq!(
            row.recurring_volume,
            format!("{:.2}", Credits::from_minor(minor).amount()),
            "recurring volume of {}",
            row.name
        );
        // A partner younger than the 12 months: over its time in the program, the customers it
        // deployed for.
        let partner = data.partners.iter().find(|p| p.id == row.id).unwrap();
        let young = partner.joined_on > start;
        let base: Vec<_> = data
            .customers
            .iter()
            .filter(|c| {
                if young {
                    data.deployments.iter().any(|d| {
                        d.customer_id == c.id && d.partner_id == row.id && d.started_on <= as_of()
                    })
                } else {
                    record_on(c, start) == row.id && active_on(c, start)
                }
            })
            .collect();
        let kept = base
            .iter()
            .filter(|c| record_on(c, as_of()) == row.id && active_on(c, as_of()))
            .count();
        let expected = (!base.is_empty()).then(|| {
            (rust_decimal::Decimal::from(kept as u64)
                / rust_decimal::Decimal::from(base.len() as u64))
            .round_dp(4)
            .normalize()
            .to_string()
        });
        assert_eq!(row.retention, expected, "retention of {}", row.name);
    }
    assert!(rows.iter().any(|r| r.nps.is_some()) && rows.iter().any(|r| r.retention.is_some()));
    // Partners younger than the window have a retention too, so they can progress.
    let young: Vec<_> = data
        .partners
        .iter()
        .filter(|p| p.joined_on > start)
        .collect();
    assert!(
        !young.is_empty(),
        "the demo has partners younger than a year"
    );
    assert!(young
        .iter()
        .any(|p| rows.iter().any(|r| r.id == p.id && r.retention.is_some())));
}

/// The program's definition: whether a deployment keeps its customer active on `day`.
fn keeps_active(d: &program::contract::Deployment, day: NaiveDate) -> bool {
    program::metrics::keeps_active(d.billing, d.started_on, d.ended_on, day)
}

#[tokio::test]
async fn partner_page_shows_progression_and_strategic_is_only_ever_considered() {
    use program::progression::Outlook;
    let (_dir, desk, data) = demo_desk().await;
    for p in &data.partners {
        let page = desk.partner_page(&p.id.to_string()).await.unwrap();
        match p.tier {
            Tier::Strategic => {
                assert_eq!(page.outlook, Outlook::AtTop);
                assert!(page.progression.is_empty());
            }
            _ => {
                assert_eq!(page.progression.len(), 4, "{}", p.name);
                let all_met = page.progression.iter().all(|t| t.met);
                let eligible = matches!(page.outlook, Outlook::EligibleForUpgrade { .. });
                let considered = page.outlook == Outlook::MayBeConsideredForStrategic;
                assert_eq!(all_met, eligible || considered, "{}", p.name);
                assert_eq!(page.partner.eligible_for_upgrade, eligible);
                assert!(!considered || p.tier == Tier::Regional);
            }
        }
    }
    let eligible = desk
        .portfolio(&PortfolioQuery {
            eligible_only: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .rows;
    assert!(eligible
        .iter()
        .all(|r| r.eligible_for_upgrade && r.tier != Tier::Strategic));
}

#[tokio::test]
async fn purchase_calculator_prices_both_ways_at_the_partner_rate() {
    let (_dir, desk, data) = demo_desk().await;
    let p = data
        .partners
        .iter()
        .find(|p| p.currency == program::Currency::USD)
        .unwrap();
    let id = p.id.to_string();
    let q = desk.price_purchase(&id, Some("1000"), None).await.unwrap();
    let rate = p.discount().unwrap();
    let expected =
        program::fiat_for_credits(Credits::whole(1000), rate, &program::FxRate::usd(as_of()))
            .unwrap();
    assert_eq!(q.fiat, expected.amount.to_string());
    assert_eq!(q.credits, "1000.00");
    assert_eq!(q.rate, p.discount_rate.to_string());
    assert_eq!(q.band, p.tier.band());
    // The inverse: that amount buys at least the 1,000 credits it was the price of.
    let back = desk.price_purchase(&id, None, Some(&q.fiat)).await.unwrap();
    let credits: rust_decimal::Decimal = back.credits.parse().unwrap();
    assert!(credits >= rust_decimal::Decimal::from(1000));
    assert_eq!(back.fiat, q.fiat, "and costs no more than the amount");

    let err = desk
        .price_purchase(&id, Some("ten"), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    let err = desk
        .price_purchase(&id, Some("-5"), None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    let err = desk.price_purchase(&id, None, None).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
}
