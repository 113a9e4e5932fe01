//! Media posts from real accounts on the wire: the engine and the live transport (grammers)
//! against the loopback data centre ([`crate::dc`], its media in [`crate::dc::media`]) —
//! uploads in parts (big files too), the photo or document kept per account and reused,
//! `messages.sendMedia` and `sendMultiMedia` with the slot's random ids, a lost answer, a
//! stale file reference, a lost part, and groups that refuse media. What arrives is checked
//! against the stored bytes (SHA-256), and the post log against what was posted.

use std::time::Duration;

use autoposter::engine::CycleReport;
use autoposter::schedule::content::{MediaKind, Sha256};
use autoposter::schedule::RandomIds;
use autoposter::store::NewMedia;
use autoposter::telegram::live::text_and_entities;
use grammers_tl_types as tl;

use crate::dc::media::{File, MediaPost};
use crate::dc::{Group, Reply};
use crate::helpers::Heard;
use crate::live_dc::{group, LiveRig, CUSTOMER};

const PART: usize = 512 * 1024;

/// `len` bytes that differ from every other `seed`'s.
fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..len).map(|_| rng.u8(..)).collect()
}

/// One file of the customer's post.
struct Upload {
    kind: MediaKind,
    bytes: Vec<u8>,
    name: Option<&'static str>,
    mime: Option<&'static str>,
}

/// A small MP4 that says its length (`seconds` + 0.5 s) and picture size (ISO boxes: moov
/// with mvhd and one video track's tkhd; then `payload` random bytes of mdat).
fn mp4(seconds: u32, width: u32, height: u32, payload: usize, seed: u64) -> Vec<u8> {
    fn mp4_box(kind: &[u8; 4], content: &[u8]) -> Vec<u8> {
        let mut b = ((content.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(content);
        b
    }
    // mvhd v0: version/flags, creation, modification, timescale, duration, the rest.
    let mut mvhd = vec![0u8; 12];
    mvhd.extend(1000u32.to_be_bytes());
    mvhd.extend((seconds * 1000 + 500).to_be_bytes());
    mvhd.extend([0; 80]);
    // tkhd v0: version/flags, times, id, reserved, duration, reserved, layer…, matrix, size.
    let mut tkhd = vec![0u8; 4 + 20 + 8 + 8 + 36];
    tkhd.extend((width << 16).to_be_bytes());
    tkhd.extend((height << 16).to_be_bytes());
    let mut moov = mp4_box(b"mvhd", &mvhd);
    moov.extend(mp4_box(b"trak", &mp4_box(b"tkhd", &tkhd)));
    let mut file = mp4_box(b"ftyp", b"isom\0\0\x02\0isomiso2mp41");
    file.extend(mp4_box(b"moov", &moov));
    file.extend(mp4_box(b"mdat", &bytes(payload, seed)));
    file
}

fn photo(len: usize, seed: u64) -> Upload {
    Upload {
        kind: MediaKind::Photo,
        bytes: bytes(len, seed),
        name: Some("sale.jpg"),
        mime: Some("image/jpeg"),
    }
}

/// A rig whose account is in `groups` (all added), and whose customer posts `files` with the
/// caption `html` (stored as the bot stores them).
async fn media_rig(groups: Vec<Group>, files: &[Upload], html: &str, between: f64) -> LiveRig {
    let added = groups.len();
    let rig = LiveRig::build(groups, added, "unused", between).await;
    let new: Vec<NewMedia> = (files.iter())
        .map(|f| NewMedia {
            kind: f.kind,
            bytes: &f.bytes,
            name: f.name,
            mime: f.mime,
        })
        .collect();
    rig.store
        .set_media_content(CUSTOMER, &new, html)
        .await
        .unwrap();
    rig
}

impl LiveRig {
    /// The random ids of the slot (report's cycle, the account, `group_id`).
    async fn slot_ids(&self, report: &CycleReport, group_id: i64) -> RandomIds {
        let key = (self.store.snapshot(CUSTOMER).await.unwrap().unwrap())
            .post_key
            .unwrap();
        RandomIds::of(key, report.seq, self.account_id, group_id)
    }

    fn media_posts(&self) -> Vec<MediaPost> {
        self.dc.state(|s| s.media.posts.clone())
    }

    fn files(&self) -> Vec<File> {
        self.dc.state(|s| s.media.files.clone())
    }

    /// The names of the upload and send requests, in order.
    fn traffic(&self) -> Vec<&'static str> {
        self.dc.state(|s| {
            (s.requests.iter())
                .map(|r| r.name)
                .filter(|n| {
                    n.starts_with("upload.")
                        || n.starts_with("messages.send")
                        || *n == "messages.uploadMedia"
                })
                .collect()
        })
    }

    fn count(&self, name: &str) -> usize {
        self.dc.state(|s| s.named(name).len())
    }
}

fn channel(peer: &tl::enums::InputPeer) -> (i64, i64) {
    match peer {
        tl::enums::InputPeer::Channel(c) => (c.channel_id, c.access_hash),
        other => panic!("peer {other:?}"),
    }
}

/// The whole engine path: a customer whose post is a photo with a formatted caption, on a
/// real (loopback) account, posts it on schedule into both groups. The account uploads the
/// file once, in two parts, before the cycle's first post, and both groups get the same photo
/// by reference, with the stored bytes exactly, the caption's text and entities, and each
/// slot's random id; the post log says sent with those ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_post_is_uploaded_once_and_arrives_in_every_group_with_its_bytes_and_caption() {
    let file = photo(PART + 1000, 1);
    let mut rig = media_rig(vec![group(1), group(2)], &[file], "<b>Sale</b> today", 60.0).await;
    let want = Sha256::of(&bytes(PART + 1000, 1));
    let (report, restricted) = rig.one_cycle().await;
    assert_eq!(report.tally.sent, 2, "{report:?}");
    assert!(restricted.is_empty(), "{restricted:?}");

    assert_eq!(
        rig.traffic(),
        [
            "upload.saveFilePart",
            "upload.saveFilePart",
            "messages.uploadMedia",
            "messages.sendMedia",
            "messages.sendMedia"
        ],
        "uploaded once, before the first post; no text sent"
    );
    let mut parts: Vec<tl::functions::upload::SaveFilePart> = rig
        .dc
        .state(|s| s.named("upload.saveFilePart"))
        .iter()
        .map(|r| r.decode())
        .collect();
    // Parts go up side by side: by number.
    parts.sort_by_key(|p| p.file_part);
    assert_eq!(parts[0].file_id, parts[1].file_id);
    assert_eq!(
        parts
            .iter()
            .map(|p| (p.file_part, p.bytes.len()))
            .collect::<Vec<_>>(),
        [(0, PART), (1, 1000)]
    );
    let upload: tl::functions::messages::UploadMedia = rig
        .dc
        .state(|s| s.named("messages.uploadMedia")[0].decode());
    assert_eq!(
        upload.peer,
        tl::enums::InputPeer::PeerSelf,
        "uploaded to itself"
    );
    let files = rig.files();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].peer, upload.peer);
    assert!(files[0].photo && !files[0].big && files[0].parts == 2);
    assert_eq!(
        (files[0].sha256, files[0].name.as_str()),
        (want, "sale.jpg")
    );

    let (text, entities) = text_and_entities("<b>Sale</b> today");
    assert!(matches!(
        entities.as_deref(),
        Some([tl::enums::MessageEntity::Bold(b)]) if b.offset == 0 && b.length == 4
    ));
    let posts = rig.media_posts();
    assert_eq!(posts.len(), 2);
    let mut want_ids = Vec::new();
    for (post, (group_id, g)) in posts.iter().zip(&rig.groups) {
        let ids = rig.slot_ids(&report, *group_id).await;
        want_ids.push(ids.first());
        assert_eq!(channel(&post.peer), (g.channel_id, g.access_hash));
        assert!(!post.album && !post.silent && post.top_msg_id.is_none());
        let [item] = &post.items[..] else {
            panic!("{post:?}")
        };
        assert_eq!(item.random_id, ids.first());
        assert_eq!((item.file.id, item.file.sha256), (files[0].id, want));
        assert_eq!(item.caption, text);
        assert_eq!(item.entities, entities);
    }
    let rows = rig.store.posts(CUSTOMER).await.unwrap();
    assert_eq!(
        rows.iter()
            .map(|r| (r.outcome.as_str(), r.random_id))
            .collect::<Vec<_>>(),
        want_ids.iter().map(|id| ("sent", *id)).collect::<Vec<_>>()
    );
}

/// A file over 10 MB goes up as a big file: every part with `upload.saveBigFilePart` and the
/// total, then `inputFileBig`; the document keeps its name and MIME type, and is sent as a
/// file, with the stored bytes exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_over_ten_megabytes_goes_up_in_big_parts_with_its_name_and_type() {
    let len = 10 * 1024 * 1024 + 300 * 1024;
    let document = Upload {
        kind: MediaKind::Document,
        bytes: bytes(len, 2),
        name: Some("price-list.pdf"),
        mime: Some("application/pdf"),
    };
    let want = Sha256::of(&document.bytes);
    let mut rig = media_rig(vec![group(1)], &[document], "Prices", 60.0).await;
    let (report, _) = rig.one_cycle().await;
    assert_eq!(report.tally.sent, 1, "{report:?}");

    assert_eq!(rig.count("upload.saveFilePart"), 0);
    let mut parts: Vec<tl::functions::upload::SaveBigFilePart> = rig
        .dc
        .state(|s| s.named("upload.saveBigFilePart"))
        .iter()
        .map(|r| r.decode())
        .collect();
    parts.sort_by_key(|p| p.file_part);
    assert_eq!(parts.len(), 21);
    for (i, p) in parts.iter().enumerate() {
        assert_eq!((p.file_part, p.file_total_parts), (i as i32, 21));
        assert_eq!(p.file_id, parts[0].file_id);
    }
    let upload: tl::functions::messages::UploadMedia = rig
        .dc
        .state(|s| s.named("messages.uploadMedia")[0].decode());
    match upload.media {
        tl::enums::InputMedia::UploadedDocument(d) => match d.file {
            tl::enums::InputFile::Big(f) => {
                assert_eq!((f.parts, f.name.as_str()), (21, "price-list.pdf"))
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    let posts = rig.media_posts();
    let [post] = &posts[..] else {
        panic!("{posts:?}")
    };
    let file = &post.items[0].file;
    assert!(file.big && !file.photo && file.force_file && file.parts == 21);
    assert_eq!((file.sha256, file.size), (want, len));
    assert_eq!(file.mime.as_deref(), Some("application/pdf"));
    assert_eq!(file.file_name(), Some("price-list.pdf"));
    assert_eq!(post.items[0].caption, "Prices");
    let rows = rig.store.posts(CUSTOMER).await.unwrap();
    assert_eq!(rows[0].outcome, "sent");
}

/// An album of three (photo, video, photo) is one `messages.sendMultiMedia`: item `i` carries
/// the slot's `ids.item(i)`, the caption and its entities are on the first item only, each
/// item is its own upload with its own bytes, and the video streams under its name. The
/// customer posts silently into a forum topic: the album carries both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_album_of_three_arrives_with_its_item_ids_and_the_caption_on_the_first() {
    let video = Upload {
        kind: MediaKind::Video,
        bytes: mp4(14, 1280, 720, 40_000, 4),
        name: Some("clip.mp4"),
        mime: None,
    };
    let files = [photo(30_000, 3), video, photo(20_000, 5)];
    let want: Vec<Sha256> = files.iter().map(|f| Sha256::of(&f.bytes)).collect();
    let mut rig = media_rig(vec![group(1)], &files, "<i>Three</i> pictures", 60.0).await;
    let (group_id, _) = rig.groups[0];
    rig.store.set_silent(CUSTOMER, true).await.unwrap();
    assert!(rig
        .store
        .set_group_topic(CUSTOMER, group_id, Some(7))
        .await
        .unwrap());
    let (report, _) = rig.one_cycle().await;
    assert_eq!(report.tally.sent, 1, "{report:?}");
    assert_eq!(rig.count("messages.uploadMedia"), 3);
    assert_eq!(rig.count("messages.sendMedia"), 0);
    assert_eq!(rig.count("messages.sendMultiMedia"), 1);

    let ids = rig.slot_ids(&report, group_id).await;
    let posts = rig.media_posts();
    let [album] = &posts[..] else {
        panic!("{posts:?}")
    };
    assert!(album.album && album.silent);
    assert_eq!(album.top_msg_id, Some(7));
    assert_eq!(album.items.len(), 3);
    let (text, entities) = text_and_entities("<i>Three</i> pictures");
    for (i, item) in album.items.iter().enumerate() {
        assert_eq!(item.random_id, ids.item(i), "item {i}");
        assert_eq!(item.file.sha256, want[i], "item {i}");
        if i == 0 {
            assert_eq!((&item.caption, &item.entities), (&text, &entities));
            assert!(matches!(
                item.entities.as_deref(),
                Some([tl::enums::MessageEntity::Italic(_)])
            ));
        } else {
            assert_eq!((item.caption.as_str(), &item.entities), ("", &None));
        }
    }
    assert!(album.items[0].file.photo && album.items[2].file.photo);
    let clip = &album.items[1].file;
    assert!(!clip.photo && !clip.force_file);
    assert_eq!(clip.mime.as_deref(), Some("video/mp4"));
    assert_eq!(clip.file_name(), Some("clip.mp4"));
    let streams = |a: &tl::enums::DocumentAttribute| match a {
        tl::enums::DocumentAttribute::Video(v) => {
            Some((v.supports_streaming, v.duration, v.w, v.h))
        }
        _ => None,
    };
    assert_eq!(
        clip.attributes.iter().find_map(streams),
        Some((true, 14.5, 1280, 720)),
        "a streamable video with its length and size, read from the file"
    );
    let distinct: std::collections::HashSet<i64> =
        album.items.iter().map(|i| i.random_id).collect();
    assert_eq!(distinct.len(), 3);
    let rows = rig.store.posts(CUSTOMER).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].outcome.as_str(), rows[0].random_id),
        ("sent", ids.first())
    );
}

/// Telegram posts the photo and the connection dies before the answer: the engine sends the
/// slot again (same random id, a new connection, the upload kept), Telegram answers
/// RANDOM_ID_DUPLICATE, and the photo is posted exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_a_media_post_is_sent_again_and_posts_once() {
    let mut rig = media_rig(vec![group(1)], &[photo(5_000, 6)], "Sale", 60.0).await;
    rig.dc.script("messages.sendMedia", Reply::Drop);
    let (group_id, _) = rig.groups[0];
    let (report, _) = rig.one_cycle().await;

    let sends = rig.dc.state(|s| s.named("messages.sendMedia"));
    assert_eq!(sends.len(), 2, "one send, one re-send");
    assert_ne!(sends[0].connection, sends[1].connection);
    let id = rig.slot_ids(&report, group_id).await.first();
    for s in &sends {
        let r: tl::functions::messages::SendMedia = s.decode();
        assert_eq!(r.random_id, id);
    }
    assert_eq!(rig.media_posts().len(), 1, "posted exactly once");
    assert_eq!(
        rig.count("messages.uploadMedia"),
        1,
        "the upload outlived the connection"
    );
    let rows = rig.store.posts(CUSTOMER).await.unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0].outcome.as_str(), rows[0].random_id), ("sent", id));
    assert_eq!(report.tally.sent, 1);
}

/// A file reference that went stale (FILE_REFERENCE_EXPIRED, or FILE_REFERENCE_N_EXPIRED for
/// an album's item), or a file Telegram forgot (MEDIA_EMPTY): the account uploads again, once,
/// and the slot is sent again with the same random ids, posting exactly once; the post log
/// says sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_file_reference_is_uploaded_again_once_and_posts_exactly_once() {
    // (files, which upload goes stale, or is forgotten, uploads in all, send request)
    let single = [photo(9_000, 7)];
    let album = [photo(9_000, 8), photo(8_000, 9), photo(7_000, 10)];
    let cases: [(&[Upload], usize, bool, usize, &str); 3] = [
        (&single, 1, false, 2, "messages.sendMedia"),
        // The album's second item: every item of the post is uploaded again.
        (&album, 2, false, 6, "messages.sendMultiMedia"),
        (&single, 1, true, 2, "messages.sendMedia"),
    ];
    for (files, stale, forgotten, uploads, send) in cases {
        let mut rig = media_rig(vec![group(1)], files, "Sale", 60.0).await;
        match forgotten {
            false => rig.dc.expire_uploads(&[stale]),
            true => rig.dc.forget_uploads(&[stale]),
        }
        let (group_id, _) = rig.groups[0];
        let (report, _) = rig.one_cycle().await;
        assert_eq!(report.tally.sent, 1, "{send}: {report:?}");
        assert_eq!(rig.count("messages.uploadMedia"), uploads, "{send}");
        assert_eq!(
            rig.count(send),
            2,
            "{send}: the refused send and the one after the upload"
        );
        let posts = rig.media_posts();
        let [post] = &posts[..] else {
            panic!("{posts:?}")
        };
        let ids = rig.slot_ids(&report, group_id).await;
        let all = rig.files();
        for (i, item) in post.items.iter().enumerate() {
            assert_eq!(item.random_id, ids.item(i), "{send}");
            // The fresh uploads are the later ones.
            assert_eq!(item.file.id, all[files.len() + i].id, "{send}");
            assert_eq!(item.file.sha256, Sha256::of(&files[i].bytes), "{send}");
        }
        let rows = rig.store.posts(CUSTOMER).await.unwrap();
        assert_eq!(rows.len(), 1, "{send}: {rows:?}");
        assert_eq!(
            (rows[0].outcome.as_str(), rows[0].random_id),
            ("sent", ids.first())
        );
    }
}

/// A part Telegram did not keep (FILE_PART_N_MISSING at `messages.uploadMedia`) fails the
/// upload at the cycle's set-up as a network error, not the slot: the send uploads again and
/// posts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_part_is_uploaded_again_before_the_send_and_the_slot_posts() {
    let mut rig = media_rig(vec![group(1)], &[photo(PART * 2 + 10, 11)], "Sale", 60.0).await;
    rig.dc.script(
        "messages.uploadMedia",
        Reply::Error(400, "FILE_PART_1_MISSING".into()),
    );
    let (report, _) = rig.one_cycle().await;
    assert_eq!(report.tally.sent, 1, "{report:?}");
    assert_eq!(rig.count("messages.uploadMedia"), 2);
    assert_eq!(rig.count("upload.saveFilePart"), 6, "three parts, twice");
    assert_eq!(rig.media_posts().len(), 1);
    let rows = rig.store.posts(CUSTOMER).await.unwrap();
    assert_eq!(rows[0].outcome, "sent", "{rows:?}");
}

/// Groups whose rights refuse the account's media (CHAT_SEND_MEDIA_FORBIDDEN, and the photos
/// one): the slots fail under their own names, each group is paused for the account, and
/// nothing is posted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_that_forbids_media_refuses_the_post_and_is_paused_for_the_account() {
    let mut rig = media_rig(vec![group(1), group(2)], &[photo(3_000, 12)], "Sale", 60.0).await;
    rig.dc
        .forbid_media(group(1).channel_id, "CHAT_SEND_MEDIA_FORBIDDEN");
    rig.dc
        .forbid_media(group(2).channel_id, "CHAT_SEND_PHOTOS_FORBIDDEN");
    let (report, restricted) = rig.one_cycle().await;
    assert_eq!(report.tally.sent, 0, "{report:?}");
    assert!(rig.media_posts().is_empty());
    assert_eq!(
        rig.count("messages.sendMedia"),
        2,
        "each refusal once, no retry"
    );
    let rows = rig.store.posts(CUSTOMER).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.outcome.as_str()).collect::<Vec<_>>(),
        ["media_forbidden", "photos_forbidden"]
    );
    let mut blocked: Vec<(i64, i64)> = (rig.store.pair_blocks(CUSTOMER).await.unwrap().iter())
        .map(|b| (b.account_id, b.group_id))
        .collect();
    blocked.sort();
    let mut want: Vec<(i64, i64)> = rig
        .groups
        .iter()
        .map(|(g, _)| (rig.account_id, *g))
        .collect();
    want.sort();
    assert_eq!(blocked, want);
    assert_eq!(restricted.len(), 2, "{restricted:?}");
}

/// The handle outlives the connection: over a 20-minute pause (paused clock) the account is
/// released and connected again, and cycle 2 posts the same photo by reference with no second
/// upload.
#[tokio::test(start_paused = true)]
async fn the_next_cycle_reuses_the_upload_after_the_account_was_released() {
    autoposter::engine::clock::use_virtual_time();
    let mut rig = media_rig(vec![group(1)], &[photo(PART + 7, 13)], "Sale", 1200.0).await;
    rig.engine.start(CUSTOMER, None).await.unwrap();
    let mut reports = Vec::new();
    while reports.len() < 2 {
        let next = tokio::time::timeout(Duration::from_secs(3600), rig.heard.recv())
            .await
            .expect("two cycles within the hour")
            .expect("engine alive");
        match next {
            Heard::Cycle(report) => reports.push(report),
            Heard::Stopped(id, why) => panic!("customer {id} stopped: {why}"),
            Heard::Restricted(r) => panic!("restricted: {r:?}"),
        }
    }
    rig.engine.shutdown().await;
    rig.tasks.take().unwrap().finish().await;
    rig.assert_no_faults();
    assert!(reports.iter().all(|r| r.tally.sent == 1), "{reports:?}");

    assert_eq!(
        rig.count("upload.saveFilePart"),
        2,
        "one upload, in two parts"
    );
    assert_eq!(rig.count("messages.uploadMedia"), 1, "no second upload");
    let sends = rig.dc.state(|s| s.named("messages.sendMedia"));
    assert_eq!(sends.len(), 2, "one post per cycle");
    assert_ne!(
        sends[0].connection, sends[1].connection,
        "the account was released over the pause"
    );
    let posts = rig.media_posts();
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0].items[0].file.id, posts[1].items[0].file.id);
    assert_ne!(posts[0].items[0].random_id, posts[1].items[0].random_id);
}

/// A post passed on from the customer's channel, on the wire: one `messages.forwardMessages`
/// from the source channel (a broadcast channel, resolved through the account by its username,
/// with its access hash) naming the
/// source messages, one slot-derived random id per message, without the author for a copy,
/// silent and into the group's topic; a lost answer is sent again with the same ids and the
/// messages are passed on once. The post log keeps the slot's id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_or_copied_post_goes_out_as_one_forward_with_an_id_per_message() {
    use autoposter::schedule::content::ForwardMode;
    let source = Group {
        username: Some("loopsource".into()),
        title: "Loop source".into(),
        ..group(9)
    };
    // (mode, the first answer lost)
    for (mode, lost) in [(ForwardMode::Copy, false), (ForwardMode::Forward, true)] {
        let mut rig = LiveRig::build(vec![group(1), source.clone()], 1, "unused", 60.0).await;
        rig.dc.source_messages(source.channel_id, &[5, 6, 7]);
        rig.dc.resolve_as_broadcast("loopsource");
        rig.store
            .set_forward(CUSTOMER, "@loopsource", vec![5, 6], mode, &[1])
            .await
            .unwrap();
        let (group_id, target) = rig.groups[0].clone();
        rig.store.set_silent(CUSTOMER, true).await.unwrap();
        assert!(rig
            .store
            .set_group_topic(CUSTOMER, group_id, Some(7))
            .await
            .unwrap());
        if lost {
            rig.dc.script("messages.forwardMessages", Reply::Drop);
        }
        let (report, _) = rig.one_cycle().await;
        let rows = rig.store.posts(CUSTOMER).await.unwrap();
        assert_eq!(report.tally.sent, 1, "{mode:?}: {rows:?}");

        let ids = rig.slot_ids(&report, group_id).await;
        let requests = rig.dc.state(|s| s.named("messages.forwardMessages"));
        assert_eq!(requests.len(), if lost { 2 } else { 1 }, "{mode:?}");
        for request in &requests {
            let r: tl::functions::messages::ForwardMessages = request.decode();
            assert_eq!(r.random_id, vec![ids.item(0), ids.item(1)], "{mode:?}");
        }
        let forwards = rig.dc.state(|s| s.forwards.posted.clone());
        let [f] = &forwards[..] else {
            panic!("{mode:?}: passed on once: {forwards:?}")
        };
        assert_eq!(f.from, (source.channel_id, source.access_hash));
        assert_eq!(f.ids, [5, 6]);
        assert_eq!(channel(&f.to_peer), (target.channel_id, target.access_hash));
        assert_eq!(f.drop_author, mode == ForwardMode::Copy, "{mode:?}");
        assert!(f.silent);
        assert_eq!(f.top_msg_id, Some(7));
        assert!(rig.media_posts().is_empty());
        assert_eq!(rig.count("messages.sendMessage"), 0);
        let rows = rig.store.posts(CUSTOMER).await.unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(
            (rows[0].outcome.as_str(), rows[0].random_id),
            ("sent", ids.first())
        );
    }
}

/// The Message screen's check of a source through a real account, on the wire: the channel
/// resolved by its username, its messages asked for with `channels.getMessages` (its access
/// hash, the ids); all there is readable with the channel's title, one missing is named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_channel_is_read_through_the_account_and_a_missing_message_named() {
    use autoposter::telegram::source::SourceProblem;
    let source = Group {
        username: Some("loopsource".into()),
        title: "Loop source".into(),
        ..group(9)
    };
    let rig = LiveRig::build(vec![group(1), source.clone()], 1, "Sale", 60.0).await;
    rig.dc.source_messages(source.channel_id, &[5, 6, 7]);

    rig.dc.resolve_as_broadcast("loopsource");
    let info = (rig
        .sources
        .read(rig.account_id, "@loopsource", &[5, 7])
        .await)
        .expect("readable");
    assert_eq!(info.title, "Loop source");
    let asked: tl::functions::channels::GetMessages = rig
        .dc
        .state(|s| s.named("channels.getMessages")[0].decode());
    match asked.channel {
        tl::enums::InputChannel::Channel(c) => {
            assert_eq!(
                (c.channel_id, c.access_hash),
                (source.channel_id, source.access_hash)
            )
        }
        other => panic!("{other:?}"),
    }
    let ids: Vec<i32> = (asked.id.iter())
        .map(|m| match m {
            tl::enums::InputMessage::Id(m) => m.id,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids, [5, 7]);

    rig.dc.resolve_as_broadcast("loopsource");
    let gone = rig
        .sources
        .read(rig.account_id, "@loopsource", &[5, 99])
        .await;
    assert_eq!(gone.err(), Some(SourceProblem::MessageGone(99)));
    rig.assert_no_faults();
}

/// A caption over Telegram's 1024 characters from an account without Premium: Telegram
/// refuses the post (MEDIA_CAPTION_TOO_LONG), the slot fails as `rejected` at once (sending it
/// again would get the same answer), and nothing is blamed on the group or the account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caption_too_long_for_the_account_is_rejected_once() {
    let caption = "x".repeat(1500);
    let mut rig = media_rig(vec![group(1)], &[photo(2_000, 14)], &caption, 60.0).await;
    let (report, restricted) = rig.one_cycle().await;
    assert_eq!(report.tally.sent, 0, "{report:?}");
    assert_eq!(rig.count("messages.sendMedia"), 1, "no retry");
    assert!(rig.media_posts().is_empty());
    let rows = rig.store.posts(CUSTOMER).await.unwrap();
    assert_eq!(
        (rows[0].outcome.as_str(), rows[0].error.as_deref()),
        ("rejected", Some("rejected: MEDIA_CAPTION_TOO_LONG"))
    );
    assert!(restricted.is_empty(), "{restricted:?}");
    assert!(rig.store.pair_blocks(CUSTOMER).await.unwrap().is_empty());
}

/// Telegram's other refusals of a media post, on the wire: a group that wants Stars per
/// message (never paid; the price kept), a closed topic, and a slow-mode group that takes no
/// album. Each fails the slot under its own name, once, and pauses the group for the account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_media_post_refused_for_payment_a_closed_topic_or_an_album_pauses_the_group() {
    let single = [photo(2_500, 15)];
    let album = [photo(2_500, 16), photo(2_600, 17)];
    // (files, the request, Telegram's error, the post log's outcome and error)
    let cases: [(&[Upload], &'static str, &str, &str, &str); 3] = [
        (
            &single,
            "messages.sendMedia",
            "ALLOW_PAYMENT_REQUIRED_25",
            "payment_required",
            "payment_required: 25 stars per message",
        ),
        (
            &single,
            "messages.sendMedia",
            "TOPIC_CLOSED",
            "topic_closed",
            "topic_closed",
        ),
        (
            &album,
            "messages.sendMultiMedia",
            "SLOWMODE_MULTI_MSGS_DISABLED",
            "albums_refused",
            "albums_refused",
        ),
    ];
    for (files, request, error, outcome, detail) in cases {
        let mut rig = media_rig(vec![group(1)], files, "Sale", 60.0).await;
        rig.dc.script(request, Reply::Error(400, error.to_string()));
        let (group_id, _) = rig.groups[0];
        let (report, restricted) = rig.one_cycle().await;
        assert_eq!(report.tally.sent, 0, "{error}: {report:?}");
        assert_eq!(rig.count(request), 1, "{error}: no retry");
        assert!(rig.media_posts().is_empty(), "{error}");
        let rows = rig.store.posts(CUSTOMER).await.unwrap();
        assert_eq!(
            (rows[0].outcome.as_str(), rows[0].error.as_deref()),
            (outcome, Some(detail)),
            "{error}"
        );
        let blocks = rig.store.pair_blocks(CUSTOMER).await.unwrap();
        assert_eq!(blocks.len(), 1, "{error}: {blocks:?}");
        assert_eq!(
            (blocks[0].account_id, blocks[0].group_id),
            (rig.account_id, group_id)
        );
        assert_eq!(restricted.len(), 1, "{error}: {restricted:?}");
    }
}

/// Uploads obey the engine's waits like sends (grammers' `NoRetries`): a FLOOD_WAIT on a part
/// is not slept on inside grammers (the cycle would not end within 15 s); the upload before the
/// send meets it again, and the slot ends as the account's flood wait, stored, nothing sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_wait_during_an_upload_is_the_engines_to_obey_not_slept_on() {
    let mut rig = media_rig(vec![group(1)], &[photo(1_000, 18)], "Sale", 60.0).await;
    for _ in 0..2 {
        rig.dc.script(
            "upload.saveFilePart",
            Reply::Error(420, "FLOOD_WAIT_30".into()),
        );
    }
    let (report, restricted) = rig.one_cycle().await;
    assert_eq!(report.tally.sent, 0, "{report:?}");
    assert_eq!(
        rig.count("upload.saveFilePart"),
        2,
        "set-up, then before the send"
    );
    assert_eq!(rig.count("messages.uploadMedia"), 0);
    assert_eq!(rig.count("messages.sendMedia"), 0);
    let rows = rig.store.posts(CUSTOMER).await.unwrap();
    assert_eq!(rows[0].outcome, "flood_wait", "{rows:?}");
    let waits = rig.store.account_waits(CUSTOMER).await.unwrap();
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert_eq!(waits[0].0, rig.account_id);
    assert_eq!(restricted.len(), 1, "{restricted:?}");
}

/// The same for an album: the connection dies after Telegram posted it; the re-send carries
/// the same per-item ids, Telegram answers RANDOM_ID_DUPLICATE, and no item is posted twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_an_album_is_sent_again_with_the_same_item_ids_and_posts_once() {
    let files = [photo(4_000, 19), photo(4_100, 20), photo(4_200, 21)];
    let mut rig = media_rig(vec![group(1)], &files, "Sale", 60.0).await;
    rig.dc.script("messages.sendMultiMedia", Reply::Drop);
    let (group_id, _) = rig.groups[0];
    let (report, _) = rig.one_cycle().await;

    let sends = rig.dc.state(|s| s.named("messages.sendMultiMedia"));
    assert_eq!(sends.len(), 2, "one send, one re-send");
    let ids = rig.slot_ids(&report, group_id).await;
    for s in &sends {
        let r: tl::functions::messages::SendMultiMedia = s.decode();
        let sent: Vec<i64> = (r.multi_media.iter())
            .map(|tl::enums::InputSingleMedia::Media(m)| m.random_id)
            .collect();
        assert_eq!(sent, (0..3).map(|i| ids.item(i)).collect::<Vec<_>>());
    }
    let posts = rig.media_posts();
    assert_eq!(posts.len(), 1, "posted exactly once");
    assert_eq!(posts[0].items.len(), 3);
    assert_eq!(rig.count("messages.uploadMedia"), 3, "uploaded once");
    let rows = rig.store.posts(CUSTOMER).await.unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (rows[0].outcome.as_str(), rows[0].random_id),
        ("sent", ids.first())
    );
}

/// A supergroup as the source (grammers calls it a group, Telegram a channel): read through
/// the account like a broadcast channel, and passed on from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supergroup_is_a_source_too() {
    let source = Group {
        username: Some("loopsuper".into()),
        title: "Loop super".into(),
        ..group(8)
    };
    let mut rig = LiveRig::build(vec![group(1), source.clone()], 1, "unused", 60.0).await;
    rig.dc.source_messages(source.channel_id, &[3, 4]);
    let info = (rig
        .sources
        .read(rig.account_id, "@loopsuper", &[3, 4])
        .await)
        .expect("a supergroup reads as a source");
    assert_eq!(info.title, "Loop super");
    rig.store
        .set_forward(
            CUSTOMER,
            "@loopsuper",
            vec![3, 4],
            autoposter::schedule::content::ForwardMode::Copy,
            &[],
        )
        .await
        .unwrap();
    let (report, restricted) = rig.one_cycle().await;
    assert_eq!(
        (report.tally.sent, report.tally.failed),
        (1, 0),
        "{report:?}"
    );
    assert!(restricted.is_empty(), "{restricted:?}");
    let forwards = rig.dc.state(|s| s.forwards.posted.clone());
    let [f] = &forwards[..] else {
        panic!("passed on once: {forwards:?}")
    };
    assert_eq!(f.from, (source.channel_id, source.access_hash));
    rig.assert_no_faults();
}

/// The post picked from the account's own Saved Messages, on the wire: the picker's list
/// (`messages.getHistory` of itself, newest first), the check (`messages.getMessages`, a
/// missing one named), and the forward from itself (`forwardMessages` from inputPeerSelf).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_from_the_accounts_saved_messages_is_listed_read_and_passed_on() {
    use autoposter::schedule::content::ForwardMode;
    use autoposter::telegram::source::SourceProblem;
    let mut rig = LiveRig::build(vec![group(1)], 1, "unused", 60.0).await;
    rig.dc.saved_messages(&[101, 102, 103]);
    let listed = (rig.sources.saved(rig.account_id, 10).await).expect("listed");
    let ids: Vec<i32> = listed.iter().map(|m| m.id).collect();
    assert_eq!(ids, [103, 102, 101], "newest first");
    let me = format!("me:{}", rig.account_id);
    assert!(rig.sources.read(rig.account_id, &me, &[102]).await.is_ok());
    assert_eq!(
        rig.sources
            .read(rig.account_id, &me, &[102, 999])
            .await
            .err(),
        Some(SourceProblem::MessageGone(999))
    );
    rig.store
        .set_forward(CUSTOMER, &me, vec![102], ForwardMode::Copy, &[])
        .await
        .unwrap();
    let (report, restricted) = rig.one_cycle().await;
    assert_eq!(
        (report.tally.sent, report.tally.failed),
        (1, 0),
        "{report:?}"
    );
    assert!(restricted.is_empty(), "{restricted:?}");
    let forwards = rig.dc.state(|s| s.forwards.posted.clone());
    let [f] = &forwards[..] else {
        panic!("passed on once: {forwards:?}")
    };
    assert_eq!(
        (f.from, &f.ids[..], f.drop_author),
        ((0, 0), &[102][..], true)
    );
    rig.assert_no_faults();
}
