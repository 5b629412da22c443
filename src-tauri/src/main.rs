//! Partner Desk's Tauri shell: opens the window, wires commands to `desk`, nothing else.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod demo;

use std::path::PathBuf;

use tauri::Manager;

/// Overrides the app-data folder (tests and side-by-side workspaces use their own).
const DATA_DIR_ENV: &str = "PARTNER_DESK_DATA_DIR";

/// Keeps the log writer flushing for the life of the app.
struct LogGuard(#[allow(dead_code)] desk::logging::Guard);

fn main() {
    tauri::Builder::default()
        .setup(|app| {
            let (data_dir, log_dir) = match std::env::var_os(DATA_DIR_ENV) {
                Some(dir) => {
                    let dir = PathBuf::from(dir);
                    (dir.clone(), dir.join("logs"))
                }
                None => (app.path().app_data_dir()?, app.path().app_log_dir()?),
            };
            app.manage(LogGuard(desk::logging::init(&log_dir)?));
            tracing::info!(data_dir = %data_dir.display(), "starting Partner Desk");
            let desk = tauri::async_runtime::block_on(demo::open(&data_dir))?;
            app.manage(desk);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::workspace_info,
            commands::portfolio,
            commands::partner_page,
        ])
        .run(tauri::generate_context!())
        .expect("Partner Desk failed to start");
}
