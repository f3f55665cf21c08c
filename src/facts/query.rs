//! The one way to ask the facts a question: a [`Filter`] (who and what is counted) and a
//! [`Query`] (which table) over loaded [`Facts`], giving a [`Table`]. `ijwmo stats` and the HTTP
//! API both call [`table`], so they show the same numbers by construction.
//!
//! The interface speaks only of fact rows (not of how a store keeps them): a store loads
//! [`Facts`] once ([`Facts::load`]) and any number of queries run on them. Queries aggregate in
//! memory; the HTTP server keeps the loaded facts and reloads them in the background (see
//! `crate::http`), so an answer never waits for the database.
//!
//! Decisions on points the issue leaves open:
//! - the period (`from`/`to`) is the month of the due date for obligations and of the care
//!   (ProductPeriode) for costs; the forecast is per calendar year and ignores the period;
//! - `betaler` (paying municipality) on costs and forecast counts only that municipality's share
//!   (its own allocations plus its verdeelsleutel share of a regional budget); obligations have
//!   no payer, so on late reporting and obligations `betaler` selects the obligations of the
//!   allocations of that municipality (as `gemeente` does): the allocating municipality is the
//!   one the obligations are owed to or by;
//! - the care figures count an allocation in the month of its start (waiting) or end
//!   (trajectories); the lists of one day (waiting now, handover) ignore the period;
//! - a timeliness fact's segment is the contract segment of its provider's product (facts
//!   without a product, such as a retour on a whole message, have none and drop out when a
//!   segment is asked for).

use super::budget::{Budgets, Holders};
use super::penalties::Scheme;
use super::stats::{self, GroupBy, Split};
use super::{Betalers, ObligationKind, Partij, PrestatieKosten, TimelinessFact, ToewijzingKosten};
use crate::contracts::ContractSet;
use crate::message::kind::Standard;
use crate::protocol::calendar::Calendar;
use crate::protocol::deadlines::Status;
use crate::report::{Cell, Table};
use crate::store::{Store, StoreError};
use chrono::{Datelike, NaiveDate};
use std::collections::{BTreeSet, HashMap};
use thiserror::Error;

/// A question the tables cannot answer as asked.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum QueryError {
    /// A grouping or option that makes no sense for this table; names the parameter.
    #[error("{param}: {reason}")]
    Invalid { param: &'static str, reason: String },
}

fn invalid(param: &'static str, reason: impl Into<String>) -> QueryError {
    QueryError::Invalid {
        param,
        reason: reason.into(),
    }
}

/// Which rows count. Every field narrows; `None` means all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// First day counted (of the due date, or of the care month: its month counts).
    pub from: Option<NaiveDate>,
    /// Last day counted, inclusive.
    pub to: Option<NaiveDate>,
    /// The allocating municipality.
    pub gemeente: Option<String>,
    /// The paying municipality (see the module doc).
    pub betaler: Option<String>,
    /// The provider's AGB code.
    pub agb: Option<String>,
    pub standard: Option<Standard>,
    /// Product category.
    pub categorie: Option<String>,
    /// Contract segment.
    pub segment: Option<String>,
    /// Only obligations owed by providers or by municipalities.
    pub owed_by: Option<Partij>,
}

/// Which table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// `stats late`: provider, municipality, product, month or rule.
    Late { by: GroupBy },
    /// `stats costs`: provider, municipality, payer, product, month, segment or retour code;
    /// by month optionally split per segment or category.
    Costs { by: GroupBy, split: Option<Split> },
    /// `stats forecast`: provider, municipality, payer, product or segment.
    Forecast { year: i32, by: GroupBy },
    /// `stats rejections`: provider, municipality, product, month or retour code (see
    /// [`super::rejections`]).
    Rejections { by: GroupBy },
    /// `stats waiting`: provider, municipality, category, product or month of start (see
    /// [`super::waiting`]).
    Waiting { by: GroupBy },
    /// `stats waiting --now`: who is waiting on `as_of` (a list).
    WaitingNow { as_of: NaiveDate },
    /// `stats trajectories`: provider, municipality, category, product or month of end (see
    /// [`super::trajectories`]); re-entry windows judged as of `as_of`.
    Trajectories { by: GroupBy, as_of: NaiveDate },
    /// `stats handover`: Jeugdwet clients turning 18 within `months` of `as_of` (a list, see
    /// [`super::handover`]).
    Handover { as_of: NaiveDate, months: u32 },
    /// `stats budget`: every budget ceiling against the year's forecast, worst first (see
    /// [`super::budget`]).
    Budget { year: i32 },
    /// `stats budget --utilisation`: declared ÷ allocated volume per provider and product.
    Utilisation { year: i32 },
    /// `stats penalties`: the scheme's penalties on late declarations per provider and month,
    /// or (`lines`) per obligation (see [`super::penalties`]).
    Penalties { scheme: Box<Scheme>, lines: bool },
}

/// The groupings each table offers, its default first: the one list the CLI's check and the
/// API's `by` parameter both read.
pub mod groupings {
    use super::GroupBy;
    use super::GroupBy::*;

    pub const LATE: &[GroupBy] = &[Provider, Municipality, Product, Month, Rule];
    pub const COSTS: &[GroupBy] = &[
        Provider,
        Municipality,
        Payer,
        Product,
        Month,
        Segment,
        RetourCode,
    ];
    pub const FORECAST: &[GroupBy] = &[Provider, Municipality, Payer, Product, Segment];
    pub const REJECTIONS: &[GroupBy] = &[Provider, Municipality, Product, Month, RetourCode];
    pub const WAITING: &[GroupBy] = &[Provider, Municipality, Category, Product, Month];
    pub const TRAJECTORIES: &[GroupBy] = &[Provider, Municipality, Category, Product, Month];
    /// The lists (waiting now, handover) have no grouping: their rows are ordered per
    /// municipality.
    pub const LISTS: &[GroupBy] = &[Municipality];
    /// The budget table has one fixed layout: budget holders (providers, paying
    /// municipalities); a municipality's scope sees what it pays.
    pub const BUDGET: &[GroupBy] = &[Payer];
    pub const UTILISATION: &[GroupBy] = &[Product];
    pub const PENALTIES: &[GroupBy] = &[Month];
}

impl Query {
    /// The groupings this table offers (see [`groupings`]).
    pub fn groupings(&self) -> &'static [GroupBy] {
        match self {
            Query::Late { .. } => groupings::LATE,
            Query::Costs { .. } => groupings::COSTS,
            Query::Forecast { .. } => groupings::FORECAST,
            Query::Rejections { .. } => groupings::REJECTIONS,
            Query::Waiting { .. } => groupings::WAITING,
            Query::Trajectories { .. } => groupings::TRAJECTORIES,
            Query::WaitingNow { .. } | Query::Handover { .. } => groupings::LISTS,
            Query::Budget { .. } => groupings::BUDGET,
            Query::Utilisation { .. } => groupings::UTILISATION,
            Query::Penalties { .. } => groupings::PENALTIES,
        }
    }

    /// The grouping asked for.
    pub fn by(&self) -> GroupBy {
        match self {
            Query::Late { by }
            | Query::Costs { by, .. }
            | Query::Forecast { by, .. }
            | Query::Rejections { by }
            | Query::Waiting { by }
            | Query::Trajectories { by, .. } => *by,
            Query::WaitingNow { .. } | Query::Handover { .. } => GroupBy::Municipality,
            Query::Budget { .. } => GroupBy::Payer,
            Query::Utilisation { .. } => GroupBy::Product,
            Query::Penalties { .. } => GroupBy::Month,
        }
    }

    /// Rejects groupings the table does not have, naming those it has.
    pub fn check(&self) -> Result<(), QueryError> {
        let allowed = self.groupings();
        if !allowed.contains(&self.by()) {
            let names: Vec<&str> = allowed.iter().map(|g| g.name()).collect();
            return Err(invalid(
                "by",
                format!("{}: use {}", self.by().name(), names.join(", ")),
            ));
        }
        if let Query::Costs { by, split: Some(_) } = self {
            if *by != GroupBy::Month {
                return Err(invalid("split", "only by=month can be split"));
            }
        }
        Ok(())
    }

    fn needs_timeliness(&self) -> bool {
        matches!(self, Query::Late { .. })
    }

    fn needs_both(&self) -> bool {
        matches!(self, Query::Penalties { .. })
    }
}

/// The fact rows and what the tables need beside them.
type Segments = HashMap<String, HashMap<String, HashMap<String, String>>>;

#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub timeliness: Vec<TimelinessFact>,
    pub prestaties: Vec<PrestatieKosten>,
    pub toewijzingen: Vec<ToewijzingKosten>,
    pub contracts: ContractSet,
    pub betalers: Betalers,
    /// The municipalities' budgets and the warning thresholds ([`Facts::with_budgets`]).
    pub budgets: Budgets,
    /// The working-day calendar of the figures that count working days (national unless
    /// [`Facts::with_calendar`] sets the region's).
    pub calendar: Calendar,
    /// agb → categorie → productcode → contract segment (nested, so a lookup borrows).
    segments: Segments,
}

impl Facts {
    /// Every fact row of a store.
    pub async fn load(store: &dyn Store, betalers: Betalers) -> Result<Facts, StoreError> {
        let timeliness = store.timeliness_facts(None, None).await?;
        let costs = store.cost_facts().await?;
        let contracts = store.contracts().await?.set;
        Ok(Facts::new(
            timeliness,
            costs.prestaties,
            costs.toewijzingen,
            contracts,
            betalers,
        ))
    }

    /// Only what `query` needs (the CLI asks one question per run): timeliness facts due in
    /// the filter's period, or the cost facts and contracts.
    pub async fn load_for(
        store: &dyn Store,
        query: &Query,
        filter: &Filter,
        betalers: Betalers,
    ) -> Result<Facts, StoreError> {
        let contracts = store.contracts().await?.set;
        if query.needs_both() {
            let timeliness = store.timeliness_facts(filter.from, filter.to).await?;
            let costs = store.cost_facts().await?;
            return Ok(Facts::new(
                timeliness,
                costs.prestaties,
                costs.toewijzingen,
                contracts,
                betalers,
            ));
        }
        if query.needs_timeliness() {
            let timeliness = store.timeliness_facts(filter.from, filter.to).await?;
            return Ok(Facts::new(timeliness, vec![], vec![], contracts, betalers));
        }
        let costs = store.cost_facts().await?;
        Ok(Facts::new(
            vec![],
            costs.prestaties,
            costs.toewijzingen,
            contracts,
            betalers,
        ))
    }

    pub fn new(
        timeliness: Vec<TimelinessFact>,
        prestaties: Vec<PrestatieKosten>,
        toewijzingen: Vec<ToewijzingKosten>,
        contracts: ContractSet,
        betalers: Betalers,
    ) -> Facts {
        let mut segments = Segments::new();
        for c in &contracts.contracts {
            segments
                .entry(c.agb.clone())
                .or_default()
                .entry(c.categorie.clone())
                .or_default()
                .entry(c.productcode.clone())
                .or_insert_with(|| c.segment.clone());
        }
        Facts {
            timeliness,
            prestaties,
            toewijzingen,
            contracts,
            betalers,
            budgets: Budgets::default(),
            calendar: Calendar::national(),
            segments,
        }
    }

    /// The municipalities' budgets and the warning thresholds of `stats budget`.
    pub fn with_budgets(mut self, budgets: Budgets) -> Facts {
        self.budgets = budgets;
        self
    }

    /// The region's working-day calendar (with its extra closed days).
    pub fn with_calendar(mut self, calendar: Calendar) -> Facts {
        self.calendar = calendar;
        self
    }

    fn segment_of(&self, f: &TimelinessFact) -> Option<&str> {
        let (Some(c), Some(p)) = (&f.categorie, &f.productcode) else {
            return None;
        };
        self.segments
            .get(&f.agb)?
            .get(c)?
            .get(p)
            .map(String::as_str)
    }

    /// The obligations the filter keeps.
    pub fn obligations<'a>(
        &'a self,
        filter: &'a Filter,
    ) -> impl Iterator<Item = &'a TimelinessFact> + 'a {
        self.timeliness.iter().filter(move |f| {
            filter.from.is_none_or(|d| f.due_date >= d)
                && filter.to.is_none_or(|d| f.due_date <= d)
                && eq(&filter.gemeente, &f.gemeente)
                && eq(&filter.betaler, &f.gemeente)
                && eq(&filter.agb, &f.agb)
                && filter.standard.is_none_or(|s| s == f.standard)
                && filter
                    .categorie
                    .as_ref()
                    .is_none_or(|c| f.categorie.as_ref() == Some(c))
                && filter
                    .segment
                    .as_ref()
                    .is_none_or(|s| self.segment_of(f) == Some(s.as_str()))
                && filter.owed_by.is_none_or(|o| o == f.owed_by_role)
        })
    }

    /// The prestaties the filter keeps (the payer share is applied by the tables).
    fn lines<'a>(
        &'a self,
        filter: &'a Filter,
        period: bool,
    ) -> impl Iterator<Item = &'a PrestatieKosten> + 'a {
        let month = |d: NaiveDate| d.with_day(1).unwrap_or(d);
        self.prestaties.iter().filter(move |p| {
            (!period
                || (filter.from.is_none_or(|f| p.period_month >= month(f))
                    && filter.to.is_none_or(|t| p.period_month <= month(t))))
                && eq(&filter.gemeente, &p.gemeente)
                && eq(&filter.agb, &p.agb)
                && filter.standard.is_none_or(|s| s == p.standard)
                && eq(&filter.categorie, &p.categorie)
                && filter
                    .segment
                    .as_ref()
                    .is_none_or(|s| p.segment.as_ref() == Some(s))
        })
    }

    fn allocations<'a>(
        &'a self,
        filter: &'a Filter,
    ) -> impl Iterator<Item = &'a ToewijzingKosten> + 'a {
        self.toewijzingen.iter().filter(move |t| {
            eq(&filter.gemeente, &t.gemeente)
                && eq(&filter.agb, &t.agb)
                && filter.standard.is_none_or(|s| s == t.standard)
                && filter
                    .categorie
                    .as_ref()
                    .is_none_or(|c| t.categorie.as_ref() == Some(c))
                && filter
                    .segment
                    .as_ref()
                    .is_none_or(|s| t.segment.as_ref() == Some(s))
        })
    }

    /// The allocations the filter keeps for a care figure: `month` is the month the figure
    /// counts an allocation in (start or end; without one it drops out when a period is
    /// asked); `betaler` selects the allocating municipality, as for rejections.
    fn care_allocations<'a>(
        &'a self,
        filter: &'a Filter,
        month: impl Fn(&ToewijzingKosten) -> Option<NaiveDate> + 'a,
    ) -> impl Iterator<Item = &'a ToewijzingKosten> + 'a {
        let first = |d: NaiveDate| d.with_day(1).unwrap_or(d);
        let period = filter.from.is_some() || filter.to.is_some();
        self.allocations(filter).filter(move |t| {
            eq(&filter.betaler, &t.gemeente)
                && (!period
                    || month(t).is_some_and(|m| {
                        filter.from.is_none_or(|f| m >= first(f))
                            && filter.to.is_none_or(|to| m <= first(to))
                    }))
        })
    }

    /// The last day the cost facts saw a message (an allocation or a declaration received),
    /// and never after today: the default "now" of the care figures, so a database of an
    /// earlier period (the demo) shows who was waiting then.
    pub fn latest_day(&self) -> NaiveDate {
        let today = crate::protocol::deadlines::local_date(chrono::Utc::now());
        self.toewijzingen
            .iter()
            .filter_map(|t| t.traject.allocated_on)
            .chain(self.prestaties.iter().map(|p| p.received_on))
            .max()
            .map_or(today, |d| d.min(today))
    }

    /// The values the filters can take (for the dashboard's choices). Collected as borrowed
    /// values and months as numbers, then turned into strings once: a year of the region
    /// has millions of rows and a few hundred distinct values.
    pub fn choices(&self, filter: &Filter) -> Choices {
        #[derive(Default)]
        struct Seen<'a> {
            months: BTreeSet<(i32, u32)>,
            gemeenten: BTreeSet<&'a str>,
            aanbieders: BTreeSet<&'a str>,
            categorieen: BTreeSet<&'a str>,
            segmenten: BTreeSet<&'a str>,
            standards: BTreeSet<&'static str>,
        }
        let mut s = Seen::default();
        for f in self.obligations(filter) {
            s.months.insert((f.due_date.year(), f.due_date.month()));
            s.gemeenten.insert(&f.gemeente);
            s.aanbieders.insert(&f.agb);
            s.categorieen.extend(f.categorie.as_deref());
            s.standards.insert(f.standard.slug());
            s.segmenten.extend(self.segment_of(f));
        }
        for p in self.lines(filter, true) {
            s.months
                .insert((p.period_month.year(), p.period_month.month()));
            s.gemeenten.insert(&p.gemeente);
            s.aanbieders.insert(&p.agb);
            s.categorieen.insert(&p.categorie);
            s.standards.insert(p.standard.slug());
            s.segmenten.extend(p.segment.as_deref());
        }
        let owned = |set: BTreeSet<&str>| set.into_iter().map(String::from).collect();
        Choices {
            months: s
                .months
                .into_iter()
                .map(|(y, m)| format!("{y:04}-{m:02}"))
                .collect(),
            gemeenten: owned(s.gemeenten),
            aanbieders: owned(s.aanbieders),
            categorieen: owned(s.categorieen),
            segmenten: owned(s.segmenten),
            standards: owned(s.standards),
        }
    }
}

/// See [`Facts::choices`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choices {
    pub months: BTreeSet<String>,
    pub gemeenten: BTreeSet<String>,
    pub aanbieders: BTreeSet<String>,
    pub categorieen: BTreeSet<String>,
    pub segmenten: BTreeSet<String>,
    pub standards: BTreeSet<String>,
}

fn eq(want: &Option<String>, have: &str) -> bool {
    want.as_deref().is_none_or(|w| w == have)
}

/// The table `query` asks for, over the rows `filter` keeps.
pub fn table(facts: &Facts, filter: &Filter, query: &Query) -> Result<Table, QueryError> {
    query.check()?;
    let payer = filter.betaler.as_deref();
    Ok(match query {
        Query::Late { by } => stats::late_of(facts.obligations(filter), *by),
        Query::Costs { by, split } => stats::costs_of(
            facts.lines(filter, true),
            *by,
            *split,
            &facts.betalers,
            payer,
        ),
        Query::Forecast { year, by } => stats::forecast_of(
            facts.lines(filter, false),
            facts.allocations(filter),
            &facts.contracts,
            *year,
            *by,
            &facts.betalers,
            payer,
        ),
        Query::Rejections { by } => super::rejections::rejections_of(
            facts
                .lines(filter, true)
                .filter(|p| eq(&filter.betaler, &p.gemeente)),
            *by,
            &facts.calendar,
        ),
        Query::Waiting { by } => super::waiting::waiting_of(
            facts.care_allocations(filter, super::waiting::start_month),
            *by,
        ),
        Query::WaitingNow { as_of } => {
            let now = without_period(filter);
            super::waiting::waiting_now(facts.care_allocations(&now, |_| None), *as_of)
        }
        Query::Trajectories { by, as_of } => super::trajectories::trajectories_of(
            facts.care_allocations(filter, super::trajectories::end_month),
            &super::trajectories::Heraanmeldingen::of(&facts.toewijzingen),
            *by,
            *as_of,
        ),
        Query::Handover { as_of, months } => {
            let now = without_period(filter);
            super::handover::handover_of(facts.care_allocations(&now, |_| None), *as_of, *months)
        }
        Query::Budget { year } => {
            let lines: Vec<&PrestatieKosten> = facts.lines(filter, false).collect();
            let allocations: Vec<&ToewijzingKosten> = facts.allocations(filter).collect();
            let holders = Holders {
                providers: filter.gemeente.is_none() && filter.betaler.is_none(),
                municipalities: filter.agb.is_none(),
                payer: filter.betaler.as_deref().or(filter.gemeente.as_deref()),
                agb: filter.agb.as_deref(),
            };
            super::budget::budget_of(
                &lines,
                &allocations,
                &facts.contracts,
                &facts.betalers,
                &facts.budgets,
                *year,
                holders,
            )
        }
        Query::Utilisation { year } => {
            let lines: Vec<&PrestatieKosten> = facts
                .lines(filter, false)
                .filter(|p| eq(&filter.betaler, &p.gemeente))
                .collect();
            let allocations: Vec<&ToewijzingKosten> = facts
                .allocations(filter)
                .filter(|t| eq(&filter.betaler, &t.gemeente))
                .collect();
            super::budget::utilisation_of(&lines, &allocations, *year)
        }
        Query::Penalties { scheme, lines } => {
            let boetes =
                super::penalties::boetes(facts.obligations(filter), &facts.prestaties, scheme);
            if *lines {
                super::penalties::penalty_lines(&boetes, scheme)
            } else {
                super::penalties::penalties_of(&boetes, scheme)
            }
        }
    })
}

/// `query` with an as-of day left unset ([`NaiveDate::MIN`]) replaced by the facts' latest
/// day ([`Facts::latest_day`]): the CLI and the API default the same way.
pub fn with_default_day(query: Query, facts: &Facts) -> Query {
    let day = |d: NaiveDate| {
        if d == NaiveDate::MIN {
            facts.latest_day()
        } else {
            d
        }
    };
    match query {
        Query::WaitingNow { as_of } => Query::WaitingNow { as_of: day(as_of) },
        Query::Trajectories { by, as_of } => Query::Trajectories {
            by,
            as_of: day(as_of),
        },
        Query::Handover { as_of, months } => Query::Handover {
            as_of: day(as_of),
            months,
        },
        q => q,
    }
}

/// The lists of one day (waiting now, handover) have no period: it is ignored.
fn without_period(filter: &Filter) -> Filter {
    Filter {
        from: None,
        to: None,
        ..filter.clone()
    }
}

/// The group value of the regional median row (see [`with_regional_median`]).
pub const REGIONAL_MEDIAN: &str = "regio-mediaan";

/// For a provider's own view: `own` (its rows of a by-provider table) followed by one row per
/// remaining key column (the obligation kind for late reporting) holding, for every number
/// column, the median over all providers' rows in `all` (nearest rank, the lower middle of an
/// even count; empty cells left out). The provider sees where it stands without seeing any
/// other provider's figures.
pub fn with_regional_median(own: Table, all: &Table) -> Table {
    let keys = key_columns(all);
    let mut out = own;
    let mut groups: Vec<(Vec<Cell>, Vec<&Vec<Cell>>)> = Vec::new();
    for row in &all.rows {
        let key: Vec<Cell> = row[1..keys].to_vec();
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, rows)) => rows.push(row),
            None => groups.push((key, vec![row])),
        }
    }
    for (key, rows) in groups {
        let mut median: Vec<Cell> = vec![Cell::Text(REGIONAL_MEDIAN.into())];
        median.extend(key);
        for col in keys..all.columns.len() {
            median.push(median_cell(rows.iter().map(|r| &r[col])));
        }
        out.push(median);
    }
    out
}

/// The leading text columns (group and kind/rule) of a table.
fn key_columns(t: &Table) -> usize {
    let text = |i: usize| t.rows.iter().all(|r| matches!(r[i], Cell::Text(_)));
    let mut n = 1;
    while n < t.columns.len() && !t.rows.is_empty() && text(n) {
        n += 1;
    }
    n
}

fn median_cell<'a>(cells: impl Iterator<Item = &'a Cell>) -> Cell {
    let mut ints = Vec::new();
    let mut places = None;
    for c in cells {
        match c {
            Cell::Int(v) => ints.push(*v),
            Cell::Decimal(v, p) => {
                ints.push(*v);
                places = Some(*p);
            }
            _ => {}
        }
    }
    ints.sort_unstable();
    let Some(m) = (!ints.is_empty()).then(|| ints[(ints.len() - 1) / 2]) else {
        return Cell::Empty;
    };
    match places {
        Some(p) => Cell::Decimal(m, p),
        None => Cell::Int(m),
    }
}

/// Obligations in drill-down order: late and overdue first, then by due date (then key).
pub fn drill_down<'a>(
    facts: &'a Facts,
    filter: &'a Filter,
    statuses: &[Status],
    kinds: &[ObligationKind],
) -> Vec<&'a TimelinessFact> {
    let mut rows: Vec<&TimelinessFact> = facts
        .obligations(filter)
        .filter(|f| statuses.is_empty() || statuses.contains(&f.status))
        .filter(|f| kinds.is_empty() || kinds.contains(&f.kind))
        .collect();
    let rank = |s: Status| match s {
        Status::Late | Status::Overdue => 0,
        _ => 1,
    };
    rows.sort_by(|a, b| {
        rank(a.status)
            .cmp(&rank(b.status))
            .then(a.due_date.cmp(&b.due_date))
            .then(a.key.cmp(&b.key))
    });
    rows
}

/// The drill-down rows as a table: never a BSN, only the client's pseudonym.
pub fn obligations_table<'a>(rows: impl Iterator<Item = &'a TimelinessFact>) -> Table {
    let mut t = Table::new(vec![
        "kind",
        "rule",
        "standard",
        "owed_by_role",
        "owed_by",
        "gemeente",
        "agb",
        "client_pseudonym",
        "categorie",
        "productcode",
        "reference",
        "reference_date",
        "due_date",
        "fulfilled_on",
        "days_late",
        "status",
    ]);
    for f in rows {
        let date = |d: NaiveDate| Cell::Text(d.to_string());
        t.push(vec![
            f.kind.code().into(),
            f.kind.rule().into(),
            f.standard.slug().into(),
            f.owed_by_role.code().into(),
            f.owed_by.clone().into(),
            f.gemeente.clone().into(),
            f.agb.clone().into(),
            f.client.clone().into(),
            f.categorie.clone().into(),
            f.productcode.clone().into(),
            f.reference.clone().into(),
            date(f.reference_date),
            date(f.due_date),
            f.fulfilled_on.map_or(Cell::Empty, date),
            f.days_late.into(),
            f.status.code().into(),
        ]);
    }
    t
}

/// This year by the Dutch calendar.
pub fn current_year() -> i32 {
    crate::protocol::deadlines::local_date(chrono::Utc::now()).year()
}
