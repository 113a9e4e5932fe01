//! The command line: `autoposter demo`, `run`, `engine`, `rekey`, `bench fleet` and `bench broadcast`,
//! their flags and defaults, the runtime each runs on, and exit codes (0 ok, 1 refused or
//! failed, 2 bad flags).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::bench::fleet::{self, FleetArgs};
use crate::config::{KeySource, RunConfig, Secret, TelegramApp};
use crate::demo::{self, DemoArgs};
use crate::schedule::{Mode, Plan};

/// Posts a customer's announcement into their Telegram groups, on an exact schedule.
#[derive(Debug, Parser)]
#[command(name = "autoposter", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the engine on simulated accounts and groups with an in-memory database and prints
    /// every post as it happens. No credentials needed.
    Demo(DemoFlags),
    /// The control bot and the engine in one process (stops on ctrl-c). The bot's token is
    /// read from TELOXIDE_TOKEN (environment or .env), never from a flag, so that it does not
    /// show in the process list.
    Run(RunFlags),
    /// The engine alone, for more machines: resumes the customers marked running and posts
    /// for them until SIGTERM or ctrl-c. One engine per database for now (a second one
    /// refuses to start).
    Engine(ServeFlags),
    /// Re-seals every stored account session under the current master key (after a rotation,
    /// with the previous key configured beside it), printing how far along it is; running it
    /// again changes nothing. The key file must exist (it is not created here).
    Rekey(RekeyFlags),
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        which: Bench,
    },
}

#[derive(Debug, Subcommand)]
pub enum Bench {
    /// The engine at fleet scale on the simulated transport: lateness, CPU, memory.
    Fleet(FleetFlags),
    /// An admin broadcast through the Bot API client against a local fake Bot API that
    /// enforces Telegram's 30 messages a second: the sustained rate.
    Broadcast(BroadcastFlags),
    /// Engine processes sharing a PostgreSQL database for minutes, one struck at a time
    /// (kill -9, SIGSTOP past the lease period); ends with an audit of what was posted.
    Soak(SoakFlags),
}

#[derive(Debug, Args)]
pub struct SoakFlags {
    /// An empty PostgreSQL database (`postgres://…`), from DATABASE_URL (environment or .env)
    /// when not given here. A URL with a password is refused as a flag (it would show in the
    /// process list): give it in DATABASE_URL or --database-url-file.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<Secret>,
    /// A file holding the database URL (one line), in place of --database-url.
    #[arg(long, value_name = "PATH", conflicts_with = "database_url")]
    pub database_url_file: Option<PathBuf>,
    #[arg(long, default_value_t = 3)]
    pub engines: usize,
    #[arg(long, default_value_t = 60)]
    pub customers: i64,
    /// Simulated accounts per customer.
    #[arg(long, default_value_t = 2)]
    pub accounts: usize,
    /// Groups per customer.
    #[arg(long, default_value_t = 10)]
    pub groups: usize,
    /// Seconds between two posts of one account (customer n gets 0.1 × (n mod 10) more).
    #[arg(long = "delay-between-posts", default_value_t = 3.0)]
    pub soak_delay_between_posts: f64,
    /// Seconds between cycles.
    #[arg(long = "delay-between-cycles", default_value_t = 5.0)]
    pub soak_delay_between_cycles: f64,
    /// How long the soak runs, in seconds.
    #[arg(long, default_value_t = 300)]
    pub seconds: u64,
    /// Strike one engine every this many seconds (0: never).
    #[arg(long, default_value_t = 30)]
    pub strike_every: u64,
    /// The engines' lease period, in seconds.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(3..=300))]
    pub lease_ttl: u64,
    /// How long a simulated post takes, in milliseconds.
    #[arg(long, default_value_t = 50)]
    pub latency_ms: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BroadcastFlags {
    /// Customers to reach (the admin included).
    #[arg(long, default_value_t = 10_000)]
    pub recipients: i64,
    /// Every N-th customer has blocked the bot (0: nobody).
    #[arg(long, default_value_t = 50)]
    pub blocked_every: i64,
    /// One JSON line instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The execution mode on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    Starter,
    Enterprise,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Mode {
        match m {
            ModeArg::Starter => Mode::Starter,
            ModeArg::Enterprise => Mode::Enterprise,
        }
    }
}

/// The plan on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PlanArg {
    Starter,
    Enterprise,
}

#[derive(Debug, Args)]
pub struct DemoFlags {
    /// Execution mode.
    #[arg(long, value_enum, default_value = "starter")]
    pub mode: ModeArg,
    /// The demo customer's plan (by default the plan of --mode); the plan decides the mode,
    /// so asking for the other mode is refused.
    #[arg(long, value_enum)]
    pub plan: Option<PlanArg>,
    /// Simulated accounts (sessions).
    #[arg(long, default_value_t = 2)]
    pub accounts: usize,
    /// Simulated groups each account posts to.
    #[arg(long, default_value_t = 3)]
    pub groups: usize,
    /// Seconds between two posts of one account (raised to 3 if lower).
    #[arg(long, default_value_t = 3.0, allow_negative_numbers = true)]
    pub delay_between_posts: f64,
    /// Seconds between the end of a cycle and the start of the next.
    #[arg(long, default_value_t = 5.0, allow_negative_numbers = true)]
    pub delay_between_cycles: f64,
    /// STARTER cycle length in minutes (fractions allowed).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub cycle_minutes: f64,
    /// Cycles to run before stopping.
    #[arg(long, default_value_t = 2)]
    pub cycles: u32,
    /// Simulated send time in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// One JSON object per line per post, then a summary line.
    #[arg(long)]
    pub json: bool,
    /// Post this file instead of a text (repeat up to 10 times for an album). The kind comes
    /// from the extension: jpg/jpeg/png a photo, mp4 a video, gif an animation, anything else
    /// a document.
    #[arg(long, value_name = "FILE")]
    pub media: Vec<PathBuf>,
    /// The caption of --media (HTML), or the text of a text post.
    #[arg(long, value_name = "TEXT")]
    pub caption: Option<String>,
    /// Post into this forum topic (its top message id) in every group.
    #[arg(long, value_name = "N")]
    pub topic: Option<i32>,
    /// Run on a virtual clock that jumps from one post to the next: the same schedule,
    /// printed at once, every post exactly on time. For previews and tests.
    #[arg(long)]
    pub virtual_clock: bool,
}

/// What `run` and `engine` share.
#[derive(Debug, Args)]
pub struct ServeFlags {
    /// Serve Prometheus metrics (`/metrics`) and a health check (`/healthz`) here, e.g.
    /// `127.0.0.1:9100`.
    #[arg(long, env = "AUTOPOSTER_METRICS_ADDR")]
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// The database: `sqlite:PATH` (created if missing, mode 0600) or `postgres://…`; from
    /// DATABASE_URL (environment or .env) when not given here, else `sqlite:autoposter.db`. A
    /// URL with a password is refused as a flag (it would show in the process list): give it
    /// in DATABASE_URL or --database-url-file.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<Secret>,
    /// A file holding the database URL (one line), in place of --database-url.
    #[arg(long, value_name = "PATH", conflicts_with = "database_url")]
    pub database_url_file: Option<PathBuf>,
    /// Simulated accounts: Telegram's test numbers (99966XYYYY, code X×5) log in, and posts
    /// go to the simulated transport instead of Telegram.
    #[arg(long, env = "AUTOPOSTER_SIMULATED_ACCOUNTS")]
    pub simulated_accounts: bool,
    /// How long a simulated post takes, in milliseconds.
    #[arg(long, env = "AUTOPOSTER_SIM_LATENCY_MS", default_value_t = 200)]
    pub sim_latency_ms: u64,
    /// With --simulated-accounts: a file where the simulated Telegram keeps every post across
    /// restarts, answering a repeated random id like Telegram (for crash tests).
    #[arg(long, hide = true)]
    pub sim_ledger: Option<PathBuf>,
    /// The api_id of the Telegram application real accounts log in through (my.telegram.org);
    /// its api_hash is read from TELEGRAM_API_HASH.
    #[arg(long, env = "TELEGRAM_API_ID")]
    pub api_id: Option<i32>,
    #[command(flatten)]
    pub keys: KeyFlags,
    /// The STARTER plan's terms: `accounts=N,groups=N,price=STARS,days=N` (any subset;
    /// defaults 3 accounts, 30 groups, 250 Stars for 30 days).
    #[arg(long, env = "AUTOPOSTER_STARTER", default_value = "")]
    pub starter: String,
    /// The ENTERPRISE plan's terms, as --starter (defaults 25 accounts, 300 groups, 1500
    /// Stars for 30 days).
    #[arg(long, env = "AUTOPOSTER_ENTERPRISE", default_value = "")]
    pub enterprise: String,
    /// On PostgreSQL, where engines share the customers: how long, in seconds, a customer's
    /// lease holds without renewal (renewed every fifth of it; a stopped or cut-off engine's
    /// customers pass to the others within it).
    #[arg(long, env = "AUTOPOSTER_LEASE_TTL", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(3..=300))]
    pub lease_ttl: u64,
}

/// Where the master key, and during a rotation the previous one, come from. The keys
/// themselves are read from the environment or from files, never from a flag.
#[derive(Debug, Args)]
pub struct KeyFlags {
    /// The file holding the master key that seals account sessions, created (0600) on first
    /// run; AUTOPOSTER_MASTER_KEY (base64 of 32 bytes) in the environment takes its place.
    #[arg(long, env = "AUTOPOSTER_KEY_FILE", default_value = "autoposter.key")]
    pub key_file: PathBuf,
    /// The master key's version, stored with every sealed session.
    #[arg(long, env = "AUTOPOSTER_MASTER_KEY_VERSION", default_value_t = 1)]
    pub key_version: i64,
    /// During a rotation: the file holding the previous master key (never created);
    /// AUTOPOSTER_PREVIOUS_MASTER_KEY (base64) in the environment takes its place. Sessions
    /// sealed under it open, and are re-sealed under the current key.
    #[arg(long, env = "AUTOPOSTER_PREVIOUS_KEY_FILE")]
    pub previous_key_file: Option<PathBuf>,
    /// The previous master key's version (default: the current version minus one).
    #[arg(long, env = "AUTOPOSTER_PREVIOUS_MASTER_KEY_VERSION")]
    pub previous_key_version: Option<i64>,
}

#[derive(Debug, Args)]
pub struct RekeyFlags {
    /// The database whose sessions are re-sealed: `sqlite:PATH` or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite:autoposter.db",
        hide_env_values = true
    )]
    pub database_url: Secret,
    #[command(flatten)]
    pub keys: KeyFlags,
}

#[derive(Debug, Args)]
pub struct RunFlags {
    #[command(flatten)]
    pub serve: ServeFlags,
    /// Another Bot API server (a local one); Telegram's by default.
    #[arg(long, env = "TELOXIDE_API_URL")]
    pub bot_api_url: Option<String>,
    /// Telegram user ids of the admins, comma-separated.
    #[arg(long, env = "AUTOPOSTER_ADMINS", default_value = "")]
    pub admins: String,
}

#[derive(Debug, Args)]
pub struct FleetFlags {
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
    #[arg(long, default_value_t = 10)]
    pub accounts_per_user: usize,
    #[arg(long, default_value_t = 20)]
    pub groups: usize,
    /// Seconds between two posts of one account.
    #[arg(long, default_value_t = 3.0, allow_negative_numbers = true)]
    pub delay: f64,
    /// Seconds between cycles.
    #[arg(long, default_value_t = 5.0, allow_negative_numbers = true)]
    pub delay_between_cycles: f64,
    #[arg(long, value_enum, default_value = "enterprise")]
    pub mode: ModeArg,
    /// STARTER cycle length in minutes.
    #[arg(long, default_value_t = 15.0, allow_negative_numbers = true)]
    pub cycle_minutes: f64,
    /// Simulated send time in milliseconds.
    #[arg(long, default_value_t = 50)]
    pub latency_ms: u64,
    /// Customers start at random moments within this many seconds.
    #[arg(long, default_value_t = 3.0, allow_negative_numbers = true)]
    pub spread: f64,
    /// Seconds to run.
    #[arg(long, default_value_t = 60.0, allow_negative_numbers = true)]
    pub duration: f64,
    /// Write the post log to this (new) SQLite file instead of memory.
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// One final JSON line instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Runs the parsed command and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Demo(flags) => run_demo(flags),
        Command::Run(flags) => run_bot(flags),
        Command::Engine(flags) => run_engine(flags),
        Command::Rekey(flags) => run_rekey(flags),
        Command::Bench {
            which: Bench::Fleet(flags),
        } => run_fleet(flags),
        Command::Bench {
            which: Bench::Soak(flags),
        } => run_soak(flags),
        Command::Bench {
            which: Bench::Broadcast(flags),
        } => run_broadcast_bench(flags),
    }
}

/// The engine's runtime: single-threaded (the engine waits far more than it computes, and one
/// thread spares the cross-thread wake-ups), on a paused clock for `--virtual-clock`.
fn runtime(virtual_clock: bool) -> tokio::runtime::Runtime {
    let mut builder = tokio::runtime::Builder::new_current_thread();
    builder.enable_all();
    if virtual_clock {
        crate::time::use_virtual_time();
        builder.start_paused(true);
    }
    builder.build().expect("the tokio runtime starts")
}

fn run_bot(f: RunFlags) -> i32 {
    let bot_token = match std::env::var("TELOXIDE_TOKEN") {
        Ok(token) if !token.trim().is_empty() => Secret::new(token.trim()),
        _ => {
            eprintln!("{}", crate::serve::RunError::NoBotToken);
            return 2;
        }
    };
    let admins = match crate::config::parse_admins(&f.admins) {
        Ok(admins) => admins,
        Err(e) => {
            eprintln!("AUTOPOSTER_ADMINS / --admins: {e}");
            return 2;
        }
    };
    let mut config = match serve_config(f.serve) {
        Ok(config) => config,
        Err(code) => return code,
    };
    config.bot_token = Some(bot_token);
    config.bot_api_url = f.bot_api_url;
    config.admins = admins;
    finish(runtime(false).block_on(crate::serve::run(config)))
}

fn run_engine(f: ServeFlags) -> i32 {
    match serve_config(f) {
        Ok(config) => finish(runtime(false).block_on(crate::serve::engine(config))),
        Err(code) => code,
    }
}

fn finish(result: Result<(), crate::serve::RunError>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

/// The database `run` and `engine` use when nothing names one.
const DEFAULT_DATABASE: &str = "sqlite:autoposter.db";

/// The database URL from the flags or DATABASE_URL, or the exit code of a refused one (said
/// why, without the URL).
fn database_url(flag: Option<Secret>, file: Option<PathBuf>, default: &str) -> Result<Secret, i32> {
    let env = std::env::var("DATABASE_URL").ok().map(Secret::new);
    crate::config::database_url(
        crate::config::DatabaseUrlSources { flag, file, env },
        default,
    )
    .map_err(|e| {
        eprintln!("{e}");
        2
    })
}

/// The configuration `run` and `engine` share, or the exit code of a bad value (said why).
fn serve_config(f: ServeFlags) -> Result<RunConfig, i32> {
    let defaults = crate::schedule::PlanCatalog::default();
    let catalog = match (
        crate::config::parse_terms(&f.starter, defaults.starter),
        crate::config::parse_terms(&f.enterprise, defaults.enterprise),
    ) {
        (Ok(starter), Ok(enterprise)) => crate::schedule::PlanCatalog {
            starter,
            enterprise,
        },
        (Err(e), _) => {
            eprintln!("AUTOPOSTER_STARTER / --starter: {e}");
            return Err(2);
        }
        (_, Err(e)) => {
            eprintln!("AUTOPOSTER_ENTERPRISE / --enterprise: {e}");
            return Err(2);
        }
    };
    let (master_key, previous_master_key) = key_sources(f.keys)?;
    Ok(RunConfig {
        lease_ttl: std::time::Duration::from_secs(f.lease_ttl),
        metrics_addr: f.metrics_addr,
        admins: Vec::new(),
        catalog,
        database_url: database_url(f.database_url, f.database_url_file, DEFAULT_DATABASE)?,
        bot_token: None,
        bot_api_url: None,
        simulated_accounts: f.simulated_accounts,
        sim_latency: std::time::Duration::from_millis(f.sim_latency_ms),
        sim_ledger: f.sim_ledger,
        telegram_app: match (f.api_id, std::env::var("TELEGRAM_API_HASH")) {
            (Some(api_id), Ok(hash)) if !hash.trim().is_empty() => Some(TelegramApp {
                api_id,
                api_hash: Secret::new(hash.trim()),
            }),
            _ => None,
        },
        master_key,
        previous_master_key,
    })
}

/// The master key's source and, during a rotation, the previous key's (each from the
/// environment when set there, else from its file), or the exit code of a bad combination.
fn key_sources(f: KeyFlags) -> Result<(KeySource, Option<KeySource>), i32> {
    let from_env = |name: &str| match std::env::var(name) {
        Ok(key) if !key.trim().is_empty() => Some(Secret::new(key.trim())),
        _ => None,
    };
    let current = match from_env("AUTOPOSTER_MASTER_KEY") {
        Some(key) => KeySource::Given {
            key,
            version: f.key_version,
        },
        None => KeySource::File {
            path: f.key_file,
            version: f.key_version,
        },
    };
    let version = f.previous_key_version.unwrap_or(f.key_version - 1);
    let previous = match (
        from_env("AUTOPOSTER_PREVIOUS_MASTER_KEY"),
        f.previous_key_file,
    ) {
        (Some(key), _) => Some(KeySource::Given { key, version }),
        (None, Some(path)) => Some(KeySource::File { path, version }),
        (None, None) if f.previous_key_version.is_some() => {
            eprintln!(
                "AUTOPOSTER_PREVIOUS_MASTER_KEY_VERSION / --previous-key-version: no previous \
                 key (AUTOPOSTER_PREVIOUS_MASTER_KEY or --previous-key-file)"
            );
            return Err(2);
        }
        (None, None) => None,
    };
    Ok((current, previous))
}

fn run_rekey(f: RekeyFlags) -> i32 {
    let (current, previous) = match key_sources(f.keys) {
        Ok(sources) => sources,
        Err(code) => return code,
    };
    let result = runtime(false).block_on(async {
        let key = crate::serve::master_key(&current, previous.as_ref(), false)?;
        let store = crate::store::Store::connect(f.database_url.expose()).await?;
        let step = |total: usize| (total / 20).max(1);
        let report = crate::serve::rekey(&store, &key, |done, total| {
            if done % step(total) == 0 || done == total {
                eprintln!("rekey: {done} of {total} sessions");
            }
        })
        .await;
        store.close().await;
        Ok::<_, crate::serve::RunError>((key.version(), report?))
    });
    let (version, report) = match result {
        Ok(done) => done,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    for (account_id, failure) in &report.failed {
        eprintln!("account {account_id}: {failure}");
    }
    println!(
        "rekey: {} sessions, master key version {version}: {} re-sealed, {} already under it, \
         {} removed meanwhile, {} failed",
        report.total,
        report.resealed,
        report.current,
        report.gone,
        report.failed.len()
    );
    if report.failed.is_empty() {
        0
    } else {
        1
    }
}

fn run_broadcast_bench(f: BroadcastFlags) -> i32 {
    if f.recipients < 2 || f.blocked_every < 0 {
        eprintln!("--recipients must be at least 2 and --blocked-every not negative");
        return 2;
    }
    eprintln!(
        "broadcasting to {} recipients at up to {} a second…",
        f.recipients,
        crate::bot::broadcast::RATE_PER_SEC
    );
    match runtime(false).block_on(crate::bench::broadcast::run(f.recipients, f.blocked_every)) {
        Ok(r) if f.json => {
            println!("{}", serde_json::to_string(&r).expect("report serializes"));
            0
        }
        Ok(r) => {
            println!(
                "broadcast: {} recipients in {:.1} s: {} sent, {} blocked, {} failed, {} × 429\n\
                 sustained {:.2} messages/s, busiest second {}",
                r.recipients,
                r.seconds,
                r.sent,
                r.blocked,
                r.failed,
                r.too_many,
                r.sustained_per_sec,
                r.busiest_second
            );
            0
        }
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

fn run_demo(f: DemoFlags) -> i32 {
    let args = DemoArgs {
        mode: f.mode.into(),
        plan: f.plan.map(|p| match p {
            PlanArg::Starter => Plan::Starter,
            PlanArg::Enterprise => Plan::Enterprise,
        }),
        accounts: f.accounts,
        groups: f.groups,
        delay_between_posts: f.delay_between_posts,
        delay_between_cycles: f.delay_between_cycles,
        cycle_minutes: f.cycle_minutes,
        cycles: f.cycles,
        json: f.json,
        latency_ms: f.latency_ms,
        media: f.media,
        caption: f.caption,
        topic: f.topic,
    };
    match runtime(f.virtual_clock).block_on(demo::run(&args)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e}");
            e.exit_code()
        }
    }
}

fn run_soak(f: SoakFlags) -> i32 {
    let engine_bin = match std::env::current_exe() {
        Ok(path) => path,
        Err(e) => {
            eprintln!("cannot find this program's path: {e}");
            return 1;
        }
    };
    let database_url = match database_url(f.database_url, f.database_url_file, "") {
        Ok(url) if url.expose().is_empty() => {
            eprintln!(
                "the soak needs a database: DATABASE_URL, --database-url or --database-url-file"
            );
            return 2;
        }
        Ok(url) => url,
        Err(code) => return code,
    };
    let args = crate::bench::soak::SoakArgs {
        engine_bin,
        database_url,
        engines: f.engines.max(1),
        customers: f.customers.max(1),
        accounts: f.accounts.max(1),
        groups: f.groups.max(1),
        delay_between_posts: f.soak_delay_between_posts,
        delay_between_cycles: f.soak_delay_between_cycles,
        seconds: f.seconds,
        strike_every: f.strike_every,
        lease_ttl: f.lease_ttl,
        latency_ms: f.latency_ms,
    };
    let report = match runtime(false).block_on(crate::bench::soak::run(&args)) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    let a = &report.audit;
    if f.json {
        println!(
            "{}",
            serde_json::to_string(&report).expect("report serializes")
        );
    } else {
        println!(
            "soak: {} engines, {} customers, {} s, {} strikes (kill -9 and SIGSTOP in turn)\n\
             posts {} ({} requests; {} repeated ids absorbed), cycles finished {}, takeovers {}\n\
             lateness p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (all posts; a takeover \
             delays its customer's next posts by up to a lease period)\n\
             lateness in cycles without a takeover ({} posts): p99 {:.1} ms, max {:.1} ms\n\
             takeover after a strike: at most {} ms\n\
             duplicates {}, lost {}, requests from an engine without the lease {}, posts logged \
             under a term not current when sent {}",
            report.engines,
            report.customers,
            report.seconds,
            report.strikes.len(),
            a.posts,
            a.requests,
            a.repeated,
            a.cycles_done,
            a.takeovers,
            a.lateness_p50_ms,
            a.lateness_p99_ms,
            a.lateness_max_ms,
            a.undisturbed_posts,
            a.undisturbed_p99_ms,
            a.undisturbed_max_ms,
            a.takeover_max_ms
                .map_or("-".to_string(), |ms| ms.to_string()),
            a.double_posts + a.slots_logged_twice,
            a.unlogged_posts + a.logged_unposted + a.missing_slots + a.never_taken_over,
            a.foreign_requests,
            a.logged_outside_term
        );
    }
    if a.clean() {
        0
    } else {
        1
    }
}

fn run_fleet(f: FleetFlags) -> i32 {
    let args = FleetArgs {
        users: f.users,
        accounts_per_user: f.accounts_per_user,
        groups: f.groups,
        delay: f.delay,
        delay_between_cycles: f.delay_between_cycles,
        mode: f.mode.into(),
        cycle_minutes: f.cycle_minutes,
        latency_ms: f.latency_ms,
        spread: f.spread,
        duration: f.duration,
        db: f.db,
        json: f.json,
    };
    match runtime(false).block_on(fleet::run(&args)) {
        Ok(report) if args.json => {
            println!(
                "{}",
                serde_json::to_string(&report).expect("report serializes")
            );
            0
        }
        Ok(r) => {
            println!(
                "fleet: {} users × {} accounts × {} groups, {} mode, {} s, post log on {}\n\
                 posts {} (logged {}), lateness p50 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms, max {:.3} ms\n\
                 cpu {:.2} s (set-up {:.2} s), peak RSS {:.1} MB",
                r.users,
                args.accounts_per_user,
                args.groups,
                r.mode,
                r.duration_s,
                r.database,
                r.posts,
                r.logged,
                r.p50_ms,
                r.p99_ms,
                r.p999_ms,
                r.max_ms,
                r.cpu_s,
                r.setup_cpu_s,
                r.peak_rss_mb
            );
            0
        }
        Err(e) => {
            eprintln!("{e}");
            match e {
                fleet::FleetError::Engine(_) => 1,
                _ => 2,
            }
        }
    }
}
