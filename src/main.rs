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
    /// Generate months of synthetic traffic for the region (inbox, contracts, manifest, summary).
    Generate(cli::generate::Args),
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
        Command::Generate(args) => cli::generate::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ijwmo: {e:#}");
            ExitCode::from(2)
        }
    }
}
