//! Rate limits kept in this process's memory (plan 9.4), by the `governor`
//! crate: GCRA (the generic cell rate algorithm), one state per key.
//!
//! "N per minute" is a bucket of N per key: N requests may come at once,
//! then one more is allowed every 60/N seconds (at 10 a minute, one every
//! 6 s). Kept up, that is N a minute; a refused caller is told
//! (`Retry-After`) when its next request is due, not when a window ends, and
//! no window edge lets 2N through in a moment.
//!
//! A key whose bucket has filled up again is the same as a key never seen,
//! so such keys are dropped (`retain_recent`) whenever the number of keys
//! has doubled since the last sweep: memory follows the keys used in about
//! the last minute, and a sweep costs nothing per request on average.
//!
//! With several replicas each enforces its own limit, so the effective limit
//! is at most N times the configured one; that is enough to stop password
//! guessing and runaway scripts. A shared limit would live in PostgreSQL.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use governor::Quota;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;

/// Keys kept before the first sweep of stale ones.
const FIRST_SWEEP_ABOVE: usize = 10_000;

/// One limit, counted per key (an email, a client address, a user).
pub struct RateLimiter<C: Clock = DefaultClock> {
    // A mutex around one map, like the window map it replaces: these limits
    // guard logins and sends, far from contended (governor's `dashmap` store
    // would bring a third `hashbrown` into the build).
    limiter: governor::RateLimiter<String, HashMapStateStore<String>, C, NoOpMiddleware<C::Instant>>,
    /// How many keys the next sweep waits for.
    sweep_above: AtomicUsize,
}

impl RateLimiter {
    pub fn per_minute(limit: u32) -> Self {
        Self::with_clock(limit, DefaultClock::default())
    }
}

impl<C: Clock> RateLimiter<C> {
    fn with_clock(limit: u32, clock: C) -> Self {
        // The configuration refuses 0 (it would refuse every request).
        let quota = Quota::per_minute(NonZeroU32::new(limit).unwrap_or(NonZeroU32::MIN));
        Self {
            limiter: governor::RateLimiter::hashmap_with_clock(quota, clock),
            sweep_above: AtomicUsize::new(FIRST_SWEEP_ABOVE),
        }
    }

    /// Counts a hit for `key`; `Err(seconds)` tells when the next one is
    /// allowed, rounded up, at least 1.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let outcome = self.limiter.check_key(&key.to_owned());
        self.sweep_when_grown();
        outcome.map_err(|not_until| whole_seconds(not_until.wait_time_from(self.limiter.clock().now())))
    }

    fn sweep_when_grown(&self) {
        if self.limiter.len() > self.sweep_above.load(Ordering::Relaxed) {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
            let left = self.limiter.len();
            self.sweep_above.store((left * 2).max(FIRST_SWEEP_ABOVE), Ordering::Relaxed);
        }
    }
}

fn whole_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    #[test]
    fn allows_the_limit_then_refuses_with_a_wait() {
        let limiter = RateLimiter::with_clock(3, FakeRelativeClock::default());
        for _ in 0..3 {
            assert!(limiter.check("ana").is_ok());
        }
        assert_eq!(limiter.check("ana"), Err(20), "3 a minute: the next one in 20 s");
        assert!(limiter.check("ben").is_ok(), "keys are counted apart");
    }

    #[test]
    fn the_real_clock_refuses_past_the_limit_with_a_wait_within_the_minute() {
        let limiter = RateLimiter::per_minute(2);
        assert!(limiter.check("ana").is_ok());
        assert!(limiter.check("ana").is_ok());
        let wait = limiter.check("ana").unwrap_err();
        assert!((1..=30).contains(&wait), "{wait}");
    }

    #[test]
    fn a_refused_key_is_allowed_again_when_its_wait_is_over() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(3, clock.clone());
        for _ in 0..3 {
            limiter.check("ana").unwrap();
        }
        clock.advance(Duration::from_secs(19));
        assert_eq!(limiter.check("ana"), Err(1));
        clock.advance(Duration::from_secs(1));
        assert_eq!(limiter.check("ana"), Ok(()));
        assert_eq!(limiter.check("ana"), Err(20), "one came back, and it is spent");
    }

    #[test]
    fn a_wait_is_rounded_up_to_whole_seconds() {
        // 7 a minute: one every 8.57 s.
        let limiter = RateLimiter::with_clock(7, FakeRelativeClock::default());
        for _ in 0..7 {
            limiter.check("ana").unwrap();
        }
        assert_eq!(limiter.check("ana"), Err(9));
    }

    #[test]
    fn keys_that_are_as_good_as_new_are_swept_once_the_map_has_grown() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(3, clock.clone());
        for i in 0..FIRST_SWEEP_ABOVE {
            limiter.check(&format!("ip-{i}")).unwrap();
        }
        assert_eq!(limiter.limiter.len(), FIRST_SWEEP_ABOVE, "no sweep yet");
        clock.advance(Duration::from_secs(60));
        limiter.check("late").unwrap();
        assert_eq!(limiter.limiter.len(), 1, "only the key used since is kept");
    }
}
