//! Benchmarks and test harnesses that ship in the binary but that no product path uses:
//! `autoposter bench fleet` ([`fleet`]), `autoposter bench soak` ([`soak`]),
//! `autoposter bench broadcast` ([`broadcast`]) and the local Bot API ([`fake_api`]) that the
//! broadcast benchmark and the whole-process tests drive a real `autoposter run` against.
//! Product modules never import from here.

pub mod broadcast;
pub mod fake_api;
pub mod fleet;
pub mod soak;
