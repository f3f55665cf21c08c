//! The facts engine: the region's deadlines and the pseudonym key, and the derivation of every
//! fact a judged message brings (see [`crate::facts`] for the design).

use super::cost::{self, client_scope};
use super::pseudonym::Pseudonymizer;
use super::timeliness::{self, std_code, Owner, Partij, RequestState, RowBuilder};
use super::{FactSet, TimelinessFact};
use crate::contracts::ContractContext;
use crate::message::kind::{MessageKind, Standard};
use crate::message::model::{Body, Message};
use crate::protocol::calendar::Calendar;
use crate::protocol::deadlines::{local_date, Deadlines, DeclaratieTermijn};
use crate::rules::cross::{partijen, DecideInput};
use crate::state::{
    Antwoord, Change, ClientState, Context, LeveringSoort, Outcome, Verzoek, VerzoekStatus,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use thiserror::Error;

/// The facts settings of a region (the `[facts]` table of the configuration; every field has
/// an `IJWMO_*` variable in the CLI).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FactsConfig {
    /// Secret key of the BSN pseudonym (HMAC-SHA256), at least 16 bytes. Keep it stable: a new
    /// key gives every client a new pseudonym. Empty: no facts are recorded.
    pub pseudonym_key: String,
    /// Extra closed days besides the national holidays (e.g. a bridging day by royal decree).
    pub closed_days: Vec<NaiveDate>,
    /// `end-of-month+N` (default `end-of-month+1`) or `working-days+N`.
    pub declaratie_termijn: String,
    /// Move an end-of-month declaration term off a weekend day or holiday to the next working
    /// day (default false: see [`Deadlines::declaratie_naar_werkdag`]).
    pub declaratie_naar_werkdag: bool,
    /// Seconds between two sweeps of the running service; 0: the service does not sweep
    /// (with several instances one sweeps, or `ijwmo sweep` runs from cron).
    pub sweep_interval_secs: u64,
    /// First day the region measures timeliness (its go-live): obligations whose reference
    /// date lies before it are not recorded. Without it, care that was running before the
    /// service saw its first message would show as months of undeclared care and missing
    /// starts. Costs are recorded regardless.
    pub measure_from: Option<NaiveDate>,
}

impl Default for FactsConfig {
    fn default() -> Self {
        FactsConfig {
            pseudonym_key: String::new(),
            closed_days: Vec::new(),
            declaratie_termijn: DeclaratieTermijn::default().to_string(),
            declaratie_naar_werkdag: false,
            sweep_interval_secs: 3600,
            measure_from: None,
        }
    }
}

impl FactsConfig {
    /// True when facts are to be recorded (a key is configured).
    pub fn enabled(&self) -> bool {
        !self.pseudonym_key.is_empty()
    }

    /// The pause between two sweeps of the running service.
    pub fn sweep_interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.sweep_interval_secs.max(1))
    }
}

#[derive(Debug, Error)]
pub enum FactsError {
    #[error("facts: {0}")]
    Key(&'static str),
    #[error("facts: {0}")]
    Termijn(#[from] crate::protocol::deadlines::TermijnError),
}

/// Deadlines plus the pseudonym key: everything needed to turn state into facts.
#[derive(Debug, Clone)]
pub struct FactsEngine {
    pub deadlines: Deadlines,
    pseudonymizer: Pseudonymizer,
    /// See [`FactsConfig::measure_from`].
    measure_from: Option<NaiveDate>,
}

/// One client at one provider in one gemeente and domain: the scope of its deliveries and
/// costs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientKey {
    pub standard: Standard,
    pub gemeente: String,
    pub agb: String,
    pub bsn: String,
}

impl FactsEngine {
    pub fn new(deadlines: Deadlines, pseudonymizer: Pseudonymizer) -> FactsEngine {
        FactsEngine {
            deadlines,
            pseudonymizer,
            measure_from: None,
        }
    }

    /// Records timeliness only for obligations from `date` on (see
    /// [`FactsConfig::measure_from`]).
    pub fn measuring_from(mut self, date: Option<NaiveDate>) -> FactsEngine {
        self.measure_from = date;
        self
    }

    /// Drops the obligations that lie before the measurement start and sorts the rows.
    fn measured(&self, mut set: FactSet) -> FactSet {
        if let Some(from) = self.measure_from {
            set.timeliness.retain(|f| f.reference_date >= from);
        }
        timeliness::sorted(set)
    }

    /// From configuration; refuses a missing or short key.
    pub fn from_config(c: &FactsConfig) -> Result<FactsEngine, FactsError> {
        let pseudonymizer =
            Pseudonymizer::new(c.pseudonym_key.as_bytes()).map_err(FactsError::Key)?;
        let deadlines = Deadlines {
            calendar: Calendar::national().with_closed_days(c.closed_days.iter().copied()),
            declaratie: c.declaratie_termijn.parse()?,
            declaratie_naar_werkdag: c.declaratie_naar_werkdag,
        };
        Ok(FactsEngine::new(deadlines, pseudonymizer).measuring_from(c.measure_from))
    }

    pub fn pseudonym(&self, bsn: &str) -> String {
        self.pseudonymizer.of(bsn)
    }

    pub fn client_scope(&self, k: &ClientKey) -> String {
        client_scope(k.standard, &k.gemeente, &k.agb, &self.pseudonym(&k.bsn))
    }

    /// The fact scopes a message's derivation reads (their rows are loaded into
    /// [`Context::facts`]): the heenbericht a retour answers, the requests a 301/319 answers,
    /// and the clients a 301/305/307/323 is about.
    pub fn scopes(&self, msg: &Message) -> Vec<String> {
        let (gemeente, agb) = partijen(msg);
        let std = msg.kind.standard;
        let client = |bsn: &str| {
            self.client_scope(&ClientKey {
                standard: std,
                gemeente: gemeente.to_string(),
                agb: agb.to_string(),
                bsn: bsn.to_string(),
            })
        };
        let mut out = BTreeSet::new();
        if let Some(heen) = msg.kind.answers().filter(|_| msg.kind.is_retour()) {
            out.insert(bericht_scope(heen, msg, None));
        }
        match &msg.body {
            Body::Toewijzing(c) => {
                out.insert(client(&c.bsn));
                for p in &c.toegewezen_producten.toegewezen_product {
                    if let Some(r) = &p.referentie_aanbieder {
                        out.insert(request_scope(std, agb, r));
                    }
                }
            }
            Body::Start(c) => {
                out.insert(client(&c.bsn));
            }
            Body::Stop(c) => {
                out.insert(client(&c.bsn));
            }
            Body::Antwoord(a) => {
                out.insert(request_scope(std, agb, &a.referentie_aanbieder));
            }
            Body::Declaratie(d) => {
                out.extend(d.clienten.client.iter().map(|c| client(&c.bsn)));
            }
            _ => {}
        }
        out.into_iter().collect()
    }

    /// Every fact set the judged message changes: its own answer obligation (OP090/OP090x4),
    /// the obligation a received retour meets, the requests it opens or answers, and the
    /// clients whose state it changed.
    pub fn derive(&self, input: &DecideInput, ctx: &Context, outcome: &Outcome) -> Vec<FactSet> {
        let msg = input.msg;
        let mut sets = Vec::new();
        if msg.kind.is_retour() {
            sets.extend(self.retour_ontvangen(input, ctx));
        } else if msg.kind.number != 325 {
            sets.push(self.antwoord_op_bericht(input, ctx, outcome));
            sets.extend(self.verzoeken(input, ctx, outcome));
            sets.extend(self.clienten(input, ctx, outcome));
        }
        sets.into_iter()
            .map(|s| timeliness::keep_met(self.measured(s), &ctx.facts))
            .collect()
    }

    /// The date a scope is evaluated on: the receipt date, or the latest date the scope was
    /// evaluated on before (a message received earlier but processed later does not move it
    /// back).
    fn as_of(&self, received: NaiveDate, scope: &str, ctx: &Context) -> NaiveDate {
        ctx.facts
            .iter()
            .filter(|f| f.scope == scope)
            .map(|f| f.evaluated_on)
            .fold(received, NaiveDate::max)
    }

    /// OP090 / OP090x4 on the message itself.
    fn antwoord_op_bericht(
        &self,
        input: &DecideInput,
        ctx: &Context,
        outcome: &Outcome,
    ) -> FactSet {
        let msg = input.msg;
        let h = &msg.header;
        let (gemeente, agb) = partijen(msg);
        let answered_by = msg.kind.answered_by();
        let by_service = outcome
            .outgoing
            .iter()
            .any(|o| Some(o.kind) == answered_by && o.identificatie == input.answer_id);
        let scope = bericht_scope(msg.kind, msg, by_service.then_some(input.answer_id));
        let client = match &msg.body {
            Body::Toewijzing(c) => Some(c.bsn.as_str()),
            Body::Start(c) => Some(c.bsn.as_str()),
            Body::Stop(c) => Some(c.bsn.as_str()),
            Body::Vot(c) => Some(c.bsn.as_str()),
            Body::Vow(c) => Some(c.bsn.as_str()),
            Body::Antwoord(a) => ctx
                .verzoeken
                .get(&a.referentie_aanbieder)
                .and_then(|v| v.first())
                .map(|v| v.bsn.as_str()),
            _ => None,
        };
        let owner = Owner {
            scope: scope.clone(),
            standard: msg.kind.standard,
            gemeente: gemeente.to_string(),
            agb: agb.to_string(),
            client: client.map(|b| self.pseudonym(b)),
        };
        let received = local_date(input.received_at);
        let b = RowBuilder {
            deadlines: &self.deadlines,
            owner: &owner,
            as_of: self.as_of(received, &scope, ctx),
        };
        let identificatie = &h.bericht_identificatie.identificatie;
        let row = if msg.kind.number == 323 {
            timeliness::op090x4_declaratie_antwoord(
                &b,
                format!("{scope}|OP090x4"),
                identificatie,
                input.received_at,
            )
        } else {
            // the receiver answers: the gemeente on provider messages, the provider on a
            // forwarded 301/319. What the service answers itself (also a 301/319 it rejects,
            // which the provider never sees) it answers for the region's municipalities: owed
            // by the gemeente, so the providers' figures hold only what providers did.
            let owed_by = if msg.kind.sent_by_gemeente() && !by_service {
                Partij::Aanbieder
            } else {
                Partij::Gemeente
            };
            timeliness::op090_retour(
                &b,
                format!("{scope}|OP090"),
                owed_by,
                identificatie,
                input.received_at,
                by_service.then_some(input.received_at),
            )
        };
        FactSet {
            scope,
            timeliness: vec![row],
            ..FactSet::default()
        }
    }

    /// A 302/320 meets the OP090 obligation of the 301/319 it answers (the first one counts).
    fn retour_ontvangen(&self, input: &DecideInput, ctx: &Context) -> Option<FactSet> {
        let msg = input.msg;
        let heen = msg.kind.answers()?;
        let scope = bericht_scope(heen, msg, None);
        let open = ctx
            .facts
            .iter()
            .find(|f| f.scope == scope && f.fulfilled_at.is_none())?;
        let received = local_date(input.received_at);
        let as_of = self.as_of(received, &scope, ctx);
        let fulfilled_on = received;
        let (status, days_late) = self
            .deadlines
            .evaluate(open.due_date, Some(fulfilled_on), as_of);
        let row = TimelinessFact {
            fulfilled_at: Some(input.received_at),
            fulfilled_on: Some(fulfilled_on),
            status,
            days_late,
            evaluated_on: as_of,
            ..open.clone()
        };
        Some(FactSet {
            scope,
            timeliness: vec![row],
            ..FactSet::default()
        })
    }

    /// The requests a 315/317 opens and a 319/301 answers.
    fn verzoeken(&self, input: &DecideInput, ctx: &Context, outcome: &Outcome) -> Vec<FactSet> {
        let msg = input.msg;
        let mut out = Vec::new();
        for c in &outcome.changes {
            match c {
                Change::AddVerzoek(v) => {
                    let product = match &msg.body {
                        Body::Vot(vot) => vot
                            .aangevraagde_producten
                            .aangevraagd_product
                            .iter()
                            .find(|p| p.referentie_aanbieder == v.referentie)
                            .and_then(|p| p.product.as_ref())
                            .map(|p| (Some(p.categorie.clone()), p.code.clone()))
                            .unwrap_or_default(),
                        _ => (None, None),
                    };
                    let v = Verzoek {
                        received_at: input.received_at,
                        ..v.clone()
                    };
                    out.push(self.request_set(&v, &[], None, product, input, ctx));
                }
                Change::AddAntwoord(a) => {
                    let Some(v) = ctx.verzoeken.get(&a.referentie).and_then(|v| v.first()) else {
                        continue;
                    };
                    let mut antwoorden = ctx
                        .antwoorden
                        .get(&a.referentie)
                        .cloned()
                        .unwrap_or_default();
                    antwoorden.push(Antwoord {
                        received_at: input.received_at,
                        ..a.clone()
                    });
                    let product = self.product_of_scope(ctx, v);
                    out.push(self.request_set(v, &antwoorden, None, product, input, ctx));
                }
                Change::SetVerzoekStatus {
                    referentie,
                    status: VerzoekStatus::Toegewezen,
                    ..
                } => {
                    let Some(v) = ctx.verzoeken.get(referentie).and_then(|v| v.first()) else {
                        continue;
                    };
                    let antwoorden = ctx.antwoorden.get(referentie).cloned().unwrap_or_default();
                    let product = self.product_of_scope(ctx, v);
                    out.push(self.request_set(
                        v,
                        &antwoorden,
                        Some(input.received_at),
                        product,
                        input,
                        ctx,
                    ));
                }
                _ => {}
            }
        }
        out
    }

    /// The requested product, as recorded when the request arrived.
    fn product_of_scope(&self, ctx: &Context, v: &Verzoek) -> (Option<String>, Option<String>) {
        let scope = request_scope(v.standard, &v.agb, &v.referentie);
        ctx.facts
            .iter()
            .find(|f| f.scope == scope)
            .map(|f| (f.categorie.clone(), f.productcode.clone()))
            .unwrap_or_default()
    }

    fn request_set(
        &self,
        v: &Verzoek,
        antwoorden: &[Antwoord],
        honoured_at: Option<DateTime<Utc>>,
        product: (Option<String>, Option<String>),
        input: &DecideInput,
        ctx: &Context,
    ) -> FactSet {
        let scope = request_scope(v.standard, &v.agb, &v.referentie);
        let owner = Owner {
            scope: scope.clone(),
            standard: v.standard,
            gemeente: v.gemeente.clone(),
            agb: v.agb.clone(),
            client: Some(self.pseudonym(&v.bsn)),
        };
        let b = RowBuilder {
            deadlines: &self.deadlines,
            owner: &owner,
            as_of: self.as_of(local_date(input.received_at), &scope, ctx),
        };
        let r = RequestState {
            verzoek: v,
            antwoorden,
            honoured_at,
            product,
        };
        FactSet {
            scope,
            timeliness: timeliness::request_rows(&b, &r),
            ..FactSet::default()
        }
    }

    /// The client scopes whose state the message changed, re-derived from the state after it.
    fn clienten(&self, input: &DecideInput, ctx: &Context, outcome: &Outcome) -> Vec<FactSet> {
        let msg = input.msg;
        if !matches!(msg.kind.number, 301 | 305 | 307 | 323) {
            return Vec::new();
        }
        let (gemeente, agb) = partijen(msg);
        let bsns: BTreeSet<&str> = outcome
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::AddToewijzing(t) => Some(t.bsn.as_str()),
                Change::AddLevering(l) => Some(l.bsn.as_str()),
                Change::DeleteLevering { bsn, .. } => Some(bsn.as_str()),
                Change::AddPrestatie(p) => Some(p.bsn.as_str()),
                _ => None,
            })
            .collect();
        let received = local_date(input.received_at);
        bsns.into_iter()
            .map(|bsn| {
                let key = ClientKey {
                    standard: msg.kind.standard,
                    gemeente: gemeente.to_string(),
                    agb: agb.to_string(),
                    bsn: bsn.to_string(),
                };
                let mut state = ctx.client(bsn).cloned().unwrap_or_default();
                apply(&mut state, &outcome.changes, bsn, input.received_at);
                let scope = self.client_scope(&key);
                let as_of = self.as_of(received, &scope, ctx);
                self.client_facts(&key, &state, &ctx.contracts, as_of)
            })
            .collect()
    }

    /// Every fact of one client scope, from its state, as of `as_of`.
    pub fn client_facts(
        &self,
        key: &ClientKey,
        state: &ClientState,
        contracts: &ContractContext,
        as_of: NaiveDate,
    ) -> FactSet {
        let client = self.pseudonym(&key.bsn);
        let scope = client_scope(key.standard, &key.gemeente, &key.agb, &client);
        let owner = Owner {
            scope: scope.clone(),
            standard: key.standard,
            gemeente: key.gemeente.clone(),
            agb: key.agb.clone(),
            client: Some(client.clone()),
        };
        let b = RowBuilder {
            deadlines: &self.deadlines,
            owner: &owner,
            as_of,
        };
        let (prestaties, toewijzingen) = cost::client_rows(&scope, &client, state, contracts);
        self.measured(FactSet {
            scope,
            timeliness: timeliness::client_rows(&b, state),
            prestaties,
            toewijzingen,
        })
    }

    /// [`Self::client_facts`] for the sweep: evaluated as of `date`, or as of the scope's latest
    /// evaluation if that is later (`existing` are the scope's stored rows).
    pub fn sweep_client(
        &self,
        key: &ClientKey,
        state: &ClientState,
        contracts: &ContractContext,
        existing: &[TimelinessFact],
        date: NaiveDate,
    ) -> FactSet {
        let as_of = existing
            .iter()
            .map(|f| f.evaluated_on)
            .fold(date, NaiveDate::max);
        timeliness::keep_met(self.client_facts(key, state, contracts, as_of), existing)
    }
}

/// The scope of one heenbericht's answer obligation: its kind, sender and BerichtIdentificatie,
/// plus the service's answer id when the service answered it (a provider's retour is matched
/// without it: it copies the heenbericht's header).
fn bericht_scope(kind: MessageKind, msg: &Message, answer_id: Option<&str>) -> String {
    let h = &msg.header;
    let mut s = format!(
        "bericht|{kind}|{}|{}|{}",
        h.afzender, h.bericht_identificatie.identificatie, h.bericht_identificatie.dagtekening
    );
    if let Some(a) = answer_id {
        s.push('|');
        s.push_str(a);
    }
    s
}

/// The scope of one request (ReferentieAanbieder, unique per provider and domain).
pub fn request_scope(standard: Standard, agb: &str, referentie: &str) -> String {
    format!("verzoek|{}|{agb}|{referentie}", std_code(standard))
}

/// The client's state after the message: its changes applied as the store applies them.
pub fn apply(state: &mut ClientState, changes: &[Change], bsn: &str, at: DateTime<Utc>) {
    for c in changes {
        match c {
            Change::AddToewijzing(t) if t.bsn == bsn => {
                state.toewijzingen.push(crate::state::Toewijzing {
                    received_at: at,
                    // newest: wins a tie on the decision moment, as the stored row would
                    message_id: i64::MAX,
                    ..t.clone()
                });
            }
            Change::AddLevering(l) if l.bsn == bsn => {
                state.leveringen.push(crate::state::Levering {
                    received_at: at,
                    message_id: i64::MAX,
                    ..l.clone()
                });
            }
            Change::DeleteLevering {
                bsn: b,
                soort,
                toewijzing_nummer,
                categorie,
                code,
                begindatum,
                einddatum,
                reden_beeindiging,
                ..
            } if b == bsn => {
                for l in state.leveringen.iter_mut().filter(|l| {
                    !l.deleted
                        && l.soort == *soort
                        && l.toewijzing_nummer == *toewijzing_nummer
                        && l.categorie == *categorie
                        && l.code == *code
                        && l.begindatum == *begindatum
                        && (l.soort == LeveringSoort::Start
                            || (l.einddatum == *einddatum
                                && l.reden_beeindiging == *reden_beeindiging))
                }) {
                    l.deleted = true;
                }
            }
            Change::AddPrestatie(p) if p.bsn == bsn => {
                state.prestaties.push(crate::state::Prestatie {
                    received_at: at,
                    message_id: i64::MAX,
                    ..p.clone()
                });
            }
            _ => {}
        }
    }
}
