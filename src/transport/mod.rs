//! Transports: where messages come from and where answers go. Each hands bytes with their
//! receipt time to [`crate::pipeline::Pipeline::handle`] and settles the input only after it
//! returned `Ok` (the transaction has committed by then); each runs an outbox publisher that
//! claims outbox rows, delivers them, and marks them sent only after delivery is certain.
//!
//! - [`spool`]: folders, for the embedded shape (nothing to install).
//! - [`amqp`]: RabbitMQ with manual acks, publisher confirms and a dead-letter queue.

pub mod amqp;
pub mod dead_letter;
pub mod intake;
pub mod order;
pub mod outbox;
pub mod partition;
pub mod receipt;
pub mod spool;

use crate::finding::Finding;
use crate::message::kind::MessageKind;
use crate::pipeline::{Handled, PipelineError};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use std::time::Duration;

/// The header fields a log line may show about a message: kind, sender, identification.
/// Read from the header only, so never a BSN.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub kind: Option<MessageKind>,
    pub sender: Option<String>,
    pub identificatie: Option<String>,
    /// The header's Ontvanger (for the partition key, [`partition::partition_key`]).
    pub receiver: Option<String>,
}

impl Summary {
    /// Best effort: reads the root namespace and the header's Afzender and Identificatie, and
    /// stops at the end of the header (or after a few hundred events, or at any XML error).
    pub fn sniff(bytes: &[u8]) -> Summary {
        let mut out = Summary::default();
        let mut reader = NsReader::from_reader(bytes);
        reader.config_mut().trim_text(true);
        let mut buf = Vec::new();
        let mut depth = 0usize;
        let mut current = String::new();
        for _ in 0..400 {
            buf.clear();
            match reader.read_resolved_event_into(&mut buf) {
                Ok((ns, Event::Start(e))) => {
                    depth += 1;
                    current = String::from_utf8_lossy(e.local_name().into_inner()).into_owned();
                    if depth == 1 {
                        if let ResolveResult::Bound(n) = ns {
                            out.kind = std::str::from_utf8(n.into_inner())
                                .ok()
                                .and_then(MessageKind::from_namespace);
                        }
                    }
                }
                Ok((_, Event::Text(t))) => {
                    let slot = match current.as_str() {
                        "Afzender" => &mut out.sender,
                        "Ontvanger" => &mut out.receiver,
                        "Identificatie" => &mut out.identificatie,
                        _ => continue,
                    };
                    if slot.is_none() {
                        if let Ok(s) = t.decode() {
                            // header codes are short; cap what a log line can carry
                            *slot = Some(s.chars().take(64).collect());
                        }
                    }
                }
                Ok((_, Event::End(e))) => {
                    depth = depth.saturating_sub(1);
                    if e.local_name().into_inner() == b"Header" {
                        break;
                    }
                    current.clear();
                }
                Ok((_, Event::Eof)) | Err(_) => break,
                Ok(_) => {}
            }
        }
        out
    }

    pub fn kind_text(&self) -> String {
        self.kind
            .map(|k| k.to_string())
            .unwrap_or_else(|| "-".into())
    }
    pub fn sender_text(&self) -> &str {
        self.sender.as_deref().unwrap_or("-")
    }
    pub fn identificatie_text(&self) -> &str {
        self.identificatie.as_deref().unwrap_or("-")
    }
}

/// The verdict a transport saw, for logs and metrics.
pub fn verdict_text(handled: &Handled) -> String {
    match handled {
        Handled::Stored { verdict, .. } => serde_json::to_value(verdict)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| format!("{verdict:?}")),
        Handled::Duplicate { .. } => "duplicate".into(),
        Handled::Unprocessable { .. } => "unprocessable".into(),
    }
}

/// Input over the size limit never reaches the pipeline (OP179).
pub fn too_large(len: usize, max: usize) -> Handled {
    let mut f = Finding::schema(
        "OP179",
        "/",
        format!("the message is {len} bytes; at most {max} are accepted"),
    );
    (f.line, f.column) = (1, 1);
    Handled::Unprocessable {
        reason: format!("OP179 at 1:1 /: the message is {len} bytes; at most {max} are accepted"),
        findings: vec![f],
    }
}

/// The span every log line about one message runs in: origin (file name or AMQP message id),
/// kind, sender and BerichtIdentificatie from the header, and the stored message id once known
/// ([`log_outcome`] records it). Header codes only: never a BSN.
pub fn message_span(origin: &str, summary: &Summary) -> tracing::Span {
    tracing::info_span!(
        "message",
        origin,
        kind = %summary.kind_text(),
        sender = summary.sender_text(),
        identificatie = summary.identificatie_text(),
        message_id = tracing::field::Empty,
    )
}

/// Counts one outcome in the metrics: messages by kind and verdict, retour codes sent, input
/// set aside (dead-letter queue or `rejected/`) by its first rule code.
fn count_outcome(summary: &Summary, result: &Result<Handled, PipelineError>) {
    use crate::http::telemetry::{DEAD_LETTERS, MESSAGES, RETOUR_CODES};
    let kind = summary.kind_text();
    let verdict = match result {
        Ok(h) => verdict_text(h),
        Err(_) => "retry".to_string(),
    };
    metrics::counter!(MESSAGES, "kind" => kind, "verdict" => verdict).increment(1);
    match result {
        Ok(Handled::Stored { retour_codes, .. }) => {
            for code in retour_codes {
                metrics::counter!(RETOUR_CODES, "code" => code.clone()).increment(1);
            }
        }
        Ok(Handled::Unprocessable { findings, .. }) => {
            let reason = findings
                .first()
                .and_then(|f| f.rule.clone())
                .unwrap_or_else(|| "unprocessable".into());
            metrics::counter!(DEAD_LETTERS, "reason" => reason).increment(1);
        }
        _ => {}
    }
}

/// Logs one outcome: kind, sender, identification and verdict, with rule codes and positions
/// of findings but never their text (a finding may quote a value, e.g. a BSN).
pub fn log_outcome(origin: &str, summary: &Summary, result: &Result<Handled, PipelineError>) {
    count_outcome(summary, result);
    if let Ok(Handled::Stored { message_id, .. } | Handled::Duplicate { message_id, .. }) = result {
        tracing::Span::current().record("message_id", message_id);
    }
    let kind = summary.kind_text();
    let sender = summary.sender_text();
    let identificatie = summary.identificatie_text();
    match result {
        Ok(
            h @ Handled::Stored {
                message_id,
                retour_codes,
                outgoing,
                ..
            },
        ) => tracing::info!(
            origin,
            kind,
            sender,
            identificatie,
            verdict = verdict_text(h),
            message_id,
            retour_codes = retour_codes.join(","),
            outgoing,
            "message stored"
        ),
        Ok(Handled::Duplicate {
            message_id,
            answers,
        }) => tracing::info!(
            origin,
            kind,
            sender,
            identificatie,
            verdict = "duplicate",
            message_id,
            answers = answers.len(),
            "message seen before, nothing changed"
        ),
        Ok(Handled::Unprocessable { findings, .. }) => {
            let first = findings.first();
            tracing::warn!(
                origin,
                kind,
                sender,
                identificatie,
                verdict = "unprocessable",
                rule = first.and_then(|f| f.rule.as_deref()).unwrap_or("-"),
                at = first
                    .map(|f| format!("{}:{} {}", f.line, f.column, f.path))
                    .unwrap_or_default(),
                findings = findings.len(),
                "message unprocessable, kept aside"
            )
        }
        Err(e) => tracing::warn!(
            origin,
            kind,
            sender,
            identificatie,
            error = %e,
            "message not processed (transient), will retry"
        ),
    }
}

/// Most findings listed in a reason file; the rest are counted.
pub const MAX_REASON_FINDINGS: usize = 100;

/// The text kept beside rejected input: the reason and one line per finding
/// (`rule line:col path: message`). Bounded whatever the input: the reason is cut to
/// [`dead_letter::MAX_REASON_BYTES`], each finding to its bounds ([`Finding::bounded`]), and at
/// most [`MAX_REASON_FINDINGS`] are listed — a few tens of kilobytes at most.
pub fn reason_text(reason: &str, findings: &[Finding]) -> String {
    let mut s = crate::finding::truncate(reason, dead_letter::MAX_REASON_BYTES);
    s.push('\n');
    if !findings.is_empty() {
        s.push('\n');
    }
    for f in findings.iter().take(MAX_REASON_FINDINGS) {
        let f = f.clone().bounded();
        s.push_str(&format!(
            "{} {}:{} {}: {}\n",
            f.rule.as_deref().unwrap_or("-"),
            f.line,
            f.column,
            f.path,
            f.message
        ));
    }
    if findings.len() > MAX_REASON_FINDINGS {
        s.push_str(&format!(
            "… and {} more findings\n",
            findings.len() - MAX_REASON_FINDINGS
        ));
    }
    s
}

/// Exponential backoff: `initial`, doubled on every failure up to `max`; [`Backoff::reset`]
/// after a success.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Backoff {
        let initial = initial.min(max);
        Backoff {
            initial,
            max,
            next: initial,
        }
    }

    /// The wait before the next attempt; doubles the one after.
    pub fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }

    pub fn reset(&mut self) {
        self.next = self.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_reads_the_header_only() {
        let xml = include_bytes!("../../fixtures/messages/JW305.xml");
        let s = Summary::sniff(xml);
        assert_eq!(s.kind.map(|k| k.to_string()).as_deref(), Some("JW305"));
        assert_eq!(s.sender.as_deref(), Some("98076541"));
        assert_eq!(s.identificatie.as_deref(), Some("JHG305-00231"));
        assert_eq!(Summary::sniff(b"not xml at all"), Summary::default());
        assert_eq!(Summary::sniff(b"").kind, None);
    }

    #[test]
    fn backoff_doubles_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
        let got: Vec<u128> = (0..4).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(got, [100, 200, 350, 350]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(100));
    }

    #[test]
    fn verdicts_are_snake_case() {
        let h = Handled::Stored {
            message_id: 1,
            verdict: crate::state::Verdict::PartlyAccepted,
            retour_codes: vec![],
            outgoing: 0,
        };
        assert_eq!(verdict_text(&h), "partly_accepted");
    }

    #[test]
    fn oversize_input_is_op179() {
        match too_large(10, 5) {
            Handled::Unprocessable { findings, reason } => {
                assert_eq!(findings[0].rule.as_deref(), Some("OP179"));
                assert!(reason.starts_with("OP179"));
            }
            other => panic!("{other:?}"),
        }
    }
}
