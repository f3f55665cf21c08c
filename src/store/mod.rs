//! Storage: PostgreSQL for production, SQLite for the embedded default. Both keep the message
//! log (with the raw message), the lifecycle state, the outbox, the contracts and the facts,
//! and both pass the same test suite. A store is four capabilities ([`MessageStore`],
//! [`OutboxStore`], [`ContractStore`], [`FactStore`]; [`Store`] is all of them), which every
//! backend implements. The SQL the backends share is written once in `sql/`; `postgres.rs`
//! and `sqlite.rs` hold each one's dialect and serialisation.

mod codec;
mod locks;
pub mod postgres;
mod schema;
mod sql;
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

/// How long storing a message waits for a PostgreSQL advisory lock that another session holds
/// before it gives up; the message is then retried, never failed. Judging one message holds
/// its locks for milliseconds, so only a stuck or hostile session is cut off.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// Choices about a store that are not part of its URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// See [`DEFAULT_CLAIM_TIMEOUT`].
    pub claim_timeout: Duration,
    /// Most connections a PostgreSQL pool opens: at least one per message processed at once,
    /// plus the outbox publisher's (see [`PgStore::DEFAULT_POOL_SIZE`]).
    pub pool_size: u32,
    /// See [`DEFAULT_LOCK_TIMEOUT`] (PostgreSQL only).
    pub lock_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            claim_timeout: DEFAULT_CLAIM_TIMEOUT,
            pool_size: PgStore::DEFAULT_POOL_SIZE,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
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
                .with_claim_timeout(claim)
                .with_lock_timeout(options.lock_timeout),
        )
    } else {
        return Err(unsupported_scheme(url));
    };
    store.migrate().await?;
    Ok(store)
}

/// Opens an EXISTING store for reading, for the read-only commands (`stats`, `contracts list`,
/// `dashboard`): it never creates a SQLite file, folder or database and never migrates, so it
/// works as a PostgreSQL role with `ijwmo_analyst` alone. It checks that every migration this
/// program knows is applied (a newer database is fine) and fails with
/// [`StoreError::Missing`], [`StoreError::Outdated`], [`StoreError::SchemaUnreadable`] or
/// [`StoreError::Unreachable`], each naming the URL (password redacted) and the first three
/// what to do. SQLite opens the file read-only;
/// PostgreSQL sessions run with `default_transaction_read_only`. `sqlite::memory:` is always
/// missing (a new in-memory database is empty).
pub async fn open_read_only(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let shown = crate::config::redact_url(url);
    let missing = || StoreError::Missing { url: shown.clone() };
    let (store, applied, known): (Arc<dyn Store>, _, _) =
        if url == "sqlite::memory:" || url == "sqlite://:memory:" {
            return Err(missing());
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if !std::path::Path::new(path).is_file() {
                return Err(missing());
            }
            let store = SqliteStore::open_existing(path)
                .await
                .map_err(|e| unreachable(&shown, e))?;
            let applied = store.applied_migrations().await?;
            (Arc::new(store), applied, sqlite::known_migrations())
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let store = match PgStore::connect_read_only(url).await {
                Err(e) if schema::is_missing_database(&e) => return Err(missing()),
                other => other.map_err(|e| unreachable(&shown, e))?,
            };
            let applied = store.applied_migrations().await?;
            (Arc::new(store), applied, postgres::known_migrations())
        } else {
            return Err(unsupported_scheme(url));
        };
    schema::check(&shown, applied, &known)?;
    Ok(store)
}

/// A store that could not be opened, with the (redacted) URL beside the cause.
fn unreachable(shown: &str, e: StoreError) -> StoreError {
    StoreError::Unreachable {
        url: shown.to_string(),
        reason: match e {
            StoreError::Database(e) => e.to_string(),
            other => other.to_string(),
        },
    }
}

fn unsupported_scheme(url: &str) -> StoreError {
    // Only the scheme: the rest of a URL may hold a password.
    let scheme = url.split(':').next().unwrap_or_default();
    StoreError::Database(sqlx::Error::Configuration(
        format!(
            "unsupported store URL scheme {scheme:?} (use sqlite://PATH, sqlite::memory: or postgres://…)"
        )
        .into(),
    ))
}

/// What to do about a missing or old store, in the read-only commands' errors.
const READ_ONLY_HINT: &str =
    "create or upgrade it with `ijwmo migrate --store-url URL` (as a role that may change \
     the schema), or read the demo's store with `--store-url sqlite://ijwmo-demo/ijwmo.db`";

#[derive(Debug, Error)]
pub enum StoreError {
    /// A read-only store could not be opened (server down, access refused, not a database).
    #[error("cannot open the store at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// A read-only command was pointed at a store that does not exist; nothing was created.
    #[error("no ijwmo store at {url}: {READ_ONLY_HINT}")]
    Missing { url: String },
    /// The store exists but lacks migrations this program needs (`applied`: the newest one it
    /// has, None when it has no ijwmo schema at all).
    #[error(
        "the store at {url} {}, this ijwmo needs schema version {needed}: {READ_ONLY_HINT}",
        match applied { Some(v) => format!("has schema version {v}"), None => "has no ijwmo schema".to_string() }
    )]
    Outdated {
        url: String,
        applied: Option<i64>,
        needed: i64,
    },
    /// The schema version cannot be read (e.g. the role may not read it: the grants come with
    /// a migration, so the schema is older than this program's).
    #[error("cannot read the schema version of the store at {url} ({reason}): {READ_ONLY_HINT}")]
    SchemaUnreadable { url: String, reason: String },
    /// The database is unreachable or failed; the message must be retried later, not rejected.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// Stored data that cannot be read back (a bug or a hand-edited database).
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
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

/// One message of a batch with the decision for it (see [`MessageStore::store_batch`]).
pub type Batched<'a> = (&'a Received, &'a Decide<'a>);

/// Re-derives fact scopes from a loaded context (the sweep). Pure: no I/O.
pub type DeriveFacts<'a> = dyn Fn(&Context) -> Vec<FactSet> + Send + Sync + 'a;

/// The cost fact rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CostFacts {
    pub prestaties: Vec<PrestatieKosten>,
    pub toewijzingen: Vec<ToewijzingKosten>,
}

/// Storing messages: the message log and the lifecycle state the rules judge against.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Creates or upgrades the schema.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// In ONE transaction: detect a redelivery (same sender, kind, identification and content
    /// hash → [`Stored::Duplicate`], nothing written); otherwise serialise on the client (so
    /// competing instances never judge one client's messages concurrently), load the context for
    /// `received.keys`, call `decide`, and write the message log entry, the state changes and
    /// the outgoing messages. Nothing is visible before the commit.
    async fn store(&self, received: &Received, decide: &Decide<'_>) -> Result<Stored, StoreError>;

    /// Stores several messages in ONE transaction (one commit instead of one per message),
    /// each judged as [`MessageStore::store`] would, one after the other in the given order, so
    /// a message sees what the ones before it in the batch wrote (two messages of one client
    /// are judged in order). All or nothing: `Ok` holds one entry per message, and every `Some`
    /// is committed; `None` is a message the batch left out (its state was busy in another
    /// transaction, or it shares state with one left out), which the caller stores on its own
    /// afterwards, in order. `Err`, or a panic in a `decide`, means none of them was stored,
    /// and the caller stores them one by one so that one bad message cannot hold back the
    /// others.
    async fn store_batch(&self, batch: &[Batched<'_>]) -> Result<Vec<Option<Stored>>, StoreError>;

    async fn counts(&self) -> Result<Counts, StoreError>;

    /// Answers when the database does (readiness checks): one trivial round trip.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// The outbox: the answers waiting to be published, at least once each.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Claims up to `limit` unsent outbox rows for publishing. Claims older than the claim
    /// timeout are handed out again (their publisher died), so every row is published at
    /// least once.
    async fn claim_outbox(&self, limit: i64) -> Result<Vec<OutboxRow>, StoreError>;

    /// Marks published rows as sent.
    async fn mark_sent(&self, ids: &[i64]) -> Result<(), StoreError>;

    /// Gives up the claim on rows that were not sent (their publisher failed), so any
    /// publisher may take them at once instead of after the claim timeout. Sent rows are left
    /// alone.
    async fn release(&self, ids: &[i64]) -> Result<(), StoreError>;

    /// How many outbox rows wait to be sent, and since when the oldest waits.
    async fn outbox_backlog(&self) -> Result<OutboxBacklog, StoreError>;
}

/// The contract set the rules check declarations and allocations against.
#[async_trait]
pub trait ContractStore: Send + Sync {
    /// Replaces the contract set in force by `set`, in one transaction: a message judged at the
    /// same time sees either the old set or the new one, never a mix. `source` names the file.
    async fn replace_contracts(&self, set: &ContractSet, source: &str) -> Result<(), StoreError>;

    /// The contract set in force.
    async fn contracts(&self) -> Result<StoredContracts, StoreError>;
}

/// The fact tables (timeliness and cost) the dashboard and the API read.
#[async_trait]
pub trait FactStore: Send + Sync {
    /// Timeliness facts due in [from, to] (either end open), ordered by key.
    async fn timeliness_facts(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<TimelinessFact>, StoreError>;

    /// Every cost fact, ordered by key.
    async fn cost_facts(&self) -> Result<CostFacts, StoreError>;

    /// The clients with a running delivery (a start neither deleted nor stopped): the scopes
    /// whose facts change with time alone (a new month of care is owed a declaration).
    async fn active_clients(&self) -> Result<Vec<ClientKey>, StoreError>;

    /// In one transaction, serialised with the messages of the same client: loads the context
    /// `keys` name, derives fact sets from it and writes them (each replaces its scope).
    async fn refresh_facts(
        &self,
        keys: &ContextKeys,
        derive: &DeriveFacts<'_>,
    ) -> Result<(), StoreError>;

    /// Marks every unmet obligation due before `as_of` overdue; returns how many changed.
    async fn mark_overdue(&self, as_of: NaiveDate) -> Result<u64, StoreError>;
}

/// A whole store: every backend keeps every capability, so callers hold one handle
/// (`Arc<dyn Store>`) and test doubles wrap a real store.
pub trait Store: MessageStore + OutboxStore + ContractStore + FactStore {}

impl<T: MessageStore + OutboxStore + ContractStore + FactStore + ?Sized> Store for T {}
