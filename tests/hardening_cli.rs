//! Issue 13, defect 7 ("the small ones"), each seen from outside: a spool file whose name is
//! not UTF-8, colour codes in logs, the content of a wrong `--payers` file in an error, "pool
//! timed out" hiding "connection refused", a trivial pseudonym key, `ijwmo stats | head`, the
//! validator's own size limit, and messages of other releases.

mod support;

use chrono::Utc;
use ijwmo::config::Config;
use ijwmo::pipeline::{Handled, Incoming, Pipeline, Settings};
use ijwmo::transport::spool::{self, Spool};
use ijwmo::validate::Validator;
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::stores::{echo_pipeline, fixture, test_store, within};
use tokio_util::sync::CancellationToken;

/// The binary with no IJWMO_* variable of the caller's environment.
fn ijwmo() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ijwmo"));
    for (k, _) in std::env::vars() {
        if k.starts_with("IJWMO_") {
            c.env_remove(k);
        }
    }
    c
}

#[tokio::test]
async fn a_spool_file_whose_name_is_not_utf8_is_rejected_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = Config::default();
    cfg.spool.dir = dir.path().to_path_buf();
    let (pipeline, store) = echo_pipeline().await;
    let mut spool = Spool::new(pipeline, &cfg).unwrap();
    let folders = spool.folders().clone();
    let name = std::ffi::OsStr::from_bytes(b"bericht-\xff\xfe.xml");
    std::fs::write(folders.inbox.join(name), fixture("JW305.xml")).unwrap();
    let cancel = CancellationToken::new();
    let mut total = spool::Scan::default();
    for _ in 0..2 {
        let scan = within(10, "scan", spool.poll_once(&cancel)).await.unwrap();
        total.rejected += scan.rejected;
        total.done += scan.done;
    }
    assert_eq!((total.rejected, total.done), (1, 0));
    assert_eq!(std::fs::read_dir(&folders.inbox).unwrap().count(), 0);
    let mut rejected: Vec<String> = std::fs::read_dir(&folders.rejected)
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .into_string()
                .expect("a UTF-8 name now")
        })
        .collect();
    rejected.sort();
    assert_eq!(
        rejected,
        [
            "bericht-\u{fffd}\u{fffd}.xml",
            "bericht-\u{fffd}\u{fffd}.xml.reason.txt"
        ]
    );
    let reason = std::fs::read_to_string(folders.rejected.join(&rejected[1])).expect("reason file");
    assert!(reason.contains("not valid UTF-8"), "{reason}");
    assert_eq!(store.attempts(), 0, "the content was not processed");
}

/// The daemon's log on a pipe (a file, a journal) has no ANSI colour codes, and a PostgreSQL
/// that refuses connections at start is reported as such, at once, not as "pool timed out"
/// after the acquire timeout.
#[test]
fn serve_logs_plain_text_and_says_connection_refused() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let out = ijwmo()
        .args([
            "serve",
            "--http-listen",
            "off",
            "--transport",
            "spool",
            "--spool-dir",
        ])
        .arg(dir.path())
        .args(["--store-url", "postgres://postgres@127.0.0.1:1/ijwmo"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("starting"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "colour codes in the log: {stderr:?}"
    );
    assert!(stderr.contains("Connection refused"), "{stderr}");
    assert!(!stderr.contains("pool timed out"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "waited for the pool"
    );
}

#[test]
fn a_wrong_payers_file_is_described_not_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("passwd");
    std::fs::write(
        &file,
        "root:x:0:0:root:/root:/bin/bash\nanalyst:x:1000:1000:Jan Jansen:/home/jan:/bin/sh\n",
    )
    .unwrap();
    let out = ijwmo()
        .args(["stats", "costs", "--by", "payer", "--payers"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("not a TOML file of payer rules: line 1"),
        "{stderr}"
    );
    for secret in ["root", "/bin/bash", "Jan Jansen"] {
        assert!(
            !stderr
                .replace(&file.display().to_string(), "")
                .contains(secret),
            "{stderr}"
        );
    }
}

#[test]
fn a_trivial_pseudonym_key_is_refused() {
    for key in ["                ", "xxxxxxxxxxxxxxxxxxxxxxxx"] {
        let out = ijwmo()
            .args(["serve", "--print-config"])
            .env("IJWMO_PSEUDONYM_KEY", key)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{key:?} accepted");
        assert!(stderr.contains("pseudonym key"), "{stderr}");
    }
}

/// `ijwmo stats … | head`: the reader goes away; the command ends quietly, without a panic.
#[tokio::test]
async fn stats_into_a_closed_pipe_exits_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    ijwmo::store::open(&url).await.unwrap();
    for args in [
        &["stats", "late"][..],
        &["contracts", "list", "--format", "csv"],
    ] {
        let mut child = ijwmo()
            .args(args)
            .env("IJWMO_STORE_URL", &url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader is gone before anything is written
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(out.status.success(), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn the_validator_limit_is_the_configured_max_message_size() {
    let message = fixture("JW305.xml");
    let handle = |p: Pipeline, bytes: Vec<u8>| async move {
        p.handle(&Incoming {
            bytes,
            received_at: Utc::now(),
            origin: "test".into(),
        })
        .await
        .unwrap()
    };
    let small =
        Pipeline::new(test_store().await, Settings { today: None }).with_max_message_size(1000);
    match handle(small, message.clone()).await {
        Handled::Unprocessable { findings, .. } => {
            assert_eq!(findings[0].rule.as_deref(), Some("OP179"), "{findings:?}")
        }
        other => panic!("{other:?}"),
    }
    // a larger configured limit is the validator's limit too (26 MiB > its default 25 MiB)
    let text = String::from_utf8(message).unwrap();
    let padding = format!("<!--{}-->", " ".repeat(26 * 1024 * 1024));
    let big = text.replacen("?>", &format!("?>{padding}"), 1).into_bytes();
    assert!(big.len() > ijwmo::validate::MAX_MESSAGE_BYTES);
    let large = Pipeline::new(test_store().await, Settings { today: None })
        .with_max_message_size(30 * 1024 * 1024);
    match handle(large, big).await {
        Handled::Stored { .. } => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn messages_of_other_releases_are_named() {
    for (fixture_name, from, to, release) in [
        ("JW301.xml", "ijw/3_2/", "ijw/2_3/", "iJw 2.3"),
        ("JW301.xml", "ijw/3_2/", "ijw/3_0/", "iJw 3.0"),
        ("WMO301.xml", "iwmo/3_2/", "iwmo/2_0/", "iWmo 2.0"),
    ] {
        let text = String::from_utf8(fixture(fixture_name))
            .unwrap()
            .replace(from, to);
        let report = Validator::embedded().validate(text.as_bytes());
        assert_eq!(report.findings.len(), 1, "{:?}", report.findings);
        let f = &report.findings[0];
        assert_eq!(f.rule.as_deref(), Some("xml.namespace"));
        assert_eq!(
            f.message,
            format!("{release} is not supported; this service reads iJw/iWmo 3.2")
        );
    }
}
