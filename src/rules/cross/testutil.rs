//! Builders for the layer-3 tests: state records, in-memory contexts, heenberichten from the
//! fixtures, and the validity check every answer must pass.

pub use crate::rules::testutil::d;

use super::DecideInput;
use crate::message::kind::{MessageKind, Standard};
use crate::message::model::{parse, Message, Product};
use crate::message::tree::Element;
use crate::state::{
    Antwoord, ClientState, Context, Levering, LeveringSoort, Outgoing, Prestatie, PrestatieStatus,
    Toewijzing, Verzoek, VerzoekSoort, VerzoekStatus,
};
use crate::validate::Validator;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use std::path::Path;
use std::process::Command;

/// The iJw fixture client (test range, passes the elfproef).
pub const BSN: &str = "999912367";
/// The iWmo fixture client, used here as "another client".
pub const OTHER_BSN: &str = "999934594";
pub const AGB: &str = "98076541";
pub const GEMEENTE: &str = "0513";

pub fn product(categorie: &str, code: Option<&str>) -> Product {
    Product {
        categorie: categorie.into(),
        code: code.map(str::to_string),
    }
}

pub fn received() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 9, 8, 0, 0).unwrap()
}

/// Allocation `nummer` of [`BSN`]: 45A03, 3 uur per week, 2026-07-01 to 2026-12-31.
pub fn toewijzing(nummer: i64) -> Toewijzing {
    Toewijzing {
        standard: Standard::Ijw,
        gemeente: GEMEENTE.into(),
        agb: AGB.into(),
        bsn: BSN.into(),
        nummer,
        referentie_aanbieder: None,
        categorie: Some("45".into()),
        code: Some("45A03".into()),
        toewijzingsmoment: d(2026, 6, 26).and_hms_opt(10, 0, 0).unwrap(),
        ingangsdatum: d(2026, 7, 1),
        einddatum: Some(d(2026, 12, 31)),
        reden_wijziging: None,
        volume: Some(3),
        eenheid: Some("04".into()),
        frequentie: Some("2".into()),
        budget: None,
        geboortedatum: Some(d(2010, 5, 17)),
        message_id: 1,
        received_at: received(),
    }
}

fn levering(soort: LeveringSoort, nummer: i64, begin: NaiveDate) -> Levering {
    Levering {
        standard: Standard::Ijw,
        gemeente: GEMEENTE.into(),
        agb: AGB.into(),
        bsn: BSN.into(),
        soort,
        toewijzing_nummer: Some(nummer),
        categorie: Some("45".into()),
        code: Some("45A03".into()),
        begindatum: begin,
        einddatum: None,
        reden_beeindiging: None,
        toewijzing_ingangsdatum: None,
        deleted: false,
        message_id: 2,
        received_at: received(),
    }
}

/// A start of 45A03 on allocation `nummer`.
pub fn start(nummer: i64, begin: NaiveDate) -> Levering {
    levering(LeveringSoort::Start, nummer, begin)
}

/// A stop of 45A03 on allocation `nummer`.
pub fn stop(nummer: i64, begin: NaiveDate, reden: &str, eind: NaiveDate) -> Levering {
    Levering {
        einddatum: Some(eind),
        reden_beeindiging: Some(reden.into()),
        ..levering(LeveringSoort::Stop, nummer, begin)
    }
}

pub fn verzoek(referentie: &str, soort: VerzoekSoort) -> Verzoek {
    Verzoek {
        standard: Standard::Ijw,
        gemeente: GEMEENTE.into(),
        agb: AGB.into(),
        bsn: BSN.into(),
        referentie: referentie.into(),
        soort,
        status: VerzoekStatus::Open,
        dagtekening: d(2026, 6, 22),
        message_id: 3,
        received_at: received(),
    }
}

pub fn antwoord(referentie: &str, verzoek_antwoord: &str) -> Antwoord {
    Antwoord {
        standard: Standard::Ijw,
        gemeente: GEMEENTE.into(),
        agb: AGB.into(),
        referentie: referentie.into(),
        verzoek_antwoord: verzoek_antwoord.into(),
        reden_afwijzing: (verzoek_antwoord == "1").then(|| "2".to_string()),
        message_id: 4,
        received_at: received(),
    }
}

/// An approved prestatie of [`BSN`] on allocation `nummer` for August 2026: 45A03 in hours at
/// 9385 cents, `bedrag` signed (negative for a credit), volume = |bedrag| / 9385 rounded down.
pub fn prestatie(referentie: &str, vorig: Option<&str>, nummer: i64, bedrag: i64) -> Prestatie {
    Prestatie {
        standard: Standard::Ijw,
        gemeente: GEMEENTE.into(),
        agb: AGB.into(),
        bsn: BSN.into(),
        declaratie_nummer: "D1".into(),
        referentie_nummer: referentie.into(),
        vorig_referentie_nummer: vorig.map(str::to_string),
        toewijzing_nummer: nummer,
        categorie: "45".into(),
        code: "45A03".into(),
        begindatum: d(2026, 8, 1),
        einddatum: d(2026, 8, 31),
        volume: bedrag.abs() / 9385,
        eenheid: "04".into(),
        tarief: Some(9385),
        bedrag,
        status: PrestatieStatus::Goedgekeurd,
        retour_codes: Vec::new(),
        message_id: 5,
        received_at: received(),
    }
}

pub fn client_met(toewijzingen: Vec<Toewijzing>, leveringen: Vec<Levering>) -> ClientState {
    ClientState {
        toewijzingen,
        leveringen,
        ..ClientState::default()
    }
}

pub fn client_met_prestaties(prestaties: Vec<Prestatie>) -> ClientState {
    ClientState {
        toewijzingen: vec![toewijzing(17)],
        prestaties,
        ..ClientState::default()
    }
}

/// A context holding `client` as [`BSN`].
pub fn context_with(client: ClientState) -> Context {
    let mut ctx = Context::default();
    ctx.clients.insert(BSN.into(), client);
    ctx
}

/// A heenbericht as the pipeline hands it to the rules.
pub struct Heen {
    pub msg: Message,
    pub tree: Element,
    pub text: String,
    pub level2_failed: bool,
}

impl Heen {
    pub fn input(&self, today: NaiveDate) -> DecideInput<'_> {
        DecideInput {
            msg: &self.msg,
            tree: &self.tree,
            received_at: received(),
            today,
            answer_id: "R0123456789a",
            level2_failed: self.level2_failed,
            text: &self.text,
        }
    }
}

/// Reads a heenbericht from its text the way the pipeline does: validator (layers 1 and 2),
/// then the typed model. Panics when it is not schema-valid.
pub fn heen_xml(text: &str) -> Heen {
    let report = Validator::embedded().validate(text.as_bytes());
    let kind = report.kind.expect("a known message kind");
    let tree = report
        .tree
        .clone()
        .unwrap_or_else(|| panic!("{kind} is not schema-valid: {:#?}", report.findings));
    Heen {
        msg: parse(kind, text).unwrap_or_else(|e| panic!("{kind}: {e}")),
        tree,
        text: text.to_string(),
        level2_failed: !report.valid(),
    }
}

pub fn fixture_text(name: &str) -> String {
    let path = format!(
        "{}/fixtures/messages/{name}.xml",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A fixture heenbericht, e.g. `heen("JW305")`.
pub fn heen(name: &str) -> Heen {
    heen_xml(&fixture_text(name))
}

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/istandaarden");

/// Every answer the service writes must pass our validator (layers 1 and 2) and, for iJw kinds
/// when `xmllint` and the official XSDs are present, the official XSD.
pub fn assert_valid_answer(out: &Outgoing) {
    let report = Validator::embedded().validate(out.xml.as_bytes());
    assert_eq!(report.kind, Some(out.kind), "{}", out.xml);
    assert!(
        report.valid(),
        "{} is not valid: {:#?}\n{}",
        out.kind,
        report.findings,
        out.xml
    );
    if out.kind.standard != Standard::Ijw {
        return;
    }
    let xsd = format!("{SHARED}/ijw-3.2/{}.xsd", out.kind);
    if !Path::new(&xsd).exists() || Command::new("xmllint").arg("--version").output().is_err() {
        eprintln!("note: xmllint or {xsd} missing; official XSD check skipped");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join(format!("{}.xml", out.kind));
    std::fs::write(&file, &out.xml).expect("write answer");
    let res = Command::new("xmllint")
        .args(["--noout", "--schema", &xsd])
        .arg(&file)
        .output()
        .expect("run xmllint");
    assert!(
        res.status.success(),
        "{} fails the official XSD: {}\n{}",
        out.kind,
        String::from_utf8_lossy(&res.stderr),
        out.xml
    );
}

/// The kind named e.g. `JW306`.
pub fn kind(name: &str) -> MessageKind {
    MessageKind::from_name(name).expect("a message kind")
}
