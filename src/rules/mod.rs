//! Level-2 rules: every condition (CD), constraint (CS) and single-message technical rule (TR,
//! control level "XSLT") of iJw 3.2 / iWmo 3.2, checked on one typed [`Message`].
//!
//! Every rule is a small function named after its code (`cd075_…`, `tr302_…`) that pushes a
//! [`Finding::rule`] (retour code 0001) with the element path and a plain explanation. Rules never
//! stop at the first finding. Grouping:
//! - [`common`]: header versions, BSN, names, birth dates, addresses/contacts, communication,
//!   and the TR134 date rule;
//! - [`toewijzing`] (301) and the allocation-shape rules shared with 315/317;
//! - [`levering`] (305/307), [`verzoek`] (315/317), [`antwoord`] (319);
//! - [`declaratie`] (323), [`declaratie_antwoord`] (325);
//! - [`sleutels`]: TR101, unique logical keys per class.
//!
//! The RS restrictions are value-space rules the XSD already enforces (layer 1) and have no
//! function here.
//!
//! Layers 3 and 4 (rules against stored state, the answers and the state changes) are in
//! [`cross`].

pub mod antwoord;
pub mod cbs;
pub mod common;
pub mod cross;
pub mod declaratie;
pub mod declaratie_antwoord;
pub mod levering;
pub mod sleutels;
pub mod toewijzing;
pub mod verzoek;

use crate::finding::Finding;
use crate::message::kind::Standard;
use crate::message::model::{Body, Message};
use chrono::NaiveDate;

/// What the rules need to know about the message besides the class they look at.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    pub standard: Standard,
    /// `Header/BerichtIdentificatie/Dagtekening`: "the Dagtekening of the message".
    pub dagtekening: NaiveDate,
}

/// The path of the `i`-th (0-based) `name` child of `parent`, with its 1-based index.
pub fn at(parent: &str, name: &str, i: usize) -> String {
    format!("{parent}/{name}[{}]", i + 1)
}

/// Runs every level-2 rule that applies to the message and returns all findings.
///
/// The rules apply to the heenberichten 301, 305, 307, 315, 317, 319 and 323, and to the 325,
/// as the standard lists them. Decision: the technical retours 302/306/308/316/318/320 are checked
/// at layer 1 only — the standard attaches no CD/CS/TR-xslt rule to them, they copy a heenbericht
/// that was already checked, and a retour on a retour does not exist. For those, and for a
/// header-only 325, this returns no findings (a 325 header still gets CS015/CS025).
///
/// iWmo uses the same rules, except TR377 and TR409 (Woonplaatsbeginsel, iJw only).
pub fn check(msg: &Message) -> Vec<Finding> {
    let mut out = Vec::new();
    if msg.kind.is_retour() {
        return out;
    }
    let ctx = Ctx {
        standard: msg.kind.standard,
        dagtekening: msg.header.bericht_identificatie.dagtekening,
    };
    common::cs025_berichtversie_is_3(&msg.header, &mut out);
    common::cs015_berichtsubversie_is_2(&msg.header, &mut out);
    match &msg.body {
        Body::Toewijzing(c) => toewijzing::check(c, &ctx, &mut out),
        Body::Start(c) => levering::check_start(c, &ctx, &mut out),
        Body::Stop(c) => levering::check_stop(c, &ctx, &mut out),
        Body::Vot(c) => verzoek::check_vot(c, &ctx, &mut out),
        Body::Vow(c) => verzoek::check_vow(c, &ctx, &mut out),
        Body::Antwoord(a) => antwoord::check(a, &ctx, &mut out),
        Body::Declaratie(d) => declaratie::check(d, &ctx, &mut out),
        Body::DeclaratieAntwoord(a) => declaratie_antwoord::check(a, &ctx, &mut out),
        Body::Empty => {}
    }
    sleutels::check(&msg.body, &mut out);
    out
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::Ctx;
    use crate::finding::Finding;
    use crate::message::kind::Standard;
    use chrono::NaiveDate;

    pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    pub fn ctx(y: i32, m: u32, day: u32) -> Ctx {
        Ctx {
            standard: Standard::Ijw,
            dagtekening: d(y, m, day),
        }
    }

    pub fn wmo(c: Ctx) -> Ctx {
        Ctx {
            standard: Standard::Iwmo,
            ..c
        }
    }

    /// The rule codes of the findings, in order.
    pub fn codes(f: &[Finding]) -> Vec<&str> {
        f.iter().map(|f| f.rule.as_deref().unwrap_or("")).collect()
    }
}

#[cfg(test)]
mod tests;
