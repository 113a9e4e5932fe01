//! One engine per database, for now: an engine holds [`EngineLock`] while it runs. On a
//! SQLite file it is an exclusive lock on `<file>.engine-lock` (the operating system drops it
//! when the process dies, `kill -9` included); on PostgreSQL a session advisory lock on a
//! connection of its own (dropped with the connection). A second engine refuses to start with
//! a clear error. Engines sharing one PostgreSQL database through per-customer leases replace
//! the PostgreSQL side of this (issue 6).

use std::fs::{File, OpenOptions, TryLockError};

use super::{Backend, Store, StoreError};

/// The advisory lock key: "autoposter engine".
const PG_LOCK_KEY: i64 = 0x6175_746f_706f_7374;

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
    Postgres(sqlx::AnyConnection),
}

impl std::fmt::Debug for EngineLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EngineLock")
    }
}

impl EngineLock {
    /// Whether the lock is still held: on PostgreSQL its connection must still answer (a
    /// session lock lives exactly as long as its connection).
    pub async fn check(&mut self) -> Result<(), StoreError> {
        let _hold = super::hold_clock();
        if let Held::Postgres(conn) = &mut self._held {
            sqlx::query_scalar::<_, i64>("SELECT 1")
                .fetch_one(conn)
                .await?;
        }
        Ok(())
    }

    /// Resolves when the lock is found lost (checked every `every`; a check that takes longer
    /// than half of that counts as lost: a half-open connection never answers). Borrowed, so
    /// that the lock stays held until its owner drops it.
    pub async fn lost(&mut self, every: std::time::Duration) -> StoreError {
        loop {
            tokio::time::sleep(every).await;
            match tokio::time::timeout(every / 2, self.check()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return e,
                Err(_) => {
                    return StoreError::Invalid("the lock's connection stopped answering".into())
                }
            }
        }
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
                    .map_err(|e| StoreError::Invalid(format!("{lock_path}: {e}")))?;
                match file.try_lock() {
                    Ok(()) => Held::File(file),
                    Err(TryLockError::WouldBlock) => {
                        return Err(StoreError::EngineRunning(path.display().to_string()))
                    }
                    Err(TryLockError::Error(e)) => {
                        return Err(StoreError::Invalid(format!("{lock_path}: {e}")))
                    }
                }
            }
            (Backend::Postgres, _) => {
                let mut conn = self.pool.acquire().await?.detach();
                let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(PG_LOCK_KEY)
                    .fetch_one(&mut conn)
                    .await?;
                if !locked {
                    return Err(StoreError::EngineRunning("PostgreSQL".into()));
                }
                Held::Postgres(conn)
            }
        };
        Ok(EngineLock { _held: held })
    }
}
