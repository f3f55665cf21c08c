//! The generated region end to end: two months of Midden-Holland are generated, every file goes
//! through the pipeline in receipt order (on SQLite and on the real PostgreSQL, facts on,
//! measured from the first day of the window), the sweep runs after every deadline of the window has passed, and then the facts
//! must find exactly what `summary.json` says was injected — no more, no less:
//!
//! - every late start, stop and declaration, with its working days late, and no other
//!   obligation of the window late;
//! - every delivery left without a stop, as an unmet, overdue stop;
//! - every wrong tariff rejected with 0611 and every volume overrun with its TR code (9321
//!   one period, 9322 cumulative), each resubmission approved, and nothing else rejected;
//! - every malformed file kept aside with the rule the summary expects;
//! - the declared amounts per gemeente equal to what the files declared.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use ijwmo::contracts::ContractSet;
use ijwmo::facts::stats::{self, GroupBy};
use ijwmo::facts::sweep::sweep;
use ijwmo::facts::{
    Betalers, FactsConfig, FactsEngine, Partij, PrestatieKosten, TimelinessFact, ToewijzingKosten,
};
use ijwmo::generate::summary::Summary;
use ijwmo::generate::{generate, Options};
use ijwmo::pipeline::{Handled, Incoming, Pipeline, Settings};
use ijwmo::protocol::deadlines::Status;
use ijwmo::store::Store;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

mod backends;
use backends::Db;

const KEY: &str = "region-test-pseudonym-key";

/// One line of manifest.csv: file, kind, sender, receiver, received_at.
struct Entry {
    file: String,
    received: DateTime<FixedOffset>,
}

fn manifest(dir: &Path) -> Vec<Entry> {
    let mut reader = csv::Reader::from_path(dir.join("manifest.csv")).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            Entry {
                file: r[0].to_string(),
                received: DateTime::parse_from_rfc3339(&r[4]).unwrap(),
            }
        })
        .collect()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(&s[..10], "%Y-%m-%d").unwrap()
}

/// What processing the region came to.
struct Processed {
    summary: &'static Summary,
    window: (NaiveDate, NaiveDate),
    timeliness: Vec<TimelinessFact>,
    prestaties: Vec<PrestatieKosten>,
    toewijzingen: Vec<ToewijzingKosten>,
    contracts: ContractSet,
    /// File name → first rule of an unprocessable file.
    unprocessable: BTreeMap<String, String>,
}

impl Processed {
    /// The summary speaks of the obligations whose reference date lies in the window; the
    /// messages after it only meet those (allocations they bring owe things the run never
    /// shows).
    fn in_window(&self, f: &TimelinessFact) -> bool {
        f.reference_date >= self.window.0 && f.reference_date < self.window.1
    }
}

/// The two generated months, shared by both backends.
fn region() -> &'static (PathBuf, Summary) {
    static REGION: OnceLock<(PathBuf, Summary)> = OnceLock::new();
    REGION.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ijwmo-region-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let options = Options {
            months: 2,
            seed: 4242,
            scale: 0.04,
            start: NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
        };
        let summary = generate(&options, &dir).unwrap();
        (dir, summary)
    })
}

async fn process(db: &Db) -> Processed {
    let (dir, summary) = region();
    let dir = dir.as_path();
    let window = (
        day(&summary.generator.window_from),
        day(&summary.generator.window_until),
    );
    assert_eq!(window.0, NaiveDate::from_ymd_opt(2025, 9, 1).unwrap());

    let store: Arc<dyn Store> = db.open().await;
    let csv = std::fs::read_to_string(dir.join("contracts.csv")).unwrap();
    let contracts = ContractSet::from_csv(&csv).unwrap();
    store
        .replace_contracts(&contracts, "contracts.csv")
        .await
        .unwrap();
    let engine = FactsEngine::from_config(&FactsConfig {
        pseudonym_key: KEY.into(),
        measure_from: Some(window.0),
        ..FactsConfig::default()
    })
    .unwrap();
    let pipeline =
        Pipeline::new(store.clone(), Settings { today: None }).with_facts(engine.clone());

    let mut unprocessable = BTreeMap::new();
    for e in manifest(dir) {
        let incoming = Incoming {
            bytes: std::fs::read(dir.join("inbox").join(&e.file)).unwrap(),
            received_at: e.received.with_timezone(&Utc),
            origin: e.file.clone(),
        };
        match pipeline.handle(&incoming).await.unwrap() {
            Handled::Unprocessable { findings, reason } => {
                let rule = findings
                    .first()
                    .and_then(|f| f.rule.clone())
                    .unwrap_or(reason);
                unprocessable.insert(e.file, rule);
            }
            Handled::Duplicate { .. } => panic!("{} was taken for a redelivery", e.file),
            Handled::Stored { .. } => {}
        }
    }
    // well after every deadline of the window (the last declarations are due at the end of
    // the month after it, or the next working day)
    let as_of = window.1 + chrono::Days::new(45);
    sweep(store.as_ref(), &engine, as_of).await.unwrap();
    let costs = store.cost_facts().await.unwrap();
    Processed {
        summary,
        window,
        timeliness: store.timeliness_facts(None, None).await.unwrap(),
        prestaties: costs.prestaties,
        toewijzingen: costs.toewijzingen,
        contracts,
        unprocessable,
    }
}

/// (rule, standard, provider, gemeente, ToewijzingNummer, reference date) → days late.
type Lateness = BTreeMap<(String, String, String, String, String, NaiveDate), i64>;

/// The standard's slug of a message kind name (JW305 → ijw).
fn standard_of(kind: &str) -> &'static str {
    ijwmo::MessageKind::from_name(kind)
        .map(|k| k.standard.slug())
        .unwrap_or_default()
}

/// The provider obligations of the window (start, stop, declaration) the facts found late.
fn late_in_facts(p: &Processed) -> Lateness {
    p.timeliness
        .iter()
        .filter(|f| f.owed_by_role == Partij::Aanbieder)
        .filter(|f| p.in_window(f))
        .filter(|f| f.days_late.is_some_and(|d| d > 0))
        .map(|f| {
            (
                (
                    f.rule().to_string(),
                    f.standard.slug().to_string(),
                    f.agb.clone(),
                    f.gemeente.clone(),
                    f.reference.clone(),
                    f.reference_date,
                ),
                f.days_late.unwrap_or_default(),
            )
        })
        .collect()
}

fn late_in_summary(p: &Processed) -> Lateness {
    p.summary
        .late
        .iter()
        .map(|l| {
            (
                (
                    l.rule.to_string(),
                    standard_of(&l.kind).to_string(),
                    l.provider.clone(),
                    l.gemeente.clone(),
                    l.toewijzing_nummer
                        .map(|n| n.to_string())
                        .unwrap_or_default(),
                    day(&l.reference_date),
                ),
                i64::from(l.working_days_late),
            )
        })
        .collect()
}

/// The `declared` column of a costs table, in cents, per group.
fn euros_per_group(t: &ijwmo::report::Table) -> BTreeMap<String, i64> {
    t.to_csv()
        .lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            let (euros, cents) = cols[3].split_once('.').unwrap();
            let sign = if euros.starts_with('-') { -1 } else { 1 };
            let whole: i64 = euros.trim_start_matches('-').parse().unwrap();
            (
                cols[0].to_string(),
                sign * (whole * 100 + cents.parse::<i64>().unwrap()),
            )
        })
        .collect()
}

/// Prestaties by (provider, DeclaratieNummer, ReferentieNummer).
fn lines(p: &Processed) -> BTreeMap<(String, String, String), &PrestatieKosten> {
    p.prestaties
        .iter()
        .map(|x| {
            (
                (
                    x.agb.clone(),
                    x.declaratie_nummer.clone(),
                    x.referentie_nummer.clone(),
                ),
                x,
            )
        })
        .collect()
}

on_both!(the_facts_find_exactly_what_the_generator_injected);

mod scenarios {
    pub use super::the_facts_find_exactly_what_the_generator_injected;
}

/// Long waits and the group of 17-year-olds (issue 11, items 1 and 5).
fn care_lifecycle(p: &Processed) {
    use ijwmo::facts::query::{table, Facts, Filter, Query};
    let s = &p.summary;
    // exactly the allocations the summary lists wait more than 38 days from their Ingangsdatum
    // to their first start, each as many days as it says
    assert!(!s.long_waits.is_empty(), "no long wait");
    let found: BTreeMap<(String, u32), i64> = p
        .toewijzingen
        .iter()
        .filter_map(|t| {
            let days = (t.traject.first_start? - t.ingangsdatum).num_days();
            let key = (t.gemeente.clone(), u32::try_from(t.toewijzing_nummer).ok()?);
            (days > 38).then_some((key, days))
        })
        .collect();
    let injected: BTreeMap<(String, u32), i64> = s
        .long_waits
        .iter()
        .map(|l| {
            assert!(s.long_wait_providers.contains(&l.provider), "{l:?}");
            (
                (l.gemeente.clone(), l.toewijzing_nummer),
                l.days_from_ingang,
            )
        })
        .collect();
    assert_eq!(found, injected, "long waits");
    // and the figure shows them at their providers: a provider whose allocations all waited
    // long has a median over 38 days, every other provider's p90 stays within 38
    let facts = Facts::new(
        vec![],
        p.prestaties.clone(),
        p.toewijzingen.clone(),
        Default::default(),
        Default::default(),
    );
    let waiting = table(
        &facts,
        &Filter::default(),
        &Query::Waiting {
            by: GroupBy::Provider,
        },
    )
    .unwrap()
    .to_csv();
    let mut slow_seen = 0;
    for line in waiting.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        let p90_ingang: i64 = cols[7].parse().unwrap_or(0);
        if !s.long_wait_providers.iter().any(|a| a == cols[0]) {
            assert!(p90_ingang <= 38, "{line}");
        } else if p90_ingang > 38 {
            slow_seen += 1;
        }
    }
    assert!(
        slow_seen > 0,
        "no provider shows its long waits:\n{waiting}"
    );

    // the 17-year-olds: the month of the 18th birthday reached the facts (never the date), and
    // the 18+ list holds every one of them whose allocation runs past it and is in force
    assert!(
        s.seventeen.len() >= 3,
        "too few 17-year-olds: {}",
        s.seventeen.len()
    );
    let by_key: BTreeMap<(&str, i64), &ToewijzingKosten> = p
        .toewijzingen
        .iter()
        .map(|t| ((t.gemeente.as_str(), t.toewijzing_nummer), t))
        .collect();
    let as_of = facts.latest_day();
    let list = table(
        &facts,
        &Filter::default(),
        &Query::Handover { as_of, months: 12 },
    )
    .unwrap()
    .to_csv();
    let mut listed = 0;
    for y in &s.seventeen {
        let t = by_key[&(y.gemeente.as_str(), i64::from(y.toewijzing_nummer))];
        let month = t
            .traject
            .turns_18_month
            .map(|m| m.format("%Y-%m").to_string());
        assert_eq!(month.as_deref(), Some(y.turns_18_month.as_str()), "{y:?}");
        let expected = on_the_list(y, t, as_of);
        let row = format!(",{},{},", t.client, y.toewijzing_nummer);
        assert_eq!(list.contains(&row), expected, "{y:?} on {as_of}:\n{list}");
        listed += usize::from(expected);
    }
    assert!(
        listed > 0,
        "no 17-year-old on the 18+ list of {as_of}:\n{list}"
    );
}

/// Whether an injected 17-year-old belongs on the 18+ list of `as_of` (12 months), worked out
/// here from the summary's birthday month and the allocation's own dates rather than by the
/// figure's code. Only an allocation ending inside the birthday month needs the day of the
/// birthday, which the facts keep as `runs_past_18` and nothing else does.
fn on_the_list(
    y: &ijwmo::generate::summary::Seventeen,
    t: &ToewijzingKosten,
    as_of: NaiveDate,
) -> bool {
    let birthday_month = NaiveDate::parse_from_str(&format!("{}-01", y.turns_18_month), "%Y-%m-%d")
        .expect("YYYY-MM");
    let first = chrono::Datelike::with_day(&as_of, 1).unwrap();
    let horizon_end = first.checked_add_months(chrono::Months::new(12)).unwrap();
    let next_month = birthday_month
        .checked_add_months(chrono::Months::new(1))
        .unwrap();
    let runs_past = match t.commitment_end {
        None => true,
        Some(end) if end >= next_month => true,
        Some(end) if end < birthday_month => false,
        Some(_) => t.traject.runs_past_18 == Some(true),
    };
    birthday_month >= first
        && birthday_month < horizon_end
        && runs_past
        && t.commitment_end.is_none_or(|e| e >= as_of)
        && t.traject.allocated_on.is_some_and(|a| a <= as_of)
}

pub async fn the_facts_find_exactly_what_the_generator_injected(db: Db) {
    let p = process(&db).await;
    let s = &p.summary;
    // the run must carry every kind of injection, or the comparisons below prove little
    assert!(s.late.iter().any(|l| l.rule == "OP271"), "no late start");
    assert!(s.late.iter().any(|l| l.rule == "OP272"), "no late stop");
    assert!(
        s.late.iter().any(|l| l.rule == "REGIO-DECL"),
        "no late declaration"
    );
    assert!(!s.missing_stops.is_empty(), "no missing stop");
    assert!(!s.tariff_errors.is_empty(), "no tariff error");
    assert!(!s.volume_overruns.is_empty(), "no volume overrun");
    assert!(!s.malformed.is_empty(), "no malformed file");

    // lateness: the same obligations, each with the same working days late
    let found = late_in_facts(&p);
    let injected = late_in_summary(&p);
    let missed: Vec<_> = injected
        .iter()
        .filter(|(k, d)| found.get(*k) != Some(*d))
        .map(|(k, d)| (k, d, found.get(k)))
        .collect();
    assert!(
        missed.is_empty(),
        "late in the summary, not so in the facts: {missed:#?}"
    );
    let extra: Vec<_> = found
        .iter()
        .filter(|(k, _)| !injected.contains_key(*k))
        .collect();
    assert!(
        extra.is_empty(),
        "late in the facts, not in the summary: {extra:#?}"
    );

    // missing stops: exactly the unmet stops of the window, overdue by the sweep
    let unmet_stops: BTreeSet<(String, String, NaiveDate)> = p
        .timeliness
        .iter()
        .filter(|f| p.in_window(f))
        .filter(|f| f.rule() == "OP272" && f.fulfilled_at.is_none())
        .map(|f| {
            assert_eq!(f.status, Status::Overdue, "{f:?}");
            (f.agb.clone(), f.reference.clone(), f.reference_date)
        })
        .collect();
    let missing: BTreeSet<(String, String, NaiveDate)> = s
        .missing_stops
        .iter()
        .map(|m| {
            (
                m.provider.clone(),
                m.toewijzing_nummer.to_string(),
                day(&m.allocation_end),
            )
        })
        .collect();
    assert_eq!(unmet_stops, missing);
    // every other obligation of the window was met
    let unmet_other: Vec<_> = p
        .timeliness
        .iter()
        .filter(|f| p.in_window(f))
        .filter(|f| f.fulfilled_at.is_none() && f.rule() != "OP272")
        .collect();
    assert!(unmet_other.is_empty(), "{unmet_other:#?}");
    // nothing is measured before the measurement start (the history's earlier months)
    let before: Vec<_> = p
        .timeliness
        .iter()
        .filter(|f| f.reference_date < p.window.0)
        .collect();
    assert!(before.is_empty(), "{before:#?}");

    // rejected lines: exactly the injected tariff errors and overruns, with their codes, and
    // each resubmission approved
    let lines = lines(&p);
    let line = |agb: &str, decl: &str, referentie: &str| {
        *lines
            .get(&(agb.to_string(), decl.to_string(), referentie.to_string()))
            .unwrap_or_else(|| panic!("no prestatie {agb} {decl} {referentie}"))
    };
    let mut expected_rejected = BTreeSet::new();
    let mut check = |agb: &str, decl: &str, referentie: &str, code: &str| {
        let l = line(agb, decl, referentie);
        assert_eq!(l.status, "afgewezen", "{l:?}");
        assert!(
            l.retour_codes.split(' ').any(|c| c == code),
            "{referentie}: expected {code}, got {:?}",
            l.retour_codes
        );
        expected_rejected.insert((agb.to_string(), decl.to_string(), referentie.to_string()));
    };
    for t in &s.tariff_errors {
        check(
            &t.provider,
            &t.declaratie_nummer,
            &t.referentie_nummer,
            t.expected_code,
        );
    }
    for o in &s.volume_overruns {
        check(
            &o.provider,
            &o.declaratie_nummer,
            &o.referentie_nummer,
            o.expected_code,
        );
    }
    let rejected: BTreeSet<_> = p
        .prestaties
        .iter()
        .filter(|x| x.status == "afgewezen")
        .map(|x| {
            (
                x.agb.clone(),
                x.declaratie_nummer.clone(),
                x.referentie_nummer.clone(),
            )
        })
        .collect();
    assert_eq!(rejected, expected_rejected);
    let resubmitted = s
        .tariff_errors
        .iter()
        .filter_map(|t| Some((&t.provider, t.resubmitted_referentie_nummer.as_ref()?)))
        .chain(
            s.volume_overruns
                .iter()
                .filter_map(|o| Some((&o.provider, o.resubmitted_referentie_nummer.as_ref()?))),
        );
    let mut resubmissions = 0;
    for (agb, referentie) in resubmitted {
        let approved = p.prestaties.iter().any(|x| {
            &x.agb == agb && &x.referentie_nummer == referentie && x.status == "goedgekeurd"
        });
        assert!(approved, "resubmission {referentie} of {agb} not approved");
        resubmissions += 1;
    }
    assert!(resubmissions > 0);

    // malformed files: kept aside with the expected rule
    let expected_malformed: BTreeMap<String, String> = s
        .malformed
        .iter()
        .map(|m| (m.file.clone(), m.expected_rule.to_string()))
        .collect();
    assert_eq!(p.unprocessable, expected_malformed);

    // money: what every valid 323 declared, per gemeente
    let mut declared: BTreeMap<String, i64> = BTreeMap::new();
    for x in &p.prestaties {
        *declared.entry(x.gemeente.clone()).or_default() += x.declared_cents;
    }
    assert_eq!(declared, s.totals.declared_cents_per_gemeente);

    // who pays: beschermd wonen, allocated by Gouda, is split over the five by the region's
    // verdeelsleutel; every other line stays with the municipality that allocated it
    let betalers = Betalers::from_file(&region().0.join("betalers.toml")).unwrap();
    let regional: Vec<&PrestatieKosten> = p
        .prestaties
        .iter()
        .filter(|x| x.segment.as_deref() == Some("wmo-beschermd-wonen"))
        .collect();
    assert!(!regional.is_empty(), "no beschermd wonen declared");
    assert!(regional.iter().all(|x| x.gemeente == "0513"));
    let by_payer = euros_per_group(&stats::costs(&p.prestaties, GroupBy::Payer, &betalers));
    let by_allocator = euros_per_group(&stats::costs(
        &p.prestaties,
        GroupBy::Municipality,
        &betalers,
    ));
    assert_eq!(
        by_payer.values().sum::<i64>(),
        by_allocator.values().sum::<i64>()
    );
    let bw_total: i64 = regional.iter().map(|x| x.declared_cents).sum();
    // each line is split on its own, so the shares are summed per line
    let mut shares: BTreeMap<String, i64> = BTreeMap::new();
    for x in &regional {
        for (gemeente, share) in betalers.verdeel(x.segment.as_deref(), "0513", x.declared_cents) {
            *shares.entry(gemeente).or_default() += share;
        }
    }
    assert_eq!(shares.len(), 5);
    for (gemeente, share) in shares {
        assert!(share > 0, "{gemeente} pays nothing of beschermd wonen");
        let moved = if gemeente == "0513" {
            share - bw_total
        } else {
            share
        };
        assert_eq!(
            by_payer[&gemeente] - by_allocator[&gemeente],
            moved,
            "{gemeente}"
        );
    }

    care_lifecycle(&p);
    // the budget early warning finds the one provider the generator sent over its ceiling,
    // crossed by the realisation itself, and warns of no other
    let overrun = s
        .budget_overrun
        .as_ref()
        .expect("the generator injects a budget overrun");
    let facts = ijwmo::facts::query::Facts::new(
        vec![],
        p.prestaties.clone(),
        p.toewijzingen.clone(),
        p.contracts.clone(),
        betalers.clone(),
    );
    let budget = ijwmo::facts::query::table(
        &facts,
        &Default::default(),
        &ijwmo::facts::query::Query::Budget { year: overrun.year },
    )
    .unwrap();
    let col = |name: &str| budget.columns.iter().position(|c| *c == name).unwrap();
    let text = |row: &Vec<ijwmo::report::Cell>, name: &str| match &row[col(name)] {
        ijwmo::report::Cell::Text(t) => t.clone(),
        ijwmo::report::Cell::Int(v) => v.to_string(),
        ijwmo::report::Cell::Decimal(v, 2) => format!("{}.{:02}", v / 100, v % 100),
        ijwmo::report::Cell::Decimal(v, p) => format!("{v}e-{p}"),
        ijwmo::report::Cell::Empty => String::new(),
    };
    let warned: Vec<(String, String, String, String)> = budget
        .rows
        .iter()
        .filter(|r| !text(r, "warning").is_empty())
        .map(|r| {
            (
                text(r, "holder"),
                text(r, "basis"),
                text(r, "warning"),
                text(r, "ceiling"),
            )
        })
        .collect();
    assert_eq!(
        warned,
        vec![(
            overrun.provider.clone(),
            "realised".to_string(),
            "100".to_string(),
            format!(
                "{}.{:02}",
                overrun.budgetplafond / 100,
                overrun.budgetplafond % 100
            ),
        )],
        "{}",
        budget.to_csv()
    );
    assert!(budget.rows.len() > 1, "other providers have ceilings too");

    // and no BSN reached the facts
    for f in &p.timeliness {
        if let Some(c) = &f.client {
            assert!(!c.starts_with("9999"), "{c}");
        }
    }
}
