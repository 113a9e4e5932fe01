//! The Status screen: whether posting is on, the cycle in progress or the next one, the last
//! finished cycle's tally with the groups that did not get everything, and the accounts and
//! groups that are not healthy. (The admins' `/user` shows it too.)

use super::{Health, Page, Screen};
use crate::bot::callback::Cb;
use crate::bot::view::{account_health, back, clock_time, group_health, reason, PAGE};
use crate::bot::{Button, Control, Ctx, Screenful};
use crate::engine::LiveStatus;
use crate::i18n::{t, t_args, Args, Lang};
use crate::store::{
    AccountStatus, CycleRow, CycleStatus, GroupStatus, GroupTally, LastCycle, StoreError,
};

pub(in crate::bot) struct Status;

impl Page for Status {
    async fn render(c: &Control, ctx: &Ctx, _page: usize) -> Result<Screenful, StoreError> {
        let data = StatusData {
            running: c.running(ctx.id).await?,
            live: c.engine.live(ctx.id),
            last: c.store.last_cycles(ctx.id).await?,
            health: c.health(ctx.id, c.now_ms()).await?,
        };
        Ok(status(ctx.lang, &data))
    }
}

/// What the Status screen shows.
pub struct StatusData {
    pub running: bool,
    pub live: Option<LiveStatus>,
    pub last: LastCycle,
    pub health: Health,
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

