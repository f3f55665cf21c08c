//! Regional contracts: which provider may deliver which product to which municipality, in what
//! unit, at what tariff, in which period, and under which yearly budget ceiling. Read from the
//! CSV the contract managers keep (`ijwmo contracts import FILE.csv`).
//!
//! CSV columns, with a header row, comma separated:
//! `agb,gemeente,categorie,productcode,eenheid,tarief,geldig_van,geldig_tot,segment,budgetplafond`
//! - `gemeente`: a 4-digit CBS code, or `*` for every municipality of the region;
//! - `tarief` and `budgetplafond`: integer eurocents; `budgetplafond` (a yearly ceiling for the
//!   provider) may be empty, and when given more than once for one provider it must agree;
//! - dates `YYYY-MM-DD`; `geldig_tot` may be empty (open-ended).

use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeSet;
use thiserror::Error;

/// One contracted product for one provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contract {
    pub agb: String,
    /// None = every municipality of the region.
    pub gemeente: Option<String>,
    pub categorie: String,
    pub productcode: String,
    /// WJ756 unit of the tariff.
    pub eenheid: String,
    /// Eurocents per unit.
    pub tarief: i64,
    pub geldig_van: NaiveDate,
    pub geldig_tot: Option<NaiveDate>,
    pub segment: String,
    /// Eurocents per calendar year for this provider.
    pub budgetplafond: Option<i64>,
}

impl Contract {
    pub fn covers(&self, gemeente: &str, on: NaiveDate) -> bool {
        self.gemeente.as_deref().is_none_or(|g| g == gemeente)
            && self.geldig_van <= on
            && self.geldig_tot.is_none_or(|t| on <= t)
    }
}

/// What the layer-4 rules and the facts see of the contracts: whether a set was ever imported
/// (the contract rules apply only then), this provider's rows, and the product-code list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContractContext {
    /// A contract set has been imported (possibly an empty one).
    pub in_force: bool,
    /// The rows of the provider the message is about.
    pub set: ContractSet,
    /// Every (categorie, productcode) of any contract: the region's product-code list (TR381).
    pub products: BTreeSet<(String, String)>,
}

impl ContractContext {
    /// A context holding a whole set (tests, the sweeper).
    pub fn of(set: ContractSet) -> ContractContext {
        let products = set.products();
        ContractContext {
            in_force: true,
            set,
            products,
        }
    }

    /// True when the product-code list has this code in this category.
    pub fn product_known(&self, categorie: &str, code: &str) -> bool {
        self.products
            .contains(&(categorie.to_string(), code.to_string()))
    }
}

/// A bad row: its line number in the file (the header is line 1) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {message}")]
pub struct RowError {
    pub line: u64,
    pub message: String,
}

/// Every contract row, valid after import.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContractSet {
    pub contracts: Vec<Contract>,
}

/// The columns of the contracts CSV, in order (import, `contracts list`, the generator).
pub const COLUMNS: [&str; 10] = [
    "agb",
    "gemeente",
    "categorie",
    "productcode",
    "eenheid",
    "tarief",
    "geldig_van",
    "geldig_tot",
    "segment",
    "budgetplafond",
];
const EENHEDEN: [&str; 7] = ["01", "04", "14", "16", "82", "83", "84"];

impl ContractSet {
    /// Reads the CSV; reports every bad row (not just the first), each with its line number.
    pub fn from_csv(text: &str) -> Result<ContractSet, Vec<RowError>> {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut errors = Vec::new();
        let headers = match reader.headers() {
            Ok(h) => h.clone(),
            Err(e) => {
                return Err(vec![RowError {
                    line: 1,
                    message: e.to_string(),
                }])
            }
        };
        let found: Vec<&str> = headers.iter().collect();
        if found != COLUMNS {
            return Err(vec![RowError {
                line: 1,
                message: format!(
                    "the header must be {}; found {}",
                    COLUMNS.join(","),
                    found.join(",")
                ),
            }]);
        }
        let mut contracts = Vec::new();
        for record in reader.records() {
            let record = match record {
                Ok(r) => r,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    errors.push(RowError {
                        line,
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            let line = record.position().map_or(0, |p| p.line());
            if record.len() != COLUMNS.len() {
                errors.push(RowError {
                    line,
                    message: format!("{} fields, {} expected", record.len(), COLUMNS.len()),
                });
                continue;
            }
            match parse_row(&record) {
                Ok(c) => contracts.push(c),
                Err(messages) => errors.extend(
                    messages
                        .into_iter()
                        .map(|message| RowError { line, message }),
                ),
            }
        }
        let set = ContractSet { contracts };
        errors.extend(set.conflicts());
        if errors.is_empty() {
            Ok(set)
        } else {
            errors.sort_by_key(|e| e.line);
            Err(errors)
        }
    }

    /// The contract for a product delivered by `agb` to `gemeente` on a date; a row for that
    /// gemeente wins over a region-wide (`*`) row.
    pub fn find(
        &self,
        agb: &str,
        gemeente: &str,
        categorie: &str,
        code: &str,
        on: NaiveDate,
    ) -> Option<&Contract> {
        let mut matching = self.contracts.iter().filter(|c| {
            c.agb == agb
                && c.categorie == categorie
                && c.productcode == code
                && c.covers(gemeente, on)
        });
        let first = matching.next()?;
        if first.gemeente.is_some() {
            return Some(first);
        }
        Some(matching.find(|c| c.gemeente.is_some()).unwrap_or(first))
    }

    /// Every (categorie, productcode) some contract has.
    pub fn products(&self) -> BTreeSet<(String, String)> {
        self.contracts
            .iter()
            .map(|c| (c.categorie.clone(), c.productcode.clone()))
            .collect()
    }

    /// The yearly budget ceiling of a provider, if one is set.
    pub fn budgetplafond(&self, agb: &str) -> Option<i64> {
        self.contracts
            .iter()
            .filter(|c| c.agb == agb)
            .find_map(|c| c.budgetplafond)
    }

    /// Rows that contradict each other: overlapping periods for the same provider, gemeente and
    /// product, and different ceilings for one provider.
    fn conflicts(&self) -> Vec<RowError> {
        let mut out = Vec::new();
        for (i, a) in self.contracts.iter().enumerate() {
            for b in &self.contracts[i + 1..] {
                let same = a.agb == b.agb
                    && a.gemeente == b.gemeente
                    && a.categorie == b.categorie
                    && a.productcode == b.productcode;
                let overlap = a.geldig_van <= b.geldig_tot.unwrap_or(NaiveDate::MAX)
                    && b.geldig_van <= a.geldig_tot.unwrap_or(NaiveDate::MAX);
                if same && overlap {
                    out.push(RowError {
                        line: 0,
                        message: format!(
                            "provider {} product {} for {} has overlapping periods from {} and {}",
                            a.agb,
                            a.productcode,
                            a.gemeente.as_deref().unwrap_or("*"),
                            a.geldig_van,
                            b.geldig_van
                        ),
                    });
                }
                if a.agb == b.agb {
                    if let (Some(x), Some(y)) = (a.budgetplafond, b.budgetplafond) {
                        if x != y {
                            out.push(RowError {
                                line: 0,
                                message: format!(
                                    "provider {} has two different budget ceilings ({x} and {y})",
                                    a.agb
                                ),
                            });
                        }
                    }
                }
            }
        }
        out.dedup();
        out
    }
}

fn parse_row(r: &csv::StringRecord) -> Result<Contract, Vec<String>> {
    let mut errs = Vec::new();
    let field = |i: usize| r.get(i).unwrap_or("").to_string();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let agb = field(0);
    if !digits(&agb, 8) {
        errs.push(format!("agb '{agb}' must be 8 digits"));
    }
    let gemeente = match field(1).as_str() {
        "*" => None,
        g if digits(g, 4) => Some(g.to_string()),
        g => {
            errs.push(format!("gemeente '{g}' must be a 4-digit CBS code or *"));
            None
        }
    };
    let categorie = field(2);
    if !digits(&categorie, 2) {
        errs.push(format!("categorie '{categorie}' must be 2 digits"));
    }
    let productcode = field(3);
    if productcode.is_empty() || productcode.chars().count() > 5 {
        errs.push(format!(
            "productcode '{productcode}' must be 1 to 5 characters"
        ));
    }
    let eenheid = field(4);
    if !EENHEDEN.contains(&eenheid.as_str()) {
        errs.push(format!(
            "eenheid '{eenheid}' is not a WJ756 unit ({})",
            EENHEDEN.join(", ")
        ));
    }
    let money = |name: &str, s: &str, errs: &mut Vec<String>| match s.parse::<i64>() {
        Ok(v) if v >= 0 => Some(v),
        _ => {
            errs.push(format!("{name} '{s}' must be a whole number of eurocents"));
            None
        }
    };
    let tarief = money("tarief", &field(5), &mut errs);
    let date = |name: &str, s: &str, errs: &mut Vec<String>| match NaiveDate::parse_from_str(
        s, "%Y-%m-%d",
    ) {
        Ok(d) => Some(d),
        Err(_) => {
            errs.push(format!("{name} '{s}' is not a date YYYY-MM-DD"));
            None
        }
    };
    let geldig_van = date("geldig_van", &field(6), &mut errs);
    let geldig_tot = match field(7).as_str() {
        "" => None,
        s => date("geldig_tot", s, &mut errs),
    };
    if let (Some(v), Some(t)) = (geldig_van, geldig_tot) {
        if t < v {
            errs.push(format!("geldig_tot {t} lies before geldig_van {v}"));
        }
    }
    let segment = field(8);
    if segment.is_empty() {
        errs.push("segment is empty".to_string());
    }
    let budgetplafond = match field(9).as_str() {
        "" => None,
        s => money("budgetplafond", s, &mut errs),
    };
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(Contract {
        agb,
        gemeente,
        categorie,
        productcode,
        eenheid,
        tarief: tarief.unwrap_or_default(),
        geldig_van: geldig_van.unwrap_or_default(),
        geldig_tot,
        segment,
        budgetplafond,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "agb,gemeente,categorie,productcode,eenheid,tarief,geldig_van,geldig_tot,segment,budgetplafond\n";

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn reads_rows_and_finds_the_most_specific_contract() {
        let csv = format!(
            "{HEADER}98076541,*,45,45A03,04,9000,2026-01-01,2026-12-31,jeugd-ambulant,250000000\n\
             98076541,0513,45,45A03,04,9385,2026-01-01,,jeugd-ambulant,250000000\n"
        );
        let set = ContractSet::from_csv(&csv).unwrap();
        assert_eq!(set.contracts.len(), 2);
        let gouda = set
            .find("98076541", "0513", "45", "45A03", d("2026-09-01"))
            .unwrap();
        assert_eq!(gouda.tarief, 9385);
        let zuidplas = set
            .find("98076541", "1892", "45", "45A03", d("2026-09-01"))
            .unwrap();
        assert_eq!(zuidplas.tarief, 9000);
        assert!(set
            .find("98076541", "1892", "45", "45A03", d("2027-01-01"))
            .is_none());
        assert!(set
            .find("98076541", "0513", "45", "45A04", d("2026-09-01"))
            .is_none());
        assert_eq!(set.budgetplafond("98076541"), Some(250_000_000));
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let csv = format!(
            "{HEADER}9807654,0513,45,45A03,04,9385,2026-01-01,,s,\n\
             98076541,0513,45,45A03,04,93.85,2026-01-01,,s,\n\
             98076541,0513,45,45A03,05,9385,2026-13-01,,s,\n\
             98076541,0513,45,45A03,04,9385\n"
        );
        let errs = ContractSet::from_csv(&csv).unwrap_err();
        let lines: Vec<u64> = errs.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 4, 5], "{errs:?}");
        assert!(errs[0].message.contains("agb"));
        assert!(errs[1].message.contains("tarief"));
        assert!(errs[2].message.contains("eenheid") || errs[3].message.contains("eenheid"));
        assert!(errs[4].message.contains("10 expected"));
    }

    #[test]
    fn wrong_header_and_overlaps_are_refused() {
        assert_eq!(
            ContractSet::from_csv("agb,tarief\n1,2\n").unwrap_err()[0].line,
            1
        );
        let csv = format!(
            "{HEADER}98076541,0513,45,45A03,04,9385,2026-01-01,2026-12-31,s,\n\
             98076541,0513,45,45A03,04,9400,2026-06-01,,s,\n"
        );
        let errs = ContractSet::from_csv(&csv).unwrap_err();
        assert!(errs[0].message.contains("overlapping"), "{errs:?}");
    }
}
