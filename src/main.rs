//! The `ijwmo` command line. Library errors are typed; anyhow only lives here, at the edge.

mod cli;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// iJw 3.2 / iWmo 3.2 message service for a region of municipalities.
#[derive(Parser)]
#[command(name = "ijwmo", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate message files (layer 1: schema, layer 2: rules within one message).
    Validate(cli::validate::Args),
    /// Run the service: consume messages (spool folder or RabbitMQ), judge and store them,
    /// publish answers and forwards, until SIGTERM/SIGINT.
    Serve(Box<cli::serve::Args>),
    /// Create or upgrade the database schema of the configured store.
    Migrate(Box<cli::migrate::Args>),
    /// Import or list the regional contracts (tariffs, products, budget ceilings).
    Contracts(cli::contracts::Args),
    /// Turn obligations nobody met by a date into overdue facts.
    Sweep(cli::sweep::Args),
    /// Late reporting, costs and the forecast, from the facts.
    Stats(cli::stats::Args),
    /// Generate months of synthetic traffic for the region (inbox, contracts, manifest, summary).
    Generate(cli::generate::Args),
    /// Generate a month, run it through the whole service on SQLite + spool folder, and print
    /// the late-reporting, cost and forecast tables (nothing to install).
    Demo(cli::demo::Args),
    /// Serve the dashboard, its JSON API, health and metrics over an existing store
    /// (read-only: never migrates or writes).
    Dashboard(cli::dashboard::Args),
    /// Make an access token for the API and dashboard (prints the token and its hash).
    Token(cli::token::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = match cli.command {
        Command::Validate(args) => cli::validate::run(args),
        Command::Serve(args) => cli::serve::run(*args),
        Command::Migrate(args) => cli::migrate::run(*args),
        Command::Contracts(args) => cli::contracts::run(args),
        Command::Sweep(args) => cli::sweep::run(args),
        Command::Stats(args) => cli::stats::run(args),
        Command::Generate(args) => cli::generate::run(args),
        Command::Demo(args) => cli::demo::run(args),
        Command::Dashboard(args) => cli::dashboard::run(args),
        Command::Token(args) => cli::token::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ijwmo: {e:#}");
            ExitCode::from(2)
        }
    }
}
