//! Account sessions at rest: sealed in the database, opened only with the right key and for
//! the right account, never in plaintext in the database file.

use std::net::{Ipv4Addr, SocketAddrV4, SocketAddrV6};
use std::sync::Arc;

use autoposter::store::Store;
use autoposter::telegram::mtproto::{SessionError, VaultSession};
use autoposter::vault::{MasterKey, VaultError};
use grammers_session::types::{DcOption, PeerId, PeerInfo};
use grammers_session::Session;

/// A fresh random master key of this version.
pub fn key(version: i64) -> Arc<MasterKey> {
    Arc::new(MasterKey::from_base64(&MasterKey::generate_base64(), version).unwrap())
}

fn auth_key() -> [u8; 256] {
    let mut k = [0u8; 256];
    for b in k.iter_mut() {
        *b = fastrand::u8(..);
    }
    k
}

/// A data-centre option holding `auth_key`.
pub fn dc(id: i32, auth_key: [u8; 256]) -> DcOption {
    let ipv4 = SocketAddrV4::new(Ipv4Addr::new(149, 154, 167, 51), 443);
    DcOption {
        id,
        ipv4,
        ipv6: SocketAddrV6::new(ipv4.ip().to_ipv6_mapped(), 443, 0, 0),
        auth_key: Some(auth_key),
    }
}

async fn two_accounts(store: &Store) -> (i64, i64) {
    store.ensure_customer(1, None).await.unwrap();
    let a = store.add_account(1, "+9996611111").await.unwrap();
    let b = store.add_account(1, "+9996622222").await.unwrap();
    (a, b)
}

/// Round trip, wrong key, wrong version, swapped account: on one store.
async fn sealed_sessions_round_trip_and_fail_closed(store: &Store) {
    let (a, b) = two_accounts(store).await;
    let k = key(1);
    let secret = auth_key();
    let session = VaultSession::fresh(a, store.clone(), k.clone());
    session.set_dc_option(&dc(4, secret)).await.unwrap();
    session.set_home_dc_id(4).await.unwrap();
    let me = PeerInfo::User {
        id: 777,
        auth: None,
        bot: Some(false),
        is_self: Some(true),
    };
    session.cache_peer(me.clone()).await.unwrap();

    let back = VaultSession::load(a, store.clone(), k.clone())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.home_dc_id().unwrap(), 4);
    assert_eq!(back.dc_option(4).unwrap().unwrap().auth_key, Some(secret));
    assert_eq!(back.peer(PeerId::self_user()).await.unwrap(), Some(me));
    // Default data centres are there for a fresh login.
    assert!(back.dc_option(2).unwrap().is_some());
    assert!(VaultSession::load(b, store.clone(), k.clone())
        .await
        .unwrap()
        .is_none());

    let wrong = VaultSession::load(a, store.clone(), key(1))
        .await
        .unwrap_err();
    assert!(
        matches!(wrong, SessionError::Vault(VaultError::DoesNotOpen)),
        "{wrong}"
    );
    let rotated = VaultSession::load(a, store.clone(), key(2))
        .await
        .unwrap_err();
    assert!(
        matches!(
            rotated,
            SessionError::Vault(VaultError::WrongKeyVersion {
                sealed: 1,
                current: 2
            })
        ),
        "{rotated}"
    );
    // A session copied onto another account does not open there.
    let sealed = store.load_session(a).await.unwrap().unwrap();
    store.save_session(b, &sealed).await.unwrap();
    let swapped = VaultSession::load(b, store.clone(), k).await.unwrap_err();
    assert!(
        matches!(swapped, SessionError::Vault(VaultError::DoesNotOpen)),
        "{swapped}"
    );
}

#[tokio::test]
async fn sealed_sessions_round_trip_and_fail_closed_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("autoposter-vault-it-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::connect(&format!("sqlite:{}", dir.join("v.db").display()))
        .await
        .unwrap();
    sealed_sessions_round_trip_and_fail_closed(&store).await;
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn sealed_sessions_round_trip_and_fail_closed_on_postgres() {
    let Some(db) = crate::helpers::pg_db().await else {
        return;
    };
    let store = Store::connect(&db.url).await.unwrap();
    sealed_sessions_round_trip_and_fail_closed(&store).await;
    store.close().await;
    db.drop_db().await;
}

#[tokio::test]
async fn the_database_file_holds_no_plaintext_auth_key() {
    let dir = std::env::temp_dir().join(format!("autoposter-vault-file-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("v.db");
    let store = Store::connect(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    let (a, _) = two_accounts(&store).await;
    let secret = auth_key();
    let session = VaultSession::fresh(a, store.clone(), key(1));
    session.set_dc_option(&dc(2, secret)).await.unwrap();
    store.close().await;
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let mut scanned = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        // The -wal and -shm files may vanish as the pool closes: read what is there.
        let Ok(bytes) = std::fs::read(entry.unwrap().path()) else {
            continue;
        };
        scanned += bytes.len();
        assert!(
            !bytes.windows(32).any(|w| w == &secret[..32]),
            "raw auth key bytes on disk"
        );
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        assert!(!text.contains(&hex[..64]), "hex auth key on disk");
    }
    assert!(scanned > 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_server_refuses_to_start_with_a_key_that_does_not_open_the_stored_sessions() {
    use autoposter::config::{KeySource, Secret};
    use autoposter::serve::{checked_master_key, RunError};
    let store = Store::memory().await.unwrap();
    let (a, _) = two_accounts(&store).await;
    let right = MasterKey::generate_base64();
    let key = Arc::new(MasterKey::from_base64(&right, 1).unwrap());
    VaultSession::fresh(a, store.clone(), key)
        .set_dc_option(&dc(2, auth_key()))
        .await
        .unwrap();
    let given = |text: &str| KeySource::Given {
        key: Secret::new(text),
        version: 1,
    };
    assert!(checked_master_key(&store, &given(&right), None)
        .await
        .is_ok());
    let wrong = checked_master_key(&store, &given(&MasterKey::generate_base64()), None)
        .await
        .expect_err("refused");
    assert!(
        matches!(wrong, RunError::MasterKey(VaultError::DoesNotOpen)),
        "{wrong}"
    );
    assert!(wrong
        .to_string()
        .contains("does not open with the configured master key"));
    // A fresh key file next to existing sessions is refused the same way.
    let path = std::env::temp_dir().join(format!("autoposter-new-{}.key", fastrand::u64(..)));
    let fresh = KeySource::File {
        path: path.clone(),
        version: 1,
    };
    assert!(checked_master_key(&store, &fresh, None).await.is_err());
    let _ = std::fs::remove_file(path);
}

/// A master key of this version from its base64 text.
fn key_of(text: &str, version: i64) -> MasterKey {
    MasterKey::from_base64(text, version).unwrap()
}

/// The key `current` with `previous` beside it (a rotation under way).
fn rotating(current: &str, cv: i64, previous: &str, pv: i64) -> Arc<MasterKey> {
    Arc::new(
        key_of(current, cv)
            .with_previous(key_of(previous, pv))
            .unwrap(),
    )
}

/// Stores a session for `account` sealed under `key`, holding a fresh auth key.
async fn seal_session(store: &Store, account: i64, key: Arc<MasterKey>) -> [u8; 256] {
    let secret = auth_key();
    let session = VaultSession::fresh(account, store.clone(), key);
    session.set_dc_option(&dc(2, secret)).await.unwrap();
    session.set_home_dc_id(2).await.unwrap();
    secret
}

/// A session sealed under v1 opens with the current key v2 and the previous v1, is stored
/// under v2 as it is opened, and opens with v2 alone afterwards.
async fn a_session_sealed_under_the_previous_key_is_resealed_as_it_is_opened(store: &Store) {
    let (a, _) = two_accounts(store).await;
    let (v1, v2) = (MasterKey::generate_base64(), MasterKey::generate_base64());
    let secret = seal_session(store, a, Arc::new(key_of(&v1, 1))).await;
    assert_eq!(store.load_session(a).await.unwrap().unwrap().key_version, 1);

    let opened = VaultSession::load(a, store.clone(), rotating(&v2, 2, &v1, 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(opened.dc_option(2).unwrap().unwrap().auth_key, Some(secret));
    assert_eq!(store.load_session(a).await.unwrap().unwrap().key_version, 2);

    let alone = VaultSession::load(a, store.clone(), Arc::new(key_of(&v2, 2)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alone.home_dc_id().unwrap(), 2);
    assert_eq!(alone.dc_option(2).unwrap().unwrap().auth_key, Some(secret));
    // The old key alone no longer opens it: it can be retired.
    let old = VaultSession::load(a, store.clone(), Arc::new(key_of(&v1, 1)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            old,
            SessionError::Vault(VaultError::WrongKeyVersion {
                sealed: 2,
                current: 1
            })
        ),
        "{old}"
    );
}

#[tokio::test]
async fn a_session_sealed_under_the_previous_key_is_resealed_as_it_is_opened_on_sqlite() {
    let store = Store::memory().await.unwrap();
    a_session_sealed_under_the_previous_key_is_resealed_as_it_is_opened(&store).await;
    store.close().await;
}

#[tokio::test]
async fn a_session_sealed_under_the_previous_key_is_resealed_as_it_is_opened_on_postgres() {
    let Some(db) = crate::helpers::pg_db().await else {
        return;
    };
    let store = Store::connect(&db.url).await.unwrap();
    a_session_sealed_under_the_previous_key_is_resealed_as_it_is_opened(&store).await;
    store.close().await;
    db.drop_db().await;
}

/// Rekey re-seals every session under the current key, reports its progress, leaves a
/// session it cannot open as it was (naming its version), and changes nothing when run again.
async fn rekey_reseals_every_session_and_is_idempotent(store: &Store) {
    use autoposter::serve::{rekey, RekeyFailure};
    store.ensure_customer(1, None).await.unwrap();
    let mut accounts = Vec::new();
    for n in 0..5 {
        accounts.push(
            store
                .add_account(1, &format!("+99966{n}0000"))
                .await
                .unwrap(),
        );
    }
    let (v1, v2, v7) = (
        MasterKey::generate_base64(),
        MasterKey::generate_base64(),
        MasterKey::generate_base64(),
    );
    let mut secrets = Vec::new();
    for &a in &accounts[..3] {
        secrets.push(seal_session(store, a, Arc::new(key_of(&v1, 1))).await);
    }
    secrets.push(seal_session(store, accounts[3], Arc::new(key_of(&v2, 2))).await);
    seal_session(store, accounts[4], Arc::new(key_of(&v7, 7))).await;
    let stray = store.load_session(accounts[4]).await.unwrap().unwrap();

    let keys = rotating(&v2, 2, &v1, 1);
    let mut seen = Vec::new();
    let report = rekey(store, &keys, |done, total| seen.push((done, total)))
        .await
        .unwrap();
    assert_eq!(seen, (1..=5).map(|n| (n, 5)).collect::<Vec<_>>());
    assert_eq!(
        (report.total, report.resealed, report.current, report.gone),
        (5, 3, 1, 0)
    );
    assert_eq!(report.failed.len(), 1);
    let (account, failure) = &report.failed[0];
    assert_eq!(*account, accounts[4]);
    assert!(
        matches!(
            failure,
            RekeyFailure::Vault(VaultError::UnknownKeyVersion {
                sealed: 7,
                current: 2,
                previous: 1
            })
        ),
        "{failure}"
    );
    assert!(failure.to_string().contains("version 7"), "{failure}");
    // The one it could not open is untouched.
    assert_eq!(store.load_session(accounts[4]).await.unwrap(), Some(stray));

    // Every other session opens with the current key alone, holding what it held.
    let v2_alone = Arc::new(key_of(&v2, 2));
    let mut stored = Vec::new();
    for (&a, secret) in accounts[..4].iter().zip(&secrets) {
        let sealed = store.load_session(a).await.unwrap().unwrap();
        assert_eq!(sealed.key_version, 2);
        let session = VaultSession::load(a, store.clone(), v2_alone.clone())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            session.dc_option(2).unwrap().unwrap().auth_key,
            Some(*secret)
        );
        stored.push(sealed);
    }

    // Again: nothing to re-seal, nothing rewritten.
    let again = rekey(store, &keys, |_, _| {}).await.unwrap();
    assert_eq!(
        (
            again.total,
            again.resealed,
            again.current,
            again.failed.len()
        ),
        (5, 0, 4, 1)
    );
    for (&a, before) in accounts[..4].iter().zip(&stored) {
        assert_eq!(store.load_session(a).await.unwrap().as_ref(), Some(before));
    }
}

#[tokio::test]
async fn rekey_reseals_every_session_and_is_idempotent_on_sqlite() {
    let store = Store::memory().await.unwrap();
    rekey_reseals_every_session_and_is_idempotent(&store).await;
    store.close().await;
}

#[tokio::test]
async fn rekey_reseals_every_session_and_is_idempotent_on_postgres() {
    let Some(db) = crate::helpers::pg_db().await else {
        return;
    };
    let store = Store::connect(&db.url).await.unwrap();
    rekey_reseals_every_session_and_is_idempotent(&store).await;
    store.close().await;
    db.drop_db().await;
}

#[tokio::test]
async fn a_session_under_neither_the_current_nor_the_previous_version_fails_closed() {
    use autoposter::config::{KeySource, Secret};
    use autoposter::serve::{checked_master_key, RunError};
    let store = Store::memory().await.unwrap();
    let (a, _) = two_accounts(&store).await;
    let (v1, v2, v3) = (
        MasterKey::generate_base64(),
        MasterKey::generate_base64(),
        MasterKey::generate_base64(),
    );
    seal_session(&store, a, Arc::new(key_of(&v1, 1))).await;
    let before = store.load_session(a).await.unwrap();

    let err = VaultSession::load(a, store.clone(), rotating(&v3, 3, &v2, 2))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SessionError::Vault(VaultError::UnknownKeyVersion {
                sealed: 1,
                current: 3,
                previous: 2
            })
        ),
        "{err}"
    );
    assert!(err.to_string().contains("version 1"), "{err}");
    assert_eq!(store.load_session(a).await.unwrap(), before);

    // The server refuses to start with those keys, naming the version; with the right
    // previous key it starts.
    let given = |text: &str, version| KeySource::Given {
        key: Secret::new(text),
        version,
    };
    let refused = checked_master_key(&store, &given(&v3, 3), Some(&given(&v2, 2)))
        .await
        .expect_err("refused");
    assert!(
        matches!(
            refused,
            RunError::MasterKey(VaultError::UnknownKeyVersion { sealed: 1, .. })
        ),
        "{refused}"
    );
    let shown = format!("{refused} {refused:?}");
    assert!(shown.contains("version 1"), "{shown}");
    for text in [&v1, &v2, &v3] {
        assert!(!shown.contains(&text[..12]), "key material in {shown}");
    }
    assert!(
        checked_master_key(&store, &given(&v3, 3), Some(&given(&v1, 1)))
            .await
            .is_ok()
    );
    // A previous key under the current key's version is refused, without printing either.
    let same = checked_master_key(&store, &given(&v3, 3), Some(&given(&v1, 3)))
        .await
        .expect_err("refused");
    let shown = format!("{same} {same:?}");
    assert!(shown.contains("version 3"), "{shown}");
    for text in [&v1, &v3] {
        assert!(!shown.contains(&text[..12]), "key material in {shown}");
    }
    store.close().await;
}

#[test]
fn key_sources_never_show_the_keys_in_debug() {
    use autoposter::config::{KeySource, Secret};
    let text = MasterKey::generate_base64();
    let source = KeySource::Given {
        key: Secret::new(text.clone()),
        version: 2,
    };
    let shown = format!("{source:?} {:?}", Some(&source));
    assert!(!shown.contains(&text[..12]), "{shown}");
    let keys = rotating(&text, 2, &MasterKey::generate_base64(), 1);
    assert_eq!(
        format!("{keys:?}"),
        "MasterKey { version: 2, previous_version: 1, .. }"
    );
}

/// `autoposter rekey` as an operator runs it: both keys from the environment, progress and a
/// summary, the same again with nothing left to do, and no key text in what it prints.
#[tokio::test]
async fn the_rekey_command_reports_progress_and_a_summary_and_is_idempotent() {
    let dir = std::env::temp_dir().join(format!("autoposter-rekey-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("r.db").display());
    let store = Store::connect(&url).await.unwrap();
    let (a, b) = two_accounts(&store).await;
    let (v1, v2) = (MasterKey::generate_base64(), MasterKey::generate_base64());
    seal_session(&store, a, Arc::new(key_of(&v1, 1))).await;
    seal_session(&store, b, Arc::new(key_of(&v1, 1))).await;
    store.close().await;

    let rekey = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_autoposter"))
            .arg("rekey")
            .env("DATABASE_URL", &url)
            .env("AUTOPOSTER_MASTER_KEY", &v2)
            .env("AUTOPOSTER_MASTER_KEY_VERSION", "2")
            .env("AUTOPOSTER_PREVIOUS_MASTER_KEY", &v1)
            .env_remove("AUTOPOSTER_PREVIOUS_MASTER_KEY_VERSION")
            .env_remove("AUTOPOSTER_PREVIOUS_KEY_FILE")
            .current_dir(&dir)
            .output()
            .expect("the binary runs");
        let (stdout, stderr) = (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        );
        for text in [&v1, &v2] {
            assert!(!stdout.contains(&text[..12]) && !stderr.contains(&text[..12]));
        }
        (out.status.code(), stdout, stderr)
    };
    let (code, stdout, stderr) = rekey();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stderr.contains("rekey: 1 of 2 sessions"), "{stderr}");
    assert!(stderr.contains("rekey: 2 of 2 sessions"), "{stderr}");
    assert!(
        stdout.contains(
            "rekey: 2 sessions, master key version 2: 2 re-sealed, 0 already under it, \
             0 removed meanwhile, 0 failed"
        ),
        "{stdout}"
    );
    let (code, stdout, stderr) = rekey();
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("2 sessions, master key version 2: 0 re-sealed, 2 already under it"),
        "{stdout}"
    );
    let store = Store::connect(&url).await.unwrap();
    for account in [a, b] {
        assert_eq!(
            store
                .load_session(account)
                .await
                .unwrap()
                .unwrap()
                .key_version,
            2
        );
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
