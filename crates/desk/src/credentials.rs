//! The secrets a sign-in leaves: a bearer token, and after a browser sign-in the refresh token
//! that renews it. Their Debug output never shows them; `secrets` keeps them in the OS keychain.

use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;

/// A bearer token. Its Debug never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(token: impl Into<String>) -> Token {
        Token(token.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(…)")
    }
}

/// Tokens from a sign-in. The refresh token (with where to use it) is absent for a token an
/// administrator handed out.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access: Token,
    pub refresh: Option<Renewal>,
}

/// A refresh token and the token endpoint it is redeemed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewal {
    pub token: Token,
    pub token_endpoint: Url,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("renewable", &self.refresh.is_some())
            .finish_non_exhaustive()
    }
}

/// How credentials are kept in the keychain: one JSON entry. A bare token (what 0.2 kept) reads
/// as credentials without renewal.
#[derive(Serialize, Deserialize)]
struct Stored {
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_endpoint: Option<Url>,
}

impl Credentials {
    pub fn token(access: Token) -> Credentials {
        Credentials {
            access,
            refresh: None,
        }
    }

    /// The keychain form.
    pub(crate) fn to_secret(&self) -> String {
        serde_json::to_string(&Stored {
            access_token: self.access.expose().to_string(),
            refresh_token: self.refresh.as_ref().map(|r| r.token.expose().to_string()),
            token_endpoint: self.refresh.as_ref().map(|r| r.token_endpoint.clone()),
        })
        .expect("credentials serialize")
    }

    /// Reads the keychain form, or a bare token.
    pub(crate) fn from_secret(secret: &str) -> Credentials {
        match serde_json::from_str::<Stored>(secret) {
            Ok(stored) => Credentials {
                access: Token::new(stored.access_token),
                refresh: stored.refresh_token.zip(stored.token_endpoint).map(
                    |(token, token_endpoint)| Renewal {
                        token: Token::new(token),
                        token_endpoint,
                    },
                ),
            },
            Err(_) => Credentials::token(Token::new(secret.trim())),
        }
    }
}
