//! The Plan screen: the customer's plan, its limits and expiry, what each plan offers, and a
//! button to buy or renew each with Telegram Stars (the invoice: [`crate::bot::payment`]).

use super::{Page, Press};
use crate::bot::callback::Cb;
use crate::bot::view::{self, plan_line};
use crate::bot::{Button, Control, Ctx, Screenful, Step};
use crate::i18n::{t, t_args, Args, Lang};
use crate::schedule;
use crate::store::{PlanGrant, StoreError};

pub(in crate::bot) struct Plan;

impl Page for Plan {
    async fn render(c: &Control, ctx: &Ctx, _page: usize) -> Result<Screenful, StoreError> {
        Ok(plan(ctx.lang, ctx.row.plan, c.now_ms(), &c.engine.catalog()))
    }

    async fn press(c: &Control, p: &Press<'_>, cb: Cb) -> Option<Step> {
        match cb {
            Cb::Buy(plan) => Some(c.buy(p.ctx, plan).await),
            _ => None,
        }
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
                schedule::Plan::Starter => "plan-starter-explained",
                schedule::Plan::Enterprise => "plan-enterprise-explained",
            },
        ),
        None => t(lang, "plan-how-to-get"),
    });
    let mut offers = Vec::new();
    let mut keyboard = Vec::new();
    for p in [schedule::Plan::Starter, schedule::Plan::Enterprise] {
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
    keyboard.push(view::back(lang));
    Screenful {
        text: lines.join("\n\n"),
        keyboard,
    }
}

