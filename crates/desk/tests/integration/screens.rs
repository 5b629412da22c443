//! The account manager's screens over a real cache of the generated demo data: portfolio paging
//! and search, a partner's customers, ledger, migrations and trends, and the user's settings.
//! Each is checked against the generated data itself, not against the code under test.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::{as_of, demo_desk};
use desk::error::ErrorCode;
use desk::views::{
    CustomerFilter, CustomerStatus, LedgerKind, MigrationDirection, PortfolioQuery, SearchKind,
    Settings,
};
use desk::Desk;
use program::contract::{Dataset, PartnerId};
use program::Credits;
use rust_decimal::Decimal;

/// The partner with the most customer migrations (in and out), so every list has rows.
fn busiest_migrating_partner(data: &Dataset) -> PartnerId {
    let mut count: BTreeMap<PartnerId, usize> = BTreeMap::new();
    for m in &data.migrations {
        *count.entry(m.from_partner).or_default() += 1;
        *count.entry(m.to_partner).or_default() += 1;
    }
    count
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(p, _)| p)
        .expect("the demo has migrations")
}

#[tokio::test]
async fn portfolio_pages_cover_every_partner_once_with_the_total_on_each() {
    let (_dir, desk, data) = demo_desk().await;
    let mut seen = BTreeSet::new();
    let mut offset = 0;
    loop {
        let page = desk
            .portfolio(&PortfolioQuery {
                offset,
                limit: Some(7),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(page.total as usize, data.partners.len());
        if page.rows.is_empty() {
            break;
        }
        for row in &page.rows {
            assert!(seen.insert(row.id), "{} on two pages", row.name);
        }
        offset += 7;
    }
    assert_eq!(seen.len(), data.partners.len());
    let err = desk
        .portfolio(&PortfolioQuery {
            limit: Some(0),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
}

#[tokio::test]
async fn one_search_box_finds_partners_and_customers_by_word_prefix() {
    let (_dir, desk, data) = demo_desk().await;
    let customer = &data.customers[17];
    let partner = data
        .partners
        .iter()
        .find(|p| p.id == customer.partner_id)
        .unwrap();
    // The first three letters of each word of the customer's name, upper-cased.
    let typed: String = customer
        .name
        .split_whitespace()
        .map(|w| w.chars().take(3).collect::<String>().to_uppercase())
        .collect::<Vec<_>>()
        .join(" ");
    let hits = desk.search(&typed).await.unwrap();
    let hit = hits
        .iter()
        .find(|h| h.kind == SearchKind::Customer && h.id == customer.id.to_string())
        .unwrap_or_else(|| panic!("{typed:?} finds {}: {hits:?}", customer.name));
    assert_eq!(hit.partner_id, partner.id.to_string());
    assert_eq!(hit.partner_name, partner.name);

    let word = partner.name.split_whitespace().next().unwrap();
    let hits = desk.search(word).await.unwrap();
    assert!(hits
        .iter()
        .any(|h| h.kind == SearchKind::Partner && h.id == partner.id.to_string()));

    // The portfolio's search finds the partner through its customer too.
    let rows = desk
        .portfolio(&PortfolioQuery {
            search: Some(typed.clone()),
            ..Default::default()
        })
        .await
        .unwrap()
        .rows;
    assert!(rows.iter().any(|r| r.id == partner.id));
}

#[tokio::test]
async fn search_input_is_never_query_syntax() {
    let (_dir, desk, _data) = demo_desk().await;
    for typed in [
        "\"",
        "a\"b",
        "OR",
        "NOT x",
        "NEAR(a b)",
        "name:abc",
        "-x",
        "*",
        "^a",
        "a AND",
        "(",
        "%_",
        "🙂",
    ] {
        desk.search(typed)
            .await
            .unwrap_or_else(|e| panic!("{typed:?}: {e}"));
        desk.portfolio(&PortfolioQuery {
            search: Some(typed.into()),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{typed:?}: {e}"));
    }
    assert!(desk.search("   ").await.unwrap().is_empty());
    let err = desk.search(&"x".repeat(201)).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
}

#[tokio::test]
async fn ledger_pages_walk_the_whole_ledger_newest_first_with_running_balances() {
    let (_dir, desk, data) = demo_desk().await;
    let partner = data.partners[0].id;
    let mut expected: Vec<_> = data
        .ledger
        .iter()
        .filter(|l| l.partner_id == partner)
        .collect();
    let total: Credits = expected.iter().map(|l| l.credits).sum();
    expected.sort_by_key(|l| (l.at, l.id.0));
    expected.reverse();

    let mut lines = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = desk
            .ledger(&partner.to_string(), after.as_deref(), Some(13))
            .await
            .unwrap();
        assert_eq!(page.entries as usize, expected.len());
        assert_eq!(page.balance, total.amount().to_string());
        assert_eq!(page.provisional_balance, format!("{:.2}", total.amount()));
        assert!(page.lines.len() <= 13);
        lines.extend(page.lines);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(lines.len(), expected.len());
    let mut balance = total.amount();
    for (line, want) in lines.iter().zip(&expected) {
        assert_eq!(line.id, want.id.to_string(), "newest first");
        let credits: Decimal = line.credits.parse().unwrap();
        assert_eq!(credits, want.credits.amount());
        assert_eq!(line.balance_after.parse::<Decimal>().unwrap(), balance);
        balance -= credits;
        if line.kind == LedgerKind::Migration {
            assert_eq!(credits, Decimal::ZERO, "migrations move no credits");
        }
        if line.kind == LedgerKind::Purchase {
            assert!(line.fiat.is_some() && line.rate.is_some());
        }
    }
    assert_eq!(
        balance,
        Decimal::ZERO,
        "the oldest line starts from nothing"
    );

    for bad in ["nonsense", "2026-01-01|not-a-uuid", "|"] {
        let err = desk
            .ledger(&partner.to_string(), Some(bad), None)
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput, "{bad}");
    }
    let err = desk
        .ledger(&partner.to_string(), None, Some(501))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
}

#[tokio::test]
async fn provisional_balance_adds_the_purchases_waiting_to_be_sent() {
    let (_dir, desk, data) = demo_desk().await;
    // A partner paying in USD: a purchase carries the price seen, and a USD price never ages
    // (the workspace's other rates are as old as its fixed date).
    let partner = data
        .partners
        .iter()
        .find(|p| p.currency == program::Currency::USD)
        .unwrap()
        .id
        .to_string();
    let before = desk.ledger(&partner, None, None).await.unwrap();
    desk.purchase_credits(&partner, "2500").await.unwrap();
    desk.purchase_credits(&partner, "100.50").await.unwrap();
    let after = desk.ledger(&partner, None, None).await.unwrap();
    assert_eq!(after.balance, before.balance, "nothing synced yet");
    assert_eq!(after.pending.len(), 2);
    let expected = before.balance.parse::<Decimal>().unwrap() + Decimal::new(260_050, 2);
    assert_eq!(after.provisional_balance, format!("{expected:.2}"));
}

#[tokio::test]
async fn customers_are_listed_as_active_churned_migrated_in_or_out() {
    let (_dir, desk, data) = demo_desk().await;
    let partner = busiest_migrating_partner(&data);
    let id = partner.to_string();
    let all = desk
        .customers(&id, CustomerFilter::All, 0, Some(500))
        .await
        .unwrap();
    let c = all.counts;
    assert_eq!(c.all, c.active + c.churned + c.migrated_out);
    assert_eq!(all.rows.len() as u32, c.all);

    // Independently: the partner's customers now, and those that left it.
    let now: BTreeSet<String> = data
        .customers
        .iter()
        .filter(|c| c.partner_id == partner)
        .map(|c| c.id.to_string())
        .collect();
    let left: BTreeSet<String> = data
        .migrations
        .iter()
        .filter(|m| m.from_partner == partner)
        .map(|m| m.customer_id.to_string())
        .filter(|c| !now.contains(c))
        .collect();
    let came: BTreeSet<String> = data
        .migrations
        .iter()
        .filter(|m| m.to_partner == partner)
        .map(|m| m.customer_id.to_string())
        .filter(|c| now.contains(c))
        .collect();
    // Active: a deployment keeps the customer active (the program's definition).
    let active: BTreeSet<String> = data
        .deployments
        .iter()
        .filter(|d| program::metrics::keeps_active(d.billing, d.started_on, d.ended_on, as_of()))
        .map(|d| d.customer_id.to_string())
        .filter(|c| now.contains(c))
        .collect();
    assert_eq!(c.migrated_out as usize, left.len());
    assert_eq!(c.migrated_in as usize, came.len());
    assert_eq!(c.active as usize, active.len());
    assert_eq!(c.all as usize, now.len() + left.len());

    for (filter, want) in [
        (CustomerFilter::Active, c.active),
        (CustomerFilter::Churned, c.churned),
        (CustomerFilter::MigratedIn, c.migrated_in),
        (CustomerFilter::MigratedOut, c.migrated_out),
    ] {
        let page = desk.customers(&id, filter, 0, Some(500)).await.unwrap();
        assert_eq!(page.total, want, "{filter:?}");
        assert_eq!(page.rows.len() as u32, want, "{filter:?}");
        for row in &page.rows {
            match filter {
                CustomerFilter::Active => assert_eq!(row.status, CustomerStatus::Active),
                CustomerFilter::Churned => assert_eq!(row.status, CustomerStatus::Churned),
                CustomerFilter::MigratedIn => assert!(row.migrated_in_on.is_some()),
                _ => {
                    assert_eq!(row.status, CustomerStatus::MigratedOut);
                    assert!(row.migrated_out_on.is_some());
                    assert_ne!(row.partner_now, None);
                }
            }
        }
    }
}

#[tokio::test]
async fn a_migrated_customer_keeps_its_deployments_and_history() {
    let (_dir, desk, data) = demo_desk().await;
    let m = &data.migrations[0];
    let detail = desk.customer(&m.customer_id.to_string()).await.unwrap();
    let expected: BTreeSet<String> = data
        .deployments
        .iter()
        .filter(|d| d.customer_id == m.customer_id)
        .map(|d| d.id.to_string())
        .collect();
    let shown: BTreeSet<String> = detail.deployments.iter().map(|d| d.id.clone()).collect();
    assert_eq!(
        shown, expected,
        "every deployment, whichever partner made it"
    );
    assert_eq!(detail.customer.deployments as usize, expected.len());
    assert!(detail
        .migrations
        .iter()
        .any(|r| r.id == m.id.to_string() && r.credits.parse::<Decimal>().unwrap().is_zero()));

    let err = desk.customer("nope").await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    let err = desk
        .customer(&uuid::Uuid::nil().to_string())
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn migrations_in_and_out_carry_zero_credits() {
    let (_dir, desk, data) = demo_desk().await;
    let partner = busiest_migrating_partner(&data);
    let rows = desk.migrations(&partner.to_string()).await.unwrap();
    let expected: Vec<_> = data
        .migrations
        .iter()
        .filter(|m| m.from_partner == partner || m.to_partner == partner)
        .collect();
    assert_eq!(rows.len(), expected.len());
    for row in &rows {
        let m = expected
            .iter()
            .find(|m| m.id.to_string() == row.id)
            .unwrap();
        let (direction, other) = if m.to_partner == partner {
            (MigrationDirection::In, m.from_partner)
        } else {
            (MigrationDirection::Out, m.to_partner)
        };
        assert_eq!(row.direction, direction);
        assert_eq!(row.other_partner_id, other.to_string());
        assert_eq!(row.effective_on, m.effective_on.to_string());
        assert!(row.credits.parse::<Decimal>().unwrap().is_zero());
    }
    assert!(rows
        .windows(2)
        .all(|w| w[0].effective_on >= w[1].effective_on));
}

#[tokio::test]
async fn trends_cover_twelve_months_and_end_at_todays_figures() {
    let (_dir, desk, data) = demo_desk().await;
    for partner in data.partners.iter().take(6) {
        let id = partner.id.to_string();
        let points = desk.trends(&id).await.unwrap();
        assert_eq!(points.len(), 12);
        assert_eq!(points.last().unwrap().month, "2026-11");
        assert_eq!(points.first().unwrap().month, "2025-12");
        let page = desk.partner_page(&id).await.unwrap();
        assert_eq!(
            points.last().unwrap().active_customers,
            page.partner.active_customers,
            "{}",
            partner.name
        );
        // This month's consumption, from the generated ledger.
        let consumed: Credits = data
            .ledger
            .iter()
            .filter(|l| {
                l.partner_id == partner.id
                    && l.kind == program::contract::LedgerKind::Consumption
                    && l.at.date_naive() <= as_of()
                    && l.at.format("%Y-%m").to_string() == "2026-11"
            })
            .map(|l| -l.credits)
            .sum();
        assert_eq!(
            points.last().unwrap().consumed.parse::<Decimal>().unwrap(),
            consumed.amount()
        );
        for p in &points {
            if p.nps.responses < program::metrics::NPS_MIN_RESPONSES {
                assert_eq!(p.nps.score, None, "no score below the minimum count");
            }
        }
    }
}

#[tokio::test]
async fn the_low_runway_threshold_is_the_users_and_is_checked() {
    let (dir, desk, _data) = demo_desk().await;
    assert_eq!(desk.settings().await.unwrap().low_runway_days, 30);
    desk.set_settings(Settings {
        low_runway_days: 45,
    })
    .await
    .unwrap();
    for bad in [0, 366] {
        let err = desk
            .set_settings(Settings {
                low_runway_days: bad,
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidInput);
        assert!(err.to_string().starts_with("low_runway_days: "), "{err}");
    }
    desk.store().close().await;
    let desk = Desk::open(dir.path()).await.unwrap();
    assert_eq!(
        desk.settings().await.unwrap().low_runway_days,
        45,
        "kept, and the refused values changed nothing"
    );
}

#[tokio::test]
async fn credits_are_never_money_a_purchase_carries_the_price_the_user_was_shown() {
    let (_dir, desk, data) = demo_desk().await;
    let partner = data
        .partners
        .iter()
        .find(|p| p.currency == program::Currency::USD)
        .unwrap();
    let id = partner.id.to_string();
    let shown = desk
        .price_purchase(&id, Some("1234.56"), None)
        .await
        .unwrap();
    desk.purchase_credits(&id, "1234.56").await.unwrap();
    let queued = desk::outbox::read(
        desk.store().pool(),
        desk::outbox::Select {
            partner: Some(partner.id),
            ..desk::outbox::Select::default()
        },
    )
    .await
    .unwrap();
    let [q] = queued.as_slice() else {
        panic!("one purchase queued: {queued:?}")
    };
    let program::contract::MutationKind::PurchaseCredits {
        price: Some(price), ..
    } = &q.change
    else {
        panic!("a purchase with its price: {:?}", q.change)
    };
    // What goes to the platform is what the user saw: the fiat, the rate and the FX rate.
    assert_eq!(price.fiat.amount.to_string(), shown.fiat);
    assert_eq!(price.rate.to_string(), shown.rate);
    assert_eq!(price.fx.per_usd.to_string(), shown.fx_per_usd);
    assert_eq!(price.fx.as_of.to_string(), shown.fx_as_of);
    assert_eq!(price.fx.currency, shown.currency);
}
