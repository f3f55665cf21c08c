//! HTTP: health, metrics, the JSON API (`/api/v1/…`) and the dashboard's pages, one axum
//! router for `ijwmo serve` and `ijwmo dashboard` alike.
//!
//! - `/healthz` (alive), `/readyz` (store reachable and, on AMQP, the consumer connected),
//!   `/metrics` (Prometheus text): no token, no personal data;
//! - `/api/v1/…`: read-only tables over the facts ([`api`]), each as JSON or CSV, every one
//!   behind [`access`];
//! - `/assets/…`: the files of `src/http/assets/`, embedded in the binary; every other GET
//!   path answers the dashboard's `index.html` (the page routes itself).

pub mod access;
pub mod answers;
pub mod api;
mod assets;
pub mod cache;
mod openapi;
pub mod params;
pub mod telemetry;

use crate::store::Store;
use access::Access;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use cache::FactsCache;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// What every handler shares.
pub struct HttpState {
    pub store: Arc<dyn Store>,
    pub facts: Arc<FactsCache>,
    pub access: Access,
    /// On AMQP: true while the consumer is connected (None: no broker to wait for).
    pub consumer: Option<&'static AtomicBool>,
}

/// The whole HTTP surface.
pub fn router(state: Arc<HttpState>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(telemetry::scrape))
        .route("/api/v1/", get(api::index))
        .nest(
            "/api/v1",
            api::routes().layer(axum::middleware::from_fn_with_state(
                state.clone(),
                answers::cached,
            )),
        )
        .route("/assets/{*path}", get(assets::asset))
        .fallback(assets::page)
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// 200 when the store answers and (on AMQP) the consumer is connected; 503 with the reason.
async fn readyz(axum::extract::State(state): axum::extract::State<Arc<HttpState>>) -> Response {
    let ping = tokio::time::timeout(std::time::Duration::from_secs(5), state.store.ping()).await;
    let store_problem = match ping {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(format!("store unreachable: {e}")),
        Err(_) => Some("store unreachable: no answer within 5 s".to_string()),
    };
    if let Some(reason) = store_problem {
        return (StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n")).into_response();
    }
    if let Some(c) = &state.consumer {
        if !c.load(Ordering::SeqCst) {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "AMQP consumer not connected\n",
            )
                .into_response();
        }
    }
    "ready\n".into_response()
}

/// Binds `listen` (`host:port`) and serves until `cancel`. A loopback address lets API calls
/// without a token in (see [`access`]); any other requires one.
pub async fn bind(listen: &str) -> std::io::Result<(tokio::net::TcpListener, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// Serves the router on a bound listener until `cancel`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<HttpState>,
    cancel: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async move { cancel.cancelled().await })
        .await
}

/// True for 127.0.0.0/8 and ::1.
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}
