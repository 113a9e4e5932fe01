//! The batched post-log writer. The engine hands it cycle starts, posts and cycle ends, which
//! are only queued; one background task collects entries for up to 200 ms (or 4 096) and
//! writes them, in order, in a single transaction. Nothing the engine awaits between a cycle's
//! start and its posts touches the database. `flush` writes at once and returns when stored.
//! An engine holding leases hands each entry over with its [`Fence`]: the entries of a
//! customer another engine has taken over since are refused at the write (counted, logged).
//!
//! The post log's SQL lives here too: its row type, its columns, the binds and the batched
//! INSERT, so that adding a column is this file plus the migrations.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use sqlx::FromRow;

use super::{
    pool, Backend, CycleEnd, CycleStart, CycleStatus, Fence, Restriction, Store, StoreError,
};

/// Rows queued before `record` starts waiting for the writer (back-pressure, not loss).
const QUEUE: usize = 65_536;
/// The most entries written in one transaction.
const MAX_BATCH: usize = 4_096;
/// How long the writer waits for more entries before writing what it has.
const LINGER: Duration = Duration::from_millis(200);

enum Msg {
    Entry(LogEntry, Option<Fence>),
    Flush(oneshot::Sender<()>),
    /// Write what is queued, then stop.
    Close,
}

/// A handle to the writer. Cheap to clone.
#[derive(Clone)]
pub struct PostLog {
    tx: mpsc::Sender<Msg>,
    /// Cuts the writer's linger short (flush, close). Rows never wake the lingering writer:
    /// a wake-up per row would cost a task switch per post.
    urgent: Arc<Notify>,
}

/// The writer task; `finish` drains and stops it.
pub struct PostLogTask {
    tx: mpsc::Sender<Msg>,
    urgent: Arc<Notify>,
    handle: JoinHandle<WriterStats>,
}

/// What the writer did, for benchmarks and logs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriterStats {
    pub entries: u64,
    pub batches: u64,
    pub failed_entries: u64,
    /// Entries refused because their customer's lease had passed to another engine.
    pub fenced_entries: u64,
}

impl PostLog {
    /// Starts the writer on `store`.
    pub fn start(store: Store) -> (PostLog, PostLogTask) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let urgent = Arc::new(Notify::new());
        let handle = tokio::spawn(write_loop(store, rx, urgent.clone()));
        (
            PostLog {
                tx: tx.clone(),
                urgent: urgent.clone(),
            },
            PostLogTask { tx, urgent, handle },
        )
    }

    /// Queues a post-log row. Returns at once unless 65 536 entries are already waiting.
    pub async fn record(&self, row: PostRow, fence: Option<Fence>) {
        self.queue(LogEntry::Post(row), fence).await;
    }

    /// Queues a cycle's start; it is written before the cycle's posts.
    pub async fn cycle_started(&self, start: CycleStart, fence: Option<Fence>) {
        self.queue(LogEntry::CycleStarted(start), fence).await;
    }

    /// Queues a lasting consequence of an outcome; it is written in order with the posts.
    pub async fn restrict(&self, restriction: crate::store::Restriction, fence: Option<Fence>) {
        self.queue(LogEntry::Restrict(restriction), fence).await;
    }

    /// Queues a cycle's end; it is written after the cycle's posts.
    pub async fn cycle_finished(&self, end: CycleEnd, fence: Option<Fence>) {
        self.queue(LogEntry::CycleFinished(end), fence).await;
    }

    async fn queue(&self, entry: LogEntry, fence: Option<Fence>) {
        let msg = Msg::Entry(entry, fence);
        let msg = match self.tx.try_send(msg) {
            Ok(()) => return,
            Err(mpsc::error::TrySendError::Full(msg)) => msg,
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::error!("post log writer is gone; a post-log row was dropped");
                return;
            }
        };
        if self.tx.send(msg).await.is_err() {
            tracing::error!("post log writer is gone; a post-log row was dropped");
        }
    }

    /// Waits until every row queued before this call is written.
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_ok() {
            self.urgent.notify_one();
            let _ = wait.await;
        }
    }
}

impl PostLogTask {
    /// Writes everything queued so far, stops the writer and returns its statistics. Rows
    /// recorded after this are dropped with an error in the log.
    pub async fn finish(self) -> WriterStats {
        if self.tx.send(Msg::Close).await.is_ok() {
            self.urgent.notify_one();
        }
        self.handle.await.unwrap_or_default()
    }
}

/// What the writer has collected since its last write.
#[derive(Default)]
struct Pending {
    entries: Vec<(LogEntry, Option<Fence>)>,
    waiters: Vec<oneshot::Sender<()>>,
    closing: bool,
}

impl Pending {
    fn take(&mut self, msg: Msg) {
        match msg {
            Msg::Entry(entry, fence) => self.entries.push((entry, fence)),
            Msg::Flush(done) => self.waiters.push(done),
            Msg::Close => self.closing = true,
        }
    }

    /// A full batch, a flush or a close is written without lingering.
    fn urgent(&self) -> bool {
        self.entries.len() >= MAX_BATCH || !self.waiters.is_empty() || self.closing
    }
}

async fn write_loop(store: Store, mut rx: mpsc::Receiver<Msg>, urgent: Arc<Notify>) -> WriterStats {
    let mut stats = WriterStats::default();
    let mut p = Pending::default();
    while let Some(first) = rx.recv().await {
        p.take(first);
        // Linger so that one transaction carries many rows, unless a flush or close comes.
        let deadline = Instant::now() + LINGER;
        loop {
            while let Ok(msg) = rx.try_recv() {
                p.take(msg);
                if p.urgent() {
                    break;
                }
            }
            if p.urgent() {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => {}
                _ = urgent.notified() => continue,
            }
            while p.entries.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(msg) => p.take(msg),
                    Err(_) => break,
                }
            }
            break;
        }
        if !p.entries.is_empty() {
            let batch: Vec<(&LogEntry, Option<Fence>)> =
                p.entries.iter().map(|(e, f)| (e, *f)).collect();
            match store.write_log_fenced(&batch).await {
                Ok(refused) => {
                    stats.entries += p.entries.len() as u64 - refused;
                    stats.fenced_entries += refused;
                    if refused > 0 {
                        tracing::warn!(
                            refused,
                            "post-log entries refused: their customers passed to another engine"
                        );
                    }
                }
                Err(e) => {
                    stats.failed_entries += p.entries.len() as u64;
                    tracing::error!(entries = p.entries.len(), error = %e, "writing the post log failed");
                }
            }
            stats.batches += 1;
            p.entries.clear();
        }
        for done in p.waiters.drain(..) {
            let _ = done.send(());
        }
        if p.closing {
            break;
        }
    }
    stats
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

const POST_COLUMNS: usize = 11;

impl Store {
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
                stars,
            } => sqlx::query(
                "INSERT INTO pair_blocks (account_id, group_id, reason, at, stars) \
                 SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM accounts WHERE id = $6) \
                 AND EXISTS (SELECT 1 FROM chat_groups WHERE id = $7) \
                 ON CONFLICT (account_id, group_id) DO UPDATE SET reason = excluded.reason, \
                 at = excluded.at, stars = excluded.stars",
            )
            .bind(*account_id)
            .bind(*group_id)
            .bind(reason.clone())
            .bind(*at)
            .bind(*stars)
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
}
