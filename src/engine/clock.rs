//! The engine's one clock. Cycle timing uses tokio's monotonic `Instant` (so tests can pause
//! and advance it); rows in the store need wall-clock unix milliseconds. A `Clock` pins one
//! monotonic instant to one wall-clock reading at engine start and converts between the two,
//! so every timestamp an engine writes is consistent with its schedule, whatever the system
//! clock does meanwhile.

use std::time::Duration;

use tokio::time::Instant;

pub use crate::time::{hold, use_virtual_time, ClockHold};

/// A monotonic origin and the wall-clock time it corresponds to.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    origin: Instant,
    origin_wall_ms: i64,
}

impl Clock {
    /// Pins "now" on both clocks.
    pub fn start() -> Clock {
        Clock::pinned(Instant::now(), crate::time::unix_ms_now())
    }

    /// A clock whose `origin` corresponds to `origin_wall_ms` (tests).
    pub fn pinned(origin: Instant, origin_wall_ms: i64) -> Clock {
        Clock {
            origin,
            origin_wall_ms,
        }
    }

    /// Unix milliseconds of a monotonic instant (earlier instants count back from the origin).
    pub fn wall_ms(&self, at: Instant) -> i64 {
        match at.checked_duration_since(self.origin) {
            Some(after) => self.origin_wall_ms.saturating_add(millis(after)),
            None => self
                .origin_wall_ms
                .saturating_sub(millis(self.origin.duration_since(at))),
        }
    }
}

impl Clock {
    /// The monotonic instant of a unix-milliseconds time (the inverse of [`Clock::wall_ms`]);
    /// times before the origin map to the origin or earlier, as far as the platform allows.
    pub fn instant_at(&self, wall_ms: i64) -> Instant {
        let delta = wall_ms.saturating_sub(self.origin_wall_ms);
        let d = Duration::from_millis(delta.unsigned_abs());
        if delta >= 0 {
            self.origin + d
        } else {
            self.origin.checked_sub(d).unwrap_or(self.origin)
        }
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn instants_map_to_wall_milliseconds_both_ways() {
        let origin = Instant::now();
        let clock = Clock::pinned(origin, 1_700_000_000_000);
        assert_eq!(clock.wall_ms(origin), 1_700_000_000_000);
        assert_eq!(
            clock.wall_ms(origin + Duration::from_millis(1_500)),
            1_700_000_001_500
        );
        tokio::time::advance(Duration::from_secs(10)).await;
        let later = Clock::pinned(Instant::now(), 0);
        assert_eq!(later.wall_ms(origin), -10_000);
        assert_eq!(
            clock.instant_at(1_700_000_001_500),
            origin + Duration::from_millis(1_500)
        );
        assert_eq!(later.instant_at(later.wall_ms(origin)), origin);
    }
}
