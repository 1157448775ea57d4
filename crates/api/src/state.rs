//! What every request handler can reach.

use std::sync::Arc;
use std::time::Duration;

use inbox_domain::channels::MetaChannels;
use inbox_domain::outbox::Outbox;
use inbox_types::PhoneRegion;
use sqlx::PgPool;

use crate::config::Config;
use crate::events::Hub;
use crate::ratelimit::RateLimiter;

pub struct AppState {
    pub db: PgPool,
    /// Where sends go (the provider), recording its answers in groups.
    pub outbox: Arc<Outbox>,
    pub region: Option<PhoneRegion>,
    pub cookie_secure: bool,
    pub session_ttl: Duration,
    pub public_origin: Option<String>,
    pub login_limiter: RateLimiter,
    pub send_limiter: RateLimiter,
    /// This process's realtime subscribers.
    pub hub: Arc<Hub>,
    pub sse_keepalive: Duration,
    pub sse_max_age: Duration,
    /// The channels Meta callbacks are checked against.
    pub meta_channels: MetaChannels,
}

impl AppState {
    pub fn new(config: &Config, db: PgPool, outbox: Arc<Outbox>) -> anyhow::Result<Self> {
        Ok(Self {
            db,
            outbox,
            region: config.phone_region()?,
            cookie_secure: config.cookie_secure,
            session_ttl: Duration::from_secs(u64::from(config.session_ttl_hours) * 3600),
            public_origin: config.public_origin.clone(),
            login_limiter: RateLimiter::per_minute(config.login_attempts_per_minute),
            send_limiter: RateLimiter::per_minute(config.sends_per_minute),
            hub: Hub::new(config.sse_buffer),
            sse_keepalive: Duration::from_secs(config.sse_keepalive_secs.max(1)),
            sse_max_age: Duration::from_secs(config.sse_max_age_secs.max(1)),
            meta_channels: MetaChannels::new(Duration::from_secs(5)),
        })
    }
}
