//! Typed configuration for `autoposter run`, from flags, the environment and `.env` (flags win,
//! then the environment, then `.env`). Secrets are wrapped in [`Secret`], whose `Debug` and
//! `Display` never show the value.

use std::fmt;

use crate::schedule::{PlanCatalog, PlanTerms, MAX_ACCOUNTS, MAX_GROUPS};

/// A value that must never reach a log, an error or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(«hidden»)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("«hidden»")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Secret, Self::Err> {
        Ok(Secret(s.to_string()))
    }
}

/// Loads `.env` from the working directory into the environment, without overriding what is
/// already set. A missing file is fine; a malformed one is reported (without its contents).
pub fn load_dotenv() -> Result<(), String> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(e) if e.not_found() => Ok(()),
        Err(dotenvy::Error::LineParse(_, index)) => {
            Err(format!(".env: cannot parse line at byte {index}"))
        }
        Err(_) => Err(".env could not be read".to_string()),
    }
}

/// Admin user ids from `AUTOPOSTER_ADMINS` / `--admins`: `123,456`.
pub fn parse_admins(s: &str) -> Result<Vec<i64>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<i64>()
                .map_err(|_| format!("not a Telegram user id: {p:?}"))
        })
        .collect()
}

/// Where a database URL can come from, most wins first: the `--database-url` flag, the file
/// named by `--database-url-file`, `DATABASE_URL` (environment or `.env`), the default.
#[derive(Clone, Debug, Default)]
pub struct DatabaseUrlSources {
    pub flag: Option<Secret>,
    pub file: Option<std::path::PathBuf>,
    pub env: Option<Secret>,
}

/// Why no database URL could be settled on. Never quotes the URL.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DatabaseUrlError {
    #[error(
        "--database-url carries a password, which would show in the process list: put the URL \
         in DATABASE_URL (environment or .env) or in a file named by --database-url-file"
    )]
    PasswordOnCommandLine,
    #[error("--database-url-file {path}: {cause}")]
    File { path: String, cause: String },
    #[error("--database-url-file {0} is empty")]
    EmptyFile(String),
}

/// The database URL from its [`DatabaseUrlSources`], or `default` when none gives one. A URL
/// with a password is refused as a flag: the command line is readable by every local user
/// (`ps`), the environment and a file are not.
pub fn database_url(
    sources: DatabaseUrlSources,
    default: &str,
) -> Result<Secret, DatabaseUrlError> {
    if let Some(flag) = sources.flag {
        if has_password(flag.expose()) {
            return Err(DatabaseUrlError::PasswordOnCommandLine);
        }
        return Ok(flag);
    }
    if let Some(path) = sources.file {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| DatabaseUrlError::File {
            path: shown.clone(),
            cause: e.to_string(),
        })?;
        let url = text.trim();
        if url.is_empty() {
            return Err(DatabaseUrlError::EmptyFile(shown));
        }
        return Ok(Secret::new(url));
    }
    match sources.env {
        Some(url) if !url.expose().trim().is_empty() => Ok(Secret::new(url.expose().trim())),
        _ => Ok(Secret::new(default)),
    }
}

/// Whether a `postgres://` URL carries a password (`user:PASSWORD@host`, or `password=` in its
/// query). SQLite URLs never do.
pub fn has_password(url: &str) -> bool {
    match url::Url::parse(url) {
        Ok(u) if u.scheme().starts_with("postgres") => {
            u.password().is_some_and(|p| !p.is_empty())
                || u.query_pairs().any(|(k, _)| k == "password")
        }
        // Not a URL the url crate reads: a password is anything between "//user:" and "@".
        _ => url.split_once("://").is_some_and(|(_, rest)| {
            rest.split(['/', '?'])
                .next()
                .and_then(|authority| authority.rsplit_once('@'))
                .is_some_and(|(userinfo, _)| userinfo.contains(':'))
        }),
    }
}

/// Libraries whose verbose levels print what passes through them: teloxide traces every
/// update (a two-step password typed into the chat included). They are held at `info` (or
/// quieter, when `RUST_LOG` is quieter) whatever `RUST_LOG` asks for them.
const CHATTY: [&str; 2] = ["teloxide", "teloxide_core"];

/// The log filter: `RUST_LOG`'s directives (`warn` when unset or malformed), with the
/// libraries in [`CHATTY`] capped at `info`. Libraries that log through the `log` crate
/// (teloxide) are bridged into the same subscriber.
pub fn log_filter(spec: Option<&str>) -> tracing_subscriber::EnvFilter {
    use tracing_subscriber::filter::LevelFilter;
    use tracing_subscriber::EnvFilter;
    let mut filter = spec
        .and_then(|s| EnvFilter::try_new(s).ok())
        .unwrap_or_else(|| EnvFilter::new("warn"));
    // Never more verbose than `info`, nor than what RUST_LOG allows anything.
    let hint = filter.max_level_hint().unwrap_or(LevelFilter::TRACE);
    let cap = hint.min(LevelFilter::INFO);
    for target in CHATTY {
        let directive = format!("{target}={cap}")
            .parse()
            .expect("a valid directive");
        filter = filter.add_directive(directive);
    }
    filter
}

/// The log set-up of the binary: [`log_filter`] over `RUST_LOG`, lines to `writer`, and
/// teloxide's lines that quote updates or the Bot API's raw answers withheld
/// ([`WithholdTeloxide`]). Install it with `SubscriberInitExt::init`, which also bridges the
/// `log` crate's records (teloxide's) into it.
pub fn log_subscriber<W>(
    spec: Option<&str>,
    writer: W,
) -> impl tracing::Subscriber + Send + Sync + 'static
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    use tracing_subscriber::layer::SubscriberExt;
    tracing_subscriber::fmt()
        .with_env_filter(log_filter(spec))
        .with_writer(writer)
        .finish()
        .with(WithholdTeloxide)
}

/// Drops teloxide's log lines that quote an update or a raw Bot API answer
/// ([`withheld_teloxide_record`]), whatever their level: a customer's two-step password or
/// session string could be in one. The bot logs those events itself, without their content
/// (`bot::update_log`).
pub struct WithholdTeloxide;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for WithholdTeloxide {
    fn event_enabled(
        &self,
        event: &tracing::Event<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        let target = event.metadata().target();
        // The `log` crate's records (teloxide's) come through the bridge with target "log"
        // and their own target in a field.
        if target != "log" && !target.starts_with("teloxide") {
            return true;
        }
        #[derive(Default)]
        struct Fields {
            target: Option<String>,
            message: String,
        }
        impl tracing::field::Visit for Fields {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                match field.name() {
                    "log.target" => self.target = Some(value.to_string()),
                    "message" => self.message = value.to_string(),
                    _ => {}
                }
            }
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
                match field.name() {
                    "log.target" => self.target = Some(format!("{value:?}")),
                    "message" => self.message = format!("{value:?}"),
                    _ => {}
                }
            }
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let target = fields.target.as_deref().unwrap_or(target);
        !withheld_teloxide_record(target, &fields.message)
    }
}

/// Whether a log record is one of teloxide's (0.17) that quote an update or the Bot API's raw
/// answer: "Cannot parse an update" (the whole update, at ERROR), "Unhandled update" (at WARN),
/// and errors that carry an unparsable answer (`InvalidJson`, at ERROR from its logging error
/// handler).
pub fn withheld_teloxide_record(target: &str, message: &str) -> bool {
    target.starts_with("teloxide")
        && (message.starts_with("Cannot parse an update")
            || message.starts_with("Unhandled update")
            || message.contains("InvalidJson")
            || message.contains("An error while parsing JSON"))
}

/// One plan's terms from `accounts=N,groups=N,price=STARS,days=N` (any subset, any order;
/// what is left out keeps `base`'s value), as in `AUTOPOSTER_STARTER` / `--starter`.
pub fn parse_terms(spec: &str, base: PlanTerms) -> Result<PlanTerms, String> {
    let mut terms = base;
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = part
            .split_once('=')
            .ok_or_else(|| format!("expected key=value, got {part:?}"))?;
        let (key, value) = (key.trim(), value.trim());
        let number = |min: u64, max: u64| -> Result<u64, String> {
            match value.parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(format!(
                    "{key} must be a whole number from {min} to {max}, got {value:?}"
                )),
            }
        };
        match key {
            "accounts" => terms.max_accounts = number(1, MAX_ACCOUNTS as u64)? as usize,
            "groups" => terms.max_groups = number(1, MAX_GROUPS as u64)? as usize,
            "price" => terms.price_stars = number(1, MAX_PRICE_STARS as u64)? as u32,
            "days" => terms.days = number(1, 3_650)? as u32,
            _ => {
                return Err(format!(
                    "unknown key {key:?} (accounts, groups, price, days)"
                ))
            }
        }
    }
    Ok(terms)
}

/// The highest price in Stars an invoice may ask here (Telegram's own ceiling for one
/// payment is lower for most bots; this only rejects typing mistakes).
pub const MAX_PRICE_STARS: u32 = 100_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_terms_override_only_what_they_name_and_refuse_nonsense() {
        let base = PlanCatalog::default().starter;
        let t = parse_terms("groups=50, price=99", base).unwrap();
        assert_eq!(
            (t.max_accounts, t.max_groups, t.price_stars, t.days),
            (base.max_accounts, 50, 99, base.days)
        );
        assert_eq!(parse_terms("", base), Ok(base));
        for bad in [
            "accounts=0",
            "accounts=1001",
            "groups=-1",
            "price=abc",
            "days=0",
            "colour=red",
            "accounts",
        ] {
            assert!(parse_terms(bad, base).is_err(), "{bad}");
        }
        assert_eq!(
            parse_terms("days=x", base).unwrap_err(),
            "days must be a whole number from 1 to 3650, got \"x\""
        );
    }

    /// Everything logged through `filter` while `f` runs.
    fn captured(filter: tracing_subscriber::EnvFilter, f: impl FnOnce()) -> String {
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(CaptureWriter)
            .finish();
        captured_with(subscriber, f)
    }

    /// Everything `subscriber` (writing to [`CaptureWriter`]) logged while `f` runs.
    fn captured_with(
        subscriber: impl tracing::Subscriber + Send + Sync + 'static,
        f: impl FnOnce(),
    ) -> String {
        CAPTURED.with(|c| c.borrow_mut().clear());
        tracing::subscriber::with_default(subscriber, f);
        CAPTURED.with(|c| String::from_utf8(c.borrow().clone()).unwrap())
    }

    thread_local! {
        static CAPTURED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }

    /// Writes into this thread's capture buffer.
    struct CaptureWriter;

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CaptureWriter {
        type Writer = Capture;
        fn make_writer(&'a self) -> Capture {
            Capture
        }
    }

    struct Capture;

    impl std::io::Write for Capture {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            CAPTURED.with(|c| c.borrow_mut().extend_from_slice(b));
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn teloxide_never_logs_below_info_whatever_rust_log_says() {
        for spec in [
            Some("trace"),
            Some("teloxide=trace,teloxide_core=trace"),
            None,
        ] {
            let out = captured(log_filter(spec), || {
                tracing::trace!(target: "teloxide::dispatching", "update: hunter2");
                tracing::debug!(target: "teloxide_core::requests", "request: hunter2");
                tracing::info!(target: "teloxide::dispatching", "shutting down");
                tracing::warn!(target: "teloxide::error_handlers", "handler failed");
                tracing::trace!(target: "autoposter::engine", "our own trace");
            });
            assert!(!out.contains("hunter2"), "{spec:?}: {out}");
            assert!(out.contains("handler failed"), "{spec:?}: {out}");
            // Our own verbosity still follows RUST_LOG.
            assert_eq!(
                out.contains("our own trace"),
                spec == Some("trace"),
                "{spec:?}"
            );
            assert_eq!(out.contains("shutting down"), spec.is_some(), "{spec:?}");
        }
    }

    #[test]
    fn teloxide_lines_that_quote_an_update_are_withheld_at_every_level() {
        // The messages teloxide 0.17 writes (dispatching/dispatcher.rs, error_handlers.rs).
        let unparsable = "Cannot parse an update.\nError: Object {\"update_id\": Number(7), \
                          \"message\": Object {\"text\": String(\"hunter2\")}}\n\
                          This is a bug in teloxide-core, please open an issue here: …";
        let unhandled = "Unhandled update: Update { id: UpdateId(7), kind: EditedMessage(\
                         Message { text: \"hunter2\" }) }";
        let raw = "could not get updates: InvalidJson { source: Error(\"expected value\"), \
                   raw: \"{\\\"text\\\": \\\"hunter2\\\"}\" }";
        for spec in [Some("trace"), None] {
            let out = captured_with(log_subscriber(spec, CaptureWriter), || {
                tracing::error!(target: "teloxide::dispatching::dispatcher", "{unparsable}");
                tracing::warn!(target: "teloxide::dispatching::dispatcher", "{unhandled}");
                tracing::error!(target: "teloxide::error_handlers", "{raw}");
                tracing::error!(target: "teloxide::error_handlers", "An error from the update \
                    listener: Network(timed out)");
                tracing::error!(target: "autoposter::bot", "Cannot parse an update 7: ours");
            });
            assert!(!out.contains("hunter2"), "{spec:?}: {out}");
            assert!(out.contains("Network(timed out)"), "{spec:?}: {out}");
            assert!(out.contains("ours"), "{spec:?}: {out}");
        }
        assert!(withheld_teloxide_record(
            "teloxide::dispatching::dispatcher",
            unparsable
        ));
        assert!(withheld_teloxide_record(
            "teloxide::dispatching::dispatcher",
            unhandled
        ));
        assert!(!withheld_teloxide_record(
            "teloxide::dispatching",
            "dispatcher is shutdown..."
        ));
        assert!(!withheld_teloxide_record("autoposter", unparsable));
    }

    #[test]
    fn a_database_password_is_refused_on_the_command_line_and_read_from_a_file_or_the_environment()
    {
        let sources = |flag: Option<&str>, file: Option<std::path::PathBuf>, env: Option<&str>| {
            DatabaseUrlSources {
                flag: flag.map(Secret::new),
                file,
                env: env.map(Secret::new),
            }
        };
        let refused = database_url(sources(Some("postgres://app:pw@db/x"), None, None), "d");
        assert_eq!(refused, Err(DatabaseUrlError::PasswordOnCommandLine));
        let said = refused.unwrap_err().to_string();
        assert!(
            said.contains("DATABASE_URL") && said.contains("--database-url-file"),
            "{said}"
        );
        for with_password in [
            "postgres://app:pw@db/x",
            "postgresql://app:p%40ss@db:5432/x?sslmode=disable",
            "postgres://app@db/x?password=pw",
            "postgres://app:pw@[::1]/x",
        ] {
            assert!(has_password(with_password), "{with_password}");
        }
        // Passwordless URLs and SQLite paths stay fine as flags.
        for fine in [
            "postgres://postgres@127.0.0.1:5432/test",
            "postgres://app@db/x?sslmode=require",
            "sqlite:autoposter.db",
            "sqlite:/var/lib/a:b.db",
            "sqlite::memory:",
        ] {
            assert!(!has_password(fine), "{fine}");
            let url = database_url(sources(Some(fine), None, Some("postgres://e:pw@h/x")), "d");
            assert_eq!(url.unwrap().expose(), fine);
        }
        // The environment, then the default.
        let env = database_url(sources(None, None, Some("postgres://e:pw@h/x")), "d");
        assert_eq!(env.unwrap().expose(), "postgres://e:pw@h/x");
        assert_eq!(
            database_url(sources(None, None, None), "d")
                .unwrap()
                .expose(),
            "d"
        );
        // A file, its line's whitespace trimmed; an unreadable or empty one refused, by path.
        let dir = std::env::temp_dir().join(format!("autoposter-dburl-{}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("url");
        std::fs::write(&file, "postgres://app:pw@db/x\n").unwrap();
        let from_file = database_url(sources(None, Some(file.clone()), Some("sqlite:e")), "d");
        assert_eq!(from_file.unwrap().expose(), "postgres://app:pw@db/x");
        std::fs::write(&file, " \n").unwrap();
        let empty = database_url(sources(None, Some(file.clone()), None), "d");
        assert!(matches!(empty, Err(DatabaseUrlError::EmptyFile(_))));
        let missing = database_url(sources(None, Some(dir.join("nope")), None), "d");
        assert!(missing.unwrap_err().to_string().contains("nope"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn secrets_never_show_in_debug_or_display() {
        let token = Secret::new("123456:ABC-secret-token");
        assert!(!format!("{token:?}").contains("ABC"));
        assert!(!format!("{token}").contains("ABC"));
        assert_eq!(token.expose(), "123456:ABC-secret-token");
    }

    #[test]
    fn admins_are_a_comma_list_of_ids() {
        assert_eq!(parse_admins("1, 2,,3"), Ok(vec![1, 2, 3]));
        assert_eq!(parse_admins(""), Ok(vec![]));
        assert!(parse_admins("1,bob").is_err());
    }
}

/// What `autoposter run` needs.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// `sqlite:PATH` or `postgres://…` (may carry a password, so it is a secret).
    pub database_url: Secret,
    /// The control bot's token from @BotFather (`None` for `autoposter engine`).
    pub bot_token: Option<Secret>,
    /// Another Bot API server (a local one, or a fake in tests); Telegram's by default.
    pub bot_api_url: Option<String>,
    /// Accounts and groups are simulated (Telegram's test numbers log in, posts are not sent).
    pub simulated_accounts: bool,
    /// How long a simulated post takes.
    pub sim_latency: std::time::Duration,
    /// Simulated accounts remember their posts in this file across restarts (crash tests).
    pub sim_ledger: Option<std::path::PathBuf>,
    /// Real accounts: the app's credentials from my.telegram.org (`None` with simulated
    /// accounts).
    pub telegram_app: Option<TelegramApp>,
    /// Where the master key that seals account sessions comes from.
    pub master_key: KeySource,
    /// During a rotation, the key sessions were sealed with before: they open with it and are
    /// re-sealed under `master_key`.
    pub previous_master_key: Option<KeySource>,
    /// Telegram user ids of the admins.
    pub admins: Vec<i64>,
    /// The plans' limits and prices.
    pub catalog: PlanCatalog,
    /// Where `/metrics` and `/healthz` are served (none by default).
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// On PostgreSQL: how long a customer's lease holds without renewal.
    pub lease_ttl: std::time::Duration,
}

/// The Telegram application real accounts log in through.
#[derive(Clone, Debug)]
pub struct TelegramApp {
    pub api_id: i32,
    pub api_hash: Secret,
}

/// The master key: given in the environment, or kept in a file created on first run (the
/// previous key's file is never created).
#[derive(Clone, Debug)]
pub enum KeySource {
    /// `AUTOPOSTER_MASTER_KEY` (base64 of 32 bytes).
    Given { key: Secret, version: i64 },
    /// A key file (0600), created with a fresh key when missing.
    File {
        path: std::path::PathBuf,
        version: i64,
    },
}
