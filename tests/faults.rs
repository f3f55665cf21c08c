//! Fault tests: the real `ijwmo serve` binary as a child process against the real RabbitMQ
//! (127.0.0.1:5672, guest/guest; `IJWMO_TEST_AMQP_URL`) and PostgreSQL (127.0.0.1:5432, a fresh
//! database per scenario, dropped after; `IJWMO_TEST_POSTGRES`), with faults injected while it
//! works through a stream of messages:
//!
//! - `sigkill_mid_stream`: the daemon is killed (SIGKILL) and started again;
//! - `broker_restart_mid_stream`: RabbitMQ is restarted (`rabbitmqctl stop_app` / `start_app`);
//!   the daemon reconnects by itself;
//! - `database_restart_mid_stream`: PostgreSQL is restarted (`pg_ctlcluster … restart`); the
//!   daemon retries, loses nothing and dead-letters nothing;
//! - `poison_message_is_dead_lettered_and_the_daemon_goes_on`;
//! - `sigterm_while_busy_exits_cleanly_and_loses_nothing`;
//! - `bad_input_mixed_in_is_dead_lettered_and_the_rest_stored_once`: oversized and malicious
//!   messages (a 135 KB and 20 MB bad date, over the size limit, random bytes, entities, deep
//!   nesting, receipt times of 1970 and 2100) spread through the stream, at log level `info`:
//!   every good message stored exactly once, every bad one dead-lettered once with bounded
//!   headers, no BSN of the input in any log line, peak RSS under 200 MB.
//!
//! Each stream scenario proves, against a clean pass over the same input (computed once per
//! run, cached): every message is in the message log exactly once; the verdicts, the state
//! (allocations, deliveries, declarations, prestaties, …) and the outbox are exactly what the
//! clean pass produced (nothing doubled); nothing was dead-lettered; and every outbox message
//! reached a queue bound to the output exchange with `#` (at least once: duplicates are allowed,
//! gaps are not).
//!
//! The input: the 28 fixtures in story order (each awaited, so the story's verdicts do not
//! depend on concurrency), then distinct corpus JW323 declarations published as fast as the
//! broker confirms them. `IJWMO_FAULTS_COUNT` sets the total (default 10,000).
//!
//! The daemon is the release build of these sources, built by the first scenario with
//! `cargo build --release --bin ijwmo` (a no-op when it is up to date; the first time it
//! costs one release build): a debug daemon needs minutes per 10,000 messages.
//! `IJWMO_FAULTS_DAEMON=debug` runs this build's debug binary instead (pair it with a smaller
//! `IJWMO_FAULTS_COUNT`), `IJWMO_FAULTS_DAEMON=PATH` any other. Scenarios run one at a time (a
//! static lock): they restart servers that other tests use. Without RabbitMQ or PostgreSQL the
//! tests print a notice and pass, unless `IJWMO_REQUIRE_SERVICES=1`. `IJWMO_FAULTS_LOG=1` copies
//! the daemon's log to stderr at the end of each scenario (it is always shown when one fails);
//! `IJWMO_FAULTS_KEEP_LOGS=DIR` keeps every log whole; `IJWMO_FAULTS_DAEMON_LOG` sets the
//! daemon's log filter (default `warn`).

use futures_util::StreamExt;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions,
    ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::future::Future;
use std::io::{Read, Seek};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

// ---------------------------------------------------------------------------------------------
// Scenarios

/// One scenario at a time: they restart the servers every other scenario uses.
static SERIAL: Mutex<()> = Mutex::new(());

fn run(name: &str, scenario: impl FnOnce() -> std::pin::Pin<Box<dyn Future<Output = ()>>>) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let start = Instant::now();
    rt.block_on(scenario());
    eprintln!("faults: {name} took {:.1}s", start.elapsed().as_secs_f64());
}

#[test]
fn sigkill_mid_stream() {
    run("sigkill_mid_stream", || {
        Box::pin(stream_scenario("kill", Fault::Kill))
    });
}

#[test]
fn broker_restart_mid_stream() {
    run("broker_restart_mid_stream", || {
        Box::pin(stream_scenario("broker", Fault::BrokerRestart))
    });
}

#[test]
fn database_restart_mid_stream() {
    run("database_restart_mid_stream", || {
        Box::pin(stream_scenario("database", Fault::DatabaseRestart))
    });
}

#[test]
fn sigterm_while_busy_exits_cleanly_and_loses_nothing() {
    run("sigterm_while_busy", || {
        Box::pin(stream_scenario("sigterm", Fault::Term))
    });
}

#[test]
fn poison_message_is_dead_lettered_and_the_daemon_goes_on() {
    run("poison_message", || Box::pin(poison()));
}

#[test]
fn bad_input_mixed_in_is_dead_lettered_and_the_rest_stored_once() {
    run("bad_input_mixed_in", || Box::pin(bad_input_mixed_in()));
}

/// The oversized and malicious messages of [`bad_input_mixed_in`], each with the rule family
/// its dead letter must name.
fn bad_input() -> Vec<(Message, &'static str)> {
    let fixture = |name: &str| {
        std::fs::read_to_string(format!(
            "{}/fixtures/messages/{name}.xml",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("fixture")
    };
    let bad = |id: String, bytes: Vec<u8>, timestamp: Option<u64>| Message {
        id,
        routing_key: "aanbieder.bad.jw301".into(),
        bytes,
        story: false,
        timestamp,
    };
    let mut out = Vec::new();
    for i in 0..5 {
        let poison = fixture("JW301").replacen("2014-06-12", &"1".repeat(135_000), 1);
        out.push((
            bad(format!("bad-date-{i}"), poison.into_bytes(), None),
            "schema.date",
        ));
    }
    for i in 0..3 {
        let huge = fixture("JW301").replacen("2014-06-12", &"2".repeat(20 << 20), 1);
        out.push((
            bad(format!("bad-huge-{i}"), huge.into_bytes(), None),
            "schema.date",
        ));
    }
    for i in 0..2 {
        let over = vec![b' '; ijwmo::validate::MAX_MESSAGE_BYTES + 1];
        out.push((bad(format!("bad-oversize-{i}"), over, None), "OP179"));
    }
    for i in 0..5 {
        let random: Vec<u8> = (0..4096).map(|_| rand::random::<u8>()).collect();
        out.push((bad(format!("bad-random-{i}"), random, None), ""));
    }
    for i in 0..3 {
        let entities = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x \"xxxxxxxx\"><!ENTITY y \"&x;&x;&x;&x;\">]><a>&y;</a>";
        out.push((
            bad(
                format!("bad-entity-{i}"),
                entities.as_bytes().to_vec(),
                None,
            ),
            "xml.",
        ));
    }
    for i in 0..2 {
        let deep = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
        out.push((
            bad(format!("bad-deep-{i}"), deep.into_bytes(), None),
            "xml.",
        ));
    }
    for (i, ts) in [1u64, 4_102_444_800].into_iter().enumerate() {
        let m = fixture("JW305").replace("JHG305-00231", &format!("BAD-TS-{i}"));
        out.push((
            bad(format!("bad-time-{i}"), m.into_bytes(), Some(ts)),
            "intake.receipt-time",
        ));
    }
    out
}

async fn bad_input_mixed_in() {
    let Some(env) = Env::check(Fault::None).await else {
        return;
    };
    let db = TestDb::create(&env).await;
    let broker = Broker::new(&env, "bad-input").await;
    let collector = broker.bind_output("#").await;
    // the README's default level: the check covers every line the daemon writes by default
    std::env::set_var("IJWMO_FAULTS_DAEMON_LOG_DEFAULT", "info");
    let mut daemon = Daemon::start(&env, &db, &broker, "bad-input");
    std::env::remove_var("IJWMO_FAULTS_DAEMON_LOG_DEFAULT");
    let mut publisher = broker.publisher().await;
    let bad = bad_input();
    let good: Vec<&Message> = input().iter().filter(|m| !m.story).collect();
    let every = (good.len() / bad.len()).max(1);
    let mut bad_iter = bad.iter();
    for (n, m) in good.iter().enumerate() {
        if n % every == every / 2 {
            if let Some((b, _)) = bad_iter.next() {
                publisher.publish(&broker, b).await;
            }
        }
        publisher.publish(&broker, m).await;
    }
    for (b, _) in bad_iter {
        publisher.publish(&broker, b).await;
    }
    publisher.flush().await;
    drop(publisher);
    let total = good.len() as i64;
    let dead_queue = broker.cfg_dead_queue.clone();
    let input_queue = broker.cfg_input_queue.clone();
    let mut peak = 0u64;
    wait_until(
        900,
        "good stored, bad dead-lettered",
        &mut daemon,
        || async {
            db.count("messages").await == Some(total)
                && broker.depth(&dead_queue).await == Some(bad.len() as u32)
                && broker.depth(&input_queue).await == Some(0)
        },
    )
    .await;
    if let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", daemon.pid())) {
        peak = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024;
    }
    let status = daemon.terminate(Duration::from_secs(DAEMON_GRACE_SECS + 5));
    assert!(status.success(), "daemon exited with {status}");
    daemon.show_log_if_asked();

    // every good message exactly once
    let (rows, distinct) = db.log_rows().await;
    assert_eq!(
        (rows, distinct),
        (total, total),
        "message log rows, distinct"
    );
    // every bad one dead-lettered once, with bounded headers naming its rule
    let mut dead_ids = BTreeSet::new();
    for _ in 0..bad.len() {
        let d = broker.take_one(&dead_queue).await;
        let id = d
            .properties
            .message_id()
            .as_ref()
            .map(|m| m.to_string())
            .unwrap_or_default();
        let headers = d.properties.headers().clone().unwrap_or_default();
        let size = ijwmo::transport::dead_letter::table_len(&headers);
        assert!(
            size <= ijwmo::transport::dead_letter::MAX_HEADERS_BYTES,
            "{id}: {size} bytes of headers"
        );
        let rule = header(&d, "x-ijwmo-rule").unwrap_or_default();
        let want = bad
            .iter()
            .find(|(m, _)| m.id == id)
            .map(|(_, r)| *r)
            .unwrap_or("?");
        assert!(
            rule.starts_with(want),
            "{id}: rule {rule}, expected {want}…"
        );
        assert!(dead_ids.insert(id.clone()), "{id} dead-lettered twice");
    }
    assert_eq!(
        broker.depth(&dead_queue).await,
        Some(0),
        "dead-lettered once each"
    );
    // no BSN of the input in any log line
    let bsns: std::collections::HashSet<String> = input()
        .iter()
        .chain(bad.iter().map(|(m, _)| m))
        .flat_map(|m| ijwmo::logging::bsns_in(&String::from_utf8_lossy(&m.bytes)))
        .collect();
    assert!(!bsns.is_empty());
    let log = std::fs::read_to_string(&daemon.log).expect("daemon log");
    let lines = log.lines().count();
    for (n, line) in log.lines().enumerate() {
        if let Some(bsn) = ijwmo::logging::find_bsn(line, &bsns) {
            panic!("log line {} holds BSN {bsn}: {line}", n + 1);
        }
    }
    eprintln!(
        "faults: bad_input_mixed_in: {total} good stored once, {} bad dead-lettered, {lines} log lines without a BSN, peak RSS {} MB",
        bad.len(),
        peak >> 20
    );
    assert!(peak > 0 && peak < 200 << 20, "peak RSS {} MB", peak >> 20);
    let (received, _) = broker.drain(&collector).await;
    assert!(!received.is_empty(), "answers were published");
    broker.cleanup().await;
    db.drop_db().await;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    Kill,
    BrokerRestart,
    DatabaseRestart,
    Term,
}

/// What a pass over the input left behind; the fault scenarios must leave exactly this.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    /// (kind, sender, identificatie) → (verdict, retour codes)
    verdicts: BTreeMap<(String, String, String), (String, Vec<String>)>,
    /// table → rows
    counts: BTreeMap<String, i64>,
    /// (identificatie, routing key) of every outbox row
    outbox: BTreeSet<(String, String)>,
}

/// The clean pass, computed by the first scenario that needs it.
static REFERENCE: OnceLock<Outcome> = OnceLock::new();

async fn reference(env: &Env) -> Option<Outcome> {
    if let Some(r) = REFERENCE.get() {
        return Some(r.clone());
    }
    let start = Instant::now();
    let outcome = Box::pin(stream_pass(env, "reference", Fault::None)).await?;
    eprintln!(
        "faults: clean reference pass over {} messages took {:.1}s",
        input().len(),
        start.elapsed().as_secs_f64()
    );
    let _ = REFERENCE.set(outcome.clone());
    Some(outcome)
}

async fn stream_scenario(name: &str, fault: Fault) {
    let Some(env) = Env::check(fault).await else {
        return;
    };
    let Some(expected) = reference(&env).await else {
        return;
    };
    let start = Instant::now();
    let Some(got) = stream_pass(&env, name, fault).await else {
        return;
    };
    eprintln!(
        "faults: {name}: {} messages with fault {fault:?} in {:.1}s",
        input().len(),
        start.elapsed().as_secs_f64()
    );
    assert_eq!(
        got.counts, expected.counts,
        "state differs from a clean pass"
    );
    if got.verdicts != expected.verdicts {
        let diff: Vec<_> = got
            .verdicts
            .iter()
            .filter(|(k, v)| expected.verdicts.get(*k) != Some(*v))
            .take(10)
            .collect();
        panic!("verdicts differ from a clean pass, e.g. {diff:?}");
    }
    assert_eq!(
        got.outbox, expected.outbox,
        "outbox differs from a clean pass"
    );
}

/// Starts a daemon on a fresh database and fresh broker objects, feeds it the input, injects
/// `fault` once a third of it is stored, recovers, waits until everything is stored and
/// published, stops the daemon with SIGTERM and checks the invariants that hold for any pass.
async fn stream_pass(env: &Env, name: &str, fault: Fault) -> Option<Outcome> {
    let db = TestDb::create(env).await;
    let broker = Broker::new(env, name).await;
    let collector = broker.bind_output("#").await;
    let mut daemon = Daemon::start(env, &db, &broker, name);
    let total = input().len() as i64;

    // the fixtures' story in order, each stored before the next is sent
    let mut publisher = broker.publisher().await;
    let story = input().iter().take_while(|m| m.story);
    for (n, m) in story.enumerate() {
        publisher.publish(&broker, m).await;
        publisher.flush().await;
        let want = n as i64 + 1;
        wait_until(60, &format!("{} stored", m.id), &mut daemon, || async {
            db.count("messages").await.is_some_and(|c| c >= want)
        })
        .await;
    }
    // the rest as fast as the broker takes it
    let bulk_start = Instant::now();
    for m in input().iter().filter(|m| !m.story) {
        publisher.publish(&broker, m).await;
    }
    publisher.flush().await;
    drop(publisher);
    eprintln!(
        "faults: {name}: published {total} messages ({:.1}s for the bulk)",
        bulk_start.elapsed().as_secs_f64()
    );

    if fault != Fault::None {
        let at = total / 3;
        wait_until(300, &format!("{at} stored"), &mut daemon, || async {
            db.count("messages").await.is_some_and(|c| c >= at)
        })
        .await;
        let stored = db.count("messages").await.unwrap_or(-1);
        let t = Instant::now();
        match fault {
            Fault::None => {}
            Fault::Kill => {
                daemon.kill();
                daemon = Daemon::start(env, &db, &broker, name);
            }
            Fault::Term => {
                let grace = Duration::from_secs(DAEMON_GRACE_SECS);
                let status = daemon.terminate(grace + Duration::from_secs(5));
                assert!(status.success(), "SIGTERM: daemon exited with {status}");
                assert!(
                    t.elapsed() <= grace + Duration::from_secs(2),
                    "SIGTERM: took {:?}, grace is {grace:?}",
                    t.elapsed()
                );
                let after = db.count("messages").await.unwrap_or(-1);
                assert!(
                    after < total,
                    "the daemon finished everything before SIGTERM; nothing was tested"
                );
                daemon = Daemon::start(env, &db, &broker, name);
            }
            Fault::BrokerRestart => {
                broker.disconnect().await;
                sh("rabbitmqctl", &["stop_app"]);
                std::thread::sleep(Duration::from_secs(1));
                sh("rabbitmqctl", &["start_app"]);
                sh("rabbitmqctl", &["await_startup"]);
                broker.reconnect().await;
            }
            Fault::DatabaseRestart => {
                let version = postgres_version();
                sh(
                    "pg_ctlcluster",
                    &["--skip-systemctl-redirect", &version, "main", "restart"],
                );
                wait_until(60, "PostgreSQL back", &mut daemon, || async {
                    db.count("messages").await.is_some()
                })
                .await;
            }
        }
        eprintln!(
            "faults: {name}: {fault:?} after {stored} of {total} stored, recovered in {:.1}s",
            t.elapsed().as_secs_f64()
        );
    }

    // everything stored, nothing waiting in the input queue, nothing unsent
    let input_queue = broker.cfg_input_queue.clone();
    wait_until(600, "all stored and published", &mut daemon, || async {
        db.count("messages").await == Some(total)
            && db.unsent().await == Some(0)
            && broker.depth(&input_queue).await == Some(0)
    })
    .await;
    if fault == Fault::Kill {
        // the deliveries the killed daemon held came back marked redelivered
        let redelivered = daemon.metric("ijwmo_redeliveries_total");
        assert!(
            redelivered.is_some_and(|n| n >= 1.0),
            "/metrics after SIGKILL: ijwmo_redeliveries_total {redelivered:?}"
        );
    }
    let stored = daemon.metric("ijwmo_messages_total");
    assert!(
        stored.is_some_and(|n| n >= 1.0),
        "/metrics: ijwmo_messages_total {stored:?}"
    );
    let status = daemon.terminate(Duration::from_secs(DAEMON_GRACE_SECS + 5));
    assert!(status.success(), "daemon exited with {status}");
    daemon.show_log_if_asked();

    // exactly once in the message log
    let (rows, distinct) = db.log_rows().await;
    assert_eq!(rows, total, "message log rows");
    assert_eq!(distinct, total, "distinct (sender, kind, identificatie)");
    // nothing dead-lettered
    assert_eq!(
        broker.depth(&broker.cfg_dead_queue).await,
        Some(0),
        "dead letters"
    );
    // every outbox message reached the output exchange (at least once)
    let outcome = db.outcome().await;
    let published: BTreeSet<String> = outcome.outbox.iter().map(|(id, _)| id.clone()).collect();
    let (received, copies) = broker.drain(&collector).await;
    let missing: Vec<_> = published.difference(&received).take(10).collect();
    assert!(
        missing.is_empty(),
        "{} outbox messages never arrived, e.g. {missing:?}",
        published.difference(&received).count()
    );
    let unknown: Vec<_> = received.difference(&published).take(10).collect();
    assert!(
        unknown.is_empty(),
        "messages not in the outbox: {unknown:?}"
    );
    let rows = outcome.counts["outbox"] as usize;
    assert!(copies >= rows, "{copies} arrived for {rows} outbox rows");
    eprintln!(
        "faults: {name}: {rows} outbox rows, {copies} arrived ({} extra copies: at least once)",
        copies - rows
    );
    broker.cleanup().await;
    db.drop_db().await;
    Some(outcome)
}

async fn poison() {
    let Some(env) = Env::check(Fault::None).await else {
        return;
    };
    let db = TestDb::create(&env).await;
    let broker = Broker::new(&env, "poison").await;
    let collector = broker.bind_output("#").await;
    let mut daemon = Daemon::start(&env, &db, &broker, "poison");
    let mut publisher = broker.publisher().await;

    let random: Vec<u8> = (0..2048).map(|_| rand::random::<u8>()).collect();
    let poison = Message {
        id: "poison-1".into(),
        routing_key: "aanbieder.98076541.jw305".into(),
        bytes: random,
        story: false,
        timestamp: None,
    };
    publisher.publish(&broker, &poison).await;
    let next = &input()[0];
    publisher.publish(&broker, next).await;
    publisher.flush().await;

    wait_until(60, "the next message stored", &mut daemon, || async {
        db.count("messages").await == Some(1)
    })
    .await;
    let dead_queue = broker.cfg_dead_queue.clone();
    wait_until(
        60,
        "the poison message dead-lettered",
        &mut daemon,
        || async { broker.depth(&dead_queue).await == Some(1) },
    )
    .await;
    let dead = broker.take_one(&dead_queue).await;
    assert_eq!(dead.data, poison.bytes, "the original body");
    assert_eq!(
        dead.properties.message_id().as_ref().map(|m| m.as_str()),
        Some("poison-1")
    );
    let reason = header(&dead, "x-ijwmo-reason").expect("x-ijwmo-reason");
    let rule = header(&dead, "x-ijwmo-rule").expect("x-ijwmo-rule");
    assert!(rule.starts_with("xml.") || rule == "OP192", "rule {rule}");
    assert!(reason.starts_with(&rule), "reason {reason}");
    // and the daemon keeps going: the next message was answered
    wait_until(60, "the answer published", &mut daemon, || async {
        db.unsent().await == Some(0)
    })
    .await;
    let dead = daemon.metric("ijwmo_dead_letters_total");
    assert_eq!(dead, Some(1.0), "/metrics: ijwmo_dead_letters_total");
    let status = daemon.terminate(Duration::from_secs(DAEMON_GRACE_SECS + 5));
    assert!(status.success(), "daemon exited with {status}");
    let (received, _) = broker.drain(&collector).await;
    let outcome = db.outcome().await;
    let published: BTreeSet<String> = outcome.outbox.iter().map(|(id, _)| id.clone()).collect();
    assert!(!published.is_empty());
    assert_eq!(received, published);
    drop(publisher);
    broker.cleanup().await;
    db.drop_db().await;
}

// ---------------------------------------------------------------------------------------------
// Input

#[derive(Debug, Clone)]
struct Message {
    id: String,
    routing_key: String,
    bytes: Vec<u8>,
    /// A fixture: published in order, each stored before the next.
    story: bool,
    /// The AMQP `timestamp` (receipt time); `None`: now.
    timestamp: Option<u64>,
}

const STORY: [&str; 28] = [
    "JW315", "JW316", "JW301", "JW302", "JW305", "JW306", "JW307", "JW308", "JW317", "JW318",
    "JW319", "JW320", "JW323", "JW325", "WMO315", "WMO316", "WMO301", "WMO302", "WMO305", "WMO306",
    "WMO307", "WMO308", "WMO317", "WMO318", "WMO319", "WMO320", "WMO323", "WMO325",
];

fn count() -> usize {
    std::env::var("IJWMO_FAULTS_COUNT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000)
        .max(STORY.len() + 10)
}

fn input() -> &'static [Message] {
    static INPUT: OnceLock<Vec<Message>> = OnceLock::new();
    INPUT.get_or_init(|| {
        let mut out: Vec<Message> = STORY
            .iter()
            .map(|name| Message {
                id: name.to_string(),
                routing_key: format!("story.{}", name.to_lowercase()),
                bytes: std::fs::read(format!(
                    "{}/fixtures/messages/{name}.xml",
                    env!("CARGO_MANIFEST_DIR")
                ))
                .expect("fixture"),
                story: true,
                timestamp: None,
            })
            .collect();
        let corpus = ijwmo::corpus::jw323_declarations(count() - STORY.len(), 20_261_125, 0);
        out.extend(corpus.into_iter().map(|f| Message {
            id: f.name.clone(),
            routing_key: "aanbieder.corpus.jw323".into(),
            bytes: f.xml.into_bytes(),
            story: false,
            timestamp: None,
        }));
        out
    })
}

// ---------------------------------------------------------------------------------------------
// Environment

/// The shutdown grace the daemon runs with.
const DAEMON_GRACE_SECS: u64 = 15;

struct Env {
    amqp_url: String,
    pg_server: String,
    admin: PgPool,
}

#[path = "support/services.rs"]
mod services;

/// A missing server fails the test unless `IJWMO_REQUIRE_SERVICES=0` says to skip knowingly.
fn skip(why: String) -> Option<Env> {
    services::unavailable("fault suite", &why);
    None
}

impl Env {
    /// The servers, or `None` (with a notice) when one is missing.
    async fn check(fault: Fault) -> Option<Env> {
        let amqp_url = std::env::var("IJWMO_TEST_AMQP_URL")
            .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
        let pg_server = std::env::var("IJWMO_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string());
        match tokio::time::timeout(
            Duration::from_secs(5),
            Connection::connect(&amqp_url, ConnectionProperties::default()),
        )
        .await
        {
            Ok(Ok(c)) => {
                let _ = c.close(200, "probe".into()).await;
            }
            Ok(Err(e)) => return skip(format!("no RabbitMQ: {e}")),
            Err(_) => return skip("no RabbitMQ: connect timed out".into()),
        }
        let admin = match PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&format!("{pg_server}/postgres"))
            .await
        {
            Ok(a) => a,
            Err(e) => return skip(format!("no PostgreSQL at {pg_server}: {e}")),
        };
        let tool = match fault {
            Fault::BrokerRestart => Some("rabbitmqctl"),
            Fault::DatabaseRestart => Some("pg_ctlcluster"),
            _ => None,
        };
        if let Some(tool) = tool {
            let found = Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !found {
                return skip(format!("{tool} not found: cannot restart the server"));
            }
        }
        Some(Env {
            amqp_url,
            pg_server,
            admin,
        })
    }
}

fn postgres_version() -> String {
    let mut versions: Vec<String> = std::fs::read_dir("/etc/postgresql")
        .expect("/etc/postgresql")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    versions.sort();
    versions.into_iter().next().expect("a PostgreSQL cluster")
}

/// Runs a server-control command (bounded by `timeout`), panicking when it fails.
fn sh(program: &str, args: &[&str]) {
    let out = Command::new("timeout")
        .arg("120")
        .arg(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Polls `check` every 100 ms for at most `secs`; panics (with the daemon's log) on timeout or
/// when the daemon died.
async fn wait_until<F, Fut>(secs: u64, what: &str, daemon: &mut Daemon, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if check().await {
            return;
        }
        if let Some(status) = daemon.exited() {
            panic!("waiting for {what}: the daemon exited with {status}");
        }
        if Instant::now() > deadline {
            panic!("timed out after {secs}s waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

struct TestDb {
    name: String,
    url: String,
    admin: PgPool,
    pool: PgPool,
}

impl TestDb {
    async fn create(env: &Env) -> TestDb {
        let name = format!("ijwmo_faults_{:016x}", rand::random::<u64>());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&env.admin)
            .await
            .expect("create test database");
        let url = format!("{}/{name}", env.pg_server);
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(2))
            .connect_lazy(&url)
            .expect("pool");
        TestDb {
            name,
            url,
            admin: env.admin.clone(),
            pool,
        }
    }

    /// Rows in `table`; `None` while the database is unreachable or not yet migrated.
    async fn count(&self, table: &str) -> Option<i64> {
        let q = format!("SELECT count(*) FROM {table}");
        tokio::time::timeout(
            Duration::from_secs(5),
            sqlx::query_scalar::<_, i64>(&q).fetch_one(&self.pool),
        )
        .await
        .ok()?
        .ok()
    }

    async fn unsent(&self) -> Option<i64> {
        self.count("outbox WHERE sent_at IS NULL").await
    }

    async fn log_rows(&self) -> (i64, i64) {
        let r = sqlx::query(
            "SELECT count(*) AS n, count(DISTINCT (sender, kind, identificatie)) AS d FROM messages",
        )
        .fetch_one(&self.pool)
        .await
        .expect("count the message log");
        (r.get("n"), r.get("d"))
    }

    async fn outcome(&self) -> Outcome {
        let rows =
            sqlx::query("SELECT kind, sender, identificatie, verdict, retour_codes FROM messages")
                .fetch_all(&self.pool)
                .await
                .expect("read the message log");
        let verdicts = rows
            .iter()
            .map(|r| {
                let mut codes: Vec<String> = r.get("retour_codes");
                codes.sort();
                (
                    (r.get("kind"), r.get("sender"), r.get("identificatie")),
                    (r.get("verdict"), codes),
                )
            })
            .collect();
        let mut counts = BTreeMap::new();
        for table in [
            "messages",
            "toewijzingen",
            "leveringen",
            "verzoeken",
            "antwoorden",
            "declaraties",
            "prestaties",
            "outbox",
        ] {
            counts.insert(table.to_string(), self.count(table).await.expect("count"));
        }
        let rows = sqlx::query("SELECT identificatie, routing_key FROM outbox")
            .fetch_all(&self.pool)
            .await
            .expect("read the outbox");
        let outbox = rows
            .iter()
            .map(|r| (r.get("identificatie"), r.get("routing_key")))
            .collect();
        Outcome {
            verdicts,
            counts,
            outbox,
        }
    }

    async fn drop_db(self) {
        self.pool.close().await;
        let _ = sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&self.admin)
        .await;
    }
}

// ---------------------------------------------------------------------------------------------
// RabbitMQ

struct Broker {
    url: String,
    id: String,
    /// The test's own connection and a channel on it; replaced when the broker restarted.
    link: tokio::sync::Mutex<Option<(Arc<Connection>, Channel)>>,
    cfg_input_exchange: String,
    cfg_input_queue: String,
    cfg_output_exchange: String,
    cfg_dead_exchange: String,
    cfg_dead_queue: String,
    queues: Mutex<Vec<String>>,
}

async fn within<T>(secs: u64, what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .unwrap_or_else(|_| panic!("timed out after {secs}s: {what}"))
}

impl Broker {
    async fn new(env: &Env, scenario: &str) -> Broker {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let id = format!("ijwmo-faults.{scenario}.{}.{nanos}", std::process::id());
        let b = Broker {
            url: env.amqp_url.clone(),
            cfg_input_exchange: format!("{id}.in-x"),
            cfg_input_queue: format!("{id}.in"),
            cfg_output_exchange: format!("{id}.out"),
            cfg_dead_exchange: format!("{id}.dlx"),
            cfg_dead_queue: format!("{id}.dead"),
            id,
            link: tokio::sync::Mutex::new(None),
            queues: Mutex::new(Vec::new()),
        };
        b.reconnect().await;
        // the declarations the daemon makes, so input routes before it connects
        let mut cfg = ijwmo::config::AmqpConfig::default();
        b.fill(&mut cfg);
        let ch = b.channel().await;
        within(
            10,
            "topology",
            ijwmo::transport::amqp::declare_topology(&ch, &cfg),
        )
        .await
        .expect("declare the topology");
        b
    }

    fn fill(&self, cfg: &mut ijwmo::config::AmqpConfig) {
        cfg.url = self.url.clone();
        cfg.connection_name = self.id.clone();
        cfg.input_exchange = self.cfg_input_exchange.clone();
        cfg.input_queue = self.cfg_input_queue.clone();
        cfg.output_exchange = self.cfg_output_exchange.clone();
        cfg.dead_letter_exchange = self.cfg_dead_exchange.clone();
        cfg.dead_letter_queue = self.cfg_dead_queue.clone();
    }

    async fn channel(&self) -> Channel {
        self.link
            .lock()
            .await
            .as_ref()
            .expect("connected")
            .1
            .clone()
    }

    async fn connection(&self) -> Arc<Connection> {
        self.link
            .lock()
            .await
            .as_ref()
            .expect("connected")
            .0
            .clone()
    }

    async fn disconnect(&self) {
        if let Some((c, _)) = self.link.lock().await.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), c.close(200, "bye".into())).await;
        }
    }

    /// (Re)connects, retrying for up to a minute (the broker may be starting).
    async fn reconnect(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let attempt = async {
                let conn = Connection::connect(&self.url, ConnectionProperties::default()).await?;
                let channel = conn.create_channel().await?;
                Ok::<_, lapin::Error>((conn, channel))
            };
            match tokio::time::timeout(Duration::from_secs(5), attempt).await {
                Ok(Ok((conn, channel))) => {
                    *self.link.lock().await = Some((Arc::new(conn), channel));
                    return;
                }
                other if Instant::now() > deadline => panic!("cannot reconnect: {other:?}"),
                _ => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        }
    }

    /// A durable classic queue bound to the output exchange with `pattern`.
    async fn bind_output(&self, pattern: &str) -> String {
        let name = format!("{}.collect{}", self.id, self.queues.lock().unwrap().len());
        let ch = self.channel().await;
        within(
            10,
            "declare",
            ch.queue_declare(
                name.as_str().into(),
                QueueDeclareOptions::durable(),
                FieldTable::default(),
            ),
        )
        .await
        .expect("declare a collector queue");
        within(
            10,
            "bind",
            ch.queue_bind(
                name.as_str().into(),
                self.cfg_output_exchange.as_str().into(),
                pattern.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            ),
        )
        .await
        .expect("bind a collector queue");
        self.queues.lock().unwrap().push(name.clone());
        name
    }

    async fn publisher(&self) -> Publisher {
        let conn = self.connection().await;
        let channel = within(10, "channel", conn.create_channel())
            .await
            .expect("channel");
        within(
            10,
            "confirm mode",
            channel.confirm_select(ConfirmSelectOptions::default()),
        )
        .await
        .expect("confirm mode");
        Publisher {
            channel,
            pending: VecDeque::new(),
        }
    }

    /// Ready messages in `queue`; `None` while the broker is unreachable.
    async fn depth(&self, queue: &str) -> Option<u32> {
        let conn = {
            let mut link = self.link.lock().await;
            if link.as_ref().is_none_or(|(c, _)| !c.status().connected()) {
                let attempt = async {
                    let conn =
                        Connection::connect(&self.url, ConnectionProperties::default()).await?;
                    let channel = conn.create_channel().await?;
                    Ok::<_, lapin::Error>((Arc::new(conn), channel))
                };
                *link = Some(
                    tokio::time::timeout(Duration::from_secs(3), attempt)
                        .await
                        .ok()?
                        .ok()?,
                );
            }
            link.as_ref()?.0.clone()
        };
        let ch = tokio::time::timeout(Duration::from_secs(3), conn.create_channel())
            .await
            .ok()?
            .ok()?;
        let q = tokio::time::timeout(
            Duration::from_secs(3),
            ch.queue_declare(
                queue.into(),
                QueueDeclareOptions::default().passive(),
                FieldTable::default(),
            ),
        )
        .await
        .ok()?
        .ok()?;
        let _ = ch.close(200, "done".into()).await;
        Some(q.message_count())
    }

    /// Takes every message in `queue`: the distinct message ids and how many arrived.
    async fn drain(&self, queue: &str) -> (BTreeSet<String>, usize) {
        let want = self.depth(queue).await.expect("collector depth") as usize;
        let ch = within(10, "channel", self.connection().await.create_channel())
            .await
            .unwrap();
        within(10, "qos", ch.basic_qos(1000, BasicQosOptions::default()))
            .await
            .unwrap();
        let mut consumer = within(
            10,
            "consume",
            ch.basic_consume(
                queue.into(),
                "".into(),
                BasicConsumeOptions {
                    no_ack: true,
                    ..BasicConsumeOptions::default()
                },
                FieldTable::default(),
            ),
        )
        .await
        .unwrap();
        let mut ids = BTreeSet::new();
        for n in 0..want {
            let d = within(
                30,
                &format!("collected message {n} of {want}"),
                consumer.next(),
            )
            .await
            .expect("consumer ended")
            .expect("delivery");
            let id = d
                .properties
                .message_id()
                .as_ref()
                .map(|m| m.to_string())
                .unwrap_or_default();
            ids.insert(id);
        }
        let _ = ch.close(200, "done".into()).await;
        (ids, want)
    }

    async fn take_one(&self, queue: &str) -> lapin::message::Delivery {
        let ch = within(10, "channel", self.connection().await.create_channel())
            .await
            .unwrap();
        let got = within(
            10,
            "basic.get",
            ch.basic_get(
                queue.into(),
                lapin::options::BasicGetOptions { no_ack: true },
            ),
        )
        .await
        .unwrap()
        .expect("a message");
        got.delivery
    }

    async fn cleanup(&self) {
        if self.depth(&self.cfg_input_queue).await.is_none() {
            return;
        }
        let ch = self.channel().await;
        let mut queues = self.queues.lock().unwrap().clone();
        queues.push(self.cfg_input_queue.clone());
        queues.push(self.cfg_dead_queue.clone());
        for q in queues {
            let _ = tokio::time::timeout(
                Duration::from_secs(5),
                ch.queue_delete(q.as_str().into(), QueueDeleteOptions::default()),
            )
            .await;
        }
        for x in [
            &self.cfg_input_exchange,
            &self.cfg_output_exchange,
            &self.cfg_dead_exchange,
        ] {
            let _ = tokio::time::timeout(
                Duration::from_secs(5),
                ch.exchange_delete(x.as_str().into(), ExchangeDeleteOptions::default()),
            )
            .await;
        }
        self.disconnect().await;
    }
}

fn header(d: &lapin::message::Delivery, name: &str) -> Option<String> {
    match d.properties.headers().as_ref()?.inner().get(name)? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.to_string()),
        other => Some(format!("{other:?}")),
    }
}

/// Publishes input with confirms, up to `WINDOW` unconfirmed at a time.
struct Publisher {
    channel: Channel,
    pending: VecDeque<(String, lapin::PublisherConfirm)>,
}

const WINDOW: usize = 500;

impl Publisher {
    async fn publish(&mut self, broker: &Broker, m: &Message) {
        let timestamp = m.timestamp.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs()
        });
        let props = BasicProperties::default()
            .with_message_id(m.id.as_str().into())
            .with_content_type("application/xml".into())
            .with_delivery_mode(2)
            .with_timestamp(timestamp);
        let confirm = within(
            10,
            "publish",
            self.channel.basic_publish(
                broker.cfg_input_exchange.as_str().into(),
                m.routing_key.as_str().into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                &m.bytes,
                props,
            ),
        )
        .await
        .expect("publish input");
        self.pending.push_back((m.id.clone(), confirm));
        while self.pending.len() > WINDOW {
            self.confirm_one().await;
        }
    }

    async fn confirm_one(&mut self) {
        if let Some((id, confirm)) = self.pending.pop_front() {
            let c = within(30, "input confirm", confirm)
                .await
                .expect("input confirm");
            assert!(c.is_ack(), "{id}: input nacked");
            assert!(c.take_message().is_none(), "{id}: input not routed");
        }
    }

    async fn flush(&mut self) {
        while !self.pending.is_empty() {
            self.confirm_one().await;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The daemon

struct Daemon {
    child: Option<Child>,
    /// Its HTTP listener (`/metrics`), a free port chosen at each start.
    http_port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

/// The daemon under test: the release build of these sources (built here: cargo rebuilds it
/// only when a source changed), because 10,000 messages take minutes per pass in a debug
/// build. `IJWMO_FAULTS_DAEMON=debug` runs this build's binary instead (use it with a smaller
/// `IJWMO_FAULTS_COUNT`), `IJWMO_FAULTS_DAEMON=PATH` any other.
fn daemon_binary() -> PathBuf {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY
        .get_or_init(|| match std::env::var("IJWMO_FAULTS_DAEMON").as_deref() {
            Ok("debug") => PathBuf::from(env!("CARGO_BIN_EXE_ijwmo")),
            Ok(path) if !path.is_empty() => PathBuf::from(path),
            _ => build_release(),
        })
        .clone()
}

fn build_release() -> PathBuf {
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target folder")
        .to_path_buf();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let start = Instant::now();
    let out = Command::new("timeout")
        .arg("1800")
        .arg(cargo)
        .args(["build", "--release", "--bin", "ijwmo", "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("run cargo build --release");
    assert!(
        out.status.success(),
        "cargo build --release: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "faults: release daemon ready in {:.1}s",
        start.elapsed().as_secs_f64()
    );
    target.join("release/ijwmo")
}

impl Daemon {
    fn start(env: &Env, db: &TestDb, broker: &Broker, name: &str) -> Daemon {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join(format!("{name}.log"));
        let mut d = Daemon {
            child: None,
            http_port: 0,
            log,
            _dir: dir,
        };
        d.spawn(env, db, broker);
        d
    }

    fn spawn(&mut self, env: &Env, db: &TestDb, broker: &Broker) {
        let mut cfg = ijwmo::config::AmqpConfig::default();
        broker.fill(&mut cfg);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let mut c = Command::new(daemon_binary());
        for (k, _) in std::env::vars() {
            if k.starts_with("IJWMO_") {
                c.env_remove(k);
            }
        }
        let _ = env;
        self.http_port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        c.arg("serve")
            .env("IJWMO_HTTP_LISTEN", format!("127.0.0.1:{}", self.http_port))
            .env("IJWMO_TRANSPORT", "amqp")
            .env("IJWMO_STORE_URL", &db.url)
            .env("IJWMO_AMQP_URL", &cfg.url)
            .env("IJWMO_AMQP_CONNECTION_NAME", &cfg.connection_name)
            .env("IJWMO_AMQP_INPUT_EXCHANGE", &cfg.input_exchange)
            .env("IJWMO_AMQP_INPUT_QUEUE", &cfg.input_queue)
            .env("IJWMO_AMQP_OUTPUT_EXCHANGE", &cfg.output_exchange)
            .env("IJWMO_AMQP_DEAD_LETTER_EXCHANGE", &cfg.dead_letter_exchange)
            .env("IJWMO_AMQP_DEAD_LETTER_QUEUE", &cfg.dead_letter_queue)
            .env("IJWMO_AMQP_RECONNECT_MAX", "1s")
            .env("IJWMO_AMQP_PUBLISH_TIMEOUT", "10s")
            .env("IJWMO_OUTBOX_INTERVAL", "100ms")
            .env("IJWMO_OUTBOX_CLAIM_TIMEOUT", "5s")
            .env("IJWMO_SHUTDOWN_GRACE", format!("{DAEMON_GRACE_SECS}s"))
            .env(
                "IJWMO_LOG",
                std::env::var("IJWMO_FAULTS_DAEMON_LOG")
                    .or_else(|_| std::env::var("IJWMO_FAULTS_DAEMON_LOG_DEFAULT"))
                    .unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file);
        self.child = Some(c.spawn().expect("start ijwmo serve"));
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    fn exited(&mut self) -> Option<ExitStatus> {
        self.child.as_mut()?.try_wait().ok().flatten()
    }

    /// The sum of every series of a metric in the daemon's `/metrics` (None: no answer).
    fn metric(&self, name: &str) -> Option<f64> {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.http_port)).ok()?;
        s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .ok()?;
        let mut text = String::new();
        s.read_to_string(&mut text).ok()?;
        Some(
            text.lines()
                .filter(|l| l.starts_with(name) && l[name.len()..].starts_with([' ', '{']))
                .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .sum(),
        )
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill(); // SIGKILL
            let _ = c.wait();
        }
    }

    /// SIGTERM, then waits up to `limit` for the exit (SIGKILL after that, and a panic).
    fn terminate(&mut self, limit: Duration) -> ExitStatus {
        let pid = self.pid();
        let sent = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill -TERM");
        assert!(sent.success());
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.exited() {
                self.child = None;
                return status;
            }
            if Instant::now() > deadline {
                self.kill();
                panic!("the daemon did not stop within {limit:?} of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_tail(&self, lines: usize) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            let _ = f.seek(std::io::SeekFrom::Start(len.saturating_sub(64 * 1024)));
            let _ = f.read_to_string(&mut text);
        }
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    fn show_log_if_asked(&self) {
        if let Some(dir) = std::env::var_os("IJWMO_FAULTS_KEEP_LOGS") {
            let to = PathBuf::from(dir).join(self.log.file_name().unwrap());
            let _ = std::fs::copy(&self.log, to);
        }
        if std::env::var_os("IJWMO_FAULTS_LOG").is_some() {
            eprintln!(
                "--- daemon log ({}) ---\n{}",
                self.log.display(),
                self.log_tail(200)
            );
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- daemon log (last lines) ---\n{}", self.log_tail(80));
        }
        self.kill();
    }
}
