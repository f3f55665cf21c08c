//! `ijwmo stats late|costs|rejections|forecast|budget|penalties|waiting|trajectories|handover`:
//! the analysts' statistics from the facts, as a table, CSV or JSON. What each number means:
//! docs/facts.md.

use super::store_args::{block_on, StoreArgs};
use anyhow::Context;
use chrono::NaiveDate;
use ijwmo::facts::budget::Budgets;
use ijwmo::facts::penalties::Scheme;
use ijwmo::facts::query::{self, Facts, Filter, Query};
use ijwmo::facts::stats::GroupBy;
use ijwmo::facts::{Betalers, Partij};
use ijwmo::message::kind::Standard;
use ijwmo::report::{Format, Table};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OwedBy {
    /// Providers' obligations (305, 307, 323, 302, 320).
    Aanbieder,
    /// Municipalities' obligations (301/319 answers, retours, 325).
    Gemeente,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Obligations met on time, late, or not at all, per obligation kind.
    Late {
        /// provider, municipality, product or month (of the due date)
        #[arg(long, value_enum, default_value_t = GroupBy::Provider)]
        by: GroupBy,
        /// First due date counted (YYYY-MM-DD)
        #[arg(long, value_name = "DATE")]
        from: Option<NaiveDate>,
        /// Last due date counted (YYYY-MM-DD)
        #[arg(long, value_name = "DATE")]
        to: Option<NaiveDate>,
        /// Only the obligations of providers or of municipalities
        #[arg(long, value_enum)]
        owed_by: Option<OwedBy>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Declared, approved, rejected and credited amounts.
    Costs {
        /// provider, municipality (allocating), payer, product, month (of the care) or segment
        #[arg(long, value_enum, default_value_t = GroupBy::Provider)]
        by: GroupBy,
        #[command(flatten)]
        payers: PayersArg,
        /// First month of care counted (YYYY-MM-DD; its month)
        #[arg(long, value_name = "DATE")]
        from: Option<NaiveDate>,
        /// Last month of care counted (YYYY-MM-DD; its month)
        #[arg(long, value_name = "DATE")]
        to: Option<NaiveDate>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Rejected declaration lines and amounts as a share of what was declared, and how many
    /// came back approved after how many working days.
    Rejections {
        /// provider, municipality, product, month (of the care) or retour-code
        #[arg(long, value_enum, default_value_t = GroupBy::Provider)]
        by: GroupBy,
        /// First month of care counted (YYYY-MM-DD; its month)
        #[arg(long, value_name = "DATE")]
        from: Option<NaiveDate>,
        /// Last month of care counted (YYYY-MM-DD; its month)
        #[arg(long, value_name = "DATE")]
        to: Option<NaiveDate>,
        /// Only this provider (AGB code)
        #[arg(long, value_name = "AGB")]
        agb: Option<String>,
        /// Only this allocating municipality (gemeentecode)
        #[arg(long, value_name = "CODE")]
        gemeente: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Waiting time to care: days from the request (or the 301) and from the Ingangsdatum to
    /// the actual start, per month of start; with --now, who is waiting.
    Waiting {
        /// provider, municipality, category, product or month (of the start)
        #[arg(long, value_enum, default_value_t = GroupBy::Provider)]
        by: GroupBy,
        /// List the allocations in force without a start instead (pseudonymised)
        #[arg(long)]
        now: bool,
        /// The day --now looks at [default: the last day the facts saw a message]
        #[arg(long, value_name = "DATE")]
        as_of: Option<NaiveDate>,
        #[command(flatten)]
        filter: CareFilter,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Trajectory length (start to definitive end), ended according to plan or early, and
    /// re-entry within 6 and 12 months, per month of end.
    Trajectories {
        /// provider, municipality, category, product or month (of the end)
        #[arg(long, value_enum, default_value_t = GroupBy::Provider)]
        by: GroupBy,
        /// The day the re-entry windows are judged on [default: the last day the facts saw a
        /// message]
        #[arg(long, value_name = "DATE")]
        as_of: Option<NaiveDate>,
        #[command(flatten)]
        filter: CareFilter,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Jeugdwet clients turning 18 within the horizon while an allocation runs past the
    /// birthday (pseudonymised, with the allocation number).
    Handover {
        /// Months ahead, the as-of month included
        #[arg(long, value_name = "MONTHS", default_value_t = ijwmo::facts::handover::HORIZON_MONTHS)]
        horizon: u32,
        /// The day the list is drawn up on [default: the last day the facts saw a message]
        #[arg(long, value_name = "DATE")]
        as_of: Option<NaiveDate>,
        #[command(flatten)]
        filter: CareFilter,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Realisation to date, remaining commitments and the forecast for a year.
    Forecast {
        /// The calendar year [default: this year]
        #[arg(long)]
        year: Option<i32>,
        /// provider (with the budget ceiling), municipality (allocating), payer, product or segment
        #[arg(long, value_enum, default_value_t = GroupBy::Provider)]
        by: GroupBy,
        #[command(flatten)]
        payers: PayersArg,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Budget early warning: every budget ceiling (providers' in the contracts, municipalities'
    /// in --budgets) against the year's forecast, the month it is reached, worst first; with
    /// --utilisation the declared ÷ allocated volume per provider and product.
    Budget {
        /// The calendar year [default: this year]
        #[arg(long)]
        year: Option<i32>,
        /// Declared ÷ allocated volume per provider and product instead of the ceilings
        #[arg(long)]
        utilisation: bool,
        /// The municipalities' budgets and the warning thresholds (TOML; docs/facts.md)
        #[arg(long, value_name = "FILE", env = "IJWMO_BUDGETS")]
        budgets: Option<std::path::PathBuf>,
        /// Warning thresholds in percent of a ceiling, comma-separated [default: the budgets
        /// file's, else 90,100]
        #[arg(long, value_name = "PCTS", value_delimiter = ',')]
        thresholds: Vec<u32>,
        #[command(flatten)]
        payers: PayersArg,
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Late-declaration penalties, what-if: a penalty scheme applied to the declaration
    /// obligations met late, per provider, month of care and rule (a report: nothing is
    /// deducted).
    Penalties {
        /// The penalty scheme (TOML; example: deploy/penalty-scheme.toml)
        #[arg(long, value_name = "FILE", env = "IJWMO_PENALTY_SCHEME")]
        scheme: std::path::PathBuf,
        /// One line per late declaration obligation (pseudonymised) instead of the sums
        #[arg(long)]
        lines: bool,
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// The filters of the newer figures (the API's common parameters).
#[derive(Clone, clap::Args)]
struct FilterArgs {
    /// First day counted (YYYY-MM-DD): of the due date for obligations, its month for care
    #[arg(long, value_name = "DATE")]
    from: Option<NaiveDate>,
    /// Last day counted (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    to: Option<NaiveDate>,
    /// Only this allocating municipality (gemeentecode)
    #[arg(long, value_name = "CODE")]
    gemeente: Option<String>,
    /// Only what this municipality pays (gemeentecode)
    #[arg(long, value_name = "CODE")]
    betaler: Option<String>,
    /// Only this provider (AGB code)
    #[arg(long, value_name = "AGB")]
    agb: Option<String>,
    /// Only ijw or iwmo
    #[arg(long, value_name = "STANDARD", value_parser = ["ijw", "iwmo"])]
    standard: Option<String>,
    /// Only this product category
    #[arg(long, value_name = "CODE")]
    categorie: Option<String>,
    /// Only this contract segment
    #[arg(long, value_name = "SEGMENT")]
    segment: Option<String>,
}

impl FilterArgs {
    fn filter(self) -> Filter {
        Filter {
            from: self.from,
            to: self.to,
            gemeente: self.gemeente,
            betaler: self.betaler,
            agb: self.agb,
            standard: self.standard.as_deref().map(|s| match s {
                "iwmo" => Standard::Iwmo,
                _ => Standard::Ijw,
            }),
            categorie: self.categorie,
            segment: self.segment,
            owed_by: None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum StandardArg {
    Ijw,
    Iwmo,
}

/// The filters of the care figures (waiting, trajectories, handover).
#[derive(Clone, clap::Args)]
struct CareFilter {
    /// First month counted (YYYY-MM-DD; its month): of the start (waiting) or end
    /// (trajectories); the lists ignore it
    #[arg(long, value_name = "DATE")]
    from: Option<NaiveDate>,
    /// Last month counted (YYYY-MM-DD; its month)
    #[arg(long, value_name = "DATE")]
    to: Option<NaiveDate>,
    /// Only this allocating municipality (gemeentecode)
    #[arg(long, value_name = "CODE")]
    gemeente: Option<String>,
    /// Only this provider (AGB code)
    #[arg(long, value_name = "AGB")]
    agb: Option<String>,
    /// Only Jeugdwet or Wmo
    #[arg(long, value_enum)]
    standard: Option<StandardArg>,
    /// Only this product category
    #[arg(long, value_name = "CODE")]
    categorie: Option<String>,
    /// Only this contract segment
    #[arg(long)]
    segment: Option<String>,
}

impl CareFilter {
    fn filter(self) -> Filter {
        Filter {
            from: self.from,
            to: self.to,
            gemeente: self.gemeente,
            agb: self.agb,
            standard: self.standard.map(|s| match s {
                StandardArg::Ijw => ijwmo::message::kind::Standard::Ijw,
                StandardArg::Iwmo => ijwmo::message::kind::Standard::Iwmo,
            }),
            categorie: self.categorie,
            segment: self.segment,
            ..Filter::default()
        }
    }
}

/// The payer rules for `--by payer`.
#[derive(Clone, clap::Args)]
struct PayersArg {
    /// Payer rules (TOML: regional budgets, their segments and verdeelsleutel) for --by payer;
    /// without it every municipality pays what it allocated
    #[arg(long, value_name = "FILE", env = "IJWMO_PAYERS")]
    payers: Option<std::path::PathBuf>,
}

impl PayersArg {
    fn load(&self) -> anyhow::Result<Betalers> {
        match &self.payers {
            Some(path) => {
                Betalers::from_file(path).with_context(|| format!("--payers {}", path.display()))
            }
            None => Ok(Betalers::default()),
        }
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let (table, format) = block_on(table(args.command))??;
    super::output::print(&table.render(format))?;
    Ok(ExitCode::SUCCESS)
}

async fn table(command: Command) -> anyhow::Result<(Table, Format)> {
    let mut budgets = None;
    let (query, filter, payers, store, format) = match command {
        Command::Late {
            by,
            from,
            to,
            owed_by,
            format,
            store,
        } => {
            let filter = Filter {
                from,
                to,
                owed_by: owed_by.map(|o| match o {
                    OwedBy::Aanbieder => Partij::Aanbieder,
                    OwedBy::Gemeente => Partij::Gemeente,
                }),
                ..Filter::default()
            };
            (Query::Late { by }, filter, None, store, format)
        }
        Command::Costs {
            by,
            payers,
            from,
            to,
            format,
            store,
        } => {
            let filter = Filter {
                from,
                to,
                ..Filter::default()
            };
            let query = Query::Costs { by, split: None };
            (query, filter, Some(payers), store, format)
        }
        Command::Rejections {
            by,
            from,
            to,
            agb,
            gemeente,
            format,
            store,
        } => {
            let filter = Filter {
                from,
                to,
                agb,
                gemeente,
                ..Filter::default()
            };
            (Query::Rejections { by }, filter, None, store, format)
        }
        Command::Waiting {
            by,
            now,
            as_of,
            filter,
            format,
            store,
        } => {
            // the day is settled once the facts are loaded (see below)
            let query = if now {
                Query::WaitingNow {
                    as_of: as_of.unwrap_or(NaiveDate::MIN),
                }
            } else {
                Query::Waiting { by }
            };
            (query, filter.filter(), None, store, format)
        }
        Command::Trajectories {
            by,
            as_of,
            filter,
            format,
            store,
        } => {
            let as_of = as_of.unwrap_or(NaiveDate::MIN);
            let query = Query::Trajectories { by, as_of };
            (query, filter.filter(), None, store, format)
        }
        Command::Handover {
            horizon,
            as_of,
            filter,
            format,
            store,
        } => {
            let as_of = as_of.unwrap_or(NaiveDate::MIN);
            let query = Query::Handover {
                as_of,
                months: horizon,
            };
            (query, filter.filter(), None, store, format)
        }
        Command::Forecast {
            year,
            by,
            payers,
            format,
            store,
        } => {
            let year = year.unwrap_or_else(query::current_year);
            let query = Query::Forecast { year, by };
            (query, Filter::default(), Some(payers), store, format)
        }
        Command::Budget {
            year,
            utilisation,
            budgets: file,
            thresholds,
            payers,
            filter,
            format,
            store,
        } => {
            let mut b = match &file {
                Some(path) => Budgets::from_file(path)
                    .with_context(|| format!("--budgets {}", path.display()))?,
                None => Budgets::default(),
            };
            if !thresholds.is_empty() {
                b.thresholds = thresholds;
            }
            budgets = Some(b);
            let year = year.unwrap_or_else(query::current_year);
            let query = if utilisation {
                Query::Utilisation { year }
            } else {
                Query::Budget { year }
            };
            (query, filter.filter(), Some(payers), store, format)
        }
        Command::Penalties {
            scheme,
            lines,
            filter,
            format,
            store,
        } => {
            let s = Scheme::from_file(&scheme)
                .with_context(|| format!("--scheme {}", scheme.display()))?;
            let query = Query::Penalties {
                scheme: Box::new(s),
                lines,
            };
            (query, filter.filter(), None, store, format)
        }
    };
    query.check().map_err(|e| anyhow::anyhow!("{e}"))?;
    let betalers = match payers {
        Some(p) => p.load()?,
        None => Betalers::default(),
    };
    let store = store.open_read_only().await?;
    let mut facts = Facts::load_for(store.as_ref(), &query, &filter, betalers)
        .await
        .context("reading the facts")?;
    if let Some(b) = budgets {
        facts = facts.with_budgets(b);
    }
    let query = query::with_default_day(query, &facts);
    let table = query::table(&facts, &filter, &query)?;
    Ok((table, format))
}
