//! `autoposter bench broadcast`: a broadcast to N recipients through the real Bot API client
//! (teloxide) against the local fake Bot API ([`super::fake_api`]), which holds the bot to 30
//! messages a second like Telegram. Prints the sustained rate.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::fake_api::FakeBotApi;
use crate::bot::broadcast::Broadcaster;
use crate::bot::dispatch::BotSink;
use crate::store::{BroadcastSource, Store, StoreError};

/// What the benchmark measured.
#[derive(Debug, Serialize)]
pub struct BroadcastReport {
    pub recipients: i64,
    pub sent: i64,
    pub blocked: i64,
    pub failed: i64,
    /// 429 answers the fake gave (each retried until delivered).
    pub too_many: u64,
    pub seconds: f64,
    /// Messages the fake accepted per second, from the first to the last.
    pub sustained_per_sec: f64,
    /// The most messages the fake accepted within any one second.
    pub busiest_second: usize,
}

/// Runs the benchmark: `recipients` customers, every `blocked_every`-th of them blocked.
pub async fn run(recipients: i64, blocked_every: i64) -> Result<BroadcastReport, StoreError> {
    let store = Store::memory().await?;
    let admin = 1;
    store.ensure_customer(admin, Some("en")).await?;
    let mut blocked = Vec::new();
    for id in 2..=recipients {
        store.ensure_customer(id, None).await?;
        if blocked_every > 0 && id % blocked_every == 0 {
            blocked.push(id);
        }
    }
    let api = FakeBotApi::start(blocked)
        .await
        .map_err(|cause| StoreError::Io {
            what: "cannot start the fake Bot API",
            cause,
        })?;
    let bot = teloxide::Bot::new("1:BENCH").set_api_url(api.url().parse().expect("a valid URL"));
    let id = store
        .create_broadcast(admin, &BroadcastSource::Html("<b>News</b>".into()), 0)
        .await?;
    store.confirm_broadcast(id, 0, &[]).await?;
    let limiter = Arc::new(crate::bot::outbox::Limiter::telegram());
    let broadcaster = Broadcaster::new(store.clone(), Arc::new(BotSink::new(bot, limiter)));
    let b = store.broadcast(id).await?.expect("just created");
    let started = Instant::now();
    let tally = broadcaster.send(b, &CancellationToken::new()).await?;
    let seconds = started.elapsed().as_secs_f64();
    let delivered: Vec<Instant> = api.delivered().iter().map(|(_, at)| *at).collect();
    let span = match (delivered.first(), delivered.last()) {
        (Some(a), Some(b)) if b > a => (*b - *a).as_secs_f64(),
        _ => f64::NAN,
    };
    let mut busiest = 0;
    let mut start = 0;
    for (end, at) in delivered.iter().enumerate() {
        while at.duration_since(delivered[start]).as_secs_f64() >= 1.0 {
            start += 1;
        }
        busiest = busiest.max(end - start + 1);
    }
    Ok(BroadcastReport {
        recipients: tally.total(),
        sent: tally.sent,
        blocked: tally.blocked,
        failed: tally.failed + tally.unknown,
        too_many: api.refusals().0,
        seconds,
        sustained_per_sec: (delivered.len().saturating_sub(1)) as f64 / span,
        busiest_second: busiest,
    })
}
