//! The analysts' statistics, computed from the fact rows (the same rows on every backend, so the
//! same output): late reporting per obligation kind, costs, and the forecast for a year.
//! Pure functions from rows to a [`Table`]; the CLI loads the rows and prints the table.

use super::cost::commitment_in_year;
use super::{ObligationKind, PrestatieKosten, TimelinessFact, ToewijzingKosten};
use crate::contracts::ContractSet;
use crate::protocol::deadlines::Status;
use crate::report::{Cell, Table};
use chrono::Datelike;
use std::collections::BTreeMap;

/// What rows are grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupBy {
    /// The provider's AGB code.
    Provider,
    /// The gemeentecode.
    Municipality,
    /// Product category and code (`45/45A03`; `45` for an aspecific allocation).
    Product,
    /// The month: of the due date (late) or of the product period (costs).
    Month,
    /// The contract segment (costs and forecast).
    Segment,
}

impl GroupBy {
    fn column(self) -> &'static str {
        match self {
            GroupBy::Provider => "provider",
            GroupBy::Municipality => "municipality",
            GroupBy::Product => "product",
            GroupBy::Month => "month",
            GroupBy::Segment => "segment",
        }
    }
}

fn product(categorie: Option<&str>, code: Option<&str>) -> String {
    match (categorie, code) {
        (Some(c), Some(p)) => format!("{c}/{p}"),
        (Some(c), None) => c.to_string(),
        _ => "-".to_string(),
    }
}

/// Nearest-rank percentile of sorted values (p in 1..=100).
pub fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// `part / whole` as a percentage in tenths, rounded half-up; None for an empty whole.
pub fn pct_tenths(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| (part * 2000 + whole) / (2 * whole))
}

/// Per group and obligation kind (in the order of [`ObligationKind::ALL`]):
/// - `total` obligations, and how many are `on_time`, `late`, `overdue` (unmet and past due —
///   "overdue open now") and `open` (unmet, not yet due);
/// - `pct_on_time` = on_time / (on_time + late + overdue): of the obligations whose term has
///   run out, the share met in time (open ones are not judged yet);
/// - `median_wd_late` and `p90_wd_late`: working days late of the met obligations (0 when on
///   time), nearest rank.
pub fn late(facts: &[TimelinessFact], by: GroupBy) -> Table {
    #[derive(Default)]
    struct Acc {
        total: i64,
        on_time: i64,
        late: i64,
        overdue: i64,
        open: i64,
        days: Vec<i64>,
    }
    let mut groups: BTreeMap<(String, usize), Acc> = BTreeMap::new();
    for f in facts {
        let g = match by {
            GroupBy::Provider => f.agb.clone(),
            GroupBy::Municipality => f.gemeente.clone(),
            GroupBy::Product => product(f.categorie.as_deref(), f.productcode.as_deref()),
            GroupBy::Month => f.due_date.format("%Y-%m").to_string(),
            GroupBy::Segment => "-".to_string(),
        };
        let k = ObligationKind::ALL
            .iter()
            .position(|x| *x == f.kind)
            .unwrap_or(0);
        let a = groups.entry((g, k)).or_default();
        a.total += 1;
        match f.status {
            Status::OnTime => a.on_time += 1,
            Status::Late => a.late += 1,
            Status::Overdue => a.overdue += 1,
            Status::Open => a.open += 1,
        }
        if let Some(d) = f.days_late {
            a.days.push(d);
        }
    }
    let mut t = Table::new(vec![
        by.column(),
        "kind",
        "rule",
        "total",
        "on_time",
        "late",
        "overdue",
        "open",
        "pct_on_time",
        "median_wd_late",
        "p90_wd_late",
    ]);
    for ((g, k), mut a) in groups {
        let kind = ObligationKind::ALL[k];
        a.days.sort_unstable();
        t.push(vec![
            g.into(),
            kind.code().into(),
            kind.rule().into(),
            a.total.into(),
            a.on_time.into(),
            a.late.into(),
            a.overdue.into(),
            a.open.into(),
            pct_tenths(a.on_time, a.on_time + a.late + a.overdue)
                .map_or(Cell::Empty, |v| Cell::Decimal(v, 1)),
            percentile(&a.days, 50).into(),
            percentile(&a.days, 90).into(),
        ]);
    }
    t
}

fn euros(cents: i64) -> Cell {
    Cell::Decimal(cents, 2)
}

/// Per group, over the prestaties whose ProductPeriode month lies in [from, to]:
/// `lines` and `rejected_lines`; `declared` (signed: debits − credits), `approved`, `rejected`,
/// `credited` (approved credits, as a positive amount) and `net` = approved debits − approved
/// credits (the realisation). Amounts in euros.
pub fn costs(lines: &[PrestatieKosten], by: GroupBy) -> Table {
    #[derive(Default)]
    struct Acc {
        lines: i64,
        rejected_lines: i64,
        declared: i64,
        approved: i64,
        rejected: i64,
        credited: i64,
    }
    let mut groups: BTreeMap<String, Acc> = BTreeMap::new();
    for p in lines {
        let g = match by {
            GroupBy::Provider => p.agb.clone(),
            GroupBy::Municipality => p.gemeente.clone(),
            GroupBy::Product => product(Some(&p.categorie), Some(&p.productcode)),
            GroupBy::Month => p.period_month.format("%Y-%m").to_string(),
            GroupBy::Segment => p.segment.clone().unwrap_or_else(|| "-".into()),
        };
        let a = groups.entry(g).or_default();
        a.lines += 1;
        if p.status != "goedgekeurd" {
            a.rejected_lines += 1;
        }
        a.declared += p.declared_cents;
        a.approved += p.approved_cents;
        a.rejected += p.rejected_cents;
        if p.debet_credit == "C" {
            a.credited -= p.approved_cents;
        }
    }
    let mut t = Table::new(vec![
        by.column(),
        "lines",
        "rejected_lines",
        "declared",
        "approved",
        "rejected",
        "credited",
        "net",
    ]);
    for (g, a) in groups {
        t.push(vec![
            g.into(),
            a.lines.into(),
            a.rejected_lines.into(),
            euros(a.declared),
            euros(a.approved),
            euros(a.rejected),
            euros(a.credited),
            euros(a.approved),
        ]);
    }
    t
}

/// The forecast for calendar year `year`, per group:
/// - `realised`: net approved amounts of the prestaties whose product period lies in the year
///   (realisation to date);
/// - `remaining`: for every allocation, what its commitment in the year
///   ([`commitment_in_year`]) leaves after what was realised on it in the year (never below 0;
///   allocations without a price add nothing);
/// - `forecast` = realised + remaining: the year's cost if every allocation is used as
///   allocated (an upper bound; method documented in docs/facts.md);
/// - grouped by provider: the yearly `budget_ceiling` from the contracts, and `realised_pct`
///   and `forecast_pct` of it.
pub fn forecast(
    lines: &[PrestatieKosten],
    allocations: &[ToewijzingKosten],
    contracts: &ContractSet,
    year: i32,
    by: GroupBy,
) -> Table {
    let group_line = |p: &PrestatieKosten| match by {
        GroupBy::Provider => p.agb.clone(),
        GroupBy::Municipality => p.gemeente.clone(),
        GroupBy::Product => product(Some(&p.categorie), Some(&p.productcode)),
        GroupBy::Month => p.period_month.format("%Y-%m").to_string(),
        GroupBy::Segment => p.segment.clone().unwrap_or_else(|| "-".into()),
    };
    let group_alloc = |t: &ToewijzingKosten| match by {
        GroupBy::Provider => t.agb.clone(),
        GroupBy::Municipality => t.gemeente.clone(),
        GroupBy::Product => product(t.categorie.as_deref(), t.productcode.as_deref()),
        GroupBy::Month => "-".to_string(),
        GroupBy::Segment => t.segment.clone().unwrap_or_else(|| "-".into()),
    };
    let in_year: Vec<&PrestatieKosten> = lines
        .iter()
        .filter(|p| p.period_month.year() == year)
        .collect();
    let mut realised: BTreeMap<String, i64> = BTreeMap::new();
    let mut per_alloc: BTreeMap<(&str, i64), i64> = BTreeMap::new();
    for p in &in_year {
        *realised.entry(group_line(p)).or_default() += p.approved_cents;
        *per_alloc
            .entry((&p.scope, p.toewijzing_nummer))
            .or_default() += p.approved_cents;
    }
    let mut remaining: BTreeMap<String, i64> = BTreeMap::new();
    for a in allocations {
        let Some(c) = commitment_in_year(a, year) else {
            continue;
        };
        let done = per_alloc
            .get(&(a.scope.as_str(), a.toewijzing_nummer))
            .copied()
            .unwrap_or(0);
        *remaining.entry(group_alloc(a)).or_default() += (c - done).max(0);
    }
    let mut keys: Vec<String> = realised.keys().chain(remaining.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    let mut columns = vec![by.column(), "year", "realised", "remaining", "forecast"];
    if by == GroupBy::Provider {
        columns.extend(["budget_ceiling", "realised_pct", "forecast_pct"]);
    }
    let mut t = Table::new(columns);
    for g in keys {
        let r = realised.get(&g).copied().unwrap_or(0);
        let rem = remaining.get(&g).copied().unwrap_or(0);
        let mut row = vec![
            g.clone().into(),
            i64::from(year).into(),
            euros(r),
            euros(rem),
            euros(r + rem),
        ];
        if by == GroupBy::Provider {
            let ceiling = contracts.budgetplafond(&g);
            row.push(ceiling.map_or(Cell::Empty, euros));
            for v in [r, r + rem] {
                row.push(
                    ceiling
                        .and_then(|c| pct_tenths(v, c))
                        .map_or(Cell::Empty, |p| Cell::Decimal(p, 1)),
                );
            }
        }
        t.push(row);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[4], 90), Some(4));
        let v = [0, 0, 1, 2, 3, 5, 8, 13, 21, 34];
        assert_eq!(percentile(&v, 50), Some(3));
        assert_eq!(percentile(&v, 90), Some(21));
        assert_eq!(percentile(&[0, 7], 50), Some(0));
        assert_eq!(percentile(&[0, 7], 90), Some(7));
    }

    #[test]
    fn percentages_round_half_up_in_tenths() {
        assert_eq!(pct_tenths(2, 3), Some(667));
        assert_eq!(pct_tenths(1, 3), Some(333));
        assert_eq!(pct_tenths(1, 8), Some(125));
        assert_eq!(pct_tenths(0, 0), None);
    }
}
