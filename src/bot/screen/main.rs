//! The main menu: the plan, whether posting is on, a button for every other screen, and
//! Start/Stop.

use super::{Page, Press, Screen};
use crate::bot::callback::Cb;
use crate::bot::{view, Button, Control, Ctx, Screenful, Step};
use crate::i18n::{t, t_args, Args, Lang};
use crate::store::{PlanGrant, StoreError};

pub(in crate::bot) struct Main;

impl Page for Main {
    async fn render(c: &Control, ctx: &Ctx, _page: usize) -> Result<Screenful, StoreError> {
        let running = c.running(ctx.id).await?;
        Ok(main(ctx.lang, ctx.row.plan, running, c.now_ms()))
    }

    async fn press(c: &Control, p: &Press<'_>, cb: Cb) -> Option<Step> {
        let start = match cb {
            Cb::Start => true,
            Cb::Stop => false,
            _ => return None,
        };
        Some(start_stop(c, p, start).await)
    }
}

/// The Start or Stop button: the menu again, saying what happened.
async fn start_stop(c: &Control, p: &Press<'_>, start: bool) -> Step {
    let notice = match start {
        true => c.start(p.ctx, None).await?,
        false => c.stop(p.ctx).await?,
    };
    p.show(c.render(p.ctx, Screen::Main, Some(notice)).await?)
}

pub fn main(lang: Lang, plan: Option<PlanGrant>, running: bool, now_ms: i64) -> Screenful {
    let plan_line = view::plan_line(lang, plan, now_ms);
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
