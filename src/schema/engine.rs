//! The layer-1 engine: one streaming pass over the XML that checks well-formedness, namespaces,
//! element order and cardinality, and every value against its simple type, and builds the
//! element tree on the way. It never stops at the first finding inside a well-formed document.

use super::def::{Content, MessageDef};
use super::SchemaSet;
use crate::finding::Finding;
use crate::message::kind::MessageKind;
use crate::message::tree::Element;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

const XSI: &[u8] = b"http://www.w3.org/2001/XMLSchema-instance";

/// Limits that keep hostile input cheap.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest element nesting accepted (real messages need about 10).
    pub max_depth: usize,
    /// Findings reported per document before the rest is summarised.
    pub max_findings: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_findings: 500,
        }
    }
}

/// What layer 1 learned about one document.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The kind named by the root namespace, when it is one we know.
    pub kind: Option<MessageKind>,
    /// Findings with byte offsets in `line` (turned into line/column by the caller).
    pub findings: Vec<(Finding, usize)>,
    /// The element tree; complete only when there are no findings.
    pub tree: Option<Element>,
}

struct Frame {
    /// Declaration this element matched; None while skipping an unexpected subtree.
    def: Option<usize>,
    /// Sequence state: index into the declaration's children, and how often it matched.
    pos: usize,
    count: u32,
    text: String,
    path_len: usize,
    offset: usize,
    elem: Element,
    /// Required children skipped while matching: (declaration, path, offset).
    pending: Vec<(usize, String, usize)>,
}

struct Run<'a> {
    def: Option<&'a MessageDef>,
    limits: Limits,
    out: Outcome,
    path: String,
    stack: Vec<Frame>,
    root_done: bool,
    stop: bool,
}

impl<'a> Run<'a> {
    fn report(&mut self, f: Finding, offset: usize) {
        if self.out.findings.len() < self.limits.max_findings {
            self.out.findings.push((f, offset));
        } else if self.out.findings.len() == self.limits.max_findings {
            let more = Finding::schema(
                "schema.too-many-findings",
                self.path.clone(),
                format!(
                    "more than {} findings; the rest is not listed",
                    self.limits.max_findings
                ),
            );
            self.out.findings.push((more, offset));
        }
    }

    fn fatal(&mut self, rule: &str, message: impl Into<String>, offset: usize) {
        let f = Finding::schema(rule, self.path.clone(), message);
        self.out.findings.push((f, offset));
        self.stop = true;
    }
}

/// Checks one document (already known to be UTF-8 without BOM) against the definitions.
pub fn check(set: &SchemaSet, text: &str, limits: Limits) -> Outcome {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_comments = true;
    let mut run = Run {
        def: None,
        limits,
        out: Outcome::default(),
        path: String::new(),
        stack: Vec::new(),
        root_done: false,
        stop: false,
    };
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_resolved_event();
        let (ns, event) = match event {
            Ok(x) => x,
            Err(e) => {
                let at = reader.error_position() as usize;
                run.fatal("xml.malformed", format!("not well-formed XML: {e}"), at);
                break;
            }
        };
        match event {
            Event::Start(e) | Event::Empty(e) if run.stack.is_empty() && run.root_done => {
                let _ = e;
                run.fatal("xml.malformed", "content after the root element", before);
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let local = String::from_utf8_lossy(e.local_name().into_inner()).into_owned();
                let ns_uri: Option<Vec<u8>> = match ns {
                    ResolveResult::Bound(n) => Some(n.into_inner().to_vec()),
                    ResolveResult::Unbound => None,
                    ResolveResult::Unknown(p) => {
                        let p = String::from_utf8_lossy(&p).into_owned();
                        run.fatal(
                            "xml.malformed",
                            format!("prefix '{p}' is not declared"),
                            before,
                        );
                        break;
                    }
                };
                if run.stack.is_empty() {
                    open_root(&mut run, set, &local, ns_uri.as_deref(), before);
                } else {
                    open_child(&mut run, &local, ns_uri.as_deref(), before);
                }
                if run.stop {
                    break;
                }
                check_attributes(&mut run, &reader, e, before);
                if run.stop {
                    break;
                }
                if run.stack.len() > run.limits.max_depth {
                    run.fatal(
                        "xml.depth",
                        format!("elements nest deeper than {} levels", run.limits.max_depth),
                        before,
                    );
                    break;
                }
                if empty {
                    close(&mut run);
                }
            }
            Event::End(_) => close(&mut run),
            Event::Text(t) => match t.xml10_content() {
                Ok(s) => add_text(&mut run, &s, before),
                Err(e) => {
                    run.fatal("xml.malformed", format!("bad text: {e}"), before);
                    break;
                }
            },
            Event::CData(c) => match c.decode() {
                Ok(s) => {
                    let s = s.replace("\r\n", "\n").replace('\r', "\n");
                    cdata_in_element_only(&mut run, before);
                    add_text(&mut run, &s, before)
                }
                Err(e) => {
                    run.fatal("xml.malformed", format!("bad CDATA: {e}"), before);
                    break;
                }
            },
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) if is_xml_char(c) => Some(c.to_string()),
                    Ok(Some(_)) | Err(_) => {
                        run.fatal(
                            "xml.malformed",
                            "character reference to a character XML forbids",
                            before,
                        );
                        break;
                    }
                    Ok(None) => match &*r.decode().unwrap_or_default() {
                        "lt" => Some("<".into()),
                        "gt" => Some(">".into()),
                        "amp" => Some("&".into()),
                        "apos" => Some("'".into()),
                        "quot" => Some("\"".into()),
                        _ => None,
                    },
                };
                match resolved {
                    Some(s) => add_text(&mut run, &s, before),
                    None => {
                        let name = String::from_utf8_lossy(&r).into_owned();
                        run.fatal(
                            "xml.entity",
                            format!("reference to undeclared entity '&{name};' (entities are never expanded)"),
                            before,
                        );
                        break;
                    }
                }
            }
            Event::Decl(d) => {
                if let Some(Ok(enc)) = d.encoding() {
                    let enc = String::from_utf8_lossy(&enc).to_ascii_uppercase();
                    if enc != "UTF-8" && enc != "UTF8" {
                        run.fatal(
                            "OP192",
                            format!("declared encoding {enc}; messages must be UTF-8"),
                            before,
                        );
                        break;
                    }
                }
            }
            Event::DocType(_) => {
                run.fatal(
                    "xml.doctype",
                    "a DOCTYPE (and any entity declaration) is refused; messages never carry one",
                    before,
                );
                break;
            }
            Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => {
                if !run.stack.is_empty() {
                    run.fatal(
                        "xml.malformed",
                        "the document ends inside an element",
                        before,
                    );
                } else if !run.root_done {
                    run.fatal(
                        "xml.empty",
                        "no root element: the document is empty",
                        before,
                    );
                }
                break;
            }
        }
        if run.stop {
            break;
        }
    }
    run.out
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn check_attributes(
    run: &mut Run,
    reader: &NsReader<&[u8]>,
    e: &quick_xml::events::BytesStart,
    at: usize,
) {
    for attr in e.attributes() {
        let attr = match attr {
            Ok(a) => a,
            Err(err) => {
                run.fatal("xml.malformed", format!("bad attribute: {err}"), at);
                return;
            }
        };
        let key = attr.key.as_ref();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            continue;
        }
        let (ns, local) = reader.resolve_attribute(attr.key);
        let name = String::from_utf8_lossy(key).into_owned();
        match ns {
            ResolveResult::Bound(n)
                if n.as_ref() == XSI
                    && matches!(
                        local.as_ref(),
                        b"schemaLocation" | b"noNamespaceSchemaLocation"
                    ) => {}
            ResolveResult::Unknown(_) => {
                run.fatal(
                    "xml.malformed",
                    format!("attribute prefix of '{name}' is not declared"),
                    at,
                );
                return;
            }
            _ => {
                let path = run.path.clone();
                run.report(
                    Finding::schema(
                        "schema.attribute",
                        path,
                        format!(
                            "attribute '{name}' is not allowed: the messages carry no attributes"
                        ),
                    ),
                    at,
                );
            }
        }
    }
}

fn open_root<'a>(run: &mut Run<'a>, set: &'a SchemaSet, local: &str, ns: Option<&[u8]>, at: usize) {
    run.path = format!("/{local}");
    let Some(ns) = ns else {
        run.fatal(
            "xml.namespace",
            "the root element has no namespace; expected an iJw/iWmo 3.2 message namespace",
            at,
        );
        return;
    };
    let ns = String::from_utf8_lossy(ns);
    let Some(kind) = MessageKind::from_namespace(&ns) else {
        run.fatal(
            "xml.namespace",
            format!("unknown message namespace '{ns}'"),
            at,
        );
        return;
    };
    run.out.kind = Some(kind);
    let Some(def) = set.get(kind) else {
        run.fatal("xml.namespace", format!("no definition for {kind}"), at);
        return;
    };
    if local != "Bericht" {
        run.fatal(
            "schema.unexpected",
            format!("root element must be 'Bericht', found '{local}'"),
            at,
        );
        return;
    }
    run.def = Some(def);
    run.stack.push(Frame {
        def: Some(def.root()),
        pos: 0,
        count: 0,
        text: String::new(),
        path_len: 0,
        offset: at,
        pending: Vec::new(),
        elem: Element {
            name: local.to_string(),
            offset: at,
            ..Element::default()
        },
    });
}

fn open_child(run: &mut Run, local: &str, ns: Option<&[u8]>, at: usize) {
    let def = run.def.expect("root opened");
    let path_len = run.path.len();
    run.path.push('/');
    run.path.push_str(local);
    let parent_path = run.path[..path_len].to_string();
    let parent = run.stack.last_mut().expect("inside root");
    let Some(pid) = parent.def else {
        // inside a subtree that is already reported: ignore its content
        push_frame(run, None, local, false, path_len, at);
        return;
    };
    let children = match &def.element(pid).content {
        Content::Simple(t) => {
            let msg = format!(
                "'{local}' is not allowed inside '{}', which holds text of type {}",
                def.element(pid).name,
                t.name
            );
            run.report(
                Finding::schema("schema.unexpected", run.path.clone(), msg),
                at,
            );
            push_frame(run, None, local, false, path_len, at);
            return;
        }
        Content::Complex(children) => children,
    };
    let parent_name = &def.element(pid).name;
    let frame_def = match match_sequence(parent, def, children, local, &parent_path, at) {
        Match::Ok { child, index } => {
            if def.element(child).max > 1 {
                run.path.push_str(&format!("[{index}]"));
            }
            Some(child)
        }
        Match::OutOfOrder { child } => {
            let msg =
                format!("'{local}' is out of order in '{parent_name}': the sequence is fixed");
            run.report(Finding::schema("schema.order", run.path.clone(), msg), at);
            Some(child)
        }
        Match::TooMany { child } => {
            let max = def.element(child).max;
            let msg = format!("'{local}' may occur at most {max} time(s) in '{parent_name}'");
            run.report(
                Finding::schema("schema.too-many", run.path.clone(), msg),
                at,
            );
            Some(child)
        }
        Match::Unexpected { expected } => {
            let names: Vec<&str> = expected
                .iter()
                .map(|e| def.element(*e).name.as_str())
                .collect();
            let msg = if names.is_empty() {
                format!(
                    "'{local}' is not expected here in '{parent_name}'; nothing more may follow"
                )
            } else {
                format!(
                    "'{local}' is not expected here in '{parent_name}'; expected {}",
                    names.join(" or ")
                )
            };
            run.report(
                Finding::schema("schema.unexpected", run.path.clone(), msg),
                at,
            );
            None
        }
    };
    if let Some(child) = frame_def {
        let el = def.element(child);
        let expected_ns = if el.basis {
            &def.basis_namespace
        } else {
            &def.namespace
        };
        let actual = ns.map(|n| String::from_utf8_lossy(n).into_owned());
        if actual.as_deref() != Some(expected_ns.as_str()) {
            let msg = format!(
                "'{local}' must be in namespace {expected_ns}, found {}",
                actual.as_deref().unwrap_or("no namespace")
            );
            run.report(
                Finding::schema("schema.namespace", run.path.clone(), msg),
                at,
            );
        }
    }
    let basis = frame_def.is_some_and(|d| def.element(d).basis);
    push_frame(run, frame_def, local, basis, path_len, at);
}

fn push_frame(
    run: &mut Run,
    def: Option<usize>,
    local: &str,
    basis: bool,
    path_len: usize,
    at: usize,
) {
    run.stack.push(Frame {
        def,
        pos: 0,
        count: 0,
        text: String::new(),
        path_len,
        offset: at,
        pending: Vec::new(),
        elem: Element {
            name: local.to_string(),
            basis,
            offset: at,
            ..Element::default()
        },
    });
}

enum Match {
    Ok {
        child: usize,
        /// 1-based occurrence of this declaration.
        index: u32,
    },
    /// The element is declared, but earlier in the sequence than where it appears.
    OutOfOrder { child: usize },
    /// The element is declared here but already occurs as often as allowed.
    TooMany { child: usize },
    /// Not declared at this point; the declarations that could still follow.
    Unexpected { expected: Vec<usize> },
}

/// Advances a parent's sequence state over an incoming child called `name`. Required
/// declarations skipped on the way are remembered as pending: reported missing when the parent
/// closes, or as out of order if they turn up later.
fn match_sequence(
    parent: &mut Frame,
    def: &MessageDef,
    children: &[usize],
    name: &str,
    parent_path: &str,
    at: usize,
) -> Match {
    let (pos, count) = (parent.pos, parent.count);
    let ahead = (pos..children.len()).find(|&p| {
        let c = def.element(children[p]);
        c.name == name && (p > pos || count < c.max)
    });
    if let Some(p) = ahead {
        for (q, &skipped) in children.iter().enumerate().take(p).skip(pos) {
            let seen = if q == pos { count } else { 0 };
            let c = def.element(skipped);
            if seen < c.min {
                parent
                    .pending
                    .push((skipped, format!("{parent_path}/{}", c.name), at));
            }
        }
        let seen = if p == pos { count } else { 0 };
        parent.pos = p;
        parent.count = seen + 1;
        return Match::Ok {
            child: children[p],
            index: seen + 1,
        };
    }
    if let Some(i) = parent
        .pending
        .iter()
        .position(|(d, _, _)| def.element(*d).name == name)
    {
        let (child, _, _) = parent.pending.remove(i);
        return Match::OutOfOrder { child };
    }
    if let Some(&c) = children.get(pos).filter(|c| def.element(**c).name == name) {
        return Match::TooMany { child: c };
    }
    if let Some(&c) = children[..pos.min(children.len())]
        .iter()
        .find(|c| def.element(**c).name == name)
    {
        return Match::OutOfOrder { child: c };
    }
    // what could come next: everything up to and including the first still-required one
    let mut open = Vec::new();
    for (i, &k) in children.iter().enumerate().skip(pos) {
        let seen = if i == pos { count } else { 0 };
        let c = def.element(k);
        if seen < c.max {
            open.push(k);
        }
        if seen < c.min {
            break;
        }
    }
    Match::Unexpected { expected: open }
}

/// A CDATA section inside element-only content is refused even when it holds only whitespace:
/// XML Schema 1.0 would tolerate it, the official tooling (libxml2) does not, and no message
/// needs it; we side with the tooling the partners validate with.
fn cdata_in_element_only(run: &mut Run, at: usize) {
    let def = run.def;
    let Some(frame) = run.stack.last() else {
        return;
    };
    if let (Some(def), Some(id)) = (def, frame.def) {
        if matches!(def.element(id).content, Content::Complex(_)) {
            let msg = format!(
                "'{}' holds elements only; a CDATA section is not allowed in it",
                def.element(id).name
            );
            run.report(Finding::schema("schema.text", run.path.clone(), msg), at);
        }
    }
}

fn add_text(run: &mut Run, s: &str, at: usize) {
    if s.chars().any(|c| !is_xml_char(c)) {
        run.fatal(
            "xml.malformed",
            "the text holds a character XML forbids (e.g. a control character)",
            at,
        );
        return;
    }
    match run.stack.last_mut() {
        Some(frame) => frame.text.push_str(s),
        None => {
            if s.chars().any(|c| !matches!(c, ' ' | '\t' | '\n' | '\r')) {
                run.fatal("xml.malformed", "text outside the root element", at);
            }
        }
    }
}

fn close(run: &mut Run) {
    let frame = run.stack.pop().expect("balanced");
    let def = run.def.expect("root opened");
    let mut elem = frame.elem;
    if let Some(id) = frame.def {
        let el = def.element(id);
        match &el.content {
            Content::Simple(t) => {
                if let Err(e) = t.check(&frame.text) {
                    let (rule, message) = if el.name == "BerichtCode" && e.facet == "pattern" {
                        berichtcode_message(def, &frame.text)
                    } else {
                        (format!("schema.{}", e.facet), e.message)
                    };
                    run.report(
                        Finding::schema(&rule, run.path.clone(), message),
                        frame.offset,
                    );
                }
                elem.text = Some(frame.text);
            }
            Content::Complex(children) => {
                if frame
                    .text
                    .chars()
                    .any(|c| !matches!(c, ' ' | '\t' | '\n' | '\r'))
                {
                    let msg = format!(
                        "'{}' holds elements only; text is not allowed in it",
                        el.name
                    );
                    run.report(
                        Finding::schema("schema.text", run.path.clone(), msg),
                        frame.offset,
                    );
                }
                for (d, path, at) in &frame.pending {
                    let msg = format!(
                        "required element '{}' is missing in '{}'",
                        def.element(*d).name,
                        el.name
                    );
                    run.report(Finding::schema("schema.missing", path.clone(), msg), *at);
                }
                let mut pos = frame.pos;
                let mut count = frame.count;
                while pos < children.len() {
                    let c = def.element(children[pos]);
                    if count < c.min {
                        let msg =
                            format!("required element '{}' is missing in '{}'", c.name, el.name);
                        let p = format!("{}/{}", run.path, c.name);
                        run.report(Finding::schema("schema.missing", p, msg), frame.offset);
                    }
                    pos += 1;
                    count = 0;
                }
            }
        }
    }
    run.path.truncate(frame.path_len);
    match run.stack.last_mut() {
        Some(parent) => {
            if frame.def.is_some() {
                parent.elem.children.push(elem);
            }
        }
        None => {
            run.root_done = true;
            run.out.tree = Some(elem);
        }
    }
}

fn berichtcode_message(def: &MessageDef, found: &str) -> (String, String) {
    let other = MessageKind::all()
        .into_iter()
        .find(|k| k.berichtcode().to_string() == found);
    let msg = match other {
        Some(k) => format!(
            "BerichtCode {found} is the code of {k}, but the namespace says {} (BerichtCode {})",
            def.kind, def.berichtcode
        ),
        None => format!(
            "BerichtCode '{found}' is not the code of {} ({})",
            def.kind, def.berichtcode
        ),
    };
    ("schema.berichtcode".to_string(), msg)
}
