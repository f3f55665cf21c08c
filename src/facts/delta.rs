//! Facts in proportion to the change: which rows of a re-derived scope the store must write.
//!
//! The engine derives a scope's rows as a whole ([`FactSet`]), which keeps derivation simple and
//! its result a function of the state. Writing them as a whole made a message cost more the
//! longer its client had been in care (a declaration for a client with three years of monthly
//! history rewrote every month's rows: `benches/facts_history.rs`). When the store loaded the
//! scope's rows with the context, [`plan`] compares the two and the store deletes only the rows
//! that went or changed and inserts only the rows that are new or changed; a scope whose rows
//! were not loaded is replaced as a whole, as before. Either way the stored rows afterwards are
//! exactly the set's rows.

use super::{FactSet, PrestatieKosten, TimelinessFact, ToewijzingKosten};
use std::collections::HashMap;

/// A fact row: found by its key, grouped by its scope.
pub trait FactRow: PartialEq {
    fn key(&self) -> &str;
    fn scope(&self) -> &str;
}

impl FactRow for TimelinessFact {
    fn key(&self) -> &str {
        &self.key
    }
    fn scope(&self) -> &str {
        &self.scope
    }
}

impl FactRow for PrestatieKosten {
    fn key(&self) -> &str {
        &self.key
    }
    fn scope(&self) -> &str {
        &self.scope
    }
}

impl FactRow for ToewijzingKosten {
    fn key(&self) -> &str {
        &self.key
    }
    fn scope(&self) -> &str {
        &self.scope
    }
}

/// The stored rows the store loaded with a message's context, and the scopes they cover (a
/// covered scope without rows has none stored).
#[derive(Debug, Clone, Copy, Default)]
pub struct Stored<'a> {
    pub scopes: &'a [String],
    pub timeliness: &'a [TimelinessFact],
    pub prestaties: &'a [PrestatieKosten],
    pub toewijzingen: &'a [ToewijzingKosten],
}

/// What to do to one table for one scope: delete these keys, then insert these rows.
#[derive(Debug, PartialEq)]
pub struct TableWrite<'a, R> {
    pub delete: Vec<&'a str>,
    pub insert: Vec<&'a R>,
}

impl<R> TableWrite<'_, R> {
    pub fn is_empty(&self) -> bool {
        self.delete.is_empty() && self.insert.is_empty()
    }
}

/// What to write for one scope.
#[derive(Debug, PartialEq)]
pub struct ScopeWrite<'a> {
    pub scope: &'a str,
    /// The stored rows were not known: delete every row of the scope first (and the `delete`
    /// lists are empty).
    pub replace: bool,
    pub timeliness: TableWrite<'a, TimelinessFact>,
    pub prestaties: TableWrite<'a, PrestatieKosten>,
    pub toewijzingen: TableWrite<'a, ToewijzingKosten>,
}

impl ScopeWrite<'_> {
    /// Rows deleted or inserted (a replaced scope's deletions not counted: they are unknown).
    pub fn rows(&self) -> usize {
        self.timeliness.delete.len()
            + self.timeliness.insert.len()
            + self.prestaties.delete.len()
            + self.prestaties.insert.len()
            + self.toewijzingen.delete.len()
            + self.toewijzingen.insert.len()
    }
}

/// The writes that turn the stored rows of `set.scope` into `set`'s rows; `stored` is what the
/// context loaded, or `None` when nothing was loaded.
pub fn plan<'a>(set: &'a FactSet, stored: Option<&Stored<'a>>) -> ScopeWrite<'a> {
    let known = stored.filter(|s| s.scopes.contains(&set.scope));
    match known {
        Some(s) => ScopeWrite {
            scope: &set.scope,
            replace: false,
            timeliness: table(&set.scope, &set.timeliness, s.timeliness),
            prestaties: table(&set.scope, &set.prestaties, s.prestaties),
            toewijzingen: table(&set.scope, &set.toewijzingen, s.toewijzingen),
        },
        None => ScopeWrite {
            scope: &set.scope,
            replace: true,
            timeliness: all(&set.timeliness),
            prestaties: all(&set.prestaties),
            toewijzingen: all(&set.toewijzingen),
        },
    }
}

fn all<R>(rows: &[R]) -> TableWrite<'_, R> {
    TableWrite {
        delete: Vec::new(),
        insert: rows.iter().collect(),
    }
}

/// Rows of `new` that differ from the stored row with their key go out and in again; stored
/// rows of the scope whose key `new` no longer has go out.
fn table<'a, R: FactRow>(scope: &str, new: &'a [R], stored: &'a [R]) -> TableWrite<'a, R> {
    let old: HashMap<&str, &R> = stored
        .iter()
        .filter(|r| r.scope() == scope)
        .map(|r| (r.key(), r))
        .collect();
    let mut write = TableWrite {
        delete: Vec::new(),
        insert: Vec::new(),
    };
    let mut kept = 0;
    for row in new {
        match old.get(row.key()) {
            Some(o) if *o == row => kept += 1,
            Some(_) => {
                write.delete.push(row.key());
                write.insert.push(row);
            }
            None => write.insert.push(row),
        }
    }
    if kept + write.delete.len() < old.len() {
        let wanted: std::collections::HashSet<&str> = new.iter().map(FactRow::key).collect();
        let mut gone: Vec<&str> = old
            .keys()
            .copied()
            .filter(|k| !wanted.contains(k))
            .collect();
        gone.sort_unstable();
        write.delete.extend(gone);
    }
    write
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[derive(Debug, Clone, PartialEq)]
    struct Row {
        key: String,
        scope: String,
        value: u8,
    }

    impl FactRow for Row {
        fn key(&self) -> &str {
            &self.key
        }
        fn scope(&self) -> &str {
            &self.scope
        }
    }

    fn row(key: &str, scope: &str, value: u8) -> Row {
        Row {
            key: key.into(),
            scope: scope.into(),
            value,
        }
    }

    /// The stored table after the write, by key.
    fn apply(stored: &[Row], scope: &str, w: &TableWrite<'_, Row>) -> BTreeMap<String, Row> {
        let mut t: BTreeMap<String, Row> =
            stored.iter().map(|r| (r.key.clone(), r.clone())).collect();
        for k in &w.delete {
            assert!(
                t.remove(*k).is_some(),
                "deleted a key that was not stored: {k}"
            );
        }
        for r in &w.insert {
            assert!(
                t.insert(r.key.clone(), (*r).clone()).is_none(),
                "inserted over a stored row: {}",
                r.key
            );
        }
        t.retain(|_, r| r.scope == scope);
        t
    }

    #[test]
    fn only_what_changed_is_written() {
        let stored = vec![
            row("a", "s", 1),
            row("b", "s", 1),
            row("c", "s", 1),
            row("x", "other", 1),
        ];
        let new = vec![row("a", "s", 1), row("b", "s", 2), row("d", "s", 1)];
        let w = table("s", &new, &stored);
        assert_eq!(w.delete, vec!["b", "c"]);
        assert_eq!(w.insert, vec![&new[1], &new[2]]);
    }

    #[test]
    fn an_unchanged_scope_writes_nothing() {
        let stored = vec![row("a", "s", 1), row("b", "s", 1)];
        assert!(table("s", &stored.clone(), &stored).is_empty());
    }

    #[test]
    fn a_scope_that_was_not_loaded_is_replaced() {
        let set = FactSet {
            scope: "s".into(),
            ..FactSet::default()
        };
        let scopes = vec!["t".to_string()];
        let stored = Stored {
            scopes: &scopes,
            ..Stored::default()
        };
        assert!(plan(&set, Some(&stored)).replace);
        assert!(plan(&set, None).replace);
        let scopes = vec!["s".to_string()];
        let stored = Stored {
            scopes: &scopes,
            ..Stored::default()
        };
        assert!(!plan(&set, Some(&stored)).replace);
    }

    fn rows(scope: &'static str) -> impl Strategy<Value = Vec<Row>> {
        proptest::collection::btree_map(0u8..12, 0u8..3, 0..10).prop_map(move |m| {
            m.into_iter()
                .map(|(k, v)| row(&format!("{scope}{k}"), scope, v))
                .collect()
        })
    }

    proptest! {
        /// Whatever was stored, the scope holds exactly the new rows afterwards, other scopes
        /// are untouched, and no row that stayed the same is written.
        #[test]
        fn the_write_turns_the_stored_rows_into_the_new(
            stored in rows("s"), other in rows("o"), new in rows("s"),
        ) {
            let all: Vec<Row> = stored.iter().chain(&other).cloned().collect();
            let w = table("s", &new, &all);
            let after = apply(&all, "s", &w);
            let want: BTreeMap<String, Row> =
                new.iter().map(|r| (r.key.clone(), r.clone())).collect();
            prop_assert_eq!(after, want);
            for r in &w.insert {
                prop_assert!(!stored.contains(r), "rewrote an unchanged row {:?}", r);
            }
            prop_assert!(w.delete.iter().all(|k| k.starts_with('s')));
        }
    }
}
