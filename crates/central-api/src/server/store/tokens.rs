//! API tokens: an administrator's (made, listed, revoked, expiring), and who a token stands for
//! at each use.
//!
//! A token's public id is the first [`TOKEN_ID_LEN`] hex digits of its SHA-256: what `token list`
//! shows and `token revoke` takes, and never enough to use it. A token issued by signing in
//! (`accounts`) names its user's login, and carries that user's role and scope as they stand
//! when it is used: a user moved to other partners is moved at their next request. An
//! administrator's token carries the role and scope it was made with.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use program::contract::{PartnerId, Role};
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;

use crate::server::caller::Caller;

use super::{parse_role, random_secret, role_str, token_hash, Store, StoreError, TokenExpired};

/// Hex digits of a token's hash that make its public id.
pub const TOKEN_ID_LEN: usize = 12;

/// How long an administrator's token lasts unless made for another time.
pub const DEFAULT_TOKEN_DAYS: u32 = 90;

/// A row of `tokens` with its expiry.
#[derive(sqlx::FromRow)]
struct TokenRow {
    hash: String,
    user_name: String,
    role: String,
    partners: String,
    created_at: DateTime<Utc>,
    expires_at: Option<i64>,
    login: Option<String>,
}

/// What a token stands for at its use (`role` and `partners` None for a signed-in user who is
/// gone).
#[derive(sqlx::FromRow)]
struct CallerRow {
    user_name: String,
    login: Option<String>,
    role: Option<String>,
    partners: Option<String>,
    expires_at: Option<i64>,
}

/// A token's public id.
pub fn token_id(token: &str) -> String {
    token_hash(token)[..TOKEN_ID_LEN].to_string()
}

/// A token as `token list` shows it: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: String,
    pub user: String,
    pub role: Role,
    pub partners: usize,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Issued by signing in (the user's login), rather than made by an administrator.
    pub login: Option<String>,
}

impl TokenInfo {
    /// The role as the API and the command line write it (`partner_admin`).
    pub fn role_name(&self) -> &'static str {
        role_str(self.role)
    }
}

impl Store {
    // --- Tokens --------------------------------------------------------------------------------

    /// Creates an API token for `user` for [`DEFAULT_TOKEN_DAYS`] and returns it (see
    /// [`Store::create_token_for`]).
    pub async fn create_token(
        &self,
        user: &str,
        role: Role,
        partners: &[PartnerId],
    ) -> Result<String, StoreError> {
        self.create_token_for(user, role, partners, DEFAULT_TOKEN_DAYS)
            .await
    }

    /// Creates an API token for `user` that expires after `days` and returns it; only its
    /// SHA-256 is stored. A partner admin or partner sales token names exactly one partner; every
    /// partner named must exist.
    pub async fn create_token_for(
        &self,
        user: &str,
        role: Role,
        partners: &[PartnerId],
        days: u32,
    ) -> Result<String, StoreError> {
        if user.trim().is_empty() {
            return Err(StoreError::Token("the user name is empty".into()));
        }
        let partners = self
            .check_scope(role, partners)
            .await?
            .map_err(StoreError::Token)?;
        let token = random_secret("pdk");
        let created = Utc::now();
        let expires = created + chrono::Duration::days(i64::from(days));
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO tokens (hash, user_name, role, partners, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(token_hash(&token))
        .bind(user.trim())
        .bind(role_str(role))
        .bind(serde_json::to_string(&partners)?)
        .bind(created)
        .execute(w.conn())
        .await?;
        sqlx::query("INSERT INTO token_expiry (hash, expires_at) VALUES (?, ?)")
            .bind(token_hash(&token))
            .bind(expires.timestamp())
            .execute(w.conn())
            .await?;
        w.commit().await?;
        Ok(token)
    }

    /// Every token, oldest first.
    pub async fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let rows: Vec<TokenRow> = sqlx::query_as(
            "SELECT t.hash, t.user_name, t.role, t.partners, t.created_at, e.expires_at, t.login
             FROM tokens t LEFT JOIN token_expiry e ON e.hash = t.hash
             ORDER BY t.created_at, t.hash",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|t| {
                let partners: Vec<PartnerId> = serde_json::from_str(&t.partners)?;
                Ok(TokenInfo {
                    id: t.hash[..TOKEN_ID_LEN].to_string(),
                    role: parse_role(&t.role).ok_or_else(|| {
                        StoreError::Corrupt(format!("a token has an unknown role {:?}", t.role))
                    })?,
                    user: t.user_name,
                    partners: partners.len(),
                    created_at: t.created_at,
                    expires_at: t.expires_at.and_then(|at| DateTime::from_timestamp(at, 0)),
                    login: t.login,
                })
            })
            .collect()
    }

    /// Revokes the token whose id is `id`: it stops working at once. False if no token has it.
    pub async fn revoke_token(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.trim().to_ascii_lowercase();
        if id.len() != TOKEN_ID_LEN || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Token(format!(
                "a token id is {TOKEN_ID_LEN} hex digits, as `token list` shows it"
            )));
        }
        let mut w = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM tokens WHERE substr(hash, 1, ?) = ?")
            .bind(TOKEN_ID_LEN as i64)
            .bind(&id)
            .execute(w.conn())
            .await?
            .rows_affected();
        w.commit().await?;
        Ok(n > 0)
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

    /// Who a token stands for now: None for a token the server never issued, revoked, or of a
    /// user who is gone; `Err(expired)` inside for one whose time is up.
    pub(crate) async fn caller(
        &self,
        token: &str,
    ) -> Result<Option<Result<Caller, TokenExpired>>, StoreError> {
        let hash = token_hash(token);
        // A signed-in user's role and scope as they stand; an administrator's token's own.
        let row: Option<CallerRow> = sqlx::query_as(
            "SELECT t.user_name, t.login,
                    CASE WHEN t.login IS NULL THEN t.role ELSE u.role END AS role,
                    CASE WHEN t.login IS NULL THEN t.partners ELSE u.partners END AS partners,
                    e.expires_at
             FROM tokens t
             LEFT JOIN users u ON u.login = t.login
             LEFT JOIN token_expiry e ON e.hash = t.hash
             WHERE t.hash = ?",
        )
        .bind(&hash)
        .fetch_optional(&self.pool)
        .await?;
        // A signed-in user who is gone has no role or scope left: the token stands for no one.
        let Some(CallerRow {
            user_name: user,
            login,
            role: Some(role),
            partners: Some(partners),
            expires_at,
        }) = row
        else {
            return Ok(None);
        };
        if expires_at.is_some_and(|at| at <= Utc::now().timestamp()) {
            return Ok(Some(Err(TokenExpired)));
        }
        let role = parse_role(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("a token has an unknown role {role:?}")))?;
        let partners: Vec<PartnerId> = serde_json::from_str(&partners)?;
        let principal = principal(login.as_deref(), &user, role, &partners);
        Ok(Some(Ok(Caller {
            user,
            role,
            partners,
            principal,
            expires_at: expires_at.and_then(|at| DateTime::from_timestamp(at, 0)),
            token_hash: hash,
        })))
    }
}

/// Who a caller is for idempotency and decided mutations: a signed-in user by login (the same
/// across the access tokens their sign-in renews); an administrator's token by its user's name,
/// role and scope together, so two people who share a name are never one, and a token made again
/// for the same person (the old one expired) still is.
fn principal(login: Option<&str>, user: &str, role: Role, partners: &[PartnerId]) -> String {
    match login {
        Some(login) => format!("login:{login}"),
        None => {
            let grant = serde_json::json!([user, role_str(role), partners]).to_string();
            format!("grant:{}", super::hex(&Sha256::digest(grant.as_bytes())))
        }
    }
}

/// Adds `tokens.login` to a database made before it: the tokens issued by signing in then were
/// those with an expiry, and their `user_name` was the login.
pub(super) async fn add_login_if_missing(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    let has: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info('tokens') WHERE name = 'login')",
    )
    .fetch_one(&mut *conn)
    .await?;
    if has {
        return Ok(());
    }
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    sqlx::query("ALTER TABLE tokens ADD COLUMN login TEXT")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE tokens SET login = user_name WHERE hash IN (SELECT hash FROM token_expiry)",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
