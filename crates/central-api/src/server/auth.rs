//! Who is asking: bearer tokens, the caller they stand for, and `GET /v1/me`.
//!
//! Tokens are random, shown once when made, and stored only as their SHA-256 (see the store).
//! Tokens issued by signing in (`oauth`) expire after an hour, an administrator's after the days
//! they were made for (90 by default); `/v1/me` says when. A
//! caller's scope is the list of partners the token names: a platform account manager's
//! portfolio, or a partner user's own partner. Tokens never reach the logs. Each request with a
//! valid token draws from the token's rate bucket; one with a refused token from its address's
//! (`throttle`).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::Json;
use program::contract::Me;

pub use super::caller::Caller;
use super::problem::ApiError;
use super::throttle;
use super::AppState;

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match caller(parts, state).await {
            Ok(caller) => {
                state.throttle.charge_token(&caller.token_hash)?;
                Ok(caller)
            }
            // A refused token draws from its address's bucket, so guessing tokens is slow (a
            // request without one drew from it already: `throttle::middleware`).
            Err(refused) => {
                if parts.headers.contains_key(AUTHORIZATION) {
                    state
                        .throttle
                        .charge_address(throttle::address_of(&parts.extensions))?;
                }
                Err(refused)
            }
        }
    }
}

/// The caller the request's bearer token stands for.
async fn caller(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("an Authorization: Bearer token is required"))?;
    let token = header
        .to_str()
        .ok()
        .and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            ApiError::unauthorized("the Authorization header must be: Bearer <token>")
        })?;
    match state.store.caller(token).await? {
        Some(Ok(caller)) => Ok(caller),
        Some(Err(_expired)) => Err(ApiError::unauthorized(
            "the token has expired; renew it with the refresh token or sign in again",
        )),
        None => Err(ApiError::unauthorized("the token is not valid")),
    }
}

/// `GET /v1/me`: who the token belongs to, their role and their scope.
pub(crate) async fn me(caller: Caller) -> Json<Me> {
    Json(Me {
        user: caller.user,
        role: caller.role,
        partners: caller.partners,
        expires_at: caller.expires_at,
    })
}
