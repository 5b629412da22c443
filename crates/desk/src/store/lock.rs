//! One process per cache: whoever opens a cache holds an exclusive lock on `partner-desk.lock`
//! beside it, for as long as it has the cache open, and writes there which process it is. Another
//! process (a second window, `partner-desk-sync`, `partner-desk-qbr`) is refused, told which
//! process holds it. Within one process the lock is shared: the app closes and reopens its cache
//! on sign-out, and tests open one cache several times.

use std::collections::HashMap;
use std::fs::{File, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

use crate::error::{DeskError, Result};

/// The lock file of a cache: beside it, named after it.
pub fn lock_path(cache: &Path) -> PathBuf {
    crate::store::cipher::sibling(cache, ".lock")
}

/// The lock this process holds on a cache; released when the last handle goes.
#[derive(Debug)]
pub struct CacheLock {
    _file: File,
}

/// The locks this process holds, by lock file.
static HELD: Mutex<Option<HashMap<PathBuf, Weak<CacheLock>>>> = Mutex::new(None);

/// Takes the lock of the cache at `cache` for this process (or shares the one it holds).
pub fn acquire(cache: &Path) -> Result<Arc<CacheLock>> {
    let path = lock_path(cache);
    let mut held = HELD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let held = held.get_or_insert_with(HashMap::new);
    if let Some(lock) = held.get(&path).and_then(Weak::upgrade) {
        return Ok(lock);
    }
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = match holder.trim() {
                "" => "another process".to_string(),
                holder => holder.to_string(),
            };
            return Err(DeskError::CacheInUse {
                cache: cache.display().to_string(),
                holder,
            });
        }
        Err(TryLockError::Error(e)) => return Err(e.into()),
    }
    let program = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "Partner Desk".into());
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "{program} (process {})", std::process::id())?;
    file.flush()?;
    let lock = Arc::new(CacheLock { _file: file });
    held.insert(path, Arc::downgrade(&lock));
    Ok(lock)
}
