//! `ijwmo stats late|costs|rejections|forecast`: the analysts' statistics from the facts, as a table, CSV
//! or JSON. What each number means: docs/facts.md.

use super::store_args::{block_on, StoreArgs};
use anyhow::Context;
use chrono::NaiveDate;
use ijwmo::facts::query::{self, Facts, Filter, Query};
use ijwmo::facts::stats::GroupBy;
use ijwmo::facts::{Betalers, Partij};
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
    };
    query.check().map_err(|e| anyhow::anyhow!("{e}"))?;
    let betalers = match payers {
        Some(p) => p.load()?,
        None => Betalers::default(),
    };
    let store = store.open_read_only().await?;
    let facts = Facts::load_for(store.as_ref(), &query, &filter, betalers)
        .await
        .context("reading the facts")?;
    let table = query::table(&facts, &filter, &query)?;
    Ok((table, format))
}
