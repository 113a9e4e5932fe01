//! The long-running processes, `autoposter run` (bot and engine, assembled here from the
//! bot's teloxide layer in [`crate::bot::dispatch`]) and `autoposter engine` (the engine
//! alone): what both need at start — the database's engine lock, the master key
//! checked against the stored sessions, the Telegram seams the configuration asks for — and
//! how they stop: the first SIGTERM or ctrl-c stops gracefully (no new posts, sends under way
//! finished and logged, the post log written, clients disconnected), a second one exits at
//! once. Also `autoposter rekey`'s work: every stored session re-sealed under the current
//! master key.

use std::sync::Arc;

use crate::config::{KeySource, RunConfig};
use crate::engine::Engine;
use crate::metrics::Metrics;
use crate::store::{Store, StoreError};
use crate::telegram::groups::{Groups, SimGroups};
use crate::telegram::live::{MtprotoConfig, MtprotoLogin, MtprotoTransport};
use crate::telegram::login::{Login, SimLogin};
use crate::telegram::sim::SimTransport;
use crate::telegram::source::{SimSources, Sources};
use crate::telegram::Transport;
use crate::vault::MasterKey;

/// Why `autoposter run` or `autoposter engine` could not start or stopped with an error. Never carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("real accounts need TELEGRAM_API_ID and TELEGRAM_API_HASH (from my.telegram.org), or run with --simulated-accounts")]
    NoTelegramApp,
    #[error("the master key: {0}")]
    MasterKey(#[from] crate::vault::VaultError),
    #[error("the previous master key: {0}")]
    PreviousMasterKey(crate::vault::VaultError),
    #[error("the bot API URL is not a valid URL")]
    BadApiUrl,
    #[error("the database: {0}")]
    Store(#[from] StoreError),
    #[error("Telegram refused the bot: {0}")]
    Telegram(String),
    #[error("TELOXIDE_TOKEN is not set: put the bot's token from @BotFather in the environment or in .env")]
    NoBotToken,
    #[error("the metrics address: {0}")]
    Metrics(std::io::Error),
    #[error("cannot catch SIGTERM / ctrl-c: {0}")]
    Signals(std::io::Error),
}

/// The master key from where the configuration says, with the previous key beside it during
/// a rotation. A missing key file is created when `create` (a newly created one is announced,
/// because without it no stored session opens); the previous key's file must exist.
pub fn master_key(
    source: &KeySource,
    previous: Option<&KeySource>,
    create: bool,
) -> Result<MasterKey, RunError> {
    let key = match source {
        KeySource::Given { key, version } => MasterKey::from_base64(key.expose(), *version)?,
        KeySource::File { path, version } if create => {
            let (key, created) = MasterKey::load_or_create(path, *version)?;
            if created {
                tracing::warn!(
                    path = %path.display(),
                    "created a new master key file: back it up; without it no stored session opens"
                );
            }
            key
        }
        KeySource::File { path, version } => MasterKey::load(path, *version)?,
    };
    let Some(previous) = previous else {
        return Ok(key);
    };
    let previous = match previous {
        KeySource::Given { key, version } => MasterKey::from_base64(key.expose(), *version),
        KeySource::File { path, version } => MasterKey::load(path, *version),
    }
    .map_err(RunError::PreviousMasterKey)?;
    Ok(key.with_previous(previous)?)
}

/// The master key (and the previous one, during a rotation), refused at start (fail closed,
/// with the reason) when they do not open the sessions already stored: one session is tried
/// under each key version found, since every account sealed under a version no configured key
/// opens would otherwise fail one by one.
pub async fn checked_master_key(
    store: &Store,
    source: &KeySource,
    previous: Option<&KeySource>,
) -> Result<MasterKey, RunError> {
    let key = master_key(source, previous, true)?;
    for (_version, account_id) in store.session_key_versions().await? {
        if let Some(sealed) = store.load_session(account_id).await? {
            key.open(account_id, &sealed)?;
        }
    }
    Ok(key)
}

/// Why one session was not re-sealed by [`rekey`].
#[derive(Debug, thiserror::Error)]
pub enum RekeyFailure {
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),
    #[error("it was rewritten {REKEY_ATTEMPTS} times while being re-sealed")]
    KeptChanging,
}

/// How often [`rekey`] re-reads a session that was written while it re-sealed it.
const REKEY_ATTEMPTS: usize = 5;

/// What `autoposter rekey` did.
#[derive(Debug, Default)]
pub struct RekeyReport {
    /// Sessions stored when it began.
    pub total: usize,
    /// Re-sealed under the current key.
    pub resealed: usize,
    /// Sealed under the current key already (they were checked to open).
    pub current: usize,
    /// Deleted while it ran (their account was removed).
    pub gone: usize,
    /// Not re-sealed, with why: they stay as they were.
    pub failed: Vec<(i64, RekeyFailure)>,
}

/// Re-seals every stored session under `key`'s current version, calling `progress(done,
/// total)` after each. A session that does not open stays as it is and is reported; one
/// written meanwhile (a running engine re-sealing it as it opens it) is read again. Running it
/// twice changes nothing the second time.
pub async fn rekey(
    store: &Store,
    key: &MasterKey,
    mut progress: impl FnMut(usize, usize),
) -> Result<RekeyReport, StoreError> {
    let accounts = store.session_accounts().await?;
    let mut report = RekeyReport {
        total: accounts.len(),
        ..RekeyReport::default()
    };
    for (done, account_id) in accounts.into_iter().enumerate() {
        match reseal_one(store, key, account_id).await? {
            Ok(Resealed::Now) => report.resealed += 1,
            Ok(Resealed::Already) => report.current += 1,
            Ok(Resealed::Gone) => report.gone += 1,
            Err(failure) => {
                tracing::warn!(account_id, error = %failure, "session not re-sealed");
                report.failed.push((account_id, failure));
            }
        }
        progress(done + 1, report.total);
    }
    Ok(report)
}

enum Resealed {
    Now,
    Already,
    Gone,
}

async fn reseal_one(
    store: &Store,
    key: &MasterKey,
    account_id: i64,
) -> Result<Result<Resealed, RekeyFailure>, StoreError> {
    for _ in 0..REKEY_ATTEMPTS {
        let Some(sealed) = store.load_session(account_id).await? else {
            return Ok(Ok(Resealed::Gone));
        };
        let new = match key.reseal(account_id, &sealed) {
            Ok(Some(new)) => new,
            Ok(None) => return Ok(Ok(Resealed::Already)),
            Err(e) => return Ok(Err(e.into())),
        };
        if store.replace_session(account_id, &sealed, &new).await? {
            return Ok(Ok(Resealed::Now));
        }
    }
    Ok(Err(RekeyFailure::KeptChanging))
}

/// The Telegram side the configuration asks for: simulated, or real accounts.
pub struct Seams {
    pub transport: Arc<dyn Transport>,
    pub login: Arc<dyn Login>,
    pub groups: Arc<dyn Groups>,
    pub sources: Arc<dyn Sources>,
}

pub async fn seams(config: &RunConfig, store: &Store) -> Result<Seams, RunError> {
    if config.simulated_accounts {
        return Ok(Seams {
            transport: match &config.sim_ledger {
                Some(path) => Arc::new(
                    SimTransport::with_ledger(config.sim_latency, path).map_err(|e| {
                        RunError::Store(StoreError::File {
                            what: "cannot open the ledger",
                            path: path.display().to_string(),
                            cause: e,
                        })
                    })?,
                ),
                None => Arc::new(SimTransport::new(config.sim_latency, false)),
            },
            login: Arc::new(SimLogin),
            groups: Arc::new(SimGroups),
            sources: Arc::new(SimSources),
        });
    }
    let app = config.telegram_app.clone().ok_or(RunError::NoTelegramApp)?;
    let mtproto = MtprotoConfig {
        api_id: app.api_id,
        api_hash: app.api_hash,
        key: Arc::new(
            checked_master_key(
                store,
                &config.master_key,
                config.previous_master_key.as_ref(),
            )
            .await?,
        ),
        store: store.clone(),
    };
    let transport = Arc::new(MtprotoTransport::new(mtproto.clone()));
    Ok(Seams {
        transport: transport.clone(),
        login: Arc::new(MtprotoLogin::new(mtproto)),
        groups: transport.clone(),
        sources: transport,
    })
}

/// SIGTERM and ctrl-c (SIGINT), caught from the moment [`StopSignals::install`] returns (so
/// it is installed first thing: a signal before that would end the process the default way).
pub struct StopSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl StopSignals {
    pub fn install() -> Result<StopSignals, RunError> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(StopSignals {
            term: signal(SignalKind::terminate()).map_err(RunError::Signals)?,
            int: signal(SignalKind::interrupt()).map_err(RunError::Signals)?,
        })
    }

    /// The next signal.
    pub async fn next(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }

    /// From now on a signal exits the process at once (status 130): the graceful stop has
    /// begun, and a second signal forces it.
    pub fn exit_on_next(mut self) {
        tokio::spawn(async move {
            self.next().await;
            eprintln!("second signal: exiting now");
            std::process::exit(130);
        });
    }
}

/// On PostgreSQL the engines share the customers through leases; on SQLite one engine holds
/// the database's file lock and takes every customer.
pub fn share_if_postgres(engine: &Engine, store: &Store, config: &RunConfig) {
    if store.backend() == crate::store::Backend::Postgres {
        let leases = crate::engine::LeaseConfig::for_this_process(config.lease_ttl);
        tracing::info!(holder = %leases.holder, ttl_s = leases.ttl.as_secs(), "sharing the database through leases");
        engine.share(leases);
    }
}

/// The metrics, and their port bound, when the configuration asks for them.
pub async fn metrics(
    config: &RunConfig,
) -> Result<Option<(Arc<Metrics>, tokio::net::TcpListener)>, RunError> {
    let Some(addr) = config.metrics_addr else {
        return Ok(None);
    };
    let listener = crate::metrics::bind(addr)
        .await
        .map_err(RunError::Metrics)?;
    Ok(Some((Arc::new(Metrics::new()), listener)))
}

/// Serves the metrics until `stop`.
pub fn spawn_metrics(
    served: Option<(Arc<Metrics>, tokio::net::TcpListener)>,
    engine: &Engine,
    store: &Store,
    stop: &tokio_util::sync::CancellationToken,
) {
    if let Some((metrics, listener)) = served {
        let (engine, store, stop) = (engine.clone(), store.clone(), stop.clone());
        tokio::spawn(crate::metrics::serve(
            listener, metrics, engine, store, stop,
        ));
    }
}

/// `autoposter run`: the control bot and the engine in one process, until SIGTERM or ctrl-c.
/// The bot's Bot API side is [`crate::bot::dispatch`]; this puts it together with the engine,
/// the broadcaster, the plan reminders and the notices the engine gives customers.
pub async fn run(config: RunConfig) -> Result<(), RunError> {
    use crate::bot::dispatch::{self, send_html, send_screen};
    use crate::bot::outbox::Limiter;
    use crate::bot::{Control, Notifier};
    use teloxide::types::ChatId;
    use tokio_util::sync::CancellationToken;

    let mut signals = StopSignals::install()?;
    let store = Store::connect(config.database_url.expose()).await?;
    let lock = store.lock_engine().await?;
    let Seams {
        transport,
        login,
        groups,
        sources,
    } = seams(&config, &store).await?;
    let (stops_tx, mut stops) = tokio::sync::mpsc::unbounded_channel();
    let served = metrics(&config).await?;
    let notifier: Arc<dyn crate::engine::Observer> = Arc::new(Notifier(stops_tx));
    let observer: Arc<dyn crate::engine::Observer> = match &served {
        Some((metrics, _)) => Arc::new(crate::metrics::Observers(vec![notifier, metrics.clone()])),
        None => notifier,
    };
    let (engine, tasks) = Engine::new(store.clone(), transport, Some(observer));
    share_if_postgres(&engine, &store, &config);
    let stop_metrics = CancellationToken::new();
    spawn_metrics(served, &engine, &store, &stop_metrics);
    engine.set_catalog(config.catalog);
    let token = config.bot_token.clone().ok_or(RunError::NoBotToken)?;
    let mut bot = teloxide::Bot::new(token.expose());
    if let Some(url) = &config.bot_api_url {
        bot = bot.set_api_url(url.parse().map_err(|_| RunError::BadApiUrl)?);
    }
    // teloxide's errors may quote the request URL, which holds the token: say only what failed.
    dispatch::register_commands(&bot, &config.admins)
        .await
        .map_err(|e| RunError::Telegram(redact(&e.to_string(), token.expose())))?;
    let resumed = engine.resume().await.map_err(|e| match e {
        crate::engine::EngineError::Store(e) => RunError::Store(e),
        other => RunError::Telegram(other.to_string()),
    })?;
    tracing::info!(resumed, "engine running; control bot listening");
    // Every message below (replies, notices, reminders, the broadcast) shares this budget.
    let limiter = Arc::new(Limiter::telegram());
    let broadcaster = crate::bot::broadcast::Broadcaster::new(
        store.clone(),
        Arc::new(dispatch::BotSink::new(bot.clone(), limiter.clone())),
    );
    let broadcasts_stop = CancellationToken::new();
    let broadcasts = {
        let (broadcaster, stop) = (broadcaster.clone(), broadcasts_stop.clone());
        tokio::spawn(async move { broadcaster.run(stop).await })
    };
    let control = Arc::new(
        Control::new(store.clone(), engine.clone(), Some(login), groups)
            .with_sources(sources)
            .with_admins(config.admins.clone())
            .with_broadcaster(broadcaster)
            .with_files(Arc::new(dispatch::BotFiles(bot.clone()))),
    );
    // Remind customers a day before their plan expires.
    let reminders_stop = CancellationToken::new();
    let reminders = {
        let (bot, control, stop) = (bot.clone(), control.clone(), reminders_stop.clone());
        let limiter = limiter.clone();
        tokio::spawn(async move {
            let send = move |user_id: i64, text: String| {
                let (bot, limiter) = (bot.clone(), limiter.clone());
                async move {
                    if let Err(e) = send_html(&bot, &limiter, user_id, text).await {
                        tracing::warn!(user_id, error = %e, "could not send a plan reminder");
                    }
                }
            };
            crate::bot::reminder::run(&control, send, &stop).await
        })
    };
    // Tell customers what the engine did on its own (stopped them, Telegram refused, …).
    let notifier = {
        let (bot, control, limiter) = (bot.clone(), control.clone(), limiter.clone());
        tokio::spawn(async move {
            while let Some((customer_id, event)) = stops.recv().await {
                let sent = match control.event_notice(customer_id, &event).await {
                    Ok(Some(screen)) => send_screen(&bot, &limiter, ChatId(customer_id), &screen)
                        .await
                        .map_err(|e| e.to_string()),
                    Ok(None) => Ok(()),
                    Err(e) => Err(e.to_string()),
                };
                if let Err(e) = sent {
                    tracing::warn!(customer_id, error = %e, "could not tell the customer");
                }
            }
        })
    };
    let mut dispatcher = dispatch::dispatcher(bot.clone(), control, limiter);
    // The first SIGTERM or ctrl-c stops taking updates, then everything below runs; a second
    // signal exits at once.
    let shutdown = dispatcher.shutdown_token();
    let (updates, stop_updates) = dispatch::updates(bot.clone()).await;
    // The task hands the lock back when done: it is held until everything below has stopped.
    let stopper = tokio::spawn(async move {
        signals.next().await;
        signals.exit_on_next();
        tracing::info!("stopping: no new posts; sends under way are finished");
        // Refused while the dispatcher is still starting: asked again until it takes it.
        loop {
            match shutdown.shutdown() {
                Ok(done) => {
                    // The updates end even if the dispatcher missed its shutdown (see
                    // dispatch::updates); the handlers under way finish either way.
                    stop_updates.stop();
                    done.await;
                    return lock;
                }
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        }
    });
    dispatch::poll(&mut dispatcher, updates).await;
    engine.shutdown().await;
    // The broadcast finishes its sends in flight; the rest stays pending for the next start.
    broadcasts_stop.cancel();
    let _ = broadcasts.await;
    stop_metrics.cancel();
    notifier.abort();
    reminders_stop.cancel();
    let _ = reminders.await;
    tasks.finish().await;
    store.close().await;
    // Released last: no other engine starts before this one has stopped.
    stopper.abort();
    drop(stopper.await);
    Ok(())
}

/// `text` with every occurrence of `secret` replaced.
pub fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_string();
    }
    text.replace(secret, "«hidden»")
}

/// `autoposter engine`: the engine without the bot. Resumes the customers marked running and
/// posts for them until SIGTERM or ctrl-c.
pub async fn engine(config: RunConfig) -> Result<(), RunError> {
    let mut signals = StopSignals::install()?;
    let store = Store::connect(config.database_url.expose()).await?;
    let lock = store.lock_engine().await?;
    let seams = seams(&config, &store).await?;
    let served = metrics(&config).await?;
    let observer = served
        .as_ref()
        .map(|(m, _)| m.clone() as Arc<dyn crate::engine::Observer>);
    let (engine, tasks) = Engine::new(store.clone(), seams.transport, observer);
    share_if_postgres(&engine, &store, &config);
    let stop_metrics = tokio_util::sync::CancellationToken::new();
    spawn_metrics(served, &engine, &store, &stop_metrics);
    engine.set_catalog(config.catalog);
    let resumed = engine.resume().await.map_err(|e| match e {
        crate::engine::EngineError::Store(e) => RunError::Store(e),
        other => RunError::Telegram(other.to_string()),
    })?;
    match engine.holder() {
        Some(holder) => eprintln!("engine running as {holder}: sharing customers through leases"),
        None => eprintln!("engine running: {resumed} customers resumed"),
    }
    signals.next().await;
    signals.exit_on_next();
    eprintln!("stopping: no new posts; sends under way are finished");
    engine.shutdown().await;
    stop_metrics.cancel();
    let stats = tasks.finish().await;
    store.close().await;
    eprintln!("stopped ({} post-log entries written)", stats.entries);
    drop(lock);
    Ok(())
}
