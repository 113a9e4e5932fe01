//! The send side of [`MtprotoTransport`]: a text post as raw `messages.SendMessage`, one
//! media file as `messages.SendMedia`, an album as `messages.SendMultiMedia`, each with the
//! slot's random ids (an album's item `i` carries `ids.item(i)`), the customer's silent
//! switch and the forum topic as `reply_to`. A retry after a network error, or after a crash,
//! carries the same ids, so it can never post twice: Telegram answers RANDOM_ID_DUPLICATE,
//! which counts as sent.
//!
//! Media is sent by reference: the photo or document the account uploaded (see `media`). A
//! stale reference (FILE_REFERENCE_EXPIRED / _INVALID, or MEDIA_EMPTY for a file Telegram
//! forgot) drops the account's handles of the post and answers [`Outcome::StaleFile`]: nothing
//! was posted, and the engine uploads again and sends the slot again with the same ids.
//!
//! A post passed on from a source chat (`Content::Forward`) goes out as
//! `messages.forwardMessages` (`source`).

use grammers_mtsender::InvocationError;
use grammers_tl_types as tl;

use super::media::Handle;
use super::MtprotoTransport;
use crate::schedule::content::MediaItem;
use crate::store::MediaFile;
use crate::telegram::mtproto::{outcome_of, outcome_of_media_send};
use crate::telegram::{BoxFuture, Content, Outcome, Post, Transport, UploadedHandle};

/// Our stored post HTML as Telegram text and entities. Our renderer writes `<tg-spoiler>`;
/// grammers' parser reads spoilers as `<details>`.
pub fn text_and_entities(html: &str) -> (String, Option<Vec<tl::enums::MessageEntity>>) {
    let html = html
        .replace("<tg-spoiler>", "<details>")
        .replace("</tg-spoiler>", "</details>");
    let (text, entities) = grammers_client::parsers::parse_html_message(&html);
    // Mentions by id need the user's access hash to be sent; they stay as plain text.
    let entities: Vec<_> = entities
        .into_iter()
        .filter(|e| !matches!(e, tl::enums::MessageEntity::MentionName(_)))
        .collect();
    (text, (!entities.is_empty()).then_some(entities))
}

/// The forum topic to post into, as `reply_to` (`top_msg_id`); `None` for the main chat and
/// the General topic (a plain send).
fn reply_to(post: &Post<'_>) -> Option<tl::enums::InputReplyTo> {
    post.thread().map(|topic| {
        tl::enums::InputReplyTo::Message(tl::types::InputReplyToMessage {
            reply_to_msg_id: topic,
            top_msg_id: Some(topic),
            reply_to_peer_id: None,
            quote_text: None,
            quote_entities: None,
            quote_offset: None,
            monoforum_peer_id: None,
            todo_item_id: None,
            poll_option: None,
        })
    })
}

/// The raw `messages.SendMessage` of a text post: the slot's random id, the customer's
/// silent switch, and the forum topic as `reply_to` (`top_msg_id`; the General topic and no
/// topic are a plain send).
pub fn send_message_request(
    post: &Post<'_>,
    peer: tl::enums::InputPeer,
) -> tl::functions::messages::SendMessage {
    let (message, entities) = text_and_entities(post.content.html());
    tl::functions::messages::SendMessage {
        no_webpage: false,
        silent: post.silent,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer,
        reply_to: reply_to(post),
        message,
        random_id: post.random_id(),
        reply_markup: None,
        entities,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
        suggested_post: None,
        rich_message: None,
    }
}

/// The raw `messages.SendMedia` of one uploaded file: the caption as text and entities, the
/// slot's random id, silent and the topic as for a text.
fn send_media_request(
    post: &Post<'_>,
    peer: tl::enums::InputPeer,
    handle: &Handle,
) -> tl::functions::messages::SendMedia {
    let (message, entities) = text_and_entities(post.content.html());
    tl::functions::messages::SendMedia {
        silent: post.silent,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer,
        reply_to: reply_to(post),
        media: handle.input_media(),
        message,
        random_id: post.random_id(),
        reply_markup: None,
        entities,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
        suggested_post: None,
    }
}

/// The raw `messages.SendMultiMedia` of an album: item `i` with random id `ids.item(i)`, the
/// caption (text and entities) on the first item only, silent and the topic for the whole.
fn send_album_request(
    post: &Post<'_>,
    peer: tl::enums::InputPeer,
    handles: &[Handle],
) -> tl::functions::messages::SendMultiMedia {
    let (caption, entities) = text_and_entities(post.content.html());
    let mut caption = Some((caption, entities));
    let multi_media = (handles.iter().enumerate())
        .map(|(i, handle)| {
            let (message, entities) = caption.take().unwrap_or_default();
            tl::enums::InputSingleMedia::Media(tl::types::InputSingleMedia {
                media: handle.input_media(),
                random_id: post.ids.item(i),
                message,
                entities,
            })
        })
        .collect();
    tl::functions::messages::SendMultiMedia {
        silent: post.silent,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer,
        reply_to: reply_to(post),
        multi_media,
        schedule_date: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
    }
}

/// One request of a post, built once the peer is known.
enum Request {
    Text(tl::functions::messages::SendMessage),
    Media(tl::functions::messages::SendMedia),
    Album(tl::functions::messages::SendMultiMedia),
}

impl MtprotoTransport {
    /// The account's handles of the post's files (none for a text); `Err(StaleFile)` when
    /// one is missing (never uploaded here, or dropped as stale): nothing is sent, and the
    /// engine uploads before it sends the slot again.
    fn handles(&self, post: &Post<'_>, files: &[MediaItem]) -> Result<Vec<Handle>, Outcome> {
        if files.is_empty() {
            return Ok(Vec::new());
        }
        self.uploads.handles(post.account_id, files).ok_or_else(|| {
            tracing::debug!(
                account_id = post.account_id,
                "a media post without its upload: the engine uploads again"
            );
            Outcome::StaleFile
        })
    }

    async fn send_post(&self, post: Post<'_>) -> Outcome {
        if let Content::Forward { source, mode } = post.content {
            // messages.forwardMessages (see `source`).
            return self.send_forward(&post, source, mode).await;
        }
        let files = post.content.media();
        let handles = match self.handles(&post, files) {
            Ok(handles) => handles,
            Err(outcome) => return outcome,
        };
        let client = match self.client(post.account_id).await {
            Ok(client) => client,
            Err(outcome) => return outcome,
        };
        let peer = match self.peer(&client, &post).await {
            Ok(peer) => peer,
            Err(outcome) => return outcome,
        };
        if post
            .not_after
            .is_some_and(|at| tokio::time::Instant::now() >= at)
        {
            // Connecting or resolving took too long: the engine may no longer send.
            return Outcome::Network("the lease ran out before the request left".into());
        }
        let request = match (post.content, &handles[..]) {
            (Content::Text { .. }, _) => Request::Text(send_message_request(&post, peer.into())),
            (Content::Media { .. }, [handle]) => {
                Request::Media(send_media_request(&post, peer.into(), handle))
            }
            (Content::Album { .. }, handles) => {
                Request::Album(send_album_request(&post, peer.into(), handles))
            }
            (Content::Media { .. }, _) => {
                return Outcome::Rejected("a media post of several files".into())
            }
            (Content::Forward { source, mode }, _) => {
                return self.send_forward(&post, source, mode).await
            }
        };
        // A network error is retried by the engine, with the same random ids
        // (schedule::retry_after).
        let answer: Result<(), InvocationError> = match &request {
            Request::Text(r) => client.invoke(r).await.map(drop),
            Request::Media(r) => client.invoke(r).await.map(drop),
            Request::Album(r) => client.invoke(r).await.map(drop),
        };
        let outcome = match &answer {
            Ok(()) => Outcome::Sent,
            Err(e) if files.is_empty() => outcome_of(e),
            Err(e) => outcome_of_media_send(e),
        };
        if let Err(e) = &answer {
            let (account_id, group_id) = (post.account_id, post.group_id);
            let outcome_name = outcome.name();
            match e {
                // Telegram's answer: the post log keeps it; the engine obeys it.
                InvocationError::Rpc(_) => {
                    tracing::debug!(account_id, group_id, error = %e, outcome = outcome_name, "Telegram refused a post")
                }
                _ => {
                    tracing::warn!(account_id, group_id, error = %e, outcome = outcome_name, "a post's request failed")
                }
            }
        }
        if outcome == Outcome::StaleFile {
            tracing::info!(
                account_id = post.account_id,
                "Telegram called an uploaded file stale: uploading it again"
            );
            self.uploads.forget(post.account_id, files);
        }
        if matches!(outcome, Outcome::GroupRefused(_)) {
            // Look the group up afresh next time (membership or access hash may change).
            self.peers
                .lock()
                .await
                .remove(&(post.account_id, post.group_id));
        }
        outcome
    }
}

impl Transport for MtprotoTransport {
    fn send<'a>(&'a self, post: Post<'a>) -> BoxFuture<'a, Outcome> {
        Box::pin(self.send_post(post))
    }

    fn release<'a>(&'a self, accounts: &'a [i64]) -> BoxFuture<'a, ()> {
        // The uploads stay: a file belongs to the account, not to the connection.
        Box::pin(self.disconnect(accounts))
    }

    fn prepare_source<'a>(&'a self, accounts: &'a [i64], chat: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(self.warm_source(accounts, chat))
    }

    fn prepare<'a>(&'a self, accounts: &'a [i64]) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            for &account_id in accounts {
                // Opening the client is lazy: one cheap request makes the connection (and
                // the key exchange, on a fresh data center) happen now, not at the post.
                if let Ok(client) = self.client(account_id).await {
                    if let Err(e) = client.is_authorized().await {
                        tracing::debug!(account_id, error = %e, "warm-up request failed");
                    }
                }
            }
        })
    }

    fn has_upload(&self, account_id: i64, sha256: crate::schedule::content::Sha256) -> bool {
        self.uploads.holds(account_id, sha256)
    }

    fn upload<'a>(
        &'a self,
        account_id: i64,
        item: MediaItem,
        file: &'a MediaFile,
    ) -> BoxFuture<'a, Result<UploadedHandle, Outcome>> {
        Box::pin(self.upload_file(account_id, item, file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::content::{MediaKind, Sha256};
    use crate::schedule::RandomIds;
    use crate::telegram::GENERAL_TOPIC;

    fn peer() -> tl::enums::InputPeer {
        tl::enums::InputPeer::Channel(tl::types::InputPeerChannel {
            channel_id: 77,
            access_hash: 5,
        })
    }

    fn post(content: Content<'_>, topic: Option<i32>, silent: bool) -> Post<'_> {
        Post {
            account_id: 3,
            group_id: 9,
            group_ref: "@g",
            content,
            ids: RandomIds::of(42, 7, 3, 9),
            topic,
            silent,
            not_after: None,
        }
    }

    fn assert_topic(reply_to: &Option<tl::enums::InputReplyTo>, topic: i32) {
        match reply_to {
            Some(tl::enums::InputReplyTo::Message(m)) => {
                assert_eq!((m.reply_to_msg_id, m.top_msg_id), (topic, Some(topic)));
                assert!(m.reply_to_peer_id.is_none() && m.quote_text.is_none());
            }
            other => panic!("reply_to {other:?}"),
        }
    }

    fn photo(id: i64) -> Handle {
        Handle::Photo(tl::types::InputPhoto {
            id,
            access_hash: id + 1,
            file_reference: vec![id as u8],
        })
    }

    #[test]
    fn the_send_request_carries_the_random_id_silent_and_the_topic() {
        let text = Content::Text {
            html: "<b>Sale</b>",
        };
        let r = send_message_request(&post(text, Some(123), true), peer());
        assert_eq!(r.random_id, 1_416_767_139_237_786_332);
        assert!(r.silent);
        assert_eq!(r.message, "Sale");
        assert!(r.entities.is_some());
        assert!(matches!(
            &r.peer,
            tl::enums::InputPeer::Channel(c) if c.channel_id == 77 && c.access_hash == 5
        ));
        assert_topic(&r.reply_to, 123);
        for (topic, silent) in [(None, false), (Some(GENERAL_TOPIC), false)] {
            let r = send_message_request(&post(text, topic, silent), peer());
            assert!(r.reply_to.is_none(), "{topic:?}: a plain send");
            assert!(!r.silent);
        }
    }

    #[test]
    fn a_media_post_is_the_uploaded_file_with_the_caption_the_slots_id_silent_and_the_topic() {
        let item = MediaItem {
            kind: MediaKind::Photo,
            sha256: Sha256([1; 32]),
            size: 10,
        };
        let content = Content::Media {
            item: &item,
            caption: "<b>Big</b> sale",
        };
        let r = send_media_request(&post(content, Some(55), true), peer(), &photo(10));
        assert_eq!(r.random_id, 1_416_767_139_237_786_332, "the slot's own id");
        assert!(r.silent);
        assert_eq!(r.message, "Big sale");
        assert!(matches!(
            r.entities.as_deref(),
            Some([tl::enums::MessageEntity::Bold(b)]) if b.offset == 0 && b.length == 3
        ));
        assert_eq!(r.media, photo(10).input_media());
        assert_eq!(r.peer, peer());
        assert_topic(&r.reply_to, 55);
        let plain = send_media_request(
            &post(content, Some(GENERAL_TOPIC), false),
            peer(),
            &photo(10),
        );
        assert!(plain.reply_to.is_none() && !plain.silent);
    }

    #[test]
    fn an_album_carries_one_random_id_per_item_and_the_caption_on_the_first() {
        let item = |b| MediaItem {
            kind: MediaKind::Photo,
            sha256: Sha256([b; 32]),
            size: 10,
        };
        let items = [item(1), item(2), item(3)];
        let content = Content::Album {
            items: &items,
            caption: "<i>Three</i>",
        };
        let p = post(content, Some(8), true);
        let handles = [photo(10), photo(20), photo(30)];
        let r = send_album_request(&p, peer(), &handles);
        assert!(r.silent);
        assert_topic(&r.reply_to, 8);
        assert_eq!(r.multi_media.len(), 3);
        let ids: Vec<i64> = (0..3).map(|i| p.ids.item(i)).collect();
        assert_eq!(ids[0], p.random_id(), "the first item's id is the slot's");
        for (i, single) in r.multi_media.iter().enumerate() {
            let tl::enums::InputSingleMedia::Media(m) = single;
            assert_eq!(m.random_id, ids[i]);
            assert_eq!(m.media, handles[i].input_media());
            if i == 0 {
                assert_eq!(m.message, "Three");
                assert!(matches!(
                    m.entities.as_deref(),
                    Some([tl::enums::MessageEntity::Italic(_)])
                ));
            } else {
                assert_eq!((m.message.as_str(), &m.entities), ("", &None));
            }
        }
        let distinct: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), 3);
    }

    #[test]
    fn our_post_html_becomes_telegram_text_and_entities() {
        let (text, entities) = text_and_entities(
            "<b>Big sale</b> today: 5 &lt; 7 &amp; <tg-spoiler>more</tg-spoiler> <a href=\"https://x.example/?a=1&amp;b=2\">here</a>",
        );
        assert_eq!(text, "Big sale today: 5 < 7 & more here");
        let entities = entities.expect("formatting kept");
        assert!(
            matches!(&entities[0], tl::enums::MessageEntity::Bold(b) if b.offset == 0 && b.length == 8)
        );
        assert!(entities
            .iter()
            .any(|e| matches!(e, tl::enums::MessageEntity::Spoiler(_))));
        assert!(entities.iter().any(
            |e| matches!(e, tl::enums::MessageEntity::TextUrl(u) if u.url == "https://x.example/?a=1&b=2")
        ));
        assert_eq!(text_and_entities("plain").1, None);
    }
}
