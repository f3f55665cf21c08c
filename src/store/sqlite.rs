//! SQLite backend, the embedded default: one file (or memory), one process. The SQL it shares
//! with PostgreSQL is in `store/sql/`; here is what is SQLite's own: opening the file, the
//! write lock, the context loaded a query per part, and the outbox claims.
//!
//! Serialisation: every writing transaction starts with `BEGIN IMMEDIATE`, which takes SQLite's
//! single write lock up front, so a message is judged against state no other writer can change
//! before it commits (a deferred BEGIN reads first and may fail to upgrade to a writer later).
//! Representation (see the migration): dates ISO TEXT, timestamps RFC 3339 TEXT in UTC with six
//! fraction digits so text order is time order (`Stamp` in `store/sql/binding.rs`), retour-code lists as
//! JSON arrays, and lists bound into queries as JSON (`IN (SELECT value FROM json_each(?))`).

use super::codec::{self, Fields, Keys, Loaded};
use super::sql::{self, Backend, Conn, Dialect, Earlier, Stamp, Stmt};
use super::{
    Batched, Counts, Decide, MessageStore, OutboxBacklog, OutboxRow, OutboxStore, Received,
    StoreError, Stored, DEFAULT_CLAIM_TIMEOUT,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use sqlx::migrate::Migrator;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Sqlite, SqliteConnection, Transaction};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// The versions of the migrations this program brings.
pub(super) fn known_migrations() -> Vec<i64> {
    MIGRATOR.iter().map(|m| m.version).collect()
}

/// How long a writer waits for SQLite's write lock before giving up (the message is retried).
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    claim_timeout: Duration,
}

impl SqliteStore {
    /// Opens (creating if missing) a database file; does not migrate (see
    /// [`crate::store::open`]). WAL lets readers work beside the writer; `synchronous = FULL`
    /// because a transport acknowledges as soon as the commit returns.
    pub async fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        // the embedded default lives in ./ijwmo-data/: create the folder on first use
        if let Some(dir) = path.as_ref().parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        Ok(SqliteStore::new(pool))
    }

    /// Opens an existing database file read-only, for the read-only commands: never creates
    /// the file or its folder, never changes the journal mode (see
    /// [`crate::store::open_read_only`]).
    pub async fn open_existing(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(false)
            .read_only(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        Ok(SqliteStore::new(pool))
    }

    /// The migrations applied to this database (see [`crate::store::open_read_only`]).
    pub(super) async fn applied_migrations(&self) -> Result<super::schema::Applied, StoreError> {
        super::schema::applied_from(
            sqlx::query_scalar(super::schema::APPLIED)
                .fetch_all(&self.pool)
                .await,
        )
    }

    /// A private in-memory database. It lives in its one connection, so the pool keeps exactly
    /// that connection open for as long as the store exists.
    pub async fn memory() -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .min_connections(1)
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        Ok(SqliteStore::new(pool))
    }

    pub fn new(pool: SqlitePool) -> SqliteStore {
        SqliteStore {
            pool,
            claim_timeout: DEFAULT_CLAIM_TIMEOUT,
        }
    }

    /// How long a claimed outbox row stays with its publisher (tests shorten it).
    pub fn with_claim_timeout(mut self, timeout: Duration) -> SqliteStore {
        self.claim_timeout = timeout;
        self
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// A list bound into a query, as JSON (`IN (SELECT value FROM json_each($n))`).
fn json<T: Into<serde_json::Value>>(v: T) -> String {
    v.into().to_string()
}

/// One client's rows of `table` at one provider in one gemeente and domain.
fn of_clients<'a>(table: &str, order: &str, keys: &'a Keys, bsns: &'a str) -> Stmt<'a> {
    Stmt::new(format!(
        "SELECT * FROM {table} WHERE standard = $1 AND gemeente = $2 AND agb = $3 \
         AND bsn IN (SELECT value FROM json_each($4)) ORDER BY {order}"
    ))
    .bind(keys.standard())
    .bind(&keys.gemeente)
    .bind(&keys.agb)
    .bind(bsns)
}

#[async_trait]
impl Dialect for SqliteConnection {
    const INSERT_MESSAGE: &'static str = "INSERT INTO messages (kind, sender, receiver, \
        identificatie, dagtekening, received_at, content_hash, raw, verdict, retour_codes, \
        stored_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
    const INSERT_IMPORT: &'static str = "INSERT INTO contract_imports (source, row_count, \
        imported_at) VALUES ($1, $2, $3) RETURNING id";

    fn now() -> Option<DateTime<Utc>> {
        Some(Utc::now())
    }

    /// A query per part, parts whose keys are empty skipped; nothing when the message is a
    /// redelivery.
    async fn load(
        &mut self,
        keys: &Keys,
        message: Option<&Received>,
    ) -> Result<(Loaded, Earlier), StoreError> {
        let mut earlier = Vec::new();
        if let Some(m) = message {
            let rows = Stmt::new(
                "SELECT id, content_hash FROM messages \
                 WHERE sender = $1 AND kind = $2 AND identificatie = $3 ORDER BY id",
            )
            .bind(&m.sender)
            .bind(codec::kind_code(m.kind))
            .bind(&m.identificatie);
            earlier = sql::all(self.fetch_all(rows).await?, |r| {
                Ok((r.int("id")?, r.text("content_hash")?))
            })?;
            if earlier.iter().any(|(_, hash)| *hash == m.content_hash) {
                return Ok((Loaded::default(), earlier));
            }
        }
        let s = keys.standard();
        let mut loaded = Loaded::default();
        if !keys.bsns.is_empty() {
            let bsns = json(keys.bsns.clone());
            let rows = of_clients("toewijzingen", "toewijzingsmoment, id", keys, &bsns);
            loaded.toewijzingen = sql::all(self.fetch_all(rows).await?, codec::toewijzing)?;
            let rows = of_clients("leveringen", "id", keys, &bsns);
            loaded.leveringen = sql::all(self.fetch_all(rows).await?, codec::levering)?;
            let rows = of_clients("verzoeken", "id", keys, &bsns);
            loaded.verzoeken = sql::all(self.fetch_all(rows).await?, codec::verzoek)?;
            let rows = of_clients("prestaties", "id", keys, &bsns);
            loaded.prestaties = sql::all(self.fetch_all(rows).await?, codec::prestatie)?;
        }
        if !keys.toewijzing_nummers.is_empty() {
            // Any client, any provider: the number is unique per gemeente and domain.
            let rows = Stmt::new(
                "SELECT nummer, bsn, agb FROM toewijzingen \
                 WHERE standard = $1 AND gemeente = $2 \
                 AND nummer IN (SELECT value FROM json_each($3)) \
                 ORDER BY toewijzingsmoment, id",
            )
            .bind(s)
            .bind(&keys.gemeente)
            .bind(json(keys.toewijzing_nummers.clone()));
            loaded.owners = sql::all(self.fetch_all(rows).await?, sql::owner)?;
        }
        if !keys.referenties.is_empty() {
            let refs = json(keys.referenties.clone());
            let by_ref = |sql: &'static str| Stmt::new(sql).bind(s).bind(&keys.agb);
            let rows = by_ref(
                "SELECT * FROM verzoeken WHERE standard = $1 AND agb = $2 \
                 AND referentie IN (SELECT value FROM json_each($3)) ORDER BY id",
            );
            let rows = self.fetch_all(rows.bind(refs.as_str())).await?;
            loaded.verzoeken_by_ref = sql::all(rows, codec::verzoek)?;
            let rows = by_ref(
                "SELECT * FROM antwoorden WHERE standard = $1 AND agb = $2 \
                 AND referentie IN (SELECT value FROM json_each($3)) ORDER BY id",
            );
            let rows = self.fetch_all(rows.bind(refs.as_str())).await?;
            loaded.antwoorden = sql::all(rows, codec::antwoord)?;
            let rows = by_ref(
                "SELECT DISTINCT referentie_aanbieder FROM toewijzingen \
                 WHERE standard = $1 AND agb = $2 \
                 AND referentie_aanbieder IN (SELECT value FROM json_each($3))",
            );
            let rows = self.fetch_all(rows.bind(refs.as_str())).await?;
            loaded.toegewezen_referenties = sql::all(rows, |r| r.text("referentie_aanbieder"))?;
        }
        if !keys.referentie_nummers.is_empty() {
            let rows = Stmt::new(
                "SELECT * FROM prestaties WHERE standard = $1 AND agb = $2 \
                 AND (referentie_nummer IN (SELECT value FROM json_each($3)) \
                      OR vorig_referentie_nummer IN (SELECT value FROM json_each($3))) \
                 ORDER BY id",
            )
            .bind(s)
            .bind(&keys.agb)
            .bind(json(keys.referentie_nummers.clone()));
            loaded.prestaties_by_ref = sql::all(self.fetch_all(rows).await?, codec::prestatie)?;
        }
        if let Some(nummer) = &keys.declaratie_nummer {
            let used = Stmt::new(
                "SELECT EXISTS (SELECT 1 FROM declaraties \
                 WHERE standard = $1 AND agb = $2 AND nummer = $3 AND accepted) AS used",
            )
            .bind(s)
            .bind(&keys.agb)
            .bind(nummer);
            loaded.declaratie_nummer_used = self.fetch_one(used).await?.flag("used")?;
        }
        let last = Stmt::new(
            "SELECT max(periode_begin) AS last FROM declaraties \
             WHERE standard = $1 AND agb = $2 AND gemeente = $3 AND accepted",
        )
        .bind(s)
        .bind(&keys.agb)
        .bind(&keys.gemeente);
        let last = self.fetch_one(last).await?.opt_text("last")?;
        loaded.last_declaratie_periode = last
            .map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d"))
            .transpose()
            .map_err(|e| codec::corrupt_column("declaraties.periode_begin", e))?;
        if keys.contracts {
            let in_force = Stmt::new("SELECT EXISTS (SELECT 1 FROM contract_imports) AS in_force");
            if self.fetch_one(in_force).await?.flag("in_force")? {
                loaded.contracts = sql::contracts_in_force(self, &keys.agb).await?;
            }
        }
        if !keys.fact_scopes.is_empty() {
            let rows = Stmt::new(
                "SELECT * FROM timeliness_facts WHERE scope IN (SELECT value FROM json_each($1)) \
                 ORDER BY obligation_key",
            )
            .bind(json(keys.fact_scopes.clone()));
            loaded.facts = sql::all(self.fetch_all(rows).await?, codec::timeliness_fact)?;
            let scopes = json(keys.fact_scopes.clone());
            let rows = Stmt::new(
                "SELECT * FROM cost_prestaties WHERE scope IN (SELECT value FROM json_each($1))",
            )
            .bind(scopes.clone());
            loaded.costs.prestaties =
                sql::all(self.fetch_all(rows).await?, codec::prestatie_kosten)?;
            let rows = Stmt::new(
                "SELECT * FROM cost_toewijzingen WHERE scope IN (SELECT value FROM json_each($1))",
            )
            .bind(scopes);
            loaded.costs.toewijzingen =
                sql::all(self.fetch_all(rows).await?, codec::toewijzing_kosten)?;
        }
        Ok((loaded, earlier))
    }
}

#[async_trait]
impl MessageStore for SqliteStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn store(&self, received: &Received, decide: &Decide<'_>) -> Result<Stored, StoreError> {
        sql::only(self.store_batch(&[(received, decide)]).await?)
    }

    /// One transaction for the whole batch: SQLite's write lock keeps every other writer out,
    /// so the messages need no locks of their own and none is ever left out.
    async fn store_batch(&self, batch: &[Batched<'_>]) -> Result<Vec<Option<Stored>>, StoreError> {
        let tx = self.begin_write().await?;
        sql::judge_batch::<Self>(tx, batch, |_| false).await
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        sql::counts(&mut *self.read().await?).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sql::ping(&mut *self.read().await?).await
    }
}

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn claim_outbox(&self, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        let now = Utc::now();
        // A timeout too large to subtract means claims never go stale.
        let stale = TimeDelta::from_std(self.claim_timeout)
            .ok()
            .and_then(|d| now.checked_sub_signed(d))
            .map(Stamp);
        let mut tx = self.begin_write().await?;
        let rows: Vec<SqliteRow> = sqlx::query(
            "UPDATE outbox SET claimed_at = $1 WHERE id IN ( \
                 SELECT id FROM outbox WHERE sent_at IS NULL \
                 AND (claimed_at IS NULL OR claimed_at <= $2) ORDER BY id LIMIT $3) \
             RETURNING id, kind, routing_key, identificatie, xml",
        )
        .bind(Stamp(now))
        .bind(stale)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        sql::outbox_rows(rows)
    }

    async fn mark_sent(&self, ids: &[i64]) -> Result<(), StoreError> {
        self.outbox_update("sent_at = $2", ids, Some(Stamp(Utc::now())))
            .await
    }

    async fn release(&self, ids: &[i64]) -> Result<(), StoreError> {
        self.outbox_update("claimed_at = $2", ids, None).await
    }

    async fn outbox_backlog(&self) -> Result<OutboxBacklog, StoreError> {
        sql::outbox_backlog(&mut *self.read().await?).await
    }
}

impl SqliteStore {
    /// Sets `set` (with `$2` = `value`) on the unsent outbox rows `ids`, in a write
    /// transaction.
    async fn outbox_update(
        &self,
        set: &str,
        ids: &[i64],
        value: Option<Stamp>,
    ) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        sqlx::query(&format!(
            "UPDATE outbox SET {set} \
             WHERE id IN (SELECT value FROM json_each($1)) AND sent_at IS NULL"
        ))
        .bind(json(ids.to_vec()))
        .bind(value)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl Backend for SqliteStore {
    type Conn = SqliteConnection;
    type Pooled = PoolConnection<Sqlite>;
    type Tx = Transaction<'static, Sqlite>;

    async fn read(&self) -> Result<PoolConnection<Sqlite>, StoreError> {
        Ok(self.pool.acquire().await?)
    }

    async fn begin_write(&self) -> Result<Self::Tx, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    async fn commit(tx: Self::Tx) -> Result<(), StoreError> {
        Ok(tx.commit().await?)
    }

    async fn rollback(tx: Self::Tx) -> Result<(), StoreError> {
        Ok(tx.rollback().await?)
    }

    /// SQLite's write lock, taken by [`Backend::begin_write`], already keeps every other
    /// writer out.
    async fn lock_scope(&self, _tx: &mut SqliteConnection, _keys: &Keys) -> Result<(), StoreError> {
        Ok(())
    }
}
