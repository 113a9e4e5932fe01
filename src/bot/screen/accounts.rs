//! The Accounts screen: the customer's accounts with their health, pause/resume and remove
//! (the shared [`super::list`]), and adding one by phone login or session import (carried
//! out by [`crate::bot::login`]).

use super::list::{self, Kind, Listed, Row};
use super::{ask, Health, Page, Press, Screen, Typed};
use crate::bot::callback::Cb;
use crate::bot::view::{self, account_health};
use crate::bot::{alert, login, Action, Awaiting, Button, Control, Ctx, Screenful, Step};
use crate::i18n::{t, Lang};
use crate::schedule::Limited;
use crate::store::{Account, AccountStatus, StoreError};

pub(in crate::bot) struct Accounts;

impl Page for Accounts {
    const PAGED: bool = true;

    async fn render(c: &Control, ctx: &Ctx, page: usize) -> Result<Screenful, StoreError> {
        let logins = match &c.login {
            None => Logins::Unavailable,
            Some(login) if login.imports_sessions() => Logins::PhoneOrSession,
            Some(_) => Logins::Phone,
        };
        let health = c.health(ctx.id, c.now_ms()).await?;
        Ok(accounts(ctx.lang, &health, logins, page))
    }

    async fn press(c: &Control, p: &Press<'_>, cb: Cb) -> Option<Step> {
        Some(match cb {
            Cb::AddAccount | Cb::ImportSession => match p.busy() {
                Some(refused) => refused,
                None => add(c, p, cb == Cb::ImportSession).await,
            },
            Cb::ToggleAccount(id) => list::toggle::<Accounts>(c, p, id).await,
            Cb::RemoveAccount(id) => list::remove::<Accounts>(c, p, id).await,
            Cb::ConfirmRemoveAccount(id) => list::confirm_remove::<Accounts>(c, p, id).await,
            Cb::Digit(_) | Cb::Backspace | Cb::SubmitCode => login::key(c, p, cb).await,
            _ => return None,
        })
    }

    /// The login's questions: the phone, the code, the password, a session string.
    fn asked(awaiting: &Awaiting) -> bool {
        matches!(
            awaiting,
            Awaiting::Phone
                | Awaiting::Code { .. }
                | Awaiting::Password { .. }
                | Awaiting::SessionString
        )
    }

    async fn answer(c: &Control, ctx: &Ctx, awaiting: Awaiting, text: Typed<'_>) -> Step {
        login::typed(c, ctx, awaiting, text).await
    }
}

/// "Add an account" (a phone login) or "Import a session": asks for the phone number or the
/// session string, when a login is configured and the plan has room for one more account.
async fn add(c: &Control, p: &Press<'_>, import: bool) -> Step {
    let lang = p.ctx.lang;
    let Some(login) = &c.login else {
        return Ok(vec![alert(t(lang, "login-unavailable"))]);
    };
    let have = c.store.accounts(p.ctx.id).await?.len();
    if let Some(refusal) = c.limit_refusal(p.ctx, Limited::Accounts, have) {
        return Ok(vec![alert(refusal)]);
    }
    let (awaiting, key) = match import {
        false => (Awaiting::Phone, "account-ask-phone"),
        true if !login.imports_sessions() => {
            return Ok(vec![alert(t(lang, "import-unavailable"))]);
        }
        true => (Awaiting::SessionString, "import-ask"),
    };
    c.set_awaiting(p.ctx, &awaiting).await?;
    p.show(ask(lang, key))
}

impl Listed for Accounts {
    type Item = Account;
    const KIND: Kind = Kind {
        screen: Screen::Accounts,
        title: "accounts-title",
        empty: "accounts-empty",
        confirm: "account-remove-confirm",
        removed: "account-removed",
        toggle: Cb::ToggleAccount,
        remove: Cb::RemoveAccount,
        confirm_remove: Cb::ConfirmRemoveAccount,
    };

    async fn items(c: &Control, ctx: &Ctx) -> Result<Vec<Account>, StoreError> {
        c.store.accounts(ctx.id).await
    }

    fn id(account: &Account) -> i64 {
        account.id
    }

    fn name(account: &Account) -> &str {
        &account.label
    }

    /// One Telegram stopped needs a fresh login instead.
    async fn toggle(
        c: &Control,
        ctx: &Ctx,
        account: &Account,
    ) -> Result<Result<bool, Action>, StoreError> {
        let (status, reason) = match account.status {
            AccountStatus::Active => (AccountStatus::Paused, Some("customer")),
            AccountStatus::Paused => (AccountStatus::Active, None),
            // Telegram stopped it: resuming needs a fresh login, not a button.
            AccountStatus::Quarantined => {
                return Ok(Err(alert(t(ctx.lang, "account-quarantined-cannot-resume"))));
            }
        };
        let id = account.id;
        Ok(Ok(c.store.set_account_status(ctx.id, id, status, reason).await?))
    }

    async fn remove(c: &Control, ctx: &Ctx, id: i64) -> Result<bool, StoreError> {
        c.store.remove_account(ctx.id, id).await
    }
}

/// How accounts can be added on this server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logins {
    /// No login is configured: the screen says so.
    Unavailable,
    /// A phone number and its code (simulated accounts: Telegram's test numbers).
    Phone,
    /// A phone number, or a Telethon/Pyrogram session string taken over.
    PhoneOrSession,
}

pub fn accounts(lang: Lang, h: &Health, logins: Logins, page: usize) -> Screenful {
    let items: Vec<Row> = h
        .accounts
        .iter()
        .enumerate()
        .map(|(n, a)| Row {
            id: a.id,
            name: &a.label,
            health: account_health(lang, a, h.waits.get(n).copied().flatten()),
            ok: a.status == AccountStatus::Active,
        })
        .collect();
    let (mut lines, mut keyboard) = list::render::<Accounts>(lang, &items, page);
    if logins == Logins::Unavailable {
        lines.push(t(lang, "login-unavailable"));
    }
    let mut add = vec![Button::new(t(lang, "button-add-account"), Cb::AddAccount)];
    if logins == Logins::PhoneOrSession {
        add.push(Button::new(
            t(lang, "button-import-session"),
            Cb::ImportSession,
        ));
    }
    keyboard.push(add);
    keyboard.push(view::back(lang));
    Screenful {
        text: lines.join("\n"),
        keyboard,
    }
}
