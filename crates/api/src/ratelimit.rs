//! Fixed-window rate limits kept in this process's memory (plan 9.4).
//!
//! With several replicas each enforces its own window, so the effective limit
//! is at most N times the configured one; that is enough to stop password
//! guessing and runaway scripts. A shared limit would live in PostgreSQL.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter {
    limit: u32,
    window: Duration,
    hits: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    pub fn per_minute(limit: u32) -> Self {
        Self { limit, window: Duration::from_secs(60), hits: Mutex::default() }
    }

    /// Counts a hit for `key`; `Err(seconds)` tells when the window reopens.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if hits.len() > 10_000 {
            hits.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = hits.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            let wait = self.window.saturating_sub(now.duration_since(entry.0));
            return Err(wait.as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_limit_then_refuses_with_a_wait() {
        let limiter = RateLimiter::per_minute(3);
        for _ in 0..3 {
            assert!(limiter.check("ana").is_ok());
        }
        let wait = limiter.check("ana").unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(limiter.check("ben").is_ok(), "keys are counted apart");
    }
}
