//! Logging an account in, the Accounts screen's questions: the phone number, the code on a
//! keypad (a code typed into the chat is void: Telegram kills codes pasted in chats), the
//! two-step-verification password, or a Telethon/Pyrogram session string instead. A password
//! or a session string is deleted from the chat at once. The login in progress is the one open
//! question; leaving it (another question, Cancel, /start) cancels it.

use super::callback::Cb;
use super::input::{Phone, Refusal};
use super::screen::{ask_again, question, Press, Screen, Typed};
use super::{alert, answer, send_text, show, Action, Awaiting, Button, Control, Ctx, Screenful};
use super::{Step, StoreError};
use crate::i18n::{t, t_args, Args, Lang};
use crate::schedule::content::PostContent;
use crate::schedule::Limited;
use crate::telegram::login::{LoginError, SignInStep, SignedIn};

/// The longest login code the keypad takes (Telegram's are 5 or 6 digits).
const MAX_CODE_DIGITS: usize = 8;

/// A typed answer to a login question.
pub(in crate::bot) async fn typed(
    c: &Control,
    ctx: &Ctx,
    awaiting: Awaiting,
    text: Typed<'_>,
) -> Step {
    match awaiting {
        Awaiting::Phone => typed_phone(c, ctx, text.plain).await,
        Awaiting::Password { phone, .. } => {
            typed_password(c, ctx, &phone, text.plain, text.message_id).await
        }
        Awaiting::SessionString => typed_session(c, ctx, text.plain, text.message_id).await,
        // A code typed into the chat is void (Telegram kills codes pasted in chats).
        _ => Ok(vec![send_text(t(ctx.lang, "login-use-keypad"))]),
    }
}

async fn typed_phone(c: &Control, ctx: &Ctx, plain: &str) -> Step {
    let lang = ctx.lang;
    let phone = match Phone::parse(plain) {
        Ok(phone) => phone,
        Err(r) => return Ok(vec![c.ask_again(ctx, r)]),
    };
    let Some(login) = &c.login else {
        c.clear_awaiting(ctx).await?;
        return c
            .send_screen(ctx, Screen::Accounts, Some(t(lang, "login-unavailable")))
            .await;
    };
    let label = format!("+{}", phone.digits());
    let accounts = c.store.accounts(ctx.id).await?;
    if accounts.iter().any(|a| a.label == label) {
        let text = t_args(
            lang,
            "account-duplicate",
            &Args::new().text("phone", &label),
        );
        return Ok(vec![ask_again(lang, text)]);
    }
    if let Some(refusal) = c.limit_refusal(ctx, Limited::Accounts, accounts.len()) {
        c.clear_awaiting(ctx).await?;
        return c.send_screen(ctx, Screen::Accounts, Some(refusal)).await;
    }
    match login.request_code(ctx.id, phone.digits()).await {
        Ok(()) => {
            let awaiting = Awaiting::Code {
                phone: phone.digits().to_string(),
                digits: String::new(),
            };
            c.set_awaiting(ctx, &awaiting).await?;
            Ok(vec![Action::Send(keypad(lang, phone.digits(), "", None))])
        }
        Err(e) => Ok(vec![ask_again(lang, login_error(lang, &e))]),
    }
}

/// The two-step-verification password: the message is deleted first, whatever follows.
async fn typed_password(
    c: &Control,
    ctx: &Ctx,
    phone: &str,
    password: &str,
    message_id: i32,
) -> Step {
    let lang = ctx.lang;
    let mut actions = vec![Action::Delete { message_id }];
    let Some(login) = &c.login else {
        c.clear_awaiting(ctx).await?;
        actions.push(send_text(t(lang, "login-unavailable")));
        return Ok(actions);
    };
    match login.check_password(ctx.id, phone, password).await {
        Ok(signed_in) => {
            let screen = finish(c, ctx, &signed_in).await?;
            actions.push(Action::Send(screen));
        }
        Err(LoginError::InvalidPassword { hint }) => {
            let awaiting = Awaiting::Password {
                phone: phone.to_string(),
                hint: hint.clone(),
            };
            c.set_awaiting(ctx, &awaiting).await?;
            let error = login_error(lang, &LoginError::InvalidPassword { hint });
            actions.push(ask_again(lang, error));
        }
        Err(e) => actions.push(Action::Send(failed(c, ctx, &e).await?)),
    }
    Ok(actions)
}

/// A session string: the message is deleted first; the string is decoded, then the login
/// seam checks it with Telegram before the account is stored.
async fn typed_session(c: &Control, ctx: &Ctx, text: &str, message_id: i32) -> Step {
    let lang = ctx.lang;
    let mut actions = vec![Action::Delete { message_id }];
    let imported = match crate::telegram::import::parse(text) {
        Ok(imported) => imported,
        Err(e) => {
            actions.push(c.ask_again(ctx, Refusal::BadSession(e)));
            return Ok(actions);
        }
    };
    let Some(login) = &c.login else {
        c.clear_awaiting(ctx).await?;
        actions.push(send_text(t(lang, "login-unavailable")));
        return Ok(actions);
    };
    match login.import_session(ctx.id, &imported).await {
        Ok(signed_in) => actions.push(Action::Send(finish(c, ctx, &signed_in).await?)),
        Err(e) => actions.push(Action::Send(failed(c, ctx, &e).await?)),
    }
    Ok(actions)
}

/// A keypad key: a digit, ⌫, or ✓ (sign in with the code). Keys only mean something while
/// the code is asked.
pub(in crate::bot) async fn key(c: &Control, p: &Press<'_>, key: Cb) -> Step {
    let (ctx, message_id) = (p.ctx, p.message_id);
    let lang = ctx.lang;
    let Some(Awaiting::Code { phone, mut digits }) = p.awaiting.clone() else {
        return Ok(vec![super::out_of_date(lang)]);
    };
    match key {
        Cb::Digit(d) if digits.len() < MAX_CODE_DIGITS => {
            digits.push(char::from(b'0' + d));
        }
        Cb::Digit(_) => return Ok(vec![answer(None)]),
        Cb::Backspace => {
            digits.pop();
        }
        _ => return submit(c, p, phone, digits).await,
    }
    let awaiting = Awaiting::Code {
        phone: phone.clone(),
        digits: digits.clone(),
    };
    c.set_awaiting(ctx, &awaiting).await?;
    Ok(vec![
        answer(None),
        show(message_id, keypad(lang, &phone, &digits, None)),
    ])
}

/// ✓: signs in with the code typed on the keypad.
async fn submit(c: &Control, p: &Press<'_>, phone: String, digits: String) -> Step {
    let ctx = p.ctx;
    let lang = ctx.lang;
    if digits.is_empty() {
        return Ok(vec![alert(t(lang, "login-code-empty"))]);
    }
    let Some(login) = &c.login else {
        c.clear_awaiting(ctx).await?;
        return Ok(vec![alert(t(lang, "login-unavailable"))]);
    };
    match login.sign_in(ctx.id, &phone, &digits).await {
        Ok(SignInStep::Done(signed_in)) => p.show(finish(c, ctx, &signed_in).await?),
        Ok(SignInStep::PasswordRequired { hint }) => {
            let screen = ask_password(lang, &phone, hint.as_deref());
            c.set_awaiting(ctx, &Awaiting::Password { phone, hint })
                .await?;
            p.show(screen)
        }
        Err(LoginError::InvalidCode) => {
            let awaiting = Awaiting::Code {
                phone: phone.clone(),
                digits: String::new(),
            };
            c.set_awaiting(ctx, &awaiting).await?;
            let error = login_error(lang, &LoginError::InvalidCode);
            p.show(keypad(lang, &phone, "", Some(error)))
        }
        // Expired code, flood wait, Telegram unreachable: this login is over.
        Err(e) => p.show(failed(c, ctx, &e).await?),
    }
}

/// A login that failed for good: clearing the question cancels it, and the Accounts screen
/// says why.
async fn failed(c: &Control, ctx: &Ctx, e: &LoginError) -> Result<Screenful, StoreError> {
    c.clear_awaiting(ctx).await?;
    let notice = login_error(ctx.lang, e);
    c.render(ctx, Screen::Accounts, Some(notice)).await
}

/// Stores the account a login produced and shows the Accounts screen saying so; an account
/// the customer has already is not added twice.
async fn finish(c: &Control, ctx: &Ctx, signed_in: &SignedIn) -> Result<Screenful, StoreError> {
    let label = signed_in.label.as_str();
    // The login is over (not left): nothing to cancel under its phone.
    c.store.set_awaiting(ctx.id, None).await?;
    let lang = ctx.lang;
    let accounts = c.store.accounts(ctx.id).await?;
    let known = accounts.iter().any(|a| a.label == label);
    let over = c.limit_refusal(ctx, Limited::Accounts, accounts.len());
    let notice = if let (false, Some(refusal)) = (known, over) {
        // Accounts were added meanwhile (another login): the plan has no room left.
        if let Some(login) = &c.login {
            login.cancel(ctx.id, label).await;
        }
        refusal
    } else if known {
        // Not adopted: the login lets its session go.
        if let Some(login) = &c.login {
            login.cancel(ctx.id, label).await;
        }
        t_args(lang, "account-duplicate", &Args::new().text("phone", label))
    } else {
        let account_id = c.store.add_account(ctx.id, label).await?;
        if signed_in.premium {
            c.store
                .set_account_premium(ctx.id, account_id, true)
                .await?;
        }
        let adopted = match &c.login {
            Some(login) => login.adopt(ctx.id, label, account_id).await,
            None => Ok(()),
        };
        match adopted {
            Ok(()) => {
                let mut added = t_args(lang, "account-added", &Args::new().text("account", label));
                let warnings = [
                    premium_warning(c, ctx, signed_in).await?,
                    source_warning(c, ctx, account_id).await?,
                ];
                for warning in warnings.into_iter().flatten() {
                    added.push('\n');
                    added.push_str(&warning);
                }
                added
            }
            // Without its session the account could never post: take it back out.
            Err(e) => {
                c.store.remove_account(ctx.id, account_id).await?;
                login_error(lang, &e)
            }
        }
    };
    c.render(ctx, Screen::Accounts, Some(notice)).await
}

/// When the post's caption is over 1024 characters and the new account has no Premium: the
/// warning that the account can't post it.
async fn premium_warning(
    c: &Control,
    ctx: &Ctx,
    signed_in: &SignedIn,
) -> Result<Option<String>, StoreError> {
    if signed_in.premium {
        return Ok(None);
    }
    let Some(len) = (c.store.content(ctx.id).await?)
        .filter(|content| content.needs_premium())
        .and_then(|content| content.caption_len())
    else {
        return Ok(None);
    };
    let args = Args::new()
        .num("len", len as f64)
        .num("max", crate::schedule::content::CAPTION_MAX as f64);
    Ok(Some(t_args(
        ctx.lang,
        "account-caption-needs-premium",
        &args,
    )))
}

/// When the post is passed on from a channel the new account can't read: the warning that its
/// posts will fail until it can (the other accounts were checked when the post was set).
async fn source_warning(
    c: &Control,
    ctx: &Ctx,
    account_id: i64,
) -> Result<Option<String>, StoreError> {
    let Some(PostContent::Forward { source, .. }) = c.store.content(ctx.id).await? else {
        return Ok(None);
    };
    if crate::schedule::content::saved_messages_of(&source.chat).is_some_and(|o| o != account_id) {
        // Another account's Saved Messages: this one takes no part in posting them.
        return Ok(Some(t(ctx.lang, "account-saved-not-posting")));
    }
    let read = c
        .sources
        .read(account_id, &source.chat, &source.message_ids);
    Ok(match read.await {
        Ok(_) => None,
        Err(problem) => Some(t_args(
            ctx.lang,
            "account-cannot-read-source",
            &Args::new()
                .text("chat", &source.chat)
                .html("reason", super::forward::source_problem(ctx.lang, &problem)),
        )),
    })
}

impl Control {
    /// Cancels the customer's login in progress (as the question held it when this input
    /// arrived) unless the next question goes on with the same phone.
    pub(super) async fn leave_login(&self, ctx: &Ctx, next_phone: Option<&str>) {
        let open = Awaiting::load(ctx.row.awaiting.as_deref());
        let Some(phone) = open.as_ref().and_then(Awaiting::login_phone) else {
            return;
        };
        if next_phone == Some(phone) {
            return;
        }
        if let Some(login) = &self.login {
            login.cancel(ctx.id, phone).await;
        }
    }
}

/// Asks for the two-step-verification password.
pub fn ask_password(lang: Lang, phone: &str, hint: Option<&str>) -> Screenful {
    let text = match hint {
        Some(hint) => t_args(
            lang,
            "login-password-ask-hint",
            &Args::new()
                .text("phone", format!("+{phone}"))
                .text("hint", hint),
        ),
        None => t_args(
            lang,
            "login-password-ask",
            &Args::new().text("phone", format!("+{phone}")),
        ),
    };
    question(lang, text)
}

/// The login-code keypad: digits typed so far shown as they are entered.
pub fn keypad(lang: Lang, phone: &str, digits: &str, error: Option<String>) -> Screenful {
    let shown: String = if digits.is_empty() {
        "—".to_string()
    } else {
        digits
            .chars()
            .map(|c| format!("{c} "))
            .collect::<String>()
            .trim_end()
            .to_string()
    };
    let mut text = t_args(
        lang,
        "login-keypad",
        &Args::new()
            .text("phone", format!("+{phone}"))
            .text("code", shown),
    );
    if let Some(error) = error {
        text = format!("{error}\n\n{text}");
    }
    let key = |d: u8| Button::new(d.to_string(), Cb::Digit(d));
    Screenful {
        text,
        keyboard: vec![
            vec![key(1), key(2), key(3)],
            vec![key(4), key(5), key(6)],
            vec![key(7), key(8), key(9)],
            vec![
                Button::new("⌫", Cb::Backspace),
                key(0),
                Button::new("✓", Cb::SubmitCode),
            ],
            vec![Button::new(t(lang, "button-cancel"), Cb::Cancel)],
        ],
    }
}

/// A login step's failure.
pub fn login_error(lang: Lang, e: &LoginError) -> String {
    match e {
        LoginError::NotTestNumber => t(lang, "login-not-test-number"),
        LoginError::PhoneInvalid => t(lang, "login-phone-invalid"),
        LoginError::InvalidCode => t(lang, "login-invalid-code"),
        LoginError::CodeExpired => t(lang, "login-code-expired"),
        LoginError::FloodWait(secs) => t_args(
            lang,
            "login-flood-wait",
            &Args::new().num("secs", *secs as f64),
        ),
        LoginError::Unavailable => t(lang, "login-telegram-unavailable"),
        LoginError::InvalidPassword { hint: Some(hint) } => t_args(
            lang,
            "login-invalid-password-hint",
            &Args::new().text("hint", hint),
        ),
        LoginError::InvalidPassword { hint: None } => t(lang, "login-invalid-password"),
        LoginError::PhoneBanned => t(lang, "login-phone-banned"),
        LoginError::NoLogin => t(lang, "login-none"),
        LoginError::TooManyLogins => t(lang, "login-too-many"),
        LoginError::TooManyCodes { wait_secs } => t_args(
            lang,
            "login-too-many-codes",
            &Args::new().num("minutes", wait_secs.div_ceil(60).max(1) as f64),
        ),
        LoginError::ImportUnavailable => t(lang, "import-unavailable"),
        LoginError::SessionNotAuthorized => t(lang, "import-not-authorized"),
        LoginError::SessionOfAnotherUser(other) => t_args(
            lang,
            "import-other-user",
            &Args::new()
                .text("string_user", other.string_user.to_string())
                .text("telegram_user", other.telegram_user.to_string()),
        ),
        LoginError::Unreadable => t(lang, "login-telegram-unreadable"),
        LoginError::KeyRefused => t(lang, "login-key-refused"),
        LoginError::KeyExchange => t(lang, "login-key-exchange"),
        LoginError::Unexpected { name } => t_args(
            lang,
            "login-telegram-unexpected",
            &Args::new().text("name", name),
        ),
        LoginError::Internal => t(lang, "login-internal"),
    }
}
