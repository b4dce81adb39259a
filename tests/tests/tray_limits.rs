//! `ccpulse-tray` end to end, plan limits: thresholds, a limit hit and its reset announced once
//! each, the settings changed while it runs, and the OAuth usage endpoint read with Claude Code's
//! login (the token going nowhere else). A private desktop (Xvfb, D-Bus, dunst, a stand-in tray
//! host) and a loopback Statuspage, as in `tray.rs`.
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use std::process::Command;
use std::time::Duration;

use anyhow::{ensure, Result};
use ccpulse_tests::statuspage::TimelineServer;
use ccpulse_tests::wait::poll_until_async;
use ccpulse_tests::{statusline, Desktop, Item, SniHost};

const T: Duration = Duration::from_secs(20);

/// The tray on `desktop`, reading `server` and its own state dir; `config` is added to its
/// config file. The usage endpoint is a loopback port nothing listens on, unless the test sets
/// another.
fn tray_command(desktop: &Desktop, server: &TimelineServer, config: &str) -> Result<Command> {
    desktop.tray_command(&server.uri(), config)
}

async fn wait_for_tooltip(item: &Item, want: &str) -> Result<String> {
    item.wait_for_tooltip(want, T).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_thresholds_and_the_reset_are_announced_once_each() -> Result<()> {
    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    let host = SniHost::start(&desktop).await?;
    // No login here: the OAuth source reports why, offline.
    let mut cmd = tray_command(&desktop, &server, "")?;
    cmd.env("TZ", "UTC").env("LANG", "en_US.UTF-8");
    let app = desktop.spawn("ccpulse-tray", cmd)?;
    let item = host.wait_for_item(T).await?;
    wait_for_tooltip(&item, "Claude: operational").await?;
    item.wait_for_menu_label(|l| l == "Plan limits: not known yet", T)
        .await?;

    // Claude Code reports 81%, then 96%, of a window that resets in two hours...
    let now = chrono::Utc::now().timestamp();
    let first = now + 2 * 3600;
    ccpulse_tests::cli::feed_statusline(&desktop, &statusline::input(81.0, first, 18.0))?;
    desktop.wait_for_notifications(1, T)?;
    wait_for_tooltip(&item, "Session (5h) 81% · resets ").await?;
    ccpulse_tests::cli::feed_statusline(&desktop, &statusline::input(84.0, first, 18.0))?;
    wait_for_tooltip(&item, "Session (5h) 84%").await?;
    ccpulse_tests::cli::feed_statusline(&desktop, &statusline::input(96.0, first, 18.0))?;
    desktop.wait_for_notifications(2, T)?;
    let tip = wait_for_tooltip(&item, "Session (5h) 96%").await?;
    assert!(tip.contains("\nWeekly 18% · resets "), "{tip:?}");
    // The session gauge around the icon turns amber from 80%.
    assert!(
        item.icon_pixels_near([0xFF, 0xC8, 0x3D]).await? > 50,
        "amber session ring"
    );
    item.wait_for_menu_label(|l| l.starts_with("Session (5h) 96% · resets "), T)
        .await?;

    // ...then a new window has begun.
    ccpulse_tests::cli::feed_statusline(&desktop, &statusline::input(4.0, first + 5 * 3600, 18.0))?;
    desktop.wait_for_notifications(3, T)?;
    wait_for_tooltip(&item, "Session (5h) 4%").await?;
    assert_eq!(item.icon_pixels_near([0xFF, 0xC8, 0x3D]).await?, 0);

    let got = desktop.notifications_after_quiet(Duration::from_millis(1500), T)?;
    let summaries: Vec<&str> = got.iter().map(|n| n.summary.as_str()).collect();
    let at = chrono::DateTime::from_timestamp(first, 0).unwrap();
    let today = chrono::DateTime::from_timestamp(now, 0)
        .unwrap()
        .date_naive();
    let time = at.format("%-I:%M%P").to_string();
    let when = if at.date_naive() == today {
        time
    } else {
        format!("{} {time}", at.format("%a"))
    };
    assert_eq!(
        summaries,
        [
            format!("Session limit at 81%: resets {when}"),
            format!("Session limit at 96%: resets {when}"),
            "Session limit reset: you can continue".to_string(),
        ],
        "{}",
        app.log_excerpt()
    );
    assert!(got[1].body.contains("/usage"), "{:?}", got[1].body);
    Ok(())
}

/// The config file edited while the tray runs: its thresholds apply at once. At 85% with a
/// threshold of 90 the session ring is white and nothing is announced; the file is changed to 80,
/// and the ring turns amber and the 85% is announced, without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_changed_in_the_config_file_apply_without_a_restart() -> Result<()> {
    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    let host = SniHost::start(&desktop).await?;
    let cmd = tray_command(&desktop, &server, "limit_thresholds = [90]\n")?;
    let config = desktop.config_home().join("ccpulse/config.toml");
    let app = desktop.spawn("ccpulse-tray", cmd)?;
    let item = host.wait_for_item(T).await?;
    wait_for_tooltip(&item, "Claude: operational").await?;

    let resets = chrono::Utc::now().timestamp() + 2 * 3600;
    ccpulse_tests::cli::feed_statusline(&desktop, &statusline::input(85.0, resets, 18.0))?;
    wait_for_tooltip(&item, "Session (5h) 85%").await?;
    assert_eq!(
        item.icon_pixels_near([0xFF, 0xC8, 0x3D]).await?,
        0,
        "below the threshold in use, the ring is white"
    );

    // A half-written file is refused and changes nothing; the whole one applies.
    let log = desktop.state_home().join("ccpulse/ccpulse.log");
    std::fs::write(&config, "[notifications\n")?;
    poll_until_async("the broken file refused in the log", T, || async {
        let text = std::fs::read_to_string(&log)?;
        Ok(text.contains("keeping the settings in use").then_some(()))
    })
    .await?;
    std::fs::write(
        &config,
        "[status]\npoll_secs = 3600\n[notifications]\ngroup_secs = 2\nlimit_thresholds = [80]\n",
    )?;
    poll_until_async("the amber session ring", T, || async {
        Ok((item.icon_pixels_near([0xFF, 0xC8, 0x3D]).await? > 50).then_some(()))
    })
    .await?;
    desktop.wait_for_notifications(1, T)?;
    let got = desktop.notifications_after_quiet(Duration::from_millis(1500), T)?;
    let summaries: Vec<&str> = got.iter().map(|n| n.summary.as_str()).collect();
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    assert!(
        summaries[0].starts_with("Session limit at 85%"),
        "{summaries:?}\n{}",
        app.log_excerpt()
    );
    let log = std::fs::read_to_string(&log)?;
    ensure!(log.contains("settings reloaded"), "{log}");
    Ok(())
}

/// The tray polls the OAuth usage endpoint with Claude Code's login: the figures reach the
/// tooltip and a notification, and the planted token reaches only the endpoint's
/// Authorization header: not the tray's log, the notifications, the tooltip, the menu or any
/// file it writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tray_reads_oauth_usage_and_the_token_goes_nowhere_else() -> Result<()> {
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    const TOKEN: &str = "sk-ant-oat01-PLANTED-7ray-secret";

    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    let host = SniHost::start(&desktop).await?;
    let claude = desktop.home().join(".claude");
    std::fs::create_dir_all(&claude)?;
    let credentials = serde_json::json!({"claudeAiOauth": {
        "accessToken": TOKEN, "refreshToken": "sk-ant-ort01-PLANTED-refresh",
        "expiresAt": chrono::Utc::now().timestamp_millis() + 3_600_000,
        "scopes": ["user:inference", "user:profile"], "subscriptionType": "max"
    }})
    .to_string();
    std::fs::write(claude.join(".credentials.json"), &credentials)?;
    // The real shape, its reset times moved into the future and the session at 82%.
    let now = chrono::Utc::now();
    let fixture = std::fs::read_to_string(
        ccpulse_tests::fixtures_dir().join("oauth-usage/limits-array-2026-07.json"),
    )?;
    let session_reset = (now + chrono::Duration::hours(1)).to_rfc3339();
    let weekly_reset = (now + chrono::Duration::days(3)).to_rfc3339();
    let body = fixture
        .replace("2026-07-03T00:30:00.282668+00:00", &session_reset)
        .replace("2026-07-08T09:00:00.282694+00:00", &weekly_reset)
        .replace("2026-07-08T09:00:00.283070+00:00", &weekly_reset)
        .replace("\"utilization\": 11.0", "\"utilization\": 82.0")
        .replace("\"percent\": 11,", "\"percent\": 82,");
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/oauth/usage"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_string(body))
        .mount(&api)
        .await;

    let state = desktop.state_home().join("ccpulse");
    let mut cmd = tray_command(&desktop, &server, "")?;
    // Everything the tray logs, into its log file in the state dir (checked below).
    cmd.env("CCPULSE_API_URL", api.uri())
        .env("CCPULSE_LOG", "trace")
        .env("TZ", "UTC")
        .env("LANG", "en_US.UTF-8");
    let app = desktop.spawn("ccpulse-tray", cmd)?;
    let item = host.wait_for_item(T).await?;
    let tip = wait_for_tooltip(&item, "Session (5h) 82%").await?;
    assert!(tip.contains("Weekly 9%"), "{tip:?}");
    desktop.wait_for_notifications(1, T)?;
    let got = desktop.notifications_after_quiet(Duration::from_millis(1500), T)?;
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].summary.starts_with("Session limit at 82%"),
        "{got:?}"
    );
    let labels: Vec<String> = item.menu().await?.into_iter().map(|e| e.label).collect();

    // Everything the tray said or wrote.
    let mut said = vec![app.log(), tip];
    said.extend(labels);
    said.extend(got.iter().flat_map(|n| [n.summary.clone(), n.body.clone()]));
    let mut files = Vec::new();
    let mut dirs = vec![state.clone(), desktop.logs_dir()];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                dirs.push(e.path());
            } else {
                files.push(e.path());
            }
        }
    }
    ensure!(
        files.iter().any(|f| f.ends_with("oauth-usage.json")),
        "{files:?}"
    );
    let log = std::fs::read_to_string(state.join("ccpulse.log"))?;
    ensure!(
        log.contains("OAuth usage: read") && log.contains("notifying: Session limit at 82%"),
        "the tray's log says what it did: {log}"
    );
    for f in &files {
        said.push(String::from_utf8_lossy(&std::fs::read(f)?).into_owned());
    }
    for text in &said {
        ensure!(!text.contains("PLANTED"), "the token leaked: {text}");
    }
    ensure!(
        std::fs::read_to_string(claude.join(".credentials.json"))? == credentials,
        "the login is read, never written"
    );
    // One request, on the schedule; the token only in its header (the matcher checked it).
    assert_eq!(api.received_requests().await.unwrap_or_default().len(), 1);
    Ok(())
}
