//! The validator: intake checks, layer 1 (schema) and layer 2 (rules within one message), with
//! every finding placed at its line and column.

use crate::finding::Finding;
use crate::message::doc::{Doc, Locator};
use crate::message::kind::MessageKind;
use crate::message::model;
use crate::message::tree::Element;
use crate::schema::engine::{self, Limits};
use crate::schema::SchemaSet;

/// Largest message accepted: 25 MB (OP179, and the VECOZO/GGK transport limit), counted as
/// 25 × 1024 × 1024 bytes.
pub const MAX_MESSAGE_BYTES: usize = 25 * 1024 * 1024;

/// Everything the validator found out about one message.
#[derive(Debug, Default)]
pub struct Report {
    pub kind: Option<MessageKind>,
    pub findings: Vec<Finding>,
    /// The element tree, present when the document passed layer 1 (it may still break rules)
    /// and the validator keeps trees (the default).
    pub tree: Option<Element>,
    /// The typed model layer 2 read, present when the document passed layer 1: the pipeline
    /// judges it rather than reading the text a second time.
    pub message: Option<model::Message>,
}

impl Report {
    pub fn valid(&self) -> bool {
        self.findings.is_empty()
    }
    /// True when the XSD-level checks (layer 1 and intake) passed.
    pub fn schema_valid(&self) -> bool {
        !self
            .findings
            .iter()
            .any(|f| f.layer == crate::finding::Layer::Schema)
    }
}

/// Validates messages against a set of definitions.
#[derive(Debug, Clone, Copy)]
pub struct Validator<'a> {
    pub schemas: &'a SchemaSet,
    pub max_bytes: usize,
    pub limits: Limits,
    /// Build [`Report::tree`] for messages that pass layer 1 (default true). Callers that only
    /// need the verdict and findings turn it off: the tree costs an allocation per element.
    pub keep_tree: bool,
}

impl Validator<'static> {
    /// A validator on the embedded definitions with the standard's limits.
    pub fn embedded() -> Validator<'static> {
        Validator::new(SchemaSet::embedded())
    }
}

impl<'a> Validator<'a> {
    pub fn new(schemas: &'a SchemaSet) -> Validator<'a> {
        Validator {
            schemas,
            max_bytes: MAX_MESSAGE_BYTES,
            limits: Limits::default(),
            keep_tree: true,
        }
    }

    /// The same validator with [`keep_tree`](Self::keep_tree) set.
    pub fn keep_tree(self, keep_tree: bool) -> Validator<'a> {
        Validator { keep_tree, ..self }
    }

    /// Validates one message given as raw bytes; never panics, never stops at the first finding
    /// inside a well-formed document.
    pub fn validate(&self, bytes: &[u8]) -> Report {
        let text = match intake(bytes, self.max_bytes) {
            Ok(t) => t,
            Err(mut f) => {
                (f.line, f.column) = (1, 1);
                return Report {
                    findings: vec![f],
                    ..Report::default()
                };
            }
        };
        let checked = engine::check_doc(self.schemas, text, self.limits);
        let mut report = Report {
            kind: checked.kind,
            ..Report::default()
        };
        let doc = checked.doc;
        let mut placed: Vec<(Finding, usize)> = checked.findings;
        let def = checked.kind.and_then(|k| self.schemas.get(k));
        if placed.is_empty() && doc.is_complete() {
            if let Some(def) = def {
                let (rule_findings, message) = layer2(def.kind, text, &doc);
                report.message = message;
                let repeats =
                    |names: &[&str]| def.lookup(names).is_some_and(|id| def.element(id).max > 1);
                let mut locator = Locator::new(&doc, &repeats);
                for f in rule_findings {
                    let at = locate(&mut locator, &doc, &f.path);
                    placed.push((f, at));
                }
            }
        }
        if !placed.is_empty() {
            let lines = LineIndex::new(text);
            for (mut f, offset) in placed {
                let (line, column) = lines.position(text, offset);
                f.line = line;
                f.column = column;
                report.findings.push(f);
            }
        }
        if self.keep_tree && report.schema_valid() {
            report.tree = doc.tree();
        }
        report
    }
}

/// Level 2: the CD/CS/TR rules that need only the message itself. The typed model is read
/// from the document layer 1 recorded; only a text with U+0085 or U+2028 is read again, because
/// the XML reader behind [`model::parse`] takes those for line ends (XML 1.1) and the model
/// must stay the same whichever way it is read.
fn layer2(kind: MessageKind, text: &str, doc: &Doc) -> (Vec<Finding>, Option<model::Message>) {
    let read = if text.contains("\u{85}") || text.contains("\u{2028}") {
        model::parse(kind, text)
    } else {
        model::from_doc(kind, doc)
    };
    match read {
        Ok(msg) => (crate::rules::check(&msg), Some(msg)),
        // cannot happen after layer 1 passed; if it does, say so rather than accept the message
        Err(e) => (
            vec![Finding::rule(
                "model",
                "/Bericht",
                format!("the message passed the schema checks but could not be read: {e}"),
            )],
            None,
        ),
    }
}

/// Intake: empty input, size (OP179), byte-order mark and encoding (OP192).
fn intake(bytes: &[u8], max_bytes: usize) -> Result<&str, Finding> {
    let at_root = |rule: &str, msg: String| Finding::schema(rule, "/", msg);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(at_root("xml.empty", "the message is empty".into()));
    }
    if bytes.len() > max_bytes {
        return Err(at_root(
            "OP179",
            format!(
                "the message is {} bytes; at most {max_bytes} are accepted",
                bytes.len()
            ),
        ));
    }
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Err(at_root(
            "OP192",
            "the message starts with a byte-order mark; UTF-8 without BOM is required".into(),
        ));
    }
    if bytes.starts_with(&[0xFE, 0xFF]) || bytes.starts_with(&[0xFF, 0xFE]) {
        return Err(at_root(
            "OP192",
            "the message is UTF-16; UTF-8 without BOM is required".into(),
        ));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        at_root(
            "OP192",
            format!(
                "the message is not valid UTF-8 (first bad byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

/// Where a level-2 finding's path is: its element, or its nearest existing ancestor (for a
/// missing element).
fn locate(locator: &mut Locator, doc: &Doc, path: &str) -> usize {
    let mut p = path;
    loop {
        if let Some(at) = locator.locate(p) {
            return at;
        }
        match p.rfind('/') {
            Some(i) if i > 0 => p = &p[..i],
            _ => return doc.locate_root(),
        }
    }
}

/// Turns byte offsets into 1-based line and column (columns count characters).
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn position(&self, text: &str, offset: usize) -> (u32, u32) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|s| *s <= offset).max(1);
        let start = self.starts[line - 1];
        let col = text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line as u32, col as u32 + 1)
    }
}
