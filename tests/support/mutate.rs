//! A deterministic mutation generator: from every valid fixture it derives invalid variants,
//! each breaking exactly one rule, by editing the element tree and writing it with the writer.
//!
//! Layer-1 families (applied at every applicable element position of every fixture):
//! `remove`, `unexpected`, `order`, `too-many`, `namespace`, `date`, `time`, `integer`,
//! `range`, `length`, `enumeration`, `pattern`, `berichtcode`. Level-2 families live in
//! [`super::level2`] and are named after the rule they break.

use super::{fixtures, level2, Fixture};
use ijwmo::message::tree::Element;
use ijwmo::message::write::write;
use ijwmo::schema::def::UNBOUNDED;
use ijwmo::schema::simple::{Base, SimpleType};
use ijwmo::schema::{Content, MessageDef, SchemaSet};
use ijwmo::MessageKind;
use std::collections::HashMap;

/// One invalid message and the one rule it breaks.
#[derive(Debug, Clone)]
pub struct Variant {
    /// e.g. `JW323/remove/Bericht/Declaratie/DeclaratieDagtekening`
    pub name: String,
    pub kind: MessageKind,
    pub xml: Vec<u8>,
    /// The one rule the validator must report, e.g. `schema.missing` or `CD075`.
    pub rule: String,
    /// Rules that share `rule`'s condition and so always fire with it (CD077 with CD078, TR383
    /// with TR101 in the 315); empty for all other variants.
    pub also: Vec<String>,
    /// The mutation family (second segment of the name).
    pub family: String,
}

impl Variant {
    /// Every rule the validator must report: `rule` and `also`.
    pub fn expected(&self) -> std::collections::BTreeSet<String> {
        std::iter::once(self.rule.clone())
            .chain(self.also.iter().cloned())
            .collect()
    }

    /// True for the CD/CS/TR variants, which must stay schema-valid.
    pub fn is_level2(&self) -> bool {
        !self.rule.starts_with("schema.")
    }
}

/// Every variant of every fixture, in a fixed order.
pub fn variants() -> Vec<Variant> {
    let mut out = Vec::new();
    for fx in fixtures() {
        let def = SchemaSet::embedded()
            .get(fx.kind)
            .unwrap_or_else(|| panic!("no definition for {}", fx.kind));
        schema_variants(&fx, def, &mut out);
        level2::variants(&fx, def, &mut out);
    }
    out
}

/// Layer-1 variants only (what the official XSD rejects).
pub fn schema_only() -> Vec<Variant> {
    variants().into_iter().filter(|v| !v.is_level2()).collect()
}

/// An element position: child indices from the root, its declaration and its display path.
#[derive(Debug, Clone)]
pub struct Node {
    pub at: Vec<usize>,
    pub def: usize,
    pub label: String,
}

/// Every element of a fixture tree with its declaration, in document order.
pub fn nodes(def: &MessageDef, tree: &Element) -> Vec<Node> {
    let mut out = vec![Node {
        at: Vec::new(),
        def: def.root(),
        label: tree.name.clone(),
    }];
    collect(def, tree, def.root(), &mut Vec::new(), &tree.name, &mut out);
    out
}

fn collect(
    def: &MessageDef,
    e: &Element,
    did: usize,
    at: &mut Vec<usize>,
    label: &str,
    out: &mut Vec<Node>,
) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, c) in e.children.iter().enumerate() {
        let cid = def
            .child(did, &c.name)
            .unwrap_or_else(|| panic!("{label}/{} is not declared", c.name));
        let n = seen.entry(c.name.as_str()).or_insert(0);
        *n += 1;
        let child_label = if def.element(cid).max > 1 {
            format!("{label}/{}[{n}]", c.name)
        } else {
            format!("{label}/{}", c.name)
        };
        at.push(i);
        out.push(Node {
            at: at.clone(),
            def: cid,
            label: child_label.clone(),
        });
        collect(def, c, cid, at, &child_label, out);
        at.pop();
    }
}

/// The element at a position.
pub fn node_mut<'a>(root: &'a mut Element, at: &[usize]) -> &'a mut Element {
    at.iter().fold(root, |e, &i| &mut e.children[i])
}

pub fn node_ref<'a>(root: &'a Element, at: &[usize]) -> &'a Element {
    at.iter().fold(root, |e, &i| &e.children[i])
}

/// Collects variants of one fixture.
pub struct Sink<'a> {
    pub fx: &'a Fixture,
    pub def: &'a MessageDef,
    pub out: &'a mut Vec<Variant>,
}

impl Sink<'_> {
    /// Clones the fixture tree, applies `edit` and records the written result.
    pub fn push(&mut self, family: &str, what: &str, rule: &str, edit: impl FnOnce(&mut Element)) {
        let mut tree = self.fx.tree.clone();
        edit(&mut tree);
        let xml = write(self.def, &tree).into_bytes();
        self.out.push(Variant {
            name: format!("{}/{family}/{what}", self.fx.kind),
            kind: self.fx.kind,
            xml,
            rule: rule.to_string(),
            also: Vec::new(),
            family: family.to_string(),
        });
    }
}

/// A value for display in a variant name.
pub fn show(v: &str) -> String {
    if v.is_empty() {
        return "(empty)".into();
    }
    v.chars()
        .map(|c| match c {
            ' ' => '␠',
            '\t' => '⇥',
            '\n' => '↵',
            c => c,
        })
        .collect()
}

fn schema_variants(fx: &Fixture, def: &MessageDef, out: &mut Vec<Variant>) {
    let all = nodes(def, &fx.tree);
    let mut sink = Sink { fx, def, out };
    for node in &all {
        let el = def.element(node.def);
        let here = node_ref(&fx.tree, &node.at);
        if let Some((&i, parent_at)) = node.at.split_last() {
            let parent = node_ref(&fx.tree, parent_at);
            let same = parent
                .children
                .iter()
                .filter(|c| c.name == here.name)
                .count() as u32;
            let last_of_name = !parent.children[i + 1..].iter().any(|c| c.name == here.name);

            // missing: an element that occurs exactly as often as it must
            if el.min >= 1 && same == el.min {
                sink.push("remove", &node.label, "schema.missing", |t| {
                    node_mut(t, parent_at).children.remove(i);
                });
            }
            // too many: one more than allowed, right after the last occurrence
            if el.max != UNBOUNDED && same == el.max && last_of_name {
                sink.push("too-many", &node.label, "schema.too-many", |t| {
                    let p = node_mut(t, parent_at);
                    let copy = p.children[i].clone();
                    p.children.insert(i + 1, copy);
                });
            }
            // wrong namespace: basisschema <-> message namespace
            sink.push("namespace", &node.label, "schema.namespace", |t| {
                let e = node_mut(t, &node.at);
                e.basis = !e.basis;
            });
            // unexpected: an unknown element after this one
            sink.push(
                "unexpected",
                &format!("{}+Onbekend", node.label),
                "schema.unexpected",
                |t| {
                    node_mut(t, parent_at)
                        .children
                        .insert(i + 1, Element::leaf("Onbekend", false, "x"));
                },
            );
        }
        match &el.content {
            Content::Complex(children) => {
                // names must be unique within a sequence for swaps to be unambiguous
                let mut names: Vec<&str> = children
                    .iter()
                    .map(|c| def.element(*c).name.as_str())
                    .collect();
                names.sort();
                names.dedup();
                assert_eq!(
                    names.len(),
                    children.len(),
                    "{}: repeated name in a sequence",
                    node.label
                );
                // unexpected: an unknown element as the first child
                sink.push(
                    "unexpected",
                    &format!("{}/Onbekend+", node.label),
                    "schema.unexpected",
                    |t| {
                        node_mut(t, &node.at)
                            .children
                            .insert(0, Element::leaf("Onbekend", false, "x"));
                    },
                );
                // order: swap each pair of adjacent siblings with different names
                for j in 0..here.children.len().saturating_sub(1) {
                    let (a, b) = (&here.children[j].name, &here.children[j + 1].name);
                    if a != b {
                        sink.push(
                            "order",
                            &format!("{}/{a}~{b}@{j}", node.label),
                            "schema.order",
                            |t| node_mut(t, &node.at).children.swap(j, j + 1),
                        );
                    }
                }
            }
            Content::Simple(ty) => {
                let original = here.text.as_deref().unwrap_or_default();
                for (family, value, rule) in value_mutations(ty, &el.name, original, def) {
                    sink.push(
                        family,
                        &format!("{}={}", node.label, show(&value)),
                        rule,
                        |t| node_mut(t, &node.at).text = Some(value.clone()),
                    );
                }
            }
        }
    }
}

/// Values that break exactly one facet of `ty`: (family, value, expected rule).
pub fn value_mutations(
    ty: &SimpleType,
    element: &str,
    original: &str,
    def: &MessageDef,
) -> Vec<(&'static str, String, &'static str)> {
    let mut v: Vec<(&'static str, String, &'static str)> = Vec::new();
    let patterned = !ty.patterns.is_empty();
    match ty.base {
        Base::Date => {
            for d in [
                "2027-06-31",
                "2023-02-29",
                "2026-13-01",
                "2026-00-10",
                "2026-04-00",
                "01-04-2026",
                "2026-4-01",
                "",
            ] {
                v.push(("date", d.into(), "schema.date"));
            }
            if patterned {
                for d in ["2026-04-01Z", "2026-04-01+01:00"] {
                    v.push(("pattern", d.into(), "schema.pattern"));
                }
            }
        }
        Base::Time => {
            for t in ["25:00:00", "12:60:00", "12:00", "12.00.00", ""] {
                v.push(("time", t.into(), "schema.time"));
            }
            if patterned {
                for t in ["12:00:00Z", "12:00:00+01:00"] {
                    v.push(("pattern", t.into(), "schema.pattern"));
                }
            }
        }
        Base::Integer => {
            for i in ["12a", "1.0", "", "1 2", "x"] {
                v.push(("integer", i.into(), "schema.integer"));
            }
            if patterned {
                for p in &ty.patterns {
                    assert!(
                        p.source.bytes().all(|b| b.is_ascii_digit()),
                        "integer pattern {} of {} has no breaker",
                        p.source,
                        ty.name
                    );
                    // a leading zero keeps the value but not the lexical form
                    v.push(("pattern", format!("0{}", p.source), "schema.pattern"));
                    let n: i128 = p.source.parse().expect("digits");
                    let other = if ty.max.is_some_and(|m| n + 1 > m) {
                        n - 1
                    } else {
                        n + 1
                    };
                    v.push(("pattern", other.to_string(), "schema.pattern"));
                }
            } else {
                if let Some(max) = ty.max {
                    v.push(("range", (max + 1).to_string(), "schema.range"));
                }
                if let Some(min) = ty.min {
                    v.push(("range", (min - 1).to_string(), "schema.range"));
                }
            }
        }
        Base::String => {
            if let Some(list) = &ty.enumeration {
                assert!(!patterned, "{}: enumeration with pattern", ty.name);
                let len = ty
                    .max_length
                    .unwrap_or(2)
                    .max(ty.min_length.unwrap_or(1))
                    .max(1);
                let code = (0..10usize.pow(len as u32))
                    .rev()
                    .map(|n| format!("{n:0len$}"))
                    .chain(std::iter::once("Z".repeat(len)))
                    .find(|c| !list.contains(c))
                    .expect("a free code");
                v.push(("enumeration", code, "schema.enumeration"));
                if ty.min_length.unwrap_or(0) == 0 && !list.contains("") {
                    v.push(("enumeration", String::new(), "schema.enumeration"));
                }
                let lower = original.to_ascii_lowercase();
                if lower != original && !list.contains(&lower) {
                    v.push(("enumeration", lower, "schema.enumeration"));
                }
            } else {
                let fits = |s: &str| {
                    let n = s.chars().count();
                    ty.min_length.is_none_or(|m| n >= m) && ty.max_length.is_none_or(|m| n <= m)
                };
                if let Some(max) = ty.max_length {
                    let fills = [original.chars().last().unwrap_or('x'), '1', 'x', 'A'];
                    let long = |fill: char| {
                        let mut s: String = original.chars().take(max).collect();
                        while s.chars().count() < max + 1 {
                            s.push(fill);
                        }
                        s
                    };
                    let value = fills
                        .iter()
                        .map(|f| long(*f))
                        .find(|s| ty.patterns.iter().all(|p| p.regex.is_match(s)))
                        .unwrap_or_else(|| long('x'));
                    v.push(("length", value, "schema.length"));
                }
                if ty.min_length.is_some_and(|m| m >= 1) {
                    v.push(("length", String::new(), "schema.length"));
                }
                for p in &ty.patterns {
                    if element == "BerichtCode" {
                        let other = MessageKind::all()
                            .into_iter()
                            .map(|k| k.berichtcode().to_string())
                            .find(|c| *c != def.berichtcode)
                            .expect("another code");
                        for c in [other, "999".to_string(), "4 9".to_string()] {
                            v.push(("berichtcode", c, "schema.berichtcode"));
                        }
                        continue;
                    }
                    let breakers = pattern_breakers(&p.source, original).unwrap_or_else(|| {
                        panic!(
                            "pattern {} of {} has no breaker: add one",
                            p.source, ty.name
                        )
                    });
                    for b in breakers {
                        if fits(&b) && b != original {
                            v.push(("pattern", b, "schema.pattern"));
                        }
                    }
                }
            }
        }
    }
    v
}

/// Values of an allowed length that do not match the pattern `source`.
fn pattern_breakers(source: &str, original: &str) -> Option<Vec<String>> {
    let with_last = |c: char| {
        let mut s: String = original.chars().collect();
        s.pop();
        s.push(c);
        s
    };
    Some(match source {
        "[0-9]{8}" => vec![with_last('A'), with_last(' '), "1234-567".into()],
        "[0-9]{9}" => vec!["99990000X".into(), "9999-0000".into(), " 99990000".into()],
        "[0-9]{4}" => vec!["05A3".into(), "513".into(), "05130".into(), " 513".into()],
        "[0-9]*" => vec![
            "06-12345678".into(),
            "+31612345678".into(),
            "0612 34567".into(),
        ],
        r".*[^\s].*" => vec![" ".into(), "   ".into(), "\t".into(), "\n".into()],
        "([a-zA-ZÀ-ỳ])+" => vec!["J.E".into(), "J E".into(), "J1".into()],
        "([a-zA-Z0-9])+" => vec!["JHG-2026".into(), "JHG 2026".into(), "JHG_2026".into()],
        r"([.\s]*\S+[.\s]*)+" => vec!["   ".into(), "\n\n".into(), " \t ".into()],
        r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)" => {
            vec![
                "01.0.0".into(),
                "1.0".into(),
                "1.0.0.0".into(),
                "v1.0.0".into(),
                "1.0.0 ".into(),
            ]
        }
        _ => return None,
    })
}
