//! Real Telegram user accounts through grammers 0.11: the login seam ([`MtprotoLogin`]) and
//! the send seam ([`MtprotoTransport`]).
//!
//! Every connection uses grammers' `NoRetries` policy: the engine owns every wait. A client
//! exists per account only while the account has work in this process: the engine releases
//! it when its customer stops, when it leaves the cycle, and over a pause of 10 minutes or
//! more (`prepare` connects it again 30 s before the next cycle). Posts go out as raw
//! `messages.SendMessage` / `SendMedia` / `SendMultiMedia` with the slot's random ids, which
//! the store fixes before the send (`schedule::slot_random_id`), so a retry after a network
//! error, or after a crash, can never post twice: Telegram answers RANDOM_ID_DUPLICATE, which
//! counts as sent (`send`). Media is uploaded once per account and file and sent by
//! reference (`media`).
//!
//! Nothing in CI reaches Telegram: the pieces that can be are unit-tested without a network
//! (error mapping, sessions, HTML to entities), and the whole path (import, group check,
//! posts, media, refusals, a lost answer) runs on the wire against a loopback MTProto data
//! centre in the integration tests (`tests/it/dc`, `tests/it/live_dc.rs`,
//! `tests/it/live_media.rs`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use grammers_client::client::{LoginToken, PasswordToken};
use grammers_client::{Client, SignInError};
use grammers_mtsender::{ConnectionParams, InvocationError, NoRetries, SenderPool};
use grammers_session::types::{PeerAuth, PeerId, PeerRef};
use grammers_tl_types as tl;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

mod logins;
mod media;
mod mp4;
mod send;
mod source;

use self::logins::{Logins, Ticket};
pub use self::send::{send_message_request, text_and_entities};
use super::groups::{GroupInfo, GroupProblem, Groups, MediaBans, Topic};
use super::import::Imported;
use super::login::{Login, LoginError, SignInStep, SignedIn};
use super::mtproto::{outcome_of, VaultSession};
use super::{BoxFuture, Outcome, Post};
use crate::config::Secret;
use crate::store::Store;
use crate::vault::MasterKey;

/// What a real account connection needs: the app's credentials from my.telegram.org and the
/// master key that seals sessions.
#[derive(Clone)]
pub struct MtprotoConfig {
    pub api_id: i32,
    pub api_hash: Secret,
    pub key: Arc<MasterKey>,
    pub store: Store,
}

/// One connected client and the task that drives its connections.
struct Connection {
    client: Client,
    runner: JoinHandle<()>,
}

impl Connection {
    fn open(session: Arc<VaultSession>, api_id: i32) -> Connection {
        let params = ConnectionParams {
            retry_policy: Box::new(NoRetries),
            ..Default::default()
        };
        let SenderPool {
            runner,
            handle,
            updates,
        } = SenderPool::with_configuration(session, api_id, params);
        // We read no updates: closing the channel stops their forwarding.
        drop(updates);
        Connection {
            client: Client::new(handle),
            runner: tokio::spawn(runner.run()),
        }
    }

    async fn close(self) {
        self.client.disconnect();
        let _ = self.runner.await;
    }
}

/// A login between its steps (grammers' login token lives only in memory).
struct Pending {
    connection: Connection,
    session: Arc<VaultSession>,
    token: Option<LoginToken>,
    password: Option<PasswordToken>,
    /// When the code was sent (or the session imported).
    started: tokio::time::Instant,
    /// Wrong codes so far.
    attempts: u32,
    /// Telegram has authorised the session (waiting to be adopted).
    signed_in: bool,
}

impl Pending {
    fn new(connection: Connection, session: Arc<VaultSession>) -> Pending {
        Pending {
            connection,
            session,
            token: None,
            password: None,
            started: tokio::time::Instant::now(),
            attempts: 0,
            signed_in: false,
        }
    }

    /// Ends the login; an authorised session that is not adopted is logged out, so that it
    /// does not linger among the account's active sessions.
    async fn close(self) {
        if self.signed_in {
            let _ = self.connection.client.sign_out().await;
        }
        self.connection.close().await;
    }
}

/// grammers reports an expired code as an invalid one: after this long, or this many wrong
/// codes, the customer is told to ask for a new code.
const CODE_TTL: Duration = Duration::from_secs(5 * 60);
const CODE_ATTEMPTS: u32 = 3;

/// Logs real accounts in: phone → code → password, or a session string; the session is
/// sealed and stored when the bot adopts the account.
pub struct MtprotoLogin {
    config: MtprotoConfig,
    /// Logins in progress, one per customer: by phone (digits) while they run, by label once
    /// finished and waiting to be adopted.
    logins: Arc<Mutex<Logins<Pending>>>,
    /// Closes abandoned logins on time (see [`logins::sweep`]).
    sweeper: tokio::task::AbortHandle,
}

impl Drop for MtprotoLogin {
    fn drop(&mut self) {
        self.sweeper.abort();
    }
}

impl MtprotoLogin {
    /// Needs a tokio runtime: the sweep of abandoned logins runs as a task.
    pub fn new(config: MtprotoConfig) -> MtprotoLogin {
        let logins = Arc::new(Mutex::new(Logins::new(tokio::time::Instant::now())));
        let sweeper = tokio::spawn(logins::sweep(
            Arc::downgrade(&logins),
            |_customer, pending: Pending| pending.close(),
        ))
        .abort_handle();
        MtprotoLogin {
            config,
            logins,
            sweeper,
        }
    }

    /// Moves a finished login from its phone to its label, for [`Login::adopt`].
    async fn finished(
        &self,
        customer: i64,
        phone: &str,
        user: &grammers_client::peer::User,
    ) -> SignedIn {
        let label = label_of(user, phone);
        if let Some(p) = self.logins.lock().await.rename(customer, phone, &label) {
            p.signed_in = true;
        }
        SignedIn {
            label,
            premium: is_premium(user),
        }
    }

    /// Takes the customer's place for a new login (see [`Logins::begin`]); the customer's
    /// previous login is closed.
    async fn begin(&self, customer: i64, phone: &str, code: bool) -> Result<Ticket, LoginError> {
        let now = tokio::time::Instant::now();
        let (ticket, replaced) = self.logins.lock().await.begin(customer, phone, code, now)?;
        if let Some(previous) = replaced {
            previous.close().await;
        }
        Ok(ticket)
    }

    /// Puts a login made for `ticket` in its place; one whose place is gone is closed.
    async fn fill(&self, ticket: Ticket, key: &str, pending: Pending) -> Result<(), LoginError> {
        let now = tokio::time::Instant::now();
        let refused = self.logins.lock().await.fill(ticket, key, pending, now);
        match refused {
            Ok(()) => Ok(()),
            Err(pending) => {
                pending.close().await;
                Err(LoginError::NoLogin)
            }
        }
    }

    async fn abandon(&self, ticket: Ticket, connection: Connection) {
        self.logins.lock().await.abandon(ticket);
        connection.close().await;
    }
}

/// An account is shown by its phone number, as its owner knows it.
/// Whether Telegram says the account has Premium (the `premium` flag of its user).
fn is_premium(user: &grammers_client::peer::User) -> bool {
    matches!(&user.raw, tl::enums::User::User(u) if u.premium)
}

fn label_of(user: &grammers_client::peer::User, fallback_phone: &str) -> String {
    match user.phone() {
        Some(phone) => format!("+{}", phone.trim_start_matches('+')),
        None => format!("+{}", fallback_phone.trim_start_matches('+')),
    }
}

/// What a failed login request means for the customer.
fn login_error(e: &InvocationError) -> LoginError {
    use grammers_mtproto::{mtp::DeserializeError, transport};
    match e {
        InvocationError::Rpc(rpc) => match rpc.name.as_str() {
            "FLOOD_WAIT" | "FLOOD_PREMIUM_WAIT" => LoginError::FloodWait(rpc.value.unwrap_or(0)),
            "PHONE_NUMBER_INVALID" | "PHONE_NUMBER_UNOCCUPIED" => LoginError::PhoneInvalid,
            "PHONE_NUMBER_BANNED" => LoginError::PhoneBanned,
            "PHONE_CODE_EXPIRED" => LoginError::CodeExpired,
            "PHONE_CODE_INVALID" | "PHONE_CODE_EMPTY" => LoginError::InvalidCode,
            "AUTH_KEY_UNREGISTERED" | "SESSION_REVOKED" | "SESSION_EXPIRED" => {
                LoginError::SessionNotAuthorized
            }
            // AUTH_KEY_INVALID, AUTH_KEY_PERM_EMPTY, AUTH_KEY_DUPLICATED.
            name if name.starts_with("AUTH_KEY_") => LoginError::KeyRefused,
            _ if rpc.code == 401 => LoginError::SessionNotAuthorized,
            // Telegram's own trouble (INTERNAL, -503 Timeout): an outage, try again.
            _ if rpc.code >= 500 || rpc.code < 0 => LoginError::Unavailable,
            name => LoginError::Unexpected {
                name: name.to_string(),
            },
        },
        InvocationError::Io(_) | InvocationError::Dropped(_) => LoginError::Unavailable,
        // Too many connections from this address: an outage of sorts, try again.
        InvocationError::Transport(transport::Error::BadStatus { status: 429 }) => {
            LoginError::Unavailable
        }
        InvocationError::Transport(transport::Error::BadStatus { status: 404 })
        | InvocationError::Deserialize(DeserializeError::BadAuthKey { .. }) => {
            LoginError::KeyRefused
        }
        InvocationError::Transport(_) | InvocationError::Deserialize(_) => LoginError::Unreadable,
        InvocationError::Authentication(_) => LoginError::KeyExchange,
        InvocationError::Session(_) | InvocationError::InvalidDc => LoginError::Internal,
    }
}

/// [`login_error`], logged: Telegram's ordinary answers (a wrong code, a flood wait) at
/// debug, anything else at warn with its cause. grammers' errors carry no auth key, login
/// code, password or session string (at most the key's public id).
fn login_failure(customer: i64, step: &'static str, e: &InvocationError) -> LoginError {
    let error = login_error(e);
    match error {
        LoginError::FloodWait(_)
        | LoginError::PhoneInvalid
        | LoginError::PhoneBanned
        | LoginError::CodeExpired
        | LoginError::InvalidCode
        | LoginError::SessionNotAuthorized => {
            tracing::debug!(customer_id = customer, step, error = %e, "Telegram refused a login step");
        }
        _ => {
            tracing::warn!(customer_id = customer, step, kind = %error, error = %e, "a login step failed");
        }
    }
    error
}

/// A login step that panicked inside grammers (contained in its own task).
fn login_panic(customer: i64, step: &'static str, e: &tokio::task::JoinError) -> LoginError {
    tracing::warn!(customer_id = customer, step, error = %e, "a login step failed inside grammers");
    LoginError::Internal
}

impl Login for MtprotoLogin {
    fn request_code<'a>(
        &'a self,
        customer: i64,
        phone: &'a str,
    ) -> BoxFuture<'a, Result<(), LoginError>> {
        Box::pin(async move {
            let ticket = self.begin(customer, phone, true).await?;
            let session = Arc::new(VaultSession::unbound(
                self.config.store.clone(),
                self.config.key.clone(),
            ));
            let connection = Connection::open(session.clone(), self.config.api_id);
            let client = connection.client.clone();
            let (phone_owned, hash) =
                (phone.to_string(), self.config.api_hash.expose().to_string());
            // grammers panics on the rare "already logged in" answer: contain it.
            let sent =
                tokio::spawn(async move { client.request_login_code(&phone_owned, &hash).await })
                    .await;
            match sent {
                Ok(Ok(token)) => {
                    let mut p = Pending::new(connection, session);
                    p.token = Some(token);
                    // Cancelled, replaced or swept meanwhile: the code is of no use.
                    self.fill(ticket, phone, p).await
                }
                Ok(Err(e)) => {
                    self.abandon(ticket, connection).await;
                    Err(login_failure(customer, "request_code", &e))
                }
                Err(e) => {
                    self.abandon(ticket, connection).await;
                    Err(login_panic(customer, "request_code", &e))
                }
            }
        })
    }

    fn sign_in<'a>(
        &'a self,
        customer: i64,
        phone: &'a str,
        code: &'a str,
    ) -> BoxFuture<'a, Result<SignInStep, LoginError>> {
        Box::pin(async move {
            let now = tokio::time::Instant::now();
            let (client, token) = {
                let mut logins = self.logins.lock().await;
                let p = logins
                    .advance(customer, phone, now)
                    .ok_or(LoginError::NoLogin)?;
                if p.started.elapsed() > CODE_TTL || p.attempts >= CODE_ATTEMPTS {
                    let p = logins.take(customer, phone).expect("present");
                    drop(logins);
                    p.close().await;
                    return Err(LoginError::CodeExpired);
                }
                (
                    p.connection.client.clone(),
                    p.token.take().ok_or(LoginError::NoLogin)?,
                )
            };
            match client.sign_in(&token, code).await {
                Ok(user) => Ok(SignInStep::Done(
                    self.finished(customer, phone, &user).await,
                )),
                Err(SignInError::PasswordRequired(password)) => {
                    let hint = password.hint().map(str::to_string);
                    let now = tokio::time::Instant::now();
                    if let Some(p) = self.logins.lock().await.advance(customer, phone, now) {
                        p.password = Some(password);
                    }
                    Ok(SignInStep::PasswordRequired { hint })
                }
                Err(SignInError::InvalidCode) => {
                    // The same token takes another try (grammers says "invalid" for an
                    // expired code too: the attempt count and CODE_TTL catch that).
                    let now = tokio::time::Instant::now();
                    if let Some(p) = self.logins.lock().await.advance(customer, phone, now) {
                        p.token = Some(token);
                        p.attempts += 1;
                    }
                    Err(LoginError::InvalidCode)
                }
                Err(SignInError::SignUpRequired) => Err(LoginError::PhoneInvalid),
                Err(SignInError::InvalidPassword(_)) => {
                    tracing::warn!(
                        customer_id = customer,
                        "Telegram asked for a password again after the code"
                    );
                    Err(LoginError::Unexpected {
                        name: "PASSWORD_HASH_INVALID".into(),
                    })
                }
                Err(SignInError::Other(e)) => Err(login_failure(customer, "sign_in", &e)),
            }
        })
    }

    fn check_password<'a>(
        &'a self,
        customer: i64,
        phone: &'a str,
        password: &'a str,
    ) -> BoxFuture<'a, Result<SignedIn, LoginError>> {
        Box::pin(async move {
            let now = tokio::time::Instant::now();
            let (client, token) = {
                let mut logins = self.logins.lock().await;
                let p = logins
                    .advance(customer, phone, now)
                    .ok_or(LoginError::NoLogin)?;
                (
                    p.connection.client.clone(),
                    p.password.take().ok_or(LoginError::NoLogin)?,
                )
            };
            let password = password.to_string();
            // grammers panics on incomplete password parameters from Telegram: contain it.
            let checked =
                tokio::spawn(async move { client.check_password(token, password).await }).await;
            match checked {
                Ok(Ok(user)) => Ok(self.finished(customer, phone, &user).await),
                Ok(Err(SignInError::InvalidPassword(token))) => {
                    let hint = token.hint().map(str::to_string);
                    let now = tokio::time::Instant::now();
                    if let Some(p) = self.logins.lock().await.advance(customer, phone, now) {
                        p.password = Some(token);
                    }
                    Err(LoginError::InvalidPassword { hint })
                }
                Ok(Err(SignInError::Other(e))) => {
                    Err(login_failure(customer, "check_password", &e))
                }
                Ok(Err(other)) => {
                    // Not a step that follows a password (sign-up, a code): say so, logged.
                    let name = match other {
                        SignInError::SignUpRequired => "SIGN_UP_REQUIRED",
                        SignInError::PasswordRequired(_) => "SESSION_PASSWORD_NEEDED",
                        _ => "PHONE_CODE_INVALID",
                    };
                    tracing::warn!(
                        customer_id = customer,
                        answer = name,
                        "unexpected answer to the password"
                    );
                    Err(LoginError::Unexpected { name: name.into() })
                }
                Err(e) => Err(login_panic(customer, "check_password", &e)),
            }
        })
    }

    fn cancel<'a>(&'a self, customer: i64, phone: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let pending = self.logins.lock().await.take(customer, phone);
            if let Some(p) = pending {
                p.close().await;
            }
        })
    }

    fn import_session<'a>(
        &'a self,
        customer: i64,
        imported: &'a Imported,
    ) -> BoxFuture<'a, Result<SignedIn, LoginError>> {
        Box::pin(async move {
            let session = Arc::new(VaultSession::unbound(
                self.config.store.clone(),
                self.config.key.clone(),
            ));
            session
                .import_key(imported.dc_id, imported.addr, imported.auth_key)
                .map_err(|e| {
                    tracing::warn!(customer_id = customer, error = %e, "an imported key could not be set up");
                    LoginError::Internal
                })?;
            // The place is taken under no key until Telegram names the account.
            let ticket = self.begin(customer, "", false).await?;
            let connection = Connection::open(session.clone(), self.config.api_id);
            // A real request proves the session is logged in before anything is stored.
            let user = match connection.client.get_me().await {
                Ok(user) => user,
                Err(e) => {
                    self.abandon(ticket, connection).await;
                    return Err(login_failure(customer, "import_session", &e));
                }
            };
            if let Err(other) = imported.check_user(user.id().bare_id()) {
                tracing::warn!(
                    customer_id = customer,
                    string_user = other.string_user,
                    telegram_user = other.telegram_user,
                    "a session string names another user than Telegram reports"
                );
                self.abandon(ticket, connection).await;
                return Err(LoginError::SessionOfAnotherUser(other));
            }
            let label = label_of(&user, "");
            // Imported sessions belong to their owner: never logged out here.
            self.fill(ticket, &label, Pending::new(connection, session))
                .await?;
            Ok(SignedIn {
                label,
                premium: is_premium(&user),
            })
        })
    }

    fn adopt<'a>(
        &'a self,
        customer: i64,
        label: &'a str,
        account_id: i64,
    ) -> BoxFuture<'a, Result<(), LoginError>> {
        Box::pin(async move {
            let pending = self
                .logins
                .lock()
                .await
                .take(customer, label)
                .ok_or(LoginError::NoLogin)?;
            let stored = pending.session.bind(account_id).await;
            // Adopted: the session now belongs to the account; only the connection closes.
            pending.connection.close().await;
            stored.map_err(|e| {
                tracing::error!(account_id, error = %e, "could not store the session");
                LoginError::Internal
            })
        })
    }
}

/// Posts from real accounts.
pub struct MtprotoTransport {
    config: MtprotoConfig,
    connections: Mutex<HashMap<i64, Connection>>,
    /// Resolved groups per (account, group id): the peer to address.
    peers: Mutex<HashMap<(i64, i64), PeerRef>>,
    /// What each account uploaded (see `media`): kept across connections.
    uploads: media::Uploads,
    /// Resolved source chats of forwarded posts per (account, chat as stored).
    sources: Mutex<HashMap<(i64, String), PeerRef>>,
}

/// How many of an account's dialogs are searched for a group given by its numeric id.
const MAX_DIALOGS: usize = 2_000;

impl MtprotoTransport {
    pub fn new(config: MtprotoConfig) -> MtprotoTransport {
        MtprotoTransport {
            config,
            connections: Mutex::new(HashMap::new()),
            peers: Mutex::new(HashMap::new()),
            uploads: media::Uploads::default(),
            sources: Mutex::new(HashMap::new()),
        }
    }

    /// The account's client, connected from its sealed session on first use.
    async fn client(&self, account_id: i64) -> Result<Client, Outcome> {
        let mut connections = self.connections.lock().await;
        if let Some(c) = connections.get(&account_id) {
            return Ok(c.client.clone());
        }
        let session = VaultSession::load(
            account_id,
            self.config.store.clone(),
            self.config.key.clone(),
        )
        .await
        // A session that does not open is our problem (wrong master key, missing row),
        // not the account's: it is not quarantined for it.
        .map_err(|e| {
            tracing::error!(account_id, error = %e, "the account's session does not open");
            Outcome::Unavailable(e.to_string())
        })?
        .ok_or_else(|| Outcome::Unavailable("no stored session".into()))?;
        let connection = Connection::open(Arc::new(session), self.config.api_id);
        let client = connection.client.clone();
        connections.insert(account_id, connection);
        Ok(client)
    }

    /// The group as this account addresses it: @username resolved once, numeric ids as the
    /// Bot API spells them.
    async fn peer(&self, client: &Client, post: &Post<'_>) -> Result<PeerRef, Outcome> {
        let key = (post.account_id, post.group_id);
        if let Some(peer) = self.peers.lock().await.get(&key) {
            return Ok(*peer);
        }
        // Checked when the group was added: the account's own access hash is stored.
        if let Ok(Some((dialog_id, hash))) = self
            .config
            .store
            .group_peer(post.account_id, post.group_id)
            .await
        {
            if let Some(id) = PeerId::from_bot_api_dialog_id(dialog_id) {
                let peer = PeerRef {
                    id,
                    auth: PeerAuth::from_hash(hash),
                };
                self.peers.lock().await.insert(key, peer);
                return Ok(peer);
            }
        }
        let refused = Outcome::GroupRefused(super::GroupRefusal::Private);
        let peer = match post.group_ref.strip_prefix('@') {
            Some(username) => {
                let found = client
                    .resolve_username(username)
                    .await
                    .map_err(|e| outcome_of(&e))?;
                let found = found.ok_or_else(|| refused.clone())?;
                found.to_ref().await.ok().flatten().ok_or(refused)?
            }
            None => {
                let id: i64 = post.group_ref.parse().map_err(|_| refused.clone())?;
                let id = PeerId::from_bot_api_dialog_id(id).ok_or_else(|| refused.clone())?;
                // A supergroup or channel needs this account's access hash: it is in the
                // account's own dialogs (the account must be a member anyway).
                let found = match find_dialog(client, id).await.map_err(|e| outcome_of(&e))? {
                    Some(dialog) => dialog.peer().to_ref().await.ok().flatten(),
                    None => None,
                };
                match (found, id.kind()) {
                    (Some(peer), _) => peer,
                    // Basic groups need no access hash.
                    (None, grammers_session::types::PeerKind::Chat) => PeerRef {
                        id,
                        auth: PeerAuth::default(),
                    },
                    // Not among the account's dialogs: no member. Nothing is cached, so a
                    // later try (after the customer fixes it) looks again.
                    (None, _) => return Err(refused),
                }
            }
        };
        self.peers.lock().await.insert(key, peer);
        Ok(peer)
    }

    /// Disconnects the accounts (their customer stopped, or the process is stopping).
    async fn disconnect(&self, accounts: &[i64]) {
        let mut closing = Vec::new();
        {
            let mut connections = self.connections.lock().await;
            for account in accounts {
                if let Some(c) = connections.remove(account) {
                    closing.push(c);
                }
            }
        }
        for c in closing {
            c.close().await;
        }
    }
}

/// The account's dialog with this peer, searched among its first [`MAX_DIALOGS`].
async fn find_dialog(
    client: &Client,
    id: PeerId,
) -> Result<Option<grammers_client::peer::Dialog>, InvocationError> {
    let mut dialogs = client.iter_dialogs().limit(MAX_DIALOGS);
    while let Some(dialog) = dialogs.next().await? {
        if dialog.peer_id() == id {
            return Ok(Some(dialog));
        }
    }
    Ok(None)
}

/// Whether an account may write in a chat as Telegram describes it: `Ok(slow mode enabled)`.
fn writable(chat: &tl::enums::Chat) -> Result<bool, GroupProblem> {
    let banned = |rights: &Option<tl::enums::ChatBannedRights>| match rights {
        Some(tl::enums::ChatBannedRights::Rights(r)) => r.send_messages || r.send_plain,
        None => false,
    };
    let admin = |rights: &Option<tl::enums::ChatAdminRights>| rights.is_some();
    match chat {
        tl::enums::Chat::Empty(_) => Err(GroupProblem::NotFound),
        tl::enums::Chat::Forbidden(_) | tl::enums::Chat::ChannelForbidden(_) => {
            Err(GroupProblem::NotMember)
        }
        tl::enums::Chat::Community(_) | tl::enums::Chat::CommunityForbidden(_) => {
            Err(GroupProblem::NotAGroup)
        }
        tl::enums::Chat::Chat(c) => {
            if c.deactivated {
                return Err(GroupProblem::NotFound);
            }
            if c.left {
                return Err(GroupProblem::NotMember);
            }
            if banned(&c.default_banned_rights) && !admin(&c.admin_rights) {
                return Err(GroupProblem::CannotWrite);
            }
            Ok(false)
        }
        tl::enums::Chat::Channel(c) => {
            if c.left {
                return Err(GroupProblem::NotMember);
            }
            let is_admin = c.creator || admin(&c.admin_rights);
            if c.broadcast {
                // Only admins who may post write in a broadcast channel.
                let posts = c.creator
                    || matches!(&c.admin_rights, Some(tl::enums::ChatAdminRights::Rights(r)) if r.post_messages);
                return if posts {
                    Ok(false)
                } else {
                    Err(GroupProblem::CannotWrite)
                };
            }
            if banned(&c.banned_rights) || (banned(&c.default_banned_rights) && !is_admin) {
                return Err(GroupProblem::CannotWrite);
            }
            Ok(c.slowmode_enabled && !is_admin)
        }
    }
}

/// What a chat is beyond writable: a forum or not, and what the account may not send there
/// for its media (the group's default rights, which bind members but not admins, and the
/// account's own restriction in a supergroup).
fn kind_of(chat: &tl::enums::Chat) -> (bool, MediaBans) {
    let bans = |rights: &Option<tl::enums::ChatBannedRights>| match rights {
        Some(tl::enums::ChatBannedRights::Rights(r)) => MediaBans {
            media: r.send_media,
            photos: r.send_photos,
            videos: r.send_videos,
            documents: r.send_docs,
            gifs: r.send_gifs,
        },
        None => MediaBans::NONE,
    };
    match chat {
        tl::enums::Chat::Chat(c) if c.admin_rights.is_none() && !c.creator => {
            (false, bans(&c.default_banned_rights))
        }
        tl::enums::Chat::Channel(c) if !(c.creator || c.admin_rights.is_some()) => (
            c.forum,
            bans(&c.default_banned_rights).union(bans(&c.banned_rights)),
        ),
        tl::enums::Chat::Channel(c) => (c.forum, MediaBans::NONE),
        _ => (false, MediaBans::NONE),
    }
}

/// A forum's topics from Telegram's answer: the deleted ones left out, the General topic
/// (the main chat) first.
fn topics_of(answer: tl::enums::messages::ForumTopics) -> Vec<Topic> {
    let tl::enums::messages::ForumTopics::Topics(answer) = answer;
    let mut topics: Vec<Topic> = (answer.topics.into_iter())
        .filter_map(|t| match t {
            tl::enums::ForumTopic::Topic(t) => Some(Topic {
                id: t.id,
                title: t.title,
                closed: t.closed,
            }),
            tl::enums::ForumTopic::Deleted(_) => None,
        })
        .collect();
    topics.sort_by_key(|t| t.id != super::GENERAL_TOPIC);
    topics
}

/// The raw chat behind a resolved peer; users are not groups.
fn raw_chat(peer: &grammers_client::peer::Peer) -> Result<tl::enums::Chat, GroupProblem> {
    use grammers_client::peer::Peer;
    match peer {
        Peer::Group(g) => Ok(g.raw.clone()),
        Peer::Channel(c) => Ok(tl::enums::Chat::Channel(c.raw.clone())),
        Peer::User(_) | Peer::Community(_) => Err(GroupProblem::NotAGroup),
    }
}

fn problem_of(e: &InvocationError) -> GroupProblem {
    match outcome_of(e) {
        Outcome::FloodWait(d) => GroupProblem::FloodWait(d.as_secs() as u32),
        Outcome::GroupRefused(super::GroupRefusal::Private) => GroupProblem::NotMember,
        Outcome::GroupRefused(_) => GroupProblem::CannotWrite,
        Outcome::AccountLost(_) | Outcome::PeerFlood | Outcome::Unavailable(_) => {
            GroupProblem::AccountUnavailable
        }
        _ => GroupProblem::Unavailable,
    }
}

impl MtprotoTransport {
    /// The group `reference` names (`@username`, or a numeric id among the account's
    /// dialogs), resolved through the account.
    async fn resolve(
        &self,
        client: &Client,
        reference: &str,
    ) -> Result<grammers_client::peer::Peer, GroupProblem> {
        match reference.strip_prefix('@') {
            Some(username) => client
                .resolve_username(username)
                .await
                .map_err(|e| problem_of(&e))?
                .ok_or(GroupProblem::NotFound),
            None => {
                let id: i64 = reference.parse().map_err(|_| GroupProblem::NotFound)?;
                let id = PeerId::from_bot_api_dialog_id(id).ok_or(GroupProblem::NotFound)?;
                // A group the account is in is among its dialogs.
                let dialog = find_dialog(client, id)
                    .await
                    .map_err(|e| problem_of(&e))?
                    .ok_or(GroupProblem::NotMember)?;
                Ok(dialog.peer().clone())
            }
        }
    }

    /// A group as this account reaches it, checked: member, may write, slow mode, a forum,
    /// the media its rights forbid.
    async fn inspect(
        &self,
        client: &Client,
        peer: &grammers_client::peer::Peer,
        reference: String,
    ) -> Result<GroupInfo, GroupProblem> {
        let chat = raw_chat(peer)?;
        let slow = writable(&chat)?;
        let (forum, forbids) = kind_of(&chat);
        let peer_ref = peer
            .to_ref()
            .await
            .ok()
            .flatten()
            .ok_or(GroupProblem::NotMember)?;
        let slow_mode_secs = match (slow, peer_ref.id.bare_id()) {
            (true, Some(channel_id)) => {
                let full = client
                    .invoke(&tl::functions::channels::GetFullChannel {
                        channel: tl::enums::InputChannel::Channel(tl::types::InputChannel {
                            channel_id,
                            access_hash: peer_ref.auth.hash(),
                        }),
                    })
                    .await
                    .map_err(|e| problem_of(&e))?;
                let tl::enums::messages::ChatFull::Full(full) = full;
                match full.full_chat {
                    tl::enums::ChatFull::ChannelFull(c) => {
                        c.slowmode_seconds.and_then(|s| u32::try_from(s).ok())
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        Ok(GroupInfo {
            reference,
            title: peer.name().unwrap_or_default().to_string(),
            dialog_id: peer_ref
                .id
                .bot_api_dialog_id()
                .ok_or(GroupProblem::NotAGroup)?,
            access_hash: peer_ref.auth.hash(),
            slow_mode_secs,
            forum,
            forbids,
        })
    }
}

impl Groups for MtprotoTransport {
    fn check<'a>(
        &'a self,
        account_id: i64,
        reference: &'a str,
    ) -> BoxFuture<'a, Result<GroupInfo, GroupProblem>> {
        Box::pin(async move {
            let client = self
                .client(account_id)
                .await
                .map_err(|_| GroupProblem::AccountUnavailable)?;
            let peer = self.resolve(&client, reference).await?;
            self.inspect(&client, &peer, reference.to_string()).await
        })
    }

    fn list<'a>(&'a self, account_id: i64) -> BoxFuture<'a, Result<Vec<GroupInfo>, GroupProblem>> {
        Box::pin(async move {
            let client = self
                .client(account_id)
                .await
                .map_err(|_| GroupProblem::AccountUnavailable)?;
            let mut found = Vec::new();
            let mut dialogs = client.iter_dialogs().limit(MAX_DIALOGS);
            while let Some(dialog) = dialogs.next().await.map_err(|e| problem_of(&e))? {
                let peer = dialog.peer();
                let Ok(chat) = raw_chat(peer) else { continue };
                if writable(&chat).is_err() {
                    continue;
                }
                let Some(peer_ref) = peer.to_ref().await.ok().flatten() else {
                    continue;
                };
                let Some(dialog_id) = peer_ref.id.bot_api_dialog_id() else {
                    continue;
                };
                let (forum, forbids) = kind_of(&chat);
                found.push(GroupInfo {
                    reference: match peer.username() {
                        Some(username) => format!("@{}", username.to_ascii_lowercase()),
                        None => dialog_id.to_string(),
                    },
                    title: peer.name().unwrap_or_default().to_string(),
                    dialog_id,
                    access_hash: peer_ref.auth.hash(),
                    // Noted when the group is added (one request per group, not per listing).
                    slow_mode_secs: None,
                    forum,
                    forbids,
                });
            }
            Ok(found)
        })
    }

    fn topics<'a>(
        &'a self,
        account_id: i64,
        reference: &'a str,
    ) -> BoxFuture<'a, Result<Vec<Topic>, GroupProblem>> {
        Box::pin(async move {
            let client = self
                .client(account_id)
                .await
                .map_err(|_| GroupProblem::AccountUnavailable)?;
            let peer = self.resolve(&client, reference).await?;
            let chat = raw_chat(&peer)?;
            writable(&chat)?;
            let (tl::enums::Chat::Channel(channel), (true, _)) = (&chat, kind_of(&chat)) else {
                return Err(GroupProblem::NotAForum);
            };
            let peer_ref = peer
                .to_ref()
                .await
                .ok()
                .flatten()
                .ok_or(GroupProblem::NotMember)?;
            let answer = client
                .invoke(&tl::functions::messages::GetForumTopics {
                    peer: tl::enums::InputPeer::Channel(tl::types::InputPeerChannel {
                        channel_id: channel.id,
                        access_hash: peer_ref.auth.hash(),
                    }),
                    q: None,
                    offset_date: 0,
                    offset_id: 0,
                    offset_topic: 0,
                    limit: 100,
                })
                .await
                .map_err(|e| problem_of(&e))?;
            Ok(topics_of(answer))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_errors_say_what_the_customer_can_do() {
        let rpc = |code, name: &str, value| {
            InvocationError::Rpc(grammers_mtsender::RpcError {
                code,
                name: name.into(),
                value,
                caused_by: None,
            })
        };
        assert_eq!(
            login_error(&rpc(420, "FLOOD_WAIT", Some(90))),
            LoginError::FloodWait(90)
        );
        assert_eq!(
            login_error(&rpc(400, "PHONE_NUMBER_INVALID", None)),
            LoginError::PhoneInvalid
        );
        assert_eq!(
            login_error(&rpc(400, "PHONE_NUMBER_BANNED", None)),
            LoginError::PhoneBanned
        );
        assert_eq!(
            login_error(&rpc(400, "PHONE_CODE_EXPIRED", None)),
            LoginError::CodeExpired
        );
        assert_eq!(
            login_error(&rpc(401, "AUTH_KEY_UNREGISTERED", None)),
            LoginError::SessionNotAuthorized
        );
        assert_eq!(
            login_error(&InvocationError::Dropped("x")),
            LoginError::Unavailable
        );
    }

    #[test]
    fn failures_that_are_not_telegrams_answer_say_what_kind_they_are() {
        use grammers_mtproto::{authentication, mtp::DeserializeError, transport};
        let rpc = |code, name: &str| {
            InvocationError::Rpc(grammers_mtsender::RpcError {
                code,
                name: name.into(),
                value: None,
                caused_by: None,
            })
        };
        let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let cases = [
            (InvocationError::Io(io), LoginError::Unavailable),
            (rpc(500, "INTERNAL"), LoginError::Unavailable),
            (rpc(-503, "Timeout"), LoginError::Unavailable),
            (
                InvocationError::Transport(transport::Error::BadStatus { status: 429 }),
                LoginError::Unavailable,
            ),
            (
                InvocationError::Deserialize(DeserializeError::UnexpectedConstructor { id: 7 }),
                LoginError::Unreadable,
            ),
            (
                InvocationError::Transport(transport::Error::BadLen { got: 3 }),
                LoginError::Unreadable,
            ),
            (
                InvocationError::Transport(transport::Error::BadStatus { status: 404 }),
                LoginError::KeyRefused,
            ),
            (
                InvocationError::Deserialize(DeserializeError::BadAuthKey {
                    got: 1,
                    expected: 2,
                }),
                LoginError::KeyRefused,
            ),
            (rpc(401, "AUTH_KEY_INVALID"), LoginError::KeyRefused),
            (rpc(406, "AUTH_KEY_DUPLICATED"), LoginError::KeyRefused),
            (
                rpc(401, "SESSION_REVOKED"),
                LoginError::SessionNotAuthorized,
            ),
            (
                InvocationError::Authentication(authentication::Error::DhParamsFail),
                LoginError::KeyExchange,
            ),
            (
                rpc(400, "API_ID_INVALID"),
                LoginError::Unexpected {
                    name: "API_ID_INVALID".into(),
                },
            ),
            (InvocationError::InvalidDc, LoginError::Internal),
        ];
        for (error, expected) in cases {
            assert_eq!(login_error(&error), expected, "{error}");
        }
    }
}
