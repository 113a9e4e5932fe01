//! The engine with the customer's per-group media choices and forum topics, on tokio's
//! paused clock: a group set to "caption as text" gets the caption as one text message with
//! the slot's own random id, "first item" an album's first item alone, "skip" nothing (its
//! slot recorded as skipped, `media_skipped`, not failed), the others the media, each into its
//! topic; the targets are a text post's; a text post ignores every choice.

use std::time::Duration;

use autoposter::schedule::choice::MediaChoice;
use autoposter::schedule::content::{MediaKind, Sha256};
use autoposter::schedule::{Plan, RandomIds};
use autoposter::store::NewMedia;
use autoposter::telegram::ContentKind;

use super::log;
use crate::helpers::{customer, settings, Rig};

const PHOTO: &[u8] = b"\x89PNG the photo";
const VIDEO: &[u8] = b"the mp4 video";

#[tokio::test(start_paused = true)]
async fn each_group_gets_what_its_media_choice_says_in_its_slot_with_the_slots_id() {
    // One account, four groups 3 s apart.
    let c = customer(1, Plan::Enterprise, 1, 4, settings(3.0, 60.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    let files = [
        NewMedia {
            kind: MediaKind::Photo,
            bytes: PHOTO,
            name: None,
            mime: None,
        },
        NewMedia {
            kind: MediaKind::Video,
            bytes: VIDEO,
            name: None,
            mime: None,
        },
    ];
    (rig.store.set_media_content(1, &files, "<b>Sale</b> today"))
        .await
        .unwrap();
    let groups: Vec<i64> = (rig.store.groups(1).await.unwrap().iter())
        .map(|g| g.id)
        .collect();
    let [as_is, caption, skip, first] = groups[..] else {
        panic!("{groups:?}")
    };
    for (group, choice) in [
        (caption, MediaChoice::CaptionAsText),
        (skip, MediaChoice::Skip),
        (first, MediaChoice::FirstItem),
    ] {
        assert!(rig
            .store
            .set_media_choice(1, group, Some(choice))
            .await
            .unwrap());
    }
    assert!(rig.store.set_group_topic(1, as_is, Some(5)).await.unwrap());
    assert!(rig
        .store
        .set_group_topic(1, caption, Some(9))
        .await
        .unwrap());
    rig.engine.start(1, None).await.unwrap();
    let cycle = rig.next_cycle().await;
    rig.engine.stop(1).await.unwrap();
    rig.finish().await;
    assert_eq!(
        (cycle.tally.sent, cycle.tally.failed, cycle.tally.skipped),
        (3, 0, 1)
    );
    let key = (rig.store.snapshot(1).await.unwrap().unwrap())
        .post_key
        .unwrap();
    let sent = rig.sim.sent();
    let first_at = sent.iter().map(|s| s.at).min().unwrap();
    let (p, v) = (Sha256::of(PHOTO), Sha256::of(VIDEO));
    let seen: Vec<_> = (sent.iter())
        .map(|s| {
            (
                s.at - first_at,
                s.group_id,
                s.kind,
                s.html.as_str(),
                s.media.clone(),
                s.topic,
            )
        })
        .collect();
    let secs = Duration::from_secs;
    assert_eq!(
        seen,
        [
            (
                secs(0),
                as_is,
                ContentKind::Album,
                "<b>Sale</b> today",
                vec![p, v],
                Some(5)
            ),
            (
                secs(3),
                caption,
                ContentKind::Text,
                "<b>Sale</b> today",
                vec![],
                Some(9)
            ),
            // The skipped group's slot at 6 s stays empty; the next keeps its target.
            (
                secs(9),
                first,
                ContentKind::Photo,
                "<b>Sale</b> today",
                vec![p],
                None
            ),
        ]
    );
    for s in &sent {
        let ids = RandomIds::of(key, cycle.seq, 1, s.group_id);
        let want: Vec<i64> = (0..s.item_ids.len()).map(|i| ids.item(i)).collect();
        assert_eq!(s.item_ids, want, "group {}", s.group_id);
        assert_eq!(s.random_id, ids.first(), "the slot's own id");
    }
    let rows: Vec<_> = (log(&rig, 1).await.into_iter())
        .map(|(_, _, group, outcome, error)| (group, outcome, error))
        .collect();
    assert_eq!(
        rows,
        [
            (as_is, "sent".into(), None),
            (caption, "sent".into(), None),
            (skip, "skipped".into(), Some("media_skipped".into())),
            (first, "sent".into(), None),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_text_post_ignores_every_media_choice() {
    let c = customer(1, Plan::Enterprise, 1, 3, settings(3.0, 60.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    let groups: Vec<i64> = (rig.store.groups(1).await.unwrap().iter())
        .map(|g| g.id)
        .collect();
    for (group, choice) in groups.iter().zip(MediaChoice::ALL) {
        assert!(rig
            .store
            .set_media_choice(1, *group, Some(choice))
            .await
            .unwrap());
    }
    rig.engine.start(1, None).await.unwrap();
    let cycle = rig.next_cycle().await;
    rig.engine.stop(1).await.unwrap();
    rig.finish().await;
    assert_eq!((cycle.tally.sent, cycle.tally.skipped), (3, 0));
    let kinds: Vec<_> = (rig.sim.sent().iter())
        .map(|s| (s.group_id, s.kind))
        .collect();
    let want: Vec<_> = groups.iter().map(|g| (*g, ContentKind::Text)).collect();
    assert_eq!(kinds, want);
}
