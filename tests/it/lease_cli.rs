//! Three `autoposter engine` processes on one PostgreSQL database, sharing six customers
//! through leases (period 3 s), with one simulated Telegram (a ledger file they all append to,
//! each request naming the process that made it): a 40 s `autoposter bench soak`. Every 8 s
//! one engine is struck in turn: killed with `kill -9` (and replaced), or frozen with SIGSTOP
//! for twice the lease period and then continued. The soak's audit then shows:
//! - no request ever came from an engine that did not hold its customer's lease at that
//!   moment (the ledger against the lease history), and every logged post carries the term
//!   that was current when it was sent (the post log against the lease history): no account
//!   was used by two engines at once;
//! - every struck engine held customers, and each was taken over within one lease period
//!   (plus one keeper round) of the strike;
//! - nothing was posted twice, every post is in the post log once (and nothing else is), and
//!   every finished cycle has every slot.

use autoposter::bench::soak::{self, SoakArgs, SoakError};
use autoposter::store::Store;

const TTL_S: u64 = 3;
/// One period, one keeper round (a fifth of it), and slack for process scheduling in CI.
const TAKEOVER_MS: i64 = 3_000 + 600 + 1_500;

fn args(url: &str) -> SoakArgs {
    SoakArgs {
        engine_bin: env!("CARGO_BIN_EXE_autoposter").into(),
        database_url: autoposter::config::Secret::new(url),
        engines: 3,
        customers: 6,
        accounts: 2,
        groups: 8,
        delay_between_posts: 3.0,
        delay_between_cycles: 2.0,
        seconds: 40,
        strike_every: 8,
        lease_ttl: TTL_S,
        latency_ms: 50,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn three_engines_struck_in_turn_never_post_for_the_same_customer_at_once() {
    let Some(pg) = crate::helpers::pg_db().await else {
        return;
    };
    let report = soak::run(&args(&pg.url)).await.unwrap();
    let a = &report.audit;
    let kinds: Vec<&str> = report.strikes.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, vec!["kill -9", "SIGSTOP", "kill -9", "SIGSTOP"]);
    assert!(a.clean(), "{a:#?}");
    assert_eq!((a.foreign_requests, a.logged_outside_term), (0, 0));
    assert!(
        a.held_when_struck.iter().all(|n| *n > 0),
        "a struck engine held nothing: {:?}",
        a.held_when_struck
    );
    let takeover = a.takeover_max_ms.expect("customers were taken over");
    assert!(takeover <= TAKEOVER_MS, "took {takeover} ms");
    assert!(a.posts >= 80, "only {} posts", a.posts);
    assert!(a.cycles_done >= 6);
    // The graceful stop gave every lease back (not left to expire).
    let store = Store::connect(&pg.url).await.unwrap();
    for id in 1..=6 {
        assert!(!store.lease_active(id).await.unwrap(), "customer {id}");
    }
    store.close().await;
    // The soak refuses a database that already has customers.
    assert!(matches!(
        soak::run(&args(&pg.url)).await,
        Err(SoakError::NotEmpty)
    ));
    pg.drop_db().await;
}

#[tokio::test]
async fn the_soak_refuses_sqlite() {
    let dir = std::env::temp_dir().join(format!("autoposter-soak-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("s.db").display());
    Store::connect(&url).await.unwrap().close().await;
    assert!(matches!(
        soak::run(&args(&url)).await,
        Err(SoakError::NotPostgres)
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
