//! Small builders for valid iJw 3.2 messages with chosen parties, clients, numbers and dates,
//! for scenarios that need many messages (the facts golden month). Client details (names,
//! addresses, relations) come from the fixtures; everything that matters to the rules is a
//! parameter. Every message a scenario sends is checked by the validator first.
#![allow(dead_code)]

use std::fmt::Write as _;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/fixtures/messages/{name}.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

/// The fixture's client, from `<Client>` up to (not including) `until`, with another BSN.
fn client_head(kind: &str, until: &str, bsn: &str) -> String {
    let xml = fixture(kind);
    let p = kind.to_ascii_lowercase();
    let start = xml.find(&format!("<{p}:Client>")).expect("client");
    let end = xml.find(&format!("<{p}:{until}>")).expect("until");
    xml[start..end].replace(
        &format!("<{p}:Bsn>999912367</{p}:Bsn>"),
        &format!("<{p}:Bsn>{bsn}</{p}:Bsn>"),
    )
}

/// What every header needs.
#[derive(Clone, Debug)]
pub struct Kop {
    pub afzender: String,
    pub ontvanger: String,
    pub identificatie: String,
    pub dagtekening: String,
}

pub fn kop(afzender: &str, ontvanger: &str, identificatie: &str, dagtekening: &str) -> Kop {
    Kop {
        afzender: afzender.into(),
        ontvanger: ontvanger.into(),
        identificatie: identificatie.into(),
        dagtekening: dagtekening.into(),
    }
}

fn code(n: u16) -> u16 {
    match n {
        301 => 436,
        302 => 437,
        305 => 438,
        306 => 439,
        307 => 440,
        308 => 441,
        315 => 446,
        316 => 447,
        317 => 486,
        318 => 487,
        319 => 488,
        320 => 489,
        323 => 490,
        325 => 491,
        _ => panic!("kind {n}"),
    }
}

fn bericht(n: u16, k: &Kop, retour: Option<(&str, &str)>, body: &str) -> String {
    let p = format!("jw{n}");
    let mut extra = String::new();
    if let Some((id, dag)) = retour {
        let _ = write!(
            extra,
            "<{p}:IdentificatieRetour>{id}</{p}:IdentificatieRetour>\
             <{p}:DagtekeningRetour>{dag}</{p}:DagtekeningRetour>\
             <{p}:XsdVersieRetour><ijw:BasisschemaXsdVersie>1.0.0</ijw:BasisschemaXsdVersie>\
             <ijw:BerichtXsdVersie>1.0.0</ijw:BerichtXsdVersie></{p}:XsdVersieRetour>"
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
         <{p}:Bericht xmlns:{p}=\"http://www.istandaarden.nl/ijw/3_2/{p}/schema\" \
         xmlns:ijw=\"http://www.istandaarden.nl/ijw/3_2/basisschema/schema\">\
         <{p}:Header><{p}:BerichtCode>{c}</{p}:BerichtCode>\
         <{p}:BerichtVersie>3</{p}:BerichtVersie><{p}:BerichtSubversie>2</{p}:BerichtSubversie>\
         <{p}:Afzender>{a}</{p}:Afzender><{p}:Ontvanger>{o}</{p}:Ontvanger>\
         <{p}:BerichtIdentificatie><ijw:Identificatie>{i}</ijw:Identificatie>\
         <ijw:Dagtekening>{d}</ijw:Dagtekening></{p}:BerichtIdentificatie>\
         <{p}:XsdVersie><ijw:BasisschemaXsdVersie>1.0.0</ijw:BasisschemaXsdVersie>\
         <ijw:BerichtXsdVersie>1.0.0</ijw:BerichtXsdVersie></{p}:XsdVersie>{extra}\
         </{p}:Header>{body}</{p}:Bericht>\r\n",
        c = code(n),
        a = k.afzender,
        o = k.ontvanger,
        i = k.identificatie,
        d = k.dagtekening,
    )
}

fn product(p: &str, categorie: &str, code: &str) -> String {
    format!(
        "<{p}:Product><ijw:Categorie>{categorie}</ijw:Categorie><ijw:Code>{code}</ijw:Code></{p}:Product>"
    )
}

fn omvang(p: &str, volume: i64, eenheid: &str, frequentie: &str) -> String {
    format!(
        "<{p}:Omvang><ijw:Volume>{volume}</ijw:Volume><ijw:Eenheid>{eenheid}</ijw:Eenheid>\
         <ijw:Frequentie>{frequentie}</ijw:Frequentie></{p}:Omvang>"
    )
}

/// One allocated product with an Omvang.
#[derive(Clone, Debug)]
pub struct Toegewezen {
    pub nummer: u32,
    pub referentie: Option<String>,
    pub code: String,
    pub ingang: String,
    pub eind: String,
    pub volume: i64,
    pub eenheid: String,
    pub frequentie: String,
}

pub fn jw301(k: &Kop, bsn: &str, producten: &[Toegewezen]) -> String {
    let mut body = client_head("JW301", "ToegewezenProducten", bsn);
    body.push_str("<jw301:ToegewezenProducten>");
    for t in producten {
        let _ = write!(
            body,
            "<jw301:ToegewezenProduct><jw301:ToewijzingNummer>{}</jw301:ToewijzingNummer>{}{}\
             <jw301:Toewijzingsdatum>{}</jw301:Toewijzingsdatum>\
             <jw301:Toewijzingstijd>09:00:00</jw301:Toewijzingstijd>\
             <jw301:Ingangsdatum>{}</jw301:Ingangsdatum><jw301:Einddatum>{}</jw301:Einddatum>{}\
             </jw301:ToegewezenProduct>",
            t.nummer,
            t.referentie
                .as_ref()
                .map(|r| format!("<jw301:ReferentieAanbieder>{r}</jw301:ReferentieAanbieder>"))
                .unwrap_or_default(),
            product("jw301", &t.code[..2], &t.code),
            k.dagtekening,
            t.ingang,
            t.eind,
            omvang("jw301", t.volume, &t.eenheid, &t.frequentie),
        );
    }
    body.push_str("</jw301:ToegewezenProducten></jw301:Client>");
    bericht(301, k, None, &body)
}

/// [`jw301`] for a client born on `geboren` (YYYY-MM-DD) instead of the fixture's 2014-06-12.
pub fn jw301_geboren(k: &Kop, bsn: &str, geboren: &str, producten: &[Toegewezen]) -> String {
    let xml = jw301(k, bsn, producten);
    let at = xml.find("<jw301:Geboortedatum>").expect("birth date");
    let date = at
        + xml[at..]
            .find("2014-06-12")
            .expect("the fixture's birth date");
    format!("{}{geboren}{}", &xml[..date], &xml[date + 10..])
}

/// A retour without remarks (302/320 from the provider), copying the heenbericht's header.
pub fn retour(n: u16, heen: &Kop, id: &str, dag: &str) -> String {
    bericht(n, heen, Some((id, dag)), "")
}

pub fn jw305(k: &Kop, bsn: &str, nummer: u32, code: &str, ingang: &str, begin: &str) -> String {
    let mut body = client_head("JW305", "StartProducten", bsn);
    let _ = write!(
        body,
        "<jw305:StartProducten><jw305:StartProduct><jw305:ToewijzingNummer>{nummer}</jw305:ToewijzingNummer>\
         {}<jw305:ToewijzingIngangsdatum>{ingang}</jw305:ToewijzingIngangsdatum>\
         <jw305:Begindatum>{begin}</jw305:Begindatum><jw305:StatusAanlevering>1</jw305:StatusAanlevering>\
         </jw305:StartProduct></jw305:StartProducten></jw305:Client>",
        product("jw305", &code[..2], code)
    );
    bericht(305, k, None, &body)
}

#[allow(clippy::too_many_arguments)]
pub fn jw307(
    k: &Kop,
    bsn: &str,
    nummer: u32,
    code: &str,
    ingang: &str,
    begin: &str,
    reden: &str,
    eind: &str,
) -> String {
    let mut body = client_head("JW307", "StopProducten", bsn);
    let _ = write!(
        body,
        "<jw307:StopProducten><jw307:StopProduct><jw307:ToewijzingNummer>{nummer}</jw307:ToewijzingNummer>\
         {}<jw307:ToewijzingIngangsdatum>{ingang}</jw307:ToewijzingIngangsdatum>\
         <jw307:Begindatum>{begin}</jw307:Begindatum><jw307:RedenBeeindiging>{reden}</jw307:RedenBeeindiging>\
         <jw307:Einddatum>{eind}</jw307:Einddatum><jw307:StatusAanlevering>1</jw307:StatusAanlevering>\
         </jw307:StopProduct></jw307:StopProducten></jw307:Client>",
        product("jw307", &code[..2], code)
    );
    bericht(307, k, None, &body)
}

/// A VOT for one product.
#[allow(clippy::too_many_arguments)]
pub fn jw315(
    k: &Kop,
    bsn: &str,
    referentie: &str,
    code: &str,
    ingang: &str,
    eind: &str,
    volume: i64,
    eenheid: &str,
    frequentie: &str,
) -> String {
    let mut body = client_head("JW315", "AangevraagdeProducten", bsn);
    let _ = write!(
        body,
        "<jw315:AangevraagdeProducten><jw315:AangevraagdProduct>\
         <jw315:ReferentieAanbieder>{referentie}</jw315:ReferentieAanbieder>{}\
         <jw315:ToewijzingIngangsdatum>{ingang}</jw315:ToewijzingIngangsdatum>\
         <jw315:ToewijzingEinddatum>{eind}</jw315:ToewijzingEinddatum>{}\
         <jw315:Verwijzer><ijw:Type>04</ijw:Type><ijw:Naam>Jeugdbescherming west</ijw:Naam></jw315:Verwijzer>\
         </jw315:AangevraagdProduct></jw315:AangevraagdeProducten></jw315:Client>",
        product("jw315", &code[..2], code),
        omvang("jw315", volume, eenheid, frequentie),
    );
    bericht(315, k, None, &body)
}

/// A VOW changing one allocation (the client's only one) from a date.
#[allow(clippy::too_many_arguments)]
pub fn jw317(
    k: &Kop,
    bsn: &str,
    referentie: &str,
    nummer: u32,
    vanaf: &str,
    eind: &str,
    volume: i64,
    eenheid: &str,
    frequentie: &str,
) -> String {
    let body = format!(
        "<jw317:Client><jw317:Bsn>{bsn}</jw317:Bsn><jw317:Verzoek>\
         <jw317:ReferentieAanbieder>{referentie}</jw317:ReferentieAanbieder>\
         <jw317:RedenVerzoek>2</jw317:RedenVerzoek><jw317:TeWijzigenProducten>\
         <jw317:TeWijzigenProduct><jw317:ToewijzingNummer>{nummer}</jw317:ToewijzingNummer>\
         <jw317:GewensteIngangsdatum>{vanaf}</jw317:GewensteIngangsdatum>\
         <jw317:Einddatum>{eind}</jw317:Einddatum>{}</jw317:TeWijzigenProduct>\
         </jw317:TeWijzigenProducten></jw317:Verzoek></jw317:Client>",
        omvang("jw317", volume, eenheid, frequentie)
    );
    bericht(317, k, None, &body)
}

/// An answer on a request: `antwoord` 1 (rejected, with `reden`) or 2 (in onderzoek).
pub fn jw319(
    k: &Kop,
    referentie: &str,
    antwoord: &str,
    reden: Option<&str>,
    woonplaats: Option<&str>,
) -> String {
    let body = format!(
        "<jw319:Antwoord><jw319:ReferentieAanbieder>{referentie}</jw319:ReferentieAanbieder>\
         <jw319:VerzoekAntwoord>{antwoord}</jw319:VerzoekAntwoord>{}{}</jw319:Antwoord>",
        reden
            .map(|r| format!("<jw319:RedenAfwijzingVerzoek>{r}</jw319:RedenAfwijzingVerzoek>"))
            .unwrap_or_default(),
        woonplaats
            .map(|g| format!(
                "<jw319:Woonplaatsbeginsel><jw319:Gemeente>{g}</jw319:Gemeente></jw319:Woonplaatsbeginsel>"
            ))
            .unwrap_or_default(),
    );
    bericht(319, k, None, &body)
}

/// One prestatie of a 323 (hours, 45A03-style products); `bedrag` unsigned, `vorig` makes it a
/// credit.
#[derive(Clone, Debug)]
pub struct Regel {
    pub referentie: String,
    pub vorig: Option<String>,
    pub nummer: u32,
    pub code: String,
    pub begin: String,
    pub eind: String,
    pub volume: i64,
    pub eenheid: String,
    pub tarief: i64,
}

impl Regel {
    pub fn bedrag(&self) -> i64 {
        self.volume * self.tarief
    }
    fn signed(&self) -> i64 {
        if self.vorig.is_some() {
            -self.bedrag()
        } else {
            self.bedrag()
        }
    }
}

/// A declaration for one month (`periode` = `YYYY-MM`), per client its prestaties.
pub fn jw323(
    k: &Kop,
    nummer: &str,
    begin: &str,
    eind: &str,
    clienten: &[(&str, Vec<Regel>)],
) -> String {
    let total: i64 = clienten
        .iter()
        .flat_map(|(_, r)| r.iter().map(Regel::signed))
        .sum();
    let dc = |v: i64| if v < 0 { "C" } else { "D" };
    let mut body = format!(
        "<jw323:Declaratie><jw323:DeclaratieNummer>{nummer}</jw323:DeclaratieNummer>\
         <jw323:DeclaratiePeriode><ijw:Begindatum>{begin}</ijw:Begindatum>\
         <ijw:Einddatum>{eind}</ijw:Einddatum></jw323:DeclaratiePeriode>\
         <jw323:DeclaratieDagtekening>{}</jw323:DeclaratieDagtekening>\
         <jw323:TotaalIngediendBedrag><ijw:TotaalBedrag>{}</ijw:TotaalBedrag>\
         <ijw:DebetCredit>{}</ijw:DebetCredit></jw323:TotaalIngediendBedrag><jw323:Clienten>",
        k.dagtekening,
        total.abs(),
        dc(total)
    );
    for (bsn, regels) in clienten {
        let _ = write!(
            body,
            "<jw323:Client><jw323:Bsn>{bsn}</jw323:Bsn><jw323:Prestaties>"
        );
        for r in regels {
            let _ = write!(
                body,
                "<jw323:Prestatie><jw323:ProductReferentie><ijw:ReferentieNummer>{}</ijw:ReferentieNummer>{}\
                 </jw323:ProductReferentie><jw323:ToewijzingNummer>{}</jw323:ToewijzingNummer>\
                 <jw323:ProductCategorie>{}</jw323:ProductCategorie><jw323:ProductCode>{}</jw323:ProductCode>\
                 <jw323:ProductPeriode><ijw:Begindatum>{}</ijw:Begindatum><ijw:Einddatum>{}</ijw:Einddatum>\
                 </jw323:ProductPeriode><jw323:GeleverdVolume>{}</jw323:GeleverdVolume>\
                 <jw323:Eenheid>{}</jw323:Eenheid><jw323:ProductTarief>{}</jw323:ProductTarief>\
                 <jw323:IngediendBedrag><ijw:Bedrag>{}</ijw:Bedrag><ijw:DebetCredit>{}</ijw:DebetCredit>\
                 </jw323:IngediendBedrag></jw323:Prestatie>",
                r.referentie,
                r.vorig
                    .as_ref()
                    .map(|v| format!("<ijw:VorigReferentieNummer>{v}</ijw:VorigReferentieNummer>"))
                    .unwrap_or_default(),
                r.nummer,
                &r.code[..2],
                r.code,
                r.begin,
                r.eind,
                r.volume,
                r.eenheid,
                r.tarief,
                r.bedrag(),
                dc(r.signed()),
            );
        }
        body.push_str("</jw323:Prestaties></jw323:Client>");
    }
    body.push_str("</jw323:Clienten></jw323:Declaratie>");
    bericht(323, k, None, &body)
}
