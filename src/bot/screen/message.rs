//! The Message screen: the post as the accounts will post it. Opening it asks for a new post
//! (the next typed message, formatting kept, replaces it); "Show the post" sends it on its own.
//! The silent-posts switch is here too: it is about how the post lands in the groups (no
//! notification sound for their members), not about when it goes.

use super::{Page, Press, Screen, Typed};
use crate::bot::callback::Cb;
use crate::bot::input::{MessageText, Refusal, MAX_MESSAGE_LEN};
use crate::bot::{answer, out_of_date, view, Action, Awaiting, Button, Control, Ctx, Screenful, Step};
use crate::i18n::{t, t_args, Args, Lang};
use crate::schedule::content::{ForwardMode, ForwardSource, PostContent};
use crate::store::StoreError;

pub(in crate::bot) struct Message;

impl Page for Message {
    /// The post is asked while the screen is open; Cancel then means "back to the menu".
    const CANCEL_RETURNS: bool = false;

    async fn render(c: &Control, ctx: &Ctx, _page: usize) -> Result<Screenful, StoreError> {
        let silent = c.store.silent(ctx.id).await?;
        if let Some(PostContent::Forward { source, mode }) = c.store.content(ctx.id).await? {
            return Ok(forwarded(ctx.lang, &source, mode, silent));
        }
        let timing = c.store.timing(ctx.id).await?;
        Ok(message(
            ctx.lang,
            timing.and_then(|t| t.message_html).as_deref(),
            silent,
        ))
    }

    fn question() -> Option<Awaiting> {
        Some(Awaiting::Message)
    }

    async fn press(c: &Control, p: &Press<'_>, cb: Cb) -> Option<Step> {
        match cb {
            Cb::ShowPost => Some(show_post(c, p).await),
            Cb::Silent(on) => Some(match p.busy() {
                Some(refused) => refused,
                None => set_silent(c, p, on).await,
            }),
            Cb::PassOn(mode) => Some(crate::bot::forward::choose(c, p, mode).await),
            _ => None,
        }
    }

    fn asked(awaiting: &Awaiting) -> bool {
        matches!(awaiting, Awaiting::Message | Awaiting::Forward { .. })
    }

    async fn answer(c: &Control, ctx: &Ctx, _awaiting: Awaiting, text: Typed<'_>) -> Step {
        match MessageText::parse(text.plain, text.html) {
            Ok(text) => {
                c.store.set_message(ctx.id, text.html()).await?;
                c.clear_awaiting(ctx).await?;
                let notice = t(ctx.lang, "message-saved");
                c.send_screen(ctx, Screen::Message, Some(notice)).await
            }
            Err(r) => Ok(vec![c.ask_again(ctx, r)]),
        }
    }

    async fn media(c: &Control, ctx: &Ctx) -> Step {
        Ok(vec![c.ask_again(ctx, Refusal::MediaMessage)])
    }
}

/// "Show the post": exactly what the accounts post, as its own message.
async fn show_post(c: &Control, p: &Press<'_>) -> Step {
    if let Some(PostContent::Forward { mode, .. }) = c.store.content(p.ctx.id).await? {
        let preview = c.store.forward_preview(p.ctx.id).await?;
        let mut actions = vec![answer(None)];
        actions.extend(crate::bot::forward::pass_on(&preview, mode));
        return Ok(actions);
    }
    let post = c.store.timing(p.ctx.id).await?.and_then(|t| t.message_html);
    match post {
        Some(html) => Ok(vec![
            answer(None),
            Action::Send(Screenful {
                text: html,
                keyboard: Vec::new(),
            }),
        ]),
        None => Ok(vec![out_of_date(p.ctx.lang)]),
    }
}

/// The silent-posts switch: saved, and the screen shown again with its new state.
async fn set_silent(c: &Control, p: &Press<'_>, on: bool) -> Step {
    c.store.set_silent(p.ctx.id, on).await?;
    p.show(Message::render(c, p.ctx, 0).await?)
}

/// Posts up to this many characters are shown inside the Message screen; longer ones would
/// push the screen past Telegram's 4 096 and are shown on their own with "Show the post".
const PREVIEW_MAX: usize = 3_000;

/// The length Telegram counts for a post given as HTML: tags dropped, entities one character.
pub fn html_text_len(html: &str) -> usize {
    let mut len = 0;
    let mut in_tag = false;
    let mut in_entity = false;
    for c in html.chars() {
        match (in_tag, in_entity, c) {
            (false, false, '<') => in_tag = true,
            (true, _, '>') => in_tag = false,
            (true, _, _) => {}
            (false, false, '&') => {
                in_entity = true;
                len += 1;
            }
            (false, true, ';') => in_entity = false,
            (false, true, _) => {}
            (false, false, c) => len += c.len_utf16(),
        }
    }
    len
}

/// The Message screen for a post passed on from a channel: where from, how, how many
/// messages.
pub fn forwarded(lang: Lang, source: &ForwardSource, mode: ForwardMode, silent: bool) -> Screenful {
    let key = match mode {
        ForwardMode::Forward => "message-screen-forward",
        ForwardMode::Copy => "message-screen-copy",
    };
    let args = Args::new()
        .text("chat", &source.chat)
        .num("count", source.message_ids.len() as f64)
        .num("max", MAX_MESSAGE_LEN as f64);
    let text = format!(
        "{}\n\n{}",
        t_args(lang, key, &args),
        t(lang, if silent { "silent-on" } else { "silent-off" })
    );
    let switch = if silent {
        "button-silent-off"
    } else {
        "button-silent-on"
    };
    let keyboard = vec![
        vec![Button::new(t(lang, "button-show-post"), Cb::ShowPost)],
        vec![Button::new(t(lang, switch), Cb::Silent(!silent))],
        view::back(lang),
    ];
    Screenful { text, keyboard }
}

pub fn message(lang: Lang, html: Option<&str>, silent: bool) -> Screenful {
    let max = MAX_MESSAGE_LEN as f64;
    let text = match html {
        Some(html) if html_text_len(html) <= PREVIEW_MAX => t_args(
            lang,
            "message-screen",
            &Args::new().html("message", html).num("max", max),
        ),
        Some(html) => t_args(
            lang,
            "message-screen-long",
            &Args::new()
                .num("len", html_text_len(html) as f64)
                .num("max", max),
        ),
        None => t_args(lang, "message-screen-empty", &Args::new().num("max", max)),
    };
    let text = format!(
        "{text}\n\n{}",
        t(lang, if silent { "silent-on" } else { "silent-off" })
    );
    let mut keyboard = Vec::new();
    if html.is_some() {
        keyboard.push(vec![Button::new(t(lang, "button-show-post"), Cb::ShowPost)]);
    }
    let switch = if silent {
        "button-silent-off"
    } else {
        "button-silent-on"
    };
    keyboard.push(vec![Button::new(t(lang, switch), Cb::Silent(!silent))]);
    keyboard.push(view::back(lang));
    Screenful { text, keyboard }
}
