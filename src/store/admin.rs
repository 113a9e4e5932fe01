//! The SQL behind the admin commands, payments and plan reminders: the customer list and
//! fleet statistics, payments recorded once per Telegram charge id (with the plan they grant,
//! in the same transaction), and which plans are due a reminder before they expire.

use sqlx::FromRow;

use super::{PlanGrant, Store, StoreError};
use crate::schedule::{self, Plan};

/// One line of the admin's customer list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerSummary {
    pub id: i64,
    pub language: Option<String>,
    pub running: bool,
    pub plan: Option<PlanGrant>,
    pub accounts: i64,
    pub groups: i64,
}

#[derive(FromRow)]
struct SummarySql {
    id: i64,
    language: Option<String>,
    telegram_language: Option<String>,
    running: i64,
    plan: Option<String>,
    expires_at: Option<i64>,
    accounts: i64,
    groups: i64,
}

/// The fleet at a glance, for /stats.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FleetStats {
    pub customers: i64,
    /// Customers marked running.
    pub running: i64,
    /// (status, count), by status name.
    pub accounts: Vec<(String, i64)>,
    /// (outcome, count) of the post log since the given instant, by outcome name.
    pub posts: Vec<(String, i64)>,
    /// Payments ever, and the Stars they brought.
    pub payments: i64,
    pub stars: i64,
}

/// A successful payment as Telegram reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPayment {
    /// `telegram_payment_charge_id`: unique per payment.
    pub charge_id: String,
    pub provider_charge_id: Option<String>,
    pub customer_id: i64,
    pub stars: i64,
    /// What the invoice sold: the plan and its days; `None` when the payment does not match
    /// an invoice of ours (it is recorded all the same).
    pub grant: Option<(Plan, u32)>,
    /// The invoice payload Telegram reported: the grant needs an approval of it
    /// ([`Store::approve_checkout`]).
    pub payload: String,
    pub paid_at: i64,
}

/// How long an approval given at Telegram's pre-checkout query waits for its payment (Telegram
/// completes a payment within seconds of the answer).
pub const CHECKOUT_VALID_MS: i64 = 60 * 60 * 1000;

/// What recording a payment did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentRecorded {
    /// First delivery: recorded, and the plan is now this.
    Granted(PlanGrant),
    /// First delivery of a payment that grants nothing: recorded for the admins.
    Unmatched,
    /// First delivery of a payment for one of our invoices that the bot did not approve at
    /// pre-checkout (or whose approval another payment used, or that came too late): recorded
    /// for the admins, nothing granted.
    Unapproved,
    /// This charge id was recorded before: nothing changed.
    Duplicate,
}

fn plan_grant(
    plan: Option<String>,
    expires_at: Option<i64>,
) -> Result<Option<PlanGrant>, StoreError> {
    match plan {
        None => Ok(None),
        Some(name) => Ok(Some(PlanGrant {
            plan: Plan::parse(&name).ok_or_else(|| StoreError::UnknownPlan(name.clone()))?,
            expires_at,
        })),
    }
}

impl Store {
    /// How many customers have talked to the bot.
    pub async fn count_customers(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM customers")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Customers by id, `limit` from `offset`.
    pub async fn customers_page(
        &self,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<CustomerSummary>, StoreError> {
        let rows: Vec<SummarySql> = sqlx::query_as(
            "SELECT c.id, c.language, c.telegram_language, c.running, p.plan, p.expires_at, \
             (SELECT COUNT(*) FROM accounts a WHERE a.customer_id = c.id) AS accounts, \
             (SELECT COUNT(*) FROM chat_groups g WHERE g.customer_id = c.id) AS groups \
             FROM customers c LEFT JOIN plans p ON p.customer_id = c.id \
             ORDER BY c.id LIMIT $1 OFFSET $2",
        )
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(CustomerSummary {
                    id: r.id,
                    language: r.language.or(r.telegram_language),
                    running: r.running != 0,
                    plan: plan_grant(r.plan, r.expires_at)?,
                    accounts: r.accounts,
                    groups: r.groups,
                })
            })
            .collect()
    }

    /// Customers, accounts by health, the post log's outcomes since `since_ms` (read from the
    /// oldest cycle still running since then; the log has no time index), payments.
    pub async fn fleet_stats(&self, since_ms: i64) -> Result<FleetStats, StoreError> {
        let (customers, running): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(running), 0) AS BIGINT) FROM customers",
        )
        .fetch_one(&self.pool)
        .await?;
        let accounts: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM accounts GROUP BY status ORDER BY status")
                .fetch_all(&self.pool)
                .await?;
        // Only the log's newest rows are read: a post due since then belongs to a cycle still
        // running then, and comes after that cycle's log_from (the id is the log's order).
        let posts: Vec<(String, i64)> = sqlx::query_as(
            "SELECT outcome, COUNT(*) FROM posts WHERE id > (SELECT \
             COALESCE(MIN(COALESCE(log_from, 0)), 0) FROM cycles \
             WHERE ended_at IS NULL OR ended_at >= $1) \
             AND target_at >= $1 GROUP BY outcome ORDER BY outcome",
        )
        .bind(since_ms)
        .fetch_all(&self.pool)
        .await?;
        let (payments, stars): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(stars), 0) AS BIGINT) FROM payments",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(FleetStats {
            customers,
            running,
            accounts,
            posts,
            payments,
            stars,
        })
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(())
    }

    /// Flood waits and slow-mode waits still in force at `now_ms`.
    pub async fn waits_in_force(&self, now_ms: i64) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM account_waits WHERE until_at > $1) \
             + (SELECT COUNT(*) FROM pair_waits WHERE until_at > $1)",
        )
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await?)
    }

    /// The customer's plan now.
    pub async fn plan_of(&self, customer_id: i64) -> Result<Option<PlanGrant>, StoreError> {
        let row: Option<(String, Option<i64>)> =
            sqlx::query_as("SELECT plan, expires_at FROM plans WHERE customer_id = $1")
                .bind(customer_id)
                .fetch_optional(&self.pool)
                .await?;
        match row {
            None => Ok(None),
            Some((plan, expires_at)) => plan_grant(Some(plan), expires_at),
        }
    }

    /// Records a successful payment and grants what it bought ([`schedule::extend`]), in
    /// one transaction and once per charge id: a second delivery of the same payment
    /// changes nothing.
    /// Notes that the bot let Telegram take the payment for `payload` (`stars`) from the
    /// customer: what [`Store::record_payment`] grants against.
    pub async fn approve_checkout(
        &self,
        customer_id: i64,
        payload: &str,
        stars: i64,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO checkouts (customer_id, payload, stars, approved_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(customer_id)
        .bind(payload)
        .bind(stars)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a successful payment once per charge id and, when it pays for an invoice of
    /// ours that the bot approved at pre-checkout (same customer, payload and amount, within
    /// [`CHECKOUT_VALID_MS`], not used by another payment), grants or extends the plan in the
    /// same transaction.
    pub async fn record_payment(&self, p: &NewPayment) -> Result<PaymentRecorded, StoreError> {
        self.require_customer(p.customer_id).await?;
        let mut tx = self.pool.begin().await?;
        if self.backend == super::Backend::Postgres {
            // Payments and grants of one customer one at a time: the plan read below is the
            // plan the grant replaces (SQLite has one writer at a time anyway).
            sqlx::query("SELECT id FROM customers WHERE id = $1 FOR UPDATE")
                .bind(p.customer_id)
                .execute(&mut *tx)
                .await?;
        }
        // The newest unused approval of this invoice for this customer, if any.
        let approval: Option<i64> = match p.grant {
            None => None,
            Some(_) => {
                sqlx::query_scalar(
                    "SELECT id FROM checkouts WHERE customer_id = $1 AND payload = $2 \
                     AND stars = $3 AND charge_id IS NULL AND approved_at >= $4 \
                     AND approved_at <= $5 ORDER BY approved_at DESC, id DESC LIMIT 1",
                )
                .bind(p.customer_id)
                .bind(&p.payload)
                .bind(p.stars)
                .bind(p.paid_at - CHECKOUT_VALID_MS)
                .bind(p.paid_at)
                .fetch_optional(&mut *tx)
                .await?
            }
        };
        let grant = p.grant.filter(|_| approval.is_some());
        let inserted = sqlx::query(
            "INSERT INTO payments (charge_id, provider_charge_id, customer_id, plan, days, stars, \
             paid_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (charge_id) DO NOTHING",
        )
        .bind(&p.charge_id)
        .bind(&p.provider_charge_id)
        .bind(p.customer_id)
        .bind(grant.map(|(plan, _)| plan.as_str()))
        .bind(grant.map(|(_, days)| i64::from(days)))
        .bind(p.stars)
        .bind(p.paid_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            return Ok(PaymentRecorded::Duplicate);
        }
        let (Some((bought, days)), Some(approval)) = (grant, approval) else {
            tx.commit().await?;
            return Ok(match p.grant {
                None => PaymentRecorded::Unmatched,
                Some(_) => PaymentRecorded::Unapproved,
            });
        };
        sqlx::query("UPDATE checkouts SET charge_id = $1 WHERE id = $2")
            .bind(&p.charge_id)
            .bind(approval)
            .execute(&mut *tx)
            .await?;
        let current: Option<(String, Option<i64>)> =
            sqlx::query_as("SELECT plan, expires_at FROM plans WHERE customer_id = $1")
                .bind(p.customer_id)
                .fetch_optional(&mut *tx)
                .await?;
        let current = match current {
            Some((name, expires_at)) => plan_grant(Some(name), expires_at)?,
            None => None,
        };
        let (plan, expires_at) = schedule::extend(
            current.map(|g| (g.plan, g.expires_at)),
            bought,
            days,
            p.paid_at,
        );
        sqlx::query(
            "INSERT INTO plans (customer_id, plan, expires_at, granted_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (customer_id) DO UPDATE SET plan = excluded.plan, \
             expires_at = excluded.expires_at, granted_at = excluded.granted_at",
        )
        .bind(p.customer_id)
        .bind(plan.as_str())
        .bind(expires_at)
        .bind(p.paid_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(PaymentRecorded::Granted(PlanGrant { plan, expires_at }))
    }

    /// Plans expiring after `now_ms` and at most `ahead_ms` later whose customer was not yet
    /// reminded of that expiry.
    pub async fn due_reminders(
        &self,
        now_ms: i64,
        ahead_ms: i64,
    ) -> Result<Vec<(i64, PlanGrant)>, StoreError> {
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT customer_id, plan, expires_at FROM plans WHERE expires_at > $1 \
             AND expires_at <= $2 AND (reminded_for IS NULL OR reminded_for <> expires_at) \
             ORDER BY expires_at, customer_id",
        )
        .bind(now_ms)
        .bind(now_ms.saturating_add(ahead_ms))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, plan, at)| {
                let grant = plan_grant(Some(plan), Some(at))?.expect("a plan was given");
                Ok((id, grant))
            })
            .collect()
    }

    /// The earliest expiry after `now_ms` not yet reminded of.
    pub async fn next_unreminded_expiry(&self, now_ms: i64) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(expires_at) FROM plans WHERE expires_at > $1 \
             AND (reminded_for IS NULL OR reminded_for <> expires_at)",
        )
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Notes that the customer was reminded of this expiry (a renewal since then moved it,
    /// and then nothing is noted: the new expiry gets its own reminder).
    pub async fn mark_reminded(&self, customer_id: i64, expires_at: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE plans SET reminded_for = expires_at WHERE customer_id = $1 AND expires_at = $2",
        )
        .bind(customer_id)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
