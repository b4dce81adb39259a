//! End to end with the real client: the records that Claude Code itself writes while the API is
//! overloaded make a running `ccpulse-tray` announce the 529 wave, once.
//!
//! - `claude -p` (npm `@anthropic-ai/claude-code`, installed by `cargo xtask test`, see
//!   [`claude_code`]) runs inside a network namespace that has nothing but loopback, against a
//!   fake Messages API (`src/bin/fake-messages-api.rs`) that answers every request with 529
//!   `overloaded_error`. Nothing can leave the machine.
//! - An interactive session (`fixtures/claude-code/i-apikey`, written by Claude Code in tmux)
//!   has no retry records: a retry shows only as the same request (`requestDigest`) sent again.
//!   Its lines, moved to now, are appended turn by turn to a transcript the tray watches.
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use ccpulse_tests::claude_code::{self, claude_bin, is_final_error, is_retry_record};
use ccpulse_tests::statuspage::TimelineServer;
use ccpulse_tests::{Desktop, Item, Notification, SniHost};
use serde_json::Value;

const T: Duration = Duration::from_secs(20);
/// How long one `claude -p` may take; it gives up after three attempts in about 2 s here.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);
const WAVE: &str = "Claude is overloaded: requests are failing and being retried";
const FAKE_API: &str = env!("CARGO_BIN_EXE_fake-messages-api");

/// The tray on `desktop`, reading `server`, its own state dir and the Claude config dir
/// `claude`. It polls the status page only at start.
fn tray_command(desktop: &Desktop, server: &TimelineServer, claude: &Path) -> Result<Command> {
    let mut cmd = desktop.tray_command(&server.uri(), "")?;
    cmd.env("CLAUDE_CONFIG_DIR", claude).env("TZ", "UTC");
    Ok(cmd)
}

async fn wait_for_tooltip(item: &Item, want: &str) -> Result<String> {
    item.wait_for_tooltip(want, T).await
}

/// Exactly one notification, the wave's start, and it points at /model.
fn assert_one_wave_notice(got: &[Notification], tray_log: &str) -> Result<()> {
    let summaries: Vec<&str> = got.iter().map(|n| n.summary.as_str()).collect();
    ensure!(
        summaries == [WAVE],
        "want exactly one notification, the wave's; got {got:#?}\n{tray_log}"
    );
    ensure!(got[0].body.contains("/model"), "{:?}", got[0].body);
    Ok(())
}

/// What one `claude -p` run did.
struct ClientRun {
    log: String,
    /// Requests the fake API answered (all with 529).
    requests: usize,
}

/// Runs `claude -p "say hi"` in `project`, with a fresh `HOME` and the Claude config dir
/// `config`, against the fake API, in a network namespace with only loopback (as root, or as a
/// user through a user namespace). Its stdout and stderr, with the fake API's log of requests,
/// go to `logs/claude-p-N.log` in the desktop (echoed when the test fails).
fn run_claude(
    desktop: &Desktop,
    claude: &Path,
    config: &Path,
    project: &Path,
) -> Result<ClientRun> {
    let home = desktop.root().join("claude-home");
    std::fs::create_dir_all(&home)?;
    let path = std::env::var("PATH").unwrap_or_default();
    let mut cmd = claude_code::loopback_namespace();
    // The namespace's links are logged (the test checks there is only `lo`), then the fake API
    // starts listening and runs claude with ANTHROPIC_BASE_URL pointing at itself.
    cmd.args(["sh", "-c"])
        .arg(concat!(
            "ip link set lo up && ip -o link show | sed 's/^/netns link: /' && ",
            r#"exec "$0" "$@""#
        ))
        .arg(FAKE_API)
        .arg("--")
        .arg(claude)
        .args(["-p", "say hi"])
        .current_dir(project)
        .env_clear()
        .env("PATH", format!("{path}:/usr/sbin:/sbin"))
        .env("HOME", &home)
        .env("CLAUDE_CONFIG_DIR", config)
        .env(
            "ANTHROPIC_API_KEY",
            "sk-ant-api03-fake-key-for-a-loopback-api",
        )
        // Sonnet retries this often; Opus (the default) gives up after 3 attempts on 529s.
        .env("CLAUDE_CODE_MAX_RETRIES", "3")
        .env("DISABLE_TELEMETRY", "1")
        .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
        .env("DISABLE_AUTOUPDATER", "1")
        .env("DISABLE_ERROR_REPORTING", "1")
        .env("TZ", "UTC")
        .env("LANG", "C.UTF-8");
    let mut guard = desktop.spawn("claude-p", cmd)?;
    let status = guard.wait_for_exit(CLIENT_TIMEOUT)?;
    let log = guard.log();
    let links: Vec<&str> = log
        .lines()
        .filter_map(|l| l.strip_prefix("netns link: "))
        .collect();
    ensure!(
        !links.is_empty() && links.iter().all(|l| l.contains(": lo:")),
        "claude must run where only loopback exists; links: {links:?}\n{}",
        guard.log_excerpt()
    );
    // Retries ran out: exit 1 and the error on stdout.
    ensure!(
        status.code() == Some(1) && log.contains("529"),
        "claude -p should fail with 529 after its retries ({status}):\n{}",
        guard.log_excerpt()
    );
    let requests = log
        .lines()
        .find_map(|l| l.strip_prefix("fake-messages-api: answered "))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .with_context(|| format!("no request count from the fake API:\n{log}"))?;
    Ok(ClientRun { log, requests })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_claude_p_against_an_overloaded_api_makes_the_tray_announce_the_wave_once(
) -> Result<()> {
    let claude = claude_bin();
    let version = claude_code::version(&claude)?;
    ensure!(
        version >= claude_code::MIN_VERSION,
        "{} is Claude Code {version:?}, older than {:?}",
        claude.display(),
        claude_code::MIN_VERSION
    );
    eprintln!("Claude Code {version:?} at {}", claude.display());
    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    let host = SniHost::start(&desktop).await?;
    let config = desktop.root().join("claude-config");
    let project = desktop.root().join("project");
    // A Claude Code never used before: an empty config dir. The client makes `projects`, the
    // project's folder in it and the transcripts; the tray follows from the start.
    std::fs::create_dir_all(&config)?;
    std::fs::create_dir_all(&project)?;
    let app = desktop.spawn("ccpulse-tray", tray_command(&desktop, &server, &config)?)?;
    let item = host.wait_for_item(T).await?;
    wait_for_tooltip(&item, "Claude: operational").await?;

    // Three sessions in a row, each retrying until it gives up. Two final failures within 10
    // minutes start a wave, so it is on after the second at the latest; the third is part of
    // the same wave and announces nothing new.
    let mut runs = Vec::new();
    for n in 1..=3 {
        let started = Instant::now();
        let run = run_claude(&desktop, &claude, &config, &project)?;
        eprintln!(
            "claude -p #{n}: {} requests, {:?}",
            run.requests,
            started.elapsed()
        );
        runs.push(run);
        if n == 2 {
            let ended = Instant::now();
            desktop.wait_for_notification("announcing the wave", T, |x| x.summary == WAVE)?;
            eprintln!("wave notified {:?} after the second run", ended.elapsed());
        }
    }

    // The client really ran against the fake API, and wrote real retry records of its 529s.
    let transcripts = claude_code::transcript_lines(&config)?;
    ensure!(
        transcripts.len() == 3,
        "one transcript per session: {:?}",
        transcripts.iter().map(|(f, _)| f).collect::<Vec<_>>()
    );
    let (mut retries, mut finals, mut models) = (0, 0, Vec::new());
    for (file, lines) in &transcripts {
        let records: Vec<&Value> = lines.iter().filter(|l| is_retry_record(l)).collect();
        ensure!(!records.is_empty(), "no retry record in {}", file.display());
        for (i, r) in records.iter().enumerate() {
            ensure!(
                r["error"]["status"] == 529
                    && r["retryAttempt"] == i + 1
                    && r["error"]["requestId"]
                        .as_str()
                        .is_some_and(|id| id.starts_with("req_fake")),
                "not a retry record of a 529 from the fake API: {r}"
            );
        }
        let last: Vec<&Value> = lines.iter().filter(|l| is_final_error(l)).collect();
        ensure!(
            last.len() == 1 && last[0]["apiErrorStatus"] == 529,
            "one final 529 error in {}: {last:?}",
            file.display()
        );
        retries += records.len();
        finals += 1;
        models.extend(
            lines
                .iter()
                .filter(|l| l["type"] == "api-request")
                .filter_map(|l| l["params"]["model"].as_str().map(str::to_string)),
        );
    }
    let requests: usize = runs.iter().map(|r| r.requests).sum();
    ensure!(
        requests == retries + finals,
        "every attempt reached the fake API: {requests} requests, {retries} retries + {finals} \
         final errors in the transcripts\n{}",
        runs.iter().map(|r| r.log.as_str()).collect::<String>()
    );
    models.sort();
    models.dedup();
    ensure!(models.len() == 1, "one model asked: {models:?}");
    eprintln!(
        "transcripts: {retries} retry records, {finals} final errors, model {}",
        models[0]
    );

    // The tray counts them all, by model, and says so; the wave was announced once.
    let tip = wait_for_tooltip(
        &item,
        &format!(
            "Overload: {} errors in 15 min ({})",
            retries + finals,
            models[0]
        ),
    )
    .await?;
    ensure!(tip.contains("try /model"), "{tip:?}");
    let got = desktop.notifications_after_quiet(Duration::from_millis(1500), T)?;
    assert_one_wave_notice(&got, &app.log_excerpt())?;
    Ok(())
}

/// The interactive fixture's lines with every `timestamp` moved by the same offset, so that the
/// last is a second ago, split into turns: each ends with its `turn_duration` line or its final
/// error line (whatever follows the last turn is a chunk of its own).
fn interactive_turns() -> Result<Vec<Vec<String>>> {
    let file = ccpulse_tests::fixtures_dir().join(
        "claude-code/i-apikey/projects/-home-user-project/cfa5cee2-1020-4e06-936d-4de000292275.jsonl",
    );
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let lines: Vec<(&str, Value)> = text
        .lines()
        .map(|l| Ok((l, serde_json::from_str(l)?)))
        .collect::<Result<_>>()?;
    let at = |v: &Value| -> Option<chrono::DateTime<chrono::Utc>> {
        let s = v["timestamp"].as_str()?;
        Some(chrono::DateTime::parse_from_rfc3339(s).ok()?.to_utc())
    };
    let times: Vec<_> = lines.iter().filter_map(|(_, v)| at(v)).collect();
    let (first, last) = (*times.iter().min().unwrap(), *times.iter().max().unwrap());
    // The errors must fall within one wave window (10 minutes) for the test to mean anything.
    ensure!(
        last - first < chrono::Duration::minutes(10),
        "the fixture spans {:?}; compress it",
        last - first
    );
    let shift = chrono::Utc::now() - chrono::Duration::seconds(1) - last;
    let mut turns = vec![Vec::new()];
    for (raw, v) in &lines {
        let mut line = raw.to_string();
        if let (Some(t), Some(old)) = (at(v), v["timestamp"].as_str()) {
            let new = (t + shift).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
            line = line.replace(
                &format!(r#""timestamp":"{old}""#),
                &format!(r#""timestamp":"{new}""#),
            );
        }
        turns.last_mut().unwrap().push(line + "\n");
        if (v["type"] == "system" && v["subtype"] == "turn_duration") || is_final_error(v) {
            turns.push(Vec::new());
        }
    }
    turns.retain(|t| !t.is_empty());
    Ok(turns)
}

/// What a turn of the fixture holds: requests sent again (same `requestDigest` as the one
/// before) and the final error's status.
fn describe(turn: &[String]) -> Result<(usize, Option<u64>)> {
    let mut digest = None;
    let (mut repeats, mut status) = (0, None);
    for line in turn {
        let v: Value = serde_json::from_str(line)?;
        if v["type"] == "api-request" {
            let d = v["requestDigest"].as_str().map(str::to_string);
            repeats += usize::from(d.is_some() && d == digest);
            digest = d;
        }
        if is_final_error(&v) {
            status = v["apiErrorStatus"].as_u64();
        }
        ensure!(
            !is_retry_record(&v),
            "interactive sessions write no retry records"
        );
    }
    Ok((repeats, status))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interactive_session_retrying_529s_makes_the_tray_announce_the_wave_once() -> Result<()>
{
    let turns = interactive_turns()?;
    // The session, as recorded: a normal answer; all 529s (3 retries, then the error); 529s,
    // then an answer; all 500s; all 429s; the session's closing lines.
    let shapes = turns
        .iter()
        .map(Vec::as_slice)
        .map(describe)
        .collect::<Result<Vec<_>>>()?;
    ensure!(
        shapes[..5]
            == [
                (0, None),
                (3, Some(529)),
                (2, None),
                (3, Some(500)),
                (3, Some(429))
            ],
        "the fixture changed: {shapes:?}"
    );

    let server = TimelineServer::start().await?;
    let desktop = Desktop::new()?;
    let host = SniHost::start(&desktop).await?;
    let config = desktop.root().join("claude-config");
    let project = config.join("projects/-home-user-project");
    std::fs::create_dir_all(&project)?;
    let transcript: PathBuf = project.join("cfa5cee2-1020-4e06-936d-4de000292275.jsonl");
    std::fs::write(&transcript, "")?;
    let app = desktop.spawn("ccpulse-tray", tray_command(&desktop, &server, &config)?)?;
    let item = host.wait_for_item(T).await?;
    wait_for_tooltip(&item, "Claude: operational").await?;
    let append = |turns: &[Vec<String>]| -> Result<()> {
        let mut f = std::fs::OpenOptions::new().append(true).open(&transcript)?;
        for line in turns.iter().flatten() {
            std::io::Write::write_all(&mut f, line.as_bytes())?;
        }
        Ok(())
    };

    // The answer, the failed turn (3 retries, 1 failure: not yet a wave), the flaky one (2 more
    // retries: 5 in all, a wave), each appended as Claude Code would.
    for turn in &turns[..3] {
        append(std::slice::from_ref(turn))?;
    }
    let appended = Instant::now();
    desktop.wait_for_notification("announcing the wave", T, |x| x.summary == WAVE)?;
    eprintln!("wave notified {:?} after the append", appended.elapsed());
    let tip = wait_for_tooltip(&item, "Overload: 6 errors in 15 min (claude-sonnet-4-5)").await?;
    ensure!(tip.contains("try /model"), "{tip:?}");

    // More server errors in the same wave (3 retries and the failure of the all-500 turn)
    // announce nothing new; nor does the rest of the session.
    append(&turns[3..4])?;
    wait_for_tooltip(&item, "Overload: 10 errors in 15 min").await?;
    append(&turns[4..])?;
    let got = desktop.notifications_after_quiet(Duration::from_millis(1500), T)?;
    assert_one_wave_notice(&got, &app.log_excerpt())?;
    // The all-429 turn's retries were the user's rate limit (its final line says so), not
    // overload: still 10.
    let tip = item.tooltip_text().await?;
    ensure!(tip.contains("Overload: 10 errors in 15 min"), "{tip:?}");
    Ok(())
}
