//! Rules on the parts several messages share: header versions, BSN, names, birth dates,
//! addresses and contact data, communication, and the "not after the Dagtekening" date rule.

use super::{at, Ctx};
use crate::finding::Finding;
use crate::message::bsn;
use crate::message::model::{Adres, Communicatie, Contact, Geboortedatum, Header, VolledigeNaam};
use chrono::{Datelike, Months, NaiveDate};

// ---------------------------------------------------------------------------------------------
// Header
// ---------------------------------------------------------------------------------------------

/// CS025: BerichtVersie is 3 (the XSD pattern already demands it; kept so the typed model is
/// checked on its own too).
pub fn cs025_berichtversie_is_3(header: &Header, out: &mut Vec<Finding>) {
    if header.bericht_versie != 3 {
        out.push(Finding::rule(
            "CS025",
            "/Bericht/Header/BerichtVersie",
            format!(
                "BerichtVersie is {}, but messages of this release must say 3",
                header.bericht_versie
            ),
        ));
    }
}

/// CS015: BerichtSubversie is 2 (also fixed by the XSD pattern).
pub fn cs015_berichtsubversie_is_2(header: &Header, out: &mut Vec<Finding>) {
    if header.bericht_subversie != 2 {
        out.push(Finding::rule(
            "CS015",
            "/Bericht/Header/BerichtSubversie",
            format!(
                "BerichtSubversie is {}, but messages of this release must say 2",
                header.bericht_subversie
            ),
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// Client identity
// ---------------------------------------------------------------------------------------------

/// CS002: the BSN passes the elfproef, so typing errors in the key of the client are caught.
///
/// Decisions: `000000000` satisfies the formula but is nobody's number and is rejected (see
/// [`bsn::elfproef`]). Numbers in the fictitious test range 999900006–999999990 pass like any
/// other valid number: the elfproef file calls them an "exception" only in the sense that they
/// are recognisably fictitious; whether they are welcome is a policy of the environment
/// (production vs test), not of this in-message rule.
pub fn cs002_bsn_elfproef(bsn_value: &str, path: &str, out: &mut Vec<Finding>) {
    if !bsn::elfproef(bsn_value) {
        out.push(Finding::rule(
            "CS002",
            path,
            format!("BSN {bsn_value:?} does not pass the elfproef (11-test)"),
        ));
    }
}

/// CS050: NaamGebruik must fit the name parts: with a Partnernaam only 1–4 make sense, without
/// one only 1 (own name) or 6 (an organisation).
pub fn cs050_naamgebruik_past_bij_partnernaam(
    naam: &VolledigeNaam,
    naam_path: &str,
    out: &mut Vec<Finding>,
) {
    let code = naam.naam_gebruik.as_str();
    let (ok, allowed) = if naam.partnernaam.is_some() {
        (matches!(code, "1" | "2" | "3" | "4"), "1, 2, 3 or 4")
    } else {
        (matches!(code, "1" | "6"), "1 or 6")
    };
    if !ok {
        let with = if naam.partnernaam.is_some() {
            "with"
        } else {
            "without"
        };
        out.push(Finding::rule(
            "CS050",
            format!("{naam_path}/NaamGebruik"),
            format!("NaamGebruik {code} is not allowed {with} a Partnernaam; use {allowed}"),
        ));
    }
}

/// CS318: NaamGebruik 6 (non-natural person) is meant for organisations and never fits a client.
pub fn cs318_naamgebruik_6_niet_voor_client(
    naam: &VolledigeNaam,
    naam_path: &str,
    out: &mut Vec<Finding>,
) {
    if naam.naam_gebruik == "6" {
        out.push(Finding::rule(
            "CS318",
            format!("{naam_path}/NaamGebruik"),
            "NaamGebruik 6 (non-natural person) is not allowed for the client",
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// Birth date
// ---------------------------------------------------------------------------------------------

/// CS139: DatumGebruik says which part of the date is reliable, so the unknown parts must hold
/// the agreed filler: 3 → 1900-01-01, 2 → 1 January of the year, 1 → the 1st of the month.
pub fn cs139_datumgebruik_past_bij_datum(g: &Geboortedatum, path: &str, out: &mut Vec<Finding>) {
    let d = g.datum;
    let (ok, expected) = match g.datum_gebruik.as_deref() {
        Some("3") => (
            d == NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default(),
            "1900-01-01 (everything unknown)",
        ),
        Some("2") => (
            d.month() == 1 && d.day() == 1,
            "1 January (only the year known)",
        ),
        Some("1") => (d.day() == 1, "the 1st of the month (day unknown)"),
        _ => return,
    };
    if !ok {
        out.push(Finding::rule(
            "CS139",
            format!("{path}/DatumGebruik"),
            format!(
                "birth date {d} does not match DatumGebruik {}: the date must be {expected}",
                g.datum_gebruik.as_deref().unwrap_or_default()
            ),
        ));
    }
}

/// True when the birth date is the "completely unknown" value of IV009.
fn geboortedatum_onbekend(g: &Geboortedatum) -> bool {
    g.datum_gebruik.as_deref() == Some("3")
        && g.datum == NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default()
}

/// TR002: a birth date more than 120 years before the Dagtekening is a typing error, unless it
/// is the agreed "unknown" value (1900-01-01 with DatumGebruik 3).
pub fn tr002_geboortedatum_max_120_jaar(
    g: &Geboortedatum,
    ctx: &Ctx,
    path: &str,
    out: &mut Vec<Finding>,
) {
    if geboortedatum_onbekend(g) {
        return;
    }
    let Some(limit) = ctx.dagtekening.checked_sub_months(Months::new(120 * 12)) else {
        return;
    };
    if g.datum < limit {
        out.push(Finding::rule(
            "TR002",
            format!("{path}/Datum"),
            format!(
                "birth date {} lies more than 120 years before the Dagtekening {}",
                g.datum, ctx.dagtekening
            ),
        ));
    }
}

/// The birth-date rules that always go together (CS139, TR002, TR134).
pub fn check_geboortedatum(g: &Geboortedatum, ctx: &Ctx, path: &str, out: &mut Vec<Finding>) {
    cs139_datumgebruik_past_bij_datum(g, path, out);
    tr002_geboortedatum_max_120_jaar(g, ctx, path, out);
    tr134_niet_na_dagtekening(g.datum, ctx, &format!("{path}/Datum"), out);
}

// ---------------------------------------------------------------------------------------------
// Dates against the Dagtekening
// ---------------------------------------------------------------------------------------------

/// TR134: a date that describes the past (birth, allocation decision, start or end of delivery,
/// declaration) may not lie after the Dagtekening of the message.
///
/// Decision on the element mapping (the sources name only the classes: 301 Client, Relatie,
/// ToegewezenProduct; 305 Client, StartProduct; 307 Client, StopProduct; 315 Client; 323
/// Declaratie, Prestatie; 325 Prestatie): Client/Relatie → `Geboortedatum/Datum`;
/// ToegewezenProduct → `Toewijzingsdatum`; StartProduct → `Begindatum` (a start is reported only
/// after it happened, OP011); StopProduct → `Begindatum` and `Einddatum` (a stop is reported after
/// the end, OP272); Declaratie → `DeclaratieDagtekening` and `DeclaratiePeriode/Begindatum`;
/// Prestatie → `ProductPeriode/Begindatum`. The end dates of the two periods fall under TR137.
/// "Must exist" is already guaranteed by the XSD date type.
pub fn tr134_niet_na_dagtekening(date: NaiveDate, ctx: &Ctx, path: &str, out: &mut Vec<Finding>) {
    if date > ctx.dagtekening {
        out.push(Finding::rule(
            "TR134",
            path,
            format!(
                "date {date} lies after the Dagtekening {} of the message",
                ctx.dagtekening
            ),
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// Addresses and contacts (301 Client/Contactgegevens/Contact and Relatie/Contact)
// ---------------------------------------------------------------------------------------------

/// CD005: LandCode is given exactly when a Postcode is given.
pub fn cd005_landcode_alleen_bij_postcode(adres: &Adres, adres_path: &str, out: &mut Vec<Finding>) {
    match (&adres.postcode, &adres.land_code) {
        (Some(_), None) => out.push(Finding::rule(
            "CD005",
            format!("{adres_path}/LandCode"),
            "LandCode is required because a Postcode is given",
        )),
        (None, Some(l)) => out.push(Finding::rule(
            "CD005",
            format!("{adres_path}/LandCode"),
            format!("LandCode {l:?} must be left out because no Postcode is given"),
        )),
        _ => {}
    }
}

/// CD025: a Dutch address (LandCode NL) needs the house-number group `Huis`.
pub fn cd025_huis_verplicht_bij_nl(adres: &Adres, adres_path: &str, out: &mut Vec<Finding>) {
    if adres.land_code.as_deref() == Some("NL") && adres.huis.is_none() {
        out.push(Finding::rule(
            "CD025",
            format!("{adres_path}/Huis"),
            "Huis (house number) is required for an address in the Netherlands",
        ));
    }
}

/// CS089: a Dutch postcode is four digits (no leading zero) and two letters, without a space.
pub fn cs089_postcode_formaat_nl(adres: &Adres, adres_path: &str, out: &mut Vec<Finding>) {
    if adres.land_code.as_deref() != Some("NL") {
        return;
    }
    let Some(pc) = &adres.postcode else { return };
    let b = pc.as_bytes();
    let ok = b.len() == 6
        && (b'1'..=b'9').contains(&b[0])
        && b[1..4].iter().all(u8::is_ascii_digit)
        && b[4..].iter().all(u8::is_ascii_alphabetic);
    if !ok {
        out.push(Finding::rule(
            "CS089",
            format!("{adres_path}/Postcode"),
            format!("{pc:?} is not a Dutch postcode: four digits (not starting with 0) and two letters, no space"),
        ));
    }
}

/// CD034: a BRP address (Soort 01) or residence address (Soort 03) must have a Postcode.
pub fn cd034_postcode_verplicht_bij_brp_of_verblijf(
    contact: &Contact,
    contact_path: &str,
    out: &mut Vec<Finding>,
) {
    if !matches!(contact.soort.as_str(), "01" | "03") {
        return;
    }
    if contact
        .adres
        .as_ref()
        .and_then(|a| a.postcode.as_ref())
        .is_none()
    {
        out.push(Finding::rule(
            "CD034",
            format!("{contact_path}/Adres/Postcode"),
            format!(
                "Postcode is required for a contact of Soort {} (BRP or residence address)",
                contact.soort
            ),
        ));
    }
}

/// CD009: a validity Periode belongs only to a temporary residence address (Soort 04).
pub fn cd009_periode_alleen_bij_tijdelijk_adres(
    contact: &Contact,
    contact_path: &str,
    out: &mut Vec<Finding>,
) {
    if contact.periode.is_some() && contact.soort != "04" {
        out.push(Finding::rule(
            "CD009",
            format!("{contact_path}/Periode"),
            format!(
                "Periode is only allowed for Soort 04 (temporary address), not for Soort {}",
                contact.soort
            ),
        ));
    }
}

/// TR006: a contact is only useful with a phone number or a findable address (Huis + Postcode).
pub fn tr006_contact_heeft_telefoon_of_adres(
    contact: &Contact,
    contact_path: &str,
    out: &mut Vec<Finding>,
) {
    let has_address = contact
        .adres
        .as_ref()
        .is_some_and(|a| a.huis.is_some() && a.postcode.is_some());
    if contact.telefoon.is_none() && !has_address {
        out.push(Finding::rule(
            "TR006",
            contact_path,
            "the contact needs a Telefoon, or an Adres with both Huis and Postcode",
        ));
    }
}

/// TR061: the client needs at least one BRP (01), correspondence (02) or residence (03) contact,
/// so the provider knows where the client lives or can be reached by post.
///
/// Decision: the rule text speaks of an "Adres" with that Soort; since 3.x the Soort sits on
/// `Contact`, so a Contact of Soort 01/02/03 counts (CD034/TR006 separately demand its contents).
pub fn tr061_client_heeft_woon_of_postadres(
    contacts: &[Contact],
    contactgegevens_path: &str,
    out: &mut Vec<Finding>,
) {
    if !contacts
        .iter()
        .any(|c| matches!(c.soort.as_str(), "01" | "02" | "03"))
    {
        out.push(Finding::rule(
            "TR061",
            contactgegevens_path,
            "the client has no contact of Soort 01 (BRP), 02 (correspondence) or 03 (residence)",
        ));
    }
}

/// All address and contact rules for one Contact (client or relation).
pub fn check_contact(contact: &Contact, contact_path: &str, out: &mut Vec<Finding>) {
    if let Some(adres) = &contact.adres {
        let adres_path = format!("{contact_path}/Adres");
        cd005_landcode_alleen_bij_postcode(adres, &adres_path, out);
        cd025_huis_verplicht_bij_nl(adres, &adres_path, out);
        cs089_postcode_formaat_nl(adres, &adres_path, out);
    }
    cd034_postcode_verplicht_bij_brp_of_verblijf(contact, contact_path, out);
    cd009_periode_alleen_bij_tijdelijk_adres(contact, contact_path, out);
    if let Some(p) = &contact.periode {
        super::toewijzing::cs003_einddatum_niet_voor_begindatum(
            p.begindatum,
            p.einddatum,
            &format!("{contact_path}/Periode/Einddatum"),
            "Begindatum",
            out,
        );
    }
    tr006_contact_heeft_telefoon_of_adres(contact, contact_path, out);
}

/// CD007: an interpreter for a language (Vorm 1) needs the Taal; other forms must not give one.
pub fn cd007_taal_alleen_bij_tolk(comm: &Communicatie, path: &str, out: &mut Vec<Finding>) {
    match (comm.vorm.as_str(), &comm.taal) {
        ("1", None) => out.push(Finding::rule(
            "CD007",
            format!("{path}/Taal"),
            "Taal is required when Vorm is 1 (language interpreter)",
        )),
        (vorm, Some(_)) if vorm != "1" => out.push(Finding::rule(
            "CD007",
            format!("{path}/Taal"),
            format!("Taal must be left out when Vorm is {vorm} (not a language interpreter)"),
        )),
        _ => {}
    }
}

/// The path of the `i`-th (0-based) client contact.
pub fn contact_path(i: usize) -> String {
    at("/Bericht/Client/Contactgegevens", "Contact", i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::model::{Achternaam, Huis, OpenPeriode, Telefoon, Telefoonnummers};
    use crate::rules::testutil::{codes, ctx, d};

    fn run(f: impl FnOnce(&mut Vec<Finding>)) -> Vec<Finding> {
        let mut out = Vec::new();
        f(&mut out);
        out
    }

    fn header(versie: u8, sub: u8) -> Header {
        Header {
            bericht_versie: versie,
            bericht_subversie: sub,
            ..Header::default()
        }
    }

    #[test]
    fn cs025_and_cs015_versions() {
        assert!(run(|o| cs025_berichtversie_is_3(&header(3, 2), o)).is_empty());
        assert!(run(|o| cs015_berichtsubversie_is_2(&header(3, 2), o)).is_empty());
        let f = run(|o| cs025_berichtversie_is_3(&header(2, 2), o));
        assert_eq!(codes(&f), ["CS025"]);
        assert_eq!(f[0].path, "/Bericht/Header/BerichtVersie");
        let f = run(|o| cs015_berichtsubversie_is_2(&header(3, 1), o));
        assert_eq!(codes(&f), ["CS015"]);
    }

    #[test]
    fn cs002_elfproef() {
        for ok in ["123456782", "999900006", "999912367"] {
            assert!(
                run(|o| cs002_bsn_elfproef(ok, "/Bericht/Client/Bsn", o)).is_empty(),
                "{ok}"
            );
        }
        for bad in ["123456781", "000000000", "12345678"] {
            let f = run(|o| cs002_bsn_elfproef(bad, "/Bericht/Client/Bsn", o));
            assert_eq!(codes(&f), ["CS002"], "{bad}");
            assert_eq!(f[0].retour_code.as_deref(), Some("0001"));
        }
    }

    fn naam(gebruik: &str, partner: bool) -> VolledigeNaam {
        VolledigeNaam {
            geslachtsnaam: Achternaam {
                achternaam: "Wit".into(),
                voorvoegsel: None,
            },
            partnernaam: partner.then(|| Achternaam {
                achternaam: "Zwart".into(),
                voorvoegsel: None,
            }),
            naam_gebruik: gebruik.into(),
            ..VolledigeNaam::default()
        }
    }

    #[test]
    fn cs050_naamgebruik() {
        for (g, p) in [
            ("1", false),
            ("6", false),
            ("1", true),
            ("4", true),
            ("2", true),
        ] {
            assert!(
                run(|o| cs050_naamgebruik_past_bij_partnernaam(&naam(g, p), "/N", o)).is_empty(),
                "{g} {p}"
            );
        }
        for (g, p) in [("2", false), ("5", false), ("6", true), ("5", true)] {
            let f = run(|o| cs050_naamgebruik_past_bij_partnernaam(&naam(g, p), "/N", o));
            assert_eq!(codes(&f), ["CS050"], "{g} {p}");
            assert_eq!(f[0].path, "/N/NaamGebruik");
        }
    }

    #[test]
    fn cs318_no_organisation_as_client() {
        assert!(
            run(|o| cs318_naamgebruik_6_niet_voor_client(&naam("1", false), "/N", o)).is_empty()
        );
        let f = run(|o| cs318_naamgebruik_6_niet_voor_client(&naam("6", false), "/N", o));
        assert_eq!(codes(&f), ["CS318"]);
    }

    fn geb(y: i32, m: u32, dd: u32, gebruik: Option<&str>) -> Geboortedatum {
        Geboortedatum {
            datum: d(y, m, dd),
            datum_gebruik: gebruik.map(str::to_string),
        }
    }

    #[test]
    fn cs139_datumgebruik() {
        for g in [
            geb(1900, 1, 1, Some("3")),
            geb(1953, 1, 1, Some("2")),
            geb(1949, 9, 1, Some("1")),
            geb(1949, 9, 17, None),
        ] {
            assert!(
                run(|o| cs139_datumgebruik_past_bij_datum(&g, "/G", o)).is_empty(),
                "{g:?}"
            );
        }
        for g in [
            geb(1953, 1, 1, Some("3")),
            geb(1953, 2, 1, Some("2")),
            geb(1949, 9, 2, Some("1")),
        ] {
            let f = run(|o| cs139_datumgebruik_past_bij_datum(&g, "/G", o));
            assert_eq!(codes(&f), ["CS139"], "{g:?}");
            assert_eq!(f[0].path, "/G/DatumGebruik");
        }
    }

    #[test]
    fn tr002_not_older_than_120_years() {
        let c = ctx(2026, 4, 1);
        for g in [
            geb(1906, 4, 1, None),      // exactly 120 years
            geb(1900, 1, 1, Some("3")), // unknown
            geb(2014, 5, 3, None),
        ] {
            assert!(
                run(|o| tr002_geboortedatum_max_120_jaar(&g, &c, "/G", o)).is_empty(),
                "{g:?}"
            );
        }
        for g in [geb(1906, 3, 31, None), geb(1900, 1, 1, Some("2"))] {
            let f = run(|o| tr002_geboortedatum_max_120_jaar(&g, &c, "/G", o));
            assert_eq!(codes(&f), ["TR002"], "{g:?}");
            assert_eq!(f[0].path, "/G/Datum");
        }
    }

    #[test]
    fn tr134_date_not_after_dagtekening() {
        let c = ctx(2026, 4, 1);
        assert!(run(|o| tr134_niet_na_dagtekening(d(2026, 4, 1), &c, "/X", o)).is_empty());
        let f = run(|o| tr134_niet_na_dagtekening(d(2026, 4, 2), &c, "/X", o));
        assert_eq!(codes(&f), ["TR134"]);
        assert_eq!(f[0].path, "/X");
    }

    fn adres(postcode: Option<&str>, land: Option<&str>, huis: bool) -> Adres {
        Adres {
            huis: huis.then(|| Huis {
                huisnummer: 23,
                ..Huis::default()
            }),
            postcode: postcode.map(str::to_string),
            land_code: land.map(str::to_string),
            ..Adres::default()
        }
    }

    #[test]
    fn cd005_landcode_with_postcode() {
        for a in [
            adres(Some("2801AB"), Some("NL"), true),
            adres(None, None, false),
        ] {
            assert!(run(|o| cd005_landcode_alleen_bij_postcode(&a, "/A", o)).is_empty());
        }
        for a in [
            adres(Some("2801AB"), None, true),
            adres(None, Some("BE"), false),
        ] {
            let f = run(|o| cd005_landcode_alleen_bij_postcode(&a, "/A", o));
            assert_eq!(codes(&f), ["CD005"]);
            assert_eq!(f[0].path, "/A/LandCode");
        }
    }

    #[test]
    fn cd025_huis_for_nl() {
        assert!(run(|o| cd025_huis_verplicht_bij_nl(
            &adres(Some("2801AB"), Some("NL"), true),
            "/A",
            o
        ))
        .is_empty());
        assert!(run(|o| cd025_huis_verplicht_bij_nl(
            &adres(Some("1000"), Some("BE"), false),
            "/A",
            o
        ))
        .is_empty());
        let f = run(|o| {
            cd025_huis_verplicht_bij_nl(&adres(Some("2801AB"), Some("NL"), false), "/A", o)
        });
        assert_eq!(codes(&f), ["CD025"]);
        assert_eq!(f[0].path, "/A/Huis");
    }

    #[test]
    fn cs089_dutch_postcode() {
        for pc in ["2801AB", "9999zz", "1000Aa"] {
            assert!(
                run(|o| cs089_postcode_formaat_nl(&adres(Some(pc), Some("NL"), true), "/A", o))
                    .is_empty(),
                "{pc}"
            );
        }
        assert!(run(|o| cs089_postcode_formaat_nl(
            &adres(Some("B-1000"), Some("BE"), true),
            "/A",
            o
        ))
        .is_empty());
        for pc in ["2801 AB", "0801AB", "2801A", "28010AB", "2801ÄB"] {
            let f = run(|o| cs089_postcode_formaat_nl(&adres(Some(pc), Some("NL"), true), "/A", o));
            assert_eq!(codes(&f), ["CS089"], "{pc}");
            assert_eq!(f[0].path, "/A/Postcode");
        }
    }

    fn contact(soort: &str, adres: Option<Adres>, telefoon: bool, periode: bool) -> Contact {
        Contact {
            soort: soort.into(),
            adres,
            telefoon: telefoon.then(|| Telefoonnummers {
                telefoon01: Telefoon {
                    telefoonnummer: "0182123456".into(),
                    landnummer: "0031".into(),
                },
                telefoon02: None,
            }),
            periode: periode.then(|| OpenPeriode {
                begindatum: Some(d(2026, 1, 1)),
                einddatum: None,
            }),
            ..Contact::default()
        }
    }

    #[test]
    fn cd034_postcode_for_brp_and_residence() {
        let with_pc = Some(adres(Some("2801AB"), Some("NL"), true));
        assert!(run(|o| cd034_postcode_verplicht_bij_brp_of_verblijf(
            &contact("01", with_pc.clone(), false, false),
            "/C",
            o
        ))
        .is_empty());
        assert!(run(|o| cd034_postcode_verplicht_bij_brp_of_verblijf(
            &contact("02", None, true, false),
            "/C",
            o
        ))
        .is_empty());
        for soort in ["01", "03"] {
            let f = run(|o| {
                cd034_postcode_verplicht_bij_brp_of_verblijf(
                    &contact(soort, Some(adres(None, None, true)), false, false),
                    "/C",
                    o,
                )
            });
            assert_eq!(codes(&f), ["CD034"]);
            assert_eq!(f[0].path, "/C/Adres/Postcode");
        }
    }

    #[test]
    fn cd009_periode_only_for_temporary() {
        assert!(run(|o| cd009_periode_alleen_bij_tijdelijk_adres(
            &contact("04", None, true, true),
            "/C",
            o
        ))
        .is_empty());
        assert!(run(|o| cd009_periode_alleen_bij_tijdelijk_adres(
            &contact("01", None, true, false),
            "/C",
            o
        ))
        .is_empty());
        let f = run(|o| {
            cd009_periode_alleen_bij_tijdelijk_adres(&contact("02", None, true, true), "/C", o)
        });
        assert_eq!(codes(&f), ["CD009"]);
        assert_eq!(f[0].path, "/C/Periode");
    }

    #[test]
    fn tr006_phone_or_address() {
        assert!(run(|o| tr006_contact_heeft_telefoon_of_adres(
            &contact("02", None, true, false),
            "/C",
            o
        ))
        .is_empty());
        assert!(run(|o| tr006_contact_heeft_telefoon_of_adres(
            &contact(
                "01",
                Some(adres(Some("2801AB"), Some("NL"), true)),
                false,
                false
            ),
            "/C",
            o
        ))
        .is_empty());
        for c in [
            contact("02", None, false, false),
            contact(
                "01",
                Some(adres(Some("2801AB"), Some("NL"), false)),
                false,
                false,
            ),
            contact("01", Some(adres(None, None, true)), false, false),
        ] {
            let f = run(|o| tr006_contact_heeft_telefoon_of_adres(&c, "/C", o));
            assert_eq!(codes(&f), ["TR006"]);
            assert_eq!(f[0].path, "/C");
        }
    }

    #[test]
    fn tr061_needs_a_living_or_postal_contact() {
        let ok = [
            contact("04", None, true, true),
            contact("02", None, true, false),
        ];
        assert!(run(|o| tr061_client_heeft_woon_of_postadres(&ok, "/CG", o)).is_empty());
        let bad = [contact("04", None, true, true)];
        let f = run(|o| tr061_client_heeft_woon_of_postadres(&bad, "/CG", o));
        assert_eq!(codes(&f), ["TR061"]);
        assert_eq!(f[0].path, "/CG");
    }

    #[test]
    fn cd007_taal_with_interpreter() {
        let c = |vorm: &str, taal: Option<&str>| Communicatie {
            vorm: vorm.into(),
            taal: taal.map(str::to_string),
        };
        assert!(run(|o| cd007_taal_alleen_bij_tolk(&c("1", Some("Pools")), "/K", o)).is_empty());
        assert!(run(|o| cd007_taal_alleen_bij_tolk(&c("2", None), "/K", o)).is_empty());
        for bad in [c("1", None), c("3", Some("NGT"))] {
            let f = run(|o| cd007_taal_alleen_bij_tolk(&bad, "/K", o));
            assert_eq!(codes(&f), ["CD007"]);
            assert_eq!(f[0].path, "/K/Taal");
        }
    }

    #[test]
    fn check_contact_reports_every_broken_rule() {
        // Soort 01 in NL without Huis and with a bad postcode, plus a Periode: four rules at once.
        let c = Contact {
            periode: Some(OpenPeriode {
                begindatum: Some(d(2026, 2, 1)),
                einddatum: Some(d(2026, 1, 1)),
            }),
            ..contact(
                "01",
                Some(adres(Some("2801 AB"), Some("NL"), false)),
                false,
                false,
            )
        };
        let f = run(|o| check_contact(&c, "/C", o));
        assert_eq!(codes(&f), ["CD025", "CS089", "CD009", "CS003", "TR006"]);
    }
}
