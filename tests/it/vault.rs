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
    use autoposter::bot::dispatch::{checked_master_key, RunError};
    use autoposter::config::{KeySource, Secret};
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
    assert!(checked_master_key(&store, &given(&right)).await.is_ok());
    let wrong = checked_master_key(&store, &given(&MasterKey::generate_base64()))
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
    assert!(checked_master_key(&store, &fresh).await.is_err());
    let _ = std::fs::remove_file(path);
}
