//! `ijwmo contracts import FILE.csv` and `ijwmo contracts list`: the regional contract set the
//! layer-4 rules (TR418, TR381) and the cost facts use.

use super::store_args::{block_on, StoreArgs};
use anyhow::{bail, Context};
use ijwmo::contracts::ContractSet;
use ijwmo::report::{Cell, Format, Table};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Check a contract CSV and make it the set in force, replacing the previous one at once.
    /// Every bad row is reported with its line number; nothing is imported then.
    Import {
        /// agb,gemeente,categorie,productcode,eenheid,tarief,geldig_van,geldig_tot,segment,budgetplafond
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print the set in force (`--format csv` prints a file `import` accepts).
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Import { file, store } => import(&file, &store),
        Command::List { format, store } => list(format, &store),
    }
}

fn import(file: &PathBuf, store: &StoreArgs) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let set = match ContractSet::from_csv(&text) {
        Ok(set) => set,
        Err(errors) => {
            for e in &errors {
                eprintln!("{}: {e}", file.display());
            }
            eprintln!("nothing imported: {} error(s)", errors.len());
            return Ok(ExitCode::from(1));
        }
    };
    let source = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    block_on(async {
        let store = store.open().await?;
        store
            .replace_contracts(&set, &source)
            .await
            .context("storing the contracts")
    })??;
    println!(
        "imported {} contract row(s) from {source}; the previous set is replaced",
        set.contracts.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn list(format: Format, store: &StoreArgs) -> anyhow::Result<ExitCode> {
    let stored = block_on(async {
        let store = store.open_read_only().await?;
        store.contracts().await.context("reading the contracts")
    })??;
    if stored.imported_at.is_none() && format == Format::Table {
        bail!("no contract set has been imported (ijwmo contracts import FILE.csv)");
    }
    let mut t = Table::new(ijwmo::contracts::COLUMNS.to_vec());
    for c in &stored.set.contracts {
        t.push(vec![
            c.agb.as_str().into(),
            c.gemeente.clone().unwrap_or_else(|| "*".into()).into(),
            c.categorie.as_str().into(),
            c.productcode.as_str().into(),
            c.eenheid.as_str().into(),
            c.tarief.into(),
            c.geldig_van.to_string().into(),
            c.geldig_tot.map(|d| d.to_string()).into(),
            c.segment.as_str().into(),
            c.budgetplafond.map(Cell::Int).unwrap_or(Cell::Empty),
        ]);
    }
    let mut text = t.render(format);
    if format == Format::Table {
        if let (Some(at), Some(source)) = (stored.imported_at, stored.source) {
            text.push_str(&format!(
                "({} rows, imported {at} from {source})\n",
                t.rows.len()
            ));
        }
    }
    super::output::print(&text)?;
    Ok(ExitCode::SUCCESS)
}
