//! Engines sharing one PostgreSQL database: which customers this engine holds, and the
//! keeper that renews, claims and gives them up. One lease per customer (a customer's cycle
//! needs all of its accounts at once, and an account belongs to one customer, so the lease
//! holds a customer's accounts together); the store keeps it on the database's clock with a
//! fencing term ([`crate::store::lease`]).
//!
//! The keeper is two loops, each every `ttl / 5`: the renewer notes this engine alive and
//! renews what it holds (nothing else, so that slow work never delays a renewal); the manager
//! hands over what was lost, stops what was stopped from elsewhere, gives back the excess when
//! more engines share the database, and claims its share of the customers nobody holds
//! (running customers ÷ live engines, rounded up). A lease renewed by a
//! round that began at `t` is trusted locally until `t + ttl − ttl / 3`: the worker checks that
//! deadline before every send, so an engine whose renewals fail (or that was frozen) stops
//! sending at least `ttl / 3` before the database lets anyone else claim the customer. Every
//! write the engine makes about a held customer carries the term, and the store refuses it once
//! the term has moved on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{Engine, EngineError};
use crate::store::Fence;
use crate::store::Lease;

/// The lease period when none is configured.
pub const DEFAULT_TTL: Duration = Duration::from_secs(15);

/// How this engine shares the database with others.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseConfig {
    /// This engine's name in the leases (unique per process: host, pid and a random part).
    pub holder: String,
    /// How long a claim or renewal holds, on the database's clock.
    pub ttl: Duration,
}

impl LeaseConfig {
    /// A holder name unique to this process.
    pub fn for_this_process(ttl: Duration) -> LeaseConfig {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "engine".to_string());
        LeaseConfig {
            holder: format!("{host}:{}:{:04x}", std::process::id(), fastrand::u16(..)),
            ttl,
        }
    }

    /// How often the keeper runs a round.
    pub fn round(&self) -> Duration {
        self.ttl / 5
    }

    /// How long after a round's start a lease it renewed is trusted.
    fn trust(&self) -> Duration {
        self.ttl - self.ttl / 3
    }

    fn ttl_ms(&self) -> i64 {
        self.ttl.as_millis() as i64
    }
}

/// A customer this engine holds: its term, and until when it may post for it.
pub(crate) struct Held {
    pub(crate) lease: Lease,
    deadline: Mutex<Instant>,
}

impl Held {
    /// Whether sends may still start.
    pub(crate) fn valid(&self) -> bool {
        Instant::now() < self.deadline()
    }

    /// Until when sends may start.
    pub(crate) fn deadline(&self) -> Instant {
        *self.deadline.lock().expect("lease lock")
    }

    pub(crate) fn fence(&self) -> Fence {
        Fence {
            customer_id: self.lease.customer_id,
            term: self.lease.term,
        }
    }
}

/// What the renewer found for the manager to act on.
#[derive(Default)]
struct Findings {
    /// Leases not renewed because another engine has the customer (or it expired).
    lost: Vec<Lease>,
    /// Leases still ours whose customer is no longer marked running: stopped from elsewhere.
    stopped: Vec<Lease>,
    /// Engines seen alive at the last renewal, this one included.
    live: i64,
}

/// The engine's side of the leases.
pub(crate) struct Leasing {
    pub(crate) config: LeaseConfig,
    held: Mutex<HashMap<i64, Arc<Held>>>,
    findings: Mutex<Findings>,
    /// Wakes the manager when the renewer found something to act on.
    found: tokio::sync::Notify,
    keeper: Mutex<Option<(CancellationToken, Vec<JoinHandle<()>>)>>,
}

impl Leasing {
    pub(crate) fn new(config: LeaseConfig) -> Leasing {
        Leasing {
            config,
            held: Mutex::new(HashMap::new()),
            findings: Mutex::new(Findings::default()),
            found: tokio::sync::Notify::new(),
            keeper: Mutex::new(None),
        }
    }

    /// Holds `lease`, claimed by a statement that began at `claimed_at` (the database's
    /// acquisition instant is no earlier).
    pub(crate) fn hold(&self, lease: Lease, claimed_at: Instant) -> Arc<Held> {
        let held = Arc::new(Held {
            lease,
            deadline: Mutex::new(claimed_at + self.config.trust()),
        });
        self.held
            .lock()
            .expect("lease lock")
            .insert(lease.customer_id, held.clone());
        held
    }

    pub(crate) fn get(&self, customer_id: i64) -> Option<Arc<Held>> {
        self.held
            .lock()
            .expect("lease lock")
            .get(&customer_id)
            .cloned()
    }

    /// The term this engine holds the customer at, if it does.
    pub(crate) fn term(&self, customer_id: i64) -> Option<i64> {
        self.get(customer_id).map(|h| h.lease.term)
    }

    /// Forgets the customer's lease locally, if held at `term`; returns it (to give back).
    fn drop_held(&self, customer_id: i64, term: i64) -> Option<Lease> {
        let mut held = self.held.lock().expect("lease lock");
        if held.get(&customer_id)?.lease.term != term {
            return None;
        }
        held.remove(&customer_id).map(|h| h.lease)
    }

    pub(crate) fn count(&self) -> usize {
        self.held.lock().expect("lease lock").len()
    }

    fn all(&self) -> Vec<Lease> {
        let mut all: Vec<Lease> = self
            .held
            .lock()
            .expect("lease lock")
            .values()
            .map(|h| h.lease)
            .collect();
        all.sort_by_key(|l| l.customer_id);
        all
    }

    /// (customer, term) of every lease whose local deadline passed (renewals failed for too
    /// long).
    fn lapsed(&self) -> Vec<(i64, i64)> {
        self.held
            .lock()
            .expect("lease lock")
            .iter()
            .filter(|(_, h)| !h.valid())
            .map(|(id, h)| (*id, h.lease.term))
            .collect()
    }
}

impl Engine {
    /// Shares the database with other engines through leases (PostgreSQL). Call before
    /// [`Engine::resume`], which then starts the keeper instead of taking every customer.
    pub fn share(&self, config: LeaseConfig) {
        let _ = self.shared.leasing.set(Leasing::new(config));
    }

    /// How many customers this engine holds leases on; `None` without leases.
    pub fn leases_held(&self) -> Option<usize> {
        self.shared.leasing.get().map(Leasing::count)
    }

    /// This engine's name in the leases.
    pub fn holder(&self) -> Option<&str> {
        self.shared.leasing.get().map(|l| l.config.holder.as_str())
    }

    /// The term this engine holds the customer at (`None` without leases, or not held).
    pub(crate) fn held_term(&self, customer_id: i64) -> Option<i64> {
        self.shared.leasing.get()?.term(customer_id)
    }

    pub(crate) fn start_keeper(&self) {
        let Some(leasing) = self.shared.leasing.get() else {
            return;
        };
        let stop = CancellationToken::new();
        let tasks = vec![
            tokio::spawn(renew_loop(self.clone(), stop.clone())),
            tokio::spawn(manage_loop(self.clone(), stop.clone())),
        ];
        *leasing.keeper.lock().expect("lease lock") = Some((stop, tasks));
    }

    /// Stops the keeper (at shutdown, before the customers are stopped).
    pub(crate) async fn stop_keeper(&self) {
        let Some(leasing) = self.shared.leasing.get() else {
            return;
        };
        let keeper = leasing.keeper.lock().expect("lease lock").take();
        if let Some((stop, tasks)) = keeper {
            stop.cancel();
            for task in tasks {
                let _ = task.await;
            }
        }
    }

    /// Gives every held lease back and forgets this engine (after a shutdown stopped its
    /// customers and wrote the post log): the others take them over at their next round.
    pub(crate) async fn release_all(&self) {
        let Some(leasing) = self.shared.leasing.get() else {
            return;
        };
        // One flush for all of them (`shutdown` has written the post log already).
        self.flush().await;
        for lease in leasing.all() {
            if let Some(lease) = leasing.drop_held(lease.customer_id, lease.term) {
                self.give_back(leasing, &lease).await;
            }
        }
        let holder = &leasing.config.holder;
        if let Err(e) = self.shared.store.engine_gone(holder).await {
            tracing::warn!(error = %e, "could not sign the engine off");
        }
    }

    /// Gives the customer's lease back, if held here at `term`: what the post log still has
    /// queued for it is written first (under that term), so the next holder finds it.
    pub(crate) async fn release(&self, customer_id: i64, term: Option<i64>) {
        let (Some(leasing), Some(term)) = (self.shared.leasing.get(), term) else {
            return;
        };
        let Some(lease) = leasing.drop_held(customer_id, term) else {
            return;
        };
        self.flush().await;
        self.give_back(leasing, &lease).await;
    }

    /// Gives a lease this engine no longer holds locally back in the store.
    async fn give_back(&self, leasing: &Leasing, lease: &Lease) {
        let holder = &leasing.config.holder;
        if let Err(e) = self.shared.store.release_lease(holder, lease).await {
            tracing::warn!(customer_id = lease.customer_id, error = %e, "could not give a lease back");
        }
    }

    /// Lets another engine have the customer (held here at `term`): its loop is stopped
    /// without closing its cycle or changing what the store says (the next holder resumes the
    /// cycle where it stopped).
    pub(crate) async fn hand_over(&self, customer_id: i64, term: i64, why: &'static str) {
        if self.held_term(customer_id) != Some(term) {
            return;
        }
        tracing::warn!(customer_id, why, "handing the customer over");
        let handed_over = &self.shared.handed_over;
        handed_over.lock().expect("engine lock").insert(customer_id);
        self.stop_here(customer_id).await;
        handed_over
            .lock()
            .expect("engine lock")
            .remove(&customer_id);
        self.release(customer_id, Some(term)).await;
    }

    /// Customers waiting between cycles whose next cycle is at least `at_least` away, by id.
    fn pausing_for_at_least(&self, at_least: Duration) -> Vec<i64> {
        let now = Instant::now();
        let mut ids: Vec<i64> = self
            .shared
            .live
            .lock()
            .expect("engine lock")
            .iter()
            .filter(|(_, l)| l.between_cycles)
            .filter(|(_, l)| l.next_post.is_some_and(|at| at >= now + at_least))
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Stops a customer stopped from elsewhere (another process's bot): its cycle is closed as
    /// stopped (this engine still holds the term), then the lease is given back.
    async fn stopped_elsewhere(&self, customer_id: i64, term: i64) {
        if self.held_term(customer_id) != Some(term) {
            return;
        }
        self.stop_here(customer_id).await;
        self.release(customer_id, Some(term)).await;
    }

    /// Waits until no engine holds the customer (after a stop from here of a customer another
    /// engine runs), at most two lease periods.
    pub(crate) async fn await_released(&self, customer_id: i64) -> Result<(), EngineError> {
        let Some(leasing) = self.shared.leasing.get() else {
            return Ok(());
        };
        let until = Instant::now() + leasing.config.ttl * 2;
        while self.shared.store.lease_active(customer_id).await? {
            if Instant::now() >= until {
                return Err(EngineError::StillHeld(customer_id));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }
}

/// The renewer: announces the engine at once, then renews its leases every `ttl / 5` (half a
/// round out of step with the manager), and does nothing else. A lease renewed by a round that
/// began at `t` is trusted until `t + ttl − ttl / 3`. What it finds wakes the manager.
async fn renew_loop(engine: Engine, stop: CancellationToken) {
    let Some(leasing) = engine.shared.leasing.get() else {
        return;
    };
    let config = &leasing.config;
    let store = &engine.shared.store;
    let mut next = Instant::now();
    let mut first = true;
    loop {
        tokio::select! {
            biased;
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep_until(next) => {}
        }
        let start = Instant::now();
        next = start
            + if first {
                config.round() / 2
            } else {
                config.round()
            };
        first = false;
        match store
            .engine_heartbeat(&config.holder, config.ttl_ms())
            .await
        {
            Ok(live) => leasing.findings.lock().expect("lease lock").live = live,
            Err(e) => {
                tracing::warn!(error = %e, "lease renewal failed; held leases lapse unless renewed");
                continue;
            }
        }
        let held = leasing.all();
        let renewed = match store
            .renew_leases(&config.holder, &held, config.ttl_ms())
            .await
        {
            Ok(renewed) => renewed,
            Err(e) => {
                tracing::warn!(error = %e, "lease renewal failed; held leases lapse unless renewed");
                continue;
            }
        };
        for lease in held {
            if renewed.iter().any(|r| r.customer_id == lease.customer_id) {
                if let Some(h) = leasing.get(lease.customer_id) {
                    if h.lease.term == lease.term {
                        *h.deadline.lock().expect("lease lock") = start + config.trust();
                    }
                }
                continue;
            }
            match store.holds_lease(&config.holder, &lease).await {
                Ok(true) => leasing
                    .findings
                    .lock()
                    .expect("lease lock")
                    .stopped
                    .push(lease),
                Ok(false) => leasing
                    .findings
                    .lock()
                    .expect("lease lock")
                    .lost
                    .push(lease),
                Err(e) => {
                    tracing::warn!(customer_id = lease.customer_id, error = %e, "could not check a lease")
                }
            }
        }
        let findings = leasing.findings.lock().expect("lease lock");
        if !findings.lost.is_empty() || !findings.stopped.is_empty() {
            leasing.found.notify_one();
        }
    }
}

/// The manager: every `ttl / 5`, and at once when the renewer found a lease lost or a
/// customer stopped, acts on it, gives back the excess and claims this engine's share. Before
/// its first claim the engine has announced itself for a round, so that engines started
/// together split the customers.
async fn manage_loop(engine: Engine, stop: CancellationToken) {
    let Some(leasing) = engine.shared.leasing.get() else {
        return;
    };
    let mut next = Instant::now() + leasing.config.round();
    loop {
        tokio::select! {
            biased;
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep_until(next) => {
                next = Instant::now() + leasing.config.round();
            }
            _ = leasing.found.notified() => {}
        }
        if let Err(e) = manage(&engine, leasing).await {
            tracing::warn!(error = %e, "lease round failed");
        }
    }
}

/// One round of the manager.
async fn manage(engine: &Engine, leasing: &Leasing) -> Result<(), EngineError> {
    let store = &engine.shared.store;
    let config = &leasing.config;
    for (customer_id, term) in leasing.lapsed() {
        engine.hand_over(customer_id, term, "lease lapsed").await;
    }
    let (lost, stopped, live) = {
        let mut found = leasing.findings.lock().expect("lease lock");
        (
            std::mem::take(&mut found.lost),
            std::mem::take(&mut found.stopped),
            found.live,
        )
    };
    for lease in lost {
        engine
            .hand_over(lease.customer_id, lease.term, "lease lost")
            .await;
    }
    for lease in stopped {
        engine
            .stopped_elsewhere(lease.customer_id, lease.term)
            .await;
    }
    // This engine's share of the running customers.
    let live = live.max(1);
    let running = store.running_count().await?;
    let share = (running + live - 1) / live;
    let want = share - leasing.count() as i64;
    if want < 0 {
        // More engines than when these were claimed: give the excess back, but only customers
        // in a pause long enough for another engine to claim them before their next cycle
        // (which then starts on time: a claimed customer keeps its pause).
        let pausing = engine.pausing_for_at_least(config.round() * 3);
        for customer_id in pausing.into_iter().rev().take(want.unsigned_abs() as usize) {
            if let Some(term) = leasing.term(customer_id) {
                engine
                    .hand_over(customer_id, term, "balancing the engines")
                    .await;
            }
        }
        return Ok(());
    }
    if want == 0 {
        return Ok(());
    }
    let claimed_at = Instant::now();
    let claimed = store
        .claim_leases(&config.holder, config.ttl_ms(), want)
        .await?;
    if claimed.is_empty() {
        return Ok(());
    }
    // Held (and so renewed) from now on, whatever happens next.
    for lease in &claimed {
        leasing.hold(*lease, claimed_at);
    }
    let ids: Vec<i64> = claimed.iter().map(|l| l.customer_id).collect();
    let mut open: HashMap<i64, crate::store::Interrupted> =
        match store.interrupted_cycles_of(Some(&ids)).await {
            Ok(open) => open.into_iter().map(|c| (c.customer_id, c)).collect(),
            Err(e) => {
                for lease in &claimed {
                    engine.release(lease.customer_id, Some(lease.term)).await;
                }
                return Err(e.into());
            }
        };
    for lease in claimed {
        let id = lease.customer_id;
        tracing::info!(customer_id = id, term = lease.term, "customer taken over");
        match engine
            .start_with(id, None, open.remove(&id), super::Origin::Claimed)
            .await
        {
            Ok(_) => {}
            Err(e @ EngineError::NotReady(_)) => {
                // As if it had been running here: the engine stops it.
                tracing::warn!(customer_id = id, error = %e, "customer stopped by the engine");
                let fence = Fence {
                    customer_id: id,
                    term: lease.term,
                };
                match store.engine_stops(id, Some(fence)).await {
                    Ok(true) => {
                        if let Some(observer) = &engine.shared.observer {
                            observer.customer_stopped(id, &e);
                        }
                    }
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(customer_id = id, error = %e, "could not record the stop")
                    }
                }
                engine.release(id, Some(lease.term)).await;
            }
            Err(e) => {
                tracing::info!(customer_id = id, error = %e, "customer not taken over");
                engine.release(id, Some(lease.term)).await;
            }
        }
    }
    Ok(())
}
