//! Logs go to a daily-rotated file in the app's log folder, seven files kept.
//! Nothing here ever formats a token or secret: callers log ids and counts, not credentials.

use std::path::Path;

pub use tracing_appender::non_blocking::WorkerGuard as Guard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;

/// Starts logging to `dir`. Keep the guard alive for the life of the process.
pub fn init(dir: &Path) -> std::io::Result<Guard> {
    std::fs::create_dir_all(dir)?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("partner-desk")
        .filename_suffix("log")
        .max_log_files(7)
        .build(dir)
        .map_err(std::io::Error::other)?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter =
        EnvFilter::try_from_env("PARTNER_DESK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // A second init (tests, hot reload) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init();
    Ok(guard)
}
