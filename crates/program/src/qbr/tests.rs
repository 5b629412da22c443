use super::*;
use crate::deals::{DealId, DealInput};
use crate::lang::Lang;
use crate::regions::{Brand, Country};
use chrono::{TimeZone, Utc};
use uuid::Uuid;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}
fn partner(n: u128) -> PartnerId {
    PartnerId(Uuid::from_u128(n))
}
fn customer(n: u128) -> CustomerId {
    CustomerId(Uuid::from_u128(n))
}
const ME: u128 = 1;
const OTHER: u128 = 2;

fn q(s: &str) -> Quarter {
    s.parse().unwrap()
}

#[test]
fn quarters_parse_print_and_step() {
    let q3 = q("2026-Q3");
    assert_eq!(q3.to_string(), "2026-Q3");
    assert_eq!(q("2026q3"), q3);
    assert_eq!(
        (q3.first_day(), q3.last_day()),
        (day(2026, 7, 1), day(2026, 9, 30))
    );
    assert_eq!(q3.previous(), q("2026-Q2"));
    assert_eq!(q("2026-Q1").previous(), q("2025-Q4"));
    assert_eq!(q("2026-Q4").next(), q("2027-Q1"));
    assert_eq!(q3.year_before(), q("2025-Q3"));
    assert_eq!(Quarter::of(day(2026, 11, 24)), q("2026-Q4"));
    assert_eq!(q("2024-Q1").last_day(), day(2024, 3, 31));
    for bad in ["2026-Q5", "2026-Q0", "Q3", "2026", "", "2026-Q3x"] {
        assert!(bad.parse::<Quarter>().is_err(), "{bad}");
    }
    assert_eq!(serde_json::to_string(&q3).unwrap(), "\"2026-Q3\"");
    // A trimestre in Spanish.
    assert_eq!(q3.label(Lang::En), "Q3 2026");
    assert_eq!(q3.label(Lang::Es), "T3 2026");
}

/// A small partner, its numbers worked out by hand in the comments.
fn hand_made() -> Facts {
    let dep = |c: u128, billing, credits: i64, started: NaiveDate, ended: Option<NaiveDate>| {
        // Made by the customer's partner of record that day: 13 was the other partner's until
        // 1 Sep, 12 ours until 15 Aug.
        let by = if c == 13 && started < day(2026, 9, 1) {
            OTHER
        } else {
            ME
        };
        DeploymentFact {
            customer: customer(c),
            partner: partner(by),
            billing,
            credits: Credits::whole(credits),
            started_on: started,
            ended_on: ended,
        }
    };
    let ledger = |on, kind, billing, credits: i64| LedgerDay {
        on,
        kind,
        billing,
        credits: Credits::whole(credits),
    };
    let fact = |n: u128, partner: u128, moves: Vec<Move>| CustomerFact {
        id: customer(n),
        name: format!("C{n}"),
        partner: super::tests::partner(partner),
        moves,
    };
    Facts {
        partner: partner(ME),
        joined_on: day(2024, 1, 15),
        as_of: day(2026, 11, 24),
        customers: vec![
            fact(10, ME, vec![]),
            fact(11, ME, vec![]),
            // Migrated away on 15 Aug 2026.
            fact(
                12,
                OTHER,
                vec![Move {
                    on: day(2026, 8, 15),
                    from: partner(ME),
                    to: partner(OTHER),
                }],
            ),
            // Migrated in on 1 Sep 2026.
            fact(
                13,
                ME,
                vec![Move {
                    on: day(2026, 9, 1),
                    from: partner(OTHER),
                    to: partner(ME),
                }],
            ),
            fact(14, ME, vec![]),
        ],
        deployments: vec![
            dep(10, Billing::Monthly, 100, day(2026, 1, 10), None),
            dep(
                11,
                Billing::Monthly,
                50,
                day(2026, 2, 1),
                Some(day(2026, 6, 20)),
            ),
            dep(12, Billing::OneOff, 300, day(2026, 5, 5), None),
            dep(13, Billing::Monthly, 70, day(2026, 5, 1), None),
            dep(14, Billing::OneOff, 40, day(2026, 7, 20), None),
            dep(10, Billing::OneOff, 25, day(2026, 9, 30), None),
            dep(13, Billing::OneOff, 9, day(2026, 8, 1), None), // before it was ours
        ],
        opening_balance: Credits::whole(1_000),
        ledger_from: day(2026, 1, 1),
        ledger: vec![
            ledger(day(2026, 6, 30), LedgerKind::Purchase, None, 500),
            ledger(day(2026, 7, 5), LedgerKind::Purchase, None, 2_000),
            ledger(
                day(2026, 7, 10),
                LedgerKind::Consumption,
                Some(Billing::Monthly),
                -150,
            ),
            ledger(
                day(2026, 7, 20),
                LedgerKind::Consumption,
                Some(Billing::OneOff),
                -40,
            ),
            ledger(
                day(2026, 9, 10),
                LedgerKind::Consumption,
                Some(Billing::Monthly),
                -170,
            ),
            ledger(
                day(2026, 9, 30),
                LedgerKind::Consumption,
                Some(Billing::OneOff),
                -25,
            ),
            ledger(day(2026, 9, 30), LedgerKind::Adjustment, None, 5),
            ledger(day(2026, 10, 1), LedgerKind::Purchase, None, 9_999),
        ],
        nps: [(10, 10), (11, 9), (13, 3), (14, 8), (10, 6), (12, 9)]
            .iter()
            .enumerate()
            .map(|(i, (c, s))| NpsFact {
                customer: customer(*c),
                on: day(2026, 7, 1) + Days::new(i as u64 * 10),
                score: *s,
            })
            .collect(),
    }
}

#[test]
fn kpis_of_a_hand_made_quarter() {
    let k = kpis(&hand_made(), q("2026-Q3"));
    // 30 Sep (the 90 days from 3 Jul): 10 active (a monthly one live), 11's monthly ended
    // 20 Jun, more than 90 days before, 12 migrated away, 13 ours since 1 Sep with a monthly one
    // live, 14 made a one-off on 20 Jul → 10, 13, 14.
    assert_eq!(k.active_customers, 3);
    // Started in Q3 for our customers: 14 (20 Jul, 40) and 10 (30 Sep, 25); 13's one of 1 Aug
    // was before it was ours.
    assert_eq!(
        (k.new_deployments, k.deployment_value),
        (2, Credits::whole(65))
    );
    assert_eq!(k.recurring_volume, Credits::whole(320));
    // Six answers from five customers; each customer's latest counts: 10's 6 (not its 10), 11's
    // 9, 12's 9, 13's 3, 14's 8 → promoters 2, detractors 2 of 5 → 0.
    assert_eq!((k.nps.score, k.nps.responses), (Some(0), 5));
    // 30 Jun: 10 (monthly), 11 (monthly), 12 (one-off of 5 May), (13 was the other partner's)
    // → base 3; 30 Sep: only 10 → 1/3.
    assert_eq!((k.retention.base, k.retention.retained), (3, 1));
    assert_eq!(k.retention.churned, vec![customer(11), customer(12)]);
    assert_eq!(k.credits_bought, Credits::whole(2_000));
    assert_eq!(k.credits_consumed, Credits::whole(385));
    // 1000 + 500 + 2000 − 385 + 5 (the adjustment); 1 Oct's purchase is after.
    assert_eq!(k.balance, Credits::whole(3_120));
    // The last 30 days consumed 170 + 25 = 195: 6.5 a day; 3120 / 6.5 = 480.
    assert_eq!(k.runway_days, Some(480));
    assert_eq!(k.value(Kpi::Retention), Some(Decimal::new(3333, 4)));
}

#[test]
fn the_previous_quarter_counts_the_customer_that_later_moved() {
    let k = kpis(&hand_made(), q("2026-Q2"));
    // 30 Jun: 10, 11, 12 (still ours) are active; 13 belonged to the other partner.
    assert_eq!(k.active_customers, 3);
    // Q2 starts: 12's one-off of 5 May; 13's of 1 May was not ours then.
    assert_eq!(
        (k.new_deployments, k.deployment_value),
        (1, Credits::whole(300))
    );
    assert_eq!(k.credits_bought, Credits::whole(500));
    assert_eq!(k.balance, Credits::whole(1_500));
    assert_eq!(k.runway_days, None, "nothing consumed in the last 30 days");
    assert_eq!(k.nps.score, None);
}

#[test]
fn monthly_trend_ends_with_the_quarters_last_month() {
    let m = monthly(&hand_made(), q("2026-Q3"));
    assert_eq!(m.len(), 12);
    assert_eq!(m[0].month, day(2025, 10, 1));
    let sep = &m[11];
    assert_eq!(sep.month, day(2026, 9, 1));
    assert_eq!(sep.active_customers, 3);
    assert_eq!(sep.consumed, Credits::whole(195));
    assert_eq!(sep.balance, Credits::whole(3_120));
    let jul = &m[9];
    assert_eq!(
        (jul.bought, jul.consumed, jul.new_deployments),
        (Credits::whole(2_000), Credits::whole(190), 1)
    );
    // The quarter's months add up to the quarter.
    let k = kpis(&hand_made(), q("2026-Q3"));
    let sum: Credits = m[9..].iter().map(|p| p.consumed).sum();
    assert_eq!(sum, k.credits_consumed);
}

#[test]
fn a_quarter_in_progress_is_measured_to_date() {
    let mut facts = hand_made();
    facts.as_of = day(2026, 9, 10);
    let k = kpis(&facts, q("2026-Q3"));
    // Up to 10 Sep: the 170 of 10 Sep counts, the 25 and the adjustment of 30 Sep do not.
    assert_eq!(k.credits_consumed, Credits::whole(360));
    assert_eq!(k.balance, Credits::whole(3_140));
    // 10 is counted (13 too: ours since 1 Sep), 14 active, and 11: its monthly deployment ended
    // on 20 Jun, within the 90 days to 10 Sep.
    assert_eq!(k.active_customers, 4);
    assert_eq!(k.new_deployments, 1);
    assert_eq!(
        monthly(&facts, q("2026-Q3"))[11].consumed,
        Credits::whole(170)
    );
}

#[test]
fn progression_metrics_are_the_trailing_year_definitions() {
    let facts = hand_made();
    let m = progression_metrics(&facts, day(2026, 9, 30));
    assert_eq!(m.active_customers, 3);
    // Trailing year from 30 Sep 2025: 10, 11, 12 had no deployment then → no base.
    assert_eq!(m.retention, None);
    // Each customer's latest answer: 2 promoters, 2 detractors of 5 → 0.
    assert_eq!(m.nps, Some(0));
    assert_eq!(m.recurring_volume, Credits::whole(320));
    // On 31 Jan 2027 the base is who was active on 31 Jan 2026: only 10 (11 and 12 start
    // later, 13 was the other partner's), and 10 is still active.
    let later = progression_metrics(&facts, day(2027, 1, 31));
    assert_eq!(later.retention, Some(Decimal::ONE));
}

#[test]
fn retention_of_a_partner_younger_than_the_window_is_over_its_time_in_the_program() {
    let mut facts = hand_made();
    facts.joined_on = day(2026, 1, 5);
    // Twelve months to 30 Sep 2026 began before it joined: of the customers it deployed for
    // (10, 11, 12, 14; 13's were the other partner's), 10 and 14 are active for it at the end.
    assert_eq!(
        progression_metrics(&facts, day(2026, 9, 30)).retention,
        Some(Decimal::new(5, 1))
    );
    // A quarter it joined in says so.
    facts.joined_on = day(2026, 7, 5);
    let k = kpis(&facts, q("2026-Q3"));
    assert_eq!(k.retention.since, Some(day(2026, 7, 5)));
    assert_eq!((k.retention.base, k.retention.retained), (4, 2));
    // One that joined before the quarter is measured over the whole quarter.
    assert_eq!(kpis(&hand_made(), q("2026-Q3")).retention.since, None);
}

#[test]
fn migrations_of_the_quarter_in_and_out() {
    let m = migrations(&hand_made(), q("2026-Q3"));
    assert_eq!(
        m.incoming.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        vec![customer(13)]
    );
    assert_eq!(
        m.outgoing.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        vec![customer(12)]
    );
    assert!(migrations(&hand_made(), q("2026-Q2")).incoming.is_empty());
}

#[test]
fn detractors_are_customers_whose_last_answer_was_six_or_less() {
    // 10 answered 10 then 6: a detractor now; 13 answered 3.
    assert_eq!(
        detractors(&hand_made(), q("2026-Q3")),
        vec![(customer(13), 3), (customer(10), 6)]
    );
}

#[test]
fn top_customers_rank_by_consumption_and_skip_zero() {
    let list = [
        (customer(1), Credits::whole(5)),
        (customer(2), Credits::whole(50)),
        (customer(3), Credits::ZERO),
        (customer(4), Credits::whole(50)),
    ];
    assert_eq!(
        top_customers(&list, 2),
        vec![
            (customer(2), Credits::whole(50)),
            (customer(4), Credits::whole(50))
        ]
    );
    assert_eq!(top_customers(&list, 10).len(), 3);
}

#[test]
fn change_is_relative_for_amounts_and_in_points_or_days_for_scores_and_runway() {
    let d = |n: i64| Some(Decimal::from(n));
    assert_eq!(
        change(Kpi::ActiveCustomers, d(120), d(100)),
        (d(20), Some(Decimal::new(2, 1)))
    );
    assert_eq!(change(Kpi::Nps, d(40), d(25)), (d(15), None));
    assert_eq!(change(Kpi::RunwayDays, d(12), d(90)), (d(-78), None));
    assert_eq!(change(Kpi::Retention, d(1), d(2)), (d(-1), None));
    assert_eq!(change(Kpi::Balance, d(10), d(0)), (d(10), None));
    assert_eq!(change(Kpi::Nps, None, d(25)), (None, None));
}

#[test]
fn every_kpi_has_a_definition_in_both_languages() {
    for kpi in Kpi::ALL {
        for lang in [Lang::En, Lang::Es] {
            assert!(kpi.definition(lang).len() > 30, "{kpi:?}");
            assert!(!kpi.name(lang).is_empty());
        }
        assert_ne!(kpi.definition(Lang::En), kpi.definition(Lang::Es));
    }
}

#[test]
fn open_action_items_of_earlier_quarters_are_carried_over() {
    assert!(carried_over(q("2026-Q2"), false, q("2026-Q3")));
    assert!(!carried_over(q("2026-Q2"), true, q("2026-Q3")));
    assert!(!carried_over(q("2026-Q3"), false, q("2026-Q3")));
    let item = ActionItem {
        id: ActionItemId(Uuid::from_u128(9)),
        partner_id: partner(ME),
        quarter: q("2026-Q2"),
        text: "Train the new sales team".into(),
        owner: "Ana".into(),
        due_on: day(2026, 8, 1),
        done: false,
    };
    assert!(item.shown_in(q("2026-Q2")) && item.shown_in(q("2026-Q3")));
    assert!(!item.shown_in(q("2026-Q1")), "not before it was written");
    let done = ActionItem {
        done: true,
        ..item.clone()
    };
    assert!(done.shown_in(q("2026-Q2")) && !done.shown_in(q("2026-Q3")));
}

#[test]
fn an_action_item_needs_a_text_an_owner_and_a_due_date_in_or_after_its_quarter() {
    let item = ActionItem {
        id: ActionItemId(Uuid::from_u128(9)),
        partner_id: partner(ME),
        quarter: q("2026-Q3"),
        text: "Renew the CentroPago bundle".into(),
        owner: "Ana".into(),
        due_on: day(2026, 12, 15),
        done: false,
    };
    assert_eq!(item.check(), Ok(()));
    let with = |f: &dyn Fn(&mut ActionItem)| {
        let mut i = item.clone();
        f(&mut i);
        i.check()
    };
    assert_eq!(with(&|i| i.text = "  ".into()), Err(ActionItemRule::Text));
    assert_eq!(
        with(&|i| i.text = "x".repeat(501)),
        Err(ActionItemRule::Text)
    );
    assert_eq!(
        with(&|i| i.text = "é".repeat(500)),
        Ok(()),
        "characters, not bytes"
    );
    assert_eq!(
        with(&|i| i.owner = String::new()),
        Err(ActionItemRule::Owner)
    );
    assert!(matches!(
        with(&|i| i.due_on = day(2026, 6, 30)),
        Err(ActionItemRule::DueBeforeQuarter { .. })
    ));
    assert_eq!(with(&|i| i.due_on = day(2026, 7, 1)), Ok(()));
}

#[test]
fn deals_are_won_or_lost_in_the_quarter_their_stage_closed() {
    let at = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap();
    let deal = |n: u128, stage, value: i64, registered, since| {
        let mut d = Deal::registered(
            DealInput {
                id: DealId(Uuid::from_u128(n)),
                partner_id: partner(ME),
                company: format!("Co {n}"),
                domain: None,
                country: Country::parse("MX").unwrap(),
                subdivision: None,
                brand: Brand::CentroPago,
                products: vec![],
                value: Credits::whole(value),
                expected_close: None,
                owner: "ana".into(),
                notes: String::new(),
            },
            registered,
            "ana",
        );
        d.status = DealStatus::Approved;
        d.stage = stage;
        d.stage_since = since;
        d
    };
    let deals = [
        deal(1, DealStage::Won, 100, at(2026, 5, 1), at(2026, 8, 1)),
        deal(2, DealStage::Lost, 40, at(2026, 5, 1), at(2026, 9, 30)),
        deal(3, DealStage::Won, 7, at(2026, 5, 1), at(2026, 6, 30)), // won in Q2
        deal(4, DealStage::Proposal, 60, at(2026, 7, 1), at(2026, 7, 2)),
        deal(5, DealStage::Won, 9, at(2026, 9, 1), at(2026, 10, 2)), // open at Q3's end
        deal(6, DealStage::Qualified, 1, at(2026, 10, 5), at(2026, 10, 5)), // after Q3
    ];
    let s = deal_summary(&deals, q("2026-Q3"));
    assert_eq!((s.won, s.won_value), (1, Credits::whole(100)));
    assert_eq!((s.lost, s.lost_value), (1, Credits::whole(40)));
    assert_eq!((s.open, s.open_value), (2, Credits::whole(69)));
    assert_eq!(s.win_rate, Some(Decimal::new(5, 1)));
}
