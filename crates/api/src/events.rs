//! Realtime fan-out in one server process: one LISTEN connection receives
//! every committed event (from any process) and hands it to this process's
//! subscribers of that company. Each subscriber has a bounded queue; one that
//! falls behind is dropped (its stream ends and the browser reconnects with
//! Last-Event-ID), so a slow client never blocks others or grows memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::web::Bytes;
use inbox_domain::events::{CHANNEL, Event};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// An event as a stream sends it: framed once, shared by every subscriber.
#[derive(Debug)]
pub struct Frame {
    pub id: i64,
    pub bytes: Bytes,
}

impl Frame {
    pub fn of(event: &Event) -> Frame {
        let (kind, data) = (event.event.kind(), event.event.data());
        Frame { id: event.id, bytes: Bytes::from(format!("id: {}\nevent: {kind}\ndata: {data}\n\n", event.id)) }
    }
}

/// What a subscriber's stream receives.
#[derive(Debug, Clone)]
pub enum Push {
    Event(Arc<Frame>),
    /// Events may have been lost (the LISTEN connection dropped): refetch.
    Resync,
}

pub struct Hub {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    closed: bool,
    by_company: HashMap<Uuid, Vec<(u64, mpsc::Sender<Push>)>>,
}

/// A subscriber's end; dropping it unsubscribes.
pub struct Subscription {
    hub: Arc<Hub>,
    company: Uuid,
    id: u64,
    pub rx: mpsc::Receiver<Push>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.remove(self.company, self.id);
    }
}

impl Hub {
    pub fn new(capacity: usize) -> Arc<Self> {
        Arc::new(Hub { capacity: capacity.max(1), inner: Mutex::new(Inner::default()) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind: keep going.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn subscribe(self: &Arc<Self>, company: Uuid) -> Subscription {
        let (tx, rx) = mpsc::channel(self.capacity);
        let mut inner = self.lock();
        inner.next_id += 1;
        let id = inner.next_id;
        if !inner.closed {
            inner.by_company.entry(company).or_default().push((id, tx));
            metrics::gauge!("inbox_sse_connections").increment(1.0);
        }
        Subscription { hub: self.clone(), company, id, rx }
    }

    fn remove(&self, company: Uuid, id: u64) {
        let mut inner = self.lock();
        if let Some(subs) = inner.by_company.get_mut(&company) {
            let before = subs.len();
            subs.retain(|(sid, _)| *sid != id);
            if subs.len() < before {
                metrics::gauge!("inbox_sse_connections").decrement(1.0);
            }
            if subs.is_empty() {
                inner.by_company.remove(&company);
            }
        }
    }

    /// Hands an event to the subscribers of its company; drops any whose
    /// queue is full.
    pub fn dispatch(&self, event: Event) {
        let mut inner = self.lock();
        let Some(subs) = inner.by_company.get_mut(&event.company_id) else { return };
        let frame = Arc::new(Frame::of(&event));
        subs.retain(|(_, tx)| Self::offer(tx, Push::Event(frame.clone())));
    }

    /// Tells every subscriber to refetch (events may have been missed).
    pub fn resync_all(&self) {
        let mut inner = self.lock();
        for subs in inner.by_company.values_mut() {
            subs.retain(|(_, tx)| Self::offer(tx, Push::Resync));
        }
    }

    fn offer(tx: &mpsc::Sender<Push>, push: Push) -> bool {
        match tx.try_send(push) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                metrics::counter!("inbox_sse_dropped_total").increment(1);
                metrics::gauge!("inbox_sse_connections").decrement(1.0);
                tracing::info!("dropping a realtime subscriber that fell behind");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                metrics::gauge!("inbox_sse_connections").decrement(1.0);
                false
            }
        }
    }

    /// Ends every stream (shutdown): browsers reconnect to another replica.
    pub fn close_all(&self) {
        let mut inner = self.lock();
        inner.closed = true;
        let n: usize = inner.by_company.values().map(Vec::len).sum();
        inner.by_company.clear();
        metrics::gauge!("inbox_sse_connections").decrement(n as f64);
    }

    pub fn subscribers(&self) -> usize {
        self.lock().by_company.values().map(Vec::len).sum()
    }
}

/// LISTENs on the events channel for the life of the process, reconnecting
/// when the connection drops (and telling subscribers to resync, since what
/// was announced meanwhile is lost).
pub fn listen(db: PgPool, hub: Arc<Hub>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut first = true;
        // Until the pool is closed (the server is stopping).
        while !db.is_closed() {
            let mut listener = match PgListener::connect_with(&db).await {
                Ok(l) => l,
                Err(_) if db.is_closed() => return,
                Err(e) => {
                    tracing::warn!(error = %e, "events: cannot connect to listen; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen(CHANNEL).await {
                tracing::warn!(error = %e, "events: LISTEN failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            if !first {
                hub.resync_all();
            }
            first = false;
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => match Event::from_notification(n.payload()) {
                        Ok(event) => hub.dispatch(event),
                        Err(e) => tracing::warn!(payload = n.payload(), "events: skipped: {e}"),
                    },
                    // The connection dropped; the next call reconnects.
                    Ok(None) => {
                        tracing::warn!("events: listen connection lost; reconnecting");
                        hub.resync_all();
                    }
                    Err(_) if db.is_closed() => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "events: listen failed; reconnecting");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        break;
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(company: Uuid, id: i64) -> Event {
        let event = inbox_types::LiveEvent::ConversationDeleted(inbox_types::live::ConversationDeleted { id: company });
        Event { id, company_id: company, event }
    }

    #[tokio::test]
    async fn events_reach_only_subscribers_of_their_company() {
        let hub = Hub::new(8);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let mut sa = hub.subscribe(a);
        let mut sb = hub.subscribe(b);
        hub.dispatch(event(a, 1));
        assert!(matches!(sa.rx.recv().await, Some(Push::Event(e)) if e.id == 1));
        assert!(sb.rx.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_dropped_and_others_keep_receiving() {
        let hub = Hub::new(2);
        let company = Uuid::new_v4();
        let mut slow = hub.subscribe(company);
        let mut fast = hub.subscribe(company);
        for id in 1..=5 {
            hub.dispatch(event(company, id));
            // The fast one reads as events come.
            assert!(matches!(fast.rx.recv().await, Some(Push::Event(e)) if e.id == id));
        }
        assert_eq!(hub.subscribers(), 1);
        // The slow one gets what fit in its queue, then its stream ends.
        assert!(matches!(slow.rx.recv().await, Some(Push::Event(e)) if e.id == 1));
        assert!(matches!(slow.rx.recv().await, Some(Push::Event(e)) if e.id == 2));
        assert!(slow.rx.recv().await.is_none());
    }

    #[tokio::test]
    async fn dropping_a_subscription_unsubscribes_and_closing_ends_every_stream() {
        let hub = Hub::new(4);
        let company = Uuid::new_v4();
        let gone = hub.subscribe(company);
        let mut kept = hub.subscribe(company);
        drop(gone);
        assert_eq!(hub.subscribers(), 1);
        hub.close_all();
        assert!(kept.rx.recv().await.is_none());
        assert_eq!(hub.subscribers(), 0);
    }
}
