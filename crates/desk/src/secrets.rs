//! The sign-in credentials (an access token, and a refresh token after a browser sign-in) in the
//! OS keychain (the keyring crate), and nowhere else.
//!
//! On Linux the store is the kernel's key retention service (keyutils: the session keyring,
//! linked to the user's persistent keyring so a token outlives the login session until reboot
//! or the keyring's expiry), which needs no desktop daemon; on macOS and Windows the platform
//! keychain. The token never reaches SQLite, the logs
//! or the UI.

use crate::credentials::Credentials;
use crate::error::{DeskError, Result};

/// The keychain service name Partner Desk stores its tokens under.
pub const SERVICE: &str = "app.partnerdesk.desktop";

fn entry(account: &str) -> Result<keyring::Entry> {
    #[cfg(target_os = "linux")]
    {
        // A process started outside a login session (a service, a test runner) may have no
        // session keyring of its own, and keyutils then refuses the first key it is given.
        // Joining one first (a no-op inside a desktop session) makes every call behave alike.
        static SESSION: std::sync::Once = std::sync::Once::new();
        SESSION.call_once(|| {
            use linux_keyutils::{KeyRing, KeyRingIdentifier};
            if let Err(e) = KeyRing::from_special_id(KeyRingIdentifier::Session, true) {
                tracing::warn!(error = ?e, "no session keyring");
            }
        });
    }
    keyring::Entry::new(SERVICE, account).map_err(keychain)
}

fn keychain(e: keyring::Error) -> DeskError {
    DeskError::Keychain(e.to_string())
}

type Job = Box<dyn FnOnce() + Send>;

/// The one thread every keychain call runs on. On Linux a session keyring belongs to the thread
/// that joined it: calls spread over tokio's blocking pool could store a token in one keyring and
/// look for it in another (seen as a token read back as missing right after it was stored).
static KEYCHAIN: std::sync::LazyLock<std::sync::Mutex<std::sync::mpsc::Sender<Job>>> =
    std::sync::LazyLock::new(|| {
        let (jobs, inbox) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("keychain".into())
            .spawn(move || {
                for job in inbox {
                    job();
                }
            })
            .expect("the keychain thread starts");
        std::sync::Mutex::new(jobs)
    });

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = done.send(f());
    });
    KEYCHAIN
        .lock()
        .map_err(|_| DeskError::Keychain("the keychain thread stopped".into()))?
        .send(job)
        .map_err(|_| DeskError::Keychain("the keychain thread stopped".into()))?;
    result
        .await
        .map_err(|_| DeskError::Keychain("the keychain call did not finish".into()))?
}

/// Stores `credentials` for `account` (the API base URL and user), replacing any earlier ones.
pub async fn store_credentials(account: &str, credentials: &Credentials) -> Result<()> {
    let (account, token) = (account.to_string(), credentials.to_secret());
    blocking(move || {
        // keyutils can refuse a key with "no entry" while the process's session keyring is
        // being set up (seen under CI, rarely); a fresh entry then succeeds.
        let mut attempt = 0;
        loop {
            match entry(&account)?.set_password(&token) {
                Err(keyring::Error::NoEntry) if attempt < 3 => {
                    attempt += 1;
                    tracing::debug!(attempt, "keychain refused the token; trying again");
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => return other.map_err(keychain),
            }
        }
    })
    .await
}

/// The credentials stored for `account`, if any (a bare token, as 0.2 stored it, reads as
/// credentials without a refresh token).
pub async fn load_credentials(account: &str) -> Result<Option<Credentials>> {
    let account = account.to_string();
    blocking(move || match entry(&account)?.get_password() {
        Ok(t) => Ok(Some(Credentials::from_secret(&t))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(keychain(e)),
    })
    .await
}

/// Forgets the credentials of `account`; forgetting what is not there is fine.
pub async fn delete_credentials(account: &str) -> Result<()> {
    let account = account.to_string();
    blocking(move || match entry(&account)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(keychain(e)),
    })
    .await
}
