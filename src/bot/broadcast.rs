//! The admin broadcast: `/broadcast` (as a reply, the replied message is copied; otherwise
//! its text is sent), a confirmation naming the number of recipients (every customer who has
//! not blocked the bot; the admins are not sent their own broadcast), then [`Broadcaster`]
//! sends it to every recipient within Telegram's bot limits and edits one progress message in
//! the admin's chat. `/broadcast_cancel` stops it.
//!
//! Pacing: one send starts every 1/28.5 s (Telegram allows about 30 messages a second to
//! different chats; the margin absorbs the network's jitter), several in flight at once so that the round trip does not slow the rate;
//! a 429 pauses every send for its `retry_after` and the recipient is tried again. A 403 (the
//! customer blocked the bot, or is deactivated) is counted, marked on the customer so later
//! broadcasts skip them, and not retried. Each recipient's state is written before its send
//! and after it: a restart resumes with the recipients still pending, and one whose send was
//! cut short by the crash is counted as unknown, never sent twice.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::callback::Cb;
use super::{answer, send_text, show, Action, Button, Control, Ctx, Screenful, Step};
use crate::i18n::{t, t_args, Args, Lang};
use crate::store::{Broadcast, BroadcastSource, BroadcastTally, RecipientState, Store, StoreError};
use crate::telegram::BoxFuture;

/// Sends started per second, under Telegram's ~30.
pub const RATE_PER_SEC: f64 = 28.5;
/// Sends in flight at once.
const MAX_IN_FLIGHT: usize = 32;
/// How often the progress message is edited.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(3);
/// Recipients read from the store at a time.
const BATCH: i64 = 256;

/// How a send to one recipient went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    Delivered,
    /// 403: the user blocked the bot, or the account is deactivated.
    Blocked(String),
    /// 429: not delivered; nothing may be sent for this long.
    RetryAfter(Duration),
    Failed(String),
}

/// Where a broadcast goes: the Bot API ([`super::dispatch::BotSink`]) or a fake.
pub trait BroadcastSink: Send + Sync + 'static {
    /// Sends the broadcast's message to one chat.
    fn deliver<'a>(&'a self, chat_id: i64, source: &'a BroadcastSource) -> BoxFuture<'a, Delivery>;

    /// Shows the progress in the admin's chat: a new message when `message_id` is `None`
    /// (its id returned), else that message edited. Best effort.
    fn progress<'a>(
        &'a self,
        admin_id: i64,
        message_id: Option<i32>,
        text: String,
    ) -> BoxFuture<'a, Option<i32>>;
}

/// Sends confirmed broadcasts, one at a time, and resumes the one a restart interrupted.
pub struct Broadcaster {
    store: Store,
    sink: Arc<dyn BroadcastSink>,
    wake: Notify,
    /// The broadcast being sent, and how to stop it.
    current: Mutex<Option<(i64, CancellationToken)>>,
}

impl Broadcaster {
    pub fn new(store: Store, sink: Arc<dyn BroadcastSink>) -> Arc<Broadcaster> {
        Arc::new(Broadcaster {
            store,
            sink,
            wake: Notify::new(),
            current: Mutex::new(None),
        })
    }

    /// A broadcast was confirmed: start on it.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Stops the broadcast if it is the one being sent (the store says cancelled already).
    pub fn cancel(&self, id: i64) {
        if let Some((current, token)) = &*self.current.lock().expect("broadcast lock") {
            if *current == id {
                token.cancel();
            }
        }
    }

    /// Sends broadcasts as they are confirmed, until `shutdown`.
    pub async fn run(&self, shutdown: CancellationToken) {
        loop {
            // A broadcast stopped by the shutdown stays `sending`, for the next start.
            if shutdown.is_cancelled() {
                return;
            }
            match self.store.sending_broadcast().await {
                Ok(Some(b)) => {
                    if let Err(e) = self.send(b, &shutdown).await {
                        tracing::error!(error = %e, "broadcast failed; retrying shortly");
                        tokio::select! {
                            _ = shutdown.cancelled() => return,
                            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                        }
                    }
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "could not look for broadcasts"),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(30)) => {}
            }
        }
    }

    /// Sends one broadcast to its pending recipients; returns the final tally. Stops early
    /// (leaving the rest pending, to resume) on `shutdown`.
    pub async fn send(
        &self,
        b: Broadcast,
        shutdown: &CancellationToken,
    ) -> Result<BroadcastTally, StoreError> {
        let cancel = CancellationToken::new();
        *self.current.lock().expect("broadcast lock") = Some((b.id, cancel.clone()));
        let result = self.send_inner(&b, shutdown, &cancel).await;
        *self.current.lock().expect("broadcast lock") = None;
        result
    }

    async fn send_inner(
        &self,
        b: &Broadcast,
        shutdown: &CancellationToken,
        cancel: &CancellationToken,
    ) -> Result<BroadcastTally, StoreError> {
        let store = &self.store;
        let interrupted = store.settle_interrupted_recipients(b.id).await?;
        if interrupted > 0 {
            tracing::warn!(
                broadcast = b.id,
                interrupted,
                "sends cut short by a restart: not repeated"
            );
        }
        let lang = match store.customer(b.admin_id).await? {
            Some(row) => Lang::pick(row.language.as_deref(), row.telegram_language.as_deref()),
            None => Lang::En,
        };
        let period = Duration::from_secs_f64(1.0 / RATE_PER_SEC);
        let mut progress_message = b.progress_message;
        let mut queue: VecDeque<i64> = VecDeque::new();
        let mut cursor = i64::MIN;
        let mut exhausted = false;
        let mut in_flight = FuturesUnordered::new();
        let mut next_start = Instant::now();
        // A 429's retry_after: nothing starts before this.
        let mut paused_until = Instant::now();
        let mut last_progress: Option<Instant> = None;
        let mut stopping = false;
        let mut cancelled = false;
        loop {
            if queue.is_empty() && !exhausted && !stopping {
                // Also notices a cancel from another process (the store says so).
                if store
                    .broadcast(b.id)
                    .await?
                    .is_some_and(|x| x.status != "sending")
                {
                    cancelled = true;
                    stopping = true;
                }
                let batch = store.pending_recipients(b.id, cursor, BATCH).await?;
                match batch.last() {
                    Some(last) => cursor = *last,
                    None => exhausted = true,
                }
                queue.extend(batch);
            }
            let may_start = !stopping && !queue.is_empty() && in_flight.len() < MAX_IN_FLIGHT;
            if !may_start && in_flight.is_empty() && (stopping || (queue.is_empty() && exhausted)) {
                break;
            }
            let now = Instant::now();
            if last_progress.is_none_or(|at| now >= at + PROGRESS_EVERY) {
                last_progress = Some(now);
                let tally = store.broadcast_tally(b.id).await?;
                let eta = eta(&tally, paused_until.saturating_duration_since(now));
                let text = progress_text(lang, b.id, &tally, Some(eta), None);
                progress_message = self.show_progress(b, progress_message, text).await;
            }
            let start_at = next_start.max(paused_until);
            tokio::select! {
                biased;
                _ = cancel.cancelled(), if !stopping => {
                    cancelled = true;
                    stopping = true;
                }
                _ = shutdown.cancelled(), if !stopping => stopping = true,
                Some((customer, delivery)) = in_flight.next(), if !in_flight.is_empty() => {
                    let (state, error) = match delivery {
                        Delivery::Delivered => (RecipientState::Sent, None),
                        Delivery::Blocked(why) => (RecipientState::Blocked, Some(why)),
                        Delivery::Failed(why) => (RecipientState::Failed, Some(why)),
                        Delivery::RetryAfter(wait) => {
                            // Not delivered: everyone waits, this one goes first after.
                            paused_until = paused_until.max(Instant::now() + wait);
                            queue.push_front(customer);
                            (RecipientState::Pending, None)
                        }
                    };
                    store.set_recipient_state(b.id, customer, state, error.as_deref()).await?;
                }
                _ = tokio::time::sleep_until(start_at), if may_start => {
                    let customer = queue.pop_front().expect("may_start: queue not empty");
                    // Written before the send: after a crash it is known to be in doubt.
                    store.set_recipient_state(b.id, customer, RecipientState::Sending, None).await?;
                    let sink = &self.sink;
                    let source = &b.source;
                    in_flight.push(async move { (customer, sink.deliver(customer, source).await) });
                                                            // On a fixed grid, not from now: the store write above must not slow
                                        // the rate, and any second holds at most 29 starts. After
                    // a stall (a pause, a full pipeline) the grid restarts from now: no burst.
                    let scheduled = start_at + period;
                    let now = Instant::now();
                    next_start = if scheduled + period < now { now } else { scheduled };
                }
            }
        }
        let tally = store.broadcast_tally(b.id).await?;
        let ended = if cancelled || (!stopping && tally.pending == 0) {
            store.end_broadcast(b.id, cancelled, unix_ms()).await?;
            Some(cancelled)
        } else {
            None // shutting down: resumed by the next start
        };
        let text = progress_text(lang, b.id, &tally, None, ended);
        self.show_progress(b, progress_message, text).await;
        Ok(tally)
    }

    async fn show_progress(
        &self,
        b: &Broadcast,
        message: Option<i32>,
        text: String,
    ) -> Option<i32> {
        let shown = self.sink.progress(b.admin_id, message, text).await;
        if message.is_none() {
            if let Some(id) = shown {
                if let Err(e) = self.store.set_broadcast_progress_message(b.id, id).await {
                    tracing::warn!(error = %e, "could not note the progress message");
                }
            }
        }
        shown.or(message)
    }
}

fn unix_ms() -> i64 {
    crate::time::unix_ms_now()
}

/// The time the rest takes at [`RATE_PER_SEC`], after a pause still in force.
fn eta(t: &BroadcastTally, pause: Duration) -> Duration {
    pause + Duration::from_secs_f64(t.pending as f64 / RATE_PER_SEC)
}

/// The progress message: the tally, and either the time left or how it ended
/// (`Some(true)` cancelled, `Some(false)` done, `None` still going).
pub fn progress_text(
    lang: Lang,
    id: i64,
    t: &BroadcastTally,
    eta: Option<Duration>,
    ended: Option<bool>,
) -> String {
    let key = match ended {
        None if eta.is_some() => "broadcast-progress",
        None => "broadcast-paused",
        Some(false) => "broadcast-done",
        Some(true) => "broadcast-cancelled",
    };
    t_args(
        lang,
        key,
        &Args::new()
            .num("id", id as f64)
            .num("sent", t.sent as f64)
            .num("blocked", t.blocked as f64)
            .num("failed", t.failed as f64)
            .num("unknown", t.unknown as f64)
            .num("left", t.pending as f64)
            .num("total", t.total() as f64)
            .num("secs", eta.map_or(0.0, |d| d.as_secs_f64().ceil())),
    )
}

impl Control {
    /// `/broadcast`: as a reply, that message is copied; otherwise the text after the command
    /// is sent. Asks for confirmation with the number of recipients.
    pub(super) async fn cmd_broadcast(
        &self,
        ctx: &Ctx,
        args: &str,
        html: &str,
        reply_to: Option<i32>,
    ) -> Step {
        let lang = ctx.lang;
        if let Some(b) = self.store.sending_broadcast().await? {
            return Ok(vec![send_text(t_args(
                lang,
                "broadcast-busy",
                &Args::new().num("id", b.id as f64),
            ))]);
        }
        let source = match (reply_to, args.is_empty()) {
            (Some(message_id), _) => BroadcastSource::Copy {
                chat_id: ctx.id,
                message_id,
            },
            (None, false) => {
                // The command's own word is plain text at the start of the HTML.
                let text = html
                    .split_once(char::is_whitespace)
                    .map(|(_, rest)| rest.trim())
                    .unwrap_or_default();
                if text.is_empty() {
                    return Ok(vec![send_text(t(lang, "broadcast-usage"))]);
                }
                BroadcastSource::Html(text.to_string())
            }
            (None, true) => return Ok(vec![send_text(t(lang, "broadcast-usage"))]),
        };
        let id = self
            .store
            .create_broadcast(ctx.id, &source, self.now_ms())
            .await?;
        let audience = self.store.broadcast_audience(&self.admins).await?;
        let args = Args::new()
            .num("id", id as f64)
            .num("count", audience as f64);
        Ok(vec![Action::Send(Screenful {
            text: t_args(lang, "broadcast-confirm", &args),
            keyboard: vec![vec![
                Button::new(
                    t_args(lang, "button-broadcast-send", &args),
                    Cb::BroadcastConfirm(id),
                ),
                Button::new(t(lang, "button-cancel"), Cb::BroadcastAbandon(id)),
            ]],
        })])
    }

    pub(super) async fn broadcast_confirmed(
        &self,
        ctx: &Ctx,
        id: i64,
        message_id: Option<i32>,
    ) -> Step {
        let lang = ctx.lang;
        if let Some(b) = self.store.sending_broadcast().await? {
            if b.id != id {
                let text = t_args(lang, "broadcast-busy", &Args::new().num("id", b.id as f64));
                return Ok(vec![super::alert(text)]);
            }
        }
        let Some(count) = self
            .store
            .confirm_broadcast(id, self.now_ms(), &self.admins)
            .await?
        else {
            return Ok(vec![super::out_of_date(lang)]);
        };
        if let Some(broadcaster) = &self.broadcaster {
            broadcaster.wake();
        }
        let text = t_args(
            lang,
            "broadcast-started",
            &Args::new().num("id", id as f64).num("count", count as f64),
        );
        Ok(vec![
            answer(None),
            show(
                message_id,
                Screenful {
                    text,
                    keyboard: Vec::new(),
                },
            ),
        ])
    }

    pub(super) async fn broadcast_abandoned(
        &self,
        ctx: &Ctx,
        id: i64,
        message_id: Option<i32>,
    ) -> Step {
        let lang = ctx.lang;
        match self.store.broadcast(id).await? {
            Some(b) if b.status == "draft" => {
                self.store.end_broadcast(id, true, self.now_ms()).await?;
                Ok(vec![
                    answer(None),
                    show(
                        message_id,
                        Screenful {
                            text: t(lang, "broadcast-abandoned"),
                            keyboard: Vec::new(),
                        },
                    ),
                ])
            }
            _ => Ok(vec![super::out_of_date(lang)]),
        }
    }

    /// `/broadcast_cancel`: stops the broadcast being sent; who got it, got it.
    pub(super) async fn cmd_broadcast_cancel(&self, ctx: &Ctx) -> Step {
        let lang = ctx.lang;
        let Some(b) = self.store.sending_broadcast().await? else {
            return Ok(vec![send_text(t(lang, "broadcast-none"))]);
        };
        self.store.end_broadcast(b.id, true, self.now_ms()).await?;
        if let Some(broadcaster) = &self.broadcaster {
            broadcaster.cancel(b.id);
        }
        Ok(vec![send_text(t_args(
            lang,
            "broadcast-cancelling",
            &Args::new().num("id", b.id as f64),
        ))])
    }
}
