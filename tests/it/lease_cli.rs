//! Three `autoposter engine` processes on one PostgreSQL database, sharing six customers
//! through leases (period 3 s), with one simulated Telegram (a ledger file they all append to,
//! each line naming the process that posted). One engine is killed with `kill -9`; another is
//! frozen with SIGSTOP for twice the lease period and then continued. Afterwards:
//! - no account was ever posted from by an engine that did not hold its customer's lease at
//!   that moment (each post in the ledger against the lease history), so never by two at once;
//! - the customers of the killed and the frozen engine were taken over within one lease period
//!   (plus one keeper round) of the kill and of the freeze;
//! - nothing was posted twice, every post is in the post log once, and every finished cycle
//!   has every slot.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use autoposter::schedule::Plan;
use autoposter::store::{unix_ms_now, Store};

use crate::helpers::{customer, settings, wait_for};

const CUSTOMERS: i64 = 6;
const TTL_MS: i64 = 3_000;
/// A keeper round is a fifth of the period; the slack covers process scheduling in CI.
const TAKEOVER_MS: i64 = TTL_MS + TTL_MS / 5 + 1_500;

fn engine(url: &str, ledger: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_autoposter"))
        .args(["engine", "--simulated-accounts", "--sim-latency-ms", "50"])
        .args(["--lease-ttl", &(TTL_MS / 1000).to_string()])
        .arg("--sim-ledger")
        .arg(ledger)
        .arg("--database-url")
        .arg(url)
        .env_remove("DATABASE_URL")
        .env_remove("AUTOPOSTER_LEASE_TTL")
        .env("RUST_LOG", "error")
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

fn signal(child: &Child, sig: i32) {
    assert_eq!(unsafe { libc::kill(child.id() as i32, sig) }, 0);
}

fn sleep(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

/// One request the simulated Telegram received.
struct Request {
    account: i64,
    group: i64,
    random_id: i64,
    pid: u32,
    at_ms: i64,
    /// The random id was already posted from the account: nothing was posted.
    repeated: bool,
}

fn ledger(path: &std::path::Path) -> Vec<Request> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Vec<i64> = l.split(',').map(|p| p.parse().unwrap()).collect();
            Request {
                account: v[0],
                group: v[1],
                random_id: v[2],
                pid: v[3] as u32,
                at_ms: v[4],
                repeated: v[5] == 1,
            }
        })
        .collect()
}

/// Who held `customer` at `at_ms`: the holder of the latest acquisition not after it.
fn holder_at(history: &[(String, i64, i64)], at_ms: i64) -> Option<&str> {
    history
        .iter()
        .filter(|(_, _, acquired)| *acquired <= at_ms)
        .max_by_key(|(_, term, _)| *term)
        .map(|(holder, _, _)| holder.as_str())
}

/// The pid in a holder's name (`host:pid:xxxx`).
fn pid_of(holder: &str) -> u32 {
    holder.split(':').nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn three_engines_one_killed_one_frozen_never_post_for_the_same_customer_at_once() {
    let Some(pg) = crate::helpers::pg_db().await else {
        return;
    };
    let store = Store::connect(&pg.url).await.unwrap();
    let customers: Vec<_> = (1..=CUSTOMERS)
        .map(|id| customer(id, Plan::Enterprise, 2, 8, settings(3.0, 2.0, None)))
        .collect();
    store.create_customers(&customers).await.unwrap();
    for id in 1..=CUSTOMERS {
        store.mark_running(id, 1_000 + id).await.unwrap();
    }
    let dir = std::env::temp_dir().join(format!("autoposter-leases-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let ledger_path = dir.join("telegram.ledger");

    let mut engines: Vec<Child> = (0..3).map(|_| engine(&pg.url, &ledger_path)).collect();
    for e in &mut engines {
        wait_for(e, "sharing customers through leases");
    }
    sleep(8_000);
    let killed = engines[0].id();
    signal(&engines[0], libc::SIGKILL);
    let kill_ms = unix_ms_now();
    let _ = engines[0].wait();
    sleep(6_000);
    let frozen = engines[1].id();
    signal(&engines[1], libc::SIGSTOP);
    let freeze_ms = unix_ms_now();
    sleep(2 * TTL_MS as u64);
    signal(&engines[1], libc::SIGCONT);
    sleep(8_000);
    for e in &engines[1..] {
        signal(e, libc::SIGTERM);
    }
    for e in &mut engines[1..] {
        assert!(e.wait().unwrap().success(), "a graceful stop");
    }

    let requests = ledger(&ledger_path);
    let posts: Vec<&Request> = requests.iter().filter(|r| !r.repeated).collect();
    let mut account_of_customer: HashMap<i64, i64> = HashMap::new();
    let mut histories = HashMap::new();
    for id in 1..=CUSTOMERS {
        for a in store.accounts(id).await.unwrap() {
            account_of_customer.insert(a.id, id);
        }
        histories.insert(id, store.lease_history(id).await.unwrap());
    }
    assert!(posts.len() >= 60, "only {} posts", posts.len());

    // Every request (a repeated id too) came from the engine holding its customer's lease at
    // that moment.
    for r in &requests {
        let c = account_of_customer[&r.account];
        let holder = holder_at(&histories[&c], r.at_ms).expect("a post before any lease");
        assert_eq!(
            pid_of(holder),
            r.pid,
            "customer {c} account {} group {} requested at {} by pid {}, lease held by {holder}",
            r.account,
            r.group,
            r.at_ms,
            r.pid
        );
    }
    // Both victims held customers when struck, and lost every one of them in time.
    for (victim, struck_ms) in [(killed, kill_ms), (frozen, freeze_ms)] {
        let mut held = 0;
        for (c, history) in &histories {
            let Some(h) = holder_at(history, struck_ms) else {
                continue;
            };
            if pid_of(h) != victim {
                continue;
            }
            held += 1;
            let next = history
                .iter()
                .find(|(h, _, acquired)| *acquired > struck_ms && pid_of(h) != victim)
                .unwrap_or_else(|| panic!("customer {c} was never taken over from {victim}"));
            assert!(
                next.2 - struck_ms <= TAKEOVER_MS,
                "customer {c} taken over {} ms after pid {victim} was struck",
                next.2 - struck_ms
            );
        }
        assert!(held > 0, "pid {victim} held nothing when struck");
    }

    // Nothing posted twice; every post logged exactly once, as sent, with its random id.
    let mut seen = HashSet::new();
    for r in &posts {
        assert!(seen.insert((r.account, r.random_id)), "posted twice");
    }
    let mut logged: HashMap<(i64, i64), usize> = HashMap::new();
    for id in 1..=CUSTOMERS {
        let mut slots = HashSet::new();
        for row in store.posts(id).await.unwrap() {
            assert!(
                slots.insert((row.cycle_seq, row.account_id, row.group_id)),
                "customer {id}: slot {:?} logged twice",
                (row.cycle_seq, row.account_id, row.group_id)
            );
            if row.outcome == "sent" {
                *logged.entry((row.account_id, row.random_id)).or_default() += 1;
            }
        }
        for cycle in store.cycles(id).await.unwrap() {
            if cycle.status == "done" {
                let n = slots.iter().filter(|s| s.0 == cycle.seq).count() as i64;
                assert_eq!(n, cycle.planned, "customer {id} cycle {}", cycle.seq);
            }
        }
    }
    for r in &posts {
        assert_eq!(
            logged.get(&(r.account, r.random_id)),
            Some(&1),
            "post of account {} to group {} not in the log",
            r.account,
            r.group
        );
    }
    assert_eq!(
        logged.len(),
        posts.len(),
        "a logged post Telegram never saw"
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    pg.drop_db().await;
}
