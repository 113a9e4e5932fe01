//! The worker: one cycle of one customer, and the sessions inside it. It owns every instant a
//! post happens at: `cycle_start` is captured by the caller when the cycle is due, this
//! cycle's offsets come from [`schedule::check_ready`] on settings read now, and session i's
//! post k is due at `cycle_start + offset_i + k × delay`. Timer jitter never accumulates, and a
//! post that starts late beyond the jitter pushes the next one back instead of compressing the
//! gap below the floor ([`schedule::next_not_before`]).

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{readiness, EngineError, PostEvent, Shared};
use crate::schedule::{self, CyclePlan, Mode, Next};
use crate::store::{CycleTally, Group, PostRow};
use crate::telegram::{Outcome, Post};

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
    pub cycle_id: i64,
    pub seq: i64,
    pub mode: Mode,
    pub start: Instant,
    /// When the last session ended (its last post's delay included).
    pub ended: Instant,
    /// False when a stop cut the cycle short.
    pub completed: bool,
    pub tally: CycleTally,
    /// The settings' delay between cycles, as read at this cycle's start.
    pub delay_between_cycles: Duration,
    pub max_lateness: Duration,
    pub sessions: Vec<SessionSpan>,
    /// The floor warning, when the delay between posts was raised.
    pub warning: Option<String>,
}

/// What one session hands back.
struct SessionResult {
    span: SessionSpan,
    completed: bool,
    tally: CycleTally,
    max_lateness: Duration,
}

/// Everything the sessions of one cycle share.
struct CycleCtx {
    customer_id: i64,
    cycle_id: i64,
    seq: i64,
    start: Instant,
    plan: CyclePlan,
    html: Arc<str>,
    groups: Vec<Group>,
}

pub(super) async fn run_cycle(
    shared: &Arc<Shared>,
    customer_id: i64,
    requested: Option<Mode>,
    cycle_start: Instant,
    stop: &CancellationToken,
) -> Result<CycleReport, EngineError> {
    let snapshot = shared
        .store
        .snapshot(customer_id)
        .await?
        .ok_or(EngineError::NoCustomer(customer_id))?;
    let started_at = shared.clock.wall_ms(cycle_start);
    let plan = schedule::check_ready(&readiness(&snapshot, started_at, requested))?;
    let warning = plan.warning();
    if let Some(w) = &warning {
        tracing::info!(customer_id, "{w}");
    }
    let planned = (plan.sessions() * plan.groups) as i64;
    let (cycle_id, seq) = shared
        .store
        .begin_cycle(customer_id, plan.mode, started_at, planned)
        .await?;
    let ctx = Arc::new(CycleCtx {
        customer_id,
        cycle_id,
        seq,
        start: cycle_start,
        html: snapshot.message_html.unwrap_or_default().into(),
        groups: snapshot.groups,
        plan,
    });
    let mut sessions = JoinSet::new();
    for (i, account) in snapshot.accounts.iter().enumerate() {
        sessions.spawn(run_session(
            shared.clone(),
            ctx.clone(),
            i,
            account.id,
            stop.clone(),
        ));
    }
    let mut report = CycleReport {
        cycle_id,
        seq,
        mode: ctx.plan.mode,
        start: cycle_start,
        ended: cycle_start,
        completed: true,
        tally: CycleTally::default(),
        delay_between_cycles: ctx.plan.delay_between_cycles,
        max_lateness: Duration::ZERO,
        sessions: Vec::with_capacity(ctx.plan.sessions()),
        warning,
    };
    while let Some(done) = sessions.join_next().await {
        let session = match done {
            Ok(session) => session,
            Err(e) => {
                tracing::error!(customer_id, error = %e, "a session task failed");
                report.completed = false;
                continue;
            }
        };
        report.ended = report.ended.max(session.span.end);
        report.completed &= session.completed;
        report.tally.sent += session.tally.sent;
        report.tally.failed += session.tally.failed;
        report.tally.skipped += session.tally.skipped;
        report.max_lateness = report.max_lateness.max(session.max_lateness);
        report.sessions.push(session.span);
    }
    report.sessions.sort_by_key(|s| (s.start, s.account_id));
    if !report.completed {
        report.ended = report.ended.max(Instant::now());
    }
    shared
        .store
        .finish_cycle(
            cycle_id,
            shared.clock.wall_ms(report.ended),
            report.completed,
            report.tally,
        )
        .await?;
    if let Some(observer) = &shared.observer {
        observer.cycle_finished(customer_id, &report);
    }
    Ok(report)
}

/// Sleeps until `at` unless stopped first; false when stopped.
async fn wait_until(at: Instant, stop: &CancellationToken) -> bool {
    tokio::select! {
        biased;
        _ = stop.cancelled() => false,
        _ = tokio::time::sleep_until(at) => true,
    }
}

async fn run_session(
    shared: Arc<Shared>,
    ctx: Arc<CycleCtx>,
    index: usize,
    account_id: i64,
    stop: CancellationToken,
) -> SessionResult {
    let delay = ctx.plan.delay.applied;
    let start = ctx.start + ctx.plan.offsets[index];
    let mut result = SessionResult {
        span: SessionSpan {
            account_id,
            start,
            end: ctx.start + ctx.plan.session_end(index),
        },
        completed: true,
        tally: CycleTally::default(),
        max_lateness: Duration::ZERO,
    };
    // The earliest instant the next send may start (see schedule::next_not_before).
    let mut not_before = start;
    // Slots due before this instant are skipped: the account is in a flood wait.
    let mut flood_until: Option<Instant> = None;
    let mut ended: Option<&'static str> = None;
    for (k, group) in ctx.groups.iter().enumerate() {
        let slot = Slot {
            session: index,
            account_id,
            group,
            target: ctx.start + ctx.plan.post_offset(index, k),
            random_id: random_id(),
        };
        let skip = match (ended, flood_until) {
            (Some(reason), _) => Some(reason),
            (None, Some(until)) if slot.target < until => Some("flood_wait"),
            _ => None,
        };
        if let Some(reason) = skip {
            result.tally.skipped += 1;
            record(&shared, &ctx, &slot, Err(reason)).await;
            continue;
        }
        if !wait_until(slot.target.max(not_before), &stop).await {
            result.completed = false;
            result.span.end = Instant::now();
            return result;
        }
        let sent_at = Instant::now();
        let outcome = shared
            .transport
            .send(Post {
                account_id,
                group_id: group.id,
                group_ref: &group.reference,
                html: &ctx.html,
                random_id: slot.random_id,
            })
            .await;
        result.max_lateness = result
            .max_lateness
            .max(sent_at.saturating_duration_since(slot.target));
        match outcome {
            Outcome::Sent => result.tally.sent += 1,
            _ => result.tally.failed += 1,
        }
        not_before = ctx.start
            + schedule::next_not_before(
                slot.target - ctx.start,
                sent_at - ctx.start,
                delay,
            );
        match schedule::next_after(outcome.kind()) {
            Next::Continue => {}
            Next::AccountWaits(wait) => {
                let until = Instant::now() + wait;
                flood_until = Some(until);
                not_before = not_before.max(until);
            }
            Next::EndSession => ended = Some(outcome.name()),
        }
        record(&shared, &ctx, &slot, Ok((sent_at, outcome))).await;
    }
    if ended.is_none() {
        // The delay after the last post belongs to the session; a slow last send can end
        // it later still.
        result.span.end = result.span.end.max(not_before).max(Instant::now());
        if !wait_until(result.span.end, &stop).await {
            result.completed = false;
            result.span.end = Instant::now();
        }
    } else {
        result.span.end = Instant::now();
    }
    result
}

/// One (account, group) slot of a cycle.
struct Slot<'a> {
    session: usize,
    account_id: i64,
    group: &'a Group,
    target: Instant,
    /// Chosen before the send and logged with it.
    random_id: i64,
}

/// Logs one slot, sent (when and with what outcome) or skipped (why): to the batched post log
/// and to the observer.
async fn record(
    shared: &Shared,
    ctx: &CycleCtx,
    slot: &Slot<'_>,
    sent: Result<(Instant, Outcome), &'static str>,
) {
    let (sent_at, outcome, skipped) = match sent {
        Ok((at, outcome)) => (Some(at), Some(outcome), None),
        Err(reason) => (None, None, Some(reason)),
    };
    let lateness = sent_at.map(|at| at.saturating_duration_since(slot.target));
    let (name, error) = match (&outcome, skipped) {
        (Some(outcome), _) => (outcome.name().to_string(), outcome.error()),
        (None, reason) => ("skipped".to_string(), reason.map(str::to_string)),
    };
    shared
        .postlog
        .record(PostRow {
            cycle_id: ctx.cycle_id,
            customer_id: ctx.customer_id,
            account_id: slot.account_id,
            group_id: slot.group.id,
            random_id: slot.random_id,
            target_at: shared.clock.wall_ms(slot.target),
            sent_at: sent_at.map(|at| shared.clock.wall_ms(at)),
            lateness_us: lateness.map(|l| l.as_micros() as i64),
            outcome: name,
            error,
        })
        .await;
    if let Some(observer) = &shared.observer {
        observer.post(&PostEvent {
            customer_id: ctx.customer_id,
            cycle_seq: ctx.seq,
            cycle_start: ctx.start,
            session: slot.session,
            account_id: slot.account_id,
            group_id: slot.group.id,
            target: slot.target,
            sent_at,
            lateness: lateness.unwrap_or_default(),
            outcome,
            skipped,
        });
    }
}

/// A random, non-zero message id for Telegram's deduplication.
fn random_id() -> i64 {
    loop {
        let id = fastrand::i64(..);
        if id != 0 {
            return id;
        }
    }
}
