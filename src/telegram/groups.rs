//! Groups as an account sees them: the part of the Telegram seam the Groups screen uses to
//! check a group before it is added (it exists, the account is a member and may write; slow
//! mode noted) and to list the account's own groups to pick from. [`SimGroups`] is the
//! simulated side: any well-formed reference checks out, and every account belongs to a few
//! demonstration groups.

use super::BoxFuture;

/// A group as one account reaches it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupInfo {
    /// How the customer's list names it: `@username`, or the Bot-API id.
    pub reference: String,
    pub title: String,
    /// The Bot-API dialog id (`-100…` for supergroups and channels).
    pub dialog_id: i64,
    /// The account's access hash for it (0 for basic groups).
    pub access_hash: i64,
    /// Slow mode: one message per this many seconds.
    pub slow_mode_secs: Option<u32>,
}

/// Why a group cannot be posted to from an account.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GroupProblem {
    #[error("no such group")]
    NotFound,
    #[error("not a group or channel")]
    NotAGroup,
    #[error("the account is not a member")]
    NotMember,
    #[error("the account may not write there")]
    CannotWrite,
    #[error("the account cannot be used right now")]
    AccountUnavailable,
    #[error("Telegram asks to wait {0} s")]
    FloodWait(u32),
    #[error("Telegram could not be reached")]
    Unavailable,
}

/// What the Groups screen needs from Telegram.
pub trait Groups: Send + Sync + 'static {
    /// Checks `reference` (`@username` or a numeric id) through the account.
    fn check<'a>(
        &'a self,
        account_id: i64,
        reference: &'a str,
    ) -> BoxFuture<'a, Result<GroupInfo, GroupProblem>>;

    /// The groups the account belongs to and may write in, to pick from.
    fn list<'a>(&'a self, account_id: i64) -> BoxFuture<'a, Result<Vec<GroupInfo>, GroupProblem>>;
}

/// Simulated groups: every well-formed reference checks out; each account is a member of
/// `@sim_group_1` … `@sim_group_5`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimGroups;

impl SimGroups {
    /// A stable made-up dialog id for a reference.
    fn dialog_id(reference: &str) -> i64 {
        if let Ok(id) = reference.parse::<i64>() {
            return id;
        }
        let hash = reference
            .bytes()
            .fold(1_469_598_103_934_665_603u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(1_099_511_628_211)
            });
        -1_000_000_000_000 - (hash % 1_000_000_000) as i64
    }

    fn info(reference: &str) -> GroupInfo {
        GroupInfo {
            reference: reference.to_string(),
            title: reference.trim_start_matches('@').to_string(),
            dialog_id: SimGroups::dialog_id(reference),
            access_hash: 0,
            slow_mode_secs: None,
        }
    }
}

impl Groups for SimGroups {
    fn check<'a>(
        &'a self,
        _account_id: i64,
        reference: &'a str,
    ) -> BoxFuture<'a, Result<GroupInfo, GroupProblem>> {
        Box::pin(async move { Ok(SimGroups::info(reference)) })
    }

    fn list<'a>(&'a self, _account_id: i64) -> BoxFuture<'a, Result<Vec<GroupInfo>, GroupProblem>> {
        Box::pin(async move {
            Ok((1..=5)
                .map(|i| SimGroups::info(&format!("@sim_group_{i}")))
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn simulated_groups_check_out_and_list_five() {
        let info = SimGroups.check(1, "@any_group").await.unwrap();
        assert_eq!(
            (info.reference.as_str(), info.title.as_str()),
            ("@any_group", "any_group")
        );
        assert!(info.dialog_id < -1_000_000_000_000);
        assert_eq!(
            SimGroups.check(1, "-1001234").await.unwrap().dialog_id,
            -1001234
        );
        let list = SimGroups.list(7).await.unwrap();
        assert_eq!(list.len(), 5);
        assert_eq!(list[0].reference, "@sim_group_1");
        assert_eq!(SimGroups.check(1, "@sim_group_1").await.unwrap(), list[0]);
    }
}
