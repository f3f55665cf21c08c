//! Facts on both backends: written in the message's transaction or not at all, the sweep
//! (overdue, idempotent, never back in time), out-of-order processing, the fixture stories of
//! both standards, the published views and the read-only analysts' role, and the CLI.

mod backends;

use backends::Db;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use ijwmo::facts::pseudonym::Pseudonymizer;
use ijwmo::facts::{FactSet, FactsEngine, ObligationKind, TimelinessFact};
use ijwmo::pipeline::{Handled, Incoming, Pipeline, Settings};
use ijwmo::protocol::deadlines::{Deadlines, Status};
use ijwmo::state::{Context, Outcome, Verdict};
use ijwmo::store::{Received, Store};
use std::sync::Arc;

on_both!(
    facts_commit_with_the_message_or_not_at_all,
    sweep_marks_overdue_is_idempotent_and_never_goes_back,
    a_message_processed_late_does_not_move_facts_back,
    both_fixture_stories_record_facts_without_a_bsn,
    a_rejected_301_is_answered_by_the_service,
    views_for_bi_tools,
    a_resubmitted_rejection_is_linked,
    the_measurement_start_keeps_earlier_obligations_out,
);

const KEY: &[u8] = b"facts-integration-test-key";

fn engine() -> FactsEngine {
    FactsEngine::new(Deadlines::default(), Pseudonymizer::new(KEY).unwrap())
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/fixtures/messages/{name}.xml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn at(day: &str) -> DateTime<Utc> {
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    Utc.from_utc_datetime(&d.and_hms_opt(10, 0, 0).unwrap())
}

fn pipeline(store: Arc<dyn Store>) -> Pipeline {
    Pipeline::new(
        store,
        Settings {
            today: NaiveDate::from_ymd_opt(2026, 11, 25),
        },
    )
    .with_facts(engine())
}

async fn handle(p: &Pipeline, xml: &str, day: &str) -> Verdict {
    match p
        .handle(&Incoming {
            bytes: xml.as_bytes().to_vec(),
            received_at: at(day),
            origin: "test".into(),
        })
        .await
        .expect("stored")
    {
        Handled::Stored { verdict, .. } => verdict,
        other => panic!("{other:?}"),
    }
}

fn find<'a>(
    facts: &'a [TimelinessFact],
    kind: ObligationKind,
    reference: &str,
) -> Vec<&'a TimelinessFact> {
    facts
        .iter()
        .filter(|f| f.kind == kind && f.reference == reference)
        .collect()
}

/// The Jw story up to the corrected start (the 305 with the allocation number typed right).
async fn jw_story(p: &Pipeline) {
    assert_eq!(
        handle(p, &fixture("JW315"), "2026-06-22").await,
        Verdict::Accepted
    );
    assert_eq!(
        handle(p, &fixture("JW301"), "2026-06-26").await,
        Verdict::Accepted
    );
    let start = fixture("JW305").replace(">513260081<", ">513260018<");
    assert_eq!(handle(p, &start, "2026-07-09").await, Verdict::Accepted);
}

mod scenarios {
    use super::*;

    pub async fn facts_commit_with_the_message_or_not_at_all(db: Db) {
        let store = db.open().await;
        let p = pipeline(store.clone());
        jw_story(&p).await;
        let before = store.counts().await.unwrap();
        let facts = store.timeliness_facts(None, None).await.unwrap();
        assert!(!facts.is_empty());
        // a message whose fact rows cannot be written (two scopes claim one obligation key) is
        // not stored at all: no message, no state, no outbox row, no fact
        let fact = facts[0].clone();
        let clash = vec![
            FactSet {
                scope: "x".into(),
                timeliness: vec![TimelinessFact {
                    scope: "x".into(),
                    ..fact.clone()
                }],
                ..FactSet::default()
            },
            FactSet {
                scope: "y".into(),
                timeliness: vec![TimelinessFact {
                    scope: "y".into(),
                    ..fact.clone()
                }],
                ..FactSet::default()
            },
        ];
        let received = Received {
            kind: ijwmo::MessageKind::from_name("JW305").unwrap(),
            sender: "98076541".into(),
            receiver: "0513".into(),
            identificatie: "CLASH-1".into(),
            dagtekening: d(2026, 7, 10),
            received_at: at("2026-07-10"),
            content_hash: "clash".into(),
            raw: b"<x/>".to_vec(),
            keys: ijwmo::state::ContextKeys::default(),
        };
        let decide = |_: &Context| Outcome {
            verdict: Verdict::Accepted,
            retour_codes: Vec::new(),
            changes: Vec::new(),
            outgoing: Vec::new(),
            facts: clash.clone(),
        };
        assert!(store.store(&received, &decide).await.is_err());
        assert_eq!(store.counts().await.unwrap(), before);
        assert_eq!(store.timeliness_facts(None, None).await.unwrap(), facts);
    }

    pub async fn sweep_marks_overdue_is_idempotent_and_never_goes_back(db: Db) {
        let store = db.open().await;
        let p = pipeline(store.clone());
        jw_story(&p).await;
        // the 301 (received Friday 26 June) is owed a 302 by Wednesday 1 July; none comes
        let facts = store.timeliness_facts(None, None).await.unwrap();
        let retour = find(&facts, ObligationKind::Retour, "GDA301-04417");
        assert_eq!(
            retour[0].status,
            Status::Open,
            "a heenbericht's row changes only with its retour or a sweep"
        );
        // allocation 513260017 ends 31 December: its stop is open until 8 January 2027
        let e = engine();
        let sweep = |date| {
            let store = store.clone();
            let e = e.clone();
            async move {
                ijwmo::facts::sweep::sweep(store.as_ref(), &e, date)
                    .await
                    .unwrap()
            }
        };
        let r = sweep(d(2027, 1, 8)).await;
        assert_eq!(r.clients, 1);
        let on_8th = store.timeliness_facts(None, None).await.unwrap();
        let retour = find(&on_8th, ObligationKind::Retour, "GDA301-04417");
        assert_eq!(retour[0].status, Status::Overdue);
        let stops = find(&on_8th, ObligationKind::Stop, "513260017");
        assert_eq!(stops[0].status, Status::Open);
        let r = sweep(d(2027, 1, 11)).await;
        assert_eq!(r.overdue, 2, "the stops of both deliveries");
        let swept = store.timeliness_facts(None, None).await.unwrap();
        assert_eq!(
            find(&swept, ObligationKind::Stop, "513260017")[0].status,
            Status::Overdue
        );
        // six months of care on each allocation, declared never
        let months = find(&swept, ObligationKind::Declaratie, "513260017");
        assert_eq!(months.len(), 6);
        assert!(months
            .iter()
            .all(|m| m.status == Status::Overdue || m.due_date >= d(2027, 1, 11)));
        // the same sweep again changes nothing; an earlier date does not move anything back
        sweep(d(2027, 1, 11)).await;
        assert_eq!(store.timeliness_facts(None, None).await.unwrap(), swept);
        sweep(d(2026, 8, 1)).await;
        assert_eq!(store.timeliness_facts(None, None).await.unwrap(), swept);
    }

    pub async fn a_message_processed_late_does_not_move_facts_back(db: Db) {
        let store = db.open().await;
        let p = pipeline(store.clone());
        jw_story(&p).await;
        // the 323 arrives on 6 October; the stop received on 3 September is processed after it
        let xml = fixture("JW323");
        let s = xml.find("<jw323:Prestatie>").unwrap();
        let e = xml.find("</jw323:Prestatie>").unwrap() + "</jw323:Prestatie>".len();
        let without_credit = format!("{}{}", &xml[..s], &xml[e..]).replace(
            "<ijw:TotaalBedrag>142140</ijw:TotaalBedrag>",
            "<ijw:TotaalBedrag>254760</ijw:TotaalBedrag>",
        );
        assert_eq!(
            handle(&p, &without_credit, "2026-10-06").await,
            Verdict::Accepted
        );
        let before = store.timeliness_facts(None, None).await.unwrap();
        let months_before = find(&before, ObligationKind::Declaratie, "513260017").len();
        assert_eq!(months_before, 4, "July to October");
        assert_eq!(
            handle(&p, &fixture("JW307"), "2026-09-03").await,
            Verdict::Accepted
        );
        let facts = store.timeliness_facts(None, None).await.unwrap();
        assert_eq!(
            find(&facts, ObligationKind::Declaratie, "513260017").len(),
            4
        );
        // open obligations are evaluated as of the latest receipt the scope saw; met ones keep
        // the date they were evaluated as met; no row went back in time
        let of_17: Vec<_> = facts
            .iter()
            .filter(|f| f.reference == "513260017")
            .collect();
        assert!(of_17.iter().any(|f| f.fulfilled_at.is_none()));
        for f in &of_17 {
            if f.fulfilled_at.is_none() {
                assert_eq!(f.evaluated_on, d(2026, 10, 6), "{f:?}");
            }
            if let Some(was) = before.iter().find(|b| b.key == f.key) {
                assert!(f.evaluated_on >= was.evaluated_on, "{f:?} after {was:?}");
            }
        }
        // the stop itself: reference 27 August, due 3 September, received on time
        let stop = find(&facts, ObligationKind::Stop, "513260018");
        assert_eq!(stop[0].status, Status::OnTime);
    }

    /// With a go-live date, obligations whose reference date lies before it are not
    /// recorded (the June request and its answers here); later ones and every cost are.
    pub async fn the_measurement_start_keeps_earlier_obligations_out(db: Db) {
        let go_live = d(2026, 7, 1);
        let story = [
            ("WMO315", "2026-06-15"),
            ("WMO301", "2026-06-19"),
            ("WMO302", "2026-06-22"),
            ("WMO305", "2026-07-08"),
            ("WMO307", "2026-08-26"),
            ("WMO323", "2026-10-05"),
        ];
        let run = |store: Arc<dyn Store>, measure_from: Option<NaiveDate>| async move {
            let p = Pipeline::new(
                store.clone(),
                Settings {
                    today: NaiveDate::from_ymd_opt(2026, 11, 25),
                },
            )
            .with_facts(engine().measuring_from(measure_from));
            for (name, day) in story {
                handle(&p, &fixture(name), day).await;
            }
            let facts = store.timeliness_facts(None, None).await.unwrap();
            let lines = store.cost_facts().await.unwrap().prestaties.len();
            (facts, lines)
        };
        // without a start the June request and its answers are measured
        let everything = ijwmo::store::open("sqlite::memory:").await.unwrap();
        let (all, all_lines) = run(everything, None).await;
        assert_eq!(
            find(&all, ObligationKind::AntwoordVot, "WZT-VOT-2026-0088-A").len(),
            1
        );
        assert!(all.iter().any(|f| f.reference_date < go_live));
        // from 1 July: only what lies from then on, and every cost
        let (facts, lines) = run(db.open().await, Some(go_live)).await;
        assert!(
            facts.iter().all(|f| f.reference_date >= go_live),
            "{facts:#?}"
        );
        assert!(find(&facts, ObligationKind::AntwoordVot, "WZT-VOT-2026-0088-A").is_empty());
        assert_eq!(find(&facts, ObligationKind::Start, "627260042").len(), 1);
        let later = |f: &&TimelinessFact| f.reference_date >= go_live;
        assert_eq!(facts.len(), all.iter().filter(later).count());
        assert_eq!(lines, all_lines);
        assert!(lines > 0);
    }

    pub async fn both_fixture_stories_record_facts_without_a_bsn(db: Db) {
        let store = db.open().await;
        let p = pipeline(store.clone());
        for (name, day) in [
            ("WMO315", "2026-06-15"),
            ("WMO301", "2026-06-19"),
            ("WMO302", "2026-06-22"),
            ("WMO305", "2026-07-08"),
            ("WMO307", "2026-08-26"),
            ("WMO317", "2026-09-10"),
            ("WMO319", "2026-09-16"),
            ("WMO320", "2026-09-18"),
            ("WMO323", "2026-10-05"),
        ] {
            handle(&p, &fixture(name), day).await;
        }
        jw_story(&p).await;
        let facts = store.timeliness_facts(None, None).await.unwrap();
        let costs = store.cost_facts().await.unwrap();
        let dump = format!("{facts:?}{costs:?}");
        for bsn in ["999912367", "999934594"] {
            assert!(!dump.contains(bsn));
            assert!(dump.contains(&engine().pseudonym(bsn)));
        }
        // Wmo: the rejected 305 and 307 were answered by the service (on time), the provider's
        // start is owed from 1 July and never came in an accepted message; the VOW went
        // "in onderzoek" within 5 working days and its 320 came on time
        let wmo: Vec<_> = facts
            .iter()
            .filter(|f| f.gemeente == "0627")
            .cloned()
            .collect();
        assert_eq!(
            find(&wmo, ObligationKind::Start, "627260042")[0].status,
            Status::Overdue
        );
        assert_eq!(
            find(&wmo, ObligationKind::AntwoordVow, "WZT-VOW-2026-0142")[0].status,
            Status::OnTime
        );
        assert_eq!(
            find(&wmo, ObligationKind::EindantwoordVow, "WZT-VOW-2026-0142")[0].status,
            Status::Open
        );
        assert!(wmo
            .iter()
            .filter(|f| f.kind == ObligationKind::Retour)
            .all(|f| f.status == Status::OnTime));
        // the Wmo declaration: the August correction approved, the credit (8017) and the
        // September line (9321) rejected
        let lines: Vec<_> = costs
            .prestaties
            .iter()
            .filter(|c| c.gemeente == "0627")
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines.iter().map(|l| l.approved_cents).sum::<i64>(), 58050);
        assert_eq!(
            lines.iter().map(|l| l.rejected_cents).sum::<i64>(),
            -51600 + 70950
        );
    }

    pub async fn a_rejected_301_is_answered_by_the_service(db: Db) {
        let store = db.open().await;
        let p = pipeline(store.clone());
        assert_eq!(
            handle(&p, &fixture("JW315"), "2026-06-22").await,
            Verdict::Accepted
        );
        // a BSN failing the elfproef: 0001, the service sends the 302 to the gemeente itself
        let broken = fixture("JW301").replace(">999912367<", ">999912368<");
        assert_eq!(handle(&p, &broken, "2026-06-26").await, Verdict::Rejected);
        let facts = store.timeliness_facts(None, None).await.unwrap();
        let retour = find(&facts, ObligationKind::Retour, "GDA301-04417");
        assert_eq!(retour.len(), 1);
        assert_eq!(
            (retour[0].owed_by.as_str(), retour[0].status),
            ("0513", Status::OnTime)
        );
        // the corrected 301 (a new Identificatie: the old one with other content would get
        // 9056) is forwarded, and the provider owes its 302
        let fixed = fixture("JW301").replace("GDA301-04417", "GDA301-04418");
        assert_eq!(handle(&p, &fixed, "2026-06-29").await, Verdict::Accepted);
        let facts = store.timeliness_facts(None, None).await.unwrap();
        let retour = find(&facts, ObligationKind::Retour, "GDA301-04418");
        assert_eq!(
            (retour[0].owed_by.as_str(), retour[0].status),
            ("98076541", Status::Open)
        );
        assert_eq!(retour[0].due_date, d(2026, 7, 2));
    }

    /// Issue 11, item 4: a debit rejected on Thursday 1 October (0611) and approved again on
    /// Tuesday 6 October for the same allocation and month: 3 working days (Fri, Mon, Tue);
    /// the view and `stats rejections` link them the same way on both stores.
    pub async fn a_resubmitted_rejection_is_linked(db: Db) {
        use ijwmo::facts::query::{table, Facts, Filter, Query};
        use ijwmo::facts::stats::GroupBy;
        let store = db.open().await;
        let line = |key: &str, day: &str, codes: &str| {
            let rejected = !codes.is_empty();
            ijwmo::facts::PrestatieKosten {
                key: key.into(),
                scope: "resub".into(),
                standard: ijwmo::message::kind::Standard::Ijw,
                gemeente: "0513".into(),
                agb: "11111111".into(),
                client: "pseudonym-1".into(),
                declaratie_nummer: key.into(),
                referentie_nummer: key.into(),
                vorig_referentie_nummer: None,
                toewijzing_nummer: 42,
                categorie: "45".into(),
                productcode: "45A03".into(),
                segment: None,
                period_month: d(2026, 9, 1),
                debet_credit: "D".into(),
                volume: 1,
                eenheid: "04".into(),
                tarief: Some(10000),
                declared_cents: 10000,
                approved_cents: if rejected { 0 } else { 10000 },
                rejected_cents: if rejected { 10000 } else { 0 },
                net_cents: if rejected { 0 } else { 10000 },
                credited: false,
                status: if rejected { "afgewezen" } else { "goedgekeurd" }.into(),
                retour_codes: codes.into(),
                received_at: at(day),
                received_on: day.parse().unwrap(),
            }
        };
        let set = FactSet {
            scope: "resub".into(),
            prestaties: vec![
                line("resub-r", "2026-10-01", "0611"),
                line("resub-a", "2026-10-06", ""),
            ],
            ..FactSet::default()
        };
        let received = Received {
            kind: ijwmo::MessageKind::from_name("JW305").unwrap(),
            sender: "11111111".into(),
            receiver: "0513".into(),
            identificatie: "RESUB-1".into(),
            dagtekening: d(2026, 10, 6),
            received_at: at("2026-10-06"),
            content_hash: "resub".into(),
            raw: b"<x/>".to_vec(),
            keys: ijwmo::state::ContextKeys::default(),
        };
        let decide = |_: &Context| Outcome {
            verdict: Verdict::Accepted,
            retour_codes: Vec::new(),
            changes: Vec::new(),
            outgoing: Vec::new(),
            facts: vec![set.clone()],
        };
        store.store(&received, &decide).await.unwrap();
        let facts = Facts::load(store.as_ref(), Default::default())
            .await
            .unwrap();
        let filter = Filter {
            agb: Some("11111111".into()),
            ..Filter::default()
        };
        let got = table(
            &facts,
            &filter,
            &Query::Rejections {
                by: GroupBy::Provider,
            },
        )
        .unwrap()
        .to_csv();
        assert_eq!(
            got.lines().nth(1),
            Some("11111111,2,1,50.0,200.00,100.00,50.0,1,3")
        );
        let sql = "SELECT resubmitted_on FROM v_rejections WHERE fact_key = 'resub-r'";
        let on: Option<String> = match &db {
            Db::Sqlite(path) => {
                let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                    .await
                    .unwrap();
                sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap()
            }
            Db::Postgres(url) => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                let on: Option<NaiveDate> = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
                on.map(|d| d.to_string())
            }
        };
        assert_eq!(on.as_deref(), Some("2026-10-06"));
    }

    pub async fn views_for_bi_tools(db: Db) {
        let store = db.open().await;
        let p = pipeline(store.clone());
        jw_story(&p).await;
        let views = [
            "v_timeliness",
            "v_cost_lines",
            "v_commitments",
            "v_realisation_monthly",
            "v_budget_ceilings",
            "v_rejections",
            "v_waiting",
            "v_trajectories",
            "v_handover",
            "v_budget_use",
        ];
        match &db {
            Db::Sqlite(path) => {
                let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                    .await
                    .unwrap();
                for v in views {
                    sqlx::query(&format!("SELECT * FROM {v}"))
                        .fetch_all(&pool)
                        .await
                        .unwrap();
                    let cols: Vec<String> =
                        sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{v}')"))
                            .fetch_all(&pool)
                            .await
                            .unwrap();
                    assert!(
                        !cols.is_empty()
                            && !cols
                                .iter()
                                .any(|c| c.contains("bsn") || c.contains("geboorte")),
                        "{v}: {cols:?}"
                    );
                }
                let n: i64 = sqlx::query_scalar("SELECT count(*) FROM v_timeliness")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                assert!(n > 0);
            }
            Db::Postgres(url) => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                let mut conn = pool.acquire().await.unwrap();
                for v in views {
                    let cols: Vec<String> = sqlx::query_scalar(
                        "SELECT column_name::text FROM information_schema.columns WHERE table_name = $1",
                    )
                    .bind(v)
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap();
                    assert!(
                        !cols.is_empty()
                            && !cols
                                .iter()
                                .any(|c| c.contains("bsn") || c.contains("geboorte")),
                        "{v}: {cols:?}"
                    );
                }
                // the analysts' role reads every view and the tables without a BSN that the
                // read-only commands read (facts, contracts), never the message log or state
                sqlx::query("SET ROLE ijwmo_analyst")
                    .execute(&mut *conn)
                    .await
                    .unwrap();
                for v in views {
                    sqlx::query(&format!("SELECT * FROM {v}"))
                        .fetch_all(&mut *conn)
                        .await
                        .unwrap_or_else(|e| panic!("{v}: {e}"));
                }
                let n: i64 = sqlx::query_scalar("SELECT count(*) FROM v_timeliness")
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap();
                assert!(n > 0);
                for table in [
                    "timeliness_facts",
                    "cost_prestaties",
                    "cost_toewijzingen",
                    "contracts",
                    "contract_imports",
                ] {
                    sqlx::query(&format!("SELECT * FROM {table} LIMIT 1"))
                        .fetch_all(&mut *conn)
                        .await
                        .unwrap_or_else(|e| panic!("{table}: {e}"));
                }
                for table in [
                    "messages",
                    "toewijzingen",
                    "leveringen",
                    "verzoeken",
                    "prestaties",
                    "outbox",
                ] {
                    let err = sqlx::query(&format!("SELECT 1 FROM {table} LIMIT 1"))
                        .fetch_all(&mut *conn)
                        .await
                        .expect_err(table);
                    assert!(
                        err.to_string().contains("permission denied"),
                        "{table}: {err}"
                    );
                }
                sqlx::query("RESET ROLE").execute(&mut *conn).await.unwrap();
            }
        }
    }
}

/// `ijwmo sweep` and `ijwmo stats` on a SQLite file the pipeline filled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_sweep_and_stats() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cli.db");
    let url = format!("sqlite://{}", path.display());
    {
        let store = ijwmo::store::open(&url).await.unwrap();
        jw_story(&pipeline(store)).await;
    }
    let bin = env!("CARGO_BIN_EXE_ijwmo");
    // A target directory shared by several checkouts may hold another branch's binary for a
    // moment (a concurrent build): say so rather than pass without checking anything.
    let help = std::process::Command::new(bin)
        .arg("--help")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&help.stdout).contains("sweep"),
        "{bin} is not this build (a target directory shared with another checkout?)"
    );
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bin)
            .args(args)
            .env("IJWMO_STORE_URL", &url)
            .env("IJWMO_PSEUDONYM_KEY", std::str::from_utf8(KEY).unwrap())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let swept = run(&["sweep", "--date", "2027-01-11"]);
    assert!(swept.contains("1 client(s)"), "{swept}");
    let late = run(&[
        "stats",
        "late",
        "--by",
        "provider",
        "--format",
        "csv",
        "--owed-by",
        "aanbieder",
    ]);
    assert!(
        late.starts_with("provider,kind,rule,total,on_time,late,overdue,open,pct_on_time"),
        "{late}"
    );
    // two allocations: both started on time; both stops overdue
    assert!(
        late.contains("98076541,start,OP271,2,2,0,0,0,100.0,0,0\n"),
        "{late}"
    );
    assert!(
        late.contains("98076541,stop,OP272,2,0,0,2,0,0.0,,\n"),
        "{late}"
    );
    let json = run(&[
        "stats",
        "late",
        "--by",
        "month",
        "--format",
        "json",
        "--from",
        "2026-07-01",
        "--to",
        "2026-07-31",
    ]);
    assert!(json.starts_with("[\n{\"month\":\"2026-07\""), "{json}");
    let costs = run(&["stats", "costs", "--by", "month"]);
    assert!(costs.starts_with("month"), "{costs}");
    let forecast = run(&["stats", "forecast", "--year", "2026", "--format", "csv"]);
    assert!(
        forecast.starts_with("provider,year,realised,remaining,forecast,budget_ceiling"),
        "{forecast}"
    );
    // without a key the sweep refuses to run
    let out = std::process::Command::new(bin)
        .args(["sweep", "--date", "2027-01-11"])
        .env("IJWMO_STORE_URL", &url)
        .env("IJWMO_PSEUDONYM_KEY", "short")
        .output()
        .unwrap();
    assert!(!out.status.success());
}
