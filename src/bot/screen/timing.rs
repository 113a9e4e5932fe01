//! The Timing screen: the delays and cycle length with the plan's mode and whether the cycle
//! fits, a button to change each value (the next typed message is the new value), and the mode
//! buttons (only the plan's mode is accepted).

use std::time::Duration;

use super::{ask_again, Page, Press, Screen, Typed};
use crate::bot::callback::{self, Cb};
use crate::bot::input::{self, Refusal};
use crate::bot::view::{
    self, back, floor_warning, infeasible, not_ready, plan_error, plan_name, secs, secs_one_decimal,
};
use crate::bot::{alert, answer, default_settings, Awaiting, Button, Control, Ctx, Screenful, Step};
use crate::i18n::{decimal, t, t_args, Args, Lang};
use crate::schedule::{
    self, Field, InputError, Mode, NotReady, Plan, ScheduleError, Settings, MAX_CYCLE_LENGTH,
    MAX_DELAY_BETWEEN_CYCLES, MAX_DELAY_BETWEEN_POSTS,
};
use crate::store::{Account, GroupStatus, StoreError};

pub(in crate::bot) struct Timing;

impl Page for Timing {
    async fn render(c: &Control, ctx: &Ctx, _page: usize) -> Result<Screenful, StoreError> {
        let (settings, _, counts) = setup(c, ctx).await?;
        let plan = ctx.row.plan.map(|g| g.plan);
        Ok(timing(ctx.lang, plan, &settings, counts))
    }

    async fn press(c: &Control, p: &Press<'_>, cb: Cb) -> Option<Step> {
        match cb {
            Cb::AskTiming(field) => Some(match p.busy() {
                Some(refused) => refused,
                None => ask(c, p, field).await,
            }),
            Cb::Mode(mode) => Some(Ok(vec![choose_mode(p.ctx, mode)])),
            _ => None,
        }
    }

    fn asked(awaiting: &Awaiting) -> bool {
        matches!(awaiting, Awaiting::Timing { .. })
    }

    async fn answer(c: &Control, ctx: &Ctx, awaiting: Awaiting, text: Typed<'_>) -> Step {
        let Awaiting::Timing { field } = awaiting else {
            return c.use_the_menu(ctx).await;
        };
        let Some(field) = callback::parse_field(&field) else {
            c.clear_awaiting(ctx).await?;
            return c.send_screen(ctx, Screen::Timing, None).await;
        };
        match input::parse_timing(field, text.plain) {
            Ok(ms) => {
                c.store.set_timing_field(ctx.id, field, ms).await?;
                c.clear_awaiting(ctx).await?;
                // The Timing screen says it when the floor raises the value.
                let notice = t(ctx.lang, "timing-saved");
                c.send_screen(ctx, Screen::Timing, Some(notice)).await
            }
            Err(r) => Ok(vec![ask_again(
                ctx.lang,
                timing_refusal(ctx.lang, field, &r),
            )]),
        }
    }
}

/// A field's button: asks for its new value (an Enterprise plan has no cycle length).
async fn ask(c: &Control, p: &Press<'_>, field: Field) -> Step {
    let ctx = p.ctx;
    if field == Field::CycleMinutes && ctx.row.plan.is_some_and(|g| g.plan == Plan::Enterprise) {
        return Ok(vec![alert(plan_error(
            ctx.lang,
            &schedule::PlanError::EnterpriseRequiresEnterpriseMode,
        ))]);
    }
    let awaiting = Awaiting::Timing {
        field: callback::field_code(field).to_string(),
    };
    c.set_awaiting(ctx, &awaiting).await?;
    p.show(ask_timing(ctx.lang, field))
}

/// A mode button: the plan decides the mode; the other one is refused with the seed's words.
fn choose_mode(ctx: &Ctx, mode: Mode) -> crate::bot::Action {
    let lang = ctx.lang;
    let Some(grant) = ctx.row.plan else {
        return alert(t(lang, "mode-no-plan"));
    };
    match schedule::mode_for(grant.plan, Some(mode)) {
        Ok(_) => answer(Some(t(lang, "mode-is-plan-mode"))),
        Err(e) => alert(plan_error(lang, &e)),
    }
}

/// Active accounts and groups, for the feasibility check.
#[derive(Clone, Copy, Debug)]
pub struct Counts {
    pub accounts: usize,
    pub groups: usize,
}

/// The customer's timing (the default until set), their active accounts, and the counts.
pub(in crate::bot) async fn setup(
    c: &Control,
    ctx: &Ctx,
) -> Result<(Settings, Vec<Account>, Counts), StoreError> {
    let timing = c.store.timing(ctx.id).await?;
    let accounts = c.active_accounts(ctx).await?;
    let groups = c.store.groups(ctx.id).await?;
    let counts = Counts {
        accounts: accounts.len(),
        groups: groups
            .iter()
            .filter(|g| g.status == GroupStatus::Active)
            .count(),
    };
    let settings = timing.map(|t| t.settings).unwrap_or_else(default_settings);
    Ok((settings, accounts, counts))
}

/// Minutes, fractions as needed (`2.5`; `2,5` in Russian).
fn minutes_text(lang: Lang, d: Duration) -> String {
    decimal(lang, &format!("{}", d.as_millis() as f64 / 60_000.0))
}

/// A timing field's unit (the locale keys of its long and short name) and its largest value.
fn field_range(field: Field) -> (&'static str, &'static str, u64) {
    match field {
        Field::DelayBetweenPosts => ("unit-seconds", "unit-s", MAX_DELAY_BETWEEN_POSTS.as_secs()),
        Field::DelayBetweenCycles => ("unit-seconds", "unit-s", MAX_DELAY_BETWEEN_CYCLES.as_secs()),
        Field::CycleMinutes => ("unit-minutes", "unit-min", MAX_CYCLE_LENGTH.as_secs() / 60),
    }
}

fn field_key(field: Field) -> &'static str {
    match field {
        Field::DelayBetweenPosts => "field-delay-posts",
        Field::DelayBetweenCycles => "field-delay-cycles",
        Field::CycleMinutes => "field-cycle-minutes",
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
        other => view::refusal(lang, other),
    }
}

pub fn ask_timing(lang: Lang, field: Field) -> Screenful {
    let (unit, _, max) = field_range(field);
    super::question(
        lang,
        t_args(
            lang,
            "timing-ask",
            &Args::new()
                .html("field", t(lang, field_key(field)))
                .html("unit", t(lang, unit))
                .num("max", max as f64),
        ),
    )
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
                // One account: the cycle is its session, the cycle length spaces nothing.
                (Mode::Starter, None) => t_args(
                    lang,
                    "feasible-starter-one",
                    &args.text("pause", secs(lang, layout.delay_between_cycles)),
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


#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::screen::preview;
    use crate::bot::view::infeasible;
    use crate::schedule::Infeasible;

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
            let preview = preview::preview(
                lang,
                Some(Plan::Starter),
                &settings,
                &labels,
                5,
                preview::Anchor::IfStartedAt(0),
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
}
