//! SQLite backend, the embedded default: one file (or memory), one process.
//!
//! Serialisation: every writing transaction starts with `BEGIN IMMEDIATE`, which takes SQLite's
//! single write lock up front, so a message is judged against state no other writer can change
//! before it commits (a deferred BEGIN reads first and may fail to upgrade to a writer later).
//! Representation (see the migration): dates ISO TEXT, timestamps RFC 3339 TEXT in UTC with six
//! fraction digits so text order is time order, retour-code lists as JSON arrays, and lists
//! bound into queries as JSON (`IN (SELECT value FROM json_each(?))`).

use super::codec::{self, Fields, Halt, Keys, Loaded};
use super::{
    Batched, Counts, Decide, OutboxRow, Received, Store, StoreError, Stored, DEFAULT_CLAIM_TIMEOUT,
};
use crate::state::{Change, Context, Outgoing, Owner};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Decode, Row, Sqlite, SqliteConnection, Type};
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

/// A timestamp as stored: fixed width, so comparing text compares time.
fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

const MOMENT: &str = "%Y-%m-%dT%H:%M:%S%.f";

fn moment(t: NaiveDateTime) -> String {
    t.format(MOMENT).to_string()
}

fn json<T: Into<serde_json::Value>>(v: T) -> String {
    v.into().to_string()
}

fn get<'r, T>(row: &'r SqliteRow, col: &str) -> Result<T, StoreError>
where
    T: Decode<'r, Sqlite> + Type<Sqlite>,
{
    row.try_get(col).map_err(|e| codec::corrupt_column(col, e))
}

impl Fields for SqliteRow {
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
        let s: String = get(self, col)?;
        NaiveDateTime::parse_from_str(&s, MOMENT).map_err(|e| codec::corrupt_column(col, e))
    }
    fn timestamp(&self, col: &str) -> Result<DateTime<Utc>, StoreError> {
        let s: String = get(self, col)?;
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| codec::corrupt_column(col, e))
    }
    fn opt_timestamp(&self, col: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let s: Option<String> = get(self, col)?;
        s.map(|s| {
            DateTime::parse_from_rfc3339(&s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| codec::corrupt_column(col, e))
        })
        .transpose()
    }
    fn codes(&self, col: &str) -> Result<Vec<String>, StoreError> {
        let s: String = get(self, col)?;
        serde_json::from_str(&s).map_err(|e| codec::corrupt_column(col, e))
    }
}

fn all<T>(
    rows: Vec<SqliteRow>,
    read: impl Fn(&SqliteRow) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    rows.iter().map(read).collect()
}

async fn answers_of(
    conn: &mut SqliteConnection,
    message_id: i64,
) -> Result<Vec<Outgoing>, StoreError> {
    let rows = sqlx::query(
        "SELECT kind, routing_key, identificatie, xml FROM outbox WHERE message_id = $1 ORDER BY id",
    )
    .bind(message_id)
    .fetch_all(conn)
    .await?;
    all(rows, codec::outgoing)
}

/// Loads the stored state `keys` name (see [`crate::state::ContextKeys`]).
async fn load(conn: &mut SqliteConnection, keys: &Keys) -> Result<Loaded, StoreError> {
    let s = keys.standard();
    let mut loaded = Loaded::default();
    if !keys.bsns.is_empty() {
        // One client's state at one provider in one gemeente and domain.
        let bsns = json(keys.bsns.clone());
        let client = |table: &str, order: &str| {
            format!(
                "SELECT * FROM {table} WHERE standard = $1 AND gemeente = $2 AND agb = $3 \
                 AND bsn IN (SELECT value FROM json_each($4)) ORDER BY {order}"
            )
        };
        let q = client("toewijzingen", "toewijzingsmoment, id");
        let rows = sqlx::query(&q)
            .bind(s)
            .bind(&keys.gemeente)
            .bind(&keys.agb)
            .bind(&bsns)
            .fetch_all(&mut *conn)
            .await?;
        loaded.toewijzingen = all(rows, codec::toewijzing)?;
        let q = client("leveringen", "id");
        let rows = sqlx::query(&q)
            .bind(s)
            .bind(&keys.gemeente)
            .bind(&keys.agb)
            .bind(&bsns)
            .fetch_all(&mut *conn)
            .await?;
        loaded.leveringen = all(rows, codec::levering)?;
        let q = client("verzoeken", "id");
        let rows = sqlx::query(&q)
            .bind(s)
            .bind(&keys.gemeente)
            .bind(&keys.agb)
            .bind(&bsns)
            .fetch_all(&mut *conn)
            .await?;
        loaded.verzoeken = all(rows, codec::verzoek)?;
        let q = client("prestaties", "id");
        let rows = sqlx::query(&q)
            .bind(s)
            .bind(&keys.gemeente)
            .bind(&keys.agb)
            .bind(&bsns)
            .fetch_all(&mut *conn)
            .await?;
        loaded.prestaties = all(rows, codec::prestatie)?;
    }
    if !keys.toewijzing_nummers.is_empty() {
        // Any client, any provider: the number is unique per gemeente and domain.
        let rows = sqlx::query(
            "SELECT nummer, bsn, agb FROM toewijzingen \
             WHERE standard = $1 AND gemeente = $2 \
             AND nummer IN (SELECT value FROM json_each($3)) \
             ORDER BY toewijzingsmoment, id",
        )
        .bind(s)
        .bind(&keys.gemeente)
        .bind(json(keys.toewijzing_nummers.clone()))
        .fetch_all(&mut *conn)
        .await?;
        loaded.owners = all(rows, |r| {
            Ok((
                r.int("nummer")?,
                Owner {
                    bsn: r.text("bsn")?,
                    agb: r.text("agb")?,
                },
            ))
        })?;
    }
    if !keys.referenties.is_empty() {
        let refs = json(keys.referenties.clone());
        let rows = sqlx::query(
            "SELECT * FROM verzoeken WHERE standard = $1 AND agb = $2 \
             AND referentie IN (SELECT value FROM json_each($3)) ORDER BY id",
        )
        .bind(s)
        .bind(&keys.agb)
        .bind(&refs)
        .fetch_all(&mut *conn)
        .await?;
        loaded.verzoeken_by_ref = all(rows, codec::verzoek)?;
        let rows = sqlx::query(
            "SELECT * FROM antwoorden WHERE standard = $1 AND agb = $2 \
             AND referentie IN (SELECT value FROM json_each($3)) ORDER BY id",
        )
        .bind(s)
        .bind(&keys.agb)
        .bind(&refs)
        .fetch_all(&mut *conn)
        .await?;
        loaded.antwoorden = all(rows, codec::antwoord)?;
        let rows = sqlx::query(
            "SELECT DISTINCT referentie_aanbieder FROM toewijzingen \
             WHERE standard = $1 AND agb = $2 \
             AND referentie_aanbieder IN (SELECT value FROM json_each($3))",
        )
        .bind(s)
        .bind(&keys.agb)
        .bind(&refs)
        .fetch_all(&mut *conn)
        .await?;
        loaded.toegewezen_referenties = all(rows, |r| r.text("referentie_aanbieder"))?;
    }
    if !keys.referentie_nummers.is_empty() {
        let rows = sqlx::query(
            "SELECT * FROM prestaties WHERE standard = $1 AND agb = $2 \
             AND (referentie_nummer IN (SELECT value FROM json_each($3)) \
                  OR vorig_referentie_nummer IN (SELECT value FROM json_each($3))) \
             ORDER BY id",
        )
        .bind(s)
        .bind(&keys.agb)
        .bind(json(keys.referentie_nummers.clone()))
        .fetch_all(&mut *conn)
        .await?;
        loaded.prestaties_by_ref = all(rows, codec::prestatie)?;
    }
    if let Some(nummer) = &keys.declaratie_nummer {
        loaded.declaratie_nummer_used = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM declaraties \
             WHERE standard = $1 AND agb = $2 AND nummer = $3 AND accepted = 1)",
        )
        .bind(s)
        .bind(&keys.agb)
        .bind(nummer)
        .fetch_one(&mut *conn)
        .await?;
    }
    let last: Option<String> = sqlx::query_scalar(
        "SELECT max(periode_begin) FROM declaraties \
         WHERE standard = $1 AND agb = $2 AND gemeente = $3 AND accepted = 1",
    )
    .bind(s)
    .bind(&keys.agb)
    .bind(&keys.gemeente)
    .fetch_one(&mut *conn)
    .await?;
    loaded.last_declaratie_periode = last
        .map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d"))
        .transpose()
        .map_err(|e| codec::corrupt_column("declaraties.periode_begin", e))?;
    if keys.contracts {
        loaded.contracts = load_contracts(&mut *conn, &keys.agb).await?;
    }
    if !keys.fact_scopes.is_empty() {
        let rows = sqlx::query(
            "SELECT * FROM timeliness_facts WHERE scope IN (SELECT value FROM json_each($1)) ORDER BY obligation_key",
        )
        .bind(json(keys.fact_scopes.clone()))
        .fetch_all(&mut *conn)
        .await?;
        loaded.facts = all(rows, codec::timeliness_fact)?;
    }
    Ok(loaded)
}

/// The contracts in force for one provider, and the product-code list of the whole set.
async fn load_contracts(
    conn: &mut SqliteConnection,
    agb: &str,
) -> Result<crate::contracts::ContractContext, StoreError> {
    let in_force: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM contract_imports)")
        .fetch_one(&mut *conn)
        .await?;
    if !in_force {
        return Ok(crate::contracts::ContractContext::default());
    }
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
        in_force,
        set: crate::contracts::ContractSet { contracts },
        products: products.into_iter().collect(),
    })
}

/// Replaces every fact row of each set's scope by the set's rows.
pub(crate) async fn write_facts(
    conn: &mut SqliteConnection,
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
            .bind(f.fulfilled_at.map(ts))
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
            .bind(ts(p.received_at))
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

/// Applies one change of the message `message_id`, received at `at` (already formatted).
async fn apply(
    conn: &mut SqliteConnection,
    change: &Change,
    message_id: i64,
    at: &str,
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
            .bind(moment(t.toewijzingsmoment))
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
                "UPDATE leveringen SET deleted = 1, deleted_by = $1 \
                 WHERE deleted = 0 AND standard = $2 AND gemeente = $3 AND agb = $4 \
                 AND bsn = $5 AND soort = $6 \
                 AND toewijzing_nummer IS $7 AND categorie IS $8 AND code IS $9 \
                 AND begindatum = $10 \
                 AND (soort = 'start' OR (einddatum IS $11 AND reden_beeindiging IS $12))",
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
            .bind(json(p.retour_codes.clone()))
            .bind(at)
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

/// Judges one message and writes its outcome inside the caller's transaction, which holds
/// SQLite's write lock. A duplicate writes nothing. Does not commit: the caller does, and only
/// then may the result be acted on.
async fn judge_in(
    conn: &mut SqliteConnection,
    received: &Received,
    decide: &Decide<'_>,
) -> Result<Stored, Halt> {
    let kind = codec::kind_code(received.kind);
    let earlier = sqlx::query(
        "SELECT id, content_hash FROM messages \
         WHERE sender = $1 AND kind = $2 AND identificatie = $3 ORDER BY id",
    )
    .bind(&received.sender)
    .bind(&kind)
    .bind(&received.identificatie)
    .fetch_all(&mut *conn)
    .await?;
    for row in &earlier {
        if row.text("content_hash")? == received.content_hash {
            let message_id = row.int("id")?;
            let answers = answers_of(&mut *conn, message_id).await?;
            return Ok(Stored::Duplicate {
                message_id,
                answers,
            });
        }
    }

    let keys = Keys::new(received);
    let loaded = load(&mut *conn, &keys).await?;
    let ctx: Context = codec::assemble(&keys, loaded, !earlier.is_empty());
    let mut outcome = codec::run_decide(decide, &ctx)?;

    let at = ts(received.received_at);
    let message_id: i64 = sqlx::query_scalar(
        "INSERT INTO messages (kind, sender, receiver, identificatie, dagtekening, \
         received_at, stored_at, content_hash, raw, verdict, retour_codes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&kind)
    .bind(&received.sender)
    .bind(&received.receiver)
    .bind(&received.identificatie)
    .bind(received.dagtekening)
    .bind(&at)
    .bind(ts(Utc::now()))
    .bind(&received.content_hash)
    .bind(&received.raw)
    .bind(codec::verdict_code(outcome.verdict))
    .bind(json(outcome.retour_codes.clone()))
    .fetch_one(&mut *conn)
    .await?;
    for change in &outcome.changes {
        apply(&mut *conn, change, message_id, &at).await?;
    }
    let now = ts(Utc::now());
    for out in &outcome.outgoing {
        sqlx::query(
            "INSERT INTO outbox (message_id, kind, routing_key, identificatie, xml, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(message_id)
        .bind(codec::kind_code(out.kind))
        .bind(&out.routing_key)
        .bind(&out.identificatie)
        .bind(&out.xml)
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    }
    write_facts(&mut *conn, &outcome.facts).await?;
    codec::stamp(&mut outcome, message_id, received.received_at);
    Ok(Stored::New {
        message_id,
        outcome,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn store(&self, received: &Received, decide: &Decide<'_>) -> Result<Stored, StoreError> {
        let mut stored = self.store_batch(&[(received, decide)]).await?;
        stored
            .pop()
            .flatten()
            .ok_or_else(|| StoreError::Corrupt("a batch of one left its message out".into()))
    }

    /// One transaction for the whole batch: SQLite's write lock keeps every other writer out,
    /// so no message is ever left out.
    async fn store_batch(&self, batch: &[Batched<'_>]) -> Result<Vec<Option<Stored>>, StoreError> {
        // the write lock serialises every writer, so the messages need no locks of their own
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut out = Vec::with_capacity(batch.len());
        for (received, decide) in batch {
            match judge_in(&mut tx, received, *decide).await {
                Ok(stored) => out.push(Some(stored)),
                Err(halt) => {
                    // release the write lock now rather than whenever the pool reuses the
                    // connection
                    let _ = tx.rollback().await;
                    return Err(halt.resume());
                }
            }
        }
        if out
            .iter()
            .flatten()
            .all(|s| matches!(s, Stored::Duplicate { .. }))
        {
            // nothing was written
            tx.rollback().await?;
        } else {
            tx.commit().await?;
        }
        Ok(out)
    }

    async fn claim_outbox(&self, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        let now = Utc::now();
        // A timeout too large to subtract means claims never go stale.
        let stale = TimeDelta::from_std(self.claim_timeout)
            .ok()
            .and_then(|d| now.checked_sub_signed(d))
            .map(ts);
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let rows = sqlx::query(
            "UPDATE outbox SET claimed_at = $1 WHERE id IN ( \
                 SELECT id FROM outbox WHERE sent_at IS NULL \
                 AND (claimed_at IS NULL OR claimed_at <= $2) ORDER BY id LIMIT $3) \
             RETURNING id, kind, routing_key, identificatie, xml",
        )
        .bind(ts(now))
        .bind(stale)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "UPDATE outbox SET sent_at = $1 \
             WHERE id IN (SELECT value FROM json_each($2)) AND sent_at IS NULL",
        )
        .bind(ts(Utc::now()))
        .bind(json(ids.to_vec()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn replace_contracts(
        &self,
        set: &crate::contracts::ContractSet,
        source: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM contracts")
            .execute(&mut *tx)
            .await?;
        let import_id: i64 = sqlx::query_scalar(
            "INSERT INTO contract_imports (imported_at, source, row_count) \
             VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(ts(Utc::now()))
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
        let k = Keys::of(keys, crate::message::kind::Standard::Ijw);
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let loaded = load(&mut tx, &k).await?;
        let ctx = codec::assemble(&k, loaded, false);
        let sets = derive(&ctx);
        write_facts(&mut tx, &sets).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn release(&self, ids: &[i64]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query(
            "UPDATE outbox SET claimed_at = NULL \
             WHERE id IN (SELECT value FROM json_each($1)) AND sent_at IS NULL",
        )
        .bind(json(ids.to_vec()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_read_back() {
        let t = DateTime::parse_from_rfc3339("2025-03-04T05:06:07.123456Z")
            .map(|t| t.with_timezone(&Utc))
            .ok();
        let t = t.expect("valid literal");
        assert_eq!(ts(t), "2025-03-04T05:06:07.123456Z");
        let m = NaiveDate::from_ymd_opt(2025, 1, 2)
            .and_then(|d| d.and_hms_opt(3, 4, 5))
            .expect("valid literal");
        assert_eq!(moment(m), "2025-01-02T03:04:05");
        assert_eq!(
            NaiveDateTime::parse_from_str(&moment(m), MOMENT).ok(),
            Some(m)
        );
        let f = m + TimeDelta::milliseconds(250);
        assert_eq!(
            NaiveDateTime::parse_from_str(&moment(f), MOMENT).ok(),
            Some(f)
        );
    }
}
