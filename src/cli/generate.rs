//! `ijwmo generate --months N --seed S --out DIR [--scale X] [--start YYYY-MM]`: a synthetic
//! region's traffic as the service receives it (see `ijwmo::generate`).

use anyhow::Context;
use chrono::NaiveDate;
use ijwmo::generate::{generate, Options};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Calendar months of traffic to generate.
    #[arg(long)]
    months: u32,
    /// Seed of the random generator: the same seed gives byte-identical output.
    #[arg(long)]
    seed: u64,
    /// Output folder: inbox/, contracts.csv, manifest.csv, summary.json (inbox/ must be empty).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Multiplies the number of clients (1 ≈ €118 M of care a year).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// First month of the window.
    #[arg(long, value_name = "YYYY-MM", default_value = "2025-01", value_parser = parse_month)]
    start: NaiveDate,
}

fn parse_month(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
        .map_err(|_| format!("'{s}' is not a month YYYY-MM"))
}

fn euros(cents: i64) -> String {
    format!("€{:.1} M", cents as f64 / 100_000_000.0)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = Options {
        months: args.months,
        seed: args.seed,
        scale: args.scale,
        start: args.start,
    };
    let s = generate(&opts, &args.out)
        .with_context(|| format!("generating into {}", args.out.display()))?;
    let t = &s.totals;
    println!(
        "{} files ({} history, {} malformed) in {}/inbox in {:.1} s",
        s.generator.files,
        s.generator.history_messages,
        t.malformed_files,
        args.out.display(),
        s.generator.seconds
    );
    println!(
        "window {} – {}: {} clients, {} providers ({} contracted), {} allocations",
        s.generator.window_from,
        s.generator.window_until,
        t.clients,
        t.providers,
        t.providers_contracted,
        t.allocations
    );
    println!(
        "declared {} ({} a year; the catalogue expects {})",
        euros(t.declared_cents),
        euros(t.yearly_cents),
        euros(t.expected_yearly_cents)
    );
    for (gemeente, cents) in &t.declared_cents_per_gemeente {
        println!("  {gemeente}: {}", euros(*cents));
    }
    let count = |rule: &str| s.late.iter().filter(|l| l.rule == rule).count();
    println!(
        "injected: {} late starts, {} late stops, {} late declarations, {} missing stops, {} tariff errors, {} volume overruns, {} corrections, {} malformed files",
        count("OP271"),
        count("OP272"),
        count(ijwmo::generate::summary::DECLARATION_DEADLINE),
        s.missing_stops.len(),
        s.tariff_errors.len(),
        s.volume_overruns.len(),
        s.corrections.len(),
        s.malformed.len()
    );
    println!(
        "care figures: {} long waits at {} providers, {} allocations of 17-year-olds",
        s.long_waits.len(),
        s.long_wait_providers.len(),
        s.seventeen.len()
    );
    Ok(ExitCode::SUCCESS)
}
