//! 301 Toewijzing against the stored allocations, requests and declarations.

use super::{DecideInput, Hit, Place};
use crate::message::model::{ToegewezenProduct, ToewijzingClient};
use crate::state::{ClientState, Context, VerzoekSoort};
use chrono::NaiveDate;

/// TR332 (9332): a ToewijzingNummer is unique per gemeente per legal domain (OP275): a number
/// already held by another client or another provider of this gemeente is refused. A new
/// version of the client's own allocation keeps its number (IV066) and passes.
pub fn tr332_toewijzingnummer_uniek(
    p: &ToegewezenProduct,
    bsn: &str,
    agb: &str,
    ctx: &Context,
    place: Place,
) -> Option<Hit> {
    let owner = ctx.toewijzing_owners.get(&i64::from(p.toewijzing_nummer))?;
    (owner.bsn != bsn || owner.agb != agb).then(|| {
        Hit::new(
            "TR332",
            "9332",
            place,
            format!(
                "ToewijzingNummer {} is already used for another allocation of this gemeente",
                p.toewijzing_nummer
            ),
        )
    })
}

/// True when the allocation is current on `on` (not deleted, not ended before).
fn actueel_op(p: &ToegewezenProduct, on: NaiveDate) -> bool {
    let deleted = p.einddatum == Some(p.ingangsdatum)
        && matches!(p.reden_wijziging.as_deref(), Some("13") | Some("01"));
    !deleted && p.einddatum.is_none_or(|e| e >= on)
}

/// TR379 (9379): ReferentieAanbieder is filled in a ToegewezenProduct only — and then it is
/// mandatory — the first time the product is sent as the honouring of a VOT or VOW (OP274,
/// OP344, OP348; IV094, IV097). Checked from stored state:
/// 1. the reference must be a request of this provider the service received (a VOT product or a
///    VOW);
/// 2. "only the first time": a stored version of this ToewijzingNummer already carrying the same
///    reference means the honouring was sent before;
/// 3. honouring a VOW is a 1-to-1 adoption of the whole package (OP348, IV093): when any
///    product carries a VOW's reference, every other product of the 301 that is current on its
///    Dagtekening must carry that reference too.
///
/// Decision: 3 is checked only on current products, as ended ones may be earlier withdrawals the
/// 301 repeats (OP087). Which VOT product a ToegewezenProduct answers cannot be known from the
/// data (the gemeente may allocate another product, IV094), so "mandatory" is not checked for a
/// VOT beyond its reference being known.
pub fn tr379_referentie_aanbieder(
    c: &ToewijzingClient,
    i: usize,
    dagtekening: NaiveDate,
    client: Option<&ClientState>,
    ctx: &Context,
    place: Place,
) -> Option<Hit> {
    let producten = &c.toegewezen_producten.toegewezen_product;
    let p = &producten[i];
    let hit = |message: String| Some(Hit::new("TR379", "9379", place.clone(), message));
    match &p.referentie_aanbieder {
        Some(r) => {
            if ctx.verzoeken.get(r).is_none_or(|v| v.is_empty()) {
                return hit(format!(
                    "ReferentieAanbieder {r} is not a request (VOT or VOW) of this provider"
                ));
            }
            let again = client.is_some_and(|cs| {
                cs.toewijzingen.iter().any(|t| {
                    t.nummer == i64::from(p.toewijzing_nummer)
                        && t.referentie_aanbieder.as_deref() == Some(r.as_str())
                })
            });
            if again {
                return hit(format!(
                    "ReferentieAanbieder {r} was already sent on this allocation; it is only filled the first time the request is honoured"
                ));
            }
            None
        }
        None => {
            if !actueel_op(p, dagtekening) {
                return None;
            }
            let vow = producten.iter().find_map(|q| {
                let r = q.referentie_aanbieder.as_ref()?;
                let is_vow = ctx
                    .verzoeken
                    .get(r)
                    .is_some_and(|v| v.iter().any(|v| v.soort == VerzoekSoort::Vow));
                is_vow.then_some(r)
            })?;
            hit(format!(
                "this 301 honours the change request {vow}, so every current product carries that ReferentieAanbieder"
            ))
        }
    }
}

/// TR385 (9385): an allocation may not be deleted (Einddatum = Ingangsdatum with reden 13)
/// while it has approved prestaties that were not credited (OP362, UP031).
pub fn tr385_niet_verwijderen_met_declaraties(
    p: &ToegewezenProduct,
    client: Option<&ClientState>,
    place: Place,
) -> Option<Hit> {
    let deleting =
        p.reden_wijziging.as_deref() == Some("13") && p.einddatum == Some(p.ingangsdatum);
    if !deleting {
        return None;
    }
    let cs = client?;
    let nummer = i64::from(p.toewijzing_nummer);
    let open = cs.prestaties.iter().any(|d| {
        d.toewijzing_nummer == nummer
            && d.is_goedgekeurd()
            && !d.is_credit()
            && !cs.prestaties.iter().any(|c| {
                c.is_goedgekeurd()
                    && c.vorig_referentie_nummer.as_deref() == Some(d.referentie_nummer.as_str())
            })
    });
    open.then(|| {
        Hit::new(
            "TR385",
            "9385",
            place,
            "the allocation has approved prestaties that were not credited; it cannot be deleted",
        )
    })
}

/// Every layer-3 rule of a 301.
pub fn check(c: &ToewijzingClient, input: &DecideInput, ctx: &Context) -> Vec<Hit> {
    let (_, agb) = super::partijen(input.msg);
    let client = ctx.client(&c.bsn);
    let dagtekening = input.msg.header.bericht_identificatie.dagtekening;
    let mut out = Vec::new();
    for (i, p) in c.toegewezen_producten.toegewezen_product.iter().enumerate() {
        let place = Place::toegewezen_product(i);
        super::push(
            &mut out,
            tr332_toewijzingnummer_uniek(p, &c.bsn, agb, ctx, place.clone()),
        );
        super::push(
            &mut out,
            tr379_referentie_aanbieder(c, i, dagtekening, client, ctx, place.clone()),
        );
        super::push(
            &mut out,
            tr385_niet_verwijderen_met_declaraties(p, client, place),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::model::ToegewezenProducten;
    use crate::rules::cross::testutil::*;
    use crate::state::{Owner, PrestatieStatus};

    fn tp(nummer: u32, referentie: Option<&str>) -> ToegewezenProduct {
        ToegewezenProduct {
            toewijzing_nummer: nummer,
            referentie_aanbieder: referentie.map(str::to_string),
            product: Some(product("45", Some("45A03"))),
            toewijzingsdatum: d(2026, 6, 26),
            ingangsdatum: d(2026, 7, 1),
            einddatum: Some(d(2026, 12, 31)),
            ..ToegewezenProduct::default()
        }
    }

    fn client301(ps: Vec<ToegewezenProduct>) -> ToewijzingClient {
        ToewijzingClient {
            bsn: BSN.into(),
            toegewezen_producten: ToegewezenProducten {
                toegewezen_product: ps,
            },
            ..ToewijzingClient::default()
        }
    }

    #[test]
    fn tr332_number_unique_in_gemeente() {
        let mut ctx = Context::default();
        let p = tp(17, None);
        assert_eq!(
            tr332_toewijzingnummer_uniek(&p, BSN, AGB, &ctx, Place::toegewezen_product(0)),
            None
        );
        ctx.toewijzing_owners.insert(
            17,
            Owner {
                bsn: BSN.into(),
                agb: AGB.into(),
            },
        );
        assert_eq!(
            tr332_toewijzingnummer_uniek(&p, BSN, AGB, &ctx, Place::toegewezen_product(0)),
            None
        );
        ctx.toewijzing_owners.insert(
            17,
            Owner {
                bsn: OTHER_BSN.into(),
                agb: AGB.into(),
            },
        );
        let h =
            tr332_toewijzingnummer_uniek(&p, BSN, AGB, &ctx, Place::toegewezen_product(0)).unwrap();
        assert_eq!((h.rule, h.code), ("TR332", "9332"));
        ctx.toewijzing_owners.insert(
            17,
            Owner {
                bsn: BSN.into(),
                agb: "12345678".into(),
            },
        );
        assert!(
            tr332_toewijzingnummer_uniek(&p, BSN, AGB, &ctx, Place::toegewezen_product(0))
                .is_some()
        );
    }

    #[test]
    fn tr379_reference_known_and_first_time() {
        let mut ctx = Context::default();
        ctx.verzoeken
            .insert("VOT-A".into(), vec![verzoek("VOT-A", VerzoekSoort::Vot)]);
        let c = client301(vec![tp(17, Some("VOT-A")), tp(18, None)]);
        let at = |i| Place::toegewezen_product(i);
        assert_eq!(
            tr379_referentie_aanbieder(&c, 0, d(2026, 6, 26), None, &ctx, at(0)),
            None
        );
        assert_eq!(
            tr379_referentie_aanbieder(&c, 1, d(2026, 6, 26), None, &ctx, at(1)),
            None
        );
        let unknown = client301(vec![tp(17, Some("VOT-X"))]);
        let h = tr379_referentie_aanbieder(&unknown, 0, d(2026, 6, 26), None, &ctx, at(0)).unwrap();
        assert_eq!((h.rule, h.code), ("TR379", "9379"));
        let mut earlier = toewijzing(17);
        earlier.referentie_aanbieder = Some("VOT-A".into());
        let cs = client_met(vec![earlier], vec![]);
        assert!(
            tr379_referentie_aanbieder(&c, 0, d(2026, 6, 26), Some(&cs), &ctx, at(0)).is_some()
        );
    }

    #[test]
    fn tr379_vow_reference_on_every_current_product() {
        let mut ctx = Context::default();
        ctx.verzoeken
            .insert("VOW-1".into(), vec![verzoek("VOW-1", VerzoekSoort::Vow)]);
        let mut ended = tp(19, None);
        ended.einddatum = Some(d(2026, 5, 31));
        let c = client301(vec![tp(17, Some("VOW-1")), tp(18, None), ended]);
        let at = |i| Place::toegewezen_product(i);
        let h = tr379_referentie_aanbieder(&c, 1, d(2026, 9, 20), None, &ctx, at(1)).unwrap();
        assert_eq!(h.code, "9379");
        assert_eq!(
            tr379_referentie_aanbieder(&c, 2, d(2026, 9, 20), None, &ctx, at(2)),
            None
        );
        let all = client301(vec![tp(17, Some("VOW-1")), tp(18, Some("VOW-1"))]);
        assert_eq!(
            tr379_referentie_aanbieder(&all, 1, d(2026, 9, 20), None, &ctx, at(1)),
            None
        );
    }

    #[test]
    fn tr385_no_delete_with_approved_prestaties() {
        let mut del = tp(17, None);
        del.einddatum = Some(del.ingangsdatum);
        del.reden_wijziging = Some("13".into());
        let at = Place::toegewezen_product(0);
        let debit = prestatie("R1", None, 17, 10_000);
        let cs = client_met_prestaties(vec![debit.clone()]);
        let h = tr385_niet_verwijderen_met_declaraties(&del, Some(&cs), at.clone()).unwrap();
        assert_eq!((h.rule, h.code), ("TR385", "9385"));
        let credit = prestatie("R2", Some("R1"), 17, -10_000);
        let cs = client_met_prestaties(vec![debit.clone(), credit]);
        assert_eq!(
            tr385_niet_verwijderen_met_declaraties(&del, Some(&cs), at.clone()),
            None
        );
        let mut rejected = debit.clone();
        rejected.status = PrestatieStatus::Afgewezen;
        let cs = client_met_prestaties(vec![rejected]);
        assert_eq!(
            tr385_niet_verwijderen_met_declaraties(&del, Some(&cs), at.clone()),
            None
        );
        let cs = client_met_prestaties(vec![debit]);
        assert_eq!(
            tr385_niet_verwijderen_met_declaraties(&tp(17, None), Some(&cs), at),
            None
        );
    }
}
