//! Late-declaration penalties, what-if (issue 11, item 6): a penalty scheme (TOML) applied to
//! the declaration obligations met late (the regional declaration term, `REGIO-DECL`, its
//! working days late as the timeliness facts count them). A report only: nothing is deducted.
//!
//! The arithmetic of one obligation ([`Scheme::penalty`]):
//! - up to `grace_working_days` working days late: no penalty (rule `grace`);
//! - otherwise the **started weeks** late: ⌈days ÷ `working_days_per_week`⌉, the days counted
//!   from the due date (`count_weeks_from = "due"`) or from the end of the grace period
//!   (`"grace"`); the penalty is `percent_per_started_week` % of the declared amount per started
//!   week (rule `per_week`);
//! - capped at `cap_per_declaration` (rule `cap`);
//! - computed exactly in `rust_decimal` and **rounded once**, at the end, to whole cents (half
//!   away from zero).
//!
//! Decisions on points the issue leaves open:
//! - "a declaration" is one declaration obligation: one allocation's month of care at one
//!   provider (the row the timeliness facts keep), so the cap applies per client-month;
//! - the declared amount concerned is that of the approved debit lines for the allocation and
//!   month that arrived on the day the obligation was met (the late declaration itself; later
//!   corrections are not penalised again). Obligations still unmet (`overdue`) have no amount
//!   yet and are not in the report until they are declared;
//! - the month of a row is the month of care; the period filter selects by due date, as for
//!   every obligation figure.

use super::betaler::{parse, read, BetalersError};
use super::stats::euros;
use super::{ObligationKind, PrestatieKosten, TimelinessFact};
use crate::protocol::deadlines::{first_of_month, Status};
use crate::report::Table;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// From when the weeks late are counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeeksFrom {
    /// From the due date: every working day late counts.
    #[default]
    Due,
    /// From the end of the grace period.
    Grace,
}

/// A penalty scheme (see `deploy/penalty-scheme.toml` and docs/facts.md for every key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheme {
    /// Shown with the report.
    pub name: String,
    /// Percent of the declared amount per started week late.
    pub percent_per_started_week: Decimal,
    /// Working days late without a penalty.
    #[serde(default)]
    pub grace_working_days: u32,
    /// Working days that make a week.
    #[serde(default = "five")]
    pub working_days_per_week: u32,
    #[serde(default)]
    pub count_weeks_from: WeeksFrom,
    /// The most one declaration obligation is fined, in euros (none: no cap).
    #[serde(default)]
    pub cap_per_declaration: Option<Decimal>,
}

fn five() -> u32 {
    5
}

/// Which rule set a penalty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// Within the grace period: none.
    Grace,
    /// The percentage per started week.
    PerWeek,
    /// The cap per declaration.
    Cap,
}

impl Rule {
    pub fn code(self) -> &'static str {
        match self {
            Rule::Grace => "grace",
            Rule::PerWeek => "per_week",
            Rule::Cap => "cap",
        }
    }
}

/// The penalty of one obligation and how it came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Penalty {
    pub rule: Rule,
    /// Started weeks counted (0 within the grace period).
    pub weeks: u32,
    pub cents: i64,
}

impl Scheme {
    pub fn from_toml(text: &str) -> Result<Scheme, BetalersError> {
        let s: Scheme = parse("penalty scheme", text)?;
        s.check()?;
        Ok(s)
    }

    pub fn from_file(path: &Path) -> Result<Scheme, BetalersError> {
        Scheme::from_toml(&read(path)?)
    }

    fn check(&self) -> Result<(), BetalersError> {
        let bad = |m: &str| Err(BetalersError::Settings(format!("penalty scheme: {m}")));
        if self.percent_per_started_week < Decimal::ZERO
            || self.percent_per_started_week > Decimal::ONE_HUNDRED
        {
            return bad("percent_per_started_week must lie between 0 and 100");
        }
        if self.working_days_per_week == 0 {
            return bad("working_days_per_week must be at least 1");
        }
        if let Some(cap) = self.cap_per_declaration {
            if cap < Decimal::ZERO || cap.normalize().scale() > 2 {
                return bad("cap_per_declaration must be a positive amount in euros and cents");
            }
        }
        Ok(())
    }

    fn cap_cents(&self) -> Option<Decimal> {
        self.cap_per_declaration.map(|c| c * Decimal::ONE_HUNDRED)
    }

    /// The penalty on `declared_cents` declared `days_late` working days late (module doc).
    pub fn penalty(&self, days_late: u32, declared_cents: i64) -> Penalty {
        if days_late <= self.grace_working_days {
            return Penalty {
                rule: Rule::Grace,
                weeks: 0,
                cents: 0,
            };
        }
        let counted = match self.count_weeks_from {
            WeeksFrom::Due => days_late,
            WeeksFrom::Grace => days_late - self.grace_working_days,
        };
        let weeks = counted.div_ceil(self.working_days_per_week);
        let exact = Decimal::from(declared_cents) * self.percent_per_started_week
            / Decimal::ONE_HUNDRED
            * Decimal::from(weeks);
        let (rule, amount) = match self.cap_cents() {
            Some(cap) if exact > cap => (Rule::Cap, cap),
            _ => (Rule::PerWeek, exact),
        };
        let cents = amount
            .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
            .to_i64()
            .unwrap_or(i64::MAX);
        Penalty { rule, weeks, cents }
    }

    /// The rule that produced a penalty, in words (the report's `rule_text`).
    pub fn explain(&self, p: &Penalty) -> String {
        let pct = self.percent_per_started_week.normalize();
        match p.rule {
            Rule::Grace => format!(
                "at most {} working days late: none",
                self.grace_working_days
            ),
            Rule::PerWeek => format!("{pct}% × {} started week(s)", p.weeks),
            Rule::Cap => format!(
                "{pct}% × {} started week(s), capped at {}",
                p.weeks,
                self.cap_per_declaration.unwrap_or_default()
            ),
        }
    }
}

/// One late declaration obligation with its amount and penalty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boete<'a> {
    pub obligation: &'a TimelinessFact,
    pub days_late: u32,
    pub declared_cents: i64,
    pub penalty: Penalty,
}

/// The penalties of the late declaration obligations among `obligations` (module doc).
pub fn boetes<'a>(
    obligations: impl IntoIterator<Item = &'a TimelinessFact>,
    lines: &'a [PrestatieKosten],
    scheme: &Scheme,
) -> Vec<Boete<'a>> {
    // (scope, allocation, month of care, day received) → approved debit cents
    let mut declared: HashMap<(&str, String, chrono::NaiveDate, chrono::NaiveDate), i64> =
        HashMap::new();
    for p in lines
        .iter()
        .filter(|p| p.debet_credit == "D" && p.status == "goedgekeurd")
    {
        *declared
            .entry((
                p.scope.as_str(),
                p.toewijzing_nummer.to_string(),
                p.period_month,
                p.received_on,
            ))
            .or_default() += p.approved_cents;
    }
    obligations
        .into_iter()
        .filter(|f| f.kind == ObligationKind::Declaratie && f.status == Status::Late)
        .filter_map(|f| {
            let on = f.fulfilled_on?;
            let days_late = u32::try_from(f.days_late?).ok()?;
            let month = first_of_month(f.reference_date);
            let cents = declared
                .get(&(f.scope.as_str(), f.reference.clone(), month, on))
                .copied()
                .unwrap_or(0);
            Some(Boete {
                obligation: f,
                days_late,
                declared_cents: cents,
                penalty: scheme.penalty(days_late, cents),
            })
        })
        .collect()
}

/// Per provider, month of care and rule: obligations, working days late (least and most),
/// declared amount and penalty (columns in docs/facts.md).
pub fn penalties_of(boetes: &[Boete], scheme: &Scheme) -> Table {
    #[derive(Default)]
    struct Acc {
        obligations: i64,
        min_wd: Option<u32>,
        max_wd: u32,
        declared: i64,
        penalty: i64,
    }
    let mut groups: BTreeMap<(String, String, Rule, u32), Acc> = BTreeMap::new();
    let mut texts: BTreeMap<(Rule, u32), String> = BTreeMap::new();
    for b in boetes {
        let f = b.obligation;
        let key = (
            f.agb.clone(),
            f.reference_date.format("%Y-%m").to_string(),
            b.penalty.rule,
            b.penalty.weeks,
        );
        texts
            .entry((b.penalty.rule, b.penalty.weeks))
            .or_insert_with(|| scheme.explain(&b.penalty));
        let a = groups.entry(key).or_default();
        a.obligations += 1;
        a.min_wd = Some(a.min_wd.map_or(b.days_late, |m| m.min(b.days_late)));
        a.max_wd = a.max_wd.max(b.days_late);
        a.declared += b.declared_cents;
        a.penalty += b.penalty.cents;
    }
    let mut t = Table::new(vec![
        "provider",
        "month",
        "rule",
        "rule_text",
        "obligations",
        "min_wd_late",
        "max_wd_late",
        "declared",
        "penalty",
    ]);
    for ((agb, month, rule, weeks), a) in groups {
        t.push(vec![
            agb.into(),
            month.into(),
            rule.code().into(),
            texts[&(rule, weeks)].clone().into(),
            a.obligations.into(),
            i64::from(a.min_wd.unwrap_or(0)).into(),
            i64::from(a.max_wd).into(),
            euros(a.declared),
            euros(a.penalty),
        ]);
    }
    t
}

/// Every late declaration obligation with its penalty (pseudonymised; for explaining a line).
pub fn penalty_lines(boetes: &[Boete], scheme: &Scheme) -> Table {
    let mut t = Table::new(vec![
        "provider",
        "gemeente",
        "client_pseudonym",
        "allocation",
        "month",
        "due_date",
        "fulfilled_on",
        "wd_late",
        "declared",
        "weeks",
        "penalty",
        "rule",
        "rule_text",
    ]);
    let mut sorted: Vec<&Boete> = boetes.iter().collect();
    sorted.sort_by(|a, b| {
        (
            &a.obligation.agb,
            a.obligation.reference_date,
            &a.obligation.key,
        )
            .cmp(&(
                &b.obligation.agb,
                b.obligation.reference_date,
                &b.obligation.key,
            ))
    });
    for b in sorted {
        let f = b.obligation;
        t.push(vec![
            f.agb.clone().into(),
            f.gemeente.clone().into(),
            f.client.clone().into(),
            f.reference.clone().into(),
            f.reference_date.format("%Y-%m").to_string().into(),
            f.due_date.to_string().into(),
            f.fulfilled_on.map(|d| d.to_string()).into(),
            i64::from(b.days_late).into(),
            euros(b.declared_cents),
            i64::from(b.penalty.weeks).into(),
            euros(b.penalty.cents),
            b.penalty.rule.code().into(),
            scheme.explain(&b.penalty).into(),
        ]);
    }
    t
}

/// The example scheme shipped in `deploy/penalty-scheme.toml` (kept in step by a test).
pub const EXAMPLE: &str = include_str!("../../deploy/penalty-scheme.toml");

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn scheme(pct: &str, grace: u32, from: WeeksFrom, cap: Option<&str>) -> Scheme {
        Scheme {
            name: "test".into(),
            percent_per_started_week: pct.parse().unwrap(),
            grace_working_days: grace,
            working_days_per_week: 5,
            count_weeks_from: from,
            cap_per_declaration: cap.map(|c| c.parse().unwrap()),
        }
    }

    #[test]
    fn grace_weeks_and_cap_by_hand() {
        let s = scheme("2.5", 5, WeeksFrom::Due, Some("50.00"));
        // 3 days late, grace 5: nothing
        assert_eq!(
            s.penalty(3, 100_000),
            Penalty {
                rule: Rule::Grace,
                weeks: 0,
                cents: 0
            }
        );
        // 6 days late: 2 started weeks × 2.5% of 1000.00 = 50.00 (= the cap, not over it)
        assert_eq!(
            s.penalty(6, 100_000),
            Penalty {
                rule: Rule::PerWeek,
                weeks: 2,
                cents: 5_000
            }
        );
        // 11 days: 3 weeks = 75.00, capped at 50.00
        assert_eq!(
            s.penalty(11, 100_000),
            Penalty {
                rule: Rule::Cap,
                weeks: 3,
                cents: 5_000
            }
        );
        // rounded once, at the end: 1.5% of 0.33 is 0.495 cents → 0.00; of 1234.57 it is
        // 1851.855 cents → 18.52
        let s = scheme("1.5", 0, WeeksFrom::Due, None);
        assert_eq!(s.penalty(1, 33).cents, 0);
        assert_eq!(s.penalty(1, 123_457).cents, 1_852);
        // counted from the end of the grace period: 8 days, grace 5 → 3 days = 1 week
        let s = scheme("10", 5, WeeksFrom::Grace, None);
        assert_eq!(s.penalty(8, 10_000).weeks, 1);
        assert_eq!(s.penalty(8, 10_000).cents, 1_000);
        assert_eq!(s.explain(&s.penalty(8, 10_000)), "10% × 1 started week(s)");
    }

    #[test]
    fn the_example_scheme_reads() {
        let s = Scheme::from_toml(EXAMPLE).unwrap();
        assert_eq!(s.grace_working_days, 5);
        assert!(Scheme::from_toml("name = \"x\"\npercent_per_started_week = \"101\"\n").is_err());
        assert!(Scheme::from_toml(
            "name = \"x\"\npercent_per_started_week = \"1\"\nworking_days_per_week = 0\n"
        )
        .is_err());
        assert!(Scheme::from_toml("name = \"x\"\npercent = \"1\"\n").is_err());
        // any file may be named: say where and what, never echo its text
        let e = Scheme::from_toml("root:x:0:0:root:/root:/bin/bash\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("not a TOML penalty scheme: line 1, column "),
            "{e}"
        );
        assert!(!e.contains("root"), "{e}");
    }

    proptest! {
        #[test]
        fn never_above_the_cap_and_monotone_in_days_late(
            pct in 0u32..=10_000,
            grace in 0u32..20,
            cap in proptest::option::of(0i64..1_000_000),
            from_grace in any::<bool>(),
            days in 0u32..400,
            cents in 0i64..100_000_000,
        ) {
            let s = Scheme {
                name: "p".into(),
                percent_per_started_week: Decimal::new(i64::from(pct), 2),
                grace_working_days: grace,
                working_days_per_week: 5,
                count_weeks_from: if from_grace { WeeksFrom::Grace } else { WeeksFrom::Due },
                cap_per_declaration: cap.map(|c| Decimal::new(c, 2)),
            };
            let p = s.penalty(days, cents);
            let later = s.penalty(days + 1, cents);
            prop_assert!(p.cents >= 0);
            if let Some(c) = cap {
                prop_assert!(p.cents <= c);
            }
            prop_assert!(later.cents >= p.cents);
            prop_assert!(later.weeks >= p.weeks);
            if days <= grace {
                prop_assert_eq!(p.cents, 0);
            }
            // never more than the declared amount times the weeks' percentage
            prop_assert!(p.cents <= cents * i64::from(pct) * i64::from(p.weeks) / 10_000 + 1);
        }
    }
}
