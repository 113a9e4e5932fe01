//! The control bot's conversation, independent of teloxide: [`Control::handle`] takes what a
//! customer did ([`Input`]: a command, a typed message, a button press) and returns what the
//! bot does ([`Action`]: send, edit in place, answer the button, delete a message). It calls
//! the pure schedule core for every check, the store for every change and the engine for
//! start, stop and status. [`dispatch`] is the thin teloxide layer that turns updates into
//! inputs and actions into Bot API calls.
//!
//! Here: commands, and routing. Each screen of the menu is one module registered in the table
//! of [`screen`] (its rendering, its buttons, the answers to its questions); a button press or a
//! typed answer goes to the screen it belongs to. Logging an account in is [`login`].
//!
//! Rules every step keeps: each text comes from the locale files; bad input changes nothing
//! and says why; a button names things by id and the store only touches rows of the customer
//! who pressed it, so forged or stale data gets "this menu is out of date"; what the next
//! typed message answers is kept in the store (one question at a time, a login included).

pub mod admin;
pub mod album;
pub mod broadcast;
pub mod callback;
pub mod dispatch;
pub mod forward;
pub mod html;
pub mod input;
pub mod login;
pub mod outbox;
pub mod payment;
pub mod reminder;
pub mod screen;
pub mod update_log;
pub mod view;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::{Engine, EngineError, Observer, Restricted};
use crate::i18n::{t, t_args, Args, Lang};
use crate::schedule::{
    self, CycleLength, DelayBetweenCycles, DelayBetweenPosts, Mode, NotReady, Settings,
};
use crate::store::{CustomerRow, Restriction, Store, StoreError};
use crate::telegram::groups::Groups;
use crate::telegram::login::Login;
use crate::telegram::source::{NoSources, Sources};
use callback::Cb;
use screen::{Press, Screen, Typed};

/// Who did something.
#[derive(Clone, Debug)]
pub struct Sender {
    /// The Telegram user id, which is also the customer id and (in a private chat) the chat.
    pub user_id: i64,
    /// The language of the user's Telegram app.
    pub language_code: Option<String>,
}

/// What the customer did.
#[derive(Clone, Debug)]
pub enum Input {
    /// A text message: as Telegram shows it, and with its formatting rendered to HTML. A text
    /// that starts with `/` is a command (`/name@bot args`), except that an unknown one is
    /// taken as the post while the bot waits for the post.
    Text {
        plain: String,
        html: String,
        message_id: i32,
        /// The message this one replies to (`/broadcast` as a reply copies that message).
        reply_to: Option<i32>,
    },
    /// A message without text that is nothing the bot recognises.
    Media { message_id: i32 },
    /// A photo, video, animation or document with its caption, or an album's items in order
    /// (collected from their messages by [`album::Albums`]).
    Files(Vec<input::IncomingPart>),
    /// A kind of message the accounts don't post (a sticker, a poll, …; also an album with
    /// such an item).
    Unsupported(input::Unsupported),
    /// A message the customer forwarded from a channel (its text or media aside).
    Forwarded(forward::Forwarded),
    /// A button press on the message `message_id` (absent when Telegram no longer has it).
    Callback {
        data: String,
        message_id: Option<i32>,
    },
    /// Telegram asks whether a payment may go ahead (answered with
    /// [`Action::AnswerPreCheckout`]).
    PreCheckout {
        query_id: String,
        payload: String,
        currency: String,
        total_amount: u32,
    },
    /// A payment went through.
    Payment(payment::Paid),
}

/// An inline button.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Button {
    pub text: String,
    pub data: String,
}

impl Button {
    fn new(text: impl Into<String>, cb: Cb) -> Button {
        Button {
            text: text.into(),
            data: cb.encode(),
        }
    }
}

/// A message the bot shows: Telegram HTML and an inline keyboard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Screenful {
    pub text: String,
    pub keyboard: Vec<Vec<Button>>,
}

/// One file of a media post the bot shows the customer.
#[derive(Clone, PartialEq, Eq)]
pub struct PreviewFile {
    pub kind: crate::schedule::content::MediaKind,
    pub bytes: Arc<Vec<u8>>,
    pub name: Option<String>,
    pub mime: Option<String>,
}

impl std::fmt::Debug for PreviewFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreviewFile")
            .field("kind", &self.kind)
            .field("size", &self.bytes.len())
            .field("name", &self.name)
            .field("mime", &self.mime)
            .finish()
    }
}

/// A media post as the groups will see it: one file or an album (in order), the caption
/// (HTML) on the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preview {
    pub files: Vec<PreviewFile>,
    pub caption: String,
}

/// Why the bot could not get a customer's file from Telegram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DownloadError {
    /// Over what a bot may download ([`input::DOWNLOAD_MAX`]).
    #[error("the file is too big for a bot to download")]
    TooBig,
    /// getFile refused or the download failed (the cause stays out of errors: a download
    /// URL holds the bot's token).
    #[error("the file could not be downloaded")]
    Failed,
}

/// Where the bot gets the files customers send (the Bot API's getFile and file download).
pub trait Files: Send + Sync + 'static {
    /// The file's bytes; `size` is what Telegram stated of it.
    fn download<'a>(
        &'a self,
        file_id: &'a str,
        size: u64,
    ) -> crate::telegram::BoxFuture<'a, Result<Vec<u8>, DownloadError>>;
}

/// What the bot does in answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// A new message in the customer's chat.
    Send(Screenful),
    /// A media post sent to the customer's chat as the groups will see it (sendPhoto,
    /// sendVideo, sendAnimation, sendDocument, sendMediaGroup).
    SendMedia(Preview),
    /// The menu message edited in place.
    Edit { message_id: i32, screen: Screenful },
    /// The answer to a button press: a toast, or an alert the customer must dismiss.
    Answer { text: Option<String>, alert: bool },
    /// Removes one of the customer's messages (a password, a pasted session).
    Delete { message_id: i32 },
    /// A message to another user (a customer an admin granted a plan to). Best effort: a
    /// user who blocked the bot is not reached, and that is not an error.
    Notify { user_id: i64, text: String },
    /// An invoice in the customer's chat (Telegram Stars).
    Invoice(payment::Invoice),
    /// The answer to a pre-checkout query: `None` lets the payment go ahead.
    AnswerPreCheckout {
        query_id: String,
        error: Option<String>,
    },
    /// Some of the customer's messages shown again in their chat, together (an album stays
    /// one): forwarded (keeping their "Forwarded from") or copied (without it) — how a post
    /// passed on from a channel looks.
    PassOn { message_ids: Vec<i32>, copy: bool },
}

/// What the customer's next typed message answers; kept in the store as JSON. A value stored
/// by an earlier version must still load (a customer mid-question during an upgrade): add
/// variants, never rename one or its fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Awaiting {
    Message,
    Timing {
        field: String,
    },
    Group,
    Phone,
    Code {
        phone: String,
        digits: String,
    },
    /// Two-step verification: the next typed message is the password (deleted at once).
    Password {
        phone: String,
        hint: Option<String>,
    },
    /// The next typed message is a session string to import (deleted at once).
    SessionString,
    /// A message forwarded from a channel waits for "forward or copy" (the post is still
    /// asked: another message replaces it).
    Forward {
        chat: String,
        title: String,
        message_ids: Vec<i32>,
        /// The customer's own forwarded messages in the bot chat.
        preview: Vec<i32>,
        /// The album the messages are part of, while its next messages may still come.
        #[serde(default)]
        album: Option<String>,
        /// The link the customer typed, when the message came as a link (it may be posted as
        /// the text instead).
        #[serde(default)]
        link: Option<String>,
    },
}

impl Awaiting {
    /// The phone of a login in progress.
    fn login_phone(&self) -> Option<&str> {
        match self {
            Awaiting::Code { phone, .. } | Awaiting::Password { phone, .. } => Some(phone),
            _ => None,
        }
    }
}

impl Awaiting {
    fn load(json: Option<&str>) -> Option<Awaiting> {
        // A value written by another version reads as "nothing asked", never as a lost update.
        json.and_then(|j| serde_json::from_str(j).ok())
    }
}

/// Why the engine stopped a customer by itself, as the bot tells them.
#[derive(Clone, Debug, PartialEq)]
pub enum StopReason {
    /// A check before a cycle failed (the plan expired, the last account went away, …).
    NotReady(NotReady),
    /// Anything else (a database failure); the details stay in the log.
    Other,
}

/// Something the engine did on its own that the customer is told about.
#[derive(Clone, Debug, PartialEq)]
pub enum BotEvent {
    /// The engine stopped the customer's posting.
    Stopped(StopReason),
    /// A group refused an account, or Telegram stopped an account. (Waits are not messages:
    /// the Accounts, Groups and Status screens show them.)
    Restricted(Restriction),
}

/// The engine's observer for the bot: forwards the engine's own stops and Telegram's
/// refusals, so that the bot can tell the customer (see [`Control::event_notice`]).
pub struct Notifier(pub tokio::sync::mpsc::UnboundedSender<(i64, BotEvent)>);

impl Observer for Notifier {
    fn customer_stopped(&self, customer_id: i64, reason: &EngineError) {
        let reason = match reason {
            EngineError::NotReady(r) => StopReason::NotReady(r.clone()),
            _ => StopReason::Other,
        };
        let _ = self.0.send((customer_id, BotEvent::Stopped(reason)));
    }

    fn restricted(&self, event: &Restricted) {
        if let Restriction::PairBlock { .. } | Restriction::Quarantine { .. } = event.restriction {
            let _ = self.0.send((
                event.customer_id,
                BotEvent::Restricted(event.restriction.clone()),
            ));
        }
    }
}

/// The commands the bot answers.
const COMMANDS: [&str; 7] = [
    "start", "stop", "status", "menu", "help", "language", "cancel",
];

/// `/name@bot args` → (`name`, `args`); `None` when the text is not command-shaped.
fn command_of(text: &str) -> Option<(String, &str)> {
    let rest = text.strip_prefix('/')?;
    let (head, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let name = head.split('@').next().unwrap_or_default();
    let valid = !name.is_empty()
        && name.len() <= 32
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    valid.then(|| (name.to_ascii_lowercase(), args.trim()))
}

/// Timing a new customer starts with: within the floor and feasible for a few accounts.
pub fn default_settings() -> Settings {
    Settings {
        delay_between_posts: DelayBetweenPosts::from_millis(10_000).expect("valid default"),
        delay_between_cycles: DelayBetweenCycles::from_millis(60_000).expect("valid default"),
        cycle_length: Some(CycleLength::from_millis(60 * 60_000).expect("valid default")),
    }
}

/// The bot's brain. Cheap to share behind an `Arc`.
pub struct Control {
    store: Store,
    engine: Engine,
    /// `None` when no way to log accounts in is configured.
    login: Option<Arc<dyn Login>>,
    /// Checks groups through the customer's accounts, and lists theirs.
    groups: Arc<dyn Groups>,
    /// Reads a source chat's messages through the customer's accounts (posts passed on).
    sources: Arc<dyn Sources>,
    /// Telegram user ids allowed the admin commands.
    admins: Vec<i64>,
    /// Sends confirmed broadcasts (`None`: they wait in the store for one).
    broadcaster: Option<Arc<broadcast::Broadcaster>>,
    /// Downloads the files customers send (`None`: media posts are refused as undownloadable).
    files: Option<Arc<dyn Files>>,
}

/// One request's customer.
struct Ctx {
    id: i64,
    lang: Lang,
    row: CustomerRow,
}

/// The outcome of one step: the actions, built up as the step goes.
type Step = Result<Vec<Action>, StoreError>;

impl Control {
    pub fn new(
        store: Store,
        engine: Engine,
        login: Option<Arc<dyn Login>>,
        groups: Arc<dyn Groups>,
    ) -> Control {
        Control {
            store,
            engine,
            login,
            groups,
            sources: Arc::new(NoSources),
            admins: Vec::new(),
            broadcaster: None,
            files: None,
        }
    }

    /// The same, downloading the files customers send through `files`.
    pub fn with_files(mut self, files: Arc<dyn Files>) -> Control {
        self.files = Some(files);
        self
    }

    /// The same, reading source chats through `sources` (without it, no post can be passed
    /// on from a channel: the check answers that Telegram can't be reached).
    pub fn with_sources(mut self, sources: Arc<dyn Sources>) -> Control {
        self.sources = sources;
        self
    }

    /// The same, waking `broadcaster` when a broadcast is confirmed or cancelled.
    pub fn with_broadcaster(mut self, broadcaster: Arc<broadcast::Broadcaster>) -> Control {
        self.broadcaster = Some(broadcaster);
        self
    }

    /// The same, with these users as admins.
    pub fn with_admins(mut self, admins: Vec<i64>) -> Control {
        self.set_admins(admins);
        self
    }

    /// Makes these users the admins.
    pub fn set_admins(&mut self, admins: Vec<i64>) {
        self.admins = admins;
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Handles one input. Never fails: a store error becomes a polite message (and a log line
    /// without the customer's data).
    pub async fn handle(&self, from: &Sender, input: Input) -> Vec<Action> {
        let is_callback = matches!(input, Input::Callback { .. });
        // What must be answered even when the step fails.
        let checkout = match &input {
            Input::PreCheckout { query_id, .. } => Some(query_id.clone()),
            _ => None,
        };
        let payment = match &input {
            Input::Payment(paid) => Some(paid.clone()),
            _ => None,
        };
        match self.step(from, input).await {
            Ok(actions) => actions,
            Err(e) => {
                tracing::error!(customer_id = from.user_id, error = %e, "bot step failed");
                // The customer's chosen language, if the store can still tell it.
                let stored = match self.store.customer(from.user_id).await {
                    Ok(Some(row)) => row.language,
                    _ => None,
                };
                let lang = Lang::pick(stored.as_deref(), from.language_code.as_deref());
                let text = t(lang, "error-unexpected-short");
                if let Some(query_id) = checkout {
                    // Refused now rather than left to time out: nothing is charged.
                    return vec![Action::AnswerPreCheckout {
                        query_id,
                        error: Some(text),
                    }];
                }
                if let Some(paid) = payment {
                    // Charged but not recorded: the admins get what they need to grant it.
                    tracing::error!(
                        customer_id = from.user_id,
                        charge_id = %paid.charge_id,
                        "a payment could not be recorded"
                    );
                    return self.payment_trouble(lang, from.user_id, &paid, "payment-unrecorded");
                }
                if is_callback {
                    vec![Action::Answer {
                        text: Some(text),
                        alert: true,
                    }]
                } else {
                    vec![Action::Send(Screenful {
                        text,
                        keyboard: Vec::new(),
                    })]
                }
            }
        }
    }

    async fn step(&self, from: &Sender, input: Input) -> Step {
        // Read first: only a customer's very first input writes the customer row.
        let row = match self.store.customer(from.user_id).await? {
            Some(row) => Some(row),
            None => {
                self.store.ensure_customer(from.user_id, None).await?;
                self.store.customer(from.user_id).await?
            }
        };
        let Some(mut row) = row else {
            return Err(StoreError::NoCustomer(from.user_id));
        };
        if row.telegram_language.as_deref() != from.language_code.as_deref() {
            self.store
                .set_telegram_language(from.user_id, from.language_code.as_deref())
                .await?;
            row.telegram_language = from.language_code.clone();
        }
        // Talking to the bot again: broadcasts reach them again.
        if row.blocked_bot {
            self.store.set_blocked_bot(from.user_id, false).await?;
            row.blocked_bot = false;
        }
        // New customers, and customers an admin created, start from the default timing.
        if !row.has_settings {
            self.store
                .ensure_settings(from.user_id, &default_settings())
                .await?;
            row.has_settings = true;
        }
        let ctx = Ctx {
            id: from.user_id,
            lang: Lang::pick(row.language.as_deref(), from.language_code.as_deref()),
            row,
        };
        match input {
            Input::Text {
                plain,
                html,
                message_id,
                reply_to,
            } => match command_of(&plain) {
                Some((name, args)) => {
                    let awaiting_post = matches!(
                        Awaiting::load(ctx.row.awaiting.as_deref()),
                        Some(Awaiting::Message)
                    );
                    let admin = self.is_admin(ctx.id);
                    let admin_command = admin
                        && (admin::ADMIN_COMMANDS.contains(&name.as_str())
                            || admin::BROADCAST_COMMANDS.contains(&name.as_str()));
                    if awaiting_post && !COMMANDS.contains(&name.as_str()) && !admin_command {
                        self.typed(&ctx, &plain, html, message_id).await
                    } else if admin && name == "broadcast" {
                        self.cmd_broadcast(&ctx, args, &html, reply_to).await
                    } else {
                        self.command(&ctx, &name, args).await
                    }
                }
                None => self.typed(&ctx, &plain, html, message_id).await,
            },
            Input::Media { .. } => self.media(&ctx, input::MediaInput::Other).await,
            Input::Files(parts) => self.media(&ctx, input::MediaInput::Files(parts)).await,
            Input::Unsupported(kind) => {
                self.media(&ctx, input::MediaInput::Unsupported(kind)).await
            }
            Input::Forwarded(f) => self.forwarded(&ctx, f).await,
            Input::Callback { data, message_id } => self.callback(&ctx, &data, message_id).await,
            Input::PreCheckout {
                query_id,
                payload,
                currency,
                total_amount,
            } => {
                self.pre_checkout(&ctx, query_id, &payload, &currency, total_amount)
                    .await
            }
            Input::Payment(paid) => self.paid(&ctx, paid).await,
        }
    }

    // ---- commands -------------------------------------------------------------------------

    async fn command(&self, ctx: &Ctx, name: &str, args: &str) -> Step {
        match name {
            "start" => self.cmd_start(ctx, args).await,
            "stop" => {
                let notice = self.stop(ctx).await?;
                self.send_screen(ctx, Screen::Main, Some(notice)).await
            }
            "status" => self.send_screen(ctx, Screen::Status, None).await,
            "menu" => {
                // Clearing the question cancels a login it held open (as /cancel and /start).
                self.clear_awaiting(ctx).await?;
                self.send_screen(ctx, Screen::Main, None).await
            }
            "language" => match args {
                "" => self.send_screen(ctx, Screen::Language, None).await,
                code => match Lang::parse(code) {
                    Some(lang) => self.choose_language(ctx, lang, None).await,
                    None => Ok(vec![send_text(t(ctx.lang, "language-unknown"))]),
                },
            },
            "help" => Ok(vec![send_text(t(ctx.lang, "help"))]),
            "cancel" => {
                // With no question open, "Cancelled" would read as if a saved answer was undone.
                let notice = match ctx.row.awaiting {
                    Some(_) => "cancelled",
                    None => "cancel-nothing",
                };
                self.clear_awaiting(ctx).await?;
                self.send_screen(ctx, Screen::Main, Some(t(ctx.lang, notice)))
                    .await
            }
            _ => match self.admin_command(ctx, name, args).await {
                Some(step) => step,
                None => Ok(vec![send_text(t(ctx.lang, "unknown-command"))]),
            },
        }
    }

    /// `/start`: welcome on the first visit; the status while running; otherwise start
    /// posting when everything is configured, or show the menu. `/start starter|enterprise`
    /// asks for a mode, which only the plan's passes.
    async fn cmd_start(&self, ctx: &Ctx, args: &str) -> Step {
        let requested = match args.to_ascii_lowercase().as_str() {
            "" => None,
            "starter" => Some(Mode::Starter),
            "enterprise" => Some(Mode::Enterprise),
            _ => return Ok(vec![send_text(t(ctx.lang, "start-unknown-argument"))]),
        };
        if let (Some(mode), Some(grant)) = (requested, ctx.row.plan) {
            if let Err(e) = schedule::mode_for(grant.plan, Some(mode)) {
                return Ok(vec![send_text(view::plan_error(ctx.lang, &e))]);
            }
        }
        // Starting over leaves the pending question (and cancels a login it held open).
        self.clear_awaiting(ctx).await?;
        if !ctx.row.welcomed {
            self.store.set_welcomed(ctx.id).await?;
            let welcome = t(ctx.lang, "welcome");
            return self.send_screen(ctx, Screen::Main, Some(welcome)).await;
        }
        if self.running(ctx.id).await? {
            return self.send_screen(ctx, Screen::Status, None).await;
        }
        let configured = {
            // A text, media, or a post passed on from a channel (which has no text of ours).
            let has_message = self.store.content(ctx.id).await?.is_some();
            has_message
                && !self.store.accounts(ctx.id).await?.is_empty()
                && !self.store.groups(ctx.id).await?.is_empty()
        };
        if !configured {
            return self.send_screen(ctx, Screen::Main, None).await;
        }
        let notice = self.start(ctx, requested).await?;
        self.send_screen(ctx, Screen::Main, Some(notice)).await
    }

    // ---- typed messages -------------------------------------------------------------------

    /// A typed message: the answer to the open question, carried out by the screen that
    /// asked it.
    async fn typed(&self, ctx: &Ctx, plain: &str, html: String, message_id: i32) -> Step {
        let Some(awaiting) = Awaiting::load(ctx.row.awaiting.as_deref()) else {
            return self.use_the_menu(ctx).await;
        };
        let text = Typed {
            plain,
            html,
            message_id,
        };
        Screen::answer(self, ctx, awaiting, text).await
    }

    /// A message forwarded from a channel: a post passed on from it while the post is asked;
    /// otherwise taken as any other message would be.
    async fn forwarded(&self, ctx: &Ctx, f: forward::Forwarded) -> Step {
        match Awaiting::load(ctx.row.awaiting.as_deref()) {
            Some(Awaiting::Message | Awaiting::Forward { .. }) => {
                forward::offer(self, ctx, f).await
            }
            _ => self.media(ctx, input::MediaInput::Other).await,
        }
    }

    async fn media(&self, ctx: &Ctx, media: input::MediaInput) -> Step {
        match Awaiting::load(ctx.row.awaiting.as_deref()) {
            Some(awaiting) => Screen::media(self, ctx, &awaiting, media).await,
            None => self.use_the_menu(ctx).await,
        }
    }

    // ---- buttons --------------------------------------------------------------------------

    /// A button: opening a screen, turning a list's page and Cancel are the menu's own; every
    /// other button is carried out by the screen it belongs to, or else by the admin commands.
    async fn callback(&self, ctx: &Ctx, data: &str, message_id: Option<i32>) -> Step {
        let lang = ctx.lang;
        let Some(cb) = Cb::parse(data) else {
            return Ok(vec![out_of_date(lang)]);
        };
        let press = Press {
            ctx,
            message_id,
            awaiting: Awaiting::load(ctx.row.awaiting.as_deref()),
        };
        match cb {
            Cb::Open(screen) => {
                let question = screen.question();
                if question.is_some() {
                    if let Some(refused) = press.busy() {
                        return refused;
                    }
                }
                // Leaving for another screen abandons a typed question, but not a login.
                if press.awaiting.is_some() && !press.login_open() {
                    self.clear_awaiting(ctx).await?;
                }
                if let Some(question) = &question {
                    self.set_awaiting(ctx, question).await?;
                }
                press.show(self.render(ctx, screen, None).await?)
            }
            Cb::Page(screen, page) => {
                press.show(self.render_page(ctx, screen, page as usize, None).await?)
            }
            Cb::Cancel => {
                // Clearing the question cancels a login it held open.
                self.clear_awaiting(ctx).await?;
                let back = Screen::cancelled(press.awaiting.as_ref());
                // A Cancel left under a question already answered: the answer stands.
                let notice = t(
                    lang,
                    match press.awaiting {
                        Some(_) => "cancelled",
                        None => "cancel-nothing",
                    },
                );
                press.show(self.render(ctx, back, Some(notice)).await?)
            }
            cb => {
                if let Some(step) = Screen::press(self, &press, cb).await {
                    return step;
                }
                // The admins' buttons (anyone else's press of one is "out of date").
                match self.admin_callback(ctx, cb, message_id).await {
                    Some(step) => step,
                    None => Ok(vec![out_of_date(lang)]),
                }
            }
        }
    }

    /// The message telling a customer what the engine did on its own, in their language:
    /// `None` when there is nothing to say (the account or group is gone meanwhile).
    pub async fn event_notice(
        &self,
        customer_id: i64,
        event: &BotEvent,
    ) -> Result<Option<Screenful>, StoreError> {
        let Some(row) = self.store.customer(customer_id).await? else {
            return Ok(None);
        };
        let ctx = Ctx {
            id: customer_id,
            lang: Lang::pick(row.language.as_deref(), row.telegram_language.as_deref()),
            row,
        };
        let lang = ctx.lang;
        let reason = match event {
            BotEvent::Stopped(reason) => reason,
            BotEvent::Restricted(r) => {
                let accounts = self.store.accounts(customer_id).await?;
                let label = |id: i64| {
                    accounts
                        .iter()
                        .find(|a| a.id == id)
                        .map(|a| a.label.clone())
                };
                let text = match r {
                    Restriction::Quarantine { account_id, reason } => {
                        let Some(account) = label(*account_id) else {
                            return Ok(None);
                        };
                        t_args(
                            lang,
                            "notice-quarantined",
                            &Args::new()
                                .text("account", account)
                                .html("reason", view::reason(lang, reason)),
                        )
                    }
                    Restriction::PairBlock {
                        account_id,
                        group_id,
                        reason,
                        stars,
                        ..
                    } => {
                        let groups = self.store.groups(customer_id).await?;
                        let group = groups.iter().find(|g| g.id == *group_id);
                        let (Some(account), Some(group)) = (label(*account_id), group) else {
                            return Ok(None);
                        };
                        let mut text = t_args(
                            lang,
                            "notice-group-refused",
                            &Args::new()
                                .text("account", account)
                                .text("group", &group.reference)
                                .html("reason", view::group_refusal(lang, reason, *stars)),
                        );
                        // A media post or an album refused: the customer chooses what goes
                        // there instead (which resumes the group). A post passed on from a
                        // channel goes as it is: no choice would change it.
                        let forward = matches!(
                            self.store.content(customer_id).await?,
                            Some(crate::schedule::content::PostContent::Forward { .. })
                        );
                        if crate::schedule::choice::answers(reason) && !forward {
                            text.push('\n');
                            text.push_str(&t(lang, "notice-media-choose"));
                            return Ok(Some(Screenful {
                                text,
                                keyboard: vec![vec![
                                    Button::new(
                                        t(lang, "button-media-choose"),
                                        Cb::MediaChoices(*group_id),
                                    ),
                                    Button::new(t(lang, "button-status"), Cb::Open(Screen::Status)),
                                ]],
                            }));
                        }
                        // A closed or deleted topic: another one can be picked (which resumes
                        // the group).
                        if group.forum
                            && ["topic_closed", "topic_deleted"].contains(&reason.as_str())
                        {
                            text.push('\n');
                            text.push_str(&t(lang, "notice-topic-choose"));
                            return Ok(Some(Screenful {
                                text,
                                keyboard: vec![vec![
                                    Button::new(t(lang, "button-topic"), Cb::Topics(*group_id)),
                                    Button::new(t(lang, "button-status"), Cb::Open(Screen::Status)),
                                ]],
                            }));
                        }
                        text
                    }
                    _ => return Ok(None),
                };
                return Ok(Some(Screenful {
                    text,
                    keyboard: vec![vec![Button::new(
                        t(lang, "button-status"),
                        Cb::Open(Screen::Status),
                    )]],
                }));
            }
        };
        let notice = match reason {
            StopReason::NotReady(NotReady::PlanExpired { expired_at }) => t_args(
                ctx.lang,
                "stopped-plan-expired",
                &Args::new().text("date", view::clock_time(*expired_at)),
            ),
            StopReason::NotReady(r) => t_args(
                ctx.lang,
                "stopped-by-engine",
                &Args::new().html("reason", view::not_ready(ctx.lang, r)),
            ),
            StopReason::Other => t_args(
                ctx.lang,
                "stopped-by-engine",
                &Args::new().html("reason", t(ctx.lang, "error-unexpected-short")),
            ),
        };
        Ok(Some(self.render(&ctx, Screen::Main, Some(notice)).await?))
    }

    // ---- start and stop -------------------------------------------------------------------

    /// Starts the customer's posting; the notice says when the first post is, or precisely
    /// what is missing and how to fix it.
    async fn start(&self, ctx: &Ctx, requested: Option<Mode>) -> Result<String, StoreError> {
        let lang = ctx.lang;
        match self.engine.start(ctx.id, requested).await {
            Ok(started) => {
                let mut text = t_args(
                    lang,
                    "started",
                    &Args::new().text("time", view::clock_time(started.first_post_at_ms)),
                );
                if started.delay.raised() {
                    text = format!("{text}\n{}", view::floor_warning(lang, &started.delay));
                }
                Ok(text)
            }
            Err(EngineError::AlreadyRunning(_)) => Ok(t(lang, "start-already-running")),
            Err(EngineError::NotReady(reason)) => Ok(view::not_ready(lang, &reason)),
            Err(EngineError::Store(e)) => Err(e),
            Err(e) => {
                tracing::error!(customer_id = ctx.id, error = %e, "start failed");
                Ok(t(lang, "error-unexpected-short"))
            }
        }
    }

    /// Whether the customer's posting is on: here, or (engines sharing the database through
    /// leases) on whichever engine holds the customer, as the store says.
    async fn running(&self, id: i64) -> Result<bool, StoreError> {
        if self.engine.is_running(id) {
            return Ok(true);
        }
        if self.engine.holder().is_none() {
            return Ok(false);
        }
        Ok(self.store.customer(id).await?.is_some_and(|c| c.running))
    }

    /// Stops the customer; returns once the engine has stopped them.
    async fn stop(&self, ctx: &Ctx) -> Result<String, StoreError> {
        match self.engine.stop(ctx.id).await {
            Ok(()) => Ok(t(ctx.lang, "stopped")),
            Err(EngineError::NotRunning(_)) => Ok(t(ctx.lang, "stop-not-running")),
            Err(EngineError::Store(e)) => Err(e),
            Err(e) => {
                tracing::error!(customer_id = ctx.id, error = %e, "stop failed");
                Ok(t(ctx.lang, "error-unexpected-short"))
            }
        }
    }

    // ---- screens --------------------------------------------------------------------------

    async fn send_screen(&self, ctx: &Ctx, screen: Screen, notice: Option<String>) -> Step {
        Ok(vec![Action::Send(self.render(ctx, screen, notice).await?)])
    }

    /// Renders a screen from the customer's current data.
    async fn render(
        &self,
        ctx: &Ctx,
        screen: Screen,
        notice: Option<String>,
    ) -> Result<Screenful, StoreError> {
        self.render_page(ctx, screen, 0, notice).await
    }

    /// Renders a screen; long lists (Groups, Accounts) show page `page`.
    async fn render_page(
        &self,
        ctx: &Ctx,
        screen: Screen,
        page: usize,
        notice: Option<String>,
    ) -> Result<Screenful, StoreError> {
        let body = screen.render(self, ctx, page).await?;
        Ok(match notice {
            Some(notice) => Screenful {
                text: format!("{notice}\n\n{}", body.text),
                keyboard: body.keyboard,
            },
            None => body,
        })
    }

    // ---- the pending question -------------------------------------------------------------

    /// Asks `awaiting` next. A login the previous question held open is cancelled, unless
    /// `awaiting` is its next step (same phone).
    async fn set_awaiting(&self, ctx: &Ctx, awaiting: &Awaiting) -> Result<(), StoreError> {
        self.leave_login(ctx, awaiting.login_phone()).await;
        let json = serde_json::to_string(awaiting).expect("serialisable");
        self.store.set_awaiting(ctx.id, Some(&json)).await
    }

    /// Drops the pending question; a login it held open is cancelled (its connection closed),
    /// whichever path leaves it. A login that finished is cleared by `finish_login` instead.
    async fn clear_awaiting(&self, ctx: &Ctx) -> Result<(), StoreError> {
        if ctx.row.awaiting.is_none() {
            return Ok(());
        }
        self.leave_login(ctx, None).await;
        self.store.set_awaiting(ctx.id, None).await
    }
}

fn send_text(text: String) -> Action {
    Action::Send(Screenful {
        text,
        keyboard: Vec::new(),
    })
}

/// A button's answer; Telegram shows its text as plain text, so the locale's HTML is
/// rendered to what it reads as (`&amp;` → `&`).
fn answer(text: Option<String>) -> Action {
    Action::Answer {
        text: text.map(|t| html::to_plain(&t)),
        alert: false,
    }
}

fn alert(text: String) -> Action {
    Action::Answer {
        text: Some(html::to_plain(&text)),
        alert: true,
    }
}

fn out_of_date(lang: Lang) -> Action {
    alert(t(lang, "menu-out-of-date"))
}

/// Edits the menu message in place, or sends a new one when there is none to edit.
fn show(message_id: Option<i32>, screen: Screenful) -> Action {
    match message_id {
        Some(message_id) => Action::Edit { message_id, screen },
        None => Action::Send(screen),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_stored_by_the_previous_version_still_load() {
        for (json, awaiting) in [
            (r#"{"kind":"message"}"#, Awaiting::Message),
            (
                r#"{"kind":"timing","field":"minutes"}"#,
                Awaiting::Timing {
                    field: "minutes".into(),
                },
            ),
            (r#"{"kind":"group"}"#, Awaiting::Group),
            (r#"{"kind":"phone"}"#, Awaiting::Phone),
            (
                r#"{"kind":"code","phone":"15550001","digits":"12"}"#,
                Awaiting::Code {
                    phone: "15550001".into(),
                    digits: "12".into(),
                },
            ),
            (
                r#"{"kind":"password","phone":"15550001","hint":null}"#,
                Awaiting::Password {
                    phone: "15550001".into(),
                    hint: None,
                },
            ),
            (r#"{"kind":"session_string"}"#, Awaiting::SessionString),
        ] {
            assert_eq!(Awaiting::load(Some(json)), Some(awaiting.clone()), "{json}");
            assert_eq!(serde_json::to_string(&awaiting).unwrap(), json);
            // Each is a question of exactly one screen's.
            assert!(screen::Screen::asking(&awaiting).is_some(), "{json}");
        }
    }
}
