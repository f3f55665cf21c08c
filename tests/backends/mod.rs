//! The two storage backends every integration scenario runs on: SQLite (a temp file) and the
//! real PostgreSQL on 127.0.0.1:5432 (a fresh database per test, dropped at the end).
//!
//! PostgreSQL unreachable: the postgres variants fail, unless `IJWMO_REQUIRE_SERVICES=0` says
//! to skip them knowingly (see `support/services.rs`). `IJWMO_TEST_POSTGRES` overrides the
//! server URL (without a database name), default `postgres://postgres@127.0.0.1:5432`.
#![allow(dead_code)]

#[path = "../support/services.rs"]
pub mod services;

use futures_util::FutureExt;
use ijwmo::store::{PgStore, SqliteStore, Store, DEFAULT_CLAIM_TIMEOUT};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Harness

/// Where one test's database lives; scenarios open as many stores on it as they need.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Db {
    pub fn url(&self) -> String {
        match self {
            Db::Sqlite(p) => format!("sqlite://{}", p.display()),
            Db::Postgres(url) => url.clone(),
        }
    }

    /// A migrated store with the default claim timeout.
    pub async fn open(&self) -> Arc<dyn Store> {
        self.open_with(DEFAULT_CLAIM_TIMEOUT).await
    }

    pub async fn open_with(&self, claim_timeout: Duration) -> Arc<dyn Store> {
        let store: Arc<dyn Store> = match self {
            Db::Sqlite(p) => Arc::new(
                SqliteStore::open(p)
                    .await
                    .expect("open sqlite")
                    .with_claim_timeout(claim_timeout),
            ),
            Db::Postgres(url) => Arc::new(
                PgStore::connect(url)
                    .await
                    .expect("connect postgres")
                    .with_claim_timeout(claim_timeout),
            ),
        };
        store.migrate().await.expect("migrate");
        store
    }
}

pub async fn on_sqlite<F, Fut>(scenario: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temp dir");
    scenario(Db::Sqlite(dir.path().join("store.db"))).await;
}

pub async fn on_postgres<F, Fut>(scenario: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    let server = std::env::var("IJWMO_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string());
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(3))
        .connect(&format!("{server}/postgres"))
        .await;
    let admin = match admin {
        Ok(a) => a,
        Err(e) => {
            services::unavailable(
                &format!("PostgreSQL at {}", ijwmo::config::redact_url(&server)),
                &e.to_string(),
            );
            return;
        }
    };
    let name = format!("ijwmo_test_{:016x}", rand::random::<u64>());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .expect("create test database");
    let result = AssertUnwindSafe(scenario(Db::Postgres(format!("{server}/{name}"))))
        .catch_unwind()
        .await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&admin)
        .await
        .expect("drop test database");
    admin.close().await;
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// A test per backend for each scenario: `<scenario>::sqlite` and `<scenario>::postgres`.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::backends::on_sqlite(super::scenarios::$name).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::backends::on_postgres(super::scenarios::$name).await
            }
        }
    )*};
}
