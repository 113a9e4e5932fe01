//! The server's side of what grammers 0.11 speaks: the "full" transport (grammers'
//! `SenderPool` uses `transport::Full`), MTProto 2.0 encryption with a pre-shared auth key
//! (x = 0 for what the client sends, x = 8 for what the server sends), and the service
//! messages around a request (containers, acks, gzip_packed, pings, rpc_result).

use std::io::Read;

use grammers_tl_types::{self as tl, Serializable};
use sha1::Digest as _;

/// msg_container#73f1f8dc messages:vector<message> = MessageContainer;
const MSG_CONTAINER: u32 = 0x73f1_f8dc;
/// gzip_packed#3072cfa1 packed_data:string = Object;
const GZIP_PACKED: u32 = 0x3072_cfa1;
/// rpc_result#f35c6d01 req_msg_id:long result:Object = RpcResult;
const RPC_RESULT: u32 = 0xf35c_6d01;

/// One frame of the full transport: `len | seq | payload | crc32`.
pub struct Framing {
    recv_seq: i32,
    send_seq: i32,
}

impl Framing {
    pub fn new() -> Framing {
        Framing {
            recv_seq: 0,
            send_seq: 0,
        }
    }

    /// A whole frame's payload from the front of `buf`, consumed; `None` if incomplete.
    pub fn unpack(&mut self, buf: &mut Vec<u8>) -> Result<Option<Vec<u8>>, String> {
        if buf.len() < 4 {
            return Ok(None);
        }
        let len = i32::from_le_bytes(buf[0..4].try_into().unwrap());
        if len < 12 {
            return Err(format!("bad frame length {len}"));
        }
        let len = len as usize;
        if buf.len() < len {
            return Ok(None);
        }
        let seq = i32::from_le_bytes(buf[4..8].try_into().unwrap());
        if seq != self.recv_seq {
            return Err(format!("frame seq {seq}, expected {}", self.recv_seq));
        }
        let crc = u32::from_le_bytes(buf[len - 4..len].try_into().unwrap());
        if crc != crc32fast::hash(&buf[..len - 4]) {
            return Err("bad frame checksum".into());
        }
        self.recv_seq += 1;
        let payload = buf[8..len - 4].to_vec();
        buf.drain(..len);
        Ok(Some(payload))
    }

    pub fn pack(&mut self, payload: &[u8]) -> Vec<u8> {
        let len = (payload.len() + 12) as i32;
        let mut out = Vec::with_capacity(len as usize);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&self.send_seq.to_le_bytes());
        out.extend_from_slice(payload);
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        self.send_seq += 1;
        out
    }
}

/// The auth key both sides hold (imported from a session string: no key exchange).
pub struct Key {
    data: [u8; 256],
    id: [u8; 8],
}

impl Key {
    pub fn new(data: [u8; 256]) -> Key {
        let sha = sha1::Sha1::digest(data);
        let mut id = [0u8; 8];
        id.copy_from_slice(&sha[12..20]);
        Key { data, id }
    }

    /// aes_key and aes_iv for a message key; `x` = 0 from the client, 8 from the server.
    fn aes(&self, msg_key: &[u8; 16], x: usize) -> ([u8; 32], [u8; 32]) {
        let a = sha2::Sha256::new()
            .chain_update(msg_key)
            .chain_update(&self.data[x..x + 36])
            .finalize();
        let b = sha2::Sha256::new()
            .chain_update(&self.data[40 + x..40 + x + 36])
            .chain_update(msg_key)
            .finalize();
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&a[..8]);
        key[8..24].copy_from_slice(&b[8..24]);
        key[24..].copy_from_slice(&a[24..32]);
        let mut iv = [0u8; 32];
        iv[..8].copy_from_slice(&b[..8]);
        iv[8..24].copy_from_slice(&a[8..24]);
        iv[24..].copy_from_slice(&b[24..32]);
        (key, iv)
    }

    fn msg_key(&self, plaintext: &[u8], x: usize) -> [u8; 16] {
        let large = sha2::Sha256::new()
            .chain_update(&self.data[88 + x..88 + x + 32])
            .chain_update(plaintext)
            .finalize();
        large[8..24].try_into().unwrap()
    }

    /// The plaintext of a client's encrypted message, checked.
    pub fn decrypt(&self, payload: &[u8]) -> Result<Vec<u8>, String> {
        if payload.len() < 24 || !(payload.len() - 24).is_multiple_of(16) {
            return Err(format!("encrypted payload of {} bytes", payload.len()));
        }
        if payload[..8] != self.id {
            return Err("unknown auth key id".into());
        }
        let msg_key: [u8; 16] = payload[8..24].try_into().unwrap();
        let (key, iv) = self.aes(&msg_key, 0);
        let mut plain = payload[24..].to_vec();
        grammers_crypto::aes::ige_decrypt(&mut plain, &key, &iv);
        if self.msg_key(&plain, 0) != msg_key {
            return Err("msg_key mismatch".into());
        }
        Ok(plain)
    }

    /// A server message, encrypted (12 to 27 bytes of padding, to a multiple of 16).
    pub fn encrypt(&self, mut plain: Vec<u8>) -> Vec<u8> {
        let pad = 12 + (16 - (plain.len() + 12) % 16) % 16;
        plain.extend((0..pad).map(|_| fastrand::u8(..)));
        let msg_key = self.msg_key(&plain, 8);
        let (key, iv) = self.aes(&msg_key, 8);
        grammers_crypto::aes::ige_encrypt(&mut plain, &key, &iv);
        let mut out = Vec::with_capacity(24 + plain.len());
        out.extend_from_slice(&self.id);
        out.extend_from_slice(&msg_key);
        out.extend_from_slice(&plain);
        out
    }
}

/// One message from the client, containers and gzip_packed already opened.
pub struct Message {
    pub msg_id: i64,
    pub body: Vec<u8>,
    /// It came as gzip_packed.
    pub packed: bool,
}

/// The client's session id and its messages, from a decrypted plaintext.
pub fn messages(plain: &[u8]) -> Result<(i64, Vec<Message>), String> {
    let mut r = Reader(plain);
    let _salt = r.i64()?;
    let session_id = r.i64()?;
    let mut out = Vec::new();
    let msg_id = r.i64()?;
    let _seq = r.i32()?;
    let len = r.i32()? as usize;
    open(msg_id, r.take(len)?, false, &mut out)?;
    Ok((session_id, out))
}

fn open(msg_id: i64, body: &[u8], packed: bool, out: &mut Vec<Message>) -> Result<(), String> {
    let mut r = Reader(body);
    match r.u32()? {
        MSG_CONTAINER => {
            let n = r.i32()?;
            for _ in 0..n {
                let id = r.i64()?;
                let _seq = r.i32()?;
                let len = r.i32()? as usize;
                open(id, r.take(len)?, packed, out)?;
            }
        }
        GZIP_PACKED => {
            let packed = r.bytes()?;
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&packed[..])
                .read_to_end(&mut plain)
                .map_err(|e| format!("gzip_packed: {e}"))?;
            open(msg_id, &plain, true, out)?;
        }
        _ => out.push(Message {
            msg_id,
            body: body.to_vec(),
            packed,
        }),
    }
    Ok(())
}

/// The plaintext of one server message (before [`Key::encrypt`]).
pub fn server_message(session_id: i64, msg_id: i64, seq_no: i32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + body.len());
    out.extend_from_slice(&0i64.to_le_bytes()); // salt: grammers starts at 0 and keeps it
    out.extend_from_slice(&session_id.to_le_bytes());
    out.extend_from_slice(&msg_id.to_le_bytes());
    out.extend_from_slice(&seq_no.to_le_bytes());
    out.extend_from_slice(&(body.len() as i32).to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// rpc_result for the request `req_msg_id`, around an answer already serialized.
pub fn rpc_result(req_msg_id: i64, answer: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + answer.len());
    RPC_RESULT.serialize(&mut out);
    req_msg_id.serialize(&mut out);
    out.extend_from_slice(answer);
    out
}

/// rpc_error, as Telegram writes it (`FLOOD_WAIT_31`: the number in the name).
pub fn rpc_error(code: i32, message: &str) -> Vec<u8> {
    use tl::Serializable as _;
    tl::enums::RpcError::Error(tl::types::RpcError {
        error_code: code,
        error_message: message.to_string(),
    })
    .to_bytes()
}

/// Little-endian TL reading over a slice.
pub struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err(format!("wanted {n} bytes, {} left", self.0.len()));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    pub fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    pub fn i32(&mut self) -> Result<i32, String> {
        Ok(i32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    pub fn i64(&mut self) -> Result<i64, String> {
        Ok(i64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }
    /// A TL `bytes`/`string`.
    pub fn bytes(&mut self) -> Result<Vec<u8>, String> {
        let first = self.take(1)?[0];
        let (len, header) = if first == 254 {
            let b = self.take(3)?;
            (
                usize::from(b[0]) | usize::from(b[1]) << 8 | usize::from(b[2]) << 16,
                4,
            )
        } else {
            (usize::from(first), 1)
        };
        let data = self.take(len)?.to_vec();
        let padding = (4 - (header + len) % 4) % 4;
        self.take(padding)?;
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_round_trips_and_a_broken_one_is_refused() {
        let mut out = Framing::new();
        let mut inn = Framing::new();
        let mut buf = out.pack(&[1, 2, 3, 4]);
        buf.extend(out.pack(&[5, 6, 7, 8]));
        assert_eq!(inn.unpack(&mut buf).unwrap(), Some(vec![1, 2, 3, 4]));
        let mut half = buf[..10].to_vec();
        assert_eq!(inn.unpack(&mut half).unwrap(), None);
        buf[9] ^= 1;
        assert!(inn.unpack(&mut buf).is_err());
    }

    /// Both directions against grammers' own primitives: the client's encryption (x = 0)
    /// opens here, and what this server encrypts (x = 8) opens in grammers.
    #[test]
    fn our_encryption_matches_grammers_in_both_directions() {
        let data: [u8; 256] = std::array::from_fn(|i| (i * 31 + 7) as u8);
        let key = Key::new(data);
        let theirs = grammers_crypto::AuthKey::from_bytes(data);
        let plain: Vec<u8> = (0..48u8).collect();

        let mut buffer = grammers_crypto::DequeBuffer::with_capacity(64, 32);
        buffer.extend(plain.iter().copied());
        grammers_crypto::encrypt_data_v2(&mut buffer, &theirs);
        let opened = key.decrypt(&buffer[..]).unwrap();
        assert_eq!(&opened[..48], &plain[..]);

        let mut sealed = key.encrypt(plain.clone());
        let opened = grammers_crypto::decrypt_data_v2(&mut sealed, &theirs).unwrap();
        assert_eq!(&opened[..48], &plain[..]);
        // A client message does not open as a server one: the directions differ.
        let mut wrong = key.encrypt(plain);
        assert!(key.decrypt(&wrong).is_err());
        wrong[30] ^= 1;
        assert!(grammers_crypto::decrypt_data_v2(&mut wrong, &theirs).is_err());
    }
}
