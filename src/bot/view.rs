//! Texts several screens and messages share, rendered into Telegram HTML: times and numbers,
//! the seed's plan and feasibility messages, why Start refused, refused typed answers, the
//! health of an account or a group. Each screen's own rendering is in its module under
//! [`super::screen`]. All words come from the locale files; customer-supplied strings are
//! escaped.

use std::time::Duration;

use super::callback::Cb;
use super::input::{Refusal, DOWNLOAD_MAX, MAX_MESSAGE_LEN};
use super::screen::{GroupNote, Screen};
use super::Button;
use crate::i18n::{decimal, t, t_args, Args, Lang};
use crate::schedule::content::{ContentRefusal, ALBUM_MAX, CAPTION_MAX, PREMIUM_CAPTION_MAX};
use crate::schedule::{
    secs_text, Floored, Infeasible, InputError, Limited, NotReady, OverLimit, Plan, PlanError,
    ScheduleError,
};
use crate::store::{Account, AccountStatus, Group, GroupStatus, PlanGrant};

/// The "Back" row: to the main menu.
pub(crate) fn back(lang: Lang) -> Vec<Button> {
    vec![Button::new(t(lang, "button-back"), Cb::Open(Screen::Main))]
}

/// `2026-11-29 20:31:05 UTC`.
pub fn clock_time(unix_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(unix_ms)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "?".to_string())
}

/// Seconds, fractions as needed (`1.5`; `1,5` in Russian).
pub(crate) fn secs(lang: Lang, d: Duration) -> String {
    decimal(lang, &secs_text(d))
}

/// Seconds with one decimal, as the seed's feasibility message writes offsets (`30.0`).
pub(crate) fn secs_one_decimal(lang: Lang, d: Duration) -> String {
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
        Refusal::BadLink => t(lang, "group-bad-link"),
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
        Refusal::Unsupported(kind) => t_args(
            lang,
            "message-unsupported",
            &Args::new().html("what", t(lang, &format!("unsupported-{}", kind.as_str()))),
        ),
        Refusal::FileTooBig { size: bytes } => t_args(
            lang,
            "media-too-big",
            &Args::new()
                .text("size", size(lang, *bytes))
                .text("max", size(lang, DOWNLOAD_MAX)),
        ),
        Refusal::DownloadFailed => t(lang, "media-download-failed"),
        Refusal::Content(r) => content_refusal(lang, r),
        Refusal::CaptionNeedsPremium { chars, accounts } => t_args(
            lang,
            "caption-needs-premium",
            &Args::new()
                .num("len", *chars as f64)
                .num("max", CAPTION_MAX as f64)
                .num("premium", PREMIUM_CAPTION_MAX as f64)
                .text("accounts", accounts.join(", ")),
        ),
        Refusal::SeveralCaptions => t(lang, "album-several-captions"),
    }
}

/// Why files and a caption don't make a post, in words.
pub fn content_refusal(lang: Lang, r: &ContentRefusal) -> String {
    let key = format!("reason-content-{}", r.as_str());
    let args = match r {
        ContentRefusal::TooManyItems { count } => Args::new()
            .num("count", *count as f64)
            .num("max", ALBUM_MAX as f64),
        ContentRefusal::CaptionTooLong { chars } => Args::new()
            .num("len", *chars as f64)
            .num("max", PREMIUM_CAPTION_MAX as f64),
        ContentRefusal::BadMessage { id } => Args::new().num("id", *id as f64),
        _ => Args::new().num("max", ALBUM_MAX as f64),
    };
    t_args(lang, &key, &args)
}

/// A file size as the customer's language writes it: `512 B`, `12.5 KB`, `1.2 MB`, `20 MB`
/// (1 KB = 1024 bytes, one decimal, none when it is zero).
pub fn size(lang: Lang, bytes: u64) -> String {
    const KB: f64 = 1024.0;
    let b = bytes as f64;
    let (value, unit) = if b < KB {
        return t_args(
            lang,
            "size-bytes",
            &Args::new().text("n", bytes.to_string()),
        );
    } else if b < KB * KB {
        (b / KB, "size-kb")
    } else {
        (b / (KB * KB), "size-mb")
    };
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    t_args(lang, unit, &Args::new().text("n", decimal(lang, text)))
}

/// An outcome or status reason code (`flood_wait`, `write_forbidden`, …) in words.
pub fn reason(lang: Lang, code: &str) -> String {
    crate::i18n::try_t(lang, &format!("reason-{code}")).unwrap_or_else(|| crate::i18n::escape(code))
}

/// A group's refusal in words: a group charging Stars (`payment_required`) says the price
/// Telegram asked, when it said one.
pub fn group_refusal(lang: Lang, code: &str, stars: Option<i64>) -> String {
    match stars {
        Some(stars) if code == "payment_required" => t_args(
            lang,
            "reason-payment_required-stars",
            &Args::new().num("stars", stars as f64),
        ),
        _ => reason(lang, code),
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

/// Rows shown per page of a list.
pub const PAGE: usize = 10;

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
            GroupNote::Refused { reason: why, stars } => t_args(
                lang,
                "health-refused-for",
                &Args::new()
                    .text("account", account)
                    .html("reason", group_refusal(lang, why, *stars)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_each_language_writes_them() {
        for (bytes, en, ru) in [
            (0, "0 B", "0 Б"),
            (512, "512 B", "512 Б"),
            (1536, "1.5 KB", "1,5 КБ"),
            (1_258_291, "1.2 MB", "1,2 МБ"),
            (20 * 1024 * 1024, "20 MB", "20 МБ"),
            (21 * 1024 * 1024, "21 MB", "21 МБ"),
        ] {
            assert_eq!(size(Lang::En, bytes), en);
            assert_eq!(size(Lang::Ru, bytes), ru);
        }
    }

    #[test]
    fn media_refusals_name_the_kind_the_size_and_the_accounts() {
        use crate::bot::input::Unsupported;
        for lang in Lang::ALL {
            let texts: std::collections::HashSet<String> = Unsupported::ALL
                .iter()
                .map(|k| refusal(lang, &Refusal::Unsupported(*k)))
                .collect();
            assert_eq!(
                texts.len(),
                Unsupported::ALL.len(),
                "each kind its own reason"
            );
            let big = refusal(
                lang,
                &Refusal::FileTooBig {
                    size: 21 * 1024 * 1024,
                },
            );
            assert!(big.contains(&size(lang, 21 * 1024 * 1024)), "{big}");
            assert!(big.contains(&size(lang, DOWNLOAD_MAX)), "{big}");
            let premium = refusal(
                lang,
                &Refusal::CaptionNeedsPremium {
                    chars: 1500,
                    accounts: vec!["+9996611000".into(), "+9996622000".into()],
                },
            );
            for part in ["1500", "1024", "4096", "+9996611000, +9996622000"] {
                assert!(premium.contains(part), "{premium}");
            }
            for r in [
                ContentRefusal::NoMedia,
                ContentRefusal::TooManyItems { count: 11 },
                ContentRefusal::DocumentsMixed,
                ContentRefusal::AnimationInAlbum,
                ContentRefusal::CaptionTooLong { chars: 5000 },
                ContentRefusal::EmptyFile,
                ContentRefusal::BadSource,
                ContentRefusal::BadMessage { id: 0 },
            ] {
                let text = refusal(lang, &Refusal::Content(r));
                assert!(!text.contains("reason-content"), "{text}");
                crate::bot::html::check(&text).unwrap();
            }
        }
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
