//! The admin commands: `/setplan`, `/users`, `/user`, `/stats` (and `/broadcast`, see
//! [`super::broadcast`]). Only the user ids in configuration may use them; anyone else gets the
//! ordinary "unknown command" answer, and an admin button pressed by anyone else is "out of
//! date": nothing hints that admin commands exist.

use super::callback::Cb;
use super::{send_text, view, Action, Button, Control, Ctx, Screenful, Step};
use crate::i18n::{t, t_args, Args, Lang};
use crate::schedule::{Plan, DAY_MS};
use crate::store::{PlanGrant, StoreError};

/// The admin commands (besides the broadcast's).
pub const ADMIN_COMMANDS: [&str; 4] = ["setplan", "users", "user", "stats"];

/// The broadcast's commands.
pub const BROADCAST_COMMANDS: [&str; 2] = ["broadcast", "broadcast_cancel"];

/// Customers per page of `/users`.
pub const USERS_PAGE: usize = 20;

/// The longest grant `/setplan` takes, in days.
pub const MAX_GRANT_DAYS: u32 = 3_650;

/// Accounts or groups listed one by one in `/user` before "…and N more".
const USER_LIST_MAX: usize = 30;

/// `/setplan`'s arguments, parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetPlan {
    pub user: i64,
    pub plan: Plan,
    pub days: Option<u32>,
}

/// Why `/setplan`'s arguments were refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetPlanError {
    Usage,
    BadUser(String),
    UnknownPlan(String),
    BadDays(String),
}

/// A Telegram user id: a positive whole number.
fn user_id(s: &str) -> Option<i64> {
    s.parse::<i64>().ok().filter(|id| *id > 0)
}

impl SetPlan {
    /// `<user id> <STARTER|ENTERPRISE> [days]`.
    pub fn parse(args: &str) -> Result<SetPlan, SetPlanError> {
        let parts: Vec<&str> = args.split_whitespace().collect();
        let (user, plan, days) = match parts.as_slice() {
            [user, plan] => (*user, *plan, None),
            [user, plan, days] => (*user, *plan, Some(*days)),
            _ => return Err(SetPlanError::Usage),
        };
        let user = user_id(user).ok_or_else(|| SetPlanError::BadUser(user.to_string()))?;
        let plan = Plan::parse(plan).ok_or_else(|| SetPlanError::UnknownPlan(plan.to_string()))?;
        let days = match days {
            None => None,
            Some(d) => Some(
                d.parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_GRANT_DAYS).contains(n))
                    .ok_or_else(|| SetPlanError::BadDays(d.to_string()))?,
            ),
        };
        Ok(SetPlan { user, plan, days })
    }
}

impl Control {
    /// Whether the user is an admin of this deployment.
    pub fn is_admin(&self, user_id: i64) -> bool {
        self.admins.contains(&user_id)
    }

    /// Runs an admin command; `None` when `name` is not one (or the user is no admin), so the
    /// caller answers as it does to any unknown command.
    pub(super) async fn admin_command(&self, ctx: &Ctx, name: &str, args: &str) -> Option<Step> {
        if !self.is_admin(ctx.id) {
            return None;
        }
        Some(match name {
            "setplan" => self.cmd_setplan(ctx, args).await,
            "users" => match args {
                "" => self
                    .users_page(ctx.lang, 0)
                    .await
                    .map(|s| vec![Action::Send(s)]),
                _ => Ok(vec![send_text(t(ctx.lang, "admin-users-usage"))]),
            },
            "user" => self.cmd_user(ctx, args).await,
            "stats" => self.cmd_stats(ctx).await,
            "broadcast_cancel" => self.cmd_broadcast_cancel(ctx).await,

            _ => return None,
        })
    }

    /// An admin button: `None` when `cb` is not one, or the user is no admin.
    pub(super) async fn admin_callback(
        &self,
        ctx: &Ctx,
        cb: Cb,
        message_id: Option<i32>,
    ) -> Option<Step> {
        if !self.is_admin(ctx.id) {
            return None;
        }
        Some(match cb {
            Cb::BroadcastConfirm(id) => self.broadcast_confirmed(ctx, id, message_id).await,
            Cb::BroadcastAbandon(id) => self.broadcast_abandoned(ctx, id, message_id).await,
            Cb::AdminUsers(page) => match self.users_page(ctx.lang, page as usize).await {
                Ok(screen) => Ok(vec![super::answer(None), super::show(message_id, screen)]),
                Err(e) => Err(e),
            },

            _ => return None,
        })
    }

    async fn cmd_setplan(&self, ctx: &Ctx, args: &str) -> Step {
        let lang = ctx.lang;
        let req = match SetPlan::parse(args) {
            Ok(req) => req,
            Err(e) => {
                let text = match e {
                    SetPlanError::Usage => t(lang, "admin-setplan-usage"),
                    SetPlanError::BadUser(v) => {
                        t_args(lang, "admin-bad-user-id", &Args::new().text("value", v))
                    }
                    SetPlanError::UnknownPlan(v) => {
                        t_args(lang, "admin-unknown-plan", &Args::new().text("value", v))
                    }
                    SetPlanError::BadDays(v) => t_args(
                        lang,
                        "admin-bad-days",
                        &Args::new()
                            .text("value", v)
                            .num("max", MAX_GRANT_DAYS as f64),
                    ),
                };
                return Ok(vec![send_text(text)]);
            }
        };
        let Some(customer) = self.store.customer(req.user).await? else {
            return Ok(vec![send_text(t_args(
                lang,
                "admin-no-such-user",
                &Args::new().text("id", req.user.to_string()),
            ))]);
        };
        let now_ms = self.now_ms();
        let grant = PlanGrant {
            plan: req.plan,
            expires_at: req
                .days
                .map(|d| now_ms.saturating_add(i64::from(d) * DAY_MS)),
        };
        match self.store.set_plan(req.user, grant).await {
            Ok(()) => {}
            Err(StoreError::NoCustomer(_)) => {
                return Ok(vec![send_text(t_args(
                    lang,
                    "admin-no-such-user",
                    &Args::new().text("id", req.user.to_string()),
                ))])
            }
            Err(e) => return Err(e),
        }
        let id = req.user.to_string();
        let confirm = t_args(
            lang,
            "admin-plan-set",
            &Args::new()
                .text("id", &id)
                .html("plan", view::plan_line(lang, Some(grant), now_ms)),
        );
        let theirs = Lang::pick(
            customer.language.as_deref(),
            customer.telegram_language.as_deref(),
        );
        let notice = t_args(
            theirs,
            "plan-granted",
            &Args::new().html("plan", view::plan_line(theirs, Some(grant), now_ms)),
        );
        Ok(vec![
            send_text(confirm),
            Action::Notify {
                user_id: req.user,
                text: notice,
            },
        ])
    }

    /// Page `page` (from 0) of the customer list, with paging buttons.
    async fn users_page(&self, lang: Lang, page: usize) -> Result<Screenful, StoreError> {
        let count = self.store.count_customers().await? as usize;
        let pages = count.div_ceil(USERS_PAGE).max(1);
        let page = page.min(pages - 1);
        let rows = self
            .store
            .customers_page((page * USERS_PAGE) as i64, USERS_PAGE as i64)
            .await?;
        let now_ms = self.now_ms();
        let mut lines = vec![t_args(
            lang,
            "admin-users-title",
            &Args::new()
                .num("count", count as f64)
                .num("page", (page + 1) as f64)
                .num("pages", pages as f64),
        )];
        if rows.is_empty() {
            lines.push(t(lang, "admin-users-empty"));
        }
        for c in &rows {
            lines.push(t_args(
                lang,
                "admin-users-line",
                &Args::new()
                    .text("id", c.id.to_string())
                    .html("plan", view::plan_line(lang, c.plan, now_ms))
                    .html(
                        "state",
                        t(
                            lang,
                            if c.running {
                                "admin-state-running"
                            } else {
                                "admin-state-stopped"
                            },
                        ),
                    )
                    .num("accounts", c.accounts as f64)
                    .num("groups", c.groups as f64),
            ));
        }
        let mut row = Vec::new();
        if page > 0 {
            row.push(Button::new("◀", Cb::AdminUsers(page as u32 - 1)));
        }
        if page + 1 < pages {
            row.push(Button::new("▶", Cb::AdminUsers(page as u32 + 1)));
        }
        Ok(Screenful {
            text: lines.join("\n"),
            keyboard: if row.is_empty() {
                Vec::new()
            } else {
                vec![row]
            },
        })
    }

    async fn cmd_user(&self, ctx: &Ctx, args: &str) -> Step {
        let lang = ctx.lang;
        let Some(id) = user_id(args.trim()) else {
            let text = match args.trim() {
                "" => t(lang, "admin-user-usage"),
                v => t_args(lang, "admin-bad-user-id", &Args::new().text("value", v)),
            };
            return Ok(vec![send_text(text)]);
        };
        let Some(customer) = self.store.customer(id).await? else {
            return Ok(vec![send_text(t_args(
                lang,
                "admin-no-such-user",
                &Args::new().text("id", id.to_string()),
            ))]);
        };
        let now_ms = self.now_ms();
        let health = self.health(id, now_ms).await?;
        let mut lines = vec![
            t_args(
                lang,
                "admin-user-title",
                &Args::new().text("id", id.to_string()).text(
                    "lang",
                    customer
                        .language
                        .or(customer.telegram_language)
                        .unwrap_or_else(|| "?".into()),
                ),
            ),
            view::plan_line(lang, customer.plan, now_ms),
        ];
        lines.push(String::new());
        lines.push(t_args(
            lang,
            "admin-user-accounts",
            &Args::new().num("count", health.accounts.len() as f64),
        ));
        for (a, wait) in health
            .accounts
            .iter()
            .zip(&health.waits)
            .take(USER_LIST_MAX)
        {
            lines.push(format!(
                "• {} — {}",
                crate::i18n::escape(&a.label),
                view::account_health(lang, a, *wait)
            ));
        }
        if health.accounts.is_empty() {
            lines.push(t(lang, "accounts-empty"));
        }
        more(lang, &mut lines, health.accounts.len());
        lines.push(t_args(
            lang,
            "admin-user-groups",
            &Args::new().num("count", health.groups.len() as f64),
        ));
        for (g, notes) in health.groups.iter().zip(&health.notes).take(USER_LIST_MAX) {
            lines.push(format!(
                "• {} — {}",
                crate::i18n::escape(&g.reference),
                view::group_health(lang, g, notes)
            ));
        }
        if health.groups.is_empty() {
            lines.push(t(lang, "groups-empty"));
        }
        more(lang, &mut lines, health.groups.len());
        lines.push(String::new());
        let status = super::screen::status::status(
            lang,
            &super::screen::status::StatusData {
                running: self.engine.is_running(id) || customer.running,
                live: self.engine.live(id),
                last: self.store.last_cycles(id).await?,
                health,
            },
        );
        lines.push(status.text);
        Ok(vec![send_text(lines.join("\n"))])
    }

    async fn cmd_stats(&self, ctx: &Ctx) -> Step {
        let lang = ctx.lang;
        let now_ms = self.now_ms();
        let s = self.store.fleet_stats(now_ms - DAY_MS).await?;
        let pairs = |v: &[(String, i64)]| {
            if v.is_empty() {
                "—".to_string()
            } else {
                v.iter()
                    .map(|(name, n)| format!("{} {n}", crate::i18n::escape(name)))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let text = t_args(
            lang,
            "admin-stats",
            &Args::new()
                .num("customers", s.customers as f64)
                .num("running", s.running as f64)
                .num("here", self.engine.running_count() as f64)
                .html("accounts", pairs(&s.accounts))
                .html("posts", pairs(&s.posts))
                .num("payments", s.payments as f64)
                .num("stars", s.stars as f64),
        );
        Ok(vec![send_text(text)])
    }

    /// "Now" on the engine's clock, as unix ms.
    pub(super) fn now_ms(&self) -> i64 {
        self.engine.clock().wall_ms(tokio::time::Instant::now())
    }
}

/// "…and N more" after a list cut at [`USER_LIST_MAX`].
fn more(lang: Lang, lines: &mut Vec<String>, total: usize) {
    if total > USER_LIST_MAX {
        lines.push(t_args(
            lang,
            "list-more",
            &Args::new().num("count", (total - USER_LIST_MAX) as f64),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setplan_arguments_are_checked_one_by_one() {
        assert_eq!(
            SetPlan::parse("42 enterprise 30"),
            Ok(SetPlan {
                user: 42,
                plan: Plan::Enterprise,
                days: Some(30)
            })
        );
        assert_eq!(
            SetPlan::parse(" 42   STARTER "),
            Ok(SetPlan {
                user: 42,
                plan: Plan::Starter,
                days: None
            })
        );
        assert_eq!(SetPlan::parse(""), Err(SetPlanError::Usage));
        assert_eq!(SetPlan::parse("42"), Err(SetPlanError::Usage));
        assert_eq!(SetPlan::parse("1 STARTER 2 3"), Err(SetPlanError::Usage));
        assert_eq!(
            SetPlan::parse("bob STARTER"),
            Err(SetPlanError::BadUser("bob".into()))
        );
        assert_eq!(
            SetPlan::parse("-5 STARTER"),
            Err(SetPlanError::BadUser("-5".into()))
        );
        assert_eq!(
            SetPlan::parse("42 GOLD"),
            Err(SetPlanError::UnknownPlan("GOLD".into()))
        );
        for days in ["0", "-1", "3651", "1.5", "99999999999"] {
            assert_eq!(
                SetPlan::parse(&format!("42 STARTER {days}")),
                Err(SetPlanError::BadDays(days.into())),
                "{days}"
            );
        }
    }
}
