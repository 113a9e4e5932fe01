//! Engines sharing one PostgreSQL database: which customers this engine holds, and the
//! keeper that renews, claims and gives them up. One lease per customer (a customer's cycle
//! needs all of its accounts at once, and an account belongs to one customer, so the lease
//! holds a customer's accounts together); the store keeps it on the database's clock with a
//! fencing term ([`crate::store::lease`]).
//!
//! The keeper runs a round every `ttl / 5`: it notes this engine alive, renews what it holds,
//! hands over what it lost, stops what was stopped from elsewhere, and claims its share of the
//! customers nobody holds (running customers ÷ live engines, rounded up). A lease renewed by a
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
        Instant::now() < *self.deadline.lock().expect("lease lock")
    }

    pub(crate) fn fence(&self) -> Fence {
        Fence {
            customer_id: self.lease.customer_id,
            term: self.lease.term,
        }
    }
}

/// The engine's side of the leases.
pub(crate) struct Leasing {
    pub(crate) config: LeaseConfig,
    held: Mutex<HashMap<i64, Arc<Held>>>,
    keeper: Mutex<Option<(CancellationToken, JoinHandle<()>)>>,
}

impl Leasing {
    pub(crate) fn new(config: LeaseConfig) -> Leasing {
        Leasing {
            config,
            held: Mutex::new(HashMap::new()),
            keeper: Mutex::new(None),
        }
    }

    /// Holds `lease` from a round that began at `round_start`.
    pub(crate) fn hold(&self, lease: Lease, round_start: Instant) -> Arc<Held> {
        let held = Arc::new(Held {
            lease,
            deadline: Mutex::new(round_start + self.config.trust()),
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

    /// Forgets the customer's lease locally; returns it (to give back in the store).
    pub(crate) fn drop_held(&self, customer_id: i64) -> Option<Lease> {
        self.held
            .lock()
            .expect("lease lock")
            .remove(&customer_id)
            .map(|h| h.lease)
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

    /// Customers whose local deadline passed (renewals failed for too long).
    fn lapsed(&self) -> Vec<i64> {
        self.held
            .lock()
            .expect("lease lock")
            .iter()
            .filter(|(_, h)| !h.valid())
            .map(|(id, _)| *id)
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

    pub(crate) fn start_keeper(&self) {
        let Some(leasing) = self.shared.leasing.get() else {
            return;
        };
        let stop = CancellationToken::new();
        let task = tokio::spawn(keep(self.clone(), stop.clone()));
        *leasing.keeper.lock().expect("lease lock") = Some((stop, task));
    }

    /// Stops the keeper (at shutdown, before the customers are stopped).
    pub(crate) async fn stop_keeper(&self) {
        let Some(leasing) = self.shared.leasing.get() else {
            return;
        };
        let keeper = leasing.keeper.lock().expect("lease lock").take();
        if let Some((stop, task)) = keeper {
            stop.cancel();
            let _ = task.await;
        }
    }

    /// Gives every held lease back and forgets this engine (after a shutdown stopped its
    /// customers): the others take them over at their next round.
    pub(crate) async fn release_all(&self) {
        let Some(leasing) = self.shared.leasing.get() else {
            return;
        };
        let holder = &leasing.config.holder;
        for lease in leasing.all() {
            leasing.drop_held(lease.customer_id);
            if let Err(e) = self.shared.store.release_lease(holder, &lease).await {
                tracing::warn!(customer_id = lease.customer_id, error = %e, "could not give a lease back");
            }
        }
        if let Err(e) = self.shared.store.engine_gone(holder).await {
            tracing::warn!(error = %e, "could not sign the engine off");
        }
    }

    /// Gives the customer's lease back, if held here.
    pub(crate) async fn release(&self, customer_id: i64) {
        let Some(leasing) = self.shared.leasing.get() else {
            return;
        };
        if let Some(lease) = leasing.drop_held(customer_id) {
            let holder = &leasing.config.holder;
            if let Err(e) = self.shared.store.release_lease(holder, &lease).await {
                tracing::warn!(customer_id, error = %e, "could not give a lease back");
            }
        }
    }

    /// Lets another engine have the customer: its loop is stopped without closing its cycle
    /// or changing what the store says (the next holder resumes the cycle where it stopped).
    pub(crate) async fn hand_over(&self, customer_id: i64, why: &'static str) {
        tracing::warn!(customer_id, why, "handing the customer over");
        let running = self
            .shared
            .running
            .lock()
            .expect("engine lock")
            .remove(&customer_id);
        if let Some(running) = running {
            self.shared
                .handed_over
                .lock()
                .expect("engine lock")
                .insert(customer_id);
            running.stop.cancel();
            let _ = running.task.await;
            self.shared
                .handed_over
                .lock()
                .expect("engine lock")
                .remove(&customer_id);
        }
        self.release(customer_id).await;
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
    async fn stopped_elsewhere(&self, customer_id: i64) {
        let running = self
            .shared
            .running
            .lock()
            .expect("engine lock")
            .remove(&customer_id);
        if let Some(running) = running {
            running.stop.cancel();
            let _ = running.task.await;
        }
        self.flush().await;
        self.release(customer_id).await;
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
                tracing::warn!(
                    customer_id,
                    "the engine holding the customer did not let go"
                );
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }
}

/// The keeper: a round every `ttl / 5` until stopped. Before the first claim it lets one
/// round pass after announcing itself, so that engines started together split the customers.
async fn keep(engine: Engine, stop: CancellationToken) {
    let Some(leasing) = engine.shared.leasing.get() else {
        return;
    };
    let config = &leasing.config;
    if let Err(e) = engine
        .shared
        .store
        .engine_heartbeat(&config.holder, config.ttl_ms())
        .await
    {
        tracing::warn!(error = %e, "could not announce the engine");
    }
    let mut next = Instant::now() + config.round();
    loop {
        tokio::select! {
            biased;
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep_until(next) => {}
        }
        let start = Instant::now();
        if let Err(e) = round(&engine, leasing, start).await {
            tracing::warn!(error = %e, "lease round failed; held leases lapse unless renewed");
        }
        next = start + config.round();
    }
}

/// One round of the keeper.
async fn round(engine: &Engine, leasing: &Leasing, start: Instant) -> Result<(), EngineError> {
    let store = &engine.shared.store;
    let config = &leasing.config;
    let holder = config.holder.as_str();
    for customer_id in leasing.lapsed() {
        engine.hand_over(customer_id, "lease lapsed").await;
    }
    let live = store.engine_heartbeat(holder, config.ttl_ms()).await?;
    let held = leasing.all();
    let renewed = store.renew_leases(holder, &held, config.ttl_ms()).await?;
    for lease in &held {
        if renewed.iter().any(|r| r.customer_id == lease.customer_id) {
            if let Some(h) = leasing.get(lease.customer_id) {
                *h.deadline.lock().expect("lease lock") = start + config.trust();
            }
        } else if store.holds_lease(holder, lease).await? {
            // Still ours, but no longer marked running: stopped from elsewhere.
            engine.stopped_elsewhere(lease.customer_id).await;
        } else {
            engine.hand_over(lease.customer_id, "lease lost").await;
        }
    }
    // This engine's share of the running customers.
    let running = store.running_count().await?;
    let share = (running + live.max(1) - 1) / live.max(1);
    let want = share - leasing.count() as i64;
    if want < 0 {
        // More engines than when these were claimed: give the excess back, but only customers
        // in a pause long enough for another engine to claim them before their next cycle
        // (which then starts on time: a claimed customer keeps its pause).
        let pausing = engine.pausing_for_at_least(config.round() * 3);
        for customer_id in pausing.into_iter().rev().take(want.unsigned_abs() as usize) {
            engine.hand_over(customer_id, "balancing the engines").await;
        }
        return Ok(());
    }
    if want == 0 {
        return Ok(());
    }
    let claimed = store.claim_leases(holder, config.ttl_ms(), want).await?;
    if claimed.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = claimed.iter().map(|l| l.customer_id).collect();
    let mut open: HashMap<i64, crate::store::Interrupted> = store
        .interrupted_cycles_of(Some(&ids))
        .await?
        .into_iter()
        .map(|c| (c.customer_id, c))
        .collect();
    for lease in claimed {
        let id = lease.customer_id;
        tracing::info!(customer_id = id, term = lease.term, "customer taken over");
        let held = leasing.hold(lease, start);
        match engine
            .start_with(id, None, open.remove(&id), super::Origin::Claimed)
            .await
        {
            Ok(_) => {}
            Err(e @ EngineError::NotReady(_)) => {
                // As if it had been running here: the engine stops it.
                tracing::warn!(customer_id = id, error = %e, "customer stopped by the engine");
                if let Err(e) = store.engine_stops(id, Some(held.fence())).await {
                    tracing::warn!(customer_id = id, error = %e, "could not record the stop");
                }
                if let Some(observer) = &engine.shared.observer {
                    observer.customer_stopped(id, &e);
                }
                engine.release(id).await;
            }
            Err(e) => {
                tracing::warn!(customer_id = id, error = %e, "could not take the customer over");
                engine.release(id).await;
            }
        }
    }
    Ok(())
}
