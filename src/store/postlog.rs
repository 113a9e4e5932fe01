//! The batched post-log writer. The engine hands rows to [`PostLog::record`], which only
//! queues them; one background task writes whatever has queued up while its previous write
//! was running, in a single transaction. Under load the batches grow by themselves; when idle
//! a row is written at once. No timer is involved, so the writer never moves a paused clock.

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{PostRow, Store};

/// Rows queued before `record` starts waiting for the writer (back-pressure, not loss).
const QUEUE: usize = 65_536;
/// The most rows written in one transaction.
const MAX_BATCH: usize = 4_096;

enum Msg {
    Row(PostRow),
    Flush(oneshot::Sender<()>),
    /// Write what is queued, then stop.
    Close,
}

/// A handle to the writer. Cheap to clone.
#[derive(Clone)]
pub struct PostLog {
    tx: mpsc::Sender<Msg>,
}

/// The writer task; `finish` drains and stops it.
pub struct PostLogTask {
    tx: mpsc::Sender<Msg>,
    handle: JoinHandle<WriterStats>,
}

/// What the writer did, for benchmarks and logs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriterStats {
    pub rows: u64,
    pub batches: u64,
    pub failed_rows: u64,
}

impl PostLog {
    /// Starts the writer on `store`.
    pub fn start(store: Store) -> (PostLog, PostLogTask) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let handle = tokio::spawn(write_loop(store, rx));
        (PostLog { tx: tx.clone() }, PostLogTask { tx, handle })
    }

    /// Queues a row. Returns at once unless 65 536 rows are already waiting.
    pub async fn record(&self, row: PostRow) {
        let msg = Msg::Row(row);
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
            let _ = wait.await;
        }
    }
}

impl PostLogTask {
    /// Writes everything queued so far, stops the writer and returns its statistics. Rows
    /// recorded after this are dropped with an error in the log.
    pub async fn finish(self) -> WriterStats {
        let _ = self.tx.send(Msg::Close).await;
        self.handle.await.unwrap_or_default()
    }
}

async fn write_loop(store: Store, mut rx: mpsc::Receiver<Msg>) -> WriterStats {
    let mut stats = WriterStats::default();
    let mut batch = Vec::with_capacity(256);
    let mut waiters = Vec::new();
    let mut closing = false;
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Row(row) => batch.push(row),
                Msg::Flush(done) => waiters.push(done),
                Msg::Close => closing = true,
            }
            if batch.len() < MAX_BATCH && !closing {
                next = rx.try_recv().ok();
            }
        }
        if !batch.is_empty() {
            match store.insert_posts(&batch).await {
                Ok(()) => stats.rows += batch.len() as u64,
                Err(e) => {
                    stats.failed_rows += batch.len() as u64;
                    tracing::error!(rows = batch.len(), error = %e, "writing the post log failed");
                }
            }
            stats.batches += 1;
            batch.clear();
        }
        for done in waiters.drain(..) {
            let _ = done.send(());
        }
        if closing {
            break;
        }
    }
    stats
}
