//! What a customer types, parsed into values that are valid by construction ("parse, don't
//! validate"): the post's text, a group reference, a phone number, a number of seconds or
//! minutes. Each refusal is a [`Refusal`] that the bot renders from the locale files.
//!
//! Also what a customer sends that is not text: a file the post can carry ([`IncomingPart`]:
//! a photo, video, animation or document with its caption), or a kind of message the accounts
//! can't post ([`Unsupported`]), each refused with its own reason.

use crate::schedule::content::{ContentRefusal, MediaKind};
use crate::schedule::{CycleLength, DelayBetweenCycles, DelayBetweenPosts, Field, InputError};

/// Telegram's limit on a message's text, in UTF-16 code units after entity parsing.
pub const MAX_MESSAGE_LEN: usize = 4096;

/// Why typed input was refused.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    EmptyMessage,
    MessageTooLong {
        len: usize,
    },
    MediaMessage,
    BadGroupRef,
    /// A t.me link to a group whose topic or message part is not one.
    BadLink,
    PrivateInvite,
    BadPhone,
    NotANumber,
    Timing(InputError),
    BadSession(crate::telegram::import::ImportError),
    /// A kind of message the accounts can't post (a sticker, a poll, …).
    Unsupported(Unsupported),
    /// A file over what a bot may download ([`DOWNLOAD_MAX`]); `size` in bytes.
    FileTooBig {
        size: u64,
    },
    /// Telegram did not hand the bot the file (getFile or the download failed).
    DownloadFailed,
    /// The files and caption don't make a post (too many items, documents mixed in, …).
    Content(ContentRefusal),
    /// A caption over [`crate::schedule::content::CAPTION_MAX`] while these active accounts
    /// (labels) have no Telegram Premium.
    CaptionNeedsPremium {
        chars: usize,
        accounts: Vec<String>,
    },
    /// More than one item of an album has a caption: a post has one.
    SeveralCaptions,
}

/// The most a bot may download through the Bot API (getFile): 20 MB.
pub const DOWNLOAD_MAX: u64 = 20 * 1024 * 1024;

/// A kind of message the accounts don't post, by a stable name (`unsupported-<name>` in the
/// locales).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unsupported {
    Sticker,
    Poll,
    Voice,
    VideoNote,
    Audio,
    Location,
    Venue,
    Contact,
    Game,
    Dice,
    PaidMedia,
    Story,
    Checklist,
    Invoice,
    /// Anything else that is neither text nor a file (a service message, a giveaway, …).
    Other,
}

impl Unsupported {
    pub const ALL: [Unsupported; 15] = [
        Unsupported::Sticker,
        Unsupported::Poll,
        Unsupported::Voice,
        Unsupported::VideoNote,
        Unsupported::Audio,
        Unsupported::Location,
        Unsupported::Venue,
        Unsupported::Contact,
        Unsupported::Game,
        Unsupported::Dice,
        Unsupported::PaidMedia,
        Unsupported::Story,
        Unsupported::Checklist,
        Unsupported::Invoice,
        Unsupported::Other,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Unsupported::Sticker => "sticker",
            Unsupported::Poll => "poll",
            Unsupported::Voice => "voice",
            Unsupported::VideoNote => "video_note",
            Unsupported::Audio => "audio",
            Unsupported::Location => "location",
            Unsupported::Venue => "venue",
            Unsupported::Contact => "contact",
            Unsupported::Game => "game",
            Unsupported::Dice => "dice",
            Unsupported::PaidMedia => "paid_media",
            Unsupported::Story => "story",
            Unsupported::Checklist => "checklist",
            Unsupported::Invoice => "invoice",
            Unsupported::Other => "other",
        }
    }
}

/// A file the customer sent, as the Bot API describes it (its bytes are downloaded only when
/// the post is taken).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingFile {
    pub kind: MediaKind,
    /// The Bot API's id for getFile (the largest size of a photo).
    pub file_id: String,
    /// Bytes, as Telegram states it.
    pub size: u64,
    pub name: Option<String>,
    pub mime: Option<String>,
}

/// One message carrying a file: a single media post, or one item of an album.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingPart {
    pub message_id: i32,
    pub file: IncomingFile,
    /// The caption with its formatting rendered to HTML (empty: none).
    pub caption_html: String,
}

/// What a customer sent that is not text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaInput {
    /// A message that is neither text nor anything the bot recognises.
    Other,
    /// A kind the accounts don't post (one item of an album is enough).
    Unsupported(Unsupported),
    /// One file, or an album's files in the order the customer gave them.
    Files(Vec<IncomingPart>),
}

/// The post as the accounts will send it: Telegram HTML, 1–4096 characters of text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageText {
    html: String,
}

impl MessageText {
    /// `plain` is the text as Telegram shows it (its length is what the limit counts);
    /// `html` is the same text with its formatting rendered to HTML.
    pub fn parse(plain: &str, html: String) -> Result<MessageText, Refusal> {
        if plain.trim().is_empty() {
            return Err(Refusal::EmptyMessage);
        }
        let len = plain.encode_utf16().count();
        if len > MAX_MESSAGE_LEN {
            return Err(Refusal::MessageTooLong { len });
        }
        Ok(MessageText { html })
    }

    pub fn html(&self) -> &str {
        &self.html
    }
}

/// A group as the customer names it, normalised: `@username` (lower case) or a numeric id,
/// and the number a t.me link carried after the group, if any ([`LinkedPost`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRef(String, Option<LinkedPost>);

/// The number(s) a t.me link carries after the group. A link alone cannot tell a topic from a
/// message: `t.me/name/123` is a forum topic's link when the group is a forum and 123 is one
/// of its topics, and a message link otherwise (Telegram writes both the same way); only
/// `t.me/name/123/456` (message 456 in topic 123) says for sure. The Groups screen asks the
/// group through an account ([`crate::telegram::groups::Groups::topics`]) to decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkedPost {
    /// `t.me/name/N`: topic N of a forum, or message N of a group that is not one (or of a
    /// forum's General topic, when N is no topic of it).
    TopicOrMessage(i32),
    /// `t.me/name/T/M`: message M in topic T, so topic T.
    InTopic(i32),
}

impl LinkedPost {
    /// The topic id the link may name.
    pub fn topic(self) -> i32 {
        match self {
            LinkedPost::TopicOrMessage(n) | LinkedPost::InTopic(n) => n,
        }
    }
}

impl GroupRef {
    /// Accepts `@username`, `t.me/username` (with or without `https://`, also
    /// `telegram.me`), `t.me/username/N` and `t.me/username/T/M` (a topic or a message, see
    /// [`LinkedPost`]), a private group's `t.me/c/<id>/N` (and `/T/M`), which names the group
    /// by its id `-100<id>`, and numeric ids (`-1001234567890`). Private invite links are
    /// refused: the account must already be a member, and the group is then named by its id.
    /// A t.me link whose numbers are not ids (`t.me/name/abc`, `t.me/c/x/5`, a zero, a fourth
    /// part) is refused as [`Refusal::BadLink`].
    pub fn parse(input: &str) -> Result<GroupRef, Refusal> {
        let s = input.trim();
        if s.is_empty() || s.len() > 200 {
            return Err(Refusal::BadGroupRef);
        }
        if let Some(id) = numeric_id(s) {
            return Ok(GroupRef(id.to_string(), None));
        }
        let lower = s.to_ascii_lowercase();
        let path = ["https://", "http://", ""]
            .iter()
            .flat_map(|scheme| {
                ["t.me/", "telegram.me/", "www.t.me/", "www.telegram.me/"]
                    .iter()
                    .map(move |host| format!("{scheme}{host}"))
            })
            .find_map(|prefix| lower.strip_prefix(prefix.as_str()).map(str::to_string));
        let Some(path) = path else {
            // A bare word is not taken as a group: "cancel" must not become @cancel.
            return match lower.strip_prefix('@') {
                Some(name) if is_username(name) => Ok(GroupRef(format!("@{name}"), None)),
                _ => Err(Refusal::BadGroupRef),
            };
        };
        // A message link's query (`?single`, `?thread=…`, `?comment=…`) says nothing more
        // about the group or the topic.
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let path = path.trim_end_matches('/');
        if path.starts_with('+') || path.starts_with("joinchat") {
            return Err(Refusal::PrivateInvite);
        }
        let parts: Vec<&str> = path.split('/').collect();
        let (group, numbers) = match parts.as_slice() {
            ["c", id, numbers @ ..] => {
                let digits =
                    !id.is_empty() && id.len() <= 13 && id.bytes().all(|b| b.is_ascii_digit());
                let id = (digits.then(|| id.parse::<i64>().ok()).flatten())
                    .filter(|n| *n > 0)
                    .ok_or(Refusal::BadLink)?;
                (format!("-100{id}"), numbers)
            }
            [name, numbers @ ..] if is_username(name) => (format!("@{name}"), numbers),
            _ => return Err(Refusal::BadGroupRef),
        };
        let linked = match numbers {
            [] => None,
            [n] => Some(LinkedPost::TopicOrMessage(
                post_number(n).ok_or(Refusal::BadLink)?,
            )),
            [topic, message] => {
                post_number(message).ok_or(Refusal::BadLink)?;
                Some(LinkedPost::InTopic(
                    post_number(topic).ok_or(Refusal::BadLink)?,
                ))
            }
            _ => return Err(Refusal::BadLink),
        };
        Ok(GroupRef(group, linked))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The topic or message the link named after the group.
    pub fn linked(&self) -> Option<LinkedPost> {
        self.1
    }
}

/// A typed text that is nothing but a link to one message in a group or channel
/// (`t.me/name/N`, `t.me/name/T/M`, `t.me/c/<id>/N`, `t.me/c/<id>/T/M`): the Message screen
/// offers to pass that message on, as it does a message forwarded from a channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageLink {
    /// The chat as the accounts reach it: `@username` (lower case) or `-100<id>`.
    pub chat: String,
    pub message_id: i32,
}

impl MessageLink {
    pub fn parse(plain: &str) -> Option<MessageLink> {
        let s = plain.trim();
        let lower = s.to_ascii_lowercase();
        if s.contains(char::is_whitespace)
            || !(lower.contains("t.me/") || lower.contains("telegram.me/"))
        {
            return None;
        }
        let group = GroupRef::parse(s).ok()?;
        group.linked()?;
        let path = s.split(['?', '#']).next()?.trim_end_matches('/');
        let message_id = post_number(path.rsplit('/').next()?)?;
        Some(MessageLink {
            chat: group.as_str().to_string(),
            message_id,
        })
    }
}

/// A message or topic id in a link: a positive 32-bit number in plain digits.
fn post_number(s: &str) -> Option<i32> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i32>().ok().filter(|n| *n > 0)
}

/// A non-zero integer id no longer than Telegram's (13 digits for -100… ids).
fn numeric_id(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || digits.len() > 16 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok().filter(|id| *id != 0)
}

/// Telegram usernames: 5–32 of a–z, 0–9 and `_`, starting with a letter, not ending in `_`.
fn is_username(name: &str) -> bool {
    (5..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('_')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A phone number in international form: 7–15 digits (spaces, dashes, brackets and a
/// leading `+` are dropped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(input: &str) -> Result<Phone, Refusal> {
        let s = input.trim();
        let s = s.strip_prefix('+').unwrap_or(s);
        let mut digits = String::new();
        for c in s.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '(' | ')' => {}
                _ => return Err(Refusal::BadPhone),
            }
        }
        if !(7..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(Refusal::BadPhone);
        }
        Ok(Phone(digits))
    }

    /// Digits only, no `+`.
    pub fn digits(&self) -> &str {
        &self.0
    }
}

/// A timing value typed by the customer: digits with an optional decimal point or comma
/// (`5`, `2.5`, `2,5`: a Russian customer types the comma), and an optional minus sign
/// (`-`, or the typographic `−`) so that a negative value is refused for being negative, and
/// a huge one for its size, by the schedule's rules. Exponents, `inf`, `NaN`, a `+` and a
/// point without digits on both sides are not numbers here.
pub fn parse_number(input: &str) -> Result<f64, Refusal> {
    let s = input.trim().replace(',', ".");
    let (negative, digits) = match s.strip_prefix(['-', '−']) {
        Some(rest) => (true, rest),
        None => (false, s.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !digits.ends_with('.');
    if !ok {
        return Err(Refusal::NotANumber);
    }
    // Any run of digits is a finite or infinite f64; the schedule refuses either as too large.
    let value: f64 = digits.parse().map_err(|_| Refusal::NotANumber)?;
    Ok(if negative { -value } else { value })
}

/// A typed timing field validated by the schedule's rules, as milliseconds to store.
pub fn parse_timing(field: Field, input: &str) -> Result<i64, Refusal> {
    let value = parse_number(input)?;
    let ms = match field {
        Field::DelayBetweenPosts => DelayBetweenPosts::from_secs(value)
            .map(|d| d.requested())
            .map_err(Refusal::Timing)?,
        Field::DelayBetweenCycles => DelayBetweenCycles::from_secs(value)
            .map(|d| d.get())
            .map_err(Refusal::Timing)?,
        Field::CycleMinutes => CycleLength::from_minutes(value)
            .map(|d| d.get())
            .map_err(Refusal::Timing)?,
    };
    Ok(ms.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_that_is_only_a_message_link_names_the_chat_and_the_message() {
        let link = |chat: &str, message_id| {
            Some(MessageLink {
                chat: chat.to_string(),
                message_id,
            })
        };
        let cases = [
            ("https://t.me/OurNews/42", link("@ournews", 42)),
            ("t.me/ournews/42?single", link("@ournews", 42)),
            ("https://t.me/forum_grp/5/77", link("@forum_grp", 77)),
            ("https://t.me/c/1234567890/15", link("-1001234567890", 15)),
            ("t.me/c/1234567890/3/16/", link("-1001234567890", 16)),
            ("https://t.me/ournews", None),
            ("see https://t.me/ournews/42", None),
            ("https://t.me/ournews/abc", None),
            ("https://t.me/+AbCdEf", None),
            ("@ournews", None),
            ("Big sale today", None),
        ];
        for (typed, expected) in cases {
            assert_eq!(MessageLink::parse(typed), expected, "{typed}");
        }
    }

    #[test]
    fn group_references_in_every_accepted_form_normalise() {
        use LinkedPost::{InTopic, TopicOrMessage};
        for (input, want, linked) in [
            ("@MyGroup", "@mygroup", None),
            ("t.me/mygroup", "@mygroup", None),
            ("https://t.me/MyGroup/", "@mygroup", None),
            ("http://telegram.me/mygroup", "@mygroup", None),
            ("www.telegram.me/mygroup", "@mygroup", None),
            ("-1001234567890", "-1001234567890", None),
            (" 777000 ", "777000", None),
            // A topic's link, or a message's: which one, the group decides (a forum?).
            (
                "https://t.me/mygroup/123",
                "@mygroup",
                Some(TopicOrMessage(123)),
            ),
            ("t.me/MyGroup/7/", "@mygroup", Some(TopicOrMessage(7))),
            (
                "t.me/mygroup/123?single",
                "@mygroup",
                Some(TopicOrMessage(123)),
            ),
            // A message inside a topic names the topic for sure.
            ("https://t.me/mygroup/5/678", "@mygroup", Some(InTopic(5))),
            // A private group's links name it by id.
            (
                "https://t.me/c/1234567890/55",
                "-1001234567890",
                Some(TopicOrMessage(55)),
            ),
            ("t.me/c/1234567890/3/99", "-1001234567890", Some(InTopic(3))),
            ("telegram.me/c/1234567890", "-1001234567890", None),
        ] {
            let got = GroupRef::parse(input).unwrap_or_else(|r| panic!("{input}: {r:?}"));
            assert_eq!((got.as_str(), got.linked()), (want, linked), "{input}");
        }
    }

    #[test]
    fn malformed_group_references_are_refused() {
        for input in [
            "",
            "@",
            "@abc",
            "@1abcdef",
            "@abc def",
            "t.me/",
            "0",
            "-",
            "@name_",
            "mygroup",
            "cancel",
            "https://example.com/group",
            "12345678901234567890",
            "@имягруппы",
            "t.me/abc/5",
            "t.me/c",
        ] {
            assert_eq!(GroupRef::parse(input), Err(Refusal::BadGroupRef), "{input}");
        }
        // The group part is right, what follows it is no topic or message id.
        for input in [
            "t.me/mygroup/abc",
            "t.me/mygroup/0",
            "t.me/mygroup/-5",
            "t.me/mygroup/1/2/3",
            "t.me/mygroup/99999999999",
            "t.me/mygroup/5/x",
            "t.me/mygroup/x/5",
            "https://t.me/c/abc/5",
            "t.me/c/0/5",
            "t.me/c/12345678901234/5",
            "t.me/c/1234567890/0",
        ] {
            assert_eq!(GroupRef::parse(input), Err(Refusal::BadLink), "{input}");
        }
        assert_eq!(
            GroupRef::parse("https://t.me/+AbCdEf"),
            Err(Refusal::PrivateInvite)
        );
        assert_eq!(
            GroupRef::parse("t.me/joinchat/AbCdEf"),
            Err(Refusal::PrivateInvite)
        );
    }

    #[test]
    fn phones_keep_digits_only() {
        assert_eq!(
            Phone::parse("+999 66 1-2345").map(|p| p.0),
            Ok("9996612345".into())
        );
        for bad in [
            "",
            "12345",
            "+0123456789",
            "phone",
            "+1 (555) 12a4567",
            "1234567890123456",
        ] {
            assert_eq!(Phone::parse(bad), Err(Refusal::BadPhone), "{bad}");
        }
    }

    #[test]
    fn numbers_are_plain_decimals() {
        assert_eq!(parse_number("5"), Ok(5.0));
        assert_eq!(parse_number(" 2,5 "), Ok(2.5));
        assert_eq!(parse_number("2.5"), Ok(2.5));
        assert_eq!(parse_number("0,0004"), Ok(0.0004));
        for bad in [
            "", "+1", "1e3", "inf", "NaN", "-inf", "1.", ".5", "-", "-.5", "--1", "1.2.3", "1,2.3",
            "five", "5 s", "- 5",
        ] {
            assert_eq!(parse_number(bad), Err(Refusal::NotANumber), "{bad}");
        }
    }

    #[test]
    fn negative_and_huge_numbers_are_numbers() {
        assert_eq!(parse_number("-5"), Ok(-5.0));
        assert_eq!(parse_number("-0,5"), Ok(-0.5));
        assert_eq!(parse_number("−0.5"), Ok(-0.5));
        assert_eq!(parse_number("99999999999999999999"), Ok(1e20));
        assert_eq!(parse_number(&"9".repeat(400)), Ok(f64::INFINITY));
    }

    #[test]
    fn negative_and_huge_timing_values_are_refused_for_what_they_are() {
        use InputError::{Negative, NotPositive, TooLarge};
        for (field, input, want) in [
            (Field::DelayBetweenCycles, "-5", "negative"),
            (Field::DelayBetweenCycles, "-0.5", "negative"),
            // Zero is not allowed either: the refusal names the smallest value.
            (Field::DelayBetweenPosts, "-5", "not positive"),
            (Field::DelayBetweenPosts, "-0,5", "not positive"),
            (Field::CycleMinutes, "-1", "not positive"),
            (
                Field::DelayBetweenPosts,
                "99999999999999999999",
                "too large",
            ),
            (
                Field::DelayBetweenCycles,
                "99999999999999999999",
                "too large",
            ),
            (Field::CycleMinutes, "99999999999999999999", "too large"),
            (Field::CycleMinutes, &"9".repeat(400), "too large"),
        ] {
            let got = match parse_timing(field, input) {
                Err(Refusal::Timing(Negative(f))) if f == field => "negative",
                Err(Refusal::Timing(NotPositive(f))) if f == field => "not positive",
                Err(Refusal::Timing(TooLarge { field: f, .. })) if f == field => "too large",
                other => panic!("{field} {input}: {other:?}"),
            };
            assert_eq!(got, want, "{field} {input}");
        }
    }

    #[test]
    fn timing_values_follow_the_schedule_rules() {
        assert_eq!(parse_timing(Field::DelayBetweenPosts, "1"), Ok(1000));
        assert_eq!(parse_timing(Field::CycleMinutes, "0,5"), Ok(30_000));
        assert_eq!(parse_timing(Field::DelayBetweenCycles, "0"), Ok(0));
        assert!(matches!(
            parse_timing(Field::DelayBetweenPosts, "0"),
            Err(Refusal::Timing(InputError::NotPositive(_)))
        ));
        assert!(matches!(
            parse_timing(Field::DelayBetweenPosts, "999999999"),
            Err(Refusal::Timing(InputError::TooLarge { .. }))
        ));
    }

    #[test]
    fn message_length_counts_what_telegram_counts() {
        assert_eq!(
            MessageText::parse("  \n", String::new()),
            Err(Refusal::EmptyMessage)
        );
        let ok = "a".repeat(MAX_MESSAGE_LEN);
        assert!(MessageText::parse(&ok, ok.clone()).is_ok());
        // An emoji outside the BMP is two UTF-16 units.
        let long = "😀".repeat(MAX_MESSAGE_LEN / 2 + 1);
        assert_eq!(
            MessageText::parse(&long, long.clone()),
            Err(Refusal::MessageTooLong {
                len: MAX_MESSAGE_LEN + 2
            })
        );
    }
}

/// A formatting entity of a Telegram message, as far as the post's HTML needs it. Entities
/// Telegram finds by itself (links typed as text, @mentions, hashtags) need no markup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entity {
    /// In UTF-16 code units, as Telegram counts.
    pub offset: usize,
    pub length: usize,
    pub kind: EntityKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntityKind {
    Bold,
    Italic,
    Underline,
    Strikethrough,
    Spoiler,
    Code,
    Pre { language: Option<String> },
    TextLink { url: String },
    TextMention { user_id: u64 },
    CustomEmoji { id: String },
    Blockquote,
    ExpandableBlockquote,
}

impl EntityKind {
    fn open(&self) -> String {
        use crate::i18n::escape;
        match self {
            EntityKind::Bold => "<b>".into(),
            EntityKind::Italic => "<i>".into(),
            EntityKind::Underline => "<u>".into(),
            EntityKind::Strikethrough => "<s>".into(),
            EntityKind::Spoiler => "<tg-spoiler>".into(),
            EntityKind::Code => "<code>".into(),
            EntityKind::Pre { language: None } => "<pre>".into(),
            EntityKind::Pre {
                language: Some(lang),
            } => format!("<pre><code class=\"language-{}\">", escape(lang)),
            EntityKind::TextLink { url } => format!("<a href=\"{}\">", escape(url)),
            EntityKind::TextMention { user_id } => format!("<a href=\"tg://user?id={user_id}\">"),
            EntityKind::CustomEmoji { id } => format!("<tg-emoji emoji-id=\"{}\">", escape(id)),
            EntityKind::Blockquote => "<blockquote>".into(),
            EntityKind::ExpandableBlockquote => "<blockquote expandable>".into(),
        }
    }

    fn close(&self) -> &'static str {
        match self {
            EntityKind::Bold => "</b>",
            EntityKind::Italic => "</i>",
            EntityKind::Underline => "</u>",
            EntityKind::Strikethrough => "</s>",
            EntityKind::Spoiler => "</tg-spoiler>",
            EntityKind::Code => "</code>",
            EntityKind::Pre { language: None } => "</pre>",
            EntityKind::Pre { language: Some(_) } => "</code></pre>",
            EntityKind::TextLink { .. } | EntityKind::TextMention { .. } => "</a>",
            EntityKind::CustomEmoji { .. } => "</tg-emoji>",
            EntityKind::Blockquote | EntityKind::ExpandableBlockquote => "</blockquote>",
        }
    }
}

/// A message's text and entities as Telegram HTML: every character escaped, every tag closed
/// in order (entities that overlap without nesting are closed and reopened), entities outside
/// the text ignored. What the accounts post is exactly this.
pub fn entities_to_html(text: &str, entities: &[Entity]) -> String {
    let units: Vec<u16> = text.encode_utf16().collect();
    // Outer entities first: earlier start, then longer.
    let mut order: Vec<&Entity> = entities
        .iter()
        .filter(|e| e.length > 0 && e.offset.saturating_add(e.length) <= units.len())
        .collect();
    order.sort_by_key(|e| (e.offset, std::cmp::Reverse(e.length)));
    let mut out = String::with_capacity(text.len() + 16 * order.len());
    let mut open: Vec<&Entity> = Vec::new();
    let mut next = 0;
    let mut pos = 0;
    for ch in char::decode_utf16(units.iter().copied()) {
        // Close what ends here (innermost first), reopening anything cut through.
        close_until(&mut out, &mut open, pos);
        while next < order.len() && order[next].offset == pos {
            out.push_str(&order[next].kind.open());
            open.push(order[next]);
            next += 1;
        }
        let ch = ch.unwrap_or(char::REPLACEMENT_CHARACTER);
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
        pos += ch.len_utf16();
    }
    close_until(&mut out, &mut open, usize::MAX);
    out
}

/// Closes every open entity that ends at or before `pos` (all of them for `usize::MAX`).
fn close_until(out: &mut String, open: &mut Vec<&Entity>, pos: usize) {
    let ends = |e: &Entity| pos == usize::MAX || e.offset + e.length <= pos;
    while open.iter().any(|e| ends(e)) {
        // Unwind to the deepest entity that ends, then reopen the ones above it that go on.
        let deepest = open.iter().rposition(|e| ends(e)).expect("one ends");
        let above: Vec<&Entity> = open.drain(deepest..).collect();
        for e in above.iter().rev() {
            out.push_str(e.kind.close());
        }
        for e in above.into_iter().skip(1) {
            if !ends(e) {
                out.push_str(&e.kind.open());
                open.push(e);
            }
        }
    }
}

#[cfg(test)]
mod render_tests {
    use super::*;

    fn e(offset: usize, length: usize, kind: EntityKind) -> Entity {
        Entity {
            offset,
            length,
            kind,
        }
    }

    #[test]
    fn plain_text_is_escaped() {
        assert_eq!(
            entities_to_html("a < b & c > d", &[]),
            "a &lt; b &amp; c &gt; d"
        );
    }

    #[test]
    fn nested_entities_nest_and_links_are_escaped() {
        let text = "Big sale here";
        let html = entities_to_html(
            text,
            &[
                e(0, 13, EntityKind::Bold),
                e(4, 4, EntityKind::Italic),
                e(
                    9,
                    4,
                    EntityKind::TextLink {
                        url: "https://x.example/?a=1&b=\"2\"".into(),
                    },
                ),
            ],
        );
        assert_eq!(
            html,
            "<b>Big <i>sale</i> <a href=\"https://x.example/?a=1&amp;b=&quot;2&quot;\">here</a></b>"
        );
    }

    #[test]
    fn offsets_count_utf16_units_like_telegram() {
        // The emoji is two UTF-16 units: bold starts after it.
        let html = entities_to_html("😀 hot", &[e(3, 3, EntityKind::Bold)]);
        assert_eq!(html, "😀 <b>hot</b>");
    }

    #[test]
    fn overlapping_entities_still_give_balanced_tags() {
        let html = entities_to_html(
            "abcdef",
            &[e(0, 4, EntityKind::Bold), e(2, 4, EntityKind::Italic)],
        );
        assert_eq!(html, "<b>ab<i>cd</i></b><i>ef</i>");
    }

    #[test]
    fn code_blocks_keep_their_language_escaped_and_bad_entities_are_ignored() {
        let html = entities_to_html(
            "fn x",
            &[
                e(
                    0,
                    4,
                    EntityKind::Pre {
                        language: Some("r\"s<".into()),
                    },
                ),
                e(2, 99, EntityKind::Bold),
            ],
        );
        assert_eq!(
            html,
            "<pre><code class=\"language-r&quot;s&lt;\">fn x</code></pre>"
        );
    }
}
