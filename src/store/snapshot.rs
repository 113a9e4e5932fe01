//! The snapshot: everything one cycle needs (plan, settings, message, active accounts and
//! groups, the restrictions in force), read in one statement per dialect and validated.

use sqlx::FromRow;

use super::{
    Account, AccountStatus, Backend, Group, GroupStatus, PlanGrant, Store, StoreError,
    UnknownStatus,
};
use crate::schedule::content::{ForwardMode, ForwardSource, MediaItem, PostContent};
use crate::schedule::{CycleLength, DelayBetweenCycles, DelayBetweenPosts, Plan, Settings};

/// Everything one cycle needs, read in one go at the cycle's start.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub customer_id: i64,
    pub plan: Option<PlanGrant>,
    /// `None` until the customer saved timing settings.
    pub settings: Option<Settings>,
    /// The text, or the caption of a media post.
    pub message_html: Option<String>,
    /// A media post's files in order (kind, hash, size; never the bytes); empty for a text.
    pub items: Vec<MediaItem>,
    /// A post passed on from a source chat, and how (`None`: a text or media post).
    pub forward: Option<(ForwardSource, ForwardMode)>,
    /// The customer's posts go out without a notification sound.
    pub silent: bool,
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

/// The customer, plan and settings columns of a snapshot, read in one query.
#[derive(FromRow)]
struct HeadRow {
    plan: Option<String>,
    expires_at: Option<i64>,
    delay_between_posts_ms: Option<i64>,
    delay_between_cycles_ms: Option<i64>,
    cycle_length_ms: Option<i64>,
    message_html: Option<String>,
    forward_chat: Option<String>,
    forward_ids: Option<String>,
    forward_mode: Option<String>,
    post_key: Option<i64>,
    silent: i64,
    last_seq: i64,
    /// `[[id, label, status], …]`, active accounts by id.
    accounts: String,
    /// `[[id, reference, position, status, topic], …]`, active groups in posting order.
    groups: String,
    /// `[[account, until], …]`.
    account_waits: String,
    /// `[[account, group, until], …]`.
    pair_waits: String,
    /// `[[account, group], …]`.
    pair_blocks: String,
    /// `[[kind, sha256, size], …]`, the post's media in order.
    items: String,
}

/// The snapshot in one statement, SQLite dialect (aggregate ORDER BY needs SQLite 3.44).
const SNAPSHOT_SQLITE: &str = "SELECT p.plan, p.expires_at, s.delay_between_posts_ms, \
     s.delay_between_cycles_ms, s.cycle_length_ms, s.message_html, s.forward_chat, s.forward_ids, s.forward_mode, \
     c.post_key, c.silent, \
     (SELECT COALESCE(MAX(seq), 0) FROM cycles WHERE customer_id = c.id) AS last_seq, \
     (SELECT COALESCE(json_group_array(json_array(a.id, a.label, a.status) ORDER BY a.id), '[]') \
      FROM accounts a WHERE a.customer_id = c.id AND a.status = 'active') AS accounts, \
     (SELECT COALESCE(json_group_array(json_array(g.id, g.reference, g.position, g.status, g.topic_id) \
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
      AS pair_blocks, \
     (SELECT COALESCE(json_group_array(json_array(i.kind, i.sha256, m.size) ORDER BY i.position), '[]') \
      FROM post_items i JOIN media m ON m.sha256 = i.sha256 WHERE i.customer_id = c.id) AS items \
     FROM customers c LEFT JOIN plans p ON p.customer_id = c.id \
     LEFT JOIN settings s ON s.customer_id = c.id WHERE c.id = $1";

/// The snapshot in one statement, PostgreSQL dialect.
const SNAPSHOT_POSTGRES: &str = "SELECT p.plan, p.expires_at, s.delay_between_posts_ms, \
     s.delay_between_cycles_ms, s.cycle_length_ms, s.message_html, s.forward_chat, s.forward_ids, s.forward_mode, \
     c.post_key, c.silent, \
     (SELECT COALESCE(MAX(seq), 0) FROM cycles WHERE customer_id = c.id) AS last_seq, \
     (SELECT COALESCE(json_agg(json_build_array(a.id, a.label, a.status) ORDER BY a.id), '[]')::text \
      FROM accounts a WHERE a.customer_id = c.id AND a.status = 'active') AS accounts, \
     (SELECT COALESCE(json_agg(json_build_array(g.id, g.reference, g.position, g.status, g.topic_id) \
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
      AS pair_blocks, \
     (SELECT COALESCE(json_agg(json_build_array(i.kind, i.sha256, m.size) ORDER BY i.position), '[]')::text \
      FROM post_items i JOIN media m ON m.sha256 = i.sha256 WHERE i.customer_id = c.id) AS items \
     FROM customers c LEFT JOIN plans p ON p.customer_id = c.id \
     LEFT JOIN settings s ON s.customer_id = c.id WHERE c.id = $1";

impl Snapshot {
    /// The post as typed content (`None` before a message was saved); an error when the
    /// stored items don't make a post.
    pub fn content(&self) -> Result<Option<PostContent>, StoreError> {
        if let Some((source, mode)) = &self.forward {
            return Ok(Some(PostContent::Forward {
                source: source.clone(),
                mode: *mode,
            }));
        }
        super::media::content_of(self.message_html.clone(), self.items.clone())
    }
}

impl Store {
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
                None => return Err(StoreError::UnknownPlan(name)),
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
            |what: &'static str, cause: serde_json::Error| StoreError::Json { what, cause };
        let accounts: Vec<(i64, String, String)> =
            serde_json::from_str(&head.accounts).map_err(|e| invalid("accounts", e))?;
        let groups: Vec<(i64, String, i64, String, Option<i64>)> =
            serde_json::from_str(&head.groups).map_err(|e| invalid("groups", e))?;
        Ok(Some(Snapshot {
            customer_id,
            plan,
            settings,
            message_html: head.message_html,
            items: super::media::parse_items(&head.items)?,
            forward: super::media::forward_of(
                head.forward_chat,
                head.forward_ids.as_deref(),
                head.forward_mode.as_deref(),
            )?,
            silent: head.silent != 0,
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
                .map(|(id, reference, position, status, topic)| {
                    Ok(Group {
                        id,
                        reference,
                        position,
                        status: GroupStatus::try_from(status)?,
                        reason: None,
                        topic: topic.and_then(|t| i32::try_from(t).ok()),
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Settings;

    async fn started(store: &Store) {
        store.ensure_customer(7, None).await.unwrap();
        let grant = PlanGrant {
            plan: Plan::Starter,
            expires_at: None,
        };
        store.set_plan(7, grant).await.unwrap();
        let settings = Settings {
            delay_between_posts: DelayBetweenPosts::from_millis(5_000).unwrap(),
            delay_between_cycles: DelayBetweenCycles::from_millis(0).unwrap(),
            cycle_length: Some(CycleLength::from_millis(3_600_000).unwrap()),
        };
        store.save_settings(7, &settings).await.unwrap();
    }

    #[tokio::test]
    async fn a_stored_plan_no_build_writes_is_an_unknown_plan() {
        let store = Store::memory().await.unwrap();
        started(&store).await;
        // The schema's CHECK refuses it; a database written by another build need not have one.
        sqlx::query(
            "PRAGMA ignore_check_constraints = ON; \
             UPDATE plans SET plan = 'GOLD' WHERE customer_id = 7",
        )
        .execute(&store.pool)
        .await
        .unwrap();
        let err = store.snapshot(7).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::UnknownPlan(p) if p == "GOLD"),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_stored_delay_out_of_range_is_a_bad_setting() {
        let store = Store::memory().await.unwrap();
        started(&store).await;
        sqlx::query("UPDATE settings SET delay_between_posts_ms = -1 WHERE customer_id = 7")
            .execute(&store.pool)
            .await
            .unwrap();
        let err = store.snapshot(7).await.unwrap_err();
        assert!(matches!(err, StoreError::Setting(_)), "{err:?}");
    }
}
