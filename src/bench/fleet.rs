//! The fleet benchmark (`autoposter bench fleet`): many customers on the simulated transport,
//! started at random moments within a spread, run for a fixed time. Measures lateness (send
//! start minus target) of every post, CPU time and peak memory of the process.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::time::Instant;

use crate::engine::{Engine, EngineError, Observer, PostEvent};
use crate::schedule::{InputError, Mode, Plan, Settings};
use crate::store::{NewCustomer, PlanGrant, Store, StoreError};
use crate::telegram::sim::SimTransport;

/// The benchmark's knobs.
#[derive(Clone, Debug)]
pub struct FleetArgs {
    pub users: usize,
    pub accounts_per_user: usize,
    pub groups: usize,
    pub delay: f64,
    pub delay_between_cycles: f64,
    pub mode: Mode,
    /// STARTER only.
    pub cycle_minutes: f64,
    pub latency_ms: u64,
    /// Customers start at random moments within this many seconds.
    pub spread: f64,
    pub duration: f64,
    /// The post log on this SQLite file (must not exist yet); in memory without it.
    pub db: Option<PathBuf>,
    pub json: bool,
}

/// What one run measured.
#[derive(Clone, Debug, Serialize)]
pub struct FleetReport {
    pub users: usize,
    pub sessions: usize,
    pub mode: &'static str,
    /// Posts whose send started (any outcome).
    pub posts: u64,
    /// Rows in the post log at the end.
    pub logged: i64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    /// CPU (user + system) of the whole process from the first start to the end of the run,
    /// the post log's final flush included; set-up excluded.
    pub cpu_s: f64,
    /// CPU spent creating the customers in the database.
    pub setup_cpu_s: f64,
    pub peak_rss_mb: f64,
    pub duration_s: f64,
    pub database: String,
}

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("{0}")]
    Input(#[from] InputError),
    #[error("{0}")]
    Engine(#[from] EngineError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("--db {0} already exists; the benchmark writes a fresh file")]
    DbExists(String),
    #[error("--users, --accounts-per-user and --groups must be at least 1")]
    Empty,
    #[error("--spread and --duration must be numbers of seconds from 0 to 604800, and --duration above 0")]
    BadTime,
}

struct Recorder {
    /// Lateness in microseconds.
    hist: Mutex<Histogram<u64>>,
    posts: AtomicU64,
}

impl Observer for Recorder {
    fn post(&self, e: &PostEvent) {
        if e.sent_at.is_none() {
            return;
        }
        self.posts.fetch_add(1, Ordering::Relaxed);
        let us = e.lateness.as_micros().min(u64::MAX as u128) as u64;
        self.hist
            .lock()
            .expect("histogram lock")
            .saturating_record(us);
    }
}

/// CPU seconds (user + system) and peak resident memory (MiB) of this process so far.
pub fn process_usage() -> (f64, f64) {
    // SAFETY: getrusage only writes into the struct we hand it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0;
    if !ok {
        return (0.0, 0.0);
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (
        tv(usage.ru_utime) + tv(usage.ru_stime),
        usage.ru_maxrss as f64 / 1024.0,
    )
}

/// Runs the benchmark and returns its figures. Progress goes to stderr every 10 s.
pub async fn run(args: &FleetArgs) -> Result<FleetReport, FleetError> {
    if args.users == 0 || args.accounts_per_user == 0 || args.groups == 0 {
        return Err(FleetError::Empty);
    }
    let sane = |secs: f64| secs.is_finite() && (0.0..=7.0 * 86_400.0).contains(&secs);
    if !sane(args.spread) || !sane(args.duration) || args.duration == 0.0 {
        return Err(FleetError::BadTime);
    }
    let settings = Settings::parse(
        args.mode,
        args.delay,
        args.delay_between_cycles,
        args.cycle_minutes,
    )?;
    // Check the layout once up front: an infeasible fleet is refused before any set-up.
    crate::schedule::plan_cycle(args.mode, &settings, args.accounts_per_user, args.groups)
        .map_err(|e| EngineError::NotReady(e.into()))?;
    let (url, database) = match &args.db {
        Some(path) if path.exists() => {
            return Err(FleetError::DbExists(path.display().to_string()))
        }
        Some(path) => (
            format!("sqlite:{}", path.display()),
            format!("SQLite file {}", path.display()),
        ),
        None => (
            "sqlite::memory:".to_string(),
            "SQLite in memory".to_string(),
        ),
    };
    let store = Store::connect(&url).await?;
    let plan = Plan::for_mode(args.mode);
    let (cpu0, _) = process_usage();
    const CHUNK: usize = 500;
    for first in (0..args.users).step_by(CHUNK) {
        let batch: Vec<NewCustomer> = (first..(first + CHUNK).min(args.users))
            .map(|u| NewCustomer {
                id: u as i64 + 1,
                plan: PlanGrant {
                    plan,
                    expires_at: None,
                },
                settings,
                message_html: "fleet benchmark post".into(),
                accounts: (0..args.accounts_per_user)
                    .map(|a| format!("u{u}a{a}"))
                    .collect(),
                groups: (0..args.groups).map(|g| format!("@u{u}g{g}")).collect(),
            })
            .collect();
        store.create_customers(&batch).await?;
        eprintln!(
            "set-up: {} of {} customers created",
            (first + CHUNK).min(args.users),
            args.users
        );
    }
    let (cpu1, _) = process_usage();

    let recorder = Arc::new(Recorder {
        hist: Mutex::new(Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("bounds")),
        posts: AtomicU64::new(0),
    });
    let transport = Arc::new(SimTransport::new(
        Duration::from_millis(args.latency_ms),
        false,
    ));
    let (engine, tasks) = Engine::new(store.clone(), transport, Some(recorder.clone()));
    engine.set_catalog(crate::schedule::PlanCatalog::unbounded());
    let begin = Instant::now();
    let spread_us = (args.spread * 1e6) as u64;
    let mut starters = tokio::task::JoinSet::new();
    for u in 0..args.users {
        let engine = engine.clone();
        let at = begin + Duration::from_micros(fastrand::u64(0..=spread_us));
        starters.spawn(async move {
            tokio::time::sleep_until(at).await;
            engine.start(u as i64 + 1, None).await
        });
    }
    let end = begin + Duration::from_secs_f64(args.duration);
    let progress = {
        let (engine, recorder) = (engine.clone(), recorder.clone());
        let every = Duration::from_secs(10);
        let total = args.duration;
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval_at(begin + every, every);
            loop {
                let at = ticks.tick().await;
                eprintln!(
                    "running: {:.0}/{total:.0} s, {} customers running, {} posts",
                    (at - begin).as_secs_f64(),
                    engine.running_count(),
                    recorder.posts.load(Ordering::Relaxed)
                );
            }
        })
    };
    tokio::time::sleep_until(end).await;
    progress.abort();
    let mut start_errors = 0usize;
    while let Some(done) = starters.try_join_next() {
        if !matches!(done, Ok(Ok(_))) {
            start_errors += 1;
        }
    }
    if start_errors > 0 {
        eprintln!("warning: {start_errors} customers failed to start");
    }
    starters.abort_all();
    engine.shutdown().await;
    drop(engine);
    tasks.finish().await;
    let (cpu2, peak_rss_mb) = process_usage();
    let logged = store.count_posts().await?;
    store.close().await;
    let hist = recorder.hist.lock().expect("histogram lock");
    let q = |p: f64| hist.value_at_quantile(p) as f64 / 1000.0;
    Ok(FleetReport {
        users: args.users,
        sessions: args.users * args.accounts_per_user,
        mode: args.mode.as_str(),
        posts: recorder.posts.load(Ordering::Relaxed),
        logged,
        p50_ms: q(0.5),
        p99_ms: q(0.99),
        p999_ms: q(0.999),
        max_ms: hist.max() as f64 / 1000.0,
        cpu_s: cpu2 - cpu1,
        setup_cpu_s: cpu1 - cpu0,
        peak_rss_mb,
        duration_s: args.duration,
        database,
    })
}
