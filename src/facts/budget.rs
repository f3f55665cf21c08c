//! Budget early warning (issue 11, item 2): for every budget ceiling — a provider's yearly
//! `budgetplafond` in the contracts, and a paying municipality's budget per segment from the
//! budgets file — the year's forecast as a share of the ceiling, the month the ceiling is (or
//! will be) reached, and a warning at the configured thresholds; plus the **utilisation** of the
//! allocations (declared volume ÷ allocated volume per provider and product).
//!
//! The forecast is the one of `stats forecast` ([`super::stats::forecast_amounts`]): realised
//! (approved, net of credits, care in the year) + remaining commitment of the allocations.
//!
//! Decisions on points the issue leaves open:
//! - **run rate** = realised in the year ÷ the months of the year up to and including the
//!   latest month of care with any declaration in the facts the filter keeps (the "declared
//!   through" month, the same for every budget: declarations lag a month or more, so counting
//!   the calendar months elapsed would understate the rate);
//! - **ceiling month**: the first month in which the realisation, month of care by month of
//!   care, reached the ceiling (`basis` = `realised`); otherwise the month the run rate carries
//!   the realisation to the ceiling, counted on from the declared-through month (`projected`),
//!   when that falls within the year; else empty;
//! - **warning**: the highest configured threshold (percent of the ceiling) the forecast
//!   reaches; rows are listed worst first (highest forecast share, then name);
//! - a provider's ceiling covers all its care in the region, so with a municipality or payer
//!   filter the provider rows are left out (a share of its care against its whole ceiling says
//!   nothing); a municipality's budget covers all its providers, so with a provider filter the
//!   municipality rows are left out;
//! - a municipality budget counts what the municipality **pays** (its own allocations plus its
//!   verdeelsleutel share of a regional budget, as `--by payer`), in its segment when the
//!   budget names one;
//! - **utilisation** compares, per allocation with an Omvang (not a Budget), the units allocated
//!   from the Ingangsdatum (or 1 January) to the end of the declared-through month (or the
//!   allocation's end) with the units approved on it for those months (debits less approved
//!   credits; a rejected line counts nowhere, since its resubmission would count twice).
//!   Hours and minutes convert; a line in any other unit than its allocation's is left out.

use super::betaler::{parse, read, BetalersError};
use super::cost::{div_half_up, units_in};
use super::stats::{euros, forecast_amounts, pct_tenths, product, ForecastAmounts, GroupBy};
use super::{Betalers, PrestatieKosten, ToewijzingKosten};
use crate::contracts::ContractSet;
use crate::protocol::deadlines::last_of_month;
use crate::report::{Cell, Table};
use chrono::{Datelike, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The municipalities' budgets and the warning thresholds (TOML, see docs/facts.md):
///
/// ```toml
/// thresholds = [90, 100]
///
/// [[budget]]
/// payer = "0513"
/// segment = "jeugd-ambulant"
/// per_year = { "2026" = "1250000.00" }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budgets {
    /// Percentages of a ceiling at which the forecast gives a warning.
    #[serde(default = "default_thresholds")]
    pub thresholds: Vec<u32>,
    #[serde(default, rename = "budget")]
    pub budgets: Vec<GemeenteBudget>,
}

fn default_thresholds() -> Vec<u32> {
    vec![90, 100]
}

impl Default for Budgets {
    fn default() -> Budgets {
        Budgets {
            thresholds: default_thresholds(),
            budgets: Vec::new(),
        }
    }
}

/// A paying municipality's budget, optionally for one contract segment, per calendar year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GemeenteBudget {
    /// The paying municipality (gemeentecode).
    pub payer: String,
    /// The contract segment; none: everything the municipality pays.
    #[serde(default)]
    pub segment: Option<String>,
    /// Year (`"2026"`) → amount in euros (at most two decimals).
    pub per_year: BTreeMap<String, Decimal>,
}

impl GemeenteBudget {
    /// The budget of `year` in eurocents.
    pub fn cents(&self, year: i32) -> Option<i64> {
        let amount = self.per_year.get(&year.to_string())?;
        (amount * Decimal::ONE_HUNDRED).to_i64()
    }
}

impl Budgets {
    pub fn from_toml(text: &str) -> Result<Budgets, BetalersError> {
        let b: Budgets = parse("budgets file", text)?;
        b.check()?;
        Ok(b)
    }

    pub fn from_file(path: &Path) -> Result<Budgets, BetalersError> {
        Budgets::from_toml(&read(path)?)
    }

    /// Four-digit payers, four-digit years, amounts positive in whole cents, thresholds
    /// between 1 and 1000, and no payer and segment budgeted twice.
    fn check(&self) -> Result<(), BetalersError> {
        let bad = |m: String| Err(BetalersError::Settings(format!("budgets: {m}")));
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if let Some(t) = self.thresholds.iter().find(|t| !(1..=1000).contains(*t)) {
            return bad(format!("threshold {t} is not a percentage from 1 to 1000"));
        }
        let mut seen = std::collections::BTreeSet::new();
        for b in &self.budgets {
            if !digits(&b.payer, 4) {
                return bad(format!("payer {:?} is not a gemeentecode", b.payer));
            }
            if !seen.insert((&b.payer, &b.segment)) {
                return bad(format!(
                    "payer {} has two budgets for segment {}",
                    b.payer,
                    b.segment.as_deref().unwrap_or("(all)")
                ));
            }
            for (year, amount) in &b.per_year {
                if !digits(year, 4) {
                    return bad(format!("{}: {year:?} is not a year", b.payer));
                }
                if *amount <= Decimal::ZERO || amount.normalize().scale() > 2 {
                    return bad(format!(
                        "{} {year}: {amount} is not a positive amount in euros and cents",
                        b.payer
                    ));
                }
            }
        }
        Ok(())
    }

    /// The highest threshold `forecast_tenths` (a share in tenths of a percent) reaches.
    pub fn warning(&self, forecast_tenths: i64) -> Option<u32> {
        self.thresholds
            .iter()
            .copied()
            .filter(|t| forecast_tenths >= i64::from(*t) * 10)
            .max()
    }
}

/// Which budget holders a table shows (see the module doc on filters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holders<'a> {
    pub providers: bool,
    pub municipalities: bool,
    /// Only the budgets of this paying municipality.
    pub payer: Option<&'a str>,
    /// Only this provider's ceiling.
    pub agb: Option<&'a str>,
}

/// The latest month of care (1..=12) in `year` with any declaration among `lines`.
pub fn declared_through<'a>(
    lines: impl IntoIterator<Item = &'a PrestatieKosten>,
    year: i32,
) -> u32 {
    lines
        .into_iter()
        .filter(|p| p.period_month.year() == year)
        .map(|p| p.period_month.month())
        .max()
        .unwrap_or(0)
}

/// When a ceiling is reached: the month (1..=12) and whether it was realised or projected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeilingMonth {
    Realised(u32),
    Projected(u32),
}

/// The monthly run rate in cents: realised ÷ months declared (half up), None before any.
pub fn run_rate(realised: i64, through: u32) -> Option<i64> {
    (through > 0).then(|| div_half_up(realised, i64::from(through)))
}

/// The month the ceiling is reached (see the module doc).
pub fn ceiling_month(per_month: &[i64; 12], through: u32, ceiling: i64) -> Option<CeilingMonth> {
    let mut cumulative = 0;
    for (i, cents) in per_month.iter().enumerate() {
        cumulative += cents;
        if cumulative >= ceiling && ceiling > 0 {
            return Some(CeilingMonth::Realised(i as u32 + 1));
        }
    }
    let rate = run_rate(cumulative, through).filter(|r| *r > 0)?;
    let months_more = (ceiling - cumulative + rate - 1) / rate;
    let month = i64::from(through) + months_more;
    (month <= 12).then_some(CeilingMonth::Projected(month as u32))
}

/// One budget against its forecast.
struct Row {
    kind: &'static str,
    holder: String,
    segment: Option<String>,
    ceiling: i64,
    realised: i64,
    remaining: i64,
    per_month: [i64; 12],
}

/// The budget early warning for `year` (columns in docs/facts.md), worst first.
#[allow(clippy::too_many_arguments)]
pub fn budget_of(
    lines: &[&PrestatieKosten],
    allocations: &[&ToewijzingKosten],
    contracts: &ContractSet,
    betalers: &Betalers,
    budgets: &Budgets,
    year: i32,
    holders: Holders,
) -> Table {
    let through = declared_through(lines.iter().copied(), year);
    let mut rows: Vec<Row> = Vec::new();
    if holders.providers {
        let a = forecast_amounts(
            lines.iter().copied(),
            allocations.iter().copied(),
            year,
            GroupBy::Provider,
            betalers,
            None,
        );
        let mut agbs: Vec<&str> = contracts
            .contracts
            .iter()
            .map(|c| c.agb.as_str())
            .filter(|a| holders.agb.is_none_or(|want| want == *a))
            .collect();
        agbs.sort_unstable();
        agbs.dedup();
        for agb in agbs {
            if let Some(ceiling) = contracts.budgetplafond(agb) {
                rows.push(row_of("provider", agb, None, ceiling, &a));
            }
        }
    }
    if holders.municipalities {
        for b in &budgets.budgets {
            let Some(ceiling) = b.cents(year) else {
                continue;
            };
            if holders.payer.is_some_and(|p| p != b.payer) {
                continue;
            }
            let in_segment = |s: &Option<String>| b.segment.is_none() || *s == b.segment;
            let a = forecast_amounts(
                lines.iter().copied().filter(|p| in_segment(&p.segment)),
                allocations
                    .iter()
                    .copied()
                    .filter(|t| in_segment(&t.segment)),
                year,
                GroupBy::Payer,
                betalers,
                Some(&b.payer),
            );
            rows.push(row_of(
                "municipality",
                &b.payer,
                b.segment.clone(),
                ceiling,
                &a,
            ));
        }
    }
    let share = |r: &Row| pct_tenths(r.realised + r.remaining, r.ceiling).unwrap_or(0);
    rows.sort_by(|a, b| {
        share(b)
            .cmp(&share(a))
            .then(a.kind.cmp(b.kind))
            .then(a.holder.cmp(&b.holder))
            .then(a.segment.cmp(&b.segment))
    });
    let mut t = Table::new(vec![
        "budget",
        "holder",
        "segment",
        "year",
        "ceiling",
        "realised",
        "remaining",
        "forecast",
        "realised_pct",
        "forecast_pct",
        "declared_through",
        "run_rate",
        "ceiling_month",
        "basis",
        "warning",
    ]);
    let month = |m: u32| Cell::Text(format!("{year}-{m:02}"));
    let pct = |v: i64, c: i64| Cell::from(pct_tenths(v, c).map(|p| Cell::Decimal(p, 1)));
    for r in rows {
        let forecast = r.realised + r.remaining;
        let reached = ceiling_month(&r.per_month, through, r.ceiling);
        let (when, basis) = match reached {
            Some(CeilingMonth::Realised(m)) => (month(m), Cell::from("realised")),
            Some(CeilingMonth::Projected(m)) => (month(m), Cell::from("projected")),
            None => (Cell::Empty, Cell::Empty),
        };
        let warning = pct_tenths(forecast, r.ceiling)
            .and_then(|p| budgets.warning(p))
            .map(i64::from);
        t.push(vec![
            r.kind.into(),
            r.holder.into(),
            r.segment.into(),
            i64::from(year).into(),
            euros(r.ceiling),
            euros(r.realised),
            euros(r.remaining),
            euros(forecast),
            pct(r.realised, r.ceiling),
            pct(forecast, r.ceiling),
            if through > 0 {
                month(through)
            } else {
                Cell::Empty
            },
            run_rate(r.realised, through).map_or(Cell::Empty, euros),
            when,
            basis,
            warning.into(),
        ]);
    }
    t
}

fn row_of(
    kind: &'static str,
    holder: &str,
    segment: Option<String>,
    ceiling: i64,
    a: &ForecastAmounts,
) -> Row {
    Row {
        kind,
        holder: holder.to_string(),
        segment,
        ceiling,
        realised: a.realised.get(holder).copied().unwrap_or(0),
        remaining: a.remaining.get(holder).copied().unwrap_or(0),
        per_month: a.realised_per_month.get(holder).copied().unwrap_or([0; 12]),
    }
}

/// `volume` of `from` in hundredths of `to` (hours 04 and minutes 01 convert), or None.
fn hundredths(volume: i64, from: &str, to: &str) -> Option<i64> {
    match (from, to) {
        (a, b) if a == b => Some(volume * 100),
        ("01", "04") => Some(div_half_up(volume * 100, 60)),
        ("04", "01") => Some(volume * 6000),
        _ => None,
    }
}

/// Utilisation of the allocations with an Omvang in `year` up to the declared-through month,
/// per provider, product and unit (columns in docs/facts.md).
pub fn utilisation_of(
    lines: &[&PrestatieKosten],
    allocations: &[&ToewijzingKosten],
    year: i32,
) -> Table {
    #[derive(Default)]
    struct Acc {
        allocations: i64,
        allocated: i64,
        declared: i64,
    }
    let through = declared_through(lines.iter().copied(), year);
    let mut t = Table::new(vec![
        "provider",
        "product",
        "eenheid",
        "allocations",
        "allocated",
        "declared",
        "utilisation_pct",
        "declared_through",
    ]);
    let (Some(jan1), Some(through_end)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, through.max(1), 1).map(last_of_month),
    ) else {
        return t;
    };
    if through == 0 {
        return t;
    }
    /// Provider, product, unit.
    type Group = (String, String, String);
    let mut groups: BTreeMap<Group, Acc> = BTreeMap::new();
    // (scope, allocation number) → (group, unit of the allocation)
    let mut of_alloc: BTreeMap<(&str, i64), (Group, &str)> = BTreeMap::new();
    for a in allocations {
        if a.budget.is_some() {
            continue;
        }
        let (Some(volume), Some(freq), Some(eenheid)) =
            (a.volume, a.frequentie.as_deref(), a.eenheid.as_deref())
        else {
            continue;
        };
        let from = a.ingangsdatum.max(jan1);
        let to = a.commitment_end.map_or(through_end, |e| e.min(through_end));
        if to < from {
            continue;
        }
        let whole = a.commitment_end.map(|e| (a.ingangsdatum, e));
        let Some(units) = units_in(volume, freq, from, to, whole) else {
            continue;
        };
        let key = (
            a.agb.clone(),
            product(a.categorie.as_deref(), a.productcode.as_deref()),
            eenheid.to_string(),
        );
        let acc = groups.entry(key.clone()).or_default();
        acc.allocations += 1;
        acc.allocated += units * 100;
        of_alloc.insert((a.scope.as_str(), a.toewijzing_nummer), (key, eenheid));
    }
    for p in lines {
        if p.period_month.year() != year
            || p.period_month.month() > through
            || p.status != "goedgekeurd"
        {
            continue;
        }
        let Some((key, eenheid)) = of_alloc.get(&(p.scope.as_str(), p.toewijzing_nummer)) else {
            continue;
        };
        let sign = if p.debet_credit == "C" { -1 } else { 1 };
        if let Some(h) = hundredths(p.volume.abs(), &p.eenheid, eenheid) {
            if let Some(acc) = groups.get_mut(key) {
                acc.declared += sign * h;
            }
        }
    }
    for ((agb, product, eenheid), a) in groups {
        t.push(vec![
            agb.into(),
            product.into(),
            eenheid.into(),
            a.allocations.into(),
            Cell::Decimal(a.allocated, 2),
            Cell::Decimal(a.declared, 2),
            Cell::from(pct_tenths(a.declared, a.allocated).map(|p| Cell::Decimal(p, 1))),
            Cell::Text(format!("{year}-{through:02}")),
        ]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_month_is_realised_or_projected_at_the_run_rate() {
        let mut m = [0i64; 12];
        m[..4].copy_from_slice(&[300, 300, 300, 300]);
        // 1000 reached in April by the realisation itself
        assert_eq!(ceiling_month(&m, 4, 1000), Some(CeilingMonth::Realised(4)));
        // 2000: 1200 realised through April at 300 a month: 800 more = 3 months → July
        assert_eq!(ceiling_month(&m, 4, 2000), Some(CeilingMonth::Projected(7)));
        // exactly on a month: 2400 is reached in August
        assert_eq!(ceiling_month(&m, 4, 2400), Some(CeilingMonth::Projected(8)));
        // beyond December: none
        assert_eq!(ceiling_month(&m, 4, 5000), None);
        assert_eq!(ceiling_month(&[0; 12], 0, 5000), None);
        assert_eq!(run_rate(1000, 3), Some(333));
    }

    #[test]
    fn budgets_read_and_warn_at_the_highest_threshold_reached() {
        let b = Budgets::from_toml(
            "thresholds = [80, 100]\n[[budget]]\npayer = \"0513\"\nsegment = \"jeugd\"\nper_year = { \"2026\" = \"1250.50\" }\n",
        )
        .unwrap();
        assert_eq!(b.budgets[0].cents(2026), Some(125_050));
        assert_eq!(b.budgets[0].cents(2027), None);
        assert_eq!(b.warning(799), None);
        assert_eq!(b.warning(800), Some(80));
        assert_eq!(b.warning(1000), Some(100));
        assert_eq!(Budgets::default().warning(900), Some(90));
        for bad in [
            "[[budget]]\npayer = \"513\"\nper_year = {}\n",
            "[[budget]]\npayer = \"0513\"\nper_year = { \"26\" = \"1\" }\n",
            "[[budget]]\npayer = \"0513\"\nper_year = { \"2026\" = \"1.005\" }\n",
            "[[budget]]\npayer = \"0513\"\nper_year = { \"2026\" = \"-1\" }\n",
            "thresholds = [0]\n",
            "[[budget]]\npayer = \"0513\"\nper_year = {}\n[[budget]]\npayer = \"0513\"\nper_year = {}\n",
            "nonsense = 1\n",
        ] {
            assert!(Budgets::from_toml(bad).is_err(), "{bad}");
        }
    }
}
