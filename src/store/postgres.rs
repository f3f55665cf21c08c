//! PostgreSQL backend, for production: several daemon instances share one database.
//!
//! Serialisation: `store()` takes transaction-scoped advisory locks, first on the message's
//! (sender, kind, identificatie), then on every state key it touches (sorted); the keys are
//! keyed with the database's secret and a lock held elsewhere is waited for at most the lock
//! timeout, after which the message is retried (see [`super::locks`]). The transaction
//! runs at READ COMMITTED, so every read after the locks sees what the previous holder
//! committed; a stricter level would take its snapshot at the lock statement and miss it.

use super::codec::{self, Fields, Halt, Keys, Loaded};
use super::locks::LockKeys;
use super::{
    Batched, Counts, Decide, OutboxRow, Received, Store, StoreError, Stored, DEFAULT_CLAIM_TIMEOUT,
    DEFAULT_LOCK_TIMEOUT,
};
use crate::state::{Change, Context, Outgoing, Owner, Prestatie};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Decode, PgConnection, Postgres, Row, Type};
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

fn get<'r, T>(row: &'r PgRow, col: &str) -> Result<T, StoreError>
where
    T: Decode<'r, Postgres> + Type<Postgres>,
{
    row.try_get(col).map_err(|e| codec::corrupt_column(col, e))
}

impl Fields for PgRow {
    fn text(&self, col: &str) -> Result<String, StoreError> {
        get(self, col)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>, StoreError> {
        get(self, col)
    }
    fn int(&self, col: &str) -> Result<i64, StoreError> {
        get(self, col)
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>, StoreError> {
        get(self, col)
    }
    fn flag(&self, col: &str) -> Result<bool, StoreError> {
        get(self, col)
    }
    fn opt_flag(&self, col: &str) -> Result<Option<bool>, StoreError> {
        get(self, col)
    }
    fn date(&self, col: &str) -> Result<NaiveDate, StoreError> {
        get(self, col)
    }
    fn opt_date(&self, col: &str) -> Result<Option<NaiveDate>, StoreError> {
        get(self, col)
    }
    fn moment(&self, col: &str) -> Result<NaiveDateTime, StoreError> {
        get(self, col)
    }
    fn timestamp(&self, col: &str) -> Result<DateTime<Utc>, StoreError> {
        get(self, col)
    }
    fn opt_timestamp(&self, col: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        get(self, col)
    }
    fn codes(&self, col: &str) -> Result<Vec<String>, StoreError> {
        get(self, col)
    }
}

fn all<T>(
    rows: Vec<PgRow>,
    read: impl Fn(&PgRow) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    rows.iter().map(read).collect()
}

async fn answers_of(conn: &mut PgConnection, message_id: i64) -> Result<Vec<Outgoing>, StoreError> {
    let rows = sqlx::query(
        "SELECT kind, routing_key, identificatie, xml FROM outbox WHERE message_id = $1 ORDER BY id",
    )
    .bind(message_id)
    .fetch_all(conn)
    .await?;
    all(rows, codec::outgoing)
}

/// Earlier messages with the same sender, kind and identification: (id, content hash).
type Earlier = Vec<(i64, String)>;

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
        WHERE scope = ANY($13)) AS facts";

/// Loads the stored state `keys` name (see [`crate::state::ContextKeys`]), and the earlier
/// messages with the sender, kind and identification of `message`.
async fn load(
    conn: &mut PgConnection,
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
        .fetch_one(&mut *conn)
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
        owners: json_rows(&row, "owners", |r| {
            let owner = Owner {
                bsn: r.text("bsn")?,
                agb: r.text("agb")?,
            };
            Ok((r.int("nummer")?, owner))
        })?,
        verzoeken_by_ref: json_rows(&row, "verzoeken_by_ref", codec::verzoek)?,
        antwoorden: json_rows(&row, "antwoorden", codec::antwoord)?,
        toegewezen_referenties: toegewezen.unwrap_or_default(),
        prestaties_by_ref: json_rows(&row, "prestaties_by_ref", codec::prestatie)?,
        declaratie_nummer_used: get(&row, "declaratie_nummer_used")?,
        last_declaratie_periode: get(&row, "last_periode")?,
        facts: json_rows(&row, "facts", codec::timeliness_fact)?,
        ..Loaded::default()
    };
    if get(&row, "contracts_in_force")? {
        loaded.contracts = load_contracts(&mut *conn, &keys.agb).await?;
    }
    Ok((loaded, earlier))
}

/// A JSON column decoded into `T`; SQL NULL (an empty aggregate) is `None`.
fn json_column<T: serde::de::DeserializeOwned>(
    row: &PgRow,
    col: &str,
) -> Result<Option<T>, StoreError> {
    let value: Option<sqlx::types::Json<T>> = get(row, col)?;
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

/// The contracts in force for one provider, and the product-code list of the whole set
/// (called only when a set is in force).
async fn load_contracts(
    conn: &mut PgConnection,
    agb: &str,
) -> Result<crate::contracts::ContractContext, StoreError> {
    let rows = sqlx::query("SELECT * FROM contracts WHERE agb = $1 ORDER BY id")
        .bind(agb)
        .fetch_all(&mut *conn)
        .await?;
    let contracts = all(rows, codec::contract)?;
    let rows = sqlx::query("SELECT DISTINCT categorie, productcode FROM contracts")
        .fetch_all(&mut *conn)
        .await?;
    let products = all(rows, |r| Ok((r.text("categorie")?, r.text("productcode")?)))?;
    Ok(crate::contracts::ContractContext {
        in_force: true,
        set: crate::contracts::ContractSet { contracts },
        products: products.into_iter().collect(),
    })
}

/// Replaces every fact row of each set's scope by the set's rows.
pub(crate) async fn write_facts(
    conn: &mut PgConnection,
    sets: &[crate::facts::FactSet],
) -> Result<(), StoreError> {
    for set in sets {
        for table in ["timeliness_facts", "cost_prestaties", "cost_toewijzingen"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE scope = $1"))
                .bind(&set.scope)
                .execute(&mut *conn)
                .await?;
        }
        for f in &set.timeliness {
            sqlx::query(
                "INSERT INTO timeliness_facts (obligation_key, scope, kind, rule, standard, \
                 owed_by_role, owed_by, gemeente, agb, client, categorie, productcode, \
                 reference, reference_date, due_date, fulfilled_at, fulfilled_on, days_late, \
                 status, evaluated_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
                 $12, $13, $14, $15, $16, $17, $18, $19, $20)",
            )
            .bind(&f.key)
            .bind(&f.scope)
            .bind(f.kind.code())
            .bind(f.rule())
            .bind(codec::standard_code(f.standard))
            .bind(f.owed_by_role.code())
            .bind(&f.owed_by)
            .bind(&f.gemeente)
            .bind(&f.agb)
            .bind(&f.client)
            .bind(&f.categorie)
            .bind(&f.productcode)
            .bind(&f.reference)
            .bind(f.reference_date)
            .bind(f.due_date)
            .bind(f.fulfilled_at)
            .bind(f.fulfilled_on)
            .bind(f.days_late)
            .bind(f.status.code())
            .bind(f.evaluated_on)
            .execute(&mut *conn)
            .await?;
        }
        for p in &set.prestaties {
            sqlx::query(
                "INSERT INTO cost_prestaties (fact_key, scope, standard, gemeente, agb, client, \
                 declaratie_nummer, referentie_nummer, vorig_referentie_nummer, \
                 toewijzing_nummer, categorie, productcode, segment, period_month, debet_credit, \
                 volume, eenheid, tarief, declared_cents, approved_cents, rejected_cents, \
                 net_cents, credited, status, retour_codes, received_at, received_on) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)",
            )
            .bind(&p.key)
            .bind(&p.scope)
            .bind(codec::standard_code(p.standard))
            .bind(&p.gemeente)
            .bind(&p.agb)
            .bind(&p.client)
            .bind(&p.declaratie_nummer)
            .bind(&p.referentie_nummer)
            .bind(&p.vorig_referentie_nummer)
            .bind(p.toewijzing_nummer)
            .bind(&p.categorie)
            .bind(&p.productcode)
            .bind(&p.segment)
            .bind(p.period_month)
            .bind(&p.debet_credit)
            .bind(p.volume)
            .bind(&p.eenheid)
            .bind(p.tarief)
            .bind(p.declared_cents)
            .bind(p.approved_cents)
            .bind(p.rejected_cents)
            .bind(p.net_cents)
            .bind(p.credited)
            .bind(&p.status)
            .bind(&p.retour_codes)
            .bind(p.received_at)
            .bind(p.received_on)
            .execute(&mut *conn)
            .await?;
        }
        for t in &set.toewijzingen {
            sqlx::query(
                "INSERT INTO cost_toewijzingen (fact_key, scope, standard, gemeente, agb, client, \
                 toewijzing_nummer, categorie, productcode, segment, ingangsdatum, einddatum, \
                 commitment_end, volume, eenheid, frequentie, budget, tarief, tarief_eenheid, \
                 basis, commitment_cents, realised_cents, request_received_on, allocated_on, \
                 first_start, care_ended_on, reden_beeindiging, turns_18_month, runs_past_18) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29)",
            )
            .bind(&t.key)
            .bind(&t.scope)
            .bind(codec::standard_code(t.standard))
            .bind(&t.gemeente)
            .bind(&t.agb)
            .bind(&t.client)
            .bind(t.toewijzing_nummer)
            .bind(&t.categorie)
            .bind(&t.productcode)
            .bind(&t.segment)
            .bind(t.ingangsdatum)
            .bind(t.einddatum)
            .bind(t.commitment_end)
            .bind(t.volume)
            .bind(&t.eenheid)
            .bind(&t.frequentie)
            .bind(t.budget)
            .bind(t.tarief)
            .bind(&t.tarief_eenheid)
            .bind(&t.basis)
            .bind(t.commitment_cents)
            .bind(t.realised_cents)
            .bind(t.traject.request_received_on)
            .bind(t.traject.allocated_on)
            .bind(t.traject.first_start)
            .bind(t.traject.care_ended_on)
            .bind(&t.traject.reden_beeindiging)
            .bind(t.traject.turns_18_month)
            .bind(t.traject.runs_past_18)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Applies one change of the message `message_id`, received at `at`.
async fn apply(
    conn: &mut PgConnection,
    change: &Change,
    message_id: i64,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    match change {
        Change::AddToewijzing(t) => {
            sqlx::query(
                "INSERT INTO toewijzingen (message_id, standard, gemeente, agb, bsn, nummer, \
                 referentie_aanbieder, categorie, code, toewijzingsmoment, ingangsdatum, \
                 einddatum, reden_wijziging, volume, eenheid, frequentie, budget, received_at, \
                 geboortedatum) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
                 $14, $15, $16, $17, $18, $19)",
            )
            .bind(message_id)
            .bind(codec::standard_code(t.standard))
            .bind(&t.gemeente)
            .bind(&t.agb)
            .bind(&t.bsn)
            .bind(t.nummer)
            .bind(&t.referentie_aanbieder)
            .bind(&t.categorie)
            .bind(&t.code)
            .bind(t.toewijzingsmoment)
            .bind(t.ingangsdatum)
            .bind(t.einddatum)
            .bind(&t.reden_wijziging)
            .bind(t.volume)
            .bind(&t.eenheid)
            .bind(&t.frequentie)
            .bind(t.budget)
            .bind(at)
            .bind(t.geboortedatum)
            .execute(conn)
            .await?;
        }
        Change::AddLevering(l) => {
            sqlx::query(
                "INSERT INTO leveringen (message_id, standard, gemeente, agb, bsn, soort, \
                 toewijzing_nummer, categorie, code, begindatum, einddatum, reden_beeindiging, \
                 toewijzing_ingangsdatum, deleted, received_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(message_id)
            .bind(codec::standard_code(l.standard))
            .bind(&l.gemeente)
            .bind(&l.agb)
            .bind(&l.bsn)
            .bind(codec::levering_soort_code(l.soort))
            .bind(l.toewijzing_nummer)
            .bind(&l.categorie)
            .bind(&l.code)
            .bind(l.begindatum)
            .bind(l.einddatum)
            .bind(&l.reden_beeindiging)
            .bind(l.toewijzing_ingangsdatum)
            .bind(l.deleted)
            .bind(at)
            .execute(conn)
            .await?;
        }
        Change::DeleteLevering {
            standard,
            gemeente,
            agb,
            bsn,
            soort,
            toewijzing_nummer,
            categorie,
            code,
            begindatum,
            einddatum,
            reden_beeindiging,
        } => {
            // The full logical key (IV008); a stop's key includes its end and reason. Nothing
            // matching is not an error here: TR063 is the rules' to check.
            sqlx::query(
                "UPDATE leveringen SET deleted = TRUE, deleted_by = $1 \
                 WHERE NOT deleted AND standard = $2 AND gemeente = $3 AND agb = $4 \
                 AND bsn = $5 AND soort = $6 \
                 AND toewijzing_nummer IS NOT DISTINCT FROM $7 \
                 AND categorie IS NOT DISTINCT FROM $8 AND code IS NOT DISTINCT FROM $9 \
                 AND begindatum = $10 \
                 AND (soort = 'start' OR (einddatum IS NOT DISTINCT FROM $11 \
                      AND reden_beeindiging IS NOT DISTINCT FROM $12))",
            )
            .bind(message_id)
            .bind(codec::standard_code(*standard))
            .bind(gemeente)
            .bind(agb)
            .bind(bsn)
            .bind(codec::levering_soort_code(*soort))
            .bind(toewijzing_nummer)
            .bind(categorie)
            .bind(code)
            .bind(begindatum)
            .bind(einddatum)
            .bind(reden_beeindiging)
            .execute(conn)
            .await?;
        }
        Change::AddVerzoek(v) => {
            sqlx::query(
                "INSERT INTO verzoeken (message_id, standard, gemeente, agb, bsn, referentie, \
                 soort, status, dagtekening, received_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(message_id)
            .bind(codec::standard_code(v.standard))
            .bind(&v.gemeente)
            .bind(&v.agb)
            .bind(&v.bsn)
            .bind(&v.referentie)
            .bind(codec::verzoek_soort_code(v.soort))
            .bind(codec::verzoek_status_code(v.status))
            .bind(v.dagtekening)
            .bind(at)
            .execute(conn)
            .await?;
        }
        Change::SetVerzoekStatus {
            standard,
            agb,
            referentie,
            status,
        } => {
            sqlx::query(
                "UPDATE verzoeken SET status = $1, status_message_id = $2 \
                 WHERE standard = $3 AND agb = $4 AND referentie = $5",
            )
            .bind(codec::verzoek_status_code(*status))
            .bind(message_id)
            .bind(codec::standard_code(*standard))
            .bind(agb)
            .bind(referentie)
            .execute(conn)
            .await?;
        }
        Change::AddAntwoord(a) => {
            sqlx::query(
                "INSERT INTO antwoorden (message_id, standard, gemeente, agb, referentie, \
                 verzoek_antwoord, reden_afwijzing, received_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(message_id)
            .bind(codec::standard_code(a.standard))
            .bind(&a.gemeente)
            .bind(&a.agb)
            .bind(&a.referentie)
            .bind(&a.verzoek_antwoord)
            .bind(&a.reden_afwijzing)
            .bind(at)
            .execute(conn)
            .await?;
        }
        Change::AddDeclaratie(d) => {
            sqlx::query(
                "INSERT INTO declaraties (message_id, standard, gemeente, agb, nummer, \
                 periode_begin, periode_eind, totaal_ingediend, totaal_toegekend, accepted, \
                 received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(message_id)
            .bind(codec::standard_code(d.standard))
            .bind(&d.gemeente)
            .bind(&d.agb)
            .bind(&d.nummer)
            .bind(d.periode_begin)
            .bind(d.periode_eind)
            .bind(d.totaal_ingediend)
            .bind(d.totaal_toegekend)
            .bind(d.accepted)
            .bind(at)
            .execute(conn)
            .await?;
        }
        Change::AddPrestatie(p) => {
            sqlx::query(
                "INSERT INTO prestaties (message_id, standard, gemeente, agb, bsn, \
                 declaratie_nummer, referentie_nummer, vorig_referentie_nummer, \
                 toewijzing_nummer, categorie, code, begindatum, einddatum, volume, eenheid, \
                 tarief, bedrag, status, retour_codes, received_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                 $17, $18, $19, $20)",
            )
            .bind(message_id)
            .bind(codec::standard_code(p.standard))
            .bind(&p.gemeente)
            .bind(&p.agb)
            .bind(&p.bsn)
            .bind(&p.declaratie_nummer)
            .bind(&p.referentie_nummer)
            .bind(&p.vorig_referentie_nummer)
            .bind(p.toewijzing_nummer)
            .bind(&p.categorie)
            .bind(&p.code)
            .bind(p.begindatum)
            .bind(p.einddatum)
            .bind(p.volume)
            .bind(&p.eenheid)
            .bind(p.tarief)
            .bind(p.bedrag)
            .bind(codec::prestatie_status_code(p.status))
            .bind(&p.retour_codes)
            .bind(at)
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

/// Inserts prestaties of the message `message_id` in one round trip (in the given order).
async fn insert_prestaties(
    conn: &mut PgConnection,
    prestaties: &[&Prestatie],
    message_id: i64,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let plain = |c: &String| !c.is_empty() && !c.contains(',');
    if prestaties.len() < 2 || !prestaties.iter().all(|p| p.retour_codes.iter().all(plain)) {
        for p in prestaties {
            apply(conn, &Change::AddPrestatie((*p).clone()), message_id, at).await?;
        }
        return Ok(());
    }
    fn col<T>(ps: &[&Prestatie], f: impl Fn(&Prestatie) -> T) -> Vec<T> {
        ps.iter().map(|p| f(p)).collect()
    }
    // retour codes are 4-digit codes: one comma-joined text per row, split again in SQL
    // (UNNEST cannot take an array of arrays of different lengths)
    sqlx::query(
        "INSERT INTO prestaties (message_id, standard, gemeente, agb, bsn, declaratie_nummer, \
         referentie_nummer, vorig_referentie_nummer, toewijzing_nummer, categorie, code, \
         begindatum, einddatum, volume, eenheid, tarief, bedrag, status, retour_codes, \
         received_at) \
         SELECT $1, u.standard, u.gemeente, u.agb, u.bsn, u.declaratie_nummer, \
         u.referentie_nummer, u.vorig, u.toewijzing_nummer, u.categorie, u.code, u.begindatum, \
         u.einddatum, u.volume, u.eenheid, u.tarief, u.bedrag, u.status, \
         CASE WHEN u.codes = '' THEN '{}'::text[] ELSE string_to_array(u.codes, ',') END, $2 \
         FROM UNNEST($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], \
         $9::text[], $10::bigint[], $11::text[], $12::text[], $13::date[], $14::date[], \
         $15::bigint[], $16::text[], $17::bigint[], $18::bigint[], $19::text[], $20::text[]) \
         WITH ORDINALITY AS u(standard, gemeente, agb, bsn, declaratie_nummer, \
         referentie_nummer, vorig, toewijzing_nummer, categorie, code, begindatum, einddatum, \
         volume, eenheid, tarief, bedrag, status, codes, n) \
         ORDER BY u.n",
    )
    .bind(message_id)
    .bind(at)
    .bind(col(prestaties, |p| codec::standard_code(p.standard)))
    .bind(col(prestaties, |p| p.gemeente.clone()))
    .bind(col(prestaties, |p| p.agb.clone()))
    .bind(col(prestaties, |p| p.bsn.clone()))
    .bind(col(prestaties, |p| p.declaratie_nummer.clone()))
    .bind(col(prestaties, |p| p.referentie_nummer.clone()))
    .bind(col(prestaties, |p| p.vorig_referentie_nummer.clone()))
    .bind(col(prestaties, |p| p.toewijzing_nummer))
    .bind(col(prestaties, |p| p.categorie.clone()))
    .bind(col(prestaties, |p| p.code.clone()))
    .bind(col(prestaties, |p| p.begindatum))
    .bind(col(prestaties, |p| p.einddatum))
    .bind(col(prestaties, |p| p.volume))
    .bind(col(prestaties, |p| p.eenheid.clone()))
    .bind(col(prestaties, |p| p.tarief))
    .bind(col(prestaties, |p| p.bedrag))
    .bind(col(prestaties, |p| codec::prestatie_status_code(p.status)))
    .bind(col(prestaties, |p| p.retour_codes.join(",")))
    .execute(conn)
    .await?;
    Ok(())
}

impl PgStore {
    /// [`Store::refresh_facts`], with errors as PostgreSQL reports them.
    async fn refresh(
        &self,
        keys: &crate::state::ContextKeys,
        derive: &super::DeriveFacts<'_>,
    ) -> Result<(), StoreError> {
        let k = Keys::of(keys, crate::message::kind::Standard::Ijw);
        let mut tx = self.pool.begin().await?;
        let locks = self.lock_keys().await?.entities(&k);
        lock_all(&mut tx, &locks, self.lock_timeout).await?;
        let (loaded, _) = load(&mut tx, &k, None).await?;
        let ctx = codec::assemble(&k, loaded, false);
        let sets = derive(&ctx);
        write_facts(&mut tx, &sets).await?;
        tx.commit().await?;
        Ok(())
    }

    /// [`Store::store`], with errors as PostgreSQL reports them.
    async fn judge(&self, received: &Received, decide: &Decide<'_>) -> Result<Stored, StoreError> {
        let locks = self.lock_keys().await?.message(received);
        let mut tx = self.pool.begin().await?;
        lock_all(&mut tx, &locks, self.lock_timeout).await?;
        let stored = match judge_in(&mut tx, received, decide).await {
            Ok(stored) => stored,
            Err(halt) => {
                // release the locks now rather than whenever the pool reuses the connection
                let _ = tx.rollback().await;
                return Err(halt.resume());
            }
        };
        match stored {
            // nothing was written: release the lock without a commit record
            Stored::Duplicate { .. } => tx.rollback().await?,
            Stored::New { .. } => tx.commit().await?,
        }
        Ok(stored)
    }

    /// [`Store::store_batch`], with errors as PostgreSQL reports them. The batch never waits
    /// for a lock: it takes what it can of its messages' locks at once, in one round trip, and
    /// leaves out (`None`) every message whose locks another transaction holds, together with
    /// every later message that shares a lock with a left-out one (so one client's messages
    /// stay in order). Waiting for a lock while holding many would let batches queue up behind
    /// each other, and could deadlock.
    async fn judge_batch(&self, batch: &[Batched<'_>]) -> Result<Vec<Option<Stored>>, StoreError> {
        let keys = self.lock_keys().await?;
        let locks: Vec<Vec<i64>> = batch.iter().map(|(r, _)| keys.message(r)).collect();
        let mut tx = self.pool.begin().await?;
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
        let mut out = Vec::with_capacity(batch.len());
        for ((received, decide), keys) in batch.iter().zip(&locks) {
            if keys.iter().any(|k| busy.contains(k)) {
                busy.extend(keys);
                out.push(None);
                continue;
            }
            match judge_in(&mut tx, received, *decide).await {
                Ok(stored) => out.push(Some(stored)),
                Err(halt) => {
                    let _ = tx.rollback().await;
                    return Err(halt.resume());
                }
            }
        }
        if out
            .iter()
            .flatten()
            .any(|s| matches!(s, Stored::New { .. }))
        {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(out)
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

/// Judges one message and writes its outcome inside the caller's transaction, which already
/// holds the message's locks. A duplicate writes nothing. Does not commit: the caller does,
/// and only then may the result be acted on.
async fn judge_in(
    conn: &mut PgConnection,
    received: &Received,
    decide: &Decide<'_>,
) -> Result<Stored, Halt> {
    let keys = Keys::new(received);
    let (loaded, earlier) = load(&mut *conn, &keys, Some(received)).await?;
    if let Some((message_id, _)) = earlier
        .iter()
        .find(|(_, hash)| *hash == received.content_hash)
    {
        let answers = answers_of(&mut *conn, *message_id).await?;
        return Ok(Stored::Duplicate {
            message_id: *message_id,
            answers,
        });
    }
    let ctx: Context = codec::assemble(&keys, loaded, !earlier.is_empty());
    let mut outcome = codec::run_decide(decide, &ctx)?;
    let kind = codec::kind_code(received.kind);
    let message_id = insert_message(&mut *conn, received, &kind, &outcome).await?;
    write_changes(
        &mut *conn,
        &outcome.changes,
        message_id,
        received.received_at,
    )
    .await?;
    insert_outbox(&mut *conn, &outcome.outgoing, message_id).await?;
    write_facts(&mut *conn, &outcome.facts).await?;
    codec::stamp(&mut outcome, message_id, received.received_at);
    Ok(Stored::New {
        message_id,
        outcome,
    })
}

/// The message log entry; returns its id.
async fn insert_message(
    conn: &mut PgConnection,
    received: &Received,
    kind: &str,
    outcome: &crate::state::Outcome,
) -> Result<i64, StoreError> {
    let id = sqlx::query_scalar(
        "INSERT INTO messages (kind, sender, receiver, identificatie, dagtekening, \
         received_at, content_hash, raw, verdict, retour_codes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(kind)
    .bind(&received.sender)
    .bind(&received.receiver)
    .bind(&received.identificatie)
    .bind(received.dagtekening)
    .bind(received.received_at)
    .bind(&received.content_hash)
    .bind(&received.raw)
    .bind(codec::verdict_code(outcome.verdict))
    .bind(&outcome.retour_codes)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// The state changes in their order; consecutive prestaties go in one statement (a
/// declaration carries dozens).
async fn write_changes(
    conn: &mut PgConnection,
    changes: &[Change],
    message_id: i64,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut prestaties: Vec<&Prestatie> = Vec::new();
    for change in changes {
        if let Change::AddPrestatie(p) = change {
            prestaties.push(p);
            continue;
        }
        insert_prestaties(&mut *conn, &prestaties, message_id, at).await?;
        prestaties.clear();
        apply(&mut *conn, change, message_id, at).await?;
    }
    insert_prestaties(conn, &prestaties, message_id, at).await
}

/// The outgoing messages, in one statement.
async fn insert_outbox(
    conn: &mut PgConnection,
    outgoing: &[Outgoing],
    message_id: i64,
) -> Result<(), StoreError> {
    if outgoing.is_empty() {
        return Ok(());
    }
    fn col<T>(out: &[Outgoing], f: impl Fn(&Outgoing) -> T) -> Vec<T> {
        out.iter().map(f).collect()
    }
    // WITH ORDINALITY … ORDER BY keeps the ids in the order the rules produced the messages
    sqlx::query(
        "INSERT INTO outbox (message_id, kind, routing_key, identificatie, xml) \
         SELECT $1, u.kind, u.routing_key, u.identificatie, u.xml \
         FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[]) \
         WITH ORDINALITY AS u(kind, routing_key, identificatie, xml, n) ORDER BY u.n",
    )
    .bind(message_id)
    .bind(col(outgoing, |o| codec::kind_code(o.kind)))
    .bind(col(outgoing, |o| o.routing_key.clone()))
    .bind(col(outgoing, |o| o.identificatie.clone()))
    .bind(col(outgoing, |o| o.xml.clone()))
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait]
impl Store for PgStore {
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
        let mut out = all(rows, |r| {
            Ok(OutboxRow {
                id: r.int("id")?,
                message: codec::outgoing(r)?,
            })
        })?;
        out.sort_by_key(|r| r.id);
        Ok(out)
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

    async fn replace_contracts(
        &self,
        set: &crate::contracts::ContractSet,
        source: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM contracts")
            .execute(&mut *tx)
            .await?;
        let import_id: i64 = sqlx::query_scalar(
            "INSERT INTO contract_imports (source, row_count) VALUES ($1, $2) RETURNING id",
        )
        .bind(source)
        .bind(set.contracts.len() as i64)
        .fetch_one(&mut *tx)
        .await?;
        for c in &set.contracts {
            sqlx::query(
                "INSERT INTO contracts (import_id, agb, gemeente, categorie, productcode, \
                 eenheid, tarief, geldig_van, geldig_tot, segment, budgetplafond) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(import_id)
            .bind(&c.agb)
            .bind(&c.gemeente)
            .bind(&c.categorie)
            .bind(&c.productcode)
            .bind(&c.eenheid)
            .bind(c.tarief)
            .bind(c.geldig_van)
            .bind(c.geldig_tot)
            .bind(&c.segment)
            .bind(c.budgetplafond)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn contracts(&self) -> Result<super::StoredContracts, StoreError> {
        let latest = sqlx::query(
            "SELECT imported_at, source FROM contract_imports ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        let rows = sqlx::query("SELECT * FROM contracts ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        Ok(super::StoredContracts {
            imported_at: latest
                .as_ref()
                .map(|r| r.timestamp("imported_at"))
                .transpose()?,
            source: latest.as_ref().map(|r| r.text("source")).transpose()?,
            set: crate::contracts::ContractSet {
                contracts: all(rows, codec::contract)?,
            },
        })
    }

    async fn timeliness_facts(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<crate::facts::TimelinessFact>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM timeliness_facts \
             WHERE ($1 IS NULL OR due_date >= $1) AND ($2 IS NULL OR due_date <= $2) \
             ORDER BY obligation_key",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        all(rows, codec::timeliness_fact)
    }

    async fn cost_facts(&self) -> Result<super::CostFacts, StoreError> {
        let rows = sqlx::query("SELECT * FROM cost_prestaties ORDER BY fact_key")
            .fetch_all(&self.pool)
            .await?;
        let prestaties = all(rows, codec::prestatie_kosten)?;
        let rows = sqlx::query("SELECT * FROM cost_toewijzingen ORDER BY fact_key")
            .fetch_all(&self.pool)
            .await?;
        Ok(super::CostFacts {
            prestaties,
            toewijzingen: all(rows, codec::toewijzing_kosten)?,
        })
    }

    async fn active_clients(&self) -> Result<Vec<crate::facts::engine::ClientKey>, StoreError> {
        let rows = sqlx::query(ACTIVE_CLIENTS).fetch_all(&self.pool).await?;
        all(rows, |r| {
            Ok(crate::facts::engine::ClientKey {
                standard: codec::parse_standard(&r.text("standard")?)?,
                gemeente: r.text("gemeente")?,
                agb: r.text("agb")?,
                bsn: r.text("bsn")?,
            })
        })
    }

    async fn refresh_facts(
        &self,
        keys: &crate::state::ContextKeys,
        derive: &super::DeriveFacts<'_>,
    ) -> Result<(), StoreError> {
        self.refresh(keys, derive).await.map_err(redact)
    }

    async fn mark_overdue(&self, as_of: NaiveDate) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE timeliness_facts SET status = 'overdue', evaluated_on = $1 \
             WHERE fulfilled_at IS NULL AND status = 'open' AND due_date < $1",
        )
        .bind(as_of)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
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

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn outbox_backlog(&self) -> Result<crate::store::OutboxBacklog, StoreError> {
        let r = sqlx::query(
            "SELECT count(*) AS unsent, min(created_at) AS oldest FROM outbox WHERE sent_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(crate::store::OutboxBacklog {
            unsent: r.int("unsent")?,
            oldest: r.opt_timestamp("oldest")?,
        })
    }

    async fn counts(&self) -> Result<Counts, StoreError> {
        let r = sqlx::query(COUNTS).fetch_one(&self.pool).await?;
        Ok(Counts {
            messages: r.int("messages")?,
            toewijzingen: r.int("toewijzingen")?,
            leveringen: r.int("leveringen")?,
            verzoeken: r.int("verzoeken")?,
            antwoorden: r.int("antwoorden")?,
            declaraties: r.int("declaraties")?,
            prestaties: r.int("prestaties")?,
            outbox: r.int("outbox")?,
            outbox_unsent: r.int("outbox_unsent")?,
        })
    }
}

/// Clients with a start that is neither deleted nor followed by a stop for the same delivery.
const ACTIVE_CLIENTS: &str = "SELECT DISTINCT s.standard, s.gemeente, s.agb, s.bsn \
    FROM leveringen s \
    WHERE s.soort = 'start' AND NOT s.deleted AND NOT EXISTS ( \
        SELECT 1 FROM leveringen e \
        WHERE e.soort = 'stop' AND NOT e.deleted AND e.standard = s.standard \
        AND e.gemeente = s.gemeente AND e.agb = s.agb AND e.bsn = s.bsn \
        AND e.toewijzing_nummer = s.toewijzing_nummer AND e.begindatum = s.begindatum) \
    ORDER BY s.standard, s.gemeente, s.agb, s.bsn";

const COUNTS: &str = "SELECT \
    (SELECT count(*) FROM messages) AS messages, \
    (SELECT count(*) FROM toewijzingen) AS toewijzingen, \
    (SELECT count(*) FROM leveringen) AS leveringen, \
    (SELECT count(*) FROM verzoeken) AS verzoeken, \
    (SELECT count(*) FROM antwoorden) AS antwoorden, \
    (SELECT count(*) FROM declaraties) AS declaraties, \
    (SELECT count(*) FROM prestaties) AS prestaties, \
    (SELECT count(*) FROM outbox) AS outbox, \
    (SELECT count(*) FROM outbox WHERE sent_at IS NULL) AS outbox_unsent";
