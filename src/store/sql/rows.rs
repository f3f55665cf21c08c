//! Many rows in few statements. A declaration writes dozens of rows (prestaties, cost facts,
//! obligations); one INSERT per row cost a round trip each on PostgreSQL and a hand-off to the
//! SQLite worker thread each on SQLite, far more than the database's own work. [`Rows`]
//! collects the rows of one table and writes them as `INSERT … VALUES (…), (…)`; [`keys_in`]
//! does the same for deletes by key. Both are plain SQL that both backends accept.

use super::binding::{Conn, Stmt, Value};
use crate::store::StoreError;

/// Values bound per statement at most: below SQLite's limit (32,766) and PostgreSQL's (65,535).
const MAX_PARAMS: usize = 30_000;

/// Rows per statement at most, so a backend's cache of prepared statements holds a few
/// statement shapes per table rather than one per row count seen.
const MAX_ROWS: usize = 256;

/// The values of one row, in the order of its table's columns.
#[derive(Debug, Clone, Default)]
pub struct Row<'a>(Vec<Value<'a>>);

impl<'a> Row<'a> {
    pub fn with_capacity(width: usize) -> Row<'a> {
        Row(Vec::with_capacity(width))
    }

    pub fn bind(mut self, value: impl Into<Value<'a>>) -> Row<'a> {
        self.0.push(value.into());
        self
    }
}

/// Rows of one table, inserted together in the order they were added.
#[derive(Debug)]
pub struct Rows<'a> {
    /// `table (col, col, …)`.
    into: &'static str,
    width: usize,
    values: Vec<Value<'a>>,
}

impl<'a> Rows<'a> {
    /// Rows for `into`, written as `table (col, col, …)`.
    pub fn new(into: &'static str) -> Rows<'a> {
        let width = into.matches(',').count() + 1;
        Rows {
            into,
            width,
            values: Vec::new(),
        }
    }

    /// The table and columns the rows go to.
    pub fn table(&self) -> &'static str {
        self.into
    }

    /// Adds a row; it must bind one value per column.
    pub fn push(&mut self, row: Row<'a>) {
        assert_eq!(row.0.len(), self.width, "a row of {}", self.into);
        self.values.extend(row.0);
    }

    /// The INSERT statements that write every row, in order.
    pub fn statements(self) -> Vec<Stmt<'a>> {
        let per = (MAX_PARAMS / self.width).clamp(1, MAX_ROWS);
        let mut out = Vec::new();
        let mut values = self.values.into_iter();
        let mut left = values.len() / self.width;
        while left > 0 {
            let n = left.min(per);
            let mut stmt = Stmt::new(insert_sql(self.into, self.width, n));
            for v in values.by_ref().take(n * self.width) {
                stmt = stmt.bind(v);
            }
            out.push(stmt);
            left -= n;
        }
        out
    }

    /// Writes every row.
    pub async fn write(self, conn: &mut impl Conn) -> Result<(), StoreError> {
        for stmt in self.statements() {
            conn.execute(stmt).await?;
        }
        Ok(())
    }
}

fn insert_sql(into: &str, width: usize, rows: usize) -> String {
    let mut sql = format!("INSERT INTO {into} VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(r * width + c + 1).to_string());
        }
        sql.push(')');
    }
    sql
}

/// `DELETE FROM table WHERE column IN (…)` for every key, in as few statements as the limits
/// allow.
pub fn keys_in<'a>(table: &str, column: &str, keys: &[&'a str]) -> Vec<Stmt<'a>> {
    keys.chunks(MAX_ROWS)
        .map(|chunk| {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "DELETE FROM {table} WHERE {column} IN ({})",
                marks.join(", ")
            );
            chunk.iter().fold(Stmt::new(sql), |s, k| s.bind(*k))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_one_statement_per_chunk_with_numbered_placeholders() {
        let rows = Rows::new("t (a, b)");
        assert!(rows.statements().is_empty());
        let mut rows = Rows::new("t (a, b)");
        for i in 0..3 {
            rows.push(Row::default().bind(i as i64).bind("x"));
        }
        let stmts = rows.statements();
        assert_eq!(stmts.len(), 1);
        assert_eq!(
            stmts[0].sql(),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ($5, $6)"
        );
        assert_eq!(stmts[0].len(), 6);
    }

    #[test]
    fn many_rows_are_split_within_the_limits_and_keep_their_order() {
        let mut rows = Rows::new("t (a)");
        for i in 0..(MAX_ROWS * 2 + 3) {
            rows.push(Row::default().bind(i as i64));
        }
        let stmts = rows.statements();
        let sizes: Vec<usize> = stmts.iter().map(Stmt::len).collect();
        assert_eq!(sizes, vec![MAX_ROWS, MAX_ROWS, 3]);
        assert!(stmts[2].sql().ends_with("($1), ($2), ($3)"));
        let wide = "t (".to_string() + &vec!["c"; 200].join(", ") + ")";
        let wide: &'static str = Box::leak(wide.into_boxed_str());
        let mut rows = Rows::new(wide);
        for _ in 0..400 {
            rows.push((0..200).fold(Row::default(), |r, _| r.bind(1_i64)));
        }
        let stmts = rows.statements();
        assert!(stmts.iter().all(|s| s.len() <= MAX_PARAMS));
        assert_eq!(stmts.iter().map(Stmt::len).sum::<usize>(), 400 * 200);
    }

    #[test]
    #[should_panic(expected = "a row of t (a, b)")]
    fn a_row_of_the_wrong_width_is_a_bug() {
        Rows::new("t (a, b)").push(Row::default().bind(1_i64));
    }

    #[test]
    fn deletes_name_every_key_once() {
        let keys: Vec<String> = (0..MAX_ROWS + 1).map(|i| format!("k{i}")).collect();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let stmts = keys_in("f", "key", &refs);
        assert_eq!(stmts.len(), 2);
        assert!(stmts[1].sql().ends_with("WHERE key IN ($1)"));
        assert_eq!(stmts[0].len() + stmts[1].len(), MAX_ROWS + 1);
        assert!(keys_in("f", "key", &[]).is_empty());
    }
}
