use super::*;
use crate::message::kind::{MessageKind, Standard};

fn jw(n: u16) -> MessageKind {
    MessageKind::new(Standard::Ijw, n)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

const JW323_PREFIXED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<jw323:Bericht xmlns:jw323="http://www.istandaarden.nl/ijw/3_2/jw323/schema" xmlns:ijw="http://www.istandaarden.nl/ijw/3_2/basisschema/schema">
  <jw323:Header>
    <jw323:BerichtCode>490</jw323:BerichtCode>
    <jw323:BerichtVersie>3</jw323:BerichtVersie>
    <jw323:BerichtSubversie>2</jw323:BerichtSubversie>
    <jw323:Afzender>12345678</jw323:Afzender>
    <jw323:Ontvanger>0513</jw323:Ontvanger>
    <jw323:BerichtIdentificatie>
      <ijw:Identificatie>DECL-0001</ijw:Identificatie>
      <ijw:Dagtekening>2026-05-04</ijw:Dagtekening>
    </jw323:BerichtIdentificatie>
    <jw323:XsdVersie>
      <ijw:BasisschemaXsdVersie>1.0.0</ijw:BasisschemaXsdVersie>
      <ijw:BerichtXsdVersie>1.0.0</ijw:BerichtXsdVersie>
    </jw323:XsdVersie>
  </jw323:Header>
  <jw323:Declaratie>
    <jw323:DeclaratieNummer>D2026041</jw323:DeclaratieNummer>
    <jw323:DeclaratiePeriode>
      <ijw:Begindatum>2026-04-01</ijw:Begindatum>
      <ijw:Einddatum>2026-04-30</ijw:Einddatum>
    </jw323:DeclaratiePeriode>
    <jw323:DeclaratieDagtekening>2026-05-04</jw323:DeclaratieDagtekening>
    <jw323:TotaalIngediendBedrag>
      <ijw:TotaalBedrag>10000</ijw:TotaalBedrag>
      <ijw:DebetCredit>D</ijw:DebetCredit>
    </jw323:TotaalIngediendBedrag>
    <jw323:Clienten>
      <jw323:Client>
        <jw323:Bsn>999900006</jw323:Bsn>
        <jw323:Prestaties>
          <jw323:Prestatie>
            <jw323:ProductReferentie>
              <ijw:ReferentieNummer>R-1</ijw:ReferentieNummer>
            </jw323:ProductReferentie>
            <jw323:ToewijzingNummer> +0300201 </jw323:ToewijzingNummer>
            <jw323:ProductCategorie>45</jw323:ProductCategorie>
            <jw323:ProductCode>45A03</jw323:ProductCode>
            <jw323:ProductPeriode>
              <ijw:Begindatum> 2026-04-01 </ijw:Begindatum>
              <ijw:Einddatum>2026-04-30</ijw:Einddatum>
            </jw323:ProductPeriode>
            <jw323:GeleverdVolume>10</jw323:GeleverdVolume>
            <jw323:Eenheid>04</jw323:Eenheid>
            <jw323:ProductTarief>2500</jw323:ProductTarief>
            <jw323:IngediendBedrag>
              <ijw:Bedrag>25000</ijw:Bedrag>
              <ijw:DebetCredit>D</ijw:DebetCredit>
            </jw323:IngediendBedrag>
          </jw323:Prestatie>
          <jw323:Prestatie>
            <jw323:ProductReferentie>
              <ijw:ReferentieNummer>R-2</ijw:ReferentieNummer>
              <ijw:VorigReferentieNummer>R-0</ijw:VorigReferentieNummer>
            </jw323:ProductReferentie>
            <jw323:ToewijzingNummer>300201</jw323:ToewijzingNummer>
            <jw323:ProductCategorie>45</jw323:ProductCategorie>
            <jw323:ProductCode>45A03</jw323:ProductCode>
            <jw323:ProductPeriode>
              <ijw:Begindatum>2026-03-01</ijw:Begindatum>
              <ijw:Einddatum>2026-03-31</ijw:Einddatum>
            </jw323:ProductPeriode>
            <jw323:GeleverdVolume>6</jw323:GeleverdVolume>
            <jw323:Eenheid>04</jw323:Eenheid>
            <jw323:ProductTarief>2500</jw323:ProductTarief>
            <jw323:IngediendBedrag>
              <ijw:Bedrag>15000</ijw:Bedrag>
              <ijw:DebetCredit>C</ijw:DebetCredit>
            </jw323:IngediendBedrag>
          </jw323:Prestatie>
        </jw323:Prestaties>
      </jw323:Client>
    </jw323:Clienten>
  </jw323:Declaratie>
</jw323:Bericht>
"#;

/// The same message with a default namespace on the root and the basisschema elements under a
/// different prefix.
fn jw323_default_namespace() -> String {
    JW323_PREFIXED
        .replace("jw323:", "")
        .replace(
            "xmlns:jw323=\"http://www.istandaarden.nl/ijw/3_2/jw323/schema\"",
            "xmlns=\"http://www.istandaarden.nl/ijw/3_2/jw323/schema\"",
        )
        .replace("ijw:", "b:")
}

#[test]
fn parses_a_prefixed_jw323() {
    let msg = parse(jw(323), JW323_PREFIXED).unwrap();
    assert_eq!(msg.header.bericht_code, "490");
    assert_eq!(msg.header.bericht_versie, 3);
    assert_eq!(msg.header.bericht_identificatie.identificatie, "DECL-0001");
    assert_eq!(msg.header.bericht_identificatie.dagtekening, d(2026, 5, 4));
    let Body::Declaratie(decl) = &msg.body else {
        panic!("expected a declaratie, got {:?}", msg.body)
    };
    assert_eq!(decl.declaratie_periode.einddatum, d(2026, 4, 30));
    assert_eq!(decl.totaal_ingediend_bedrag.signed(), 10000);
    let p = &decl.clienten.client[0].prestaties.prestatie;
    assert_eq!(p.len(), 2);
    assert_eq!(
        p[0].toewijzing_nummer, 300201,
        "xs:integer with + and leading zero"
    );
    assert_eq!(
        p[0].product_periode.begindatum,
        d(2026, 4, 1),
        "date with spaces"
    );
    assert_eq!(p[0].product_tarief, Some(2500));
    assert_eq!(p[0].product_referentie.vorig_referentie_nummer, None);
    assert_eq!(p[1].ingediend_bedrag.debet_credit, DebetCredit::C);
    assert_eq!(p[1].ingediend_bedrag.signed(), -15000);
    assert_eq!(
        p[1].product_referentie.vorig_referentie_nummer.as_deref(),
        Some("R-0")
    );
    assert_eq!(decl.prestaties().count(), 2);
}

#[test]
fn prefixes_do_not_matter() {
    let prefixed = parse(jw(323), JW323_PREFIXED).unwrap();
    let text = jw323_default_namespace();
    assert!(!text.contains("jw323:") && text.contains("<b:Bedrag>"));
    let default_ns = parse(jw(323), &text).unwrap();
    assert_eq!(prefixed, default_ns);
}

const JW301: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<jw301:Bericht xmlns:jw301="http://www.istandaarden.nl/ijw/3_2/jw301/schema" xmlns:ijw="http://www.istandaarden.nl/ijw/3_2/basisschema/schema">
  <jw301:Header>
    <jw301:BerichtCode>436</jw301:BerichtCode>
    <jw301:BerichtVersie> 3 </jw301:BerichtVersie>
    <jw301:BerichtSubversie>2</jw301:BerichtSubversie>
    <jw301:Afzender>0513</jw301:Afzender>
    <jw301:Ontvanger>12345678</jw301:Ontvanger>
    <jw301:BerichtIdentificatie>
      <ijw:Identificatie>T-1</ijw:Identificatie>
      <ijw:Dagtekening>2026-04-01</ijw:Dagtekening>
    </jw301:BerichtIdentificatie>
    <jw301:XsdVersie>
      <ijw:BasisschemaXsdVersie>1.0.0</ijw:BasisschemaXsdVersie>
      <ijw:BerichtXsdVersie>1.0.0</ijw:BerichtXsdVersie>
    </jw301:XsdVersie>
  </jw301:Header>
  <jw301:Client>
    <jw301:Bsn>999900006</jw301:Bsn>
    <jw301:Geboortedatum>
      <ijw:Datum>2012-03-01</ijw:Datum>
      <ijw:DatumGebruik>1</ijw:DatumGebruik>
    </jw301:Geboortedatum>
    <jw301:Geslacht>2</jw301:Geslacht>
    <jw301:Naam>
      <ijw:Geslachtsnaam>
        <ijw:Achternaam> Wit</ijw:Achternaam>
        <ijw:Voorvoegsel>de</ijw:Voorvoegsel>
      </ijw:Geslachtsnaam>
      <ijw:Voorletters>AB</ijw:Voorletters>
      <ijw:NaamGebruik>1</ijw:NaamGebruik>
    </jw301:Naam>
    <jw301:Communicatie>
      <ijw:Vorm>1</ijw:Vorm>
      <ijw:Taal>Pools</ijw:Taal>
    </jw301:Communicatie>
    <jw301:Relaties>
      <jw301:Relatie>
        <jw301:Nummer>REL-1</jw301:Nummer>
        <jw301:Volgorde>01</jw301:Volgorde>
        <jw301:Soort>10</jw301:Soort>
        <jw301:Naam>
          <ijw:Geslachtsnaam><ijw:Achternaam>Wit</ijw:Achternaam></ijw:Geslachtsnaam>
          <ijw:NaamGebruik>1</ijw:NaamGebruik>
        </jw301:Naam>
        <jw301:Contact>
          <jw301:Soort>02</jw301:Soort>
          <jw301:Telefoon>
            <ijw:Telefoon01>
              <ijw:Telefoonnummer>0182123456</ijw:Telefoonnummer>
              <ijw:Landnummer>0031</ijw:Landnummer>
            </ijw:Telefoon01>
          </jw301:Telefoon>
        </jw301:Contact>
      </jw301:Relatie>
    </jw301:Relaties>
    <jw301:Contactgegevens>
      <jw301:Contact>
        <jw301:Soort>01</jw301:Soort>
        <jw301:Adres>
          <ijw:Huis><ijw:Huisnummer>12</ijw:Huisnummer><ijw:Huisletter>a</ijw:Huisletter></ijw:Huis>
          <ijw:Postcode>2801AB</ijw:Postcode>
          <ijw:Straatnaam>Markt</ijw:Straatnaam>
          <ijw:Plaatsnaam>Gouda</ijw:Plaatsnaam>
          <ijw:LandCode>NL</ijw:LandCode>
        </jw301:Adres>
      </jw301:Contact>
      <jw301:Contact>
        <jw301:Soort>04</jw301:Soort>
        <jw301:Telefoon>
          <ijw:Telefoon01>
            <ijw:Telefoonnummer>0612345678</ijw:Telefoonnummer>
            <ijw:Landnummer>0031</ijw:Landnummer>
          </ijw:Telefoon01>
        </jw301:Telefoon>
        <jw301:Periode><ijw:Begindatum>2026-04-01</ijw:Begindatum></jw301:Periode>
      </jw301:Contact>
    </jw301:Contactgegevens>
    <jw301:ToegewezenProducten>
      <jw301:ToegewezenProduct>
        <jw301:ToewijzingNummer>300201</jw301:ToewijzingNummer>
        <jw301:Product>
          <ijw:Categorie>45</ijw:Categorie>
          <ijw:Code>45A03</ijw:Code>
        </jw301:Product>
        <jw301:Toewijzingsdatum>2026-03-30</jw301:Toewijzingsdatum>
        <jw301:Toewijzingstijd>10:15:00.5</jw301:Toewijzingstijd>
        <jw301:Ingangsdatum>2026-04-01</jw301:Ingangsdatum>
        <jw301:Einddatum>2026-12-31</jw301:Einddatum>
        <jw301:Omvang>
          <ijw:Volume>3</ijw:Volume>
          <ijw:Eenheid>04</ijw:Eenheid>
          <ijw:Frequentie>2</ijw:Frequentie>
        </jw301:Omvang>
      </jw301:ToegewezenProduct>
      <jw301:ToegewezenProduct>
        <jw301:ToewijzingNummer>300202</jw301:ToewijzingNummer>
        <jw301:Toewijzingsdatum>2026-03-30</jw301:Toewijzingsdatum>
        <jw301:Toewijzingstijd>10:15:00</jw301:Toewijzingstijd>
        <jw301:Ingangsdatum>2026-04-01</jw301:Ingangsdatum>
        <jw301:Einddatum>2026-06-30</jw301:Einddatum>
        <jw301:Budget>150000</jw301:Budget>
        <jw301:Commentaar>  generiek budget  </jw301:Commentaar>
      </jw301:ToegewezenProduct>
    </jw301:ToegewezenProducten>
  </jw301:Client>
</jw301:Bericht>
"#;

#[test]
fn parses_a_jw301_with_all_classes() {
    let msg = parse(jw(301), JW301).unwrap();
    assert_eq!(msg.header.bericht_versie, 3, "integer with spaces");
    let Body::Toewijzing(c) = &msg.body else {
        panic!("expected a toewijzing")
    };
    assert_eq!(
        c.naam.geslachtsnaam.achternaam, " Wit",
        "strings keep whitespace"
    );
    assert_eq!(c.geboortedatum.datum_gebruik.as_deref(), Some("1"));
    assert_eq!(
        c.communicatie.as_ref().unwrap().taal.as_deref(),
        Some("Pools")
    );
    let rel = &c.relaties.as_ref().unwrap().relatie[0];
    assert_eq!(rel.volgorde, Some(1));
    assert_eq!(
        rel.contact.telefoon.as_ref().unwrap().telefoon01.landnummer,
        "0031"
    );
    assert_eq!(c.contactgegevens.contact.len(), 2);
    let adres = c.contactgegevens.contact[0].adres.as_ref().unwrap();
    assert_eq!(adres.huis.as_ref().unwrap().huisnummer, 12);
    assert_eq!(adres.land_code.as_deref(), Some("NL"));
    assert_eq!(
        c.contactgegevens.contact[1].periode,
        Some(OpenPeriode {
            begindatum: Some(d(2026, 4, 1)),
            einddatum: None
        })
    );
    let tp = &c.toegewezen_producten.toegewezen_product;
    assert_eq!(tp.len(), 2);
    assert_eq!(
        tp[0].toewijzingstijd,
        NaiveTime::from_hms_milli_opt(10, 15, 0, 500).unwrap()
    );
    assert_eq!(tp[0].omvang.as_ref().unwrap().frequentie, "2");
    assert_eq!(tp[1].product, None);
    assert_eq!(tp[1].budget, Some(150000));
    assert_eq!(tp[1].commentaar.as_deref(), Some("  generiek budget  "));
    assert_eq!(c.retour_codes, None);
}

#[test]
fn heenbericht_without_body_is_an_error() {
    let header_only =
        JW301.split("<jw301:Client>").next().unwrap().to_string() + "</jw301:Bericht>";
    let err = parse(jw(301), &header_only).unwrap_err();
    assert!(matches!(err, ModelError::MissingBody { .. }), "{err}");
}

#[test]
fn unknown_kind_is_an_error() {
    let err = parse(MessageKind::new(Standard::Ijw, 304), JW301).unwrap_err();
    assert!(matches!(err, ModelError::UnknownKind(_)));
}

#[test]
fn bad_date_is_an_error() {
    let broken = JW301.replace("2026-03-30", "2026-02-30");
    assert!(matches!(
        parse(jw(301), &broken),
        Err(ModelError::Xml { .. })
    ));
}

const JW302_HEADER_ONLY: &str = r#"<jw302:Bericht xmlns:jw302="http://www.istandaarden.nl/ijw/3_2/jw302/schema" xmlns:ijw="http://www.istandaarden.nl/ijw/3_2/basisschema/schema">
  <jw302:Header>
    <jw302:BerichtCode>437</jw302:BerichtCode>
    <jw302:BerichtVersie>3</jw302:BerichtVersie>
    <jw302:BerichtSubversie>2</jw302:BerichtSubversie>
    <jw302:Afzender>0513</jw302:Afzender>
    <jw302:Ontvanger>12345678</jw302:Ontvanger>
    <jw302:BerichtIdentificatie>
      <ijw:Identificatie>T-1</ijw:Identificatie>
      <ijw:Dagtekening>2026-04-01</ijw:Dagtekening>
    </jw302:BerichtIdentificatie>
    <jw302:XsdVersie>
      <ijw:BasisschemaXsdVersie>1.0.0</ijw:BasisschemaXsdVersie>
      <ijw:BerichtXsdVersie>1.0.0</ijw:BerichtXsdVersie>
    </jw302:XsdVersie>
    <jw302:IdentificatieRetour>R-77</jw302:IdentificatieRetour>
    <jw302:DagtekeningRetour>2026-04-02</jw302:DagtekeningRetour>
    <jw302:XsltVersie>1.2.0</jw302:XsltVersie>
    <jw302:XsdVersieRetour>
      <ijw:BasisschemaXsdVersie>1.0.0</ijw:BasisschemaXsdVersie>
      <ijw:BerichtXsdVersie>1.0.0</ijw:BerichtXsdVersie>
    </jw302:XsdVersieRetour>
    <jw302:RetourCodes>
      <jw302:RetourCode>0001</jw302:RetourCode>
    </jw302:RetourCodes>
  </jw302:Header>
</jw302:Bericht>"#;

#[test]
fn retour_without_body_parses_into_an_empty_body() {
    let msg = parse(jw(302), JW302_HEADER_ONLY).unwrap();
    assert_eq!(msg.body, Body::Empty);
    assert_eq!(msg.header.identificatie_retour.as_deref(), Some("R-77"));
    assert_eq!(msg.header.dagtekening_retour, Some(d(2026, 4, 2)));
    assert_eq!(msg.header.xslt_versie.as_deref(), Some("1.2.0"));
    assert!(msg.header.retour_codes.as_ref().unwrap().contains("0001"));
    assert!(msg.header.xsd_versie_retour.is_some());
}

#[test]
fn retour_with_body_carries_codes_per_class() {
    // Turn the 301 into a 302 with codes on the client and the products.
    let xml = JW301
        .replace("jw301", "jw302")
        .replace(
            "</jw302:Commentaar>\n      </jw302:ToegewezenProduct>",
            "</jw302:Commentaar>\n        <jw302:RetourCodes><jw302:RetourCode>0200</jw302:RetourCode></jw302:RetourCodes>\n      </jw302:ToegewezenProduct>",
        )
        .replace(
            "</jw302:ToegewezenProducten>",
            "</jw302:ToegewezenProducten>\n    <jw302:RetourCodes><jw302:RetourCode>0200</jw302:RetourCode><jw302:RetourCode>9332</jw302:RetourCode></jw302:RetourCodes>",
        );
    let msg = parse(jw(302), &xml).unwrap();
    let Body::Toewijzing(c) = &msg.body else {
        panic!("expected a client")
    };
    assert_eq!(
        c.retour_codes.as_ref().unwrap().retour_code,
        vec!["0200".to_string(), "9332".to_string()]
    );
    assert!(c.toegewezen_producten.toegewezen_product[1]
        .retour_codes
        .as_ref()
        .unwrap()
        .contains("0200"));
}

const JW325_HEADER: &str = r#"<Bericht xmlns="http://www.istandaarden.nl/ijw/3_2/jw325/schema" xmlns:ijw="http://www.istandaarden.nl/ijw/3_2/basisschema/schema">
  <Header>
    <BerichtCode>491</BerichtCode>
    <BerichtVersie>3</BerichtVersie>
    <BerichtSubversie>2</BerichtSubversie>
    <Afzender>0513</Afzender>
    <Ontvanger>12345678</Ontvanger>
    <BerichtIdentificatie><ijw:Identificatie>DA-1</ijw:Identificatie><ijw:Dagtekening>2026-05-10</ijw:Dagtekening></BerichtIdentificatie>
    <XsdVersie><ijw:BasisschemaXsdVersie>1.0.0</ijw:BasisschemaXsdVersie><ijw:BerichtXsdVersie>1.0.0</ijw:BerichtXsdVersie></XsdVersie>
    <DeclaratieIdentificatie><ijw:Identificatie>DECL-0001</ijw:Identificatie><ijw:Dagtekening>2026-05-04</ijw:Dagtekening></DeclaratieIdentificatie>
    <XsdVersieDeclaratie><ijw:BasisschemaXsdVersie>1.0.0</ijw:BasisschemaXsdVersie><ijw:BerichtXsdVersie>1.0.0</ijw:BerichtXsdVersie></XsdVersieDeclaratie>
    <RetourCodes><RetourCode>0200</RetourCode></RetourCodes>
  </Header>
  BODY
</Bericht>"#;

#[test]
fn parses_jw325_with_and_without_answer() {
    let header_only = JW325_HEADER.replace("BODY", "");
    let msg = parse(jw(325), &header_only).unwrap();
    assert_eq!(msg.body, Body::Empty);
    assert_eq!(
        msg.header
            .declaratie_identificatie
            .as_ref()
            .unwrap()
            .identificatie,
        "DECL-0001"
    );
    let body = r#"<DeclaratieAntwoord>
    <DeclaratieNummer>D2026041</DeclaratieNummer>
    <TotaalIngediendBedrag><ijw:TotaalBedrag>10000</ijw:TotaalBedrag><ijw:DebetCredit>D</ijw:DebetCredit></TotaalIngediendBedrag>
    <TotaalToegekendBedrag><ijw:TotaalBedrag>0</ijw:TotaalBedrag><ijw:DebetCredit>D</ijw:DebetCredit></TotaalToegekendBedrag>
    <RetourCodes><RetourCode>9333</RetourCode></RetourCodes>
  </DeclaratieAntwoord>"#;
    let msg = parse(jw(325), &JW325_HEADER.replace("BODY", body)).unwrap();
    let Body::DeclaratieAntwoord(a) = &msg.body else {
        panic!("expected an answer")
    };
    assert_eq!(a.totaal_toegekend_bedrag.totaal_bedrag, 0);
    assert!(a.clienten.is_none());
    assert!(a.retour_codes.as_ref().unwrap().contains("9333"));
    assert_eq!(a.prestaties().count(), 0);
}

#[test]
fn parses_vot_vow_and_antwoord_bodies() {
    let header = |n: u16| {
        JW302_HEADER_ONLY
            .split("<jw302:IdentificatieRetour>")
            .next()
            .unwrap()
            .replace("jw302", &format!("jw{n}"))
            + "</jw"
            + &n.to_string()
            + ":Header>"
    };
    let vot = format!(
        r#"{}
  <jw315:Client>
    <jw315:Bsn>999900006</jw315:Bsn>
    <jw315:Geboortedatum><ijw:Datum>2012-03-01</ijw:Datum></jw315:Geboortedatum>
    <jw315:Geslacht>1</jw315:Geslacht>
    <jw315:Naam><ijw:Geslachtsnaam><ijw:Achternaam>Wit</ijw:Achternaam></ijw:Geslachtsnaam></jw315:Naam>
    <jw315:GezagsdragerBekend>1</jw315:GezagsdragerBekend>
    <jw315:AangevraagdeProducten>
      <jw315:AangevraagdProduct>
        <jw315:ReferentieAanbieder>REF-1</jw315:ReferentieAanbieder>
        <jw315:Product><ijw:Categorie>45</ijw:Categorie></jw315:Product>
        <jw315:ToewijzingIngangsdatum>2026-05-01</jw315:ToewijzingIngangsdatum>
        <jw315:Verwijzer><ijw:Type>02</ijw:Type><ijw:ZorgverlenerCode>01234567</ijw:ZorgverlenerCode></jw315:Verwijzer>
      </jw315:AangevraagdProduct>
    </jw315:AangevraagdeProducten>
  </jw315:Client>
</jw315:Bericht>"#,
        header(315)
    );
    let msg = parse(jw(315), &vot).unwrap();
    let Body::Vot(c) = &msg.body else {
        panic!("expected a VOT")
    };
    let ap = &c.aangevraagde_producten.aangevraagd_product[0];
    assert_eq!(ap.verwijzer.type_verwijzer, "02");
    assert_eq!(ap.verwijzer.zorgverlener_code.as_deref(), Some("01234567"));
    assert_eq!(c.gezagsdrager_bekend.as_deref(), Some("1"));

    let vow = format!(
        r#"{}
  <jw317:Client>
    <jw317:Bsn>999900006</jw317:Bsn>
    <jw317:Verzoek>
      <jw317:ReferentieAanbieder>VOW-1</jw317:ReferentieAanbieder>
      <jw317:RedenVerzoek>2</jw317:RedenVerzoek>
      <jw317:OngewijzigdeProducten>
        <jw317:OngewijzigdProduct><jw317:ToewijzingNummer>1</jw317:ToewijzingNummer></jw317:OngewijzigdProduct>
      </jw317:OngewijzigdeProducten>
      <jw317:NieuweProducten>
        <jw317:NieuwProduct>
          <jw317:Product><ijw:Categorie>45</ijw:Categorie><ijw:Code>45A03</ijw:Code></jw317:Product>
          <jw317:GewensteIngangsdatum>2026-06-01</jw317:GewensteIngangsdatum>
          <jw317:Omvang><ijw:Volume>2</ijw:Volume><ijw:Eenheid>04</ijw:Eenheid><ijw:Frequentie>4</ijw:Frequentie></jw317:Omvang>
        </jw317:NieuwProduct>
      </jw317:NieuweProducten>
    </jw317:Verzoek>
  </jw317:Client>
</jw317:Bericht>"#,
        header(317)
    );
    let msg = parse(jw(317), &vow).unwrap();
    let Body::Vow(c) = &msg.body else {
        panic!("expected a VOW")
    };
    assert_eq!(c.verzoek.ongewijzigd().len(), 1);
    assert_eq!(c.verzoek.te_wijzigen().len(), 0);
    assert_eq!(c.verzoek.nieuw()[0].omvang.as_ref().unwrap().volume, 2);

    let antwoord = format!(
        r#"{}
  <jw319:Antwoord>
    <jw319:ReferentieAanbieder>REF-1</jw319:ReferentieAanbieder>
    <jw319:VerzoekAntwoord>1</jw319:VerzoekAntwoord>
    <jw319:RedenAfwijzingVerzoek>8</jw319:RedenAfwijzingVerzoek>
    <jw319:Woonplaatsbeginsel><jw319:Gemeente>0627</jw319:Gemeente></jw319:Woonplaatsbeginsel>
  </jw319:Antwoord>
</jw319:Bericht>"#,
        header(319)
    );
    let msg = parse(jw(319), &antwoord).unwrap();
    let Body::Antwoord(a) = &msg.body else {
        panic!("expected an answer")
    };
    assert_eq!(a.woonplaatsbeginsel.as_ref().unwrap().gemeente, "0627");
}

#[test]
fn parses_start_and_stop() {
    let header = JW302_HEADER_ONLY
        .split("<jw302:IdentificatieRetour>")
        .next()
        .unwrap()
        .to_string();
    let client = |n: u16, products: &str| {
        format!(
            r#"{}</jw{n}:Header>
  <jw{n}:Client>
    <jw{n}:Bsn>999900006</jw{n}:Bsn>
    <jw{n}:Geboortedatum><ijw:Datum>2012-03-01</ijw:Datum></jw{n}:Geboortedatum>
    <jw{n}:Geslacht>1</jw{n}:Geslacht>
    <jw{n}:Naam><ijw:Geslachtsnaam><ijw:Achternaam>Wit</ijw:Achternaam></ijw:Geslachtsnaam><ijw:Voornamen>Anna Maria</ijw:Voornamen></jw{n}:Naam>
    {products}
  </jw{n}:Client>
</jw{n}:Bericht>"#,
            header.replace("jw302", &format!("jw{n}"))
        )
    };
    let start = client(
        305,
        r#"<jw305:StartProducten><jw305:StartProduct>
      <jw305:ToewijzingNummer>7</jw305:ToewijzingNummer>
      <jw305:Begindatum>2026-04-02</jw305:Begindatum>
      <jw305:StatusAanlevering>1</jw305:StatusAanlevering>
    </jw305:StartProduct></jw305:StartProducten>"#,
    );
    let msg = parse(jw(305), &start).unwrap();
    let Body::Start(c) = &msg.body else {
        panic!("expected a start")
    };
    assert_eq!(
        c.start_producten.start_product[0].toewijzing_nummer,
        Some(7)
    );
    assert_eq!(c.naam.voornamen.as_deref(), Some("Anna Maria"));

    let stop = client(
        307,
        r#"<jw307:StopProducten><jw307:StopProduct>
      <jw307:Product><ijw:Categorie>45</ijw:Categorie></jw307:Product>
      <jw307:Begindatum>2026-04-02</jw307:Begindatum>
      <jw307:RedenBeeindiging>20</jw307:RedenBeeindiging>
      <jw307:Einddatum>2026-04-20</jw307:Einddatum>
      <jw307:StatusAanlevering>1</jw307:StatusAanlevering>
    </jw307:StopProduct></jw307:StopProducten>"#,
    );
    let msg = parse(jw(307), &stop).unwrap();
    let Body::Stop(c) = &msg.body else {
        panic!("expected a stop")
    };
    let sp = &c.stop_producten.stop_product[0];
    assert_eq!(sp.toewijzing_nummer, None);
    assert_eq!(sp.reden_beeindiging, "20");
    assert_eq!(sp.einddatum, d(2026, 4, 20));
}

#[test]
fn signed_amounts() {
    let credit = BedragMetDc {
        bedrag: 500,
        debet_credit: DebetCredit::C,
    };
    assert_eq!(credit.signed(), -500);
    let total = TotaalBedragMetDc {
        totaal_bedrag: 700,
        debet_credit: DebetCredit::D,
    };
    assert_eq!(total.signed(), 700);
}
