//! Bounds on the receipt time a transport reports (the AMQP `timestamp`, the spool file's
//! modification time).
//!
//! Every deadline counts from receipt, and the rules judge a message as of its receipt day, so
//! a receipt time is trusted input with real consequences: a timestamp in 2100 makes every
//! obligation due in 2100, one in 1970 makes every term long overdue. Decision: such input is
//! **refused, not clamped** — it is dead-lettered (AMQP) or moved to `rejected/` (spool) with the
//! reason `intake.receipt-time`, because clamping would silently give the message deadlines it
//! never had; the sender or operator fixes the timestamp and sends it again. Accepted are
//! receipt times from [`EARLIEST_RECEIPT`] up to [`MAX_CLOCK_SKEW`] after the service's clock.
//! A delivery without a timestamp is received now, as before.

use crate::finding::Finding;
use crate::pipeline::Handled;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};

/// How far a receipt time may lie ahead of the service's clock (gateways' clocks drift).
pub const MAX_CLOCK_SKEW: TimeDelta = TimeDelta::minutes(15);

/// The earliest receipt time accepted: 1 January 2022, before any iJw/iWmo 3.2 message could
/// exist (the earliest 3.2 publication in the project's reference, the Zorginstituut's overview
/// of the iWmo 3.2 schemas, is dated 29 September 2022). Replays of the archive stay possible.
pub fn earliest_receipt() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2022, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid date")
}

/// `EARLIEST_RECEIPT` as text, for the docs.
pub const EARLIEST_RECEIPT: &str = "2022-01-01T00:00:00Z";

/// `Some(unprocessable)` when `received_at` lies before [`earliest_receipt`] or more than
/// [`MAX_CLOCK_SKEW`] after `now`; `None` when it may be used.
pub fn refuse(received_at: DateTime<Utc>, now: DateTime<Utc>) -> Option<Handled> {
    let why = if received_at < earliest_receipt() {
        format!(
            "the receipt time {} lies before {EARLIEST_RECEIPT}, before iJw/iWmo 3.2 existed",
            received_at.to_rfc3339()
        )
    } else if received_at > now + MAX_CLOCK_SKEW {
        format!(
            "the receipt time {} lies more than {} minutes after the service's clock ({})",
            received_at.to_rfc3339(),
            MAX_CLOCK_SKEW.num_minutes(),
            now.to_rfc3339()
        )
    } else {
        return None;
    };
    let mut f = Finding::schema("intake.receipt-time", "/", why.clone());
    (f.line, f.column) = (1, 1);
    Some(Handled::Unprocessable {
        reason: format!("intake.receipt-time at 1:1 /: {why}"),
        findings: vec![f],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, 6, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn receipt_times_outside_the_window_are_refused() {
        let now = at(2026);
        for bad in [
            DateTime::from_timestamp(0, 0).unwrap(),
            at(2021),
            at(2100),
            DateTime::from_timestamp(99_999_999_999, 0).unwrap(), // the year 5138
            now + TimeDelta::minutes(16),
        ] {
            match refuse(bad, now) {
                Some(Handled::Unprocessable { findings, reason }) => {
                    assert_eq!(findings[0].rule.as_deref(), Some("intake.receipt-time"));
                    assert!(reason.contains(&bad.to_rfc3339()), "{reason}");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        for good in [
            earliest_receipt(),
            at(2025),
            now,
            now + TimeDelta::minutes(14),
        ] {
            assert!(refuse(good, now).is_none(), "{good}");
        }
    }
}
