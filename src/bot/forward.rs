//! A post passed on from a source chat. While the Message screen asks for the post, the
//! customer forwards a message from their channel to the bot; the bot asks how the accounts
//! should pass it on — **forward** (Telegram shows "Forwarded from …", the original exactly) or
//! **copy** (as the account's own message) — then checks through every active account that
//! the channel can be read and passed on and the message is there, and only then saves it
//! (naming each account that can't, and changing nothing, otherwise). The post is shown back
//! as the groups will see it: the customer's own message forwarded or copied in their chat.

use serde::{Deserialize, Serialize};

use super::callback::Cb;
use super::input::MessageLink;
use super::screen::{question, Press, Screen};
use super::{answer, out_of_date, Action, Awaiting, Button, Control, Ctx, Step};
use crate::i18n::{escape, t, t_args, Args, Lang};
use crate::schedule::content::ForwardMode;
use crate::store::StoreError;
use crate::telegram::source::SourceProblem;

/// A message the customer forwarded to the bot from a channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forwarded {
    /// The forwarded message in the customer's chat with the bot.
    pub message_id: i32,
    /// The channel as the accounts reach it: `@username` (lower case), or its Bot-API id.
    pub chat: String,
    /// The channel's title, for the customer.
    pub title: String,
    /// The message's id in the channel.
    pub source_message_id: i32,
    /// The album it is part of (Telegram delivers an album's messages one by one).
    pub media_group_id: Option<String>,
}

/// The question: forward or copy the message from `title` (or, for a typed link, post the
/// link as the text).
fn choice(lang: Lang, title: &str, linked: bool) -> super::Screenful {
    let key = if linked {
        "forward-question-link"
    } else {
        "forward-question"
    };
    let mut screen = question(lang, t_args(lang, key, &Args::new().text("chat", title)));
    let mut rows = vec![vec![
        Button::new(t(lang, "button-forward"), Cb::PassOn(ForwardMode::Forward)),
        Button::new(t(lang, "button-copy"), Cb::PassOn(ForwardMode::Copy)),
    ]];
    if linked {
        rows.push(vec![Button::new(
            t(lang, "button-link-as-text"),
            Cb::LinkAsText,
        )]);
    }
    screen.keyboard.splice(0..0, rows);
    screen
}

/// A forwarded message arrived while the post is asked: keep it and ask how to pass it on.
/// The next messages of the same album (they come one by one, in the chat's order) join it
/// without asking again.
pub(super) async fn offer(c: &Control, ctx: &Ctx, f: Forwarded) -> Step {
    if let Some(Awaiting::Forward {
        chat,
        title,
        mut message_ids,
        mut preview,
        album: Some(album),
        ..
    }) = Awaiting::load(ctx.row.awaiting.as_deref())
    {
        if f.media_group_id.as_ref() == Some(&album) && f.chat == chat {
            if !message_ids.contains(&f.source_message_id) {
                message_ids.push(f.source_message_id);
                message_ids.sort_unstable();
                preview.push(f.message_id);
                preview.sort_unstable();
            }
            let awaiting = Awaiting::Forward {
                chat,
                title,
                message_ids,
                preview,
                album: Some(album),
                link: None,
            };
            c.set_awaiting(ctx, &awaiting).await?;
            return Ok(Vec::new());
        }
    }
    let title = f.title.clone();
    let awaiting = Awaiting::Forward {
        chat: f.chat,
        title: f.title,
        message_ids: vec![f.source_message_id],
        preview: vec![f.message_id],
        album: f.media_group_id,
        link: None,
    };
    c.set_awaiting(ctx, &awaiting).await?;
    Ok(vec![Action::Send(choice(ctx.lang, &title, false))])
}

/// The customer typed only a link to a message in a group or channel: offer to pass that
/// message on (the bot can't show it: it reads no chat the customer's accounts are in), or to
/// post the link itself as the text.
pub(super) async fn offer_link(c: &Control, ctx: &Ctx, link: MessageLink, html: String) -> Step {
    // Named by its reference until an account reads its title.
    let title = link.chat.clone();
    let awaiting = Awaiting::Forward {
        title: link.chat.clone(),
        chat: link.chat,
        message_ids: vec![link.message_id],
        preview: Vec::new(),
        album: None,
        link: Some(html),
    };
    c.set_awaiting(ctx, &awaiting).await?;
    Ok(vec![Action::Send(choice(ctx.lang, &title, true))])
}

/// "Post the link as text": the typed link becomes the post, as any typed text would.
pub(super) async fn link_as_text(c: &Control, p: &Press<'_>) -> Step {
    let Some(Awaiting::Forward {
        link: Some(html), ..
    }) = p.awaiting.clone()
    else {
        return Ok(vec![out_of_date(p.ctx.lang)]);
    };
    c.store.set_message(p.ctx.id, &html).await?;
    c.set_awaiting(p.ctx, &Awaiting::Message).await?;
    let notice = t(p.ctx.lang, "message-saved");
    let mut actions = vec![answer(None)];
    actions.extend(c.send_screen(p.ctx, Screen::Message, Some(notice)).await?);
    Ok(actions)
}

/// The customer chose how to pass the message on: checked through every active account,
/// then saved and shown back; or refused, naming each account that can't, and nothing
/// changes (the question stays open).
pub(super) async fn choose(c: &Control, p: &Press<'_>, mode: ForwardMode) -> Step {
    let ctx = p.ctx;
    let lang = ctx.lang;
    let Some(Awaiting::Forward {
        chat,
        mut title,
        message_ids,
        preview,
        link,
        ..
    }) = p.awaiting.clone()
    else {
        return Ok(vec![out_of_date(lang)]);
    };
    let accounts = c.active_accounts(ctx).await?;
    if accounts.is_empty() {
        return Ok(vec![
            answer(None),
            Action::Send(question(lang, t(lang, "forward-needs-account"))),
        ]);
    }
    let mut problems = Vec::new();
    let mut titled = false;
    for account in &accounts {
        match c.sources.read(account.id, &chat, &message_ids).await {
            Ok(info) if !titled && link.is_some() && !info.title.is_empty() => {
                // A typed link names the chat only by its reference: the title reads better.
                title = info.title;
                titled = true;
            }
            Ok(_) => {}
            Err(problem) => {
                tracing::info!(
                    customer_id = ctx.id,
                    account_id = account.id,
                    problem = problem.as_str(),
                    "a source message can't be passed on"
                );
                problems.push(format!(
                    "• {} — {}",
                    escape(&account.label),
                    source_problem(lang, &problem)
                ));
            }
        }
    }
    if !problems.is_empty() {
        let text = t_args(
            lang,
            "forward-check-failed",
            &Args::new()
                .text("chat", &title)
                .html("problems", problems.join("\n")),
        );
        let mut refusal = choice(lang, &title, link.is_some());
        refusal.text = text;
        return Ok(vec![answer(None), Action::Send(refusal)]);
    }
    match (c.store)
        .set_forward(ctx.id, &chat, message_ids.clone(), mode, &preview)
        .await
    {
        Ok(_) => {}
        Err(StoreError::Content(refusal)) => {
            // Not a source the bot hands over (the channel reached us without a usable id).
            tracing::warn!(
                customer_id = ctx.id,
                refusal = refusal.as_str(),
                "source refused"
            );
            let text = t(lang, "forward-invalid");
            return Ok(vec![answer(None), Action::Send(question(lang, text))]);
        }
        Err(e) => return Err(e),
    }
    // The Message screen shown next still takes a new post (it says so).
    c.set_awaiting(ctx, &Awaiting::Message).await?;
    let mut notice = t_args(
        lang,
        match mode {
            ForwardMode::Forward => "forward-saved",
            ForwardMode::Copy => "copy-saved",
        },
        &Args::new()
            .text("chat", &title)
            .num("count", message_ids.len() as f64),
    );
    if preview.is_empty() {
        notice.push('\n');
        notice.push_str(&t(lang, "forward-not-shown"));
    }
    let mut actions = vec![answer(None)];
    actions.extend(pass_on(&preview, mode));
    actions.extend(c.send_screen(ctx, Screen::Message, Some(notice)).await?);
    Ok(actions)
}

/// The post shown as the groups will see it: the customer's own forwarded messages, forwarded
/// again (with their "Forwarded from") or copied (without it).
pub(super) fn pass_on(preview: &[i32], mode: ForwardMode) -> Vec<Action> {
    if preview.is_empty() {
        return Vec::new();
    }
    vec![Action::PassOn {
        message_ids: preview.to_vec(),
        copy: mode == ForwardMode::Copy,
    }]
}

/// Why an account can't pass the source on, for the customer.
pub(super) fn source_problem(lang: Lang, problem: &SourceProblem) -> String {
    let key = format!("reason-source-{}", problem.as_str());
    let args = match problem {
        SourceProblem::MessageGone(id) => Args::new().num("id", f64::from(*id)),
        SourceProblem::FloodWait(secs) => Args::new().num("secs", f64::from(*secs)),
        _ => Args::new(),
    };
    t_args(lang, &key, &args)
}

/// How many of the account's newest Saved Messages the picker lists.
const SAVED_LISTED: usize = 10;

/// "From Saved Messages": the account's newest saved messages to pick the post from. Only a
/// customer with one active account: each account has its own Saved Messages, and another
/// account could never pass that message on.
pub(super) async fn saved_picker(c: &Control, p: &Press<'_>) -> Step {
    let lang = p.ctx.lang;
    let accounts = c.active_accounts(p.ctx).await?;
    let [account] = &accounts[..] else {
        return Ok(vec![super::alert(t(lang, "saved-one-account"))]);
    };
    let saved = match c.sources.saved(account.id, SAVED_LISTED).await {
        Ok(saved) if saved.is_empty() => return Ok(vec![super::alert(t(lang, "saved-empty"))]),
        Ok(saved) => saved,
        Err(problem) => return Ok(vec![super::alert(source_problem(lang, &problem))]),
    };
    let mut keyboard: Vec<Vec<Button>> = (saved.iter())
        .map(|m| {
            let text = m.text.chars().take(40).collect::<String>();
            let label = match (m.media, text.is_empty()) {
                (true, true) => t(lang, "saved-media"),
                (true, false) => format!("🖼 {text}"),
                (false, _) => format!("📝 {text}"),
            };
            vec![Button::new(label, Cb::PickSaved(m.id))]
        })
        .collect();
    keyboard.push(vec![Button::new(
        t(lang, "button-back"),
        Cb::Open(Screen::Message),
    )]);
    let text = t_args(
        lang,
        "saved-picker",
        &Args::new().text("account", &account.label),
    );
    p.show(super::Screenful { text, keyboard })
}

/// A saved message picked: asked as forward or copy, like a message forwarded from a channel.
pub(super) async fn pick_saved(c: &Control, p: &Press<'_>, message_id: i32) -> Step {
    let lang = p.ctx.lang;
    let accounts = c.active_accounts(p.ctx).await?;
    let [account] = &accounts[..] else {
        return Ok(vec![super::alert(t(lang, "saved-one-account"))]);
    };
    let title = t(lang, "saved-title");
    let awaiting = Awaiting::Forward {
        chat: format!("{}{}", crate::schedule::content::SAVED_MESSAGES, account.id),
        title: title.clone(),
        message_ids: vec![message_id],
        preview: Vec::new(),
        album: None,
        link: None,
    };
    c.set_awaiting(p.ctx, &awaiting).await?;
    let mut asked = choice(lang, &title, false);
    asked.text = t(lang, "forward-question-saved");
    Ok(vec![answer(None), Action::Send(asked)])
}
