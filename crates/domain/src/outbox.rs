//! Where sends go: the provider, and how its answers are recorded.
//!
//! Every provider dispatches on its own (each answer recorded in its own
//! transaction). [`Outbox`], which the server uses, also groups the answers
//! of concurrent sends: one task records whatever answers have arrived
//! while the previous group was committing, in one transaction, so a burst
//! of N sends costs one commit for their `sent` updates instead of N.

use std::sync::Arc;

use async_trait::async_trait;
use inbox_types::MessageStatus;
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

use crate::delivery;
use crate::error::{DomainError, DomainResult};
use crate::provider::{AcceptedSend as Accepted, Dispatch, RetryPolicy, WhatsappProvider};

/// The provider, and the task that records its answers in groups.
pub struct Outbox {
    provider: Arc<dyn WhatsappProvider>,
    retries: RetryPolicy,
    recorder: mpsc::Sender<(Accepted, oneshot::Sender<DomainResult<MessageStatus>>)>,
}

/// The most answers recorded in one transaction.
const MAX_GROUP: usize = 256;

impl Outbox {
    /// Starts the recording task on the current Tokio runtime; it ends when
    /// the outbox is dropped, after recording what it was given.
    pub fn start(db: PgPool, provider: Arc<dyn WhatsappProvider>, retries: RetryPolicy) -> Self {
        let (recorder, queue) = mpsc::channel(4 * MAX_GROUP);
        tokio::spawn(record_in_groups(db, queue));
        Self { provider, retries, recorder }
    }
}

#[async_trait]
impl Dispatch for Outbox {
    fn provider(&self) -> &dyn WhatsappProvider {
        self.provider.as_ref()
    }

    fn retry_policy(&self) -> RetryPolicy {
        self.retries
    }

    async fn record_sent(&self, db: &PgPool, accepted: Accepted) -> DomainResult<MessageStatus> {
        let (reply, answer) = oneshot::channel();
        if let Err(mpsc::error::SendError((accepted, _))) = self.recorder.send((accepted, reply)).await {
            // The task is gone (shutting down): record it here.
            return delivery::record_sent(db, &accepted).await;
        }
        answer.await.unwrap_or_else(|_| Err(DomainError::internal("the sent recorder stopped")))
    }
}

async fn record_in_groups(
    db: PgPool,
    mut queue: mpsc::Receiver<(Accepted, oneshot::Sender<DomainResult<MessageStatus>>)>,
) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while queue.recv_many(&mut group, MAX_GROUP).await > 0 {
        metrics::histogram!("inbox_sent_group_size").record(group.len() as f64);
        let (accepted, replies): (Vec<Accepted>, Vec<_>) = group.drain(..).unzip();
        let mut results: Vec<DomainResult<MessageStatus>> = Vec::with_capacity(accepted.len());
        match accepted.as_slice() {
            [one] => results.push(delivery::record_sent(&db, one).await),
            many => match delivery::record_sent_together(&db, many).await {
                Ok(statuses) => results.extend(statuses.into_iter().map(Ok)),
                Err(e) => {
                    // One bad answer (or a fault) must not fail the others:
                    // record them one by one.
                    tracing::warn!(error = %e, count = many.len(), "recording sent messages together failed");
                    for a in many {
                        results.push(delivery::record_sent(&db, a).await);
                    }
                }
            },
        }
        for (reply, result) in replies.into_iter().zip(results) {
            let _ = reply.send(result);
        }
    }
}
