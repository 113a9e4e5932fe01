//! Logging an account in: the part of the Telegram seam the bot's Accounts screen drives.
//! [`SimLogin`] follows Telegram's test-number convention (phone `99966XYYYY`, login code the
//! digit X five times, no 2FA) and is what the bot uses when simulated accounts are switched
//! on. The real login (grammers) plugs in behind the same trait.

use super::BoxFuture;

/// Why a login step failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// Simulated accounts accept only Telegram's test numbers.
    #[error("not a test number (99966XYYYY)")]
    NotTestNumber,
    #[error("Telegram does not know this number")]
    PhoneInvalid,
    #[error("the code is wrong")]
    InvalidCode,
    #[error("the code expired")]
    CodeExpired,
    #[error("the password is wrong")]
    InvalidPassword {
        /// The hint the account's owner set for the password.
        hint: Option<String>,
    },
    #[error("Telegram banned this phone number")]
    PhoneBanned,
    #[error("no login is in progress for this phone")]
    NoLogin,
    /// This process holds as many logins in progress as it allows (for all customers).
    #[error("too many logins are in progress")]
    TooManyLogins,
    /// Codes were asked for too often (for this number, or by this customer).
    #[error("too many login codes asked for: wait {wait_secs} s")]
    TooManyCodes { wait_secs: u64 },
    #[error("session strings cannot be imported here")]
    ImportUnavailable,
    #[error("the session string is not logged in (any more)")]
    SessionNotAuthorized,
    /// A Pyrogram string names a user other than the one Telegram reports for its key.
    #[error("{0}")]
    SessionOfAnotherUser(super::import::OtherUser),
    #[error("too many attempts: wait {0} s")]
    FloodWait(u32),
    /// The network: Telegram could not be reached, or the connection broke or timed out.
    #[error("Telegram could not be reached")]
    Unavailable,
    /// Telegram answered something we could not read (a transport or deserialization error).
    #[error("Telegram's answer could not be read")]
    Unreadable,
    /// Telegram refused the connection's authorization key (transport 404, AUTH_KEY_*).
    #[error("Telegram refused the session's key")]
    KeyRefused,
    /// Making a new authorization key with Telegram failed.
    #[error("the key exchange with Telegram failed")]
    KeyExchange,
    /// Telegram answered with an error we do not expect at this step (its name).
    #[error("Telegram answered {name}")]
    Unexpected { name: String },
    /// Our side failed (the session store, a contained panic); the log has the cause.
    #[error("the login failed on our side")]
    Internal,
}

/// A logged-in account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedIn {
    /// How the account is shown to its owner (its phone number in international form).
    pub label: String,
    /// Whether the account has Telegram Premium (as Telegram says of it now): only a Premium
    /// account may send a caption over 1024 characters. Simulated accounts have none.
    pub premium: bool,
}

/// Where a login stands after the code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignInStep {
    Done(SignedIn),
    /// The account has two-step verification: its password is needed.
    PasswordRequired {
        hint: Option<String>,
    },
}

/// The login steps the bot needs. One login at a time per customer is the bot's rule; the
/// implementation keeps whatever a login in progress needs (grammers' login token) between
/// the steps, keyed by (customer, phone): a customer typing another's number never touches
/// the other's login.
pub trait Login: Send + Sync + 'static {
    /// Asks Telegram to send a login code to the phone (digits only) for the customer.
    fn request_code<'a>(
        &'a self,
        customer: i64,
        phone: &'a str,
    ) -> BoxFuture<'a, Result<(), LoginError>>;
    /// Goes on with the code the customer typed on the keypad.
    fn sign_in<'a>(
        &'a self,
        customer: i64,
        phone: &'a str,
        code: &'a str,
    ) -> BoxFuture<'a, Result<SignInStep, LoginError>>;
    /// Completes a login that needs the two-step-verification password.
    fn check_password<'a>(
        &'a self,
        customer: i64,
        phone: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Result<SignedIn, LoginError>>;
    /// Abandons the customer's login in progress for the phone (or the finished one waiting
    /// under its label): the customer left it, or the account was not kept.
    fn cancel<'a>(&'a self, customer: i64, phone: &'a str) -> BoxFuture<'a, ()>;
    /// Whether [`Login::import_session`] can take sessions over here (simulated accounts
    /// have no real sessions to take over, so the bot does not offer it).
    fn imports_sessions(&self) -> bool {
        true
    }
    /// Takes over a Telethon or Pyrogram session, after checking with a real request that it
    /// is logged in.
    fn import_session<'a>(
        &'a self,
        customer: i64,
        session: &'a super::import::Imported,
    ) -> BoxFuture<'a, Result<SignedIn, LoginError>>;
    /// The bot stored the account a login produced (`label` as in [`SignedIn`]): the
    /// implementation keeps the session for it (sealed) and lets the login go.
    fn adopt<'a>(
        &'a self,
        customer: i64,
        label: &'a str,
        account_id: i64,
    ) -> BoxFuture<'a, Result<(), LoginError>>;
}

/// Telegram's test numbers: `99966XYYYY` logs in with the code `XXXXX`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimLogin;

impl SimLogin {
    /// The code for a test number, or `None` if the phone is not one.
    pub fn code_for(phone: &str) -> Option<String> {
        let rest = phone.strip_prefix("99966")?;
        let dc = rest.chars().next()?;
        let valid = rest.len() == 5 && rest.bytes().all(|b| b.is_ascii_digit()) && dc != '0';
        valid.then(|| dc.to_string().repeat(5))
    }
}

impl Login for SimLogin {
    fn request_code<'a>(
        &'a self,
        _customer: i64,
        phone: &'a str,
    ) -> BoxFuture<'a, Result<(), LoginError>> {
        Box::pin(async move {
            SimLogin::code_for(phone)
                .map(|_| ())
                .ok_or(LoginError::NotTestNumber)
        })
    }

    fn sign_in<'a>(
        &'a self,
        _customer: i64,
        phone: &'a str,
        code: &'a str,
    ) -> BoxFuture<'a, Result<SignInStep, LoginError>> {
        Box::pin(async move {
            let expected = SimLogin::code_for(phone).ok_or(LoginError::NotTestNumber)?;
            if code != expected {
                return Err(LoginError::InvalidCode);
            }
            // Test numbers have no two-step verification.
            Ok(SignInStep::Done(SignedIn {
                label: format!("+{phone}"),
                premium: false,
            }))
        })
    }

    fn check_password<'a>(
        &'a self,
        _customer: i64,
        _phone: &'a str,
        _password: &'a str,
    ) -> BoxFuture<'a, Result<SignedIn, LoginError>> {
        Box::pin(async move { Err(LoginError::NoLogin) })
    }

    fn cancel<'a>(&'a self, _customer: i64, _phone: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }

    fn imports_sessions(&self) -> bool {
        false
    }

    fn import_session<'a>(
        &'a self,
        _customer: i64,
        _session: &'a super::import::Imported,
    ) -> BoxFuture<'a, Result<SignedIn, LoginError>> {
        // Simulated accounts have no real sessions to take over.
        Box::pin(async { Err(LoginError::ImportUnavailable) })
    }

    fn adopt<'a>(
        &'a self,
        _customer: i64,
        _label: &'a str,
        _account_id: i64,
    ) -> BoxFuture<'a, Result<(), LoginError>> {
        // Simulated accounts have no session to keep.
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_numbers_log_in_with_their_digit_five_times() {
        assert_eq!(SimLogin::code_for("9996621234").as_deref(), Some("22222"));
        assert_eq!(SimLogin::code_for("9996601234"), None);
        assert_eq!(SimLogin::code_for("999662123"), None);
        assert_eq!(SimLogin::code_for("79161234567"), None);
    }

    #[tokio::test]
    async fn sign_in_checks_the_code() {
        let login = SimLogin;
        assert_eq!(
            login.request_code(1, "79161234567").await,
            Err(LoginError::NotTestNumber)
        );
        login
            .request_code(1, "9996631234")
            .await
            .expect("test number");
        assert_eq!(
            login.sign_in(1, "9996631234", "33333").await,
            Ok(SignInStep::Done(SignedIn {
                label: "+9996631234".into(),
                premium: false,
            }))
        );
        assert_eq!(
            login.sign_in(1, "9996631234", "33334").await,
            Err(LoginError::InvalidCode)
        );
    }
}
