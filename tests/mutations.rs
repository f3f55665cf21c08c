//! Every mutation of every fixture is rejected for exactly the one rule it breaks.

mod support;

use ijwmo::validate::{Report, Validator};
use std::collections::{BTreeMap, BTreeSet};
use support::mutate::{variants, Variant};

/// At least this many variants must be generated.
const MIN_VARIANTS: usize = 5_000;

fn rules_of(report: &Report) -> BTreeSet<String> {
    report
        .findings
        .iter()
        .map(|f| f.rule.clone().unwrap_or_else(|| "(no rule)".into()))
        .collect()
}

fn describe(v: &Variant, report: &Report) -> String {
    let expected: Vec<String> = v.expected().into_iter().collect();
    let mut s = format!("{} (expected {{{}}}):", v.name, expected.join(", "));
    for f in &report.findings {
        s.push_str(&format!(
            "\n    {} {} {}:{} {}",
            f.rule.as_deref().unwrap_or("-"),
            f.path,
            f.line,
            f.column,
            f.message
        ));
    }
    if report.findings.is_empty() {
        s.push_str(" no findings");
    }
    s
}

fn fail_with(what: &str, failures: &[String], total: usize) {
    if !failures.is_empty() {
        let shown: Vec<&str> = failures.iter().take(20).map(String::as_str).collect();
        panic!(
            "{} of {total} {what}; first {}:\n  {}",
            failures.len(),
            shown.len(),
            shown.join("\n  ")
        );
    }
}

enum Outcome {
    Ok,
    NotRejected(String),
    WrongRules(String),
}

/// Checks one variant: rejected, for exactly its expected rules, and schema-valid when it is a
/// level-2 variant.
fn judge(validator: &Validator, v: &Variant) -> Outcome {
    let report = validator.validate(&v.xml);
    if report.valid() {
        return Outcome::NotRejected(describe(v, &report));
    }
    if rules_of(&report) != v.expected() || report.kind != Some(v.kind) {
        Outcome::WrongRules(describe(v, &report))
    } else if v.is_level2() && !report.schema_valid() {
        Outcome::WrongRules(format!("{} is not schema-valid", describe(v, &report)))
    } else {
        Outcome::Ok
    }
}

#[test]
fn every_fixture_is_valid() {
    let fixtures = support::fixtures();
    assert_eq!(fixtures.len(), 28, "one fixture per kind");
    let kinds: BTreeSet<_> = fixtures.iter().map(|f| f.kind).collect();
    assert_eq!(kinds.len(), 28, "every kind once");
    for fx in &fixtures {
        let report = Validator::embedded().validate(&fx.bytes);
        assert!(
            report.valid(),
            "{}: {:#?}",
            fx.file.display(),
            report.findings
        );
    }
}

#[test]
fn every_variant_breaks_exactly_its_rule() {
    let all = variants();
    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
    for v in &all {
        *per.entry(v.family.as_str()).or_default() += 1;
    }
    eprintln!("{} variants per family: {per:?}", all.len());
    assert!(all.len() >= MIN_VARIANTS, "only {} variants", all.len());

    let names: BTreeSet<&str> = all.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names.len(), all.len(), "variant names must be unique");

    // validate on every core; results keep the variants' order
    let validator = Validator::embedded();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let per = all.len().div_ceil(threads).max(1);
    let results: Vec<Outcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = all
            .chunks(per)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|v| judge(&validator, v))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("validation thread"))
            .collect()
    });
    let mut not_rejected = Vec::new();
    let mut wrong_rules = Vec::new();
    for r in results {
        match r {
            Outcome::Ok => {}
            Outcome::NotRejected(s) => not_rejected.push(s),
            Outcome::WrongRules(s) => wrong_rules.push(s),
        }
    }
    let mut failures = not_rejected.clone();
    failures.extend(wrong_rules.iter().cloned());
    if !failures.is_empty() {
        eprintln!(
            "{} variants not rejected, {} with other rules than expected",
            not_rejected.len(),
            wrong_rules.len()
        );
    }
    fail_with("variants failed", &failures, all.len());
}

#[test]
fn generation_is_deterministic() {
    let a = variants();
    let b = variants();
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.name, y.name);
        assert_eq!(x.xml, y.xml, "{}", x.name);
        assert_eq!(x.rule, y.rule, "{}", x.name);
    }
}

/// Every CD/CS/TR code the level-2 rules can report (read from `src/rules/*.rs`).
fn rule_codes_in_source() -> BTreeSet<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/rules");
    let mut codes = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("src/rules") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read rule source");
        let b = text.as_bytes();
        for i in 0..b.len().saturating_sub(6) {
            let code = &b[i + 1..i + 6];
            if b[i] == b'"'
                && b.get(i + 6) == Some(&b'"')
                && (code.starts_with(b"CD") || code.starts_with(b"CS") || code.starts_with(b"TR"))
                && code[2..].iter().all(u8::is_ascii_digit)
            {
                codes.insert(String::from_utf8_lossy(code).into_owned());
            }
        }
    }
    codes
}

#[test]
fn every_level2_rule_has_a_variant() {
    let in_source = rule_codes_in_source();
    assert!(!in_source.is_empty(), "no rule codes found in src/rules");
    let covered: BTreeSet<String> = variants()
        .iter()
        .filter(|v| v.is_level2())
        .flat_map(|v| v.expected())
        .collect();
    let unreachable: BTreeSet<String> = support::level2::UNREACHABLE
        .iter()
        .map(|s| s.to_string())
        .collect();
    let missing: Vec<&String> = in_source
        .iter()
        .filter(|c| !covered.contains(*c) && !unreachable.contains(*c))
        .collect();
    eprintln!(
        "level 2: {} codes in src/rules, {} covered by variants, unreachable {:?}",
        in_source.len(),
        covered.len(),
        unreachable
    );
    assert!(missing.is_empty(), "rules without a variant: {missing:?}");
    let unknown: Vec<&String> = covered.difference(&in_source).collect();
    assert!(
        unknown.is_empty(),
        "variants for codes not in src/rules: {unknown:?}"
    );
}
