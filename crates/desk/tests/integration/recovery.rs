//! A damaged cache is recovered, not fatal (in a real OS secret store, as `secrets`): a file cut
//! short, flipped bytes, a wrong or a missing key are each moved aside and told apart, the
//! waiting changes carried into a fresh cache and sent, and the mirror refilled.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use desk::api::Token;
use desk::secrets;
use desk::signin::Credentials;
use desk::store::{cipher, CACHE_FILE};
use desk::views::{SyncPhase, WorkspaceKind};
use desk::Desk;
use program::contract::Role;
use program::Credits;

use crate::common::{self, as_of, fast};

/// How a test damages a closed cache.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Harm {
    /// The file loses its last third (a disk that filled up, a copy that stopped).
    CutShort,
    /// 64 bytes in the middle of the file are flipped.
    FlippedBytes,
    /// The secret store holds another key for it.
    WrongKey,
    /// The secret store no longer holds its key (the keychain was reset).
    KeyGone,
}

pub(crate) async fn harm(cache: &Path, harm: Harm) {
    match harm {
        Harm::CutShort => {
            let file = std::fs::OpenOptions::new().write(true).open(cache).unwrap();
            let length = file.metadata().unwrap().len();
            file.set_len(length * 2 / 3).unwrap();
        }
        Harm::FlippedBytes => {
            let mut bytes = std::fs::read(cache).unwrap();
            let middle = bytes.len() / 2;
            for b in &mut bytes[middle..middle + 64] {
                *b = !*b;
            }
            std::fs::write(cache, bytes).unwrap();
        }
        Harm::WrongKey => secrets::set_database_key(cache, &secrets::DatabaseKey::random())
            .await
            .unwrap(),
        Harm::KeyGone => secrets::delete_database_key(cache).await.unwrap(),
    }
}

/// A laptop signed in to `world`'s server, whose cache holds its data, three purchases not yet
/// sent and a setting of the user's; then the cache is closed, damaged by `how`, and the app
/// starts again. Returns the new start's Desk, the waiting changes by content (id, payload),
/// the partner they buy for and the account.
async fn recovered_after(
    world: &common::World,
    dir: &Path,
    how: Harm,
) -> (Desk, Vec<(String, String)>, String, String) {
    let desk = Desk::open(dir).await.unwrap();
    desk.load_workspace(&world.data, WorkspaceKind::Remote, as_of())
        .await
        .unwrap();
    let store = desk.store();
    let partner = common::three_waiting_purchases(&desk).await;
    desk.set_settings(desk::views::Settings {
        low_runway_days: 45,
    })
    .await
    .unwrap();
    let account = format!("{}/#recovery", world.server.base_url());
    let partners = world.server.store().partner_ids().await.unwrap();
    let token = world
        .server
        .create_token("Laptop", Role::PlatformAccountManager, &partners)
        .await
        .unwrap();
    secrets::store_credentials(&account, &Credentials::token(Token::new(token)))
        .await
        .unwrap();
    store
        .set_state(desk::workspace::ACCOUNT, &account)
        .await
        .unwrap();
    store
        .set_state(desk::workspace::BASE_URL, &world.server.base_url())
        .await
        .unwrap();
    store.set_state(desk::sync::CURSOR, "7").await.unwrap();
    let waiting: Vec<(String, String)> =
        sqlx::query_as("SELECT id, payload FROM outbox ORDER BY seq")
            .fetch_all(store.pool())
            .await
            .unwrap();
    assert_eq!(waiting.len(), 3);
    // Everything in the main file, so the harm below reaches what it aims at.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;
    drop(desk);

    let cache = dir.join(CACHE_FILE);
    harm(&cache, how).await;
    let desk = Desk::open(dir).await.unwrap();
    (desk, waiting, partner, account)
}

async fn outbox_of(desk: &Desk) -> Vec<(String, String)> {
    sqlx::query_as("SELECT id, payload FROM outbox ORDER BY seq")
        .fetch_all(desk.store().pool())
        .await
        .unwrap()
}

/// Waits for the first sync after a recovery, and checks the mirror is whole again and the
/// carried changes reached the platform.
async fn refilled_and_sent(world: &common::World, desk: &Desk, partner: &str) {
    let before = world.server.store().balances().await.unwrap();
    assert!(
        desk.resume(fast()).await.unwrap(),
        "the account was carried"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = desk.sync_status().await.unwrap();
        if status.last_synced_at.is_some() && status.phase == SyncPhase::Idle && status.pending == 0
        {
            break;
        }
        assert!(Instant::now() < deadline, "no sync: {status:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let partners: i64 = sqlx::query_scalar("SELECT count(*) FROM partners")
        .fetch_one(desk.store().pool())
        .await
        .unwrap();
    assert_eq!(partners as usize, world.data.partners.len(), "refilled");
    let after = world.server.store().balances().await.unwrap();
    let gained = |b: &std::collections::BTreeMap<program::contract::PartnerId, Credits>| {
        b.iter()
            .find(|(p, _)| p.to_string() == partner)
            .map(|(_, c)| *c)
            .unwrap_or(Credits::ZERO)
    };
    assert_eq!(
        gained(&after) - gained(&before),
        Credits::from_minor(155_950),
        "the three carried purchases reached the platform"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cache_cut_short_or_with_flipped_bytes_is_recovered_and_keeps_its_waiting_changes() {
    for how in [Harm::CutShort, Harm::FlippedBytes] {
        let world = common::world().await;
        let dir = world.dir.path().join("laptop");
        let (desk, waiting, partner, _) = recovered_after(&world, &dir, how).await;
        let recovered = desk.workspace_info().await.unwrap().recovered;
        let recovered = recovered.unwrap_or_else(|| panic!("{how:?}: not recovered"));
        assert_eq!(recovered.damage, desk::views::Damage::Unreadable, "{how:?}");
        assert!(recovered.outbox_read, "{how:?}");
        assert_eq!(
            (recovered.changes_kept, recovered.changes_lost),
            (3, 0),
            "{how:?}"
        );
        // The damaged file is set aside, not deleted, and still opens with its key.
        let moved = PathBuf::from(&recovered.moved_to);
        assert!(moved.exists(), "{how:?}: {moved:?}");
        assert!(secrets::database_key(&moved).await.unwrap().is_some());
        assert_eq!(cipher::damaged_files(&dir.join(CACHE_FILE)), vec![moved]);
        // The waiting changes, by content; the user's setting; the mirror's position forgotten.
        assert_eq!(outbox_of(&desk).await, waiting, "{how:?}");
        assert_eq!(desk.settings().await.unwrap().low_runway_days, 45);
        assert_eq!(
            desk.store().get_state(desk::sync::CURSOR).await.unwrap(),
            None
        );
        refilled_and_sent(&world, &desk, &partner).await;
        // Signing out takes the damaged copy and its key too.
        desk.sign_out().await.unwrap();
        assert_eq!(
            cipher::damaged_files(&dir.join(CACHE_FILE)),
            Vec::<PathBuf>::new()
        );
        assert!(secrets::database_key(Path::new(&recovered.moved_to))
            .await
            .unwrap()
            .is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_missing_key_is_recovered_and_said_apart_from_damage() {
    for (how, damage) in [
        (Harm::WrongKey, desk::views::Damage::Unreadable),
        (Harm::KeyGone, desk::views::Damage::KeyMissing),
    ] {
        let world = common::world().await;
        let dir = world.dir.path().join("laptop");
        let (desk, _, _, _) = recovered_after(&world, &dir, how).await;
        let recovered = desk.workspace_info().await.unwrap().recovered.unwrap();
        assert_eq!(recovered.damage, damage, "{how:?}");
        // Without its key nothing of the old cache can be read: the window says so.
        assert!(!recovered.outbox_read, "{how:?}");
        assert_eq!(outbox_of(&desk).await, Vec::new());
        // The new cache opens, empty, under a key of its own.
        assert_eq!(desk.workspace_info().await.unwrap().partners, 0);
        assert!(Path::new(&recovered.moved_to).exists());
        // And the next start opens it without another recovery.
        desk.store().close().await;
        drop(desk);
        let again = Desk::open(&dir).await.unwrap();
        assert_eq!(again.workspace_info().await.unwrap().recovered, None);
    }
}
