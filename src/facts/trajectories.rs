//! Outcomes and trajectories (issue 11, item 3): how long care lasts from the actual start to
//! the definitive end, how often it ends according to plan, and how often the client comes
//! back for the same kind of care. Read from the allocation facts ([`super::traject`]).
//!
//! Decisions on points the issue leaves open:
//! - a **trajectory** is one allocation from its first 305 Begindatum to its definitive 307
//!   Einddatum; its length is in calendar days, both days counted (started and stopped on the
//!   same day: 1). Only ended trajectories count, in the **month of their end**;
//! - **according to plan** is RedenBeeindiging 31 (Jeugdwet, JZ588) or 19 (Wmo, WMO588);
//!   **early** (voortijdig) is 32–35 (Jeugdwet) or 21–23 (Wmo), the codes the lists name as
//!   ended early or unilaterally. Every other reason (death, 36 by the municipality, 37 change
//!   request, 38 other provider, 39 other domain, and Wmo 31 moving) is neither. Code 31 is
//!   read per standard, never across;
//! - **re-entry within N months**: another allocation of the same client (pseudonym, so across
//!   providers and municipalities) in the same standard and product category with an
//!   Ingangsdatum after the end and at most N calendar months after it. Its share is over the
//!   trajectories whose N months have passed by the as-of day (a younger end cannot show its
//!   re-entry yet), and so is the count.

use super::stats::{pct_tenths, percentile, GroupBy};
use super::traject::group_of;
use super::ToewijzingKosten;
use crate::message::kind::Standard;
use crate::protocol::deadlines::first_of_month;
use crate::report::{Cell, Table};
use chrono::{Months, NaiveDate};
use std::collections::{BTreeMap, HashMap};

/// How a trajectory ended, by its RedenBeeindiging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uitkomst {
    VolgensPlan,
    Voortijdig,
    Anders,
}

/// The outcome of `reden` under `standard`'s code list.
pub fn uitkomst(standard: Standard, reden: &str) -> Uitkomst {
    match (standard, reden) {
        (Standard::Ijw, "31") | (Standard::Iwmo, "19") => Uitkomst::VolgensPlan,
        (Standard::Ijw, "32" | "33" | "34" | "35") | (Standard::Iwmo, "21" | "22" | "23") => {
            Uitkomst::Voortijdig
        }
        _ => Uitkomst::Anders,
    }
}

/// The month an allocation counts in: that of its definitive end (ended trajectories only).
pub fn end_month(t: &ToewijzingKosten) -> Option<NaiveDate> {
    t.traject.first_start?;
    t.traject.care_ended_on.map(first_of_month)
}

/// Client pseudonym, standard and product category: what a re-entry has in common.
type ClientZorg<'a> = (&'a str, Standard, Option<&'a str>);

/// Every allocation's Ingangsdatum (and fact key) per client and kind of care, to find
/// re-entries.
pub struct Heraanmeldingen<'a> {
    by_client: HashMap<ClientZorg<'a>, Vec<(NaiveDate, &'a str)>>,
}

impl<'a> Heraanmeldingen<'a> {
    /// Over `all` allocations (not only the filtered ones: a client may come back elsewhere).
    pub fn of(all: impl IntoIterator<Item = &'a ToewijzingKosten>) -> Heraanmeldingen<'a> {
        let mut by_client: HashMap<_, Vec<_>> = HashMap::new();
        for t in all {
            by_client
                .entry((t.client.as_str(), t.standard, t.categorie.as_deref()))
                .or_default()
                .push((t.ingangsdatum, t.key.as_str()));
        }
        Heraanmeldingen { by_client }
    }

    /// Whether `t`, ended on `end`, was followed by another allocation within `months`.
    pub fn within(&self, t: &ToewijzingKosten, end: NaiveDate, months: u32) -> bool {
        let Some(limit) = end.checked_add_months(Months::new(months)) else {
            return false;
        };
        self.by_client
            .get(&(t.client.as_str(), t.standard, t.categorie.as_deref()))
            .is_some_and(|v| {
                v.iter()
                    .any(|(ingang, key)| *key != t.key && *ingang > end && *ingang <= limit)
            })
    }
}

/// Whether the `months` after `end` have passed by `as_of`.
fn observed(end: NaiveDate, months: u32, as_of: NaiveDate) -> bool {
    end.checked_add_months(Months::new(months))
        .is_some_and(|l| l <= as_of)
}

/// Per group (provider, municipality, category, product or month of end):
/// - `ended`: ended trajectories; `median_days`, `p90_days`: their length (nearest rank);
/// - `volgens_plan`, `voortijdig` and their share of `ended` (percent, one decimal);
/// - `observed_6m`: ended at least 6 months before `as_of`; `reentry_6m`: of those, followed
///   by a new allocation within 6 months; `reentry_6m_pct` the share; the same for 12.
pub fn trajectories_of<'a>(
    allocations: impl IntoIterator<Item = &'a ToewijzingKosten>,
    heraanmeldingen: &Heraanmeldingen<'_>,
    by: GroupBy,
    as_of: NaiveDate,
) -> Table {
    #[derive(Default)]
    struct Acc {
        lengths: Vec<i64>,
        plan: i64,
        early: i64,
        observed: [i64; 2],
        reentry: [i64; 2],
    }
    const WINDOWS: [u32; 2] = [6, 12];
    let mut groups: BTreeMap<String, Acc> = BTreeMap::new();
    for t in allocations {
        let (Some(start), Some(end), Some(month)) =
            (t.traject.first_start, t.traject.care_ended_on, end_month(t))
        else {
            continue;
        };
        let a = groups.entry(group_of(t, by, month)).or_default();
        a.lengths.push((end - start).num_days() + 1);
        match uitkomst(
            t.standard,
            t.traject.reden_beeindiging.as_deref().unwrap_or(""),
        ) {
            Uitkomst::VolgensPlan => a.plan += 1,
            Uitkomst::Voortijdig => a.early += 1,
            Uitkomst::Anders => {}
        }
        for (i, m) in WINDOWS.iter().enumerate() {
            if observed(end, *m, as_of) {
                a.observed[i] += 1;
                if heraanmeldingen.within(t, end, *m) {
                    a.reentry[i] += 1;
                }
            }
        }
    }
    let mut table = Table::new(vec![
        by.name(),
        "ended",
        "median_days",
        "p90_days",
        "volgens_plan",
        "volgens_plan_pct",
        "voortijdig",
        "voortijdig_pct",
        "observed_6m",
        "reentry_6m",
        "reentry_6m_pct",
        "observed_12m",
        "reentry_12m",
        "reentry_12m_pct",
    ]);
    let pct = |part, whole| Cell::from(pct_tenths(part, whole).map(|v| Cell::Decimal(v, 1)));
    for (g, mut a) in groups {
        a.lengths.sort_unstable();
        let ended = a.lengths.len() as i64;
        table.push(vec![
            g.into(),
            ended.into(),
            percentile(&a.lengths, 50).into(),
            percentile(&a.lengths, 90).into(),
            a.plan.into(),
            pct(a.plan, ended),
            a.early.into(),
            pct(a.early, ended),
            a.observed[0].into(),
            a.reentry[0].into(),
            pct(a.reentry[0], a.observed[0]),
            a.observed[1].into(),
            a.reentry[1].into(),
            pct(a.reentry[1], a.observed[1]),
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_31_is_read_per_standard() {
        assert_eq!(uitkomst(Standard::Ijw, "31"), Uitkomst::VolgensPlan);
        assert_eq!(uitkomst(Standard::Iwmo, "31"), Uitkomst::Anders);
        assert_eq!(uitkomst(Standard::Iwmo, "19"), Uitkomst::VolgensPlan);
        assert_eq!(uitkomst(Standard::Ijw, "19"), Uitkomst::Anders);
        assert_eq!(uitkomst(Standard::Ijw, "35"), Uitkomst::Voortijdig);
        assert_eq!(uitkomst(Standard::Iwmo, "23"), Uitkomst::Voortijdig);
        assert_eq!(uitkomst(Standard::Ijw, "38"), Uitkomst::Anders);
    }

    #[test]
    fn windows_are_calendar_months() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert!(observed(d("2026-03-31"), 6, d("2026-09-30")));
        assert!(!observed(d("2026-03-31"), 6, d("2026-09-29")));
    }
}
