//! Time, for every layer: the wall-clock read and the hooks that keep tokio's paused clock
//! honest while a database call runs. A leaf module: the engine, the store and the bot use it,
//! and it uses none of them.

use std::sync::atomic::{AtomicBool, Ordering};

static VIRTUAL: AtomicBool = AtomicBool::new(false);

/// Milliseconds since the Unix epoch, from the system clock. Used for row timestamps that no
/// schedule depends on (created_at, granted_at); the engine passes its own times.
pub fn unix_ms_now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Declares that this process runs engines on tokio's paused clock (tests, `demo
/// --virtual-clock`), so that database calls hold the clock still (see [`hold`]).
pub fn use_virtual_time() {
    VIRTUAL.store(true, Ordering::Relaxed);
}

/// Keeps tokio's paused clock from jumping ahead while a database call is in flight.
///
/// Under a paused clock tokio advances time whenever the runtime is idle, and waiting for the
/// database looks idle: a pending sleep elsewhere, or sqlx's own acquire timeout, would fire
/// early. A running `spawn_blocking` task inhibits that auto-advance on a current-thread
/// runtime (the only kind that can pause), so for the duration of each call we park one on a
/// channel; dropping the guard releases it. Without [`use_virtual_time`] this does nothing.
pub fn hold() -> ClockHold {
    use tokio::runtime::{Handle, RuntimeFlavor};
    if !VIRTUAL.load(Ordering::Relaxed) {
        return ClockHold(None);
    }
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::CurrentThread => {
            let (tx, rx) = std::sync::mpsc::channel::<()>();
            h.spawn_blocking(move || {
                let _ = rx.recv();
            });
            ClockHold(Some(tx))
        }
        _ => ClockHold(None),
    }
}

/// Holds the paused clock still until dropped.
pub struct ClockHold(#[allow(dead_code)] Option<std::sync::mpsc::Sender<()>>);
