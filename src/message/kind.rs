//! The 28 message kinds of iJw 3.2 and iWmo 3.2 and how they are recognised.

use serde::Serialize;
use std::fmt;

/// The two standards; they share structure and differ in a few code lists and elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
pub enum Standard {
    /// iJw, Jeugdwet (youth care).
    Ijw,
    /// iWmo, Wet maatschappelijke ondersteuning (social support).
    Iwmo,
}

impl Standard {
    /// The path segment used in namespaces (`ijw` / `iwmo`).
    pub fn slug(self) -> &'static str {
        match self {
            Standard::Ijw => "ijw",
            Standard::Iwmo => "iwmo",
        }
    }
    /// Message-name prefix (`JW` / `WMO`).
    pub fn prefix(self) -> &'static str {
        match self {
            Standard::Ijw => "JW",
            Standard::Iwmo => "WMO",
        }
    }
}

/// One message kind, e.g. JW301 or WMO325.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageKind {
    pub standard: Standard,
    /// 301, 302, 305 … 325.
    pub number: u16,
}

/// The message numbers both standards use.
pub const NUMBERS: [u16; 14] = [
    301, 302, 305, 306, 307, 308, 315, 316, 317, 318, 319, 320, 323, 325,
];

impl MessageKind {
    pub const fn new(standard: Standard, number: u16) -> Self {
        MessageKind { standard, number }
    }

    /// All 28 kinds, iJw first.
    pub fn all() -> Vec<MessageKind> {
        [Standard::Ijw, Standard::Iwmo]
            .into_iter()
            .flat_map(|s| NUMBERS.into_iter().map(move |n| MessageKind::new(s, n)))
            .collect()
    }

    /// Parses `JW301`, `jw301`, `WMO325` …
    pub fn from_name(name: &str) -> Option<MessageKind> {
        let upper = name.to_ascii_uppercase();
        let (standard, digits) = if let Some(d) = upper.strip_prefix("WMO") {
            (Standard::Iwmo, d)
        } else if let Some(d) = upper.strip_prefix("JW") {
            (Standard::Ijw, d)
        } else {
            return None;
        };
        let number: u16 = digits.parse().ok()?;
        NUMBERS
            .contains(&number)
            .then_some(MessageKind::new(standard, number))
    }

    /// The message namespace, e.g. `http://www.istandaarden.nl/ijw/3_2/jw301/schema`.
    pub fn namespace(self) -> String {
        format!(
            "http://www.istandaarden.nl/{}/3_2/{}{}/schema",
            self.standard.slug(),
            self.standard.prefix().to_ascii_lowercase(),
            self.number
        )
    }

    /// Recognises a kind from its root namespace.
    pub fn from_namespace(ns: &str) -> Option<MessageKind> {
        let rest = ns.strip_prefix("http://www.istandaarden.nl/")?;
        let (std, rest) = rest.split_once('/')?;
        let rest = rest.strip_prefix("3_2/")?;
        let name = rest.strip_suffix("/schema")?;
        let kind = MessageKind::from_name(name)?;
        (kind.standard.slug() == std && kind.namespace() == ns).then_some(kind)
    }

    /// The release a message namespace of ANOTHER iJw/iWmo release names, e.g. "iJw 2.3" for
    /// `http://www.istandaarden.nl/ijw/2_3/jw301/schema` (the pattern every release uses:
    /// standard, release with an underscore, message, `schema`). None for 3.2 and for
    /// namespaces that are not an iStandaarden message at all.
    pub fn other_release(ns: &str) -> Option<String> {
        let rest = ns.strip_prefix("http://www.istandaarden.nl/")?;
        let (std, rest) = rest.split_once('/')?;
        let (release, rest) = rest.split_once('/')?;
        let name = rest.strip_suffix("/schema")?;
        let standard = match std {
            "ijw" => "iJw",
            "iwmo" => "iWmo",
            _ => return None,
        };
        let (major, minor) = release.split_once('_')?;
        let number =
            |p: &str| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit());
        let message = |c: char| c.is_ascii_alphanumeric();
        (number(major) && number(minor) && release != "3_2" && name.chars().all(message))
            .then(|| format!("{standard} {major}.{minor}"))
    }

    /// The Vektis BerichtCode (COD002) fixed for this kind.
    pub fn berichtcode(self) -> u16 {
        let idx = NUMBERS.iter().position(|n| *n == self.number).unwrap_or(0);
        match self.standard {
            Standard::Ijw => [
                436, 437, 438, 439, 440, 441, 446, 447, 486, 487, 488, 489, 490, 491,
            ][idx],
            Standard::Iwmo => [
                414, 415, 418, 419, 420, 421, 444, 445, 480, 481, 482, 483, 484, 485,
            ][idx],
        }
    }

    /// True for the technical answers 302/306/308/316/318/320 (325 is a message of its own).
    pub fn is_retour(self) -> bool {
        matches!(self.number, 302 | 306 | 308 | 316 | 318 | 320)
    }

    /// The retour that answers this heenbericht (325 for a 323); None for retours and 325.
    pub fn answered_by(self) -> Option<MessageKind> {
        let n = match self.number {
            301 | 305 | 307 | 315 | 317 | 319 => self.number + 1,
            323 => 325,
            _ => return None,
        };
        Some(MessageKind::new(self.standard, n))
    }

    /// The heenbericht a retour (or 325) answers.
    pub fn answers(self) -> Option<MessageKind> {
        let n = match self.number {
            302 | 306 | 308 | 316 | 318 | 320 => self.number - 1,
            325 => 323,
            _ => return None,
        };
        Some(MessageKind::new(self.standard, n))
    }

    /// True when the municipality sends it (301, 319, 325 and the retours 306/308/316/318).
    pub fn sent_by_gemeente(self) -> bool {
        matches!(self.number, 301 | 319 | 325 | 306 | 308 | 316 | 318)
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.standard.prefix(), self.number)
    }
}

impl Serialize for MessageKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_round_trips_for_every_kind() {
        for kind in MessageKind::all() {
            assert_eq!(MessageKind::from_namespace(&kind.namespace()), Some(kind));
        }
        assert_eq!(MessageKind::all().len(), 28);
    }

    #[test]
    fn rejects_foreign_and_mixed_namespaces() {
        assert_eq!(
            MessageKind::from_namespace("http://www.istandaarden.nl/iwmo/3_2/jw301/schema"),
            None
        );
        assert_eq!(
            MessageKind::from_namespace("http://www.istandaarden.nl/ijw/3_1/jw301/schema"),
            None
        );
        assert_eq!(
            MessageKind::from_namespace("http://www.istandaarden.nl/ijw/3_2/jw304/schema"),
            None
        );
    }

    #[test]
    fn berichtcodes_follow_cod002() {
        let jw323 = MessageKind::from_name("JW323").unwrap();
        assert_eq!(jw323.berichtcode(), 490);
        assert_eq!(MessageKind::from_name("wmo301").unwrap().berichtcode(), 414);
        assert_eq!(MessageKind::from_name("WMO325").unwrap().berichtcode(), 485);
        assert_eq!(jw323.answered_by().unwrap().to_string(), "JW325");
    }

    #[test]
    fn other_releases_are_named() {
        let other = |ns: &str| MessageKind::other_release(ns);
        assert_eq!(
            other("http://www.istandaarden.nl/ijw/2_3/jw301/schema").as_deref(),
            Some("iJw 2.3")
        );
        assert_eq!(
            other("http://www.istandaarden.nl/iwmo/2_0/wmo315/schema").as_deref(),
            Some("iWmo 2.0")
        );
        assert_eq!(
            other("http://www.istandaarden.nl/ijw/3_0/basisschema/schema").as_deref(),
            Some("iJw 3.0")
        );
        assert_eq!(
            other("http://www.istandaarden.nl/ijw/3_2/jw301/schema"),
            None
        );
        assert_eq!(
            other("http://www.istandaarden.nl/iwlz/2_3/wlz301/schema"),
            None
        );
        assert_eq!(other("http://example.org/ijw/2_3/jw301/schema"), None);
    }
}
