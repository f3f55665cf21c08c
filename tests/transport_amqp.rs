//! The RabbitMQ transport against a real broker on 127.0.0.1:5672 (guest/guest; override with
//! `IJWMO_TEST_AMQP_URL`). Each test uses its own exchanges and queues and deletes them
//! afterwards. Without a broker the tests fail, unless `IJWMO_REQUIRE_SERVICES=0` says to skip
//! them knowingly (`support/services.rs`); so does the reconnect test when `rabbitmqctl`
//! cannot close the connection.

mod support;

use ijwmo::config::Config;
use ijwmo::pipeline::{Pipeline, Settings};
use ijwmo::store::MessageStore;
use ijwmo::transport::amqp::{self, Publisher};
use ijwmo::transport::outbox::OutboxPublisher;
use ijwmo::validate::Validator;
use lapin::message::Delivery;
use lapin::options::{
    BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions, ExchangeDeleteOptions,
    QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use support::stores::{
    echo, echo_pipeline, eventually, fixture, fixture_with_id, init_logs, test_store, within,
    Instrumented,
};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

fn broker_url() -> String {
    std::env::var("IJWMO_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// A connection to the test broker, or `None` (with a notice) when there is none.
async fn connect() -> Option<Connection> {
    let url = broker_url();
    let result = tokio::time::timeout(
        Duration::from_secs(5),
        Connection::connect(&url, ConnectionProperties::default()),
    )
    .await;
    match result {
        Ok(Ok(c)) => Some(c),
        other => {
            let why = match other {
                Ok(Err(e)) => e.to_string(),
                _ => "timed out".into(),
            };
            support::services::unavailable(
                &format!("RabbitMQ at {}", ijwmo::config::redact_url(&url)),
                &why,
            );
            None
        }
    }
}

/// One test's broker objects, all with unique names, deleted on drop.
struct Broker {
    conn: Connection,
    channel: Channel,
    cfg: Config,
    queues: Vec<String>,
    exchanges: Vec<String>,
}

impl Broker {
    async fn new(test: &str) -> Option<Broker> {
        Broker::with(test, |_| {}).await
    }

    /// As [`Broker::new`], with the configuration adjusted before the topology is declared.
    async fn with(test: &str, adjust: impl FnOnce(&mut Config)) -> Option<Broker> {
        init_logs();
        let conn = connect().await?;
        let channel = within(10, "channel", conn.create_channel()).await.unwrap();
        within(
            10,
            "confirm mode",
            channel.confirm_select(ConfirmSelectOptions::default()),
        )
        .await
        .unwrap();
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let id = format!("ijwmo-test.{test}.{}.{nanos}", std::process::id());
        let mut cfg = Config {
            transport: ijwmo::config::TransportKind::Amqp,
            ..Config::default()
        };
        cfg.amqp.url = broker_url();
        cfg.amqp.connection_name = id.clone();
        cfg.amqp.input_exchange = format!("{id}.in-x");
        cfg.amqp.input_queue = format!("{id}.in");
        cfg.amqp.output_exchange = format!("{id}.out");
        cfg.amqp.dead_letter_exchange = format!("{id}.dlx");
        cfg.amqp.dead_letter_queue = format!("{id}.dead");
        cfg.amqp.prefetch = 4;
        cfg.amqp.publish_timeout = Duration::from_secs(10);
        cfg.amqp.reconnect_max = Duration::from_secs(2);
        cfg.outbox.interval = Duration::from_millis(50);
        cfg.shutdown_grace = Duration::from_secs(15);
        cfg.amqp.partition_exchange = format!("{id}.in-p");
        adjust(&mut cfg);
        let mut queues = vec![
            cfg.amqp.input_queue.clone(),
            cfg.amqp.dead_letter_queue.clone(),
        ];
        queues.extend(
            (0..cfg.amqp.partitions).map(|i| ijwmo::transport::partition::queue_name(&cfg.amqp, i)),
        );
        let broker = Broker {
            queues,
            exchanges: vec![
                cfg.amqp.input_exchange.clone(),
                cfg.amqp.output_exchange.clone(),
                cfg.amqp.dead_letter_exchange.clone(),
                cfg.amqp.partition_exchange.clone(),
            ],
            conn,
            channel,
            cfg,
        };
        // the same declarations the service makes, so input routes before it connects
        within(
            10,
            "topology",
            amqp::declare_topology(&broker.channel, &broker.cfg.amqp),
        )
        .await
        .unwrap();
        Some(broker)
    }

    /// A classic queue bound to the output exchange with `pattern`.
    async fn bind_output(&mut self, pattern: &str) -> String {
        let exchange = self.cfg.amqp.output_exchange.clone();
        self.bind(&exchange, pattern, FieldTable::default()).await
    }

    async fn bind(&mut self, exchange: &str, pattern: &str, args: FieldTable) -> String {
        let name = format!("{}.q{}", self.cfg.amqp.connection_name, self.queues.len());
        within(
            10,
            "declare test queue",
            self.channel
                .queue_declare(name.as_str().into(), QueueDeclareOptions::durable(), args),
        )
        .await
        .unwrap();
        within(
            10,
            "bind test queue",
            self.channel.queue_bind(
                name.as_str().into(),
                exchange.into(),
                pattern.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            ),
        )
        .await
        .unwrap();
        self.queues.push(name.clone());
        name
    }

    /// Publishes to the input exchange, confirmed and routed.
    async fn publish_input(&self, bytes: &[u8], props: BasicProperties) {
        let confirm = within(
            10,
            "publish input",
            self.channel.basic_publish(
                self.cfg.amqp.input_exchange.as_str().into(),
                "aanbieder.98076541.jw305".into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                bytes,
                props,
            ),
        )
        .await
        .unwrap();
        let confirmation = within(10, "input confirm", confirm).await.unwrap();
        assert!(confirmation.is_ack());
        assert!(
            confirmation.take_message().is_none(),
            "input was not routed"
        );
    }

    async fn get(&self, queue: &str) -> Option<Delivery> {
        within(
            10,
            "basic.get",
            self.channel
                .basic_get(queue.into(), BasicGetOptions { no_ack: true }),
        )
        .await
        .unwrap()
        .map(|m| m.delivery)
    }

    async fn wait_get(&self, queue: &str, secs: u64) -> Delivery {
        eventually(secs, &format!("a message in {queue}"), || self.get(queue)).await
    }

    /// The first message in `queue` with this `message_id`; others are taken and dropped (the
    /// rules compiled in may add answers and forwards of their own).
    async fn wait_message(&self, queue: &str, message_id: &str, secs: u64) -> Delivery {
        eventually(secs, &format!("{message_id} in {queue}"), || async {
            let d = self.get(queue).await?;
            (d.properties.message_id().as_ref().map(|m| m.as_str()) == Some(message_id))
                .then_some(d)
        })
        .await
    }

    /// The queue the echo answers land in (`gemeente.0513.#`); provider-bound answers the
    /// compiled-in rules may add (`aanbieder.#`) get a queue too, so nothing is unroutable.
    async fn answers_queue(&mut self) -> String {
        self.bind_output("aanbieder.#").await;
        self.bind_output("gemeente.0513.#").await
    }

    /// Ready messages in a queue (a fresh channel: a failed passive declare closes it).
    async fn count(&self, queue: &str) -> u32 {
        let ch = within(10, "channel", self.conn.create_channel())
            .await
            .unwrap();
        let q = within(
            10,
            "passive declare",
            ch.queue_declare(
                queue.into(),
                QueueDeclareOptions::default().passive(),
                FieldTable::default(),
            ),
        )
        .await
        .unwrap();
        let _ = ch.close(200, "done".into()).await;
        q.message_count()
    }

    fn start(&self, pipeline: Arc<Pipeline>) -> (CancellationToken, JoinHandle<()>) {
        let cancel = CancellationToken::new();
        let (cfg, token) = (self.cfg.clone(), cancel.clone());
        let task = tokio::spawn(async move { amqp::serve(pipeline, &cfg, token).await });
        (cancel, task)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let (queues, exchanges) = (self.queues.clone(), self.exchanges.clone());
        // async cleanup from a synchronous drop, also when the test panicked
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let Ok(Ok(conn)) = tokio::time::timeout(
                    Duration::from_secs(5),
                    Connection::connect(&broker_url(), ConnectionProperties::default()),
                )
                .await
                else {
                    return;
                };
                if let Ok(ch) = conn.create_channel().await {
                    for q in &queues {
                        let _ = tokio::time::timeout(
                            Duration::from_secs(5),
                            ch.queue_delete(q.as_str().into(), QueueDeleteOptions::default()),
                        )
                        .await;
                    }
                    for x in &exchanges {
                        let _ = tokio::time::timeout(
                            Duration::from_secs(5),
                            ch.exchange_delete(x.as_str().into(), ExchangeDeleteOptions::default()),
                        )
                        .await;
                    }
                }
                let _ = conn.close(200, "cleanup".into()).await;
            });
        });
        let _ = cleanup.join();
    }
}

fn header(d: &Delivery, name: &str) -> Option<String> {
    let headers = d.properties.headers().as_ref()?;
    match headers.inner().get(name)? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.to_string()),
        AMQPValue::LongLongInt(i) => Some(i.to_string()),
        other => Some(format!("{other:?}")),
    }
}

fn input_properties(message_id: &str, timestamp: u64) -> BasicProperties {
    BasicProperties::default()
        .with_message_id(message_id.into())
        .with_content_type("application/xml".into())
        .with_delivery_mode(2)
        .with_timestamp(timestamp)
}

async fn stop(cancel: CancellationToken, task: JoinHandle<()>) {
    cancel.cancel();
    within(30, "service stops", task).await.unwrap();
}

#[tokio::test]
async fn a_message_is_processed_acked_and_its_answer_published_with_its_routing_key() {
    let Some(mut b) = Broker::new("processed").await else {
        return;
    };
    let out = b.answers_queue().await;
    let (pipeline, store) = echo_pipeline().await;
    let (cancel, task) = b.start(pipeline);

    b.publish_input(
        &fixture("JW305.xml"),
        input_properties("in-1", 1_783_000_000),
    )
    .await;
    let answer = b.wait_message(&out, "ECHO-JHG305-00231", 20).await;
    assert_eq!(answer.routing_key.as_str(), "gemeente.0513.jw305");
    let props = &answer.properties;
    assert_eq!(
        props.message_id().as_ref().map(|s| s.as_str()),
        Some("ECHO-JHG305-00231")
    );
    assert_eq!(
        props.content_type().as_ref().map(|s| s.as_str()),
        Some("application/xml")
    );
    assert_eq!(*props.delivery_mode(), Some(2));
    assert!(header(&answer, amqp::HEADER_OUTBOX_ID).is_some());
    assert_eq!(answer.data, fixture("JW305.xml"));

    // receipt time from the AMQP timestamp property
    let seen = store.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].received_at.timestamp(), 1_783_000_000);

    stop(cancel, task).await;
    assert_eq!(b.count(&b.cfg.amqp.input_queue).await, 0, "acked");
    assert_eq!(b.count(&b.cfg.amqp.dead_letter_queue).await, 0);
    let counts = store.counts().await.unwrap();
    assert_eq!((counts.messages, counts.outbox_unsent), (1, 0));
}

#[tokio::test]
async fn unprocessable_input_goes_to_the_dead_letter_queue_with_its_reason() {
    let Some(mut b) = Broker::new("dead").await else {
        return;
    };
    let out = b.answers_queue().await;
    let (pipeline, store) = echo_pipeline().await;
    let (cancel, task) = b.start(pipeline);

    let bad = b"this is not XML".to_vec();
    b.publish_input(&bad, input_properties("bad-1", 1_783_000_000))
        .await;
    let dead = b.wait_get(&b.cfg.amqp.dead_letter_queue, 20).await;
    assert_eq!(dead.data, bad);
    let expected = &Validator::embedded().validate(&bad).findings[0];
    assert_eq!(header(&dead, amqp::HEADER_RULE), expected.rule.clone());
    let reason = header(&dead, amqp::HEADER_REASON).expect("reason header");
    assert!(reason.contains(&expected.message), "{reason}");
    assert!(header(&dead, amqp::HEADER_FINDINGS).is_some_and(|f| f.starts_with('[')));
    assert_eq!(
        header(&dead, amqp::HEADER_ORIGINAL_EXCHANGE).as_deref(),
        Some(b.cfg.amqp.input_exchange.as_str())
    );
    assert_eq!(
        dead.properties.message_id().as_ref().map(|s| s.as_str()),
        Some("bad-1"),
        "original properties kept"
    );

    // and the service keeps going
    b.publish_input(
        &fixture("JW305.xml"),
        input_properties("in-2", 1_783_000_000),
    )
    .await;
    b.wait_message(&out, "ECHO-JHG305-00231", 20).await;
    stop(cancel, task).await;
    assert_eq!(b.count(&b.cfg.amqp.input_queue).await, 0);
    assert_eq!(b.count(&b.cfg.amqp.dead_letter_queue).await, 0);
    assert_eq!(store.counts().await.unwrap().messages, 1);
}

#[tokio::test]
async fn input_that_crashes_processing_is_dead_lettered_and_the_service_goes_on() {
    let Some(mut b) = Broker::new("panic").await else {
        return;
    };
    let out = b.answers_queue().await;
    let (pipeline, store) = echo_pipeline().await;
    store.panic_next(1);
    let (cancel, task) = b.start(pipeline);
    b.publish_input(
        &fixture("JW305.xml"),
        input_properties("in-1", 1_783_000_000),
    )
    .await;
    let dead = b.wait_get(&b.cfg.amqp.dead_letter_queue, 20).await;
    assert_eq!(
        header(&dead, amqp::HEADER_RULE).as_deref(),
        Some("internal.panic")
    );
    let second = fixture_with_id("JW305.xml", "JHG305-00231", "JHG305-00232");
    b.publish_input(&second, input_properties("in-2", 1_783_000_000))
        .await;
    b.wait_message(&out, "ECHO-JHG305-00232", 20).await;
    stop(cancel, task).await;
    assert_eq!(b.count(&b.cfg.amqp.input_queue).await, 0);
}

#[tokio::test]
async fn a_store_failure_gets_the_message_redelivered_not_lost() {
    let Some(mut b) = Broker::new("redeliver").await else {
        return;
    };
    let out = b.answers_queue().await;
    let (pipeline, store) = echo_pipeline().await;
    store.fail_next(2);
    let (cancel, task) = b.start(pipeline);

    b.publish_input(
        &fixture("JW305.xml"),
        input_properties("in-1", 1_783_000_000),
    )
    .await;
    let answer = b.wait_message(&out, "ECHO-JHG305-00231", 30).await;
    assert_eq!(answer.routing_key.as_str(), "gemeente.0513.jw305");
    assert_eq!(store.attempts(), 3, "two failures, then stored");
    stop(cancel, task).await;
    assert_eq!(b.count(&b.cfg.amqp.input_queue).await, 0);
    assert_eq!(b.count(&b.cfg.amqp.dead_letter_queue).await, 0);
    assert_eq!(store.counts().await.unwrap().messages, 1);
}

#[tokio::test]
async fn a_redelivered_message_is_acked_and_its_answers_published_again() {
    let Some(mut b) = Broker::new("duplicate").await else {
        return;
    };
    let out = b.answers_queue().await;
    let (pipeline, store) = echo_pipeline().await;
    let (cancel, task) = b.start(pipeline);

    b.publish_input(
        &fixture("JW305.xml"),
        input_properties("in-1", 1_783_000_000),
    )
    .await;
    let first = b.wait_message(&out, "ECHO-JHG305-00231", 20).await;
    b.publish_input(
        &fixture("JW305.xml"),
        input_properties("in-1", 1_783_000_000),
    )
    .await;
    let again = b.wait_message(&out, "ECHO-JHG305-00231", 20).await;
    assert_eq!(again.properties.message_id(), first.properties.message_id());
    stop(cancel, task).await;
    assert_eq!(b.count(&b.cfg.amqp.input_queue).await, 0);
    assert_eq!(store.counts().await.unwrap().messages, 1);
}

#[tokio::test]
async fn unroutable_or_refused_publishes_leave_their_rows_unsent() {
    let Some(mut b) = Broker::new("confirms").await else {
        return;
    };
    let ok = b.answers_queue().await;
    // a queue that refuses everything: publishes routed to it are nacked
    let mut full = FieldTable::default();
    full.insert("x-max-length".into(), AMQPValue::LongLongInt(0));
    full.insert(
        "x-overflow".into(),
        AMQPValue::LongString(LongString::from(b"reject-publish".to_vec())),
    );
    let output = b.cfg.amqp.output_exchange.clone();
    b.bind(&output, "gemeente.0999.#", full).await;

    let to = |gemeente: &'static str| {
        move |r: &ijwmo::store::Received| {
            let mut v = echo(r);
            v[0].routing_key = format!("gemeente.{gemeente}.jw305");
            v[0].identificatie = format!("{gemeente}-{}", r.identificatie);
            v
        }
    };
    let both = move |r: &ijwmo::store::Received| {
        let mut v = to("0513")(r);
        v.extend(to("0000")(r)); // no queue bound: returned as unroutable
        v.extend(to("0999")(r)); // the full queue: nacked
        v
    };
    let store = Arc::new(Instrumented::new(test_store().await).with_outgoing(both));
    let pipeline = Pipeline::new(store.clone(), Settings { today: None });
    let incoming = ijwmo::pipeline::Incoming {
        bytes: fixture("JW305.xml"),
        received_at: chrono::Utc::now(),
        origin: "test".into(),
    };
    within(10, "handle", pipeline.handle(&incoming))
        .await
        .unwrap();
    let unsent_before = store.counts().await.unwrap().outbox_unsent;

    let conn = within(10, "connect", amqp::connect(&b.cfg.amqp))
        .await
        .unwrap();
    let channel = within(10, "channel", conn.create_channel()).await.unwrap();
    let publisher = Arc::new(
        within(10, "publisher", Publisher::new(channel, &b.cfg.amqp))
            .await
            .unwrap(),
    );
    let outbox = OutboxPublisher::new(
        store.clone(),
        publisher.clone(),
        100,
        Duration::from_secs(1),
    );
    let round = within(20, "publish round", outbox.publish_once())
        .await
        .unwrap();
    assert_eq!(round.claimed as i64, unsent_before);
    assert_eq!(
        round.sent as i64,
        unsent_before - 2,
        "only the routable one is sent"
    );
    assert_eq!(store.counts().await.unwrap().outbox_unsent, 2);
    assert!(
        !publisher.broken().is_cancelled(),
        "a return or nack is no channel failure"
    );
    b.wait_message(&ok, "0513-JHG305-00231", 10).await;
    let _ = conn.close(200, "done".into()).await;
}

/// Batches run concurrently, up to prefetch ÷ batch size; within a batch a store without
/// batches (this test double) stores the messages one by one.
#[tokio::test]
async fn batches_are_judged_concurrently_up_to_prefetch_over_batch_size() {
    let Some(mut b) = Broker::new("concurrent").await else {
        return;
    };
    b.cfg.amqp.batch_size = 2;
    let out = b.answers_queue().await;
    let (pipeline, store) = echo_pipeline().await;
    store.set_delay(Some(Duration::from_millis(500)));
    let (cancel, task) = b.start(pipeline);
    // eight different clients: nothing orders them
    for n in 0..8 {
        let id = format!("JHG305-1000{n}");
        let bytes = other_client(n, &id);
        b.publish_input(&bytes, input_properties(&id, 1_783_000_000))
            .await;
    }
    // concurrent batches commit in any order: collect the answers as they come
    let mut missing: std::collections::BTreeSet<String> =
        (0..8).map(|n| format!("ECHO-JHG305-1000{n}")).collect();
    within(30, "every echo", async {
        while !missing.is_empty() {
            match b.get(&out).await {
                Some(d) => {
                    if let Some(id) = d.properties.message_id() {
                        missing.remove(id.as_str());
                    }
                }
                None => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    })
    .await;
    assert_eq!(
        store.max_in_flight(),
        b.cfg.amqp.batches_in_flight(),
        "as many batches at once as prefetch and batch size allow, no more"
    );
    assert_eq!(b.cfg.amqp.batches_in_flight(), 2);
    stop(cancel, task).await;
    assert_eq!(b.count(&b.cfg.amqp.input_queue).await, 0);
    assert_eq!(store.counts().await.unwrap().messages, 8);
}

/// Messages about one client are judged one at a time, in delivery order, even when batches
/// could run side by side.
#[tokio::test]
async fn messages_about_one_client_are_judged_in_delivery_order() {
    let Some(mut b) = Broker::new("ordered").await else {
        return;
    };
    b.cfg.amqp.batch_size = 1;
    let out = b.answers_queue().await;
    let (pipeline, store) = echo_pipeline().await;
    store.set_delay(Some(Duration::from_millis(100)));
    let (cancel, task) = b.start(pipeline);
    let ids: Vec<String> = (0..6).map(|n| format!("JHG305-2000{n}")).collect();
    for id in &ids {
        let bytes = fixture_with_id("JW305.xml", "JHG305-00231", id);
        b.publish_input(&bytes, input_properties(id, 1_783_000_000))
            .await;
    }
    let mut answered = Vec::new();
    within(30, "every echo", async {
        while answered.len() < ids.len() {
            match b.get(&out).await {
                Some(d) => {
                    answered.extend(d.properties.message_id().as_ref().map(|m| m.to_string()))
                }
                None => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    })
    .await;
    assert_eq!(store.max_in_flight(), 1, "one client: one at a time");
    let stored: Vec<String> = store
        .seen()
        .iter()
        .map(|s| s.identificatie.clone())
        .collect();
    assert_eq!(stored, ids, "judged in delivery order");
    stop(cancel, task).await;
    assert_eq!(b.count(&b.cfg.amqp.input_queue).await, 0);
}

/// With partitions the intake moves the input to the partition queues; an instance that owns
/// only partition 0 takes the others as a standby once nobody else did (with the standby off
/// this test times out: some of the input lands in partition 1); one relationship's messages
/// are judged in publish order.
#[tokio::test]
async fn partitions_take_the_input_in_order_and_a_standby_takes_the_rest() {
    let Some(mut b) = Broker::with("partitioned", |cfg| {
        cfg.amqp.partitions = 2;
        cfg.amqp.own_partitions = "0".into();
        cfg.amqp.standby_after = Duration::from_secs(1);
    })
    .await
    else {
        return;
    };
    let out = b.answers_queue().await;
    let (pipeline, store) = echo_pipeline().await;
    let (cancel, task) = b.start(pipeline);
    // eight providers (eight relationships: consistent hashing spreads them, and what lands in
    // partition 1 only the standby takes), then three messages of one relationship
    let mut ids = Vec::new();
    for n in 0..8u32 {
        let id = format!("JHG305-3000{n}");
        let text = String::from_utf8(other_client(n, &id)).unwrap();
        let bytes = text
            .replace("98076541", &format!("9807655{n}"))
            .into_bytes();
        b.publish_input(&bytes, input_properties(&id, 1_783_000_000))
            .await;
        ids.push(id);
    }
    let same: Vec<String> = (0..3).map(|n| format!("JHG305-4000{n}")).collect();
    for id in &same {
        let bytes = fixture_with_id("JW305.xml", "JHG305-00231", id);
        b.publish_input(&bytes, input_properties(id, 1_783_000_000))
            .await;
    }
    let mut missing: std::collections::BTreeSet<String> = ids
        .iter()
        .chain(&same)
        .map(|id| format!("ECHO-{id}"))
        .collect();
    within(60, "every echo", async {
        while !missing.is_empty() {
            match b.get(&out).await {
                Some(d) => {
                    if let Some(id) = d.properties.message_id() {
                        missing.remove(id.as_str());
                    }
                }
                None => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    })
    .await;
    let judged: Vec<String> = store
        .seen()
        .iter()
        .map(|s| s.identificatie.clone())
        .filter(|i| same.contains(i))
        .collect();
    assert_eq!(judged, same, "one relationship: in publish order");
    stop(cancel, task).await;
    for q in [
        b.cfg.amqp.input_queue.clone(),
        ijwmo::transport::partition::queue_name(&b.cfg.amqp, 0),
        ijwmo::transport::partition::queue_name(&b.cfg.amqp, 1),
    ] {
        assert_eq!(b.count(&q).await, 0, "{q} is empty");
    }
}

/// The 305 fixture about client `n` (its own BSN, passing the elfproef, and its own
/// allocation numbers) with identification `id`.
fn other_client(n: u32, id: &str) -> Vec<u8> {
    let text = String::from_utf8(fixture_with_id("JW305.xml", "JHG305-00231", id)).unwrap();
    // a BSN 99991…: the first prefix from client n's own range whose check digit exists
    let bsn = (0..10)
        .find_map(|m| {
            let prefix = 99_991_000 + n * 10 + m;
            let digits: Vec<u32> = prefix
                .to_string()
                .chars()
                .map(|c| c.to_digit(10).unwrap())
                .collect();
            let sum: u32 = digits.iter().zip((2..=9).rev()).map(|(d, w)| d * w).sum();
            (0..10)
                .find(|l| (sum + 121 - l) % 11 == 0)
                .map(|l| format!("{prefix}{l}"))
        })
        .expect("a BSN");
    assert!(text.contains("999912367"));
    text.replace("999912367", &bsn)
        .replace(
            "ToewijzingNummer>5132600",
            &format!("ToewijzingNummer>51326{n}0"),
        )
        .into_bytes()
}

/// The real store batches: deliveries that wait together are stored together, in one
/// transaction, and each is acked.
#[tokio::test]
async fn waiting_deliveries_are_stored_in_one_batch_and_all_acked() {
    let Some(mut b) = Broker::new("batched").await else {
        return;
    };
    b.cfg.amqp.prefetch = 8;
    b.cfg.amqp.batch_size = 8;
    let store = test_store().await;
    let pipeline = Arc::new(Pipeline::new(store.clone(), Settings { today: None }));
    // published before the service starts: all eight wait, so they form one batch
    for n in 0..8 {
        let id = format!("JHG305-2000{n}");
        let bytes = fixture_with_id("JW305.xml", "JHG305-00231", &id);
        b.publish_input(&bytes, input_properties(&id, 1_783_000_000))
            .await;
    }
    let (cancel, task) = b.start(pipeline);
    eventually(30, "all stored", || {
        let store = store.clone();
        async move { (store.counts().await.ok()?.messages == 8).then_some(()) }
    })
    .await;
    stop(cancel, task).await;
    assert_eq!(
        b.count(&b.cfg.amqp.input_queue).await,
        0,
        "every delivery acked"
    );
}

#[tokio::test]
async fn shutdown_finishes_in_flight_work_and_flushes_the_outbox() {
    let Some(mut b) = Broker::new("shutdown").await else {
        return;
    };
    let out = b.answers_queue().await;
    let (pipeline, store) = echo_pipeline().await;
    store.set_delay(Some(Duration::from_secs(2)));
    let (cancel, task) = b.start(pipeline);

    b.publish_input(
        &fixture("JW305.xml"),
        input_properties("in-1", 1_783_000_000),
    )
    .await;
    eventually(20, "processing started", || async {
        (store.attempts() >= 1).then_some(())
    })
    .await;
    assert_eq!(store.counts().await.unwrap().messages, 0, "still in flight");
    stop(cancel, task).await;
    assert_eq!(store.counts().await.unwrap().messages, 1, "finished");
    assert_eq!(
        b.count(&b.cfg.amqp.input_queue).await,
        0,
        "acked before closing"
    );
    let answer = b.wait_message(&out, "ECHO-JHG305-00231", 5).await;
    assert_eq!(
        answer.routing_key.as_str(),
        "gemeente.0513.jw305",
        "flushed at shutdown"
    );
    assert_eq!(store.counts().await.unwrap().outbox_unsent, 0);
}

#[tokio::test]
async fn the_service_reconnects_after_the_broker_closed_its_connection() {
    let Some(mut b) = Broker::new("reconnect").await else {
        return;
    };
    let out = b.answers_queue().await;
    let (pipeline, _store) = echo_pipeline().await;
    let (cancel, task) = b.start(pipeline);
    b.publish_input(
        &fixture("JW305.xml"),
        input_properties("in-1", 1_783_000_000),
    )
    .await;
    b.wait_message(&out, "ECHO-JHG305-00231", 20).await;

    let name = b.cfg.amqp.connection_name.clone();
    // rabbitmqctl starts an Erlang VM per call: slow on a busy machine
    let closed = within(
        180,
        "rabbitmqctl",
        tokio::task::spawn_blocking(move || close_connection(&name)),
    )
    .await
    .unwrap();
    if !closed {
        stop(cancel, task).await;
        // the reconnect is this test's point: without it nothing was checked
        support::services::unavailable(
            "rabbitmqctl",
            "cannot close the service's connection, so the reconnect was not tested",
        );
        return;
    }
    let second = fixture_with_id("JW305.xml", "JHG305-00231", "JHG305-00232");
    b.publish_input(&second, input_properties("in-2", 1_783_000_000))
        .await;
    b.wait_message(&out, "ECHO-JHG305-00232", 60).await;
    stop(cancel, task).await;
    assert_eq!(b.count(&b.cfg.amqp.input_queue).await, 0);
}

/// Closes the service's connection (found by its connection name) as a broker restart would.
fn close_connection(connection_name: &str) -> bool {
    let list = std::process::Command::new("rabbitmqctl")
        .args([
            "list_connections",
            "pid",
            "client_properties",
            "-q",
            "--no-table-headers",
        ])
        .output();
    let Ok(list) = list else { return false };
    if !list.status.success() {
        return false;
    }
    // one line per connection: `<rabbit@host.1.2.3>\t[{"capabilities",…},{"connection_name",…}]`
    let text = String::from_utf8_lossy(&list.stdout);
    let Some(pid) = text
        .lines()
        .filter(|l| l.contains(connection_name))
        .find_map(|l| l.split('\t').next())
        .map(str::to_string)
    else {
        return false;
    };
    std::process::Command::new("rabbitmqctl")
        .args(["close_connection", &pid, "test: simulated broker loss"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[tokio::test]
async fn shutdown_while_the_broker_is_unreachable_returns_promptly() {
    // no broker needed: nothing listens on port 1
    let mut cfg = Config::default();
    cfg.amqp.url = "amqp://guest:guest@127.0.0.1:1/%2f".into();
    cfg.amqp.reconnect_max = Duration::from_secs(1);
    cfg.amqp.publish_timeout = Duration::from_secs(2);
    let (pipeline, _store) = echo_pipeline().await;
    let cancel = CancellationToken::new();
    let task = {
        let token = cancel.clone();
        tokio::spawn(async move { amqp::serve(pipeline, &cfg, token).await })
    };
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(!task.is_finished(), "keeps retrying");
    cancel.cancel();
    within(10, "service stops", task).await.unwrap();
}

#[tokio::test]
async fn declared_topology_matches_the_deploy_definitions() {
    let defs: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/deploy/rabbitmq/definitions.json"
        ))
        .expect("deploy/rabbitmq/definitions.json"),
    )
    .expect("valid JSON");
    let cfg = Config::default().amqp;
    let find = |list: &str, name: &str| -> serde_json::Value {
        defs[list]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["name"] == name).cloned())
            .unwrap_or_else(|| panic!("{list} has no {name}"))
    };
    assert_eq!(find("exchanges", &cfg.input_exchange)["type"], "topic");
    assert_eq!(find("exchanges", &cfg.output_exchange)["type"], "topic");
    assert_eq!(
        find("exchanges", &cfg.dead_letter_exchange)["type"],
        "fanout"
    );
    let input = find("queues", &cfg.input_queue);
    assert_eq!(input["durable"], true);
    assert_eq!(input["arguments"]["x-queue-type"], cfg.queue_type.as_str());
    assert_eq!(
        input["arguments"]["x-dead-letter-exchange"],
        cfg.dead_letter_exchange.as_str()
    );
    let dead = find("queues", &cfg.dead_letter_queue);
    assert_eq!(dead["arguments"]["x-queue-type"], cfg.queue_type.as_str());
    let bindings = defs["bindings"].as_array().expect("bindings");
    let bound = |source: &str, dest: &str, key: &str| {
        bindings
            .iter()
            .any(|b| b["source"] == source && b["destination"] == dest && b["routing_key"] == key)
    };
    assert!(bound(&cfg.input_exchange, &cfg.input_queue, "#"));
    assert!(bound(&cfg.dead_letter_exchange, &cfg.dead_letter_queue, ""));
    // every example per-municipality and per-provider queue is bound on the output exchange
    for b in bindings
        .iter()
        .filter(|b| b["source"] == cfg.output_exchange.as_str())
    {
        let key = b["routing_key"].as_str().unwrap();
        assert!(
            key.starts_with("gemeente.") || key.starts_with("aanbieder."),
            "{key}"
        );
    }
}

/// Regression (issue 13, defect 1): a finding quoting a 135 KB value made the dead-letter
/// headers larger than the broker's frame; the broker closed the connection, the message came
/// back, and intake stalled forever. Now the poison message is dead-lettered once, with bounded
/// headers, while the messages around it are all stored.
#[tokio::test]
async fn a_poison_message_with_a_huge_value_is_dead_lettered_once_and_intake_goes_on() {
    use ijwmo::transport::dead_letter;
    let Some(mut b) = Broker::new("poison-header").await else {
        return;
    };
    let out = b.answers_queue().await;
    let (pipeline, store) = echo_pipeline().await;
    let (cancel, task) = b.start(pipeline);

    let poison = String::from_utf8(fixture("JW301.xml"))
        .unwrap()
        .replacen("2014-06-12", &"1".repeat(135_000), 1)
        .into_bytes();
    let normal = 40;
    for i in 0..normal {
        if i == normal / 2 {
            b.publish_input(&poison, input_properties("poison", 1_783_000_000))
                .await;
        }
        let m = fixture_with_id("JW305.xml", "JHG305-00231", &format!("P305-{i:04}"));
        b.publish_input(&m, input_properties(&format!("in-{i}"), 1_783_000_000))
            .await;
    }
    eventually(60, "every normal message stored", || async {
        (store.counts().await.unwrap().messages == normal).then_some(())
    })
    .await;
    let dead = b.wait_get(&b.cfg.amqp.dead_letter_queue, 20).await;
    assert_eq!(dead.data, poison);
    let headers = dead.properties.headers().clone().expect("headers");
    let size = dead_letter::table_len(&headers);
    assert!(
        size <= dead_letter::MAX_HEADERS_BYTES,
        "headers of {size} bytes"
    );
    assert_eq!(
        header(&dead, amqp::HEADER_RULE).as_deref(),
        Some("schema.date")
    );
    let findings = header(&dead, amqp::HEADER_FINDINGS).unwrap();
    assert!(findings.contains("135000 characters"), "{findings}");
    b.wait_message(&out, "ECHO-P305-0000", 10).await;
    stop(cancel, task).await;
    assert_eq!(
        b.count(&b.cfg.amqp.dead_letter_queue).await,
        0,
        "dead-lettered exactly once"
    );
    assert_eq!(b.count(&b.cfg.amqp.input_queue).await, 0);
}

/// Regression (issue 13, defect 6): AMQP timestamps of 1970, 2100 and the year 5138 were
/// accepted as receipt times. They are dead-lettered with the reason; a plausible one is judged.
#[tokio::test]
async fn a_receipt_time_out_of_bounds_is_dead_lettered_with_its_reason() {
    let Some(mut b) = Broker::new("receipt-time").await else {
        return;
    };
    let out = b.answers_queue().await;
    let (pipeline, store) = echo_pipeline().await;
    let (cancel, task) = b.start(pipeline);
    let far = 99_999_999_999u64; // seconds: the year 5138
    for (id, ts) in [("t-1970", 1u64), ("t-2100", 4_102_444_800), ("t-5138", far)] {
        let m = fixture_with_id("JW305.xml", "JHG305-00231", id);
        b.publish_input(&m, input_properties(id, ts)).await;
    }
    let ok = fixture_with_id("JW305.xml", "JHG305-00231", "t-ok");
    b.publish_input(&ok, input_properties("t-ok", 1_783_000_000))
        .await;
    b.wait_message(&out, "ECHO-t-ok", 20).await;
    let mut dead = Vec::new();
    for _ in 0..3 {
        let d = b.wait_get(&b.cfg.amqp.dead_letter_queue, 20).await;
        assert_eq!(
            header(&d, amqp::HEADER_RULE).as_deref(),
            Some("intake.receipt-time")
        );
        dead.push(d.properties.message_id().as_ref().unwrap().to_string());
    }
    dead.sort();
    assert_eq!(dead, ["t-1970", "t-2100", "t-5138"]);
    stop(cancel, task).await;
    assert_eq!(store.counts().await.unwrap().messages, 1);
}
