//! PURE: what a group takes of a media post. A group's default rights may forbid media
//! ([`MediaBans`], read when the group is added), and Telegram may refuse a media post or an
//! album there at send time; the customer then chooses per group ([`MediaChoice`]) to post the
//! caption as text, the album's first item alone, or to skip the group for media posts.
//! [`carried`] says what one group gets of one post. A text post ignores every choice.

use super::content::{MediaItem, MediaKind};

/// The customer's choice for a group that refuses media posts, by a stable stored name
/// (`chat_groups.media_choice`; no choice: the post as it is).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MediaChoice {
    /// A media post goes there as its caption alone, a text message (skipped when the caption
    /// is empty: there is nothing to post).
    CaptionAsText,
    /// An album goes there as its first item with the caption (one message: for a slow-mode
    /// group that takes no album); a single file or a text goes as it is.
    FirstItem,
    /// Media posts skip the group (recorded as skipped, not failed).
    Skip,
}

impl MediaChoice {
    pub const ALL: [MediaChoice; 3] = [
        MediaChoice::CaptionAsText,
        MediaChoice::FirstItem,
        MediaChoice::Skip,
    ];

    /// The stable stored name: `caption_as_text`, `first_item`, `skip`.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaChoice::CaptionAsText => "caption_as_text",
            MediaChoice::FirstItem => "first_item",
            MediaChoice::Skip => "skip",
        }
    }

    pub fn parse(s: &str) -> Option<MediaChoice> {
        MediaChoice::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The refusals a choice answers, by their outcome names (`telegram::Outcome::name`): a
/// group that refused a media post or an album for one of these is resumed by the choice.
pub const ANSWERED: [&str; 6] = [
    "media_forbidden",
    "photos_forbidden",
    "videos_forbidden",
    "documents_forbidden",
    "gifs_forbidden",
    "albums_refused",
];

/// Whether a refusal (an outcome name) is one a [`MediaChoice`] answers.
pub fn answers(reason: &str) -> bool {
    ANSWERED.contains(&reason)
}

/// What one group gets of the customer's post.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carried {
    /// The post as it is.
    Post,
    /// The caption, as a text message.
    CaptionAsText,
    /// The album's first item, with the caption.
    FirstItem,
    /// Nothing: the slot is skipped ([`super::cycle::SkipReason::MediaSkipped`]).
    Skip,
}

/// What a group with `choice` gets of a post of `items` (none: a text) whose caption is
/// `caption` (HTML).
pub fn carried(choice: Option<MediaChoice>, items: &[MediaItem], caption: &str) -> Carried {
    if items.is_empty() {
        return Carried::Post;
    }
    match choice {
        None => Carried::Post,
        Some(MediaChoice::Skip) => Carried::Skip,
        Some(MediaChoice::CaptionAsText) if blank(caption) => Carried::Skip,
        Some(MediaChoice::CaptionAsText) => Carried::CaptionAsText,
        Some(MediaChoice::FirstItem) if items.len() > 1 => Carried::FirstItem,
        Some(MediaChoice::FirstItem) => Carried::Post,
    }
}

/// Whether an HTML text shows nothing: only whitespace outside its tags (Telegram refuses an
/// empty message).
fn blank(html: &str) -> bool {
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag && !c.is_whitespace() => return false,
            _ => {}
        }
    }
    true
}

/// What a group's default rights forbid its members to send (admins are not bound by them):
/// every media kind, or photos, videos, documents, GIFs. Stored by stable names
/// (`chat_groups.media_bans`: `media`, `photos`, `videos`, `documents`, `gifs`, comma-separated).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MediaBans {
    pub media: bool,
    pub photos: bool,
    pub videos: bool,
    pub documents: bool,
    pub gifs: bool,
}

impl MediaBans {
    /// Nothing forbidden.
    pub const NONE: MediaBans = MediaBans {
        media: false,
        photos: false,
        videos: false,
        documents: false,
        gifs: false,
    };

    fn named(self) -> [(&'static str, bool); 5] {
        [
            ("media", self.media),
            ("photos", self.photos),
            ("videos", self.videos),
            ("documents", self.documents),
            ("gifs", self.gifs),
        ]
    }

    pub fn is_empty(self) -> bool {
        self == MediaBans::NONE
    }

    /// What either forbids (two accounts' restrictions, the group's and an account's own).
    pub fn union(self, other: MediaBans) -> MediaBans {
        MediaBans {
            media: self.media || other.media,
            photos: self.photos || other.photos,
            videos: self.videos || other.videos,
            documents: self.documents || other.documents,
            gifs: self.gifs || other.gifs,
        }
    }

    /// Whether a file of `kind` may not be sent there.
    pub fn forbids(self, kind: MediaKind) -> bool {
        self.media
            || match kind {
                MediaKind::Photo => self.photos,
                MediaKind::Video => self.videos,
                MediaKind::Animation => self.gifs,
                MediaKind::Document => self.documents,
            }
    }

    /// Whether any of a post's files may not be sent there (never for a text).
    pub fn refuse(self, items: &[MediaItem]) -> bool {
        items.iter().any(|i| self.forbids(i.kind))
    }

    /// The names of what is forbidden, in a fixed order (`media` alone when it is all).
    pub fn names(self) -> Vec<&'static str> {
        if self.media {
            return vec!["media"];
        }
        (self.named().into_iter())
            .filter(|(_, on)| *on)
            .map(|(name, _)| name)
            .collect()
    }

    /// As stored: `None` when nothing is forbidden.
    pub fn stored(self) -> Option<String> {
        (!self.is_empty()).then(|| self.names().join(","))
    }

    /// Reads the stored form; `None` for a name this version never wrote.
    pub fn parse(stored: &str) -> Option<MediaBans> {
        let mut bans = MediaBans::NONE;
        for name in stored.split(',').filter(|n| !n.is_empty()) {
            match name {
                "media" => bans.media = true,
                "photos" => bans.photos = true,
                "videos" => bans.videos = true,
                "documents" => bans.documents = true,
                "gifs" => bans.gifs = true,
                _ => return None,
            }
        }
        Some(bans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::content::Sha256;

    fn item(kind: MediaKind) -> MediaItem {
        MediaItem {
            kind,
            sha256: Sha256([7; 32]),
            size: 10,
        }
    }

    #[test]
    fn choices_keep_their_stored_names() {
        for (choice, name) in [
            (MediaChoice::CaptionAsText, "caption_as_text"),
            (MediaChoice::FirstItem, "first_item"),
            (MediaChoice::Skip, "skip"),
        ] {
            assert_eq!(choice.as_str(), name);
            assert_eq!(MediaChoice::parse(name), Some(choice));
        }
        assert_eq!(MediaChoice::parse("post"), None);
    }

    #[test]
    fn each_group_gets_what_its_choice_says_of_each_kind_of_post() {
        use Carried::{CaptionAsText as AsText, FirstItem as First, Post, Skip as Skipped};
        use MediaChoice::{CaptionAsText, FirstItem, Skip};
        let photo = [item(MediaKind::Photo)];
        let album = [item(MediaKind::Photo), item(MediaKind::Video)];
        let rows: [(Option<MediaChoice>, &[MediaItem], &str, Carried); 15] = [
            // A text post ignores every choice.
            (None, &[], "hi", Post),
            (Some(CaptionAsText), &[], "hi", Post),
            (Some(FirstItem), &[], "hi", Post),
            (Some(Skip), &[], "hi", Post),
            // No choice: the media as they are.
            (None, &photo, "cap", Post),
            (None, &album, "cap", Post),
            (Some(CaptionAsText), &photo, "<b>cap</b>", AsText),
            (Some(CaptionAsText), &album, "cap", AsText),
            // Nothing to post as text: skipped.
            (Some(CaptionAsText), &album, " \n", Skipped),
            (Some(CaptionAsText), &photo, "<b> </b>\n<i></i>", Skipped),
            (Some(CaptionAsText), &photo, "<b>&amp;</b>", AsText),
            (Some(FirstItem), &album, "cap", First),
            (Some(FirstItem), &photo, "cap", Post),
            (Some(Skip), &photo, "cap", Skipped),
            (Some(Skip), &album, "", Skipped),
        ];
        for (choice, items, caption, want) in rows {
            assert_eq!(
                carried(choice, items, caption),
                want,
                "{choice:?} {} items {caption:?}",
                items.len()
            );
        }
    }

    #[test]
    fn media_bans_forbid_their_kinds_and_round_trip_through_their_stored_names() {
        let photos = MediaBans {
            photos: true,
            ..MediaBans::NONE
        };
        assert!(photos.forbids(MediaKind::Photo));
        assert!(!photos.forbids(MediaKind::Video));
        assert!(photos.refuse(&[item(MediaKind::Video), item(MediaKind::Photo)]));
        assert!(!photos.refuse(&[item(MediaKind::Video)]));
        assert!(!photos.refuse(&[]), "a text is never refused for media");
        let all = MediaBans {
            media: true,
            ..MediaBans::NONE
        };
        for kind in MediaKind::ALL {
            assert!(all.forbids(kind), "{kind:?}");
        }
        let gifs_docs = MediaBans {
            gifs: true,
            documents: true,
            ..MediaBans::NONE
        };
        assert!(gifs_docs.forbids(MediaKind::Animation) && gifs_docs.forbids(MediaKind::Document));
        let both = photos.union(gifs_docs);
        assert_eq!(both.names(), ["photos", "documents", "gifs"]);
        assert_eq!(both.union(all).names(), ["media"]);
        assert_eq!(photos.union(MediaBans::NONE), photos);
        assert_eq!(MediaBans::NONE.stored(), None);
        assert_eq!(all.stored().as_deref(), Some("media"));
        assert_eq!(gifs_docs.stored().as_deref(), Some("documents,gifs"));
        for bans in [MediaBans::NONE, all, photos, gifs_docs] {
            let stored = bans.stored().unwrap_or_default();
            assert_eq!(MediaBans::parse(&stored), Some(bans), "{stored}");
        }
        assert_eq!(MediaBans::parse("photos,stickers"), None);
    }
}
