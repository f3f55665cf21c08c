//! The schema check of the read-only commands (see [`super::open_read_only`]): they never
//! migrate, so they compare the migrations a store has applied with the ones this program
//! knows, and say what to do when some are missing.

use super::StoreError;

/// What a store says about its applied migrations.
#[derive(Debug)]
pub(super) enum Applied {
    /// The versions applied successfully.
    Versions(Vec<i64>),
    /// No migration table: the database is not an ijwmo store (or an empty one).
    NoSchema,
    /// The migration table cannot be read (the reason, e.g. permission denied).
    Unreadable(String),
}

/// Ok when every migration in `known` is applied. Migrations the store has beyond `known`
/// (a newer ijwmo migrated it) are accepted: migrations only add.
pub(super) fn check(url: &str, applied: Applied, known: &[i64]) -> Result<(), StoreError> {
    let needed = known.iter().copied().max().unwrap_or(0);
    match applied {
        Applied::Versions(versions) => {
            if known.iter().all(|k| versions.contains(k)) {
                Ok(())
            } else {
                Err(StoreError::Outdated {
                    url: url.to_string(),
                    applied: versions.iter().copied().max(),
                    needed,
                })
            }
        }
        Applied::NoSchema => Err(StoreError::Outdated {
            url: url.to_string(),
            applied: None,
            needed,
        }),
        Applied::Unreadable(reason) => Err(StoreError::SchemaUnreadable {
            url: url.to_string(),
            reason,
        }),
    }
}

/// Classifies the error of reading the migration table.
pub(super) fn applied_from(result: Result<Vec<i64>, sqlx::Error>) -> Result<Applied, StoreError> {
    match result {
        Ok(v) => Ok(Applied::Versions(v)),
        Err(sqlx::Error::Database(e)) => {
            let code = e.code().unwrap_or_default();
            // PostgreSQL: undefined_table, insufficient_privilege; SQLite says it in words
            if code == "42P01" || e.message().contains("no such table") {
                Ok(Applied::NoSchema)
            } else if code == "42501" {
                Ok(Applied::Unreadable(e.message().to_string()))
            } else {
                Err(StoreError::Database(sqlx::Error::Database(e)))
            }
        }
        Err(e) => Err(StoreError::Database(e)),
    }
}

/// The query both backends read their applied migrations with (sqlx's own table).
pub(super) const APPLIED: &str =
    "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version";

/// True when connecting failed because the named PostgreSQL database does not exist.
pub(super) fn is_missing_database(e: &StoreError) -> bool {
    matches!(e, StoreError::Database(sqlx::Error::Database(d)) if d.code().as_deref() == Some("3D000"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_known_applied_passes_and_newer_is_fine() {
        assert!(check("u", Applied::Versions(vec![1, 2, 3]), &[1, 2, 3]).is_ok());
        assert!(check("u", Applied::Versions(vec![1, 2, 3, 4]), &[1, 2, 3]).is_ok());
    }

    #[test]
    fn a_missing_migration_says_which_version_and_what_to_do() {
        let e = check("sqlite://x.db", Applied::Versions(vec![1, 2]), &[1, 2, 3]).unwrap_err();
        let text = e.to_string();
        assert!(matches!(
            e,
            StoreError::Outdated {
                applied: Some(2),
                needed: 3,
                ..
            }
        ));
        assert!(text.contains("sqlite://x.db"), "{text}");
        assert!(text.contains("ijwmo migrate"), "{text}");
        assert!(text.contains("sqlite://ijwmo-demo/ijwmo.db"), "{text}");
        let e = check("u", Applied::NoSchema, &[1]).unwrap_err();
        assert!(e.to_string().contains("has no ijwmo schema"), "{e}");
    }
}
