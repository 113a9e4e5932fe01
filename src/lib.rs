//! autoposter: posts a customer's announcement into the Telegram groups they belong to, from
//! their own accounts, on the exact schedule of the STARTER/ENTERPRISE timing model.
//!
//! Crate map, by folder as the README's architecture map (a folder's module root is the file
//! of the same name beside it; each module's own `//!` says more):
//!
//! `src/`, what every layer shares and the entry points:
//! - [`cli`] — the command line: flags, runtimes and exit codes.
//! - [`serve`] — `autoposter run` (the bot's teloxide layer put together with the engine, the
//!   broadcaster, reminders and notices) and `autoposter engine` as processes: the SQLite
//!   engine lock or PostgreSQL leases, the seams the configuration asks for, graceful stop on
//!   SIGTERM / ctrl-c; `autoposter rekey`'s re-sealing.
//! - [`config`] — configuration for `autoposter run`; secrets hidden from `Debug`.
//! - [`time`] — a leaf that every layer uses: the wall-clock read and the paused-clock hold
//!   that the store puts around every database call.
//! - [`i18n`] — the locale files (English, Russian) and lookups.
//! - [`vault`] — account secrets sealed with XChaCha20-Poly1305 under the master key.
//! - [`metrics`] — Prometheus metrics and `/healthz` on an optional port.
//! - [`demo`] — `autoposter demo`: the engine on simulated accounts, printed as it runs.
//!
//! The folders:
//! - `src/schedule/` [`schedule`] — PURE: plans and modes, the 3 s floor, validated settings,
//!   per-cycle offsets, STARTER feasibility, start checks, what an outcome means for a
//!   session; `cycle`: one cycle as a state machine; `content`: what a post is; `choice`:
//!   what a group takes of a media post (its rights, the customer's choice).
//! - `src/engine/` [`engine`] — the only code that sleeps or reads the clock: the scheduler
//!   (one loop per running customer, triggers cycles), `worker` (carries a cycle's steps
//!   out) with `setup`, `send`, `record` and `report`, `clock`, `lease` (the keeper of
//!   engines sharing PostgreSQL).
//! - `src/telegram/` [`telegram`] — the seam to Telegram: a small trait, typed outcomes,
//!   `sim` (the simulated transport), `login`, `groups`, `source`, `mtproto`, `import`, and
//!   `live` (the grammers implementation for real accounts, with `live/logins` and
//!   `live/source`).
//! - `src/store/` [`store`] — all SQL (SQLite or PostgreSQL through sqlx Any): connection and
//!   migrations, `pool`, `snapshot` (what a cycle reads), `running` (flags and resume),
//!   `postlog` (its rows, its INSERT and the batched writer), `customer`, `admin`,
//!   `broadcast`, `media`, `lock`, `lease`.
//! - `src/bot/` [`bot`] — the control bot: the conversation independent of teloxide, one
//!   module per screen (`screen` and its table, `screen/*`), `login`, `forward`, `album` (albums
//!   collected from their messages), admin
//!   commands, broadcasts, payments, reminders, the outbound
//!   limiter, and the thin teloxide layer (`dispatch`).
//! - `src/bench/` [`bench`](mod@bench) — what no product path uses: the fleet, soak and broadcast
//!   benchmarks (`autoposter bench …`) and the local Bot API the whole-process tests drive.

pub mod bench;
pub mod bot;
pub mod cli;
pub mod config;
pub mod demo;
pub mod engine;
pub mod i18n;
pub mod metrics;
pub mod schedule;
pub mod serve;
pub mod store;
pub mod telegram;
pub mod time;
pub mod vault;
