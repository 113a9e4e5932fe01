//! The menu's screens, registered in one table (`screens!` below): each row names a screen,
//! the code its buttons carry (`m:<code>`, `pg:<code>:<n>`) and the module that is its one
//! home. A screen's module implements `Page`: how it renders, what its buttons do and what
//! the typed answers to its questions do. Adding a screen is one file in `screen/` and one row
//! (a new kind of button also needs its `Cb` variant in [`super::callback`], the wire format;
//! a new kind of question, its `Awaiting` variant, the stored format).
//!
//! Also here: what several screens share (the customer's health, the plan's limit, asking a
//! question again).

use super::callback::Cb;
use super::{alert, answer, show, Action, Awaiting, Button, Control, Ctx, Screenful, Step};
use crate::i18n::{t, Lang};
use crate::schedule::{self, Limited};
use crate::store::{Account, AccountStatus, Group, GroupStatus, StoreError};

/// One screen: how it renders, what its buttons and typed answers do. Only `render` is
/// required; a screen without buttons or questions of its own has nothing else to say.
pub(in crate::bot) trait Page {
    /// A long list shown a page at a time (◀ ▶ buttons carry the screen's code).
    const PAGED: bool = false;

    /// Whether Cancel, while this screen's question is open, comes back to it (otherwise to
    /// the main menu).
    const CANCEL_RETURNS: bool = true;

    /// Renders the screen from the customer's current data; a paged one shows page `page`.
    async fn render(c: &Control, ctx: &Ctx, page: usize) -> Result<Screenful, StoreError>;

    /// The question opening the screen asks (its next typed message answers it).
    fn question() -> Option<Awaiting> {
        None
    }

    /// Carries out a button of this screen's; `None` when `cb` is not one.
    async fn press(_c: &Control, _p: &Press<'_>, _cb: Cb) -> Option<Step> {
        None
    }

    /// Whether the pending question is one this screen asked (its answers come here).
    fn asked(_awaiting: &Awaiting) -> bool {
        false
    }

    /// A typed answer to this screen's question `awaiting`.
    async fn answer(c: &Control, ctx: &Ctx, _awaiting: Awaiting, _text: Typed<'_>) -> Step {
        c.use_the_menu(ctx).await
    }

    /// A message without text (a photo, a sticker, an album) while this screen's question is
    /// open.
    async fn media(_c: &Control, ctx: &Ctx, _media: super::input::MediaInput) -> Step {
        Ok(vec![super::send_text(t(ctx.lang, "text-expected"))])
    }
}

/// A typed message answering a question.
pub(in crate::bot) struct Typed<'a> {
    /// As Telegram shows it.
    pub plain: &'a str,
    /// With its formatting rendered to HTML.
    pub html: String,
    pub message_id: i32,
}

/// A button press, as a screen sees it.
pub(in crate::bot) struct Press<'a> {
    pub ctx: &'a Ctx,
    /// The menu message the button is on.
    pub message_id: Option<i32>,
    /// The question open when the button was pressed.
    pub awaiting: Option<Awaiting>,
}

impl Press<'_> {
    /// Whether a login is in progress (it holds the one open question).
    pub fn login_open(&self) -> bool {
        self.awaiting
            .as_ref()
            .and_then(Awaiting::login_phone)
            .is_some()
    }

    /// One question at a time: a button that asks one is refused while a login is open (it
    /// is finished or cancelled first).
    pub fn busy(&self) -> Option<Step> {
        self.login_open()
            .then(|| Ok(vec![alert(t(self.ctx.lang, "login-in-progress"))]))
    }

    /// The reply showing `screen` in place of the menu message.
    pub fn show(&self, screen: Screenful) -> Step {
        Ok(vec![answer(None), show(self.message_id, screen)])
    }
}

/// The table: `Variant = "code" in module`, one row per screen. The code is on the wire in
/// buttons already in customers' chats: never change one.
macro_rules! screens {
    ($($(#[$doc:meta])* $name:ident = $code:literal in $module:ident,)*) => {
        $(pub(in crate::bot) mod $module;)*

        /// A screen of the menu.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Screen {
            $($(#[$doc])* $name,)*
        }

        impl Screen {
            /// The code in the screen's buttons.
            pub(in crate::bot) fn code(self) -> &'static str {
                match self {
                    $(Screen::$name => $code,)*
                }
            }

            /// The screen a code names.
            pub(in crate::bot) fn parse(code: &str) -> Option<Screen> {
                match code {
                    $($code => Some(Screen::$name),)*
                    _ => None,
                }
            }

            /// Whether the screen is shown a page at a time.
            pub(in crate::bot) fn paged(self) -> bool {
                match self {
                    $(Screen::$name => <$module::$name as Page>::PAGED,)*
                }
            }

            /// The question opening the screen asks.
            pub(in crate::bot) fn question(self) -> Option<Awaiting> {
                match self {
                    $(Screen::$name => <$module::$name as Page>::question(),)*
                }
            }

            pub(in crate::bot) async fn render(
                self,
                c: &Control,
                ctx: &Ctx,
                page: usize,
            ) -> Result<Screenful, StoreError> {
                match self {
                    $(Screen::$name => <$module::$name as Page>::render(c, ctx, page).await,)*
                }
            }

            /// The screen whose button `cb` is, carried out; `None` when no screen owns it.
            pub(in crate::bot) async fn press(c: &Control, p: &Press<'_>, cb: Cb) -> Option<Step> {
                $(
                    if let Some(step) = <$module::$name as Page>::press(c, p, cb).await {
                        return Some(step);
                    }
                )*
                None
            }

            /// The screen that asked `awaiting`.
            pub(in crate::bot) fn asking(awaiting: &Awaiting) -> Option<Screen> {
                $(
                    if <$module::$name as Page>::asked(awaiting) {
                        return Some(Screen::$name);
                    }
                )*
                None
            }

            /// Where Cancel goes back to from the question `awaiting`.
            pub(in crate::bot) fn cancelled(awaiting: Option<&Awaiting>) -> Screen {
                match awaiting.and_then(Screen::asking) {
                    $(Some(Screen::$name) if <$module::$name as Page>::CANCEL_RETURNS => {
                        Screen::$name
                    })*
                    _ => Screen::Main,
                }
            }

            /// The typed answer to `awaiting`, carried out by the screen that asked it.
            pub(in crate::bot) async fn answer(
                c: &Control,
                ctx: &Ctx,
                awaiting: Awaiting,
                text: Typed<'_>,
            ) -> Step {
                match Screen::asking(&awaiting) {
                    $(Some(Screen::$name) => {
                        <$module::$name as Page>::answer(c, ctx, awaiting, text).await
                    })*
                    None => c.use_the_menu(ctx).await,
                }
            }

            /// A message without text while `awaiting` is open.
            pub(in crate::bot) async fn media(
                c: &Control,
                ctx: &Ctx,
                awaiting: &Awaiting,
                media: super::input::MediaInput,
            ) -> Step {
                match Screen::asking(awaiting) {
                    $(Some(Screen::$name) => <$module::$name as Page>::media(c, ctx, media).await,)*
                    None => Ok(vec![super::send_text(t(ctx.lang, "text-expected"))]),
                }
            }
        }
    };
}

screens! {
    Main = "main" in main,
    Message = "msg" in message,
    Groups = "grp" in groups,
    Accounts = "acc" in accounts,
    Timing = "tim" in timing,
    Preview = "prev" in preview,
    Status = "stat" in status,
    Plan = "plan" in plan,
    Language = "lang" in language,
}

pub(in crate::bot) mod list;

impl Control {
    /// Nothing asked: the main menu, saying to use it.
    pub(in crate::bot) async fn use_the_menu(&self, ctx: &Ctx) -> Step {
        let notice = t(ctx.lang, "use-the-menu");
        self.send_screen(ctx, Screen::Main, Some(notice)).await
    }

    /// The customer's accounts that are not paused or stopped.
    pub(in crate::bot) async fn active_accounts(
        &self,
        ctx: &Ctx,
    ) -> Result<Vec<Account>, StoreError> {
        let accounts = self.store.accounts(ctx.id).await?;
        Ok(accounts
            .into_iter()
            .filter(|a| a.status == AccountStatus::Active)
            .collect())
    }

    /// The refusal when the customer's plan has no room for one more account or group
    /// (`have` are there already, paused ones included).
    pub(in crate::bot) fn limit_refusal(
        &self,
        ctx: &Ctx,
        what: Limited,
        have: usize,
    ) -> Option<String> {
        let plan = ctx.row.plan.map(|g| g.plan);
        schedule::may_add(&self.engine.catalog(), plan, what, have)
            .err()
            .map(|o| super::view::over_limit(ctx.lang, &o))
    }

    /// Refuses typed input and repeats the question (it stays open; Cancel abandons it).
    pub(in crate::bot) fn ask_again(&self, ctx: &Ctx, refusal: super::input::Refusal) -> Action {
        ask_again(ctx.lang, super::view::refusal(ctx.lang, &refusal))
    }
}

/// A refusal with Cancel under it: the question stays open.
pub(in crate::bot) fn ask_again(lang: Lang, text: String) -> Action {
    Action::Send(question(lang, text))
}

/// A question with only Cancel under it.
pub(in crate::bot) fn question(lang: Lang, text: String) -> Screenful {
    Screenful {
        text,
        keyboard: vec![vec![Button::new(t(lang, "button-cancel"), Cb::Cancel)]],
    }
}

/// The question `key` with only Cancel under it.
pub(in crate::bot) fn ask(lang: Lang, key: &str) -> Screenful {
    question(lang, t(lang, key))
}

/// The customer's accounts and groups with what Telegram said about them.
pub struct Health {
    pub accounts: Vec<Account>,
    /// The end of each account's flood wait (unix ms), when in the future; aligned with
    /// `accounts`.
    pub waits: Vec<Option<i64>>,
    pub groups: Vec<Group>,
    /// Per group (aligned with `groups`): which account it refused, or slows down, and how.
    pub notes: Vec<Vec<(String, GroupNote)>>,
}

/// What Telegram said about one account in one group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupNote {
    /// The group refused the account (a reason code, and the Stars per message a paid group
    /// asked); paused for it.
    Refused { reason: String, stars: Option<i64> },
    /// Slow mode: the account may post there again at this time (unix ms).
    SlowMode(i64),
}

impl Health {
    /// A group is healthy when neither the customer nor Telegram paused it for anyone.
    pub fn group_ok(&self, i: usize) -> bool {
        self.groups[i].status == GroupStatus::Active
            && !self.notes[i]
                .iter()
                .any(|(_, n)| matches!(n, GroupNote::Refused { .. }))
    }
}

impl Control {
    /// The customer's accounts and groups with the waits and refusals in force (from the
    /// store, so whichever engine recorded them).
    pub(in crate::bot) async fn health(
        &self,
        customer_id: i64,
        now_ms: i64,
    ) -> Result<Health, StoreError> {
        let accounts = self.store.accounts(customer_id).await?;
        let groups = self.store.groups(customer_id).await?;
        let account_waits = self.store.account_waits(customer_id).await?;
        let waits = accounts
            .iter()
            .map(|a| {
                account_waits
                    .iter()
                    .find(|(id, until)| *id == a.id && *until > now_ms)
                    .map(|(_, until)| *until)
            })
            .collect();
        let label = |id: i64| {
            accounts
                .iter()
                .find(|a| a.id == id)
                .map(|a| a.label.clone())
                .unwrap_or_default()
        };
        let mut notes = vec![Vec::new(); groups.len()];
        let index = |group_id: i64| groups.iter().position(|g| g.id == group_id);
        for block in self.store.pair_blocks(customer_id).await? {
            if let Some(i) = index(block.group_id) {
                let note = GroupNote::Refused {
                    reason: block.reason,
                    stars: block.stars,
                };
                notes[i].push((label(block.account_id), note));
            }
        }
        for (account, group, until) in self.store.pair_waits(customer_id).await? {
            if let (Some(i), true) = (index(group), until > now_ms) {
                notes[i].push((label(account), GroupNote::SlowMode(until)));
            }
        }
        Ok(Health {
            accounts,
            waits,
            groups,
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_goes_back_to_the_screen_that_asked() {
        let phone = || "15550001".to_string();
        for (awaiting, back) in [
            (None, Screen::Main),
            // The post is asked by opening the Message screen: Cancel leaves it.
            (Some(Awaiting::Message), Screen::Main),
            (Some(Awaiting::Group), Screen::Groups),
            (
                Some(Awaiting::Timing {
                    field: "posts".into(),
                }),
                Screen::Timing,
            ),
            (Some(Awaiting::Phone), Screen::Accounts),
            (
                Some(Awaiting::Code {
                    phone: phone(),
                    digits: String::new(),
                }),
                Screen::Accounts,
            ),
            (
                Some(Awaiting::Password {
                    phone: phone(),
                    hint: None,
                }),
                Screen::Accounts,
            ),
            (Some(Awaiting::SessionString), Screen::Accounts),
        ] {
            assert_eq!(Screen::cancelled(awaiting.as_ref()), back, "{awaiting:?}");
        }
    }
}
