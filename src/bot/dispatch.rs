//! The teloxide layer, kept thin: private-chat updates become [`Input`]s for
//! [`Control::handle`], and its [`Action`]s become Bot API calls (HTML parse mode, inline
//! keyboards, edits in place, callback answers). Every message goes through the one
//! [`Limiter`] (Telegram's bot limits, retry_after obeyed). Also the dispatcher and its long
//! poll, the command list per language, and the broadcast's Bot API side; `autoposter run`
//! puts them together with the engine in [`crate::serve::run`].
//!
//! Media: a message's file (the largest size of a photo, a video, an animation, a document)
//! becomes an [`IncomingPart`] with its caption rendered to HTML like a text; an album's
//! messages are collected by [`Albums`] and handed over as one input; other kinds of message
//! become their [`Unsupported`] kind. [`BotFiles`] downloads files (getFile, then the file
//! path), and a media post is shown back with sendPhoto / sendVideo / sendAnimation /
//! sendDocument / sendMediaGroup.

use std::sync::Arc;

use teloxide::dispatching::UpdateHandler;
use teloxide::prelude::*;
use teloxide::types::{
    BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Me, MessageId, ParseMode,
};
use teloxide::types::{MessageEntity, MessageEntityKind};
use teloxide::RequestError;

use super::album::{Albums, QUIET};
use super::broadcast::{BroadcastSink, Delivery};
use super::input::{self, Entity, EntityKind, IncomingFile, IncomingPart, Unsupported};
use super::outbox::{Class, Limiter};
use super::{
    Action, Control, DownloadError, Files, Input, Preview, PreviewFile, Screenful, Sender,
};
use crate::i18n::{t, t_args, Args, Lang};
use crate::schedule::content::MediaKind;
use crate::store::BroadcastSource;
use crate::telegram::BoxFuture;

/// What a handler may fail with (teloxide's dispatcher logs it).
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// The update handlers, with a limiter of their own ([`Limiter::telegram`]). Needs an
/// `Arc<Control>` among the dispatcher's dependencies.
pub fn handler_tree() -> UpdateHandler<HandlerError> {
    handler_tree_with(Arc::new(Limiter::telegram()))
}

/// The update handlers, sending every message through `limiter` (shared with everything
/// else that sends). Needs an `Arc<Control>` among the dispatcher's dependencies.
pub fn handler_tree_with(limiter: Arc<Limiter>) -> UpdateHandler<HandlerError> {
    let (l0, l1, l2, l3) = (limiter.clone(), limiter.clone(), limiter.clone(), limiter);
    let albums: Arc<Albums<AlbumPart>> = Arc::new(Albums::new(QUIET));
    dptree::entry()
        .branch(
            Update::filter_message()
                .filter(|msg: Message| !msg.chat.is_private())
                .endpoint(move |bot: Bot, msg: Message, me: Me| {
                    let limiter = l0.clone();
                    async move { on_group_message(bot, msg, me, &limiter).await }
                }),
        )
        .branch(Update::filter_message().endpoint(
            move |bot: Bot, msg: Message, c: Arc<Control>| {
                let limiter = l1.clone();
                let albums = albums.clone();
                async move { on_message(bot, msg, c, limiter, albums).await }
            },
        ))
        .branch(Update::filter_callback_query().endpoint(
            move |bot: Bot, query: CallbackQuery, c: Arc<Control>| {
                let limiter = l2.clone();
                async move { on_callback(bot, query, c, &limiter).await }
            },
        ))
        .branch(Update::filter_pre_checkout_query().endpoint(
            move |bot: Bot, query: teloxide::types::PreCheckoutQuery, c: Arc<Control>| {
                let limiter = l3.clone();
                async move { on_pre_checkout(bot, query, c, &limiter).await }
            },
        ))
}

/// A message in a group (or channel) the bot was added to. The conversation lives in private
/// chats only, so nothing of it (screens, plans, admin answers) is shown here and nothing is
/// stored: a command addressed to this bot is answered with where to find it, in the sender's
/// app language; anything else (text, members joining, commands for other bots) is ignored.
async fn on_group_message(
    bot: Bot,
    msg: Message,
    me: Me,
    limiter: &Limiter,
) -> Result<(), HandlerError> {
    let Some(command) = msg.text().and_then(|t| t.strip_prefix('/')) else {
        return Ok(());
    };
    let head = command.split_whitespace().next().unwrap_or_default();
    if let Some((_, to)) = head.split_once('@') {
        if !to.eq_ignore_ascii_case(me.username()) {
            return Ok(());
        }
    }
    let lang = Lang::pick(
        None,
        msg.from.as_ref().and_then(|u| u.language_code.as_deref()),
    );
    let text = t_args(
        lang,
        "group-chat-private-only",
        &Args::new().text("bot", me.username()),
    );
    let request = bot
        .send_message(msg.chat.id, text)
        .parse_mode(ParseMode::Html)
        .reply_parameters(
            teloxide::types::ReplyParameters::new(msg.id).allow_sending_without_reply(),
        );
    limiter
        .send(msg.chat.id.0, Class::Reply, || request.send_ref())
        .await?;
    Ok(())
}

/// An album item as collected: its file, or the kind the accounts don't post.
type AlbumPart = Result<IncomingPart, Unsupported>;

/// A message in a private chat (the branch before takes every other chat): text (its
/// formatting rendered to HTML; commands are text the conversation recognises), media (an
/// album's items collected first), another kind of message, or a successful payment.
async fn on_message(
    bot: Bot,
    msg: Message,
    control: Arc<Control>,
    limiter: Arc<Limiter>,
    albums: Arc<Albums<AlbumPart>>,
) -> Result<(), HandlerError> {
    let Some(user) = msg.from.as_ref() else {
        return Ok(());
    };
    let sender = Sender {
        user_id: user.id.0 as i64,
        language_code: user.language_code.clone(),
    };
    let input = if let Some(paid) = msg.successful_payment() {
        Input::Payment(super::payment::Paid {
            charge_id: paid.telegram_payment_charge_id.0.clone(),
            provider_charge_id: paid.provider_payment_charge_id.clone(),
            payload: paid.invoice_payload.clone(),
            currency: paid.currency.clone(),
            total_amount: paid.total_amount,
        })
    } else if let Some(forwarded) = forwarded_from_channel(&msg) {
        Input::Forwarded(forwarded)
    } else {
        match msg.text() {
            Some(text) => Input::Text {
                reply_to: msg.reply_to_message().map(|m| m.id.0),
                plain: text.to_string(),
                html: input::entities_to_html(text, &entities(msg.entities().unwrap_or(&[]))),
                message_id: msg.id.0,
            },
            None => {
                let part = part_of(&msg);
                if let Some(group) = msg.media_group_id() {
                    // The album is answered once, when its last item came.
                    let group = group.0.clone();
                    if albums.add(sender.user_id, &group, msg.id.0, part) {
                        let chat = msg.chat.id;
                        // The customer's turn is taken now, before this chat's next message
                        // is handled: a message sent after the album is answered after it.
                        let turn = albums.turn(sender.user_id).await;
                        tokio::spawn(async move {
                            let _turn = turn;
                            let collected = albums.complete(sender.user_id).await;
                            // Albums sent back to back: each is answered, in the order sent.
                            for parts in collected {
                                let input = album_input(parts);
                                let actions = control.handle(&sender, input).await;
                                let done = perform(&bot, &limiter, chat, None, actions).await;
                                if let Err(e) = done {
                                    tracing::warn!(error = %e, "an album's answer failed");
                                }
                            }
                        });
                    }
                    return Ok(());
                }
                match part {
                    Ok(part) => Input::Files(vec![part]),
                    Err(Unsupported::Other) => Input::Media {
                        message_id: msg.id.0,
                    },
                    Err(kind) => Input::Unsupported(kind),
                }
            }
        }
    };
    // After any album of the customer's still being collected or answered: in the order sent.
    let _turn = albums.turn(sender.user_id).await;
    let actions = control.handle(&sender, input).await;
    perform(&bot, &limiter, msg.chat.id, None, actions).await
}

/// An album's items as one input: its files in order, or the kind of the first item the
/// accounts don't post.
fn album_input(parts: Vec<AlbumPart>) -> Input {
    let mut files = Vec::with_capacity(parts.len());
    for part in parts {
        match part {
            Ok(file) => files.push(file),
            Err(kind) => return Input::Unsupported(kind),
        }
    }
    Input::Files(files)
}

/// The file a message carries, with its caption; or the kind of message it is when the
/// accounts can't post it.
fn part_of(msg: &Message) -> AlbumPart {
    use teloxide::types::{MediaKind as M, MessageKind};
    let common = match &msg.kind {
        MessageKind::Common(common) => common,
        MessageKind::Dice(_) => return Err(Unsupported::Dice),
        MessageKind::Invoice(_) => return Err(Unsupported::Invoice),
        _ => return Err(Unsupported::Other),
    };
    let (kind, meta, name, mime) = match &common.media_kind {
        M::Photo(p) => {
            let largest = (p.photo.iter())
                .max_by_key(|s| (u64::from(s.width) * u64::from(s.height), s.file.size));
            let Some(largest) = largest else {
                return Err(Unsupported::Other);
            };
            (MediaKind::Photo, &largest.file, None, None)
        }
        M::Video(v) => (
            MediaKind::Video,
            &v.video.file,
            v.video.file_name.clone(),
            mime(&v.video.mime_type),
        ),
        M::Animation(a) => (
            MediaKind::Animation,
            &a.animation.file,
            a.animation.file_name.clone(),
            mime(&a.animation.mime_type),
        ),
        M::Document(d) => (
            MediaKind::Document,
            &d.document.file,
            d.document.file_name.clone(),
            mime(&d.document.mime_type),
        ),
        M::Sticker(_) => return Err(Unsupported::Sticker),
        M::Poll(_) => return Err(Unsupported::Poll),
        M::Voice(_) => return Err(Unsupported::Voice),
        M::VideoNote(_) => return Err(Unsupported::VideoNote),
        M::Audio(_) => return Err(Unsupported::Audio),
        M::Location(_) => return Err(Unsupported::Location),
        M::Venue(_) => return Err(Unsupported::Venue),
        M::Contact(_) => return Err(Unsupported::Contact),
        M::Game(_) => return Err(Unsupported::Game),
        M::PaidMedia(_) => return Err(Unsupported::PaidMedia),
        M::Story(_) => return Err(Unsupported::Story),
        M::Checklist(_) => return Err(Unsupported::Checklist),
        M::Text(_) | M::Migration(_) => return Err(Unsupported::Other),
    };
    let caption = msg.caption().unwrap_or_default();
    let caption_html =
        input::entities_to_html(caption, &entities(msg.caption_entities().unwrap_or(&[])));
    Ok(IncomingPart {
        message_id: msg.id.0,
        file: IncomingFile {
            kind,
            file_id: meta.id.0.clone(),
            // teloxide reads a missing size as u32::MAX: unknown, checked after getFile.
            size: if meta.size == u32::MAX {
                0
            } else {
                u64::from(meta.size)
            },
            name,
            mime,
        },
        caption_html,
    })
}

/// A MIME type as text.
fn mime<T: ToString>(m: &Option<T>) -> Option<String> {
    m.as_ref().map(T::to_string)
}

/// The customers' files through the Bot API: getFile, then the file's path. A bot may
/// download at most 20 MB ([`input::DOWNLOAD_MAX`]); larger files are refused before.
pub struct BotFiles(pub Bot);

impl Files for BotFiles {
    fn download<'a>(
        &'a self,
        file_id: &'a str,
        size: u64,
    ) -> BoxFuture<'a, Result<Vec<u8>, DownloadError>> {
        Box::pin(async move {
            use teloxide::net::Download;
            if size > input::DOWNLOAD_MAX {
                return Err(DownloadError::TooBig);
            }
            let id = teloxide::types::FileId(file_id.to_string());
            let file = match self.0.get_file(id).await {
                Ok(file) => file,
                Err(RequestError::Api(teloxide::ApiError::Unknown(text)))
                    if text.contains("too big") =>
                {
                    return Err(DownloadError::TooBig)
                }
                Err(e) => {
                    // Never a network error's text: it may quote the URL, which holds the token.
                    let what = match e {
                        RequestError::Api(e) => e.to_string(),
                        _ => "network".to_string(),
                    };
                    tracing::warn!(error = %what, "getFile failed");
                    return Err(DownloadError::Failed);
                }
            };
            if file.meta.size != u32::MAX && u64::from(file.meta.size) > input::DOWNLOAD_MAX {
                return Err(DownloadError::TooBig);
            }
            let mut bytes = Vec::new();
            if self.0.download_file(&file.path, &mut bytes).await.is_err() {
                tracing::warn!("a file download failed");
                return Err(DownloadError::Failed);
            }
            if bytes.len() as u64 > input::DOWNLOAD_MAX {
                return Err(DownloadError::TooBig);
            }
            Ok(bytes)
        })
    }
}

/// The name a file is sent under: its own, else one by its kind.
fn file_name(file: &PreviewFile) -> String {
    if let Some(name) = file.name.as_ref().filter(|n| !n.trim().is_empty()) {
        return name.clone();
    }
    match file.kind {
        MediaKind::Photo => "photo.jpg",
        MediaKind::Video => "video.mp4",
        MediaKind::Animation => "animation.mp4",
        MediaKind::Document => "file",
    }
    .to_string()
}

fn input_file(file: &PreviewFile) -> teloxide::types::InputFile {
    teloxide::types::InputFile::memory(file.bytes.as_ref().clone()).file_name(file_name(file))
}

/// Sends a media post to `chat` as the groups will see it, through the limiter.
async fn send_preview(
    bot: &Bot,
    limiter: &Limiter,
    chat: ChatId,
    preview: &Preview,
) -> Result<(), RequestError> {
    let caption = (!preview.caption.trim().is_empty()).then(|| preview.caption.clone());
    // A bot may caption media with at most 1024 characters (Premium does not count for bots):
    // a longer caption (which Premium accounts post) is shown under the media as a text.
    let long = caption
        .as_ref()
        .filter(|c| {
            crate::schedule::content::visible_len(c) > crate::schedule::content::CAPTION_MAX
        })
        .cloned();
    let caption = if long.is_some() { None } else { caption };
    send_files(bot, limiter, chat, &preview.files, caption).await?;
    match long {
        Some(text) => send_html(bot, limiter, chat.0, text).await,
        None => Ok(()),
    }
}

/// Sends `files` as one media message or an album, `caption` on the first.
async fn send_files(
    bot: &Bot,
    limiter: &Limiter,
    chat: ChatId,
    files: &[PreviewFile],
    caption: Option<String>,
) -> Result<(), RequestError> {
    use teloxide::types::{
        InputMedia, InputMediaAnimation, InputMediaDocument, InputMediaPhoto, InputMediaVideo,
    };
    match files {
        [] => Ok(()),
        [one] => {
            let file = input_file(one);
            macro_rules! send_one {
                ($method:ident) => {{
                    let mut request = bot.$method(chat, file).parse_mode(ParseMode::Html);
                    if let Some(caption) = caption {
                        request = request.caption(caption);
                    }
                    limiter
                        .send(chat.0, Class::Reply, || request.send_ref())
                        .await
                        .map(|_| ())
                }};
            }
            match one.kind {
                MediaKind::Photo => send_one!(send_photo),
                MediaKind::Video => send_one!(send_video),
                MediaKind::Animation => send_one!(send_animation),
                MediaKind::Document => send_one!(send_document),
            }
        }
        many => {
            let media: Vec<InputMedia> = (many.iter().enumerate())
                .map(|(i, f)| {
                    let file = input_file(f);
                    let caption = caption.clone().filter(|_| i == 0);
                    macro_rules! item {
                        ($variant:ident, $ty:ident) => {{
                            let mut m = $ty::new(file).parse_mode(ParseMode::Html);
                            if let Some(caption) = caption {
                                m = m.caption(caption);
                            }
                            InputMedia::$variant(m)
                        }};
                    }
                    match f.kind {
                        MediaKind::Photo => item!(Photo, InputMediaPhoto),
                        MediaKind::Video => item!(Video, InputMediaVideo),
                        MediaKind::Animation => item!(Animation, InputMediaAnimation),
                        MediaKind::Document => item!(Document, InputMediaDocument),
                    }
                })
                .collect();
            let request = bot.send_media_group(chat, media);
            limiter
                .send(chat.0, Class::Reply, || request.send_ref())
                .await
                .map(|_| ())
        }
    }
}

/// A message the customer forwarded from a channel: the channel as the accounts reach it
/// (`@username`, else its id) and the message's id there. Forwards from groups and users
/// carry no message id: they are taken as the customer's own message.
fn forwarded_from_channel(msg: &Message) -> Option<super::forward::Forwarded> {
    let teloxide::types::MessageOrigin::Channel {
        chat, message_id, ..
    } = msg.forward_origin()?
    else {
        return None;
    };
    let reference = match chat.username() {
        Some(username) => format!("@{}", username.to_lowercase()),
        None => chat.id.0.to_string(),
    };
    Some(super::forward::Forwarded {
        message_id: msg.id.0,
        chat: reference,
        title: chat.title().unwrap_or_default().to_string(),
        source_message_id: message_id.0,
        media_group_id: msg.media_group_id().map(|g| g.0.clone()),
    })
}

/// Telegram asks whether a payment may go ahead: answered at once (it allows 10 s).
async fn on_pre_checkout(
    bot: Bot,
    query: teloxide::types::PreCheckoutQuery,
    control: Arc<Control>,
    limiter: &Limiter,
) -> Result<(), HandlerError> {
    let sender = Sender {
        user_id: query.from.id.0 as i64,
        language_code: query.from.language_code.clone(),
    };
    let input = Input::PreCheckout {
        query_id: query.id.0.clone(),
        payload: query.invoice_payload.clone(),
        currency: query.currency.clone(),
        total_amount: query.total_amount,
    };
    let actions = control.handle(&sender, input).await;
    perform(&bot, limiter, ChatId(query.from.id.0 as i64), None, actions).await
}

/// The formatting entities our HTML keeps (teloxide's own renderer leaves plain text and link
/// addresses unescaped, which Telegram then refuses to parse).
fn entities(from: &[MessageEntity]) -> Vec<Entity> {
    from.iter()
        .filter_map(|e| {
            let kind = match &e.kind {
                MessageEntityKind::Bold => EntityKind::Bold,
                MessageEntityKind::Italic => EntityKind::Italic,
                MessageEntityKind::Underline => EntityKind::Underline,
                MessageEntityKind::Strikethrough => EntityKind::Strikethrough,
                MessageEntityKind::Spoiler => EntityKind::Spoiler,
                MessageEntityKind::Code => EntityKind::Code,
                MessageEntityKind::Pre { language } => EntityKind::Pre {
                    language: language.clone(),
                },
                MessageEntityKind::TextLink { url } => EntityKind::TextLink {
                    url: url.to_string(),
                },
                MessageEntityKind::TextMention { user } => {
                    EntityKind::TextMention { user_id: user.id.0 }
                }
                MessageEntityKind::CustomEmoji { custom_emoji_id } => EntityKind::CustomEmoji {
                    id: custom_emoji_id.to_string(),
                },
                MessageEntityKind::Blockquote => EntityKind::Blockquote,
                MessageEntityKind::ExpandableBlockquote => EntityKind::ExpandableBlockquote,
                // Telegram finds mentions, hashtags, URLs, … in plain text by itself.
                _ => return None,
            };
            Some(Entity {
                offset: e.offset,
                length: e.length,
                kind,
            })
        })
        .collect()
}

/// A button press. Every press is answered, so the button stops spinning.
async fn on_callback(
    bot: Bot,
    query: CallbackQuery,
    control: Arc<Control>,
    limiter: &Limiter,
) -> Result<(), HandlerError> {
    let sender = Sender {
        user_id: query.from.id.0 as i64,
        language_code: query.from.language_code.clone(),
    };
    let chat = query
        .message
        .as_ref()
        .map(|m| m.chat().id)
        .unwrap_or(ChatId(query.from.id.0 as i64));
    let input = Input::Callback {
        data: query.data.clone().unwrap_or_default(),
        message_id: query.message.as_ref().map(|m| m.id().0),
    };
    let actions = control.handle(&sender, input).await;
    perform(&bot, limiter, chat, Some(&query), actions).await
}

fn keyboard(screen: &Screenful) -> Option<InlineKeyboardMarkup> {
    if screen.keyboard.is_empty() {
        return None;
    }
    Some(InlineKeyboardMarkup::new(screen.keyboard.iter().map(
        |row| {
            row.iter()
                .map(|b| InlineKeyboardButton::callback(b.text.clone(), b.data.clone()))
                .collect::<Vec<_>>()
        },
    )))
}

/// Sends `screen` to `chat` through the limiter.
pub async fn send_screen(
    bot: &Bot,
    limiter: &Limiter,
    chat: ChatId,
    screen: &Screenful,
) -> Result<(), RequestError> {
    let mut request = bot
        .send_message(chat, screen.text.clone())
        .parse_mode(ParseMode::Html);
    if let Some(markup) = keyboard(screen) {
        request = request.reply_markup(markup);
    }
    limiter
        .send(chat.0, Class::Reply, || request.send_ref())
        .await
        .map(|_| ())
}

/// Sends `text` (HTML) to `user_id`'s chat through the limiter.
pub async fn send_html(
    bot: &Bot,
    limiter: &Limiter,
    user_id: i64,
    text: String,
) -> Result<(), RequestError> {
    let request = bot
        .send_message(ChatId(user_id), text)
        .parse_mode(ParseMode::Html);
    limiter
        .send(user_id, Class::Reply, || request.send_ref())
        .await
        .map(|_| ())
}

/// Carries out the actions in order, after the answers that are not messages (a button
/// press's answer, a pre-checkout's), which must not wait behind the chat's messages. A
/// button press always gets exactly one answer. An action that fails does not stop the ones
/// after it.
async fn perform(
    bot: &Bot,
    limiter: &Limiter,
    chat: ChatId,
    query: Option<&CallbackQuery>,
    mut actions: Vec<Action>,
) -> Result<(), HandlerError> {
    // A stable sort: the answers first, everything else in its order.
    actions.sort_by_key(|a| !matches!(a, Action::Answer { .. } | Action::AnswerPreCheckout { .. }));
    if let (Some(query), false) = (
        query,
        actions.iter().any(|a| matches!(a, Action::Answer { .. })),
    ) {
        bot.answer_callback_query(query.id.clone()).await?;
    }
    let mut answered = false;
    // Each action is carried out even when one before it failed (a customer who blocked the
    // bot must not keep the admins from being told); the first failure is returned.
    let mut first_failure: Option<RequestError> = None;
    for action in actions {
        let done: Result<(), RequestError> = async {
            match action {
                Action::Send(screen) => send_screen(bot, limiter, chat, &screen).await?,
                Action::SendMedia(preview) => send_preview(bot, limiter, chat, &preview).await?,
                Action::Edit { message_id, screen } => {
                    let mut request = bot
                        .edit_message_text(chat, MessageId(message_id), screen.text.clone())
                        .parse_mode(ParseMode::Html);
                    if let Some(markup) = keyboard(&screen) {
                        request = request.reply_markup(markup);
                    }
                    match limiter
                        .send(chat.0, Class::Reply, || request.send_ref())
                        .await
                    {
                        Ok(_) => {}
                        // Pressing a button that leads to the same screen.
                        Err(RequestError::Api(teloxide::ApiError::MessageNotModified)) => {}
                        // The menu message is too old to edit, or gone: show it anew.
                        Err(RequestError::Api(_)) => {
                            send_screen(bot, limiter, chat, &screen).await?
                        }
                        Err(e) => return Err(e),
                    }
                }
                Action::Answer { text, alert } => {
                    let Some(query) = query else { return Ok(()) };
                    if answered {
                        return Ok(());
                    }
                    answered = true;
                    let mut request = bot.answer_callback_query(query.id.clone());
                    if let Some(text) = text {
                        request = request.text(text).show_alert(alert);
                    }
                    request.await?;
                }
                Action::Notify { user_id, text } => {
                    if let Err(e) = send_html(bot, limiter, user_id, text).await {
                        tracing::warn!(user_id, error = %e, "could not notify a user");
                    }
                }
                Action::Invoice(invoice) => {
                    let request = bot.send_invoice(
                        chat,
                        invoice.title,
                        invoice.description,
                        invoice.payload,
                        super::payment::STARS,
                        [teloxide::types::LabeledPrice::new(
                            invoice.label,
                            invoice.stars,
                        )],
                    );
                    limiter
                        .send(chat.0, Class::Reply, || request.send_ref())
                        .await?;
                }
                Action::AnswerPreCheckout { query_id, error } => {
                    let id = teloxide::types::PreCheckoutQueryId(query_id);
                    let mut request = bot.answer_pre_checkout_query(id, error.is_none());
                    if let Some(error) = error {
                        request = request.error_message(error);
                    }
                    request.await?;
                }
                Action::PassOn { message_ids, copy } => {
                    let ids = message_ids.into_iter().map(MessageId);
                    if copy {
                        let request = bot.copy_messages(chat, chat, ids);
                        limiter
                            .send(chat.0, Class::Reply, || request.send_ref())
                            .await?;
                    } else {
                        let request = bot.forward_messages(chat, chat, ids);
                        limiter
                            .send(chat.0, Class::Reply, || request.send_ref())
                            .await?;
                    }
                }
                Action::Delete { message_id } => {
                    // Best effort: a message older than 48 h cannot be deleted by a bot.
                    if let Err(e) = bot.delete_message(chat, MessageId(message_id)).await {
                        tracing::warn!(error = %e, "could not delete a message");
                    }
                }
            }
            Ok(())
        }
        .await;
        if let Err(e) = done {
            first_failure.get_or_insert(e);
        }
    }
    match first_failure {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// The command list in the menu of Telegram's apps, in every language the bot speaks
/// (English also as the default for everyone else).
pub fn commands(lang: Lang) -> Vec<BotCommand> {
    [
        "start", "stop", "status", "menu", "help", "language", "cancel",
    ]
    .into_iter()
    .map(|name| BotCommand::new(name, t(lang, &format!("cmd-{name}"))))
    .collect()
}

/// The admins' command list: everyone's, then the admin commands.
pub fn admin_commands(lang: Lang) -> Vec<BotCommand> {
    let mut list = commands(lang);
    list.extend(
        super::admin::ADMIN_COMMANDS
            .iter()
            .chain(super::admin::BROADCAST_COMMANDS.iter())
            .map(|name| BotCommand::new(*name, t(lang, &format!("cmd-{name}")))),
    );
    list
}

/// Registers [`commands`] with Telegram, and for each admin's own chat [`admin_commands`]
/// (so nobody else sees that they exist).
pub async fn register_commands(bot: &Bot, admins: &[i64]) -> Result<(), RequestError> {
    bot.set_my_commands(commands(Lang::En)).await?;
    for lang in Lang::ALL {
        bot.set_my_commands(commands(lang))
            .language_code(lang.code())
            .await?;
    }
    for admin in admins {
        let scope = teloxide::types::BotCommandScope::Chat {
            chat_id: teloxide::types::Recipient::Id(ChatId(*admin)),
        };
        bot.set_my_commands(admin_commands(Lang::En))
            .scope(scope)
            .await?;
    }
    Ok(())
}

/// The dispatcher that runs the conversation: [`handler_tree_with`] over `limiter`, with
/// unhandled updates and handler errors logged by id only (teloxide's own handlers would log
/// whole updates; see [`super::update_log`]).
pub fn dispatcher(bot: Bot, control: Arc<Control>, limiter: Arc<Limiter>) -> BotDispatcher {
    Dispatcher::builder(bot, handler_tree_with(limiter))
        .dependencies(dptree::deps![control])
        .default_handler(super::update_log::unhandled)
        .error_handler(Arc::new(super::update_log::LogErrors("a handler failed")))
        .build()
}

/// The dispatcher [`dispatcher`] builds.
pub type BotDispatcher = Dispatcher<Bot, HandlerError, teloxide::dispatching::DefaultKey>;

/// Long-polls `getUpdates` into `dispatcher` (updates that do not parse logged by id only)
/// until its shutdown token is used.
pub async fn poll(dispatcher: &mut BotDispatcher, updates: Updates) {
    dispatcher
        .dispatch_with_listener(
            updates,
            Arc::new(super::update_log::LogErrors("could not get updates")),
        )
        .await;
}

/// The bot's updates: long polling, unparsable updates logged and skipped.
pub type Updates = super::update_log::Parsed<teloxide::update_listeners::Polling<Bot>>;

/// The updates to [`poll`], and a token that ends them. The shutdown stops them with it as
/// well as through the dispatcher's own shutdown token: teloxide 0.17's dispatcher misses a
/// shutdown that lands while it is handing an update to a chat's worker (it waits for a
/// change that already happened), and would then poll for updates forever.
pub async fn updates(bot: Bot) -> (Updates, teloxide::stop::StopToken) {
    use teloxide::update_listeners::UpdateListener;
    let mut updates =
        super::update_log::Parsed(teloxide::update_listeners::polling_default(bot).await);
    let stop = updates.stop_token();
    (updates, stop)
}

/// The broadcast's Bot API side: copyMessage or sendMessage to each recipient, the progress
/// message sent and edited in the admin's chat; all through the bot's one [`Limiter`] (the
/// recipients as [`Class::Bulk`], so that customers' replies go first).
pub struct BotSink {
    bot: Bot,
    limiter: Arc<Limiter>,
}

impl BotSink {
    pub fn new(bot: Bot, limiter: Arc<Limiter>) -> BotSink {
        BotSink { bot, limiter }
    }
}

/// What a Bot API answer means for a broadcast recipient.
pub fn delivery_of(result: Result<(), RequestError>) -> Delivery {
    use teloxide::ApiError;
    match result {
        Ok(()) => Delivery::Delivered,
        Err(RequestError::RetryAfter(secs)) => Delivery::RetryAfter(secs.duration()),
        Err(RequestError::Api(
            e @ (ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::CantInitiateConversation
            | ApiError::CantTalkWithBots
            | ApiError::ChatNotFound
            | ApiError::UserNotFound),
        )) => Delivery::Blocked(e.to_string()),
        Err(RequestError::Api(ApiError::Unknown(text))) if text.starts_with("Forbidden") => {
            Delivery::Blocked(text)
        }
        Err(RequestError::Api(e)) => Delivery::Failed(e.to_string()),
        // Never the error's text: a network error may quote the URL, which holds the token.
        Err(RequestError::Network(_) | RequestError::Io(_)) => Delivery::Failed("network".into()),
        Err(_) => Delivery::Failed("bot api".into()),
    }
}

impl BroadcastSink for BotSink {
    fn deliver<'a>(&'a self, chat_id: i64, source: &'a BroadcastSource) -> BoxFuture<'a, Delivery> {
        Box::pin(async move {
            // One try: on a 429 the limiter freezes every send, and the broadcaster puts the
            // recipient back at the head of its queue.
            self.limiter.acquire(chat_id, Class::Bulk).await;
            let result = match source {
                BroadcastSource::Copy {
                    chat_id: from,
                    message_id,
                } => self
                    .bot
                    .copy_message(ChatId(chat_id), ChatId(*from), MessageId(*message_id))
                    .await
                    .map(|_| ()),
                BroadcastSource::Html(html) => self
                    .bot
                    .send_message(ChatId(chat_id), html.clone())
                    .parse_mode(ParseMode::Html)
                    .await
                    .map(|_| ()),
            };
            if let Err(RequestError::RetryAfter(wait)) = &result {
                self.limiter.freeze(wait.duration());
            }
            delivery_of(result)
        })
    }

    fn progress<'a>(
        &'a self,
        admin_id: i64,
        message_id: Option<i32>,
        text: String,
    ) -> BoxFuture<'a, Option<i32>> {
        Box::pin(async move {
            let chat = ChatId(admin_id);
            let limiter = &self.limiter;
            let result = match message_id {
                None => {
                    let request = self
                        .bot
                        .send_message(chat, text)
                        .parse_mode(ParseMode::Html);
                    limiter
                        .send(admin_id, Class::Reply, || request.send_ref())
                        .await
                }
                Some(id) => {
                    let request = self
                        .bot
                        .edit_message_text(chat, MessageId(id), text)
                        .parse_mode(ParseMode::Html);
                    limiter
                        .send(admin_id, Class::Reply, || request.send_ref())
                        .await
                }
            };
            match result {
                Ok(message) => Some(message.id.0),
                Err(RequestError::Api(teloxide::ApiError::MessageNotModified)) => message_id,
                Err(_) => {
                    tracing::warn!("could not show the broadcast's progress");
                    message_id
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::types::Seconds;
    use teloxide::ApiError;

    #[test]
    fn bot_api_answers_map_to_what_the_broadcast_does() {
        assert_eq!(delivery_of(Ok(())), Delivery::Delivered);
        assert_eq!(
            delivery_of(Err(RequestError::RetryAfter(Seconds::from_seconds(7)))),
            Delivery::RetryAfter(std::time::Duration::from_secs(7))
        );
        for blocked in [
            ApiError::BotBlocked,
            ApiError::UserDeactivated,
            ApiError::ChatNotFound,
        ] {
            assert!(matches!(
                delivery_of(Err(RequestError::Api(blocked))),
                Delivery::Blocked(_)
            ));
        }
        assert!(matches!(
            delivery_of(Err(RequestError::Api(ApiError::Unknown(
                "Forbidden: something new".into()
            )))),
            Delivery::Blocked(_)
        ));
        assert!(matches!(
            delivery_of(Err(RequestError::Api(ApiError::MessageIsTooLong))),
            Delivery::Failed(_)
        ));
    }
}
