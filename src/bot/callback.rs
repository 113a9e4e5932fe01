//! Callback data: what each inline button means, encoded in Telegram's 64 bytes and parsed
//! strictly. Anything that does not parse is stale or forged and gets "this menu is out of
//! date"; ids inside are checked against the pressing customer by the store. A screen's code
//! (`m:<code>`) comes from the table in [`super::screen`].

use crate::schedule::choice::MediaChoice;
use crate::schedule::content::ForwardMode;
use crate::schedule::{Field, Mode, Plan};

pub use super::screen::Screen;

/// What a button does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cb {
    Open(Screen),
    Start,
    Stop,
    /// Choose a language (its code).
    Language(crate::i18n::Lang),
    /// Ask for a new value of a timing field.
    AskTiming(Field),
    /// The customer picked a mode (only the plan's is accepted).
    Mode(Mode),
    AddGroup,
    /// List the account's own groups to pick from.
    PickGroups,
    /// Add this group of the account's (its Bot-API dialog id).
    PickGroup(i64),
    /// Pause or resume a group.
    ToggleGroup(i64),
    /// Ask to remove a group, then confirm.
    RemoveGroup(i64),
    ConfirmRemoveGroup(i64),
    /// Show a forum group's topics to pick from.
    Topics(i64),
    /// Post into this topic of the group: (group id, topic id).
    PickTopic(i64, i32),
    /// Show what a media post does in the group, to choose.
    MediaChoices(i64),
    /// Set what a media post does in the group (`None`: posted as it is).
    SetMedia(i64, Option<MediaChoice>),
    AddAccount,
    /// Import a Telethon or Pyrogram session string.
    ImportSession,
    ToggleAccount(i64),
    RemoveAccount(i64),
    ConfirmRemoveAccount(i64),
    /// A login-code keypad key.
    Digit(u8),
    Backspace,
    SubmitCode,
    /// Abandon the question being asked (a login included).
    Cancel,
    /// Another page of a long list (Groups, Accounts).
    Page(Screen, u32),
    /// Send the post as the accounts will post it.
    ShowPost,
    /// Turn silent posts (no notification sound for group members) on or off: the state the
    /// button sets, so a stale press repeats what it said.
    Silent(bool),
    /// Pass the message forwarded from a channel on this way (forward, or copy).
    PassOn(ForwardMode),
    /// Post the message link the customer typed as the text, not the message it links to.
    LinkAsText,
    /// List the account's Saved Messages to pick the post from.
    SavedMessages,
    /// Pick this message of the account's Saved Messages as the post.
    PickSaved(i32),
    /// Buy (or renew) a plan with Telegram Stars.
    Buy(Plan),
    /// Admin: a page of the customer list.
    AdminUsers(u32),
    /// Admin: send the broadcast draft.
    BroadcastConfirm(i64),
    /// Admin: drop the broadcast draft.
    BroadcastAbandon(i64),
}

impl Cb {
    /// The callback data for the button.
    pub fn encode(self) -> String {
        match self {
            Cb::Open(screen) => format!("m:{}", screen.code()),
            Cb::Start => "start".into(),
            Cb::Stop => "stop".into(),
            Cb::Language(lang) => format!("l:{}", lang.code()),
            Cb::AskTiming(field) => format!("t:{}", field_code(field)),
            Cb::Mode(mode) => format!("mode:{}", mode.as_str().to_ascii_lowercase()),
            Cb::AddGroup => "g:add".into(),
            Cb::PickGroups => "g:pick".into(),
            Cb::PickGroup(dialog_id) => format!("g:pk:{dialog_id}"),
            Cb::ToggleGroup(id) => format!("g:p:{id}"),
            Cb::RemoveGroup(id) => format!("g:rm:{id}"),
            Cb::ConfirmRemoveGroup(id) => format!("g:rmy:{id}"),
            Cb::Topics(id) => format!("g:tl:{id}"),
            Cb::PickTopic(id, topic) => format!("g:tp:{id}:{topic}"),
            Cb::MediaChoices(id) => format!("g:mc:{id}"),
            Cb::SetMedia(id, choice) => format!("g:ms:{id}:{}", media_code(choice)),
            Cb::AddAccount => "a:add".into(),
            Cb::ImportSession => "a:imp".into(),
            Cb::ToggleAccount(id) => format!("a:p:{id}"),
            Cb::RemoveAccount(id) => format!("a:rm:{id}"),
            Cb::ConfirmRemoveAccount(id) => format!("a:rmy:{id}"),
            Cb::Digit(d) => format!("k:{d}"),
            Cb::Backspace => "k:del".into(),
            Cb::SubmitCode => "k:ok".into(),
            Cb::Cancel => "cancel".into(),
            Cb::Page(screen, page) => format!("pg:{}:{page}", screen.code()),
            Cb::ShowPost => "post".into(),
            Cb::Silent(on) => format!("sil:{}", u8::from(on)),
            Cb::PassOn(mode) => format!("fw:{}", mode.as_str()),
            Cb::LinkAsText => "fw:text".into(),
            Cb::SavedMessages => "sv".into(),
            Cb::PickSaved(id) => format!("sv:{id}"),
            Cb::Buy(plan) => format!("buy:{}", plan.as_str().to_ascii_lowercase()),
            Cb::AdminUsers(page) => format!("adm:u:{page}"),
            Cb::BroadcastConfirm(id) => format!("adm:bc:{id}"),
            Cb::BroadcastAbandon(id) => format!("adm:bx:{id}"),
        }
    }

    /// Parses callback data; `None` for anything this version never produced.
    pub fn parse(data: &str) -> Option<Cb> {
        let id = |s: &str| -> Option<i64> {
            (!s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        let parts: Vec<&str> = data.split(':').collect();
        Some(match parts.as_slice() {
            ["m", screen] => Cb::Open(Screen::parse(screen)?),
            ["start"] => Cb::Start,
            ["stop"] => Cb::Stop,
            ["l", code] => Cb::Language(match *code {
                "en" => crate::i18n::Lang::En,
                "ru" => crate::i18n::Lang::Ru,
                _ => return None,
            }),
            ["t", field] => Cb::AskTiming(parse_field(field)?),
            ["mode", "starter"] => Cb::Mode(Mode::Starter),
            ["mode", "enterprise"] => Cb::Mode(Mode::Enterprise),
            ["g", "add"] => Cb::AddGroup,
            ["g", "pick"] => Cb::PickGroups,
            ["g", "pk", n] => {
                let (negative, digits) = match n.strip_prefix('-') {
                    Some(digits) => (true, digits),
                    None => (false, *n),
                };
                let magnitude = id(digits)?;
                Cb::PickGroup(if negative { -magnitude } else { magnitude })
            }
            ["g", "p", n] => Cb::ToggleGroup(id(n)?),
            ["g", "rm", n] => Cb::RemoveGroup(id(n)?),
            ["g", "rmy", n] => Cb::ConfirmRemoveGroup(id(n)?),
            ["g", "tl", n] => Cb::Topics(id(n)?),
            ["g", "tp", n, topic] => Cb::PickTopic(
                id(n)?,
                id(topic)
                    .and_then(|t| i32::try_from(t).ok())
                    .filter(|t| *t > 0)?,
            ),
            ["g", "mc", n] => Cb::MediaChoices(id(n)?),
            ["g", "ms", n, code] => Cb::SetMedia(id(n)?, parse_media_code(code)?),
            ["a", "add"] => Cb::AddAccount,
            ["a", "imp"] => Cb::ImportSession,
            ["a", "p", n] => Cb::ToggleAccount(id(n)?),
            ["a", "rm", n] => Cb::RemoveAccount(id(n)?),
            ["a", "rmy", n] => Cb::ConfirmRemoveAccount(id(n)?),
            ["k", "del"] => Cb::Backspace,
            ["k", "ok"] => Cb::SubmitCode,
            ["k", d] if d.len() == 1 && d.as_bytes()[0].is_ascii_digit() => {
                Cb::Digit(d.as_bytes()[0] - b'0')
            }
            ["cancel"] => Cb::Cancel,
            ["pg", screen, n] => {
                let screen = Screen::parse(screen)?;
                let page = id(n).and_then(|n| u32::try_from(n).ok())?;
                if !screen.paged() {
                    return None;
                }
                Cb::Page(screen, page)
            }
            ["post"] => Cb::ShowPost,
            ["sil", "1"] => Cb::Silent(true),
            ["sil", "0"] => Cb::Silent(false),
            ["fw", "text"] => Cb::LinkAsText,
            ["sv"] => Cb::SavedMessages,
            ["sv", n] => Cb::PickSaved(i32::try_from(id(n)?).ok().filter(|n| *n > 0)?),
            ["fw", mode] => Cb::PassOn(ForwardMode::parse(mode)?),
            ["buy", "starter"] => Cb::Buy(Plan::Starter),
            ["buy", "enterprise"] => Cb::Buy(Plan::Enterprise),
            ["adm", "u", n] => Cb::AdminUsers(u32::try_from(id(n)?).ok()?),
            ["adm", "bc", n] => Cb::BroadcastConfirm(id(n)?),
            ["adm", "bx", n] => Cb::BroadcastAbandon(id(n)?),
            _ => return None,
        })
    }
}

/// A media choice in a button: `post` (as it is), `text`, `first`, `skip`.
fn media_code(choice: Option<MediaChoice>) -> &'static str {
    match choice {
        None => "post",
        Some(MediaChoice::CaptionAsText) => "text",
        Some(MediaChoice::FirstItem) => "first",
        Some(MediaChoice::Skip) => "skip",
    }
}

fn parse_media_code(code: &str) -> Option<Option<MediaChoice>> {
    Some(match code {
        "post" => None,
        "text" => Some(MediaChoice::CaptionAsText),
        "first" => Some(MediaChoice::FirstItem),
        "skip" => Some(MediaChoice::Skip),
        _ => return None,
    })
}

pub(crate) fn field_code(field: Field) -> &'static str {
    match field {
        Field::DelayBetweenPosts => "posts",
        Field::DelayBetweenCycles => "cycles",
        Field::CycleMinutes => "minutes",
    }
}

pub(crate) fn parse_field(code: &str) -> Option<Field> {
    match code {
        "posts" => Some(Field::DelayBetweenPosts),
        "cycles" => Some(Field::DelayBetweenCycles),
        "minutes" => Some(Field::CycleMinutes),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn every_button_round_trips_and_fits_telegram_64_bytes() {
        let all = [
            Cb::Open(Screen::Main),
            Cb::Open(Screen::Language),
            Cb::Start,
            Cb::Stop,
            Cb::Language(Lang::Ru),
            Cb::AskTiming(Field::CycleMinutes),
            Cb::Mode(Mode::Enterprise),
            Cb::AddGroup,
            Cb::PickGroups,
            Cb::PickGroup(-1_001_234_567_890),
            Cb::ToggleGroup(i64::MAX),
            Cb::RemoveGroup(7),
            Cb::ConfirmRemoveGroup(7),
            Cb::Topics(i64::MAX),
            Cb::PickTopic(i64::MAX, i32::MAX),
            Cb::PickTopic(3, 1),
            Cb::MediaChoices(i64::MAX),
            Cb::SetMedia(i64::MAX, None),
            Cb::SetMedia(1, Some(MediaChoice::CaptionAsText)),
            Cb::SetMedia(1, Some(MediaChoice::FirstItem)),
            Cb::SetMedia(1, Some(MediaChoice::Skip)),
            Cb::AddAccount,
            Cb::ImportSession,
            Cb::ToggleAccount(1),
            Cb::RemoveAccount(2),
            Cb::ConfirmRemoveAccount(3),
            Cb::Digit(9),
            Cb::Backspace,
            Cb::SubmitCode,
            Cb::Cancel,
            Cb::Page(Screen::Groups, 99),
            Cb::ShowPost,
            Cb::Silent(true),
            Cb::Silent(false),
            Cb::PassOn(ForwardMode::Forward),
            Cb::PassOn(ForwardMode::Copy),
            Cb::LinkAsText,
            Cb::SavedMessages,
            Cb::PickSaved(i32::MAX),
            Cb::Buy(Plan::Starter),
            Cb::Buy(Plan::Enterprise),
            Cb::AdminUsers(u32::MAX),
            Cb::BroadcastConfirm(i64::MAX),
            Cb::BroadcastAbandon(1),
        ];
        for cb in all {
            let data = cb.encode();
            assert!(data.len() <= 64, "{data}");
            assert_eq!(Cb::parse(&data), Some(cb), "{data}");
        }
    }

    #[test]
    fn screen_codes_are_the_ones_already_in_customers_chats() {
        for (screen, data) in [
            (Screen::Main, "m:main"),
            (Screen::Message, "m:msg"),
            (Screen::Groups, "m:grp"),
            (Screen::Accounts, "m:acc"),
            (Screen::Timing, "m:tim"),
            (Screen::Preview, "m:prev"),
            (Screen::Status, "m:stat"),
            (Screen::Plan, "m:plan"),
            (Screen::Language, "m:lang"),
        ] {
            assert_eq!(Cb::Open(screen).encode(), data);
            assert_eq!(Cb::parse(data), Some(Cb::Open(screen)));
        }
        // Only the long lists have pages.
        assert_eq!(Cb::parse("pg:acc:3"), Some(Cb::Page(Screen::Accounts, 3)));
        for data in ["pg:main:1", "pg:tim:0", "pg:stat:2"] {
            assert_eq!(Cb::parse(data), None, "{data}");
        }
    }

    #[test]
    fn forged_or_stale_data_does_not_parse() {
        for data in [
            "",
            "m:admin",
            "g:p:",
            "g:p:-1",
            "g:p:1:2",
            "a:rm:x",
            "k:10",
            "l:de",
            "mode:turbo",
            "t:speed",
            "start:1",
            "g:p:99999999999999999999",
            "buy:gold",
            "adm:u:4294967296",
            "adm:u:-1",
            "sil:2",
            "sil:on",
            "g:tp:1",
            "g:tp:1:0",
            "g:tp:1:-2",
            "g:tp:1:2147483648",
            "g:tp:x:2",
            "g:tl:-1",
            "g:mc:",
            "g:ms:1",
            "g:ms:1:caption",
            "g:ms:1:skip:2",
        ] {
            assert_eq!(Cb::parse(data), None, "{data}");
        }
    }
}
