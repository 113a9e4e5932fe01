//! One try at sending a slot, as the worker keeps it in flight: a retry's backoff (given up
//! on a stop), the lease's deadline (no try starts past it, and the transport gets it as the
//! post's `not_after`), [`Transport::send`](crate::telegram::Transport::send) itself, and the
//! finished try told to the pure cycle as an [`Answer`] and a [`Handover`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::setup::CycleCtx;
use super::Shared;
use crate::schedule::content::{MediaItem, Sha256};
use crate::schedule::cycle::{Answer, Due, Handover, SkipReason};
use crate::schedule::RandomIds;
use crate::store::MediaFile;
use crate::telegram::{AccountLoss, Content, Outcome, Post};

/// A send that finished: which slot, when its last try started, what happened, and how
/// many tries it took.
pub(super) struct Finished {
    pub due: Due,
    pub ids: RandomIds,
    pub sent_at: Instant,
    pub outcome: Outcome,
    pub tries: usize,
    /// Not sent: the lease lapsed before this try could start.
    pub abandoned: bool,
}

impl Finished {
    /// The try as the pure cycle reads it.
    pub fn answer(&self, ctx: &CycleCtx) -> Answer {
        Answer {
            kind: self.outcome.kind(),
            name: self.outcome.name(),
            ends_as: ends_as(&self.outcome),
            sent_at: ctx.since(self.sent_at),
            tries: self.tries,
        }
    }

    /// What the world looked like when the try finished.
    pub fn handover(&self, shared: &Shared, ctx: &CycleCtx) -> Handover {
        Handover {
            abandoned: self.abandoned,
            lease_valid: ctx.may_send(),
            leaving: leaving(shared, ctx.customer_id),
        }
    }
}

/// One try at sending a slot, after `pause` (a retry's backoff). A stop during the pause
/// gives up the retry: no post starts after a stop; the earlier try's outcome stands.
pub(super) async fn attempt(
    shared: &Shared,
    ctx: &CycleCtx,
    stop: &CancellationToken,
    (due, ids, tries): (Due, RandomIds, usize),
    pause: Duration,
    previous: Option<(Instant, Outcome)>,
) -> Finished {
    let finished = |sent_at, outcome, tries, abandoned| Finished {
        due,
        ids,
        sent_at,
        outcome,
        tries,
        abandoned,
    };
    if let Some((sent_at, outcome)) = previous {
        tokio::select! {
            biased;
            _ = stop.cancelled() => return finished(sent_at, outcome, tries, false),
            _ = tokio::time::sleep(pause) => {}
        }
    }
    let lapsed = || Outcome::Network("lease lapsed".to_string());
    if !ctx.may_send() {
        return finished(Instant::now(), lapsed(), tries, true);
    }
    let group = &ctx.groups[due.slot];
    let content = match &ctx.forward {
        Some((source, mode)) => Content::Forward {
            source,
            mode: *mode,
        },
        None => Content::of(&ctx.html, &ctx.items),
    };
    // Normally uploaded at the cycle's set-up already; again here after a stale reference
    // (a retry, with the same random ids).
    let files = Files::new(shared, ctx.customer_id);
    if let Err(outcome) = files.ensure_uploaded(due.account_id, content.media()).await {
        return finished(Instant::now(), outcome, tries + 1, false);
    }
    // The post leaves now, after any upload: the floor to the account's next post and the
    // lateness count from here, and the lease must still hold.
    let sent_at = Instant::now();
    if !content.media().is_empty() && !ctx.may_send() {
        return finished(sent_at, lapsed(), tries, true);
    }
    let outcome = shared
        .transport
        .send(Post {
            account_id: due.account_id,
            group_id: group.id,
            group_ref: &group.reference,
            content,
            ids,
            topic: group.topic,
            silent: ctx.silent,
            not_after: ctx.held.as_ref().map(|h| h.deadline()),
        })
        .await;
    finished(sent_at, outcome, tries + 1, false)
}

/// A customer's post files, each read from the store at most once however many accounts
/// upload it (one cycle's set-up, or one send). The fleet, posting text, never makes one read.
pub(super) struct Files<'a> {
    shared: &'a Shared,
    customer_id: i64,
    read: tokio::sync::Mutex<HashMap<Sha256, Arc<MediaFile>>>,
}

impl<'a> Files<'a> {
    pub(super) fn new(shared: &'a Shared, customer_id: i64) -> Files<'a> {
        Files {
            shared,
            customer_id,
            read: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The file's bytes, name and type: read from the store the first time only.
    async fn get(&self, sha256: Sha256) -> Result<Arc<MediaFile>, Outcome> {
        let mut read = self.read.lock().await;
        if let Some(file) = read.get(&sha256) {
            return Ok(file.clone());
        }
        let file = match self.shared.store.media_file(self.customer_id, sha256).await {
            Ok(Some(file)) => Arc::new(file),
            Ok(None) => return Err(Outcome::Rejected(format!("no stored file {sha256}"))),
            Err(e) => return Err(Outcome::Network(format!("reading the file: {e}"))),
        };
        read.insert(sha256, file.clone());
        Ok(file)
    }

    /// Uploads whichever of `items` the account holds no upload of. Nothing to do for a text
    /// post.
    pub(super) async fn ensure_uploaded(
        &self,
        account_id: i64,
        items: &[MediaItem],
    ) -> Result<(), Outcome> {
        for item in items {
            if self.shared.transport.has_upload(account_id, item.sha256) {
                continue;
            }
            let file = self.get(item.sha256).await?;
            (self.shared.transport)
                .upload(account_id, *item, &file)
                .await?;
            tracing::debug!(account_id, sha256 = %item.sha256, size = item.size, "uploaded");
        }
        Ok(())
    }
}

/// Whether the customer's cycle is being cut short for another engine to resume it: the engine
/// is shutting down, or hands the customer over.
pub(super) fn leaving(shared: &Shared, customer_id: i64) -> bool {
    shared
        .shutting_down
        .load(std::sync::atomic::Ordering::Relaxed)
        || shared
            .handed_over
            .lock()
            .expect("engine lock")
            .contains(&customer_id)
}

/// What the rest of a session is skipped as when an outcome ends it: the outcome's own name.
fn ends_as(outcome: &Outcome) -> SkipReason {
    match outcome {
        Outcome::AccountLost(AccountLoss::Revoked) => SkipReason::AccountRevoked,
        Outcome::AccountLost(AccountLoss::Deactivated) => SkipReason::AccountDeactivated,
        Outcome::PeerFlood => SkipReason::PeerFlood,
        _ => SkipReason::AccountUnavailable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule;
    use crate::telegram::GroupRefusal;

    #[test]
    fn a_session_ended_by_an_outcome_skips_the_rest_under_that_outcomes_name() {
        let ending = [
            Outcome::AccountLost(AccountLoss::Revoked),
            Outcome::AccountLost(AccountLoss::Deactivated),
            Outcome::PeerFlood,
            Outcome::Unavailable("key".to_string()),
        ];
        for o in &ending {
            assert_eq!(
                schedule::next_after(o.kind()).session,
                schedule::Next::EndSession
            );
            assert_eq!(ends_as(o).as_str(), o.name(), "{o:?}");
        }
        let going_on = [
            Outcome::Sent,
            Outcome::GroupRefused(GroupRefusal::Banned),
            Outcome::Network(String::new()),
        ];
        for o in &going_on {
            assert_ne!(
                schedule::next_after(o.kind()).session,
                schedule::Next::EndSession
            );
        }
    }
}
