//! Validation throughput over a corpus of synthetic JW323 declarations (layers 1 and 2).
//! Also writes the corpus to `target/bench-corpus/jw323/` so `benches/xmllint-compare.sh` can
//! time xmllint on exactly the same files.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ijwmo::corpus::jw323_declarations;
use ijwmo::validate::Validator;
use std::path::Path;

const FILES: usize = 10_000;

fn corpus() -> Vec<Vec<u8>> {
    let files = jw323_declarations(FILES, 2026, 10);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-corpus/jw323");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("corpus folder");
    for f in &files {
        std::fs::write(dir.join(&f.name), &f.xml).expect("write corpus file");
    }
    files.into_iter().map(|f| f.xml.into_bytes()).collect()
}

fn bench(c: &mut Criterion) {
    let corpus = corpus();
    let bytes: usize = corpus.iter().map(Vec::len).sum();
    let v = Validator::embedded();
    let mut group = c.benchmark_group("validate");
    group.sample_size(10);
    group.throughput(Throughput::Elements(corpus.len() as u64));
    group.bench_function(
        format!("jw323 x{} ({} MB)", corpus.len(), bytes / 1_000_000),
        |bench| bench.iter(|| corpus.iter().filter(|m| v.validate(m).valid()).count()),
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
