//! Test helpers around any `Store`: the store the tests run against, and `Instrumented`, a
//! decorator that injects failures and delays, records what was received, and adds known
//! outgoing messages to every outcome — so transport tests do not depend on which store or
//! which rules are compiled in.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use ijwmo::contracts::ContractSet;
use ijwmo::facts::engine::ClientKey;
use ijwmo::facts::TimelinessFact;
use ijwmo::pipeline::{Pipeline, Settings};
use ijwmo::state::{Context, ContextKeys, Outgoing};
use ijwmo::store::{
    Batched, ContractStore, CostFacts, Counts, Decide, DeriveFacts, FactStore, MessageStore,
    OutboxBacklog, OutboxRow, OutboxStore, Received, Store, StoreError, Stored, StoredContracts,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The store every transport test runs against: the real SQLite backend, in memory.
pub async fn test_store() -> Arc<dyn Store> {
    ijwmo::store::open("sqlite::memory:")
        .await
        .expect("in-memory SQLite store")
}

/// What the decorator saw of one stored message (never the BSN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub kind: String,
    pub sender: String,
    pub identificatie: String,
    pub received_at: DateTime<Utc>,
}

type Extra = dyn Fn(&Received) -> Vec<Outgoing> + Send + Sync;

/// Wraps a store (see the module doc).
pub struct Instrumented {
    inner: Arc<dyn Store>,
    fail_next: AtomicUsize,
    panic_next: AtomicUsize,
    attempts: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    delay: Mutex<Option<Duration>>,
    extra: Option<Box<Extra>>,
    seen: Mutex<Vec<Seen>>,
}

impl Instrumented {
    pub fn new(inner: Arc<dyn Store>) -> Instrumented {
        Instrumented {
            inner,
            fail_next: AtomicUsize::new(0),
            panic_next: AtomicUsize::new(0),
            attempts: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            delay: Mutex::new(None),
            extra: None,
            seen: Mutex::new(Vec::new()),
        }
    }

    /// Every stored message also yields these outgoing messages.
    pub fn with_outgoing(
        mut self,
        f: impl Fn(&Received) -> Vec<Outgoing> + Send + Sync + 'static,
    ) -> Instrumented {
        self.extra = Some(Box::new(f));
        self
    }

    /// The next `n` calls of `store` fail as if the database were unreachable.
    pub fn fail_next(&self, n: usize) {
        self.fail_next.store(n, Ordering::SeqCst);
    }

    /// The next `n` calls of `store` panic (a bug in the store or the rules).
    pub fn panic_next(&self, n: usize) {
        self.panic_next.store(n, Ordering::SeqCst);
    }

    /// Every `store` call waits this long before storing.
    pub fn set_delay(&self, d: Option<Duration>) {
        *self.delay.lock().unwrap() = d;
    }

    /// Calls of `store`, failed ones included.
    pub fn attempts(&self) -> usize {
        self.attempts.load(Ordering::SeqCst)
    }

    /// The most `store` calls that were running at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// One forward of the message itself to its receiver: routing key
/// `gemeente.<Ontvanger>.<kind>`, identification `ECHO-<Identificatie>`.
pub fn echo(r: &Received) -> Vec<Outgoing> {
    vec![Outgoing {
        kind: r.kind,
        routing_key: Outgoing::routing_key_gemeente(&r.receiver, r.kind),
        identificatie: format!("ECHO-{}", r.identificatie),
        xml: String::from_utf8_lossy(&r.raw).into_owned(),
    }]
}

#[async_trait]
impl MessageStore for Instrumented {
    async fn migrate(&self) -> Result<(), StoreError> {
        self.inner.migrate().await
    }

    async fn store(&self, received: &Received, decide: &Decide<'_>) -> Result<Stored, StoreError> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let result = self.store_inner(received, decide).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        result
    }

    /// Leaves every message out (as a batch whose state is busy would), so the caller stores
    /// each through [`Instrumented::store`], where the failures, delays and extra messages are.
    async fn store_batch(&self, batch: &[Batched<'_>]) -> Result<Vec<Option<Stored>>, StoreError> {
        Ok(batch.iter().map(|_| None).collect())
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        self.inner.counts().await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
}

#[async_trait]
impl OutboxStore for Instrumented {
    async fn claim_outbox(&self, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        self.inner.claim_outbox(limit).await
    }

    async fn mark_sent(&self, ids: &[i64]) -> Result<(), StoreError> {
        self.inner.mark_sent(ids).await
    }

    async fn release(&self, ids: &[i64]) -> Result<(), StoreError> {
        self.inner.release(ids).await
    }

    async fn outbox_backlog(&self) -> Result<OutboxBacklog, StoreError> {
        self.inner.outbox_backlog().await
    }
}

#[async_trait]
impl ContractStore for Instrumented {
    async fn replace_contracts(&self, set: &ContractSet, source: &str) -> Result<(), StoreError> {
        self.inner.replace_contracts(set, source).await
    }

    async fn contracts(&self) -> Result<StoredContracts, StoreError> {
        self.inner.contracts().await
    }
}

#[async_trait]
impl FactStore for Instrumented {
    async fn timeliness_facts(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<TimelinessFact>, StoreError> {
        self.inner.timeliness_facts(from, to).await
    }

    async fn cost_facts(&self) -> Result<CostFacts, StoreError> {
        self.inner.cost_facts().await
    }

    async fn active_clients(&self) -> Result<Vec<ClientKey>, StoreError> {
        self.inner.active_clients().await
    }

    async fn refresh_facts(
        &self,
        keys: &ContextKeys,
        derive: &DeriveFacts<'_>,
    ) -> Result<(), StoreError> {
        self.inner.refresh_facts(keys, derive).await
    }

    async fn mark_overdue(&self, as_of: NaiveDate) -> Result<u64, StoreError> {
        self.inner.mark_overdue(as_of).await
    }
}

impl Instrumented {
    async fn store_inner(
        &self,
        received: &Received,
        decide: &Decide<'_>,
    ) -> Result<Stored, StoreError> {
        let panicking = self
            .panic_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if panicking {
            panic!("injected panic");
        }
        let failing = self
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Err(StoreError::Database(sqlx::Error::PoolTimedOut));
        }
        let delay = *self.delay.lock().unwrap();
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
        let extra = self.extra.as_ref().map(|f| f(received)).unwrap_or_default();
        let wrapped = move |ctx: &Context| {
            let mut outcome = decide(ctx);
            outcome.outgoing.extend(extra.iter().cloned());
            outcome
        };
        let stored = self.inner.store(received, &wrapped).await?;
        if matches!(stored, Stored::New { .. }) {
            self.seen.lock().unwrap().push(Seen {
                kind: received.kind.to_string(),
                sender: received.sender.clone(),
                identificatie: received.identificatie.clone(),
                received_at: received.received_at,
            });
        }
        Ok(stored)
    }
}

/// A pipeline over an instrumented test store that echoes every stored message.
pub async fn echo_pipeline() -> (Arc<Pipeline>, Arc<Instrumented>) {
    let store = Arc::new(Instrumented::new(test_store().await).with_outgoing(echo));
    let pipeline = Arc::new(Pipeline::new(store.clone(), Settings { today: None }));
    (pipeline, store)
}

/// A fixture's bytes.
pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/{name}", super::FIXTURES)).expect("fixture")
}

/// The fixture with another BerichtIdentificatie, i.e. a different message.
pub fn fixture_with_id(name: &str, old: &str, new: &str) -> Vec<u8> {
    let text = String::from_utf8(fixture(name)).expect("UTF-8");
    assert!(text.contains(old), "{name} has no {old}");
    text.replace(old, new).into_bytes()
}

/// Awaits `f` for at most `secs` seconds; panics with `what` on timeout.
pub async fn within<T>(secs: u64, what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .unwrap_or_else(|_| panic!("timed out after {secs}s: {what}"))
}

/// Polls `check` every 50 ms until it returns `Some`, for at most `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    within(secs, what, async {
        loop {
            if let Some(v) = check().await {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
}

/// Shows the service's logs when `TEST_LOG` is set (`TEST_LOG=debug cargo test … -- --nocapture`).
pub fn init_logs() {
    if let Ok(filter) = std::env::var("TEST_LOG") {
        let filter = if filter == "1" { "info".into() } else { filter };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
}
