//! 305 Start and 307 Stop against the stored allocations and deliveries (state machine of
//! §1.6: NONE → ACTIVE → TEMP_STOPPED / STOPPED → ACTIVE again with a new start).
//!
//! The classes of one message are judged in document order against a working copy of the
//! client's deliveries: a class that passes is applied to the copy before the next class is
//! judged, so a delete (status 3) followed by a new start in the same message (OP033, IV008)
//! is judged as the provider meant it. A status-3 class gets no content checks beyond TR063
//! (and TR071 for a start), as TR063 says.

use super::{DecideInput, Hit, Place};
use crate::message::model::{Product, StartClient, StartProduct, StopClient, StopProduct};
use crate::state::{ClientState, Context, Levering, LeveringSoort};
use chrono::NaiveDate;

/// The logical key of a StartProduct or StopProduct (IV008, §7.2): Bsn (implied: the client's
/// own deliveries) + ToewijzingNummer + Product + Begindatum; for a stop also RedenBeeindiging
/// and Einddatum.
///
/// Decision (⚠ §11.8): a stop's key includes Einddatum, as the conditions file marks it; a
/// status-3 stop therefore names the exact stop it deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sleutel<'a> {
    pub soort: LeveringSoort,
    pub nummer: Option<i64>,
    pub categorie: Option<&'a str>,
    pub code: Option<&'a str>,
    pub begindatum: NaiveDate,
    pub einddatum: Option<NaiveDate>,
    pub reden: Option<&'a str>,
}

fn cat_code(p: Option<&Product>) -> (Option<&str>, Option<&str>) {
    (
        p.map(|p| p.categorie.as_str()),
        p.and_then(|p| p.code.as_deref()),
    )
}

impl<'a> Sleutel<'a> {
    pub fn of_start(p: &'a StartProduct) -> Sleutel<'a> {
        let (categorie, code) = cat_code(p.product.as_ref());
        Sleutel {
            soort: LeveringSoort::Start,
            nummer: p.toewijzing_nummer.map(i64::from),
            categorie,
            code,
            begindatum: p.begindatum,
            einddatum: None,
            reden: None,
        }
    }

    pub fn of_stop(p: &'a StopProduct) -> Sleutel<'a> {
        let (categorie, code) = cat_code(p.product.as_ref());
        Sleutel {
            soort: LeveringSoort::Stop,
            nummer: p.toewijzing_nummer.map(i64::from),
            categorie,
            code,
            begindatum: p.begindatum,
            einddatum: Some(p.einddatum),
            reden: Some(&p.reden_beeindiging),
        }
    }

    /// Same ToewijzingNummer, Product and Begindatum: the start a stop belongs to (OP155).
    pub fn zelfde_start(&self, l: &Levering) -> bool {
        l.toewijzing_nummer == self.nummer
            && l.categorie.as_deref() == self.categorie
            && l.code.as_deref() == self.code
            && l.begindatum == self.begindatum
    }

    /// The full key of the same kind: the delivery this class would duplicate or delete.
    pub fn zelfde(&self, l: &Levering) -> bool {
        l.soort == self.soort
            && self.zelfde_start(l)
            && l.einddatum == self.einddatum
            && l.reden_beeindiging.as_deref() == self.reden
    }

    /// The stops TR413–TR415 compare with: same Bsn, ToewijzingNummer and Begindatum (the
    /// product too when there is no ToewijzingNummer, taakgericht IV096).
    fn zelfde_stopgroep(&self, l: &Levering) -> bool {
        l.soort == LeveringSoort::Stop
            && l.toewijzing_nummer == self.nummer
            && l.begindatum == self.begindatum
            && (self.nummer.is_some()
                || (l.categorie.as_deref() == self.categorie && l.code.as_deref() == self.code))
    }
}

fn levend(l: &Levering) -> bool {
    !l.deleted
}

/// TR019 (9019): in inspannings- and outputgericht work a start or stop is linked by its
/// ToewijzingNummer to an allocation of this client at this provider (OP363, OP072, OP295).
///
/// Without a ToewijzingNummer the delivery is taakgericht (IV096) and not linked. An allocation
/// whose current version is deleted (reden 13) counts as never sent.
///
/// Decision on order (OP080): a 305/307 whose 301 has not arrived (yet) is rejected with 9019,
/// as the standard says; the provider resends it after the allocation arrived. The service does
/// not park it: waiting would make the answer depend on arrival order in a different way, and a
/// rejected regiebericht counts as not sent, which the timeliness facts then show.
pub fn tr019_gekoppeld_aan_toewijzing(
    nummer: Option<i64>,
    client: Option<&ClientState>,
    place: Place,
) -> Option<Hit> {
    let nummer = nummer?;
    let linked = client
        .and_then(|c| c.toewijzing(nummer))
        .is_some_and(|t| !t.is_deleted());
    (!linked).then(|| {
        Hit::new(
            "TR019",
            "9019",
            place,
            format!(
                "ToewijzingNummer {nummer} is not an allocation of this client at this provider"
            ),
        )
    })
}

/// TR063 (9063): StatusAanlevering 3 (delete) needs an earlier delivery with the same logical
/// key for this client that is not deleted yet (OP033; IV028 example).
pub fn tr063_verwijderen_kent_eerdere_levering(
    key: &Sleutel,
    leveringen: &[Levering],
    place: Place,
) -> Option<Hit> {
    let known = leveringen.iter().any(|l| levend(l) && key.zelfde(l));
    (!known).then(|| {
        Hit::new(
            "TR063",
            "9063",
            place,
            "status 3 deletes a delivery with this key, but none was received",
        )
    })
}

/// TR071 (9071): a start cannot be deleted (status 3) once a stop was sent for it (OP033:
/// after the stop the start can no longer be corrected).
pub fn tr071_start_niet_verwijderen_na_stop(
    key: &Sleutel,
    leveringen: &[Levering],
    place: Place,
) -> Option<Hit> {
    let stopped = leveringen
        .iter()
        .any(|l| levend(l) && l.soort == LeveringSoort::Stop && key.zelfde_start(l));
    stopped.then(|| {
        Hit::new(
            "TR071",
            "9071",
            place,
            "this start cannot be deleted: a stop was already sent for it",
        )
    })
}

/// TR074 (9074): a status-1 delivery has a key never received before (OP033). A delivery
/// deleted with status 3 no longer counts, so a deleted key may be sent again (the correction
/// route of IV008). Within one message TR101 (level 2) already forbids a repeated key.
pub fn tr074_sleutel_nieuw(key: &Sleutel, leveringen: &[Levering], place: Place) -> Option<Hit> {
    let seen = leveringen.iter().any(|l| levend(l) && key.zelfde(l));
    seen.then(|| {
        Hit::new(
            "TR074",
            "9074",
            place,
            "a delivery with this key was already received",
        )
    })
}

/// TR326 (9326): a start only when the allocated product has no current start (OP289, OP379):
/// every earlier start on the same ToegewezenProduct (same ToewijzingNummer; without one the
/// same product) has a stop — temporary or definitive — or was deleted.
///
/// A start with exactly this key is left to TR074.
pub fn tr326_geen_lopende_start(
    key: &Sleutel,
    leveringen: &[Levering],
    place: Place,
) -> Option<Hit> {
    let zelfde_product = |l: &Levering| match key.nummer {
        Some(n) => l.toewijzing_nummer == Some(n),
        None => {
            l.toewijzing_nummer.is_none()
                && l.categorie.as_deref() == key.categorie
                && l.code.as_deref() == key.code
        }
    };
    let lopend = leveringen.iter().find(|s| {
        levend(s)
            && s.soort == LeveringSoort::Start
            && zelfde_product(s)
            && !key.zelfde(s)
            && !leveringen.iter().any(|t| {
                levend(t)
                    && t.soort == LeveringSoort::Stop
                    && t.toewijzing_nummer == s.toewijzing_nummer
                    && t.categorie == s.categorie
                    && t.code == s.code
                    && t.begindatum == s.begindatum
            })
    })?;
    Some(Hit::new(
        "TR326",
        "9326",
        place,
        format!(
            "the delivery started on {} has not been stopped; send a (temporary) stop first",
            lopend.begindatum
        ),
    ))
}

/// TR382 (9069): a stop copies the key of its start unchanged (OP155, OP072): a start with the
/// same ToewijzingNummer, Product and Begindatum exists and is not deleted. (WJ001 names the
/// rule "TR069", ⚠ §11.4.)
pub fn tr382_stop_hoort_bij_start(
    key: &Sleutel,
    leveringen: &[Levering],
    place: Place,
) -> Option<Hit> {
    let started = leveringen
        .iter()
        .any(|l| levend(l) && l.soort == LeveringSoort::Start && key.zelfde_start(l));
    (!started).then(|| {
        Hit::new(
            "TR382",
            "9069",
            place,
            "no current start with the same ToewijzingNummer, Product and Begindatum",
        )
    })
}

/// TR413 (9413): after a temporary stop (reden 20) without a new start only a definitive stop
/// may follow (OP378): a new stop in the same group (Bsn, ToewijzingNummer, Begindatum) must not
/// have reden 20 again.
pub fn tr413_na_tijdelijke_stop_definitief(
    key: &Sleutel,
    leveringen: &[Levering],
    place: Place,
) -> Option<Hit> {
    if key.reden != Some("20") {
        return None;
    }
    let tijdelijk = leveringen.iter().any(|l| {
        levend(l)
            && key.zelfde_stopgroep(l)
            && !key.zelfde(l)
            && l.reden_beeindiging.as_deref() == Some("20")
    });
    tijdelijk.then(|| {
        Hit::new(
            "TR413",
            "9413",
            place,
            "the delivery is already temporarily stopped; only a definitive stop may follow",
        )
    })
}

/// TR414 (9414): a stop following an earlier stop in the same group ends on or after the
/// Einddatum of that stop (OP377; casus 2: equal is allowed).
pub fn tr414_einddatum_niet_voor_vorige_stop(
    key: &Sleutel,
    leveringen: &[Levering],
    place: Place,
) -> Option<Hit> {
    let eind = key.einddatum?;
    let vorige = leveringen
        .iter()
        .filter(|l| levend(l) && key.zelfde_stopgroep(l) && !key.zelfde(l))
        .filter_map(|l| l.einddatum)
        .max()?;
    (eind < vorige).then(|| {
        Hit::new(
            "TR414",
            "9414",
            place,
            format!("Einddatum {eind} lies before the Einddatum {vorige} of the earlier stop"),
        )
    })
}

/// TR415 (9415): after a definitive stop (reden ≠ 20) no further stop in the same group
/// (OP377).
pub fn tr415_geen_stop_na_definitieve_stop(
    key: &Sleutel,
    leveringen: &[Levering],
    place: Place,
) -> Option<Hit> {
    let definitief = leveringen.iter().any(|l| {
        levend(l)
            && key.zelfde_stopgroep(l)
            && !key.zelfde(l)
            && l.reden_beeindiging.as_deref() != Some("20")
    });
    definitief.then(|| {
        Hit::new(
            "TR415",
            "9415",
            place,
            "the delivery was already stopped definitively",
        )
    })
}

/// The delivery a status-1 class adds, for the working copy and for the state change.
pub fn levering_of(key: &Sleutel, input: &DecideInput, bsn: &str) -> Levering {
    let (gemeente, agb) = super::partijen(input.msg);
    Levering {
        standard: input.msg.kind.standard,
        gemeente: gemeente.to_string(),
        agb: agb.to_string(),
        bsn: bsn.to_string(),
        soort: key.soort,
        toewijzing_nummer: key.nummer,
        categorie: key.categorie.map(str::to_string),
        code: key.code.map(str::to_string),
        begindatum: key.begindatum,
        einddatum: key.einddatum,
        reden_beeindiging: key.reden.map(str::to_string),
        toewijzing_ingangsdatum: None,
        deleted: false,
        message_id: 0,
        received_at: input.received_at,
    }
}

/// Applies a class that passed to the working copy.
fn simuleer(key: &Sleutel, status: &str, input: &DecideInput, bsn: &str, w: &mut Vec<Levering>) {
    if status == "3" {
        for l in w.iter_mut().filter(|l| levend(l) && key.zelfde(l)) {
            l.deleted = true;
        }
    } else {
        w.push(levering_of(key, input, bsn));
    }
}

/// Every layer-3 rule of a 305, class by class in document order.
pub fn check_start(c: &StartClient, input: &DecideInput, ctx: &Context) -> Vec<Hit> {
    let client = ctx.client(&c.bsn);
    let mut w: Vec<Levering> = client.map(|c| c.leveringen.clone()).unwrap_or_default();
    let mut out = Vec::new();
    for (i, p) in c.start_producten.start_product.iter().enumerate() {
        let key = Sleutel::of_start(p);
        let place = Place::start_product(i);
        let before = out.len();
        if p.status_aanlevering == "3" {
            super::push(
                &mut out,
                tr063_verwijderen_kent_eerdere_levering(&key, &w, place.clone()),
            );
            super::push(
                &mut out,
                tr071_start_niet_verwijderen_na_stop(&key, &w, place),
            );
        } else {
            super::push(
                &mut out,
                tr019_gekoppeld_aan_toewijzing(key.nummer, client, place.clone()),
            );
            super::push(&mut out, tr074_sleutel_nieuw(&key, &w, place.clone()));
            super::push(&mut out, tr326_geen_lopende_start(&key, &w, place));
        }
        if out.len() == before {
            simuleer(&key, &p.status_aanlevering, input, &c.bsn, &mut w);
        }
    }
    out
}

/// Every layer-3 rule of a 307, class by class in document order.
pub fn check_stop(c: &StopClient, input: &DecideInput, ctx: &Context) -> Vec<Hit> {
    let client = ctx.client(&c.bsn);
    let mut w: Vec<Levering> = client.map(|c| c.leveringen.clone()).unwrap_or_default();
    let mut out = Vec::new();
    for (i, p) in c.stop_producten.stop_product.iter().enumerate() {
        let key = Sleutel::of_stop(p);
        let place = Place::stop_product(i);
        let before = out.len();
        if p.status_aanlevering == "3" {
            super::push(
                &mut out,
                tr063_verwijderen_kent_eerdere_levering(&key, &w, place),
            );
        } else {
            super::push(
                &mut out,
                tr019_gekoppeld_aan_toewijzing(key.nummer, client, place.clone()),
            );
            super::push(&mut out, tr074_sleutel_nieuw(&key, &w, place.clone()));
            super::push(
                &mut out,
                tr382_stop_hoort_bij_start(&key, &w, place.clone()),
            );
            super::push(
                &mut out,
                tr413_na_tijdelijke_stop_definitief(&key, &w, place.clone()),
            );
            super::push(
                &mut out,
                tr414_einddatum_niet_voor_vorige_stop(&key, &w, place.clone()),
            );
            super::push(
                &mut out,
                tr415_geen_stop_na_definitieve_stop(&key, &w, place),
            );
        }
        if out.len() == before {
            simuleer(&key, &p.status_aanlevering, input, &c.bsn, &mut w);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::cross::testutil::*;

    fn sp(nummer: u32, begin: NaiveDate, status: &str) -> StartProduct {
        StartProduct {
            toewijzing_nummer: Some(nummer),
            product: Some(product("45", Some("45A03"))),
            begindatum: begin,
            status_aanlevering: status.into(),
            ..StartProduct::default()
        }
    }

    fn st(nummer: u32, begin: NaiveDate, reden: &str, eind: NaiveDate) -> StopProduct {
        StopProduct {
            toewijzing_nummer: Some(nummer),
            product: Some(product("45", Some("45A03"))),
            begindatum: begin,
            reden_beeindiging: reden.into(),
            einddatum: eind,
            status_aanlevering: "1".into(),
            ..StopProduct::default()
        }
    }

    fn at() -> Place {
        Place::start_product(0)
    }

    #[test]
    fn tr019_links_to_an_allocation() {
        let client = client_met(vec![toewijzing(17)], vec![]);
        assert_eq!(
            tr019_gekoppeld_aan_toewijzing(Some(17), Some(&client), at()),
            None
        );
        assert_eq!(
            tr019_gekoppeld_aan_toewijzing(None, None, at()),
            None,
            "taakgericht"
        );
        let h = tr019_gekoppeld_aan_toewijzing(Some(81), Some(&client), at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR019", "9019"));
        assert!(tr019_gekoppeld_aan_toewijzing(Some(17), None, at()).is_some());
        let mut deleted = toewijzing(17);
        deleted.einddatum = Some(deleted.ingangsdatum);
        deleted.reden_wijziging = Some("13".into());
        deleted.toewijzingsmoment += chrono::Duration::hours(1);
        let client = client_met(vec![toewijzing(17), deleted], vec![]);
        assert!(tr019_gekoppeld_aan_toewijzing(Some(17), Some(&client), at()).is_some());
    }

    #[test]
    fn tr063_delete_needs_earlier_delivery() {
        let s = sp(17, d(2026, 7, 6), "3");
        let key = Sleutel::of_start(&s);
        let earlier = vec![start(17, d(2026, 7, 6))];
        assert_eq!(
            tr063_verwijderen_kent_eerdere_levering(&key, &earlier, at()),
            None
        );
        let h = tr063_verwijderen_kent_eerdere_levering(&key, &[start(17, d(2026, 7, 3))], at())
            .unwrap();
        assert_eq!((h.rule, h.code), ("TR063", "9063"));
        let mut gone = start(17, d(2026, 7, 6));
        gone.deleted = true;
        assert!(tr063_verwijderen_kent_eerdere_levering(&key, &[gone], at()).is_some());
        let stop_key_owner = st(17, d(2026, 7, 6), "31", d(2026, 8, 27));
        let stop_key = Sleutel::of_stop(&stop_key_owner);
        assert!(
            tr063_verwijderen_kent_eerdere_levering(&stop_key, &earlier, at()).is_some(),
            "a start does not satisfy a stop delete"
        );
        let stops = vec![stop(17, d(2026, 7, 6), "31", d(2026, 8, 27))];
        assert_eq!(
            tr063_verwijderen_kent_eerdere_levering(&stop_key, &stops, at()),
            None
        );
    }

    #[test]
    fn tr071_no_delete_after_stop() {
        let s = sp(17, d(2026, 7, 6), "3");
        let key = Sleutel::of_start(&s);
        let started = vec![start(17, d(2026, 7, 6))];
        assert_eq!(
            tr071_start_niet_verwijderen_na_stop(&key, &started, at()),
            None
        );
        let mut stopped = started.clone();
        stopped.push(stop(17, d(2026, 7, 6), "31", d(2026, 8, 27)));
        let h = tr071_start_niet_verwijderen_na_stop(&key, &stopped, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR071", "9071"));
    }

    #[test]
    fn tr074_key_not_seen_before() {
        let s = sp(17, d(2026, 7, 6), "1");
        let key = Sleutel::of_start(&s);
        assert_eq!(
            tr074_sleutel_nieuw(&key, &[start(17, d(2026, 7, 7))], at()),
            None
        );
        let h = tr074_sleutel_nieuw(&key, &[start(17, d(2026, 7, 6))], at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR074", "9074"));
        let mut deleted = start(17, d(2026, 7, 6));
        deleted.deleted = true;
        assert_eq!(
            tr074_sleutel_nieuw(&key, &[deleted], at()),
            None,
            "deleted keys may return"
        );
    }

    #[test]
    fn tr326_one_current_start() {
        let s = sp(17, d(2026, 9, 1), "1");
        let key = Sleutel::of_start(&s);
        assert_eq!(tr326_geen_lopende_start(&key, &[], at()), None);
        assert_eq!(
            tr326_geen_lopende_start(&key, &[start(18, d(2026, 7, 6))], at()),
            None,
            "another allocation"
        );
        let running = vec![start(17, d(2026, 7, 6))];
        let h = tr326_geen_lopende_start(&key, &running, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR326", "9326"));
        let mut stopped = running.clone();
        stopped.push(stop(17, d(2026, 7, 6), "20", d(2026, 8, 1)));
        assert_eq!(
            tr326_geen_lopende_start(&key, &stopped, at()),
            None,
            "OP379"
        );
    }

    #[test]
    fn tr382_stop_needs_its_start() {
        let s = st(17, d(2026, 7, 6), "31", d(2026, 8, 27));
        let key = Sleutel::of_stop(&s);
        assert_eq!(
            tr382_stop_hoort_bij_start(&key, &[start(17, d(2026, 7, 6))], at()),
            None
        );
        let h = tr382_stop_hoort_bij_start(&key, &[start(17, d(2026, 7, 7))], at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR382", "9069"));
        let mut other_product = start(17, d(2026, 7, 6));
        other_product.code = Some("45A07".into());
        assert!(tr382_stop_hoort_bij_start(&key, &[other_product], at()).is_some());
    }

    #[test]
    fn tr413_after_temporary_only_definitive() {
        let w = vec![
            start(17, d(2026, 7, 6)),
            stop(17, d(2026, 7, 6), "20", d(2026, 8, 1)),
        ];
        let definitive = st(17, d(2026, 7, 6), "31", d(2026, 8, 1));
        assert_eq!(
            tr413_na_tijdelijke_stop_definitief(&Sleutel::of_stop(&definitive), &w, at()),
            None
        );
        let again = st(17, d(2026, 7, 6), "20", d(2026, 8, 15));
        let h = tr413_na_tijdelijke_stop_definitief(&Sleutel::of_stop(&again), &w, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR413", "9413"));
    }

    #[test]
    fn tr414_end_not_before_previous_stop() {
        let w = vec![
            start(17, d(2026, 7, 6)),
            stop(17, d(2026, 7, 6), "20", d(2026, 8, 1)),
        ];
        let same_day = st(17, d(2026, 7, 6), "31", d(2026, 8, 1));
        assert_eq!(
            tr414_einddatum_niet_voor_vorige_stop(&Sleutel::of_stop(&same_day), &w, at()),
            None
        );
        let earlier = st(17, d(2026, 7, 6), "31", d(2026, 7, 31));
        let h =
            tr414_einddatum_niet_voor_vorige_stop(&Sleutel::of_stop(&earlier), &w, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR414", "9414"));
    }

    #[test]
    fn tr415_nothing_after_definitive_stop() {
        let temp = vec![
            start(17, d(2026, 7, 6)),
            stop(17, d(2026, 7, 6), "20", d(2026, 8, 1)),
        ];
        let s = st(17, d(2026, 7, 6), "31", d(2026, 9, 1));
        assert_eq!(
            tr415_geen_stop_na_definitieve_stop(&Sleutel::of_stop(&s), &temp, at()),
            None
        );
        let definitive = vec![
            start(17, d(2026, 7, 6)),
            stop(17, d(2026, 7, 6), "31", d(2026, 8, 1)),
        ];
        let h =
            tr415_geen_stop_na_definitieve_stop(&Sleutel::of_stop(&s), &definitive, at()).unwrap();
        assert_eq!((h.rule, h.code), ("TR415", "9415"));
    }

    #[test]
    fn delete_and_new_start_in_one_message() {
        // status 3 on the old start, then a new start: judged in order, so TR326 sees the
        // deletion; a new start on a running delivery in the same message is caught.
        let client = client_met(vec![toewijzing(17)], vec![start(17, d(2026, 7, 6))]);
        let ctx = context_with(client);
        let msg = StartClient {
            bsn: BSN.into(),
            start_producten: crate::message::model::StartProducten {
                start_product: vec![sp(17, d(2026, 7, 6), "3"), sp(17, d(2026, 7, 8), "1")],
            },
            ..StartClient::default()
        };
        let h = heen("JW305");
        let input = h.input(d(2026, 7, 10));
        assert!(check_start(&msg, &input, &ctx).is_empty());
        let only_new = StartClient {
            start_producten: crate::message::model::StartProducten {
                start_product: vec![sp(17, d(2026, 7, 8), "1")],
            },
            ..msg
        };
        let hits = check_start(&only_new, &input, &ctx);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].code, "9326");
    }
}
