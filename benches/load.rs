//! Load benchmark of `ijwmo serve` (not a timed test): run through `benches/load.sh`.
//!
//! In one run, on the real RabbitMQ and PostgreSQL:
//!
//! 1. **baseline**: the raw broker — the same messages published (persistent, confirmed) to a
//!    queue of the same type, consumed and acked one by one with no work, at the same prefetch;
//! 2. **throughput**: the release daemon on a fresh database; all messages are published as
//!    fast as the broker confirms them; measured from the first publish until every message is
//!    committed in the store and acknowledged (the input queue is empty), and the daemon's
//!    resident memory (VmRSS) is sampled every 100 ms; latency (publish → first answer on an
//!    output queue bound with `#`) is reported too, but under saturation it is queueing time;
//! 3. **latency**: further messages published at a steady rate (by default half the measured
//!    throughput): p50/p99 from publish to the first answer (matched by message id: an answer's
//!    id is `R` + the first 11 hex digits of the input's SHA-256, a forward keeps the input's
//!    identification).
//!
//! Input: distinct corpus JW323 declarations (`ijwmo::corpus`) plus, one in ten,
//! fixture-derived messages (starts, stops, requests, allocations with fresh identifications),
//! or the messages under `--input DIR`: a folder written by `ijwmo generate` is replayed in
//! receipt order with the generator's receipt times as AMQP `timestamp`s (e.g. a year of the
//! region: `ijwmo generate --months 12 --scale 10 --out region/`, then `--input region/`);
//! any other folder gives every `*.xml` below it.
//!
//! Options (all optional): `--count N` (100000), `--latency-count N` (10000), `--rate N`
//! (messages/s in phase 3), `--input DIR`, `--daemon PATH` (target/release/ijwmo),
//! `--queue-type quorum|classic` (quorum), `--prefetch N` (the daemon's default),
//! `--skip-baseline`, `--large-every N` (every N-th bulk message replaced by a large malicious
//! one, a JW301 with a date of `--large-bytes` digits, default 20 MB: dead-lettered, and the
//! memory stays within the budget). After the run every line of the daemon's log is checked for
//! the BSNs of the input (as text and as printed body bytes); a hit fails the run. Servers: `IJWMO_TEST_AMQP_URL`, `IJWMO_TEST_POSTGRES` as in the tests.
//! Any other `IJWMO_*` variable set for the run reaches the daemon (e.g. `IJWMO_LOG=warn`).

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, PublisherConfirm};
use sha2::{Digest, Sha256};
use sqlx::postgres::PgPoolOptions;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

struct Options {
    count: usize,
    latency_count: usize,
    rate: Option<f64>,
    input: Option<PathBuf>,
    daemon: PathBuf,
    queue_type: String,
    prefetch: Option<u16>,
    skip_baseline: bool,
    /// Every N-th bulk message is replaced by a large malicious one (0: none).
    large_every: usize,
    /// Size of those, in bytes.
    large_bytes: usize,
    amqp: String,
    postgres: String,
}

fn options() -> Options {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let mut o = Options {
        count: 100_000,
        latency_count: 10_000,
        rate: None,
        input: None,
        daemon: target.join("release/ijwmo"),
        queue_type: "quorum".into(),
        prefetch: None,
        skip_baseline: false,
        large_every: 0,
        large_bytes: 20 << 20,
        amqp: std::env::var("IJWMO_TEST_AMQP_URL")
            .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into()),
        postgres: std::env::var("IJWMO_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into()),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--count" => o.count = value().parse().expect("--count N"),
            "--latency-count" => o.latency_count = value().parse().expect("--latency-count N"),
            "--rate" => o.rate = Some(value().parse().expect("--rate N")),
            "--input" => o.input = Some(PathBuf::from(value())),
            "--daemon" => o.daemon = PathBuf::from(value()),
            "--queue-type" => o.queue_type = value(),
            "--prefetch" => o.prefetch = Some(value().parse().expect("--prefetch N")),
            "--skip-baseline" => o.skip_baseline = true,
            "--large-every" => o.large_every = value().parse().expect("--large-every N"),
            "--large-bytes" => o.large_bytes = value().parse().expect("--large-bytes N"),
            "--bench" => {} // added by `cargo bench`
            other => panic!("unknown option {other}"),
        }
    }
    o
}

fn main() {
    let o = options();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(o));
}

// ---------------------------------------------------------------------------------------------
// Input

struct Input {
    bytes: Vec<u8>,
    /// Ids an answer to it may carry.
    answer_ids: Vec<String>,
    /// Receipt time to send as the AMQP `timestamp` (seconds): the generator's, when replaying
    /// a generated region; else the moment of publishing.
    received: Option<u64>,
}

fn answer_ids(bytes: &[u8]) -> Vec<String> {
    let hash = hex::encode(Sha256::digest(bytes));
    let mut ids = vec![format!("R{}", &hash[..11])];
    if let Some(id) = ijwmo::transport::Summary::sniff(bytes).identificatie {
        ids.push(id);
    }
    ids
}

/// Fixtures sent again under fresh identifications.
const DERIVED: [&str; 12] = [
    "JW301", "JW305", "JW307", "JW315", "JW317", "JW319", "WMO301", "WMO305", "WMO307", "WMO315",
    "WMO317", "WMO319",
];

/// `n` distinct messages: nine in ten corpus declarations, one in ten fixture-derived.
fn generate(n: usize) -> Vec<Vec<u8>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/messages");
    let fixtures: Vec<(String, String)> = DERIVED
        .iter()
        .filter_map(|name| {
            let text = std::fs::read_to_string(root.join(format!("{name}.xml"))).ok()?;
            let id = ijwmo::transport::Summary::sniff(text.as_bytes()).identificatie?;
            Some((text, id))
        })
        .collect();
    let derived = if fixtures.is_empty() { 0 } else { n / 10 };
    let corpus_n = n - derived;
    let mut out = Vec::with_capacity(n);
    const CHUNK: usize = 5_000;
    let mut global = 0usize;
    for (c, start) in (0..corpus_n).step_by(CHUNK).enumerate() {
        let len = CHUNK.min(corpus_n - start);
        for (i, f) in ijwmo::corpus::jw323_declarations(len, 7_000 + c as u64, 0)
            .into_iter()
            .enumerate()
        {
            // the corpus numbers from 0 in every call: make identifications and declaration
            // numbers unique over the run
            let xml = f
                .xml
                .replacen(&format!(">D{i:011}<"), &format!(">D{global:011}<"), 1)
                .replacen(&format!(">DN{i:010}<"), &format!(">DN{global:010}<"), 1);
            out.push(xml.into_bytes());
            global += 1;
        }
    }
    for k in 0..derived {
        let (text, id) = &fixtures[k % fixtures.len()];
        let new = format!("L{k:011}");
        out.push(
            text.replacen(&format!(">{id}<"), &format!(">{new}<"), 1)
                .into_bytes(),
        );
    }
    // interleave the derived messages with the declarations
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    for i in (1..out.len()).rev() {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        out.swap(i, (rng % (i as u64 + 1)) as usize);
    }
    out
}

/// Up to `limit` messages from a folder. A folder written by `ijwmo generate` (with its
/// `manifest.csv`) is replayed in receipt order with each file's receipt time, so the daemon
/// judges the region's months as they happened; any other folder gives every `*.xml` below it
/// in name order, received when published.
fn read_folder(dir: &std::path::Path, limit: usize) -> Vec<(Vec<u8>, Option<u64>)> {
    let manifest = dir.join("manifest.csv");
    if manifest.exists() {
        let mut reader = csv::Reader::from_path(&manifest).expect("read manifest.csv");
        return reader
            .records()
            .take(limit)
            .map(|r| {
                let r = r.expect("manifest line");
                let received = chrono::DateTime::parse_from_rfc3339(&r[4])
                    .expect("manifest received_at")
                    .timestamp();
                let bytes = std::fs::read(dir.join("inbox").join(&r[0])).expect("read input file");
                (bytes, u64::try_from(received).ok())
            })
            .collect();
    }
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().and_then(|x| x.to_str()) == Some("xml"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files.truncate(limit);
    files
        .iter()
        .map(|p| (std::fs::read(p).expect("read input file"), None))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Broker helpers

async fn connect(url: &str) -> Connection {
    Connection::connect(url, ConnectionProperties::default())
        .await
        .expect("connect to RabbitMQ")
}

fn queue_args(queue_type: &str) -> FieldTable {
    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString(LongString::from(queue_type.as_bytes().to_vec())),
    );
    args
}

/// Publishes every message to `exchange` (persistent, mandatory, confirmed, at most `window`
/// unconfirmed), at most `rate` per second when given; returns each message's publish time.
async fn publish_all(
    channel: &Channel,
    exchange: &str,
    routing_key: &str,
    messages: &[Input],
    rate: Option<f64>,
    first_id: usize,
) -> Vec<Instant> {
    const WINDOW: usize = 1_000;
    let mut pending: VecDeque<PublisherConfirm> = VecDeque::new();
    let mut times = Vec::with_capacity(messages.len());
    let start = Instant::now();
    for (n, m) in messages.iter().enumerate() {
        if let Some(rate) = rate {
            let due = start + Duration::from_secs_f64(n as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
        }
        let ts = m.received.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs()
        });
        let props = BasicProperties::default()
            .with_message_id(format!("load-{}", first_id + n).into())
            .with_content_type("application/xml".into())
            .with_delivery_mode(2)
            .with_timestamp(ts);
        times.push(Instant::now());
        let confirm = channel
            .basic_publish(
                exchange.into(),
                routing_key.into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                &m.bytes,
                props,
            )
            .await
            .expect("publish");
        pending.push_back(confirm);
        while pending.len() > WINDOW {
            let c = pending.pop_front().unwrap().await.expect("confirm");
            assert!(c.is_ack(), "publish nacked");
        }
    }
    for c in pending {
        assert!(c.await.expect("confirm").is_ack(), "publish nacked");
    }
    times
}

async fn confirm_channel(conn: &Connection) -> Channel {
    let ch = conn.create_channel().await.expect("channel");
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .expect("confirm mode");
    ch
}

async fn depth(conn: &Connection, queue: &str) -> Option<(u32, u32)> {
    let ch = conn.create_channel().await.ok()?;
    let q = ch
        .queue_declare(
            queue.into(),
            QueueDeclareOptions::default().passive(),
            FieldTable::default(),
        )
        .await
        .ok()?;
    let _ = ch.close(200, "done".into()).await;
    Some((q.message_count(), q.consumer_count()))
}

/// Messages waiting in the dead-letter queue (nothing consumes it during a run).
async fn dead_lettered(conn: &Connection, queue: &str) -> i64 {
    depth(conn, queue).await.map_or(0, |(n, _)| i64::from(n))
}

// ---------------------------------------------------------------------------------------------
// Phases

struct Baseline {
    secs: f64,
    rate: f64,
}

/// Publish + consume + ack with no work, same messages, same queue type and prefetch.
async fn baseline(o: &Options, id: &str, messages: &[Input], prefetch: u16) -> Baseline {
    let conn = connect(&o.amqp).await;
    let ch = confirm_channel(&conn).await;
    let queue = format!("{id}.baseline");
    ch.queue_declare(
        queue.as_str().into(),
        QueueDeclareOptions::durable(),
        queue_args(&o.queue_type),
    )
    .await
    .expect("declare the baseline queue");
    let consumer_conn = connect(&o.amqp).await;
    let cch = consumer_conn.create_channel().await.unwrap();
    cch.basic_qos(prefetch, BasicQosOptions::default())
        .await
        .unwrap();
    let mut consumer = cch
        .basic_consume(
            queue.as_str().into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let n = messages.len();
    let start = Instant::now();
    let consume = tokio::spawn(async move {
        for _ in 0..n {
            let d = consumer.next().await.expect("consumer").expect("delivery");
            d.ack(BasicAckOptions::default()).await.expect("ack");
        }
        Instant::now()
    });
    publish_all(&ch, "", &queue, messages, None, 0).await;
    let end = consume.await.unwrap();
    let secs = (end - start).as_secs_f64();
    let _ = ch
        .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
        .await;
    let _ = consumer_conn.close(200, "done".into()).await;
    let _ = conn.close(200, "done".into()).await;
    Baseline {
        secs,
        rate: n as f64 / secs,
    }
}

#[derive(Default)]
struct Rss {
    max_kb: u64,
}

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// utime + stime of a process, in seconds.
fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

struct Latencies {
    matched: usize,
    p50: f64,
    p99: f64,
    max: f64,
}

fn latencies(
    messages: &[Input],
    published: &[Instant],
    arrivals: &HashMap<String, Instant>,
) -> Latencies {
    let mut ms: Vec<f64> = messages
        .iter()
        .zip(published)
        .filter_map(|(m, t)| {
            let first = m
                .answer_ids
                .iter()
                .filter_map(|id| arrivals.get(id))
                .min()?;
            Some(first.saturating_duration_since(*t).as_secs_f64() * 1000.0)
        })
        .collect();
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    Latencies {
        matched: ms.len(),
        p50: percentile(&ms, 0.5),
        p99: percentile(&ms, 0.99),
        max: ms.last().copied().unwrap_or(f64::NAN),
    }
}

async fn run(o: Options) {
    assert!(
        o.daemon.exists(),
        "{} not found: build it with cargo build --release",
        o.daemon.display()
    );
    let total = o.count + o.latency_count;
    let t = Instant::now();
    let raw = match &o.input {
        Some(dir) => read_folder(dir, total),
        None => generate(total).into_iter().map(|b| (b, None)).collect(),
    };
    assert!(
        raw.len() > o.latency_count,
        "not enough input messages ({})",
        raw.len()
    );
    let messages: Vec<Input> = raw
        .into_iter()
        .map(|(bytes, received)| Input {
            answer_ids: answer_ids(&bytes),
            bytes,
            received,
        })
        .collect();
    let mut messages = messages;
    if o.large_every > 0 {
        // large malicious messages (a JW301 whose date is `large_bytes` digits): judged within the
        // memory budget and dead-lettered with a bounded reason
        let fixture = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/messages/JW301.xml"
        ))
        .unwrap();
        let large = fixture
            .replacen("2014-06-12", &"7".repeat(o.large_bytes), 1)
            .into_bytes();
        let bulk_len = messages.len() - o.latency_count.min(messages.len());
        for m in messages[..bulk_len]
            .iter_mut()
            .step_by(o.large_every)
            .skip(1)
        {
            m.bytes = large.clone();
            m.answer_ids.clear();
        }
    }
    let (bulk, paced) = messages.split_at(messages.len() - o.latency_count.min(messages.len()));
    let large_count = bulk
        .iter()
        .filter(|m| o.large_every > 0 && m.bytes.len() >= o.large_bytes)
        .count();
    let bytes: usize = bulk.iter().map(|m| m.bytes.len()).sum();
    eprintln!(
        "load: {} messages ({:.1} MB, mean {:.1} kB) + {} for the latency phase, prepared in {:.1}s",
        bulk.len(),
        bytes as f64 / 1e6,
        bytes as f64 / bulk.len() as f64 / 1e3,
        paced.len(),
        t.elapsed().as_secs_f64()
    );
    let prefetch = o.prefetch.unwrap_or_else(|| {
        std::env::var("IJWMO_AMQP_PREFETCH")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(ijwmo::config::AmqpConfig::default().prefetch)
    });
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let id = format!("ijwmo-load.{nanos}");

    // 1. baseline
    let base = if o.skip_baseline {
        None
    } else {
        let b = baseline(&o, &id, bulk, prefetch).await;
        eprintln!(
            "load: raw broker baseline {:.0} msg/s ({:.1}s)",
            b.rate, b.secs
        );
        Some(b)
    };

    // 2. the daemon on a fresh database
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&format!("{}/postgres", o.postgres))
        .await
        .expect("connect to PostgreSQL");
    let db = format!("ijwmo_load_{:016x}", rand::random::<u64>());
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&admin)
        .await
        .expect("create the database");
    let db_url = format!("{}/{db}", o.postgres);
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&db_url)
        .await
        .unwrap();

    let conn = connect(&o.amqp).await;
    let mut cfg = ijwmo::config::AmqpConfig {
        url: o.amqp.clone(),
        connection_name: id.clone(),
        input_exchange: format!("{id}.in-x"),
        input_queue: format!("{id}.in"),
        output_exchange: format!("{id}.out"),
        dead_letter_exchange: format!("{id}.dlx"),
        dead_letter_queue: format!("{id}.dead"),
        ..ijwmo::config::AmqpConfig::default()
    };
    cfg.queue_type = match o.queue_type.as_str() {
        "classic" => ijwmo::config::QueueType::Classic,
        _ => ijwmo::config::QueueType::Quorum,
    };
    let setup = conn.create_channel().await.unwrap();
    ijwmo::transport::amqp::declare_topology(&setup, &cfg)
        .await
        .expect("topology");
    let collector = format!("{id}.collect");
    setup
        .queue_declare(
            collector.as_str().into(),
            QueueDeclareOptions::durable(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    setup
        .queue_bind(
            collector.as_str().into(),
            cfg.output_exchange.as_str().into(),
            "#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();

    // answers: arrival time of the first copy of each message id
    let arrivals: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let collect_conn = connect(&o.amqp).await;
    let cch = collect_conn.create_channel().await.unwrap();
    cch.basic_qos(2_000, BasicQosOptions::default())
        .await
        .unwrap();
    let mut answers = cch
        .basic_consume(
            collector.as_str().into(),
            "".into(),
            BasicConsumeOptions {
                no_ack: true,
                ..BasicConsumeOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    {
        let arrivals = arrivals.clone();
        tokio::spawn(async move {
            while let Some(Ok(d)) = answers.next().await {
                let now = Instant::now();
                if let Some(id) = d.properties.message_id() {
                    arrivals
                        .lock()
                        .unwrap()
                        .entry(id.to_string())
                        .or_insert(now);
                }
            }
        });
    }

    let log = std::env::temp_dir().join(format!("{id}.log"));
    let mut cmd = Command::new(&o.daemon);
    cmd.arg("serve")
        .env("IJWMO_TRANSPORT", "amqp")
        .env("IJWMO_HTTP_LISTEN", "off")
        .env("IJWMO_STORE_URL", &db_url)
        .env("IJWMO_AMQP_URL", &cfg.url)
        .env("IJWMO_AMQP_CONNECTION_NAME", &cfg.connection_name)
        .env("IJWMO_AMQP_INPUT_EXCHANGE", &cfg.input_exchange)
        .env("IJWMO_AMQP_INPUT_QUEUE", &cfg.input_queue)
        .env("IJWMO_AMQP_OUTPUT_EXCHANGE", &cfg.output_exchange)
        .env("IJWMO_AMQP_DEAD_LETTER_EXCHANGE", &cfg.dead_letter_exchange)
        .env("IJWMO_AMQP_DEAD_LETTER_QUEUE", &cfg.dead_letter_queue)
        .env("IJWMO_AMQP_QUEUE_TYPE", cfg.queue_type.as_str())
        .env("IJWMO_AMQP_PREFETCH", prefetch.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    let mut daemon = cmd.spawn().expect("start the daemon");
    let pid = daemon.id();
    let rss = Arc::new(Mutex::new(Rss::default()));
    let sampling = {
        let rss = rss.clone();
        tokio::spawn(async move {
            loop {
                if let Some(kb) = rss_kb(pid) {
                    let mut r = rss.lock().unwrap();
                    r.max_kb = r.max_kb.max(kb);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    // ready once it consumes
    let ready = Instant::now();
    loop {
        if let Some((_, consumers)) = depth(&conn, &cfg.input_queue).await {
            if consumers > 0 {
                break;
            }
        }
        assert!(
            ready.elapsed() < Duration::from_secs(60),
            "the daemon did not start consuming; see {}",
            log.display()
        );
        if let Ok(Some(status)) = daemon.try_wait() {
            panic!("the daemon exited with {status}; see {}", log.display());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let idle_rss = rss_kb(pid).unwrap_or(0);
    let cpu_before = cpu_secs(pid).unwrap_or(0.0);

    let pch = confirm_channel(&conn).await;
    let start = Instant::now();
    let published = publish_all(
        &pch,
        &cfg.input_exchange,
        "aanbieder.load.in",
        bulk,
        None,
        0,
    )
    .await;
    let publish_secs = start.elapsed().as_secs_f64();
    let want = bulk.len() as i64;
    let end = loop {
        let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM messages")
            .fetch_one(&pool)
            .await
            .unwrap_or(0);
        // malformed input (a generated region has some) is dead-lettered, not stored
        let dead = dead_lettered(&conn, &cfg.dead_letter_queue).await;
        if stored + dead >= want {
            if let Some((0, _)) = depth(&conn, &cfg.input_queue).await {
                break Instant::now();
            }
        }
        if let Ok(Some(status)) = daemon.try_wait() {
            panic!("the daemon exited with {status}; see {}", log.display());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let secs = (end - start).as_secs_f64();
    let rate = bulk.len() as f64 / secs;
    let cpu = cpu_secs(pid).unwrap_or(0.0) - cpu_before;
    // and every answer out
    let answered = Instant::now();
    loop {
        let unsent: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            .fetch_one(&pool)
            .await
            .unwrap_or(1);
        if unsent == 0 || answered.elapsed() > Duration::from_secs(300) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let saturated = latencies(bulk, &published, &arrivals.lock().unwrap());
    eprintln!(
        "load: daemon {rate:.0} msg/s ({secs:.1}s; publishing took {publish_secs:.1}s), \
         {:.2} ms daemon CPU per message",
        cpu * 1000.0 / bulk.len() as f64
    );

    // 3. latency at a steady rate
    let pace = o.rate.unwrap_or((rate / 2.0).max(1.0));
    let paced_published = publish_all(
        &pch,
        &cfg.input_exchange,
        "aanbieder.load.in",
        paced,
        Some(pace),
        bulk.len(),
    )
    .await;
    let want = (bulk.len() + paced.len()) as i64;
    let t = Instant::now();
    loop {
        let dead = dead_lettered(&conn, &cfg.dead_letter_queue).await;
        let unsent: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM outbox WHERE sent_at IS NULL) \
             + $1 - (SELECT count(*) FROM messages)",
        )
        .bind(want - dead)
        .fetch_one(&pool)
        .await
        .unwrap_or(1);
        if unsent <= 0 || t.elapsed() > Duration::from_secs(300) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let steady = latencies(paced, &paced_published, &arrivals.lock().unwrap());

    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let status = daemon.wait().expect("daemon exit");
    sampling.abort();
    let max_rss = rss.lock().unwrap().max_kb;
    // no BSN of the input in any line the daemon wrote
    let bsns: std::collections::HashSet<String> = messages
        .iter()
        .flat_map(|m| ijwmo::logging::bsns_in(&String::from_utf8_lossy(&m.bytes)))
        .collect();
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    let log_lines = log_text.lines().count();
    for (n, line) in log_text.lines().enumerate() {
        if let Some(bsn) = ijwmo::logging::find_bsn(line, &bsns) {
            panic!(
                "daemon log line {} holds BSN {bsn} of the input; see {}",
                n + 1,
                log.display()
            );
        }
    }
    let counts: (i64, i64, i64) = {
        use sqlx::Row;
        let r = sqlx::query(
            "SELECT (SELECT count(*) FROM messages) AS m, (SELECT count(*) FROM prestaties) AS p, \
             (SELECT count(*) FROM outbox) AS o",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        (r.get("m"), r.get("p"), r.get("o"))
    };
    pool.close().await;
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        .execute(&admin)
        .await;
    for q in [&collector, &cfg.input_queue, &cfg.dead_letter_queue] {
        let _ = setup
            .queue_delete(q.as_str().into(), QueueDeleteOptions::default())
            .await;
    }
    for x in [
        &cfg.input_exchange,
        &cfg.output_exchange,
        &cfg.dead_letter_exchange,
    ] {
        let _ = setup
            .exchange_delete(x.as_str().into(), ExchangeDeleteOptions::default())
            .await;
    }

    // report
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    println!();
    println!(
        "ijwmo load benchmark — {} messages ({:.1} kB mean), {} queues, prefetch {prefetch}, \
         {cores} cores, daemon {status}",
        bulk.len(),
        bytes as f64 / bulk.len() as f64 / 1e3,
        o.queue_type
    );
    println!(
        "stored: {} messages, {} prestaties, {} outbox rows; {large_count} large messages of {:.0} MB \
         dead-lettered; daemon log: {log_lines} lines, none with a BSN of the input ({} BSNs checked)",
        counts.0,
        counts.1,
        counts.2,
        o.large_bytes as f64 / 1e6,
        bsns.len()
    );
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    if let Some(b) = &base {
        println!(
            "| raw broker baseline (publish + consume + ack, no work) | {:.0} msg/s |",
            b.rate
        );
    }
    println!("| ijwmo end to end (published → committed and acked) | {rate:.0} msg/s |");
    if let Some(b) = &base {
        println!("| ijwmo / baseline | {:.0} % |", rate / b.rate * 100.0);
    }
    println!(
        "| daemon CPU per message | {:.2} ms |",
        cpu * 1000.0 / bulk.len() as f64
    );
    println!(
        "| latency publish → answer at {pace:.0} msg/s (p50 / p99, {} answered) | {:.0} ms / {:.0} ms |",
        steady.matched, steady.p50, steady.p99
    );
    println!(
        "| latency under saturation (queueing; p50 / p99 / max) | {:.0} ms / {:.0} ms / {:.0} ms |",
        saturated.p50, saturated.p99, saturated.max
    );
    println!(
        "| daemon resident memory (max VmRSS; idle {:.0} MB) | {:.0} MB |",
        idle_rss as f64 / 1024.0,
        max_rss as f64 / 1024.0
    );
    println!();
    println!("daemon log: {}", log.display());
}
