//! Reading the feed: a consistent [`Snapshot`], its pages and checksums, and cursor validity.

use std::collections::{BTreeSet, HashSet};
use std::sync::LazyLock;

use futures_util::stream::BoxStream;
use program::contract::{LedgerChecksum, PartnerId};
use program::Credits;
use sqlx::{Sqlite, Transaction};

use super::{parse_partner, IssuedCursors, Store, StoreError};

impl Store {
    /// Begins a read snapshot of the feed.
    pub(crate) async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The first read fixes the snapshot: everything after sees the feed as of this head.
        let (head, horizon, epoch): (i64, i64, i64) =
            sqlx::query_as("SELECT head, horizon, epoch FROM feed WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
        Ok(Snapshot {
            tx,
            head: head as u64,
            horizon: horizon as u64,
            epoch: epoch as u64,
        })
    }

    /// Whether `cursor` is one the feed can resume from for this token, as of `snapshot`: 0 (a
    /// bootstrap), at or above the horizon, or issued below it since the last compaction.
    pub(crate) fn cursor_is_valid(
        &self,
        snapshot: &Snapshot,
        token_hash: &str,
        cursor: u64,
    ) -> bool {
        if cursor == 0 || cursor >= snapshot.horizon {
            return true;
        }
        let issued = self.issued.lock().expect("issued cursors lock");
        issued.epoch == snapshot.epoch && issued.cursors.contains(&(token_hash.to_string(), cursor))
    }

    /// Remembers a cursor handed out below the horizon (see [`IssuedCursors`]).
    pub(crate) fn remember_cursor(&self, snapshot_epoch: u64, token_hash: &str, cursor: u64) {
        let mut issued = self.issued.lock().expect("issued cursors lock");
        if issued.epoch < snapshot_epoch {
            *issued = IssuedCursors {
                epoch: snapshot_epoch,
                cursors: HashSet::new(),
            };
        }
        // A page read before a compaction that has since committed proves nothing.
        if issued.epoch == snapshot_epoch {
            issued.cursors.insert((token_hash.to_string(), cursor));
        }
    }
}

/// One change as stored, ready to be written as a feed line.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct FeedRow {
    pub seq: i64,
    pub entity: String,
    pub id: String,
    pub op: String,
    pub version: i64,
    pub data: Option<String>,
    /// For a ledger entry: its partner's key, to state that partner's checksum in the trailer.
    pub ledger_partner: Option<i64>,
}

/// A consistent read of the feed: the head, the rows and the ledger totals all as of one moment.
pub(crate) struct Snapshot {
    tx: Transaction<'static, Sqlite>,
    pub head: u64,
    pub horizon: u64,
    /// How many compactions there had been.
    pub epoch: u64,
}

impl Snapshot {
    /// The changes after `after` that `partners` may see, in `seq` order, at most `limit`.
    pub(crate) fn changes(
        &mut self,
        after: u64,
        limit: u32,
        partners: &[PartnerId],
    ) -> BoxStream<'_, Result<FeedRow, sqlx::Error>> {
        sqlx::query_as::<_, FeedRow>(FEED_PAGE.as_str())
            .bind(after as i64)
            .bind(scope_json(partners))
            .bind(i64::from(limit))
            .fetch(&mut *self.tx)
    }

    /// Each partner's ledger entry count and balance as of `seq`, by partner key.
    pub(crate) async fn checksums(
        &mut self,
        partners: &BTreeSet<i64>,
        seq: u64,
    ) -> Result<Vec<LedgerChecksum>, StoreError> {
        let mut out = Vec::with_capacity(partners.len());
        for pix in partners {
            let row: Option<(String, i64, i64)> = sqlx::query_as(
                "SELECT k.id, t.entries, t.balance FROM ledger_totals t \
                 JOIN partner_keys k ON k.ix = t.pix \
                 WHERE t.pix = ? AND t.seq <= ? ORDER BY t.seq DESC LIMIT 1",
            )
            .bind(pix)
            .bind(seq as i64)
            .fetch_optional(&mut *self.tx)
            .await?;
            if let Some((id, entries, balance)) = row {
                out.push(LedgerChecksum {
                    partner_id: parse_partner(&id)?,
                    entries: entries as u64,
                    balance: Credits::from_minor(balance),
                });
            }
        }
        out.sort_by_key(|c| c.partner_id);
        Ok(out)
    }
}

/// A change is visible to a scope (bound as `?2`, a JSON array of partner ids) if it is public
/// or one of the scope's partners is among the change's partners. The `+` keeps SQLite from
/// seeking `(seq, pix)` once per partner of the scope (hundreds for an account manager, for
/// every row of the feed): it reads the change's own partners (one to three) by `seq` and looks
/// each up in the scope's list.
const VISIBLE_TO_SCOPE: &str = "(c.public = 1 OR EXISTS (\
    SELECT 1 FROM change_partners v WHERE v.seq = c.seq AND +v.pix IN (\
        SELECT k.ix FROM partner_keys k WHERE k.id IN (SELECT value FROM json_each(?2)))))";

/// What a scope sees of a customer's change: the change itself if one of the scope's partners
/// sees it as it is, else the copy kept for a former partner (`change_partners.data`: the
/// customer as it was when it moved away from that partner).
const CUSTOMER_DATA: &str = "coalesce((\
    SELECT v.data FROM change_partners v WHERE v.seq = c.seq AND +v.pix IN (\
        SELECT k.ix FROM partner_keys k WHERE k.id IN (SELECT value FROM json_each(?2))) \
    ORDER BY v.data IS NOT NULL LIMIT 1), c.data)";

/// One page of the feed: after `?1`, visible to `?2`, at most `?3`. Scanning in `seq` order and
/// checking visibility per row keeps a whole sync at one pass over the feed whatever the scope,
/// since each page resumes where the last one stopped.
static FEED_PAGE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT c.seq, c.entity, c.id, c.op, c.version, \
            CASE WHEN c.entity = 'customer' THEN {CUSTOMER_DATA} ELSE c.data END AS data, \
            CASE WHEN c.entity = 'ledger_entry' \
                THEN (SELECT v.pix FROM change_partners v WHERE v.seq = c.seq LIMIT 1) \
            END AS ledger_partner \
         FROM changes c WHERE c.seq > ?1 AND {VISIBLE_TO_SCOPE} ORDER BY c.seq LIMIT ?3"
    )
});

/// Live rows of entity `?1` visible to `?2`.
pub(super) static COUNT_VISIBLE: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT COUNT(*) FROM changes c WHERE c.entity = ?1 AND c.op = 'upsert' AND {VISIBLE_TO_SCOPE}")
});

pub(super) fn scope_json(partners: &[PartnerId]) -> String {
    serde_json::to_string(partners).expect("partner ids serialize")
}
