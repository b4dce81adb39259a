//! `cargo xtask bench footprint|usage|statusline|status|history|history-open [ARGS...]`: the
//! benchmarks kept with the project.

use std::process::ExitCode;

use anyhow::Result;

use crate::{apt, process};

pub fn bench(args: &[String]) -> Result<ExitCode> {
    match args.split_first() {
        Some((name, rest)) if name == "footprint" => footprint(rest),
        Some((name, rest)) if name == "usage" => {
            crate::bench_usage::run(rest).map(|()| ExitCode::SUCCESS)
        }
        Some((name, rest)) if name == "statusline" => statusline(rest),
        Some((name, rest)) if name == "status" => status(rest),
        Some((name, rest)) if name == "history" => crate::bench_history::run(rest),
        Some((name, rest)) if name == "history-open" => crate::bench_history::open(rest),
        _ => Ok(crate::usage_error(
            "`bench` takes: footprint [--idle-secs N] [--check] | usage [--size-mb N] [--seed S] [--runs R] | statusline [--runs N] | status [--size-mb N] | history [--size-mb N] | history-open [--size-mb N] [--debug] [--opens N] [--rounds N]",
        )),
    }
}

fn footprint(args: &[String]) -> Result<ExitCode> {
    apt::install_all()?;
    process::run(process::cargo().args([
        "build",
        "--release",
        "-p",
        "ccpulse-tray",
        "--features",
        "custom-protocol",
    ]))?;
    let status = process::status(
        process::cargo()
            .args([
                "run",
                "--quiet",
                "-p",
                "ccpulse-tests",
                "--bin",
                "footprint",
                "--",
            ])
            .args(args),
    )?;
    Ok(process::exit_code_of(status))
}

/// `ccpulse statusline` as Claude Code runs it (a payload with limits on stdin, a state dir
/// with a feed and a status cache), `--runs` times: the median and the slowest tenth.
fn statusline(args: &[String]) -> Result<ExitCode> {
    use std::io::Write;
    let runs: usize = match args {
        [] => 200,
        [flag, n] if flag == "--runs" => n.parse()?,
        _ => return Ok(crate::usage_error("bench statusline [--runs N]")),
    };
    process::run(process::cargo().args(["build", "--release", "-p", "ccpulse-cli"]))?;
    let bin = std::path::Path::new("target/release/ccpulse").canonicalize()?;
    let home =
        std::env::temp_dir().join(format!("ccpulse-bench-statusline-{}", std::process::id()));
    std::fs::create_dir_all(&home)?;
    let resets = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs()
        + 3600;
    let payload = format!(
        r#"{{"session_id":"b","model":{{"id":"claude-opus-4-5","display_name":"Opus 4.5"}},"rate_limits":{{"five_hour":{{"used_percentage":42,"resets_at":{resets}}},"seven_day":{{"used_percentage":17,"resets_at":{}}}}}}}"#,
        resets + 400_000
    );
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = std::time::Instant::now();
        let mut child = std::process::Command::new(&bin)
            .arg("statusline")
            .env("HOME", &home)
            .env("CCPULSE_STATE_DIR", home.join("state"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()?;
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(payload.as_bytes())?;
        let out = child.wait_with_output()?;
        times.push(started.elapsed());
        anyhow::ensure!(out.status.success(), "ccpulse statusline failed: {out:?}");
    }
    let _ = std::fs::remove_dir_all(&home);
    times.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!(
        "ccpulse statusline, {runs} runs: median {:.2} ms, 90th percentile {:.2} ms, slowest {:.2} ms",
        ms(times[runs / 2]),
        ms(times[runs * 9 / 10]),
        ms(times[runs - 1])
    );
    Ok(ExitCode::SUCCESS)
}

/// `ccpulse status --json` on a generated history (the status page and the usage endpoint
/// unreachable on loopback, so only the local work is timed): a first run with an empty state
/// dir (the usage index and the recent-signals tracker built), then the median of 5 repeated
/// runs.
fn status(args: &[String]) -> Result<ExitCode> {
    let size_mb: u64 = match args {
        [] => 1024,
        [flag, n] if flag == "--size-mb" => n.parse()?,
        _ => return Ok(crate::usage_error("bench status [--size-mb N]")),
    };
    crate::apt::ensure(&["time"], "to measure peak memory")?;
    let target = crate::workspace::target_dir()?;
    let data = crate::bench_usage::history(&target, size_mb, 1)?;
    process::run(process::cargo().args(["build", "--release", "-p", "ccpulse-cli"]))?;
    let bytes = crate::bench_usage::warm(&data)?;
    let home = std::env::temp_dir().join(format!("ccpulse-bench-status-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home)?;
    let run = || {
        let mut cmd = std::process::Command::new(target.join("release/ccpulse"));
        cmd.args(["status", "--json"])
            .env("HOME", &home)
            .env("CCPULSE_STATE_DIR", home.join("state"))
            .env("CLAUDE_CONFIG_DIR", &data)
            .env("CCPULSE_STATUS_URL", "http://127.0.0.1:9")
            .env("CCPULSE_API_URL", "http://127.0.0.1:9");
        crate::bench_usage::measure(&mut cmd)
    };
    let cold = run()?;
    let mut repeated = (0..5).map(|_| run()).collect::<Result<Vec<_>>>()?;
    repeated.sort_by(|a, b| a.secs.total_cmp(&b.secs));
    let _ = std::fs::remove_dir_all(&home);
    println!(
        "ccpulse status --json on {:.0} MiB: first run {:.3} s ({:.1} MB), repeated median {:.3} s ({:.1} MB)",
        bytes as f64 / (1 << 20) as f64,
        cold.secs,
        cold.max_rss_mb,
        repeated[2].secs,
        repeated[2].max_rss_mb
    );
    Ok(ExitCode::SUCCESS)
}
