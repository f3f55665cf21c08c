//! `ijwmo dashboard --store-url URL [--listen ADDR]`: the HTTP surface of `ijwmo serve` (the
//! dashboard, its API, health and metrics) over an existing store, consuming nothing. Read-only:
//! it never migrates or writes.

use super::store_args::block_on;
use anyhow::Context;
use ijwmo::config::redact_url;
use ijwmo::facts::Betalers;
use ijwmo::http::access::{parse_token_list, Access, TokenConfig};
use ijwmo::http::cache::FactsCache;
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
    /// How old the figures may get before they are read again from the store
    #[arg(long, value_name = "DURATION", env = "IJWMO_HTTP_FACTS_REFRESH", default_value = "1m", value_parser = ijwmo::config::parse_duration)]
    pub facts_refresh: Duration,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    block_on(dashboard(args))??;
    Ok(ExitCode::SUCCESS)
}

/// Opens a store without creating or migrating it.
///
/// A minimal stand-in for `ijwmo::store::open_read_only` (added on another branch): SQLite opens
/// the existing file read-only; PostgreSQL connects a small pool. Neither migrates.
async fn open_read_only(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = path.split('?').next().unwrap_or_default();
        if !std::path::Path::new(path).exists() {
            anyhow::bail!(
                "no database at {path} (store URL {url}); run `ijwmo demo` and point at its database with --store-url sqlite://ijwmo-demo/ijwmo.db"
            );
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .create_if_missing(false);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        return Ok(Arc::new(ijwmo::store::SqliteStore::new(pool)));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(ijwmo::store::PgStore::connect_with(url, 4).await?));
    }
    anyhow::bail!(
        "unsupported store URL {} (use sqlite://FILE or postgres://…)",
        redact_url(url)
    )
}

impl HttpArgs {
    pub fn tokens(&self) -> anyhow::Result<Vec<TokenConfig>> {
        match &self.tokens {
            Some(t) => parse_token_list(t).map_err(|e| anyhow::anyhow!("--tokens: {e}")),
            None => Ok(Vec::new()),
        }
    }

    pub fn betalers(&self) -> anyhow::Result<Betalers> {
        match &self.payers {
            Some(p) => Ok(Betalers::from_file(p)?),
            None => Ok(Betalers::default()),
        }
    }
}

/// Builds the shared state for a listener on `addr` (loopback: no token needed).
pub fn state(
    store: Arc<dyn Store>,
    tokens: &[TokenConfig],
    betalers: Betalers,
    refresh: Duration,
    addr: &std::net::SocketAddr,
    consumer: Option<&'static std::sync::atomic::AtomicBool>,
) -> anyhow::Result<Arc<HttpState>> {
    let open = ijwmo::http::is_loopback(addr);
    let access = Access::new(tokens, open).map_err(|e| anyhow::anyhow!("{e}"))?;
    if !open && tokens.is_empty() {
        tracing::warn!(%addr, "listening beyond loopback without any token: every API call will be refused");
    }
    let facts = FactsCache::new(store.clone(), betalers, refresh);
    Ok(Arc::new(HttpState {
        store,
        facts,
        access,
        consumer,
    }))
}

async fn dashboard(args: Args) -> anyhow::Result<()> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("IJWMO_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    ijwmo::http::telemetry::install();
    let store = open_read_only(&args.store_url)
        .await
        .with_context(|| format!("opening the store {}", redact_url(&args.store_url)))?;
    let (listener, addr) = ijwmo::http::bind(&args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let state = state(
        store,
        &args.http.tokens()?,
        args.http.betalers()?,
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
