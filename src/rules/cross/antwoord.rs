//! 319 Antwoordbericht against the stored requests, answers and honouring 301s (OP344: a
//! request ends in an allocation or a rejection, optionally after "in onderzoek").

use super::{DecideInput, Hit, Place};
use crate::message::model::Antwoord;
use crate::state::Context;

/// TR355 (9355): the ReferentieAanbieder of a 319 is that of a VOT product or VOW of this
/// provider the service received (OP344). 9355 is in the XSD enumeration but missing from the
/// WJ001 file (⚠ §11.4); the XSD wins.
pub fn tr355_referentie_bekend(a: &Antwoord, ctx: &Context) -> Option<Hit> {
    let known = ctx
        .verzoeken
        .get(&a.referentie_aanbieder)
        .is_some_and(|v| !v.is_empty());
    (!known).then(|| {
        Hit::new(
            "TR355",
            "9355",
            Place::antwoord(),
            format!(
                "ReferentieAanbieder {} is not a request of this provider",
                a.referentie_aanbieder
            ),
        )
    })
}

/// TR359 (9359): no 319 for a request already honoured by a 301 with its ReferentieAanbieder
/// (OP344, OP346).
pub fn tr359_niet_na_toewijzing(a: &Antwoord, ctx: &Context) -> Option<Hit> {
    let honoured = ctx.toegewezen_referenties.contains(&a.referentie_aanbieder);
    honoured.then(|| {
        Hit::new(
            "TR359",
            "9359",
            Place::antwoord(),
            "the request was already honoured with an allocation",
        )
    })
}

/// TR360 (9360): "in onderzoek" (VerzoekAntwoord 2) may be answered only once per request:
/// not when any 319 for it exists already (OP274, OP346).
pub fn tr360_eenmaal_in_onderzoek(a: &Antwoord, ctx: &Context) -> Option<Hit> {
    if a.verzoek_antwoord != "2" {
        return None;
    }
    let earlier = ctx
        .antwoorden
        .get(&a.referentie_aanbieder)
        .is_some_and(|v| !v.is_empty());
    earlier.then(|| {
        Hit::new(
            "TR360",
            "9360",
            Place::antwoord(),
            "the request was already answered; \"in onderzoek\" may be sent only as the first answer",
        )
    })
}

/// TR365 (9365): an earlier 319 for the same request must have been "in onderzoek"
/// (VerzoekAntwoord 2): after a rejection nothing more is answered (OP344).
pub fn tr365_eerder_antwoord_in_onderzoek(a: &Antwoord, ctx: &Context) -> Option<Hit> {
    let rejected = ctx
        .antwoorden
        .get(&a.referentie_aanbieder)
        .is_some_and(|v| v.iter().any(|e| e.verzoek_antwoord != "2"));
    rejected.then(|| {
        Hit::new(
            "TR365",
            "9365",
            Place::antwoord(),
            "the request was already rejected",
        )
    })
}

/// Every layer-3 rule of a 319.
pub fn check(a: &Antwoord, _input: &DecideInput, ctx: &Context) -> Vec<Hit> {
    let mut out = Vec::new();
    super::push(&mut out, tr355_referentie_bekend(a, ctx));
    super::push(&mut out, tr359_niet_na_toewijzing(a, ctx));
    super::push(&mut out, tr360_eenmaal_in_onderzoek(a, ctx));
    super::push(&mut out, tr365_eerder_antwoord_in_onderzoek(a, ctx));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::cross::testutil::*;
    use crate::state::VerzoekSoort;

    fn a(antwoord: &str) -> Antwoord {
        Antwoord {
            referentie_aanbieder: "VOW-1".into(),
            verzoek_antwoord: antwoord.into(),
            reden_afwijzing_verzoek: (antwoord == "1").then(|| "2".to_string()),
            ..Antwoord::default()
        }
    }

    #[test]
    fn tr355_reference_must_be_a_request() {
        let mut ctx = Context::default();
        let h = tr355_referentie_bekend(&a("2"), &ctx).unwrap();
        assert_eq!((h.rule, h.code), ("TR355", "9355"));
        ctx.verzoeken
            .insert("VOW-1".into(), vec![verzoek("VOW-1", VerzoekSoort::Vow)]);
        assert_eq!(tr355_referentie_bekend(&a("2"), &ctx), None);
    }

    #[test]
    fn tr359_not_after_honouring() {
        let mut ctx = Context::default();
        assert_eq!(tr359_niet_na_toewijzing(&a("1"), &ctx), None);
        ctx.toegewezen_referenties.push("VOW-1".into());
        let h = tr359_niet_na_toewijzing(&a("1"), &ctx).unwrap();
        assert_eq!((h.rule, h.code), ("TR359", "9359"));
    }

    #[test]
    fn tr360_in_onderzoek_once() {
        let mut ctx = Context::default();
        assert_eq!(tr360_eenmaal_in_onderzoek(&a("2"), &ctx), None);
        ctx.antwoorden
            .insert("VOW-1".into(), vec![antwoord("VOW-1", "2")]);
        let h = tr360_eenmaal_in_onderzoek(&a("2"), &ctx).unwrap();
        assert_eq!((h.rule, h.code), ("TR360", "9360"));
        assert_eq!(
            tr360_eenmaal_in_onderzoek(&a("1"), &ctx),
            None,
            "a final rejection may follow"
        );
    }

    #[test]
    fn tr365_earlier_answer_was_in_onderzoek() {
        let mut ctx = Context::default();
        ctx.antwoorden
            .insert("VOW-1".into(), vec![antwoord("VOW-1", "2")]);
        assert_eq!(tr365_eerder_antwoord_in_onderzoek(&a("1"), &ctx), None);
        ctx.antwoorden
            .insert("VOW-1".into(), vec![antwoord("VOW-1", "1")]);
        let h = tr365_eerder_antwoord_in_onderzoek(&a("1"), &ctx).unwrap();
        assert_eq!((h.rule, h.code), ("TR365", "9365"));
    }
}
