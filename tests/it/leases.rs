//! Engines sharing one database through leases, on tokio's paused clock: the keeper's rounds,
//! a takeover resumed where the other engine stopped, a stop from another engine, a start
//! that claims the customer, and an engine that can no longer renew stepping down at its local
//! deadline. The database's clock runs in real time here, so the lease period is long (60 s)
//! and a lost lease is made by giving it back behind the holder's back. With a 60 s period an
//! engine's manager runs at 12, 24, 36, … s after its start and its renewer at 0, 6, 18,
//! 30, … s. The real-time,
//! real-process version (kill -9, SIGSTOP past the period) is in `lease_cli.rs`.

use std::time::Duration;

use autoposter::engine::{Engine, EngineError, LeaseConfig};
use autoposter::schedule::Plan;
use autoposter::store::{CycleStatus, Lease, Store};
use tokio::time::Instant;

use crate::helpers::{customer, settings, Rig};

fn s(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

const TTL: Duration = Duration::from_secs(60);

fn leases(holder: &str) -> LeaseConfig {
    LeaseConfig {
        holder: holder.to_string(),
        ttl: TTL,
    }
}

/// Customer 1, 1 account × `groups` groups 5 s apart, 60 s between cycles, marked running;
/// engine "a" sharing the store, its keeper started at the returned instant (its manager's
/// first round, at 12 s, claims).
async fn shared_rig(groups: usize) -> (Rig, Instant) {
    let c = customer(1, Plan::Enterprise, 1, groups, settings(5.0, 60.0, None));
    let rig = Rig::new(&[c], Duration::ZERO).await;
    rig.store.mark_running(1, 42).await.unwrap();
    rig.engine.share(leases("a"));
    let t0 = Instant::now();
    assert_eq!(rig.engine.resume().await.unwrap(), 0, "the keeper claims");
    (rig, t0)
}

/// A second engine on the rig's store, Telegram and clock.
fn second(rig: &Rig, holder: &str) -> (Engine, autoposter::engine::EngineTasks) {
    let (engine, tasks) = Engine::with_clock(
        rig.store.clone(),
        rig.sim.clone(),
        None,
        *rig.engine.clock(),
    );
    engine.share(leases(holder));
    (engine, tasks)
}

/// (group, term) of every logged post of customer 1, in log order.
async fn logged_terms(store: &Store) -> Vec<(i64, i64)> {
    store
        .posts_with_terms()
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.group_id, p.term))
        .collect()
}

/// Shuts both engines down.
async fn finish_both(rig: &mut Rig, b: Engine, b_tasks: autoposter::engine::EngineTasks) {
    b.shutdown().await;
    b_tasks.finish().await;
    rig.finish().await;
}

/// `holder:term` of every acquisition of the customer's lease, in term order.
async fn history(store: &Store, customer_id: i64) -> Vec<String> {
    store
        .lease_history(customer_id)
        .await
        .unwrap()
        .into_iter()
        .map(|(h, t, _)| format!("{h}:{t}"))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn the_keeper_claims_the_customer_and_its_cycle_runs_under_the_lease() {
    let (mut rig, t0) = shared_rig(3).await;
    let cycle = rig.next_cycle().await;
    assert_eq!(
        cycle.start,
        t0 + s(12),
        "claimed at the keeper's first round"
    );
    assert_eq!(cycle.tally.sent, 3);
    assert_eq!(rig.engine.leases_held(), Some(1));
    rig.engine.flush().await;
    assert_eq!(logged_terms(&rig.store).await, vec![(1, 1), (2, 1), (3, 1)]);
    rig.finish().await;
    // Shutdown gives the lease back and leaves the customer running for the next engine.
    assert!(!rig.store.lease_active(1).await.unwrap());
    assert_eq!(rig.store.running_customers().await.unwrap(), vec![1]);
}

/// Worst case: the database gives the customer to engine "b" while "a" still trusts its lease
/// (no real clock does this; the fence and the random ids must hold anyway). "b" resumes the
/// cycle on its anchor; the slots both send carry one random id each, so they are posted
/// once; "a"'s rows for them are refused by the fence; "a" lets the customer go as soon as its
/// renewer finds the lease lost.
#[tokio::test(start_paused = true)]
async fn a_customer_taken_over_mid_cycle_is_resumed_and_nothing_is_posted_twice() {
    let (mut rig, t0) = shared_rig(10).await;
    // "b" starts 9 s after "a": its manager's rounds fall at 21, 33, … s.
    tokio::time::sleep_until(t0 + s(9)).await;
    let (b, b_tasks) = second(&rig, "b");
    b.resume().await.unwrap();
    // Posts at 12 and 17 s made by "a"; then its lease is taken from it.
    tokio::time::sleep_until(t0 + s(19)).await;
    let lease = Lease {
        customer_id: 1,
        term: 1,
        expires_at: 0,
    };
    assert!(rig.store.release_lease("a", &lease).await.unwrap());
    // "b" claims at 21 s and resumes with group 3 at 22 s; "a" still trusts its lease (renewed
    // at 18 s) and also sends groups 3 and 4 (22, 27 s) until its renewer, at 30 s, finds the
    // lease gone.
    tokio::time::sleep_until(t0 + s(29)).await;
    assert!(rig.engine.is_running(1));
    tokio::time::sleep_until(t0 + s(31)).await;
    assert!(!rig.engine.is_running(1), "\"a\" let it go at 30 s");
    assert!(b.is_running(1));
    // The cycle ends under "b" (its last post at 57 s, 5 s after it).
    tokio::time::sleep_until(t0 + s(63)).await;
    b.flush().await;
    let cycles = rig.store.cycles(1).await.unwrap();
    assert_eq!(cycles[0].seq, 1);
    assert_eq!(
        cycles[0].status,
        CycleStatus::Done,
        "one cycle, finished by \"b\""
    );
    let mut posted: Vec<i64> = rig.sim.sent().iter().map(|x| x.group_id).collect();
    posted.sort();
    assert_eq!(
        posted,
        (1..=10).collect::<Vec<_>>(),
        "every slot posted once"
    );
    assert_eq!(
        rig.sim
            .duplicates()
            .iter()
            .map(|x| (x.at - t0, x.group_id))
            .collect::<Vec<_>>(),
        vec![(s(22), 3), (s(27), 4)],
        "both sent groups 3 and 4, each with one random id"
    );
    let mut terms = logged_terms(&rig.store).await;
    terms.sort();
    assert_eq!(
        terms,
        (1..=10)
            .map(|g| (g, if g <= 2 { 1 } else { 2 }))
            .collect::<Vec<_>>(),
        "each slot logged once; \"a\"'s late row refused"
    );
    assert_eq!(history(&rig.store, 1).await, vec!["a:1", "b:2"]);
    finish_both(&mut rig, b, b_tasks).await;
}

#[tokio::test(start_paused = true)]
async fn a_stop_from_another_engine_waits_until_the_holder_has_let_go() {
    let (mut rig, t0) = shared_rig(10).await;
    let (b, b_tasks) = second(&rig, "b");
    tokio::time::sleep_until(t0 + s(20)).await;
    // "b" (the bot's process, say) stops customer 1, which "a" runs: it returns once "a" has
    // stopped it (its renewer finds it no longer running at 30 s) and given the lease back.
    b.stop(1).await.unwrap();
    let stopped = Instant::now();
    assert!(
        stopped >= t0 + s(30) && stopped < t0 + s(31),
        "{:?}",
        stopped - t0
    );
    assert!(!rig.engine.is_running(1));
    assert!(!rig.store.lease_active(1).await.unwrap());
    let last = rig.sim.sent().iter().map(|x| x.at).max().unwrap();
    assert_eq!(
        last - t0,
        s(27),
        "posts at 12, 17, 22, 27 s; none after the stop"
    );
    tokio::time::sleep(s(120)).await;
    assert_eq!(rig.sim.sent().len(), 4);
    let cycle = &rig.store.cycles(1).await.unwrap()[0];
    assert_eq!(
        cycle.status,
        CycleStatus::Stopped,
        "the holder closed its cycle"
    );
    assert_eq!(
        b.stop(1).await.unwrap_err().to_string(),
        EngineError::NotRunning(1).to_string()
    );
    finish_both(&mut rig, b, b_tasks).await;
}

#[tokio::test(start_paused = true)]
async fn a_start_claims_the_customer_and_another_engine_is_refused() {
    let c = customer(1, Plan::Enterprise, 1, 3, settings(5.0, 60.0, None));
    let mut rig = Rig::new(&[c], Duration::ZERO).await;
    rig.engine.share(leases("a"));
    let (b, b_tasks) = second(&rig, "b");
    rig.engine.start(1, None).await.unwrap();
    assert_eq!(rig.engine.leases_held(), Some(1));
    assert!(matches!(
        b.start(1, None).await,
        Err(EngineError::AlreadyRunning(1))
    ));
    assert_eq!(rig.next_cycle().await.tally.sent, 3);
    // A stop where it runs gives the lease back at once.
    rig.engine.stop(1).await.unwrap();
    assert!(!rig.store.lease_active(1).await.unwrap());
    assert_eq!(rig.engine.leases_held(), Some(0));
    b.start(1, None).await.unwrap();
    assert_eq!(history(&rig.store, 1).await, vec!["a:1", "b:2"]);
    finish_both(&mut rig, b, b_tasks).await;
}

/// The database goes away: renewals fail, and the engine stops sending at its local deadline
/// (the last good round's start + ttl − ttl/3), before the lease could expire for anyone else.
#[tokio::test(start_paused = true)]
async fn an_engine_that_cannot_renew_stops_sending_at_its_local_deadline() {
    let (mut rig, t0) = shared_rig(20).await;
    // Claimed at 12 s, renewed at 18 and 30 s; the database is gone from 31 s.
    tokio::time::sleep_until(t0 + s(31)).await;
    rig.store.close().await;
    tokio::time::sleep_until(t0 + s(200)).await;
    let at: Vec<Duration> = rig.sim.sent().iter().map(|x| x.at - t0).collect();
    // Due every 5 s from 12 s; the deadline is 30 + 40 = 70 s.
    assert_eq!(at, (0..12).map(|k| s(12 + 5 * k)).collect::<Vec<_>>());
    assert!(!rig.engine.is_running(1), "let go once the deadline passed");
    assert_eq!(rig.engine.leases_held(), Some(0));
    rig.finish().await;
}

/// An engine joins: the one holding every customer gives back its excess, only a customer
/// waiting between cycles, and the newcomer runs that customer's next cycle on time.
#[tokio::test(start_paused = true)]
async fn a_joining_engine_gets_its_share_at_a_cycle_boundary() {
    let customers: Vec<_> = (1..=2)
        .map(|id| customer(id, Plan::Enterprise, 1, 2, settings(5.0, 60.0, None)))
        .collect();
    let rig = Rig::new(&customers, Duration::ZERO).await;
    for id in 1..=2 {
        rig.store.mark_running(id, 42 + id).await.unwrap();
    }
    rig.engine.share(leases("a"));
    let t0 = Instant::now();
    rig.engine.resume().await.unwrap();
    // "a" claims both at 12 s (alone then); their cycles post at 12 and 17 s and end at 22 s;
    // the next ones are due at 82 s. "b" joins at 25 s.
    tokio::time::sleep_until(t0 + s(25)).await;
    assert_eq!(rig.engine.leases_held(), Some(2));
    let (b, b_tasks) = second(&rig, "b");
    b.resume().await.unwrap();
    // "a"'s renewer sees two engines at 30 s, its manager gives customer 2 back at 36 s; "b"
    // claims it at its first manager round, 37 s.
    tokio::time::sleep_until(t0 + s(40)).await;
    assert_eq!(rig.engine.leases_held(), Some(1));
    assert_eq!(b.leases_held(), Some(1));
    assert!(rig.engine.is_running(1) && b.is_running(2));
    // Its next cycle: at 82 s, as due, by "b".
    tokio::time::sleep_until(t0 + s(100)).await;
    let starts: Vec<(i64, i64, i64)> = {
        let mut v = Vec::new();
        for id in 1..=2 {
            for c in rig.store.cycles(id).await.unwrap() {
                v.push((id, c.seq, c.started_at));
            }
        }
        v
    };
    let at = |d: Duration| rig.engine.clock().wall_ms(t0 + d);
    assert_eq!(
        starts,
        vec![
            (1, 1, at(s(12))),
            (1, 2, at(s(82))),
            (2, 1, at(s(12))),
            (2, 2, at(s(82)))
        ]
    );
    assert_eq!(history(&rig.store, 2).await, vec!["a:1", "b:2"]);
    let mut rig = rig;
    finish_both(&mut rig, b, b_tasks).await;
}
