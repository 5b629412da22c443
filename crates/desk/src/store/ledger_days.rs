//! Each partner's ledger summed per day and class of line (`ledger_days`, cache schema v16).
//!
//! The cache's triggers keep the sums equal to the lines. A first sync drops the triggers with the
//! indexes ([`super::defer_indexes`]); its pages then add their lines' sums themselves
//! ([`add_page`]), in the page's transaction, and the triggers come back with the indexes.

use std::collections::BTreeMap;

use program::contract::{Billing, LedgerEntry, LedgerKind};
use sqlx::SqliteConnection;

use super::chunks::insert_chunked;
use crate::error::{DeskError, Result};
use crate::input::iso;

/// The class of a line in `ledger_days`, as its column `class` computes it (see
/// `migrations/0016_ledger_days.sql`).
fn class(line: &LedgerEntry) -> i64 {
    match (line.kind, line.billing) {
        (LedgerKind::Consumption, Some(Billing::Monthly)) => 1,
        (LedgerKind::Consumption, Some(_)) => 2,
        (LedgerKind::Consumption, None) => 3,
        _ => 0,
    }
}

/// Adds the sums of `lines`, just written to `ledger_entries` while the triggers are away, on a
/// connection inside the page's transaction. `every_line_new`: whether every one of them was
/// new to the mirror; if not (a pass over the feed again), which ones were is unknown, and the
/// sums of their partners are computed again from their lines.
pub(crate) async fn add_page(
    conn: &mut SqliteConnection,
    lines: &[&LedgerEntry],
    every_line_new: bool,
) -> Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    if !every_line_new {
        let mut partners: Vec<String> = lines.iter().map(|l| l.partner_id.to_string()).collect();
        partners.sort_unstable();
        partners.dedup();
        return recompute(conn, &partners).await;
    }
    // (day, partner, class) → (lines, hundredths), in the table's order.
    let mut sums: BTreeMap<(String, String, i64), (i64, i64)> = BTreeMap::new();
    for line in lines {
        let minor = line.credits.minor().map_err(DeskError::from)?;
        let key = (
            iso(line.at.date_naive()),
            line.partner_id.to_string(),
            class(line),
        );
        let sum = sums.entry(key).or_default();
        sum.0 += 1;
        sum.1 = sum
            .1
            .checked_add(minor)
            .ok_or_else(|| DeskError::Corrupt("a day's ledger past 64 bits".into()))?;
    }
    let sums: Vec<_> = sums.into_iter().collect();
    insert_chunked(
        conn,
        "INSERT INTO ledger_days (partner_id, day, class, lines, credits_minor) ",
        " ON CONFLICT (day, partner_id, class) DO UPDATE SET lines = lines + excluded.lines, \
         credits_minor = credits_minor + excluded.credits_minor",
        &sums,
        |b, ((day, partner, class), (n, minor))| {
            b.push_bind(partner.clone())
                .push_bind(day.clone())
                .push_bind(*class)
                .push_bind(*n)
                .push_bind(*minor);
        },
    )
    .await?;
    Ok(())
}

/// Computes the sums of `partners` again from their lines.
pub(crate) async fn recompute(conn: &mut SqliteConnection, partners: &[String]) -> Result<()> {
    super::delete_where_in(conn, "ledger_days", "partner_id", partners).await?;
    super::execute_in_chunks(
        conn,
        "INSERT INTO ledger_days (partner_id, day, class, lines, credits_minor) \
         SELECT partner_id, day, class, count(*), sum(credits_minor) \
         FROM ledger_entries WHERE partner_id IN (",
        partners,
        ") GROUP BY 1, 2, 3",
    )
    .await
}

/// A partner's ledger in the mirror: its lines and its balance in hundredths.
pub(crate) async fn totals(conn: &mut SqliteConnection, partner: &str) -> Result<(u64, i128)> {
    let (n, minor): (i64, i64) = sqlx::query_as(
        "SELECT coalesce(sum(lines), 0), coalesce(sum(credits_minor), 0) \
         FROM ledger_days WHERE partner_id = ?",
    )
    .bind(partner)
    .fetch_one(&mut *conn)
    .await?;
    Ok((u64::try_from(n).unwrap_or_default(), i128::from(minor)))
}
