//! The validator reads the typed model from the document layer 1 recorded instead of parsing the
//! text again; that must give exactly what `model::parse` gives, errors included.

mod support;

use ijwmo::message::doc::Locator;
use ijwmo::message::model;
use ijwmo::schema::engine;
use ijwmo::validate::Validator;
use ijwmo::MessageKind;

/// Both readings of one schema-valid text, compared.
fn same_model(name: &str, kind: MessageKind, xml: &[u8]) {
    let v = Validator::embedded();
    let text = std::str::from_utf8(xml).expect("UTF-8");
    let checked = engine::check_doc(v.schemas, text, v.limits);
    assert!(checked.findings.is_empty(), "{name}: not schema-valid");
    let from_doc = model::from_doc(kind, &checked.doc).map_err(|e| e.to_string());
    let parsed = model::parse(kind, text).map_err(|e| e.to_string());
    assert_eq!(from_doc, parsed, "{name}");
}

#[test]
fn fixtures_variants_probes_and_corpus_read_the_same() {
    for fx in support::fixtures() {
        same_model(&fx.file.display().to_string(), fx.kind, &fx.bytes);
    }
    let level2: Vec<_> = support::mutate::variants()
        .into_iter()
        .filter(|v| v.is_level2())
        .collect();
    assert!(level2.len() > 300, "only {} level-2 variants", level2.len());
    for v in &level2 {
        same_model(&v.name, v.kind, &v.xml);
    }
    // lexical corner cases (whitespace, references, CDATA, comments) that pass layer 1
    let v = Validator::embedded();
    let mut valid_probes = 0;
    for p in support::probe::probes() {
        if v.validate(&p.xml).schema_valid() {
            same_model(&p.name, p.kind, &p.xml);
            valid_probes += 1;
        }
    }
    assert!(
        valid_probes > 100,
        "only {valid_probes} schema-valid probes"
    );
    let kind = MessageKind::new(ijwmo::Standard::Ijw, 323);
    for f in ijwmo::corpus::jw323_declarations(50, 1, 0) {
        same_model(&f.name, kind, f.xml.as_bytes());
    }
}

#[test]
fn prefixes_group_lists_as_the_text_reader_does() {
    // A second prefix for the message namespace on the last of three Prestatie elements: the
    // text reader groups a list by qualified name, so it sees the field twice and fails; the
    // document reading must fail the same way.
    let fx = support::fixtures()
        .into_iter()
        .find(|f| f.file.ends_with("JW323.xml"))
        .expect("JW323 fixture");
    let text = String::from_utf8(fx.bytes.clone()).expect("UTF-8");
    let ns = fx.kind.namespace();
    let with_q = text.replacen(
        &format!("xmlns:jw323=\"{ns}\""),
        &format!("xmlns:jw323=\"{ns}\" xmlns:q=\"{ns}\""),
        1,
    );
    same_model("second prefix declared", fx.kind, with_q.as_bytes());
    let (open, close) = ("<jw323:Prestatie>", "</jw323:Prestatie>");
    let (o, c) = (with_q.rfind(open).unwrap(), with_q.rfind(close).unwrap());
    let mut renamed = with_q.clone();
    renamed.replace_range(c..c + close.len(), "</q:Prestatie>");
    renamed.replace_range(o..o + open.len(), "<q:Prestatie>");
    same_model("q:Prestatie", fx.kind, renamed.as_bytes());
    let err = model::parse(fx.kind, &renamed).unwrap_err().to_string();
    assert!(err.contains("duplicate field `Prestatie`"), "{err}");
}

#[test]
fn the_tree_is_optional_and_changes_nothing_else() {
    let with = Validator::embedded();
    let without = Validator::embedded().keep_tree(false);
    for fx in support::fixtures() {
        let a = with.validate(&fx.bytes);
        let b = without.validate(&fx.bytes);
        assert_eq!(a.findings, b.findings);
        assert_eq!(a.kind, b.kind);
        assert_eq!(a.tree.as_ref(), Some(&fx.tree));
        assert!(b.tree.is_none());
    }
}

#[test]
fn document_paths_are_the_tree_paths() {
    let v = Validator::embedded();
    let mut indexed = 0;
    for fx in support::fixtures() {
        let def = v.schemas.get(fx.kind).expect("definition");
        let repeats = |names: &[&str]| def.lookup(names).is_some_and(|id| def.element(id).max > 1);
        let mut from_tree = Vec::new();
        fx.tree.walk_paths(&repeats, &mut |p, e| {
            from_tree.push((p.to_string(), e.offset))
        });
        let text = std::str::from_utf8(&fx.bytes).expect("UTF-8");
        let checked = engine::check_doc(v.schemas, text, v.limits);
        let mut from_doc = Vec::new();
        checked
            .doc
            .walk_paths(&repeats, &mut |p, at| from_doc.push((p.to_string(), at)));
        assert_eq!(from_doc, from_tree, "{}", fx.file.display());
        indexed += from_doc.iter().filter(|(p, _)| p.ends_with(']')).count();
        // walking a path finds the first element with it, in any order of asking
        let mut locator = Locator::new(&checked.doc, &repeats);
        for (p, at) in from_doc.iter().rev().chain(&from_doc) {
            let first = from_doc.iter().find(|(q, _)| q == p).map(|(_, a)| *a);
            assert_eq!(locator.locate(p), first, "{p}");
            assert_eq!(first, Some(*at), "{p} occurs twice");
        }
        for p in [
            "/Bericht/Header/",
            "/Bericht/Nergens",
            "Bericht",
            "/Bericht/Header[1]",
        ] {
            assert_eq!(locator.locate(p), None, "{p}");
        }
        for (p, _) in from_doc.iter().filter(|(p, _)| p.ends_with("[1]")) {
            let stem = &p[..p.len() - 3];
            for odd in ["[01]", "[+1]", "[]", "[1"] {
                assert_eq!(locator.locate(&format!("{stem}{odd}")), None, "{stem}{odd}");
            }
        }
    }
    assert!(indexed > 0, "no repeatable element in any fixture");
}
