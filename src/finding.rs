//! What a validator reports: one [`Finding`] per broken rule, never just the first.

use serde::Serialize;

/// The control level a finding belongs to.
///
/// `schema` is everything the official XSD enforces (level 1); `rule` is every condition (CD),
/// constraint (CS), restriction (RS) and single-message technical rule (TR) checked on a
/// schema-valid message (level 2). Intake problems (not XML, BOM, size) are `schema` too: the
/// message never reaches a point where a retour could be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    Schema,
    Rule,
}

/// One broken rule in one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub layer: Layer,
    /// Rule code from the standard (e.g. `CD075`, `TR302`, `OP192`), or for schema findings the
    /// project's stable facet name (e.g. `schema.pattern`).
    pub rule: Option<String>,
    /// Retour code (WJ001) the standard gives for this finding, if any.
    pub retour_code: Option<String>,
    /// Element path with local names, `[n]` (1-based) on elements that may repeat, e.g.
    /// `/Bericht/Client/ToegewezenProducten/ToegewezenProduct[2]/Einddatum`.
    pub path: String,
    /// 1-based line and column of the element's start tag (0 when unknown).
    pub line: u32,
    pub column: u32,
    /// Plain-language explanation.
    pub message: String,
}

/// Most characters of an input value a finding quotes (see [`quote`]).
pub const MAX_QUOTE_CHARS: usize = 64;
/// Most bytes of a finding's message; a longer one is cut (by construction, see [`Finding::bounded`]).
pub const MAX_MESSAGE_BYTES: usize = 400;
/// Most bytes of a finding's path (element names come from the input and can be long).
pub const MAX_PATH_BYTES: usize = 300;
/// Most bytes of a finding's rule code.
pub const MAX_RULE_BYTES: usize = 40;

impl Finding {
    /// A level-2 finding (CD/CS/TR inside one message): always retour code 0001.
    pub fn rule(code: &str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            layer: Layer::Rule,
            rule: Some(code.to_string()),
            retour_code: Some("0001".to_string()),
            path: path.into(),
            line: 0,
            column: 0,
            message: message.into(),
        }
        .bounded()
    }

    /// A level-1 finding (what the XSD enforces), with the project's facet name as rule.
    pub fn schema(rule: &str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            layer: Layer::Schema,
            rule: Some(rule.to_string()),
            retour_code: None,
            path: path.into(),
            line: 0,
            column: 0,
            message: message.into(),
        }
        .bounded()
    }

    /// The finding with its texts cut to [`MAX_MESSAGE_BYTES`], [`MAX_PATH_BYTES`] and
    /// [`MAX_RULE_BYTES`]. The constructors apply it, and every place that writes findings out
    /// (dead-letter headers, reason files) applies it again, so one message can never make a
    /// reason megabytes long: a finding says what is wrong and where, it does not carry the input.
    pub fn bounded(mut self) -> Self {
        cut(&mut self.message, MAX_MESSAGE_BYTES);
        cut(&mut self.path, MAX_PATH_BYTES);
        if let Some(rule) = self.rule.as_mut() {
            cut(rule, MAX_RULE_BYTES);
        }
        if let Some(code) = self.retour_code.as_mut() {
            cut(code, MAX_RULE_BYTES);
        }
        self
    }
}

/// An input value as a finding quotes it: in single quotes, cut after [`MAX_QUOTE_CHARS`]
/// characters with the full length said, e.g. `'1234567…' (135000 characters)`. Values come
/// from untrusted input and may be megabytes long; a finding names the value, it does not copy it.
pub fn quote(value: &str) -> String {
    match value.char_indices().nth(MAX_QUOTE_CHARS) {
        None => format!("'{value}'"),
        Some((end, _)) => format!(
            "'{}…' ({} characters)",
            &value[..end],
            value.chars().count()
        ),
    }
}

/// Cuts `s` to at most `max` bytes (plus an ellipsis) at a character boundary.
pub fn truncate(s: &str, max: usize) -> String {
    let mut out = s.to_string();
    cut(&mut out, max);
    out
}

fn cut(s: &mut String, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.push('…');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_cut_with_their_length() {
        assert_eq!(quote("2026-09-31"), "'2026-09-31'");
        let long = "9".repeat(135_000);
        let q = quote(&long);
        assert!(q.len() < 100, "{q}");
        assert!(q.ends_with("' (135000 characters)"), "{q}");
        assert_eq!(quote(&"é".repeat(64)), format!("'{}'", "é".repeat(64)));
    }

    #[test]
    fn findings_are_bounded_by_construction() {
        let f = Finding::schema(
            "x".repeat(100).as_str(),
            "/a".repeat(10_000),
            "m".repeat(1 << 20),
        );
        assert!(f.message.len() <= MAX_MESSAGE_BYTES + '…'.len_utf8());
        assert!(f.path.len() <= MAX_PATH_BYTES + '…'.len_utf8());
        assert!(f.rule.unwrap().len() <= MAX_RULE_BYTES + '…'.len_utf8());
        assert_eq!(truncate("ééé", 3), "é…");
        assert_eq!(truncate("abc", 5), "abc");
    }
}
