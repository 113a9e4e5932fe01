//! The engine on tokio's paused clock and the simulated transport: exact instants, no drift,
//! stop mid-sleep, settings applied from the next cycle, no overlapping cycles, outcomes.

use std::time::Duration;

use autoposter::engine::{CycleReport, EngineError};
use autoposter::schedule::{slot_random_id, Mode, NotReady, Plan, PlanError, ScheduleError};
use autoposter::store::{AccountStatus, CycleStatus, PlanGrant, Restriction};
use autoposter::telegram::sim::Target;
use autoposter::telegram::{GroupRefusal, Outcome};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::helpers::{customer, settings, Rig};

mod forward;
mod media;
mod rich;

fn s(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

/// (seconds after `origin`, account, group) of every send so far.
fn sends(rig: &Rig, origin: Instant) -> Vec<(Duration, i64, i64)> {
    let mut v: Vec<_> = rig
        .sim
        .sent()
        .iter()
        .map(|x| (x.at - origin, x.account_id, x.group_id))
        .collect();
    v.sort();
    v
}

#[tokio::test(start_paused = true)]
async fn the_seeds_worked_example_is_reproduced_and_re_anchored_every_cycle() {
    // 2 accounts, 60 minutes: offsets 0 and 1800 s; 3 groups, 3 s apart; 5 s between cycles.
    let c = customer(1, Plan::Starter, 2, 3, settings(3.0, 5.0, Some(60.0)));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    let started = rig.engine.start(1, None).await.unwrap();
    let origin = started.first_cycle_at;
    let first = rig.next_cycle().await;
    let second = rig.next_cycle().await;
    rig.finish().await;

    assert_eq!(first.start, origin);
    let offsets: Vec<_> = first
        .sessions
        .iter()
        .map(|x| x.start - first.start)
        .collect();
    assert_eq!(offsets, vec![s(0), s(1800)]);
    assert_eq!(
        first.ended - origin,
        s(1809),
        "account 2 ends after its 3 posts × 3 s"
    );
    // Cycle 2 starts delay_between_cycles after cycle 1's last session ends, re-anchored.
    assert_eq!(second.start, first.ended + s(5));
    let offsets: Vec<_> = second
        .sessions
        .iter()
        .map(|x| x.start - second.start)
        .collect();
    assert_eq!(offsets, vec![s(0), s(1800)]);

    let c2 = 1814;
    let want: Vec<(Duration, i64, i64)> = vec![
        (s(0), 1, 1),
        (s(3), 1, 2),
        (s(6), 1, 3),
        (s(1800), 2, 1),
        (s(1803), 2, 2),
        (s(1806), 2, 3),
        (s(c2), 1, 1),
        (s(c2 + 3), 1, 2),
        (s(c2 + 6), 1, 3),
        (s(c2 + 1800), 2, 1),
        (s(c2 + 1803), 2, 2),
        (s(c2 + 1806), 2, 3),
    ];
    assert_eq!(sends(&rig, origin)[..12], want[..]);
}

#[tokio::test(start_paused = true)]
async fn a_hundred_cycles_put_every_post_exactly_on_its_target() {
    // 3 accounts over 1.5 min: offsets 0, 30, 60 s; 4 groups × 3.5 s = 14 s sessions; the
    // cycle spans 74 s, then 2.25 s between cycles: cycle c starts at c × 76.25 s.
    let c = customer(1, Plan::Starter, 3, 4, settings(3.5, 2.25, Some(1.5)));
    let mut rig = Rig::new(&[c], Duration::from_millis(40)).await;
    let origin = rig.engine.start(1, None).await.unwrap().first_cycle_at;
    for _ in 0..100 {
        let report = rig.next_cycle().await;
        assert!(report.completed);
        assert_eq!(report.max_lateness, Duration::ZERO, "cycle {}", report.seq);
    }
    rig.finish().await;
    let got = sends(&rig, origin);
    let mut want = Vec::new();
    for cycle in 0..100u64 {
        let start = Duration::from_millis(cycle * 76_250);
        for account in 0..3u64 {
            for group in 0..4u64 {
                let at = start + s(30 * account) + Duration::from_millis(3_500 * group);
                want.push((at, account as i64 + 1, group as i64 + 1));
            }
        }
    }
    want.sort();
    assert_eq!(got[..want.len()], want[..]);
    assert!(
        got.len() <= want.len() + 12,
        "only the interrupted 101st cycle may add posts"
    );
    // The post log agrees: every row sent on time, target and actual recorded.
    let rows = rig.store.posts(1).await.unwrap();
    let cycle_rows: Vec<_> = rows.iter().filter(|r| r.outcome == "sent").collect();
    assert!(cycle_rows.len() >= 1200);
    assert!(cycle_rows
        .iter()
        .all(|r| r.lateness_us == Some(0) && r.sent_at == Some(r.target_at)));
}

#[tokio::test(start_paused = true)]
async fn enterprise_sessions_all_start_at_the_cycle_start() {
    let c = customer(1, Plan::Enterprise, 5, 2, settings(4.0, 10.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    let origin = rig.engine.start(1, None).await.unwrap().first_cycle_at;
    let first = rig.next_cycle().await;
    let second = rig.next_cycle().await;
    rig.finish().await;
    assert!(first.sessions.iter().all(|x| x.start == first.start));
    assert!(second.sessions.iter().all(|x| x.start == second.start));
    assert_eq!(first.ended - first.start, s(8));
    assert_eq!(second.start - origin, s(18));
    let got = sends(&rig, origin);
    let at_zero: Vec<_> = got.iter().filter(|x| x.0 == s(0)).map(|x| x.1).collect();
    assert_eq!(at_zero, vec![1, 2, 3, 4, 5]);
    let at_18: Vec<_> = got.iter().filter(|x| x.0 == s(18)).map(|x| x.1).collect();
    assert_eq!(at_18, vec![1, 2, 3, 4, 5]);
}

#[tokio::test(start_paused = true)]
async fn stop_in_the_middle_of_a_sleep_means_no_further_post() {
    let c = customer(1, Plan::Starter, 2, 3, settings(10.0, 5.0, Some(10.0)));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    let origin = rig.engine.start(1, None).await.unwrap().first_cycle_at;
    // Account 1 posted at 0 s and 10 s and sleeps until 20 s; account 2 waits for 300 s.
    tokio::time::sleep(s(15)).await;
    assert_eq!(rig.sim.sent().len(), 2);
    let before = Instant::now();
    rig.engine.stop(1).await.unwrap();
    assert_eq!(
        Instant::now(),
        before,
        "stop returns without waiting for any sleep"
    );
    assert!(!rig.engine.is_running(1));
    tokio::time::sleep(s(3 * 3600)).await;
    assert_eq!(sends(&rig, origin), vec![(s(0), 1, 1), (s(10), 1, 2)]);
    let cycles = rig.store.cycles(1).await.unwrap();
    assert_eq!(cycles.len(), 1);
    assert_eq!(cycles[0].status, CycleStatus::Stopped);
    assert_eq!(cycles[0].sent, 2);
    assert!(rig.store.running_customers().await.unwrap().is_empty());
    rig.finish().await;
}

#[tokio::test(start_paused = true)]
async fn stop_during_the_pause_between_cycles_is_immediate_too() {
    let c = customer(1, Plan::Enterprise, 1, 1, settings(3.0, 3600.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    rig.engine.start(1, None).await.unwrap();
    rig.next_cycle().await;
    tokio::time::sleep(s(60)).await;
    let before = Instant::now();
    rig.engine.stop(1).await.unwrap();
    assert_eq!(Instant::now(), before);
    tokio::time::sleep(s(7200)).await;
    assert_eq!(rig.sim.sent().len(), 1);
    assert_eq!(
        rig.engine.stop(1).await.unwrap_err().to_string(),
        "customer 1 is not running"
    );
    rig.finish().await;
}

#[tokio::test(start_paused = true)]
async fn a_settings_change_mid_cycle_applies_from_the_next_cycle() {
    let c = customer(1, Plan::Starter, 2, 3, settings(3.0, 5.0, Some(10.0)));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    let origin = rig.engine.start(1, None).await.unwrap().first_cycle_at;
    tokio::time::sleep(s(100)).await; // account 1 done, account 2 due at 300 s
    rig.store
        .save_settings(1, &settings(7.0, 20.0, Some(20.0)))
        .await
        .unwrap();
    let first = rig.next_cycle().await;
    let second = rig.next_cycle().await;
    rig.finish().await;
    // Cycle 1 keeps 3 s posts, 300 s offsets and, after it, its own 5 s pause.
    assert_eq!(first.ended - origin, s(309));
    assert_eq!(second.start - origin, s(314));
    // Cycle 2: 7 s between posts, offsets 0 and 600 s, 20 s pause afterwards.
    let got = sends(&rig, origin);
    let want = vec![
        (s(0), 1, 1),
        (s(3), 1, 2),
        (s(6), 1, 3),
        (s(300), 2, 1),
        (s(303), 2, 2),
        (s(306), 2, 3),
        (s(314), 1, 1),
        (s(321), 1, 2),
        (s(328), 1, 3),
        (s(914), 2, 1),
        (s(921), 2, 2),
        (s(928), 2, 3),
    ];
    assert_eq!(got[..12], want[..]);
    assert_eq!(second.delay_between_cycles, s(20));
}

#[tokio::test(start_paused = true)]
async fn two_cycles_of_one_customer_never_overlap() {
    // Sends take 5 s, longer than the 3 s delay: sessions run late and the next cycle waits
    // for the real end, not the planned one.
    let c = customer(1, Plan::Enterprise, 3, 4, settings(3.0, 1.0, None));
    let mut rig = Rig::new(&[c], s(5)).await;
    rig.engine.start(1, None).await.unwrap();
    let mut reports = Vec::new();
    for _ in 0..5 {
        reports.push(rig.next_cycle().await);
    }
    // Two seconds into cycle 6, a second cycle of the same customer is refused outright.
    tokio::time::sleep(s(2)).await;
    let refused = rig
        .engine
        .run_cycle(1, None, &CancellationToken::new())
        .await;
    assert!(
        matches!(refused, Err(EngineError::CycleInProgress(1))),
        "{refused:?}"
    );
    rig.finish().await;
    for pair in reports.windows(2) {
        assert_eq!(pair[1].start, pair[0].ended + s(1));
    }
    // Every send of cycle n+1 starts after every send of cycle n (plus its delay).
    let sent = rig.sim.sent();
    for pair in reports.windows(2) {
        let last_of_first = sent
            .iter()
            .filter(|x| x.at < pair[1].start)
            .map(|x| x.at)
            .max()
            .unwrap();
        assert!(last_of_first + s(3) <= pair[1].start);
    }
    // The floor held between consecutive sends of each account despite the slow sends.
    for account in 1..=3 {
        let times: Vec<_> = sent
            .iter()
            .filter(|x| x.account_id == account)
            .map(|x| x.at)
            .collect();
        assert!(times.windows(2).all(|w| w[1] - w[0] >= s(3)));
    }
}

#[tokio::test(start_paused = true)]
async fn a_flood_wait_skips_the_slots_it_covers_and_resumes_after_it() {
    let c = customer(1, Plan::Enterprise, 2, 6, settings(3.0, 5.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    rig.sim
        .inject(Target::Account(1), Outcome::FloodWait(s(10)));
    let origin = rig.engine.start(1, None).await.unwrap().first_cycle_at;
    let report = rig.next_cycle().await;
    rig.finish().await;
    // Account 1: flood wait at 0 s until 10 s, so slots at 3, 6 and 9 s are skipped; 12 and
    // 15 s go ahead. Account 2 is unaffected.
    let acc1: Vec<_> = sends(&rig, origin)
        .into_iter()
        .filter(|x| x.1 == 1 && x.0 < s(18))
        .collect();
    assert_eq!(acc1, vec![(s(0), 1, 1), (s(12), 1, 5), (s(15), 1, 6)]);
    assert_eq!(
        (report.tally.sent, report.tally.failed, report.tally.skipped),
        (8, 1, 3)
    );
    let rows = rig.store.posts(1).await.unwrap();
    let skipped: Vec<_> = rows
        .iter()
        .filter(|r| r.outcome == "skipped")
        .map(|r| {
            (
                r.account_id,
                r.group_id,
                r.error.clone().unwrap(),
                r.sent_at,
            )
        })
        .collect();
    assert_eq!(
        skipped,
        vec![
            (1, 2, "flood_wait".to_string(), None),
            (1, 3, "flood_wait".to_string(), None),
            (1, 4, "flood_wait".to_string(), None),
        ]
    );
    assert!(rows
        .iter()
        .any(|r| r.outcome == "flood_wait" && r.error.as_deref() == Some("flood_wait: wait 10 s")));
}

#[tokio::test(start_paused = true)]
async fn a_flood_wait_longer_than_the_session_skips_the_rest_without_stretching_the_cycle() {
    let c = customer(1, Plan::Enterprise, 2, 4, settings(3.0, 5.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    rig.sim
        .inject(Target::Account(2), Outcome::FloodWait(s(600)));
    let origin = rig.engine.start(1, None).await.unwrap().first_cycle_at;
    let first = rig.next_cycle().await;
    let second = rig.next_cycle().await;
    rig.finish().await;
    assert_eq!(
        (first.tally.sent, first.tally.failed, first.tally.skipped),
        (4, 1, 3)
    );
    assert_eq!(
        first.ended - origin,
        s(12),
        "the other account's cycle is not held up"
    );
    assert_eq!(second.start - origin, s(17));
    // Within the cycle the wait is obeyed: account 2 posted once, at 0 s, in cycle 1.
    let acc2: Vec<_> = sends(&rig, origin)
        .into_iter()
        .filter(|x| x.1 == 2 && x.0 < s(17))
        .collect();
    assert_eq!(acc2, vec![(s(0), 2, 1)]);
}

#[tokio::test(start_paused = true)]
async fn a_lost_account_ends_its_session_and_a_refusing_group_only_its_slot() {
    let c = customer(1, Plan::Enterprise, 2, 3, settings(3.0, 5.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    rig.sim.inject(Target::Account(1), Outcome::PeerFlood);
    rig.sim.inject(
        Target::Slot {
            account_id: 2,
            group_id: 2,
        },
        Outcome::GroupRefused(GroupRefusal::WriteForbidden),
    );
    rig.engine.start(1, None).await.unwrap();
    let report = rig.next_cycle().await;
    rig.finish().await;
    assert_eq!(
        (report.tally.sent, report.tally.failed, report.tally.skipped),
        (2, 2, 2)
    );
    let rows = rig.store.posts(1).await.unwrap();
    let outcomes: Vec<_> = rows
        .iter()
        .filter(|r| r.cycle_seq == report.seq)
        .map(|r| (r.account_id, r.group_id, r.outcome.as_str()))
        .collect();
    for want in [
        (1, 1, "peer_flood"),
        (1, 2, "skipped"),
        (1, 3, "skipped"),
        (2, 1, "sent"),
        (2, 2, "write_forbidden"),
        (2, 3, "sent"),
    ] {
        assert!(outcomes.contains(&want), "{want:?} in {outcomes:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn start_refuses_with_a_typed_reason_and_changes_nothing() {
    let good = settings(3.0, 5.0, Some(1.0));
    let mut expired = customer(5, Plan::Starter, 2, 3, good);
    expired.plan.expires_at = Some(1_000);
    let mut no_message = customer(6, Plan::Starter, 2, 3, good);
    no_message.message_html = "   ".into();
    let customers = vec![
        customer(1, Plan::Starter, 2, 10, settings(5.0, 5.0, Some(1.0))),
        customer(2, Plan::Starter, 2, 3, good),
        customer(3, Plan::Enterprise, 2, 3, good),
        customer(4, Plan::Starter, 0, 3, good),
        expired,
        no_message,
        customer(7, Plan::Starter, 2, 0, good),
    ];
    let mut rig = Rig::new(&customers, Duration::ZERO).await;
    let e = rig.engine.start(1, None).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "Starter mode infeasible: session runtime (50s) must be less than per-session offset (30.0s). Increase total_cycle_minutes or reduce groups/delay."
    );
    let e = rig
        .engine
        .start(2, Some(Mode::Enterprise))
        .await
        .unwrap_err();
    assert!(matches!(
        e,
        EngineError::NotReady(NotReady::Schedule(ScheduleError::Plan(
            PlanError::StarterRequiresStarterMode
        )))
    ));
    let e = rig.engine.start(3, Some(Mode::Starter)).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "ENTERPRISE plan requires enterprise execution mode. Cannot use starter mode with ENTERPRISE plan."
    );
    assert!(matches!(
        rig.engine.start(4, None).await,
        Err(EngineError::NotReady(NotReady::Schedule(_)))
    ));
    assert!(matches!(
        rig.engine.start(5, None).await,
        Err(EngineError::NotReady(NotReady::PlanExpired {
            expired_at: 1_000
        }))
    ));
    assert!(matches!(
        rig.engine.start(6, None).await,
        Err(EngineError::NotReady(NotReady::NoMessage))
    ));
    assert!(matches!(
        rig.engine.start(7, None).await,
        Err(EngineError::NotReady(NotReady::Schedule(_)))
    ));
    assert!(matches!(
        rig.engine.start(99, None).await,
        Err(EngineError::NoCustomer(99))
    ));
    tokio::time::sleep(s(3600)).await;
    assert_eq!(rig.engine.running_count(), 0);
    assert!(rig.sim.sent().is_empty());
    assert!(rig.store.running_customers().await.unwrap().is_empty());
    for id in 1..=7 {
        assert!(rig.store.cycles(id).await.unwrap().is_empty());
    }
    // The refused customer with a plan of its own mode starts fine.
    rig.engine.start(2, Some(Mode::Starter)).await.unwrap();
    assert!(matches!(
        rig.engine.start(2, None).await,
        Err(EngineError::AlreadyRunning(2))
    ));
    rig.finish().await;
}

#[tokio::test(start_paused = true)]
async fn a_plan_shortened_during_a_cycle_stops_the_customer_by_the_next_cycle() {
    let c = customer(1, Plan::Enterprise, 1, 2, settings(3.0, 60.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    rig.engine.start(1, None).await.unwrap();
    let expiry = rig.engine.clock().wall_ms(Instant::now()) + 30_000;
    rig.store
        .set_plan(
            1,
            PlanGrant {
                plan: Plan::Enterprise,
                expires_at: Some(expiry),
            },
        )
        .await
        .unwrap();
    rig.next_cycle().await;
    match rig.heard.recv().await.unwrap() {
        crate::helpers::Heard::Stopped(1, why) => assert_eq!(why, "the plan expired"),
        _ => panic!("expected the engine to stop the customer"),
    }
    assert!(!rig.engine.is_running(1));
    assert!(rig.store.running_customers().await.unwrap().is_empty());
    assert_eq!(rig.sim.sent().len(), 2);
    rig.finish().await;
}

#[tokio::test(start_paused = true)]
async fn every_post_is_in_the_post_log_with_target_actual_and_outcome() {
    let c = customer(1, Plan::Starter, 2, 2, settings(3.0, 0.0, Some(0.5)));
    let mut rig = Rig::new(&[c], Duration::from_millis(120)).await;
    let started = rig.engine.start(1, None).await.unwrap();
    let origin_ms = rig.engine.clock().wall_ms(started.first_cycle_at);
    assert_eq!(started.first_post_at_ms, origin_ms);
    let first = rig.next_cycle().await;
    rig.engine.stop(1).await.unwrap();
    rig.finish().await;
    let rows = rig.store.posts(1).await.unwrap();
    let sent = rig.sim.sent();
    assert_eq!(rows.len(), sent.len());
    let cycle1: Vec<_> = rows
        .iter()
        .filter(|r| r.cycle_seq == first.seq)
        .map(|r| {
            (
                r.account_id,
                r.group_id,
                r.target_at - origin_ms,
                r.sent_at.map(|t| t - origin_ms),
                r.outcome.as_str(),
            )
        })
        .collect();
    assert_eq!(
        cycle1,
        vec![
            (1, 1, 0, Some(0), "sent"),
            (1, 2, 3_000, Some(3_000), "sent"),
            (2, 1, 15_000, Some(15_000), "sent"),
            (2, 2, 18_000, Some(18_000), "sent"),
        ]
    );
    // The random id logged is the one the transport got, and they differ between posts.
    for row in &rows {
        assert!(sent
            .iter()
            .any(|x| x.random_id == row.random_id && x.group_id == row.group_id));
    }
    let mut ids: Vec<_> = rows.iter().map(|r| r.random_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), rows.len());
    assert!(sent.iter().all(|x| x.html == "<b>Sale</b> today"));
}

#[tokio::test(start_paused = true)]
async fn a_restarted_engine_resumes_the_customers_that_were_running() {
    let c = customer(1, Plan::Enterprise, 1, 1, settings(3.0, 5.0, None));
    let mut rig = Rig::new(
        &[
            c,
            customer(2, Plan::Enterprise, 1, 1, settings(3.0, 5.0, None)),
        ],
        Duration::ZERO,
    )
    .await;
    rig.engine.start(1, None).await.unwrap();
    rig.next_cycle().await;
    rig.finish().await; // shutdown keeps customer 1 marked running
    let store = rig.store.clone();
    let mut again = Rig::on(store, &[], Duration::ZERO).await;
    assert_eq!(again.engine.resume().await.unwrap(), 1);
    assert!(again.engine.is_running(1) && !again.engine.is_running(2));
    let report = again.next_cycle().await;
    assert_eq!(report.seq, 2, "cycle numbers continue from the stored ones");
    again.finish().await;
}

#[tokio::test(start_paused = true)]
async fn every_random_id_is_fixed_by_the_store_before_the_send() {
    let c = customer(1, Plan::Enterprise, 2, 3, settings(3.0, 5.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    assert_eq!(rig.store.snapshot(1).await.unwrap().unwrap().post_key, None);
    rig.engine.start(1, None).await.unwrap();
    // `start` has returned (the key is stored by then) and the cycle hasn't run yet.
    assert!(rig.sim.sent().is_empty());
    let key = rig
        .store
        .snapshot(1)
        .await
        .unwrap()
        .unwrap()
        .post_key
        .unwrap();
    rig.next_cycle().await;
    rig.next_cycle().await;
    rig.engine.stop(1).await.unwrap();
    // A second start keeps the key: ids stay derivable for every cycle ever planned.
    rig.engine.start(1, None).await.unwrap();
    rig.next_cycle().await;
    rig.engine.stop(1).await.unwrap();
    assert_eq!(
        rig.store.snapshot(1).await.unwrap().unwrap().post_key,
        Some(key)
    );
    rig.finish().await;
    let sent = rig.sim.sent();
    assert_eq!(sent.len(), 3 * 6);
    let rows = rig.store.posts(1).await.unwrap();
    assert_eq!(rows.len(), sent.len());
    for row in &rows {
        let id = slot_random_id(key, row.cycle_seq, row.account_id, row.group_id);
        assert_eq!(row.random_id, id, "{row:?}");
        assert!(sent
            .iter()
            .any(|x| x.random_id == id
                && (x.account_id, x.group_id) == (row.account_id, row.group_id)));
    }
    assert!(rig.sim.duplicates().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_cycle_lost_in_a_crash_is_sent_again_with_the_same_random_ids_and_posts_nothing_twice() {
    use sqlx::Connection;
    autoposter::engine::clock::use_virtual_time();
    let dir = std::env::temp_dir().join(format!("autoposter-lost-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("e.db").display());
    let store = autoposter::store::Store::connect(&url).await.unwrap();
    // 2 accounts × 2 groups, 3 s apart, 60 s between cycles.
    let c = customer(1, Plan::Enterprise, 2, 2, settings(3.0, 60.0, None));
    let mut rig = Rig::on(store, &[c], Duration::ZERO).await;
    rig.engine.start(1, None).await.unwrap();
    let first = rig.next_cycle().await;
    assert_eq!((first.seq, first.tally.sent), (1, 4));
    // The process dies (customer still marked running) and the post-log batch that carried
    // cycle 1 never reached the disk: Telegram has the posts, the database doesn't.
    rig.finish().await;
    let mut db = sqlx::AnyConnection::connect(&url).await.unwrap();
    for sql in [
        "DELETE FROM posts WHERE cycle_seq = 1",
        "DELETE FROM cycles WHERE seq = 1",
    ] {
        sqlx::query(sql).execute(&mut db).await.unwrap();
    }
    db.close().await.unwrap();
    rig.restart().await;
    assert_eq!(rig.engine.resume().await.unwrap(), 1);
    let again = rig.next_cycle().await;
    assert_eq!(
        again.seq, 1,
        "the lost cycle is planned again under its number"
    );
    assert_eq!(again.tally.sent, 4, "Telegram's answer counts as sent");
    rig.finish().await;
    // Telegram saw each slot twice, with the same id, and posted it once.
    let sent = rig.sim.sent();
    let dups = rig.sim.duplicates();
    assert_eq!((sent.len(), dups.len()), (4, 4));
    let key = |x: &autoposter::telegram::sim::Sent| (x.account_id, x.group_id, x.random_id);
    let mut a: Vec<_> = sent.iter().map(key).collect();
    let mut b: Vec<_> = dups.iter().map(key).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(start_paused = true)]
async fn accounts_are_released_over_a_long_pause_and_connected_again_before_the_next_cycle() {
    use autoposter::engine::{IDLE_RELEASE, WARM_UP};
    // 2 accounts × 1 group, 3 s apart; 20 minutes between cycles.
    let c = customer(1, Plan::Enterprise, 2, 1, settings(3.0, 1200.0, None));
    // Customer 2 pauses 60 s between cycles: its accounts (3, 4) stay connected.
    let d = customer(2, Plan::Enterprise, 2, 1, settings(3.0, 60.0, None));
    let mut rig = Rig::new(&[c, d], Duration::ZERO).await;
    let t0 = rig.engine.start(1, None).await.unwrap().first_cycle_at;
    rig.engine.start(2, None).await.unwrap();
    let mut first = None;
    while first.is_none() {
        let r = rig.next_cycle().await;
        if r.sessions[0].account_id == 1 {
            first = Some(r);
        }
    }
    let first = first.unwrap();
    let due = first.ended + s(1200);
    assert!(due - Instant::now() >= IDLE_RELEASE);
    tokio::time::sleep_until(due - WARM_UP - s(1)).await;
    assert_eq!(
        rig.sim.released(),
        vec![1, 2],
        "released for the pause, not customer 2's"
    );
    assert!(rig.sim.prepared().is_empty());
    tokio::time::sleep_until(due + Duration::from_millis(1)).await;
    assert_eq!(
        rig.sim.prepared(),
        vec![(due - WARM_UP, 1), (due - WARM_UP, 2)],
        "connected again 30 s before the cycle"
    );
    // The next cycle posts on time.
    let sends: Vec<_> = rig
        .sim
        .sent()
        .into_iter()
        .filter(|x| x.account_id == 1 && x.at > t0)
        .map(|x| x.at)
        .collect();
    assert_eq!(sends, vec![due]);
    rig.engine.stop(1).await.unwrap();
    rig.engine.stop(2).await.unwrap();
    rig.finish().await;
}

#[tokio::test(start_paused = true)]
async fn network_errors_retry_with_backoff_without_duplicates() {
    // 1 account × 3 groups, 3 s apart.
    let c = customer(1, Plan::Enterprise, 1, 3, settings(3.0, 60.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    let slot = |group_id| Target::Slot {
        account_id: 1,
        group_id,
    };
    // Group 1: posted, but the answer is lost. Group 2: the network fails twice.
    rig.sim.lose_answer(slot(1));
    rig.sim.inject(slot(2), Outcome::Network("reset".into()));
    rig.sim.inject(slot(2), Outcome::Network("reset".into()));
    let t0 = rig.engine.start(1, None).await.unwrap().first_cycle_at;
    let cycle = rig.next_cycle().await;
    assert_eq!((cycle.tally.sent, cycle.tally.failed), (3, 0));
    rig.engine.stop(1).await.unwrap();
    rig.finish().await;
    // Each group was posted once; the retry of group 1 was a duplicate (1 s after).
    let posted: Vec<_> = rig
        .sim
        .sent()
        .iter()
        .map(|x| (x.at - t0, x.group_id))
        .collect();
    // Group 1's retry at 1 s may be the post that counted, so group 2 comes 3 s after it
    // (less the 5 ms timer slack); group 2 is tried again 1 s and then 3 s later, and group 3
    // keeps its distance from group 2's last try.
    let ms = Duration::from_millis;
    assert_eq!(
        posted,
        vec![
            (s(0), 1),
            (ms(3_995), 2),
            (ms(4_995), 2),
            (ms(7_995), 2),
            (ms(10_990), 3)
        ],
    );
    let dups: Vec<_> = rig
        .sim
        .duplicates()
        .iter()
        .map(|x| (x.at - t0, x.group_id))
        .collect();
    assert_eq!(dups, vec![(s(1), 1)]);
    let outcomes: Vec<_> = log(&rig, 1).await.into_iter().map(|r| r.3).collect();
    assert_eq!(outcomes, vec!["sent", "sent", "sent"]);
}

#[tokio::test(start_paused = true)]
async fn a_stop_during_a_retry_pause_sends_nothing_more() {
    let c = customer(1, Plan::Enterprise, 1, 2, settings(3.0, 60.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    rig.sim
        .inject(Target::Account(1), Outcome::Network("reset".into()));
    let t0 = rig.engine.start(1, None).await.unwrap().first_cycle_at;
    tokio::time::sleep_until(t0 + Duration::from_millis(500)).await;
    rig.engine.stop(1).await.unwrap();
    assert_eq!(
        Instant::now(),
        t0 + Duration::from_millis(500),
        "stop did not wait out the pause"
    );
    tokio::time::sleep(s(10)).await;
    rig.finish().await;
    assert_eq!(rig.sim.sent().len(), 1, "the retry was given up");
    let rows: Vec<_> = log(&rig, 1).await.into_iter().map(|r| (r.2, r.3)).collect();
    assert_eq!(rows, vec![(1, "network_error".to_string())]);
}

/// (cycle, account, group, outcome, error) of the customer's post log, in order.
async fn log(rig: &Rig, customer: i64) -> Vec<(i64, i64, i64, String, Option<String>)> {
    rig.store
        .posts(customer)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.cycle_seq, r.account_id, r.group_id, r.outcome, r.error))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_flood_wait_is_recorded_and_obeyed_by_a_restarted_engine() {
    // 1 account × 3 groups, 3 s apart, 5 s between cycles: a cycle every 14 s.
    let c = customer(1, Plan::Enterprise, 1, 3, settings(3.0, 5.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    rig.sim.inject(
        Target::Slot {
            account_id: 1,
            group_id: 1,
        },
        Outcome::FloodWait(s(100)),
    );
    let t0 = rig.engine.start(1, None).await.unwrap().first_cycle_at;
    let first = rig.next_cycle().await;
    assert_eq!((first.tally.failed, first.tally.skipped), (1, 2));
    // The wait is in the store once the engine is gone.
    rig.restart().await;
    let waits = rig.store.account_waits(1).await.unwrap();
    assert_eq!(waits, vec![(1, rig.engine.clock().wall_ms(t0 + s(100)))]);

    // The new engine knows nothing in memory, yet skips every slot until 100 s.
    assert_eq!(rig.engine.resume().await.unwrap(), 1);
    loop {
        let cycle = rig.next_cycle().await;
        if cycle.tally.sent > 0 {
            assert!(
                cycle.start >= t0 + s(100) - s(6),
                "posting resumed at {:?}",
                cycle.start - t0
            );
            let sends: Vec<_> = rig.sim.sent().iter().map(|x| x.at - t0).collect();
            assert!(sends[1..].iter().all(|at| *at >= s(100)), "{sends:?}");
            break;
        }
        assert_eq!(cycle.tally.skipped, 3, "every slot in the wait is skipped");
    }
    rig.finish().await;
    let log = log(&rig, 1).await;
    assert!(
        log.iter()
            .filter(|r| r.4.as_deref() == Some("flood_wait"))
            .count()
            >= 5
    );
}

#[tokio::test(start_paused = true)]
async fn slow_mode_skips_that_group_for_that_account_until_it_ends() {
    // 2 accounts × 2 groups, 3 s apart, no pause between cycles: a cycle every 6 s.
    let c = customer(1, Plan::Enterprise, 2, 2, settings(3.0, 0.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    rig.sim.inject(
        Target::Slot {
            account_id: 1,
            group_id: 1,
        },
        Outcome::SlowMode(s(20)),
    );
    rig.engine.start(1, None).await.unwrap();
    for _ in 0..5 {
        rig.next_cycle().await;
    }
    rig.finish().await;
    let pair: Vec<(i64, String, Option<String>)> = log(&rig, 1)
        .await
        .into_iter()
        .filter(|r| (r.1, r.2) == (1, 1))
        .map(|r| (r.0, r.3, r.4))
        .collect();
    let skipped = || ("skipped".to_string(), Some("slow_mode".to_string()));
    // (Cycle 6 may have begun before the engine stopped.)
    assert_eq!(
        pair[..5],
        vec![
            (1, "slow_mode".into(), Some("slow_mode: wait 20 s".into())),
            (2, skipped().0, skipped().1), // due at 6 s
            (3, skipped().0, skipped().1), // 12 s
            (4, skipped().0, skipped().1), // 18 s
            (5, "sent".into(), None),      // 24 s
        ]
    );
    // Only that pair: account 1 still posts to group 2, account 2 to both, every cycle.
    let others = log(&rig, 1)
        .await
        .into_iter()
        .filter(|r| (r.1, r.2) != (1, 1));
    assert!(others.into_iter().all(|r| r.3 == "sent"));
    assert_eq!(rig.store.pair_waits(1).await.unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_refusing_group_is_paused_for_that_account_until_the_customer_resumes_it() {
    let c = customer(1, Plan::Enterprise, 2, 2, settings(3.0, 0.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    rig.sim.inject(
        Target::Slot {
            account_id: 2,
            group_id: 2,
        },
        Outcome::GroupRefused(GroupRefusal::Banned),
    );
    rig.engine.start(1, None).await.unwrap();
    rig.next_cycle().await;
    let second = rig.next_cycle().await;
    assert_eq!((second.tally.sent, second.tally.skipped), (3, 1));
    assert_eq!(
        rig.restricted,
        vec![Restriction::PairBlock {
            account_id: 2,
            group_id: 2,
            reason: "banned".into(),
            at: rig.store.pair_blocks(1).await.unwrap()[0].at,
            stars: None,
        }]
    );
    // The customer fixed it and resumes the group: the next cycles post there again.
    assert_eq!(rig.store.clear_pair_blocks(1, 2).await.unwrap(), 1);
    rig.next_cycle().await;
    let later = rig.next_cycle().await;
    rig.finish().await;
    assert_eq!((later.tally.sent, later.tally.skipped), (4, 0));
    let pair: Vec<String> = log(&rig, 1)
        .await
        .into_iter()
        .filter(|r| (r.1, r.2) == (2, 2))
        .map(|r| r.4.unwrap_or(r.3))
        .collect();
    assert_eq!(
        pair[..2],
        ["banned".to_string(), "group_paused".to_string()]
    );
    assert_eq!(pair.last().map(String::as_str), Some("sent"));
}

#[tokio::test(start_paused = true)]
async fn peer_flood_quarantines_the_account_for_good_and_the_others_go_on() {
    let c = customer(1, Plan::Enterprise, 2, 2, settings(3.0, 0.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    rig.sim.inject(Target::Account(1), Outcome::PeerFlood);
    rig.engine.start(1, None).await.unwrap();
    let first = rig.next_cycle().await;
    assert_eq!(
        (first.tally.sent, first.tally.failed, first.tally.skipped),
        (2, 1, 1)
    );
    assert_eq!(
        rig.sim.released(),
        vec![1],
        "released as soon as it is quarantined"
    );
    let second = rig.next_cycle().await;
    assert_eq!(
        second.sessions.len(),
        1,
        "the quarantined account is left out"
    );
    assert_eq!(second.tally.sent, 2);
    rig.finish().await;
    let accounts = rig.store.accounts(1).await.unwrap();
    assert_eq!(
        (accounts[0].status.as_str(), accounts[0].reason.as_deref()),
        ("quarantined", Some("peer_flood"))
    );
    assert_eq!(
        rig.restricted,
        vec![Restriction::Quarantine {
            account_id: 1,
            reason: "peer_flood".into()
        }]
    );
}

#[tokio::test(start_paused = true)]
async fn a_network_error_that_outlasts_its_retries_fails_only_its_slot_and_restricts_nothing() {
    let c = customer(1, Plan::Enterprise, 1, 3, settings(3.0, 0.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    for _ in 0..3 {
        rig.sim.inject(
            Target::Slot {
                account_id: 1,
                group_id: 2,
            },
            Outcome::Network("connection reset".into()),
        );
    }
    rig.engine.start(1, None).await.unwrap();
    let first = rig.next_cycle().await;
    let second = rig.next_cycle().await;
    rig.finish().await;
    assert_eq!((first.tally.sent, first.tally.failed), (2, 1));
    assert_eq!((second.tally.sent, second.tally.failed), (3, 0));
    assert!(rig.restricted.is_empty());
    assert!(rig.store.account_waits(1).await.unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_post_telegram_refuses_for_its_content_fails_at_once_and_is_not_sent_again() {
    // 1 account × 3 groups, 3 s apart; group 2 answers MESSAGE_TOO_LONG.
    let c = customer(1, Plan::Enterprise, 1, 3, settings(3.0, 60.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    rig.sim.inject(
        Target::Slot {
            account_id: 1,
            group_id: 2,
        },
        Outcome::Rejected("MESSAGE_TOO_LONG".into()),
    );
    let t0 = rig.engine.start(1, None).await.unwrap().first_cycle_at;
    let cycle = rig.next_cycle().await;
    rig.engine.stop(1).await.unwrap();
    rig.finish().await;
    assert_eq!((cycle.tally.sent, cycle.tally.failed), (2, 1));
    // Group 2 was tried once (no retry after 1 s or 3 s); group 3 keeps its place.
    let tried: Vec<_> = rig
        .sim
        .sent()
        .iter()
        .map(|x| (x.at - t0, x.group_id))
        .collect();
    assert_eq!(tried, vec![(s(0), 1), (s(3), 2), (s(6), 3)]);
    assert_eq!(
        cycle.ended - cycle.start,
        s(9),
        "the session took no longer"
    );
    let outcomes: Vec<_> = log(&rig, 1).await.into_iter().map(|r| r.3).collect();
    assert_eq!(outcomes, vec!["sent", "rejected", "sent"]);
    assert!(rig.restricted.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_stopped_customers_accounts_are_released_by_the_transport() {
    let c = customer(1, Plan::Enterprise, 2, 2, settings(3.0, 5.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    rig.engine.start(1, None).await.unwrap();
    rig.next_cycle().await;
    assert!(
        rig.sim.released().is_empty(),
        "still running: still connected"
    );
    rig.engine.stop(1).await.unwrap();
    let mut released = rig.sim.released();
    released.sort();
    assert_eq!(released, vec![1, 2]);
    rig.finish().await;
}

#[tokio::test(start_paused = true)]
async fn an_account_our_side_cannot_use_skips_its_cycle_without_being_quarantined() {
    let c = customer(1, Plan::Enterprise, 2, 2, settings(3.0, 0.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    rig.sim.inject(
        Target::Account(1),
        Outcome::Unavailable("session does not open".into()),
    );
    rig.engine.start(1, None).await.unwrap();
    let first = rig.next_cycle().await;
    let second = rig.next_cycle().await;
    rig.finish().await;
    assert_eq!(
        (first.tally.sent, first.tally.failed, first.tally.skipped),
        (2, 1, 1)
    );
    assert_eq!(second.tally.sent, 4, "the account posts again once usable");
    assert_eq!(
        rig.store.accounts(1).await.unwrap()[0].status,
        AccountStatus::Active
    );
    assert!(rig.restricted.is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_account_paused_between_cycles_is_released_after_the_cycle_that_leaves_it_out() {
    let c = customer(1, Plan::Enterprise, 2, 2, settings(3.0, 5.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    rig.engine.start(1, None).await.unwrap();
    rig.next_cycle().await;
    assert!(rig.sim.released().is_empty());
    rig.store
        .set_account_status(
            1,
            2,
            autoposter::store::AccountStatus::Paused,
            Some("customer"),
        )
        .await
        .unwrap();
    let without = rig.next_cycle().await;
    assert_eq!(without.sessions.len(), 1);
    assert_eq!(rig.sim.released(), vec![2]);
    rig.finish().await;
}

/// Waits for the engine to stop the customer by itself: when, and why.
async fn stopped_by_engine(rig: &mut Rig) -> (Instant, String) {
    loop {
        match rig.heard.recv().await.expect("engine alive") {
            crate::helpers::Heard::Stopped(_, why) => return (Instant::now(), why),
            crate::helpers::Heard::Cycle(_) => {}
            crate::helpers::Heard::Restricted(r) => rig.restricted.push(r),
        }
    }
}

async fn expiring_rig(between: f64, expires_after: Duration) -> (Rig, Instant) {
    let mut c = customer(1, Plan::Enterprise, 1, 3, settings(3.0, between, None));
    let rig = Rig::new(&[], Duration::ZERO).await;
    let t0 = Instant::now();
    c.plan.expires_at = Some(rig.engine.clock().wall_ms(t0 + expires_after));
    rig.store.create_customers(&[c]).await.unwrap();
    assert_eq!(rig.engine.start(1, None).await.unwrap().first_cycle_at, t0);
    (rig, t0)
}

#[tokio::test(start_paused = true)]
async fn a_plan_expiring_mid_cycle_stops_posting_at_that_instant() {
    let (mut rig, t0) = expiring_rig(60.0, Duration::from_millis(4_500)).await;
    let (at, why) = stopped_by_engine(&mut rig).await;
    assert_eq!(at, t0 + Duration::from_millis(4_500));
    assert_eq!(why, "the plan expired");
    assert!(!rig.engine.is_running(1));
    assert!(rig.store.running_customers().await.unwrap().is_empty());
    tokio::time::sleep(s(60)).await;
    assert_eq!(sends(&rig, t0), vec![(s(0), 1, 1), (s(3), 1, 2)]);
    rig.finish().await;
}

#[tokio::test(start_paused = true)]
async fn a_plan_expiring_between_cycles_stops_the_customer_at_that_instant() {
    let (mut rig, t0) = expiring_rig(600.0, s(100)).await;
    let (at, why) = stopped_by_engine(&mut rig).await;
    assert_eq!((at, why.as_str()), (t0 + s(100), "the plan expired"));
    assert_eq!(sends(&rig, t0).len(), 3, "the first cycle only");
    rig.finish().await;
}

#[tokio::test(start_paused = true)]
async fn a_plan_renewed_before_it_expires_keeps_posting() {
    let (mut rig, t0) = expiring_rig(5.0, s(20)).await;
    tokio::time::sleep_until(t0 + s(10)).await;
    let renewed = PlanGrant {
        plan: Plan::Enterprise,
        expires_at: Some(rig.engine.clock().wall_ms(t0 + s(1_000))),
    };
    rig.store.set_plan(1, renewed).await.unwrap();
    tokio::time::sleep_until(t0 + s(60)).await;
    assert!(rig.engine.is_running(1));
    assert!(sends(&rig, t0).iter().any(|(at, _, _)| *at > s(20)));
    rig.engine.stop(1).await.unwrap();
    rig.finish().await;
}

#[tokio::test(start_paused = true)]
async fn a_post_due_at_the_expiry_instant_is_not_sent() {
    let (mut rig, t0) = expiring_rig(60.0, s(3)).await;
    let (at, _) = stopped_by_engine(&mut rig).await;
    assert_eq!(at, t0 + s(3));
    tokio::time::sleep(s(10)).await;
    assert_eq!(sends(&rig, t0), vec![(s(0), 1, 1)]);
    rig.finish().await;
}

#[tokio::test(start_paused = true)]
async fn a_retry_waiting_when_the_plan_expires_is_given_up() {
    let mut c = customer(1, Plan::Enterprise, 1, 3, settings(3.0, 60.0, None));
    let mut rig = Rig::new(&[], Duration::ZERO).await;
    let t0 = Instant::now();
    c.plan.expires_at = Some(rig.engine.clock().wall_ms(t0 + Duration::from_millis(500)));
    rig.store.create_customers(&[c]).await.unwrap();
    rig.sim
        .inject(Target::Account(1), Outcome::Network("reset".into()));
    rig.engine.start(1, None).await.unwrap();
    let (at, why) = stopped_by_engine(&mut rig).await;
    assert_eq!(
        (at, why.as_str()),
        (t0 + Duration::from_millis(500), "the plan expired")
    );
    tokio::time::sleep(s(10)).await;
    assert_eq!(rig.sim.sent().len(), 1, "the retry due at 1 s was not sent");
    rig.finish().await;
}

/// A rig on a SQLite file, so that a test can also change the database behind the engine.
pub(super) async fn file_rig(
    c: autoposter::store::NewCustomer,
) -> (Rig, String, std::path::PathBuf) {
    autoposter::engine::clock::use_virtual_time();
    let dir = std::env::temp_dir().join(format!("autoposter-resume-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("e.db").display());
    let store = autoposter::store::Store::connect(&url).await.unwrap();
    (Rig::on(store, &[c], Duration::ZERO).await, url, dir)
}

/// Customer 1 (1 account × 4 groups, 3 s apart, 60 s between cycles) started at `t0` and
/// posting until `t0 + run`: the rig and `t0`.
async fn four_groups_for(run: Duration) -> (Rig, Instant) {
    let c = customer(1, Plan::Enterprise, 1, 4, settings(3.0, 60.0, None));
    let rig = Rig::new(&[c], Duration::ZERO).await;
    let t0 = rig.engine.start(1, None).await.unwrap().first_cycle_at;
    tokio::time::sleep_until(t0 + run).await;
    (rig, t0)
}

#[tokio::test(start_paused = true)]
async fn restart_mid_cycle_resumes_the_cycle_instead_of_starting_over() {
    let (mut rig, t0) = four_groups_for(s(4)).await;
    // The engine goes away mid-cycle (posts at 0 and 3 s made) and a new one starts.
    rig.restart().await;
    assert_eq!(rig.engine.resume().await.unwrap(), 1);
    let cycle = rig.next_cycle().await;
    assert_eq!(cycle.seq, 1, "the same cycle, not a new one");
    assert_eq!(cycle.start, t0, "on its own anchor");
    assert_eq!((cycle.tally.sent, cycle.tally.skipped), (4, 0));
    assert_eq!(
        sends(&rig, t0),
        vec![(s(0), 1, 1), (s(3), 1, 2), (s(6), 1, 3), (s(9), 1, 4)],
        "the remaining slots at their own instants"
    );
    // The next cycle follows as usual: 60 s after the session's end (12 s).
    let next = rig.next_cycle().await;
    assert_eq!((next.seq, next.start), (2, t0 + s(72)));
    rig.engine.stop(1).await.unwrap();
    rig.finish().await;
    let seq1 = log(&rig, 1).await.into_iter().filter(|r| r.0 == 1).count();
    assert_eq!(seq1, 4, "each slot of cycle 1 logged once");
}

#[tokio::test(start_paused = true)]
async fn a_restart_during_the_pause_between_cycles_keeps_the_pause() {
    // Cycle 1: posts at 0, 3, 6, 9 s, ending at 12 s; the next is due 60 s later, at 72 s.
    let (mut rig, t0) = four_groups_for(s(30)).await;
    assert_eq!(rig.next_cycle().await.seq, 1);
    rig.restart().await;
    assert_eq!(rig.engine.resume().await.unwrap(), 1);
    let live = rig.engine.live(1).unwrap();
    assert_eq!(
        live.next_cycle_ms,
        Some(rig.engine.clock().wall_ms(t0 + s(72))),
        "shown as waiting for its next cycle"
    );
    let next = rig.next_cycle().await;
    assert_eq!(
        (next.seq, next.start),
        (2, t0 + s(72)),
        "not at once after the restart"
    );
    assert_eq!(sends(&rig, t0).len(), 8);
    rig.engine.stop(1).await.unwrap();
    rig.finish().await;
}

/// 1 account × 4 groups, 3 s apart: the engine runs until `t0 + stop_after`, then goes away
/// with the post log's row for group 2 lost, and a new engine resumes. The resumed cycle's
/// report, `t0`, and the rig (its SQLite file's folder to remove).
async fn resumed_after_losing_group_2(
    stop_after: Duration,
) -> (Rig, Instant, CycleReport, std::path::PathBuf) {
    use sqlx::Connection;
    let c = customer(1, Plan::Enterprise, 1, 4, settings(3.0, 60.0, None));
    let (mut rig, url, dir) = file_rig(c).await;
    let t0 = rig.engine.start(1, None).await.unwrap().first_cycle_at;
    tokio::time::sleep_until(t0 + stop_after).await;
    rig.finish().await;
    let mut db = sqlx::AnyConnection::connect(&url).await.unwrap();
    sqlx::query("DELETE FROM posts WHERE group_id = 2")
        .execute(&mut db)
        .await
        .unwrap();
    db.close().await.unwrap();
    rig.restart().await;
    rig.engine.resume().await.unwrap();
    let cycle = rig.next_cycle().await;
    rig.engine.stop(1).await.unwrap();
    rig.finish().await;
    (rig, t0, cycle, dir)
}

#[tokio::test(start_paused = true)]
async fn a_post_whose_row_was_lost_is_sent_again_with_the_same_random_id() {
    // Posts at 0 and 3 s made; the crash lost the row of the one at 3 s.
    let (rig, t0, cycle, dir) = resumed_after_losing_group_2(s(4)).await;
    assert_eq!((cycle.seq, cycle.tally.sent), (1, 4));
    // Posted once each; the re-send of group 2 (at 4 s) was a duplicate Telegram ignored.
    let posted: Vec<i64> = rig.sim.sent().iter().map(|x| x.group_id).collect();
    assert_eq!(posted, vec![1, 2, 3, 4]);
    let dups: Vec<_> = rig
        .sim
        .duplicates()
        .iter()
        .map(|x| (x.at - t0, x.group_id))
        .collect();
    assert_eq!(dups, vec![(s(4), 2)]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(start_paused = true)]
async fn a_cycle_interrupted_long_ago_is_closed_with_its_missed_slots_named() {
    let (mut rig, t0) = four_groups_for(s(4)).await;
    rig.finish().await;
    // Back 20 minutes later: too late to post the rest of that cycle.
    tokio::time::sleep_until(t0 + s(1_200)).await;
    rig.restart().await;
    rig.engine.resume().await.unwrap();
    let closed = rig.next_cycle().await;
    assert_eq!(
        (closed.seq, closed.tally.sent, closed.tally.skipped),
        (1, 2, 2)
    );
    let next = rig.next_cycle().await;
    assert_eq!(next.seq, 2);
    rig.engine.stop(1).await.unwrap();
    rig.finish().await;
    let seq1: Vec<_> = log(&rig, 1)
        .await
        .into_iter()
        .filter(|r| r.0 == 1)
        .map(|r| (r.2, r.3, r.4))
        .collect();
    assert_eq!(
        seq1,
        vec![
            (1, "sent".to_string(), None),
            (2, "sent".to_string(), None),
            (3, "skipped".to_string(), Some("engine_down".to_string())),
            (4, "skipped".to_string(), Some("engine_down".to_string())),
        ]
    );
    assert_eq!(
        sends(&rig, t0).len(),
        2 + 4,
        "cycle 1's two, cycle 2's four"
    );
}

#[tokio::test(start_paused = true)]
async fn a_cycle_the_customer_stopped_is_not_resumed() {
    let (mut rig, _) = four_groups_for(s(4)).await;
    rig.engine.stop(1).await.unwrap();
    let stopped = rig.next_cycle().await;
    assert_eq!((stopped.seq, stopped.completed), (1, false));
    rig.restart().await;
    assert_eq!(rig.engine.resume().await.unwrap(), 0);
    assert!(rig.store.interrupted_cycles().await.unwrap().is_empty());
    // Started again: a new cycle.
    rig.engine.start(1, None).await.unwrap();
    assert_eq!(rig.next_cycle().await.seq, 2);
    rig.engine.stop(1).await.unwrap();
    rig.finish().await;
}

#[tokio::test(start_paused = true)]
async fn a_resumed_cycle_passes_over_every_logged_slot_even_after_a_gap() {
    // Posts at 0, 3 and 6 s made; a failed batch left a gap: group 2's row is missing,
    // group 3's is there.
    let (rig, _, cycle, dir) = resumed_after_losing_group_2(s(7)).await;
    assert_eq!((cycle.seq, cycle.tally.sent), (1, 4));
    // Group 2 went again (a duplicate Telegram ignored), group 3 did not, group 4 once.
    let posted: Vec<i64> = rig.sim.sent().iter().map(|x| x.group_id).collect();
    assert_eq!(posted, vec![1, 2, 3, 4]);
    let dups: Vec<i64> = rig.sim.duplicates().iter().map(|x| x.group_id).collect();
    assert_eq!(dups, vec![2]);
    let groups: Vec<i64> = log(&rig, 1)
        .await
        .iter()
        .filter(|r| r.0 == 1)
        .map(|r| r.2)
        .collect();
    let mut sorted = groups.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec![1, 2, 3, 4],
        "each slot logged once: {groups:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(start_paused = true)]
async fn a_fresh_start_closes_a_cycle_nobody_resumed() {
    let (mut rig, _) = four_groups_for(s(4)).await;
    rig.restart().await; // cycle 1 left open
                         // Not resumed (say, the customer was stopped while no engine ran), then started again.
    rig.store.set_running(1, false).await.unwrap();
    assert_eq!(rig.engine.resume().await.unwrap(), 0);
    rig.engine.start(1, None).await.unwrap();
    let next = rig.next_cycle().await;
    assert_eq!(next.seq, 2);
    rig.engine.stop(1).await.unwrap();
    rig.finish().await;
    let cycles = rig.store.cycles(1).await.unwrap();
    assert_eq!(
        cycles[0].status,
        CycleStatus::Stopped,
        "cycle 1 closed, not left open"
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_cut_short_by_a_shutdown_is_sent_by_the_next_engine() {
    let c = customer(1, Plan::Enterprise, 1, 2, settings(3.0, 60.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    rig.sim
        .inject(Target::Account(1), Outcome::Network("reset".into()));
    let t0 = rig.engine.start(1, None).await.unwrap().first_cycle_at;
    tokio::time::sleep_until(t0 + Duration::from_millis(500)).await;
    rig.restart().await; // during the 1 s pause before the retry
    rig.engine.resume().await.unwrap();
    let cycle = rig.next_cycle().await;
    assert_eq!((cycle.seq, cycle.tally.sent, cycle.tally.failed), (1, 2, 0));
    rig.engine.stop(1).await.unwrap();
    rig.finish().await;
    let rows: Vec<_> = log(&rig, 1)
        .await
        .into_iter()
        .filter(|r| r.0 == 1)
        .map(|r| (r.2, r.3))
        .collect();
    assert_eq!(rows, vec![(1, "sent".to_string()), (2, "sent".to_string())]);
    let ids: Vec<i64> = rig
        .sim
        .sent()
        .iter()
        .filter(|x| x.group_id == 1)
        .map(|x| x.random_id)
        .collect();
    assert_eq!(ids.len(), 2, "tried before the shutdown, sent after it");
    assert_eq!(ids[0], ids[1], "with the same random id");
}
