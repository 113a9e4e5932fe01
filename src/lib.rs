//! autoposter: posts a customer's announcement into the Telegram groups they belong to, from
//! their own accounts, on the exact schedule of the STARTER/ENTERPRISE timing model.
//!
//! Crate map (each module's own `//!` says more):
//! - [`schedule`] — PURE: plans and modes, the 3 s floor, validated settings, per-cycle
//!   offsets, STARTER feasibility, start checks, what an outcome means for a session.
//! - [`engine`] — the only code that sleeps or reads the clock: the scheduler (one loop per
//!   running customer, triggers cycles), the worker (owns all timing inside a cycle), the
//!   lease keeper (engines sharing PostgreSQL).
//! - [`telegram`] — the seam to Telegram: a small trait, typed outcomes, the simulated
//!   transport and the grammers implementation for real accounts.
//! - [`store`] — all SQL (SQLite or PostgreSQL through sqlx Any): connection and
//!   migrations, customer writes, the cycle snapshot, running flags and resume, the post log
//!   (its rows, its INSERT and the batched writer), leases, payments, broadcasts.
//! - [`time`] — a leaf that every layer uses: the wall-clock read and the paused-clock hold
//!   that the store puts around every database call.
//! - [`bot`] — the control bot: the conversation (screens, questions, refusals) independent
//!   of teloxide, admin commands, broadcasts, payments, reminders, and the thin teloxide layer
//!   that runs it.
//! - [`serve`] — `autoposter run` and `autoposter engine` as processes: the SQLite engine
//!   lock or PostgreSQL leases, the seams the configuration asks for, graceful stop on
//!   SIGTERM / ctrl-c.
//! - [`i18n`] — the locale files (English, Russian) and lookups.
//! - [`config`] — configuration for `autoposter run`; secrets hidden from `Debug`.
//! - [`metrics`] — Prometheus metrics and `/healthz` on an optional port.
//! - [`vault`] — account secrets sealed with XChaCha20-Poly1305 under the master key.
//! - [`demo`] — `autoposter demo`: the engine on simulated accounts, printed as it runs.
//! - [`bench`] — what no product path uses: the fleet, soak and broadcast benchmarks
//!   (`autoposter bench …`) and the local Bot API the whole-process tests drive.
//! - [`cli`] — the command line: flags, runtimes and exit codes.

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
