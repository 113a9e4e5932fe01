//! Leases: which engine holds which customer, for engines sharing one database. One lease per
//! customer (a customer's cycle needs all of its accounts, and an account belongs to one
//! customer, so the customer's lease holds its accounts together). Every time is the
//! database's clock; `term` is a fencing token that grows at each acquisition, so a holder
//! that lost its lease (expired, taken over) can neither renew it nor pass
//! [`Store::holds_lease`]. Claiming skips customers another engine is claiming at the same
//! moment (`FOR UPDATE … SKIP LOCKED` on PostgreSQL; SQLite has one writer at a time).
//!
//! Lock order on PostgreSQL: statements that lock several lease rows (renewal, the post-log
//! writer's fencing check) lock them in customer order, so they never wait on each other in a
//! circle; claiming locks customer rows `FOR NO KEY UPDATE`, which leaves the key-share lock a
//! new cycle row takes on its customer free.

use super::{Backend, Store, StoreError};

/// A lease as granted or renewed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lease {
    pub customer_id: i64,
    pub term: i64,
    /// Database clock, unix ms.
    pub expires_at: i64,
}

/// A post-log row with the lease term it was written under.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TermedPost {
    pub customer_id: i64,
    pub cycle_seq: i64,
    pub account_id: i64,
    pub group_id: i64,
    pub term: i64,
    pub outcome: String,
    /// Unix ms; `None` for a skipped slot.
    pub sent_at: Option<i64>,
    pub lateness_us: Option<i64>,
}

/// "Now" on the database's clock, unix ms, per dialect.
fn now_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT",
        Backend::Sqlite => "CAST(unixepoch('subsec') * 1000 AS INTEGER)",
    }
}

impl Store {
    /// The database's clock, unix ms.
    pub async fn db_now_ms(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar(&format!("SELECT {}", now_sql(self.backend)))
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Claims for `holder`, for `ttl_ms`, up to `limit` customers marked running that nobody
    /// holds (no lease, or an expired one). Each claim raises the customer's term and is
    /// recorded in the lease history.
    pub async fn claim_leases(
        &self,
        holder: &str,
        ttl_ms: i64,
        limit: i64,
    ) -> Result<Vec<Lease>, StoreError> {
        self.claim(holder, ttl_ms, limit, None).await
    }

    /// Claims one customer's lease, if it is marked running and nobody holds it.
    pub async fn claim_lease_of(
        &self,
        holder: &str,
        ttl_ms: i64,
        customer_id: i64,
    ) -> Result<Option<Lease>, StoreError> {
        Ok(self
            .claim(holder, ttl_ms, 1, Some(customer_id))
            .await?
            .into_iter()
            .next())
    }

    async fn claim(
        &self,
        holder: &str,
        ttl_ms: i64,
        limit: i64,
        only: Option<i64>,
    ) -> Result<Vec<Lease>, StoreError> {
        let now = now_sql(self.backend);
        let lock = match self.backend {
            Backend::Postgres => "FOR NO KEY UPDATE OF c SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let only = match only {
            Some(id) => format!("AND c.id = {id}"),
            None => String::new(),
        };
        let sql = format!(
            "WITH t AS (SELECT {now} AS ms), \
             candidates AS (SELECT c.id FROM customers c \
               LEFT JOIN leases l ON l.customer_id = c.id \
               WHERE c.running = 1 {only} \
               AND (l.customer_id IS NULL OR l.expires_at <= (SELECT ms FROM t)) \
               ORDER BY c.id LIMIT $3 {lock}) \
             INSERT INTO leases (customer_id, holder, term, acquired_at, expires_at) \
             SELECT id, $1, 1, (SELECT ms FROM t), (SELECT ms FROM t) + $2 FROM candidates WHERE true \
             ON CONFLICT (customer_id) DO UPDATE SET holder = excluded.holder, \
               term = leases.term + 1, acquired_at = excluded.acquired_at, \
               expires_at = excluded.expires_at \
             WHERE leases.expires_at <= excluded.acquired_at \
             RETURNING customer_id, term, acquired_at, expires_at"
        );
        let mut tx = self.pool.begin().await?;
        let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(&sql)
            .bind(holder)
            .bind(ttl_ms)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        for (customer_id, term, acquired_at, _) in &rows {
            sqlx::query(
                "INSERT INTO lease_history (customer_id, holder, term, acquired_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(customer_id)
            .bind(holder)
            .bind(term)
            .bind(acquired_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        let mut leases: Vec<Lease> = rows
            .into_iter()
            .map(|(customer_id, term, _, expires_at)| Lease {
                customer_id,
                term,
                expires_at,
            })
            .collect();
        leases.sort_by_key(|l| l.customer_id);
        Ok(leases)
    }

    /// Renews `holder`'s leases for `ttl_ms` more; returns the ones renewed. A lease that
    /// expired, was taken over (another term) or given back is not renewed: it is lost. Nor is
    /// the lease of a customer no longer marked running (stopped from elsewhere): its holder
    /// finds it still held ([`Store::holds_lease`]) and stops the customer.
    pub async fn renew_leases(
        &self,
        holder: &str,
        held: &[Lease],
        ttl_ms: i64,
    ) -> Result<Vec<Lease>, StoreError> {
        if held.is_empty() {
            return Ok(Vec::new());
        }
        let now = now_sql(self.backend);
        let pairs = held
            .iter()
            .map(|l| format!("({}, {})", l.customer_id, l.term))
            .collect::<Vec<_>>()
            .join(", ");
        // One statement; on PostgreSQL the rows are locked in customer order first.
        let lock = match self.backend {
            Backend::Postgres => "ORDER BY l.customer_id FOR UPDATE OF l",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE leases SET expires_at = {now} + $1 WHERE customer_id IN ( \
               SELECT l.customer_id FROM leases l JOIN customers c ON c.id = l.customer_id \
               WHERE l.holder = $2 AND (l.customer_id, l.term) IN ({pairs}) \
               AND l.expires_at > {now} AND c.running = 1 {lock}) \
             RETURNING customer_id, term, expires_at"
        );
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(&sql)
            .bind(ttl_ms)
            .bind(holder)
            .fetch_all(&self.pool)
            .await?;
        let mut renewed: Vec<Lease> = rows
            .into_iter()
            .map(|(customer_id, term, expires_at)| Lease {
                customer_id,
                term,
                expires_at,
            })
            .collect();
        renewed.sort_by_key(|l| l.customer_id);
        Ok(renewed)
    }

    /// Gives a lease back (a customer stopped, an engine shutting down): it expires at once,
    /// and its row stays, so the next holder's term is higher still. `false` when it was not
    /// held at that term any more.
    pub async fn release_lease(&self, holder: &str, lease: &Lease) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE leases SET expires_at = 0 WHERE holder = $1 AND customer_id = $2 \
             AND term = $3 AND expires_at > {}",
            now_sql(self.backend)
        );
        Ok(sqlx::query(&sql)
            .bind(holder)
            .bind(lease.customer_id)
            .bind(lease.term)
            .execute(&self.pool)
            .await?
            .rows_affected()
            > 0)
    }

    /// The fencing check: `holder` holds the customer at this term, unexpired by the
    /// database's clock.
    pub async fn holds_lease(&self, holder: &str, lease: &Lease) -> Result<bool, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) FROM leases WHERE holder = $1 AND customer_id = $2 AND term = $3 \
             AND expires_at > {}",
            now_sql(self.backend)
        );
        let n: i64 = sqlx::query_scalar(&sql)
            .bind(holder)
            .bind(lease.customer_id)
            .bind(lease.term)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Every acquisition of the customer's lease: (holder, term, acquired at), in term order.
    pub async fn lease_history(
        &self,
        customer_id: i64,
    ) -> Result<Vec<(String, i64, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT holder, term, acquired_at FROM lease_history WHERE customer_id = $1 \
             ORDER BY term",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Whether anyone holds the customer's lease (unexpired).
    pub async fn lease_active(&self, customer_id: i64) -> Result<bool, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) FROM leases WHERE customer_id = $1 AND expires_at > {}",
            now_sql(self.backend)
        );
        let n: i64 = sqlx::query_scalar(&sql)
            .bind(customer_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Notes that `holder` is alive (database clock) and returns how many engines were seen
    /// within the last `ttl_ms`, this one included.
    pub async fn engine_heartbeat(&self, holder: &str, ttl_ms: i64) -> Result<i64, StoreError> {
        let now = now_sql(self.backend);
        sqlx::query(&format!(
            "INSERT INTO engines (holder, seen_at) VALUES ($1, {now}) \
             ON CONFLICT (holder) DO UPDATE SET seen_at = excluded.seen_at"
        ))
        .bind(holder)
        .execute(&self.pool)
        .await?;
        Ok(sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM engines WHERE seen_at > {now} - $1"
        ))
        .bind(ttl_ms)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Forgets an engine that stopped (it no longer counts among the live ones).
    pub async fn engine_gone(&self, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM engines WHERE holder = $1")
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// How many customers are marked running.
    pub async fn running_count(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE running = 1")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Every post logged under a lease, with its term, in log order. For audits (the soak,
    /// the multi-engine tests).
    pub async fn posts_with_terms(&self) -> Result<Vec<TermedPost>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT customer_id, cycle_seq, account_id, group_id, term, outcome, sent_at, lateness_us \
             FROM posts WHERE term IS NOT NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
