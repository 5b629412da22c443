//! The user's settings, kept in the cache's `settings` table (not mirrored, not wiped when the
//! account changes).

use crate::error::{DeskError, Result};
use crate::store::Store;
use crate::views::Settings;

const LOW_RUNWAY_DAYS: &str = "low_runway_days";
/// The low-runway alert threshold until the user sets one.
pub const DEFAULT_LOW_RUNWAY_DAYS: u32 = 30;
/// The most a threshold may be: a year ahead.
pub const MAX_LOW_RUNWAY_DAYS: u32 = 365;

pub async fn get(store: &Store) -> Result<Settings> {
    let value = sqlx::query_scalar!("SELECT value FROM settings WHERE key = ?", LOW_RUNWAY_DAYS)
        .fetch_optional(store.pool())
        .await?;
    Ok(Settings {
        low_runway_days: value
            .and_then(|v| v.parse().ok())
            .filter(|d| (1..=MAX_LOW_RUNWAY_DAYS).contains(d))
            .unwrap_or(DEFAULT_LOW_RUNWAY_DAYS),
    })
}

/// Saves `settings` after checking them; nothing is saved when one is out of range.
pub async fn set(store: &Store, settings: Settings) -> Result<Settings> {
    if !(1..=MAX_LOW_RUNWAY_DAYS).contains(&settings.low_runway_days) {
        return Err(DeskError::InvalidInput {
            field: "low_runway_days",
            reason: format!("must be between 1 and {MAX_LOW_RUNWAY_DAYS} days"),
        });
    }
    let value = settings.low_runway_days.to_string();
    let _turn = store.write_turn().await;
    sqlx::query!(
        "INSERT INTO settings (key, value) VALUES (?, ?) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        LOW_RUNWAY_DAYS,
        value,
    )
    .execute(store.pool())
    .await?;
    Ok(settings)
}
