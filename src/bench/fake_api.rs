//! A local stand-in for Telegram's Bot API, for the broadcast benchmark and for tests that
//! drive a real `autoposter run` process as customers would: it serves `getMe`,
//! `getUpdates` (a long poll with offsets, fed with the messages and button presses of
//! scripted users in private chats and in groups, and with the pre-checkout queries and
//! successful payments of the invoices they pay), `sendMessage`, `copyMessage`, `editMessageText`,
//! `sendInvoice`, `deleteMessage`, `answerCallbackQuery`, `answerPreCheckoutQuery`,
//! `setMyCommands` and the webhook calls teloxide makes at start, over HTTP/1.1 (hyper),
//! answering as Telegram does.
//!
//! Media: scripted users send photos, videos, animations and documents with captions (and
//! entities), albums (items sharing a `media_group_id`, in any order) and every other kind of
//! message a bot can receive (stickers, polls, voice notes, locations, contacts, …); the fake
//! serves `getFile` and the file download path (`/file/bot<token>/<path>`) with the bytes the
//! test chose (a file over 20 MB is refused as Telegram refuses it), and takes `sendPhoto`,
//! `sendVideo`, `sendAnimation`, `sendDocument` and `sendMediaGroup` as multipart requests,
//! checking each caption like a text (HTML, at most 1024 characters) and recording what was
//! sent ([`FakeBotApi::media_sent`]).
//!
//! Limits as Telegram keeps them, on every message (sent, copied, edited, invoice): beyond
//! `limit` a second overall (30 by default), one a second to a chat or 20 a minute to a
//! group, the answer is 429 with `retry_after`, and until that ends every message is
//! refused again and recorded as sent during a retry_after. Users told to have blocked the
//! bot answer 403. Each bot message is kept with its text and buttons, so edits behave as on
//! Telegram ("message is not modified", "message to edit not found", a keyboard dropped by
//! an edit without one) and a scripted user can press only a button the screen shows; the
//! users' own messages can be deleted by the bot, as in a private chat. Every text goes
//! through [`check_text`].

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Messages a second the fake accepts by default, as Telegram does for one bot.
pub const LIMIT_PER_SEC: usize = 30;
/// The bot's own user id (`getMe`).
pub const BOT_ID: i64 = 7_000_000_001;
/// The longest a long poll is held, whatever the bot asks (so a test's shutdown is quick).
const MAX_POLL: Duration = Duration::from_secs(2);

/// Every text the fake receives (message texts, edits, captions, invoice titles, callback
/// answers), with its `parse_mode`, passes here; an `Err` is answered as Telegram answers
/// a text it cannot parse ("Bad Request: can't parse entities: …") and recorded.
///
/// Texts sent in HTML parse mode are checked against Telegram's HTML rules
/// ([`crate::bot::html::check`]); other texts go as they are. `method` names the request in the
/// error.
pub fn check_text(method: &str, text: &str, parse_mode: Option<&str>) -> Result<(), String> {
    match parse_mode {
        Some(mode) if mode.eq_ignore_ascii_case("html") => {
            crate::bot::html::check(text).map_err(|e| format!("{method}: {e}"))
        }
        _ => Ok(()),
    }
}

/// A scripted user in a private chat with the bot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    pub id: i64,
    pub first_name: String,
    /// What their Telegram app says (`en`, `ru`, …).
    pub language_code: Option<String>,
}

impl Customer {
    pub fn new(id: i64, language_code: Option<&str>) -> Customer {
        Customer {
            id,
            first_name: format!("Customer {id}"),
            language_code: language_code.map(str::to_string),
        }
    }

    fn user_json(&self) -> Value {
        let mut user = json!({"id": self.id, "is_bot": false, "first_name": self.first_name});
        if let Some(lang) = &self.language_code {
            user["language_code"] = json!(lang);
        }
        user
    }
}

/// A message the bot has in a chat, as it stands now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    pub message_id: i64,
    pub text: String,
    pub parse_mode: Option<String>,
    /// Inline buttons, row by row: (label, callback data).
    pub buttons: Vec<Vec<(String, String)>>,
    /// How many times it was edited.
    pub edits: u32,
    /// The raw `reply_markup`, to compare edits with.
    markup: Value,
    date: i64,
}

impl Shown {
    /// Every button's label, in order.
    pub fn labels(&self) -> Vec<&str> {
        self.buttons
            .iter()
            .flatten()
            .map(|(label, _)| label.as_str())
            .collect()
    }
}

/// An invoice the bot sent (`sendInvoice`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invoice {
    pub chat: i64,
    pub message_id: i64,
    pub title: String,
    pub payload: String,
    pub currency: String,
    /// The sum of its prices.
    pub total_amount: u64,
}

/// A pre-checkout query the fake asked, waiting for the bot's answer.
#[derive(Clone, Debug)]
struct Checkout {
    customer: Customer,
    payload: String,
    currency: String,
    total_amount: u64,
}

impl Checkout {
    fn new(customer: &Customer, payload: &str, currency: &str, total_amount: u64) -> Checkout {
        Checkout {
            customer: customer.clone(),
            payload: payload.to_string(),
            currency: currency.to_string(),
            total_amount,
        }
    }
}

/// A message request that arrived while a 429's retry_after was in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub method: String,
    pub chat: i64,
    /// How long before the retry_after's end it came.
    pub early: Duration,
}

/// What the fake saw, for a test's assertions.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// 429 answers, 403 answers.
    pub too_many: u64,
    pub forbidden: u64,
    /// Message requests sent while a retry_after was in force.
    pub during_retry_after: Vec<Violation>,
    /// The most messages accepted within any one second.
    pub busiest_second: usize,
    /// Texts refused by [`check_text`] (method, error).
    pub refused_texts: Vec<(String, String)>,
    /// Methods the fake does not serve, as called.
    pub unknown_methods: Vec<String>,
    /// Button presses answered more than once, or never answered.
    pub answered_twice: Vec<String>,
    pub unanswered: Vec<String>,
}

#[derive(Default)]
struct State {
    blocked: HashSet<i64>,
    limit: usize,
    /// When each recent message was accepted (the last second).
    window: VecDeque<Instant>,
    /// When the last message to each chat was accepted.
    last_to_chat: HashMap<i64, Instant>,
    /// Each group's messages in the last minute.
    group_window: HashMap<i64, VecDeque<Instant>>,
    /// The end of the retry_after in force.
    frozen_until: Option<Instant>,
    violations: Vec<Violation>,
    /// (chat, when) of every message sent or copied, in order.
    delivered: Vec<(i64, Instant)>,
    /// When each message was accepted (sent, copied, edited, invoice), in order.
    accepted: Vec<Instant>,
    too_many: u64,
    forbidden: u64,
    next_message_id: i64,
    /// (chat, message id) → what the bot shows there.
    messages: BTreeMap<(i64, i64), Shown>,
    /// (chat, message id) of the users' text messages still in their chats.
    user_messages: HashSet<(i64, i64)>,
    /// (chat, message id) of the users' messages the bot deleted, in order.
    deleted_user_messages: Vec<(i64, i64)>,
    customers: HashMap<i64, Customer>,
    /// Updates not yet confirmed by an offset.
    updates: VecDeque<(i64, Value)>,
    next_update_id: i64,
    next_query_id: u64,
    /// Button presses: query id → times answered, the last answer's text and whether it
    /// was an alert.
    answers: BTreeMap<String, (u32, Option<String>, bool)>,
    pre_checkout_answers: Vec<(String, bool)>,
    /// Invoices sent, in order.
    invoices: Vec<Invoice>,
    /// Pre-checkout queries not answered yet: query id → what pays it.
    checkouts: HashMap<String, Checkout>,
    /// Successful payments delivered: (customer, its `successful_payment`).
    payments: Vec<(i64, Value)>,
    next_charge: u64,
    refused_texts: Vec<(String, String)>,
    unknown_methods: Vec<String>,
    set_my_commands: u32,
    polls: u64,
    /// Files users sent: file id → what getFile and the download serve.
    files: HashMap<String, FakeFile>,
    next_file: u64,
    /// getFile calls and downloads, by file id, in order.
    get_file_calls: Vec<String>,
    downloads: Vec<String>,
    /// Media the bot sent, in order.
    media_sent: Vec<SentMedia>,
    /// forwardMessage and copyMessage calls: (method, chat, from chat, message id).
    passed_on: Vec<(String, i64, i64, i64)>,
}

/// A file a scripted user sent, as the fake serves it.
#[derive(Clone, Debug)]
struct FakeFile {
    /// The user who sent it.
    owner: i64,
    bytes: Vec<u8>,
    unavailable: bool,
    /// The size the message and getFile state.
    size: u64,
    path: String,
}

struct Shared {
    state: Mutex<State>,
    /// Bumped on each new update (wakes long polls).
    updates: watch::Sender<u64>,
}

/// The kinds of file a scripted user can send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Photo,
    Video,
    Animation,
    Document,
}

/// A file a scripted user sends, with its caption.
#[derive(Clone, Debug)]
pub struct Attachment {
    pub kind: FileKind,
    pub bytes: Vec<u8>,
    /// The size the message states (`None`: the bytes' length). A test of a file too big for
    /// a bot states its size without sending that many bytes.
    pub stated_size: Option<u64>,
    pub name: Option<String>,
    pub mime: Option<String>,
    pub caption: Option<String>,
    /// The caption's entities as the Bot API gives them (a JSON array), if any.
    pub caption_entities: Option<Value>,
    /// getFile refuses the file (as for a file Telegram no longer has).
    pub unavailable: bool,
}

impl Attachment {
    pub fn new(kind: FileKind, bytes: Vec<u8>) -> Attachment {
        Attachment {
            kind,
            bytes,
            stated_size: None,
            name: None,
            mime: None,
            caption: None,
            caption_entities: None,
            unavailable: false,
        }
    }

    /// With a caption and its entities (a JSON array of Bot API entities).
    pub fn caption(mut self, caption: &str, entities: Value) -> Attachment {
        self.caption = Some(caption.to_string());
        self.caption_entities = Some(entities);
        self
    }

    /// Named, with a MIME type.
    pub fn named(mut self, name: &str, mime: &str) -> Attachment {
        self.name = Some(name.to_string());
        self.mime = Some(mime.to_string());
        self
    }
}

/// One file of a media message the bot sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentFile {
    /// `photo`, `video`, `animation` or `document`.
    pub kind: String,
    pub bytes: Vec<u8>,
    pub file_name: Option<String>,
    pub caption: Option<String>,
    pub parse_mode: Option<String>,
}

/// A media message (or album) the bot sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentMedia {
    pub chat: i64,
    /// `sendphoto`, `sendvideo`, `sendanimation`, `senddocument` or `sendmediagroup`.
    pub method: String,
    pub files: Vec<SentFile>,
}

/// The Bot API JSON of a message of another kind (a sticker, a poll, …), by its name:
/// `sticker`, `poll`, `voice`, `video_note`, `audio`, `location`, `venue`, `contact`,
/// `dice`. Panics on another name.
pub fn other_message(kind: &str) -> Value {
    let file =
        |id: &str| json!({"file_id": id, "file_unique_id": format!("u{id}"), "file_size": 1000});
    match kind {
        "sticker" => {
            let mut f = file("stk");
            f["type"] = json!("regular");
            f["width"] = json!(512);
            f["height"] = json!(512);
            f["is_animated"] = json!(false);
            f["is_video"] = json!(false);
            f["emoji"] = json!("😀");
            json!({ "sticker": f })
        }
        "poll" => json!({"poll": {
            "id": "poll1", "question": "Lunch?",
            "options": [{"text": "Yes", "voter_count": 0}, {"text": "No", "voter_count": 0}],
            "is_closed": false, "total_voter_count": 0, "is_anonymous": true,
            "type": "regular", "allows_multiple_answers": false,
        }}),
        "voice" => {
            let mut f = file("voice");
            f["duration"] = json!(3);
            f["mime_type"] = json!("audio/ogg");
            json!({ "voice": f })
        }
        "video_note" => {
            let mut f = file("vnote");
            f["length"] = json!(240);
            f["duration"] = json!(5);
            json!({ "video_note": f })
        }
        "audio" => {
            let mut f = file("audio");
            f["duration"] = json!(100);
            f["mime_type"] = json!("audio/mpeg");
            f["title"] = json!("Song");
            json!({ "audio": f })
        }
        "location" => json!({"location": {"latitude": 55.75, "longitude": 37.61}}),
        "venue" => json!({
            "venue": {"location": {"latitude": 55.75, "longitude": 37.61},
                      "title": "Cafe", "address": "Main st 1"},
            "location": {"latitude": 55.75, "longitude": 37.61},
        }),
        "contact" => json!({"contact": {"phone_number": "+15550001", "first_name": "Ann"}}),
        "dice" => json!({"dice": {"emoji": "🎲", "value": 3}}),
        other => panic!("no such kind of message: {other}"),
    }
}

impl FakeBotApi {
    /// `customer` sends `file` (a message of its own); returns its message id.
    pub fn send_file(&self, customer: &Customer, file: &Attachment) -> i64 {
        let mut s = self.state();
        s.customers.insert(customer.id, customer.clone());
        let id = s.next_message_id;
        s.next_message_id += 1;
        let message = file_message(&mut s, customer, id, file, None);
        push_update(&self.shared, &mut s, json!({ "message": message }));
        id
    }

    /// `customer` sends an album: `files` in this order (message ids ascending), delivered
    /// to the bot in the order `delivery` gives (indices into `files`), all sharing
    /// `group_id`. Returns the message ids.
    pub fn send_album(
        &self,
        customer: &Customer,
        group_id: &str,
        files: &[Attachment],
        delivery: &[usize],
    ) -> Vec<i64> {
        let mut s = self.state();
        s.customers.insert(customer.id, customer.clone());
        let first = s.next_message_id;
        s.next_message_id += files.len() as i64;
        for &i in delivery {
            let message = file_message(
                &mut s,
                customer,
                first + i as i64,
                &files[i],
                Some(group_id),
            );
            push_update(&self.shared, &mut s, json!({ "message": message }));
        }
        (0..files.len() as i64).map(|i| first + i).collect()
    }

    /// `customer` sends a message of another kind ([`other_message`]'s JSON merged into the
    /// message); returns its message id.
    pub fn send_other(&self, customer: &Customer, content: Value) -> i64 {
        let mut s = self.state();
        s.customers.insert(customer.id, customer.clone());
        let id = s.next_message_id;
        s.next_message_id += 1;
        let mut message = json!({
            "message_id": id,
            "date": unix_now(),
            "chat": private_chat(customer),
            "from": customer.user_json(),
        });
        if let (Some(m), Some(extra)) = (message.as_object_mut(), content.as_object()) {
            for (k, v) in extra {
                m.insert(k.clone(), v.clone());
            }
        }
        push_update(&self.shared, &mut s, json!({ "message": message }));
        id
    }

    /// The media messages the bot sent to `chat`, oldest first.
    pub fn media_sent(&self, chat: i64) -> Vec<SentMedia> {
        (self.state().media_sent.iter())
            .filter(|m| m.chat == chat)
            .cloned()
            .collect()
    }

    /// How many times the bot asked getFile for files `user` sent, and downloaded one.
    pub fn file_requests(&self, user: i64) -> (usize, usize) {
        let s = self.state();
        let of = |ids: &Vec<String>| {
            (ids.iter())
                .filter(|id| s.files.get(*id).is_some_and(|f| f.owner == user))
                .count()
        };
        (of(&s.get_file_calls), of(&s.downloads))
    }
}

/// A user's message carrying `file` (registered for getFile and the download).
fn file_message(
    s: &mut State,
    customer: &Customer,
    message_id: i64,
    file: &Attachment,
    group: Option<&str>,
) -> Value {
    s.next_file += 1;
    let file_id = format!("file{}", s.next_file);
    let size = file.stated_size.unwrap_or(file.bytes.len() as u64);
    s.files.insert(
        file_id.clone(),
        FakeFile {
            owner: customer.id,
            bytes: file.bytes.clone(),
            unavailable: file.unavailable,
            size,
            path: format!("files/{file_id}.bin"),
        },
    );
    s.user_messages.insert((customer.id, message_id));
    let mut meta =
        json!({"file_id": file_id, "file_unique_id": format!("u{file_id}"), "file_size": size});
    if let Some(name) = &file.name {
        meta["file_name"] = json!(name);
    }
    // Telegram states a video's and an animation's type (teloxide needs it to parse them).
    let mime = file.mime.clone().or_else(|| {
        matches!(file.kind, FileKind::Video | FileKind::Animation).then(|| "video/mp4".into())
    });
    if let Some(mime) = mime {
        meta["mime_type"] = json!(mime);
    }
    let mut message = json!({
        "message_id": message_id,
        "date": unix_now(),
        "chat": private_chat(customer),
        "from": customer.user_json(),
    });
    match file.kind {
        FileKind::Photo => {
            // Telegram sends each size; the bot must take the largest.
            let mut small = json!({"file_id": format!("{file_id}-thumb"),
                "file_unique_id": format!("u{file_id}-thumb"), "file_size": 100,
                "width": 90, "height": 60});
            small["file_size"] = json!(100);
            let mut large = meta.clone();
            large.as_object_mut().expect("object").remove("file_name");
            large.as_object_mut().expect("object").remove("mime_type");
            large["width"] = json!(1280);
            large["height"] = json!(853);
            message["photo"] = json!([small, large]);
        }
        FileKind::Video => {
            let mut v = meta.clone();
            v["width"] = json!(1280);
            v["height"] = json!(720);
            v["duration"] = json!(10);
            message["video"] = v;
        }
        FileKind::Animation => {
            let mut a = meta.clone();
            a["width"] = json!(320);
            a["height"] = json!(240);
            a["duration"] = json!(3);
            message["animation"] = a;
            message["document"] = meta.clone();
        }
        FileKind::Document => message["document"] = meta.clone(),
    }
    if let Some(caption) = &file.caption {
        message["caption"] = json!(caption);
        if let Some(entities) = &file.caption_entities {
            message["caption_entities"] = entities.clone();
        }
    }
    if let Some(group) = group {
        message["media_group_id"] = json!(group);
    }
    message
}

/// A running fake Bot API; dropped, it keeps serving until the runtime ends.
#[derive(Clone)]
pub struct FakeBotApi {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl FakeBotApi {
    /// Starts on a free local port, accepting [`LIMIT_PER_SEC`]; `blocked` users answer 403.
    pub async fn start(blocked: impl IntoIterator<Item = i64>) -> std::io::Result<FakeBotApi> {
        FakeBotApi::start_with(blocked, LIMIT_PER_SEC).await
    }

    /// Starts accepting `limit` messages a second.
    pub async fn start_with(
        blocked: impl IntoIterator<Item = i64>,
        limit: usize,
    ) -> std::io::Result<FakeBotApi> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                blocked: blocked.into_iter().collect(),
                limit,
                next_message_id: 1,
                next_update_id: 1,
                ..State::default()
            }),
            updates: watch::channel(0).0,
        });
        let api = FakeBotApi {
            addr: listener.local_addr()?,
            shared: shared.clone(),
        };
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, shared.clone()));
            }
        });
        Ok(api)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().expect("fake lock")
    }

    /// The URL to give teloxide (`Bot::set_api_url`, `TELOXIDE_API_URL`).
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// (chat, when) of every message sent or copied, in order.
    pub fn delivered(&self) -> Vec<(i64, Instant)> {
        self.state().delivered.clone()
    }

    /// How many requests got 429 and 403.
    pub fn refusals(&self) -> (u64, u64) {
        let s = self.state();
        (s.too_many, s.forbidden)
    }

    /// From now on `user` has blocked the bot (403).
    pub fn block(&self, user: i64) {
        self.state().blocked.insert(user);
    }

    /// `customer` sends `text` to the bot (a command gets its `bot_command` entity).
    pub fn say(&self, customer: &Customer, text: &str) {
        let mut s = self.state();
        s.customers.insert(customer.id, customer.clone());
        push_text(&self.shared, &mut s, customer, private_chat(customer), text);
    }

    /// `customer` forwards to the bot message `message_id` of a channel (`username` without
    /// the @, if public) as a text message showing `text`; returns its id in their chat.
    pub fn forward_from_channel(
        &self,
        customer: &Customer,
        channel: (i64, Option<&str>, &str),
        message_id: i64,
        text: &str,
    ) -> i64 {
        let mut s = self.state();
        s.customers.insert(customer.id, customer.clone());
        let id = s.next_message_id;
        s.next_message_id += 1;
        let message = json!({
            "message_id": id,
            "date": unix_now(),
            "chat": private_chat(customer),
            "from": customer.user_json(),
            "text": text,
            "forward_origin": channel_origin(channel, message_id),
        });
        push_update(&self.shared, &mut s, json!({ "message": message }));
        id
    }

    /// `customer` forwards to the bot an album of photos, messages `message_ids` of a channel:
    /// one update per message, sharing a media group id, in the order given; returns their
    /// ids in the customer's chat.
    pub fn forward_album_from_channel(
        &self,
        customer: &Customer,
        channel: (i64, Option<&str>, &str),
        message_ids: &[i64],
    ) -> Vec<i64> {
        let mut s = self.state();
        s.customers.insert(customer.id, customer.clone());
        let group = format!("album-{}", s.next_message_id);
        let mut ids = Vec::new();
        for (i, message_id) in message_ids.iter().enumerate() {
            let id = s.next_message_id;
            s.next_message_id += 1;
            let mut message = json!({
                "message_id": id,
                "date": unix_now(),
                "chat": private_chat(customer),
                "from": customer.user_json(),
                "media_group_id": group,
                "photo": [{"file_id": format!("photo-{id}"), "file_unique_id": format!("u{id}"),
                           "width": 800, "height": 600, "file_size": 1000}],
                "forward_origin": channel_origin(channel, *message_id),
            });
            if i == 0 {
                message["caption"] = json!("album caption");
            }
            push_update(&self.shared, &mut s, json!({ "message": message }));
            ids.push(id);
        }
        ids
    }

    /// The bot's forwardMessage(s) and copyMessage(s) calls, one row per message: (method in
    /// the singular, chat, from chat, message id).
    pub fn passed_on(&self) -> Vec<(String, i64, i64, i64)> {
        self.state().passed_on.clone()
    }

    /// `customer` sends `text` in the group `group` (a negative id) that the bot was added
    /// to (a command gets its `bot_command` entity).
    pub fn say_in_group(&self, customer: &Customer, group: i64, text: &str) {
        let mut s = self.state();
        push_text(&self.shared, &mut s, customer, group_chat(group), text);
    }

    /// `customer` adds the bot to the group `group`: the service message Telegram sends.
    pub fn add_bot_to_group(&self, customer: &Customer, group: i64) {
        let mut s = self.state();
        let message_id = s.next_message_id;
        s.next_message_id += 1;
        let message = json!({
            "message_id": message_id,
            "date": unix_now(),
            "chat": group_chat(group),
            "from": customer.user_json(),
            "new_chat_members": [bot_user()],
        });
        push_update(&self.shared, &mut s, json!({ "message": message }));
    }

    /// The invoices the bot sent to `chat`, oldest first.
    pub fn invoices(&self, chat: i64) -> Vec<Invoice> {
        self.state()
            .invoices
            .iter()
            .filter(|i| i.chat == chat)
            .cloned()
            .collect()
    }

    /// `customer` pays `invoice` as Telegram's app does: a pre-checkout query with the
    /// invoice's payload and amount; when the bot answers it ok, the successful payment
    /// follows (a new charge id). Returns the query's id.
    pub fn pay(&self, customer: &Customer, invoice: &Invoice) -> String {
        self.checkout(
            customer,
            &invoice.payload,
            &invoice.currency,
            invoice.total_amount,
        )
    }

    /// A pre-checkout query for whatever payload and amount (a forged or outdated invoice);
    /// paid as [`FakeBotApi::pay`] says if the bot approves it. Returns the query's id.
    pub fn checkout(
        &self,
        customer: &Customer,
        payload: &str,
        currency: &str,
        total_amount: u64,
    ) -> String {
        let mut s = self.state();
        s.customers.insert(customer.id, customer.clone());
        s.next_query_id += 1;
        let id = format!("pcq{}", s.next_query_id);
        let checkout = Checkout::new(customer, payload, currency, total_amount);
        s.checkouts.insert(id.clone(), checkout);
        let query = json!({
            "id": id,
            "from": customer.user_json(),
            "currency": currency,
            "total_amount": total_amount,
            "invoice_payload": payload,
        });
        push_update(&self.shared, &mut s, json!({ "pre_checkout_query": query }));
        id
    }

    /// A successful payment nobody approved (Telegram never sends one; a test of what the bot
    /// does if it came anyway). Returns its charge id.
    pub fn forge_payment(
        &self,
        customer: &Customer,
        payload: &str,
        currency: &str,
        total_amount: u64,
    ) -> String {
        let mut s = self.state();
        s.customers.insert(customer.id, customer.clone());
        let checkout = Checkout::new(customer, payload, currency, total_amount);
        push_payment(&self.shared, &mut s, &checkout)
    }

    /// The successful payments delivered so far: (customer, charge id, payload).
    pub fn payments(&self) -> Vec<(i64, String, String)> {
        self.state()
            .payments
            .iter()
            .map(|(customer, p)| {
                (
                    *customer,
                    p["telegram_payment_charge_id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    p["invoice_payload"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .collect()
    }

    /// Delivers the successful payment with `charge_id` once more (Telegram may deliver an
    /// update twice, e.g. when the bot restarts before confirming it).
    pub fn deliver_payment_again(&self, charge_id: &str) {
        let mut s = self.state();
        let Some((customer, payment)) = s
            .payments
            .iter()
            .find(|(_, p)| p["telegram_payment_charge_id"] == charge_id)
            .cloned()
        else {
            panic!("no payment {charge_id}");
        };
        let customer = s.customers[&customer].clone();
        push_payment_message(&self.shared, &mut s, &customer, payment);
    }

    /// `customer` presses the button labelled `label` on the newest bot message in their
    /// chat that shows one; an error (naming the buttons there are) when no screen does.
    /// Returns the press's query id (see [`FakeBotApi::answer_to`]).
    pub fn press(&self, customer: &Customer, label: &str) -> Result<String, String> {
        let mut s = self.state();
        let found = s
            .messages
            .range((customer.id, i64::MIN)..=(customer.id, i64::MAX))
            .rev()
            .find_map(|(_, shown)| {
                shown
                    .buttons
                    .iter()
                    .flatten()
                    .find(|(l, _)| l == label)
                    .map(|(_, data)| (shown.clone(), data.clone()))
            });
        let Some((shown, data)) = found else {
            let screens: Vec<Vec<&str>> = s
                .messages
                .range((customer.id, i64::MIN)..=(customer.id, i64::MAX))
                .map(|(_, m)| m.labels())
                .collect();
            return Err(format!(
                "no button {label:?} on screen; buttons: {screens:?}"
            ));
        };
        s.customers.insert(customer.id, customer.clone());
        s.next_query_id += 1;
        let id = format!("q{}", s.next_query_id);
        s.answers.insert(id.clone(), (0, None, false));
        let query = json!({
            "id": id,
            "from": customer.user_json(),
            "message": message_json(customer.id, &shown, &s.customers),
            "chat_instance": format!("ci{}", customer.id),
            "data": data,
        });
        push_update(&self.shared, &mut s, json!({ "callback_query": query }));
        Ok(id)
    }

    /// How the bot answered the button press `query`: its text and whether it was an alert;
    /// `None` while it is unanswered.
    pub fn answer_to(&self, query: &str) -> Option<(Option<String>, bool)> {
        match self.state().answers.get(query) {
            Some((n, text, alert)) if *n > 0 => Some((text.clone(), *alert)),
            _ => None,
        }
    }

    /// What the bot shows in `chat` now, oldest first.
    pub fn chat(&self, chat: i64) -> Vec<Shown> {
        self.state()
            .messages
            .range((chat, i64::MIN)..=(chat, i64::MAX))
            .map(|(_, m)| m.clone())
            .collect()
    }

    /// The newest bot message in `chat`.
    pub fn last(&self, chat: i64) -> Option<Shown> {
        self.chat(chat).pop()
    }

    /// How many messages the bot sent or copied to `chat`.
    pub fn sent_to(&self, chat: i64) -> usize {
        self.state()
            .delivered
            .iter()
            .filter(|(c, _)| *c == chat)
            .count()
    }

    /// How many of `chat`'s own messages (what the user typed) the bot deleted.
    pub fn deleted_user_messages(&self, chat: i64) -> usize {
        self.state()
            .deleted_user_messages
            .iter()
            .filter(|(c, _)| *c == chat)
            .count()
    }

    /// How many `getUpdates` calls came.
    pub fn polls(&self) -> u64 {
        self.state().polls
    }

    /// How many times `setMyCommands` was called.
    pub fn commands_set(&self) -> u32 {
        self.state().set_my_commands
    }

    /// The answers to pre-checkout queries: (query id, ok).
    pub fn pre_checkout_answers(&self) -> Vec<(String, bool)> {
        self.state().pre_checkout_answers.clone()
    }

    /// Everything a test checks at the end.
    pub fn report(&self) -> Report {
        let s = self.state();
        let mut busiest = 0;
        let mut start = 0;
        let at = &s.accepted;
        for (end, t) in at.iter().enumerate() {
            while t.duration_since(at[start]) >= Duration::from_secs(1) {
                start += 1;
            }
            busiest = busiest.max(end - start + 1);
        }
        Report {
            too_many: s.too_many,
            forbidden: s.forbidden,
            during_retry_after: s.violations.clone(),
            busiest_second: busiest,
            refused_texts: s.refused_texts.clone(),
            unknown_methods: s.unknown_methods.clone(),
            answered_twice: s
                .answers
                .iter()
                .filter(|(_, (n, _, _))| *n > 1)
                .map(|(id, _)| id.clone())
                .collect(),
            unanswered: s
                .answers
                .iter()
                .filter(|(_, (n, _, _))| *n == 0)
                .map(|(id, _)| id.clone())
                .collect(),
        }
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A message's `forward_origin` naming message `message_id` of a channel (id, username if
/// public, title).
fn channel_origin(channel: (i64, Option<&str>, &str), message_id: i64) -> Value {
    let (channel_id, username, title) = channel;
    let mut chat = json!({"id": channel_id, "type": "channel", "title": title});
    if let Some(username) = username {
        chat["username"] = json!(username);
    }
    json!({"type": "channel", "date": unix_now(), "chat": chat, "message_id": message_id})
}

fn private_chat(customer: &Customer) -> Value {
    json!({"id": customer.id, "type": "private", "first_name": customer.first_name})
}

fn group_chat(group: i64) -> Value {
    json!({"id": group, "type": "group", "title": "Group"})
}

fn chat_json(chat: i64, customers: &HashMap<i64, Customer>) -> Value {
    match customers.get(&chat) {
        Some(c) => private_chat(c),
        None if chat < 0 => group_chat(chat),
        None => json!({"id": chat, "type": "private", "first_name": "Customer"}),
    }
}

fn bot_user() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": "Autoposter", "username": "autoposter_bot"})
}

/// A bot message as the Bot API returns one.
fn message_json(chat: i64, shown: &Shown, customers: &HashMap<i64, Customer>) -> Value {
    let mut m = json!({
        "message_id": shown.message_id,
        "date": shown.date,
        "chat": chat_json(chat, customers),
        "from": bot_user(),
        "text": shown.text,
    });
    if !shown.markup.is_null() {
        m["reply_markup"] = shown.markup.clone();
    }
    if shown.edits > 0 {
        m["edit_date"] = json!(unix_now());
    }
    m
}

fn push_update(shared: &Shared, s: &mut State, mut update: Value) {
    let id = s.next_update_id;
    s.next_update_id += 1;
    update["update_id"] = json!(id);
    s.updates.push_back((id, update));
    shared.updates.send_modify(|n| *n += 1);
}

/// A text message from `customer` in `chat` (a command gets its `bot_command` entity).
fn push_text(shared: &Shared, s: &mut State, customer: &Customer, chat: Value, text: &str) {
    let message_id = s.next_message_id;
    s.next_message_id += 1;
    let chat_id = chat["id"].as_i64().unwrap_or_default();
    s.user_messages.insert((chat_id, message_id));
    let mut message = json!({
        "message_id": message_id,
        "date": unix_now(),
        "chat": chat,
        "from": customer.user_json(),
        "text": text,
    });
    if text.starts_with('/') {
        let command = text.split_whitespace().next().unwrap_or(text);
        message["entities"] = json!([{
            "type": "bot_command", "offset": 0,
            "length": command.encode_utf16().count(),
        }]);
    }
    push_update(shared, s, json!({ "message": message }));
}

/// A successful payment for `paid`, with a new charge id (returned).
fn push_payment(shared: &Shared, s: &mut State, paid: &Checkout) -> String {
    s.next_charge += 1;
    let charge_id = format!("charge-{}", s.next_charge);
    let payment = json!({
        "currency": paid.currency,
        "total_amount": paid.total_amount,
        "invoice_payload": paid.payload,
        "telegram_payment_charge_id": charge_id,
        "provider_payment_charge_id": "",
    });
    s.payments.push((paid.customer.id, payment.clone()));
    push_payment_message(shared, s, &paid.customer, payment);
    charge_id
}

/// The service message that carries a successful payment into the customer's chat.
fn push_payment_message(shared: &Shared, s: &mut State, customer: &Customer, payment: Value) {
    let message_id = s.next_message_id;
    s.next_message_id += 1;
    let message = json!({
        "message_id": message_id,
        "date": unix_now(),
        "chat": private_chat(customer),
        "from": customer.user_json(),
        "successful_payment": payment,
    });
    push_update(shared, s, json!({ "message": message }));
}

/// The (label, data) rows of an inline keyboard.
fn buttons(markup: &Value) -> Vec<Vec<(String, String)>> {
    markup["inline_keyboard"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    row.as_array()
                        .into_iter()
                        .flatten()
                        .map(|b| {
                            let label = b["text"].as_str().unwrap_or_default().to_string();
                            let data = b["callback_data"].as_str().unwrap_or_default();
                            (label, data.to_string())
                        })
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One connection, kept alive: each request answered by [`answer`] (a long poll by
/// [`get_updates`]).
async fn serve(stream: TcpStream, shared: Arc<Shared>) {
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let shared = shared.clone();
        async move {
            // Telegram's method names are case-insensitive (teloxide writes `SendMessage`).
            let path = req.uri().path().to_string();
            let method = path
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let content_type = (req.headers().get("content-type"))
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let body = req.into_body().collect().await?.to_bytes();
            // `…/file/bot<token>/<file path>` (teloxide percent-encodes the path's slashes).
            if let Some(at) = path.find("/file/bot") {
                let file_path = percent_decode(&path[at + "/file/".len()..]);
                return Ok::<_, hyper::Error>(download(&shared, &file_path));
            }
            let (request, uploads) = match boundary(&content_type) {
                Some(boundary) => multipart(&body, &boundary),
                None => (
                    serde_json::from_slice(&body).unwrap_or_default(),
                    HashMap::new(),
                ),
            };
            let (status, reply) = if method == "getupdates" {
                get_updates(&shared, &request).await
            } else if method.starts_with("send") && MEDIA_METHODS.contains(&method.as_str()) {
                send_media(&shared, &method, &request, &uploads)
            } else {
                answer(&shared, &method, &request)
            };
            Ok::<_, hyper::Error>(
                Response::builder()
                    .status(status)
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from(reply.to_string())))
                    .expect("a valid response"),
            )
        }
    });
    let io = hyper_util::rt::TokioIo::new(stream);
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(io, service)
        .await;
}

/// `getUpdates`: confirms the updates before `offset`, then answers those after it, waiting
/// up to `timeout` seconds (at most [`MAX_POLL`]) for one to come.
async fn get_updates(shared: &Shared, request: &Value) -> (StatusCode, Value) {
    let offset = request["offset"].as_i64().unwrap_or(0);
    let limit = request["limit"].as_u64().unwrap_or(100) as usize;
    let timeout = Duration::from_secs(request["timeout"].as_u64().unwrap_or(0)).min(MAX_POLL);
    let deadline = tokio::time::Instant::now() + timeout;
    let mut changes = shared.updates.subscribe();
    shared.state.lock().expect("fake lock").polls += 1;
    loop {
        {
            let mut s = shared.state.lock().expect("fake lock");
            while s.updates.front().is_some_and(|(id, _)| *id < offset) {
                s.updates.pop_front();
            }
            if !s.updates.is_empty() {
                let batch: Vec<Value> = s
                    .updates
                    .iter()
                    .take(limit)
                    .map(|(_, u)| u.clone())
                    .collect();
                return (StatusCode::OK, json!({"ok": true, "result": batch}));
            }
        }
        match tokio::time::timeout_at(deadline, changes.changed()).await {
            Ok(Ok(())) => {}
            _ => return (StatusCode::OK, json!({"ok": true, "result": []})),
        }
    }
}

/// The send methods that carry files.
const MEDIA_METHODS: [&str; 5] = [
    "sendphoto",
    "sendvideo",
    "sendanimation",
    "senddocument",
    "sendmediagroup",
];

/// The longest caption a bot may send (characters after entity parsing).
const CAPTION_MAX: usize = 1024;

/// The most a bot may download (getFile).
const DOWNLOAD_MAX: u64 = 20 * 1024 * 1024;

/// A multipart request's files by part name: (file name, bytes).
type Uploads = HashMap<String, (Option<String>, Vec<u8>)>;

/// `multipart/form-data; boundary=…` → the boundary.
fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim_matches('"').to_string())
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    (from..=hay.len().checked_sub(needle.len())?).find(|&i| &hay[i..i + needle.len()] == needle)
}

/// A multipart/form-data body: its text fields as a JSON object (a field holding JSON, such
/// as `media` or `reply_markup`, parsed; `chat_id` as a number), and its file parts by name
/// as (file name, bytes).
fn multipart(body: &[u8], boundary: &str) -> (Value, Uploads) {
    let mut fields = serde_json::Map::new();
    let mut files = HashMap::new();
    let delimiter = format!("--{boundary}").into_bytes();
    let mut at = match find(body, &delimiter, 0) {
        Some(i) => i + delimiter.len(),
        None => return (Value::Object(fields), files),
    };
    loop {
        if body[at..].starts_with(b"--") {
            break;
        }
        let start = at + 2; // CRLF after the delimiter
        let Some(head_end) = find(body, b"\r\n\r\n", start) else {
            break;
        };
        let head = String::from_utf8_lossy(&body[start..head_end]).to_string();
        let data_start = head_end + 4;
        let mut end_marker = b"\r\n".to_vec();
        end_marker.extend_from_slice(&delimiter);
        let Some(data_end) = find(body, &end_marker, data_start) else {
            break;
        };
        let data = &body[data_start..data_end];
        let param = |name: &str| {
            let key = format!("{name}=\"");
            let i = head.find(&key)? + key.len();
            let j = head[i..].find('"')? + i;
            Some(head[i..j].to_string())
        };
        if let Some(name) = param("name") {
            match param("filename") {
                Some(file_name) => {
                    files.insert(name, (Some(file_name), data.to_vec()));
                }
                None if head
                    .to_ascii_lowercase()
                    .contains("content-type: application/octet") =>
                {
                    files.insert(name, (None, data.to_vec()));
                }
                None => {
                    let text = String::from_utf8_lossy(data).to_string();
                    let value = match name.as_str() {
                        "chat_id" | "message_thread_id" => text
                            .parse::<i64>()
                            .map(Value::from)
                            .unwrap_or(Value::String(text)),
                        "media" | "reply_markup" | "caption_entities" | "reply_parameters" => {
                            serde_json::from_str(&text).unwrap_or(Value::String(text))
                        }
                        _ => Value::String(text),
                    };
                    fields.insert(name, value);
                }
            }
        }
        at = data_end + end_marker.len();
    }
    (Value::Object(fields), files)
}

/// `%2F` and the like decoded.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'%')
            .then(|| s.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The file download path: `bot<token>/<file path>`.
fn download(shared: &Shared, path: &str) -> Response<Full<Bytes>> {
    let mut s = shared.state.lock().expect("fake lock");
    let file_path = path.split_once('/').map(|(_, p)| p).unwrap_or_default();
    let found = (s.files.iter())
        .find(|(_, f)| f.path == file_path)
        .map(|(id, f)| (id.clone(), f.bytes.clone()));
    let response = Response::builder();
    match found {
        Some((id, bytes)) => {
            s.downloads.push(id);
            response
                .status(StatusCode::OK)
                .header("content-type", "application/octet-stream")
                .body(Full::new(Bytes::from(bytes)))
        }
        None => response
            .status(StatusCode::NOT_FOUND)
            .body(Full::new(Bytes::from_static(b"Not Found"))),
    }
    .expect("a valid response")
}

/// The JSON of a file the bot sent, as the Bot API answers with it.
fn sent_file_json(kind: &str, n: usize, size: usize) -> Value {
    let meta = json!({"file_id": format!("sent{n}"), "file_unique_id": format!("usent{n}"),
                      "file_size": size});
    let mut sized = meta.clone();
    sized["width"] = json!(640);
    sized["height"] = json!(480);
    match kind {
        "photo" => json!({ "photo": [sized] }),
        "video" => {
            sized["duration"] = json!(10);
            json!({ "video": sized })
        }
        "animation" => {
            sized["duration"] = json!(3);
            json!({ "animation": sized, "document": meta })
        }
        _ => json!({ "document": meta }),
    }
}

/// sendPhoto / sendVideo / sendAnimation / sendDocument / sendMediaGroup: each caption checked
/// like a text (HTML, at most [`CAPTION_MAX`] characters), the files recorded, answered with
/// the message(s) Telegram would return.
fn send_media(
    shared: &Shared,
    method: &str,
    request: &Value,
    uploads: &Uploads,
) -> (StatusCode, Value) {
    let chat = request["chat_id"].as_i64().unwrap_or_default();
    let mut s = shared.state.lock().expect("fake lock");
    let now = Instant::now();
    if let Err(refused) = admit(&mut s, method, chat, now) {
        return refused;
    }
    if s.blocked.contains(&chat) {
        s.forbidden += 1;
        return (
            StatusCode::FORBIDDEN,
            json!({"ok": false, "error_code": 403,
                   "description": "Forbidden: bot was blocked by the user"}),
        );
    }
    // (kind, the field naming the file, caption, parse mode) per item.
    let items: Vec<(String, Value, Option<String>, Option<String>)> = match method {
        "sendmediagroup" => {
            let Some(media) = request["media"].as_array() else {
                return bad_request("Bad Request: media not specified");
            };
            if !(2..=10).contains(&media.len()) {
                return bad_request("Bad Request: media must include 2-10 items");
            }
            media
                .iter()
                .map(|m| {
                    (
                        m["type"].as_str().unwrap_or_default().to_string(),
                        m["media"].clone(),
                        m["caption"].as_str().map(str::to_string),
                        m["parse_mode"].as_str().map(str::to_string),
                    )
                })
                .collect()
        }
        _ => {
            let kind = method.trim_start_matches("send").to_string();
            vec![(
                kind.clone(),
                request[kind.as_str()].clone(),
                request["caption"].as_str().map(str::to_string),
                request["parse_mode"].as_str().map(str::to_string),
            )]
        }
    };
    let mut files = Vec::new();
    for (kind, media, caption, parse_mode) in items {
        if !["photo", "video", "animation", "document"].contains(&kind.as_str()) {
            return bad_request(&format!("Bad Request: unsupported media type {kind:?}"));
        }
        let reference = media.as_str().unwrap_or_default();
        let upload = reference
            .strip_prefix("attach://")
            .and_then(|name| uploads.get(name))
            .or_else(|| uploads.get(kind.as_str()));
        let Some((file_name, bytes)) = upload else {
            return bad_request("Bad Request: wrong file identifier/HTTP URL specified");
        };
        if bytes.is_empty() {
            return bad_request("Bad Request: file must be non-empty");
        }
        if let Some(caption) = &caption {
            if let Err(e) = check_text(method, caption, parse_mode.as_deref()) {
                s.refused_texts.push((method.to_string(), e.clone()));
                return bad_request(&format!("Bad Request: can't parse entities: {e}"));
            }
            let visible = match parse_mode.as_deref() {
                Some(mode) if mode.eq_ignore_ascii_case("html") => {
                    crate::schedule::content::visible_len(caption)
                }
                _ => caption.encode_utf16().count(),
            };
            if visible > CAPTION_MAX {
                s.refused_texts.push((
                    method.to_string(),
                    format!("caption of {visible} characters"),
                ));
                return bad_request("Bad Request: message caption is too long");
            }
        }
        files.push(SentFile {
            kind,
            bytes: bytes.clone(),
            file_name: file_name.clone(),
            caption,
            parse_mode,
        });
    }
    s.accepted.push(now);
    s.delivered.push((chat, now));
    let customers = s.customers.clone();
    let mut messages = Vec::new();
    for file in &files {
        let id = s.next_message_id;
        s.next_message_id += 1;
        let shown = Shown {
            message_id: id,
            text: file.caption.clone().unwrap_or_default(),
            parse_mode: file.parse_mode.clone(),
            buttons: Vec::new(),
            edits: 0,
            markup: Value::Null,
            date: unix_now(),
        };
        let mut m = message_json(chat, &shown, &customers);
        let o = m.as_object_mut().expect("an object");
        o.remove("text");
        if let Some(caption) = &file.caption {
            o.insert("caption".into(), json!(caption));
        }
        if let Some(extra) = sent_file_json(&file.kind, id as usize, file.bytes.len()).as_object() {
            for (k, v) in extra {
                o.insert(k.clone(), v.clone());
            }
        }
        messages.push(m);
        s.messages.insert((chat, id), shown);
    }
    s.media_sent.push(SentMedia {
        chat,
        method: method.to_string(),
        files,
    });
    match method {
        "sendmediagroup" => ok(Value::Array(messages)),
        _ => ok(messages.pop().expect("one message")),
    }
}

fn ok(result: Value) -> (StatusCode, Value) {
    (StatusCode::OK, json!({"ok": true, "result": result}))
}

fn bad_request(description: &str) -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        json!({"ok": false, "error_code": 400, "description": description}),
    )
}

fn too_many(retry_after: u64) -> (StatusCode, Value) {
    (
        StatusCode::TOO_MANY_REQUESTS,
        json!({"ok": false, "error_code": 429,
               "description": format!("Too Many Requests: retry after {retry_after}"),
               "parameters": {"retry_after": retry_after}}),
    )
}

/// Telegram's limits for one message to `chat`: `Err` with the 429 to answer (and the
/// retry_after then in force), else the message is counted.
fn admit(s: &mut State, method: &str, chat: i64, now: Instant) -> Result<(), (StatusCode, Value)> {
    if let Some(until) = s.frozen_until.filter(|until| *until > now) {
        s.too_many += 1;
        s.violations.push(Violation {
            method: method.to_string(),
            chat,
            early: until - now,
        });
        return Err(too_many((until - now).as_secs_f64().ceil() as u64));
    }
    while s
        .window
        .front()
        .is_some_and(|at| now.duration_since(*at) >= Duration::from_secs(1))
    {
        s.window.pop_front();
    }
    let chat_busy = s
        .last_to_chat
        .get(&chat)
        .is_some_and(|at| now.duration_since(*at) < Duration::from_secs(1));
    let group_busy = chat < 0 && {
        let group = s.group_window.entry(chat).or_default();
        while group
            .front()
            .is_some_and(|at| now.duration_since(*at) >= Duration::from_secs(60))
        {
            group.pop_front();
        }
        group.len() >= 20
    };
    if s.window.len() >= s.limit || chat_busy || group_busy {
        s.too_many += 1;
        let wait = if group_busy { 3 } else { 1 };
        s.frozen_until = Some(now + Duration::from_secs(wait));
        return Err(too_many(wait));
    }
    s.window.push_back(now);
    s.last_to_chat.insert(chat, now);
    if chat < 0 {
        s.group_window.entry(chat).or_default().push_back(now);
    }
    Ok(())
}

fn answer(shared: &Shared, method: &str, request: &Value) -> (StatusCode, Value) {
    let chat = request["chat_id"].as_i64().unwrap_or_default();
    let mut s = shared.state.lock().expect("fake lock");
    let now = Instant::now();
    let is_message = matches!(
        method,
        "sendmessage"
            | "copymessage"
            | "forwardmessage"
            | "copymessages"
            | "forwardmessages"
            | "editmessagetext"
            | "sendinvoice"
    );
    if is_message {
        if let Err(refused) = admit(&mut s, method, chat, now) {
            return refused;
        }
        if method != "editmessagetext" && s.blocked.contains(&chat) {
            s.forbidden += 1;
            return (
                StatusCode::FORBIDDEN,
                json!({"ok": false, "error_code": 403,
                       "description": "Forbidden: bot was blocked by the user"}),
            );
        }
        let text = match method {
            "sendinvoice" => request["title"].as_str(),
            _ => request["text"].as_str(),
        };
        if let Some(text) = text {
            if text.trim().is_empty() {
                return bad_request("Bad Request: message text is empty");
            }
            if text.chars().count() > 4096 {
                return bad_request("Bad Request: message is too long");
            }
            if let Err(e) = check_text(method, text, request["parse_mode"].as_str()) {
                s.refused_texts.push((method.to_string(), e.clone()));
                return bad_request(&format!("Bad Request: can't parse entities: {e}"));
            }
        }
    }
    match method {
        "getme" => {
            let mut me = bot_user();
            me["can_join_groups"] = json!(true);
            me["can_read_all_group_messages"] = json!(false);
            me["supports_inline_queries"] = json!(false);
            me["has_main_web_app"] = json!(false);
            ok(me)
        }
        "getfile" => {
            let id = request["file_id"].as_str().unwrap_or_default().to_string();
            s.get_file_calls.push(id.clone());
            let Some(file) = s.files.get(&id).cloned() else {
                return bad_request("Bad Request: invalid file_id");
            };
            if file.unavailable {
                return bad_request(
                    "Bad Request: wrong file_id or the file is temporarily unavailable",
                );
            }
            if file.size > DOWNLOAD_MAX {
                return bad_request("Bad Request: file is too big");
            }
            ok(json!({"file_id": id, "file_unique_id": format!("u{id}"),
                      "file_size": file.size, "file_path": file.path}))
        }
        "getwebhookinfo" => ok(json!({"url": "", "has_custom_certificate": false,
                                      "pending_update_count": 0})),
        "deletewebhook" => ok(json!(true)),
        "setmycommands" => {
            s.set_my_commands += 1;
            ok(json!(true))
        }
        "copymessages" | "forwardmessages" => {
            s.accepted.push(now);
            s.delivered.push((chat, now));
            let from = request["from_chat_id"].as_i64().unwrap_or_default();
            let method = method.trim_end_matches('s');
            let ids: Vec<i64> = (request["message_ids"].as_array().into_iter().flatten())
                .filter_map(Value::as_i64)
                .collect();
            let mut answered = Vec::new();
            for message_id in ids {
                s.passed_on
                    .push((method.to_string(), chat, from, message_id));
                let id = s.next_message_id;
                s.next_message_id += 1;
                answered.push(json!({"message_id": id}));
            }
            ok(json!(answered))
        }
        "sendmessage" | "copymessage" | "forwardmessage" | "sendinvoice" => {
            s.accepted.push(now);
            s.delivered.push((chat, now));
            let id = s.next_message_id;
            s.next_message_id += 1;
            if method == "copymessage" || method == "forwardmessage" {
                let from = request["from_chat_id"].as_i64().unwrap_or_default();
                let message_id = request["message_id"].as_i64().unwrap_or_default();
                s.passed_on
                    .push((method.to_string(), chat, from, message_id));
                if method == "copymessage" {
                    return ok(json!({"message_id": id}));
                }
                let chat_value = chat_json(chat, &s.customers);
                return ok(json!({"message_id": id, "date": unix_now(), "chat": chat_value}));
            }
            let shown = Shown {
                message_id: id,
                text: request["text"].as_str().unwrap_or_default().to_string(),
                parse_mode: request["parse_mode"].as_str().map(str::to_string),
                buttons: buttons(&request["reply_markup"]),
                edits: 0,
                markup: request["reply_markup"].clone(),
                date: unix_now(),
            };
            let mut m = message_json(chat, &shown, &s.customers);
            if method == "sendinvoice" {
                let total_amount = request["prices"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p["amount"].as_u64())
                    .sum();
                s.invoices.push(Invoice {
                    chat,
                    message_id: id,
                    title: request["title"].as_str().unwrap_or_default().to_string(),
                    payload: request["payload"].as_str().unwrap_or_default().to_string(),
                    currency: request["currency"].as_str().unwrap_or_default().to_string(),
                    total_amount,
                });
                m.as_object_mut().expect("an object").remove("text");
                m["invoice"] = json!({
                    "title": request["title"], "description": request["description"],
                    "start_parameter": "", "currency": request["currency"],
                    "total_amount": total_amount,
                });
            } else {
                s.messages.insert((chat, id), shown);
            }
            ok(m)
        }
        "editmessagetext" => {
            s.accepted.push(now);
            let id = request["message_id"].as_i64().unwrap_or_default();
            let text = request["text"].as_str().unwrap_or_default().to_string();
            let markup = request["reply_markup"].clone();
            let customers = s.customers.clone();
            let Some(shown) = s.messages.get_mut(&(chat, id)) else {
                return bad_request("Bad Request: message to edit not found");
            };
            if shown.text == text && shown.markup == markup {
                return bad_request(
                    "Bad Request: message is not modified: specified new message content and \
                     reply markup are exactly the same as a current content and reply markup \
                     of the message",
                );
            }
            shown.text = text;
            shown.parse_mode = request["parse_mode"].as_str().map(str::to_string);
            shown.buttons = buttons(&markup);
            shown.markup = markup;
            shown.edits += 1;
            ok(message_json(chat, shown, &customers))
        }
        "deletemessage" => {
            let id = request["message_id"].as_i64().unwrap_or_default();
            if s.user_messages.remove(&(chat, id)) {
                s.deleted_user_messages.push((chat, id));
                return ok(json!(true));
            }
            match s.messages.remove(&(chat, id)) {
                Some(_) => ok(json!(true)),
                None => bad_request("Bad Request: message to delete not found"),
            }
        }
        "answercallbackquery" => {
            let id = request["callback_query_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let text = request["text"].as_str().map(str::to_string);
            if let Some(text) = &text {
                if let Err(e) = check_text(method, text, None) {
                    s.refused_texts.push((method.to_string(), e));
                }
            }
            let alert = request["show_alert"].as_bool().unwrap_or(false);
            match s.answers.get_mut(&id) {
                Some((times, answer, shown_as_alert)) => {
                    *times += 1;
                    *answer = text;
                    *shown_as_alert = alert;
                    if *times > 1 {
                        return bad_request(
                            "Bad Request: query is too old and response timeout expired or \
                             query ID is invalid",
                        );
                    }
                    ok(json!(true))
                }
                None => bad_request("Bad Request: query ID is invalid"),
            }
        }
        "answerprecheckoutquery" => {
            let id = request["pre_checkout_query_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let good = request["ok"].as_bool().unwrap_or(false);
            if !good && request["error_message"].as_str().is_none_or(str::is_empty) {
                return bad_request("Bad Request: PRE_CHECKOUT_ERROR_MESSAGE_EMPTY");
            }
            let Some(checkout) = s.checkouts.remove(&id) else {
                return bad_request(
                    "Bad Request: query is too old and response timeout expired or query ID is \
                     invalid",
                );
            };
            s.pre_checkout_answers.push((id, good));
            if good {
                push_payment(shared, &mut s, &checkout);
            }
            ok(json!(true))
        }
        _ => {
            s.unknown_methods.push(method.to_string());
            (
                StatusCode::NOT_FOUND,
                json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"}),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_text;

    #[test]
    fn html_texts_are_held_to_telegrams_rules_and_plain_ones_are_not() {
        let usage = "Usage: /user <user id>";
        let refused = check_text("sendMessage", usage, Some("HTML")).unwrap_err();
        assert!(refused.starts_with("sendMessage: "), "{refused}");
        assert!(check_text("sendMessage", usage, None).is_ok());
        assert!(check_text("editMessageText", "<b>Status</b>: ok", Some("HTML")).is_ok());
    }
}
