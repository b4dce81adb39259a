//! A spend limit end to end: Claude Code's status line input carries `rate_limits.spend_limit`
//! (a session through a Claude apps gateway, its cap in USD), fed through `ccpulse statusline`
//! as Claude Code runs it. The spend window then shows in `ccpulse status --json`, in the
//! status line's own output once near, in the running tray's tooltip with a threshold
//! notification (dunst), and as a gauge in the panel.
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use std::time::Duration;

use anyhow::{ensure, Result};
use ccpulse_tests::cli::statusline_line;
use ccpulse_tests::statuspage::TimelineServer;
use ccpulse_tests::{Ccpulse, Desktop, Panel, SniHost};
use serde_json::{json, Value};

const T: Duration = Duration::from_secs(20);

/// The status line input of a gateway session: the 5-hour and weekly windows, and a monthly
/// spend limit at `spend` percent of $50, resetting at `resets` (epoch seconds). Field names
/// and units as Claude Code writes them: percent 0-100, epoch seconds, amounts in USD.
fn input(spend: f64, resets: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    json!({
        "session_id": "e280bc6e-9d9a-4224-84f8-6d516f8eb4f2",
        "model": {"id": "claude-sonnet-4-5", "display_name": "Sonnet 4.5"},
        "version": "2.1.332",
        "cost": {"total_cost_usd": 0.12},
        "rate_limits": {
            "five_hour": {"used_percentage": 12, "resets_at": now + 2 * 3600},
            "seven_day": {"used_percentage": 17, "resets_at": now + 3 * 86_400},
            "spend_limit": {
                "used_percentage": spend,
                "resets_at": resets,
                "used_usd": spend / 2.0,
                "limit_usd": 50,
                "period": "monthly"
            }
        }
    })
    .to_string()
}

/// A reset 20 days on, on the minute.
fn monthly_reset() -> i64 {
    (chrono::Utc::now().timestamp() + 20 * 86_400) / 60 * 60
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spend_limit_shows_everywhere_and_its_threshold_is_announced() -> Result<()> {
    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    let host = SniHost::start(&desktop).await?;
    let mut cmd = desktop.tray_command(&server.uri(), "")?;
    cmd.env("TZ", "UTC").env("LANG", "en_US.UTF-8");
    let _app = desktop.spawn("ccpulse-tray", cmd)?;
    let item = host.wait_for_item(T).await?;
    item.wait_for_tooltip("Claude: operational", T).await?;

    // Below the thresholds: shown in the line only as the session and the week.
    let resets = monthly_reset();
    let line = statusline_line(&desktop, &input(40.0, resets))?;
    ensure!(
        line.starts_with("5h 12% ") && line.contains(" · wk 17% · ") && !line.contains("spend"),
        "{line:?}"
    );
    item.wait_for_tooltip("Spend (monthly) 40% · $20.00 of $50.00 · resets ", T)
        .await?;

    // Claude Code reports 85% of the monthly cap: the line names it, the tray announces it.
    let line = statusline_line(&desktop, &input(85.0, resets))?;
    ensure!(line.contains(" · spend 85% · "), "{line:?}");
    let got = desktop.wait_for_notifications(1, T)?;
    let at = chrono::DateTime::from_timestamp(resets, 0).unwrap();
    let want = format!(
        "Monthly spend limit at 85%: resets {} {}",
        at.format("%b %-d"),
        at.format("%-I:%M%P")
    );
    ensure!(got[0].summary == want, "{:?} != {want:?}", got[0].summary);
    ensure!(got[0].body.contains("15% left"), "{:?}", got[0].body);
    let tip = item
        .wait_for_tooltip("Spend (monthly) 85% · $42.50 of $50.00 · resets ", T)
        .await?;
    ensure!(tip.contains("\nSession (5h) 12% · "), "{tip:?}");
    // The same figure again announces nothing new.
    statusline_line(&desktop, &input(86.0, resets))?;
    item.wait_for_tooltip("Spend (monthly) 86%", T).await?;
    let got = desktop.notifications_after_quiet(Duration::from_millis(1500), T)?;
    ensure!(got.len() == 1, "{got:#?}");

    // `ccpulse status --json`: the figures and the row.
    let out = Ccpulse::on(&desktop)
        .status_url(server.uri())
        .env("TZ", "UTC")
        .args(["status", "--json"])
        .output();
    ensure!(out.status.success(), "status: {out:?}");
    let v: Value = serde_json::from_slice(&out.stdout)?;
    let spend = &v["limits"]["spend"];
    ensure!(
        spend["used_percent"] == 86.0
            && spend["used_usd"] == 43.0
            && spend["limit_usd"] == 50.0
            && spend["period"] == "monthly"
            && spend["source"] == "statusline"
            && spend["resets_at"] == at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "{spend:#}"
    );
    let rows = v["limits"]["rows"].as_array().cloned().unwrap_or_default();
    let row = rows
        .iter()
        .find(|r| r["id"] == "spend:monthly")
        .ok_or_else(|| anyhow::anyhow!("no spend row: {rows:#?}"))?;
    ensure!(
        row["tone"] == "degraded" && row["amount"] == "$43.00 of $50.00",
        "{row:#}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panel_shows_a_spend_gauge() -> Result<()> {
    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    ccpulse_tests::cli::feed_statusline(&desktop, &input(96.0, monthly_reset()))?;
    let panel = Panel::open(desktop, &server.uri(), &[]).await?;
    panel.wait_for_text("limits", "Spend (monthly)").await?;
    let gauge = panel
        .script(
            "const g = document.querySelector('[data-testid=limit][data-limit-id=\"spend:monthly\"]'); \
             return g && [g.dataset.tone, g.querySelector('[data-testid=limit-label]').textContent, \
             g.querySelector('[data-testid=limit-percent]').textContent, g.querySelector('progress').value, \
             g.querySelector('[data-testid=limit-amount]').textContent, \
             g.querySelector('[data-testid=limit-reset]').textContent]",
        )
        .await?;
    let parts = gauge.as_array().cloned().unwrap_or_default();
    ensure!(
        parts.len() == 6
            && parts[..5]
                == [
                    json!("outage"),
                    json!("Spend (monthly)"),
                    json!("96%"),
                    json!(96),
                    json!("$48.00 of $50.00")
                ],
        "{gauge}"
    );
    let reset = parts[5].as_str().unwrap_or_default();
    ensure!(
        reset.starts_with("resets ") && reset.contains(" · in 19d "),
        "{reset}"
    );
    panel.close("panel-spend-limit.png").await
}
