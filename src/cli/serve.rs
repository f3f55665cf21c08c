//! `ijwmo serve`: runs the service — store, pipeline, transport (spool folder or RabbitMQ) and
//! outbox publisher — until SIGTERM or SIGINT, then shuts down gracefully and exits 0.

use anyhow::Context;
use ijwmo::config::{Config, LogConfig, Overrides, TransportKind};
use ijwmo::pipeline::{Pipeline, Settings};
use ijwmo::transport::{amqp, spool};
use std::process::ExitCode;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Every option can also be set in the TOML file (`--config`) or through its `IJWMO_*`
/// variable; a flag beats its variable, a variable beats the file, the file beats the default.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    overrides: Overrides,
    /// Print the effective configuration as TOML (passwords hidden) and exit.
    #[arg(long)]
    print_config: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::load(&args.overrides)?;
    if args.print_config {
        print!("{}", config.to_toml_redacted());
        return Ok(ExitCode::SUCCESS);
    }
    init_tracing(&config.log)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(config))?;
    Ok(ExitCode::SUCCESS)
}

/// Logs to stderr, as text or one JSON object per line, through the service's privacy filter
/// (see [`ijwmo::logging`]). Log lines carry message kind, sender, identification and verdict —
/// never a BSN, a finding's text or a message body, not even from the libraries.
fn init_tracing(log: &LogConfig) -> anyhow::Result<()> {
    Ok(ijwmo::logging::install(log)?)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        transport = format!("{:?}", config.transport).to_lowercase(),
        store = %ijwmo::config::redact_url(&config.store.url),
        "starting"
    );
    create_sqlite_folder(&config.store.url)?;
    // every batch in flight holds a connection for its transaction; the outbox publisher
    // and the answers sent again for duplicates need theirs besides
    let in_flight = match config.transport {
        TransportKind::Amqp => config.amqp.batches_in_flight() as u32,
        TransportKind::Spool => 1,
    };
    let options = ijwmo::store::StoreOptions {
        claim_timeout: config.outbox.claim_timeout,
        pool_size: (in_flight + 4).max(ijwmo::store::PgStore::DEFAULT_POOL_SIZE),
        ..Default::default()
    };
    let store = ijwmo::store::open_with(&config.store.url, &options)
        .await
        .with_context(|| {
            format!(
                "opening the store {}",
                ijwmo::config::redact_url(&config.store.url)
            )
        })?;
    store.migrate().await.context("migrating the store")?;
    let mut pipeline = Pipeline::new(store.clone(), Settings { today: None })
        .with_max_message_size(config.max_message_size);
    let facts = if config.facts.enabled() {
        let engine = ijwmo::facts::FactsEngine::from_config(&config.facts)?;
        pipeline = pipeline.with_facts(engine.clone());
        Some(Arc::new(engine))
    } else {
        tracing::warn!("no pseudonym key (IJWMO_PSEUDONYM_KEY): facts are not recorded");
        None
    };
    let pipeline = Arc::new(pipeline);

    let cancel = CancellationToken::new();
    tokio::spawn(watch_signals(cancel.clone()));
    // the listener outlives the transport's graceful shutdown (health stays answerable)
    let http_cancel = CancellationToken::new();
    let http = start_http(&config, store.clone(), http_cancel.clone()).await?;
    // 0: no sweep here (one instance, or cron running `ijwmo sweep`, does it)
    let sweeping = config.facts.sweep_interval_secs > 0;
    if let Some(engine) = facts.filter(|_| sweeping) {
        tokio::spawn(ijwmo::facts::sweep::run_periodically(
            store,
            engine,
            config.facts.sweep_interval(),
            cancel.clone(),
        ));
    }
    match config.transport {
        TransportKind::Spool => spool::serve(pipeline, &config, cancel)
            .await
            .with_context(|| format!("spool {}", config.spool.dir.display()))?,
        TransportKind::Amqp => amqp::serve(pipeline, &config, cancel).await,
    }
    http_cancel.cancel();
    if let Some(task) = http {
        let _ = task.await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// The HTTP listener (`http.listen`, unless `off`): health, metrics, dashboard and API.
async fn start_http(
    config: &Config,
    store: Arc<dyn ijwmo::store::Store>,
    cancel: CancellationToken,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    ijwmo::http::telemetry::install();
    if config.http.listen == "off" {
        return Ok(None);
    }
    let betalers = match &config.http.payers {
        Some(p) => ijwmo::facts::Betalers::from_file(p)?,
        None => ijwmo::facts::Betalers::default(),
    };
    let (listener, addr) = ijwmo::http::bind(&config.http.listen)
        .await
        .with_context(|| format!("listening on {}", config.http.listen))?;
    let consumer = match config.transport {
        TransportKind::Amqp => Some(&amqp::CONSUMING),
        TransportKind::Spool => None,
    };
    let figures = super::dashboard::figure_settings(
        config.http.budgets.as_deref(),
        config.http.penalty_scheme.as_deref(),
    )?;
    let state = super::dashboard::state(
        store,
        &config.http.tokens,
        betalers,
        figures,
        config.http.facts_refresh,
        &addr,
        consumer,
    )?;
    tracing::info!(%addr, "HTTP listening (/healthz, /readyz, /metrics, /api/v1/, dashboard)");
    Ok(Some(tokio::spawn(async move {
        if let Err(e) = ijwmo::http::serve(listener, state, cancel).await {
            tracing::error!(error = %e, "the HTTP listener failed");
        }
    })))
}

/// The first SIGTERM/SIGINT starts a graceful shutdown; a second one exits at once.
async fn watch_signals(cancel: CancellationToken) {
    if let Err(e) = shutdown_signal().await {
        tracing::error!(error = %e, "cannot listen for signals; stop the service by killing it");
        return;
    }
    tracing::info!("signal received: shutting down gracefully (send it again to stop at once)");
    cancel.cancel();
    if shutdown_signal().await.is_ok() {
        tracing::warn!("second signal: stopping now; unacknowledged input is redelivered");
        std::process::exit(130);
    }
}

async fn shutdown_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

/// `sqlite://dir/file.db` needs `dir/` to exist before SQLite can create the file.
fn create_sqlite_folder(url: &str) -> anyhow::Result<()> {
    let Some(rest) = url.strip_prefix("sqlite://") else {
        return Ok(());
    };
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(':') {
        return Ok(());
    }
    if let Some(dir) = std::path::Path::new(path).parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
    }
    Ok(())
}
