//! Feeds arbitrary bytes to the parser and validator: it must never panic, and whatever it
//! accepts must survive a write and a second validation unchanged.
#![no_main]

use ijwmo::schema::SchemaSet;
use ijwmo::validate::Validator;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let v = Validator::embedded();
    let report = v.validate(data);
    if let (Some(kind), Some(tree), true) = (report.kind, report.tree.as_ref(), report.valid()) {
        let def = SchemaSet::embedded().get(kind).expect("known kind");
        let written = ijwmo::message::write::write(def, tree);
        let again = v.validate(written.as_bytes());
        assert!(again.valid(), "a valid message must stay valid after writing: {:?}", again.findings);
        assert_eq!(again.tree.as_ref().map(|t| strip(t)), Some(strip(tree)));
    }
});

/// The tree without source offsets, for comparing a message with its rewritten self.
fn strip(e: &ijwmo::message::tree::Element) -> ijwmo::message::tree::Element {
    let mut c = e.clone();
    c.offset = 0;
    c.children = e.children.iter().map(strip).collect();
    c
}
