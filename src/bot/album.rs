//! Albums as Telegram delivers them to a bot: one message per item, sharing a
//! `media_group_id`, possibly out of order and interleaved with other chats' messages. The
//! collector keeps each customer's album apart (keyed by customer and group id), orders the
//! parts by message id, and hands the album over once no new part came for a quiet period
//! ([`QUIET`]), so the bot answers an album once. Time is tokio's (tests run it on the paused
//! clock). An album still being collected when the process stops is lost: the customer sends
//! it again.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How long after an album's newest part the album counts as complete. Telegram's app sends
/// an album's messages back to back; a second is far more than the gap between them.
pub const QUIET: Duration = Duration::from_millis(1_500);

/// Albums being collected, of every customer.
pub struct Albums<P> {
    quiet: Duration,
    pending: Mutex<HashMap<(i64, String), Pending<P>>>,
}

struct Pending<P> {
    /// By message id: the order the customer gave them.
    parts: BTreeMap<i32, P>,
    /// When the newest part came.
    last: Instant,
}

impl<P> Albums<P> {
    /// A collector that completes an album `quiet` after its newest part.
    pub fn new(quiet: Duration) -> Albums<P> {
        Albums {
            quiet,
            pending: Mutex::new(HashMap::new()),
        }
    }

    /// Adds a part of `customer`'s album `group`. `true` when it starts the album: the caller
    /// then awaits [`Albums::complete`] for it (once; later parts only join).
    pub fn add(&self, customer: i64, group: &str, message_id: i32, part: P) -> bool {
        let mut pending = self.pending.lock().expect("albums lock");
        let now = Instant::now();
        match pending.get_mut(&(customer, group.to_string())) {
            Some(album) => {
                album.parts.insert(message_id, part);
                album.last = now;
                false
            }
            None => {
                let parts = BTreeMap::from([(message_id, part)]);
                pending.insert(
                    (customer, group.to_string()),
                    Pending { parts, last: now },
                );
                true
            }
        }
    }

    /// Waits until `customer`'s album `group` had no new part for the quiet period, then takes
    /// it: its parts ordered by message id (none when it is not being collected). A part that
    /// comes after this starts a new album.
    pub async fn complete(&self, customer: i64, group: &str) -> Vec<P> {
        let key = (customer, group.to_string());
        loop {
            let due = {
                let mut pending = self.pending.lock().expect("albums lock");
                let Some(album) = pending.get(&key) else {
                    return Vec::new();
                };
                let due = album.last + self.quiet;
                if Instant::now() >= due {
                    let album = pending.remove(&key).expect("present");
                    return album.parts.into_values().collect();
                }
                due
            };
            tokio::time::sleep_until(due).await;
        }
    }

    /// How many albums are being collected.
    pub fn open(&self) -> usize {
        self.pending.lock().expect("albums lock").len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn parts_out_of_order_come_out_in_message_order_after_the_quiet_period() {
        let albums = Arc::new(Albums::new(QUIET));
        assert!(albums.add(1, "g", 12, "c"));
        let waiter = {
            let albums = albums.clone();
            tokio::spawn(async move { albums.complete(1, "g").await })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!albums.add(1, "g", 10, "a"));
        tokio::time::sleep(Duration::from_millis(1_400)).await;
        // 1.4 s after the newest part: still open.
        assert!(!waiter.is_finished());
        assert!(!albums.add(1, "g", 11, "b"));
        let started = Instant::now();
        assert_eq!(waiter.await.unwrap(), vec!["a", "b", "c"]);
        assert_eq!(started.elapsed(), QUIET, "complete exactly QUIET after the last part");
        assert_eq!(albums.open(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn customers_and_groups_are_kept_apart_and_a_later_part_starts_a_new_album() {
        let albums = Arc::new(Albums::new(QUIET));
        assert!(albums.add(1, "g", 1, 1));
        assert!(albums.add(2, "g", 1, 21), "another customer's album with the same id");
        assert!(albums.add(1, "h", 5, 5), "the same customer's second album");
        assert!(!albums.add(2, "g", 2, 22));
        assert!(!albums.add(1, "g", 2, 2));
        let (a, b, c) = tokio::join!(
            albums.complete(1, "g"),
            albums.complete(2, "g"),
            albums.complete(1, "h")
        );
        assert_eq!((a, b, c), (vec![1, 2], vec![21, 22], vec![5]));
        assert!(albums.add(1, "g", 3, 3), "after completion: a new album");
        assert_eq!(albums.complete(1, "g").await, vec![3]);
        assert_eq!(albums.complete(9, "none").await, Vec::<i32>::new());
    }
}
