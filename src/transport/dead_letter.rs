//! The headers a dead-lettered message carries, bounded by construction.
//!
//! A content header must fit in one AMQP frame (RabbitMQ's `frame_max`, 128 KiB by default);
//! when it does not, the broker closes the connection, the input is redelivered and the same
//! thing happens again, forever. Findings come from untrusted input (a 10 MB date, an element
//! name of a megabyte), so every header is cut here to a fixed size and the whole table stays
//! under [`MAX_HEADERS_BYTES`] whatever the message or its findings hold:
//!
//! | header | bound |
//! |---|---|
//! | `x-ijwmo-reason` | [`MAX_REASON_BYTES`] |
//! | `x-ijwmo-rule`, `x-ijwmo-path` | the finding's own bounds ([`Finding::bounded`]) |
//! | `x-ijwmo-findings` (JSON array) | [`MAX_FINDINGS_BYTES`]; findings that do not fit are left out, `x-ijwmo-findings-total` says how many there were |
//! | the publisher's own headers | kept while they take at most [`MAX_ORIGINAL_HEADERS_BYTES`]; `x-ijwmo-dropped-headers` counts the others |

use crate::finding::{truncate, Finding};
use chrono::{DateTime, Utc};
use lapin::types::{AMQPValue, FieldTable, LongString};

pub use super::amqp::{
    HEADER_COLUMN, HEADER_FINDINGS, HEADER_LINE, HEADER_ORIGINAL_EXCHANGE,
    HEADER_ORIGINAL_ROUTING_KEY, HEADER_PATH, HEADER_REASON, HEADER_RECEIVED_AT, HEADER_RULE,
};

/// How many findings the message had (`x-ijwmo-findings` may list fewer).
pub const HEADER_FINDINGS_TOTAL: &str = "x-ijwmo-findings-total";
/// How many of the publisher's own headers were left out to keep the table small.
pub const HEADER_DROPPED_HEADERS: &str = "x-ijwmo-dropped-headers";

/// Most bytes of `x-ijwmo-reason`.
pub const MAX_REASON_BYTES: usize = 1_000;
/// Most bytes of the JSON array in `x-ijwmo-findings`.
pub const MAX_FINDINGS_BYTES: usize = 8 * 1024;
/// Most encoded bytes of the publisher's own headers that are carried over.
pub const MAX_ORIGINAL_HEADERS_BYTES: usize = 32 * 1024;
/// The whole header table, encoded, is never larger than this: well inside RabbitMQ's default
/// `frame_max` of 128 KiB together with the other properties (each at most 255 bytes).
pub const MAX_HEADERS_BYTES: usize = 48 * 1024;

/// Everything a dead letter says about why and where it came from.
pub struct DeadLetter<'a> {
    pub original_headers: Option<&'a FieldTable>,
    pub exchange: &'a str,
    pub routing_key: &'a str,
    pub received_at: DateTime<Utc>,
    pub reason: &'a str,
    pub findings: &'a [Finding],
}

impl DeadLetter<'_> {
    /// The header table: the publisher's own headers (as far as they fit) with the dead-letter
    /// headers added. Its encoded size is at most [`MAX_HEADERS_BYTES`].
    pub fn headers(&self) -> FieldTable {
        let mut headers = FieldTable::default();
        let mut kept = 0usize;
        let mut dropped = 0i64;
        if let Some(original) = self.original_headers {
            for (key, value) in original.inner() {
                if key.as_str().starts_with("x-ijwmo-") {
                    continue; // ours; set again below
                }
                let size = entry_len(key.as_str(), value);
                if kept + size > MAX_ORIGINAL_HEADERS_BYTES {
                    dropped += 1;
                    continue;
                }
                kept += size;
                headers.insert(key.clone(), value.clone());
            }
        }
        if dropped > 0 {
            headers.insert(
                HEADER_DROPPED_HEADERS.into(),
                AMQPValue::LongLongInt(dropped),
            );
        }
        let first = self.findings.first().cloned().map(Finding::bounded);
        headers.insert(
            HEADER_REASON.into(),
            text(&truncate(self.reason, MAX_REASON_BYTES)),
        );
        headers.insert(
            HEADER_RULE.into(),
            text(
                first
                    .as_ref()
                    .and_then(|f| f.rule.as_deref())
                    .unwrap_or("-"),
            ),
        );
        if let Some(f) = &first {
            headers.insert(HEADER_LINE.into(), AMQPValue::LongLongInt(f.line.into()));
            headers.insert(
                HEADER_COLUMN.into(),
                AMQPValue::LongLongInt(f.column.into()),
            );
            headers.insert(HEADER_PATH.into(), text(&f.path));
        }
        headers.insert(
            HEADER_FINDINGS.into(),
            text(&findings_json(self.findings, MAX_FINDINGS_BYTES)),
        );
        headers.insert(
            HEADER_FINDINGS_TOTAL.into(),
            AMQPValue::LongLongInt(self.findings.len() as i64),
        );
        headers.insert(
            HEADER_ORIGINAL_EXCHANGE.into(),
            text(&truncate(self.exchange, 255)),
        );
        headers.insert(
            HEADER_ORIGINAL_ROUTING_KEY.into(),
            text(&truncate(self.routing_key, 255)),
        );
        headers.insert(
            HEADER_RECEIVED_AT.into(),
            text(&self.received_at.to_rfc3339()),
        );
        headers
    }
}

/// The findings as a JSON array of at most `max` bytes: each finding bounded, then as many as
/// fit, in order.
pub fn findings_json(findings: &[Finding], max: usize) -> String {
    let mut out = String::from("[");
    for f in findings {
        let Ok(one) = serde_json::to_string(&f.clone().bounded()) else {
            continue;
        };
        let sep = usize::from(out.len() > 1);
        if out.len() + sep + one.len() + 1 > max {
            break;
        }
        if sep == 1 {
            out.push(',');
        }
        out.push_str(&one);
    }
    out.push(']');
    out
}

fn text(s: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(s.as_bytes().to_vec()))
}

/// Encoded size of one table entry: the key as a short string, the type tag, the value.
fn entry_len(key: &str, value: &AMQPValue) -> usize {
    1 + key.len() + 1 + value_len(value)
}

/// Encoded size of an AMQP field value (without its type tag), as AMQP 0-9-1 writes it.
pub fn value_len(value: &AMQPValue) -> usize {
    match value {
        AMQPValue::Boolean(_) | AMQPValue::ShortShortInt(_) | AMQPValue::ShortShortUInt(_) => 1,
        AMQPValue::ShortInt(_) | AMQPValue::ShortUInt(_) => 2,
        AMQPValue::LongInt(_) | AMQPValue::LongUInt(_) | AMQPValue::Float(_) => 4,
        AMQPValue::DecimalValue(_) => 5,
        AMQPValue::LongLongInt(_) | AMQPValue::Double(_) | AMQPValue::Timestamp(_) => 8,
        AMQPValue::ShortString(s) => 1 + s.as_str().len(),
        AMQPValue::LongString(s) => 4 + s.as_bytes().len(),
        AMQPValue::ByteArray(a) => 4 + a.as_slice().len(),
        AMQPValue::FieldArray(a) => {
            4 + a.as_slice().iter().map(|v| 1 + value_len(v)).sum::<usize>()
        }
        AMQPValue::FieldTable(t) => table_len(t),
        AMQPValue::Void => 0,
    }
}

/// Encoded size of a field table, with its length prefix.
pub fn table_len(table: &FieldTable) -> usize {
    4 + table
        .inner()
        .iter()
        .map(|(k, v)| entry_len(k.as_str(), v))
        .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn huge_finding() -> Finding {
        let mut f = Finding::schema("schema.date", "/Bericht/Client/Datum", "x");
        // a finding built by hand, bypassing the constructors' bounds
        f.message = format!("'{}' is not a valid date", "1".repeat(135_000));
        f.path = "/a".repeat(100_000);
        f
    }

    #[test]
    fn the_poison_findings_fit_in_a_frame() {
        let findings = vec![huge_finding(); 500];
        let mut original = FieldTable::default();
        for i in 0..100 {
            original.insert(format!("h{i}").into(), text(&"v".repeat(2_000)));
        }
        let dl = DeadLetter {
            original_headers: Some(&original),
            exchange: "ijwmo.in",
            routing_key: "rk",
            received_at: Utc::now(),
            reason: &"r".repeat(1 << 20),
            findings: &findings,
        };
        let headers = dl.headers();
        let size = table_len(&headers);
        assert!(size <= MAX_HEADERS_BYTES, "{size}");
        assert_eq!(
            headers.inner().get(HEADER_FINDINGS_TOTAL),
            Some(&AMQPValue::LongLongInt(500))
        );
        assert!(matches!(
            headers.inner().get(HEADER_DROPPED_HEADERS),
            Some(AMQPValue::LongLongInt(n)) if *n > 0
        ));
        let Some(AMQPValue::LongString(json)) = headers.inner().get(HEADER_FINDINGS) else {
            panic!("no findings header")
        };
        let listed: Vec<serde_json::Value> = serde_json::from_slice(json.as_bytes()).unwrap();
        assert!(!listed.is_empty() && listed.len() < 500);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// The cheap, always-run counterpart of the `dead_letter_headers` fuzz target: any
        /// findings, any lengths (a short text repeated up to 200,000 times), any number.
        #[test]
        fn headers_stay_bounded_for_any_findings(
            texts in proptest::collection::vec(".{0,40}", 3),
            repeat in 0usize..50_000,
            count in 0usize..300,
        ) {
            let big = |i: usize| texts[i].repeat(repeat);
            let mut f = Finding::rule(&big(0), big(1), big(2));
            f.message = big(2); // by hand, past the constructor's bound
            let mut findings = vec![f; count.min(3)];
            findings.extend((0..count).map(|i| Finding::rule("CD075", format!("/a[{i}]"), "why")));
            let mut original = FieldTable::default();
            original.insert("x-gateway".into(), text(&big(1)));
            let headers = DeadLetter {
                original_headers: Some(&original),
                exchange: &big(0),
                routing_key: &big(1),
                received_at: Utc::now(),
                reason: &big(2),
                findings: &findings,
            }
            .headers();
            proptest::prop_assert!(table_len(&headers) <= MAX_HEADERS_BYTES);
            let reason = crate::transport::reason_text(&big(2), &findings);
            proptest::prop_assert!(reason.len() <= 128 * 1024, "{}", reason.len());
        }
    }

    #[test]
    fn sizes_are_computed_as_encoded() {
        let mut t = FieldTable::default();
        assert_eq!(table_len(&t), 4);
        t.insert("ab".into(), text("xyz"));
        assert_eq!(table_len(&t), 4 + 1 + 2 + 1 + 4 + 3);
    }
}
