//! The state changes an accepted message makes. A rejected message changes nothing (it counts
//! as not sent, OP286); a 323 is stored unless its Declaratie class was rejected.
//!
//! - 301: every ToegewezenProduct as a new allocation version; every ReferentieAanbieder it
//!   carries sets that request to Toegewezen (TR374: no longer pending);
//! - 305/307: a status-1 class adds the delivery, a status-3 class marks the delivery with the
//!   same key deleted;
//! - 315: one open request per AangevraagdProduct; 317: one open request for the Verzoek;
//! - 319: the answer, and the request's status: VerzoekAntwoord 1 → Afgewezen,
//!   2 → InOnderzoek;
//! - 323: the declaration with its approved total, and every prestatie with its status and
//!   codes (rejected ones too: their ReferentieNummers stay used, TR314).
//!
//! `message_id` is 0 everywhere: the store fills it in.

use super::declaratie::Oordeel;
use super::levering::{levering_of, Sleutel};
use super::{partijen, DecideInput};
use crate::message::model::{Body, Declaratie};
use crate::state::{
    Antwoord, Change, Declaratie as DeclaratieState, Prestatie, PrestatieStatus, Toewijzing,
    Verzoek, VerzoekSoort, VerzoekStatus,
};

/// The changes of an accepted 301/305/307/315/317/319.
pub fn changes(input: &DecideInput) -> Vec<Change> {
    let msg = input.msg;
    let standard = msg.kind.standard;
    let (gemeente, agb) = partijen(msg);
    let (gemeente, agb) = (gemeente.to_string(), agb.to_string());
    let dagtekening = msg.header.bericht_identificatie.dagtekening;
    let mut out = Vec::new();
    match &msg.body {
        Body::Toewijzing(c) => {
            for p in &c.toegewezen_producten.toegewezen_product {
                out.push(Change::AddToewijzing(Toewijzing {
                    standard,
                    gemeente: gemeente.clone(),
                    agb: agb.clone(),
                    bsn: c.bsn.clone(),
                    nummer: p.toewijzing_nummer.into(),
                    referentie_aanbieder: p.referentie_aanbieder.clone(),
                    categorie: p.product.as_ref().map(|p| p.categorie.clone()),
                    code: p.product.as_ref().and_then(|p| p.code.clone()),
                    toewijzingsmoment: p.toewijzingsdatum.and_time(p.toewijzingstijd),
                    ingangsdatum: p.ingangsdatum,
                    einddatum: p.einddatum,
                    reden_wijziging: p.reden_wijziging.clone(),
                    volume: p.omvang.as_ref().map(|o| o.volume),
                    eenheid: p.omvang.as_ref().map(|o| o.eenheid.clone()),
                    frequentie: p.omvang.as_ref().map(|o| o.frequentie.clone()),
                    budget: p.budget,
                    geboortedatum: Some(c.geboortedatum.datum),
                    message_id: 0,
                    received_at: input.received_at,
                }));
            }
            let mut refs: Vec<&String> = c
                .toegewezen_producten
                .toegewezen_product
                .iter()
                .filter_map(|p| p.referentie_aanbieder.as_ref())
                .collect();
            refs.sort();
            refs.dedup();
            for r in refs {
                out.push(Change::SetVerzoekStatus {
                    standard,
                    agb: agb.clone(),
                    referentie: r.clone(),
                    status: VerzoekStatus::Toegewezen,
                });
            }
        }
        Body::Start(c) => {
            for p in &c.start_producten.start_product {
                let key = Sleutel::of_start(p);
                out.push(levering_change(
                    &key,
                    &p.status_aanlevering,
                    p.toewijzing_ingangsdatum,
                    input,
                    &c.bsn,
                ));
            }
        }
        Body::Stop(c) => {
            for p in &c.stop_producten.stop_product {
                let key = Sleutel::of_stop(p);
                out.push(levering_change(
                    &key,
                    &p.status_aanlevering,
                    p.toewijzing_ingangsdatum,
                    input,
                    &c.bsn,
                ));
            }
        }
        Body::Vot(c) => {
            for p in &c.aangevraagde_producten.aangevraagd_product {
                out.push(Change::AddVerzoek(Verzoek {
                    standard,
                    gemeente: gemeente.clone(),
                    agb: agb.clone(),
                    bsn: c.bsn.clone(),
                    referentie: p.referentie_aanbieder.clone(),
                    soort: VerzoekSoort::Vot,
                    status: VerzoekStatus::Open,
                    dagtekening,
                    message_id: 0,
                    received_at: input.received_at,
                }));
            }
        }
        Body::Vow(c) => out.push(Change::AddVerzoek(Verzoek {
            standard,
            gemeente,
            agb,
            bsn: c.bsn.clone(),
            referentie: c.verzoek.referentie_aanbieder.clone(),
            soort: VerzoekSoort::Vow,
            status: VerzoekStatus::Open,
            dagtekening,
            message_id: 0,
            received_at: input.received_at,
        })),
        Body::Antwoord(a) => {
            out.push(Change::AddAntwoord(Antwoord {
                standard,
                gemeente,
                agb: agb.clone(),
                referentie: a.referentie_aanbieder.clone(),
                verzoek_antwoord: a.verzoek_antwoord.clone(),
                reden_afwijzing: a.reden_afwijzing_verzoek.clone(),
                message_id: 0,
                received_at: input.received_at,
            }));
            let status = if a.verzoek_antwoord == "1" {
                VerzoekStatus::Afgewezen
            } else {
                VerzoekStatus::InOnderzoek
            };
            out.push(Change::SetVerzoekStatus {
                standard,
                agb,
                referentie: a.referentie_aanbieder.clone(),
                status,
            });
        }
        Body::Declaratie(_) | Body::DeclaratieAntwoord(_) | Body::Empty => {}
    }
    out
}

fn levering_change(
    key: &Sleutel,
    status: &str,
    toewijzing_ingangsdatum: Option<chrono::NaiveDate>,
    input: &DecideInput,
    bsn: &str,
) -> Change {
    let l = levering_of(key, input, bsn);
    if status == "3" {
        Change::DeleteLevering {
            standard: l.standard,
            gemeente: l.gemeente,
            agb: l.agb,
            bsn: l.bsn,
            soort: l.soort,
            toewijzing_nummer: l.toewijzing_nummer,
            categorie: l.categorie,
            code: l.code,
            begindatum: l.begindatum,
            einddatum: l.einddatum,
            reden_beeindiging: l.reden_beeindiging,
        }
    } else {
        Change::AddLevering(crate::state::Levering {
            toewijzing_ingangsdatum,
            ..l
        })
    }
}

/// The changes of a 323 whose Declaratie class was accepted: the declaration and every
/// prestatie with its outcome.
pub fn declaratie(d: &Declaratie, input: &DecideInput, o: &Oordeel) -> Vec<Change> {
    let msg = input.msg;
    let standard = msg.kind.standard;
    let (gemeente, agb) = partijen(msg);
    let mut toegekend = 0;
    let mut prestaties = Vec::new();
    for (ci, pi, p) in d.prestaties() {
        let Some(oordeel) = o.prestatie(ci, pi) else {
            continue;
        };
        let status = if oordeel.goedgekeurd() {
            toegekend += p.ingediend_bedrag.signed();
            PrestatieStatus::Goedgekeurd
        } else {
            PrestatieStatus::Afgewezen
        };
        prestaties.push(Change::AddPrestatie(Prestatie {
            standard,
            gemeente: gemeente.to_string(),
            agb: agb.to_string(),
            bsn: d.clienten.client[ci].bsn.clone(),
            declaratie_nummer: d.declaratie_nummer.clone(),
            referentie_nummer: p.product_referentie.referentie_nummer.clone(),
            vorig_referentie_nummer: p.product_referentie.vorig_referentie_nummer.clone(),
            toewijzing_nummer: p.toewijzing_nummer.into(),
            categorie: p.product_categorie.clone(),
            code: p.product_code.clone(),
            begindatum: p.product_periode.begindatum,
            einddatum: p.product_periode.einddatum,
            volume: p.geleverd_volume,
            eenheid: p.eenheid.clone(),
            tarief: p.product_tarief,
            bedrag: p.ingediend_bedrag.signed(),
            status,
            retour_codes: oordeel.codes().into_iter().map(str::to_string).collect(),
            message_id: 0,
            received_at: input.received_at,
        }));
    }
    let mut out = vec![Change::AddDeclaratie(DeclaratieState {
        standard,
        gemeente: gemeente.to_string(),
        agb: agb.to_string(),
        nummer: d.declaratie_nummer.clone(),
        periode_begin: d.declaratie_periode.begindatum,
        periode_eind: d.declaratie_periode.einddatum,
        totaal_ingediend: d.totaal_ingediend_bedrag.signed(),
        totaal_toegekend: toegekend,
        accepted: true,
        message_id: 0,
        received_at: input.received_at,
    })];
    out.extend(prestaties);
    out
}
