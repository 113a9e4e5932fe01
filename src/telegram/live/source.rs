//! Source chats through a real account: reading a source's messages before a post is taken
//! from them ([`Sources`]), and the messages.forwardMessages request that passes them on
//! (forwarded, or copied: without their author) with one random id per message.

use grammers_client::Client;
use grammers_mtsender::InvocationError;
use grammers_session::types::{PeerId, PeerRef};
use grammers_tl_types as tl;

use super::{find_dialog, MtprotoTransport};
use crate::schedule::content::{saved_messages_of, ForwardMode, ForwardSource};
use crate::telegram::mtproto::outcome_of;
use crate::telegram::source::{SavedMessage, SourceInfo, SourceProblem, Sources};
use crate::telegram::{BoxFuture, GroupRefusal, Outcome, Post};

/// What a failed request means for reading a source.
fn problem_of(e: &InvocationError) -> SourceProblem {
    if let InvocationError::Rpc(rpc) = e {
        if rpc.name.starts_with("USERNAME_") {
            return SourceProblem::NotFound;
        }
        if rpc.name == "CHAT_FORWARDS_RESTRICTED" {
            return SourceProblem::Protected;
        }
    }
    match outcome_of(e) {
        Outcome::FloodWait(d) => SourceProblem::FloodWait(d.as_secs() as u32),
        Outcome::GroupRefused(_) => SourceProblem::NotReadable,
        Outcome::AccountLost(_) | Outcome::PeerFlood | Outcome::Unavailable(_) => {
            SourceProblem::AccountUnavailable
        }
        _ => SourceProblem::Unavailable,
    }
}

/// The source chat as the account reaches it (a channel or supergroup), with whether it
/// protects its content and its title.
async fn resolve(client: &Client, chat: &str) -> Result<(PeerRef, bool, String), SourceProblem> {
    use grammers_client::peer::Peer;
    let peer = match chat.strip_prefix('@') {
        Some(username) => (client.resolve_username(username).await)
            .map_err(|e| problem_of(&e))?
            .ok_or(SourceProblem::NotFound)?,
        None => {
            let id: i64 = chat.parse().map_err(|_| SourceProblem::NotFound)?;
            let id = PeerId::from_bot_api_dialog_id(id).ok_or(SourceProblem::NotFound)?;
            // A private chat the account reads is among its dialogs.
            let dialog = (find_dialog(client, id).await)
                .map_err(|e| problem_of(&e))?
                .ok_or(SourceProblem::NotReadable)?;
            dialog.peer().clone()
        }
    };
    // A broadcast channel, or a supergroup (grammers names it a group); basic groups number
    // messages per member, so their ids can't be shared by accounts.
    let protected = match &peer {
        Peer::Channel(channel) => channel.raw.noforwards,
        Peer::Group(group) => match &group.raw {
            tl::enums::Chat::Channel(c) => c.noforwards,
            _ => return Err(SourceProblem::NotFound),
        },
        Peer::User(_) | Peer::Community(_) => return Err(SourceProblem::NotFound),
    };
    let title = peer.name().unwrap_or_default().to_string();
    let peer_ref = (peer.to_ref().await.ok().flatten()).ok_or(SourceProblem::NotReadable)?;
    Ok((peer_ref, protected, title))
}

fn input_channel(peer: &PeerRef) -> Option<tl::enums::InputChannel> {
    Some(tl::enums::InputChannel::Channel(tl::types::InputChannel {
        channel_id: peer.id.bare_id()?,
        access_hash: peer.auth.hash(),
    }))
}

/// Every one of `wanted` is a real message in the answer; else the first that isn't, named.
fn all_there(answer: &tl::enums::messages::Messages, wanted: &[i32]) -> Result<(), SourceProblem> {
    let there: Vec<i32> = listed(answer).iter().map(|m| m.id).collect();
    match wanted.iter().find(|id| !there.contains(id)) {
        Some(gone) => Err(SourceProblem::MessageGone(*gone)),
        None => Ok(()),
    }
}

/// The real messages of an answer (service messages and empty ids left out), as the Saved
/// Messages picker shows them.
fn listed(answer: &tl::enums::messages::Messages) -> Vec<SavedMessage> {
    let messages = match answer {
        tl::enums::messages::Messages::Messages(m) => &m.messages,
        tl::enums::messages::Messages::Slice(m) => &m.messages,
        tl::enums::messages::Messages::ChannelMessages(m) => &m.messages,
        tl::enums::messages::Messages::NotModified(_) => return Vec::new(),
    };
    (messages.iter())
        .filter_map(|m| match m {
            tl::enums::Message::Message(m) => Some(SavedMessage {
                id: m.id,
                text: m.message.chars().take(60).collect(),
                media: m.media.is_some(),
            }),
            tl::enums::Message::Service(_) | tl::enums::Message::Empty(_) => None,
        })
        .collect()
}

impl Sources for MtprotoTransport {
    fn saved<'a>(
        &'a self,
        account_id: i64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<SavedMessage>, SourceProblem>> {
        Box::pin(async move {
            let client =
                (self.client(account_id).await).map_err(|_| SourceProblem::AccountUnavailable)?;
            let request = tl::functions::messages::GetHistory {
                peer: tl::enums::InputPeer::PeerSelf,
                offset_id: 0,
                offset_date: 0,
                add_offset: 0,
                limit: limit.min(100) as i32,
                max_id: 0,
                min_id: 0,
                hash: 0,
            };
            let answer = client.invoke(&request).await.map_err(|e| problem_of(&e))?;
            Ok(listed(&answer))
        })
    }

    fn read<'a>(
        &'a self,
        account_id: i64,
        chat: &'a str,
        message_ids: &'a [i32],
    ) -> BoxFuture<'a, Result<SourceInfo, SourceProblem>> {
        Box::pin(async move {
            let client =
                (self.client(account_id).await).map_err(|_| SourceProblem::AccountUnavailable)?;
            let ids = || {
                (message_ids.iter())
                    .map(|id| tl::enums::InputMessage::Id(tl::types::InputMessageId { id: *id }))
                    .collect()
            };
            if let Some(owner) = saved_messages_of(chat) {
                if owner != account_id {
                    // Another account's Saved Messages: never read from this one's own box.
                    return Err(SourceProblem::NotReadable);
                }
                // The account's own Saved Messages: its own message ids.
                let request = tl::functions::messages::GetMessages { id: ids() };
                let answer = client.invoke(&request).await.map_err(|e| problem_of(&e))?;
                all_there(&answer, message_ids)?;
                return Ok(SourceInfo {
                    title: String::new(),
                });
            }
            let (peer, protected, title) = resolve(&client, chat).await?;
            if protected {
                return Err(SourceProblem::Protected);
            }
            let channel = input_channel(&peer).ok_or(SourceProblem::NotFound)?;
            let request = tl::functions::channels::GetMessages { channel, id: ids() };
            let answer = client.invoke(&request).await.map_err(|e| problem_of(&e))?;
            all_there(&answer, message_ids)?;
            Ok(SourceInfo { title })
        })
    }
}

impl MtprotoTransport {
    /// Resolves the source chat for each account ahead of the cycle (the engine calls it at
    /// set-up, with the uploads), so that no forward looks it up in its slot. Best effort: a
    /// failure is the send's to meet.
    pub(super) async fn warm_source(&self, accounts: &[i64], chat: &str) {
        if saved_messages_of(chat).is_some() {
            return; // Nothing to look up: the account's own chat.
        }
        for account_id in accounts {
            let Ok(client) = self.client(*account_id).await else {
                continue;
            };
            if let Err(outcome) = self.source_peer(&client, *account_id, chat).await {
                tracing::info!(
                    account_id,
                    outcome = outcome.name(),
                    "the source chat could not be looked up ahead"
                );
            }
        }
    }

    /// The source chat as the account addresses it, resolved once per (account, chat).
    pub(super) async fn source_peer(
        &self,
        client: &Client,
        account_id: i64,
        chat: &str,
    ) -> Result<PeerRef, Outcome> {
        let key = (account_id, chat.to_string());
        if let Some(peer) = self.sources.lock().await.get(&key) {
            return Ok(*peer);
        }
        let peer = match resolve(client, chat).await {
            Ok((peer, _, _)) => peer,
            Err(SourceProblem::FloodWait(s)) => {
                return Err(Outcome::FloodWait(std::time::Duration::from_secs(s.into())))
            }
            Err(SourceProblem::Unavailable) => {
                return Err(Outcome::Network("resolving the source chat".into()))
            }
            Err(p) => return Err(Outcome::Rejected(format!("source chat: {p}"))),
        };
        self.sources.lock().await.insert(key, peer);
        Ok(peer)
    }
}

impl MtprotoTransport {
    /// Passes the post's source messages on into the group: the source and the group
    /// resolved through the account (each once), then one messages.forwardMessages.
    pub(super) async fn send_forward(
        &self,
        post: &Post<'_>,
        source: &ForwardSource,
        mode: ForwardMode,
    ) -> Outcome {
        let client = match self.client(post.account_id).await {
            Ok(client) => client,
            Err(outcome) => return outcome,
        };
        let from: tl::enums::InputPeer = if let Some(owner) = saved_messages_of(&source.chat) {
            if owner != post.account_id {
                // Never this account's own message with the same id in place of the post.
                return Outcome::Rejected("source chat: another account's Saved Messages".into());
            }
            tl::enums::InputPeer::PeerSelf
        } else {
            match self
                .source_peer(&client, post.account_id, &source.chat)
                .await
            {
                Ok(peer) => peer.into(),
                Err(outcome) => return outcome,
            }
        };
        let to = match self.peer(&client, post).await {
            Ok(peer) => peer,
            Err(outcome) => return outcome,
        };
        if (post.not_after).is_some_and(|at| tokio::time::Instant::now() >= at) {
            return Outcome::Network("the lease ran out before the request left".into());
        }
        let request = forward_request(post, source, mode, from, to.into());
        match client.invoke(&request).await {
            Ok(_) => Outcome::Sent,
            Err(e) => {
                let mut outcome = outcome_of(&e);
                if outcome == Outcome::GroupRefused(GroupRefusal::Private) {
                    // CHANNEL_PRIVATE and its kin may be about either chat: read the source's
                    // messages as the Message screen did when the post was set.
                    let ids = &source.message_ids;
                    let read = self.read(post.account_id, &source.chat, ids).await;
                    outcome = blame(outcome, read.err());
                }
                // Look up afresh next time whichever chat was at fault (membership or access
                // hash may have changed); a wait or a refusal of this post alone keeps both.
                match &outcome {
                    Outcome::GroupRefused(_) => {
                        let mut peers = self.peers.lock().await;
                        peers.remove(&(post.account_id, post.group_id));
                    }
                    Outcome::Rejected(_) => {
                        let mut sources = self.sources.lock().await;
                        sources.remove(&(post.account_id, source.chat.clone()));
                    }
                    _ => {}
                }
                outcome
            }
        }
    }
}

/// Whom a forward's "private" refusal is about: a source the account can no longer read
/// (its messages read again after the refusal) fails the post and leaves the group alone; a
/// source that reads means the group refused the account, as for any post; a check that
/// couldn't be made (Telegram unreachable, a wait, the account unusable) pauses nothing and
/// the slot is tried again.
fn blame(outcome: Outcome, source: Option<SourceProblem>) -> Outcome {
    match source {
        None => outcome,
        // Not known whose it is: tried again (with the same ids), nothing paused.
        Some(
            SourceProblem::Unavailable
            | SourceProblem::FloodWait(_)
            | SourceProblem::AccountUnavailable,
        ) => Outcome::Network("checking the source chat after a refusal".into()),
        Some(problem) => Outcome::Rejected(format!("source chat: {problem}")),
    }
}

/// The forward of a post's source messages into the group: one random id per message
/// (`post.ids.item(i)`), without the author for a copy, silent and into the topic as a text
/// post would be.
pub fn forward_request(
    post: &Post<'_>,
    source: &ForwardSource,
    mode: ForwardMode,
    from_peer: tl::enums::InputPeer,
    to_peer: tl::enums::InputPeer,
) -> tl::functions::messages::ForwardMessages {
    tl::functions::messages::ForwardMessages {
        silent: post.silent,
        background: false,
        with_my_score: false,
        drop_author: mode == ForwardMode::Copy,
        drop_media_captions: false,
        noforwards: false,
        allow_paid_floodskip: false,
        from_ephemeral: false,
        from_peer,
        id: source.message_ids.clone(),
        random_id: (0..source.message_ids.len())
            .map(|i| post.ids.item(i))
            .collect(),
        to_peer,
        top_msg_id: post.thread(),
        reply_to: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        video_timestamp: None,
        // Never pay a group's price for a message.
        allow_paid_stars: None,
        suggested_post: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::RandomIds;
    use crate::telegram::Content;

    #[test]
    fn a_private_answer_is_the_sources_fault_only_when_the_source_no_longer_reads() {
        let private = Outcome::GroupRefused(GroupRefusal::Private);
        assert_eq!(blame(private.clone(), None), private, "the group's");
        for unknown in [
            SourceProblem::Unavailable,
            SourceProblem::FloodWait(5),
            SourceProblem::AccountUnavailable,
        ] {
            let outcome = blame(private.clone(), Some(unknown));
            assert!(matches!(outcome, Outcome::Network(_)), "{outcome:?}");
        }
        for problem in [
            SourceProblem::NotReadable,
            SourceProblem::NotFound,
            SourceProblem::MessageGone(6),
            SourceProblem::Protected,
        ] {
            let said = format!("source chat: {problem}");
            assert_eq!(
                blame(private.clone(), Some(problem)),
                Outcome::Rejected(said)
            );
        }
    }

    #[test]
    fn the_forward_carries_one_slot_id_per_message_the_mode_silent_and_the_topic() {
        let source = ForwardSource {
            chat: "@news".into(),
            message_ids: vec![10, 11, 12],
        };
        let ids = RandomIds::of(42, 7, 3, 9);
        let post = Post {
            account_id: 3,
            group_id: 9,
            group_ref: "@g",
            content: Content::Forward {
                source: &source,
                mode: ForwardMode::Copy,
            },
            ids,
            topic: Some(5),
            silent: true,
            not_after: None,
        };
        let peer = |id| {
            PeerRef {
                id: PeerId::from_bot_api_dialog_id(id).unwrap(),
                auth: grammers_session::types::PeerAuth::from_hash(77),
            }
            .into()
        };
        let copy = forward_request(&post, &source, ForwardMode::Copy, peer(-1001), peer(-1002));
        assert_eq!(copy.id, [10, 11, 12]);
        assert_eq!(copy.random_id, [ids.item(0), ids.item(1), ids.item(2)]);
        assert_eq!(copy.random_id[0], post.random_id());
        assert!(copy.drop_author && copy.silent);
        assert_eq!(copy.top_msg_id, Some(5));
        assert_eq!(copy.allow_paid_stars, None, "never paid");
        let general = Post {
            topic: Some(crate::telegram::GENERAL_TOPIC),
            silent: false,
            ..post
        };
        let forward = forward_request(
            &general,
            &source,
            ForwardMode::Forward,
            peer(-1001),
            peer(-1002),
        );
        assert!(!forward.drop_author && !forward.silent);
        assert_eq!(
            forward.top_msg_id, None,
            "the General topic is a plain send"
        );
    }
}
