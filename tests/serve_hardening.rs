//! The real `ijwmo serve` (a child process) against the real RabbitMQ, seen from outside: what
//! it writes to its log and how much memory it takes (issue 13, defects 2 and 3). Without a
//! broker the tests fail, unless `IJWMO_REQUIRE_SERVICES=0` says to skip knowingly.

#[path = "support/services.rs"]
mod services;

use ijwmo::logging::{bsns_in, leaks_bsn};
use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, ExchangeDeleteOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

fn broker_url() -> String {
    std::env::var("IJWMO_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

async fn connect() -> Option<Connection> {
    match tokio::time::timeout(
        Duration::from_secs(5),
        Connection::connect(&broker_url(), ConnectionProperties::default()),
    )
    .await
    {
        Ok(Ok(c)) => Some(c),
        Ok(Err(e)) => {
            services::unavailable("RabbitMQ", &e.to_string());
            None
        }
        Err(_) => {
            services::unavailable("RabbitMQ", "no answer within 5 s");
            None
        }
    }
}

/// One `ijwmo serve` child with its own exchanges and queues (deleted by [`Daemon::finish`]),
/// a SQLite store and its stderr in a file.
struct Daemon {
    child: std::process::Child,
    dir: tempfile::TempDir,
    names: HashMap<&'static str, String>,
    log_path: std::path::PathBuf,
}

impl Daemon {
    async fn start(conn: &Connection, test: &str, env: &[(&str, &str)]) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let id = format!("ijwmo-test.{test}.{}.{nanos}", std::process::id());
        let names: HashMap<&'static str, String> = [
            ("IJWMO_AMQP_INPUT_EXCHANGE", format!("{id}.in-x")),
            ("IJWMO_AMQP_INPUT_QUEUE", format!("{id}.in")),
            ("IJWMO_AMQP_OUTPUT_EXCHANGE", format!("{id}.out")),
            ("IJWMO_AMQP_DEAD_LETTER_EXCHANGE", format!("{id}.dlx")),
            ("IJWMO_AMQP_DEAD_LETTER_QUEUE", format!("{id}.dead")),
            ("IJWMO_AMQP_CONNECTION_NAME", id.clone()),
        ]
        .into_iter()
        .collect();
        let log_path = dir.path().join("ijwmo.log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ijwmo"));
        for (k, _) in std::env::vars() {
            if k.starts_with("IJWMO_") {
                cmd.env_remove(k);
            }
        }
        cmd.arg("serve")
            .env("IJWMO_HTTP_LISTEN", "off")
            .env("IJWMO_TRANSPORT", "amqp")
            .env("IJWMO_AMQP_URL", broker_url())
            .env("IJWMO_AMQP_QUEUE_TYPE", "classic")
            .env(
                "IJWMO_STORE_URL",
                format!("sqlite://{}/ijwmo.db", dir.path().display()),
            )
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log_path).unwrap());
        for (k, v) in &names {
            cmd.env(k, v);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start ijwmo serve");
        let d = Daemon {
            child,
            dir,
            names,
            log_path,
        };
        // the service declares its topology; wait for it
        for _ in 0..300 {
            if d.count(conn, "IJWMO_AMQP_INPUT_QUEUE").await.is_some() {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the service never declared its queue");
    }

    /// Ready messages in one of the daemon's queues, `None` while it does not exist.
    async fn count(&self, conn: &Connection, queue: &str) -> Option<u32> {
        let ch = conn.create_channel().await.unwrap();
        let q = ch
            .queue_declare(
                self.names[queue].as_str().into(),
                QueueDeclareOptions::default().passive(),
                FieldTable::default(),
            )
            .await
            .ok()?;
        let _ = ch.close(200, "ok".into()).await;
        Some(q.message_count())
    }

    async fn publish(&self, channel: &Channel, id: &str, body: &[u8]) {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let confirm = channel
            .basic_publish(
                self.names["IJWMO_AMQP_INPUT_EXCHANGE"].as_str().into(),
                "input".into(),
                BasicPublishOptions::default(),
                body,
                BasicProperties::default()
                    .with_message_id(id.into())
                    .with_timestamp(now),
            )
            .await
            .unwrap();
        assert!(confirm.await.unwrap().is_ack());
    }

    /// Peak resident memory so far (`VmHWM`), in bytes.
    fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .expect("VmHWM");
        let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        kb * 1024
    }

    /// Stops the daemon with SIGTERM, removes its broker objects, returns its log.
    async fn finish(mut self, conn: &Connection) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let mut child = self.child;
        let stopped = tokio::task::spawn_blocking(move || child.wait())
            .await
            .unwrap()
            .unwrap();
        let ch = conn.create_channel().await.unwrap();
        for q in ["IJWMO_AMQP_INPUT_QUEUE", "IJWMO_AMQP_DEAD_LETTER_QUEUE"] {
            let _ = ch
                .queue_delete(self.names[q].as_str().into(), QueueDeleteOptions::default())
                .await;
        }
        for x in [
            "IJWMO_AMQP_INPUT_EXCHANGE",
            "IJWMO_AMQP_OUTPUT_EXCHANGE",
            "IJWMO_AMQP_DEAD_LETTER_EXCHANGE",
        ] {
            let _ = ch
                .exchange_delete(
                    self.names[x].as_str().into(),
                    ExchangeDeleteOptions::default(),
                )
                .await;
        }
        let log = std::fs::read_to_string(&self.log_path).unwrap();
        self.names.clear();
        drop(self.dir);
        assert!(stopped.success(), "ijwmo serve exit: {stopped:?}\n{log}");
        log
    }
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/fixtures/messages/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The daemon's own environment for a test: `IJWMO_TEST_DAEMON_ENV="K=V,K=V"` adds to it (e.g.
/// `IJWMO_AMQP_MAX_INFLIGHT_BYTES=4294967296` shows the memory test failing without a budget).
fn extra_env() -> Vec<(String, String)> {
    std::env::var("IJWMO_TEST_DAEMON_ENV")
        .unwrap_or_default()
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test]
async fn the_log_of_a_run_with_returned_messages_holds_no_bsn_and_each_return_once() {
    let Some(conn) = connect().await else {
        return;
    };
    let d = Daemon::start(
        &conn,
        "logs",
        &[
            ("IJWMO_LOG", "trace"),
            ("IJWMO_OUTBOX_CLAIM_TIMEOUT", "1s"),
            ("IJWMO_OUTBOX_INTERVAL", "200ms"),
            ("IJWMO_PSEUDONYM_KEY", "a-test-key-of-enough-bytes"),
        ],
    )
    .await;
    let channel = conn.create_channel().await.unwrap();
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let inputs: Vec<String> = ["JW301.xml", "JW315.xml", "JW323.xml"]
        .iter()
        .map(|n| fixture(n))
        .collect();
    for (i, xml) in inputs.iter().enumerate() {
        d.publish(&channel, &format!("log-{i}"), xml.as_bytes())
            .await;
    }
    // several claim timeouts: each answer is published, returned, and retried again
    tokio::time::sleep(Duration::from_secs(8)).await;
    let log = d.finish(&conn).await;
    let _ = conn.close(200, "done".into()).await;
    let all_bsns: Vec<String> = inputs.iter().flat_map(|x| bsns_in(x)).collect();
    assert!(!all_bsns.is_empty(), "the input holds BSNs");
    for (n, line) in log.lines().enumerate() {
        for bsn in &all_bsns {
            assert!(!leaks_bsn(line, bsn), "line {} holds a BSN: {line}", n + 1);
        }
    }
    let returned: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("outgoing message returned: no queue bound"))
        .collect();
    assert!(
        !returned.is_empty(),
        "no returned message seen; log:\n{log}"
    );
    let mut per_row: HashMap<String, usize> = HashMap::new();
    let re = regex::Regex::new(r"outbox_id=(\d+)").unwrap();
    for l in &returned {
        let row = re.captures(l).expect("outbox id logged")[1].to_string();
        *per_row.entry(row).or_default() += 1;
    }
    assert!(
        per_row.values().all(|n| *n == 1),
        "each returned row logged once: {per_row:?}"
    );
    assert!(
        log.contains("outgoing message returned again"),
        "the rows were retried (returned more than once) during the run"
    );
}

/// Regression (issue 13, defect 3): sixteen 24 MB messages took the service to 1.9 GB (prefetch
/// 64, all of them received and judged at once). With the default memory budget a stream of
/// large (malicious) messages mixed with ordinary ones keeps the whole daemon under 200 MB, and
/// every message is settled: the good ones stored, the bad ones dead-lettered.
#[tokio::test]
async fn large_messages_keep_the_daemon_within_its_memory_budget() {
    let Some(conn) = connect().await else {
        return;
    };
    let extra = extra_env();
    let mut env: Vec<(&str, &str)> = vec![("IJWMO_LOG", "warn")];
    env.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let d = Daemon::start(&conn, "memory", &env).await;
    let channel = conn.create_channel().await.unwrap();
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let large = fixture("JW301.xml").replacen("2014-06-12", &"3".repeat(24 << 20), 1);
    let (n_large, n_small) = (10, 24);
    for i in 0..n_small {
        if i % 2 == 0 && i / 2 < n_large {
            d.publish(&channel, &format!("large-{i}"), large.as_bytes())
                .await;
        }
        let small = fixture("JW305.xml").replace("JHG305-00231", &format!("MEM-{i:04}"));
        d.publish(&channel, &format!("small-{i}"), small.as_bytes())
            .await;
    }
    let mut settled = false;
    for _ in 0..1200 {
        let dead = d.count(&conn, "IJWMO_AMQP_DEAD_LETTER_QUEUE").await;
        let waiting = d.count(&conn, "IJWMO_AMQP_INPUT_QUEUE").await;
        if dead == Some(n_large) && waiting == Some(0) {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let peak = d.peak_rss();
    let log = d.finish(&conn).await;
    let _ = conn.close(200, "done".into()).await;
    assert!(settled, "not every message was settled; log:\n{log}");
    eprintln!("peak RSS {} MB", peak >> 20);
    assert!(peak < 200 << 20, "peak RSS {} MB", peak >> 20);
}
