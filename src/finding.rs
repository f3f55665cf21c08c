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
    }
}
