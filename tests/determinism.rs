//! Same input, same verdicts: a generated region (two months of Midden-Holland, ≥ 5,000
//! messages) is processed twice and every message must come out the same:
//!
//! 1. through the spool folder on SQLite, one file at a time, in receipt order (the
//!    reference: nothing runs concurrently);
//! 2. over RabbitMQ + PostgreSQL by two instances of the real `ijwmo serve` binary at
//!    prefetch 64 and batch size 8, input partitioned (`amqp.partitions`, each instance owning
//!    half), published in receipt order with the receipt times as AMQP timestamps, and one
//!    instance killed with SIGKILL once a third is stored and started again.
//!
//! Compared per message (sender, kind, identification): the verdict and the retour codes;
//! and the facts (every timeliness fact and cost fact row) and the number of unprocessable
//! messages. The daemon is the release build of these sources (built here, as in
//! `tests/faults.rs`); `IJWMO_DETERMINISM_DAEMON=PATH` runs another binary and
//! `IJWMO_DETERMINISM_PARTITIONS=0` the single competing queue (together: the old dispatch,
//! for comparison). `IJWMO_DETERMINISM_SCALE` changes the region's size (default 0.1: about
//! 5,800 messages). Without RabbitMQ or PostgreSQL the test fails, unless
//! `IJWMO_REQUIRE_SERVICES=0` says to skip knowingly. This test does not restart the servers.

use chrono::{DateTime, FixedOffset, NaiveDate};
use futures_util::StreamExt;
use ijwmo::config::{AmqpConfig, Config};
use ijwmo::contracts::ContractSet;
use ijwmo::facts::{FactsConfig, FactsEngine};
use ijwmo::generate::{generate, Options};
use ijwmo::pipeline::{Pipeline, Settings};
use ijwmo::store::Store;
use ijwmo::transport::spool::Spool;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions, ExchangeDeleteOptions,
    QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use sqlx::Row;
use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio_util::sync::CancellationToken;

const KEY: &str = "determinism-pseudonym-key";
const MEASURE_FROM: &str = "2025-09-01";

/// (sender, kind, identificatie) → (verdict, sorted retour codes).
type Verdicts = BTreeMap<(String, String, String), (String, Vec<String>)>;

/// What one run came to.
#[derive(Debug)]
struct Outcome {
    verdicts: Verdicts,
    /// Every timeliness and cost fact row, as JSON, sorted.
    facts: Vec<String>,
    unprocessable: usize,
}

struct Entry {
    file: PathBuf,
    received: DateTime<FixedOffset>,
}

#[path = "support/services.rs"]
mod services;

fn region(dir: &Path) -> Vec<Entry> {
    let scale = std::env::var("IJWMO_DETERMINISM_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.1);
    let options = Options {
        months: 2,
        seed: 4242,
        scale,
        start: NaiveDate::from_ymd_opt(2025, 9, 1).unwrap(),
    };
    generate(&options, dir).expect("generate the region");
    let mut reader = csv::Reader::from_path(dir.join("manifest.csv")).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            Entry {
                file: dir.join("inbox").join(&r[0]),
                received: DateTime::parse_from_rfc3339(&r[4]).unwrap(),
            }
        })
        .collect()
}

fn engine() -> FactsEngine {
    FactsEngine::from_config(&facts_config()).unwrap()
}

fn facts_config() -> FactsConfig {
    FactsConfig {
        pseudonym_key: KEY.into(),
        measure_from: Some(MEASURE_FROM.parse().unwrap()),
        ..FactsConfig::default()
    }
}

async fn facts_of(store: &dyn Store) -> Vec<String> {
    let mut rows: Vec<String> = Vec::new();
    for f in store.timeliness_facts(None, None).await.unwrap() {
        rows.push(serde_json::to_string(&f).unwrap());
    }
    let costs = store.cost_facts().await.unwrap();
    for p in costs.prestaties {
        rows.push(serde_json::to_string(&p).unwrap());
    }
    for t in costs.toewijzingen {
        rows.push(serde_json::to_string(&t).unwrap());
    }
    rows.sort();
    rows
}

/// The message log's rows (sender, kind, identificatie, verdict, retour codes as a JSON
/// array) as verdicts.
fn verdicts_of(rows: Vec<(String, String, String, String, String)>) -> Verdicts {
    rows.into_iter()
        .map(|(sender, kind, identificatie, verdict, codes)| {
            let mut codes: Vec<String> = serde_json::from_str(&codes).unwrap();
            codes.sort();
            ((sender, kind, identificatie), (verdict, codes))
        })
        .collect()
}

/// The reference: the spool on SQLite, one file at a time in receipt order.
async fn through_the_spool(entries: &[Entry], contracts: &ContractSet, work: &Path) -> Outcome {
    let db = work.join("reference.db");
    let url = format!("sqlite://{}", db.display());
    let store = ijwmo::store::open(&url).await.expect("open SQLite");
    store.migrate().await.unwrap();
    store
        .replace_contracts(contracts, "contracts.csv")
        .await
        .unwrap();
    let pipeline =
        Arc::new(Pipeline::new(store.clone(), Settings { today: None }).with_facts(engine()));
    let mut config = Config::default();
    config.spool.dir = work.join("spool");
    // one transaction per file: the reference shares nothing with the batched runs
    config.spool.batch_size = 1;
    let mut spool = Spool::new(pipeline, &config).expect("spool folders");
    let inbox = config.spool.dir.join("inbox");
    for (n, e) in entries.iter().enumerate() {
        let to = inbox.join(format!("{n:06}.xml"));
        std::fs::copy(&e.file, &to).unwrap();
        let file = std::fs::File::options().write(true).open(&to).unwrap();
        file.set_modified(SystemTime::from(e.received)).unwrap();
    }
    let cancel = CancellationToken::new();
    let mut done = 0;
    let mut rejected = 0;
    // a file is taken once it was unchanged in two scans: the first only looks
    for _ in 0..3 {
        let scan = spool.poll_once(&cancel).await.unwrap();
        assert_eq!(scan.retry, 0, "a transient failure on SQLite");
        done += scan.done;
        rejected += scan.rejected;
    }
    assert_eq!(done + rejected, entries.len(), "every file processed");
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .connect(&url)
        .await
        .unwrap();
    let rows =
        sqlx::query_as("SELECT sender, kind, identificatie, verdict, retour_codes FROM messages")
            .fetch_all(&pool)
            .await
            .unwrap();
    let verdicts = verdicts_of(rows);
    pool.close().await;
    Outcome {
        verdicts,
        facts: facts_of(store.as_ref()).await,
        unprocessable: rejected,
    }
}

// ---------------------------------------------------------------------------------------------
// RabbitMQ + PostgreSQL

fn daemon_binary() -> PathBuf {
    if let Ok(path) = std::env::var("IJWMO_DETERMINISM_DAEMON") {
        if !path.is_empty() {
            return PathBuf::from(path);
        }
    }
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target folder")
        .to_path_buf();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--release", "--bin", "ijwmo", "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .expect("cargo build --release");
    assert!(
        out.status.success(),
        "cargo build --release: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    target.join("release/ijwmo")
}

fn partitions() -> u16 {
    std::env::var("IJWMO_DETERMINISM_PARTITIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4)
}

struct Daemon {
    child: Child,
    log: PathBuf,
}

impl Daemon {
    fn start(binary: &Path, cfg: &AmqpConfig, store_url: &str, own: &str, log: PathBuf) -> Daemon {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let mut c = Command::new(binary);
        for (k, _) in std::env::vars() {
            if k.starts_with("IJWMO_") {
                c.env_remove(k);
            }
        }
        // the periodic sweep judges by the wall clock: off, so the facts depend on the input
        let config = log.with_extension("toml");
        std::fs::write(&config, "[facts]\nsweep_interval_secs = 0\n").unwrap();
        c.arg("serve")
            // two instances at once: neither needs the HTTP listener
            .env("IJWMO_HTTP_LISTEN", "off")
            .env("IJWMO_CONFIG", &config)
            .env("IJWMO_TRANSPORT", "amqp")
            .env("IJWMO_STORE_URL", store_url)
            .env("IJWMO_AMQP_URL", &cfg.url)
            .env("IJWMO_AMQP_CONNECTION_NAME", &cfg.connection_name)
            .env("IJWMO_AMQP_INPUT_EXCHANGE", &cfg.input_exchange)
            .env("IJWMO_AMQP_INPUT_QUEUE", &cfg.input_queue)
            .env("IJWMO_AMQP_OUTPUT_EXCHANGE", &cfg.output_exchange)
            .env("IJWMO_AMQP_DEAD_LETTER_EXCHANGE", &cfg.dead_letter_exchange)
            .env("IJWMO_AMQP_DEAD_LETTER_QUEUE", &cfg.dead_letter_queue)
            .env("IJWMO_AMQP_PREFETCH", "64")
            .env("IJWMO_AMQP_BATCH_SIZE", "8")
            .env("IJWMO_AMQP_PARTITIONS", cfg.partitions.to_string())
            .env("IJWMO_AMQP_PARTITION_EXCHANGE", &cfg.partition_exchange)
            .env("IJWMO_AMQP_OWN_PARTITIONS", own)
            .env("IJWMO_AMQP_STANDBY_AFTER", "3s")
            .env("IJWMO_AMQP_RECONNECT_MAX", "1s")
            .env("IJWMO_PSEUDONYM_KEY", KEY)
            .env("IJWMO_MEASURE_FROM", MEASURE_FROM)
            .env("IJWMO_OUTBOX_INTERVAL", "200ms")
            .env("IJWMO_SHUTDOWN_GRACE", "10s")
            .env("IJWMO_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file);
        Daemon {
            child: c.spawn().expect("start ijwmo serve"),
            log,
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }

    fn terminate(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.kill();
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().ok().flatten().is_none()
    }

    fn tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn queue_depth(channel: &Channel, queue: &str) -> u32 {
    channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions::default().passive(),
            FieldTable::default(),
        )
        .await
        .map(|q| q.message_count())
        .unwrap_or(u32::MAX)
}

async fn over_rabbitmq(
    entries: &[Entry],
    contracts: &ContractSet,
    work: &Path,
    want: &Outcome,
) -> Option<Outcome> {
    let amqp_url = std::env::var("IJWMO_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let pg_server = std::env::var("IJWMO_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string());
    let connection = match Connection::connect(&amqp_url, ConnectionProperties::default()).await {
        Ok(c) => c,
        Err(e) => {
            services::unavailable("RabbitMQ", &e.to_string());
            return None;
        }
    };
    let admin = match sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&format!("{pg_server}/postgres"))
        .await
    {
        Ok(a) => a,
        Err(e) => {
            services::unavailable("PostgreSQL", &e.to_string());
            return None;
        }
    };
    let id = format!(
        "determinism_{}_{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );
    sqlx::query(&format!("CREATE DATABASE {id}"))
        .execute(&admin)
        .await
        .unwrap();
    let store_url = format!("{pg_server}/{id}");
    let store = ijwmo::store::open(&store_url).await.unwrap();
    store.migrate().await.unwrap();
    store
        .replace_contracts(contracts, "contracts.csv")
        .await
        .unwrap();

    let mut cfg = AmqpConfig {
        url: amqp_url.clone(),
        connection_name: id.clone(),
        input_exchange: format!("{id}.in-x"),
        input_queue: format!("{id}.in"),
        output_exchange: format!("{id}.out"),
        dead_letter_exchange: format!("{id}.dlx"),
        dead_letter_queue: format!("{id}.dead"),
        partition_exchange: format!("{id}.in-p"),
        ..AmqpConfig::default()
    };
    cfg.partitions = partitions();
    let channel = connection.create_channel().await.unwrap();
    ijwmo::transport::amqp::declare_topology(&channel, &cfg)
        .await
        .expect("topology (is rabbitmq_consistent_hash_exchange enabled?)");
    // answers and forwards go somewhere, and are thrown away as they come
    let sink = format!("{id}.sink");
    channel
        .queue_declare(
            sink.as_str().into(),
            QueueDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    channel
        .queue_bind(
            sink.as_str().into(),
            cfg.output_exchange.as_str().into(),
            "#".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let drain_channel = connection.create_channel().await.unwrap();
    let mut drain = drain_channel
        .basic_consume(
            sink.as_str().into(),
            "".into(),
            BasicConsumeOptions {
                no_ack: true,
                ..BasicConsumeOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    let drained = tokio::spawn(async move { while drain.next().await.is_some() {} });

    let binary = daemon_binary();
    let half = cfg.partitions / 2;
    let (own_a, own_b) = match cfg.partitions {
        0 => (String::new(), String::new()),
        1 => ("0".to_string(), "0".to_string()),
        n => (format!("0-{}", half - 1), format!("{half}-{}", n - 1)),
    };
    let log = |name: &str| work.join(format!("{name}.log"));
    let mut a = Daemon::start(&binary, &cfg, &store_url, &own_a, log("a"));
    let mut b = Daemon::start(&binary, &cfg, &store_url, &own_b, log("b"));

    // publish in receipt order, receipt time as timestamp
    let publish = connection.create_channel().await.unwrap();
    publish
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let mut pending = VecDeque::new();
    for (n, e) in entries.iter().enumerate() {
        let bytes = std::fs::read(&e.file).unwrap();
        let props = BasicProperties::default()
            .with_message_id(format!("m{n}").into())
            .with_delivery_mode(2)
            .with_timestamp(e.received.timestamp() as u64);
        let confirm = publish
            .basic_publish(
                cfg.input_exchange.as_str().into(),
                "input".into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                &bytes,
                props,
            )
            .await
            .unwrap();
        pending.push_back(confirm);
        while pending.len() > 500 {
            assert!(pending.pop_front().unwrap().await.unwrap().is_ack());
        }
    }
    for c in pending {
        assert!(c.await.unwrap().is_ack());
    }

    let count = |pool: &sqlx::PgPool| {
        let pool = pool.clone();
        async move {
            sqlx::query("SELECT count(*) FROM messages")
                .fetch_one(&pool)
                .await
                .map(|r| r.get::<i64, _>(0))
                .unwrap_or(-1)
        }
    };
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&store_url)
        .await
        .unwrap();
    let stored_total = want.verdicts.len() as i64;
    // SIGKILL one instance once a third is stored, start it again
    let started = Instant::now();
    while count(&pool).await < stored_total / 3 {
        assert!(
            a.alive() && b.alive(),
            "a daemon died:\n{}\n{}",
            a.tail(),
            b.tail()
        );
        assert!(started.elapsed() < Duration::from_secs(900), "too slow");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let at = count(&pool).await;
    a.kill();
    a = Daemon::start(&binary, &cfg, &store_url, &own_a, log("a"));
    eprintln!("determinism: SIGKILL after {at} of {stored_total} stored; restarted");

    // everything stored, every unprocessable one dead-lettered
    let deadline = Instant::now() + Duration::from_secs(1200);
    loop {
        let stored = count(&pool).await;
        let dead = queue_depth(&channel, &cfg.dead_letter_queue).await;
        if stored == stored_total && dead as usize == want.unprocessable {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "waiting: {stored} of {stored_total} stored, {dead} dead letters\n{}\n{}",
            a.tail(),
            b.tail()
        );
        assert!(
            a.alive() && b.alive(),
            "a daemon died:\n{}\n{}",
            a.tail(),
            b.tail()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "determinism: all stored {:.0}s after publishing began",
        started.elapsed().as_secs_f64()
    );
    a.terminate();
    b.terminate();
    drained.abort();

    let rows = sqlx::query_as(
        "SELECT sender, kind, identificatie, verdict, array_to_json(retour_codes)::text \
         FROM messages",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let verdicts = verdicts_of(rows);
    let unprocessable = queue_depth(&channel, &cfg.dead_letter_queue).await as usize;
    let outcome = Outcome {
        verdicts,
        facts: facts_of(store.as_ref()).await,
        unprocessable,
    };

    // clean up
    pool.close().await;
    drop(store);
    let mut queues = vec![
        cfg.input_queue.clone(),
        cfg.dead_letter_queue.clone(),
        sink.clone(),
    ];
    queues.extend((0..cfg.partitions).map(|i| ijwmo::transport::partition::queue_name(&cfg, i)));
    for q in queues {
        let _ = channel
            .queue_delete(q.as_str().into(), QueueDeleteOptions::default())
            .await;
    }
    for x in [
        &cfg.input_exchange,
        &cfg.output_exchange,
        &cfg.dead_letter_exchange,
        &cfg.partition_exchange,
    ] {
        let _ = channel
            .exchange_delete(x.as_str().into(), ExchangeDeleteOptions::default())
            .await;
    }
    let _ = connection.close(200, "done".into()).await;
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {id} WITH (FORCE)"))
        .execute(&admin)
        .await;
    Some(outcome)
}

/// The rejections by retour code, for the report.
fn rejections(v: &Verdicts) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for (verdict, codes) in v.values() {
        if verdict == "rejected" || verdict == "partly_accepted" {
            for c in codes {
                *out.entry(c.clone()).or_insert(0) += 1;
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verdicts_and_facts_depend_on_the_input_alone() {
    let work = tempfile::tempdir().unwrap();
    let gen = work.path().join("region");
    let entries = region(&gen);
    assert!(entries.len() >= 5_000, "{} messages", entries.len());
    let csv = std::fs::read_to_string(gen.join("contracts.csv")).unwrap();
    let contracts = ContractSet::from_csv(&csv).unwrap();

    let t = Instant::now();
    let reference = through_the_spool(&entries, &contracts, work.path()).await;
    eprintln!(
        "determinism: {} messages through the spool on SQLite in {:.0}s: {} stored, {} unprocessable, {} fact rows; codes {:?}",
        entries.len(),
        t.elapsed().as_secs_f64(),
        reference.verdicts.len(),
        reference.unprocessable,
        reference.facts.len(),
        rejections(&reference.verdicts)
    );
    assert_eq!(
        reference.verdicts.len() + reference.unprocessable,
        entries.len()
    );

    let Some(got) = over_rabbitmq(&entries, &contracts, work.path(), &reference).await else {
        return;
    };
    let differ: Vec<_> = reference
        .verdicts
        .iter()
        .filter(|(k, v)| got.verdicts.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone(), got.verdicts.get(k).cloned()))
        .collect();
    let facts_differ = reference
        .facts
        .iter()
        .filter(|f| got.facts.binary_search(f).is_err())
        .count()
        + got
            .facts
            .iter()
            .filter(|f| reference.facts.binary_search(f).is_err())
            .count();
    eprintln!(
        "determinism: over RabbitMQ + PostgreSQL ({} partitions, 2 instances, SIGKILL): {} verdicts differ, {} fact rows differ; codes {:?}",
        partitions(),
        differ.len(),
        facts_differ,
        rejections(&got.verdicts)
    );
    assert!(
        differ.is_empty(),
        "{} messages judged differently, e.g. {:?}",
        differ.len(),
        &differ[..differ.len().min(5)]
    );
    assert_eq!(got.verdicts.len(), reference.verdicts.len());
    assert_eq!(got.unprocessable, reference.unprocessable);
    assert_eq!(facts_differ, 0, "fact rows differ");
    assert_eq!(got.facts.len(), reference.facts.len());
}
