//! Every screen and message of the bot, rendered from data into Telegram HTML and inline
//! keyboards. All words come from the locale files; customer-supplied strings are escaped.

use std::time::Duration;

use super::callback::{Cb, Screen};
use super::input::{Refusal, MAX_MESSAGE_LEN};
use super::{Button, Screenful};
use crate::engine::LiveStatus;
use crate::i18n::{decimal, t, t_args, Args, Lang};
use crate::schedule::{
    self, secs_text, Field, Floored, Infeasible, InputError, Limited, Mode, NotReady, OverLimit,
    Plan, PlanError, ScheduleError, Settings, MAX_CYCLE_LENGTH, MAX_DELAY_BETWEEN_CYCLES,
    MAX_DELAY_BETWEEN_POSTS,
};
use crate::store::{
    Account, AccountStatus, CycleRow, CycleStatus, Group, GroupStatus, GroupTally, LastCycle,
    PlanGrant,
};
use crate::telegram::login::LoginError;

/// Active accounts and groups, for the feasibility check.
#[derive(Clone, Copy, Debug)]
pub struct Counts {
    pub accounts: usize,
    pub groups: usize,
}

/// What the Status screen shows.
pub struct StatusData {
    pub running: bool,
    pub live: Option<LiveStatus>,
    pub last: LastCycle,
    pub health: Health,
}

/// The customer's accounts and groups with what Telegram said about them.
pub struct Health {
    pub accounts: Vec<Account>,
    /// The end of each account's flood wait (unix ms), when in the future; aligned with
    /// `accounts`.
    pub waits: Vec<Option<i64>>,
    pub groups: Vec<Group>,
    /// Per group (aligned with `groups`): which account it refused, or slows down, and how.
    pub notes: Vec<Vec<(String, GroupNote)>>,
}

/// What Telegram said about one account in one group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupNote {
    /// The group refused the account (a reason code); paused for it.
    Refused(String),
    /// Slow mode: the account may post there again at this time (unix ms).
    SlowMode(i64),
}

impl Health {
    /// A group is healthy when neither the customer nor Telegram paused it for anyone.
    pub fn group_ok(&self, i: usize) -> bool {
        self.groups[i].status == GroupStatus::Active
            && !self.notes[i]
                .iter()
                .any(|(_, n)| matches!(n, GroupNote::Refused(_)))
    }
}

fn back(lang: Lang) -> Vec<Button> {
    vec![Button::new(t(lang, "button-back"), Cb::Open(Screen::Main))]
}

/// `2026-11-29 20:31:05 UTC`.
pub fn clock_time(unix_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(unix_ms)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "?".to_string())
}

/// `+1:05:03` style (`+0:00:01.5` with a fraction), for offsets in a preview.
fn span(lang: Lang, d: Duration) -> String {
    let ms = d.as_millis();
    let (h, m, s, frac) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    let secs = if frac == 0 {
        format!("{s:02}")
    } else {
        format!("{s:02}.{:03}", frac)
            .trim_end_matches('0')
            .to_string()
    };
    decimal(lang, &format!("+{h}:{m:02}:{secs}"))
}

/// Minutes, fractions as needed (`2.5`; `2,5` in Russian).
fn minutes_text(lang: Lang, d: Duration) -> String {
    decimal(lang, &format!("{}", d.as_millis() as f64 / 60_000.0))
}

/// Seconds, fractions as needed (`1.5`; `1,5` in Russian).
fn secs(lang: Lang, d: Duration) -> String {
    decimal(lang, &secs_text(d))
}

/// Seconds with one decimal, as the seed's feasibility message writes offsets (`30.0`).
fn secs_one_decimal(lang: Lang, d: Duration) -> String {
    decimal(lang, &format!("{:.1}", d.as_secs_f64()))
}

pub(crate) fn plan_name(lang: Lang, plan: Plan) -> String {
    t(
        lang,
        match plan {
            Plan::Starter => "plan-starter",
            Plan::Enterprise => "plan-enterprise",
        },
    )
}

// ---- texts shared by several screens --------------------------------------------------------

/// The seed's refusal of the other mode, localized.
pub fn plan_error(lang: Lang, e: &PlanError) -> String {
    t(
        lang,
        match e {
            PlanError::StarterRequiresStarterMode => "plan-starter-only",
            PlanError::EnterpriseRequiresEnterpriseMode => "plan-enterprise-only",
        },
    )
}

/// The seed's feasibility message, localized, with the seed's number formatting.
pub fn infeasible(lang: Lang, e: &Infeasible) -> String {
    t_args(
        lang,
        "infeasible",
        &Args::new()
            .text("runtime", secs(lang, e.session_runtime))
            .text("offset", secs_one_decimal(lang, e.per_session_offset)),
    )
}

/// The floor warning, localized.
pub fn floor_warning(lang: Lang, f: &Floored) -> String {
    t_args(
        lang,
        "floor-warning",
        &Args::new()
            .text("requested", secs(lang, f.requested))
            .text("applied", secs(lang, f.applied)),
    )
}

fn limit_args(o: &OverLimit) -> Args {
    let args = Args::new()
        .num("max", o.max as f64)
        .num("have", o.have as f64);
    match o.plan {
        Some(plan) => args.text("plan", plan.as_str()),
        None => args,
    }
}

/// Why one more account or group can't be added.
pub fn over_limit(lang: Lang, o: &OverLimit) -> String {
    let key = match (o.what, o.plan) {
        (Limited::Accounts, Some(_)) => "limit-accounts",
        (Limited::Groups, Some(_)) => "limit-groups",
        (Limited::Accounts, None) => "limit-accounts-no-plan",
        (Limited::Groups, None) => "limit-groups-no-plan",
    };
    t_args(lang, key, &limit_args(o))
}

/// Why Start refused, and what to do.
pub fn not_ready(lang: Lang, reason: &NotReady) -> String {
    match reason {
        NotReady::NoPlan => t(lang, "start-no-plan"),
        NotReady::PlanExpired { expired_at } => t_args(
            lang,
            "start-plan-expired",
            &Args::new().text("date", clock_time(*expired_at)),
        ),
        NotReady::NoMessage => t(lang, "start-no-message"),
        NotReady::NoSettings => t(lang, "start-no-settings"),
        NotReady::OverLimit(o) => {
            let key = match o.what {
                Limited::Accounts => "start-over-limit-accounts",
                Limited::Groups => "start-over-limit-groups",
            };
            t_args(lang, key, &limit_args(o))
        }
        NotReady::Schedule(ScheduleError::Plan(e)) => plan_error(lang, e),
        NotReady::Schedule(ScheduleError::Infeasible(e)) => infeasible(lang, e),
        NotReady::Schedule(ScheduleError::Input(e)) => match e {
            InputError::NoAccounts => t(lang, "start-no-accounts"),
            InputError::NoGroups => t(lang, "start-no-groups"),
            InputError::MissingCycleLength => t(lang, "start-no-cycle-length"),
            InputError::TooManyAccounts { max, .. } => {
                t_args(lang, "accounts-limit", &Args::new().num("max", *max as f64))
            }
            InputError::TooManyGroups { max, .. } => {
                t_args(lang, "groups-limit", &Args::new().num("max", *max as f64))
            }
            // Stored values are validated when typed; this means a value changed behind the
            // bot's back. The Timing screen shows and fixes them.
            _ => t(lang, "start-invalid-settings"),
        },
    }
}

/// A refused typed answer.
pub fn refusal(lang: Lang, r: &Refusal) -> String {
    match r {
        Refusal::EmptyMessage => t_args(
            lang,
            "message-empty",
            &Args::new().num("max", MAX_MESSAGE_LEN as f64),
        ),
        Refusal::MessageTooLong { len } => t_args(
            lang,
            "message-too-long",
            &Args::new()
                .num("len", *len as f64)
                .num("max", MAX_MESSAGE_LEN as f64),
        ),
        Refusal::MediaMessage => t_args(
            lang,
            "message-media",
            &Args::new().num("max", MAX_MESSAGE_LEN as f64),
        ),
        Refusal::BadGroupRef => t(lang, "group-bad-reference"),
        Refusal::PrivateInvite => t(lang, "group-private-invite"),
        Refusal::BadPhone => t(lang, "account-bad-phone"),
        Refusal::NotANumber => t(lang, "timing-not-a-number"),
        Refusal::Timing(_) => t(lang, "timing-not-a-number"),
        Refusal::BadSession(e) => t(
            lang,
            match e {
                crate::telegram::import::ImportError::Bot => "import-bot",
                crate::telegram::import::ImportError::TestServers => "import-test-servers",
                _ => "import-unrecognised",
            },
        ),
    }
}

/// A timing field's unit (the locale keys of its long and short name) and its largest value.
fn field_range(field: Field) -> (&'static str, &'static str, u64) {
    match field {
        Field::DelayBetweenPosts => ("unit-seconds", "unit-s", MAX_DELAY_BETWEEN_POSTS.as_secs()),
        Field::DelayBetweenCycles => ("unit-seconds", "unit-s", MAX_DELAY_BETWEEN_CYCLES.as_secs()),
        Field::CycleMinutes => ("unit-minutes", "unit-min", MAX_CYCLE_LENGTH.as_secs() / 60),
    }
}

/// A refused timing value, naming the field and its range.
pub fn timing_refusal(lang: Lang, field: Field, r: &Refusal) -> String {
    let (unit, short, max) = field_range(field);
    let min = if field == Field::DelayBetweenCycles {
        "0"
    } else {
        "0.001"
    };
    let args = Args::new()
        .html("field", t(lang, field_key(field)))
        .html("field_nom", t(lang, &format!("{}-nom", field_key(field))))
        .num("max", max as f64)
        .text("min", decimal(lang, min))
        .html("unit", t(lang, unit))
        .html("unit_short", t(lang, short));
    match r {
        Refusal::NotANumber => t_args(lang, "timing-not-a-number-range", &args),
        Refusal::Timing(InputError::TooLarge { .. }) => t_args(lang, "timing-too-large", &args),
        Refusal::Timing(InputError::NotPositive(_)) => t_args(lang, "timing-not-positive", &args),
        Refusal::Timing(InputError::Negative(_)) => t_args(lang, "timing-negative", &args),
        other => refusal(lang, other),
    }
}

/// An outcome or status reason code (`flood_wait`, `write_forbidden`, …) in words.
pub fn reason(lang: Lang, code: &str) -> String {
    crate::i18n::try_t(lang, &format!("reason-{code}")).unwrap_or_else(|| crate::i18n::escape(code))
}

fn field_key(field: Field) -> &'static str {
    match field {
        Field::DelayBetweenPosts => "field-delay-posts",
        Field::DelayBetweenCycles => "field-delay-cycles",
        Field::CycleMinutes => "field-cycle-minutes",
    }
}

/// A login step's failure.
pub fn login_error(lang: Lang, e: &LoginError) -> String {
    match e {
        LoginError::NotTestNumber => t(lang, "login-not-test-number"),
        LoginError::PhoneInvalid => t(lang, "login-phone-invalid"),
        LoginError::InvalidCode => t(lang, "login-invalid-code"),
        LoginError::CodeExpired => t(lang, "login-code-expired"),
        LoginError::FloodWait(secs) => t_args(
            lang,
            "login-flood-wait",
            &Args::new().num("secs", *secs as f64),
        ),
        LoginError::Unavailable => t(lang, "login-telegram-unavailable"),
        LoginError::InvalidPassword { hint: Some(hint) } => t_args(
            lang,
            "login-invalid-password-hint",
            &Args::new().text("hint", hint),
        ),
        LoginError::InvalidPassword { hint: None } => t(lang, "login-invalid-password"),
        LoginError::PhoneBanned => t(lang, "login-phone-banned"),
        LoginError::NoLogin => t(lang, "login-none"),
        LoginError::TooManyLogins => t(lang, "login-too-many"),
        LoginError::TooManyCodes { wait_secs } => t_args(
            lang,
            "login-too-many-codes",
            &Args::new().num("minutes", wait_secs.div_ceil(60).max(1) as f64),
        ),
        LoginError::ImportUnavailable => t(lang, "import-unavailable"),
        LoginError::SessionNotAuthorized => t(lang, "import-not-authorized"),
        LoginError::SessionOfAnotherUser(other) => t_args(
            lang,
            "import-other-user",
            &Args::new()
                .text("string_user", other.string_user.to_string())
                .text("telegram_user", other.telegram_user.to_string()),
        ),
        LoginError::Unreadable => t(lang, "login-telegram-unreadable"),
        LoginError::KeyRefused => t(lang, "login-key-refused"),
        LoginError::KeyExchange => t(lang, "login-key-exchange"),
        LoginError::Unexpected { name } => t_args(
            lang,
            "login-telegram-unexpected",
            &Args::new().text("name", name),
        ),
        LoginError::Internal => t(lang, "login-internal"),
    }
}

// ---- screens -------------------------------------------------------------------------------

pub fn main(lang: Lang, plan: Option<PlanGrant>, running: bool, now_ms: i64) -> Screenful {
    let plan_line = plan_line(lang, plan, now_ms);
    let state = t(
        lang,
        if running {
            "state-running"
        } else {
            "state-stopped"
        },
    );
    let text = t_args(
        lang,
        "main-menu",
        &Args::new().html("plan", plan_line).html("state", state),
    );
    let b = |key: &str, screen: Screen| Button::new(t(lang, key), Cb::Open(screen));
    let start_stop = if running {
        Button::new(t(lang, "button-stop"), Cb::Stop)
    } else {
        Button::new(t(lang, "button-start"), Cb::Start)
    };
    Screenful {
        text,
        keyboard: vec![
            vec![
                b("button-message", Screen::Message),
                b("button-groups", Screen::Groups),
            ],
            vec![
                b("button-accounts", Screen::Accounts),
                b("button-timing", Screen::Timing),
            ],
            vec![b("button-preview", Screen::Preview), start_stop],
            vec![
                b("button-status", Screen::Status),
                b("button-plan", Screen::Plan),
            ],
            vec![b("button-language", Screen::Language)],
        ],
    }
}

pub(crate) fn plan_line(lang: Lang, plan: Option<PlanGrant>, now_ms: i64) -> String {
    match plan {
        None => t(lang, "plan-none"),
        Some(g) => match g.expires_at {
            None => t_args(
                lang,
                "plan-line-forever",
                &Args::new().html("plan", plan_name(lang, g.plan)),
            ),
            Some(at) if at <= now_ms => t_args(
                lang,
                "plan-line-expired",
                &Args::new()
                    .html("plan", plan_name(lang, g.plan))
                    .text("date", clock_time(at)),
            ),
            Some(at) => t_args(
                lang,
                "plan-line",
                &Args::new()
                    .html("plan", plan_name(lang, g.plan))
                    .text("date", clock_time(at)),
            ),
        },
    }
}

/// Posts up to this many characters are shown inside the Message screen; longer ones would
/// push the screen past Telegram's 4 096 and are shown on their own with "Show the post".
const PREVIEW_MAX: usize = 3_000;

/// The length Telegram counts for a post given as HTML: tags dropped, entities one character.
pub fn html_text_len(html: &str) -> usize {
    let mut len = 0;
    let mut in_tag = false;
    let mut in_entity = false;
    for c in html.chars() {
        match (in_tag, in_entity, c) {
            (false, false, '<') => in_tag = true,
            (true, _, '>') => in_tag = false,
            (true, _, _) => {}
            (false, false, '&') => {
                in_entity = true;
                len += 1;
            }
            (false, true, ';') => in_entity = false,
            (false, true, _) => {}
            (false, false, c) => len += c.len_utf16(),
        }
    }
    len
}

pub fn message(lang: Lang, html: Option<&str>) -> Screenful {
    let max = MAX_MESSAGE_LEN as f64;
    let text = match html {
        Some(html) if html_text_len(html) <= PREVIEW_MAX => t_args(
            lang,
            "message-screen",
            &Args::new().html("message", html).num("max", max),
        ),
        Some(html) => t_args(
            lang,
            "message-screen-long",
            &Args::new()
                .num("len", html_text_len(html) as f64)
                .num("max", max),
        ),
        None => t_args(lang, "message-screen-empty", &Args::new().num("max", max)),
    };
    let mut keyboard = Vec::new();
    if html.is_some() {
        keyboard.push(vec![Button::new(t(lang, "button-show-post"), Cb::ShowPost)]);
    }
    keyboard.push(back(lang));
    Screenful { text, keyboard }
}

/// Rows shown per page of a list.
pub const PAGE: usize = 10;

/// The slice of `items` on `page` (clamped to the last page), the page, and the page count.
fn paged<T>(items: &[T], page: usize) -> (&[T], usize, usize) {
    let pages = items.len().div_ceil(PAGE).max(1);
    let page = page.min(pages - 1);
    let start = page * PAGE;
    (&items[start..(start + PAGE).min(items.len())], page, pages)
}

/// ◀ / ▶ buttons for a list with more than one page.
fn page_row(screen: Screen, page: usize, pages: usize) -> Option<Vec<Button>> {
    if pages <= 1 {
        return None;
    }
    let mut row = Vec::new();
    if page > 0 {
        row.push(Button::new("◀", Cb::Page(screen, page as u32 - 1)));
    }
    row.push(Button::new(
        format!("{}/{}", page + 1, pages),
        Cb::Page(screen, page as u32),
    ));
    if page + 1 < pages {
        row.push(Button::new("▶", Cb::Page(screen, page as u32 + 1)));
    }
    Some(row)
}

pub(crate) fn group_health(lang: Lang, g: &Group, notes: &[(String, GroupNote)]) -> String {
    let mut text = match (g.status, g.reason.as_deref()) {
        (GroupStatus::Active, _) if notes.is_empty() => t(lang, "health-ok"),
        (GroupStatus::Active, _) => String::new(),
        (_, Some(why)) => t_args(
            lang,
            "health-paused-why",
            &Args::new().html("reason", reason(lang, why)),
        ),
        (_, None) => t(lang, "health-paused"),
    };
    for (account, note) in notes {
        if !text.is_empty() {
            text.push_str("; ");
        }
        text.push_str(&match note {
            GroupNote::Refused(why) => t_args(
                lang,
                "health-refused-for",
                &Args::new()
                    .text("account", account)
                    .html("reason", reason(lang, why)),
            ),
            GroupNote::SlowMode(until) => t_args(
                lang,
                "health-slow-mode-for",
                &Args::new()
                    .text("account", account)
                    .text("time", clock_time(*until)),
            ),
        });
    }
    text
}

pub fn groups(lang: Lang, h: &Health, page: usize) -> Screenful {
    let (shown, page, pages) = paged(&h.groups, page);
    let mut lines = vec![t_args(
        lang,
        "groups-title",
        &Args::new().num("count", h.groups.len() as f64),
    )];
    let mut keyboard = Vec::new();
    for (i, g) in shown.iter().enumerate() {
        let n = page * PAGE + i;
        lines.push(format!(
            "{}. {} — {}",
            n + 1,
            crate::i18n::escape(&g.reference),
            group_health(lang, g, &h.notes[n])
        ));
        // ▶ resumes a group paused by the customer or refused by Telegram (once fixed).
        let toggle = if h.group_ok(n) {
            "button-pause"
        } else {
            "button-resume"
        };
        keyboard.push(vec![
            Button::new(
                format!("{} {}", t(lang, toggle), g.reference),
                Cb::ToggleGroup(g.id),
            ),
            Button::new(t(lang, "button-remove"), Cb::RemoveGroup(g.id)),
        ]);
    }
    if h.groups.is_empty() {
        lines.push(t(lang, "groups-empty"));
    }
    keyboard.extend(page_row(Screen::Groups, page, pages));
    keyboard.push(vec![
        Button::new(t(lang, "button-add-group"), Cb::AddGroup),
        Button::new(t(lang, "button-pick-groups"), Cb::PickGroups),
    ]);
    keyboard.push(back(lang));
    Screenful {
        text: lines.join("\n"),
        keyboard,
    }
}

/// The account's own groups not yet in the list, one button each (the first 20).
pub fn pick_groups(lang: Lang, list: &[crate::telegram::groups::GroupInfo]) -> Screenful {
    let text = if list.is_empty() {
        t(lang, "pick-groups-none")
    } else {
        t(lang, "pick-groups-title")
    };
    let mut keyboard: Vec<Vec<Button>> = list
        .iter()
        .take(2 * PAGE)
        .map(|g| {
            vec![Button::new(
                format!("➕ {}", g.title),
                Cb::PickGroup(g.dialog_id),
            )]
        })
        .collect();
    keyboard.push(vec![Button::new(
        t(lang, "button-back"),
        Cb::Open(Screen::Groups),
    )]);
    Screenful { text, keyboard }
}

/// Why a group can't be posted to from an account, in words.
pub fn group_problem(lang: Lang, p: &crate::telegram::groups::GroupProblem) -> String {
    use crate::telegram::groups::GroupProblem as P;
    match p {
        P::NotFound => t(lang, "group-problem-not-found"),
        P::NotAGroup => t(lang, "group-problem-not-a-group"),
        P::NotMember => t(lang, "group-problem-not-member"),
        P::CannotWrite => t(lang, "group-problem-cannot-write"),
        P::AccountUnavailable => t(lang, "group-problem-account"),
        P::FloodWait(secs) => t_args(
            lang,
            "login-flood-wait",
            &Args::new().num("secs", *secs as f64),
        ),
        P::Unavailable => t(lang, "login-telegram-unavailable"),
    }
}

pub(crate) fn account_health(lang: Lang, a: &Account, wait: Option<i64>) -> String {
    match (a.status, wait) {
        (AccountStatus::Active, Some(until)) => t_args(
            lang,
            "health-waiting",
            &Args::new().text("time", clock_time(until)),
        ),
        (AccountStatus::Active, None) => t(lang, "health-ok"),
        (AccountStatus::Paused, _) => t(lang, "health-paused"),
        (AccountStatus::Quarantined, _) => t_args(
            lang,
            "health-quarantined",
            &Args::new().html(
                "reason",
                reason(lang, a.reason.as_deref().unwrap_or("unknown")),
            ),
        ),
    }
}

/// How accounts can be added on this server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logins {
    /// No login is configured: the screen says so.
    Unavailable,
    /// A phone number and its code (simulated accounts: Telegram's test numbers).
    Phone,
    /// A phone number, or a Telethon/Pyrogram session string taken over.
    PhoneOrSession,
}

pub fn accounts(lang: Lang, h: &Health, logins: Logins, page: usize) -> Screenful {
    let (shown, page, pages) = paged(&h.accounts, page);
    let mut lines = vec![t_args(
        lang,
        "accounts-title",
        &Args::new().num("count", h.accounts.len() as f64),
    )];
    let mut keyboard = Vec::new();
    for (i, a) in shown.iter().enumerate() {
        let n = page * PAGE + i;
        let health = account_health(lang, a, h.waits.get(n).copied().flatten());
        lines.push(format!(
            "{}. {} — {}",
            n + 1,
            crate::i18n::escape(&a.label),
            health
        ));
        let toggle = if a.status == AccountStatus::Active {
            "button-pause"
        } else {
            "button-resume"
        };
        keyboard.push(vec![
            Button::new(
                format!("{} {}", t(lang, toggle), a.label),
                Cb::ToggleAccount(a.id),
            ),
            Button::new(t(lang, "button-remove"), Cb::RemoveAccount(a.id)),
        ]);
    }
    if h.accounts.is_empty() {
        lines.push(t(lang, "accounts-empty"));
    }
    if logins == Logins::Unavailable {
        lines.push(t(lang, "login-unavailable"));
    }
    keyboard.extend(page_row(Screen::Accounts, page, pages));
    let mut add = vec![Button::new(t(lang, "button-add-account"), Cb::AddAccount)];
    if logins == Logins::PhoneOrSession {
        add.push(Button::new(
            t(lang, "button-import-session"),
            Cb::ImportSession,
        ));
    }
    keyboard.push(add);
    keyboard.push(back(lang));
    Screenful {
        text: lines.join("\n"),
        keyboard,
    }
}

/// The feasibility line for the Timing screen.
fn feasibility(lang: Lang, plan: Option<Plan>, settings: &Settings, counts: Counts) -> String {
    let Some(plan) = plan else {
        return t(lang, "feasibility-no-plan");
    };
    if counts.accounts == 0 || counts.groups == 0 {
        return t(lang, "feasibility-need-counts");
    }
    match schedule::plan_cycle(plan.mode(), settings, counts.accounts, counts.groups) {
        Ok(layout) => {
            let runtime = secs(lang, layout.delay.applied * counts.groups as u32);
            let args = Args::new()
                .text("runtime", runtime)
                .num("accounts", counts.accounts as f64);
            match (plan.mode(), layout.offsets.get(1)) {
                (Mode::Starter, Some(step)) => t_args(
                    lang,
                    "feasible-starter",
                    &args.text("offset", secs_one_decimal(lang, *step)),
                ),
                (Mode::Starter, None) => t_args(
                    lang,
                    "feasible-starter-one",
                    &args.text(
                        "minutes",
                        settings
                            .cycle_length
                            .map(|c| minutes_text(lang, c.get()))
                            .unwrap_or_default(),
                    ),
                ),
                (Mode::Enterprise, _) => t_args(lang, "feasible-enterprise", &args),
            }
        }
        Err(ScheduleError::Infeasible(e)) => infeasible(lang, &e),
        Err(ScheduleError::Plan(e)) => plan_error(lang, &e),
        Err(ScheduleError::Input(e)) => {
            not_ready(lang, &NotReady::Schedule(ScheduleError::Input(e)))
        }
    }
}

pub fn timing(lang: Lang, plan: Option<Plan>, settings: &Settings, counts: Counts) -> Screenful {
    let floored = settings.delay_between_posts.floored();
    let mut lines = vec![t(lang, "timing-title")];
    lines.push(match plan {
        Some(p) => t_args(
            lang,
            "timing-mode",
            &Args::new().html("plan", plan_name(lang, p)),
        ),
        None => t(lang, "timing-mode-none"),
    });
    lines.push(t_args(
        lang,
        "timing-delay-posts",
        &Args::new().text("secs", secs(lang, floored.requested)),
    ));
    if floored.raised() {
        lines.push(floor_warning(lang, &floored));
    }
    lines.push(t_args(
        lang,
        "timing-delay-cycles",
        &Args::new().text("secs", secs(lang, settings.delay_between_cycles.get())),
    ));
    let starter_fields = plan != Some(Plan::Enterprise);
    if starter_fields {
        lines.push(match settings.cycle_length {
            Some(c) => t_args(
                lang,
                "timing-cycle-minutes",
                &Args::new().text("minutes", minutes_text(lang, c.get())),
            ),
            None => t(lang, "timing-cycle-minutes-unset"),
        });
    }
    lines.push(String::new());
    lines.push(feasibility(lang, plan, settings, counts));
    let mut keyboard = vec![
        vec![Button::new(
            t(lang, "button-delay-posts"),
            Cb::AskTiming(Field::DelayBetweenPosts),
        )],
        vec![Button::new(
            t(lang, "button-delay-cycles"),
            Cb::AskTiming(Field::DelayBetweenCycles),
        )],
    ];
    if starter_fields {
        keyboard.push(vec![Button::new(
            t(lang, "button-cycle-minutes"),
            Cb::AskTiming(Field::CycleMinutes),
        )]);
    }
    let mark = |mode: Mode| {
        let key = match mode {
            Mode::Starter => "button-mode-starter",
            Mode::Enterprise => "button-mode-enterprise",
        };
        let chosen = plan.is_some_and(|p| p.mode() == mode);
        let label = t(lang, key);
        Button::new(
            if chosen {
                format!("✓ {label}")
            } else {
                label
            },
            Cb::Mode(mode),
        )
    };
    keyboard.push(vec![mark(Mode::Starter), mark(Mode::Enterprise)]);
    keyboard.push(back(lang));
    Screenful {
        text: lines.join("\n"),
        keyboard,
    }
}

/// Where the previewed cycle starts.
#[derive(Clone, Copy, Debug)]
pub enum Anchor {
    /// Not running: the cycle a Start now would begin (unix ms of now).
    IfStartedAt(i64),
    /// Running, between cycles: the next cycle's start (unix ms).
    NextCycleAt(i64),
    /// Running, mid-cycle: the next cycle starts after this one; only offsets are known.
    AfterCurrent,
}

pub fn preview(
    lang: Lang,
    plan: Option<Plan>,
    settings: &Settings,
    labels: &[String],
    groups: usize,
    anchor: Anchor,
) -> Screenful {
    let keyboard = vec![back(lang)];
    let Some(plan) = plan else {
        return Screenful {
            text: t(lang, "feasibility-no-plan"),
            keyboard,
        };
    };
    if labels.is_empty() || groups == 0 {
        return Screenful {
            text: t(lang, "feasibility-need-counts"),
            keyboard,
        };
    }
    let title = match anchor {
        Anchor::IfStartedAt(at) => t_args(
            lang,
            "preview-title-if-started",
            &Args::new()
                .html("plan", plan_name(lang, plan))
                .text("time", clock_time(at)),
        ),
        Anchor::NextCycleAt(at) => t_args(
            lang,
            "preview-title-next",
            &Args::new()
                .html("plan", plan_name(lang, plan))
                .text("time", clock_time(at)),
        ),
        Anchor::AfterCurrent => t_args(
            lang,
            "preview-title-after-current",
            &Args::new().html("plan", plan_name(lang, plan)),
        ),
    };
    // An offset from the cycle's start, with the clock time when the start is known.
    let when = |offset: Duration| -> String {
        match anchor {
            Anchor::IfStartedAt(at) | Anchor::NextCycleAt(at) => {
                format!(
                    "{} ({})",
                    clock_time(at + offset.as_millis() as i64),
                    span(lang, offset)
                )
            }
            Anchor::AfterCurrent => span(lang, offset),
        }
    };
    let mut lines = vec![title];
    let shown = labels.len().min(PAGE * 2);
    match schedule::plan_cycle(plan.mode(), settings, labels.len(), groups) {
        Ok(layout) => {
            for (i, label) in labels.iter().take(shown).enumerate() {
                lines.push(t_args(
                    lang,
                    "preview-session",
                    &Args::new()
                        .text("account", label)
                        .text("start", when(layout.offsets[i]))
                        .text("end", when(layout.session_end(i))),
                ));
            }
            if shown < labels.len() {
                lines.push(t_args(
                    lang,
                    "list-more",
                    &Args::new().num("count", (labels.len() - shown) as f64),
                ));
            }
            lines.push(t_args(
                lang,
                "preview-next-cycle",
                &Args::new().text("secs", secs(lang, layout.delay_between_cycles)),
            ));
        }
        Err(ScheduleError::Infeasible(e)) => {
            // Lay the sessions out anyway, to show where they overlap.
            let runtime = e.session_runtime;
            let step = e.per_session_offset;
            for (i, label) in labels.iter().take(shown).enumerate() {
                let start = step * i as u32;
                lines.push(t_args(
                    lang,
                    "preview-session",
                    &Args::new()
                        .text("account", label)
                        .text("start", when(start))
                        .text("end", when(start + runtime)),
                ));
                if i + 1 < labels.len() {
                    lines.push(t_args(
                        lang,
                        "preview-overlap",
                        &Args::new()
                            .text("secs", secs(lang, runtime.saturating_sub(step)))
                            .text("next", &labels[i + 1]),
                    ));
                }
            }
            if shown < labels.len() {
                lines.push(t_args(
                    lang,
                    "list-more",
                    &Args::new().num("count", (labels.len() - shown) as f64),
                ));
            }
            lines.push(String::new());
            lines.push(infeasible(lang, &e));
        }
        Err(e) => lines.push(not_ready(lang, &NotReady::Schedule(e))),
    }
    Screenful {
        text: lines.join("\n"),
        keyboard,
    }
}

/// The Status screen's report of the last finished cycle: its tally (a cycle cut short says so
/// and counts what was not posted), then the groups that did not get everything, then the rest
/// in one line.
fn last_cycle(lang: Lang, c: &CycleRow, groups: &[GroupTally], health: &Health) -> Vec<String> {
    let cut_short = c.status != CycleStatus::Done;
    let unposted = (c.planned - c.sent - c.failed - c.skipped).max(0);
    let mut lines = vec![t_args(
        lang,
        if cut_short {
            "status-last-cycle-stopped"
        } else {
            "status-last-cycle"
        },
        &Args::new()
            .num("seq", c.seq as f64)
            .num("sent", c.sent as f64)
            .num("failed", c.failed as f64)
            .num("skipped", c.skipped as f64)
            .num("unposted", unposted as f64),
    )];
    // Every account of the cycle has one slot per group.
    let per_group = match groups.len() {
        0 => 0,
        n => c.planned / n as i64,
    };
    let not_posted = |g: &GroupTally| (per_group - g.sent - g.failed - g.skipped).max(0);
    let troubled: Vec<_> = groups
        .iter()
        .filter(|g| g.failed + g.skipped + not_posted(g) > 0)
        .collect();
    for g in troubled.iter().take(PAGE) {
        let name = health
            .groups
            .iter()
            .find(|x| x.id == g.group_id)
            .map(|x| x.reference.clone())
            .unwrap_or_else(|| t(lang, "group-removed-name"));
        let mut line = t_args(
            lang,
            "status-group-line",
            &Args::new()
                .text("group", name)
                .num("sent", g.sent as f64)
                .num("failed", g.failed as f64)
                .num("skipped", g.skipped as f64),
        );
        if not_posted(g) > 0 {
            line.push_str(&t_args(
                lang,
                "status-group-unposted",
                &Args::new().num("count", not_posted(g) as f64),
            ));
        }
        if let Some(e) = &g.last_error {
            line.push_str(&t_args(
                lang,
                "status-group-reason",
                &Args::new().html("reason", reason(lang, e)),
            ));
        }
        lines.push(line);
    }
    if troubled.len() > PAGE {
        lines.push(t_args(
            lang,
            "list-more",
            &Args::new().num("count", (troubled.len() - PAGE) as f64),
        ));
    }
    let fine = groups.len() - troubled.len();
    if fine > 0 {
        lines.push(t_args(
            lang,
            // "The other groups" only after some were named.
            if troubled.is_empty() {
                "status-groups-all-fine"
            } else {
                "status-groups-fine"
            },
            &Args::new().num("count", fine as f64),
        ));
    }
    lines
}

pub fn status(lang: Lang, d: &StatusData) -> Screenful {
    let mut lines = vec![t(
        lang,
        if d.running {
            "status-running"
        } else {
            "status-stopped"
        },
    )];
    match d.live {
        // Waiting between cycles: the one that finished is reported below; the next is named.
        Some(LiveStatus {
            cycle_seq,
            next_cycle_ms: Some(at),
            ..
        }) => lines.push(t_args(
            lang,
            "status-next-cycle",
            &Args::new()
                .num("seq", (cycle_seq + 1) as f64)
                .text("time", clock_time(at)),
        )),
        Some(live) => {
            lines.push(t_args(
                lang,
                "status-cycle",
                &Args::new().num("seq", live.cycle_seq as f64),
            ));
            if let Some(at) = live.next_post_ms {
                lines.push(t_args(
                    lang,
                    "status-next-post",
                    &Args::new().text("time", clock_time(at)),
                ));
            }
        }
        None => {}
    }
    match &d.last.finished {
        None => lines.push(t(lang, "status-no-cycle")),
        Some(c) => lines.extend(last_cycle(lang, c, &d.last.groups, &d.health)),
    }
    lines.push(String::new());
    // Health: counts, then the accounts and groups that are not ok (a long list is cut).
    let h = &d.health;
    let healths: Vec<(String, bool)> = h
        .accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let wait = h.waits.get(i).copied().flatten();
            let ok = a.status == AccountStatus::Active && wait.is_none();
            (
                format!(
                    "• {} — {}",
                    crate::i18n::escape(&a.label),
                    account_health(lang, a, wait)
                ),
                ok,
            )
        })
        .collect();
    let ok = healths.iter().filter(|(_, ok)| *ok).count();
    lines.push(t_args(
        lang,
        "status-accounts",
        &Args::new()
            .num("ok", ok as f64)
            .num("count", healths.len() as f64),
    ));
    let problems: Vec<&String> = healths
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(l, _)| l)
        .collect();
    lines.extend(problems.iter().take(PAGE).map(|l| l.to_string()));
    if problems.len() > PAGE {
        lines.push(t_args(
            lang,
            "list-more",
            &Args::new().num("count", (problems.len() - PAGE) as f64),
        ));
    }
    let active = (0..h.groups.len()).filter(|i| h.group_ok(*i)).count();
    lines.push(t_args(
        lang,
        "status-groups",
        &Args::new()
            .num("ok", active as f64)
            .num("count", h.groups.len() as f64),
    ));
    let noted: Vec<String> = h
        .groups
        .iter()
        .enumerate()
        .filter(|(i, g)| g.status != GroupStatus::Active || !h.notes[*i].is_empty())
        .map(|(i, g)| {
            format!(
                "• {} — {}",
                crate::i18n::escape(&g.reference),
                group_health(lang, g, &h.notes[i])
            )
        })
        .collect();
    lines.extend(noted.iter().take(PAGE).cloned());
    if noted.len() > PAGE {
        lines.push(t_args(
            lang,
            "list-more",
            &Args::new().num("count", (noted.len() - PAGE) as f64),
        ));
    }
    Screenful {
        text: lines.join("\n"),
        keyboard: vec![
            vec![Button::new(
                t(lang, "button-refresh"),
                Cb::Open(Screen::Status),
            )],
            back(lang),
        ],
    }
}

/// The Plan screen: the plan, its limits and expiry, what each plan offers, and a button to
/// buy or renew each with Telegram Stars.
pub fn plan(
    lang: Lang,
    plan: Option<PlanGrant>,
    now_ms: i64,
    catalog: &schedule::PlanCatalog,
) -> Screenful {
    let mut lines = vec![t_args(
        lang,
        "plan-title",
        &Args::new().html("plan", plan_line(lang, plan, now_ms)),
    )];
    if let Some(g) = plan {
        let terms = catalog.terms(g.plan);
        lines.push(t_args(
            lang,
            "plan-limits",
            &Args::new()
                .num("accounts", terms.max_accounts as f64)
                .num("groups", terms.max_groups as f64),
        ));
    }
    lines.push(match plan {
        Some(g) => t(
            lang,
            match g.plan {
                Plan::Starter => "plan-starter-explained",
                Plan::Enterprise => "plan-enterprise-explained",
            },
        ),
        None => t(lang, "plan-how-to-get"),
    });
    let mut offers = Vec::new();
    let mut keyboard = Vec::new();
    for p in [Plan::Starter, Plan::Enterprise] {
        let terms = catalog.terms(p);
        let args = Args::new()
            .text("plan", p.as_str())
            .num("accounts", terms.max_accounts as f64)
            .num("groups", terms.max_groups as f64)
            .num("stars", terms.price_stars as f64)
            .num("days", terms.days as f64);
        offers.push(t_args(lang, "plan-offer", &args));
        // A plan without expiry has nothing to renew.
        if plan.is_some_and(|g| g.plan == p && g.expires_at.is_none()) {
            continue;
        }
        let renew = plan.is_some_and(|g| g.plan == p);
        let key = if renew { "button-renew" } else { "button-buy" };
        keyboard.push(vec![Button::new(t_args(lang, key, &args), Cb::Buy(p))]);
    }
    lines.push(offers.join("\n"));
    if plan.is_some() {
        lines.push(t(lang, "plan-switch-note"));
    }
    keyboard.push(back(lang));
    Screenful {
        text: lines.join("\n\n"),
        keyboard,
    }
}

pub fn language(lang: Lang) -> Screenful {
    Screenful {
        text: t(lang, "language-choose"),
        keyboard: vec![
            vec![
                Button::new("English", Cb::Language(Lang::En)),
                Button::new("Русский", Cb::Language(Lang::Ru)),
            ],
            back(lang),
        ],
    }
}

/// A question with only Cancel under it.
pub fn ask(lang: Lang, key: &str) -> Screenful {
    Screenful {
        text: t(lang, key),
        keyboard: vec![vec![Button::new(t(lang, "button-cancel"), Cb::Cancel)]],
    }
}

pub fn ask_timing(lang: Lang, field: Field) -> Screenful {
    let (unit, _, max) = field_range(field);
    Screenful {
        text: t_args(
            lang,
            "timing-ask",
            &Args::new()
                .html("field", t(lang, field_key(field)))
                .html("unit", t(lang, unit))
                .num("max", max as f64),
        ),
        keyboard: vec![vec![Button::new(t(lang, "button-cancel"), Cb::Cancel)]],
    }
}

pub fn confirm_remove(lang: Lang, text: String, confirm: Cb, back_to: Screen) -> Screenful {
    Screenful {
        text,
        keyboard: vec![vec![
            Button::new(t(lang, "button-confirm-remove"), confirm),
            Button::new(t(lang, "button-cancel"), Cb::Open(back_to)),
        ]],
    }
}

/// Asks for the two-step-verification password.
pub fn ask_password(lang: Lang, phone: &str, hint: Option<&str>) -> Screenful {
    let text = match hint {
        Some(hint) => t_args(
            lang,
            "login-password-ask-hint",
            &Args::new()
                .text("phone", format!("+{phone}"))
                .text("hint", hint),
        ),
        None => t_args(
            lang,
            "login-password-ask",
            &Args::new().text("phone", format!("+{phone}")),
        ),
    };
    Screenful {
        text,
        keyboard: vec![vec![Button::new(t(lang, "button-cancel"), Cb::Cancel)]],
    }
}

/// The login-code keypad: digits typed so far shown as they are entered.
pub fn keypad(lang: Lang, phone: &str, digits: &str, error: Option<String>) -> Screenful {
    let shown: String = if digits.is_empty() {
        "—".to_string()
    } else {
        digits
            .chars()
            .map(|c| format!("{c} "))
            .collect::<String>()
            .trim_end()
            .to_string()
    };
    let mut text = t_args(
        lang,
        "login-keypad",
        &Args::new()
            .text("phone", format!("+{phone}"))
            .text("code", shown),
    );
    if let Some(error) = error {
        text = format!("{error}\n\n{text}");
    }
    let key = |d: u8| Button::new(d.to_string(), Cb::Digit(d));
    Screenful {
        text,
        keyboard: vec![
            vec![key(1), key(2), key(3)],
            vec![key(4), key(5), key(6)],
            vec![key(7), key(8), key(9)],
            vec![
                Button::new("⌫", Cb::Backspace),
                key(0),
                Button::new("✓", Cb::SubmitCode),
            ],
            vec![Button::new(t(lang, "button-cancel"), Cb::Cancel)],
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_hours_minutes_seconds() {
        assert_eq!(span(Lang::En, Duration::ZERO), "+0:00:00");
        assert_eq!(span(Lang::En, Duration::from_secs(1800)), "+0:30:00");
        assert_eq!(
            span(Lang::En, Duration::from_millis(3_661_500)),
            "+1:01:01.5"
        );
        assert_eq!(
            span(Lang::Ru, Duration::from_millis(3_661_500)),
            "+1:01:01,5"
        );
    }

    #[test]
    fn the_seed_feasibility_message_keeps_its_numbers_in_both_languages() {
        let e = Infeasible {
            session_runtime: Duration::from_secs(50),
            per_session_offset: Duration::from_secs(30),
        };
        assert_eq!(infeasible(Lang::En, &e), e.to_string());
        let ru = infeasible(Lang::Ru, &e);
        assert!(ru.contains("(50 с)") && ru.contains("(30,0 с)"), "{ru}");
    }

    /// Whether `text` writes a decimal with a point (`2.5`).
    fn has_decimal_point(text: &str) -> bool {
        text.as_bytes()
            .windows(3)
            .any(|w| w[0].is_ascii_digit() && w[1] == b'.' && w[2].is_ascii_digit())
    }

    #[test]
    fn russian_texts_write_decimals_with_a_comma_and_english_ones_with_a_point() {
        // 2.5 s between posts (raised to 3), 1.5 s between cycles, 2.525 minutes: 2 accounts
        // start 75.75 s apart.
        let settings = Settings::parse(Mode::Starter, 2.5, 1.5, 2.525).unwrap();
        let counts = Counts {
            accounts: 2,
            groups: 5,
        };
        let labels = ["+1".to_string(), "+2".to_string()];
        let render = |lang| {
            let timing = timing(lang, Some(Plan::Starter), &settings, counts).text;
            let preview = preview(
                lang,
                Some(Plan::Starter),
                &settings,
                &labels,
                5,
                Anchor::IfStartedAt(0),
            )
            .text;
            let refusal = timing_refusal(
                lang,
                Field::DelayBetweenPosts,
                &Refusal::Timing(InputError::NotPositive(Field::DelayBetweenPosts)),
            );
            let infeasible = infeasible(
                lang,
                &Infeasible {
                    session_runtime: Duration::from_millis(52_500),
                    per_session_offset: Duration::from_secs(30),
                },
            );
            [timing, preview, refusal, infeasible].join("\n")
        };
        let ru = render(Lang::Ru);
        for part in [
            "Пауза между постами: 2,5 с",
            "(2,5 с) меньше минимума (3 с)",
            "Пауза между циклами: 1,5 с",
            "Длина цикла: 2,525 мин",
            "с интервалом 75,8 с",
            "(+0:01:15,75)",
            "Затем пауза 1,5 с",
            "не меньше 0,001 с",
            "(52,5 с) должна быть меньше смещения между сессиями (30,0 с)",
        ] {
            assert!(ru.contains(part), "{part}: {ru}");
        }
        assert!(!has_decimal_point(&ru), "{ru}");
        let en = render(Lang::En);
        for part in [
            "Delay between posts: 2.5 s",
            "(2.5 s) is below the minimum (3 s)",
            "Delay between cycles: 1.5 s",
            "Cycle length: 2.525 min",
            "start 75.8 s apart",
            "(+0:01:15.75)",
            "Then 1.5 s pause",
            "at least 0.001 seconds",
            "session runtime (52.5s) must be less than per-session offset (30.0s)",
        ] {
            assert!(en.contains(part), "{part}: {en}");
        }
    }

    #[test]
    fn the_seed_plan_texts_are_kept_word_for_word_in_english() {
        for e in [
            PlanError::StarterRequiresStarterMode,
            PlanError::EnterpriseRequiresEnterpriseMode,
        ] {
            assert_eq!(plan_error(Lang::En, &e), e.to_string());
            assert_ne!(plan_error(Lang::Ru, &e), e.to_string());
        }
    }
}
