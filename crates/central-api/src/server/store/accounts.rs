//! Signing in: the users of the login page, authorization codes, and the expiring access tokens
//! and single-use refresh tokens a sign-in issues (OAuth 2.0, see `server::oauth`).
//!
//! Passwords are kept as Argon2id PHC strings; codes and tokens only as their SHA-256, like the
//! administrator's tokens. A refresh token is redeemed once: redeeming it deletes it and issues a
//! new pair in the same transaction, so a copied refresh token stops working as soon as either
//! copy is used.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::Utc;
use program::contract::{PartnerId, Role};

use super::{parse_role, random_secret, role_str, token_hash, Store, StoreError};

/// How long an access token issued by signing in is accepted.
pub const ACCESS_TOKEN_SECONDS: i64 = 60 * 60;
/// How long a refresh token may wait to be redeemed.
pub const REFRESH_TOKEN_SECONDS: i64 = 30 * 24 * 60 * 60;
/// How long an authorization code may wait to be redeemed (RFC 6749 §4.1.2: short).
pub const CODE_SECONDS: i64 = 60;

/// What a sign-in hands the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

/// An authorization code, redeemed: whose it is and what it was bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeGrant {
    pub login: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// The PKCE challenge (S256), base64url without padding.
    pub challenge: String,
}

/// Verifying a password against this when the login is unknown costs the same as for a known
/// one, so the time taken does not tell which logins exist.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("not a password").expect("hashing works"));

fn hash_password(password: &str) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| StoreError::Account(format!("the password cannot be hashed: {e}")))
}

fn now() -> i64 {
    Utc::now().timestamp()
}

impl Store {
    /// Adds a user who signs in on the login page with `login` and `password`, with `role` over
    /// `partners` (exactly one for partner roles; every one must exist).
    pub async fn create_user(
        &self,
        login: &str,
        password: &str,
        role: Role,
        partners: &[PartnerId],
    ) -> Result<(), StoreError> {
        let login = login.trim();
        if login.is_empty() {
            return Err(StoreError::Account("the login is empty".into()));
        }
        if password.chars().count() < 8 {
            return Err(StoreError::Account(
                "the password must have at least 8 characters".into(),
            ));
        }
        let partners = self
            .check_scope(role, partners)
            .await?
            .map_err(StoreError::Account)?;
        let password = password.to_string();
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| StoreError::Account(e.to_string()))??;
        let mut w = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO users (login, password, role, partners, created_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (login) DO NOTHING",
        )
        .bind(login)
        .bind(hash)
        .bind(role_str(role))
        .bind(serde_json::to_string(&partners)?)
        .bind(Utc::now())
        .execute(w.conn())
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(StoreError::Account(format!(
                "a user with login {login:?} already exists"
            )));
        }
        w.commit().await?;
        Ok(())
    }

    /// Gives `login` another role and scope (an administrator's action, when someone moves to
    /// other partners). Their tokens carry it from their next request. False for an unknown
    /// login.
    pub async fn set_user_scope(
        &self,
        login: &str,
        role: Role,
        partners: &[PartnerId],
    ) -> Result<bool, StoreError> {
        let partners = self
            .check_scope(role, partners)
            .await?
            .map_err(StoreError::Account)?;
        let mut w = self.begin_write().await?;
        let n = sqlx::query("UPDATE users SET role = ?, partners = ? WHERE login = ?")
            .bind(role_str(role))
            .bind(serde_json::to_string(&partners)?)
            .bind(login.trim())
            .execute(w.conn())
            .await?
            .rows_affected();
        w.commit().await?;
        Ok(n > 0)
    }

    /// Whether `password` is `login`'s. Unknown logins and wrong passwords answer alike.
    pub(crate) async fn check_password(
        &self,
        login: &str,
        password: &str,
    ) -> Result<bool, StoreError> {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT password FROM users WHERE login = ?")
                .bind(login.trim())
                .fetch_optional(&self.pool)
                .await?;
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let password = password.to_string();
        let matches = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&stored)
                .map(|hash| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &hash)
                        .is_ok()
                })
                .map_err(|e| StoreError::Corrupt(format!("a stored password hash: {e}")))
        })
        .await
        .map_err(|e| StoreError::Account(e.to_string()))??;
        Ok(known && matches)
    }

    /// Issues an authorization code for `login`, bound to the client, its redirect and its PKCE
    /// challenge.
    pub(crate) async fn create_code(
        &self,
        login: &str,
        client_id: &str,
        redirect_uri: &str,
        challenge: &str,
    ) -> Result<String, StoreError> {
        let code = random_secret("pdc");
        let mut w = self.begin_write().await?;
        // Codes nobody came back for are dropped as new ones are made.
        sqlx::query("DELETE FROM auth_codes WHERE expires_at <= ?")
            .bind(now())
            .execute(w.conn())
            .await?;
        sqlx::query(
            "INSERT INTO auth_codes (hash, login, client_id, redirect_uri, challenge, expires_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(token_hash(&code))
        .bind(login.trim())
        .bind(client_id)
        .bind(redirect_uri)
        .bind(challenge)
        .bind(now() + CODE_SECONDS)
        .execute(w.conn())
        .await?;
        w.commit().await?;
        Ok(code)
    }

    /// Redeems `code`: it is deleted whether or not the rest of the exchange succeeds, so it can
    /// be tried once. None for a code never issued, already redeemed or expired.
    pub(crate) async fn redeem_code(&self, code: &str) -> Result<Option<CodeGrant>, StoreError> {
        let mut w = self.begin_write().await?;
        let row: Option<(String, String, String, String, i64)> = sqlx::query_as(
            "DELETE FROM auth_codes WHERE hash = ?
             RETURNING login, client_id, redirect_uri, challenge, expires_at",
        )
        .bind(token_hash(code))
        .fetch_optional(w.conn())
        .await?;
        w.commit().await?;
        Ok(
            row.and_then(|(login, client_id, redirect_uri, challenge, expires_at)| {
                (expires_at > now()).then_some(CodeGrant {
                    login,
                    client_id,
                    redirect_uri,
                    challenge,
                })
            }),
        )
    }

    /// Issues an access token and a refresh token for `login`, with the role and partners the
    /// user has now. None if the user is gone.
    pub(crate) async fn issue_tokens(
        &self,
        login: &str,
    ) -> Result<Option<IssuedTokens>, StoreError> {
        let mut w = self.begin_write().await?;
        let issued = issue(w.conn(), login).await?;
        w.commit().await?;
        Ok(issued)
    }

    /// Redeems a refresh token for a new pair; the old one stops working. None for a refresh
    /// token never issued, already redeemed, expired or of a user who is gone.
    pub(crate) async fn redeem_refresh_token(
        &self,
        refresh_token: &str,
    ) -> Result<Option<IssuedTokens>, StoreError> {
        let mut w = self.begin_write().await?;
        let row: Option<(String, i64)> =
            sqlx::query_as("DELETE FROM refresh_tokens WHERE hash = ? RETURNING login, expires_at")
                .bind(token_hash(refresh_token))
                .fetch_optional(w.conn())
                .await?;
        let issued = match row {
            Some((login, expires_at)) if expires_at > now() => issue(w.conn(), &login).await?,
            _ => None,
        };
        w.commit().await?;
        Ok(issued)
    }

    /// Test hook: every access token issued by signing in expires now (their refresh tokens stay
    /// valid), as if an hour had passed.
    pub async fn expire_access_tokens(&self) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE token_expiry SET expires_at = ? \
             WHERE hash IN (SELECT hash FROM tokens WHERE login IS NOT NULL)",
        )
        .bind(now() - 1)
        .execute(w.conn())
        .await?
        .rows_affected();
        w.commit().await?;
        Ok(n)
    }

    /// Ends every sign-in of `login`: its refresh tokens and the access tokens they issued stop
    /// working (an administrator's action, e.g. when someone leaves). Returns the tokens ended.
    pub async fn revoke_sign_ins(&self, login: &str) -> Result<u64, StoreError> {
        let mut w = self.begin_write().await?;
        let refresh = sqlx::query("DELETE FROM refresh_tokens WHERE login = ?")
            .bind(login)
            .execute(w.conn())
            .await?
            .rows_affected();
        let access = sqlx::query("DELETE FROM tokens WHERE login = ?")
            .bind(login)
            .execute(w.conn())
            .await?
            .rows_affected();
        w.commit().await?;
        Ok(refresh + access)
    }
}

/// Writes a new access token (expiring) and refresh token for `login`, inside the caller's
/// transaction.
async fn issue(
    conn: &mut sqlx::SqliteConnection,
    login: &str,
) -> Result<Option<IssuedTokens>, StoreError> {
    let user: Option<(String, String)> =
        sqlx::query_as("SELECT role, partners FROM users WHERE login = ?")
            .bind(login)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((role, partners)) = user else {
        return Ok(None);
    };
    parse_role(&role)
        .ok_or_else(|| StoreError::Corrupt(format!("a user has an unknown role {role:?}")))?;
    let (access_token, refresh_token) = (random_secret("pdk"), random_secret("pdr"));
    let (created, now) = (Utc::now(), now());
    sqlx::query(
        "INSERT INTO tokens (hash, user_name, role, partners, created_at, login) \
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(token_hash(&access_token))
    .bind(login)
    .bind(&role)
    .bind(&partners)
    .bind(created)
    .bind(login)
    .execute(&mut *conn)
    .await?;
    sqlx::query("INSERT INTO token_expiry (hash, expires_at) VALUES (?, ?)")
        .bind(token_hash(&access_token))
        .bind(now + ACCESS_TOKEN_SECONDS)
        .execute(&mut *conn)
        .await?;
    // Access tokens expired longer than a refresh token lives are dropped as new ones are
    // issued (until then a late request hears "expired", not "unknown").
    sqlx::query(
        "DELETE FROM tokens WHERE hash IN (SELECT hash FROM token_expiry WHERE expires_at <= ?)",
    )
    .bind(now - REFRESH_TOKEN_SECONDS)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO refresh_tokens (hash, login, expires_at, created_at) VALUES (?, ?, ?, ?)",
    )
    .bind(token_hash(&refresh_token))
    .bind(login)
    .bind(now + REFRESH_TOKEN_SECONDS)
    .bind(created)
    .execute(&mut *conn)
    .await?;
    Ok(Some(IssuedTokens {
        access_token,
        refresh_token,
        expires_in: ACCESS_TOKEN_SECONDS,
    }))
}
