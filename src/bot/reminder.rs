//! Plan reminders: each customer whose plan expires is told one day before, once per expiry
//! (a renewal moves the expiry, and the new one gets its own reminder). The reminder is
//! noted in the store before it is sent, so a restart never sends it twice.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{view, Control};
use crate::i18n::{t_args, Args, Lang};
use crate::schedule::DAY_MS;
use crate::store::StoreError;

/// How long before the expiry the reminder goes out.
pub const REMIND_BEFORE_MS: i64 = DAY_MS;

/// The longest the reminder loop sleeps before looking again (plans granted or bought
/// meanwhile are seen within this).
pub const RECHECK: Duration = Duration::from_secs(10 * 60);

impl Control {
    /// The reminders due now, as (customer, text in their language); each is noted as sent.
    /// When the store fails part-way, the ones already noted are still returned (to be sent).
    pub async fn take_due_reminders(&self) -> Result<Vec<(i64, String)>, StoreError> {
        let now_ms = self.now_ms();
        let mut out = Vec::new();
        for (customer_id, grant) in self.store.due_reminders(now_ms, REMIND_BEFORE_MS).await? {
            let Some(expires_at) = grant.expires_at else {
                continue;
            };
            let lang = match self.store.customer(customer_id).await {
                Ok(Some(row)) => {
                    Lang::pick(row.language.as_deref(), row.telegram_language.as_deref())
                }
                Ok(None) => Lang::En,
                Err(e) if out.is_empty() => return Err(e),
                Err(e) => {
                    tracing::warn!(error = %e, "plan reminders: the rest waits for the next look");
                    break;
                }
            };
            if let Err(e) = self.store.mark_reminded(customer_id, expires_at).await {
                if out.is_empty() {
                    return Err(e);
                }
                tracing::warn!(error = %e, "plan reminders: the rest waits for the next look");
                break;
            }
            let plan = view::plan_line(lang, Some(grant), now_ms);
            out.push((
                customer_id,
                t_args(
                    lang,
                    "plan-expiry-reminder",
                    &Args::new().html("plan", plan),
                ),
            ));
        }
        Ok(out)
    }

    /// When to look for reminders next: when the next one falls due, or after [`RECHECK`].
    pub async fn next_reminder_check(&self) -> Instant {
        let now = Instant::now();
        let next = match self.store.next_unreminded_expiry(self.now_ms()).await {
            Ok(Some(expires_at)) => {
                let due = self
                    .engine
                    .clock()
                    .instant_at(expires_at - REMIND_BEFORE_MS);
                due.max(now)
            }
            Ok(None) => now + RECHECK,
            Err(e) => {
                tracing::warn!(error = %e, "could not look for plan reminders");
                now + RECHECK
            }
        };
        next.min(now + RECHECK)
    }
}

/// Sends plan reminders through `send` as they fall due, until `stop` (a reminder noted is
/// sent before it returns).
pub async fn run<F, Fut>(control: &Control, send: F, stop: &CancellationToken)
where
    F: Fn(i64, String) -> Fut,
    Fut: Future<Output = ()>,
{
    while !stop.is_cancelled() {
        match control.take_due_reminders().await {
            Ok(due) => {
                for (customer_id, text) in due {
                    send(customer_id, text).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "plan reminders failed"),
        }
        let next = control.next_reminder_check().await;
        // Never spin: a reminder due now was just taken.
        let next = next.max(Instant::now() + Duration::from_millis(1));
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep_until(next) => {}
        }
    }
}
