//! The engine with posts passed on from a source chat, on tokio's paused clock: every account
//! forwards (or copies) the source's messages into every group with one random id per
//! message, derived from the slot, keeping a text post's exact targets; nothing is uploaded;
//! a resend after a lost answer carries the same ids and posts once.

use std::time::Duration;

use autoposter::schedule::content::{ForwardMode, ForwardSource};
use autoposter::schedule::{Plan, RandomIds};
use autoposter::telegram::sim::Target;
use autoposter::telegram::ContentKind;

use super::media::timeline;
use crate::helpers::{customer, settings, Rig};

#[tokio::test(start_paused = true)]
async fn every_account_passes_the_source_on_with_per_message_ids_at_a_text_posts_targets() {
    let s = settings(3.0, 60.0, None);
    let mut text = Rig::new(&[customer(1, Plan::Enterprise, 2, 2, s)], Duration::ZERO).await;
    text.engine.start(1, None).await.unwrap();
    text.next_cycle().await;
    text.engine.stop(1).await.unwrap();
    text.finish().await;

    for mode in ForwardMode::ALL {
        let mut rig = Rig::new(&[customer(1, Plan::Enterprise, 2, 2, s)], Duration::ZERO).await;
        let set = rig
            .store
            .set_forward(1, "@our_channel", vec![40, 41, 42], mode, &[7]);
        set.await.unwrap();
        rig.engine.start(1, None).await.unwrap();
        let cycle = rig.next_cycle().await;
        rig.engine.stop(1).await.unwrap();
        rig.finish().await;
        assert_eq!((cycle.tally.sent, cycle.tally.failed), (4, 0), "{mode:?}");
        assert_eq!(timeline(&rig), timeline(&text), "a text post's targets");
        let kind = match mode {
            ForwardMode::Forward => ContentKind::Forward,
            ForwardMode::Copy => ContentKind::Copy,
        };
        let source = ForwardSource {
            chat: "@our_channel".into(),
            message_ids: vec![40, 41, 42],
        };
        let key = rig
            .store
            .snapshot(1)
            .await
            .unwrap()
            .unwrap()
            .post_key
            .unwrap();
        for x in rig.sim.sent() {
            let ids = RandomIds::of(key, 1, x.account_id, x.group_id);
            assert_eq!(x.kind, kind);
            assert_eq!(x.source.as_ref(), Some(&source));
            assert_eq!(x.item_ids, [ids.item(0), ids.item(1), ids.item(2)]);
            assert_eq!(x.random_id, ids.first(), "the slot's own id first");
            assert!(x.media.is_empty() && x.html.is_empty());
        }
        assert!(rig.sim.uploads().is_empty(), "a forward uploads nothing");
        // Every account looked the source up at the cycle's set-up, before its first send.
        let first_send = rig.sim.sent().iter().map(|x| x.at).min().unwrap();
        let looked_up: Vec<_> = (rig.sim.sources_prepared().into_iter())
            .map(|(at, account, chat)| (at <= first_send, account, chat))
            .collect();
        let chat = "@our_channel".to_string();
        assert_eq!(looked_up, [(true, 1, chat.clone()), (true, 2, chat)]);
    }
}

#[tokio::test(start_paused = true)]
async fn a_lost_answer_is_sent_again_with_the_same_ids_and_posts_once() {
    let c = customer(1, Plan::Enterprise, 1, 2, settings(3.0, 60.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    let set = rig
        .store
        .set_forward(1, "-1001234", vec![5, 6], ForwardMode::Copy, &[]);
    set.await.unwrap();
    let slot = Target::Slot {
        account_id: 1,
        group_id: 1,
    };
    rig.sim.lose_answer(slot);
    rig.engine.start(1, None).await.unwrap();
    let cycle = rig.next_cycle().await;
    rig.engine.stop(1).await.unwrap();
    rig.finish().await;
    assert_eq!((cycle.tally.sent, cycle.tally.failed), (2, 0));
    let sent = rig.sim.sent();
    assert_eq!(sent.len(), 2, "posted once per group");
    let again = rig.sim.duplicates();
    assert_eq!(again.len(), 1, "the resend was recognised");
    assert_eq!(again[0].item_ids, sent[0].item_ids, "with the same ids");
}

/// A post from account 1's Saved Messages: account 1 passes it on; account 2 takes no part
/// (it could only post its own saved message with that id): no slot of its, nothing failed.
#[tokio::test(start_paused = true)]
async fn saved_messages_are_passed_on_by_their_account_only() {
    let c = customer(1, Plan::Enterprise, 2, 1, settings(3.0, 60.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    let set = rig
        .store
        .set_forward(1, "me:1", vec![102], ForwardMode::Copy, &[]);
    set.await.unwrap();
    rig.engine.start(1, None).await.unwrap();
    let cycle = rig.next_cycle().await;
    rig.engine.stop(1).await.unwrap();
    rig.finish().await;
    assert_eq!((cycle.tally.sent, cycle.tally.failed), (1, 0));
    let sent: Vec<_> = rig.sim.sent().iter().map(|x| x.account_id).collect();
    assert_eq!(sent, [1]);
    let rows = rig.store.posts(1).await.unwrap();
    let accounts: Vec<_> = rows
        .iter()
        .map(|r| (r.account_id, r.outcome.as_str()))
        .collect();
    assert_eq!(accounts, [(1, "sent")]);
    assert!(rig.store.pair_blocks(1).await.unwrap().is_empty());
}
