//! The dashboard in a real browser: Debian's `chromium`, headless, driven through `chromedriver`
//! (WebDriver, the `fantoccini` crate) against the real `ijwmo dashboard` binary serving a
//! generated month processed into a SQLite store by `ijwmo demo`.
//!
//! It checks what an analyst would: every page draws its charts (non-empty SVG), the numbers on
//! the page equal the API's, a filter changes them (and the URL), a click on a provider opens its
//! obligations, and nothing went wrong in the page (no uncaught error, rejected promise,
//! `console.error` or failed request). Screenshots of every page go to `target/screenshots/` and
//! to `docs/` (the README shows those).
//!
//! Without chromium or chromedriver on the PATH the test is reported as *ignored* (this file has
//! its own harness, libtest-mimic, so that is decided at run time); with
//! `IJWMO_REQUIRE_BROWSER=1` (CI) it runs and fails instead.

use fantoccini::{Client, ClientBuilder, Locator};
use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::{json, Value};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let args = Arguments::from_args();
    let tools = browser_tools();
    let required = std::env::var("IJWMO_REQUIRE_BROWSER").as_deref() == Ok("1");
    let missing = tools.is_err();
    if let Err(why) = &tools {
        eprintln!(
            "{}: {why} (apt-get install -y chromium chromium-driver)",
            if required { "FAILING" } else { "IGNORED" }
        );
    }
    let trial = Trial::test("dashboard_in_chromium", move || {
        let (chromium, chromedriver) = tools.map_err(Failed::from)?;
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| Failed::from(e.to_string()))?
            .block_on(dashboard_in_chromium(&chromium, &chromedriver))
            .map_err(|e| Failed::from(format!("{e:#}")))
    })
    .with_ignored_flag(missing && !required);
    libtest_mimic::run(&args, vec![trial]).exit();
}

/// `chromium` and `chromedriver` from the PATH (or IJWMO_CHROMIUM / IJWMO_CHROMEDRIVER).
fn browser_tools() -> Result<(PathBuf, PathBuf), String> {
    let find = |var: &str, name: &str| -> Result<PathBuf, String> {
        if let Ok(p) = std::env::var(var) {
            return Ok(PathBuf::from(p));
        }
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .map(|d| d.join(name))
            .find(|p| p.is_file())
            .ok_or_else(|| format!("{name} not found on the PATH"))
    };
    Ok((
        find("IJWMO_CHROMIUM", "chromium")?,
        find("IJWMO_CHROMEDRIVER", "chromedriver")?,
    ))
}

type Res<T> = anyhow::Result<T>;

/// A child process that is killed when the test ends, however it ends.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> Res<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wait_for_port(port: u16, what: &str, child: &mut Process) -> Res<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if let Some(status) = child.0.try_wait()? {
            anyhow::bail!("{what} exited with {status} before it listened on {port}");
        }
        anyhow::ensure!(Instant::now() < deadline, "{what} not listening on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// `ijwmo dashboard` over the demo's store on `listen`, with `tokens` (HASH=SCOPE) if given.
fn start_dashboard(bin: &str, demo: &Path, listen: &str, tokens: Option<&str>) -> Res<Process> {
    let mut cmd = Command::new(bin);
    cmd.arg("dashboard")
        .arg("--store-url")
        .arg(format!("sqlite://{}", demo.join("ijwmo.db").display()))
        .arg("--listen")
        .arg(listen)
        // the verdeelsleutel of the generated region, for the figures per paying municipality
        .env("IJWMO_PAYERS", demo.join("generated/betalers.toml"))
        // the generated municipalities' budgets and the shipped example penalty scheme
        .env("IJWMO_BUDGETS", demo.join("generated/budgets.toml"))
        .env(
            "IJWMO_PENALTY_SCHEME",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/penalty-scheme.toml"),
        )
        .env_remove("IJWMO_HTTP_TOKENS")
        .stdout(Stdio::null());
    if let Some(t) = tokens {
        cmd.env("IJWMO_HTTP_TOKENS", t);
    }
    Ok(Process(cmd.spawn()?))
}

/// The API, fetched by the test itself (not through the page) to compare with what is shown.
struct Api {
    base: String,
    token: Option<String>,
}

impl Api {
    fn get(&self, path_and_query: &str) -> Res<Value> {
        let url = format!("{}/api/v1/{path_and_query}", self.base);
        let mut request = ureq::get(&url);
        if let Some(t) = &self.token {
            request = request.header("Authorization", format!("Bearer {t}"));
        }
        let body = request
            .call()
            .map_err(|e| anyhow::anyhow!("GET {url}: {e}"))?
            .body_mut()
            .read_to_string()?;
        Ok(serde_json::from_str(&body)?)
    }

    fn rows(&self, path_and_query: &str) -> Res<Vec<Value>> {
        match self.get(path_and_query)? {
            Value::Array(rows) => Ok(rows),
            other => anyhow::bail!("{path_and_query}: expected an array, got {other}"),
        }
    }
}

async fn dashboard_in_chromium(chromium: &Path, chromedriver: &Path) -> Res<()> {
    let tmp = tempfile::tempdir()?;
    let bin = env!("CARGO_BIN_EXE_ijwmo");

    // a generated month, through the real pipeline, into a SQLite store
    let demo = tmp.path().join("demo");
    let out = Command::new(bin)
        .args(["demo", "--scale", "0.03", "--dir"])
        .arg(&demo)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "ijwmo demo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // the dashboard over it, read-only, on loopback (no token needed there) ...
    let port = free_port()?;
    let mut server = start_dashboard(bin, &demo, &format!("127.0.0.1:{port}"), None)?;
    wait_for_port(port, "ijwmo dashboard", &mut server)?;
    let base = format!("http://127.0.0.1:{port}");
    let api = Api {
        base: base.clone(),
        token: None,
    };
    // ... and once more on every interface, where a bearer token is required: one token,
    // scoped to one municipality
    let token = "browser-test-token-of-gemeente-0627";
    let scoped_port = free_port()?;
    let mut scoped = start_dashboard(
        bin,
        &demo,
        &format!("0.0.0.0:{scoped_port}"),
        Some(&format!(
            "{}=gemeente:0627",
            ijwmo::http::access::token_hash(token)
        )),
    )?;
    wait_for_port(scoped_port, "ijwmo dashboard (tokens)", &mut scoped)?;

    let driver_port = free_port()?;
    let mut driver = Process(
        Command::new(chromedriver)
            .arg(format!("--port={driver_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    wait_for_port(driver_port, "chromedriver", &mut driver)?;
    let profile = tmp.path().join("chromium-profile");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--hide-scrollbars", "--window-size=1440,1000",
                "--lang=nl-NL", format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    let client = ClientBuilder::rustls()?
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{driver_port}"))
        .await?;
    let mut result = check_pages(&client, &base, &api).await;
    if result.is_ok() {
        let scoped_api = Api {
            base: format!("http://127.0.0.1:{scoped_port}"),
            token: Some(token.into()),
        };
        result = check_token(&client, &scoped_api, token).await;
    }
    let _ = client.close().await;
    result
}

async fn check_pages(c: &Client, base: &str, api: &Api) -> Res<()> {
    let meta = api.get("meta")?;
    let year = meta["current_year"].as_i64().unwrap_or(2025);

    // Overzicht: key figures and three charts
    open(c, &format!("{base}/")).await?;
    charts_drawn(c, &["kinds", "forecast", "worst"]).await?;
    let rules = api.rows("late?by=rule&owed_by=aanbieder")?;
    let all = sum_counts(&rules);
    assert_eq!(
        kpi(c, "pct_on_time").await?,
        pct(&all),
        "share on time on the Overzicht"
    );
    let payers = api.rows(&format!("forecast?year={year}&by=payer"))?;
    assert_eq!(
        kpi(c, "forecast").await?,
        sum_decimal(&payers, "forecast"),
        "forecast on the Overzicht"
    );
    no_errors(c, "Overzicht").await?;
    screenshot(c, "overzicht").await?;

    // Tijdigheid: every provider's counts and share, worst first
    open(c, &format!("{base}/tijdigheid")).await?;
    charts_drawn(c, &["providers", "rules-aanbieder", "months"]).await?;
    let shown = table(c, "late-provider").await?;
    let providers = api.rows("late?by=provider&owed_by=aanbieder")?;
    assert!(!shown.is_empty(), "no providers shown");
    for row in &shown {
        let agb = row["key"].as_str().unwrap_or_default();
        let of_agb: Vec<Value> = providers
            .iter()
            .filter(|r| r["provider"].as_str() == Some(agb))
            .cloned()
            .collect();
        let want = sum_counts(&of_agb);
        for col in ["total", "on_time", "late", "overdue", "open"] {
            assert_eq!(number(&row[col]), want[col].to_string(), "{col} of {agb}");
        }
        assert_eq!(number(&row["pct_on_time"]), pct(&want), "share of {agb}");
    }
    let shares: Vec<f64> = shown
        .iter()
        .filter_map(|r| number(&r["pct_on_time"]).parse().ok())
        .collect();
    assert!(
        shares.windows(2).all(|w| w[0] <= w[1]),
        "providers not worst first: {shares:?}"
    );
    compare_table(
        c,
        "late-rule-aanbieder",
        &api.rows("late?by=rule&owed_by=aanbieder")?,
        "rule",
        &["total", "on_time", "late", "overdue", "open", "pct_on_time"],
    )
    .await?;
    no_errors(c, "Tijdigheid").await?;
    screenshot(c, "tijdigheid").await?;

    // drill-down: a click on the worst provider's row opens its obligations, late first
    let worst = shown[0]["key"].as_str().unwrap_or_default().to_string();
    c.find(Locator::Css("table[data-table=late-provider] tbody tr"))
        .await?
        .click()
        .await?;
    wait_ready(c).await?;
    let url = c.current_url().await?;
    assert_eq!(url.path(), format!("/aanbieder/{worst}"), "drill-down URL");
    let obligations = api.rows(&format!(
        "obligations?agb={worst}&status=late,overdue,open,on_time&limit=100&offset=0"
    ))?;
    charts_drawn(c, &["provider-rules"]).await?;
    let own = api.rows(&format!("late?by=rule&owed_by=aanbieder&agb={worst}"))?;
    let figure = c
        .find(Locator::Css("[data-figure=pct_on_time]"))
        .await?
        .text()
        .await?;
    assert_eq!(
        number(&json!(figure)),
        pct(&sum_counts(&own)),
        "share of {worst}"
    );
    let listed = table(c, "obligations").await?;
    assert_eq!(listed.len(), obligations.len(), "obligations of {worst}");
    assert!(!listed.is_empty(), "{worst} has no obligations listed");
    for (shown, api_row) in listed.iter().zip(&obligations) {
        assert_eq!(
            shown["reference"],
            api_row["reference"].as_str().unwrap_or("–")
        );
        assert_eq!(
            shown["due_date"],
            api_row["due_date"].as_str().unwrap_or("–")
        );
    }
    let first = &listed[0]["status"];
    assert!(
        first == "te laat" || first == "verlopen",
        "the worst provider's first obligation should be late or overdue, is {first}"
    );
    no_errors(c, "Aanbieder").await?;
    screenshot(c, "aanbieder").await?;

    // Kosten: tables equal the API
    open(c, &format!("{base}/kosten")).await?;
    charts_drawn(c, &["monthly", "forecast-payer", "ceilings"]).await?;
    let money = ["declared", "approved", "rejected", "credited", "net"];
    let costs = api.rows("costs?by=payer")?;
    compare_table(c, "costs-payer", &costs, "payer", &money).await?;
    compare_table(
        c,
        "forecast-payer",
        &payers,
        "payer",
        &["realised", "remaining", "forecast"],
    )
    .await?;
    compare_table(
        c,
        "costs-retour",
        &api.rows("costs?by=retour_code")?,
        "retour_code",
        &["rejected_lines", "rejected", "declared"],
    )
    .await?;
    // the budget panels: the ceilings worst first with their warnings, the utilisation and the
    // penalties under the server's scheme, each as the API gives them
    charts_drawn(c, &["budget", "utilisation", "penalties"]).await?;
    // the full tables are folded away: unfold them to read what they show
    let fold = |open: bool| {
        c.execute(
            "document.querySelectorAll('details').forEach(d => d.open = arguments[0]);",
            vec![json!(open)],
        )
    };
    fold(true).await?;
    let budget = api.rows("budget")?;
    anyhow::ensure!(!budget.is_empty(), "the demo has budget ceilings");
    let pcts = |rows: &[Value]| -> Vec<String> {
        rows.iter()
            .map(|r| r["forecast_pct"].as_str().unwrap_or("–").to_string())
            .collect()
    };
    let shown: Vec<String> = table(c, "budget")
        .await?
        .iter()
        .map(|r| number(&r["forecast_pct"]))
        .collect();
    assert_eq!(shown, pcts(&budget), "budget rows, worst first");
    compare_table(
        c,
        "budget",
        &budget,
        "holder",
        &[
            "ceiling",
            "realised",
            "forecast",
            "forecast_pct",
            "run_rate",
        ],
    )
    .await?;
    let warned: Vec<Value> = budget
        .iter()
        .filter(|r| !r["warning"].is_null())
        .cloned()
        .collect();
    anyhow::ensure!(
        !warned.is_empty(),
        "the generator's provider over its ceiling is warned of"
    );
    compare_table(
        c,
        "budget-warnings",
        &warned,
        "holder",
        &["forecast", "forecast_pct"],
    )
    .await?;
    let utilisation = api.rows("budget?view=utilisation")?;
    let shown = table(c, "utilisation").await?;
    assert_eq!(shown.len(), utilisation.len(), "utilisation rows");
    for (page, want) in shown.iter().zip(&utilisation) {
        assert_eq!(
            number(&page["utilisation_pct"]),
            want["utilisation_pct"].as_str().unwrap_or("–"),
            "{want}"
        );
    }
    // declaration quality: every provider's rejected share as the API gives it, worst first,
    // and the two charts when anything was rejected
    let quality: Vec<Value> = api
        .rows("rejections?by=provider")?
        .into_iter()
        .filter(|r| r["provider"] != "regio-mediaan")
        .collect();
    compare_table(
        c,
        "rejections-all",
        &quality,
        "provider",
        &[
            "declared_lines",
            "rejected_lines",
            "rejected_pct",
            "resubmitted",
            "median_wd_to_approval",
        ],
    )
    .await?;
    let shares: Vec<f64> = table(c, "rejections-all")
        .await?
        .iter()
        .map(|r| number(&r["rejected_pct"]).parse().unwrap_or(0.0))
        .collect();
    anyhow::ensure!(
        shares.windows(2).all(|w| w[0] >= w[1]),
        "declaration quality, worst first: {shares:?}"
    );
    let rejected_any = quality.iter().any(|r| match &r["rejected_lines"] {
        Value::Number(n) => n.as_i64() != Some(0),
        Value::String(n) => n != "0",
        _ => false,
    });
    if rejected_any {
        charts_drawn(c, &["rejections-provider", "rejections-month"]).await?;
    }
    let penalties = api.rows("penalties")?;
    anyhow::ensure!(!penalties.is_empty(), "the demo has late declarations");
    let shown = table(c, "penalties").await?;
    assert_eq!(shown.len(), penalties.len(), "penalty rows");
    let page_total: i64 = shown
        .iter()
        .map(|r| {
            number(&r["penalty"])
                .replace('.', "")
                .parse::<i64>()
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(
        format!("{}.{:02}", page_total / 100, page_total % 100),
        sum_decimal(&penalties, "penalty"),
        "the penalties shown add up to the API's"
    );
    fold(false).await?;
    no_errors(c, "Kosten").await?;
    screenshot(c, "kosten").await?;
    panel_screenshot(c, "budget", "budget").await?;
    panel_screenshot(c, "penalties", "penalties").await?;
    if rejected_any {
        panel_screenshot(c, "rejections-provider", "declaratiekwaliteit").await?;
    }

    // a filter: one municipality, chosen in the form, changes the figures and the URL
    let gemeente = meta["gemeenten"]
        .as_array()
        .and_then(|g| g.last())
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow::anyhow!("meta lists no gemeenten"))?
        .to_string();
    let before = table(c, "costs-payer").await?;
    c.find(Locator::Css("#filters select[name=gemeente]"))
        .await?
        .select_by_value(&gemeente)
        .await?;
    wait_ready(c).await?;
    let url = c.current_url().await?;
    assert!(
        url.query()
            .unwrap_or("")
            .contains(&format!("gemeente={gemeente}")),
        "the filter is not in the URL: {url}"
    );
    let after = table(c, "costs-payer").await?;
    assert_ne!(before, after, "filtering on {gemeente} changed nothing");
    let filtered = api.rows(&format!("costs?by=payer&gemeente={gemeente}"))?;
    compare_table(c, "costs-payer", &filtered, "payer", &money).await?;
    no_errors(c, "Kosten, filtered").await?;

    // the URL alone restores the view (bookmark): a fresh load shows the same filtered figures
    open(c, url.as_str()).await?;
    assert_eq!(table(c, "costs-payer").await?, after, "bookmarked view");
    let selected = c
        .find(Locator::Css("#filters select[name=gemeente]"))
        .await?
        .prop("value")
        .await?;
    assert_eq!(selected.as_deref(), Some(gemeente.as_str()));
    open(c, &format!("{base}/tijdigheid?gemeente={gemeente}")).await?;
    let filtered_providers = api.rows(&format!(
        "late?by=provider&owed_by=aanbieder&gemeente={gemeente}"
    ))?;
    let n = table(c, "late-provider").await?.len();
    let agbs: std::collections::BTreeSet<&str> = filtered_providers
        .iter()
        .filter_map(|r| r["provider"].as_str())
        .collect();
    assert_eq!(n, agbs.len(), "providers shown for {gemeente}");
    no_errors(c, "Tijdigheid, filtered").await?;

    check_zorgtraject(c, base, api).await
}

/// Zorgtraject: waiting times, who waits now, trajectories and the 18+ list, as the API has them.
async fn check_zorgtraject(c: &Client, base: &str, api: &Api) -> Res<()> {
    open(c, &format!("{base}/zorgtraject")).await?;
    let handover = api.rows("handover")?;
    let mut charts = vec!["wait-provider", "wait-month", "trajectories"];
    if !handover.is_empty() {
        charts.push("handover");
    }
    charts_drawn(c, &charts).await?;
    screenshot(c, "zorgtraject").await?;
    // the full provider table is folded away: open it, as an analyst would
    c.execute(
        "document.querySelectorAll('details').forEach(d => d.open = true);",
        vec![],
    )
    .await?;
    let waiting = api.rows("waiting?by=provider")?;
    anyhow::ensure!(!waiting.is_empty(), "the demo has no started allocations");
    compare_table(
        c,
        "waiting-provider",
        &waiting,
        "provider",
        &[
            "started",
            "retroactive",
            "counted",
            "median_days_from_request",
            "p90_days_from_request",
            "median_days_from_ingang",
            "p90_days_from_ingang",
        ],
    )
    .await?;
    compare_table(
        c,
        "trajectories-provider",
        &api.rows("trajectories?by=provider")?,
        "provider",
        &[
            "ended",
            "median_days",
            "p90_days",
            "volgens_plan_pct",
            "voortijdig_pct",
        ],
    )
    .await?;
    let started: i64 = waiting.iter().filter_map(|r| r["started"].as_i64()).sum();
    assert_eq!(kpi(c, "started").await?, started.to_string(), "started");
    let now = api.rows("waiting/now")?;
    assert_eq!(kpi(c, "waiting_now").await?, now.len().to_string());
    let listed = table(c, "waiting-now").await?;
    assert_eq!(listed.len(), now.len().min(50), "who waits now");
    for (shown, row) in listed.iter().zip(&now) {
        assert_eq!(
            number(&shown["days_waiting"]),
            row["days_waiting"].to_string(),
            "days waiting of {}",
            row["toewijzing_nummer"]
        );
    }
    assert_eq!(kpi(c, "handover").await?, handover.len().to_string());
    let list = table(c, "handover").await?;
    assert_eq!(list.len(), handover.len(), "the 18+ list");
    for (shown, row) in list.iter().zip(&handover) {
        assert_eq!(
            shown["toewijzing_nummer"].as_str(),
            Some(row["toewijzing_nummer"].to_string().as_str())
        );
    }
    no_errors(c, "Zorgtraject").await
}

/// Where a token is required the page asks for one, keeps it for the tab, and shows the figures
/// of its scope only: the same as the API gives that token.
async fn check_token(c: &Client, api: &Api, token: &str) -> Res<()> {
    c.goto(&format!("{}/kosten", api.base)).await?;
    let input = c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("#token-dialog[open] input[name=token]"))
        .await?;
    assert_eq!(
        c.execute("return document.body.dataset.ready;", vec![])
            .await?,
        json!("false"),
        "the page went on without a token"
    );
    input.send_keys(token).await?;
    c.find(Locator::Css("#token-form button"))
        .await?
        .click()
        .await?;
    wait_ready(c).await?;
    let stored = c
        .execute("return sessionStorage.getItem('ijwmo-token');", vec![])
        .await?;
    assert_eq!(stored, json!(token), "token kept for the tab");
    let scope = c.find(Locator::Id("scope")).await?.text().await?;
    assert!(scope.contains("0627"), "scope shown: {scope}");
    compare_table(
        c,
        "costs-payer",
        &api.rows("costs?by=payer")?,
        "payer",
        &["declared", "approved", "rejected", "credited", "net"],
    )
    .await?;
    // a reload keeps the token: no second prompt
    open(c, &format!("{}/tijdigheid", api.base)).await?;
    let asked = c
        .execute(
            "return document.getElementById('token-dialog').open;",
            vec![],
        )
        .await?;
    assert_eq!(asked, json!(false), "asked for the token again");
    no_errors(c, "token").await?;
    Ok(())
}

/// Loads `url` and waits until the page says it has drawn everything.
async fn open(c: &Client, url: &str) -> Res<()> {
    c.goto(url).await?;
    wait_ready(c).await
}

async fn wait_ready(c: &Client) -> Res<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    // a click or a filter starts a render that first sets "false"; give it a moment to start
    tokio::time::sleep(Duration::from_millis(100)).await;
    loop {
        let state = c
            .execute("return document.body.dataset.ready;", vec![])
            .await?;
        match state.as_str() {
            Some("true") => return Ok(()),
            Some("error") => {
                let text = c
                    .execute(
                        "return document.getElementById('error').textContent;",
                        vec![],
                    )
                    .await?;
                anyhow::bail!("the page reported an error: {text}");
            }
            _ if Instant::now() > deadline => anyhow::bail!("page not ready after 30 s"),
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Every named chart is an SVG of real size with drawn series (more shapes than an empty
/// chart's axes alone).
async fn charts_drawn(c: &Client, names: &[&str]) -> Res<()> {
    for name in names {
        let info = c
            .execute(
                "const el = document.querySelector(`[data-chart='${arguments[0]}']`);
                 if (!el) return null;
                 const svg = el.querySelector('svg');
                 if (!svg) return {svg: false};
                 const r = svg.getBoundingClientRect();
                 return {svg: true, width: r.width, height: r.height,
                         series: Number(el.dataset.points || 0),
                         shapes: svg.querySelectorAll('path').length};",
                vec![json!(name)],
            )
            .await?;
        anyhow::ensure!(!info.is_null(), "chart {name} missing");
        anyhow::ensure!(info["svg"] == true, "chart {name} has no SVG");
        anyhow::ensure!(
            info["width"].as_f64() > Some(100.0) && info["height"].as_f64() > Some(100.0),
            "chart {name} too small: {info}"
        );
        let points = info["series"].as_u64().unwrap_or(0);
        let shapes = info["shapes"].as_u64().unwrap_or(0);
        anyhow::ensure!(points > 0, "chart {name} has no data points: {info}");
        anyhow::ensure!(
            shapes >= points,
            "chart {name} draws fewer shapes than data points: {info}"
        );
    }
    Ok(())
}

/// No uncaught error, rejected promise or console.error (errors.js keeps them), and no request
/// of the page that failed.
async fn no_errors(c: &Client, page: &str) -> Res<()> {
    let errors = c
        .execute(
            "const failed = performance.getEntriesByType('resource')
                 .filter(e => e.responseStatus >= 400)
                 .map(e => `HTTP ${e.responseStatus} ${e.name}`);
             return (window.__ijwmoErrors || ['errors.js not loaded']).concat(failed);",
            vec![],
        )
        .await?;
    anyhow::ensure!(
        errors.as_array().is_some_and(Vec::is_empty),
        "{page}: errors in the page: {errors}"
    );
    Ok(())
}

/// The cells of a table as the page shows them: one map (column key → visible text) per row.
async fn table(c: &Client, name: &str) -> Res<Vec<serde_json::Map<String, Value>>> {
    let rows = c
        .execute(
            "return [...document.querySelectorAll(`table[data-table='${arguments[0]}'] tbody tr`)]
                 .map(tr => Object.fromEntries([...tr.querySelectorAll('td')]
                     .map(td => [td.dataset.col, td.innerText.trim()])));",
            vec![json!(name)],
        )
        .await?;
    Ok(rows
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("table {name}: {rows}"))?
        .iter()
        .filter_map(|r| r.as_object().cloned())
        .collect())
}

/// Every row of the API is shown, keyed by `key`, with the same numbers in `cols`.
async fn compare_table(
    c: &Client,
    name: &str,
    api_rows: &[Value],
    key: &str,
    cols: &[&str],
) -> Res<()> {
    let shown = table(c, name).await?;
    anyhow::ensure!(
        shown.len() == api_rows.len(),
        "{name}: {} rows shown, the API has {}",
        shown.len(),
        api_rows.len()
    );
    for want in api_rows {
        let k = want[key].as_str().unwrap_or_default();
        let row = shown
            .iter()
            .find(|r| {
                r[key]
                    .as_str()
                    .is_some_and(|s| s == k || s.ends_with(&format!("({k})")))
            })
            .ok_or_else(|| anyhow::anyhow!("{name}: no row for {k}"))?;
        for col in cols {
            let api_value = match &want[*col] {
                Value::Null => "–".to_string(),
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            anyhow::ensure!(
                number(&row[*col]) == api_value,
                "{name}, {k}, {col}: page shows {}, the API says {api_value}",
                row[*col]
            );
        }
    }
    Ok(())
}

/// What the page shows ("€ 1.234,50", "87,5 %", "1.234", "–") as the API writes it
/// ("1234.50", "87.5", "1234", "–").
fn number(shown: &Value) -> String {
    let s = shown.as_str().unwrap_or_default();
    if s == "–" {
        return s.to_string();
    }
    s.chars()
        .filter_map(|ch| match ch {
            '0'..='9' => Some(ch),
            ',' => Some('.'),
            '-' | '\u{2212}' => Some('-'),
            _ => None,
        })
        .collect()
}

fn kpi_text(v: &Value) -> String {
    number(v)
}

async fn kpi(c: &Client, name: &str) -> Res<String> {
    let v = c
        .execute(
            "const el = document.querySelector(`[data-kpi='${arguments[0]}'] .kpi-value`);
             return el ? el.innerText : null;",
            vec![json!(name)],
        )
        .await?;
    anyhow::ensure!(!v.is_null(), "key figure {name} missing");
    Ok(kpi_text(&v))
}

/// The counts of `late` rows added up over the kinds.
fn sum_counts(rows: &[Value]) -> std::collections::BTreeMap<&'static str, i64> {
    let mut sums = std::collections::BTreeMap::new();
    for col in ["total", "on_time", "late", "overdue", "open"] {
        sums.insert(col, rows.iter().filter_map(|r| r[col].as_i64()).sum());
    }
    sums
}

/// The share on time of summed counts, as `ijwmo stats` computes it.
fn pct(s: &std::collections::BTreeMap<&'static str, i64>) -> String {
    ijwmo::facts::stats::pct_tenths(s["on_time"], s["on_time"] + s["late"] + s["overdue"])
        .map_or("–".to_string(), |t| format!("{}.{}", t / 10, t % 10))
}

/// The sum of a euro column, to the cent.
fn sum_decimal(rows: &[Value], col: &str) -> String {
    let cents: i64 = rows
        .iter()
        .filter_map(|r| match &r[col] {
            // the contract: decimals are strings with fixed decimals
            Value::String(s) => {
                let (int, frac) = s.split_once('.').unwrap_or((s, "00"));
                let sign = if int.starts_with('-') { -1 } else { 1 };
                Some(int.parse::<i64>().ok()? * 100 + sign * frac.parse::<i64>().ok()?)
            }
            Value::Number(n) => n.as_f64().map(|f| (f * 100.0).round() as i64),
            _ => None,
        })
        .sum();
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

/// A PNG of the card holding chart `chart` in target/screenshots/ and docs/ (the README's).
async fn panel_screenshot(c: &Client, chart: &str, name: &str) -> Res<()> {
    c.set_window_size(1440, 1400).await?;
    // the sticky filter bar would cover the card's head
    c.execute(
        "document.getElementById('filters').style.position = 'static';",
        vec![],
    )
    .await?;
    let card = c
        .find(Locator::Css(&format!(
            "section.card:has([data-chart='{chart}'])"
        )))
        .await?;
    c.execute(
        "arguments[0].scrollIntoView({block: 'start'});",
        vec![serde_json::to_value(&card)?],
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let png = card.screenshot().await?;
    c.execute(
        "document.getElementById('filters').style.position = '';",
        vec![],
    )
    .await?;
    c.set_window_size(1440, 1000).await?;
    save_png(name, &png)
}

/// `dashboard-<name>.png` in target/screenshots/ and docs/ (the README's).
fn save_png(name: &str, png: &[u8]) -> Res<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in [root.join("target/screenshots"), root.join("docs")] {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("dashboard-{name}.png")), png)?;
    }
    Ok(())
}

/// A PNG of the whole page in target/screenshots/ and docs/ (the README's).
async fn screenshot(c: &Client, name: &str) -> Res<()> {
    let height = c
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await?
        .as_u64()
        .unwrap_or(1000)
        .clamp(600, 4000);
    c.set_window_size(1440, height as u32 + 140).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let png = c.screenshot().await?;
    c.set_window_size(1440, 1000).await?;
    save_png(name, &png)
}
