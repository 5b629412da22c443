//! The test hooks that make server-side changes, the way the platform would.

use chrono::{NaiveDate, Utc};
use program::contract::{
    CatalogItem, Customer, Deployment, Entity, LedgerEntry, NpsResponse, Partner, Territory,
};
use program::deals::{Deal, DealChange, DealEvent, DealId, DealRule, DealStatus};
use program::quotes::{Quote, QuoteId};
use program::CustomerMigration;

use super::{changes, migrations, Store, StoreError};

impl Store {
    // --- Test hooks: server-side changes -------------------------------------------------------

    /// Upserts any entity from its wire JSON (as it appears in a change's `data`), routing to the
    /// typed hook below. A ledger entry is appended (and refused if its id exists); a customer
    /// migration is recorded with its effects. Returns the row's new `seq`.
    pub async fn upsert(&self, entity: Entity, data: serde_json::Value) -> Result<u64, StoreError> {
        use serde_json::from_value;
        match entity {
            Entity::Partner => self.upsert_partner(&from_value(data)?).await,
            Entity::Territory => self.upsert_territory(&from_value(data)?).await,
            Entity::Customer => self.upsert_customer(&from_value(data)?).await,
            Entity::Deployment => self.upsert_deployment(&from_value(data)?).await,
            Entity::LedgerEntry => self.append_ledger(&from_value(data)?).await,
            Entity::NpsResponse => self.upsert_nps(&from_value(data)?).await,
            Entity::CatalogItem => self.upsert_catalog_item(&from_value(data)?).await,
            Entity::CustomerMigration => self.record_migration(&from_value(data)?).await,
            Entity::Deal => {
                let mut w = self.begin_write().await?;
                let seq = changes::put_deal(w.conn(), &from_value(data)?).await?;
                w.commit().await?;
                Ok(seq)
            }
            Entity::Quote => {
                let mut w = self.begin_write().await?;
                let seq = changes::put_quote(w.conn(), &from_value(data)?).await?;
                w.commit().await?;
                Ok(seq)
            }
            Entity::ActionItem => {
                let mut w = self.begin_write().await?;
                let seq = changes::put_action_item(w.conn(), &from_value(data)?).await?;
                w.commit().await?;
                Ok(seq)
            }
            Entity::TerritoryClaim => Err(StoreError::Invalid {
                entity,
                reason: "the territory map follows the territories; change a territory instead"
                    .into(),
            }),
        }
    }

    pub async fn upsert_partner(&self, partner: &Partner) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let seq = changes::put_partner(w.conn(), partner, self.today()).await?;
        w.commit().await?;
        Ok(seq)
    }

    pub async fn upsert_territory(&self, territory: &Territory) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let seq = changes::put_territory(w.conn(), territory).await?;
        w.commit().await?;
        Ok(seq)
    }

    /// Upserts a customer. If its partner of record changed, its deployments are re-sent so the
    /// new partner's feed carries them.
    pub async fn upsert_customer(&self, customer: &Customer) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let seq = changes::put_customer(w.conn(), customer).await?;
        w.commit().await?;
        Ok(seq)
    }

    pub async fn upsert_deployment(&self, deployment: &Deployment) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let seq = changes::put_deployment(w.conn(), deployment).await?;
        w.commit().await?;
        Ok(seq)
    }

    pub async fn upsert_nps(&self, response: &NpsResponse) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let seq = changes::put_nps(w.conn(), response).await?;
        w.commit().await?;
        Ok(seq)
    }

    pub async fn upsert_catalog_item(&self, item: &CatalogItem) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let seq = changes::put_catalog_item(w.conn(), item).await?;
        w.commit().await?;
        Ok(seq)
    }

    /// Records a customer migration: the migration row, the customer's new partner of record
    /// (visible to both partners from now on), its deployments re-sent, and, for a new migration,
    /// the receiving partner's zero-credit ledger line. Returns the migration row's `seq`.
    pub async fn record_migration(&self, migration: &CustomerMigration) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let seq = migrations::put_migration(w.conn(), migration, self.today()).await?;
        w.commit().await?;
        Ok(seq)
    }

    /// Appends a ledger entry. Refused if an entry with its id exists (the ledger is append-only)
    /// or if it breaks the ledger's rules.
    pub async fn append_ledger(&self, entry: &LedgerEntry) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let seq = w.append_ledger(entry).await?;
        w.commit().await?;
        Ok(seq)
    }

    /// Moves the customers whose migration takes effect by `today` to their new partner of
    /// record. Returns how many moved.
    pub async fn apply_due_migrations(&self, today: NaiveDate) -> Result<usize, StoreError> {
        let mut w = self.begin_write().await?;
        let moved = migrations::apply_due_migrations(w.conn(), today).await?;
        w.commit().await?;
        Ok(moved)
    }

    /// Expires every approved, open registration that sat in one stage for `registration_days`
    /// by `today`. Returns how many expired.
    pub async fn expire_deals(
        &self,
        today: NaiveDate,
        registration_days: u32,
    ) -> Result<usize, StoreError> {
        let mut w = self.begin_write().await?;
        let lapsed: Vec<Deal> = w
            .open_deals()
            .await?
            .into_iter()
            .filter(|d| d.is_lapsed(registration_days, today))
            .collect();
        let at = Utc::now();
        for mut deal in lapsed.iter().cloned() {
            deal.status = DealStatus::Expired;
            deal.refusal = Some(DealRule::Expired {
                days: registration_days,
            });
            deal.history.push(DealEvent {
                at,
                by: "platform".into(),
                what: DealChange::Expired {
                    days: registration_days,
                },
            });
            w.put_deal(&deal).await?;
        }
        w.commit().await?;
        Ok(lapsed.len())
    }

    /// Expires the sent quotes whose last valid day is before `today` (a customer can no longer
    /// accept them); returns how many.
    pub async fn expire_quotes(&self, today: NaiveDate) -> Result<usize, StoreError> {
        let mut w = self.begin_write().await?;
        let lapsed: Vec<String> = sqlx::query_scalar(
            "SELECT data FROM changes WHERE entity = 'quote' AND op = 'upsert' \
             AND json_extract(data, '$.status') = 'sent' \
             AND json_extract(data, '$.valid_until') < ?",
        )
        .bind(today.to_string())
        .fetch_all(w.conn())
        .await?;
        for data in &lapsed {
            let mut quote: Quote = serde_json::from_str(data)?;
            quote.status = program::quotes::QuoteStatus::Expired;
            w.put_quote(&quote).await?;
        }
        w.commit().await?;
        Ok(lapsed.len())
    }

    /// A quote as the platform holds it.
    pub async fn quote(&self, id: QuoteId) -> Result<Option<Quote>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        changes::current(&mut conn, Entity::Quote, &id.to_string()).await
    }

    /// A deal as the platform holds it.
    pub async fn deal(&self, id: DealId) -> Result<Option<Deal>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        changes::current(&mut conn, Entity::Deal, &id.to_string()).await
    }

    /// Deletes a row: its change becomes a tombstone at a new `seq`, seen by whoever saw the row.
    /// Ledger entries cannot be deleted.
    pub async fn delete(&self, entity: Entity, id: &str) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let seq = changes::delete(w.conn(), entity, id).await?;
        w.commit().await?;
        Ok(seq)
    }

    /// Purges tombstones below `horizon` and makes it the lowest valid cursor (besides 0, the
    /// bootstrap). Returns how many tombstones went.
    pub async fn compact(&self, horizon: u64) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let purged = changes::compact(w.conn(), horizon).await?;
        w.commit().await?;
        Ok(purged)
    }
}
