//! The loopback data centre's media, as Telegram handles it: file parts kept per file id
//! (`upload.saveFilePart`, `upload.saveBigFilePart`), a file assembled by
//! `messages.uploadMedia` into a photo or a document with an id, an access hash and a file
//! reference (a missing part is refused as FILE_PART_N_MISSING), and posts of those files
//! (`messages.sendMedia`, `messages.sendMultiMedia`): once per random id, a stale reference
//! refused as FILE_REFERENCE_EXPIRED (FILE_REFERENCE_N_EXPIRED for item N of an album), an
//! unknown file as MEDIA_EMPTY, a group that forbids the kind with its CHAT_SEND_…_FORBIDDEN.
//! Every post is recorded as it arrived ([`MediaPost`]).

use std::collections::{BTreeMap, HashMap};

use autoposter::schedule::content::Sha256;
use grammers_tl_types::{self as tl, Serializable};

use super::{decode, LoopbackDc, Reply, State};

/// Telegram's largest part, and the size of a file that must go up as a big file.
const PART_MAX: usize = 512 * 1024;
const BIG_FILE_SIZE: usize = 10 * 1024 * 1024;
const CAPTION_MAX: usize = 1024;

/// The data centre's media state (in [`State::media`]).
#[derive(Default)]
pub struct Media {
    /// Parts received, per file id, not yet made into a file.
    parts: HashMap<i64, Parts>,
    /// Files made by `messages.uploadMedia`, in order.
    pub files: Vec<File>,
    /// Every media post, in order.
    pub posts: Vec<MediaPost>,
    /// Groups (channel ids) that forbid media, with the error Telegram answers there.
    forbidden: HashMap<i64, &'static str>,
    /// Which uploads (counted from 1) are stale at their first use.
    expiring: Vec<usize>,
    /// Which uploads (counted from 1) Telegram no longer knows at their first use.
    forgetting: Vec<usize>,
    next_id: i64,
}

#[derive(Default)]
struct Parts {
    /// `saveBigFilePart`'s file_total_parts (`None`: sent with `saveFilePart`).
    big_total: Option<i32>,
    parts: BTreeMap<i32, Vec<u8>>,
}

/// A file `messages.uploadMedia` made.
#[derive(Clone, Debug)]
pub struct File {
    pub id: i64,
    pub access_hash: i64,
    /// The current file reference (a post naming another is refused as stale).
    reference: Vec<u8>,
    /// Goes stale when first posted (see [`LoopbackDc::expire_uploads`]).
    expires_on_use: bool,
    /// Forgotten when first posted (see [`LoopbackDc::forget_uploads`]); once forgotten, a
    /// post naming it is refused as MEDIA_EMPTY.
    forgotten_on_use: bool,
    pub forgotten: bool,
    pub photo: bool,
    /// The SHA-256 and size of the assembled bytes.
    pub sha256: Sha256,
    pub size: usize,
    /// How it was uploaded: parts, and whether as a big file.
    pub parts: i32,
    pub big: bool,
    /// The InputFile's name, the document's MIME type and attributes.
    pub name: String,
    pub mime: Option<String>,
    pub attributes: Vec<tl::enums::DocumentAttribute>,
    pub force_file: bool,
    /// uploadMedia's peer.
    pub peer: tl::enums::InputPeer,
}

impl File {
    /// The DocumentAttributeFilename's name, if any.
    pub fn file_name(&self) -> Option<&str> {
        self.attributes.iter().find_map(|a| match a {
            tl::enums::DocumentAttribute::Filename(f) => Some(f.file_name.as_str()),
            _ => None,
        })
    }
}

/// One item of a media post as it arrived.
#[derive(Clone, Debug)]
pub struct PostedItem {
    pub random_id: i64,
    pub file: File,
    pub caption: String,
    pub entities: Option<Vec<tl::enums::MessageEntity>>,
}

/// A `messages.sendMedia` (one item) or `messages.sendMultiMedia` (an album) that posted.
#[derive(Clone, Debug)]
pub struct MediaPost {
    pub album: bool,
    pub peer: tl::enums::InputPeer,
    pub items: Vec<PostedItem>,
    pub silent: bool,
    /// reply_to's top_msg_id (the forum topic).
    pub top_msg_id: Option<i32>,
}

impl LoopbackDc {
    /// Sends of media into this group (by channel id) are refused with `error`
    /// (`CHAT_SEND_MEDIA_FORBIDDEN`, `CHAT_SEND_PHOTOS_FORBIDDEN`, …), as Telegram refuses a
    /// member the group's rights deny.
    pub fn forbid_media(&self, channel_id: i64, error: &'static str) {
        self.state
            .lock()
            .unwrap()
            .media
            .forbidden
            .insert(channel_id, error);
    }

    /// The files of these uploads (counted from 1, in the order they arrive) get a reference
    /// that is stale at their first post: that post is refused with FILE_REFERENCE_EXPIRED
    /// (FILE_REFERENCE_N_EXPIRED in an album), as when Telegram renews references.
    pub fn expire_uploads(&self, uploads: &[usize]) {
        let mut state = self.state.lock().unwrap();
        state.media.expiring.extend_from_slice(uploads);
    }

    /// The files of these uploads (counted from 1) are forgotten by the time they are first
    /// posted: that post, and any later one naming them, is refused with MEDIA_EMPTY.
    pub fn forget_uploads(&self, uploads: &[usize]) {
        let mut state = self.state.lock().unwrap();
        state.media.forgetting.extend_from_slice(uploads);
    }
}

fn now() -> i32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i32
}

/// Keeps a part; a part over 512 KiB is refused as Telegram does.
fn keep_part(
    state: &mut State,
    file_id: i64,
    part: i32,
    big_total: Option<i32>,
    bytes: Vec<u8>,
) -> Reply {
    if bytes.len() > PART_MAX {
        return Reply::Error(400, "FILE_PART_TOO_BIG".into());
    }
    if part < 0 || big_total.is_some_and(|total| part >= total) {
        return Reply::Error(400, "FILE_PART_INVALID".into());
    }
    let parts = state.media.parts.entry(file_id).or_default();
    if parts.big_total.is_some() && parts.big_total != big_total {
        return Reply::Error(400, "FILE_PARTS_INVALID".into());
    }
    parts.big_total = big_total;
    parts.parts.insert(part, bytes);
    Reply::Answer(true.to_bytes())
}

pub fn save_file_part(body: &[u8], state: &mut State) -> Reply {
    let r: tl::functions::upload::SaveFilePart = decode(body).expect("upload.saveFilePart");
    keep_part(state, r.file_id, r.file_part, None, r.bytes)
}

pub fn save_big_file_part(body: &[u8], state: &mut State) -> Reply {
    let r: tl::functions::upload::SaveBigFilePart = decode(body).expect("upload.saveBigFilePart");
    keep_part(
        state,
        r.file_id,
        r.file_part,
        Some(r.file_total_parts),
        r.bytes,
    )
}

/// The file's bytes from its parts, or Telegram's refusal.
fn assemble(
    state: &mut State,
    file: &tl::enums::InputFile,
) -> Result<(Vec<u8>, i32, bool, String), Reply> {
    let (id, parts, name, big) = match file {
        tl::enums::InputFile::File(f) => (f.id, f.parts, f.name.clone(), false),
        tl::enums::InputFile::Big(f) => (f.id, f.parts, f.name.clone(), true),
        tl::enums::InputFile::StoryDocument(_) => {
            return Err(Reply::Error(400, "MEDIA_INVALID".into()))
        }
    };
    let Some(stored) = state.media.parts.get(&id) else {
        return Err(Reply::Error(400, "FILE_PART_0_MISSING".into()));
    };
    if parts <= 0
        || stored.big_total.is_some() != big
        || stored.big_total.is_some_and(|t| t != parts)
    {
        return Err(Reply::Error(400, "FILE_PARTS_INVALID".into()));
    }
    let mut bytes = Vec::new();
    for part in 0..parts {
        match stored.parts.get(&part) {
            Some(chunk) => {
                // Every part but the last is whole.
                if part + 1 < parts && chunk.len() != PART_MAX {
                    return Err(Reply::Error(400, "FILE_PART_SIZE_INVALID".into()));
                }
                bytes.extend_from_slice(chunk)
            }
            None => return Err(Reply::Error(400, format!("FILE_PART_{part}_MISSING"))),
        }
    }
    if !big && bytes.len() > BIG_FILE_SIZE {
        // Over 10 MB, Telegram takes a file only as parts of a big file.
        return Err(Reply::Error(400, "FILE_PARTS_INVALID".into()));
    }
    state.media.parts.remove(&id);
    Ok((bytes, parts, big, name))
}

pub fn upload_media(body: &[u8], state: &mut State) -> Reply {
    let r: tl::functions::messages::UploadMedia = decode(body).expect("messages.uploadMedia");
    let (input_file, photo, mime, attributes, force_file) = match r.media {
        tl::enums::InputMedia::UploadedPhoto(p) => (p.file, true, None, Vec::new(), false),
        tl::enums::InputMedia::UploadedDocument(d) => {
            (d.file, false, Some(d.mime_type), d.attributes, d.force_file)
        }
        _ => return Reply::Error(400, "MEDIA_INVALID".into()),
    };
    let (bytes, parts, big, name) = match assemble(state, &input_file) {
        Ok(assembled) => assembled,
        Err(refused) => return refused,
    };
    state.media.next_id += 1;
    let id = 8_000_000 + state.media.next_id;
    let reference = format!("ref-{id}-1").into_bytes();
    let number = state.media.files.len() + 1;
    let expires_on_use = state.media.expiring.contains(&number);
    let forgotten_on_use = state.media.forgetting.contains(&number);
    let file = File {
        id,
        access_hash: id * 7 + 3,
        reference,
        expires_on_use,
        forgotten_on_use,
        forgotten: false,
        photo,
        sha256: Sha256::of(&bytes),
        size: bytes.len(),
        parts,
        big,
        name,
        mime,
        attributes,
        force_file,
        peer: r.peer,
    };
    let answer = if photo {
        tl::enums::MessageMedia::Photo(tl::types::MessageMediaPhoto {
            spoiler: false,
            live_photo: false,
            photo: Some(tl::enums::Photo::Photo(tl::types::Photo {
                has_stickers: false,
                id: file.id,
                access_hash: file.access_hash,
                file_reference: file.reference.clone(),
                date: now(),
                sizes: vec![tl::enums::PhotoSize::Size(tl::types::PhotoSize {
                    r#type: "x".into(),
                    w: 800,
                    h: 600,
                    size: file.size as i32,
                })],
                video_sizes: None,
                dc_id: 2,
            })),
            ttl_seconds: None,
            video: None,
        })
    } else {
        tl::enums::MessageMedia::Document(tl::types::MessageMediaDocument {
            nopremium: false,
            spoiler: false,
            video: false,
            round: false,
            voice: false,
            document: Some(tl::enums::Document::Document(tl::types::Document {
                id: file.id,
                access_hash: file.access_hash,
                file_reference: file.reference.clone(),
                date: now(),
                mime_type: file.mime.clone().unwrap_or_default(),
                size: file.size as i64,
                thumbs: None,
                video_thumbs: None,
                dc_id: 2,
                attributes: file.attributes.clone(),
            })),
            alt_documents: None,
            video_cover: None,
            video_timestamp: None,
            ttl_seconds: None,
        })
    };
    state.media.files.push(file);
    Reply::Answer(answer.to_bytes())
}

/// The file a post names, or why Telegram refuses it (`item`: its place in an album).
fn file_of(
    state: &mut State,
    media: &tl::enums::InputMedia,
    item: Option<usize>,
) -> Result<File, Reply> {
    let (id, access_hash, reference) = match media {
        tl::enums::InputMedia::Photo(tl::types::InputMediaPhoto {
            id: tl::enums::InputPhoto::Photo(p),
            ..
        }) => (p.id, p.access_hash, &p.file_reference),
        tl::enums::InputMedia::Document(tl::types::InputMediaDocument {
            id: tl::enums::InputDocument::Document(d),
            ..
        }) => (d.id, d.access_hash, &d.file_reference),
        _ => return Err(Reply::Error(400, "MEDIA_EMPTY".into())),
    };
    let photo = matches!(media, tl::enums::InputMedia::Photo(_));
    let Some(file) = state
        .media
        .files
        .iter_mut()
        .find(|f| (f.id, f.access_hash, f.photo) == (id, access_hash, photo) && !f.forgotten)
    else {
        return Err(Reply::Error(400, "MEDIA_EMPTY".into()));
    };
    if file.forgotten_on_use {
        file.forgotten = true;
        return Err(Reply::Error(400, "MEDIA_EMPTY".into()));
    }
    if file.expires_on_use {
        file.expires_on_use = false;
        file.reference = format!("ref-{}-2", file.id).into_bytes();
    }
    if *reference != file.reference {
        let message = match item {
            Some(i) => format!("FILE_REFERENCE_{i}_EXPIRED"),
            None => "FILE_REFERENCE_EXPIRED".into(),
        };
        return Err(Reply::Error(400, message));
    }
    Ok(file.clone())
}

/// What the group refuses of these files (`None`: it takes them).
fn refusal(state: &State, peer: &tl::enums::InputPeer) -> Option<Reply> {
    let tl::enums::InputPeer::Channel(c) = peer else {
        return None;
    };
    (state.media.forbidden.get(&c.channel_id)).map(|e| Reply::Error(403, e.to_string()))
}

fn top_msg_id(reply_to: &Option<tl::enums::InputReplyTo>) -> Option<i32> {
    match reply_to {
        Some(tl::enums::InputReplyTo::Message(m)) => m.top_msg_id,
        _ => None,
    }
}

/// Records the post and answers with its messages' ids, as Telegram's updates do.
fn post(state: &mut State, post: MediaPost) -> Reply {
    let mut updates = Vec::new();
    for item in &post.items {
        state.next_message_id += 1;
        updates.push(tl::enums::Update::MessageId(tl::types::UpdateMessageId {
            id: state.next_message_id,
            random_id: item.random_id,
        }));
    }
    state.media.posts.push(post);
    Reply::Answer(
        tl::enums::Updates::Updates(tl::types::Updates {
            updates,
            users: Vec::new(),
            chats: Vec::new(),
            date: now(),
            seq: 0,
        })
        .to_bytes(),
    )
}

pub fn send_media(body: &[u8], state: &mut State) -> Reply {
    let r: tl::functions::messages::SendMedia = decode(body).expect("messages.sendMedia");
    if super::forward::taken(state, r.random_id) {
        return Reply::Error(400, "RANDOM_ID_DUPLICATE".into());
    }
    if r.message.encode_utf16().count() > CAPTION_MAX {
        return Reply::Error(400, "MEDIA_CAPTION_TOO_LONG".into());
    }
    if let Some(refused) = refusal(state, &r.peer) {
        return refused;
    }
    let file = match file_of(state, &r.media, None) {
        Ok(file) => file,
        Err(refused) => return refused,
    };
    let item = PostedItem {
        random_id: r.random_id,
        file,
        caption: r.message,
        entities: r.entities,
    };
    post(
        state,
        MediaPost {
            album: false,
            peer: r.peer,
            items: vec![item],
            silent: r.silent,
            top_msg_id: top_msg_id(&r.reply_to),
        },
    )
}

pub fn send_multi_media(body: &[u8], state: &mut State) -> Reply {
    let r: tl::functions::messages::SendMultiMedia = decode(body).expect("messages.sendMultiMedia");
    if !(2..=10).contains(&r.multi_media.len()) {
        return Reply::Error(400, "MULTI_MEDIA_TOO_LONG".into());
    }
    let singles: Vec<tl::types::InputSingleMedia> = (r.multi_media.into_iter())
        .map(|tl::enums::InputSingleMedia::Media(m)| m)
        .collect();
    if singles
        .iter()
        .any(|m| super::forward::taken(state, m.random_id))
    {
        return Reply::Error(400, "RANDOM_ID_DUPLICATE".into());
    }
    if singles
        .iter()
        .any(|m| m.message.encode_utf16().count() > CAPTION_MAX)
    {
        return Reply::Error(400, "MEDIA_CAPTION_TOO_LONG".into());
    }
    if let Some(refused) = refusal(state, &r.peer) {
        return refused;
    }
    let mut items = Vec::new();
    for (i, m) in singles.into_iter().enumerate() {
        let file = match file_of(state, &m.media, Some(i)) {
            Ok(file) => file,
            Err(refused) => return refused,
        };
        items.push(PostedItem {
            random_id: m.random_id,
            file,
            caption: m.message,
            entities: m.entities,
        });
    }
    post(
        state,
        MediaPost {
            album: true,
            peer: r.peer,
            items,
            silent: r.silent,
            top_msg_id: top_msg_id(&r.reply_to),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(reply: Reply) -> Vec<u8> {
        match reply {
            Reply::Answer(bytes) => bytes,
            other => panic!("{other:?}"),
        }
    }

    fn error(reply: Reply) -> String {
        match reply {
            Reply::Error(_, message) => message,
            other => panic!("{other:?}"),
        }
    }

    fn upload(state: &mut State, file_id: i64, parts: i32) -> Reply {
        let media = tl::enums::InputMedia::UploadedPhoto(tl::types::InputMediaUploadedPhoto {
            spoiler: false,
            live_photo: false,
            file: tl::enums::InputFile::File(tl::types::InputFile {
                id: file_id,
                parts,
                name: "p.jpg".into(),
                md5_checksum: String::new(),
            }),
            stickers: None,
            ttl_seconds: None,
            video: None,
        });
        let body = tl::functions::messages::UploadMedia {
            business_connection_id: None,
            peer: tl::enums::InputPeer::PeerSelf,
            media,
        }
        .to_bytes();
        upload_media(&body, state)
    }

    fn part(state: &mut State, file_id: i64, file_part: i32, bytes: Vec<u8>) -> Reply {
        let body = tl::functions::upload::SaveFilePart {
            file_id,
            file_part,
            bytes,
        }
        .to_bytes();
        save_file_part(&body, state)
    }

    #[test]
    fn a_file_is_assembled_from_its_parts_and_a_missing_one_is_refused_by_number() {
        let mut state = State::default();
        answer(part(&mut state, 1, 0, vec![1; PART_MAX]));
        answer(part(&mut state, 1, 2, vec![3; 10]));
        assert_eq!(error(upload(&mut state, 1, 3)), "FILE_PART_1_MISSING");
        answer(part(&mut state, 1, 1, vec![2; PART_MAX]));
        let media = <tl::enums::MessageMedia as tl::Deserializable>::from_bytes(&answer(upload(
            &mut state, 1, 3,
        )))
        .unwrap();
        let tl::enums::MessageMedia::Photo(tl::types::MessageMediaPhoto {
            photo: Some(tl::enums::Photo::Photo(p)),
            ..
        }) = media
        else {
            panic!("{media:?}")
        };
        let file = &state.media.files[0];
        assert_eq!((p.id, p.access_hash), (file.id, file.access_hash));
        let mut want = vec![1; PART_MAX];
        want.extend(vec![2; PART_MAX]);
        want.extend(vec![3; 10]);
        assert_eq!(file.sha256, Sha256::of(&want));
        assert_eq!(
            error(upload(&mut state, 1, 3)),
            "FILE_PART_0_MISSING",
            "consumed"
        );
        assert_eq!(
            error(part(&mut state, 2, 0, vec![0; PART_MAX + 1])),
            "FILE_PART_TOO_BIG"
        );
    }
}
