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

use std::collections::{HashMap, HashSet};
use std::pin::pin;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use std::sync::Arc;

use super::lease::Held;
use super::{readiness, EngineError, PostEvent, Restricted, Shared};
use crate::schedule::{self, CyclePlan, Lasting, Mode, Next};
use crate::store::{
    CycleEnd, CycleStart, CycleTally, Fence, Group, GroupStatus, GroupTally, Interrupted, PostRow,
    Restriction, Snapshot,
};
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

/// What one cycle needs to log its posts.
struct CycleCtx {
    customer_id: i64,
    seq: i64,
    /// The customer's stored post key: every slot's random id derives from it.
    post_key: i64,
    start: Instant,
    plan: CyclePlan,
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
}

/// Where one session stands.
struct Session {
    account_id: i64,
    /// The next group (slot) to post to.
    next: usize,
    /// The earliest instant the next send may start (see schedule::next_not_before).
    not_before: Instant,
    /// Slots due before this instant are skipped: the account is in a flood wait.
    flood_until: Option<Instant>,
    /// Groups that refused this account: skipped.
    blocked: HashSet<i64>,
    /// Slow mode: this account's slot in the group is skipped when due before the instant.
    pair_until: HashMap<i64, Instant>,
    /// Set when the account can't post any more this cycle: why.
    ended: Option<&'static str>,
    sending: bool,
    span: SessionSpan,
    done: bool,
}

/// A send that finished: which session, which slot, when its last try started, what
/// happened, and how many tries it took.
struct Finished {
    session: usize,
    slot: usize,
    random_id: i64,
    sent_at: Instant,
    outcome: Outcome,
    tries: usize,
    /// Not sent: the lease lapsed before this try could start.
    abandoned: bool,
}

/// One try at sending a slot, after `pause` (a retry's backoff). A stop during the pause
/// gives up the retry: no post starts after a stop; the earlier try's outcome stands.
#[allow(clippy::too_many_arguments)]
async fn attempt(
    shared: &Shared,
    ctx: &CycleCtx,
    stop: &CancellationToken,
    (session, account_id, slot): (usize, i64, usize),
    random_id: i64,
    tries: usize,
    pause: Duration,
    previous: Option<(Instant, Outcome)>,
) -> Finished {
    if let Some((sent_at, outcome)) = previous {
        tokio::select! {
            biased;
            _ = stop.cancelled() => {
                return Finished { session, slot, random_id, sent_at, outcome, tries, abandoned: false };
            }
            _ = tokio::time::sleep(pause) => {}
        }
    }
    let sent_at = Instant::now();
    if !ctx.may_send() {
        let outcome = Outcome::Network("lease lapsed".to_string());
        return Finished {
            session,
            slot,
            random_id,
            sent_at,
            outcome,
            tries,
            abandoned: true,
        };
    }
    let group = &ctx.groups[slot];
    let outcome = shared
        .transport
        .send(Post {
            account_id,
            group_id: group.id,
            group_ref: &group.reference,
            html: &ctx.html,
            random_id,
            not_after: ctx.held.as_ref().map(|h| h.deadline()),
        })
        .await;
    Finished {
        session,
        slot,
        random_id,
        sent_at,
        outcome,
        tries: tries + 1,
        abandoned: false,
    }
}

/// A cycle's layout as stored with its row, so that an interrupted cycle resumes on it:
/// durations in nanoseconds (the starter offsets are exact to the nanosecond).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredPlan {
    mode: String,
    delay_ns: u64,
    requested_delay_ns: u64,
    offsets_ns: Vec<u64>,
    delay_between_cycles_ns: u64,
    accounts: Vec<i64>,
    groups: Vec<i64>,
}

impl StoredPlan {
    fn of(plan: &CyclePlan, accounts: &[i64], groups: &[i64]) -> StoredPlan {
        let ns = |d: Duration| d.as_nanos() as u64;
        StoredPlan {
            mode: plan.mode.as_str().to_string(),
            delay_ns: ns(plan.delay.applied),
            requested_delay_ns: ns(plan.delay.requested),
            offsets_ns: plan.offsets.iter().map(|d| ns(*d)).collect(),
            delay_between_cycles_ns: ns(plan.delay_between_cycles),
            accounts: accounts.to_vec(),
            groups: groups.to_vec(),
        }
    }

    fn plan(&self) -> Option<CyclePlan> {
        let d = Duration::from_nanos;
        let mode = match self.mode.as_str() {
            "starter" => Mode::Starter,
            "enterprise" => Mode::Enterprise,
            _ => return None,
        };
        (self.offsets_ns.len() == self.accounts.len()).then(|| CyclePlan {
            mode,
            delay: schedule::Floored {
                requested: d(self.requested_delay_ns),
                applied: d(self.delay_ns),
            },
            offsets: self.offsets_ns.iter().map(|n| d(*n)).collect(),
            groups: self.groups.len(),
            session_runtime: d(self.delay_ns) * self.groups.len() as u32,
            delay_between_cycles: d(self.delay_between_cycles_ns),
        })
    }
}

/// A resumed cycle whose planned end is further back than this is not posted any more: its
/// remaining slots are recorded as skipped (`engine_down`) and the next cycle starts.
pub const RESUME_AT_MOST: Duration = Duration::from_secs(10 * 60);

/// Runs cycle number `seq` of the customer. `preloaded` is a snapshot read just before (the
/// first cycle reuses the start check's); otherwise the settings are read now. The cycle
/// starts when its settings are in hand: after that only the plan's expiry, when it comes,
/// waits for the database.
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
    preloaded: Option<Snapshot>,
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
    let snapshot = match preloaded {
        Some(snapshot) => snapshot,
        None => shared
            .store
            .snapshot(customer_id)
            .await?
            .ok_or(EngineError::NoCustomer(customer_id))?,
    };
    // Stored by `Engine::start` before the customer's first send; a snapshot without it is
    // not from a started customer, and no send may go out with an id the store doesn't fix.
    let post_key = snapshot
        .post_key
        .ok_or_else(|| EngineError::Store(crate::store::StoreError::NoPostKey(customer_id)))?;
    let now = Instant::now();
    let snapshot_expiry = snapshot.plan.and_then(|g| g.expires_at);
    let catalog = *shared.catalog.lock().expect("engine lock");
    // The same checks for a resumed cycle (plan expired, no message, …): only its layout is
    // the stored one.
    let checked = schedule::check_ready(&readiness(
        &snapshot,
        shared.clock.wall_ms(now),
        requested,
        &catalog,
    ))?;
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
                    snapshot
                        .groups
                        .iter()
                        .find(|g| g.id == *id)
                        .cloned()
                        .unwrap_or(Group {
                            id: *id,
                            reference: String::new(),
                            position: 0,
                            // Planned, but paused or removed since.
                            status: GroupStatus::Paused,
                            reason: None,
                        })
                })
                .collect();
            (
                plan,
                shared.clock.instant_at(r.started_at),
                stored.accounts,
                groups,
            )
        }
    };
    let started_at = shared.clock.wall_ms(cycle_start);
    let warning = plan.warning();
    if let Some(w) = &warning {
        tracing::info!(customer_id, "{w}");
    }
    if resume.is_none() {
        let group_ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
        let stored = StoredPlan::of(&plan, &account_ids, &group_ids);
        shared
            .postlog
            .cycle_started(
                CycleStart {
                    customer_id,
                    seq,
                    mode: plan.mode,
                    started_at,
                    planned: (plan.sessions() * plan.groups) as i64,
                    plan: serde_json::to_string(&stored).ok(),
                },
                held.as_ref().map(|h| h.fence()),
            )
            .await;
    } else {
        tracing::info!(customer_id, seq, "resuming an interrupted cycle");
    }
    let ctx = CycleCtx {
        customer_id,
        seq,
        post_key,
        start: cycle_start,
        html: snapshot.message_html.unwrap_or_default(),
        groups,
        plan,
        held,
    };
    // A resumed cycle: which slots have an outcome, and each account's last send.
    let logged: HashSet<(i64, i64)> = resume
        .iter()
        .flat_map(|r| r.logged.iter().map(|(a, g, _, _)| (*a, *g)))
        .collect();
    let last_sent = |account: i64| -> Option<Instant> {
        resume.as_ref().and_then(|r| {
            r.logged
                .iter()
                .filter(|(a, _, _, _)| *a == account)
                .filter_map(|(_, _, _, at)| *at)
                .max()
                .map(|ms| shared.clock.instant_at(ms))
        })
    };
    let stale = resume.is_some() && now > cycle_start + ctx.plan.span() + RESUME_AT_MOST;
    // Waits and refusals in force: this engine's own (not yet written, perhaps) and the
    // store's (written by any engine, before any restart).
    let mut flood_waits = shared.flood_waits.lock().expect("engine lock").clone();
    let r = &snapshot.restrictions;
    for &(account, until_ms) in &r.account_waits {
        let until = shared.clock.instant_at(until_ms);
        let entry = flood_waits.entry(account).or_insert(until);
        *entry = (*entry).max(until);
    }
    let mut sessions: Vec<Session> = account_ids
        .iter()
        .enumerate()
        .map(|(i, &account_id)| {
            let start = cycle_start + ctx.plan.offsets[i];
            // Resumed: the first slot without an outcome, not sooner than a delay after the
            // account's last send (less the timer slack, as on schedule).
            let next = ctx
                .groups
                .iter()
                .position(|g| !logged.contains(&(account_id, g.id)))
                .unwrap_or(ctx.groups.len());
            let not_before = last_sent(account_id).map_or(start, |at| {
                start.max(at + ctx.plan.delay.applied - schedule::TIMER_SLACK)
            });
            let active = snapshot.accounts.iter().any(|a| a.id == account_id);
            Session {
                account_id,
                next,
                not_before,
                flood_until: flood_waits
                    .get(&account_id)
                    .copied()
                    .filter(|until| *until > cycle_start),
                blocked: r
                    .pair_blocks
                    .iter()
                    .filter(|(a, _)| *a == account_id)
                    .map(|(_, g)| *g)
                    .collect(),
                pair_until: r
                    .pair_waits
                    .iter()
                    .filter(|(a, _, _)| *a == account_id)
                    .map(|(_, g, until)| (*g, shared.clock.instant_at(*until)))
                    .collect(),
                ended: match (stale, active) {
                    (true, _) => Some("engine_down"),
                    (false, false) => Some("account_unavailable"),
                    (false, true) => None,
                },
                sending: false,
                span: SessionSpan {
                    account_id,
                    start,
                    end: cycle_start + ctx.plan.session_end(i),
                },
                done: false,
            }
        })
        .collect();
    // How each group fares, for the cycle's row (the Status screen reads it).
    let mut group_tallies: Vec<GroupTally> = ctx
        .groups
        .iter()
        .map(|g| GroupTally {
            group_id: g.id,
            ..GroupTally::default()
        })
        .collect();
    let mut report = CycleReport {
        seq,
        mode: ctx.plan.mode,
        start: cycle_start,
        ended: cycle_start,
        completed: true,
        tally: CycleTally::default(),

        delay_between_cycles: ctx.plan.delay_between_cycles,
        max_lateness: Duration::ZERO,
        sessions: Vec::new(),
        warning,
        expired_at: None,
        plan_expires_at: snapshot_expiry,
        lease_lost: false,
    };
    // A resumed cycle's report counts what the interrupted part already did.
    for (_, group_id, outcome, _) in resume.iter().flat_map(|r| r.logged.iter()) {
        let g = group_tallies.iter_mut().find(|g| g.group_id == *group_id);
        match outcome.as_str() {
            "sent" => {
                report.tally.sent += 1;
                if let Some(g) = g {
                    g.sent += 1;
                }
            }
            "skipped" => {
                report.tally.skipped += 1;
                if let Some(g) = g {
                    g.skipped += 1;
                }
            }
            _ => {
                report.tally.failed += 1;
                if let Some(g) = g {
                    g.failed += 1;
                }
            }
        }
    }

    // What only the start of a resumed cycle needed: not kept in the task while it runs.
    drop(resume);
    drop(account_ids);
    // Cancelled by an outside stop or by the plan's expiry: retries waiting out their pause
    // give up then. (Declared before the sends that borrow it.)
    let cycle_stop = stop.child_token();
    let mut in_flight = FuturesUnordered::new();
    let mut timer = pin!(tokio::time::sleep_until(cycle_start));
    // The plan's expiry: posting stops at that instant, mid-cycle included, unless the plan
    // was renewed meanwhile (the store is asked then).
    let mut expiry = snapshot_expiry;
    // When the store is to be asked whether the plan is still valid.
    let mut expiry_check = expiry.map(|ms| shared.clock.instant_at(ms));
    let mut expiry_timer = pin!(tokio::time::sleep_until(
        expiry_check.unwrap_or(cycle_start)
    ));
    let mut stopped = pin!(stop.cancelled());
    let mut stopping = false;
    shared.set_live(customer_id, seq, None);
    let mut published_next: Option<Instant> = None;
    loop {
        // With leases: past the lease's local deadline nothing more starts, and the cycle is
        // left open for the engine that takes the customer over.
        if !stopping && !ctx.may_send() {
            stopping = true;
            report.completed = false;
            report.lease_lost = true;
            cycle_stop.cancel();
        }
        // The plan's expiry is checked before anything due at that instant starts.
        if !stopping && expiry_check.is_some_and(|at| at <= Instant::now()) {
            let now_ms = shared.clock.wall_ms(Instant::now());
            match shared.store.plan_of(customer_id).await {
                Ok(Some(g)) if g.expires_at.is_none_or(|at| at > now_ms) => {
                    // Renewed: go on, and watch the new expiry.
                    expiry = g.expires_at;
                    expiry_check = expiry.map(|ms| shared.clock.instant_at(ms));
                }
                found => {
                    // Expired, or the store can't say otherwise: posting stops here.
                    if let Err(e) = &found {
                        tracing::warn!(customer_id, error = %e, "could not re-read the plan");
                    }
                    let stored = found.ok().flatten().and_then(|g| g.expires_at);
                    stopping = true;
                    report.completed = false;
                    report.expired_at = stored.or(expiry);
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
        let now = Instant::now();
        let mut next_due: Option<Instant> = None;
        let mut next_post: Option<Instant> = None;
        for (i, s) in sessions.iter_mut().enumerate() {
            if s.done || stopping {
                continue;
            }
            if s.sending {
                // A post of this session is under way: its next one is the following slot.
                if s.next + 1 < ctx.groups.len() {
                    let after = ctx.start + ctx.plan.post_offset(i, s.next + 1);
                    next_post = Some(next_post.map_or(after, |d| d.min(after)));
                }
                continue;
            }
            while s.next < ctx.groups.len() {
                let target = ctx.start + ctx.plan.post_offset(i, s.next);
                let group_id = ctx.groups[s.next].id;
                // A resumed cycle: a slot the log already has an outcome for is passed over
                // (the log may have a gap where a failed batch was dropped).
                if !logged.is_empty() && logged.contains(&(s.account_id, group_id)) {
                    s.next += 1;
                    continue;
                }
                let skip = match (s.ended, s.flood_until) {
                    (Some(reason), _) => Some(reason),
                    _ if ctx.groups[s.next].status != GroupStatus::Active => {
                        Some("group_unavailable")
                    }
                    (None, Some(until)) if target < until => Some("flood_wait"),
                    _ if s.blocked.contains(&group_id) => Some("group_paused"),
                    _ if s.pair_until.get(&group_id).is_some_and(|u| target < *u) => {
                        Some("slow_mode")
                    }
                    _ => None,
                };
                let Some(reason) = skip else { break };
                report.tally.skipped += 1;
                let g = &mut group_tallies[s.next];
                g.skipped += 1;
                g.last_error = Some(reason.to_string());
                let slot = s.next;
                s.next += 1;
                record(shared, &ctx, i, s.account_id, slot, 0, target, Err(reason)).await;
            }
            if s.next == ctx.groups.len() {
                // The delay after the last post belongs to the session.
                if s.ended.is_some() {
                    s.done = true;
                    s.span.end = now;
                } else if now >= s.span.end {
                    s.done = true;
                } else {
                    next_due = Some(next_due.map_or(s.span.end, |d| d.min(s.span.end)));
                }
                continue;
            }
            let target = ctx.start + ctx.plan.post_offset(i, s.next);
            let due = target.max(s.not_before);
            if due > now {
                next_due = Some(next_due.map_or(due, |d| d.min(due)));
                next_post = Some(next_post.map_or(due, |d| d.min(due)));
                continue;
            }
            s.sending = true;
            let slot = s.next;
            let random_id =
                schedule::slot_random_id(ctx.post_key, ctx.seq, s.account_id, ctx.groups[slot].id);
            in_flight.push(attempt(
                shared,
                &ctx,
                &cycle_stop,
                (i, s.account_id, slot),
                random_id,
                0,
                Duration::ZERO,
                None,
            ));
        }
        if in_flight.is_empty() && (stopping || next_due.is_none()) {
            break;
        }
        if next_post != published_next {
            published_next = next_post;
            shared.set_live(customer_id, seq, next_post);
        }
        if let Some(due) = next_due {
            if timer.deadline() != due {
                timer.as_mut().reset(due);
            }
        }
        tokio::select! {
            biased;
            _ = &mut stopped, if !stopping => {
                stopping = true;
                report.completed = false;
            }
                        Some(f) = in_flight.next(), if !in_flight.is_empty() => {
                if let Some(pause) = schedule::retry_after(f.outcome.kind(), f.tries).filter(|_| !stopping) {
                    // The same slot again, same random id: the session stays busy with it.
                    let account_id = sessions[f.session].account_id;
                    in_flight.push(attempt(
                        shared,
                        &ctx,
                        &cycle_stop,
                        (f.session, account_id, f.slot),
                        f.random_id,
                        f.tries,
                        pause,
                        Some((f.sent_at, f.outcome)),
                    ));
                                        continue;
                }
                let s = &mut sessions[f.session];
                s.sending = false;
                if f.abandoned
                    || (matches!(f.outcome, Outcome::Network(_))
                        && (report.lease_lost || !ctx.may_send() || leaving(shared, customer_id)))
                {
                    // Not sent because the lease lapsed before the try, or gave up (its retry,
                    // or the request before it left) because the engine is stopping, hands the
                    // customer over or its lease ran out: no outcome is logged, so the next
                    // engine sends it again (same random id).
                    if f.abandoned || !ctx.may_send() {
                        stopping = true;
                        report.completed = false;
                        report.lease_lost = true;
                    }
                    continue;
                }
                s.next = f.slot + 1;
                let target = ctx.start + ctx.plan.post_offset(f.session, f.slot);
                report.max_lateness = report.max_lateness.max(f.sent_at.saturating_duration_since(target));
                let g = &mut group_tallies[f.slot];
                match f.outcome {
                    Outcome::Sent => {
                        report.tally.sent += 1;
                        g.sent += 1;
                    }
                    _ => {
                        report.tally.failed += 1;
                        g.failed += 1;
                        g.last_error = Some(f.outcome.name().to_string());
                    }
                }
                let delay = ctx.plan.delay.applied;
                let floor = ctx.start
                    + schedule::next_not_before(target - ctx.start, f.sent_at - ctx.start, delay);
                // A late or slow send moves the session's end (the delay after its last post
                // included); a flood wait does not: the slots it covers are skipped instead.
                s.span.end = s.span.end.max(floor).max(Instant::now());
                s.not_before = floor;
                let decision = schedule::next_after(f.outcome.kind());
                match decision.session {
                    Next::Continue => {}
                    Next::AccountWaits(wait) => {
                        let until = Instant::now() + wait;
                        s.flood_until = Some(until);
                        s.not_before = s.not_before.max(until);
                        shared
                            .flood_waits
                            .lock()
                            .expect("engine lock")
                            .insert(s.account_id, until);
                    }
                    Next::EndSession => s.ended = Some(f.outcome.name()),
                }
                let account_id = s.account_id;
                let group_id = ctx.groups[f.slot].id;
                match decision.lasting {
                    Lasting::Nothing => {}
                    Lasting::PairWait(wait) => {
                        s.pair_until.insert(group_id, Instant::now() + wait);
                    }
                    Lasting::PairBlock => {
                        s.blocked.insert(group_id);
                    }
                    Lasting::AccountWait(_) | Lasting::Quarantine => {}
                }
                if decision.lasting != Lasting::Nothing {
                    restrict(shared, &ctx, customer_id, account_id, group_id, decision.lasting, &f.outcome).await;
                }
                record(shared, &ctx, f.session, account_id, f.slot, f.random_id, target, Ok((f.sent_at, f.outcome))).await;
            }
                        _ = &mut timer, if next_due.is_some() => {}
                        // Wakes the loop, whose top asks the store.
            _ = &mut expiry_timer, if expiry_check.is_some() && !stopping => {}
        }
    }
    let now = Instant::now();
    for s in &mut sessions {
        if !s.done {
            s.span.end = now;
        }
    }
    report.sessions = sessions.iter().map(|s| s.span).collect();
    if report.expired_at.is_none() {
        report.plan_expires_at = expiry;
    }
    report.ended = report
        .sessions
        .iter()
        .map(|s| s.end)
        .max()
        .unwrap_or(cycle_start);
    // Cut short by the engine shutting down or handing the customer over: the cycle stays
    // `running` in the store, and the next engine resumes it. (A customer's stop ends it:
    // `stopped`.)
    let left_open = !report.completed
        && report.expired_at.is_none()
        && (report.lease_lost || leaving(shared, customer_id));
    if left_open {
        return Ok(report);
    }
    shared
        .postlog
        .cycle_finished(
            CycleEnd {
                customer_id,
                seq,
                ended_at: shared.clock.wall_ms(report.ended),
                completed: report.completed,
                tally: report.tally,
                groups: group_tallies,
            },
            ctx.fence(),
        )
        .await;
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
async fn restrict(
    shared: &Shared,
    ctx: &CycleCtx,
    customer_id: i64,
    account_id: i64,
    group_id: i64,
    lasting: Lasting,
    outcome: &Outcome,
) {
    let now = Instant::now();
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
#[allow(clippy::too_many_arguments)]
async fn record(
    shared: &Shared,
    ctx: &CycleCtx,
    session: usize,
    account_id: i64,
    slot: usize,
    random_id: i64,
    target: Instant,
    sent: Result<(Instant, Outcome), &'static str>,
) {
    let group_id = ctx.groups[slot].id;
    let (sent_at, outcome, skipped) = match sent {
        Ok((at, outcome)) => (Some(at), Some(outcome), None),
        Err(reason) => (None, None, Some(reason)),
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
                account_id,
                group_id,
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
            session,
            account_id,
            group_id,
            target,
            sent_at,
            lateness: lateness.unwrap_or_default(),
            outcome,
            skipped,
        });
    }
}
