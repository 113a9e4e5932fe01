//! The Message screen: the post as the accounts will post it. Opening it asks for a new post:
//! the next message replaces it, a text (formatting kept) or media with a caption (a photo,
//! video, GIF or file, or an album, downloaded through the Bot API and stored), each refused
//! with its reason when the accounts can't post it. After a media post is saved the bot sends
//! it back as the groups will see it, and the screen states its kind, size and item count;
//! "Show the post" sends the post (text or media) on its own. After a media post the question
//! stays open (an album is confirmed after a quiet period, and the customer may already have
//! sent the next one). The silent-posts switch is here
//! too: it is about how the post lands in the groups (no notification sound for their
//! members), not about when it goes.
//!
//! The preview sends the stored bytes (not the Bot API's file ids): they are in the store
//! whichever process or bot token saved them, so the preview works the same after a restart,
//! at the cost of uploading the post to the customer's chat each time it is shown.

use std::sync::Arc;

use super::{Page, Press, Screen, Typed};
use crate::bot::callback::Cb;
use crate::bot::input::{
    IncomingPart, MediaInput, MessageText, Refusal, DOWNLOAD_MAX, MAX_MESSAGE_LEN,
};
use crate::bot::{
    answer, out_of_date, view, Action, Awaiting, Button, Control, Ctx, DownloadError, Preview,
    PreviewFile, Screenful, Step,
};
use crate::i18n::{t, t_args, Args, Lang};
use crate::schedule::content::{
    visible_len, ForwardMode, ForwardSource, MediaItem, MediaKind, PostContent, Sha256,
    CAPTION_MAX,
};
use crate::store::{NewMedia, StoreError};

pub(in crate::bot) struct Message;

impl Page for Message {
    /// The post is asked while the screen is open; Cancel then means "back to the menu".
    const CANCEL_RETURNS: bool = false;

    async fn render(c: &Control, ctx: &Ctx, _page: usize) -> Result<Screenful, StoreError> {
        let silent = c.store.silent(ctx.id).await?;
        Ok(match c.store.content(ctx.id).await? {
            Some(PostContent::Text { html }) => message(ctx.lang, Some(&html), silent),
            Some(PostContent::Forward { source, mode }) => {
                let shown = !c.store.forward_preview(ctx.id).await?.is_empty();
                forwarded(ctx.lang, &source, mode, silent, shown)
            }
            Some(media) => media_screen(ctx.lang, &media, silent),
            None => message(ctx.lang, None, silent),
        })
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
            Cb::LinkAsText => Some(crate::bot::forward::link_as_text(c, p).await),
            Cb::SavedMessages => Some(crate::bot::forward::saved_picker(c, p).await),
            Cb::PickSaved(id) => Some(crate::bot::forward::pick_saved(c, p, id).await),
            _ => None,
        }
    }

    fn asked(awaiting: &Awaiting) -> bool {
        matches!(awaiting, Awaiting::Message | Awaiting::Forward { .. })
    }

    async fn answer(c: &Control, ctx: &Ctx, _awaiting: Awaiting, text: Typed<'_>) -> Step {
        // Only a link to a message: offered as a post passed on from that chat.
        if let Some(link) = crate::bot::input::MessageLink::parse(text.plain) {
            return crate::bot::forward::offer_link(c, ctx, link, text.html).await;
        }
        match MessageText::parse(text.plain, text.html) {
            Ok(text) => {
                c.store.set_message(ctx.id, text.html()).await?;
                // The screen shown next says "to replace it, send me the new post": the
                // question stays open (a forward offered before is over).
                if !matches!(
                    Awaiting::load(ctx.row.awaiting.as_deref()),
                    Some(Awaiting::Message)
                ) {
                    c.set_awaiting(ctx, &Awaiting::Message).await?;
                }
                let notice = t(ctx.lang, "message-saved");
                c.send_screen(ctx, Screen::Message, Some(notice)).await
            }
            Err(r) => Ok(vec![c.ask_again(ctx, r)]),
        }
    }

    async fn media(c: &Control, ctx: &Ctx, media: MediaInput) -> Step {
        let parts = match media {
            MediaInput::Other => return Ok(vec![c.ask_again(ctx, Refusal::MediaMessage)]),
            MediaInput::Unsupported(kind) => {
                return Ok(vec![c.ask_again(ctx, Refusal::Unsupported(kind))])
            }
            MediaInput::Files(parts) => parts,
        };
        let (content, preview) = match take_files(c, ctx, parts).await? {
            Ok(saved) => saved,
            Err(refusal) => return Ok(vec![c.ask_again(ctx, refusal)]),
        };
        // The question stays open: a post sent right after (a second album the customer sent
        // before this one was confirmed, or a text) replaces this one, in the order sent. A
        // forward offered before is over: the post is this media now.
        if !matches!(
            Awaiting::load(ctx.row.awaiting.as_deref()),
            Some(Awaiting::Message)
        ) {
            c.set_awaiting(ctx, &Awaiting::Message).await?;
        }
        let notice = match &content {
            PostContent::Album { items, .. } => t_args(
                ctx.lang,
                "media-album-saved",
                &Args::new()
                    .num("count", items.len() as f64)
                    .text("size", view::size(ctx.lang, total_size(items))),
            ),
            _ => t_args(
                ctx.lang,
                "media-saved",
                &Args::new().html("what", summary(ctx.lang, &content)),
            ),
        };
        let screen = c.render(ctx, Screen::Message, Some(notice)).await?;
        // The post first, then the menu under it (the newest message stays the menu).
        Ok(vec![Action::SendMedia(preview), Action::Send(screen)])
    }
}

/// Takes the files of a media post: checked (sizes, captions, the post's shape, the caption's
/// length for each active account) before anything is downloaded, then downloaded and stored.
/// A refusal changes nothing.
async fn take_files(
    c: &Control,
    ctx: &Ctx,
    mut parts: Vec<IncomingPart>,
) -> Result<Result<(PostContent, Preview), Refusal>, StoreError> {
    parts.sort_by_key(|p| p.message_id);
    if let Some(big) = parts.iter().find(|p| p.file.size > DOWNLOAD_MAX) {
        return Ok(Err(Refusal::FileTooBig {
            size: big.file.size,
        }));
    }
    let captions: Vec<&str> = (parts.iter())
        .map(|p| p.caption_html.as_str())
        .filter(|c| !c.trim().is_empty())
        .collect();
    if captions.len() > 1 {
        return Ok(Err(Refusal::SeveralCaptions));
    }
    let caption = captions.first().copied().unwrap_or_default().to_string();
    // The post's shape first (sizes as Telegram states them): nothing is downloaded for an
    // album that could not be posted.
    let shape = (parts.iter().enumerate())
        .map(|(i, p)| MediaItem {
            kind: p.file.kind,
            sha256: Sha256([i as u8; 32]),
            size: p.file.size.max(1),
        })
        .collect();
    if let Err(r) = PostContent::media(shape, caption.clone()) {
        return Ok(Err(Refusal::Content(r)));
    }
    let chars = visible_len(&caption);
    if chars > CAPTION_MAX {
        let premium = c.store.premium_accounts(ctx.id).await?;
        let lacking: Vec<String> = (c.active_accounts(ctx).await?.into_iter())
            .filter(|a| !premium.contains(&a.id))
            .map(|a| a.label)
            .collect();
        if !lacking.is_empty() {
            return Ok(Err(Refusal::CaptionNeedsPremium {
                chars,
                accounts: lacking,
            }));
        }
    }
    let Some(files) = &c.files else {
        return Ok(Err(Refusal::DownloadFailed));
    };
    let mut downloaded = Vec::with_capacity(parts.len());
    for part in &parts {
        match files.download(&part.file.file_id, part.file.size).await {
            Ok(bytes) => downloaded.push(Arc::new(bytes)),
            Err(DownloadError::TooBig) => {
                return Ok(Err(Refusal::FileTooBig {
                    size: part.file.size,
                }))
            }
            Err(DownloadError::Failed) => return Ok(Err(Refusal::DownloadFailed)),
        }
    }
    let new: Vec<NewMedia<'_>> = (parts.iter().zip(&downloaded))
        .map(|(p, bytes)| NewMedia {
            kind: p.file.kind,
            bytes: bytes.as_slice(),
            name: p.file.name.as_deref(),
            mime: p.file.mime.as_deref(),
        })
        .collect();
    let content = match c.store.set_media_content(ctx.id, &new, &caption).await {
        Ok(content) => content,
        Err(StoreError::Content(r)) => return Ok(Err(Refusal::Content(r))),
        Err(e) => return Err(e),
    };
    let files = (parts.into_iter().zip(downloaded))
        .map(|(p, bytes)| PreviewFile {
            kind: p.file.kind,
            bytes,
            name: p.file.name,
            mime: p.file.mime,
        })
        .collect();
    Ok(Ok((content, Preview { files, caption })))
}

/// "Show the post": exactly what the accounts post, as its own message (a media post with
/// its files, from the store).
async fn show_post(c: &Control, p: &Press<'_>) -> Step {
    let lang = p.ctx.lang;
    match c.store.content(p.ctx.id).await? {
        Some(PostContent::Forward { mode, .. }) => {
            let preview = c.store.forward_preview(p.ctx.id).await?;
            let mut actions = vec![answer(None)];
            actions.extend(crate::bot::forward::pass_on(&preview, mode));
            if preview.is_empty() {
                // Taken from a typed link: the bot is in no chat it could show it from.
                actions.push(Action::Send(Screenful {
                    text: t(lang, "forward-not-shown"),
                    keyboard: Vec::new(),
                }));
            }
            Ok(actions)
        }
        Some(PostContent::Text { html }) => Ok(vec![
            answer(None),
            Action::Send(Screenful {
                text: html,
                keyboard: Vec::new(),
            }),
        ]),
        Some(media) => {
            let mut files = Vec::new();
            for item in media.items() {
                let Some(file) = c.store.media_file(p.ctx.id, item.sha256).await? else {
                    return Ok(vec![out_of_date(lang)]);
                };
                files.push(PreviewFile {
                    kind: item.kind,
                    bytes: Arc::new(file.bytes),
                    name: file.name,
                    mime: file.mime,
                });
            }
            let caption = media.html().to_string();
            Ok(vec![
                answer(None),
                Action::SendMedia(Preview { files, caption }),
            ])
        }
        None => Ok(vec![out_of_date(lang)]),
    }
}

fn total_size(items: &[MediaItem]) -> u64 {
    items.iter().map(|i| i.size).sum()
}

/// A media post in words: `a photo (1.2 MB)`, `an album of 3 items (2.4 MB in all)`.
pub fn summary(lang: Lang, content: &PostContent) -> String {
    match content {
        PostContent::Album { items, .. } => t_args(
            lang,
            "media-album",
            &Args::new()
                .num("count", items.len() as f64)
                .text("size", view::size(lang, total_size(items))),
        ),
        _ => {
            let item = content.items().first();
            let kind = item.map_or(MediaKind::Document, |i| i.kind);
            t_args(
                lang,
                "media-one",
                &Args::new()
                    .html("kind", t(lang, &format!("media-kind-{}", kind.as_str())))
                    .text("size", view::size(lang, item.map_or(0, |i| i.size))),
            )
        }
    }
}

/// The Message screen of a media post: what it is, its caption, the switch.
fn media_screen(lang: Lang, content: &PostContent, silent: bool) -> Screenful {
    let caption = content.html();
    let len = visible_len(caption);
    let caption = if caption.trim().is_empty() {
        t(lang, "media-no-caption")
    } else if html_text_len(caption) <= PREVIEW_MAX {
        t_args(lang, "media-caption", &Args::new().html("caption", caption))
    } else {
        t_args(lang, "media-caption-long", &Args::new().num("len", len as f64))
    };
    let mut text = t_args(
        lang,
        "message-screen-media",
        &Args::new()
            .html("what", summary(lang, content))
            .html("caption", caption)
            .num("max", MAX_MESSAGE_LEN as f64),
    );
    if len > CAPTION_MAX {
        text = format!(
            "{text}\n{}",
            t_args(
                lang,
                "media-caption-premium",
                &Args::new().num("len", len as f64).num("max", CAPTION_MAX as f64)
            )
        );
    }
    let text = format!(
        "{text}\n\n{}",
        t(lang, if silent { "silent-on" } else { "silent-off" })
    );
    Screenful {
        text,
        keyboard: keyboard(lang, true, silent),
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
/// `shown`: the bot can show the post again (it came as a message forwarded to the bot; a
/// typed link or a Saved Messages pick it can't show).
pub fn forwarded(
    lang: Lang,
    source: &ForwardSource,
    mode: ForwardMode,
    silent: bool,
    shown: bool,
) -> Screenful {
    let key = match mode {
        ForwardMode::Forward => "message-screen-forward",
        ForwardMode::Copy => "message-screen-copy",
    };
    // An account's Saved Messages are named as such, not by their stored reference.
    let chat = match crate::schedule::content::saved_messages_of(&source.chat) {
        Some(_) => t(lang, "saved-title"),
        None => source.chat.clone(),
    };
    let args = Args::new()
        .text("chat", &chat)
        .num("count", source.message_ids.len() as f64)
        .num("max", MAX_MESSAGE_LEN as f64);
    let hint = t(lang, if shown { "forward-show-hint" } else { "forward-not-shown" });
    let text = format!(
        "{}\n{hint}\n\n{}",
        t_args(lang, key, &args),
        t(lang, if silent { "silent-on" } else { "silent-off" })
    );
    Screenful {
        text,
        keyboard: keyboard(lang, true, silent),
    }
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
    Screenful {
        text,
        keyboard: keyboard(lang, html.is_some(), silent),
    }
}

fn keyboard(lang: Lang, has_post: bool, silent: bool) -> Vec<Vec<Button>> {
    let mut keyboard = Vec::new();
    if has_post {
        keyboard.push(vec![Button::new(t(lang, "button-show-post"), Cb::ShowPost)]);
    }
    let switch = if silent {
        "button-silent-off"
    } else {
        "button-silent-on"
    };
    keyboard.push(vec![Button::new(t(lang, "button-saved-messages"), Cb::SavedMessages)]);
    keyboard.push(vec![Button::new(t(lang, switch), Cb::Silent(!silent))]);
    keyboard.push(view::back(lang));
    keyboard
}
