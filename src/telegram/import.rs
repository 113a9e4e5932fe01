//! Session strings from Telethon and Pyrogram, decoded into what an MTProto session needs
//! (data centre, address, auth key). Pure parsing; the login seam checks the result with a
//! real request before anything is stored. A session string is a secret: it never appears
//! in errors, logs or `Debug`.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;

/// Which library wrote the string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Telethon,
    Pyrogram,
}

/// A decoded session string.
#[derive(Clone, PartialEq, Eq)]
pub struct Imported {
    pub format: Format,
    pub dc_id: i32,
    /// Telethon stores the address; Pyrogram only the data centre.
    pub addr: Option<SocketAddr>,
    pub auth_key: [u8; 256],
    /// Pyrogram stores the account's user id.
    pub user_id: Option<i64>,
}

impl fmt::Debug for Imported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Imported")
            .field("format", &self.format)
            .field("dc_id", &self.dc_id)
            .field("addr", &self.addr)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// A Pyrogram string whose user is not the one Telegram reports for the string's key: the
/// string is damaged or was edited (user ids are not secrets; both are shown).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the session string belongs to user {string_user} but Telegram says the session is user {telegram_user}")]
pub struct OtherUser {
    pub string_user: i64,
    pub telegram_user: i64,
}

impl Imported {
    /// Checks the user Telegram reports for this session against the one the string names
    /// (Pyrogram strings name it; Telethon strings do not, and pass).
    pub fn check_user(&self, telegram_user: Option<i64>) -> Result<(), OtherUser> {
        match (self.user_id, telegram_user) {
            (Some(string_user), Some(telegram_user)) if string_user != telegram_user => {
                Err(OtherUser {
                    string_user,
                    telegram_user,
                })
            }
            _ => Ok(()),
        }
    }
}

/// Why a session string was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("not a Telethon or Pyrogram session string")]
    Unrecognised,
    #[error("the session belongs to a bot, not a user account")]
    Bot,
    #[error("the session is for Telegram's test servers")]
    TestServers,
    #[error("the session names an unknown data centre")]
    BadDataCentre,
}

/// Decodes a Telethon (`1…`) or Pyrogram session string.
pub fn parse(input: &str) -> Result<Imported, ImportError> {
    let s = input.trim();
    if s.len() > 1024 {
        return Err(ImportError::Unrecognised);
    }
    if let Some(body) = s.strip_prefix('1') {
        if let Some(imported) = telethon(body)? {
            return Ok(imported);
        }
    }
    pyrogram(s)
}

fn decode(body: &str) -> Option<Vec<u8>> {
    URL_SAFE
        .decode(body)
        .or_else(|_| URL_SAFE_NO_PAD.decode(body.trim_end_matches('=')))
        .ok()
}

fn key(bytes: &[u8]) -> [u8; 256] {
    let mut key = [0u8; 256];
    key.copy_from_slice(bytes);
    key
}

fn dc(id: u8) -> Result<i32, ImportError> {
    match id {
        1..=5 => Ok(i32::from(id)),
        _ => Err(ImportError::BadDataCentre),
    }
}

/// `>B{4|16}sH256s`: data centre, IPv4 or IPv6 address, port, auth key.
fn telethon(body: &str) -> Result<Option<Imported>, ImportError> {
    let Some(b) = decode(body) else {
        return Ok(None);
    };
    type ToAddr = fn(&[u8], u16) -> SocketAddr;
    let (ip_len, addr): (usize, ToAddr) = match b.len() {
        263 => (4, |ip, port| {
            let ip = Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]);
            SocketAddr::V4(SocketAddrV4::new(ip, port))
        }),
        275 => (16, |ip, port| {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(ip);
            SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::from(octets), port, 0, 0))
        }),
        _ => return Ok(None),
    };
    let port = u16::from_be_bytes([b[1 + ip_len], b[2 + ip_len]]);
    Ok(Some(Imported {
        format: Format::Telethon,
        dc_id: dc(b[0])?,
        addr: Some(addr(&b[1..1 + ip_len], port)),
        auth_key: key(&b[3 + ip_len..]),
        user_id: None,
    }))
}

/// Pyrogram's layouts, newest first: `>BI?256sQ?` (data centre, api id, test mode, auth key,
/// user id, is bot), then the older `>B?256sQ?` and `>B?256sI?`.
fn pyrogram(s: &str) -> Result<Imported, ImportError> {
    let b = decode(s).ok_or(ImportError::Unrecognised)?;
    let (test_mode, key_at, user_id, is_bot) = match b.len() {
        271 => (
            b[5],
            6,
            i64::from_be_bytes(b[262..270].try_into().expect("8 bytes")),
            b[270],
        ),
        267 => (
            b[1],
            2,
            i64::from_be_bytes(b[258..266].try_into().expect("8 bytes")),
            b[266],
        ),
        263 => (
            b[1],
            2,
            i64::from(u32::from_be_bytes(b[258..262].try_into().expect("4 bytes"))),
            b[262],
        ),
        _ => return Err(ImportError::Unrecognised),
    };
    if test_mode > 1 || is_bot > 1 {
        return Err(ImportError::Unrecognised);
    }
    if test_mode == 1 {
        return Err(ImportError::TestServers);
    }
    if is_bot == 1 {
        return Err(ImportError::Bot);
    }
    Ok(Imported {
        format: Format::Pyrogram,
        dc_id: dc(b[0])?,
        addr: None,
        auth_key: key(&b[key_at..key_at + 256]),
        user_id: Some(user_id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth_key() -> [u8; 256] {
        let mut k = [0u8; 256];
        for (i, b) in k.iter_mut().enumerate() {
            *b = (i * 7 + 3) as u8;
        }
        k
    }

    fn telethon_v4(dc: u8) -> String {
        let mut b = vec![dc, 149, 154, 167, 51];
        b.extend_from_slice(&443u16.to_be_bytes());
        b.extend_from_slice(&auth_key());
        format!("1{}", URL_SAFE.encode(b))
    }

    fn pyrogram_v2(dc: u8, test: u8, user: i64, bot: u8) -> String {
        let mut b = vec![dc];
        b.extend_from_slice(&12345u32.to_be_bytes());
        b.push(test);
        b.extend_from_slice(&auth_key());
        b.extend_from_slice(&user.to_be_bytes());
        b.push(bot);
        URL_SAFE_NO_PAD.encode(b)
    }

    #[test]
    fn telethon_strings_give_the_address_and_key() {
        let imported = parse(&format!("  {}\n", telethon_v4(2))).unwrap();
        assert_eq!(imported.format, Format::Telethon);
        assert_eq!(imported.dc_id, 2);
        assert_eq!(imported.addr, Some("149.154.167.51:443".parse().unwrap()));
        assert_eq!(imported.auth_key, auth_key());
        let mut b = vec![4u8];
        b.extend_from_slice(&"2001:67c:4e8:f004::a".parse::<Ipv6Addr>().unwrap().octets());
        b.extend_from_slice(&443u16.to_be_bytes());
        b.extend_from_slice(&auth_key());
        let v6 = parse(&format!("1{}", URL_SAFE.encode(b))).unwrap();
        assert_eq!(v6.dc_id, 4);
        assert!(matches!(v6.addr, Some(SocketAddr::V6(_))));
    }

    #[test]
    fn pyrogram_strings_old_and_new_give_the_data_centre_key_and_user() {
        let new = parse(&pyrogram_v2(4, 0, 777000, 0)).unwrap();
        assert_eq!(
            (new.format, new.dc_id, new.user_id),
            (Format::Pyrogram, 4, Some(777000))
        );
        assert_eq!(new.auth_key, auth_key());
        let mut old = vec![1u8, 0];
        old.extend_from_slice(&auth_key());
        old.extend_from_slice(&42u32.to_be_bytes());
        old.push(0);
        let old = parse(&URL_SAFE_NO_PAD.encode(old)).unwrap();
        assert_eq!((old.dc_id, old.user_id), (1, Some(42)));
    }

    #[test]
    fn bots_test_servers_and_garbage_are_refused() {
        assert_eq!(parse(&pyrogram_v2(2, 0, 1, 1)), Err(ImportError::Bot));
        assert_eq!(
            parse(&pyrogram_v2(2, 1, 1, 0)),
            Err(ImportError::TestServers)
        );
        assert_eq!(
            parse(&pyrogram_v2(9, 0, 1, 0)),
            Err(ImportError::BadDataCentre)
        );
        for junk in ["", "1", "hello world", "1AAAA", &"A".repeat(2000)] {
            assert_eq!(parse(junk), Err(ImportError::Unrecognised), "{junk:.20}");
        }
    }

    #[test]
    fn a_pyrogram_string_must_name_the_user_telegram_reports() {
        let pyrogram = parse(&pyrogram_v2(4, 0, 777000, 0)).unwrap();
        assert_eq!(pyrogram.check_user(Some(777000)), Ok(()));
        assert_eq!(
            pyrogram.check_user(Some(424242)),
            Err(OtherUser {
                string_user: 777000,
                telegram_user: 424242
            })
        );
        // Telethon strings name no user; an answer without an id has nothing to compare.
        assert_eq!(parse(&telethon_v4(2)).unwrap().check_user(Some(1)), Ok(()));
        assert_eq!(pyrogram.check_user(None), Ok(()));
    }

    #[test]
    fn the_key_never_shows_in_debug() {
        let imported = parse(&telethon_v4(2)).unwrap();
        let debug = format!("{imported:?}");
        assert!(!debug.contains("auth_key"), "{debug}");
        assert!(
            !debug.contains(&format!("{:?}", &auth_key()[..4])),
            "{debug}"
        );
    }
}
