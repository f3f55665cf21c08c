//! Writing the run: one file per message in `inbox/` (named so that name order is receipt
//! order, modification time = receipt time), `manifest.csv` beside it, and the deliberately
//! broken files.

use super::clock::Moment;
use super::messages::{render, tree, Spec};
use super::GenerateError;
use crate::message::kind::MessageKind;
use crate::message::write::write;
use crate::schema::SchemaSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// How a malformed file is broken, and what the validator says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakage {
    /// The upload stopped half-way.
    Truncated,
    /// A spreadsheet export sent by mistake.
    NotXml,
    /// UTF-8 with a byte-order mark (OP192).
    Bom,
    /// The iJw/iWmo 3.1 namespace: old software.
    Namespace,
    /// An impossible Dagtekening.
    BadDate,
    /// The header without XsdVersie.
    Missing,
}

impl Breakage {
    pub const ALL: [Breakage; 6] = [
        Breakage::Truncated,
        Breakage::NotXml,
        Breakage::Bom,
        Breakage::Namespace,
        Breakage::BadDate,
        Breakage::Missing,
    ];

    /// The rule of the validator's finding.
    pub fn rule(self) -> &'static str {
        match self {
            Breakage::Truncated | Breakage::NotXml => "xml.malformed",
            Breakage::Bom => "OP192",
            Breakage::Namespace => "xml.namespace",
            Breakage::BadDate => "schema.date",
            Breakage::Missing => "schema.missing",
        }
    }

    pub fn what(self) -> &'static str {
        match self {
            Breakage::Truncated => "file cut off half-way",
            Breakage::NotXml => "not XML (a CSV export)",
            Breakage::Bom => "byte-order mark",
            Breakage::Namespace => "iJw/iWmo 3.1 namespace",
            Breakage::BadDate => "impossible Dagtekening",
            Breakage::Missing => "Header without XsdVersie",
        }
    }

    /// The broken bytes for `spec`.
    pub fn apply(self, spec: &Spec) -> Vec<u8> {
        match self {
            Breakage::Truncated => {
                let text = render(spec);
                let mut cut = text.len() * 3 / 5;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.as_bytes()[..cut].to_vec()
            }
            Breakage::NotXml => format!(
                "Identificatie;Dagtekening;Afzender;Ontvanger\r\n{};{};{};{}\r\n",
                spec.ident, spec.dagtekening, spec.sender, spec.receiver
            )
            .into_bytes(),
            Breakage::Bom => {
                let mut out = vec![0xEF, 0xBB, 0xBF];
                out.extend_from_slice(render(spec).as_bytes());
                out
            }
            Breakage::Namespace => render(spec).replacen("/3_2/", "/3_1/", 2).into_bytes(),
            Breakage::BadDate | Breakage::Missing => {
                let mut t = tree(spec);
                if let Some(h) = t.child_mut("Header") {
                    if self == Breakage::Missing {
                        h.children.retain(|c| c.name != "XsdVersie");
                    } else if let Some(d) = h
                        .child_mut("BerichtIdentificatie")
                        .and_then(|b| b.child_mut("Dagtekening"))
                    {
                        d.text = Some(format!("{}-02-30", spec.dagtekening.format("%Y")));
                    }
                }
                match SchemaSet::embedded().get(spec.kind) {
                    Some(def) => write(def, &t).into_bytes(),
                    None => Vec::new(),
                }
            }
        }
    }
}

/// The inbox and the manifest, written as the run goes.
pub struct Output {
    inbox: PathBuf,
    manifest: csv::Writer<BufWriter<File>>,
    manifest_path: PathBuf,
    seq: u64,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> GenerateError + '_ {
    move |source| GenerateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Output {
    /// Creates `dir/inbox/` (which must be empty or absent, so two runs never mix) and
    /// `dir/manifest.csv`.
    pub fn create(dir: &Path) -> Result<Output, GenerateError> {
        let inbox = dir.join("inbox");
        std::fs::create_dir_all(&inbox).map_err(io(&inbox))?;
        let not_empty = std::fs::read_dir(&inbox)
            .map_err(io(&inbox))?
            .next()
            .is_some();
        if not_empty {
            return Err(GenerateError::NotEmpty(inbox));
        }
        let manifest_path = dir.join("manifest.csv");
        let file = File::create(&manifest_path).map_err(io(&manifest_path))?;
        let mut manifest = csv::Writer::from_writer(BufWriter::new(file));
        manifest
            .write_record(["file", "kind", "sender", "receiver", "received_at"])
            .map_err(|source| GenerateError::Csv {
                path: manifest_path.clone(),
                source,
            })?;
        Ok(Output {
            inbox,
            manifest,
            manifest_path,
            seq: 0,
        })
    }

    /// Writes one file received at `at`; returns its name.
    pub fn write(
        &mut self,
        at: Moment,
        kind: MessageKind,
        sender: &str,
        receiver: &str,
        bytes: &[u8],
    ) -> Result<String, GenerateError> {
        self.seq += 1;
        let name = format!("{}-{:08}-{kind}-{sender}.xml", at.stamp(), self.seq);
        let path = self.inbox.join(&name);
        let mut f = File::create(&path).map_err(io(&path))?;
        f.write_all(bytes).map_err(io(&path))?;
        f.set_modified(at.system_time()).map_err(io(&path))?;
        self.manifest
            .write_record([
                name.as_str(),
                &kind.to_string(),
                sender,
                receiver,
                &at.rfc3339(),
            ])
            .map_err(|source| GenerateError::Csv {
                path: self.manifest_path.clone(),
                source,
            })?;
        Ok(name)
    }

    pub fn files(&self) -> u64 {
        self.seq
    }

    pub fn finish(mut self) -> Result<(), GenerateError> {
        self.manifest.flush().map_err(io(&self.manifest_path))?;
        Ok(())
    }
}
