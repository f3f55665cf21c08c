//! Whole-message tests: XML text → model → every applicable rule.

use super::check;
use super::testutil::codes;
use crate::message::kind::MessageKind;
use crate::message::model::{parse, Body};

fn fixture(name: &str) -> Option<String> {
    let path = format!(
        "{}/fixtures/messages/{name}.xml",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).ok()
}

#[test]
fn project_fixtures_parse_and_pass_every_level2_rule() {
    let mut seen = 0;
    for kind in MessageKind::all() {
        let Some(xml) = fixture(&kind.to_string()) else {
            continue;
        };
        seen += 1;
        let msg = parse(kind, &xml).unwrap_or_else(|e| panic!("{kind}: {e}"));
        let findings = check(&msg);
        assert!(findings.is_empty(), "{kind}: {findings:#?}");
    }
    assert!(seen > 0, "no fixtures found");
}

#[test]
fn retours_are_not_checked_at_level_2() {
    let Some(xml) = fixture("JW306") else { return };
    let mut msg = parse(MessageKind::from_name("JW306").unwrap(), &xml).unwrap();
    if let Body::Start(c) = &mut msg.body {
        c.bsn = "123456781".into();
    }
    msg.header.bericht_versie = 9;
    assert!(check(&msg).is_empty());
}

const JW323_BROKEN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<jw323:Bericht xmlns:jw323="http://www.istandaarden.nl/ijw/3_2/jw323/schema" xmlns:ijw="http://www.istandaarden.nl/ijw/3_2/basisschema/schema">
  <jw323:Header>
    <jw323:BerichtCode>490</jw323:BerichtCode>
    <jw323:BerichtVersie>3</jw323:BerichtVersie>
    <jw323:BerichtSubversie>2</jw323:BerichtSubversie>
    <jw323:Afzender>12345678</jw323:Afzender>
    <jw323:Ontvanger>0513</jw323:Ontvanger>
    <jw323:BerichtIdentificatie>
      <ijw:Identificatie>DECL-0002</ijw:Identificatie>
      <ijw:Dagtekening>2026-10-02</ijw:Dagtekening>
    </jw323:BerichtIdentificatie>
    <jw323:XsdVersie>
      <ijw:BasisschemaXsdVersie>1.0.0</ijw:BasisschemaXsdVersie>
      <ijw:BerichtXsdVersie>1.0.0</ijw:BerichtXsdVersie>
    </jw323:XsdVersie>
  </jw323:Header>
  <jw323:Declaratie>
    <jw323:DeclaratieNummer>D2026091</jw323:DeclaratieNummer>
    <jw323:DeclaratiePeriode>
      <ijw:Begindatum>2026-09-01</ijw:Begindatum>
      <ijw:Einddatum>2026-09-29</ijw:Einddatum>
    </jw323:DeclaratiePeriode>
    <jw323:DeclaratieDagtekening>2026-10-02</jw323:DeclaratieDagtekening>
    <jw323:TotaalIngediendBedrag>
      <ijw:TotaalBedrag>1</ijw:TotaalBedrag>
      <ijw:DebetCredit>D</ijw:DebetCredit>
    </jw323:TotaalIngediendBedrag>
    <jw323:Clienten>
      <jw323:Client>
        <jw323:Bsn>123456781</jw323:Bsn>
        <jw323:Prestaties>
          <jw323:Prestatie>
            <jw323:ProductReferentie>
              <ijw:ReferentieNummer>R-1</ijw:ReferentieNummer>
              <ijw:VorigReferentieNummer>R-0</ijw:VorigReferentieNummer>
            </jw323:ProductReferentie>
            <jw323:ToewijzingNummer>7</jw323:ToewijzingNummer>
            <jw323:ProductCategorie>45</jw323:ProductCategorie>
            <jw323:ProductCode>45A03</jw323:ProductCode>
            <jw323:ProductPeriode>
              <ijw:Begindatum>2026-09-01</ijw:Begindatum>
              <ijw:Einddatum>2026-09-30</ijw:Einddatum>
            </jw323:ProductPeriode>
            <jw323:GeleverdVolume>10</jw323:GeleverdVolume>
            <jw323:Eenheid>83</jw323:Eenheid>
            <jw323:ProductTarief>100</jw323:ProductTarief>
            <jw323:IngediendBedrag>
              <ijw:Bedrag>1000</ijw:Bedrag>
              <ijw:DebetCredit>D</ijw:DebetCredit>
            </jw323:IngediendBedrag>
          </jw323:Prestatie>
        </jw323:Prestaties>
      </jw323:Client>
    </jw323:Clienten>
  </jw323:Declaratie>
</jw323:Bericht>
"#;

#[test]
fn a_broken_declaration_reports_every_rule_not_just_the_first() {
    let kind = MessageKind::from_name("JW323").unwrap();
    let msg = parse(kind, JW323_BROKEN).unwrap();
    let f = check(&msg);
    assert_eq!(
        codes(&f),
        ["CS340", "CS002", "CD087", "CS339", "CD060", "TR358"],
        "{f:#?}"
    );
    assert!(f.iter().all(|f| f.retour_code.as_deref() == Some("0001")));
    assert_eq!(
        f[2].path,
        "/Bericht/Declaratie/Clienten/Client[1]/Prestaties/Prestatie[1]/ProductTarief"
    );
}

#[test]
fn same_rules_on_a_default_namespace_document() {
    let text = JW323_BROKEN
        .replace("jw323:", "")
        .replace("xmlns:jw323=", "xmlns=");
    let kind = MessageKind::from_name("JW323").unwrap();
    let a = check(&parse(kind, JW323_BROKEN).unwrap());
    let b = check(&parse(kind, &text).unwrap());
    assert_eq!(a, b);
}

#[test]
fn iwmo_319_skips_the_woonplaatsbeginsel_rules() {
    let Some(xml) = fixture("WMO319") else { return };
    let kind = MessageKind::from_name("WMO319").unwrap();
    let mut msg = parse(kind, &xml).unwrap();
    if let Body::Antwoord(a) = &mut msg.body {
        a.verzoek_antwoord = "1".into();
        a.reden_afwijzing_verzoek = Some("8".into());
    }
    assert!(check(&msg).is_empty());
    let mut jw = msg.clone();
    jw.kind = MessageKind::from_name("JW319").unwrap();
    assert_eq!(codes(&check(&jw)), ["TR377"]);
}
