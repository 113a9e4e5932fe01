//! The one outbound limiter every message the bot sends goes through (replies, edits,
//! notices, reminders, invoices, admin answers and the broadcast), so that the bot stays
//! within Telegram's bot limits together: about 30 messages a second overall, one a second
//! to a private chat, 20 a minute to a group. A 429's `retry_after` freezes everyone: no
//! message starts before it ends, and the refused one is sent again after it.
//!
//! Pacing is by spacing, not by windows: each message gets the first instant that is at least
//! [`Limits::overall_gap`] away from every other message's and a chat's gap after the
//! previous message to that chat, so no second can ever hold a burst (and a chat that must
//! wait does not hold up the others). The instants are on
//! tokio's clock (the paused-clock tests check them exactly); governor's waits are not.
//!
//! Two classes: a [`Class::Reply`] (anything a customer or admin is waiting for) takes the
//! next free instant, however far ahead; a [`Class::Bulk`] send (the broadcast) takes one
//! only when it is due about now, so it never queues ahead of a reply: during a broadcast a
//! reply waits at most a slot or two, and the broadcast gets the rest of the budget.
//!
//! Not messages, and never made to wait here: `answerCallbackQuery` and
//! `answerPreCheckoutQuery` (Telegram wants the latter within 10 s), `deleteMessage`,
//! `setMyCommands` and the polling itself.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use teloxide::RequestError;
use tokio::time::Instant;

/// How many times a message refused with 429 is tried in all before it is given up (each
/// try after its `retry_after`).
pub const MAX_ATTEMPTS: u32 = 5;

/// The least time between two messages: the spacing that keeps the bot within Telegram's
/// limits, with a margin for the network's jitter (the limits apply where the messages
/// arrive, the spacing where they leave).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Between any two messages (Telegram: about 30 a second).
    pub overall_gap: Duration,
    /// Between two messages to one private chat (Telegram: one a second).
    pub chat_gap: Duration,
    /// Between two messages to one group chat (Telegram: 20 a minute).
    pub group_gap: Duration,
}

impl Limits {
    /// Telegram's bot limits: 28.5 messages a second overall (the broadcast's own rate,
    /// [`super::broadcast::RATE_PER_SEC`]), 1.05 s to one chat, 3.05 s to one group.
    pub fn telegram() -> Limits {
        Limits {
            overall_gap: Duration::from_secs_f64(1.0 / super::broadcast::RATE_PER_SEC),
            chat_gap: Duration::from_millis(1_050),
            group_gap: Duration::from_millis(3_050),
        }
    }

    /// The gap for `chat` (group and channel ids are negative in the Bot API).
    fn gap(&self, chat: i64) -> Duration {
        if chat < 0 {
            self.group_gap
        } else {
            self.chat_gap
        }
    }
}

/// Who is waiting for a message (see the module's doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// A customer's or admin's answer, a notice, a reminder, an invoice, a progress message.
    Reply,
    /// One message of a broadcast.
    Bulk,
}

/// One chat's pacing.
#[derive(Clone, Copy, Debug)]
struct Chat {
    /// The earliest instant the next message to it may take.
    next: Instant,
    /// When the last message to it was let go.
    sent: Option<Instant>,
}

#[derive(Debug)]
struct State {
    /// The instants messages were let go at or will be (the recent past and the future).
    taken: BTreeSet<Instant>,
    /// A `retry_after` in force until then.
    frozen_until: Instant,
    /// Bumped by each freeze: an instant reserved before it no longer holds.
    epoch: u64,
    chats: HashMap<i64, Chat>,
}

impl State {
    /// The first instant from `lower` on that is at least `gap` away from every one taken.
    fn first_free(&self, lower: Instant, gap: Duration) -> Instant {
        let mut at = lower;
        for &taken in self.taken.range(lower.checked_sub(gap).unwrap_or(lower)..) {
            if taken >= at + gap {
                break;
            }
            if taken + gap > at {
                at = taken + gap;
            }
        }
        at
    }
}

/// The limiter; one per bot, shared by everything that sends.
#[derive(Debug)]
pub struct Limiter {
    limits: Limits,
    state: Mutex<State>,
}

/// Chats kept before the ones long past are dropped from the map.
const PRUNE_ABOVE: usize = 4_096;

impl Limiter {
    pub fn new(limits: Limits) -> Limiter {
        let now = Instant::now();
        Limiter {
            limits,
            state: Mutex::new(State {
                taken: BTreeSet::new(),
                frozen_until: now,
                epoch: 0,
                chats: HashMap::new(),
            }),
        }
    }

    /// Telegram's limits ([`Limits::telegram`]).
    pub fn telegram() -> Limiter {
        Limiter::new(Limits::telegram())
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Waits until a message to `chat` may go now; it then counts as sent.
    pub async fn acquire(&self, chat: i64, class: Class) {
        loop {
            let now = Instant::now();
            let (at, epoch) = {
                let mut s = self.state.lock().expect("limiter lock");
                let gap = self.limits.overall_gap;
                let chat_next = s.chats.get(&chat).map_or(now, |c| c.next);
                let at = s.first_free(now.max(s.frozen_until).max(chat_next), gap);
                if class == Class::Bulk && at > now + gap {
                    // Not due yet: look again just before, leaving what lies ahead to replies.
                    (at - gap, None)
                } else {
                    s.taken.insert(at);
                    while s.taken.first().is_some_and(|t| *t + gap < now) {
                        s.taken.pop_first();
                    }
                    if s.chats.len() > PRUNE_ABOVE {
                        s.chats.retain(|_, c| c.next > now);
                    }
                    let entry = s.chats.entry(chat).or_insert(Chat {
                        next: now,
                        sent: None,
                    });
                    entry.next = at + self.limits.gap(chat);
                    (at, Some(s.epoch))
                }
            };
            tokio::time::sleep_until(at).await;
            let Some(epoch) = epoch else { continue };
            let mut s = self.state.lock().expect("limiter lock");
            // A freeze came meanwhile: the instant reserved is void; take a new one.
            if s.epoch != epoch {
                continue;
            }
            if let Some(c) = s.chats.get_mut(&chat) {
                c.sent = Some(at);
            }
            return;
        }
    }

    /// Telegram answered 429: nothing starts for `wait` (from now). Instants already reserved
    /// are void (their senders take new ones, after the freeze).
    pub fn freeze(&self, wait: Duration) {
        let now = Instant::now();
        let until = now + wait;
        let mut s = self.state.lock().expect("limiter lock");
        if until <= s.frozen_until {
            return;
        }
        s.frozen_until = until;
        s.epoch += 1;
        s.taken.retain(|at| *at <= now);
        let limits = self.limits;
        for (id, c) in s.chats.iter_mut() {
            c.next = c.sent.map_or(now, |at| at + limits.gap(*id));
        }
    }

    /// When the `retry_after` in force ends (`None` when none is).
    pub fn frozen_until(&self) -> Option<Instant> {
        let s = self.state.lock().expect("limiter lock");
        (s.frozen_until > Instant::now()).then_some(s.frozen_until)
    }

    /// Sends one message to `chat` within the limits: `request` is called each time the
    /// limiter lets it go; a 429 freezes everyone for its `retry_after` and the message is
    /// tried again after it, up to [`MAX_ATTEMPTS`] in all (then the 429 is returned). Any
    /// other answer is returned as it is.
    pub async fn send<T, Fut>(
        &self,
        chat: i64,
        class: Class,
        mut request: impl FnMut() -> Fut,
    ) -> Result<T, RequestError>
    where
        Fut: Future<Output = Result<T, RequestError>>,
    {
        let mut attempt = 1;
        loop {
            self.acquire(chat, class).await;
            match request().await {
                Err(RequestError::RetryAfter(wait)) => {
                    self.freeze(wait.duration());
                    if attempt >= MAX_ATTEMPTS {
                        tracing::warn!(
                            chat,
                            attempts = attempt,
                            "Telegram kept answering 429: message given up"
                        );
                        return Err(RequestError::RetryAfter(wait));
                    }
                    tracing::warn!(
                        chat,
                        attempt,
                        retry_after_secs = wait.seconds(),
                        "Telegram answered 429: every message waits, this one is sent again"
                    );
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use teloxide::types::Seconds;

    use super::*;

    fn limits() -> Limits {
        Limits {
            overall_gap: Duration::from_millis(100),
            chat_gap: Duration::from_secs(1),
            group_gap: Duration::from_secs(3),
        }
    }

    /// Each (chat, class) acquired at once, in order; the offsets from the start at which
    /// each was let go, in milliseconds, in the order given.
    async fn grants(limiter: Arc<Limiter>, asks: &[(i64, Class)]) -> Vec<u128> {
        let start = Instant::now();
        let mut tasks = Vec::new();
        for &(chat, class) in asks {
            let limiter = limiter.clone();
            tasks.push(tokio::spawn(async move {
                limiter.acquire(chat, class).await;
                (Instant::now() - start).as_millis()
            }));
            // Spawned in order, each one's first poll before the next's.
            tokio::task::yield_now().await;
        }
        let mut out = Vec::new();
        for task in tasks {
            out.push(task.await.unwrap());
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn messages_to_different_chats_are_spaced_by_the_overall_gap() {
        let limiter = Arc::new(Limiter::new(limits()));
        let asks: Vec<_> = (1..=5).map(|c| (c, Class::Reply)).collect();
        assert_eq!(grants(limiter, &asks).await, vec![0, 100, 200, 300, 400]);
    }

    #[tokio::test(start_paused = true)]
    async fn one_chat_gets_one_message_a_second_and_a_group_one_in_three() {
        let limiter = Arc::new(Limiter::new(limits()));
        let asks = [
            (7, Class::Reply),
            (7, Class::Reply),
            (8, Class::Reply),
            (-5, Class::Reply),
            (-5, Class::Reply),
            (7, Class::Reply),
        ];
        assert_eq!(
            grants(limiter, &asks).await,
            vec![0, 1_000, 100, 200, 3_200, 2_000]
        );
    }

    #[test]
    fn the_default_limits_stay_under_telegrams() {
        let l = Limits::telegram();
        // At most 29 starts in any second overall, one a second to a chat, 20 a minute to a group.
        assert!(l.overall_gap * 29 > Duration::from_secs(1));
        assert!(l.chat_gap > Duration::from_secs(1));
        assert!(l.group_gap * 20 > Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_is_let_go_while_a_retry_after_is_in_force() {
        let limiter = Arc::new(Limiter::new(limits()));
        let start = Instant::now();
        limiter.acquire(1, Class::Reply).await;
        // Three more waiting (at 100, 200, 300 ms) when the 429 says "wait 5 s" at 50 ms.
        let waiting = {
            let limiter = limiter.clone();
            tokio::spawn(async move {
                grants(
                    limiter,
                    &[(2, Class::Reply), (3, Class::Bulk), (4, Class::Reply)],
                )
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        limiter.freeze(Duration::from_secs(5));
        assert_eq!(
            limiter.frozen_until(),
            Some(start + Duration::from_millis(5_050))
        );
        // A shorter one meanwhile does not shorten it.
        limiter.freeze(Duration::from_secs(1));
        let mut at = waiting.await.unwrap();
        at.sort();
        // All after the freeze, spaced again.
        assert_eq!(at, vec![5_050, 5_150, 5_250]);
        assert_eq!(limiter.frozen_until(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_reply_does_not_queue_behind_a_broadcast() {
        let limiter = Arc::new(Limiter::new(limits()));
        // Twenty broadcast messages asked for at once, then a customer's reply.
        let mut asks: Vec<_> = (100..120).map(|c| (c, Class::Bulk)).collect();
        asks.push((7, Class::Reply));
        let got = grants(limiter, &asks).await;
        let reply = *got.last().unwrap();
        // Behind the broadcast's message under way and at most one more, not behind twenty.
        assert!(reply <= 200, "the reply waited {reply} ms");
        // The broadcast keeps the rest of the budget: never two within one gap.
        let mut all = got.clone();
        all.sort();
        for pair in all.windows(2) {
            assert!(pair[1] - pair[0] >= 100, "{all:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_message_refused_with_429_is_sent_again_after_the_retry_after() {
        let limiter = Limiter::new(limits());
        let start = Instant::now();
        let mut tries = Vec::new();
        let result = limiter
            .send(7, Class::Reply, || {
                tries.push((Instant::now() - start).as_millis());
                let answer = if tries.len() < 3 {
                    Err(RequestError::RetryAfter(Seconds::from_seconds(2)))
                } else {
                    Ok(42)
                };
                async move { answer }
            })
            .await;
        assert_eq!(result.unwrap(), 42);
        assert_eq!(tries, vec![0, 2_000, 4_000]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_message_refused_every_time_is_given_up_after_the_last_attempt() {
        let limiter = Limiter::new(limits());
        let mut tries = 0;
        let result: Result<(), _> = limiter
            .send(7, Class::Reply, || {
                tries += 1;
                async { Err(RequestError::RetryAfter(Seconds::from_seconds(1))) }
            })
            .await;
        assert!(matches!(result, Err(RequestError::RetryAfter(_))));
        assert_eq!(tries, MAX_ATTEMPTS);
    }
}
