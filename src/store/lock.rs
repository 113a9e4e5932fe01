//! One engine per SQLite database: an engine holds [`EngineLock`] while it runs, an exclusive
//! lock on `<file>.engine-lock` (the operating system drops it when the process dies, `kill -9`
//! included); a second engine refuses to start with a clear error. On PostgreSQL the engines
//! share the database through per-customer leases ([`super::lease`]) and the lock holds
//! nothing.

use std::fs::{File, OpenOptions, TryLockError};

use super::{Backend, Store, StoreError};

/// Held while this process runs the engine on the database; released when dropped.
pub struct EngineLock {
    _held: Held,
}

// Held for what dropping it does (and checked).
#[allow(dead_code)]
enum Held {
    /// A private in-memory database: nobody else can reach it.
    Memory,
    File(File),
    /// PostgreSQL: engines share it through leases.
    Shared,
}

impl std::fmt::Debug for EngineLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EngineLock")
    }
}

impl Store {
    /// Takes the database's engine lock, or says that another engine holds it.
    pub async fn lock_engine(&self) -> Result<EngineLock, StoreError> {
        let held = match (self.backend, &self.sqlite_file) {
            (Backend::Sqlite, None) => Held::Memory,
            (Backend::Sqlite, Some(path)) => {
                let lock_path = format!("{}.engine-lock", path.display());
                let file = OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&lock_path)
                    .map_err(|cause| StoreError::File {
                        what: "cannot open the engine lock",
                        path: lock_path.clone(),
                        cause,
                    })?;
                match file.try_lock() {
                    Ok(()) => Held::File(file),
                    Err(TryLockError::WouldBlock) => {
                        return Err(StoreError::EngineRunning(path.display().to_string()))
                    }
                    Err(TryLockError::Error(e)) => {
                        return Err(StoreError::File {
                            what: "cannot lock the engine lock",
                            path: lock_path,
                            cause: e,
                        })
                    }
                }
            }
            (Backend::Postgres, _) => Held::Shared,
        };
        Ok(EngineLock { _held: held })
    }
}
