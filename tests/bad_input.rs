//! Bad input never panics and always gets a precise reason (issue: read, write and validate).

use ijwmo::validate::Validator;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/fixtures/messages/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The rules of all findings of one input.
fn rules(bytes: &[u8]) -> Vec<String> {
    Validator::embedded()
        .validate(bytes)
        .findings
        .iter()
        .map(|f| f.rule.clone().unwrap_or_default())
        .collect()
}

#[test]
fn empty_and_whitespace_only_input() {
    assert_eq!(rules(b""), ["xml.empty"]);
    assert_eq!(rules(b"  \r\n "), ["xml.empty"]);
}

#[test]
fn not_xml_and_malformed_xml() {
    assert_eq!(rules(b"PK\x03\x04 zip bytes"), ["xml.malformed"]);
    let cut = fixture("JW301.xml");
    let cut = &cut[..cut.len() / 2];
    assert_eq!(rules(cut.as_bytes()), ["xml.malformed"]);
    let crossed = fixture("JW305.xml").replace("</jw305:Bsn>", "</jw305:Geslacht>");
    assert_eq!(rules(crossed.as_bytes()), ["xml.malformed"]);
    let two_roots = format!("{}<x/>", fixture("JW305.xml"));
    assert_eq!(rules(two_roots.as_bytes()), ["xml.malformed"]);
}

#[test]
fn missing_unknown_and_contradicting_namespaces() {
    let no_ns = fixture("JW305.xml").replace("xmlns:jw305=", "xmlns:other=");
    assert_eq!(
        rules(no_ns.as_bytes()),
        ["xml.malformed"],
        "undeclared prefix"
    );
    let plain = "<Bericht><Header/></Bericht>";
    assert_eq!(rules(plain.as_bytes()), ["xml.namespace"]);
    let foreign = fixture("JW305.xml").replace("ijw/3_2/jw305/schema", "ijw/3_1/jw305/schema");
    assert_eq!(rules(foreign.as_bytes()), ["xml.namespace"]);
    let code = fixture("JW305.xml").replace(">438<", ">490<");
    let report = Validator::embedded().validate(code.as_bytes());
    assert_eq!(report.findings.len(), 1);
    assert_eq!(
        report.findings[0].rule.as_deref(),
        Some("schema.berichtcode")
    );
    assert!(
        report.findings[0].message.contains("JW323"),
        "{}",
        report.findings[0].message
    );
}

#[test]
fn byte_order_mark_other_encodings_and_bad_utf8() {
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(fixture("JW305.xml").as_bytes());
    assert_eq!(rules(&bom), ["OP192"]);
    assert_eq!(rules(&[0xFF, 0xFE, b'<', 0]), ["OP192"]);
    let mut latin1 = fixture("JW305.xml").into_bytes();
    let at = latin1.windows(5).position(|w| w == b"<jw30").unwrap();
    latin1.insert(at, 0xE9); // a Latin-1 'é' is not UTF-8
    assert_eq!(rules(&latin1), ["OP192"]);
    let declared = fixture("JW305.xml").replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"");
    assert_eq!(rules(declared.as_bytes()), ["OP192"]);
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let mut v = Validator::embedded();
    v.max_bytes = 1000;
    let report = v.validate(fixture("JW301.xml").as_bytes());
    assert_eq!(report.findings[0].rule.as_deref(), Some("OP179"));
    // the real limit is 25 MB
    assert_eq!(ijwmo::validate::MAX_MESSAGE_BYTES, 25 * 1024 * 1024);
}

#[test]
fn doctype_and_entity_tricks_are_refused_never_expanded() {
    let billion = fixture("JW305.xml").replacen(
        "?>",
        "?><!DOCTYPE lol [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>",
        1,
    );
    assert_eq!(rules(billion.as_bytes()), ["xml.doctype"]);
    let external =
        fixture("JW305.xml").replacen("?>", "?><!DOCTYPE x SYSTEM \"file:///etc/passwd\">", 1);
    assert_eq!(rules(external.as_bytes()), ["xml.doctype"]);
    let undeclared = fixture("JW305.xml").replace(">999912367<", ">&xxe;<");
    assert_eq!(rules(undeclared.as_bytes()), ["xml.entity"]);
    // character references and the five predefined entities are ordinary text
    let escaped =
        fixture("JW301.xml").replace("<jw301:Commentaar>", "<jw301:Commentaar>&lt;&#65;&amp; ");
    assert!(Validator::embedded().validate(escaped.as_bytes()).valid());
}

#[test]
fn absurd_nesting_stops_at_the_depth_limit() {
    let deep = format!(
        "<a xmlns=\"http://www.istandaarden.nl/ijw/3_2/jw305/schema\">{}",
        "<Bericht>".repeat(100_000)
    );
    let deep = deep.replacen("<a ", "<Bericht ", 1);
    assert_eq!(rules(deep.as_bytes()), ["schema.unexpected", "xml.depth"]);
}

#[test]
fn attributes_are_reported_at_their_element() {
    let with_attr =
        fixture("JW305.xml").replace("<jw305:Afzender>", "<jw305:Afzender soort=\"agb\">");
    let report = Validator::embedded().validate(with_attr.as_bytes());
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].rule.as_deref(), Some("schema.attribute"));
    assert_eq!(report.findings[0].path, "/Bericht/Header/Afzender");
}

#[test]
fn any_prefix_or_a_default_namespace_is_the_same_message() {
    let original = fixture("JW323.xml");
    let renamed = original
        .replace("jw323:", "d:")
        .replace("xmlns:jw323", "xmlns:d");
    let default = original
        .replace("jw323:", "")
        .replace("xmlns:jw323", "xmlns");
    let v = Validator::embedded();
    let a = v.validate(original.as_bytes());
    let b = v.validate(renamed.as_bytes());
    let c = v.validate(default.as_bytes());
    assert!(a.valid() && b.valid() && c.valid());
    assert_eq!(
        strip(a.tree.as_ref().unwrap()),
        strip(b.tree.as_ref().unwrap())
    );
    assert_eq!(
        strip(a.tree.as_ref().unwrap()),
        strip(c.tree.as_ref().unwrap())
    );
}

/// The tree without source offsets (which differ with prefix length).
fn strip(e: &ijwmo::message::tree::Element) -> ijwmo::message::tree::Element {
    ijwmo::message::tree::Element {
        offset: 0,
        children: e.children.iter().map(strip).collect(),
        ..e.clone()
    }
}

#[test]
fn findings_carry_line_and_column() {
    let broken = fixture("JW305.xml").replace(">999912367<", ">99991236X<");
    let report = Validator::embedded().validate(broken.as_bytes());
    let f = &report.findings[0];
    assert_eq!(f.rule.as_deref(), Some("schema.pattern"));
    let line = broken
        .lines()
        .position(|l| l.contains("99991236X"))
        .unwrap() as u32
        + 1;
    assert_eq!(f.line, line);
    assert!(f.column > 1);
    assert_eq!(f.path, "/Bericht/Client/Bsn");
}
