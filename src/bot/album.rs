//! Albums as Telegram delivers them to a bot: one message per item, sharing a
//! `media_group_id`, possibly out of order and interleaved with other chats' messages. The
//! collector keeps each customer's albums apart from everyone else's and from each other
//! (keyed by customer, then group id), orders each album's parts by message id, and hands a
//! customer's albums over once no new part of theirs came for a quiet period ([`QUIET`]): all
//! of them, in the order they were sent (by their first message id), so that two albums sent
//! back to back are two albums, answered in order. Time is tokio's (tests run it on the
//! paused clock). An album still being collected when the process stops is lost: the customer
//! sends it again.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// How long after a customer's newest album part their albums count as complete. Telegram's
/// app sends an album's messages back to back; a second and a half is far more than the gap
/// between them.
pub const QUIET: Duration = Duration::from_millis(1_500);

/// Albums being collected, of every customer.
pub struct Albums<P> {
    quiet: Duration,
    pending: Mutex<HashMap<i64, Batch<P>>>,
    /// One turn at a time per customer for handling completed albums (see [`Albums::turn`]).
    turns: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
}

/// One customer's albums in collection.
struct Batch<P> {
    /// Group id → parts by message id.
    albums: HashMap<String, BTreeMap<i32, P>>,
    /// When the newest part came.
    last: Instant,
}

impl<P> Albums<P> {
    /// A collector that completes a customer's albums `quiet` after their newest part.
    pub fn new(quiet: Duration) -> Albums<P> {
        Albums {
            quiet,
            pending: Mutex::new(HashMap::new()),
            turns: Mutex::new(HashMap::new()),
        }
    }

    /// Adds a part of `customer`'s album `group`. `true` when nothing of the customer's was
    /// being collected: the caller then awaits [`Albums::complete`] for them (once; later
    /// parts, of this album or another, only join).
    pub fn add(&self, customer: i64, group: &str, message_id: i32, part: P) -> bool {
        let mut pending = self.pending.lock().expect("albums lock");
        let now = Instant::now();
        let (batch, first) = match pending.get_mut(&customer) {
            Some(batch) => (batch, false),
            None => {
                let batch = Batch {
                    albums: HashMap::new(),
                    last: now,
                };
                (pending.entry(customer).or_insert(batch), true)
            }
        };
        batch.last = now;
        (batch.albums.entry(group.to_string()).or_default()).insert(message_id, part);
        first
    }

    /// Waits until no part of `customer`'s came for the quiet period, then takes their albums:
    /// in the order sent (by first message id), each album's parts by message id (none when
    /// nothing is being collected). A part that comes after this starts a new collection.
    pub async fn complete(&self, customer: i64) -> Vec<Vec<P>> {
        loop {
            let due = {
                let mut pending = self.pending.lock().expect("albums lock");
                let Some(batch) = pending.get(&customer) else {
                    return Vec::new();
                };
                let due = batch.last + self.quiet;
                if Instant::now() >= due {
                    let batch = pending.remove(&customer).expect("present");
                    let mut albums: Vec<BTreeMap<i32, P>> = batch.albums.into_values().collect();
                    albums.sort_by_key(|parts| parts.keys().next().copied());
                    return albums
                        .into_iter()
                        .map(|parts| parts.into_values().collect())
                        .collect();
                }
                due
            };
            tokio::time::sleep_until(due).await;
        }
    }

    /// The customer's turn to handle completed albums: one collection at a time per customer,
    /// never two side by side.
    pub async fn turn(&self, customer: i64) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut turns = self.turns.lock().expect("albums lock");
            // Locks nobody holds or waits for are dropped as others are taken.
            turns.retain(|_, l| Arc::strong_count(l) > 1);
            turns.entry(customer).or_default().clone()
        };
        lock.lock_owned().await
    }

    /// How many customers have albums being collected.
    pub fn open(&self) -> usize {
        self.pending.lock().expect("albums lock").len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn parts_out_of_order_come_out_in_message_order_after_the_quiet_period() {
        let albums = Arc::new(Albums::new(QUIET));
        assert!(albums.add(1, "g", 12, "c"));
        let waiter = {
            let albums = albums.clone();
            tokio::spawn(async move { albums.complete(1).await })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!albums.add(1, "g", 10, "a"));
        tokio::time::sleep(Duration::from_millis(1_400)).await;
        // 1.4 s after the newest part: still open.
        assert!(!waiter.is_finished());
        assert!(!albums.add(1, "g", 11, "b"));
        let started = Instant::now();
        assert_eq!(waiter.await.unwrap(), vec![vec!["a", "b", "c"]]);
        assert_eq!(
            started.elapsed(),
            QUIET,
            "complete QUIET after the last part"
        );
        assert_eq!(albums.open(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn two_albums_back_to_back_come_out_as_two_in_the_order_sent() {
        let albums = Albums::new(QUIET);
        // The second album's items arrive first, interleaved with the first's.
        assert!(albums.add(1, "second", 21, "b1"));
        assert!(!albums.add(1, "first", 11, "a1"));
        assert!(!albums.add(1, "second", 20, "b0"));
        assert!(!albums.add(1, "first", 10, "a0"));
        assert_eq!(
            albums.complete(1).await,
            vec![vec!["a0", "a1"], vec!["b0", "b1"]]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn customers_are_kept_apart_and_a_later_part_starts_a_new_collection() {
        let albums = Albums::new(QUIET);
        assert!(albums.add(1, "g", 1, 1));
        assert!(
            albums.add(2, "g", 1, 21),
            "another customer's album with the same id"
        );
        assert!(!albums.add(2, "g", 2, 22));
        assert!(!albums.add(1, "g", 2, 2));
        let (a, b) = tokio::join!(albums.complete(1), albums.complete(2));
        assert_eq!((a, b), (vec![vec![1, 2]], vec![vec![21, 22]]));
        assert!(
            albums.add(1, "g", 3, 3),
            "after completion: a new collection"
        );
        assert_eq!(albums.complete(1).await, vec![vec![3]]);
        assert_eq!(albums.complete(9).await, Vec::<Vec<i32>>::new());
    }

    #[tokio::test(start_paused = true)]
    async fn one_customer_handles_one_collection_at_a_time() {
        let albums = Arc::new(Albums::<()>::new(QUIET));
        let held = albums.turn(1).await;
        let other = albums.turn(2).await;
        let waiting = {
            let albums = albums.clone();
            tokio::spawn(async move { drop(albums.turn(1).await) })
        };
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(!waiting.is_finished(), "customer 1's second turn waits");
        drop(held);
        waiting.await.unwrap();
        drop(other);
    }
}
