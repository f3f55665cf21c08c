//! Metrics in the Prometheus text format, recorded with the `metrics` crate wherever the work
//! happens and rendered at `/metrics` by `metrics-exporter-prometheus`. Labels are codes only
//! (message kind, verdict, retour code, reason): never a BSN, a client or a finding's text.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `ijwmo_messages_total` | counter | `kind`, `verdict` |
//! | `ijwmo_retour_codes_sent_total` | counter | `code` |
//! | `ijwmo_dead_letters_total` | counter | `reason` |
//! | `ijwmo_redeliveries_total` | counter | |
//! | `ijwmo_returned_messages_total` | counter | (unroutable outgoing messages) |
//! | `ijwmo_batch_size` | histogram | |
//! | `ijwmo_store_commit_seconds` | histogram | |
//! | `ijwmo_outbox_unsent` | gauge | (read at scrape) |
//! | `ijwmo_outbox_oldest_unsent_age_seconds` | gauge | (read at scrape) |
//! | `ijwmo_sweep_last_success_age_seconds` | gauge | (at scrape; absent before the first sweep) |

use super::HttpState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};

pub const MESSAGES: &str = "ijwmo_messages_total";
pub const RETOUR_CODES: &str = "ijwmo_retour_codes_sent_total";
pub const DEAD_LETTERS: &str = "ijwmo_dead_letters_total";
pub const REDELIVERIES: &str = "ijwmo_redeliveries_total";
pub const BATCH_SIZE: &str = "ijwmo_batch_size";
pub const COMMIT_SECONDS: &str = "ijwmo_store_commit_seconds";
pub const OUTBOX_UNSENT: &str = "ijwmo_outbox_unsent";
pub const OUTBOX_OLDEST: &str = "ijwmo_outbox_oldest_unsent_age_seconds";
pub const SWEEP_AGE: &str = "ijwmo_sweep_last_success_age_seconds";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
/// Unix time of the last successful sweep (0: none yet).
static LAST_SWEEP: AtomicI64 = AtomicI64::new(0);

/// Installs the process-wide recorder (once; later calls reuse it). None when another recorder
/// was installed first.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(COMMIT_SECONDS.into()),
                    &[
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    ],
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(BATCH_SIZE.into()),
                        &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0],
                    )
                })
                .ok()?;
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    metrics::describe_counter!(MESSAGES, "Messages handled, by kind and verdict");
    metrics::describe_counter!(RETOUR_CODES, "Retour codes sent in answers, by code");
    metrics::describe_counter!(DEAD_LETTERS, "Input dead-lettered, by reason");
    metrics::describe_counter!(REDELIVERIES, "Deliveries the broker marked as redelivered");
    metrics::describe_histogram!(BATCH_SIZE, "Messages judged in one store transaction");
    metrics::describe_histogram!(
        COMMIT_SECONDS,
        metrics::Unit::Seconds,
        "Time to judge and commit one store transaction"
    );
}

/// Records a successful sweep (for `ijwmo_sweep_last_success_age_seconds`).
pub fn sweep_succeeded() {
    LAST_SWEEP.store(chrono::Utc::now().timestamp(), Ordering::SeqCst);
}

/// `/metrics`: the counters plus gauges read now (outbox backlog, sweep age).
pub async fn scrape(State(state): State<Arc<HttpState>>) -> Response {
    let Some(handle) = install() else {
        return (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "another metrics recorder is installed\n",
        )
            .into_response();
    };
    let backlog = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        state.store.outbox_backlog(),
    )
    .await;
    if let Ok(Ok(b)) = backlog {
        metrics::gauge!(OUTBOX_UNSENT).set(b.unsent as f64);
        let age = b
            .oldest
            .map(|t| (chrono::Utc::now() - t).num_milliseconds().max(0) as f64 / 1000.0)
            .unwrap_or(0.0);
        metrics::gauge!(OUTBOX_OLDEST).set(age);
    }
    let last = LAST_SWEEP.load(Ordering::SeqCst);
    if last > 0 {
        metrics::gauge!(SWEEP_AGE).set((chrono::Utc::now().timestamp() - last).max(0) as f64);
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}
