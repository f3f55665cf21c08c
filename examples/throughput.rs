//! Throughput driver for profiling and before/after comparisons (criterion's `benches/validate.rs`
//! is the official benchmark; this one is small enough to run under callgrind or `perf record`).
//!
//! ```text
//! cargo run --release --example throughput -- write DIR [COUNT]   # writes the JW323 corpus
//! cargo run --release --example throughput -- MODE DIR [ROUNDS]   # MODE: layer1 | full | tree
//! ```
//!
//! `layer1` runs the schema engine only; `full` runs [`Validator::validate`] without keeping the
//! tree (as the CLI does); `tree` runs it with the tree (the default, as the pipeline does).

use ijwmo::corpus::jw323_declarations;
use ijwmo::schema::engine;
use ijwmo::schema::SchemaSet;
use ijwmo::validate::Validator;
use std::path::Path;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    match (arg(0), arg(1)) {
        (Some("write"), Some(dir)) => {
            let count = arg(2).map_or(10_000, |n| n.parse().expect("COUNT"));
            write(Path::new(dir), count);
        }
        (Some(mode @ ("layer1" | "full" | "tree")), Some(dir)) => {
            let rounds = arg(2).map_or(1, |n| n.parse().expect("ROUNDS"));
            run(mode, Path::new(dir), rounds);
        }
        _ => {
            eprintln!(
                "usage: throughput write DIR [COUNT] | throughput layer1|full|tree DIR [ROUNDS]"
            );
            std::process::exit(2);
        }
    }
}

fn write(dir: &Path, count: usize) {
    std::fs::create_dir_all(dir).expect("corpus folder");
    for f in jw323_declarations(count, 2026, 10) {
        std::fs::write(dir.join(&f.name), &f.xml).expect("write corpus file");
    }
}

fn run(mode: &str, dir: &Path, rounds: usize) {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    names.sort();
    let files: Vec<Vec<u8>> = names
        .iter()
        .map(|p| std::fs::read(p).expect("read"))
        .collect();
    let bytes: usize = files.iter().map(Vec::len).sum();
    let set = SchemaSet::embedded();
    let v = Validator::new(set).keep_tree(mode == "tree");
    let start = Instant::now();
    let cpu_start = cpu_seconds();
    let mut ok = 0;
    for _ in 0..rounds {
        ok = measured(mode, &v, &files);
    }
    let wall = start.elapsed().as_secs_f64() / rounds as f64;
    // CPU time is what counts on a shared machine; wall time only when /proc is missing
    let secs = cpu_seconds().map_or(wall, |end| (end - cpu_start.unwrap_or(0.0)) / rounds as f64);
    println!(
        "{mode}: {} files, {:.1} MB, {ok} schema-valid: {:.3} s CPU ({wall:.3} s wall) = {:.0} files/s, {:.0} MB/s",
        files.len(),
        bytes as f64 / 1e6,
        secs,
        files.len() as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
}

/// CPU time of this thread in seconds (Linux: first field of /proc/thread-self/schedstat, ns).
fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// The measured loop, kept out of line so callgrind can collect just this.
#[inline(never)]
fn measured(mode: &str, v: &Validator, files: &[Vec<u8>]) -> usize {
    if mode == "layer1" {
        files
            .iter()
            .filter(|f| {
                let text = std::str::from_utf8(f).expect("UTF-8");
                engine::check_doc(v.schemas, text, v.limits)
                    .findings
                    .is_empty()
            })
            .count()
    } else {
        files
            .iter()
            .filter(|f| v.validate(f).schema_valid())
            .count()
    }
}
