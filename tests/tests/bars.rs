//! `ccpulse status --format waybar|polybar|i3blocks|tmux [--watch]` against a loopback
//! Statuspage: every format once, and waybar watching, a line per change.
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use std::time::Duration;

use anyhow::Result;
use ccpulse_tests::statuspage::TimelineServer;
use ccpulse_tests::Ccpulse;
use serde_json::Value;

fn bar(home: &std::path::Path, url: &str, format: &str) -> String {
    let out = Ccpulse::in_home(home)
        .status_url(url)
        .api_url("http://127.0.0.1:9")
        .args(["status", "--format", format])
        .output();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bar_format_and_waybar_watching() -> Result<()> {
    let server = TimelineServer::start().await?;
    let home = tempfile::tempdir()?;

    let waybar: Value = serde_json::from_str(&bar(home.path(), &server.uri(), "waybar"))?;
    let mut keys: Vec<&str> = waybar
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["class", "percentage", "text", "tooltip"], "{waybar}");
    assert_eq!(waybar["class"], "operational");
    assert_eq!(waybar["text"], "Claude ok");
    assert_eq!(waybar["percentage"], 0);
    assert!(waybar["tooltip"]
        .as_str()
        .unwrap()
        .starts_with("Claude: operational"));

    server.set_step(1);
    let i3 = bar(home.path(), &server.uri(), "i3blocks");
    let lines: Vec<&str> = i3.lines().collect();
    assert_eq!(
        lines,
        ["Claude degraded", "Claude degraded", "#ffb300"],
        "{i3}"
    );
    assert_eq!(
        bar(home.path(), &server.uri(), "tmux"),
        "#[fg=#ffb300]Claude degraded#[default]\n"
    );
    assert_eq!(
        bar(home.path(), &server.uri(), "polybar"),
        "%{F#ffb300}Claude degraded%{F-}\n"
    );

    // Watching: a line at start, a line when the page changes, nothing while it does not.
    server.set_step(0);
    let config = home.path().join("fast.toml");
    std::fs::write(&config, "[status]\npoll_secs = 1\n")?;
    let mut child = Ccpulse::in_home(home.path())
        .status_url(server.uri())
        .api_url("http://127.0.0.1:9")
        .args(["--config", config.to_str().unwrap()])
        .args(["status", "--format", "waybar", "--watch"])
        .command()
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let rx = ccpulse_tests::process::stdout_lines(&mut child);
    let next = || -> Value {
        let line = rx
            .recv_timeout(Duration::from_secs(15))
            .expect("a line from the watch");
        serde_json::from_str(&line).expect("each line is one JSON object")
    };
    assert_eq!(next()["class"], "operational");
    // Two more polls of the same page print nothing new.
    let polled = server.requests_to("/api/v2/summary.json").await;
    ccpulse_tests::wait::poll_until_async("two more polls", Duration::from_secs(15), || async {
        let now = server.requests_to("/api/v2/summary.json").await;
        Ok((now >= polled + 2).then_some(()))
    })
    .await?;
    server.set_step(1);
    let changed = next();
    assert_eq!(changed["class"], "degraded", "{changed}");
    assert!(changed["tooltip"]
        .as_str()
        .unwrap()
        .contains("Elevated errors on Claude Opus 4.5"));
    child.kill()?;
    let _ = child.wait();
    let rest: Vec<String> = rx.try_iter().collect();
    assert!(rest.is_empty(), "nothing else was printed: {rest:?}");
    Ok(())
}
