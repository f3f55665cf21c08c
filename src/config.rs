//! The service's configuration: one [`Config`], built in layers (later wins):
//!
//! 1. built-in defaults — the embedded shape, nothing to install: SQLite file + spool folder;
//! 2. an optional TOML file (`--config FILE` / `IJWMO_CONFIG`);
//! 3. environment variables `IJWMO_*` (12-factor);
//! 4. command-line flags.
//!
//! Layers 3 and 4 arrive together through [`Overrides`] (clap reads each flag's `env`
//! variable when the flag itself is absent), so `ijwmo serve --help` lists every option with
//! its variable. Durations are written with a unit (`500ms`, `2s`, `1m`, `1h`).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;
use thiserror::Error;

/// Where messages come from and answers go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    /// Folders: `inbox/` in, `outbox/<routing key>/` out, `rejected/` kept aside.
    Spool,
    /// RabbitMQ (AMQP 0-9-1).
    Amqp,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// RabbitMQ queue type of the input and dead-letter queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum QueueType {
    /// Replicated, at-least-once dead-lettering, poison-message delivery limit. Production.
    Quorum,
    /// Single-node classic queue.
    Classic,
}

impl QueueType {
    pub fn as_str(self) -> &'static str {
        match self {
            QueueType::Quorum => "quorum",
            QueueType::Classic => "classic",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub transport: TransportKind,
    /// Largest message accepted, in bytes; larger input is unprocessable (OP179).
    pub max_message_size: usize,
    /// How long a shutdown waits for in-flight messages and the last outbox flush.
    #[serde(with = "duration_text")]
    pub shutdown_grace: Duration,
    pub store: StoreConfig,
    pub spool: SpoolConfig,
    pub amqp: AmqpConfig,
    pub outbox: OutboxConfig,
    pub log: LogConfig,
    /// Timeliness and cost facts (recorded when a pseudonym key is set).
    pub facts: crate::facts::FactsConfig,
    pub http: HttpConfig,
}

/// The HTTP listener: health, metrics, the dashboard and its API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// `host:port`, or `off` for no listener. A non-loopback address requires bearer tokens on
    /// the API.
    pub listen: String,
    /// Access tokens: the SHA-256 (hex) of each token with its scope (`ijwmo token` makes one).
    pub tokens: Vec<crate::http::access::TokenConfig>,
    /// Payer rules (TOML) for the figures by paying municipality.
    pub payers: Option<PathBuf>,
    /// The municipalities' budgets and the warning thresholds (TOML) of `/api/v1/budget`.
    pub budgets: Option<PathBuf>,
    /// The penalty scheme (TOML) of `/api/v1/penalties`; without it that figure is off.
    pub penalty_scheme: Option<PathBuf>,
    /// How old the API's figures may get before they are read again from the store.
    #[serde(with = "duration_text")]
    pub facts_refresh: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: "127.0.0.1:8080".into(),
            tokens: Vec::new(),
            payers: None,
            budgets: None,
            penalty_scheme: None,
            facts_refresh: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://path/to/file.db`, `sqlite::memory:` or `postgres://user:pass@host/db`.
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpoolConfig {
    /// Holds `inbox/`, `outbox/`, `rejected/` (and `archive/` when archiving).
    pub dir: PathBuf,
    /// How often `inbox/` is scanned. A file is taken once its size and modification time
    /// were the same in two successive scans.
    #[serde(with = "duration_text")]
    pub poll_interval: Duration,
    /// Move processed input to `archive/` instead of deleting it (the message log keeps the
    /// raw message either way).
    pub archive: bool,
    /// Most files judged together in one database transaction (one commit for all), taken in
    /// name order from the files that are ready; a scan never waits to fill a batch.
    pub batch_size: u16,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AmqpConfig {
    /// `amqp://user:pass@host:5672/%2f` (`amqps://` for TLS); `?heartbeat=N` is honoured.
    pub url: String,
    /// Name the connection shows in the broker's management UI.
    pub connection_name: String,
    /// Topic exchange the gateways publish input to; the input queue is bound to it with `#`.
    pub input_exchange: String,
    pub input_queue: String,
    /// Durable topic exchange answers and forwards are published to, with routing keys
    /// `gemeente.<code>.<kind>` and `aanbieder.<agb>.<kind>`.
    pub output_exchange: String,
    /// Fanout exchange for input that cannot be processed (and for the broker's own
    /// dead-lettering of the input queue).
    pub dead_letter_exchange: String,
    pub dead_letter_queue: String,
    pub queue_type: QueueType,
    /// Unacknowledged deliveries per consumer (basic.qos): the messages in the service at
    /// once, waiting or being judged.
    pub prefetch: u16,
    /// Memory budget: bytes of input held at once (received and not yet settled). Batches are
    /// judged only while their bytes fit, and the prefetch narrows to budget ÷
    /// `max_message_size` while large messages arrive (see `transport::intake`).
    pub max_inflight_bytes: usize,
    /// Most deliveries judged together in one database transaction (one commit for all).
    /// Deliveries that are already waiting when a batch starts join it; an idle service judges
    /// each message alone at once. Up to prefetch ÷ batch size batches (at least one) are
    /// judged at the same time.
    pub batch_size: u16,
    /// How long a publish may wait for the broker's confirm before the channel is given up.
    #[serde(with = "duration_text")]
    pub publish_timeout: Duration,
    /// Longest wait between reconnect attempts (the backoff starts at 250 ms and doubles).
    #[serde(with = "duration_text")]
    pub reconnect_max: Duration,
    /// Input partitions for several instances (0: one input queue, every instance competing
    /// on it, order kept within one instance only). N > 0: the input queue becomes an intake
    /// (single active consumer) that moves each message, in order, to the consistent-hash
    /// exchange `partition_exchange` with its partition key
    /// (`<standard>.<gemeente>.<agb>`); N quorum queues `<input_queue>.p<i>` with single
    /// active consumer are bound to it, so each relationship has one consumer at a time. See
    /// [`crate::transport::partition`].
    pub partitions: u16,
    /// The consistent-hash exchange the partitions are bound to. Gateways that set the
    /// partition key as routing key may publish to it directly.
    pub partition_exchange: String,
    /// The partitions this instance consumes at once, e.g. `0-3` or `0,2,5`; empty: all.
    pub own_partitions: String,
    /// After this long the instance consumes the other partitions too, as a standby (the
    /// broker keeps the owner active and switches when it goes away); `0s`: never.
    #[serde(with = "duration_text")]
    pub standby_after: Duration,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxConfig {
    /// Rows claimed and published per round.
    pub batch_size: u32,
    /// Pause between rounds when the outbox is empty (a stored message wakes it earlier).
    #[serde(with = "duration_text")]
    pub interval: Duration,
    /// When a message arrives again unchanged, publish the answers given to it then once more
    /// (same identification, so receivers can deduplicate).
    pub resend_duplicate_answers: bool,
    /// How long a claimed row stays with the publisher that claimed it before another may
    /// take it. Bounds how long answers wait after a publisher died without releasing its
    /// claims (killed, or the database was unreachable when it gave up); keep it well above
    /// the time one batch takes to publish (`amqp.publish_timeout`).
    #[serde(with = "duration_text")]
    pub claim_timeout: Duration,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    /// tracing `EnvFilter` directives, e.g. `info` or `info,lapin=warn`.
    pub filter: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            transport: TransportKind::Spool,
            max_message_size: crate::validate::MAX_MESSAGE_BYTES,
            shutdown_grace: Duration::from_secs(30),
            store: StoreConfig::default(),
            spool: SpoolConfig::default(),
            amqp: AmqpConfig::default(),
            outbox: OutboxConfig::default(),
            log: LogConfig::default(),
            facts: crate::facts::FactsConfig::default(),
            http: HttpConfig::default(),
        }
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            url: "sqlite://ijwmo-data/ijwmo.db".into(),
        }
    }
}

impl Default for SpoolConfig {
    fn default() -> Self {
        SpoolConfig {
            dir: PathBuf::from("ijwmo-data/spool"),
            poll_interval: Duration::from_millis(500),
            archive: false,
            batch_size: 64,
        }
    }
}

impl AmqpConfig {
    /// Batches judged at the same time: enough to hold the prefetch, each connection busy
    /// with one (see [`AmqpConfig::batch_size`]).
    pub fn batches_in_flight(&self) -> usize {
        usize::from(self.prefetch)
            .div_ceil(usize::from(self.batch_size.max(1)))
            .max(1)
    }
}

impl Default for AmqpConfig {
    fn default() -> Self {
        AmqpConfig {
            url: "amqp://guest:guest@127.0.0.1:5672/%2f".into(),
            connection_name: "ijwmo".into(),
            input_exchange: "ijwmo.in".into(),
            input_queue: "ijwmo.in".into(),
            output_exchange: "ijwmo.out".into(),
            dead_letter_exchange: "ijwmo.dlx".into(),
            dead_letter_queue: "ijwmo.dead".into(),
            queue_type: QueueType::Quorum,
            prefetch: 64,
            max_inflight_bytes: 48 << 20,
            batch_size: 8,
            publish_timeout: Duration::from_secs(30),
            reconnect_max: Duration::from_secs(30),
            partitions: 0,
            partition_exchange: "ijwmo.in.partitioned".into(),
            own_partitions: String::new(),
            standby_after: Duration::from_secs(10),
        }
    }
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            batch_size: 100,
            interval: Duration::from_secs(1),
            resend_duplicate_answers: true,
            claim_timeout: crate::store::DEFAULT_CLAIM_TIMEOUT,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Text,
            filter: "info".into(),
        }
    }
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Environment variables and command-line flags; every field overrides the file when set.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Overrides {
    /// TOML configuration file (optional; see deploy/ijwmo.example.toml).
    #[arg(long = "config", value_name = "FILE", env = "IJWMO_CONFIG")]
    pub config_file: Option<PathBuf>,
    /// Store URL: sqlite://FILE, sqlite::memory: or postgres://… [default: sqlite://ijwmo-data/ijwmo.db]
    #[arg(
        long,
        value_name = "URL",
        env = "IJWMO_STORE_URL",
        hide_env_values = true
    )]
    pub store_url: Option<String>,
    /// Where messages come from and answers go to [default: spool]
    #[arg(long, value_enum, env = "IJWMO_TRANSPORT")]
    pub transport: Option<TransportKind>,
    /// Largest message accepted, in bytes [default: 26214400]
    #[arg(long, value_name = "BYTES", env = "IJWMO_MAX_MESSAGE_SIZE")]
    pub max_message_size: Option<usize>,
    /// Time to finish in-flight messages and flush the outbox on SIGTERM/SIGINT [default: 30s]
    #[arg(long, value_name = "DURATION", env = "IJWMO_SHUTDOWN_GRACE", value_parser = parse_duration)]
    pub shutdown_grace: Option<Duration>,

    /// Spool folder holding inbox/, outbox/, rejected/ (and archive/) [default: ijwmo-data/spool]
    #[arg(
        long,
        value_name = "DIR",
        env = "IJWMO_SPOOL_DIR",
        help_heading = "Spool"
    )]
    pub spool_dir: Option<PathBuf>,
    /// How often inbox/ is scanned [default: 500ms]
    #[arg(long, value_name = "DURATION", env = "IJWMO_SPOOL_POLL_INTERVAL", value_parser = parse_duration, help_heading = "Spool")]
    pub spool_poll_interval: Option<Duration>,
    /// Move processed input to archive/ instead of deleting it [default: false]
    #[arg(
        long,
        value_name = "BOOL",
        env = "IJWMO_SPOOL_ARCHIVE",
        help_heading = "Spool"
    )]
    pub spool_archive: Option<bool>,
    /// Most spool files judged in one transaction [default: 64]
    #[arg(
        long,
        value_name = "N",
        env = "IJWMO_SPOOL_BATCH_SIZE",
        help_heading = "Spool"
    )]
    pub spool_batch_size: Option<u16>,

    /// Broker URL, amqp://user:pass@host:5672/%2f [default: amqp://guest:guest@127.0.0.1:5672/%2f]
    #[arg(
        long,
        value_name = "URL",
        env = "IJWMO_AMQP_URL",
        hide_env_values = true,
        help_heading = "AMQP"
    )]
    pub amqp_url: Option<String>,
    /// Connection name shown by the broker [default: ijwmo]
    #[arg(
        long,
        value_name = "NAME",
        env = "IJWMO_AMQP_CONNECTION_NAME",
        help_heading = "AMQP"
    )]
    pub amqp_connection_name: Option<String>,
    /// Topic exchange the input is published to [default: ijwmo.in]
    #[arg(
        long,
        value_name = "NAME",
        env = "IJWMO_AMQP_INPUT_EXCHANGE",
        help_heading = "AMQP"
    )]
    pub amqp_input_exchange: Option<String>,
    /// Durable input queue, bound to the input exchange with `#` [default: ijwmo.in]
    #[arg(
        long,
        value_name = "NAME",
        env = "IJWMO_AMQP_INPUT_QUEUE",
        help_heading = "AMQP"
    )]
    pub amqp_input_queue: Option<String>,
    /// Durable topic exchange for answers and forwards [default: ijwmo.out]
    #[arg(
        long,
        value_name = "NAME",
        env = "IJWMO_AMQP_OUTPUT_EXCHANGE",
        help_heading = "AMQP"
    )]
    pub amqp_output_exchange: Option<String>,
    /// Fanout exchange for unprocessable input [default: ijwmo.dlx]
    #[arg(
        long,
        value_name = "NAME",
        env = "IJWMO_AMQP_DEAD_LETTER_EXCHANGE",
        help_heading = "AMQP"
    )]
    pub amqp_dead_letter_exchange: Option<String>,
    /// Queue bound to the dead-letter exchange [default: ijwmo.dead]
    #[arg(
        long,
        value_name = "NAME",
        env = "IJWMO_AMQP_DEAD_LETTER_QUEUE",
        help_heading = "AMQP"
    )]
    pub amqp_dead_letter_queue: Option<String>,
    /// Type of the queues declared [default: quorum]
    #[arg(long, value_enum, env = "IJWMO_AMQP_QUEUE_TYPE", help_heading = "AMQP")]
    pub amqp_queue_type: Option<QueueType>,
    /// Unacknowledged deliveries (basic.qos) = messages in the service at once [default: 64]
    #[arg(
        long,
        value_name = "N",
        env = "IJWMO_AMQP_PREFETCH",
        help_heading = "AMQP"
    )]
    pub amqp_prefetch: Option<u16>,
    /// Memory budget: bytes of input held and judged at once [default: 50331648 (48 MiB)]
    #[arg(
        long,
        value_name = "BYTES",
        env = "IJWMO_AMQP_MAX_INFLIGHT_BYTES",
        help_heading = "AMQP"
    )]
    pub amqp_max_inflight_bytes: Option<usize>,
    /// Most deliveries judged in one transaction [default: 8]
    #[arg(
        long,
        value_name = "N",
        env = "IJWMO_AMQP_BATCH_SIZE",
        help_heading = "AMQP"
    )]
    pub amqp_batch_size: Option<u16>,
    /// Longest wait for a publisher confirm [default: 30s]
    #[arg(long, value_name = "DURATION", env = "IJWMO_AMQP_PUBLISH_TIMEOUT", value_parser = parse_duration, help_heading = "AMQP")]
    pub amqp_publish_timeout: Option<Duration>,
    /// Longest pause between reconnect attempts [default: 30s]
    #[arg(long, value_name = "DURATION", env = "IJWMO_AMQP_RECONNECT_MAX", value_parser = parse_duration, help_heading = "AMQP")]
    pub amqp_reconnect_max: Option<Duration>,
    /// Input partitions, for several instances in order (0: one input queue) [default: 0]
    #[arg(
        long,
        value_name = "N",
        env = "IJWMO_AMQP_PARTITIONS",
        help_heading = "AMQP"
    )]
    pub amqp_partitions: Option<u16>,
    /// Consistent-hash exchange of the partitions [default: ijwmo.in.partitioned]
    #[arg(
        long,
        value_name = "NAME",
        env = "IJWMO_AMQP_PARTITION_EXCHANGE",
        help_heading = "AMQP"
    )]
    pub amqp_partition_exchange: Option<String>,
    /// Partitions this instance consumes at once, e.g. 0-3 or 0,2,5 [default: all]
    #[arg(
        long,
        value_name = "LIST",
        env = "IJWMO_AMQP_OWN_PARTITIONS",
        help_heading = "AMQP"
    )]
    pub amqp_own_partitions: Option<String>,
    /// Consume the other partitions as a standby after this long; 0s: never [default: 10s]
    #[arg(long, value_name = "DURATION", env = "IJWMO_AMQP_STANDBY_AFTER", value_parser = parse_duration, help_heading = "AMQP")]
    pub amqp_standby_after: Option<Duration>,

    /// Outbox rows published per round [default: 100]
    #[arg(
        long,
        value_name = "N",
        env = "IJWMO_OUTBOX_BATCH_SIZE",
        help_heading = "Outbox"
    )]
    pub outbox_batch_size: Option<u32>,
    /// Pause between rounds when the outbox is empty [default: 1s]
    #[arg(long, value_name = "DURATION", env = "IJWMO_OUTBOX_INTERVAL", value_parser = parse_duration, help_heading = "Outbox")]
    pub outbox_interval: Option<Duration>,
    /// Publish the earlier answers again when a message arrives again unchanged [default: true]
    #[arg(
        long,
        value_name = "BOOL",
        env = "IJWMO_OUTBOX_RESEND_DUPLICATE_ANSWERS",
        help_heading = "Outbox"
    )]
    pub outbox_resend_duplicate_answers: Option<bool>,
    /// How long a claimed outbox row stays with its publisher before another may take it [default: 1m]
    #[arg(long, value_name = "DURATION", env = "IJWMO_OUTBOX_CLAIM_TIMEOUT", value_parser = parse_duration, help_heading = "Outbox")]
    pub outbox_claim_timeout: Option<Duration>,

    /// Log line format [default: text]
    #[arg(long, value_enum, env = "IJWMO_LOG_FORMAT", help_heading = "Logging")]
    pub log_format: Option<LogFormat>,
    /// Log filter (tracing EnvFilter directives) [default: info]
    #[arg(
        long,
        value_name = "FILTER",
        env = "IJWMO_LOG",
        help_heading = "Logging"
    )]
    pub log_filter: Option<String>,

    /// Secret key of the BSN pseudonym in the facts (at least 16 bytes); unset: no facts
    #[arg(
        long,
        value_name = "SECRET",
        env = "IJWMO_PSEUDONYM_KEY",
        hide_env_values = true,
        help_heading = "Facts"
    )]
    pub pseudonym_key: Option<String>,
    /// Extra closed days besides the national holidays, comma-separated YYYY-MM-DD
    #[arg(
        long,
        value_name = "DATES",
        env = "IJWMO_CLOSED_DAYS",
        value_delimiter = ',',
        help_heading = "Facts"
    )]
    pub closed_days: Option<Vec<chrono::NaiveDate>>,
    /// Declaration term: end-of-month+N or working-days+N [default: end-of-month+1]
    #[arg(
        long,
        value_name = "TERM",
        env = "IJWMO_DECLARATIE_TERMIJN",
        help_heading = "Facts"
    )]
    pub declaratie_termijn: Option<String>,
    /// Move an end-of-month declaration term off a weekend day or holiday to the next working
    /// day: true or false [default: false, the agreed term stays on the last day of the month]
    #[arg(
        long,
        value_name = "BOOL",
        env = "IJWMO_DECLARATIE_NAAR_WERKDAG",
        help_heading = "Facts"
    )]
    pub declaratie_naar_werkdag: Option<bool>,
    /// First day timeliness is measured (go-live), YYYY-MM-DD; earlier obligations are not recorded
    #[arg(
        long,
        value_name = "DATE",
        env = "IJWMO_MEASURE_FROM",
        help_heading = "Facts"
    )]
    pub measure_from: Option<chrono::NaiveDate>,

    /// HTTP listener (health, metrics, dashboard, API), host:port or `off` [default: 127.0.0.1:8080]
    #[arg(
        long,
        value_name = "ADDR",
        env = "IJWMO_HTTP_LISTEN",
        help_heading = "HTTP"
    )]
    pub http_listen: Option<String>,
    /// API tokens as HASH=SCOPE pairs, comma-separated (replaces http.tokens of the file)
    #[arg(
        long,
        value_name = "LIST",
        env = "IJWMO_HTTP_TOKENS",
        hide_env_values = true,
        value_parser = parse_tokens,
        help_heading = "HTTP"
    )]
    pub http_tokens: Option<TokenList>,
    /// Payer rules (TOML) for the figures by paying municipality
    #[arg(long, value_name = "FILE", env = "IJWMO_PAYERS", help_heading = "HTTP")]
    pub payers: Option<PathBuf>,
    /// Municipalities' budgets and warning thresholds (TOML) for the budget early warning
    #[arg(
        long,
        value_name = "FILE",
        env = "IJWMO_BUDGETS",
        help_heading = "HTTP"
    )]
    pub budgets: Option<PathBuf>,
    /// Penalty scheme (TOML) for the late-declaration penalties report
    #[arg(
        long,
        value_name = "FILE",
        env = "IJWMO_PENALTY_SCHEME",
        help_heading = "HTTP"
    )]
    pub penalty_scheme: Option<PathBuf>,
    /// How old the API's figures may get before they are read again [default: 1m]
    #[arg(long, value_name = "DURATION", env = "IJWMO_HTTP_FACTS_REFRESH", value_parser = parse_duration, help_heading = "HTTP")]
    pub http_facts_refresh: Option<Duration>,
}

/// The tokens of `--http-tokens` / `IJWMO_HTTP_TOKENS` (one value holding every pair).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenList(pub Vec<crate::http::access::TokenConfig>);

fn parse_tokens(text: &str) -> Result<TokenList, String> {
    crate::http::access::parse_token_list(text).map(TokenList)
}

impl Config {
    /// Defaults, then the file named in `overrides` (if any), then the overrides themselves.
    pub fn load(overrides: &Overrides) -> Result<Config, ConfigError> {
        let mut config = match &overrides.config_file {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        config.apply(overrides);
        config.check()?;
        Ok(config)
    }

    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::from_toml(&text).map_err(|source| ConfigError::Parse {
            path: path.to_path_buf(),
            source: Box::new(source),
        })
    }

    pub fn from_toml(text: &str) -> Result<Config, toml::de::Error> {
        toml::from_str(text)
    }

    /// The configuration as TOML with passwords in URLs replaced by `***`.
    pub fn to_toml_redacted(&self) -> String {
        let mut c = self.clone();
        c.store.url = redact_url(&c.store.url);
        c.amqp.url = redact_url(&c.amqp.url);
        if !c.facts.pseudonym_key.is_empty() {
            c.facts.pseudonym_key = "***".into();
        }
        toml::to_string(&c).unwrap_or_else(|e| format!("# cannot render configuration: {e}\n"))
    }

    pub fn apply(&mut self, o: &Overrides) {
        fn set<T: Clone>(target: &mut T, value: &Option<T>) {
            if let Some(v) = value {
                *target = v.clone();
            }
        }
        set(&mut self.store.url, &o.store_url);
        set(&mut self.transport, &o.transport);
        set(&mut self.max_message_size, &o.max_message_size);
        set(&mut self.shutdown_grace, &o.shutdown_grace);
        set(&mut self.spool.dir, &o.spool_dir);
        set(&mut self.spool.poll_interval, &o.spool_poll_interval);
        set(&mut self.spool.archive, &o.spool_archive);
        set(&mut self.spool.batch_size, &o.spool_batch_size);
        set(&mut self.amqp.url, &o.amqp_url);
        set(&mut self.amqp.connection_name, &o.amqp_connection_name);
        set(&mut self.amqp.input_exchange, &o.amqp_input_exchange);
        set(&mut self.amqp.input_queue, &o.amqp_input_queue);
        set(&mut self.amqp.output_exchange, &o.amqp_output_exchange);
        set(
            &mut self.amqp.dead_letter_exchange,
            &o.amqp_dead_letter_exchange,
        );
        set(&mut self.amqp.dead_letter_queue, &o.amqp_dead_letter_queue);
        set(&mut self.amqp.queue_type, &o.amqp_queue_type);
        set(&mut self.amqp.prefetch, &o.amqp_prefetch);
        set(&mut self.amqp.batch_size, &o.amqp_batch_size);
        set(
            &mut self.amqp.max_inflight_bytes,
            &o.amqp_max_inflight_bytes,
        );
        set(&mut self.amqp.publish_timeout, &o.amqp_publish_timeout);
        set(&mut self.amqp.reconnect_max, &o.amqp_reconnect_max);
        set(&mut self.amqp.partitions, &o.amqp_partitions);
        set(
            &mut self.amqp.partition_exchange,
            &o.amqp_partition_exchange,
        );
        set(&mut self.amqp.own_partitions, &o.amqp_own_partitions);
        set(&mut self.amqp.standby_after, &o.amqp_standby_after);
        set(&mut self.outbox.batch_size, &o.outbox_batch_size);
        set(&mut self.outbox.interval, &o.outbox_interval);
        set(
            &mut self.outbox.resend_duplicate_answers,
            &o.outbox_resend_duplicate_answers,
        );
        set(&mut self.outbox.claim_timeout, &o.outbox_claim_timeout);
        set(&mut self.log.format, &o.log_format);
        set(&mut self.log.filter, &o.log_filter);
        set(&mut self.facts.pseudonym_key, &o.pseudonym_key);
        set(&mut self.facts.closed_days, &o.closed_days);
        set(&mut self.facts.declaratie_termijn, &o.declaratie_termijn);
        set(
            &mut self.facts.declaratie_naar_werkdag,
            &o.declaratie_naar_werkdag,
        );
        if o.measure_from.is_some() {
            self.facts.measure_from = o.measure_from;
        }
        set(&mut self.http.listen, &o.http_listen);
        if let Some(t) = &o.http_tokens {
            self.http.tokens = t.0.clone();
        }
        if o.payers.is_some() {
            self.http.payers = o.payers.clone();
        }
        if o.budgets.is_some() {
            self.http.budgets = o.budgets.clone();
        }
        if o.penalty_scheme.is_some() {
            self.http.penalty_scheme = o.penalty_scheme.clone();
        }
        set(&mut self.http.facts_refresh, &o.http_facts_refresh);
    }

    /// Rejects values the service cannot run with.
    pub fn check(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        if self.facts.enabled() {
            if let Err(e) = crate::facts::FactsEngine::from_config(&self.facts) {
                return bad(e.to_string());
            }
        }
        if self.max_message_size == 0 {
            return bad("max_message_size must be at least 1".into());
        }
        if self.amqp.prefetch == 0 {
            return bad("amqp.prefetch must be at least 1".into());
        }
        if self.amqp.max_inflight_bytes < 1024 {
            return bad("amqp.max_inflight_bytes must be at least 1024".into());
        }
        if self.amqp.batch_size == 0 {
            return bad("amqp.batch_size must be at least 1".into());
        }
        if self.spool.batch_size == 0 {
            return bad("spool.batch_size must be at least 1".into());
        }
        if self.outbox.batch_size == 0 {
            return bad("outbox.batch_size must be at least 1".into());
        }
        if let Err(e) = crate::transport::partition::parse_partitions(
            &self.amqp.own_partitions,
            self.amqp.partitions,
        ) {
            return bad(format!("amqp.own_partitions: {e}"));
        }
        for (name, d) in [
            ("spool.poll_interval", self.spool.poll_interval),
            ("outbox.interval", self.outbox.interval),
            ("outbox.claim_timeout", self.outbox.claim_timeout),
            ("amqp.publish_timeout", self.amqp.publish_timeout),
            ("amqp.reconnect_max", self.amqp.reconnect_max),
        ] {
            if d.is_zero() {
                return bad(format!("{name} must be longer than 0"));
            }
        }
        for (name, value) in [
            ("amqp.input_exchange", &self.amqp.input_exchange),
            ("amqp.input_queue", &self.amqp.input_queue),
            ("amqp.output_exchange", &self.amqp.output_exchange),
            ("amqp.dead_letter_exchange", &self.amqp.dead_letter_exchange),
            ("amqp.dead_letter_queue", &self.amqp.dead_letter_queue),
        ] {
            if value.is_empty() || value.len() > 255 {
                return bad(format!("{name} must be 1 to 255 bytes long"));
            }
        }
        if self.amqp.input_exchange == self.amqp.output_exchange {
            return bad("amqp.input_exchange and amqp.output_exchange must differ".into());
        }
        if self.transport == TransportKind::Amqp && self.amqp.url.is_empty() {
            return bad("amqp.url is required with transport amqp".into());
        }
        if self.store.url.is_empty() {
            return bad("store.url is required".into());
        }
        if let Err(e) = crate::http::access::Access::new(&self.http.tokens, false) {
            return bad(format!("http.tokens: {e}"));
        }
        if self.http.listen != "off" && self.http.listen.parse::<std::net::SocketAddr>().is_err() {
            return bad(format!(
                "http.listen {:?}: use host:port (e.g. 127.0.0.1:8080) or off",
                self.http.listen
            ));
        }
        Ok(())
    }
}

/// `scheme://user:secret@host/…` → `scheme://user:***@host/…`; other text unchanged.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else {
        return url.to_string();
    };
    format!(
        "{}{}:***{}",
        &url[..scheme_end + 3],
        &userinfo[..colon],
        &rest[at..]
    )
}

/// Parses `250ms`, `2s`, `1m`, `1h` (a whole number and a unit).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("'{text}' is not a duration; write e.g. 500ms, 2s, 1m or 1h"))?;
    let d = match unit.trim() {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" | "min" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        _ => {
            return Err(format!(
                "'{text}' has no known unit; write e.g. 500ms, 2s, 1m or 1h"
            ))
        }
    };
    Ok(d)
}

/// The inverse of [`parse_duration`]: the largest unit that represents `d` exactly.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 || ms % 1000 != 0 {
        format!("{ms}ms")
    } else if ms % 3_600_000 == 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms % 60_000 == 0 {
        format!("{}m", ms / 60_000)
    } else {
        format!("{}s", ms / 1000)
    }
}

mod duration_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_duration(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_embedded_shape() {
        let c = Config::default();
        assert_eq!(c.transport, TransportKind::Spool);
        assert_eq!(c.store.url, "sqlite://ijwmo-data/ijwmo.db");
        assert_eq!(c.spool.dir, PathBuf::from("ijwmo-data/spool"));
        assert_eq!(c.amqp.output_exchange, "ijwmo.out");
        assert_eq!(c.amqp.dead_letter_queue, "ijwmo.dead");
        c.check().unwrap();
    }

    #[test]
    fn file_then_overrides() {
        let c = Config::from_toml(
            r#"
            transport = "amqp"
            shutdown_grace = "1m"
            [amqp]
            prefetch = 4
            url = "amqp://u:p@broker:5672/%2f"
            [spool]
            poll_interval = "250ms"
            "#,
        )
        .unwrap();
        assert_eq!(c.transport, TransportKind::Amqp);
        assert_eq!(c.shutdown_grace, Duration::from_secs(60));
        assert_eq!(c.amqp.prefetch, 4);
        assert_eq!(c.amqp.input_queue, "ijwmo.in", "unset keys keep defaults");
        assert_eq!(c.spool.poll_interval, Duration::from_millis(250));

        let mut c2 = c.clone();
        c2.apply(&Overrides {
            amqp_prefetch: Some(32),
            transport: Some(TransportKind::Spool),
            ..Overrides::default()
        });
        assert_eq!(c2.amqp.prefetch, 32);
        assert_eq!(c2.transport, TransportKind::Spool);
        assert_eq!(c2.shutdown_grace, Duration::from_secs(60));
    }

    #[test]
    fn facts_settings_are_checked_and_the_key_never_printed() {
        let mut c = Config::from_toml(
            r#"
            [facts]
            closed_days = ["2026-05-15"]
            declaratie_termijn = "working-days+10"
            measure_from = "2026-01-01"
            "#,
        )
        .unwrap();
        assert!(!c.facts.enabled());
        assert_eq!(
            c.facts.measure_from,
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
        );
        assert!(!c.facts.declaratie_naar_werkdag, "off by default");
        c.apply(&Overrides {
            pseudonym_key: Some("a-secret-of-enough-bytes".into()),
            declaratie_naar_werkdag: Some(true),
            ..Overrides::default()
        });
        c.check().unwrap();
        assert!(c.facts.enabled());
        let engine = crate::facts::FactsEngine::from_config(&c.facts).unwrap();
        assert!(engine.deadlines.declaratie_naar_werkdag);
        let printed = c.to_toml_redacted();
        assert!(!printed.contains("a-secret-of-enough-bytes"), "{printed}");
        assert!(printed.contains("pseudonym_key = \"***\""), "{printed}");
        c.facts.pseudonym_key = "short".into();
        assert!(c.check().is_err());
        c.facts.pseudonym_key = "a-secret-of-enough-bytes".into();
        c.facts.declaratie_termijn = "monthly".into();
        assert!(c.check().is_err());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        assert!(Config::from_toml("prefetch = 3").is_err());
        assert!(Config::from_toml("[amqp]\nprefetch = 3\nfoo = 1").is_err());
        assert!(Config::from_toml("shutdown_grace = \"30\"").is_err());
        let mut c = Config::default();
        c.amqp.prefetch = 0;
        assert!(c.check().is_err());
    }

    #[test]
    fn durations_round_trip() {
        for (text, d) in [
            ("500ms", Duration::from_millis(500)),
            ("2s", Duration::from_secs(2)),
            ("1m", Duration::from_secs(60)),
            ("1h", Duration::from_secs(3600)),
            ("1500ms", Duration::from_millis(1500)),
        ] {
            assert_eq!(parse_duration(text).unwrap(), d);
            assert_eq!(parse_duration(&format_duration(d)).unwrap(), d);
        }
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("3 weeks").is_err());
    }

    #[test]
    fn the_rendered_default_parses_back() {
        let c = Config::default();
        let text = c.to_toml_redacted();
        assert_eq!(
            Config::from_toml(&text).unwrap().amqp.url,
            redact_url(&c.amqp.url)
        );
    }

    #[test]
    fn the_example_file_states_the_defaults() {
        let text = include_str!("../deploy/ijwmo.example.toml");
        assert_eq!(Config::from_toml(text).unwrap(), Config::default());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("amqp://guest:guest@127.0.0.1:5672/%2f"),
            "amqp://guest:***@127.0.0.1:5672/%2f"
        );
        assert_eq!(
            redact_url("postgres://ijwmo:s3cr@t@db/ijwmo?sslmode=require"),
            "postgres://ijwmo:***@db/ijwmo?sslmode=require"
        );
        assert_eq!(
            redact_url("sqlite://ijwmo-data/ijwmo.db"),
            "sqlite://ijwmo-data/ijwmo.db"
        );
        assert_eq!(redact_url("amqp://host/%2f"), "amqp://host/%2f");
    }
}
