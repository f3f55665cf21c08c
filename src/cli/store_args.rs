//! What the facts commands (contracts, sweep, stats) share: the store to open, and a runtime.

use anyhow::Context;
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
    /// Opens and migrates the store; creates the folder of a new SQLite file.
    pub async fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        create_sqlite_folder(&self.store_url)?;
        ijwmo::store::open(&self.store_url)
            .await
            .with_context(|| format!("opening the store {}", redact(&self.store_url)))
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// `sqlite://dir/file.db` needs `dir/` before SQLite can create the file.
fn create_sqlite_folder(url: &str) -> anyhow::Result<()> {
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
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

/// Runs a future on a fresh runtime (the CLI is synchronous).
pub fn block_on<F: std::future::Future>(f: F) -> anyhow::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    Ok(rt.block_on(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact("postgres://ijwmo:geheim@db:5432/ijwmo"),
            "postgres://ijwmo:***@db:5432/ijwmo"
        );
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }
}
