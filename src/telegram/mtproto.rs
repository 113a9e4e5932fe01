//! The MTProto side of the seam (grammers 0.11): what Telegram's errors mean for a post, and
//! the account session kept in our database, sealed by the [`crate::vault`].
//!
//! Error mapping is a pure function of grammers' `RpcError` / `InvocationError`, so every
//! case is unit-tested without a network. The session implements grammers' `Session` trait:
//! the home data centre and the data-centre options (which hold the 256-byte auth key) are
//! persisted, sealed, on every change; peers and update state live in memory (the engine
//! addresses groups by the ids and access hashes stored with them, and reads no updates).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use grammers_mtsender::{InvocationError, RpcError};
use grammers_session::types::{DcOption, PeerId, PeerInfo, UpdateState, UpdatesState};
use grammers_session::{BoxFuture, Session, SessionData};
use serde::{Deserialize, Serialize};

use super::{AccountLoss, GroupRefusal, Media, Outcome};
use crate::store::{Store, StoreError};
use crate::vault::{MasterKey, Sealed, VaultError};

/// What an RPC error means for the post that caused it.
pub fn outcome_of_rpc(e: &RpcError) -> Outcome {
    let secs = || std::time::Duration::from_secs(u64::from(e.value.unwrap_or(0)));
    let refused = |r| Outcome::GroupRefused(r);
    match e.name.as_str() {
        // The post exists already: a retry of a send that went through.
        "RANDOM_ID_DUPLICATE" => Outcome::Sent,
        "FLOOD_WAIT" | "FLOOD_PREMIUM_WAIT" => Outcome::FloodWait(secs()),
        "SLOWMODE_WAIT" => Outcome::SlowMode(secs()),
        "CHAT_WRITE_FORBIDDEN"
        | "CHAT_RESTRICTED"
        | "CHAT_SEND_PLAIN_FORBIDDEN"
        | "CHAT_GUEST_SEND_FORBIDDEN"
        | "CHAT_ADMIN_REQUIRED" => refused(GroupRefusal::WriteForbidden),
        "USER_BANNED_IN_CHANNEL" => refused(GroupRefusal::Banned),
        "CHAT_SEND_MEDIA_FORBIDDEN"
        | "CHAT_SEND_AUDIOS_FORBIDDEN"
        | "CHAT_SEND_VOICES_FORBIDDEN"
        | "CHAT_SEND_ROUNDVIDEOS_FORBIDDEN"
        | "CHAT_SEND_STICKERS_FORBIDDEN" => refused(GroupRefusal::MediaForbidden(Media::Any)),
        "CHAT_SEND_PHOTOS_FORBIDDEN" => refused(GroupRefusal::MediaForbidden(Media::Photos)),
        "CHAT_SEND_VIDEOS_FORBIDDEN" => refused(GroupRefusal::MediaForbidden(Media::Videos)),
        "CHAT_SEND_DOCS_FORBIDDEN" => refused(GroupRefusal::MediaForbidden(Media::Documents)),
        "CHAT_SEND_GIFS_FORBIDDEN" => refused(GroupRefusal::MediaForbidden(Media::Gifs)),
        // ALLOW_PAYMENT_REQUIRED_N: N Stars per message. Never paid.
        "ALLOW_PAYMENT_REQUIRED" => refused(GroupRefusal::PaymentRequired { stars: e.value }),
        "TOPIC_CLOSED" => refused(GroupRefusal::TopicClosed),
        "TOPIC_DELETED" | "TOPIC_ID_INVALID" => refused(GroupRefusal::TopicDeleted),
        "SLOWMODE_MULTI_MSGS_DISABLED" => refused(GroupRefusal::AlbumsRefused),
        // FILE_REFERENCE_EXPIRED, FILE_REFERENCE_N_EXPIRED (item N of an album; grammers moves
        // the N into `value`), _INVALID, _EMPTY: upload again, never a failed slot.
        "FILE_REFERENCE_EXPIRED" | "FILE_REFERENCE_INVALID" | "FILE_REFERENCE_EMPTY" => {
            Outcome::StaleFile
        }
        "CHANNEL_PRIVATE"
        | "CHANNEL_INVALID"
        | "CHAT_ID_INVALID"
        | "PEER_ID_INVALID"
        | "USER_NOT_PARTICIPANT" => refused(GroupRefusal::Private),
        "PEER_FLOOD" | "USER_RESTRICTED" => Outcome::PeerFlood,
        // A frozen account may only appeal: it posts nowhere.
        "FROZEN_METHOD_INVALID" | "FROZEN_PARTICIPANT_MISSING" => {
            Outcome::AccountLost(AccountLoss::Deactivated)
        }
        "USER_DEACTIVATED" | "USER_DEACTIVATED_BAN" => {
            Outcome::AccountLost(AccountLoss::Deactivated)
        }
        "AUTH_KEY_UNREGISTERED"
        | "SESSION_REVOKED"
        | "AUTH_KEY_DUPLICATED"
        | "SESSION_EXPIRED"
        | "AUTH_KEY_INVALID"
        | "AUTH_KEY_PERM_EMPTY" => Outcome::AccountLost(AccountLoss::Revoked),
        // Any other 401 means the session no longer authorises the account.
        _ if e.code == 401 => Outcome::AccountLost(AccountLoss::Revoked),
        // Telegram's own trouble: worth another try.
        _ if e.code >= 500 || e.code == -503 => {
            Outcome::Network(format!("rpc {}: {}", e.code, e.name))
        }
        // MESSAGE_TOO_LONG, ENTITY_BOUNDS_INVALID, …: this post, not the account or group.
        name => Outcome::Rejected(name.to_string()),
    }
}

/// What a failed request means for the post: RPC errors as above, everything else (I/O, the
/// transport, a dropped connection) is a network error, retried by the transport with the
/// same random id, so a retry never posts twice.
pub fn outcome_of(e: &InvocationError) -> Outcome {
    match e {
        InvocationError::Rpc(rpc) => outcome_of_rpc(rpc),
        InvocationError::Io(_) => Outcome::Network("i/o error".into()),
        InvocationError::Transport(_) => Outcome::Network("transport error".into()),
        InvocationError::Dropped(_) => Outcome::Network("connection dropped".into()),
        InvocationError::Deserialize(_) => Outcome::Network("malformed response".into()),
        InvocationError::InvalidDc => Outcome::Network("unknown data centre".into()),
        InvocationError::Authentication(_) => Outcome::Network("key exchange failed".into()),
        // Our own session store failed: the request never left.
        InvocationError::Session(_) => Outcome::Network("session storage".into()),
    }
}

/// What a failed `messages.sendMedia` / `sendMultiMedia` means: as [`outcome_of`], and
/// MEDIA_EMPTY (Telegram no longer knows the uploaded photo or document the post names) is a
/// stale file too: the account uploads it again, the slot is sent again with the same ids.
pub fn outcome_of_media_send(e: &InvocationError) -> Outcome {
    match e {
        InvocationError::Rpc(rpc) if rpc.name == "MEDIA_EMPTY" => Outcome::StaleFile,
        other => outcome_of(other),
    }
}

/// What a failed upload request (`upload.saveFilePart`, `saveBigFilePart`,
/// `messages.uploadMedia`) means: as [`outcome_of`], and FILE_PART_N_MISSING (a part Telegram
/// did not keep) is a lost upload, a network error the engine retries with a fresh upload,
/// never a failed slot.
pub fn outcome_of_upload(e: &InvocationError) -> Outcome {
    match e {
        InvocationError::Rpc(rpc) if rpc.name == "FILE_PART_MISSING" => Outcome::Network(format!(
            "part {} of the upload was lost",
            rpc.value.unwrap_or(0)
        )),
        other => outcome_of(other),
    }
}

/// Why the stored session could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored session is not readable")]
    Corrupt,
    #[error("session cache poisoned")]
    Poisoned,
}

/// What is persisted of a session (sealed): enough to reconnect as the account.
#[derive(Serialize, Deserialize)]
struct Persisted {
    home_dc: i32,
    dc_options: Vec<DcOption>,
    /// The account's own user, so that "am I signed in?" needs no request.
    self_user: Option<PeerInfo>,
}

struct Cache {
    home_dc: i32,
    dc_options: HashMap<i32, DcOption>,
    self_user: Option<PeerInfo>,
    peers: HashMap<PeerId, PeerInfo>,
    updates: UpdatesState,
}

/// An account's MTProto session over our store, sealed with the master key.
pub struct VaultSession {
    /// `None` while a login is in progress: nothing is stored until the account exists.
    account_id: Mutex<Option<i64>>,
    store: Store,
    key: Arc<MasterKey>,
    cache: Mutex<Cache>,
    /// Serialises snapshot-and-write, so an older state is never written after a newer one.
    writing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for VaultSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultSession")
            .field("account_id", &self.account_id.lock().ok().and_then(|a| *a))
            .finish_non_exhaustive()
    }
}

impl VaultSession {
    /// A fresh session (Telegram's default data centres, no auth key) for an account being
    /// logged in; it is stored as soon as grammers sets anything.
    pub fn fresh(account_id: i64, store: Store, key: Arc<MasterKey>) -> VaultSession {
        let session = VaultSession::unbound(store, key);
        *session.account_id.lock().expect("fresh lock") = Some(account_id);
        session
    }

    /// A session for a login in progress: kept in memory only until [`VaultSession::bind`].
    pub fn unbound(store: Store, key: Arc<MasterKey>) -> VaultSession {
        let defaults = SessionData::default();
        VaultSession {
            account_id: Mutex::new(None),
            writing: tokio::sync::Mutex::new(()),
            store,
            key,
            cache: Mutex::new(Cache {
                home_dc: defaults.home_dc,
                dc_options: defaults.dc_options,
                self_user: None,
                peers: HashMap::new(),
                updates: UpdatesState::default(),
            }),
        }
    }

    /// The account's stored session; `Ok(None)` if there is none. A session sealed with
    /// another key, altered, or belonging to another account fails closed. One sealed under
    /// the previous master key is re-sealed under the current one and stored so.
    pub async fn load(
        account_id: i64,
        store: Store,
        key: Arc<MasterKey>,
    ) -> Result<Option<VaultSession>, SessionError> {
        let Some(sealed) = store.load_session(account_id).await? else {
            return Ok(None);
        };
        let plain = key.open(account_id, &sealed)?;
        if sealed.key_version != key.version() {
            let resealed = key.seal(account_id, &plain);
            // The session opened: a failed write only postpones the re-seal to the next open
            // (or `autoposter rekey`); a session written meanwhile is newer and stays.
            match store.replace_session(account_id, &sealed, &resealed).await {
                Ok(_) => tracing::info!(
                    account_id,
                    from = sealed.key_version,
                    to = resealed.key_version,
                    "session re-sealed under the current master key"
                ),
                Err(e) => tracing::warn!(
                    account_id,
                    error = %e,
                    "could not store the session re-sealed under the current master key"
                ),
            }
        }
        let p: Persisted = serde_json::from_slice(&plain).map_err(|_| SessionError::Corrupt)?;
        let session = VaultSession::fresh(account_id, store, key);
        {
            let mut c = session.cache.lock().map_err(|_| SessionError::Poisoned)?;
            c.home_dc = p.home_dc;
            for option in p.dc_options {
                c.dc_options.insert(option.id, option);
            }
            c.self_user = p.self_user;
        }
        Ok(Some(session))
    }

    /// Gives a logged-in session its account and stores it, sealed for that account.
    pub async fn bind(&self, account_id: i64) -> Result<(), SessionError> {
        *self.account_id.lock().map_err(|_| SessionError::Poisoned)? = Some(account_id);
        self.persist().await
    }

    /// Sets an imported auth key as the home data centre's (no request is made).
    pub fn import_key(
        &self,
        dc_id: i32,
        addr: Option<std::net::SocketAddr>,
        auth_key: [u8; 256],
    ) -> Result<(), SessionError> {
        let mut c = self.cache()?;
        let mut option = c
            .dc_options
            .get(&dc_id)
            .cloned()
            .ok_or(SessionError::Corrupt)?;
        match addr {
            Some(std::net::SocketAddr::V4(v4)) => {
                option.ipv4 = v4;
                option.ipv6 =
                    std::net::SocketAddrV6::new(v4.ip().to_ipv6_mapped(), v4.port(), 0, 0);
            }
            Some(std::net::SocketAddr::V6(v6)) => option.ipv6 = v6,
            None => {}
        }
        option.auth_key = Some(auth_key);
        c.dc_options.insert(dc_id, option);
        c.home_dc = dc_id;
        Ok(())
    }

    /// Seals and stores what must survive a restart (nothing before the account exists).
    async fn persist(&self) -> Result<(), SessionError> {
        let _writing = self.writing.lock().await;
        let Some(account_id) = *self.account_id.lock().map_err(|_| SessionError::Poisoned)? else {
            return Ok(());
        };
        let plain = {
            let c = self.cache.lock().map_err(|_| SessionError::Poisoned)?;
            let mut dc_options: Vec<DcOption> = c.dc_options.values().cloned().collect();
            dc_options.sort_by_key(|o| o.id);
            serde_json::to_vec(&Persisted {
                home_dc: c.home_dc,
                dc_options,
                self_user: c.self_user.clone(),
            })
            .map_err(|_| SessionError::Corrupt)?
        };
        let sealed: Sealed = self.key.seal(account_id, &plain);
        self.store.save_session(account_id, &sealed).await?;
        Ok(())
    }

    fn cache(&self) -> Result<std::sync::MutexGuard<'_, Cache>, SessionError> {
        self.cache.lock().map_err(|_| SessionError::Poisoned)
    }
}

impl Session for VaultSession {
    type Error = SessionError;

    fn home_dc_id(&self) -> Result<i32, SessionError> {
        Ok(self.cache()?.home_dc)
    }

    fn set_home_dc_id(&self, dc_id: i32) -> BoxFuture<'_, Result<(), SessionError>> {
        let updated = self.cache().map(|mut c| c.home_dc = dc_id);
        Box::pin(async move {
            updated?;
            self.persist().await
        })
    }

    fn dc_option(&self, dc_id: i32) -> Result<Option<DcOption>, SessionError> {
        Ok(self.cache()?.dc_options.get(&dc_id).cloned())
    }

    fn set_dc_option(&self, dc_option: &DcOption) -> BoxFuture<'_, Result<(), SessionError>> {
        let option = dc_option.clone();
        let updated = self.cache().map(|mut c| {
            c.dc_options.insert(option.id, option);
        });
        Box::pin(async move {
            updated?;
            self.persist().await
        })
    }

    fn peer(&self, peer: PeerId) -> BoxFuture<'_, Result<Option<PeerInfo>, SessionError>> {
        let found = self.cache().map(|c| {
            if peer == PeerId::self_user() {
                c.self_user.clone()
            } else {
                c.peers.get(&peer).cloned()
            }
        });
        Box::pin(async move { found })
    }

    fn cache_peer(&self, peer: PeerInfo) -> BoxFuture<'_, Result<(), SessionError>> {
        let is_self = matches!(
            peer,
            PeerInfo::User {
                is_self: Some(true),
                ..
            }
        );
        let updated = self.cache().map(|mut c| {
            if is_self {
                c.self_user = Some(peer.clone());
            }
            c.peers
                .entry(peer.id())
                .or_insert_with(|| peer.clone())
                .extend_info(&peer);
        });
        Box::pin(async move {
            updated?;
            // Only the account's own user is worth a write: it marks the session signed in.
            if is_self {
                self.persist().await?;
            }
            Ok(())
        })
    }

    fn updates_state(&self) -> BoxFuture<'_, Result<UpdatesState, SessionError>> {
        let state = self.cache().map(|c| c.updates.clone());
        Box::pin(async move { state })
    }

    fn set_update_state(&self, update: UpdateState) -> BoxFuture<'_, Result<(), SessionError>> {
        let updated = self.cache().map(|mut c| match update {
            UpdateState::All(all) => c.updates = all,
            UpdateState::Primary { pts, date, seq } => {
                c.updates.pts = pts;
                c.updates.date = date;
                c.updates.seq = seq;
            }
            UpdateState::Secondary { qts } => c.updates.qts = qts,
            UpdateState::Channel { id, pts } => {
                c.updates.channels.retain(|ch| ch.id != id);
                c.updates
                    .channels
                    .push(grammers_session::types::ChannelState { id, pts });
            }
        });
        Box::pin(async move { updated })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn rpc(code: i32, name: &str, value: Option<u32>) -> RpcError {
        RpcError {
            code,
            name: name.to_string(),
            value,
            caused_by: None,
        }
    }

    #[test]
    fn every_telegram_error_the_engine_must_obey_is_mapped() {
        let s = Duration::from_secs;
        let cases = [
            (rpc(420, "FLOOD_WAIT", Some(31)), Outcome::FloodWait(s(31))),
            (
                rpc(420, "FLOOD_PREMIUM_WAIT", Some(7)),
                Outcome::FloodWait(s(7)),
            ),
            (
                rpc(420, "SLOWMODE_WAIT", Some(300)),
                Outcome::SlowMode(s(300)),
            ),
            (
                rpc(403, "CHAT_WRITE_FORBIDDEN", None),
                Outcome::GroupRefused(GroupRefusal::WriteForbidden),
            ),
            (
                rpc(400, "CHAT_RESTRICTED", None),
                Outcome::GroupRefused(GroupRefusal::WriteForbidden),
            ),
            (
                rpc(400, "USER_BANNED_IN_CHANNEL", None),
                Outcome::GroupRefused(GroupRefusal::Banned),
            ),
            (
                rpc(400, "CHANNEL_PRIVATE", None),
                Outcome::GroupRefused(GroupRefusal::Private),
            ),
            (rpc(400, "PEER_FLOOD", None), Outcome::PeerFlood),
            (rpc(400, "USER_RESTRICTED", None), Outcome::PeerFlood),
            (
                rpc(420, "FROZEN_METHOD_INVALID", None),
                Outcome::AccountLost(AccountLoss::Deactivated),
            ),
            (
                rpc(401, "AUTH_KEY_UNREGISTERED", None),
                Outcome::AccountLost(AccountLoss::Revoked),
            ),
            (
                rpc(401, "SESSION_REVOKED", None),
                Outcome::AccountLost(AccountLoss::Revoked),
            ),
            (
                rpc(406, "AUTH_KEY_DUPLICATED", None),
                Outcome::AccountLost(AccountLoss::Revoked),
            ),
            (
                rpc(401, "USER_DEACTIVATED", None),
                Outcome::AccountLost(AccountLoss::Deactivated),
            ),
            (
                rpc(401, "USER_DEACTIVATED_BAN", None),
                Outcome::AccountLost(AccountLoss::Deactivated),
            ),
            (
                rpc(401, "SOMETHING_NEW", None),
                Outcome::AccountLost(AccountLoss::Revoked),
            ),
            (rpc(400, "RANDOM_ID_DUPLICATE", None), Outcome::Sent),
            (
                rpc(400, "MESSAGE_TOO_LONG", None),
                Outcome::Rejected("MESSAGE_TOO_LONG".into()),
            ),
            (
                rpc(500, "INTERNAL", None),
                Outcome::Network("rpc 500: INTERNAL".into()),
            ),
            (
                rpc(-503, "TIMEOUT", None),
                Outcome::Network("rpc -503: TIMEOUT".into()),
            ),
        ];
        for (error, want) in cases {
            assert_eq!(outcome_of_rpc(&error), want, "{error:?}");
            assert_eq!(outcome_of(&InvocationError::Rpc(error.clone())), want);
        }
    }

    #[test]
    fn refusals_of_rich_posts_are_mapped_with_stable_names_and_their_consequence() {
        use crate::schedule::{next_after, Lasting, Next, OutcomeKind};
        let refused = Outcome::GroupRefused;
        let media = |m| Outcome::GroupRefused(GroupRefusal::MediaForbidden(m));
        // (error, outcome, stored name, kind, lasting)
        let block = (OutcomeKind::GroupRefused, Lasting::PairBlock);
        let again = (OutcomeKind::StaleFile, Lasting::Nothing);
        let cases = [
            (
                rpc(403, "CHAT_SEND_MEDIA_FORBIDDEN", None),
                media(Media::Any),
                "media_forbidden",
                block,
            ),
            (
                rpc(403, "CHAT_SEND_PHOTOS_FORBIDDEN", None),
                media(Media::Photos),
                "photos_forbidden",
                block,
            ),
            (
                rpc(403, "CHAT_SEND_VIDEOS_FORBIDDEN", None),
                media(Media::Videos),
                "videos_forbidden",
                block,
            ),
            (
                rpc(403, "CHAT_SEND_DOCS_FORBIDDEN", None),
                media(Media::Documents),
                "documents_forbidden",
                block,
            ),
            (
                rpc(403, "CHAT_SEND_GIFS_FORBIDDEN", None),
                media(Media::Gifs),
                "gifs_forbidden",
                block,
            ),
            (
                rpc(403, "CHAT_SEND_AUDIOS_FORBIDDEN", None),
                media(Media::Any),
                "media_forbidden",
                block,
            ),
            (
                rpc(403, "CHAT_SEND_STICKERS_FORBIDDEN", None),
                media(Media::Any),
                "media_forbidden",
                block,
            ),
            (
                rpc(400, "ALLOW_PAYMENT_REQUIRED", Some(250)),
                refused(GroupRefusal::PaymentRequired { stars: Some(250) }),
                "payment_required",
                block,
            ),
            (
                rpc(400, "ALLOW_PAYMENT_REQUIRED", None),
                refused(GroupRefusal::PaymentRequired { stars: None }),
                "payment_required",
                block,
            ),
            (
                rpc(400, "TOPIC_CLOSED", None),
                refused(GroupRefusal::TopicClosed),
                "topic_closed",
                block,
            ),
            (
                rpc(400, "TOPIC_DELETED", None),
                refused(GroupRefusal::TopicDeleted),
                "topic_deleted",
                block,
            ),
            (
                rpc(400, "TOPIC_ID_INVALID", None),
                refused(GroupRefusal::TopicDeleted),
                "topic_deleted",
                block,
            ),
            (
                rpc(400, "SLOWMODE_MULTI_MSGS_DISABLED", None),
                refused(GroupRefusal::AlbumsRefused),
                "albums_refused",
                block,
            ),
            (
                rpc(400, "FILE_REFERENCE_EXPIRED", None),
                Outcome::StaleFile,
                "file_reference_expired",
                again,
            ),
            (
                rpc(400, "FILE_REFERENCE_EXPIRED", Some(3)),
                Outcome::StaleFile,
                "file_reference_expired",
                again,
            ),
            (
                rpc(400, "FILE_REFERENCE_INVALID", None),
                Outcome::StaleFile,
                "file_reference_expired",
                again,
            ),
            (
                rpc(400, "FILE_REFERENCE_INVALID", Some(0)),
                Outcome::StaleFile,
                "file_reference_expired",
                again,
            ),
            (
                rpc(400, "FILE_REFERENCE_EMPTY", None),
                Outcome::StaleFile,
                "file_reference_expired",
                again,
            ),
        ];
        for (error, want, name, (kind, lasting)) in cases {
            let got = outcome_of_rpc(&error);
            assert_eq!(got, want, "{error:?}");
            assert_eq!(got.name(), name, "{error:?}");
            assert_eq!(got.kind(), kind, "{error:?}");
            let decision = next_after(got.kind());
            assert_eq!(decision.session, Next::Continue, "{error:?}");
            assert_eq!(decision.lasting, lasting, "{error:?}");
        }
        let priced = outcome_of_rpc(&rpc(400, "ALLOW_PAYMENT_REQUIRED", Some(250)));
        assert_eq!(priced.price_stars(), Some(250));
        assert_eq!(
            priced.error().as_deref(),
            Some("payment_required: 250 stars per message")
        );
        assert_eq!(
            outcome_of_rpc(&rpc(400, "TOPIC_CLOSED", None)).price_stars(),
            None
        );
    }

    #[test]
    fn grammers_moves_the_digits_of_rich_post_errors_into_the_value() {
        // What our mapping relies on: the name Telegram sends, as grammers hands it over.
        let parsed = |message: &str| {
            RpcError::from(grammers_tl_types::types::RpcError {
                error_code: 400,
                error_message: message.to_string(),
            })
        };
        let e = parsed("ALLOW_PAYMENT_REQUIRED_250");
        assert_eq!(
            (e.name.as_str(), e.value),
            ("ALLOW_PAYMENT_REQUIRED", Some(250))
        );
        let e = parsed("FILE_REFERENCE_2_EXPIRED");
        assert_eq!(
            (e.name.as_str(), e.value),
            ("FILE_REFERENCE_EXPIRED", Some(2))
        );
        assert_eq!(outcome_of_rpc(&e), Outcome::StaleFile);
    }

    #[test]
    fn media_sends_and_uploads_map_their_own_errors_and_otherwise_as_any_request() {
        let parsed = |code, message: &str| {
            InvocationError::Rpc(RpcError::from(grammers_tl_types::types::RpcError {
                error_code: code,
                error_message: message.to_string(),
            }))
        };
        let refused = Outcome::GroupRefused;
        let media = |m| refused(GroupRefusal::MediaForbidden(m));
        // As Telegram writes them, through grammers' parsing; (send, upload).
        let cases = [
            (
                "MEDIA_EMPTY",
                Outcome::StaleFile,
                Outcome::Rejected("MEDIA_EMPTY".into()),
            ),
            (
                "FILE_REFERENCE_EXPIRED",
                Outcome::StaleFile,
                Outcome::StaleFile,
            ),
            (
                "FILE_REFERENCE_1_EXPIRED",
                Outcome::StaleFile,
                Outcome::StaleFile,
            ),
            (
                "FILE_REFERENCE_INVALID",
                Outcome::StaleFile,
                Outcome::StaleFile,
            ),
            (
                "FILE_PART_3_MISSING",
                Outcome::Rejected("FILE_PART_MISSING".into()),
                Outcome::Network("part 3 of the upload was lost".into()),
            ),
            (
                "MEDIA_CAPTION_TOO_LONG",
                Outcome::Rejected("MEDIA_CAPTION_TOO_LONG".into()),
                Outcome::Rejected("MEDIA_CAPTION_TOO_LONG".into()),
            ),
            (
                "PHOTO_INVALID_DIMENSIONS",
                Outcome::Rejected("PHOTO_INVALID_DIMENSIONS".into()),
                Outcome::Rejected("PHOTO_INVALID_DIMENSIONS".into()),
            ),
            (
                "CHAT_SEND_MEDIA_FORBIDDEN",
                media(Media::Any),
                media(Media::Any),
            ),
            (
                "CHAT_SEND_PHOTOS_FORBIDDEN",
                media(Media::Photos),
                media(Media::Photos),
            ),
            (
                "CHAT_SEND_VIDEOS_FORBIDDEN",
                media(Media::Videos),
                media(Media::Videos),
            ),
            (
                "CHAT_SEND_DOCS_FORBIDDEN",
                media(Media::Documents),
                media(Media::Documents),
            ),
            (
                "CHAT_SEND_GIFS_FORBIDDEN",
                media(Media::Gifs),
                media(Media::Gifs),
            ),
            (
                "ALLOW_PAYMENT_REQUIRED_25",
                refused(GroupRefusal::PaymentRequired { stars: Some(25) }),
                refused(GroupRefusal::PaymentRequired { stars: Some(25) }),
            ),
            (
                "TOPIC_CLOSED",
                refused(GroupRefusal::TopicClosed),
                refused(GroupRefusal::TopicClosed),
            ),
            (
                "TOPIC_DELETED",
                refused(GroupRefusal::TopicDeleted),
                refused(GroupRefusal::TopicDeleted),
            ),
            (
                "SLOWMODE_MULTI_MSGS_DISABLED",
                refused(GroupRefusal::AlbumsRefused),
                refused(GroupRefusal::AlbumsRefused),
            ),
            ("RANDOM_ID_DUPLICATE", Outcome::Sent, Outcome::Sent),
            (
                "FLOOD_WAIT_12",
                Outcome::FloodWait(Duration::from_secs(12)),
                Outcome::FloodWait(Duration::from_secs(12)),
            ),
        ];
        for (message, send, upload) in cases {
            let e = parsed(400, message);
            assert_eq!(outcome_of_media_send(&e), send, "send: {message}");
            assert_eq!(outcome_of_upload(&e), upload, "upload: {message}");
        }
        let dropped = InvocationError::Dropped("gone");
        assert_eq!(
            outcome_of_upload(&dropped),
            Outcome::Network("connection dropped".into())
        );
        assert_eq!(
            outcome_of_media_send(&dropped),
            Outcome::Network("connection dropped".into())
        );
        // A text send never names a file: MEDIA_EMPTY there is Telegram refusing the text.
        assert_eq!(
            outcome_of(&parsed(400, "MEDIA_EMPTY")),
            Outcome::Rejected("MEDIA_EMPTY".into())
        );
    }

    #[test]
    fn failures_outside_telegram_are_network_errors() {
        let io = InvocationError::Io(std::io::Error::other("reset"));
        assert_eq!(outcome_of(&io), Outcome::Network("i/o error".into()));
        assert_eq!(
            outcome_of(&InvocationError::Dropped("gone")),
            Outcome::Network("connection dropped".into())
        );
        assert_eq!(
            outcome_of(&InvocationError::InvalidDc),
            Outcome::Network("unknown data centre".into())
        );
    }

    #[test]
    fn each_outcome_decides_the_session_in_the_pure_core() {
        use crate::schedule::{next_after, Lasting, Next};
        let d = |e: RpcError| next_after(outcome_of_rpc(&e).kind());
        assert_eq!(
            d(rpc(420, "FLOOD_WAIT", Some(5))).session,
            Next::AccountWaits(Duration::from_secs(5))
        );
        assert_eq!(
            d(rpc(420, "SLOWMODE_WAIT", Some(5))).lasting,
            Lasting::PairWait(Duration::from_secs(5))
        );
        assert_eq!(
            d(rpc(403, "CHAT_WRITE_FORBIDDEN", None)).lasting,
            Lasting::PairBlock
        );
        assert_eq!(d(rpc(400, "PEER_FLOOD", None)).lasting, Lasting::Quarantine);
        assert_eq!(
            d(rpc(400, "MESSAGE_TOO_LONG", None)).lasting,
            Lasting::Nothing
        );
    }
}
