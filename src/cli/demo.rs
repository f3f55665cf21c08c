//! `ijwmo demo`: the whole service on the embedded default with nothing installed. Generates a
//! month of the region, runs every message through the pipeline from the spool folder into a
//! SQLite database, publishes the answers to the outbox folder, sweeps the obligations nobody
//! met, and prints the late-reporting table per provider and the cost and forecast summary per
//! municipality.

use super::store_args::block_on;
use anyhow::Context;
use chrono::{Datelike, Months};
use ijwmo::config::Config;
use ijwmo::contracts::ContractSet;
use ijwmo::facts::stats::{self, GroupBy};
use ijwmo::facts::{FactsConfig, FactsEngine};
use ijwmo::generate::{generate, Options};
use ijwmo::pipeline::{Pipeline, Settings};
use ijwmo::report::Format;
use ijwmo::transport::outbox::OutboxPublisher;
use ijwmo::transport::spool::Spool;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The pseudonym key of the demo database only; a real deployment configures its own secret.
const DEMO_KEY: &str = "ijwmo-demo-only-pseudonym-key";

/// `print!` and `println!` that end the demo quietly when stdout's reader went away
/// (`ijwmo demo | head`), see [`super::output::print`].
macro_rules! out {
    ($($t:tt)*) => { super::output::print(&format!($($t)*))? };
}
macro_rules! outln {
    ($($t:tt)*) => { super::output::print(&(format!($($t)*) + "\n"))? };
}

#[derive(clap::Args)]
pub struct Args {
    /// Folder for the generated month, the database and the spool folder (emptied first).
    #[arg(long, value_name = "DIR", default_value = "ijwmo-demo")]
    dir: PathBuf,
    /// Seed of the synthetic region (the same seed gives the same month).
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Size of the region relative to Midden-Holland (1.0 is the whole region, about 44,000
    /// messages a month; the default tenth keeps the demo well under a minute).
    #[arg(long, default_value_t = 0.1)]
    scale: f64,
    /// Months of traffic to generate and process (the API benchmark uses a year).
    #[arg(long, default_value_t = 1)]
    months: u32,
    /// Store to process into instead of DIR/ijwmo.db (an empty database: the benchmark runs on
    /// PostgreSQL this way).
    #[arg(long, value_name = "URL")]
    store_url: Option<String>,
    /// Afterwards, serve the dashboard over the database until Ctrl-C.
    #[arg(long)]
    serve: bool,
    /// Where --serve listens.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: String,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    block_on(demo(args))??;
    Ok(ExitCode::SUCCESS)
}

async fn demo(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let dir = &args.dir;
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("emptying {}", dir.display()))?;
    }
    let generated = dir.join("generated");
    let mut opts = Options::new(args.months.max(1), args.seed);
    opts.scale = args.scale;
    let summary = generate(&opts, &generated).context("generating the month")?;
    let month = opts.start;
    let months = args.months.max(1);
    let window = if months == 1 {
        month.format("%B %Y").to_string()
    } else {
        format!("{months} months from {}", month.format("%B %Y"))
    };
    outln!(
        "generated {} messages for {} ({} providers) in {:.1} s",
        count_xml(&generated.join("inbox"))?,
        window,
        summary.totals.providers,
        started.elapsed().as_secs_f64()
    );

    let mut config = Config::default();
    config.store.url = args
        .store_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.join("ijwmo.db").display()));
    config.spool.dir = dir.join("spool");
    let store = ijwmo::store::open(&config.store.url)
        .await
        .context("opening the database")?;
    let csv = std::fs::read_to_string(generated.join("contracts.csv"))?;
    let contracts = ContractSet::from_csv(&csv)
        .map_err(|e| anyhow::anyhow!("generated contracts are invalid: {}", e[0]))?;
    store
        .replace_contracts(&contracts, "generated/contracts.csv")
        .await?;

    // the region "went live" on the first day of the generated month: the allocations already
    // running then (the generator's history) owe nothing from before it
    let engine = FactsEngine::from_config(&FactsConfig {
        pseudonym_key: DEMO_KEY.into(),
        measure_from: Some(month),
        ..FactsConfig::default()
    })?;
    // messages are judged as of their receipt; the sweep runs as of the end of the month after
    // the generated one: every deadline of the month has passed, so late and missing messages
    // show
    let today = month
        .checked_add_months(Months::new(months + 1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(month);
    let pipeline =
        Arc::new(Pipeline::new(store.clone(), Settings { today: None }).with_facts(engine.clone()));
    let spool = Spool::new(pipeline, &config)?;
    let inbox = spool.folders().inbox.clone();
    let mut files: Vec<PathBuf> = std::fs::read_dir(generated.join("inbox"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    let processing = Instant::now();
    // in batches, as the spool intake takes what is ready: one commit per batch
    for chunk in files.chunks(usize::from(config.spool.batch_size.max(1))) {
        let mut targets = Vec::with_capacity(chunk.len());
        for file in chunk {
            // copying keeps the receipt time: the file's modification time
            let target = inbox.join(file.file_name().unwrap_or_default());
            std::fs::copy(file, &target)?;
            let modified = std::fs::metadata(file)?.modified()?;
            std::fs::File::options()
                .write(true)
                .open(&target)?
                .set_modified(modified)?;
            targets.push(target);
        }
        let outcomes = spool.process_files(&targets).await?;
        if let Some(ijwmo::transport::spool::FileOutcome::Retry(e)) = outcomes.last() {
            anyhow::bail!("storing a message failed: {e}");
        }
    }
    let publisher =
        OutboxPublisher::new(store.clone(), spool.sink(), 500, Duration::from_millis(100));
    publisher
        .flush()
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let swept = ijwmo::facts::sweep::sweep(store.as_ref(), &engine, today).await?;
    outln!(
        "processed {} files in {:.1} s; swept as of {today}: {} obligation(s) overdue",
        files.len(),
        processing.elapsed().as_secs_f64(),
        swept.overdue
    );

    let facts = store.timeliness_facts(None, None).await?;
    let mut provider_facts = facts.clone();
    // the obligations of the generated month; later ones (allocations ending next month) are
    // still open and would only blur the table
    let next_month = month
        .checked_add_months(Months::new(months))
        .unwrap_or(month);
    provider_facts.retain(|f| {
        f.owed_by_role == ijwmo::facts::Partij::Aanbieder
            && f.reference_date >= month
            && f.reference_date < next_month
    });
    outln!("\nLate reporting per provider (obligations of providers, {window}):");
    out!(
        "{}",
        stats::late(&provider_facts, GroupBy::Provider).render(Format::Table)
    );
    let costs = store.cost_facts().await?;
    // beschermd wonen and opvang are allocated by Gouda and paid from the regional budget
    let betalers = ijwmo::facts::Betalers::from_file(&generated.join("betalers.toml"))?;
    outln!(
        "\nCosts per paying municipality (regional budget split by {}):",
        generated.join("betalers.toml").display()
    );
    out!(
        "{}",
        stats::costs(&costs.prestaties, GroupBy::Payer, &betalers).render(Format::Table)
    );
    outln!("\nForecast {} per paying municipality:", month.year());
    let contracts = store.contracts().await?;
    out!(
        "{}",
        stats::forecast(
            &costs.prestaties,
            &costs.toewijzingen,
            &contracts.set,
            month.year(),
            GroupBy::Payer,
            &betalers,
        )
        .render(Format::Table)
    );
    let payers = generated.join("betalers.toml");
    outln!(
        "\ndatabase: {}\noutbox:   {}\nrejected: {}\nwhat was injected: {}\ndone in {:.1} s",
        ijwmo::config::redact_url(&config.store.url),
        config.spool.dir.join("outbox").display(),
        config.spool.dir.join("rejected").display(),
        generated.join("summary.json").display(),
        started.elapsed().as_secs_f64()
    );
    if args.serve {
        return serve_dashboard(store, &payers, &args.listen).await;
    }
    outln!(
        "\nOpen the dashboard over this database:\n  ijwmo dashboard --store-url {} --payers {}\nthen browse to http://127.0.0.1:8080/ (or run the demo with --serve)",
        ijwmo::config::redact_url(&config.store.url),
        payers.display()
    );
    Ok(())
}

/// `--serve`: the dashboard over the demo's database, until Ctrl-C.
async fn serve_dashboard(
    store: Arc<dyn ijwmo::store::Store>,
    payers: &Path,
    listen: &str,
) -> anyhow::Result<()> {
    ijwmo::http::telemetry::install();
    let (listener, addr) = ijwmo::http::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let betalers = ijwmo::facts::Betalers::from_file(payers)?;
    // the generator's municipality budgets beside the payer rules, and the example scheme
    let budgets = payers.with_file_name("budgets.toml");
    let figures = ijwmo::http::cache::FigureSettings {
        budgets: if budgets.exists() {
            ijwmo::facts::budget::Budgets::from_file(&budgets)?
        } else {
            Default::default()
        },
        penalty_scheme: Some(ijwmo::facts::penalties::Scheme::from_toml(
            ijwmo::facts::penalties::EXAMPLE,
        )?),
    };
    let state = super::dashboard::state(
        store,
        &[],
        betalers,
        figures,
        Duration::from_secs(60),
        &addr,
        None,
    )?;
    state.facts.reload().await?;
    outln!("\ndashboard: http://{addr}/  (stop with Ctrl-C)");
    let cancel = tokio_util::sync::CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.cancel();
    });
    ijwmo::http::serve(listener, state, cancel).await?;
    Ok(())
}

fn count_xml(dir: &Path) -> std::io::Result<usize> {
    Ok(std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "xml"))
        .count())
}
