//! The real Claude Code CLI (npm `@anthropic-ai/claude-code`) for the end-to-end tests that run
//! it, and its transcripts.
//!
//! `cargo xtask test` installs a pinned version into `<target>/claude-code` and passes the path of
//! its `claude` executable in [`CLAUDE_BIN_ENV`]. It is only ever run against a fake API on
//! loopback, inside a network namespace that has nothing but loopback (see
//! `tests/tests/real_client.rs`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

use crate::paths::target_dir;

/// The environment variable with the path of the `claude` executable.
pub const CLAUDE_BIN_ENV: &str = "CCPULSE_CLAUDE_BIN";

/// The oldest Claude Code whose transcripts the tests (and ccpulse) are written against.
pub const MIN_VERSION: (u32, u32, u32) = (2, 1, 328);

/// The `claude` executable: `$CCPULSE_CLAUDE_BIN`, else the one `cargo xtask test` installs,
/// `<target>/claude-code/node_modules/.bin/claude`.
///
/// # Panics
///
/// If the file doesn't exist, with instructions to install it.
#[track_caller]
pub fn claude_bin() -> PathBuf {
    let path = match std::env::var_os(CLAUDE_BIN_ENV) {
        Some(path) => PathBuf::from(path),
        None => target_dir().join("claude-code/node_modules/.bin/claude"),
    };
    if !path.is_file() {
        panic!(
            "{} does not exist ({CLAUDE_BIN_ENV} unset or wrong?); `cargo xtask test` installs \
             Claude Code there (npm install --prefix <target>/claude-code \
             @anthropic-ai/claude-code@<version>)",
            path.display()
        );
    }
    path
}

/// The version `claude --version` prints ("2.1.328 (Claude Code)").
pub fn version(claude: &Path) -> Result<(u32, u32, u32)> {
    let out = std::process::Command::new(claude)
        .arg("--version")
        .env("DISABLE_AUTOUPDATER", "1")
        .output()
        .with_context(|| format!("running {} --version", claude.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_version(&text).with_context(|| {
        format!(
            "`{} --version` printed {text:?} ({}; stderr {:?})",
            claude.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let word = text.split_whitespace().next()?;
    let mut parts = word.split('.').map(|p| p.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
}

/// `unshare -n -m` (with `--map-root-user` when not root): what follows runs in a network
/// namespace with nothing but loopback, and a mount namespace of its own. The real client is
/// only ever run inside one.
pub fn loopback_namespace() -> std::process::Command {
    let mut cmd = std::process::Command::new("unshare");
    if !rustix::process::geteuid().is_root() {
        cmd.arg("--map-root-user");
    }
    cmd.args(["-n", "-m"]);
    cmd
}

/// Every line of every transcript (`projects/*/*.jsonl`) under the Claude config dir `config`,
/// parsed, file by file in name order.
pub fn transcript_lines(config: &Path) -> Result<Vec<(PathBuf, Vec<Value>)>> {
    let projects = config.join("projects");
    let mut files = Vec::new();
    if projects.is_dir() {
        for project in std::fs::read_dir(&projects)? {
            let project = project?.path();
            if !project.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(&project)? {
                let file = file?.path();
                if file.extension().is_some_and(|e| e == "jsonl") {
                    files.push(file);
                }
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let lines = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(serde_json::from_str)
                .collect::<Result<Vec<Value>, _>>()
                .with_context(|| format!("a line of {} is not JSON", file.display()))?;
            Ok((file, lines))
        })
        .collect()
}

/// A `system`/`api_error` line: one failed attempt that Claude Code retried (`-p` sessions).
pub fn is_retry_record(line: &Value) -> bool {
    line["type"] == "system" && line["subtype"] == "api_error"
}

/// The assistant line Claude Code writes when retries ran out (`isApiErrorMessage`).
pub fn is_final_error(line: &Value) -> bool {
    line["type"] == "assistant" && line["isApiErrorMessage"] == true
}

/// The real client's records of a 529 that ran out of retries (fixture `p-overloaded`: three
/// retries, one final error), written again under the Claude config dir `config`, once per entry
/// of `secs_ago`: as session `aaaaaaaa-0000-4000-8000-00000000000N` with every line stamped that
/// many seconds before `now`. A few in the last minutes make a 529 wave.
pub fn plant_recent_overload(
    config: &Path,
    now: chrono::DateTime<chrono::Utc>,
    secs_ago: &[i64],
) -> Result<()> {
    let fixture = crate::fixtures_dir().join("claude-code/p-overloaded");
    let (_, lines) = transcript_lines(&fixture)?
        .into_iter()
        .next()
        .context("the p-overloaded transcript")?;
    let project = config.join("projects/-home-user-project");
    std::fs::create_dir_all(&project)?;
    for (n, ago) in secs_ago.iter().enumerate() {
        let session = format!("aaaaaaaa-0000-4000-8000-{:012}", n + 1);
        let at = now - chrono::Duration::seconds(*ago);
        let mut moved = String::new();
        for line in &lines {
            let mut v = line.clone();
            if v.get("timestamp").is_some() {
                v["timestamp"] = at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string().into();
            }
            if v.get("sessionId").is_some() {
                v["sessionId"] = session.clone().into();
            }
            moved += &(v.to_string() + "\n");
        }
        std::fs::write(project.join(format!("{session}.jsonl")), moved)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_the_first_word() {
        assert_eq!(parse_version("2.1.328 (Claude Code)\n"), Some((2, 1, 328)));
        assert_eq!(parse_version("Claude Code"), None);
        assert!((2, 1, 331) >= MIN_VERSION && (2, 0, 999) < MIN_VERSION);
    }
}
