//! The real app window at start, driven over WebDriver: a cache it must refuse, a cache it must
//! recover, and a second start on data another window already has open.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{ensure, Result};
use e2e::{eventually, wait_for, App};

/// A cache a newer Partner Desk wrote: this one opens its window to say so, in words, and leaves
/// the file exactly as it was.
#[tokio::test]
async fn a_cache_from_a_newer_version_is_refused_in_words_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join(desk::store::CACHE_FILE);
    let store = desk::store::Store::open(&cache).await.unwrap();
    let newer = desk::store::known_schema_version() + 1;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (?, 'from a newer Partner Desk', 1, x'00', 0)",
    )
    .bind(newer)
    .execute(store.pool())
    .await
    .unwrap();
    // Everything in the file itself, so any write of the app's would show in its bytes.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;
    let before = std::fs::read(&cache).unwrap();

    let _turn = e2e::one_at_a_time().await;
    let app = App::launch_on(dir).await.expect("the app launches");
    let seen = async {
        let problem = wait_for(&app.client, "[data-testid=startup-problem]").await?;
        let code = problem.attr("data-code").await?;
        ensure!(code.as_deref() == Some("schema_too_new"), "code {code:?}");
        let text = problem.text().await?;
        ensure!(
            text.contains("newer Partner Desk")
                && text.contains(&format!("schema version {newer}")),
            "the window says {text:?}"
        );
        ensure!(
            text.contains("left the data exactly as it found it"),
            "the window says {text:?}"
        );
        app.save_screenshot("startup-newer-cache").await?;
        Ok(())
    }
    .await;
    if let Err(e) = &seen {
        let _ = app.save_screenshot("failed-startup-newer-cache").await;
        app.report_log("startup-newer-cache");
        eprintln!("{e:#}");
    }
    let cache = app.data_dir.path().join(desk::store::CACHE_FILE);
    let _ = app.client.clone().close().await;
    seen.unwrap();
    assert!(
        std::fs::read(&cache).unwrap() == before,
        "the newer cache was changed"
    );
    let wal = cache.with_extension("sqlite3-wal");
    assert!(
        std::fs::metadata(&wal).map_or(0, |m| m.len()) == 0,
        "the app wrote to the newer cache's log"
    );
}

/// The first start makes the demo's world (seconds of work): the window shows what it is doing
/// and how far it got while the data opens, then the workspace.
#[tokio::test]
async fn the_first_start_shows_its_steps_while_the_data_opens_then_the_workspace() {
    let _turn = e2e::one_at_a_time().await;
    let app = App::launch().await.expect("the app launches");
    checked(&app, "startup-opening", async {
        // The window is there at once, before the data is open (a driver that connects late
        // may find the start already over: then only the steps it showed are left to read).
        if let Ok(opening) = app
            .client
            .find(fantoccini::Locator::Css("[data-testid=startup-opening]"))
            .await
        {
            let text = opening.text().await.unwrap_or_default();
            if text.contains("Step ") {
                app.save_screenshot("startup-opening").await?;
            }
        }
        app.synced().await?;
        wait_for(&app.client, "[data-testid=portfolio-row]").await?;
        // The window showed the start's steps while it ran: at least one the start reported
        // (a window that could only paint once the data was open never sees one), ending with
        // the connection. (Whether it caught "creating the demo" depends on how fast the
        // webview loads against the seconds the demo's world takes.)
        let steps = wait_for(&app.client, "[data-testid=shell]")
            .await?
            .attr("data-startup-steps")
            .await?
            .unwrap_or_default();
        let steps: Vec<&str> = steps.split(' ').collect();
        ensure!(
            steps.len() >= 2
                && steps[0] == "opening_cache"
                && steps.last() == Some(&"connecting")
                && steps[1..]
                    .iter()
                    .all(|s| { ["creating_demo", "starting_demo", "connecting"].contains(s) }),
            "the window showed the steps {steps:?}"
        );
        let still = app
            .client
            .find_all(fantoccini::Locator::Css("[data-testid=startup-opening]"))
            .await?;
        ensure!(still.is_empty(), "the opening screen stayed");
        // The page told the app when it first painted, and when it first painted the portfolio
        // with data: the log has both, counted from the process's start, once each (what
        // `make bench` reads).
        let painted = |what: &str| -> Vec<u64> {
            app.log()
                .lines()
                .filter(|l| l.contains(" painted ") && l.contains(&format!("what={what} ")))
                .filter_map(|l| l.split_whitespace().find_map(|w| w.strip_prefix("ms=")))
                .filter_map(|ms| ms.parse().ok())
                .collect()
        };
        eventually("the log's two painted lines", || async {
            let (window, data) = (painted("window"), painted("data"));
            if data.is_empty() {
                return Ok(None);
            }
            ensure!(
                window.len() == 1 && data.len() == 1 && window[0] > 0 && window[0] <= data[0],
                "painted: window {window:?}, data {data:?}"
            );
            Ok(Some(()))
        })
        .await
    })
    .await;
}

/// Runs `check` on `app`; on failure saves a screenshot and the log under `name`.
async fn checked(app: &App, name: &str, check: impl std::future::Future<Output = Result<()>>) {
    let outcome = check.await;
    if let Err(e) = &outcome {
        let _ = app.save_screenshot(&format!("failed-{name}")).await;
        app.report_log(name);
        eprintln!("{e:#}");
    }
    let _ = app.client.clone().close().await;
    outcome.unwrap();
}

#[tokio::test]
async fn a_cache_whose_key_is_gone_is_set_aside_and_the_window_says_so_then_refills_it() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join(desk::store::CACHE_FILE);
    // A cache as a first start leaves it, then the keychain loses its key.
    let store = desk::store::Store::open(&cache).await.unwrap();
    store.close().await;
    desk::secrets::delete_database_key(&cache).await.unwrap();

    let _turn = e2e::one_at_a_time().await;
    let app = App::launch_on(dir).await.expect("the app launches");
    checked(&app, "startup-recovered", async {
        let banner = wait_for(&app.client, "[data-testid=recovery]").await?;
        let damage = banner.attr("data-damage").await?;
        ensure!(damage.as_deref() == Some("key_missing"), "{damage:?}");
        let text = banner.text().await?;
        ensure!(
            text.contains("keychain no longer had the key")
                && text.contains("downloading your data again")
                && text.contains("could not be read back")
                && text.contains(".damaged-"),
            "the window says {text:?}"
        );
        // The demo is back in full, and the banner goes when read.
        app.synced().await?;
        wait_for(&app.client, "[data-testid=portfolio-row]").await?;
        app.save_screenshots_in_each_look("startup-recovered")
            .await?;
        wait_for(&app.client, "[data-testid=recovery-dismiss]")
            .await?
            .click()
            .await?;
        eventually("the banner to go", || async {
            let left = app
                .client
                .find_all(fantoccini::Locator::Css("[data-testid=recovery]"))
                .await?;
            Ok(left.is_empty().then_some(()))
        })
        .await?;
        ensure!(
            desk::store::cipher::damaged_files(&app.data_dir.path().join(desk::store::CACHE_FILE))
                .len()
                == 1,
            "the unreadable cache was not set aside"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_second_start_on_the_same_data_shows_the_first_window_and_ends() {
    let _turn = e2e::one_at_a_time().await;
    let app = App::launch().await.expect("the app launches");
    checked(&app, "second-start", async {
        app.synced().await?;
        let lock = desk::store::lock::lock_path(&app.data_dir.path().join(desk::store::CACHE_FILE));
        let holder = std::fs::read_to_string(&lock)?;
        let started = Instant::now();
        let mut second = Command::new(e2e::build_tree_app()?)
            .env("PARTNER_DESK_DATA_DIR", app.data_dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let status = loop {
            if let Some(status) = second.try_wait()? {
                break status;
            }
            if started.elapsed() > Duration::from_secs(30) {
                let _ = second.kill();
                anyhow::bail!("the second start is still running after 30 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        ensure!(status.success(), "the second start ended with {status}");
        // The first window heard of it, and still answers; the cache was never the second's.
        eventually("the first window to hear of the second start", || async {
            Ok(app
                .log()
                .contains("started again on the same data")
                .then_some(()))
        })
        .await?;
        wait_for(&app.client, "[data-testid=workspace-kind]").await?;
        ensure!(
            std::fs::read_to_string(&lock)? == holder,
            "the lock changed hands"
        );
        Ok(())
    })
    .await;
}

const MINE: &str = "a passphrase of mine";

/// Types `passphrase` (and `confirm`, when choosing one) into the startup window's form, in place
/// of what was typed before, and submits it.
async fn type_passphrase(app: &App, passphrase: &str, confirm: Option<&str>) -> Result<()> {
    let input = wait_for(&app.client, "[data-testid=passphrase-input]").await?;
    input.clear().await?;
    input.send_keys(passphrase).await?;
    if let Some(confirm) = confirm {
        let again = wait_for(&app.client, "[data-testid=passphrase-confirm]").await?;
        again.clear().await?;
        again.send_keys(confirm).await?;
    }
    wait_for(&app.client, "[data-testid=passphrase-open]")
        .await?
        .click()
        .await?;
    Ok(())
}

/// Where no secret store answers (no D-Bus session at all), the window offers a passphrase; the
/// app opens on it, and at the next start takes only that passphrase.
#[tokio::test]
async fn without_a_secret_store_the_window_opens_the_data_under_a_passphrase() {
    let no_bus: &[(&str, Option<&std::path::Path>)] = &[
        (
            "DBUS_SESSION_BUS_ADDRESS",
            Some(std::path::Path::new("unix:path=/nonexistent/bus")),
        ),
        ("XDG_RUNTIME_DIR", None),
    ];
    let _turn = e2e::one_at_a_time().await;
    let app = App::launch_with(tempfile::tempdir().unwrap(), no_bus)
        .await
        .expect("the app launches");
    checked(&app, "passphrase-new", async {
        let problem = wait_for(&app.client, "[data-testid=startup-problem]").await?;
        ensure!(problem.attr("data-code").await?.as_deref() == Some("no_secret_store"));
        type_passphrase(&app, "too short", None).await?;
        let said = wait_for(&app.client, "[data-testid=passphrase]")
            .await?
            .text()
            .await?;
        ensure!(said.contains("at least 12 characters"), "{said:?}");
        app.save_screenshot("startup-passphrase").await?;
        // The screen before any data has the language and the theme a user may need to read it.
        wait_for(&app.client, "[data-testid=locale]")
            .await?
            .select_by_value("es")
            .await?;
        eventually("the passphrase screen in Spanish", || async {
            let said = wait_for(&app.client, "[data-testid=startup-problem]")
                .await?
                .text()
                .await?;
            Ok((said.contains("Usar una frase de contraseña")
                && said.contains("al menos 12 caracteres"))
            .then_some(()))
        })
        .await?;
        app.save_screenshots_in_each_look("startup-passphrase")
            .await?;
        type_passphrase(&app, MINE, Some(MINE)).await?;
        app.synced().await?;
        wait_for(&app.client, "[data-testid=portfolio-row]").await?;
        Ok(())
    })
    .await;
    let dir = app.into_data_dir().unwrap();

    let app = App::launch_with(dir, no_bus)
        .await
        .expect("the app launches again");
    checked(&app, "passphrase-again", async {
        wait_for(&app.client, "[data-testid=passphrase-input]").await?;
        ensure!(
            app.client
                .find_all(fantoccini::Locator::Css("[data-testid=passphrase-confirm]"))
                .await?
                .is_empty(),
            "asked to choose the passphrase again"
        );
        type_passphrase(&app, "not my passphrase", None).await?;
        let error = wait_for(&app.client, "[data-testid=passphrase-error]").await?;
        ensure!(error.attr("data-code").await?.as_deref() == Some("wrong_passphrase"));
        type_passphrase(&app, MINE, None).await?;
        app.synced().await?;
        wait_for(&app.client, "[data-testid=portfolio-row]").await?;
        Ok(())
    })
    .await;
}

/// A cache whose pages fail the check made once the window shows it (bytes flipped in a page the
/// start does not read): the window opens on it at once, then says so, and the next start
/// recovers it (the recovery itself: desk's `page_check` test).
#[tokio::test]
async fn a_cache_that_fails_its_page_check_after_the_start_is_said_at_once() {
    use desk::views::WorkspaceKind;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join(desk::store::CACHE_FILE);
    {
        // A signed-in account's cache, its central API out of reach: nothing rewrites its pages.
        let today = chrono::Utc::now().date_naive();
        let data = central_api::demo::generate(&central_api::demo::DemoConfig::with_deployments(
            today, 2_000,
        ));
        let desk = desk::Desk::open(dir.path()).await.unwrap();
        desk.load_workspace(&data, WorkspaceKind::Remote, today)
            .await
            .unwrap();
        desk::figures::refresh(&desk.store()).await.unwrap();
        let (base, account) = ("http://127.0.0.1:9/", "http://127.0.0.1:9/#Pat");
        let store = desk.store();
        store
            .set_state(desk::workspace::ACCOUNT, account)
            .await
            .unwrap();
        store
            .set_state(desk::workspace::BASE_URL, base)
            .await
            .unwrap();
        desk::secrets::store_credentials(
            account,
            &desk::credentials::Credentials::token(desk::credentials::Token::new("t")),
        )
        .await
        .unwrap();
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(store.pool())
            .await
            .unwrap();
        store.close().await;
    }
    let mut bytes = std::fs::read(&cache).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 64] {
        *b = !*b;
    }
    std::fs::write(&cache, bytes).unwrap();

    let _turn = e2e::one_at_a_time().await;
    let app = App::launch_on(dir).await.expect("the app launches");
    checked(&app, "startup-pages-damaged", async {
        wait_for(&app.client, "[data-testid=portfolio-row]").await?;
        let banner = wait_for(&app.client, "[data-testid=pages-damaged]").await?;
        let text = banner.text().await?;
        ensure!(
            text.contains("failed its check") && text.contains("Restart Partner Desk"),
            "the window says {text:?}"
        );
        let note = desk::store::cipher::check_failed_path(
            &app.data_dir.path().join(desk::store::CACHE_FILE),
        );
        ensure!(
            note.exists(),
            "the damage is written down for the next start"
        );
        app.save_screenshots_in_each_look("startup-pages-damaged")
            .await?;
        Ok(())
    })
    .await;
}
