//! 325 Declaratie-antwoord: only rejected prestaties are returned and they explain the
//! difference between submitted and approved totals.

use super::common;
use super::declaratie::{self as decl, prestatie_path};
use super::{at, Ctx};
use crate::finding::Finding;
use crate::message::model::DeclaratieAntwoord;

const ROOT: &str = "/Bericht/DeclaratieAntwoord";

/// True when the class DeclaratieAntwoord itself is rejected: it carries a code other than 0200
/// (no remark) or 8001 (fully approved).
fn declaratie_afgewezen(a: &DeclaratieAntwoord) -> bool {
    a.retour_codes
        .as_ref()
        .is_some_and(|rc| rc.retour_code.iter().any(|c| c != "0200" && c != "8001"))
}

/// TR342: when the declaration class itself is rejected no prestatie is assessed, so none is
/// returned and TotaalToegekendBedrag is 0.
pub fn tr342_afgewezen_declaratie_zonder_prestaties(
    a: &DeclaratieAntwoord,
    out: &mut Vec<Finding>,
) {
    if !declaratie_afgewezen(a) {
        return;
    }
    if a.clienten.is_some() {
        out.push(Finding::rule(
            "TR342",
            format!("{ROOT}/Clienten"),
            "the declaration is rejected as a whole, so no clients or prestaties may be returned",
        ));
    }
    if a.totaal_toegekend_bedrag.totaal_bedrag != 0 {
        out.push(Finding::rule(
            "TR342",
            format!("{ROOT}/TotaalToegekendBedrag/TotaalBedrag"),
            format!(
                "the declaration is rejected as a whole, so TotaalToegekendBedrag must be 0, not {}",
                a.totaal_toegekend_bedrag.totaal_bedrag
            ),
        ));
    }
}

/// TR342: only rejected prestaties are returned: each carries at least one code other than 0200.
///
/// Decision: 0233 (not assessed, because its client was rejected) counts as rejected.
pub fn tr342_alleen_afgewezen_prestaties(a: &DeclaratieAntwoord, out: &mut Vec<Finding>) {
    for (ci, pi, p) in a.prestaties() {
        let rejected = p
            .retour_codes
            .as_ref()
            .is_some_and(|rc| rc.retour_code.iter().any(|c| c != "0200"));
        if !rejected {
            out.push(Finding::rule(
                "TR342",
                format!("{}/RetourCodes", prestatie_path(ROOT, ci, pi)),
                "only rejected prestaties are returned, but this one carries no rejection code",
            ));
        }
    }
}

/// TR342: the returned (rejected) prestaties explain the difference: their signed sum equals
/// TotaalIngediendBedrag − TotaalToegekendBedrag.
pub fn tr342_verschil_verklaard_door_afgewezen_prestaties(
    a: &DeclaratieAntwoord,
    out: &mut Vec<Finding>,
) {
    if declaratie_afgewezen(a) {
        return;
    }
    let afgewezen: i64 = a
        .prestaties()
        .map(|(_, _, p)| p.ingediend_bedrag.signed())
        .sum();
    let verschil = a.totaal_ingediend_bedrag.signed() - a.totaal_toegekend_bedrag.signed();
    if afgewezen != verschil {
        out.push(Finding::rule(
            "TR342",
            format!("{ROOT}/TotaalToegekendBedrag/TotaalBedrag"),
            format!(
                "submitted minus approved is {verschil} cents, but the returned prestaties add up to {afgewezen} cents"
            ),
        ));
    }
}

/// Every level-2 rule of the 325 body.
pub fn check(a: &DeclaratieAntwoord, ctx: &Ctx, out: &mut Vec<Finding>) {
    decl::cs325_nul_is_debet(
        a.totaal_ingediend_bedrag.totaal_bedrag,
        a.totaal_ingediend_bedrag.debet_credit,
        &format!("{ROOT}/TotaalIngediendBedrag/DebetCredit"),
        out,
    );
    decl::cs325_nul_is_debet(
        a.totaal_toegekend_bedrag.totaal_bedrag,
        a.totaal_toegekend_bedrag.debet_credit,
        &format!("{ROOT}/TotaalToegekendBedrag/DebetCredit"),
        out,
    );
    if let Some(clienten) = &a.clienten {
        for (ci, client) in clienten.client.iter().enumerate() {
            let client_path = at(&format!("{ROOT}/Clienten"), "Client", ci);
            common::cs002_bsn_elfproef(&client.bsn, &format!("{client_path}/Bsn"), out);
            for (pi, p) in client.prestaties.prestatie.iter().enumerate() {
                decl::check_prestatie_gedeeld(p, &prestatie_path(ROOT, ci, pi), ctx, out);
            }
        }
    }
    tr342_afgewezen_declaratie_zonder_prestaties(a, out);
    tr342_alleen_afgewezen_prestaties(a, out);
    tr342_verschil_verklaard_door_afgewezen_prestaties(a, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::model::{
        BedragMetDc, Clienten, DebetCredit, DeclaratieClient, GeslotenPeriode, Prestatie,
        Prestaties, Referentie, RetourCodes, TotaalBedragMetDc,
    };
    use crate::rules::testutil::{codes, ctx, d};

    fn rc(codes: &[&str]) -> Option<RetourCodes> {
        Some(RetourCodes {
            retour_code: codes.iter().map(|c| c.to_string()).collect(),
        })
    }

    fn totaal(cents: i64) -> TotaalBedragMetDc {
        TotaalBedragMetDc {
            totaal_bedrag: cents.abs(),
            debet_credit: if cents < 0 {
                DebetCredit::C
            } else {
                DebetCredit::D
            },
        }
    }

    fn prestatie(cents: i64, codes: &[&str]) -> Prestatie {
        Prestatie {
            product_referentie: Referentie {
                referentie_nummer: format!("R{cents}"),
                vorig_referentie_nummer: None,
            },
            toewijzing_nummer: 1,
            product_categorie: "45".into(),
            product_code: "45A03".into(),
            product_periode: GeslotenPeriode {
                begindatum: d(2026, 9, 1),
                einddatum: d(2026, 9, 30),
            },
            geleverd_volume: 1,
            eenheid: "04".into(),
            product_tarief: Some(cents),
            ingediend_bedrag: BedragMetDc {
                bedrag: cents,
                debet_credit: DebetCredit::D,
            },
            retour_codes: rc(codes),
        }
    }

    fn antwoord(ingediend: i64, toegekend: i64, prestaties: Vec<Prestatie>) -> DeclaratieAntwoord {
        DeclaratieAntwoord {
            declaratie_nummer: "JHG202609001".into(),
            totaal_ingediend_bedrag: totaal(ingediend),
            totaal_toegekend_bedrag: totaal(toegekend),
            clienten: (!prestaties.is_empty()).then(|| Clienten {
                client: vec![DeclaratieClient {
                    bsn: "999912367".into(),
                    prestaties: Prestaties {
                        prestatie: prestaties,
                    },
                    retour_codes: rc(&["0200"]),
                }],
            }),
            retour_codes: rc(&["0200"]),
        }
    }

    fn run(f: fn(&DeclaratieAntwoord, &mut Vec<Finding>), a: &DeclaratieAntwoord) -> Vec<Finding> {
        let mut out = Vec::new();
        f(a, &mut out);
        out
    }

    #[test]
    fn tr342_difference_explained() {
        let ok = antwoord(142140, 18770, vec![prestatie(123370, &["0611"])]);
        assert!(run(tr342_verschil_verklaard_door_afgewezen_prestaties, &ok).is_empty());
        let mut all = antwoord(142140, 142140, vec![]);
        all.retour_codes = rc(&["8001"]);
        assert!(run(tr342_verschil_verklaard_door_afgewezen_prestaties, &all).is_empty());
        let bad = antwoord(142140, 20000, vec![prestatie(123370, &["0611"])]);
        let f = run(tr342_verschil_verklaard_door_afgewezen_prestaties, &bad);
        assert_eq!(codes(&f), ["TR342"]);
        assert_eq!(
            f[0].path,
            "/Bericht/DeclaratieAntwoord/TotaalToegekendBedrag/TotaalBedrag"
        );
    }

    #[test]
    fn tr342_only_rejected_prestaties() {
        let ok = antwoord(
            100,
            0,
            vec![prestatie(60, &["0233"]), prestatie(40, &["0200", "9339"])],
        );
        assert!(run(tr342_alleen_afgewezen_prestaties, &ok).is_empty());
        let bad = antwoord(
            100,
            40,
            vec![prestatie(60, &["9321"]), prestatie(40, &["0200"])],
        );
        let f = run(tr342_alleen_afgewezen_prestaties, &bad);
        assert_eq!(codes(&f), ["TR342"]);
        assert_eq!(
            f[0].path,
            "/Bericht/DeclaratieAntwoord/Clienten/Client[1]/Prestaties/Prestatie[2]/RetourCodes"
        );
    }

    #[test]
    fn tr342_rejected_declaration() {
        let mut ok = antwoord(142140, 0, vec![]);
        ok.retour_codes = rc(&["9333"]);
        assert!(run(tr342_afgewezen_declaratie_zonder_prestaties, &ok).is_empty());
        assert!(run(tr342_verschil_verklaard_door_afgewezen_prestaties, &ok).is_empty());
        let mut bad = antwoord(142140, 100, vec![prestatie(123370, &["0611"])]);
        bad.retour_codes = rc(&["9333"]);
        let f = run(tr342_afgewezen_declaratie_zonder_prestaties, &bad);
        assert_eq!(codes(&f), ["TR342", "TR342"]);
        assert_eq!(f[0].path, "/Bericht/DeclaratieAntwoord/Clienten");
    }

    #[test]
    fn whole_325() {
        let c = ctx(2026, 10, 9);
        let ok = antwoord(142140, 18770, vec![prestatie(123370, &["0611"])]);
        let mut out = Vec::new();
        check(&ok, &c, &mut out);
        assert!(out.is_empty(), "{out:?}");
        let mut bad = ok.clone();
        bad.totaal_toegekend_bedrag = TotaalBedragMetDc {
            totaal_bedrag: 0,
            debet_credit: DebetCredit::C,
        };
        if let Some(cl) = bad.clienten.as_mut() {
            cl.client[0].bsn = "999912368".into();
        }
        check(&bad, &c, &mut out);
        assert_eq!(codes(&out), ["CS325", "CS002", "TR342"]);
        assert_eq!(
            out[1].path,
            "/Bericht/DeclaratieAntwoord/Clienten/Client[1]/Bsn"
        );
    }
}
