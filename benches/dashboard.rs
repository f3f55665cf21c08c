//! How fast the dashboard's pages are usable (not a test; see benches/dashboard.sh, which
//! builds the store and starts `ijwmo dashboard`): headless chromium loads each page `--runs`
//! times and reads the moment the page said it was ready (`document.body.dataset.ready`, set
//! once every chart and table of the page is drawn) as milliseconds since the navigation began.
//! The first load of the first page is cold (empty browser cache), the rest warm.
//!
//! Usage: cargo bench --bench dashboard -- --url http://127.0.0.1:8090 [--runs 10]

use fantoccini::ClientBuilder;
use serde_json::json;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn on_path(name: &str) -> anyhow::Result<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            anyhow::anyhow!("{name} not on the PATH (apt-get install chromium chromium-driver)")
        })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some(base) = arg("--url") else {
        // `cargo bench` runs every bench; without a dashboard to measure there is nothing to do
        eprintln!("dashboard bench: no --url given, nothing measured (use benches/dashboard.sh)");
        return Ok(());
    };
    let runs: usize = arg("--runs").map_or(Ok(10), |r| r.parse())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut driver = Command::new(on_path("chromedriver")?)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let profile = tempfile::tempdir()?;
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "chromedriver did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": on_path("chromium")?,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--window-size=1440,1000",
                     format!("--user-data-dir={}", profile.path().display())],
        }),
    );
    let client = ClientBuilder::rustls()?
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await?;
    println!("page          runs   first ms   median ms   p95 ms   max ms");
    for page in ["/", "/tijdigheid", "/kosten"] {
        let mut times = Vec::new();
        for _ in 0..runs {
            client.goto(&format!("{base}{page}")).await?;
            let deadline = Instant::now() + Duration::from_secs(60);
            let ms = loop {
                let v = client
                    .execute(
                        "return document.body.dataset.ready === 'true' ? window.__ijwmoReadyAt : \
                         (document.body.dataset.ready === 'error' ? -1 : null);",
                        vec![],
                    )
                    .await?;
                if let Some(ms) = v.as_f64() {
                    anyhow::ensure!(ms >= 0.0, "{page}: the page reported an error");
                    break ms;
                }
                anyhow::ensure!(Instant::now() < deadline, "{page}: not ready after 60 s");
                tokio::time::sleep(Duration::from_millis(10)).await;
            };
            times.push(ms);
        }
        let first = times[0];
        times.sort_by(f64::total_cmp);
        let at = |p: usize| times[((p * times.len()).div_ceil(100)).max(1) - 1];
        println!(
            "{page:<12} {runs:>5} {first:>10.0} {:>11.0} {:>8.0} {:>8.0}",
            at(50),
            at(95),
            times[times.len() - 1]
        );
    }
    client.close().await?;
    let _ = driver.kill();
    let _ = driver.wait();
    Ok(())
}
