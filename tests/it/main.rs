//! Integration tests, one binary: the engine on tokio's paused clock, the store against
//! SQLite and PostgreSQL, and the command line.

mod admin;
mod bot;
mod bot_api;
mod bot_topics;
mod broadcast;
mod crash;
mod customers;
mod dc;
mod demo_cli;
mod engine;
mod engine_cli;
mod helpers;
mod lease_cli;
mod leases;
mod live_dc;
mod live_media;
mod metrics;
mod schema;
mod secrets_cli;
mod store;
mod vault;
