//! TR101: within one message no two rows of a class share their logical key (combined with the
//! keys of the parent classes).
//!
//! Keys (rules digest §7.2, messages digest §3, TR101's class list):
//! - 301: Relatie `Nummer`; Client Contact `Soort`; ToegewezenProduct `ToewijzingNummer`.
//! - 305: StartProduct `ToewijzingNummer` + `Product` (Categorie, Code) + `Begindatum`.
//! - 307: StopProduct `ToewijzingNummer` + `Product` + `Begindatum` + `RedenBeeindiging` +
//!   `Einddatum`. Decision: Einddatum is marked as a key in the conditions file and is kept in
//!   the key, so a delete (status 3) and a corrected re-send of a stop that differ only in
//!   Einddatum may travel in one message (a key change; IV008).
//! - 315: AangevraagdProduct `ReferentieAanbieder` (TR383 reports the same duplicate under its
//!   own code; both rules are broken, so both are reported).
//! - 317: OngewijzigdProduct and TeWijzigenProduct `ToewijzingNummer` (each class on its own);
//!   NieuwProduct `Product` + `GewensteIngangsdatum`.
//! - 323 / 325: Client `Bsn`; Prestatie `ProductReferentie` (ReferentieNummer +
//!   VorigReferentieNummer) within its client.
//!
//! Single-occurrence classes (Client in 301–317, Verzoek, Antwoord, Declaratie, Relatie/Contact)
//! cannot repeat and need no check. The 319 is not in TR101's list.

use super::at;
use super::declaratie::prestatie_path;
use crate::finding::Finding;
use crate::message::model::{
    Body, Clienten, Product, StartClient, StopClient, ToewijzingClient, VotClient, VowClient,
};
use std::collections::HashMap;
use std::hash::Hash;

/// TR101: reports every row whose key already occurred earlier in the same class.
pub fn tr101_logische_sleutel_uniek<K: Eq + Hash>(
    class: &str,
    rows: impl IntoIterator<Item = (K, String)>,
    out: &mut Vec<Finding>,
) {
    let mut seen: HashMap<K, String> = HashMap::new();
    for (key, path) in rows {
        if let Some(first) = seen.get(&key) {
            out.push(Finding::rule(
                "TR101",
                path,
                format!("this {class} has the same logical key as {first}; duplicate rows are not allowed"),
            ));
        } else {
            seen.insert(key, path);
        }
    }
}

type ProductKey<'a> = Option<(&'a str, Option<&'a str>)>;

fn product_key(p: Option<&Product>) -> ProductKey<'_> {
    p.map(|p| (p.categorie.as_str(), p.code.as_deref()))
}

fn toewijzing(c: &ToewijzingClient, out: &mut Vec<Finding>) {
    let relaties = "/Bericht/Client/Relaties";
    tr101_logische_sleutel_uniek(
        "Relatie",
        c.relaties
            .iter()
            .flat_map(|r| r.relatie.iter())
            .enumerate()
            .map(|(i, r)| (r.nummer.as_str(), at(relaties, "Relatie", i))),
        out,
    );
    tr101_logische_sleutel_uniek(
        "Contact",
        c.contactgegevens
            .contact
            .iter()
            .enumerate()
            .map(|(i, k)| (k.soort.as_str(), super::common::contact_path(i))),
        out,
    );
    let producten = "/Bericht/Client/ToegewezenProducten";
    tr101_logische_sleutel_uniek(
        "ToegewezenProduct",
        c.toegewezen_producten
            .toegewezen_product
            .iter()
            .enumerate()
            .map(|(i, p)| (p.toewijzing_nummer, at(producten, "ToegewezenProduct", i))),
        out,
    );
}

fn start(c: &StartClient, out: &mut Vec<Finding>) {
    let parent = "/Bericht/Client/StartProducten";
    tr101_logische_sleutel_uniek(
        "StartProduct",
        c.start_producten
            .start_product
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    (
                        p.toewijzing_nummer,
                        product_key(p.product.as_ref()),
                        p.begindatum,
                    ),
                    at(parent, "StartProduct", i),
                )
            }),
        out,
    );
}

fn stop(c: &StopClient, out: &mut Vec<Finding>) {
    let parent = "/Bericht/Client/StopProducten";
    tr101_logische_sleutel_uniek(
        "StopProduct",
        c.stop_producten
            .stop_product
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    (
                        p.toewijzing_nummer,
                        product_key(p.product.as_ref()),
                        p.begindatum,
                        p.reden_beeindiging.as_str(),
                        p.einddatum,
                    ),
                    at(parent, "StopProduct", i),
                )
            }),
        out,
    );
}

fn vot(c: &VotClient, out: &mut Vec<Finding>) {
    let parent = "/Bericht/Client/AangevraagdeProducten";
    tr101_logische_sleutel_uniek(
        "AangevraagdProduct",
        c.aangevraagde_producten
            .aangevraagd_product
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    p.referentie_aanbieder.as_str(),
                    at(parent, "AangevraagdProduct", i),
                )
            }),
        out,
    );
}

fn vow(c: &VowClient, out: &mut Vec<Finding>) {
    let v = &c.verzoek;
    let base = "/Bericht/Client/Verzoek";
    let ongewijzigd = format!("{base}/OngewijzigdeProducten");
    tr101_logische_sleutel_uniek(
        "OngewijzigdProduct",
        v.ongewijzigd().iter().enumerate().map(|(i, p)| {
            (
                p.toewijzing_nummer,
                at(&ongewijzigd, "OngewijzigdProduct", i),
            )
        }),
        out,
    );
    let te_wijzigen = format!("{base}/TeWijzigenProducten");
    tr101_logische_sleutel_uniek(
        "TeWijzigenProduct",
        v.te_wijzigen().iter().enumerate().map(|(i, p)| {
            (
                p.toewijzing_nummer,
                at(&te_wijzigen, "TeWijzigenProduct", i),
            )
        }),
        out,
    );
    let nieuw = format!("{base}/NieuweProducten");
    tr101_logische_sleutel_uniek(
        "NieuwProduct",
        v.nieuw().iter().enumerate().map(|(i, p)| {
            (
                (product_key(p.product.as_ref()), p.gewenste_ingangsdatum),
                at(&nieuw, "NieuwProduct", i),
            )
        }),
        out,
    );
}

fn declaratie(clienten: &Clienten, root: &str, out: &mut Vec<Finding>) {
    let parent = format!("{root}/Clienten");
    tr101_logische_sleutel_uniek(
        "Client",
        clienten
            .client
            .iter()
            .enumerate()
            .map(|(i, c)| (c.bsn.as_str(), at(&parent, "Client", i))),
        out,
    );
    for (ci, c) in clienten.client.iter().enumerate() {
        tr101_logische_sleutel_uniek(
            "Prestatie",
            c.prestaties.prestatie.iter().enumerate().map(|(pi, p)| {
                let r = &p.product_referentie;
                (
                    (
                        r.referentie_nummer.as_str(),
                        r.vorig_referentie_nummer.as_deref(),
                    ),
                    prestatie_path(root, ci, pi),
                )
            }),
            out,
        );
    }
}

/// Runs TR101 on every repeating class of the body.
pub fn check(body: &Body, out: &mut Vec<Finding>) {
    match body {
        Body::Toewijzing(c) => toewijzing(c, out),
        Body::Start(c) => start(c, out),
        Body::Stop(c) => stop(c, out),
        Body::Vot(c) => vot(c, out),
        Body::Vow(c) => vow(c, out),
        Body::Declaratie(d) => declaratie(&d.clienten, "/Bericht/Declaratie", out),
        Body::DeclaratieAntwoord(a) => {
            if let Some(c) = &a.clienten {
                declaratie(c, "/Bericht/DeclaratieAntwoord", out);
            }
        }
        Body::Antwoord(_) | Body::Empty => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::model::*;
    use crate::rules::testutil::{codes, d};

    fn run(body: Body) -> Vec<Finding> {
        let mut out = Vec::new();
        check(&body, &mut out);
        out
    }

    fn tp(nr: u32) -> ToegewezenProduct {
        ToegewezenProduct {
            toewijzing_nummer: nr,
            ..ToegewezenProduct::default()
        }
    }

    fn contact(soort: &str) -> Contact {
        Contact {
            soort: soort.into(),
            ..Contact::default()
        }
    }

    fn relatie(nr: &str) -> Relatie {
        Relatie {
            nummer: nr.into(),
            ..Relatie::default()
        }
    }

    #[test]
    fn toewijzing_keys() {
        let ok = ToewijzingClient {
            relaties: Some(Relaties {
                relatie: vec![relatie("1"), relatie("2")],
            }),
            contactgegevens: Contactgegevens {
                contact: vec![contact("01"), contact("02")],
            },
            toegewezen_producten: ToegewezenProducten {
                toegewezen_product: vec![tp(1), tp(2)],
            },
            ..ToewijzingClient::default()
        };
        assert!(run(Body::Toewijzing(ok.clone())).is_empty());
        let mut bad = ok;
        bad.relaties.as_mut().unwrap().relatie.push(relatie("1"));
        bad.contactgegevens.contact.push(contact("02"));
        bad.toegewezen_producten.toegewezen_product.push(tp(2));
        let f = run(Body::Toewijzing(bad));
        assert_eq!(codes(&f), ["TR101", "TR101", "TR101"]);
        assert_eq!(f[0].path, "/Bericht/Client/Relaties/Relatie[3]");
        assert_eq!(f[1].path, "/Bericht/Client/Contactgegevens/Contact[3]");
        assert_eq!(
            f[2].path,
            "/Bericht/Client/ToegewezenProducten/ToegewezenProduct[3]"
        );
    }

    fn sp(nr: Option<u32>, code: Option<&str>, begin: u32, status: &str) -> StartProduct {
        StartProduct {
            toewijzing_nummer: nr,
            product: code.map(|c| Product {
                categorie: "45".into(),
                code: Some(c.into()),
            }),
            begindatum: d(2026, 7, begin),
            status_aanlevering: status.into(),
            ..StartProduct::default()
        }
    }

    #[test]
    fn start_keys() {
        let start = |ps: Vec<StartProduct>| {
            Body::Start(StartClient {
                start_producten: StartProducten { start_product: ps },
                ..StartClient::default()
            })
        };
        // Delete + new with a different Begindatum is a key change: allowed in one message.
        let ok = vec![
            sp(Some(1), None, 3, "3"),
            sp(Some(1), None, 6, "1"),
            sp(None, Some("45A03"), 6, "1"),
        ];
        assert!(run(start(ok)).is_empty());
        // Same key twice (only the status differs) is a duplicate.
        let bad = vec![sp(Some(1), None, 3, "3"), sp(Some(1), None, 3, "1")];
        let f = run(start(bad));
        assert_eq!(codes(&f), ["TR101"]);
        assert_eq!(f[0].path, "/Bericht/Client/StartProducten/StartProduct[2]");
    }

    #[test]
    fn stop_keys_include_reden_and_einddatum() {
        let stop = |reden: &str, end: u32| StopProduct {
            toewijzing_nummer: Some(1),
            begindatum: d(2026, 7, 6),
            reden_beeindiging: reden.into(),
            einddatum: d(2026, 8, end),
            status_aanlevering: "1".into(),
            ..StopProduct::default()
        };
        let body = |ps: Vec<StopProduct>| {
            Body::Stop(StopClient {
                stop_producten: StopProducten { stop_product: ps },
                ..StopClient::default()
            })
        };
        assert!(run(body(vec![stop("20", 10), stop("31", 10), stop("31", 21)])).is_empty());
        let f = run(body(vec![stop("31", 21), stop("31", 21)]));
        assert_eq!(codes(&f), ["TR101"]);
    }

    #[test]
    fn vot_keys() {
        let ap = |r: &str| AangevraagdProduct {
            referentie_aanbieder: r.into(),
            ..AangevraagdProduct::default()
        };
        let body = |ps: Vec<AangevraagdProduct>| {
            Body::Vot(VotClient {
                aangevraagde_producten: AangevraagdeProducten {
                    aangevraagd_product: ps,
                },
                ..VotClient::default()
            })
        };
        assert!(run(body(vec![ap("A"), ap("B")])).is_empty());
        let f = run(body(vec![ap("A"), ap("A")]));
        assert_eq!(codes(&f), ["TR101"]);
        assert_eq!(
            f[0].path,
            "/Bericht/Client/AangevraagdeProducten/AangevraagdProduct[2]"
        );
    }

    #[test]
    fn vow_keys() {
        let np = |code: &str, m: u32| NieuwProduct {
            product: Some(Product {
                categorie: "45".into(),
                code: Some(code.into()),
            }),
            gewenste_ingangsdatum: d(2026, m, 1),
            ..NieuwProduct::default()
        };
        let body = |ong: Vec<u32>, te: Vec<u32>, nieuw: Vec<NieuwProduct>| {
            Body::Vow(VowClient {
                verzoek: Verzoek {
                    ongewijzigde_producten: Some(OngewijzigdeProducten {
                        ongewijzigd_product: ong
                            .into_iter()
                            .map(|n| OngewijzigdProduct {
                                toewijzing_nummer: n,
                                retour_codes: None,
                            })
                            .collect(),
                    }),
                    te_wijzigen_producten: Some(TeWijzigenProducten {
                        te_wijzigen_product: te
                            .into_iter()
                            .map(|n| TeWijzigenProduct {
                                toewijzing_nummer: n,
                                ..TeWijzigenProduct::default()
                            })
                            .collect(),
                    }),
                    nieuwe_producten: Some(NieuweProducten {
                        nieuw_product: nieuw,
                    }),
                    ..Verzoek::default()
                },
                ..VowClient::default()
            })
        };
        assert!(run(body(
            vec![1, 2],
            vec![3],
            vec![np("45A03", 10), np("45A03", 11)]
        ))
        .is_empty());
        let f = run(body(
            vec![1, 1],
            vec![3, 3],
            vec![np("45A03", 10), np("45A03", 10)],
        ));
        assert_eq!(codes(&f), ["TR101", "TR101", "TR101"]);
        assert_eq!(
            f[0].path,
            "/Bericht/Client/Verzoek/OngewijzigdeProducten/OngewijzigdProduct[2]"
        );
        assert_eq!(
            f[1].path,
            "/Bericht/Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct[2]"
        );
        assert_eq!(
            f[2].path,
            "/Bericht/Client/Verzoek/NieuweProducten/NieuwProduct[2]"
        );
    }

    fn client(bsn: &str, refs: &[(&str, Option<&str>)]) -> DeclaratieClient {
        DeclaratieClient {
            bsn: bsn.into(),
            prestaties: Prestaties {
                prestatie: refs
                    .iter()
                    .map(|(r, v)| Prestatie {
                        product_referentie: Referentie {
                            referentie_nummer: r.to_string(),
                            vorig_referentie_nummer: v.map(str::to_string),
                        },
                        ..Prestatie::default()
                    })
                    .collect(),
            },
            retour_codes: None,
        }
    }

    #[test]
    fn declaratie_keys() {
        let body = |clients: Vec<DeclaratieClient>| {
            Body::Declaratie(Declaratie {
                clienten: Clienten { client: clients },
                ..Declaratie::default()
            })
        };
        let ok = vec![
            client(
                "999912367",
                &[("R1", None), ("R2", Some("R0")), ("R2", Some("R9"))],
            ),
            client("999934594", &[("R1", None)]),
        ];
        assert!(run(body(ok)).is_empty());
        let bad = vec![
            client("999912367", &[("R1", None), ("R1", None)]),
            client("999912367", &[("R3", None)]),
        ];
        let f = run(body(bad));
        assert_eq!(codes(&f), ["TR101", "TR101"]);
        assert_eq!(f[0].path, "/Bericht/Declaratie/Clienten/Client[2]");
        assert_eq!(
            f[1].path,
            "/Bericht/Declaratie/Clienten/Client[1]/Prestaties/Prestatie[2]"
        );
    }

    #[test]
    fn declaratie_antwoord_keys() {
        let answer = DeclaratieAntwoord {
            clienten: Some(Clienten {
                client: vec![client("999912367", &[("R1", None), ("R1", None)])],
            }),
            ..DeclaratieAntwoord::default()
        };
        let f = run(Body::DeclaratieAntwoord(answer));
        assert_eq!(codes(&f), ["TR101"]);
        assert_eq!(
            f[0].path,
            "/Bericht/DeclaratieAntwoord/Clienten/Client[1]/Prestaties/Prestatie[2]"
        );
        assert!(run(Body::DeclaratieAntwoord(DeclaratieAntwoord::default())).is_empty());
    }
}
