//! Claude Code's status line: the input it writes on a status line command's stdin, and running
//! a command the way it runs one.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// A plan session's status line input: the 5-hour window at `five` percent, resetting at
/// `five_resets` (epoch seconds), and the weekly one at `week` percent, resetting later.
pub fn input(five: f64, five_resets: i64, week: f64) -> String {
    serde_json::json!({
        "session_id": "4a67a4d2-c179-43c4-81e1-1be03f9ac3e9",
        "model": {"id": "claude-opus-4-5", "display_name": "Opus 4.5"},
        "version": "2.1.328",
        "cost": {"total_cost_usd": 0.42},
        "rate_limits": {
            "five_hour": {"used_percentage": five, "resets_at": five_resets},
            "seven_day": {"used_percentage": week, "resets_at": five_resets + 400_000},
        }
    })
    .to_string()
}

/// Run `cmd` with `input` on its stdin, to its exit; its stdout and stderr are collected.
pub fn run(cmd: &mut Command, input: &[u8]) -> std::io::Result<Output> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    child.stdin.take().expect("piped").write_all(input)?;
    child.wait_with_output()
}
