//! The analysts' statistics, computed from the fact rows (the same rows on every backend, so the
//! same output): late reporting per obligation kind, costs, and the forecast for a year.
//! Pure functions from rows to a [`Table`]; the CLI loads the rows and prints the table.

use super::cost::commitment_in_year;
use super::{Betalers, ObligationKind, PrestatieKosten, TimelinessFact, ToewijzingKosten};
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
    /// The paying municipality (costs and forecast): the allocating one, except for care paid
    /// from a regional budget, which is split over the municipalities by its verdeelsleutel
    /// (see [`crate::facts::betaler`]).
    Payer,
    /// The rule code of the obligation (late reporting; one row per obligation kind).
    Rule,
    /// The retour code of rejected lines (costs; a line with two codes counts under both).
    RetourCode,
    /// The product category alone (`45`; the care figures: waiting, trajectories).
    Category,
}

impl GroupBy {
    fn column(self) -> &'static str {
        match self {
            GroupBy::Provider => "provider",
            GroupBy::Municipality => "municipality",
            GroupBy::Product => "product",
            GroupBy::Month => "month",
            GroupBy::Segment => "segment",
            GroupBy::Payer => "payer",
            GroupBy::Rule => "rule",
            GroupBy::RetourCode => "retour_code",
            GroupBy::Category => "category",
        }
    }

    /// The name of the query parameter value / CLI value (`retour-code` on the CLI).
    pub fn name(self) -> &'static str {
        self.column()
    }
}

pub(super) fn product(categorie: Option<&str>, code: Option<&str>) -> String {
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
    late_of(facts, by)
}

/// [`late`] over any rows (the filtered ones of a query, without copying them).
pub fn late_of<'a>(facts: impl IntoIterator<Item = &'a TimelinessFact>, by: GroupBy) -> Table {
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
            GroupBy::Municipality | GroupBy::Payer => f.gemeente.clone(),
            GroupBy::Product => product(f.categorie.as_deref(), f.productcode.as_deref()),
            GroupBy::Month => f.due_date.format("%Y-%m").to_string(),
            GroupBy::Rule => f.kind.rule().to_string(),
            GroupBy::Segment | GroupBy::RetourCode => "-".to_string(),
            GroupBy::Category => f.categorie.clone().unwrap_or_else(|| "-".into()),
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
    // by rule the first column already is the rule
    let rule_column = by != GroupBy::Rule;
    let mut columns = vec![by.column(), "kind"];
    if rule_column {
        columns.push("rule");
    }
    columns.extend([
        "total",
        "on_time",
        "late",
        "overdue",
        "open",
        "pct_on_time",
        "median_wd_late",
        "p90_wd_late",
    ]);
    let mut t = Table::new(columns);
    for ((g, k), mut a) in groups {
        let kind = ObligationKind::ALL[k];
        a.days.sort_unstable();
        let mut row: Vec<Cell> = vec![g.into(), kind.code().into()];
        if rule_column {
            row.push(kind.rule().into());
        }
        row.extend([
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
        t.push(row);
    }
    t
}

pub(super) fn euros(cents: i64) -> Cell {
    Cell::Decimal(cents, 2)
}

/// The groups of a prestatie; for [`GroupBy::Payer`] the allocating municipality (the payer
/// rules split it further). By retour code, one group per code of a rejected line (none for an
/// approved line).
pub(super) fn line_groups(p: &PrestatieKosten, by: GroupBy) -> Vec<String> {
    let one = match by {
        GroupBy::Provider => p.agb.clone(),
        GroupBy::Municipality | GroupBy::Payer => p.gemeente.clone(),
        GroupBy::Product => product(Some(&p.categorie), Some(&p.productcode)),
        GroupBy::Month => p.period_month.format("%Y-%m").to_string(),
        GroupBy::Segment => p.segment.clone().unwrap_or_else(|| "-".into()),
        GroupBy::Rule => "-".into(),
        GroupBy::Category => p.categorie.clone(),
        GroupBy::RetourCode => {
            if p.status == "goedgekeurd" {
                return Vec::new();
            }
            let codes: Vec<String> = p
                .retour_codes
                .split_whitespace()
                .map(String::from)
                .collect();
            return if codes.is_empty() {
                vec!["-".into()]
            } else {
                codes
            };
        }
    };
    vec![one]
}

/// A second grouping beside the month, for stacked charts (`costs --by month` split).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Split {
    /// The contract segment.
    Segment,
    /// The product category.
    Categorie,
}

impl Split {
    fn column(self) -> &'static str {
        match self {
            Split::Segment => "segment",
            Split::Categorie => "categorie",
        }
    }

    fn of(self, p: &PrestatieKosten) -> String {
        match self {
            Split::Segment => p.segment.clone().unwrap_or_else(|| "-".into()),
            Split::Categorie => p.categorie.clone(),
        }
    }
}

/// Whose money a table counts: everything (`payer: None`), or only the share `payer` pays
/// (its own allocations, and its part of every regional budget by the verdeelsleutel).
///
/// The groups `amounts` of one row go to: its own group, or under [`GroupBy::Payer`] every
/// payer with its share of each amount; with a payer only that payer's share.
fn spread<const N: usize>(
    by: GroupBy,
    payer: Option<&str>,
    betalers: &Betalers,
    segment: Option<&str>,
    gemeente: &str,
    group: String,
    amounts: [i64; N],
) -> Vec<(String, [i64; N])> {
    if by != GroupBy::Payer && payer.is_none() {
        return vec![(group, amounts)];
    }
    betalers
        .verdeel_alle(segment, gemeente, amounts)
        .into_iter()
        .filter(|(p, _)| payer.is_none_or(|want| want == p))
        .map(|(p, a)| {
            (
                if by == GroupBy::Payer {
                    p
                } else {
                    group.clone()
                },
                a,
            )
        })
        .collect()
}

/// Per group, over the prestaties whose ProductPeriode month lies in [from, to]:
/// `lines` and `rejected_lines`; `declared` (signed: debits − credits), `approved`, `rejected`,
/// `credited` (approved credits, as a positive amount) and `net` = approved debits − approved
/// credits (the realisation). Amounts in euros. By payer, a line of a regional budget counts
/// for every municipality that pays a share of it, with that share of its amounts.
pub fn costs(lines: &[PrestatieKosten], by: GroupBy, betalers: &Betalers) -> Table {
    costs_of(lines, by, None, betalers, None)
}

/// [`costs`], optionally split further (per month and segment, say) and counting only what
/// `payer` pays (see [`spread`]).
pub fn costs_of<'a>(
    lines: impl IntoIterator<Item = &'a PrestatieKosten>,
    by: GroupBy,
    split: Option<Split>,
    betalers: &Betalers,
    payer: Option<&str>,
) -> Table {
    #[derive(Default)]
    struct Acc {
        lines: i64,
        rejected_lines: i64,
        declared: i64,
        approved: i64,
        rejected: i64,
        credited: i64,
    }
    let mut groups: BTreeMap<(String, String), Acc> = BTreeMap::new();
    for p in lines {
        let credited = if p.debet_credit == "C" {
            -p.approved_cents
        } else {
            0
        };
        let amounts = [
            p.declared_cents,
            p.approved_cents,
            p.rejected_cents,
            credited,
        ];
        let second = split.map(|s| s.of(p)).unwrap_or_default();
        for group in line_groups(p, by) {
            for (g, [declared, approved, rejected, credited]) in spread(
                by,
                payer,
                betalers,
                p.segment.as_deref(),
                &p.gemeente,
                group,
                amounts,
            ) {
                let a = groups.entry((g, second.clone())).or_default();
                a.lines += 1;
                if p.status != "goedgekeurd" {
                    a.rejected_lines += 1;
                }
                a.declared += declared;
                a.approved += approved;
                a.rejected += rejected;
                a.credited += credited;
            }
        }
    }
    let mut columns = vec![by.column()];
    columns.extend(split.map(Split::column));
    columns.extend([
        "lines",
        "rejected_lines",
        "declared",
        "approved",
        "rejected",
        "credited",
        "net",
    ]);
    let mut t = Table::new(columns);
    for ((g, second), a) in groups {
        let mut row: Vec<Cell> = vec![g.into()];
        if split.is_some() {
            row.push(second.into());
        }
        row.extend([
            a.lines.into(),
            a.rejected_lines.into(),
            euros(a.declared),
            euros(a.approved),
            euros(a.rejected),
            euros(a.credited),
            euros(a.approved),
        ]);
        t.push(row);
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
    betalers: &Betalers,
) -> Table {
    forecast_of(lines, allocations, contracts, year, by, betalers, None)
}

/// The sums behind a forecast, per group: what was realised in the year (in total and per
/// month of care, January = index 0) and what the allocations still commit in it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForecastAmounts {
    pub realised: BTreeMap<String, i64>,
    pub remaining: BTreeMap<String, i64>,
    pub realised_per_month: BTreeMap<String, [i64; 12]>,
}

/// The amounts of [`forecast_of`], for the figures that build on the forecast (the budget
/// early warning) without computing it a second way.
pub fn forecast_amounts<'a>(
    lines: impl IntoIterator<Item = &'a PrestatieKosten>,
    allocations: impl IntoIterator<Item = &'a ToewijzingKosten>,
    year: i32,
    by: GroupBy,
    betalers: &Betalers,
    payer: Option<&str>,
) -> ForecastAmounts {
    let group_alloc = |t: &ToewijzingKosten| match by {
        GroupBy::Provider => t.agb.clone(),
        GroupBy::Municipality | GroupBy::Payer => t.gemeente.clone(),
        GroupBy::Product => product(t.categorie.as_deref(), t.productcode.as_deref()),
        GroupBy::Month | GroupBy::Rule | GroupBy::RetourCode => "-".to_string(),
        GroupBy::Segment => t.segment.clone().unwrap_or_else(|| "-".into()),
        GroupBy::Category => t.categorie.clone().unwrap_or_else(|| "-".into()),
    };
    let in_year: Vec<&PrestatieKosten> = lines
        .into_iter()
        .filter(|p| p.period_month.year() == year)
        .collect();
    let mut out = ForecastAmounts::default();
    let mut per_alloc: BTreeMap<(&str, i64), i64> = BTreeMap::new();
    for p in &in_year {
        let seg = p.segment.as_deref();
        let month = p.period_month.month0() as usize;
        for group in line_groups(p, by) {
            for (g, [cents]) in spread(
                by,
                payer,
                betalers,
                seg,
                &p.gemeente,
                group,
                [p.approved_cents],
            ) {
                *out.realised.entry(g.clone()).or_default() += cents;
                out.realised_per_month.entry(g).or_insert([0; 12])[month] += cents;
            }
        }
        *per_alloc
            .entry((&p.scope, p.toewijzing_nummer))
            .or_default() += p.approved_cents;
    }
    for a in allocations {
        let Some(c) = commitment_in_year(a, year) else {
            continue;
        };
        let done = per_alloc
            .get(&(a.scope.as_str(), a.toewijzing_nummer))
            .copied()
            .unwrap_or(0);
        let left = (c - done).max(0);
        for (g, [cents]) in spread(
            by,
            payer,
            betalers,
            a.segment.as_deref(),
            &a.gemeente,
            group_alloc(a),
            [left],
        ) {
            *out.remaining.entry(g).or_default() += cents;
        }
    }
    out
}

/// [`forecast`] counting only what `payer` pays (see [`spread`]).
pub fn forecast_of<'a>(
    lines: impl IntoIterator<Item = &'a PrestatieKosten>,
    allocations: impl IntoIterator<Item = &'a ToewijzingKosten>,
    contracts: &ContractSet,
    year: i32,
    by: GroupBy,
    betalers: &Betalers,
    payer: Option<&str>,
) -> Table {
    let ForecastAmounts {
        realised,
        remaining,
        ..
    } = forecast_amounts(lines, allocations, year, by, betalers, payer);
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

    fn d(y: i32, m: u32, day: u32) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn alloc(scope: &str, agb: &str, nummer: i64) -> ToewijzingKosten {
        ToewijzingKosten {
            key: format!("{scope}|T|{nummer}"),
            scope: scope.into(),
            standard: crate::message::kind::Standard::Ijw,
            gemeente: "0513".into(),
            agb: agb.into(),
            client: "p".into(),
            toewijzing_nummer: nummer,
            categorie: Some("45".into()),
            productcode: Some("45A03".into()),
            segment: Some("jeugd".into()),
            ingangsdatum: d(2026, 7, 1),
            einddatum: Some(d(2026, 12, 31)),
            commitment_end: Some(d(2026, 12, 31)),
            volume: Some(3),
            eenheid: Some("04".into()),
            frequentie: Some("2".into()),
            budget: None,
            tarief: Some(9385),
            tarief_eenheid: Some("04".into()),
            basis: "omvang".into(),
            commitment_cents: None,
            realised_cents: 0,
            traject: Default::default(),
        }
    }

    fn line(
        scope: &str,
        agb: &str,
        nummer: i64,
        month: chrono::NaiveDate,
        cents: i64,
    ) -> PrestatieKosten {
        PrestatieKosten {
            key: format!("{scope}|P|{nummer}|{month}|{cents}"),
            scope: scope.into(),
            standard: crate::message::kind::Standard::Ijw,
            gemeente: "0513".into(),
            agb: agb.into(),
            client: "p".into(),
            declaratie_nummer: "D".into(),
            referentie_nummer: format!("R{cents}"),
            vorig_referentie_nummer: None,
            toewijzing_nummer: nummer,
            categorie: "45".into(),
            productcode: "45A03".into(),
            segment: Some("jeugd".into()),
            period_month: month,
            debet_credit: if cents < 0 { "C" } else { "D" }.into(),
            volume: 1,
            eenheid: "04".into(),
            tarief: Some(9385),
            declared_cents: cents,
            approved_cents: cents,
            rejected_cents: 0,
            net_cents: cents,
            credited: false,
            status: "goedgekeurd".into(),
            retour_codes: String::new(),
            received_at: chrono::DateTime::<chrono::Utc>::default(),
            received_on: month,
        }
    }

    #[test]
    fn forecast_is_realisation_plus_remaining_commitments() {
        const P: &str = "11111111";
        const Q: &str = "22222222";
        // P: a weekly allocation, 27 weeks × 3 h × 93.85 = 7601.85 in 2026, of which 3000.00
        // realised (a debit, a credit of 500.00 and its replacement of 400.00 in August), and a
        // budget of 3650.00 over 1 July 2026 .. 30 June 2027 (1840.00 falls in 2026), already
        // overspent in 2026 (2000.00): nothing remains on it
        let mut budget = alloc("c2", P, 2);
        budget.volume = None;
        budget.eenheid = None;
        budget.frequentie = None;
        budget.budget = Some(365_000);
        budget.einddatum = Some(d(2027, 6, 30));
        budget.commitment_end = budget.einddatum;
        // Q: an aspecific allocation without a price adds only what was declared
        let mut aspecific = alloc("c3", Q, 3);
        aspecific.productcode = None;
        aspecific.tarief = None;
        aspecific.volume = None;
        let allocations = vec![alloc("c1", P, 1), budget, aspecific];
        let lines = vec![
            line("c1", P, 1, d(2026, 7, 1), 260_000),
            line("c1", P, 1, d(2026, 8, 1), 50_000),
            line("c1", P, 1, d(2026, 8, 1), -50_000),
            line("c1", P, 1, d(2026, 8, 1), 40_000),
            line("c2", P, 2, d(2026, 9, 1), 200_000),
            line("c3", Q, 3, d(2026, 9, 1), 12_345),
            // another year does not count
            line("c1", P, 1, d(2025, 12, 1), 99_999),
        ];
        let ceilings = crate::contracts::ContractSet::from_csv(
            "agb,gemeente,categorie,productcode,eenheid,tarief,geldig_van,geldig_tot,segment,budgetplafond\n\
             11111111,*,45,45A03,04,9385,2026-01-01,,jeugd,1000000\n",
        )
        .unwrap();
        let t = forecast(
            &lines,
            &allocations,
            &ceilings,
            2026,
            GroupBy::Provider,
            &Betalers::default(),
        );
        assert_eq!(
            t.to_csv(),
            "provider,year,realised,remaining,forecast,budget_ceiling,realised_pct,forecast_pct\n\
             11111111,2026,5000.00,4601.85,9601.85,10000.00,50.0,96.0\n\
             22222222,2026,123.45,0.00,123.45,,,\n"
        );
        // 2027: the budget's second half (1810.00), nothing realised yet
        let t = forecast(
            &lines,
            &allocations,
            &ceilings,
            2027,
            GroupBy::Municipality,
            &Betalers::default(),
        );
        assert_eq!(
            t.to_csv(),
            "municipality,year,realised,remaining,forecast\n0513,2027,0.00,1810.00,1810.00\n"
        );
    }

    #[test]
    fn costs_per_group() {
        let mut rejected = line("c1", "11111111", 1, d(2026, 8, 1), 70_000);
        rejected.approved_cents = 0;
        rejected.rejected_cents = 70_000;
        rejected.net_cents = 0;
        rejected.status = "afgewezen".into();
        let lines = vec![
            line("c1", "11111111", 1, d(2026, 7, 1), 50_000),
            line("c1", "11111111", 1, d(2026, 7, 1), -50_000),
            line("c1", "11111111", 1, d(2026, 7, 1), 45_000),
            rejected,
        ];
        assert_eq!(
            costs(&lines, GroupBy::Segment, &Betalers::default()).to_csv(),
            "segment,lines,rejected_lines,declared,approved,rejected,credited,net\n\
             jeugd,4,1,1150.00,450.00,700.00,500.00,450.00\n"
        );
    }

    #[test]
    fn by_payer_the_regional_budget_is_split_and_the_rest_stays_with_the_allocator() {
        let betalers = Betalers::from_toml(
            r#"
            [[regionaal_budget]]
            naam = "MZ"
            centrumgemeente = "0513"
            segmenten = ["bw"]
            verdeelsleutel = { "0513" = "60", "0627" = "40" }
            "#,
        )
        .unwrap();
        let mut bw = line("c1", "11111111", 1, d(2026, 7, 1), 100_001);
        bw.segment = Some("bw".into());
        let mut own = line("c2", "22222222", 2, d(2026, 7, 1), 30_000);
        own.gemeente = "1931".into();
        let lines = vec![bw, own];
        // one cent of rounding goes to the larger fraction: 60,000.6 → 60,001
        assert_eq!(
            costs(&lines, GroupBy::Payer, &betalers).to_csv(),
            "payer,lines,rejected_lines,declared,approved,rejected,credited,net\n\
             0513,1,0,600.01,600.01,0.00,0.00,600.01\n\
             0627,1,0,400.00,400.00,0.00,0.00,400.00\n\
             1931,1,0,300.00,300.00,0.00,0.00,300.00\n"
        );
        // by allocating municipality nothing moves
        assert_eq!(
            costs(&lines, GroupBy::Municipality, &betalers).to_csv(),
            "municipality,lines,rejected_lines,declared,approved,rejected,credited,net\n\
             0513,1,0,1000.01,1000.01,0.00,0.00,1000.01\n\
             1931,1,0,300.00,300.00,0.00,0.00,300.00\n"
        );
        // the forecast splits realisation and remaining commitment alike
        let mut allocation = alloc("c1", "11111111", 1);
        allocation.segment = Some("bw".into());
        let t = forecast(
            &lines[..1],
            &[allocation],
            &ContractSet::default(),
            2026,
            GroupBy::Payer,
            &betalers,
        );
        let csv = t.to_csv();
        let mut rows = csv.lines().skip(1);
        let gouda: Vec<&str> = rows.next().unwrap().split(',').collect();
        let waddinxveen: Vec<&str> = rows.next().unwrap().split(',').collect();
        assert_eq!((gouda[0], gouda[2]), ("0513", "600.01"));
        assert_eq!((waddinxveen[0], waddinxveen[2]), ("0627", "400.00"));
        let cents = |s: &str| (s.parse::<f64>().unwrap() * 100.0).round() as i64;
        let whole = forecast(
            &lines[..1],
            &[alloc("c1", "11111111", 1)],
            &ContractSet::default(),
            2026,
            GroupBy::Municipality,
            &betalers,
        );
        let whole_remaining = cents(
            whole
                .to_csv()
                .lines()
                .nth(1)
                .unwrap()
                .split(',')
                .nth(3)
                .unwrap(),
        );
        assert!(whole_remaining > 0);
        assert_eq!(cents(gouda[3]) + cents(waddinxveen[3]), whole_remaining);
    }

    #[test]
    fn percentages_round_half_up_in_tenths() {
        assert_eq!(pct_tenths(2, 3), Some(667));
        assert_eq!(pct_tenths(1, 3), Some(333));
        assert_eq!(pct_tenths(1, 8), Some(125));
        assert_eq!(pct_tenths(0, 0), None);
    }
}
