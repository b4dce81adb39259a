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
use crate::{apt, bundle, gen_usage, process, workspace};

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

/// `cargo xtask bench history-open [--size-mb N] [--debug] [--opens N] [--rounds N]`: the
/// History tab in the real webview, from the click to the bars painted (`ccpulse-tests`'
/// `history-open`: the panel on a private desktop, the index warm in its state dir). The
/// history is generated to end yesterday (60 days from its first day), so that the 30 and 90
/// days shown are full of use as a real user's would be. Release builds (the tray with the page
/// compiled in, fat LTO: long to build cold), or the dev builds with `--debug`.
pub fn open(args: &[String]) -> Result<ExitCode> {
    let usage = "bench history-open [--size-mb N] [--debug] [--opens N] [--rounds N]";
    let (mut size_mb, mut debug, mut pass) = (1024u64, false, Vec::new());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match (a.as_str(), it.clone().next()) {
            ("--debug", _) => debug = true,
            ("--size-mb", Some(n)) => {
                size_mb = n.parse()?;
                it.next();
            }
            ("--opens" | "--rounds", Some(n)) => {
                pass.extend([a.clone(), n.clone()]);
                it.next();
            }
            _ => return Ok(crate::usage_error(usage)),
        }
    }
    apt::install_all()?;
    let target = workspace::target_dir()?;
    // Both in one build, as the packages are made: features unified once, nothing rebuilt.
    let profile = if debug {
        bundle::build_binaries(bundle::Profile::Debug)?;
        "debug"
    } else {
        bundle::build_binaries(bundle::Profile::Release)?;
        "release"
    };
    let data = recent_history(&target, size_mb)?;
    let bytes = warm(&data)?;
    println!(
        "{:.0} MiB history in {}; {profile} builds",
        bytes as f64 / (1 << 20) as f64,
        data.display()
    );
    let status = process::status(
        process::cargo()
            .args([
                "run",
                "--quiet",
                "-p",
                "ccpulse-tests",
                "--bin",
                "history-open",
                "--",
                "--data",
            ])
            .arg(&data)
            .args(&pass)
            .env(
                "CCPULSE_TRAY_BIN",
                target.join(profile).join("ccpulse-tray"),
            )
            .env("CCPULSE_BIN", target.join(profile).join("ccpulse")),
    )?;
    Ok(process::exit_code_of(status))
}

/// The generated history of `size_mb` MiB (seed 1) whose first day is 60 days before today, so
/// that it ends yesterday: `target/usage-gen/<N>mb-seed1-from-<day>`, made if missing; the
/// ones of earlier days are removed.
fn recent_history(target: &std::path::Path, size_mb: u64) -> Result<std::path::PathBuf> {
    const DAY_MS: u64 = 86_400_000;
    let today = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as u64
        / DAY_MS;
    let start_ms = (today - 60) * DAY_MS;
    let prefix = format!("{size_mb}mb-seed1-from-");
    let name = format!("{prefix}{}", &gen_usage::stamp(start_ms)[..10]);
    let dir = target.join("usage-gen");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let other = entry.file_name().to_string_lossy().into_owned();
            if other.starts_with(&prefix) && other != name {
                std::fs::remove_dir_all(entry.path())
                    .with_context(|| format!("removing {}", entry.path().display()))?;
            }
        }
    }
    let data = dir.join(name);
    if !data.join("projects").is_dir() {
        gen_usage::generate(
            &gen_usage::Options {
                size_mb,
                seed: 1,
                out: Some(data.clone()),
                start_ms: Some(start_ms),
            },
            target,
        )?;
    }
    Ok(data)
}
