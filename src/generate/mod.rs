//! The synthetic region generator: months of iJw/iWmo traffic for Midden-Holland as the
//! service receives it — providers' requests, starts, stops, change requests and monthly
//! declarations, the municipalities' allocations and answers, the providers' retours on them —
//! with the misbehaviour the region wants to measure (late starts, stops and declarations,
//! missing stops, wrong tariffs, volumes over the allocation, malformed files), and a summary
//! that says exactly what was put in, so tests can check that the facts find exactly that.
//!
//! How it works, and why:
//! - **Plan, then write in receipt order.** Every client episode is planned completely when it
//!   begins (allocation versions, starts, temporary stops, changes, the end); its messages wait
//!   in a queue ordered by receipt moment. Declarations are assembled at the end of each month
//!   from the episodes in care. After each month everything received before the next month
//!   is written, so memory holds the clients in care and one month of pending messages, never
//!   the output.
//! - **History.** Care that is running when the window opens was allocated and started before
//!   it; those 301s, 302s and 305s are written too (received before the window), otherwise the
//!   first declarations would refer to allocations the service never saw.
//! - **Deterministic.** One `StdRng` seeded from `--seed`, ordered collections only.
//! - **Exact injections.** Lateness is computed from the final receipt moment with the
//!   project's working-day calendar; volume overruns are chosen so that exactly one rule (TR321
//!   or TR322) fails; every other obligation is met on time.

pub mod catalogue;
mod clock;
mod declare;
pub mod messages;
mod output;
mod people;
mod plan;
pub mod summary;
mod world;

pub use catalogue::expected_yearly_cents;
pub use clock::Moment;
pub use output::Breakage;
pub use summary::Summary;

use crate::message::kind::{MessageKind, Standard};
use crate::protocol::calendar::Calendar;
use chrono::{Datelike, Months, NaiveDate};
use clock::{start_of, Clock};
use messages::{render, Body, Client, Spec};
use output::Output;
use plan::Episode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Instant;
use summary::{
    BudgetOverrun, Correction, Late, Malformed, MissingStop, Overrun, ProviderSummary, TariffError,
};
use thiserror::Error;
use world::{World, GEMEENTEN};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    /// Number of calendar months in the window.
    pub months: u32,
    pub seed: u64,
    /// Multiplies the number of clients (1.0 ≈ €118 M a year).
    pub scale: f64,
    /// First day of the first month.
    pub start: NaiveDate,
}

impl Options {
    /// The defaults of the CLI: January 2025, scale 1.
    pub fn new(months: u32, seed: u64) -> Options {
        Options {
            months,
            seed,
            scale: 1.0,
            start: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Error)]
pub enum GenerateError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error("{}: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{} is not empty: generate into a new folder", .0.display())]
    NotEmpty(PathBuf),
    #[error("{0}")]
    Options(String),
}

/// Something a message carries that the summary must report once the file has a name.
#[derive(Debug, Clone)]
enum Note {
    Late {
        rule: &'static str,
        toewijzing: Option<u32>,
        declaratie: Option<String>,
        period: Option<String>,
        reference: NaiveDate,
        due: NaiveDate,
        days: u32,
    },
    /// A rejected line, linked (by id) to the line that corrects it later.
    Tariff(u64, Box<TariffError>),
    Overrun(u64, Box<Overrun>),
    CorrectionCredit(u64, Box<Correction>),
    /// The corrected line for an earlier credit or rejected line.
    Followup(u64, String),
}

/// Which summary list a linked entry is in.
#[derive(Debug, Clone, Copy)]
enum Linked {
    Correction(usize),
    Tariff(usize),
    Overrun(usize),
}

/// A message waiting for its receipt moment.
struct Pending {
    at: Moment,
    tie: u64,
    spec: Spec,
    notes: Vec<Note>,
    broken: Option<Breakage>,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.tie) == (other.at, other.tie)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.tie).cmp(&(other.at, other.tie))
    }
}

/// Declarations go per provider, per gemeente, per legal domain.
type ChainKey = (usize, usize, Standard);

/// The episodes one provider declares to one gemeente in one domain, and when its latest
/// declaration arrived (periods must follow each other, TR318).
#[derive(Default)]
struct Chain {
    episodes: Vec<Episode>,
    last_receipt: Option<Moment>,
}

/// The whole generator state.
struct Gen {
    rng: StdRng,
    clock: Clock,
    world: World,
    /// The window: [w0, w1).
    w0: NaiveDate,
    w1: NaiveDate,
    scale: f64,
    bsns: people::BsnSequence,
    toewijzing_seq: [[u32; 2]; 5],
    relatie_seq: u32,
    beschikking_seq: u32,
    ident_seq: HashMap<(String, u16), u32>,
    referentie_seq: Vec<u32>,
    prestatie_seq: Vec<u32>,
    correction_seq: u64,
    heap: BinaryHeap<Reverse<Pending>>,
    tie: u64,
    chains: BTreeMap<ChainKey, Chain>,
    summary: Summary,
    links: HashMap<u64, Linked>,
    providers_seen: BTreeSet<String>,
    /// Allocations whose long wait is in the summary already (gemeente, ToewijzingNummer).
    long_waits_noted: BTreeSet<(&'static str, u32)>,
    /// Jeugdwet clients of the window counted for the group of 17-year-olds.
    jeugd_clients: u32,
    /// Declared cents per provider and year of care (for the injected budget overrun).
    declared_per_provider_year: BTreeMap<(String, i32), i64>,
    out: Output,
}

/// Writes the world's contracts for the window [w0, w1) to `path`.
fn write_contracts(
    world: &World,
    path: &Path,
    w0: NaiveDate,
    w1: NaiveDate,
) -> Result<(), GenerateError> {
    let file = std::fs::File::create(path).map_err(|source| GenerateError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // history allocations start up to four years before the window
    world
        .write_contracts(std::io::BufWriter::new(file), w0.year() - 4, w1.year())
        .map_err(|source| GenerateError::Csv {
            path: path.to_path_buf(),
            source,
        })
}

/// Writes the municipalities' budgets for `ijwmo stats budget --budgets` (and the demo's
/// dashboard): per municipality a yearly budget of 1.5 × its declared amount over the window
/// scaled to a year, in whole euros. Demo figures only; the summary states none of them.
fn write_budgets(
    path: &Path,
    summary: &Summary,
    months: u32,
    year: i32,
) -> Result<(), GenerateError> {
    let mut text = String::from(
        "# The municipalities' budgets (ijwmo stats budget --budgets budgets.toml): a yearly\n\
         # amount per paying municipality, warnings at 90% and 100% of it.\n\
         thresholds = [90, 100]\n",
    );
    for (gemeente, cents) in &summary.totals.declared_cents_per_gemeente {
        let yearly = cents * 12 * 3 / 2 / i64::from(months.max(1)) / 100;
        if yearly > 0 {
            text.push_str(&format!(
                "\n[[budget]]\npayer = \"{gemeente}\"\nper_year = {{ \"{year}\" = \"{yearly}.00\" }}\n"
            ));
        }
    }
    std::fs::write(path, text).map_err(|source| GenerateError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The provider heading over its ceiling: of the providers under a budget ceiling, the one
/// that declared most in one year of care; its ceiling is lowered to a quarter of what it
/// declared in that year (whole euros), so the realisation alone crosses it. Every other
/// ceiling stays as the world set it (about 10% above a full-scale year, far above what a
/// window of a few months at a small scale realises).
fn inject_budget_overrun(
    world: &mut World,
    declared: &BTreeMap<(String, i32), i64>,
) -> Option<BudgetOverrun> {
    let (agb, year, cents) = world
        .providers
        .iter()
        .filter(|p| p.budgetplafond.is_some())
        .filter_map(|p| {
            declared
                .iter()
                .filter(|((a, _), _)| *a == p.agb)
                .map(|((a, y), c)| (a.clone(), *y, *c))
                .max_by_key(|(_, y, c)| (*c, std::cmp::Reverse(*y)))
        })
        .max_by(|a, b| a.2.cmp(&b.2).then(b.0.cmp(&a.0)))?;
    let ceiling = (cents / 4 / 100).max(1) * 100;
    let p = world.providers.iter_mut().find(|p| p.agb == agb)?;
    p.budgetplafond = Some(ceiling);
    Some(BudgetOverrun {
        provider: agb,
        year,
        budgetplafond: ceiling,
        declared_cents: cents,
    })
}

/// Writes the region's payer rules (see [`world::betalers`]) for `ijwmo stats --payers`.
fn write_betalers(path: &Path) -> Result<(), GenerateError> {
    let rules = toml::to_string(&world::betalers())
        .map_err(|e| GenerateError::Options(format!("payer rules: {e}")))?;
    let text = format!(
        "# Who pays (ijwmo stats costs|forecast --by payer --payers betalers.toml): every\n\
         # municipality pays what it allocated, except the segments of a regional budget.\n{rules}"
    );
    std::fs::write(path, text).map_err(|source| GenerateError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Generates the region into `dir` (`inbox/`, `contracts.csv`, `betalers.toml`, `manifest.csv`,
/// `summary.json`) and returns the summary.
pub fn generate(opts: &Options, dir: &Path) -> Result<Summary, GenerateError> {
    if opts.months == 0 {
        return Err(GenerateError::Options("--months must be at least 1".into()));
    }
    if !(opts.scale > 0.0 && opts.scale <= 1000.0) {
        return Err(GenerateError::Options(
            "--scale must be above 0 and at most 1000".into(),
        ));
    }
    let w0 = opts.start.with_day(1).unwrap_or(opts.start);
    let w1 = w0
        .checked_add_months(Months::new(opts.months))
        .ok_or_else(|| GenerateError::Options("the window runs past the calendar".into()))?;
    if w0.year() < 2021 {
        // declaration periods before 2021 are refused by the standard (CS100)
        return Err(GenerateError::Options(
            "--start must be 2021-01 or later".into(),
        ));
    }
    let started = Instant::now();
    let out = Output::create(dir)?;
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let world = World::build(&mut rng, w0.year());
    let contracts = dir.join("contracts.csv");
    write_contracts(&world, &contracts, w0, w1)?;
    write_betalers(&dir.join("betalers.toml"))?;
    let providers = world.providers.len();
    let mut g = Gen {
        rng,
        clock: Clock::new(Calendar::national()),
        world,
        w0,
        w1,
        scale: opts.scale,
        bsns: people::BsnSequence::default(),
        toewijzing_seq: [[0; 2]; 5],
        relatie_seq: 0,
        beschikking_seq: 0,
        ident_seq: HashMap::new(),
        referentie_seq: vec![0; providers],
        prestatie_seq: vec![0; providers],
        correction_seq: 0,
        heap: BinaryHeap::new(),
        tie: 0,
        chains: BTreeMap::new(),
        summary: Summary::default(),
        links: HashMap::new(),
        providers_seen: BTreeSet::new(),
        long_waits_noted: BTreeSet::new(),
        jeugd_clients: 0,
        declared_per_provider_year: BTreeMap::new(),
        out,
    };
    g.run()?;
    let Gen {
        mut summary,
        out,
        mut world,
        providers_seen,
        declared_per_provider_year,
        ..
    } = g;
    summary.long_wait_providers = (world.providers.iter().enumerate())
        .filter(|(i, _)| plan::waits_long(*i))
        .map(|(_, p)| p.agb.clone())
        .collect();
    summary.long_wait_days = plan::LONG_WAIT_DAYS;
    summary.budget_overrun = inject_budget_overrun(&mut world, &declared_per_provider_year);
    if summary.budget_overrun.is_some() {
        // the contracts again, with the lowered ceiling
        write_contracts(&world, &contracts, w0, w1)?;
    }
    write_budgets(&dir.join("budgets.toml"), &summary, opts.months, w0.year())?;
    summary.generator.seed = opts.seed;
    summary.generator.months = opts.months;
    summary.generator.scale = opts.scale;
    summary.generator.window_from = w0.to_string();
    summary.generator.window_until = w1.to_string();
    summary.generator.files = out.files();
    summary.totals.providers = providers_seen.len() as u64;
    summary.totals.providers_contracted = world.providers.len() as u64;
    summary.totals.yearly_cents =
        (summary.totals.declared_cents as f64 * 12.0 / f64::from(opts.months)).round() as i64;
    summary.totals.expected_yearly_cents = expected_yearly_cents(opts.scale);
    summary.providers = world
        .providers
        .iter()
        .map(|p| ProviderSummary {
            agb: p.agb.clone(),
            name: p.name.clone(),
            segments: p
                .segments
                .iter()
                .map(|s| catalogue::SEGMENTS[*s].key)
                .collect(),
            gemeenten: p.gemeenten.iter().map(|g| GEMEENTEN[*g].code).collect(),
            budgetplafond: p.budgetplafond,
            profile: p.profile.clone(),
        })
        .collect();
    out.finish()?;
    summary.generator.seconds = (started.elapsed().as_secs_f64() * 10.0).round() / 10.0;
    let path = dir.join("summary.json");
    let file = std::fs::File::create(&path).map_err(|source| GenerateError::Io {
        path: path.clone(),
        source,
    })?;
    serde_json::to_writer_pretty(std::io::BufWriter::new(file), &summary).map_err(|source| {
        GenerateError::Json {
            path: path.clone(),
            source,
        }
    })?;
    Ok(summary)
}

impl Gen {
    fn run(&mut self) -> Result<(), GenerateError> {
        for s in 0..catalogue::SEGMENTS.len() {
            let n = self.stochastic_round(f64::from(catalogue::SEGMENTS[s].active) * self.scale);
            for _ in 0..n {
                self.plan_episode(s, None);
            }
        }
        let mut month = self.w0;
        while month < self.w1 {
            let next = month + Months::new(1);
            for (s, seg) in catalogue::SEGMENTS.iter().enumerate() {
                let lambda = seg.arrivals(self.scale);
                let n = self.poisson(lambda);
                let days: Vec<NaiveDate> = month
                    .iter_days()
                    .take_while(|d| *d < next)
                    .filter(|d| self.clock.is_working_day(*d))
                    .collect();
                for _ in 0..n {
                    let day = days[self.rng.random_range(0..days.len())];
                    self.plan_episode(s, Some(day));
                }
            }
            self.declare_month(month);
            self.flush(Some(start_of(next)))?;
            month = next;
        }
        self.declare_tail();
        self.flush(None)
    }

    fn stochastic_round(&mut self, x: f64) -> u64 {
        let whole = x.floor();
        whole as u64 + u64::from(self.rng.random_bool((x - whole).clamp(0.0, 1.0)))
    }

    fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 30.0 {
            let u1: f64 = self.rng.random_range(f64::EPSILON..1.0);
            let u2: f64 = self.rng.random_range(0.0..1.0);
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            return (lambda + lambda.sqrt() * z).round().max(0.0) as u64;
        }
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut p = 1.0;
        loop {
            p *= self.rng.random_range(0.0..1.0);
            if p <= limit {
                return k;
            }
            k += 1;
        }
    }

    /// A message identification unique per sender and kind (TR056), ≤ 12 characters.
    fn ident(&mut self, sender: &str, kind: MessageKind) -> String {
        let n = self
            .ident_seq
            .entry((sender.to_string(), kind.number))
            .or_insert(0);
        *n += 1;
        format!("{}{:09}", kind.number, n)
    }

    /// Queues a message; a provider with sloppy software first sends a broken copy.
    fn push(&mut self, at: Moment, spec: Spec, notes: Vec<Note>, provider: usize) {
        let from_provider = matches!(spec.kind.number, 302 | 305 | 307 | 315 | 317 | 320 | 323);
        let chance = self.world.providers[provider].profile.malformed;
        if from_provider && self.rng.random_bool(chance) {
            let secs = at.time().num_seconds_from_midnight();
            let earliest = 8 * 3600;
            if secs > earliest {
                let back = self.rng.random_range(1..=(secs - earliest).min(90 * 60));
                let earlier = Moment(at.0 - chrono::Duration::seconds(i64::from(back)));
                let mut copy = spec.clone();
                copy.ident = self.ident(&copy.sender, copy.kind);
                let breakage = Breakage::ALL[self.rng.random_range(0..Breakage::ALL.len())];
                self.enqueue(earlier, copy, Vec::new(), Some(breakage));
            }
        }
        self.enqueue(at, spec, notes, None);
    }

    fn enqueue(&mut self, at: Moment, spec: Spec, notes: Vec<Note>, broken: Option<Breakage>) {
        self.tie += 1;
        self.heap.push(Reverse(Pending {
            at,
            tie: self.tie,
            spec,
            notes,
            broken,
        }));
    }

    /// Writes every queued message received before `until` (all when None), in receipt order.
    fn flush(&mut self, until: Option<Moment>) -> Result<(), GenerateError> {
        while let Some(Reverse(p)) = self.heap.peek() {
            if until.is_some_and(|u| p.at >= u) {
                break;
            }
            let Some(Reverse(p)) = self.heap.pop() else {
                break;
            };
            self.write(p)?;
        }
        Ok(())
    }

    fn write(&mut self, p: Pending) -> Result<(), GenerateError> {
        let spec = &p.spec;
        let bytes = match p.broken {
            Some(b) => b.apply(spec),
            None => render(spec).into_bytes(),
        };
        let name = self
            .out
            .write(p.at, spec.kind, &spec.sender, &spec.receiver, &bytes)?;
        let kind = spec.kind.to_string();
        let totals = &mut self.summary.totals;
        if p.at < start_of(self.w0) {
            self.summary.generator.history_messages += 1;
        }
        for party in [&spec.sender, &spec.receiver] {
            if party.len() == 8 {
                self.providers_seen.insert(party.clone());
            }
        }
        if let Some(b) = p.broken {
            totals.malformed_files += 1;
            self.summary.malformed.push(Malformed {
                file: name,
                kind,
                sender: spec.sender.clone(),
                expected_rule: b.rule(),
                what: b.what(),
            });
            return Ok(());
        }
        *totals.messages.entry(kind.clone()).or_insert(0) += 1;
        if let Body::Declaratie(d) = &spec.body {
            let amount = d.total();
            totals.declared_cents += amount;
            *self
                .declared_per_provider_year
                .entry((spec.sender.clone(), d.periode.0.year()))
                .or_insert(0) += amount;
            *totals
                .declared_cents_per_gemeente
                .entry(spec.receiver.clone())
                .or_insert(0) += amount;
            *totals
                .declared_cents_per_domain
                .entry(spec.kind.standard.prefix().to_string())
                .or_insert(0) += amount;
            *totals
                .declared_cents_per_period
                .entry(d.periode.0.format("%Y-%m").to_string())
                .or_insert(0) += amount;
        }
        let received_at = p.at.rfc3339();
        for note in p.notes {
            match note {
                Note::Late {
                    rule,
                    toewijzing,
                    declaratie,
                    period,
                    reference,
                    due,
                    days,
                } => self.summary.late.push(Late {
                    rule,
                    file: name.clone(),
                    kind: kind.clone(),
                    provider: spec.sender.clone(),
                    gemeente: spec.receiver.clone(),
                    toewijzing_nummer: toewijzing,
                    declaratie_nummer: declaratie,
                    period,
                    reference_date: reference.to_string(),
                    due: due.to_string(),
                    received_at: received_at.clone(),
                    working_days_late: days,
                }),
                Note::Tariff(id, mut t) => {
                    t.file = name.clone();
                    self.links
                        .insert(id, Linked::Tariff(self.summary.tariff_errors.len()));
                    self.summary.tariff_errors.push(*t);
                }
                Note::Overrun(id, mut o) => {
                    o.file = name.clone();
                    self.links
                        .insert(id, Linked::Overrun(self.summary.volume_overruns.len()));
                    self.summary.volume_overruns.push(*o);
                }
                Note::CorrectionCredit(id, mut c) => {
                    c.credit_file = name.clone();
                    self.links
                        .insert(id, Linked::Correction(self.summary.corrections.len()));
                    self.summary.corrections.push(*c);
                }
                Note::Followup(id, referentie) => {
                    let (file, r) = (Some(name.clone()), Some(referentie));
                    match self.links.get(&id).copied() {
                        Some(Linked::Correction(i)) => {
                            let c = &mut self.summary.corrections[i];
                            (c.corrected_file, c.corrected_referentie_nummer) = (file, r);
                        }
                        Some(Linked::Tariff(i)) => {
                            let t = &mut self.summary.tariff_errors[i];
                            (t.resubmitted_file, t.resubmitted_referentie_nummer) = (file, r);
                        }
                        Some(Linked::Overrun(i)) => {
                            let o = &mut self.summary.volume_overruns[i];
                            (o.resubmitted_file, o.resubmitted_referentie_nummer) = (file, r);
                        }
                        None => {}
                    }
                }
            }
        }
        Ok(())
    }

    fn missing_stop(&mut self, m: MissingStop) {
        self.summary.missing_stops.push(m);
    }

    fn client_count(&mut self) {
        self.summary.totals.clients += 1;
    }
}

/// Shared handle on a client for the messages about them.
type ClientRef = Rc<Client>;

use chrono::Timelike;
