//! The panel in the real WebKit webview, driven over WebDriver (WebKitWebDriver launches
//! `ccpulse-tray --open-panel` itself): what it shows, that Refresh reaches the app over IPC and
//! the new state comes back live, and a screenshot kept as an artifact.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use base64::Engine;
use ccpulse_tests::statuspage::TimelineServer;
use ccpulse_tests::{statusline, tray_bin, Desktop};
use serde_json::{json, Value};

const T: Duration = Duration::from_secs(30);

struct WebDriver {
    http: reqwest::Client,
    base: String,
    session: String,
}

impl WebDriver {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, &url);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let reply: Value = req.send().await?.json().await?;
        if let Some(err) = reply["value"].get("error") {
            bail!("{url}: {err}: {}", reply["value"]["message"]);
        }
        Ok(reply["value"].clone())
    }

    async fn script(&self, js: &str) -> Result<Value> {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": js, "args": []})),
        )
        .await
    }

    async fn text(&self, testid: &str) -> Result<String> {
        let v = self
            .script(&format!(
                "const e = document.querySelector('[data-testid=\"{testid}\"]'); return e ? e.textContent : null;"
            ))
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    async fn wait_for_text(&self, testid: &str, want: &str) -> Result<String> {
        let deadline = Instant::now() + T;
        loop {
            let text = self.text(testid).await?;
            if text.contains(want) {
                return Ok(text);
            }
            if Instant::now() > deadline {
                bail!("[data-testid={testid}] never contained {want:?}; last {text:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn click(&self, css: &str) -> Result<()> {
        let el = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await?;
        let id = el
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .context("element id")?
            .to_string();
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        )
        .await?;
        Ok(())
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panel_renders_the_state_and_refreshes_over_ipc() -> Result<()> {
    let server = TimelineServer::start().await?;
    server.set_step(1);
    let desktop = Desktop::new()?;
    // Claude Code has reported its limits through the status line.
    let state = desktop.state_home().join("ccpulse");
    let resets = chrono::Utc::now().timestamp() + 2 * 3600 + 600;
    let mut cmd = std::process::Command::new(ccpulse_tests::cli_bin());
    cmd.arg("statusline").env("CCPULSE_STATE_DIR", &state);
    let fed = statusline::run(&mut cmd, statusline::input(42.4, resets, 86.0).as_bytes())?;
    assert!(fed.status.success(), "{fed:?}");

    let port = free_port();
    let mut cmd = desktop.command("WebKitWebDriver");
    cmd.arg(format!("--port={port}"))
        .env("TAURI_WEBVIEW_AUTOMATION", "true")
        .env("CCPULSE_STATUS_URL", server.uri())
        .env("CCPULSE_API_URL", "http://127.0.0.1:9")
        .env("CCPULSE_STATE_DIR", &state)
        .env("TZ", "UTC");
    let _driver = desktop.spawn("WebKitWebDriver", cmd)?;

    let http = reqwest::Client::builder().timeout(T).build()?;
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + T;
    while http.get(format!("{base}/status")).send().await.is_err() {
        if Instant::now() > deadline {
            bail!("WebKitWebDriver did not come up on {base}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let caps = json!({"capabilities": {"alwaysMatch": {"webkitgtk:browserOptions": {
        "binary": tray_bin(), "args": ["--open-panel"]}}}});
    let reply: Value = http
        .post(format!("{base}/session"))
        .json(&caps)
        .send()
        .await?
        .json()
        .await?;
    let session = reply["value"]["sessionId"]
        .as_str()
        .with_context(|| format!("no session: {reply}"))?
        .to_string();
    let wd = WebDriver {
        http,
        base,
        session,
    };

    // What the panel shows comes from the app's state.
    wd.wait_for_text(
        "summary",
        "Elevated errors on Claude Opus 4.5 (investigating)",
    )
    .await?;
    assert_eq!(
        wd.script("return document.body.dataset.level").await?,
        "degraded"
    );
    let cards = wd
        .script("return [...document.querySelectorAll('[data-testid=incident]')].map(e => e.dataset.incidentId)")
        .await?;
    assert_eq!(cards, json!(["inc7x0opus45"]));
    let update = wd.text("incident-update").await?;
    assert!(update.contains("529 Overloaded"), "{update}");
    let code = wd
        .script("return document.querySelector('[data-component-id=yyzkbfz2thpt]').textContent")
        .await?;
    assert!(
        code.as_str()
            .unwrap_or_default()
            .contains("Degraded performance"),
        "{code}"
    );

    // The plan limits: a gauge per window with its reset, countdown, source and age.
    wd.wait_for_text("limits", "Weekly").await?;
    let gauges = wd
        .script(
            "return [...document.querySelectorAll('[data-testid=limit]')].map(g => [g.dataset.limitId, \
             g.dataset.tone, g.querySelector('[data-testid=limit-percent]').textContent, \
             g.querySelector('progress').value, g.querySelector('[data-testid=limit-source]').textContent])",
        )
        .await?;
    assert_eq!(
        gauges,
        json!([
            [
                "session",
                "operational",
                "42%",
                42.4,
                "status line, just now"
            ],
            ["weekly", "degraded", "86%", 86, "status line, just now"]
        ])
    );
    let reset = wd.text("limit-reset").await?;
    assert!(
        reset.starts_with("resets ")
            && (reset.ends_with(" · in 2h 9m") || reset.ends_with(" · in 2h 10m")),
        "{reset}"
    );
    let projection = wd.text("limit-projection").await?;
    assert!(
        projection.starts_with("At this pace the session "),
        "{projection}"
    );

    // Refresh goes over IPC to the app, which polls and pushes the new state back.
    let before = server.requests_to("/api/v2/summary.json").await;
    server.set_step(2);
    wd.click("[data-testid=refresh]").await?;
    wd.wait_for_text("summary", "(identified)").await?;
    assert!(server.requests_to("/api/v2/summary.json").await > before);

    let shot = wd.call(reqwest::Method::GET, "/screenshot", None).await?;
    let png =
        base64::engine::general_purpose::STANDARD.decode(shot.as_str().context("screenshot")?)?;
    assert_eq!(&png[1..4], b"PNG");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("artifacts");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("panel-webdriver.png"), &png)?;

    let _ = wd.call(reqwest::Method::DELETE, "", None).await;
    Ok(())
}
