//! What one declaration costs for a client with three years of monthly history against one
//! with none (issue 12, "facts in proportion to the change").
//!
//! Per store (SQLite in a temp file; PostgreSQL when reachable, in a fresh database): twenty
//! clients allocated and started in January 2023 declare every month of 2023–2025 (36
//! declarations each), twenty more are allocated and started in December 2025 and have declared
//! nothing; then every client declares January, February and March 2026, and each of those
//! declarations is timed through the pipeline with facts on (validation, judging, storing,
//! facts, one transaction). On PostgreSQL the write-ahead log written per declaration is
//! measured too (`pg_current_wal_lsn`), the database's own measure of what it wrote.
//!
//! `cargo bench --bench facts_history` (release build). `IJWMO_BENCH_POSTGRES` overrides the
//! server URL (without a database name), default `postgres://postgres@127.0.0.1:5432`;
//! `IJWMO_BENCH_CLIENTS` the clients per group (default 20).

#[path = "../tests/support/berichten.rs"]
mod berichten;

use berichten::*;
use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
use ijwmo::contracts::ContractSet;
use ijwmo::facts::pseudonym::Pseudonymizer;
use ijwmo::facts::FactsEngine;
use ijwmo::message::bsn::test_bsn;
use ijwmo::pipeline::{Handled, Incoming, Pipeline, Settings};
use ijwmo::protocol::deadlines::Deadlines;
use ijwmo::state::Verdict;
use ijwmo::store::{PgStore, SqliteStore, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};

const AGB: &str = "98076541";
const GEMEENTE: &str = "0513";
const CONTRACTS: &str =
    "agb,gemeente,categorie,productcode,eenheid,tarief,geldig_van,geldig_tot,segment,budgetplafond
98076541,*,45,45A03,04,9385,2023-01-01,2026-12-31,jeugd-ambulant,
";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn at(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(10, 0, 0).unwrap())
}

fn last_day(month: NaiveDate) -> NaiveDate {
    month + Months::new(1) - chrono::Days::new(1)
}

/// One client of the bench: its BSN, allocation number and the month its care starts.
struct Client {
    bsn: String,
    nummer: u32,
    start: NaiveDate,
}

/// The allocation and the start, received on the first day of care.
fn intake(c: &Client) -> Vec<(NaiveDate, String)> {
    let day = c.start;
    let s = day.to_string();
    let product = Toegewezen {
        nummer: c.nummer,
        referentie: None,
        code: "45A03".into(),
        ingang: s.clone(),
        eind: "2026-12-31".into(),
        volume: 3,
        eenheid: "04".into(),
        frequentie: "2".into(),
    };
    let g = kop(GEMEENTE, AGB, &format!("G301-{}", c.nummer), &s);
    let p = kop(AGB, GEMEENTE, &format!("A305-{}", c.nummer), &s);
    vec![
        (day, jw301(&g, &c.bsn, &[product])),
        (day, jw305(&p, &c.bsn, c.nummer, "45A03", &s, &s)),
    ]
}

/// The declaration of one month of care, received on the 5th of the next month.
fn declaratie(c: &Client, month: NaiveDate) -> (NaiveDate, String) {
    let received = (month + Months::new(1)).with_day(5).unwrap();
    // identifications are at most 12 characters
    let tag = format!(
        "{:03}{:02}{:02}",
        c.nummer % 1000,
        month.year() % 100,
        month.month()
    );
    let k = kop(AGB, GEMEENTE, &format!("D{tag}"), &received.to_string());
    let regel = Regel {
        referentie: format!("R{tag}"),
        vorig: None,
        nummer: c.nummer,
        code: "45A03".into(),
        begin: month.to_string(),
        eind: last_day(month).to_string(),
        volume: 10,
        eenheid: "04".into(),
        tarief: 9385,
    };
    let xml = jw323(
        &k,
        &format!("N{tag}"),
        &month.to_string(),
        &last_day(month).to_string(),
        &[(c.bsn.as_str(), vec![regel])],
    );
    (received, xml)
}

async fn handle(p: &Pipeline, day: NaiveDate, xml: String) {
    let h = p
        .handle(&Incoming {
            bytes: xml.into_bytes(),
            received_at: at(day),
            origin: "facts_history".into(),
        })
        .await
        .expect("handled");
    match h {
        Handled::Stored {
            verdict: Verdict::Accepted,
            ..
        } => {}
        other => panic!("{day}: not accepted: {other:?}"),
    }
}

fn months(from: NaiveDate, count: u32) -> impl Iterator<Item = NaiveDate> {
    (0..count).map(move |i| from + Months::new(i))
}

/// What the timed declarations of one group cost.
#[derive(Default)]
struct Timed {
    durations: Vec<Duration>,
    wal_bytes: Option<u64>,
}

impl Timed {
    fn quantile(&self, q: f64) -> f64 {
        let mut v: Vec<f64> = self
            .durations
            .iter()
            .map(|d| d.as_secs_f64() * 1e3)
            .collect();
        v.sort_by(f64::total_cmp);
        v[((v.len() - 1) as f64 * q).round() as usize]
    }
}

async fn wal_lsn(pg: Option<&sqlx::PgPool>) -> Option<u64> {
    let pool = pg?;
    let (lsn,): (i64,) = sqlx::query_as("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint")
        .fetch_one(pool)
        .await
        .ok()?;
    Some(lsn as u64)
}

/// Times one declaration: the pipeline's wall time, and on PostgreSQL the WAL it wrote.
async fn timed(
    p: &Pipeline,
    c: &Client,
    month: NaiveDate,
    pg: Option<&sqlx::PgPool>,
    into: &mut Timed,
) {
    let (day, xml) = declaratie(c, month);
    let before = wal_lsn(pg).await;
    let t = Instant::now();
    handle(p, day, xml).await;
    into.durations.push(t.elapsed());
    if let (Some(b), Some(a)) = (before, wal_lsn(pg).await) {
        *into.wal_bytes.get_or_insert(0) += a - b;
    }
}

async fn run(name: &str, store: Arc<dyn Store>, pg: Option<&sqlx::PgPool>, per_group: usize) {
    store.migrate().await.expect("migrate");
    store
        .replace_contracts(&ContractSet::from_csv(CONTRACTS).unwrap(), "bench.csv")
        .await
        .expect("contracts");
    let engine = FactsEngine::new(
        Deadlines::default(),
        Pseudonymizer::new(b"facts-history-bench-key").unwrap(),
    );
    let p = Pipeline::new(store.clone(), Settings { today: None }).with_facts(engine);
    let client = |i: usize, start: NaiveDate| Client {
        bsn: test_bsn(5000 + i as u64),
        nummer: 700_000 + i as u32,
        start,
    };
    let long: Vec<Client> = (0..per_group).map(|i| client(i, d(2023, 1, 1))).collect();
    let new: Vec<Client> = (0..per_group)
        .map(|i| client(per_group + i, d(2025, 12, 1)))
        .collect();
    let setup = Instant::now();
    for c in long.iter().chain(&new) {
        for (day, xml) in intake(c) {
            handle(&p, day, xml).await;
        }
    }
    // month by month, as a provider would declare
    for month in months(d(2023, 1, 1), 36) {
        let declaring = long.iter().chain(new.iter().filter(|c| c.start <= month));
        for c in declaring {
            let (day, xml) = declaratie(c, month);
            handle(&p, day, xml).await;
        }
    }
    eprintln!(
        "{name}: history of {} clients written in {:.1} s",
        per_group * 2,
        setup.elapsed().as_secs_f64()
    );
    // the provider declares every client's month before the next month (TR318)
    let mut with_history = Timed::default();
    let mut without = Timed::default();
    for month in months(d(2026, 1, 1), 3) {
        for (a, b) in long.iter().zip(&new) {
            timed(&p, a, month, pg, &mut with_history).await;
            timed(&p, b, month, pg, &mut without).await;
        }
    }
    for (label, t) in [
        ("36 months of history", &with_history),
        ("no history", &without),
    ] {
        println!(
            "{name:<10} | {label:<20} | {:>4} | {:>7.2} | {:>7.2} | {}",
            t.durations.len(),
            t.quantile(0.5),
            t.quantile(0.9),
            t.wal_bytes
                .map(|b| format!("{:>7}", b / t.durations.len() as u64))
                .unwrap_or_else(|| "      –".into()),
        );
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let per_group: usize = std::env::var("IJWMO_BENCH_CLIENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    println!(
        "store      | client               |    n | p50 ms  | p90 ms  | WAL bytes/declaration"
    );
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("bench.db"))
        .await
        .expect("sqlite");
    run("sqlite", Arc::new(sqlite), None, per_group).await;

    let server = std::env::var("IJWMO_BENCH_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string());
    let admin = match sqlx::PgPool::connect(&format!("{server}/postgres")).await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("PostgreSQL not measured: {e}");
            return;
        }
    };
    let name = format!("ijwmo_bench_history_{}", std::process::id());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .expect("create database");
    let url = format!("{server}/{name}");
    let store = PgStore::connect(&url).await.expect("postgres");
    run("postgres", Arc::new(store), Some(&admin), per_group).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&admin)
        .await
        .expect("drop database");
}
