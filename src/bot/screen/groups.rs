//! The Groups screen: the customer's groups with their health, pause/resume and remove (the
//! shared [`super::list`]), adding one by typed reference (a forum topic's link included) or
//! picked from an account's own groups. A group is only added after every active account was
//! checked in it. A forum's topic is picked from its topic list (offered when a forum is added
//! without one, and by 🧵 later); a group whose rights forbid the post's media, or that refused
//! a media post or an album, or is in slow mode while the post is an album, gets 🖼: what a
//! media post does there (the caption as text, an album's first item, or skip the group),
//! which also resumes the group Telegram paused for its media.
//!
//! A topic link `t.me/name/N` is told from a message link by asking the group through the
//! customer's first account: in a forum with a topic N it is that topic; otherwise (no forum,
//! or no such topic) it names the group, and a forum's topic is then picked from its list.

use super::list::{self, Kind, Listed, Row};
use super::{ask, ask_again, GroupNote, Health, Page, Press, Screen, Typed};
use crate::bot::callback::Cb;
use crate::bot::input::{GroupRef, LinkedPost};
use crate::bot::view::{self, group_health, PAGE};
use crate::bot::{alert, out_of_date, Action, Awaiting, Button, Control, Ctx, Screenful, Step};
use crate::i18n::{escape, t, t_args, Args, Lang};
use crate::schedule::choice::{self, MediaBans, MediaChoice};
use crate::schedule::content::MediaItem;
use crate::schedule::Limited;
use crate::store::{Account, AccountStatus, Group, GroupStatus, StoreError};
use crate::telegram::groups::{GroupInfo, GroupProblem, Topic};
use crate::telegram::GENERAL_TOPIC;

pub(in crate::bot) struct Groups;

impl Page for Groups {
    const PAGED: bool = true;

    async fn render(c: &Control, ctx: &Ctx, page: usize) -> Result<Screenful, StoreError> {
        let content = c.store.content(ctx.id).await?;
        let post = content.as_ref().map_or(&[][..], |c| c.items());
        let health = c.health(ctx.id, c.now_ms()).await?;
        let slow = slow_ids(c, ctx).await?;
        // A post passed on from a channel goes to every group as it is: no media choice
        // would change it, so none is offered.
        let forward = matches!(
            content,
            Some(crate::schedule::content::PostContent::Forward { .. })
        );
        Ok(groups(ctx.lang, &health, (post, &slow, forward), page))
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
            Cb::Topics(id) => topics(c, p, id).await,
            Cb::PickTopic(id, topic) => pick_topic(c, p, id, topic).await,
            Cb::MediaChoices(id) => media_choices(c, p, id).await,
            Cb::SetMedia(id, choice) => set_media(c, p, id, choice).await,
            _ => return None,
        })
    }

    fn asked(awaiting: &Awaiting) -> bool {
        matches!(awaiting, Awaiting::Group)
    }

    async fn answer(c: &Control, ctx: &Ctx, _awaiting: Awaiting, text: Typed<'_>) -> Step {
        match GroupRef::parse(text.plain) {
            Ok(group) => match add_checked(c, ctx, group.as_str(), group.linked()).await? {
                Ok(Added {
                    notice,
                    pick: Some(group_id),
                }) => Ok(vec![Action::Send(
                    picker_or_list(c, ctx, group_id, notice).await?,
                )]),
                Ok(Added { notice, pick: None }) => {
                    c.send_screen(ctx, Screen::Groups, Some(notice)).await
                }
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
    match add_checked(c, p.ctx, &picked.reference, None).await? {
        Ok(Added {
            notice,
            pick: Some(group_id),
        }) => p.show(picker_or_list(c, p.ctx, group_id, notice).await?),
        Ok(Added { notice, pick: None }) => {
            p.show(c.render(p.ctx, Screen::Groups, Some(notice)).await?)
        }
        Err(refusal) => Ok(vec![alert(refusal)]),
    }
}

/// The customer's post's media files, in order (none for a text or before any post).
async fn post_items(c: &Control, ctx: &Ctx) -> Result<Vec<MediaItem>, StoreError> {
    Ok(match c.store.content(ctx.id).await? {
        Some(content) => content.items().to_vec(),
        None => Vec::new(),
    })
}

/// The customer's groups in slow mode (Telegram takes no album there from a member).
async fn slow_ids(c: &Control, ctx: &Ctx) -> Result<Vec<i64>, StoreError> {
    let slow = c.store.slow_groups(ctx.id).await?;
    Ok(slow.into_iter().map(|(group, _)| group).collect())
}

/// The customer's first active account: the one topics are read through.
async fn first_account(c: &Control, ctx: &Ctx) -> Result<Option<Account>, StoreError> {
    Ok(c.active_accounts(ctx).await?.into_iter().next())
}

/// The forum's topics through the customer's first active account, the General topic (the
/// main chat) first; `Err` is the problem in words.
async fn forum_topics(
    c: &Control,
    ctx: &Ctx,
    reference: &str,
) -> Result<Result<Vec<Topic>, String>, StoreError> {
    let lang = ctx.lang;
    let Some(account) = first_account(c, ctx).await? else {
        return Ok(Err(t(lang, "group-needs-account")));
    };
    match c.groups.topics(account.id, reference).await {
        Ok(mut topics) => {
            if !topics.iter().any(|t| t.id == GENERAL_TOPIC) {
                topics.insert(
                    0,
                    Topic {
                        id: GENERAL_TOPIC,
                        title: t(lang, "topic-general"),
                        closed: false,
                    },
                );
            }
            topics.sort_by_key(|t| t.id != GENERAL_TOPIC);
            Ok(Ok(topics))
        }
        Err(problem) => Ok(Err(group_problem(lang, &problem))),
    }
}

/// The topic picker for a group just added, with `notice` on top; the Groups screen with the
/// notice and why when the topics can't be read (the group stays, posting into the main chat).
async fn picker_or_list(
    c: &Control,
    ctx: &Ctx,
    group_id: i64,
    notice: String,
) -> Result<Screenful, StoreError> {
    let groups = c.store.groups(ctx.id).await?;
    let Some(group) = groups.iter().find(|g| g.id == group_id) else {
        return c.render(ctx, Screen::Groups, Some(notice)).await;
    };
    match forum_topics(c, ctx, &group.reference).await? {
        Ok(topics) => Ok(topic_picker(ctx.lang, group, &topics, Some(notice))),
        Err(problem) => {
            let notice = format!("{notice}\n{problem}");
            c.render(ctx, Screen::Groups, Some(notice)).await
        }
    }
}

/// 🧵: a forum group's topics, to pick the one its posts go into.
async fn topics(c: &Control, p: &Press<'_>, group_id: i64) -> Step {
    let groups = c.store.groups(p.ctx.id).await?;
    let Some(group) = groups.iter().find(|g| g.id == group_id && g.forum) else {
        return Ok(vec![out_of_date(p.ctx.lang)]);
    };
    match forum_topics(c, p.ctx, &group.reference).await? {
        Ok(topics) => p.show(topic_picker(p.ctx.lang, group, &topics, None)),
        Err(problem) => Ok(vec![alert(problem)]),
    }
}

/// A topic picked: checked against the forum's topics again (only one the group has, and
/// open), then the group's posts go there.
async fn pick_topic(c: &Control, p: &Press<'_>, group_id: i64, topic_id: i32) -> Step {
    let lang = p.ctx.lang;
    let groups = c.store.groups(p.ctx.id).await?;
    let Some(group) = groups.iter().find(|g| g.id == group_id && g.forum) else {
        return Ok(vec![out_of_date(lang)]);
    };
    let topics = match forum_topics(c, p.ctx, &group.reference).await? {
        Ok(topics) => topics,
        Err(problem) => return Ok(vec![alert(problem)]),
    };
    let Some(topic) = topics.into_iter().find(|t| t.id == topic_id) else {
        return Ok(vec![out_of_date(lang)]);
    };
    if topic.closed {
        let args = Args::new().text("topic", &topic.title);
        return Ok(vec![alert(t_args(lang, "topic-closed", &args))]);
    }
    let saved = (c.store)
        .set_group_topic_titled(p.ctx.id, group_id, Some((topic.id, &topic.title)))
        .await?;
    if !saved {
        return Ok(vec![out_of_date(lang)]);
    }
    // A topic Telegram called closed or deleted is answered by the new one: the group resumes.
    (c.store)
        .lift_refusals(p.ctx.id, group_id, &["topic_closed", "topic_deleted"])
        .await?;
    let notice = t_args(
        lang,
        "topic-picked",
        &Args::new()
            .text("group", &group.reference)
            .text("topic", &topic.title),
    );
    p.show(c.render(p.ctx, Screen::Groups, Some(notice)).await?)
}

/// A forum's topics as buttons (the first 20), the current one marked, closed ones locked.
pub fn topic_picker(
    lang: Lang,
    group: &Group,
    topics: &[Topic],
    notice: Option<String>,
) -> Screenful {
    let mut text = notice.map(|n| format!("{n}\n\n")).unwrap_or_default();
    text.push_str(&t_args(
        lang,
        "topic-pick",
        &Args::new().text("group", &group.reference),
    ));
    let current = group.topic.unwrap_or(GENERAL_TOPIC);
    let mut keyboard: Vec<Vec<Button>> = (topics.iter().take(2 * PAGE))
        .map(|topic| {
            let mark = match (topic.id == current, topic.closed) {
                (true, _) => "✅",
                (false, true) => "🔒",
                (false, false) => "🧵",
            };
            let label = if topic.id == GENERAL_TOPIC {
                t_args(
                    lang,
                    "button-topic-general",
                    &Args::new().text("topic", &topic.title),
                )
            } else {
                // As HTML, like the General label, so that to_plain gives the title back
                // exactly (`R&amp;D` stays `R&amp;D`).
                crate::i18n::escape(&topic.title)
            };
            vec![Button::new(
                format!("{mark} {}", crate::bot::html::to_plain(&label)),
                Cb::PickTopic(group.id, topic.id),
            )]
        })
        .collect();
    keyboard.push(vec![Button::new(
        t(lang, "button-back"),
        Cb::Open(Screen::Groups),
    )]);
    Screenful { text, keyboard }
}

/// Whether the group gets 🖼: its rights forbid some media, it refused a media post or an
/// album, it is in slow mode and the post is an album, or a choice is set.
fn media_matters(g: &Group, notes: &[(String, GroupNote)], album_in_slow_mode: bool) -> bool {
    !g.media_bans.is_empty()
        || g.media_choice.is_some()
        || album_in_slow_mode
        || notes.iter().any(
            |(_, n)| matches!(n, GroupNote::Refused { reason, .. } if choice::answers(reason)),
        )
}

/// What a group's rights forbid, in words (`photos, videos`).
fn forbidden_words(lang: Lang, bans: MediaBans) -> String {
    (bans.names().into_iter())
        .map(|name| t(lang, &format!("media-what-{name}")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The words for a media choice (`None`: posted as it is).
fn choice_words(lang: Lang, choice: Option<MediaChoice>) -> String {
    let name = choice.map_or("post", MediaChoice::as_str);
    t(lang, &format!("media-choice-{name}"))
}

/// 🖼: what a media post does in the group, with why it matters there.
async fn media_choices(c: &Control, p: &Press<'_>, group_id: i64) -> Step {
    let lang = p.ctx.lang;
    let health = c.health(p.ctx.id, c.now_ms()).await?;
    let Some(i) = health.groups.iter().position(|g| g.id == group_id) else {
        return Ok(vec![out_of_date(lang)]);
    };
    let group = &health.groups[i];
    let album_in_slow_mode =
        post_items(c, p.ctx).await?.len() > 1 && slow_ids(c, p.ctx).await?.contains(&group_id);
    let mut lines = vec![t_args(
        lang,
        "media-choice-title",
        &Args::new().text("group", &group.reference),
    )];
    if album_in_slow_mode {
        lines.push(t(lang, "media-choice-why-slow"));
    }
    if !group.media_bans.is_empty() {
        lines.push(t_args(
            lang,
            "media-choice-why-bans",
            &Args::new().text("what", forbidden_words(lang, group.media_bans)),
        ));
    }
    let albums_refused = album_in_slow_mode
        || (health.notes[i].iter()).any(
            |(_, n)| matches!(n, GroupNote::Refused { reason, .. } if reason == "albums_refused"),
        );
    let mut refusals: Vec<&str> = (health.notes[i].iter())
        .filter_map(|(_, n)| match n {
            GroupNote::Refused { reason, .. } if choice::answers(reason) => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    refusals.dedup();
    for reason in refusals {
        lines.push(t_args(
            lang,
            "media-choice-why-refused",
            &Args::new().html("reason", view::reason(lang, reason)),
        ));
    }

    // An album's first item is still media: offered where only albums are the trouble (a
    // slow-mode group's refusal), not where the rights forbid media.
    let first_item = group.media_choice == Some(MediaChoice::FirstItem)
        || (albums_refused && group.media_bans.is_empty());
    lines.push(t(lang, "media-choice-explain"));
    if first_item {
        lines.push(t(lang, "media-choice-explain-first"));
    }
    let options = [
        None,
        Some(MediaChoice::CaptionAsText),
        Some(MediaChoice::FirstItem),
        Some(MediaChoice::Skip),
    ];
    let mut keyboard: Vec<Vec<Button>> = (options.into_iter())
        .filter(|o| first_item || *o != Some(MediaChoice::FirstItem))
        .map(|option| {
            let mark = if option == group.media_choice {
                "✅ "
            } else {
                ""
            };
            let name = option.map_or("post", MediaChoice::as_str);
            vec![Button::new(
                format!("{mark}{}", t(lang, &format!("button-media-{name}"))),
                Cb::SetMedia(group_id, option),
            )]
        })
        .collect();
    keyboard.push(vec![Button::new(
        t(lang, "button-back"),
        Cb::Open(Screen::Groups),
    )]);
    p.show(Screenful {
        text: lines.join("\n"),
        keyboard,
    })
}

/// A media choice made: stored (the group's media refusals lifted), the list again.
async fn set_media(
    c: &Control,
    p: &Press<'_>,
    group_id: i64,
    choice: Option<MediaChoice>,
) -> Step {
    let lang = p.ctx.lang;
    let groups = c.store.groups(p.ctx.id).await?;
    let Some(group) = groups.iter().find(|g| g.id == group_id) else {
        return Ok(vec![out_of_date(lang)]);
    };
    if !c.store.set_media_choice(p.ctx.id, group_id, choice).await? {
        return Ok(vec![out_of_date(lang)]);
    }
    let notice = t_args(
        lang,
        "media-choice-saved",
        &Args::new()
            .text("group", &group.reference)
            .html("choice", choice_words(lang, choice)),
    );
    p.show(c.render(p.ctx, Screen::Groups, Some(notice)).await?)
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

/// A group just added: the notice, and the group whose topic is to be picked next (a forum
/// added without a topic).
struct Added {
    notice: String,
    pick: Option<i64>,
}

/// Adds the group after checking it through every active account of the customer (each
/// must be a member allowed to write), recording how each account reaches it, whether it is
/// a forum and what its rights forbid. A link's number is a topic when the group is a forum
/// with that topic (see the module's doc). `Err` is the refusal to show; nothing is stored
/// then.
async fn add_checked(
    c: &Control,
    ctx: &Ctx,
    reference: &str,
    linked: Option<LinkedPost>,
) -> Result<Result<Added, String>, StoreError> {
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
    let forum = reached.iter().any(|(_, i)| i.forum);
    let bans = reached
        .iter()
        .map(|(_, i)| i.forbids)
        .fold(MediaBans::NONE, MediaBans::union);
    // A forum: the link's topic, or the picker next.
    let mut topic = None;
    let mut pick = forum;
    if let (true, Some(link)) = (forum, linked) {
        let topics = match forum_topics(c, ctx, reference).await? {
            Ok(topics) => topics,
            Err(problem) => {
                let line = format!("• {} — {problem}", escape(&accounts[0].label));
                let args = Args::new().text("group", reference).html("problems", line);
                return Ok(Err(t_args(lang, "group-check-failed", &args)));
            }
        };
        match (topics.into_iter().find(|t| t.id == link.topic()), link) {
            (Some(found), _) if found.closed => {
                let args = Args::new().text("topic", &found.title);
                return Ok(Err(t_args(lang, "topic-closed", &args)));
            }
            (Some(found), _) => {
                topic = Some(found);
                pick = false;
            }
            // t.me/name/N where N is no topic: a message link; the topic is picked.
            (None, LinkedPost::TopicOrMessage(_)) => {}
            (None, LinkedPost::InTopic(id)) => {
                let args = Args::new().text("group", reference).num("id", id);
                return Ok(Err(t_args(lang, "topic-missing", &args)));
            }
        }
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
    c.store.set_group_kind(ctx.id, group_id, forum, bans).await?;
    if let Some(topic) = &topic {
        (c.store)
            .set_group_topic_titled(ctx.id, group_id, Some((topic.id, &topic.title)))
            .await?;
    }
    c.clear_awaiting(ctx).await?;
    let mut notice = match &topic {
        Some(topic) => t_args(
            lang,
            "group-added-topic",
            &Args::new()
                .text("group", reference)
                .text("topic", &topic.title),
        ),
        None => t_args(lang, "group-added", &group),
    };
    if let Some(secs) = reached.iter().filter_map(|(_, i)| i.slow_mode_secs).max() {
        notice.push(' ');
        notice.push_str(&t_args(
            lang,
            "group-slow-mode",
            &Args::new().num("secs", secs as f64),
        ));
    }
    if !bans.is_empty() {
        notice.push('\n');
        notice.push_str(&t_args(
            lang,
            "group-media-bans",
            &Args::new().text("what", forbidden_words(lang, bans)),
        ));
    }
    Ok(Ok(Added {
        notice,
        pick: pick.then_some(group_id),
    }))
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

/// The list: each group by its name (and its topic), its health and what a media post does
/// there; 🧵 on a forum, 🖼 where media matter. `post` is the post's media (none: a text),
/// `slow` the groups in slow mode (which take no album).
pub fn groups(
    lang: Lang,
    h: &Health,
    (post, slow, forward): (&[MediaItem], &[i64], bool),
    page: usize,
) -> Screenful {
    let album_in_slow_mode = |g: &Group| post.len() > 1 && slow.contains(&g.id);
    let names: Vec<String> = (h.groups.iter())
        .map(|g| match &g.topic_title {
            Some(topic) => format!("{} › {topic}", g.reference),
            None => g.reference.clone(),
        })
        .collect();
    let items: Vec<Row> = h
        .groups
        .iter()
        .enumerate()
        .map(|(n, g)| {
            let mut health = group_health(lang, g, &h.notes[n]);
            let media = match g.media_choice {
                Some(_) if !post.is_empty() => Some(choice_words(lang, g.media_choice)),
                None if g.media_bans.refuse(post) => Some(t_args(
                    lang,
                    "health-media-refused",
                    &Args::new().text("what", forbidden_words(lang, g.media_bans)),
                )),
                None if album_in_slow_mode(g) => Some(t(lang, "health-album-slow-mode")),
                _ => None,
            };
            match media {
                // "ok" and "won't go there" don't go together: the warning alone.
                Some(media) if g.media_choice.is_none() && health == t(lang, "health-ok") => {
                    health = media
                }
                Some(media) => {
                    health.push_str("; ");
                    health.push_str(&media);
                }
                None => {}
            }
            Row {
                id: g.id,
                name: &names[n],
                health,
                // ▶ resumes a group paused by the customer or refused by Telegram (once fixed).
                ok: h.group_ok(n),
            }
        })
        .collect();
    let extra = |id: i64| {
        let Some(n) = h.groups.iter().position(|g| g.id == id) else {
            return Vec::new();
        };
        let g = &h.groups[n];
        let mut buttons = Vec::new();
        if g.forum {
            buttons.push(Button::new(t(lang, "button-topic"), Cb::Topics(id)));
        }
        if !forward && media_matters(g, &h.notes[n], album_in_slow_mode(g)) {
            buttons.push(Button::new(t(lang, "button-media"), Cb::MediaChoices(id)));
        }
        buttons
    };
    let (lines, mut keyboard) = list::render_with::<Groups>(lang, &items, page, &extra);
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
        GroupProblem::NotAForum => t(lang, "group-problem-not-a-forum"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::GroupStatus;

    #[test]
    fn a_topics_button_shows_its_title_exactly_as_written() {
        let group = Group {
            id: 7,
            reference: "@forum".into(),
            position: 0,
            status: GroupStatus::Active,
            reason: None,
            topic: None,
            media_choice: None,
            forum: true,
            topic_title: None,
            media_bans: Default::default(),
        };
        let topic = |id, title: &str| Topic {
            id,
            title: title.into(),
            closed: false,
        };
        let topics = [topic(1, "General"), topic(5, "R&amp;D <b>news</b>")];
        for lang in Lang::ALL {
            let picker = topic_picker(lang, &group, &topics, None);
            let labels: Vec<&str> = (picker.keyboard.iter().flatten())
                .map(|b| b.text.as_str())
                .collect();
            assert!(
                labels.contains(&"🧵 R&amp;D <b>news</b>"),
                "{lang:?}: {labels:?}"
            );
            assert!(crate::bot::html::check(&picker.text).is_ok());
        }
    }
}
