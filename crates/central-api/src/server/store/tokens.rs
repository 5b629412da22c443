//! The administrator's API tokens: creating one, and who a token belongs to.

use std::collections::BTreeSet;

use chrono::Utc;
use program::contract::{PartnerId, Role};

use crate::server::caller::Caller;

use super::{parse_role, random_secret, role_str, token_hash, Store, StoreError, TokenExpired};

impl Store {
    // --- Tokens --------------------------------------------------------------------------------

    /// Creates an API token for `user` and returns it; only its SHA-256 is stored. A partner
    /// admin or partner sales token names exactly one partner; every partner named must exist.
    pub async fn create_token(
        &self,
        user: &str,
        role: Role,
        partners: &[PartnerId],
    ) -> Result<String, StoreError> {
        if user.trim().is_empty() {
            return Err(StoreError::Token("the user name is empty".into()));
        }
        let partners = self
            .check_scope(role, partners)
            .await?
            .map_err(StoreError::Token)?;
        let token = random_secret("pdk");
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO tokens (hash, user_name, role, partners, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token_hash(&token))
        .bind(user.trim())
        .bind(role_str(role))
        .bind(serde_json::to_string(&partners)?)
        .bind(Utc::now())
        .execute(w.conn())
        .await?;
        w.commit().await?;
        Ok(token)
    }

    /// The partners a token or user of `role` may name, sorted and without repeats: exactly one
    /// for partner roles, and every one must exist. The inner Err says why not.
    pub(super) async fn check_scope(
        &self,
        role: Role,
        partners: &[PartnerId],
    ) -> Result<Result<Vec<PartnerId>, String>, StoreError> {
        if role != Role::PlatformAccountManager && partners.len() != 1 {
            return Ok(Err(format!(
                "a {} belongs to exactly one partner (got {})",
                role_str(role),
                partners.len()
            )));
        }
        let partners: Vec<PartnerId> = partners
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let known: BTreeSet<PartnerId> = self.partner_ids().await?.into_iter().collect();
        if let Some(unknown) = partners.iter().find(|p| !known.contains(p)) {
            return Ok(Err(format!("no partner with id {unknown}")));
        }
        Ok(Ok(partners))
    }

    /// Who a token belongs to: None for a token the server never issued (or revoked),
    /// `Err(expired)` inside for one whose time is up.
    pub(crate) async fn caller(
        &self,
        token: &str,
    ) -> Result<Option<Result<Caller, TokenExpired>>, StoreError> {
        let hash = token_hash(token);
        let row: Option<(String, String, String, Option<i64>)> = sqlx::query_as(
            "SELECT t.user_name, t.role, t.partners, e.expires_at
             FROM tokens t LEFT JOIN token_expiry e ON e.hash = t.hash WHERE t.hash = ?",
        )
        .bind(&hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some((user, role, partners, expires_at)) = row else {
            return Ok(None);
        };
        if expires_at.is_some_and(|at| at <= Utc::now().timestamp()) {
            return Ok(Some(Err(TokenExpired)));
        }
        let role = parse_role(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("a token has an unknown role {role:?}")))?;
        Ok(Some(Ok(Caller {
            user,
            role,
            partners: serde_json::from_str(&partners)?,
            token_hash: hash,
        })))
    }
}
