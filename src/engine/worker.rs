//! The worker: one cycle of one customer. It owns every instant a post happens at: it reads
//! the settings, captures `cycle_start`, computes this cycle's offsets with
//! [`schedule::check_ready`], and session i's post k is due at
//! `cycle_start + offset_i + k × delay`. Timer jitter never accumulates, and a post that
//! starts late beyond the jitter pushes the next one back instead of compressing the gap
//! below the floor ([`schedule::next_not_before`]).
//!
//! All sessions of a cycle run concurrently inside this one task: each session is a small
//! state (its next slot, when it may post next), sends in flight are polled together, and one
//! timer is armed for the earliest due session. A customer costs one task and one timer,
//! however many accounts it has.

use std::pin::pin;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use std::sync::Arc;

use super::lease::Held;
use super::{readiness, EngineError, PostEvent, Restricted, Shared};
use crate::schedule::cycle::{
    Answer, Cycle, Due, Effects, Handover, InForce, Logged, LoggedSlot, Member, SkipReason, Step,
    StoredPlan,
};
use crate::schedule::{self, CyclePlan, Lasting, Mode};
use crate::store::{
    CycleEnd, CycleStart, CycleTally, Fence, Group, GroupStatus, GroupTally, Interrupted, PostRow,
    Restriction, Snapshot,
};
use crate::telegram::{AccountLoss, Outcome, Post};

const ZERO: Duration = Duration::ZERO;

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

/// What one cycle needs to send and log its posts.
struct CycleCtx {
    customer_id: i64,
    seq: i64,
    start: Instant,
    html: String,
    groups: Vec<Group>,
    /// The customer's lease, when engines share the database.
    held: Option<Arc<Held>>,
}

impl CycleCtx {
    /// Whether sends may start: always without leases; with them, until the lease's local
    /// deadline.
    fn may_send(&self) -> bool {
        self.held.as_ref().is_none_or(|h| h.valid())
    }

    /// The term the cycle's writes are made under.
    fn fence(&self) -> Option<Fence> {
        self.held.as_ref().map(|h| h.fence())
    }

    /// An instant as the pure cycle counts it: since the cycle's start.
    fn since(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.start)
    }
}

/// A send that finished: which slot, when its last try started, what happened, and how
/// many tries it took.
struct Finished {
    due: Due,
    random_id: i64,
    sent_at: Instant,
    outcome: Outcome,
    tries: usize,
    /// Not sent: the lease lapsed before this try could start.
    abandoned: bool,
}

/// One try at sending a slot, after `pause` (a retry's backoff). A stop during the pause
/// gives up the retry: no post starts after a stop; the earlier try's outcome stands.
async fn attempt(
    shared: &Shared,
    ctx: &CycleCtx,
    stop: &CancellationToken,
    (due, random_id, tries): (Due, i64, usize),
    pause: Duration,
    previous: Option<(Instant, Outcome)>,
) -> Finished {
    let finished = |sent_at, outcome, tries, abandoned| Finished {
        due,
        random_id,
        sent_at,
        outcome,
        tries,
        abandoned,
    };
    if let Some((sent_at, outcome)) = previous {
        tokio::select! {
            biased;
            _ = stop.cancelled() => return finished(sent_at, outcome, tries, false),
            _ = tokio::time::sleep(pause) => {}
        }
    }
    let sent_at = Instant::now();
    if !ctx.may_send() {
        let outcome = Outcome::Network("lease lapsed".to_string());
        return finished(sent_at, outcome, tries, true);
    }
    let group = &ctx.groups[due.slot];
    let outcome = shared
        .transport
        .send(Post {
            account_id: due.account_id,
            group_id: group.id,
            group_ref: &group.reference,
            html: &ctx.html,
            random_id,
            not_after: ctx.held.as_ref().map(|h| h.deadline()),
        })
        .await;
    finished(sent_at, outcome, tries + 1, false)
}

/// What the rest of a session is skipped as when an outcome ends it: the outcome's own name.
fn ends_as(outcome: &Outcome) -> SkipReason {
    match outcome {
        Outcome::AccountLost(AccountLoss::Revoked) => SkipReason::AccountRevoked,
        Outcome::AccountLost(AccountLoss::Deactivated) => SkipReason::AccountDeactivated,
        Outcome::PeerFlood => SkipReason::PeerFlood,
        _ => SkipReason::AccountUnavailable,
    }
}

/// Runs cycle number `seq` of the customer. `preloaded` is a snapshot read just before, with
/// the layout the start check made of it (the first cycle reuses the start check's: it is
/// not checked again); otherwise the settings are read and checked now. The cycle
/// starts when its settings are in hand: after that only the plan's expiry, when it comes,
/// waits for the database. Every decision is [`Cycle`]'s; this carries its steps out.
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
    // With leases: nothing is started for a customer this engine may no longer post for.
    let held = match shared.leasing.get() {
        None => None,
        Some(leasing) => match leasing.get(customer_id) {
            Some(held) if held.valid() => Some(held),
            _ => return Err(EngineError::LeaseLost(customer_id)),
        },
    };
    let (snapshot, checked) = match preloaded {
        Some(preloaded) => preloaded,
        None => (
            (shared.store.snapshot(customer_id).await?)
                .ok_or(EngineError::NoCustomer(customer_id))?,
            None,
        ),
    };
    // Stored by `Engine::start` before the customer's first send; a snapshot without it is
    // not from a started customer, and no send may go out with an id the store doesn't fix.
    let post_key = snapshot
        .post_key
        .ok_or_else(|| EngineError::Store(crate::store::StoreError::NoPostKey(customer_id)))?;
    let now = Instant::now();
    let snapshot_expiry = snapshot.plan.and_then(|g| g.expires_at);
    // The same checks for a resumed cycle (plan expired, no message, …): only its layout is
    // the stored one.
    let checked = match checked {
        Some(plan) => plan,
        None => {
            let catalog = *shared.catalog.lock().expect("engine lock");
            let now_ms = shared.clock.wall_ms(now);
            schedule::check_ready(&readiness(&snapshot, now_ms, requested, &catalog))?
        }
    };
    let invalid = |cause| EngineError::Store(crate::store::StoreError::CyclePlan { seq, cause });
    let (plan, cycle_start, account_ids, groups) = match &resume {
        None => (
            checked,
            now,
            snapshot.accounts.iter().map(|a| a.id).collect::<Vec<_>>(),
            snapshot.groups,
        ),
        Some(r) => {
            let stored: StoredPlan = serde_json::from_str(&r.plan).map_err(|e| invalid(Some(e)))?;
            let plan = stored.plan().ok_or_else(|| invalid(None))?;
            // The groups in the stored order; one removed or paused since is skipped.
            let groups = stored
                .groups
                .iter()
                .map(|id| {
                    let found = snapshot.groups.iter().find(|g| g.id == *id);
                    found.cloned().unwrap_or(Group {
                        id: *id,
                        reference: String::new(),
                        position: 0,
                        // Planned, but paused or removed since.
                        status: GroupStatus::Paused,
                        reason: None,
                    })
                })
                .collect();
            let start = shared.clock.instant_at(r.started_at);
            (plan, start, stored.accounts, groups)
        }
    };
    let warning = plan.warning();
    if let Some(w) = &warning {
        tracing::info!(customer_id, "{w}");
    }
    if resume.is_none() {
        let group_ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
        let stored = StoredPlan::of(&plan, &account_ids, &group_ids);
        let start = CycleStart {
            customer_id,
            seq,
            mode: plan.mode,
            started_at: shared.clock.wall_ms(cycle_start),
            planned: (plan.sessions() * plan.groups) as i64,
            plan: serde_json::to_string(&stored).ok(),
        };
        let fence = held.as_ref().map(|h| h.fence());
        shared.postlog.cycle_started(start, fence).await;
    } else {
        tracing::info!(customer_id, seq, "resuming an interrupted cycle");
    }
    let ctx = CycleCtx {
        customer_id,
        seq,
        start: cycle_start,
        html: snapshot.message_html.unwrap_or_default(),
        groups,
        held,
    };
    let clock = &shared.clock;
    // Waits and refusals in force: this engine's own (not yet written, perhaps) and the
    // store's (written by any engine, before any restart).
    let r = &snapshot.restrictions;
    let own = shared.flood_waits.lock().expect("engine lock").clone();
    let stored_waits = r
        .account_waits
        .iter()
        .map(|&(a, ms)| (a, clock.instant_at(ms)));
    let in_force = InForce {
        account_waits: own
            .into_iter()
            .chain(stored_waits)
            .filter_map(|(a, until)| Some((a, until.checked_duration_since(cycle_start)?)))
            .collect(),
        pair_waits: (r.pair_waits.iter())
            .map(|&(a, g, ms)| (a, g, ctx.since(clock.instant_at(ms))))
            .collect(),
        pair_blocks: r.pair_blocks.clone(),
    };
    let accounts: Vec<Member> = (account_ids.iter())
        .map(|&id| Member {
            id,
            usable: snapshot.accounts.iter().any(|a| a.id == id),
        })
        .collect();
    let members = (ctx.groups.iter())
        .map(|g| Member {
            id: g.id,
            usable: g.status == GroupStatus::Active,
        })
        .collect();
    // A resumed cycle: the slots with an outcome, and when they were sent.
    let logged: Option<Vec<LoggedSlot>> = resume.map(|r| {
        (r.logged.iter())
            .map(|(account_id, group_id, outcome, at)| LoggedSlot {
                account_id: *account_id,
                group_id: *group_id,
                outcome: Logged::from_outcome(outcome),
                sent_at: at.map(|ms| ctx.since(clock.instant_at(ms))),
            })
            .collect()
    });
    let (mode, delay_between_cycles) = (plan.mode, plan.delay_between_cycles);
    let mut cycle = Cycle::new(
        plan,
        &accounts,
        members,
        &in_force,
        logged.as_deref(),
        ctx.since(now),
    );
    // What only the start of a resumed cycle needed: not kept in the task while it runs.
    drop((logged, accounts, account_ids, in_force));
    // Cancelled by an outside stop or by the plan's expiry: retries waiting out their pause
    // give up then. (Declared before the sends that borrow it.)
    let cycle_stop = stop.child_token();
    let mut in_flight = FuturesUnordered::new();
    let mut timer = pin!(tokio::time::sleep_until(cycle_start));
    // The plan's expiry: posting stops at that instant, mid-cycle included, unless the plan
    // was renewed meanwhile (the store is asked then).
    let mut expiry = snapshot_expiry;
    let mut expired_at = None;
    // When the store is to be asked whether the plan is still valid.
    let mut expiry_check = expiry.map(|ms| clock.instant_at(ms));
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
            match shared.store.plan_of(customer_id).await {
                Ok(Some(g)) if g.expires_at.is_none_or(|at| at > now_ms) => {
                    // Renewed: go on, and watch the new expiry.
                    expiry = g.expires_at;
                    expiry_check = expiry.map(|ms| clock.instant_at(ms));
                }
                found => {
                    // Expired, or the store can't say otherwise: posting stops here.
                    if let Err(e) = &found {
                        tracing::warn!(customer_id, error = %e, "could not re-read the plan");
                    }
                    let stored = found.ok().flatten().and_then(|g| g.expires_at);
                    cycle.stop();
                    expired_at = stored.or(expiry);
                    expiry_check = None;
                    cycle_stop.cancel();
                }
            }
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
                    let random_id =
                        schedule::slot_random_id(post_key, seq, due.account_id, due.group_id);
                    let first = (due, random_id, 0);
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
                let answer = Answer {
                    kind: f.outcome.kind(),
                    name: f.outcome.name(),
                    ends_as: ends_as(&f.outcome),
                    sent_at: ctx.since(f.sent_at),
                    tries: f.tries,
                };
                let handover = Handover {
                    abandoned: f.abandoned,
                    lease_valid: ctx.may_send(),
                    leaving: leaving(shared, customer_id),
                };
                let slot = (f.due.session, f.due.slot);
                match cycle.on_outcome(slot, &answer, handover, ctx.since(Instant::now())) {
                    Effects::Retry(pause) => {
                        // The same slot again, same random id: the session stays busy with it.
                        let again = (f.due, f.random_id, f.tries);
                        let previous = Some((f.sent_at, f.outcome));
                        in_flight.push(attempt(shared, &ctx, &cycle_stop, again, pause, previous));
                    }
                    Effects::GivenUp => {}
                    Effects::Logged { target, lasting, account_waits } => {
                        if let Some(until) = account_waits {
                            let mut waits = shared.flood_waits.lock().expect("engine lock");
                            waits.insert(f.due.account_id, cycle_start + until);
                        }
                        if lasting != Lasting::Nothing {
                            restrict(shared, &ctx, f.due, lasting, &f.outcome).await;
                        }
                        let due = Due { target, ..f.due };
                        record(shared, &ctx, due, f.random_id, Ok((f.sent_at, f.outcome))).await;
                    }
                }
            }
            _ = &mut timer, if next_due.is_some() => {}
            // Wakes the loop, whose top asks the store.
            _ = &mut expiry_timer, if expiry_check.is_some() && !cycle.stopping() => {}
        }
    }
    let sessions: Vec<SessionSpan> = (cycle.finish(ctx.since(Instant::now())).into_iter())
        .map(|(account_id, start, end)| SessionSpan {
            account_id,
            start: cycle_start + start,
            end: cycle_start + end,
        })
        .collect();
    let t = cycle.tally();
    let report = CycleReport {
        seq,
        mode,
        start: cycle_start,
        ended: sessions.iter().map(|s| s.end).max().unwrap_or(cycle_start),
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
        expired_at,
        plan_expires_at: if expired_at.is_none() {
            expiry
        } else {
            snapshot_expiry
        },
        lease_lost: cycle.lease_lost(),
    };
    // Cut short by the engine shutting down or handing the customer over: the cycle stays
    // `running` in the store, and the next engine resumes it. (A customer's stop ends it:
    // `stopped`.)
    let left_open = !report.completed
        && report.expired_at.is_none()
        && (report.lease_lost || leaving(shared, customer_id));
    if left_open {
        return Ok(report);
    }
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
        customer_id,
        seq,
        ended_at: clock.wall_ms(report.ended),
        completed: report.completed,
        tally: report.tally,
        groups,
    };
    shared.postlog.cycle_finished(end, ctx.fence()).await;
    if let Some(observer) = &shared.observer {
        observer.cycle_finished(customer_id, &report);
    }
    Ok(report)
}

/// Whether the customer's cycle is being cut short for another engine to resume it: the engine
/// is shutting down, or hands the customer over.
fn leaving(shared: &Shared, customer_id: i64) -> bool {
    shared
        .shutting_down
        .load(std::sync::atomic::Ordering::Relaxed)
        || shared
            .handed_over
            .lock()
            .expect("engine lock")
            .contains(&customer_id)
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
async fn record(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telegram::GroupRefusal;

    #[test]
    fn a_session_ended_by_an_outcome_skips_the_rest_under_that_outcomes_name() {
        let ending = [
            Outcome::AccountLost(AccountLoss::Revoked),
            Outcome::AccountLost(AccountLoss::Deactivated),
            Outcome::PeerFlood,
            Outcome::Unavailable("key".to_string()),
        ];
        for o in &ending {
            assert_eq!(
                schedule::next_after(o.kind()).session,
                schedule::Next::EndSession
            );
            assert_eq!(ends_as(o).as_str(), o.name(), "{o:?}");
        }
        let going_on = [
            Outcome::Sent,
            Outcome::GroupRefused(GroupRefusal::Banned),
            Outcome::Network(String::new()),
        ];
        for o in &going_on {
            assert_ne!(
                schedule::next_after(o.kind()).session,
                schedule::Next::EndSession
            );
        }
    }
}
