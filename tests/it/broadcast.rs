//! The admin broadcast: pacing within Telegram's limit (on tokio's paused clock, against a
//! fake that enforces 30 messages a second), retry_after obeyed, blocked users counted and
//! not retried, a restart resuming without resending; the bot's side of it; and the real
//! Bot API client against a local fake Bot API over HTTP.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use autoposter::bot::broadcast::{BroadcastSink, Broadcaster, Delivery};
use autoposter::bot::callback::Cb;
use autoposter::store::{BroadcastSource, Store};
use autoposter::telegram::BoxFuture;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::helpers::{alert, shown, texts, BotRig};

/// Telegram as the broadcast sees it: at most 30 messages in any second (else 429, nothing
/// delivered), 403 for blocked users, a reply after `latency`.
#[derive(Default)]
struct FakeSink {
    blocked: HashSet<i64>,
    latency: Duration,
    /// The n-th call (from 1) is answered 429 with this retry_after, whatever the rate.
    forced: Option<(usize, Duration)>,
    log: Mutex<Log>,
}

#[derive(Clone, Default)]
struct Log {
    calls: usize,
    window: VecDeque<Instant>,
    delivered: Vec<(i64, Instant)>,
    too_many: Vec<(i64, Instant)>,
    progress: Vec<String>,
}

impl BroadcastSink for FakeSink {
    fn deliver<'a>(&'a self, chat_id: i64, _: &'a BroadcastSource) -> BoxFuture<'a, Delivery> {
        Box::pin(async move {
            let now = Instant::now();
            let answer = {
                let mut log = self.log.lock().unwrap();
                log.calls += 1;
                while log
                    .window
                    .front()
                    .is_some_and(|at| now.duration_since(*at) >= Duration::from_secs(1))
                {
                    log.window.pop_front();
                }
                if let Some((n, wait)) = self.forced.filter(|(n, _)| *n == log.calls) {
                    let _ = n;
                    log.too_many.push((chat_id, now));
                    Delivery::RetryAfter(wait)
                } else if log.window.len() >= 30 {
                    log.too_many.push((chat_id, now));
                    Delivery::RetryAfter(Duration::from_secs(1))
                } else if self.blocked.contains(&chat_id) {
                    Delivery::Blocked("Forbidden: bot was blocked by the user".into())
                } else {
                    log.window.push_back(now);
                    log.delivered.push((chat_id, now));
                    Delivery::Delivered
                }
            };
            tokio::time::sleep(self.latency).await;
            answer
        })
    }

    fn progress<'a>(
        &'a self,
        _admin: i64,
        message_id: Option<i32>,
        text: String,
    ) -> BoxFuture<'a, Option<i32>> {
        self.log.lock().unwrap().progress.push(text);
        Box::pin(async move { Some(message_id.unwrap_or(900)) })
    }
}

const ADMIN: i64 = 1;

/// A store with the admin and customers 1000.. (`n` of them) and a confirmed broadcast.
async fn confirmed(n: i64) -> (Store, i64) {
    autoposter::engine::clock::use_virtual_time();
    let store = Store::memory().await.unwrap();
    store.ensure_customer(ADMIN, Some("en")).await.unwrap();
    for id in 1_000..1_000 + n {
        store.ensure_customer(id, None).await.unwrap();
    }
    let id = store
        .create_broadcast(ADMIN, &BroadcastSource::Html("<b>News</b>".into()), 0)
        .await
        .unwrap();
    assert_eq!(
        store.confirm_broadcast(id, 0, &[]).await.unwrap(),
        Some(n + 1)
    );
    (store, id)
}

/// The most messages in any one-second window.
fn busiest_second(at: &[Instant]) -> usize {
    let mut most = 0;
    for (i, start) in at.iter().enumerate() {
        let n = at[i..]
            .iter()
            .take_while(|t| t.duration_since(*start) < Duration::from_secs(1))
            .count();
        most = most.max(n);
    }
    most
}

#[tokio::test(start_paused = true)]
async fn broadcast_holds_30_per_second_and_sustains_at_least_28() {
    let (store, id) = confirmed(600).await;
    let sink = Arc::new(FakeSink {
        latency: Duration::from_millis(150),
        ..FakeSink::default()
    });
    let broadcaster = Broadcaster::new(store.clone(), sink.clone());
    let b = store.broadcast(id).await.unwrap().unwrap();
    let tally = broadcaster
        .send(b, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!((tally.sent, tally.pending, tally.failed), (601, 0, 0));
    let log = sink.log.lock().unwrap().clone();
    assert!(log.too_many.is_empty(), "{:?}", &log.too_many[..1]);
    let at: Vec<Instant> = log.delivered.iter().map(|(_, at)| *at).collect();
    assert!(busiest_second(&at) <= 30);
    let span = (*at.last().unwrap() - at[0]).as_secs_f64();
    let rate = (at.len() - 1) as f64 / span;
    assert!(rate >= 28.0, "sustained {rate:.2} messages a second");
    // The progress message went on being edited, and ends with the total.
    assert!(log.progress.len() >= 6, "{}", log.progress.len());
    assert_eq!(
        log.progress.last().unwrap(),
        &format!("✅ Broadcast #{id} done: 601 sent, 0 blocked the bot, 0 failed, of 601.")
    );
    assert!(
        log.progress[1].contains("left — about"),
        "{}",
        log.progress[1]
    );
    assert_eq!(store.broadcast(id).await.unwrap().unwrap().status, "done");
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_obeyed_and_blocked_users_are_counted_not_retried() {
    let (store, id) = confirmed(200).await;
    let blocked: HashSet<i64> = (1_000..1_010).collect();
    let sink = Arc::new(FakeSink {
        blocked: blocked.clone(),
        forced: Some((100, Duration::from_secs(3))),
        ..FakeSink::default()
    });
    let broadcaster = Broadcaster::new(store.clone(), sink.clone());
    let b = store.broadcast(id).await.unwrap().unwrap();
    let tally = broadcaster
        .send(b, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!((tally.sent, tally.blocked, tally.pending), (191, 10, 0));
    let log = sink.log.lock().unwrap().clone();
    // The 429'd recipient got it afterwards; nothing was sent during its retry_after.
    let (victim, at_429) = log.too_many[0];
    assert_eq!(log.too_many.len(), 1);
    assert!(log.delivered.iter().any(|(chat, _)| *chat == victim));
    assert!(
        !log.delivered
            .iter()
            .any(|(_, at)| *at > at_429 && *at < at_429 + Duration::from_secs(3)),
        "sent during the retry_after"
    );
    // Everyone else exactly once; the blocked ones were tried once and marked.
    let mut chats: Vec<i64> = log.delivered.iter().map(|(c, _)| *c).collect();
    chats.sort();
    let mut expected: Vec<i64> = std::iter::once(ADMIN)
        .chain((1_000..1_200).filter(|c| !blocked.contains(c)))
        .collect();
    expected.sort();
    assert_eq!(chats, expected);
    assert_eq!(
        log.calls,
        201 + 1,
        "one call per recipient, and the 429'd one again"
    );
    drop(log);
    assert_eq!(store.broadcast_audience(&[]).await.unwrap(), 191);
    // A later broadcast skips them.
    let next = store
        .create_broadcast(ADMIN, &BroadcastSource::Html("again".into()), 0)
        .await
        .unwrap();
    assert_eq!(
        store.confirm_broadcast(next, 0, &[]).await.unwrap(),
        Some(191)
    );
}

#[tokio::test(start_paused = true)]
async fn broadcast_resumes_after_restart_without_resending() {
    let (store, id) = confirmed(300).await;
    let sink = Arc::new(FakeSink::default());
    // The first run stops (as at shutdown) after 4 s.
    let stop = CancellationToken::new();
    let first = Broadcaster::new(store.clone(), sink.clone());
    let b = store.broadcast(id).await.unwrap().unwrap();
    let (tally, _) = tokio::join!(first.send(b, &stop), async {
        tokio::time::sleep(Duration::from_secs(4)).await;
        stop.cancel();
    });
    let tally = tally.unwrap();
    assert!(tally.sent > 50 && tally.pending > 100, "{tally:?}");
    assert_eq!(
        store.broadcast(id).await.unwrap().unwrap().status,
        "sending"
    );
    // A crash had cut one send short: in doubt, never repeated.
    let doubtful = store.pending_recipients(id, 0, 1).await.unwrap()[0];
    store
        .set_recipient_state(
            id,
            doubtful,
            autoposter::store::RecipientState::Sending,
            None,
        )
        .await
        .unwrap();
    // A new process picks it up.
    let second = Broadcaster::new(store.clone(), sink.clone());
    let b = store.sending_broadcast().await.unwrap().unwrap();
    let tally = second.send(b, &CancellationToken::new()).await.unwrap();
    assert_eq!((tally.sent, tally.unknown, tally.pending), (300, 1, 0));
    let mut chats: Vec<i64> = sink
        .log
        .lock()
        .unwrap()
        .delivered
        .iter()
        .map(|(c, _)| *c)
        .collect();
    let n = chats.len();
    chats.sort();
    chats.dedup();
    assert_eq!((chats.len(), n), (300, 300), "nobody got it twice");
    assert!(!chats.contains(&doubtful));
}

#[tokio::test]
async fn the_bot_asks_before_broadcasting_and_cancels_on_request() {
    let mut rig = BotRig::new(Some("en")).await;
    rig.control.set_admins(vec![crate::helpers::ME]);
    rig.cmd("/start").await;
    for id in 10..15 {
        rig.store.ensure_customer(id, None).await.unwrap();
    }
    assert!(texts(&rig.cmd("/broadcast").await)[0].starts_with("Reply /broadcast"));
    // With a text: a confirmation naming the recipients.
    // The admin (ME) is not among the recipients.
    let confirm = shown(&rig.cmd("/broadcast Big <news>").await);
    assert_eq!(
        confirm.text,
        "📣 Send broadcast #1 to 5 customers (admins not included)?"
    );
    assert_eq!(confirm.keyboard[0][0].text, "✅ Send to 5");
    let b = rig.store.broadcast(1).await.unwrap().unwrap();
    assert_eq!(b.source, BroadcastSource::Html("Big &lt;news&gt;".into()));
    assert_eq!(b.status, "draft");
    // A reply copies the replied message.
    let input = autoposter::bot::Input::Text {
        plain: "/broadcast".into(),
        html: "/broadcast".into(),
        message_id: 77,
        reply_to: Some(76),
    };
    rig.control.handle(&rig.sender(), input).await;
    assert_eq!(
        rig.store.broadcast(2).await.unwrap().unwrap().source,
        BroadcastSource::Copy {
            chat_id: crate::helpers::ME,
            message_id: 76
        }
    );
    rig.press(Cb::BroadcastAbandon(2)).await;
    assert_eq!(
        rig.store.broadcast(2).await.unwrap().unwrap().status,
        "cancelled"
    );
    // Confirmed: sending, with its recipients fixed.
    let started = shown(&rig.press(Cb::BroadcastConfirm(1)).await);
    assert_eq!(
        started.text,
        "📣 Broadcast #1 started: 5 recipients. Its progress follows."
    );
    assert!(alert(&rig.press(Cb::BroadcastConfirm(1)).await).contains("out of date"));
    assert!(alert(&rig.press(Cb::BroadcastConfirm(2)).await).contains("still being sent"));
    assert!(
        texts(&rig.cmd("/broadcast more").await)[0].starts_with("Broadcast #1 is still being sent")
    );
    assert_eq!(rig.store.broadcast_tally(1).await.unwrap().pending, 5);
    // Cancelled: nothing more goes out.
    assert!(texts(&rig.cmd("/broadcast_cancel").await)[0].starts_with("⏹ Stopping broadcast #1."));
    assert_eq!(
        rig.store.broadcast(1).await.unwrap().unwrap().status,
        "cancelled"
    );
    assert_eq!(
        texts(&rig.cmd("/broadcast_cancel").await)[0],
        "No broadcast is being sent."
    );
    // Not an admin: the ordinary answer, and the buttons are out of date.
    rig.control.set_admins(vec![]);
    let unknown = texts(&rig.cmd("/nonsense").await);
    assert_eq!(texts(&rig.cmd("/broadcast hi").await), unknown);
    assert_eq!(texts(&rig.cmd("/broadcast_cancel").await), unknown);
    assert!(alert(&rig.press(Cb::BroadcastConfirm(3)).await).contains("out of date"));
    assert!(rig.store.broadcast(3).await.unwrap().is_none());
}

#[tokio::test]
async fn a_customer_who_blocked_the_bot_is_reached_again_once_they_write() {
    let rig = BotRig::new(Some("en")).await;
    rig.cmd("/start").await;
    rig.store
        .set_blocked_bot(crate::helpers::ME, true)
        .await
        .unwrap();
    assert_eq!(rig.store.broadcast_audience(&[]).await.unwrap(), 0);
    rig.cmd("/status").await;
    assert_eq!(rig.store.broadcast_audience(&[]).await.unwrap(), 1);
}

/// The real Bot API client (teloxide) against the local fake Bot API over HTTP: 429s are
/// waited out, 403s counted, everyone else reached once. (Its speed is the benchmark's
/// business: `autoposter bench broadcast`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_api_client_obeys_429_and_counts_403_over_http() {
    use autoposter::bench::fake_api::FakeBotApi;
    use autoposter::bot::dispatch::BotSink;
    let store = Store::memory().await.unwrap();
    store.ensure_customer(ADMIN, None).await.unwrap();
    for id in 100..140 {
        store.ensure_customer(id, None).await.unwrap();
    }
    // A stricter fake than Telegram (10 a second), so that 429s surely come.
    let api = FakeBotApi::start_with([100, 101, 102], 10).await.unwrap();
    let bot = teloxide::Bot::new("123:TEST").set_api_url(api.url().parse().unwrap());
    let id = store
        .create_broadcast(ADMIN, &BroadcastSource::Html("<b>hi</b>".into()), 0)
        .await
        .unwrap();
    store.confirm_broadcast(id, 0, &[]).await.unwrap();
    let limiter = Arc::new(autoposter::bot::outbox::Limiter::telegram());
    let broadcaster = Broadcaster::new(store.clone(), Arc::new(BotSink::new(bot, limiter)));
    let b = store.broadcast(id).await.unwrap().unwrap();
    let tally = broadcaster
        .send(b, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(
        (tally.sent, tally.blocked, tally.failed, tally.pending),
        (38, 3, 0, 0)
    );
    let mut chats: Vec<i64> = api.delivered().iter().map(|(c, _)| *c).collect();
    // The admin's chat also got the progress message (sent once, then edited).
    chats.sort();
    let admin_msgs = chats.iter().filter(|c| **c == ADMIN).count();
    assert_eq!(admin_msgs, 2, "the broadcast and the progress message");
    chats.dedup();
    assert_eq!(chats.len(), 38);
    let (too_many, forbidden) = api.refusals();
    assert_eq!(forbidden, 3, "each blocked user tried once");
    // There were 429s, and every one of them was retried to delivery.
    assert!(too_many > 0);
}

#[tokio::test(start_paused = true)]
async fn the_broadcaster_stops_at_shutdown_and_leaves_the_rest_for_the_next_start() {
    let (store, id) = confirmed(100).await;
    let sink = Arc::new(FakeSink::default());
    let broadcaster = Broadcaster::new(store.clone(), sink.clone());
    let stop = CancellationToken::new();
    let run = broadcaster.run(stop.clone());
    let stopper = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        stop.cancel();
    };
    // `run` returns (it would spin forever on the unfinished broadcast otherwise).
    tokio::time::timeout(Duration::from_secs(30), async {
        tokio::join!(run, stopper)
    })
    .await
    .expect("the broadcaster returned at shutdown");
    let tally = store.broadcast_tally(id).await.unwrap();
    assert!(tally.sent > 0 && tally.pending > 0, "{tally:?}");
    assert_eq!(
        store.broadcast(id).await.unwrap().unwrap().status,
        "sending"
    );
}

#[tokio::test]
async fn admins_are_not_sent_their_own_broadcast_and_the_confirmation_says_so() {
    const OTHER_ADMIN: i64 = 77;
    for (lang, confirm_text) in [
        (
            "en",
            "📣 Send broadcast #1 to 3 customers (admins not included)?",
        ),
        (
            "ru",
            "📣 Отправить рассылку №1 клиентам: 3 (администраторы не входят)?",
        ),
    ] {
        let mut rig = BotRig::new(Some(lang)).await;
        rig.control
            .set_admins(vec![crate::helpers::ME, OTHER_ADMIN]);
        rig.cmd("/start").await;
        rig.store.ensure_customer(OTHER_ADMIN, None).await.unwrap();
        for id in 10..13 {
            rig.store.ensure_customer(id, None).await.unwrap();
        }
        let confirm = shown(&rig.cmd("/broadcast hello").await);
        assert_eq!(confirm.text, confirm_text);
        rig.press(Cb::BroadcastConfirm(1)).await;
        assert_eq!(
            rig.store
                .pending_recipients(1, i64::MIN, 100)
                .await
                .unwrap(),
            vec![10, 11, 12],
            "{lang}: the recipients are the customers, not the admins"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_recipient_left_in_doubt_by_a_crash_is_counted_unknown_not_failed() {
    use autoposter::bot::broadcast::progress_text;
    use autoposter::i18n::Lang;
    use autoposter::store::RecipientState;
    let (store, id) = confirmed(5).await;
    // A crash cut one send short.
    let doubtful = store.pending_recipients(id, i64::MIN, 1).await.unwrap()[0];
    store
        .set_recipient_state(id, doubtful, RecipientState::Sending, None)
        .await
        .unwrap();
    let sink = Arc::new(FakeSink::default());
    let b = store.broadcast(id).await.unwrap().unwrap();
    let tally = Broadcaster::new(store.clone(), sink.clone())
        .send(b, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!((tally.sent, tally.failed, tally.unknown), (5, 0, 1));
    assert_eq!(
        sink.log.lock().unwrap().progress.last().unwrap(),
        &format!(
            "✅ Broadcast #{id} done: 5 sent, 0 blocked the bot, 0 failed, 1 unknown \
             (a restart cut the send short), of 6."
        )
    );
    assert_eq!(
        progress_text(Lang::Ru, id, &tally, None, Some(false)),
        format!(
            "✅ Рассылка №{id} завершена: отправлено 5, заблокировали бота 0, ошибок 0, \
             неизвестно 1 (отправку прервал перезапуск), всего 6."
        )
    );
    assert!(
        progress_text(Lang::En, id, &tally, Some(Duration::ZERO), None)
            .contains("0 failed, 1 unknown (a restart cut the send short), 0 of 6 left")
    );
}
