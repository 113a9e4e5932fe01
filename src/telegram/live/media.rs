//! Media files on real accounts: a file is uploaded once per account — `upload.saveFilePart`
//! in 512 KiB parts (`upload.saveBigFilePart`, with the total, for files over 10 MB), then
//! `messages.uploadMedia` to the account's own chat — and the photo or document Telegram
//! returns (id, access hash, file reference) is kept per (account, SHA-256) and sent by
//! reference in every post of the account that carries the file (see `send`).
//!
//! The kept handles belong to the transport, not to a connection: they outlive `release`, so
//! a later cycle sends without uploading again. A send that Telegram answers with a stale
//! reference drops the account's handles of that post ([`Uploads::forget`]); the engine then
//! uploads again and sends the slot again with the same random ids.

use std::collections::HashMap;
use std::sync::Mutex;

use grammers_client::Client;
use grammers_tl_types as tl;

use super::mp4::{video_info, VideoInfo};
use super::MtprotoTransport;
use crate::schedule::content::{MediaItem, MediaKind, Sha256};
use crate::store::MediaFile;
use crate::telegram::mtproto::outcome_of_upload;
use crate::telegram::{Outcome, UploadedHandle};

/// The size of one uploaded part (Telegram's largest; every part but the last is this big).
pub const PART_SIZE: usize = 512 * 1024;
/// Files bigger than this go up as a "big file" (`upload.saveBigFilePart`).
pub const BIG_FILE_SIZE: usize = 10 * 1024 * 1024;

/// What Telegram gave for an uploaded file: the photo or document a post names.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Handle {
    Photo(tl::types::InputPhoto),
    Document(tl::types::InputDocument),
}

impl Handle {
    /// The file as a post's media (no spoiler, no timer).
    pub(super) fn input_media(&self) -> tl::enums::InputMedia {
        match self {
            Handle::Photo(photo) => tl::enums::InputMedia::Photo(tl::types::InputMediaPhoto {
                spoiler: false,
                live_photo: false,
                id: tl::enums::InputPhoto::Photo(photo.clone()),
                ttl_seconds: None,
                video: None,
            }),
            Handle::Document(document) => {
                tl::enums::InputMedia::Document(tl::types::InputMediaDocument {
                    spoiler: false,
                    id: tl::enums::InputDocument::Document(document.clone()),
                    video_cover: None,
                    video_timestamp: None,
                    ttl_seconds: None,
                    query: None,
                })
            }
        }
    }

    /// The photo or document of `messages.uploadMedia`'s answer; `None` for anything else.
    fn of(media: tl::enums::MessageMedia) -> Option<Handle> {
        match media {
            tl::enums::MessageMedia::Photo(tl::types::MessageMediaPhoto {
                photo: Some(tl::enums::Photo::Photo(p)),
                ..
            }) => Some(Handle::Photo(tl::types::InputPhoto {
                id: p.id,
                access_hash: p.access_hash,
                file_reference: p.file_reference,
            })),
            tl::enums::MessageMedia::Document(tl::types::MessageMediaDocument {
                document: Some(tl::enums::Document::Document(d)),
                ..
            }) => Some(Handle::Document(tl::types::InputDocument {
                id: d.id,
                access_hash: d.access_hash,
                file_reference: d.file_reference,
            })),
            _ => None,
        }
    }
}

/// The handles every account holds, per (account, file hash), with the kind each file was
/// uploaded as.
#[derive(Default)]
pub(super) struct Uploads(Mutex<HashMap<(i64, Sha256), (MediaKind, Handle)>>);

impl Uploads {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<(i64, Sha256), (MediaKind, Handle)>> {
        // A panic elsewhere while holding the lock leaves a map that is still whole.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn holds(&self, account_id: i64, sha256: Sha256) -> bool {
        self.map().contains_key(&(account_id, sha256))
    }

    /// The account's handle of each file, in order; `None` if one is missing. A file uploaded
    /// as another kind (the same bytes, once a photo, now a document) is dropped and missing:
    /// it goes up again as what the post says it is.
    pub(super) fn handles(&self, account_id: i64, items: &[MediaItem]) -> Option<Vec<Handle>> {
        let mut map = self.map();
        let mut handles = Vec::with_capacity(items.len());
        for item in items {
            let key = (account_id, item.sha256);
            match map.get(&key) {
                Some((kind, handle)) if *kind == item.kind => handles.push(handle.clone()),
                Some(_) => {
                    map.remove(&key);
                    return None;
                }
                None => return None,
            }
        }
        Some(handles)
    }

    fn keep(&self, account_id: i64, item: MediaItem, handle: Handle) {
        self.map()
            .insert((account_id, item.sha256), (item.kind, handle));
    }

    /// Drops the account's handles of these files (Telegram called a reference stale).
    pub(super) fn forget(&self, account_id: i64, items: &[MediaItem]) {
        let mut map = self.map();
        for item in items {
            map.remove(&(account_id, item.sha256));
        }
    }
}

/// The file's name as uploaded: the customer's, or one by its kind.
pub fn file_name(kind: MediaKind, file: &MediaFile) -> String {
    match file.name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => match kind {
            MediaKind::Photo => "photo.jpg",
            MediaKind::Video => "video.mp4",
            MediaKind::Animation => "animation.mp4",
            MediaKind::Document => "file",
        }
        .to_string(),
    }
}

/// The file's MIME type: as Telegram gave it to the bot, or by its kind (an animation by its
/// name: a `.gif` is `image/gif`).
pub fn mime_type(kind: MediaKind, file: &MediaFile) -> String {
    if let Some(mime) = file.mime.as_deref().map(str::trim) {
        if !mime.is_empty() {
            return mime.to_string();
        }
    }
    let gif = (file.name.as_deref()).is_some_and(|n| n.to_ascii_lowercase().ends_with(".gif"));
    match kind {
        MediaKind::Photo => "image/jpeg",
        MediaKind::Video => "video/mp4",
        MediaKind::Animation if gif => "image/gif",
        MediaKind::Animation => "video/mp4",
        MediaKind::Document => "application/octet-stream",
    }
    .to_string()
}

/// `messages.uploadMedia`'s media for an uploaded file: a photo, or a document with its MIME
/// type and attributes (its name always; a video streams; an animation is marked animated,
/// and an MP4 one is a silent video too, as Telegram's apps send GIFs). A video's duration,
/// picture size and streaming are `video`'s (read from the file; when it doesn't say: zero,
/// and streamable).
pub fn uploaded_media(
    kind: MediaKind,
    file: tl::enums::InputFile,
    name: String,
    mime: String,
    video: Option<VideoInfo>,
) -> tl::enums::InputMedia {
    let info = video.unwrap_or(VideoInfo {
        streams: true,
        ..VideoInfo::default()
    });
    let video = |supports_streaming, nosound| {
        tl::enums::DocumentAttribute::Video(tl::types::DocumentAttributeVideo {
            round_message: false,
            supports_streaming,
            nosound,
            duration: info.duration,
            w: info.width,
            h: info.height,
            preload_prefix_size: None,
            video_start_ts: None,
            video_codec: None,
        })
    };
    let mut attributes = Vec::new();
    match kind {
        MediaKind::Photo => {
            return tl::enums::InputMedia::UploadedPhoto(tl::types::InputMediaUploadedPhoto {
                spoiler: false,
                live_photo: false,
                file,
                stickers: None,
                ttl_seconds: None,
                video: None,
            })
        }
        MediaKind::Video => attributes.push(video(info.streams, false)),
        MediaKind::Animation => {
            if mime.starts_with("video/") {
                attributes.push(video(false, true));
            }
            attributes.push(tl::enums::DocumentAttribute::Animated);
        }
        MediaKind::Document => {}
    }
    attributes.push(tl::enums::DocumentAttribute::Filename(
        tl::types::DocumentAttributeFilename { file_name: name },
    ));
    tl::enums::InputMedia::UploadedDocument(tl::types::InputMediaUploadedDocument {
        nosound_video: kind == MediaKind::Animation,
        // A document stays a document, whatever its type (a PDF, an MP4 sent as a file).
        force_file: kind == MediaKind::Document,
        spoiler: false,
        file,
        thumb: None,
        mime_type: mime,
        attributes,
        stickers: None,
        video_cover: None,
        video_timestamp: None,
        ttl_seconds: None,
    })
}

/// How many parts a file of `size` bytes is uploaded in.
pub fn parts_of(size: usize) -> i32 {
    size.div_ceil(PART_SIZE) as i32
}

/// How many parts of one file are in flight at once (Telegram's apps upload several side by
/// side; Telegram keeps them by number, in whatever order they arrive).
pub const PARTS_IN_FLIGHT: usize = 4;

/// Sends one part (`upload.saveBigFilePart` with the total for a big file).
async fn save_part(
    client: &Client,
    file_id: i64,
    (part, total, big): (i32, i32, bool),
    chunk: &[u8],
) -> Result<(), (i32, Outcome)> {
    let stored = if big {
        client
            .invoke(&tl::functions::upload::SaveBigFilePart {
                file_id,
                file_part: part,
                file_total_parts: total,
                bytes: chunk.to_vec(),
            })
            .await
    } else {
        client
            .invoke(&tl::functions::upload::SaveFilePart {
                file_id,
                file_part: part,
                bytes: chunk.to_vec(),
            })
            .await
    };
    match stored {
        Ok(true) => Ok(()),
        Ok(false) => Err((
            part,
            Outcome::Network(format!("Telegram did not store part {part}")),
        )),
        Err(e) => Err((part, outcome_of_upload(&e))),
    }
}

/// Sends the file's parts ([`PARTS_IN_FLIGHT`] at a time) and names the whole: `inputFile`
/// (no MD5 checksum: Telegram checks one only when given), or `inputFileBig` over
/// [`BIG_FILE_SIZE`]. The first part that fails ends the upload.
async fn save_parts(
    client: &Client,
    bytes: &[u8],
    name: String,
) -> Result<tl::enums::InputFile, (i32, Outcome)> {
    use futures_util::StreamExt as _;
    let file_id = loop {
        let id = fastrand::i64(..);
        if id != 0 {
            break id;
        }
    };
    let big = bytes.len() > BIG_FILE_SIZE;
    let total = parts_of(bytes.len());
    // By number, not by chunk: a stream of borrowed chunks is not `Send` for the seam's future.
    let mut parts = futures_util::stream::iter(0..total)
        .map(|part| {
            let start = part as usize * PART_SIZE;
            let chunk = &bytes[start..bytes.len().min(start + PART_SIZE)];
            save_part(client, file_id, (part, total, big), chunk)
        })
        .buffer_unordered(PARTS_IN_FLIGHT);
    while let Some(saved) = parts.next().await {
        saved?;
    }
    Ok(if big {
        tl::enums::InputFile::Big(tl::types::InputFileBig {
            id: file_id,
            parts: total,
            name,
        })
    } else {
        tl::enums::InputFile::File(tl::types::InputFile {
            id: file_id,
            parts: total,
            name,
            md5_checksum: String::new(),
        })
    })
}

impl MtprotoTransport {
    /// Uploads the file from the account and keeps what Telegram returns (see the module).
    /// Every failure is logged with its cause and answered as the send's would be: a lost
    /// part or connection is a network error, which the engine retries.
    pub(super) async fn upload_file(
        &self,
        account_id: i64,
        item: MediaItem,
        file: &MediaFile,
    ) -> Result<UploadedHandle, Outcome> {
        let sha256 = item.sha256;
        if file.bytes.is_empty() {
            tracing::warn!(account_id, %sha256, "an empty file is not uploaded");
            return Err(Outcome::Rejected("empty file".into()));
        }
        let client = self.client(account_id).await?;
        let name = file_name(item.kind, file);
        let mime = mime_type(item.kind, file);
        let video = match item.kind {
            MediaKind::Video | MediaKind::Animation => video_info(&file.bytes),
            MediaKind::Photo | MediaKind::Document => None,
        };
        let input_file = match save_parts(&client, &file.bytes, name.clone()).await {
            Ok(input_file) => input_file,
            Err((part, outcome)) => {
                tracing::warn!(
                    account_id, %sha256, part, error = ?outcome.error(),
                    "a part of an upload failed"
                );
                return Err(outcome);
            }
        };
        let request = tl::functions::messages::UploadMedia {
            business_connection_id: None,
            peer: tl::enums::InputPeer::PeerSelf,
            media: uploaded_media(item.kind, input_file, name, mime, video),
        };
        let handle = match client.invoke(&request).await {
            Ok(media) => Handle::of(media),
            Err(e) => {
                let outcome = outcome_of_upload(&e);
                tracing::warn!(account_id, %sha256, error = %e, outcome = outcome.name(), "messages.uploadMedia failed");
                return Err(outcome);
            }
        };
        let Some(handle) = handle else {
            tracing::warn!(account_id, %sha256, "messages.uploadMedia answered no photo or document");
            return Err(Outcome::Network(
                "the upload was answered without the file".into(),
            ));
        };
        self.uploads.keep(account_id, item, handle);
        Ok(UploadedHandle { account_id, sha256 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: Option<&str>, mime: Option<&str>) -> MediaFile {
        MediaFile {
            sha256: Sha256([7; 32]),
            bytes: vec![1, 2, 3],
            name: name.map(str::to_string),
            mime: mime.map(str::to_string),
        }
    }

    fn input_file() -> tl::enums::InputFile {
        tl::enums::InputFile::File(tl::types::InputFile {
            id: 5,
            parts: 1,
            name: "x".into(),
            md5_checksum: String::new(),
        })
    }

    #[test]
    fn a_file_is_uploaded_in_half_megabyte_parts_and_big_above_ten_megabytes() {
        assert_eq!(parts_of(1), 1);
        assert_eq!(parts_of(PART_SIZE), 1);
        assert_eq!(parts_of(PART_SIZE + 1), 2);
        assert_eq!(parts_of(BIG_FILE_SIZE), 20);
        assert_eq!(parts_of(BIG_FILE_SIZE + 1), 21);
    }

    #[test]
    fn a_files_name_and_type_are_the_customers_or_its_kinds() {
        let given = file(Some("price list.pdf"), Some("application/pdf"));
        assert_eq!(file_name(MediaKind::Document, &given), "price list.pdf");
        assert_eq!(mime_type(MediaKind::Document, &given), "application/pdf");
        let bare = file(None, None);
        let cases = [
            (MediaKind::Photo, "photo.jpg", "image/jpeg"),
            (MediaKind::Video, "video.mp4", "video/mp4"),
            (MediaKind::Animation, "animation.mp4", "video/mp4"),
            (MediaKind::Document, "file", "application/octet-stream"),
        ];
        for (kind, name, mime) in cases {
            assert_eq!(
                (file_name(kind, &bare), mime_type(kind, &bare)),
                (name.to_string(), mime.to_string())
            );
        }
        let gif = file(Some("Dance.GIF"), Some(" "));
        assert_eq!(mime_type(MediaKind::Animation, &gif), "image/gif");
        assert_eq!(
            file_name(MediaKind::Photo, &file(Some("  "), None)),
            "photo.jpg"
        );
    }

    #[test]
    fn each_kind_is_uploaded_as_telegram_expects_it() {
        let photo = uploaded_media(
            MediaKind::Photo,
            input_file(),
            "a.jpg".into(),
            "image/jpeg".into(),
            None,
        );
        assert!(
            matches!(&photo, tl::enums::InputMedia::UploadedPhoto(p) if p.file == input_file())
        );
        let info = VideoInfo {
            duration: 12.5,
            width: 1280,
            height: 720,
            streams: true,
        };
        let document = |kind, mime: &str| match uploaded_media(
            kind,
            input_file(),
            "n.bin".into(),
            mime.into(),
            Some(info),
        ) {
            tl::enums::InputMedia::UploadedDocument(d) => d,
            other => panic!("{kind:?}: {other:?}"),
        };
        let filename =
            tl::enums::DocumentAttribute::Filename(tl::types::DocumentAttributeFilename {
                file_name: "n.bin".into(),
            });

        let d = document(MediaKind::Document, "application/pdf");
        assert!(d.force_file && !d.nosound_video);
        assert_eq!(d.mime_type, "application/pdf");
        assert_eq!(d.attributes, vec![filename.clone()]);

        let v = document(MediaKind::Video, "video/mp4");
        assert!(!v.force_file);
        match &v.attributes[..] {
            [tl::enums::DocumentAttribute::Video(a), name] => {
                assert!(a.supports_streaming && !a.round_message && !a.nosound);
                assert_eq!((a.duration, a.w, a.h), (12.5, 1280, 720));
                assert_eq!(name, &filename);
            }
            other => panic!("video attributes {other:?}"),
        }

        // What the file says of streaming is kept; a file that says nothing streams.
        let streaming = |video| match uploaded_media(
            MediaKind::Video,
            input_file(),
            "v.mp4".into(),
            "video/mp4".into(),
            video,
        ) {
            tl::enums::InputMedia::UploadedDocument(d) => match &d.attributes[0] {
                tl::enums::DocumentAttribute::Video(a) => (a.supports_streaming, a.duration, a.w),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        };
        let late_index = VideoInfo {
            streams: false,
            ..info
        };
        assert_eq!(streaming(Some(late_index)), (false, 12.5, 1280));
        assert_eq!(streaming(None), (true, 0.0, 0));

        let mp4 = document(MediaKind::Animation, "video/mp4");
        assert!(mp4.nosound_video && !mp4.force_file);
        match &mp4.attributes[..] {
            [tl::enums::DocumentAttribute::Video(a), tl::enums::DocumentAttribute::Animated, name] =>
            {
                assert!(a.nosound);
                assert_eq!((a.duration, a.w, a.h), (12.5, 1280, 720));
                assert_eq!(name, &filename);
            }
            other => panic!("animation attributes {other:?}"),
        }
        let gif = document(MediaKind::Animation, "image/gif");
        assert_eq!(
            gif.attributes,
            vec![tl::enums::DocumentAttribute::Animated, filename]
        );
    }

    #[test]
    fn handles_are_kept_per_account_and_file_and_forgotten_per_post() {
        let uploads = Uploads::default();
        let item = |b| MediaItem {
            kind: MediaKind::Photo,
            sha256: Sha256([b; 32]),
            size: 1,
        };
        let photo = |id| {
            Handle::Photo(tl::types::InputPhoto {
                id,
                access_hash: 2,
                file_reference: vec![3],
            })
        };
        uploads.keep(1, item(1), photo(10));
        uploads.keep(1, item(2), photo(20));
        uploads.keep(2, item(1), photo(30));
        assert!(uploads.holds(1, item(1).sha256) && !uploads.holds(3, item(1).sha256));
        assert_eq!(
            uploads.handles(1, &[item(2), item(1)]),
            Some(vec![photo(20), photo(10)])
        );
        assert_eq!(uploads.handles(1, &[item(1), item(3)]), None);
        uploads.forget(1, &[item(1), item(2)]);
        assert!(!uploads.holds(1, item(1).sha256) && !uploads.holds(1, item(2).sha256));
        assert!(uploads.holds(2, item(1).sha256), "another account's stays");

        // The same bytes posted as another kind: dropped, to go up again as that kind.
        let as_document = MediaItem {
            kind: MediaKind::Document,
            ..item(1)
        };
        assert_eq!(uploads.handles(2, &[as_document]), None);
        assert!(!uploads.holds(2, item(1).sha256));
    }

    #[test]
    fn telegrams_answer_to_an_upload_names_the_photo_or_document() {
        let photo = tl::enums::MessageMedia::Photo(tl::types::MessageMediaPhoto {
            spoiler: false,
            live_photo: false,
            photo: Some(tl::enums::Photo::Photo(tl::types::Photo {
                has_stickers: false,
                id: 11,
                access_hash: 12,
                file_reference: vec![13],
                date: 0,
                sizes: Vec::new(),
                video_sizes: None,
                dc_id: 2,
            })),
            ttl_seconds: None,
            video: None,
        });
        let handle = Handle::of(photo).expect("a photo");
        assert_eq!(
            handle,
            Handle::Photo(tl::types::InputPhoto {
                id: 11,
                access_hash: 12,
                file_reference: vec![13]
            })
        );
        assert!(matches!(
            handle.input_media(),
            tl::enums::InputMedia::Photo(tl::types::InputMediaPhoto {
                id: tl::enums::InputPhoto::Photo(p),
                spoiler: false,
                ttl_seconds: None,
                ..
            }) if p.id == 11 && p.access_hash == 12 && p.file_reference == vec![13]
        ));
        let empty = tl::enums::MessageMedia::Photo(tl::types::MessageMediaPhoto {
            spoiler: false,
            live_photo: false,
            photo: None,
            ttl_seconds: None,
            video: None,
        });
        assert_eq!(Handle::of(empty), None);
    }
}
