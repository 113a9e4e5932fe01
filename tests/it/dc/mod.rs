//! A Telegram data centre on loopback, for CI: a small MTProto server on 127.0.0.1 that the
//! real grammers client reaches with a pre-shared auth key, as an imported Telethon session
//! gives one (no key exchange: grammers only trusts Telegram's RSA keys).
//!
//! It speaks what grammers 0.11 needs and nothing more: the full transport, MTProto 2.0
//! encryption, containers, acks, gzip_packed requests, pings and rpc_result. Requests are
//! decoded with grammers-tl-types' own definitions and answered by a handler per TL function
//! ([`handlers`]: adding one is a function and a line), unless the test scripted an answer
//! for that function first ([`LoopbackDc::script`]): an RPC error, or a connection dropped
//! after the request took effect. Every request is recorded for the test to check.
//! Media (uploads in parts, uploaded files, media posts and albums) is in [`media`], forwards
//! from a source channel in [`forward`].

pub mod forward;
pub mod media;
pub mod wire;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddrV4;
use std::sync::{Arc, Mutex};

use grammers_tl_types::{self as tl, Deserializable, Serializable};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use self::wire::{Framing, Key};

/// The account every connection is logged in as.
pub const USER_ID: i64 = 5_550_001;
pub const PHONE: &str = "15550001111";

/// A supergroup the account is a member of.
#[derive(Clone, Debug)]
pub struct Group {
    pub channel_id: i64,
    pub access_hash: i64,
    /// A public group's username; a private group has none (it is added by id).
    pub username: Option<String>,
    pub title: String,
    /// The group's slow mode: one message per this many seconds per member.
    pub slow_mode_secs: Option<i32>,
    /// A forum's topics (id, title, closed); `None`: not a forum.
    pub topics: Option<Vec<(i32, String, bool)>>,
    /// What the group's default rights forbid members (by chatBannedRights' flag names:
    /// `send_media`, `send_photos`, `send_videos`, `send_docs`, `send_gifs`).
    pub default_banned: Vec<&'static str>,
}

impl Group {
    /// The group's id as the Bot API (and our store) writes it.
    pub fn dialog_id(&self) -> i64 {
        -1_000_000_000_000 - self.channel_id
    }

    /// How a customer names the group on the Groups screen: `@username`, or its id.
    pub fn reference(&self) -> String {
        match &self.username {
            Some(username) => format!("@{username}"),
            None => self.dialog_id().to_string(),
        }
    }
}

/// What the data centre answers to one request, instead of its handler's answer.
#[derive(Clone, Debug)]
pub enum Reply {
    /// An answer, serialized.
    Answer(Vec<u8>),
    /// rpc_error: `code` and the message as Telegram writes it (`FLOOD_WAIT_30`).
    Error(i32, String),
    /// The request takes effect (its handler runs), then the connection closes before the
    /// answer leaves: a lost answer.
    Drop,
}

/// A request as it arrived, its wrappers (invokeWithLayer, initConnection) removed.
#[derive(Clone, Debug)]
pub struct Request {
    /// The TL name (`messages.sendMessage`).
    pub name: &'static str,
    /// Its serialization, constructor first.
    pub body: Vec<u8>,
    /// The connection it came on (counted from 1).
    pub connection: usize,
    /// It came gzip_packed (grammers packs requests of 512 bytes or more).
    pub packed: bool,
}

impl Request {
    /// The request as grammers' own type.
    pub fn decode<T: Deserializable>(&self) -> T {
        decode(&self.body).unwrap_or_else(|e| panic!("{} does not decode: {e}", self.name))
    }
}

/// A message the data centre accepted (posted).
#[derive(Clone, Debug)]
pub struct Posted {
    pub random_id: i64,
    pub request: tl::functions::messages::SendMessage,
}

/// The data centre's state: what it knows, what it was asked and what it posted.
#[derive(Default)]
pub struct State {
    pub requests: Vec<Request>,
    pub posted: Vec<Posted>,
    /// Uploaded parts and files, and media posts ([`media`]).
    pub media: media::Media,
    /// Source messages and forwards ([`forward`]).
    pub forwards: forward::Forwards,
    pub groups: Vec<Group>,
    /// initConnection's api_id, per connection.
    pub api_ids: Vec<i32>,
    pub connections: usize,
    /// What a client sent that this server could not read (each closed its connection).
    pub faults: Vec<String>,
    scripted: HashMap<&'static str, VecDeque<Reply>>,
    next_message_id: i32,
}

impl State {
    /// Every recorded request of one TL function.
    pub fn named(&self, name: &str) -> Vec<Request> {
        self.requests
            .iter()
            .filter(|r| r.name == name)
            .cloned()
            .collect()
    }
}

/// A running loopback data centre.
pub struct LoopbackDc {
    pub addr: SocketAddrV4,
    pub auth_key: [u8; 256],
    state: Arc<Mutex<State>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for LoopbackDc {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl LoopbackDc {
    /// Listens on 127.0.0.1 (a free port) with a fresh random auth key.
    pub async fn start(groups: Vec<Group>) -> LoopbackDc {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = match listener.local_addr().unwrap() {
            std::net::SocketAddr::V4(v4) => v4,
            other => panic!("not IPv4: {other}"),
        };
        let auth_key: [u8; 256] = std::array::from_fn(|_| fastrand::u8(..));
        let state = Arc::new(Mutex::new(State {
            groups,
            next_message_id: 100,
            ..State::default()
        }));
        let accept = tokio::spawn({
            let state = state.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let number = {
                        let mut s = state.lock().unwrap();
                        s.connections += 1;
                        s.connections
                    };
                    tokio::spawn(serve(stream, Key::new(auth_key), state.clone(), number));
                }
            }
        });
        LoopbackDc {
            addr,
            auth_key,
            state,
            accept,
        }
    }

    /// A Telethon session string (`1` + base64 of dc, IPv4, port, auth key) for this DC.
    pub fn telethon_session(&self, dc_id: u8) -> String {
        use base64::Engine as _;
        let mut b = vec![dc_id];
        b.extend_from_slice(&self.addr.ip().octets());
        b.extend_from_slice(&self.addr.port().to_be_bytes());
        b.extend_from_slice(&self.auth_key);
        format!("1{}", base64::engine::general_purpose::URL_SAFE.encode(b))
    }

    /// The next request of TL function `name` gets `reply` (in the order scripted).
    pub fn script(&self, name: &'static str, reply: Reply) {
        self.state
            .lock()
            .unwrap()
            .scripted
            .entry(name)
            .or_default()
            .push_back(reply);
    }

    /// A look at the state.
    pub fn state<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.state.lock().unwrap())
    }
}

/// A TL object from a serialization that starts with its constructor.
pub fn decode<T: Deserializable>(body: &[u8]) -> Result<T, String> {
    let mut cursor = tl::deserialize::Cursor::from_slice(body.get(4..).ok_or("empty")?);
    T::deserialize(&mut cursor).map_err(|e| e.to_string())
}

/// What is left of a buffer: the query inside a wrapper.
struct Rest(Vec<u8>);

impl Deserializable for Rest {
    fn deserialize(buf: &mut tl::deserialize::Cursor) -> tl::deserialize::Result<Self> {
        let mut rest = Vec::new();
        buf.read_to_end(&mut rest)?;
        Ok(Rest(rest))
    }
}

const MSGS_ACK: u32 = 0x62d6_b459;
const PING: u32 = 0x7abe_77ec;
const PING_DELAY_DISCONNECT: u32 = 0xf342_7b8c;
const PONG: u32 = 0x3477_73c5;

/// One client connection until it closes (or a scripted drop closes it); what the client
/// sent that this server could not read is noted in [`State::faults`].
async fn serve(stream: TcpStream, key: Key, state: Arc<Mutex<State>>, connection: usize) {
    if let Err(fault) = exchange(stream, key, &state, connection).await {
        state
            .lock()
            .unwrap()
            .faults
            .push(format!("connection {connection}: {fault}"));
    }
}

async fn exchange(
    mut stream: TcpStream,
    key: Key,
    state: &Mutex<State>,
    connection: usize,
) -> Result<(), String> {
    let mut framing = Framing::new();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut server_seq = 0i64;
    loop {
        let payload = match framing.unpack(&mut buf) {
            Ok(Some(payload)) => payload,
            Ok(None) => match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return Ok(()),
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    continue;
                }
            },
            Err(e) => return Err(e),
        };
        let plain = key.decrypt(&payload)?;
        let (session_id, messages) = wire::messages(&plain)?;
        for message in messages {
            let Some(body) = respond(&message, state, connection)? else {
                // A scripted drop: the request took effect, its answer is lost.
                let _ = stream.shutdown().await;
                return Ok(());
            };
            let Some(body) = body else { continue };
            server_seq += 1;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64;
            // Server message ids: the time in the high half, 1 mod 4 for answers.
            let msg_id = (now << 32) | (server_seq * 4 + 1);
            let plain =
                wire::server_message(session_id, msg_id, (server_seq * 2 + 1) as i32, &body);
            let frame = framing.pack(&key.encrypt(plain));
            if stream.write_all(&frame).await.is_err() {
                return Ok(());
            }
        }
    }
}

/// The message to send back for one client message: `Some(None)` for none (an ack),
/// `None` to drop the connection.
fn respond(
    message: &wire::Message,
    state: &Mutex<State>,
    connection: usize,
) -> Result<Option<Option<Vec<u8>>>, String> {
    let mut r = wire::Reader(&message.body);
    let constructor = r.u32()?;
    match constructor {
        MSGS_ACK => return Ok(Some(None)),
        PING | PING_DELAY_DISCONNECT => {
            let ping_id = r.i64()?;
            let mut pong = Vec::new();
            PONG.serialize(&mut pong);
            message.msg_id.serialize(&mut pong);
            ping_id.serialize(&mut pong);
            return Ok(Some(Some(pong)));
        }
        _ => {}
    }
    let mut state = state.lock().unwrap();
    let body = unwrap_query(&message.body, &mut state)?;
    let name = tl::name_for_id(wire::Reader(&body).u32()?);
    state.requests.push(Request {
        name,
        body: body.clone(),
        connection,
        packed: message.packed,
    });
    let scripted = state.scripted.get_mut(name).and_then(VecDeque::pop_front);
    let reply = match scripted {
        Some(Reply::Drop) => {
            let _ = handle(name, &body, &mut state);
            return Ok(None);
        }
        Some(reply) => reply,
        None => handle(name, &body, &mut state),
    };
    let answer = match reply {
        Reply::Answer(bytes) => bytes,
        Reply::Error(code, message) => wire::rpc_error(code, &message),
        Reply::Drop => return Ok(None),
    };
    Ok(Some(Some(wire::rpc_result(message.msg_id, &answer))))
}

/// The query inside invokeWithLayer and initConnection (noting initConnection's api_id).
fn unwrap_query(body: &[u8], state: &mut State) -> Result<Vec<u8>, String> {
    let constructor = wire::Reader(body).u32()?;
    if constructor == <tl::functions::InvokeWithLayer<Rest> as tl::Identifiable>::CONSTRUCTOR_ID {
        let outer: tl::functions::InvokeWithLayer<Rest> = decode(body)?;
        if outer.layer != tl::LAYER {
            return Err(format!("layer {}, not {}", outer.layer, tl::LAYER));
        }
        return unwrap_query(&outer.query.0, state);
    }
    if constructor == <tl::functions::InitConnection<Rest> as tl::Identifiable>::CONSTRUCTOR_ID {
        let init: tl::functions::InitConnection<Rest> = decode(body)?;
        state.api_ids.push(init.api_id);
        return unwrap_query(&init.query.0, state);
    }
    Ok(body.to_vec())
}

/// A handler answers one TL function from the data centre's state.
type Handler = fn(&[u8], &mut State) -> Reply;

/// The TL functions this data centre serves. A new one: a handler below and a line here.
fn handlers(name: &str) -> Option<Handler> {
    Some(match name {
        "upload.saveFilePart" => media::save_file_part,
        "upload.saveBigFilePart" => media::save_big_file_part,
        "messages.uploadMedia" => media::upload_media,
        "messages.sendMedia" => media::send_media,
        "messages.sendMultiMedia" => media::send_multi_media,
        "messages.forwardMessages" => forward::forward_messages,
        "channels.getMessages" => forward::get_messages,
        "messages.getHistory" => forward::get_history,
        "messages.getMessages" => forward::get_own_messages,
        "help.getConfig" => handlers::get_config,
        "users.getUsers" => handlers::get_users,
        "updates.getState" => handlers::get_state,
        "contacts.resolveUsername" => handlers::resolve_username,
        "messages.sendMessage" => handlers::send_message,
        "messages.getDialogs" => handlers::get_dialogs,
        "channels.getFullChannel" => handlers::get_full_channel,
        "messages.getForumTopics" => handlers::get_forum_topics,
        _ => return None,
    })
}

fn handle(name: &'static str, body: &[u8], state: &mut State) -> Reply {
    match handlers(name) {
        Some(handler) => handler(body, state),
        // Loud in the test that hits it: the request needs a handler here.
        None => Reply::Error(
            400,
            format!("LOOPBACK_DC_NO_HANDLER_{}", name.replace('.', "_")),
        ),
    }
}

mod handlers {
    use super::*;

    const MESSAGE_LENGTH_MAX: i32 = 4096;

    fn now() -> i32 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i32
    }

    pub fn get_config(_: &[u8], _: &mut State) -> Reply {
        // No data-centre options: grammers keeps the address the session string gave.
        Reply::Answer(
            tl::enums::Config::Config(tl::types::Config {
                default_p2p_contacts: false,
                preload_featured_stickers: false,
                revoke_pm_inbox: false,
                blocked_mode: false,
                force_try_ipv6: false,
                date: now(),
                expires: now() + 3600,
                test_mode: false,
                this_dc: 2,
                dc_options: Vec::new(),
                dc_txt_domain_name: String::new(),
                chat_size_max: 200,
                megagroup_size_max: 200_000,
                forwarded_count_max: 100,
                online_update_period_ms: 210_000,
                offline_blur_timeout_ms: 5_000,
                offline_idle_timeout_ms: 30_000,
                online_cloud_timeout_ms: 300_000,
                notify_cloud_delay_ms: 30_000,
                notify_default_delay_ms: 1_500,
                push_chat_period_ms: 60_000,
                push_chat_limit: 2,
                edit_time_limit: 172_800,
                revoke_time_limit: i32::MAX,
                revoke_pm_time_limit: i32::MAX,
                rating_e_decay: 2_419_200,
                stickers_recent_limit: 200,
                channels_read_media_period: 604_800,
                tmp_sessions: None,
                call_receive_timeout_ms: 20_000,
                call_ring_timeout_ms: 90_000,
                call_connect_timeout_ms: 30_000,
                call_packet_timeout_ms: 10_000,
                me_url_prefix: "https://t.me/".into(),
                autoupdate_url_prefix: None,
                gif_search_username: None,
                venue_search_username: None,
                img_search_username: None,
                static_maps_provider: None,
                caption_length_max: 1024,
                message_length_max: MESSAGE_LENGTH_MAX,
                webfile_dc_id: 4,
                suggested_lang_code: None,
                lang_pack_version: None,
                base_lang_pack_version: None,
                reactions_default: None,
                autologin_token: None,
            })
            .to_bytes(),
        )
    }

    pub fn get_users(_: &[u8], _: &mut State) -> Reply {
        Reply::Answer(vec![me()].to_bytes())
    }

    pub fn get_state(_: &[u8], _: &mut State) -> Reply {
        Reply::Answer(
            tl::enums::updates::State::State(tl::types::updates::State {
                pts: 1,
                qts: 0,
                date: now(),
                seq: 1,
                unread_count: 0,
            })
            .to_bytes(),
        )
    }

    pub fn resolve_username(body: &[u8], state: &mut State) -> Reply {
        let request: tl::functions::contacts::ResolveUsername =
            decode(body).expect("contacts.resolveUsername");
        let Some(group) = state.groups.iter().find(|g| {
            g.username
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(&request.username))
        }) else {
            return Reply::Error(400, "USERNAME_NOT_OCCUPIED".into());
        };
        Reply::Answer(
            tl::enums::contacts::ResolvedPeer::Peer(tl::types::contacts::ResolvedPeer {
                peer: tl::enums::Peer::Channel(tl::types::PeerChannel {
                    channel_id: group.channel_id,
                }),
                chats: vec![channel(group)],
                users: Vec::new(),
            })
            .to_bytes(),
        )
    }

    /// Every group the account is in, in one answer (no slice: the client stops there).
    pub fn get_dialogs(_: &[u8], state: &mut State) -> Reply {
        let dialogs = state
            .groups
            .iter()
            .map(|g| {
                tl::enums::Dialog::Dialog(tl::types::Dialog {
                    pinned: false,
                    unread_mark: false,
                    view_forum_as_messages: false,
                    peer: tl::enums::Peer::Channel(tl::types::PeerChannel {
                        channel_id: g.channel_id,
                    }),
                    top_message: 0,
                    read_inbox_max_id: 0,
                    read_outbox_max_id: 0,
                    unread_count: 0,
                    unread_mentions_count: 0,
                    unread_reactions_count: 0,
                    unread_poll_votes_count: 0,
                    notify_settings: notify_settings(),
                    pts: None,
                    draft: None,
                    folder_id: None,
                    ttl_period: None,
                })
            })
            .collect();
        Reply::Answer(
            tl::enums::messages::Dialogs::Dialogs(tl::types::messages::Dialogs {
                dialogs,
                messages: Vec::new(),
                chats: state.groups.iter().map(channel).collect(),
                users: vec![me()],
            })
            .to_bytes(),
        )
    }

    /// The group's full description, its slow mode included; CHANNEL_INVALID for a group
    /// this account does not know (or an access hash that is not the account's).
    pub fn get_full_channel(body: &[u8], state: &mut State) -> Reply {
        let request: tl::functions::channels::GetFullChannel =
            decode(body).expect("channels.getFullChannel");
        let tl::enums::InputChannel::Channel(wanted) = request.channel else {
            return Reply::Error(400, "CHANNEL_INVALID".into());
        };
        let Some(group) = state
            .groups
            .iter()
            .find(|g| (g.channel_id, g.access_hash) == (wanted.channel_id, wanted.access_hash))
        else {
            return Reply::Error(400, "CHANNEL_INVALID".into());
        };
        Reply::Answer(
            tl::enums::messages::ChatFull::Full(tl::types::messages::ChatFull {
                full_chat: tl::enums::ChatFull::ChannelFull(channel_full(group)),
                chats: vec![channel(group)],
                users: Vec::new(),
            })
            .to_bytes(),
        )
    }

    /// A forum's topics (all in one answer), as Telegram lists them: newest first, General
    /// last; CHANNEL_FORUM_MISSING for a group that is no forum, CHANNEL_INVALID for one the
    /// account does not know.
    pub fn get_forum_topics(body: &[u8], state: &mut State) -> Reply {
        let request: tl::functions::messages::GetForumTopics =
            decode(body).expect("messages.getForumTopics");
        let tl::enums::InputPeer::Channel(wanted) = request.peer else {
            return Reply::Error(400, "PEER_ID_INVALID".into());
        };
        let Some(group) = state
            .groups
            .iter()
            .find(|g| (g.channel_id, g.access_hash) == (wanted.channel_id, wanted.access_hash))
        else {
            return Reply::Error(400, "CHANNEL_INVALID".into());
        };
        let Some(topics) = &group.topics else {
            return Reply::Error(400, "CHANNEL_FORUM_MISSING".into());
        };
        let peer = tl::enums::Peer::Channel(tl::types::PeerChannel {
            channel_id: group.channel_id,
        });
        let topics: Vec<tl::enums::ForumTopic> = (topics.iter().rev())
            .map(|(id, title, closed)| {
                tl::enums::ForumTopic::Topic(tl::types::ForumTopic {
                    my: false,
                    closed: *closed,
                    pinned: false,
                    short: false,
                    hidden: false,
                    title_missing: false,
                    id: *id,
                    date: now(),
                    peer: peer.clone(),
                    title: title.clone(),
                    icon_color: 0x6FB9F0,
                    icon_emoji_id: None,
                    top_message: *id,
                    read_inbox_max_id: 0,
                    read_outbox_max_id: 0,
                    unread_count: 0,
                    unread_mentions_count: 0,
                    unread_reactions_count: 0,
                    unread_poll_votes_count: 0,
                    from_id: tl::enums::Peer::User(tl::types::PeerUser { user_id: USER_ID }),
                    notify_settings: notify_settings(),
                    draft: None,
                })
            })
            // A deleted topic is listed too: the client leaves it out.
            .chain([tl::enums::ForumTopic::Deleted(
                tl::types::ForumTopicDeleted { id: 999 },
            )])
            .collect();
        Reply::Answer(
            tl::enums::messages::ForumTopics::Topics(tl::types::messages::ForumTopics {
                order_by_create_date: false,
                count: topics.len() as i32,
                topics,
                messages: Vec::new(),
                chats: vec![channel(group)],
                users: vec![me()],
                pts: 1,
            })
            .to_bytes(),
        )
    }

    /// Posts the message, once per random_id: a second send of the same id is refused
    /// with RANDOM_ID_DUPLICATE, and a text over `message_length_max` with
    /// MESSAGE_TOO_LONG, as Telegram does.
    pub fn send_message(body: &[u8], state: &mut State) -> Reply {
        let request: tl::functions::messages::SendMessage =
            decode(body).expect("messages.sendMessage");
        if request.message.encode_utf16().count() > MESSAGE_LENGTH_MAX as usize {
            return Reply::Error(400, "MESSAGE_TOO_LONG".into());
        }
        if state
            .posted
            .iter()
            .any(|p| p.random_id == request.random_id)
        {
            return Reply::Error(400, "RANDOM_ID_DUPLICATE".into());
        }
        state.next_message_id += 1;
        let id = state.next_message_id;
        state.posted.push(Posted {
            random_id: request.random_id,
            request,
        });
        Reply::Answer(
            tl::enums::Updates::UpdateShortSentMessage(tl::types::UpdateShortSentMessage {
                out: true,
                id,
                pts: id,
                pts_count: 1,
                date: now(),
                media: None,
                entities: None,
                ttl_period: None,
            })
            .to_bytes(),
        )
    }

    fn me() -> tl::enums::User {
        tl::enums::User::User(tl::types::User {
            is_self: true,
            contact: false,
            mutual_contact: false,
            deleted: false,
            bot: false,
            bot_chat_history: false,
            bot_nochats: false,
            verified: false,
            restricted: false,
            min: false,
            bot_inline_geo: false,
            support: false,
            scam: false,
            apply_min_photo: false,
            fake: false,
            bot_attach_menu: false,
            premium: false,
            attach_menu_enabled: false,
            bot_can_edit: false,
            close_friend: false,
            stories_hidden: false,
            stories_unavailable: false,
            contact_require_premium: false,
            bot_business: false,
            bot_has_main_app: false,
            bot_forum_view: false,
            bot_forum_can_manage_topics: false,
            bot_can_manage_bots: false,
            bot_guestchat: false,
            bot_guard: false,
            id: USER_ID,
            access_hash: Some(77),
            first_name: Some("Loop".into()),
            last_name: None,
            username: None,
            phone: Some(PHONE.into()),
            photo: None,
            status: None,
            bot_info_version: None,
            restriction_reason: None,
            bot_inline_placeholder: None,
            lang_code: None,
            emoji_status: None,
            usernames: None,
            stories_max_id: None,
            color: None,
            profile_color: None,
            bot_active_users: None,
            bot_verification_icon: None,
            send_paid_messages_stars: None,
            linked_community_id: None,
        })
    }

    fn channel(group: &Group) -> tl::enums::Chat {
        tl::enums::Chat::Channel(tl::types::Channel {
            creator: false,
            left: false,
            broadcast: false,
            verified: false,
            megagroup: true,
            restricted: false,
            signatures: false,
            min: false,
            scam: false,
            has_link: false,
            has_geo: false,
            slowmode_enabled: group.slow_mode_secs.is_some(),
            call_active: false,
            call_not_empty: false,
            fake: false,
            gigagroup: false,
            noforwards: false,
            join_to_send: false,
            join_request: false,
            forum: group.topics.is_some(),
            stories_hidden: false,
            stories_hidden_min: false,
            stories_unavailable: false,
            signature_profiles: false,
            autotranslation: false,
            broadcast_messages_allowed: false,
            monoforum: false,
            forum_tabs: false,
            id: group.channel_id,
            access_hash: Some(group.access_hash),
            title: group.title.clone(),
            username: group.username.clone(),
            photo: tl::enums::ChatPhoto::Empty,
            date: now(),
            restriction_reason: None,
            admin_rights: None,
            banned_rights: None,
            default_banned_rights: default_banned_rights(&group.default_banned),
            participants_count: Some(3),
            usernames: None,
            stories_max_id: None,
            color: None,
            profile_color: None,
            emoji_status: None,
            level: None,
            subscription_until_date: None,
            bot_verification_icon: None,
            send_paid_messages_stars: None,
            linked_monoforum_id: None,
            linked_community_id: None,
        })
    }
    /// The group's default rights with the named flags set; `None` when nothing is banned.
    fn default_banned_rights(banned: &[&str]) -> Option<tl::enums::ChatBannedRights> {
        if banned.is_empty() {
            return None;
        }
        let on = |name: &str| banned.contains(&name);
        Some(tl::enums::ChatBannedRights::Rights(
            tl::types::ChatBannedRights {
                view_messages: false,
                send_messages: false,
                send_media: on("send_media"),
                send_stickers: on("send_media"),
                send_gifs: on("send_gifs") || on("send_media"),
                send_games: false,
                send_inline: false,
                embed_links: false,
                send_polls: false,
                change_info: false,
                invite_users: false,
                pin_messages: false,
                manage_topics: false,
                send_photos: on("send_photos") || on("send_media"),
                send_videos: on("send_videos") || on("send_media"),
                send_roundvideos: on("send_media"),
                send_audios: on("send_media"),
                send_voices: on("send_media"),
                send_docs: on("send_docs") || on("send_media"),
                send_plain: false,
                edit_rank: false,
                send_reactions: false,
                manage_linked_peers: false,
                until_date: 0,
            },
        ))
    }

    fn notify_settings() -> tl::enums::PeerNotifySettings {
        tl::enums::PeerNotifySettings::Settings(tl::types::PeerNotifySettings {
            show_previews: None,
            silent: None,
            mute_until: None,
            ios_sound: None,
            android_sound: None,
            other_sound: None,
            stories_muted: None,
            stories_hide_sender: None,
            stories_ios_sound: None,
            stories_android_sound: None,
            stories_other_sound: None,
        })
    }

    fn channel_full(group: &Group) -> tl::types::ChannelFull {
        tl::types::ChannelFull {
            can_view_participants: false,
            can_set_username: false,
            can_set_stickers: false,
            hidden_prehistory: false,
            can_set_location: false,
            has_scheduled: false,
            can_view_stats: false,
            blocked: false,
            can_delete_channel: false,
            antispam: false,
            participants_hidden: false,
            translations_disabled: false,
            stories_pinned_available: false,
            view_forum_as_messages: false,
            restricted_sponsored: false,
            can_view_revenue: false,
            paid_media_allowed: false,
            can_view_stars_revenue: false,
            paid_reactions_available: false,
            stargifts_available: false,
            paid_messages_available: false,
            has_welcome_messages: false,
            id: group.channel_id,
            about: String::new(),
            participants_count: Some(3),
            admins_count: None,
            kicked_count: None,
            banned_count: None,
            online_count: None,
            read_inbox_max_id: 0,
            read_outbox_max_id: 0,
            unread_count: 0,
            chat_photo: tl::enums::Photo::Empty(tl::types::PhotoEmpty { id: 0 }),
            notify_settings: notify_settings(),
            exported_invite: None,
            bot_info: Vec::new(),
            migrated_from_chat_id: None,
            migrated_from_max_id: None,
            pinned_msg_id: None,
            stickerset: None,
            available_min_id: None,
            folder_id: None,
            linked_chat_id: None,
            location: None,
            slowmode_seconds: group.slow_mode_secs,
            slowmode_next_send_date: None,
            stats_dc: None,
            pts: 1,
            call: None,
            ttl_period: None,
            pending_suggestions: None,
            groupcall_default_join_as: None,
            theme_emoticon: None,
            requests_pending: None,
            recent_requesters: None,
            default_send_as: None,
            available_reactions: None,
            reactions_limit: None,
            stories: None,
            wallpaper: None,
            boosts_applied: None,
            boosts_unrestrict: None,
            emojiset: None,
            bot_verification: None,
            stargifts_count: None,
            send_paid_messages_stars: None,
            main_tab: None,
            guard_bot_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(msg_id: i64, body: Vec<u8>) -> wire::Message {
        wire::Message {
            msg_id,
            body,
            packed: false,
        }
    }

    #[test]
    fn a_ping_gets_its_pong_and_a_function_without_a_handler_is_refused_by_name() {
        let state = Mutex::new(State::default());
        let mut ping = Vec::new();
        PING_DELAY_DISCONNECT.serialize(&mut ping);
        77i64.serialize(&mut ping);
        75i32.serialize(&mut ping);
        let pong = respond(&message(40, ping), &state, 1)
            .unwrap()
            .unwrap()
            .unwrap();
        let mut r = wire::Reader(&pong);
        assert_eq!(
            (r.u32().unwrap(), r.i64().unwrap(), r.i64().unwrap()),
            (PONG, 40, 77)
        );

        let body = tl::functions::help::GetNearestDc {}.to_bytes();
        let answer = respond(&message(44, body), &state, 1)
            .unwrap()
            .unwrap()
            .unwrap();
        let refused = wire::rpc_error(400, "LOOPBACK_DC_NO_HANDLER_help_getNearestDc");
        assert_eq!(answer, wire::rpc_result(44, &refused));
        assert_eq!(state.lock().unwrap().named("help.getNearestDc").len(), 1);
    }
}
