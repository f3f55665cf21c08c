//! PostgreSQL backend, for production: several daemon instances share one database. The SQL
//! it shares with SQLite is in `store/sql/`; here is what is PostgreSQL's own: the pool,
//! the advisory locks, redacted errors, the context loaded in one statement, and the outbox
//! claims.
//!
//! Serialisation: `store()` takes transaction-scoped advisory locks, first on the message's
//! (sender, kind, identificatie), then on every state key it touches (sorted); the keys are
//! keyed with the database's secret and a lock held elsewhere is waited for at most the lock
//! timeout, after which the message is retried (see [`super::locks`]). The transaction
//! runs at READ COMMITTED, so every read after the locks sees what the previous holder
//! committed; a stricter level would take its snapshot at the lock statement and miss it.

use super::codec::{self, Fields, Keys, Loaded};
use super::locks::LockKeys;
use super::sql::{self, Backend, Dialect, Earlier};
use super::{
    Batched, Counts, Decide, MessageStore, OutboxBacklog, OutboxRow, OutboxStore, Received,
    StoreError, Stored, DEFAULT_CLAIM_TIMEOUT, DEFAULT_LOCK_TIMEOUT,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{PgConnection, Postgres, Row, Transaction};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The versions of the migrations this program brings.
pub(super) fn known_migrations() -> Vec<i64> {
    MIGRATOR.iter().map(|m| m.version).collect()
}

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    claim_timeout: Duration,
    lock_timeout: Duration,
    /// Read from `lock_secret` on first use (it exists once the store is migrated).
    lock_keys: Arc<OnceCell<LockKeys>>,
}

impl PgStore {
    pub fn new(pool: PgPool) -> PgStore {
        PgStore {
            pool,
            claim_timeout: DEFAULT_CLAIM_TIMEOUT,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            lock_keys: Arc::new(OnceCell::new()),
        }
    }

    /// How long a message waits for a lock another session holds before it gives up and is
    /// retried later (default [`DEFAULT_LOCK_TIMEOUT`]).
    pub fn with_lock_timeout(mut self, timeout: Duration) -> PgStore {
        self.lock_timeout = timeout;
        self
    }

    /// The advisory-lock keys storing `received` takes, in order (for an operator looking
    /// for who holds them in `pg_locks`, and for tests).
    pub async fn message_lock_keys(&self, received: &Received) -> Result<Vec<i64>, StoreError> {
        Ok(self.lock_keys().await?.message(received))
    }

    /// The database's lock-key derivation (see [`super::locks`]).
    async fn lock_keys(&self) -> Result<&LockKeys, StoreError> {
        self.lock_keys
            .get_or_try_init(|| async {
                let secret: Vec<u8> = sqlx::query_scalar("SELECT secret FROM lock_secret")
                    .fetch_one(&self.pool)
                    .await?;
                Ok::<_, StoreError>(LockKeys::new(&secret))
            })
            .await
    }

    /// Pool size of [`PgStore::connect`].
    pub const DEFAULT_POOL_SIZE: u32 = 10;

    /// Connects a pool; does not migrate (see [`crate::store::open`]).
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        PgStore::connect_with(url, PgStore::DEFAULT_POOL_SIZE).await
    }

    /// Connects a pool of at most `pool_size` connections.
    pub async fn connect_with(url: &str, pool_size: u32) -> Result<PgStore, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        Ok(PgStore::new(connect_pool(options, pool_size).await?))
    }

    /// Connects a small pool whose sessions are read-only (`default_transaction_read_only`),
    /// for the read-only commands (see [`crate::store::open_read_only`]).
    pub async fn connect_read_only(url: &str) -> Result<PgStore, StoreError> {
        let options =
            PgConnectOptions::from_str(url)?.options([("default_transaction_read_only", "on")]);
        Ok(PgStore::new(connect_pool(options, 4).await?))
    }

    /// The migrations applied to this database (see [`crate::store::open_read_only`]).
    pub(super) async fn applied_migrations(&self) -> Result<super::schema::Applied, StoreError> {
        super::schema::applied_from(
            sqlx::query_scalar(super::schema::APPLIED)
                .fetch_all(&self.pool)
                .await,
        )
        .map_err(redact)
    }

    /// How long a claimed outbox row stays with its publisher (tests shorten it).
    pub fn with_claim_timeout(mut self, timeout: Duration) -> PgStore {
        self.claim_timeout = timeout;
        self
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Connects a pool after one plain connection: the pool retries a refused connection until
/// its acquire timeout and then reports only "pool timed out", which hides the cause (server
/// down, wrong port, unknown database, bad password). The first connection reports it as is.
async fn connect_pool(options: PgConnectOptions, size: u32) -> Result<PgPool, StoreError> {
    use sqlx::{ConnectOptions, Connection};
    let probe = options.connect().await?;
    let _ = probe.close().await;
    Ok(PgPoolOptions::new()
        .max_connections(size.max(1))
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?)
}

/// A PostgreSQL error stripped of DETAIL, HINT, WHERE and the rest: for a constraint violation
/// the detail quotes the failing row, BSN included, and errors end up in logs (`{:?}` prints
/// every field). Keeps what a caller branches or alerts on: message, SQLSTATE, constraint, table.
#[derive(Debug)]
struct Redacted {
    message: String,
    code: Option<String>,
    constraint: Option<String>,
    table: Option<String>,
    kind: ErrorKind,
}

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Redacted {}

impl DatabaseError for Redacted {
    fn message(&self) -> &str {
        &self.message
    }
    fn code(&self) -> Option<Cow<'_, str>> {
        self.code.as_deref().map(Cow::Borrowed)
    }
    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }
    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }
    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }
    fn constraint(&self) -> Option<&str> {
        self.constraint.as_deref()
    }
    fn table(&self) -> Option<&str> {
        self.table.as_deref()
    }
    fn kind(&self) -> ErrorKind {
        match self.kind {
            ErrorKind::UniqueViolation => ErrorKind::UniqueViolation,
            ErrorKind::ForeignKeyViolation => ErrorKind::ForeignKeyViolation,
            ErrorKind::NotNullViolation => ErrorKind::NotNullViolation,
            ErrorKind::CheckViolation => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

fn redact(e: StoreError) -> StoreError {
    match e {
        StoreError::Database(sqlx::Error::Database(db)) => {
            StoreError::Database(sqlx::Error::Database(Box::new(Redacted {
                message: db.message().to_string(),
                code: db.code().map(Cow::into_owned),
                constraint: db.constraint().map(str::to_string),
                table: db.table().map(str::to_string),
                kind: db.kind(),
            })))
        }
        other => other,
    }
}

/// Every part of a context in ONE statement (a round trip per part made loading the dearest
/// step of storing a message): each part is a JSON array of rows, parts whose keys are empty
/// find nothing at once. Also the earlier messages with the message's sender, kind and
/// identification ($1–$3; NULL for none), so redeliveries are found in the same round trip.
const LOAD: &str = "SELECT \
    (SELECT json_agg(m ORDER BY m.id) FROM (SELECT id, content_hash FROM messages \
        WHERE sender = $1 AND kind = $2 AND identificatie = $3) m) AS earlier, \
    (SELECT json_agg(t ORDER BY t.toewijzingsmoment, t.id) FROM toewijzingen t \
        WHERE standard = $4 AND gemeente = $5 AND agb = $6 AND bsn = ANY($7)) AS toewijzingen, \
    (SELECT json_agg(l ORDER BY l.id) FROM leveringen l \
        WHERE standard = $4 AND gemeente = $5 AND agb = $6 AND bsn = ANY($7)) AS leveringen, \
    (SELECT json_agg(v ORDER BY v.id) FROM verzoeken v \
        WHERE standard = $4 AND gemeente = $5 AND agb = $6 AND bsn = ANY($7)) AS verzoeken, \
    (SELECT json_agg(p ORDER BY p.id) FROM prestaties p \
        WHERE standard = $4 AND gemeente = $5 AND agb = $6 AND bsn = ANY($7)) AS prestaties, \
    (SELECT json_agg(json_build_object('nummer', nummer, 'bsn', bsn, 'agb', agb) \
        ORDER BY toewijzingsmoment, id) FROM toewijzingen \
        WHERE standard = $4 AND gemeente = $5 AND nummer = ANY($8)) AS owners, \
    (SELECT json_agg(v ORDER BY v.id) FROM verzoeken v \
        WHERE standard = $4 AND agb = $6 AND referentie = ANY($9)) AS verzoeken_by_ref, \
    (SELECT json_agg(a ORDER BY a.id) FROM antwoorden a \
        WHERE standard = $4 AND agb = $6 AND referentie = ANY($9)) AS antwoorden, \
    (SELECT json_agg(DISTINCT referentie_aanbieder) FROM toewijzingen \
        WHERE standard = $4 AND agb = $6 AND referentie_aanbieder = ANY($9)) AS toegewezen, \
    (SELECT json_agg(p ORDER BY p.id) FROM prestaties p WHERE standard = $4 AND agb = $6 \
        AND (referentie_nummer = ANY($10) OR vorig_referentie_nummer = ANY($10))) \
        AS prestaties_by_ref, \
    EXISTS (SELECT 1 FROM declaraties \
        WHERE standard = $4 AND agb = $6 AND nummer = $11 AND accepted) AS declaratie_nummer_used, \
    (SELECT max(periode_begin) FROM declaraties \
        WHERE standard = $4 AND agb = $6 AND gemeente = $5 AND accepted) AS last_periode, \
    $12 AND EXISTS (SELECT 1 FROM contract_imports) AS contracts_in_force, \
    (SELECT json_agg(f ORDER BY f.obligation_key) FROM timeliness_facts f \
        WHERE scope = ANY($13)) AS facts, \
    (SELECT json_agg(c ORDER BY c.fact_key) FROM cost_prestaties c \
        WHERE scope = ANY($13)) AS cost_prestaties, \
    (SELECT json_agg(c ORDER BY c.fact_key) FROM cost_toewijzingen c \
        WHERE scope = ANY($13)) AS cost_toewijzingen";

/// A JSON column decoded into `T`; SQL NULL (an empty aggregate) is `None`.
fn json_column<T: serde::de::DeserializeOwned>(
    row: &PgRow,
    col: &str,
) -> Result<Option<T>, StoreError> {
    let value: Option<sqlx::types::Json<T>> = row
        .try_get(col)
        .map_err(|e| codec::corrupt_column(col, e))?;
    Ok(value.map(|v| v.0))
}

/// A JSON array of rows (an empty aggregate is NULL: no rows), each read by `read`.
fn json_rows<T>(
    row: &PgRow,
    col: &str,
    read: impl Fn(&JsonRow) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let rows: Option<Vec<JsonRow>> = json_column(row, col)?;
    rows.unwrap_or_default().iter().map(read).collect()
}

/// One row as PostgreSQL's `to_json` writes it: text, numbers and booleans as such, dates and
/// timestamps as ISO 8601 text (timestamps with their offset), arrays as arrays.
#[derive(serde::Deserialize)]
struct JsonRow(serde_json::Map<String, serde_json::Value>);

impl JsonRow {
    fn value<T: serde::de::DeserializeOwned>(&self, col: &str) -> Result<T, StoreError> {
        let v = self.0.get(col).cloned().unwrap_or(serde_json::Value::Null);
        serde_json::from_value(v).map_err(|e| codec::corrupt_column(col, e))
    }

    fn parsed<T>(
        &self,
        col: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, StoreError> {
        let text: Option<String> = self.value(col)?;
        text.map(|t| parse(&t).map_err(|e| codec::corrupt_column(col, e)))
            .transpose()
    }

    fn required<T>(&self, col: &str, v: Option<T>) -> Result<T, StoreError> {
        v.ok_or_else(|| codec::corrupt_column(col, "unexpected null"))
    }
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| e.to_string())
}

fn parse_moment(s: &str) -> Result<NaiveDateTime, String> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").map_err(|e| e.to_string())
}

fn parse_timestamp(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| e.to_string())
}

impl Fields for JsonRow {
    fn text(&self, col: &str) -> Result<String, StoreError> {
        self.value(col)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        self.value(col)
    }
    fn int(&self, col: &str) -> Result<i64, StoreError> {
        self.value(col)
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError> {
        self.value(col)
    }
    fn flag(&self, col: &str) -> Result<bool, StoreError> {
        self.value(col)
    }
    fn opt_flag(&self, col: &str) -> Result<Option<bool>, StoreError> {
        self.value(col)
    }
    fn date(&self, col: &str) -> Result<NaiveDate, StoreError> {
        let v = self.parsed(col, parse_date)?;
        self.required(col, v)
    }
    fn opt_date(&self, col: &str) -> Result<Option<NaiveDate>, StoreError> {
        self.parsed(col, parse_date)
    }
    fn moment(&self, col: &str) -> Result<NaiveDateTime, StoreError> {
        let v = self.parsed(col, parse_moment)?;
        self.required(col, v)
    }
    fn timestamp(&self, col: &str) -> Result<DateTime<Utc>, StoreError> {
        let v = self.parsed(col, parse_timestamp)?;
        self.required(col, v)
    }
    fn opt_timestamp(&self, col: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.parsed(col, parse_timestamp)
    }
    fn codes(&self, col: &str) -> Result<Vec<String>, StoreError> {
        self.value(col)
    }
}

#[async_trait]
impl Dialect for PgConnection {
    const INSERT_MESSAGE: &'static str = "INSERT INTO messages (kind, sender, receiver, \
        identificatie, dagtekening, received_at, content_hash, raw, verdict, retour_codes) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
    const INSERT_IMPORT: &'static str =
        "INSERT INTO contract_imports (source, row_count) VALUES ($1, $2) RETURNING id";

    fn now() -> Option<DateTime<Utc>> {
        None
    }

    /// Every part in ONE statement ([`LOAD`]).
    async fn load(
        &mut self,
        keys: &Keys,
        message: Option<&Received>,
    ) -> Result<(Loaded, Earlier), StoreError> {
        let row = sqlx::query(LOAD)
            .bind(message.map(|m| &m.sender))
            .bind(message.map(|m| codec::kind_code(m.kind)))
            .bind(message.map(|m| &m.identificatie))
            .bind(keys.standard())
            .bind(&keys.gemeente)
            .bind(&keys.agb)
            .bind(&keys.bsns)
            .bind(&keys.toewijzing_nummers)
            .bind(&keys.referenties)
            .bind(&keys.referentie_nummers)
            .bind(&keys.declaratie_nummer)
            .bind(keys.contracts)
            .bind(&keys.fact_scopes)
            .fetch_one(&mut *self)
            .await?;
        let earlier = json_rows(&row, "earlier", |r| {
            Ok((r.int("id")?, r.text("content_hash")?))
        })?;
        let toegewezen: Option<Vec<String>> = json_column(&row, "toegewezen")?;
        let mut loaded = Loaded {
            toewijzingen: json_rows(&row, "toewijzingen", codec::toewijzing)?,
            leveringen: json_rows(&row, "leveringen", codec::levering)?,
            verzoeken: json_rows(&row, "verzoeken", codec::verzoek)?,
            prestaties: json_rows(&row, "prestaties", codec::prestatie)?,
            owners: json_rows(&row, "owners", sql::owner)?,
            verzoeken_by_ref: json_rows(&row, "verzoeken_by_ref", codec::verzoek)?,
            antwoorden: json_rows(&row, "antwoorden", codec::antwoord)?,
            toegewezen_referenties: toegewezen.unwrap_or_default(),
            prestaties_by_ref: json_rows(&row, "prestaties_by_ref", codec::prestatie)?,
            declaratie_nummer_used: row.flag("declaratie_nummer_used")?,
            last_declaratie_periode: row.opt_date("last_periode")?,
            facts: json_rows(&row, "facts", codec::timeliness_fact)?,
            costs: codec::StoredCosts {
                prestaties: json_rows(&row, "cost_prestaties", codec::prestatie_kosten)?,
                toewijzingen: json_rows(&row, "cost_toewijzingen", codec::toewijzing_kosten)?,
            },
            ..Loaded::default()
        };
        if row.flag("contracts_in_force")? {
            loaded.contracts = sql::contracts_in_force(self, &keys.agb).await?;
        }
        Ok((loaded, earlier))
    }
}

impl PgStore {
    /// [`MessageStore::store`], with errors as PostgreSQL reports them: waits for the
    /// message's locks (at most the lock timeout).
    async fn judge(&self, received: &Received, decide: &Decide<'_>) -> Result<Stored, StoreError> {
        let locks = self.lock_keys().await?.message(received);
        let mut tx = self.begin_write().await?;
        lock_all(&mut tx, &locks, self.lock_timeout).await?;
        sql::only(sql::judge_batch::<Self>(tx, &[(received, decide)], |_| false).await?)
    }

    /// [`MessageStore::store_batch`], with errors as PostgreSQL reports them. The batch never
    /// waits for a lock: it takes what it can of its messages' locks at once, in one round
    /// trip, and leaves out (`None`) every message whose locks another transaction holds,
    /// together with every later message that shares a lock with a left-out one (so one
    /// client's messages stay in order). Waiting for a lock while holding many would let
    /// batches queue up behind each other, and could deadlock.
    async fn judge_batch(&self, batch: &[Batched<'_>]) -> Result<Vec<Option<Stored>>, StoreError> {
        let keys = self.lock_keys().await?;
        let locks: Vec<Vec<i64>> = batch.iter().map(|(r, _)| keys.message(r)).collect();
        let mut tx = self.begin_write().await?;
        let wanted: BTreeSet<i64> = locks.iter().flatten().copied().collect();
        let held: Vec<i64> = sqlx::query_scalar(
            "SELECT k FROM unnest($1::bigint[]) AS k WHERE pg_try_advisory_xact_lock(k)",
        )
        .bind(wanted.iter().copied().collect::<Vec<i64>>())
        .fetch_all(&mut *tx)
        .await?;
        let mut busy: HashSet<i64> = wanted
            .difference(&held.into_iter().collect())
            .copied()
            .collect();
        let leave_out = |i: usize| {
            let keys = &locks[i];
            let left_out = keys.iter().any(|k| busy.contains(k));
            if left_out {
                busy.extend(keys);
            }
            left_out
        };
        sql::judge_batch::<Self>(tx, batch, leave_out).await
    }
}

/// Takes transaction-scoped advisory locks on `keys`, in the given order, in one round trip,
/// waiting at most `timeout` for each: a lock held elsewhere for longer fails the transaction
/// with `lock_not_available` (a [`StoreError::Database`]), and the message is retried later.
async fn lock_all(
    conn: &mut PgConnection,
    keys: &[i64],
    timeout: Duration,
) -> Result<(), StoreError> {
    if keys.is_empty() {
        return Ok(());
    }
    sqlx::query("SELECT ijwmo_lock_all($1, $2)")
        .bind(keys)
        .bind(format!("{}ms", timeout.as_millis().max(1)))
        .execute(conn)
        .await?;
    Ok(())
}

#[async_trait]
impl MessageStore for PgStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        // The migrator holds a session advisory lock, so instances starting together are safe.
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn store(&self, received: &Received, decide: &Decide<'_>) -> Result<Stored, StoreError> {
        self.judge(received, decide).await.map_err(redact)
    }

    async fn store_batch(&self, batch: &[Batched<'_>]) -> Result<Vec<Option<Stored>>, StoreError> {
        self.judge_batch(batch).await.map_err(redact)
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        sql::counts(&mut *self.read().await?).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sql::ping(&mut *self.read().await?).await
    }
}

#[async_trait]
impl OutboxStore for PgStore {
    async fn claim_outbox(&self, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        // The database clock decides staleness, so instances with skewed clocks agree.
        let rows = sqlx::query(
            "UPDATE outbox SET claimed_at = now() WHERE id IN ( \
                 SELECT id FROM outbox WHERE sent_at IS NULL \
                 AND (claimed_at IS NULL OR claimed_at <= now() - make_interval(secs => $2)) \
                 ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) \
             RETURNING id, kind, routing_key, identificatie, xml",
        )
        .bind(limit)
        .bind(self.claim_timeout.as_secs_f64())
        .fetch_all(&self.pool)
        .await?;
        sql::outbox_rows(rows)
    }

    async fn mark_sent(&self, ids: &[i64]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        sqlx::query("UPDATE outbox SET sent_at = now() WHERE id = ANY($1) AND sent_at IS NULL")
            .bind(ids)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn release(&self, ids: &[i64]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        sqlx::query("UPDATE outbox SET claimed_at = NULL WHERE id = ANY($1) AND sent_at IS NULL")
            .bind(ids)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn outbox_backlog(&self) -> Result<OutboxBacklog, StoreError> {
        sql::outbox_backlog(&mut *self.read().await?).await
    }
}

#[async_trait]
impl Backend for PgStore {
    type Conn = PgConnection;
    type Pooled = PoolConnection<Postgres>;
    type Tx = Transaction<'static, Postgres>;

    async fn read(&self) -> Result<PoolConnection<Postgres>, StoreError> {
        Ok(self.pool.acquire().await?)
    }

    async fn begin_write(&self) -> Result<Self::Tx, StoreError> {
        Ok(self.pool.begin().await?)
    }

    async fn commit(tx: Self::Tx) -> Result<(), StoreError> {
        Ok(tx.commit().await?)
    }

    async fn rollback(tx: Self::Tx) -> Result<(), StoreError> {
        Ok(tx.rollback().await?)
    }

    async fn lock_scope(&self, tx: &mut PgConnection, keys: &Keys) -> Result<(), StoreError> {
        let locks = self.lock_keys().await?.entities(keys);
        lock_all(tx, &locks, self.lock_timeout).await
    }

    fn redact(e: StoreError) -> StoreError {
        redact(e)
    }
}
