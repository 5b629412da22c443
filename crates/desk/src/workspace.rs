//! What the cache knows about the workspace as a whole, kept in `sync_state` by sync and sign-in:
//! whose it is, its kind, its as-of day, the program policy the central API last sent (with the
//! reference policy's values before the first sync), its FX rates, the signed-in user's name and
//! the synced catalog.
//!
//! Every screen reads these through here; nothing else knows the keys. This module depends on
//! the store only, so any capability may use it.

use chrono::{NaiveDate, Utc};
use program::contract::{CatalogItem, ProgramPolicy};
use program::progression::ProgressionPolicy;
use program::{Credits, Currency, FxRate};

use crate::error::{DeskError, Result};
use crate::store::Store;
use crate::views::WorkspaceKind;

/// `sync_state` key: the workspace's as-of date (the demo's data date); absent: today.
pub const AS_OF: &str = "as_of";
/// `sync_state` key: the program policy (`GET /v1/program`) as JSON, as the central API last
/// sent it.
pub const PROGRAM_POLICY: &str = "program_policy";
/// `sync_state` key: the signed-in user's name as the central API knows it (`GET /v1/me`): deal
/// histories name people by it.
pub const USER: &str = "user";
/// `sync_state` key: RFC 3339 time the access token expires, as `GET /v1/me` said, for a token
/// the app cannot renew (one an administrator handed out); absent otherwise.
pub const TOKEN_EXPIRES_AT: &str = "token_expires_at";
/// `sync_state` key: "demo" or "remote".
pub const KIND: &str = "workspace_kind";
/// `sync_state` key: who the cache belongs to: "demo", or the API base URL and user of a remote
/// account.
pub const ACCOUNT: &str = "account";
/// `sync_state` key: the central API's base URL.
pub const BASE_URL: &str = "base_url";
/// `sync_state` key: the partner a partner-side user belongs to (their home page).
pub const HOME_PARTNER: &str = "home_partner";
/// `sync_state` key: the signed-in user's role, as the wire writes it; absent in the demo.
pub const ROLE: &str = "role";

/// The signed-in user's role, or None in the demo workspace (which shows everything an account
/// manager sees).
pub async fn role(store: &Store) -> Result<Option<program::contract::Role>> {
    store
        .get_state(ROLE)
        .await?
        .map(|r| {
            serde_json::from_value(serde_json::Value::String(r.clone()))
                .map_err(|_| DeskError::Corrupt(format!("role {r:?}")))
        })
        .transpose()
}

/// Keeps the signed-in user's role.
pub async fn set_role(store: &Store, role: program::contract::Role) -> Result<()> {
    let text = serde_json::to_value(role)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .ok_or_else(|| DeskError::Corrupt(format!("role {role:?}")))?;
    store.set_state(ROLE, &text).await
}

/// How a workspace kind is stored.
pub fn kind_key(kind: WorkspaceKind) -> &'static str {
    match kind {
        WorkspaceKind::Demo => "demo",
        WorkspaceKind::Remote => "remote",
    }
}

/// The date the workspace's figures are computed for: the data's as-of date, else today (UTC).
pub async fn as_of(store: &Store) -> Result<NaiveDate> {
    Ok(store
        .get_state(AS_OF)
        .await?
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| Utc::now().date_naive()))
}

/// The program policy as the central API last sent it; None before the first sync.
pub async fn program_policy(store: &Store) -> Result<Option<ProgramPolicy>> {
    Ok(store
        .get_state(PROGRAM_POLICY)
        .await?
        .and_then(|json| serde_json::from_str(&json).ok()))
}

/// The policy in force: as the central API last sent it, else the reference policy (whose FX
/// rates are USD's only).
async fn policy_in_force(store: &Store) -> Result<ProgramPolicy> {
    match program_policy(store).await? {
        Some(policy) => Ok(policy),
        None => Ok(ProgramPolicy::reference(vec![FxRate::usd(
            as_of(store).await?,
        )])),
    }
}

/// The progression policy in force.
pub async fn progression_policy(store: &Store) -> Result<ProgressionPolicy> {
    Ok(policy_in_force(store).await?.progression)
}

/// Days a deal registration lasts, by the policy in force.
pub async fn registration_days(store: &Store) -> Result<u32> {
    Ok(policy_in_force(store).await?.deal_registration_days)
}

/// Days a quote is valid, by the policy in force.
pub async fn quote_validity_days(store: &Store) -> Result<u32> {
    Ok(policy_in_force(store).await?.quote_validity_days)
}

/// Every FX rate the cache knows: USD itself (on the data's day) and the synced policy's rates.
pub async fn fx_rates(store: &Store) -> Result<Vec<FxRate>> {
    let mut rates = vec![FxRate::usd(as_of(store).await?)];
    if let Some(p) = program_policy(store).await? {
        rates.extend(
            p.fx_rates
                .into_iter()
                .filter(|r| r.currency != Currency::USD),
        );
    }
    Ok(rates)
}

/// The rate of `currency`, if the cache knows one.
pub async fn fx_rate(store: &Store, currency: Currency) -> Result<Option<FxRate>> {
    Ok(fx_rates(store)
        .await?
        .into_iter()
        .find(|r| r.currency == currency))
}

/// The signed-in user's name, as the platform knows it (learnt at the first sync).
pub async fn user_name(store: &Store) -> Result<String> {
    Ok(store.get_state(USER).await?.unwrap_or_default())
}

/// The synced catalog, each item with the brands offering it.
pub async fn catalog(store: &Store) -> Result<Vec<CatalogItem>> {
    let rows = sqlx::query!(
        r#"SELECT c.sku, c.name, c.kind, c.price_minor, c.billing,
                  c.early_access AS "early_access: bool",
                  coalesce((SELECT json_group_array(b.brand) FROM catalog_item_brands b
                            WHERE b.sku = c.sku), '[]') AS "brands!: String"
           FROM catalog_items c ORDER BY c.name"#
    )
    .fetch_all(store.pool())
    .await?;
    rows.into_iter()
        .map(|r| {
            let json = serde_json::json!({
                "sku": r.sku,
                "name": r.name,
                "kind": r.kind,
                "list_price": Credits::from_minor(r.price_minor),
                "billing": r.billing,
                "brands": serde_json::from_str::<serde_json::Value>(&r.brands)
                    .map_err(|e| DeskError::Corrupt(e.to_string()))?,
                "early_access": r.early_access,
            });
            serde_json::from_value(json).map_err(|e| DeskError::Corrupt(format!("catalog: {e}")))
        })
        .collect()
}
