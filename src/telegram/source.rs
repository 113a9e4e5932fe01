//! Source messages as an account reads them: the part of the Telegram seam the Message screen
//! uses when a customer's post is passed on from a chat (their channel, a group): before the
//! post is saved, every account of the customer must be able to read the source's messages
//! and pass them on (the chat doesn't protect its content). [`SimSources`] is the simulated
//! side.

use super::BoxFuture;

/// The source as one account reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceInfo {
    /// The chat's title, for the customer.
    pub title: String,
}

/// Why an account can't pass a source message on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SourceProblem {
    /// No such chat, or not one the account can see.
    #[error("no such chat")]
    NotFound,
    /// A private chat the account is not a member of.
    #[error("the account can't read the chat")]
    NotReadable,
    /// The message is not there (deleted, or never was).
    #[error("message {0} is not there")]
    MessageGone(i32),
    /// The chat protects its content: Telegram forwards and copies nothing from it.
    #[error("the chat protects its content")]
    Protected,
    #[error("the account cannot be used right now")]
    AccountUnavailable,
    #[error("Telegram asks to wait {0} s")]
    FloodWait(u32),
    #[error("Telegram could not be reached")]
    Unavailable,
}

impl SourceProblem {
    /// A stable name (`reason-source-<name>` in the locales).
    pub fn as_str(&self) -> &'static str {
        match self {
            SourceProblem::NotFound => "not_found",
            SourceProblem::NotReadable => "not_readable",
            SourceProblem::MessageGone(_) => "message_gone",
            SourceProblem::Protected => "protected",
            SourceProblem::AccountUnavailable => "account_unavailable",
            SourceProblem::FloodWait(_) => "flood_wait",
            SourceProblem::Unavailable => "unavailable",
        }
    }
}

/// One of an account's Saved Messages, as the picker lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedMessage {
    pub id: i32,
    /// The start of its text (or caption), plain; empty for media without one.
    pub text: String,
    /// It carries a photo, video or file.
    pub media: bool,
}

/// What the Message screen needs from Telegram to take a post from a source chat.
pub trait Sources: Send + Sync + 'static {
    /// The account's newest Saved Messages (at most `limit`), newest first.
    fn saved<'a>(
        &'a self,
        account_id: i64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<SavedMessage>, SourceProblem>>;

    /// Checks through the account that `chat` (`@username` or a Bot-API id) can be read and
    /// passed on, and that every one of `message_ids` is there.
    fn read<'a>(
        &'a self,
        account_id: i64,
        chat: &'a str,
        message_ids: &'a [i32],
    ) -> BoxFuture<'a, Result<SourceInfo, SourceProblem>>;
}

/// No way to read sources is configured: every check answers [`SourceProblem::Unavailable`].
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSources;

impl Sources for NoSources {
    fn saved<'a>(
        &'a self,
        _account_id: i64,
        _limit: usize,
    ) -> BoxFuture<'a, Result<Vec<SavedMessage>, SourceProblem>> {
        Box::pin(async { Err(SourceProblem::Unavailable) })
    }

    fn read<'a>(
        &'a self,
        _account_id: i64,
        _chat: &'a str,
        _message_ids: &'a [i32],
    ) -> BoxFuture<'a, Result<SourceInfo, SourceProblem>> {
        Box::pin(async { Err(SourceProblem::Unavailable) })
    }
}

/// Simulated sources: every chat reads, except `@private…` (no account is a member),
/// `@protected…` (protects its content) and message ids from [`SimSources::GONE_FROM`] up
/// (deleted).
#[derive(Clone, Copy, Debug, Default)]
pub struct SimSources;

impl SimSources {
    /// Message ids from here up are "deleted" in every simulated chat.
    pub const GONE_FROM: i32 = 1_000_000;
}

impl Sources for SimSources {
    /// Three saved messages (ids 103, 102, 101), the newest a photo.
    fn saved<'a>(
        &'a self,
        _account_id: i64,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<SavedMessage>, SourceProblem>> {
        Box::pin(async move {
            let all = [
                (103, "Spring sale: everything half price", true),
                (102, "New opening hours from Monday", false),
                (101, "", true),
            ];
            Ok((all.into_iter().take(limit))
                .map(|(id, text, media)| SavedMessage {
                    id,
                    text: text.to_string(),
                    media,
                })
                .collect())
        })
    }

    fn read<'a>(
        &'a self,
        account_id: i64,
        chat: &'a str,
        message_ids: &'a [i32],
    ) -> BoxFuture<'a, Result<SourceInfo, SourceProblem>> {
        Box::pin(async move {
            if let Some(owner) = crate::schedule::content::saved_messages_of(chat) {
                if owner != account_id {
                    return Err(SourceProblem::NotReadable);
                }
            }
            if chat.starts_with("@private") {
                return Err(SourceProblem::NotReadable);
            }
            if chat.starts_with("@protected") {
                return Err(SourceProblem::Protected);
            }
            if let Some(id) = message_ids.iter().find(|id| **id >= SimSources::GONE_FROM) {
                return Err(SourceProblem::MessageGone(*id));
            }
            Ok(SourceInfo {
                title: chat.trim_start_matches('@').to_string(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn simulated_sources_read_except_private_protected_and_gone() {
        let ok = SimSources.read(1, "@news", &[1, 2]).await.unwrap();
        assert_eq!(ok.title, "news");
        assert!(SimSources.read(1, "-1001234", &[5]).await.is_ok());
        let refused = |chat: &'static str, ids: &'static [i32]| SimSources.read(1, chat, ids);
        assert_eq!(
            refused("@private_club", &[1]).await,
            Err(SourceProblem::NotReadable)
        );
        assert_eq!(
            refused("@protected_x", &[1]).await,
            Err(SourceProblem::Protected)
        );
        let gone = SimSources::GONE_FROM;
        assert_eq!(
            SimSources.read(1, "@news", &[3, gone]).await,
            Err(SourceProblem::MessageGone(gone))
        );
    }

    #[test]
    fn every_problem_has_its_own_stable_name_and_reads_in_every_language() {
        let all = [
            SourceProblem::NotFound,
            SourceProblem::NotReadable,
            SourceProblem::MessageGone(1),
            SourceProblem::Protected,
            SourceProblem::AccountUnavailable,
            SourceProblem::FloodWait(1),
            SourceProblem::Unavailable,
        ];
        let names: std::collections::HashSet<_> = all.iter().map(|p| p.as_str()).collect();
        assert_eq!(names.len(), all.len());
        for lang in crate::i18n::Lang::ALL {
            for p in &all {
                let key = format!("reason-source-{}", p.as_str());
                let args = crate::i18n::Args::new().num("id", 7.0).num("secs", 30.0);
                let text = crate::i18n::t_args(lang, &key, &args);
                assert!(text != key && !text.is_empty(), "{lang:?} {key}");
            }
        }
    }
}
