//! Sign-in throttling: per account and per client address, a delay that doubles with each
//! failure past a few free ones, in two small tables of bounded size.
//!
//! Why not a rate limiter such as `governor`: a token bucket refills at a steady rate, so
//! a guesser who paces themselves is never slowed, and it cannot tell a success from a
//! failure. Here only failures count, each one past the free allowance doubles the wait,
//! a success clears the account, and a quiet key is forgotten.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How one kind of key (accounts, addresses) is throttled.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Failures allowed before any delay.
    pub free: u32,
    /// The first delay; each further failure doubles it.
    pub base: Duration,
    /// The longest delay.
    pub max: Duration,
    /// A key with no failure for this long starts afresh.
    pub forget_after: Duration,
    /// At most this many keys are remembered.
    pub capacity: usize,
}

impl Policy {
    /// A username: a person mistyping gets five tries; a guesser waits 1 s, 2 s, 4 s, … up
    /// to 15 minutes per guess.
    pub const ACCOUNT: Policy = Policy {
        free: 5,
        base: Duration::from_secs(1),
        max: Duration::from_secs(15 * 60),
        forget_after: Duration::from_secs(60 * 60),
        capacity: 10_000,
    };
    /// A client address (IPv6 by /64): more generous, since an office may share one address.
    pub const ADDRESS: Policy = Policy {
        free: 20,
        base: Duration::from_secs(1),
        max: Duration::from_secs(15 * 60),
        forget_after: Duration::from_secs(60 * 60),
        capacity: 10_000,
    };

    fn delay(&self, failures: u32) -> Duration {
        if failures < self.free {
            return Duration::ZERO;
        }
        let doublings = (failures - self.free).min(30);
        self.base.saturating_mul(1 << doublings).min(self.max)
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last: Instant,
    blocked_until: Instant,
}

/// One table of keys.
#[derive(Debug)]
struct Table<K> {
    policy: Policy,
    entries: HashMap<K, Entry>,
}

impl<K: std::hash::Hash + Eq + Clone> Table<K> {
    fn new(policy: Policy) -> Self {
        Table {
            policy,
            entries: HashMap::new(),
        }
    }

    fn wait(&self, key: &K, now: Instant) -> Option<Duration> {
        let entry = self.entries.get(key)?;
        (entry.blocked_until > now).then(|| entry.blocked_until - now)
    }

    fn fail(&mut self, key: &K, now: Instant) {
        let policy = self.policy;
        if !self.entries.contains_key(key) && self.entries.len() >= policy.capacity {
            self.make_room(now);
        }
        let entry = self.entries.entry(key.clone()).or_insert(Entry {
            failures: 0,
            last: now,
            blocked_until: now,
        });
        if now.saturating_duration_since(entry.last) > policy.forget_after {
            entry.failures = 0;
        }
        entry.failures = entry.failures.saturating_add(1);
        entry.last = now;
        entry.blocked_until = now + policy.delay(entry.failures);
    }

    fn clear(&mut self, key: &K) {
        self.entries.remove(key);
    }

    /// Forget quiet keys; if none is quiet, the one whose wait ends soonest (so a flood of
    /// new keys cannot free the account it is aimed at).
    fn make_room(&mut self, now: Instant) {
        let forget = self.policy.forget_after;
        self.entries
            .retain(|_, e| now.saturating_duration_since(e.last) <= forget);
        if self.entries.len() >= self.policy.capacity {
            if let Some(key) = self
                .entries
                .iter()
                .min_by_key(|(_, e)| (e.blocked_until, e.failures))
                .map(|(k, _)| k.clone())
            {
                self.entries.remove(&key);
            }
        }
    }
}

/// The client address as throttled: IPv4 as is, IPv6 by its /64 (one host's share).
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

/// Both tables, shared by the API's and the pages' sign-in.
#[derive(Debug)]
pub struct Throttle {
    accounts: Mutex<Table<String>>,
    addresses: Mutex<Table<IpAddr>>,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::new(Policy::ACCOUNT, Policy::ADDRESS)
    }
}

impl Throttle {
    pub fn new(account: Policy, address: Policy) -> Self {
        Throttle {
            accounts: Mutex::new(Table::new(account)),
            addresses: Mutex::new(Table::new(address)),
        }
    }

    /// How long this attempt must wait, if at all (the longer of the two waits).
    pub fn wait(&self, username: &str, from: Option<IpAddr>, now: Instant) -> Option<Duration> {
        let account = self.accounts().wait(&username.to_owned(), now);
        let address = from.and_then(|ip| self.addresses().wait(&address_key(ip), now));
        account.max(address)
    }

    pub fn failed(&self, username: &str, from: Option<IpAddr>, now: Instant) {
        self.accounts().fail(&username.to_owned(), now);
        if let Some(ip) = from {
            self.addresses().fail(&address_key(ip), now);
        }
    }

    /// A right password clears its account; the address keeps its count, so one good
    /// account cannot be used to reset a guesser's allowance.
    pub fn succeeded(&self, username: &str) {
        self.accounts().clear(&username.to_owned());
    }

    fn accounts(&self) -> std::sync::MutexGuard<'_, Table<String>> {
        self.accounts.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn addresses(&self) -> std::sync::MutexGuard<'_, Table<IpAddr>> {
        self.addresses.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn the_delay_doubles_after_the_free_failures() {
        let p = Policy::ACCOUNT;
        assert_eq!(p.delay(4), Duration::ZERO);
        assert_eq!(p.delay(5), SEC);
        assert_eq!(p.delay(6), 2 * SEC);
        assert_eq!(p.delay(9), 16 * SEC);
        assert_eq!(p.delay(1000), p.max);
    }

    #[test]
    fn accounts_wait_after_failures_and_success_clears_them() {
        let t = Throttle::default();
        let now = Instant::now();
        for _ in 0..4 {
            t.failed("admin", None, now);
        }
        assert_eq!(t.wait("admin", None, now), None);
        t.failed("admin", None, now);
        assert_eq!(t.wait("admin", None, now), Some(SEC));
        assert_eq!(t.wait("admin", None, now + SEC), None);
        assert_eq!(t.wait("keeper", None, now), None, "other accounts are free");
        t.failed("admin", None, now + SEC);
        assert_eq!(t.wait("admin", None, now + SEC), Some(2 * SEC));
        t.succeeded("admin");
        assert_eq!(t.wait("admin", None, now + SEC), None);
    }

    #[test]
    fn an_address_guessing_many_accounts_waits() {
        let t = Throttle::default();
        let now = Instant::now();
        let ip: IpAddr = "2001:db8::1".parse().unwrap();
        let neighbour: IpAddr = "2001:db8::ffff".parse().unwrap();
        for i in 0..Policy::ADDRESS.free {
            t.failed(&format!("user{i}"), Some(ip), now);
        }
        assert!(t.wait("someone-else", Some(ip), now).is_some());
        assert!(
            t.wait("someone-else", Some(neighbour), now).is_some(),
            "same /64"
        );
        assert!(t.wait("someone-else", None, now).is_none());
        t.succeeded("user0");
        assert!(
            t.wait("user0", Some(ip), now).is_some(),
            "success does not clear the address"
        );
    }

    #[test]
    fn quiet_keys_are_forgotten() {
        let t = Throttle::default();
        let now = Instant::now();
        for _ in 0..10 {
            t.failed("admin", None, now);
        }
        let later = now + Policy::ACCOUNT.forget_after + Policy::ACCOUNT.max + SEC;
        assert_eq!(t.wait("admin", None, later), None);
        t.failed("admin", None, later);
        assert_eq!(t.wait("admin", None, later), None, "counting starts afresh");
    }

    #[test]
    fn tables_stay_bounded_and_keep_the_most_blocked() {
        let policy = Policy {
            capacity: 3,
            ..Policy::ACCOUNT
        };
        let t = Throttle::new(policy, Policy::ADDRESS);
        let now = Instant::now();
        for _ in 0..8 {
            t.failed("target", None, now);
        }
        for i in 0..100 {
            t.failed(&format!("noise{i}"), None, now);
        }
        assert!(t.accounts().entries.len() <= 3);
        assert!(t.wait("target", None, now).is_some());
    }
}
