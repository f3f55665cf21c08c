//! Layers 3 and 4: rules across messages (TR "berichtoverstijgend", OP) judged against stored
//! state, and the answers (retours, 325) and forwards they lead to.
//!
//! Every rule is a small function named after its code (`tr019_…`) that returns a [`Hit`]: the
//! retour code and the class instance ([`Place`]) it goes on. The OP rules a TR enforces are named
//! in its doc comment, as are the project's decisions where the standard leaves a point open.
//! Grouping:
//! - [`header`]: TR056, TR135 (every message);
//! - [`toewijzing`] (301), [`levering`] (305/307), [`verzoek`] (315/317), [`antwoord`] (319),
//!   [`declaratie`] (323), [`declaratie_antwoord`] (a received 325);
//! - [`answer`]: building the retour (IV028/IV032, OP065) and the 325 (IV087/IV088, TR342);
//! - [`apply`]: the state changes an accepted message makes.
//!
//! How a message is answered ([`decide`]):
//! - level-2 findings: a header-only answer with 0001 (for a 323: a 325 with header 0001 and no
//!   DeclaratieAntwoord), verdict Rejected, no changes;
//! - a header-level finding (TR056 9056, TR135 8848): a header-only answer with that code;
//! - 301/305/307/315/317/319: any finding rejects the whole message (IV032, OP286): the retour
//!   copies the client (or Antwoord) with all its classes, each with 0200, 0233 (not assessed) or
//!   the rule's codes, and the header carries 0200. Without findings the message is accepted:
//!   the state changes are made and the original text is forwarded to its receiver;
//! - 323: per prestatie (§6.7), answered with a 325; see [`declaratie`];
//! - retours (302/306/308/316/318/320) and a received 325: recorded and forwarded, see
//!   [`recorded`].
//!
//! Who gets what (decisions):
//! - a retour on a provider message (305/307/315/317) goes to that provider,
//!   `aanbieder.<agb>.<retour>`, and an accepted message is forwarded to the gemeente,
//!   `gemeente.<code>.<kind>`;
//! - an accepted 301/319 is forwarded to the provider and gets no retour from the service (the
//!   provider answers it with 302/320, which the service records and passes on). A rejected
//!   301/319 is not forwarded: the service builds the standard retour (302/320) itself and sends it
//!   to the gemeente, `gemeente.<code>.jw302`, so the gemeente learns why exactly as if the
//!   provider had rejected it;
//! - the 325 goes to the provider; when at least one prestatie is approved the original 323 and
//!   the same 325 are forwarded to the gemeente as well (the 325 tells the gemeente which part was
//!   approved, the 323 carries the claim itself). A declaration with nothing approved is not
//!   forwarded.

pub mod answer;
pub mod antwoord;
pub mod apply;
pub mod declaratie;
pub mod declaratie_antwoord;
pub mod header;
pub mod levering;
pub mod toewijzing;
pub mod verzoek;

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod testutil;

use crate::message::kind::MessageKind;
use crate::message::model::{Body, Message, Product};
use crate::message::tree::Element;
use crate::state::{Context, ContextKeys, Outcome, Outgoing, Verdict};
use chrono::{DateTime, NaiveDate, Utc};
use std::fmt;

/// One message to judge, with what the rules may need besides stored state.
#[derive(Debug, Clone, Copy)]
pub struct DecideInput<'a> {
    pub msg: &'a Message,
    /// The same message as an element tree (answers copy classes from it).
    pub tree: &'a Element,
    pub received_at: DateTime<Utc>,
    /// The system date in the region (TR135, "current" allocations).
    pub today: NaiveDate,
    /// Identification for the retour or 325 this message gets (unique per message).
    pub answer_id: &'a str,
    /// Level-2 findings (CD/CS/TR within the message): if any, the answer is a header-only
    /// rejection with 0001 and no state changes.
    pub level2_failed: bool,
    /// The message text exactly as received: what is forwarded to the receiver.
    pub text: &'a str,
}

// ---------------------------------------------------------------------------------------------
// Where a rule applies, and what it found
// ---------------------------------------------------------------------------------------------

/// One step of a [`Place`]: an element name and, for a class that may repeat, its 0-based index
/// among its same-named siblings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Step {
    pub name: &'static str,
    pub index: Option<usize>,
}

/// A class instance in the heenbericht, as the steps from `Bericht` down to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Place(pub Vec<Step>);

fn one(name: &'static str) -> Step {
    Step { name, index: None }
}

fn nth(name: &'static str, i: usize) -> Step {
    Step {
        name,
        index: Some(i),
    }
}

impl Place {
    pub fn header() -> Place {
        Place(vec![one("Header")])
    }
    /// The single `Client` of a 301/305/307/315/317.
    pub fn client() -> Place {
        Place(vec![one("Client")])
    }
    /// `Antwoord` of a 319.
    pub fn antwoord() -> Place {
        Place(vec![one("Antwoord")])
    }
    /// `Declaratie` of a 323.
    pub fn declaratie() -> Place {
        Place(vec![one("Declaratie")])
    }
    pub fn toegewezen_product(i: usize) -> Place {
        Place::client().below(&[one("ToegewezenProducten"), nth("ToegewezenProduct", i)])
    }
    pub fn start_product(i: usize) -> Place {
        Place::client().below(&[one("StartProducten"), nth("StartProduct", i)])
    }
    pub fn stop_product(i: usize) -> Place {
        Place::client().below(&[one("StopProducten"), nth("StopProduct", i)])
    }
    pub fn aangevraagd_product(i: usize) -> Place {
        Place::client().below(&[one("AangevraagdeProducten"), nth("AangevraagdProduct", i)])
    }
    /// `Verzoek` of a 317.
    pub fn verzoek() -> Place {
        Place::client().below(&[one("Verzoek")])
    }
    pub fn ongewijzigd_product(i: usize) -> Place {
        Place::verzoek().below(&[one("OngewijzigdeProducten"), nth("OngewijzigdProduct", i)])
    }
    pub fn te_wijzigen_product(i: usize) -> Place {
        Place::verzoek().below(&[one("TeWijzigenProducten"), nth("TeWijzigenProduct", i)])
    }
    pub fn nieuw_product(i: usize) -> Place {
        Place::verzoek().below(&[one("NieuweProducten"), nth("NieuwProduct", i)])
    }
    /// Client `ci` of a 323.
    pub fn declaratie_client(ci: usize) -> Place {
        Place::declaratie().below(&[one("Clienten"), nth("Client", ci)])
    }
    /// Prestatie `pi` of client `ci` of a 323.
    pub fn prestatie(ci: usize, pi: usize) -> Place {
        Place::declaratie_client(ci).below(&[one("Prestaties"), nth("Prestatie", pi)])
    }

    fn below(mut self, steps: &[Step]) -> Place {
        self.0.extend_from_slice(steps);
        self
    }

    /// True when `self` lies strictly inside `other`.
    pub fn is_inside(&self, other: &Place) -> bool {
        self.0.len() > other.0.len() && self.0.starts_with(&other.0)
    }
}

impl fmt::Display for Place {
    /// As in findings: `/Bericht/Client/StartProducten/StartProduct[2]` (1-based).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("/Bericht")?;
        for s in &self.0 {
            match s.index {
                Some(i) => write!(f, "/{}[{}]", s.name, i + 1)?,
                None => write!(f, "/{}", s.name)?,
            }
        }
        Ok(())
    }
}

/// A broken layer-3/4 rule: which rule, the retour code it gives and the class it goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Rule code, e.g. `TR019`.
    pub rule: &'static str,
    /// Retour code (WJ001), e.g. `9019`.
    pub code: &'static str,
    pub place: Place,
    /// Plain explanation. Never contains a BSN.
    pub message: String,
    /// True when the class is rejected as a whole and its sub-classes are not assessed: they
    /// get 0233 in the answer (e.g. an unknown client, TR304).
    pub blocks: bool,
}

impl Hit {
    pub fn new(
        rule: &'static str,
        code: &'static str,
        place: Place,
        message: impl Into<String>,
    ) -> Hit {
        Hit {
            rule,
            code,
            place,
            message: message.into(),
            blocks: false,
        }
    }

    /// The same hit, marking the sub-classes of its class as not assessed (0233).
    pub fn blocking(mut self) -> Hit {
        self.blocks = true;
        self
    }
}

/// Pushes a rule's result, if any.
pub(crate) fn push(out: &mut Vec<Hit>, hit: Option<Hit>) {
    out.extend(hit);
}

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// True when the gemeente sends this kind of message or the heenbericht it answers: 301, 319 and
/// 325, and the retours 302/320 that copy a 301/319 header. Their Afzender is a gemeentecode
/// and their Ontvanger an AGB code; every other message has it the other way round.
pub fn gemeente_header(kind: MessageKind) -> bool {
    matches!(kind.number, 301 | 302 | 319 | 320 | 325)
}

/// (gemeente, agb) from the header, per direction.
pub fn partijen(msg: &Message) -> (&str, &str) {
    let h = &msg.header;
    if gemeente_header(msg.kind) {
        (&h.afzender, &h.ontvanger)
    } else {
        (&h.ontvanger, &h.afzender)
    }
}

/// A product from the optional category and code of a stored record.
pub fn product_of(categorie: Option<&str>, code: Option<&str>) -> Option<Product> {
    categorie.map(|c| Product {
        categorie: c.to_string(),
        code: code.map(str::to_string),
    })
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v.dedup();
    v
}

// ---------------------------------------------------------------------------------------------
// The contract with the pipeline
// ---------------------------------------------------------------------------------------------

/// The stored state `msg` must be judged against.
///
/// Gemeente and AGB come from the header per direction ([`partijen`]); the rest per family:
/// - 301: the client, its ToewijzingNummers (TR332 owners) and the ReferentieAanbieder values it
///   honours (TR379);
/// - 305/307: the client (its allocations and deliveries) and the ToewijzingNummers;
/// - 315: the client (pending requests, TR374) and every ReferentieAanbieder (TR347);
/// - 317: the client, the referenced ToewijzingNummers and the Verzoek's ReferentieAanbieder;
/// - 319: its ReferentieAanbieder (requests, earlier answers, honouring 301s);
/// - 323: every client, every ToewijzingNummer (TR304/TR338), every ReferentieNummer and
///   VorigReferentieNummer (TR314, TR323, TR390), the DeclaratieNummer (TR333) and the
///   contracts (TR418, TR381);
/// - 301/305/307 also load the contracts: the cost facts price allocations with them;
/// - 325: its clients and ReferentieNummers (TR366/TR367) and its DeclaratieNummer (for TR376);
/// - retours: nothing beyond the parties.
pub fn context_keys(msg: &Message) -> ContextKeys {
    let (gemeente, agb) = partijen(msg);
    let mut k = ContextKeys {
        standard: Some(msg.kind.standard),
        gemeente: gemeente.to_string(),
        agb: agb.to_string(),
        ..ContextKeys::default()
    };
    if msg.kind.is_retour() {
        return k;
    }
    let mut nummers: Vec<i64> = Vec::new();
    let mut referenties: Vec<String> = Vec::new();
    let mut referentie_nummers: Vec<String> = Vec::new();
    let mut bsns: Vec<String> = Vec::new();
    match &msg.body {
        Body::Toewijzing(c) => {
            k.contracts = true;
            bsns.push(c.bsn.clone());
            for p in &c.toegewezen_producten.toegewezen_product {
                nummers.push(p.toewijzing_nummer.into());
                referenties.extend(p.referentie_aanbieder.clone());
            }
        }
        Body::Start(c) => {
            k.contracts = true;
            bsns.push(c.bsn.clone());
            nummers.extend(
                c.start_producten
                    .start_product
                    .iter()
                    .filter_map(|p| p.toewijzing_nummer.map(i64::from)),
            );
        }
        Body::Stop(c) => {
            k.contracts = true;
            bsns.push(c.bsn.clone());
            nummers.extend(
                c.stop_producten
                    .stop_product
                    .iter()
                    .filter_map(|p| p.toewijzing_nummer.map(i64::from)),
            );
        }
        Body::Vot(c) => {
            bsns.push(c.bsn.clone());
            referenties.extend(
                c.aangevraagde_producten
                    .aangevraagd_product
                    .iter()
                    .map(|p| p.referentie_aanbieder.clone()),
            );
        }
        Body::Vow(c) => {
            bsns.push(c.bsn.clone());
            referenties.push(c.verzoek.referentie_aanbieder.clone());
            nummers.extend(
                c.verzoek
                    .ongewijzigd()
                    .iter()
                    .map(|p| i64::from(p.toewijzing_nummer)),
            );
            nummers.extend(
                c.verzoek
                    .te_wijzigen()
                    .iter()
                    .map(|p| i64::from(p.toewijzing_nummer)),
            );
        }
        Body::Antwoord(a) => referenties.push(a.referentie_aanbieder.clone()),
        Body::Declaratie(d) => {
            k.contracts = true;
            k.declaratie_nummer = Some(d.declaratie_nummer.clone());
            bsns.extend(d.clienten.client.iter().map(|c| c.bsn.clone()));
            for (_, _, p) in d.prestaties() {
                nummers.push(p.toewijzing_nummer.into());
                referentie_nummers.push(p.product_referentie.referentie_nummer.clone());
                referentie_nummers.extend(p.product_referentie.vorig_referentie_nummer.clone());
            }
        }
        Body::DeclaratieAntwoord(a) => {
            k.declaratie_nummer = Some(a.declaratie_nummer.clone());
            if let Some(cl) = &a.clienten {
                bsns.extend(cl.client.iter().map(|c| c.bsn.clone()));
            }
            for (_, _, p) in a.prestaties() {
                referentie_nummers.push(p.product_referentie.referentie_nummer.clone());
            }
        }
        Body::Empty => {}
    }
    k.bsns = sorted(bsns);
    k.toewijzing_nummers = sorted(nummers);
    k.referenties = sorted(referenties);
    k.referentie_nummers = sorted(referentie_nummers);
    k
}

/// Judges the message against its context: retour codes, state changes, outgoing messages.
pub fn decide(input: &DecideInput, ctx: &Context) -> Outcome {
    let msg = input.msg;
    if msg.kind.is_retour() || msg.kind.number == 325 {
        return recorded(input, ctx);
    }
    if input.level2_failed {
        return answer::header_rejection(input, &["0001"]);
    }
    let header_hits = header::check(input, ctx);
    if !header_hits.is_empty() {
        let codes: Vec<&str> = header_hits.iter().map(|h| h.code).collect();
        return answer::header_rejection(input, &codes);
    }
    let hits = match &msg.body {
        Body::Toewijzing(c) => toewijzing::check(c, input, ctx),
        Body::Start(c) => levering::check_start(c, input, ctx),
        Body::Stop(c) => levering::check_stop(c, input, ctx),
        Body::Vot(c) => verzoek::check_vot(c, input, ctx),
        Body::Vow(c) => verzoek::check_vow(c, input, ctx),
        Body::Antwoord(a) => antwoord::check(a, input, ctx),
        Body::Declaratie(d) => return declaratie::decide(d, input, ctx),
        Body::DeclaratieAntwoord(_) | Body::Empty => Vec::new(),
    };
    if hits.is_empty() {
        accepted(input)
    } else {
        answer::body_rejection(input, &hits)
    }
}

/// An accepted 301/305/307/315/317/319: the state changes, a header-only retour without codes
/// to a provider (none for a gemeente message, see the module documentation), and the original
/// text forwarded to the receiver.
fn accepted(input: &DecideInput) -> Outcome {
    let msg = input.msg;
    let mut outgoing = Vec::new();
    if !gemeente_header(msg.kind) {
        outgoing.push(answer::retour(input, &[], None).0);
    }
    outgoing.push(forward(msg, input.text));
    Outcome {
        verdict: Verdict::Accepted,
        retour_codes: Vec::new(),
        changes: apply::changes(input),
        outgoing,
        facts: Vec::new(),
    }
}

/// The original message, passed on to its header Ontvanger.
pub fn forward(msg: &Message, text: &str) -> Outgoing {
    Outgoing {
        kind: msg.kind,
        routing_key: route_to(msg, &msg.header.ontvanger),
        identificatie: msg.header.bericht_identificatie.identificatie.clone(),
        xml: text.to_string(),
    }
}

/// The routing key for `party` (a header Afzender or Ontvanger of `msg`): a 4-digit
/// gemeentecode routes to the gemeente, anything else (an 8-digit AGB code) to the provider.
fn route_to(msg: &Message, party: &str) -> String {
    if party.len() == 4 {
        Outgoing::routing_key_gemeente(party, msg.kind)
    } else {
        Outgoing::routing_key_aanbieder(party, msg.kind)
    }
}

/// A retour (302/306/308/316/318/320) or a 325 received: recorded and passed on, verdict
/// Recorded, no state changes.
///
/// Decisions:
/// - a retour copies the heenbericht's header, so it goes to the header **Afzender** (the party
///   that sent the heenbericht); a 325 goes to its **Ontvanger** (the provider);
/// - no rule beyond TR135 (and, for a 325, the links TR366/TR367 to the declaration, see
///   [`declaratie_antwoord`]) is checked: the standard has no answer on a retour or on a 325
///   (§1.1), so a finding cannot be returned to anyone. A finding is logged in the outcome's
///   retour codes and the message is still passed on: holding it back would hide the answer
///   from the party waiting for it (OP090 timeliness is measured on it);
/// - the state is not changed: a 302/320 only confirms; the outcome of a gemeente's own 325 on
///   a declaration the service answered is for the parties, not a second verdict.
pub fn recorded(input: &DecideInput, ctx: &Context) -> Outcome {
    let msg = input.msg;
    let mut codes: Vec<String> = Vec::new();
    if let Some(h) = header::tr135_dagtekening_niet_in_toekomst(
        msg.header.bericht_identificatie.dagtekening,
        input.today,
    ) {
        codes.push(h.code.to_string());
    }
    if let Body::DeclaratieAntwoord(a) = &msg.body {
        for h in declaratie_antwoord::check(a, ctx) {
            if !codes.iter().any(|c| c == h.code) {
                codes.push(h.code.to_string());
            }
        }
    }
    let party = if msg.kind.is_retour() {
        &msg.header.afzender
    } else {
        &msg.header.ontvanger
    };
    let out = Outgoing {
        kind: msg.kind,
        routing_key: route_to(msg, party),
        identificatie: msg
            .header
            .identificatie_retour
            .clone()
            .unwrap_or_else(|| msg.header.bericht_identificatie.identificatie.clone()),
        xml: input.text.to_string(),
    };
    Outcome {
        verdict: Verdict::Recorded,
        retour_codes: codes,
        changes: Vec::new(),
        outgoing: vec![out],
        facts: Vec::new(),
    }
}
