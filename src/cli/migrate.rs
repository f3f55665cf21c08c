//! `ijwmo migrate`: creates or upgrades the database schema of the configured store (the
//! service also does this at start-up; run it alone before a rolling upgrade).

use anyhow::Context;
use ijwmo::config::{redact_url, Config, Overrides};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    overrides: Overrides,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.overrides)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        // `open` runs the migrations of the backend the URL names
        ijwmo::store::open(&config.store.url)
            .await
            .with_context(|| format!("migrating {}", redact_url(&config.store.url)))
    })?;
    println!("schema of {} is up to date", redact_url(&config.store.url));
    Ok(ExitCode::SUCCESS)
}
