//! The panel's History tab in the real WebKit webview, driven over WebDriver: it renders from a
//! generated history; the numbers behind a day's bar are that day of `ccpulse usage daily
//! --json`; focus on a bar (keyboard) shows its values; 90 days and the table view; screenshots
//! kept as artifacts.
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use anyhow::{Context, Result};
use ccpulse_tests::panel::TIMEOUT as T;
use ccpulse_tests::wait::poll_until_async;
use ccpulse_tests::{Ccpulse, Desktop, Panel};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_tab_shows_the_daily_report_and_bars_answer_focus() -> Result<()> {
    let desktop = Desktop::new()?;
    let root = desktop.home().join("claude");
    ccpulse_tests::history::write_recent(&root, 100, chrono::Utc::now())?;
    let roots = root.display().to_string();
    // The status page at a dead port: the tab needs none of it.
    let panel = Panel::open(
        desktop,
        "http://127.0.0.1:9",
        &[("CLAUDE_CONFIG_DIR", &roots)],
    )
    .await?;

    panel.click("[data-testid=tab-history]").await?;
    let bars = panel
        .wait_for(
            "the History tab's bars",
            "const b = document.querySelectorAll('#history [data-testid=history-bar]'); \
             return b.length ? b.length : null",
        )
        .await?;
    assert_eq!(bars, 30);

    // The daily report, from the CLI over the same transcripts (the panel runs in UTC).
    let out = Ccpulse::on(panel.desktop())
        .claude_config_dir(&roots)
        .args(["usage", "daily", "--json", "-z", "UTC"])
        .output();
    anyhow::ensure!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let daily: Value = serde_json::from_slice(&out.stdout)?;
    let rows = daily["daily"].as_array().context("daily rows")?;
    // Yesterday: a whole day (every seventh day back has none; pick one with use).
    let row = rows
        .iter()
        .rev()
        .skip(1)
        .find(|r| r["totalTokens"].as_u64() > Some(0))
        .context("a day with use")?;
    let date = row["date"].as_str().context("date")?;
    let bar = panel
        .script(&format!(
            "const b = document.querySelector('[data-testid=history-bar][data-date=\"{date}\"]'); \
             return b && [Number(b.dataset.cost), Number(b.dataset.tokens), \
             [...b.querySelectorAll('rect.seg')].map(s => [s.dataset.model, Number(s.dataset.cost)])]"
        ))
        .await?;
    assert_eq!(bar[0], row["totalCost"], "{date}: cost");
    assert_eq!(bar[1], row["totalTokens"], "{date}: tokens");
    let mut segments: Vec<(String, f64)> = serde_json::from_value(bar[2].clone())?;
    let mut models: Vec<(String, f64)> = row["modelBreakdowns"]
        .as_array()
        .context("breakdowns")?
        .iter()
        .map(|m| {
            (
                m["modelName"].as_str().unwrap_or_default().to_string(),
                m["cost"].as_f64().unwrap_or(0.0),
            )
        })
        .collect();
    segments.sort_by(|a, b| a.0.cmp(&b.0));
    models.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(segments, models, "{date}: a segment per model");
    // The table view has the same numbers.
    let table = panel
        .script(&format!(
            "const r = document.querySelector('[data-testid=history-table] tr[data-date=\"{date}\"]'); \
             return r && [Number(r.dataset.cost), Number(r.dataset.tokens)]"
        ))
        .await?;
    assert_eq!(table[0], row["totalCost"]);
    assert_eq!(table[1], row["totalTokens"]);

    // The keyboard: Tab reaches the chart (today's bar), Left moves to yesterday, and the
    // readout says that day's values.
    panel
        .script("document.querySelector('[data-testid=history-table-toggle]').focus(); return null")
        .await?;
    panel
        .type_into("[data-testid=history-table-toggle]", "\u{E004}")
        .await?; // Tab
    let today = rows.last().context("today")?["date"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let active = panel
        .script("return document.activeElement.dataset.date || null")
        .await?;
    let active = if active.is_null() {
        // The focus order differs by WebKit version: focus the chart's tab stop directly.
        panel
            .script("const b = document.querySelector('[data-testid=history-bar][tabindex=\"0\"]'); b.focus(); return b.dataset.date")
            .await?
    } else {
        active
    };
    assert_eq!(
        active,
        today.as_str(),
        "today's bar is the chart's tab stop"
    );
    panel
        .type_into("[data-testid=history-bar][tabindex=\"0\"]", "\u{E012}")
        .await?; // Left
    let yesterday = poll_until_async("focus on yesterday's bar", T, || async {
        let v = panel
            .script("return document.activeElement.dataset.date || null")
            .await?;
        Ok((!v.is_null() && v != today.as_str()).then_some(v))
    })
    .await?;
    let y_row = rows.iter().find(|r| r["date"] == yesterday);
    let readout = panel.text("history-readout").await?;
    let label = panel
        .script("return document.activeElement.getAttribute('aria-label')")
        .await?;
    assert_eq!(
        readout,
        label.as_str().unwrap_or_default(),
        "the readout is the bar's label"
    );
    if let Some(r) = y_row {
        let cost = format!("${:.2}", r["totalCost"].as_f64().unwrap_or(0.0));
        assert!(readout.contains(&cost), "{readout} has {cost}");
    } else {
        assert!(readout.ends_with("no use"), "{readout}");
    }
    panel.screenshot("history-30-days-focus.png").await?;

    // 90 days, tokens, and the table shown.
    panel
        .click("[data-testid=history-days] button[data-value=\"90\"]")
        .await?;
    panel
        .wait_for(
            "90 bars",
            "return document.querySelectorAll('[data-testid=history-bar]').length === 90 || null",
        )
        .await?;
    panel
        .click("[data-testid=history-metric] button[data-value=\"tokens\"]")
        .await?;
    panel.click("[data-testid=history-table-toggle]").await?;
    let shown = panel
        .script("return !document.querySelector('[data-testid=history-table]').classList.contains('visually-hidden')")
        .await?;
    assert_eq!(shown, true);
    let heat = panel
        .script("return [...document.querySelectorAll('#history rect.heat')].reduce((n, c) => n + Number(c.dataset.tokens), 0)")
        .await?;
    let since = panel
        .script("return document.querySelector('[data-testid=history-bar]').dataset.date")
        .await?;
    let in_range: u64 = rows
        .iter()
        .filter(|r| r["date"].as_str() >= since.as_str())
        .map(|r| r["totalTokens"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(
        heat.as_u64(),
        Some(in_range),
        "the heatmap holds the shown days' tokens"
    );
    assert_eq!(
        panel
            .script("return document.querySelector('[data-testid=history-limits]')")
            .await?,
        Value::Null,
        "no limit history: no section"
    );
    panel.close("history-90-days-tokens-table.png").await
}

/// The plan limits over time come from the limit history the tray keeps in the state dir: each
/// day's highest reading of each window, in the chart and in its table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_tab_draws_the_plan_limits_from_the_limit_history() -> Result<()> {
    let desktop = Desktop::new()?;
    let root = desktop.home().join("claude");
    let now = chrono::Utc::now();
    ccpulse_tests::history::write_recent(&root, 10, now)?;
    let state = desktop.state_home().join("ccpulse");
    std::fs::create_dir_all(&state)?;
    let at = |hours_ago: i64| (now - chrono::Duration::hours(hours_ago)).timestamp();
    let day = |hours_ago: i64| {
        (now - chrono::Duration::hours(hours_ago))
            .format("%Y-%m-%d")
            .to_string()
    };
    // Yesterday's session windows reached 35% and 88%, today's 20% so far; the week read 40%
    // yesterday and 47% today; the Opus week once, today.
    let readings = [
        (30, "s", 35.0, "session"),
        (26, "s", 88.0, "session"),
        (26, "s", 40.0, "weekly"),
        (1, "o", 20.0, "session"),
        (1, "o", 47.0, "weekly"),
        (1, "o", 12.0, "model:Opus"),
    ];
    let mut file = String::from("ccpulse limit history 1\n");
    for (ago, source, used, window) in readings {
        file.push_str(&format!(
            "{} {source} {used:.2} {} {window}\n",
            at(ago),
            at(ago) + 3600
        ));
    }
    std::fs::write(state.join("limit-history.txt"), file)?;
    let roots = root.display().to_string();
    let panel = Panel::open(
        desktop,
        "http://127.0.0.1:9",
        &[("CLAUDE_CONFIG_DIR", &roots)],
    )
    .await?;
    panel.click("[data-testid=tab-history]").await?;
    let rows = panel
        .wait_for(
            "the plan limits' table",
            "const t = document.querySelectorAll('[data-testid=history-limits-table] tbody tr'); \
             return t.length ? [...t].map(r => [...r.children].map(c => c.textContent)) : null",
        )
        .await?;
    let rows: Vec<Vec<String>> = serde_json::from_value(rows)?;
    // Yesterday and today by the clock (a reading 26 or 30 hours ago may fall the day before
    // yesterday near midnight: then it is that day's).
    let want_days = |ago: &[i64]| -> Vec<String> { ago.iter().map(|a| day(*a)).collect() };
    let of = |label: &str| -> Vec<(String, String)> {
        rows.iter()
            .filter(|r| r[0] == label)
            .map(|r| (r[1].clone(), r[2].clone()))
            .collect()
    };
    let session = of("Session (5h), the fullest window of the day");
    let mut highest: std::collections::BTreeMap<String, f64> = Default::default();
    for (d, used) in want_days(&[30, 26, 1])
        .into_iter()
        .zip([35.0_f64, 88.0, 20.0])
    {
        let h = highest.entry(d).or_insert(used);
        *h = h.max(used);
    }
    let want_session: Vec<(String, String)> = highest
        .into_iter()
        .map(|(d, used)| (d, format!("{used:.0}%")))
        .collect();
    assert_eq!(session, want_session, "{rows:?}");
    assert_eq!(
        of("Weekly"),
        [(day(26), "40%".to_string()), (day(1), "47%".to_string())],
        "{rows:?}"
    );
    assert_eq!(of("Weekly Opus"), [(day(1), "12%".to_string())], "{rows:?}");
    let dots = panel
        .script("return document.querySelectorAll('[data-testid=history-limits] circle.limit-dot').length")
        .await?;
    assert_eq!(dots.as_u64(), Some(rows.len() as u64), "a dot per day read");
    panel
        .script("document.querySelector('[data-testid=history-limits]').scrollIntoView(); return 1")
        .await?;
    panel.close("history-limits.png").await
}
