//! The vault: account secrets (MTProto sessions with their auth keys) sealed with
//! XChaCha20-Poly1305 before they reach the database. The account id is the associated data,
//! so a sealed session copied onto another account does not open; every record carries the
//! version of the master key that sealed it, so a wrong or rotated key fails closed with a
//! clear error instead of yielding garbage.
//!
//! The master key comes from `AUTOPOSTER_MASTER_KEY` (32 bytes, base64) or from a key file
//! (created on first run with 0600 permissions). It never appears in `Debug`, logs or errors.
//!
//! Rotation: the previous key may be configured beside the current one. Secrets sealed under
//! either version open; everything is sealed under the current one, and a secret opened under
//! the previous version is re-sealed ([`MasterKey::reseal`]) so the previous key can be retired.

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
        "this secret was sealed with master key version {sealed}, but this server has versions \
         {current} (current) and {previous} (previous): configure the key it was sealed with"
    )]
    UnknownKeyVersion {
        sealed: i64,
        current: i64,
        previous: i64,
    },
    #[error("the previous master key has the current key's version {0}: give it its own version")]
    PreviousSameVersion(i64),
    #[error(
        "this secret does not open with the configured master key (wrong key, or the record \
         was altered or belongs to another account)"
    )]
    DoesNotOpen,
    #[error("the key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
}

/// The master key and its version, with the previous key (and its version) while a rotation
/// is under way.
#[derive(Clone)]
pub struct MasterKey {
    version: i64,
    cipher: XChaCha20Poly1305,
    /// Opens what was sealed before the rotation; never seals.
    previous: Option<(i64, XChaCha20Poly1305)>,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("MasterKey");
        d.field("version", &self.version);
        if let Some((previous, _)) = &self.previous {
            d.field("previous_version", previous);
        }
        d.finish_non_exhaustive()
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
        Ok(MasterKey {
            version,
            cipher,
            previous: None,
        })
    }

    /// This key with `previous` beside it: secrets sealed under `previous`'s version open
    /// too (and are re-sealed under this one by [`MasterKey::reseal`]). Its versions must
    /// differ; a previous key's own previous key is not kept.
    pub fn with_previous(self, previous: MasterKey) -> Result<MasterKey, VaultError> {
        if previous.version == self.version {
            return Err(VaultError::PreviousSameVersion(self.version));
        }
        Ok(MasterKey {
            previous: Some((previous.version, previous.cipher)),
            ..self
        })
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
            Ok(text) => Ok((MasterKey::from_file_text(path, &text, version)?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let text = MasterKey::generate_base64();
                write_private(path, &text).map_err(|e| err(e.to_string()))?;
                Ok((MasterKey::from_base64(&text, version)?, true))
            }
            Err(e) => Err(err(e.to_string())),
        }
    }

    /// Reads an existing key file (the previous key's, which is never created).
    pub fn load(path: &Path, version: i64) -> Result<MasterKey, VaultError> {
        let text = std::fs::read_to_string(path).map_err(|e| VaultError::KeyFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        MasterKey::from_file_text(path, &text, version)
    }

    /// The key read from `path`, refused if others can read the file.
    fn from_file_text(path: &Path, text: &str, version: i64) -> Result<MasterKey, VaultError> {
        check_private(path).map_err(|reason| VaultError::KeyFile {
            path: path.display().to_string(),
            reason,
        })?;
        MasterKey::from_base64(text, version)
    }

    /// The version everything is sealed under.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The previous key's version, while a rotation is under way.
    pub fn previous_version(&self) -> Option<i64> {
        self.previous.as_ref().map(|(version, _)| *version)
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

    /// Opens a secret sealed for `account_id` under the current or the previous version;
    /// fails closed on any mismatch, naming the version when it is neither.
    pub fn open(&self, account_id: i64, sealed: &Sealed) -> Result<Vec<u8>, VaultError> {
        let cipher = match &self.previous {
            _ if sealed.key_version == self.version => &self.cipher,
            Some((previous, cipher)) if sealed.key_version == *previous => cipher,
            Some((previous, _)) => {
                return Err(VaultError::UnknownKeyVersion {
                    sealed: sealed.key_version,
                    current: self.version,
                    previous: *previous,
                })
            }
            None => {
                return Err(VaultError::WrongKeyVersion {
                    sealed: sealed.key_version,
                    current: self.version,
                })
            }
        };
        open_with(cipher, account_id, sealed)
    }

    /// The secret re-sealed under the current version, or `None` when it is sealed under it
    /// already. Either way it must open: a record that does not fails closed.
    pub fn reseal(&self, account_id: i64, sealed: &Sealed) -> Result<Option<Sealed>, VaultError> {
        let plain = self.open(account_id, sealed)?;
        if sealed.key_version == self.version {
            return Ok(None);
        }
        Ok(Some(self.seal(account_id, &plain)))
    }
}

/// Opens `sealed` with one cipher (the version already matched).
fn open_with(
    cipher: &XChaCha20Poly1305,
    account_id: i64,
    sealed: &Sealed,
) -> Result<Vec<u8>, VaultError> {
    if sealed.nonce.len() != NONCE_LEN {
        return Err(VaultError::DoesNotOpen);
    }
    let aad = aad(account_id);
    cipher
        .decrypt(
            XNonce::from_slice(&sealed.nonce),
            Payload {
                msg: &sealed.ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| VaultError::DoesNotOpen)
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
    fn a_secret_sealed_under_the_previous_version_opens_and_is_resealed_under_the_current_one() {
        let v1 = key(1);
        let sealed = v1.seal(9, b"session");
        let v2 = key(2);
        let both = v2.clone().with_previous(v1).unwrap();
        assert_eq!(both.version(), 2);
        assert_eq!(both.previous_version(), Some(1));
        assert_eq!(both.open(9, &sealed).unwrap(), b"session");
        let resealed = both.reseal(9, &sealed).unwrap().expect("re-sealed");
        assert_eq!(resealed.key_version, 2);
        // The current key alone opens it now; re-sealing again changes nothing.
        assert_eq!(v2.open(9, &resealed).unwrap(), b"session");
        assert_eq!(both.reseal(9, &resealed), Ok(None));
        // New seals are always under the current version.
        assert_eq!(both.seal(9, b"x").key_version, 2);
        // Re-sealing keeps the account binding.
        assert_eq!(v2.open(8, &resealed), Err(VaultError::DoesNotOpen));
    }

    #[test]
    fn a_version_neither_current_nor_previous_fails_closed_and_names_it() {
        let sealed = key(1).seal(1, b"secret");
        let keys = key(3).with_previous(key(2)).unwrap();
        let err = keys.open(1, &sealed).unwrap_err();
        assert_eq!(
            err,
            VaultError::UnknownKeyVersion {
                sealed: 1,
                current: 3,
                previous: 2
            }
        );
        assert!(err.to_string().contains("version 1"), "{err}");
        assert_eq!(keys.reseal(1, &sealed), Err(err));
        // A previous key with the right version but other bytes does not open either.
        let sealed = key(2).seal(1, b"secret");
        assert_eq!(keys.open(1, &sealed), Err(VaultError::DoesNotOpen));
    }

    #[test]
    fn a_previous_key_needs_its_own_version_and_neither_key_is_printed() {
        let (now, before) = (MasterKey::generate_base64(), MasterKey::generate_base64());
        let current = MasterKey::from_base64(&now, 2).unwrap();
        let same = MasterKey::from_base64(&before, 2).unwrap();
        let err = current.clone().with_previous(same).unwrap_err();
        assert_eq!(err, VaultError::PreviousSameVersion(2));
        let previous = MasterKey::from_base64(&before, 1).unwrap();
        let keys = current.with_previous(previous).unwrap();
        let shown = format!("{keys:?}");
        assert_eq!(shown, "MasterKey { version: 2, previous_version: 1, .. }");
        for text in [&now, &before] {
            assert!(!shown.contains(&text[..8]));
            assert!(!err.to_string().contains(&text[..8]));
        }
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
