//! The logins in progress in this process, without the network: which customer holds which
//! login, how many there may be, how often login codes may be asked for, and which logins
//! were left waiting too long. [`super::MtprotoLogin`] keeps its connections here; every
//! decision takes `now`, so it is tested without a clock, and the sweep on tokio's paused
//! clock.
//!
//! One login per customer (the bot's rule): a customer's new login replaces their previous
//! one, which is handed back to be closed. Logins are found by (customer, phone or label), so
//! a customer who types someone else's number never makes the number's owner wait; the code
//! limit per number still holds across customers.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Weak;
use std::time::Duration;

use governor::clock::{Clock as _, FakeRelativeClock};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::telegram::login::LoginError;

/// Logins in progress at once in this process, all customers together.
pub const MAX_LOGINS: usize = 50;
/// A login not advanced for this long is cancelled and its connection closed.
pub const IDLE: Duration = Duration::from_secs(10 * 60);
/// Login codes per phone number per hour, whoever asks (a burst of 3, then one every 20 min).
pub const CODES_PER_NUMBER_PER_HOUR: u32 = 3;
/// Login codes a customer may ask for per hour (a burst of 5, then one every 12 min).
pub const CODES_PER_CUSTOMER_PER_HOUR: u32 = 5;

/// The limiter's time is the ledger's `now`, moved forward by each decision.
type Limiter<K> = RateLimiter<K, HashMapStateStore<K>, FakeRelativeClock, NoOpMiddleware<Nanos>>;

fn per_hour(n: u32) -> Quota {
    Quota::per_hour(NonZeroU32::new(n).expect("a positive limit"))
}

/// A place taken for a login whose request is under way; [`Logins::fill`] puts the login in
/// it, unless it was cancelled, replaced or swept meanwhile.
#[derive(Debug)]
pub struct Ticket {
    customer: i64,
    id: u64,
}

struct Entry<T> {
    /// The phone (digits) while the login runs; the label once Telegram has authorised it.
    key: String,
    ticket: u64,
    /// `None` while the request that makes the login is under way.
    login: Option<T>,
    /// When the login was made or last advanced.
    touched: Instant,
}

/// The logins in progress, one per customer.
pub struct Logins<T> {
    entries: HashMap<i64, Entry<T>>,
    next_ticket: u64,
    origin: Instant,
    clock: FakeRelativeClock,
    per_number: Limiter<String>,
    per_customer: Limiter<i64>,
}

impl<T> Logins<T> {
    /// An empty ledger; `now` anchors the limiters' time.
    pub fn new(now: Instant) -> Logins<T> {
        let clock = FakeRelativeClock::default();
        Logins {
            entries: HashMap::new(),
            next_ticket: 0,
            origin: now,
            per_number: RateLimiter::new(
                per_hour(CODES_PER_NUMBER_PER_HOUR),
                HashMapStateStore::default(),
                clock.clone(),
            ),
            per_customer: RateLimiter::new(
                per_hour(CODES_PER_CUSTOMER_PER_HOUR),
                HashMapStateStore::default(),
                clock.clone(),
            ),
            clock,
        }
    }

    /// Takes the customer's place for a new login: a login code for `phone` (`code`), or a
    /// session import (no code). Refused when the process holds [`MAX_LOGINS`] for other
    /// customers, or when codes were asked for too often (per customer first, then per
    /// number; a refusal for the number still counts for the customer). The customer's
    /// previous login, if any, is handed back to be closed.
    pub fn begin(
        &mut self,
        customer: i64,
        phone: &str,
        code: bool,
        now: Instant,
    ) -> Result<(Ticket, Option<T>), LoginError> {
        let others = self.entries.len() - usize::from(self.entries.contains_key(&customer));
        if others >= MAX_LOGINS {
            return Err(LoginError::TooManyLogins);
        }
        if code {
            self.sync(now);
            let refused = |e: governor::NotUntil<_>| LoginError::TooManyCodes {
                wait_secs: e.wait_time_from(self.clock.now()).as_secs_f64().ceil() as u64,
            };
            self.per_customer.check_key(&customer).map_err(refused)?;
            self.per_number
                .check_key(&phone.to_string())
                .map_err(refused)?;
        }
        self.next_ticket += 1;
        let entry = Entry {
            key: phone.to_string(),
            ticket: self.next_ticket,
            login: None,
            touched: now,
        };
        let replaced = self.entries.insert(customer, entry).and_then(|e| e.login);
        Ok((
            Ticket {
                customer,
                id: self.next_ticket,
            },
            replaced,
        ))
    }

    /// Puts the login made for `ticket` in its place, under `key` (the phone, or the label
    /// of an imported session). Handed back when the place is gone (the customer cancelled
    /// or began another login, or the sweep came first): the caller closes it.
    pub fn fill(&mut self, ticket: Ticket, key: &str, login: T, now: Instant) -> Result<(), T> {
        match self.entries.get_mut(&ticket.customer) {
            Some(entry) if entry.ticket == ticket.id => {
                entry.key = key.to_string();
                entry.login = Some(login);
                entry.touched = now;
                Ok(())
            }
            _ => Err(login),
        }
    }

    /// Gives the place back: the request that was to make the login failed.
    pub fn abandon(&mut self, ticket: Ticket) {
        if self
            .entries
            .get(&ticket.customer)
            .is_some_and(|e| e.ticket == ticket.id)
        {
            self.entries.remove(&ticket.customer);
        }
    }

    /// The customer's login under `key`, marked as advanced now.
    pub fn advance(&mut self, customer: i64, key: &str, now: Instant) -> Option<&mut T> {
        let entry = self.entries.get_mut(&customer).filter(|e| e.key == key)?;
        entry.touched = now;
        entry.login.as_mut()
    }

    /// The customer's login under `key`, now known as `new_key` (the phone becomes the label
    /// once Telegram has authorised the session).
    pub fn rename(&mut self, customer: i64, key: &str, new_key: &str) -> Option<&mut T> {
        let entry = self.entries.get_mut(&customer).filter(|e| e.key == key)?;
        entry.key = new_key.to_string();
        entry.login.as_mut()
    }

    /// Takes the customer's login under `key` out (cancelled, failed or adopted); a place
    /// whose request is under way is given up too, so that its login is closed on arrival.
    pub fn take(&mut self, customer: i64, key: &str) -> Option<T> {
        if self.entries.get(&customer).is_none_or(|e| e.key != key) {
            return None;
        }
        self.entries.remove(&customer).and_then(|e| e.login)
    }

    /// Logins in progress (places whose request is under way included).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no login is in progress.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// When the next login runs out if nothing advances it.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.entries.values().map(|e| e.touched + IDLE).min()
    }

    /// Takes out the logins not advanced for [`IDLE`] (with their customers), to be closed;
    /// the limiters forget the keys whose budget is whole again.
    pub fn expired(&mut self, now: Instant) -> Vec<(i64, T)> {
        let over: Vec<i64> = self
            .entries
            .iter()
            .filter(|(_, e)| now.saturating_duration_since(e.touched) >= IDLE)
            .map(|(customer, _)| *customer)
            .collect();
        self.sync(now);
        self.per_number.retain_recent();
        self.per_customer.retain_recent();
        over.into_iter()
            .filter_map(|customer| {
                let entry = self.entries.remove(&customer)?;
                entry.login.map(|login| (customer, login))
            })
            .collect()
    }

    /// Moves the limiters' time forward to `now` (never back).
    fn sync(&self, now: Instant) {
        let target = now.saturating_duration_since(self.origin);
        let current = Duration::from(self.clock.now());
        if target > current {
            self.clock.advance(target - current);
        }
    }
}

/// Closes the logins left waiting too long, each at the instant it runs out, for as long as
/// the ledger lives (the task ends once it is dropped).
pub async fn sweep<T, F, Fut>(logins: Weak<Mutex<Logins<T>>>, close: F)
where
    F: Fn(i64, T) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    loop {
        let next = {
            let Some(logins) = logins.upgrade() else {
                return;
            };
            let logins = logins.lock().await;
            // Empty: a login made meanwhile runs out after the wake-up, never before it.
            logins
                .next_deadline()
                .unwrap_or_else(|| Instant::now() + IDLE)
        };
        tokio::time::sleep_until(next).await;
        let expired = {
            let Some(logins) = logins.upgrade() else {
                return;
            };
            let mut logins = logins.lock().await;
            logins.expired(Instant::now())
        };
        for (customer, login) in expired {
            tracing::info!(customer_id = customer, "an abandoned login was cancelled");
            close(customer, login).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex as StdMutex};

    const MIN: Duration = Duration::from_secs(60);

    fn code(
        l: &mut Logins<u32>,
        customer: i64,
        phone: &str,
        now: Instant,
    ) -> Result<(), LoginError> {
        let (ticket, _) = l.begin(customer, phone, true, now)?;
        l.fill(ticket, phone, customer as u32, now)
            .expect("the place is still there");
        Ok(())
    }

    #[test]
    fn another_customer_typing_a_number_mid_login_leaves_the_owners_login_alone() {
        let t0 = Instant::now();
        let mut l = Logins::new(t0);
        code(&mut l, 1, "447700900123", t0).unwrap();
        code(&mut l, 2, "447700900123", t0).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l.advance(1, "447700900123", t0).copied(), Some(1));
        // Cancelling one customer's login never touches the other's.
        assert_eq!(l.take(2, "447700900123"), Some(2));
        assert_eq!(l.take(2, "447700900123"), None);
        assert_eq!(l.advance(1, "447700900123", t0).copied(), Some(1));
        // A customer reaches only their own login, by its key.
        assert_eq!(l.take(1, "447700900999"), None);
        assert_eq!(l.take(3, "447700900123"), None);
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn a_number_gets_three_codes_then_one_every_twenty_minutes_whoever_asks() {
        let t0 = Instant::now();
        let mut l = Logins::new(t0);
        for customer in 1..=3 {
            code(&mut l, customer, "447700900123", t0).unwrap();
        }
        assert_eq!(
            code(&mut l, 4, "447700900123", t0),
            Err(LoginError::TooManyCodes { wait_secs: 20 * 60 })
        );
        assert_eq!(
            code(&mut l, 4, "447700900123", t0 + 15 * MIN),
            Err(LoginError::TooManyCodes { wait_secs: 5 * 60 })
        );
        // The refusals sent nothing and took no place.
        assert_eq!(l.len(), 3);
        // Other numbers are not held back by this one.
        code(&mut l, 5, "447700900456", t0).unwrap();
        code(&mut l, 4, "447700900123", t0 + 20 * MIN).unwrap();
        assert_eq!(
            code(&mut l, 6, "447700900123", t0 + 20 * MIN),
            Err(LoginError::TooManyCodes { wait_secs: 20 * 60 })
        );
    }

    #[test]
    fn a_customer_gets_five_codes_then_one_every_twelve_minutes() {
        let t0 = Instant::now();
        let mut l = Logins::new(t0);
        for n in 0..5 {
            code(&mut l, 1, &format!("4477009001{n}"), t0).unwrap();
        }
        assert_eq!(
            code(&mut l, 1, "447700900200", t0 + MIN),
            Err(LoginError::TooManyCodes { wait_secs: 11 * 60 })
        );
        // Other customers are not held back by this one.
        code(&mut l, 2, "447700900200", t0 + MIN).unwrap();
        code(&mut l, 1, "447700900201", t0 + 12 * MIN).unwrap();
    }

    #[test]
    fn a_customers_new_login_replaces_and_hands_back_the_previous_one() {
        let t0 = Instant::now();
        let mut l = Logins::new(t0);
        code(&mut l, 1, "447700900123", t0).unwrap();
        let (ticket, replaced) = l.begin(1, "447700900456", true, t0).unwrap();
        assert_eq!(replaced, Some(1), "handed back to be closed");
        assert_eq!(l.advance(1, "447700900123", t0), None);
        l.fill(ticket, "447700900456", 10, t0).unwrap();
        assert_eq!(l.advance(1, "447700900456", t0).copied(), Some(10));
        assert_eq!(l.len(), 1);
        // An import takes the customer's place too.
        let (_, replaced) = l.begin(1, "", false, t0).unwrap();
        assert_eq!(replaced, Some(10));
        assert_eq!(l.len(), 1);
    }

    #[test]
    fn at_most_fifty_logins_at_once_and_a_refusal_changes_nothing() {
        let t0 = Instant::now();
        let mut l = Logins::new(t0);
        for customer in 0..MAX_LOGINS as i64 {
            code(&mut l, customer, &format!("44770090{customer:04}"), t0).unwrap();
        }
        assert_eq!(
            l.begin(999, "447700901999", true, t0).err(),
            Some(LoginError::TooManyLogins)
        );
        assert_eq!(
            l.begin(999, "", false, t0).err(),
            Some(LoginError::TooManyLogins),
            "imports too"
        );
        assert_eq!(l.len(), MAX_LOGINS);
        // A customer who holds a login may replace it.
        let (_, replaced) = l.begin(7, "447700901007", true, t0).unwrap();
        assert_eq!(replaced, Some(7));
        // The refused customer's code budget was not spent: five codes once there is room.
        l.take(0, "447700900000");
        for n in 0..5 {
            code(&mut l, 999, &format!("4477009020{n}"), t0).unwrap();
        }
    }

    #[test]
    fn a_login_that_arrives_after_its_place_was_given_up_is_handed_back() {
        let t0 = Instant::now();
        let mut l = Logins::new(t0);
        let (ticket, _) = l.begin(1, "447700900123", true, t0).unwrap();
        // The customer cancels while the code request is under way.
        assert_eq!(l.take(1, "447700900123"), None);
        assert_eq!(l.len(), 0);
        assert_eq!(l.fill(ticket, "447700900123", 1, t0), Err(1));
        // A failed request gives its place back; a stale ticket touches nothing.
        let (stale, _) = l.begin(1, "447700900123", true, t0).unwrap();
        let (ticket, _) = l.begin(1, "447700900123", true, t0).unwrap();
        l.abandon(stale);
        assert_eq!(l.len(), 1);
        l.abandon(ticket);
        assert!(l.is_empty());
    }

    #[test]
    fn a_login_runs_out_when_not_advanced_for_ten_minutes() {
        let t0 = Instant::now();
        let mut l = Logins::new(t0);
        code(&mut l, 1, "447700900123", t0).unwrap();
        code(&mut l, 2, "447700900456", t0 + MIN).unwrap();
        assert_eq!(l.next_deadline(), Some(t0 + IDLE));
        l.advance(1, "447700900123", t0 + 2 * MIN);
        assert_eq!(l.next_deadline(), Some(t0 + MIN + IDLE));
        assert!(l
            .expired(t0 + MIN + IDLE - Duration::from_millis(1))
            .is_empty());
        assert_eq!(l.expired(t0 + MIN + IDLE), [(2, 2)]);
        assert_eq!(l.expired(t0 + 2 * MIN + IDLE), [(1, 1)]);
        assert_eq!(l.next_deadline(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn the_sweep_closes_each_abandoned_login_at_the_instant_it_runs_out() {
        let t0 = Instant::now();
        let logins = Arc::new(Mutex::new(Logins::new(t0)));
        let closed = Arc::new(StdMutex::new(Vec::new()));
        let record = closed.clone();
        let sweeper = tokio::spawn(sweep(Arc::downgrade(&logins), move |customer, login| {
            let record = record.clone();
            async move {
                record
                    .lock()
                    .unwrap()
                    .push((customer, login, Instant::now()));
            }
        }));
        code(&mut *logins.lock().await, 1, "447700900123", t0).unwrap();
        tokio::time::sleep(4 * MIN).await;
        code(&mut *logins.lock().await, 2, "447700900456", Instant::now()).unwrap();
        tokio::time::sleep(3 * MIN).await;
        // The first login advances at 7 min: it now runs out at 17 min.
        logins
            .lock()
            .await
            .advance(1, "447700900123", Instant::now());
        tokio::time::sleep(20 * MIN).await;
        assert_eq!(
            *closed.lock().unwrap(),
            [(2, 2, t0 + 4 * MIN + IDLE), (1, 1, t0 + 7 * MIN + IDLE)],
            "nobody called anything: the timer closed them"
        );
        assert!(logins.lock().await.is_empty());
        // A login made while the ledger was empty runs out on time too.
        code(&mut *logins.lock().await, 3, "447700900789", Instant::now()).unwrap();
        let made = Instant::now();
        tokio::time::sleep(IDLE + MIN).await;
        assert_eq!(closed.lock().unwrap().last(), Some(&(3, 3, made + IDLE)));
        // The sweep ends with the ledger.
        drop(logins);
        tokio::time::sleep(IDLE).await;
        assert!(sweeper.is_finished());
    }
}
