//! `autoposter bench soak`: several `autoposter engine` processes on one PostgreSQL database,
//! sharing simulated customers through leases for minutes, while one engine at a time is
//! struck: killed with `kill -9` (and replaced), or frozen with SIGSTOP for twice the lease
//! period (and continued). All of them post through one simulated Telegram, a ledger file
//! that records every request with the process that made it.
//!
//! The [`audit`] that ends it (and the multi-engine test) checks the ledger against the
//! post log and the lease history: no request from an engine that did not hold the
//! customer's lease at that moment, nothing posted twice, every post logged once and nothing
//! logged that was not posted, every finished cycle complete, and how soon the customers of
//! each struck engine were taken over.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde::Serialize;

use crate::config::Secret;
use crate::schedule::{InputError, Mode, Plan, Settings};
use crate::store::{unix_ms_now, Backend, NewCustomer, PlanGrant, Store, StoreError};
use crate::telegram::sim::{read_ledger, LedgerRequest};

/// The soak's knobs.
#[derive(Clone, Debug)]
pub struct SoakArgs {
    /// The `autoposter` binary the engines run.
    pub engine_bin: PathBuf,
    /// A PostgreSQL database with no customers yet (its URL may carry a password: hidden from
    /// `Debug`, and handed to the engines in their environment, not on their command line).
    pub database_url: Secret,
    pub engines: usize,
    pub customers: i64,
    pub accounts: usize,
    pub groups: usize,
    pub delay_between_posts: f64,
    pub delay_between_cycles: f64,
    pub seconds: u64,
    /// One engine is struck every this many seconds (0: never).
    pub strike_every: u64,
    pub lease_ttl: u64,
    pub latency_ms: u64,
}

/// Why the soak could not run.
#[derive(Debug, thiserror::Error)]
pub enum SoakError {
    #[error("the soak needs PostgreSQL (engines share only a PostgreSQL database)")]
    NotPostgres,
    #[error("the database already has customers: give the soak an empty one")]
    NotEmpty,
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("the database: {0}")]
    Store(#[from] StoreError),
    #[error("an engine process: {0}")]
    Process(std::io::Error),
}

/// A struck engine: its pid, when (unix ms), and how.
#[derive(Clone, Debug, Serialize)]
pub struct Strike {
    pub pid: u32,
    pub at_ms: i64,
    pub kind: &'static str,
}

/// What the audit found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Audit {
    /// Requests Telegram received (repeated random ids included).
    pub requests: usize,
    /// Posts made.
    pub posts: usize,
    /// Requests that repeated a posted random id (a lost log row sent again): nothing posted.
    pub repeated: usize,
    /// Requests from an engine that did not hold the customer's lease at that moment.
    pub foreign_requests: usize,
    /// Posts the log has under a term that was not the customer's current one when sent.
    pub logged_outside_term: usize,
    /// (account, random id) posted more than once.
    pub double_posts: usize,
    /// (customer, cycle, account, group) slots in the post log more than once.
    pub slots_logged_twice: usize,
    /// Posts Telegram made that the post log does not have as sent.
    pub unlogged_posts: usize,
    /// Posts the log has as sent that Telegram never made.
    pub logged_unposted: usize,
    /// Slots missing from finished cycles.
    pub missing_slots: usize,
    pub cycles_done: usize,
    /// Lease acquisitions after the first of each customer.
    pub takeovers: usize,
    /// For each strike, how many customers the struck engine held.
    pub held_when_struck: Vec<usize>,
    /// The longest time from a strike to another engine acquiring one of the struck engine's
    /// customers.
    pub takeover_max_ms: Option<i64>,
    /// Customers of a struck engine nobody took over.
    pub never_taken_over: usize,
    pub lateness_p50_ms: f64,
    pub lateness_p99_ms: f64,
    pub lateness_max_ms: f64,
    /// Posts of cycles one engine ran from start to end (no takeover during them).
    pub undisturbed_posts: usize,
    pub undisturbed_p99_ms: f64,
    pub undisturbed_max_ms: f64,
}

impl Audit {
    /// Nothing posted twice, lost, or posted by an engine not holding the lease.
    pub fn clean(&self) -> bool {
        self.foreign_requests == 0
            && self.logged_outside_term == 0
            && self.double_posts == 0
            && self.slots_logged_twice == 0
            && self.unlogged_posts == 0
            && self.logged_unposted == 0
            && self.missing_slots == 0
            && self.never_taken_over == 0
    }
}

/// The pid in a lease holder's name (`host:pid:xxxx`).
fn pid_of(holder: &str) -> Option<u32> {
    holder.split(':').nth(1)?.parse().ok()
}

/// The lease in force at `at_ms`: (holder, term) of the latest acquisition not after it.
fn lease_at(history: &[(String, i64, i64)], at_ms: i64) -> Option<(&str, i64)> {
    history
        .iter()
        .filter(|(_, _, acquired)| *acquired <= at_ms)
        .max_by_key(|(_, term, _)| *term)
        .map(|(holder, term, _)| (holder.as_str(), *term))
}

/// Who held the customer at `at_ms`.
fn holder_at(history: &[(String, i64, i64)], at_ms: i64) -> Option<&str> {
    lease_at(history, at_ms).map(|(holder, _)| holder)
}

fn percentile(sorted: &[i64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// Audits customers `1..=customers` after the engines stopped.
pub async fn audit(
    store: &Store,
    ledger: &Path,
    customers: i64,
    strikes: &[Strike],
) -> Result<Audit, StoreError> {
    let requests: Vec<LedgerRequest> = read_ledger(ledger).map_err(|cause| StoreError::File {
        what: "cannot read the ledger",
        path: ledger.display().to_string(),
        cause,
    })?;
    let mut a = Audit {
        requests: requests.len(),
        ..Audit::default()
    };
    let mut customer_of = HashMap::new();
    let mut histories = HashMap::new();
    for id in 1..=customers {
        for account in store.accounts(id).await? {
            customer_of.insert(account.id, id);
        }
        let history = store.lease_history(id).await?;
        a.takeovers += history.len().saturating_sub(1);
        histories.insert(id, history);
    }
    let mut posted = HashSet::new();
    for r in &requests {
        let holder = customer_of
            .get(&r.account)
            .and_then(|c| holder_at(&histories[c], r.at_ms));
        if holder.and_then(pid_of) != Some(r.pid) {
            a.foreign_requests += 1;
            tracing::error!(
                account = r.account,
                group = r.group,
                at_ms = r.at_ms,
                pid = r.pid,
                holder = holder.unwrap_or("nobody"),
                "a request from an engine not holding the lease"
            );
        }
        if r.repeated {
            a.repeated += 1;
        } else {
            a.posts += 1;
            if !posted.insert((r.account, r.random_id)) {
                a.double_posts += 1;
            }
        }
    }
    // Cycles whose posts were logged under more than one term: a takeover happened in them.
    let termed = store.posts_with_terms().await?;
    for p in &termed {
        let term_then = p
            .sent_at
            .and_then(|at| lease_at(histories.get(&p.customer_id)?, at))
            .map(|(_, term)| term);
        if p.sent_at.is_some() && term_then != Some(p.term) {
            a.logged_outside_term += 1;
        }
    }
    let mut terms_of: HashMap<(i64, i64), HashSet<i64>> = HashMap::new();
    for p in &termed {
        terms_of
            .entry((p.customer_id, p.cycle_seq))
            .or_default()
            .insert(p.term);
    }
    let mut undisturbed: Vec<i64> = termed
        .iter()
        .filter(|p| p.outcome == "sent" && terms_of[&(p.customer_id, p.cycle_seq)].len() == 1)
        .filter_map(|p| p.lateness_us)
        .collect();
    undisturbed.sort_unstable();
    a.undisturbed_posts = undisturbed.len();
    a.undisturbed_p99_ms = percentile(&undisturbed, 0.99);
    a.undisturbed_max_ms = undisturbed.last().map_or(0.0, |l| *l as f64 / 1000.0);
    let mut logged = HashSet::new();
    let mut lateness = Vec::new();
    for id in 1..=customers {
        let mut slots = HashSet::new();
        for row in store.posts(id).await? {
            if !slots.insert((row.cycle_seq, row.account_id, row.group_id)) {
                a.slots_logged_twice += 1;
            }
            if row.outcome == "sent" {
                logged.insert((row.account_id, row.random_id));
                lateness.extend(row.lateness_us);
            }
        }
        for cycle in store.cycles(id).await? {
            if cycle.status == crate::store::CycleStatus::Done {
                a.cycles_done += 1;
                let n = slots.iter().filter(|s| s.0 == cycle.seq).count() as i64;
                a.missing_slots += (cycle.planned - n).max(0) as usize;
            }
        }
    }
    a.unlogged_posts = posted.difference(&logged).count();
    a.logged_unposted = logged.difference(&posted).count();
    lateness.sort_unstable();
    a.lateness_p50_ms = percentile(&lateness, 0.50);
    a.lateness_p99_ms = percentile(&lateness, 0.99);
    a.lateness_max_ms = lateness.last().map_or(0.0, |l| *l as f64 / 1000.0);
    for strike in strikes {
        let mut held = 0;
        for history in histories.values() {
            let struck = holder_at(history, strike.at_ms).and_then(pid_of) == Some(strike.pid);
            if !struck {
                continue;
            }
            held += 1;
            let next = history
                .iter()
                .find(|(h, _, acquired)| *acquired > strike.at_ms && pid_of(h) != Some(strike.pid));
            match next {
                Some((_, _, acquired)) => {
                    let after = acquired - strike.at_ms;
                    a.takeover_max_ms = Some(a.takeover_max_ms.map_or(after, |m| m.max(after)));
                }
                None => a.never_taken_over += 1,
            }
        }
        a.held_when_struck.push(held);
    }
    Ok(a)
}

/// One engine process of the soak.
struct EngineProcess {
    child: Child,
}

impl EngineProcess {
    /// Starts an engine and waits until it says it shares the database.
    fn spawn(args: &SoakArgs, ledger: &Path) -> Result<EngineProcess, SoakError> {
        let mut child = Command::new(&args.engine_bin)
            .args(["engine", "--simulated-accounts"])
            .args(["--sim-latency-ms", &args.latency_ms.to_string()])
            .args(["--lease-ttl", &args.lease_ttl.to_string()])
            .arg("--sim-ledger")
            .arg(ledger)
            .env("DATABASE_URL", args.database_url.expose())
            .env_remove("AUTOPOSTER_LEASE_TTL")
            .env_remove("AUTOPOSTER_METRICS_ADDR")
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(SoakError::Process)?;
        wait_ready(&mut child)?;
        Ok(EngineProcess { child })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on our own child's pid; no memory is touched.
        unsafe {
            libc::kill(self.child.id() as i32, sig);
        }
    }
}

/// Reads the child's stderr until it says it shares the database, then drains the rest in a
/// thread (so that it never blocks on a full pipe).
fn wait_ready(child: &mut Child) -> Result<(), SoakError> {
    use std::io::BufRead;
    let stderr = child.stderr.take().expect("stderr piped");
    let mut reader = std::io::BufReader::new(stderr);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(SoakError::Process)? == 0 {
            return Err(SoakError::Process(std::io::Error::other(
                "the engine ended before it started sharing",
            )));
        }
        if line.contains("sharing customers through leases") {
            break;
        }
    }
    std::thread::spawn(move || {
        let mut rest = String::new();
        while reader.read_line(&mut rest).unwrap_or(0) > 0 {
            rest.clear();
        }
    });
    Ok(())
}

/// What the soak reports.
#[derive(Clone, Debug, Serialize)]
pub struct SoakReport {
    pub engines: usize,
    pub customers: i64,
    pub seconds: u64,
    pub strikes: Vec<Strike>,
    pub audit: Audit,
}

/// Seeds the customers, runs the engines with strikes, stops them and audits.
pub async fn run(args: &SoakArgs) -> Result<SoakReport, SoakError> {
    let store = Store::connect(args.database_url.expose()).await?;
    if store.backend() != Backend::Postgres {
        return Err(SoakError::NotPostgres);
    }
    if store.fleet_stats(unix_ms_now()).await?.customers > 0 {
        return Err(SoakError::NotEmpty);
    }
    // Each customer's delay between posts a little longer than the last (up to +0.9 s), so
    // that their posts do not all fall at the same instants and a strike catches sends in
    // flight and rows not yet written.
    let settings = |id: i64| {
        Settings::parse(
            Mode::Enterprise,
            args.delay_between_posts + (id % 10) as f64 * 0.1,
            args.delay_between_cycles,
            0.0,
        )
    };
    settings(1)?;
    let customers: Vec<NewCustomer> = (1..=args.customers)
        .map(|id| NewCustomer {
            id,
            plan: PlanGrant {
                plan: Plan::Enterprise,
                expires_at: None,
            },
            settings: settings(id).expect("checked above"),
            message_html: format!("soak customer {id}"),
            accounts: (1..=args.accounts)
                .map(|a| format!("acc-{id}-{a}"))
                .collect(),
            groups: (1..=args.groups)
                .map(|g| format!("@soak_{id}_{g}"))
                .collect(),
        })
        .collect();
    store.create_customers(&customers).await?;
    for id in 1..=args.customers {
        store.mark_running(id, id * 7_919 + 1).await?;
    }
    let dir = std::env::temp_dir().join(format!("autoposter-soak-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).map_err(SoakError::Process)?;
    let ledger = dir.join("telegram.ledger");
    let mut engines = Vec::with_capacity(args.engines);
    for _ in 0..args.engines {
        engines.push(EngineProcess::spawn(args, &ledger)?);
    }
    eprintln!(
        "soak: {} engines, {} customers × {} accounts × {} groups, {} s",
        args.engines, args.customers, args.accounts, args.groups, args.seconds
    );
    let start = std::time::Instant::now();
    let total = Duration::from_secs(args.seconds);
    let mut strikes = Vec::new();
    let mut next_strike = Duration::from_secs(args.strike_every);
    while start.elapsed() < total {
        let until = if args.strike_every > 0 {
            next_strike.min(total)
        } else {
            total
        };
        tokio::time::sleep(until.saturating_sub(start.elapsed())).await;
        if args.strike_every == 0 || start.elapsed() >= total {
            break;
        }
        let victim = strikes.len() % engines.len();
        let freeze = strikes.len() % 2 == 1;
        let pid = engines[victim].pid();
        strikes.push(Strike {
            pid,
            at_ms: unix_ms_now(),
            kind: if freeze { "SIGSTOP" } else { "kill -9" },
        });
        if freeze {
            engines[victim].signal(libc::SIGSTOP);
            tokio::time::sleep(Duration::from_secs(2 * args.lease_ttl)).await;
            engines[victim].signal(libc::SIGCONT);
        } else {
            engines[victim].signal(libc::SIGKILL);
            let _ = engines[victim].child.wait();
            engines[victim] = EngineProcess::spawn(args, &ledger)?;
        }
        let posts = read_ledger(&ledger).map_or(0, |r| r.len());
        eprintln!(
            "[{:>4} / {} s] {} requests so far; struck pid {pid} ({})",
            start.elapsed().as_secs(),
            args.seconds,
            posts,
            strikes.last().map_or("", |s| s.kind)
        );
        next_strike += Duration::from_secs(args.strike_every);
    }
    eprintln!("soak: stopping the engines (SIGTERM) and auditing");
    for e in &engines {
        e.signal(libc::SIGTERM);
    }
    for e in &mut engines {
        let _ = e.child.wait();
    }
    let audit = audit(&store, &ledger, args.customers, &strikes).await?;
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(SoakReport {
        engines: args.engines,
        customers: args.customers,
        seconds: args.seconds,
        strikes,
        audit,
    })
}
