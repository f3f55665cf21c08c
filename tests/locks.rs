//! PostgreSQL advisory locks (issue 13, defect 4): an analyst could compute a provider's lock
//! key from the views and hold it, stalling its messages without end. Now the keys are keyed
//! with a secret the analyst cannot read, the analyst may not take advisory locks at all, and a
//! message that meets a held lock gives up after the lock timeout and is stored on a later try.

mod backends;

use backends::Db;
use chrono::{NaiveDate, TimeZone, Utc};
use ijwmo::message::kind::MessageKind;
use ijwmo::pipeline::{Handled, Incoming, Pipeline, PipelineError, Settings};
use ijwmo::store::{MessageStore, PgStore, Received, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_lock_delays_a_message_by_the_timeout_and_it_is_stored_later() {
    backends::on_postgres(scenario).await
}

async fn scenario(db: Db) {
    let Db::Postgres(url) = &db else {
        unreachable!()
    };
    let pg = PgStore::connect(url)
        .await
        .unwrap()
        .with_lock_timeout(Duration::from_secs(1));
    pg.migrate().await.unwrap();
    let (server, name) = url.rsplit_once('/').unwrap();
    let host = server.split_once('@').map_or(server, |(_, h)| h);
    let admin = sqlx::PgPool::connect(url).await.unwrap();

    // the analyst may neither take advisory locks nor read the secret
    let role = format!("analyst_{}", name.trim_start_matches("ijwmo_test_"));
    for sql in [
        format!("DROP ROLE IF EXISTS {role}"),
        format!("CREATE ROLE {role} LOGIN"),
        format!("GRANT ijwmo_analyst TO {role}"),
    ] {
        sqlx::query(&sql).execute(&admin).await.unwrap();
    }
    let analyst = sqlx::PgPool::connect(&format!("postgres://{role}@{host}/{name}"))
        .await
        .unwrap();
    let mut denied = Vec::new();
    for sql in [
        "SELECT pg_advisory_lock(42)::text",
        "SELECT pg_advisory_xact_lock(42)::text",
        "SELECT pg_try_advisory_lock(42)::text",
        "SELECT pg_advisory_lock_shared(4, 2)::text",
        "SELECT ijwmo_lock_all(ARRAY[42]::bigint[], '1s')::text",
        "SELECT encode(secret, 'hex') FROM lock_secret",
    ] {
        let result: Result<Option<String>, _> = sqlx::query_scalar(sql).fetch_one(&analyst).await;
        denied.push((sql, result.err().map(|e| e.to_string())));
    }
    analyst.close().await;
    sqlx::query(&format!("DROP ROLE IF EXISTS {role}"))
        .execute(&admin)
        .await
        .ok();
    for (sql, err) in denied {
        let err = err.unwrap_or_else(|| panic!("the analyst may run {sql}"));
        assert!(err.contains("permission denied"), "{sql}: {err}");
    }

    // another session holds the first lock a 315 takes (a stuck or hostile session)
    let xml = std::fs::read(format!(
        "{}/fixtures/messages/JW315.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let probe = Received {
        kind: MessageKind::from_name("JW315").unwrap(),
        sender: "98076541".into(),
        receiver: String::new(),
        identificatie: "JHG315-00173".into(),
        dagtekening: NaiveDate::from_ymd_opt(2026, 6, 22).unwrap(),
        received_at: Utc::now(),
        content_hash: String::new(),
        raw: Vec::new(),
        keys: Default::default(),
    };
    let keys = pg.message_lock_keys(&probe).await.unwrap();
    let mut holder = admin.acquire().await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(keys[0])
        .execute(&mut *holder)
        .await
        .unwrap();

    let store: Arc<dyn Store> = Arc::new(pg);
    let pipeline = Pipeline::new(store.clone(), Settings { today: None });
    let incoming = Incoming {
        bytes: xml,
        received_at: Utc.with_ymd_and_hms(2026, 6, 22, 10, 0, 0).unwrap(),
        origin: "test".into(),
    };
    let started = Instant::now();
    let first = tokio::time::timeout(Duration::from_secs(30), pipeline.handle(&incoming))
        .await
        .expect("the message waited for the held lock without end");
    let waited = started.elapsed();
    match first {
        Err(PipelineError::Store(e)) => {
            assert!(e.to_string().contains("lock timeout"), "{e}")
        }
        other => panic!("expected a store error to retry, got {other:?}"),
    }
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    assert_eq!(
        store.counts().await.unwrap().messages,
        0,
        "stored or failed"
    );

    // the lock is given up: the retry stores the message, once
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(keys[0])
        .execute(&mut *holder)
        .await
        .unwrap();
    drop(holder);
    let second = pipeline.handle(&incoming).await.unwrap();
    assert!(matches!(second, Handled::Stored { .. }), "{second:?}");
    assert_eq!(store.counts().await.unwrap().messages, 1);
    admin.close().await;
}
