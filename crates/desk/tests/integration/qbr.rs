//! Quarterly Executive Reviews from a real cache synced from the reference central API: the
//! figures against an independent SQL computation, risks, tiers of the quarter, the batch command,
//! action items, and the refusals that write nothing. The files themselves: `qbr_files`.

use crate::common;

use calamine::{open_workbook, Data, Reader, Xlsx};
use chrono::{Days, NaiveDate};
use common::{as_of, pdftotext, world, World};
use desk::qbr::{self, Audience, Review};
use desk::store::Store;
use program::contract::{Partner, Role};
use program::qbr::{Kpi, Quarter};
use program::Lang;
use program::Tier;
use rust_decimal::Decimal;

pub(crate) const QUARTER: &str = "2026-Q3";

/// One of a KPI row's figures.
pub(crate) type Figure = fn(&qbr::KpiRow) -> &Option<String>;

pub(crate) async fn account_manager(w: &World, p: &Partner) -> Store {
    w.device("am", "ana.am", Role::PlatformAccountManager, p)
        .await
        .store
}

fn value(review: &Review, kpi: Kpi) -> Option<Decimal> {
    review
        .kpi(kpi)
        .unwrap()
        .value
        .as_deref()
        .map(|v| v.parse().unwrap())
}

async fn scalar(store: &Store, sql: &str, partner: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(partner)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

/// The ten figures of the days `first` to `last`, each computed by hand-written SQL over the
/// cache that shares no code with the app, in `Kpi::ALL`'s order.
async fn figures_by_sql(
    store: &Store,
    partner: &str,
    first: NaiveDate,
    last: NaiveDate,
) -> Vec<Option<Decimal>> {
    let before = first - Days::new(1);
    let until = last + Days::new(1);
    // The partner of record of customer c on a day: the first later migration's old partner,
    // else its current one.
    let record = |day: NaiveDate| {
        format!(
            "coalesce((SELECT m.from_partner_id FROM customer_migrations m WHERE m.customer_id = c.id \
               AND m.effective_on > '{day}' ORDER BY m.effective_on LIMIT 1), c.partner_id)"
        )
    };
    // Active: a one-off deployment made in the 90 days to the day (the day is day 0, so fewer
    // than 90 days back), or a monthly one started by then and not ended 89 or more days before.
    let active = |day: NaiveDate| {
        format!(
            "EXISTS (SELECT 1 FROM deployments d WHERE d.customer_id = c.id AND d.started_on <= '{day}' \
               AND (julianday('{day}') - julianday(d.started_on) < 90 \
                    OR (d.billing = 'monthly' AND (d.ended_on IS NULL \
                        OR julianday('{day}') - julianday(d.ended_on) < 89))))"
        )
    };
    let theirs = |day: NaiveDate| format!("{} = ?1 AND {}", record(day), active(day));
    let active_customers = scalar(
        store,
        &format!("SELECT count(*) FROM customers c WHERE {}", theirs(last)),
        partner,
    )
    .await;
    // Deployments started in the days for customers of record on their own start day.
    let started = format!(
        "FROM deployments d JOIN customers c ON c.id = d.customer_id \
         WHERE d.started_on BETWEEN '{first}' AND '{last}' \
           AND coalesce((SELECT m.from_partner_id FROM customer_migrations m \
                          WHERE m.customer_id = c.id AND m.effective_on > d.started_on \
                          ORDER BY m.effective_on LIMIT 1), c.partner_id) = ?1"
    );
    let new = scalar(store, &format!("SELECT count(*) {started}"), partner).await;
    let value_minor = scalar(
        store,
        &format!("SELECT coalesce(sum(d.credits_minor), 0) {started}"),
        partner,
    )
    .await;
    let ledger = |kind: &str, from: NaiveDate| {
        format!(
            "SELECT coalesce(sum(credits_minor), 0) FROM ledger_entries WHERE partner_id = ?1 \
             AND kind = '{kind}' AND at >= '{from}' AND at < '{until}'"
        )
    };
    let bought = scalar(store, &ledger("purchase", first), partner).await;
    let consumed = -scalar(store, &ledger("consumption", first), partner).await;
    let recurring = -scalar(
        store,
        &format!(
            "SELECT coalesce(sum(l.credits_minor), 0) FROM ledger_entries l \
             JOIN deployments d ON d.id = l.deployment_id WHERE l.partner_id = ?1 \
             AND l.kind = 'consumption' AND d.billing = 'monthly' \
             AND l.at >= '{first}' AND l.at < '{until}'"
        ),
        partner,
    )
    .await;
    let balance = scalar(
        store,
        &format!(
            "SELECT coalesce(sum(credits_minor), 0) FROM ledger_entries WHERE partner_id = ?1 \
             AND at < '{until}'"
        ),
        partner,
    )
    .await;
    // NPS: each customer's latest answer of the days (two on one day: the lower score).
    let answered = format!("partner_id = ?1 AND answered_on BETWEEN '{first}' AND '{last}'");
    let (n, promoters, detractors): (i64, i64, i64) = sqlx::query_as(&format!(
        "SELECT count(*), coalesce(sum(score >= 9), 0), coalesce(sum(score <= 6), 0) \
         FROM nps_responses r WHERE {answered} AND NOT EXISTS (\
           SELECT 1 FROM nps_responses later WHERE later.{answered} \
             AND later.customer_id = r.customer_id \
             AND (later.answered_on > r.answered_on OR (later.answered_on = r.answered_on \
                  AND (later.score < r.score OR (later.score = r.score AND later.id < r.id)))))"
    ))
    .bind(partner)
    .fetch_one(store.pool())
    .await
    .unwrap();
    let away = rust_decimal::RoundingStrategy::MidpointAwayFromZero;
    let nps = (n >= 5).then(|| {
        (Decimal::from((promoters - detractors) * 100) / Decimal::from(n))
            .round_dp_with_strategy(0, away)
    });
    // Retention: of the customers theirs and active the day before, those still so on the last.
    let base = scalar(
        store,
        &format!("SELECT count(*) FROM customers c WHERE {}", theirs(before)),
        partner,
    )
    .await;
    let retained = scalar(
        store,
        &format!(
            "SELECT count(*) FROM customers c WHERE {} AND {}",
            theirs(before),
            theirs(last)
        ),
        partner,
    )
    .await;
    let retention = (base > 0).then(|| (Decimal::from(retained) / Decimal::from(base)).round_dp(4));
    // Runway: whole days the closing balance lasts at the last 30 days' consumption per day.
    let burned = -scalar(store, &ledger("consumption", last - Days::new(29)), partner).await;
    let per_day = (Decimal::new(burned, 2) / Decimal::from(30)).round_dp_with_strategy(2, away);
    let runway = (per_day > Decimal::ZERO).then(|| {
        if balance <= 0 {
            Decimal::ZERO
        } else {
            (Decimal::new(balance, 2) / per_day).floor()
        }
    });
    let credits = |minor: i64| Some(Decimal::new(minor, 2).normalize());
    vec![
        Some(active_customers.into()),
        Some(new.into()),
        credits(value_minor),
        credits(recurring),
        nps.map(|d| d.normalize()),
        retention.map(|d| d.normalize()),
        credits(bought),
        credits(consumed),
        credits(balance),
        runway.map(|d| d.normalize()),
    ]
}

/// The figures of the quarter, each computed by hand-written SQL over the cache that shares no
/// code with the app.
#[tokio::test]
async fn every_figure_of_the_quarter_the_one_before_and_a_year_before_equals_an_independent_sql_computation(
) {
    let w = world().await;
    let p = w.partner(|p| p.tier == Tier::Strategic);
    let store = account_manager(&w, &p).await;
    let q: Quarter = QUARTER.parse().unwrap();
    let review = qbr::review(&store, p.id, q, as_of()).await.unwrap();
    let id = p.id.to_string();
    let column = |of: Figure| -> Vec<Option<Decimal>> {
        review
            .kpis
            .iter()
            .map(|k| of(k).as_deref().map(|v| v.parse::<Decimal>().unwrap()))
            .collect()
    };
    assert_eq!(
        review.kpis.iter().map(|k| k.kpi).collect::<Vec<_>>(),
        Kpi::ALL.to_vec()
    );
    for (quarter, shown) in [
        (q, column(|k| &k.value)),
        (q.previous(), column(|k| &k.previous)),
        (q.year_before(), column(|k| &k.year_before)),
    ] {
        let expected = figures_by_sql(&store, &id, quarter.first_day(), quarter.last_day()).await;
        for ((kpi, shown), expected) in Kpi::ALL.iter().zip(&shown).zip(&expected) {
            assert_eq!(shown, expected, "{quarter} {kpi:?}");
        }
    }
    assert!(value(&review, Kpi::ActiveCustomers) > Some(Decimal::ZERO));
    assert!(
        value(&review, Kpi::Retention).is_some(),
        "the demo partner has a retention"
    );
    assert!(
        value(&review, Kpi::RunwayDays).is_some(),
        "the demo partner consumes"
    );
    assert!(
        review.kpi(Kpi::Balance).unwrap().year_before.is_some(),
        "the demo data reaches a year back"
    );

    // The quarter's months add up to the quarter, and the previous quarter is Q2.
    let months: Decimal = review.monthly[9..]
        .iter()
        .map(|m| m.consumed.parse::<Decimal>().unwrap())
        .sum();
    assert_eq!(
        Some(months.normalize()),
        value(&review, Kpi::CreditsConsumed)
    );
    assert_eq!(review.monthly.len(), 12);
    assert_eq!(review.monthly[11].month, "2026-09");
    assert_eq!(
        (review.previous.as_str(), review.year_before.as_str()),
        ("2026-Q2", "2025-Q3")
    );
    assert!(review.qbr_included);

    // Ledger lines from a feed that did not carry their billing are looked up by deployment: the
    // same figures.
    sqlx::query("UPDATE ledger_entries SET billing = NULL WHERE partner_id = ?")
        .bind(&id)
        .execute(store.pool())
        .await
        .unwrap();
    let looked_up = qbr::review(&store, p.id, q, as_of()).await.unwrap();
    assert_eq!(looked_up.kpis, review.kpis);
    assert_eq!(looked_up.monthly, review.monthly);

    // Tier progression from the review's facts equals the partner page's, computed by SQL over
    // the whole cache, on the quarter's last day.
    let page = desk::portfolio::partner::page(&store, p.id, q.last_day())
        .await
        .unwrap();
    assert_eq!(review.progression, page.progression);
    assert_eq!(review.outlook, page.outlook);
    assert_eq!(review.next_tier, page.next_tier);
    assert_eq!(review.account_manager, page.account_manager);
}

/// The partners in the user's cache.
async fn in_scope(store: &Store) -> Vec<program::contract::PartnerId> {
    sqlx::query_scalar::<_, String>("SELECT id FROM partners ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|id| program::contract::PartnerId(id.parse().unwrap()))
        .collect()
}

/// A partner's review with the user's low-runway alert at `days`.
async fn review_with_alert(
    store: &Store,
    partner: program::contract::PartnerId,
    days: u32,
) -> Review {
    desk::settings::set(
        store,
        desk::views::Settings {
            low_runway_days: days,
        },
    )
    .await
    .unwrap();
    qbr::review(store, partner, QUARTER.parse().unwrap(), as_of())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_runway_under_the_users_alert_is_a_risk_and_one_at_it_is_not() {
    let w = world().await;
    // A partner whose closing runway leaves room for an alert above and at it.
    let mut found = None;
    for (i, p) in w.data.partners.iter().take(12).enumerate() {
        let store = w
            .device(
                &format!("am-{i}"),
                "ana.am",
                Role::PlatformAccountManager,
                p,
            )
            .await
            .store;
        let review = review_with_alert(&store, p.id, 30).await;
        let runway = value(&review, Kpi::RunwayDays).map(|d| u32::try_from(d).unwrap());
        if let Some(days) = runway.filter(|d| (1..365).contains(d)) {
            found = Some((store, p.id, days));
            break;
        }
    }
    let (store, partner, days) = found.expect("a demo partner with a runway under a year");
    let low = |r: &Review| {
        r.risks
            .iter()
            .filter_map(|r| match r {
                qbr::Risk::LowRunway { days, threshold } => Some((*days, *threshold)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let above = review_with_alert(&store, partner, days + 1).await;
    assert_eq!(low(&above), vec![(days, days + 1)]);
    let at = review_with_alert(&store, partner, days).await;
    assert_eq!(low(&at), vec![]);
    // The workbook names the alert it was measured against.
    let dir = tempfile::tempdir().unwrap();
    let book = qbr::export(above, Lang::En, Audience::Partner, None, dir.path())
        .await
        .unwrap()
        .workbook;
    let mut wb: Xlsx<_> = open_workbook(&book).unwrap();
    let risks = wb.worksheet_range("Risks").unwrap();
    let row = risks
        .rows()
        .find(|r| r[0] == Data::String("Low credit runway".into()))
        .expect("the low-runway row");
    assert_eq!(
        (&row[3], &row[4]),
        (
            &Data::Float(f64::from(days)),
            &Data::Float(f64::from(days + 1))
        )
    );
}

#[tokio::test]
async fn customers_whose_last_answer_of_the_quarter_was_six_or_less_are_listed_as_detractors() {
    let w = world().await;
    let p = w.partner(|p| p.tier == Tier::Strategic);
    let store = account_manager(&w, &p).await;
    for partner in in_scope(&store).await {
        let review = qbr::review(&store, partner, QUARTER.parse().unwrap(), as_of())
            .await
            .unwrap();
        // Each customer's answers on its last answered day of the quarter, by SQL.
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT c.name, r.score FROM nps_responses r \
             JOIN customers c ON c.id = r.customer_id \
             WHERE r.partner_id = ?1 AND r.answered_on BETWEEN '2026-07-01' AND '2026-09-30' \
               AND r.answered_on = (SELECT max(o.answered_on) FROM nps_responses o \
                     WHERE o.partner_id = ?1 AND o.customer_id = r.customer_id \
                       AND o.answered_on BETWEEN '2026-07-01' AND '2026-09-30')",
        )
        .bind(partner.to_string())
        .fetch_all(store.pool())
        .await
        .unwrap();
        let listed: Vec<(String, u8)> = review
            .risks
            .iter()
            .filter_map(|r| match r {
                qbr::Risk::Detractor { customer, score } => Some((customer.clone(), *score)),
                _ => None,
            })
            .collect();
        for (name, score) in &rows {
            let last: Vec<i64> = rows.iter().filter(|r| &r.0 == name).map(|r| r.1).collect();
            if last.iter().all(|s| *s <= 6) {
                assert!(
                    listed
                        .iter()
                        .any(|(c, s)| c == name && last.contains(&i64::from(*s))),
                    "{name} answered {score} last: a detractor"
                );
            } else if last.iter().all(|s| *s > 6) {
                assert!(
                    listed.iter().all(|(c, _)| c != name),
                    "{name} answered {score} last: not a detractor"
                );
            }
        }
        assert!(listed.iter().all(|(_, s)| *s <= 6));
    }
    // A customer whose last answer of the quarter is a 3 is listed with it; a 9 the next day
    // takes it off the list.
    let (customer, name): (String, String) = sqlx::query_as(
        "SELECT id, name FROM customers c WHERE partner_id = ?1 AND NOT EXISTS \
           (SELECT 1 FROM nps_responses r WHERE r.customer_id = c.id AND r.answered_on >= '2026-09-29') \
         ORDER BY id LIMIT 1",
    )
    .bind(p.id.to_string())
    .fetch_one(store.pool())
    .await
    .unwrap();
    let detractor = |r: &Review| {
        r.risks
            .iter()
            .any(|r| matches!(r, qbr::Risk::Detractor { customer, score: 3 } if *customer == name))
    };
    for (day, score, listed) in [("2026-09-29", 3, true), ("2026-09-30", 9, false)] {
        sqlx::query(
            "INSERT INTO nps_responses (id, customer_id, partner_id, answered_on, score) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(&customer)
        .bind(p.id.to_string())
        .bind(day)
        .bind(score)
        .execute(store.pool())
        .await
        .unwrap();
        let review = qbr::review(&store, p.id, QUARTER.parse().unwrap(), as_of())
            .await
            .unwrap();
        assert_eq!(
            detractor(&review),
            listed,
            "{name} answered {score} on {day}"
        );
    }
}

#[tokio::test]
async fn a_partner_whose_tier_lacks_qbrs_gets_an_internal_review() {
    let w = world().await;
    let p = w.partner(|p| p.tier == Tier::Authorized);
    let store = account_manager(&w, &p).await;
    let review = qbr::review(&store, p.id, QUARTER.parse().unwrap(), as_of())
        .await
        .unwrap();
    assert!(!review.qbr_included);
    let dir = tempfile::tempdir().unwrap();
    let deck = qbr::export(review, Lang::En, Audience::Partner, None, dir.path())
        .await
        .unwrap()
        .deck;
    let flat = pdftotext(&deck)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(flat.contains("Internal review"), "{flat}");
    assert!(flat.contains("does not include Quarterly Executive Reviews"));
}

#[tokio::test]
async fn a_review_of_a_past_quarter_uses_the_tier_in_force_then() {
    let w = world().await;
    // A Specialist partner that was still Authorized for a whole quarter before it climbed.
    let p = w.partner(|p| {
        p.tier == Tier::Specialist
            && Quarter::of(p.tier_history[1].on).previous().first_day() >= p.joined_on
    });
    let climbed = p.tier_history[1].on;
    let store = account_manager(&w, &p).await;
    let before = Quarter::of(climbed).previous();
    let then = qbr::review(&store, p.id, before, as_of()).await.unwrap();
    assert_eq!(
        then.tier,
        Tier::Authorized,
        "{before}, climbed on {climbed}"
    );
    assert!(!then.qbr_included, "Authorized has no QBRs");
    assert_eq!(then.next_tier, Some(Tier::Specialist));
    let now = qbr::review(&store, p.id, Quarter::of(as_of()), as_of())
        .await
        .unwrap();
    assert_eq!(now.tier, Tier::Specialist);
    // The deck says the same.
    let dir = tempfile::tempdir().unwrap();
    let deck = qbr::export(then, Lang::En, Audience::Partner, None, dir.path())
        .await
        .unwrap()
        .deck;
    let flat = pdftotext(&deck)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(flat.contains("Internal review"), "{flat}");
}

#[tokio::test]
async fn retention_of_a_partner_younger_than_12_months_is_over_its_time_in_the_program() {
    let w = world().await;
    let year_ago = program::metrics::trailing_start(as_of());
    // The young partner with the most customers deployed for.
    let deployed_for = |p: &Partner| {
        w.data
            .deployments
            .iter()
            .filter(|d| d.partner_id == p.id)
            .map(|d| d.customer_id)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let p = w
        .data
        .partners
        .iter()
        .filter(|p| p.joined_on > year_ago)
        .max_by_key(|p| deployed_for(p))
        .cloned()
        .unwrap();
    assert!(deployed_for(&p) > 0, "{} deployed for no one", p.name);
    let store = account_manager(&w, &p).await;
    let page = desk::portfolio::partner::page(&store, p.id, as_of())
        .await
        .unwrap();
    assert_eq!(page.retention_since, Some(p.joined_on.to_string()));
    assert_eq!(page.retention_base as usize, deployed_for(&p));
    assert!(
        page.partner.retention.is_some(),
        "a young partner can progress"
    );
    // The review's progression, from its own facts, says the same as the page's SQL.
    let review = qbr::review(&store, p.id, Quarter::of(as_of()), as_of())
        .await
        .unwrap();
    assert_eq!(review.progression, page.progression);
    // An older partner's is over the whole 12 months.
    let old = w.partner(|o| o.joined_on <= year_ago);
    let store = w
        .device("am-older", "bo.am", Role::PlatformAccountManager, &old)
        .await
        .store;
    let page = desk::portfolio::partner::page(&store, old.id, as_of())
        .await
        .unwrap();
    assert_eq!(page.retention_since, None);
}

#[tokio::test]
async fn a_quarter_not_begun_or_not_a_quarter_is_refused_and_nothing_is_written() {
    let w = world().await;
    let p = w.partner(|p| p.tier == Tier::Strategic);
    let store = account_manager(&w, &p).await;
    let err = qbr::review(&store, p.id, "2027-Q2".parse().unwrap(), as_of())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("has not begun"), "{err}");
    for bad in ["2026-Q5", "Q3", "2026", "next quarter"] {
        let err = qbr::parse_quarter(bad).unwrap_err();
        assert!(err.to_string().contains("2026-Q3"), "{bad}: {err}");
    }
    // The quarter in progress is measured to date.
    let now = qbr::review(&store, p.id, "2026-Q4".parse().unwrap(), as_of())
        .await
        .unwrap();
    assert_eq!(now.measured_to, "2026-11-23");

    // A broken template: the error names the line; no file is left behind.
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("qbr.typ");
    std::fs::write(
        &template,
        "#let d = json(sys.inputs.data)\n#d.no_such_field\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let err = qbr::export(now, Lang::En, Audience::Partner, Some(template), &out)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("line 2"), "{err}");
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);
}
