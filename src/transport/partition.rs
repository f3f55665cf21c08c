//! Order across instances: input partitions on RabbitMQ.
//!
//! Inside one daemon [`super::order`] keeps messages that share state in delivery order. With
//! several instances competing on one queue that is not enough: two instances can each hold
//! one of a client's messages. With `amqp.partitions = N` the input is split so that every
//! relationship (standard, gemeente, provider) has one consumer at a time:
//!
//! ```text
//! gateways ──► ijwmo.in (topic) ──► ijwmo.in (queue, single active consumer)
//!                                        │ intake: reads the header, republishes in order
//!                                        │ with confirms, acks after the confirm
//!                                        ▼
//!                ijwmo.in.partitioned (x-consistent-hash, routing key = partition key)
//!                  │ weight 1 each
//!                  ▼
//!   ijwmo.in.p0 … ijwmo.in.p<N-1> (quorum, single active consumer, dead-lettered to ijwmo.dlx)
//!                  │ each instance consumes its own partitions at once and the others
//!                  ▼ as a standby after `standby_after`
//!                ijwmo (judged in order per key, see super::order)
//! ```
//!
//! The partition key is `<standard>.<gemeente>.<agb>` from the header alone ([`partition_key`]),
//! so a gateway that knows it can publish to the partition exchange directly and skip the
//! intake. Decision: the relationship rather than the client, because the key must come from
//! the header (the intake must stay cheap, a gateway cannot parse bodies) and because a
//! declaration covers many clients of one relationship. What this does not order: messages of
//! different relationships that still touch the same state — a ToewijzingNummer claimed by two
//! providers, a ReferentieAanbieder or DeclaratieNummer a provider reuses with another
//! gemeente, an identification a sender reuses towards another receiver. Those are errors in
//! the input; the PostgreSQL advisory locks still judge them one at a time, but which comes
//! first is not defined.
//!
//! Single active consumer: the broker delivers a queue's messages to one consumer at a time
//! and moves to the next registered one when it goes away (its unacknowledged messages are
//! returned first). RabbitMQ before 3.13 has no priorities between the registered consumers
//! (the first to register is active), so an instance registers its own partitions at once and
//! the others only after `standby_after`: with all instances started together each is active
//! on its own partitions, and a surviving instance takes over the partitions of one that died.
//! After a takeover the partitions stay with the survivor until it restarts.

use crate::config::AmqpConfig;
use crate::rules::cross::gemeente_header;
use futures_util::stream::{self, BoxStream, StreamExt};
use lapin::message::Delivery;
use lapin::options::{
    BasicCancelOptions, BasicConsumeOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{Channel, ExchangeKind};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The partition key of a message: `<standard>.<gemeente>.<agb>` (e.g. `ijw.0513.98076541`),
/// read from the root namespace and the header's Afzender and Ontvanger (by direction, as the
/// rules read them). Input whose header cannot be read gets `unreadable`: it is dead-lettered
/// wherever it lands.
pub fn partition_key(bytes: &[u8]) -> String {
    let header = super::Summary::sniff(bytes);
    match (header.kind, header.sender, header.receiver) {
        (Some(kind), Some(afzender), Some(ontvanger)) => {
            let (gemeente, agb) = match gemeente_header(kind) {
                true => (afzender, ontvanger),
                false => (ontvanger, afzender),
            };
            format!("{}.{gemeente}.{agb}", kind.standard.slug())
        }
        _ => "unreadable".into(),
    }
}

/// The partitions named by `spec` (`0-3`, `0,2,5`, `1-2,7`; empty: all) out of `n`.
pub fn parse_partitions(spec: &str, n: u16) -> Result<Vec<u16>, String> {
    if spec.trim().is_empty() {
        return Ok((0..n).collect());
    }
    let mut out = BTreeSet::new();
    for part in spec.split(',').map(str::trim) {
        let number = |s: &str| {
            s.trim()
                .parse::<u16>()
                .map_err(|_| format!("`{s}` is not a partition number"))
        };
        let (from, to) = match part.split_once('-') {
            Some((a, b)) => (number(a)?, number(b)?),
            None => (number(part)?, number(part)?),
        };
        if from > to || to >= n {
            return Err(format!(
                "`{part}` is not within the {n} partitions (0-{})",
                n.saturating_sub(1)
            ));
        }
        out.extend(from..=to);
    }
    Ok(out.into_iter().collect())
}

/// The queue of partition `i`.
pub fn queue_name(cfg: &AmqpConfig, i: u16) -> String {
    format!("{}.p{i}", cfg.input_queue)
}

fn long_string(s: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(s.as_bytes().to_vec()))
}

/// Declares the partition exchange and queues and binds them (idempotent); nothing when
/// `partitions` is 0.
pub async fn declare(channel: &Channel, cfg: &AmqpConfig) -> Result<(), lapin::Error> {
    if cfg.partitions == 0 {
        return Ok(());
    }
    channel
        .exchange_declare(
            cfg.partition_exchange.as_str().into(),
            ExchangeKind::Custom("x-consistent-hash".into()),
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    for i in 0..cfg.partitions {
        let name = queue_name(cfg, i);
        channel
            .queue_declare(
                name.as_str().into(),
                QueueDeclareOptions::durable(),
                partition_queue_arguments(cfg),
            )
            .await?;
        // the binding key of a consistent-hash exchange is the partition's weight
        channel
            .queue_bind(
                name.as_str().into(),
                cfg.partition_exchange.as_str().into(),
                "1".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    Ok(())
}

/// Queue type, dead-letter exchange and single active consumer.
pub fn partition_queue_arguments(cfg: &AmqpConfig) -> FieldTable {
    let mut args = FieldTable::default();
    args.insert("x-queue-type".into(), long_string(cfg.queue_type.as_str()));
    args.insert(
        "x-dead-letter-exchange".into(),
        long_string(&cfg.dead_letter_exchange),
    );
    args.insert("x-single-active-consumer".into(), AMQPValue::Boolean(true));
    args
}

/// The deliveries of every queue this instance consumes, merged, and how to stop them.
pub struct Consumers {
    pub stream: BoxStream<'static, Result<Delivery, lapin::Error>>,
    /// The tags of the consumers started so far (standbys join later).
    pub tags: Arc<Mutex<Vec<ShortString>>>,
}

impl Consumers {
    /// Cancels every consumer in `tags` (no new deliveries; those already received stay).
    pub async fn cancel_tags(
        tags: &Arc<Mutex<Vec<ShortString>>>,
        channel: &Channel,
    ) -> Result<(), lapin::Error> {
        let tags = tags.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for tag in tags {
            channel
                .basic_cancel(tag, BasicCancelOptions::default())
                .await?;
        }
        Ok(())
    }
}

async fn consume_queues(
    channel: &Channel,
    queues: Vec<String>,
    tags: &Arc<Mutex<Vec<ShortString>>>,
) -> Result<Vec<lapin::Consumer>, lapin::Error> {
    let mut out = Vec::with_capacity(queues.len());
    for q in queues {
        let c = channel
            .basic_consume(
                q.as_str().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        tags.lock().unwrap_or_else(|e| e.into_inner()).push(c.tag());
        out.push(c);
    }
    Ok(out)
}

/// Starts consuming: the input queue when there are no partitions; else the own partitions
/// at once and the others after `standby_after` (see the module documentation).
pub async fn consume(channel: &Channel, cfg: &AmqpConfig) -> Result<Consumers, lapin::Error> {
    let tags = Arc::new(Mutex::new(Vec::new()));
    if cfg.partitions == 0 {
        let own = consume_queues(channel, vec![cfg.input_queue.clone()], &tags).await?;
        return Ok(Consumers {
            stream: stream::select_all(own).boxed(),
            tags,
        });
    }
    let own_numbers = parse_partitions(&cfg.own_partitions, cfg.partitions)
        .unwrap_or_else(|_| (0..cfg.partitions).collect());
    let own_queues = own_numbers.iter().map(|i| queue_name(cfg, *i)).collect();
    let own = stream::select_all(consume_queues(channel, own_queues, &tags).await?);
    let others: Vec<String> = (0..cfg.partitions)
        .filter(|i| !own_numbers.contains(i))
        .map(|i| queue_name(cfg, i))
        .collect();
    if others.is_empty() || cfg.standby_after == Duration::ZERO {
        return Ok(Consumers {
            stream: own.boxed(),
            tags,
        });
    }
    let (channel, after, standby_tags) = (channel.clone(), cfg.standby_after, tags.clone());
    let standby = stream::once(async move {
        tokio::time::sleep(after).await;
        consume_queues(&channel, others, &standby_tags).await
    })
    .flat_map(|r| match r {
        Ok(consumers) => stream::select_all(consumers).boxed(),
        Err(e) => stream::once(async move { Err(e) }).boxed(),
    });
    Ok(Consumers {
        stream: stream::select(own, standby).boxed(),
        tags,
    })
}

/// Most deliveries the intake moves per publish round.
const INTAKE_BATCH: usize = 256;

/// The intake: moves every message of the input queue, in order, to the partition exchange
/// with its [`partition_key`] as routing key, and acks it once the broker confirmed the
/// publish and routed it. Runs until `cancel` fires (`Ok`) or the channel fails (`Err`: the
/// session reconnects). The input queue has a single active consumer, so with several
/// instances one moves at a time, in queue order. A message without `timestamp` gets the
/// intake moment, so its receipt time stays the moment it reached the region.
pub async fn run_intake(
    channel: Channel,
    cfg: AmqpConfig,
    publisher: Arc<super::amqp::Publisher>,
    cancel: tokio_util::sync::CancellationToken,
) -> Result<(), String> {
    use lapin::options::{BasicAckOptions, BasicNackOptions, BasicQosOptions};
    use lapin::BasicProperties;
    let err = |e: lapin::Error| e.to_string();
    channel
        .basic_qos(
            u16::try_from(INTAKE_BATCH * 2).unwrap_or(u16::MAX),
            BasicQosOptions::default(),
        )
        .await
        .map_err(err)?;
    let mut consumer = channel
        .basic_consume(
            cfg.input_queue.as_str().into(),
            "ijwmo-intake".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .map_err(err)?;
    let exchange: ShortString = cfg.partition_exchange.as_str().into();
    loop {
        let first = tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            d = consumer.next() => match d {
                Some(Ok(d)) => d,
                Some(Err(e)) => return Err(e.to_string()),
                None => return Err("the broker cancelled the intake consumer".into()),
            },
        };
        let mut batch = vec![first];
        while batch.len() < INTAKE_BATCH {
            match futures_util::FutureExt::now_or_never(consumer.next()) {
                Some(Some(Ok(d))) => batch.push(d),
                Some(Some(Err(e))) => return Err(e.to_string()),
                _ => break,
            }
        }
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let publishes = batch
            .iter()
            .map(|d| {
                let key = partition_key(&d.data);
                let props: BasicProperties = match d.properties.timestamp() {
                    Some(_) => d.properties.clone(),
                    None => d.properties.clone().with_timestamp(now),
                };
                let key = ShortString::try_new(key).unwrap_or_else(|_| "unreadable".into());
                (exchange.clone(), key, d.data.clone(), props)
            })
            .collect();
        let outcome = publisher.publish_batch(publishes).await.map_err(|e| e.0)?;
        // ack the confirmed prefix; on the first failure hand that one and the rest back and
        // reconnect, so nothing overtakes it
        let delivered = outcome
            .iter()
            .take_while(|p| **p == super::amqp::Published::Delivered)
            .count();
        if delivered > 0 {
            channel
                .basic_ack(
                    batch[delivered - 1].delivery_tag,
                    BasicAckOptions { multiple: true },
                )
                .await
                .map_err(err)?;
        }
        if delivered < batch.len() {
            let _ = channel
                .basic_nack(
                    batch[batch.len() - 1].delivery_tag,
                    BasicNackOptions {
                        multiple: true,
                        requeue: true,
                    },
                )
                .await;
            return Err(format!(
                "intake: the partition exchange did not take a message ({:?})",
                outcome[delivered]
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_the_relationship_by_direction() {
        let from_provider = include_bytes!("../../fixtures/messages/JW305.xml");
        let from_gemeente = include_bytes!("../../fixtures/messages/JW301.xml");
        let a = partition_key(from_provider);
        let b = partition_key(from_gemeente);
        assert!(a.starts_with("ijw."), "{a}");
        assert_eq!(a.split('.').count(), 3, "{a}");
        // the 301 goes from the gemeente to the provider, the 305 back: same relationship
        assert_eq!(a, b);
        assert_eq!(partition_key(b"not xml"), "unreadable");
    }

    #[test]
    fn partition_lists() {
        assert_eq!(parse_partitions("", 3).unwrap(), vec![0, 1, 2]);
        assert_eq!(parse_partitions("0-1, 3", 4).unwrap(), vec![0, 1, 3]);
        assert_eq!(parse_partitions("2,2", 4).unwrap(), vec![2]);
        assert!(parse_partitions("4", 4).is_err());
        assert!(parse_partitions("3-1", 4).is_err());
        assert!(parse_partitions("x", 4).is_err());
        assert!(parse_partitions("0", 0).is_err());
    }
}
