//! Layer 1: the project's message definitions (`schemas/`) and the engine that checks a
//! message against them the way the official XSDs do.

pub mod def;
pub mod engine;
pub mod simple;

pub use def::{Content, DefError, ElementDef, MessageDef};

use crate::message::kind::MessageKind;
use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_schemas.rs"));
}

/// Every message definition the validator knows, keyed by kind.
#[derive(Debug)]
pub struct SchemaSet {
    messages: HashMap<MessageKind, MessageDef>,
}

impl SchemaSet {
    /// The definitions compiled into the binary from `schemas/`.
    pub fn embedded() -> &'static SchemaSet {
        static SET: OnceLock<SchemaSet> = OnceLock::new();
        SET.get_or_init(|| {
            SchemaSet::from_files(embedded::EMBEDDED)
                .unwrap_or_else(|e| panic!("embedded schemas/ are broken: {e}"))
        })
    }

    /// Reads definitions from `(relative path, contents)` pairs.
    pub fn from_files(files: &[(&str, &str)]) -> Result<SchemaSet, DefError> {
        let messages = def::load(files)?.into_iter().map(|m| (m.kind, m)).collect();
        Ok(SchemaSet { messages })
    }

    /// Reads every `*/*.def` below a folder laid out like `schemas/`.
    pub fn load_dir(dir: &Path) -> Result<SchemaSet, DefError> {
        let mut owned = Vec::new();
        let io = |e: std::io::Error, p: &Path| DefError {
            file: p.display().to_string(),
            line: 0,
            message: e.to_string(),
        };
        for sub in std::fs::read_dir(dir).map_err(|e| io(e, dir))? {
            let sub = sub.map_err(|e| io(e, dir))?.path();
            if !sub.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(&sub).map_err(|e| io(e, &sub))? {
                let f = f.map_err(|e| io(e, &sub))?.path();
                if f.extension().and_then(|e| e.to_str()) == Some("def") {
                    let text = std::fs::read_to_string(&f).map_err(|e| io(e, &f))?;
                    let rel = f
                        .strip_prefix(dir)
                        .unwrap_or(&f)
                        .to_string_lossy()
                        .replace('\\', "/");
                    owned.push((rel, text));
                }
            }
        }
        let refs: Vec<(&str, &str)> = owned
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        SchemaSet::from_files(&refs)
    }

    pub fn get(&self, kind: MessageKind) -> Option<&MessageDef> {
        self.messages.get(&kind)
    }

    pub fn kinds(&self) -> Vec<MessageKind> {
        let mut k: Vec<_> = self.messages.keys().copied().collect();
        k.sort();
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_definitions_cover_all_28_kinds() {
        let set = SchemaSet::embedded();
        assert_eq!(set.kinds(), MessageKind::all());
        for kind in MessageKind::all() {
            let def = set.get(kind).unwrap();
            assert_eq!(def.berichtcode, kind.berichtcode().to_string(), "{kind}");
            assert_eq!(def.element(def.root()).name, "Bericht");
            let code = def.lookup(&["Header", "BerichtCode"]).expect("header code");
            match &def.element(code).content {
                Content::Simple(t) => assert!(t.check(&def.berichtcode).is_ok()),
                Content::Complex(_) => panic!("BerichtCode must be simple"),
            }
        }
    }

    #[test]
    fn broken_definitions_say_file_and_line() {
        let files = [
            ("x/standard.def", "standard ijw 3.2\nbasis-namespace urn:b\n"),
            ("x/basisschema.def", "type LDT_A string maxLength=2\n"),
            (
                "x/jw301.def",
                "message JW301 berichtcode=436 namespace=http://www.istandaarden.nl/ijw/3_2/jw301/schema\nBericht 1..1\n  Header 1..1 LDT_Missing\n",
            ),
        ];
        let err = SchemaSet::from_files(&files).unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("LDT_Missing"), "{err}");
    }
}
