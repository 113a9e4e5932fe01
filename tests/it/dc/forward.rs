//! The loopback data centre's forwards, as Telegram handles them: `messages.forwardMessages`
//! from a channel the account reads (one of the data centre's groups, with its access hash)
//! whose messages exist ([`LoopbackDc::source_messages`]; MESSAGE_ID_INVALID otherwise), once
//! per random id (RANDOM_ID_DUPLICATE for a repeat, whatever kind of post took the id), each
//! forward recorded as it arrived ([`Forwarded`]).

use grammers_tl_types::{self as tl, Deserializable, Serializable};

use super::{decode, LoopbackDc, Reply, State};

/// The data centre's forwards (in [`State::forwards`]).
#[derive(Default)]
pub struct Forwards {
    /// Message ids that exist, per channel id.
    messages: std::collections::HashMap<i64, Vec<i32>>,
    /// Every forward that posted, in order.
    pub posted: Vec<Forwarded>,
}

/// A `messages.forwardMessages` that posted.
#[derive(Clone, Debug)]
pub struct Forwarded {
    /// The source channel as the request named it: (channel id, access hash).
    pub from: (i64, i64),
    pub ids: Vec<i32>,
    pub random_ids: Vec<i64>,
    pub to_peer: tl::enums::InputPeer,
    /// A copy (without the author).
    pub drop_author: bool,
    pub silent: bool,
    pub top_msg_id: Option<i32>,
}

impl LoopbackDc {
    /// These messages exist in the channel (one of the data centre's groups, by channel id).
    pub fn source_messages(&self, channel_id: i64, ids: &[i32]) {
        let mut state = self.state.lock().unwrap();
        (state.forwards.messages.entry(channel_id).or_default()).extend_from_slice(ids);
    }

    /// These messages exist in the account's own Saved Messages (newest last).
    pub fn saved_messages(&self, ids: &[i32]) {
        let mut state = self.state.lock().unwrap();
        (state.forwards.messages.entry(SELF).or_default()).extend_from_slice(ids);
    }

    /// The next `contacts.resolveUsername` of this group's username describes it as a
    /// broadcast channel (a customer's own channel), not a supergroup.
    pub fn resolve_as_broadcast(&self, username: &str) {
        let mut state = self.state.lock().unwrap();
        let request = tl::functions::contacts::ResolveUsername {
            username: username.to_string(),
            referer: None,
        }
        .to_bytes();
        let Reply::Answer(answer) = super::handle("contacts.resolveUsername", &request, &mut state)
        else {
            panic!("{username} is not one of the data centre's groups")
        };
        let tl::enums::contacts::ResolvedPeer::Peer(mut resolved) =
            tl::enums::contacts::ResolvedPeer::from_bytes(&answer).expect("a resolved peer");
        for chat in &mut resolved.chats {
            if let tl::enums::Chat::Channel(c) = chat {
                (c.broadcast, c.megagroup) = (true, false);
            }
        }
        let answer = tl::enums::contacts::ResolvedPeer::Peer(resolved).to_bytes();
        (state
            .scripted
            .entry("contacts.resolveUsername")
            .or_default())
        .push_back(Reply::Answer(answer));
    }
}

/// The key of the account's own Saved Messages in [`Forwards`] (no channel has id 0).
const SELF: i64 = 0;

/// Whether a random id was posted already, by any kind of post.
pub(super) fn taken(state: &State, random_id: i64) -> bool {
    state.posted.iter().any(|p| p.random_id == random_id)
        || (state.media.posts.iter()).any(|p| p.items.iter().any(|i| i.random_id == random_id))
        || (state.forwards.posted.iter()).any(|f| f.random_ids.contains(&random_id))
}

pub fn forward_messages(body: &[u8], state: &mut State) -> Reply {
    let r: tl::functions::messages::ForwardMessages =
        decode(body).expect("messages.forwardMessages");
    let from = match &r.from_peer {
        // The account's own Saved Messages.
        tl::enums::InputPeer::PeerSelf => (SELF, 0),
        tl::enums::InputPeer::Channel(from) => (from.channel_id, from.access_hash),
        _ => return Reply::Error(400, "PEER_ID_INVALID".into()),
    };
    if from.0 != SELF && !(state.groups.iter()).any(|g| (g.channel_id, g.access_hash) == from) {
        return Reply::Error(400, "CHANNEL_INVALID".into());
    }
    if r.id.is_empty() || r.id.len() != r.random_id.len() {
        return Reply::Error(400, "RANDOM_ID_INVALID".into());
    }
    let known = state.forwards.messages.get(&from.0);
    if !(r.id.iter()).all(|id| known.is_some_and(|k| k.contains(id))) {
        return Reply::Error(400, "MESSAGE_ID_INVALID".into());
    }
    if r.random_id.iter().any(|id| taken(state, *id)) {
        return Reply::Error(400, "RANDOM_ID_DUPLICATE".into());
    }
    let mut updates = Vec::new();
    for random_id in &r.random_id {
        state.next_message_id += 1;
        updates.push(tl::enums::Update::MessageId(tl::types::UpdateMessageId {
            id: state.next_message_id,
            random_id: *random_id,
        }));
    }
    state.forwards.posted.push(Forwarded {
        from,
        ids: r.id,
        random_ids: r.random_id,
        to_peer: r.to_peer,
        drop_author: r.drop_author,
        silent: r.silent,
        top_msg_id: r.top_msg_id,
    });
    let date = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i32;
    Reply::Answer(
        tl::enums::Updates::Updates(tl::types::Updates {
            updates,
            users: Vec::new(),
            chats: Vec::new(),
            date,
            seq: 0,
        })
        .to_bytes(),
    )
}

/// The channel's messages among those asked for (an id that does not exist comes back as
/// messageEmpty, as Telegram answers); CHANNEL_INVALID for a channel the account does not
/// know.
pub fn get_messages(body: &[u8], state: &mut State) -> Reply {
    let r: tl::functions::channels::GetMessages = decode(body).expect("channels.getMessages");
    let tl::enums::InputChannel::Channel(channel) = r.channel else {
        return Reply::Error(400, "CHANNEL_INVALID".into());
    };
    let key = (channel.channel_id, channel.access_hash);
    if !(state.groups.iter()).any(|g| (g.channel_id, g.access_hash) == key) {
        return Reply::Error(400, "CHANNEL_INVALID".into());
    }
    let known = state.forwards.messages.get(&channel.channel_id);
    let peer = tl::enums::Peer::Channel(tl::types::PeerChannel {
        channel_id: channel.channel_id,
    });
    let messages = found(&r.id, known, &peer);
    Reply::Answer(
        tl::enums::messages::Messages::ChannelMessages(tl::types::messages::ChannelMessages {
            inexact: false,
            pts: 1,
            count: messages.len() as i32,
            offset_id_offset: None,
            messages,
            topics: Vec::new(),
            chats: Vec::new(),
            users: Vec::new(),
        })
        .to_bytes(),
    )
}

/// The account's own Saved Messages, newest first (`messages.getHistory` of itself; any other
/// peer: PEER_ID_INVALID).
pub fn get_history(body: &[u8], state: &mut State) -> Reply {
    let r: tl::functions::messages::GetHistory = decode(body).expect("messages.getHistory");
    if !matches!(r.peer, tl::enums::InputPeer::PeerSelf) {
        return Reply::Error(400, "PEER_ID_INVALID".into());
    }
    let me = tl::enums::Peer::User(tl::types::PeerUser {
        user_id: super::USER_ID,
    });
    let mut ids = state
        .forwards
        .messages
        .get(&SELF)
        .cloned()
        .unwrap_or_default();
    ids.reverse();
    ids.truncate(r.limit.max(0) as usize);
    let messages = ids.into_iter().map(|id| message(id, me.clone())).collect();
    Reply::Answer(
        tl::enums::messages::Messages::Messages(tl::types::messages::Messages {
            messages,
            topics: Vec::new(),
            chats: Vec::new(),
            users: Vec::new(),
        })
        .to_bytes(),
    )
}

/// The account's own messages among those asked for (`messages.getMessages`; one that does not
/// exist comes back as messageEmpty).
pub fn get_own_messages(body: &[u8], state: &mut State) -> Reply {
    let r: tl::functions::messages::GetMessages = decode(body).expect("messages.getMessages");
    let known = state.forwards.messages.get(&SELF);
    let me = tl::enums::Peer::User(tl::types::PeerUser {
        user_id: super::USER_ID,
    });
    let messages = found(&r.id, known, &me);
    Reply::Answer(
        tl::enums::messages::Messages::Messages(tl::types::messages::Messages {
            messages,
            topics: Vec::new(),
            chats: Vec::new(),
            users: Vec::new(),
        })
        .to_bytes(),
    )
}

/// The messages asked for, as Telegram answers: each that exists in `known`, and messageEmpty
/// for one that doesn't.
fn found(
    wanted: &[tl::enums::InputMessage],
    known: Option<&Vec<i32>>,
    peer: &tl::enums::Peer,
) -> Vec<tl::enums::Message> {
    (wanted.iter())
        .map(|wanted| {
            let id = match wanted {
                tl::enums::InputMessage::Id(m) => m.id,
                _ => 0,
            };
            match known.is_some_and(|k| k.contains(&id)) {
                true => message(id, peer.clone()),
                false => tl::enums::Message::Empty(tl::types::MessageEmpty { id, peer_id: None }),
            }
        })
        .collect()
}

/// A channel post with its id and a text.
fn message(id: i32, peer_id: tl::enums::Peer) -> tl::enums::Message {
    tl::enums::Message::Message(tl::types::Message {
        out: false,
        mentioned: false,
        media_unread: false,
        silent: false,
        post: true,
        from_scheduled: false,
        legacy: false,
        edit_hide: false,
        pinned: false,
        noforwards: false,
        invert_media: false,
        offline: false,
        video_processing_pending: false,
        paid_suggested_post_stars: false,
        paid_suggested_post_ton: false,
        id,
        from_id: None,
        from_boosts_applied: None,
        from_rank: None,
        peer_id,
        saved_peer_id: None,
        fwd_from: None,
        via_bot_id: None,
        via_business_bot_id: None,
        guestchat_via_from: None,
        reply_to: None,
        date: 1,
        message: format!("source message {id}"),
        media: None,
        reply_markup: None,
        entities: None,
        views: None,
        forwards: None,
        replies: None,
        edit_date: None,
        post_author: None,
        grouped_id: None,
        reactions: None,
        restriction_reason: None,
        ttl_period: None,
        quick_reply_shortcut_id: None,
        effect: None,
        factcheck: None,
        report_delivery_until_date: None,
        paid_message_stars: None,
        suggested_post: None,
        schedule_repeat_period: None,
        summary_from_language: None,
        rich_message: None,
    })
}
