//! The service's log output, and the filter every log line passes — the service's own and
//! those of the crates it uses (lapin, amq-protocol, sqlx, …).
//!
//! Messages carry BSNs, names and addresses, so the logs must never hold message content, at
//! any level. Our own log lines name a message by kind, sender, identification and verdict only
//! ([`crate::transport::log_outcome`]). Third-party crates do not know that, so their events go
//! through [`PrivacyFilter`]:
//!
//! - **Callsites that carry content are switched off at every level.** lapin logs a returned
//!   message whole, body included, at WARN (target `lapin::returned_messages`, "Server returned
//!   us a message"); at TRACE it logs every frame (`frame`, `frames`, `next_msg`), internal
//!   commands (`command`) and amq-protocol logs the broker URL with its password (`uri`). Any
//!   third-party event with a field of such a name is dropped.
//! - **Every other third-party event is bounded**: its fields are rendered into a buffer of
//!   [`MAX_THIRD_PARTY_BYTES`]; an event that does not fit, or that holds a byte array (how
//!   `Vec<u8>` bodies print), is withheld and counted instead.
//! - **Repeated identical warnings are rate-limited**: a WARN or ERROR event with the same
//!   callsite and the same field values as one written in the last [`REPEAT_WINDOW`] is
//!   suppressed and counted; [`report_suppressed`] writes the counts (the service calls it every
//!   minute). A failure that repeats at every retry therefore costs one line per window, not a
//!   disk.

use crate::config::{LogConfig, LogFormat};
use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::IsTerminal;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use thiserror::Error;
use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata};
use tracing_subscriber::layer::{Context, Filter, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Most bytes a third-party event's fields may render to; longer ones are withheld.
pub const MAX_THIRD_PARTY_BYTES: usize = 1024;
/// Identical warnings are written at most once per window.
pub const REPEAT_WINDOW: Duration = Duration::from_secs(600);
/// Field names under which third-party crates log content (message bodies, frames, properties)
/// or secrets (the broker URL).
const CONTENT_FIELDS: &[&str] = &[
    "frame",
    "frames",
    "next_msg",
    "command",
    "uri",
    "delivery",
    "payload",
    "data",
    "body",
    "properties",
];
/// Targets every event of which quotes a message.
const CONTENT_TARGETS: &[&str] = &["lapin::returned_messages"];
/// Distinct warnings remembered for the rate limit; beyond it the memory is cleared.
const MAX_REMEMBERED: usize = 10_000;

#[derive(Debug, Error)]
pub enum LoggingError {
    #[error("log filter '{filter}': {source}")]
    Filter {
        filter: String,
        source: tracing_subscriber::filter::ParseError,
    },
    #[error("cannot install the logger: {0}")]
    Install(String),
}

/// Installs the process-wide logger: stderr, text or JSON, the configured `EnvFilter`
/// directives, and [`PrivacyFilter`] in front of the output. Colour codes only on a terminal.
pub fn install(log: &LogConfig) -> Result<(), LoggingError> {
    let env = EnvFilter::try_new(&log.filter).map_err(|source| LoggingError::Filter {
        filter: log.filter.clone(),
        source,
    })?;
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let output = match log.format {
        LogFormat::Text => fmt.boxed(),
        LogFormat::Json => fmt
            .json()
            .flatten_event(true)
            // the message's span (origin, kind, sender, identification, message id) on every line
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(env)
        .with(output.with_filter(PrivacyFilter))
        .try_init()
        .map_err(|e| LoggingError::Install(e.to_string()))
}

/// The filter in front of the log output (see the module doc). Stateless itself; the rate
/// limit and the counts are process-wide.
#[derive(Debug, Clone, Copy, Default)]
pub struct PrivacyFilter;

fn ours(meta: &Metadata<'_>) -> bool {
    let t = meta.target();
    t == "ijwmo" || t.starts_with("ijwmo::")
}

/// True for callsites of other crates that log message content or secrets.
pub fn carries_content(meta: &Metadata<'_>) -> bool {
    if ours(meta) {
        return false;
    }
    let t = meta.target();
    CONTENT_TARGETS
        .iter()
        .any(|c| t == *c || t.starts_with(&format!("{c}::")))
        || meta
            .fields()
            .iter()
            .any(|f| CONTENT_FIELDS.contains(&f.name()))
}

impl<S> Filter<S> for PrivacyFilter {
    fn enabled(&self, meta: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        !carries_content(meta)
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        if carries_content(meta) {
            Interest::never()
        } else {
            // the rest is decided per event (size, byte arrays, repeats)
            Interest::sometimes()
        }
    }

    fn event_enabled(&self, event: &Event<'_>, _: &Context<'_, S>) -> bool {
        let meta = event.metadata();
        let third_party = !ours(meta);
        let warning = *meta.level() <= Level::WARN;
        if !third_party && !warning {
            return true;
        }
        let mut rendered = Bounded::new(MAX_THIRD_PARTY_BYTES);
        event.record(&mut rendered);
        if third_party && (rendered.over || looks_like_bytes(&rendered.text)) {
            count(&state().withheld, meta);
            return false;
        }
        if warning {
            let mut h = DefaultHasher::new();
            meta.callsite().hash(&mut h);
            rendered.text.hash(&mut h);
            rendered.over.hash(&mut h);
            if !first_in_window(h.finish()) {
                count(&state().suppressed, meta);
                return false;
            }
        }
        true
    }
}

/// Field values rendered as `name=value ` into at most `limit` bytes; `over` once cut.
struct Bounded {
    text: String,
    limit: usize,
    over: bool,
}

impl Bounded {
    fn new(limit: usize) -> Bounded {
        Bounded {
            text: String::new(),
            limit,
            over: false,
        }
    }
}

impl fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.text.len() + s.len() > self.limit {
            self.over = true;
            return Err(fmt::Error); // stops formatting a huge value early
        }
        self.text.push_str(s);
        Ok(())
    }
}

impl Visit for Bounded {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if !self.over {
            let _ = write!(self, "{}={:?} ", field.name(), value);
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if !self.over {
            let _ = write!(self, "{}={} ", field.name(), value);
        }
    }
}

/// True when `s` holds a run of 16 or more comma-separated numbers up to 255: how a byte
/// buffer (a message body) prints with `{:?}`.
pub fn looks_like_bytes(s: &str) -> bool {
    let mut run = 0;
    for part in s.split(',') {
        let p = part.trim().trim_start_matches('[').trim_end_matches(']');
        if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) {
            run += 1;
            if run >= 16 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

#[derive(Default)]
struct State {
    /// Warning fingerprint → when it was last written.
    seen: Mutex<HashMap<u64, Instant>>,
    /// Callsite (`target:line`) → events suppressed as repeats since the last report.
    suppressed: Mutex<HashMap<String, u64>>,
    /// Callsite → third-party events withheld (too long, or content) since the last report.
    withheld: Mutex<HashMap<String, u64>>,
}

fn state() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    STATE.get_or_init(State::default)
}

fn first_in_window(fingerprint: u64) -> bool {
    let now = Instant::now();
    let mut seen = state().seen.lock().unwrap_or_else(|e| e.into_inner());
    if seen.len() >= MAX_REMEMBERED {
        seen.retain(|_, at| now.duration_since(*at) < REPEAT_WINDOW);
        if seen.len() >= MAX_REMEMBERED {
            seen.clear();
        }
    }
    match seen.get(&fingerprint) {
        Some(at) if now.duration_since(*at) < REPEAT_WINDOW => false,
        _ => {
            seen.insert(fingerprint, now);
            true
        }
    }
}

fn count(map: &Mutex<HashMap<String, u64>>, meta: &Metadata<'_>) {
    let key = format!("{}:{}", meta.target(), meta.line().unwrap_or(0));
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() < MAX_REMEMBERED || map.contains_key(&key) {
        *map.entry(key).or_default() += 1;
    }
}

/// Writes (and resets) the counts of suppressed repeats and withheld third-party events, one
/// line per callsite. The running service calls it every minute.
pub fn report_suppressed() {
    let take = |m: &Mutex<HashMap<String, u64>>| {
        std::mem::take(&mut *m.lock().unwrap_or_else(|e| e.into_inner()))
    };
    for (callsite, n) in take(&state().suppressed) {
        tracing::info!(
            callsite,
            suppressed = n,
            "identical warnings not written again"
        );
    }
    for (callsite, n) in take(&state().withheld) {
        tracing::info!(
            callsite,
            withheld = n,
            "log events of a library withheld: too long or carrying content"
        );
    }
}

/// Calls [`report_suppressed`] every `interval` until `cancel` fires.
pub async fn report_periodically(interval: Duration, cancel: tokio_util::sync::CancellationToken) {
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(interval) => report_suppressed(),
        }
    }
    report_suppressed();
}

/// The BSNs a message holds (every `Bsn` element, any prefix): what a log check looks for.
pub fn bsns_in(xml: &str) -> Vec<String> {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"<(?:[\w.-]+:)?Bsn>\s*(\d{9})\s*<").expect("a valid pattern")
    });
    re.captures_iter(xml).map(|c| c[1].to_string()).collect()
}

/// True when a log line holds `bsn` as text or as the bytes of a body printed with `{:?}`
/// (`57, 57, 57, …` — how the AMQP library logged returned messages).
pub fn leaks_bsn(line: &str, bsn: &str) -> bool {
    let as_bytes = bsn
        .bytes()
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    line.contains(bsn) || line.contains(&as_bytes)
}

/// The first BSN of `bsns` a log line holds — as text, or inside a printed byte array (the
/// numbers decoded back to bytes) — for checking whole logs against a large input quickly.
pub fn find_bsn(line: &str, bsns: &std::collections::HashSet<String>) -> Option<String> {
    let decoded: String = if looks_like_bytes(line) {
        line.split(|c: char| !c.is_ascii_digit())
            .filter_map(|n| n.parse::<u8>().ok())
            .map(char::from)
            .collect()
    } else {
        String::new()
    };
    for text in [line, decoded.as_str()] {
        for run in text.split(|c: char| !c.is_ascii_digit()) {
            if run.len() < 9 {
                continue;
            }
            for start in 0..=run.len() - 9 {
                if let Some(hit) = bsns.get(&run[start..start + 9]) {
                    return Some(hit.clone());
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tracing_subscriber::fmt::MakeWriter;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Capture {
        type Writer = Capture;
        fn make_writer(&'a self) -> Capture {
            self.clone()
        }
    }

    fn captured(f: impl FnOnce()) -> String {
        let out = Capture::default();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .with_writer(out.clone())
                .with_ansi(false)
                .with_filter(PrivacyFilter)
                .with_filter(tracing_subscriber::filter::LevelFilter::TRACE),
        );
        tracing::subscriber::with_default(subscriber, f);
        let bytes = out.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn library_events_with_content_never_reach_the_log() {
        let body = b"<Bsn>123456782</Bsn>".repeat(10).to_vec();
        let text = captured(|| {
            tracing::warn!(target: "lapin::returned_messages", message = ?body, "Server returned us a message");
            tracing::trace!(target: "lapin::channels", frame = ?body, "will handle frame");
            tracing::trace!(target: "amq_protocol_tcp", uri = "amqp://u:secret@h", "Connecting.");
            tracing::error!(target: "lapin::io_loop", error = ?body, "parse error");
            tracing::error!(target: "lapin::io_loop", error = %"x".repeat(5000), "too long");
            tracing::info!(target: "lapin::channel", reply = "ok", "a short library event");
            tracing::info!(target: "ijwmo::transport", outbox_id = 7, "our own event");
        });
        assert!(!text.contains("123456782"), "{text}");
        assert!(
            !text.contains("60, 66, 115"),
            "body bytes in the log: {text}"
        );
        assert!(!text.contains("secret"), "{text}");
        assert!(!text.contains("xxxxx"), "{text}");
        assert!(text.contains("a short library event"), "{text}");
        assert!(text.contains("our own event"), "{text}");
    }

    #[test]
    fn identical_warnings_are_written_once_per_window() {
        let text = captured(|| {
            for _ in 0..50 {
                tracing::warn!(target: "ijwmo::test", outbox_id = 991_001, "the same warning");
            }
            tracing::warn!(target: "ijwmo::test", outbox_id = 991_002, "the same warning");
            for _ in 0..3 {
                tracing::info!(target: "ijwmo::test", "info is not rate-limited");
            }
        });
        assert_eq!(text.matches("outbox_id=991001").count(), 1, "{text}");
        assert_eq!(text.matches("outbox_id=991002").count(), 1, "{text}");
        assert_eq!(text.matches("info is not rate-limited").count(), 3);
    }

    #[test]
    fn bsns_are_found_as_text_and_as_bytes() {
        let set: std::collections::HashSet<String> = ["999912367".to_string()].into();
        assert!(find_bsn("bsn=999912367 x", &set).is_some());
        let bytes = format!("data={:?}", b"<Bsn>999912367</Bsn>".to_vec());
        assert!(find_bsn(&bytes, &set).is_some(), "{bytes}");
        assert!(find_bsn("outbox_id=99991236 kind=JW301", &set).is_none());
    }

    #[test]
    fn byte_arrays_are_recognised() {
        let bytes = format!("{:?}", b"<Bericht>0123456789".to_vec());
        assert!(looks_like_bytes(&bytes));
        assert!(!looks_like_bytes("a=1, b=2, c=3"));
        assert!(!looks_like_bytes("2026-12-04T17:00:00Z"));
    }
}
