//! The vault: account secrets (MTProto sessions with their auth keys) sealed with
//! XChaCha20-Poly1305 before they reach the database. The account id is the associated data,
//! so a sealed session copied onto another account does not open; every record carries the
//! version of the master key that sealed it, so a wrong or rotated key fails closed with a
//! clear error instead of yielding garbage.
//!
//! The master key comes from `AUTOPOSTER_MASTER_KEY` (32 bytes, base64) or from a key file
//! (created on first run with 0600 permissions). It never appears in `Debug`, logs or errors.

use std::fmt;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

/// The size of a master key.
pub const KEY_LEN: usize = 32;
/// The size of an XChaCha20 nonce.
pub const NONCE_LEN: usize = 24;

/// Why a secret could not be sealed, opened or loaded. Never carries key material.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("the master key must be {KEY_LEN} bytes in base64")]
    BadKey,
    #[error("the master key version must be a positive number")]
    BadVersion,
    #[error(
        "this secret was sealed with master key version {sealed}, but this server has version \
         {current}: configure the key it was sealed with"
    )]
    WrongKeyVersion { sealed: i64, current: i64 },
    #[error(
        "this secret does not open with the configured master key (wrong key, or the record \
         was altered or belongs to another account)"
    )]
    DoesNotOpen,
    #[error("the key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
}

/// The master key and its version.
#[derive(Clone)]
pub struct MasterKey {
    version: i64,
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// A sealed secret as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub key_version: i64,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// What the key protects, bound into every seal with the account id.
fn aad(account_id: i64) -> Vec<u8> {
    let mut aad = b"autoposter/account-session/v1/".to_vec();
    aad.extend_from_slice(&account_id.to_be_bytes());
    aad
}

impl MasterKey {
    /// A key from its base64 text (whitespace around it ignored).
    pub fn from_base64(text: &str, version: i64) -> Result<MasterKey, VaultError> {
        if version <= 0 {
            return Err(VaultError::BadVersion);
        }
        let bytes = B64.decode(text.trim()).map_err(|_| VaultError::BadKey)?;
        if bytes.len() != KEY_LEN {
            return Err(VaultError::BadKey);
        }
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| VaultError::BadKey)?;
        Ok(MasterKey { version, cipher })
    }

    /// A fresh random key, as base64 text.
    pub fn generate_base64() -> String {
        B64.encode(XChaCha20Poly1305::generate_key(&mut OsRng))
    }

    /// Reads the key file, or creates it (0600) with a fresh key when it does not exist.
    /// Returns the key and whether it was created, so the caller can warn that it must be
    /// backed up: without it no stored session opens.
    pub fn load_or_create(path: &Path, version: i64) -> Result<(MasterKey, bool), VaultError> {
        let err = |reason: String| VaultError::KeyFile {
            path: path.display().to_string(),
            reason,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                check_private(path).map_err(err)?;
                Ok((MasterKey::from_base64(&text, version)?, false))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let text = MasterKey::generate_base64();
                write_private(path, &text).map_err(|e| err(e.to_string()))?;
                Ok((MasterKey::from_base64(&text, version)?, true))
            }
            Err(e) => Err(err(e.to_string())),
        }
    }

    pub fn version(&self) -> i64 {
        self.version
    }

    /// Seals `secret` for `account_id` under a fresh random nonce.
    pub fn seal(&self, account_id: i64, secret: &[u8]) -> Sealed {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = aad(account_id);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: secret,
                    aad: &aad,
                },
            )
            .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        Sealed {
            key_version: self.version,
            nonce: nonce.to_vec(),
            ciphertext,
        }
    }

    /// Opens a secret sealed for `account_id`; fails closed on any mismatch.
    pub fn open(&self, account_id: i64, sealed: &Sealed) -> Result<Vec<u8>, VaultError> {
        if sealed.key_version != self.version {
            return Err(VaultError::WrongKeyVersion {
                sealed: sealed.key_version,
                current: self.version,
            });
        }
        if sealed.nonce.len() != NONCE_LEN {
            return Err(VaultError::DoesNotOpen);
        }
        let aad = aad(account_id);
        self.cipher
            .decrypt(
                XNonce::from_slice(&sealed.nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::DoesNotOpen)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// A key file readable by others is refused: the key is the only thing protecting every
/// stored session.
#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| e.to_string())?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "readable by others (mode {:o}); run chmod 600 on it",
            mode & 0o777
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(version: i64) -> MasterKey {
        MasterKey::from_base64(&MasterKey::generate_base64(), version).unwrap()
    }

    #[test]
    fn a_session_round_trips_through_encryption() {
        let k = key(1);
        let secret = b"auth key bytes \x00\x01\x02".to_vec();
        let sealed = k.seal(42, &secret);
        assert_eq!(sealed.nonce.len(), NONCE_LEN);
        assert!(!sealed
            .ciphertext
            .windows(secret.len())
            .any(|w| w == secret.as_slice()));
        assert_eq!(k.open(42, &sealed).unwrap(), secret);
        // Two seals of the same secret differ (fresh nonces).
        assert_ne!(k.seal(42, &secret).ciphertext, sealed.ciphertext);
    }

    #[test]
    fn a_tampered_ciphertext_or_nonce_does_not_open() {
        let k = key(1);
        let mut sealed = k.seal(1, b"secret");
        sealed.ciphertext[0] ^= 1;
        assert_eq!(k.open(1, &sealed), Err(VaultError::DoesNotOpen));
        let mut sealed = k.seal(1, b"secret");
        sealed.nonce[5] ^= 1;
        assert_eq!(k.open(1, &sealed), Err(VaultError::DoesNotOpen));
        sealed.nonce.pop();
        assert_eq!(k.open(1, &sealed), Err(VaultError::DoesNotOpen));
    }

    #[test]
    fn a_session_moved_to_another_account_does_not_open() {
        let k = key(1);
        let sealed = k.seal(1, b"secret");
        assert_eq!(k.open(2, &sealed), Err(VaultError::DoesNotOpen));
    }

    #[test]
    fn a_wrong_key_fails_closed_and_says_why() {
        let sealed = key(1).seal(1, b"secret");
        assert_eq!(key(1).open(1, &sealed), Err(VaultError::DoesNotOpen));
        assert_eq!(
            key(2).open(1, &sealed),
            Err(VaultError::WrongKeyVersion {
                sealed: 1,
                current: 2
            })
        );
    }

    #[test]
    fn bad_keys_are_refused_and_never_printed() {
        assert_eq!(
            MasterKey::from_base64("c2hvcnQ=", 1).err(),
            Some(VaultError::BadKey)
        );
        assert_eq!(
            MasterKey::from_base64("not base64!", 1).err(),
            Some(VaultError::BadKey)
        );
        let text = MasterKey::generate_base64();
        assert_eq!(
            MasterKey::from_base64(&text, 0).err(),
            Some(VaultError::BadVersion)
        );
        let k = MasterKey::from_base64(&text, 3).unwrap();
        assert!(!format!("{k:?}").contains(&text[..8]));
        assert_eq!(format!("{k:?}"), "MasterKey { version: 3, .. }");
    }

    #[test]
    fn the_key_file_is_created_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("autoposter-vault-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("master.key");
        let (k1, created) = MasterKey::load_or_create(&path, 1).unwrap();
        assert!(created);
        let (k2, created) = MasterKey::load_or_create(&path, 1).unwrap();
        assert!(!created);
        assert_eq!(k2.open(7, &k1.seal(7, b"x")).unwrap(), b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let refused = MasterKey::load_or_create(&path, 1).unwrap_err();
            assert!(refused.to_string().contains("chmod 600"), "{refused}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
