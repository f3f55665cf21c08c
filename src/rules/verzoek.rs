//! 315 Verzoek om toewijzing (VOT) and 317 Verzoek om wijziging (VOW).

use super::common;
use super::toewijzing::{self as tw, Vorm};
use super::{at, Ctx};
use crate::finding::Finding;
use crate::message::model::{
    AangevraagdProduct, NieuwProduct, TeWijzigenProduct, Verwijzer, Verzoek, VotClient, VowClient,
};
use std::collections::HashMap;

const CLIENT: &str = "/Bericht/Client";
const AANGEVRAAGD: &str = "/Bericht/Client/AangevraagdeProducten";
const VERZOEK: &str = "/Bericht/Client/Verzoek";

fn vorm_aangevraagd(p: &AangevraagdProduct, path: String) -> Vorm<'_> {
    Vorm {
        path,
        product: p.product.as_ref(),
        begin: p.toewijzing_ingangsdatum,
        begin_name: "ToewijzingIngangsdatum",
        einde: p.toewijzing_einddatum,
        einde_name: "ToewijzingEinddatum",
        omvang: p.omvang.as_ref(),
        budget: p.budget,
    }
}

fn vorm_nieuw(p: &NieuwProduct, path: String) -> Vorm<'_> {
    Vorm {
        path,
        product: p.product.as_ref(),
        begin: p.gewenste_ingangsdatum,
        begin_name: "GewensteIngangsdatum",
        einde: p.einddatum,
        einde_name: "Einddatum",
        omvang: p.omvang.as_ref(),
        budget: p.budget,
    }
}

fn vorm_te_wijzigen(p: &TeWijzigenProduct, path: String) -> Vorm<'_> {
    Vorm {
        path,
        product: None,
        begin: p.gewenste_ingangsdatum,
        begin_name: "GewensteIngangsdatum",
        einde: p.einddatum,
        einde_name: "Einddatum",
        omvang: p.omvang.as_ref(),
        budget: p.budget,
    }
}

// ---------------------------------------------------------------------------------------------
// 315
// ---------------------------------------------------------------------------------------------

/// CD043: BeschikkingIngangsdatum is given exactly when a BeschikkingNummer is given.
pub fn cd043_beschikkingsdatum_bij_beschikkingnummer(
    p: &AangevraagdProduct,
    path: &str,
    out: &mut Vec<Finding>,
) {
    let msg = match (p.beschikking_nummer, p.beschikking_ingangsdatum) {
        (Some(n), None) => {
            format!("BeschikkingIngangsdatum is required because BeschikkingNummer {n} is given")
        }
        (None, Some(_)) => {
            "BeschikkingIngangsdatum must be left out because no BeschikkingNummer is given"
                .to_string()
        }
        _ => return,
    };
    out.push(Finding::rule(
        "CD043",
        format!("{path}/BeschikkingIngangsdatum"),
        msg,
    ));
}

/// True for referrers that are care professionals with an AGB code (GP, youth doctor, certified
/// institution, medical specialist: COD327 02–05).
fn verwijzer_met_agb(v: &Verwijzer) -> bool {
    matches!(v.type_verwijzer.as_str(), "02" | "03" | "04" | "05")
}

/// CD066: a professional referrer identified by AGB code is not also named (the code suffices).
pub fn cd066_geen_naam_bij_zorgverlenercode(v: &Verwijzer, path: &str, out: &mut Vec<Finding>) {
    if verwijzer_met_agb(v) && v.zorgverlener_code.is_some() && v.naam.is_some() {
        out.push(Finding::rule(
            "CD066",
            format!("{path}/Naam"),
            "Naam must be left out because the referrer is identified by ZorgverlenerCode",
        ));
    }
}

/// CD067: a professional referrer without AGB code must be named, or nobody knows who referred.
pub fn cd067_naam_zonder_zorgverlenercode(v: &Verwijzer, path: &str, out: &mut Vec<Finding>) {
    if verwijzer_met_agb(v) && v.zorgverlener_code.is_none() && v.naam.is_none() {
        out.push(Finding::rule(
            "CD067",
            format!("{path}/Naam"),
            format!(
                "Naam is required for referrer type {} when no ZorgverlenerCode is given",
                v.type_verwijzer
            ),
        ));
    }
}

/// CD068: only professional referrers (types 02–05) carry an AGB code.
pub fn cd068_geen_zorgverlenercode_buiten_02_05(v: &Verwijzer, path: &str, out: &mut Vec<Finding>) {
    if !verwijzer_met_agb(v) && v.zorgverlener_code.is_some() {
        out.push(Finding::rule(
            "CD068",
            format!("{path}/ZorgverlenerCode"),
            format!(
                "ZorgverlenerCode must be left out for referrer type {} (only types 02-05 have one)",
                v.type_verwijzer
            ),
        ));
    }
}

/// CD095: a requested product without code that runs past 2020 has no Omvang (VOT twin of CD080).
pub fn cd095_omvang_leeg_zonder_productcode(v: &Vorm, out: &mut Vec<Finding>) {
    if v.omvang_verboden_zonder_code() {
        out.push(Finding::rule(
            "CD095",
            format!("{}/Omvang", v.path),
            "Omvang must be left out: there is no product code and the request runs after 2020-12-31",
        ));
    }
}

/// CS343: for Eenheid 14/16/83/84 a requested Omvang is not per day (VOT twin of CS338).
pub fn cs343_frequentie_past_bij_eenheid(v: &Vorm, out: &mut Vec<Finding>) {
    if v.frequentie_past_niet_bij_eenheid() {
        let (e, f) = v
            .omvang
            .map(|o| (o.eenheid.as_str(), o.frequentie.as_str()))
            .unwrap_or_default();
        out.push(Finding::rule(
            "CS343",
            format!("{}/Omvang/Frequentie", v.path),
            format!("Frequentie {f} is not allowed with Eenheid {e}; use 2, 4 or 6"),
        ));
    }
}

/// TR383: every AangevraagdProduct has its own ReferentieAanbieder, so each can be answered
/// separately by a 301 or 319.
pub fn tr383_referentie_uniek_per_aangevraagd_product(
    producten: &[AangevraagdProduct],
    out: &mut Vec<Finding>,
) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, p) in producten.iter().enumerate() {
        if let Some(first) = seen.get(p.referentie_aanbieder.as_str()) {
            out.push(Finding::rule(
                "TR383",
                format!(
                    "{}/ReferentieAanbieder",
                    at(AANGEVRAAGD, "AangevraagdProduct", i)
                ),
                format!(
                    "ReferentieAanbieder {:?} is already used by AangevraagdProduct[{}]",
                    p.referentie_aanbieder,
                    first + 1
                ),
            ));
        } else {
            seen.insert(&p.referentie_aanbieder, i);
        }
    }
}

/// TR386: the same product is requested more than once only for periods that do not overlap
/// (no stacked requests; category level without code, a generic request overlaps nothing).
pub fn tr386_geen_overlap_aangevraagde_producten(
    producten: &[AangevraagdProduct],
    out: &mut Vec<Finding>,
) {
    let items: Vec<_> = producten
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                at(AANGEVRAAGD, "AangevraagdProduct", i),
                p.product.as_ref(),
                (p.toewijzing_ingangsdatum, p.toewijzing_einddatum),
            )
        })
        .collect();
    tw::stapeling("TR386", &items, "requested product", out);
}

/// Every level-2 rule of the 315 body.
pub fn check_vot(c: &VotClient, ctx: &Ctx, out: &mut Vec<Finding>) {
    common::cs002_bsn_elfproef(&c.bsn, &format!("{CLIENT}/Bsn"), out);
    common::check_geboortedatum(
        &c.geboortedatum,
        ctx,
        &format!("{CLIENT}/Geboortedatum"),
        out,
    );
    let producten = &c.aangevraagde_producten.aangevraagd_product;
    for (i, p) in producten.iter().enumerate() {
        let v = vorm_aangevraagd(p, at(AANGEVRAAGD, "AangevraagdProduct", i));
        tw::cd041_omvang_verplicht_bij_productcode(&v, out);
        cd043_beschikkingsdatum_bij_beschikkingnummer(p, &v.path, out);
        tw::cd075_einddatum_verplicht_bij_budget(&v, out);
        tw::cd076_einddatum_verplicht_bij_frequentie_week(&v, out);
        tw::cd077_omvang_leeg_bij_budget(&v, out);
        tw::cd078_budget_leeg_bij_omvang(&v, out);
        tw::cd079_product_verplicht_zonder_budget(&v, out);
        cd095_omvang_leeg_zonder_productcode(&v, out);
        tw::cs003_vorm(&v, out);
        cs343_frequentie_past_bij_eenheid(&v, out);
        let verwijzer = format!("{}/Verwijzer", v.path);
        cd066_geen_naam_bij_zorgverlenercode(&p.verwijzer, &verwijzer, out);
        cd067_naam_zonder_zorgverlenercode(&p.verwijzer, &verwijzer, out);
        cd068_geen_zorgverlenercode_buiten_02_05(&p.verwijzer, &verwijzer, out);
    }
    tr383_referentie_uniek_per_aangevraagd_product(producten, out);
    tr386_geen_overlap_aangevraagde_producten(producten, out);
}

// ---------------------------------------------------------------------------------------------
// 317
// ---------------------------------------------------------------------------------------------

/// CD096: a new product without code that runs past 2020 has no Omvang (VOW twin of CD080).
pub fn cd096_omvang_leeg_zonder_productcode(v: &Vorm, out: &mut Vec<Finding>) {
    if v.omvang_verboden_zonder_code() {
        out.push(Finding::rule(
            "CD096",
            format!("{}/Omvang", v.path),
            "Omvang must be left out: there is no product code and the new product runs after 2020-12-31",
        ));
    }
}

/// TR352: a VOW changes an existing allocation package, so it lists at least one current
/// allocation (OngewijzigdProduct or TeWijzigenProduct).
pub fn tr352_bestaand_product_aanwezig(v: &Verzoek, out: &mut Vec<Finding>) {
    if v.ongewijzigd().is_empty() && v.te_wijzigen().is_empty() {
        out.push(Finding::rule(
            "TR352",
            format!("{VERZOEK}/OngewijzigdeProducten"),
            "a change request must contain at least one OngewijzigdProduct or TeWijzigenProduct",
        ));
    }
}

/// TR353: a VOW asks for something: at least one TeWijzigenProduct or NieuwProduct.
pub fn tr353_wijziging_aanwezig(v: &Verzoek, out: &mut Vec<Finding>) {
    if v.te_wijzigen().is_empty() && v.nieuw().is_empty() {
        out.push(Finding::rule(
            "TR353",
            format!("{VERZOEK}/TeWijzigenProducten"),
            "a change request must contain at least one TeWijzigenProduct or NieuwProduct",
        ));
    }
}

/// TR380: a new product is requested for the future, so its GewensteIngangsdatum lies after the
/// Dagtekening (the municipality must be able to decide before it starts, OP343).
///
/// Decision: the sources name only the class NieuwProduct; the date there is
/// `GewensteIngangsdatum`. TeWijzigenProduct is left to TR357 (level 3), which allows a past date
/// equal to the original Ingangsdatum.
pub fn tr380_gewenste_ingangsdatum_na_dagtekening(
    p: &NieuwProduct,
    path: &str,
    ctx: &Ctx,
    out: &mut Vec<Finding>,
) {
    if p.gewenste_ingangsdatum <= ctx.dagtekening {
        out.push(Finding::rule(
            "TR380",
            format!("{path}/GewensteIngangsdatum"),
            format!(
                "GewensteIngangsdatum {} must lie after the Dagtekening {} of the request",
                p.gewenste_ingangsdatum, ctx.dagtekening
            ),
        ));
    }
}

/// TR410: the same product appears more than once among the NieuwProducts only for periods that
/// do not overlap (category level without code; a generic one overlaps nothing).
pub fn tr410_geen_overlap_nieuwe_producten(producten: &[NieuwProduct], out: &mut Vec<Finding>) {
    let parent = format!("{VERZOEK}/NieuweProducten");
    let items: Vec<_> = producten
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                at(&parent, "NieuwProduct", i),
                p.product.as_ref(),
                (p.gewenste_ingangsdatum, p.einddatum),
            )
        })
        .collect();
    tw::stapeling("TR410", &items, "new product", out);
}

/// Every level-2 rule of the 317 body.
pub fn check_vow(c: &VowClient, ctx: &Ctx, out: &mut Vec<Finding>) {
    common::cs002_bsn_elfproef(&c.bsn, &format!("{CLIENT}/Bsn"), out);
    let verzoek = &c.verzoek;
    let te_wijzigen = format!("{VERZOEK}/TeWijzigenProducten");
    for (i, p) in verzoek.te_wijzigen().iter().enumerate() {
        let v = vorm_te_wijzigen(p, at(&te_wijzigen, "TeWijzigenProduct", i));
        tw::cd075_einddatum_verplicht_bij_budget(&v, out);
        tw::cd076_einddatum_verplicht_bij_frequentie_week(&v, out);
        tw::cd077_omvang_leeg_bij_budget(&v, out);
        tw::cd078_budget_leeg_bij_omvang(&v, out);
        tw::cs003_vorm(&v, out);
        tw::cs338_frequentie_past_bij_eenheid(&v, out);
    }
    let nieuw = format!("{VERZOEK}/NieuweProducten");
    for (i, p) in verzoek.nieuw().iter().enumerate() {
        let v = vorm_nieuw(p, at(&nieuw, "NieuwProduct", i));
        tw::cd041_omvang_verplicht_bij_productcode(&v, out);
        tw::cd075_einddatum_verplicht_bij_budget(&v, out);
        tw::cd076_einddatum_verplicht_bij_frequentie_week(&v, out);
        tw::cd077_omvang_leeg_bij_budget(&v, out);
        tw::cd078_budget_leeg_bij_omvang(&v, out);
        tw::cd079_product_verplicht_zonder_budget(&v, out);
        cd096_omvang_leeg_zonder_productcode(&v, out);
        tw::cs003_vorm(&v, out);
        tw::cs338_frequentie_past_bij_eenheid(&v, out);
        tr380_gewenste_ingangsdatum_na_dagtekening(p, &v.path, ctx, out);
    }
    tr352_bestaand_product_aanwezig(verzoek, out);
    tr353_wijziging_aanwezig(verzoek, out);
    tr410_geen_overlap_nieuwe_producten(verzoek.nieuw(), out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::model::{
        AangevraagdeProducten, NieuweProducten, Omvang, OngewijzigdProduct, OngewijzigdeProducten,
        Product, TeWijzigenProducten,
    };
    use crate::rules::testutil::{codes, ctx, d};

    fn product(cat: &str, code: Option<&str>) -> Option<Product> {
        Some(Product {
            categorie: cat.into(),
            code: code.map(str::to_string),
        })
    }

    fn omvang(eenheid: &str, frequentie: &str) -> Option<Omvang> {
        Some(Omvang {
            volume: 8,
            eenheid: eenheid.into(),
            frequentie: frequentie.into(),
        })
    }

    fn ap(referentie: &str) -> AangevraagdProduct {
        AangevraagdProduct {
            referentie_aanbieder: referentie.into(),
            product: product("45", Some("45A03")),
            toewijzing_ingangsdatum: d(2026, 7, 1),
            toewijzing_einddatum: Some(d(2026, 12, 31)),
            omvang: omvang("04", "2"),
            verwijzer: Verwijzer {
                type_verwijzer: "04".into(),
                naam: Some("GI Midden-Holland".into()),
                zorgverlener_code: None,
            },
            ..AangevraagdProduct::default()
        }
    }

    fn on_vorm(f: fn(&Vorm, &mut Vec<Finding>), p: &AangevraagdProduct) -> Vec<Finding> {
        let mut out = Vec::new();
        f(&vorm_aangevraagd(p, "/P".into()), &mut out);
        out
    }

    #[test]
    fn cd043_beschikking() {
        let mut out = Vec::new();
        cd043_beschikkingsdatum_bij_beschikkingnummer(&ap("A"), "/P", &mut out);
        let both = AangevraagdProduct {
            beschikking_nummer: Some(26004518),
            beschikking_ingangsdatum: Some(d(2026, 6, 1)),
            ..ap("A")
        };
        cd043_beschikkingsdatum_bij_beschikkingnummer(&both, "/P", &mut out);
        assert!(out.is_empty());
        let only_number = AangevraagdProduct {
            beschikking_ingangsdatum: None,
            ..both.clone()
        };
        let only_date = AangevraagdProduct {
            beschikking_nummer: None,
            ..both
        };
        cd043_beschikkingsdatum_bij_beschikkingnummer(&only_number, "/P", &mut out);
        cd043_beschikkingsdatum_bij_beschikkingnummer(&only_date, "/P", &mut out);
        assert_eq!(codes(&out), ["CD043", "CD043"]);
        assert_eq!(out[0].path, "/P/BeschikkingIngangsdatum");
    }

    fn verwijzer(t: &str, naam: bool, agb: bool) -> Verwijzer {
        Verwijzer {
            type_verwijzer: t.into(),
            naam: naam.then(|| "Dokter".to_string()),
            zorgverlener_code: agb.then(|| "01234567".to_string()),
        }
    }

    #[test]
    fn cd066_cd067_cd068_verwijzer() {
        let run = |v: &Verwijzer| {
            let mut out = Vec::new();
            cd066_geen_naam_bij_zorgverlenercode(v, "/V", &mut out);
            cd067_naam_zonder_zorgverlenercode(v, "/V", &mut out);
            cd068_geen_zorgverlenercode_buiten_02_05(v, "/V", &mut out);
            out
        };
        for ok in [
            verwijzer("02", false, true),
            verwijzer("05", true, false),
            verwijzer("01", true, false),
            verwijzer("06", false, false),
        ] {
            assert!(run(&ok).is_empty(), "{ok:?}");
        }
        let f = run(&verwijzer("03", true, true));
        assert_eq!((codes(&f), f[0].path.as_str()), (vec!["CD066"], "/V/Naam"));
        let f = run(&verwijzer("04", false, false));
        assert_eq!((codes(&f), f[0].path.as_str()), (vec!["CD067"], "/V/Naam"));
        let f = run(&verwijzer("08", false, true));
        assert_eq!(
            (codes(&f), f[0].path.as_str()),
            (vec!["CD068"], "/V/ZorgverlenerCode")
        );
    }

    #[test]
    fn cd095_no_volume_without_code() {
        assert!(on_vorm(cd095_omvang_leeg_zonder_productcode, &ap("A")).is_empty());
        let aspecific = AangevraagdProduct {
            product: product("45", None),
            ..ap("A")
        };
        let f = on_vorm(cd095_omvang_leeg_zonder_productcode, &aspecific);
        assert_eq!(
            (codes(&f), f[0].path.as_str()),
            (vec!["CD095"], "/P/Omvang")
        );
    }

    #[test]
    fn cs343_no_per_day() {
        assert!(on_vorm(cs343_frequentie_past_bij_eenheid, &ap("A")).is_empty());
        let daily_etmaal = AangevraagdProduct {
            omvang: omvang("14", "1"),
            ..ap("A")
        };
        let f = on_vorm(cs343_frequentie_past_bij_eenheid, &daily_etmaal);
        assert_eq!(
            (codes(&f), f[0].path.as_str()),
            (vec!["CS343"], "/P/Omvang/Frequentie")
        );
    }

    #[test]
    fn shared_shape_rules_use_the_vot_element_names() {
        let open_budget = AangevraagdProduct {
            product: None,
            omvang: None,
            budget: Some(1000),
            toewijzing_einddatum: None,
            ..ap("A")
        };
        let f = on_vorm(tw::cd075_einddatum_verplicht_bij_budget, &open_budget);
        assert_eq!(
            (codes(&f), f[0].path.as_str()),
            (vec!["CD075"], "/P/ToewijzingEinddatum")
        );
        let reversed = AangevraagdProduct {
            toewijzing_einddatum: Some(d(2026, 6, 30)),
            ..ap("A")
        };
        let f = on_vorm(tw::cs003_vorm, &reversed);
        assert_eq!(
            (codes(&f), f[0].path.as_str()),
            (vec!["CS003"], "/P/ToewijzingEinddatum")
        );
    }

    #[test]
    fn tr383_unique_reference() {
        let mut out = Vec::new();
        tr383_referentie_uniek_per_aangevraagd_product(&[ap("A"), ap("B")], &mut out);
        assert!(out.is_empty());
        tr383_referentie_uniek_per_aangevraagd_product(&[ap("A"), ap("B"), ap("A")], &mut out);
        assert_eq!(codes(&out), ["TR383"]);
        assert_eq!(
            out[0].path,
            "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[3]/ReferentieAanbieder"
        );
    }

    #[test]
    fn tr386_no_stacked_requests() {
        let mut out = Vec::new();
        let other = AangevraagdProduct {
            product: product("45", Some("45A07")),
            ..ap("B")
        };
        let later = AangevraagdProduct {
            toewijzing_ingangsdatum: d(2027, 1, 1),
            toewijzing_einddatum: None,
            ..ap("C")
        };
        tr386_geen_overlap_aangevraagde_producten(&[ap("A"), other, later], &mut out);
        assert!(out.is_empty());
        let overlapping = AangevraagdProduct {
            toewijzing_ingangsdatum: d(2026, 12, 1),
            ..ap("D")
        };
        tr386_geen_overlap_aangevraagde_producten(&[ap("A"), overlapping], &mut out);
        assert_eq!(codes(&out), ["TR386"]);
        assert_eq!(
            out[0].path,
            "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[2]"
        );
    }

    fn nieuw(begin: (i32, u32, u32)) -> NieuwProduct {
        NieuwProduct {
            product: product("45", Some("45A03")),
            gewenste_ingangsdatum: d(begin.0, begin.1, begin.2),
            einddatum: Some(d(2027, 3, 31)),
            omvang: omvang("04", "2"),
            ..NieuwProduct::default()
        }
    }

    fn verzoek(ongewijzigd: usize, te_wijzigen: usize, nieuwe: Vec<NieuwProduct>) -> Verzoek {
        Verzoek {
            referentie_aanbieder: "VOW-1".into(),
            reden_verzoek: "2".into(),
            ongewijzigde_producten: (ongewijzigd > 0).then(|| OngewijzigdeProducten {
                ongewijzigd_product: (0..ongewijzigd)
                    .map(|i| OngewijzigdProduct {
                        toewijzing_nummer: i as u32 + 1,
                        retour_codes: None,
                    })
                    .collect(),
            }),
            te_wijzigen_producten: (te_wijzigen > 0).then(|| TeWijzigenProducten {
                te_wijzigen_product: (0..te_wijzigen)
                    .map(|i| TeWijzigenProduct {
                        toewijzing_nummer: i as u32 + 10,
                        gewenste_ingangsdatum: d(2026, 10, 5),
                        einddatum: Some(d(2027, 3, 31)),
                        omvang: omvang("04", "2"),
                        ..TeWijzigenProduct::default()
                    })
                    .collect(),
            }),
            nieuwe_producten: if nieuwe.is_empty() {
                None
            } else {
                Some(NieuweProducten {
                    nieuw_product: nieuwe,
                })
            },
            retour_codes: None,
        }
    }

    #[test]
    fn tr352_needs_an_existing_product() {
        let mut out = Vec::new();
        tr352_bestaand_product_aanwezig(&verzoek(1, 0, vec![nieuw((2026, 10, 1))]), &mut out);
        tr352_bestaand_product_aanwezig(&verzoek(0, 1, vec![]), &mut out);
        assert!(out.is_empty());
        tr352_bestaand_product_aanwezig(&verzoek(0, 0, vec![nieuw((2026, 10, 1))]), &mut out);
        assert_eq!(codes(&out), ["TR352"]);
    }

    #[test]
    fn tr353_needs_a_change() {
        let mut out = Vec::new();
        tr353_wijziging_aanwezig(&verzoek(1, 1, vec![]), &mut out);
        tr353_wijziging_aanwezig(&verzoek(1, 0, vec![nieuw((2026, 10, 1))]), &mut out);
        assert!(out.is_empty());
        tr353_wijziging_aanwezig(&verzoek(2, 0, vec![]), &mut out);
        assert_eq!(codes(&out), ["TR353"]);
    }

    #[test]
    fn tr380_new_product_in_the_future() {
        let c = ctx(2026, 9, 14);
        let mut out = Vec::new();
        tr380_gewenste_ingangsdatum_na_dagtekening(&nieuw((2026, 9, 15)), "/N", &c, &mut out);
        assert!(out.is_empty());
        tr380_gewenste_ingangsdatum_na_dagtekening(&nieuw((2026, 9, 14)), "/N", &c, &mut out);
        assert_eq!(codes(&out), ["TR380"]);
        assert_eq!(out[0].path, "/N/GewensteIngangsdatum");
    }

    #[test]
    fn tr410_no_stacked_new_products() {
        let mut out = Vec::new();
        let later = NieuwProduct {
            gewenste_ingangsdatum: d(2027, 4, 1),
            einddatum: None,
            ..nieuw((2026, 10, 1))
        };
        tr410_geen_overlap_nieuwe_producten(&[nieuw((2026, 10, 1)), later], &mut out);
        assert!(out.is_empty());
        tr410_geen_overlap_nieuwe_producten(
            &[nieuw((2026, 10, 1)), nieuw((2027, 3, 31))],
            &mut out,
        );
        assert_eq!(codes(&out), ["TR410"]);
        assert_eq!(
            out[0].path,
            "/Bericht/Client/Verzoek/NieuweProducten/NieuwProduct[2]"
        );
    }

    #[test]
    fn cd096_no_volume_without_code() {
        let run = |p: &NieuwProduct| {
            let mut out = Vec::new();
            cd096_omvang_leeg_zonder_productcode(&vorm_nieuw(p, "/N".into()), &mut out);
            out
        };
        assert!(run(&nieuw((2026, 10, 1))).is_empty());
        let aspecific = NieuwProduct {
            product: product("45", None),
            ..nieuw((2026, 10, 1))
        };
        let f = run(&aspecific);
        assert_eq!(
            (codes(&f), f[0].path.as_str()),
            (vec!["CD096"], "/N/Omvang")
        );
    }

    #[test]
    fn whole_315_and_317() {
        let c = ctx(2026, 6, 22);
        let vot = VotClient {
            bsn: "999912367".into(),
            geboortedatum: crate::message::model::Geboortedatum {
                datum: d(2014, 5, 3),
                datum_gebruik: None,
            },
            aangevraagde_producten: AangevraagdeProducten {
                aangevraagd_product: vec![ap("A")],
            },
            ..VotClient::default()
        };
        let mut out = Vec::new();
        check_vot(&vot, &c, &mut out);
        assert!(out.is_empty(), "{out:?}");

        let vow = VowClient {
            bsn: "999912367".into(),
            verzoek: verzoek(1, 1, vec![nieuw((2026, 10, 1))]),
            retour_codes: None,
        };
        check_vow(&vow, &c, &mut out);
        assert!(out.is_empty(), "{out:?}");
        let mut bad = vow.clone();
        bad.verzoek.te_wijzigen_producten = None;
        bad.verzoek.nieuwe_producten = None;
        bad.verzoek.ongewijzigde_producten = None;
        check_vow(&bad, &c, &mut out);
        assert_eq!(codes(&out), ["TR352", "TR353"]);
    }
}
