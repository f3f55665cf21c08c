//! Throughput of the library's validate call (layers 1 and 2, as the daemon calls it) on the
//! corpora of `benches/xmllint-compare.sh`: official-shape JW323 declarations (written here to
//! `target/bench-corpus/jw323/` so the script times the other validators on the same files),
//! and, when the script has written them, a generated month's declarations (`decl/`) and its
//! whole mix (`month/`).

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use ijwmo::corpus::jw323_declarations;
use ijwmo::validate::Validator;
use std::path::{Path, PathBuf};

const FILES: usize = 10_000;

fn corpus_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-corpus")
        .join(name)
}

fn jw323() -> Vec<Vec<u8>> {
    let files = jw323_declarations(FILES, 2026, 10);
    let dir = corpus_dir("jw323");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("corpus folder");
    for f in &files {
        std::fs::write(dir.join(&f.name), &f.xml).expect("write corpus file");
    }
    files.into_iter().map(|f| f.xml.into_bytes()).collect()
}

/// The `*.xml` of a corpus folder in name order; empty when the folder is not there.
fn read_dir(name: &str) -> Vec<Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(corpus_dir(name)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read(f).expect("read corpus file"))
        .collect()
}

fn bench(c: &mut Criterion) {
    let v = Validator::embedded();
    let mut group = c.benchmark_group("validate");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    for (name, corpus) in [
        ("jw323", jw323()),
        ("decl", read_dir("decl")),
        ("month", read_dir("month")),
    ] {
        if corpus.is_empty() {
            continue;
        }
        let bytes: usize = corpus.iter().map(Vec::len).sum();
        group.throughput(Throughput::Elements(corpus.len() as u64));
        group.bench_function(
            format!(
                "{name} x{} ({} kB each)",
                corpus.len(),
                bytes / corpus.len() / 1000
            ),
            |bench| bench.iter(|| corpus.iter().filter(|m| v.validate(m).valid()).count()),
        );
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
