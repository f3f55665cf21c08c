//! Writes an element tree as an iJw/iWmo message: UTF-8 without BOM, CR/LF line ends (OP192),
//! the message namespace on prefix `jwNNN`/`wmoNNN` and the basisschema on `ijw`/`iwmo`.

use super::tree::Element;
use crate::schema::MessageDef;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

/// Serialises `tree` (rooted at `Bericht`) as a message of the kind `def` describes.
pub fn write(def: &MessageDef, tree: &Element) -> String {
    let msg_prefix = def.kind.to_string().to_ascii_lowercase();
    let basis_prefix = def.kind.standard.slug();
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .expect("writing to memory");
    write_element(&mut w, tree, &msg_prefix, basis_prefix, Some(def));
    let text = String::from_utf8(w.into_inner()).expect("built from strings");
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        out.push_str(line.strip_suffix('\r').unwrap_or(line));
    }
    out.push_str("\r\n");
    out
}

fn write_element(
    w: &mut Writer<Vec<u8>>,
    e: &Element,
    msg_prefix: &str,
    basis_prefix: &str,
    root: Option<&MessageDef>,
) {
    let name = format!(
        "{}:{}",
        if e.basis { basis_prefix } else { msg_prefix },
        e.name
    );
    let mut start = BytesStart::new(name.as_str());
    if let Some(def) = root {
        start.push_attribute((
            format!("xmlns:{msg_prefix}").as_str(),
            def.namespace.as_str(),
        ));
        start.push_attribute((
            format!("xmlns:{basis_prefix}").as_str(),
            def.basis_namespace.as_str(),
        ));
    }
    w.write_event(Event::Start(start))
        .expect("writing to memory");
    if let Some(text) = &e.text {
        // escape markup, and keep carriage returns as references so the CR/LF line ends of
        // the file cannot change a value
        let escaped = quick_xml::escape::escape(text.as_str()).replace('\r', "&#13;");
        w.write_event(Event::Text(BytesText::from_escaped(escaped)))
            .expect("writing to memory");
    }
    for c in &e.children {
        write_element(w, c, msg_prefix, basis_prefix, None);
    }
    w.write_event(Event::End(BytesEnd::new(name.as_str())))
        .expect("writing to memory");
}
