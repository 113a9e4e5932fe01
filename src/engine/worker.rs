//! The worker: one cycle of one customer, carried out. It owns every instant a post happens
//! at: [`Cycle`](crate::schedule::cycle::Cycle) decides what is due when (session i's post k at
//! `cycle_start + offset_i + k × delay`, a late start pushing the next one back instead of
//! compressing the gap below the floor); the worker keeps the timers, the sends in flight,
//! the post-log hand-off, the plan-expiry re-read and the lease deadline.
//!
//! All sessions of a cycle run concurrently inside this one task: sends in flight are polled
//! together, and one timer is armed for the earliest due session. A customer costs one task
//! and one timer, however many accounts it has. Set-up is [`super::setup`]'s, the writes are
//! [`super::record`]'s, one try at a send is [`super::send`]'s.

use std::pin::pin;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::record::{self, logged, record};
use super::report::CycleReport;
use super::send::{attempt, leaving};
use super::setup::{set_up, SetUp};
use super::{EngineError, Shared};
use crate::schedule::cycle::{Effects, PlanExpiry, Step};
use crate::schedule::{CyclePlan, Mode, RandomIds};
use crate::store::{Interrupted, Snapshot};

const ZERO: Duration = Duration::ZERO;

/// Runs cycle number `seq` of the customer. `preloaded` is a snapshot read just before, with
/// the layout the start check made of it (the first cycle reuses the start check's: it is
/// not checked again); otherwise the settings are read and checked now. The cycle starts when
/// its settings are in hand: after that only the plan's expiry, when it comes, waits for the
/// database. Every decision is [`Cycle`](crate::schedule::cycle::Cycle)'s; this carries its
/// steps out.
///
/// With `resume`, the cycle is one an earlier engine started and did not end (a crash, a
/// shutdown): it runs on its stored layout and anchor, with only the slots that have no
/// outcome in the post log. Slots that are overdue go out at once, one per delay; a slot
/// sent just before a crash whose row was lost goes out again with the same random id, which
/// Telegram answers RANDOM_ID_DUPLICATE (counted as sent, nothing posted twice).
#[allow(clippy::too_many_arguments)]
pub(super) async fn run_cycle(
    shared: &Shared,
    customer_id: i64,
    requested: Option<Mode>,
    seq: i64,
    stop: &CancellationToken,
    preloaded: Option<(Snapshot, Option<CyclePlan>)>,
    resume: Option<Interrupted>,
) -> Result<CycleReport, EngineError> {
    let SetUp {
        ctx,
        mut cycle,
        post_key,
        read,
        plan_expires_at,
    } = set_up(shared, customer_id, requested, seq, preloaded, resume, stop).await?;
    // Stopped while the set-up uploaded the post's files: nothing of this cycle goes out.
    if stop.is_cancelled() {
        cycle.stop();
    }
    let (clock, cycle_start) = (&shared.clock, ctx.start);
    // Cancelled by an outside stop or by the plan's expiry: retries waiting out their pause
    // give up then. (Declared before the sends that borrow it.)
    let cycle_stop = stop.child_token();
    let mut in_flight = FuturesUnordered::new();
    let mut timer = pin!(tokio::time::sleep_until(cycle_start));
    // The plan's expiry: posting stops at that instant, mid-cycle included, unless the plan
    // was renewed meanwhile (the store is asked then).
    let mut expiry = PlanExpiry::new(plan_expires_at);
    // When the store is to be asked whether the plan is still valid.
    let mut expiry_check = expiry.watch().map(|ms| clock.instant_at(ms));
    let mut expiry_timer = pin!(tokio::time::sleep_until(
        expiry_check.unwrap_or(cycle_start)
    ));
    let mut stopped = pin!(stop.cancelled());
    shared.set_live(customer_id, seq, None);
    let mut published_next: Option<Instant> = None;
    loop {
        // With leases: past the lease's local deadline nothing more starts, and the cycle is
        // left open for the engine that takes the customer over.
        if !cycle.stopping() && !ctx.may_send() {
            cycle.lose_lease();
            cycle_stop.cancel();
        }
        // The plan's expiry is checked before anything due at that instant starts.
        if !cycle.stopping() && expiry_check.is_some_and(|at| at <= Instant::now()) {
            let now_ms = clock.wall_ms(Instant::now());
            let found = match shared.store.plan_of(customer_id).await {
                Ok(found) => found.map(|g| g.expires_at),
                Err(e) => {
                    tracing::warn!(customer_id, error = %e, "could not re-read the plan");
                    None
                }
            };
            // Expired, or the store can't say otherwise: posting stops here.
            if expiry.on_reread(found, now_ms) {
                cycle.stop();
                cycle_stop.cancel();
            }
            expiry_check = expiry.watch().map(|ms| clock.instant_at(ms));
            if let Some(at) = expiry_check {
                expiry_timer.as_mut().reset(at);
            }
        }
        // Start every send that is due, skip what must be skipped, and find the next instant
        // anything is due.
        let now = ctx.since(Instant::now());
        let next_due = loop {
            match cycle.next(now) {
                Step::Skip(due, reason) => record(shared, &ctx, due, 0, Err(reason)).await,
                Step::Send(due) => {
                    let ids = RandomIds::of(post_key, seq, due.account_id, due.group_id);
                    let first = (due, ids, 0);
                    in_flight.push(attempt(shared, &ctx, &cycle_stop, first, ZERO, None));
                }
                Step::Wait(at) => break Some(at),
                Step::Done => break None,
            }
        };
        let Some(next_due) = next_due else { break };
        let next_post = cycle.next_post().map(|d| cycle_start + d);
        if next_post != published_next {
            published_next = next_post;
            shared.set_live(customer_id, seq, next_post);
        }
        if let Some(due) = next_due.map(|d| cycle_start + d) {
            if timer.deadline() != due {
                timer.as_mut().reset(due);
            }
        }
        tokio::select! {
            biased;
            _ = &mut stopped, if !cycle.stopping() => cycle.stop(),
            Some(f) = in_flight.next(), if !in_flight.is_empty() => {
                let (answer, handover) = (f.answer(&ctx), f.handover(shared, &ctx));
                let slot = (f.due.session, f.due.slot);
                match cycle.on_outcome(slot, &answer, handover, ctx.since(Instant::now())) {
                    Effects::Retry(pause) => {
                        // The same slot again, same random id: the session stays busy with it.
                        let again = (f.due, f.ids, f.tries);
                        let previous = Some((f.sent_at, f.outcome));
                        in_flight.push(attempt(shared, &ctx, &cycle_stop, again, pause, previous));
                    }
                    Effects::GivenUp => {}
                    Effects::Logged { target, lasting, account_waits } => {
                        logged(shared, &ctx, f, (target, lasting, account_waits)).await;
                    }
                }
            }
            _ = &mut timer, if next_due.is_some() => {}
            // Wakes the loop, whose top asks the store.
            _ = &mut expiry_timer, if expiry_check.is_some() && !cycle.stopping() => {}
        }
    }
    let report = CycleReport::of(&mut cycle, &ctx, read, &expiry);
    // Cut short by the engine shutting down or handing the customer over: the cycle stays
    // `running` in the store, and the next engine resumes it. (A customer's stop ends it:
    // `stopped`.)
    if !cycle.left_open(report.expired_at.is_some(), leaving(shared, customer_id)) {
        record::ended(shared, &ctx, &cycle, &report).await;
    }
    Ok(report)
}
