//! The change feed: paging, compaction, cursors, visibility and checksums.

use std::collections::{BTreeMap, BTreeSet};

use central_api::server::Scope;
use chrono::{TimeZone, Utc};
use program::contract::{
    Customer, Deployment, Entity, LedgerEntry, LedgerEntryId, LedgerKind, NpsResponse, Op, Partner,
    PartnerId, ProblemCode, Role, Territory,
};
use program::{Credits, CustomerMigration};
use reqwest::StatusCode;
use uuid::Uuid;

use crate::common::{all_changes, counts, parse_page, problem, start};

#[tokio::test]
async fn paging_covers_every_row_exactly_once_in_seq_order() {
    let h = start().await;
    let token = h.manager().await;
    let pages = h.sync(&token, 0, 97).await;
    assert!(pages.len() > 5, "several pages");
    let changes = all_changes(&pages);

    let seqs: Vec<u64> = changes.iter().map(|c| c.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "seq strictly increases"
    );
    let rows: BTreeSet<(_, _)> = changes.iter().map(|c| (c.entity, c.id.clone())).collect();
    assert_eq!(rows.len(), changes.len(), "each row once");

    let mut per_entity: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &changes {
        assert_eq!(c.op, Op::Upsert);
        assert_eq!(c.version, 1);
        *per_entity.entry(c.entity.as_str()).or_default() += 1;
    }
    assert_eq!(per_entity, counts(&h.data));

    // Each page starts after the previous page's cursor, and the last one ends at the head.
    let head = h.server.store().head().await.unwrap();
    for pair in pages.windows(2) {
        assert_eq!(pair[1].header.after, pair[0].trailer.next);
        assert!(pair[0].trailer.has_more);
    }
    let last = pages.last().unwrap();
    assert!(!last.trailer.has_more);
    assert_eq!(last.trailer.next, head);
    assert!(pages
        .iter()
        .all(|p| p.changes.len() <= 97 && p.header.head == head));
}

#[tokio::test]
async fn nothing_new_after_the_head_answers_304() {
    let h = start().await;
    let token = h.manager().await;
    let head = h.server.store().head().await.unwrap();
    let response = h.changes(&token, head, 100).await;
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert!(response.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_update_moves_the_row_to_a_new_seq_and_the_feed_keeps_one_change_per_row() {
    let h = start().await;
    let token = h.manager().await;
    let head = h.server.store().head().await.unwrap();
    let mut customer = h.data.customers[0].clone();
    customer.name = "Renamed Customer".into();
    let seq = h.server.store().upsert_customer(&customer).await.unwrap();
    assert_eq!(seq, head + 1);

    let page = h.page(&token, head, 100).await;
    assert_eq!(page.changes.len(), 1);
    let change = &page.changes[0];
    assert_eq!(
        (change.seq, change.version, change.op),
        (seq, 2, Op::Upsert)
    );
    let data: Customer = serde_json::from_value(change.data.clone().unwrap()).unwrap();
    assert_eq!(data, customer);

    // A bootstrap sees the customer once, at its new seq.
    let all = h.sync(&token, 0, 1_000).await;
    let mine: Vec<_> = all_changes(&all)
        .into_iter()
        .filter(|c| c.id == customer.id.to_string())
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].seq, seq);
}

#[tokio::test]
async fn deletes_appear_as_tombstones_without_data() {
    let h = start().await;
    let token = h.manager().await;
    let head = h.server.store().head().await.unwrap();
    let territory = &h.data.territories[0];
    let id = territory.id.to_string();
    h.server
        .store()
        .delete(Entity::Territory, &id)
        .await
        .unwrap();

    let page = h.page(&token, head, 100).await;
    assert_eq!(page.changes.len(), 1);
    let change = &page.changes[0];
    assert_eq!((change.entity, change.op), (Entity::Territory, Op::Delete));
    assert_eq!((change.id.as_str(), change.version), (id.as_str(), 2));
    assert!(change.data.is_none());

    // The owning partner's users see the tombstone too.
    let owner = h
        .partner_user(Role::PartnerAdmin, territory.partner_id)
        .await;
    let page = h.page(&owner, head, 100).await;
    assert_eq!(page.changes.len(), 1);
    assert_eq!(page.changes[0].op, Op::Delete);
    assert_eq!(
        h.server
            .store()
            .count(Entity::Territory, &Scope::All)
            .await
            .unwrap() as usize,
        h.data.territories.len() - 1
    );
}

#[tokio::test]
async fn a_cursor_below_the_horizon_gets_410_after_compaction() {
    let h = start().await;
    let token = h.manager().await;
    let store = h.server.store();
    let old_cursor = store.head().await.unwrap();
    store
        .delete(Entity::Territory, &h.data.territories[0].id.to_string())
        .await
        .unwrap();
    let mut customer = h.data.customers[1].clone();
    customer.founder = "New Founder".into();
    store.upsert_customer(&customer).await.unwrap();
    let head = store.head().await.unwrap();
    assert_eq!(
        store.compact(head).await.unwrap(),
        1,
        "one tombstone purged"
    );

    let response = h.changes(&token, old_cursor, 100).await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert_eq!(problem(response).await.code, ProblemCode::CursorTooOld);

    // At the horizon the cursor is still good; and 0 is always a full bootstrap, without the
    // purged tombstone.
    assert_eq!(
        h.changes(&token, head, 100).await.status(),
        StatusCode::NOT_MODIFIED
    );
    let all = h.sync(&token, 0, 1_000).await;
    assert!(all_changes(&all).iter().all(|c| c.op == Op::Upsert));
}

#[tokio::test]
async fn compaction_breaks_bootstraps_in_flight_but_not_those_started_after_it() {
    let h = start().await;
    let store = h.server.store();
    let interrupted = h.manager().await;
    let first = h.page(&interrupted, 0, 100).await;
    assert!(first.trailer.has_more);

    store
        .delete(Entity::Territory, &h.data.territories[0].id.to_string())
        .await
        .unwrap();
    store.compact(store.head().await.unwrap()).await.unwrap();

    // The bootstrap that began before the purge may hold a row whose tombstone is gone.
    let response = h.changes(&interrupted, first.trailer.next, 100).await;
    assert_eq!(response.status(), StatusCode::GONE);

    // One that begins after it walks below the horizon page by page, to the end.
    let fresh = h.manager().await;
    let pages = h.sync(&fresh, 0, 100).await;
    assert!(pages.len() > 3);
    let horizon = store.horizon().await.unwrap();
    assert!(pages[1].header.after < horizon);
    assert_eq!(
        pages.last().unwrap().trailer.next,
        store.head().await.unwrap()
    );

    // Until the next compaction: then its old cursors are too old as well.
    store.compact(store.head().await.unwrap()).await.unwrap();
    let response = h.changes(&fresh, pages[1].header.after, 100).await;
    assert_eq!(response.status(), StatusCode::GONE);
}

#[tokio::test]
async fn a_cursor_ahead_of_the_head_gets_410() {
    let h = start().await;
    let token = h.manager().await;
    let head = h.server.store().head().await.unwrap();
    let response = h.changes(&token, head + 10, 100).await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert_eq!(problem(response).await.code, ProblemCode::CursorTooOld);
}

#[tokio::test]
async fn bad_paging_parameters_get_400_problem() {
    let h = start().await;
    let token = h.manager().await;
    for query in ["after=-1", "after=abc", "limit=0", "limit=50001", "limit=x"] {
        let response = h.get(&token, &format!("/v1/changes?{query}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(problem(response).await.code, ProblemCode::BadRequest);
    }
    // Defaults: after 0, limit 1000.
    let response = h.get(&token, "/v1/changes").await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = parse_page(&response.text().await.unwrap());
    assert_eq!(page.header.after, 0);
    assert_eq!(page.changes.len(), 1_000);
}

/// What a partner may see, by the visibility rules, computed from the dataset.
fn visible_to(
    h: &crate::common::Harness,
    me: PartnerId,
    entity: Entity,
    data: &serde_json::Value,
) -> bool {
    let migrated_with_me = |customer: program::contract::CustomerId| {
        h.data
            .migrations
            .iter()
            .any(|m| m.customer_id == customer && (m.from_partner == me || m.to_partner == me))
    };
    let customer_partner = |customer| {
        h.data
            .customers
            .iter()
            .find(|c| c.id == customer)
            .map(|c| c.partner_id)
    };
    let value = data.clone();
    match entity {
        Entity::Partner => serde_json::from_value::<Partner>(value).unwrap().id == me,
        Entity::Territory => {
            serde_json::from_value::<Territory>(value)
                .unwrap()
                .partner_id
                == me
        }
        Entity::LedgerEntry => {
            serde_json::from_value::<LedgerEntry>(value)
                .unwrap()
                .partner_id
                == me
        }
        Entity::NpsResponse => {
            serde_json::from_value::<NpsResponse>(value)
                .unwrap()
                .partner_id
                == me
        }
        Entity::Customer => {
            let c: Customer = serde_json::from_value(value).unwrap();
            c.partner_id == me || migrated_with_me(c.id)
        }
        Entity::Deployment => {
            let d: Deployment = serde_json::from_value(value).unwrap();
            d.partner_id == me || customer_partner(d.customer_id) == Some(me)
        }
        Entity::CustomerMigration => {
            let m: CustomerMigration = serde_json::from_value(value).unwrap();
            m.from_partner == me || m.to_partner == me
        }
        Entity::Deal => {
            serde_json::from_value::<program::deals::Deal>(value)
                .unwrap()
                .partner_id
                == me
        }
        Entity::Quote => {
            serde_json::from_value::<program::quotes::Quote>(value)
                .unwrap()
                .partner_id
                == me
        }
        Entity::ActionItem => {
            serde_json::from_value::<program::qbr::ActionItem>(value)
                .unwrap()
                .partner_id
                == me
        }
        // The catalog and the territory map are everyone's.
        Entity::CatalogItem | Entity::TerritoryClaim => true,
    }
}

#[tokio::test]
async fn a_partner_users_feed_holds_exactly_the_rows_it_may_see() {
    let h = start().await;
    // A partner that took a customer over by migration: it sees that customer's history too.
    let partner = h.data.migrations[0].to_partner;
    // A quote and an action item of its own, and of another partner.
    let other = h.partners().into_iter().find(|p| *p != partner).unwrap();
    for p in [partner, other] {
        let p = h.data.partners.iter().find(|x| x.id == p).unwrap();
        let quote = crate::quotes::quote(p, "PE", program::Brand::CentroPago, "CORE-CP", Some(12));
        let item = program::qbr::ActionItem {
            id: program::qbr::ActionItemId(uuid::Uuid::now_v7()),
            partner_id: p.id,
            quarter: "2026-Q4".parse().unwrap(),
            text: format!("Call {}", p.name),
            owner: "Pat".into(),
            due_on: "2026-12-31".parse().unwrap(),
            done: false,
        };
        let store = h.server.store();
        store
            .upsert(Entity::Quote, serde_json::to_value(quote).unwrap())
            .await
            .unwrap();
        store
            .upsert(Entity::ActionItem, serde_json::to_value(item).unwrap())
            .await
            .unwrap();
    }
    let token = h.partner_user(Role::PartnerSales, partner).await;
    let changes: Vec<_> = h
        .sync(&token, 0, 250)
        .await
        .into_iter()
        .flat_map(|p| p.changes)
        .collect();
    for c in &changes {
        let data = c.data.as_ref().expect("upserts only");
        assert!(
            visible_to(&h, partner, c.entity, data),
            "{} {} is not {partner}'s",
            c.entity.as_str(),
            c.id
        );
    }
    // And nothing it may see is missing.
    let everything = h.sync(&h.manager().await, 0, 1_000).await;
    let expected = all_changes(&everything)
        .into_iter()
        .filter(|c| visible_to(&h, partner, c.entity, c.data.as_ref().unwrap()))
        .count();
    assert_eq!(changes.len(), expected);
    for entity in [Entity::CustomerMigration, Entity::Quote, Entity::ActionItem] {
        let n = changes.iter().filter(|c| c.entity == entity).count();
        assert_eq!(n, 1, "{} of its own", entity.as_str());
    }
}

#[tokio::test]
async fn rows_the_caller_cannot_see_still_advance_its_cursor_to_the_head() {
    let h = start().await;
    let partners = h.partners();
    let token = h.partner_user(Role::PartnerAdmin, partners[0]).await;
    let head = h.server.store().head().await.unwrap();
    // An Authorized partner: it holds no territory, so the public territory map does not name it.
    let mut other = h.data.partners.last().unwrap().clone();
    assert_eq!(other.tier, program::Tier::Authorized);
    other.name = "Someone Else".into();
    h.server.store().upsert_partner(&other).await.unwrap();

    let page = h.page(&token, head, 100).await;
    assert!(page.changes.is_empty());
    assert_eq!(page.trailer.next, head + 1);
    assert!(!page.trailer.has_more);
    assert_eq!(
        h.changes(&token, page.trailer.next, 100).await.status(),
        StatusCode::NOT_MODIFIED
    );
}

#[tokio::test]
async fn trailer_checksums_state_each_partners_ledger_as_of_the_cursor() {
    let h = start().await;
    let token = h.manager().await;
    let pages = h.sync(&token, 0, 150).await;
    let mut entries: BTreeMap<PartnerId, (u64, Credits)> = BTreeMap::new();
    let mut checked = 0;
    for page in &pages {
        let mut touched = BTreeSet::new();
        for c in &page.changes {
            if c.entity == Entity::LedgerEntry {
                let e: LedgerEntry = serde_json::from_value(c.data.clone().unwrap()).unwrap();
                let t = entries.entry(e.partner_id).or_insert((0, Credits::ZERO));
                *t = (t.0 + 1, t.1 + e.credits);
                touched.insert(e.partner_id);
            }
        }
        let stated: BTreeSet<_> = page
            .trailer
            .checksums
            .iter()
            .map(|c| c.partner_id)
            .collect();
        assert_eq!(stated, touched);
        for checksum in &page.trailer.checksums {
            assert_eq!(
                (checksum.entries, checksum.balance),
                entries[&checksum.partner_id]
            );
            checked += 1;
        }
    }
    assert!(checked > 0);
    let balances = h.server.store().balances().await.unwrap();
    assert_eq!(
        balances,
        entries
            .iter()
            .map(|(p, (_, b))| (*p, *b))
            .collect::<BTreeMap<_, _>>()
    );
}

#[tokio::test]
async fn the_ledger_is_append_only() {
    let h = start().await;
    let store = h.server.store();
    let existing = h.data.ledger[0].clone();
    let mut changed = existing.clone();
    changed.credits = Credits::whole(1);
    assert!(store.append_ledger(&changed).await.is_err());
    assert!(store
        .delete(Entity::LedgerEntry, &existing.id.to_string())
        .await
        .is_err());
    assert!(store
        .upsert(Entity::LedgerEntry, serde_json::to_value(&changed).unwrap())
        .await
        .is_err());
    // A new line is appended and moves the balance.
    let before = store.balances().await.unwrap()[&existing.partner_id];
    let line = LedgerEntry {
        id: LedgerEntryId(Uuid::now_v7()),
        partner_id: existing.partner_id,
        at: Utc.with_ymd_and_hms(2026, 11, 23, 15, 0, 0).unwrap(),
        kind: LedgerKind::Adjustment,
        credits: Credits::whole(-5),
        fiat: None,
        rate: None,
        deployment_id: None,
        customer_id: None,
        billing: None,
        reason: Some(program::contract::AdjustmentReason::Correction),
    };
    store.append_ledger(&line).await.unwrap();
    assert_eq!(
        store.balances().await.unwrap()[&existing.partner_id],
        before - Credits::whole(5)
    );
}

#[tokio::test]
async fn pages_are_gzip_compressed_when_the_client_accepts_it() {
    let h = start().await;
    let token = h.manager().await;
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let response = raw
        .get(h.url("/v1/changes?after=0&limit=500"))
        .bearer_auth(&token)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let body = response.bytes().await.unwrap();
    assert_eq!(&body[..2], &[0x1f, 0x8b], "gzip magic");
}
