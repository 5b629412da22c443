//! A passphrase, where no OS secret store answers (a Linux machine without GNOME Keyring or
//! KWallet, say). The user types it at every start; Argon2id stretches it into the key of the
//! cache and of the demo world. Nothing secret is written: beside the cache, `partner-desk.
//! passphrase` holds the salt, the cost and a check value (the second half of Argon2id's output,
//! the key being the first), so a mistyped passphrase is told apart from a damaged cache and never
//! sets a cache aside. The sign-in token is then kept in this process's memory only: the user
//! signs in again at each start. There is no fallback to keeping a secret in clear.

use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::error::{DeskError, Result};
use crate::secrets::{self, DatabaseKey};

/// The file beside the cache: how the key is derived from the passphrase, and its check value.
pub const PASSPHRASE_FILE: &str = "partner-desk.passphrase";

/// The shortest passphrase accepted.
pub const MIN_CHARS: usize = 12;

/// Argon2id's cost: 64 MiB, three passes, one lane (about half a second on a 2-core laptop, once
/// per start).
const MEMORY_KIB: u32 = 64 * 1024;
const PASSES: u32 = 3;
const LANES: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Derivation {
    kdf: String,
    memory_kib: u32,
    passes: u32,
    lanes: u32,
    salt: String,
    check: String,
}

/// Whether a passphrase was chosen for the data folder `data_dir` (else the next one typed is
/// the new one).
pub fn is_set(data_dir: &Path) -> bool {
    data_dir.join(PASSPHRASE_FILE).exists()
}

/// Derives the data folder's key from `passphrase`: checked against the one chosen before, or, at
/// the first use, chosen. From then on this process keeps its secrets in memory under that key
/// (`secrets::use_passphrase`). A wrong passphrase is [`DeskError::WrongPassphrase`], and nothing
/// is touched.
pub async fn unlock(data_dir: &Path, passphrase: &str) -> Result<()> {
    let file = data_dir.join(PASSPHRASE_FILE);
    let existing =
        match std::fs::read_to_string(&file) {
            Ok(text) => Some(serde_json::from_str::<Derivation>(&text).map_err(|e| {
                DeskError::Corrupt(format!("{PASSPHRASE_FILE} cannot be read: {e}"))
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e.into()),
        };
    let passphrase = passphrase.to_string();
    let key = match existing {
        Some(derivation) => {
            let (key, check) = tokio::task::spawn_blocking(move || {
                derive(
                    &passphrase,
                    &BASE64.decode(&derivation.salt).map_err(|e| {
                        DeskError::Corrupt(format!("{PASSPHRASE_FILE}: the salt: {e}"))
                    })?,
                    derivation.memory_kib,
                    derivation.passes,
                    derivation.lanes,
                )
                .map(|(key, check)| (key, check == derivation.check))
            })
            .await
            .map_err(|e| DeskError::Corrupt(e.to_string()))??;
            if !check {
                return Err(DeskError::WrongPassphrase);
            }
            key
        }
        None => {
            if passphrase.chars().count() < MIN_CHARS {
                return Err(DeskError::InvalidInput {
                    field: "passphrase",
                    reason: format!("must be at least {MIN_CHARS} characters"),
                });
            }
            let mut salt = [0u8; 16];
            rand::rngs::OsRng.fill_bytes(&mut salt);
            let (key, check) = tokio::task::spawn_blocking(move || {
                derive(&passphrase, &salt, MEMORY_KIB, PASSES, LANES)
            })
            .await
            .map_err(|e| DeskError::Corrupt(e.to_string()))??;
            let derivation = Derivation {
                kdf: "argon2id".into(),
                memory_kib: MEMORY_KIB,
                passes: PASSES,
                lanes: LANES,
                salt: BASE64.encode(salt),
                check,
            };
            std::fs::create_dir_all(data_dir)?;
            let mut written = tempfile::NamedTempFile::new_in(data_dir)?;
            serde_json::to_writer_pretty(&mut written, &derivation)
                .map_err(|e| DeskError::Corrupt(e.to_string()))?;
            written.as_file().sync_all()?;
            written.persist(&file).map_err(|e| e.error)?;
            tracing::info!("chose a passphrase for this data folder");
            key
        }
    };
    secrets::use_passphrase(key);
    Ok(())
}

/// Argon2id over `passphrase`: 64 bytes, the key and the check value (base64).
fn derive(
    passphrase: &str,
    salt: &[u8],
    memory_kib: u32,
    passes: u32,
    lanes: u32,
) -> Result<(DatabaseKey, String)> {
    let params = Params::new(memory_kib, passes, lanes, Some(64))
        .map_err(|e| DeskError::Corrupt(format!("{PASSPHRASE_FILE}: {e}")))?;
    let mut out = [0u8; 64];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, &mut out)
        .map_err(|e| DeskError::Corrupt(format!("{PASSPHRASE_FILE}: {e}")))?;
    let mut key = [0u8; 32];
    key.copy_from_slice(&out[..32]);
    Ok((DatabaseKey::from_bytes(key), BASE64.encode(&out[32..])))
}
