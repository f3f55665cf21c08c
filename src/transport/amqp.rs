//! RabbitMQ transport (lapin 4).
//!
//! Topology (declared on every (re)connect, idempotent; `deploy/rabbitmq/definitions.json`
//! declares the same):
//!
//! ```text
//! gateways ──► ijwmo.in (topic) ──#──► ijwmo.in (queue, x-dead-letter-exchange=ijwmo.dlx)
//!                                          │ consume, manual ack after commit
//!                                          ▼
//!                                       ijwmo ──► outbox ──► ijwmo.out (topic)
//!                                          │        gemeente.<code>.<kind>, aanbieder.<agb>.<kind>
//!                                          │ unprocessable (+ x-ijwmo-reason, x-ijwmo-rule …)
//!                                          ▼
//!                                       ijwmo.dlx (fanout) ──► ijwmo.dead (queue)
//! ```
//!
//! Per delivery: the pipeline runs; only after it returned `Ok` (committed) is the delivery
//! settled.
//! - stored → ack; the outbox publisher is woken.
//! - duplicate → the answers given then are published again (best effort), ack.
//! - unprocessable → published to the dead-letter exchange with the reason in headers
//!   (confirmed, mandatory), then ack. If that publish fails: nack with requeue (retried).
//!   This explicit publish (rather than `basic.reject` into the queue's DLX) is what lets the
//!   reason travel with the message; the queue's `x-dead-letter-exchange` still catches what
//!   the broker dead-letters itself (e.g. a quorum queue's delivery limit for poison input).
//! - `Err` (transient: the store is down) → wait (exponential, up to `reconnect_max`, cut short
//!   by shutdown), then `nack` with requeue. `nack` rather than `reject`: on RabbitMQ 4 it does
//!   not count towards a quorum queue's delivery limit, so an outage does not dead-letter
//!   valid input.
//!
//! Batches: the deliveries already waiting when a batch starts (up to `batch_size`) are judged
//! together in one database transaction ([`Pipeline::handle_batch`]), and each is settled as
//! above once that transaction committed; up to prefetch ÷ batch size batches run at once. An
//! idle service judges a delivery alone, at once.
//!
//! Order: batches are validated at once, but a batch is judged only when every earlier
//! delivery that shares an ordering key with one of its messages (the client, the
//! allocation number, … see [`super::order`]) has been judged; different clients go in
//! parallel, acks may complete out of order. A transient failure is retried in place (the
//! batch keeps its place); only at shutdown is it handed back (nack), and then every later
//! delivery that shares a key with it is handed back unjudged too.
//!
//! Publishing (outbox rows, dead letters, answers sent again) uses its own channel in confirm
//! mode, always `mandatory`. A publish counts as delivered only when the broker acked it AND
//! did not return it as unroutable; a nack, a return, an error or a timeout leaves the outbox
//! row unsent (retried once its claim expires). Publishes are serialised per channel so a
//! returned message is always matched to its own publish.
//!
//! Reconnects: one supervisor builds connection, channels, topology, consumer and outbox
//! publisher together and tears them down together on any connection, channel or consumer
//! error (watched through `Connection::events_listener`, the consumer stream and a periodic
//! status check), then retries with exponential backoff (250 ms doubling to `reconnect_max`).
//! Deliveries still in flight on the dead channel cannot be acked any more (`Ok(false)`); the
//! broker redelivers them and the store recognises them as duplicates.
//!
//! Memory: the bytes of input held at once are bounded by `amqp.max_inflight_bytes` (batches
//! wait for their share; the prefetch narrows while large messages arrive), see
//! [`super::intake`]. Dead-letter headers are bounded by construction, see
//! [`super::dead_letter`]; receipt times by [`super::receipt`].
//!
//! Shutdown (cancel token: SIGTERM/SIGINT): cancel the consumer (no new deliveries), let the
//! in-flight deliveries finish and settle, flush the outbox, close channels and connection —
//! all within `shutdown_grace`. Anything still unacked is requeued by the broker.

use super::intake::{Budget, Intake, Prefetch};
use super::order::{Scheduler, Ticket};
use super::outbox::{OutboxPublisher, Sink, SinkError};
use super::{log_outcome, too_large, Backoff, Summary};
use crate::config::{AmqpConfig, Config};
use crate::finding::{truncate, Finding};
use crate::pipeline::{Handled, Incoming, Pipeline, PipelineError, Prepared};
use crate::state::Outgoing;
use crate::store::OutboxRow;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::{FutureExt, StreamExt};
use lapin::message::{BasicReturnMessage, Delivery};
use lapin::options::{
    BasicAckOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions,
    ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, Event, ExchangeKind,
};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::{Mutex, Notify, Semaphore};
use tokio::time::{timeout, timeout_at, Instant};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

/// Header on outgoing messages: the outbox row id (for tracing a message back to its row).
pub const HEADER_OUTBOX_ID: &str = "x-ijwmo-outbox-id";
/// Dead-letter headers: the reason (first finding, as text) and its rule code.
pub const HEADER_REASON: &str = "x-ijwmo-reason";
pub const HEADER_RULE: &str = "x-ijwmo-rule";
/// Dead-letter headers: where the first finding is, and the findings as a JSON array (as many as
/// fit in its bound, see [`super::dead_letter`]).
pub const HEADER_LINE: &str = "x-ijwmo-line";
pub const HEADER_COLUMN: &str = "x-ijwmo-column";
pub const HEADER_PATH: &str = "x-ijwmo-path";
pub const HEADER_FINDINGS: &str = "x-ijwmo-findings";
/// Dead-letter headers: the exchange and routing key the input arrived with, and when.
pub const HEADER_ORIGINAL_EXCHANGE: &str = "x-ijwmo-original-exchange";
pub const HEADER_ORIGINAL_ROUTING_KEY: &str = "x-ijwmo-original-routing-key";
pub const HEADER_RECEIVED_AT: &str = "x-ijwmo-received-at";

/// Outbox rows remembered as already logged returned; beyond it the memory starts again.
const MAX_RETURNED_REMEMBERED: usize = 100_000;
/// First wait after a failure (reconnect, transient processing error).
const INITIAL_BACKOFF: Duration = Duration::from_millis(250);
/// How often connection and channel status are checked besides the event stream.
const HEALTH_CHECK: Duration = Duration::from_secs(5);

#[derive(Debug, Error)]
pub enum AmqpError {
    #[error("AMQP: {0}")]
    Lapin(#[from] lapin::Error),
    #[error("AMQP: {0}")]
    Timeout(&'static str),
    #[error("AMQP connection lost: {0}")]
    Lost(String),
}

/// Declares exchanges, queues and bindings (idempotent; fails if an existing queue was
/// declared with other arguments, e.g. another queue type).
pub async fn declare_topology(channel: &Channel, cfg: &AmqpConfig) -> Result<(), lapin::Error> {
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    for (name, kind) in [
        (&cfg.input_exchange, ExchangeKind::Topic),
        (&cfg.output_exchange, ExchangeKind::Topic),
        (&cfg.dead_letter_exchange, ExchangeKind::Fanout),
    ] {
        channel
            .exchange_declare(name.as_str().into(), kind, durable, FieldTable::default())
            .await?;
    }
    let mut dead_args = FieldTable::default();
    dead_args.insert("x-queue-type".into(), long_string(cfg.queue_type.as_str()));
    channel
        .queue_declare(
            cfg.dead_letter_queue.as_str().into(),
            QueueDeclareOptions::durable(),
            dead_args,
        )
        .await?;
    channel
        .queue_bind(
            cfg.dead_letter_queue.as_str().into(),
            cfg.dead_letter_exchange.as_str().into(),
            "".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    channel
        .queue_declare(
            cfg.input_queue.as_str().into(),
            QueueDeclareOptions::durable(),
            input_queue_arguments(cfg),
        )
        .await?;
    channel
        .queue_bind(
            cfg.input_queue.as_str().into(),
            cfg.input_exchange.as_str().into(),
            "#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    super::partition::declare(channel, cfg).await?;
    Ok(())
}

/// `x-queue-type` and `x-dead-letter-exchange` of the input queue.
pub fn input_queue_arguments(cfg: &AmqpConfig) -> FieldTable {
    let mut args = FieldTable::default();
    args.insert("x-queue-type".into(), long_string(cfg.queue_type.as_str()));
    args.insert(
        "x-dead-letter-exchange".into(),
        long_string(&cfg.dead_letter_exchange),
    );
    if cfg.partitions > 0 {
        // the intake: one instance at a time moves the input to the partitions, in order
        args.insert("x-single-active-consumer".into(), AMQPValue::Boolean(true));
    }
    args
}

fn long_string(s: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(s.as_bytes().to_vec()))
}

/// Opens a connection with the configured name (bounded by `publish_timeout`).
pub async fn connect(cfg: &AmqpConfig) -> Result<Connection, AmqpError> {
    let props =
        ConnectionProperties::default().with_connection_name(cfg.connection_name.as_str().into());
    match timeout(cfg.publish_timeout, Connection::connect(&cfg.url, props)).await {
        Ok(r) => Ok(r?),
        Err(_) => Err(AmqpError::Timeout("connect")),
    }
}

/// Publishes on one confirm-mode channel; every publish is `mandatory`.
pub struct Publisher {
    channel: Mutex<Channel>,
    output_exchange: String,
    dead_letter_exchange: String,
    timeout: Duration,
    /// Fired when the channel failed (error or confirm timeout): the session reconnects.
    broken: CancellationToken,
    /// Outbox rows already logged as returned (each is logged once).
    returned_rows: std::sync::Mutex<HashSet<i64>>,
}

/// What became of one publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// Acked and routed to at least one queue.
    Delivered,
    /// Acked but returned: no queue is bound for the routing key.
    Unroutable { reply_code: u16, reply_text: String },
    /// The broker refused it (nack), e.g. a full queue with `reject-publish`.
    Nacked,
}

impl Publisher {
    /// Puts the channel in confirm mode.
    pub async fn new(channel: Channel, cfg: &AmqpConfig) -> Result<Publisher, lapin::Error> {
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        Ok(Publisher {
            channel: Mutex::new(channel),
            output_exchange: cfg.output_exchange.clone(),
            dead_letter_exchange: cfg.dead_letter_exchange.clone(),
            timeout: cfg.publish_timeout,
            broken: CancellationToken::new(),
            returned_rows: std::sync::Mutex::new(HashSet::new()),
        })
    }

    /// Cancelled once the channel is no longer usable.
    pub fn broken(&self) -> CancellationToken {
        self.broken.clone()
    }

    fn fail(&self, what: &str, e: impl std::fmt::Display) -> SinkError {
        self.broken.cancel();
        SinkError(format!("{what}: {e}"))
    }

    /// Publishes a batch and waits for every confirm; returns per message what became of it,
    /// in input order. `Err` when the channel failed (then nothing is known to be delivered).
    pub async fn publish_batch(
        &self,
        messages: Vec<(ShortString, ShortString, Vec<u8>, BasicProperties)>,
    ) -> Result<Vec<Published>, SinkError> {
        let channel = self.channel.lock().await;
        if self.broken.is_cancelled() {
            return Err(SinkError("publishing channel is closed".into()));
        }
        let deadline = Instant::now() + self.timeout;
        let mut confirms = Vec::with_capacity(messages.len());
        for (i, (exchange, routing_key, payload, props)) in messages.into_iter().enumerate() {
            // tag each publish so a returned message can be matched to it
            let mut headers = props.headers().clone().unwrap_or_default();
            headers.insert(
                "x-ijwmo-publish-seq".into(),
                AMQPValue::LongLongInt(i as i64),
            );
            let props = props.with_headers(headers);
            let publish = channel.basic_publish(
                exchange,
                routing_key,
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                &payload,
                props,
            );
            match timeout_at(deadline, publish).await {
                Ok(Ok(confirm)) => confirms.push(confirm),
                Ok(Err(e)) => return Err(self.fail("publish", e)),
                Err(_) => return Err(self.fail("publish", "timed out")),
            }
        }
        let mut outcome = Vec::with_capacity(confirms.len());
        let mut returned: Vec<BasicReturnMessage> = Vec::new();
        for confirm in confirms {
            match timeout_at(deadline, confirm).await {
                Ok(Ok(Confirmation::Ack(ret))) => {
                    returned.extend(ret);
                    outcome.push(Published::Delivered);
                }
                Ok(Ok(Confirmation::Nack(ret))) => {
                    returned.extend(ret);
                    outcome.push(Published::Nacked);
                }
                Ok(Ok(Confirmation::NotRequested)) => {
                    return Err(self.fail("publish", "channel is not in confirm mode"))
                }
                Ok(Err(e)) => return Err(self.fail("publisher confirm", e)),
                Err(_) => return Err(self.fail("publisher confirm", "timed out")),
            }
        }
        // a return arrives before its publish's ack, but may be attached to another confirm
        // of a multiple-ack: match it by the sequence header
        let mut seen = HashSet::new();
        for r in returned {
            let seq = r
                .delivery
                .properties
                .headers()
                .as_ref()
                .and_then(|h| h.inner().get("x-ijwmo-publish-seq").cloned());
            match seq {
                Some(AMQPValue::LongLongInt(i)) if (i as usize) < outcome.len() => {
                    let i = i as usize;
                    seen.insert(i);
                    if outcome[i] == Published::Delivered {
                        outcome[i] = Published::Unroutable {
                            reply_code: r.reply_code,
                            reply_text: r.reply_text.to_string(),
                        };
                    }
                }
                _ => {
                    // cannot tell which: count none of this batch as delivered
                    tracing::warn!("returned message without a publish sequence");
                    for o in outcome.iter_mut() {
                        if *o == Published::Delivered {
                            *o = Published::Nacked;
                        }
                    }
                }
            }
        }
        Ok(outcome)
    }

    fn outgoing_properties(message: &Outgoing, outbox_id: Option<i64>) -> BasicProperties {
        let mut headers = FieldTable::default();
        if let Some(id) = outbox_id {
            headers.insert(HEADER_OUTBOX_ID.into(), AMQPValue::LongLongInt(id));
        }
        BasicProperties::default()
            .with_message_id(short(&message.identificatie))
            .with_content_type("application/xml".into())
            .with_content_encoding("utf-8".into())
            .with_delivery_mode(2)
            .with_type(short(&message.kind.to_string()))
            .with_app_id("ijwmo".into())
            .with_timestamp(Utc::now().timestamp().max(0) as u64)
            .with_headers(headers)
    }

    async fn publish_outgoing(
        &self,
        items: &[(Option<i64>, &Outgoing)],
    ) -> Result<Vec<Published>, SinkError> {
        let exchange: ShortString = self.output_exchange.as_str().into();
        let mut batch = Vec::new();
        let mut index = Vec::new();
        for (n, (id, m)) in items.iter().enumerate() {
            match ShortString::try_new(m.routing_key.clone()) {
                Ok(rk) => {
                    batch.push((
                        exchange.clone(),
                        rk,
                        m.xml.as_bytes().to_vec(),
                        Self::outgoing_properties(m, *id),
                    ));
                    index.push(n);
                }
                Err(_) => tracing::error!(
                    outbox_id = id,
                    "routing key longer than 255 bytes; message not published"
                ),
            }
        }
        let got = self.publish_batch(batch).await?;
        let mut out = vec![Published::Nacked; items.len()];
        for (n, p) in index.into_iter().zip(got) {
            out[n] = p;
        }
        Ok(out)
    }

    /// A row the broker returned as unroutable (no queue bound for its routing key — a normal
    /// state while a receiver has not bound its queue yet): counted every time in
    /// `ijwmo_returned_messages_total`, logged once per row as metadata only (the row is retried
    /// at every claim timeout, and the body holds personal data).
    fn returned(&self, row: &OutboxRow, reply_code: u16, reply_text: &str) {
        let kind = row.message.kind.to_string();
        metrics::counter!("ijwmo_returned_messages_total", "kind" => kind.clone()).increment(1);
        let first = {
            let mut seen = self.returned_rows.lock().unwrap_or_else(|e| e.into_inner());
            if seen.len() >= MAX_RETURNED_REMEMBERED {
                seen.clear();
            }
            seen.insert(row.id)
        };
        if first {
            tracing::warn!(
                outbox_id = row.id,
                kind,
                routing_key = %row.message.routing_key,
                reply_code,
                reply_text,
                "outgoing message returned: no queue bound for its routing key; it stays unsent and is retried"
            );
        } else {
            tracing::debug!(outbox_id = row.id, "outgoing message returned again");
        }
    }

    /// Publishes unprocessable input to the dead-letter exchange with the reason in headers.
    /// `Ok(true)` once the broker confirmed it and routed it to a queue.
    pub async fn dead_letter(
        &self,
        delivery: &Delivery,
        bytes: Vec<u8>,
        received_at: DateTime<Utc>,
        reason: &str,
        findings: &[Finding],
    ) -> Result<bool, SinkError> {
        let props = dead_letter_properties(delivery, received_at, reason, findings);
        let got = self
            .publish_batch(vec![(
                self.dead_letter_exchange.as_str().into(),
                delivery.routing_key.clone(),
                bytes,
                props,
            )])
            .await?;
        Ok(got.first() == Some(&Published::Delivered))
    }
}

/// The original properties (message id, timestamp, …) with the dead-letter headers added,
/// bounded by construction (see [`super::dead_letter`]).
fn dead_letter_properties(
    delivery: &Delivery,
    received_at: DateTime<Utc>,
    reason: &str,
    findings: &[Finding],
) -> BasicProperties {
    let headers = super::dead_letter::DeadLetter {
        original_headers: delivery.properties.headers().as_ref(),
        exchange: delivery.exchange.as_str(),
        routing_key: delivery.routing_key.as_str(),
        received_at,
        reason,
        findings,
    }
    .headers();
    delivery
        .properties
        .clone()
        .with_delivery_mode(2)
        .with_headers(headers)
}

/// A short string, cut to the 255 bytes AMQP allows.
fn short(s: &str) -> ShortString {
    ShortString::try_new(truncate(s, 250)).unwrap_or_else(|_| ShortString::from("-"))
}

#[async_trait]
impl Sink for Publisher {
    async fn deliver(&self, rows: &[OutboxRow]) -> Result<Vec<i64>, SinkError> {
        let items: Vec<(Option<i64>, &Outgoing)> =
            rows.iter().map(|r| (Some(r.id), &r.message)).collect();
        let got = self.publish_outgoing(&items).await?;
        let mut sent = Vec::new();
        for (row, p) in rows.iter().zip(got) {
            match p {
                Published::Delivered => {
                    tracing::info!(
                        outbox_id = row.id,
                        kind = %row.message.kind,
                        routing_key = %row.message.routing_key,
                        identificatie = %row.message.identificatie,
                        "outgoing message published"
                    );
                    sent.push(row.id);
                }
                Published::Unroutable {
                    reply_code,
                    reply_text,
                } => self.returned(row, reply_code, &reply_text),
                Published::Nacked => tracing::warn!(
                    outbox_id = row.id,
                    routing_key = %row.message.routing_key,
                    "outgoing message refused by the broker (nack)"
                ),
            }
        }
        Ok(sent)
    }

    async fn deliver_again(&self, messages: &[Outgoing]) -> Result<usize, SinkError> {
        let items: Vec<(Option<i64>, &Outgoing)> = messages.iter().map(|m| (None, m)).collect();
        let got = self.publish_outgoing(&items).await?;
        Ok(got.iter().filter(|p| **p == Published::Delivered).count())
    }
}

/// The receipt time of a delivery: its `timestamp` property (seconds since the epoch; values
/// too large for seconds are read as milliseconds), else now. Times outside the accepted window
/// (before 2022 or in the future) are refused before judging, see [`super::receipt`].
pub fn receipt_time(properties: &BasicProperties) -> DateTime<Utc> {
    let from_property = properties.timestamp().and_then(|ts| {
        let ts = i64::try_from(ts).ok()?;
        if ts > 100_000_000_000 {
            DateTime::from_timestamp_millis(ts)
        } else {
            DateTime::from_timestamp(ts, 0)
        }
    });
    from_property.unwrap_or_else(Utc::now)
}

/// Shared by every delivery task.
struct Worker {
    pipeline: Arc<Pipeline>,
    max_message_size: usize,
    resend_duplicate_answers: bool,
    retry_max: Duration,
    /// Consecutive transient failures, for the retry wait.
    failures: AtomicU32,
    wake: Arc<Notify>,
    cancel: CancellationToken,
    /// Judges deliveries that share a key in delivery order ([`super::order`]).
    order: Arc<Scheduler>,
    /// The memory budget of batches being judged, and the prefetch it implies.
    budget: Budget,
    prefetch: Prefetch,
}

impl Worker {
    fn retry_delay(&self) -> Duration {
        let n = self.failures.fetch_add(1, Ordering::Relaxed).min(16);
        (INITIAL_BACKOFF * 2u32.pow(n)).min(self.retry_max)
    }

    /// Processes deliveries together (one transaction for all that can be judged, see
    /// [`Pipeline::handle_batch`]) and settles each once its outcome is durable (see the
    /// module doc). `tickets` are the deliveries' places in delivery order
    /// ([`super::order`]): they are validated at once, judged only when every earlier
    /// delivery that shares a key with one of them is done. `held` is the batch's share of the
    /// memory budget, taken in delivery order by the consume loop (taking it here could
    /// deadlock: a later batch holding budget while it waits for an earlier one that needs it),
    /// and held until every delivery is settled.
    async fn handle_batch(
        &self,
        publisher: &Publisher,
        deliveries: Vec<Delivery>,
        tickets: Vec<Ticket>,
        held: tokio::sync::OwnedSemaphorePermit,
    ) {
        let bytes: usize = deliveries.iter().map(|d| d.data.len()).sum();
        self.judge_and_settle(publisher, deliveries, tickets).await;
        drop(held);
        if bytes >= self.prefetch.large {
            super::intake::release_memory();
        }
    }

    async fn judge_and_settle(
        &self,
        publisher: &Publisher,
        deliveries: Vec<Delivery>,
        mut tickets: Vec<Ticket>,
    ) {
        let taken: Vec<Taken> = deliveries.into_iter().map(Taken::new).collect();
        // refused at intake (too large, receipt time out of bounds) never reach the pipeline
        let now = Utc::now();
        let mut refused: Vec<Option<Handled>> = taken
            .iter()
            .map(|t| match t.incoming.bytes.len() > self.max_message_size {
                true => Some(too_large(t.incoming.bytes.len(), self.max_message_size)),
                false => super::receipt::refuse(t.incoming.received_at, now),
            })
            .collect();
        let inputs: Vec<&Incoming> = taken
            .iter()
            .zip(&refused)
            .filter(|(_, r)| r.is_none())
            .map(|(t, _)| &t.incoming)
            .collect();
        let prepared = self.pipeline.prepare_blocking(&inputs);
        let mut keyed = prepared.iter();
        for (r, ticket) in refused.iter().zip(tickets.iter_mut()) {
            let keys = match r {
                None => keyed.next().expect("one per input").order_keys(),
                Some(_) => Vec::new(),
            };
            ticket.register(&keys);
        }
        let group: Vec<&Ticket> = tickets.iter().collect();
        self.order.ready(&group).await;
        let behind_abandoned = self.order.behind_abandoned(&group);
        let pairs: Vec<(&Incoming, &Prepared)> = inputs.iter().copied().zip(&prepared).collect();
        let mut judged = match behind_abandoned {
            // an earlier message of one of these keys went back to the broker unjudged
            true => pairs.iter().map(|_| None).collect(),
            false => self.judge(&pairs).await,
        };
        let mut judged_iter = judged.iter_mut();
        let results: Vec<Option<Result<Handled, PipelineError>>> = refused
            .iter_mut()
            .map(|r| match r.take() {
                None => judged_iter.next().expect("one result per input").take(),
                Some(h) => Some(Ok(h)),
            })
            .collect();
        let mut acks = Vec::with_capacity(taken.len());
        let mut retry = Vec::new();
        for ((mut t, result), ticket) in taken.into_iter().zip(results).zip(tickets) {
            let settled = match result {
                Some(result) => {
                    let span = super::message_span(&t.origin, &t.summary);
                    self.settle_outcome(publisher, &mut t, result)
                        .instrument(span)
                        .await
                }
                None => false,
            };
            if settled {
                drop(ticket);
                acks.push(t);
            } else {
                ticket.abandon();
                retry.push(t);
            }
        }
        if !acks.is_empty() {
            self.failures.store(0, Ordering::Relaxed);
        }
        futures_util::future::join_all(acks.iter().map(|t| settle(&t.delivery, true, &t.origin)))
            .await;
        if !retry.is_empty() {
            if !self.cancel.is_cancelled() {
                let wait = self.retry_delay();
                tokio::select! {
                    _ = self.cancel.cancelled() => {}
                    _ = tokio::time::sleep(wait) => {}
                }
            }
            futures_util::future::join_all(
                retry.iter().map(|t| settle(&t.delivery, false, &t.origin)),
            )
            .await;
        }
    }

    /// Judges prepared messages; a transient failure (the store is down) is retried in place
    /// with backoff, keeping the messages' place in the order, until it succeeds or the
    /// service shuts down (`None`: handed back to the broker unjudged).
    async fn judge(
        &self,
        pairs: &[(&Incoming, &Prepared)],
    ) -> Vec<Option<Result<Handled, PipelineError>>> {
        let mut out: Vec<Option<Result<Handled, PipelineError>>> =
            pairs.iter().map(|_| None).collect();
        let mut open: Vec<usize> = (0..pairs.len()).collect();
        loop {
            let batch: Vec<(&Incoming, &Prepared)> = open.iter().map(|i| pairs[*i]).collect();
            let results = self.pipeline.handle_prepared(&batch).await;
            let mut failed = Vec::new();
            for (i, r) in open.iter().zip(results) {
                match r {
                    Err(e) => {
                        tracing::warn!(origin = %pairs[*i].0.origin, error = %e, "message not processed (transient), will retry");
                        failed.push(*i)
                    }
                    ok => out[*i] = Some(ok),
                }
            }
            if failed.is_empty() || self.cancel.is_cancelled() {
                return out;
            }
            let wait = self.retry_delay();
            tokio::select! {
                _ = self.cancel.cancelled() => return out,
                _ = tokio::time::sleep(wait) => {}
            }
            open = failed;
        }
    }

    /// Logs a delivery's outcome and does what it asks for besides the ack (wake the outbox,
    /// publish answers again, dead-letter); true when the delivery may be acked, false when it
    /// must be retried.
    async fn settle_outcome(
        &self,
        publisher: &Publisher,
        t: &mut Taken,
        result: Result<Handled, PipelineError>,
    ) -> bool {
        let origin = &t.origin;
        log_outcome(origin, &t.summary, &result);
        if t.delivery.redelivered {
            metrics::counter!(crate::http::telemetry::REDELIVERIES).increment(1);
            tracing::debug!(%origin, "was a redelivery");
        }
        match result {
            Ok(Handled::Stored { .. }) => {
                self.wake.notify_one();
                true
            }
            Ok(Handled::Duplicate { answers, .. }) => {
                if self.resend_duplicate_answers && !answers.is_empty() {
                    match publisher.deliver_again(&answers).await {
                        Ok(n) => tracing::info!(%origin, answers = n, "answers published again"),
                        Err(e) => {
                            tracing::warn!(%origin, error = %e, "answers not published again")
                        }
                    }
                }
                true
            }
            Ok(Handled::Unprocessable { reason, findings }) => {
                // handed over, not copied: the input may be 25 MB
                let bytes = std::mem::take(&mut t.incoming.bytes);
                match publisher
                    .dead_letter(
                        &t.delivery,
                        bytes,
                        t.incoming.received_at,
                        &reason,
                        &findings,
                    )
                    .await
                {
                    Ok(true) => {
                        tracing::info!(%origin, "moved to the dead-letter queue");
                        true
                    }
                    Ok(false) => {
                        tracing::error!(%origin, "dead-letter publish refused or unroutable; will retry");
                        false
                    }
                    Err(e) => {
                        tracing::warn!(%origin, error = %e, "dead-letter publish failed; will retry");
                        false
                    }
                }
            }
            Err(_) => false,
        }
    }
}

/// A delivery with its content taken out as pipeline input.
struct Taken {
    delivery: Delivery,
    incoming: Incoming,
    origin: String,
    summary: Summary,
}

impl Taken {
    fn new(mut delivery: Delivery) -> Taken {
        let received_at = receipt_time(&delivery.properties);
        let origin = match delivery.properties.message_id() {
            Some(id) => format!("amqp:{id}"),
            None => format!("amqp:#{}", delivery.delivery_tag),
        };
        let bytes = std::mem::take(&mut delivery.data);
        let summary = Summary::sniff(&bytes);
        Taken {
            delivery,
            incoming: Incoming {
                bytes,
                received_at,
                origin: origin.clone(),
            },
            origin,
            summary,
        }
    }
}

/// The delivery and every further one the consumer already holds, up to `max` in all. Under
/// load deliveries queue up while earlier batches are judged, so this is what groups them into
/// one transaction; an idle service judges a delivery alone, at once. `Some(reason)` when the
/// consumer failed or ended meanwhile.
fn gather<S>(consumer: &mut S, first: Delivery, max: usize) -> (Vec<Delivery>, Option<String>)
where
    S: futures_util::Stream<Item = Result<Delivery, lapin::Error>> + Unpin,
{
    let mut batch = vec![first];
    while batch.len() < max {
        match consumer.next().now_or_never() {
            Some(Some(Ok(d))) => batch.push(d),
            Some(Some(Err(e))) => return (batch, Some(e.to_string())),
            Some(None) => return (batch, Some("the broker cancelled the consumer".into())),
            None => break,
        }
    }
    (batch, None)
}

/// Unacknowledged deliveries per consumer: the prefetch, shared by the partitions consumed at
/// once (quorum queues have no per-channel prefetch).
fn consumer_prefetch(cfg: &AmqpConfig) -> u16 {
    if cfg.partitions == 0 {
        return cfg.prefetch;
    }
    let own = super::partition::parse_partitions(&cfg.own_partitions, cfg.partitions)
        .map_or(usize::from(cfg.partitions), |p| p.len())
        .max(1);
    u16::try_from(usize::from(cfg.prefetch).div_ceil(own)).unwrap_or(1)
}

/// Where deliveries come from: one queue whose prefetch follows the memory budget
/// ([`Intake`]), or the partition queues ([`super::partition`]; their prefetch is fixed:
/// `amqp.prefetch` over the partitions this instance owns).
enum Input {
    Adaptive(Box<Intake>),
    Partitioned(super::partition::Consumers),
}

impl Input {
    /// Stops every consumer (graceful shutdown); received deliveries are still handed out.
    async fn cancel(&mut self, channel: &Channel) -> Result<(), lapin::Error> {
        match self {
            Input::Adaptive(intake) => intake.cancel().await,
            Input::Partitioned(c) => {
                super::partition::Consumers::cancel_tags(&c.tags, channel).await
            }
        }
    }
}

impl futures_util::Stream for Input {
    type Item = Result<Delivery, lapin::Error>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        match self.get_mut() {
            Input::Adaptive(intake) => intake.poll_next_unpin(cx),
            Input::Partitioned(c) => c.stream.poll_next_unpin(cx),
        }
    }
}

/// Acks, or nacks with requeue. `Ok(false)` means the channel is gone: nothing was sent and
/// the broker will redeliver.
async fn settle(delivery: &Delivery, ack: bool, origin: &str) {
    let result = if ack {
        delivery.ack(BasicAckOptions::default()).await
    } else {
        delivery
            .nack(BasicNackOptions {
                requeue: true,
                multiple: false,
            })
            .await
    };
    let what = if ack { "ack" } else { "nack" };
    match result {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            origin,
            what,
            "channel closed before settling; the broker redelivers and the store recognises it"
        ),
        Err(e) => {
            tracing::warn!(origin, what, error = %e, "settling failed; the broker redelivers")
        }
    }
}

/// True while this process has a consumer on the input queue (for `/readyz`).
pub static CONSUMING: AtomicBool = AtomicBool::new(false);

/// Clears [`CONSUMING`] when a session ends, however it ends.
struct ConsumingFlag;

impl Drop for ConsumingFlag {
    fn drop(&mut self) {
        CONSUMING.store(false, Ordering::SeqCst);
    }
}

/// Runs the AMQP transport until `cancel` fires: connects (and reconnects with backoff),
/// consumes, publishes the outbox; then shuts down gracefully within `shutdown_grace`.
pub async fn serve(pipeline: Arc<Pipeline>, config: &Config, cancel: CancellationToken) {
    let cfg = &config.amqp;
    let worker = Arc::new(Worker {
        pipeline,
        max_message_size: config.max_message_size,
        resend_duplicate_answers: config.outbox.resend_duplicate_answers,
        retry_max: cfg.reconnect_max,
        failures: AtomicU32::new(0),
        wake: Arc::new(Notify::new()),
        cancel: cancel.clone(),
        order: Scheduler::new(),
        budget: Budget::new(cfg.max_inflight_bytes),
        prefetch: Prefetch::new(
            cfg.prefetch,
            cfg.max_inflight_bytes,
            config.max_message_size,
        ),
    });
    let limiter = Arc::new(Semaphore::new(cfg.batches_in_flight()));
    let tracker = TaskTracker::new();
    let mut backoff = Backoff::new(INITIAL_BACKOFF, cfg.reconnect_max);
    loop {
        if cancel.is_cancelled() {
            break;
        }
        match Session::open(config).await {
            Ok(session) => {
                backoff.reset();
                match session.run(config, &worker, &limiter, &tracker).await {
                    Ok(()) => return,
                    Err(e) => tracing::warn!(error = %e, "AMQP session ended; reconnecting"),
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot set up AMQP; retrying"),
        }
        let wait = backoff.next_delay();
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(wait) => {}
        }
    }
    // cancelled while disconnected: let deliveries of an earlier session finish their commit
    tracker.close();
    if timeout(config.shutdown_grace, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("in-flight messages did not finish within the shutdown grace");
    }
}

/// One connection with its channels, consumer and publisher.
struct Session {
    connection: Connection,
    consume: Channel,
    publisher: Arc<Publisher>,
}

impl Session {
    async fn open(config: &Config) -> Result<Session, AmqpError> {
        let cfg = &config.amqp;
        let connection = connect(cfg).await?;
        let setup = async {
            let consume = connection.create_channel().await?;
            declare_topology(&consume, cfg).await?;
            consume
                .basic_qos(consumer_prefetch(cfg), BasicQosOptions { global: false })
                .await?;
            let publish = connection.create_channel().await?;
            let publisher = Publisher::new(publish, cfg).await?;
            Ok::<_, lapin::Error>((consume, publisher))
        };
        let (consume, publisher) = match timeout(cfg.publish_timeout, setup).await {
            Ok(Ok(x)) => x,
            Ok(Err(e)) => {
                let _ = connection.close(200, "setup failed".into()).await;
                return Err(e.into());
            }
            Err(_) => {
                let _ = connection.close(200, "setup timed out".into()).await;
                return Err(AmqpError::Timeout("channel setup"));
            }
        };
        tracing::info!(
            queue = %cfg.input_queue,
            prefetch = cfg.prefetch,
            "connected to the broker; topology declared"
        );
        Ok(Session {
            connection,
            consume,
            publisher: Arc::new(publisher),
        })
    }

    /// Consumes until cancelled (`Ok`, after a graceful shutdown) or until the connection
    /// fails (`Err`: the caller reconnects).
    async fn run(
        self,
        config: &Config,
        worker: &Arc<Worker>,
        limiter: &Arc<Semaphore>,
        tracker: &TaskTracker,
    ) -> Result<(), AmqpError> {
        let cfg = &config.amqp;
        let cancel = worker.cancel.clone();
        let _consuming = ConsumingFlag;
        let mut events = self.connection.events_listener();
        // the consumers, and with partitions a channel for the intake
        let setup = async {
            let consumers = match cfg.partitions {
                // one queue: the prefetch follows the memory budget
                0 => Input::Adaptive(Box::new(
                    Intake::start(self.consume.clone(), &cfg.input_queue, worker.prefetch).await?,
                )),
                _ => Input::Partitioned(super::partition::consume(&self.consume, cfg).await?),
            };
            let intake = match cfg.partitions {
                0 => None,
                _ => Some(self.connection.create_channel().await?),
            };
            Ok::<_, lapin::Error>((consumers, intake))
        };
        let (consumers, intake_channel) = match timeout(cfg.publish_timeout, setup).await {
            Ok(Ok(c)) => {
                CONSUMING.store(true, Ordering::SeqCst);
                c
            }
            failed => {
                let _ = timeout(
                    Duration::from_secs(1),
                    self.connection.close(200, "reconnecting".into()),
                )
                .await;
                return Err(match failed {
                    Ok(Err(e)) => e.into(),
                    _ => AmqpError::Timeout("basic.consume"),
                });
            }
        };
        let mut consumer = consumers;
        let intake_cancel = CancellationToken::new();
        let mut intake_task = match intake_channel {
            None => None,
            Some(channel) => {
                let run = super::partition::run_intake(
                    channel,
                    cfg.clone(),
                    self.publisher.clone(),
                    intake_cancel.clone(),
                );
                Some(tokio::spawn(run))
            }
        };
        let outbox = OutboxPublisher::new(
            worker.pipeline.store().clone(),
            self.publisher.clone(),
            config.outbox.batch_size,
            config.outbox.interval,
        )
        .with_wake(worker.wake.clone());
        let outbox_cancel = CancellationToken::new();
        let mut outbox_task = {
            let token = outbox_cancel.clone();
            tokio::spawn(async move { outbox.run(token).await })
        };
        let broken = self.publisher.broken();
        let mut health = tokio::time::interval(HEALTH_CHECK);
        let mut permit = None;
        // a JoinHandle must not be polled again once it returned
        let mut outbox_ended = false;
        let failure: Option<String> = loop {
            tokio::select! {
                _ = cancel.cancelled() => break None,
                _ = broken.cancelled() => break Some("publishing channel failed".into()),
                ev = events.next() => match ev {
                    Some(Event::Error(e)) => break Some(e.to_string()),
                    Some(Event::ConnectionBlocked(reason)) =>
                        tracing::warn!(%reason, "broker blocked the connection (resource alarm)"),
                    Some(Event::ConnectionUnblocked) => tracing::info!("broker unblocked the connection"),
                    Some(_) => {}
                    None => break Some("connection event stream ended".into()),
                },
                r = async { intake_task.as_mut().expect("guarded").await }, if intake_task.is_some() => {
                    intake_task = None;
                    break Some(match r {
                        Ok(Ok(())) => "intake stopped".into(),
                        Ok(Err(e)) => format!("intake: {e}"),
                        Err(e) => format!("intake: {e}"),
                    });
                }
                r = &mut outbox_task => {
                    outbox_ended = true;
                    break Some(match r {
                        Ok(Ok(())) => "outbox publisher stopped".into(),
                        Ok(Err(e)) => format!("outbox publisher: {e}"),
                        Err(e) => format!("outbox publisher: {e}"),
                    });
                }
                _ = health.tick() => {
                    if !self.connection.status().connected() || !self.consume.status().connected() {
                        break Some("connection or channel no longer connected".into());
                    }
                }
                p = limiter.clone().acquire_owned(), if permit.is_none() => {
                    permit = Some(p.expect("the limiter is never closed"));
                }
                d = consumer.next(), if permit.is_some() => match d {
                    Some(Ok(delivery)) => {
                        let (batch, ended) = gather(&mut consumer, delivery, usize::from(cfg.batch_size));
                        let tickets = worker.order.tickets(batch.len());
                        // the memory budget in delivery order; batches in flight give it back
                        // without this loop, so waiting here cannot stall them
                        let bytes: usize = batch.iter().map(|d| d.data.len()).sum();
                        let budget = worker.budget.take(bytes).await;
                        let held = permit.take();
                        let worker = worker.clone();
                        let publisher = self.publisher.clone();
                        tracker.spawn(async move {
                            worker.handle_batch(&publisher, batch, tickets, budget).await;
                            drop(held);
                        });
                        if let Some(reason) = ended {
                            break Some(reason);
                        }
                    }
                    Some(Err(e)) => break Some(e.to_string()),
                    None => break Some("the broker cancelled the consumer".into()),
                },
            }
        };
        intake_cancel.cancel();
        if let Some(task) = intake_task.take() {
            if timeout(Duration::from_secs(2), task).await.is_err() {
                tracing::warn!("the intake did not stop within 2s");
            }
        }
        if let Some(reason) = failure {
            // let the outbox publisher see its failure and hand back its claims, briefly
            outbox_cancel.cancel();
            if !outbox_ended
                && timeout(Duration::from_secs(2), &mut outbox_task)
                    .await
                    .is_err()
            {
                outbox_task.abort();
            }
            let _ = timeout(
                Duration::from_secs(1),
                self.connection.close(200, "reconnecting".into()),
            )
            .await;
            return Err(AmqpError::Lost(reason));
        }

        // graceful shutdown
        let deadline = Instant::now() + config.shutdown_grace;
        tracing::info!("shutting down: no new deliveries, finishing in-flight messages");
        if let Err(e) = timeout_at(deadline, consumer.cancel(&self.consume))
            .await
            .unwrap_or(Ok(()))
        {
            tracing::warn!(error = %e, "basic.cancel failed");
        }
        tracker.close();
        if timeout_at(deadline, tracker.wait()).await.is_err() {
            tracing::warn!("in-flight messages did not finish within the shutdown grace; the broker requeues them");
        }
        outbox_cancel.cancel();
        match timeout_at(deadline, &mut outbox_task).await {
            Ok(Ok(Ok(()))) => tracing::info!("outbox flushed"),
            Ok(Ok(Err(e))) => tracing::warn!(error = %e, "outbox flush failed"),
            Ok(Err(e)) => tracing::warn!(error = %e, "outbox publisher failed"),
            Err(_) => {
                outbox_task.abort();
                tracing::warn!("outbox flush did not finish within the shutdown grace")
            }
        }
        let close = async {
            let _ = self.consume.close(200, "shutdown".into()).await;
            let _ = self.connection.close(200, "shutdown".into()).await;
        };
        let _ = timeout(Duration::from_secs(5), close).await;
        tracing::info!("AMQP transport stopped");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_time_from_the_timestamp_property() {
        let p = BasicProperties::default().with_timestamp(1_780_000_000);
        assert_eq!(receipt_time(&p).timestamp(), 1_780_000_000);
        let ms = BasicProperties::default().with_timestamp(1_780_000_000_123);
        assert_eq!(receipt_time(&ms).timestamp_millis(), 1_780_000_000_123);
        let before = Utc::now();
        let none = receipt_time(&BasicProperties::default());
        assert!(none >= before);
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("ééé", 3), "é…");
        assert_eq!(short(&"x".repeat(300)).as_str().len(), 250 + "…".len());
    }
}
