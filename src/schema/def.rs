//! Reads the project's message definitions (`schemas/*/*.def`, format in `schemas/README.md`)
//! into element trees the layer-1 engine walks.

use super::simple::{Base, CodeList, Pattern, SimpleType};
use crate::message::kind::{MessageKind, Standard};
use std::collections::HashMap;
use std::sync::Arc;
use thiserror::Error;

/// A definition file that cannot be read: which file, which line, what is wrong.
#[derive(Debug, Error)]
#[error("{file}:{line}: {message}")]
pub struct DefError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// Unbounded `max` (`*`).
pub const UNBOUNDED: u32 = u32::MAX;

/// The content of an element: children in a fixed sequence, or text of a simple type.
#[derive(Debug, Clone)]
pub enum Content {
    Complex(Vec<usize>),
    Simple(Arc<SimpleType>),
}

/// One element declaration in a message tree (an arena node).
#[derive(Debug, Clone)]
pub struct ElementDef {
    pub name: String,
    pub min: u32,
    pub max: u32,
    /// True when the element is in the basisschema namespace (child of a `CDT_*`).
    pub basis: bool,
    pub content: Content,
}

impl ElementDef {
    pub fn children(&self) -> &[usize] {
        match &self.content {
            Content::Complex(c) => c,
            Content::Simple(_) => &[],
        }
    }
}

/// One message kind's full definition.
#[derive(Debug, Clone)]
pub struct MessageDef {
    pub kind: MessageKind,
    pub berichtcode: String,
    pub namespace: String,
    pub basis_namespace: String,
    /// Arena of element declarations; index 0 is the root `Bericht`.
    pub elements: Vec<ElementDef>,
    /// Per declaration, its children as the engine matches them (see [`Slot`]).
    slots: Vec<Box<[Slot]>>,
}

/// A child declaration compiled for matching: its name and cardinality in one contiguous row
/// per parent, so matching a child compares bytes without visiting the arena.
#[derive(Debug, Clone)]
pub struct Slot {
    pub name: Box<[u8]>,
    pub id: usize,
    pub min: u32,
    pub max: u32,
}

impl MessageDef {
    pub fn root(&self) -> usize {
        0
    }
    pub fn element(&self, id: usize) -> &ElementDef {
        &self.elements[id]
    }
    /// The children of `parent` compiled for matching (empty for simple content).
    pub fn slots(&self, parent: usize) -> &[Slot] {
        &self.slots[parent]
    }
    /// The child declaration of `parent` called `name`, if any.
    pub fn child(&self, parent: usize, name: &str) -> Option<usize> {
        self.elements[parent]
            .children()
            .iter()
            .copied()
            .find(|c| self.elements[*c].name == name)
    }
    /// The declaration at a path of local names below the root, e.g. `["Header", "BerichtCode"]`.
    pub fn lookup(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .try_fold(self.root(), |at, name| self.child(at, name))
    }
}

/// One line of an element tree: `NAME MIN..MAX [TYPE] [FACET...]` at an indentation depth.
#[derive(Debug, Clone)]
struct Line {
    depth: usize,
    no: usize,
    name: String,
    min: u32,
    max: u32,
    ty: Option<String>,
    facets: Vec<String>,
}

/// Definitions of one standard release (one `schemas/` folder).
#[derive(Debug, Default)]
struct StandardDefs {
    standard: Option<Standard>,
    basis_namespace: String,
    lists: HashMap<String, Arc<CodeList>>,
    types: HashMap<String, Arc<SimpleType>>,
    composites: HashMap<String, Vec<Line>>,
    messages: Vec<(String, Vec<(usize, String)>)>,
}

fn strip(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end()))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
}

fn depth_of(line: &str) -> usize {
    (line.len() - line.trim_start().len()) / 2
}

/// Loads every standard from `(relative path, contents)` pairs, e.g. the embedded files.
pub fn load(files: &[(&str, &str)]) -> Result<Vec<MessageDef>, DefError> {
    let mut by_dir: HashMap<&str, Vec<(&str, &str)>> = HashMap::new();
    for (path, text) in files {
        let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        by_dir.entry(dir).or_default().push((path, text));
    }
    let mut out = Vec::new();
    let mut dirs: Vec<_> = by_dir.into_iter().collect();
    dirs.sort();
    for (_, mut files) in dirs {
        // standard and code lists first, then types, then messages
        files.sort_by_key(|(p, _)| match p.rsplit('/').next().unwrap_or(p) {
            "standard.def" => 0,
            "codelists.def" => 1,
            "basisschema.def" => 2,
            _ => 3,
        });
        let mut defs = StandardDefs::default();
        for (path, text) in files {
            let name = path.rsplit('/').next().unwrap_or(path);
            match name {
                "standard.def" => read_standard(&mut defs, path, text)?,
                "codelists.def" => read_codelists(&mut defs, path, text)?,
                "basisschema.def" => read_basisschema(&mut defs, path, text)?,
                _ => defs.messages.push((
                    path.to_string(),
                    strip(text).map(|(n, l)| (n, l.to_string())).collect(),
                )),
            }
        }
        for (path, lines) in &defs.messages {
            out.push(build_message(&defs, path, lines)?);
        }
    }
    Ok(out)
}

fn fail<T>(file: &str, line: usize, message: impl Into<String>) -> Result<T, DefError> {
    Err(DefError {
        file: file.to_string(),
        line,
        message: message.into(),
    })
}

fn read_standard(defs: &mut StandardDefs, path: &str, text: &str) -> Result<(), DefError> {
    for (no, line) in strip(text) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["standard", "ijw", _] => defs.standard = Some(Standard::Ijw),
            ["standard", "iwmo", _] => defs.standard = Some(Standard::Iwmo),
            ["basis-namespace", ns] => defs.basis_namespace = ns.to_string(),
            _ => return fail(path, no, format!("unknown line '{line}'")),
        }
    }
    Ok(())
}

fn read_codelists(defs: &mut StandardDefs, path: &str, text: &str) -> Result<(), DefError> {
    let mut current: Option<CodeList> = None;
    for (no, line) in strip(text) {
        if let Some(rest) = line.strip_prefix("list ") {
            if let Some(done) = current.take() {
                defs.lists.insert(done.id.clone(), Arc::new(done));
            }
            let (id, name) = rest.trim().split_once(' ').unwrap_or((rest.trim(), ""));
            current = Some(CodeList {
                id: id.to_string(),
                name: name.trim().to_string(),
                codes: Vec::new(),
            });
        } else if line.starts_with(' ') {
            let Some(list) = current.as_mut() else {
                return fail(path, no, "code outside a list");
            };
            let t = line.trim();
            let (code, meaning) = t.split_once(' ').unwrap_or((t, ""));
            list.codes
                .push((code.to_string(), meaning.trim().to_string()));
        } else {
            return fail(path, no, format!("unknown line '{line}'"));
        }
    }
    if let Some(done) = current.take() {
        defs.lists.insert(done.id.clone(), Arc::new(done));
    }
    Ok(())
}

fn apply_facets(
    defs: &StandardDefs,
    ty: &mut SimpleType,
    facets: &[String],
    path: &str,
    no: usize,
) -> Result<(), DefError> {
    for f in facets {
        let Some((k, v)) = f.split_once('=') else {
            return fail(path, no, format!("facet '{f}' needs name=value"));
        };
        let num = |v: &str| -> Result<i128, DefError> {
            v.parse().map_err(|_| DefError {
                file: path.into(),
                line: no,
                message: format!("'{v}' is not a number"),
            })
        };
        match k {
            "minLength" => ty.min_length = Some(num(v)? as usize),
            "maxLength" => ty.max_length = Some(num(v)? as usize),
            "min" => ty.min = Some(num(v)?),
            "max" => ty.max = Some(num(v)?),
            "pattern" => ty.patterns.push(Pattern::new(v).map_err(|e| DefError {
                file: path.into(),
                line: no,
                message: e,
            })?),
            "enum" => match defs.lists.get(v) {
                Some(list) => ty.enumeration = Some(list.clone()),
                None => return fail(path, no, format!("unknown code list {v}")),
            },
            _ => return fail(path, no, format!("unknown facet {k}")),
        }
    }
    Ok(())
}

fn parse_element_line(path: &str, no: usize, line: &str) -> Result<Line, DefError> {
    let depth = depth_of(line);
    let mut words = line.split_whitespace();
    let name = words.next().unwrap_or_default().to_string();
    let card = words.next().unwrap_or_default();
    let Some((min, max)) = card.split_once("..") else {
        return fail(path, no, format!("'{name}' needs a cardinality like 1..1"));
    };
    let min: u32 = min.parse().map_err(|_| DefError {
        file: path.into(),
        line: no,
        message: format!("bad min in {card}"),
    })?;
    let max: u32 = if max == "*" {
        UNBOUNDED
    } else {
        max.parse().map_err(|_| DefError {
            file: path.into(),
            line: no,
            message: format!("bad max in {card}"),
        })?
    };
    let rest: Vec<String> = words.map(str::to_string).collect();
    let (ty, facets) = match rest.first() {
        Some(t) if !t.contains('=') => (Some(t.clone()), rest[1..].to_vec()),
        _ => (None, rest),
    };
    Ok(Line {
        depth,
        no,
        name,
        min,
        max,
        ty,
        facets,
    })
}

fn read_basisschema(defs: &mut StandardDefs, path: &str, text: &str) -> Result<(), DefError> {
    let mut composite: Option<(String, Vec<Line>)> = None;
    for (no, line) in strip(text) {
        if let Some(rest) = line.strip_prefix("type ") {
            if let Some((n, l)) = composite.take() {
                defs.composites.insert(n, l);
            }
            let words: Vec<String> = rest.split_whitespace().map(str::to_string).collect();
            if words.len() < 2 {
                return fail(path, no, "type needs a name and a base");
            }
            let Some(base) = Base::parse(&words[1]) else {
                return fail(path, no, format!("unknown base type {}", words[1]));
            };
            let mut ty = SimpleType::new(&words[0], base);
            apply_facets(defs, &mut ty, &words[2..], path, no)?;
            defs.types.insert(words[0].clone(), Arc::new(ty));
        } else if let Some(rest) = line.strip_prefix("composite ") {
            if let Some((n, l)) = composite.take() {
                defs.composites.insert(n, l);
            }
            composite = Some((rest.trim().to_string(), Vec::new()));
        } else if line.starts_with(' ') {
            let Some((_, lines)) = composite.as_mut() else {
                return fail(path, no, "element line outside a composite");
            };
            let mut l = parse_element_line(path, no, line)?;
            l.depth -= 1;
            lines.push(l);
        } else {
            return fail(path, no, format!("unknown line '{line}'"));
        }
    }
    if let Some((n, l)) = composite.take() {
        defs.composites.insert(n, l);
    }
    Ok(())
}

fn build_message(
    defs: &StandardDefs,
    path: &str,
    lines: &[(usize, String)],
) -> Result<MessageDef, DefError> {
    let Some((first_no, first)) = lines.first() else {
        return fail(path, 1, "empty message file");
    };
    let mut words = first.split_whitespace();
    if words.next() != Some("message") {
        return fail(
            path,
            *first_no,
            "expected 'message NAME berichtcode=… namespace=…'",
        );
    }
    let name = words.next().unwrap_or_default();
    let Some(kind) = MessageKind::from_name(name) else {
        return fail(path, *first_no, format!("unknown message {name}"));
    };
    if Some(kind.standard) != defs.standard {
        return fail(
            path,
            *first_no,
            format!("{name} does not belong to this standard"),
        );
    }
    let (mut code, mut ns) = (String::new(), String::new());
    for w in words {
        match w.split_once('=') {
            Some(("berichtcode", v)) => code = v.to_string(),
            Some(("namespace", v)) => ns = v.to_string(),
            _ => return fail(path, *first_no, format!("unknown attribute {w}")),
        }
    }
    if ns != kind.namespace() {
        return fail(
            path,
            *first_no,
            format!("namespace {ns} is not the namespace of {kind}"),
        );
    }
    let tree: Vec<Line> = lines[1..]
        .iter()
        .map(|(no, l)| parse_element_line(path, *no, l))
        .collect::<Result<_, _>>()?;
    let mut msg = MessageDef {
        kind,
        berichtcode: code,
        namespace: ns,
        basis_namespace: defs.basis_namespace.clone(),
        elements: Vec::new(),
        slots: Vec::new(),
    };
    if tree.first().map(|l| (l.depth, l.name.as_str())) != Some((0, "Bericht")) {
        return fail(
            path,
            *first_no,
            "the tree must start with 'Bericht' at depth 0",
        );
    }
    let mut at = 0;
    add_elements(defs, path, &tree, &mut at, 0, false, &mut msg.elements, 0)?;
    if at != tree.len() {
        return fail(path, tree[at].no, "a second root element");
    }
    msg.slots = msg
        .elements
        .iter()
        .map(|el| {
            el.children()
                .iter()
                .map(|&id| {
                    let c = &msg.elements[id];
                    Slot {
                        name: c.name.as_bytes().into(),
                        id,
                        min: c.min,
                        max: c.max,
                    }
                })
                .collect()
        })
        .collect();
    Ok(msg)
}

/// Adds the element at `tree[*at]` (depth `depth`) and its subtree; returns its arena index.
#[allow(clippy::too_many_arguments)]
fn add_elements(
    defs: &StandardDefs,
    path: &str,
    tree: &[Line],
    at: &mut usize,
    depth: usize,
    basis: bool,
    arena: &mut Vec<ElementDef>,
    nesting: usize,
) -> Result<usize, DefError> {
    if nesting > 32 {
        return fail(path, tree[*at].no, "composites nest too deep (a cycle?)");
    }
    let line = tree[*at].clone();
    *at += 1;
    let id = arena.len();
    arena.push(ElementDef {
        name: line.name.clone(),
        min: line.min,
        max: line.max,
        basis,
        content: Content::Complex(Vec::new()),
    });
    let content = match line.ty.as_deref() {
        None => {
            let mut children = Vec::new();
            while *at < tree.len() && tree[*at].depth > depth {
                if tree[*at].depth != depth + 1 {
                    return fail(path, tree[*at].no, "indentation jumps more than one level");
                }
                children.push(add_elements(
                    defs,
                    path,
                    tree,
                    at,
                    depth + 1,
                    basis,
                    arena,
                    nesting,
                )?);
            }
            if children.is_empty() {
                return fail(
                    path,
                    line.no,
                    format!("'{}' has no type and no children", line.name),
                );
            }
            Content::Complex(children)
        }
        Some(t) if t.starts_with("CDT_") => {
            let Some(lines) = defs.composites.get(t) else {
                return fail(path, line.no, format!("unknown composite {t}"));
            };
            if !line.facets.is_empty() {
                return fail(path, line.no, "facets only apply to simple types");
            }
            let mut children = Vec::new();
            let mut i = 0;
            while i < lines.len() {
                children.push(add_elements(
                    defs,
                    path,
                    lines,
                    &mut i,
                    0,
                    true,
                    arena,
                    nesting + 1,
                )?);
            }
            Content::Complex(children)
        }
        Some(t) => {
            let Some(base) = defs.types.get(t) else {
                return fail(path, line.no, format!("unknown type {t}"));
            };
            if line.facets.is_empty() {
                Content::Simple(base.clone())
            } else {
                let mut narrowed = (**base).clone();
                apply_facets(defs, &mut narrowed, &line.facets, path, line.no)?;
                Content::Simple(Arc::new(narrowed))
            }
        }
    };
    if *at < tree.len() && tree[*at].depth > depth && line.ty.is_some() {
        return fail(
            path,
            tree[*at].no,
            format!("'{}' has a type and children", line.name),
        );
    }
    arena[id].content = content;
    Ok(id)
}
