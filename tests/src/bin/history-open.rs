//! How long the panel's History tab takes to show, in the real webview: from the click on the
//! tab (or on a 30 / 90 days toggle) to the bars of the answer asked for by that click painted.
//! Runs the panel on a private desktop (as the panel tests do) on a history given by `--data`
//! (a `CLAUDE_CONFIG_DIR` root), with the usage index and the recent-signals tracker built
//! beforehand in the state dir the panel reads (`ccpulse usage daily`, `ccpulse status`).
//!
//! `cargo xtask bench history-open` generates a 1 GiB history ending yesterday, builds the
//! binaries and runs this. Options: `--data DIR` (required), `--opens N` panels, each opened
//! on its own desktop (default 3), `--rounds N` per panel (default 7). The tray and the CLI are
//! `CCPULSE_TRAY_BIN` and `CCPULSE_BIN` (else the debug builds).
//!
//! Each round: the Status tab, then the History tab clicked (the first round of a panel is its
//! first open: nothing drawn yet; later rounds reopen a tab that still holds the last answer and
//! asks again), then 90 days, then 30 days. The page times itself: `performance.now()` before
//! the click, when a `MutationObserver` sees the answer's bars in the DOM (the right number,
//! not the bars drawn before), and in a task queued by the next animation frame's callback,
//! that is after the rendering update that painted them. Then, to split that time, the page
//! asks `history_state` for 30 and for 90 days itself (the command and its IPC, nothing drawn).
//! Nothing here asserts a time.

#[cfg(target_os = "linux")]
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    open::main().await
}

/// The benchmark runs an X desktop and WebKitWebDriver: there is nothing to measure elsewhere.
#[cfg(not(target_os = "linux"))]
fn main() -> std::process::ExitCode {
    eprintln!("history-open: measures the panel on a Linux desktop only");
    std::process::ExitCode::FAILURE
}

#[cfg(target_os = "linux")]
mod open {
    use std::path::PathBuf;

    use anyhow::{ensure, Context, Result};
    use ccpulse_tests::{Ccpulse, Desktop, Panel};
    use serde_json::Value;

    /// Where the status page and the usage endpoint are: a closed loopback port.
    const NOWHERE: &str = "http://127.0.0.1:9";

    /// One timed change of the tab, as the page measured it (milliseconds from the click).
    struct Sample {
        /// The answer's bars in the DOM.
        dom: f64,
        /// After the rendering update that followed.
        painted: f64,
    }

    /// Clicks `click` (a CSS selector) in the page and resolves once `want` bars that were
    /// not there before the click are in `#history`, then after the next rendering update.
    const MEASURE: &str = r#"
const [click, want] = [CLICK, WANT];
const done = arguments[arguments.length - 1];
const root = document.getElementById('history');
const bars = () => root.querySelectorAll('[data-testid=history-bar]');
const before = bars()[0] || null;
let t0 = 0;
let dom = null;
const fresh = () => { const b = bars(); return b.length === want && b[0] !== before; };
const seen = () => {
  if (dom !== null || !fresh()) return;
  dom = performance.now();
  observer.disconnect();
  requestAnimationFrame(() => setTimeout(() => {
    done({ dom: dom - t0, painted: performance.now() - t0,
           bars: bars().length, problem: (document.querySelector('[data-testid=history-error]') || {}).textContent || null });
  }, 0));
};
const observer = new MutationObserver(seen);
observer.observe(root, { childList: true, subtree: true });
const target = document.querySelector(click);
if (!target) { observer.disconnect(); done({ problem: 'nothing matches ' + click }); return; }
t0 = performance.now();
target.click();
seen();
"#;

    /// `history_state` asked by the page itself (no click, nothing drawn): the command and its
    /// IPC, the part of a click's time that is not the page's.
    const ASK: &str =
        "const done = arguments[arguments.length - 1]; const t0 = performance.now(); \
        window.__TAURI__.core.invoke('history_state', { days: DAYS }).then( \
          (v) => done({ ms: performance.now() - t0, days: v.days.length }), \
          (e) => done({ problem: String((e && e.message) || e) }));";

    async fn ask(panel: &Panel, days: usize) -> Result<f64> {
        let v = panel
            .script_async(&ASK.replace("DAYS", &days.to_string()))
            .await?;
        ensure!(
            v["problem"].is_null() && v["days"] == days,
            "history_state: {v}"
        );
        let ms = v["ms"].as_f64().with_context(|| format!("ms in {v}"))?;
        println!("  history_state({days:<2})    answered in {ms:>6.0} ms");
        Ok(ms)
    }

    /// Resolves after two animation frames: what the last change drew is on screen.
    const SETTLE: &str = "const done = arguments[arguments.length - 1]; \
        requestAnimationFrame(() => requestAnimationFrame(() => done(null)));";

    async fn measure(panel: &Panel, what: &str, click: &str, want: usize) -> Result<Sample> {
        let js = MEASURE
            .replace("CLICK", &serde_json::to_string(click)?)
            .replace("WANT", &want.to_string());
        let v = panel.script_async(&js).await?;
        ensure!(v["problem"].is_null(), "{click}: {}", v["problem"]);
        ensure!(v["bars"] == want, "{click}: {v}");
        let ms = |k: &str| v[k].as_f64().with_context(|| format!("{k} in {v}"));
        let sample = Sample {
            dom: ms("dom")?,
            painted: ms("painted")?,
        };
        println!(
            "  {what:<20} bars in the DOM {:>6.0} ms, painted {:>6.0} ms",
            sample.dom, sample.painted
        );
        Ok(sample)
    }

    fn loadavg() -> String {
        std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    }

    pub async fn main() -> Result<()> {
        let mut args = std::env::args().skip(1);
        let (mut data, mut opens, mut rounds) = (None, 3usize, 7usize);
        while let Some(arg) = args.next() {
            let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
            match arg.as_str() {
                "--data" => data = Some(PathBuf::from(value()?)),
                "--opens" => opens = value()?.parse::<usize>()?.max(1),
                "--rounds" => rounds = value()?.parse::<usize>()?.max(1),
                other => anyhow::bail!(
                    "unknown option {other} (history-open --data DIR [--opens N] [--rounds N])"
                ),
            }
        }
        let data = data.context("--data DIR: the history (a CLAUDE_CONFIG_DIR root)")?;
        let roots = data.display().to_string();
        println!(
            "tray {}, CLI {}",
            ccpulse_tests::tray_bin().display(),
            ccpulse_tests::cli_bin().display()
        );
        println!("load average at the start: {}", loadavg());

        let (mut first, mut reopen, mut to_90, mut to_30) = (vec![], vec![], vec![], vec![]);
        let (mut ask_30, mut ask_90) = (vec![], vec![]);
        for open in 0..opens {
            let desktop = Desktop::new()?;
            // The index and the recent-signals tracker, warm in the state dir the panel and its
            // tray read (the desktop's: Ccpulse::on and Panel::open both point there).
            let started = std::time::Instant::now();
            let out = Ccpulse::on(&desktop)
                .claude_config_dir(&roots)
                .status_url(NOWHERE)
                .api_url(NOWHERE)
                .args(["usage", "daily", "--json", "-z", "UTC"])
                .output();
            ensure!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let built = started.elapsed();
            let daily: Value = serde_json::from_slice(&out.stdout)?;
            let last = daily["daily"]
                .as_array()
                .and_then(|d| d.last())
                .and_then(|d| d["date"].as_str())
                .context("the history has no days")?
                .to_string();
            let out = Ccpulse::on(&desktop)
                .claude_config_dir(&roots)
                .status_url(NOWHERE)
                .api_url(NOWHERE)
                .args(["status", "--json"])
                .output();
            ensure!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            println!(
                "panel {}: index built by usage daily in {:.2} s, history's last day {last}",
                open + 1,
                built.as_secs_f64()
            );

            let panel = Panel::open(desktop, NOWHERE, &[("CLAUDE_CONFIG_DIR", &roots)]).await?;
            // The first state shown: the page and the tray are up.
            if let Err(e) = panel
                .wait_for(
                    "the panel's first state",
                    "const s = document.querySelector('[data-testid=summary]'); \
                     return s && !s.textContent.includes('checking status') ? true : null",
                )
                .await
            {
                println!("measuring anyway: {e}");
            }
            for round in 0..rounds {
                panel
                    .script(
                        "document.querySelector('[data-testid=tab-status]').click(); return null",
                    )
                    .await?;
                panel.script_async(SETTLE).await?;
                let what = if round == 0 { "first open" } else { "reopened" };
                let s = measure(&panel, what, "[data-testid=tab-history]", 30).await?;
                if round == 0 {
                    first.push(s);
                } else {
                    reopen.push(s);
                }
                panel.script_async(SETTLE).await?;
                to_90.push(
                    measure(
                        &panel,
                        "30 -> 90 days",
                        "[data-testid=history-days] button[data-value=\"90\"]",
                        90,
                    )
                    .await?,
                );
                panel.script_async(SETTLE).await?;
                to_30.push(
                    measure(
                        &panel,
                        "90 -> 30 days",
                        "[data-testid=history-days] button[data-value=\"30\"]",
                        30,
                    )
                    .await?,
                );
                ask_30.push(ask(&panel, 30).await?);
                ask_90.push(ask(&panel, 90).await?);
            }
            // Dropped: the driver, the panel and the desktop ended (no screenshot: on a loaded
            // machine WebKitWebDriver takes longer than the harness waits for one).
            drop(panel);
        }

        println!("load average at the end: {}", loadavg());
        println!(
            "History tab on {}: ms from the click, median (best, worst) of n",
            data.display()
        );
        let stat = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            format!(
                "{:.0} ({:.0}, {:.0})",
                v[(v.len() - 1) / 2],
                v[0],
                v[v.len() - 1]
            )
        };
        for (what, samples) in [
            ("first open, 30 days", &first),
            ("reopened, 30 days", &reopen),
            ("30 -> 90 days", &to_90),
            ("90 -> 30 days", &to_30),
        ] {
            if samples.is_empty() {
                continue;
            }
            println!(
                "  {what:<20} n={:<3} bars in the DOM {:<16} painted {}",
                samples.len(),
                stat(samples.iter().map(|s| s.dom).collect()),
                stat(samples.iter().map(|s| s.painted).collect()),
            );
        }
        for (days, asked) in [(30, ask_30), (90, ask_90)] {
            println!(
                "  history_state({days}) asked by the page, no drawing: n={:<3} {}",
                asked.len(),
                stat(asked)
            );
        }
        Ok(())
    }
}
