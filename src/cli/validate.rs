//! `ijwmo validate FILE|DIR…`: a verdict and findings per file.

use anyhow::{bail, Context};
use clap::ValueEnum;
use ijwmo::schema::SchemaSet;
use ijwmo::validate::{Report, Validator};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Files validated in parallel before their results are printed.
const BATCH: usize = 256;

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// Files or folders (folders are searched recursively for *.xml).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// text: a line per file and one per finding; json: one JSON object per file, per line.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Read message definitions from this folder instead of the built-in ones.
    #[arg(long, value_name = "DIR")]
    schemas: Option<PathBuf>,
    /// Print only invalid files.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Serialize)]
struct FileResult<'a> {
    file: String,
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    findings: &'a [ijwmo::Finding],
}

fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = walkdir::WalkDir::new(p)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .map(|e| e.into_path())
                .filter(|f| f.extension().and_then(|x| x.to_str()) == Some("xml"))
                .collect();
            found.sort();
            files.extend(found);
        } else if p.exists() {
            files.push(p.clone());
        } else {
            bail!("{}: no such file or folder", p.display());
        }
    }
    Ok(files)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let owned;
    let schemas = match &args.schemas {
        Some(dir) => {
            owned =
                SchemaSet::load_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
            &owned
        }
        None => SchemaSet::embedded(),
    };
    // the verdict and findings are all this command prints: no element tree needed
    let validator = Validator::new(schemas).keep_tree(false);
    let files = collect(&args.paths)?;
    let bar = if std::io::stderr().is_terminal() && files.len() > 1 {
        let b = ProgressBar::new(files.len() as u64);
        b.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} files  {per_sec}  eta {eta}")
                .expect("valid template"),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut valid, mut invalid) = (0usize, 0usize);
    // Files are validated on every core (rayon's pool follows the CPU affinity, so `taskset -c
    // 0` gives one thread), a batch at a time, and printed in the sorted order of `files`: the
    // output is the same whatever the number of cores. A batch bounds the reports held at once.
    for batch in files.chunks(BATCH) {
        let reports: Vec<std::io::Result<Report>> = batch
            .par_iter()
            .map(|file| {
                let bytes = std::fs::read(file)?;
                let mut report = validator.validate(&bytes);
                // printing needs the verdict and findings only
                report.message = None;
                Ok(report)
            })
            .collect();
        for (file, report) in batch.iter().zip(reports) {
            let report = match report {
                Ok(r) => r,
                Err(e) => bail!("{}: {e}", file.display()),
            };
            if report.valid() {
                valid += 1;
            } else {
                invalid += 1;
            }
            bar.suspend(|| print_one(&mut out, args.format, args.quiet, file, &report))?;
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    if matches!(args.format, Format::Text) {
        writeln!(out, "{valid} valid, {invalid} invalid")?;
    }
    out.flush()?;
    Ok(if invalid == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_one(
    out: &mut impl Write,
    format: Format,
    quiet: bool,
    file: &Path,
    report: &Report,
) -> anyhow::Result<()> {
    if quiet && report.valid() {
        return Ok(());
    }
    match format {
        Format::Json => {
            let r = FileResult {
                file: file.display().to_string(),
                valid: report.valid(),
                kind: report.kind.map(|k| k.to_string()),
                findings: &report.findings,
            };
            serde_json::to_writer(&mut *out, &r)?;
            writeln!(out)?;
        }
        Format::Text => {
            let kind = report.kind.map(|k| format!(" ({k})")).unwrap_or_default();
            let verdict = if report.valid() { "valid  " } else { "INVALID" };
            writeln!(out, "{verdict} {}{kind}", file.display())?;
            for f in &report.findings {
                let code = f.rule.as_deref().unwrap_or("-");
                let retour = f
                    .retour_code
                    .as_deref()
                    .map(|r| format!(" retour {r}"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "  {}:{} {code}{retour} {} — {}",
                    f.line, f.column, f.path, f.message
                )?;
            }
        }
    }
    Ok(())
}
