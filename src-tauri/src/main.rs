//! Partner Desk's Tauri shell: opens the window, wires commands to `desk`, nothing else.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod demo;
mod startup;

use std::path::{Path, PathBuf};

use clap::Parser;
use desk::store::PageCheck;
use desk::sync::SyncOptions;
use desk::views::StartupStep;
use desk::Desk;
use tauri::{AppHandle, Emitter, Manager, WebviewUrl, WebviewWindowBuilder};

/// Overrides the app-data folder (tests and side-by-side workspaces use their own).
const DATA_DIR_ENV: &str = "PARTNER_DESK_DATA_DIR";

/// Overrides the folder exports are written to (the user's Downloads folder by default).
const EXPORT_DIR_ENV: &str = "PARTNER_DESK_EXPORT_DIR";

/// The event carrying `SyncStatus` to the window whenever it changes.
const SYNC_STATUS_EVENT: &str = "sync-status";

/// The event telling the window that the cache's pages failed their check (an `IpcError`).
const CACHE_DAMAGED_EVENT: &str = "cache-damaged";

/// How long after the data opened its pages are checked: the window shows it first.
const CHECK_PAGES_AFTER: std::time::Duration = std::time::Duration::from_secs(3);

/// Keeps the log writer flushing for the life of the app.
struct LogGuard(#[allow(dead_code)] desk::logging::Guard);

/// Forwards the current sync engine's status to the window until that engine stops.
pub async fn forward_sync_status(app: &AppHandle, desk: &Desk) {
    let Some(engine) = desk.engine().await else {
        return;
    };
    let mut status = engine.status();
    let app = app.clone();
    drop(engine);
    tauri::async_runtime::spawn(async move {
        loop {
            let current = status.borrow_and_update().clone();
            if let Err(e) = app.emit(SYNC_STATUS_EVENT, current) {
                tracing::warn!(error = %e, "could not send the sync status to the window");
            }
            if status.changed().await.is_err() {
                break;
            }
        }
    });
}

/// The folder of the app's data (the cache, the demo world, the logs).
pub struct DataDir(pub PathBuf);

/// Opens the data in `data_dir`: the cache (recovered if damaged), then the account it was signed
/// in to, or else the demo workspace; and sends the sync status to the window from then on.
pub async fn open_data(
    app: &AppHandle,
    startup: &startup::Startup,
    data_dir: &Path,
) -> desk::error::Result<(Desk, demo::Demo)> {
    startup.step(app, StartupStep::OpeningCache);
    // Its pages are checked once the window shows it: a whole read of a big cache takes seconds.
    let desk = Desk::open_checking(data_dir, PageCheck::Later).await?;
    let demo = demo::Demo::new(data_dir);
    if desk.resume(SyncOptions::default()).await? {
        // A demo world an earlier run left (its app stopped before it could delete it) goes too.
        demo.leave().await?;
    } else {
        demo.open(&desk, &|step| startup.step(app, step)).await?;
    }
    forward_sync_status(app, &desk).await;
    check_pages_later(app, &desk);
    Ok((desk, demo))
}

/// Checks the cache's pages a moment after it opened; damage found is recovered at the next start,
/// and the window is told now.
fn check_pages_later(app: &AppHandle, desk: &Desk) {
    let (app, desk) = (app.clone(), desk.clone());
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(CHECK_PAGES_AFTER).await;
        match desk.check_pages().await {
            Ok(()) => {}
            Err(e) if e.code() == desk::error::ErrorCode::CacheUnreadable => {
                tracing::error!(error = %e, "the cache failed its check: it is recovered at the next start");
                if let Err(e) = app.emit(CACHE_DAMAGED_EVENT, desk::error::IpcError::from(e)) {
                    tracing::warn!(error = %e, "could not tell the window");
                }
            }
            // Not damage (the cache closed by a sign-out meanwhile, say): the next start checks.
            Err(e) => tracing::warn!(error = %e, "the cache's pages could not be checked"),
        }
    });
}

/// The name a running Partner Desk answers to, so that a second start on the same data finds it:
/// the app's identifier and a name made from its data folder (`PARTNER_DESK_DATA_DIR`, else where
/// Tauri puts the app's data), so two side-by-side workspaces are two apps. (The identifier alone,
/// `app.partnerdesk.desktop.SingleInstance`, left the installed app's window blank under
/// WebDriver; a name of the data folder does not.)
fn instance_id() -> String {
    const ID: &str = "app.partnerdesk.desktop";
    let data_dir = std::env::var_os(DATA_DIR_ENV)
        .map(PathBuf::from)
        .or_else(|| dirs::data_dir().map(|d| d.join(ID)));
    match data_dir {
        None => ID.to_string(),
        Some(dir) => {
            let dir = std::path::absolute(&dir).unwrap_or(dir);
            let name = uuid::Uuid::new_v5(
                &uuid::Uuid::NAMESPACE_URL,
                dir.as_os_str().as_encoded_bytes(),
            );
            // A D-Bus name's elements may not start with a digit.
            format!("{ID}.d{}", name.simple())
        }
    }
}

/// Brings the window to the front: another start of Partner Desk on the same data was asked for.
fn show_main_window(app: &AppHandle) {
    tracing::info!("Partner Desk was started again on the same data: showing this window");
    if let Some(window) = app.get_webview_window("main") {
        for (what, done) in [
            ("unminimize", window.unminimize()),
            ("show", window.show()),
            ("focus", window.set_focus()),
        ] {
            if let Err(e) = done {
                tracing::warn!(error = %e, "could not {what} the window");
            }
        }
    }
}

/// Partner Desk, the desktop app for the partner program. It opens its window on the demo
/// workspace, or on the central API it was signed in to.
#[derive(Debug, Parser)]
#[command(name = "partner-desk", version, about)]
struct Cli {}

fn main() {
    startup::process_started();
    // `--version` and `--help` answer before any window opens. Any other argument is the
    // desktop's or a WebDriver session's (WebKitWebDriver adds `--automation`), not the user's.
    if let Err(e) = Cli::try_parse() {
        use clap::error::ErrorKind;
        if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
            e.exit();
        }
    }
    tauri::Builder::default()
        // Before anything else: a second start on the same data shows the first window and ends
        // (found through the session bus on Linux; without one, the cache's lock still refuses
        // the second start, in words).
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id(instance_id())
                .callback(|app, _args, _cwd| show_main_window(app))
                .build(),
        )
        .setup(|app| {
            let (data_dir, log_dir) = match std::env::var_os(DATA_DIR_ENV) {
                Some(dir) => {
                    let dir = PathBuf::from(dir);
                    (dir.clone(), dir.join("logs"))
                }
                None => (app.path().app_data_dir()?, app.path().app_log_dir()?),
            };
            app.manage(LogGuard(desk::logging::init(&log_dir)?));
            // The webview's own storage (language, theme) lives with the workspace's data, so
            // side-by-side data folders never share it.
            WebviewWindowBuilder::new(app, "main", WebviewUrl::default())
                .title("Partner Desk")
                .inner_size(1280.0, 820.0)
                .min_inner_size(960.0, 600.0)
                .data_directory(data_dir.join("webview"))
                .build()?;
            tracing::info!(data_dir = %data_dir.display(), "starting Partner Desk");
            app.manage(startup::Startup::new());
            app.manage(DataDir(data_dir.clone()));
            let export_dir = match std::env::var_os(EXPORT_DIR_ENV) {
                Some(dir) => PathBuf::from(dir),
                None => app
                    .path()
                    .download_dir()
                    .or_else(|_| app.path().home_dir())?,
            };
            app.manage(commands::ExportDir(export_dir));
            // The data opens while the window shows how far it got (the first start makes the
            // demo's world: seconds). A cache this build cannot open (written by a newer Partner
            // Desk, say) is left as it is, and the window says why instead of the app failing.
            let app = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                let startup = app.state::<startup::Startup>();
                match open_data(&app, &startup, &data_dir).await {
                    Ok((desk, demo)) => {
                        app.manage(desk);
                        app.manage(demo);
                        startup.finish(&app, None);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "Partner Desk cannot open its data");
                        startup.finish(&app, Some(e.into()));
                    }
                }
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::startup_progress,
            commands::startup_problem,
            commands::painted,
            commands::passphrase_is_set,
            commands::open_with_passphrase,
            commands::workspace_info,
            commands::portfolio,
            commands::partner_page,
            commands::sync_status,
            commands::sync_now,
            commands::sign_in,
            commands::begin_browser_sign_in,
            commands::reopen_browser_sign_in,
            commands::finish_browser_sign_in,
            commands::cancel_browser_sign_in,
            commands::sign_out,
            commands::purchase_credits,
            commands::rejected_changes,
            commands::dismiss_rejected,
            commands::export_table,
            commands::open_export,
            commands::show_export,
            commands::price_purchase,
            commands::search,
            commands::ledger,
            commands::customers,
            commands::customer,
            commands::migrations,
            commands::trends,
            commands::settings,
            commands::set_settings,
            commands::deals,
            commands::check_deal,
            commands::countries,
            commands::subdivisions,
            commands::register_deal,
            commands::edit_deal,
            commands::quotes,
            commands::check_quote,
            commands::save_quote,
            commands::revise_quote,
            commands::set_quote_status,
            commands::quote_pdf,
            commands::export_quote_lines,
            commands::review_quarters,
            commands::review,
            commands::export_review,
            commands::save_action_item,
        ])
        .run(tauri::generate_context!())
        .expect("Partner Desk failed to start");
}
