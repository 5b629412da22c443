//! Errors of the desktop backend, and their IPC form `{code, message}`.

use std::time::Duration;

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
    /// The OS keychain could not store or read the sign-in token.
    Keychain,
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
    Internal,
}

/// An error as it crosses IPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("{field}: {reason}")]
    InvalidInput { field: &'static str, reason: String },
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
    #[error("the cache holds a value the program does not allow: {0}")]
    Corrupt(String),
    #[error("the OS keychain failed: {0}")]
    Keychain(String),
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
            DeskError::SchemaTooNew { .. } => ErrorCode::SchemaTooNew,
            DeskError::Storage(_) | DeskError::Migrate(_) | DeskError::Io(_) => ErrorCode::Storage,
            DeskError::Corrupt(_) => ErrorCode::Internal,
            DeskError::Keychain(_) => ErrorCode::Keychain,
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

impl From<&DeskError> for IpcError {
    fn from(e: &DeskError) -> Self {
        IpcError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl From<DeskError> for IpcError {
    fn from(e: DeskError) -> Self {
        IpcError::from(&e)
    }
}

pub type Result<T, E = DeskError> = std::result::Result<T, E>;
