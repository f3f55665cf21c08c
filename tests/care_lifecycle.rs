//! The care lifecycle figures (issue 11, items 1, 3 and 5) on a hand-made autumn in Gouda: two
//! providers, five clients, every message through the pipeline on SQLite and PostgreSQL, and
//! every figure below computed by hand (calendar days; the comments give the arithmetic).
//!
//! - client 1 (A): a VOT received Monday 28 September, allocated 2 October from 1 October,
//!   started Monday 5 October — a wait across a month end: 7 days from the request, 4 from the
//!   Ingangsdatum. Born 31 October 2009: turns 18 in October 2027, the last month of a
//!   12-month horizon from November 2026, while allocated until the end of 2027;
//! - client 2 (A): allocated retroactively on 12 October from 1 September and started on
//!   1 September: counted apart, no wait. Ended according to plan (31) on 30 October: 60 days;
//! - client 3 (A): allocated 7 September, started 14 September (7 days), ended early by the
//!   provider (33) on 9 October: 26 days. Comes back at B from 2 November (a re-entry within
//!   6 months), not started by 30 November: waiting 28 days. Born 20 December 2008: the new
//!   allocation runs past the 18th birthday (December 2026), the ended one does not;
//! - client 4 (B): allocated 25 September from 1 October, started 1 October (6 and 0 days).
//!   Born 2 November 2008: turns 18 in November 2026, the as-of month, allocated to year end;
//! - client 5 (B): allocated 14 October from 15 October, not started by 30 November: waiting
//!   47 days (46 since the Ingangsdatum). Born 5 November 2009: November 2027, just outside
//!   the 12-month horizon.

mod backends;
#[path = "support/berichten.rs"]
mod berichten;

use backends::Db;
use berichten::*;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use ijwmo::facts::pseudonym::Pseudonymizer;
use ijwmo::facts::query::{self, Facts, Filter, Query};
use ijwmo::facts::stats::GroupBy;
use ijwmo::facts::FactsEngine;
use ijwmo::message::bsn::test_bsn;
use ijwmo::pipeline::{Handled, Incoming, Pipeline, Settings};
use ijwmo::protocol::deadlines::Deadlines;
use ijwmo::report::Format;
use ijwmo::state::Verdict;
use ijwmo::store::Store;
use ijwmo::validate::Validator;
use std::sync::Arc;

on_both!(autumn_in_gouda);

const A: &str = "98076541";
const B: &str = "98081237";
const GOUDA: &str = "0513";
const KEY: &[u8] = b"care-lifecycle-pseudonym-key";

fn client(n: u64) -> String {
    test_bsn(200 + n)
}

fn engine() -> FactsEngine {
    FactsEngine::new(Deadlines::default(), Pseudonymizer::new(KEY).unwrap())
}

fn pseudo(n: u64) -> String {
    engine().pseudonym(&client(n))
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(day: &str) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d(day).and_hms_opt(10, 0, 0).unwrap())
}

fn alloc(nummer: u32, referentie: Option<&str>, ingang: &str, eind: &str) -> Toegewezen {
    Toegewezen {
        nummer,
        referentie: referentie.map(str::to_string),
        code: "45A03".into(),
        ingang: ingang.into(),
        eind: eind.into(),
        volume: 3,
        eenheid: "04".into(),
        frequentie: "2".into(),
    }
}

/// The messages in order of receipt.
fn autumn() -> Vec<(&'static str, String)> {
    let c = |n| client(n);
    let g = |agb: &str, id: &str, day: &str| kop(GOUDA, agb, id, day);
    let p = |agb: &str, id: &str, day: &str| kop(agb, GOUDA, id, day);
    vec![
        (
            "2026-09-07",
            jw301_geboren(
                &g(A, "G301-3", "2026-09-07"),
                &c(3),
                "2008-12-20",
                &[alloc(513270003, None, "2026-09-07", "2027-12-31")],
            ),
        ),
        (
            "2026-09-14",
            jw305(
                &p(A, "A305-3", "2026-09-14"),
                &c(3),
                513270003,
                "45A03",
                "2026-09-07",
                "2026-09-14",
            ),
        ),
        (
            "2026-09-25",
            jw301_geboren(
                &g(B, "G301-4", "2026-09-25"),
                &c(4),
                "2008-11-02",
                &[alloc(513270004, None, "2026-10-01", "2026-12-31")],
            ),
        ),
        (
            "2026-09-28",
            jw315(
                &p(A, "A315-1", "2026-09-28"),
                &c(1),
                "A-VOT-1",
                "45A03",
                "2026-10-01",
                "2027-12-31",
                3,
                "04",
                "2",
            ),
        ),
        (
            "2026-10-01",
            jw305(
                &p(B, "B305-4", "2026-10-01"),
                &c(4),
                513270004,
                "45A03",
                "2026-10-01",
                "2026-10-01",
            ),
        ),
        (
            "2026-10-02",
            jw301_geboren(
                &g(A, "G301-1", "2026-10-02"),
                &c(1),
                "2009-10-31",
                &[alloc(
                    513270001,
                    Some("A-VOT-1"),
                    "2026-10-01",
                    "2027-12-31",
                )],
            ),
        ),
        (
            "2026-10-05",
            jw305(
                &p(A, "A305-1", "2026-10-05"),
                &c(1),
                513270001,
                "45A03",
                "2026-10-01",
                "2026-10-05",
            ),
        ),
        (
            "2026-10-09",
            jw307(
                &p(A, "A307-3", "2026-10-09"),
                &c(3),
                513270003,
                "45A03",
                "2026-09-07",
                "2026-09-14",
                "33",
                "2026-10-09",
            ),
        ),
        (
            "2026-10-12",
            jw301_geboren(
                &g(A, "G301-2", "2026-10-12"),
                &c(2),
                "2012-01-01",
                &[alloc(513270002, None, "2026-09-01", "2026-12-31")],
            ),
        ),
        (
            "2026-10-13",
            jw305(
                &p(A, "A305-2", "2026-10-13"),
                &c(2),
                513270002,
                "45A03",
                "2026-09-01",
                "2026-09-01",
            ),
        ),
        (
            "2026-10-14",
            jw301_geboren(
                &g(B, "G301-5", "2026-10-14"),
                &c(5),
                "2009-11-05",
                &[alloc(513270005, None, "2026-10-15", "2027-12-31")],
            ),
        ),
        (
            "2026-11-02",
            jw301_geboren(
                &g(B, "G301-6", "2026-11-02"),
                &c(3),
                "2008-12-20",
                &[alloc(513270006, None, "2026-11-02", "2027-06-30")],
            ),
        ),
        (
            "2026-11-02",
            jw307(
                &p(A, "A307-2", "2026-11-02"),
                &c(2),
                513270002,
                "45A03",
                "2026-09-01",
                "2026-09-01",
                "31",
                "2026-10-30",
            ),
        ),
    ]
}

async fn load(store: Arc<dyn Store>) -> Facts {
    let p = Pipeline::new(
        store.clone(),
        Settings {
            today: NaiveDate::from_ymd_opt(2026, 11, 30),
        },
    )
    .with_facts(engine());
    let validator = Validator::embedded();
    for (day, xml) in autumn() {
        let report = validator.validate(xml.as_bytes());
        assert!(report.valid(), "{day}: {:?}\n{xml}", report.findings);
        let h = p
            .handle(&Incoming {
                bytes: xml.into_bytes(),
                received_at: at(day),
                origin: "autumn".into(),
            })
            .await
            .unwrap();
        match h {
            Handled::Stored {
                verdict,
                retour_codes,
                ..
            } => assert_eq!(verdict, Verdict::Accepted, "{day}: {retour_codes:?}"),
            other => panic!("{day}: {other:?}"),
        }
    }
    Facts::load(store.as_ref(), Default::default())
        .await
        .unwrap()
}

fn csv(facts: &Facts, filter: &Filter, q: Query) -> String {
    query::table(facts, filter, &q).unwrap().render(Format::Csv)
}

const WAITING_BY_PROVIDER: &str = "\
provider,started,retroactive,counted,median_days_from_request,p90_days_from_request,median_days_from_ingang,p90_days_from_ingang
98076541,3,1,2,7,7,4,7
98081237,1,0,1,6,6,0,0
";

/// By month of start: September holds client 3 (7 days) and the retroactive client 2;
/// October clients 4 (6, 0) and 1 (7, 4).
const WAITING_BY_MONTH: &str = "\
month,started,retroactive,counted,median_days_from_request,p90_days_from_request,median_days_from_ingang,p90_days_from_ingang
2026-09,2,1,1,7,7,7,7
2026-10,2,0,2,6,7,0,4
";

const TRAJECTORY_HEADER: &str = "provider,ended,median_days,p90_days,volgens_plan,volgens_plan_pct,voortijdig,voortijdig_pct,observed_6m,reentry_6m,reentry_6m_pct,observed_12m,reentry_12m,reentry_12m_pct\n";

mod scenarios {
    use super::*;

    pub async fn autumn_in_gouda(db: Db) {
        let facts = load(db.open().await).await;
        assert_eq!(facts.latest_day(), d("2026-11-02"), "the last receipt");
        let all = Filter::default();
        let by = |by| Query::Waiting { by };
        assert_eq!(
            csv(&facts, &all, by(GroupBy::Provider)),
            WAITING_BY_PROVIDER
        );
        assert_eq!(csv(&facts, &all, by(GroupBy::Month)), WAITING_BY_MONTH);
        // the period selects the month of the start
        let october = Filter {
            from: Some(d("2026-10-01")),
            to: Some(d("2026-10-31")),
            ..Filter::default()
        };
        assert_eq!(
            csv(&facts, &october, by(GroupBy::Category)),
            "category,started,retroactive,counted,median_days_from_request,p90_days_from_request,median_days_from_ingang,p90_days_from_ingang\n\
             45,2,0,2,6,7,0,4\n"
        );

        // who is waiting on 30 November: client 5 since 14 October, client 3 again since 2
        // November; nobody waits whose Ingangsdatum lies ahead (as of 14 October client 5's
        // allocation from the 15th is not in force yet)
        let now = csv(
            &facts,
            &all,
            Query::WaitingNow {
                as_of: d("2026-11-30"),
            },
        );
        assert_eq!(
            now,
            format!(
                "gemeente,agb,client_pseudonym,toewijzing_nummer,standard,categorie,productcode,waiting_since,days_waiting,ingangsdatum,days_since_ingang\n\
                 0513,{B},{},513270005,ijw,45,45A03,2026-10-14,47,2026-10-15,46\n\
                 0513,{B},{},513270006,ijw,45,45A03,2026-11-02,28,2026-11-02,28\n",
                pseudo(5),
                pseudo(3)
            )
        );
        let early = csv(
            &facts,
            &all,
            Query::WaitingNow {
                as_of: d("2026-10-14"),
            },
        );
        assert_eq!(early.lines().count(), 1, "{early}");
        assert!(!now.contains(&client(5)), "a BSN in the list");

        // trajectories: client 3 (14 Sep – 9 Oct, 26 days, early) and client 2 (1 Sep – 30 Oct,
        // 60 days, according to plan); on 30 November no 6-month window has passed yet
        let traj = |as_of| Query::Trajectories {
            by: GroupBy::Provider,
            as_of: d(as_of),
        };
        assert_eq!(
            csv(&facts, &all, traj("2026-11-30")),
            format!("{TRAJECTORY_HEADER}{A},2,26,60,1,50.0,1,50.0,0,0,,0,0,\n")
        );
        // on 1 June 2027 both 6-month windows have passed (9 April, 30 April); client 3 came
        // back at B on 2 November; the 12-month windows are still open
        assert_eq!(
            csv(&facts, &all, traj("2027-06-01")),
            format!("{TRAJECTORY_HEADER}{A},2,26,60,1,50.0,1,50.0,2,1,50.0,0,0,\n")
        );
        // re-entry looks at every provider even when the table is for one
        let only_a = Filter {
            agb: Some(A.into()),
            ..Filter::default()
        };
        assert_eq!(
            csv(&facts, &only_a, traj("2027-06-01")),
            csv(&facts, &all, traj("2027-06-01"))
        );

        // 18+: clients 1 (October 2027), 4 (November 2026) and 3 at B (December 2026); client
        // 5 (November 2027) only with a 13-month horizon
        let handover = |months| Query::Handover {
            as_of: d("2026-11-30"),
            months,
        };
        let header = "gemeente,agb,client_pseudonym,toewijzing_nummer,categorie,productcode,turns_18_month,ingangsdatum,einddatum,first_start\n";
        assert_eq!(
            csv(&facts, &all, handover(12)),
            format!(
                "{header}\
                 0513,{A},{},513270001,45,45A03,2027-10,2026-10-01,2027-12-31,2026-10-05\n\
                 0513,{B},{},513270004,45,45A03,2026-11,2026-10-01,2026-12-31,2026-10-01\n\
                 0513,{B},{},513270006,45,45A03,2026-12,2026-11-02,2027-06-30,\n",
                pseudo(1),
                pseudo(4),
                pseudo(3)
            )
        );
        let wider = csv(&facts, &all, handover(13));
        assert_eq!(wider.lines().count(), 5, "{wider}");
        assert!(wider.contains(&format!("{},513270005", pseudo(5))));
        // the period filter does not apply to the lists
        assert_eq!(
            csv(&facts, &october, handover(12)),
            csv(&facts, &all, handover(12))
        );

        // no birth date in the facts: only the month of the 18th birthday
        let dump = format!("{:?}", facts.toewijzingen);
        for born in [
            "2009-10-31",
            "2008-11-02",
            "2008-12-20",
            "2009-11-05",
            "2012-01-01",
        ] {
            assert!(!dump.contains(born), "birth date {born} in the facts");
        }
        views(&db).await;
    }

    /// The BI views agree with the figures.
    async fn views(db: &Db) {
        let waits = "SELECT toewijzing_nummer, days_from_request, days_from_ingang \
                     FROM v_waiting ORDER BY toewijzing_nummer";
        let traj = "SELECT toewijzing_nummer, days, outcome, next_ingangsdatum IS NOT NULL \
                    FROM v_trajectories ORDER BY toewijzing_nummer";
        let hand = "SELECT toewijzing_nummer, turns_18_month FROM v_handover \
                    ORDER BY toewijzing_nummer";
        type Wait = (i64, Option<i32>, Option<i32>);
        type Traject = (i64, i32, String, bool);
        type Rows = (Vec<Wait>, Vec<Traject>, Vec<(i64, String)>);
        let (w, t, h): Rows = match db {
            Db::Sqlite(path) => {
                let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                    .await
                    .unwrap();
                (
                    sqlx::query_as(waits).fetch_all(&pool).await.unwrap(),
                    sqlx::query_as(traj).fetch_all(&pool).await.unwrap(),
                    sqlx::query_as(hand).fetch_all(&pool).await.unwrap(),
                )
            }
            Db::Postgres(url) => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                (
                    sqlx::query_as(waits).fetch_all(&pool).await.unwrap(),
                    sqlx::query_as(traj).fetch_all(&pool).await.unwrap(),
                    sqlx::query_as(hand).fetch_all(&pool).await.unwrap(),
                )
            }
        };
        assert_eq!(
            w,
            vec![
                (513270001, Some(7), Some(4)),
                (513270002, None, None),
                (513270003, Some(7), Some(7)),
                (513270004, Some(6), Some(0)),
                (513270005, None, None),
                (513270006, None, None),
            ]
        );
        assert_eq!(
            t,
            vec![
                (513270002, 60, "volgens_plan".to_string(), false),
                (513270003, 26, "voortijdig".to_string(), true),
            ]
        );
        // the view lists every allocation past 18, whatever the horizon
        assert_eq!(
            h,
            vec![
                (513270001, "2027-10".to_string()),
                (513270004, "2026-11".to_string()),
                (513270005, "2027-11".to_string()),
                (513270006, "2026-12".to_string()),
            ]
        );
    }
}
