//! Shared helpers for the integration tests: the fixtures, the mutation generator, and the
//! stores the transport tests run against.
#![allow(dead_code)]

pub mod level2;
pub mod mutate;
pub mod probe;
pub mod services;
pub mod stores;

use ijwmo::message::tree::Element;
use ijwmo::validate::Validator;
use ijwmo::MessageKind;
use std::path::{Path, PathBuf};

/// The project's sample folder.
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/messages");

/// One sample message with its parsed tree.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub file: PathBuf,
    pub kind: MessageKind,
    pub bytes: Vec<u8>,
    pub tree: Element,
}

/// Every `fixtures/messages/*.xml`, sorted by file name. Panics when one is not fully valid: all
/// mutations start from a valid message.
pub fn fixtures() -> Vec<Fixture> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(FIXTURES)
        .expect("fixtures/messages")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("xml"))
        .collect();
    files.sort();
    let validator = Validator::embedded();
    files
        .into_iter()
        .map(|file| {
            let bytes = std::fs::read(&file).expect("read fixture");
            let report = validator.validate(&bytes);
            let kind = report
                .kind
                .unwrap_or_else(|| panic!("{}: kind not recognised", file.display()));
            let tree = report.tree.unwrap_or_else(|| {
                panic!(
                    "{}: fixture is not valid: {:#?}",
                    file.display(),
                    report.findings
                )
            });
            Fixture {
                file,
                kind,
                bytes,
                tree,
            }
        })
        .collect()
}

/// The build's target folder (parent of `CARGO_TARGET_TMPDIR`).
pub fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target tmp dir has a parent")
        .to_path_buf()
}

/// A file-name-safe version of a variant name.
pub fn file_stem(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.len() > 180 {
        s.truncate(180);
    }
    s
}
