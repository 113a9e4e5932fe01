//! The engine with media posts, on tokio's paused clock: each account uploads each file once,
//! before the cycle's first target (every target and wait counts from the start taken after
//! the uploads), and reuses it for every group and later cycles; a stale reference is
//! uploaded again and the slot sent again with the same random ids; an album's ids are
//! derived per item.

use std::time::Duration;

use autoposter::schedule::content::{MediaKind, Sha256};
use autoposter::schedule::{Plan, RandomIds};
use autoposter::store::NewMedia;
use autoposter::telegram::sim::Target;
use autoposter::telegram::{ContentKind, Outcome};
use tokio::time::Instant;

use super::log;
use crate::helpers::{customer, settings, Rig};

const PHOTO: &[u8] = b"\x89PNG a photo";
const VIDEO: &[u8] = b"an mp4 video";

/// (since the first send, account, group) of every send.
pub(super) fn timeline(rig: &Rig) -> Vec<(Duration, i64, i64)> {
    let sent = rig.sim.sent();
    let first = sent.iter().map(|s| s.at).min().unwrap();
    let mut t: Vec<_> = (sent.iter())
        .map(|s| (s.at - first, s.account_id, s.group_id))
        .collect();
    t.sort();
    t
}

async fn album(rig: &Rig, customer_id: i64) {
    let files = [
        NewMedia {
            kind: MediaKind::Photo,
            bytes: PHOTO,
            name: Some("offer.jpg"),
            mime: Some("image/jpeg"),
        },
        NewMedia {
            kind: MediaKind::Video,
            bytes: VIDEO,
            name: None,
            mime: None,
        },
    ];
    let set = rig
        .store
        .set_media_content(customer_id, &files, "<b>two</b>");
    set.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn each_account_uploads_each_file_once_before_the_first_target_and_reuses_it() {
    // 2 accounts × 3 groups, 3 s apart, no pause between cycles; uploads take 5 s each.
    let s = settings(3.0, 0.0, None);
    let mut text = Rig::new(&[customer(1, Plan::Enterprise, 2, 3, s)], Duration::ZERO).await;
    text.engine.start(1, None).await.unwrap();
    text.next_cycle().await;
    text.next_cycle().await;
    text.finish().await;

    let mut rig = Rig::new(&[customer(1, Plan::Enterprise, 2, 3, s)], Duration::ZERO).await;
    album(&rig, 1).await;
    rig.sim.set_upload_latency(Duration::from_secs(5));
    let t0 = Instant::now();
    rig.engine.start(1, None).await.unwrap();
    let first = rig.next_cycle().await;
    let second = rig.next_cycle().await;
    rig.finish().await;
    assert_eq!((first.tally.sent, second.tally.sent), (6, 6));
    // Two accounts side by side, each its two files one after the other: 0 s and 5 s.
    let mut uploads: Vec<_> = (rig.sim.uploads().iter())
        .map(|u| (u.at - t0, u.account_id, u.sha256))
        .collect();
    uploads.sort();
    // Each upload carries the name and type the customer's file had (none given: none).
    let named: Vec<_> = (rig.sim.uploads().into_iter())
        .map(|u| (u.sha256, u.name, u.mime))
        .collect();
    for (hash, name, mime) in named {
        let expected = if hash == Sha256::of(PHOTO) {
            (
                Some("offer.jpg".to_string()),
                Some("image/jpeg".to_string()),
            )
        } else {
            (None, None)
        };
        assert_eq!((name, mime), expected);
    }
    let (p, v) = (Sha256::of(PHOTO), Sha256::of(VIDEO));
    let s5 = Duration::from_secs(5);
    assert_eq!(
        uploads,
        [
            (Duration::ZERO, 1, p),
            (Duration::ZERO, 2, p),
            (s5, 1, v),
            (s5, 2, v)
        ],
        "once per account and file, for both cycles and every group"
    );
    let sends = rig.sim.sent();
    let first_send = sends.iter().map(|x| x.at).min().unwrap();
    assert_eq!(first_send - t0, 2 * s5, "the cycle starts once uploaded");
    // The two cycles waited for (a third one may begin at 18 s, with no pause between cycles,
    // before the rig shuts the engine down).
    let two_cycles = |rig: &Rig| {
        let mut t = timeline(rig);
        t.retain(|(at, _, _)| *at < Duration::from_secs(18));
        t
    };
    assert_eq!(
        two_cycles(&rig),
        two_cycles(&text),
        "the posts keep a text post's exact targets and spacing"
    );
    assert_eq!(two_cycles(&rig).len(), 12);
    assert_eq!(rig.sim.not_uploaded(), 0, "no send waited for a file");
    for x in &sends {
        assert_eq!(
            (x.kind, x.item_ids.len(), x.media.clone(), x.source.clone()),
            (ContentKind::Album, 2, vec![p, v], None)
        );
        assert_eq!(x.html, "<b>two</b>");
    }
}

#[tokio::test(start_paused = true)]
async fn a_stale_reference_is_uploaded_again_and_sent_with_the_same_ids_once() {
    let c = customer(1, Plan::Enterprise, 1, 2, settings(3.0, 60.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    album(&rig, 1).await;
    let slot = Target::Slot {
        account_id: 1,
        group_id: 1,
    };
    rig.sim.inject(slot, Outcome::StaleFile);
    rig.engine.start(1, None).await.unwrap();
    let cycle = rig.next_cycle().await;
    rig.engine.stop(1).await.unwrap();
    rig.finish().await;
    assert_eq!((cycle.tally.sent, cycle.tally.failed), (2, 0));
    let tries: Vec<_> = (rig.sim.sent().iter())
        .map(|x| (x.group_id, x.item_ids.clone()))
        .collect();
    assert_eq!(tries.len(), 3);
    assert_eq!(tries[0], tries[1], "the same ids again");
    assert_eq!(tries[0].0, 1);
    assert_eq!(tries[2].0, 2);
    assert!(
        rig.sim.duplicates().is_empty(),
        "the stale try posted nothing"
    );
    let uploads: Vec<_> = (rig.sim.uploads().iter())
        .map(|u| (u.account_id, u.sha256))
        .collect();
    let (p, v) = (Sha256::of(PHOTO), Sha256::of(VIDEO));
    assert_eq!(uploads, [(1, p), (1, v), (1, p), (1, v)], "uploaded again");
    assert_eq!(rig.sim.not_uploaded(), 0);
    let outcomes: Vec<_> = (log(&rig, 1).await.into_iter())
        .map(|r| (r.2, r.3))
        .collect();
    assert_eq!(outcomes, [(1, "sent".into()), (2, "sent".into())]);
}

#[tokio::test(start_paused = true)]
async fn an_albums_ids_are_the_slots_derived_per_item_and_distinct() {
    let c = customer(1, Plan::Enterprise, 2, 2, settings(3.0, 60.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    album(&rig, 1).await;
    rig.engine.start(1, None).await.unwrap();
    let cycle = rig.next_cycle().await;
    rig.engine.stop(1).await.unwrap();
    rig.finish().await;
    let key = rig
        .store
        .snapshot(1)
        .await
        .unwrap()
        .unwrap()
        .post_key
        .unwrap();
    let rows = rig.store.posts(1).await.unwrap();
    let sent = rig.sim.sent();
    assert_eq!(sent.len(), 4);
    let mut all = std::collections::HashSet::new();
    for x in &sent {
        let ids = RandomIds::of(key, cycle.seq, x.account_id, x.group_id);
        assert_eq!(x.item_ids, [ids.item(0), ids.item(1)]);
        assert_ne!(x.item_ids[0], x.item_ids[1]);
        let row = (rows.iter())
            .find(|r| (r.account_id, r.group_id) == (x.account_id, x.group_id))
            .unwrap();
        assert_eq!(
            row.random_id, x.item_ids[0],
            "the log keeps the first item's"
        );
        all.extend(x.item_ids.iter().copied());
    }
    assert_eq!(all.len(), 8, "no two items of the cycle share an id");
}

#[tokio::test(start_paused = true)]
async fn a_stop_while_the_files_upload_is_obeyed_at_once_and_nothing_is_posted() {
    let c = customer(1, Plan::Enterprise, 1, 2, settings(3.0, 60.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    album(&rig, 1).await;
    rig.sim.set_upload_latency(Duration::from_secs(5));
    let t0 = Instant::now();
    rig.engine.start(1, None).await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    rig.engine.stop(1).await.unwrap();
    assert_eq!(
        Instant::now() - t0,
        Duration::from_secs(2),
        "not kept waiting"
    );
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(rig.sim.sent().is_empty(), "{:?}", rig.sim.sent());
    rig.finish().await;
}

#[tokio::test(start_paused = true)]
async fn an_upload_again_at_send_time_keeps_the_floor_from_when_the_post_left() {
    // One account, two groups 3 s apart; group 1's file goes stale and each upload takes 10 s.
    let c = customer(1, Plan::Enterprise, 1, 2, settings(3.0, 60.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    album(&rig, 1).await;
    rig.sim.inject(
        Target::Slot {
            account_id: 1,
            group_id: 1,
        },
        Outcome::StaleFile,
    );
    rig.sim.set_upload_latency(Duration::from_secs(10));
    rig.engine.start(1, None).await.unwrap();
    rig.next_cycle().await;
    rig.engine.stop(1).await.unwrap();
    rig.finish().await;
    let sent = rig.sim.sent();
    let at = |group: i64| {
        sent.iter()
            .filter(|s| s.group_id == group)
            .map(|s| s.at)
            .max()
    };
    let (g1, g2) = (at(1).unwrap(), at(2).unwrap());
    assert!(
        g2 - g1 >= Duration::from_millis(2_995),
        "group 2 went {:?} after group 1's post left",
        g2 - g1
    );
}

#[tokio::test(start_paused = true)]
async fn a_stored_album_changed_by_hand_into_no_post_is_refused_and_nothing_is_sent() {
    use autoposter::engine::EngineError;
    use autoposter::schedule::content::ContentRefusal;
    use autoposter::store::StoreError;
    let c = customer(1, Plan::Enterprise, 1, 2, settings(3.0, 60.0, None));
    let (mut rig, url, dir) = super::file_rig(c).await;
    album(&rig, 1).await;
    // A document among the photos and videos: no album Telegram takes.
    let mut db = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    sqlx::query("UPDATE post_items SET kind = 'document' WHERE position = 1")
        .execute(&mut db)
        .await
        .unwrap();
    <sqlx::AnyConnection as sqlx::Connection>::close(db)
        .await
        .unwrap();
    let refused = rig.engine.start(1, None).await.unwrap_err();
    assert!(
        matches!(
            refused,
            EngineError::Store(StoreError::Content(ContentRefusal::DocumentsMixed))
        ),
        "{refused:?}"
    );
    assert!(!rig.engine.is_running(1));
    tokio::time::sleep(Duration::from_secs(600)).await;
    rig.finish().await;
    assert!(rig.sim.sent().is_empty() && rig.sim.uploads().is_empty());
    let _ = std::fs::remove_dir_all(dir);
}
