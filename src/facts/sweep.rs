//! The sweeper: turns obligations nobody met into overdue facts, as of a date.
//!
//! Two steps, each safe to repeat and to run beside message processing:
//! 1. every client with a running delivery (a start neither deleted nor stopped) gets its scope
//!    re-derived as of the date, in its own transaction, serialised with that client's
//!    messages: months of care that began since are now owed a declaration;
//! 2. every unmet obligation due before the date becomes `overdue`: a start that never came
//!    (OP271), a stop missing after the allocation ended (OP272, OP288), a month without a
//!    declaration by the term, a request without an answer (OP274/OP346, 8 weeks), a 301/319
//!    without its 302/320 (OP090).
//!
//! `serve` runs it periodically ([`run_periodically`]); `ijwmo sweep --date D` runs it once.
//! The date is a calendar day in the Netherlands; running it for an earlier date than a scope
//! has already seen does not move that scope back.

use super::engine::{ClientKey, FactsEngine};
use crate::protocol::deadlines::{local_date, Status};
use crate::state::ContextKeys;
use crate::store::{Store, StoreError};
use chrono::{NaiveDate, Utc};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Client scopes re-derived.
    pub clients: usize,
    /// Obligations that became overdue in this sweep.
    pub overdue: u64,
}

/// The context keys that load one client's state, contracts and fact rows.
pub fn client_keys(engine: &FactsEngine, key: &ClientKey) -> ContextKeys {
    ContextKeys {
        standard: Some(key.standard),
        gemeente: key.gemeente.clone(),
        agb: key.agb.clone(),
        bsns: vec![key.bsn.clone()],
        contracts: true,
        fact_scopes: vec![engine.client_scope(key)],
        ..ContextKeys::default()
    }
}

/// Sweeps once, as of `date`.
pub async fn sweep(
    store: &dyn Store,
    engine: &FactsEngine,
    date: NaiveDate,
) -> Result<SweepReport, StoreError> {
    let clients = store.active_clients().await?;
    let mut overdue_total = 0;
    let newly_overdue = AtomicU64::new(0);
    for key in &clients {
        let keys = client_keys(engine, key);
        let derive = |ctx: &crate::state::Context| {
            let state = ctx.client(&key.bsn).cloned().unwrap_or_default();
            let set = engine.sweep_client(key, &state, &ctx.contracts, &ctx.facts, date);
            let was_overdue = |k: &str| {
                ctx.facts
                    .iter()
                    .any(|f| f.key == k && f.status == Status::Overdue)
            };
            let n = set
                .timeliness
                .iter()
                .filter(|f| f.status == Status::Overdue && !was_overdue(&f.key))
                .count();
            newly_overdue.store(n as u64, Ordering::Relaxed);
            vec![set]
        };
        store.refresh_facts(&keys, &derive).await?;
        overdue_total += newly_overdue.load(Ordering::Relaxed);
    }
    let overdue = overdue_total + store.mark_overdue(date).await?;
    Ok(SweepReport {
        clients: clients.len(),
        overdue,
    })
}

/// Sweeps as of today (Dutch calendar day) every `interval` until `cancel` fires; for `serve`.
/// A failed sweep is logged and tried again at the next interval.
pub async fn run_periodically(
    store: Arc<dyn Store>,
    engine: Arc<FactsEngine>,
    interval: Duration,
    cancel: CancellationToken,
) {
    loop {
        let today = local_date(Utc::now());
        match sweep(store.as_ref(), &engine, today).await {
            Ok(r) => {
                crate::http::telemetry::sweep_succeeded();
                tracing::info!(
                    date = %today,
                    clients = r.clients,
                    overdue = r.overdue,
                    "facts sweep done"
                )
            }
            Err(e) => tracing::warn!(date = %today, error = %e, "facts sweep failed"),
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}
