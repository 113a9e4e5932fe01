//! The batched post-log writer. The engine hands it cycle starts, posts and cycle ends, which
//! are only queued; one background task collects entries for up to 200 ms (or 4 096) and
//! writes them, in order, in a single transaction. Nothing the engine awaits between a cycle's
//! start and its posts touches the database. `flush` writes at once and returns when stored.
//! An engine holding leases hands each entry over with its [`Fence`]: the entries of a
//! customer another engine has taken over since are refused at the write (counted, logged).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{CycleEnd, CycleStart, Fence, LogEntry, PostRow, Store};

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
