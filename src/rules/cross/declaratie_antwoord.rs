//! A 325 received from a gemeente: checked against the declaration it answers, for the log
//! only (no message answers a 325; see [`super::recorded`]).
//!
//! Not checked: TR337 (DeclaratieIdentificatie = BerichtIdentificatie of an earlier 323) and
//! TR371 (XsdVersieDeclaratie = the 323's XsdVersie) need the message log, which the context
//! does not carry; TR376 (DeclaratieNummer known) has no retour code.

use super::{Hit, Place};
use crate::message::model::{DeclaratieAntwoord, Prestatie as PrestatieMsg};
use crate::state::{Context, Prestatie};

fn gedeclareerd<'a>(p: &PrestatieMsg, ctx: &'a Context) -> Option<&'a Prestatie> {
    let r = &p.product_referentie.referentie_nummer;
    ctx.prestaties
        .get(r)?
        .iter()
        .find(|q| q.referentie_nummer == *r)
}

/// Place of returned prestatie `pi` of client `ci` in a 325.
fn plaats(ci: usize, pi: usize) -> Place {
    Place(vec![
        super::Step {
            name: "DeclaratieAntwoord",
            index: None,
        },
        super::Step {
            name: "Clienten",
            index: None,
        },
        super::Step {
            name: "Client",
            index: Some(ci),
        },
        super::Step {
            name: "Prestaties",
            index: None,
        },
        super::Step {
            name: "Prestatie",
            index: Some(pi),
        },
    ])
}

/// TR366 (9366): every prestatie in a 325 is a prestatie of a declaration the provider sent,
/// by ProductReferentie (OP303).
pub fn tr366_prestatie_gedeclareerd(p: &PrestatieMsg, ctx: &Context, place: Place) -> Option<Hit> {
    gedeclareerd(p, ctx).is_none().then(|| {
        Hit::new(
            "TR366",
            "9366",
            place,
            format!(
                "ReferentieNummer {} was never declared",
                p.product_referentie.referentie_nummer
            ),
        )
    })
}

/// TR367 (9367): a returned prestatie repeats the values of the declared one (OP303), and it
/// belongs to the same client (TR304 is reported as 9367 here: the Bsn is one of those values).
pub fn tr367_waarden_gelijk(
    p: &PrestatieMsg,
    bsn: &str,
    ctx: &Context,
    place: Place,
) -> Option<Hit> {
    let q = gedeclareerd(p, ctx)?;
    let same = q.bsn == bsn
        && q.vorig_referentie_nummer == p.product_referentie.vorig_referentie_nummer
        && q.toewijzing_nummer == i64::from(p.toewijzing_nummer)
        && q.categorie == p.product_categorie
        && q.code == p.product_code
        && q.begindatum == p.product_periode.begindatum
        && q.einddatum == p.product_periode.einddatum
        && q.volume == p.geleverd_volume
        && q.eenheid == p.eenheid
        && q.tarief == p.product_tarief
        && q.bedrag == p.ingediend_bedrag.signed();
    (!same).then(|| {
        Hit::new(
            "TR367",
            "9367",
            place,
            "the returned prestatie differs from the declared one",
        )
    })
}

/// The checks on a received 325.
pub fn check(a: &DeclaratieAntwoord, ctx: &Context) -> Vec<Hit> {
    let mut out = Vec::new();
    for (ci, pi, p) in a.prestaties() {
        let bsn = a
            .clienten
            .as_ref()
            .and_then(|c| c.client.get(ci))
            .map_or("", |c| c.bsn.as_str());
        super::push(
            &mut out,
            tr366_prestatie_gedeclareerd(p, ctx, plaats(ci, pi)),
        );
        super::push(&mut out, tr367_waarden_gelijk(p, bsn, ctx, plaats(ci, pi)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::model::{BedragMetDc, GeslotenPeriode, Referentie};
    use crate::rules::cross::testutil::*;

    fn returned(r: &str, bedrag: i64) -> PrestatieMsg {
        let q = prestatie(r, None, 17, bedrag);
        PrestatieMsg {
            product_referentie: Referentie {
                referentie_nummer: r.into(),
                vorig_referentie_nummer: None,
            },
            toewijzing_nummer: 17,
            product_categorie: q.categorie.clone(),
            product_code: q.code.clone(),
            product_periode: GeslotenPeriode {
                begindatum: q.begindatum,
                einddatum: q.einddatum,
            },
            geleverd_volume: q.volume,
            eenheid: q.eenheid.clone(),
            product_tarief: q.tarief,
            ingediend_bedrag: BedragMetDc {
                bedrag: bedrag.abs(),
                debet_credit: crate::message::model::DebetCredit::D,
            },
            retour_codes: None,
        }
    }

    #[test]
    fn tr366_returned_prestatie_was_declared() {
        let mut ctx = Context::default();
        let at = plaats(0, 0);
        let h = tr366_prestatie_gedeclareerd(&returned("R1", 10_000), &ctx, at.clone()).unwrap();
        assert_eq!((h.rule, h.code), ("TR366", "9366"));
        ctx.prestaties
            .insert("R1".into(), vec![prestatie("R1", None, 17, 10_000)]);
        assert_eq!(
            tr366_prestatie_gedeclareerd(&returned("R1", 10_000), &ctx, at),
            None
        );
    }

    #[test]
    fn tr367_returned_values_equal() {
        let mut ctx = Context::default();
        ctx.prestaties
            .insert("R1".into(), vec![prestatie("R1", None, 17, 10_000)]);
        let at = plaats(0, 0);
        assert_eq!(
            tr367_waarden_gelijk(&returned("R1", 10_000), BSN, &ctx, at.clone()),
            None
        );
        let h = tr367_waarden_gelijk(&returned("R1", 9_000), BSN, &ctx, at.clone()).unwrap();
        assert_eq!((h.rule, h.code), ("TR367", "9367"));
        assert!(tr367_waarden_gelijk(&returned("R1", 10_000), OTHER_BSN, &ctx, at).is_some());
    }
}
