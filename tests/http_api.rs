//! The HTTP API over a generated month of the region, on SQLite and on the real PostgreSQL:
//! every endpoint's figures equal `ijwmo stats` (the binary, byte for byte in CSV) and the fact
//! rows (filtered here independently of the API), every filter narrows as documented, every
//! scope sees only its own figures (totals included), bad parameters get a 400 naming the
//! parameter, `/metrics` counts what was processed, and `/readyz` fails when the store is gone.

mod backends;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use backends::Db;
use chrono::{Datelike, Months, NaiveDate};
use ijwmo::config::Config;
use ijwmo::contracts::ContractSet;
use ijwmo::facts::query::REGIONAL_MEDIAN;
use ijwmo::facts::stats::{self, GroupBy};
use ijwmo::facts::{Betalers, FactsConfig, FactsEngine, PrestatieKosten, TimelinessFact};
use ijwmo::generate::{generate, Options};
use ijwmo::http::access::{new_token, Access, TokenConfig};
use ijwmo::http::cache::FactsCache;
use ijwmo::http::HttpState;
use ijwmo::pipeline::{Pipeline, Settings};
use ijwmo::store::{MessageStore, Store};
use ijwmo::transport::spool::Spool;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tower::ServiceExt;

on_both!(api_equals_stats_and_facts);

const KEY: &str = "http-api-test-pseudonym-key";
const GOUDA: &str = "0513";
const WADDINXVEEN: &str = "0627";

/// One generated month, shared by both backends.
fn region() -> &'static PathBuf {
    static REGION: OnceLock<PathBuf> = OnceLock::new();
    REGION.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ijwmo-http-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let options = Options {
            months: 1,
            seed: 77,
            scale: 0.02,
            start: NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
        };
        generate(&options, &dir).unwrap();
        dir
    })
}

/// Processes the month through the spool transport (as the demo does) and sweeps.
async fn process(db: &Db, work: &Path) -> Arc<dyn Store> {
    ijwmo::http::telemetry::install();
    let dir = region();
    let store = db.open().await;
    let contracts =
        ContractSet::from_csv(&std::fs::read_to_string(dir.join("contracts.csv")).unwrap())
            .unwrap();
    store
        .replace_contracts(&contracts, "contracts.csv")
        .await
        .unwrap();
    let start = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
    let engine = FactsEngine::from_config(&FactsConfig {
        pseudonym_key: KEY.into(),
        measure_from: Some(start),
        ..FactsConfig::default()
    })
    .unwrap();
    let pipeline =
        Arc::new(Pipeline::new(store.clone(), Settings { today: None }).with_facts(engine.clone()));
    let mut config = Config::default();
    config.spool.dir = work.join("spool");
    let spool = Spool::new(pipeline, &config).unwrap();
    let inbox = spool.folders().inbox.clone();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("inbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in &files {
        let target = inbox.join(file.file_name().unwrap());
        std::fs::copy(file, &target).unwrap();
        let modified = std::fs::metadata(file).unwrap().modified().unwrap();
        std::fs::File::options()
            .write(true)
            .open(&target)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        spool.process_file(&target).await.unwrap();
    }
    let today = start
        .checked_add_months(Months::new(2))
        .unwrap()
        .pred_opt()
        .unwrap();
    ijwmo::facts::sweep::sweep(store.as_ref(), &engine, today)
        .await
        .unwrap();
    store
}

struct Api {
    state: Arc<HttpState>,
    gemeente_token: String,
    aanbieder_token: String,
    regio_token: String,
    agb: String,
}

async fn api(store: Arc<dyn Store>, open_without_token: bool, agb: &str) -> Api {
    let (gemeente_token, g) = new_token();
    let (aanbieder_token, a) = new_token();
    let (regio_token, r) = new_token();
    let tokens = [
        (g, format!("gemeente:{WADDINXVEEN}")),
        (a, format!("aanbieder:{agb}")),
        (r, "regio".to_string()),
    ]
    .map(|(sha256, scope)| TokenConfig {
        sha256,
        scope,
        name: String::new(),
    });
    let betalers = Betalers::from_file(&region().join("betalers.toml")).unwrap();
    // the generated municipalities' budgets and the shipped example penalty scheme
    let figures = ijwmo::http::cache::FigureSettings {
        budgets: ijwmo::facts::budget::Budgets::from_file(&region().join("budgets.toml")).unwrap(),
        penalty_scheme: Some(
            ijwmo::facts::penalties::Scheme::from_toml(ijwmo::facts::penalties::EXAMPLE).unwrap(),
        ),
    };
    let facts =
        FactsCache::with_settings(store.clone(), betalers, figures, Duration::from_secs(3600));
    let state = Arc::new(HttpState {
        store,
        facts,
        access: Access::new(&tokens, open_without_token).unwrap(),
        consumer: None,
    });
    Api {
        state,
        gemeente_token,
        aanbieder_token,
        regio_token,
        agb: agb.into(),
    }
}

impl Api {
    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, String) {
        let mut req = Request::builder().uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let resp = ijwmo::http::router(self.state.clone())
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    async fn ok(&self, path: &str, token: Option<&str>) -> String {
        let (status, body) = self.get(path, token).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body
    }

    async fn json(&self, path: &str, token: Option<&str>) -> Vec<Value> {
        serde_json::from_str::<Value>(&self.ok(path, token).await)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }
}

/// `ijwmo stats …` of the binary, as CSV.
fn stats_csv(db: &Db, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ijwmo"))
        .arg("stats")
        .args(args)
        .args(["--format", "csv", "--store-url", &db.url()])
        .env_remove("IJWMO_PAYERS")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stats {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn cents(v: &Value) -> i64 {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("decimal as a string: {v}"));
    let (whole, frac) = s.split_once('.').unwrap();
    let sign = if whole.starts_with('-') { -1 } else { 1 };
    whole.parse::<i64>().unwrap() * 100 + sign * frac.parse::<i64>().unwrap()
}

fn column(rows: &[Value], name: &str) -> Vec<String> {
    rows.iter()
        .map(|r| r[name].as_str().unwrap_or_default().to_string())
        .collect()
}

fn csv_of(t: &ijwmo::report::Table) -> String {
    t.to_csv()
}

/// Which obligations a filter keeps (computed here, not by the API).
type Keep<'a> = Box<dyn Fn(&TimelinessFact) -> bool + 'a>;

pub mod scenarios {
    use super::*;

    pub async fn api_equals_stats_and_facts(db: Db) {
        let work = tempfile::tempdir().unwrap();
        // an API over the store before anything is processed: answers come from the facts
        // it loaded, kept per generation, until the facts are read again
        let before = api(db.open().await, true, "12345678").await;
        assert_eq!(before.ok("/api/v1/late?by=rule", None).await, "[]\n");
        let store = process(&db, work.path()).await;
        answers_follow_the_facts(&before).await;
        let timeliness: Vec<TimelinessFact> = store.timeliness_facts(None, None).await.unwrap();
        let costs = store.cost_facts().await.unwrap();
        assert!(
            timeliness.len() > 100 && costs.prestaties.len() > 100,
            "a month of facts"
        );
        let agb = timeliness[0].agb.clone();
        let api = api(store.clone(), true, &agb).await;
        let payers = region().join("betalers.toml");
        let payers = payers.to_str().unwrap();

        same_as_stats(&db, &api, payers).await;
        budget_and_penalties(&db, &api, payers, store.clone()).await;
        figures_match_the_facts(&api, &timeliness, &costs.prestaties).await;
        filters(&api, &timeliness, &costs.prestaties).await;
        scopes(&api, &timeliness).await;
        bad_parameters(&api).await;
        index_meta_and_pages(&api).await;
        metrics_after_processing(&api).await;
        tokens_off_loopback(store).await;
    }

    /// Until the facts are reloaded an answer is the kept one (the same bytes, one entry per
    /// request and token); a reload starts a new generation with the new figures.
    async fn answers_follow_the_facts(api: &Api) {
        let kept = || async { api.state.facts.get().await.unwrap().answers.len() };
        assert_eq!(kept().await, 1);
        assert_eq!(api.ok("/api/v1/late?by=rule", None).await, "[]\n");
        assert_eq!(kept().await, 1, "the same request is answered from memory");
        api.ok("/api/v1/late?by=rule", Some(&api.regio_token)).await;
        assert_eq!(kept().await, 2, "another token, another answer");
        let (status, _) = api.get("/api/v1/late?by=nothing", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(kept().await, 2, "an error is not kept");

        api.state.facts.reload().await.unwrap();
        assert_eq!(kept().await, 0, "new facts, no answers yet");
        let rows: Vec<Value> =
            serde_json::from_str(&api.ok("/api/v1/late?by=rule", None).await).unwrap();
        assert!(!rows.is_empty(), "the processed month's obligations");
        assert_eq!(kept().await, 1);
    }

    /// Every table endpoint, CSV, byte for byte the binary's `ijwmo stats` output.
    async fn same_as_stats(db: &Db, api: &Api, payers: &str) {
        for by in ["provider", "municipality", "product", "month"] {
            let cli = stats_csv(db, &["late", "--by", by]);
            let http = api
                .ok(&format!("/api/v1/late?by={by}&format=csv"), None)
                .await;
            assert_eq!(http, cli, "late by {by}");
        }
        let cli = stats_csv(db, &["late", "--by", "provider", "--owed-by", "gemeente"]);
        let http = api
            .ok("/api/v1/late?by=provider&owed_by=gemeente&format=csv", None)
            .await;
        assert_eq!(http, cli, "late owed by municipalities");
        for by in [
            "provider",
            "municipality",
            "payer",
            "product",
            "month",
            "segment",
        ] {
            let cli = stats_csv(db, &["costs", "--by", by, "--payers", payers]);
            let http = api
                .ok(&format!("/api/v1/costs?by={by}&format=csv"), None)
                .await;
            assert_eq!(http, cli, "costs by {by}");
        }
        let cli = stats_csv(
            db,
            &[
                "costs",
                "--from",
                "2025-03-01",
                "--to",
                "2025-03-31",
                "--payers",
                payers,
            ],
        );
        let http = api
            .ok("/api/v1/costs?from=2025-03&to=2025-03&format=csv", None)
            .await;
        assert_eq!(http, cli, "costs of March");
        for by in ["provider", "municipality", "payer", "product", "segment"] {
            let cli = stats_csv(
                db,
                &["forecast", "--year", "2025", "--by", by, "--payers", payers],
            );
            let http = api
                .ok(
                    &format!("/api/v1/forecast?year=2025&by={by}&format=csv"),
                    None,
                )
                .await;
            assert_eq!(http, cli, "forecast by {by}");
        }
        for (cli_by, by) in [
            ("provider", "provider"),
            ("month", "month"),
            ("retour-code", "retour_code"),
        ] {
            let cli = stats_csv(db, &["rejections", "--by", cli_by]);
            let http = api
                .ok(&format!("/api/v1/rejections?by={by}&format=csv"), None)
                .await;
            assert_eq!(http, cli, "rejections by {by}");
        }
        // the care figures: the same tables from the CLI and the API, both defaulting to the
        // last day the facts saw a message
        for by in ["provider", "municipality", "category", "month"] {
            for figure in ["waiting", "trajectories"] {
                let cli = stats_csv(db, &[figure, "--by", by]);
                let http = api
                    .ok(&format!("/api/v1/{figure}?by={by}&format=csv"), None)
                    .await;
                assert_eq!(http, cli, "{figure} by {by}");
            }
        }
        let cli = stats_csv(db, &["waiting", "--now", "--gemeente", "0513"]);
        let http = api
            .ok("/api/v1/waiting/now?gemeente=0513&format=csv", None)
            .await;
        assert_eq!(http, cli, "waiting now");
        assert!(
            cli.lines().count() > 1,
            "nobody waits in the generated months"
        );
        let cli = stats_csv(
            db,
            &["handover", "--horizon", "24", "--as-of", "2025-03-31"],
        );
        let http = api
            .ok(
                "/api/v1/handover?horizon=24&as_of=2025-03-31&format=csv",
                None,
            )
            .await;
        assert_eq!(http, cli, "handover");
        assert!(
            cli.lines().count() > 1,
            "nobody turns 18 in the generated months"
        );
        // the default forecast year is the latest year of declared care
        let rows = api.json("/api/v1/forecast?by=payer", None).await;
        assert!(rows.iter().all(|r| r["year"] == 2025), "{rows:?}");
        // JSON holds the same rows as the CSV, decimals as strings
        let rows = api.json("/api/v1/costs?by=payer", None).await;
        let csv = api.ok("/api/v1/costs?by=payer&format=csv", None).await;
        assert_eq!(rows.len(), csv.lines().count() - 1);
        assert!(rows[0]["net"].is_string() && rows[0]["lines"].is_number());
    }

    /// `/api/v1/budget` and `/api/v1/penalties`: the binary's `stats budget|penalties`, byte
    /// for byte, with and without filters; scoped by the token; 404 without a scheme.
    async fn budget_and_penalties(db: &Db, api: &Api, payers: &str, store: Arc<dyn Store>) {
        let budgets = region().join("budgets.toml");
        let budgets = budgets.to_str().unwrap();
        let scheme = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/penalty-scheme.toml");
        let budget = [
            "budget",
            "--year",
            "2025",
            "--payers",
            payers,
            "--budgets",
            budgets,
        ];
        for (extra, query) in [
            (vec![], ""),
            (vec!["--utilisation"], "&view=utilisation"),
            (vec!["--gemeente", WADDINXVEEN], "&gemeente=0627"),
            (vec!["--betaler", WADDINXVEEN], "&betaler=0627"),
            (
                vec!["--categorie", "45", "--utilisation"],
                "&categorie=45&view=utilisation",
            ),
        ] {
            let args: Vec<&str> = budget.iter().copied().chain(extra).collect();
            let cli = stats_csv(db, &args);
            let http = api
                .ok(&format!("/api/v1/budget?year=2025&format=csv{query}"), None)
                .await;
            assert_eq!(http, cli, "budget {query}");
        }
        let rows = api.json("/api/v1/budget", None).await;
        assert!(rows.iter().any(|r| r["budget"] == "provider"));
        assert!(rows.iter().any(|r| r["budget"] == "municipality"));
        // worst first
        let shares: Vec<i64> = rows.iter().map(|r| cents(&r["forecast_pct"])).collect();
        assert!(shares.windows(2).all(|w| w[0] >= w[1]), "{shares:?}");
        for (extra, query) in [
            (vec![], ""),
            (vec!["--lines"], "&view=lines"),
            (
                vec!["--agb", api.agb.as_str()],
                &*format!("&agb={}", api.agb),
            ),
            (
                vec!["--from", "2025-03-01", "--to", "2025-04-30"],
                "&from=2025-03&to=2025-04",
            ),
        ] {
            let args: Vec<&str> = ["penalties", "--scheme", scheme]
                .into_iter()
                .chain(extra)
                .collect();
            let cli = stats_csv(db, &args);
            let http = api
                .ok(&format!("/api/v1/penalties?format=csv{query}"), None)
                .await;
            assert_eq!(http, cli, "penalties {query}");
        }
        let rows = api.json("/api/v1/penalties", None).await;
        assert!(!rows.is_empty(), "the generator injects late declarations");
        assert!(rows.iter().any(|r| r["rule"] == "grace"));
        assert!(rows
            .iter()
            .any(|r| r["rule"] != "grace" && cents(&r["penalty"]) > 0));
        // a municipality sees its own budget only, a provider its own ceiling only
        let own = api.json("/api/v1/budget", Some(&api.gemeente_token)).await;
        assert!(!own.is_empty());
        assert!(
            own.iter()
                .all(|r| r["budget"] == "municipality" && r["holder"] == WADDINXVEEN),
            "{own:?}"
        );
        let own = api
            .json("/api/v1/penalties", Some(&api.aanbieder_token))
            .await;
        assert!(
            own.iter().all(|r| r["provider"] == api.agb.as_str()),
            "{own:?}"
        );
        let (status, _) = api
            .get("/api/v1/budget?agb=12345678", Some(&api.aanbieder_token))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // without a scheme the server has no penalties figure
        let plain = HttpState {
            store: store.clone(),
            facts: FactsCache::new(store, Betalers::default(), Duration::from_secs(3600)),
            access: Access::new(&[], true).unwrap(),
            consumer: None,
        };
        let resp = ijwmo::http::router(Arc::new(plain))
            .oneshot(
                Request::builder()
                    .uri("/api/v1/penalties")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    }

    /// The figures against the fact rows themselves.
    async fn figures_match_the_facts(api: &Api, t: &[TimelinessFact], p: &[PrestatieKosten]) {
        let rows = api.json("/api/v1/late?by=rule", None).await;
        let total: i64 = rows.iter().map(|r| r["total"].as_i64().unwrap()).sum();
        assert_eq!(total as usize, t.len());
        for r in &rows {
            let kind = r["kind"].as_str().unwrap();
            let n = t.iter().filter(|f| f.kind.code() == kind).count();
            assert_eq!(r["total"].as_i64().unwrap() as usize, n, "{kind}");
            assert_eq!(
                r["rule"].as_str().unwrap(),
                t.iter().find(|f| f.kind.code() == kind).unwrap().rule()
            );
        }
        let rows = api.json("/api/v1/costs?by=municipality", None).await;
        let declared: i64 = rows.iter().map(|r| cents(&r["declared"])).sum();
        assert_eq!(declared, p.iter().map(|l| l.declared_cents).sum::<i64>());
        // paying municipalities split the regional budget: the total stays the same
        let paid: i64 = api
            .json("/api/v1/costs?by=payer", None)
            .await
            .iter()
            .map(|r| cents(&r["approved"]))
            .sum();
        assert_eq!(paid, p.iter().map(|l| l.approved_cents).sum::<i64>());
        // declaration quality: every debit once, every rejected debit once per provider
        let rows = api.json("/api/v1/rejections?by=provider", None).await;
        let debits = p.iter().filter(|l| l.debet_credit == "D");
        let sum = |col: &str| rows.iter().map(|r| r[col].as_i64().unwrap()).sum::<i64>();
        assert_eq!(sum("declared_lines") as usize, debits.clone().count());
        assert_eq!(
            sum("rejected_lines") as usize,
            debits.clone().filter(|l| l.status == "afgewezen").count()
        );
        let rejected_cents: i64 = rows.iter().map(|r| cents(&r["rejected"])).sum();
        assert_eq!(
            rejected_cents,
            debits.map(|l| l.rejected_cents).sum::<i64>()
        );
        // rejected amounts by retour code: every rejected line under its codes
        let rows = api.json("/api/v1/costs?by=retour_code", None).await;
        let rejected: Vec<&PrestatieKosten> =
            p.iter().filter(|l| l.status != "goedgekeurd").collect();
        assert!(!rejected.is_empty(), "the generator injects rejections");
        for r in &rows {
            let code = r["retour_code"].as_str().unwrap();
            let n = rejected
                .iter()
                .filter(|l| l.retour_codes.split_whitespace().any(|c| c == code))
                .count();
            assert_eq!(r["lines"].as_i64().unwrap() as usize, n, "{code}");
        }
        // a stacked month × segment chart adds up to the month
        let split = api.json("/api/v1/costs?by=month&split=segment", None).await;
        let months = api.json("/api/v1/costs?by=month", None).await;
        for m in &months {
            let sum: i64 = split
                .iter()
                .filter(|s| s["month"] == m["month"])
                .map(|s| cents(&s["net"]))
                .sum();
            assert_eq!(sum, cents(&m["net"]), "{}", m["month"]);
        }
        // the drill-down: every late or overdue obligation, those first, never a BSN
        let (status, body) = api
            .get("/api/v1/obligations?status=late,overdue&limit=100000", None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let rows: Vec<Value> = serde_json::from_str(&body).unwrap();
        let expected = t
            .iter()
            .filter(|f| matches!(f.status.code(), "late" | "overdue"))
            .count();
        assert_eq!(rows.len(), expected);
        let all = api.json("/api/v1/obligations?limit=100000", None).await;
        assert_eq!(all.len(), t.len());
        let first_other = all
            .iter()
            .position(|r| !matches!(r["status"].as_str(), Some("late" | "overdue")))
            .unwrap();
        assert_eq!(first_other, expected, "late and overdue first");
        let page = api.json("/api/v1/obligations?limit=5&offset=5", None).await;
        assert_eq!(page, all[5..10].to_vec());
        for r in &all {
            let pseudonym = r["client_pseudonym"].as_str().unwrap_or("");
            assert!(!ijwmo::message::bsn::elfproef(pseudonym), "a BSN in {r}");
        }
    }

    /// Each filter against the rows filtered here.
    async fn filters(api: &Api, t: &[TimelinessFact], p: &[PrestatieKosten]) {
        let late = |rows: Vec<&TimelinessFact>| {
            csv_of(&stats::late(
                &rows.into_iter().cloned().collect::<Vec<_>>(),
                GroupBy::Provider,
            ))
        };
        let q = |f: &str| format!("/api/v1/late?by=provider&format=csv&{f}");
        let cases: Vec<(&str, Keep<'_>)> = vec![
            ("gemeente=0627", Box::new(|f| f.gemeente == WADDINXVEEN)),
            ("betaler=0513", Box::new(|f| f.gemeente == GOUDA)),
            ("standard=iwmo", Box::new(|f| f.standard.slug() == "iwmo")),
            (
                "categorie=45",
                Box::new(|f| f.categorie.as_deref() == Some("45")),
            ),
            (
                "from=2025-04&to=2025-04",
                Box::new(|f| f.due_date.month() == 4 && f.due_date.year() == 2025),
            ),
            ("agb=AGB", Box::new(|f| f.agb == t[0].agb)),
        ];
        for (filter, keep) in cases {
            let filter = filter.replace("AGB", &t[0].agb);
            let expected = late(t.iter().filter(|f| keep(f)).collect());
            assert_eq!(api.ok(&q(&filter), None).await, expected, "late {filter}");
            assert_ne!(expected, late(t.iter().collect()), "{filter} narrows");
        }
        // costs: segment, provider and a payer's share
        let segment = p.iter().find_map(|l| l.segment.clone()).unwrap();
        let lines: Vec<PrestatieKosten> = p
            .iter()
            .filter(|l| l.segment.as_ref() == Some(&segment))
            .cloned()
            .collect();
        let expected = csv_of(&stats::costs(
            &lines,
            GroupBy::Provider,
            &Betalers::default(),
        ));
        let http = api
            .ok(
                &format!("/api/v1/costs?by=provider&format=csv&segment={segment}"),
                None,
            )
            .await;
        assert_eq!(http, expected, "costs of segment {segment}");
        // betaler=0627: exactly its row of the by-payer table, under every grouping
        let by_payer = api.json("/api/v1/costs?by=payer", None).await;
        let own = by_payer.iter().find(|r| r["payer"] == WADDINXVEEN).unwrap();
        for by in ["provider", "segment", "month"] {
            let rows = api
                .json(
                    &format!("/api/v1/costs?by={by}&betaler={WADDINXVEEN}"),
                    None,
                )
                .await;
            let sum: i64 = rows.iter().map(|r| cents(&r["approved"])).sum();
            assert_eq!(sum, cents(&own["approved"]), "betaler by {by}");
        }
    }

    /// A municipality and a provider see only their own figures.
    async fn scopes(api: &Api, t: &[TimelinessFact]) {
        let g = Some(api.gemeente_token.as_str());
        let rows = api.json("/api/v1/late?by=municipality", g).await;
        assert_eq!(
            column(&rows, "municipality")
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            1
        );
        assert!(rows.iter().all(|r| r["municipality"] == WADDINXVEEN));
        // its totals are its own figures, not the region's
        for (path, key) in [
            ("/api/v1/costs?by=segment", "net"),
            ("/api/v1/costs?by=month", "declared"),
            ("/api/v1/forecast?year=2025&by=segment", "forecast"),
        ] {
            let scoped: i64 = api.json(path, g).await.iter().map(|r| cents(&r[key])).sum();
            let sep = if path.contains('?') { '&' } else { '?' };
            let own: i64 = api
                .json(&format!("{path}{sep}gemeente={WADDINXVEEN}"), None)
                .await
                .iter()
                .map(|r| cents(&r[key]))
                .sum();
            let region: i64 = api
                .json(path, None)
                .await
                .iter()
                .map(|r| cents(&r[key]))
                .sum();
            assert_eq!(scoped, own, "{path}");
            assert!(scoped < region, "{path}: the region is more than 0627");
        }
        // by payer: only what it pays
        let rows = api.json("/api/v1/costs?by=payer", g).await;
        assert_eq!(column(&rows, "payer"), vec![WADDINXVEEN.to_string()]);
        for path in [
            format!("/api/v1/costs?gemeente={GOUDA}"),
            format!("/api/v1/late?betaler={GOUDA}"),
            format!("/api/v1/obligations?gemeente={GOUDA}"),
            format!("/api/v1/meta?gemeente={GOUDA}"),
        ] {
            let (status, body) = api.get(&path, g).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
            assert!(body.contains("scope"), "{body}");
        }
        let rows = api.json("/api/v1/obligations?limit=100000", g).await;
        assert_eq!(
            rows.len(),
            t.iter().filter(|f| f.gemeente == WADDINXVEEN).count()
        );
        let meta: Value = serde_json::from_str(&api.ok("/api/v1/meta", g).await).unwrap();
        assert_eq!(meta["scope"], format!("gemeente:{WADDINXVEEN}"));
        assert_eq!(meta["gemeenten"], serde_json::json!([WADDINXVEEN]));

        // a provider: its own rows and the regional median per kind
        let a = Some(api.aanbieder_token.as_str());
        let rows = api.json("/api/v1/late?by=provider", a).await;
        let own: Vec<&Value> = rows
            .iter()
            .filter(|r| r["provider"] == api.agb.as_str())
            .collect();
        let median: Vec<&Value> = rows
            .iter()
            .filter(|r| r["provider"] == REGIONAL_MEDIAN)
            .collect();
        assert_eq!(own.len() + median.len(), rows.len(), "nobody else's rows");
        assert!(!own.is_empty() && !median.is_empty());
        let region = api.json("/api/v1/late?by=provider", None).await;
        for m in &median {
            let mut totals: Vec<i64> = region
                .iter()
                .filter(|r| r["kind"] == m["kind"])
                .map(|r| r["total"].as_i64().unwrap())
                .collect();
            totals.sort();
            assert_eq!(
                m["total"].as_i64().unwrap(),
                totals[(totals.len() - 1) / 2],
                "{m}"
            );
        }
        let rows = api.json("/api/v1/costs?by=municipality", a).await;
        let mine: i64 = rows.iter().map(|r| cents(&r["declared"])).sum();
        let expected: i64 = api
            .json(&format!("/api/v1/costs?by=provider&agb={}", api.agb), None)
            .await
            .iter()
            .map(|r| cents(&r["declared"]))
            .sum();
        assert_eq!(mine, expected, "a provider's totals are its own");
        let other = t.iter().find(|f| f.agb != api.agb).unwrap();
        let (status, _) = api.get(&format!("/api/v1/late?agb={}", other.agb), a).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(api
            .json("/api/v1/obligations?limit=100000", a)
            .await
            .iter()
            .all(|r| r["agb"] == api.agb.as_str()));
        // the regio token sees everything, as loopback without a token does
        let r = Some(api.regio_token.as_str());
        assert_eq!(
            api.ok("/api/v1/costs?by=payer", r).await,
            api.ok("/api/v1/costs?by=payer", None).await
        );
        let (status, _) = api.get("/api/v1/late", Some("not-a-token")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    async fn bad_parameters(api: &Api) {
        for (path, param) in [
            ("/api/v1/late?by=segment", "by"),
            ("/api/v1/late?by=nonsense", "by"),
            ("/api/v1/costs?from=2025-13", "from"),
            ("/api/v1/costs?from=2025-04&to=2025-03", "from"),
            ("/api/v1/costs?gemeente=513", "gemeente"),
            ("/api/v1/costs?betaler=x", "betaler"),
            ("/api/v1/costs?agb=123", "agb"),
            ("/api/v1/costs?standard=wlz", "standard"),
            ("/api/v1/costs?categorie=abc", "categorie"),
            ("/api/v1/costs?format=xml", "format"),
            ("/api/v1/costs?by=provider&split=segment", "split"),
            ("/api/v1/costs?by=month&split=kleur", "split"),
            ("/api/v1/forecast?by=month", "by"),
            ("/api/v1/forecast?year=25", "year"),
            ("/api/v1/obligations?status=laat", "status"),
            ("/api/v1/obligations?kind=brief", "kind"),
            ("/api/v1/obligations?limit=-1", "limit"),
            ("/api/v1/late?owed_by=iemand", "owed_by"),
            ("/api/v1/late?colour=red", "colour"),
            ("/api/v1/budget?view=ceiling", "view"),
            ("/api/v1/budget?by=provider", "by"),
            ("/api/v1/budget?year=20x5", "year"),
            ("/api/v1/penalties?view=all", "view"),
            ("/api/v1/penalties?agb=1", "agb"),
        ] {
            let (status, body) = api.get(path, None).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
            let error: Value = serde_json::from_str(&body).unwrap();
            let text = error["error"].as_str().unwrap();
            assert!(text.starts_with(&format!("{param}:")), "{path}: {text}");
        }
    }

    async fn index_meta_and_pages(api: &Api) {
        let index: Value = serde_json::from_str(&api.ok("/api/v1/", None).await).unwrap();
        assert_eq!(index["version"], "v1");
        let paths: Vec<&str> = index["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["path"].as_str().unwrap())
            .collect();
        let doc: Value = serde_json::from_str(&api.ok("/api/v1/openapi.json", None).await).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        for p in &paths {
            assert!(doc["paths"].get(*p).is_some(), "OpenAPI lacks {p}");
            let (status, _) = api.get(p, None).await;
            assert_eq!(status, StatusCode::OK, "{p}");
        }
        let meta: Value = serde_json::from_str(&api.ok("/api/v1/meta", None).await).unwrap();
        assert_eq!(meta["scope"], "regio");
        assert_eq!(meta["current_year"], 2025);
        assert!(meta["months"]
            .as_array()
            .unwrap()
            .contains(&Value::from("2025-03")));
        assert_eq!(meta["gemeenten"].as_array().unwrap().len(), 5);
        for page in ["/", "/tijdigheid", "/kosten", "/aanbieder/12345678"] {
            let (status, body) = api.get(page, None).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            assert!(body.contains("<html"), "{page}");
        }
        let (status, body) = api.get("/api/v1/nothing", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let (status, _) = api.get("/assets/no-such-file.js", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(api.ok("/healthz", None).await, "ok\n");
        assert_eq!(api.ok("/readyz", None).await, "ready\n");
    }

    async fn metrics_after_processing(api: &Api) {
        let text = api.ok("/metrics", None).await;
        let value = |prefix: &str| -> f64 {
            text.lines()
                .filter(|l| l.starts_with(prefix))
                .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
                .sum()
        };
        assert!(value("ijwmo_messages_total{") > 100.0, "{text}");
        assert!(
            text.contains("verdict=\"accepted\"")
                || text.contains("verdict=\"approved\"")
                || text.contains("verdict="),
            "{text}"
        );
        assert!(
            value("ijwmo_dead_letters_total{") >= 1.0,
            "malformed files were set aside: {text}"
        );
        assert!(value("ijwmo_retour_codes_sent_total{") >= 1.0, "{text}");
        assert!(value("ijwmo_store_commit_seconds_count") > 100.0, "{text}");
        assert!(
            text.contains("ijwmo_store_commit_seconds_bucket{le=\"0.005\"}"),
            "a histogram: {text}"
        );
        assert!(value("ijwmo_batch_size_count") > 100.0, "{text}");
        assert!(text.contains("ijwmo_outbox_unsent "), "{text}");
        assert!(
            text.contains("ijwmo_outbox_oldest_unsent_age_seconds "),
            "{text}"
        );
        // no personal data: no pseudonym, no BSN-like number
        for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
            assert!(
                !(word.len() == 9 && ijwmo::message::bsn::elfproef(word)),
                "{word} in /metrics"
            );
            assert!(word.len() < 32, "{word} in /metrics");
        }
    }

    /// Off loopback a token is required: 401 without one, health and metrics stay open.
    async fn tokens_off_loopback(store: Arc<dyn Store>) {
        let api = api(store, false, "12345678").await;
        let (status, body) = api.get("/api/v1/late", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        let (status, _) = api.get("/api/v1/", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        api.ok("/api/v1/late", Some(&api.regio_token)).await;
        api.ok("/healthz", None).await;
        api.ok("/metrics", None).await;
    }
}

/// `/readyz` says 503 with the reason when the store cannot be reached.
#[tokio::test]
async fn readyz_fails_when_the_store_is_unreachable() {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(1))
        .connect_lazy("postgres://postgres@127.0.0.1:1/nothing")
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(ijwmo::store::PgStore::new(pool));
    let api = api(store, true, "12345678").await;
    let (status, body) = api.get("/readyz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("store unreachable"), "{body}");
    assert_eq!(api.ok("/healthz", None).await, "ok\n");
    let (status, body) = api.get("/api/v1/late", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
}

/// `ijwmo dashboard` opens an existing store read-only and refuses a missing one.
#[test]
fn dashboard_needs_an_existing_store_and_never_writes_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.db");
    let out = Command::new(env!("CARGO_BIN_EXE_ijwmo"))
        .args([
            "dashboard",
            "--store-url",
            &format!("sqlite://{}", missing.display()),
        ])
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("none.db") && err.contains("--store-url sqlite://ijwmo-demo/ijwmo.db"),
        "{err}"
    );
    assert!(!missing.exists(), "the dashboard created a database");

    // an existing store: served, and not a byte changed
    let db = dir.path().join("store.db");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s = ijwmo::store::SqliteStore::open(&db).await.unwrap();
        s.migrate().await.unwrap();
        // everything into the main file now: a connection the pool closes later must find
        // nothing left to checkpoint, or it would change the file under the digest
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(s.pool())
            .await
            .unwrap();
        s.pool().close().await;
    });
    drop(rt);
    let digest = |p: &Path| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
    };
    let before = digest(&db);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ijwmo"))
        .args([
            "dashboard",
            "--store-url",
            &format!("sqlite://{}", db.display()),
        ])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut answer = String::new();
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(100));
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            s.write_all(
                b"GET /api/v1/late?by=rule HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            )
            .unwrap();
            s.read_to_string(&mut answer).unwrap();
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.ends_with("[]\n"),
        "an empty store has no rows: {answer}"
    );
    assert_eq!(digest(&db), before, "the store was written");
}
