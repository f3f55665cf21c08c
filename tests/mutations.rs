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

    let validator = Validator::embedded();
    let mut not_rejected = Vec::new();
    let mut wrong_rules = Vec::new();
    for v in &all {
        let report = validator.validate(&v.xml);
        if report.valid() {
            not_rejected.push(describe(v, &report));
            continue;
        }
        let expected = v.expected();
        let found = rules_of(&report);
        if found != expected || report.kind != Some(v.kind) {
            wrong_rules.push(describe(v, &report));
        } else if v.is_level2() && !report.schema_valid() {
            wrong_rules.push(format!("{} is not schema-valid", describe(v, &report)));
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
