//! What the running service writes to its log, seen from outside: the real `ijwmo serve`
//! against the real RabbitMQ, its stderr captured at the most verbose level (`trace`), while the
//! broker returns every answer as unroutable (no queue bound: a normal state) again and again.
//! No line may hold a BSN of the input, in any form (as text, or as the bytes of a body), and
//! every returned row is logged once (issue 13, defect 2). Without a broker the test prints a
//! notice and passes, unless `IJWMO_REQUIRE_SERVICES=1`.

use ijwmo::logging::{bsns_in, leaks_bsn};
use lapin::options::{
    BasicPublishOptions, ConfirmSelectOptions, ExchangeDeleteOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
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
        _ if std::env::var("IJWMO_REQUIRE_SERVICES").as_deref() == Ok("1") => {
            panic!("RabbitMQ is required (IJWMO_REQUIRE_SERVICES=1) but unreachable")
        }
        _ => {
            eprintln!("SKIPPED: no RabbitMQ");
            None
        }
    }
}

#[tokio::test]
async fn the_log_of_a_run_with_returned_messages_holds_no_bsn_and_each_return_once() {
    let Some(conn) = connect().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let id = format!("ijwmo-test.logs.{}.{nanos}", std::process::id());
    let names: HashMap<&str, String> = [
        ("IJWMO_AMQP_INPUT_EXCHANGE", format!("{id}.in-x")),
        ("IJWMO_AMQP_INPUT_QUEUE", format!("{id}.in")),
        ("IJWMO_AMQP_OUTPUT_EXCHANGE", format!("{id}.out")),
        ("IJWMO_AMQP_DEAD_LETTER_EXCHANGE", format!("{id}.dlx")),
        ("IJWMO_AMQP_DEAD_LETTER_QUEUE", format!("{id}.dead")),
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
        .env("IJWMO_TRANSPORT", "amqp")
        .env("IJWMO_AMQP_URL", broker_url())
        .env("IJWMO_AMQP_QUEUE_TYPE", "classic")
        .env("IJWMO_AMQP_CONNECTION_NAME", &id)
        .env(
            "IJWMO_STORE_URL",
            format!("sqlite://{}/ijwmo.db", dir.path().display()),
        )
        .env("IJWMO_LOG", "trace")
        .env("IJWMO_OUTBOX_CLAIM_TIMEOUT", "1s")
        .env("IJWMO_OUTBOX_INTERVAL", "200ms")
        .env("IJWMO_PSEUDONYM_KEY", "a-test-key-of-enough-bytes")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap());
    for (k, v) in &names {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start ijwmo serve");

    let channel = conn.create_channel().await.unwrap();
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    let input_queue = names["IJWMO_AMQP_INPUT_QUEUE"].clone();
    // the service declares its topology; wait for it
    let mut declared = false;
    for _ in 0..200 {
        let ch = conn.create_channel().await.unwrap();
        let passive = ch
            .queue_declare(
                input_queue.as_str().into(),
                QueueDeclareOptions::default().passive(),
                FieldTable::default(),
            )
            .await;
        if passive.is_ok() {
            let _ = ch.close(200, "ok".into()).await;
            declared = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(declared, "the service never declared its queue");

    let mut inputs = Vec::new();
    for name in ["JW301.xml", "JW315.xml", "JW323.xml"] {
        let xml = std::fs::read_to_string(format!(
            "{}/fixtures/messages/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        inputs.push(xml);
    }
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for (i, xml) in inputs.iter().enumerate() {
        let confirm = channel
            .basic_publish(
                names["IJWMO_AMQP_INPUT_EXCHANGE"].as_str().into(),
                "input".into(),
                BasicPublishOptions::default(),
                xml.as_bytes(),
                BasicProperties::default()
                    .with_message_id(format!("log-{i}").into())
                    .with_timestamp(now),
            )
            .await
            .unwrap();
        assert!(confirm.await.unwrap().is_ack());
    }
    // several claim timeouts: each answer is published, returned, and retried again
    tokio::time::sleep(Duration::from_secs(8)).await;
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let stopped = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(stopped.success(), "ijwmo serve exit: {stopped:?}");

    // clean up the broker
    let ch = conn.create_channel().await.unwrap();
    for q in [&input_queue, &names["IJWMO_AMQP_DEAD_LETTER_QUEUE"]] {
        let _ = ch
            .queue_delete(q.as_str().into(), QueueDeleteOptions::default())
            .await;
    }
    for x in [
        "IJWMO_AMQP_INPUT_EXCHANGE",
        "IJWMO_AMQP_OUTPUT_EXCHANGE",
        "IJWMO_AMQP_DEAD_LETTER_EXCHANGE",
    ] {
        let _ = ch
            .exchange_delete(names[x].as_str().into(), ExchangeDeleteOptions::default())
            .await;
    }
    let _ = conn.close(200, "done".into()).await;

    let log = std::fs::read_to_string(&log_path).unwrap();
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
