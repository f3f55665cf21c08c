//! The layer-1 engine: one streaming pass over the XML that checks well-formedness, namespaces,
//! element order and cardinality, and every value against its simple type, and records the
//! document on the way (a [`Doc`] that borrows from the text). It never stops at the first finding inside a well-formed document.

use super::def::{Content, MessageDef, Slot};
use super::SchemaSet;
use crate::finding::Finding;
use crate::message::doc::{Doc, Name};
use crate::message::kind::MessageKind;
use crate::message::tree::Element;
use quick_xml::events::BytesStart;
use quick_xml::events::{BytesText, Event};
use quick_xml::name::{LocalName, NamespaceResolver, Prefix, ResolveResult};
use quick_xml::Reader;
use std::borrow::Cow;

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

/// What layer 1 learned about one document, with the document kept as a compact tree that
/// borrows from the text (see [`check_doc`]).
#[derive(Debug, Default)]
pub struct Checked<'a> {
    /// The kind named by the root namespace, when it is one we know.
    pub kind: Option<MessageKind>,
    /// Findings with byte offsets (turned into line/column by the caller).
    pub findings: Vec<(Finding, usize)>,
    /// Every element that matched a declaration; complete only when the root was closed.
    pub doc: Doc<'a>,
}

/// What an open element may hold besides child elements.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Holds {
    /// Simple content: its text is collected and checked against the type at the end tag.
    Text,
    /// Element content: only whitespace may appear between the children.
    Elements,
    /// An unexpected subtree that was already reported: its content is ignored.
    Nothing,
}

struct Frame<'a> {
    /// Declaration this element matched; None while skipping an unexpected subtree.
    def: Option<usize>,
    holds: Holds,
    /// Sequence state: index into the declaration's children, and how often it matched.
    pos: usize,
    count: u32,
    /// Name as written, and the `[n]` it shows in paths (matched in order and may repeat).
    name: Name<'a>,
    index: Option<u32>,
    offset: usize,
    /// Where the element is recorded in the document (matched elements only).
    node: Option<usize>,
    /// Simple content collected so far (None: no text at all).
    text: Option<Cow<'a, str>>,
    /// Element content: text other than whitespace was seen.
    stray_text: bool,
    /// Required children skipped while matching: (declaration, offset).
    pending: Vec<(usize, usize)>,
    /// The start tag declared namespaces: its scope ends with the element.
    scoped: bool,
}

/// Which namespace an element name is in, as far as matching needs to know.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ns {
    Message,
    Basis,
    Other,
    Unbound,
}

/// Namespace scopes of the document. Only start tags that declare namespaces open a scope
/// (messages declare them on the root), and the few prefixes a message uses are resolved once
/// per scope, not once per element.
struct Scopes {
    resolver: NamespaceResolver,
    /// Prefixes resolved in the current scope (`None`: no prefix); `None` as the answer marks
    /// an undeclared prefix.
    seen: Vec<(Option<Vec<u8>>, Option<Ns>)>,
}

impl Scopes {
    /// Opens the scope of a start tag that declares namespaces; the error is quick-xml's own.
    fn push(&mut self, e: &BytesStart) -> Result<(), quick_xml::name::NamespaceError> {
        self.seen.clear();
        self.resolver.push(e)
    }

    fn pop(&mut self) {
        self.seen.clear();
        self.resolver.pop();
    }

    fn resolve(&self, prefix: Option<Prefix>) -> ResolveResult<'_> {
        self.resolver.resolve_prefix(prefix, true)
    }

    /// The namespace of an element name below the root; `None` when its prefix is undeclared.
    fn element(&mut self, prefix: Option<Prefix>, def: &MessageDef) -> Option<Ns> {
        let key = prefix.map(|p| p.into_inner());
        if let Some((_, ns)) = self.seen.iter().find(|(k, _)| k.as_deref() == key) {
            return *ns;
        }
        let ns = match self.resolve(prefix) {
            ResolveResult::Bound(n) if n.into_inner() == def.namespace.as_bytes() => {
                Some(Ns::Message)
            }
            ResolveResult::Bound(n) if n.into_inner() == def.basis_namespace.as_bytes() => {
                Some(Ns::Basis)
            }
            ResolveResult::Bound(_) => Some(Ns::Other),
            ResolveResult::Unbound => Some(Ns::Unbound),
            ResolveResult::Unknown(_) => None,
        };
        self.seen.push((key.map(<[u8]>::to_vec), ns));
        ns
    }

    /// The namespace URI of an element name, for a finding that names it.
    fn uri(&self, prefix: Option<Prefix>) -> Option<String> {
        match self.resolve(prefix) {
            ResolveResult::Bound(n) => Some(String::from_utf8_lossy(n.into_inner()).into_owned()),
            _ => None,
        }
    }
}

/// Whether a start tag carries attributes at all: most carry none, and then neither namespace
/// declarations nor attribute checks need to look at it.
fn has_attributes(e: &BytesStart) -> bool {
    !e.attributes_raw().iter().all(u8::is_ascii_whitespace)
}

/// Whether a start tag declares a namespace (`xmlns` or `xmlns:p`).
fn declares_namespaces(e: &BytesStart) -> bool {
    e.attributes()
        .with_checks(false)
        .map_while(Result::ok)
        .any(|a| a.key.as_namespace_binding().is_some())
}

struct Run<'a, 'd> {
    def: Option<&'d MessageDef>,
    limits: Limits,
    out: Checked<'a>,
    stack: Vec<Frame<'a>>,
    root_done: bool,
    stop: bool,
}

impl<'a, 'd> Run<'a, 'd> {
    /// The path of the innermost open element (`[n]` on repeatable ones), built only when a
    /// finding needs it.
    fn path(&self) -> String {
        let mut p = String::new();
        for f in &self.stack {
            p.push('/');
            p.push_str(f.name.local());
            if let Some(i) = f.index {
                p.push_str(&format!("[{i}]"));
            }
        }
        p
    }

    fn report(&mut self, f: Finding, offset: usize) {
        let n = self.out.findings.len();
        if n < self.limits.max_findings {
            self.out.findings.push((f, offset));
        } else if n == self.limits.max_findings {
            let more = Finding::schema(
                "schema.too-many-findings",
                self.path(),
                format!(
                    "more than {} findings; the rest is not listed",
                    self.limits.max_findings
                ),
            );
            self.out.findings.push((more, offset));
        }
    }

    fn fatal(&mut self, rule: &str, message: impl Into<String>, offset: usize) {
        let f = Finding::schema(rule, self.path(), message);
        self.out.findings.push((f, offset));
        self.stop = true;
    }

    /// Opens an element; matched ones are recorded in the document.
    fn push(&mut self, def: Option<usize>, name: Name<'a>, index: Option<u32>, at: usize) {
        let (holds, basis) = match def.map(|d| self.def.expect("root opened").element(d)) {
            Some(el) => match el.content {
                Content::Simple(_) => (Holds::Text, el.basis),
                Content::Complex(_) => (Holds::Elements, el.basis),
            },
            None => (Holds::Nothing, false),
        };
        let node = def.map(|_| self.out.doc.open(name.clone(), basis, at));
        self.stack.push(Frame {
            def,
            holds,
            pos: 0,
            count: 0,
            name,
            index,
            offset: at,
            node,
            text: None,
            stray_text: false,
            pending: Vec::new(),
            scoped: false,
        });
    }
}

/// Checks one document (already known to be UTF-8 without BOM) against the definitions.
pub fn check(set: &SchemaSet, text: &str, limits: Limits) -> Outcome {
    let checked = check_doc(set, text, limits);
    Outcome {
        kind: checked.kind,
        tree: checked.doc.tree(),
        findings: checked.findings,
    }
}

/// Like [`check`], but keeps the document as a [`Doc`] that borrows from `text`: the typed
/// model and the element tree can be made from it without parsing again.
pub fn check_doc<'a>(set: &SchemaSet, text: &'a str, limits: Limits) -> Checked<'a> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_comments = true;
    let mut scopes = Scopes {
        resolver: NamespaceResolver::default(),
        seen: Vec::new(),
    };
    let mut run = Run {
        def: None,
        limits,
        // pretty-printed messages spend about 40 bytes per element
        out: Checked {
            doc: Doc::with_capacity(text.len() / 40),
            ..Checked::default()
        },
        stack: Vec::new(),
        root_done: false,
        stop: false,
    };
    loop {
        let before = reader.buffer_position() as usize;
        let event = match reader.read_event() {
            Ok(x) => x,
            Err(e) => {
                let at = reader.error_position() as usize;
                run.fatal("xml.malformed", format!("not well-formed XML: {e}"), at);
                break;
            }
        };
        // a start tag's namespace declarations apply to its own name and attributes
        let (attributes, scoped) = match &event {
            Event::Start(e) | Event::Empty(e) if has_attributes(e) => {
                let scoped = declares_namespaces(e);
                if scoped {
                    if let Err(err) = scopes.push(e) {
                        let at = reader.error_position() as usize;
                        let err = quick_xml::Error::Namespace(err);
                        run.fatal("xml.malformed", format!("not well-formed XML: {err}"), at);
                        break;
                    }
                }
                (true, scoped)
            }
            _ => (false, false),
        };
        match event {
            Event::Start(e) | Event::Empty(e) if run.stack.is_empty() && run.root_done => {
                let _ = e;
                run.fatal("xml.malformed", "content after the root element", before);
            }
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let qname = e.name();
                let name = name_in(text, before, qname.into_inner(), e.local_name());
                if run.stack.is_empty() {
                    match scopes.resolve(qname.prefix()) {
                        ResolveResult::Bound(n) => {
                            open_root(&mut run, set, name, Some(n.into_inner()), before)
                        }
                        ResolveResult::Unbound => open_root(&mut run, set, name, None, before),
                        ResolveResult::Unknown(p) => {
                            undeclared_prefix(&mut run, &p, before);
                            break;
                        }
                    }
                } else {
                    let def = run.def.expect("root opened");
                    let Some(ns) = scopes.element(qname.prefix(), def) else {
                        let p = qname.prefix().map_or(&b""[..], |p| p.into_inner());
                        undeclared_prefix(&mut run, p, before);
                        break;
                    };
                    let found = || scopes.uri(qname.prefix());
                    open_child(&mut run, name, ns, &found, before);
                }
                if run.stop {
                    break;
                }
                if let Some(frame) = run.stack.last_mut() {
                    frame.scoped = scoped;
                }
                if attributes {
                    check_attributes(&mut run, &scopes, e, before);
                }
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
                    close(&mut run, &mut scopes);
                }
            }
            Event::End(_) => close(&mut run, &mut scopes),
            Event::Text(t) => match raw_text(text, before, reader.buffer_position(), &t) {
                Some(raw) => add_text(&mut run, Cow::Borrowed(raw), Eols::Raw, before),
                None => match t.xml10_content() {
                    Ok(s) => add_text(&mut run, s, Eols::Normalised, before),
                    Err(e) => {
                        run.fatal("xml.malformed", format!("bad text: {e}"), before);
                        break;
                    }
                },
            },
            Event::CData(c) => match c.decode() {
                Ok(s) => {
                    let s = s.replace("\r\n", "\n").replace('\r', "\n");
                    cdata_in_element_only(&mut run, before);
                    add_text(&mut run, Cow::Owned(s), Eols::Normalised, before)
                }
                Err(e) => {
                    run.fatal("xml.malformed", format!("bad CDATA: {e}"), before);
                    break;
                }
            },
            Event::GeneralRef(r) => {
                let resolved: Option<Cow<str>> = match r.resolve_char_ref() {
                    Ok(Some(c)) if is_xml_char(c) => Some(Cow::Owned(c.to_string())),
                    Ok(Some(_)) | Err(_) => {
                        run.fatal(
                            "xml.malformed",
                            "character reference to a character XML forbids",
                            before,
                        );
                        break;
                    }
                    Ok(None) => match &*r.decode().unwrap_or_default() {
                        "lt" => Some(Cow::Borrowed("<")),
                        "gt" => Some(Cow::Borrowed(">")),
                        "amp" => Some(Cow::Borrowed("&")),
                        "apos" => Some(Cow::Borrowed("'")),
                        "quot" => Some(Cow::Borrowed("\"")),
                        _ => None,
                    },
                };
                match resolved {
                    Some(s) => add_text(&mut run, s, Eols::Normalised, before),
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

/// The content of a text event as the slice of the input it borrows: no second UTF-8 check,
/// and line ends are normalised only where the text is kept (see [`Eols`]).
fn raw_text<'a>(text: &'a str, start: usize, end: u64, t: &BytesText) -> Option<&'a str> {
    text.get(start..end as usize)
        .filter(|raw| std::ptr::eq(raw.as_bytes(), &**t))
}

/// Whether the line ends of a piece of text are already normalised (XML 1.0: CR LF and a lone
/// CR become LF). Whitespace between elements never needs it.
#[derive(Clone, Copy)]
enum Eols {
    Raw,
    Normalised,
}

/// The name of the start tag at `at`, borrowed from the text: the reader's position before a
/// start tag is its `<`, and the name follows. (A copy should that ever not hold.)
fn name_in<'a>(text: &'a str, at: usize, qname: &[u8], local: LocalName) -> Name<'a> {
    let qname = match text.get(at + 1..at + 1 + qname.len()) {
        Some(s) if std::ptr::eq(s.as_bytes(), qname) => Cow::Borrowed(s),
        _ => Cow::Owned(String::from_utf8_lossy(qname).into_owned()),
    };
    let local_at = qname.len() - local.as_ref().len();
    Name { qname, local_at }
}

fn undeclared_prefix(run: &mut Run, prefix: &[u8], at: usize) {
    let p = String::from_utf8_lossy(prefix);
    run.fatal("xml.malformed", format!("prefix '{p}' is not declared"), at);
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn check_attributes(run: &mut Run, scopes: &Scopes, e: &BytesStart, at: usize) {
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
        let (ns, local) = scopes.resolver.resolve_attribute(attr.key);
        let name = || String::from_utf8_lossy(key).into_owned();
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
                    format!("attribute prefix of '{}' is not declared", name()),
                    at,
                );
                return;
            }
            _ => {
                let path = run.path();
                run.report(
                    Finding::schema(
                        "schema.attribute",
                        path,
                        format!(
                            "attribute '{}' is not allowed: the messages carry no attributes",
                            name()
                        ),
                    ),
                    at,
                );
            }
        }
    }
}

fn open_root<'a, 'd>(
    run: &mut Run<'a, 'd>,
    set: &'d SchemaSet,
    name: Name<'a>,
    ns: Option<&[u8]>,
    at: usize,
) {
    // the root is refused before a frame exists, so these findings name their path themselves
    let local = name.local();
    let path = format!("/{local}");
    let refuse = |run: &mut Run, rule: &str, message: String| {
        run.out
            .findings
            .push((Finding::schema(rule, path.clone(), message), at));
        run.stop = true;
    };
    let Some(ns) = ns else {
        refuse(
            run,
            "xml.namespace",
            "the root element has no namespace; expected an iJw/iWmo 3.2 message namespace".into(),
        );
        return;
    };
    let ns = String::from_utf8_lossy(ns);
    let Some(kind) = MessageKind::from_namespace(&ns) else {
        let message = match MessageKind::other_release(&ns) {
            Some(release) => {
                format!("{release} is not supported; this service reads iJw/iWmo 3.2")
            }
            None => format!("unknown message namespace '{ns}'"),
        };
        refuse(run, "xml.namespace", message);
        return;
    };
    run.out.kind = Some(kind);
    let Some(def) = set.get(kind) else {
        refuse(run, "xml.namespace", format!("no definition for {kind}"));
        return;
    };
    if local != "Bericht" {
        refuse(
            run,
            "schema.unexpected",
            format!("root element must be 'Bericht', found '{local}'"),
        );
        return;
    }
    run.def = Some(def);
    run.push(Some(def.root()), name, None, at);
}

/// Opens an element below the root. `found` names the namespace the element is in, for the
/// rare finding that must say it.
fn open_child<'a>(
    run: &mut Run<'a, '_>,
    name: Name<'a>,
    ns: Ns,
    found: &dyn Fn() -> Option<String>,
    at: usize,
) {
    let def = run.def.expect("root opened");
    let parent = run.stack.last_mut().expect("inside root");
    let Some(pid) = parent.def else {
        // inside a subtree that is already reported: ignore its content
        run.push(None, name, None, at);
        return;
    };
    let local = name.local();
    let children = match &def.element(pid).content {
        Content::Simple(t) => {
            let msg = format!(
                "'{local}' is not allowed inside '{}', which holds text of type {}",
                def.element(pid).name,
                t.name
            );
            run.push(None, name.clone(), None, at);
            let path = run.path();
            run.report(Finding::schema("schema.unexpected", path, msg), at);
            return;
        }
        Content::Complex(_) => def.slots(pid),
    };
    let parent_name = &def.element(pid).name;
    let (frame_def, index, finding) = match match_sequence(parent, children, local, at) {
        Match::Ok {
            child,
            index,
            repeats,
        } => (Some(child), repeats.then_some(index), None),
        Match::OutOfOrder { child } => {
            let msg =
                format!("'{local}' is out of order in '{parent_name}': the sequence is fixed");
            (Some(child), None, Some(("schema.order", msg)))
        }
        Match::TooMany { child } => {
            let max = def.element(child).max;
            let msg = format!("'{local}' may occur at most {max} time(s) in '{parent_name}'");
            (Some(child), None, Some(("schema.too-many", msg)))
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
            (None, None, Some(("schema.unexpected", msg)))
        }
    };
    run.push(frame_def, name.clone(), index, at);
    if let Some((rule, msg)) = finding {
        let path = run.path();
        run.report(Finding::schema(rule, path, msg), at);
    }
    if let Some(child) = frame_def {
        let el = def.element(child);
        let (expected, expected_ns) = if el.basis {
            (Ns::Basis, &def.basis_namespace)
        } else {
            (Ns::Message, &def.namespace)
        };
        if ns != expected {
            let actual = found();
            let msg = format!(
                "'{local}' must be in namespace {expected_ns}, found {}",
                actual.as_deref().unwrap_or("no namespace")
            );
            let path = run.path();
            run.report(Finding::schema("schema.namespace", path, msg), at);
        }
    }
}

enum Match {
    Ok {
        child: usize,
        /// 1-based occurrence of this declaration.
        index: u32,
        /// The declaration may occur more than once (its paths show `[n]`).
        repeats: bool,
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
fn match_sequence(parent: &mut Frame, children: &[Slot], name: &str, at: usize) -> Match {
    let name = name.as_bytes();
    let (pos, count) = (parent.pos, parent.count);
    // the common case first: the same declaration again, or the next one
    let ahead = children.get(pos..).and_then(|rest| {
        rest.iter()
            .enumerate()
            .position(|(i, c)| *c.name == *name && (i > 0 || count < c.max))
            .map(|i| pos + i)
    });
    if let Some(p) = ahead {
        for (q, skipped) in children.iter().enumerate().take(p).skip(pos) {
            let seen = if q == pos { count } else { 0 };
            if seen < skipped.min {
                parent.pending.push((skipped.id, at));
            }
        }
        let seen = if p == pos { count } else { 0 };
        parent.pos = p;
        parent.count = seen + 1;
        let c = &children[p];
        return Match::Ok {
            child: c.id,
            index: seen + 1,
            repeats: c.max > 1,
        };
    }
    let slot_of = |id: usize| children.iter().find(|c| c.id == id);
    if let Some(i) = parent
        .pending
        .iter()
        .position(|(d, _)| slot_of(*d).is_some_and(|c| *c.name == *name))
    {
        let (child, _) = parent.pending.remove(i);
        return Match::OutOfOrder { child };
    }
    if let Some(c) = children.get(pos).filter(|c| *c.name == *name) {
        return Match::TooMany { child: c.id };
    }
    if let Some(c) = children[..pos.min(children.len())]
        .iter()
        .find(|c| *c.name == *name)
    {
        return Match::OutOfOrder { child: c.id };
    }
    // what could come next: everything up to and including the first still-required one
    let mut open = Vec::new();
    for (i, c) in children.iter().enumerate().skip(pos) {
        let seen = if i == pos { count } else { 0 };
        if seen < c.max {
            open.push(c.id);
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
    let (Some(def), Some(frame)) = (run.def, run.stack.last()) else {
        return;
    };
    if let (Some(id), Holds::Elements) = (frame.def, frame.holds) {
        let msg = format!(
            "'{}' holds elements only; a CDATA section is not allowed in it",
            def.element(id).name
        );
        let path = run.path();
        run.report(Finding::schema("schema.text", path, msg), at);
    }
}

/// What a piece of text holds, found in one pass over its bytes.
#[derive(PartialEq, Eq)]
enum Scan {
    /// Only space, tab, CR and LF (or nothing).
    Blank,
    Content,
    /// A character XML 1.0 forbids: in UTF-8 (which has no surrogates) a C0 control other than
    /// tab, LF and CR, or U+FFFE or U+FFFF.
    Forbidden,
}

fn scan(s: &str) -> Scan {
    let mut blank = true;
    let mut ef = false;
    for &b in s.as_bytes() {
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => {}
            0..=0x1F => return Scan::Forbidden,
            0xEF => (blank, ef) = (false, true),
            _ => blank = false,
        }
    }
    if ef && s.contains(['\u{FFFE}', '\u{FFFF}']) {
        Scan::Forbidden
    } else if blank {
        Scan::Blank
    } else {
        Scan::Content
    }
}

fn add_text<'a>(run: &mut Run<'a, '_>, s: Cow<'a, str>, eols: Eols, at: usize) {
    let scanned = scan(&s);
    if scanned == Scan::Forbidden {
        run.fatal(
            "xml.malformed",
            "the text holds a character XML forbids (e.g. a control character)",
            at,
        );
        return;
    }
    match run.stack.last_mut() {
        Some(frame) => match frame.holds {
            Holds::Text => {
                let s = match eols {
                    Eols::Raw if s.contains('\r') => {
                        Cow::Owned(s.replace("\r\n", "\n").replace('\r', "\n"))
                    }
                    _ => s,
                };
                match &mut frame.text {
                    Some(t) => t.to_mut().push_str(&s),
                    None => frame.text = Some(s),
                }
            }
            Holds::Elements => frame.stray_text |= scanned == Scan::Content,
            Holds::Nothing => {}
        },
        None => {
            if scanned == Scan::Content {
                run.fatal("xml.malformed", "text outside the root element", at);
            }
        }
    }
}

fn close(run: &mut Run, scopes: &mut Scopes) {
    let def = run.def.expect("root opened");
    let frame = run.stack.last_mut().expect("balanced");
    if frame.scoped {
        scopes.pop();
    }
    let (id, offset, node) = (frame.def, frame.offset, frame.node);
    let (pos, count, stray_text) = (frame.pos, frame.count, frame.stray_text);
    let text = frame.text.take().unwrap_or_default();
    let pending = std::mem::take(&mut frame.pending);
    let mut value = None;
    if let Some(id) = id {
        let el = def.element(id);
        match &el.content {
            Content::Simple(t) => {
                if let Err(e) = t.check(&text) {
                    let (rule, message) = if el.name == "BerichtCode" && e.facet == "pattern" {
                        berichtcode_message(def, &text)
                    } else {
                        (format!("schema.{}", e.facet), e.message)
                    };
                    let path = run.path();
                    run.report(Finding::schema(&rule, path, message), offset);
                }
                value = Some(text);
            }
            Content::Complex(children) => {
                if stray_text {
                    let msg = format!(
                        "'{}' holds elements only; text is not allowed in it",
                        el.name
                    );
                    let path = run.path();
                    run.report(Finding::schema("schema.text", path, msg), offset);
                }
                for (d, at) in &pending {
                    let name = &def.element(*d).name;
                    let msg = format!("required element '{name}' is missing in '{}'", el.name);
                    let path = format!("{}/{name}", run.path());
                    run.report(Finding::schema("schema.missing", path, msg), *at);
                }
                let mut pos = pos;
                let mut count = count;
                while pos < children.len() {
                    let c = def.element(children[pos]);
                    if count < c.min {
                        let msg =
                            format!("required element '{}' is missing in '{}'", c.name, el.name);
                        let p = format!("{}/{}", run.path(), c.name);
                        run.report(Finding::schema("schema.missing", p, msg), offset);
                    }
                    pos += 1;
                    count = 0;
                }
            }
        }
    }
    run.stack.pop();
    if let Some(node) = node {
        run.out.doc.close(node, value);
    }
    if run.stack.is_empty() {
        run.root_done = true;
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
