//! PURE: one cycle of one customer as a state machine. Built from the cycle's [`CyclePlan`],
//! the restrictions in force and, for a resumed cycle, what the post log already holds, it
//! answers [`Cycle::next`] (send this slot, skip that one and why, wait until T, done) and
//! [`Cycle::on_outcome`] (retry, give up unlogged, or log it and what lasts). It keeps the
//! sessions, the tallies and the lateness; the engine's worker only carries its steps out.
//!
//! No async, no clock, no I/O: every instant is a [`Duration`] since the cycle's start,
//! passed in by the caller.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::{
    next_after, next_not_before, retry_after, CyclePlan, Floored, Lasting, Mode, Next, OutcomeKind,
    TIMER_SLACK,
};

/// A resumed cycle whose planned end is further back than this is not posted any more: its
/// remaining slots are recorded as skipped (`engine_down`) and the next cycle starts.
pub const RESUME_AT_MOST: Duration = Duration::from_secs(10 * 60);

/// Why a slot was skipped, stored in the post log's error column by its stable name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// The account is in a flood wait that covers the slot.
    FloodWait,
    /// Slow mode: the account may not post in this group yet.
    SlowMode,
    /// The group refused this account earlier: paused for it.
    GroupPaused,
    /// The group was paused or removed after the cycle was planned.
    GroupUnavailable,
    /// A resumed cycle too old to post any more: the engine was down.
    EngineDown,
    /// The account is not usable (paused, removed, or its session doesn't open).
    AccountUnavailable,
    /// The account's session was revoked during the cycle.
    AccountRevoked,
    /// The account was deactivated during the cycle.
    AccountDeactivated,
    /// PEER_FLOOD during the cycle.
    PeerFlood,
    /// The post has media and the customer chose to skip this group for media posts (or to
    /// post the caption as text there, and the caption is empty).
    MediaSkipped,
}

impl SkipReason {
    pub const ALL: [SkipReason; 10] = [
        SkipReason::FloodWait,
        SkipReason::SlowMode,
        SkipReason::GroupPaused,
        SkipReason::GroupUnavailable,
        SkipReason::EngineDown,
        SkipReason::AccountUnavailable,
        SkipReason::AccountRevoked,
        SkipReason::AccountDeactivated,
        SkipReason::PeerFlood,
        SkipReason::MediaSkipped,
    ];

    /// The stable stored name (the post log's error column); must never change.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::FloodWait => "flood_wait",
            SkipReason::SlowMode => "slow_mode",
            SkipReason::GroupPaused => "group_paused",
            SkipReason::GroupUnavailable => "group_unavailable",
            SkipReason::EngineDown => "engine_down",
            SkipReason::AccountUnavailable => "account_unavailable",
            SkipReason::AccountRevoked => "account_revoked",
            SkipReason::AccountDeactivated => "account_deactivated",
            SkipReason::PeerFlood => "peer_flood",
            SkipReason::MediaSkipped => "media_skipped",
        }
    }

    /// The reason stored under `name`; `None` for any other text.
    pub fn parse(name: &str) -> Option<SkipReason> {
        SkipReason::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// What the post log holds for one slot of an interrupted cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logged {
    Sent,
    Skipped,
    /// Any other outcome: a failure.
    Failed,
}

impl Logged {
    /// Reads the post log's outcome column ("sent", "skipped", or a failure's name).
    pub fn from_outcome(name: &str) -> Logged {
        match name {
            "sent" => Logged::Sent,
            "skipped" => Logged::Skipped,
            _ => Logged::Failed,
        }
    }
}

/// A slot of an interrupted cycle that already has an outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoggedSlot {
    pub account_id: i64,
    pub group_id: i64,
    pub outcome: Logged,
    /// When it was sent, since the cycle's start; `None` when skipped.
    pub sent_at: Option<Duration>,
}

/// The waits and refusals in force when the cycle starts, as instants since its start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InForce {
    /// (account, until): the account posts nowhere before then. Several for one account:
    /// the latest holds.
    pub account_waits: Vec<(i64, Duration)>,
    /// (account, group, until): slow mode.
    pub pair_waits: Vec<(i64, i64, Duration)>,
    /// (account, group): the group refused the account.
    pub pair_blocks: Vec<(i64, i64)>,
    /// Groups that get nothing of this cycle's post (the customer skips them for media
    /// posts): every account's slot there is skipped as `media_skipped`.
    pub media_skipped: Vec<i64>,
}

/// One account or group of the cycle, in order, and whether it may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    pub id: i64,
    pub usable: bool,
}

/// A slot the cycle acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Due {
    pub session: usize,
    /// The group's index in the cycle's order.
    pub slot: usize,
    pub account_id: i64,
    pub group_id: i64,
    /// When it is due, since the cycle's start.
    pub target: Duration,
}

/// What to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Start sending this slot (its session is busy until [`Cycle::on_outcome`]).
    Send(Due),
    /// Log this slot as skipped.
    Skip(Due, SkipReason),
    /// Nothing more now: wait for a send in flight or until the instant, if any.
    Wait(Option<Duration>),
    /// The cycle is over: nothing in flight, nothing left (or stopping).
    Done,
}

/// A finished try at a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    pub kind: OutcomeKind,
    /// The outcome's stable name (a failure's last error).
    pub name: &'static str,
    /// What the rest of the session is skipped as, if the outcome ends it.
    pub ends_as: SkipReason,
    /// When the last try started, since the cycle's start.
    pub sent_at: Duration,
    /// Tries so far, this one included (0: it never started).
    pub tries: usize,
}

/// What the world looked like when the try finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handover {
    /// Not sent: the lease lapsed before the try could start.
    pub abandoned: bool,
    /// The customer's lease is still valid (always, without leases).
    pub lease_valid: bool,
    /// The engine is shutting down or hands the customer over.
    pub leaving: bool,
}

/// What an answer means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effects {
    /// Send the same slot again (same random id) after the pause; its session stays busy.
    Retry(Duration),
    /// Not logged: the engine that resumes the cycle sends it again (same random id).
    GivenUp,
    /// Log the outcome (due at `target`); record what lasts; with `account_waits`, the
    /// account is in a flood wait until then (since the cycle's start).
    Logged {
        target: Duration,
        lasting: Lasting,
        account_waits: Option<Duration>,
    },
}

/// Sent, failed and skipped slots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub sent: i64,
    pub failed: i64,
    pub skipped: i64,
}

/// How one group fares in the cycle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupFare {
    pub group_id: i64,
    pub tally: Tally,
    /// The last failure's or skip's name.
    pub last_error: Option<&'static str>,
}

/// Where one session stands.
#[derive(Clone, Debug)]
struct Session {
    account_id: i64,
    next: usize,
    not_before: Duration,
    flood_until: Option<Duration>,
    blocked: HashSet<i64>,
    pair_until: HashMap<i64, Duration>,
    ended: Option<SkipReason>,
    sending: bool,
    start: Duration,
    end: Duration,
    done: bool,
}

/// One cycle's state.
#[derive(Clone, Debug)]
pub struct Cycle {
    plan: CyclePlan,
    groups: Vec<Member>,
    sessions: Vec<Session>,
    logged: HashSet<(i64, i64)>,
    media_skipped: HashSet<i64>,
    in_flight: usize,
    stopping: bool,
    completed: bool,
    lease_lost: bool,
    tally: Tally,
    fares: Vec<GroupFare>,
    max_lateness: Duration,
    /// The session the current pass of [`Cycle::next`] is at, and what the pass found so far.
    scan: usize,
    pass_due: Option<Duration>,
    pass_post: Option<Duration>,
    next_post: Option<Duration>,
}

fn earliest(a: Option<Duration>, b: Duration) -> Option<Duration> {
    Some(a.map_or(b, |a| a.min(b)))
}

impl Cycle {
    /// A cycle on `plan` with one session per account (in order, `usable` false: its slots
    /// are skipped as `account_unavailable`) over `groups` (an unusable one is skipped as
    /// `group_unavailable`). With `resumed`, the cycle continues one whose slots in it have an
    /// outcome: those are counted and passed over, each session goes on a delay after its
    /// account's last send, and when its planned end is more than [`RESUME_AT_MOST`] before
    /// `now`, every slot left is skipped as `engine_down`.
    pub fn new(
        plan: CyclePlan,
        accounts: &[Member],
        groups: Vec<Member>,
        in_force: &InForce,
        resumed: Option<&[LoggedSlot]>,
        now: Duration,
    ) -> Cycle {
        let logged_slots = resumed.unwrap_or_default();
        let logged: HashSet<(i64, i64)> = logged_slots
            .iter()
            .map(|l| (l.account_id, l.group_id))
            .collect();
        let stale = resumed.is_some() && now > plan.span() + RESUME_AT_MOST;
        let mut flood: HashMap<i64, Duration> = HashMap::new();
        for &(account, until) in &in_force.account_waits {
            let entry = flood.entry(account).or_insert(until);
            *entry = (*entry).max(until);
        }
        let sessions = accounts
            .iter()
            .enumerate()
            .map(|(i, account)| {
                let account_id = account.id;
                let start = plan.offsets[i];
                let next = groups
                    .iter()
                    .position(|g| !logged.contains(&(account_id, g.id)))
                    .unwrap_or(groups.len());
                // Not sooner than a delay after the account's last send (less the timer
                // slack, as on schedule).
                let last_sent = logged_slots
                    .iter()
                    .filter(|l| l.account_id == account_id)
                    .filter_map(|l| l.sent_at)
                    .max();
                let not_before =
                    last_sent.map_or(start, |at| start.max(at + plan.delay.applied - TIMER_SLACK));
                Session {
                    account_id,
                    next,
                    not_before,
                    flood_until: flood.get(&account_id).copied().filter(|u| !u.is_zero()),
                    blocked: in_force
                        .pair_blocks
                        .iter()
                        .filter(|(a, _)| *a == account_id)
                        .map(|(_, g)| *g)
                        .collect(),
                    pair_until: in_force
                        .pair_waits
                        .iter()
                        .filter(|(a, _, _)| *a == account_id)
                        .map(|(_, g, until)| (*g, *until))
                        .collect(),
                    ended: match (stale, account.usable) {
                        (true, _) => Some(SkipReason::EngineDown),
                        (false, false) => Some(SkipReason::AccountUnavailable),
                        (false, true) => None,
                    },
                    sending: false,
                    start,
                    end: plan.session_end(i),
                    done: false,
                }
            })
            .collect();
        let mut fares: Vec<GroupFare> = groups
            .iter()
            .map(|g| GroupFare {
                group_id: g.id,
                ..GroupFare::default()
            })
            .collect();
        let mut tally = Tally::default();
        for l in logged_slots {
            let fare = fares.iter_mut().find(|f| f.group_id == l.group_id);
            let count = |t: &mut Tally| match l.outcome {
                Logged::Sent => t.sent += 1,
                Logged::Skipped => t.skipped += 1,
                Logged::Failed => t.failed += 1,
            };
            count(&mut tally);
            if let Some(f) = fare {
                count(&mut f.tally);
            }
        }
        Cycle {
            plan,
            groups,
            sessions,
            logged,
            media_skipped: in_force.media_skipped.iter().copied().collect(),
            in_flight: 0,
            stopping: false,
            completed: true,
            lease_lost: false,
            tally,
            fares,
            max_lateness: Duration::ZERO,
            scan: 0,
            pass_due: None,
            pass_post: None,
            next_post: None,
        }
    }

    pub fn plan(&self) -> &CyclePlan {
        &self.plan
    }

    /// The next thing to do at `now`. Call it until it answers [`Step::Wait`] or
    /// [`Step::Done`], with the same `now`: each call goes on where the last left off.
    pub fn next(&mut self, now: Duration) -> Step {
        if self.stopping {
            self.scan = 0;
            self.pass_due = None;
            self.pass_post = None;
            self.next_post = None;
            return if self.in_flight == 0 {
                Step::Done
            } else {
                Step::Wait(None)
            };
        }
        let n = self.groups.len();
        while self.scan < self.sessions.len() {
            let i = self.scan;
            let s = &mut self.sessions[i];
            if s.done {
                self.scan += 1;
                continue;
            }
            if s.sending {
                // A post of this session is under way: its next one is the following slot.
                if s.next + 1 < n {
                    self.pass_post = earliest(self.pass_post, self.plan.post_offset(i, s.next + 1));
                }
                self.scan += 1;
                continue;
            }
            while s.next < n {
                let target = self.plan.post_offset(i, s.next);
                let group = self.groups[s.next];
                // A resumed cycle: a slot the log already has an outcome for is passed over
                // (the log may have a gap where a failed batch was dropped).
                if self.logged.contains(&(s.account_id, group.id)) {
                    s.next += 1;
                    continue;
                }
                let skip = match (s.ended, s.flood_until) {
                    (Some(reason), _) => Some(reason),
                    _ if !group.usable => Some(SkipReason::GroupUnavailable),
                    _ if self.media_skipped.contains(&group.id) => Some(SkipReason::MediaSkipped),
                    (None, Some(until)) if target < until => Some(SkipReason::FloodWait),
                    _ if s.blocked.contains(&group.id) => Some(SkipReason::GroupPaused),
                    _ if s.pair_until.get(&group.id).is_some_and(|u| target < *u) => {
                        Some(SkipReason::SlowMode)
                    }
                    _ => None,
                };
                let Some(reason) = skip else { break };
                let due = Due {
                    session: i,
                    slot: s.next,
                    account_id: s.account_id,
                    group_id: group.id,
                    target,
                };
                s.next += 1;
                self.tally.skipped += 1;
                let fare = &mut self.fares[due.slot];
                fare.tally.skipped += 1;
                fare.last_error = Some(reason.as_str());
                return Step::Skip(due, reason);
            }
            if s.next == n {
                // The delay after the last post belongs to the session.
                if s.ended.is_some() {
                    s.done = true;
                    s.end = now;
                } else if now >= s.end {
                    s.done = true;
                } else {
                    self.pass_due = earliest(self.pass_due, s.end);
                }
                self.scan += 1;
                continue;
            }
            let target = self.plan.post_offset(i, s.next);
            let due = target.max(s.not_before);
            self.scan += 1;
            if due > now {
                self.pass_due = earliest(self.pass_due, due);
                self.pass_post = earliest(self.pass_post, due);
                continue;
            }
            s.sending = true;
            self.in_flight += 1;
            return Step::Send(Due {
                session: i,
                slot: s.next,
                account_id: s.account_id,
                group_id: self.groups[s.next].id,
                target,
            });
        }
        self.scan = 0;
        let due = self.pass_due.take();
        self.next_post = self.pass_post.take();
        if self.in_flight == 0 && due.is_none() {
            return Step::Done;
        }
        Step::Wait(due)
    }

    /// What the answer to a try at `slot` of `session` means, at `now`.
    pub fn on_outcome(
        &mut self,
        (session, slot): (usize, usize),
        answer: &Answer,
        handover: Handover,
        now: Duration,
    ) -> Effects {
        if let Some(pause) = retry_after(answer.kind, answer.tries).filter(|_| !self.stopping) {
            return Effects::Retry(pause);
        }
        let s = &mut self.sessions[session];
        s.sending = false;
        self.in_flight -= 1;
        if handover.abandoned
            || (answer.kind.unsent()
                && (self.lease_lost || !handover.lease_valid || handover.leaving))
        {
            // Not sent because the lease lapsed before the try, or given up (its retry, or
            // the request before it left) because the engine is stopping, hands the customer
            // over or its lease ran out: no outcome is logged, so the next engine sends it
            // again (same random id).
            if handover.abandoned || !handover.lease_valid {
                self.stopping = true;
                self.completed = false;
                self.lease_lost = true;
            }
            return Effects::GivenUp;
        }
        s.next = slot + 1;
        let target = self.plan.post_offset(session, slot);
        self.max_lateness = self.max_lateness.max(answer.sent_at.saturating_sub(target));
        let fare = &mut self.fares[slot];
        if answer.kind == OutcomeKind::Sent {
            self.tally.sent += 1;
            fare.tally.sent += 1;
        } else {
            self.tally.failed += 1;
            fare.tally.failed += 1;
            fare.last_error = Some(answer.name);
        }
        let floor = next_not_before(target, answer.sent_at, self.plan.delay.applied);
        // A late or slow send moves the session's end (the delay after its last post
        // included); a flood wait does not: the slots it covers are skipped instead.
        s.end = s.end.max(floor).max(now);
        s.not_before = floor;
        let decision = next_after(answer.kind);
        let mut account_waits = None;
        match decision.session {
            Next::Continue => {}
            Next::AccountWaits(wait) => {
                let until = now + wait;
                s.flood_until = Some(until);
                s.not_before = s.not_before.max(until);
                account_waits = Some(until);
            }
            Next::EndSession => s.ended = Some(answer.ends_as),
        }
        let group_id = self.groups[slot].id;
        match decision.lasting {
            Lasting::PairWait(wait) => {
                s.pair_until.insert(group_id, now + wait);
            }
            Lasting::PairBlock => {
                s.blocked.insert(group_id);
            }
            Lasting::Nothing | Lasting::AccountWait(_) | Lasting::Quarantine => {}
        }
        Effects::Logged {
            target,
            lasting: decision.lasting,
            account_waits,
        }
    }

    /// A stop (the customer's, or the plan's expiry): nothing more starts.
    pub fn stop(&mut self) {
        self.stopping = true;
        self.completed = false;
    }

    /// The lease lapsed: nothing more starts, and the cycle is left for the next engine.
    pub fn lose_lease(&mut self) {
        self.stop();
        self.lease_lost = true;
    }

    pub fn stopping(&self) -> bool {
        self.stopping
    }

    /// False once a stop, the plan's expiry or the lease cut the cycle short.
    pub fn completed(&self) -> bool {
        self.completed
    }

    pub fn lease_lost(&self) -> bool {
        self.lease_lost
    }

    /// Whether the cycle, over now, stays open (its end not written) for the engine that
    /// resumes it: cut short by the lease lapsing or by this engine `leaving` (shutting down,
    /// handing the customer over). A cycle the plan's expiry or the customer's stop cut short
    /// ends here.
    pub fn left_open(&self, expired: bool, leaving: bool) -> bool {
        !self.completed && !expired && (self.lease_lost || leaving)
    }

    /// The earliest post due as the last pass of [`Cycle::next`] found it (a session's post
    /// in flight counts with its following slot).
    pub fn next_post(&self) -> Option<Duration> {
        self.next_post
    }

    pub fn tally(&self) -> Tally {
        self.tally
    }

    pub fn fares(&self) -> &[GroupFare] {
        &self.fares
    }

    pub fn max_lateness(&self) -> Duration {
        self.max_lateness
    }

    /// Ends the cycle at `now`: each session's (account, start, end), in account order; a
    /// session that had not finished ends now.
    pub fn finish(&mut self, now: Duration) -> Vec<(i64, Duration, Duration)> {
        self.sessions
            .iter_mut()
            .map(|s| {
                if !s.done {
                    s.end = now;
                }
                (s.account_id, s.start, s.end)
            })
            .collect()
    }
}

/// The plan's expiry as a running cycle knows it (unix ms). Posting stops at that instant,
/// mid-cycle included, unless the plan was renewed meanwhile: the worker asks the store then
/// and tells [`PlanExpiry::on_reread`] what it found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanExpiry {
    at_start: Option<i64>,
    known: Option<i64>,
    over: bool,
    expired_at: Option<i64>,
}

impl PlanExpiry {
    /// The expiry in the snapshot the cycle started from (`None`: the plan does not expire).
    pub fn new(at_start: Option<i64>) -> PlanExpiry {
        PlanExpiry {
            at_start,
            known: at_start,
            over: false,
            expired_at: None,
        }
    }

    /// When the store is to be asked whether the plan still holds: at the expiry known, until
    /// the plan has expired.
    pub fn watch(&self) -> Option<i64> {
        if self.over {
            None
        } else {
            self.known
        }
    }

    /// What the store holds at `now_ms`: the plan's expiry (`Some(None)`: it has none), or
    /// `None` when there is no plan or the store can't say. True: the plan expired, posting
    /// stops here; otherwise it was renewed, and the new expiry is watched.
    pub fn on_reread(&mut self, found: Option<Option<i64>>, now_ms: i64) -> bool {
        match found {
            Some(expires_at) if expires_at.is_none_or(|at| at > now_ms) => {
                self.known = expires_at;
                false
            }
            found => {
                self.over = true;
                self.expired_at = found.flatten().or(self.known);
                true
            }
        }
    }

    /// When the plan expired during the cycle, which stopped it there.
    pub fn expired_at(&self) -> Option<i64> {
        self.expired_at
    }

    /// The plan's expiry as the cycle's report gives it: the last known; once it expired
    /// during the cycle, the one the cycle started with.
    pub fn reported(&self) -> Option<i64> {
        if self.expired_at.is_none() {
            self.known
        } else {
            self.at_start
        }
    }
}

/// A cycle's layout as stored with its row, so that an interrupted cycle resumes on it:
/// durations in nanoseconds (the starter offsets are exact to the nanosecond).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredPlan {
    mode: String,
    delay_ns: u64,
    requested_delay_ns: u64,
    offsets_ns: Vec<u64>,
    delay_between_cycles_ns: u64,
    pub accounts: Vec<i64>,
    pub groups: Vec<i64>,
}

impl StoredPlan {
    pub fn of(plan: &CyclePlan, accounts: &[i64], groups: &[i64]) -> StoredPlan {
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

    /// The layout; `None` when it does not hold together.
    pub fn plan(&self) -> Option<CyclePlan> {
        let d = Duration::from_nanos;
        let mode = match self.mode.as_str() {
            "starter" => Mode::Starter,
            "enterprise" => Mode::Enterprise,
            _ => return None,
        };
        (self.offsets_ns.len() == self.accounts.len()).then(|| CyclePlan {
            mode,
            delay: Floored {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn ms(m: u64) -> Duration {
        Duration::from_millis(m)
    }

    /// A plan of `offsets.len()` sessions over `groups` groups, `delay` s apart.
    fn plan(offsets: &[u64], groups: usize, delay: u64) -> CyclePlan {
        let d = secs(delay);
        CyclePlan {
            mode: Mode::Enterprise,
            delay: Floored {
                requested: d,
                applied: d,
            },
            offsets: offsets.iter().map(|o| secs(*o)).collect(),
            groups,
            session_runtime: d * groups as u32,
            delay_between_cycles: secs(60),
        }
    }

    fn members(ids: &[i64]) -> Vec<Member> {
        ids.iter().map(|&id| Member { id, usable: true }).collect()
    }

    /// A fresh cycle: accounts 1.., groups 101..
    fn fresh(offsets: &[u64], groups: usize, delay: u64) -> Cycle {
        let accounts: Vec<i64> = (1..=offsets.len() as i64).collect();
        let groups: Vec<i64> = (101..101 + groups as i64).collect();
        Cycle::new(
            plan(offsets, groups.len(), delay),
            &members(&accounts),
            members(&groups),
            &InForce::default(),
            None,
            Duration::ZERO,
        )
    }

    /// Every step up to and including the first Wait or Done.
    fn pass(c: &mut Cycle, now: Duration) -> Vec<Step> {
        let mut steps = Vec::new();
        loop {
            let step = c.next(now);
            steps.push(step);
            if matches!(step, Step::Wait(_) | Step::Done) {
                return steps;
            }
        }
    }

    fn due(session: usize, slot: usize, target: Duration) -> Due {
        Due {
            session,
            slot,
            account_id: session as i64 + 1,
            group_id: 101 + slot as i64,
            target,
        }
    }

    fn answer(kind: OutcomeKind, sent_at: Duration, tries: usize) -> Answer {
        let (name, ends_as) = match kind {
            OutcomeKind::Sent => ("sent", SkipReason::AccountUnavailable),
            OutcomeKind::FloodWait(_) => ("flood_wait", SkipReason::AccountUnavailable),
            OutcomeKind::SlowMode(_) => ("slow_mode", SkipReason::AccountUnavailable),
            OutcomeKind::GroupRefused => ("write_forbidden", SkipReason::AccountUnavailable),
            OutcomeKind::AccountStopped => ("peer_flood", SkipReason::PeerFlood),
            OutcomeKind::Transient => ("network_error", SkipReason::AccountUnavailable),
            OutcomeKind::Rejected => ("rejected", SkipReason::AccountUnavailable),
            OutcomeKind::Unavailable => ("account_unavailable", SkipReason::AccountUnavailable),
            OutcomeKind::StaleFile => ("file_reference_expired", SkipReason::AccountUnavailable),
        };
        Answer {
            kind,
            name,
            ends_as,
            sent_at,
            tries,
        }
    }

    const CALM: Handover = Handover {
        abandoned: false,
        lease_valid: true,
        leaving: false,
    };

    fn logged(target: Duration, lasting: Lasting) -> Effects {
        Effects::Logged {
            target,
            lasting,
            account_waits: None,
        }
    }

    #[test]
    fn skip_reasons_keep_their_stored_names() {
        let names = [
            (SkipReason::FloodWait, "flood_wait"),
            (SkipReason::SlowMode, "slow_mode"),
            (SkipReason::GroupPaused, "group_paused"),
            (SkipReason::GroupUnavailable, "group_unavailable"),
            (SkipReason::EngineDown, "engine_down"),
            (SkipReason::AccountUnavailable, "account_unavailable"),
            (SkipReason::AccountRevoked, "account_revoked"),
            (SkipReason::AccountDeactivated, "account_deactivated"),
            (SkipReason::PeerFlood, "peer_flood"),
            (SkipReason::MediaSkipped, "media_skipped"),
        ];
        assert_eq!(names.len(), SkipReason::ALL.len());
        for (reason, name) in names {
            assert_eq!(reason.as_str(), name);
            assert_eq!(SkipReason::parse(name), Some(reason));
        }
        assert_eq!(SkipReason::parse("sent"), None);
        assert_eq!(SkipReason::parse("FLOOD_WAIT"), None);
    }

    #[test]
    fn a_cycle_sends_every_slot_on_its_target_and_ends_after_the_last_delay() {
        let mut c = fresh(&[0, 0], 2, 10);
        assert_eq!(
            pass(&mut c, secs(0)),
            [
                Step::Send(due(0, 0, secs(0))),
                Step::Send(due(1, 0, secs(0))),
                Step::Wait(None),
            ]
        );
        for session in 0..2 {
            let got = c.on_outcome(
                (session, 0),
                &answer(OutcomeKind::Sent, ms(1), 1),
                CALM,
                ms(2),
            );
            assert_eq!(got, logged(secs(0), Lasting::Nothing));
        }
        assert_eq!(pass(&mut c, ms(2)), [Step::Wait(Some(secs(10)))]);
        assert_eq!(c.next_post(), Some(secs(10)));
        assert_eq!(
            pass(&mut c, secs(10)),
            [
                Step::Send(due(0, 1, secs(10))),
                Step::Send(due(1, 1, secs(10))),
                Step::Wait(None),
            ]
        );
        for session in 0..2 {
            c.on_outcome(
                (session, 1),
                &answer(OutcomeKind::Sent, secs(10), 1),
                CALM,
                secs(10),
            );
        }
        // The delay after the last post belongs to the session.
        assert_eq!(pass(&mut c, secs(10)), [Step::Wait(Some(secs(20)))]);
        assert_eq!(c.next_post(), None);
        assert_eq!(pass(&mut c, secs(20)), [Step::Done]);
        assert!(c.completed());
        assert_eq!(
            c.tally(),
            Tally {
                sent: 4,
                failed: 0,
                skipped: 0
            }
        );
        assert_eq!(c.max_lateness(), ms(1));
        assert_eq!(
            c.finish(secs(20)),
            [(1, secs(0), secs(20)), (2, secs(0), secs(20))]
        );
    }

    /// One account, three groups 10 s apart: the first slot's answer at 0 s, then what the
    /// cycle does with the other two — one row per row of `next_after`'s table.
    #[test]
    fn every_outcome_does_what_the_decision_table_says() {
        use OutcomeKind as K;
        let send = |slot: usize| Step::Send(due(0, slot, secs(10 * slot as u64)));
        let skip = |slot: usize, r| Step::Skip(due(0, slot, secs(10 * slot as u64)), r);
        // (outcome, effects, the steps at 0 s, (sent, failed, skipped) then, last error)
        type Row = (K, Effects, Vec<Step>, (i64, i64, i64), Option<&'static str>);
        let rows: Vec<Row> = vec![
            (
                K::Sent,
                logged(secs(0), Lasting::Nothing),
                vec![Step::Wait(Some(secs(10)))],
                (1, 0, 0),
                None,
            ),
            (
                K::Rejected,
                logged(secs(0), Lasting::Nothing),
                vec![Step::Wait(Some(secs(10)))],
                (0, 1, 0),
                Some("rejected"),
            ),
            (
                K::SlowMode(secs(30)),
                logged(secs(0), Lasting::PairWait(secs(30))),
                vec![Step::Wait(Some(secs(10)))],
                (0, 1, 0),
                Some("slow_mode"),
            ),
            (
                K::GroupRefused,
                logged(secs(0), Lasting::PairBlock),
                vec![Step::Wait(Some(secs(10)))],
                (0, 1, 0),
                Some("write_forbidden"),
            ),
            (
                K::FloodWait(secs(15)),
                Effects::Logged {
                    target: secs(0),
                    lasting: Lasting::AccountWait(secs(15)),
                    account_waits: Some(secs(15)),
                },
                // Slot 1 (due at 10 s) is inside the wait; slot 2 (20 s) goes ahead.
                vec![skip(1, SkipReason::FloodWait), Step::Wait(Some(secs(20)))],
                (0, 1, 1),
                Some("flood_wait"),
            ),
            (
                K::AccountStopped,
                logged(secs(0), Lasting::Quarantine),
                vec![
                    skip(1, SkipReason::PeerFlood),
                    skip(2, SkipReason::PeerFlood),
                    Step::Done,
                ],
                (0, 1, 2),
                Some("peer_flood"),
            ),
            (
                K::Unavailable,
                logged(secs(0), Lasting::Nothing),
                vec![
                    skip(1, SkipReason::AccountUnavailable),
                    skip(2, SkipReason::AccountUnavailable),
                    Step::Done,
                ],
                (0, 1, 2),
                Some("account_unavailable"),
            ),
        ];
        for (kind, effects, steps, (sent, failed, skipped), last_error) in rows {
            let mut c = fresh(&[0], 3, 10);
            assert_eq!(pass(&mut c, secs(0)), [send(0), Step::Wait(None)]);
            let got = c.on_outcome((0, 0), &answer(kind, secs(0), 1), CALM, secs(0));
            assert_eq!(got, effects, "{kind:?}");
            assert_eq!(pass(&mut c, secs(0)), steps, "{kind:?}");
            assert_eq!(
                c.tally(),
                Tally {
                    sent,
                    failed,
                    skipped
                },
                "{kind:?}"
            );
            let errors: Vec<_> = c.fares().iter().map(|f| f.last_error).collect();
            assert_eq!(errors[0], last_error, "{kind:?}");
            assert!(c.completed(), "{kind:?}");
        }
    }

    #[test]
    fn a_network_error_is_retried_twice_then_the_slot_fails_and_the_next_goes_ahead() {
        let mut c = fresh(&[0], 2, 10);
        pass(&mut c, secs(0));
        let net = |at, tries| answer(OutcomeKind::Transient, at, tries);
        assert_eq!(
            c.on_outcome((0, 0), &net(secs(0), 1), CALM, secs(0)),
            Effects::Retry(secs(1))
        );
        assert_eq!(
            c.on_outcome((0, 0), &net(secs(1), 2), CALM, secs(1)),
            Effects::Retry(secs(3))
        );
        // The session stays busy with its slot while it is retried.
        assert_eq!(pass(&mut c, secs(2)), [Step::Wait(None)]);
        assert_eq!(
            c.on_outcome((0, 0), &net(secs(4), 3), CALM, secs(4)),
            logged(secs(0), Lasting::Nothing)
        );
        assert_eq!(
            c.tally(),
            Tally {
                sent: 0,
                failed: 1,
                skipped: 0
            }
        );
        assert_eq!(c.fares()[0].last_error, Some("network_error"));
        // 4 s late: the next post is a delay after the last try, less the timer slack.
        assert_eq!(c.max_lateness(), secs(4));
        assert_eq!(
            pass(&mut c, secs(4)),
            [Step::Wait(Some(secs(14) - TIMER_SLACK))]
        );
    }

    #[test]
    fn a_stale_media_reference_is_sent_again_at_once_and_counts_once() {
        let mut c = fresh(&[0], 2, 10);
        pass(&mut c, secs(0));
        let stale = |at, tries| answer(OutcomeKind::StaleFile, at, tries);
        assert_eq!(
            c.on_outcome((0, 0), &stale(secs(0), 1), CALM, secs(0)),
            Effects::Retry(Duration::ZERO)
        );
        assert_eq!(pass(&mut c, secs(0)), [Step::Wait(None)], "still busy");
        assert_eq!(
            c.on_outcome((0, 0), &answer(OutcomeKind::Sent, ms(20), 2), CALM, ms(20)),
            logged(secs(0), Lasting::Nothing)
        );
        assert_eq!(
            c.tally(),
            Tally {
                sent: 1,
                failed: 0,
                skipped: 0
            }
        );
        // Three stale answers in a row: the slot fails, the group and account are untouched.
        let mut c = fresh(&[0], 2, 10);
        pass(&mut c, secs(0));
        for tries in 1..=2 {
            assert_eq!(
                c.on_outcome((0, 0), &stale(secs(0), tries), CALM, secs(0)),
                Effects::Retry(Duration::ZERO)
            );
        }
        assert_eq!(
            c.on_outcome((0, 0), &stale(secs(0), 3), CALM, secs(0)),
            logged(secs(0), Lasting::Nothing)
        );
        assert_eq!(c.fares()[0].last_error, Some("file_reference_expired"));
        assert_eq!(
            pass(&mut c, secs(10)),
            [Step::Send(due(0, 1, secs(10))), Step::Wait(None)]
        );
        // Leaving mid-retry: nothing was posted, so the slot is left for the next engine.
        let mut c = fresh(&[0], 2, 10);
        pass(&mut c, secs(0));
        c.stop();
        let leaving = Handover {
            leaving: true,
            ..CALM
        };
        assert_eq!(
            c.on_outcome((0, 0), &stale(secs(0), 1), leaving, secs(0)),
            Effects::GivenUp
        );
        assert_eq!(c.tally(), Tally::default());
    }

    #[test]
    fn a_rejected_post_is_not_sent_again() {
        let mut c = fresh(&[0], 2, 10);
        pass(&mut c, secs(0));
        let got = c.on_outcome(
            (0, 0),
            &answer(OutcomeKind::Rejected, secs(0), 1),
            CALM,
            secs(0),
        );
        assert_eq!(got, logged(secs(0), Lasting::Nothing));
        assert_eq!(c.tally().failed, 1);
        assert_eq!(
            pass(&mut c, secs(10)),
            [Step::Send(due(0, 1, secs(10))), Step::Wait(None)]
        );
    }

    #[test]
    fn a_flood_wait_mid_session_skips_only_that_accounts_slots_inside_it() {
        let mut c = fresh(&[0, 0], 4, 10);
        pass(&mut c, secs(0));
        for s in 0..2 {
            c.on_outcome(
                (s, 0),
                &answer(OutcomeKind::Sent, secs(0), 1),
                CALM,
                secs(0),
            );
        }
        pass(&mut c, secs(10));
        let flood = answer(OutcomeKind::FloodWait(secs(25)), secs(10), 1);
        let got = c.on_outcome((0, 1), &flood, CALM, secs(10));
        assert_eq!(
            got,
            Effects::Logged {
                target: secs(10),
                lasting: Lasting::AccountWait(secs(25)),
                account_waits: Some(secs(35)),
            }
        );
        c.on_outcome(
            (1, 1),
            &answer(OutcomeKind::Sent, secs(10), 1),
            CALM,
            secs(10),
        );
        // Account 1's slot at 20 s and 30 s are in the wait (until 35 s); account 2 goes on.
        assert_eq!(
            pass(&mut c, secs(10)),
            [
                Step::Skip(due(0, 2, secs(20)), SkipReason::FloodWait),
                Step::Skip(due(0, 3, secs(30)), SkipReason::FloodWait),
                Step::Wait(Some(secs(20))),
            ]
        );
        // Account 1 has nothing left to send: its session ends on its plan, at 40 s.
        assert_eq!(
            pass(&mut c, secs(20)),
            [Step::Send(due(1, 2, secs(20))), Step::Wait(Some(secs(40)))]
        );
        c.on_outcome(
            (1, 2),
            &answer(OutcomeKind::Sent, secs(20), 1),
            CALM,
            secs(20),
        );
        assert_eq!(pass(&mut c, secs(20)), [Step::Wait(Some(secs(30)))]);
        assert_eq!(
            c.tally(),
            Tally {
                sent: 4,
                failed: 1,
                skipped: 2
            }
        );
    }

    #[test]
    fn a_slot_in_flight_counts_its_following_slot_as_the_next_post() {
        // STARTER-like: the second session starts at 30 s.
        let mut c = fresh(&[0, 30], 2, 10);
        assert_eq!(
            pass(&mut c, secs(0)),
            [Step::Send(due(0, 0, secs(0))), Step::Wait(Some(secs(30)))]
        );
        // The pass that started the send counts only the other session.
        assert_eq!(c.next_post(), Some(secs(30)));
        // Any later pass while the post is in flight counts its session's next slot.
        assert_eq!(pass(&mut c, secs(1)), [Step::Wait(Some(secs(30)))]);
        assert_eq!(c.next_post(), Some(secs(10)));
        c.on_outcome((0, 0), &answer(OutcomeKind::Sent, ms(3), 1), CALM, secs(2));
        assert_eq!(pass(&mut c, secs(2)), [Step::Wait(Some(secs(10)))]);
        assert_eq!(c.next_post(), Some(secs(10)));
    }

    #[test]
    fn a_stop_starts_nothing_more_and_ends_once_the_send_in_flight_answers() {
        let mut c = fresh(&[0], 3, 10);
        pass(&mut c, secs(0));
        c.stop();
        assert_eq!(pass(&mut c, secs(0)), [Step::Wait(None)]);
        assert_eq!(c.next_post(), None);
        // No retry after a stop: the first try's failure stands.
        let net = answer(OutcomeKind::Transient, secs(0), 1);
        assert_eq!(
            c.on_outcome((0, 0), &net, CALM, secs(1)),
            logged(secs(0), Lasting::Nothing)
        );
        assert_eq!(pass(&mut c, secs(1)), [Step::Done]);
        assert!(!c.completed());
        assert!(!c.lease_lost());
        assert_eq!(
            c.tally(),
            Tally {
                sent: 0,
                failed: 1,
                skipped: 0
            }
        );
        assert_eq!(c.finish(secs(1)), [(1, secs(0), secs(1))]);
    }

    #[test]
    fn a_send_given_up_for_another_engine_is_not_logged() {
        // Shutting down: a network error is left for the engine that resumes the cycle.
        let mut c = fresh(&[0], 2, 10);
        pass(&mut c, secs(0));
        c.stop();
        let leaving = Handover {
            leaving: true,
            ..CALM
        };
        let net = answer(OutcomeKind::Transient, secs(0), 1);
        assert_eq!(
            c.on_outcome((0, 0), &net, leaving, secs(0)),
            Effects::GivenUp
        );
        assert!(!c.lease_lost());
        assert_eq!(c.tally(), Tally::default());
        // The lease lapsed before the try started: the cycle stops, left for the next engine.
        let mut c = fresh(&[0], 2, 10);
        pass(&mut c, secs(0));
        let abandoned = Handover {
            abandoned: true,
            lease_valid: false,
            leaving: false,
        };
        let net = answer(OutcomeKind::Transient, secs(0), 0);
        assert_eq!(
            c.on_outcome((0, 0), &net, abandoned, secs(0)),
            Effects::GivenUp
        );
        assert!(c.stopping() && c.lease_lost() && !c.completed());
        assert_eq!(pass(&mut c, secs(0)), [Step::Done]);
        // A Telegram answer that arrives after the lease lapsed is still logged.
        let mut c = fresh(&[0], 2, 10);
        pass(&mut c, secs(0));
        c.lose_lease();
        let lapsed = Handover {
            lease_valid: false,
            ..CALM
        };
        let sent = answer(OutcomeKind::Sent, secs(0), 1);
        assert_eq!(
            c.on_outcome((0, 0), &sent, lapsed, secs(0)),
            logged(secs(0), Lasting::Nothing)
        );
    }

    #[test]
    fn restrictions_in_force_skip_their_slots_with_their_reasons() {
        let in_force = InForce {
            // Two records for account 1: the later holds.
            account_waits: vec![(1, secs(5)), (1, secs(15)), (2, Duration::ZERO)],
            pair_waits: vec![(2, 101, secs(1)), (2, 102, secs(10))],
            pair_blocks: vec![(2, 103)],
            media_skipped: Vec::new(),
        };
        let groups = vec![
            Member {
                id: 101,
                usable: true,
            },
            Member {
                id: 102,
                usable: true,
            },
            Member {
                id: 103,
                usable: true,
            },
            Member {
                id: 104,
                usable: false,
            },
        ];
        let accounts = [
            Member {
                id: 1,
                usable: true,
            },
            Member {
                id: 2,
                usable: true,
            },
            Member {
                id: 3,
                usable: false,
            },
        ];
        let mut c = Cycle::new(
            plan(&[0, 0, 0], 4, 10),
            &accounts,
            groups,
            &in_force,
            None,
            secs(0),
        );
        let at = |session, slot: usize| due(session, slot, secs(10 * slot as u64));
        assert_eq!(
            pass(&mut c, secs(0)),
            [
                Step::Skip(at(0, 0), SkipReason::FloodWait),
                Step::Skip(at(0, 1), SkipReason::FloodWait),
                Step::Skip(at(1, 0), SkipReason::SlowMode),
                Step::Skip(at(2, 0), SkipReason::AccountUnavailable),
                Step::Skip(at(2, 1), SkipReason::AccountUnavailable),
                Step::Skip(at(2, 2), SkipReason::AccountUnavailable),
                Step::Skip(at(2, 3), SkipReason::AccountUnavailable),
                Step::Wait(Some(secs(10))),
            ]
        );
        // Account 2's slow mode in group 102 ends at 10 s, when its slot is due: it goes.
        assert_eq!(
            pass(&mut c, secs(10)),
            [Step::Send(at(1, 1)), Step::Wait(Some(secs(20)))]
        );
        c.on_outcome(
            (1, 1),
            &answer(OutcomeKind::Sent, secs(10), 1),
            CALM,
            secs(10),
        );
        assert_eq!(
            pass(&mut c, secs(20)),
            [
                Step::Send(at(0, 2)),
                Step::Skip(at(1, 2), SkipReason::GroupPaused),
                Step::Skip(at(1, 3), SkipReason::GroupUnavailable),
                Step::Wait(Some(secs(40))),
            ]
        );
    }

    #[test]
    fn a_group_skipped_for_media_posts_is_skipped_by_every_account_not_failed_and_the_next_keeps_its_target(
    ) {
        let in_force = InForce {
            media_skipped: vec![102],
            ..InForce::default()
        };
        let mut c = Cycle::new(
            plan(&[0, 0], 3, 10),
            &members(&[1, 2]),
            members(&[101, 102, 103]),
            &in_force,
            None,
            secs(0),
        );
        assert_eq!(
            pass(&mut c, secs(0)),
            [
                Step::Send(due(0, 0, secs(0))),
                Step::Send(due(1, 0, secs(0))),
                // Both in flight: nothing is due before their outcomes.
                Step::Wait(None),
            ]
        );
        for session in 0..2 {
            c.on_outcome(
                (session, 0),
                &answer(OutcomeKind::Sent, secs(0), 1),
                CALM,
                secs(0),
            );
        }
        // The skipped slot is recorded at its turn, and the next group keeps its target.
        assert_eq!(
            pass(&mut c, secs(10)),
            [
                Step::Skip(due(0, 1, secs(10)), SkipReason::MediaSkipped),
                Step::Skip(due(1, 1, secs(10)), SkipReason::MediaSkipped),
                Step::Wait(Some(secs(20))),
            ]
        );
        assert_eq!(
            pass(&mut c, secs(20)),
            [
                Step::Send(due(0, 2, secs(20))),
                Step::Send(due(1, 2, secs(20))),
                Step::Wait(None),
            ]
        );
        assert_eq!(
            c.tally(),
            Tally {
                sent: 2,
                failed: 0,
                skipped: 2
            }
        );
        assert_eq!(c.fares()[1].last_error, Some("media_skipped"));
    }

    /// One account, four groups 10 s apart, interrupted after two posts.
    fn resumed(now: Duration, logged: &[LoggedSlot]) -> Cycle {
        Cycle::new(
            plan(&[0], 4, 10),
            &members(&[1]),
            members(&[101, 102, 103, 104]),
            &InForce::default(),
            Some(logged),
            now,
        )
    }

    fn log(group_id: i64, outcome: Logged, sent_at: Option<u64>) -> LoggedSlot {
        LoggedSlot {
            account_id: 1,
            group_id,
            outcome,
            sent_at: sent_at.map(secs),
        }
    }

    #[test]
    fn a_resumed_cycle_after_a_gap_counts_the_log_and_sends_the_rest_one_delay_apart() {
        let done = [
            log(101, Logged::Sent, Some(0)),
            log(102, Logged::Failed, Some(10)),
        ];
        let mut c = resumed(secs(100), &done);
        assert_eq!(
            c.tally(),
            Tally {
                sent: 1,
                failed: 1,
                skipped: 0
            }
        );
        assert_eq!(c.fares()[1].tally.failed, 1);
        // Overdue: at once.
        assert_eq!(
            pass(&mut c, secs(100)),
            [Step::Send(due(0, 2, secs(20))), Step::Wait(None)]
        );
        c.on_outcome(
            (0, 2),
            &answer(OutcomeKind::Sent, secs(100), 1),
            CALM,
            secs(100),
        );
        // The next one a delay after it (the lateness beyond the slack counts from the send).
        let after = secs(110) - TIMER_SLACK;
        assert_eq!(pass(&mut c, secs(100)), [Step::Wait(Some(after))]);
        assert_eq!(
            pass(&mut c, after),
            [Step::Send(due(0, 3, secs(30))), Step::Wait(None)]
        );
        assert_eq!(c.max_lateness(), secs(80));
    }

    #[test]
    fn a_resumed_cycle_waits_a_delay_after_the_last_logged_send() {
        let done = [
            log(101, Logged::Sent, Some(0)),
            log(102, Logged::Skipped, None),
        ];
        let mut c = resumed(secs(3), &done);
        assert_eq!(
            c.tally(),
            Tally {
                sent: 1,
                failed: 0,
                skipped: 1
            }
        );
        // Slot 103 is due at 20 s; the last send was at 0 s.
        assert_eq!(pass(&mut c, secs(3)), [Step::Wait(Some(secs(20)))]);
        // A log with a gap (a dropped batch): a logged slot is passed over wherever it is.
        let gap = [
            log(101, Logged::Sent, Some(0)),
            log(103, Logged::Sent, Some(20)),
        ];
        let mut c = resumed(secs(30), &gap);
        assert_eq!(
            pass(&mut c, secs(30)),
            [Step::Send(due(0, 1, secs(10))), Step::Wait(None)]
        );
        c.on_outcome(
            (0, 1),
            &answer(OutcomeKind::Sent, secs(30), 1),
            CALM,
            secs(30),
        );
        assert_eq!(
            pass(&mut c, secs(40)),
            [Step::Send(due(0, 3, secs(30))), Step::Wait(None)]
        );
    }

    #[test]
    fn a_resumed_cycle_too_old_skips_the_rest_as_engine_down() {
        let done = [log(101, Logged::Sent, Some(0))];
        // The plan ends at 40 s: at 10 minutes past it, it still posts; a moment later not.
        let mut c = resumed(secs(40) + RESUME_AT_MOST, &done);
        assert!(matches!(c.next(secs(40) + RESUME_AT_MOST), Step::Send(_)));
        let late = secs(40) + RESUME_AT_MOST + ms(1);
        let mut c = resumed(late, &done);
        let skipped: Vec<_> = (2..=4)
            .map(|k| {
                Step::Skip(
                    due(0, k - 1, secs(10 * (k as u64 - 1))),
                    SkipReason::EngineDown,
                )
            })
            .chain([Step::Done])
            .collect();
        assert_eq!(pass(&mut c, late), skipped);
        assert!(c.completed());
        assert_eq!(
            c.tally(),
            Tally {
                sent: 1,
                failed: 0,
                skipped: 3
            }
        );
    }

    #[test]
    fn a_cycle_stays_open_only_when_cut_short_for_another_engine() {
        // (stop, lose the lease, expired, leaving) → left open
        let rows = [
            (false, false, false, false, false),
            (false, false, false, true, false),
            (true, false, false, false, false),
            (true, false, true, true, false),
            (true, false, false, true, true),
            (false, true, false, false, true),
            (false, true, true, false, false),
        ];
        for (stop, lose, expired, leaving, open) in rows {
            let mut c = fresh(&[0], 2, 10);
            if stop {
                c.stop();
            }
            if lose {
                c.lose_lease();
            }
            let row = (stop, lose, expired, leaving);
            assert_eq!(c.left_open(expired, leaving), open, "{row:?}");
        }
    }

    #[test]
    fn the_plans_expiry_stops_the_cycle_unless_the_store_has_it_renewed() {
        // (expiry at start, what the store holds at 1000) → stops, watched next, expired
        // at, reported
        type Row = (
            Option<i64>,
            Option<Option<i64>>,
            bool,
            Option<i64>,
            Option<i64>,
        );
        let rows: [Row; 6] = [
            // Renewed to a later instant, or to no expiry at all.
            (Some(1000), Some(Some(5000)), false, Some(5000), None),
            (Some(1000), Some(None), false, None, None),
            // Expired in the store: at its instant.
            (Some(1000), Some(Some(1000)), true, None, Some(1000)),
            (Some(1000), Some(Some(900)), true, None, Some(900)),
            // No plan any more, or the store can't say: at the expiry known.
            (Some(1000), None, true, None, Some(1000)),
            (None, None, true, None, None),
        ];
        for (at_start, found, stops, watched, expired_at) in rows {
            let mut e = PlanExpiry::new(at_start);
            assert_eq!(e.watch(), at_start);
            assert_eq!(e.reported(), at_start);
            let row = (at_start, found);
            assert_eq!(e.on_reread(found, 1000), stops, "{row:?}");
            assert_eq!(e.watch(), watched, "{row:?}");
            assert_eq!(e.expired_at(), expired_at, "{row:?}");
            let reported = if expired_at.is_some() {
                at_start
            } else {
                watched
            };
            assert_eq!(e.reported(), reported, "{row:?}");
        }
    }

    #[test]
    fn a_stored_plan_gives_back_the_same_layout() {
        let p = plan(&[0, 1800], 3, 10);
        let stored = StoredPlan::of(&p, &[1, 2], &[101, 102, 103]);
        let json = serde_json::to_string(&stored).unwrap();
        let back: StoredPlan = serde_json::from_str(&json).unwrap();
        assert_eq!(back.plan(), Some(p));
        assert_eq!(
            (back.accounts, back.groups),
            (vec![1, 2], vec![101, 102, 103])
        );
        let mismatched = StoredPlan::of(&plan(&[0], 3, 10), &[1, 2], &[101]);
        assert_eq!(mismatched.plan(), None);
    }
}
