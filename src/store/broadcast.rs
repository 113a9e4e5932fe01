//! The SQL behind admin broadcasts: drafts, the recipient list fixed at confirmation, each
//! recipient's state (written before the send and after it), the tally for the progress
//! message, and the customers known to have blocked the bot.

use sqlx::FromRow;

use super::{Store, StoreError};

/// What a broadcast sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BroadcastSource {
    /// A copy of a message of the admin's (copyMessage keeps its media and formatting).
    Copy { chat_id: i64, message_id: i32 },
    /// A text, Telegram HTML.
    Html(String),
}

/// A broadcast as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broadcast {
    pub id: i64,
    pub admin_id: i64,
    pub source: BroadcastSource,
    /// `draft`, `sending`, `done` or `cancelled`.
    pub status: String,
    pub progress_message: Option<i32>,
    pub started_at: Option<i64>,
}

#[derive(FromRow)]
struct BroadcastSql {
    id: i64,
    admin_id: i64,
    source_chat: Option<i64>,
    source_message: Option<i64>,
    html: Option<String>,
    status: String,
    progress_message: Option<i64>,
    started_at: Option<i64>,
}

impl TryFrom<BroadcastSql> for Broadcast {
    type Error = StoreError;

    fn try_from(r: BroadcastSql) -> Result<Broadcast, StoreError> {
        let source = match (r.source_chat, r.source_message, r.html) {
            (Some(chat_id), Some(message_id), None) => BroadcastSource::Copy {
                chat_id,
                message_id: i32::try_from(message_id)
                    .map_err(|_| StoreError::BroadcastSource(r.id))?,
            },
            (None, None, Some(html)) => BroadcastSource::Html(html),
            _ => return Err(StoreError::BroadcastSource(r.id)),
        };
        Ok(Broadcast {
            id: r.id,
            admin_id: r.admin_id,
            source,
            status: r.status,
            progress_message: r.progress_message.and_then(|m| i32::try_from(m).ok()),
            started_at: r.started_at,
        })
    }
}

/// Where a broadcast stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BroadcastTally {
    pub pending: i64,
    pub sent: i64,
    /// The customer blocked the bot or is deactivated.
    pub blocked: i64,
    pub failed: i64,
    /// A send interrupted by a crash: maybe delivered, never sent again.
    pub unknown: i64,
}

impl BroadcastTally {
    pub fn total(&self) -> i64 {
        self.pending + self.sent + self.blocked + self.failed + self.unknown
    }
}

/// A recipient's state; its stored name is [`RecipientState::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecipientState {
    Pending,
    Sending,
    Sent,
    Blocked,
    Failed,
    /// The send was under way when the process died: maybe delivered, never sent again.
    Unknown,
}

impl RecipientState {
    fn as_str(self) -> &'static str {
        match self {
            RecipientState::Pending => "pending",
            RecipientState::Sending => "sending",
            RecipientState::Sent => "sent",
            RecipientState::Blocked => "blocked",
            RecipientState::Failed => "failed",
            RecipientState::Unknown => "unknown",
        }
    }
}

/// ` AND <column> NOT IN ($first, …)` for `count` ids bound from `$first` on, or nothing.
fn not_in(column: &str, first: usize, count: usize) -> String {
    if count == 0 {
        return String::new();
    }
    let params: Vec<String> = (first..first + count).map(|n| format!("${n}")).collect();
    format!(" AND {column} NOT IN ({})", params.join(", "))
}

const SELECT: &str = "SELECT id, admin_id, source_chat, source_message, html, status, \
     progress_message, started_at FROM broadcasts";

impl Store {
    /// A broadcast waiting for the admin's confirmation; its id.
    pub async fn create_broadcast(
        &self,
        admin_id: i64,
        source: &BroadcastSource,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        let (chat, message, html) = match source {
            BroadcastSource::Copy {
                chat_id,
                message_id,
            } => (Some(*chat_id), Some(i64::from(*message_id)), None),
            BroadcastSource::Html(html) => (None, None, Some(html.as_str())),
        };
        Ok(sqlx::query_scalar(
            "INSERT INTO broadcasts (admin_id, source_chat, source_message, html, status, \
             created_at) VALUES ($1, $2, $3, $4, 'draft', $5) RETURNING id",
        )
        .bind(admin_id)
        .bind(chat)
        .bind(message)
        .bind(html)
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn broadcast(&self, id: i64) -> Result<Option<Broadcast>, StoreError> {
        let row: Option<BroadcastSql> = sqlx::query_as(&format!("{SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Broadcast::try_from).transpose()
    }

    /// The broadcast being sent, if any (the oldest, should there be several).
    pub async fn sending_broadcast(&self) -> Result<Option<Broadcast>, StoreError> {
        let row: Option<BroadcastSql> = sqlx::query_as(&format!(
            "{SELECT} WHERE status = 'sending' ORDER BY id LIMIT 1"
        ))
        .fetch_optional(&self.pool)
        .await?;
        row.map(Broadcast::try_from).transpose()
    }

    /// How many customers a broadcast confirmed now would reach: those not known to have
    /// blocked the bot, less `excluded` (the admins).
    pub async fn broadcast_audience(&self, excluded: &[i64]) -> Result<i64, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) FROM customers WHERE blocked_bot = 0{}",
            not_in("id", 1, excluded.len())
        );
        let mut query = sqlx::query_scalar::<_, i64>(&sql);
        for id in excluded {
            query = query.bind(*id);
        }
        Ok(query.fetch_one(&self.pool).await?)
    }

    /// Confirms a draft: it becomes `sending`, with every customer not known to have blocked
    /// the bot, except `excluded` (the admins), as a pending recipient, in one transaction.
    /// `Ok(None)` when it was no draft (confirmed already, abandoned, unknown): nothing
    /// changes then.
    pub async fn confirm_broadcast(
        &self,
        id: i64,
        now_ms: i64,
        excluded: &[i64],
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE broadcasts SET status = 'sending', started_at = $1 \
             WHERE id = $2 AND status = 'draft'",
        )
        .bind(now_ms)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        let sql = format!(
            "INSERT INTO broadcast_recipients (broadcast_id, customer_id) \
             SELECT $1, id FROM customers WHERE blocked_bot = 0{}",
            not_in("id", 2, excluded.len())
        );
        let mut insert = sqlx::query(&sql).bind(id);
        for customer in excluded {
            insert = insert.bind(*customer);
        }
        let added = insert.execute(&mut *tx).await?.rows_affected();
        tx.commit().await?;
        Ok(Some(added as i64))
    }

    /// Ends a broadcast: `done`, or `cancelled` (from a draft or while sending). `false`
    /// when it had ended already.
    pub async fn end_broadcast(
        &self,
        id: i64,
        cancelled: bool,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let status = if cancelled { "cancelled" } else { "done" };
        Ok(sqlx::query(
            "UPDATE broadcasts SET status = $1, finished_at = $2 \
             WHERE id = $3 AND status IN ('draft', 'sending')",
        )
        .bind(status)
        .bind(now_ms)
        .bind(id)
        .execute(&self.pool)
        .await?
        .rows_affected()
            > 0)
    }

    pub async fn set_broadcast_progress_message(
        &self,
        id: i64,
        message_id: i32,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE broadcasts SET progress_message = $1 WHERE id = $2")
            .bind(i64::from(message_id))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// After a crash: the recipients whose send had started and not ended may have got the
    /// message, and are never sent it again.
    pub async fn settle_interrupted_recipients(&self, id: i64) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE broadcast_recipients SET state = $1 WHERE broadcast_id = $2 AND state = $3",
        )
        .bind(RecipientState::Unknown.as_str())
        .bind(id)
        .bind(RecipientState::Sending.as_str())
        .execute(&self.pool)
        .await?
        .rows_affected())
    }

    /// Up to `limit` pending recipients after `after` (customer id), in id order.
    pub async fn pending_recipients(
        &self,
        id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT customer_id FROM broadcast_recipients WHERE broadcast_id = $1 \
             AND state = 'pending' AND customer_id > $2 ORDER BY customer_id LIMIT $3",
        )
        .bind(id)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records a recipient's state; a blocked one also marks the customer, so later
    /// broadcasts skip them.
    pub async fn set_recipient_state(
        &self,
        id: i64,
        customer_id: i64,
        state: RecipientState,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE broadcast_recipients SET state = $1, error = $2 \
             WHERE broadcast_id = $3 AND customer_id = $4",
        )
        .bind(state.as_str())
        .bind(error)
        .bind(id)
        .bind(customer_id)
        .execute(&self.pool)
        .await?;
        if state == RecipientState::Blocked {
            self.set_blocked_bot(customer_id, true).await?;
        }
        Ok(())
    }

    pub async fn set_blocked_bot(&self, customer_id: i64, blocked: bool) -> Result<(), StoreError> {
        sqlx::query("UPDATE customers SET blocked_bot = $1 WHERE id = $2")
            .bind(i64::from(blocked))
            .bind(customer_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn broadcast_tally(&self, id: i64) -> Result<BroadcastTally, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT state, COUNT(*) FROM broadcast_recipients WHERE broadcast_id = $1 \
             GROUP BY state",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let mut t = BroadcastTally::default();
        for (state, n) in rows {
            match state.as_str() {
                "pending" | "sending" => t.pending += n,
                "sent" => t.sent += n,
                "blocked" => t.blocked += n,
                "failed" => t.failed += n,
                _ => t.unknown += n,
            }
        }
        Ok(t)
    }
}
