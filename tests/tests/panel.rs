//! The panel in the real WebKit webview, driven over WebDriver (WebKitWebDriver launches
//! `ccpulse-tray --open-panel` itself): what it shows, that Refresh reaches the app over IPC and
//! the new state comes back live, and a screenshot kept as an artifact.
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use std::time::Duration;

use anyhow::{ensure, Result};
use ccpulse_tests::panel::TIMEOUT as T;
use ccpulse_tests::statuspage::TimelineServer;
use ccpulse_tests::wait::poll_until_async;
use ccpulse_tests::{statusline, Desktop, Panel};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panel_renders_the_state_and_refreshes_over_ipc() -> Result<()> {
    let server = TimelineServer::start().await?;
    server.set_step(1);
    let desktop = Desktop::new()?;
    // Claude Code has reported its limits through the status line.
    feed_limits(&desktop, 42.4, 86.0)?;
    let panel = Panel::open(desktop, &server.uri(), &[]).await?;

    // What the panel shows comes from the app's state.
    panel
        .wait_for_text(
            "summary",
            "Elevated errors on Claude Opus 4.5 (investigating)",
        )
        .await?;
    assert_eq!(
        panel.script("return document.body.dataset.level").await?,
        "degraded"
    );
    let cards = panel
        .script("return [...document.querySelectorAll('[data-testid=incident]')].map(e => e.dataset.incidentId)")
        .await?;
    assert_eq!(cards, json!(["inc7x0opus45"]));
    let update = panel.text("incident-update").await?;
    assert!(update.contains("529 Overloaded"), "{update}");
    let code = panel
        .script("return document.querySelector('[data-component-id=yyzkbfz2thpt]').textContent")
        .await?;
    assert!(
        code.as_str()
            .unwrap_or_default()
            .contains("Degraded performance"),
        "{code}"
    );

    // The plan limits: a gauge per window with its reset, countdown, source and age.
    panel.wait_for_text("limits", "Weekly").await?;
    let gauges = panel
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
    let reset = panel.text("limit-reset").await?;
    assert!(
        reset.starts_with("resets ")
            && (reset.ends_with(" · in 2h 9m") || reset.ends_with(" · in 2h 10m")),
        "{reset}"
    );
    let projection = panel.text("limit-projection").await?;
    assert!(
        projection.starts_with("At this pace the session "),
        "{projection}"
    );

    // Refresh goes over IPC to the app, which polls and pushes the new state back.
    let before = server.requests_to("/api/v2/summary.json").await;
    server.set_step(2);
    panel.click("[data-testid=refresh]").await?;
    panel.wait_for_text("summary", "(identified)").await?;
    assert!(server.requests_to("/api/v2/summary.json").await > before);

    panel.close("panel-webdriver.png").await
}

/// Claude Code's status line reports these limits (through `ccpulse statusline`, as installed).
fn feed_limits(desktop: &Desktop, session: f64, weekly: f64) -> Result<()> {
    let resets = chrono::Utc::now().timestamp() + 2 * 3600 + 600;
    ccpulse_tests::cli::feed_statusline(desktop, &statusline::input(session, resets, weekly))
}

/// Claude Code's login in `~/.claude/.credentials.json`, expiring `expires_in` from now.
fn plant_login(desktop: &Desktop, token: &str, expires_in: chrono::Duration) -> Result<()> {
    let dir = desktop.home().join(".claude");
    std::fs::create_dir_all(&dir)?;
    let credentials = json!({"claudeAiOauth": {
        "accessToken": token, "refreshToken": "sk-ant-ort01-PANEL-refresh",
        "expiresAt": (chrono::Utc::now() + expires_in).timestamp_millis(),
        "scopes": ["user:inference", "user:profile"], "subscriptionType": "max"}});
    std::fs::write(dir.join(".credentials.json"), credentials.to_string())?;
    Ok(())
}

async fn wait_for_clipboard(desktop: &Desktop, want: &str) -> Result<()> {
    let x = desktop.x11()?;
    poll_until_async(&format!("the clipboard to hold {want:?}"), T, || async {
        let got = x.clipboard_text(Duration::from_secs(5))?;
        ensure!(got.as_deref() == Some(want), "it holds {got:?}");
        Ok(Some(()))
    })
    .await
}

const KEY: &str = "sk-ant-api03-PANEL-planted-key-0123456789";

/// A session limit hit, the weekly window near its limit, an open incident, an API key in the
/// environment and an expired login, all at once: each has its card, the most pressing first;
/// copy puts a command on the clipboard, "More" and the search find the reference's entries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panel_says_what_to_do_about_limits_an_incident_a_key_and_the_login() -> Result<()> {
    let server = TimelineServer::start().await?;
    server.set_step(1);
    let desktop = Desktop::new()?;
    feed_limits(&desktop, 100.0, 86.0)?;
    plant_login(
        &desktop,
        "sk-ant-oat01-PANEL-expired",
        -chrono::Duration::hours(2),
    )?;
    let panel = Panel::open(desktop, &server.uri(), &[("ANTHROPIC_API_KEY", KEY)]).await?;

    let advice = panel
        .wait_for_advice(&[
            "limit-hit:session",
            "wave",
            "api-key",
            "limit-near:weekly",
            "login",
        ])
        .await?;
    let entries: Vec<&str> = advice.iter().map(|a| a.1.as_str()).collect();
    assert_eq!(
        entries,
        [
            "session-limit",
            "overloaded",
            "api-key-overrides-subscription",
            "weekly-limit",
            "oauth-expired"
        ]
    );
    assert!(
        advice[0]
            .2
            .starts_with("Session (5h) limit reached: resets "),
        "{advice:?}"
    );
    assert_eq!(
        advice[1].2,
        "Overload reported: Elevated errors on Claude Opus 4.5"
    );
    assert_eq!(
        panel.script(
            "return document.querySelector('[data-advice-id=\"limit-hit:session\"]').dataset.tone"
        )
        .await?,
        "outage"
    );
    let page = panel.script("return document.body.textContent").await?;
    let page = page.as_str().unwrap_or_default();
    assert!(
        page.contains("ANTHROPIC_API_KEY in the environment"),
        "{page}"
    );
    assert!(
        !page.contains(KEY) && !page.contains("PANEL-expired"),
        "a secret on the page"
    );

    // Copy: the command is on the clipboard, and the button says so.
    panel
        .click("[data-advice-id=\"limit-hit:session\"] [data-copy=\"/usage-credits\"]")
        .await?;
    wait_for_clipboard(panel.desktop(), "/usage-credits").await?;
    panel.wait_for(
        "the button to say Copied",
        "const b = document.querySelector('[data-advice-id=\"limit-hit:session\"] [data-copy=\"/usage-credits\"]'); \
         return b && b.textContent === 'Copied' ? true : null",
    )
    .await?;
    panel.screenshot("panel-advice.png").await?;

    // "More" opens the entry in the reference.
    panel
        .click("[data-advice-id=\"limit-hit:session\"] [data-testid=advice-more]")
        .await?;
    let open = panel
        .wait_for(
            "the session-limit entry, open",
            "const r = document.getElementById('reference'); \
             const e = document.querySelector('[data-entry-id=\"session-limit\"]'); \
             return !r.hidden && e && e.open ? e.querySelector('summary').textContent : null",
        )
        .await?;
    assert!(!open.as_str().unwrap_or_default().is_empty());
    assert_eq!(
        panel
            .script("return document.getElementById('panel').hidden")
            .await?,
        true
    );

    // Search: a pasted message finds its entry first.
    panel.script("const s = document.getElementById('search'); s.value = ''; s.dispatchEvent(new Event('input')); return null")
        .await?;
    panel.wait_for_text("reference-count", "All ").await?;
    // An entry the user unfolds stays unfolded when the page is drawn again.
    panel.click("[data-entry-id=overloaded] summary").await?;
    let unfolded = panel
        .script(
            "window.dispatchEvent(new Event('focus')); \
             return document.querySelector('[data-entry-id=overloaded]').open",
        )
        .await?;
    assert_eq!(unfolded, true);
    panel.type_into("#search", "Prompt is too long").await?;
    let first = panel
        .wait_for(
            "the search to answer",
            "const c = document.getElementById('reference-count').textContent; \
             return c.includes('Prompt is too long') ? [...document.querySelectorAll('[data-testid=entry]')].map(e => e.dataset.entryId) : null",
        )
        .await?;
    assert_eq!(first[0], "prompt-too-long", "{first}");
    panel.close("panel-reference.png").await
}

/// Nothing answers: "No connection", the way to check the machine, and the last reading's age.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panel_says_what_to_do_when_offline() -> Result<()> {
    let desktop = Desktop::new()?;
    let panel = Panel::open(desktop, "http://127.0.0.1:9", &[]).await?;
    let advice = panel.wait_for_advice(&["offline"]).await?;
    assert_eq!(advice[0].1, "unable-to-connect");
    assert_eq!(advice[0].2, "No connection");
    let command = panel.text("step-command").await?;
    assert_eq!(command, "ccpulse doctor");
    let stale = panel.text("stale-notice").await?;
    assert!(
        stale.starts_with("Offline — no status received yet"),
        "{stale}"
    );
    panel.close("panel-offline.png").await
}

/// The status page answers with an error page: said as such, not as an outage of Claude.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panel_says_what_to_do_when_the_status_page_fails() -> Result<()> {
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_raw("<html><body>Service Unavailable</body></html>", "text/html"),
        )
        .mount(&server)
        .await;
    let desktop = Desktop::new()?;
    let panel = Panel::open(desktop, &server.uri(), &[]).await?;
    let advice = panel.wait_for_advice(&["status-page"]).await?;
    assert_eq!(advice[0].2, "The status page is not answering");
    let detail = panel.text("advice-detail").await?;
    assert!(detail.contains("HTTP 503"), "{detail}");
    let stale = panel.text("stale-notice").await?;
    assert!(
        stale.starts_with("Status page not answering — no status received yet"),
        "{stale}"
    );
    panel.close("panel-status-page-down.png").await
}

/// Real 529 retry records written in the last minutes, and the usage endpoint saying the weekly
/// Opus cap is used up: the wave and the model limit each have their card, and the activity
/// card counts the errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panel_says_what_to_do_in_a_529_wave_and_at_the_opus_limit() -> Result<()> {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let status = TimelineServer::start().await?;
    let desktop = Desktop::new()?;

    // The real client's records of a 529 that ran out of retries, moved to a minute ago.
    let now = chrono::Utc::now();
    ccpulse_tests::claude_code::plant_recent_overload(
        &desktop.home().join(".claude"),
        now,
        &[90, 60],
    )?;

    // The usage endpoint's four-window shape, with the Opus cap used up until next week.
    let mut usage: Value = serde_json::from_slice(&std::fs::read(
        ccpulse_tests::fixtures_dir().join("oauth-usage/four-windows-2026-01.json"),
    )?)?;
    let later = |h: i64| (now + chrono::Duration::hours(h)).to_rfc3339();
    for (window, used, resets) in [
        ("five_hour", 12.0, later(3)),
        ("seven_day", 40.0, later(100)),
        ("seven_day_sonnet", 20.0, later(100)),
        ("seven_day_opus", 100.0, later(100)),
    ] {
        usage[window] = json!({"utilization": used, "resets_at": resets});
    }
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/oauth/usage"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&usage))
        .mount(&api)
        .await;
    plant_login(
        &desktop,
        "sk-ant-oat01-PANEL-valid",
        chrono::Duration::hours(6),
    )?;

    let panel = Panel::open(desktop, &status.uri(), &[("CCPULSE_API_URL", &api.uri())]).await?;
    let advice = panel
        .wait_for_advice(&["limit-hit:model:Opus", "wave"])
        .await?;
    assert_eq!(advice[0].1, "model-limit");
    assert!(
        advice[0]
            .2
            .starts_with("Weekly Opus limit reached: resets "),
        "{advice:?}"
    );
    assert_eq!(advice[1].1, "overloaded");
    assert_eq!(advice[1].2, "Claude is overloaded: 8 errors in 15 min");
    let steps = panel
        .script("return [...document.querySelectorAll('[data-advice-id=\"limit-hit:model:Opus\"] [data-testid=step-command]')].map(e => e.textContent)")
        .await?;
    assert_eq!(steps[0], "/model", "{steps}");
    let errors = panel
        .wait_for_text("activity-errors", "API errors: ")
        .await?;
    assert!(errors.ends_with("over the last 15 min (8)"), "{errors}");
    panel.close("panel-wave.png").await
}
