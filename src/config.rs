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
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let out = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(move || out.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let bytes = buf.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
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
