//! `ijwmo stats late|costs|forecast`: the analysts' statistics from the facts, as a table, CSV
//! or JSON. What each number means: docs/facts.md.

use super::store_args::{block_on, StoreArgs};
use anyhow::{bail, Context};
use chrono::{Datelike, NaiveDate};
use ijwmo::facts::stats::{self, GroupBy};
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
    match command {
        Command::Late {
            by,
            from,
            to,
            owed_by,
            format,
            store,
        } => {
            if matches!(by, GroupBy::Segment | GroupBy::Payer) {
                bail!("timeliness facts have no segment or payer: use provider, municipality, product or month");
            }
            let store = store.open_read_only().await?;
            let mut facts = store
                .timeliness_facts(from, to)
                .await
                .context("reading the timeliness facts")?;
            if let Some(o) = owed_by {
                let role = match o {
                    OwedBy::Aanbieder => Partij::Aanbieder,
                    OwedBy::Gemeente => Partij::Gemeente,
                };
                facts.retain(|f| f.owed_by_role == role);
            }
            Ok((stats::late(&facts, by), format))
        }
        Command::Costs {
            by,
            payers,
            from,
            to,
            format,
            store,
        } => {
            let betalers = payers.load()?;
            let store = store.open_read_only().await?;
            let mut lines = store
                .cost_facts()
                .await
                .context("reading the cost facts")?
                .prestaties;
            let month = |d: NaiveDate| d.with_day(1).unwrap_or(d);
            lines.retain(|p| {
                from.is_none_or(|f| p.period_month >= month(f))
                    && to.is_none_or(|t| p.period_month <= month(t))
            });
            Ok((stats::costs(&lines, by, &betalers), format))
        }
        Command::Forecast {
            year,
            by,
            payers,
            format,
            store,
        } => {
            if by == GroupBy::Month {
                bail!("the forecast is per year: use provider, municipality, product or segment");
            }
            let year = year.unwrap_or_else(|| {
                ijwmo::protocol::deadlines::local_date(chrono::Utc::now()).year()
            });
            let betalers = payers.load()?;
            let store = store.open_read_only().await?;
            let facts = store.cost_facts().await.context("reading the cost facts")?;
            let contracts = store.contracts().await.context("reading the contracts")?;
            Ok((
                stats::forecast(
                    &facts.prestaties,
                    &facts.toewijzingen,
                    &contracts.set,
                    year,
                    by,
                    &betalers,
                ),
                format,
            ))
        }
    }
}
