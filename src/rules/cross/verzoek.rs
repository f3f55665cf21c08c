//! 315 Verzoek om toewijzing (VOT) and 317 Verzoek om wijziging (VOW) against the stored
//! requests and allocations.

use super::{product_of, DecideInput, Hit, Place};
use crate::message::model::{Product, TeWijzigenProduct, VotClient, VowClient};
use crate::rules::toewijzing::{overlapt, zelfde_product, Periode};
use crate::state::{ClientState, Context, Toewijzing};
use chrono::NaiveDate;

/// TR304 (8187): the Bsn belongs to a known client: one with an allocation at this provider
/// from this gemeente (the VOW changes existing allocations, OP306).
///
/// The client class is rejected as a whole; its sub-classes are not assessed (0233).
pub fn tr304_client_bekend(client: Option<&ClientState>, place: Place) -> Option<Hit> {
    let known = client.is_some_and(|c| !c.toewijzingen.is_empty());
    (!known).then(|| {
        Hit::new(
            "TR304",
            "8187",
            place,
            "the Bsn is not a client with an allocation at this provider",
        )
        .blocking()
    })
}

/// TR347 (9347): a ReferentieAanbieder is unique per provider per legal domain (OP361): it was
/// never used for an earlier VOT product or VOW of this provider.
pub fn tr347_referentie_uniek(referentie: &str, ctx: &Context, place: Place) -> Option<Hit> {
    let used = ctx.verzoeken.get(referentie).is_some_and(|v| !v.is_empty());
    used.then(|| {
        Hit::new(
            "TR347",
            "9347",
            place,
            format!("ReferentieAanbieder {referentie} was already used for an earlier request"),
        )
    })
}

/// TR374 (9374): no new request while an earlier request of this provider for this client is
/// pending (OP350): it is pending until a 319 with VerzoekAntwoord 1 or a 301 with its
/// ReferentieAanbieder was received.
///
/// Decision: the code goes on the request class itself — each AangevraagdProduct of a 315, the
/// Verzoek of a 317 — since the products of one VOT are one request sent together.
pub fn tr374_geen_lopend_verzoek(client: Option<&ClientState>, place: Place) -> Option<Hit> {
    let open = client?.verzoeken.iter().find(|v| v.status.is_pending())?;
    Some(Hit::new(
        "TR374",
        "9374",
        place,
        format!(
            "the request {} of {} is still pending; wait for its answer",
            open.referentie, open.dagtekening
        ),
    ))
}

/// The current allocations a VOW must cover (TR349): the current version of each allocation
/// that is current on `today` or starts later, without deletions (OP087).
fn actuele_toewijzingen(client: &ClientState, today: NaiveDate) -> Vec<&Toewijzing> {
    client
        .actuele_versies()
        .into_iter()
        .filter(|t| t.is_current(today))
        .collect()
}

fn actuele_toewijzing(client: &ClientState, nummer: i64, today: NaiveDate) -> Option<&Toewijzing> {
    client.toewijzing(nummer).filter(|t| t.is_current(today))
}

/// TR349 (9349): a VOW names every current allocation of the client at this provider, as
/// OngewijzigdProduct or TeWijzigenProduct (OP306, OP308).
///
/// Decision: "current" is judged on `today` (the rule text: valid on or after the present
/// date), not on the Dagtekening. The code goes on the Verzoek.
pub fn tr349_alle_actuele_toewijzingen(
    c: &VowClient,
    client: &ClientState,
    today: NaiveDate,
    place: Place,
) -> Option<Hit> {
    let v = &c.verzoek;
    let named = |n: i64| {
        v.ongewijzigd()
            .iter()
            .any(|p| i64::from(p.toewijzing_nummer) == n)
            || v.te_wijzigen()
                .iter()
                .any(|p| i64::from(p.toewijzing_nummer) == n)
    };
    let missing: Vec<String> = actuele_toewijzingen(client, today)
        .into_iter()
        .filter(|t| !named(t.nummer))
        .map(|t| t.nummer.to_string())
        .collect();
    (!missing.is_empty()).then(|| {
        Hit::new(
            "TR349",
            "9349",
            place,
            format!(
                "the request leaves out the current allocation(s) {}",
                missing.join(", ")
            ),
        )
    })
}

/// TR350 (9350): every OngewijzigdProduct refers to a current allocation of the client
/// (OP308).
pub fn tr350_ongewijzigd_is_actueel(
    nummer: i64,
    client: &ClientState,
    today: NaiveDate,
    place: Place,
) -> Option<Hit> {
    actuele_toewijzing(client, nummer, today)
        .is_none()
        .then(|| {
            Hit::new(
                "TR350",
                "9350",
                place,
                format!("ToewijzingNummer {nummer} is not a current allocation of this client"),
            )
        })
}

/// TR351 (9351): every TeWijzigenProduct refers to a current allocation of the client (OP308).
pub fn tr351_te_wijzigen_is_actueel(
    nummer: i64,
    client: &ClientState,
    today: NaiveDate,
    place: Place,
) -> Option<Hit> {
    actuele_toewijzing(client, nummer, today)
        .is_none()
        .then(|| {
            Hit::new(
                "TR351",
                "9351",
                place,
                format!("ToewijzingNummer {nummer} is not a current allocation of this client"),
            )
        })
}

/// TR357 (9357): a GewensteIngangsdatum on or before the Dagtekening equals the Ingangsdatum of
/// the original allocation (OP345: no retroactive change that could make delivered care
/// unlawful).
pub fn tr357_terugwerkend_alleen_vanaf_ingangsdatum(
    p: &TeWijzigenProduct,
    t: &Toewijzing,
    dagtekening: NaiveDate,
    place: Place,
) -> Option<Hit> {
    (p.gewenste_ingangsdatum <= dagtekening && p.gewenste_ingangsdatum != t.ingangsdatum).then(
        || {
            Hit::new(
                "TR357",
                "9357",
                place,
                format!(
                    "GewensteIngangsdatum {} is not after the Dagtekening, so it must equal the allocation's Ingangsdatum {}",
                    p.gewenste_ingangsdatum, t.ingangsdatum
                ),
            )
        },
    )
}

/// TR373 (9373): a change of the Budget, or of the volume of a frequency-6 ("totaal binnen
/// geldigheidsduur") allocation, applies from the allocation's Ingangsdatum (OP345, OP257).
///
/// Decision: the Budget changes when the request has one that differs from the allocation's;
/// the total changes when the request's Omvang has frequency 6 and differs from the
/// allocation's Omvang.
pub fn tr373_budget_of_totaal_vanaf_ingangsdatum(
    p: &TeWijzigenProduct,
    t: &Toewijzing,
    place: Place,
) -> Option<Hit> {
    let budget = p.budget.is_some() && p.budget != t.budget;
    let totaal = p.omvang.as_ref().is_some_and(|o| {
        o.frequentie == "6"
            && (
                Some(o.volume),
                Some(o.eenheid.as_str()),
                Some(o.frequentie.as_str()),
            ) != (t.volume, t.eenheid.as_deref(), t.frequentie.as_deref())
    });
    ((budget || totaal) && p.gewenste_ingangsdatum != t.ingangsdatum).then(|| {
        Hit::new(
            "TR373",
            "9373",
            place,
            format!(
                "a budget or total-volume change applies from the allocation's Ingangsdatum {}, not {}",
                t.ingangsdatum, p.gewenste_ingangsdatum
            ),
        )
    })
}

/// "Einddatum > 2020-12-31 or empty" of the legacy exemption (TR375, TR412).
fn na_2020(t: &Toewijzing) -> bool {
    let grens = NaiveDate::from_ymd_opt(2020, 12, 31).unwrap_or_default();
    t.einddatum.is_none_or(|e| e > grens)
}

/// TR375 (9375): Omvang is empty when the referenced allocation has no Product (generic) and
/// ends after 2020 or is open (OP047).
///
/// Decision: TR375 covers the allocation without any product, TR412 the one with a category
/// but no code, so one situation gives one code.
pub fn tr375_geen_omvang_bij_generiek(
    p: &TeWijzigenProduct,
    t: &Toewijzing,
    place: Place,
) -> Option<Hit> {
    (p.omvang.is_some() && t.categorie.is_none() && na_2020(t)).then(|| {
        Hit::new(
            "TR375",
            "9375",
            place,
            "the allocation has no product, so the request has no Omvang",
        )
    })
}

/// TR411 (9411): Omvang is filled when the referenced allocation has a product code (OP047;
/// a specific allocation always has a volume).
pub fn tr411_omvang_bij_productcode(
    p: &TeWijzigenProduct,
    t: &Toewijzing,
    place: Place,
) -> Option<Hit> {
    (p.omvang.is_none() && t.code.is_some()).then(|| {
        Hit::new(
            "TR411",
            "9411",
            place,
            "the allocation has a product code, so the request states its Omvang",
        )
    })
}

/// TR412 (9412): Omvang is empty when the referenced allocation has a category but no product
/// code and ends after 2020 or is open (OP047). See TR375 for the generic allocation.
pub fn tr412_geen_omvang_zonder_productcode(
    p: &TeWijzigenProduct,
    t: &Toewijzing,
    place: Place,
) -> Option<Hit> {
    (p.omvang.is_some() && t.categorie.is_some() && t.code.is_none() && na_2020(t)).then(|| {
        Hit::new(
            "TR412",
            "9412",
            place,
            "the allocation has no product code, so the request has no Omvang",
        )
    })
}

/// TR361 (9361): in the desired situation of a VOW a product appears again only for a period
/// that does not overlap (OP347, no stacking). Unchanged and changed products are placed by
/// their allocation (an unchanged one keeps its period; a changed one runs from its Ingangsdatum
/// to the desired Einddatum); new ones by their own dates. Same product as TR302: codes equal,
/// or category level when a code is missing; a generic product overlaps every other.
///
/// Pairs of two new products are TR410 (level 2). The code goes on the later class of a pair.
pub fn tr361_geen_overlap_in_gewenste_situatie(c: &VowClient, client: &ClientState) -> Vec<Hit> {
    struct Item {
        place: Place,
        product: Option<Product>,
        periode: Periode,
        nieuw: bool,
    }
    let v = &c.verzoek;
    let mut items: Vec<Item> = Vec::new();
    let of = |t: &Toewijzing| product_of(t.categorie.as_deref(), t.code.as_deref());
    for (i, p) in v.ongewijzigd().iter().enumerate() {
        if let Some(t) = client
            .toewijzing(p.toewijzing_nummer.into())
            .filter(|t| !t.is_deleted())
        {
            items.push(Item {
                place: Place::ongewijzigd_product(i),
                product: of(t),
                periode: (t.ingangsdatum, t.einddatum),
                nieuw: false,
            });
        }
    }
    for (i, p) in v.te_wijzigen().iter().enumerate() {
        if let Some(t) = client
            .toewijzing(p.toewijzing_nummer.into())
            .filter(|t| !t.is_deleted())
        {
            items.push(Item {
                place: Place::te_wijzigen_product(i),
                product: of(t),
                periode: (t.ingangsdatum, p.einddatum),
                nieuw: false,
            });
        }
    }
    for (i, p) in v.nieuw().iter().enumerate() {
        items.push(Item {
            place: Place::nieuw_product(i),
            product: p.product.clone(),
            periode: (p.gewenste_ingangsdatum, p.einddatum),
            nieuw: true,
        });
    }
    let mut out: Vec<Hit> = Vec::new();
    for (j, b) in items.iter().enumerate() {
        let clash = items[..j].iter().find(|a| {
            !(a.nieuw && b.nieuw)
                && zelfde_product(a.product.as_ref(), b.product.as_ref())
                && overlapt(a.periode, b.periode)
        });
        if let Some(a) = clash {
            if !out.iter().any(|h| h.place == b.place) {
                out.push(Hit::new(
                    "TR361",
                    "9361",
                    b.place.clone(),
                    format!("overlaps in time with the same product at {}", a.place),
                ));
            }
        }
    }
    out
}

/// Every layer-3 rule of a 315.
pub fn check_vot(c: &VotClient, _input: &DecideInput, ctx: &Context) -> Vec<Hit> {
    let client = ctx.client(&c.bsn);
    let mut out = Vec::new();
    for (i, p) in c
        .aangevraagde_producten
        .aangevraagd_product
        .iter()
        .enumerate()
    {
        let place = Place::aangevraagd_product(i);
        super::push(
            &mut out,
            tr347_referentie_uniek(&p.referentie_aanbieder, ctx, place.clone()),
        );
        super::push(&mut out, tr374_geen_lopend_verzoek(client, place));
    }
    out
}

/// Every layer-3 rule of a 317. An unknown client (TR304) stops the assessment.
pub fn check_vow(c: &VowClient, input: &DecideInput, ctx: &Context) -> Vec<Hit> {
    let mut out = Vec::new();
    let maybe = ctx.client(&c.bsn);
    if let Some(h) = tr304_client_bekend(maybe, Place::client()) {
        out.push(h);
        return out;
    }
    let Some(client) = maybe else { return out };
    let today = input.today;
    let dagtekening = input.msg.header.bericht_identificatie.dagtekening;
    let v = &c.verzoek;
    super::push(
        &mut out,
        tr347_referentie_uniek(&v.referentie_aanbieder, ctx, Place::verzoek()),
    );
    super::push(
        &mut out,
        tr374_geen_lopend_verzoek(Some(client), Place::verzoek()),
    );
    super::push(
        &mut out,
        tr349_alle_actuele_toewijzingen(c, client, today, Place::verzoek()),
    );
    for (i, p) in v.ongewijzigd().iter().enumerate() {
        let place = Place::ongewijzigd_product(i);
        super::push(
            &mut out,
            tr350_ongewijzigd_is_actueel(p.toewijzing_nummer.into(), client, today, place),
        );
    }
    for (i, p) in v.te_wijzigen().iter().enumerate() {
        let place = Place::te_wijzigen_product(i);
        let nummer = i64::from(p.toewijzing_nummer);
        if let Some(h) = tr351_te_wijzigen_is_actueel(nummer, client, today, place.clone()) {
            out.push(h);
            continue;
        }
        let Some(t) = client.toewijzing(nummer) else {
            continue;
        };
        super::push(
            &mut out,
            tr357_terugwerkend_alleen_vanaf_ingangsdatum(p, t, dagtekening, place.clone()),
        );
        super::push(
            &mut out,
            tr373_budget_of_totaal_vanaf_ingangsdatum(p, t, place.clone()),
        );
        super::push(
            &mut out,
            tr375_geen_omvang_bij_generiek(p, t, place.clone()),
        );
        super::push(&mut out, tr411_omvang_bij_productcode(p, t, place.clone()));
        super::push(&mut out, tr412_geen_omvang_zonder_productcode(p, t, place));
    }
    out.extend(tr361_geen_overlap_in_gewenste_situatie(c, client));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::model::{
        NieuwProduct, NieuweProducten, Omvang, OngewijzigdProduct, OngewijzigdeProducten,
        TeWijzigenProducten, Verzoek,
    };
    use crate::rules::cross::testutil::*;
    use crate::state::{VerzoekSoort, VerzoekStatus};

    fn tw(nummer: u32, gewenst: NaiveDate) -> TeWijzigenProduct {
        TeWijzigenProduct {
            toewijzing_nummer: nummer,
            gewenste_ingangsdatum: gewenst,
            einddatum: Some(d(2027, 3, 31)),
            omvang: Some(omvang(2, "04", "2")),
            ..TeWijzigenProduct::default()
        }
    }

    fn omvang(volume: i64, eenheid: &str, frequentie: &str) -> Omvang {
        Omvang {
            volume,
            eenheid: eenheid.into(),
            frequentie: frequentie.into(),
        }
    }

    fn vow(
        ongewijzigd: &[u32],
        te_wijzigen: Vec<TeWijzigenProduct>,
        nieuw: Vec<NieuwProduct>,
    ) -> VowClient {
        VowClient {
            bsn: BSN.into(),
            verzoek: Verzoek {
                referentie_aanbieder: "VOW-1".into(),
                reden_verzoek: "2".into(),
                ongewijzigde_producten: (!ongewijzigd.is_empty()).then(|| OngewijzigdeProducten {
                    ongewijzigd_product: ongewijzigd
                        .iter()
                        .map(|n| OngewijzigdProduct {
                            toewijzing_nummer: *n,
                            retour_codes: None,
                        })
                        .collect(),
                }),
                te_wijzigen_producten: (!te_wijzigen.is_empty()).then_some(TeWijzigenProducten {
                    te_wijzigen_product: te_wijzigen,
                }),
                nieuwe_producten: (!nieuw.is_empty()).then_some(NieuweProducten {
                    nieuw_product: nieuw,
                }),
                retour_codes: None,
            },
            retour_codes: None,
        }
    }

    #[test]
    fn tr304_known_client() {
        let cs = client_met(vec![toewijzing(17)], vec![]);
        assert_eq!(tr304_client_bekend(Some(&cs), Place::client()), None);
        let h = tr304_client_bekend(None, Place::client()).unwrap();
        assert_eq!((h.rule, h.code, h.blocks), ("TR304", "8187", true));
        assert!(tr304_client_bekend(Some(&ClientState::default()), Place::client()).is_some());
    }

    #[test]
    fn tr347_reference_unique() {
        let mut ctx = Context::default();
        assert_eq!(
            tr347_referentie_uniek("VOT-A", &ctx, Place::aangevraagd_product(0)),
            None
        );
        ctx.verzoeken
            .insert("VOT-A".into(), vec![verzoek("VOT-A", VerzoekSoort::Vot)]);
        let h = tr347_referentie_uniek("VOT-A", &ctx, Place::aangevraagd_product(0)).unwrap();
        assert_eq!((h.rule, h.code), ("TR347", "9347"));
    }

    #[test]
    fn tr374_no_pending_request() {
        let mut cs = client_met(vec![], vec![]);
        let mut done = verzoek("VOT-A", VerzoekSoort::Vot);
        done.status = VerzoekStatus::Toegewezen;
        cs.verzoeken.push(done);
        assert_eq!(tr374_geen_lopend_verzoek(Some(&cs), Place::verzoek()), None);
        assert_eq!(tr374_geen_lopend_verzoek(None, Place::verzoek()), None);
        let mut onderzoek = verzoek("VOT-B", VerzoekSoort::Vot);
        onderzoek.status = VerzoekStatus::InOnderzoek;
        cs.verzoeken.push(onderzoek);
        let h = tr374_geen_lopend_verzoek(Some(&cs), Place::verzoek()).unwrap();
        assert_eq!((h.rule, h.code), ("TR374", "9374"));
    }

    #[test]
    fn tr349_every_current_allocation_named() {
        let mut ended = toewijzing(19);
        ended.einddatum = Some(d(2026, 8, 31));
        let cs = client_met(vec![toewijzing(17), toewijzing(18), ended], vec![]);
        let today = d(2026, 9, 14);
        let full = vow(&[18], vec![tw(17, d(2026, 10, 5))], vec![]);
        assert_eq!(
            tr349_alle_actuele_toewijzingen(&full, &cs, today, Place::verzoek()),
            None
        );
        let partial = vow(&[], vec![tw(17, d(2026, 10, 5))], vec![]);
        let h = tr349_alle_actuele_toewijzingen(&partial, &cs, today, Place::verzoek()).unwrap();
        assert_eq!((h.rule, h.code), ("TR349", "9349"));
        assert!(h.message.contains("18"));
    }

    #[test]
    fn tr350_and_tr351_refer_to_current_allocations() {
        let mut ended = toewijzing(19);
        ended.einddatum = Some(d(2026, 8, 31));
        let cs = client_met(vec![toewijzing(17), ended], vec![]);
        let today = d(2026, 9, 14);
        assert_eq!(
            tr350_ongewijzigd_is_actueel(17, &cs, today, Place::ongewijzigd_product(0)),
            None
        );
        let h =
            tr350_ongewijzigd_is_actueel(19, &cs, today, Place::ongewijzigd_product(0)).unwrap();
        assert_eq!((h.rule, h.code), ("TR350", "9350"));
        assert!(
            tr350_ongewijzigd_is_actueel(99, &cs, today, Place::ongewijzigd_product(0)).is_some()
        );
        assert_eq!(
            tr351_te_wijzigen_is_actueel(17, &cs, today, Place::te_wijzigen_product(0)),
            None
        );
        let h =
            tr351_te_wijzigen_is_actueel(19, &cs, today, Place::te_wijzigen_product(0)).unwrap();
        assert_eq!((h.rule, h.code), ("TR351", "9351"));
    }

    #[test]
    fn tr357_past_date_only_original_start() {
        let t = toewijzing(17); // Ingangsdatum 2026-07-01
        let at = Place::te_wijzigen_product(0);
        let dag = d(2026, 9, 14);
        assert_eq!(
            tr357_terugwerkend_alleen_vanaf_ingangsdatum(
                &tw(17, d(2026, 10, 5)),
                &t,
                dag,
                at.clone()
            ),
            None
        );
        assert_eq!(
            tr357_terugwerkend_alleen_vanaf_ingangsdatum(
                &tw(17, d(2026, 7, 1)),
                &t,
                dag,
                at.clone()
            ),
            None
        );
        let h = tr357_terugwerkend_alleen_vanaf_ingangsdatum(&tw(17, d(2026, 9, 1)), &t, dag, at)
            .unwrap();
        assert_eq!((h.rule, h.code), ("TR357", "9357"));
    }

    #[test]
    fn tr373_budget_or_total_from_start() {
        let at = Place::te_wijzigen_product(0);
        let mut budget_alloc = toewijzing(17);
        budget_alloc.budget = Some(100_000);
        budget_alloc.volume = None;
        budget_alloc.eenheid = None;
        budget_alloc.frequentie = None;
        let mut p = tw(17, d(2026, 10, 5));
        p.omvang = None;
        p.budget = Some(150_000);
        let h = tr373_budget_of_totaal_vanaf_ingangsdatum(&p, &budget_alloc, at.clone()).unwrap();
        assert_eq!((h.rule, h.code), ("TR373", "9373"));
        p.gewenste_ingangsdatum = budget_alloc.ingangsdatum;
        assert_eq!(
            tr373_budget_of_totaal_vanaf_ingangsdatum(&p, &budget_alloc, at.clone()),
            None
        );
        let mut totaal = toewijzing(17);
        totaal.frequentie = Some("6".into());
        let mut q = tw(17, d(2026, 10, 5));
        q.omvang = Some(omvang(40, "04", "6"));
        assert!(tr373_budget_of_totaal_vanaf_ingangsdatum(&q, &totaal, at.clone()).is_some());
        // a weekly volume change from a later date is allowed (new allocation, OP257)
        assert_eq!(
            tr373_budget_of_totaal_vanaf_ingangsdatum(&tw(17, d(2026, 10, 5)), &toewijzing(17), at),
            None
        );
    }

    #[test]
    fn tr375_tr411_tr412_omvang_follows_the_allocation() {
        let at = Place::te_wijzigen_product(0);
        let specific = toewijzing(17);
        let mut without = tw(17, d(2026, 10, 5));
        without.omvang = None;
        without.budget = Some(1);
        assert_eq!(
            tr411_omvang_bij_productcode(&tw(17, d(2026, 10, 5)), &specific, at.clone()),
            None
        );
        let h = tr411_omvang_bij_productcode(&without, &specific, at.clone()).unwrap();
        assert_eq!((h.rule, h.code), ("TR411", "9411"));

        let mut aspecific = toewijzing(17);
        aspecific.code = None;
        assert_eq!(
            tr412_geen_omvang_zonder_productcode(&without, &aspecific, at.clone()),
            None
        );
        let h =
            tr412_geen_omvang_zonder_productcode(&tw(17, d(2026, 10, 5)), &aspecific, at.clone())
                .unwrap();
        assert_eq!((h.rule, h.code), ("TR412", "9412"));
        let mut legacy = aspecific.clone();
        legacy.einddatum = Some(d(2020, 12, 31));
        assert_eq!(
            tr412_geen_omvang_zonder_productcode(&tw(17, d(2026, 10, 5)), &legacy, at.clone()),
            None
        );

        let mut generic = toewijzing(17);
        generic.categorie = None;
        generic.code = None;
        assert_eq!(
            tr375_geen_omvang_bij_generiek(&without, &generic, at.clone()),
            None
        );
        let h =
            tr375_geen_omvang_bij_generiek(&tw(17, d(2026, 10, 5)), &generic, at.clone()).unwrap();
        assert_eq!((h.rule, h.code), ("TR375", "9375"));
        assert_eq!(
            tr412_geen_omvang_zonder_productcode(&tw(17, d(2026, 10, 5)), &generic, at),
            None
        );
    }

    #[test]
    fn tr361_no_stacking_in_the_desired_situation() {
        let cs = client_met(vec![toewijzing(17), toewijzing(18)], vec![]);
        let mut other = toewijzing(18);
        other.code = Some("45A07".into());
        let cs_other = client_met(vec![toewijzing(17), other], vec![]);
        let nieuw = |cat: &str, code: Option<&str>, from: NaiveDate| NieuwProduct {
            product: Some(product(cat, code)),
            gewenste_ingangsdatum: from,
            einddatum: Some(d(2027, 6, 30)),
            omvang: Some(omvang(1, "04", "2")),
            ..NieuwProduct::default()
        };
        let ok = vow(
            &[18],
            vec![tw(17, d(2026, 10, 5))],
            vec![nieuw("45", Some("45A03"), d(2027, 4, 1))],
        );
        assert!(tr361_geen_overlap_in_gewenste_situatie(&ok, &cs_other).is_empty());
        let stacked = vow(
            &[18],
            vec![tw(17, d(2026, 10, 5))],
            vec![nieuw("45", Some("45A03"), d(2026, 12, 1))],
        );
        let hits = tr361_geen_overlap_in_gewenste_situatie(&stacked, &cs_other);
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0].rule, hits[0].code), ("TR361", "9361"));
        assert_eq!(hits[0].place, Place::nieuw_product(0));
        // two existing allocations of the same product that overlap
        let both = vow(&[18], vec![tw(17, d(2026, 10, 5))], vec![]);
        let hits = tr361_geen_overlap_in_gewenste_situatie(&both, &cs);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].place, Place::te_wijzigen_product(0));
    }
}
