//! The Groups screen: the customer's groups with their health, pause/resume and remove (the
//! shared [`super::list`]), adding one by typed reference or picked from an account's own
//! groups. A group is only added after every active account was checked in it.

use super::list::{self, Kind, Listed, Row};
use super::{ask, ask_again, Health, Page, Press, Screen, Typed};
use crate::bot::callback::Cb;
use crate::bot::input::GroupRef;
use crate::bot::view::{self, group_health, PAGE};
use crate::bot::{alert, out_of_date, Action, Awaiting, Button, Control, Ctx, Screenful, Step};
use crate::i18n::{t, t_args, Args, Lang};
use crate::schedule::Limited;
use crate::store::{AccountStatus, Group, GroupStatus, StoreError};
use crate::telegram::groups::{GroupInfo, GroupProblem};

pub(in crate::bot) struct Groups;

impl Page for Groups {
    const PAGED: bool = true;

    async fn render(c: &Control, ctx: &Ctx, page: usize) -> Result<Screenful, StoreError> {
        Ok(groups(ctx.lang, &c.health(ctx.id, c.now_ms()).await?, page))
    }

    async fn press(c: &Control, p: &Press<'_>, cb: Cb) -> Option<Step> {
        Some(match cb {
            Cb::AddGroup => match p.busy() {
                Some(refused) => refused,
                None => add(c, p).await,
            },
            Cb::PickGroups => pick_list(c, p).await,
            Cb::PickGroup(dialog_id) => pick(c, p, dialog_id).await,
            Cb::ToggleGroup(id) => list::toggle::<Groups>(c, p, id).await,
            Cb::RemoveGroup(id) => list::remove::<Groups>(c, p, id).await,
            Cb::ConfirmRemoveGroup(id) => list::confirm_remove::<Groups>(c, p, id).await,
            _ => return None,
        })
    }

    fn asked(awaiting: &Awaiting) -> bool {
        matches!(awaiting, Awaiting::Group)
    }

    async fn answer(c: &Control, ctx: &Ctx, _awaiting: Awaiting, text: Typed<'_>) -> Step {
        match GroupRef::parse(text.plain) {
            Ok(group) => match add_checked(c, ctx, group.as_str()).await? {
                Ok(notice) => c.send_screen(ctx, Screen::Groups, Some(notice)).await,
                Err(refusal) => Ok(vec![ask_again(ctx.lang, refusal)]),
            },
            Err(r) => Ok(vec![c.ask_again(ctx, r)]),
        }
    }
}

/// "Add a group": asks for its reference, when the plan has room for one more.
async fn add(c: &Control, p: &Press<'_>) -> Step {
    let have = c.store.groups(p.ctx.id).await?.len();
    if let Some(refusal) = c.limit_refusal(p.ctx, Limited::Groups, have) {
        return Ok(vec![alert(refusal)]);
    }
    c.set_awaiting(p.ctx, &Awaiting::Group).await?;
    p.show(ask(p.ctx.lang, "group-ask"))
}

/// "Pick from my groups": the account's groups not in the list yet.
async fn pick_list(c: &Control, p: &Press<'_>) -> Step {
    match pickable(c, p.ctx).await? {
        Ok(list) => p.show(pick_groups(p.ctx.lang, &list)),
        Err(text) => Ok(vec![alert(text)]),
    }
}

/// A group picked from the account's list.
async fn pick(c: &Control, p: &Press<'_>, dialog_id: i64) -> Step {
    // The list is fetched again: only a group the account really has is added.
    let picked = match pickable(c, p.ctx).await? {
        Ok(list) => list.into_iter().find(|g| g.dialog_id == dialog_id),
        Err(text) => return Ok(vec![alert(text)]),
    };
    let Some(picked) = picked else {
        return Ok(vec![out_of_date(p.ctx.lang)]);
    };
    match add_checked(c, p.ctx, &picked.reference).await? {
        Ok(notice) => p.show(c.render(p.ctx, Screen::Groups, Some(notice)).await?),
        Err(refusal) => Ok(vec![alert(refusal)]),
    }
}

impl Listed for Groups {
    type Item = Group;
    const KIND: Kind = Kind {
        screen: Screen::Groups,
        title: "groups-title",
        empty: "groups-empty",
        confirm: "group-remove-confirm",
        removed: "group-removed",
        toggle: Cb::ToggleGroup,
        remove: Cb::RemoveGroup,
        confirm_remove: Cb::ConfirmRemoveGroup,
    };

    async fn items(c: &Control, ctx: &Ctx) -> Result<Vec<Group>, StoreError> {
        c.store.groups(ctx.id).await
    }

    fn id(group: &Group) -> i64 {
        group.id
    }

    fn name(group: &Group) -> &str {
        &group.reference
    }

    async fn toggle(
        c: &Control,
        ctx: &Ctx,
        group: &Group,
    ) -> Result<Result<bool, Action>, StoreError> {
        let id = group.id;
        let refused = c
            .store
            .pair_blocks(ctx.id)
            .await?
            .iter()
            .any(|b| b.group_id == id);
        // ▶ on a group Telegram refused lifts the refusal (the customer fixed it); otherwise
        // the button pauses or resumes.
        let (status, reason) = match group.status {
            GroupStatus::Active if refused => (GroupStatus::Active, None),
            GroupStatus::Active => (GroupStatus::Paused, Some("customer")),
            GroupStatus::Paused => (GroupStatus::Active, None),
        };
        if status == GroupStatus::Active {
            c.store.clear_pair_blocks(ctx.id, id).await?;
        }
        Ok(Ok(c.store.set_group_status(ctx.id, id, status, reason).await?))
    }

    async fn remove(c: &Control, ctx: &Ctx, id: i64) -> Result<bool, StoreError> {
        c.store.remove_group(ctx.id, id).await
    }
}

/// Adds the group after checking it through every active account of the customer (each
/// must be a member allowed to write), recording how each account reaches it. `Err` is
/// the refusal to show; nothing is stored then.
async fn add_checked(
    c: &Control,
    ctx: &Ctx,
    reference: &str,
) -> Result<Result<String, String>, StoreError> {
    let lang = ctx.lang;
    let group = Args::new().text("group", reference);
    let existing = c.store.groups(ctx.id).await?;
    if existing.iter().any(|g| g.reference == reference) {
        return Ok(Err(t_args(lang, "group-duplicate", &group)));
    }
    if let Some(refusal) = c.limit_refusal(ctx, Limited::Groups, existing.len()) {
        return Ok(Err(refusal));
    }
    let accounts = c.active_accounts(ctx).await?;
    if accounts.is_empty() {
        return Ok(Err(t(lang, "group-needs-account")));
    }
    let mut reached = Vec::new();
    let mut problems = Vec::new();
    for account in &accounts {
        match c.groups.check(account.id, reference).await {
            Ok(info) => reached.push((account.id, info)),
            Err(problem) => problems.push(format!(
                "• {} — {}",
                crate::i18n::escape(&account.label),
                group_problem(lang, &problem)
            )),
        }
    }
    if !problems.is_empty() {
        let text = t_args(
            lang,
            "group-check-failed",
            &Args::new()
                .text("group", reference)
                .html("problems", problems.join("\n")),
        );
        return Ok(Err(text));
    }
    let group_id = match c.store.add_group(ctx.id, reference).await {
        Ok(id) => id,
        Err(StoreError::Duplicate) => return Ok(Err(t_args(lang, "group-duplicate", &group))),
        Err(e) => return Err(e),
    };
    for (account_id, info) in &reached {
        c.store
            .save_group_peer(
                *account_id,
                group_id,
                info.dialog_id,
                info.access_hash,
                info.slow_mode_secs,
            )
            .await?;
    }
    c.clear_awaiting(ctx).await?;
    let mut notice = t_args(lang, "group-added", &group);
    if let Some(secs) = reached.iter().filter_map(|(_, i)| i.slow_mode_secs).max() {
        notice.push(' ');
        notice.push_str(&t_args(
            lang,
            "group-slow-mode",
            &Args::new().num("secs", secs as f64),
        ));
    }
    Ok(Ok(notice))
}

/// The groups the customer's first active account belongs to, to pick from.
async fn pickable(c: &Control, ctx: &Ctx) -> Result<Result<Vec<GroupInfo>, String>, StoreError> {
    let lang = ctx.lang;
    let accounts = c.store.accounts(ctx.id).await?;
    let Some(account) = accounts.iter().find(|a| a.status == AccountStatus::Active) else {
        return Ok(Err(t(lang, "group-needs-account")));
    };
    let known: Vec<String> = c
        .store
        .groups(ctx.id)
        .await?
        .into_iter()
        .map(|g| g.reference)
        .collect();
    match c.groups.list(account.id).await {
        Ok(list) => Ok(Ok(list
            .into_iter()
            .filter(|g| !known.contains(&g.reference))
            .collect())),
        Err(problem) => Ok(Err(group_problem(lang, &problem))),
    }
}

pub fn groups(lang: Lang, h: &Health, page: usize) -> Screenful {
    let items: Vec<Row> = h
        .groups
        .iter()
        .enumerate()
        .map(|(n, g)| Row {
            id: g.id,
            name: &g.reference,
            health: group_health(lang, g, &h.notes[n]),
            // ▶ resumes a group paused by the customer or refused by Telegram (once fixed).
            ok: h.group_ok(n),
        })
        .collect();
    let (lines, mut keyboard) = list::render::<Groups>(lang, &items, page);
    keyboard.push(vec![
        Button::new(t(lang, "button-add-group"), Cb::AddGroup),
        Button::new(t(lang, "button-pick-groups"), Cb::PickGroups),
    ]);
    keyboard.push(view::back(lang));
    Screenful {
        text: lines.join("\n"),
        keyboard,
    }
}

/// The account's own groups not yet in the list, one button each (the first 20).
pub fn pick_groups(lang: Lang, list: &[GroupInfo]) -> Screenful {
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
pub fn group_problem(lang: Lang, p: &GroupProblem) -> String {
    match p {
        GroupProblem::NotFound => t(lang, "group-problem-not-found"),
        GroupProblem::NotAGroup => t(lang, "group-problem-not-a-group"),
        GroupProblem::NotMember => t(lang, "group-problem-not-member"),
        GroupProblem::CannotWrite => t(lang, "group-problem-cannot-write"),
        GroupProblem::AccountUnavailable => t(lang, "group-problem-account"),
        GroupProblem::FloodWait(secs) => t_args(
            lang,
            "login-flood-wait",
            &Args::new().num("secs", *secs as f64),
        ),
        GroupProblem::Unavailable => t(lang, "login-telegram-unavailable"),
    }
}
