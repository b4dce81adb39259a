//! `cargo xtask bench usage [--size-mb N] [--seed S] [--runs R] [--report R]`: `ccpulse usage R --json`
//! (daily by default) and ccusage 20 (`ccusage claude R --json --offline`) side by side on the same generated
//! history, files in the page cache: wall time, peak memory, the ratio, and whether the two
//! outputs are the same.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::{apt, gen_usage, process, workspace};

const CCUSAGE: &str = "ccusage@20.0.24";

pub struct Run {
    pub secs: f64,
    pub max_rss_mb: f64,
    pub output: Vec<u8>,
}

/// One run under GNU time, which reports the child's peak RSS.
pub fn measure(cmd: &mut Command) -> Result<Run> {
    let report = std::env::temp_dir().join(format!("ccpulse-bench-{}.time", std::process::id()));
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    let started = Instant::now();
    let out = timed
        .output()
        .with_context(|| format!("running {}", process::describe(cmd)))?;
    let secs = started.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "{} failed: {}",
            process::describe(cmd),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let kb: f64 = std::fs::read_to_string(&report)?
        .lines()
        .last()
        .unwrap_or("0")
        .trim()
        .parse()?;
    Ok(Run {
        secs,
        max_rss_mb: kb / 1024.0,
        output: out.stdout,
    })
}

fn ccusage(tools: &Path) -> Result<PathBuf> {
    let bin = tools.join("node_modules/.bin/ccusage");
    if !bin.exists() {
        println!("Installing {CCUSAGE} (npm) into {}", tools.display());
        std::fs::create_dir_all(tools)?;
        process::run(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(tools)
                .arg(CCUSAGE),
        )
        .context("npm is needed for the comparison (Node.js 18 or newer)")?;
    }
    Ok(bin)
}

/// The generated history of `size_mb` MiB for `seed` (`target/usage-gen/`), made if missing.
pub fn history(target: &Path, size_mb: u64, seed: u64) -> Result<PathBuf> {
    let data = target.join(format!("usage-gen/{size_mb}mb-seed{seed}"));
    if !data.join("projects").is_dir() {
        gen_usage::generate(
            &gen_usage::Options {
                size_mb,
                seed,
                out: Some(data.clone()),
                start_ms: None,
            },
            target,
        )?;
    }
    Ok(data)
}

pub fn warm(dir: &Path) -> Result<u64> {
    let mut bytes = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            bytes += warm(&path)?;
        } else {
            bytes += std::fs::read(&path)?.len() as u64;
        }
    }
    Ok(bytes)
}

fn best(runs: &[Run]) -> &Run {
    runs.iter()
        .min_by(|a, b| a.secs.total_cmp(&b.secs))
        .expect("at least one run")
}

pub fn run(args: &[String]) -> Result<()> {
    let mut size_mb = 100u64;
    let mut seed = 1u64;
    let mut runs = 3usize;
    let mut report = "daily".to_string();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--size-mb" => size_mb = value()?.parse()?,
            "--seed" => seed = value()?.parse()?,
            "--runs" => runs = value()?.parse::<usize>()?.max(1),
            "--report" => report = value()?.clone(),
            other => {
                bail!("unknown option {other} (bench usage [--size-mb N] [--seed S] [--runs R])")
            }
        }
    }
    apt::ensure(&["time"], "to measure peak memory")?;
    let target = workspace::target_dir()?;
    let data = history(&target, size_mb, seed)?;
    process::run(process::cargo().args(["build", "--release", "-p", "ccpulse-cli"]))?;
    let ccpulse = target.join("release/ccpulse");
    let ccusage = ccusage(&target.join("bench-tools"))?;
    let bytes = warm(&data)?;
    let home = std::env::temp_dir().join("ccpulse-bench-home");
    std::fs::create_dir_all(&home)?;

    let with_env = |mut c: Command| {
        c.env("CLAUDE_CONFIG_DIR", &data)
            .env("HOME", &home)
            .env("TZ", "UTC");
        c
    };
    // Each cold run gets an empty state dir: no index to start from.
    let fresh_state = |i: usize| -> Result<PathBuf> {
        let dir =
            std::env::temp_dir().join(format!("ccpulse-bench-state-{}-{i}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Ok(dir)
    };
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for i in 0..runs {
        let mut c = with_env(Command::new(&ccpulse));
        let state = fresh_state(i)?;
        c.args(["usage", &report, "--json"])
            .env("CCPULSE_STATE_DIR", &state);
        ours.push(measure(&mut c)?);
        let _ = std::fs::remove_dir_all(&state);
        let mut c = with_env(Command::new(&ccusage));
        c.args(["claude", &report, "--json", "--offline"]);
        theirs.push(measure(&mut c)?);
    }
    let (a, b) = (best(&ours), best(&theirs));
    let same = without_scan(&a.output)? == serde_json::from_slice::<Value>(&b.output)?;
    println!(
        "\n{} MiB of transcripts ({}), best of {runs}, files in page cache",
        bytes / 1024 / 1024,
        data.display()
    );
    let row = |label: &str, r: &Run| println!("{label:<52} {:>8.3} {:>12.1}", r.secs, r.max_rss_mb);
    println!("{:<52} {:>8} {:>12}", "", "seconds", "peak RSS MB");
    row(&format!("ccpulse usage {report} --json (no index yet)"), a);
    row(&format!("ccusage claude {report} --json --offline"), b);
    println!(
        "ccpulse is {:.1}x faster, uses {:.1}x less memory; outputs {}",
        b.secs / a.secs,
        b.max_rss_mb / a.max_rss_mb,
        if same { "identical" } else { "DIFFER" }
    );
    if !same {
        bail!("the {report} reports differ");
    }
    incremental(&ccpulse, &data, &home, &report, runs, &row)
}

/// The report without ccpulse's `scan` section (beside ccusage's keys).
fn without_scan(output: &[u8]) -> Result<Value> {
    let mut v = serde_json::from_slice::<Value>(output)?;
    if let Some(o) = v.as_object_mut() {
        o.remove("scan");
    }
    Ok(v)
}

/// New responses, about `bytes` long: usage lines of the history with fresh ids.
fn new_lines(data: &Path, tag: &str, bytes: usize) -> Result<String> {
    let mut out = String::new();
    let mut files = vec![data.join("projects")];
    while let Some(f) = files.pop() {
        if f.is_dir() {
            for e in std::fs::read_dir(&f)? {
                files.push(e?.path());
            }
            continue;
        }
        for line in std::fs::read_to_string(&f)?.lines() {
            if line.contains("\"usage\":{") && line.contains("\"requestId\":\"req_") {
                out.push_str(
                    &line
                        .replacen("\"id\":\"msg_", &format!("\"id\":\"msg_{tag}"), 1)
                        .replacen(
                            "\"requestId\":\"req_",
                            &format!("\"requestId\":\"req_{tag}"),
                            1,
                        ),
                );
                out.push('\n');
                if out.len() >= bytes {
                    return Ok(out);
                }
            }
        }
    }
    bail!("the history has too few usage lines")
}

/// A repeated run with nothing changed, and a run after 1 MiB was appended to a transcript,
/// both against an index a first run built; each checked against a run without an index.
fn incremental(
    ccpulse: &Path,
    data: &Path,
    home: &Path,
    report: &str,
    runs: usize,
    row: &dyn Fn(&str, &Run),
) -> Result<()> {
    let project = std::fs::read_dir(data.join("projects"))?
        .next()
        .context("no project in the history")??
        .path();
    let appended = project.join("zz-bench-append.jsonl");
    std::fs::write(&appended, new_lines(data, "seed", 4096)?)?;
    let state = std::env::temp_dir().join(format!("ccpulse-bench-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let cmd = |state: &Path| {
        let mut c = Command::new(ccpulse);
        c.args(["usage", report, "--json"])
            .env("CLAUDE_CONFIG_DIR", data)
            .env("HOME", home)
            .env("TZ", "UTC")
            .env("CCPULSE_STATE_DIR", state);
        c
    };
    let result = (|| -> Result<()> {
        measure(&mut cmd(&state))?;
        let mut repeated = Vec::new();
        let mut after_append = Vec::new();
        for i in 0..runs {
            repeated.push(measure(&mut cmd(&state))?);
            let mut f = std::fs::OpenOptions::new().append(true).open(&appended)?;
            std::io::Write::write_all(
                &mut f,
                new_lines(data, &format!("b{i}x"), 1 << 20)?.as_bytes(),
            )?;
            drop(f);
            let run = measure(&mut cmd(&state))?;
            let scan = &serde_json::from_slice::<Value>(&run.output)?["scan"];
            if scan["index"] != "updated" || scan["readBytes"].as_u64() < Some(1 << 20) {
                bail!("the run after an append did not update the index: {scan}");
            }
            after_append.push(run);
        }
        let fresh = state.with_extension("fresh");
        let _ = std::fs::remove_dir_all(&fresh);
        let full = measure(&mut cmd(&fresh))?;
        let _ = std::fs::remove_dir_all(&fresh);
        let last = after_append.last().expect("at least one run");
        let same = without_scan(&last.output)? == without_scan(&full.output)?;
        row(
            &format!("ccpulse usage {report} --json, nothing changed"),
            best(&repeated),
        );
        row(
            &format!("ccpulse usage {report} --json, 1 MiB appended"),
            best(&after_append),
        );
        println!(
            "after the appends, the indexed report and one without an index are {}",
            if same { "identical" } else { "DIFFERENT" }
        );
        if !same {
            bail!("the incremental {report} report differs from a full read");
        }
        Ok(())
    })();
    let _ = std::fs::remove_file(&appended);
    let _ = std::fs::remove_dir_all(&state);
    result
}
