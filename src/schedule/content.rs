//! What a customer's post carries, parsed once: a text, one media file with a caption, or an
//! album. The constructor [`PostContent::media`] refuses what Telegram would refuse for the
//! form of the post (no file, more than ten items, documents mixed with photos and videos, an
//! animation in an album, a caption longer than even a Premium account may send), each with a
//! typed [`ContentRefusal`] the bot renders. Files are named by their SHA-256
//! ([`Sha256`]); their bytes live in the store and never in this type. A post can also be a
//! message already in a chat the accounts read ([`ForwardSource`]), forwarded or copied
//! ([`ForwardMode`]).

use std::fmt;

/// The most items an album may have (Telegram's limit).
pub const ALBUM_MAX: usize = 10;
/// The longest caption an account without Premium may send, in Telegram's characters (UTF-16
/// code units of the visible text).
pub const CAPTION_MAX: usize = 1024;
/// The longest caption a Premium account may send; the longest we store.
pub const PREMIUM_CAPTION_MAX: usize = 4096;

/// The kind of one media file, by a stable stored name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MediaKind {
    Photo,
    Video,
    /// A GIF or a silent MP4 loop.
    Animation,
    /// Any file, sent as is.
    Document,
}

impl MediaKind {
    pub const ALL: [MediaKind; 4] = [
        MediaKind::Photo,
        MediaKind::Video,
        MediaKind::Animation,
        MediaKind::Document,
    ];

    /// The stable stored name: `photo`, `video`, `animation`, `document`.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Photo => "photo",
            MediaKind::Video => "video",
            MediaKind::Animation => "animation",
            MediaKind::Document => "document",
        }
    }

    pub fn parse(s: &str) -> Option<MediaKind> {
        MediaKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kind a file is posted as, by its name's extension (case-insensitive): jpg, jpeg
    /// and png are photos, mp4 a video, gif an animation, anything else a document.
    pub fn from_file_name(name: &str) -> MediaKind {
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "jpg" | "jpeg" | "png" => MediaKind::Photo,
            "mp4" => MediaKind::Video,
            "gif" => MediaKind::Animation,
            _ => MediaKind::Document,
        }
    }
}

/// A file's SHA-256: its name in the store (two customers' identical files are one).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256(pub [u8; 32]);

impl Sha256 {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> Sha256 {
        use sha2::Digest;
        Sha256(sha2::Sha256::digest(bytes).into())
    }

    /// From 64 lowercase or uppercase hex digits.
    pub fn from_hex(hex: &str) -> Option<Sha256> {
        if hex.len() != 64 || !hex.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Sha256(out))
    }

    /// 64 lowercase hex digits (the stored form).
    pub fn hex(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({self})")
    }
}

/// One media file of a post: its kind, hash and size (never its bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MediaItem {
    pub kind: MediaKind,
    pub sha256: Sha256,
    /// Bytes.
    pub size: u64,
}

/// A message already in a chat the customer's accounts can read (their channel, a group): the
/// post is that message, or an album's messages, passed on by each account.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ForwardSource {
    /// The chat as the accounts reach it: `@username` (lower case), its Bot-API id (`-100…`),
    /// or [`SAVED_MESSAGES`].
    pub chat: String,
    /// The message ids in the chat, in order: one, or an album's 2–10.
    pub message_ids: Vec<i32>,
}

/// The source chat of a post picked from an account's own Saved Messages: `me:<account id>`.
/// Only that account reads them (each account has its own), so such a post suits a customer
/// with one account; any other account's slot is refused, never sent from its own box.
pub const SAVED_MESSAGES: &str = "me:";

/// The account whose Saved Messages `chat` names, if it names some.
pub fn saved_messages_of(chat: &str) -> Option<i64> {
    let id = chat.strip_prefix(SAVED_MESSAGES)?;
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        .then(|| id.parse::<i64>().ok())
        .flatten()
        .filter(|id| *id > 0)
}

/// How a source message is passed on, by a stable stored name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ForwardMode {
    /// Forwarded: Telegram shows "Forwarded from …", the original exactly (premium emoji and
    /// formatting included).
    Forward,
    /// Copied: posted as the account's own message (forwarded without its author).
    Copy,
}

impl ForwardMode {
    pub const ALL: [ForwardMode; 2] = [ForwardMode::Forward, ForwardMode::Copy];

    /// The stable stored name: `forward`, `copy`.
    pub fn as_str(self) -> &'static str {
        match self {
            ForwardMode::Forward => "forward",
            ForwardMode::Copy => "copy",
        }
    }

    pub fn parse(s: &str) -> Option<ForwardMode> {
        ForwardMode::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// What a customer's post carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PostContent {
    /// A text message, HTML-formatted (the stored `message_html` of every customer before
    /// media).
    Text { html: String },
    /// One photo, video, animation or document with a caption (HTML, may be empty).
    Media { item: MediaItem, caption: String },
    /// 2–10 photos and videos, or 2–10 documents, in order; the caption goes on the first.
    Album {
        items: Vec<MediaItem>,
        caption: String,
    },
    /// A message (or an album's messages) from a chat the accounts read, passed on as is.
    Forward {
        source: ForwardSource,
        mode: ForwardMode,
    },
}

/// Why a post's content was refused, by a stable name (`reason-content-<name>` in the locales
/// once the bot renders it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContentRefusal {
    /// A media post with no file (an empty album).
    #[error("no media file")]
    NoMedia,
    /// More than [`ALBUM_MAX`] items.
    #[error("{count} items: an album has at most {ALBUM_MAX}")]
    TooManyItems { count: usize },
    /// Documents and photos or videos in one album.
    #[error("documents can't be mixed with photos and videos in an album")]
    DocumentsMixed,
    /// An animation in an album (Telegram sends animations alone).
    #[error("an animation can't be part of an album")]
    AnimationInAlbum,
    /// A caption over [`PREMIUM_CAPTION_MAX`] characters.
    #[error("the caption has {chars} characters: at most {PREMIUM_CAPTION_MAX}")]
    CaptionTooLong { chars: usize },
    /// An empty file.
    #[error("an empty file")]
    EmptyFile,
    /// A source chat that can't be one (`@`, an id that is not a chat's).
    #[error("not a chat the accounts can read")]
    BadSource,
    /// A message id that can't be one (0 or negative), or the same message twice.
    #[error("message {id} can't be a source message")]
    BadMessage { id: i32 },
}

impl ContentRefusal {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentRefusal::NoMedia => "no_media",
            ContentRefusal::TooManyItems { .. } => "too_many_items",
            ContentRefusal::DocumentsMixed => "documents_mixed",
            ContentRefusal::AnimationInAlbum => "animation_in_album",
            ContentRefusal::CaptionTooLong { .. } => "caption_too_long",
            ContentRefusal::EmptyFile => "empty_file",
            ContentRefusal::BadSource => "bad_source",
            ContentRefusal::BadMessage { .. } => "bad_message",
        }
    }
}

impl PostContent {
    /// A media post: one item is a single media post, 2–10 an album.
    pub fn media(items: Vec<MediaItem>, caption: String) -> Result<PostContent, ContentRefusal> {
        let chars = visible_len(&caption);
        if chars > PREMIUM_CAPTION_MAX {
            return Err(ContentRefusal::CaptionTooLong { chars });
        }
        if items.iter().any(|i| i.size == 0) {
            return Err(ContentRefusal::EmptyFile);
        }
        match items.len() {
            0 => Err(ContentRefusal::NoMedia),
            1 => Ok(PostContent::Media {
                item: items[0],
                caption,
            }),
            count if count > ALBUM_MAX => Err(ContentRefusal::TooManyItems { count }),
            _ => {
                if items.iter().any(|i| i.kind == MediaKind::Animation) {
                    return Err(ContentRefusal::AnimationInAlbum);
                }
                let documents = (items.iter())
                    .filter(|i| i.kind == MediaKind::Document)
                    .count();
                if documents != 0 && documents != items.len() {
                    return Err(ContentRefusal::DocumentsMixed);
                }
                Ok(PostContent::Album { items, caption })
            }
        }
    }

    /// A post passed on from a source chat: one message, or an album's 2–10 in order.
    pub fn forward(
        chat: &str,
        message_ids: Vec<i32>,
        mode: ForwardMode,
    ) -> Result<PostContent, ContentRefusal> {
        let name = chat.strip_prefix('@');
        let chat_ok = match name {
            Some(name) => !name.is_empty() && !name.contains(char::is_whitespace),
            None => saved_messages_of(chat).is_some() || chat.parse::<i64>().is_ok_and(|id| id < 0),
        };
        if !chat_ok {
            return Err(ContentRefusal::BadSource);
        }
        match message_ids.len() {
            0 => return Err(ContentRefusal::NoMedia),
            count if count > ALBUM_MAX => return Err(ContentRefusal::TooManyItems { count }),
            _ => {}
        }
        for (i, id) in message_ids.iter().enumerate() {
            if *id <= 0 || message_ids[..i].contains(id) {
                return Err(ContentRefusal::BadMessage { id: *id });
            }
        }
        Ok(PostContent::Forward {
            source: ForwardSource {
                chat: chat.to_string(),
                message_ids,
            },
            mode,
        })
    }

    /// The media items, in order (none for a text or a forward).
    pub fn items(&self) -> &[MediaItem] {
        match self {
            PostContent::Text { .. } | PostContent::Forward { .. } => &[],
            PostContent::Media { item, .. } => std::slice::from_ref(item),
            PostContent::Album { items, .. } => items,
        }
    }

    /// The text, or the caption (none for a forward: the source message carries its own).
    pub fn html(&self) -> &str {
        match self {
            PostContent::Text { html } => html,
            PostContent::Forward { .. } => "",
            PostContent::Media { caption, .. } | PostContent::Album { caption, .. } => caption,
        }
    }

    /// The caption's length in Telegram's characters (UTF-16 code units of the visible text);
    /// `None` for a text post. Over [`CAPTION_MAX`], only a Premium account may post it.
    pub fn caption_len(&self) -> Option<usize> {
        match self {
            PostContent::Text { .. } | PostContent::Forward { .. } => None,
            _ => Some(visible_len(self.html())),
        }
    }

    /// Whether only a Premium account may post it (its caption is over [`CAPTION_MAX`]).
    pub fn needs_premium(&self) -> bool {
        self.caption_len().is_some_and(|n| n > CAPTION_MAX)
    }
}

/// The length Telegram counts for an HTML text: the visible text (tags dropped, an entity
/// such as `&amp;` one character), in UTF-16 code units.
pub fn visible_len(html: &str) -> usize {
    let mut n = 0;
    let mut chars = html.chars();
    while let Some(c) = chars.next() {
        match c {
            '<' => {
                for c in chars.by_ref() {
                    if c == '>' {
                        break;
                    }
                }
            }
            '&' => {
                let rest = chars.as_str();
                match rest.find(';') {
                    Some(end) if end <= 10 && !rest[..end].contains(char::is_whitespace) => {
                        chars = rest[end + 1..].chars();
                        n += 1;
                    }
                    _ => n += 1,
                }
            }
            c => n += c.len_utf16(),
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: MediaKind, n: u8) -> MediaItem {
        MediaItem {
            kind,
            sha256: Sha256([n; 32]),
            size: 10,
        }
    }

    #[test]
    fn one_item_is_a_media_post_and_two_to_ten_an_album() {
        let one = PostContent::media(vec![item(MediaKind::Video, 1)], "c".into()).unwrap();
        assert!(matches!(one, PostContent::Media { .. }));
        assert_eq!(one.items().len(), 1);
        for n in 2..=ALBUM_MAX {
            let items: Vec<_> = (0..n)
                .map(|i| item([MediaKind::Photo, MediaKind::Video][i % 2], i as u8))
                .collect();
            let album = PostContent::media(items.clone(), "c".into()).unwrap();
            assert_eq!(album.items(), &items[..], "in order");
        }
        let documents = vec![item(MediaKind::Document, 1), item(MediaKind::Document, 2)];
        assert!(PostContent::media(documents, String::new()).is_ok());
    }

    #[test]
    fn every_refusal_has_its_reason() {
        let refused = |items: Vec<MediaItem>, caption: &str| {
            PostContent::media(items, caption.to_string()).unwrap_err()
        };
        assert_eq!(refused(vec![], ""), ContentRefusal::NoMedia);
        let eleven = (0..11).map(|i| item(MediaKind::Photo, i)).collect();
        assert_eq!(
            refused(eleven, ""),
            ContentRefusal::TooManyItems { count: 11 }
        );
        let mixed = vec![item(MediaKind::Photo, 1), item(MediaKind::Document, 2)];
        assert_eq!(refused(mixed, ""), ContentRefusal::DocumentsMixed);
        let gif = vec![item(MediaKind::Photo, 1), item(MediaKind::Animation, 2)];
        assert_eq!(refused(gif, ""), ContentRefusal::AnimationInAlbum);
        let long = "x".repeat(PREMIUM_CAPTION_MAX + 1);
        assert_eq!(
            refused(vec![item(MediaKind::Photo, 1)], &long),
            ContentRefusal::CaptionTooLong {
                chars: PREMIUM_CAPTION_MAX + 1
            }
        );
        let mut empty = item(MediaKind::Photo, 1);
        empty.size = 0;
        assert_eq!(refused(vec![empty], ""), ContentRefusal::EmptyFile);
        let names: std::collections::HashSet<_> = [
            ContentRefusal::NoMedia,
            ContentRefusal::TooManyItems { count: 0 },
            ContentRefusal::DocumentsMixed,
            ContentRefusal::AnimationInAlbum,
            ContentRefusal::CaptionTooLong { chars: 0 },
            ContentRefusal::EmptyFile,
            ContentRefusal::BadSource,
            ContentRefusal::BadMessage { id: 0 },
        ]
        .map(ContentRefusal::as_str)
        .into();
        assert_eq!(names.len(), 8, "no two refusals share a name");
    }

    #[test]
    fn a_forward_names_a_chat_and_one_to_ten_distinct_messages() {
        let ok = PostContent::forward("@news", vec![5, 6, 7], ForwardMode::Copy).unwrap();
        let PostContent::Forward { source, mode } = &ok else {
            panic!("{ok:?}")
        };
        assert_eq!(
            (source.chat.as_str(), &source.message_ids[..]),
            ("@news", &[5, 6, 7][..])
        );
        assert_eq!(*mode, ForwardMode::Copy);
        assert!((ok.items().is_empty(), ok.html(), ok.caption_len()) == (true, "", None));
        let by_id = PostContent::forward("-1001234567890", vec![1], ForwardMode::Forward);
        assert!(by_id.is_ok());
        assert!(PostContent::forward("me:42", vec![9], ForwardMode::Copy).is_ok());
        assert_eq!(saved_messages_of("me:42"), Some(42));
        for bad in ["me", "me:", "me:x", "me:0", "me:-4", "you"] {
            assert!(
                PostContent::forward(bad, vec![9], ForwardMode::Copy).is_err(),
                "{bad}"
            );
            assert_eq!(saved_messages_of(bad), None, "{bad}");
        }
        let refused = |chat: &str, ids: Vec<i32>| {
            PostContent::forward(chat, ids, ForwardMode::Forward).unwrap_err()
        };
        assert_eq!(refused("@", vec![1]), ContentRefusal::BadSource);
        assert_eq!(refused("news", vec![1]), ContentRefusal::BadSource);
        assert_eq!(refused("12345", vec![1]), ContentRefusal::BadSource);
        assert_eq!(refused("@news", vec![]), ContentRefusal::NoMedia);
        assert_eq!(
            refused("@news", (1..=11).collect()),
            ContentRefusal::TooManyItems { count: 11 }
        );
        assert_eq!(
            refused("@news", vec![0]),
            ContentRefusal::BadMessage { id: 0 }
        );
        assert_eq!(
            refused("@news", vec![3, 3]),
            ContentRefusal::BadMessage { id: 3 }
        );
        for mode in ForwardMode::ALL {
            assert_eq!(ForwardMode::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(ForwardMode::parse("send"), None);
    }

    #[test]
    fn a_caption_over_1024_is_stored_but_needs_premium() {
        let at =
            |n: usize| PostContent::media(vec![item(MediaKind::Photo, 1)], "я".repeat(n)).unwrap();
        assert_eq!(at(CAPTION_MAX).caption_len(), Some(CAPTION_MAX));
        assert!(!at(CAPTION_MAX).needs_premium());
        assert!(at(CAPTION_MAX + 1).needs_premium());
        assert!(at(PREMIUM_CAPTION_MAX).needs_premium());
        let text = PostContent::Text {
            html: "x".repeat(5000),
        };
        assert_eq!(text.caption_len(), None);
        assert!(!text.needs_premium());
    }

    #[test]
    fn the_caption_length_counts_visible_utf16_units() {
        assert_eq!(visible_len("<b>bold</b> &amp; more"), 11);
        assert_eq!(visible_len("a & b"), 5);
        assert_eq!(visible_len("😀"), 2);
        assert_eq!(visible_len("<a href=\"https://x.y\">link</a>"), 4);
    }

    #[test]
    fn kinds_by_extension_and_stable_names() {
        let cases = [
            ("a.JPG", MediaKind::Photo),
            ("a.jpeg", MediaKind::Photo),
            ("dir.x/a.png", MediaKind::Photo),
            ("a.mp4", MediaKind::Video),
            ("a.gif", MediaKind::Animation),
            ("a.pdf", MediaKind::Document),
            ("noext", MediaKind::Document),
        ];
        for (name, kind) in cases {
            assert_eq!(MediaKind::from_file_name(name), kind, "{name}");
        }
        for kind in MediaKind::ALL {
            assert_eq!(MediaKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(MediaKind::parse("sticker"), None);
    }

    #[test]
    fn a_hash_reads_back_from_its_hex() {
        let h = Sha256::of(b"abc");
        assert_eq!(
            h.hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(Sha256::from_hex(&h.hex()), Some(h));
        assert_eq!(Sha256::from_hex("zz"), None);
    }
}
