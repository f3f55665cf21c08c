//! Who pays for care. The rule of the region is "afnemende gemeente betaalt": the municipality
//! that allocated the care pays it. Maatschappelijke zorg (beschermd wonen, beschut wonen,
//! maatschappelijke opvang) is the exception: it is allocated by the centrumgemeente, paid from a
//! regional budget, and the budget is split over the municipalities by a verdeelsleutel.
//!
//! The payer rules are read from a small TOML file (`betalers.toml`) and applied when the
//! statistics are computed, not when facts are written: a new verdeelsleutel for next year then
//! applies to every stored fact without rewriting any. Cost facts keep the allocating
//! municipality; `--by payer` in the statistics shows who pays.
//!
//! ```toml
//! [[regionaal_budget]]
//! naam = "Maatschappelijke zorg"
//! centrumgemeente = "0513"
//! segmenten = ["wmo-beschermd-wonen"]
//! verdeelsleutel = { "0513" = "30.36", "0627" = "12.96", "1892" = "19.03", "1901" = "14.57", "1931" = "23.08" }
//! ```

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use thiserror::Error;

/// The payer rules of a region. Empty: every municipality pays what it allocated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Betalers {
    #[serde(default, rename = "regionaal_budget")]
    pub budgetten: Vec<RegionaalBudget>,
}

/// Segments paid from one regional budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionaalBudget {
    pub naam: String,
    /// The municipality that leads the budget (and allocates the care).
    pub centrumgemeente: String,
    /// Contract segments (the contracts' `segment` column) paid from this budget.
    pub segmenten: Vec<String>,
    /// Gemeentecode → percentage of the budget it pays; the percentages add up to 100.
    pub verdeelsleutel: BTreeMap<String, Decimal>,
}

#[derive(Debug, Error)]
pub enum BetalersError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// Where and what, never the text of the file: it may be any file (`--payers /etc/passwd`).
    #[error("not a TOML file of payer rules: {0}")]
    Parse(String),
    #[error("payer rules: {0}")]
    Invalid(String),
    /// A budgets file or penalty scheme that cannot be used: the file's kind, where and what.
    #[error("{0}")]
    Settings(String),
}

/// A TOML error as "line L, column C: message", without the quoted source line that the
/// error's own Display shows, and with quoted values in the message left out.
fn describe(text: &str, e: &toml::de::Error) -> String {
    let quoted = regex::Regex::new(r#""[^"]*""#).expect("a valid pattern");
    let message = quoted.replace_all(e.message().trim(), "\"…\"");
    let message: String = message.chars().take(160).collect();
    match e.span() {
        Some(span) => {
            let before = &text.as_bytes()[..span.start.min(text.len())];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

/// The text of a settings file (payer rules, budgets, a penalty scheme).
pub(crate) fn read(path: &Path) -> Result<String, BetalersError> {
    std::fs::read_to_string(path).map_err(|source| BetalersError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// A settings file's TOML as `T`; the error names the file's kind and where, never its text.
pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    what: &str,
    text: &str,
) -> Result<T, BetalersError> {
    toml::from_str(text)
        .map_err(|e| BetalersError::Settings(format!("not a TOML {what}: {}", describe(text, &e))))
}

impl Betalers {
    pub fn from_toml(text: &str) -> Result<Betalers, BetalersError> {
        let b: Betalers =
            toml::from_str(text).map_err(|e| BetalersError::Parse(describe(text, &e)))?;
        b.check()?;
        Ok(b)
    }

    pub fn from_file(path: &Path) -> Result<Betalers, BetalersError> {
        Betalers::from_toml(&read(path)?)
    }

    /// Every gemeentecode has four digits, every share is positive, every verdeelsleutel adds up
    /// to exactly 100, and no segment is in two budgets.
    fn check(&self) -> Result<(), BetalersError> {
        let bad = |m: String| Err(BetalersError::Invalid(m));
        let is_code = |c: &str| c.len() == 4 && c.bytes().all(|b| b.is_ascii_digit());
        let mut seen = BTreeMap::new();
        for b in &self.budgetten {
            if !is_code(&b.centrumgemeente) {
                return bad(format!(
                    "{}: centrumgemeente {:?} is not a gemeentecode",
                    b.naam, b.centrumgemeente
                ));
            }
            if b.segmenten.is_empty() {
                return bad(format!("{}: no segmenten", b.naam));
            }
            for s in &b.segmenten {
                if let Some(other) = seen.insert(s.as_str(), b.naam.as_str()) {
                    return bad(format!(
                        "segment {s:?} is in two budgets: {other} and {}",
                        b.naam
                    ));
                }
            }
            for (code, share) in &b.verdeelsleutel {
                if !is_code(code) {
                    return bad(format!("{}: {code:?} is not a gemeentecode", b.naam));
                }
                if *share <= Decimal::ZERO {
                    return bad(format!("{}: the share of {code} is not positive", b.naam));
                }
            }
            let total: Decimal = b.verdeelsleutel.values().sum();
            if total != Decimal::ONE_HUNDRED {
                return bad(format!(
                    "{}: the verdeelsleutel adds up to {total}, not 100",
                    b.naam
                ));
            }
        }
        Ok(())
    }

    fn budget_of(&self, segment: Option<&str>) -> Option<&RegionaalBudget> {
        let segment = segment?;
        self.budgetten
            .iter()
            .find(|b| b.segmenten.iter().any(|s| s == segment))
    }

    /// Who pays `cents` of care in `segment` allocated by `gemeente`: that municipality alone,
    /// or, for a segment of a regional budget, every municipality of its verdeelsleutel with its
    /// share in whole cents. The shares always add up to `cents` exactly (largest remainder:
    /// the cents lost to rounding go to the largest fractions, ties to the lowest code).
    pub fn verdeel(&self, segment: Option<&str>, gemeente: &str, cents: i64) -> Vec<(String, i64)> {
        let Some(budget) = self.budget_of(segment) else {
            return vec![(gemeente.to_string(), cents)];
        };
        let magnitude = Decimal::from(cents.unsigned_abs());
        let mut parts: Vec<(String, i64, Decimal)> = budget
            .verdeelsleutel
            .iter()
            .map(|(code, pct)| {
                let exact = magnitude * pct / Decimal::ONE_HUNDRED;
                let whole = exact.trunc();
                (code.clone(), whole.to_i64().unwrap_or(0), exact - whole)
            })
            .collect();
        let assigned: i64 = parts.iter().map(|p| p.1).sum();
        let mut left = i64::try_from(cents.unsigned_abs()).unwrap_or(i64::MAX) - assigned;
        let mut order: Vec<usize> = (0..parts.len()).collect();
        order.sort_by(|&a, &b| parts[b].2.cmp(&parts[a].2).then(a.cmp(&b)));
        for i in order {
            if left <= 0 {
                break;
            }
            parts[i].1 += 1;
            left -= 1;
        }
        parts
            .into_iter()
            .map(|(code, share, _)| (code, share * cents.signum()))
            .collect()
    }

    /// [`Self::verdeel`] for several amounts of one line at once: per payer, each amount's share.
    pub fn verdeel_alle<const N: usize>(
        &self,
        segment: Option<&str>,
        gemeente: &str,
        amounts: [i64; N],
    ) -> Vec<(String, [i64; N])> {
        let mut out: BTreeMap<String, [i64; N]> = BTreeMap::new();
        for (i, cents) in amounts.into_iter().enumerate() {
            for (payer, share) in self.verdeel(segment, gemeente, cents) {
                out.entry(payer).or_insert([0; N])[i] = share;
            }
        }
        out.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MIDDEN_HOLLAND: &str = r#"
        [[regionaal_budget]]
        naam = "Maatschappelijke zorg"
        centrumgemeente = "0513"
        segmenten = ["wmo-beschermd-wonen", "wmo-opvang"]
        verdeelsleutel = { "0513" = "30.36", "0627" = "12.96", "1892" = "19.03", "1901" = "14.57", "1931" = "23.08" }
    "#;

    fn regio() -> Betalers {
        Betalers::from_toml(MIDDEN_HOLLAND).unwrap()
    }

    #[test]
    fn the_allocating_municipality_pays_outside_a_regional_budget() {
        let b = regio();
        assert_eq!(
            b.verdeel(Some("jeugd-ggz"), "0627", 12345),
            vec![("0627".to_string(), 12345)]
        );
        assert_eq!(b.verdeel(None, "0627", -5), vec![("0627".to_string(), -5)]);
        assert_eq!(
            Betalers::default().verdeel(Some("wmo-beschermd-wonen"), "0513", 100),
            vec![("0513".to_string(), 100)]
        );
    }

    #[test]
    fn a_regional_segment_is_split_by_the_verdeelsleutel() {
        let split = regio().verdeel(Some("wmo-beschermd-wonen"), "0513", 1_000_000);
        let as_map: BTreeMap<_, _> = split.into_iter().collect();
        assert_eq!(as_map["0513"], 303_600);
        assert_eq!(as_map["0627"], 129_600);
        assert_eq!(as_map["1892"], 190_300);
        assert_eq!(as_map["1901"], 145_700);
        assert_eq!(as_map["1931"], 230_800);
    }

    #[test]
    fn rounding_loses_no_cent_and_keeps_the_sign() {
        // 1 cent: the largest share (Gouda, 30.36 %) gets it
        let one = regio().verdeel(Some("wmo-opvang"), "0513", 1);
        assert_eq!(one.iter().map(|p| p.1).sum::<i64>(), 1);
        assert_eq!(one.iter().find(|p| p.1 == 1).unwrap().0, "0513");
        let credit = regio().verdeel(Some("wmo-opvang"), "0513", -7);
        assert_eq!(credit.iter().map(|p| p.1).sum::<i64>(), -7);
        assert!(credit.iter().all(|p| p.1 <= 0));
    }

    #[test]
    fn bad_rules_are_refused_with_the_reason() {
        let err = |text: &str| Betalers::from_toml(text).unwrap_err().to_string();
        // any file may be passed: say where and what is wrong, never echo its content
        let e = err("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/bin/sh\n");
        assert!(
            e.starts_with("not a TOML file of payer rules: line 1, column "),
            "{e}"
        );
        assert!(!e.contains("root") && !e.contains("bin"), "{e}");
        let e = err("[[regionaal_budget]]\nnaam = 5\n");
        assert!(e.contains("line 2"), "{e}");
        let e = err(&MIDDEN_HOLLAND.replace("23.08", "23.07"));
        assert!(e.contains("adds up to 99.99"), "{e}");
        let e = err(&MIDDEN_HOLLAND.replace("\"0627\" =", "\"627\" ="));
        assert!(e.contains("\"627\" is not a gemeentecode"), "{e}");
        let twice = format!(
            "{MIDDEN_HOLLAND}\n[[regionaal_budget]]\nnaam = \"x\"\ncentrumgemeente = \"0513\"\nsegmenten = [\"wmo-opvang\"]\nverdeelsleutel = {{ \"0513\" = \"100\" }}\n"
        );
        let e = err(&twice);
        assert!(e.contains("\"wmo-opvang\" is in two budgets"), "{e}");
        let e = err("[[regionaal_budget]]\nnaam = \"x\"\n");
        assert!(e.contains("missing field"), "{e}");
    }

    proptest! {
        #[test]
        fn the_shares_always_add_up_to_the_amount(cents in -10_000_000_000i64..10_000_000_000i64) {
            let split = regio().verdeel(Some("wmo-beschermd-wonen"), "0513", cents);
            prop_assert_eq!(split.len(), 5);
            prop_assert_eq!(split.iter().map(|p| p.1).sum::<i64>(), cents);
            for (_, share) in &split {
                prop_assert!(share.signum() == cents.signum() || *share == 0);
            }
        }
    }
}
