//! Storage behind one trait: PostgreSQL for production, SQLite for the embedded default. Both
//! keep the message log (with the raw message), the lifecycle state, and the outbox, and both
//! pass the same test suite.

mod codec;
pub mod postgres;
pub mod sqlite;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use crate::contracts::ContractSet;
use crate::facts::engine::ClientKey;
use crate::facts::{FactSet, PrestatieKosten, TimelinessFact, ToewijzingKosten};
use crate::message::kind::MessageKind;
use crate::state::{Context, ContextKeys, Outcome, Outgoing};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

/// How long a claimed outbox row stays with its publisher before another may take it.
pub const DEFAULT_CLAIM_TIMEOUT: Duration = Duration::from_secs(60);

/// Choices about a store that are not part of its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// See [`DEFAULT_CLAIM_TIMEOUT`].
    pub claim_timeout: Duration,
    /// Most connections a PostgreSQL pool opens: at least one per message processed at once,
    /// plus the outbox publisher's (see [`PgStore::DEFAULT_POOL_SIZE`]).
    pub pool_size: u32,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            claim_timeout: DEFAULT_CLAIM_TIMEOUT,
            pool_size: PgStore::DEFAULT_POOL_SIZE,
        }
    }
}

/// Opens the store a URL names and brings its schema up to date: `sqlite://PATH` or
/// `sqlite:PATH` (the file is created if missing), `sqlite::memory:` (gone when the store is
/// dropped), or `postgres://…` / `postgresql://…`.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    open_with(url, &StoreOptions::default()).await
}

/// [`open`] with options.
pub async fn open_with(url: &str, options: &StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    let claim = options.claim_timeout;
    let store: Arc<dyn Store> = if url == "sqlite::memory:" || url == "sqlite://:memory:" {
        Arc::new(SqliteStore::memory().await?.with_claim_timeout(claim))
    } else if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        Arc::new(SqliteStore::open(path).await?.with_claim_timeout(claim))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(
            PgStore::connect_with(url, options.pool_size)
                .await?
                .with_claim_timeout(claim),
        )
    } else {
        // Only the scheme: the rest of a URL may hold a password.
        let scheme = url.split(':').next().unwrap_or_default();
        return Err(StoreError::Database(sqlx::Error::Configuration(
            format!(
                "unsupported store URL scheme {scheme:?} (use sqlite://PATH, sqlite::memory: or postgres://…)"
            )
            .into(),
        )));
    };
    store.migrate().await?;
    Ok(store)
}

#[derive(Debug, Error)]
pub enum StoreError {
    /// The database is unreachable or failed; the message must be retried later, not rejected.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// Stored data that cannot be read back (a bug or a hand-edited database).
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// This store does not keep what was asked for (e.g. a test double without facts).
    #[error("this store does not support {0}")]
    Unsupported(&'static str),
}

/// The contract set in force, with when and from where it was imported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredContracts {
    /// None when no set was ever imported.
    pub imported_at: Option<DateTime<Utc>>,
    pub source: Option<String>,
    pub set: ContractSet,
}

/// An identified, schema-valid message about to be judged and stored.
#[derive(Debug, Clone)]
pub struct Received {
    pub kind: MessageKind,
    /// Header Afzender and Ontvanger.
    pub sender: String,
    pub receiver: String,
    pub identificatie: String,
    pub dagtekening: NaiveDate,
    /// When the message reached the region (drives every deadline).
    pub received_at: DateTime<Utc>,
    /// SHA-256 of the raw bytes, hex.
    pub content_hash: String,
    pub raw: Vec<u8>,
    /// The stored state the rules need.
    pub keys: ContextKeys,
}

/// What storing a message came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// Judged and stored; its outgoing messages are in the outbox.
    New { message_id: i64, outcome: Outcome },
    /// The same message (sender, kind, identification and content) was stored before: nothing
    /// changed; here is what was sent in answer then.
    Duplicate {
        message_id: i64,
        answers: Vec<Outgoing>,
    },
}

/// An outbox row waiting to be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub message: Outgoing,
}

/// Row counts, for tests and the operator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub messages: i64,
    pub toewijzingen: i64,
    pub leveringen: i64,
    pub verzoeken: i64,
    pub antwoorden: i64,
    pub declaraties: i64,
    pub prestaties: i64,
    pub outbox: i64,
    pub outbox_unsent: i64,
}

/// The unsent part of the outbox, for the operator's metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxBacklog {
    pub unsent: i64,
    /// When the oldest unsent row was written (None: nothing waits).
    pub oldest: Option<DateTime<Utc>>,
}

/// The rules' decision for one message given its stored context. Pure: no I/O.
pub type Decide<'a> = dyn Fn(&Context) -> Outcome + Send + Sync + 'a;

/// One message of a batch with the decision for it (see [`Store::store_batch`]).
pub type Batched<'a> = (&'a Received, &'a Decide<'a>);

/// Re-derives fact scopes from a loaded context (the sweep). Pure: no I/O.
pub type DeriveFacts<'a> = dyn Fn(&Context) -> Vec<FactSet> + Send + Sync + 'a;

/// The cost fact rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CostFacts {
    pub prestaties: Vec<PrestatieKosten>,
    pub toewijzingen: Vec<ToewijzingKosten>,
}

#[async_trait]
pub trait Store: Send + Sync {
    /// Creates or upgrades the schema.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// In ONE transaction: detect a redelivery (same sender, kind, identification and content
    /// hash → [`Stored::Duplicate`], nothing written); otherwise serialise on the client (so
    /// competing instances never judge one client's messages concurrently), load the context for
    /// `received.keys`, call `decide`, and write the message log entry, the state changes and
    /// the outgoing messages. Nothing is visible before the commit.
    async fn store(&self, received: &Received, decide: &Decide<'_>) -> Result<Stored, StoreError>;

    /// Stores several messages in ONE transaction (one commit instead of one per message),
    /// each judged as [`Store::store`] would, one after the other in the given order, so a
    /// message sees what the ones before it in the batch wrote (two messages of one client are
    /// judged in order). All or nothing: `Ok` holds one entry per message, and every `Some` is
    /// committed; `None` is a message the batch left out (its state was busy in another
    /// transaction, or it shares state with one left out), which the caller stores on its own
    /// afterwards, in order. `Err`, or a panic in a `decide`, means none of them was stored,
    /// and the caller stores them one by one so that one bad message cannot hold back the
    /// others. The default, for stores without batches, returns [`StoreError::Unsupported`].
    async fn store_batch(&self, batch: &[Batched<'_>]) -> Result<Vec<Option<Stored>>, StoreError> {
        let _ = batch;
        Err(StoreError::Unsupported("batches"))
    }

    /// Claims up to `limit` unsent outbox rows for publishing. Claims older than a minute are
    /// handed out again (their publisher died), so every row is published at least once.
    async fn claim_outbox(&self, limit: i64) -> Result<Vec<OutboxRow>, StoreError>;

    /// Marks published rows as sent.
    async fn mark_sent(&self, ids: &[i64]) -> Result<(), StoreError>;

    /// Gives up the claim on rows that were not sent (their publisher failed), so any
    /// publisher may take them at once instead of after the claim timeout. Sent rows are left
    /// alone. Best effort: a store without it leaves the rows to the claim timeout.
    async fn release(&self, ids: &[i64]) -> Result<(), StoreError> {
        let _ = ids;
        Ok(())
    }

    async fn counts(&self) -> Result<Counts, StoreError>;

    /// Answers when the database does (readiness checks): one trivial round trip.
    async fn ping(&self) -> Result<(), StoreError> {
        self.counts().await.map(|_| ())
    }

    /// How many outbox rows wait to be sent, and since when the oldest waits.
    async fn outbox_backlog(&self) -> Result<OutboxBacklog, StoreError> {
        Err(StoreError::Unsupported("outbox backlog"))
    }

    /// Replaces the contract set in force by `set`, in one transaction: a message judged at the
    /// same time sees either the old set or the new one, never a mix. `source` names the file.
    async fn replace_contracts(&self, set: &ContractSet, source: &str) -> Result<(), StoreError> {
        let _ = (set, source);
        Err(StoreError::Unsupported("contracts"))
    }

    /// The contract set in force.
    async fn contracts(&self) -> Result<StoredContracts, StoreError> {
        Err(StoreError::Unsupported("contracts"))
    }

    /// Timeliness facts due in [from, to] (either end open), ordered by key.
    async fn timeliness_facts(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<TimelinessFact>, StoreError> {
        let _ = (from, to);
        Err(StoreError::Unsupported("facts"))
    }

    /// Every cost fact, ordered by key.
    async fn cost_facts(&self) -> Result<CostFacts, StoreError> {
        Err(StoreError::Unsupported("facts"))
    }

    /// The clients with a running delivery (a start neither deleted nor stopped): the scopes
    /// whose facts change with time alone (a new month of care is owed a declaration).
    async fn active_clients(&self) -> Result<Vec<ClientKey>, StoreError> {
        Err(StoreError::Unsupported("facts"))
    }

    /// In one transaction, serialised with the messages of the same client: loads the context
    /// `keys` name, derives fact sets from it and writes them (each replaces its scope).
    async fn refresh_facts(
        &self,
        keys: &ContextKeys,
        derive: &DeriveFacts<'_>,
    ) -> Result<(), StoreError> {
        let _ = (keys, derive);
        Err(StoreError::Unsupported("facts"))
    }

    /// Marks every unmet obligation due before `as_of` overdue; returns how many changed.
    async fn mark_overdue(&self, as_of: NaiveDate) -> Result<u64, StoreError> {
        let _ = as_of;
        Err(StoreError::Unsupported("facts"))
    }
}
