//! `ijwmo dashboard --store-url URL [--listen ADDR]`: the HTTP surface of `ijwmo serve` (the
//! dashboard, its API, health and metrics) over an existing store, consuming nothing. Read-only:
//! it never migrates or writes.

use super::store_args::block_on;
use anyhow::Context;
use ijwmo::facts::budget::Budgets;
use ijwmo::facts::penalties::Scheme;
use ijwmo::facts::Betalers;
use ijwmo::http::access::{parse_token_list, Access, TokenConfig};
use ijwmo::http::cache::FactsCache;
use ijwmo::http::cache::FigureSettings;
use ijwmo::http::HttpState;
use ijwmo::store::Store;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(clap::Args)]
pub struct Args {
    /// The store to show: sqlite://FILE or postgres://… (the demo's: sqlite://ijwmo-demo/ijwmo.db)
    #[arg(
        long,
        value_name = "URL",
        env = "IJWMO_STORE_URL",
        hide_env_values = true
    )]
    store_url: String,
    /// Address to listen on; a non-loopback address requires bearer tokens
    #[arg(
        long,
        value_name = "ADDR",
        env = "IJWMO_HTTP_LISTEN",
        default_value = "127.0.0.1:8080"
    )]
    listen: String,
    #[command(flatten)]
    http: HttpArgs,
}

/// What `serve` and `dashboard` share about the API.
#[derive(clap::Args, Clone, Debug)]
pub struct HttpArgs {
    /// Access tokens as HASH=SCOPE pairs, comma-separated (HASH: SHA-256 hex of the token;
    /// SCOPE: regio, gemeente:<code>, aanbieder:<AGB>); `ijwmo token` makes one
    #[arg(
        long,
        value_name = "LIST",
        env = "IJWMO_HTTP_TOKENS",
        hide_env_values = true
    )]
    pub tokens: Option<String>,
    /// Payer rules (TOML) for the figures by paying municipality
    #[arg(long, value_name = "FILE", env = "IJWMO_PAYERS")]
    pub payers: Option<PathBuf>,
    /// Municipalities' budgets and warning thresholds (TOML) for the budget early warning
    #[arg(long, value_name = "FILE", env = "IJWMO_BUDGETS")]
    pub budgets: Option<PathBuf>,
    /// Penalty scheme (TOML) for the late-declaration penalties report (off without one)
    #[arg(long, value_name = "FILE", env = "IJWMO_PENALTY_SCHEME")]
    pub penalty_scheme: Option<PathBuf>,
    /// How old the figures may get before they are read again from the store
    #[arg(long, value_name = "DURATION", env = "IJWMO_HTTP_FACTS_REFRESH", default_value = "1m", value_parser = ijwmo::config::parse_duration)]
    pub facts_refresh: Duration,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    block_on(dashboard(args))??;
    Ok(ExitCode::SUCCESS)
}

impl HttpArgs {
    pub fn tokens(&self) -> anyhow::Result<Vec<TokenConfig>> {
        match &self.tokens {
            Some(t) => parse_token_list(t).map_err(|e| anyhow::anyhow!("--tokens: {e}")),
            None => Ok(Vec::new()),
        }
    }

    pub fn figures(&self) -> anyhow::Result<FigureSettings> {
        figure_settings(self.budgets.as_deref(), self.penalty_scheme.as_deref())
    }

    pub fn betalers(&self) -> anyhow::Result<Betalers> {
        match &self.payers {
            Some(p) => Ok(Betalers::from_file(p)?),
            None => Ok(Betalers::default()),
        }
    }
}

/// The budgets and penalty scheme of the files named (each optional).
pub fn figure_settings(
    budgets: Option<&std::path::Path>,
    scheme: Option<&std::path::Path>,
) -> anyhow::Result<FigureSettings> {
    Ok(FigureSettings {
        budgets: match budgets {
            Some(p) => Budgets::from_file(p).with_context(|| format!("budgets {}", p.display()))?,
            None => Budgets::default(),
        },
        penalty_scheme: scheme
            .map(|p| {
                Scheme::from_file(p).with_context(|| format!("penalty scheme {}", p.display()))
            })
            .transpose()?,
    })
}

/// Builds the shared state for a listener on `addr` (loopback: no token needed).
pub fn state(
    store: Arc<dyn Store>,
    tokens: &[TokenConfig],
    betalers: Betalers,
    figures: FigureSettings,
    refresh: Duration,
    addr: &std::net::SocketAddr,
    consumer: Option<&'static std::sync::atomic::AtomicBool>,
) -> anyhow::Result<Arc<HttpState>> {
    let open = ijwmo::http::is_loopback(addr);
    let access = Access::new(tokens, open).map_err(|e| anyhow::anyhow!("{e}"))?;
    if !open && tokens.is_empty() {
        tracing::warn!(%addr, "listening beyond loopback without any token: every API call will be refused");
    }
    let facts = FactsCache::with_settings(store.clone(), betalers, figures, refresh);
    Ok(Arc::new(HttpState {
        store,
        facts,
        access,
        consumer,
    }))
}

async fn dashboard(args: Args) -> anyhow::Result<()> {
    let log = ijwmo::config::LogConfig {
        filter: std::env::var("IJWMO_LOG").unwrap_or_else(|_| "info".into()),
        ..Default::default()
    };
    // the same privacy filter as the daemon's logs
    let _ = ijwmo::logging::install(&log);
    ijwmo::http::telemetry::install();
    // never creates or migrates: the error names the URL and what to do
    let store = ijwmo::store::open_read_only(&args.store_url).await?;
    let (listener, addr) = ijwmo::http::bind(&args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let state = state(
        store,
        &args.http.tokens()?,
        args.http.betalers()?,
        args.http.figures()?,
        args.http.facts_refresh,
        &addr,
        None,
    )?;
    state
        .facts
        .reload()
        .await
        .context("reading the facts of the store")?;
    println!("dashboard: http://{addr}/  (API: http://{addr}/api/v1/; stop with Ctrl-C)");
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.cancel();
    });
    ijwmo::http::serve(listener, state, cancel).await?;
    Ok(())
}
