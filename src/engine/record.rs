//! What a cycle writes as it goes, handed to the batched post-log writer (in order) and told
//! to the observer: each slot's row, sent or skipped; what an outcome leaves behind (a flood
//! wait in the engine's memory, a restriction in the store, a quarantined account let go);
//! and the cycle's end with its tallies per group.

use std::time::Duration;

use tokio::time::Instant;

use super::report::CycleReport;
use super::send::Finished;
use super::setup::CycleCtx;
use super::{PostEvent, Restricted, Shared};
use crate::schedule::cycle::{Cycle, Due, SkipReason};
use crate::schedule::Lasting;
use crate::store::{CycleEnd, GroupTally, PostRow, Restriction};
use crate::telegram::Outcome;

/// Logs a finished send whose outcome the cycle keeps, due at `target`, with what it leaves
/// behind: the account's flood wait until `account_waits` (since the cycle's start) and the
/// lasting restriction.
pub(super) async fn logged(
    shared: &Shared,
    ctx: &CycleCtx,
    f: Finished,
    (target, lasting, account_waits): (Duration, Lasting, Option<Duration>),
) {
    if let Some(until) = account_waits {
        let mut waits = shared.flood_waits.lock().expect("engine lock");
        waits.insert(f.due.account_id, ctx.start + until);
    }
    if lasting != Lasting::Nothing {
        restrict(shared, ctx, f.due, lasting, &f.outcome).await;
    }
    let due = Due { target, ..f.due };
    record(shared, ctx, due, f.ids.first(), Ok((f.sent_at, f.outcome))).await;
}

/// Records what an outcome leaves behind (through the post-log writer, in order with the
/// post) and tells the observer.
async fn restrict(shared: &Shared, ctx: &CycleCtx, due: Due, lasting: Lasting, outcome: &Outcome) {
    let now = Instant::now();
    let (customer_id, account_id, group_id) = (ctx.customer_id, due.account_id, due.group_id);
    let reason = outcome.name().to_string();
    let until_ms = |wait: Duration| shared.clock.wall_ms(now + wait);
    let restriction = match lasting {
        Lasting::Nothing => return,
        Lasting::AccountWait(wait) => Restriction::AccountWait {
            account_id,
            until_at: until_ms(wait),
            reason,
        },
        Lasting::PairWait(wait) => Restriction::PairWait {
            account_id,
            group_id,
            until_at: until_ms(wait),
        },
        Lasting::PairBlock => Restriction::PairBlock {
            account_id,
            group_id,
            reason,
            at: shared.clock.wall_ms(now),
            stars: outcome.price_stars().map(i64::from),
        },
        Lasting::Quarantine => Restriction::Quarantine { account_id, reason },
    };
    if let Some(observer) = &shared.observer {
        observer.restricted(&Restricted {
            customer_id,
            restriction: restriction.clone(),
        });
    }
    let quarantined = matches!(restriction, Restriction::Quarantine { .. });
    shared.postlog.restrict(restriction, ctx.fence()).await;
    if quarantined {
        // Telegram stopped the account: no reason to stay connected.
        shared.transport.release(&[account_id]).await;
    }
}

/// Logs one slot, sent (when and with what outcome) or skipped (why): to the batched post log
/// and to the observer.
pub(super) async fn record(
    shared: &Shared,
    ctx: &CycleCtx,
    due: Due,
    random_id: i64,
    sent: Result<(Instant, Outcome), SkipReason>,
) {
    let target = ctx.start + due.target;
    let (sent_at, outcome, skipped) = match sent {
        Ok((at, outcome)) => (Some(at), Some(outcome), None),
        Err(reason) => (None, None, Some(reason.as_str())),
    };
    let lateness = sent_at.map(|at| at.saturating_duration_since(target));
    let (name, error) = match (&outcome, skipped) {
        (Some(outcome), _) => (outcome.name().to_string(), outcome.error()),
        (None, reason) => ("skipped".to_string(), reason.map(str::to_string)),
    };
    shared
        .postlog
        .record(
            PostRow {
                customer_id: ctx.customer_id,
                cycle_seq: ctx.seq,
                account_id: due.account_id,
                group_id: due.group_id,
                random_id,
                target_at: shared.clock.wall_ms(target),
                sent_at: sent_at.map(|at| shared.clock.wall_ms(at)),
                lateness_us: lateness.map(|l| l.as_micros() as i64),
                outcome: name,
                error,
            },
            ctx.fence(),
        )
        .await;
    if let Some(observer) = &shared.observer {
        observer.post(&PostEvent {
            customer_id: ctx.customer_id,
            cycle_seq: ctx.seq,
            cycle_start: ctx.start,
            session: due.session,
            account_id: due.account_id,
            group_id: due.group_id,
            target,
            sent_at,
            lateness: lateness.unwrap_or_default(),
            outcome,
            skipped,
        });
    }
}

/// Writes the cycle's end (its tallies, per group too) and tells the observer.
pub(super) async fn ended(shared: &Shared, ctx: &CycleCtx, cycle: &Cycle, report: &CycleReport) {
    let groups = (cycle.fares().iter())
        .map(|f| GroupTally {
            group_id: f.group_id,
            sent: f.tally.sent,
            failed: f.tally.failed,
            skipped: f.tally.skipped,
            last_error: f.last_error.map(str::to_string),
        })
        .collect();
    let end = CycleEnd {
        customer_id: ctx.customer_id,
        seq: ctx.seq,
        ended_at: shared.clock.wall_ms(report.ended),
        completed: report.completed,
        tally: report.tally,
        groups,
    };
    shared.postlog.cycle_finished(end, ctx.fence()).await;
    if let Some(observer) = &shared.observer {
        observer.cycle_finished(ctx.customer_id, report);
    }
}
