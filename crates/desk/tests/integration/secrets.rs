//! Secrets and the cache at rest, in a real OS secret store (GNOME Keyring's Secret Service, in
//! the D-Bus session `make test` starts): the sign-in credentials, the cache encrypted with
//! SQLCipher under a key only the store holds, a reboot, the move of a plaintext cache, one
//! process per cache, and one account per cache. (A damaged cache recovered: `recovery`.)

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use central_api::demo::{generate, DemoConfig};
use central_api::server::{self, KeyPragma, ServerConfig};
use common::{as_of, export_plaintext, fast, files_in};
use desk::api::Token;
use desk::error::ErrorCode;
use desk::secrets;
use desk::signin::{Credentials, Renewal};
use desk::store::cipher::{self, FileState};
use desk::store::{Store, CACHE_FILE};
use desk::views::{SyncPhase, WorkspaceKind};
use desk::Desk;
use program::contract::{MutationKind, Role};
use program::Credits;
use rand::Rng;
use sqlx::Connection;

#[tokio::test]
async fn keychain_stores_reads_and_deletes_the_credentials() {
    let account = format!("https://api.test.invalid/#{}", uuid::Uuid::new_v4());
    assert_eq!(secrets::load_credentials(&account).await.unwrap(), None);
    secrets::store_credentials(&account, &Credentials::token(Token::new("first")))
        .await
        .unwrap();
    let renewable = Credentials {
        access: Token::new("second-replaces-it"),
        refresh: Some(Renewal {
            token: Token::new("its-refresh-token"),
            token_endpoint: "https://api.test.invalid/oauth/token".parse().unwrap(),
        }),
    };
    secrets::store_credentials(&account, &renewable)
        .await
        .unwrap();
    let read = secrets::load_credentials(&account).await.unwrap().unwrap();
    assert_eq!(read, renewable);
    secrets::delete_credentials(&account).await.unwrap();
    assert_eq!(secrets::load_credentials(&account).await.unwrap(), None);
    // Forgetting what is not there is fine.
    secrets::delete_credentials(&account).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_and_the_demo_world_hold_no_name_in_clear_and_sqlite3_cannot_read_them() {
    let dir = tempfile::tempdir().unwrap();
    // The demo's world as the app keeps it: encrypted under a key of its own.
    let world = dir.path().join("demo-central-api.sqlite3");
    let key = cipher::key_for(&world).await.unwrap();
    let server = server::start(ServerConfig {
        deployments: 2_000,
        today: Some(as_of()),
        key: Some(KeyPragma {
            key: key.pragma(),
            page_size: cipher::PAGE_SIZE,
        }),
        ..ServerConfig::demo(&world, as_of())
    })
    .await
    .unwrap();
    let partners = server.store().partner_ids().await.unwrap();
    let token = server
        .create_token(
            "Demo account manager",
            Role::PlatformAccountManager,
            &partners,
        )
        .await
        .unwrap();
    let desk = Desk::open(dir.path()).await.unwrap();
    desk.connect(
        server.base_url().parse().unwrap(),
        Credentials::token(Token::new(token)),
        WorkspaceKind::Demo,
        "demo-test",
        fast(),
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !desk
        .sync_status()
        .await
        .is_some_and(|s| s.last_synced_at.is_some() && s.phase == SyncPhase::Idle)
    {
        assert!(Instant::now() < deadline, "the first sync never ended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let known: Vec<(String, String)> =
        sqlx::query_as("SELECT name, founder FROM customers ORDER BY name LIMIT 40")
            .fetch_all(desk.store().pool())
            .await
            .unwrap();
    assert_eq!(known.len(), 40, "the app reads its cache");
    let files = files_in(dir.path());
    let names = |f: &Path| f.file_name().unwrap().to_string_lossy().into_owned();
    assert!(files.iter().any(|f| names(f) == CACHE_FILE), "{files:?}");
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        for (name, founder) in &known {
            for text in [name, founder] {
                assert!(
                    !bytes.windows(text.len()).any(|w| w == text.as_bytes()),
                    "{text:?} in clear in {}",
                    file.display()
                );
            }
        }
    }
    // The sqlite3 tool, without the key, finds no database in either file.
    for db in [dir.path().join(CACHE_FILE), world.clone()] {
        assert_eq!(cipher::file_state(&db).unwrap(), FileState::Encrypted);
        let out = Command::new("sqlite3")
            .arg(&db)
            .arg("SELECT count(*) FROM sqlite_master")
            .output()
            .expect("the sqlite3 tool (make test installs it)");
        assert!(!out.status.success(), "sqlite3 read {}", db.display());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("not a database"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Queues a purchase of `credits` for `partner`: a change waiting to be sent.
async fn queue_purchase(desk: &Desk, partner: &program::contract::Partner, credits: i64) {
    let purchase = MutationKind::PurchaseCredits {
        partner_id: partner.id,
        credits: Credits::whole(credits),
        price: None,
    };
    let store = desk.store();
    desk::outbox::enqueue(
        &store,
        "credit_purchase",
        &partner.id.to_string(),
        &purchase,
        None,
    )
    .await
    .unwrap();
}

/// Runs this test binary's `test` in a secret-store session of its own (a new D-Bus session and
/// GNOME Keyring, keeping its keyrings in `keyring`), as after a reboot.
fn in_new_session(test: &str, keyring: &Path, envs: &[(&str, &Path)]) -> std::process::Output {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/with-keyring.sh");
    let mut command = Command::new(script);
    command
        .arg("--isolated")
        .arg(std::env::current_exe().unwrap())
        .arg(common::test_name(module_path!(), test))
        .args(["--exact", "--ignored", "--nocapture"])
        .env("KEYRING_DIR", keyring);
    for (name, value) in envs {
        command.env(name, value);
    }
    command.output().unwrap()
}

const ACCOUNT: &str = "https://api.test.invalid/#reboot";

/// One side of `a_reboot_keeps_the_cache_key_and_the_token`, in its own secret-store session.
#[tokio::test]
#[ignore = "run by a_reboot_keeps_the_cache_key_and_the_token, in a session of its own"]
async fn reboot_phase() {
    let (Some(phase), Some(dir)) = (
        std::env::var_os("REBOOT_PHASE"),
        std::env::var_os("REBOOT_DATA"),
    ) else {
        return;
    };
    let dir = PathBuf::from(dir);
    match phase.to_str().unwrap() {
        "before" => {
            let desk = Desk::open(&dir).await.unwrap();
            let data = generate(&DemoConfig::small(as_of()));
            desk.load_workspace(&data, WorkspaceKind::Remote, as_of())
                .await
                .unwrap();
            queue_purchase(&desk, &data.partners[0], 1234).await;
            secrets::store_credentials(ACCOUNT, &Credentials::token(Token::new("kept")))
                .await
                .unwrap();
        }
        "after" => {
            let desk = Desk::open(&dir).await.unwrap();
            let payloads: Vec<String> = sqlx::query_scalar("SELECT payload FROM outbox")
                .fetch_all(desk.store().pool())
                .await
                .unwrap();
            assert_eq!(payloads.len(), 1, "{payloads:?}");
            assert!(payloads[0].contains("1234"), "{}", payloads[0]);
            let kept = secrets::load_credentials(ACCOUNT).await.unwrap().unwrap();
            assert_eq!(kept.access.expose(), "kept");
        }
        "reset" => {
            // The cache cannot be read without its key: it is set aside and a new one started.
            let desk = Desk::open(&dir).await.unwrap();
            let recovered = desk.workspace_info().await.unwrap().recovered.unwrap();
            assert_eq!(recovered.damage, desk::views::Damage::KeyMissing);
            println!("recovered: {recovered:?}");
        }
        other => panic!("no phase {other}"),
    }
}

#[test]
fn a_reboot_keeps_the_cache_key_and_the_token() {
    let keyring = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().join("laptop");
    for phase in ["before", "after"] {
        let out = in_new_session(
            "reboot_phase",
            keyring.path(),
            &[
                ("REBOOT_PHASE", Path::new(phase)),
                ("REBOOT_DATA", &data_dir),
            ],
        );
        assert!(
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 passed"),
            "{phase}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(keyring.path().join("keyrings").exists(), "kept on disk");
    // A reset keychain (a new keyring folder) holds no key: the cache is not opened with a new
    // one; it is set aside, and the window says why.
    let reset = tempfile::tempdir().unwrap();
    let out = in_new_session(
        "reboot_phase",
        reset.path(),
        &[
            ("REBOOT_PHASE", Path::new("reset")),
            ("REBOOT_DATA", &data_dir),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("recovered: Recovery { damage: KeyMissing"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Opens the cache in `MIGRATE_CACHE` and exits: the start that moves a plaintext cache.
#[tokio::test]
#[ignore = "run by a_plaintext_cache_is_encrypted_on_first_start_and_a_kill_at_any_point_loses_nothing"]
async fn open_the_cache() {
    if let Some(path) = std::env::var_os("MIGRATE_CACHE") {
        Store::open(Path::new(&path)).await.unwrap();
    }
}

/// The pending changes of a cache, by content, and how many deployments it holds.
async fn contents(path: &Path) -> (Vec<(String, String, String)>, i64) {
    let store = Store::open(path).await.unwrap();
    let outbox = sqlx::query_as("SELECT id, op, payload FROM outbox ORDER BY seq")
        .fetch_all(store.pool())
        .await
        .unwrap();
    let deployments = sqlx::query_scalar("SELECT count(*) FROM deployments")
        .fetch_one(store.pool())
        .await
        .unwrap();
    store.close().await;
    (outbox, deployments)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plaintext_cache_is_encrypted_on_first_start_and_a_kill_at_any_point_loses_nothing() {
    // A plaintext cache as Partner Desk 0.2 left it: a workspace and changes waiting to be sent.
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(&dir.path().join("made")).await.unwrap();
    let data = generate(&DemoConfig::with_deployments(as_of(), 20_000));
    desk.load_workspace(&data, WorkspaceKind::Remote, as_of())
        .await
        .unwrap();
    for (i, partner) in data.partners.iter().take(3).enumerate() {
        queue_purchase(&desk, partner, 100 + i as i64).await;
    }
    let expected = contents(desk.store().path()).await;
    assert_eq!(expected.0.len(), 3);
    let plaintext = dir.path().join("plaintext.sqlite3");
    export_plaintext(&desk.store(), &plaintext).await;
    assert_eq!(
        cipher::file_state(&plaintext).unwrap(),
        FileState::Plaintext
    );
    let mut raw = sqlx::SqliteConnection::connect(&format!("sqlite:{}", plaintext.display()))
        .await
        .unwrap();
    let plain_count: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    raw.close().await.unwrap();
    assert_eq!(
        plain_count, 3,
        "the copy is a plaintext cache with the pending changes"
    );

    let start = |cache: &Path| {
        tokio::process::Command::new(std::env::current_exe().unwrap())
            .arg(common::test_name(module_path!(), "open_the_cache"))
            .args(["--exact", "--ignored"])
            .env("MIGRATE_CACHE", cache)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    // One start uninterrupted: how long the move takes, process and all.
    let whole = dir.path().join("whole").join(CACHE_FILE);
    std::fs::create_dir_all(whole.parent().unwrap()).unwrap();
    std::fs::copy(&plaintext, &whole).unwrap();
    let began = Instant::now();
    assert!(start(&whole).wait().await.unwrap().success());
    let took = began.elapsed();
    assert_eq!(cipher::file_state(&whole).unwrap(), FileState::Encrypted);
    assert_eq!(contents(&whole).await, expected);

    // Killed at random points of the same start, then started again: nothing lost.
    let (mut before, mut midway, mut after) = (0, 0, 0);
    for run in 0..24 {
        let cache = dir.path().join(format!("run-{run}")).join(CACHE_FILE);
        std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
        std::fs::copy(&plaintext, &cache).unwrap();
        let mut child = start(&cache);
        let at = rand::thread_rng().gen_range(0..took.as_micros() as u64);
        tokio::time::sleep(Duration::from_micros(at)).await;
        child.start_kill().unwrap();
        child.wait().await.unwrap();
        let copy = PathBuf::from(format!("{}.encrypting", cache.display()));
        match (cipher::file_state(&cache).unwrap(), copy.exists()) {
            (FileState::Plaintext, false) => before += 1,
            (FileState::Plaintext, true) => midway += 1,
            _ => after += 1,
        }
        assert_eq!(
            contents(&cache).await,
            expected,
            "run {run}, killed at {at} µs"
        );
        assert_eq!(cipher::file_state(&cache).unwrap(), FileState::Encrypted);
        assert!(!copy.exists(), "run {run}: the interrupted copy is gone");
    }
    println!(
        "a start takes {took:?}; killed before the move {before}, during it {midway}, after it {after}"
    );
    assert!(midway > 0, "no kill landed during the move");
}

/// Holds the cache in `HOLD_CACHE` open until killed: another process on the same cache.
#[tokio::test]
#[ignore = "run by the_headless_tools_refuse_a_cache_another_process_holds_and_say_which"]
async fn hold_the_cache() {
    if let Some(path) = std::env::var_os("HOLD_CACHE") {
        let _store = Store::open(Path::new(&path)).await.unwrap();
        println!("holding");
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_headless_tools_refuse_a_cache_another_process_holds_and_say_which() {
    use tokio::io::AsyncBufReadExt;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join(CACHE_FILE);
    let mut holder = tokio::process::Command::new(std::env::current_exe().unwrap())
        .arg(common::test_name(module_path!(), "hold_the_cache"))
        .args(["--exact", "--ignored", "--nocapture"])
        .env("HOLD_CACHE", &cache)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = holder.id().unwrap();
    let mut lines = tokio::io::BufReader::new(holder.stdout.take().unwrap()).lines();
    while let Some(line) = lines.next_line().await.unwrap() {
        if line.contains("holding") {
            break;
        }
    }

    let err = Store::open(&cache).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::CacheInUse);
    assert!(err.to_string().contains(&format!("process {pid}")), "{err}");
    for (tool, args) in [
        (
            env!("CARGO_BIN_EXE_partner-desk-sync"),
            vec!["--url", "http://127.0.0.1:9"],
        ),
        (
            env!("CARGO_BIN_EXE_partner-desk-qbr"),
            vec!["--quarter", "2026-Q3", "--out", "/nonexistent/qbr"],
        ),
    ] {
        let out = Command::new(tool)
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .env("PARTNER_DESK_TOKEN", "unused")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{tool} ran on a held cache");
        assert!(
            stderr.contains("in use by") && stderr.contains(&format!("process {pid}")),
            "{tool}: {stderr}"
        );
    }

    // Within one process the cache opens as often as it is asked; once the holder is gone,
    // anyone may open it.
    holder.kill().await.unwrap();
    let first = Store::open(&cache).await.unwrap();
    let second = Store::open(&cache).await.unwrap();
    first.close().await;
    second.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partner_desk_sync_refuses_another_accounts_cache_unless_told_to_wipe_it() {
    let w = common::world().await;
    let partners = w.server.store().partner_ids().await.unwrap();
    let dir = w.dir.path().join("shared");
    let sync = |user: &str, wipe: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_partner-desk-sync"));
        command
            .arg("--data-dir")
            .arg(&dir)
            .args(["--url", &w.server.base_url()])
            .env("PARTNER_DESK_TOKEN", user);
        if wipe {
            command.arg("--wipe");
        }
        command.output().unwrap()
    };
    let ana = w
        .server
        .create_token("Ana", Role::PlatformAccountManager, &partners)
        .await
        .unwrap();
    let olga = w
        .server
        .create_token("Olga", Role::PlatformAccountManager, &partners[..1])
        .await
        .unwrap();
    let partners_in = |dir: &Path| {
        let cache = dir.join(CACHE_FILE);
        async move {
            let store = Store::open(&cache).await.unwrap();
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM partners")
                .fetch_one(store.pool())
                .await
                .unwrap();
            store.close().await;
            n
        }
    };
    assert!(sync(&ana, false).status.success());
    let all = partners_in(&dir).await;
    assert_eq!(all as usize, partners.len());

    let refused = sync(&olga, false);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("another account") && stderr.contains("#Ana") && stderr.contains("--wipe"),
        "{stderr}"
    );
    assert_eq!(partners_in(&dir).await, all, "the refusal changed nothing");

    assert!(sync(&olga, true).status.success());
    assert_eq!(partners_in(&dir).await, 1, "only the new account's scope");
}

const PASSPHRASE: &str = "correct horse battery staple";

/// One start of `without_a_secret_store_a_passphrase_keeps_the_cache_and_a_wrong_one_touches_nothing`,
/// in a process with no D-Bus session, so no secret store.
#[tokio::test]
#[ignore = "run by without_a_secret_store_a_passphrase_keeps_the_cache_and_a_wrong_one_touches_nothing"]
async fn passphrase_phase() {
    let (Some(phase), Some(dir)) = (
        std::env::var_os("PASSPHRASE_PHASE"),
        std::env::var_os("PASSPHRASE_DATA"),
    ) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let cache = dir.join(CACHE_FILE);
    let err = Desk::open(&dir).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::NoSecretStore, "{err}");
    match phase.to_str().unwrap() {
        "first" => {
            assert!(!desk::passphrase::is_set(&dir));
            let short = desk::passphrase::unlock(&dir, "too short")
                .await
                .unwrap_err();
            assert_eq!(short.code(), ErrorCode::InvalidInput, "{short}");
            assert!(!desk::passphrase::is_set(&dir), "nothing chosen");
            desk::passphrase::unlock(&dir, PASSPHRASE).await.unwrap();
            let desk = Desk::open(&dir).await.unwrap();
            let data = generate(&DemoConfig::small(as_of()));
            desk.load_workspace(&data, WorkspaceKind::Remote, as_of())
                .await
                .unwrap();
            queue_purchase(&desk, &data.partners[0], 4321).await;
            // The token lives in memory, for this process only.
            secrets::store_credentials(ACCOUNT, &Credentials::token(Token::new("session")))
                .await
                .unwrap();
            let kept = secrets::load_credentials(ACCOUNT).await.unwrap().unwrap();
            assert_eq!(kept.access.expose(), "session");
            desk.store().close().await;
            assert_eq!(cipher::file_state(&cache).unwrap(), FileState::Encrypted);
            let file =
                std::fs::read_to_string(dir.join(desk::passphrase::PASSPHRASE_FILE)).unwrap();
            assert!(!file.contains("horse"), "{file}");
        }
        "again" => {
            assert!(desk::passphrase::is_set(&dir));
            let before = std::fs::read(&cache).unwrap();
            let wrong = desk::passphrase::unlock(&dir, "incorrect horse battery staple")
                .await
                .unwrap_err();
            assert_eq!(wrong.code(), ErrorCode::WrongPassphrase, "{wrong}");
            assert_eq!(
                std::fs::read(&cache).unwrap(),
                before,
                "a wrong passphrase touches nothing"
            );
            assert_eq!(cipher::damaged_files(&cache), Vec::<PathBuf>::new());
            desk::passphrase::unlock(&dir, PASSPHRASE).await.unwrap();
            let desk = Desk::open(&dir).await.unwrap();
            assert_eq!(desk.workspace_info().await.unwrap().recovered, None);
            let payloads: Vec<String> = sqlx::query_scalar("SELECT payload FROM outbox")
                .fetch_all(desk.store().pool())
                .await
                .unwrap();
            assert_eq!(payloads.len(), 1, "{payloads:?}");
            assert!(payloads[0].contains("4321"), "{}", payloads[0]);
            assert_eq!(
                secrets::load_credentials(ACCOUNT).await.unwrap(),
                None,
                "the token went with the process"
            );
        }
        other => panic!("no phase {other}"),
    }
    println!("phase done");
}

#[test]
fn without_a_secret_store_a_passphrase_keeps_the_cache_and_a_wrong_one_touches_nothing() {
    let data = tempfile::tempdir().unwrap();
    for phase in ["first", "again"] {
        let out = Command::new(std::env::current_exe().unwrap())
            .arg(common::test_name(module_path!(), "passphrase_phase"))
            .args(["--exact", "--ignored", "--nocapture"])
            .env("PASSPHRASE_PHASE", phase)
            .env("PASSPHRASE_DATA", data.path())
            // No session bus, so no Secret Service.
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
            .env_remove("XDG_RUNTIME_DIR")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("phase done"),
            "{phase}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
