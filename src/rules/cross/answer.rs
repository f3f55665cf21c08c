//! Building the answers: the retour (302/306/308/316/318/320; IV028, IV032, OP065, §9.1) and
//! the 325 declaration answer (IV087, IV088, TR342, §6.7). Answers are element trees built
//! from the heenbericht's tree and written with [`write`].
//!
//! Retour:
//! - header elements 1–7 copied unchanged from the heenbericht (Afzender and Ontvanger too), with
//!   the retour's BerichtCode; then IdentificatieRetour (the service's answer id),
//!   DagtekeningRetour (`today`), XsdVersieRetour and, when there is a header code, RetourCodes;
//! - no finding: header only, no RetourCodes;
//! - a header finding or level-2 rejection: header only, with the code(s);
//! - findings in the body: header 0200 and the whole body class (Client or Antwoord) copied with
//!   every sub-class; each class that the retour definition gives a RetourCodes gets its own
//!   codes, 0233 when an enclosing class was rejected as a whole (not assessed), otherwise 0200.
//!
//! Decision: XsltVersie is left out. It is mandatory only when rejecting on ZIN's XSLTs
//! (IV033); the service applies its own implementation of those rules, not ZIN's XSLTs.
//!
//! XsdVersie of what the service writes (XsdVersieRetour, the 325's XsdVersie) is the version
//! in the official XSDs' appinfo (IV034): 0.1.0 for iJw 3.2, 1.0.0 for iWmo 3.2 (§2.1 of the
//! messages digest).

use super::declaratie::Oordeel;
use super::{gemeente_header, DecideInput, Hit, Place};
use crate::message::kind::{MessageKind, Standard};
use crate::message::model::Declaratie;
use crate::message::tree::Element;
use crate::message::write::write;
use crate::schema::{MessageDef, SchemaSet};
use crate::state::{Outcome, Outgoing, Verdict};
use std::collections::HashMap;

/// The XSD version the service's answers declare, per standard (IV034).
pub fn xsd_versie(standard: Standard) -> &'static str {
    match standard {
        Standard::Ijw => "0.1.0",
        Standard::Iwmo => "1.0.0",
    }
}

fn m(name: &str) -> Element {
    Element::new(name, false)
}

fn leaf(name: &str, text: impl Into<String>) -> Element {
    Element::leaf(name, false, text)
}

fn b(name: &str, text: impl Into<String>) -> Element {
    Element::leaf(name, true, text)
}

fn with(mut e: Element, children: Vec<Element>) -> Element {
    e.children = children;
    e
}

/// A `RetourCodes` class with one `RetourCode` per code.
pub fn retour_codes(codes: &[&str]) -> Element {
    with(
        m("RetourCodes"),
        codes.iter().map(|c| leaf("RetourCode", *c)).collect(),
    )
}

fn xsd_versie_element(name: &str, standard: Standard) -> Element {
    let v = xsd_versie(standard);
    with(
        m(name),
        vec![b("BasisschemaXsdVersie", v), b("BerichtXsdVersie", v)],
    )
}

fn def(kind: MessageKind) -> &'static MessageDef {
    SchemaSet::embedded()
        .get(kind)
        .unwrap_or_else(|| panic!("the embedded definitions cover every kind, also {kind}"))
}

/// Writes an answer tree as a message of `kind`.
pub fn write_answer(kind: MessageKind, tree: &Element) -> String {
    write(def(kind), tree)
}

/// The routing key to the sender of the heenbericht (where its answer goes).
fn naar_afzender(msg_kind: MessageKind, afzender: &str, answer: MessageKind) -> String {
    if gemeente_header(msg_kind) {
        Outgoing::routing_key_gemeente(afzender, answer)
    } else {
        Outgoing::routing_key_aanbieder(afzender, answer)
    }
}

/// Every RetourCode in the tree, distinct, in document order.
fn codes_in(tree: &Element, out: &mut Vec<String>) {
    if tree.name == "RetourCode" {
        if let Some(t) = &tree.text {
            if !out.contains(t) {
                out.push(t.clone());
            }
        }
    }
    for c in &tree.children {
        codes_in(c, out);
    }
}

// ---------------------------------------------------------------------------------------------
// Retour
// ---------------------------------------------------------------------------------------------

/// Step path of the element being copied: (local name, index among same-named siblings).
type Steps<'a> = Vec<(&'a str, usize)>;

fn matches(place: &Place, steps: &Steps) -> bool {
    place.0.len() == steps.len()
        && place
            .0
            .iter()
            .zip(steps)
            .all(|(p, (n, i))| p.name == *n && p.index.unwrap_or(0) == *i)
}

fn encloses(place: &Place, steps: &Steps) -> bool {
    place.0.len() < steps.len()
        && place
            .0
            .iter()
            .zip(steps)
            .all(|(p, (n, i))| p.name == *n && p.index.unwrap_or(0) == *i)
}

struct Copier<'a> {
    def: &'a MessageDef,
    hits: &'a [Hit],
    placed: Vec<bool>,
}

impl Copier<'_> {
    fn class_codes(&mut self, steps: &Steps) -> Vec<&'static str> {
        let mut own: Vec<&'static str> = Vec::new();
        for (i, h) in self.hits.iter().enumerate() {
            if matches(&h.place, steps) {
                self.placed[i] = true;
                if !own.contains(&h.code) {
                    own.push(h.code);
                }
            }
        }
        if !own.is_empty() {
            own
        } else if self
            .hits
            .iter()
            .any(|h| h.blocks && encloses(&h.place, steps))
        {
            vec!["0233"]
        } else {
            vec!["0200"]
        }
    }

    fn copy<'s>(&mut self, src: &'s Element, steps: &mut Steps<'s>) -> Element {
        let mut e = Element {
            name: src.name.clone(),
            basis: src.basis,
            text: src.text.clone(),
            children: Vec::with_capacity(src.children.len() + 1),
            offset: 0,
        };
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for c in &src.children {
            if c.name == "RetourCodes" {
                continue;
            }
            let n = seen.entry(c.name.as_str()).or_insert(0);
            steps.push((c.name.as_str(), *n));
            *n += 1;
            let copied = self.copy(c, steps);
            e.children.push(copied);
            steps.pop();
        }
        let names: Vec<&str> = steps.iter().map(|(n, _)| *n).collect();
        let is_class = self
            .def
            .lookup(&names)
            .is_some_and(|id| self.def.child(id, "RetourCodes").is_some());
        if is_class && !src.basis {
            let codes = self.class_codes(steps);
            e.children.push(retour_codes(&codes));
        }
        e
    }
}

/// The retour tree for the heenbericht: `header_codes` on the header (none: no RetourCodes);
/// with `hits`, the body class copied with every sub-class and its codes.
pub fn retour_tree(input: &DecideInput, header_codes: &[&str], hits: Option<&[Hit]>) -> Element {
    let kind = input.msg.kind;
    let retour = kind.answered_by().unwrap_or(kind);
    let heen = input.tree;
    let mut header = m("Header");
    if let Some(h) = heen.child("Header") {
        for c in &h.children {
            if c.name == "BerichtCode" {
                header
                    .children
                    .push(leaf("BerichtCode", retour.berichtcode().to_string()));
            } else {
                header.children.push(c.clone());
            }
        }
    }
    header
        .children
        .push(leaf("IdentificatieRetour", input.answer_id));
    header
        .children
        .push(leaf("DagtekeningRetour", input.today.to_string()));
    header
        .children
        .push(xsd_versie_element("XsdVersieRetour", kind.standard));
    if !header_codes.is_empty() {
        header.children.push(retour_codes(header_codes));
    }
    let mut root = with(m("Bericht"), vec![header]);
    if let Some(hits) = hits {
        let mut copier = Copier {
            def: def(retour),
            hits,
            placed: vec![false; hits.len()],
        };
        if let Some(body) = heen.children.iter().find(|c| c.name != "Header") {
            let mut steps: Steps = vec![(body.name.as_str(), 0)];
            let mut copied = copier.copy(body, &mut steps);
            // A hit whose place is no class of the retour (a rule bug) must not vanish: its code
            // goes on the body class, so the rejection still says why.
            let lost: Vec<&'static str> = hits
                .iter()
                .zip(&copier.placed)
                .filter(|(_, placed)| !**placed)
                .map(|(h, _)| h.code)
                .collect();
            if !lost.is_empty() {
                if let Some(rc) = copied
                    .children
                    .iter_mut()
                    .rev()
                    .find(|c| c.name == "RetourCodes")
                {
                    rc.children.retain(|c| c.text.as_deref() != Some("0200"));
                    for code in lost {
                        rc.children.push(leaf("RetourCode", code));
                    }
                }
            }
            root.children.push(copied);
        }
    }
    root
}

/// The retour as an outgoing message to the heenbericht's sender, with the codes it carries
/// (distinct, in document order) for the log.
pub fn retour(
    input: &DecideInput,
    header_codes: &[&str],
    hits: Option<&[Hit]>,
) -> (Outgoing, Vec<String>) {
    let kind = input.msg.kind;
    let retour = kind.answered_by().unwrap_or(kind);
    let tree = retour_tree(input, header_codes, hits);
    let out = Outgoing {
        kind: retour,
        routing_key: naar_afzender(kind, &input.msg.header.afzender, retour),
        identificatie: input.answer_id.to_string(),
        xml: write_answer(retour, &tree),
    };
    (out, codes_in_tree(&tree))
}

/// A header-only rejection (level 2 with 0001, or TR056/TR135): a retour, or for a 323 a 325
/// without DeclaratieAntwoord. Nothing is stored or forwarded.
pub fn header_rejection(input: &DecideInput, codes: &[&str]) -> Outcome {
    let (out, retour_codes) = if input.msg.kind.number == 323 {
        let tree = antwoord_325_tree(input, codes, None);
        (antwoord_325_outgoing(input, &tree), codes_in_tree(&tree))
    } else {
        retour(input, codes, None)
    };
    Outcome {
        verdict: Verdict::Rejected,
        retour_codes,
        changes: Vec::new(),
        outgoing: vec![out],
        facts: Vec::new(),
    }
}

/// A rejection on the body's classes: header 0200 and the body copied with codes (IV028).
pub fn body_rejection(input: &DecideInput, hits: &[Hit]) -> Outcome {
    let (out, retour_codes) = retour(input, &["0200"], Some(hits));
    Outcome {
        verdict: Verdict::Rejected,
        retour_codes,
        changes: Vec::new(),
        outgoing: vec![out],
        facts: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// 325
// ---------------------------------------------------------------------------------------------

fn totaal(name: &str, cents: i64) -> Element {
    with(
        m(name),
        vec![
            b("TotaalBedrag", cents.abs().to_string()),
            b("DebetCredit", if cents < 0 { "C" } else { "D" }),
        ],
    )
}

/// The 325 tree: its own header (Afzender = the gemeente the 323 was sent to, Ontvanger = the
/// provider, DeclaratieIdentificatie and XsdVersieDeclaratie copied from the 323) with
/// `header_codes`, and the DeclaratieAntwoord when given.
fn antwoord_325_tree(input: &DecideInput, header_codes: &[&str], da: Option<Element>) -> Element {
    let kind = input.msg.kind;
    let antwoord = kind.answered_by().unwrap_or(kind);
    let h = &input.msg.header;
    let heen_header = input.tree.child("Header");
    let copy_of = |name: &str| {
        heen_header
            .and_then(|hh| hh.child(name))
            .map(|e| e.children.clone())
            .unwrap_or_default()
    };
    let header = with(
        m("Header"),
        vec![
            leaf("BerichtCode", antwoord.berichtcode().to_string()),
            leaf("BerichtVersie", "3"),
            leaf("BerichtSubversie", "2"),
            leaf("Afzender", h.ontvanger.clone()),
            leaf("Ontvanger", h.afzender.clone()),
            with(
                m("BerichtIdentificatie"),
                vec![
                    b("Identificatie", input.answer_id),
                    b("Dagtekening", input.today.to_string()),
                ],
            ),
            xsd_versie_element("XsdVersie", kind.standard),
            with(
                m("DeclaratieIdentificatie"),
                copy_of("BerichtIdentificatie"),
            ),
            with(m("XsdVersieDeclaratie"), copy_of("XsdVersie")),
            retour_codes(header_codes),
        ],
    );
    let mut root = with(m("Bericht"), vec![header]);
    root.children.extend(da);
    root
}

fn antwoord_325_outgoing(input: &DecideInput, tree: &Element) -> Outgoing {
    let kind = input.msg.kind;
    let antwoord = kind.answered_by().unwrap_or(kind);
    Outgoing {
        kind: antwoord,
        routing_key: naar_afzender(kind, &input.msg.header.afzender, antwoord),
        identificatie: input.answer_id.to_string(),
        xml: write_answer(antwoord, tree),
    }
}

/// The n-th child called `name`.
fn nth<'a>(e: &'a Element, name: &str, n: usize) -> Option<&'a Element> {
    e.children.iter().filter(|c| c.name == name).nth(n)
}

/// The 325 for a judged 323 (§6.7):
/// - class Declaratie rejected: header 0200, DeclaratieAntwoord with its codes and
///   TotaalToegekendBedrag 0, no clients;
/// - everything approved: header 0200, DeclaratieAntwoord 8001 with TotaalToegekendBedrag =
///   TotaalIngediendBedrag, no clients;
/// - otherwise: header 0200, DeclaratieAntwoord 0200 with the signed sum of the approved
///   prestaties, and only the clients with rejected prestaties (OP304): the client with its own
///   code or 0200, each rejected prestatie copied with all its values (TR366/TR367) and its
///   codes (0233 when its client was rejected). TR342 holds by construction: the returned
///   prestaties add up to TotaalIngediendBedrag − TotaalToegekendBedrag, because the 323's total
///   is the signed sum of its prestaties (TR358, level 2).
pub fn antwoord_325(input: &DecideInput, d: &Declaratie, o: &Oordeel) -> (Outgoing, Vec<String>) {
    let heen_decl = input.tree.child("Declaratie");
    let ingediend = heen_decl
        .and_then(|e| e.child("TotaalIngediendBedrag"))
        .cloned()
        .unwrap_or_else(|| totaal("TotaalIngediendBedrag", d.totaal_ingediend_bedrag.signed()));
    let nummer = leaf("DeclaratieNummer", d.declaratie_nummer.clone());
    let da = if !o.declaratie.is_empty() {
        let mut codes: Vec<&str> = Vec::new();
        for h in &o.declaratie {
            if !codes.contains(&h.code) {
                codes.push(h.code);
            }
        }
        with(
            m("DeclaratieAntwoord"),
            vec![
                nummer,
                ingediend,
                totaal("TotaalToegekendBedrag", 0),
                retour_codes(&codes),
            ],
        )
    } else if o.prestaties.iter().all(|p| p.goedgekeurd()) {
        let mut toegekend = ingediend.clone();
        toegekend.name = "TotaalToegekendBedrag".into();
        with(
            m("DeclaratieAntwoord"),
            vec![nummer, ingediend, toegekend, retour_codes(&["8001"])],
        )
    } else {
        let toegekend: i64 = d
            .prestaties()
            .filter(|(ci, pi, _)| o.prestatie(*ci, *pi).is_some_and(|p| p.goedgekeurd()))
            .map(|(_, _, p)| p.ingediend_bedrag.signed())
            .sum();
        let clienten_heen = heen_decl.and_then(|e| e.child("Clienten"));
        let mut clienten = m("Clienten");
        for (ci, c) in d.clienten.client.iter().enumerate() {
            let rejected: Vec<_> = o
                .prestaties
                .iter()
                .filter(|p| p.ci == ci && !p.goedgekeurd())
                .collect();
            if rejected.is_empty() {
                continue;
            }
            let heen_client = clienten_heen.and_then(|e| nth(e, "Client", ci));
            let heen_prestaties = heen_client.and_then(|e| e.child("Prestaties"));
            let mut prestaties = m("Prestaties");
            for p in rejected {
                let mut copy = heen_prestaties
                    .and_then(|e| nth(e, "Prestatie", p.pi))
                    .cloned()
                    .unwrap_or_else(|| m("Prestatie"));
                copy.children.retain(|c| c.name != "RetourCodes");
                copy.children.push(retour_codes(&p.codes()));
                prestaties.children.push(copy);
            }
            let client_codes: Vec<&str> = match o.clienten.get(ci) {
                Some(hits) if !hits.is_empty() => {
                    let mut v: Vec<&str> = Vec::new();
                    for h in hits {
                        if !v.contains(&h.code) {
                            v.push(h.code);
                        }
                    }
                    v
                }
                _ => vec!["0200"],
            };
            clienten.children.push(with(
                m("Client"),
                vec![
                    leaf("Bsn", c.bsn.clone()),
                    prestaties,
                    retour_codes(&client_codes),
                ],
            ));
        }
        with(
            m("DeclaratieAntwoord"),
            vec![
                nummer,
                ingediend,
                totaal("TotaalToegekendBedrag", toegekend),
                clienten,
                retour_codes(&["0200"]),
            ],
        )
    };
    let tree = antwoord_325_tree(input, &["0200"], Some(da));
    (antwoord_325_outgoing(input, &tree), codes_in_tree(&tree))
}

/// Every RetourCode in an answer tree, distinct, in document order.
pub fn codes_in_tree(tree: &Element) -> Vec<String> {
    let mut out = Vec::new();
    codes_in(tree, &mut out);
    out
}
