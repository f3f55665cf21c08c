//! intake → parse → validate → decide → persist, the same for every transport. A transport
//! hands in bytes with their receipt time and acknowledges only after [`Pipeline::handle`]
//! returned `Ok` (the transaction has committed by then).

use crate::facts::FactsEngine;
use crate::finding::Finding;
use crate::message::model;
use crate::message::tree::Element;
use crate::protocol::deadlines::local_date;
use crate::rules::cross::{self, DecideInput};
use crate::state::{Context, Outcome, Outgoing, Verdict};
use crate::store::{Batched, Decide, Received, Store, StoreError, Stored};
use crate::validate::Validator;
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::FutureExt;
use sha2::{Digest, Sha256};
use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use thiserror::Error;

/// One message as a transport received it.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub bytes: Vec<u8>,
    /// When the message reached the region: AMQP `timestamp` or intake time; the spool file's
    /// modification time; or set explicitly by replays.
    pub received_at: DateTime<Utc>,
    /// Where it came from (file name, AMQP message id), for logs and reasons.
    pub origin: String,
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Judged and stored; answers and forwards are in the outbox.
    Stored {
        message_id: i64,
        verdict: Verdict,
        retour_codes: Vec<String>,
        outgoing: usize,
    },
    /// Seen before with identical content: nothing changed. `answers` is what was sent then,
    /// so a transport may send it again.
    Duplicate {
        message_id: i64,
        answers: Vec<Outgoing>,
    },
    /// No retour can be built (not XML, unknown message, schema errors — the standard answers
    /// those at transport level, not with a retour): keep it aside with the reason.
    Unprocessable {
        reason: String,
        findings: Vec<Finding>,
    },
}

#[derive(Debug, Error)]
pub enum PipelineError {
    /// Storage failed: leave the message where it is (nack/requeue, keep the file) and retry.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Not attempted: an earlier message of an in-order batch failed
    /// ([`Pipeline::handle_batch_in_order`]); retry it after that one.
    #[error("not attempted: an earlier message of its batch failed first")]
    Held,
}

/// Fixed choices of one running service.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The system date the rules judge by (TR135, "current" allocations, DagtekeningRetour of
    /// the answers). None: the Dutch calendar day the message reached the region. Decision:
    /// judging by receipt rather than by the wall clock makes the outcome depend on the message
    /// alone, so a backlog processed after an outage, or a replay of last year's files, gets
    /// the answers it would have got on arrival. `Some` pins one date for every message.
    pub today: Option<NaiveDate>,
}

pub struct Pipeline {
    store: Arc<dyn Store>,
    validator: Validator<'static>,
    settings: Settings,
    /// Records timeliness and cost facts when set (see [`crate::facts`]).
    facts: Option<Arc<FactsEngine>>,
}

impl Pipeline {
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> Pipeline {
        Pipeline {
            store,
            validator: Validator::embedded(),
            settings,
            facts: None,
        }
    }

    /// Records timeliness and cost facts, in the transaction of each message.
    pub fn with_facts(mut self, facts: FactsEngine) -> Pipeline {
        self.facts = Some(Arc::new(facts));
        self
    }

    /// The largest message the validator accepts (OP179), from the configured
    /// `max_message_size`; by default [`crate::validate::MAX_MESSAGE_BYTES`]. The transports
    /// check the same limit before reading a message; the validator must not apply another.
    pub fn with_max_message_size(mut self, bytes: usize) -> Pipeline {
        self.validator.max_bytes = bytes;
        self
    }

    pub fn facts(&self) -> Option<&Arc<FactsEngine>> {
        self.facts.as_ref()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Processes one message completely. `Ok` means the outcome is durable (or the input was
    /// unprocessable and must be kept aside): the transport may acknowledge.
    pub async fn handle(&self, incoming: &Incoming) -> Result<Handled, PipelineError> {
        match cpu_bound(|| self.prepare_parts(incoming)) {
            Ok(parts) => self.store_one(&Ready::of(incoming, &parts)).await,
            Err(handled) => Ok(handled),
        }
    }

    /// Processes several messages as [`Pipeline::handle`] would, one result per message in the
    /// same order, storing all that can be judged in ONE transaction (one commit instead of one
    /// per message), judged in the given order. If that transaction fails, each message is
    /// stored on its own, so a bad message only fails itself. A panic (a bug) makes only the
    /// message that caused it unprocessable, as [`internal_error`] describes.
    pub async fn handle_batch(&self, batch: &[&Incoming]) -> Vec<Result<Handled, PipelineError>> {
        let prepared: Vec<Prepared> = cpu_bound(|| batch.iter().map(|i| self.prepare(i)).collect());
        let pairs: Vec<(&Incoming, &Prepared)> = batch.iter().copied().zip(&prepared).collect();
        self.handle_prepared(&pairs).await
    }

    /// The first half of [`Pipeline::handle`]: validates and reads a message, which needs no
    /// stored state, so a transport may prepare messages in any order and in parallel, and
    /// then judge them in the order [`Prepared::order_keys`] asks for. CPU-bound (about a
    /// millisecond): from async code use [`Pipeline::prepare_blocking`].
    pub fn prepare(&self, incoming: &Incoming) -> Prepared {
        match std::panic::catch_unwind(AssertUnwindSafe(|| self.prepare_parts(incoming))) {
            Ok(Ok(parts)) => Prepared(Ok(Box::new(parts))),
            Ok(Err(handled)) => Prepared(Err(handled)),
            Err(panic) => Prepared(Err(internal_error(&incoming.origin, panic))),
        }
    }

    /// [`Pipeline::prepare`] for several messages, without holding up the runtime's other
    /// tasks.
    pub fn prepare_blocking(&self, batch: &[&Incoming]) -> Vec<Prepared> {
        cpu_bound(|| batch.iter().map(|i| self.prepare(i)).collect())
    }

    /// The second half: judges and stores prepared messages as [`Pipeline::handle_batch`]
    /// describes, in the given order, one result per message. `prepared` must be what
    /// [`Pipeline::prepare`] returned for the `Incoming` beside it.
    pub async fn handle_prepared(
        &self,
        batch: &[(&Incoming, &Prepared)],
    ) -> Vec<Result<Handled, PipelineError>> {
        self.handle_prepared_with(batch, false).await
    }

    /// [`Pipeline::handle_batch`] for a transport whose order is the order of the whole
    /// input (the spool): when the batch's transaction fails and the messages are stored one by
    /// one, the first failure holds every later message back ([`PipelineError::Held`]), so
    /// none is judged before a message that came before it.
    pub async fn handle_batch_in_order(
        &self,
        batch: &[&Incoming],
    ) -> Vec<Result<Handled, PipelineError>> {
        let prepared: Vec<Prepared> = cpu_bound(|| batch.iter().map(|i| self.prepare(i)).collect());
        let pairs: Vec<(&Incoming, &Prepared)> = batch.iter().copied().zip(&prepared).collect();
        self.handle_prepared_with(&pairs, true).await
    }

    async fn handle_prepared_with(
        &self,
        batch: &[(&Incoming, &Prepared)],
        stop_at_failure: bool,
    ) -> Vec<Result<Handled, PipelineError>> {
        let mut results: Vec<Option<Result<Handled, PipelineError>>> =
            batch.iter().map(|_| None).collect();
        let mut ready = Vec::with_capacity(batch.len());
        for (i, (incoming, prepared)) in batch.iter().enumerate() {
            match &prepared.0 {
                Ok(parts) => ready.push((i, Ready::of(incoming, parts))),
                Err(handled) => results[i] = Some(Ok(handled.clone())),
            }
        }
        let together = match ready.len() {
            0 | 1 => None,
            _ => self.store_together(&ready).await,
        };
        // what the batch left out, or all of them if it failed, each on its own, in order
        let stored = together
            .filter(|s| s.len() == ready.len())
            .unwrap_or_else(|| ready.iter().map(|_| None).collect());
        let mut failed = false;
        for ((i, r), s) in ready.iter().zip(stored) {
            let result = match s {
                Some(handled) => Ok(handled),
                None if failed => Err(PipelineError::Held),
                None => match AssertUnwindSafe(self.store_one(r)).catch_unwind().await {
                    Ok(result) => result,
                    Err(panic) => Ok(internal_error(&r.incoming.origin, panic)),
                },
            };
            failed |= stop_at_failure && result.is_err();
            results[*i] = Some(result);
        }

        results
            .into_iter()
            .map(|r| r.expect("every message has a result"))
            .collect()
    }

    /// The date a message is judged as of (see [`Settings::today`]).
    fn today(&self, incoming: &Incoming) -> NaiveDate {
        self.settings
            .today
            .unwrap_or_else(|| local_date(incoming.received_at))
    }

    /// Validates and reads a message: `Err` is the outcome of one that cannot be judged.
    fn prepare_parts(&self, incoming: &Incoming) -> Result<Parts, Handled> {
        let report = self.validator.validate(&incoming.bytes);
        let level2_failed = !report.valid();
        let (Some(kind), Some(tree)) = (report.kind, report.tree) else {
            return Err(unprocessable(report.findings));
        };
        let text = text_of(incoming);
        // the validator's model, read from its own parse; read the text only without one
        let msg = match report.message.map_or_else(|| model::parse(kind, text), Ok) {
            Ok(m) => m,
            Err(e) => {
                return Err(Handled::Unprocessable {
                    reason: format!("{kind} passed the schema checks but could not be read: {e}"),
                    findings: Vec::new(),
                })
            }
        };
        let content_hash = hex::encode(Sha256::digest(&incoming.bytes));
        let answer_id = format!("R{}", &content_hash[..11]);
        let mut keys = cross::context_keys(&msg);
        if let Some(f) = &self.facts {
            keys.fact_scopes = f.scopes(&msg);
        }
        let received = Received {
            kind,
            sender: msg.header.afzender.clone(),
            receiver: msg.header.ontvanger.clone(),
            identificatie: msg.header.bericht_identificatie.identificatie.clone(),
            dagtekening: msg.header.bericht_identificatie.dagtekening,
            received_at: incoming.received_at,
            content_hash,
            raw: incoming.bytes.clone(),
            keys,
        };
        Ok(Parts {
            msg,
            tree,
            level2_failed,
            received,
            answer_id,
        })
    }

    /// The rules' decision for a prepared message, given its stored context.
    fn decide<'r>(
        &'r self,
        ready: &'r Ready<'_>,
    ) -> impl Fn(&Context) -> Outcome + Send + Sync + 'r {
        let input = DecideInput {
            msg: ready.msg,
            tree: ready.tree,
            received_at: ready.incoming.received_at,
            today: self.today(ready.incoming),
            answer_id: ready.answer_id,
            level2_failed: ready.level2_failed,
            text: ready.text,
        };
        move |ctx: &Context| {
            let mut outcome = cross::decide(&input, ctx);
            if let Some(f) = &self.facts {
                outcome.facts = f.derive(&input, ctx, &outcome);
            }
            outcome
        }
    }

    /// Judges and stores one prepared message in its own transaction.
    async fn store_one(&self, ready: &Ready<'_>) -> Result<Handled, PipelineError> {
        let decide = self.decide(ready);
        let started = std::time::Instant::now();
        let stored = self.store.store(ready.received, &decide).await?;
        metrics::histogram!(crate::http::telemetry::COMMIT_SECONDS)
            .record(started.elapsed().as_secs_f64());
        metrics::histogram!(crate::http::telemetry::BATCH_SIZE).record(1.0);
        Ok(handled(stored))
    }

    /// Judges and stores prepared messages in one transaction, one entry per message (`None`:
    /// left out, see [`crate::store::MessageStore::store_batch`]); `None` when that failed and nothing was
    /// stored.
    async fn store_together(&self, ready: &[(usize, Ready<'_>)]) -> Option<Vec<Option<Handled>>> {
        let decides: Vec<_> = ready.iter().map(|(_, r)| self.decide(r)).collect();
        let batch: Vec<Batched<'_>> = ready
            .iter()
            .zip(&decides)
            .map(|((_, r), d)| (r.received, d as &Decide<'_>))
            .collect();
        let started = std::time::Instant::now();
        match AssertUnwindSafe(self.store.store_batch(&batch))
            .catch_unwind()
            .await
        {
            Ok(Ok(stored)) => {
                metrics::histogram!(crate::http::telemetry::COMMIT_SECONDS)
                    .record(started.elapsed().as_secs_f64());
                let committed = stored.iter().filter(|s| s.is_some()).count();
                metrics::histogram!(crate::http::telemetry::BATCH_SIZE).record(committed as f64);
                Some(stored.into_iter().map(|s| s.map(handled)).collect())
            }
            Ok(Err(e)) => {
                tracing::warn!(messages = ready.len(), error = %e, "storing a batch failed; storing its messages one by one");
                None
            }
            Err(_) => {
                tracing::warn!(
                    messages = ready.len(),
                    "a batch hit an internal error; storing its messages one by one"
                );
                None
            }
        }
    }
}

/// A message validated and read ([`Pipeline::prepare`]), waiting to be judged: what it needs
/// from the store, or already its outcome when it cannot be judged (unprocessable).
#[derive(Debug)]
pub struct Prepared(Result<Box<Parts>, Handled>);

impl Prepared {
    /// What the message's judgement depends on besides itself, as ordering keys (see
    /// [`crate::transport::order::keys_of`]); empty for a message that cannot be judged (it
    /// reads and writes no state).
    pub fn order_keys(&self) -> Vec<String> {
        match &self.0 {
            Ok(p) => crate::transport::order::keys_of(&p.msg, &p.received.keys),
            Err(_) => Vec::new(),
        }
    }
}

/// What [`Pipeline::prepare`] read from a message that passed the schema checks.
#[derive(Debug)]
pub struct Parts {
    msg: model::Message,
    tree: Element,
    level2_failed: bool,
    received: Received,
    answer_id: String,
}

/// A prepared message with its input, ready to be judged.
struct Ready<'a> {
    incoming: &'a Incoming,
    text: &'a str,
    msg: &'a model::Message,
    tree: &'a Element,
    level2_failed: bool,
    received: &'a Received,
    answer_id: &'a str,
}

impl<'a> Ready<'a> {
    fn of(incoming: &'a Incoming, p: &'a Parts) -> Ready<'a> {
        Ready {
            incoming,
            text: text_of(incoming),
            msg: &p.msg,
            tree: &p.tree,
            level2_failed: p.level2_failed,
            received: &p.received,
            answer_id: &p.answer_id,
        }
    }
}

/// The message as text (validation has checked it is UTF-8; empty otherwise).
fn text_of(incoming: &Incoming) -> &str {
    std::str::from_utf8(&incoming.bytes).unwrap_or_default()
}

/// Runs CPU-bound work (validation: about a millisecond per message) without holding up the
/// runtime's other tasks: on a multi-threaded runtime the worker thread hands its queue to
/// another thread meanwhile, so database round trips and acks of other batches go on.
fn cpu_bound<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}

fn handled(stored: Stored) -> Handled {
    match stored {
        Stored::New {
            message_id,
            outcome,
        } => Handled::Stored {
            message_id,
            verdict: outcome.verdict,
            retour_codes: outcome.retour_codes,
            outgoing: outcome.outgoing.len(),
        },
        Stored::Duplicate {
            message_id,
            answers,
        } => Handled::Duplicate {
            message_id,
            answers,
        },
    }
}

/// A panic while processing a message (a bug) makes it unprocessable (rule `internal.panic`)
/// instead of taking the transport down, so a message that crashes the service is kept aside
/// rather than retried forever.
pub fn internal_error(origin: &str, panic: Box<dyn Any + Send>) -> Handled {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown".into());
    tracing::error!(origin, "internal error while processing a message");
    let message = format!("processing failed with an internal error: {what}");
    let mut f = Finding::schema("internal.panic", "/", message.clone());
    (f.line, f.column) = (1, 1);
    Handled::Unprocessable {
        reason: format!("internal.panic at 1:1 /: {message}"),
        findings: vec![f],
    }
}

fn unprocessable(findings: Vec<Finding>) -> Handled {
    let reason = findings
        .first()
        .map(|f| f.clone().bounded())
        .map(|f| {
            format!(
                "{} at {}:{} {}: {}",
                f.rule.as_deref().unwrap_or("-"),
                f.line,
                f.column,
                f.path,
                f.message
            )
        })
        .unwrap_or_else(|| "unprocessable".to_string());
    Handled::Unprocessable { reason, findings }
}
