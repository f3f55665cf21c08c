//! Writing what judging a message decided: its state rows (at once, since a later message of
//! the batch may read them), and the rows nothing in the batch reads back before they are
//! needed (outbox, facts), collected in [`Pending`] and written after the batch's last message.
//! Rows of one table go in one multi-row INSERT ([`Rows`]).

use super::binding::{Conn, Stmt};
use super::rows::{keys_in, Row, Rows};
use super::Dialect;
use crate::facts::{delta, FactSet, PrestatieKosten, TimelinessFact, ToewijzingKosten};
use crate::state::{Change, Outgoing, Prestatie};
use crate::store::{codec, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

const TOEWIJZINGEN: &str =
    "toewijzingen (message_id, standard, gemeente, agb, bsn, nummer, referentie_aanbieder, \
     categorie, code, toewijzingsmoment, ingangsdatum, einddatum, reden_wijziging, volume, \
     eenheid, frequentie, budget, received_at, geboortedatum)";

const LEVERINGEN: &str =
    "leveringen (message_id, standard, gemeente, agb, bsn, soort, toewijzing_nummer, categorie, \
     code, begindatum, einddatum, reden_beeindiging, toewijzing_ingangsdatum, deleted, \
     received_at)";

const VERZOEKEN: &str =
    "verzoeken (message_id, standard, gemeente, agb, bsn, referentie, soort, status, \
     dagtekening, received_at)";

const ANTWOORDEN: &str =
    "antwoorden (message_id, standard, gemeente, agb, referentie, verzoek_antwoord, \
     reden_afwijzing, received_at)";

const DECLARATIES: &str =
    "declaraties (message_id, standard, gemeente, agb, nummer, periode_begin, periode_eind, \
     totaal_ingediend, totaal_toegekend, accepted, received_at)";

pub(super) const PRESTATIES: &str =
    "prestaties (message_id, standard, gemeente, agb, bsn, declaratie_nummer, \
     referentie_nummer, vorig_referentie_nummer, toewijzing_nummer, categorie, code, \
     begindatum, einddatum, volume, eenheid, tarief, bedrag, status, retour_codes, received_at)";

const TIMELINESS_FACTS: &str =
    "timeliness_facts (obligation_key, scope, kind, rule, standard, owed_by_role, owed_by, \
     gemeente, agb, client, categorie, productcode, reference, reference_date, due_date, \
     fulfilled_at, fulfilled_on, days_late, status, evaluated_on)";

const COST_PRESTATIES: &str =
    "cost_prestaties (fact_key, scope, standard, gemeente, agb, client, declaratie_nummer, \
     referentie_nummer, vorig_referentie_nummer, toewijzing_nummer, categorie, productcode, \
     segment, period_month, debet_credit, volume, eenheid, tarief, declared_cents, \
     approved_cents, rejected_cents, net_cents, credited, status, retour_codes, received_at, \
     received_on)";

const COST_TOEWIJZINGEN: &str =
    "cost_toewijzingen (fact_key, scope, standard, gemeente, agb, client, toewijzing_nummer, \
     categorie, productcode, segment, ingangsdatum, einddatum, commitment_end, volume, eenheid, \
     frequentie, budget, tarief, tarief_eenheid, basis, commitment_cents, realised_cents, \
     request_received_on, allocated_on, first_start, care_ended_on, reden_beeindiging, \
     turns_18_month, runs_past_18)";

const OUTBOX: &str = "outbox (message_id, kind, routing_key, identificatie, xml)";

/// Where the application's clock writes the creation time ([`Dialect::now`]).
const OUTBOX_AT: &str = "outbox (message_id, kind, routing_key, identificatie, xml, created_at)";

/// How one change is written: a row of a table (inserted together with the rows of the same
/// table next to it), or a statement of its own.
enum Write<'a> {
    Row(&'static str, Row<'a>),
    Stmt(Stmt<'a>),
}

/// The state changes in their order, consecutive rows of one table in one statement (a
/// declaration carries dozens of prestaties).
pub(super) async fn write_changes<C: Dialect>(
    conn: &mut C,
    changes: &[Change],
    message_id: i64,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut rows: Option<Rows> = None;
    for change in changes {
        match write_of(change, message_id, at) {
            Write::Row(into, row) => {
                if rows.as_ref().is_some_and(|r| r.table() != into) {
                    rows.take().expect("checked").write(conn).await?;
                }
                rows.get_or_insert_with(|| Rows::new(into)).push(row);
            }
            Write::Stmt(s) => {
                if let Some(r) = rows.take() {
                    r.write(conn).await?;
                }
                conn.execute(s).await?;
            }
        }
    }
    match rows {
        Some(r) => r.write(conn).await,
        None => Ok(()),
    }
}

/// How one change of the message `message_id`, received at `at`, is written: the one place a
/// state row is made.
fn write_of(change: &Change, message_id: i64, at: DateTime<Utc>) -> Write<'_> {
    match change {
        Change::AddToewijzing(t) => Write::Row(
            TOEWIJZINGEN,
            Row::with_capacity(19)
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
        ),
        Change::AddLevering(l) => Write::Row(
            LEVERINGEN,
            Row::with_capacity(15)
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
        ),
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
            Write::Stmt(
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
                .bind(reden_beeindiging),
            )
        }
        Change::AddVerzoek(v) => Write::Row(
            VERZOEKEN,
            Row::with_capacity(10)
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
        ),
        Change::SetVerzoekStatus {
            standard,
            agb,
            referentie,
            status,
        } => Write::Stmt(
            Stmt::new(
                "UPDATE verzoeken SET status = $1, status_message_id = $2 \
             WHERE standard = $3 AND agb = $4 AND referentie = $5",
            )
            .bind(codec::verzoek_status_code(*status))
            .bind(message_id)
            .bind(codec::standard_code(*standard))
            .bind(agb)
            .bind(referentie),
        ),
        Change::AddAntwoord(a) => Write::Row(
            ANTWOORDEN,
            Row::with_capacity(8)
                .bind(message_id)
                .bind(codec::standard_code(a.standard))
                .bind(&a.gemeente)
                .bind(&a.agb)
                .bind(&a.referentie)
                .bind(&a.verzoek_antwoord)
                .bind(&a.reden_afwijzing)
                .bind(at),
        ),
        Change::AddDeclaratie(d) => Write::Row(
            DECLARATIES,
            Row::with_capacity(11)
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
        ),
        Change::AddPrestatie(p) => Write::Row(PRESTATIES, prestatie_row(p, message_id, at)),
    }
}

fn prestatie_row(p: &Prestatie, message_id: i64, at: DateTime<Utc>) -> Row<'_> {
    Row::with_capacity(20)
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

/// What a batch writes after its last message: outbox rows (read back only when a duplicate
/// asks what its original was answered) and fact rows (read back only by a message of the
/// same scope). [`super::judge_in`] writes a part first when the next message needs it.
#[derive(Debug, Default)]
pub struct Pending {
    pub outbox: OutboxWrites,
    pub facts: FactWrites,
}

impl Pending {
    pub async fn write(self, conn: &mut impl Conn) -> Result<(), StoreError> {
        self.outbox.write(conn).await?;
        self.facts.write(conn).await
    }
}

/// Outgoing messages of a batch, in the order the rules produced them (their ids keep it).
#[derive(Debug, Default)]
pub struct OutboxWrites {
    /// Message id, the outgoing message, and its creation time where the application's
    /// clock writes it.
    rows: Vec<(i64, Outgoing, Option<DateTime<Utc>>)>,
}

impl OutboxWrites {
    pub fn add<C: Dialect>(&mut self, out: &[Outgoing], message_id: i64) {
        let now = C::now();
        self.rows
            .extend(out.iter().map(|o| (message_id, o.clone(), now)));
    }

    pub async fn write(self, conn: &mut impl Conn) -> Result<(), StoreError> {
        let Some((_, _, now)) = self.rows.first() else {
            return Ok(());
        };
        let mut rows = Rows::new(if now.is_some() { OUTBOX_AT } else { OUTBOX });
        for (message_id, o, now) in &self.rows {
            let row = Row::with_capacity(6)
                .bind(*message_id)
                .bind(codec::kind_code(o.kind))
                .bind(&o.routing_key)
                .bind(&o.identificatie)
                .bind(&o.xml);
            rows.push(match now {
                Some(now) => row.bind(*now),
                None => row,
            });
        }
        rows.write(conn).await
    }
}

/// Fact rows to write: for each derived scope only the rows that differ from what was stored
/// (a scope whose stored rows were not loaded is replaced as a whole; [`delta`]).
#[derive(Debug, Default)]
pub struct FactWrites {
    /// Scopes whose every row goes first.
    replace: Vec<String>,
    /// Keys of rows that go, per table.
    timeliness_gone: Vec<String>,
    prestaties_gone: Vec<String>,
    toewijzingen_gone: Vec<String>,
    timeliness: Vec<TimelinessFact>,
    prestaties: Vec<PrestatieKosten>,
    toewijzingen: Vec<ToewijzingKosten>,
    /// Every scope written, to tell whether a later message reads any of it.
    scopes: HashSet<String>,
}

impl FactWrites {
    /// Adds what the sets a message (or a sweep) derived change, against `stored`, the rows
    /// the context loaded.
    pub fn add(&mut self, sets: &[FactSet], stored: &delta::Stored<'_>) {
        for set in sets {
            let w = delta::plan(set, Some(stored));
            self.scopes.insert(w.scope.to_string());
            if w.replace {
                self.replace.push(w.scope.to_string());
            }
            let owned = |keys: &[&str]| keys.iter().map(|k| k.to_string()).collect::<Vec<_>>();
            self.timeliness_gone.extend(owned(&w.timeliness.delete));
            self.prestaties_gone.extend(owned(&w.prestaties.delete));
            self.toewijzingen_gone.extend(owned(&w.toewijzingen.delete));
            self.timeliness
                .extend(w.timeliness.insert.into_iter().cloned());
            self.prestaties
                .extend(w.prestaties.insert.into_iter().cloned());
            self.toewijzingen
                .extend(w.toewijzingen.insert.into_iter().cloned());
        }
    }

    /// True when the rows of one of `scopes` are waiting here.
    pub fn touches(&self, scopes: &[String]) -> bool {
        scopes.iter().any(|s| self.scopes.contains(s))
    }

    /// Deletes, then inserts: a table's rows of every scope in one statement each.
    pub async fn write(self, conn: &mut impl Conn) -> Result<(), StoreError> {
        fn refs(v: &[String]) -> Vec<&str> {
            v.iter().map(String::as_str).collect()
        }
        let replace = refs(&self.replace);
        let mut deletes = Vec::new();
        for table in ["timeliness_facts", "cost_prestaties", "cost_toewijzingen"] {
            deletes.extend(keys_in(table, "scope", &replace));
        }
        let gone = [
            (
                "timeliness_facts",
                "obligation_key",
                refs(&self.timeliness_gone),
            ),
            ("cost_prestaties", "fact_key", refs(&self.prestaties_gone)),
            (
                "cost_toewijzingen",
                "fact_key",
                refs(&self.toewijzingen_gone),
            ),
        ];
        for (table, key, keys) in &gone {
            deletes.extend(keys_in(table, key, keys));
        }
        for d in deletes {
            conn.execute(d).await?;
        }
        let mut rows = Rows::new(TIMELINESS_FACTS);
        self.timeliness
            .iter()
            .for_each(|f| rows.push(timeliness_row(f)));
        rows.write(conn).await?;
        let mut rows = Rows::new(COST_PRESTATIES);
        self.prestaties
            .iter()
            .for_each(|p| rows.push(prestatie_kosten_row(p)));
        rows.write(conn).await?;
        let mut rows = Rows::new(COST_TOEWIJZINGEN);
        self.toewijzingen
            .iter()
            .for_each(|t| rows.push(toewijzing_kosten_row(t)));
        rows.write(conn).await
    }
}

fn timeliness_row(f: &TimelinessFact) -> Row<'_> {
    Row::with_capacity(20)
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

fn prestatie_kosten_row(p: &PrestatieKosten) -> Row<'_> {
    Row::with_capacity(27)
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

fn toewijzing_kosten_row(t: &ToewijzingKosten) -> Row<'_> {
    Row::with_capacity(29)
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
