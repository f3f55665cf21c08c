//! Simple types (`LDT_*`): facets and the XML Schema lexical rules for checking one value.

use crate::finding::{quote, truncate, MAX_QUOTE_CHARS};
use regex::Regex;
use std::sync::Arc;

/// The built-in XML Schema types the standard builds on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    String,
    Integer,
    Date,
    Time,
}

impl Base {
    pub fn parse(s: &str) -> Option<Base> {
        Some(match s {
            "string" => Base::String,
            "integer" => Base::Integer,
            "date" => Base::Date,
            "time" => Base::Time,
            _ => return None,
        })
    }
}

/// A code list (e.g. WJ756 Eenheid): codes with their meaning.
#[derive(Debug, Clone)]
pub struct CodeList {
    pub id: String,
    pub name: String,
    pub codes: Vec<(String, String)>,
}

impl CodeList {
    pub fn contains(&self, code: &str) -> bool {
        self.codes.iter().any(|(c, _)| c == code)
    }
    pub fn meaning(&self, code: &str) -> Option<&str> {
        self.codes
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, m)| m.as_str())
    }
}

/// A pattern facet: the XML Schema source and its compiled, anchored equivalent.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub source: String,
    pub regex: Regex,
    /// A plain-code test for the most common patterns, with exactly the regex's answer.
    shortcut: Option<Shortcut>,
}

/// Patterns the standard uses on most values, recognised by their source text: testing them
/// directly costs a fraction of a regex search.
#[derive(Debug, Clone)]
enum Shortcut {
    /// A literal of letters and digits, e.g. `3` or `490`.
    Literal(String),
    /// `.*[^\s].*`: no line end, and something other than space or tab.
    NonBlank,
    /// `[0-9]{n}` (Some(n)) or `[0-9]*` (None): ASCII digits only.
    Digits(Option<usize>),
    /// `[^...]*` or `[^...]+` over plain ASCII characters: none of them (and, for `+`, not
    /// empty).
    NoneOf { bytes: Vec<u8>, nonempty: bool },
}

impl Shortcut {
    fn recognise(source: &str) -> Option<Shortcut> {
        if !source.is_empty() && source.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Some(Shortcut::Literal(source.to_string()));
        }
        if source == r".*[^\s].*" {
            return Some(Shortcut::NonBlank);
        }
        if source == "[0-9]*" {
            return Some(Shortcut::Digits(None));
        }
        if let Some(n) = source
            .strip_prefix("[0-9]{")
            .and_then(|r| r.strip_suffix('}'))
            .and_then(|n| n.parse().ok())
        {
            return Some(Shortcut::Digits(Some(n)));
        }
        let (body, nonempty) = match source.strip_prefix("[^") {
            Some(r) => match (r.strip_suffix("]*"), r.strip_suffix("]+")) {
                (Some(b), _) => (b, false),
                (_, Some(b)) => (b, true),
                _ => return None,
            },
            None => return None,
        };
        // characters without a meaning in a class (a '-' only last, where it is literal)
        let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, ':' | '+');
        let (head, last) = body.split_at(body.len().saturating_sub(1));
        if body.is_empty()
            || !head.chars().all(plain)
            || !last.chars().all(|c| plain(c) || c == '-')
        {
            return None;
        }
        Some(Shortcut::NoneOf {
            bytes: body.bytes().collect(),
            nonempty,
        })
    }

    fn is_match(&self, v: &str) -> bool {
        match self {
            Shortcut::Literal(l) => v == l,
            Shortcut::NonBlank => {
                !v.bytes().any(|b| b == b'\n' || b == b'\r')
                    && v.bytes().any(|b| b != b' ' && b != b'\t')
            }
            Shortcut::Digits(n) => {
                n.is_none_or(|n| v.len() == n) && v.bytes().all(|b| b.is_ascii_digit())
            }
            Shortcut::NoneOf { bytes, nonempty } => {
                let none_of = !v.bytes().any(|b| bytes.contains(&b));
                none_of && (!nonempty || !v.is_empty())
            }
        }
    }
}

impl Pattern {
    pub fn new(source: &str) -> Result<Pattern, String> {
        let translated = translate_xsd_regex(source)?;
        let regex = Regex::new(&format!("^(?:{translated})$")).map_err(|e| e.to_string())?;
        Ok(Pattern {
            source: source.to_string(),
            regex,
            shortcut: Shortcut::recognise(source),
        })
    }

    /// Whether the whole value matches, as the XML Schema pattern says.
    pub fn is_match(&self, value: &str) -> bool {
        match &self.shortcut {
            Some(s) => s.is_match(value),
            None => self.regex.is_match(value),
        }
    }
}

/// A simple type with its facets; element-local restrictions make a narrowed copy.
#[derive(Debug, Clone)]
pub struct SimpleType {
    pub name: String,
    pub base: Base,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub min: Option<i128>,
    pub max: Option<i128>,
    pub patterns: Vec<Pattern>,
    pub enumeration: Option<Arc<CodeList>>,
}

/// Why a value does not fit its type; `facet` becomes the finding's rule (`schema.<facet>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    pub facet: &'static str,
    pub message: String,
}

fn err(facet: &'static str, message: String) -> Result<(), ValueError> {
    Err(ValueError { facet, message })
}

impl SimpleType {
    pub fn new(name: &str, base: Base) -> SimpleType {
        SimpleType {
            name: name.to_string(),
            base,
            min_length: None,
            max_length: None,
            min: None,
            max: None,
            patterns: Vec::new(),
            enumeration: None,
        }
    }

    /// Checks one element value the way an XSD validator does. Facets are checked in a fixed
    /// order (datatype, length, pattern, enumeration, range) and the first failure is reported.
    pub fn check(&self, raw: &str) -> Result<(), ValueError> {
        let value = match self.base {
            Base::String => raw,
            // integers, dates and times collapse whitespace; inner whitespace cannot be valid
            _ => raw.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r')),
        };
        let mut integer = None;
        match self.base {
            Base::String => {}
            Base::Integer => match parse_integer(value) {
                Some(v) => integer = Some(v),
                None => return err("integer", format!("{} is not a whole number", quote(raw))),
            },
            Base::Date => {
                if let Err(why) = check_date(value) {
                    return err("date", format!("{} is not a valid date: {why}", quote(raw)));
                }
            }
            Base::Time => {
                if let Err(why) = check_time(value) {
                    return err("time", format!("{} is not a valid time: {why}", quote(raw)));
                }
            }
        }
        if self.min_length.is_some() || self.max_length.is_some() {
            let len = value.chars().count();
            if let Some(min) = self.min_length {
                if len < min {
                    return err(
                        "length",
                        if len == 0 {
                            "the element is empty; leave optional elements out instead".to_string()
                        } else {
                            format!(
                                "{} has {len} characters, at least {min} required",
                                quote(raw)
                            )
                        },
                    );
                }
            }
            if let Some(max) = self.max_length {
                if len > max {
                    return err(
                        "length",
                        format!("value has {len} characters, at most {max} allowed"),
                    );
                }
            }
        }
        for p in &self.patterns {
            if !p.is_match(value) {
                return err(
                    "pattern",
                    format!(
                        "{} does not match the pattern {} of {}",
                        quote(raw),
                        p.source,
                        self.name
                    ),
                );
            }
        }
        if let Some(list) = &self.enumeration {
            if !list.contains(value) {
                return err(
                    "enumeration",
                    format!(
                        "{} is not a code of list {} ({})",
                        quote(raw),
                        list.id,
                        list.name
                    ),
                );
            }
        }
        if let Some(v) = integer {
            if self.min.is_some_and(|m| v < m) || self.max.is_some_and(|m| v > m) {
                return err(
                    "range",
                    format!(
                        "{} lies outside {}..{}",
                        truncate(raw, MAX_QUOTE_CHARS),
                        self.min.map_or("".into(), |m| m.to_string()),
                        self.max.map_or("".into(), |m| m.to_string())
                    ),
                );
            }
        }
        Ok(())
    }
}

/// xs:integer lexical form: optional sign, digits; leading zeros allowed. Values beyond i128
/// saturate, which keeps range checks correct for the standard's bounds.
fn parse_integer(s: &str) -> Option<i128> {
    let (neg, digits) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let trimmed = digits.trim_start_matches('0');
    let v: i128 = if trimmed.len() > 30 {
        i128::MAX / 2
    } else if trimmed.is_empty() {
        0
    } else {
        trimmed.parse().ok()?
    };
    Some(if neg { -v } else { v })
}

fn two_digits(s: &str) -> Option<u32> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().unwrap())
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Splits an optional time zone (`Z`, `+hh:mm`, `-hh:mm`) off the end of a date or time.
fn split_zone(s: &str) -> Result<&str, &'static str> {
    if let Some(rest) = s.strip_suffix('Z') {
        return Ok(rest);
    }
    // a zone is ASCII; a multi-byte character across the split means there is none
    if s.len() > 6 && s.is_char_boundary(s.len() - 6) {
        let (head, zone) = s.split_at(s.len() - 6);
        let z = zone.as_bytes();
        if (z[0] == b'+' || z[0] == b'-') && z[3] == b':' {
            let h = two_digits(&zone[1..3]).ok_or("bad time zone")?;
            let m = two_digits(&zone[4..6]).ok_or("bad time zone")?;
            if m > 59 || h > 14 || (h == 14 && m > 0) {
                return Err("time zone out of range");
            }
            return Ok(head);
        }
    }
    Ok(s)
}

/// xs:date: `[-]YYYY-MM-DD` with an optional zone, and a day that exists in that month.
fn check_date(s: &str) -> Result<(), &'static str> {
    let body = split_zone(s)?;
    let (neg, body) = match body.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, body),
    };
    let mut parts = body.rsplitn(3, '-');
    let (day, month, year) = (parts.next(), parts.next(), parts.next());
    let (Some(day), Some(month), Some(year)) = (day, month, year) else {
        return Err("expected YYYY-MM-DD");
    };
    if year.len() < 4
        || !year.bytes().all(|b| b.is_ascii_digit())
        || (year.len() > 4 && year.starts_with('0'))
    {
        return Err("expected a four-digit year");
    }
    let y: i64 = year.parse().map_err(|_| "year out of range")?;
    if y == 0 {
        return Err("year 0000 does not exist");
    }
    let y = if neg { -y } else { y };
    let m = two_digits(month).ok_or("expected a two-digit month")?;
    let d = two_digits(day).ok_or("expected a two-digit day")?;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        // XML Schema 1.0 counts years astronomically for negative years; the standard never
        // uses them, so the Gregorian rule on the signed year is close enough.
        2 if is_leap(if y < 0 { y + 1 } else { y }) => 29,
        2 => 28,
        _ => return Err("month must be 01..12"),
    };
    if d == 0 || d > days {
        return Err("that day does not exist in that month");
    }
    Ok(())
}

/// xs:time: `hh:mm:ss[.fff]` with an optional zone.
fn check_time(s: &str) -> Result<(), &'static str> {
    let body = split_zone(s)?;
    let (hms, frac) = match body.split_once('.') {
        Some((a, f)) => (a, Some(f)),
        None => (body, None),
    };
    if let Some(f) = frac {
        if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
            return Err("bad fractional seconds");
        }
    }
    let mut it = hms.split(':');
    let (Some(h), Some(m), Some(sec), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err("expected hh:mm:ss");
    };
    let (h, m, sec) = (
        two_digits(h).ok_or("expected hh:mm:ss")?,
        two_digits(m).ok_or("expected hh:mm:ss")?,
        two_digits(sec).ok_or("expected hh:mm:ss")?,
    );
    let midnight_end =
        h == 24 && m == 0 && sec == 0 && frac.is_none_or(|f| f.bytes().all(|b| b == b'0'));
    if (h > 23 && !midnight_end) || m > 59 || sec > 59 {
        return Err("hour, minute or second out of range");
    }
    Ok(())
}

/// Rewrites an XML Schema regular expression into the `regex` crate's dialect: XML Schema
/// patterns are implicitly anchored, `.` excludes only CR and LF, `\s` is exactly space, tab,
/// CR and LF, and `^`/`$` are ordinary characters.
pub fn translate_xsd_regex(src: &str) -> Result<String, String> {
    let mut out = String::with_capacity(src.len() + 16);
    let mut chars = src.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let e = chars
                    .next()
                    .ok_or_else(|| format!("pattern {src} ends in a backslash"))?;
                match (e, in_class) {
                    ('s', false) => out.push_str("[ \\t\\n\\r]"),
                    ('s', true) => out.push_str(" \\t\\n\\r"),
                    ('S', false) => out.push_str("[^ \\t\\n\\r]"),
                    ('S', true) => {
                        return Err(format!("\\S inside a class is not supported: {src}"))
                    }
                    ('i' | 'c' | 'I' | 'C', _) => {
                        return Err(format!("\\{e} is not supported: {src}"))
                    }
                    _ => {
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().unwrap());
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '.' if !in_class => out.push_str("[^\\n\\r]"),
            '.' if in_class => out.push_str("\\."),
            '^' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '[' | '&' | '~' | '-' if in_class => {
                // literal inside a class in XML Schema; '-' keeps its range meaning
                if c != '-' {
                    out.push('\\');
                }
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    if in_class {
        return Err(format!("unclosed character class in {src}"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(base: Base) -> SimpleType {
        SimpleType::new("T", base)
    }

    #[test]
    fn non_blank_pattern_follows_xml_schema() {
        let mut s = t(Base::String);
        s.patterns.push(Pattern::new(r".*[^\s].*").unwrap());
        assert!(s.check(" Wit").is_ok());
        assert_eq!(s.check("   ").unwrap_err().facet, "pattern");
        // a no-break space is not XML Schema whitespace, so it counts as content
        assert!(s.check("\u{a0}").is_ok());
        // '.' does not cross a line end
        assert_eq!(s.check("\n\n").unwrap_err().facet, "pattern");
    }

    #[test]
    fn commentaar_pattern_accepts_multiline_text() {
        let mut s = t(Base::String);
        s.patterns
            .push(Pattern::new(r"([.\s]*\S+[.\s]*)+").unwrap());
        assert!(s.check("regel een\nregel twee").is_ok());
        assert!(s.check(" \n ").is_err());
    }

    #[test]
    fn integers_collapse_whitespace_and_accept_sign_and_zeros() {
        let mut s = t(Base::Integer);
        s.min = Some(0);
        s.max = Some(999_999_999);
        assert!(s.check(" +0300201 ").is_ok());
        assert_eq!(s.check("1 000").unwrap_err().facet, "integer");
        assert_eq!(s.check("-1").unwrap_err().facet, "range");
        assert_eq!(s.check("1000000000").unwrap_err().facet, "range");
        assert_eq!(s.check("").unwrap_err().facet, "integer");
        assert!(s
            .check("0000000000000000000000000000000000000000001")
            .is_ok());
    }

    #[test]
    fn pattern_applies_to_the_collapsed_integer_lexical_form() {
        let mut s = t(Base::Integer);
        s.patterns.push(Pattern::new("3").unwrap());
        assert!(s.check(" 3 ").is_ok());
        assert_eq!(s.check("03").unwrap_err().facet, "pattern");
    }

    #[test]
    fn dates_must_exist_and_carry_no_zone() {
        let mut s = t(Base::Date);
        s.patterns.push(Pattern::new("[^:Z]*").unwrap());
        assert!(s.check("2026-04-01").is_ok());
        assert!(s.check(" 2024-02-29 ").is_ok());
        assert_eq!(s.check("2027-06-31").unwrap_err().facet, "date");
        assert_eq!(s.check("2023-02-29").unwrap_err().facet, "date");
        assert_eq!(s.check("2026-4-01").unwrap_err().facet, "date");
        assert_eq!(s.check("2026-04-01Z").unwrap_err().facet, "pattern");
        assert_eq!(s.check("2026-04-01+01:00").unwrap_err().facet, "pattern");
        assert_eq!(s.check("0000-01-01").unwrap_err().facet, "date");
        // no panic when a multi-byte character straddles the place of a zone
        assert_eq!(s.check("2026-01-0€12345").unwrap_err().facet, "date");
        assert_eq!(
            t(Base::Time).check("12:00:0€12345").unwrap_err().facet,
            "time"
        );
    }

    #[test]
    fn times_need_seconds_and_allow_fractions() {
        let mut s = t(Base::Time);
        s.patterns.push(Pattern::new("[^Z+-]+").unwrap());
        assert!(s.check("12:34:56").is_ok());
        assert!(s.check("12:34:56.789").is_ok());
        assert_eq!(s.check("12:34").unwrap_err().facet, "time");
        assert_eq!(s.check("25:00:00").unwrap_err().facet, "time");
        assert_eq!(s.check("12:00:00Z").unwrap_err().facet, "pattern");
    }

    #[test]
    fn strings_keep_whitespace_for_length_and_enumeration() {
        let mut s = t(Base::String);
        s.max_length = Some(1);
        s.enumeration = Some(Arc::new(CodeList {
            id: "COD043".into(),
            name: "DebetCredit".into(),
            codes: vec![("C".into(), "credit".into()), ("D".into(), "debet".into())],
        }));
        assert!(s.check("D").is_ok());
        assert_eq!(s.check("D ").unwrap_err().facet, "length");
        assert_eq!(s.check("d").unwrap_err().facet, "enumeration");
    }

    /// Values that probe the edges of the standard's patterns.
    const EDGES: &[&str] = &[
        "",
        " ",
        "\t",
        "  \t ",
        "a",
        " a ",
        "\n",
        "a\n",
        "\r",
        "a\rb",
        "\u{a0}",
        "\u{85}",
        "3",
        "03",
        "3 ",
        "2",
        "490",
        "4900",
        "12345678",
        "1234567",
        "123456789",
        "1234",
        "１２",
        "2026-01-01",
        "2026-01-01Z",
        "12:00:00",
        "12:00:00Z",
        "12:00:00+01:00",
        "-1",
        "+",
        "Z",
        ":",
        "é",
        "JÉ",
        "1.0.0",
        "x\ny",
        "a:b",
        "0",
    ];

    fn assert_same(p: &Pattern, v: &str) {
        assert_eq!(
            p.is_match(v),
            p.regex.is_match(v),
            "pattern {:?} on {v:?}",
            p.source
        );
    }

    #[test]
    fn shortcuts_answer_as_the_regex_does() {
        let mut seen = std::collections::BTreeSet::new();
        for kind in crate::message::kind::MessageKind::all() {
            let def = crate::schema::SchemaSet::embedded().get(kind).unwrap();
            for el in &def.elements {
                if let crate::schema::Content::Simple(t) = &el.content {
                    for p in &t.patterns {
                        if seen.insert(p.source.clone()) {
                            EDGES.iter().for_each(|v| assert_same(p, v));
                        }
                    }
                }
            }
        }
        for src in [
            r".*[^\s].*",
            "3",
            "490",
            "[0-9]{8}",
            "[0-9]*",
            "[^:Z]*",
            "[^Z+-]+",
        ] {
            let p = Pattern::new(src).unwrap();
            assert!(p.shortcut.is_some(), "{src} has no shortcut");
            EDGES.iter().for_each(|v| assert_same(&p, v));
        }
        for src in ["([a-zA-Z0-9])+", "[^a-z]*", "3|4", "[0-9]{2,3}"] {
            assert!(Pattern::new(src).unwrap().shortcut.is_none(), "{src}");
        }
    }

    proptest::proptest! {
        #[test]
        fn shortcuts_agree_on_any_text(v in r"[ \t\r\n0-9a-zZ:+\-.\x{a0}é€]{0,12}") {
            for src in [r".*[^\s].*", "3", "490", "[0-9]{8}", "[0-9]*", "[^:Z]*", "[^Z+-]+"] {
                assert_same(&Pattern::new(src).unwrap(), &v);
            }
        }
    }

    #[test]
    fn regex_translation_escapes_anchors_and_keeps_classes() {
        assert_eq!(translate_xsd_regex("[0-9]{8}").unwrap(), "[0-9]{8}");
        let p = Pattern::new("a$").unwrap();
        assert!(p.regex.is_match("a$"));
        let v = Pattern::new(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)").unwrap();
        assert!(v.regex.is_match("1.0.0"));
        assert!(!v.regex.is_match("01.0.0"));
        let letters = Pattern::new("([a-zA-ZÀ-ỳ])+").unwrap();
        assert!(letters.regex.is_match("JÉ"));
        assert!(!letters.regex.is_match("J.E"));
    }
}
