//! The engine with what rich posts bring: groups refusing media, asking for payment, with a
//! closed or deleted topic or refusing albums (paused for that account only), stale media
//! references (sent again at once with the same random id), silent posts and forum topics.

use std::time::Duration;

use autoposter::schedule::Plan;
use autoposter::store::Restriction;
use autoposter::telegram::sim::Target;
use autoposter::telegram::{ContentKind, GroupRefusal, Media, Outcome, GENERAL_TOPIC};

use super::log;
use crate::helpers::{customer, settings, Rig};

fn slot(account_id: i64, group_id: i64) -> Target {
    Target::Slot {
        account_id,
        group_id,
    }
}

#[tokio::test(start_paused = true)]
async fn groups_refusing_media_payment_topics_or_albums_are_paused_for_that_account_only() {
    // 2 accounts × 3 groups, 3 s apart, no pause between cycles.
    let c = customer(1, Plan::Enterprise, 2, 3, settings(3.0, 0.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    let refused = Outcome::GroupRefused;
    rig.sim.inject(
        slot(1, 1),
        refused(GroupRefusal::MediaForbidden(Media::Any)),
    );
    let price = GroupRefusal::PaymentRequired { stars: Some(250) };
    rig.sim.inject(slot(1, 2), refused(price));
    rig.sim
        .inject(slot(2, 3), refused(GroupRefusal::TopicClosed));
    rig.sim
        .inject(slot(2, 1), refused(GroupRefusal::AlbumsRefused));
    let t0 = rig.engine.start(1, None).await.unwrap().first_cycle_at;
    let first = rig.next_cycle().await;
    let second = rig.next_cycle().await;
    rig.finish().await;
    assert_eq!(
        (first.tally.sent, first.tally.failed, first.tally.skipped),
        (2, 4, 0)
    );
    assert_eq!(
        (second.tally.sent, second.tally.failed, second.tally.skipped),
        (2, 0, 4),
        "each refusing pair is skipped, the others post"
    );
    // The others go on, on time: account 1 in group 3 at 6 s, account 2 in group 2 at 3 s,
    // in both cycles (the second starts when the first's sessions end, at 9 s).
    let mut posted: Vec<_> = (rig.sim.sent().iter())
        .filter(|x| [(1, 3), (2, 2)].contains(&(x.account_id, x.group_id)))
        .map(|x| (x.at - t0, x.account_id, x.group_id))
        .collect();
    posted.sort();
    let s = Duration::from_secs;
    assert_eq!(
        posted,
        [(s(3), 2, 2), (s(6), 1, 3), (s(12), 2, 2), (s(15), 1, 3)]
    );
    let mut reasons: Vec<_> = (rig.restricted.iter())
        .map(|r| match r {
            Restriction::PairBlock {
                account_id,
                group_id,
                reason,
                stars,
                ..
            } => (*account_id, *group_id, reason.clone(), *stars),
            other => panic!("{other:?}"),
        })
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            (1, 1, "media_forbidden".to_string(), None),
            (1, 2, "payment_required".to_string(), Some(250)),
            (2, 1, "albums_refused".to_string(), None),
            (2, 3, "topic_closed".to_string(), None),
        ]
    );
    let mut stored: Vec<_> = (rig.store.pair_blocks(1).await.unwrap().into_iter())
        .map(|b| (b.account_id, b.group_id, b.reason, b.stars))
        .collect();
    stored.sort();
    assert_eq!(stored, reasons, "kept with the price for the notice");
    let mut second_log: Vec<_> = (log(&rig, 1).await.into_iter())
        .filter(|r| r.0 == second.seq)
        .map(|r| (r.1, r.2, r.3, r.4))
        .collect();
    second_log.sort();
    let paused = || ("skipped".to_string(), Some("group_paused".to_string()));
    assert_eq!(
        second_log,
        [
            (1, 1, paused().0, paused().1),
            (1, 2, paused().0, paused().1),
            (1, 3, "sent".to_string(), None),
            (2, 1, paused().0, paused().1),
            (2, 2, "sent".to_string(), None),
            (2, 3, paused().0, paused().1),
        ]
    );
    let payment_row = (log(&rig, 1).await.into_iter())
        .find(|r| (r.0, r.1, r.2) == (first.seq, 1, 2))
        .unwrap();
    assert_eq!(
        (payment_row.3.as_str(), payment_row.4.as_deref()),
        (
            "payment_required",
            Some("payment_required: 250 stars per message")
        )
    );
}

#[tokio::test(start_paused = true)]
async fn a_stale_file_reference_is_sent_again_at_once_with_the_same_random_id_and_posts_once() {
    let c = customer(1, Plan::Enterprise, 1, 2, settings(3.0, 60.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    rig.sim.inject(slot(1, 1), Outcome::StaleFile);
    let t0 = rig.engine.start(1, None).await.unwrap().first_cycle_at;
    let cycle = rig.next_cycle().await;
    rig.engine.stop(1).await.unwrap();
    rig.finish().await;
    assert_eq!((cycle.tally.sent, cycle.tally.failed), (2, 0));
    let tries: Vec<_> = (rig.sim.sent().iter())
        .map(|x| (x.at - t0, x.group_id, x.random_id))
        .collect();
    let rows = rig.store.posts(1).await.unwrap();
    let id = |group| rows.iter().find(|r| r.group_id == group).unwrap().random_id;
    assert_eq!(
        tries,
        [
            (Duration::ZERO, 1, id(1)),
            (Duration::ZERO, 1, id(1)),
            (Duration::from_secs(3), 2, id(2)),
        ],
        "the same id again at once; the next group keeps its target"
    );
    assert!(
        rig.sim.duplicates().is_empty(),
        "the stale try posted nothing"
    );
    let outcomes: Vec<_> = (log(&rig, 1).await.into_iter())
        .map(|r| (r.2, r.3))
        .collect();
    assert_eq!(outcomes, [(1, "sent".into()), (2, "sent".into())]);
    assert!(
        rig.restricted.is_empty(),
        "neither group nor account blamed"
    );
}

#[tokio::test(start_paused = true)]
async fn a_silent_customers_posts_carry_silent_and_a_topic_groups_posts_carry_the_topic() {
    let loud = customer(1, Plan::Enterprise, 1, 3, settings(3.0, 60.0, None));
    let quiet = customer(2, Plan::Enterprise, 1, 1, settings(3.0, 60.0, None));
    let mut rig = Rig::new(&[loud, quiet], Duration::ZERO).await;
    rig.store.set_silent(2, true).await.unwrap();
    let groups = rig.store.groups(1).await.unwrap();
    let (plain, forum, general) = (groups[0].id, groups[1].id, groups[2].id);
    assert!(rig.store.set_group_topic(1, forum, Some(77)).await.unwrap());
    let set = rig.store.set_group_topic(1, general, Some(GENERAL_TOPIC));
    assert!(set.await.unwrap());
    rig.engine.start(1, None).await.unwrap();
    rig.engine.start(2, None).await.unwrap();
    rig.next_cycle().await;
    rig.next_cycle().await;
    rig.engine.stop(1).await.unwrap();
    rig.engine.stop(2).await.unwrap();
    rig.finish().await;
    let quiet_group = rig.store.groups(2).await.unwrap()[0].id;
    let mut carried: Vec<_> = (rig.sim.sent().iter())
        .map(|x| {
            (
                x.group_id,
                x.topic,
                x.silent,
                x.kind,
                x.item_ids == [x.random_id],
            )
        })
        .collect();
    carried.sort_by_key(|c| c.0);
    let text = ContentKind::Text;
    assert_eq!(
        carried,
        [
            (plain, None, false, text, true),
            (forum, Some(77), false, text, true),
            (general, None, false, text, true),
            (quiet_group, None, true, text, true),
        ]
    );
}
