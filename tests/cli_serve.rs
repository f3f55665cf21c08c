//! `ijwmo serve` configuration layering, seen from outside: defaults < file < IJWMO_* < flags.

use std::process::Command;

fn ijwmo() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ijwmo"));
    for (k, _) in std::env::vars() {
        if k.starts_with("IJWMO_") {
            c.env_remove(k);
        }
    }
    c
}

fn stdout(c: &mut Command) -> String {
    let out = c.output().expect("run ijwmo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn print_config_layers_file_env_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ijwmo.toml");
    std::fs::write(
        &file,
        "transport = \"amqp\"\n[amqp]\nprefetch = 4\ninput_queue = \"from-file\"\n[outbox]\nbatch_size = 7\n",
    )
    .unwrap();
    let text = stdout(
        ijwmo()
            .args(["serve", "--print-config", "--amqp-prefetch", "9"])
            .env("IJWMO_CONFIG", &file)
            .env("IJWMO_AMQP_PREFETCH", "5")
            .env("IJWMO_AMQP_INPUT_QUEUE", "from-env")
            .env("IJWMO_AMQP_URL", "amqp://ijwmo:s3cret@broker:5672/%2f")
            .env("IJWMO_SPOOL_POLL_INTERVAL", "2s"),
    );
    let c = ijwmo::config::Config::from_toml(&text).expect("printed config parses");
    assert_eq!(c.transport, ijwmo::config::TransportKind::Amqp, "file");
    assert_eq!(c.outbox.batch_size, 7, "file");
    assert_eq!(c.amqp.input_queue, "from-env", "env beats file");
    assert_eq!(c.amqp.prefetch, 9, "flag beats env");
    assert_eq!(c.spool.poll_interval, std::time::Duration::from_secs(2));
    assert_eq!(c.store.url, "sqlite://ijwmo-data/ijwmo.db", "default");
    assert!(!text.contains("s3cret"), "password hidden:\n{text}");
    assert_eq!(c.amqp.url, "amqp://ijwmo:***@broker:5672/%2f");
}

#[test]
fn bad_configuration_is_refused() {
    let out = ijwmo()
        .args(["serve", "--print-config"])
        .env("IJWMO_AMQP_PREFETCH", "0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("prefetch"));
    let out = ijwmo()
        .args(["serve", "--print-config", "--shutdown-grace", "30"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a duration needs a unit");
}

#[test]
fn help_documents_every_option_with_its_variable() {
    let help = stdout(ijwmo().args(["serve", "--help"]));
    for var in [
        "IJWMO_CONFIG",
        "IJWMO_STORE_URL",
        "IJWMO_TRANSPORT",
        "IJWMO_MAX_MESSAGE_SIZE",
        "IJWMO_SHUTDOWN_GRACE",
        "IJWMO_SPOOL_DIR",
        "IJWMO_SPOOL_POLL_INTERVAL",
        "IJWMO_SPOOL_ARCHIVE",
        "IJWMO_AMQP_URL",
        "IJWMO_AMQP_CONNECTION_NAME",
        "IJWMO_AMQP_INPUT_EXCHANGE",
        "IJWMO_AMQP_INPUT_QUEUE",
        "IJWMO_AMQP_OUTPUT_EXCHANGE",
        "IJWMO_AMQP_DEAD_LETTER_EXCHANGE",
        "IJWMO_AMQP_DEAD_LETTER_QUEUE",
        "IJWMO_AMQP_QUEUE_TYPE",
        "IJWMO_AMQP_PREFETCH",
        "IJWMO_AMQP_PUBLISH_TIMEOUT",
        "IJWMO_AMQP_RECONNECT_MAX",
        "IJWMO_OUTBOX_BATCH_SIZE",
        "IJWMO_OUTBOX_INTERVAL",
        "IJWMO_OUTBOX_RESEND_DUPLICATE_ANSWERS",
        "IJWMO_OUTBOX_CLAIM_TIMEOUT",
        "IJWMO_LOG_FORMAT",
        "IJWMO_LOG",
    ] {
        assert!(help.contains(&format!("[env: {var}")), "--help lacks {var}");
    }
    // and the README's table lists the same variables
    let readme = include_str!("../deploy/README.md");
    for line in help.lines().filter_map(|l| l.trim().strip_prefix("[env: ")) {
        let var = line.split(['=', ']']).next().unwrap();
        if var != "IJWMO_CONFIG" {
            assert!(readme.contains(var), "deploy/README.md lacks {var}");
        }
    }
}
