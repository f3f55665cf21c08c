//! What the facts commands (contracts, sweep, stats) share: the store to open, and a runtime.

use anyhow::Context;
use ijwmo::config::redact_url;
use ijwmo::store::Store;
use std::sync::Arc;

/// The store the command works on (the same variable `ijwmo serve` reads).
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// Store URL: sqlite://FILE, sqlite::memory: or postgres://…
    #[arg(
        long,
        value_name = "URL",
        env = "IJWMO_STORE_URL",
        hide_env_values = true,
        default_value = "sqlite://ijwmo-data/ijwmo.db"
    )]
    pub store_url: String,
}

impl StoreArgs {
    /// Opens an existing store without creating or migrating anything (the read-only commands;
    /// see [`ijwmo::store::open_read_only`]: its errors name the URL and what to do).
    pub async fn open_read_only(&self) -> anyhow::Result<Arc<dyn Store>> {
        use ijwmo::store::StoreError;
        match ijwmo::store::open_read_only(&self.store_url).await {
            Ok(store) => Ok(store),
            // these name the URL and what to do already
            Err(
                e @ (StoreError::Missing { .. }
                | StoreError::Outdated { .. }
                | StoreError::SchemaUnreadable { .. }
                | StoreError::Unreachable { .. }),
            ) => Err(e.into()),
            Err(e) => Err(anyhow::Error::new(e)
                .context(format!("opening the store {}", redact_url(&self.store_url)))),
        }
    }

    /// Opens and migrates the store.
    pub async fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        ijwmo::store::open(&self.store_url)
            .await
            .with_context(|| format!("opening the store {}", redact_url(&self.store_url)))
    }
}

/// Runs a future on a fresh runtime (the CLI is synchronous).
pub fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    Ok(rt.block_on(f))
}
