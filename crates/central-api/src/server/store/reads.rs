//! The test hooks that read back rows, counts, balances and checksums.

use std::collections::BTreeMap;

use program::contract::{CatalogItem, Entity, LedgerChecksum, PartnerId};
use program::Credits;

use super::snapshot::{scope_json, COUNT_VISIBLE};
use super::{parse_partner, Scope, Store, StoreError};

impl Store {
    // --- Test hooks: reads ---------------------------------------------------------------------

    /// The current wire JSON of a row, or None if it does not exist or was deleted.
    pub async fn get(
        &self,
        entity: Entity,
        id: &str,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let data: Option<Option<String>> = sqlx::query_scalar(
            "SELECT data FROM changes WHERE entity = ? AND id = ? AND op = 'upsert'",
        )
        .bind(entity.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(data
            .flatten()
            .map(|d| serde_json::from_str(&d))
            .transpose()?)
    }

    /// A customer's recorded migrations, in the order they take effect.
    pub async fn migrations_of(
        &self,
        customer: program::contract::CustomerId,
    ) -> Result<Vec<program::CustomerMigration>, StoreError> {
        super::migrations::migrations_of(&mut *self.pool.acquire().await?, customer).await
    }

    /// The partners that exist, in feed order.
    pub async fn partner_ids(&self) -> Result<Vec<PartnerId>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM changes WHERE entity = 'partner' AND op = 'upsert' ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await?;
        ids.iter().map(|id| parse_partner(id)).collect()
    }

    /// The catalog as it stands.
    pub async fn catalog(&self) -> Result<Vec<CatalogItem>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT data FROM changes WHERE entity = 'catalog_item' AND op = 'upsert' ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        super::changes::decode_all(&rows)
    }

    /// How many live (not deleted) rows of `entity` the scope can see.
    pub async fn count(&self, entity: Entity, scope: &Scope) -> Result<u64, StoreError> {
        let count: i64 = match scope {
            Scope::All => {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM changes WHERE entity = ? AND op = 'upsert'",
                )
                .bind(entity.as_str())
                .fetch_one(&self.pool)
                .await?
            }
            Scope::Partners(partners) => {
                sqlx::query_scalar(COUNT_VISIBLE.as_str())
                    .bind(entity.as_str())
                    .bind(scope_json(partners))
                    .fetch_one(&self.pool)
                    .await?
            }
        };
        Ok(count as u64)
    }

    /// Every partner's ledger balance now.
    pub async fn balances(&self) -> Result<BTreeMap<PartnerId, Credits>, StoreError> {
        Ok(self
            .checksums_now()
            .await?
            .into_iter()
            .map(|c| (c.partner_id, c.balance))
            .collect())
    }

    /// Every partner's ledger entry count and balance now, as a feed trailer would state them.
    pub async fn checksums_now(&self) -> Result<Vec<LedgerChecksum>, StoreError> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT k.id, t.entries, t.balance FROM ledger_totals t \
             JOIN partner_keys k ON k.ix = t.pix \
             WHERE t.seq = (SELECT MAX(seq) FROM ledger_totals l WHERE l.pix = t.pix) \
             ORDER BY k.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, entries, balance)| {
                Ok(LedgerChecksum {
                    partner_id: parse_partner(&id)?,
                    entries: entries as u64,
                    balance: Credits::from_minor(balance),
                })
            })
            .collect()
    }
}
