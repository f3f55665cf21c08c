//! XML Schema lexical rules for the non-string simple types of the standard.
//!
//! The layer-1 validator has already checked every value against the XSD, so these functions
//! only have to turn a schema-valid lexical form into a Rust value. They accept exactly what
//! XML Schema accepts for `xs:integer`, `xs:date` and `xs:time`:
//!
//! - surrounding whitespace (space, tab, CR, LF) is collapsed away, because the XSD whitespace
//!   facet of these types is `collapse`;
//! - integers may carry a sign (`+`/`-`) and any number of leading zeros (`+0300201`);
//! - dates are `[-]YYYY-MM-DD` with a real calendar day (a timezone is refused: `LDT_Datum`
//!   forbids it by pattern);
//! - times are `hh:mm:ss[.fraction]`, where `24:00:00` means midnight (no timezone, `LDT_Tijd`).
//!
//! String types are never touched here: they keep their whitespace exactly as written.

use chrono::{NaiveDate, NaiveTime};
use serde::{de::Error as _, Deserialize, Deserializer};

/// The four whitespace characters of XML.
fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn collapse(s: &str) -> &str {
    s.trim_matches(is_xml_space)
}

/// Parses an `xs:integer` lexical form (after whitespace collapsing).
pub fn parse_integer(raw: &str) -> Option<i128> {
    let s = collapse(raw);
    let (negative, digits) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = digits.trim_start_matches('0');
    let magnitude: i128 = if significant.is_empty() {
        0
    } else {
        significant.parse().ok()?
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// Parses an `xs:date` lexical form without timezone.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let s = collapse(raw);
    let (negative, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let mut parts = rest.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    // Year: at least four digits, no leading zero when longer than four.
    if !all_digits(y) || y.len() < 4 || (y.len() > 4 && y.starts_with('0')) {
        return None;
    }
    if !all_digits(m) || m.len() != 2 || !all_digits(d) || d.len() != 2 {
        return None;
    }
    let year: i32 = y.parse().ok()?;
    let year = if negative { -year } else { year };
    NaiveDate::from_ymd_opt(year, m.parse().ok()?, d.parse().ok()?)
}

/// Parses an `xs:time` lexical form without timezone.
pub fn parse_time(raw: &str) -> Option<NaiveTime> {
    let s = collapse(raw);
    let (hms, fraction) = match s.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let mut parts = hms.split(':');
    let (h, m, sec) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let two_digits = |p: &str| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit());
    if !two_digits(h) || !two_digits(m) || !two_digits(sec) {
        return None;
    }
    let nanos: u32 = match fraction {
        None => 0,
        Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            // Keep nanosecond precision; further digits cannot be represented and are dropped.
            let mut padded: String = f.chars().take(9).collect();
            while padded.len() < 9 {
                padded.push('0');
            }
            padded.parse().ok()?
        }
        Some(_) => return None,
    };
    let (h, m, sec): (u32, u32, u32) = (h.parse().ok()?, m.parse().ok()?, sec.parse().ok()?);
    if h == 24 {
        // XML Schema 1.0 allows 24:00:00 as a synonym of 00:00:00 (only with zero minutes/seconds).
        return (m == 0 && sec == 0 && nanos == 0).then_some(NaiveTime::MIN);
    }
    NaiveTime::from_hms_nano_opt(h, m, sec, nanos)
}

fn integer_from<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i128>,
{
    let raw = String::deserialize(d)?;
    let value =
        parse_integer(&raw).ok_or_else(|| D::Error::custom(format!("not an integer: {raw:?}")))?;
    T::try_from(value).map_err(|_| D::Error::custom(format!("integer out of range: {raw:?}")))
}

/// serde `deserialize_with` for a mandatory integer element.
pub fn integer<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i128>,
{
    integer_from(d)
}

/// serde `deserialize_with` for an optional integer element (use with `#[serde(default)]`).
pub fn opt_integer<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i128>,
{
    integer_from(d).map(Some)
}

/// serde `deserialize_with` for a mandatory `xs:date` element.
pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let raw = String::deserialize(d)?;
    parse_date(&raw).ok_or_else(|| D::Error::custom(format!("not a date: {raw:?}")))
}

/// serde `deserialize_with` for an optional `xs:date` element (use with `#[serde(default)]`).
pub fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    date(d).map(Some)
}

/// serde `deserialize_with` for a mandatory `xs:time` element.
pub fn time<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
    let raw = String::deserialize(d)?;
    parse_time(&raw).ok_or_else(|| D::Error::custom(format!("not a time: {raw:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_follow_xml_schema() {
        assert_eq!(parse_integer(" +0300201 "), Some(300201));
        assert_eq!(parse_integer("\n\t42\r\n"), Some(42));
        assert_eq!(parse_integer("-0"), Some(0));
        assert_eq!(parse_integer("000"), Some(0));
        assert_eq!(parse_integer("-17"), Some(-17));
        assert_eq!(
            parse_integer("0000000000000000000000000000000000000000007"),
            Some(7)
        );
        assert_eq!(parse_integer(""), None);
        assert_eq!(parse_integer("+"), None);
        assert_eq!(parse_integer("1 2"), None);
        assert_eq!(parse_integer("1.0"), None);
        assert_eq!(parse_integer("0x10"), None);
    }

    #[test]
    fn dates_follow_xml_schema() {
        let d = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
        assert_eq!(parse_date("2026-04-01"), Some(d));
        assert_eq!(parse_date(" 2026-04-01 \n"), Some(d));
        assert_eq!(parse_date("2027-06-31"), None);
        assert_eq!(parse_date("2026-4-01"), None);
        assert_eq!(parse_date("26-04-01"), None);
        assert_eq!(parse_date("2026-04-01Z"), None);
        assert_eq!(parse_date("2026-04-01+01:00"), None);
        assert_eq!(
            parse_date("12026-01-02"),
            NaiveDate::from_ymd_opt(12026, 1, 2)
        );
        assert_eq!(parse_date("02026-01-02"), None);
    }

    #[test]
    fn times_follow_xml_schema() {
        assert_eq!(parse_time("12:34:56"), NaiveTime::from_hms_opt(12, 34, 56));
        assert_eq!(
            parse_time(" 12:34:56.789 "),
            NaiveTime::from_hms_milli_opt(12, 34, 56, 789)
        );
        assert_eq!(parse_time("24:00:00"), Some(NaiveTime::MIN));
        assert_eq!(parse_time("24:00:01"), None);
        assert_eq!(parse_time("12:34"), None);
        assert_eq!(parse_time("12:34:56Z"), None);
        assert_eq!(parse_time("25:00:00"), None);
    }
}
