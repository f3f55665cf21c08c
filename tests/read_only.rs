//! The read-only commands (`ijwmo stats`, `ijwmo contracts list`) and
//! `ijwmo::store::open_read_only`: they never create or migrate a store, they say what to do
//! when it is missing or old, and on PostgreSQL they work as a login role that has
//! `ijwmo_analyst` alone.

mod backends;

use backends::Db;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use ijwmo::facts::pseudonym::Pseudonymizer;
use ijwmo::facts::FactsEngine;
use ijwmo::pipeline::{Handled, Incoming, Pipeline, Settings};
use ijwmo::protocol::deadlines::Deadlines;
use ijwmo::store::{MessageStore, Store, StoreError};
use std::process::Command;
use std::sync::Arc;

const KEY: &str = "read-only-integration-test-key";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/fixtures/messages/{name}.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

fn at(day: &str) -> DateTime<Utc> {
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    Utc.from_utc_datetime(&d.and_hms_opt(10, 0, 0).unwrap())
}

/// Fills a store with a small Jw story (request, allocation, start) and its facts.
async fn fill(store: Arc<dyn Store>) {
    let p = Pipeline::new(
        store,
        Settings {
            today: NaiveDate::from_ymd_opt(2026, 11, 25),
        },
    )
    .with_facts(FactsEngine::new(
        Deadlines::default(),
        Pseudonymizer::new(KEY.as_bytes()).unwrap(),
    ));
    let start = fixture("JW305").replace(">513260081<", ">513260018<");
    for (xml, day) in [
        (fixture("JW315"), "2026-06-22"),
        (fixture("JW301"), "2026-06-26"),
        (start, "2026-07-09"),
    ] {
        let handled = p
            .handle(&Incoming {
                bytes: xml.into_bytes(),
                received_at: at(day),
                origin: "test".into(),
            })
            .await
            .expect("stored");
        assert!(matches!(handled, Handled::Stored { .. }), "{handled:?}");
    }
}

/// Runs the binary with a store URL; (success, stdout, stderr).
fn ijwmo(url: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ijwmo"))
        .args(args)
        .env("IJWMO_STORE_URL", url)
        .env_remove("IJWMO_PAYERS")
        .output()
        .expect("run ijwmo");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_says_what_to_do(text: &str, url: &str) {
    assert!(text.contains(url), "names the URL it tried: {text}");
    assert!(
        text.contains("ijwmo migrate"),
        "says how to create it: {text}"
    );
    assert!(
        text.contains("--store-url sqlite://ijwmo-demo/ijwmo.db"),
        "points at the demo's store: {text}"
    );
}

#[tokio::test]
async fn a_missing_sqlite_file_is_reported_and_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nothing-here").join("ijwmo.db");
    let url = format!("sqlite://{}", path.display());
    let err = ijwmo::store::open_read_only(&url)
        .await
        .err()
        .expect("fails");
    assert!(matches!(err, StoreError::Missing { .. }), "{err:?}");
    assert_says_what_to_do(&err.to_string(), &url);
    assert!(
        !dir.path().join("nothing-here").exists(),
        "created a folder"
    );
    for args in [
        &["stats", "late"][..],
        &["stats", "costs"],
        &["stats", "forecast", "--year", "2026"],
        &["contracts", "list"],
    ] {
        let (ok, _, err) = ijwmo(&url, args);
        assert!(!ok, "{args:?} succeeded on a missing store");
        assert_says_what_to_do(&err, &url);
        assert!(!path.exists() && !dir.path().join("nothing-here").exists());
    }
    // a server that is down: the URL (password hidden) and the cause
    let url = "postgres://reader:s3cret@127.0.0.1:1/ijwmo";
    let err = ijwmo::store::open_read_only(url)
        .await
        .err()
        .expect("fails");
    let text = err.to_string();
    assert!(matches!(err, StoreError::Unreachable { .. }), "{err:?}");
    assert!(
        text.contains("postgres://reader:***@127.0.0.1:1/ijwmo"),
        "{text}"
    );
    assert!(
        text.contains("refused") && !text.contains("s3cret"),
        "{text}"
    );
    let err = ijwmo::store::open_read_only("sqlite::memory:")
        .await
        .err()
        .expect("an in-memory store is always empty");
    assert!(matches!(err, StoreError::Missing { .. }), "{err:?}");
}

#[tokio::test]
async fn an_unmigrated_or_old_sqlite_file_is_reported_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    std::fs::write(&path, b"").unwrap();
    let url = format!("sqlite://{}", path.display());
    let err = ijwmo::store::open_read_only(&url)
        .await
        .err()
        .expect("fails");
    assert!(
        matches!(err, StoreError::Outdated { applied: None, .. }),
        "{err:?}"
    );
    assert_says_what_to_do(&err.to_string(), &url);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0, "file changed");

    // a store one migration behind
    let path = dir.path().join("old.db");
    let url = format!("sqlite://{}", path.display());
    {
        let store = ijwmo::store::SqliteStore::open(&path).await.unwrap();
        store.migrate().await.unwrap();
        sqlx::query(
            "DELETE FROM _sqlx_migrations WHERE version = (SELECT max(version) FROM _sqlx_migrations)",
        )
        .execute(store.pool())
        .await
        .unwrap();
        store.pool().close().await;
    }
    let err = ijwmo::store::open_read_only(&url)
        .await
        .err()
        .expect("fails");
    let StoreError::Outdated {
        applied: Some(applied),
        needed,
        ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert!(applied < needed);
    let (ok, _, stderr) = ijwmo(&url, &["stats", "late"]);
    assert!(!ok);
    assert!(stderr.contains("has schema version"), "{stderr}");
    assert_says_what_to_do(&stderr, &url);
}

#[tokio::test]
async fn a_migrated_sqlite_store_is_read_and_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ijwmo.db");
    let url = format!("sqlite://{}", path.display());
    fill(ijwmo::store::open(&url).await.unwrap()).await;
    let store = ijwmo::store::open_read_only(&url).await.unwrap();
    assert!(!store.timeliness_facts(None, None).await.unwrap().is_empty());
    assert!(
        store
            .mark_overdue(NaiveDate::from_ymd_opt(2030, 1, 1).unwrap())
            .await
            .is_err(),
        "a read-only store wrote"
    );
    let (ok, out, err) = ijwmo(&url, &["stats", "late", "--format", "csv"]);
    assert!(ok, "{err}");
    assert!(out.starts_with("provider,"), "{out}");
}

on_both!(an_analyst_reads_with_the_analyst_role_alone);

mod scenarios {
    use super::*;

    /// On PostgreSQL: as a login role with `ijwmo_analyst` and nothing else, every read-only
    /// command works (before, `stats` migrated and failed on "permission denied for schema
    /// public"), and a database that is missing or not migrated is reported, not created.
    /// On SQLite: the same commands on the filled file.
    pub async fn an_analyst_reads_with_the_analyst_role_alone(db: Db) {
        fill(db.open().await).await;
        let url = match &db {
            Db::Sqlite(_) => db.url(),
            Db::Postgres(url) => {
                let (server, name) = url.rsplit_once('/').unwrap();
                let role = format!("analyst_{}", name.trim_start_matches("ijwmo_test_"));
                let admin = sqlx::PgPool::connect(url).await.unwrap();
                for sql in [
                    format!("DROP ROLE IF EXISTS {role}"),
                    format!("CREATE ROLE {role} LOGIN"),
                    format!("GRANT ijwmo_analyst TO {role}"),
                ] {
                    sqlx::query(&sql).execute(&admin).await.unwrap();
                }
                admin.close().await;
                let host = server.split_once('@').map_or(server, |(_, h)| h);
                let analyst = format!("postgres://{role}@{host}/{name}");
                let result = std::panic::catch_unwind(|| analyst_commands(&analyst));
                check_missing_and_unmigrated_databases(server, &analyst).await;
                // a store whose grants are older than the program's (as before migration 5)
                let admin = sqlx::PgPool::connect(url).await.unwrap();
                sqlx::query("REVOKE SELECT ON _sqlx_migrations FROM ijwmo_analyst")
                    .execute(&admin)
                    .await
                    .unwrap();
                admin.close().await;
                let err = ijwmo::store::open_read_only(&analyst).await.err();
                let admin = sqlx::PgPool::connect(url).await.unwrap();
                sqlx::query(&format!("DROP ROLE IF EXISTS {role}"))
                    .execute(&admin)
                    .await
                    .ok();
                admin.close().await;
                if let Err(p) = result {
                    std::panic::resume_unwind(p);
                }
                assert!(
                    matches!(err, Some(StoreError::SchemaUnreadable { .. })),
                    "{err:?}"
                );
                assert_says_what_to_do(&err.unwrap().to_string(), &analyst);
                return;
            }
        };
        analyst_commands(&url);
    }

    fn analyst_commands(url: &str) {
        for args in [
            &["stats", "late", "--format", "csv"][..],
            &["stats", "costs", "--by", "month", "--format", "csv"],
            &["stats", "forecast", "--year", "2026", "--format", "csv"],
            &["contracts", "list", "--format", "csv"],
        ] {
            let (ok, out, err) = ijwmo(url, args);
            assert!(ok, "{args:?}: {err}");
            assert!(!out.is_empty(), "{args:?}");
        }
        let (_, late, _) = ijwmo(url, &["stats", "late", "--format", "csv"]);
        assert!(late.contains("\n98076541,"), "{late}");
    }

    async fn check_missing_and_unmigrated_databases(server: &str, analyst: &str) {
        let (base, _) = analyst.rsplit_once('/').unwrap();
        let missing = format!("{base}/ijwmo_no_such_db_{:08x}", rand::random::<u32>());
        let err = ijwmo::store::open_read_only(&missing)
            .await
            .err()
            .expect("fails");
        assert!(matches!(err, StoreError::Missing { .. }), "{err:?}");
        assert_says_what_to_do(&err.to_string(), &missing);
        // a database without the schema
        let name = format!("ijwmo_test_{:016x}", rand::random::<u64>());
        let admin = sqlx::PgPool::connect(&format!("{server}/postgres"))
            .await
            .unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .unwrap();
        let empty = format!("{server}/{name}");
        let err = ijwmo::store::open_read_only(&empty).await.err();
        let (ok, _, stderr) = ijwmo(&empty, &["stats", "late"]);
        let tables: i64 = {
            let pool = sqlx::PgPool::connect(&empty).await.unwrap();
            let n = sqlx::query_scalar(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            pool.close().await;
            n
        };
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        assert!(
            matches!(err, Some(StoreError::Outdated { applied: None, .. })),
            "{err:?}"
        );
        assert!(!ok);
        assert_says_what_to_do(&stderr, &empty);
        assert_eq!(tables, 0, "a read-only command created tables");
    }
}
