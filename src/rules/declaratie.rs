//! 323 Declaratie: periods, amounts, debit/credit consistency and totals.

use super::common;
use super::{at, Ctx};
use crate::finding::Finding;
use crate::message::model::{DebetCredit, Declaratie, GeslotenPeriode, Prestatie};
use chrono::{Datelike, Months, NaiveDate};
use std::collections::HashMap;

const DECL: &str = "/Bericht/Declaratie";

/// Path of prestatie `pi` of client `ci` (both 0-based) below `root` (`/Bericht/Declaratie` or
/// `/Bericht/DeclaratieAntwoord`).
pub fn prestatie_path(root: &str, ci: usize, pi: usize) -> String {
    // built once per prestatie by several rules: one allocation of the right size, not four
    use std::fmt::Write;
    let mut p = String::with_capacity(root.len() + 56);
    let _ = write!(
        p,
        "{root}/Clienten/Client[{}]/Prestaties/Prestatie[{}]",
        ci + 1,
        pi + 1
    );
    p
}

fn eerste_dag_2021() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 1, 1).unwrap_or_default()
}

/// CS100: declarations under this release concern care from 2021 on; both dates of the period
/// are on or after 2021-01-01.
pub fn cs100_periode_vanaf_2021(p: &GeslotenPeriode, periode_path: &str, out: &mut Vec<Finding>) {
    let (name, date) = if p.begindatum < eerste_dag_2021() {
        ("Begindatum", p.begindatum)
    } else if p.einddatum < eerste_dag_2021() {
        ("Einddatum", p.einddatum)
    } else {
        return;
    };
    out.push(Finding::rule(
        "CS100",
        format!("{periode_path}/{name}"),
        format!("{name} {date} lies before 2021-01-01"),
    ));
}

/// CS340: a declaration covers exactly one whole calendar month.
pub fn cs340_declaratieperiode_een_kalendermaand(p: &GeslotenPeriode, out: &mut Vec<Finding>) {
    let path = format!("{DECL}/DeclaratiePeriode");
    if p.begindatum.day() != 1 {
        out.push(Finding::rule(
            "CS340",
            format!("{path}/Begindatum"),
            format!(
                "DeclaratiePeriode must be one calendar month, but it begins on {} instead of the 1st",
                p.begindatum
            ),
        ));
        return;
    }
    let last = p
        .begindatum
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt());
    if last != Some(p.einddatum) {
        out.push(Finding::rule(
            "CS340",
            format!("{path}/Einddatum"),
            format!(
                "DeclaratiePeriode must be one calendar month: from {} it ends on {}, not {}",
                p.begindatum,
                last.map_or_else(String::new, |d| d.to_string()),
                p.einddatum
            ),
        ));
    }
}

/// CS337: a prestatie's product period stays inside one calendar month.
pub fn cs337_productperiode_binnen_een_maand(p: &Prestatie, path: &str, out: &mut Vec<Finding>) {
    let (b, e) = (p.product_periode.begindatum, p.product_periode.einddatum);
    if (b.year(), b.month()) != (e.year(), e.month()) {
        out.push(Finding::rule(
            "CS337",
            format!("{path}/ProductPeriode/Einddatum"),
            format!("ProductPeriode {b} – {e} crosses a month boundary; a prestatie covers at most one calendar month"),
        ));
    }
}

/// CD087: a tariff is given for every unit except euros (83), where the volume is the amount.
pub fn cd087_producttarief_behalve_bij_euro(p: &Prestatie, path: &str, out: &mut Vec<Finding>) {
    let msg = match (p.eenheid.as_str(), p.product_tarief) {
        ("83", Some(_)) => "ProductTarief must be left out when Eenheid is 83 (euros)".to_string(),
        (e, None) if e != "83" => format!("ProductTarief is required when Eenheid is {e}"),
        _ => return,
    };
    out.push(Finding::rule("CD087", format!("{path}/ProductTarief"), msg));
}

/// CS339: when the unit is euros (83), the volume is the amount: IngediendBedrag equals it.
pub fn cs339_bedrag_is_volume_bij_euro(p: &Prestatie, path: &str, out: &mut Vec<Finding>) {
    if p.eenheid == "83" && p.ingediend_bedrag.bedrag != p.geleverd_volume {
        out.push(Finding::rule(
            "CS339",
            format!("{path}/IngediendBedrag/Bedrag"),
            format!(
                "with Eenheid 83 (euros) the Bedrag must equal GeleverdVolume {}, found {}",
                p.geleverd_volume, p.ingediend_bedrag.bedrag
            ),
        ));
    }
}

/// CD060: a credit names the debit it reverses (VorigReferentieNummer); a debit does not.
pub fn cd060_vorig_referentie_alleen_bij_credit(p: &Prestatie, path: &str, out: &mut Vec<Finding>) {
    let credit = p.ingediend_bedrag.debet_credit == DebetCredit::C;
    let msg = match (credit, &p.product_referentie.vorig_referentie_nummer) {
        (true, None) => "VorigReferentieNummer is required for a credit prestatie (DebetCredit C)",
        (false, Some(_)) => {
            "VorigReferentieNummer must be left out for a debit prestatie (DebetCredit D)"
        }
        _ => return,
    };
    out.push(Finding::rule(
        "CD060",
        format!("{path}/ProductReferentie/VorigReferentieNummer"),
        msg,
    ));
}

/// CS325: an amount of zero is always a debit, so zero has one spelling.
pub fn cs325_nul_is_debet(amount: i64, dc: DebetCredit, dc_path: &str, out: &mut Vec<Finding>) {
    if amount == 0 && dc == DebetCredit::C {
        out.push(Finding::rule(
            "CS325",
            dc_path,
            "an amount of 0 must have DebetCredit D",
        ));
    }
}

/// TR335: care is declared within five years: the ProductPeriode end is not more than 5 years
/// before the DeclaratieDagtekening.
pub fn tr335_niet_ouder_dan_5_jaar(
    p: &Prestatie,
    declaratie_dagtekening: NaiveDate,
    path: &str,
    out: &mut Vec<Finding>,
) {
    let Some(limit) = declaratie_dagtekening.checked_sub_months(Months::new(60)) else {
        return;
    };
    if p.product_periode.einddatum < limit {
        out.push(Finding::rule(
            "TR335",
            format!("{path}/ProductPeriode/Einddatum"),
            format!(
                "ProductPeriode ends on {}, more than 5 years before the DeclaratieDagtekening {declaratie_dagtekening}",
                p.product_periode.einddatum
            ),
        ));
    }
}

/// TR137: the end of a period lies on or after its own begin and not after the Dagtekening of
/// the message (care is declared only once the period has passed).
///
/// Decision on the element mapping (the sources name only the classes 323 Declaratie and
/// Prestatie, 325 Prestatie): `DeclaratiePeriode/Einddatum` and `ProductPeriode/Einddatum`,
/// compared with `Header/BerichtIdentificatie/Dagtekening` ("the Dagtekening of the message").
pub fn tr137_einddatum_in_periode_niet_na_dagtekening(
    p: &GeslotenPeriode,
    ctx: &Ctx,
    periode_path: &str,
    out: &mut Vec<Finding>,
) {
    let e = p.einddatum;
    let mut problems = Vec::new();
    if e < p.begindatum {
        problems.push(format!("before the Begindatum {}", p.begindatum));
    }
    if e > ctx.dagtekening {
        problems.push(format!(
            "after the Dagtekening {} of the message",
            ctx.dagtekening
        ));
    }
    if !problems.is_empty() {
        out.push(Finding::rule(
            "TR137",
            format!("{periode_path}/Einddatum"),
            format!("Einddatum {e} lies {}", problems.join(" and ")),
        ));
    }
}

/// CS319: the DeclaratieNummer is letters and digits only (the XSD pattern enforces it too).
pub fn cs319_declaratienummer_alfanumeriek(nummer: &str, out: &mut Vec<Finding>) {
    if nummer.is_empty() || !nummer.bytes().all(|b| b.is_ascii_alphanumeric()) {
        out.push(Finding::rule(
            "CS319",
            format!("{DECL}/DeclaratieNummer"),
            format!("DeclaratieNummer {nummer:?} may contain only letters and digits"),
        ));
    }
}

/// TR315: a debit is credited at most once per message, so every VorigReferentieNummer is unique.
pub fn tr315_vorig_referentienummer_uniek(d: &Declaratie, out: &mut Vec<Finding>) {
    let mut seen: HashMap<&str, String> = HashMap::new();
    for (ci, pi, p) in d.prestaties() {
        let Some(vorig) = p.product_referentie.vorig_referentie_nummer.as_deref() else {
            continue;
        };
        let path = prestatie_path(DECL, ci, pi);
        if let Some(first) = seen.get(vorig) {
            out.push(Finding::rule(
                "TR315",
                format!("{path}/ProductReferentie/VorigReferentieNummer"),
                format!("VorigReferentieNummer {vorig:?} is already credited by {first}"),
            ));
        } else {
            seen.insert(vorig, path);
        }
    }
}

/// TR316: a debit cannot be credited in the message that submits it (it has not been approved
/// yet): no VorigReferentieNummer equals a ReferentieNummer of the same message.
pub fn tr316_geen_credit_op_debet_uit_zelfde_bericht(d: &Declaratie, out: &mut Vec<Finding>) {
    let referenties: HashMap<&str, String> = d
        .prestaties()
        .map(|(ci, pi, p)| {
            (
                p.product_referentie.referentie_nummer.as_str(),
                prestatie_path(DECL, ci, pi),
            )
        })
        .collect();
    for (ci, pi, p) in d.prestaties() {
        let Some(vorig) = p.product_referentie.vorig_referentie_nummer.as_deref() else {
            continue;
        };
        if let Some(debit) = referenties.get(vorig) {
            out.push(Finding::rule(
                "TR316",
                format!(
                    "{}/ProductReferentie/VorigReferentieNummer",
                    prestatie_path(DECL, ci, pi)
                ),
                format!("this credits {vorig:?}, which is submitted in this same message ({debit}); a debit may only be credited in a later message"),
            ));
        }
    }
}

/// TR358: the declared total equals the sum of all prestaties, debits added and credits
/// subtracted, with the sign of the result in its DebetCredit.
pub fn tr358_totaal_is_som_van_prestaties(d: &Declaratie, out: &mut Vec<Finding>) {
    let som: i64 = d
        .prestaties()
        .map(|(_, _, p)| p.ingediend_bedrag.signed())
        .sum();
    let totaal = d.totaal_ingediend_bedrag.signed();
    if som != totaal {
        out.push(Finding::rule(
            "TR358",
            format!("{DECL}/TotaalIngediendBedrag/TotaalBedrag"),
            format!(
                "TotaalIngediendBedrag is {totaal} cents (signed), but the prestaties add up to {som} cents"
            ),
        ));
    }
}

/// TR416: one debit per ProductPeriode, ProductCategorie, ProductCode and ToewijzingNummer in a
/// message; a prestatie is the total of one product in one period on one allocation.
pub fn tr416_een_debet_per_periode_product_toewijzing(d: &Declaratie, out: &mut Vec<Finding>) {
    let mut seen = HashMap::new();
    for (ci, pi, p) in d.prestaties() {
        if p.ingediend_bedrag.debet_credit != DebetCredit::D {
            continue;
        }
        let key = (
            p.product_periode.begindatum,
            p.product_periode.einddatum,
            p.product_categorie.as_str(),
            p.product_code.as_str(),
            p.toewijzing_nummer,
        );
        let path = prestatie_path(DECL, ci, pi);
        if let Some(first) = seen.get(&key) {
            out.push(Finding::rule(
                "TR416",
                path,
                format!("a debit for the same ProductPeriode, product and ToewijzingNummer is already in {first}"),
            ));
        } else {
            seen.insert(key, path);
        }
    }
}

/// The per-prestatie rules the 323 and the 325 share (CD060, CS325, TR134, TR137).
pub fn check_prestatie_gedeeld(p: &Prestatie, path: &str, ctx: &Ctx, out: &mut Vec<Finding>) {
    cd060_vorig_referentie_alleen_bij_credit(p, path, out);
    cs325_nul_is_debet(
        p.ingediend_bedrag.bedrag,
        p.ingediend_bedrag.debet_credit,
        &format!("{path}/IngediendBedrag/DebetCredit"),
        out,
    );
    let periode = format!("{path}/ProductPeriode");
    common::tr134_niet_na_dagtekening(
        p.product_periode.begindatum,
        ctx,
        &format!("{periode}/Begindatum"),
        out,
    );
    tr137_einddatum_in_periode_niet_na_dagtekening(&p.product_periode, ctx, &periode, out);
}

/// Every level-2 rule of the 323 body.
pub fn check(d: &Declaratie, ctx: &Ctx, out: &mut Vec<Finding>) {
    cs319_declaratienummer_alfanumeriek(&d.declaratie_nummer, out);
    let periode = format!("{DECL}/DeclaratiePeriode");
    cs100_periode_vanaf_2021(&d.declaratie_periode, &periode, out);
    cs340_declaratieperiode_een_kalendermaand(&d.declaratie_periode, out);
    common::tr134_niet_na_dagtekening(
        d.declaratie_dagtekening,
        ctx,
        &format!("{DECL}/DeclaratieDagtekening"),
        out,
    );
    common::tr134_niet_na_dagtekening(
        d.declaratie_periode.begindatum,
        ctx,
        &format!("{periode}/Begindatum"),
        out,
    );
    tr137_einddatum_in_periode_niet_na_dagtekening(&d.declaratie_periode, ctx, &periode, out);
    cs325_nul_is_debet(
        d.totaal_ingediend_bedrag.totaal_bedrag,
        d.totaal_ingediend_bedrag.debet_credit,
        &format!("{DECL}/TotaalIngediendBedrag/DebetCredit"),
        out,
    );
    for (ci, client) in d.clienten.client.iter().enumerate() {
        let client_path = at(&format!("{DECL}/Clienten"), "Client", ci);
        common::cs002_bsn_elfproef(&client.bsn, &format!("{client_path}/Bsn"), out);
        for (pi, p) in client.prestaties.prestatie.iter().enumerate() {
            let path = prestatie_path(DECL, ci, pi);
            cs100_periode_vanaf_2021(&p.product_periode, &format!("{path}/ProductPeriode"), out);
            cs337_productperiode_binnen_een_maand(p, &path, out);
            cd087_producttarief_behalve_bij_euro(p, &path, out);
            cs339_bedrag_is_volume_bij_euro(p, &path, out);
            tr335_niet_ouder_dan_5_jaar(p, d.declaratie_dagtekening, &path, out);
            check_prestatie_gedeeld(p, &path, ctx, out);
        }
    }
    tr315_vorig_referentienummer_uniek(d, out);
    tr316_geen_credit_op_debet_uit_zelfde_bericht(d, out);
    tr358_totaal_is_som_van_prestaties(d, out);
    tr416_een_debet_per_periode_product_toewijzing(d, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::model::{
        BedragMetDc, Clienten, DeclaratieClient, Prestaties, Referentie, TotaalBedragMetDc,
    };
    use crate::rules::testutil::{codes, ctx, d};

    fn periode(b: (i32, u32, u32), e: (i32, u32, u32)) -> GeslotenPeriode {
        GeslotenPeriode {
            begindatum: d(b.0, b.1, b.2),
            einddatum: d(e.0, e.1, e.2),
        }
    }

    /// A September 2026 debit of 13 hours at 94.90.
    fn prestatie(referentie: &str) -> Prestatie {
        Prestatie {
            product_referentie: Referentie {
                referentie_nummer: referentie.into(),
                vorig_referentie_nummer: None,
            },
            toewijzing_nummer: 513260017,
            product_categorie: "45".into(),
            product_code: "45A03".into(),
            product_periode: periode((2026, 9, 1), (2026, 9, 30)),
            geleverd_volume: 13,
            eenheid: "04".into(),
            product_tarief: Some(9490),
            ingediend_bedrag: BedragMetDc {
                bedrag: 123370,
                debet_credit: DebetCredit::D,
            },
            retour_codes: None,
        }
    }

    fn credit(referentie: &str, vorig: &str) -> Prestatie {
        let mut p = prestatie(referentie);
        p.product_referentie.vorig_referentie_nummer = Some(vorig.into());
        p.ingediend_bedrag.debet_credit = DebetCredit::C;
        p.product_periode = periode((2026, 8, 1), (2026, 8, 31));
        p
    }

    fn declaratie(prestaties: Vec<Prestatie>) -> Declaratie {
        let som: i64 = prestaties.iter().map(|p| p.ingediend_bedrag.signed()).sum();
        Declaratie {
            declaratie_nummer: "JHG202609001".into(),
            declaratie_periode: periode((2026, 9, 1), (2026, 9, 30)),
            declaratie_dagtekening: d(2026, 10, 2),
            totaal_ingediend_bedrag: TotaalBedragMetDc {
                totaal_bedrag: som.abs(),
                debet_credit: if som < 0 {
                    DebetCredit::C
                } else {
                    DebetCredit::D
                },
            },
            clienten: Clienten {
                client: vec![DeclaratieClient {
                    bsn: "999912367".into(),
                    prestaties: Prestaties {
                        prestatie: prestaties,
                    },
                    retour_codes: None,
                }],
            },
        }
    }

    fn on_p(f: fn(&Prestatie, &str, &mut Vec<Finding>), p: &Prestatie) -> Vec<Finding> {
        let mut out = Vec::new();
        f(p, "/P", &mut out);
        out
    }

    fn on_d(f: fn(&Declaratie, &mut Vec<Finding>), decl: &Declaratie) -> Vec<Finding> {
        let mut out = Vec::new();
        f(decl, &mut out);
        out
    }

    #[test]
    fn cs100_from_2021() {
        let mut out = Vec::new();
        cs100_periode_vanaf_2021(&periode((2021, 1, 1), (2021, 1, 31)), "/X", &mut out);
        assert!(out.is_empty());
        cs100_periode_vanaf_2021(&periode((2020, 12, 1), (2020, 12, 31)), "/X", &mut out);
        assert_eq!(codes(&out), ["CS100"]);
        assert_eq!(out[0].path, "/X/Begindatum");
    }

    #[test]
    fn cs340_one_calendar_month() {
        let mut out = Vec::new();
        for ok in [
            periode((2026, 9, 1), (2026, 9, 30)),
            periode((2024, 2, 1), (2024, 2, 29)),
            periode((2026, 12, 1), (2026, 12, 31)),
        ] {
            cs340_declaratieperiode_een_kalendermaand(&ok, &mut out);
        }
        assert!(out.is_empty(), "{out:?}");
        cs340_declaratieperiode_een_kalendermaand(&periode((2026, 9, 2), (2026, 9, 30)), &mut out);
        cs340_declaratieperiode_een_kalendermaand(&periode((2026, 9, 1), (2026, 9, 29)), &mut out);
        cs340_declaratieperiode_een_kalendermaand(&periode((2026, 9, 1), (2026, 10, 31)), &mut out);
        assert_eq!(codes(&out), ["CS340", "CS340", "CS340"]);
        assert_eq!(
            out[0].path,
            "/Bericht/Declaratie/DeclaratiePeriode/Begindatum"
        );
        assert_eq!(
            out[1].path,
            "/Bericht/Declaratie/DeclaratiePeriode/Einddatum"
        );
    }

    #[test]
    fn cs337_one_month() {
        let mut p = prestatie("R1");
        p.product_periode = periode((2026, 9, 8), (2026, 9, 17));
        assert!(on_p(cs337_productperiode_binnen_een_maand, &p).is_empty());
        p.product_periode = periode((2026, 9, 8), (2026, 10, 1));
        let f = on_p(cs337_productperiode_binnen_een_maand, &p);
        assert_eq!(
            (codes(&f), f[0].path.as_str()),
            (vec!["CS337"], "/P/ProductPeriode/Einddatum")
        );
        p.product_periode = periode((2025, 9, 8), (2026, 9, 10));
        assert_eq!(
            codes(&on_p(cs337_productperiode_binnen_een_maand, &p)),
            ["CS337"]
        );
    }

    #[test]
    fn cd087_tariff_unless_euros() {
        assert!(on_p(cd087_producttarief_behalve_bij_euro, &prestatie("R")).is_empty());
        let mut euro = prestatie("R");
        euro.eenheid = "83".into();
        euro.product_tarief = None;
        assert!(on_p(cd087_producttarief_behalve_bij_euro, &euro).is_empty());
        euro.product_tarief = Some(1);
        let f = on_p(cd087_producttarief_behalve_bij_euro, &euro);
        assert_eq!(
            (codes(&f), f[0].path.as_str()),
            (vec!["CD087"], "/P/ProductTarief")
        );
        let mut hours = prestatie("R");
        hours.product_tarief = None;
        assert_eq!(
            codes(&on_p(cd087_producttarief_behalve_bij_euro, &hours)),
            ["CD087"]
        );
    }

    #[test]
    fn cs339_euros_amount_is_volume() {
        let mut p = prestatie("R");
        p.eenheid = "83".into();
        p.product_tarief = None;
        p.geleverd_volume = 20000;
        p.ingediend_bedrag.bedrag = 20000;
        assert!(on_p(cs339_bedrag_is_volume_bij_euro, &p).is_empty());
        assert!(on_p(cs339_bedrag_is_volume_bij_euro, &prestatie("R")).is_empty());
        p.ingediend_bedrag.bedrag = 19999;
        let f = on_p(cs339_bedrag_is_volume_bij_euro, &p);
        assert_eq!(
            (codes(&f), f[0].path.as_str()),
            (vec!["CS339"], "/P/IngediendBedrag/Bedrag")
        );
    }

    #[test]
    fn cd060_previous_reference_only_for_credit() {
        assert!(on_p(cd060_vorig_referentie_alleen_bij_credit, &prestatie("R")).is_empty());
        assert!(on_p(
            cd060_vorig_referentie_alleen_bij_credit,
            &credit("R2", "R1")
        )
        .is_empty());
        let mut c = credit("R2", "R1");
        c.product_referentie.vorig_referentie_nummer = None;
        let f = on_p(cd060_vorig_referentie_alleen_bij_credit, &c);
        assert_eq!(
            (codes(&f), f[0].path.as_str()),
            (vec!["CD060"], "/P/ProductReferentie/VorigReferentieNummer")
        );
        let mut debit = prestatie("R3");
        debit.product_referentie.vorig_referentie_nummer = Some("R1".into());
        assert_eq!(
            codes(&on_p(cd060_vorig_referentie_alleen_bij_credit, &debit)),
            ["CD060"]
        );
    }

    #[test]
    fn cs325_zero_is_debit() {
        let mut out = Vec::new();
        cs325_nul_is_debet(0, DebetCredit::D, "/DC", &mut out);
        cs325_nul_is_debet(5, DebetCredit::C, "/DC", &mut out);
        assert!(out.is_empty());
        cs325_nul_is_debet(0, DebetCredit::C, "/DC", &mut out);
        assert_eq!(codes(&out), ["CS325"]);
        assert_eq!(out[0].path, "/DC");
    }

    #[test]
    fn tr335_five_years() {
        let mut out = Vec::new();
        let mut p = prestatie("R");
        p.product_periode = periode((2021, 10, 1), (2021, 10, 2));
        tr335_niet_ouder_dan_5_jaar(&p, d(2026, 10, 2), "/P", &mut out);
        assert!(out.is_empty());
        p.product_periode = periode((2021, 10, 1), (2021, 10, 1));
        tr335_niet_ouder_dan_5_jaar(&p, d(2026, 10, 2), "/P", &mut out);
        assert_eq!(codes(&out), ["TR335"]);
        assert_eq!(out[0].path, "/P/ProductPeriode/Einddatum");
    }

    #[test]
    fn tr137_end_of_period() {
        let c = ctx(2026, 10, 2);
        let mut out = Vec::new();
        tr137_einddatum_in_periode_niet_na_dagtekening(
            &periode((2026, 9, 1), (2026, 9, 30)),
            &c,
            "/X",
            &mut out,
        );
        tr137_einddatum_in_periode_niet_na_dagtekening(
            &periode((2026, 10, 1), (2026, 10, 2)),
            &c,
            "/X",
            &mut out,
        );
        assert!(out.is_empty());
        tr137_einddatum_in_periode_niet_na_dagtekening(
            &periode((2026, 10, 1), (2026, 10, 31)),
            &c,
            "/X",
            &mut out,
        );
        tr137_einddatum_in_periode_niet_na_dagtekening(
            &periode((2026, 9, 10), (2026, 9, 9)),
            &c,
            "/X",
            &mut out,
        );
        assert_eq!(codes(&out), ["TR137", "TR137"]);
        assert_eq!(out[0].path, "/X/Einddatum");
        assert!(out[1].message.contains("before the Begindatum"));
    }

    #[test]
    fn cs319_alphanumeric_number() {
        let mut out = Vec::new();
        cs319_declaratienummer_alfanumeriek("JHG202609001", &mut out);
        assert!(out.is_empty());
        cs319_declaratienummer_alfanumeriek("JHG-2026", &mut out);
        assert_eq!(codes(&out), ["CS319"]);
        assert_eq!(out[0].path, "/Bericht/Declaratie/DeclaratieNummer");
    }

    #[test]
    fn tr315_credit_once() {
        let ok = declaratie(vec![credit("R2", "R0"), credit("R3", "R1")]);
        assert!(on_d(tr315_vorig_referentienummer_uniek, &ok).is_empty());
        let twice = declaratie(vec![
            credit("R2", "R0"),
            prestatie("R4"),
            credit("R3", "R0"),
        ]);
        let f = on_d(tr315_vorig_referentienummer_uniek, &twice);
        assert_eq!(codes(&f), ["TR315"]);
        assert_eq!(
            f[0].path,
            "/Bericht/Declaratie/Clienten/Client[1]/Prestaties/Prestatie[3]/ProductReferentie/VorigReferentieNummer"
        );
    }

    #[test]
    fn tr316_no_credit_of_own_debit() {
        let ok = declaratie(vec![credit("R2", "R0"), prestatie("R3")]);
        assert!(on_d(tr316_geen_credit_op_debet_uit_zelfde_bericht, &ok).is_empty());
        let bad = declaratie(vec![prestatie("R1"), credit("R2", "R1")]);
        let f = on_d(tr316_geen_credit_op_debet_uit_zelfde_bericht, &bad);
        assert_eq!(codes(&f), ["TR316"]);
        assert!(f[0]
            .path
            .ends_with("Prestatie[2]/ProductReferentie/VorigReferentieNummer"));
    }

    #[test]
    fn tr358_total_is_signed_sum() {
        let ok = declaratie(vec![credit("R2", "R0"), prestatie("R3"), prestatie("R4")]);
        assert!(on_d(tr358_totaal_is_som_van_prestaties, &ok).is_empty());
        let mut net_credit = declaratie(vec![credit("R2", "R0"), credit("R3", "R1")]);
        assert_eq!(
            net_credit.totaal_ingediend_bedrag.debet_credit,
            DebetCredit::C
        );
        assert!(on_d(tr358_totaal_is_som_van_prestaties, &net_credit).is_empty());
        net_credit.totaal_ingediend_bedrag.debet_credit = DebetCredit::D;
        let f = on_d(tr358_totaal_is_som_van_prestaties, &net_credit);
        assert_eq!(codes(&f), ["TR358"]);
        assert_eq!(
            f[0].path,
            "/Bericht/Declaratie/TotaalIngediendBedrag/TotaalBedrag"
        );
    }

    #[test]
    fn tr416_one_debit_per_period_product_allocation() {
        let mut other_allocation = prestatie("R2");
        other_allocation.toewijzing_nummer = 1;
        let ok = declaratie(vec![prestatie("R1"), other_allocation, credit("R3", "R0")]);
        assert!(on_d(tr416_een_debet_per_periode_product_toewijzing, &ok).is_empty());
        // A credit plus a new debit for the same period is allowed; two debits are not.
        let mut same_period_credit = credit("R5", "R0");
        same_period_credit.product_periode = periode((2026, 9, 1), (2026, 9, 30));
        let ok = declaratie(vec![same_period_credit, prestatie("R1")]);
        assert!(on_d(tr416_een_debet_per_periode_product_toewijzing, &ok).is_empty());
        let bad = declaratie(vec![prestatie("R1"), prestatie("R2")]);
        let f = on_d(tr416_een_debet_per_periode_product_toewijzing, &bad);
        assert_eq!(codes(&f), ["TR416"]);
        assert_eq!(
            f[0].path,
            "/Bericht/Declaratie/Clienten/Client[1]/Prestaties/Prestatie[2]"
        );
    }

    #[test]
    fn whole_323() {
        let c = ctx(2026, 10, 2);
        let decl = declaratie(vec![credit("R2", "R0"), prestatie("R3")]);
        let mut out = Vec::new();
        check(&decl, &c, &mut out);
        assert!(out.is_empty(), "{out:?}");

        let mut bad = decl.clone();
        bad.declaratie_dagtekening = d(2026, 10, 3);
        bad.clienten.client[0].prestaties.prestatie[1].product_periode =
            periode((2026, 10, 3), (2026, 10, 5));
        check(&bad, &c, &mut out);
        assert_eq!(codes(&out), ["TR134", "TR134", "TR137"]);
        assert_eq!(out[0].path, "/Bericht/Declaratie/DeclaratieDagtekening");
        assert_eq!(
            out[1].path,
            "/Bericht/Declaratie/Clienten/Client[1]/Prestaties/Prestatie[2]/ProductPeriode/Begindatum"
        );
    }
}
