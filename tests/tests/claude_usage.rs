//! End to end with the real client: `ccpulse status --json` with `[limits] claude_code = true`
//! asks Claude Code itself for the plan's windows (`get_usage`), and shows them as Claude Code's.
//!
//! Claude Code reads `https://api.anthropic.com/api/oauth/usage` whatever `ANTHROPIC_BASE_URL`
//! says, so both run inside a network namespace with nothing but loopback and a mount namespace
//! whose `/etc/hosts` points that name at 127.0.0.1, where the fake API
//! (`src/bin/fake-messages-api.rs --tls`) listens on port 443 with a throwaway CA that the client
//! is given in `NODE_EXTRA_CA_CERTS`. Nothing can leave the machine. The client logs in with a
//! planted OAuth login (a fake token) that must never reach ccpulse's output or files.
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use ccpulse_tests::claude_code::{self, claude_bin};
use ccpulse_tests::ProcessGuard;
use serde_json::Value;

const FAKE_API: &str = env!("CARGO_BIN_EXE_fake-messages-api");
/// `ccpulse status` waits up to 30 s for Claude Code; the whole run gets more.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);
/// Never a real token: it only has to be found if it leaks.
const TOKEN: &str = "sk-ant-oat01-PLANTED-for-the-get-usage-test";
const REFRESH: &str = "sk-ant-ort01-PLANTED-for-the-get-usage-test";

/// The usage fixture with every window's reset moved into the future (the windows would
/// otherwise count as past their reset, that is at 0%); returns it with the percentages by key.
fn usage_body(now: chrono::DateTime<chrono::Utc>) -> Result<(Value, Vec<(String, f64)>)> {
    let file = ccpulse_tests::fixtures_dir().join("oauth-usage/four-windows-2026-01.json");
    let mut body: Value = serde_json::from_slice(&std::fs::read(&file)?)?;
    let mut percents = Vec::new();
    for (key, window) in body.as_object_mut().context("the fixture is an object")? {
        let Some(window) = window.as_object_mut() else {
            continue;
        };
        let hours = if key == "five_hour" { 3 } else { 3 * 24 };
        let at = now + chrono::Duration::hours(hours);
        window.insert(
            "resets_at".into(),
            at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string().into(),
        );
        let used = window["utilization"].as_f64().context("utilization")?;
        percents.push((key.clone(), used));
    }
    Ok((body, percents))
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(files_under(&path)?);
        } else {
            out.push(path);
        }
    }
    Ok(out)
}

fn window<'a>(limits: &'a Value, which: &str) -> Option<&'a Value> {
    match which {
        "five_hour" => limits.get("session"),
        "seven_day" => limits.get("weekly"),
        "seven_day_opus" | "seven_day_sonnet" => {
            let model = if which.ends_with("opus") {
                "Opus"
            } else {
                "Sonnet"
            };
            limits["models"]
                .as_array()?
                .iter()
                .find(|m| m["model"] == model)
        }
        _ => None,
    }
}

#[test]
fn status_asks_the_real_claude_code_for_the_plan_windows() -> Result<()> {
    let claude = claude_bin();
    let version = claude_code::version(&claude)?;
    ensure!(
        version >= claude_code::MIN_VERSION,
        "{} is Claude Code {version:?}, older than {:?}",
        claude.display(),
        claude_code::MIN_VERSION
    );
    eprintln!("Claude Code {version:?} at {}", claude.display());
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    let (home, config, state, project) = (
        root.join("home"),
        root.join("claude-config"),
        root.join("state"),
        root.join("project"),
    );
    for d in [&home, &config, &state, &project] {
        std::fs::create_dir_all(d)?;
    }
    let now = chrono::Utc::now();
    // A plan login as Claude Code keeps it, good for another hour.
    let expires = (now + chrono::Duration::hours(1)).timestamp_millis();
    let credentials = serde_json::json!({"claudeAiOauth": {
        "accessToken": TOKEN, "refreshToken": REFRESH, "expiresAt": expires,
        "scopes": ["user:inference", "user:profile"], "subscriptionType": "max"}});
    std::fs::write(config.join(".credentials.json"), credentials.to_string())?;
    let (body, percents) = usage_body(now)?;
    let usage = root.join("usage.json");
    std::fs::write(&usage, body.to_string())?;
    let settings = root.join("ccpulse.toml");
    let claude_path = claude.to_str().context("a UTF-8 path to claude")?;
    std::fs::write(
        &settings,
        format!("[limits]\nclaude_code = true\nclaude_path = {claude_path:?}\n"),
    )?;
    let hosts = root.join("hosts");
    std::fs::write(&hosts, "127.0.0.1 localhost\n127.0.0.1 api.anthropic.com\n")?;
    let (tls, requests, out, err) = (
        root.join("tls"),
        root.join("requests.log"),
        root.join("status.json"),
        root.join("status.err"),
    );

    let mut cmd = claude_code::loopback_namespace();
    // The namespace's links are logged (only `lo` may be there); the private /etc/hosts is
    // mounted in this mount namespace only; the fake API listens (its CA written) before it runs
    // ccpulse, whose stdout and stderr go to files of their own.
    cmd.args(["sh", "-c"])
        .arg(concat!(
            "ip link set lo up && ip -o link show | sed 's/^/netns link: /' && ",
            r#"mount --bind "$HOSTS_FILE" /etc/hosts && "#,
            r#"exec "$0" --tls "$TLS_DIR" --usage "$USAGE_FILE" --log "$REQUEST_LOG" --port 443 "#,
            r#"-- sh -c 'exec "$0" status --json >"$OUT_FILE" 2>"$ERR_FILE"' "$CCPULSE""#
        ))
        .arg(FAKE_API)
        .current_dir(&project)
        .env_clear()
        .env("HOSTS_FILE", &hosts)
        .env("TLS_DIR", &tls)
        .env("USAGE_FILE", &usage)
        .env("REQUEST_LOG", &requests)
        .env("OUT_FILE", &out)
        .env("ERR_FILE", &err)
        .env("CCPULSE", ccpulse_tests::cli_bin())
        .env("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("CLAUDE_CONFIG_DIR", &config)
        .env("CCPULSE_CONFIG", &settings)
        .env("CCPULSE_STATE_DIR", &state)
        // Nothing listens there: ccpulse's own readings fail at once, inside the namespace.
        .env("CCPULSE_STATUS_URL", "http://127.0.0.1:9")
        .env("CCPULSE_API_URL", "http://127.0.0.1:9")
        .env("NODE_EXTRA_CA_CERTS", tls.join("ca.pem"))
        .env("DISABLE_TELEMETRY", "1")
        .env("DISABLE_ERROR_REPORTING", "1")
        .env("TZ", "UTC")
        .env("LANG", "C.UTF-8");
    let mut guard = ProcessGuard::spawn("ccpulse-in-netns", cmd, root.join("netns.log"))?;
    let status = guard.wait_for_exit(RUN_TIMEOUT)?;
    let log = guard.log();
    let stdout = std::fs::read_to_string(&out).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    let request_log = std::fs::read_to_string(&requests).unwrap_or_default();
    let context = format!(
        "exit {status}\n--- netns log\n{log}\n--- requests\n{request_log}\n--- stderr\n{stderr}\n\
         --- stdout\n{stdout}"
    );
    let links: Vec<&str> = log
        .lines()
        .filter_map(|l| l.strip_prefix("netns link: "))
        .collect();
    ensure!(
        !links.is_empty() && links.iter().all(|l| l.contains(": lo:")),
        "everything must run where only loopback exists; links: {links:?}\n{context}"
    );
    ensure!(status.success(), "ccpulse status failed\n{context}");
    eprintln!("the fake API's requests:\n{request_log}");

    // The windows are Claude Code's, with the fixture's percentages.
    let json: Value = serde_json::from_str(&stdout).context(context.clone())?;
    let limits = &json["limits"];
    ensure!(percents.len() == 4, "{percents:?}");
    for (key, used) in &percents {
        let w = window(limits, key).with_context(|| format!("no {key} window\n{context}"))?;
        ensure!(
            w["source"] == "claude" && w["used_percent"].as_f64() == Some(*used),
            "{key} should be Claude Code's {used}%: {w}\n{context}"
        );
        ensure!(w["resets_at"].is_string(), "{key} has its reset: {w}");
    }
    eprintln!("windows: {}", serde_json::to_string_pretty(limits)?);

    // Claude Code (not ccpulse: its endpoint is pointed elsewhere) read the usage endpoint and
    // never called a model.
    let lines: Vec<&str> = request_log.lines().collect();
    ensure!(
        lines
            .iter()
            .any(|l| l.starts_with("GET /api/oauth/usage ") && l.contains("claude")),
        "Claude Code should have read the usage endpoint\n{context}"
    );
    ensure!(
        !lines.iter().any(|l| l.starts_with("POST /v1/messages")),
        "no model may be called\n{context}"
    );
    // No transcript: --no-session-persistence.
    let transcripts: Vec<PathBuf> = files_under(&config)?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    ensure!(
        transcripts.is_empty(),
        "transcripts written: {transcripts:?}"
    );
    // The login stays Claude Code's: not in ccpulse's output, nor in its state dir.
    for (what, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        ensure!(
            !text.contains("PLANTED"),
            "the token is in ccpulse's {what}"
        );
    }
    let kept = files_under(&state)?;
    ensure!(
        !kept.is_empty(),
        "ccpulse keeps the schedule in its state dir"
    );
    for file in kept {
        let bytes = std::fs::read(&file)?;
        ensure!(
            !String::from_utf8_lossy(&bytes).contains("PLANTED"),
            "the token is in {}",
            file.display()
        );
    }
    Ok(())
}
