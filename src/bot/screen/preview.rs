//! The Preview screen: when each account's session of the next cycle starts and ends (the
//! cycle a Start now would begin, or the running one's next), and where they would overlap.

use std::time::Duration;

use super::timing::setup;
use super::Page;
use crate::bot::view::{back, clock_time, infeasible, not_ready, plan_name, secs, PAGE};
use crate::bot::{Control, Ctx, Screenful};
use crate::i18n::{decimal, t, t_args, Args, Lang};
use crate::schedule::{self, NotReady, Plan, ScheduleError, Settings};
use crate::store::StoreError;

pub(in crate::bot) struct Preview;

impl Page for Preview {
    async fn render(c: &Control, ctx: &Ctx, _page: usize) -> Result<Screenful, StoreError> {
        let (settings, accounts, counts) = setup(c, ctx).await?;
        let labels: Vec<String> = accounts.into_iter().map(|a| a.label).collect();
        let running = c.running(ctx.id).await?;
        let anchor = match (running, c.engine.live(ctx.id)) {
            (false, _) => Anchor::IfStartedAt(c.now_ms()),
            (true, Some(live)) => match live.next_cycle_ms {
                Some(at) => Anchor::NextCycleAt(at),
                None => Anchor::AfterCurrent,
            },
            (true, None) => Anchor::AfterCurrent,
        };
        let plan = ctx.row.plan.map(|g| g.plan);
        Ok(preview(
            ctx.lang,
            plan,
            &settings,
            &labels,
            counts.groups,
            anchor,
        ))
    }
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
}
