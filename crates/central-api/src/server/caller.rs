//! Who is behind a request: the user a bearer token stands for, and their scope. The store finds
//! them (`Store::caller`); `auth` turns a request's header into one.

use program::contract::{PartnerId, Role};

/// The signed-in user behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user: String,
    pub role: Role,
    /// The scope of every read and write.
    pub partners: Vec<PartnerId>,
    /// Who the caller is to idempotency keys and decided mutations: a signed-in user's login, or
    /// an administrator's token's user, role and scope together (see `store::tokens`).
    pub(crate) principal: String,
    /// When the token stops working, if it does.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The SHA-256 of the token, standing for the client session (never the token itself).
    pub(crate) token_hash: String,
}

impl Caller {
    pub fn may_see(&self, partner: PartnerId) -> bool {
        self.partners.contains(&partner)
    }
}
