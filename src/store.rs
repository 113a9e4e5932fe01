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
mod pool;
pub mod postlog;

pub use admin::{CustomerSummary, FleetStats, NewPayment, PaymentRecorded, CHECKOUT_VALID_MS};
pub use broadcast::{Broadcast, BroadcastSource, BroadcastTally, RecipientState};
pub use customer::{AccountStatus, CustomerRow, GroupStatus, LastCycle, PairBlock, Timing};
pub use lease::{Lease, TermedPost};
pub use lock::EngineLock;

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Executor, FromRow};

use crate::schedule::{
    CycleLength, DelayBetweenCycles, DelayBetweenPosts, InputError, Mode, Plan, Settings,
};
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
    #[error("stored value is invalid: {0}")]
    Invalid(String),
    #[error("no such customer: {0}")]
    NoCustomer(i64),
    #[error("already there")]
    Duplicate,
    #[error("another engine is running on this SQLite database ({0}): one engine per SQLite file (engines share a PostgreSQL database through leases)")]
    EngineRunning(String),
    #[error("stored value is invalid: {0}")]
    UnknownStatus(#[from] UnknownStatus),
    /// The SQLite file could not be created or made private to its owner.
    #[error("{what} {path}: {cause}")]
    File {
        what: &'static str,
        path: String,
        cause: std::io::Error,
    },
}

impl From<InputError> for StoreError {
    fn from(e: InputError) -> Self {
        StoreError::Invalid(e.to_string())
    }
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
}

/// Everything one cycle needs, read in one go at the cycle's start.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub customer_id: i64,
    pub plan: Option<PlanGrant>,
    /// `None` until the customer saved timing settings.
    pub settings: Option<Settings>,
    pub message_html: Option<String>,
    /// Active accounts, oldest first.
    pub accounts: Vec<Account>,
    /// Active groups, in posting order.
    pub groups: Vec<Group>,
    /// The number of the customer's latest recorded cycle (0 before the first).
    pub last_seq: i64,
    /// The key of the customer's random ids (schedule::slot_random_id); `None` before the
    /// customer was first started.
    pub post_key: Option<i64>,
    /// Telegram's waits and refusals in force for the customer's accounts.
    pub restrictions: Restrictions,
}

/// What Telegram told the customer's accounts that still holds: flood waits per account, slow
/// mode waits per (account, group), and groups that refused an account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Restrictions {
    /// (account, until unix ms).
    pub account_waits: Vec<(i64, i64)>,
    /// (account, group, until unix ms).
    pub pair_waits: Vec<(i64, i64, i64)>,
    /// (account, group).
    pub pair_blocks: Vec<(i64, i64)>,
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
        reason: String,
        at: i64,
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

/// A cycle that did not end (the engine crashed or was shut down during it), found when the
/// engine starts: what it needs to resume it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interrupted {
    pub customer_id: i64,
    pub seq: i64,
    /// Unix ms: the cycle's anchor.
    pub started_at: i64,
    /// The layout the cycle started with (the engine's JSON).
    pub plan: String,
    /// The slots with an outcome in the post log: (account, group, outcome, sent at).
    pub logged: Vec<(i64, i64, String, Option<i64>)>,
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

/// One thing the post-log writer records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogEntry {
    CycleStarted(CycleStart),
    Post(PostRow),
    CycleFinished(CycleEnd),
    Restrict(Restriction),
}

/// One row of the post log.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct PostRow {
    pub customer_id: i64,
    /// The cycle's number within the customer (`cycles.seq`).
    pub cycle_seq: i64,
    pub account_id: i64,
    pub group_id: i64,
    pub random_id: i64,
    /// When the post was due (unix ms).
    pub target_at: i64,
    /// When the send started (unix ms); `None` for a skipped slot.
    pub sent_at: Option<i64>,
    /// Send start minus target, in microseconds, from the monotonic clock.
    pub lateness_us: Option<i64>,
    pub outcome: String,
    pub error: Option<String>,
}

/// The customer, plan and settings columns of a snapshot, read in one query.
#[derive(FromRow)]
struct HeadRow {
    plan: Option<String>,
    expires_at: Option<i64>,
    delay_between_posts_ms: Option<i64>,
    delay_between_cycles_ms: Option<i64>,
    cycle_length_ms: Option<i64>,
    message_html: Option<String>,
    post_key: Option<i64>,
    last_seq: i64,
    /// `[[id, label, status], …]`, active accounts by id.
    accounts: String,
    /// `[[id, reference, position, status], …]`, active groups in posting order.
    groups: String,
    /// `[[account, until], …]`.
    account_waits: String,
    /// `[[account, group, until], …]`.
    pair_waits: String,
    /// `[[account, group], …]`.
    pair_blocks: String,
}

/// The snapshot in one statement, SQLite dialect (aggregate ORDER BY needs SQLite 3.44).
const SNAPSHOT_SQLITE: &str = "SELECT p.plan, p.expires_at, s.delay_between_posts_ms, \
     s.delay_between_cycles_ms, s.cycle_length_ms, s.message_html, c.post_key, \
     (SELECT COALESCE(MAX(seq), 0) FROM cycles WHERE customer_id = c.id) AS last_seq, \
     (SELECT COALESCE(json_group_array(json_array(a.id, a.label, a.status) ORDER BY a.id), '[]') \
      FROM accounts a WHERE a.customer_id = c.id AND a.status = 'active') AS accounts, \
     (SELECT COALESCE(json_group_array(json_array(g.id, g.reference, g.position, g.status) \
      ORDER BY g.position, g.id), '[]') \
      FROM chat_groups g WHERE g.customer_id = c.id AND g.status = 'active') AS groups, \
     (SELECT COALESCE(json_group_array(json_array(w.account_id, w.until_at)), '[]') \
      FROM account_waits w JOIN accounts a ON a.id = w.account_id WHERE a.customer_id = c.id) \
      AS account_waits, \
     (SELECT COALESCE(json_group_array(json_array(w.account_id, w.group_id, w.until_at)), '[]') \
      FROM pair_waits w JOIN accounts a ON a.id = w.account_id WHERE a.customer_id = c.id) \
      AS pair_waits, \
     (SELECT COALESCE(json_group_array(json_array(b.account_id, b.group_id)), '[]') \
      FROM pair_blocks b JOIN accounts a ON a.id = b.account_id WHERE a.customer_id = c.id) \
      AS pair_blocks \
     FROM customers c LEFT JOIN plans p ON p.customer_id = c.id \
     LEFT JOIN settings s ON s.customer_id = c.id WHERE c.id = $1";

/// The snapshot in one statement, PostgreSQL dialect.
const SNAPSHOT_POSTGRES: &str = "SELECT p.plan, p.expires_at, s.delay_between_posts_ms, \
     s.delay_between_cycles_ms, s.cycle_length_ms, s.message_html, c.post_key, \
     (SELECT COALESCE(MAX(seq), 0) FROM cycles WHERE customer_id = c.id) AS last_seq, \
     (SELECT COALESCE(json_agg(json_build_array(a.id, a.label, a.status) ORDER BY a.id), '[]')::text \
      FROM accounts a WHERE a.customer_id = c.id AND a.status = 'active') AS accounts, \
     (SELECT COALESCE(json_agg(json_build_array(g.id, g.reference, g.position, g.status) \
      ORDER BY g.position, g.id), '[]')::text \
      FROM chat_groups g WHERE g.customer_id = c.id AND g.status = 'active') AS groups, \
     (SELECT COALESCE(json_agg(json_build_array(w.account_id, w.until_at)), '[]')::text \
      FROM account_waits w JOIN accounts a ON a.id = w.account_id WHERE a.customer_id = c.id) \
      AS account_waits, \
     (SELECT COALESCE(json_agg(json_build_array(w.account_id, w.group_id, w.until_at)), '[]')::text \
      FROM pair_waits w JOIN accounts a ON a.id = w.account_id WHERE a.customer_id = c.id) \
      AS pair_waits, \
     (SELECT COALESCE(json_agg(json_build_array(b.account_id, b.group_id)), '[]')::text \
      FROM pair_blocks b JOIN accounts a ON a.id = b.account_id WHERE a.customer_id = c.id) \
      AS pair_blocks \
     FROM customers c LEFT JOIN plans p ON p.customer_id = c.id \
     LEFT JOIN settings s ON s.customer_id = c.id WHERE c.id = $1";

const POST_COLUMNS: usize = 11;

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

    /// Saves the message the accounts post (HTML). Requires saved settings.
    pub async fn set_message(&self, customer_id: i64, html: &str) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE settings SET message_html = $1, updated_at = $2 WHERE customer_id = $3",
        )
        .bind(html.to_string())
        .bind(unix_ms_now())
        .bind(customer_id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoCustomer(customer_id));
        }
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

    /// Records whether the customer wants the engine to post (survives restarts).
    pub async fn set_running(&self, customer_id: i64, running: bool) -> Result<(), StoreError> {
        sqlx::query("UPDATE customers SET running = $1 WHERE id = $2")
            .bind(i64::from(running))
            .bind(customer_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Marks the customer stopped; `false` when it was not marked running.
    pub async fn stop_running(&self, customer_id: i64) -> Result<bool, StoreError> {
        Ok(
            sqlx::query("UPDATE customers SET running = 0 WHERE id = $1 AND running = 1")
                .bind(customer_id)
                .execute(&self.pool)
                .await?
                .rows_affected()
                > 0,
        )
    }

    /// The engine stops the customer by itself, under a lease's term when it holds one: an
    /// engine that lost the customer to another changes nothing. `false` when refused.
    pub async fn engine_stops(
        &self,
        customer_id: i64,
        fence: Option<Fence>,
    ) -> Result<bool, StoreError> {
        let done = match fence {
            None => {
                sqlx::query("UPDATE customers SET running = 0 WHERE id = $1")
                    .bind(customer_id)
                    .execute(&self.pool)
                    .await?
            }
            Some(f) => {
                sqlx::query(
                    "UPDATE customers SET running = 0 WHERE id = $1 AND EXISTS \
                     (SELECT 1 FROM leases WHERE customer_id = $2 AND term = $3)",
                )
                .bind(customer_id)
                .bind(f.customer_id)
                .bind(f.term)
                .execute(&self.pool)
                .await?
            }
        };
        Ok(done.rows_affected() > 0)
    }

    /// The customer's post key (set to `candidate` the first time), while it is marked
    /// running; `None` when it is not (stopped meanwhile): an engine taking a customer up
    /// again never marks it running itself.
    pub async fn keep_running(
        &self,
        customer_id: i64,
        candidate: i64,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "UPDATE customers SET post_key = COALESCE(post_key, $1) WHERE id = $2 \
             AND running = 1 RETURNING post_key",
        )
        .bind(candidate)
        .bind(customer_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Marks the customer running and returns its post key, setting it to `candidate` the
    /// first time (a key once stored never changes). Awaited before the customer's first
    /// send, so every slot's random id is fixed in the database before it is sent.
    pub async fn mark_running(&self, customer_id: i64, candidate: i64) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "UPDATE customers SET running = 1, post_key = COALESCE(post_key, $1) WHERE id = $2 \
             RETURNING post_key",
        )
        .bind(candidate)
        .bind(customer_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NoCustomer(customer_id))
    }

    /// The cycles that did not end, of customers marked running: each customer's latest
    /// cycle when it is still `running` (a crash, or the engine shut down during it), with the
    /// slots its post log has. One scan of the log from the oldest of them serves them all.
    pub async fn interrupted_cycles(&self) -> Result<Vec<Interrupted>, StoreError> {
        self.interrupted_cycles_of(None).await
    }

    /// [`Store::interrupted_cycles`] of these customers only (those an engine just claimed).
    pub async fn interrupted_cycles_of(
        &self,
        only: Option<&[i64]>,
    ) -> Result<Vec<Interrupted>, StoreError> {
        let only = match only {
            None => String::new(),
            Some([]) => return Ok(Vec::new()),
            Some(ids) => format!(
                "AND c.customer_id IN ({})",
                ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
            ),
        };
        let cycles: Vec<(i64, i64, i64, String, Option<i64>)> = sqlx::query_as(&format!(
            "SELECT c.customer_id, c.seq, c.started_at, p.plan, c.log_from FROM cycles c \
             JOIN customers cu ON cu.id = c.customer_id \
             JOIN cycle_plans p ON p.cycle_id = c.id \
             WHERE cu.running = 1 AND c.status = 'running' {only} \
             AND c.seq = (SELECT MAX(seq) FROM cycles WHERE customer_id = c.customer_id) \
             ORDER BY c.customer_id"
        ))
        .fetch_all(&self.pool)
        .await?;
        let Some(from) = cycles.iter().map(|c| c.4.unwrap_or(0)).min() else {
            return Ok(Vec::new());
        };
        // Only the rows of these cycles' customers come back (a claim takes up a few).
        let customers = cycles
            .iter()
            .map(|c| c.0.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let rows: Vec<(i64, i64, i64, i64, String, Option<i64>)> = sqlx::query_as(&format!(
            "SELECT customer_id, cycle_seq, account_id, group_id, outcome, sent_at FROM posts \
             WHERE id > $1 AND customer_id IN ({customers}) ORDER BY id"
        ))
        .bind(from)
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<Interrupted> = cycles
            .into_iter()
            .map(|(customer_id, seq, started_at, plan, _)| Interrupted {
                customer_id,
                seq,
                started_at,
                plan,
                logged: Vec::new(),
            })
            .collect();
        let index: std::collections::HashMap<(i64, i64), usize> = out
            .iter()
            .enumerate()
            .map(|(i, c)| ((c.customer_id, c.seq), i))
            .collect();
        for (customer_id, seq, account, group, outcome, sent_at) in rows {
            if let Some(&i) = index.get(&(customer_id, seq)) {
                out[i].logged.push((account, group, outcome, sent_at));
            }
        }
        Ok(out)
    }

    /// Closes the customer's cycles still marked running (as `stopped`, with the tallies of
    /// what their post log holds): a fresh start does not resume them, so they are not left
    /// looking open, and the Status screen counts what they did post.
    pub async fn close_open_cycles(
        &self,
        customer_id: i64,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE cycles SET status = 'stopped', ended_at = $1, \
             sent = (SELECT COUNT(*) FROM posts p WHERE p.customer_id = cycles.customer_id \
                     AND p.cycle_seq = cycles.seq AND p.outcome = 'sent'), \
             skipped = (SELECT COUNT(*) FROM posts p WHERE p.customer_id = cycles.customer_id \
                     AND p.cycle_seq = cycles.seq AND p.outcome = 'skipped'), \
             failed = (SELECT COUNT(*) FROM posts p WHERE p.customer_id = cycles.customer_id \
                     AND p.cycle_seq = cycles.seq AND p.outcome NOT IN ('sent', 'skipped')) \
             WHERE customer_id = $2 AND status = 'running'",
        )
        .bind(now_ms)
        .bind(customer_id)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// Customers marked running, in id order.
    pub async fn running_customers(&self) -> Result<Vec<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM customers WHERE running = 1 ORDER BY id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Everything a cycle needs. `Ok(None)` for an unknown customer; an error when a stored
    /// value fails validation (it is never silently replaced).
    pub async fn snapshot(&self, customer_id: i64) -> Result<Option<Snapshot>, StoreError> {
        // One statement and one row: every round trip to the database (and, with SQLite, every
        // row handed over from its worker thread) is a wake-up, and a snapshot is read at
        // every cycle start of every customer.
        let sql = match self.backend {
            Backend::Sqlite => SNAPSHOT_SQLITE,
            Backend::Postgres => SNAPSHOT_POSTGRES,
        };
        let head: Option<HeadRow> = sqlx::query_as(sql)
            .bind(customer_id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(head) = head else {
            return Ok(None);
        };
        let plan = match (head.plan, head.expires_at) {
            (None, _) => None,
            (Some(name), expires_at) => match Plan::parse(&name) {
                Some(plan) => Some(PlanGrant { plan, expires_at }),
                None => return Err(StoreError::Invalid(format!("plan {name:?}"))),
            },
        };
        let settings = match (head.delay_between_posts_ms, head.delay_between_cycles_ms) {
            (Some(posts), Some(cycles)) => Some(Settings {
                delay_between_posts: DelayBetweenPosts::from_millis(posts)?,
                delay_between_cycles: DelayBetweenCycles::from_millis(cycles)?,
                cycle_length: head
                    .cycle_length_ms
                    .map(CycleLength::from_millis)
                    .transpose()?,
            }),
            _ => None,
        };
        let invalid =
            |what: &str, e: serde_json::Error| StoreError::Invalid(format!("{what}: {e}"));
        let accounts: Vec<(i64, String, String)> =
            serde_json::from_str(&head.accounts).map_err(|e| invalid("accounts", e))?;
        let groups: Vec<(i64, String, i64, String)> =
            serde_json::from_str(&head.groups).map_err(|e| invalid("groups", e))?;
        Ok(Some(Snapshot {
            customer_id,
            plan,
            settings,
            message_html: head.message_html,
            post_key: head.post_key,
            accounts: accounts
                .into_iter()
                .map(|(id, label, status)| {
                    Ok(Account {
                        id,
                        label,
                        status: AccountStatus::try_from(status)?,
                        reason: None,
                    })
                })
                .collect::<Result<_, UnknownStatus>>()?,
            groups: groups
                .into_iter()
                .map(|(id, reference, position, status)| {
                    Ok(Group {
                        id,
                        reference,
                        position,
                        status: GroupStatus::try_from(status)?,
                        reason: None,
                    })
                })
                .collect::<Result<_, UnknownStatus>>()?,
            last_seq: head.last_seq,
            restrictions: Restrictions {
                account_waits: serde_json::from_str(&head.account_waits)
                    .map_err(|e| invalid("account waits", e))?,
                pair_waits: serde_json::from_str(&head.pair_waits)
                    .map_err(|e| invalid("pair waits", e))?,
                pair_blocks: serde_json::from_str(&head.pair_blocks)
                    .map_err(|e| invalid("pair blocks", e))?,
            },
        }))
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

    /// Writes post-log rows in one transaction, as few multi-row INSERTs as possible.
    pub async fn insert_posts(&self, rows: &[PostRow]) -> Result<(), StoreError> {
        let entries: Vec<LogEntry> = rows.iter().cloned().map(LogEntry::Post).collect();
        self.write_log(&entries).await
    }

    /// Writes cycle starts, posts and cycle ends in one transaction, in order; consecutive
    /// posts go in as few multi-row INSERTs as possible.
    pub async fn write_log(&self, entries: &[LogEntry]) -> Result<(), StoreError> {
        let entries: Vec<(&LogEntry, Option<Fence>)> = entries.iter().map(|e| (e, None)).collect();
        self.write_log_fenced(&entries).await.map(|_| ())
    }

    /// [`Store::write_log`] for an engine holding leases: an entry with a fence is written only
    /// while its term is the customer's current one (checked in the same transaction, the lease
    /// rows share-locked on PostgreSQL so that no claim commits in between). Returns how many
    /// entries were refused.
    pub async fn write_log_fenced(
        &self,
        entries: &[(&LogEntry, Option<Fence>)],
    ) -> Result<u64, StoreError> {
        if entries.is_empty() {
            return Ok(0);
        }
        let mut tx = self.pool.begin().await?;
        let fenced: std::collections::BTreeSet<i64> = entries
            .iter()
            .filter_map(|(_, f)| f.map(|f| f.customer_id))
            .collect();
        let mut current = std::collections::HashMap::<i64, i64>::new();
        if !fenced.is_empty() {
            let ids = fenced
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let lock = match self.backend {
                Backend::Postgres => " ORDER BY customer_id FOR SHARE",
                Backend::Sqlite => "",
            };
            let terms: Vec<(i64, i64)> = sqlx::query_as(&format!(
                "SELECT customer_id, term FROM leases WHERE customer_id IN ({ids}){lock}"
            ))
            .fetch_all(&mut *tx)
            .await?;
            current.extend(terms);
        }
        let mut refused = 0;
        let mut posts: Vec<(&PostRow, Option<i64>)> = Vec::new();
        for &(entry, fence) in entries {
            if let Some(f) = fence {
                if current.get(&f.customer_id) != Some(&f.term) {
                    refused += 1;
                    continue;
                }
            }
            if let LogEntry::Post(row) = entry {
                posts.push((row, fence.map(|f| f.term)));
                continue;
            }
            // Posts queued before a cycle entry are written before it.
            self.insert_post_rows(&mut tx, &posts).await?;
            posts.clear();
            match entry {
                LogEntry::Post(_) => {}
                LogEntry::CycleStarted(c) => {
                    // The cycle's posts are written after this: they all have larger ids.
                    let cycle_id: i64 = sqlx::query_scalar(
                        "INSERT INTO cycles (customer_id, seq, mode, started_at, status, planned, \
                         log_from) VALUES ($1, $2, $3, $4, 'running', $5, \
                         (SELECT COALESCE(MAX(id), 0) FROM posts)) RETURNING id",
                    )
                    .bind(c.customer_id)
                    .bind(c.seq)
                    .bind(c.mode.as_str())
                    .bind(c.started_at)
                    .bind(c.planned)
                    .fetch_one(&mut *tx)
                    .await?;
                    if let Some(plan) = &c.plan {
                        sqlx::query("INSERT INTO cycle_plans (cycle_id, plan) VALUES ($1, $2)")
                            .bind(cycle_id)
                            .bind(plan)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                LogEntry::Restrict(r) => self.restrict(&mut tx, r).await?,
                LogEntry::CycleFinished(c) => {
                    sqlx::query(
                        "UPDATE cycles SET ended_at = $1, status = $2, sent = $3, failed = $4, \
                         skipped = $5, report = $6 WHERE customer_id = $7 AND seq = $8",
                    )
                    .bind(c.ended_at)
                    .bind(
                        if c.completed {
                            CycleStatus::Done
                        } else {
                            CycleStatus::Stopped
                        }
                        .as_str(),
                    )
                    .bind(c.tally.sent)
                    .bind(c.tally.failed)
                    .bind(c.tally.skipped)
                    .bind(serde_json::to_string(&c.groups).ok())
                    .bind(c.customer_id)
                    .bind(c.seq)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        self.insert_post_rows(&mut tx, &posts).await?;
        tx.commit().await?;
        Ok(refused)
    }

    async fn restrict(&self, tx: &mut pool::Tx, r: &Restriction) -> Result<(), StoreError> {
        let query = match r {
            Restriction::AccountWait {
                account_id,
                until_at,
                reason,
            } => sqlx::query(
                "INSERT INTO account_waits (account_id, until_at, reason) \
                 SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $4) \
                 ON CONFLICT (account_id) DO UPDATE SET until_at = excluded.until_at, \
                 reason = excluded.reason",
            )
            .bind(*account_id)
            .bind(*until_at)
            .bind(reason.clone())
            .bind(*account_id),
            Restriction::PairWait {
                account_id,
                group_id,
                until_at,
            } => sqlx::query(
                "INSERT INTO pair_waits (account_id, group_id, until_at) \
                 SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $4) \
                 AND EXISTS (SELECT 1 FROM chat_groups WHERE id = $5) \
                 ON CONFLICT (account_id, group_id) DO UPDATE SET until_at = excluded.until_at",
            )
            .bind(*account_id)
            .bind(*group_id)
            .bind(*until_at)
            .bind(*account_id)
            .bind(*group_id),
            Restriction::PairBlock {
                account_id,
                group_id,
                reason,
                at,
            } => sqlx::query(
                "INSERT INTO pair_blocks (account_id, group_id, reason, at) \
                 SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $5) \
                 AND EXISTS (SELECT 1 FROM chat_groups WHERE id = $6) \
                 ON CONFLICT (account_id, group_id) DO UPDATE SET reason = excluded.reason, \
                 at = excluded.at",
            )
            .bind(*account_id)
            .bind(*group_id)
            .bind(reason.clone())
            .bind(*at)
            .bind(*account_id)
            .bind(*group_id),
            Restriction::Quarantine { account_id, reason } => sqlx::query(
                "UPDATE accounts SET status = 'quarantined', status_reason = $1 WHERE id = $2",
            )
            .bind(reason.clone())
            .bind(*account_id),
        };
        // An account or group removed meanwhile leaves nothing to restrict (the WHERE EXISTS).
        query.execute(&mut **tx).await?;
        Ok(())
    }

    async fn insert_post_rows(
        &self,
        tx: &mut pool::Tx,
        rows: &[(&PostRow, Option<i64>)],
    ) -> Result<(), StoreError> {
        let mut rest = rows;
        while !rest.is_empty() {
            // Chunks of 256, then powers of two: few distinct statements, all cached.
            let n = if rest.len() >= 256 {
                256
            } else {
                1 << (usize::BITS - 1 - rest.len().leading_zeros())
            };
            let (chunk, tail) = rest.split_at(n);
            let mut query = sqlx::query(insert_posts_sql(self.backend, n));
            for (row, term) in chunk {
                query = query
                    .bind(row.customer_id)
                    .bind(row.cycle_seq)
                    .bind(row.account_id)
                    .bind(row.group_id)
                    .bind(row.random_id)
                    .bind(row.target_at)
                    .bind(row.sent_at)
                    .bind(row.lateness_us)
                    .bind(row.outcome.as_str())
                    .bind(row.error.as_deref())
                    .bind(*term);
            }
            query.execute(&mut **tx).await?;
            rest = tail;
        }
        Ok(())
    }

    /// The customer's post log, in the order the slots were due.
    pub async fn posts(&self, customer_id: i64) -> Result<Vec<PostRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT customer_id, cycle_seq, account_id, group_id, random_id, target_at, sent_at, \
             lateness_us, outcome, error FROM posts WHERE customer_id = $1 \
             ORDER BY target_at, account_id, group_id",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many post-log rows there are in all.
    pub async fn count_posts(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM posts")
            .fetch_one(&self.pool)
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

/// `INSERT INTO posts … VALUES (…), (…)` for `rows` rows, built once per size and backend.
/// SQLite gets anonymous `?` placeholders: with numbered ones, binding walks the name list
/// once per parameter, quadratic in a 2 560-parameter statement.
fn insert_posts_sql(backend: Backend, rows: usize) -> &'static str {
    use std::sync::OnceLock;
    static CACHE: [[OnceLock<String>; 9]; 2] = [const { [const { OnceLock::new() }; 9] }; 2];
    let slot = rows.trailing_zeros() as usize;
    debug_assert!(rows.is_power_of_two() && slot < 9);
    CACHE[backend as usize][slot].get_or_init(|| {
        let mut sql = String::from(
            "INSERT INTO posts (customer_id, cycle_seq, account_id, group_id, random_id, \
             target_at, sent_at, lateness_us, outcome, error, term) VALUES ",
        );
        for r in 0..rows {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..POST_COLUMNS {
                if c > 0 {
                    sql.push_str(", ");
                }
                match backend {
                    Backend::Sqlite => sql.push('?'),
                    Backend::Postgres => sql.push_str(&format!("${}", r * POST_COLUMNS + c + 1)),
                }
            }
            sql.push(')');
        }
        sql
    })
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
    fn batch_statements_have_one_placeholder_per_value() {
        let sql = insert_posts_sql(Backend::Postgres, 4);
        assert_eq!(sql.matches('$').count(), 4 * POST_COLUMNS);
        assert!(sql.ends_with("($34, $35, $36, $37, $38, $39, $40, $41, $42, $43, $44)"));
        assert_eq!(
            insert_posts_sql(Backend::Postgres, 256)
                .matches('(')
                .count(),
            257
        );
        let sql = insert_posts_sql(Backend::Sqlite, 2);
        assert!(sql.ends_with(
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ));
    }

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
