//! The facts the API answers from, loaded once and reloaded in the background: every answer
//! is computed from rows in memory (a year of the whole region answers in milliseconds), and no
//! request waits for the database except the very first after start. Figures are at most
//! `refresh` old: a request that finds them older starts a reload and is answered from the
//! rows it has. The reload first compares the store's row counts with those of the last read
//! and skips reading the rows when nothing was added (an idle store costs one cheap query per
//! `refresh`); rows that change in place (a sweep marking obligations overdue) are read again at
//! the latest after [`FULL_RELOAD`]. Each read starts a new generation of
//! [`super::answers`], so repeated requests are answered from memory until the rows change.

use super::answers::Answers;
use crate::facts::budget::Budgets;
use crate::facts::penalties::Scheme;
use crate::facts::query::Facts;
use crate::facts::Betalers;
use crate::store::{Counts, Store, StoreError};
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The longest the rows are kept without reading them again, even when no count changed.
pub const FULL_RELOAD: Duration = Duration::from_secs(15 * 60);

/// Loaded facts with when they were read.
#[derive(Clone)]
pub struct Loaded {
    pub facts: Arc<Facts>,
    pub at: DateTime<Utc>,
    /// The answers computed from these facts (see [`super::answers`]).
    pub answers: Arc<Answers>,
    /// When the rows were last read or found unchanged.
    instant: Instant,
    /// When the rows were last read.
    read: Instant,
    counts: Option<Counts>,
}

/// What some figures need besides the facts and the payer rules (`--budgets`,
/// `--penalty-scheme` on `serve` and `dashboard`).
#[derive(Debug, Clone, Default)]
pub struct FigureSettings {
    pub budgets: Budgets,
    /// The scheme `/api/v1/penalties` applies; without one that endpoint answers 404.
    pub penalty_scheme: Option<Scheme>,
}

pub struct FactsCache {
    store: Arc<dyn Store>,
    betalers: Betalers,
    settings: FigureSettings,
    refresh: Duration,
    current: RwLock<Option<Loaded>>,
    first: tokio::sync::Mutex<()>,
    reloading: AtomicBool,
}

impl FactsCache {
    pub fn new(store: Arc<dyn Store>, betalers: Betalers, refresh: Duration) -> Arc<FactsCache> {
        FactsCache::with_settings(store, betalers, FigureSettings::default(), refresh)
    }

    /// [`FactsCache::new`] with budgets and a penalty scheme.
    pub fn with_settings(
        store: Arc<dyn Store>,
        betalers: Betalers,
        settings: FigureSettings,
        refresh: Duration,
    ) -> Arc<FactsCache> {
        Arc::new(FactsCache {
            store,
            betalers,
            settings,
            refresh,
            current: RwLock::new(None),
            first: tokio::sync::Mutex::new(()),
            reloading: AtomicBool::new(false),
        })
    }

    /// The penalty scheme the server was given, if any.
    pub fn penalty_scheme(&self) -> Option<&Scheme> {
        self.settings.penalty_scheme.as_ref()
    }

    fn current(&self) -> Option<Loaded> {
        self.current.read().ok().and_then(|c| c.clone())
    }

    async fn load(&self) -> Result<Loaded, StoreError> {
        let started = Instant::now();
        let counts = self.store.counts().await.ok();
        if let Some(previous) = self.current() {
            if counts.is_some()
                && counts == previous.counts
                && previous.read.elapsed() < FULL_RELOAD
            {
                let same = Loaded {
                    instant: Instant::now(),
                    ..previous
                };
                if let Ok(mut c) = self.current.write() {
                    *c = Some(same.clone());
                }
                return Ok(same);
            }
        }
        let facts = Facts::load(self.store.as_ref(), self.betalers.clone())
            .await?
            .with_budgets(self.settings.budgets.clone());
        let loaded = Loaded {
            facts: Arc::new(facts),
            at: Utc::now(),
            answers: Arc::new(Answers::default()),
            instant: Instant::now(),
            read: Instant::now(),
            counts,
        };
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            obligations = loaded.facts.timeliness.len(),
            prestaties = loaded.facts.prestaties.len(),
            "facts loaded for the API"
        );
        if let Ok(mut c) = self.current.write() {
            *c = Some(loaded.clone());
        }
        Ok(loaded)
    }

    /// The facts; loads them the first time, and starts a background reload when stale.
    pub async fn get(self: &Arc<Self>) -> Result<Loaded, StoreError> {
        if let Some(l) = self.current() {
            if l.instant.elapsed() >= self.refresh && !self.reloading.swap(true, Ordering::SeqCst) {
                let this = self.clone();
                tokio::spawn(async move {
                    if let Err(e) = this.load().await {
                        tracing::warn!(error = %e, "reloading the facts failed; answering from the previous load");
                    }
                    this.reloading.store(false, Ordering::SeqCst);
                });
            }
            return Ok(l);
        }
        let _one_at_a_time = self.first.lock().await;
        if let Some(l) = self.current() {
            return Ok(l);
        }
        self.load().await
    }

    /// Loads now (at start, so the first request is fast; tests after writing facts).
    pub async fn reload(&self) -> Result<(), StoreError> {
        self.load().await.map(|_| ())
    }
}
