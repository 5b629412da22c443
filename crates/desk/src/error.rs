//! Errors of the desktop backend, and their IPC form `{code, message, field?, refusal?}`.

use std::time::Duration;

use program::deals::DealRule;
use program::quotes::QuoteRule;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The closed set of error codes the UI can act on; mirrored in TypeScript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    InvalidInput,
    SchemaTooNew,
    Storage,
    /// The OS keychain could not store or read the sign-in token or the cache's key.
    Keychain,
    /// No OS secret store answered (no Secret Service on a Linux machine without a desktop
    /// session, say): without one, Partner Desk keeps no cache and no token.
    NoSecretStore,
    /// The cache is encrypted, and the secret store no longer holds its key (the keychain was
    /// reset, or the cache came from another machine).
    CacheKeyMissing,
    /// The cache cannot be read: its key does not open it, or the file is damaged.
    CacheUnreadable,
    /// Another process (another Partner Desk, `partner-desk-sync`) has the cache open.
    CacheInUse,
    /// The passphrase typed is not the one chosen for this data (`crate::passphrase`).
    WrongPassphrase,
    /// The central API refused the sign-in token.
    Unauthorized,
    /// The central API could not be reached.
    Offline,
    /// The central API refused a request for another reason.
    Remote,
    /// The address answers, but not as a Partner Desk central API.
    NotCentralApi,
    /// The user chose Deny on the central API's login page.
    SignInDenied,
    /// The browser did not come back in time.
    SignInTimedOut,
    /// The user cancelled the browser sign-in.
    SignInCancelled,
    /// The browser sign-in expired before it finished (or its code was used).
    SignInExpired,
    /// The central API refused the browser sign-in for another reason.
    SignInRefused,
    /// A change breaks one of the program's rules; the rule and its facts come with it.
    Refused,
    /// The desktop could not open a file, or show it in the file manager.
    Desktop,
    Internal,
}

/// An error as it crosses IPC. The UI words it from `code`, `field` and `refusal`; `message` is
/// the backend's own text, for the log and for a detail line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    /// The input at fault, for `invalid_input` (`"value"`, `"customer_id"`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
    /// The rule a change breaks, with its facts, for `refused`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub refusal: Option<Refusal>,
}

/// A rule of the program a change breaks, as the same check on the platform names it: what the
/// change was and the rule with its facts (`{"deal": {"rule": "brand_region", "brand": …}}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    Deal(DealRule),
    Quote(QuoteRule),
}

impl std::fmt::Display for Refusal {
    /// The rule as data, for the log; the UI words it from the data itself.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, rule) = match self {
            Refusal::Deal(rule) => ("deal", serde_json::to_string(rule)),
            Refusal::Quote(rule) => ("quote", serde_json::to_string(rule)),
        };
        write!(f, "the {what} breaks a rule of the program: ")?;
        f.write_str(&rule.map_err(|_| std::fmt::Error)?)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("{field}: {reason}")]
    InvalidInput { field: &'static str, reason: String },
    /// A change breaks a rule of the program; nothing was written.
    #[error("{0}")]
    Refused(Refusal),
    #[error(
        "this cache was written by a newer Partner Desk (schema version {found}); this version \
         knows schema versions up to {known}. Update Partner Desk to open it."
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("the local cache could not be read or written: {0}")]
    Storage(#[from] sqlx::Error),
    #[error("the local cache could not be migrated: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("the data folder could not be used: {0}")]
    Io(#[from] std::io::Error),
    /// The desktop could not open a file, or show it in the file manager.
    #[error("the desktop could not open the file: {0}")]
    Desktop(String),
    #[error("the cache holds a value the program does not allow: {0}")]
    Corrupt(String),
    #[error("the OS keychain failed: {0}")]
    Keychain(String),
    #[error(
        "no OS secret store answered (on Linux: the Secret Service of GNOME Keyring or KWallet); \
         Partner Desk keeps its cache's key and the sign-in token only there: {0}"
    )]
    NoSecretStore(String),
    #[error(
        "the local cache is encrypted, and the OS secret store no longer holds its key \
         (was the keychain reset?)"
    )]
    CacheKeyMissing,
    #[error("the local cache cannot be read (a wrong key, or a damaged file): {0}")]
    CacheUnreadable(String),
    #[error("the local cache {cache} is in use by {holder}; close it first")]
    CacheInUse { cache: String, holder: String },
    #[error("that is not the passphrase chosen for this data")]
    WrongPassphrase,
    #[error(transparent)]
    Api(#[from] crate::api::ApiError),
    #[error(transparent)]
    SignIn(#[from] SignInError),
}

/// Why a browser sign-in did not end signed in (besides the network, see
/// [`crate::api::ApiError`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// The address answers, but not as a central API (no sign-in metadata there).
    #[error("the address does not answer as a Partner Desk central API: {0}")]
    NotCentralApi(String),
    /// The user chose Deny on the login page.
    #[error("the sign-in was denied in the browser")]
    Denied,
    /// The browser never came back.
    #[error("the browser did not come back within {} minutes", .0.as_secs() / 60)]
    TimedOut(Duration),
    /// The user cancelled, or started another sign-in.
    #[error("the sign-in was cancelled")]
    Cancelled,
    /// The code or the sign-in it stands for is no longer valid (it took too long, or was used).
    #[error("the sign-in expired before it finished: {0}")]
    Expired(String),
    /// The central API refused the sign-in for another reason, or the answer did not belong to it.
    #[error("the central API refused the sign-in: {0}")]
    Refused(String),
    /// `finish` without a `begin`.
    #[error("no browser sign-in is under way")]
    NotStarted,
}

impl DeskError {
    pub fn code(&self) -> ErrorCode {
        match self {
            DeskError::NotFound { .. } => ErrorCode::NotFound,
            DeskError::InvalidInput { .. } => ErrorCode::InvalidInput,
            DeskError::Refused(_) => ErrorCode::Refused,
            DeskError::SchemaTooNew { .. } => ErrorCode::SchemaTooNew,
            DeskError::Storage(_) | DeskError::Migrate(_) | DeskError::Io(_) => ErrorCode::Storage,
            DeskError::Corrupt(_) => ErrorCode::Internal,
            DeskError::Desktop(_) => ErrorCode::Desktop,
            DeskError::Keychain(_) => ErrorCode::Keychain,
            DeskError::NoSecretStore(_) => ErrorCode::NoSecretStore,
            DeskError::CacheKeyMissing => ErrorCode::CacheKeyMissing,
            DeskError::CacheUnreadable(_) => ErrorCode::CacheUnreadable,
            DeskError::CacheInUse { .. } => ErrorCode::CacheInUse,
            DeskError::WrongPassphrase => ErrorCode::WrongPassphrase,
            DeskError::Api(crate::api::ApiError::Unauthorized) => ErrorCode::Unauthorized,
            DeskError::Api(e) if e.is_transient() => ErrorCode::Offline,
            DeskError::Api(_) => ErrorCode::Remote,
            DeskError::SignIn(e) => {
                use SignInError as S;
                match e {
                    S::NotCentralApi(_) => ErrorCode::NotCentralApi,
                    S::Denied => ErrorCode::SignInDenied,
                    S::TimedOut(_) => ErrorCode::SignInTimedOut,
                    S::Cancelled | S::NotStarted => ErrorCode::SignInCancelled,
                    S::Expired(_) => ErrorCode::SignInExpired,
                    S::Refused(_) => ErrorCode::SignInRefused,
                }
            }
        }
    }
}

impl From<program::MoneyError> for DeskError {
    /// An amount past what the program counts, met where it would be kept.
    fn from(e: program::MoneyError) -> DeskError {
        DeskError::Corrupt(e.to_string())
    }
}

impl From<&DeskError> for IpcError {
    fn from(e: &DeskError) -> Self {
        IpcError {
            code: e.code(),
            message: e.to_string(),
            field: match e {
                DeskError::InvalidInput { field, .. } => Some((*field).to_string()),
                _ => None,
            },
            refusal: match e {
                DeskError::Refused(r) => Some(r.clone()),
                _ => None,
            },
        }
    }
}

impl From<DeskError> for IpcError {
    fn from(e: DeskError) -> Self {
        IpcError::from(&e)
    }
}

pub type Result<T, E = DeskError> = std::result::Result<T, E>;
