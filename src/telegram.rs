//! The Telegram seam: the few calls the engine needs from a Telegram user account, and the
//! typed outcome of a post, and the login of an account ([`login::Login`]). Implementations:
//! [`sim::SimTransport`] (configurable latency, injectable outcomes; used by the demo, the
//! fleet benchmark and the tests) and [`login::SimLogin`] (Telegram's test numbers). The
//! grammers implementation for real accounts plugs in behind the same traits.

pub mod groups;
pub mod import;
pub mod live;
pub mod login;
pub mod mtproto;
pub mod sim;
pub mod source;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::schedule::content::{ForwardMode, ForwardSource, MediaItem, MediaKind, Sha256};
use crate::schedule::{OutcomeKind, RandomIds};
use crate::store::MediaFile;

/// What to post, where and from which account. Borrowed and `Copy`-sized parts only: a text
/// post costs no allocation on the fleet's hot path.
#[derive(Clone, Debug)]
pub struct Post<'a> {
    pub account_id: i64,
    pub group_id: i64,
    /// The group as the customer gave it (@username, t.me link or numeric id).
    pub group_ref: &'a str,
    /// What is posted.
    pub content: Content<'a>,
    /// The slot's random ids, fixed before the send, so that a retry is recognisably the same
    /// message (Telegram answers RANDOM_ID_DUPLICATE): `ids.first()` for a single message,
    /// `ids.item(i)` for item `i` of several.
    pub ids: RandomIds,
    /// The forum topic to post into (its top message id); `None`, or the General topic
    /// ([`GENERAL_TOPIC`]), is a plain send to the group ([`Post::thread`]).
    pub topic: Option<i32>,
    /// Sent without a notification sound for the group's members.
    pub silent: bool,
    /// The request must not leave after this instant (the engine's lease on the customer is
    /// trusted until then); a transport that had to connect or look the group up first checks
    /// it again just before sending, and answers a network error instead of sending late.
    pub not_after: Option<tokio::time::Instant>,
}

impl Post<'_> {
    /// The slot's own random id (a single message's, the first item's).
    pub fn random_id(&self) -> i64 {
        self.ids.first()
    }

    /// The topic to reply into: `None` for the main chat and for the General topic, which
    /// Telegram takes as a plain send.
    pub fn thread(&self) -> Option<i32> {
        self.topic.filter(|t| *t != GENERAL_TOPIC)
    }
}

/// The General topic of a forum: its top message id. A post "into" it is a plain send.
pub const GENERAL_TOPIC: i32 = 1;

/// What a post carries, borrowed from the cycle (a text post costs no allocation). A media
/// post's files are named by their hash: the transport sends what the account uploaded
/// ([`Transport::upload`]); the random ids per item are in [`Post::ids`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content<'a> {
    /// One text message, HTML-formatted.
    Text { html: &'a str },
    /// One photo, video, animation or document with a caption (HTML, may be empty).
    Media {
        item: &'a MediaItem,
        caption: &'a str,
    },
    /// 2–10 items sent as one album; the caption goes on the first.
    Album {
        items: &'a [MediaItem],
        caption: &'a str,
    },
    /// A message (or an album's messages) from a chat the account reads, forwarded or copied
    /// (messages.forwardMessages, without its author for a copy): one random id per message.
    Forward {
        source: &'a ForwardSource,
        mode: ForwardMode,
    },
}

impl<'a> Content<'a> {
    /// The content of a customer's post: a text when `items` is empty, else its media with
    /// `html` as the caption.
    pub fn of(html: &'a str, items: &'a [MediaItem]) -> Content<'a> {
        match items {
            [] => Content::Text { html },
            [item] => Content::Media {
                item,
                caption: html,
            },
            items => Content::Album {
                items,
                caption: html,
            },
        }
    }

    pub fn kind(&self) -> ContentKind {
        match self {
            Content::Text { .. } => ContentKind::Text,
            Content::Media { item, .. } => match item.kind {
                MediaKind::Photo => ContentKind::Photo,
                MediaKind::Video => ContentKind::Video,
                MediaKind::Animation => ContentKind::Animation,
                MediaKind::Document => ContentKind::Document,
            },
            Content::Album { .. } => ContentKind::Album,
            Content::Forward {
                mode: ForwardMode::Forward,
                ..
            } => ContentKind::Forward,
            Content::Forward {
                mode: ForwardMode::Copy,
                ..
            } => ContentKind::Copy,
        }
    }

    /// How many messages the post makes (one random id each).
    pub fn items(&self) -> usize {
        match self {
            Content::Text { .. } => 1,
            Content::Media { .. } => 1,
            Content::Album { items, .. } => items.len(),
            Content::Forward { source, .. } => source.message_ids.len(),
        }
    }

    /// The media files, in order (none for a text or a forward: a forward uploads nothing).
    pub fn media(&self) -> &'a [MediaItem] {
        match *self {
            Content::Text { .. } | Content::Forward { .. } => &[],
            Content::Media { item, .. } => std::slice::from_ref(item),
            Content::Album { items, .. } => items,
        }
    }

    /// The text, or a media post's caption, HTML-formatted (empty for a forward: the source
    /// message carries its own).
    pub fn html(&self) -> &'a str {
        match *self {
            Content::Text { html } => html,
            Content::Forward { .. } => "",
            Content::Media { caption, .. } | Content::Album { caption, .. } => caption,
        }
    }
}

/// The kind of a post, by a stable name (the demo's `kind`, a recorded send's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContentKind {
    Text,
    Photo,
    Video,
    Animation,
    Document,
    Album,
    Forward,
    Copy,
}

impl ContentKind {
    /// The stable name: `text`, `photo`, `video`, `animation`, `document`, `album`, `forward`,
    /// `copy`.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentKind::Text => "text",
            ContentKind::Photo => "photo",
            ContentKind::Video => "video",
            ContentKind::Animation => "animation",
            ContentKind::Document => "document",
            ContentKind::Album => "album",
            ContentKind::Forward => "forward",
            ContentKind::Copy => "copy",
        }
    }
}

/// A file an account has uploaded: the transport keeps what Telegram gave for it (per
/// account and hash) and sends it for every post of the account that carries the file, this
/// cycle and later, until Telegram calls the reference stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UploadedHandle {
    pub account_id: i64,
    pub sha256: Sha256,
}

/// Why a group refused a post from this account. Each pauses the group for the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupRefusal {
    /// CHAT_WRITE_FORBIDDEN, CHAT_RESTRICTED.
    WriteForbidden,
    /// USER_BANNED_IN_CHANNEL.
    Banned,
    /// CHANNEL_PRIVATE: the account is no longer a member.
    Private,
    /// CHAT_SEND_MEDIA_FORBIDDEN and its per-kind siblings: the group takes no media of the
    /// kind from this account.
    MediaForbidden(Media),
    /// ALLOW_PAYMENT_REQUIRED_N: the group charges N Stars per message (`None`: Telegram gave
    /// no price). Never paid.
    PaymentRequired { stars: Option<u32> },
    /// TOPIC_CLOSED: the forum topic is closed.
    TopicClosed,
    /// TOPIC_DELETED, TOPIC_ID_INVALID: the forum topic is gone.
    TopicDeleted,
    /// SLOWMODE_MULTI_MSGS_DISABLED: a slow-mode group takes no album.
    AlbumsRefused,
}

/// Which media a group forbids (CHAT_SEND_…_FORBIDDEN).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Media {
    /// Every kind (CHAT_SEND_MEDIA_FORBIDDEN, and the kinds we never send on purpose: audio,
    /// voice, round video, sticker, which a document can be taken for).
    Any,
    Photos,
    Videos,
    Documents,
    /// Animations.
    Gifs,
}

/// Why an account can't post any more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountLoss {
    /// AUTH_KEY_UNREGISTERED, SESSION_REVOKED, AUTH_KEY_DUPLICATED.
    Revoked,
    /// USER_DEACTIVATED, USER_DEACTIVATED_BAN.
    Deactivated,
}

/// The outcome of one post, as the engine needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// FLOOD_WAIT / FLOOD_PREMIUM_WAIT: the account must wait.
    FloodWait(Duration),
    /// SLOWMODE_WAIT: this account must wait before posting in this group again.
    SlowMode(Duration),
    /// The group refused the post.
    GroupRefused(GroupRefusal),
    /// The account is gone.
    AccountLost(AccountLoss),
    /// PEER_FLOOD: Telegram limits this account for spam reports.
    PeerFlood,
    /// The request may not have reached Telegram, or its answer was lost: the engine sends
    /// the slot again with the same random id (schedule::retry_after).
    Network(String),
    /// Telegram refused this post for its content or form (MESSAGE_TOO_LONG, …): the slot
    /// fails; nothing about the account or the group changes.
    Rejected(String),
    /// We cannot use the account (its stored session does not open with this server's key):
    /// its session ends for this cycle; the account itself is not blamed.
    Unavailable(String),
    /// FILE_REFERENCE_EXPIRED / _INVALID after the transport's own re-upload: nothing was
    /// posted; the engine sends the slot again with the same random ids.
    StaleFile,
}

impl Outcome {
    /// A short stable name, stored in the post log and printed by the demo.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::FloodWait(_) => "flood_wait",
            Outcome::SlowMode(_) => "slow_mode",
            Outcome::GroupRefused(GroupRefusal::WriteForbidden) => "write_forbidden",
            Outcome::GroupRefused(GroupRefusal::Banned) => "banned",
            Outcome::GroupRefused(GroupRefusal::Private) => "channel_private",
            Outcome::GroupRefused(GroupRefusal::MediaForbidden(media)) => match media {
                Media::Any => "media_forbidden",
                Media::Photos => "photos_forbidden",
                Media::Videos => "videos_forbidden",
                Media::Documents => "documents_forbidden",
                Media::Gifs => "gifs_forbidden",
            },
            Outcome::GroupRefused(GroupRefusal::PaymentRequired { .. }) => "payment_required",
            Outcome::GroupRefused(GroupRefusal::TopicClosed) => "topic_closed",
            Outcome::GroupRefused(GroupRefusal::TopicDeleted) => "topic_deleted",
            Outcome::GroupRefused(GroupRefusal::AlbumsRefused) => "albums_refused",
            Outcome::AccountLost(AccountLoss::Revoked) => "account_revoked",
            Outcome::AccountLost(AccountLoss::Deactivated) => "account_deactivated",
            Outcome::PeerFlood => "peer_flood",
            Outcome::Network(_) => "network_error",
            Outcome::Rejected(_) => "rejected",
            Outcome::Unavailable(_) => "account_unavailable",
            Outcome::StaleFile => "file_reference_expired",
        }
    }

    /// Detail for the post log's error column; `None` for a sent post.
    pub fn error(&self) -> Option<String> {
        match self {
            Outcome::Sent => None,
            Outcome::FloodWait(d) | Outcome::SlowMode(d) => {
                Some(format!("{}: wait {} s", self.name(), d.as_secs()))
            }
            Outcome::Network(detail) => Some(format!("network_error: {detail}")),
            Outcome::Rejected(detail) => Some(format!("rejected: {detail}")),
            Outcome::Unavailable(detail) => Some(format!("account_unavailable: {detail}")),
            Outcome::GroupRefused(GroupRefusal::PaymentRequired { stars: Some(stars) }) => {
                Some(format!("{}: {stars} stars per message", self.name()))
            }
            other => Some(other.name().to_string()),
        }
    }

    /// The classification the pure core decides on.
    pub fn kind(&self) -> OutcomeKind {
        match self {
            Outcome::Sent => OutcomeKind::Sent,
            Outcome::FloodWait(d) => OutcomeKind::FloodWait(*d),
            Outcome::SlowMode(d) => OutcomeKind::SlowMode(*d),
            Outcome::GroupRefused(_) => OutcomeKind::GroupRefused,
            Outcome::AccountLost(_) | Outcome::PeerFlood => OutcomeKind::AccountStopped,
            Outcome::Network(_) => OutcomeKind::Transient,
            Outcome::Rejected(_) => OutcomeKind::Rejected,
            Outcome::Unavailable(_) => OutcomeKind::Unavailable,
            Outcome::StaleFile => OutcomeKind::StaleFile,
        }
    }

    /// The Stars per message a group asked for (ALLOW_PAYMENT_REQUIRED), kept for the
    /// customer's notice.
    pub fn price_stars(&self) -> Option<u32> {
        match self {
            Outcome::GroupRefused(GroupRefusal::PaymentRequired { stars }) => *stars,
            _ => None,
        }
    }
}

/// A boxed future, so the seam can be used as `Arc<dyn Transport>`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the engine needs from Telegram. Implementations must not retry or sleep on Telegram's
/// waits themselves: the engine owns every wait.
pub trait Transport: Send + Sync + 'static {
    /// Posts `post.content` to the group from the account and reports what happened.
    fn send<'a>(&'a self, post: Post<'a>) -> BoxFuture<'a, Outcome>;

    /// The accounts have no more work in this process for a while (their customer stopped,
    /// they left the cycle, or the next cycle is far off): let go of whatever connects them.
    fn release<'a>(&'a self, _accounts: &'a [i64]) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// The accounts post again soon: connect them now, so that the first post of the cycle
    /// doesn't wait for a connection. Best effort; a failure here is the send's to report.
    fn prepare<'a>(&'a self, _accounts: &'a [i64]) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// A post passed on from `chat` is coming from these accounts: look the chat up now (the
    /// engine calls it at a cycle's set-up), so that no forward does it in its slot. Best
    /// effort; a failure is the send's to report.
    fn prepare_source<'a>(&'a self, _accounts: &'a [i64], _chat: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    /// Whether the account holds a usable upload of the file (a send can carry it without
    /// uploading). The cache is the transport's: per (account, hash), for as long as the
    /// transport lives; a send answered [`Outcome::StaleFile`] drops the account's handle.
    fn has_upload(&self, _account_id: i64, _sha256: Sha256) -> bool {
        false
    }

    /// Uploads a file (its bytes, and the name and MIME type the customer's post gives it) for
    /// the account (work before the send: the engine calls it at a
    /// cycle's set-up, and again before a send whose file was lost). A failure is reported
    /// as the send's outcome would be.
    fn upload<'a>(
        &'a self,
        _account_id: i64,
        _item: MediaItem,
        _file: &'a MediaFile,
    ) -> BoxFuture<'a, Result<UploadedHandle, Outcome>> {
        Box::pin(async {
            Err(Outcome::Rejected(
                "this transport does not send media".to_string(),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn every_outcome_has_its_stable_stored_name() {
        let refused = Outcome::GroupRefused;
        let cases = [
            (Outcome::Sent, "sent"),
            (Outcome::FloodWait(Duration::from_secs(1)), "flood_wait"),
            (Outcome::SlowMode(Duration::from_secs(1)), "slow_mode"),
            (refused(GroupRefusal::WriteForbidden), "write_forbidden"),
            (refused(GroupRefusal::Banned), "banned"),
            (refused(GroupRefusal::Private), "channel_private"),
            (
                Outcome::AccountLost(AccountLoss::Revoked),
                "account_revoked",
            ),
            (
                Outcome::AccountLost(AccountLoss::Deactivated),
                "account_deactivated",
            ),
            (Outcome::PeerFlood, "peer_flood"),
            (Outcome::Network(String::new()), "network_error"),
            (Outcome::Rejected(String::new()), "rejected"),
            (Outcome::Unavailable(String::new()), "account_unavailable"),
            (
                refused(GroupRefusal::MediaForbidden(Media::Any)),
                "media_forbidden",
            ),
            (
                refused(GroupRefusal::MediaForbidden(Media::Photos)),
                "photos_forbidden",
            ),
            (
                refused(GroupRefusal::MediaForbidden(Media::Videos)),
                "videos_forbidden",
            ),
            (
                refused(GroupRefusal::MediaForbidden(Media::Documents)),
                "documents_forbidden",
            ),
            (
                refused(GroupRefusal::MediaForbidden(Media::Gifs)),
                "gifs_forbidden",
            ),
            (
                refused(GroupRefusal::PaymentRequired { stars: Some(5) }),
                "payment_required",
            ),
            (refused(GroupRefusal::TopicClosed), "topic_closed"),
            (refused(GroupRefusal::TopicDeleted), "topic_deleted"),
            (refused(GroupRefusal::AlbumsRefused), "albums_refused"),
            (Outcome::StaleFile, "file_reference_expired"),
        ];
        for (outcome, name) in &cases {
            assert_eq!(outcome.name(), *name, "{outcome:?}");
        }
        let names: std::collections::HashSet<_> = cases.iter().map(|(_, n)| n).collect();
        assert_eq!(names.len(), cases.len(), "no two outcomes share a name");
    }

    #[test]
    fn every_rich_post_refusal_reads_as_a_reason_in_every_language() {
        let names = [
            Outcome::GroupRefused(GroupRefusal::MediaForbidden(Media::Any)),
            Outcome::GroupRefused(GroupRefusal::MediaForbidden(Media::Photos)),
            Outcome::GroupRefused(GroupRefusal::MediaForbidden(Media::Videos)),
            Outcome::GroupRefused(GroupRefusal::MediaForbidden(Media::Documents)),
            Outcome::GroupRefused(GroupRefusal::MediaForbidden(Media::Gifs)),
            Outcome::GroupRefused(GroupRefusal::PaymentRequired { stars: None }),
            Outcome::GroupRefused(GroupRefusal::TopicClosed),
            Outcome::GroupRefused(GroupRefusal::TopicDeleted),
            Outcome::GroupRefused(GroupRefusal::AlbumsRefused),
            Outcome::StaleFile,
        ];
        for lang in crate::i18n::Lang::ALL {
            for o in &names {
                let key = format!("reason-{}", o.name());
                assert!(crate::i18n::try_t(lang, &key).is_some(), "{lang:?} {key}");
            }
        }
    }

    #[test]
    fn a_text_post_is_one_item_whose_id_is_the_slots() {
        let post = Post {
            account_id: 1,
            group_id: 2,
            group_ref: "@g",
            content: Content::Text { html: "<b>x</b>" },
            ids: RandomIds::of(42, 7, 3, 9),
            topic: Some(GENERAL_TOPIC),
            silent: false,
            not_after: None,
        };
        assert_eq!(post.content.kind().as_str(), "text");
        assert_eq!(post.content.items(), 1);
        assert_eq!(post.content.html(), "<b>x</b>");
        assert_eq!(post.random_id(), 1_416_767_139_237_786_332);
        assert_eq!(post.thread(), None, "the General topic is a plain send");
        assert_eq!(
            Post {
                topic: Some(7),
                ..post
            }
            .thread(),
            Some(7)
        );
    }

    #[test]
    fn a_customers_content_is_text_media_or_album_by_its_items_with_stable_kind_names() {
        use crate::schedule::content::{ForwardMode, ForwardSource, MediaItem, MediaKind, Sha256};
        let item = |kind| MediaItem {
            kind,
            sha256: Sha256([1; 32]),
            size: 1,
        };
        assert_eq!(Content::of("t", &[]), Content::Text { html: "t" });
        let cases = [
            (MediaKind::Photo, "photo"),
            (MediaKind::Video, "video"),
            (MediaKind::Animation, "animation"),
            (MediaKind::Document, "document"),
        ];
        for (kind, name) in cases {
            let items = [item(kind)];
            let c = Content::of("cap", &items);
            assert_eq!((c.kind().as_str(), c.items(), c.html()), (name, 1, "cap"));
            assert_eq!(c.media(), &items);
        }
        let items = [
            item(MediaKind::Photo),
            item(MediaKind::Video),
            item(MediaKind::Photo),
        ];
        let album = Content::of("cap", &items);
        assert_eq!((album.kind().as_str(), album.items()), ("album", 3));
        assert_eq!(Content::of("t", &[]).kind().as_str(), "text");
        let source = ForwardSource {
            chat: "@news".into(),
            message_ids: vec![3, 4],
        };
        for (mode, name) in [
            (ForwardMode::Forward, "forward"),
            (ForwardMode::Copy, "copy"),
        ] {
            let c = Content::Forward {
                source: &source,
                mode,
            };
            assert_eq!((c.kind().as_str(), c.items(), c.html()), (name, 2, ""));
            assert!(c.media().is_empty(), "a forward uploads nothing");
        }
    }
}
