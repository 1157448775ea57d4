//! Background work of every server process: automatic retries, the sweeper
//! for unknown deliveries, and clean-ups. Every job claims its rows with
//! `FOR UPDATE SKIP LOCKED`, so any number of replicas can run them.

use std::sync::Arc;
use std::time::Duration;

use inbox_domain::outbox::Outbox;
use inbox_domain::{auth, delivery, events, send};
use sqlx::PgPool;
use tokio::task::JoinHandle;

use crate::config::Config;

/// The running jobs; dropping this stops them.
pub struct Workers(Vec<JoinHandle<()>>);

impl Drop for Workers {
    fn drop(&mut self) {
        for job in &self.0 {
            job.abort();
        }
    }
}

pub fn start(config: &Config, db: PgPool, outbox: Arc<Outbox>) -> Workers {
    let stuck_after = Duration::from_secs(config.sending_timeout_secs);
    let retries = {
        let (db, outbox) = (db.clone(), outbox.clone());
        every(Duration::from_secs(1), move || {
            let (db, outbox) = (db.clone(), outbox.clone());
            async move {
                // Drain what is due, a batch at a time.
                while let Ok(n) = send::run_due_retries(&db, outbox.as_ref(), 20).await {
                    if n < 20 {
                        break;
                    }
                }
                // Counted after the pass: what it claimed has been sent.
                metrics::counter!("inbox_worker_passes_total", "job" => "retries").increment(1);
            }
        })
    };
    let sweeper = {
        let db = db.clone();
        every(Duration::from_secs(15), move || {
            let db = db.clone();
            async move {
                if let Err(e) = delivery::sweep_unknown_deliveries(&db, stuck_after, 500).await {
                    tracing::warn!(error = %e, "sweeper failed");
                }
                metrics::counter!("inbox_worker_passes_total", "job" => "sweeper").increment(1);
            }
        })
    };
    let cleanup = {
        let db = db.clone();
        every(Duration::from_secs(3600), move || {
            let db = db.clone();
            async move {
                let _ = auth::purge_expired_sessions(&db).await;
                let _ = delivery::purge_stale_pending_statuses(&db).await;
            }
        })
    };
    let replay_window = Duration::from_secs(config.events_replay_secs);
    let events = {
        let db = db.clone();
        every(Duration::from_secs(60), move || {
            let db = db.clone();
            async move {
                if let Err(e) = events::purge(&db, replay_window).await {
                    tracing::warn!(error = %e, "purging old events failed");
                }
            }
        })
    };
    Workers(vec![retries, sweeper, cleanup, events])
}

fn every<F, Fut>(period: Duration, job: F) -> JoinHandle<()>
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            job().await;
        }
    })
}
