//! The outbox publisher, the same for every transport: claim rows → deliver them through a
//! [`Sink`] → mark sent only the rows the sink reports delivered. A row that fails stays unsent
//! and the store hands it out again once its claim expires (a minute), so every row is
//! delivered at least once; receivers deduplicate on the message identification.

use crate::state::Outgoing;
use crate::store::{OutboxRow, Store, StoreError};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// The sink as a whole failed (e.g. the broker connection is gone); individual rows that could
/// not be delivered are simply left out of the `Ok` list instead.
#[derive(Debug, Error)]
#[error("{0}")]
pub struct SinkError(pub String);

/// Where outgoing messages are delivered.
#[async_trait]
pub trait Sink: Send + Sync {
    /// Delivers the rows; returns the ids of those certainly delivered (durably written,
    /// confirmed by the broker and routed to at least one queue).
    async fn deliver(&self, rows: &[OutboxRow]) -> Result<Vec<i64>, SinkError>;

    /// Delivers messages that are not outbox rows (the answers sent again for a duplicate);
    /// returns how many were certainly delivered.
    async fn deliver_again(&self, messages: &[Outgoing]) -> Result<usize, SinkError>;
}

#[derive(Debug, Error)]
pub enum PublishError {
    #[error("outbox: {0}")]
    Store(#[from] StoreError),
    #[error("outbox delivery: {0}")]
    Sink(#[from] SinkError),
}

/// One round's numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub claimed: usize,
    pub sent: usize,
}

pub struct OutboxPublisher {
    store: Arc<dyn Store>,
    sink: Arc<dyn Sink>,
    batch_size: u32,
    interval: Duration,
    wake: Arc<Notify>,
}

impl OutboxPublisher {
    pub fn new(
        store: Arc<dyn Store>,
        sink: Arc<dyn Sink>,
        batch_size: u32,
        interval: Duration,
    ) -> OutboxPublisher {
        OutboxPublisher {
            store,
            sink,
            batch_size: batch_size.max(1),
            interval,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Shares a wake-up handle (e.g. one the consumer pokes after a commit).
    pub fn with_wake(mut self, wake: Arc<Notify>) -> OutboxPublisher {
        self.wake = wake;
        self
    }

    /// Notify this to publish now instead of after the interval.
    pub fn wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// One round: claim up to a batch, deliver, mark delivered rows sent.
    pub async fn publish_once(&self) -> Result<Round, PublishError> {
        let rows = self.store.claim_outbox(i64::from(self.batch_size)).await?;
        if rows.is_empty() {
            return Ok(Round::default());
        }
        let sent = match self.sink.deliver(&rows).await {
            Ok(sent) => sent,
            Err(e) => {
                // the sink failed as a whole (e.g. the broker went away): hand the rows back so
                // the next session publishes them at once rather than after the claim timeout
                let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
                if let Err(release) = self.store.release(&ids).await {
                    tracing::warn!(error = %release, "outbox: claims not released; they expire");
                }
                return Err(e.into());
            }
        };
        if !sent.is_empty() {
            // if this fails the rows are delivered again later: at least once
            self.store.mark_sent(&sent).await?;
        }
        for row in rows.iter().filter(|r| !sent.contains(&r.id)) {
            tracing::warn!(
                outbox_id = row.id,
                routing_key = %row.message.routing_key,
                identificatie = %row.message.identificatie,
                "outbox row not delivered; it stays unsent and is retried"
            );
        }
        Ok(Round {
            claimed: rows.len(),
            sent: sent.len(),
        })
    }

    /// Publishes until cancelled, then flushes what is claimable (bounded by the caller).
    /// Returns `Err` only when the sink failed as a whole (the caller reconnects).
    pub async fn run(&self, cancel: CancellationToken) -> Result<(), SinkError> {
        loop {
            if cancel.is_cancelled() {
                break;
            }
            let full = match self.publish_once().await {
                Ok(round) => round.claimed >= self.batch_size as usize,
                Err(PublishError::Store(e)) => {
                    tracing::warn!(error = %e, "outbox: store unavailable, retrying");
                    false
                }
                Err(PublishError::Sink(e)) => return Err(e),
            };
            if full {
                continue;
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.interval) => {}
            }
        }
        self.flush().await
    }

    /// Publishes rounds until nothing is claimable.
    pub async fn flush(&self) -> Result<(), SinkError> {
        loop {
            match self.publish_once().await {
                Ok(round) if round.claimed == 0 => return Ok(()),
                Ok(_) => {}
                Err(PublishError::Store(e)) => {
                    tracing::warn!(error = %e, "outbox flush: store unavailable");
                    return Ok(());
                }
                Err(PublishError::Sink(e)) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{Handled, Incoming, Pipeline, Settings};

    struct Broken;

    #[async_trait]
    impl Sink for Broken {
        async fn deliver(&self, _: &[OutboxRow]) -> Result<Vec<i64>, SinkError> {
            Err(SinkError("connection lost".into()))
        }
        async fn deliver_again(&self, _: &[Outgoing]) -> Result<usize, SinkError> {
            Err(SinkError("connection lost".into()))
        }
    }

    /// Regression: a publisher whose sink failed kept its claims, so after a broker restart
    /// the answers waited for the claim timeout (a minute) before the next session sent them.
    #[tokio::test]
    async fn a_failed_sink_hands_its_claims_back() {
        let store: Arc<dyn Store> = Arc::new(crate::store::SqliteStore::memory().await.unwrap());
        store.migrate().await.unwrap();
        let pipeline = Pipeline::new(store.clone(), Settings { today: None });
        let handled = pipeline
            .handle(&Incoming {
                bytes: include_bytes!("../../fixtures/messages/JW315.xml").to_vec(),
                received_at: chrono::Utc::now(),
                origin: "test".into(),
            })
            .await
            .unwrap();
        assert!(matches!(handled, Handled::Stored { outgoing, .. } if outgoing > 0));
        let publisher =
            OutboxPublisher::new(store.clone(), Arc::new(Broken), 10, Duration::from_secs(1));
        assert!(matches!(
            publisher.publish_once().await,
            Err(PublishError::Sink(_))
        ));
        let again = store.claim_outbox(10).await.unwrap();
        assert!(!again.is_empty(), "the rows are claimable at once");
    }
}
