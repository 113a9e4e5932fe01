//! `kill -9` of the engine at random points, many times, over hundreds of posts, with the
//! simulated Telegram keeping its posts in a file across the engine's lives: afterwards no
//! slot was posted twice, every post is in the post log, and no slot is silently missing
//! (every slot of a finished cycle has an outcome; the cycle left open by the final stop has
//! its outcomes as a prefix of each account's groups, to be resumed). Half the customers post
//! media (an album, or one photo): each item of a slot is posted once, resumed or not.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use autoposter::schedule::content::MediaKind;
use autoposter::schedule::{Plan, RandomIds};
use autoposter::store::{NewMedia, Store};

use crate::helpers::{customer, settings, wait_for};

const CUSTOMERS: i64 = 10;

fn engine(url: &str, ledger: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_autoposter"))
        .args(["engine", "--simulated-accounts", "--sim-latency-ms", "20"])
        .arg("--sim-ledger")
        .arg(ledger)
        .arg("--database-url")
        .arg(url)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "error")
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

/// (account, group, random id) of every post made (requests that repeated an id left out).
fn ledger_lines(path: &std::path::Path) -> Vec<(i64, i64, i64)> {
    autoposter::telegram::sim::read_ledger(path)
        .unwrap()
        .into_iter()
        .filter(|r| !r.repeated)
        .map(|r| (r.account, r.group, r.random_id))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_minus_9_at_random_points_loses_and_duplicates_nothing() {
    let dir = std::env::temp_dir().join(format!("autoposter-crash-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("e.db").display());
    let ledger = dir.join("telegram.ledger");
    // 10 customers × 2 accounts × 4 groups, 3 s apart, 2 s between cycles: about 6.7 posts
    // a second in all.
    let store = Store::connect(&url).await.unwrap();
    let customers: Vec<_> = (1..=CUSTOMERS)
        .map(|id| customer(id, Plan::Enterprise, 2, 4, settings(3.0, 2.0, None)))
        .collect();
    store.create_customers(&customers).await.unwrap();
    for id in 1..=CUSTOMERS {
        store.mark_running(id, 1_000 + id).await.unwrap();
    }
    // Customers 1–3 post an album of two, 4–5 a photo; the rest a text.
    let photo = NewMedia {
        kind: MediaKind::Photo,
        bytes: b"a photo",
        name: None,
        mime: None,
    };
    let video = NewMedia {
        kind: MediaKind::Video,
        bytes: b"a video",
        name: None,
        mime: None,
    };
    let items = |c: i64| match c {
        1..=3 => 2,
        _ => 1,
    };
    for c in 1..=5 {
        let files = [photo, video];
        let set = store.set_media_content(c, &files[..items(c)], "caption");
        set.await.unwrap();
    }
    store.close().await;

    let mut kills = 0;
    while kills < 10 || ledger_lines(&ledger).len() < 240 {
        let mut child = engine(&url, &ledger);
        wait_for(&mut child, "engine running");
        std::thread::sleep(Duration::from_millis(fastrand::u64(1_000..4_000)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        assert!(
            kills < 40,
            "too slow: {} posts",
            ledger_lines(&ledger).len()
        );
    }
    // A last life, stopped gracefully.
    let mut child = engine(&url, &ledger);
    wait_for(&mut child, "engine running");
    std::thread::sleep(Duration::from_secs(4));
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert_eq!(child.wait().unwrap().code(), Some(0));

    let posted = ledger_lines(&ledger);
    assert!(posted.len() >= 240, "{}", posted.len());
    let store = Store::connect(&url).await.unwrap();
    let mut slots_posted: HashMap<(i64, i64, i64, i64), usize> = HashMap::new();
    // (customer, cycle, account, group, item) of every item Telegram got.
    let mut items_posted: HashMap<(i64, i64, i64, i64, usize), usize> = HashMap::new();
    let mut explained = 0;
    for c in 1..=CUSTOMERS {
        let key = store.snapshot(c).await.unwrap().unwrap().post_key.unwrap();
        let accounts: HashSet<i64> = store
            .accounts(c)
            .await
            .unwrap()
            .iter()
            .map(|a| a.id)
            .collect();
        let groups: Vec<i64> = store
            .groups(c)
            .await
            .unwrap()
            .iter()
            .map(|g| g.id)
            .collect();
        let cycles = store.cycles(c).await.unwrap();
        let max_seq = cycles.iter().map(|x| x.seq).max().unwrap_or(0);
        // Cycle numbers have no gaps.
        let seqs: Vec<i64> = cycles.iter().map(|x| x.seq).collect();
        assert_eq!(seqs, (1..=max_seq).collect::<Vec<_>>(), "customer {c}");
        // Every post Telegram got maps to one slot of one of this customer's cycles.
        let n_items = if c <= 5 { items(c) } else { 1 };
        for (account, group, random_id) in posted.iter().filter(|p| accounts.contains(&p.0)) {
            let (seq, item) = (1..=max_seq + 1)
                .flat_map(|s| (0..n_items).map(move |i| (s, i)))
                .find(|(s, i)| RandomIds::of(key, *s, *account, *group).item(*i) == *random_id)
                .unwrap_or_else(|| panic!("a post no slot explains: {account} {group}"));
            *items_posted
                .entry((c, seq, *account, *group, item))
                .or_default() += 1;
            if item == 0 {
                *slots_posted.entry((c, seq, *account, *group)).or_default() += 1;
            }
            explained += 1;
        }
        // Each item of a posted slot once: no album resumed with an item twice or missing.
        for ((cc, seq, account, group), _) in slots_posted.iter().filter(|(k, _)| k.0 == c) {
            for item in 0..n_items {
                let n = items_posted.get(&(*cc, *seq, *account, *group, item));
                assert_eq!(
                    n,
                    Some(&1),
                    "customer {c} slot {seq}/{account}/{group} item {item}"
                );
            }
        }
        // The post log: each slot at most once, and every post Telegram got is logged sent.
        let rows = store.posts(c).await.unwrap();
        let mut logged: HashMap<(i64, i64, i64), String> = HashMap::new();
        for r in &rows {
            let slot = (r.cycle_seq, r.account_id, r.group_id);
            assert!(
                logged.insert(slot, r.outcome.clone()).is_none(),
                "customer {c}: slot {slot:?} logged twice"
            );
        }
        for ((cc, seq, account, group), n) in &slots_posted {
            if *cc != c {
                continue;
            }
            assert_eq!(*n, 1, "slot {seq}/{account}/{group} posted {n} times");
            assert_eq!(
                logged.get(&(*seq, *account, *group)).map(String::as_str),
                Some("sent"),
                "customer {c}: a post Telegram has is not logged as sent"
            );
        }
        for ((seq, account, group), outcome) in &logged {
            if outcome == "sent" {
                assert!(
                    slots_posted.contains_key(&(c, *seq, *account, *group)),
                    "customer {c}: logged sent, but Telegram never got it"
                );
            }
        }
        // Nothing silently missing: a finished cycle has every slot; the open one (the last,
        // left for the next start) has a prefix of each account's groups.
        for cycle in &cycles {
            let per_account: HashMap<i64, Vec<i64>> = logged
                .keys()
                .filter(|(s, _, _)| *s == cycle.seq)
                .fold(HashMap::new(), |mut m, (_, a, g)| {
                    m.entry(*a).or_default().push(*g);
                    m
                });
            match cycle.status.as_str() {
                "done" => {
                    let n: usize = per_account.values().map(Vec::len).sum();
                    assert_eq!(n as i64, cycle.planned, "customer {c} cycle {}", cycle.seq);
                }
                "running" => assert_eq!(cycle.seq, max_seq, "only the last cycle is open"),
                other => panic!("customer {c} cycle {}: {other}", cycle.seq),
            }
            for (account, got) in per_account {
                let mut got = got;
                got.sort_by_key(|g| groups.iter().position(|x| x == g));
                assert_eq!(
                    got,
                    groups[..got.len()].to_vec(),
                    "customer {c} cycle {} account {account}: a gap",
                    cycle.seq
                );
            }
        }
    }
    assert_eq!(explained, posted.len(), "every post belongs to a customer");
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
