//! The pure scheduling core: plans and the mode each forces, the 3 s delay floor, validated
//! settings, per-cycle session offsets, the STARTER feasibility rule and what a post's outcome
//! means for the rest of a session.
//!
//! Nothing here is async, reads a clock or does I/O. Every function takes what it needs
//! (counts, durations, "now" as a number) and returns a decision; the engine carries it out.
//! All arithmetic is on integers (milliseconds for settings, nanoseconds for offsets), so no
//! value can overflow, round differently across cycles or turn into NaN.

use std::fmt;
use std::time::Duration;

pub mod choice;
pub mod content;
pub mod cycle;

/// The least time between two posts of one account, in both modes (the seed's FIX 4).
pub const MIN_DELAY_BETWEEN_POSTS: Duration = Duration::from_secs(3);
/// The largest accepted delay between posts: one day.
pub const MAX_DELAY_BETWEEN_POSTS: Duration = Duration::from_secs(24 * 3600);
/// The largest accepted delay between cycles: one week.
pub const MAX_DELAY_BETWEEN_CYCLES: Duration = Duration::from_secs(7 * 24 * 3600);
/// The largest accepted STARTER cycle length: one week (10 080 minutes).
pub const MAX_CYCLE_LENGTH: Duration = Duration::from_secs(7 * 24 * 3600);
/// The most accounts one customer's cycle may run (plans set lower limits of their own).
pub const MAX_ACCOUNTS: usize = 1_000;
/// The most groups one customer's cycle may post to (plans set lower limits of their own).
pub const MAX_GROUPS: usize = 1_000;

/// A customer's plan. The plan, never the request, decides the execution mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Plan {
    Starter,
    Enterprise,
}

/// How a cycle's sessions are laid out in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Mode {
    /// Sessions staggered across the cycle: session i starts at `i × cycle / n`.
    Starter,
    /// Every session starts at the cycle start.
    Enterprise,
}

impl Plan {
    /// The one mode this plan allows.
    pub fn mode(self) -> Mode {
        match self {
            Plan::Starter => Mode::Starter,
            Plan::Enterprise => Mode::Enterprise,
        }
    }

    /// The plan whose mode this is.
    pub fn for_mode(mode: Mode) -> Plan {
        match mode {
            Mode::Starter => Plan::Starter,
            Mode::Enterprise => Plan::Enterprise,
        }
    }

    /// The name stored in the database and shown to admins: `STARTER` or `ENTERPRISE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Starter => "STARTER",
            Plan::Enterprise => "ENTERPRISE",
        }
    }

    /// Parses `STARTER` / `ENTERPRISE` (any case); `None` for anything else.
    pub fn parse(s: &str) -> Option<Plan> {
        match s.trim().to_ascii_uppercase().as_str() {
            "STARTER" => Some(Plan::Starter),
            "ENTERPRISE" => Some(Plan::Enterprise),
            _ => None,
        }
    }
}

impl Mode {
    /// `starter` or `enterprise`, as on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Starter => "starter",
            Mode::Enterprise => "enterprise",
        }
    }
}

/// What one plan allows and what it costs: limits checked when an account or group is added
/// and before every cycle; the price of `days` more of the plan in Telegram Stars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanTerms {
    pub max_accounts: usize,
    pub max_groups: usize,
    pub price_stars: u32,
    pub days: u32,
}

/// The terms of every plan, from configuration ([`PlanCatalog::default`] otherwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanCatalog {
    pub starter: PlanTerms,
    pub enterprise: PlanTerms,
}

impl Default for PlanCatalog {
    /// STARTER: 3 accounts, 30 groups, 250 ⭐ for 30 days. ENTERPRISE: 25 accounts, 300 groups,
    /// 1 500 ⭐ for 30 days.
    fn default() -> Self {
        PlanCatalog {
            starter: PlanTerms {
                max_accounts: 3,
                max_groups: 30,
                price_stars: 250,
                days: 30,
            },
            enterprise: PlanTerms {
                max_accounts: 25,
                max_groups: 300,
                price_stars: 1_500,
                days: 30,
            },
        }
    }
}

impl PlanCatalog {
    /// Room for as many accounts and groups as a cycle can hold: for the demo and the
    /// benchmarks, which are not held to what customers buy.
    pub fn unbounded() -> PlanCatalog {
        let mut c = PlanCatalog::default();
        for t in [&mut c.starter, &mut c.enterprise] {
            t.max_accounts = MAX_ACCOUNTS;
            t.max_groups = MAX_GROUPS;
        }
        c
    }

    pub fn terms(&self, plan: Plan) -> &PlanTerms {
        match plan {
            Plan::Starter => &self.starter,
            Plan::Enterprise => &self.enterprise,
        }
    }

    /// The limits adding an account or group is held to: the plan's, or without a plan the
    /// largest any plan allows (nothing runs without a plan anyway).
    pub fn limits_for(&self, plan: Option<Plan>) -> (usize, usize) {
        match plan {
            Some(plan) => {
                let t = self.terms(plan);
                (t.max_accounts, t.max_groups)
            }
            None => (
                self.starter.max_accounts.max(self.enterprise.max_accounts),
                self.starter.max_groups.max(self.enterprise.max_groups),
            ),
        }
    }
}

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// The plan after buying `days` of `bought` at `now_ms`: the same plan still running is
/// extended from its expiry (one without expiry stays so); anything else — no plan, an
/// expired one, the other plan — starts `bought` now. Expiry is `(plan, unix ms)`.
pub fn extend(
    current: Option<(Plan, Option<i64>)>,
    bought: Plan,
    days: u32,
    now_ms: i64,
) -> (Plan, Option<i64>) {
    let span = i64::from(days) * DAY_MS;
    match current {
        Some((plan, None)) if plan == bought => (plan, None),
        Some((plan, Some(until))) if plan == bought && until > now_ms => {
            (plan, Some(until.saturating_add(span)))
        }
        _ => (bought, Some(now_ms.saturating_add(span))),
    }
}

/// What a plan limit is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limited {
    Accounts,
    Groups,
}

/// More accounts or groups than the plan allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverLimit {
    pub plan: Option<Plan>,
    pub what: Limited,
    pub max: usize,
    pub have: usize,
}

impl std::fmt::Display for OverLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.what {
            Limited::Accounts => "accounts",
            Limited::Groups => "groups",
        };
        match self.plan {
            Some(plan) => write!(f, "the {} plan allows {} {what}", plan.as_str(), self.max)?,
            None => write!(f, "at most {} {what} are allowed", self.max)?,
        }
        write!(f, "; there are {}", self.have)
    }
}

impl std::error::Error for OverLimit {}

/// Whether one more account or group may be added, given how many there are.
pub fn may_add(
    catalog: &PlanCatalog,
    plan: Option<Plan>,
    what: Limited,
    have: usize,
) -> Result<(), OverLimit> {
    let (accounts, groups) = catalog.limits_for(plan);
    let max = match what {
        Limited::Accounts => accounts,
        Limited::Groups => groups,
    };
    if have < max {
        Ok(())
    } else {
        Err(OverLimit {
            plan,
            what,
            max,
            have,
        })
    }
}

/// A request for the mode the plan does not allow (the seed's FIX 5). `Display` gives the
/// seed's exact texts; the bot renders the localized form from the variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("STARTER plan requires starter execution mode. Cannot use enterprise mode with STARTER plan.")]
    StarterRequiresStarterMode,
    #[error("ENTERPRISE plan requires enterprise execution mode. Cannot use starter mode with ENTERPRISE plan.")]
    EnterpriseRequiresEnterpriseMode,
}

/// The mode a cycle runs in: always the plan's. A request for the other mode is refused.
pub fn mode_for(plan: Plan, requested: Option<Mode>) -> Result<Mode, PlanError> {
    match (plan, requested) {
        (Plan::Starter, Some(Mode::Enterprise)) => Err(PlanError::StarterRequiresStarterMode),
        (Plan::Enterprise, Some(Mode::Starter)) => Err(PlanError::EnterpriseRequiresEnterpriseMode),
        (plan, _) => Ok(plan.mode()),
    }
}

/// Which setting a validation error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    DelayBetweenPosts,
    DelayBetweenCycles,
    CycleMinutes,
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::DelayBetweenPosts => "delay_between_posts",
            Field::DelayBetweenCycles => "delay_between_cycles",
            Field::CycleMinutes => "total_cycle_minutes",
        })
    }
}

/// A setting or count that can never make a valid cycle. The bot renders each variant
/// through the locale files; `Display` is the operator-facing English form.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum InputError {
    #[error("{0} is not a number")]
    NotANumber(Field),
    #[error("{0} must be greater than zero")]
    NotPositive(Field),
    #[error("{0} must not be negative")]
    Negative(Field),
    #[error("{field} is too large (at most {max})")]
    TooLarge { field: Field, max: String },
    #[error("there are no accounts to post from")]
    NoAccounts,
    #[error("there are no groups to post to")]
    NoGroups,
    #[error("too many accounts ({count}; at most {max})")]
    TooManyAccounts { count: usize, max: usize },
    #[error("too many groups ({count}; at most {max})")]
    TooManyGroups { count: usize, max: usize },
    #[error("starter mode needs total_cycle_minutes")]
    MissingCycleLength,
}

/// Seconds (or minutes) given as a float, checked and turned into whole milliseconds.
fn duration_from(
    value: f64,
    unit_ms: f64,
    field: Field,
    max: Duration,
    zero_ok: bool,
) -> Result<Duration, InputError> {
    if value.is_nan() {
        return Err(InputError::NotANumber(field));
    }
    if value < 0.0 {
        return Err(if zero_ok {
            InputError::Negative(field)
        } else {
            InputError::NotPositive(field)
        });
    }
    let too_large = || InputError::TooLarge {
        field,
        max: max_text(field, max),
    };
    if !value.is_finite() || value * unit_ms > max.as_millis() as f64 {
        return Err(too_large());
    }
    let ms = (value * unit_ms).round() as u64;
    if ms == 0 && !zero_ok {
        return Err(InputError::NotPositive(field));
    }
    Ok(Duration::from_millis(ms))
}

fn max_text(field: Field, max: Duration) -> String {
    match field {
        Field::CycleMinutes => format!("{} min", max.as_secs() / 60),
        _ => format!("{} s", max.as_secs()),
    }
}

/// Checks an already-stored millisecond value against the same bounds as the float parsers.
fn duration_from_ms(
    ms: i64,
    field: Field,
    max: Duration,
    zero_ok: bool,
) -> Result<Duration, InputError> {
    match ms {
        ms if ms < 0 && zero_ok => Err(InputError::Negative(field)),
        ms if ms < 0 || (ms == 0 && !zero_ok) => Err(InputError::NotPositive(field)),
        ms if ms as u128 > max.as_millis() => Err(InputError::TooLarge {
            field,
            max: max_text(field, max),
        }),
        ms => Ok(Duration::from_millis(ms as u64)),
    }
}

/// The delay between two posts of one account, as the customer asked for it (before the floor).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DelayBetweenPosts(Duration);

impl DelayBetweenPosts {
    /// Seconds, fractions allowed (millisecond resolution); greater than zero, at most a day.
    pub fn from_secs(secs: f64) -> Result<Self, InputError> {
        duration_from(
            secs,
            1000.0,
            Field::DelayBetweenPosts,
            MAX_DELAY_BETWEEN_POSTS,
            false,
        )
        .map(Self)
    }

    /// A value read back from storage, checked with the same bounds.
    pub fn from_millis(ms: i64) -> Result<Self, InputError> {
        duration_from_ms(ms, Field::DelayBetweenPosts, MAX_DELAY_BETWEEN_POSTS, false).map(Self)
    }

    /// What was asked for.
    pub fn requested(self) -> Duration {
        self.0
    }

    /// The delay actually used: raised to [`MIN_DELAY_BETWEEN_POSTS`] when below it.
    pub fn floored(self) -> Floored {
        if self.0 < MIN_DELAY_BETWEEN_POSTS {
            Floored {
                requested: self.0,
                applied: MIN_DELAY_BETWEEN_POSTS,
            }
        } else {
            Floored {
                requested: self.0,
                applied: self.0,
            }
        }
    }
}

/// A delay after the floor: what was asked for and what will be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Floored {
    pub requested: Duration,
    pub applied: Duration,
}

impl Floored {
    /// True when the floor raised the delay; the UI tells the customer.
    pub fn raised(&self) -> bool {
        self.applied != self.requested
    }

    /// The warning to log and show when the floor applied (the seed's wording).
    pub fn warning(&self) -> Option<String> {
        self.raised().then(|| {
            format!(
                "delay_between_posts ({}s) below minimum ({}s), enforcing minimum",
                secs_text(self.requested),
                secs_text(self.applied)
            )
        })
    }
}

/// The pause after a cycle's last session ends and before the next cycle starts. Zero is
/// allowed: the delay after every post already spaces a cycle's last post from the next one's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DelayBetweenCycles(Duration);

impl DelayBetweenCycles {
    /// Seconds, fractions allowed; zero or more, at most a week.
    pub fn from_secs(secs: f64) -> Result<Self, InputError> {
        duration_from(
            secs,
            1000.0,
            Field::DelayBetweenCycles,
            MAX_DELAY_BETWEEN_CYCLES,
            true,
        )
        .map(Self)
    }

    /// A value read back from storage, checked with the same bounds.
    pub fn from_millis(ms: i64) -> Result<Self, InputError> {
        duration_from_ms(
            ms,
            Field::DelayBetweenCycles,
            MAX_DELAY_BETWEEN_CYCLES,
            true,
        )
        .map(Self)
    }

    pub fn get(self) -> Duration {
        self.0
    }
}

/// The STARTER cycle length (`total_cycle_minutes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CycleLength(Duration);

impl CycleLength {
    /// Minutes, fractions allowed (millisecond resolution); greater than zero, at most a week.
    pub fn from_minutes(minutes: f64) -> Result<Self, InputError> {
        duration_from(
            minutes,
            60_000.0,
            Field::CycleMinutes,
            MAX_CYCLE_LENGTH,
            false,
        )
        .map(Self)
    }

    /// A value read back from storage, checked with the same bounds.
    pub fn from_millis(ms: i64) -> Result<Self, InputError> {
        duration_from_ms(ms, Field::CycleMinutes, MAX_CYCLE_LENGTH, false).map(Self)
    }

    pub fn get(self) -> Duration {
        self.0
    }
}

/// One customer's timing settings, each already validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    pub delay_between_posts: DelayBetweenPosts,
    pub delay_between_cycles: DelayBetweenCycles,
    /// Needed in STARTER mode only; ignored in ENTERPRISE.
    pub cycle_length: Option<CycleLength>,
}

impl Settings {
    /// Settings from numbers as a form or the command line gives them: seconds between posts,
    /// seconds between cycles, and cycle minutes, which only STARTER reads.
    pub fn parse(
        mode: Mode,
        delay_between_posts: f64,
        delay_between_cycles: f64,
        cycle_minutes: f64,
    ) -> Result<Settings, InputError> {
        Ok(Settings {
            delay_between_posts: DelayBetweenPosts::from_secs(delay_between_posts)?,
            delay_between_cycles: DelayBetweenCycles::from_secs(delay_between_cycles)?,
            cycle_length: match mode {
                Mode::Starter => Some(CycleLength::from_minutes(cycle_minutes)?),
                Mode::Enterprise => None,
            },
        })
    }
}

/// A STARTER layout whose sessions would overlap (the seed's FIX 2). `Display` gives the
/// seed's text with the same numbers and formatting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Infeasible {
    /// `groups × delay_between_posts`, after the floor.
    pub session_runtime: Duration,
    /// `total_cycle_seconds / n`.
    pub per_session_offset: Duration,
}

impl fmt::Display for Infeasible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Starter mode infeasible: session runtime ({}s) must be less than per-session offset ({:.1}s). Increase total_cycle_minutes or reduce groups/delay.",
            secs_text(self.session_runtime),
            self.per_session_offset.as_secs_f64()
        )
    }
}

impl std::error::Error for Infeasible {}

/// Seconds the way the seed's Python prints them: `50` for whole seconds, `52.5` otherwise.
pub fn secs_text(d: Duration) -> String {
    format!("{}", d.as_millis() as f64 / 1000.0)
}

/// Why a cycle cannot be planned.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Infeasible(#[from] Infeasible),
}

/// One cycle laid out: when each session starts and when each of its posts is due, all as
/// offsets from the cycle's start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CyclePlan {
    pub mode: Mode,
    /// The delay between posts after the floor, with what was asked for.
    pub delay: Floored,
    /// Session i starts at `cycle_start + offsets[i]`.
    pub offsets: Vec<Duration>,
    pub groups: usize,
    /// `groups × delay`: a session's length, the last post's delay included.
    pub session_runtime: Duration,
    pub delay_between_cycles: Duration,
}

impl CyclePlan {
    pub fn sessions(&self) -> usize {
        self.offsets.len()
    }

    /// When post `k` (0-based group index) of session `i` is due, from the cycle start.
    pub fn post_offset(&self, session: usize, post: usize) -> Duration {
        self.offsets[session] + self.delay.applied * post as u32
    }

    /// When session `i` ends if every post is on time: its start plus the session runtime.
    pub fn session_end(&self, session: usize) -> Duration {
        self.offsets[session] + self.session_runtime
    }

    /// When the last session ends if every post is on time.
    pub fn span(&self) -> Duration {
        self.offsets
            .iter()
            .map(|o| *o + self.session_runtime)
            .max()
            .unwrap_or_default()
    }

    /// The floor warning, when the floor applied.
    pub fn warning(&self) -> Option<String> {
        self.delay.warning()
    }
}

/// Lays out one cycle: validates the counts, applies the floor, checks STARTER feasibility and
/// computes this cycle's offsets (`i × total_cycle_seconds / n` in STARTER, all 0 in
/// ENTERPRISE). The engine calls it afresh at every cycle start.
pub fn plan_cycle(
    mode: Mode,
    settings: &Settings,
    accounts: usize,
    groups: usize,
) -> Result<CyclePlan, ScheduleError> {
    match accounts {
        0 => return Err(InputError::NoAccounts.into()),
        n if n > MAX_ACCOUNTS => {
            return Err(InputError::TooManyAccounts {
                count: n,
                max: MAX_ACCOUNTS,
            }
            .into())
        }
        _ => {}
    }
    match groups {
        0 => return Err(InputError::NoGroups.into()),
        n if n > MAX_GROUPS => {
            return Err(InputError::TooManyGroups {
                count: n,
                max: MAX_GROUPS,
            }
            .into())
        }
        _ => {}
    }
    let delay = settings.delay_between_posts.floored();
    // At most 1 000 groups × 1 day: far inside u32 multiplication on Duration.
    let session_runtime = delay.applied * groups as u32;
    let offsets = match mode {
        Mode::Enterprise => vec![Duration::ZERO; accounts],
        Mode::Starter => {
            let cycle = settings
                .cycle_length
                .ok_or(InputError::MissingCycleLength)?
                .get();
            let n = accounts as u128;
            // runtime < cycle / n  ⇔  runtime × n < cycle, exactly, in integers.
            if session_runtime.as_nanos() * n >= cycle.as_nanos() {
                return Err(Infeasible {
                    session_runtime,
                    per_session_offset: cycle / accounts as u32,
                }
                .into());
            }
            (0..n)
                .map(|i| Duration::from_nanos((cycle.as_nanos() * i / n) as u64))
                .collect()
        }
    };
    Ok(CyclePlan {
        mode,
        delay,
        offsets,
        groups,
        session_runtime,
        delay_between_cycles: settings.delay_between_cycles.get(),
    })
}

/// Why a customer can't start posting, or can't go on with the next cycle.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum NotReady {
    #[error("no plan: an admin grants one, or one is bought on the Plan screen")]
    NoPlan,
    #[error("the plan expired")]
    PlanExpired {
        /// Unix ms.
        expired_at: i64,
    },
    #[error("there is no message to post")]
    NoMessage,
    #[error("the timing settings are not set")]
    NoSettings,
    #[error(transparent)]
    OverLimit(OverLimit),
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
}

/// What the start check looks at, gathered by the caller from the store.
#[derive(Clone, Copy, Debug)]
pub struct Readiness<'a> {
    /// The plan and its expiry (unix ms; `None`: no expiry).
    pub plan: Option<(Plan, Option<i64>)>,
    /// "Now" as unix ms, for the expiry.
    pub now_ms: i64,
    /// A mode the customer asked for, if any; only the plan's mode is accepted.
    pub requested: Option<Mode>,
    pub settings: Option<&'a Settings>,
    pub has_message: bool,
    pub accounts: usize,
    pub groups: usize,
    /// The plans' limits.
    pub catalog: &'a PlanCatalog,
}

/// The checks Start runs before a customer's first cycle and the engine runs before every
/// cycle, in the order a customer fixes them: plan, its expiry, the mode, the message, the
/// settings, the plan's limits, then the accounts, groups and feasibility. Returns the cycle's layout.
pub fn check_ready(r: &Readiness<'_>) -> Result<CyclePlan, NotReady> {
    let (plan, expires_at) = r.plan.ok_or(NotReady::NoPlan)?;
    if let Some(expired_at) = expires_at.filter(|at| *at <= r.now_ms) {
        return Err(NotReady::PlanExpired { expired_at });
    }
    let mode = mode_for(plan, r.requested).map_err(ScheduleError::from)?;
    if !r.has_message {
        return Err(NotReady::NoMessage);
    }
    let settings = r.settings.ok_or(NotReady::NoSettings)?;
    let terms = r.catalog.terms(plan);
    for (what, have, max) in [
        (Limited::Accounts, r.accounts, terms.max_accounts),
        (Limited::Groups, r.groups, terms.max_groups),
    ] {
        if have > max {
            return Err(NotReady::OverLimit(OverLimit {
                plan: Some(plan),
                what,
                max,
                have,
            }));
        }
    }
    Ok(plan_cycle(mode, settings, r.accounts, r.groups)?)
}

/// How late a send may start before the posts after it move back: the timer's own jitter.
pub const TIMER_SLACK: Duration = Duration::from_millis(5);

/// The earliest moment (from the cycle start) the next post of a session may start, after a
/// post due at `target` started at `sent`. A send up to [`TIMER_SLACK`] late leaves the next
/// post at its own target, so timer jitter never accumulates into drift; a later send (a
/// stall, a slow request) counts the delay from itself, so two sends of one account are never
/// closer than `delay − TIMER_SLACK`, and the 3 s floor is never compressed by more than the
/// timer's jitter.
pub fn next_not_before(target: Duration, sent: Duration, delay: Duration) -> Duration {
    let late = sent.saturating_sub(target);
    sent + delay - late.min(TIMER_SLACK)
}

/// What the engine does with the rest of a session after one post's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Go on with the next group on schedule.
    Continue,
    /// The account must not post before `now + wait`: every later slot of this session due
    /// before then is skipped (and logged as skipped); later ones go ahead.
    AccountWaits(Duration),
    /// The account can't post at all any more: the rest of the session is skipped.
    EndSession,
}

/// The kinds of post outcome the decision needs (the Telegram seam maps its outcomes here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutcomeKind {
    Sent,
    /// FLOOD_WAIT: the whole account waits.
    FloodWait(Duration),
    /// SLOWMODE_WAIT: only this (account, group) waits; a session posts once per group.
    SlowMode(Duration),
    /// Write forbidden or banned in this group: this group only.
    GroupRefused,
    /// Revoked, deactivated or PEER_FLOOD: the account stops.
    AccountStopped,
    /// A network error: the slot is tried again ([`retry_after`]); when it still fails, the
    /// next one goes ahead on schedule.
    Transient,
    /// Telegram refused this post for its content or form (MESSAGE_TOO_LONG, …): the slot
    /// fails at once (sending it again would get the same answer), the next one goes ahead on
    /// schedule; nothing about the account or the group changes.
    Rejected,
    /// Our side cannot use the account right now (its stored session does not open): its
    /// session ends for this cycle, nothing about the account is recorded against it.
    Unavailable,
    /// FILE_REFERENCE_EXPIRED / _INVALID: the media's reference went stale, nothing was
    /// posted. The transport uploads again and resends (same random ids) itself; one that
    /// still reaches the engine is sent again at once ([`retry_after`]), never a failure of
    /// the group or the account.
    StaleFile,
}

/// What an outcome leaves behind beyond the running session: recorded, obeyed by every later
/// cycle (and by any engine after a restart), shown to the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lasting {
    Nothing,
    /// FLOOD_WAIT: the account posts nowhere before `now + wait`.
    AccountWait(Duration),
    /// SLOWMODE_WAIT: the account posts in this group not before `now + wait`.
    PairWait(Duration),
    /// The group refused the account: this group is paused for this account until the
    /// customer resumes it.
    PairBlock,
    /// Telegram stopped the account: it is quarantined until the customer logs it in again.
    Quarantine,
}

/// How one outcome changes the running session, and what it leaves behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub session: Next,
    pub lasting: Lasting,
}

/// Decides, once and for every caller, what an outcome means:
///
/// | outcome | the running session | afterwards |
/// | --- | --- | --- |
/// | sent | next group on schedule | — |
/// | network error | the same slot is sent again, with the same random id, after [`RETRY_BACKOFF`] (1 s, then 3 s); after the third failure, next group on schedule | — |
/// | content refused (MESSAGE_TOO_LONG, …) | the slot fails, not sent again; next group on schedule | — |
/// | SLOWMODE_WAIT N | next group on schedule (a session posts once per group) | this account skips this group until N s from now |
/// | write forbidden, banned, private | next group on schedule | this group is paused for this account |
/// | FLOOD_WAIT N | its slots due within N s are skipped, later ones go ahead | the account skips every slot until N s from now |
/// | PEER_FLOOD, revoked, deactivated | the rest is skipped | the account is quarantined |
/// | our side can't use the account (its session doesn't open) | the rest is skipped | — (the operator fixes the key; the account is not blamed) |
/// | media forbidden, payment required, topic closed or deleted, albums refused | next group on schedule | this group is paused for this account (a group refusal) |
/// | file reference expired (the transport's re-upload did not cure it) | the same slot is sent again at once, with the same random ids, [`STALE_FILE_RETRIES`] times; then the slot fails; next group on schedule | — |
pub fn next_after(outcome: OutcomeKind) -> Decision {
    let (session, lasting) = match outcome {
        OutcomeKind::Sent
        | OutcomeKind::Transient
        | OutcomeKind::Rejected
        | OutcomeKind::StaleFile => (Next::Continue, Lasting::Nothing),
        OutcomeKind::SlowMode(wait) => (Next::Continue, Lasting::PairWait(wait)),
        OutcomeKind::GroupRefused => (Next::Continue, Lasting::PairBlock),
        OutcomeKind::FloodWait(wait) => (Next::AccountWaits(wait), Lasting::AccountWait(wait)),
        OutcomeKind::AccountStopped => (Next::EndSession, Lasting::Quarantine),
        OutcomeKind::Unavailable => (Next::EndSession, Lasting::Nothing),
    };
    Decision { session, lasting }
}

/// The pauses before sending a slot again after a network error: the send may or may not
/// have reached Telegram, and the same random id makes a second arrival harmless.
pub const RETRY_BACKOFF: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(3)];

/// How many times a slot whose media reference went stale is sent again (at once: nothing
/// was posted, and the transport has uploaded afresh).
pub const STALE_FILE_RETRIES: usize = 2;

/// Whether a slot whose send has been tried `tries` times (≥ 1) and ended with `outcome` is
/// sent again, and after what pause (see the table at [`next_after`], which applies once no
/// retry is left). Only network errors and stale media references are retried: every other
/// outcome is Telegram's answer.
pub fn retry_after(outcome: OutcomeKind, tries: usize) -> Option<Duration> {
    match outcome {
        OutcomeKind::Transient => RETRY_BACKOFF.get(tries.checked_sub(1)?).copied(),
        OutcomeKind::StaleFile => {
            (tries.checked_sub(1)? < STALE_FILE_RETRIES).then_some(Duration::ZERO)
        }
        _ => None,
    }
}

impl OutcomeKind {
    /// Nothing was posted, or can't be known to have been, and the slot is worth another try:
    /// a network error, a stale media reference. When its engine stops or leaves, such a slot
    /// is left unlogged for the engine that resumes the cycle.
    pub fn unsent(self) -> bool {
        matches!(self, OutcomeKind::Transient | OutcomeKind::StaleFile)
    }
}

/// The Telegram `random_id` of one slot: a fixed function of the customer's post key (stored
/// before its first send) and the slot (cycle number, account, group), which is planned once
/// per cycle. Every slot's id is therefore known to the database before the slot is sent, a
/// retry or a re-send after a crash carries the same id, and Telegram answers a second send
/// with RANDOM_ID_DUPLICATE instead of posting twice. The function must never change: a
/// newer engine resuming an older engine's cycle has to derive the same ids. Never 0
/// (Telegram's "no id"). It is [`RandomIds::first`] of the slot.
pub fn slot_random_id(post_key: i64, cycle_seq: i64, account_id: i64, group_id: i64) -> i64 {
    RandomIds::of(post_key, cycle_seq, account_id, group_id).first()
}

/// SplitMix64's finaliser, a bijection on u64: each input is mixed on its own before it is
/// absorbed, so structured inputs (small consecutive numbers) don't cancel out.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const STEP: u64 = 0x9e37_79b9_7f4a_7c15;

/// `h` with one more part absorbed.
fn absorb(h: u64, part: u64) -> u64 {
    mix(h.wrapping_add(mix(part.wrapping_add(STEP))))
}

/// Never Telegram's "no id".
fn nonzero(h: u64) -> i64 {
    match h as i64 {
        0 => 1,
        id => id,
    }
}

/// The random ids of one slot, one per item it posts (an album's photos, the messages of a
/// multi-message forward), all fixed by the slot: item 0 is the slot's own id
/// ([`slot_random_id`], so a text slot's id is what it always was), item `k` absorbs `k` as
/// one more part. A retry, or a newer engine resuming the cycle, derives the same ids for
/// every item. Copy and allocation-free: the transport derives an item's id when it needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RandomIds {
    /// The slot's hash before the never-0 substitution.
    slot: u64,
}

impl RandomIds {
    /// The ids of the slot (customer's post key, cycle number, account, group).
    pub fn of(post_key: i64, cycle_seq: i64, account_id: i64, group_id: i64) -> RandomIds {
        let mut h = mix(post_key as u64 ^ STEP);
        for part in [cycle_seq, account_id, group_id] {
            h = absorb(h, part as u64);
        }
        RandomIds { slot: h }
    }

    /// The slot's own id: a single message's, an album's first item's.
    pub fn first(self) -> i64 {
        nonzero(self.slot)
    }

    /// The id of item `index` (0-based); `item(0) == first()`.
    pub fn item(self, index: usize) -> i64 {
        match index {
            0 => self.first(),
            k => nonzero(absorb(self.slot, k as u64)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn settings(delay: f64, cycles: f64, minutes: Option<f64>) -> Settings {
        Settings {
            delay_between_posts: DelayBetweenPosts::from_secs(delay).unwrap(),
            delay_between_cycles: DelayBetweenCycles::from_secs(cycles).unwrap(),
            cycle_length: minutes.map(|m| CycleLength::from_minutes(m).unwrap()),
        }
    }

    #[test]
    fn each_plan_forces_its_own_mode() {
        let cases = [
            (Plan::Starter, None, Ok(Mode::Starter)),
            (Plan::Starter, Some(Mode::Starter), Ok(Mode::Starter)),
            (
                Plan::Starter,
                Some(Mode::Enterprise),
                Err(PlanError::StarterRequiresStarterMode),
            ),
            (Plan::Enterprise, None, Ok(Mode::Enterprise)),
            (
                Plan::Enterprise,
                Some(Mode::Enterprise),
                Ok(Mode::Enterprise),
            ),
            (
                Plan::Enterprise,
                Some(Mode::Starter),
                Err(PlanError::EnterpriseRequiresEnterpriseMode),
            ),
        ];
        for (plan, requested, want) in cases {
            assert_eq!(
                mode_for(plan, requested),
                want,
                "{plan:?} asking {requested:?}"
            );
        }
    }

    #[test]
    fn the_refusals_carry_the_seeds_exact_texts() {
        assert_eq!(
            PlanError::StarterRequiresStarterMode.to_string(),
            "STARTER plan requires starter execution mode. Cannot use enterprise mode with STARTER plan."
        );
        assert_eq!(
            PlanError::EnterpriseRequiresEnterpriseMode.to_string(),
            "ENTERPRISE plan requires enterprise execution mode. Cannot use starter mode with ENTERPRISE plan."
        );
    }

    #[test]
    fn plan_names_parse_in_any_case_and_nothing_else() {
        assert_eq!(Plan::parse("starter"), Some(Plan::Starter));
        assert_eq!(Plan::parse(" ENTERPRISE "), Some(Plan::Enterprise));
        assert_eq!(Plan::parse("gold"), None);
        assert_eq!(Plan::parse(""), None);
        assert_eq!(
            Plan::parse(Plan::Enterprise.as_str()),
            Some(Plan::Enterprise)
        );
    }

    #[test]
    fn delays_under_three_seconds_are_raised_with_a_warning_in_both_modes() {
        for mode in [Mode::Starter, Mode::Enterprise] {
            for (asked_ms, used_ms) in [
                (1, 3000),
                (1000, 3000),
                (2999, 3000),
                (3000, 3000),
                (3001, 3001),
                (10_000, 10_000),
            ] {
                let s = Settings {
                    delay_between_posts: DelayBetweenPosts::from_millis(asked_ms).unwrap(),
                    delay_between_cycles: DelayBetweenCycles::from_secs(0.0).unwrap(),
                    cycle_length: Some(CycleLength::from_minutes(600.0).unwrap()),
                };
                let plan = plan_cycle(mode, &s, 1, 2).unwrap();
                assert_eq!(plan.delay.applied, Duration::from_millis(used_ms as u64));
                assert_eq!(plan.delay.raised(), asked_ms < 3000, "{asked_ms} ms");
                assert_eq!(plan.warning().is_some(), asked_ms < 3000);
                assert_eq!(
                    plan.post_offset(0, 1),
                    Duration::from_millis(used_ms as u64)
                );
            }
        }
    }

    #[test]
    fn the_floor_warning_uses_the_seeds_wording() {
        let d = DelayBetweenPosts::from_secs(1.0).unwrap().floored();
        assert_eq!(
            d.warning().unwrap(),
            "delay_between_posts (1s) below minimum (3s), enforcing minimum"
        );
        let d = DelayBetweenPosts::from_secs(2.5).unwrap().floored();
        assert_eq!(
            d.warning().unwrap(),
            "delay_between_posts (2.5s) below minimum (3s), enforcing minimum"
        );
        assert_eq!(
            DelayBetweenPosts::from_secs(3.0)
                .unwrap()
                .floored()
                .warning(),
            None
        );
    }

    #[test]
    fn starter_offsets_are_i_times_cycle_over_n() {
        let cases: [(usize, f64, &[u64]); 4] = [
            (1, 60.0, &[0]),
            (2, 60.0, &[0, 1_800_000]),
            (3, 1.0, &[0, 20_000, 40_000]),
            (4, 10.0, &[0, 150_000, 300_000, 450_000]),
        ];
        for (n, minutes, want_ms) in cases {
            let plan = plan_cycle(Mode::Starter, &settings(3.0, 5.0, Some(minutes)), n, 1).unwrap();
            let got: Vec<u64> = plan.offsets.iter().map(|d| d.as_millis() as u64).collect();
            assert_eq!(got, want_ms, "{n} sessions, {minutes} min");
        }
    }

    #[test]
    fn starter_offsets_keep_fractions_of_a_millisecond_exactly() {
        // 60 min over 7 sessions: 514 285.714… ms apart; computed from the cycle, not summed.
        let plan = plan_cycle(Mode::Starter, &settings(3.0, 0.0, Some(60.0)), 7, 1).unwrap();
        assert_eq!(plan.offsets[1], Duration::from_nanos(514_285_714_285));
        assert_eq!(plan.offsets[6], Duration::from_nanos(3_085_714_285_714));
    }

    #[test]
    fn the_seeds_worked_example_two_sessions_sixty_minutes() {
        let plan = plan_cycle(Mode::Starter, &settings(3.0, 5.0, Some(60.0)), 2, 3).unwrap();
        assert_eq!(plan.offsets, vec![secs(0), secs(1800)]);
        assert_eq!(plan.post_offset(1, 2), secs(1806));
        assert_eq!(plan.session_end(1), secs(1809));
        assert_eq!(plan.span(), secs(1809));
    }

    #[test]
    fn enterprise_offsets_are_all_zero_and_need_no_cycle_length() {
        let plan = plan_cycle(Mode::Enterprise, &settings(4.0, 5.0, None), 5, 3).unwrap();
        assert_eq!(plan.offsets, vec![Duration::ZERO; 5]);
        assert_eq!(plan.session_runtime, secs(12));
        assert_eq!(plan.span(), secs(12));
        // A cycle length that would be infeasible in STARTER is irrelevant in ENTERPRISE.
        let plan = plan_cycle(Mode::Enterprise, &settings(4.0, 5.0, Some(0.01)), 5, 3).unwrap();
        assert_eq!(plan.offsets, vec![Duration::ZERO; 5]);
    }

    #[test]
    fn starter_without_a_cycle_length_is_refused() {
        assert_eq!(
            plan_cycle(Mode::Starter, &settings(3.0, 5.0, None), 2, 3),
            Err(ScheduleError::Input(InputError::MissingCycleLength))
        );
    }

    #[test]
    fn the_seeds_infeasible_example_50s_against_30_0s() {
        // 10 groups × 5 s = 50 s; 1 minute over 2 sessions = 30.0 s.
        let err = plan_cycle(Mode::Starter, &settings(5.0, 5.0, Some(1.0)), 2, 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Starter mode infeasible: session runtime (50s) must be less than per-session offset (30.0s). Increase total_cycle_minutes or reduce groups/delay."
        );
    }

    #[test]
    fn feasibility_is_strict_and_uses_the_floored_delay() {
        // (delay s, groups, sessions, minutes, feasible)
        let cases = [
            (3.0, 10, 2, 1.0, false), // 30 s == 30 s: not strictly less
            (3.0, 9, 2, 1.0, true),   // 27 s < 30 s
            (1.0, 10, 2, 1.0, false), // floored to 3 s: 30 s, not 10 s
            (1.0, 9, 2, 1.0, true),
            (2.9, 20, 1, 1.0, false),    // floored: 60 s == 60 s
            (3.0, 1, 1000, 50.0, false), // 3 s == 3 s
            (3.0, 1, 999, 50.0, true),
        ];
        for (delay, groups, n, minutes, feasible) in cases {
            let got = plan_cycle(
                Mode::Starter,
                &settings(delay, 0.0, Some(minutes)),
                n,
                groups,
            );
            assert_eq!(
                got.is_ok(),
                feasible,
                "{delay} s × {groups} groups, {n} sessions, {minutes} min: {got:?}"
            );
            if !feasible {
                assert!(matches!(got, Err(ScheduleError::Infeasible(_))));
            }
        }
    }

    #[test]
    fn infeasible_messages_format_numbers_like_the_seed() {
        let err = plan_cycle(Mode::Starter, &settings(3.5, 0.0, Some(1.0)), 3, 15).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Starter mode infeasible: session runtime (52.5s) must be less than per-session offset (20.0s). Increase total_cycle_minutes or reduce groups/delay."
        );
        let err = plan_cycle(Mode::Starter, &settings(3.0, 0.0, Some(1.0)), 7, 3).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Starter mode infeasible: session runtime (9s) must be less than per-session offset (8.6s). Increase total_cycle_minutes or reduce groups/delay."
        );
    }

    #[test]
    fn counts_are_validated() {
        let s = settings(3.0, 0.0, Some(60.0));
        let cases = [
            (0, 1, InputError::NoAccounts),
            (1, 0, InputError::NoGroups),
            (0, 0, InputError::NoAccounts),
            (
                MAX_ACCOUNTS + 1,
                1,
                InputError::TooManyAccounts {
                    count: MAX_ACCOUNTS + 1,
                    max: MAX_ACCOUNTS,
                },
            ),
            (
                1,
                MAX_GROUPS + 1,
                InputError::TooManyGroups {
                    count: MAX_GROUPS + 1,
                    max: MAX_GROUPS,
                },
            ),
        ];
        for mode in [Mode::Starter, Mode::Enterprise] {
            for (accounts, groups, want) in &cases {
                assert_eq!(
                    plan_cycle(mode, &s, *accounts, *groups),
                    Err(ScheduleError::Input(want.clone())),
                    "{mode:?} {accounts} accounts {groups} groups"
                );
            }
        }
    }

    #[test]
    fn the_largest_inputs_do_not_overflow() {
        let s = Settings {
            delay_between_posts: DelayBetweenPosts::from_secs(86_400.0).unwrap(),
            delay_between_cycles: DelayBetweenCycles::from_secs(7.0 * 86_400.0).unwrap(),
            cycle_length: Some(CycleLength::from_minutes(10_080.0).unwrap()),
        };
        let plan = plan_cycle(Mode::Enterprise, &s, MAX_ACCOUNTS, MAX_GROUPS).unwrap();
        assert_eq!(plan.session_runtime, secs(86_400_000));
        assert_eq!(
            plan.post_offset(MAX_ACCOUNTS - 1, MAX_GROUPS - 1),
            secs(86_400 * 999)
        );
        let err = plan_cycle(Mode::Starter, &s, MAX_ACCOUNTS, MAX_GROUPS).unwrap_err();
        assert!(matches!(err, ScheduleError::Infeasible(_)));
        let s = Settings {
            delay_between_posts: DelayBetweenPosts::from_secs(3.0).unwrap(),
            ..s
        };
        let plan = plan_cycle(Mode::Starter, &s, 100, 1).unwrap();
        assert_eq!(plan.offsets[99], Duration::from_secs(7 * 86_400) / 100 * 99);
    }

    #[test]
    fn bad_numbers_are_refused_with_typed_errors() {
        let max_posts = InputError::TooLarge {
            field: Field::DelayBetweenPosts,
            max: "86400 s".into(),
        };
        let cases: Vec<(f64, Result<Duration, InputError>)> = vec![
            (
                f64::NAN,
                Err(InputError::NotANumber(Field::DelayBetweenPosts)),
            ),
            (f64::INFINITY, Err(max_posts.clone())),
            (
                f64::NEG_INFINITY,
                Err(InputError::NotPositive(Field::DelayBetweenPosts)),
            ),
            (-1.0, Err(InputError::NotPositive(Field::DelayBetweenPosts))),
            (0.0, Err(InputError::NotPositive(Field::DelayBetweenPosts))),
            (
                0.0001,
                Err(InputError::NotPositive(Field::DelayBetweenPosts)),
            ),
            (86_400.001, Err(max_posts.clone())),
            (1e300, Err(max_posts)),
            (0.001, Ok(Duration::from_millis(1))),
            (3.25, Ok(Duration::from_millis(3250))),
            (86_400.0, Ok(secs(86_400))),
        ];
        for (value, want) in cases {
            assert_eq!(
                DelayBetweenPosts::from_secs(value).map(|d| d.requested()),
                want,
                "{value}"
            );
        }
        assert_eq!(
            DelayBetweenCycles::from_secs(0.0).map(|d| d.get()),
            Ok(Duration::ZERO)
        );
        assert_eq!(
            DelayBetweenCycles::from_secs(-0.5),
            Err(InputError::Negative(Field::DelayBetweenCycles))
        );
        assert_eq!(
            DelayBetweenCycles::from_secs(f64::NAN),
            Err(InputError::NotANumber(Field::DelayBetweenCycles))
        );
        assert!(matches!(
            DelayBetweenCycles::from_secs(1e20),
            Err(InputError::TooLarge { .. })
        ));
        assert_eq!(
            CycleLength::from_minutes(0.0),
            Err(InputError::NotPositive(Field::CycleMinutes))
        );
        assert_eq!(
            CycleLength::from_minutes(-3.0),
            Err(InputError::NotPositive(Field::CycleMinutes))
        );
        assert_eq!(
            CycleLength::from_minutes(0.5).map(|c| c.get()),
            Ok(secs(30))
        );
        assert_eq!(
            CycleLength::from_minutes(10_081.0),
            Err(InputError::TooLarge {
                field: Field::CycleMinutes,
                max: "10080 min".into()
            })
        );
    }

    #[test]
    fn settings_from_numbers_read_the_cycle_length_in_starter_only() {
        let s = Settings::parse(Mode::Starter, 2.0, 0.0, 1.5).unwrap();
        assert_eq!(s.cycle_length.map(CycleLength::get), Some(secs(90)));
        assert_eq!(s.delay_between_posts.requested(), secs(2));
        let s = Settings::parse(Mode::Enterprise, 3.0, 5.0, f64::NAN).unwrap();
        assert_eq!(s.cycle_length, None);
        assert_eq!(
            Settings::parse(Mode::Starter, 3.0, 5.0, f64::NAN),
            Err(InputError::NotANumber(Field::CycleMinutes))
        );
        assert_eq!(
            Settings::parse(Mode::Enterprise, 3.0, -5.0, 1.0),
            Err(InputError::Negative(Field::DelayBetweenCycles))
        );
    }

    #[test]
    fn stored_millisecond_values_are_checked_with_the_same_bounds() {
        assert!(DelayBetweenPosts::from_millis(0).is_err());
        assert!(DelayBetweenPosts::from_millis(-5).is_err());
        assert!(DelayBetweenPosts::from_millis(86_400_001).is_err());
        assert!(DelayBetweenPosts::from_millis(i64::MAX).is_err());
        assert!(DelayBetweenPosts::from_millis(1).is_ok());
        assert_eq!(
            DelayBetweenCycles::from_millis(0).map(|d| d.get()),
            Ok(Duration::ZERO)
        );
        assert!(DelayBetweenCycles::from_millis(-1).is_err());
        assert!(CycleLength::from_millis(0).is_err());
        assert!(CycleLength::from_millis(i64::MIN).is_err());
    }

    #[test]
    fn start_checks_run_in_order_and_name_the_first_problem() {
        let s = settings(3.0, 5.0, Some(60.0));
        let mut roomy = PlanCatalog::default();
        roomy.starter.max_groups = 1_000;
        let ok = Readiness {
            plan: Some((Plan::Starter, Some(2_000))),
            now_ms: 1_000,
            requested: None,
            settings: Some(&s),
            has_message: true,
            accounts: 2,
            groups: 3,
            catalog: &PlanCatalog::default(),
        };
        assert_eq!(check_ready(&ok).unwrap().offsets, vec![secs(0), secs(1800)]);
        let cases: Vec<(Readiness<'_>, NotReady)> = vec![
            (
                Readiness {
                    plan: None,
                    has_message: false,
                    ..ok
                },
                NotReady::NoPlan,
            ),
            (
                Readiness {
                    now_ms: 2_000,
                    has_message: false,
                    ..ok
                },
                NotReady::PlanExpired { expired_at: 2_000 },
            ),
            (
                Readiness {
                    requested: Some(Mode::Enterprise),
                    has_message: false,
                    ..ok
                },
                NotReady::Schedule(ScheduleError::Plan(PlanError::StarterRequiresStarterMode)),
            ),
            (
                Readiness {
                    has_message: false,
                    settings: None,
                    ..ok
                },
                NotReady::NoMessage,
            ),
            (
                Readiness {
                    settings: None,
                    accounts: 0,
                    ..ok
                },
                NotReady::NoSettings,
            ),
            (
                Readiness { accounts: 0, ..ok },
                NotReady::Schedule(ScheduleError::Input(InputError::NoAccounts)),
            ),
            (
                Readiness { groups: 0, ..ok },
                NotReady::Schedule(ScheduleError::Input(InputError::NoGroups)),
            ),
            (
                Readiness {
                    accounts: 4,
                    groups: 0,
                    ..ok
                },
                NotReady::OverLimit(OverLimit {
                    plan: Some(Plan::Starter),
                    what: Limited::Accounts,
                    max: 3,
                    have: 4,
                }),
            ),
            (
                Readiness { groups: 31, ..ok },
                NotReady::OverLimit(OverLimit {
                    plan: Some(Plan::Starter),
                    what: Limited::Groups,
                    max: 30,
                    have: 31,
                }),
            ),
            (
                Readiness {
                    groups: 600,
                    catalog: &roomy,
                    ..ok
                },
                NotReady::Schedule(ScheduleError::Infeasible(Infeasible {
                    session_runtime: secs(1800),
                    per_session_offset: secs(1800),
                })),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(check_ready(&input), Err(want.clone()), "{want:?}");
        }
        let no_expiry = Readiness {
            plan: Some((Plan::Enterprise, None)),
            now_ms: i64::MAX,
            ..ok
        };
        assert_eq!(check_ready(&no_expiry).unwrap().mode, Mode::Enterprise);
    }

    #[test]
    fn jitter_within_the_slack_does_not_drift_and_a_stall_pushes_back() {
        let ms = Duration::from_millis;
        // (target, sent, delay) → not before
        let cases = [
            (ms(0), ms(0), ms(3_000), ms(3_000)),
            (ms(3_000), ms(3_001), ms(3_000), ms(6_000)),
            (ms(3_000), ms(3_005), ms(3_000), ms(6_000)),
            (ms(3_000), ms(3_006), ms(3_000), ms(6_001)),
            (ms(3_000), ms(5_000), ms(3_000), ms(7_995)),
            (ms(3_000), ms(2_999), ms(3_000), ms(5_999)),
        ];
        for (target, sent, delay, want) in cases {
            let got = next_not_before(target, sent, delay);
            assert_eq!(got, want, "target {target:?} sent {sent:?}");
            assert!(
                got - sent >= delay - TIMER_SLACK,
                "the gap never shrinks beyond the slack"
            );
        }
    }

    #[test]
    fn outcomes_decide_the_rest_of_the_session() {
        let cases = [
            (OutcomeKind::Sent, Next::Continue, Lasting::Nothing),
            (OutcomeKind::Transient, Next::Continue, Lasting::Nothing),
            (OutcomeKind::Rejected, Next::Continue, Lasting::Nothing),
            (
                OutcomeKind::SlowMode(secs(30)),
                Next::Continue,
                Lasting::PairWait(secs(30)),
            ),
            (
                OutcomeKind::GroupRefused,
                Next::Continue,
                Lasting::PairBlock,
            ),
            (
                OutcomeKind::FloodWait(secs(31)),
                Next::AccountWaits(secs(31)),
                Lasting::AccountWait(secs(31)),
            ),
            (
                OutcomeKind::AccountStopped,
                Next::EndSession,
                Lasting::Quarantine,
            ),
            (OutcomeKind::Unavailable, Next::EndSession, Lasting::Nothing),
            (OutcomeKind::StaleFile, Next::Continue, Lasting::Nothing),
        ];
        for (outcome, session, lasting) in cases {
            assert_eq!(
                next_after(outcome),
                Decision { session, lasting },
                "{outcome:?}"
            );
        }
    }

    #[test]
    fn slot_random_ids_are_stable_and_distinct() {
        // Pinned: a resumed cycle must get the ids an older build derived for it, so a change to
        // the function has to fail here.
        assert_eq!(slot_random_id(42, 7, 3, 9), 1_416_767_139_237_786_332);
        let mut seen = std::collections::HashSet::new();
        for key in [1_i64, -5] {
            for seq in 1..=40 {
                for account in 1..=10 {
                    for group in 1..=100 {
                        let id = slot_random_id(key, seq, account, group);
                        assert_ne!(id, 0);
                        assert!(
                            seen.insert(id),
                            "collision at {key} {seq} {account} {group}"
                        );
                    }
                }
            }
        }
        // Another customer's key gives other ids for the same slot.
        assert_ne!(slot_random_id(1, 1, 1, 1), slot_random_id(2, 1, 1, 1));
    }

    #[test]
    fn item_zero_is_the_slots_id_and_later_items_are_pinned() {
        let ids = RandomIds::of(42, 7, 3, 9);
        assert_eq!(ids.item(0), 1_416_767_139_237_786_332);
        assert_eq!(ids.first(), slot_random_id(42, 7, 3, 9));
        // Pinned: an album resumed by a newer engine must carry the ids an older one derived.
        assert_eq!(ids.item(1), ITEM_1_OF_42_7_3_9);
        assert_eq!(ids.item(9), ITEM_9_OF_42_7_3_9);
        assert_eq!(
            ids,
            RandomIds::of(42, 7, 3, 9),
            "derived the same each time"
        );
    }

    const ITEM_1_OF_42_7_3_9: i64 = 8_781_321_535_745_723_015;
    const ITEM_9_OF_42_7_3_9: i64 = 8_976_782_229_259_766_831;

    #[test]
    fn item_ids_are_distinct_across_items_and_slots() {
        let mut seen = std::collections::HashSet::new();
        for key in [3_i64, -11] {
            for seq in 1..=20 {
                for account in 1..=5 {
                    for group in 1..=30 {
                        let ids = RandomIds::of(key, seq, account, group);
                        for item in 0..10 {
                            let id = ids.item(item);
                            assert_ne!(id, 0);
                            assert!(
                                seen.insert(id),
                                "collision at {key} {seq} {account} {group} item {item}"
                            );
                        }
                    }
                }
            }
        }
        // An item of one slot is not the first id of the slot whose group number is the
        // item's index (the index is absorbed as a fifth part, not as the group).
        assert_ne!(
            RandomIds::of(1, 1, 1, 1).item(2),
            slot_random_id(1, 1, 1, 2)
        );
    }

    #[test]
    fn a_stale_media_reference_is_sent_again_at_once_twice_then_fails() {
        let s = OutcomeKind::StaleFile;
        assert_eq!(
            retry_after(s, 0),
            None,
            "a slot not tried yet is not a retry"
        );
        assert_eq!(retry_after(s, 1), Some(Duration::ZERO));
        assert_eq!(retry_after(s, 2), Some(Duration::ZERO));
        assert_eq!(retry_after(s, 3), None);
        assert!(s.unsent() && OutcomeKind::Transient.unsent());
        for other in [
            OutcomeKind::Sent,
            OutcomeKind::GroupRefused,
            OutcomeKind::Rejected,
            OutcomeKind::AccountStopped,
            OutcomeKind::Unavailable,
            OutcomeKind::FloodWait(secs(1)),
            OutcomeKind::SlowMode(secs(1)),
        ] {
            assert!(!other.unsent(), "{other:?}");
        }
    }

    #[test]
    fn only_network_errors_are_retried_twice_after_1_then_3_seconds() {
        let t = OutcomeKind::Transient;
        assert_eq!(retry_after(t, 1), Some(Duration::from_secs(1)));
        assert_eq!(retry_after(t, 2), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(t, 3), None);
        assert_eq!(
            retry_after(t, 0),
            None,
            "a slot not tried yet is not a retry"
        );
        for other in [
            OutcomeKind::Sent,
            OutcomeKind::FloodWait(Duration::from_secs(5)),
            OutcomeKind::SlowMode(Duration::from_secs(5)),
            OutcomeKind::GroupRefused,
            OutcomeKind::AccountStopped,
            OutcomeKind::Unavailable,
            OutcomeKind::Rejected,
        ] {
            assert_eq!(retry_after(other, 1), None, "{other:?}");
        }
    }

    #[test]
    fn adding_is_held_to_the_plan_or_without_one_to_the_largest_plan() {
        let c = PlanCatalog::default();
        assert_eq!(
            may_add(&c, Some(Plan::Starter), Limited::Accounts, 2),
            Ok(())
        );
        let full = may_add(&c, Some(Plan::Starter), Limited::Accounts, 3).unwrap_err();
        assert_eq!((full.max, full.have), (3, 3));
        assert_eq!(
            full.to_string(),
            "the STARTER plan allows 3 accounts; there are 3"
        );
        assert_eq!(
            may_add(&c, Some(Plan::Enterprise), Limited::Groups, 299),
            Ok(())
        );
        assert!(may_add(&c, Some(Plan::Enterprise), Limited::Groups, 300).is_err());
        assert_eq!(may_add(&c, None, Limited::Accounts, 24), Ok(()));
        let none = may_add(&c, None, Limited::Accounts, 25).unwrap_err();
        assert_eq!(
            none.to_string(),
            "at most 25 accounts are allowed; there are 25"
        );
    }

    #[test]
    fn buying_extends_the_same_running_plan_and_otherwise_starts_now() {
        let (now, d) = (1_000_000, DAY_MS);
        let (s, e) = (Plan::Starter, Plan::Enterprise);
        assert_eq!(extend(None, s, 30, now), (s, Some(now + 30 * d)));
        assert_eq!(
            extend(Some((s, Some(now + d))), s, 30, now),
            (s, Some(now + 31 * d))
        );
        assert_eq!(
            extend(Some((s, Some(now))), s, 30, now),
            (s, Some(now + 30 * d))
        );
        assert_eq!(
            extend(Some((s, Some(now + d))), e, 30, now),
            (e, Some(now + 30 * d))
        );
        assert_eq!(extend(Some((e, None)), e, 30, now), (e, None));
    }
}
