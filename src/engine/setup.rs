//! A cycle's set-up: everything the worker needs before its first timer. It takes the lease
//! it posts under, reads and checks the settings (or takes the start check's), rebuilds a
//! resumed cycle's stored layout and groups, writes a new cycle's start row, and turns the
//! waits and refusals in force and what the post log already holds into the pure [`Cycle`].

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::lease::Held;
use super::report::Read;
use super::{readiness, EngineError, Shared};
use crate::schedule::choice::{carried, Carried};
use crate::schedule::content::{ForwardMode, ForwardSource, MediaItem};
use crate::schedule::cycle::{Cycle, InForce, Logged, LoggedSlot, Member, StoredPlan};
use crate::schedule::{self, CyclePlan, Mode};
use crate::store::{CycleStart, Fence, Group, GroupStatus, Interrupted, Snapshot, StoreError};

/// What one cycle needs to send and log its posts.
pub(super) struct CycleCtx {
    pub customer_id: i64,
    pub seq: i64,
    pub start: Instant,
    /// The text, or the media's caption.
    pub html: String,
    /// The media files, in order (none for a text post).
    pub items: Vec<MediaItem>,
    /// A post passed on from a source chat, and how (then `html` and `items` are empty).
    pub forward: Option<(ForwardSource, ForwardMode)>,
    /// The customer's posts go out without a notification sound.
    pub silent: bool,
    /// The cycle's groups, in order, each with its forum topic.
    pub groups: Vec<Group>,
    /// The customer's lease, when engines share the database.
    pub held: Option<Arc<Held>>,
}

impl CycleCtx {
    /// Whether sends may start: always without leases; with them, until the lease's local
    /// deadline.
    pub fn may_send(&self) -> bool {
        self.held.as_ref().is_none_or(|h| h.valid())
    }

    /// The term the cycle's writes are made under.
    pub fn fence(&self) -> Option<Fence> {
        self.held.as_ref().map(|h| h.fence())
    }

    /// An instant as the pure cycle counts it: since the cycle's start.
    pub fn since(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.start)
    }
}

/// A cycle ready to run.
pub(super) struct SetUp {
    pub ctx: CycleCtx,
    pub cycle: Cycle,
    /// Fixes every slot's random id (stored by `Engine::start`).
    pub post_key: i64,
    /// The settings as read at the start, for the report.
    pub read: Read,
    /// The plan's expiry in the snapshot the cycle started from (unix ms).
    pub plan_expires_at: Option<i64>,
}

/// Each active account of the snapshot uploads each of the post's files it holds no upload
/// of (the accounts side by side, each file read from the store once; a failure is left for
/// the send to meet and report).
async fn upload_ahead(shared: &Shared, snapshot: &Snapshot) {
    if snapshot.items.is_empty() {
        return;
    }
    let files = super::send::Files::new(shared, snapshot.customer_id);
    let files = &files;
    let uploads = (snapshot.accounts.iter()).map(|a| async move {
        if let Err(outcome) = files.ensure_uploaded(a.id, &snapshot.items).await {
            tracing::warn!(account_id = a.id, outcome = outcome.name(), "upload failed");
        }
    });
    futures_util::future::join_all(uploads).await;
}

/// Sets up cycle number `seq` of the customer (see [`super::worker::run_cycle`] for
/// `preloaded` and `resume`).
pub(super) async fn set_up(
    shared: &Shared,
    customer_id: i64,
    requested: Option<Mode>,
    seq: i64,
    preloaded: Option<(Snapshot, Option<CyclePlan>)>,
    resume: Option<Interrupted>,
    stop: &CancellationToken,
) -> Result<SetUp, EngineError> {
    // With leases: nothing is started for a customer this engine may no longer post for.
    let held = match shared.leasing.get() {
        None => None,
        Some(leasing) => match leasing.get(customer_id) {
            Some(held) if held.valid() => Some(held),
            _ => return Err(EngineError::LeaseLost(customer_id)),
        },
    };
    let (snapshot, checked) = match preloaded {
        Some(preloaded) => preloaded,
        None => (
            super::posting_accounts(
                (shared.store.snapshot(customer_id).await?)
                    .ok_or(EngineError::NoCustomer(customer_id))?,
            ),
            None,
        ),
    };
    // Stored by `Engine::start` before the customer's first send; a snapshot without it is
    // not from a started customer, and no send may go out with an id the store doesn't fix.
    let post_key = snapshot
        .post_key
        .ok_or_else(|| EngineError::Store(StoreError::NoPostKey(customer_id)))?;
    // The stored media are checked as the bot checked them when they were saved (the files
    // and caption make a post): a row changed by hand since is an error, never half sent. (A
    // forward is checked as the snapshot reads it; a text needs nothing: the fleet's cycles
    // copy nothing here.)
    if !snapshot.items.is_empty() {
        snapshot.content()?;
    }
    // Media are uploaded before the cycle starts, so that no post waits for an upload: every
    // target and wait counts from the start taken after this. A stop (or shutdown) meanwhile
    // is not kept waiting for the uploads: the worker finds it before its first send.
    tokio::select! {
        biased;
        _ = stop.cancelled() => {}
        _ = upload_ahead(shared, &snapshot) => {}
    }
    // Likewise a forward's source chat is looked up by every account before the start.
    if let Some((source, _)) = &snapshot.forward {
        let accounts: Vec<i64> = snapshot.accounts.iter().map(|a| a.id).collect();
        tokio::select! {
            biased;
            _ = stop.cancelled() => {}
            _ = shared.transport.prepare_source(&accounts, &source.chat) => {}
        }
    }
    let now = Instant::now();
    let plan_expires_at = snapshot.plan.and_then(|g| g.expires_at);
    // The same checks for a resumed cycle (plan expired, no message, …): only its layout is
    // the stored one.
    let checked = match checked {
        Some(plan) => plan,
        None => {
            let catalog = *shared.catalog.lock().expect("engine lock");
            let now_ms = shared.clock.wall_ms(now);
            schedule::check_ready(&readiness(&snapshot, now_ms, requested, &catalog))?
        }
    };
    let invalid = |cause| EngineError::Store(StoreError::CyclePlan { seq, cause });
    let (plan, cycle_start, account_ids, groups) = match &resume {
        None => (
            checked,
            now,
            snapshot.accounts.iter().map(|a| a.id).collect::<Vec<_>>(),
            snapshot.groups,
        ),
        Some(r) => {
            let stored: StoredPlan = serde_json::from_str(&r.plan).map_err(|e| invalid(Some(e)))?;
            let plan = stored.plan().ok_or_else(|| invalid(None))?;
            // The groups in the stored order; one removed or paused since is skipped.
            let groups = stored
                .groups
                .iter()
                .map(|id| {
                    let found = snapshot.groups.iter().find(|g| g.id == *id);
                    found.cloned().unwrap_or(Group {
                        id: *id,
                        reference: String::new(),
                        position: 0,
                        // Planned, but paused or removed since.
                        status: GroupStatus::Paused,
                        reason: None,
                        topic: None,
                        media_choice: None,
                        forum: false,
                        topic_title: None,
                        media_bans: Default::default(),
                    })
                })
                .collect();
            let start = shared.clock.instant_at(r.started_at);
            (plan, start, stored.accounts, groups)
        }
    };
    let warning = plan.warning();
    if let Some(w) = &warning {
        tracing::info!(customer_id, "{w}");
    }
    if resume.is_none() {
        let group_ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
        let stored = StoredPlan::of(&plan, &account_ids, &group_ids);
        let start = CycleStart {
            customer_id,
            seq,
            mode: plan.mode,
            started_at: shared.clock.wall_ms(cycle_start),
            planned: (plan.sessions() * plan.groups) as i64,
            plan: serde_json::to_string(&stored).ok(),
        };
        let fence = held.as_ref().map(|h| h.fence());
        shared.postlog.cycle_started(start, fence).await;
    } else {
        tracing::info!(customer_id, seq, "resuming an interrupted cycle");
    }
    let ctx = CycleCtx {
        customer_id,
        seq,
        start: cycle_start,
        html: snapshot.message_html.unwrap_or_default(),
        items: snapshot.items,
        forward: snapshot.forward,
        silent: snapshot.silent,
        groups,
        held,
    };
    let clock = &shared.clock;
    // Waits and refusals in force: this engine's own (not yet written, perhaps) and the
    // store's (written by any engine, before any restart).
    let r = &snapshot.restrictions;
    let own = shared.flood_waits.lock().expect("engine lock").clone();
    let stored_waits = r
        .account_waits
        .iter()
        .map(|&(a, ms)| (a, clock.instant_at(ms)));
    let in_force = InForce {
        account_waits: own
            .into_iter()
            .chain(stored_waits)
            .filter_map(|(a, until)| Some((a, until.checked_duration_since(cycle_start)?)))
            .collect(),
        pair_waits: (r.pair_waits.iter())
            .map(|&(a, g, ms)| (a, g, ctx.since(clock.instant_at(ms))))
            .collect(),
        pair_blocks: r.pair_blocks.clone(),
        // Groups the customer skips for this post (a media post and their choice; a message
        // passed on from a source chat goes everywhere as it is).
        media_skipped: (ctx.groups.iter())
            .filter(|_| ctx.forward.is_none())
            .filter(|g| carried(g.media_choice, &ctx.items, &ctx.html) == Carried::Skip)
            .map(|g| g.id)
            .collect(),
    };
    let accounts: Vec<Member> = (account_ids.iter())
        .map(|&id| Member {
            id,
            usable: snapshot.accounts.iter().any(|a| a.id == id),
        })
        .collect();
    let members = (ctx.groups.iter())
        .map(|g| Member {
            id: g.id,
            usable: g.status == GroupStatus::Active,
        })
        .collect();
    // A resumed cycle: the slots with an outcome, and when they were sent.
    let logged: Option<Vec<LoggedSlot>> = resume.map(|r| {
        (r.logged.iter())
            .map(|(account_id, group_id, outcome, at)| LoggedSlot {
                account_id: *account_id,
                group_id: *group_id,
                outcome: Logged::from_outcome(outcome),
                sent_at: at.map(|ms| ctx.since(clock.instant_at(ms))),
            })
            .collect()
    });
    let (mode, delay_between_cycles) = (plan.mode, plan.delay_between_cycles);
    let cycle = Cycle::new(
        plan,
        &accounts,
        members,
        &in_force,
        logged.as_deref(),
        ctx.since(now),
    );
    Ok(SetUp {
        ctx,
        cycle,
        post_key,
        read: Read {
            mode,
            delay_between_cycles,
            warning,
        },
        plan_expires_at,
    })
}
