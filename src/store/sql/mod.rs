//! The SQL both backends share, written once. A statement is SQL text with its values
//! ([`Stmt`]); each backend runs it on its own connection type ([`Conn`], one macro for both,
//! in `binding.rs`) and binds each value in its own representation. What really differs per
//! backend is the [`Dialect`]: how a context is loaded (PostgreSQL: one statement of JSON
//! aggregates; SQLite: a query per part) and where "now" comes from. Rows are written in
//! multi-row statements, the rows nothing reads back before the batch ends after its last
//! message (`write.rs`). Serialisation (advisory locks or
//! SQLite's write lock) stays with each backend; the capabilities built only from shared SQL
//! (contracts, facts) are implemented once for every [`Backend`].
//!
//! Representation: where the two databases store a type differently there is a newtype that
//! encodes and decodes itself for both: [`Stamp`] (a UTC timestamp), `Moment` (a local
//! date-time) and `Codes` (a retour-code list). Dates, numbers, text and booleans are bound
//! as they are; the SQL keeps to what both accept (`$n` placeholders, `TRUE`, `NOT deleted`,
//! `IS NOT DISTINCT FROM`).

mod binding;
mod rows;
mod write;

pub use binding::{Conn, Stamp, Stmt};
use rows::{Row, Rows};
use write::write_changes;
pub use write::{FactWrites, Pending};

use super::codec::{self, Fields, Halt, Keys, Loaded};
use super::{
    Batched, ContractStore, CostFacts, Counts, Decide, DeriveFacts, FactStore, OutboxBacklog,
    OutboxRow, Received, StoreError, Stored, StoredContracts,
};
use crate::contracts::{ContractContext, ContractSet};
use crate::facts::engine::ClientKey;
use crate::facts::TimelinessFact;
use crate::state::{ContextKeys, Outcome, Outgoing, Owner};
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
            let mut facts = FactWrites::default();
            facts.add(&sets, &costs.stored(&keys, &ctx));
            facts.write(&mut *tx).await?;
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
/// their index (asked in order). The rows no later message of the batch reads back (outbox,
/// facts of other scopes) are written together after the last message ([`Pending`]).
/// Commits when anything was written; otherwise rolls back, so nothing leaves a commit
/// record. On an error or a panic in a `decide` it rolls back at once (releasing locks now
/// rather than whenever the pool reuses the connection) and nothing of the batch is stored.
pub async fn judge_batch<B: Backend>(
    mut tx: B::Tx,
    batch: &[Batched<'_>],
    mut leave_out: impl FnMut(usize) -> bool + Send,
) -> Result<Vec<Option<Stored>>, StoreError> {
    let mut out = Vec::with_capacity(batch.len());
    let mut pending = Pending::default();
    for (i, (received, decide)) in batch.iter().enumerate() {
        if leave_out(i) {
            out.push(None);
            continue;
        }
        match judge_in(&mut *tx, received, *decide, &mut pending).await {
            Ok(stored) => out.push(Some(stored)),
            Err(halt) => {
                let _ = B::rollback(tx).await;
                return Err(halt.resume());
            }
        }
    }
    if let Err(e) = pending.write(&mut *tx).await {
        let _ = B::rollback(tx).await;
        return Err(e);
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
/// serialises it (the backend's locks): the message and its state rows at once (a later
/// message may read them), its outbox and fact rows into `pending`, which is written first
/// when this message reads what it holds. A duplicate writes nothing. Does not commit: the
/// caller does, and only then may the result be acted on.
pub async fn judge_in<C: Dialect>(
    conn: &mut C,
    received: &Received,
    decide: &Decide<'_>,
    pending: &mut Pending,
) -> Result<Stored, Halt> {
    let keys = Keys::new(received);
    if pending.facts.touches(&keys.fact_scopes) {
        std::mem::take(&mut pending.facts).write(conn).await?;
    }
    let (mut loaded, earlier) = conn.load(&keys, Some(received)).await?;
    if let Some((message_id, _)) = earlier
        .iter()
        .find(|(_, hash)| *hash == received.content_hash)
    {
        // the earlier message may be one of this batch
        std::mem::take(&mut pending.outbox).write(conn).await?;
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
    pending.outbox.add::<C>(&outcome.outgoing, message_id);
    pending
        .facts
        .add(&outcome.facts, &costs.stored(&keys, &ctx));
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
    let mut rows = Rows::new(
        "contracts (import_id, agb, gemeente, categorie, productcode, eenheid, tarief, \
         geldig_van, geldig_tot, segment, budgetplafond)",
    );
    for c in &set.contracts {
        rows.push(
            Row::with_capacity(11)
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
                .bind(c.budgetplafond),
        );
    }
    rows.write(conn).await?;
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
