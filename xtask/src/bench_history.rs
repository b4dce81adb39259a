//! `cargo xtask bench history [--size-mb N]`: the History tab's computation on a generated
//! history with a warm index. `ccpulse history --json` runs the same code as the panel's
//! `history_state` command (the index loaded and checked against the listing, what was appended
//! read, the core's view of it), so its wall time (process start included) is what the tab waits
//! for before its first paint. One `usage daily --json` builds the index and names the history's
//! last day; then the median of 5 runs each for 30 and 90 days ending that day.

use std::process::ExitCode;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::bench_usage::{history, measure, warm};
use crate::{apt, process, workspace};

pub fn run(args: &[String]) -> Result<ExitCode> {
    let size_mb: u64 = match args {
        [] => 1024,
        [flag, n] if flag == "--size-mb" => n.parse()?,
        _ => return Ok(crate::usage_error("bench history [--size-mb N]")),
    };
    apt::ensure(&["time"], "to measure peak memory")?;
    let target = workspace::target_dir()?;
    let data = history(&target, size_mb, 1)?;
    process::run(process::cargo().args(["build", "--release", "-p", "ccpulse-cli"]))?;
    let bytes = warm(&data)?;
    let home = std::env::temp_dir().join(format!("ccpulse-bench-history-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home)?;
    let ccpulse = |args: &[&str]| {
        let mut cmd = std::process::Command::new(target.join("release/ccpulse"));
        cmd.args(args)
            .env("HOME", &home)
            .env("CCPULSE_STATE_DIR", home.join("state"))
            .env("CLAUDE_CONFIG_DIR", &data);
        measure(&mut cmd)
    };
    let build = ccpulse(&["usage", "daily", "--json", "-z", "UTC"])?;
    let daily: Value = serde_json::from_slice(&build.output)?;
    let last = daily["daily"]
        .as_array()
        .and_then(|d| d.last())
        .and_then(|d| d["date"].as_str())
        .context("the history has no days")?
        .to_string();
    println!(
        "{:.0} MiB history, last day {last}; index built by usage daily in {:.3} s",
        bytes as f64 / (1 << 20) as f64,
        build.secs
    );
    for days in ["30", "90"] {
        let args = [
            "history", "--json", "-z", "UTC", "--until", &last, "--days", days,
        ];
        let mut runs = (0..5).map(|_| ccpulse(&args)).collect::<Result<Vec<_>>>()?;
        runs.sort_by(|a, b| a.secs.total_cmp(&b.secs));
        println!(
            "ccpulse history --json --days {days}, warm index: median {:.3} s (best {:.3}, worst {:.3}), {:.1} MB, {} bytes of JSON",
            runs[2].secs,
            runs[0].secs,
            runs[4].secs,
            runs[2].max_rss_mb,
            runs[2].output.len()
        );
    }
    let _ = std::fs::remove_dir_all(&home);
    Ok(ExitCode::SUCCESS)
}
