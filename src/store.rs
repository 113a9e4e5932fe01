//! All SQL: customers, plans, accounts, groups, settings, cycles and the post log, on SQLite
//! (a file by default, or in memory) or PostgreSQL, through one `sqlx::AnyPool`. Migrations
//! for both dialects are embedded and run at connect. Times are unix milliseconds.
//!
//! The post log is written by [`postlog::PostLog`], a background writer that batches rows so
//! that recording a post never waits for the database.

mod admin;
mod broadcast;
mod customer;
mod lease;
mod lock;
mod media;
mod pool;
pub mod postlog;
mod running;
mod snapshot;

pub use admin::{CustomerSummary, FleetStats, NewPayment, PaymentRecorded, CHECKOUT_VALID_MS};
pub use broadcast::{Broadcast, BroadcastSource, BroadcastTally, RecipientState};
pub use customer::{AccountStatus, CustomerRow, GroupStatus, LastCycle, PairBlock, Timing};
pub use lease::{Lease, TermedPost};
pub use lock::EngineLock;
pub use media::{MediaFile, NewMedia};
pub use postlog::{LogEntry, PostRow};
pub use running::Interrupted;
pub use snapshot::{Restrictions, Snapshot};

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Executor, FromRow};

use crate::schedule::{InputError, Mode, Plan, Settings};
pub use crate::time::unix_ms_now;

/// Which database is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A store failure. Connection strings never appear in it (they may carry a password).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL (expected sqlite:… or postgres://…)")]
    UnsupportedUrl,
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored setting (a delay, the cycle length) fails validation.
    #[error("stored setting is invalid: {0}")]
    Setting(#[from] InputError),
    /// A stored plan name that no build of ours writes.
    #[error("unknown stored plan {0:?}")]
    UnknownPlan(String),
    /// A JSON value the store reads (a snapshot list, a cycle report) does not parse.
    #[error("stored {what} is not valid JSON: {cause}")]
    Json {
        what: &'static str,
        cause: serde_json::Error,
    },
    /// The layout stored with an interrupted cycle cannot be resumed.
    #[error("the stored plan of cycle {seq} is invalid{}", .cause.as_ref().map(|e| format!(": {e}")).unwrap_or_default())]
    CyclePlan {
        seq: i64,
        cause: Option<serde_json::Error>,
    },
    /// The customer was never started, so no random id of its posts is fixed yet.
    #[error("customer {0} has no post key")]
    NoPostKey(i64),
    /// A stored broadcast whose source is neither a copied message nor a text.
    #[error("stored broadcast {0} has an invalid source")]
    BroadcastSource(i64),
    /// A local resource beside the database (the simulated ledger, the fake Bot API) failed.
    #[error("{what}: {cause}")]
    Io {
        what: &'static str,
        cause: std::io::Error,
    },
    #[error("no such customer: {0}")]
    NoCustomer(i64),
    #[error("already there")]
    Duplicate,
    #[error("another engine is running on this SQLite database ({0}): one engine per SQLite file (engines share a PostgreSQL database through leases)")]
    EngineRunning(String),
    #[error("stored value is invalid: {0}")]
    UnknownStatus(#[from] UnknownStatus),
    /// A post's content refused for its form (no file, too many items, …): nothing stored.
    #[error("content refused: {0}")]
    Content(#[from] crate::schedule::content::ContentRefusal),
    /// A stored post item whose kind or hash no build of ours writes.
    #[error("stored post item is invalid: {0}")]
    PostItem(String),
    /// The SQLite file could not be created or made private to its owner.
    #[error("{what} {path}: {cause}")]
    File {
        what: &'static str,
        path: String,
        cause: std::io::Error,
    },
}

/// The database handle. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: pool::Pool,
    backend: Backend,
    /// The SQLite file, when there is one (not for an in-memory database).
    sqlite_file: Option<std::path::PathBuf>,
}

/// Shows the backend only: the pool's options hold the connection URL, which may carry a
/// password.
impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

static MIGRATE_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static MIGRATE_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// A customer's plan as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanGrant {
    pub plan: Plan,
    /// Unix ms; `None` for no expiry.
    pub expires_at: Option<i64>,
}

/// An account as the engine sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub label: String,
    pub status: AccountStatus,
    /// Why it is paused or quarantined.
    pub reason: Option<String>,
}

/// A group as the engine sees it, in posting order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub id: i64,
    pub reference: String,
    pub position: i64,
    pub status: GroupStatus,
    /// Why it is paused.
    pub reason: Option<String>,
    /// The forum topic posts go into (its top message id); `None`: the main chat.
    pub topic: Option<i32>,
}

/// A lasting consequence of an outcome, recorded by the post-log writer in order with the post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Restriction {
    /// FLOOD_WAIT: the account posts nowhere before `until_at` (unix ms).
    AccountWait {
        account_id: i64,
        until_at: i64,
        reason: String,
    },
    /// SLOWMODE_WAIT: the account posts in the group not before `until_at`.
    PairWait {
        account_id: i64,
        group_id: i64,
        until_at: i64,
    },
    /// The group refused the account: paused for it until the customer resumes the group.
    PairBlock {
        account_id: i64,
        group_id: i64,
        /// The refusal's outcome name (`write_forbidden`, `payment_required`, …).
        reason: String,
        at: i64,
        /// The Stars per message the group asked for (`payment_required`), for the notice.
        stars: Option<i64>,
    },
    /// Telegram stopped the account (PEER_FLOOD, revoked, deactivated): quarantined.
    Quarantine { account_id: i64, reason: String },
}

/// A customer ready to post, for [`Store::create_customers`].
#[derive(Clone, Debug)]
pub struct NewCustomer {
    pub id: i64,
    pub plan: PlanGrant,
    pub settings: Settings,
    pub message_html: String,
    /// Account labels, in session order.
    pub accounts: Vec<String>,
    /// Group references, in posting order.
    pub groups: Vec<String>,
}

/// A cycle as recorded.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct CycleRow {
    pub id: i64,
    pub customer_id: i64,
    pub seq: i64,
    pub mode: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    #[sqlx(try_from = "String")]
    pub status: CycleStatus,
    pub planned: i64,
    pub sent: i64,
    pub failed: i64,
    pub skipped: i64,
}

/// A cycle's state as stored (`cycles.status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CycleStatus {
    /// Started and not finished: in progress, or left open by an engine that stopped (it is
    /// resumed, or closed by a fresh start).
    Running,
    /// Every session finished.
    Done,
    /// Cut short: a stop, the plan's expiry, or closed without being resumed.
    Stopped,
}

impl CycleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CycleStatus::Running => "running",
            CycleStatus::Done => "done",
            CycleStatus::Stopped => "stopped",
        }
    }

    pub fn parse(s: &str) -> Option<CycleStatus> {
        match s {
            "running" => Some(CycleStatus::Running),
            "done" => Some(CycleStatus::Done),
            "stopped" => Some(CycleStatus::Stopped),
            _ => None,
        }
    }
}

/// A stored status name that no build of ours writes.
#[derive(Debug, thiserror::Error)]
#[error("unknown stored status {0:?}")]
pub struct UnknownStatus(pub String);

impl TryFrom<String> for CycleStatus {
    type Error = UnknownStatus;
    fn try_from(s: String) -> Result<CycleStatus, UnknownStatus> {
        CycleStatus::parse(&s).ok_or(UnknownStatus(s))
    }
}

/// How a cycle ended, with its tallies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CycleTally {
    pub sent: i64,
    pub failed: i64,
    pub skipped: i64,
}

/// A cycle as it starts: the row is written by the post-log writer, in order with its posts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CycleStart {
    pub customer_id: i64,
    pub seq: i64,
    pub mode: Mode,
    /// Unix ms.
    pub started_at: i64,
    pub planned: i64,
    /// The cycle's layout (the engine's JSON), kept so that an interrupted cycle resumes.
    pub plan: Option<String>,
}

/// How one group fared in one cycle, across all of the customer's accounts.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GroupTally {
    pub group_id: i64,
    pub sent: i64,
    pub failed: i64,
    pub skipped: i64,
    /// The last failure or skip reason (an outcome name such as `flood_wait`).
    pub last_error: Option<String>,
}

/// How a cycle ended: `done` when every session finished, `stopped` otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CycleEnd {
    pub customer_id: i64,
    pub seq: i64,
    /// Unix ms.
    pub ended_at: i64,
    pub completed: bool,
    pub tally: CycleTally,
    /// Per group, in posting order.
    pub groups: Vec<GroupTally>,
}

/// The lease term an engine writes under: the write is refused (dropped) when the customer's
/// current term is another one, i.e. another engine took the customer over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fence {
    pub customer_id: i64,
    pub term: i64,
}

impl Store {
    /// Connects to `sqlite:PATH` (created if missing), `sqlite::memory:` or `postgres://…`, and
    /// runs the migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        // Before there is a pool to hold the clock (store::pool), connecting and migrating
        // hold it here.
        let _hold = crate::time::hold();
        sqlx::any::install_default_drivers();
        let (backend, url) = match url {
            u if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                (Backend::Postgres, u.to_string())
            }
            "sqlite::memory:" | "sqlite://:memory:" => (Backend::Sqlite, memory_url()),
            u if u.starts_with("sqlite:") => (Backend::Sqlite, with_create_mode(u)),
            _ => return Err(StoreError::UnsupportedUrl),
        };
        if backend == Backend::Sqlite && !url.contains("mode=memory") {
            if let Some(path) = sqlite_file_of(&url).filter(|p| !p.starts_with("file:")) {
                private_sqlite_files(&path, url.contains("mode=rwc"))?;
            }
        }
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    // A cycle start, the post-log writer and the caller may each hold one.
                    .max_connections(4)
                    .min_connections(1)
                    // No timers from the pool: the engine's tests run on tokio's paused clock,
                    // and a shared in-memory database lives only while a connection is open.
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .test_before_acquire(false)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // A 512 KiB page cache per connection (SQLite's default is
                            // 2 MiB): the post log is appended to, and the rows read at a
                            // cycle start are few, so a larger cache only holds memory.
                            conn.execute(
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; \
                                 PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON; \
                                 PRAGMA cache_size=-512;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect_with(options)
                    .await?
            }
        };
        let migrator = match backend {
            Backend::Sqlite => &MIGRATE_SQLITE,
            Backend::Postgres => &MIGRATE_POSTGRES,
        };
        migrator.run(&pool).await?;
        let sqlite_file = match backend {
            Backend::Sqlite if !url.contains("mode=memory") => sqlite_file_of(&url),
            _ => None,
        };
        Ok(Store {
            pool: pool::Pool::new(pool),
            backend,
            sqlite_file,
        })
    }

    /// A fresh private in-memory SQLite database.
    pub async fn memory() -> Result<Store, StoreError> {
        Store::connect("sqlite::memory:").await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool, waiting for open connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Creates the customer if new and says whether it was; keeps an existing customer's data.
    pub async fn ensure_customer(
        &self,
        id: i64,
        language: Option<&str>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO customers (id, language, running, created_at) VALUES ($1, $2, 0, $3) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(language.map(str::to_string))
        .bind(unix_ms_now())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Grants or replaces the customer's plan.
    pub async fn set_plan(&self, customer_id: i64, grant: PlanGrant) -> Result<(), StoreError> {
        self.require_customer(customer_id).await?;
        sqlx::query(
            "INSERT INTO plans (customer_id, plan, expires_at, granted_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (customer_id) DO UPDATE SET plan = excluded.plan, \
             expires_at = excluded.expires_at, granted_at = excluded.granted_at",
        )
        .bind(customer_id)
        .bind(grant.plan.as_str())
        .bind(grant.expires_at)
        .bind(unix_ms_now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Adds an account for the customer and returns its id.
    pub async fn add_account(&self, customer_id: i64, label: &str) -> Result<i64, StoreError> {
        self.require_customer(customer_id).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO accounts (customer_id, label, status, created_at) \
             VALUES ($1, $2, 'active', $3) RETURNING id",
        )
        .bind(customer_id)
        .bind(label.to_string())
        .bind(unix_ms_now())
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    /// Adds a group at the end of the customer's posting order and returns its id;
    /// [`StoreError::Duplicate`] if the customer has that reference already.
    pub async fn add_group(&self, customer_id: i64, reference: &str) -> Result<i64, StoreError> {
        self.require_customer(customer_id).await?;
        let inserted = sqlx::query_scalar(
            "INSERT INTO chat_groups (customer_id, reference, position, status, created_at) \
             VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM chat_groups \
             WHERE customer_id = $3), 'active', $4) RETURNING id",
        )
        .bind(customer_id)
        .bind(reference.to_string())
        .bind(customer_id)
        .bind(unix_ms_now())
        .fetch_one(&self.pool)
        .await;
        match inserted {
            Ok(id) => Ok(id),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StoreError::Duplicate),
            Err(e) => Err(e.into()),
        }
    }

    /// Saves the customer's timing settings; the engine applies them from the next cycle.
    pub async fn save_settings(
        &self,
        customer_id: i64,
        settings: &Settings,
    ) -> Result<(), StoreError> {
        self.require_customer(customer_id).await?;
        sqlx::query(
            "INSERT INTO settings (customer_id, delay_between_posts_ms, delay_between_cycles_ms, \
             cycle_length_ms, message_html, updated_at) VALUES ($1, $2, $3, $4, NULL, $5) \
             ON CONFLICT (customer_id) DO UPDATE SET \
             delay_between_posts_ms = excluded.delay_between_posts_ms, \
             delay_between_cycles_ms = excluded.delay_between_cycles_ms, \
             cycle_length_ms = excluded.cycle_length_ms, updated_at = excluded.updated_at",
        )
        .bind(customer_id)
        .bind(settings.delay_between_posts.requested().as_millis() as i64)
        .bind(settings.delay_between_cycles.get().as_millis() as i64)
        .bind(settings.cycle_length.map(|c| c.get().as_millis() as i64))
        .bind(unix_ms_now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Saves the message the accounts post (HTML): the post becomes a text (media it had are
    /// dropped from it; the files stay stored for others). Requires saved settings.
    pub async fn set_message(&self, customer_id: i64, html: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE settings SET message_html = $1, updated_at = $2, forward_chat = NULL, \
             forward_ids = NULL, forward_mode = NULL, forward_preview = NULL \
             WHERE customer_id = $3",
        )
        .bind(html.to_string())
        .bind(unix_ms_now())
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoCustomer(customer_id));
        }
        sqlx::query("DELETE FROM post_items WHERE customer_id = $1")
            .bind(customer_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates fully configured customers (plan, settings, message, accounts, groups in the
    /// given order) in one transaction: the demo's and the benchmark's set-up.
    pub async fn create_customers(&self, customers: &[NewCustomer]) -> Result<(), StoreError> {
        let now = unix_ms_now();
        let mut tx = self.pool.begin().await?;
        for c in customers {
            sqlx::query(
                "INSERT INTO customers (id, language, running, created_at) VALUES ($1, NULL, 0, $2)",
            )
            .bind(c.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO plans (customer_id, plan, expires_at, granted_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(c.id)
            .bind(c.plan.plan.as_str())
            .bind(c.plan.expires_at)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO settings (customer_id, delay_between_posts_ms, delay_between_cycles_ms, \
                 cycle_length_ms, message_html, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(c.id)
            .bind(c.settings.delay_between_posts.requested().as_millis() as i64)
            .bind(c.settings.delay_between_cycles.get().as_millis() as i64)
            .bind(c.settings.cycle_length.map(|l| l.get().as_millis() as i64))
            .bind(c.message_html.clone())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            for label in &c.accounts {
                sqlx::query(
                    "INSERT INTO accounts (customer_id, label, status, created_at) \
                     VALUES ($1, $2, 'active', $3)",
                )
                .bind(c.id)
                .bind(label.clone())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            for (position, reference) in c.groups.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO chat_groups (customer_id, reference, position, status, created_at) \
                     VALUES ($1, $2, $3, 'active', $4)",
                )
                .bind(c.id)
                .bind(reference.clone())
                .bind(position as i64 + 1)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// The customer's cycles, oldest first.
    pub async fn cycles(&self, customer_id: i64) -> Result<Vec<CycleRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, customer_id, seq, mode, started_at, ended_at, status, planned, sent, \
             failed, skipped FROM cycles WHERE customer_id = $1 ORDER BY seq",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn require_customer(&self, customer_id: i64) -> Result<(), StoreError> {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM customers WHERE id = $1")
            .bind(customer_id)
            .fetch_optional(&self.pool)
            .await?;
        exists
            .map(|_| ())
            .ok_or(StoreError::NoCustomer(customer_id))
    }
}

/// A private, shared-cache in-memory database: its name is unique to this process and call.
fn memory_url() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "sqlite:file:autoposter-mem-{}-{}?mode=memory&cache=shared",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The file of a `sqlite:PATH?…` URL.
fn sqlite_file_of(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty()).then(|| std::path::PathBuf::from(path))
}

/// How long a caller waits for a pooled connection before the call fails: long enough for a
/// busy moment (SQLite's own lock wait is 5 s), short enough that a flood of callers cannot
/// hold others up for long.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite database and its `-wal`/`-shm` files hold phone numbers, post texts, payments and
/// sealed sessions: only their owner may read them. A missing database file is created 0600
/// before SQLite opens it (when the URL lets SQLite create it; SQLite gives `-wal` and `-shm`
/// the main file's mode); an existing one that others can read is tightened to 0600, with a
/// warning (refusing would stop an upgraded installation for what it can put right itself).
#[cfg(unix)]
fn private_sqlite_files(path: &std::path::Path, create: bool) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let failed =
        |what: &'static str, file: &std::path::Path, cause: std::io::Error| StoreError::File {
            what,
            path: file.display().to_string(),
            cause,
        };
    if create {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(failed("cannot create the database file", path, e)),
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        let mode = match std::fs::metadata(&file) {
            Ok(meta) => meta.permissions().mode() & 0o777,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(failed("cannot read the mode of", &file, e)),
        };
        if mode & 0o077 == 0 {
            continue;
        }
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode & 0o700))
            .map_err(|e| failed("cannot make private", &file, e))?;
        tracing::warn!(
            file = %file.display(),
            was = format!("{mode:o}"),
            now = format!("{:o}", mode & 0o700),
            "the database file was readable by others: made private to its owner"
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn private_sqlite_files(_path: &std::path::Path, _create: bool) -> Result<(), StoreError> {
    Ok(())
}

/// `sqlite:PATH` creates the file when missing.
fn with_create_mode(url: &str) -> String {
    if url.contains("mode=") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_apart() {
        assert_eq!(with_create_mode("sqlite:x.db"), "sqlite:x.db?mode=rwc");
        assert_eq!(
            with_create_mode("sqlite:x.db?cache=shared"),
            "sqlite:x.db?cache=shared&mode=rwc"
        );
        assert_ne!(memory_url(), memory_url());
    }
}
