//! How a cycle went, as the worker hands it back to the customer's loop and the observer:
//! [`CycleReport`] and its [`SessionSpan`]s, made from the finished pure cycle in instants.

use std::time::Duration;

use tokio::time::Instant;

use super::setup::CycleCtx;
use crate::schedule::cycle::{Cycle, PlanExpiry};
use crate::schedule::Mode;
use crate::store::CycleTally;

/// When one session ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionSpan {
    pub account_id: i64,
    pub start: Instant,
    pub end: Instant,
}

/// How a cycle went.
#[derive(Clone, Debug)]
pub struct CycleReport {
    /// The cycle's number within the customer.
    pub seq: i64,
    pub mode: Mode,
    pub start: Instant,
    /// When the last session ended (its last post's delay included).
    pub ended: Instant,
    /// False when a stop, a shutdown or the plan's expiry cut the cycle short. (A resumed
    /// cycle closed as too old, its rest skipped as `engine_down`, is complete.)
    pub completed: bool,
    pub tally: CycleTally,
    /// The settings' delay between cycles, as read at this cycle's start.
    pub delay_between_cycles: Duration,
    pub max_lateness: Duration,
    /// One per account, in account order.
    pub sessions: Vec<SessionSpan>,
    /// The floor warning, when the delay between posts was raised.
    pub warning: Option<String>,
    /// Set when the plan expired during the cycle, which stopped it there (unix ms).
    pub expired_at: Option<i64>,
    /// The plan's expiry as last known (unix ms; `None`: no expiry).
    pub plan_expires_at: Option<i64>,
    /// The customer's lease lapsed during the cycle: it stopped before sending anything more
    /// and stays open for the engine that takes the customer over.
    pub lease_lost: bool,
}

/// What the report takes from the cycle's set-up: the settings as read at its start.
pub(super) struct Read {
    pub mode: Mode,
    pub delay_between_cycles: Duration,
    /// The floor warning, when the delay between posts was raised.
    pub warning: Option<String>,
}

impl CycleReport {
    /// The report of a cycle that is over now (its unfinished sessions end now).
    pub(super) fn of(
        cycle: &mut Cycle,
        ctx: &CycleCtx,
        read: Read,
        expiry: &PlanExpiry,
    ) -> CycleReport {
        let Read {
            mode,
            delay_between_cycles,
            warning,
        } = read;
        let start = ctx.start;
        let sessions: Vec<SessionSpan> = (cycle.finish(ctx.since(Instant::now())).into_iter())
            .map(|(account_id, from, to)| SessionSpan {
                account_id,
                start: start + from,
                end: start + to,
            })
            .collect();
        let t = cycle.tally();
        CycleReport {
            seq: ctx.seq,
            mode,
            start,
            ended: sessions.iter().map(|s| s.end).max().unwrap_or(start),
            completed: cycle.completed(),
            tally: CycleTally {
                sent: t.sent,
                failed: t.failed,
                skipped: t.skipped,
            },
            delay_between_cycles,
            max_lateness: cycle.max_lateness(),
            sessions,
            warning,
            expired_at: expiry.expired_at(),
            plan_expires_at: expiry.reported(),
            lease_lost: cycle.lease_lost(),
        }
    }
}
