//! Claude Code's own answer about the plan's windows: the `get_usage` control request of
//! `claude -p --input-format stream-json --output-format stream-json` (marked experimental by
//! the client). Claude Code reads the usage endpoint with its own login, so no token passes
//! through ccpulse and nothing races its refresh.
//!
//! One short-lived process per attempt: the request is written on stdin, which stays open until
//! the `control_response` line arrives (closed at once, Claude Code drops the read); then stdin is
//! closed and the process ends. No user message is ever sent, so no model is called, and
//! `--no-session-persistence` keeps it from writing a transcript. A timeout kills it.
//!
//! Request: `{"type":"control_request","request_id":ID,"request":{"subtype":"get_usage",
//! "skip_behaviors":true}}`. Answer: `{"type":"control_response","response":{"subtype":
//! "success","request_id":ID,"response":{"session":{..},"subscription_type":"max",
//! "rate_limits_available":true,"rate_limits":{"five_hour":{"utilization":12.3,"resets_at":
//! ISO},"seven_day":..,"seven_day_opus":..,"seven_day_sonnet":..,"model_scoped":[..],
//! "extra_usage":..}|null,"behaviors":null}}}`, or `"subtype":"error","error":TEXT`.
//! `rate_limits` is null when Claude Code could not read the endpoint (including when
//! `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC` is set).
//!
//! The attempts share the OAuth usage schedule (`oauth_usage::Cache`): the two never ask
//! together.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use ccpulse_core::limits::{Observed, Source};

use crate::oauth_usage::{self, Cache};
use crate::state_dir::StateDir;

/// How long one question may take before the process is killed.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// The status line counts as reporting when it wrote less than this long ago.
pub const FEED_QUIET: Duration = Duration::from_secs(15 * 60);
const REQUEST_ID: &str = "ccpulse-get-usage-1";

/// The `claude` to ask: `configured` (an absolute path), else the first on `path` (`PATH`).
pub fn find(configured: Option<&str>, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    if let Some(p) = configured {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    std::env::split_paths(path?)
        .map(|dir| dir.join("claude"))
        .find(|p| p.is_file())
}

/// The request line.
pub fn request() -> String {
    serde_json::json!({
        "type": "control_request",
        "request_id": REQUEST_ID,
        "request": {"subtype": "get_usage", "skip_behaviors": true},
    })
    .to_string()
        + "\n"
}

/// One line of Claude Code's output: `None` when it is not the answer to our request.
pub fn parse(line: &[u8], now: DateTime<Utc>) -> Option<Result<Observed, String>> {
    let v: Value = serde_json::from_slice(line).ok()?;
    if v.get("type").and_then(Value::as_str) != Some("control_response") {
        return None;
    }
    let r = v.get("response")?;
    if r.get("request_id").and_then(Value::as_str) != Some(REQUEST_ID) {
        return None;
    }
    if r.get("subtype").and_then(Value::as_str) != Some("success") {
        let why = r
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("no reason");
        return Some(Err(format!("Claude Code refused get_usage: {why}")));
    }
    let answer = r.get("response")?;
    if answer.get("rate_limits_available").and_then(Value::as_bool) == Some(false) {
        return Some(Err(
            "Claude Code has no plan limits here (an API key, or no user:profile scope)".into(),
        ));
    }
    let Some(limits) = answer.get("rate_limits").filter(|l| l.is_object()) else {
        return Some(Err("Claude Code could not read the plan's usage".into()));
    };
    // The windows have the usage endpoint's shape; `model_scoped` is its `limits[]` list.
    let mut body = limits.clone();
    if let Some(scoped) = limits.get("model_scoped").and_then(Value::as_array) {
        body["limits"] = scoped
            .iter()
            .map(|m| {
                serde_json::json!({"kind": "weekly_scoped", "percent": m["utilization"],
                    "resets_at": m["resets_at"],
                    "scope": {"model": {"display_name": m["display_name"]}}})
            })
            .collect();
    }
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    Some(oauth_usage::parse(&bytes, now).map(|o| Observed {
        source: Source::Claude,
        ..o
    }))
}

/// Asks `claude` once (its environment is this process's).
pub async fn ask(claude: &Path, now: DateTime<Utc>, timeout: Duration) -> Result<Observed, String> {
    let mut child = tokio::process::Command::new(claude)
        .args([
            "-p",
            "--input-format",
            "stream-json",
            "--output-format",
            "stream-json",
            "--verbose",
            "--no-session-persistence",
        ])
        .env("DISABLE_AUTOUPDATER", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", claude.display()))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let answer = async {
        stdin
            .write_all(request().as_bytes())
            .await
            .map_err(|e| format!("Claude Code did not take the request: {e}"))?;
        let mut lines = BufReader::new(stdout).lines();
        while let Some(line) = lines.next_line().await.map_err(|e| e.to_string())? {
            if let Some(answer) = parse(line.as_bytes(), now) {
                return answer;
            }
        }
        Err("Claude Code ended without answering get_usage".to_string())
    };
    let result = match tokio::time::timeout(timeout, answer).await {
        Ok(r) => r,
        Err(_) => Err(format!("Claude Code did not answer within {timeout:?}")),
    };
    drop(stdin);
    if tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
    result
}

/// Whether Claude Code should be asked instead of the endpoint: switched on, found, and the
/// status line quiet since `FEED_QUIET`.
pub fn wanted(
    config: &ccpulse_core::config::ClaudeUsage,
    feed_written: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<PathBuf> {
    if config.disabled {
        return None;
    }
    let quiet = chrono::Duration::from_std(FEED_QUIET).unwrap_or_default();
    if feed_written.is_some_and(|t| now - t < quiet) {
        return None;
    }
    let path = std::env::var_os("PATH");
    find(config.path.as_deref(), path.as_deref())
}

/// One attempt if the shared schedule allows it, kept in `dir` as the OAuth source keeps its.
pub async fn refresh(
    dir: &StateDir,
    claude: &Path,
    every: Duration,
    on_demand: bool,
    now: DateTime<Utc>,
) -> Cache {
    let mut cache = Cache::load(dir);
    if !cache.due(now, on_demand) {
        return cache;
    }
    let later = |d: Duration| now + chrono::Duration::from_std(d).unwrap_or_default();
    cache.last_attempt = Some(now);
    cache.login_problem = None;
    match ask(claude, now, TIMEOUT).await {
        Ok(observed) => {
            tracing::info!("Claude Code usage: read");
            cache.next_attempt = Some(later(every));
            cache.last_good = Some(observed);
            cache.last_error = None;
        }
        Err(e) => {
            tracing::info!("Claude Code usage: {e}");
            cache.next_attempt = Some(later(oauth_usage::AFTER_FAILURE.min(every)));
            cache.last_error = Some(e);
        }
    }
    cache.keep(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_becomes_claude_windows() {
        let now = Utc::now();
        let line = br#"{"type":"control_response","response":{"subtype":"success","request_id":"ccpulse-get-usage-1","response":{"session":{},"subscription_type":"max","rate_limits_available":true,"rate_limits":{"five_hour":{"utilization":12.3,"resets_at":"2026-01-01T12:00:00.000Z"},"seven_day":{"utilization":55,"resets_at":null},"model_scoped":[{"display_name":"Fable","utilization":7,"resets_at":null}]},"behaviors":null}}}"#;
        let o = parse(line, now).unwrap().unwrap();
        assert_eq!(o.source, Source::Claude);
        assert_eq!(o.session.unwrap().used_percent, 12.3);
        assert_eq!(o.weekly.unwrap().used_percent, 55.0);
        assert_eq!(o.models[0].model, "Fable");
        let null = br#"{"type":"control_response","response":{"subtype":"success","request_id":"ccpulse-get-usage-1","response":{"rate_limits_available":true,"rate_limits":null}}}"#;
        assert!(parse(null, now).unwrap().is_err());
        let other = br#"{"type":"system","subtype":"init"}"#;
        assert!(parse(other, now).is_none());
        let refused = br#"{"type":"control_response","response":{"subtype":"error","request_id":"ccpulse-get-usage-1","error":"get_usage is not supported in this context"}}"#;
        assert!(parse(refused, now)
            .unwrap()
            .unwrap_err()
            .contains("not supported"));
    }
}
