//! Timeliness facts: one row per obligation of the administration protocol (§1.8, §12 of the
//! rules digest), who owes it, when it was due and when it was met.
//!
//! One function per obligation, named after its rule. They are pure: they get the stored state
//! of a scope (plus the message being judged) and the date the scope is evaluated on, and return
//! the rows.
//!
//! What counts as meeting an obligation (decisions):
//! - OP090 retour: the service itself answers provider messages (306/308/316/318) and rejected
//!   gemeente messages, at processing time: met at receipt, 0 days late (these rows measure the
//!   service, and are owed by the gemeente it answers for). An accepted 301/319 is forwarded and
//!   the provider owes the 302/320: met when it arrives (matched on the copied
//!   BerichtIdentificatie);
//! - OP090x4: the service answers every 323 with a 325 at processing time: met at receipt;
//! - OP271 start: the first accepted, not deleted 305 on the allocation; a later start (after a
//!   stop) is its own row. Before any start the allocation owes one from its Ingangsdatum (or
//!   from receipt of the 301, if later); a deleted allocation (reden 13) owes none;
//! - OP272 stop: every temporary stop is a row met at its receipt; the definitive stop of a
//!   delivery is owed once the allocation has an Einddatum (OP288) — met by a stop with reason
//!   ≠ 20 — unless the delivery was restarted after a temporary stop;
//! - OP274/OP346: the first 301 honouring the request or the first 319 (also "in onderzoek");
//!   after "in onderzoek" the final 301 or 319 rejection within 8 weeks; OP359 is recorded when
//!   a 319 rejects on woonplaatsbeginsel (reason 8);
//! - declaration: every calendar month touched by a delivery (a start up to its stop, the
//!   allocation's end, or the evaluation date) and every month an approved debit was declared
//!   for is owed a declaration on that allocation by the regional term; met by the first
//!   **approved** debit prestatie for the month (a rejected line counts as not sent).

use super::FactSet;
use crate::message::kind::Standard;
use crate::protocol::deadlines::{first_of_month, last_of_month, local_date, Deadlines, Status};
use crate::state::{Antwoord, ClientState, LeveringSoort, Toewijzing, Verzoek, VerzoekSoort};
use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Who owes an obligation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Partij {
    /// The provider (AGB code).
    Aanbieder,
    /// The municipality (CBS gemeentecode).
    Gemeente,
}

impl Partij {
    pub fn code(self) -> &'static str {
        match self {
            Partij::Aanbieder => "aanbieder",
            Partij::Gemeente => "gemeente",
        }
    }

    pub fn parse(s: &str) -> Option<Partij> {
        match s {
            "aanbieder" => Some(Partij::Aanbieder),
            "gemeente" => Some(Partij::Gemeente),
            _ => None,
        }
    }
}

/// The kinds of obligation, each with the rule that sets its term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObligationKind {
    /// OP090: a retour on every heenbericht within 3 working days.
    Retour,
    /// OP090x4: a 325 on every 323 within 10 working days.
    DeclaratieAntwoord,
    /// OP271: a 305 within 5 working days after the start.
    Start,
    /// OP272: a 307 within 5 working days after the end.
    Stop,
    /// OP274: a 301 or 319 on a requested product (VOT) within 5 working days.
    AntwoordVot,
    /// OP346: a 301 or 319 on a VOW within 5 working days.
    AntwoordVow,
    /// OP274: after "in onderzoek", the final answer on a VOT product within 8 weeks.
    EindantwoordVot,
    /// OP346: after "in onderzoek", the final answer on a VOW within 8 weeks.
    EindantwoordVow,
    /// OP359: a rejection on woonplaatsbeginsel within 2 weeks.
    Woonplaatsbeginsel,
    /// The regional declaration term for a month of care.
    Declaratie,
}

/// The rule code analysts see for the regional declaration term: the standard leaves the term
/// to the regional agreement (§1.8 #14), so it has no OP code of its own.
pub const REGIONAL_DECLARATION_RULE: &str = "REGIO-DECL";

impl ObligationKind {
    pub const ALL: [ObligationKind; 10] = [
        ObligationKind::Retour,
        ObligationKind::DeclaratieAntwoord,
        ObligationKind::Start,
        ObligationKind::Stop,
        ObligationKind::AntwoordVot,
        ObligationKind::AntwoordVow,
        ObligationKind::EindantwoordVot,
        ObligationKind::EindantwoordVow,
        ObligationKind::Woonplaatsbeginsel,
        ObligationKind::Declaratie,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ObligationKind::Retour => "retour",
            ObligationKind::DeclaratieAntwoord => "declaratie_antwoord",
            ObligationKind::Start => "start",
            ObligationKind::Stop => "stop",
            ObligationKind::AntwoordVot => "antwoord_vot",
            ObligationKind::AntwoordVow => "antwoord_vow",
            ObligationKind::EindantwoordVot => "eindantwoord_vot",
            ObligationKind::EindantwoordVow => "eindantwoord_vow",
            ObligationKind::Woonplaatsbeginsel => "woonplaatsbeginsel",
            ObligationKind::Declaratie => "declaratie",
        }
    }

    pub fn rule(self) -> &'static str {
        match self {
            ObligationKind::Retour => "OP090",
            ObligationKind::DeclaratieAntwoord => "OP090x4",
            ObligationKind::Start => "OP271",
            ObligationKind::Stop => "OP272",
            ObligationKind::AntwoordVot | ObligationKind::EindantwoordVot => "OP274",
            ObligationKind::AntwoordVow | ObligationKind::EindantwoordVow => "OP346",
            ObligationKind::Woonplaatsbeginsel => "OP359",
            ObligationKind::Declaratie => REGIONAL_DECLARATION_RULE,
        }
    }

    pub fn parse(s: &str) -> Option<ObligationKind> {
        ObligationKind::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// One obligation and how it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimelinessFact {
    /// Unique per obligation; stable, so re-deriving a scope rewrites the same rows.
    pub key: String,
    /// The scope the row is rewritten with (see [`crate::facts`]).
    pub scope: String,
    pub kind: ObligationKind,
    pub standard: Standard,
    pub owed_by_role: Partij,
    /// AGB code or gemeentecode.
    pub owed_by: String,
    pub gemeente: String,
    pub agb: String,
    /// Pseudonym of the client's BSN (None for messages about several clients, e.g. a 323).
    pub client: Option<String>,
    pub categorie: Option<String>,
    pub productcode: Option<String>,
    /// What the obligation is about: the ToewijzingNummer, the ReferentieAanbieder or the
    /// message's Identificatie.
    pub reference: String,
    /// The date the term runs from (receipt, start, end, month end).
    pub reference_date: NaiveDate,
    pub due_date: NaiveDate,
    /// When the message meeting it was received.
    pub fulfilled_at: Option<DateTime<Utc>>,
    /// That moment as a Dutch calendar day.
    pub fulfilled_on: Option<NaiveDate>,
    /// Working days after the due date it was met (0 when on time; None while unmet).
    pub days_late: Option<i64>,
    pub status: Status,
    /// The date the row was evaluated on (its latest receipt or sweep date).
    pub evaluated_on: NaiveDate,
}

impl TimelinessFact {
    pub fn rule(&self) -> &'static str {
        self.kind.rule()
    }
}

/// What every row of one scope shares.
#[derive(Debug, Clone)]
pub struct Owner {
    pub scope: String,
    pub standard: Standard,
    pub gemeente: String,
    pub agb: String,
    pub client: Option<String>,
}

/// Builds rows for one scope, evaluated on one date.
pub struct RowBuilder<'a> {
    pub deadlines: &'a Deadlines,
    pub owner: &'a Owner,
    pub as_of: NaiveDate,
}

/// The fields of one obligation before evaluation.
pub struct Obligation {
    pub key: String,
    pub kind: ObligationKind,
    pub owed_by_role: Partij,
    pub product: (Option<String>, Option<String>),
    pub reference: String,
    pub reference_date: NaiveDate,
    pub due_date: NaiveDate,
    pub fulfilled_at: Option<DateTime<Utc>>,
}

impl RowBuilder<'_> {
    pub fn row(&self, o: Obligation) -> TimelinessFact {
        let fulfilled_on = o.fulfilled_at.map(local_date);
        let (status, days_late) = self
            .deadlines
            .evaluate(o.due_date, fulfilled_on, self.as_of);
        let owed_by = match o.owed_by_role {
            Partij::Aanbieder => self.owner.agb.clone(),
            Partij::Gemeente => self.owner.gemeente.clone(),
        };
        TimelinessFact {
            key: o.key,
            scope: self.owner.scope.clone(),
            kind: o.kind,
            standard: self.owner.standard,
            owed_by_role: o.owed_by_role,
            owed_by,
            gemeente: self.owner.gemeente.clone(),
            agb: self.owner.agb.clone(),
            client: self.owner.client.clone(),
            categorie: o.product.0,
            productcode: o.product.1,
            reference: o.reference,
            reference_date: o.reference_date,
            due_date: o.due_date,
            fulfilled_at: o.fulfilled_at,
            fulfilled_on,
            days_late,
            status,
            evaluated_on: self.as_of,
        }
    }
}

/// A met obligation is final: re-deriving it on a later date changes nothing but
/// `evaluated_on`, so a row that is met and otherwise equal to its stored row keeps the stored
/// date. Decision (issue 12, facts in proportion): `evaluated_on` of a met obligation is the
/// date it was evaluated as met, not the latest date its scope was looked at; the open rows
/// still carry that date, which is all the scope's "as of" needs. It spares rewriting a
/// client's whole history with every message.
pub fn keep_met(mut set: super::FactSet, stored: &[TimelinessFact]) -> super::FactSet {
    let by_key: std::collections::HashMap<&str, &TimelinessFact> =
        stored.iter().map(|s| (s.key.as_str(), s)).collect();
    for row in set.timeliness.iter_mut() {
        let Some(s) = by_key.get(row.key.as_str()) else {
            continue;
        };
        if row.fulfilled_at.is_some() && s.evaluated_on != row.evaluated_on {
            let at = std::mem::replace(&mut row.evaluated_on, s.evaluated_on);
            if *row != **s {
                row.evaluated_on = at;
            }
        }
    }
    set
}

fn earliest(times: impl IntoIterator<Item = DateTime<Utc>>) -> Option<DateTime<Utc>> {
    times.into_iter().min()
}

// ---------------------------------------------------------------------------------------------
// Messages: OP090, OP090x4
// ---------------------------------------------------------------------------------------------

/// OP090: the retour owed on a heenbericht, due 3 working days after its receipt. `answered`
/// is the moment the retour was sent or received, if it was.
pub fn op090_retour(
    b: &RowBuilder,
    key: String,
    owed_by_role: Partij,
    identificatie: &str,
    received_at: DateTime<Utc>,
    answered: Option<DateTime<Utc>>,
) -> TimelinessFact {
    let received = local_date(received_at);
    b.row(Obligation {
        key,
        kind: ObligationKind::Retour,
        owed_by_role,
        product: (None, None),
        reference: identificatie.to_string(),
        reference_date: received,
        due_date: b.deadlines.op090_retour(received),
        fulfilled_at: answered,
    })
}

/// OP090x4: the 325 owed by the gemeente on a 323, due 10 working days after its receipt; the
/// service answers at processing, so it is met at receipt.
pub fn op090x4_declaratie_antwoord(
    b: &RowBuilder,
    key: String,
    identificatie: &str,
    received_at: DateTime<Utc>,
) -> TimelinessFact {
    let received = local_date(received_at);
    b.row(Obligation {
        key,
        kind: ObligationKind::DeclaratieAntwoord,
        owed_by_role: Partij::Gemeente,
        product: (None, None),
        reference: identificatie.to_string(),
        reference_date: received,
        due_date: b.deadlines.op090x4_declaratie_antwoord(received),
        fulfilled_at: Some(received_at),
    })
}

// ---------------------------------------------------------------------------------------------
// Requests: OP274, OP346, 8 weeks, OP359
// ---------------------------------------------------------------------------------------------

/// The answers given on one request so far.
pub struct RequestState<'a> {
    pub verzoek: &'a Verzoek,
    pub antwoorden: &'a [Antwoord],
    /// When a 301 honoured it, if one did.
    pub honoured_at: Option<DateTime<Utc>>,
    pub product: (Option<String>, Option<String>),
}

/// OP274 (VOT product) / OP346 (VOW): the first answer — a 301 honouring it or any 319 —
/// within 5 working days after receipt of the request.
pub fn op274_op346_antwoord(b: &RowBuilder, r: &RequestState) -> TimelinessFact {
    let v = r.verzoek;
    let received = local_date(v.received_at);
    let kind = match v.soort {
        VerzoekSoort::Vot => ObligationKind::AntwoordVot,
        VerzoekSoort::Vow => ObligationKind::AntwoordVow,
    };
    b.row(Obligation {
        key: format!("{}|{}", b.owner.scope, kind.rule()),
        kind,
        owed_by_role: Partij::Gemeente,
        product: r.product.clone(),
        reference: v.referentie.clone(),
        reference_date: received,
        due_date: b.deadlines.op274_antwoord(received),
        fulfilled_at: earliest(
            r.antwoorden
                .iter()
                .map(|a| a.received_at)
                .chain(r.honoured_at),
        ),
    })
}

/// OP274/OP346 after "in onderzoek" (VerzoekAntwoord 2): the final answer — a 301 or a 319
/// rejecting it — within 8 weeks of the request's Dagtekening. None when it was never put
/// "in onderzoek".
pub fn op274_op346_eindantwoord(b: &RowBuilder, r: &RequestState) -> Option<TimelinessFact> {
    if !r.antwoorden.iter().any(|a| a.verzoek_antwoord == "2") {
        return None;
    }
    let v = r.verzoek;
    let kind = match v.soort {
        VerzoekSoort::Vot => ObligationKind::EindantwoordVot,
        VerzoekSoort::Vow => ObligationKind::EindantwoordVow,
    };
    Some(
        b.row(Obligation {
            key: format!("{}|{}|eind", b.owner.scope, kind.rule()),
            kind,
            owed_by_role: Partij::Gemeente,
            product: r.product.clone(),
            reference: v.referentie.clone(),
            reference_date: v.dagtekening,
            due_date: b.deadlines.eindantwoord_8_weken(v.dagtekening),
            fulfilled_at: earliest(
                r.antwoorden
                    .iter()
                    .filter(|a| a.verzoek_antwoord == "1")
                    .map(|a| a.received_at)
                    .chain(r.honoured_at),
            ),
        }),
    )
}

/// OP359: a rejection on woonplaatsbeginsel (RedenAfwijzingVerzoek 8) within 2 weeks after
/// receipt of the request. Only known once such a rejection is sent, so always met.
pub fn op359_woonplaatsbeginsel(b: &RowBuilder, r: &RequestState) -> Option<TimelinessFact> {
    let a = r
        .antwoorden
        .iter()
        .find(|a| a.verzoek_antwoord == "1" && a.reden_afwijzing.as_deref() == Some("8"))?;
    let received = local_date(r.verzoek.received_at);
    Some(b.row(Obligation {
        key: format!("{}|OP359", b.owner.scope),
        kind: ObligationKind::Woonplaatsbeginsel,
        owed_by_role: Partij::Gemeente,
        product: r.product.clone(),
        reference: r.verzoek.referentie.clone(),
        reference_date: received,
        due_date: b.deadlines.op359_woonplaatsbeginsel(received),
        fulfilled_at: Some(a.received_at),
    }))
}

/// Every obligation of one request.
pub fn request_rows(b: &RowBuilder, r: &RequestState) -> Vec<TimelinessFact> {
    let mut out = vec![op274_op346_antwoord(b, r)];
    out.extend(op274_op346_eindantwoord(b, r));
    out.extend(op359_woonplaatsbeginsel(b, r));
    out
}

// ---------------------------------------------------------------------------------------------
// One client: OP271, OP272, declaration months
// ---------------------------------------------------------------------------------------------

fn product_of(t: &Toewijzing) -> (Option<String>, Option<String>) {
    (t.categorie.clone(), t.code.clone())
}

/// The first receipt of an allocation number: when the provider learnt of it (retroactive
/// allocations, OP271).
fn eerst_ontvangen(state: &ClientState, nummer: i64) -> Option<DateTime<Utc>> {
    earliest(
        state
            .toewijzingen
            .iter()
            .filter(|t| t.nummer == nummer)
            .map(|t| t.received_at),
    )
}

/// OP271: the starts owed on allocation `t` (its current version): one row per accepted start,
/// and an open row while none has come.
pub fn op271_start(b: &RowBuilder, state: &ClientState, t: &Toewijzing) -> Vec<TimelinessFact> {
    let ontvangen = eerst_ontvangen(state, t.nummer)
        .map(local_date)
        .unwrap_or(t.ingangsdatum);
    let starts = starts_of(state, t.nummer);
    let mut out = Vec::new();
    for (i, s) in starts.iter().enumerate() {
        let (reference_date, due_date) = b.deadlines.op271_start(s.begindatum, ontvangen);
        let key = if i == 0 {
            format!("{}|OP271|{}", b.owner.scope, t.nummer)
        } else {
            format!("{}|OP271|{}|{}", b.owner.scope, t.nummer, s.begindatum)
        };
        out.push(b.row(Obligation {
            key,
            kind: ObligationKind::Start,
            owed_by_role: Partij::Aanbieder,
            product: product_of(t),
            reference: t.nummer.to_string(),
            reference_date,
            due_date,
            fulfilled_at: Some(s.received_at),
        }));
    }
    if starts.is_empty() && !t.is_deleted() {
        let (reference_date, due_date) = b.deadlines.op271_start(t.ingangsdatum, ontvangen);
        out.push(b.row(Obligation {
            key: format!("{}|OP271|{}", b.owner.scope, t.nummer),
            kind: ObligationKind::Start,
            owed_by_role: Partij::Aanbieder,
            product: product_of(t),
            reference: t.nummer.to_string(),
            reference_date,
            due_date,
            fulfilled_at: None,
        }));
    }
    out
}

/// The accepted, not deleted deliveries of one kind on an allocation, by begin date then
/// receipt.
fn leveringen_of(
    state: &ClientState,
    nummer: i64,
    soort: LeveringSoort,
) -> Vec<&crate::state::Levering> {
    let mut v: Vec<_> = state
        .leveringen
        .iter()
        .filter(|l| l.soort == soort && l.toewijzing_nummer == Some(nummer) && !l.deleted)
        .collect();
    v.sort_by_key(|l| (l.begindatum, l.einddatum, l.received_at));
    v
}

fn starts_of(state: &ClientState, nummer: i64) -> Vec<&crate::state::Levering> {
    leveringen_of(state, nummer, LeveringSoort::Start)
}

fn is_tijdelijk(l: &crate::state::Levering) -> bool {
    l.reden_beeindiging.as_deref() == Some("20")
}

/// OP272: the stops owed on allocation `t`, per delivery (start): every temporary stop as
/// sent, and the definitive stop — met, or owed from the allocation's Einddatum (OP288) unless
/// the delivery was restarted.
pub fn op272_stop(b: &RowBuilder, state: &ClientState, t: &Toewijzing) -> Vec<TimelinessFact> {
    let starts = starts_of(state, t.nummer);
    let stops = leveringen_of(state, t.nummer, LeveringSoort::Stop);
    let mut out = Vec::new();
    let stop_row = |key: String, einddatum: NaiveDate, at: Option<DateTime<Utc>>| {
        b.row(Obligation {
            key,
            kind: ObligationKind::Stop,
            owed_by_role: Partij::Aanbieder,
            product: product_of(t),
            reference: t.nummer.to_string(),
            reference_date: einddatum,
            due_date: b.deadlines.op272_stop(einddatum),
            fulfilled_at: at,
        })
    };
    for s in &starts {
        let base = format!("{}|OP272|{}|{}", b.owner.scope, t.nummer, s.begindatum);
        let own: Vec<_> = stops
            .iter()
            .filter(|x| x.begindatum == s.begindatum)
            .collect();
        for tmp in own.iter().filter(|x| is_tijdelijk(x)) {
            if let Some(e) = tmp.einddatum {
                out.push(stop_row(
                    format!("{base}|tijdelijk|{e}"),
                    e,
                    Some(tmp.received_at),
                ));
            }
        }
        if let Some(def) = own.iter().find(|x| !is_tijdelijk(x)) {
            if let Some(e) = def.einddatum {
                out.push(stop_row(base, e, Some(def.received_at)));
            }
            continue;
        }
        let restarted = starts.iter().any(|x| x.begindatum > s.begindatum);
        if let (false, Some(end)) = (restarted, t.einddatum) {
            out.push(stop_row(base, end, None));
        }
    }
    out
}

/// The calendar months of care on allocation `t` as of `as_of`: every month touched by a
/// delivery, from its start to its first stop (temporary or definitive), the allocation's
/// Einddatum, or `as_of`, whichever comes first.
pub fn zorgmaanden(state: &ClientState, t: &Toewijzing, as_of: NaiveDate) -> Vec<NaiveDate> {
    if t.is_deleted() {
        return Vec::new();
    }
    let stops = leveringen_of(state, t.nummer, LeveringSoort::Stop);
    let mut months = Vec::new();
    for s in starts_of(state, t.nummer) {
        let stop = stops
            .iter()
            .filter(|x| x.begindatum == s.begindatum)
            .filter_map(|x| x.einddatum)
            .min();
        let mut end = as_of;
        for e in stop.into_iter().chain(t.einddatum) {
            end = end.min(e);
        }
        let begin = s.begindatum.max(t.ingangsdatum);
        if begin > end {
            continue;
        }
        let mut m = first_of_month(begin);
        while m <= end {
            months.push(m);
            match m.checked_add_months(Months::new(1)) {
                Some(next) => m = next,
                None => break,
            }
        }
    }
    months.sort_unstable();
    months.dedup();
    months
}

/// The regional declaration term: every month of care on allocation `t` (see [`zorgmaanden`])
/// and every month an approved debit was declared for is owed a declaration by the term
/// ([`Deadlines::declaratie`]); met by the first approved debit for that month.
pub fn declaratie_termijn(
    b: &RowBuilder,
    state: &ClientState,
    t: &Toewijzing,
) -> Vec<TimelinessFact> {
    let mut months: BTreeMap<NaiveDate, Option<DateTime<Utc>>> = zorgmaanden(state, t, b.as_of)
        .into_iter()
        .map(|m| (m, None))
        .collect();
    for p in state
        .prestaties
        .iter()
        .filter(|p| p.toewijzing_nummer == t.nummer && !p.is_credit() && p.is_goedgekeurd())
    {
        let slot = months.entry(first_of_month(p.begindatum)).or_insert(None);
        *slot = Some(slot.map_or(p.received_at, |at| at.min(p.received_at)));
    }
    months
        .into_iter()
        .map(|(m, at)| {
            b.row(Obligation {
                key: format!("{}|DECL|{}|{}", b.owner.scope, t.nummer, m.format("%Y-%m")),
                kind: ObligationKind::Declaratie,
                owed_by_role: Partij::Aanbieder,
                product: product_of(t),
                reference: t.nummer.to_string(),
                reference_date: last_of_month(m),
                due_date: b.deadlines.declaratie(m),
                fulfilled_at: at,
            })
        })
        .collect()
}

/// Every timeliness row of one client scope.
pub fn client_rows(b: &RowBuilder, state: &ClientState) -> Vec<TimelinessFact> {
    let mut out = Vec::new();
    for t in state.actuele_versies() {
        out.extend(op271_start(b, state, t));
        out.extend(op272_stop(b, state, t));
        out.extend(declaratie_termijn(b, state, t));
    }
    out
}

/// A scope's rows sorted by key (stable output; the store does not care).
pub fn sorted(mut set: FactSet) -> FactSet {
    set.timeliness.sort_by(|a, b| a.key.cmp(&b.key));
    set.prestaties.sort_by(|a, b| a.key.cmp(&b.key));
    set.toewijzingen.sort_by(|a, b| a.key.cmp(&b.key));
    set
}

/// The standard's slug, for keys and scopes.
pub fn std_code(s: Standard) -> &'static str {
    s.slug()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::cross::testutil::*;
    use crate::state::{PrestatieStatus, VerzoekSoort};
    use chrono::TimeZone;

    fn on(day: NaiveDate) -> DateTime<Utc> {
        Utc.from_utc_datetime(&day.and_hms_opt(10, 0, 0).unwrap())
    }

    fn owner() -> Owner {
        Owner {
            scope: "s".into(),
            standard: Standard::Ijw,
            gemeente: GEMEENTE.into(),
            agb: AGB.into(),
            client: Some("p".into()),
        }
    }

    fn with<T>(as_of: NaiveDate, f: impl FnOnce(&RowBuilder) -> T) -> T {
        let dl = Deadlines::default();
        let o = owner();
        f(&RowBuilder {
            deadlines: &dl,
            owner: &o,
            as_of,
        })
    }

    fn tweak<T: Clone>(mut x: T, set: impl FnOnce(&mut T)) -> T {
        set(&mut x);
        x
    }

    /// (reference, due, fulfilled, days late, status) of a row.
    fn brief(f: &TimelinessFact) -> (NaiveDate, NaiveDate, Option<NaiveDate>, Option<i64>, Status) {
        (
            f.reference_date,
            f.due_date,
            f.fulfilled_on,
            f.days_late,
            f.status,
        )
    }

    #[test]
    fn a_met_obligation_keeps_the_date_it_was_evaluated_on() {
        let received = on(d(2026, 7, 6));
        let row = |as_of, key: &str, answered| {
            with(as_of, |b| {
                op090_retour(b, key.into(), Partij::Gemeente, "B1", received, answered)
            })
        };
        let met_then = row(d(2026, 7, 7), "met", Some(on(d(2026, 7, 7))));
        let open_then = row(d(2026, 7, 7), "open", None);
        let met_later_again = row(d(2026, 7, 8), "met-again", Some(on(d(2026, 7, 7))));
        let stored = vec![
            met_then.clone(),
            open_then,
            tweak(met_later_again.clone(), |r| {
                r.fulfilled_at = Some(on(d(2026, 7, 8)));
                r.fulfilled_on = Some(d(2026, 7, 8));
            }),
        ];
        let set = crate::facts::FactSet {
            scope: "s".into(),
            timeliness: vec![
                row(d(2026, 7, 20), "met", Some(on(d(2026, 7, 7)))),
                row(d(2026, 7, 20), "open", None),
                row(d(2026, 7, 20), "met-again", Some(on(d(2026, 7, 7)))),
                row(d(2026, 7, 20), "new", Some(on(d(2026, 7, 7)))),
            ],
            ..Default::default()
        };
        let kept = keep_met(set, &stored);
        let dates: Vec<NaiveDate> = kept.timeliness.iter().map(|r| r.evaluated_on).collect();
        // met and unchanged: stored date; open: today's; met differently: today's; new: today's
        assert_eq!(
            dates,
            [
                d(2026, 7, 7),
                d(2026, 7, 20),
                d(2026, 7, 20),
                d(2026, 7, 20)
            ]
        );
        assert_eq!(kept.timeliness[0], met_then);
    }

    #[test]
    fn op271_start_on_time_late_missing_retroactive() {
        // allocation 1 July .. 31 Dec, received Thursday 9 July (testutil): retroactive
        let t = toewijzing(17);
        let late = tweak(start(17, d(2026, 7, 6)), |l| {
            l.received_at = on(d(2026, 7, 20))
        });
        let cs = client_met(vec![t.clone()], vec![late]);
        let rows = with(d(2026, 8, 1), |b| op271_start(b, &cs, &t));
        // reference: the later of the start (6 July) and receipt of the 301 (9 July)
        assert_eq!(
            rows.iter().map(brief).collect::<Vec<_>>(),
            [(
                d(2026, 7, 9),
                d(2026, 7, 16),
                Some(d(2026, 7, 20)),
                Some(2),
                Status::Late
            )]
        );
        // no start yet: owed from the Ingangsdatum or the receipt, whichever is later
        let none = client_met(vec![t.clone()], vec![]);
        let rows = with(d(2026, 7, 16), |b| op271_start(b, &none, &t));
        assert_eq!(rows[0].status, Status::Open);
        let rows = with(d(2026, 7, 17), |b| op271_start(b, &none, &t));
        assert_eq!(
            brief(&rows[0]),
            (d(2026, 7, 9), d(2026, 7, 16), None, None, Status::Overdue)
        );
        // a deleted allocation owes no start
        let mut deleted = t.clone();
        deleted.einddatum = Some(deleted.ingangsdatum);
        deleted.reden_wijziging = Some("13".into());
        let gone = client_met(vec![deleted.clone()], vec![]);
        assert!(with(d(2026, 8, 1), |b| op271_start(b, &gone, &deleted)).is_empty());
        // a deleted start (status 3) does not count
        let del = tweak(start(17, d(2026, 7, 6)), |l| l.deleted = true);
        let cs = client_met(vec![t.clone()], vec![del]);
        let rows = with(d(2026, 8, 1), |b| op271_start(b, &cs, &t));
        assert_eq!(rows[0].fulfilled_at, None);
    }

    #[test]
    fn op271_a_restart_is_a_row_of_its_own() {
        let t = toewijzing(17);
        let cs = client_met(
            vec![t.clone()],
            vec![
                start(17, d(2026, 7, 6)),
                stop(17, d(2026, 7, 6), "20", d(2026, 7, 10)),
                tweak(start(17, d(2026, 8, 3)), |l| {
                    l.received_at = on(d(2026, 8, 4))
                }),
            ],
        );
        let rows = with(d(2026, 9, 1), |b| op271_start(b, &cs, &t));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].reference_date, d(2026, 8, 3));
        assert_eq!(rows[1].status, Status::OnTime);
        assert_ne!(rows[0].key, rows[1].key);
    }

    #[test]
    fn op272_definitive_stop_after_a_temporary_stop() {
        let t = toewijzing(17);
        let tmp = tweak(stop(17, d(2026, 7, 6), "20", d(2026, 8, 14)), |l| {
            l.received_at = on(d(2026, 8, 26))
        });
        // 3.2: the definitive stop's Einddatum is the moment it became known (casus 3)
        let def = tweak(stop(17, d(2026, 7, 6), "34", d(2026, 9, 4)), |l| {
            l.received_at = on(d(2026, 9, 10))
        });
        let cs = client_met(vec![t.clone()], vec![start(17, d(2026, 7, 6)), tmp, def]);
        let rows = with(d(2026, 10, 1), |b| op272_stop(b, &cs, &t));
        assert_eq!(
            rows.iter().map(brief).collect::<Vec<_>>(),
            [
                (
                    d(2026, 8, 14),
                    d(2026, 8, 21),
                    Some(d(2026, 8, 26)),
                    Some(3),
                    Status::Late
                ),
                (
                    d(2026, 9, 4),
                    d(2026, 9, 11),
                    Some(d(2026, 9, 10)),
                    Some(0),
                    Status::OnTime
                ),
            ]
        );
    }

    #[test]
    fn op272_owed_from_the_allocation_end_unless_restarted() {
        let mut t = toewijzing(17);
        t.einddatum = Some(d(2026, 9, 30));
        // started, never stopped: owed from the Einddatum (OP288)
        let cs = client_met(vec![t.clone()], vec![start(17, d(2026, 7, 6))]);
        let rows = with(d(2026, 10, 8), |b| op272_stop(b, &cs, &t));
        assert_eq!(
            brief(&rows[0]),
            (d(2026, 9, 30), d(2026, 10, 7), None, None, Status::Overdue)
        );
        // a temporary stop only: the definitive one is still owed
        let cs = client_met(
            vec![t.clone()],
            vec![
                start(17, d(2026, 7, 6)),
                stop(17, d(2026, 7, 6), "20", d(2026, 8, 14)),
            ],
        );
        let rows = with(d(2026, 10, 8), |b| op272_stop(b, &cs, &t));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].status, Status::Overdue);
        // restarted after the temporary stop: the first delivery owes nothing more; the
        // second owes its stop from the Einddatum
        let cs = client_met(
            vec![t.clone()],
            vec![
                start(17, d(2026, 7, 6)),
                stop(17, d(2026, 7, 6), "20", d(2026, 8, 14)),
                start(17, d(2026, 8, 24)),
            ],
        );
        let rows = with(d(2026, 10, 8), |b| op272_stop(b, &cs, &t));
        assert_eq!(rows.len(), 2, "{rows:#?}");
        assert!(rows[1].key.ends_with("2026-08-24"));
        // an open-ended allocation without a stop owes nothing yet
        let mut open = t.clone();
        open.einddatum = None;
        let cs = client_met(vec![open.clone()], vec![start(17, d(2026, 7, 6))]);
        assert!(with(d(2026, 10, 8), |b| op272_stop(b, &cs, &open)).is_empty());
    }

    #[test]
    fn months_of_care_run_from_start_to_stop_or_today() {
        let t = toewijzing(17);
        let cs = client_met(
            vec![t.clone()],
            vec![
                start(17, d(2026, 7, 20)),
                stop(17, d(2026, 7, 20), "20", d(2026, 9, 2)),
            ],
        );
        assert_eq!(
            zorgmaanden(&cs, &t, d(2026, 12, 1)),
            [d(2026, 7, 1), d(2026, 8, 1), d(2026, 9, 1)]
        );
        let running = client_met(vec![t.clone()], vec![start(17, d(2026, 7, 20))]);
        assert_eq!(
            zorgmaanden(&running, &t, d(2026, 8, 5)),
            [d(2026, 7, 1), d(2026, 8, 1)]
        );
        // the allocation's end bounds it
        assert_eq!(zorgmaanden(&running, &t, d(2027, 3, 1)).len(), 6);
        // a start before the Ingangsdatum counts from the Ingangsdatum
        let early = client_met(vec![t.clone()], vec![start(17, d(2026, 6, 15))]);
        assert_eq!(zorgmaanden(&early, &t, d(2026, 7, 5)), [d(2026, 7, 1)]);
    }

    #[test]
    fn declaration_term_met_by_the_first_approved_debit() {
        let t = toewijzing(17);
        let mut cs = client_met(vec![t.clone()], vec![start(17, d(2026, 7, 6))]);
        // August: a rejected debit (does not count), then an approved one received 2 October
        let mut rejected = prestatie("R1", None, 17, 93850);
        rejected.status = PrestatieStatus::Afgewezen;
        rejected.received_at = on(d(2026, 9, 10));
        let mut approved = prestatie("R2", None, 17, 93850);
        approved.received_at = on(d(2026, 10, 2));
        // a credit never fulfils
        let mut credit = prestatie("R3", Some("R2"), 17, -93850);
        credit.received_at = on(d(2026, 9, 1));
        cs.prestaties = vec![rejected, approved, credit];
        let rows = with(d(2026, 10, 5), |b| declaratie_termijn(b, &cs, &t));
        let aug = rows
            .iter()
            .find(|r| r.reference_date == d(2026, 8, 31))
            .unwrap();
        // due 30 September (Wednesday); met Friday 2 October: 2 working days late
        assert_eq!(
            brief(aug),
            (
                d(2026, 8, 31),
                d(2026, 9, 30),
                Some(d(2026, 10, 2)),
                Some(2),
                Status::Late
            )
        );
        let jul = rows
            .iter()
            .find(|r| r.reference_date == d(2026, 7, 31))
            .unwrap();
        assert_eq!(jul.status, Status::Overdue);
        let oct = rows
            .iter()
            .find(|r| r.reference_date == d(2026, 10, 31))
            .unwrap();
        assert_eq!(oct.status, Status::Open);
        assert_eq!(rows.len(), 4, "July to October");
        assert_eq!(rows[0].rule(), REGIONAL_DECLARATION_RULE);
    }

    #[test]
    fn requests_first_answer_final_answer_and_woonplaatsbeginsel() {
        // VOT received 9 July (Thursday): first answer due Thursday 16 July
        let v = verzoek("REF-A", VerzoekSoort::Vot);
        let in_onderzoek = tweak(antwoord("REF-A", "2"), |a| {
            a.received_at = on(d(2026, 7, 15))
        });
        let r = RequestState {
            verzoek: &v,
            antwoorden: std::slice::from_ref(&in_onderzoek),
            honoured_at: None,
            product: (Some("45".into()), Some("45A03".into())),
        };
        let rows = with(d(2026, 8, 1), |b| request_rows(b, &r));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].kind, ObligationKind::AntwoordVot);
        assert_eq!(brief(&rows[0]).4, Status::OnTime);
        // 8 weeks from the Dagtekening (22 June) = 17 August
        assert_eq!(rows[1].kind, ObligationKind::EindantwoordVot);
        assert_eq!(
            brief(&rows[1]),
            (d(2026, 6, 22), d(2026, 8, 17), None, None, Status::Open)
        );
        // honoured by a 301 on 20 August: late, 3 working days
        let r = RequestState {
            honoured_at: Some(on(d(2026, 8, 20))),
            ..r
        };
        let rows = with(d(2026, 8, 20), |b| request_rows(b, &r));
        assert_eq!(brief(&rows[1]).3, Some(3));
        // a rejection on woonplaatsbeginsel, 14 days after receipt (9 July → 23 July)
        let mut wpb = antwoord("REF-A", "1");
        wpb.reden_afwijzing = Some("8".into());
        wpb.received_at = on(d(2026, 7, 24));
        let both = [in_onderzoek.clone(), wpb];
        let r = RequestState {
            verzoek: &v,
            antwoorden: &both,
            honoured_at: None,
            product: (None, None),
        };
        let rows = with(d(2026, 8, 1), |b| request_rows(b, &r));
        let kinds: Vec<_> = rows.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [
                ObligationKind::AntwoordVot,
                ObligationKind::EindantwoordVot,
                ObligationKind::Woonplaatsbeginsel
            ]
        );
        assert_eq!(
            brief(&rows[2]),
            (
                d(2026, 7, 9),
                d(2026, 7, 23),
                Some(d(2026, 7, 24)),
                Some(1),
                Status::Late
            )
        );
        assert_eq!(rows[2].rule(), "OP359");
        // the rejection is also the final answer
        assert_eq!(rows[1].fulfilled_on, Some(d(2026, 7, 24)));
        // a VOW is OP346
        let vow = verzoek("REF-W", VerzoekSoort::Vow);
        let r = RequestState {
            verzoek: &vow,
            antwoorden: &[],
            honoured_at: None,
            product: (None, None),
        };
        let rows = with(d(2026, 7, 10), |b| request_rows(b, &r));
        assert_eq!(
            (rows[0].kind, rows[0].rule()),
            (ObligationKind::AntwoordVow, "OP346")
        );
        assert_eq!(rows[0].owed_by, GEMEENTE);
    }

    #[test]
    fn kinds_and_parties_round_trip() {
        for k in ObligationKind::ALL {
            assert_eq!(ObligationKind::parse(k.code()), Some(k));
        }
        for p in [Partij::Aanbieder, Partij::Gemeente] {
            assert_eq!(Partij::parse(p.code()), Some(p));
        }
    }
}
