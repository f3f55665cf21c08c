//! Edge-case probes for the differential test against the official XSDs: lexical corner cases
//! whose verdict is not predicted here. Only agreement with xmllint is checked.

use super::mutate::{node_mut, node_ref, nodes, show};
use super::{fixtures, Fixture};
use ijwmo::message::tree::Element;
use ijwmo::message::write::write;
use ijwmo::schema::simple::Base;
use ijwmo::schema::{Content, MessageDef, SchemaSet};
use ijwmo::MessageKind;
use std::collections::BTreeSet;

/// One probe message.
#[derive(Debug, Clone)]
pub struct Probe {
    pub name: String,
    pub kind: MessageKind,
    pub xml: Vec<u8>,
}

/// Probes for every kind: value corner cases on each simple element (first occurrence of each
/// declaration) plus a few raw-text documents (comments, CDATA, character references).
pub fn probes() -> Vec<Probe> {
    let mut out = Vec::new();
    for fx in fixtures() {
        let def = SchemaSet::embedded().get(fx.kind).expect("definition");
        value_probes(&fx, def, &mut out);
        structure_probes(&fx, def, &mut out);
    }
    out
}

fn value_probes(fx: &Fixture, def: &MessageDef, out: &mut Vec<Probe>) {
    let mut seen = BTreeSet::new();
    for node in nodes(def, &fx.tree) {
        let Content::Simple(ty) = &def.element(node.def).content else {
            continue;
        };
        // one element per distinct simple type (with its element-local facets) per kind
        let signature = format!(
            "{} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            ty.name,
            ty.base,
            ty.min_length,
            ty.max_length,
            ty.min,
            ty.max,
            ty.patterns.iter().map(|p| &p.source).collect::<Vec<_>>(),
            ty.enumeration.as_ref().map(|l| &l.id)
        );
        if !seen.insert(signature) {
            continue;
        }
        let orig = node_ref(&fx.tree, &node.at)
            .text
            .clone()
            .unwrap_or_default();
        let mut values: Vec<String> = vec![
            format!(" {orig} "),
            format!("\t{orig}\n"),
            format!("{orig} "),
            format!(" {orig}"),
            format!("{orig}\u{a0}"),
        ];
        match ty.base {
            Base::Integer => {
                values.extend([
                    format!("+{orig}"),
                    format!("0{orig}"),
                    format!("-{orig}"),
                    "-0".into(),
                    "+0".into(),
                    "0".into(),
                    "00".into(),
                    "+".into(),
                    "-".into(),
                    "1e2".into(),
                    "１２".into(),
                    "٣".into(),
                    "99999999999999999999999999999999999999999".into(),
                    "0000000000000000000000000000000000000000001".into(),
                ]);
                if let Some(m) = ty.max {
                    values.push(m.to_string());
                    values.push(format!("+{m}"));
                    values.push(format!("00{m}"));
                }
                if let Some(m) = ty.min {
                    values.push(m.to_string());
                }
            }
            Base::Date => values.extend(
                [
                    "2024-02-29",
                    "2000-02-29",
                    "2100-02-29",
                    "1900-02-29",
                    "0001-01-01",
                    "9999-12-31",
                    "10000-01-01",
                    "02026-01-01",
                    "-2026-01-01",
                    "0000-01-01",
                    "2026-04-01-01:00",
                    "2026-04-01+14:00",
                    "2026-04-01+15:00",
                    "2026-04-01T00:00:00",
                    "2026-02-30",
                    "2026-04-31",
                    "2026-12-31",
                    "2026-01-1",
                    "２０２６-01-01",
                ]
                .map(String::from),
            ),
            Base::Time => values.extend(
                [
                    "24:00:00",
                    "24:00:01",
                    "23:59:60",
                    "23:59:59",
                    "00:00:00",
                    "12:00:00.5",
                    "12:00:00.",
                    "12:00:00,5",
                    "12:00:00.000000000001",
                    "1:00:00",
                    "12:00:00-01:00",
                ]
                .map(String::from),
            ),
            Base::String => {
                let max = ty.max_length.unwrap_or(4);
                let min = ty.min_length.unwrap_or(0);
                values.extend([
                    "é".repeat(max),
                    "é".repeat(max + 1),
                    "𝒜".repeat(max),
                    "𝒜".repeat(max + 1),
                    "a".repeat(max),
                    "a\nb".into(),
                    "a\tb".into(),
                    "À".into(),
                    "ỳ".into(),
                    "Ỵ".into(),
                    "ÿ".into(),
                    "Ω".into(),
                    "\u{a0}".into(),
                    "\u{2003}".into(),
                    "<&>\"'".into(),
                    "a".repeat(min.saturating_sub(1)),
                    orig.to_lowercase(),
                    orig.to_uppercase(),
                ]);
                if let Some(list) = &ty.enumeration {
                    for (code, _) in list.codes.iter().take(3) {
                        values.push(format!(" {code}"));
                        values.push(format!("0{code}"));
                    }
                }
            }
        }
        values.sort();
        values.dedup();
        for value in values {
            if value == orig {
                continue;
            }
            let name = format!("{}/probe/{}={}", fx.kind, node.label, show(&value));
            let mut tree = fx.tree.clone();
            node_mut(&mut tree, &node.at).text = Some(value);
            out.push(Probe {
                name,
                kind: fx.kind,
                xml: write(def, &tree).into_bytes(),
            });
        }
    }
}

/// Raw-text probes: markup the writer never produces but a sender may.
fn structure_probes(fx: &Fixture, def: &MessageDef, out: &mut Vec<Probe>) {
    let written = write(def, &fx.tree);
    let mut push = |what: &str, xml: String| {
        out.push(Probe {
            name: format!("{}/probe-raw/{what}", fx.kind),
            kind: fx.kind,
            xml: xml.into_bytes(),
        })
    };
    let prefix = fx.kind.to_string().to_ascii_lowercase();
    let first_leaf = first_leaf(&fx.tree).expect("a leaf");
    let open = format!("<{prefix}:{}>", first_leaf.name);
    let close = format!("</{prefix}:{}>", first_leaf.name);
    let text = first_leaf.text.clone().unwrap_or_default();
    let whole = format!("{open}{text}{close}");
    if written.contains(&whole) {
        let variants = [
            ("comment-inside-value", format!("{open}{}<!-- c -->{}{close}", &text[..1], &text[1..])),
            ("cdata-value", format!("{open}<![CDATA[{text}]]>{close}")),
            ("charref-value", format!("{open}&#{};{}{close}", text.as_bytes()[0], &text[1..])),
            ("pi-inside-value", format!("{open}<?x y?>{text}{close}")),
            ("empty-tag", format!("<{prefix}:{}/>", first_leaf.name)),
            ("xsi-type-attr", format!("<{prefix}:{} xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:nil=\"false\">{text}{close}", first_leaf.name)),
            ("foreign-attr", format!("<{prefix}:{} a=\"1\">{text}{close}", first_leaf.name)),
        ];
        for (what, replacement) in variants {
            push(what, written.replacen(&whole, &replacement, 1));
        }
    }
    // a comment and whitespace between elements, a default namespace instead of a prefix
    push(
        "comment-between",
        written.replacen("\r\n  <", "\r\n  <!-- between -->\r\n  <", 1),
    );
    let default_ns = written
        .replace(&format!("xmlns:{prefix}="), "xmlns=")
        .replace(&format!("<{prefix}:"), "<")
        .replace(&format!("</{prefix}:"), "</");
    push("default-namespace", default_ns);
    push(
        "schema-location",
        written.replacen(
            " xmlns:",
            " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"urn:x x.xsd\" xmlns:",
            1,
        ),
    );
    // prolog and epilog
    let body = written
        .split_once("?>\r\n")
        .map_or(written.as_str(), |(_, b)| b);
    push("no-declaration", body.to_string());
    push(
        "lowercase-encoding",
        written.replacen("encoding=\"UTF-8\"", "encoding=\"utf-8\"", 1),
    );
    push(
        "standalone",
        written.replacen(
            "encoding=\"UTF-8\"",
            "encoding=\"UTF-8\" standalone=\"yes\"",
            1,
        ),
    );
    push(
        "comment-before-root",
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!-- c -->\r\n{body}"),
    );
    push(
        "pi-before-root",
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<?x y?>\r\n{body}"),
    );
    push("comment-after-root", format!("{written}<!-- c -->\r\n"));
    push("whitespace-after-root", format!("{written}\r\n\r\n  \t"));
    push("lf-line-ends", written.replace("\r\n", "\n"));
    // character data between elements of element-only content
    for (what, between) in [
        ("text-in-complex", "tekst"),
        ("charref-space-in-complex", "&#32;"),
        ("charref-nbsp-in-complex", "&#160;"),
        ("cdata-space-in-complex", "<![CDATA[ ]]>"),
        ("cdata-empty-in-complex", "<![CDATA[]]>"),
        ("charref-cr-in-complex", "&#13;"),
    ] {
        push(
            what,
            written.replacen("\r\n  <", &format!("\r\n  {between}<"), 1),
        );
    }
    // attributes the XSD may or may not allow on Header and its first children
    let basis = fx.kind.standard.slug();
    let xsi = "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";
    let header = format!("<{prefix}:Header>");
    let mut attr_probes: Vec<(String, String, String)> = vec![
        (
            "xsi-type-header".into(),
            header.clone(),
            format!("{xsi} xsi:type=\"{prefix}:Header\""),
        ),
        (
            "xsi-type-header-wrong".into(),
            header.clone(),
            format!("{xsi} xsi:type=\"{basis}:CDT_XsdVersie\""),
        ),
        ("xml-lang".into(), header.clone(), "xml:lang=\"nl\"".into()),
        (
            "xsi-nil-true".into(),
            header.clone(),
            format!("{xsi} xsi:nil=\"true\""),
        ),
        (
            "xsi-type-berichtidentificatie".into(),
            format!("<{prefix}:BerichtIdentificatie>"),
            format!("{xsi} xsi:type=\"{basis}:CDT_BerichtIdentificatie\""),
        ),
        (
            "xsi-type-berichtcode-base".into(),
            format!("<{prefix}:BerichtCode>"),
            format!("{xsi} xsi:type=\"{basis}:LDT_BerichtCode\""),
        ),
        (
            "xsi-type-unknown".into(),
            format!("<{prefix}:BerichtCode>"),
            format!("{xsi} xsi:type=\"{basis}:LDT_Bestaatniet\""),
        ),
    ];
    for leaf in ["Afzender", "Ontvanger"] {
        if let Some(ijwmo::schema::Content::Simple(ty)) = def
            .lookup(&["Header", leaf])
            .map(|d| &def.element(d).content)
        {
            attr_probes.push((
                format!("xsi-type-{leaf}"),
                format!("<{prefix}:{leaf}>"),
                format!("{xsi} xsi:type=\"{basis}:{}\"", ty.name),
            ));
            attr_probes.push((
                format!("xsi-type-{leaf}-string"),
                format!("<{prefix}:{leaf}>"),
                format!(
                    "{xsi} xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xsi:type=\"xs:string\""
                ),
            ));
        }
    }
    for (what, tag, attr) in attr_probes {
        if written.contains(&tag) {
            let with = format!("{} {attr}>", tag.trim_end_matches('>'));
            push(&what, written.replacen(&tag, &with, 1));
        }
    }
    // an element without namespace where a message element belongs
    let code = format!("<{prefix}:BerichtVersie>");
    if let Some(start) = written.find(&code) {
        let end_tag = format!("</{prefix}:BerichtVersie>");
        let end = written[start..]
            .find(&end_tag)
            .map(|e| start + e + end_tag.len())
            .unwrap();
        let inner = &written[start + code.len()..end - end_tag.len()];
        let unqualified = format!("<BerichtVersie>{inner}</BerichtVersie>");
        push(
            "unqualified-element",
            format!("{}{unqualified}{}", &written[..start], &written[end..]),
        );
        let reset = format!("<BerichtVersie xmlns=\"\">{inner}</BerichtVersie>");
        push(
            "empty-default-namespace",
            format!("{}{reset}{}", &written[..start], &written[end..]),
        );
    }
}

fn first_leaf(e: &Element) -> Option<&Element> {
    if e.text.as_deref().is_some_and(|t| !t.is_empty()) {
        return Some(e);
    }
    e.children.iter().find_map(first_leaf)
}
