//! The sync as the app runs it, against the reference central API on a loopback port and a real
//! SQLite file: signing in and out (the token in the secret store, the cache wiped), what the
//! window offers a role, the figures and search kept current by each round, and the first sync's
//! progress.

use std::time::{Duration, Instant};

use desk::store::CACHE_FILE;
use desk::sync::SyncOptions;
use program::contract::{Entity, Role};
use program::Credits;

use crate::common::fast;
use crate::sync::{local_balances, local_count, setup, TABLES};

async fn wait_for_sync(desk: &desk::Desk) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = desk.sync_status().await {
            if status.last_synced_at.is_some() && status.phase == desk::views::SyncPhase::Idle {
                return;
            }
        }
        assert!(Instant::now() < deadline, "no sync completed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_keeps_the_token_in_the_keychain_and_sign_out_wipes_the_cache() {
    use desk::error::ErrorCode;
    let s = setup(1_000).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = desk::Desk::open(dir.path()).await.unwrap();
    let base = s.server.base_url();

    let err = desk
        .sign_in(&base, "wrong-token", fast())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unauthorized);
    let err = desk
        .sign_in("http://central.example.com", &s.token, fast())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(
        err.to_string().starts_with("base_url: plain http://"),
        "{err}"
    );

    desk.sign_in(&base, &s.token, fast()).await.unwrap();
    wait_for_sync(&desk).await;
    assert!(local_count(&desk.store(), "partners").await > 1);
    assert_eq!(desk.workspace_info().await.unwrap().home_partner, None);
    let account = format!("{}/#Ana Manager", base);
    let kept = desk::secrets::load_credentials(&account)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.access.expose(), s.token);
    assert!(kept.refresh.is_none(), "a raw token has no refresh token");
    // The token is nowhere in the cache file.
    desk.store().close().await;
    let bytes = std::fs::read(dir.path().join(CACHE_FILE)).unwrap();
    let wal = std::fs::read(dir.path().join(format!("{CACHE_FILE}-wal"))).unwrap_or_default();
    let needle = s.token.as_bytes();
    for file in [&bytes, &wal] {
        assert!(
            !file.windows(needle.len()).any(|w| w == needle),
            "token in the cache"
        );
    }
    let desk = desk::Desk::open(dir.path()).await.unwrap();

    // Resuming finds the account and its token again.
    assert!(desk.resume(fast()).await.unwrap());
    wait_for_sync(&desk).await;

    // Another account in the same cache never sees the first one's rows.
    let mine = s.server.store().partner_ids().await.unwrap()[0];
    let other = s
        .server
        .create_token("Pat Partner", Role::PartnerAdmin, &[mine])
        .await
        .unwrap();
    desk.sign_in(&base, &other, fast()).await.unwrap();
    wait_for_sync(&desk).await;
    assert_eq!(local_count(&desk.store(), "partners").await, 1);
    // A partner's own user lands on the partner's page.
    assert_eq!(
        desk.workspace_info().await.unwrap().home_partner,
        Some(mine.to_string())
    );

    desk.sign_out().await.unwrap();
    for (_, table) in TABLES {
        assert_eq!(local_count(&desk.store(), table).await, 0, "{table} wiped");
    }
    let account = format!("{}/#Pat Partner", base);
    assert_eq!(
        desk::secrets::load_credentials(&account).await.unwrap(),
        None
    );
    desk::secrets::delete_credentials(&format!("{}/#Ana Manager", base))
        .await
        .unwrap();
}

/// The UI follows the role: the laptop knows who signed in, and a partner's sales user, whom the
/// platform would refuse, is not offered buying credits and cannot queue a purchase.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ui_follows_the_role_a_partner_sales_user_buys_no_credits() {
    use desk::error::ErrorCode;
    let s = setup(1_000).await;
    let dir = tempfile::tempdir().unwrap();
    let desk = desk::Desk::open(dir.path()).await.unwrap();
    let base = s.server.base_url();
    let mine = s.server.store().partner_ids().await.unwrap()[0];
    let token = s
        .server
        .create_token("Sam Sales", Role::PartnerSales, &[mine])
        .await
        .unwrap();
    desk.sign_in(&base, &token, fast()).await.unwrap();
    wait_for_sync(&desk).await;
    assert_eq!(
        desk.workspace_info().await.unwrap().role,
        Some(Role::PartnerSales)
    );
    let err = desk
        .purchase_credits(&mine.to_string(), "100")
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(
        err.to_string()
            .contains("partner sales users cannot buy credits"),
        "{err}"
    );
    assert_eq!(
        local_count(&desk.store(), "outbox").await,
        0,
        "nothing queued"
    );
    desk::secrets::delete_credentials(&format!("{}/#Sam Sales", base))
        .await
        .unwrap();
}

/// The portfolio's figures and the search index are derived from the mirror; each sync round
/// keeps them in step with what it downloaded (renames, new ledger lines, deletes).
#[tokio::test]
async fn figures_and_search_follow_each_sync_round() {
    use desk::portfolio;
    use desk::views::{PortfolioQuery, SearchKind};
    let s = setup(2_000).await;
    let engine = s.engine(fast()).await;
    engine.run_once().await.unwrap();

    let everyone = PortfolioQuery {
        limit: Some(1_000),
        ..PortfolioQuery::default()
    };
    let balances = local_balances(&s.store).await;
    let page = portfolio::list(&s.store, &everyone).await.unwrap();
    assert_eq!(page.total as usize, page.rows.len());
    for row in &page.rows {
        let expected = balances.get(&row.id).copied().unwrap_or_default();
        assert_eq!(row.credit_balance, format!("{:.2}", expected.amount()));
    }

    // The server renames a customer and adds a ledger line to one partner.
    let store = s.server.store();
    let customer_id: String = sqlx::query_scalar("SELECT id FROM customers LIMIT 1")
        .fetch_one(s.store.pool())
        .await
        .unwrap();
    let mut customer: program::contract::Customer = serde_json::from_value(
        store
            .get(Entity::Customer, &customer_id)
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    let old_name = customer.name.clone();
    customer.name = "Zyxwvut Panadería Núñez".into();
    store.upsert_customer(&customer).await.unwrap();
    let partner = page.rows[0].id;
    let line = program::contract::LedgerEntry {
        id: program::contract::LedgerEntryId(uuid::Uuid::now_v7()),
        partner_id: partner,
        at: chrono::Utc::now(),
        kind: program::contract::LedgerKind::Adjustment,
        credits: Credits::whole(125),
        fiat: None,
        rate: None,
        deployment_id: None,
        customer_id: None,
        billing: None,
        reason: Some(program::contract::AdjustmentReason::Goodwill),
    };
    store.append_ledger(&line).await.unwrap();
    engine.run_once().await.unwrap();

    // Accents and case do not matter; every word is a prefix.
    let hits = portfolio::search(&s.store, "panaderia nun").await.unwrap();
    assert!(
        hits.iter()
            .any(|h| h.kind == SearchKind::Customer && h.id == customer_id),
        "{hits:?}"
    );
    // The portfolio's search box finds the customer's partner by the new name too.
    let found = portfolio::list(
        &s.store,
        &PortfolioQuery {
            search: Some("zyxwvut panaderia".into()),
            ..PortfolioQuery::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.rows[0].id, customer.partner_id);
    let hits = portfolio::search(&s.store, &old_name).await.unwrap();
    assert!(
        !hits.iter().any(|h| h.id == customer_id),
        "the old name is no longer indexed"
    );
    let page = portfolio::list(&s.store, &everyone).await.unwrap();
    let row = page.rows.iter().find(|r| r.id == partner).unwrap();
    let expected = local_balances(&s.store).await[&partner];
    assert_eq!(row.credit_balance, format!("{:.2}", expected.amount()));
    assert_eq!(
        expected,
        balances.get(&partner).copied().unwrap_or_default() + Credits::whole(125),
        "the new line counts"
    );
}

/// The first sync's bar: rows written so far, growing page by page to the round's whole, the
/// position in the feed, and a time left once the pace is known.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_sync_reports_the_rows_written_and_the_time_left_as_it_goes() {
    let s = setup(20_000).await;
    let engine = s
        .engine(SyncOptions {
            page_size: 500,
            ..fast()
        })
        .await;
    let mut status = engine.status();
    let seen = tokio::spawn(async move {
        let mut seen = Vec::new();
        while status.changed().await.is_ok() {
            if let Some(p) = status.borrow_and_update().progress {
                if seen.last() != Some(&p) {
                    seen.push(p);
                }
            }
        }
        seen
    });
    let started = Instant::now();
    let report = engine.run_once().await.unwrap();
    let took = started.elapsed();
    drop(engine);
    let seen = seen.await.unwrap();

    assert!(seen.len() >= 10, "{} progress reports", seen.len());
    for pair in seen.windows(2) {
        assert!(pair[0].rows < pair[1].rows, "rows only grow: {pair:?}");
        assert!(
            pair[0].done <= pair[1].done,
            "the position only moves on: {pair:?}"
        );
    }
    let last = seen.last().unwrap();
    assert_eq!(
        u64::from(last.rows),
        report.changes,
        "every row written is counted"
    );
    assert_eq!(last.done, last.total, "the bar ends full");
    // Once the round has run a second, it says how long the rest takes, never more than the
    // whole round took at the pace it kept.
    if took > Duration::from_secs(2) {
        let estimates: Vec<u32> = seen.iter().filter_map(|p| p.seconds_left).collect();
        assert!(!estimates.is_empty(), "no time left in {seen:?}");
        assert!(
            estimates
                .iter()
                .all(|&s| u64::from(s) <= took.as_secs() * 2 + 1),
            "{estimates:?} for a round of {took:?}"
        );
        assert_eq!(last.seconds_left, Some(0), "nothing is left at the end");
    }
}
