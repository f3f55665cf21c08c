//! Tables for people and for tools: one [`Table`] rendered as aligned text, CSV or JSON, so the
//! CLI's statistics and listings have exactly the same content in every format.

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// An output format of the reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// RFC 4180 CSV with a header row.
    Csv,
    /// A JSON array of objects, one per row; numbers stay numbers.
    Json,
}

/// One cell: text or a number (JSON keeps the difference; empty = null).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// An exact decimal: `value` in units of 10^-`places` (eurocents with 2 places = euros,
    /// tenths with 1 place = a percentage to one decimal). No floating point anywhere.
    Decimal(i64, u32),
    Empty,
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Decimal(v, places) => decimal(*v, *places),
            Cell::Empty => String::new(),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Cell::Text(s) => serde_json::Value::String(s.clone()),
            Cell::Int(i) => serde_json::Value::from(*i),
            // the same digits as the table: a JSON number literal
            Cell::Decimal(..) => serde_json::Value::String(self.text()),
            Cell::Empty => serde_json::Value::Null,
        }
    }

    fn numeric(&self) -> bool {
        matches!(self, Cell::Int(_) | Cell::Decimal(..))
    }
}

/// `v` × 10^-`places` written out exactly: `decimal(-1205, 2)` = `-12.05`.
pub fn decimal(v: i64, places: u32) -> String {
    if places == 0 {
        return v.to_string();
    }
    let scale = 10i64.pow(places);
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let s = scale.unsigned_abs();
    format!("{sign}{}.{:0w$}", a / s, a % s, w = places as usize)
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<i64> for Cell {
    fn from(i: i64) -> Cell {
        Cell::Int(i)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(o: Option<T>) -> Cell {
        o.map_or(Cell::Empty, Into::into)
    }
}

/// Named columns and rows of cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(columns: Vec<&'static str>) -> Table {
        Table {
            columns,
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Table => self.to_text(),
            Format::Csv => self.to_csv(),
            Format::Json => self.to_json(),
        }
    }

    /// Columns padded to their widest cell; numbers right-aligned.
    pub fn to_text(&self) -> String {
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(Cell::text).collect())
            .collect();
        let widths: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                cells
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([c.chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        let line = |out: &mut String, values: &[String], right: &[bool]| {
            let parts: Vec<String> = values
                .iter()
                .zip(&widths)
                .zip(right)
                .map(|((v, w), r)| {
                    if *r {
                        format!("{v:>w$}")
                    } else {
                        format!("{v:<w$}")
                    }
                })
                .collect();
            let _ = writeln!(out, "{}", parts.join("  ").trim_end());
        };
        let header: Vec<String> = self.columns.iter().map(|c| c.to_string()).collect();
        let numeric: Vec<bool> = (0..self.columns.len())
            .map(|i| {
                !self.rows.is_empty()
                    && self
                        .rows
                        .iter()
                        .all(|r| r[i].numeric() || r[i] == Cell::Empty)
            })
            .collect();
        line(&mut out, &header, &numeric);
        for r in &cells {
            line(&mut out, r, &numeric);
        }
        out
    }

    pub fn to_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(&self.columns);
        for r in &self.rows {
            let _ = w.write_record(r.iter().map(Cell::text));
        }
        let bytes = w.into_inner().unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }

    /// A JSON array with one object per row, on its own line, keys in column order.
    pub fn to_json(&self) -> String {
        self.json_text(false)
    }

    /// [`Table::to_json`] with decimals as JSON strings (`"87.5"`, `"262758.03"`): the form of
    /// the HTTP API, so that no client reads an amount through a binary float.
    pub fn to_json_exact(&self) -> String {
        self.json_text(true)
    }

    fn json_text(&self, decimal_strings: bool) -> String {
        let rows: Vec<String> = self
            .rows
            .iter()
            .map(|r| {
                let fields: Vec<String> = self
                    .columns
                    .iter()
                    .zip(r)
                    .map(|(c, v)| {
                        let key = serde_json::Value::String(c.to_string());
                        match v {
                            Cell::Decimal(..) if !decimal_strings => format!("{key}:{}", v.text()),
                            _ => format!("{key}:{}", v.json()),
                        }
                    })
                    .collect();
                format!("{{{}}}", fields.join(","))
            })
            .collect();
        if rows.is_empty() {
            return "[]\n".to_string();
        }
        format!("[\n{}\n]\n", rows.join(",\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new(vec!["provider", "count", "pct"]);
        t.push(vec!["98076541".into(), 12.into(), Cell::Decimal(667, 1)]);
        t.push(vec!["a,b".into(), 3.into(), Cell::Empty]);
        t
    }

    #[test]
    fn renders_the_same_content_three_ways() {
        let t = sample();
        assert_eq!(
            t.to_text(),
            "provider  count   pct\n98076541     12  66.7\na,b           3\n"
        );
        assert_eq!(
            t.to_csv(),
            "provider,count,pct\n98076541,12,66.7\n\"a,b\",3,\n"
        );
        let v: serde_json::Value = serde_json::from_str(&t.to_json()).unwrap();
        assert_eq!(v[0]["count"], 12);
        assert_eq!(v[0]["pct"], 66.7);
        assert_eq!(v[1]["pct"], serde_json::Value::Null);
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(decimal(123370, 2), "1233.70");
        assert_eq!(decimal(-1205, 2), "-12.05");
        assert_eq!(decimal(-5, 2), "-0.05");
        assert_eq!(decimal(1000, 1), "100.0");
        assert_eq!(decimal(7, 0), "7");
    }
}
