//! 319 Antwoordbericht: rejection of, or "under investigation" for, a VOT product or a VOW.

use super::Ctx;
use crate::finding::Finding;
use crate::message::kind::Standard;
use crate::message::model::Antwoord;

const ANTWOORD: &str = "/Bericht/Antwoord";

/// CD085: a rejection (VerzoekAntwoord 1) says why.
pub fn cd085_reden_verplicht_bij_afwijzing(a: &Antwoord, out: &mut Vec<Finding>) {
    if a.verzoek_antwoord == "1" && a.reden_afwijzing_verzoek.is_none() {
        out.push(Finding::rule(
            "CD085",
            format!("{ANTWOORD}/RedenAfwijzingVerzoek"),
            "RedenAfwijzingVerzoek is required when the request is rejected (VerzoekAntwoord 1)",
        ));
    }
}

/// CD086: "under investigation" (VerzoekAntwoord 2) is no rejection and carries no reason.
pub fn cd086_geen_reden_bij_onderzoek(a: &Antwoord, out: &mut Vec<Finding>) {
    if a.verzoek_antwoord == "2" && a.reden_afwijzing_verzoek.is_some() {
        out.push(Finding::rule(
            "CD086",
            format!("{ANTWOORD}/RedenAfwijzingVerzoek"),
            "RedenAfwijzingVerzoek must be left out when the request is under investigation (VerzoekAntwoord 2)",
        ));
    }
}

/// TR377 (iJw only): a rejection on the residence principle (reason 8) names the municipality
/// that is responsible, in the class Woonplaatsbeginsel.
pub fn tr377_woonplaatsbeginsel_bij_reden_8(a: &Antwoord, out: &mut Vec<Finding>) {
    if a.reden_afwijzing_verzoek.as_deref() == Some("8") && a.woonplaatsbeginsel.is_none() {
        out.push(Finding::rule(
            "TR377",
            format!("{ANTWOORD}/Woonplaatsbeginsel"),
            "Woonplaatsbeginsel (the responsible municipality) is required with RedenAfwijzingVerzoek 8",
        ));
    }
}

/// TR409 (iJw only): the class Woonplaatsbeginsel appears only with reason 8.
pub fn tr409_geen_woonplaatsbeginsel_zonder_reden_8(a: &Antwoord, out: &mut Vec<Finding>) {
    if a.reden_afwijzing_verzoek.as_deref() != Some("8") && a.woonplaatsbeginsel.is_some() {
        out.push(Finding::rule(
            "TR409",
            format!("{ANTWOORD}/Woonplaatsbeginsel"),
            "Woonplaatsbeginsel must be left out unless RedenAfwijzingVerzoek is 8",
        ));
    }
}

/// Every level-2 rule of the 319 body. iWmo has no Woonplaatsbeginsel, hence no TR377/TR409.
pub fn check(a: &Antwoord, ctx: &Ctx, out: &mut Vec<Finding>) {
    cd085_reden_verplicht_bij_afwijzing(a, out);
    cd086_geen_reden_bij_onderzoek(a, out);
    if ctx.standard == Standard::Ijw {
        tr377_woonplaatsbeginsel_bij_reden_8(a, out);
        tr409_geen_woonplaatsbeginsel_zonder_reden_8(a, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::model::Woonplaatsbeginsel;
    use crate::rules::testutil::{codes, ctx, wmo};

    fn antwoord(va: &str, reden: Option<&str>, wpb: bool) -> Antwoord {
        Antwoord {
            referentie_aanbieder: "REF".into(),
            verzoek_antwoord: va.into(),
            reden_afwijzing_verzoek: reden.map(str::to_string),
            woonplaatsbeginsel: wpb.then(|| Woonplaatsbeginsel {
                gemeente: "0627".into(),
                retour_codes: None,
            }),
            retour_codes: None,
        }
    }

    fn run(f: fn(&Antwoord, &mut Vec<Finding>), a: &Antwoord) -> Vec<Finding> {
        let mut out = Vec::new();
        f(a, &mut out);
        out
    }

    #[test]
    fn cd085_reason_on_rejection() {
        assert!(run(
            cd085_reden_verplicht_bij_afwijzing,
            &antwoord("1", Some("3"), false)
        )
        .is_empty());
        assert!(run(
            cd085_reden_verplicht_bij_afwijzing,
            &antwoord("2", None, false)
        )
        .is_empty());
        let f = run(
            cd085_reden_verplicht_bij_afwijzing,
            &antwoord("1", None, false),
        );
        assert_eq!(codes(&f), ["CD085"]);
        assert_eq!(f[0].path, "/Bericht/Antwoord/RedenAfwijzingVerzoek");
    }

    #[test]
    fn cd086_no_reason_while_investigating() {
        assert!(run(cd086_geen_reden_bij_onderzoek, &antwoord("2", None, false)).is_empty());
        assert!(run(
            cd086_geen_reden_bij_onderzoek,
            &antwoord("1", Some("3"), false)
        )
        .is_empty());
        let f = run(
            cd086_geen_reden_bij_onderzoek,
            &antwoord("2", Some("3"), false),
        );
        assert_eq!(codes(&f), ["CD086"]);
    }

    #[test]
    fn tr377_woonplaatsbeginsel_required() {
        assert!(run(
            tr377_woonplaatsbeginsel_bij_reden_8,
            &antwoord("1", Some("8"), true)
        )
        .is_empty());
        let f = run(
            tr377_woonplaatsbeginsel_bij_reden_8,
            &antwoord("1", Some("8"), false),
        );
        assert_eq!(codes(&f), ["TR377"]);
        assert_eq!(f[0].path, "/Bericht/Antwoord/Woonplaatsbeginsel");
    }

    #[test]
    fn tr409_woonplaatsbeginsel_only_for_8() {
        assert!(run(
            tr409_geen_woonplaatsbeginsel_zonder_reden_8,
            &antwoord("1", Some("5"), false)
        )
        .is_empty());
        for a in [antwoord("1", Some("5"), true), antwoord("2", None, true)] {
            assert_eq!(
                codes(&run(tr409_geen_woonplaatsbeginsel_zonder_reden_8, &a)),
                ["TR409"]
            );
        }
    }

    #[test]
    fn iwmo_has_no_woonplaatsbeginsel_rules() {
        let a = antwoord("1", Some("8"), false);
        let mut out = Vec::new();
        check(&a, &ctx(2026, 9, 16), &mut out);
        assert_eq!(codes(&out), ["TR377"]);
        out.clear();
        check(&a, &wmo(ctx(2026, 9, 16)), &mut out);
        assert!(out.is_empty());
    }
}
