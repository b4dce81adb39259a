//! The forecast notice end to end: Claude Code's status line reports a session window that
//! climbs, fed through `ccpulse statusline` as Claude Code runs it, to a running tray on a
//! private desktop (Xvfb, D-Bus, dunst, a stand-in tray host).
//!
//! Time: the tray reads the real clock, and a status line input carries no time of its own,
//! only each window's `resets_at`. That is enough: a window begins 5 hours before it resets,
//! at 0%, so a reading of 20% in a window that resets in 4 h 30 min says 20% in the half hour
//! since it began: 40% an hour, full about 2 hours from now, hours before the reset. The pace
//! comes from the window's start and the readings, all real, and the margins are hours wide,
//! so how fast the machine runs the test does not change what is announced; every wait is a
//! poll for a condition.
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use std::time::Duration;

use anyhow::{ensure, Result};
use ccpulse_tests::cli::feed_statusline;
use ccpulse_tests::statuspage::TimelineServer;
use ccpulse_tests::{statusline, Desktop, SniHost};

const T: Duration = Duration::from_secs(20);

fn start_tray(desktop: &Desktop, server: &TimelineServer) -> Result<ccpulse_tests::ProcessGuard> {
    let mut cmd = desktop.tray_command(&server.uri(), "")?;
    cmd.env("TZ", "UTC").env("LANG", "en_US.UTF-8");
    desktop.spawn("ccpulse-tray", cmd)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_climbing_session_is_forecast_once_before_its_thresholds_and_not_after_a_restart(
) -> Result<()> {
    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    let host = SniHost::start(&desktop).await?;
    let mut app = start_tray(&desktop, &server)?;
    let item = host.wait_for_item(T).await?;
    item.wait_for_tooltip("Claude: operational", T).await?;

    // A window that began half an hour ago, at 20% already.
    let resets = chrono::Utc::now().timestamp() + 4 * 3600 + 30 * 60;
    feed_statusline(&desktop, &statusline::input(20.0, resets, 18.0))?;
    let got = desktop.wait_for_notifications(1, T)?;
    let forecast = &got[0];
    ensure!(
        forecast
            .summary
            .starts_with("At this pace the 5-hour limit is reached at ")
            && forecast.summary.ends_with(" before it resets"),
        "{:?}\n{}",
        forecast.summary,
        app.log_excerpt()
    );
    ensure!(
        forecast.body.contains("/model") && forecast.body.contains("/usage-credits"),
        "{:?}",
        forecast.body
    );
    let tip = item
        .wait_for_tooltip("Session (5h) 20% · resets ", T)
        .await?;
    ensure!(tip.contains(" · at this pace full at "), "{tip:?}");

    // It climbs: the thresholds are announced, the forecast not again.
    feed_statusline(&desktop, &statusline::input(50.0, resets, 18.0))?;
    item.wait_for_tooltip("Session (5h) 50%", T).await?;
    feed_statusline(&desktop, &statusline::input(81.0, resets, 18.0))?;
    desktop.wait_for_notifications(2, T)?;
    feed_statusline(&desktop, &statusline::input(96.0, resets, 18.0))?;
    desktop.wait_for_notifications(3, T)?;

    // Every reading is in the history, in the state dir.
    let history = desktop.state_home().join("ccpulse/limit-history.txt");
    let text = std::fs::read_to_string(&history)?;
    ensure!(text.starts_with("ccpulse limit history 1\n"), "{text}");
    for percent in ["20", "50", "81", "96"] {
        ensure!(
            text.contains(&format!(" s {percent} {resets} session\n")),
            "{percent}% missing:\n{text}"
        );
    }

    // A restart: the history and the ledger come back; the same pace, nothing again.
    app.terminate(Duration::from_secs(5))?;
    host.wait_for_item_gone(&item, T).await?;
    let app = start_tray(&desktop, &server)?;
    let item = host.wait_for_item(T).await?;
    item.wait_for_tooltip("Session (5h) 96%", T).await?;
    feed_statusline(&desktop, &statusline::input(97.0, resets, 18.0))?;
    let tip = item.wait_for_tooltip("Session (5h) 97%", T).await?;
    ensure!(tip.contains(" · at this pace full at "), "{tip:?}");

    let got = desktop.notifications_after_quiet(Duration::from_millis(1500), T)?;
    let summaries: Vec<&str> = got.iter().map(|n| n.summary.as_str()).collect();
    ensure!(summaries.len() == 3, "{summaries:?}\n{}", app.log_excerpt());
    ensure!(
        summaries[0].starts_with("At this pace the 5-hour limit"),
        "{summaries:?}"
    );
    ensure!(
        summaries[1].starts_with("Session limit at 81%"),
        "{summaries:?}"
    );
    ensure!(
        summaries[2].starts_with("Session limit at 96%"),
        "{summaries:?}"
    );
    Ok(())
}
