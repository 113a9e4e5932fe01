//! The engine: the only code that sleeps or reads the clock. The scheduler part ([`Engine`])
//! keeps one loop per running customer that only triggers cycles, one at a time; the worker
//! part ([`Engine::run_cycle`]) owns all timing inside a cycle: it captures the cycle start,
//! re-reads the settings, lays out this cycle's offsets with [`crate::schedule`], runs the
//! sessions concurrently, and reports when the last one ended. Stop is a cancellation that
//! every wait listens to, so it takes effect at once, mid-sleep included.

pub mod clock;
mod lease;
mod record;
mod report;
mod send;
mod setup;
mod worker;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::schedule::{self, CyclePlan, Mode, NotReady, PlanCatalog, Readiness};
use crate::store::postlog::{PostLog, PostLogTask, WriterStats};
use crate::store::{CycleStatus, Interrupted, Snapshot, Store, StoreError};
use crate::telegram::{Outcome, Transport};

pub use clock::Clock;
pub use lease::{LeaseConfig, DEFAULT_TTL};
pub use report::{CycleReport, SessionSpan};

/// Why the engine refused or ended something.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("no such customer: {0}")]
    NoCustomer(i64),
    #[error(transparent)]
    NotReady(#[from] NotReady),
    #[error("customer {0} is already running")]
    AlreadyRunning(i64),
    #[error("customer {0} is not running")]
    NotRunning(i64),
    #[error("a cycle of customer {0} is already in progress")]
    CycleInProgress(i64),
    #[error("customer {0} passed to another engine (lease lost)")]
    LeaseLost(i64),
    #[error("customer {0} is still held by another engine, which did not let go in time")]
    StillHeld(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One post (or skipped slot) as it happened.
#[derive(Clone, Debug)]
pub struct PostEvent {
    pub customer_id: i64,
    pub cycle_seq: i64,
    /// The start of the cycle this post belongs to.
    pub cycle_start: Instant,
    pub session: usize,
    pub account_id: i64,
    pub group_id: i64,
    /// When the post was due.
    pub target: Instant,
    /// When the send started; `None` for a skipped slot.
    pub sent_at: Option<Instant>,
    /// `sent_at - target` (zero when early, which never happens).
    pub lateness: Duration,
    /// `None` for a skipped slot.
    pub outcome: Option<Outcome>,
    /// Why a slot was skipped.
    pub skipped: Option<&'static str>,
}

/// Hooks for whoever wants to watch the engine (the demo's printer, the benchmark's
/// histogram, the bot's notifications). Called on the engine's tasks: keep them quick.
pub trait Observer: Send + Sync + 'static {
    fn post(&self, _event: &PostEvent) {}
    fn cycle_finished(&self, _customer_id: i64, _report: &CycleReport) {}
    /// The engine stopped the customer by itself (plan expired, settings became invalid, …).
    fn customer_stopped(&self, _customer_id: i64, _reason: &EngineError) {}
    /// Telegram restricted one of the customer's accounts (a wait, a refusal, a quarantine).
    fn restricted(&self, _event: &Restricted) {}
}

/// A lasting consequence of an outcome, as the observer hears of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restricted {
    pub customer_id: i64,
    pub restriction: crate::store::Restriction,
}

/// What a successful start tells the caller.
#[derive(Clone, Debug)]
pub struct Started {
    /// The first cycle's start; its first post is due at `first_cycle_at + offsets[0]` = now.
    pub first_cycle_at: Instant,
    /// Unix ms of the first post.
    pub first_post_at_ms: i64,
    /// The delay between posts after the floor, with what was asked for: a UI says when it
    /// was raised ([`Floored::warning`]).
    pub delay: schedule::Floored,
}

struct Running {
    /// Tells this start apart from a later start of the same customer.
    generation: u64,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

pub(crate) struct Shared {
    store: Store,
    transport: Arc<dyn Transport>,
    postlog: PostLog,
    clock: Clock,
    observer: Option<Arc<dyn Observer>>,
    running: Mutex<HashMap<i64, Running>>,
    generation: AtomicU64,
    in_cycle: Mutex<HashSet<i64>>,
    /// Accounts in a flood wait, until when: honoured by every later cycle of this engine.
    /// The store has them too (account_waits, written with the post log, read by any engine
    /// after a restart); this copy covers the moments before that write lands.
    flood_waits: Mutex<HashMap<i64, Instant>>,
    /// Where each running customer stands, for status screens.
    live: Mutex<HashMap<i64, Live>>,
    /// The plans' limits, checked before every cycle.
    pub(crate) catalog: Mutex<PlanCatalog>,
    /// Set by [`Engine::shutdown`]: cycles cut short stay open for the next engine to resume.
    pub(crate) shutting_down: std::sync::atomic::AtomicBool,
    /// Set by [`Engine::share`]: engines share the database through leases.
    pub(crate) leasing: std::sync::OnceLock<lease::Leasing>,
    /// Customers being handed to another engine: like a shutdown, their cycles stay open.
    pub(crate) handed_over: Mutex<HashSet<i64>>,
}

/// Where a running customer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Live {
    cycle_seq: i64,
    next_post: Option<Instant>,
    /// Between cycles: `next_post` is the next cycle's start.
    between_cycles: bool,
}

/// Where a running customer stands, as a status screen shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveStatus {
    /// The cycle in progress, or the last one while waiting for the next.
    pub cycle_seq: i64,
    /// Unix ms of the next post, if one is planned.
    pub next_post_ms: Option<i64>,
    /// Unix ms of the next cycle's start, when waiting between cycles.
    pub next_cycle_ms: Option<i64>,
}

impl Shared {
    /// Mid-cycle: the cycle and its next post.
    pub(crate) fn set_live(&self, customer_id: i64, cycle_seq: i64, next_post: Option<Instant>) {
        self.live.lock().expect("engine lock").insert(
            customer_id,
            Live {
                cycle_seq,
                next_post,
                between_cycles: false,
            },
        );
    }

    /// Between cycles: the finished cycle and the next one's start.
    fn set_between_cycles(&self, customer_id: i64, cycle_seq: i64, next_cycle: Instant) {
        self.live.lock().expect("engine lock").insert(
            customer_id,
            Live {
                cycle_seq,
                next_post: Some(next_cycle),
                between_cycles: true,
            },
        );
    }

    fn clear_live(&self, customer_id: i64) {
        self.live.lock().expect("engine lock").remove(&customer_id);
    }
}

/// The engine. Cheap to clone; all clones drive the same customers.
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
}

/// The post-log writer, handed back by [`Engine::new`] so the owner can drain it at exit.
pub struct EngineTasks {
    postlog: PostLogTask,
}

impl EngineTasks {
    /// Writes the rest of the post log and stops its writer. Call after [`Engine::shutdown`].
    pub async fn finish(self) -> WriterStats {
        self.postlog.finish().await
    }
}

impl Engine {
    /// An engine over `store`, posting through `transport`.
    pub fn new(
        store: Store,
        transport: Arc<dyn Transport>,
        observer: Option<Arc<dyn Observer>>,
    ) -> (Engine, EngineTasks) {
        Engine::with_clock(store, transport, observer, Clock::start())
    }

    /// An engine on a given clock: a restarted engine in a test keeps the first one's mapping
    /// between its paused clock and wall time.
    pub fn with_clock(
        store: Store,
        transport: Arc<dyn Transport>,
        observer: Option<Arc<dyn Observer>>,
        clock: Clock,
    ) -> (Engine, EngineTasks) {
        let (postlog, task) = PostLog::start(store.clone());
        let shared = Arc::new(Shared {
            store,
            transport,
            postlog,
            clock,
            observer,
            running: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            in_cycle: Mutex::new(HashSet::new()),
            flood_waits: Mutex::new(HashMap::new()),
            live: Mutex::new(HashMap::new()),
            catalog: Mutex::new(PlanCatalog::default()),
            shutting_down: std::sync::atomic::AtomicBool::new(false),
            leasing: std::sync::OnceLock::new(),
            handed_over: Mutex::new(HashSet::new()),
        });
        (Engine { shared }, EngineTasks { postlog: task })
    }

    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// The plans' terms the engine holds customers to (the defaults until set).
    pub fn catalog(&self) -> PlanCatalog {
        *self.shared.catalog.lock().expect("engine lock")
    }

    /// Sets the plans' terms, from configuration; checked from the next cycle on.
    pub fn set_catalog(&self, catalog: PlanCatalog) {
        *self.shared.catalog.lock().expect("engine lock") = catalog;
    }

    /// Starts posting for the customer after the same checks every cycle runs; the first
    /// cycle starts now. `requested` is a mode the customer asked for: only the plan's passes.
    pub async fn start(
        &self,
        customer_id: i64,
        requested: Option<Mode>,
    ) -> Result<Started, EngineError> {
        self.start_with(customer_id, requested, None, Origin::Customer)
            .await
    }

    /// [`Engine::start`], resuming `interrupted` (the customer's cycle an earlier engine left
    /// open) as the first cycle. A customer taken up again ([`Origin::Resumed`],
    /// [`Origin::Claimed`]) whose last cycle finished keeps the pause after it: its next cycle
    /// starts when that cycle's end plus the delay between cycles comes, not at once.
    async fn start_with(
        &self,
        customer_id: i64,
        requested: Option<Mode>,
        interrupted: Option<Interrupted>,
        origin: Origin,
    ) -> Result<Started, EngineError> {
        if self.is_running(customer_id) {
            return Err(EngineError::AlreadyRunning(customer_id));
        }
        let mut snapshot = self.load(customer_id).await?;
        // A stored post that isn't one (media rows changed by hand) is refused before anything
        // starts, as each cycle's set-up refuses it.
        if !snapshot.items.is_empty() {
            snapshot.content()?;
        }
        let catalog = self.catalog();
        let plan = schedule::check_ready(&readiness(
            &snapshot,
            self.shared.clock.wall_ms(Instant::now()),
            requested,
            &catalog,
        ))?;
        let store = &self.shared.store;
        let post_key = match origin {
            Origin::Customer => store.mark_running(customer_id, nonzero_random()).await?,
            // Taken up again: only while still marked running (a stop from elsewhere between
            // the claim and now is not undone).
            Origin::Resumed | Origin::Claimed => store
                .keep_running(customer_id, nonzero_random())
                .await?
                .ok_or(EngineError::NotRunning(customer_id))?,
        };
        snapshot.post_key = Some(post_key);
        if let (Some(leasing), Origin::Customer) = (self.shared.leasing.get(), origin) {
            let c = &leasing.config;
            let claimed_at = Instant::now();
            match store
                .claim_lease_of(&c.holder, c.ttl.as_millis() as i64, customer_id)
                .await?
            {
                Some(lease) => {
                    leasing.hold(lease, claimed_at);
                }
                None => return Err(EngineError::AlreadyRunning(customer_id)),
            }
        }
        let term = self.held_term(customer_id);
        if interrupted.is_none() {
            // Whatever an earlier engine left open and nobody resumes is closed now.
            let now_ms = self.shared.clock.wall_ms(Instant::now());
            if let Err(e) = self
                .shared
                .store
                .close_open_cycles(customer_id, now_ms)
                .await
            {
                self.release(customer_id, term).await;
                return Err(e.into());
            }
        }
        let mut first = Instant::now();
        if origin != Origin::Customer && interrupted.is_none() {
            let last = self.shared.store.last_cycles(customer_id).await;
            if let Ok(Some(cycle)) = last.as_ref().map(|l| l.current.as_ref()) {
                if let (Some(ended_at), CycleStatus::Done) = (cycle.ended_at, cycle.status) {
                    let due = self.shared.clock.instant_at(ended_at) + plan.delay_between_cycles;
                    first = first.max(due);
                }
            }
            if let Err(e) = last {
                self.release(customer_id, term).await;
                return Err(e.into());
            }
        }
        let stop = CancellationToken::new();
        let mut running = self.shared.running.lock().expect("engine lock");
        if running.contains_key(&customer_id) {
            return Err(EngineError::AlreadyRunning(customer_id));
        }

        if first > Instant::now() {
            // Taken up again during the pause after a finished cycle.
            let last = snapshot.last_seq;
            self.shared.set_between_cycles(customer_id, last, first);
        } else {
            // The first cycle starts now: its number and first post are known before its task
            // runs (a status asked at once shows them).
            let seq = interrupted
                .as_ref()
                .map_or(snapshot.last_seq + 1, |c| c.seq);
            self.shared.set_live(customer_id, seq, Some(first));
        }
        let generation = self.shared.generation.fetch_add(1, Ordering::Relaxed);
        let task = tokio::spawn(customer_loop(
            self.clone(),
            customer_id,
            requested,
            (first, (snapshot, plan.clone()), interrupted),
            (generation, stop.clone()),
        ));
        running.insert(
            customer_id,
            Running {
                generation,
                stop,
                task,
            },
        );
        Ok(Started {
            first_cycle_at: first,
            first_post_at_ms: self.shared.clock.wall_ms(first + plan.offsets[0]),
            delay: plan.delay,
        })
    }

    /// Stops the customer and returns once the engine has stopped it: no post starts after
    /// this returns. A send already under way is awaited and logged, not abandoned.
    pub async fn stop(&self, customer_id: i64) -> Result<(), EngineError> {
        let term = self.held_term(customer_id);
        // Stop first, record afterwards: no post may start while the store is being written.
        let was_running = self.stop_here(customer_id).await;
        if self.shared.leasing.get().is_some() && !was_running {
            // Perhaps running on another engine: it stops the customer at its next lease round
            // and gives the lease back; once it has, no post starts any more.
            if !self.shared.store.stop_running(customer_id).await? {
                return Err(EngineError::NotRunning(customer_id));
            }
            return self.await_released(customer_id).await;
        }
        self.shared.store.set_running(customer_id, false).await?;
        // What the stopped cycle logged is in the store when the caller reads it.
        self.flush().await;
        self.release(customer_id, term).await;
        if was_running {
            Ok(())
        } else {
            Err(EngineError::NotRunning(customer_id))
        }
    }

    /// Stops the customer's loop in this engine and waits until it has ended; `false` when it
    /// was not running here.
    pub(crate) async fn stop_here(&self, customer_id: i64) -> bool {
        let running = self
            .shared
            .running
            .lock()
            .expect("engine lock")
            .remove(&customer_id);
        match running {
            Some(running) => {
                running.stop.cancel();
                let _ = running.task.await;
                true
            }
            None => false,
        }
    }

    /// Stops every customer (in parallel) and waits until the post log holds every post.
    /// Customers stay marked running in the store, so the next engine resumes them.
    /// With leases, they are given back, so that the other engines take the customers over at
    /// once.
    pub async fn shutdown(&self) {
        self.shared.shutting_down.store(true, Ordering::Relaxed);
        self.stop_keeper().await;
        let all: Vec<Running> = self
            .shared
            .running
            .lock()
            .expect("engine lock")
            .drain()
            .map(|(_, r)| r)
            .collect();
        for r in &all {
            r.stop.cancel();
        }
        for r in all {
            let _ = r.task.await;
        }
        self.shared.postlog.flush().await;
        self.release_all().await;
    }

    /// Starts every customer the store marks running (after a restart); a cycle an earlier
    /// engine left open (a crash, a shutdown) is resumed where it stopped. With leases
    /// ([`Engine::share`]) it starts the keeper instead, which takes this engine's share of the
    /// customers from its first round on; it returns 0 then.
    pub async fn resume(&self) -> Result<usize, EngineError> {
        if self.shared.leasing.get().is_some() {
            self.start_keeper();
            return Ok(0);
        }
        let mut started = 0;
        let mut open: HashMap<i64, Interrupted> = self
            .shared
            .store
            .interrupted_cycles()
            .await?
            .into_iter()
            .map(|c| (c.customer_id, c))
            .collect();
        for id in self.shared.store.running_customers().await? {
            match self
                .start_with(id, None, open.remove(&id), Origin::Resumed)
                .await
            {
                Ok(_) => started += 1,
                Err(e) => tracing::warn!(customer_id = id, error = %e, "not resumed"),
            }
        }
        Ok(started)
    }

    pub fn is_running(&self, customer_id: i64) -> bool {
        self.shared
            .running
            .lock()
            .expect("engine lock")
            .contains_key(&customer_id)
    }

    /// The running customer's cycle and next post; `None` when not running here.
    pub fn live(&self, customer_id: i64) -> Option<LiveStatus> {
        let live = *self
            .shared
            .live
            .lock()
            .expect("engine lock")
            .get(&customer_id)?;
        let next_post_ms = live.next_post.map(|at| self.shared.clock.wall_ms(at));
        Some(LiveStatus {
            cycle_seq: live.cycle_seq,
            next_post_ms,
            next_cycle_ms: next_post_ms.filter(|_| live.between_cycles),
        })
    }

    /// How many customers are running.
    pub fn running_count(&self) -> usize {
        self.shared.running.lock().expect("engine lock").len()
    }

    /// Waits until every post recorded so far is in the store.
    pub async fn flush(&self) {
        self.shared.postlog.flush().await;
    }

    /// Runs one whole cycle of the customer now and returns its report: the step the
    /// scheduler repeats, callable on its own. It numbers the cycle after the last recorded
    /// one, so it first waits for the post log to be written.
    pub async fn run_cycle(
        &self,
        customer_id: i64,
        requested: Option<Mode>,
        stop: &CancellationToken,
    ) -> Result<CycleReport, EngineError> {
        let _guard = CycleGuard::enter(&self.shared, customer_id)?;
        self.flush().await;
        let snapshot = self.load(customer_id).await?;
        let seq = snapshot.last_seq + 1;
        worker::run_cycle(
            &self.shared,
            customer_id,
            requested,
            seq,
            stop,
            Some((snapshot, None)),
            None,
        )
        .await
    }

    async fn load(&self, customer_id: i64) -> Result<Snapshot, EngineError> {
        let snapshot = (self.shared.store.snapshot(customer_id).await?)
            .ok_or(EngineError::NoCustomer(customer_id))?;
        Ok(posting_accounts(snapshot))
    }

    /// Forgets a customer whose loop ended by itself; a newer start's entry is left alone.
    fn forget(&self, customer_id: i64, generation: u64) {
        let mut running = self.shared.running.lock().expect("engine lock");
        if running
            .get(&customer_id)
            .is_some_and(|r| r.generation == generation)
        {
            running.remove(&customer_id);
        }
    }
}

/// Who starts a customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// The customer (the bot's Start): the first cycle starts now. With leases, the
    /// customer's lease is claimed here (refused while another engine holds it).
    Customer,
    /// A restarted engine takes up the customers marked running.
    Resumed,
    /// The lease keeper just claimed the customer's lease.
    Claimed,
}

/// A pause between cycles at least this long releases the customer's accounts (real accounts
/// disconnect) until [`WARM_UP`] before the next cycle.
pub const IDLE_RELEASE: Duration = Duration::from_secs(10 * 60);
/// How long before a cycle its released accounts are connected again.
pub const WARM_UP: Duration = Duration::from_secs(30);

/// The between-cycle loop of one customer: it only triggers cycles. The worker reports when
/// the cycle's last session ended; the next cycle is due `delay_between_cycles` after that.
async fn customer_loop(
    engine: Engine,
    customer_id: i64,
    requested: Option<Mode>,
    (first, (snapshot, plan), mut interrupted): (
        Instant,
        (Snapshot, CyclePlan),
        Option<Interrupted>,
    ),
    (generation, stop): (u64, CancellationToken),
) {
    let mut due = first;
    // The lease this loop runs under, when engines share the database.
    let term = engine.held_term(customer_id);
    // A resumed cycle keeps its number.
    let mut seq = interrupted
        .as_ref()
        .map_or(snapshot.last_seq, |c| c.seq - 1);
    let mut expiry = snapshot.plan.and_then(|g| g.expires_at);
    // The accounts this customer drives here, released when the loop ends.
    let mut accounts: Vec<i64> = snapshot.accounts.iter().map(|a| a.id).collect();
    // The first cycle uses what the start check just read and the layout it made, when it
    // starts now.
    let mut preloaded = (first <= Instant::now()).then_some((snapshot, Some(plan)));
    loop {
        match wait_until(&engine, customer_id, due, &mut expiry, &stop).await {
            Wait::Due => {}
            Wait::Stopped => break,
            Wait::Expired(expired_at) => {
                let e = EngineError::NotReady(NotReady::PlanExpired { expired_at });
                return end_by_engine(&engine, customer_id, &e, &accounts, (generation, term))
                    .await;
            }
        }
        seq += 1;
        let cycle = async {
            let _guard = CycleGuard::enter(&engine.shared, customer_id)?;
            let snapshot = preloaded.take();
            let resume = interrupted.take();
            worker::run_cycle(
                &engine.shared,
                customer_id,
                requested,
                seq,
                &stop,
                snapshot,
                resume,
            )
            .await
        }
        .await;
        match cycle {
            Ok(report) if report.completed => {
                // Accounts this cycle no longer used (paused, removed, quarantined) have no
                // more work here: let the transport disconnect them now.
                let used: Vec<i64> = report.sessions.iter().map(|s| s.account_id).collect();
                let idle: Vec<i64> = accounts
                    .iter()
                    .copied()
                    .filter(|a| !used.contains(a))
                    .collect();
                if !idle.is_empty() {
                    engine.shared.transport.release(&idle).await;
                }
                accounts = used;
                expiry = report.plan_expires_at;
                due = report.ended + report.delay_between_cycles;
                engine.shared.set_between_cycles(customer_id, seq, due);
                if due.saturating_duration_since(Instant::now()) >= IDLE_RELEASE {
                    // A long pause: no connection is held open for it. The accounts are
                    // connected again shortly before the next cycle.
                    engine.shared.transport.release(&accounts).await;
                    match wait_until(&engine, customer_id, due - WARM_UP, &mut expiry, &stop).await
                    {
                        Wait::Due => {}
                        Wait::Stopped => break,
                        Wait::Expired(expired_at) => {
                            let e = EngineError::NotReady(NotReady::PlanExpired { expired_at });
                            return end_by_engine(
                                &engine,
                                customer_id,
                                &e,
                                &accounts,
                                (generation, term),
                            )
                            .await;
                        }
                    }
                    // Bounded: a slow network must not make the cycle late.
                    let prepare = engine.shared.transport.prepare(&accounts);
                    let _ = tokio::time::timeout(WARM_UP / 2, prepare).await;
                }
            }
            Ok(report) if report.lease_lost => {
                return handed_over(&engine, customer_id, &accounts, (generation, term)).await
            }
            Ok(report) => match report.expired_at {
                // The plan ran out mid-cycle: the cycle stopped at that instant.
                Some(expired_at) => {
                    let e = EngineError::NotReady(NotReady::PlanExpired { expired_at });
                    return end_by_engine(&engine, customer_id, &e, &accounts, (generation, term))
                        .await;
                }
                None => break,
            },
            Err(EngineError::LeaseLost(_)) => {
                return handed_over(&engine, customer_id, &accounts, (generation, term)).await
            }
            Err(e) => {
                return end_by_engine(&engine, customer_id, &e, &accounts, (generation, term)).await
            }
        }
    }
    // Stopped: `Engine::stop` is awaiting this task, so no newer start can be running yet.
    engine.shared.clear_live(customer_id);
    engine.shared.transport.release(&accounts).await;
}

/// How a wait between cycles ended.
enum Wait {
    Due,
    Stopped,
    /// The plan expired at this instant (unix ms) and was not renewed.
    Expired(i64),
}

/// Waits until `due`, unless the customer is stopped first or the plan expires first. At the
/// expiry the store is asked again: a renewed plan keeps the wait going (and its new expiry
/// is watched).
async fn wait_until(
    engine: &Engine,
    customer_id: i64,
    due: Instant,
    expiry: &mut Option<i64>,
    stop: &CancellationToken,
) -> Wait {
    loop {
        let clock = &engine.shared.clock;
        let expires = expiry.map(|ms| clock.instant_at(ms)).filter(|at| *at < due);
        tokio::select! {
            biased;
            _ = stop.cancelled() => return Wait::Stopped,
            _ = tokio::time::sleep_until(due) => return Wait::Due,
            _ = tokio::time::sleep_until(expires.unwrap_or(due)), if expires.is_some() => {}
        }
        let now_ms = clock.wall_ms(Instant::now());
        match engine.shared.store.plan_of(customer_id).await {
            Ok(Some(g)) if g.expires_at.is_none_or(|at| at > now_ms) => *expiry = g.expires_at,
            Ok(g) => {
                let expired_at = g.and_then(|g| g.expires_at).or(*expiry).unwrap_or(now_ms);
                return Wait::Expired(expired_at);
            }
            Err(e) => {
                // The cycle's own check will decide; until then, no early stop.
                tracing::warn!(customer_id, error = %e, "could not re-read the plan");
                *expiry = None;
            }
        }
    }
}

/// The engine stops the customer by itself: recorded (under its lease's term, when leased),
/// the observer told, its accounts and lease let go.
async fn end_by_engine(
    engine: &Engine,
    customer_id: i64,
    e: &EngineError,
    accounts: &[i64],
    (generation, term): (u64, Option<i64>),
) {
    tracing::warn!(customer_id, error = %e, "customer stopped by the engine");
    let fence = term.map(|term| crate::store::Fence { customer_id, term });
    match engine.shared.store.engine_stops(customer_id, fence).await {
        Ok(true) => {
            if let Some(observer) = &engine.shared.observer {
                observer.customer_stopped(customer_id, e);
            }
        }
        Ok(false) => tracing::warn!(customer_id, "not recorded: another engine holds it now"),
        Err(store) => tracing::error!(customer_id, error = %store, "could not record the stop"),
    }
    engine.shared.clear_live(customer_id);
    engine.shared.transport.release(accounts).await;
    engine.forget(customer_id, generation);
    engine.release(customer_id, term).await;
}

/// The worker found the customer's lease lapsed: it stopped before sending, left the cycle
/// open, and the customer is let go here for another engine to take over.
async fn handed_over(
    engine: &Engine,
    customer_id: i64,
    accounts: &[i64],
    (generation, term): (u64, Option<i64>),
) {
    tracing::warn!(customer_id, "lease lapsed: customer let go");
    engine.shared.clear_live(customer_id);
    engine.shared.transport.release(accounts).await;
    engine.forget(customer_id, generation);
    engine.release(customer_id, term).await;
}

/// The start check's inputs from a snapshot.
fn readiness<'a>(
    snapshot: &'a Snapshot,
    now_ms: i64,
    requested: Option<Mode>,
    catalog: &'a PlanCatalog,
) -> Readiness<'a> {
    Readiness {
        catalog,
        plan: snapshot.plan.map(|g| (g.plan, g.expires_at)),
        now_ms,
        requested,
        settings: snapshot.settings.as_ref(),
        // A media post may go without a caption; a forward carries its source's.
        has_message: !snapshot.items.is_empty()
            || snapshot.forward.is_some()
            || snapshot
                .message_html
                .as_deref()
                .is_some_and(|m| !m.trim().is_empty()),
        accounts: snapshot.accounts.len(),
        groups: snapshot.groups.len(),
    }
}

/// The snapshot with only the accounts that post the customer's post: all active ones, except
/// for a post from an account's Saved Messages, which only that account can pass on (each
/// account has its own): the others take no part (the bot warned when they were added).
pub(crate) fn posting_accounts(mut snapshot: Snapshot) -> Snapshot {
    let owner = (snapshot.forward.as_ref())
        .and_then(|(source, _)| crate::schedule::content::saved_messages_of(&source.chat));
    if let Some(owner) = owner {
        snapshot.accounts.retain(|a| a.id == owner);
    }
    snapshot
}

/// Holds "a cycle of this customer is running"; two cycles of one customer never overlap.
struct CycleGuard<'a> {
    shared: &'a Shared,
    customer_id: i64,
}

impl<'a> CycleGuard<'a> {
    fn enter(shared: &'a Shared, customer_id: i64) -> Result<Self, EngineError> {
        if !shared
            .in_cycle
            .lock()
            .expect("engine lock")
            .insert(customer_id)
        {
            return Err(EngineError::CycleInProgress(customer_id));
        }
        Ok(CycleGuard {
            shared,
            customer_id,
        })
    }
}

impl Drop for CycleGuard<'_> {
    fn drop(&mut self) {
        self.shared
            .in_cycle
            .lock()
            .expect("engine lock")
            .remove(&self.customer_id);
    }
}

/// A random non-zero 64-bit number (a new customer's post key).
fn nonzero_random() -> i64 {
    loop {
        let n = fastrand::i64(..);
        if n != 0 {
            return n;
        }
    }
}
