//! Groups as an account sees them: the part of the Telegram seam the Groups screen uses to
//! check a group before it is added (it exists, the account is a member and may write; slow
//! mode, a forum, the media its default rights forbid noted), to list a forum's topics, and to
//! list the account's own groups to pick from. [`SimGroups`] is the simulated side: any
//! well-formed reference checks out, and every account belongs to a few demonstration groups,
//! among them a forum with topics and a group that takes no media.

use super::{BoxFuture, Media};
pub use crate::schedule::choice::MediaBans;

/// A group as one account reaches it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupInfo {
    /// How the customer's list names it: `@username`, or the Bot-API id.
    pub reference: String,
    pub title: String,
    /// The Bot-API dialog id (`-100…` for supergroups and channels).
    pub dialog_id: i64,
    /// The account's access hash for it (0 for basic groups).
    pub access_hash: i64,
    /// Slow mode: one message per this many seconds.
    pub slow_mode_secs: Option<u32>,
    /// A forum: its posts go into topics ([`Groups::topics`]).
    pub forum: bool,
    /// What the group's default rights forbid members to send (nothing for its admins).
    pub forbids: MediaBans,
}

/// A forum topic, as the topic picker shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topic {
    /// Its top message id (1: the General topic, the forum's main chat).
    pub id: i32,
    pub title: String,
    /// Closed: only admins post there.
    pub closed: bool,
}

/// The media a refusal at send time says a group forbids, as its default rights would.
pub fn bans_of(media: Media) -> MediaBans {
    let mut bans = MediaBans::NONE;
    match media {
        Media::Any => bans.media = true,
        Media::Photos => bans.photos = true,
        Media::Videos => bans.videos = true,
        Media::Documents => bans.documents = true,
        Media::Gifs => bans.gifs = true,
    }
    bans
}

/// Why a group cannot be posted to from an account.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GroupProblem {
    #[error("no such group")]
    NotFound,
    #[error("not a group or channel")]
    NotAGroup,
    #[error("the account is not a member")]
    NotMember,
    #[error("the account may not write there")]
    CannotWrite,
    #[error("the account cannot be used right now")]
    AccountUnavailable,
    #[error("Telegram asks to wait {0} s")]
    FloodWait(u32),
    #[error("Telegram could not be reached")]
    Unavailable,
    #[error("the group is not a forum")]
    NotAForum,
}

/// What the Groups screen needs from Telegram.
pub trait Groups: Send + Sync + 'static {
    /// Checks `reference` (`@username` or a numeric id) through the account.
    fn check<'a>(
        &'a self,
        account_id: i64,
        reference: &'a str,
    ) -> BoxFuture<'a, Result<GroupInfo, GroupProblem>>;

    /// The groups the account belongs to and may write in, to pick from.
    fn list<'a>(&'a self, account_id: i64) -> BoxFuture<'a, Result<Vec<GroupInfo>, GroupProblem>>;

    /// A forum's topics as the account sees them (the first 100, the General topic among
    /// them; deleted ones left out); [`GroupProblem::NotAForum`] for a group that is none.
    fn topics<'a>(
        &'a self,
        account_id: i64,
        reference: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Topic>, GroupProblem>>;
}

/// Simulated groups: every well-formed reference checks out; each account is a member of
/// `@sim_group_1` … `@sim_group_5`, of the forum `@sim_forum_1`, of `@sim_no_media_1` and of
/// `@sim_slow_1`. Any group whose name starts with `sim_forum` is a forum with the topics of
/// [`SimGroups::TOPICS`]; any whose name starts with `sim_no_media` forbids media by its default
/// rights, and any whose name starts with `sim_slow` is in a 60 s slow mode that takes no
/// album (the simulated transport refuses those posts there: [`SimGroups::refuses`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct SimGroups;

impl SimGroups {
    /// A simulated forum's topics: General, two open ones, a closed one.
    pub const TOPICS: [(i32, &'static str, bool); 4] = [
        (super::GENERAL_TOPIC, "General", false),
        (2, "Announcements", false),
        (3, "Offers", false),
        (4, "Archive", true),
    ];

    /// A stable made-up dialog id for a reference.
    fn dialog_id(reference: &str) -> i64 {
        if let Ok(id) = reference.parse::<i64>() {
            return id;
        }
        let hash = reference
            .bytes()
            .fold(1_469_598_103_934_665_603u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(1_099_511_628_211)
            });
        -1_000_000_000_000 - (hash % 1_000_000_000) as i64
    }

    fn forum(reference: &str) -> bool {
        reference.starts_with("@sim_forum")
    }

    /// What a simulated group's default rights forbid: every media kind in `@sim_no_media…`.
    pub fn bans(reference: &str) -> MediaBans {
        MediaBans {
            media: reference.starts_with("@sim_no_media"),
            ..MediaBans::NONE
        }
    }

    /// The refusal the simulated Telegram answers a post carrying `items` into the group
    /// `reference` with, as its default rights and slow mode say: `None` when it takes the
    /// post.
    pub fn refuses(
        reference: &str,
        items: &[crate::schedule::content::MediaItem],
    ) -> Option<super::GroupRefusal> {
        if SimGroups::bans(reference).refuse(items) {
            return Some(super::GroupRefusal::MediaForbidden(Media::Any));
        }
        (SimGroups::slow(reference).is_some() && items.len() > 1)
            .then_some(super::GroupRefusal::AlbumsRefused)
    }

    /// A simulated group's slow mode: 60 s in `@sim_slow…`.
    fn slow(reference: &str) -> Option<u32> {
        reference.starts_with("@sim_slow").then_some(60)
    }

    fn info(reference: &str) -> GroupInfo {
        GroupInfo {
            reference: reference.to_string(),
            title: reference.trim_start_matches('@').to_string(),
            dialog_id: SimGroups::dialog_id(reference),
            access_hash: 0,
            slow_mode_secs: SimGroups::slow(reference),
            forum: SimGroups::forum(reference),
            forbids: SimGroups::bans(reference),
        }
    }
}

impl Groups for SimGroups {
    fn check<'a>(
        &'a self,
        _account_id: i64,
        reference: &'a str,
    ) -> BoxFuture<'a, Result<GroupInfo, GroupProblem>> {
        Box::pin(async move { Ok(SimGroups::info(reference)) })
    }

    fn list<'a>(&'a self, _account_id: i64) -> BoxFuture<'a, Result<Vec<GroupInfo>, GroupProblem>> {
        Box::pin(async move {
            let names = (1..=5).map(|i| format!("@sim_group_{i}"));
            let extra = ["@sim_forum_1", "@sim_no_media_1", "@sim_slow_1"].map(str::to_string);
            Ok(names.chain(extra).map(|r| SimGroups::info(&r)).collect())
        })
    }

    fn topics<'a>(
        &'a self,
        _account_id: i64,
        reference: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Topic>, GroupProblem>> {
        Box::pin(async move {
            if !SimGroups::forum(reference) {
                return Err(GroupProblem::NotAForum);
            }
            Ok((SimGroups::TOPICS.iter())
                .map(|&(id, title, closed)| Topic {
                    id,
                    title: title.to_string(),
                    closed,
                })
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn simulated_groups_check_out_and_list_five_plain_a_forum_one_without_media_and_a_slow_one(
    ) {
        let info = SimGroups.check(1, "@any_group").await.unwrap();
        assert_eq!(
            (info.reference.as_str(), info.title.as_str()),
            ("@any_group", "any_group")
        );
        assert!(info.dialog_id < -1_000_000_000_000);
        assert_eq!(
            SimGroups.check(1, "-1001234").await.unwrap().dialog_id,
            -1001234
        );
        let list = SimGroups.list(7).await.unwrap();
        let names: Vec<&str> = list.iter().map(|g| g.reference.as_str()).collect();
        assert_eq!(
            names,
            [
                "@sim_group_1",
                "@sim_group_2",
                "@sim_group_3",
                "@sim_group_4",
                "@sim_group_5",
                "@sim_forum_1",
                "@sim_no_media_1",
                "@sim_slow_1"
            ]
        );
        assert_eq!(SimGroups.check(1, "@sim_group_1").await.unwrap(), list[0]);
        let plain = &list[0];
        assert!(!plain.forum && plain.forbids.is_empty());
        let forum = SimGroups.check(1, "@sim_forum_1").await.unwrap();
        assert!(forum.forum && forum.forbids.is_empty());
        let no_media = SimGroups.check(1, "@sim_no_media_1").await.unwrap();
        assert!(!no_media.forum && no_media.forbids.media);
        let slow = SimGroups.check(1, "@sim_slow_1").await.unwrap();
        assert_eq!(slow.slow_mode_secs, Some(60));
        assert!(plain.slow_mode_secs.is_none() && slow.forbids.is_empty());
    }

    #[tokio::test]
    async fn a_simulated_forum_lists_general_first_and_a_closed_topic_and_others_are_no_forums() {
        let topics = SimGroups.topics(1, "@sim_forum_1").await.unwrap();
        let seen: Vec<(i32, &str, bool)> = (topics.iter())
            .map(|t| (t.id, t.title.as_str(), t.closed))
            .collect();
        assert_eq!(
            seen,
            [
                (1, "General", false),
                (2, "Announcements", false),
                (3, "Offers", false),
                (4, "Archive", true)
            ]
        );
        assert_eq!(
            SimGroups.topics(1, "@sim_group_1").await,
            Err(GroupProblem::NotAForum)
        );
    }

    #[test]
    fn a_media_choice_answers_exactly_the_media_and_album_refusals() {
        use crate::telegram::{GroupRefusal, Outcome};
        let refused = |r| Outcome::GroupRefused(r).name();
        let answered: Vec<&str> = [Media::Any, Media::Photos, Media::Videos, Media::Documents]
            .into_iter()
            .chain([Media::Gifs])
            .map(|m| refused(GroupRefusal::MediaForbidden(m)))
            .chain([refused(GroupRefusal::AlbumsRefused)])
            .collect();
        assert_eq!(answered, crate::schedule::choice::ANSWERED);
        for other in [
            GroupRefusal::WriteForbidden,
            GroupRefusal::Banned,
            GroupRefusal::TopicClosed,
            GroupRefusal::PaymentRequired { stars: None },
        ] {
            assert!(
                !crate::schedule::choice::answers(refused(other)),
                "{other:?}"
            );
        }
    }

    #[test]
    fn the_simulated_no_media_group_refuses_media_and_the_slow_one_albums() {
        use crate::schedule::content::{MediaItem, MediaKind, Sha256};
        let photo = [MediaItem {
            kind: MediaKind::Photo,
            sha256: Sha256([1; 32]),
            size: 1,
        }];
        assert_eq!(
            SimGroups::refuses("@sim_no_media_1", &photo),
            Some(crate::telegram::GroupRefusal::MediaForbidden(Media::Any))
        );
        assert_eq!(SimGroups::refuses("@sim_no_media_1", &[]), None);
        assert_eq!(SimGroups::refuses("@sim_group_1", &photo), None);
        // The slow one takes a single photo, not an album.
        let album = [photo[0], photo[0]];
        assert_eq!(SimGroups::refuses("@sim_slow_1", &photo), None);
        assert_eq!(
            SimGroups::refuses("@sim_slow_1", &album),
            Some(crate::telegram::GroupRefusal::AlbumsRefused)
        );
        assert_eq!(SimGroups::refuses("@sim_group_1", &album), None);
    }
}
