//! Whether customers run: the running flag and post key the engine and the bot set, and the
//! cycles an engine finds interrupted (to resume them, or to close them on a fresh start).

use super::{Fence, Store, StoreError};

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

impl Store {
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
            // One pass over the post log (it has no index) per cycle closed.
            "UPDATE cycles SET status = 'stopped', ended_at = $1, (sent, skipped, failed) = \
             (SELECT COALESCE(SUM(CASE WHEN p.outcome = 'sent' THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN p.outcome = 'skipped' THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN p.outcome NOT IN ('sent', 'skipped') \
                                  THEN 1 ELSE 0 END), 0) \
              FROM posts p WHERE p.customer_id = cycles.customer_id \
              AND p.cycle_seq = cycles.seq) \
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
}
