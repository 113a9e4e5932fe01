//! The store's suite, run against SQLite (a real file) and PostgreSQL (a fresh database).

use std::time::Duration;

use autoposter::schedule::Mode;
use autoposter::schedule::Plan;
use autoposter::schedule::DAY_MS;
use autoposter::store::postlog::PostLog;
use autoposter::store::{
    AccountStatus, CycleEnd, CycleStart, CycleStatus, CycleTally, Fence, GroupStatus, GroupTally,
    LogEntry, NewPayment, PaymentRecorded, PlanGrant, PostRow, Restriction, Store, StoreError,
    CHECKOUT_VALID_MS,
};

use crate::helpers::{customer, settings};

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let dir = std::env::temp_dir().join(format!(
                        "autoposter-test-{}-{}",
                        std::process::id(),
                        fastrand::u64(..)
                    ));
                    std::fs::create_dir_all(&dir).unwrap();
                    let url = format!("sqlite:{}", dir.join("store.db").display());
                    let store = autoposter::store::Store::connect(&url).await.unwrap();
                    super::$name(&store).await;
                    store.close().await;
                    let _ = std::fs::remove_dir_all(&dir);
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(db) = crate::helpers::pg_db().await else { return };
                    let store = autoposter::store::Store::connect(&db.url).await.unwrap();
                    assert_eq!(store.backend(), autoposter::store::Backend::Postgres);
                    super::$name(&store).await;
                    store.close().await;
                    db.drop_db().await;
                }
            )*
        }
    };
}

suite!(
    payments_of_many_customers_at_once_are_each_granted,
    a_configured_customer_reads_back_as_one_snapshot,
    plans_settings_and_messages_are_replaced_not_duplicated,
    groups_keep_their_order_and_refuse_a_duplicate_reference,
    cycles_are_recorded_in_order_with_their_posts_and_tallies,
    post_rows_round_trip_in_batches_of_any_size,
    each_customer_reads_only_its_own_posts_in_due_order,
    the_batched_writer_writes_everything_it_is_given,
    running_flags_survive_and_unknown_customers_are_errors,
    restrictions_are_recorded_read_back_and_lifted,
    a_customers_silent_switch_and_a_groups_topic_reach_the_snapshot,
    an_accounts_premium_flag_is_kept_and_scoped_to_its_customer,
    the_bots_customer_queries_touch_only_the_customers_rows,
    a_payment_grants_once_and_extends_the_running_plan,
    reminders_are_due_once_per_expiry,
    the_admin_lists_and_statistics_count_what_is_there,
    leases_fence_out_a_holder_that_lost_its_lease,
    media_posts_store_each_file_once_and_read_back_typed,
    a_groups_forum_topic_rights_and_media_choice_reach_the_snapshot_and_the_choice_resumes_it,
    a_forward_post_reads_back_and_any_other_post_replaces_it,
);

async fn an_accounts_premium_flag_is_kept_and_scoped_to_its_customer(store: &Store) {
    store.ensure_customer(1, None).await.unwrap();
    store.ensure_customer(2, None).await.unwrap();
    let a = store.add_account(1, "+1").await.unwrap();
    let b = store.add_account(1, "+2").await.unwrap();
    let c = store.add_account(2, "+3").await.unwrap();
    assert!(
        store.premium_accounts(1).await.unwrap().is_empty(),
        "none by default"
    );
    assert!(store.set_account_premium(1, b, true).await.unwrap());
    assert!(
        !store.set_account_premium(2, a, true).await.unwrap(),
        "another customer's account is not touched"
    );
    assert!(store.set_account_premium(2, c, true).await.unwrap());
    assert_eq!(store.premium_accounts(1).await.unwrap(), vec![b]);
    assert_eq!(store.premium_accounts(2).await.unwrap(), vec![c]);
    assert!(store.set_account_premium(1, b, false).await.unwrap());
    assert!(store.premium_accounts(1).await.unwrap().is_empty());
}

fn row(cycle_seq: i64, account_id: i64, group_id: i64, n: i64) -> PostRow {
    PostRow {
        customer_id: 1,
        cycle_seq,
        account_id,
        group_id,
        random_id: n * 7919 - 3,
        target_at: 1_700_000_000_000 + n * 3_000,
        sent_at: (n % 5 != 0).then_some(1_700_000_000_000 + n * 3_000 + n % 3),
        lateness_us: (n % 5 != 0).then_some(n % 3 * 1000),
        outcome: if n % 5 == 0 {
            "skipped".into()
        } else {
            "sent".into()
        },
        error: (n % 5 == 0).then(|| "flood_wait".to_string()),
    }
}

async fn a_configured_customer_reads_back_as_one_snapshot(store: &Store) {
    let mut c = customer(42, Plan::Starter, 2, 3, settings(3.5, 7.0, Some(12.5)));
    c.plan.expires_at = Some(1_900_000_000_000);
    store.create_customers(&[c]).await.unwrap();
    let snap = store.snapshot(42).await.unwrap().unwrap();
    assert_eq!(
        snap.plan,
        Some(PlanGrant {
            plan: Plan::Starter,
            expires_at: Some(1_900_000_000_000)
        })
    );
    assert_eq!(snap.settings, Some(settings(3.5, 7.0, Some(12.5))));
    assert_eq!(snap.message_html.as_deref(), Some("<b>Sale</b> today"));
    let labels: Vec<_> = snap.accounts.iter().map(|a| a.label.as_str()).collect();
    assert_eq!(labels, ["account 1", "account 2"]);
    let refs: Vec<_> = snap.groups.iter().map(|g| g.reference.as_str()).collect();
    assert_eq!(refs, ["@group_1", "@group_2", "@group_3"]);
    assert!(store.snapshot(43).await.unwrap().is_none());
}

async fn plans_settings_and_messages_are_replaced_not_duplicated(store: &Store) {
    store.ensure_customer(7, Some("ru")).await.unwrap();
    store.ensure_customer(7, Some("en")).await.unwrap();
    let snap = store.snapshot(7).await.unwrap().unwrap();
    assert_eq!(
        (snap.plan, snap.settings, snap.message_html),
        (None, None, None)
    );
    assert!(matches!(
        store.set_message(7, "early").await,
        Err(StoreError::NoCustomer(7))
    ));
    for plan in [Plan::Starter, Plan::Enterprise] {
        store
            .set_plan(
                7,
                PlanGrant {
                    plan,
                    expires_at: None,
                },
            )
            .await
            .unwrap();
    }
    store
        .save_settings(7, &settings(3.0, 5.0, None))
        .await
        .unwrap();
    store.set_message(7, "<i>one</i>").await.unwrap();
    store
        .save_settings(7, &settings(9.0, 0.0, Some(30.0)))
        .await
        .unwrap();
    store.set_message(7, "<i>two</i>").await.unwrap();
    let snap = store.snapshot(7).await.unwrap().unwrap();
    assert_eq!(snap.plan.unwrap().plan, Plan::Enterprise);
    assert_eq!(snap.settings, Some(settings(9.0, 0.0, Some(30.0))));
    assert_eq!(
        snap.message_html.as_deref(),
        Some("<i>two</i>"),
        "saving settings keeps the message"
    );
}

async fn groups_keep_their_order_and_refuse_a_duplicate_reference(store: &Store) {
    store.ensure_customer(1, None).await.unwrap();
    store.ensure_customer(2, None).await.unwrap();
    let a = store.add_group(1, "@b").await.unwrap();
    let b = store.add_group(1, "@a").await.unwrap();
    store.add_group(2, "@a").await.unwrap();
    assert!(matches!(
        store.add_group(1, "@a").await,
        Err(StoreError::Duplicate)
    ));
    let acc = store.add_account(1, "Анна \"quoted\" \\ 🚀").await.unwrap();
    let snap = store.snapshot(1).await.unwrap().unwrap();
    let ids: Vec<_> = snap.groups.iter().map(|g| (g.id, g.position)).collect();
    assert_eq!(ids, [(a, 1), (b, 2)]);
    assert_eq!(snap.accounts[0].id, acc);
    assert_eq!(
        snap.accounts[0].label, "Анна \"quoted\" \\ 🚀",
        "labels survive the snapshot's JSON"
    );
    assert!(matches!(
        store.add_group(3, "@x").await,
        Err(StoreError::NoCustomer(3))
    ));
    assert!(matches!(
        store.add_account(3, "x").await,
        Err(StoreError::NoCustomer(3))
    ));
}

async fn cycles_are_recorded_in_order_with_their_posts_and_tallies(store: &Store) {
    store.ensure_customer(1, None).await.unwrap();
    store.ensure_customer(2, None).await.unwrap();
    let start = |customer_id, seq, started_at| CycleStart {
        customer_id,
        seq,
        mode: Mode::Starter,
        started_at,
        planned: 6,
        plan: None,
    };
    let tally = CycleTally {
        sent: 4,
        failed: 1,
        skipped: 1,
    };
    store
        .write_log(&[
            LogEntry::CycleStarted(start(1, 1, 1_000)),
            LogEntry::Post(row(1, 1, 1, 1)),
            LogEntry::CycleStarted(start(2, 1, 1_100)),
            LogEntry::Post(row(1, 1, 2, 2)),
            LogEntry::CycleFinished(CycleEnd {
                customer_id: 1,
                seq: 1,
                ended_at: 1_500,
                completed: true,
                tally,
                groups: vec![GroupTally {
                    group_id: 1,
                    sent: 4,
                    failed: 1,
                    skipped: 1,
                    last_error: Some("slow_mode".into()),
                }],
            }),
        ])
        .await
        .unwrap();
    store
        .write_log(&[LogEntry::CycleStarted(start(1, 2, 2_000))])
        .await
        .unwrap();
    // The same cycle number twice is refused, and the refused batch leaves nothing behind.
    let again = store
        .write_log(&[
            LogEntry::Post(row(2, 1, 3, 3)),
            LogEntry::CycleStarted(start(1, 2, 2_500)),
        ])
        .await;
    assert!(matches!(again, Err(StoreError::Sql(_))), "{again:?}");
    assert_eq!(store.posts(1).await.unwrap().len(), 2);
    let cycles = store.cycles(1).await.unwrap();
    assert_eq!(cycles.len(), 2);
    let c = &cycles[0];
    assert_eq!(
        (
            c.seq,
            c.mode.as_str(),
            c.started_at,
            c.ended_at,
            c.status.as_str()
        ),
        (1, "starter", 1_000, Some(1_500), "done")
    );
    assert_eq!((c.planned, c.sent, c.failed, c.skipped), (6, 4, 1, 1));
    assert_eq!(
        (cycles[1].status.as_str(), cycles[1].ended_at),
        ("running", None)
    );
    let last = store.last_cycles(1).await.unwrap();
    assert_eq!(last.current.map(|c| c.seq), Some(2));
    assert_eq!(last.finished.map(|c| c.seq), Some(1));
    assert_eq!(
        last.groups,
        vec![GroupTally {
            group_id: 1,
            sent: 4,
            failed: 1,
            skipped: 1,
            last_error: Some("slow_mode".into()),
        }]
    );
    store
        .write_log(&[LogEntry::CycleFinished(CycleEnd {
            customer_id: 1,
            seq: 2,
            ended_at: 2_600,
            completed: false,
            tally: CycleTally::default(),
            groups: Vec::new(),
        })])
        .await
        .unwrap();
    assert_eq!(
        store.cycles(1).await.unwrap()[1].status,
        CycleStatus::Stopped
    );
    // The status screen reads the newest cycle and the newest finished one with its report.
    let last = store.last_cycles(1).await.unwrap();
    assert_eq!(last.current.as_ref().map(|c| c.seq), Some(2));
    assert_eq!(last.finished.as_ref().map(|c| c.seq), Some(2));
    assert!(last.groups.is_empty());
    let last = store.last_cycles(2).await.unwrap();
    assert_eq!(last.current.map(|c| c.status), Some(CycleStatus::Running));
    assert_eq!(last.finished, None);
    assert_eq!(store.cycles(2).await.unwrap()[0].started_at, 1_100);
    assert_eq!(store.snapshot(1).await.unwrap().unwrap().last_seq, 2);
    assert_eq!(store.snapshot(2).await.unwrap().unwrap().last_seq, 1);
    // A cycle nobody resumes is closed with what its post log holds (not as if it posted
    // nothing); a finished cycle is left as it is.
    let other = |group_id, n, outcome: &str| {
        LogEntry::Post(PostRow {
            customer_id: 2,
            outcome: outcome.into(),
            ..row(1, 1, group_id, n)
        })
    };
    store
        .write_log(&[
            other(1, 1, "sent"),
            other(2, 2, "sent"),
            other(3, 3, "skipped"),
            other(4, 4, "flood_wait"),
        ])
        .await
        .unwrap();
    assert_eq!(store.close_open_cycles(2, 3_000).await.unwrap(), 1);
    let c = &store.cycles(2).await.unwrap()[0];
    assert_eq!(
        (c.status.as_str(), c.ended_at, c.sent, c.skipped, c.failed),
        ("stopped", Some(3_000), 2, 1, 1)
    );
    assert_eq!(store.close_open_cycles(1, 3_000).await.unwrap(), 0);
    assert_eq!(store.cycles(1).await.unwrap()[1].ended_at, Some(2_600));
}

async fn post_rows_round_trip_in_batches_of_any_size(store: &Store) {
    for (cycle, n) in [(1, 1usize), (2, 255), (3, 256), (4, 777)] {
        let rows: Vec<PostRow> = (0..n as i64)
            .map(|i| row(cycle, i / 50 + 1, i % 50 + 1, i))
            .collect();
        store.insert_posts(&rows).await.unwrap();
    }
    let all = store.posts(1).await.unwrap();
    assert_eq!(all.len(), 1 + 255 + 256 + 777);
    assert_eq!(store.count_posts().await.unwrap(), all.len() as i64);
    let mut want: Vec<PostRow> = (0..777)
        .map(|i| row(4, i / 50 + 1, i % 50 + 1, i))
        .collect();
    want.sort_by_key(|r| (r.target_at, r.account_id, r.group_id));
    let got: Vec<PostRow> = all.into_iter().filter(|r| r.cycle_seq == 4).collect();
    assert_eq!(got, want);
}

async fn each_customer_reads_only_its_own_posts_in_due_order(store: &Store) {
    let mine: Vec<PostRow> = (0..40).rev().map(|i| row(3, 1, i + 1, i)).collect();
    let theirs: Vec<PostRow> = (0..25)
        .map(|i| PostRow {
            customer_id: 2,
            ..row(4, 9, i + 1, i)
        })
        .collect();
    store
        .insert_posts(&[mine.clone(), theirs].concat())
        .await
        .unwrap();
    let got = store.posts(1).await.unwrap();
    let mut want = mine;
    want.reverse();
    assert_eq!(got, want);
    assert_eq!(store.posts(2).await.unwrap().len(), 25);
    assert!(store.posts(3).await.unwrap().is_empty());
}

async fn the_batched_writer_writes_everything_it_is_given(store: &Store) {
    let (log, task) = PostLog::start(store.clone());
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let log = log.clone();
            tokio::spawn(async move {
                for i in 0..2_500i64 {
                    log.record(row(w, i / 100 + 1, i % 100 + 1, i), None).await;
                }
            })
        })
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    log.flush().await;
    assert_eq!(store.count_posts().await.unwrap(), 10_000);
    log.record(row(77, 1, 1, 1), None).await;
    let stats = task.finish().await;
    assert_eq!(stats.entries, 10_001);
    assert_eq!(stats.failed_entries, 0);
    assert!(stats.batches < 10_001, "rows were batched: {stats:?}");
    assert_eq!(store.count_posts().await.unwrap(), 10_001);
    tokio::time::sleep(Duration::from_millis(1)).await;
}

async fn running_flags_survive_and_unknown_customers_are_errors(store: &Store) {
    for id in [3, 1, 2] {
        store.ensure_customer(id, None).await.unwrap();
    }
    store.set_running(3, true).await.unwrap();
    store.set_running(1, true).await.unwrap();
    store.set_running(1, false).await.unwrap();
    store.set_running(2, true).await.unwrap();
    assert_eq!(store.running_customers().await.unwrap(), vec![2, 3]);
    // The post key is set by the first mark and never replaced.
    assert_eq!(store.mark_running(1, 11).await.unwrap(), 11);
    store.set_running(1, false).await.unwrap();
    assert_eq!(store.mark_running(1, 22).await.unwrap(), 11);
    assert_eq!(store.snapshot(1).await.unwrap().unwrap().post_key, Some(11));
    assert_eq!(store.running_customers().await.unwrap(), vec![1, 2, 3]);
    assert!(matches!(
        store.mark_running(5, 1).await,
        Err(StoreError::NoCustomer(5))
    ));
    assert!(matches!(
        store
            .set_plan(
                5,
                PlanGrant {
                    plan: Plan::Starter,
                    expires_at: None
                }
            )
            .await,
        Err(StoreError::NoCustomer(5))
    ));
    assert!(matches!(
        store.save_settings(5, &settings(3.0, 1.0, None)).await,
        Err(StoreError::NoCustomer(5))
    ));
}

async fn restrictions_are_recorded_read_back_and_lifted(store: &Store) {
    store.ensure_customer(1, None).await.unwrap();
    let a = store.add_account(1, "+1").await.unwrap();
    let b = store.add_account(1, "+2").await.unwrap();
    let g = store.add_group(1, "@g").await.unwrap();
    let paid = store.add_group(1, "@paid").await.unwrap();
    let wait = |until_at| {
        LogEntry::Restrict(Restriction::AccountWait {
            account_id: a,
            until_at,
            reason: "flood_wait".into(),
        })
    };
    store
        .write_log(&[
            wait(5_000),
            wait(9_000),
            LogEntry::Restrict(Restriction::PairWait {
                account_id: b,
                group_id: g,
                until_at: 7_000,
            }),
            LogEntry::Restrict(Restriction::PairBlock {
                account_id: a,
                group_id: g,
                reason: "banned".into(),
                at: 1_000,
                stars: None,
            }),
            LogEntry::Restrict(Restriction::PairBlock {
                account_id: b,
                group_id: paid,
                reason: "payment_required".into(),
                at: 2_000,
                stars: Some(250),
            }),
            LogEntry::Restrict(Restriction::Quarantine {
                account_id: b,
                reason: "peer_flood".into(),
            }),
            // An account removed meanwhile leaves nothing behind, and no error.
            LogEntry::Restrict(Restriction::PairBlock {
                account_id: 999,
                group_id: g,
                reason: "banned".into(),
                at: 1_000,
                stars: None,
            }),
        ])
        .await
        .unwrap();
    let snap = store.snapshot(1).await.unwrap().unwrap();
    assert_eq!(
        snap.restrictions.account_waits,
        vec![(a, 9_000)],
        "the later wait replaces"
    );
    assert_eq!(snap.restrictions.pair_waits, vec![(b, g, 7_000)]);
    assert_eq!(snap.restrictions.pair_blocks, vec![(a, g), (b, paid)]);
    assert_eq!(
        snap.accounts.len(),
        1,
        "the quarantined account is out of the cycle"
    );
    assert_eq!(store.account_waits(1).await.unwrap(), vec![(a, 9_000)]);
    assert_eq!(store.pair_waits(1).await.unwrap(), vec![(b, g, 7_000)]);
    let blocks = store.pair_blocks(1).await.unwrap();
    let blocks: Vec<_> = blocks
        .iter()
        .map(|b| (b.reason.as_str(), b.stars))
        .collect();
    assert_eq!(blocks, [("banned", None), ("payment_required", Some(250))]);
    let accounts = store.accounts(1).await.unwrap();
    assert_eq!(
        (accounts[1].status.as_str(), accounts[1].reason.as_deref()),
        ("quarantined", Some("peer_flood"))
    );
    // Another customer can't lift this customer's refusals.
    store.ensure_customer(2, None).await.unwrap();
    assert_eq!(store.clear_pair_blocks(2, g).await.unwrap(), 0);
    assert_eq!(store.clear_pair_blocks(1, g).await.unwrap(), 1);
    assert_eq!(store.clear_pair_blocks(1, paid).await.unwrap(), 1);
    assert!(store
        .snapshot(1)
        .await
        .unwrap()
        .unwrap()
        .restrictions
        .pair_blocks
        .is_empty());
}

async fn a_customers_silent_switch_and_a_groups_topic_reach_the_snapshot(store: &Store) {
    store.ensure_customer(1, None).await.unwrap();
    store.ensure_customer(2, None).await.unwrap();
    let plain = store.add_group(1, "@plain").await.unwrap();
    let forum = store.add_group(1, "@forum").await.unwrap();
    let snap = store.snapshot(1).await.unwrap().unwrap();
    assert!(!snap.silent, "posts make a sound unless the customer asks");
    assert!(snap.groups.iter().all(|g| g.topic.is_none()));
    assert!(!store.silent(1).await.unwrap());
    store.set_silent(1, true).await.unwrap();
    assert!(store.silent(1).await.unwrap());
    assert!(!store.silent(2).await.unwrap(), "another customer's stays");
    assert!(matches!(
        store.set_silent(9, true).await,
        Err(StoreError::NoCustomer(9))
    ));
    assert!(matches!(
        store.silent(9).await,
        Err(StoreError::NoCustomer(9))
    ));
    // Another customer can't set a topic on this customer's group.
    assert!(!store.set_group_topic(2, forum, Some(7)).await.unwrap());
    assert!(store
        .set_group_topic(1, forum, Some(i32::MAX))
        .await
        .unwrap());
    let snap = store.snapshot(1).await.unwrap().unwrap();
    assert!(snap.silent);
    let topics: Vec<_> = snap.groups.iter().map(|g| (g.id, g.topic)).collect();
    assert_eq!(topics, [(plain, None), (forum, Some(i32::MAX))]);
    let listed: Vec<_> = (store.groups(1).await.unwrap().iter())
        .map(|g| (g.id, g.topic))
        .collect();
    assert_eq!(listed, topics);
    // Back to the main chat, and sound on.
    assert!(store.set_group_topic(1, forum, None).await.unwrap());
    store.set_silent(1, false).await.unwrap();
    let snap = store.snapshot(1).await.unwrap().unwrap();
    assert!(!snap.silent);
    assert!(snap.groups.iter().all(|g| g.topic.is_none()));
}

async fn a_groups_forum_topic_rights_and_media_choice_reach_the_snapshot_and_the_choice_resumes_it(
    store: &Store,
) {
    use autoposter::schedule::choice::{MediaBans, MediaChoice};
    store.ensure_customer(1, None).await.unwrap();
    store.ensure_customer(2, None).await.unwrap();
    let a = store.add_account(1, "+1").await.unwrap();
    let b = store.add_account(1, "+2").await.unwrap();
    let forum = store.add_group(1, "@forum").await.unwrap();
    let strict = store.add_group(1, "@strict").await.unwrap();
    let fresh = store.groups(1).await.unwrap();
    assert!(fresh.iter().all(|g| !g.forum
        && g.topic_title.is_none()
        && g.media_bans.is_empty()
        && g.media_choice.is_none()));
    let bans = MediaBans {
        photos: true,
        gifs: true,
        ..MediaBans::NONE
    };
    // Another customer's changes touch nothing.
    assert!(!store.set_group_kind(2, strict, true, bans).await.unwrap());
    assert!(!(store.set_group_topic_titled(2, forum, Some((3, "x"))))
        .await
        .unwrap());
    assert!(
        !(store.set_media_choice(2, strict, Some(MediaChoice::Skip)))
            .await
            .unwrap()
    );
    assert!(store
        .set_group_kind(1, forum, true, MediaBans::NONE)
        .await
        .unwrap());
    assert!(store.set_group_kind(1, strict, false, bans).await.unwrap());
    assert!(
        (store.set_group_topic_titled(1, forum, Some((3, "Deals «new»"))))
            .await
            .unwrap()
    );
    // Refusals: a media one and an album one for @strict (answered by a choice), a ban (not).
    let block = |account_id, reason: &str| {
        LogEntry::Restrict(Restriction::PairBlock {
            account_id,
            group_id: strict,
            reason: reason.into(),
            at: 1_000,
            stars: None,
        })
    };
    store
        .write_log(&[
            block(a, "photos_forbidden"),
            block(b, "albums_refused"),
            LogEntry::Restrict(Restriction::PairBlock {
                account_id: a,
                group_id: forum,
                reason: "banned".into(),
                at: 1_000,
                stars: None,
            }),
        ])
        .await
        .unwrap();
    assert!(
        (store.set_media_choice(1, strict, Some(MediaChoice::CaptionAsText)))
            .await
            .unwrap()
    );
    let blocks: Vec<_> = (store.pair_blocks(1).await.unwrap().into_iter())
        .map(|b| (b.account_id, b.group_id, b.reason))
        .collect();
    assert_eq!(
        blocks,
        [(a, forum, "banned".to_string())],
        "only the ban stays"
    );
    // Lifting a topic's refusals leaves the ban; another customer lifts nothing.
    let topic = ["topic_closed", "topic_deleted"];
    assert_eq!(store.lift_refusals(1, forum, &topic).await.unwrap(), 0);
    assert_eq!(store.lift_refusals(2, forum, &["banned"]).await.unwrap(), 0);
    assert_eq!(store.pair_blocks(1).await.unwrap().len(), 1);
    assert_eq!(store.lift_refusals(1, forum, &["banned"]).await.unwrap(), 1);
    let snap = store.snapshot(1).await.unwrap().unwrap();
    let listed = store.groups(1).await.unwrap();
    for groups in [&snap.groups, &listed] {
        let seen: Vec<_> = (groups.iter())
            .map(|g| {
                (
                    g.id,
                    g.forum,
                    g.topic,
                    g.topic_title.clone(),
                    g.media_bans,
                    g.media_choice,
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (
                    forum,
                    true,
                    Some(3),
                    Some("Deals «new»".to_string()),
                    MediaBans::NONE,
                    None
                ),
                (
                    strict,
                    false,
                    None,
                    None,
                    bans,
                    Some(MediaChoice::CaptionAsText)
                ),
            ]
        );
    }
    // Back to the main chat, and media as they are.
    assert!(store.set_group_topic_titled(1, forum, None).await.unwrap());
    assert!(store.set_media_choice(1, strict, None).await.unwrap());
    let listed = store.groups(1).await.unwrap();
    assert!(listed
        .iter()
        .all(|g| g.topic.is_none() && g.topic_title.is_none()));
    assert!(listed.iter().all(|g| g.media_choice.is_none()));
}

async fn the_bots_customer_queries_touch_only_the_customers_rows(store: &Store) {
    store.ensure_customer(1, None).await.unwrap();
    store.ensure_customer(2, None).await.unwrap();
    let mine = store.add_account(1, "+1").await.unwrap();
    let group = store.add_group(1, "@mine").await.unwrap();
    // Someone else's ids change nothing.
    assert!(!store
        .set_account_status(2, mine, AccountStatus::Paused, None)
        .await
        .unwrap());
    assert!(!store.remove_account(2, mine).await.unwrap());
    assert!(!store
        .set_group_status(2, group, GroupStatus::Paused, None)
        .await
        .unwrap());
    assert!(!store.remove_group(2, group).await.unwrap());
    assert_eq!(
        store.accounts(1).await.unwrap()[0].status,
        AccountStatus::Active
    );
    assert_eq!(
        store.groups(1).await.unwrap()[0].status,
        GroupStatus::Active
    );
    // Language, pending question, welcome.
    store.set_language(1, Some("ru")).await.unwrap();
    store
        .set_awaiting(1, Some("{\"kind\":\"group\"}"))
        .await
        .unwrap();
    store.set_welcomed(1).await.unwrap();
    let row = store.customer(1).await.unwrap().unwrap();
    assert_eq!(row.language.as_deref(), Some("ru"));
    assert_eq!(row.awaiting.as_deref(), Some("{\"kind\":\"group\"}"));
    assert!(row.welcomed && !row.has_settings);
    assert!(!store.customer(2).await.unwrap().unwrap().welcomed);
    // How an account reaches a group.
    store
        .save_group_peer(mine, group, -1001, 77, Some(30))
        .await
        .unwrap();
    store
        .save_group_peer(mine, group, -1001, 78, None)
        .await
        .unwrap();
    assert_eq!(
        store.group_peer(mine, group).await.unwrap(),
        Some((-1001, 78))
    );
    assert!(matches!(
        store.set_language(3, Some("en")).await,
        Err(StoreError::NoCustomer(3))
    ));
}

/// Customers paying at the same moment (found by the customer harness: two payments at once
/// on SQLite, one answered "database is locked" and its plan not granted). Each payment's
/// transaction reads its approval and then writes: on SQLite it must take the write lock
/// first, or a concurrent writer makes it fail instead of wait.
async fn payments_of_many_customers_at_once_are_each_granted(store: &Store) {
    let now = 1_700_000_000_000;
    let payload = "plan:STARTER:30:250";
    let customers: Vec<i64> = (1..=16).collect();
    for id in &customers {
        store.ensure_customer(*id, None).await.unwrap();
        store
            .approve_checkout(*id, payload, 250, now)
            .await
            .unwrap();
    }
    let payments: Vec<NewPayment> = customers
        .iter()
        .map(|id| NewPayment {
            charge_id: format!("ch-{id}"),
            provider_charge_id: None,
            customer_id: *id,
            stars: 250,
            grant: Some((Plan::Starter, 30)),
            payload: payload.into(),
            paid_at: now + 1,
        })
        .collect();
    let recorded =
        futures_util::future::join_all(payments.iter().map(|p| store.record_payment(p))).await;
    for (id, r) in customers.iter().zip(recorded) {
        assert!(
            matches!(r, Ok(PaymentRecorded::Granted(_))),
            "customer {id}: {r:?}"
        );
    }
}

async fn a_payment_grants_once_and_extends_the_running_plan(store: &Store) {
    store.ensure_customer(1, None).await.unwrap();
    let now = 1_700_000_000_000;
    let payload = "plan:STARTER:30:250";
    let pay = |charge: &str, grant: Option<(Plan, u32)>, at: i64| NewPayment {
        charge_id: charge.into(),
        provider_charge_id: None,
        customer_id: 1,
        stars: 250,
        grant,
        payload: payload.into(),
        paid_at: at,
    };
    // Not approved at pre-checkout: recorded, nothing granted.
    assert_eq!(
        store
            .record_payment(&pay("ch-0", Some((Plan::Starter, 30)), now))
            .await
            .unwrap(),
        PaymentRecorded::Unapproved
    );
    assert_eq!(store.plan_of(1).await.unwrap(), None);
    // Approvals of another customer, another amount, or too long ago do not count either.
    store.ensure_customer(2, None).await.unwrap();
    store.approve_checkout(2, payload, 250, now).await.unwrap();
    store.approve_checkout(1, payload, 249, now).await.unwrap();
    store
        .approve_checkout(1, payload, 250, now - CHECKOUT_VALID_MS - 1)
        .await
        .unwrap();
    assert_eq!(
        store
            .record_payment(&pay("ch-00", Some((Plan::Starter, 30)), now))
            .await
            .unwrap(),
        PaymentRecorded::Unapproved
    );
    store
        .approve_checkout(1, payload, 250, now - 1_000)
        .await
        .unwrap();
    let first = store
        .record_payment(&pay("ch-1", Some((Plan::Starter, 30)), now))
        .await
        .unwrap();
    let until = now + 30 * DAY_MS;
    let grant = PlanGrant {
        plan: Plan::Starter,
        expires_at: Some(until),
    };
    assert_eq!(first, PaymentRecorded::Granted(grant));
    // The same payment delivered again: nothing changes.
    let again = store
        .record_payment(&pay("ch-1", Some((Plan::Starter, 30)), now + 5))
        .await
        .unwrap();
    assert_eq!(again, PaymentRecorded::Duplicate);
    assert_eq!(store.plan_of(1).await.unwrap(), Some(grant));
    // Each approval grants once: a second payment needs its own.
    assert_eq!(
        store
            .record_payment(&pay("ch-1b", Some((Plan::Starter, 30)), now + 10))
            .await
            .unwrap(),
        PaymentRecorded::Unapproved
    );
    assert_eq!(store.plan_of(1).await.unwrap(), Some(grant));
    // A renewal while running extends from the expiry.
    store
        .approve_checkout(1, payload, 250, now + DAY_MS)
        .await
        .unwrap();
    let renewed = store
        .record_payment(&pay("ch-2", Some((Plan::Starter, 30)), now + DAY_MS))
        .await
        .unwrap();
    assert_eq!(
        renewed,
        PaymentRecorded::Granted(PlanGrant {
            plan: Plan::Starter,
            expires_at: Some(until + 30 * DAY_MS)
        })
    );
    // A payment that matches no invoice is kept, and grants nothing.
    assert_eq!(
        store.record_payment(&pay("ch-3", None, now)).await.unwrap(),
        PaymentRecorded::Unmatched
    );
    let stats = store.fleet_stats(0).await.unwrap();
    assert_eq!((stats.payments, stats.stars), (6, 1_500));
    // Unknown payer: refused, nothing recorded.
    let mut stranger = pay("ch-4", Some((Plan::Starter, 30)), now);
    stranger.customer_id = 99;
    assert!(matches!(
        store.record_payment(&stranger).await,
        Err(StoreError::NoCustomer(99))
    ));
    assert_eq!(store.fleet_stats(0).await.unwrap().payments, 6);
}

async fn reminders_are_due_once_per_expiry(store: &Store) {
    let now = 1_700_000_000_000;
    for id in [1, 2, 3] {
        store.ensure_customer(id, None).await.unwrap();
    }
    let grant = |days: i64| PlanGrant {
        plan: Plan::Enterprise,
        expires_at: Some(now + days * DAY_MS),
    };
    store.set_plan(1, grant(3)).await.unwrap();
    store.set_plan(2, grant(1)).await.unwrap();
    store
        .set_plan(
            3,
            PlanGrant {
                plan: Plan::Starter,
                expires_at: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        store.next_unreminded_expiry(now).await.unwrap(),
        Some(now + DAY_MS)
    );
    assert_eq!(
        store.due_reminders(now, DAY_MS).await.unwrap(),
        vec![(2, grant(1))]
    );
    store.mark_reminded(2, now + DAY_MS).await.unwrap();
    assert!(store.due_reminders(now, DAY_MS).await.unwrap().is_empty());
    assert_eq!(
        store.next_unreminded_expiry(now).await.unwrap(),
        Some(now + 3 * DAY_MS)
    );
    // Renewed: the new expiry is due its own reminder later.
    store.set_plan(2, grant(5)).await.unwrap();
    assert_eq!(
        store.due_reminders(now + 4 * DAY_MS, DAY_MS).await.unwrap(),
        vec![(2, grant(5))]
    );
    // A stale mark (an expiry that moved) changes nothing.
    store.mark_reminded(2, now + DAY_MS).await.unwrap();
    assert_eq!(
        store.due_reminders(now + 4 * DAY_MS, DAY_MS).await.unwrap(),
        vec![(2, grant(5))]
    );
}

async fn the_admin_lists_and_statistics_count_what_is_there(store: &Store) {
    store
        .create_customers(&[
            customer(5, Plan::Starter, 2, 3, settings(3.0, 5.0, Some(60.0))),
            customer(7, Plan::Enterprise, 1, 1, settings(3.0, 5.0, None)),
        ])
        .await
        .unwrap();
    store.ensure_customer(6, Some("ru")).await.unwrap();
    store.set_running(7, true).await.unwrap();
    assert_eq!(store.count_customers().await.unwrap(), 3);
    let page = store.customers_page(0, 2).await.unwrap();
    let ids: Vec<_> = page.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![5, 6]);
    assert_eq!((page[0].accounts, page[0].groups), (2, 3));
    assert_eq!(page[0].plan.map(|g| g.plan), Some(Plan::Starter));
    assert_eq!(
        (page[1].plan, page[1].language.as_deref()),
        (None, Some("ru"))
    );
    let rest = store.customers_page(2, 2).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert!(rest[0].running);
    let account = store.accounts(5).await.unwrap()[0].id;
    store
        .set_account_status(5, account, AccountStatus::Quarantined, Some("peer_flood"))
        .await
        .unwrap();
    let mut old = row(1, account, 1, 1);
    old.customer_id = 5;
    old.target_at = 1_000;
    let mut recent = row(1, account, 1, 2);
    recent.customer_id = 5;
    let mut failed = row(1, account, 1, 3);
    failed.customer_id = 5;
    failed.outcome = "peer_flood".into();
    store.insert_posts(&[old, recent, failed]).await.unwrap();
    let stats = store.fleet_stats(1_600_000_000_000).await.unwrap();
    assert_eq!((stats.customers, stats.running), (3, 1));
    assert_eq!(
        stats.accounts,
        vec![("active".to_string(), 2), ("quarantined".to_string(), 1)]
    );
    assert_eq!(
        stats.posts,
        vec![("peer_flood".to_string(), 1), ("sent".to_string(), 1)]
    );
}

async fn a_second_engine_lock_is_refused_until_the_first_is_dropped(url: &str) {
    let first = Store::connect(url).await.unwrap();
    let second = Store::connect(url).await.unwrap();
    let lock = first.lock_engine().await.unwrap();
    let refused = second.lock_engine().await.unwrap_err();
    assert!(matches!(refused, StoreError::EngineRunning(_)), "{refused}");
    assert!(refused
        .to_string()
        .starts_with("another engine is running on this SQLite database"));
    drop(lock);
    second.lock_engine().await.unwrap();
    first.close().await;
    second.close().await;
}

#[tokio::test]
async fn one_engine_per_sqlite_file() {
    let dir = std::env::temp_dir().join(format!("autoposter-lock-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("e.db").display());
    a_second_engine_lock_is_refused_until_the_first_is_dropped(&url).await;
    // In memory: private to the process, nothing to lock.
    let mem = Store::memory().await.unwrap();
    let _a = mem.lock_engine().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// On PostgreSQL engines share the database through leases: no engine lock refuses a second.
#[tokio::test]
async fn engines_share_a_postgres_database() {
    let Some(db) = crate::helpers::pg_db().await else {
        return;
    };
    let first = Store::connect(&db.url).await.unwrap();
    let second = Store::connect(&db.url).await.unwrap();
    let _a = first.lock_engine().await.unwrap();
    let _b = second.lock_engine().await.unwrap();
    first.close().await;
    second.close().await;
    db.drop_db().await;
}

async fn leases_fence_out_a_holder_that_lost_its_lease(store: &Store) {
    for id in [1, 2, 3] {
        store.ensure_customer(id, None).await.unwrap();
    }
    store.set_running(1, true).await.unwrap();
    store.set_running(3, true).await.unwrap();
    let before = store.db_now_ms().await.unwrap();
    let a = store.claim_leases("engine-a", 300, 10).await.unwrap();
    assert_eq!(
        a.iter()
            .map(|l| (l.customer_id, l.term))
            .collect::<Vec<_>>(),
        vec![(1, 1), (3, 1)],
        "the running customers, at term 1"
    );
    assert!(a[0].expires_at >= before + 300);
    // Held: nobody else gets them, and the holder renews.
    assert!(store
        .claim_leases("engine-b", 300, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        store.renew_leases("engine-a", &a, 300).await.unwrap().len(),
        2
    );
    assert!(store.holds_lease("engine-a", &a[0]).await.unwrap());
    // Expired: another engine takes them over at the next term; the old holder is fenced.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(!store.holds_lease("engine-a", &a[0]).await.unwrap());
    let b = store.claim_leases("engine-b", 10_000, 1).await.unwrap();
    assert_eq!(
        b.iter()
            .map(|l| (l.customer_id, l.term))
            .collect::<Vec<_>>(),
        vec![(1, 2)]
    );
    assert!(store
        .renew_leases("engine-a", &a[..1], 300)
        .await
        .unwrap()
        .is_empty());
    assert!(!store.release_lease("engine-a", &a[0]).await.unwrap());
    assert!(store.holds_lease("engine-b", &b[0]).await.unwrap());
    assert_eq!(
        store
            .lease_history(1)
            .await
            .unwrap()
            .iter()
            .map(|(h, t, _)| (h.as_str(), *t))
            .collect::<Vec<_>>(),
        vec![("engine-a", 1), ("engine-b", 2)]
    );
    // Given back: free at once.
    assert!(store.release_lease("engine-b", &b[0]).await.unwrap());
    let c = store.claim_leases("engine-c", 10_000, 10).await.unwrap();
    assert_eq!(
        c.iter()
            .map(|l| (l.customer_id, l.term))
            .collect::<Vec<_>>(),
        vec![(1, 3), (3, 2)]
    );
    // The writer's fence: entries under the current term are written, under an old one refused.
    let current = Fence {
        customer_id: 1,
        term: 3,
    };
    let stale = Fence {
        customer_id: 1,
        term: 2,
    };
    let (p1, p2) = (
        LogEntry::Post(row(1, 1, 1, 1)),
        LogEntry::Post(row(1, 1, 2, 2)),
    );
    let refused = store
        .write_log_fenced(&[(&p1, Some(current)), (&p2, Some(stale))])
        .await
        .unwrap();
    assert_eq!(refused, 1);
    let written: Vec<(i64, i64, i64, i64)> = store
        .posts_with_terms()
        .await
        .unwrap()
        .iter()
        .map(|p| (p.customer_id, p.account_id, p.group_id, p.term))
        .collect();
    assert_eq!(written, vec![(1, 1, 1, 3)]);
    // A customer stopped from elsewhere is not renewed, though its lease is still held: the
    // holder finds out and stops it. Only the holder's own (customer, term) pairs renew.
    assert_eq!(
        store.claim_lease_of("engine-b", 10_000, 1).await.unwrap(),
        None
    );
    assert!(store.stop_running(1).await.unwrap());
    assert!(!store.stop_running(1).await.unwrap(), "already stopped");
    let renewed = store.renew_leases("engine-c", &c, 10_000).await.unwrap();
    assert_eq!(
        renewed.iter().map(|l| l.customer_id).collect::<Vec<_>>(),
        vec![3]
    );
    assert!(store.holds_lease("engine-c", &c[0]).await.unwrap());
    assert!(store.lease_active(1).await.unwrap());
    assert!(store.release_lease("engine-c", &c[0]).await.unwrap());
    assert!(!store.lease_active(1).await.unwrap());
    // Stopped customers are not claimed; one marked running again is, alone when asked for.
    assert_eq!(
        store.claim_lease_of("engine-b", 10_000, 1).await.unwrap(),
        None
    );
    store.set_running(1, true).await.unwrap();
    let one = store.claim_lease_of("engine-b", 10_000, 1).await.unwrap();
    assert_eq!(one.map(|l| (l.customer_id, l.term)), Some((1, 4)));
    // An engine stopped by itself under a term another holder replaced changes nothing.
    assert!(!store.engine_stops(1, Some(current)).await.unwrap());
    assert!(store
        .engine_stops(
            1,
            Some(Fence {
                customer_id: 1,
                term: 4
            })
        )
        .await
        .unwrap());
    // An engine taking a customer up again never marks it running itself: a stop that came
    // in between stands.
    assert_eq!(store.keep_running(1, 99).await.unwrap(), None);
    assert_eq!(store.running_customers().await.unwrap(), vec![3]);
    let key = store.keep_running(3, 99).await.unwrap();
    assert!(key.is_some());
    assert_eq!(
        store.keep_running(3, 77).await.unwrap(),
        key,
        "the key never changes"
    );
    // Live engines: the ones seen within the period.
    assert_eq!(store.engine_heartbeat("engine-a", 10_000).await.unwrap(), 1);
    assert_eq!(store.engine_heartbeat("engine-b", 10_000).await.unwrap(), 2);
    store.engine_gone("engine-a").await.unwrap();
    assert_eq!(store.engine_heartbeat("engine-b", 10_000).await.unwrap(), 1);
}

/// Two engines claiming at the same moment on PostgreSQL get disjoint customers.
#[tokio::test]
async fn concurrent_claims_on_postgres_never_share_a_customer() {
    let Some(db) = crate::helpers::pg_db().await else {
        return;
    };
    let a = Store::connect(&db.url).await.unwrap();
    let b = Store::connect(&db.url).await.unwrap();
    for id in 1..=200 {
        a.ensure_customer(id, None).await.unwrap();
        a.set_running(id, true).await.unwrap();
    }
    for _ in 0..5 {
        let (x, y) = tokio::join!(
            a.claim_leases("engine-a", 60_000, 30),
            b.claim_leases("engine-b", 60_000, 30)
        );
        let (x, y) = (x.unwrap(), y.unwrap());
        assert!(x
            .iter()
            .all(|l| !y.iter().any(|m| m.customer_id == l.customer_id)));
    }
    let mut held = 0;
    for id in 1..=200 {
        let history = a.lease_history(id).await.unwrap();
        assert!(history.len() <= 1, "customer {id}: {history:?}");
        held += history.len();
    }
    assert_eq!(held, 200, "5 rounds of 2 × 30 claims cover the 200");
    a.close().await;
    b.close().await;
    db.drop_db().await;
}

/// (mode & 0o777) of `path`.
#[cfg(unix)]
fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[tokio::test]
async fn the_sqlite_database_and_its_wal_and_shm_files_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("autoposter-modes-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("private.db");
    let files = [
        db.clone(),
        dir.join("private.db-wal"),
        dir.join("private.db-shm"),
    ];
    // The usual umask, under which files are created readable by everyone (0644).
    let umask = unsafe { libc::umask(0o022) };
    let store = Store::connect(&format!("sqlite:{}", db.display()))
        .await
        .unwrap();
    unsafe { libc::umask(umask) };
    store.ensure_customer(1, None).await.unwrap();
    for file in &files {
        assert_eq!(mode_of(file), 0o600, "{}", file.display());
    }
    store.close().await;
    // A database left readable by others is made private when opened again.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let store = Store::connect(&format!("sqlite:{}", db.display()))
        .await
        .unwrap();
    store.ensure_customer(2, None).await.unwrap();
    for file in &files {
        assert_eq!(mode_of(file), 0o600, "{}", file.display());
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

async fn media_posts_store_each_file_once_and_read_back_typed(store: &Store) {
    use autoposter::schedule::content::{ContentRefusal, MediaKind, PostContent, Sha256};
    use autoposter::store::NewMedia;
    let s = settings(5.0, 0.0, Some(60.0));
    let customers = [
        customer(1, Plan::Starter, 1, 1, s),
        customer(2, Plan::Starter, 1, 1, s),
    ];
    store.create_customers(&customers).await.unwrap();
    // A customer from before media: the text is the post.
    let text = PostContent::Text {
        html: "<b>Sale</b> today".into(),
    };
    assert_eq!(store.content(1).await.unwrap(), Some(text.clone()));
    let snap = store.snapshot(1).await.unwrap().unwrap();
    assert_eq!(snap.content().unwrap(), Some(text));
    let photo: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let video = vec![7u8; 500];
    let files = [
        NewMedia {
            kind: MediaKind::Photo,
            bytes: &photo,
            name: Some("a.jpg"),
            mime: Some("image/jpeg"),
        },
        NewMedia {
            kind: MediaKind::Video,
            bytes: &video,
            name: Some("clip.mp4"),
            mime: Some("video/mp4"),
        },
    ];
    let album = store
        .set_media_content(1, &files, "<i>two</i>")
        .await
        .unwrap();
    let PostContent::Album { items, caption } = &album else {
        panic!("{album:?}")
    };
    assert_eq!(caption, "<i>two</i>");
    let carried: Vec<_> = items.iter().map(|i| (i.kind, i.sha256, i.size)).collect();
    assert_eq!(
        carried,
        [
            (MediaKind::Photo, Sha256::of(&photo), 3000),
            (MediaKind::Video, Sha256::of(&video), 500),
        ]
    );
    // The other customer posts the same photo alone, under another name: stored once, each
    // customer's post keeping its own name.
    let renamed = NewMedia {
        name: Some("b.jpg"),
        ..files[0]
    };
    let single = store.set_media_content(2, &[renamed], "").await.unwrap();
    assert!(matches!(single, PostContent::Media { .. }), "{single:?}");
    assert_eq!(store.media_count().await.unwrap(), 2);
    assert_eq!(store.content(1).await.unwrap().as_ref(), Some(&album));
    let snap = store.snapshot(1).await.unwrap().unwrap();
    assert_eq!(snap.items, items.clone());
    assert_eq!(snap.content().unwrap().as_ref(), Some(&album));
    assert_eq!(snap.message_html.as_deref(), Some("<i>two</i>"));
    let file = store
        .media_file(1, Sha256::of(&photo))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(file.bytes, photo, "the bytes read back whole");
    assert_eq!(
        (file.name.as_deref(), file.mime.as_deref()),
        (Some("a.jpg"), Some("image/jpeg"))
    );
    let theirs = store
        .media_file(2, Sha256::of(&photo))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(theirs.name.as_deref(), Some("b.jpg"));
    let video_file = store
        .media_file(1, Sha256::of(&video))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(video_file.name.as_deref(), Some("clip.mp4"));
    assert!(store
        .media_file(1, Sha256::of(b"none"))
        .await
        .unwrap()
        .is_none());
    // Nothing of a file's bytes in its Debug.
    for shown in [format!("{file:?}"), format!("{files:?}")] {
        assert!(!shown.contains("0, 1, 2, 3"), "{shown}");
        assert!(!shown.contains("7, 7, 7"), "{shown}");
    }
    // A refused post stores nothing and changes nothing.
    let other = vec![9u8; 10];
    let doc = NewMedia {
        kind: MediaKind::Document,
        bytes: &other,
        name: None,
        mime: None,
    };
    let err = store
        .set_media_content(1, &[files[0], doc], "mixed")
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Content(ContentRefusal::DocumentsMixed)),
        "{err:?}"
    );
    let err = store.set_media_content(1, &[], "").await.unwrap_err();
    assert!(matches!(err, StoreError::Content(ContentRefusal::NoMedia)));
    assert_eq!(store.media_count().await.unwrap(), 2);
    assert_eq!(store.content(1).await.unwrap().as_ref(), Some(&album));
    assert!(matches!(
        store.set_media_content(9, &files, "").await,
        Err(StoreError::NoCustomer(9))
    ));
    // Back to a text: the items go, the files stay for the other customer.
    store.set_message(1, "plain").await.unwrap();
    assert_eq!(
        store.content(1).await.unwrap(),
        Some(PostContent::Text {
            html: "plain".into()
        })
    );
    assert!(store.snapshot(1).await.unwrap().unwrap().items.is_empty());
    assert_eq!(store.content(2).await.unwrap(), Some(single));
    assert_eq!(store.media_count().await.unwrap(), 2);
}

async fn a_forward_post_reads_back_and_any_other_post_replaces_it(store: &Store) {
    use autoposter::schedule::content::{
        ContentRefusal, ForwardMode, ForwardSource, MediaKind, PostContent,
    };
    use autoposter::store::NewMedia;
    let s = settings(5.0, 0.0, Some(60.0));
    store
        .create_customers(&[customer(1, Plan::Starter, 1, 1, s)])
        .await
        .unwrap();
    let photo = vec![3u8; 100];
    let files = [NewMedia {
        kind: MediaKind::Photo,
        bytes: &photo,
        name: None,
        mime: None,
    }];
    store.set_media_content(1, &files, "cap").await.unwrap();
    let set = store.set_forward(1, "@news", vec![10, 11], ForwardMode::Copy, &[77, 78]);
    let forward = set.await.unwrap();
    let source = ForwardSource {
        chat: "@news".into(),
        message_ids: vec![10, 11],
    };
    let expected = PostContent::Forward {
        source: source.clone(),
        mode: ForwardMode::Copy,
    };
    assert_eq!(forward, expected);
    assert_eq!(store.content(1).await.unwrap().as_ref(), Some(&expected));
    let snap = store.snapshot(1).await.unwrap().unwrap();
    assert_eq!(snap.forward, Some((source, ForwardMode::Copy)));
    assert!(
        snap.items.is_empty(),
        "the media it replaced are gone from the post"
    );
    assert_eq!(snap.content().unwrap().as_ref(), Some(&expected));
    assert_eq!(store.forward_preview(1).await.unwrap(), [77, 78]);
    // A refused source changes nothing.
    let err = (store
        .set_forward(1, "news", vec![1], ForwardMode::Forward, &[])
        .await)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Content(ContentRefusal::BadSource)),
        "{err:?}"
    );
    assert_eq!(store.content(1).await.unwrap().as_ref(), Some(&expected));
    assert!(matches!(
        store
            .set_forward(9, "@news", vec![1], ForwardMode::Forward, &[])
            .await,
        Err(StoreError::NoCustomer(9))
    ));
    // Media, then a text, replace it.
    store.set_media_content(1, &files, "cap").await.unwrap();
    let snap = store.snapshot(1).await.unwrap().unwrap();
    assert_eq!((snap.forward, snap.items.len()), (None, 1));
    assert!(store.forward_preview(1).await.unwrap().is_empty());
    store
        .set_forward(1, "-100555", vec![3], ForwardMode::Forward, &[])
        .await
        .unwrap();
    store.set_message(1, "plain").await.unwrap();
    assert_eq!(
        store.content(1).await.unwrap(),
        Some(PostContent::Text {
            html: "plain".into()
        })
    );
    assert_eq!(store.snapshot(1).await.unwrap().unwrap().forward, None);
}
