//! The CBS list of gemeentecodes with validity dates (TR378): data, not code. The list in
//! force is `schemas/external/cbs-gemeenten.txt`, compiled in; after a municipal re-division the
//! old codes stay in the file with their end date, so an allocation that started before the
//! re-division keeps a valid code.
//!
//! Format: one `code|valid from|valid to|name` per line (empty dates = no limit), `#` comments.

use chrono::NaiveDate;
use std::sync::OnceLock;
use thiserror::Error;

const EMBEDDED: &str = include_str!("../../schemas/external/cbs-gemeenten.txt");

/// One gemeentecode and when it was valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gemeente {
    pub code: String,
    pub van: Option<NaiveDate>,
    pub tot: Option<NaiveDate>,
    pub naam: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("cbs-gemeenten line {line}: {message}")]
pub struct LijstError {
    pub line: usize,
    pub message: String,
}

/// The whole list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GemeenteLijst {
    pub gemeenten: Vec<Gemeente>,
}

impl GemeenteLijst {
    pub fn parse(text: &str) -> Result<GemeenteLijst, LijstError> {
        let mut gemeenten = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: String| LijstError {
                line: i + 1,
                message,
            };
            let parts: Vec<&str> = line.split('|').collect();
            let [code, van, tot, naam] = parts[..] else {
                return Err(err(format!("{} fields, 4 expected", parts.len())));
            };
            if code.len() != 4 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err(format!("'{code}' is not a 4-digit gemeentecode")));
            }
            let date = |s: &str| match s.trim() {
                "" => Ok(None),
                s => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| err(format!("'{s}' is not a date YYYY-MM-DD"))),
            };
            gemeenten.push(Gemeente {
                code: code.to_string(),
                van: date(van)?,
                tot: date(tot)?,
                naam: naam.trim().to_string(),
            });
        }
        Ok(GemeenteLijst { gemeenten })
    }

    /// The list compiled into the binary.
    pub fn embedded() -> &'static GemeenteLijst {
        static LIJST: OnceLock<GemeenteLijst> = OnceLock::new();
        LIJST.get_or_init(|| GemeenteLijst::parse(EMBEDDED).unwrap_or_default())
    }

    /// True when `code` is on the list valid on `on`.
    pub fn geldig(&self, code: &str, on: NaiveDate) -> bool {
        self.gemeenten.iter().any(|g| {
            g.code == code && g.van.is_none_or(|v| v <= on) && g.tot.is_none_or(|t| on <= t)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_embedded_list_holds_the_region() {
        let l = GemeenteLijst::embedded();
        assert!(l.gemeenten.len() >= 342, "{}", l.gemeenten.len());
        for code in ["0513", "0627", "1901", "1892", "1931"] {
            assert!(l.geldig(code, d(2026, 9, 1)), "{code}");
        }
        assert!(!l.geldig("9999", d(2026, 9, 1)));
        assert!(!l.geldig("0000", d(2026, 9, 1)));
    }

    #[test]
    fn old_codes_stay_valid_until_their_end() {
        let l = GemeenteLijst::parse(
            "# test\n0001|||Nieuw\n0002||2025-12-31|Opgeheven\n0003|2026-01-01||Gevormd\n",
        )
        .unwrap();
        assert!(l.geldig("0002", d(2025, 12, 31)));
        assert!(!l.geldig("0002", d(2026, 1, 1)));
        assert!(!l.geldig("0003", d(2025, 12, 31)));
        assert!(l.geldig("0003", d(2026, 1, 1)));
        let e = GemeenteLijst::parse("0001||\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(GemeenteLijst::parse("01|||x\n").is_err());
        assert!(GemeenteLijst::parse("0001|2026-13-01||x\n").is_err());
    }
}
