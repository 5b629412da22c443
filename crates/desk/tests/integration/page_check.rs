//! The window opens its cache without reading it whole (`PageCheck::Later`: on a big cache the
//! check of every page takes seconds) and checks the pages once it shows the cache. Damage found
//! then is written down and recovered at the next start, the changes waiting to be sent kept.

use crate::common;
use crate::recovery::{harm, Harm};

use common::as_of;
use desk::error::ErrorCode;
use desk::store::{cipher, PageCheck, CACHE_FILE};
use desk::views::{Damage, WorkspaceKind};
use desk::Desk;

async fn outbox_of(desk: &Desk) -> Vec<(String, String)> {
    sqlx::query_as("SELECT id, payload FROM outbox ORDER BY seq")
        .fetch_all(desk.store().pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damage_found_by_the_later_page_check_is_recovered_at_the_next_start() {
    let world = common::world().await;
    let dir = world.dir.path().join("laptop");
    let cache = dir.join(CACHE_FILE);
    let desk = Desk::open(&dir).await.unwrap();
    desk.load_workspace(&world.data, WorkspaceKind::Remote, as_of())
        .await
        .unwrap();
    common::three_waiting_purchases(&desk).await;
    let waiting = outbox_of(&desk).await;
    assert_eq!(waiting.len(), 3);
    // A sound cache passes the check and leaves no note.
    desk.check_pages().await.unwrap();
    assert!(!cipher::check_failed_path(&cache).exists());
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(desk.store().pool())
        .await
        .unwrap();
    desk.store().close().await;
    drop(desk);

    // Bytes flipped in a page the start does not read: the window's start opens the cache...
    harm(&cache, Harm::FlippedBytes).await;
    let desk = Desk::open_checking(&dir, PageCheck::Later).await.unwrap();
    assert_eq!(desk.workspace_info().await.unwrap().recovered, None);
    // ...and its check finds the damage and writes it down.
    let err = desk.check_pages().await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::CacheUnreadable, "{err}");
    let note = std::fs::read_to_string(cipher::check_failed_path(&cache)).unwrap();
    assert!(note.contains("damaged pages"), "{note}");
    desk.store().close().await;
    drop(desk);

    // The next start recovers it, as one that failed at open: the waiting changes kept, by
    // content, the note gone, the new cache sound.
    let desk = Desk::open_checking(&dir, PageCheck::Later).await.unwrap();
    let recovered = desk.workspace_info().await.unwrap().recovered;
    let recovered = recovered.expect("recovered at the next start");
    assert_eq!(recovered.damage, Damage::Unreadable);
    assert_eq!((recovered.changes_kept, recovered.changes_lost), (3, 0));
    assert_eq!(outbox_of(&desk).await, waiting);
    assert!(!cipher::check_failed_path(&cache).exists());
    desk.check_pages().await.unwrap();
    desk.store().close().await;
    drop(desk);
    // And the one after opens it as it is.
    let desk = Desk::open_checking(&dir, PageCheck::Later).await.unwrap();
    assert_eq!(desk.workspace_info().await.unwrap().recovered, None);
}
