//! What Partner Desk keeps in the OS secret store (the keyring crate), and nowhere else: the
//! sign-in credentials (an access token, and a refresh token after a browser sign-in) and the
//! key of each encrypted database.
//!
//! On Linux the store is the Secret Service (GNOME Keyring, KWallet), which keeps its items on
//! disk, encrypted with the user's login: a reboot signs no one out and loses no cache. On macOS
//! the Keychain, on Windows the Credential Manager. Without one (a machine with no desktop
//! session, say) the app says so and offers a passphrase (`crate::passphrase`): the databases'
//! key is then derived from it at each start, and the token kept in memory for the session. It
//! never falls back to keeping a secret in clear. No secret reaches SQLite, the logs or the UI.

use std::path::Path;

use rand::RngCore;

use crate::credentials::Credentials;
use crate::error::{DeskError, Result};

/// The secret-store service name Partner Desk stores its secrets under.
pub const SERVICE: &str = "app.partnerdesk.desktop";

fn entry(account: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, account).map_err(keychain)
}

fn keychain(e: keyring::Error) -> DeskError {
    match e {
        keyring::Error::NoStorageAccess(_) | keyring::Error::PlatformFailure(_) => {
            DeskError::NoSecretStore(e.to_string())
        }
        e => DeskError::Keychain(e.to_string()),
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// The one thread every secret-store call runs on: calls are few and short, and one thread keeps
/// them in order (a key stored is there for the next lookup) and off tokio's workers.
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

/// Whether a secret-store error is the store going away mid-call (GNOME Keyring restarting after
/// a crash: the reply never comes, the name has no owner for a moment, or the new daemon has not
/// unlocked its keyring yet), worth asking again. A store that is not there at all answers the
/// same as the name without an owner, so its clear error comes after the last try.
fn store_restarting(e: &DeskError) -> bool {
    const SIGNS: [&str; 5] = [
        "disconnected",
        "NoReply",
        "locked collection",
        "ServiceUnknown",
        "not provided by any .service files",
    ];
    matches!(e, DeskError::NoSecretStore(m) if SIGNS
            .iter()
            .any(|sign| m.contains(sign)))
}

/// Runs `f` on the keychain thread; a call the store dropped while restarting is tried again, up
/// to 5 times over about 3 s.
async fn blocking<T: Send + 'static>(f: impl Fn() -> Result<T> + Send + 'static) -> Result<T> {
    let (done, result) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let mut outcome = f();
        for attempt in 1..=5u64 {
            match &outcome {
                Err(e) if store_restarting(e) => {
                    tracing::warn!(attempt, "the secret store dropped a call; asking again");
                    std::thread::sleep(std::time::Duration::from_millis(200 * attempt));
                    outcome = f();
                }
                _ => break,
            }
        }
        let _ = done.send(outcome);
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

/// Where no secret store answers and the user typed a passphrase: the key derived from it, for
/// every database, and the tokens of this session.
struct InMemory {
    key: DatabaseKey,
    tokens: std::collections::HashMap<String, String>,
}

static IN_MEMORY: std::sync::RwLock<Option<InMemory>> = std::sync::RwLock::new(None);

/// From now on this process keeps its secrets in memory: `key` opens every database, and tokens
/// last as long as the process (`crate::passphrase::unlock`).
pub(crate) fn use_passphrase(key: DatabaseKey) {
    *IN_MEMORY
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(InMemory {
        key,
        tokens: std::collections::HashMap::new(),
    });
    tracing::info!("keeping secrets in memory, under the passphrase's key");
}

/// The passphrase's key, when secrets are kept in memory.
fn passphrase_key() -> Option<DatabaseKey> {
    IN_MEMORY
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_ref()
        .map(|m| m.key.clone())
}

/// Runs `f` on the in-memory secrets, if they are in use.
fn in_memory<T>(f: impl FnOnce(&mut InMemory) -> T) -> Option<T> {
    IN_MEMORY
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_mut()
        .map(f)
}

fn get(account: &str) -> Result<Option<String>> {
    if let Some(token) = in_memory(|m| m.tokens.get(account).cloned()) {
        return Ok(token);
    }
    match entry(account)?.get_password() {
        Ok(secret) => Ok(Some(secret)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(keychain(e)),
    }
}

fn set(account: &str, secret: &str) -> Result<()> {
    if in_memory(|m| m.tokens.insert(account.into(), secret.into())).is_some() {
        return Ok(());
    }
    entry(account)?.set_password(secret).map_err(keychain)
}

fn delete(account: &str) -> Result<()> {
    if in_memory(|m| m.tokens.remove(account)).is_some() {
        return Ok(());
    }
    match entry(account)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(keychain(e)),
    }
}

/// Stores `credentials` for `account` (the API base URL and user), replacing any earlier ones.
pub async fn store_credentials(account: &str, credentials: &Credentials) -> Result<()> {
    let (account, token) = (account.to_string(), credentials.to_secret());
    blocking(move || set(&account, &token)).await
}

/// The credentials stored for `account`, if any (a bare token, as 0.2 stored it, reads as
/// credentials without a refresh token). A token an earlier version kept in the kernel's
/// keyutils store (emptied by every reboot) moves to the secret store on the way.
pub async fn load_credentials(account: &str) -> Result<Option<Credentials>> {
    let account = account.to_string();
    blocking(move || {
        let secret = match get(&account)? {
            Some(secret) => Some(secret),
            None => move_from_keyutils(&account)?,
        };
        Ok(secret.map(|t| Credentials::from_secret(&t)))
    })
    .await
}

/// Takes the token an earlier Partner Desk kept in keyutils, if the session still has it, into
/// the secret store.
#[cfg(target_os = "linux")]
fn move_from_keyutils(account: &str) -> Result<Option<String>> {
    use keyring::credential::CredentialApi;
    if passphrase_key().is_some() {
        return Ok(None);
    }
    let Ok(old) = keyring::keyutils::KeyutilsCredential::new_with_target(None, SERVICE, account)
    else {
        return Ok(None);
    };
    let Ok(secret) = old.get_password() else {
        return Ok(None);
    };
    set(account, &secret)?;
    let _ = old.delete_credential();
    tracing::info!("moved the sign-in token from keyutils to the secret store");
    Ok(Some(secret))
}

#[cfg(not(target_os = "linux"))]
fn move_from_keyutils(_account: &str) -> Result<Option<String>> {
    Ok(None)
}

/// Forgets the credentials of `account`; forgetting what is not there is fine.
pub async fn delete_credentials(account: &str) -> Result<()> {
    let account = account.to_string();
    blocking(move || delete(&account)).await
}

/// The key of an encrypted database: 256 random bits, handed to SQLCipher as a raw key (no
/// passphrase derivation on every open). Its Debug never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseKey([u8; 32]);

impl DatabaseKey {
    /// A new random key, from the OS's generator.
    pub fn random() -> DatabaseKey {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        DatabaseKey(key)
    }

    pub(crate) fn from_bytes(key: [u8; 32]) -> DatabaseKey {
        DatabaseKey(key)
    }

    fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn from_hex(hex: &str) -> Option<DatabaseKey> {
        let hex = hex.trim();
        if hex.len() != 64 || !hex.is_ascii() {
            return None;
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(DatabaseKey(key))
    }

    /// The value of SQLCipher's `PRAGMA key` (and of `ATTACH … KEY`): a raw key, quoted.
    pub fn pragma(&self) -> String {
        format!("\"x'{}'\"", self.to_hex())
    }
}

impl std::fmt::Debug for DatabaseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseKey(…)")
    }
}

/// The secret-store account of the database at `path`: one key per file.
fn key_account(path: &Path) -> String {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    format!("database-key:{}", path.display())
}

/// The key of the database at `path`, if the secret store holds one.
pub async fn database_key(path: &Path) -> Result<Option<DatabaseKey>> {
    if let Some(key) = passphrase_key() {
        return Ok(Some(key));
    }
    let account = key_account(path);
    blocking(move || match get(&account)? {
        Some(hex) => DatabaseKey::from_hex(&hex)
            .map(Some)
            .ok_or_else(|| DeskError::Keychain("the stored database key is not a key".into())),
        None => Ok(None),
    })
    .await
}

/// Makes a new key for the database at `path` and keeps it in the secret store (replacing any
/// earlier one) before anything is written with it.
pub async fn new_database_key(path: &Path) -> Result<DatabaseKey> {
    if let Some(key) = passphrase_key() {
        return Ok(key);
    }
    let (account, key) = (key_account(path), DatabaseKey::random());
    let hex = key.to_hex();
    blocking(move || set(&account, &hex)).await?;
    Ok(key)
}

/// Keeps `key` as the key of the database at `path` (a damaged cache moved aside keeps its key
/// under its new name).
pub async fn set_database_key(path: &Path, key: &DatabaseKey) -> Result<()> {
    if passphrase_key().is_some() {
        return Ok(());
    }
    let (account, hex) = (key_account(path), key.to_hex());
    blocking(move || set(&account, &hex)).await
}

/// Forgets the key of the database at `path`; forgetting what is not there is fine.
pub async fn delete_database_key(path: &Path) -> Result<()> {
    if passphrase_key().is_some() {
        return Ok(());
    }
    let account = key_account(path);
    blocking(move || delete(&account)).await
}
