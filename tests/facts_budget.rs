//! Issue 11, items 2 and 6 on both stores: a hand-made half year of one client at provider P
//! (Gouda 0513, 2 h/week of 45A03 at 50.00 an hour from 1 January 2026, a yearly ceiling of
//! 1000.00), declared 6 h (300.00) a month for January to April, each month at another delay.
//! Every figure below was computed by hand (comments give the working-day arithmetic; the
//! holidays of 2026 in play: Goede Vrijdag 3 April, Tweede Paasdag 6 April, Bevrijdingsdag
//! 5 May, Hemelvaartsdag 14 May, Tweede Pinksterdag 25 May).

mod backends;
#[path = "support/berichten.rs"]
mod berichten;

use backends::Db;
use berichten::*;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use ijwmo::contracts::ContractSet;
use ijwmo::facts::budget::Budgets;
use ijwmo::facts::penalties::Scheme;
use ijwmo::facts::pseudonym::Pseudonymizer;
use ijwmo::facts::query::{table, Facts, Filter, Query};
use ijwmo::facts::FactsEngine;
use ijwmo::message::bsn::test_bsn;
use ijwmo::pipeline::{Handled, Incoming, Pipeline, Settings};
use ijwmo::protocol::deadlines::Deadlines;
use ijwmo::state::Verdict;
use ijwmo::store::Store;
use std::sync::Arc;

on_both!(budget_and_penalties);

const P: &str = "98076541";
const GOUDA: &str = "0513";
const NUMMER: u32 = 513_260_001;

const CONTRACTS: &str =
    "agb,gemeente,categorie,productcode,eenheid,tarief,geldig_van,geldig_tot,segment,budgetplafond
98076541,*,45,45A03,04,5000,2026-01-01,2026-12-31,jeugd-ambulant,100000
";

/// Gouda's budget for the segment: 2500.00; Waddinxveen's: 1000.00 (nothing spent).
const BUDGETS: &str = r#"
thresholds = [80, 100]

[[budget]]
payer = "0513"
segment = "jeugd-ambulant"
per_year = { "2026" = "2500.00" }

[[budget]]
payer = "0627"
segment = "jeugd-ambulant"
per_year = { "2026" = "1000.00" }
"#;

/// 2% per started week from the due date, 5 working days of grace, at most 20.00.
const SCHEME: &str = r#"
name = "test"
percent_per_started_week = "2"
grace_working_days = 5
working_days_per_week = 5
count_weeks_from = "due"
cap_per_declaration = "20.00"
"#;

fn at(day: &str) -> DateTime<Utc> {
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    Utc.from_utc_datetime(&d.and_hms_opt(10, 0, 0).unwrap())
}

/// The declaration of month `m` (2026) received on `day`: 6 h at 50.00.
fn declaratie(m: u32, day: &str, bsn: &str) -> (String, String) {
    let begin = format!("2026-{m:02}-01");
    let end = NaiveDate::from_ymd_opt(2026, m + 1, 1)
        .unwrap()
        .pred_opt()
        .unwrap()
        .to_string();
    let xml = jw323(
        &kop(P, GOUDA, &format!("P323-26{m:02}"), day),
        &format!("P26{m:02}"),
        &begin,
        &end,
        &[(
            bsn,
            vec![Regel {
                referentie: format!("P26{m:02}-01"),
                vorig: None,
                nummer: NUMMER,
                code: "45A03".into(),
                begin: begin.clone(),
                eind: end.clone(),
                volume: 6,
                eenheid: "04".into(),
                tarief: 5000,
            }],
        )],
    );
    (day.to_string(), xml)
}

fn messages() -> Vec<(String, String)> {
    let bsn = test_bsn(201);
    let g301 = kop(GOUDA, P, "G301-0201", "2025-12-15");
    vec![
        (
            "2025-12-15".into(),
            jw301(
                &g301,
                &bsn,
                &[Toegewezen {
                    nummer: NUMMER,
                    referentie: None,
                    code: "45A03".into(),
                    ingang: "2026-01-01".into(),
                    eind: "2026-12-31".into(),
                    volume: 2,
                    eenheid: "04".into(),
                    frequentie: "2".into(),
                }],
            ),
        ),
        (
            "2025-12-16".into(),
            retour(302, &g301, "P302-0201", "2025-12-16"),
        ),
        (
            "2026-01-05".into(),
            jw305(
                &kop(P, GOUDA, "P305-0201", "2026-01-05"),
                &bsn,
                NUMMER,
                "45A03",
                "2026-01-01",
                "2026-01-01",
            ),
        ),
        // January, due Saturday 28 February (the term stays on it): Wednesday 4 March is 3
        // working days late (2, 3, 4 March) — within the grace period
        declaratie(1, "2026-03-04", &bsn),
        // February, due Tuesday 31 March: Friday 10 April is 6 working days late (1, 2, 7, 8,
        // 9, 10 April) — 2 started weeks × 2% × 300.00 = 12.00
        declaratie(2, "2026-04-10", &bsn),
        // March, due Thursday 30 April: Thursday 4 June is 22 working days late (May: 1, 4,
        // 6–8, 11–13, 15, 18–22, 26–29 = 18; June: 1–4 = 4) — 5 started weeks × 2% × 300.00 =
        // 30.00, capped at 20.00
        declaratie(3, "2026-06-04", &bsn),
        // April, due Sunday 31 May: Friday 5 June is 5 working days late — just within the
        // grace period (the periods must follow each other, TR318: April comes after March)
        declaratie(4, "2026-06-05", &bsn),
    ]
}

async fn run(store: Arc<dyn Store>) -> Facts {
    store
        .replace_contracts(&ContractSet::from_csv(CONTRACTS).unwrap(), "budget.csv")
        .await
        .unwrap();
    let engine = FactsEngine::new(
        Deadlines::default(),
        Pseudonymizer::new(b"budget-pseudonym-key").unwrap(),
    );
    let p = Pipeline::new(
        store.clone(),
        Settings {
            today: NaiveDate::from_ymd_opt(2026, 11, 25),
        },
    )
    .with_facts(engine);
    for (day, xml) in messages() {
        let h = p
            .handle(&Incoming {
                bytes: xml.into_bytes(),
                received_at: at(&day),
                origin: "budget".into(),
            })
            .await
            .unwrap();
        match h {
            Handled::Stored {
                verdict,
                retour_codes,
                ..
            } => assert!(
                matches!(verdict, Verdict::Accepted | Verdict::Recorded),
                "{day}: {verdict:?} {retour_codes:?}"
            ),
            other => panic!("{day}: {other:?}"),
        }
    }
    Facts::load(store.as_ref(), Default::default())
        .await
        .unwrap()
        .with_budgets(Budgets::from_toml(BUDGETS).unwrap())
}

/// Realised 4 × 300.00 = 1200.00: the ceiling of 1000.00 is crossed in April (a mid-year
/// crossing, realised). Remaining: 53 ISO weeks in 2026 (1 January is a Thursday) × 2 h × 50.00
/// = 5300.00 committed, less 1200.00 realised = 4100.00; forecast 5300.00 = 530.0% of the
/// ceiling. Gouda pays all of it (no regional budget): 5300.00 of 2500.00 = 212.0%; at 300.00 a
/// month (1200.00 over January–April) the 1300.00 left takes 5 started months: September.
const EXPECTED_BUDGET: &str = "\
budget,holder,segment,year,ceiling,realised,remaining,forecast,realised_pct,forecast_pct,declared_through,run_rate,ceiling_month,basis,warning
provider,98076541,,2026,1000.00,1200.00,4100.00,5300.00,120.0,530.0,2026-04,300.00,2026-04,realised,100
municipality,0513,jeugd-ambulant,2026,2500.00,1200.00,4100.00,5300.00,48.0,212.0,2026-04,300.00,2026-09,projected,100
municipality,0627,jeugd-ambulant,2026,1000.00,0.00,0.00,0.00,0.0,0.0,2026-04,0.00,,,
";

/// 1 January to 30 April touches ISO weeks 1–18: 36 h allocated, 24 h declared.
const EXPECTED_UTILISATION: &str = "\
provider,product,eenheid,allocations,allocated,declared,utilisation_pct,declared_through
98076541,45/45A03,04,1,36.00,24.00,66.7,2026-04
";

const EXPECTED_PENALTIES: &str = "\
provider,month,rule,rule_text,obligations,min_wd_late,max_wd_late,declared,penalty
98076541,2026-01,grace,at most 5 working days late: none,1,3,3,300.00,0.00
98076541,2026-02,per_week,2% × 2 started week(s),1,6,6,300.00,12.00
98076541,2026-03,cap,\"2% × 5 started week(s), capped at 20.00\",1,22,22,300.00,20.00
98076541,2026-04,grace,at most 5 working days late: none,1,5,5,300.00,0.00
";

mod scenarios {
    use super::*;

    pub async fn budget_and_penalties(db: Db) {
        let store = db.open().await;
        let facts = run(store).await;
        let all = Filter::default();
        let csv = |q: Query, f: &Filter| table(&facts, f, &q).unwrap().to_csv();
        assert_eq!(csv(Query::Budget { year: 2026 }, &all), EXPECTED_BUDGET);
        assert_eq!(
            csv(Query::Utilisation { year: 2026 }, &all),
            EXPECTED_UTILISATION
        );
        let scheme = Box::new(Scheme::from_toml(SCHEME).unwrap());
        let penalties = Query::Penalties {
            scheme: scheme.clone(),
            lines: false,
        };
        assert_eq!(csv(penalties.clone(), &all), EXPECTED_PENALTIES);
        // a provider filter leaves out the municipalities' budgets, a payer filter the
        // providers' ceilings and the other municipality
        let only_p = Filter {
            agb: Some(P.into()),
            ..Filter::default()
        };
        assert_eq!(
            csv(Query::Budget { year: 2026 }, &only_p)
                .lines()
                .skip(1)
                .map(|l| l.split(',').take(2).collect::<Vec<_>>().join(","))
                .collect::<Vec<_>>(),
            vec!["provider,98076541"]
        );
        let gouda = Filter {
            betaler: Some(GOUDA.into()),
            ..Filter::default()
        };
        let rows = csv(Query::Budget { year: 2026 }, &gouda);
        assert_eq!(rows.lines().count(), 2, "{rows}");
        assert!(rows.contains("municipality,0513,jeugd-ambulant"), "{rows}");
        // the period selects obligations by due date: only February's (due 31 March)
        let march = Filter {
            from: NaiveDate::from_ymd_opt(2026, 3, 1),
            to: NaiveDate::from_ymd_opt(2026, 3, 31),
            ..Filter::default()
        };
        assert_eq!(
            csv(penalties, &march).lines().nth(1),
            Some("98076541,2026-02,per_week,2% × 2 started week(s),1,6,6,300.00,12.00")
        );
        // one line per obligation, pseudonymised: the sum of the penalties is 32.00
        let lines = table(
            &facts,
            &all,
            &Query::Penalties {
                scheme,
                lines: true,
            },
        )
        .unwrap();
        assert_eq!(lines.rows.len(), 4);
        let text = lines.to_csv();
        assert!(!text.contains(&test_bsn(201)), "{text}");
        assert!(
            text.contains(",2026-03,2026-04-30,2026-06-04,22,300.00,5,20.00,cap,"),
            "{text}"
        );
        // the view for BI: the realisation curve against the ceiling, month by month
        let view = view_rows(&db).await;
        assert_eq!(
            view,
            vec![
                "98076541 2026 2026-01-01 30000 30000 100000 30.0",
                "98076541 2026 2026-02-01 30000 60000 100000 60.0",
                "98076541 2026 2026-03-01 30000 90000 100000 90.0",
                "98076541 2026 2026-04-01 30000 120000 100000 120.0",
            ]
        );
    }

    async fn view_rows(db: &Db) -> Vec<String> {
        let sql = "SELECT agb, year, CAST(month AS TEXT), CAST(realised_cents AS BIGINT), \
                   CAST(realised_to_date_cents AS BIGINT), budgetplafond_cents, \
                   CAST(realised_to_date_pct AS TEXT) FROM v_budget_use ORDER BY agb, month";
        type Row = (String, i32, String, i64, i64, i64, String);
        let rows: Vec<Row> = match db {
            Db::Sqlite(path) => {
                let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                    .await
                    .unwrap();
                sqlx::query_as(sql).fetch_all(&pool).await.unwrap()
            }
            Db::Postgres(url) => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                sqlx::query_as(sql).fetch_all(&pool).await.unwrap()
            }
        };
        rows.into_iter()
            .map(|(a, y, m, r, t, c, p)| format!("{a} {y} {m} {r} {t} {c} {p}"))
            .collect()
    }
}
