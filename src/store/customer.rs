//! The SQL behind the control bot's screens: a customer's language and pending question, the
//! accounts and groups lists (every status, not only the active ones a cycle reads), pausing
//! and removing them, one timing field at a time, and the latest cycles with their per-group
//! report. Every change names the customer in its WHERE clause, so an id that belongs to
//! someone else changes nothing and reports `false`.

use sqlx::FromRow;

use super::{
    unix_ms_now, Account, CycleRow, Group, GroupTally, PlanGrant, Store, StoreError, UnknownStatus,
};
use crate::schedule::choice::{MediaBans, MediaChoice};
use crate::schedule::{CycleLength, DelayBetweenCycles, DelayBetweenPosts, Field, Plan, Settings};

/// A customer as the bot sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerRow {
    pub id: i64,
    /// The language chosen with /language; `None`: follow Telegram's.
    pub language: Option<String>,
    /// The language of the customer's Telegram app, as last seen.
    pub telegram_language: Option<String>,
    /// The customer asked the engine to post.
    pub running: bool,
    /// What the customer's next typed message answers (the bot's JSON); `None`: nothing.
    pub awaiting: Option<String>,
    pub plan: Option<PlanGrant>,
    /// The customer has a settings row (timing and message).
    pub has_settings: bool,
    /// The customer has seen the welcome.
    pub welcomed: bool,
    /// A broadcast found that the customer had blocked the bot.
    pub blocked_bot: bool,
}

/// An account's state as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountStatus {
    Active,
    /// The customer paused it.
    Paused,
    /// Telegram said stop (peer flood, revoked, deactivated): no posts until it is fixed.
    Quarantined,
}

impl AccountStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Paused => "paused",
            AccountStatus::Quarantined => "quarantined",
        }
    }

    pub fn parse(s: &str) -> Option<AccountStatus> {
        match s {
            "active" => Some(AccountStatus::Active),
            "paused" => Some(AccountStatus::Paused),
            "quarantined" => Some(AccountStatus::Quarantined),
            _ => None,
        }
    }
}

impl TryFrom<String> for AccountStatus {
    type Error = UnknownStatus;
    fn try_from(s: String) -> Result<AccountStatus, UnknownStatus> {
        AccountStatus::parse(&s).ok_or(UnknownStatus(s))
    }
}

/// A group's state as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupStatus {
    Active,
    Paused,
}

impl GroupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupStatus::Active => "active",
            GroupStatus::Paused => "paused",
        }
    }

    pub fn parse(s: &str) -> Option<GroupStatus> {
        match s {
            "active" => Some(GroupStatus::Active),
            "paused" => Some(GroupStatus::Paused),
            _ => None,
        }
    }
}

impl TryFrom<String> for GroupStatus {
    type Error = UnknownStatus;
    fn try_from(s: String) -> Result<GroupStatus, UnknownStatus> {
        GroupStatus::parse(&s).ok_or(UnknownStatus(s))
    }
}

/// The customer's timing settings and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timing {
    pub settings: Settings,
    pub message_html: Option<String>,
}

/// A group that refused one of the customer's accounts.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct PairBlock {
    pub account_id: i64,
    pub group_id: i64,
    /// An outcome name: `write_forbidden`, `banned`, `channel_private`, `media_forbidden`,
    /// `payment_required`, `topic_closed`, … (see `telegram::Outcome::name`).
    pub reason: String,
    pub at: i64,
    /// The Stars per message the group asked for (`payment_required`).
    pub stars: Option<i64>,
}

/// The latest cycle and the latest finished one, with its per-group report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LastCycle {
    /// The newest cycle, finished or not.
    pub current: Option<CycleRow>,
    /// The newest finished (done or stopped) cycle.
    pub finished: Option<CycleRow>,
    /// `finished`'s report per group, in posting order.
    pub groups: Vec<GroupTally>,
}

#[derive(FromRow)]
struct CustomerSql {
    id: i64,
    language: Option<String>,
    telegram_language: Option<String>,
    running: i64,
    awaiting: Option<String>,
    plan: Option<String>,
    expires_at: Option<i64>,
    has_settings: i64,
    welcomed: i64,
    blocked_bot: i64,
}

#[derive(FromRow)]
struct AccountSql {
    id: i64,
    label: String,
    #[sqlx(try_from = "String")]
    status: AccountStatus,
    status_reason: Option<String>,
}

#[derive(FromRow)]
struct GroupSql {
    id: i64,
    reference: String,
    position: i64,
    #[sqlx(try_from = "String")]
    status: GroupStatus,
    status_reason: Option<String>,
    topic_id: Option<i64>,
    media_choice: Option<String>,
    forum: i64,
    topic_title: Option<String>,
    media_bans: Option<String>,
}

/// A stored media choice; an unknown name is an error, never read as "none".
pub(super) fn media_choice(stored: Option<String>) -> Result<Option<MediaChoice>, UnknownStatus> {
    stored
        .map(|s| MediaChoice::parse(&s).ok_or(UnknownStatus(s)))
        .transpose()
}

/// Stored media bans; an unknown name is an error.
pub(super) fn media_bans(stored: Option<String>) -> Result<MediaBans, UnknownStatus> {
    match stored {
        None => Ok(MediaBans::NONE),
        Some(s) => MediaBans::parse(&s).ok_or(UnknownStatus(s)),
    }
}

#[derive(FromRow)]
struct TimingSql {
    delay_between_posts_ms: i64,
    delay_between_cycles_ms: i64,
    cycle_length_ms: Option<i64>,
    message_html: Option<String>,
}

#[derive(FromRow)]
struct CycleSql {
    #[sqlx(flatten)]
    row: CycleRow,
    report: Option<String>,
}

const CYCLE_COLUMNS: &str =
    "id, customer_id, seq, mode, started_at, ended_at, status, planned, sent, failed, skipped";

/// An update of the customer's own row: none updated means there is no such customer.
fn customer_updated(done: &sqlx::any::AnyQueryResult, id: i64) -> Result<(), StoreError> {
    match done.rows_affected() {
        0 => Err(StoreError::NoCustomer(id)),
        _ => Ok(()),
    }
}

impl Store {
    /// The customer, or `None` if they never started the bot.
    pub async fn customer(&self, id: i64) -> Result<Option<CustomerRow>, StoreError> {
        let row: Option<CustomerSql> = sqlx::query_as(
            "SELECT c.id, c.language, c.telegram_language, c.running, c.awaiting, c.welcomed, \
             c.blocked_bot, \
             p.plan, p.expires_at, \
             CASE WHEN s.customer_id IS NULL THEN 0 ELSE 1 END AS has_settings \
             FROM customers c LEFT JOIN plans p ON p.customer_id = c.id \
             LEFT JOIN settings s ON s.customer_id = c.id WHERE c.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let plan = match row.plan {
            None => None,
            Some(name) => Some(PlanGrant {
                plan: Plan::parse(&name).ok_or_else(|| StoreError::UnknownPlan(name.clone()))?,
                expires_at: row.expires_at,
            }),
        };
        Ok(Some(CustomerRow {
            id: row.id,
            language: row.language,
            telegram_language: row.telegram_language,
            running: row.running != 0,
            awaiting: row.awaiting,
            plan,
            has_settings: row.has_settings != 0,
            welcomed: row.welcomed != 0,
            blocked_bot: row.blocked_bot != 0,
        }))
    }

    /// Stores the language chosen with /language (`None`: follow Telegram's again).
    pub async fn set_language(&self, id: i64, language: Option<&str>) -> Result<(), StoreError> {
        self.update_customer(
            "UPDATE customers SET language = $1 WHERE id = $2",
            id,
            language,
        )
        .await
    }

    /// Records that the customer has seen the welcome.
    pub async fn set_welcomed(&self, id: i64) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE customers SET welcomed = 1 WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        customer_updated(&done, id)
    }

    /// Stores the language of the customer's Telegram app.
    pub async fn set_telegram_language(
        &self,
        id: i64,
        language: Option<&str>,
    ) -> Result<(), StoreError> {
        self.update_customer(
            "UPDATE customers SET telegram_language = $1 WHERE id = $2",
            id,
            language,
        )
        .await
    }

    /// Stores what the customer's next typed message answers (`None`: nothing).
    pub async fn set_awaiting(&self, id: i64, awaiting: Option<&str>) -> Result<(), StoreError> {
        self.update_customer(
            "UPDATE customers SET awaiting = $1 WHERE id = $2",
            id,
            awaiting,
        )
        .await
    }

    async fn update_customer(
        &self,
        sql: &'static str,
        id: i64,
        value: Option<&str>,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(sql)
            .bind(value.map(str::to_string))
            .bind(id)
            .execute(&self.pool)
            .await?;
        customer_updated(&done, id)
    }

    /// Saves `defaults` as the customer's timing unless they have settings already.
    pub async fn ensure_settings(&self, id: i64, defaults: &Settings) -> Result<(), StoreError> {
        self.require_customer(id).await?;
        sqlx::query(
            "INSERT INTO settings (customer_id, delay_between_posts_ms, delay_between_cycles_ms, \
             cycle_length_ms, message_html, updated_at) VALUES ($1, $2, $3, $4, NULL, $5) \
             ON CONFLICT (customer_id) DO NOTHING",
        )
        .bind(id)
        .bind(defaults.delay_between_posts.requested().as_millis() as i64)
        .bind(defaults.delay_between_cycles.get().as_millis() as i64)
        .bind(defaults.cycle_length.map(|c| c.get().as_millis() as i64))
        .bind(unix_ms_now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The customer's timing settings and message; `None` before [`Store::ensure_settings`].
    pub async fn timing(&self, id: i64) -> Result<Option<Timing>, StoreError> {
        let row: Option<TimingSql> = sqlx::query_as(
            "SELECT delay_between_posts_ms, delay_between_cycles_ms, cycle_length_ms, \
             message_html FROM settings WHERE customer_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(Timing {
            settings: Settings {
                delay_between_posts: DelayBetweenPosts::from_millis(row.delay_between_posts_ms)?,
                delay_between_cycles: DelayBetweenCycles::from_millis(row.delay_between_cycles_ms)?,
                cycle_length: row
                    .cycle_length_ms
                    .map(CycleLength::from_millis)
                    .transpose()?,
            },
            message_html: row.message_html,
        }))
    }

    /// Sets one timing field (a value already validated by [`crate::schedule`]), in ms.
    pub async fn set_timing_field(&self, id: i64, field: Field, ms: i64) -> Result<(), StoreError> {
        let sql = match field {
            Field::DelayBetweenPosts => {
                "UPDATE settings SET delay_between_posts_ms = $1, updated_at = $2 WHERE customer_id = $3"
            }
            Field::DelayBetweenCycles => {
                "UPDATE settings SET delay_between_cycles_ms = $1, updated_at = $2 WHERE customer_id = $3"
            }
            Field::CycleMinutes => {
                "UPDATE settings SET cycle_length_ms = $1, updated_at = $2 WHERE customer_id = $3"
            }
        };
        let done = sqlx::query(sql)
            .bind(ms)
            .bind(unix_ms_now())
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NoCustomer(id));
        }
        Ok(())
    }

    /// Every account of the customer, whatever its status, oldest first.
    pub async fn accounts(&self, customer_id: i64) -> Result<Vec<Account>, StoreError> {
        let rows: Vec<AccountSql> = sqlx::query_as(
            "SELECT id, label, status, status_reason FROM accounts WHERE customer_id = $1 \
             ORDER BY id",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Account {
                id: r.id,
                label: r.label,
                status: r.status,
                reason: r.status_reason,
            })
            .collect())
    }

    /// Every group of the customer, whatever its status, in posting order.
    pub async fn groups(&self, customer_id: i64) -> Result<Vec<Group>, StoreError> {
        let rows: Vec<GroupSql> = sqlx::query_as(
            "SELECT id, reference, position, status, status_reason, topic_id, media_choice, \
             forum, topic_title, media_bans FROM chat_groups \
             WHERE customer_id = $1 ORDER BY position, id",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Group {
                    id: r.id,
                    reference: r.reference,
                    position: r.position,
                    status: r.status,
                    reason: r.status_reason,
                    topic: r.topic_id.and_then(|t| i32::try_from(t).ok()),
                    media_choice: media_choice(r.media_choice)?,
                    forum: r.forum != 0,
                    topic_title: r.topic_title,
                    media_bans: media_bans(r.media_bans)?,
                })
            })
            .collect()
    }

    /// Records what the group is as Telegram described it when it was checked: a forum or
    /// not, and what its default rights forbid; `false` if it is none of the customer's.
    pub async fn set_group_kind(
        &self,
        customer_id: i64,
        group_id: i64,
        forum: bool,
        bans: MediaBans,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE chat_groups SET forum = $1, media_bans = $2 WHERE id = $3 AND customer_id = $4",
        )
        .bind(i64::from(forum))
        .bind(bans.stored())
        .bind(group_id)
        .bind(customer_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets the forum topic posts go into and its title as shown (`None`: the main chat);
    /// `false` if the group is none of the customer's.
    pub async fn set_group_topic_titled(
        &self,
        customer_id: i64,
        group_id: i64,
        topic: Option<(i32, &str)>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE chat_groups SET topic_id = $1, topic_title = $2 \
             WHERE id = $3 AND customer_id = $4",
        )
        .bind(topic.map(|(id, _)| i64::from(id)))
        .bind(topic.map(|(_, title)| title.to_string()))
        .bind(group_id)
        .bind(customer_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Lifts the group's refusals of these reasons (outcome names) for every account: the
    /// customer answered them (a new topic answers `topic_closed` and `topic_deleted`).
    /// Returns how many were lifted; none for a group that is not the customer's.
    pub async fn lift_refusals(
        &self,
        customer_id: i64,
        group_id: i64,
        reasons: &[&str],
    ) -> Result<u64, StoreError> {
        let mut lifted = 0;
        for reason in reasons {
            let done = sqlx::query(
                "DELETE FROM pair_blocks WHERE group_id = $1 AND reason = $2 AND group_id IN \
                 (SELECT id FROM chat_groups WHERE customer_id = $3)",
            )
            .bind(group_id)
            .bind(reason.to_string())
            .bind(customer_id)
            .execute(&self.pool)
            .await?;
            lifted += done.rows_affected();
        }
        Ok(lifted)
    }

    /// Sets what a media post does in the group (`None`: posted as it is) and lifts the
    /// group's refusals of media and albums for every account (the choice answers them);
    /// other refusals stay. `false` if the group is none of the customer's.
    pub async fn set_media_choice(
        &self,
        customer_id: i64,
        group_id: i64,
        choice: Option<MediaChoice>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE chat_groups SET media_choice = $1 WHERE id = $2 AND customer_id = $3",
        )
        .bind(choice.map(|c| c.as_str().to_string()))
        .bind(group_id)
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        let mut lift = sqlx::query(
            "DELETE FROM pair_blocks WHERE group_id = $1 AND reason IN ($2, $3, $4, $5, $6, $7)",
        )
        .bind(group_id);
        for name in crate::schedule::choice::ANSWERED {
            lift = lift.bind(name.to_string());
        }
        lift.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Sets the forum topic the group's posts go into (`None`: the main chat) if the group
    /// belongs to the customer; `false` if it does not.
    pub async fn set_group_topic(
        &self,
        customer_id: i64,
        group_id: i64,
        topic: Option<i32>,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE chat_groups SET topic_id = $1 WHERE id = $2 AND customer_id = $3")
                .bind(topic.map(i64::from))
                .bind(group_id)
                .bind(customer_id)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Whether the customer's posts go out without a notification sound.
    pub async fn silent(&self, id: i64) -> Result<bool, StoreError> {
        let silent: Option<i64> = sqlx::query_scalar("SELECT silent FROM customers WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        silent.map(|s| s != 0).ok_or(StoreError::NoCustomer(id))
    }

    /// Sets whether the customer's posts go out without a notification sound.
    pub async fn set_silent(&self, id: i64, silent: bool) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE customers SET silent = $1 WHERE id = $2")
            .bind(i64::from(silent))
            .bind(id)
            .execute(&self.pool)
            .await?;
        customer_updated(&done, id)
    }

    /// Sets the account's status if it belongs to the customer; `false` if it does not.
    pub async fn set_account_status(
        &self,
        customer_id: i64,
        account_id: i64,
        status: AccountStatus,
        reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.set_owned_status(
            "UPDATE accounts SET status = $1, status_reason = $2 WHERE id = $3 AND customer_id = $4",
            (status.as_str(), reason),
            account_id,
            customer_id,
        )
        .await
    }

    /// Removes the account if it belongs to the customer; `false` if it does not.
    pub async fn remove_account(
        &self,
        customer_id: i64,
        account_id: i64,
    ) -> Result<bool, StoreError> {
        self.remove_owned(
            "DELETE FROM accounts WHERE id = $1 AND customer_id = $2",
            account_id,
            customer_id,
        )
        .await
    }

    /// Sets the group's status if it belongs to the customer; `false` if it does not.
    pub async fn set_group_status(
        &self,
        customer_id: i64,
        group_id: i64,
        status: GroupStatus,
        reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.set_owned_status(
            "UPDATE chat_groups SET status = $1, status_reason = $2 WHERE id = $3 AND customer_id = $4",
            (status.as_str(), reason),
            group_id,
            customer_id,
        )
        .await
    }

    /// Removes the group if it belongs to the customer; `false` if it does not.
    pub async fn remove_group(&self, customer_id: i64, group_id: i64) -> Result<bool, StoreError> {
        self.remove_owned(
            "DELETE FROM chat_groups WHERE id = $1 AND customer_id = $2",
            group_id,
            customer_id,
        )
        .await
    }

    /// Runs a status UPDATE whose WHERE names both the row and its customer.
    async fn set_owned_status(
        &self,
        sql: &'static str,
        (status, reason): (&str, Option<&str>),
        id: i64,
        customer_id: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(sql)
            .bind(status.to_string())
            .bind(reason.map(str::to_string))
            .bind(id)
            .bind(customer_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Runs a DELETE whose WHERE names both the row and its customer.
    async fn remove_owned(
        &self,
        sql: &'static str,
        id: i64,
        customer_id: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(sql)
            .bind(id)
            .bind(customer_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Flood waits of the customer's accounts: (account, until unix ms), soonest first.
    pub async fn account_waits(&self, customer_id: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT w.account_id, w.until_at FROM account_waits w \
             JOIN accounts a ON a.id = w.account_id WHERE a.customer_id = $1 ORDER BY w.until_at",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Slow-mode waits of the customer's accounts: (account, group, until unix ms).
    pub async fn pair_waits(&self, customer_id: i64) -> Result<Vec<(i64, i64, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT w.account_id, w.group_id, w.until_at FROM pair_waits w \
             JOIN accounts a ON a.id = w.account_id WHERE a.customer_id = $1 \
             ORDER BY w.group_id, w.account_id",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Groups that refused one of the customer's accounts.
    pub async fn pair_blocks(&self, customer_id: i64) -> Result<Vec<PairBlock>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT b.account_id, b.group_id, b.reason, b.at, b.stars FROM pair_blocks b \
             JOIN accounts a ON a.id = b.account_id WHERE a.customer_id = $1 \
             ORDER BY b.group_id, b.account_id",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Lifts the refusals recorded for the customer's group (the customer fixed them and
    /// resumed the group); returns how many were lifted.
    pub async fn clear_pair_blocks(
        &self,
        customer_id: i64,
        group_id: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM pair_blocks WHERE group_id = $1 AND group_id IN \
             (SELECT id FROM chat_groups WHERE customer_id = $2)",
        )
        .bind(group_id)
        .bind(customer_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Stores an account's sealed session (replacing the previous one).
    pub async fn save_session(
        &self,
        account_id: i64,
        sealed: &crate::vault::Sealed,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO account_sessions (account_id, key_version, nonce, ciphertext, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id) DO UPDATE SET \
             key_version = excluded.key_version, nonce = excluded.nonce, \
             ciphertext = excluded.ciphertext, updated_at = excluded.updated_at",
        )
        .bind(account_id)
        .bind(sealed.key_version)
        .bind(sealed.nonce.clone())
        .bind(sealed.ciphertext.clone())
        .bind(unix_ms_now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records how an account reaches a group (after checking it through the account).
    pub async fn save_group_peer(
        &self,
        account_id: i64,
        group_id: i64,
        dialog_id: i64,
        access_hash: i64,
        slow_mode_secs: Option<u32>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO account_group_peers (account_id, group_id, dialog_id, access_hash, \
             slow_mode_secs, checked_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (account_id, group_id) DO UPDATE SET dialog_id = excluded.dialog_id, \
             access_hash = excluded.access_hash, slow_mode_secs = excluded.slow_mode_secs, \
             checked_at = excluded.checked_at",
        )
        .bind(account_id)
        .bind(group_id)
        .bind(dialog_id)
        .bind(access_hash)
        .bind(slow_mode_secs.map(i64::from))
        .bind(unix_ms_now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The customer's groups in slow mode for one of their accounts, as seen when each group
    /// was checked: (group, the longest interval in seconds), by group id.
    pub async fn slow_groups(&self, customer_id: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT p.group_id, MAX(p.slow_mode_secs) FROM account_group_peers p \
             JOIN chat_groups g ON g.id = p.group_id \
             WHERE g.customer_id = $1 AND p.slow_mode_secs IS NOT NULL \
             GROUP BY p.group_id ORDER BY p.group_id",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// How the account reaches the group: (dialog id, access hash), if it was checked.
    pub async fn group_peer(
        &self,
        account_id: i64,
        group_id: i64,
    ) -> Result<Option<(i64, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT dialog_id, access_hash FROM account_group_peers \
             WHERE account_id = $1 AND group_id = $2",
        )
        .bind(account_id)
        .bind(group_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Each key version the stored sessions are sealed under, with one account sealed under
    /// it (the lowest id), to check at start that the configured keys open what is stored.
    pub async fn session_key_versions(&self) -> Result<Vec<(i64, i64)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT key_version, MIN(account_id) FROM account_sessions \
             GROUP BY key_version ORDER BY key_version",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The accounts that have a stored session, in id order.
    pub async fn session_accounts(&self) -> Result<Vec<i64>, StoreError> {
        let rows: Vec<(i64,)> =
            sqlx::query_as("SELECT account_id FROM account_sessions ORDER BY account_id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Replaces an account's sealed session with `new` only if it is still `old` (same
    /// version and nonce), so a re-seal never overwrites a session written meanwhile.
    /// Returns whether it was replaced.
    pub async fn replace_session(
        &self,
        account_id: i64,
        old: &crate::vault::Sealed,
        new: &crate::vault::Sealed,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE account_sessions SET key_version = $1, nonce = $2, ciphertext = $3, \
             updated_at = $4 WHERE account_id = $5 AND key_version = $6 AND nonce = $7",
        )
        .bind(new.key_version)
        .bind(new.nonce.clone())
        .bind(new.ciphertext.clone())
        .bind(unix_ms_now())
        .bind(account_id)
        .bind(old.key_version)
        .bind(old.nonce.clone())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// An account's sealed session, if it has one.
    pub async fn load_session(
        &self,
        account_id: i64,
    ) -> Result<Option<crate::vault::Sealed>, StoreError> {
        let row: Option<(i64, Vec<u8>, Vec<u8>)> = sqlx::query_as(
            "SELECT key_version, nonce, ciphertext FROM account_sessions WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(
            row.map(|(key_version, nonce, ciphertext)| crate::vault::Sealed {
                key_version,
                nonce,
                ciphertext,
            }),
        )
    }

    /// The customer's newest cycle and newest finished cycle with its per-group report.
    pub async fn last_cycles(&self, customer_id: i64) -> Result<LastCycle, StoreError> {
        let rows: Vec<CycleSql> = sqlx::query_as(&format!(
            "SELECT {CYCLE_COLUMNS}, report FROM cycles WHERE customer_id = $1 \
             ORDER BY seq DESC LIMIT 2"
        ))
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?;
        let mut last = LastCycle {
            current: rows.first().map(|r| r.row.clone()),
            ..LastCycle::default()
        };
        if let Some(done) = rows
            .into_iter()
            .find(|r| r.row.status != super::CycleStatus::Running)
        {
            last.groups = match &done.report {
                Some(json) => serde_json::from_str(json).map_err(|cause| StoreError::Json {
                    what: "cycle report",
                    cause,
                })?,
                None => Vec::new(),
            };
            last.finished = Some(done.row);
        }
        Ok(last)
    }

    /// Records whether the account has Telegram Premium (as Telegram said at its login or
    /// import): only a Premium account may send a caption over 1024 characters. Scoped to the
    /// customer; `false` when no such account of theirs exists.
    pub async fn set_account_premium(
        &self,
        customer_id: i64,
        account_id: i64,
        premium: bool,
    ) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE accounts SET premium = $1 WHERE id = $2 AND customer_id = $3")
                .bind(i64::from(premium))
                .bind(account_id)
                .bind(customer_id)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The ids of the customer's accounts that have Telegram Premium.
    pub async fn premium_accounts(&self, customer_id: i64) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM accounts WHERE customer_id = $1 AND premium <> 0 ORDER BY id",
        )
        .bind(customer_id)
        .fetch_all(&self.pool)
        .await?)
    }
}
