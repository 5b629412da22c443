//! Each partner's figures, kept in `partner_figures` so the portfolio filters, sorts and pages
//! thousands of partners in SQL.
//!
//! The figures are derived data: `crate::metrics` computes them from the mirror, exactly as the
//! partner page does live. A sync page marks the partners it touched in `figures_dirty` in its own
//! transaction; [`refresh`] recomputes those partners (every partner when the day changed) and
//! clears their marks in one transaction. The sync engine refreshes after every round, and the
//! portfolio refreshes before it reads, so what it shows is never older than the mirror.

use std::collections::HashMap;

use program::contract::PartnerId;
use program::progression::{outlook, Outlook};
use program::Tier;
use sqlx::{QueryBuilder, Sqlite};

use crate::error::{DeskError, Result};
use crate::metrics::{self, Figures};
use crate::store::{self, execute_in_chunks, Store};

/// `sync_state` key: the day `partner_figures` was computed for.
pub const FIGURES_AS_OF: &str = "figures_as_of";

/// Rows per INSERT of figures (16 values each, under SQLite's 32,766 parameters).
const CHUNK: usize = 1_000;

/// Recomputes the figures of the partners marked dirty, or of every partner when the stored
/// figures are for another day. Returns how many partners were recomputed.
pub async fn refresh(store: &Store) -> Result<usize> {
    let _one_at_a_time = store.figures_lock().lock().await;
    let started = std::time::Instant::now();
    let as_of = crate::workspace::as_of(store).await?;
    let day = as_of.format("%Y-%m-%d").to_string();
    let whole = store.get_state(FIGURES_AS_OF).await?.as_deref() != Some(day.as_str());
    // The marks: a partner whose figures (and search document) to compute again, or (`false`)
    // only its search document.
    let marks: Vec<(String, bool)> =
        sqlx::query_as("SELECT partner_id, figures FROM figures_dirty")
            .fetch_all(store.pool())
            .await?;
    if !whole && marks.is_empty() {
        return Ok(0);
    }
    let (mut dirty, mut search_only) = (Vec::new(), Vec::new());
    for (id, figures) in marks {
        if figures {
            dirty.push(id);
        } else {
            search_only.push(id);
        }
    }
    let dirty_json =
        serde_json::to_string(&dirty).map_err(|e| DeskError::Corrupt(e.to_string()))?;
    let partners: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, tier FROM partners WHERE ?1 OR id IN (SELECT value FROM json_each(?2))",
    )
    .bind(whole)
    .bind(dirty_json)
    .fetch_all(store.pool())
    .await?;
    let partners = partners
        .into_iter()
        .map(|(id, tier)| {
            let id = id
                .parse()
                .map(PartnerId)
                .map_err(|_| DeskError::Corrupt(format!("partner id {id:?}")))?;
            let tier =
                Tier::parse(&tier).ok_or_else(|| DeskError::Corrupt(format!("tier {tier:?}")))?;
            Ok((id, tier))
        })
        .collect::<Result<Vec<_>>>()?;
    let ids: Vec<PartnerId> = partners.iter().map(|(id, _)| *id).collect();
    // Set-based over every partner costs about what it costs over a quarter of them through the
    // partner indexes (a round of 1,000 changes touches most partners of a workspace of 300).
    let every: i64 = sqlx::query_scalar("SELECT count(*) FROM partners")
        .fetch_one(store.pool())
        .await?;
    let most = whole || ids.len() as i64 * 4 >= every;
    let mut figures: HashMap<PartnerId, Figures> = if partners.is_empty() {
        HashMap::new()
    } else {
        metrics::figures(store, as_of, (!most).then_some(ids.as_slice())).await?
    };
    let policy = crate::workspace::progression_policy(store).await?;

    // A partner whose sums pass what the program counts (only a hostile or broken ledger does
    // that) keeps no figures rather than stopping everyone's.
    for (id, f) in figures.iter_mut() {
        if f.recurring_volume.minor().is_err() || f.balance.minor().is_err() {
            tracing::warn!(partner = %id, "figures past the bound of an amount: left out");
            *f = Figures::empty();
        }
    }
    let mut tx = store.pool().begin_with(store::BEGIN_WRITE).await?;
    if whole {
        sqlx::query!("DELETE FROM partner_figures")
            .execute(&mut *tx)
            .await?;
    } else {
        execute_in_chunks(
            &mut tx,
            "DELETE FROM partner_figures WHERE partner_id IN (",
            &dirty,
            ")",
        )
        .await?;
    }
    for chunk in partners.chunks(CHUNK) {
        let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO partner_figures (partner_id, as_of, active_customers, nps, \
             nps_responses, nps_promoters, nps_detractors, retention, retention_base, retained, \
             recurring_minor, balance_minor, burn_30, burn_90, runway_days, eligible) ",
        );
        qb.push_values(chunk, |mut b, (id, tier)| {
            let f = figures.remove(id).unwrap_or_else(Figures::empty);
            let eligible = matches!(
                outlook(*tier, &f.progression(), &policy),
                Outlook::EligibleForUpgrade { .. }
            );
            b.push_bind(id.to_string())
                .push_bind(day.clone())
                .push_bind(i64::from(f.active_customers))
                .push_bind(f.nps.score)
                .push_bind(i64::from(f.nps.responses))
                .push_bind(i64::from(f.nps.promoters))
                .push_bind(i64::from(f.nps.detractors))
                .push_bind(f.retention.rate.map(metrics::fraction))
                .push_bind(i64::from(f.retention.base))
                .push_bind(i64::from(f.retention.retained))
                .push_bind(f.recurring_volume.minor().ok())
                .push_bind(f.balance.minor().ok())
                .push_bind(format!("{:.2}", f.burn_30.amount()))
                .push_bind(format!("{:.2}", f.burn_90.amount()))
                .push_bind(f.runway_days.map(i64::from))
                .push_bind(eligible);
        });
        qb.build().execute(&mut *tx).await?;
    }
    // The partner's own columns the portfolio shows, filters and sorts by, beside its figures.
    let ids: Vec<String> = partners.iter().map(|(id, _)| id.to_string()).collect();
    execute_in_chunks(
        &mut tx,
        "UPDATE partner_figures SET (name, tier, tier_rank, discount_rate, region, country, \
           currency, brands, exclusive) = (\
           SELECT p.name, p.tier, \
                  CASE p.tier WHEN 'authorized' THEN 0 WHEN 'specialist' THEN 1 \
                              WHEN 'regional' THEN 2 ELSE 3 END, \
                  p.discount_rate, p.region, p.country, p.currency, \
                  coalesce((SELECT group_concat(brand, ',') FROM \
                            (SELECT brand FROM partner_brands b WHERE b.partner_id = p.id \
                              ORDER BY brand)), ''), \
                  EXISTS (SELECT 1 FROM territories t \
                           WHERE t.partner_id = p.id AND t.exclusivity <> 'none') \
           FROM partners p WHERE p.id = partner_figures.partner_id) \
         WHERE partner_id IN (",
        &ids,
        ")",
    )
    .await?;
    let computed = started.elapsed();
    // The portfolio search's document of each partner computed, and of each marked for it alone
    // (a customer renamed).
    let searched: Vec<String> = ids.iter().chain(&search_only).cloned().collect();
    let rewritten = write_search_documents(&mut tx, &searched).await?;
    let searching = started.elapsed() - computed;
    // Only the marks read above: a page that committed meanwhile keeps its own, and a mark for
    // the search document alone that a page made a mark for the figures too stays.
    execute_in_chunks(
        &mut tx,
        "DELETE FROM figures_dirty WHERE partner_id IN (",
        &dirty,
        ")",
    )
    .await?;
    execute_in_chunks(
        &mut tx,
        "DELETE FROM figures_dirty WHERE partner_id IN (",
        &search_only,
        ") AND figures = 0",
    )
    .await?;
    crate::store::set_state_on(&mut tx, FIGURES_AS_OF, &day).await?;
    let committing = std::time::Instant::now();
    tx.commit().await?;
    tracing::debug!(
        partners = partners.len(),
        search_only = search_only.len(),
        search_rewritten = rewritten,
        whole,
        figures_ms = computed.as_millis() as u64,
        search_ms = searching.as_millis() as u64,
        commit_ms = committing.elapsed().as_millis() as u64,
        ms = started.elapsed().as_millis() as u64,
        "figures refreshed"
    );
    Ok(partners.len())
}

/// Writes the search document of each of `partners` where it changed, and drops those of partners
/// no longer in the mirror. Returns how many it wrote. Most marks are for figures (a
/// deployment, a ledger line, a survey answer), which leave the document as it was, and writing
/// one costs its full-text entries — thousands a partner, with their prefixes — twice.
async fn write_search_documents(
    conn: &mut sqlx::SqliteConnection,
    partners: &[String],
) -> Result<usize> {
    // A partner gone from the mirror keeps no document (one row a partner: a short scan).
    sqlx::query("DELETE FROM partner_search WHERE partner_id NOT IN (SELECT id FROM partners)")
        .execute(&mut *conn)
        .await?;
    // Each partner's document as the mirror has it now (SQL, the same both times).
    const DOCUMENT: &str = "p.name || ' ' || p.country || ' ' || coalesce(\
         (SELECT group_concat(c.name || ' ' || c.founder || ' ' || c.country, ' ') \
          FROM customers c WHERE c.partner_id = p.id), '')";
    let mut changed: Vec<String> = Vec::new();
    for chunk in partners.chunks(CHUNK) {
        let json = serde_json::to_string(chunk).map_err(|e| DeskError::Corrupt(e.to_string()))?;
        let ids: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT p.id FROM partners p WHERE p.id IN (SELECT value FROM json_each(?)) \
             AND {DOCUMENT} IS NOT (SELECT s.doc FROM partner_search s WHERE s.partner_id = p.id)"
        ))
        .bind(json)
        .fetch_all(&mut *conn)
        .await?;
        changed.extend(ids);
    }
    execute_in_chunks(
        conn,
        "DELETE FROM partner_search WHERE partner_id IN (",
        &changed,
        ")",
    )
    .await?;
    execute_in_chunks(
        conn,
        &format!(
            "INSERT INTO partner_search (partner_id, doc) SELECT p.id, {DOCUMENT} \
             FROM partners p WHERE p.id IN ("
        ),
        &changed,
        ")",
    )
    .await?;
    Ok(changed.len())
}
