//! The query parameters of the API, checked one by one: a bad or unknown parameter is a 400
//! that names it and says why. An empty value (`gemeente=`) counts as absent, so a form can
//! send every field.

use crate::facts::query::Filter;
use crate::facts::stats::{GroupBy, Split};
use crate::facts::{ObligationKind, Partij};
use crate::message::kind::Standard;
use crate::protocol::deadlines::Status;
use chrono::{Months, NaiveDate};
use std::collections::HashMap;

/// A parameter that cannot be used: its name and why (the 400's `error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadParam(pub String);

fn bad(name: &str, why: impl std::fmt::Display) -> BadParam {
    BadParam(format!("{name}: {why}"))
}

/// The parameters every table endpoint takes.
pub const COMMON: [&str; 9] = [
    "from",
    "to",
    "gemeente",
    "betaler",
    "agb",
    "standard",
    "categorie",
    "segment",
    "format",
];

/// Answer as JSON (default) or CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

/// The parameters of one call, with the ones not yet read.
pub struct Params {
    values: HashMap<String, String>,
}

impl Params {
    /// Keeps the non-empty values; rejects a parameter this endpoint does not know.
    pub fn new(raw: Vec<(String, String)>, known: &[&str]) -> Result<Params, BadParam> {
        let mut values = HashMap::new();
        for (k, v) in raw {
            if !known.contains(&k.as_str()) {
                return Err(bad(
                    &k,
                    format!(
                        "unknown parameter (this endpoint takes {})",
                        known.join(", ")
                    ),
                ));
            }
            if values.contains_key(&k) {
                return Err(bad(&k, "given twice"));
            }
            if !v.is_empty() {
                values.insert(k, v);
            }
        }
        Ok(Params { values })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    fn digits(&self, name: &str, n: usize) -> Result<Option<String>, BadParam> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.len() == n && v.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(Some(v.to_string()))
            }
            Some(v) => Err(bad(name, format!("{v:?} is not {n} digits"))),
        }
    }

    fn month(&self, name: &str) -> Result<Option<NaiveDate>, BadParam> {
        self.get(name)
            .map(|v| {
                NaiveDate::parse_from_str(&format!("{v}-01"), "%Y-%m-%d")
                    .ok()
                    .filter(|_| v.len() == 7)
                    .ok_or_else(|| bad(name, format!("{v:?} is not a month YYYY-MM")))
            })
            .transpose()
    }

    /// A day `YYYY-MM-DD` (the care figures' `as_of`); None when not given.
    pub fn day(&self, name: &str) -> Result<Option<NaiveDate>, BadParam> {
        self.get(name)
            .map(|v| {
                NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .ok()
                    .filter(|_| v.len() == 10)
                    .ok_or_else(|| bad(name, format!("{v:?} is not a day YYYY-MM-DD")))
            })
            .transpose()
    }

    /// The filter of the common parameters.
    pub fn filter(&self) -> Result<Filter, BadParam> {
        let from = self.month("from")?;
        let to = self
            .month("to")?
            .and_then(|m| m.checked_add_months(Months::new(1)))
            .and_then(|d| d.pred_opt());
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(bad("from", "lies after to"));
            }
        }
        let standard = match self.get("standard") {
            None => None,
            Some("ijw") => Some(Standard::Ijw),
            Some("iwmo") => Some(Standard::Iwmo),
            Some(v) => return Err(bad("standard", format!("{v:?}: use ijw or iwmo"))),
        };
        let segment = self.get("segment").map(str::to_string);
        if segment.as_ref().is_some_and(|s| s.len() > 100) {
            return Err(bad("segment", "longer than 100 characters"));
        }
        Ok(Filter {
            from,
            to,
            gemeente: self.digits("gemeente", 4)?,
            betaler: self.digits("betaler", 4)?,
            agb: self.digits("agb", 8)?,
            standard,
            categorie: self.digits("categorie", 2)?,
            segment,
            owed_by: self.owed_by()?,
        })
    }

    fn owed_by(&self) -> Result<Option<Partij>, BadParam> {
        self.get("owed_by")
            .map(|v| {
                Partij::parse(v)
                    .ok_or_else(|| bad("owed_by", format!("{v:?}: use aanbieder or gemeente")))
            })
            .transpose()
    }

    pub fn format(&self) -> Result<Format, BadParam> {
        match self.get("format") {
            None | Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some(v) => Err(bad("format", format!("{v:?}: use json or csv"))),
        }
    }

    /// `by`, one of `allowed` (default: the first).
    pub fn by(&self, allowed: &[GroupBy]) -> Result<GroupBy, BadParam> {
        let Some(v) = self.get("by") else {
            return Ok(allowed[0]);
        };
        allowed
            .iter()
            .copied()
            .find(|g| g.name() == v)
            .ok_or_else(|| {
                let names: Vec<&str> = allowed.iter().map(|g| g.name()).collect();
                bad("by", format!("{v:?}: use {}", names.join(", ")))
            })
    }

    pub fn split(&self) -> Result<Option<Split>, BadParam> {
        match self.get("split") {
            None => Ok(None),
            Some("segment") => Ok(Some(Split::Segment)),
            Some("categorie") => Ok(Some(Split::Categorie)),
            Some(v) => Err(bad("split", format!("{v:?}: use segment or categorie"))),
        }
    }

    /// `view`, one of `allowed` (None when absent).
    pub fn view<'a>(&self, allowed: &[&'a str]) -> Result<Option<&'a str>, BadParam> {
        match self.get("view") {
            None => Ok(None),
            Some(v) => allowed
                .iter()
                .copied()
                .find(|a| *a == v)
                .map(Some)
                .ok_or_else(|| bad("view", format!("{v:?}: use {}", allowed.join(" or ")))),
        }
    }

    pub fn year(&self, default: i32) -> Result<i32, BadParam> {
        match self.get("year") {
            None => Ok(default),
            Some(v) => v
                .parse::<i32>()
                .ok()
                .filter(|y| (2000..=2100).contains(y) && v.len() == 4)
                .ok_or_else(|| bad("year", format!("{v:?} is not a year YYYY"))),
        }
    }

    pub fn number(&self, name: &str, default: usize, max: usize) -> Result<usize, BadParam> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| bad(name, format!("{v:?} is not a whole number up to {max}"))),
        }
    }

    pub fn statuses(&self) -> Result<Vec<Status>, BadParam> {
        self.list("status", Status::parse, "on_time, late, overdue or open")
    }

    pub fn kinds(&self) -> Result<Vec<ObligationKind>, BadParam> {
        let names: Vec<&str> = ObligationKind::ALL.iter().map(|k| k.code()).collect();
        self.list("kind", ObligationKind::parse, &names.join(", "))
    }

    fn list<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
        allowed: &str,
    ) -> Result<Vec<T>, BadParam> {
        let Some(v) = self.get(name) else {
            return Ok(Vec::new());
        };
        v.split(',')
            .map(|x| parse(x.trim()).ok_or_else(|| bad(name, format!("{x:?}: use {allowed}"))))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &[(&str, &str)], known: &[&str]) -> Result<Params, BadParam> {
        Params::new(
            q.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            known,
        )
    }

    #[test]
    fn months_become_inclusive_days() {
        let p = params(&[("from", "2025-01"), ("to", "2025-02")], &COMMON).unwrap();
        let f = p.filter().unwrap();
        assert_eq!(f.from, NaiveDate::from_ymd_opt(2025, 1, 1));
        assert_eq!(f.to, NaiveDate::from_ymd_opt(2025, 2, 28));
    }

    #[test]
    fn bad_values_name_their_parameter() {
        for (k, v) in [
            ("from", "2025-1"),
            ("to", "januari"),
            ("gemeente", "627"),
            ("agb", "1234567x"),
            ("standard", "wlz"),
            ("categorie", "4"),
            ("format", "xml"),
        ] {
            let e = params(&[(k, v)], &COMMON)
                .and_then(|p| p.filter().and_then(|_| p.format()))
                .unwrap_err();
            assert!(e.0.starts_with(&format!("{k}:")), "{e:?}");
        }
        let e = params(&[("from", "2025-03"), ("to", "2025-02")], &COMMON)
            .unwrap()
            .filter()
            .unwrap_err();
        assert!(e.0.starts_with("from:"));
        assert!(params(&[("nope", "1")], &COMMON).is_err());
        assert!(params(&[("gemeente", "")], &COMMON)
            .unwrap()
            .filter()
            .unwrap()
            .gemeente
            .is_none());
    }
}
