//! The Telegram seam: the few calls the engine needs from a Telegram user account, and the
//! typed outcome of a post, and the login of an account ([`login::Login`]). Implementations:
//! [`sim::SimTransport`] (configurable latency, injectable outcomes; used by the demo, the
//! fleet benchmark and the tests) and [`login::SimLogin`] (Telegram's test numbers). The
//! grammers implementation for real accounts plugs in behind the same traits.

pub mod groups;
pub mod import;
pub mod live;
pub mod login;
pub mod mtproto;
pub mod sim;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::schedule::OutcomeKind;

/// What to post, where and from which account.
#[derive(Clone, Debug)]
pub struct Post<'a> {
    pub account_id: i64,
    pub group_id: i64,
    /// The group as the customer gave it (@username, t.me link or numeric id).
    pub group_ref: &'a str,
    /// The message, HTML-formatted.
    pub html: &'a str,
    /// Chosen before the send and stored with the post, so that a retry is recognisably the
    /// same message (Telegram answers RANDOM_ID_DUPLICATE).
    pub random_id: i64,
    /// The request must not leave after this instant (the engine's lease on the customer is
    /// trusted until then); a transport that had to connect or look the group up first checks
    /// it again just before sending, and answers a network error instead of sending late.
    pub not_after: Option<tokio::time::Instant>,
}

/// Why a group refused a post from this account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupRefusal {
    /// CHAT_WRITE_FORBIDDEN, CHAT_RESTRICTED.
    WriteForbidden,
    /// USER_BANNED_IN_CHANNEL.
    Banned,
    /// CHANNEL_PRIVATE: the account is no longer a member.
    Private,
}

/// Why an account can't post any more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountLoss {
    /// AUTH_KEY_UNREGISTERED, SESSION_REVOKED, AUTH_KEY_DUPLICATED.
    Revoked,
    /// USER_DEACTIVATED, USER_DEACTIVATED_BAN.
    Deactivated,
}

/// The outcome of one post, as the engine needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// FLOOD_WAIT / FLOOD_PREMIUM_WAIT: the account must wait.
    FloodWait(Duration),
    /// SLOWMODE_WAIT: this account must wait before posting in this group again.
    SlowMode(Duration),
    /// The group refused the post.
    GroupRefused(GroupRefusal),
    /// The account is gone.
    AccountLost(AccountLoss),
    /// PEER_FLOOD: Telegram limits this account for spam reports.
    PeerFlood,
    /// The request may not have reached Telegram, or its answer was lost: the engine sends
    /// the slot again with the same random id (schedule::retry_after).
    Network(String),
    /// Telegram refused this post for its content or form (MESSAGE_TOO_LONG, …): the slot
    /// fails; nothing about the account or the group changes.
    Rejected(String),
    /// We cannot use the account (its stored session does not open with this server's key):
    /// its session ends for this cycle; the account itself is not blamed.
    Unavailable(String),
}

impl Outcome {
    /// A short stable name, stored in the post log and printed by the demo.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::FloodWait(_) => "flood_wait",
            Outcome::SlowMode(_) => "slow_mode",
            Outcome::GroupRefused(GroupRefusal::WriteForbidden) => "write_forbidden",
            Outcome::GroupRefused(GroupRefusal::Banned) => "banned",
            Outcome::GroupRefused(GroupRefusal::Private) => "channel_private",
            Outcome::AccountLost(AccountLoss::Revoked) => "account_revoked",
            Outcome::AccountLost(AccountLoss::Deactivated) => "account_deactivated",
            Outcome::PeerFlood => "peer_flood",
            Outcome::Network(_) => "network_error",
            Outcome::Rejected(_) => "rejected",
            Outcome::Unavailable(_) => "account_unavailable",
        }
    }

    /// Detail for the post log's error column; `None` for a sent post.
    pub fn error(&self) -> Option<String> {
        match self {
            Outcome::Sent => None,
            Outcome::FloodWait(d) | Outcome::SlowMode(d) => {
                Some(format!("{}: wait {} s", self.name(), d.as_secs()))
            }
            Outcome::Network(detail) => Some(format!("network_error: {detail}")),
            Outcome::Rejected(detail) => Some(format!("rejected: {detail}")),
            Outcome::Unavailable(detail) => Some(format!("account_unavailable: {detail}")),
            other => Some(other.name().to_string()),
        }
    }

    /// The classification the pure core decides on.
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Outcome::Sent => OutcomeKind::Sent,
            Outcome::FloodWait(d) => OutcomeKind::FloodWait(*d),
            Outcome::SlowMode(d) => OutcomeKind::SlowMode(*d),
            Outcome::GroupRefused(_) => OutcomeKind::GroupRefused,
            Outcome::AccountLost(_) | Outcome::PeerFlood => OutcomeKind::AccountStopped,
            Outcome::Network(_) => OutcomeKind::Transient,
            Outcome::Rejected(_) => OutcomeKind::Rejected,
            Outcome::Unavailable(_) => OutcomeKind::Unavailable,
        }
    }
}

/// A boxed future, so the seam can be used as `Arc<dyn Transport>`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the engine needs from Telegram. Implementations must not retry or sleep on Telegram's
/// waits themselves: the engine owns every wait.
pub trait Transport: Send + Sync + 'static {
    /// Posts `post.html` to the group from the account and reports what happened.
    fn send<'a>(&'a self, post: Post<'a>) -> BoxFuture<'a, Outcome>;

    /// The accounts have no more work in this process for a while (their customer stopped,
    /// they left the cycle, or the next cycle is far off): let go of whatever connects them.
    fn release<'a>(&'a self, _accounts: &'a [i64]) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// The accounts post again soon: connect them now, so that the first post of the cycle
    /// doesn't wait for a connection. Best effort; a failure here is the send's to report.
    fn prepare<'a>(&'a self, _accounts: &'a [i64]) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}
