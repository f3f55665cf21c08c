//! The dead-letter headers and reason files built from arbitrary findings must stay within
//! their bounds, whatever the findings quote: the header table under
//! `dead_letter::MAX_HEADERS_BYTES` (a larger one makes the broker close the connection and the
//! message loops forever) and the reason text a few tens of kilobytes.
//!
//! Input: byte 0 = number of findings, bytes 1–2 = how often the rest is repeated (so a short
//! input can stand for a 10 MB value), the rest split in three at `\0` (rule, path, message).
//! The rest is also validated as a message, and the validator's own findings go through the
//! same builders.
#![no_main]

use ijwmo::transport::dead_letter::{self, DeadLetter};
use ijwmo::validate::Validator;
use ijwmo::Finding;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let count = usize::from(data[0]);
    let repeat = usize::from(u16::from_le_bytes([data[1], data[2]])).min(4_000);
    let rest = String::from_utf8_lossy(&data[3..]);
    let mut parts = rest.split('\0');
    // long values (up to 256 KiB each), but not so long that the harness itself runs out of
    // memory holding up to 255 copies of them
    let long = |s: &str, times: usize| s.repeat(times.min(256 * 1024 / s.len().max(1)));
    let rule = long(parts.next().unwrap_or_default(), repeat.min(50));
    let path = long(parts.next().unwrap_or_default(), repeat);
    let message = long(parts.next().unwrap_or_default(), repeat);
    let mut findings: Vec<Finding> = (0..count)
        .map(|_| {
            // both ways a finding comes to be: the constructor, and by hand
            let mut f = Finding::schema(&rule, path.clone(), message.clone());
            f.message = message.clone();
            f
        })
        .collect();
    findings.extend(Validator::embedded().validate(&data[3..]).findings);
    let mut original = lapin::types::FieldTable::default();
    original.insert(
        "x-gateway".into(),
        lapin::types::AMQPValue::LongString(path.as_bytes().to_vec().into()),
    );
    let headers = DeadLetter {
        original_headers: Some(&original),
        exchange: &rule,
        routing_key: &path,
        received_at: chrono::Utc::now(),
        reason: &message,
        findings: &findings,
    }
    .headers();
    let size = dead_letter::table_len(&headers);
    assert!(size <= dead_letter::MAX_HEADERS_BYTES, "{size} bytes of headers");
    let reason = ijwmo::transport::reason_text(&message, &findings);
    assert!(reason.len() <= 128 * 1024, "reason of {} bytes", reason.len());
});
