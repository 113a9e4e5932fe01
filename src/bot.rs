//! The control bot's conversation, independent of teloxide: [`Control::handle`] takes what a
//! customer did ([`Input`]: a command, a typed message, a button press) and returns what the
//! bot does ([`Action`]: send, edit in place, answer the button, delete a message). It calls
//! the pure schedule core for every check, the store for every change and the engine for
//! start, stop and status. [`dispatch`] is the thin teloxide layer that turns updates into
//! inputs and actions into Bot API calls.
//!
//! Rules every step keeps: each text comes from the locale files; bad input changes nothing
//! and says why; a button names things by id and the store only touches rows of the customer
//! who pressed it, so forged or stale data gets "this menu is out of date"; what the next
//! typed message answers is kept in the store (one question at a time, a login included).

pub mod admin;
pub mod broadcast;
pub mod callback;
pub mod dispatch;
pub mod html;
pub mod input;
pub mod outbox;
pub mod payment;
pub mod reminder;
pub mod update_log;
pub mod view;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::{Engine, EngineError, Observer, Restricted};
use crate::i18n::{t, t_args, Args, Lang};
use crate::schedule::NotReady;
use crate::schedule::{
    self, CycleLength, DelayBetweenCycles, DelayBetweenPosts, Field, Limited, Mode, Plan, Settings,
};
use crate::store::{AccountStatus, CustomerRow, GroupStatus, Restriction, Store, StoreError};
use crate::telegram::groups::{GroupInfo, Groups};
use crate::telegram::login::{Login, LoginError, SignInStep};
use callback::{Cb, Screen};
use input::{GroupRef, MessageText, Phone, Refusal};

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
    /// A message without text (a photo, a sticker, …).
    Media { message_id: i32 },
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

/// What the bot does in answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// A new message in the customer's chat.
    Send(Screenful),
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
}

/// What the customer's next typed message answers; kept in the store as JSON.
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

/// The longest login code the keypad takes (Telegram's are 5 or 6 digits).
const MAX_CODE_DIGITS: usize = 8;

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
    /// Telegram user ids allowed the admin commands.
    admins: Vec<i64>,
    /// Sends confirmed broadcasts (`None`: they wait in the store for one).
    broadcaster: Option<Arc<broadcast::Broadcaster>>,
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
            admins: Vec::new(),
            broadcaster: None,
        }
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
            Input::Media { .. } => self.media(&ctx).await,
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
                self.clear_awaiting(ctx).await?;
                self.send_screen(ctx, Screen::Main, Some(t(ctx.lang, "cancelled")))
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
            let timing = self.store.timing(ctx.id).await?;
            let has_message = timing.and_then(|t| t.message_html).is_some();
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

    async fn typed(&self, ctx: &Ctx, plain: &str, html: String, message_id: i32) -> Step {
        let lang = ctx.lang;
        match Awaiting::load(ctx.row.awaiting.as_deref()) {
            None => {
                self.send_screen(ctx, Screen::Main, Some(t(lang, "use-the-menu")))
                    .await
            }
            Some(Awaiting::Message) => match MessageText::parse(plain, html) {
                Ok(text) => {
                    self.store.set_message(ctx.id, text.html()).await?;
                    self.clear_awaiting(ctx).await?;
                    self.send_screen(ctx, Screen::Message, Some(t(lang, "message-saved")))
                        .await
                }
                Err(r) => Ok(vec![self.ask_again(ctx, r)]),
            },
            Some(Awaiting::Timing { field }) => {
                let Some(field) = callback::parse_field(&field) else {
                    self.clear_awaiting(ctx).await?;
                    return self.send_screen(ctx, Screen::Timing, None).await;
                };
                match input::parse_timing(field, plain) {
                    Ok(ms) => {
                        self.store.set_timing_field(ctx.id, field, ms).await?;
                        self.clear_awaiting(ctx).await?;
                        // The Timing screen says it when the floor raises the value.
                        let notice = t(lang, "timing-saved");
                        self.send_screen(ctx, Screen::Timing, Some(notice)).await
                    }
                    Err(r) => Ok(vec![self.ask_again_field(ctx, field, r)]),
                }
            }
            Some(Awaiting::Group) => match GroupRef::parse(plain) {
                Ok(group) => match self.add_checked_group(ctx, group.as_str()).await? {
                    Ok(notice) => self.send_screen(ctx, Screen::Groups, Some(notice)).await,
                    Err(refusal) => Ok(vec![self.ask_again_text(ctx, refusal)]),
                },
                Err(r) => Ok(vec![self.ask_again(ctx, r)]),
            },
            Some(Awaiting::Phone) => self.typed_phone(ctx, plain).await,
            Some(Awaiting::Code { .. }) => {
                // A code typed into the chat is void (Telegram kills codes pasted in chats).
                Ok(vec![send_text(t(lang, "login-use-keypad"))])
            }
            Some(Awaiting::Password { phone, .. }) => {
                self.typed_password(ctx, &phone, plain, message_id).await
            }
            Some(Awaiting::SessionString) => self.typed_session(ctx, plain, message_id).await,
        }
    }

    async fn media(&self, ctx: &Ctx) -> Step {
        match Awaiting::load(ctx.row.awaiting.as_deref()) {
            Some(Awaiting::Message) => Ok(vec![self.ask_again(ctx, Refusal::MediaMessage)]),
            Some(_) => Ok(vec![send_text(t(ctx.lang, "text-expected"))]),
            None => {
                self.send_screen(ctx, Screen::Main, Some(t(ctx.lang, "use-the-menu")))
                    .await
            }
        }
    }

    /// The two-step-verification password: the message is deleted first, whatever follows.
    async fn typed_password(
        &self,
        ctx: &Ctx,
        phone: &str,
        password: &str,
        message_id: i32,
    ) -> Step {
        let lang = ctx.lang;
        let mut actions = vec![Action::Delete { message_id }];
        let Some(login) = &self.login else {
            self.clear_awaiting(ctx).await?;
            actions.push(send_text(t(lang, "login-unavailable")));
            return Ok(actions);
        };
        match login.check_password(ctx.id, phone, password).await {
            Ok(signed_in) => {
                let screen = self.finish_login(ctx, &signed_in.label).await?;
                actions.push(Action::Send(screen));
            }
            Err(LoginError::InvalidPassword { hint }) => {
                let awaiting = Awaiting::Password {
                    phone: phone.to_string(),
                    hint: hint.clone(),
                };
                self.set_awaiting(ctx, &awaiting).await?;
                let error = view::login_error(lang, &LoginError::InvalidPassword { hint });
                actions.push(self.ask_again_text(ctx, error));
            }
            Err(e) => {
                // Clearing the question cancels the login.
                self.clear_awaiting(ctx).await?;
                let notice = view::login_error(lang, &e);
                actions.push(Action::Send(
                    self.render(ctx, Screen::Accounts, Some(notice)).await?,
                ));
            }
        }
        Ok(actions)
    }

    /// Adds the group after checking it through every active account of the customer (each
    /// must be a member allowed to write), recording how each account reaches it. `Err` is
    /// the refusal to show; nothing is stored then.
    async fn add_checked_group(
        &self,
        ctx: &Ctx,
        reference: &str,
    ) -> Result<Result<String, String>, StoreError> {
        let lang = ctx.lang;
        let group = Args::new().text("group", reference);
        let existing = self.store.groups(ctx.id).await?;
        if existing.iter().any(|g| g.reference == reference) {
            return Ok(Err(t_args(lang, "group-duplicate", &group)));
        }
        if let Some(refusal) = self.limit_refusal(ctx, Limited::Groups, existing.len()) {
            return Ok(Err(refusal));
        }
        let accounts: Vec<_> = self
            .store
            .accounts(ctx.id)
            .await?
            .into_iter()
            .filter(|a| a.status == AccountStatus::Active)
            .collect();
        if accounts.is_empty() {
            return Ok(Err(t(lang, "group-needs-account")));
        }
        let mut reached = Vec::new();
        let mut problems = Vec::new();
        for account in &accounts {
            match self.groups.check(account.id, reference).await {
                Ok(info) => reached.push((account.id, info)),
                Err(problem) => problems.push(format!(
                    "• {} — {}",
                    crate::i18n::escape(&account.label),
                    view::group_problem(lang, &problem)
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
        let group_id = match self.store.add_group(ctx.id, reference).await {
            Ok(id) => id,
            Err(StoreError::Duplicate) => return Ok(Err(t_args(lang, "group-duplicate", &group))),
            Err(e) => return Err(e),
        };
        for (account_id, info) in &reached {
            self.store
                .save_group_peer(
                    *account_id,
                    group_id,
                    info.dialog_id,
                    info.access_hash,
                    info.slow_mode_secs,
                )
                .await?;
        }
        self.clear_awaiting(ctx).await?;
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
    async fn pickable(&self, ctx: &Ctx) -> Result<Result<Vec<GroupInfo>, String>, StoreError> {
        let lang = ctx.lang;
        let accounts = self.store.accounts(ctx.id).await?;
        let Some(account) = accounts.iter().find(|a| a.status == AccountStatus::Active) else {
            return Ok(Err(t(lang, "group-needs-account")));
        };
        let known: Vec<String> = self
            .store
            .groups(ctx.id)
            .await?
            .into_iter()
            .map(|g| g.reference)
            .collect();
        match self.groups.list(account.id).await {
            Ok(list) => Ok(Ok(list
                .into_iter()
                .filter(|g| !known.contains(&g.reference))
                .collect())),
            Err(problem) => Ok(Err(view::group_problem(lang, &problem))),
        }
    }

    /// A session string: the message is deleted first; the string is decoded, then the
    /// login seam checks it with Telegram before the account is stored.
    async fn typed_session(&self, ctx: &Ctx, text: &str, message_id: i32) -> Step {
        let lang = ctx.lang;
        let mut actions = vec![Action::Delete { message_id }];
        let imported = match crate::telegram::import::parse(text) {
            Ok(imported) => imported,
            Err(e) => {
                actions.push(self.ask_again(ctx, Refusal::BadSession(e)));
                return Ok(actions);
            }
        };
        let Some(login) = &self.login else {
            self.clear_awaiting(ctx).await?;
            actions.push(send_text(t(lang, "login-unavailable")));
            return Ok(actions);
        };
        match login.import_session(ctx.id, &imported).await {
            Ok(signed_in) => actions.push(Action::Send(
                self.finish_login(ctx, &signed_in.label).await?,
            )),
            Err(e) => {
                self.clear_awaiting(ctx).await?;
                let notice = view::login_error(lang, &e);
                actions.push(Action::Send(
                    self.render(ctx, Screen::Accounts, Some(notice)).await?,
                ));
            }
        }
        Ok(actions)
    }

    /// Stores the account a login produced and shows the Accounts screen saying so; an
    /// account the customer has already is not added twice.
    async fn finish_login(&self, ctx: &Ctx, label: &str) -> Result<Screenful, StoreError> {
        // The login is over (not left): nothing to cancel under its phone.
        self.store.set_awaiting(ctx.id, None).await?;
        let lang = ctx.lang;
        let accounts = self.store.accounts(ctx.id).await?;
        let known = accounts.iter().any(|a| a.label == label);
        let over = self.limit_refusal(ctx, Limited::Accounts, accounts.len());
        let notice = if let (false, Some(refusal)) = (known, over) {
            // Accounts were added meanwhile (another login): the plan has no room left.
            if let Some(login) = &self.login {
                login.cancel(ctx.id, label).await;
            }
            refusal
        } else if known {
            // Not adopted: the login lets its session go.
            if let Some(login) = &self.login {
                login.cancel(ctx.id, label).await;
            }
            t_args(lang, "account-duplicate", &Args::new().text("phone", label))
        } else {
            let account_id = self.store.add_account(ctx.id, label).await?;
            let adopted = match &self.login {
                Some(login) => login.adopt(ctx.id, label, account_id).await,
                None => Ok(()),
            };
            match adopted {
                Ok(()) => t_args(lang, "account-added", &Args::new().text("account", label)),
                // Without its session the account could never post: take it back out.
                Err(e) => {
                    self.store.remove_account(ctx.id, account_id).await?;
                    view::login_error(lang, &e)
                }
            }
        };
        self.render(ctx, Screen::Accounts, Some(notice)).await
    }

    async fn typed_phone(&self, ctx: &Ctx, plain: &str) -> Step {
        let lang = ctx.lang;
        let phone = match Phone::parse(plain) {
            Ok(phone) => phone,
            Err(r) => return Ok(vec![self.ask_again(ctx, r)]),
        };
        let Some(login) = &self.login else {
            self.clear_awaiting(ctx).await?;
            return self
                .send_screen(ctx, Screen::Accounts, Some(t(lang, "login-unavailable")))
                .await;
        };
        let label = format!("+{}", phone.digits());
        let accounts = self.store.accounts(ctx.id).await?;
        if accounts.iter().any(|a| a.label == label) {
            let text = t_args(
                lang,
                "account-duplicate",
                &Args::new().text("phone", &label),
            );
            return Ok(vec![self.ask_again_text(ctx, text)]);
        }
        if let Some(refusal) = self.limit_refusal(ctx, Limited::Accounts, accounts.len()) {
            self.clear_awaiting(ctx).await?;
            return self.send_screen(ctx, Screen::Accounts, Some(refusal)).await;
        }
        match login.request_code(ctx.id, phone.digits()).await {
            Ok(()) => {
                let awaiting = Awaiting::Code {
                    phone: phone.digits().to_string(),
                    digits: String::new(),
                };
                self.set_awaiting(ctx, &awaiting).await?;
                Ok(vec![Action::Send(view::keypad(
                    lang,
                    phone.digits(),
                    "",
                    None,
                ))])
            }
            Err(e) => Ok(vec![self.ask_again_text(ctx, view::login_error(lang, &e))]),
        }
    }

    /// The refusal when the customer's plan has no room for one more account or group
    /// (`have` are there already, paused ones included).
    fn limit_refusal(&self, ctx: &Ctx, what: Limited, have: usize) -> Option<String> {
        let plan = ctx.row.plan.map(|g| g.plan);
        schedule::may_add(&self.engine.catalog(), plan, what, have)
            .err()
            .map(|o| view::over_limit(ctx.lang, &o))
    }

    /// Refuses typed input and repeats the question (it stays open; Cancel abandons it).
    fn ask_again(&self, ctx: &Ctx, refusal: Refusal) -> Action {
        self.ask_again_text(ctx, view::refusal(ctx.lang, &refusal))
    }

    fn ask_again_field(&self, ctx: &Ctx, field: Field, refusal: Refusal) -> Action {
        self.ask_again_text(ctx, view::timing_refusal(ctx.lang, field, &refusal))
    }

    fn ask_again_text(&self, ctx: &Ctx, text: String) -> Action {
        Action::Send(Screenful {
            text,
            keyboard: vec![vec![Button::new(t(ctx.lang, "button-cancel"), Cb::Cancel)]],
        })
    }

    // ---- buttons --------------------------------------------------------------------------

    async fn callback(&self, ctx: &Ctx, data: &str, message_id: Option<i32>) -> Step {
        let lang = ctx.lang;
        let Some(cb) = Cb::parse(data) else {
            return Ok(vec![out_of_date(lang)]);
        };
        if matches!(
            cb,
            Cb::AdminUsers(_) | Cb::BroadcastConfirm(_) | Cb::BroadcastAbandon(_)
        ) {
            return match self.admin_callback(ctx, cb, message_id).await {
                Some(step) => step,
                None => Ok(vec![out_of_date(lang)]),
            };
        }
        let awaiting = Awaiting::load(ctx.row.awaiting.as_deref());
        // Keypad keys only mean something during a login.
        if matches!(cb, Cb::Digit(_) | Cb::Backspace | Cb::SubmitCode)
            && !matches!(awaiting, Some(Awaiting::Code { .. }))
        {
            return Ok(vec![out_of_date(lang)]);
        }
        let screen_reply =
            |screen: Screenful| -> Vec<Action> { vec![answer(None), show(message_id, screen)] };
        // One question at a time: a login in progress is finished or cancelled first.
        let login_open = awaiting.as_ref().and_then(Awaiting::login_phone).is_some();
        let asks_a_question = matches!(
            cb,
            Cb::Open(Screen::Message)
                | Cb::AskTiming(_)
                | Cb::AddGroup
                | Cb::AddAccount
                | Cb::ImportSession
        );
        if login_open && asks_a_question {
            return Ok(vec![alert(t(lang, "login-in-progress"))]);
        }
        match cb {
            Cb::Open(screen) => {
                // Leaving for another screen abandons a typed question, but not a login.
                if awaiting.is_some() && !login_open {
                    self.clear_awaiting(ctx).await?;
                }
                let asks = match screen {
                    Screen::Message => Some(Awaiting::Message),
                    _ => None,
                };
                if let Some(a) = &asks {
                    self.set_awaiting(ctx, a).await?;
                }
                Ok(screen_reply(self.render(ctx, screen, None).await?))
            }
            Cb::Start => {
                let notice = self.start(ctx, None).await?;
                Ok(screen_reply(
                    self.render(ctx, Screen::Main, Some(notice)).await?,
                ))
            }
            Cb::Stop => {
                let notice = self.stop(ctx).await?;
                Ok(screen_reply(
                    self.render(ctx, Screen::Main, Some(notice)).await?,
                ))
            }
            Cb::Language(choice) => self.choose_language(ctx, choice, message_id).await,
            Cb::Mode(mode) => {
                let Some(grant) = ctx.row.plan else {
                    return Ok(vec![alert(t(lang, "mode-no-plan"))]);
                };
                match schedule::mode_for(grant.plan, Some(mode)) {
                    Ok(_) => Ok(vec![answer(Some(t(lang, "mode-is-plan-mode")))]),
                    Err(e) => Ok(vec![alert(view::plan_error(lang, &e))]),
                }
            }
            Cb::AskTiming(field) => {
                if field == Field::CycleMinutes
                    && ctx.row.plan.is_some_and(|g| g.plan == Plan::Enterprise)
                {
                    return Ok(vec![alert(view::plan_error(
                        lang,
                        &schedule::PlanError::EnterpriseRequiresEnterpriseMode,
                    ))]);
                }
                let awaiting = Awaiting::Timing {
                    field: callback::field_code(field).to_string(),
                };
                self.set_awaiting(ctx, &awaiting).await?;
                Ok(screen_reply(view::ask_timing(lang, field)))
            }
            Cb::PickGroups => match self.pickable(ctx).await? {
                Ok(list) => Ok(screen_reply(view::pick_groups(lang, &list))),
                Err(text) => Ok(vec![alert(text)]),
            },
            Cb::PickGroup(dialog_id) => {
                // The list is fetched again: only a group the account really has is added.
                let picked = match self.pickable(ctx).await? {
                    Ok(list) => list.into_iter().find(|g| g.dialog_id == dialog_id),
                    Err(text) => return Ok(vec![alert(text)]),
                };
                let Some(picked) = picked else {
                    return Ok(vec![out_of_date(lang)]);
                };
                match self.add_checked_group(ctx, &picked.reference).await? {
                    Ok(notice) => Ok(screen_reply(
                        self.render(ctx, Screen::Groups, Some(notice)).await?,
                    )),
                    Err(refusal) => Ok(vec![alert(refusal)]),
                }
            }
            Cb::AddGroup => {
                let have = self.store.groups(ctx.id).await?.len();
                if let Some(refusal) = self.limit_refusal(ctx, Limited::Groups, have) {
                    return Ok(vec![alert(refusal)]);
                }
                self.set_awaiting(ctx, &Awaiting::Group).await?;
                Ok(screen_reply(view::ask(lang, "group-ask")))
            }
            Cb::ToggleGroup(id) => {
                let groups = self.store.groups(ctx.id).await?;
                let Some(index) = groups.iter().position(|g| g.id == id) else {
                    return Ok(vec![out_of_date(lang)]);
                };
                let group = &groups[index];
                let refused = self
                    .store
                    .pair_blocks(ctx.id)
                    .await?
                    .iter()
                    .any(|b| b.group_id == id);
                // ▶ on a group Telegram refused lifts the refusal (the customer fixed it);
                // otherwise the button pauses or resumes.
                let (status, reason) = match group.status {
                    GroupStatus::Active if refused => (GroupStatus::Active, None),
                    GroupStatus::Active => (GroupStatus::Paused, Some("customer")),
                    GroupStatus::Paused => (GroupStatus::Active, None),
                };
                if status == GroupStatus::Active {
                    self.store.clear_pair_blocks(ctx.id, id).await?;
                }
                if !self
                    .store
                    .set_group_status(ctx.id, id, status, reason)
                    .await?
                {
                    return Ok(vec![out_of_date(lang)]);
                }
                let page = index / view::PAGE;
                Ok(screen_reply(
                    self.render_page(ctx, Screen::Groups, page, None).await?,
                ))
            }
            Cb::RemoveGroup(id) => {
                let groups = self.store.groups(ctx.id).await?;
                let name = groups
                    .iter()
                    .find(|g| g.id == id)
                    .map(|g| g.reference.as_str());
                Ok(confirm_removal(
                    lang,
                    name,
                    "group-remove-confirm",
                    Cb::ConfirmRemoveGroup(id),
                    Screen::Groups,
                    message_id,
                ))
            }
            Cb::ConfirmRemoveGroup(id) => {
                let removed = self.store.remove_group(ctx.id, id).await?;
                self.after_removal(ctx, removed, Screen::Groups, "group-removed", message_id)
                    .await
            }
            Cb::AddAccount => {
                if self.login.is_none() {
                    return Ok(vec![alert(t(lang, "login-unavailable"))]);
                }
                let have = self.store.accounts(ctx.id).await?.len();
                if let Some(refusal) = self.limit_refusal(ctx, Limited::Accounts, have) {
                    return Ok(vec![alert(refusal)]);
                }
                self.set_awaiting(ctx, &Awaiting::Phone).await?;
                Ok(screen_reply(view::ask(lang, "account-ask-phone")))
            }
            Cb::ImportSession => {
                let Some(login) = &self.login else {
                    return Ok(vec![alert(t(lang, "login-unavailable"))]);
                };
                let have = self.store.accounts(ctx.id).await?.len();
                if let Some(refusal) = self.limit_refusal(ctx, Limited::Accounts, have) {
                    return Ok(vec![alert(refusal)]);
                }
                if !login.imports_sessions() {
                    return Ok(vec![alert(t(lang, "import-unavailable"))]);
                }
                self.set_awaiting(ctx, &Awaiting::SessionString).await?;
                Ok(screen_reply(view::ask(lang, "import-ask")))
            }
            Cb::ToggleAccount(id) => {
                let accounts = self.store.accounts(ctx.id).await?;
                let Some(index) = accounts.iter().position(|a| a.id == id) else {
                    return Ok(vec![out_of_date(lang)]);
                };
                let account = &accounts[index];
                let (status, reason) = match account.status {
                    AccountStatus::Active => (AccountStatus::Paused, Some("customer")),
                    AccountStatus::Paused => (AccountStatus::Active, None),
                    // Telegram stopped it: resuming needs a fresh login, not a button.
                    AccountStatus::Quarantined => {
                        return Ok(vec![alert(t(lang, "account-quarantined-cannot-resume"))])
                    }
                };
                if !self
                    .store
                    .set_account_status(ctx.id, id, status, reason)
                    .await?
                {
                    return Ok(vec![out_of_date(lang)]);
                }
                let page = index / view::PAGE;
                Ok(screen_reply(
                    self.render_page(ctx, Screen::Accounts, page, None).await?,
                ))
            }
            Cb::RemoveAccount(id) => {
                let accounts = self.store.accounts(ctx.id).await?;
                let name = accounts
                    .iter()
                    .find(|a| a.id == id)
                    .map(|a| a.label.as_str());
                Ok(confirm_removal(
                    lang,
                    name,
                    "account-remove-confirm",
                    Cb::ConfirmRemoveAccount(id),
                    Screen::Accounts,
                    message_id,
                ))
            }
            Cb::ConfirmRemoveAccount(id) => {
                let removed = self.store.remove_account(ctx.id, id).await?;
                self.after_removal(
                    ctx,
                    removed,
                    Screen::Accounts,
                    "account-removed",
                    message_id,
                )
                .await
            }
            Cb::Digit(_) | Cb::Backspace | Cb::SubmitCode => {
                let Some(Awaiting::Code { phone, digits }) = awaiting else {
                    return Ok(vec![out_of_date(lang)]);
                };
                self.keypad(ctx, cb, phone, digits, message_id).await
            }
            Cb::Buy(plan) => self.buy(ctx, plan).await,
            Cb::AdminUsers(_) | Cb::BroadcastConfirm(_) | Cb::BroadcastAbandon(_) => {
                Ok(vec![out_of_date(lang)])
            }
            Cb::Page(screen, page) => Ok(screen_reply(
                self.render_page(ctx, screen, page as usize, None).await?,
            )),
            Cb::ShowPost => {
                let post = self
                    .store
                    .timing(ctx.id)
                    .await?
                    .and_then(|t| t.message_html);
                match post {
                    // Exactly what the accounts post, as its own message.
                    Some(html) => Ok(vec![
                        answer(None),
                        Action::Send(Screenful {
                            text: html,
                            keyboard: Vec::new(),
                        }),
                    ]),
                    None => Ok(vec![out_of_date(lang)]),
                }
            }
            Cb::Cancel => {
                // Clearing the question cancels a login it held open.
                self.clear_awaiting(ctx).await?;
                let back = match awaiting {
                    Some(
                        Awaiting::Phone
                        | Awaiting::Code { .. }
                        | Awaiting::Password { .. }
                        | Awaiting::SessionString,
                    ) => Screen::Accounts,
                    Some(Awaiting::Group) => Screen::Groups,
                    Some(Awaiting::Timing { .. }) => Screen::Timing,
                    _ => Screen::Main,
                };
                let notice = t(lang, "cancelled");
                Ok(screen_reply(self.render(ctx, back, Some(notice)).await?))
            }
        }
    }

    /// After a confirmed removal: the list again, or "out of date" when nothing of the
    /// customer's was removed (pressed twice, or someone else's id).
    async fn after_removal(
        &self,
        ctx: &Ctx,
        removed: bool,
        screen: Screen,
        notice: &str,
        message_id: Option<i32>,
    ) -> Step {
        if !removed {
            return Ok(vec![out_of_date(ctx.lang)]);
        }
        let notice = t(ctx.lang, notice);
        let screen = self.render(ctx, screen, Some(notice)).await?;
        Ok(vec![answer(None), show(message_id, screen)])
    }

    async fn keypad(
        &self,
        ctx: &Ctx,
        key: Cb,
        phone: String,
        mut digits: String,
        message_id: Option<i32>,
    ) -> Step {
        let lang = ctx.lang;
        match key {
            Cb::Digit(d) if digits.len() < MAX_CODE_DIGITS => {
                digits.push(char::from(b'0' + d));
            }
            Cb::Digit(_) => return Ok(vec![answer(None)]),
            Cb::Backspace => {
                digits.pop();
            }
            _ => {
                if digits.is_empty() {
                    return Ok(vec![alert(t(lang, "login-code-empty"))]);
                }
                let Some(login) = &self.login else {
                    self.clear_awaiting(ctx).await?;
                    return Ok(vec![alert(t(lang, "login-unavailable"))]);
                };
                return match login.sign_in(ctx.id, &phone, &digits).await {
                    Ok(SignInStep::Done(signed_in)) => Ok(vec![
                        answer(None),
                        show(message_id, self.finish_login(ctx, &signed_in.label).await?),
                    ]),
                    Ok(SignInStep::PasswordRequired { hint }) => {
                        let screen = view::ask_password(lang, &phone, hint.as_deref());
                        self.set_awaiting(ctx, &Awaiting::Password { phone, hint })
                            .await?;
                        Ok(vec![answer(None), show(message_id, screen)])
                    }
                    Err(LoginError::InvalidCode) => {
                        let awaiting = Awaiting::Code {
                            phone: phone.clone(),
                            digits: String::new(),
                        };
                        self.set_awaiting(ctx, &awaiting).await?;
                        let error = view::login_error(lang, &LoginError::InvalidCode);
                        Ok(vec![
                            answer(None),
                            show(message_id, view::keypad(lang, &phone, "", Some(error))),
                        ])
                    }
                    Err(e) => {
                        // Expired code, flood wait, Telegram unreachable: this login is over
                        // (clearing the question cancels it).
                        self.clear_awaiting(ctx).await?;
                        let notice = view::login_error(lang, &e);
                        Ok(vec![
                            answer(None),
                            show(
                                message_id,
                                self.render(ctx, Screen::Accounts, Some(notice)).await?,
                            ),
                        ])
                    }
                };
            }
        }
        let awaiting = Awaiting::Code {
            phone: phone.clone(),
            digits: digits.clone(),
        };
        self.set_awaiting(ctx, &awaiting).await?;
        Ok(vec![
            answer(None),
            show(message_id, view::keypad(lang, &phone, &digits, None)),
        ])
    }

    async fn choose_language(&self, ctx: &Ctx, lang: Lang, message_id: Option<i32>) -> Step {
        self.store.set_language(ctx.id, Some(lang.code())).await?;
        let ctx = Ctx {
            id: ctx.id,
            lang,
            row: CustomerRow {
                language: Some(lang.code().to_string()),
                ..ctx.row.clone()
            },
        };
        let screen = self
            .render(&ctx, Screen::Main, Some(t(lang, "language-set")))
            .await?;
        Ok(match message_id {
            Some(_) => vec![answer(None), show(message_id, screen)],
            None => vec![Action::Send(screen)],
        })
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
                        ..
                    } => {
                        let groups = self.store.groups(customer_id).await?;
                        let group = groups.iter().find(|g| g.id == *group_id);
                        let (Some(account), Some(group)) = (label(*account_id), group) else {
                            return Ok(None);
                        };
                        t_args(
                            lang,
                            "notice-group-refused",
                            &Args::new()
                                .text("account", account)
                                .text("group", &group.reference)
                                .html("reason", view::reason(lang, reason)),
                        )
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
        let lang = ctx.lang;
        let running = self.running(ctx.id).await?;
        let plan = ctx.row.plan;
        let now_ms = self.engine.clock().wall_ms(tokio::time::Instant::now());
        let body = match screen {
            Screen::Main => view::main(lang, plan, running, now_ms),
            Screen::Message => {
                let timing = self.store.timing(ctx.id).await?;
                view::message(lang, timing.and_then(|t| t.message_html).as_deref())
            }
            Screen::Groups => view::groups(lang, &self.health(ctx.id, now_ms).await?, page),
            Screen::Accounts => view::accounts(
                lang,
                &self.health(ctx.id, now_ms).await?,
                match &self.login {
                    None => view::Logins::Unavailable,
                    Some(login) if login.imports_sessions() => view::Logins::PhoneOrSession,
                    Some(_) => view::Logins::Phone,
                },
                page,
            ),
            Screen::Timing | Screen::Preview => {
                let timing = self.store.timing(ctx.id).await?;
                let accounts = self.store.accounts(ctx.id).await?;
                let groups = self.store.groups(ctx.id).await?;
                let counts = view::Counts {
                    accounts: accounts
                        .iter()
                        .filter(|a| a.status == AccountStatus::Active)
                        .count(),
                    groups: groups
                        .iter()
                        .filter(|g| g.status == GroupStatus::Active)
                        .count(),
                };
                let settings = timing.map(|t| t.settings).unwrap_or_else(default_settings);
                if screen == Screen::Timing {
                    view::timing(lang, plan.map(|g| g.plan), &settings, counts)
                } else {
                    let labels: Vec<String> = accounts
                        .into_iter()
                        .filter(|a| a.status == AccountStatus::Active)
                        .map(|a| a.label)
                        .collect();
                    let anchor = match (running, self.engine.live(ctx.id)) {
                        (false, _) => view::Anchor::IfStartedAt(now_ms),
                        (true, Some(live)) => match live.next_cycle_ms {
                            Some(at) => view::Anchor::NextCycleAt(at),
                            None => view::Anchor::AfterCurrent,
                        },
                        (true, None) => view::Anchor::AfterCurrent,
                    };
                    view::preview(
                        lang,
                        plan.map(|g| g.plan),
                        &settings,
                        &labels,
                        counts.groups,
                        anchor,
                    )
                }
            }
            Screen::Status => view::status(
                lang,
                &view::StatusData {
                    running,
                    live: self.engine.live(ctx.id),
                    last: self.store.last_cycles(ctx.id).await?,
                    health: self.health(ctx.id, now_ms).await?,
                },
            ),
            Screen::Plan => view::plan(lang, plan, now_ms, &self.engine.catalog()),
            Screen::Language => view::language(lang),
        };
        Ok(match notice {
            Some(notice) => Screenful {
                text: format!("{notice}\n\n{}", body.text),
                keyboard: body.keyboard,
            },
            None => body,
        })
    }

    /// The customer's accounts and groups with the waits and refusals in force (from the
    /// store, so whichever engine recorded them).
    async fn health(&self, customer_id: i64, now_ms: i64) -> Result<view::Health, StoreError> {
        let accounts = self.store.accounts(customer_id).await?;
        let groups = self.store.groups(customer_id).await?;
        let account_waits = self.store.account_waits(customer_id).await?;
        let waits = accounts
            .iter()
            .map(|a| {
                account_waits
                    .iter()
                    .find(|(id, until)| *id == a.id && *until > now_ms)
                    .map(|(_, until)| *until)
            })
            .collect();
        let label = |id: i64| {
            accounts
                .iter()
                .find(|a| a.id == id)
                .map(|a| a.label.clone())
                .unwrap_or_default()
        };
        let mut notes = vec![Vec::new(); groups.len()];
        let index = |group_id: i64| groups.iter().position(|g| g.id == group_id);
        for block in self.store.pair_blocks(customer_id).await? {
            if let Some(i) = index(block.group_id) {
                notes[i].push((
                    label(block.account_id),
                    view::GroupNote::Refused(block.reason),
                ));
            }
        }
        for (account, group, until) in self.store.pair_waits(customer_id).await? {
            if let (Some(i), true) = (index(group), until > now_ms) {
                notes[i].push((label(account), view::GroupNote::SlowMode(until)));
            }
        }
        Ok(view::Health {
            accounts,
            waits,
            groups,
            notes,
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

    /// Cancels the customer's login in progress (as the question held it when this input
    /// arrived) unless the next question goes on with the same phone.
    async fn leave_login(&self, ctx: &Ctx, next_phone: Option<&str>) {
        let open = Awaiting::load(ctx.row.awaiting.as_deref());
        let Some(phone) = open.as_ref().and_then(Awaiting::login_phone) else {
            return;
        };
        if next_phone == Some(phone) {
            return;
        }
        if let Some(login) = &self.login {
            login.cancel(ctx.id, phone).await;
        }
    }
}

/// Asks to confirm removing `name` (an account or group of the customer's); "out of date"
/// when the id named nothing of theirs.
fn confirm_removal(
    lang: Lang,
    name: Option<&str>,
    key: &str,
    confirm: Cb,
    back: Screen,
    message_id: Option<i32>,
) -> Vec<Action> {
    let Some(name) = name else {
        return vec![out_of_date(lang)];
    };
    let text = t_args(lang, key, &Args::new().text("name", name));
    vec![
        answer(None),
        show(message_id, view::confirm_remove(lang, text, confirm, back)),
    ]
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
