//! The SQL both backends share, written once. A statement is SQL text with its values
//! ([`Stmt`]); each backend runs it on its own connection type ([`Conn`], one macro for both,
//! in `binding.rs`) and binds each value in its own representation. What really differs per
//! backend is the [`Dialect`]: how a context is loaded (PostgreSQL: one statement of JSON aggregates; SQLite:
//! a query per part), how a message's prestaties and outbox rows are inserted (PostgreSQL: one
//! UNNEST statement each), and where "now" comes from. Serialisation (advisory locks or
//! SQLite's write lock) stays with each backend; the capabilities built only from shared SQL
//! (contracts, facts) are implemented once for every [`Backend`].
//!
//! Representation: where the two databases store a type differently there is a newtype that
//! encodes and decodes itself for both: [`Stamp`] (a UTC timestamp), `Moment` (a local
//! date-time) and `Codes` (a retour-code list). Dates, numbers, text and booleans are bound
//! as they are; the SQL keeps to what both accept (`$n` placeholders, `TRUE`, `NOT deleted`,
//! `IS NOT DISTINCT FROM`).

mod binding;

pub use binding::{Conn, Stamp, Stmt};

use super::codec::{self, Fields, Halt, Keys, Loaded};
use super::{
    Batched, ContractStore, CostFacts, Counts, Decide, DeriveFacts, FactStore, OutboxBacklog,
    OutboxRow, Received, StoreError, Stored, StoredContracts,
};
use crate::contracts::{ContractContext, ContractSet};
use crate::facts::engine::ClientKey;
use crate::facts::{delta, FactSet, PrestatieKosten, TimelinessFact, ToewijzingKosten};
use crate::state::{Change, ContextKeys, Outcome, Outgoing, Owner, Prestatie};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use std::ops::DerefMut;

/// Earlier messages with the same sender, kind and identification: (id, content hash).
pub type Earlier = Vec<(i64, String)>;

/// What each backend does its own way inside a transaction.
#[async_trait]
pub trait Dialect: Conn + Sized {
    /// `INSERT INTO messages (…) … RETURNING id` taking kind, sender, receiver,
    /// identificatie, dagtekening, received_at, content_hash, raw, verdict and retour_codes as
    /// $1–$10, then [`Dialect::now`] when it is given.
    const INSERT_MESSAGE: &'static str;
    /// `INSERT INTO contract_imports (…) … RETURNING id` taking source and row_count as $1–$2,
    /// then [`Dialect::now`] when it is given.
    const INSERT_IMPORT: &'static str;

    /// The time written as a row's creation time, where the SQL takes it as its last
    /// parameter: SQLite (embedded, so the application's clock is the database's). None where
    /// the SQL says `now()` (PostgreSQL: the database clock, which every instance shares).
    fn now() -> Option<DateTime<Utc>>;

    /// Loads the stored state `keys` name (see [`crate::state::ContextKeys`]) and, for a
    /// message, the earlier messages with its sender, kind and identification. When one of
    /// those is the message itself (same content hash) the state may be left unloaded.
    async fn load(
        &mut self,
        keys: &Keys,
        message: Option<&Received>,
    ) -> Result<(Loaded, Earlier), StoreError>;

    /// The consecutive prestaties of one message, in order.
    async fn insert_prestaties(
        &mut self,
        prestaties: &[&Prestatie],
        message_id: i64,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// A message's outgoing messages, in order (their ids keep that order).
    async fn insert_outbox(&mut self, out: &[Outgoing], message_id: i64) -> Result<(), StoreError>;
}

/// A store's pool and transactions, for the capabilities built from shared SQL alone.
#[async_trait]
pub trait Backend: Send + Sync {
    type Conn: Dialect;
    type Pooled: DerefMut<Target = Self::Conn> + Send;
    type Tx: DerefMut<Target = Self::Conn> + Send;

    /// A connection for reads and single statements.
    async fn read(&self) -> Result<Self::Pooled, StoreError>;

    /// A transaction that will write (SQLite takes its write lock up front).
    async fn begin_write(&self) -> Result<Self::Tx, StoreError>;

    async fn commit(tx: Self::Tx) -> Result<(), StoreError>;

    async fn rollback(tx: Self::Tx) -> Result<(), StoreError>;

    /// Serialises a fact refresh with the messages of the clients `keys` name (PostgreSQL's
    /// advisory locks; SQLite's write lock already does).
    async fn lock_scope(&self, tx: &mut Self::Conn, keys: &Keys) -> Result<(), StoreError>;

    /// An error as it may be logged (PostgreSQL's are stripped of row data).
    fn redact(e: StoreError) -> StoreError {
        e
    }
}

#[async_trait]
impl<B: Backend> ContractStore for B {
    async fn replace_contracts(&self, set: &ContractSet, source: &str) -> Result<(), StoreError> {
        let replace = async {
            let mut tx = self.begin_write().await?;
            replace_contracts(&mut *tx, set, source).await?;
            B::commit(tx).await
        };
        replace.await.map_err(B::redact)
    }

    async fn contracts(&self) -> Result<StoredContracts, StoreError> {
        let conn = &mut *self.read().await?;
        let latest =
            Stmt::new("SELECT imported_at, source FROM contract_imports ORDER BY id DESC LIMIT 1");
        let latest = conn.fetch_optional(latest).await?;
        let rows = conn
            .fetch_all(Stmt::new("SELECT * FROM contracts ORDER BY id"))
            .await?;
        Ok(StoredContracts {
            imported_at: latest
                .as_ref()
                .map(|r| r.timestamp("imported_at"))
                .transpose()?,
            source: latest.as_ref().map(|r| r.text("source")).transpose()?,
            set: ContractSet {
                contracts: all(rows, codec::contract)?,
            },
        })
    }
}

#[async_trait]
impl<B: Backend> FactStore for B {
    async fn timeliness_facts(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<TimelinessFact>, StoreError> {
        let rows = Stmt::new(
            "SELECT * FROM timeliness_facts \
             WHERE ($1 IS NULL OR due_date >= $1) AND ($2 IS NULL OR due_date <= $2) \
             ORDER BY obligation_key",
        )
        .bind(from)
        .bind(to);
        let rows = self.read().await?.fetch_all(rows).await?;
        all(rows, codec::timeliness_fact)
    }

    async fn cost_facts(&self) -> Result<CostFacts, StoreError> {
        let conn = &mut *self.read().await?;
        let prestaties = Stmt::new("SELECT * FROM cost_prestaties ORDER BY fact_key");
        let prestaties = all(conn.fetch_all(prestaties).await?, codec::prestatie_kosten)?;
        let toewijzingen = Stmt::new("SELECT * FROM cost_toewijzingen ORDER BY fact_key");
        Ok(CostFacts {
            prestaties,
            toewijzingen: all(
                conn.fetch_all(toewijzingen).await?,
                codec::toewijzing_kosten,
            )?,
        })
    }

    async fn active_clients(&self) -> Result<Vec<ClientKey>, StoreError> {
        let rows = self
            .read()
            .await?
            .fetch_all(Stmt::new(ACTIVE_CLIENTS))
            .await?;
        all(rows, |r| {
            Ok(ClientKey {
                standard: codec::parse_standard(&r.text("standard")?)?,
                gemeente: r.text("gemeente")?,
                agb: r.text("agb")?,
                bsn: r.text("bsn")?,
            })
        })
    }

    async fn refresh_facts(
        &self,
        keys: &ContextKeys,
        derive: &DeriveFacts<'_>,
    ) -> Result<(), StoreError> {
        let refresh = async {
            let keys = Keys::of(keys, crate::message::kind::Standard::Ijw);
            let mut tx = self.begin_write().await?;
            self.lock_scope(&mut tx, &keys).await?;
            let (mut loaded, _) = tx.load(&keys, None).await?;
            let costs = loaded.take_costs();
            let ctx = codec::assemble(&keys, loaded, false);
            let sets = derive(&ctx);
            write_facts(&mut *tx, &sets, &costs.stored(&keys, &ctx)).await?;
            B::commit(tx).await
        };
        refresh.await.map_err(B::redact)
    }

    async fn mark_overdue(&self, as_of: NaiveDate) -> Result<u64, StoreError> {
        let overdue = Stmt::new(
            "UPDATE timeliness_facts SET status = 'overdue', evaluated_on = $1 \
             WHERE fulfilled_at IS NULL AND status = 'open' AND due_date < $1",
        )
        .bind(as_of);
        self.read().await?.execute(overdue).await
    }
}

/// Row counts (see [`super::MessageStore::counts`]).
pub async fn counts(conn: &mut impl Conn) -> Result<Counts, StoreError> {
    let r = conn.fetch_one(Stmt::new(COUNTS)).await?;
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

/// One trivial round trip.
pub async fn ping(conn: &mut impl Conn) -> Result<(), StoreError> {
    conn.execute(Stmt::new("SELECT 1")).await.map(|_| ())
}

/// See [`super::OutboxStore::outbox_backlog`].
pub async fn outbox_backlog(conn: &mut impl Conn) -> Result<OutboxBacklog, StoreError> {
    let r = conn
        .fetch_one(Stmt::new(
            "SELECT count(*) AS unsent, min(created_at) AS oldest FROM outbox WHERE sent_at IS NULL",
        ))
        .await?;
    Ok(OutboxBacklog {
        unsent: r.int("unsent")?,
        oldest: r.opt_timestamp("oldest")?,
    })
}

/// Claimed outbox rows, by id.
pub fn outbox_rows(rows: Vec<impl Fields>) -> Result<Vec<OutboxRow>, StoreError> {
    let mut out = all(rows, |r| {
        Ok(OutboxRow {
            id: r.int("id")?,
            message: codec::outgoing(r)?,
        })
    })?;
    out.sort_by_key(|r| r.id);
    Ok(out)
}

/// Every row read by `read`.
pub fn all<R, T>(
    rows: Vec<R>,
    read: impl Fn(&R) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    rows.iter().map(read).collect()
}

/// Judges the messages of a batch in order inside `tx`, which already serialises them (see
/// [`super::MessageStore::store_batch`]), leaving out (`None`) those `leave_out` names by
/// their index (asked in order). Commits when anything was written; otherwise rolls back, so
/// nothing leaves a commit record. On an error or a panic in a `decide` it rolls back at once
/// (releasing locks now rather than whenever the pool reuses the connection) and nothing of
/// the batch is stored.
pub async fn judge_batch<B: Backend>(
    mut tx: B::Tx,
    batch: &[Batched<'_>],
    mut leave_out: impl FnMut(usize) -> bool + Send,
) -> Result<Vec<Option<Stored>>, StoreError> {
    let mut out = Vec::with_capacity(batch.len());
    for (i, (received, decide)) in batch.iter().enumerate() {
        if leave_out(i) {
            out.push(None);
            continue;
        }
        match judge_in(&mut *tx, received, *decide).await {
            Ok(stored) => out.push(Some(stored)),
            Err(halt) => {
                let _ = B::rollback(tx).await;
                return Err(halt.resume());
            }
        }
    }
    let written = out.iter().flatten();
    if written.into_iter().any(|s| matches!(s, Stored::New { .. })) {
        B::commit(tx).await?;
    } else {
        B::rollback(tx).await?;
    }
    Ok(out)
}

/// The one entry of a batch of one that nothing left out.
pub fn only(mut stored: Vec<Option<Stored>>) -> Result<Stored, StoreError> {
    stored
        .pop()
        .flatten()
        .ok_or_else(|| StoreError::Corrupt("a batch of one left its message out".into()))
}

/// Judges one message and writes its outcome inside the caller's transaction, which already
/// serialises it (the backend's locks). A duplicate writes nothing. Does not commit: the
/// caller does, and only then may the result be acted on.
pub async fn judge_in<C: Dialect>(
    conn: &mut C,
    received: &Received,
    decide: &Decide<'_>,
) -> Result<Stored, Halt> {
    let keys = Keys::new(received);
    let (mut loaded, earlier) = conn.load(&keys, Some(received)).await?;
    if let Some((message_id, _)) = earlier
        .iter()
        .find(|(_, hash)| *hash == received.content_hash)
    {
        let answers = answers_of(conn, *message_id).await?;
        return Ok(Stored::Duplicate {
            message_id: *message_id,
            answers,
        });
    }
    let costs = loaded.take_costs();
    let ctx = codec::assemble(&keys, loaded, !earlier.is_empty());
    let mut outcome = codec::run_decide(decide, &ctx)?;
    let at = received.received_at;
    let message_id = insert_message(conn, received, &outcome).await?;
    write_changes(conn, &outcome.changes, message_id, at).await?;
    conn.insert_outbox(&outcome.outgoing, message_id).await?;
    write_facts(conn, &outcome.facts, &costs.stored(&keys, &ctx)).await?;
    codec::stamp(&mut outcome, message_id, at);
    Ok(Stored::New {
        message_id,
        outcome,
    })
}

/// What was sent in answer to a stored message.
async fn answers_of(conn: &mut impl Conn, message_id: i64) -> Result<Vec<Outgoing>, StoreError> {
    let rows = Stmt::new(
        "SELECT kind, routing_key, identificatie, xml FROM outbox WHERE message_id = $1 ORDER BY id",
    )
    .bind(message_id);
    all(conn.fetch_all(rows).await?, codec::outgoing)
}

/// The message log entry; returns its id.
async fn insert_message<C: Dialect>(
    conn: &mut C,
    received: &Received,
    outcome: &Outcome,
) -> Result<i64, StoreError> {
    let mut insert = Stmt::new(C::INSERT_MESSAGE)
        .bind(codec::kind_code(received.kind))
        .bind(&received.sender)
        .bind(&received.receiver)
        .bind(&received.identificatie)
        .bind(received.dagtekening)
        .bind(received.received_at)
        .bind(&received.content_hash)
        .bind(&received.raw)
        .bind(codec::verdict_code(outcome.verdict))
        .bind(&outcome.retour_codes);
    if let Some(now) = C::now() {
        insert = insert.bind(now);
    }
    conn.fetch_one(insert).await?.int("id")
}

/// The state changes in their order; consecutive prestaties go to the backend together (a
/// declaration carries dozens).
async fn write_changes<C: Dialect>(
    conn: &mut C,
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
        if !prestaties.is_empty() {
            conn.insert_prestaties(&prestaties, message_id, at).await?;
            prestaties.clear();
        }
        apply(conn, change, message_id, at).await?;
    }
    if prestaties.is_empty() {
        return Ok(());
    }
    conn.insert_prestaties(&prestaties, message_id, at).await
}

/// Applies one change of the message `message_id`, received at `at`: the one place a state
/// row is written.
pub async fn apply(
    conn: &mut impl Conn,
    change: &Change,
    message_id: i64,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let s = match change {
        Change::AddToewijzing(t) => Stmt::new(
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
        .bind(t.geboortedatum),
        Change::AddLevering(l) => Stmt::new(
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
        .bind(at),
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
            Stmt::new(
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
            .bind(*toewijzing_nummer)
            .bind(categorie)
            .bind(code)
            .bind(*begindatum)
            .bind(*einddatum)
            .bind(reden_beeindiging)
        }
        Change::AddVerzoek(v) => Stmt::new(
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
        .bind(at),
        Change::SetVerzoekStatus {
            standard,
            agb,
            referentie,
            status,
        } => Stmt::new(
            "UPDATE verzoeken SET status = $1, status_message_id = $2 \
             WHERE standard = $3 AND agb = $4 AND referentie = $5",
        )
        .bind(codec::verzoek_status_code(*status))
        .bind(message_id)
        .bind(codec::standard_code(*standard))
        .bind(agb)
        .bind(referentie),
        Change::AddAntwoord(a) => Stmt::new(
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
        .bind(at),
        Change::AddDeclaratie(d) => Stmt::new(
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
        .bind(at),
        Change::AddPrestatie(p) => insert_prestatie(p, message_id, at),
    };
    conn.execute(s).await.map(|_| ())
}

/// One prestatie row (see [`Dialect::insert_prestaties`] for many).
pub fn insert_prestatie(p: &Prestatie, message_id: i64, at: DateTime<Utc>) -> Stmt<'_> {
    Stmt::new(
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
}

/// Writes the fact sets a message or a sweep derived: per scope only the rows that differ from
/// `stored` (the rows the context loaded), a scope whose rows were not loaded as a whole
/// ([`crate::facts::delta`]).
pub async fn write_facts(
    conn: &mut impl Conn,
    sets: &[FactSet],
    stored: &delta::Stored<'_>,
) -> Result<(), StoreError> {
    for set in sets {
        let w = delta::plan(set, Some(stored));
        if w.replace {
            for table in ["timeliness_facts", "cost_prestaties", "cost_toewijzingen"] {
                let delete = Stmt::new(format!("DELETE FROM {table} WHERE scope = $1"));
                conn.execute(delete.bind(w.scope)).await?;
            }
        }
        let deletes = [
            ("timeliness_facts", "obligation_key", &w.timeliness.delete),
            ("cost_prestaties", "fact_key", &w.prestaties.delete),
            ("cost_toewijzingen", "fact_key", &w.toewijzingen.delete),
        ];
        for (table, key, keys) in deletes {
            for k in keys.iter() {
                let delete = Stmt::new(format!("DELETE FROM {table} WHERE {key} = $1"));
                conn.execute(delete.bind(*k)).await?;
            }
        }
        for f in &w.timeliness.insert {
            conn.execute(insert_timeliness(f)).await?;
        }
        for p in &w.prestaties.insert {
            conn.execute(insert_prestatie_kosten(p)).await?;
        }
        for t in &w.toewijzingen.insert {
            conn.execute(insert_toewijzing_kosten(t)).await?;
        }
    }
    Ok(())
}

fn insert_timeliness(f: &TimelinessFact) -> Stmt<'_> {
    Stmt::new(
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
}

fn insert_prestatie_kosten(p: &PrestatieKosten) -> Stmt<'_> {
    Stmt::new(
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
}

fn insert_toewijzing_kosten(t: &ToewijzingKosten) -> Stmt<'_> {
    Stmt::new(
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
}

/// The contracts in force for one provider, and the product-code list of the whole set
/// (called only when a set is in force).
pub async fn contracts_in_force(
    conn: &mut impl Conn,
    agb: &str,
) -> Result<ContractContext, StoreError> {
    let rows = Stmt::new("SELECT * FROM contracts WHERE agb = $1 ORDER BY id").bind(agb);
    let contracts = all(conn.fetch_all(rows).await?, codec::contract)?;
    let rows = Stmt::new("SELECT DISTINCT categorie, productcode FROM contracts");
    let products = all(conn.fetch_all(rows).await?, |r| {
        Ok((r.text("categorie")?, r.text("productcode")?))
    })?;
    Ok(ContractContext {
        in_force: true,
        set: ContractSet { contracts },
        products: products.into_iter().collect(),
    })
}

/// See [`ContractStore::replace_contracts`]; inside the caller's transaction.
async fn replace_contracts<C: Dialect>(
    conn: &mut C,
    set: &ContractSet,
    source: &str,
) -> Result<(), StoreError> {
    conn.execute(Stmt::new("DELETE FROM contracts")).await?;
    let mut import = Stmt::new(C::INSERT_IMPORT)
        .bind(source)
        .bind(set.contracts.len() as i64);
    if let Some(now) = C::now() {
        import = import.bind(now);
    }
    let import_id = conn.fetch_one(import).await?.int("id")?;
    for c in &set.contracts {
        let insert = Stmt::new(
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
        .bind(c.budgetplafond);
        conn.execute(insert).await?;
    }
    Ok(())
}

/// Reads (nummer, owner) rows of the allocations a context names.
pub fn owner(r: &impl Fields) -> Result<(i64, Owner), StoreError> {
    let owner = Owner {
        bsn: r.text("bsn")?,
        agb: r.text("agb")?,
    };
    Ok((r.int("nummer")?, owner))
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
