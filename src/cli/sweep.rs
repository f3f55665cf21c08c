//! `ijwmo sweep --date D`: turns obligations nobody met by D into overdue facts (the running
//! service does this periodically).

use super::facts_args::FactsArgs;
use super::store_args::{block_on, StoreArgs};
use anyhow::Context;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The date to sweep as of (YYYY-MM-DD, a Dutch calendar day) [default: today]
    #[arg(long, value_name = "DATE")]
    date: Option<chrono::NaiveDate>,
    #[command(flatten)]
    facts: FactsArgs,
    #[command(flatten)]
    store: StoreArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let engine = args.facts.engine()?;
    let date = args
        .date
        .unwrap_or_else(|| ijwmo::protocol::deadlines::local_date(chrono::Utc::now()));
    let report = block_on(async {
        let store = args.store.open().await?;
        ijwmo::facts::sweep::sweep(store.as_ref(), &engine, date)
            .await
            .context("sweeping")
    })??;
    println!(
        "swept as of {date}: {} client(s) with running care re-evaluated, {} obligation(s) now overdue",
        report.clients, report.overdue
    );
    Ok(ExitCode::SUCCESS)
}
