//! Idempotency-Key responses: stored once, answered the same to every retry.

use chrono::Utc;

use super::{Store, StoreError};

impl Store {
    // --- Idempotency ---------------------------------------------------------------------------

    /// The stored (request hash, response) for an Idempotency-Key of `user` (a caller's
    /// principal).
    pub(crate) async fn idempotent_response(
        &self,
        user: &str,
        key: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT request, response FROM idempotency WHERE user_name = ? AND key = ?",
        )
        .bind(user)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Stores the response to an Idempotency-Key, unless a concurrent request with the same key
    /// stored one first; returns whichever is stored, so both requests answer the same.
    pub(crate) async fn save_idempotent_response(
        &self,
        user: &str,
        key: &str,
        request: &str,
        response: &str,
    ) -> Result<(String, String), StoreError> {
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT OR IGNORE INTO idempotency (user_name, key, request, response, created_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(user)
        .bind(key)
        .bind(request)
        .bind(response)
        .bind(Utc::now())
        .execute(w.conn())
        .await?;
        let stored = sqlx::query_as(
            "SELECT request, response FROM idempotency WHERE user_name = ? AND key = ?",
        )
        .bind(user)
        .bind(key)
        .fetch_one(w.conn())
        .await?;
        w.commit().await?;
        Ok(stored)
    }
}
