//! `ccpulse` as a user runs it, against a loopback Statuspage.
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use std::process::Output;

use anyhow::Result;
use ccpulse_tests::statuspage::TimelineServer;
use ccpulse_tests::wait::poll_until_async;
use ccpulse_tests::Ccpulse;
use serde_json::Value;

fn ccpulse(home: &std::path::Path, url: &str, args: &[&str]) -> Output {
    Ccpulse::in_home(home).status_url(url).args(args).output()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[tokio::test]
async fn status_json_shows_the_incident_with_its_latest_update() -> Result<()> {
    let server = TimelineServer::start().await?;
    server.set_step(2);
    let home = tempfile::tempdir()?;
    let out = ccpulse(home.path(), &server.uri(), &["status", "--json"]);
    assert!(out.status.success());
    let s = &json(&out)["service"];
    assert_eq!(s["indicator"], "minor");
    assert_eq!(s["level"], "degraded");
    assert_eq!(s["stale"], false);
    assert_eq!(s["error"], Value::Null);
    let inc = &s["incidents"][0];
    assert_eq!(inc["id"], "inc7x0opus45");
    assert_eq!(inc["name"], "Elevated errors on Claude Opus 4.5");
    assert_eq!(inc["status"], "identified");
    assert_eq!(inc["impact"], "minor");
    assert_eq!(
        inc["url"],
        "https://status.claude.com/incidents/inc7x0opus45"
    );
    assert_eq!(inc["latest_update"]["status"], "identified");
    assert_eq!(
        inc["latest_update"]["body"],
        "The issue has been identified and a fix is being implemented."
    );
    assert_eq!(
        inc["latest_update"]["created_at"],
        "2026-11-24T10:20:40+00:00"
    );
    let code = s["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "yyzkbfz2thpt")
        .unwrap();
    assert_eq!(code["status"], "degraded_performance");
    assert_eq!(code["relevant"], true);

    let text = ccpulse(home.path(), &server.uri(), &["status"]);
    let text = String::from_utf8(text.stdout)?;
    assert!(
        text.starts_with("Claude: Elevated errors on Claude Opus 4.5 (identified)"),
        "{text}"
    );
    assert!(text.contains("fix is being implemented"), "{text}");
    Ok(())
}

#[test]
fn status_with_the_server_down_exits_0_and_says_why() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let home = tempfile::tempdir().unwrap();
    let out = ccpulse(home.path(), &url, &["status", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let s = &json(&out)["service"];
    assert_eq!(s["indicator"], "unknown");
    assert_eq!(s["stale"], true);
    assert_eq!(
        s["error"],
        format!("GET {url}/api/v2/summary.json: could not connect (connection refused)")
    );
    // Quiet on stderr by default; `-v` says what it did, with levels.
    let quiet = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!quiet.contains("INFO"), "{quiet}");
    let out = ccpulse(home.path(), &url, &["-v", "status", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("INFO") && said.contains("could not connect (connection refused)"),
        "{said}"
    );
}

#[test]
fn bad_config_and_bad_flags_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("bad.toml");
    let cases: [(&str, &str); 3] = [
        (
            "[status]\npoll_secs = 0\n",
            "status.poll_secs: 0 is out of range",
        ),
        ("[status]\nurl = \"ftp://x\"\n", "status.url"),
        ("[status\n", "is not valid"),
    ];
    for (body, message) in cases {
        std::fs::write(&config, body).unwrap();
        let out = ccpulse(
            home.path(),
            "http://127.0.0.1:9",
            &["--config", config.to_str().unwrap(), "status"],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{body}: {err}");
        assert!(err.contains(message), "{body}: {err}");
        assert!(
            err.contains(config.to_str().unwrap()),
            "names the file: {err}"
        );
        assert!(out.stdout.is_empty());
    }
    let missing = ccpulse(
        home.path(),
        "http://127.0.0.1:9",
        &["--config", "/nonexistent/ccpulse.toml", "status"],
    );
    assert_eq!(missing.status.code(), Some(2));
    let out = ccpulse(home.path(), "http://127.0.0.1:9", &["status", "--jsn"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--jsn"));
}

#[tokio::test]
async fn watch_redraws_when_the_status_changes() -> Result<()> {
    let server = TimelineServer::start().await?;
    let home = tempfile::tempdir()?;
    let config = home.path().join("fast.toml");
    std::fs::write(&config, "[status]\npoll_secs = 1\n")?;
    let mut child = Ccpulse::new()
        .home(home.path())
        .state_dir(home.path().join("state"))
        .status_url(server.uri())
        .args(["--config", config.to_str().unwrap(), "watch"])
        .command()
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let rx = ccpulse_tests::process::stdout_lines(&mut child);
    let wait_for = |want: &str| -> Vec<String> {
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while let Ok(line) = rx.recv_timeout(deadline - std::time::Instant::now()) {
            let hit = line.contains(want);
            seen.push(line);
            if hit {
                return seen;
            }
        }
        panic!("watch never printed {want:?}; got {seen:?}");
    };
    wait_for("Claude: operational");
    server.set_step(1);
    let block = wait_for("Claude: Elevated errors on Claude Opus 4.5 (investigating)");
    assert!(
        block.iter().any(|l| l.starts_with("--- ")),
        "a new block: {block:?}"
    );
    // Unchanged readings print nothing new: let two more polls see the same state, then change it.
    let polled = server.requests_to("/api/v2/summary.json").await;
    poll_until_async(
        "two more polls by watch",
        std::time::Duration::from_secs(15),
        || async {
            let now = server.requests_to("/api/v2/summary.json").await;
            Ok((now >= polled + 2).then_some(()))
        },
    )
    .await?;
    server.set_step(2);
    let block = wait_for("(identified)");
    assert!(
        !block.iter().any(|l| l.contains("(investigating)")),
        "no repeat of the unchanged state: {block:?}"
    );
    child.kill()?;
    child.wait()?;
    Ok(())
}

/// `ccpulse <args>` over the transcripts in `config_dir`: the report, and its `scan` section.
fn usage_json(home: &std::path::Path, config_dir: &str, args: &[&str]) -> (Value, Value) {
    let (report, scan, _) = usage_run(home, config_dir, None, args);
    (report, scan)
}

/// [`usage_json`] with a state dir (else the default under `home`), and what it wrote to stderr.
fn usage_run(
    home: &std::path::Path,
    config_dir: &str,
    state: Option<&std::path::Path>,
    args: &[&str],
) -> (Value, Value, String) {
    let mut cmd = Ccpulse::new().home(home).claude_config_dir(config_dir);
    if let Some(state) = state {
        cmd = cmd.state_dir(state);
    }
    let out = cmd.args(args).output();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let mut report = json(&out);
    let scan = report
        .as_object_mut()
        .unwrap()
        .remove("scan")
        .expect("a scan section");
    (report, scan, stderr)
}

/// The real Claude Code transcripts give exactly what ccusage 20 reports for them
/// (`tests/fixtures/ccusage/`), in two time zones.
#[test]
fn usage_reports_match_the_reference_on_real_transcripts() {
    let fixtures = ccpulse_tests::fixtures_dir();
    let roots: Vec<String> = ccpulse_tests::paths::fixture_roots("claude-code")
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(roots.len(), 7);
    let home = tempfile::tempdir().unwrap();
    let cases = [
        (
            vec!["usage", "daily", "--json", "--timezone", "UTC"],
            "all-fixtures-daily-utc.json",
        ),
        (
            vec!["usage", "daily", "--json", "--timezone", "Asia/Tokyo"],
            "all-fixtures-daily-tokyo.json",
        ),
        (
            vec!["usage", "weekly", "--json", "-z", "UTC"],
            "all-fixtures-weekly-utc.json",
        ),
        (
            vec!["usage", "weekly", "--json", "-z", "UTC", "-w", "monday"],
            "all-fixtures-weekly-monday-utc.json",
        ),
        (
            vec!["usage", "monthly", "--json", "-z", "UTC"],
            "all-fixtures-monthly-utc.json",
        ),
        (
            vec!["usage", "session", "--json", "-z", "UTC"],
            "all-fixtures-session-utc.json",
        ),
    ];
    for (args, reference) in cases {
        let (got, scan) = usage_json(home.path(), &roots.join(","), &args);
        let want: Value = serde_json::from_slice(
            &std::fs::read(fixtures.join("ccusage").join(reference)).unwrap(),
        )
        .unwrap();
        assert_eq!(scan["files"], 7);
        assert_eq!(
            scan["skippedLines"], 0,
            "the real transcripts have no bad usage lines"
        );
        assert_eq!(got, want, "{reference}");
    }
}

/// Agent-progress wrappers (daily only) and advisor iterations, as ccusage 20 counts them
/// (`tests/fixtures/ccusage-edge/`).
#[test]
fn usage_counts_agent_progress_and_advisors_like_the_reference() {
    let fixtures = ccpulse_tests::fixtures_dir();
    let root = fixtures.join("ccusage-edge");
    let home = tempfile::tempdir().unwrap();
    for report in ["daily", "weekly", "session"] {
        let args = ["usage", report, "--json", "-z", "UTC"];
        let (got, scan) = usage_json(home.path(), root.to_str().unwrap(), &args);
        let reference = format!("edge-{report}-utc.json");
        let want: Value = serde_json::from_slice(
            &std::fs::read(fixtures.join("ccusage").join(&reference)).unwrap(),
        )
        .unwrap();
        assert_eq!(got, want, "{reference}");
        // Progress lines are left out of the other reports, but they are not unreadable.
        assert_eq!(scan["skippedLines"], 0, "{report}");
    }
}

/// Truncated lines, binary garbage, invalid UTF-8, wrong types, deep nesting and a 100 MB line:
/// no crash, the bad usage lines are counted, and the good lines give the same report as alone.
#[test]
fn usage_survives_bad_input_and_counts_it() {
    let good_file = std::fs::read_dir(
        ccpulse_tests::fixtures_dir().join("claude-code/i-apikey/projects/-home-user-project"),
    )
    .unwrap()
    .flatten()
    .next()
    .unwrap()
    .path();
    let good = std::fs::read(good_file).unwrap();
    let usage_line = good
        .split(|b| *b == b'\n')
        .find(|l| {
            l.windows(9).any(|w| w == b"\"usage\":{")
                && !l.windows(11).any(|w| w == b"\"speed\":null")
        })
        .unwrap()
        .to_vec();
    // A valid response 100 MB long: counted like any other.
    let text_at = usage_line
        .windows(8)
        .position(|w| w == b"\"text\":\"")
        .expect("a text block")
        + 8;
    let mut huge = usage_line[..text_at].to_vec();
    huge.extend(std::iter::repeat_n(b'x', 100 << 20));
    huge.extend_from_slice(&usage_line[text_at..]);
    let huge = String::from_utf8(huge)
        .unwrap()
        .replacen("\"requestId\":\"req_", "\"requestId\":\"req_huge", 1)
        .replacen("\"id\":\"msg_", "\"id\":\"msg_huge", 1)
        .into_bytes();

    // Invalid UTF-8 in a field that is read (the model name) makes the line unreadable; in text
    // that is not read it does not matter (that line is a copy of a good one and dedupes away).
    let model_at = usage_line
        .windows(9)
        .position(|w| w == b"\"model\":\"")
        .unwrap()
        + 9;
    let mut invalid_utf8 = usage_line.clone();
    invalid_utf8.splice(model_at..model_at, [0xff, 0xfe]);
    let mut harmless_utf8 = usage_line.clone();
    harmless_utf8.splice(text_at..text_at, [0xff, 0xfe]);
    let usage_at = usage_line
        .windows(9)
        .position(|w| w == b"\"usage\":{")
        .unwrap();
    let bad: Vec<Vec<u8>> = vec![
        // cut off after its usage began (Claude Code killed mid-write)
        usage_line[..usage_at + 30].to_vec(),
        b"\x00\xff garbage \"usage\":{ \x01\x02".to_vec(),
        invalid_utf8,
        String::from_utf8(usage_line.clone())
            .unwrap()
            .replacen("\"input_tokens\":12", "\"input_tokens\":\"12\"", 1)
            .into_bytes(),
        [b"[".repeat(100_000).as_slice(), b"{\"usage\":{}}"].concat(),
    ];

    let write_root = |with_bad: bool| {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("projects/p");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("good.jsonl"), &good).unwrap();
        let mut extra = huge.clone();
        extra.push(b'\n');
        if with_bad {
            for line in &bad {
                extra.extend_from_slice(line);
                extra.push(b'\n');
            }
            extra.extend_from_slice(&harmless_utf8);
            extra.extend_from_slice(b"\nnot json at all\n\n{}\n");
        }
        std::fs::write(dir.join("extra.jsonl"), extra).unwrap();
        root
    };
    let run = |root: &tempfile::TempDir| {
        let dir = root.path().to_str().unwrap();
        usage_json(root.path(), dir, &["usage", "daily", "--json", "-z", "UTC"])
    };
    let (clean, clean_scan) = run(&write_root(false));
    let (dirty, dirty_scan) = run(&write_root(true));
    assert_eq!(clean_scan["skippedLines"], 0);
    assert_eq!(dirty_scan["skippedLines"], bad.len());
    assert_eq!(dirty, clean, "the good lines' report is unaffected");
    assert!(
        clean["totals"]["inputTokens"].as_u64().unwrap() > 24,
        "the 100 MB line counted: {}",
        clean["totals"]
    );
}

/// A state dir that cannot be written costs speed, not results: the report is the same, the
/// index is reported as not saved, and a writable state dir then gives an unchanged second run.
#[test]
fn usage_index_in_the_state_dir_and_without_one() {
    let fixtures = ccpulse_tests::fixtures_dir().join("claude-code/i-apikey");
    let home = tempfile::tempdir().unwrap();
    let blocker = home.path().join("not-a-dir");
    std::fs::write(&blocker, b"").unwrap();
    let config_dir = fixtures.to_str().unwrap();
    let run = |state: &std::path::Path| {
        let args = ["usage", "daily", "--json", "-z", "UTC"];
        usage_run(home.path(), config_dir, Some(state), &args)
    };
    let (unsaved, scan, stderr) = run(&blocker.join("state"));
    assert_eq!(scan["index"], "built");
    assert!(stderr.contains("the usage index was not saved"), "{stderr}");

    let state = home.path().join("state");
    let (first, scan, _) = run(&state);
    assert_eq!(
        (&scan["index"], &scan["indexNote"]),
        (&"built".into(), &"no index yet".into())
    );
    assert!(scan["readBytes"].as_u64().unwrap() > 0);
    let (second, scan, _) = run(&state);
    assert_eq!(
        (&scan["index"], &scan["readBytes"]),
        (&"unchanged".into(), &0.into())
    );
    assert_eq!(first, unsaved);
    assert_eq!(second, first);
}

/// Real `-p` records of a 529 that ran out of retries (`p-overloaded`: three retries, one final
/// error), written twice by two sessions in the last minutes: a wave in `status --json`.
#[test]
fn status_json_reports_a_529_wave_from_the_transcripts() {
    let home = tempfile::tempdir().unwrap();
    ccpulse_tests::claude_code::plant_recent_overload(
        &home.path().join(".claude"),
        chrono::Utc::now(),
        &[120, 90],
    )
    .unwrap();
    let out = ccpulse(home.path(), "http://127.0.0.1:9", &["status", "--json"]);
    let o = &json(&out)["overload"];
    assert_eq!(o["state"], "local_wave", "{o}");
    assert!(o["since"].is_string(), "{o}");
    let (retries, failures) = o["models"]
        .as_array()
        .unwrap()
        .iter()
        .fold((0, 0), |(r, f), m| {
            (
                r + m["retries_15m"].as_u64().unwrap(),
                f + m["failures_15m"].as_u64().unwrap(),
            )
        });
    assert_eq!((retries, failures), (6, 2), "{o}");
    let per_minute = o["per_minute"].as_array().unwrap();
    assert_eq!(per_minute.len(), 60);
    assert_eq!(
        per_minute.iter().map(|n| n.as_u64().unwrap()).sum::<u64>(),
        8
    );
    // The human form says what it is and shows the chart.
    let text =
        String::from_utf8(ccpulse(home.path(), "http://127.0.0.1:9", &["status"]).stdout).unwrap();
    assert!(text.contains("Overload: 8 errors in 15 min"), "{text}");
    assert!(text.contains("errors per minute, last hour: ▁"), "{text}");
}

/// `ccpulse fix` as users run it: the message as arguments, piped in, or an id; the list.
#[test]
fn fix_finds_the_entry_for_a_pasted_message() {
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: Option<&str>| -> Output {
        Ccpulse::new()
            .home(home.path())
            // A broken config must not stop it: fixing the set-up is what it is for.
            .config_file(home.path().join("missing/config.toml"))
            .args(args)
            .stdin(stdin.unwrap_or(""))
            .output()
    };
    let found = |out: &Output| -> String {
        assert!(out.status.success(), "{out:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v[0]["entry"]["id"].as_str().unwrap_or_default().to_string()
    };
    let overloaded = "⎿  API Error: Repeated 529 Overloaded errors. The API is at capacity — this \
                      is usually temporary.";
    assert_eq!(
        found(&run(&["fix", "--json", overloaded], None)),
        "overloaded"
    );
    // Piped in, with the newer limit wording and the zone in parentheses.
    let limit = "You've hit your 5-hour limit · resets 1:31am (UTC)\n";
    assert_eq!(
        found(&run(&["fix", "--json"], Some(limit))),
        "session-limit"
    );
    assert_eq!(
        found(&run(&["fix", "--json", "weekly-limit"], None)),
        "weekly-limit"
    );

    // The human text: title, cause, steps, commands; exit 0.
    let out = run(&["fix", overloaded], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("/model"), "{text}");
    assert!(text.contains("What to do"), "{text}");
    assert!(
        !text.contains('\x1b'),
        "no colour when not on a terminal: {text:?}"
    );

    // Nothing found: exit 1 and a pointer to the list.
    let out = run(&["fix", "the coffee machine is empty"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ccpulse fix --list"));
    // Nothing given: exit 2 and how to use it.
    let out = run(&["fix"], Some(""));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no message given"));

    // The list: every entry, as JSON too.
    let out = run(&["fix", "--list", "--json"], None);
    let all: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["id"].as_str())
        .collect();
    assert!(ids.len() >= 25, "{ids:?}");
    let out = run(&["fix", "--list"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(ids.iter().all(|id| text.contains(id)), "{text}");
}

// The real message texts the knowledge base's own test uses, each with the entry it must find.
include!("../../crates/core/tests/data/real_texts.rs");

/// Every real message text, pasted into `ccpulse fix` as a user would (on stdin), finds its
/// entry first.
#[test]
fn fix_finds_the_right_entry_for_every_real_message_text() {
    assert!(REAL_TEXTS.len() >= 25);
    let mut wrong = Vec::new();
    for (text, want) in REAL_TEXTS {
        let out = Ccpulse::new().args(["fix", "--json"]).stdin(text).output();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let got = v[0]["entry"]["id"].as_str().unwrap_or("(none)").to_string();
        if got != *want || !out.status.success() {
            wrong.push(format!("{want} <- {got} ({}): {text}", out.status));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} wrong:\n{}",
        wrong.len(),
        REAL_TEXTS.len(),
        wrong.join("\n")
    );
}

/// `status` says what to do: nothing answers (offline), and the project's `.env` holds an API
/// key that Claude Code started here would use; never the key itself.
#[test]
fn status_says_what_to_do_and_names_where_a_key_is_set() {
    let home = tempfile::tempdir().unwrap();
    let project = home.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let key = "sk-ant-api03-CLI-planted-key";
    std::fs::write(project.join(".env"), format!("ANTHROPIC_API_KEY={key}\n")).unwrap();
    let run = |json: bool| {
        Ccpulse::new()
            .home(home.path())
            .state_dir(home.path().join("state"))
            .status_url("http://127.0.0.1:9")
            .api_url("http://127.0.0.1:9")
            .current_dir(&project)
            .arg("status")
            .args(json.then_some("--json"))
            .output()
    };
    let out = run(true);
    let advice = &json(&out)["advice"];
    let ids: Vec<&str> = advice
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["offline", "api-key"], "{advice}");
    assert_eq!(advice[0]["entry"], "unable-to-connect");
    assert_eq!(advice[0]["steps"][0]["command"], "ccpulse doctor");
    let where_set = advice[1]["detail"].as_str().unwrap();
    assert!(
        where_set.contains(&format!(
            "ANTHROPIC_API_KEY in {}",
            project.join(".env").display()
        )),
        "{where_set}"
    );
    let human = run(false);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("What to do now\n  No connection\n"), "{text}");
    assert!(
        text.contains("more: ccpulse fix api-key-overrides-subscription"),
        "{text}"
    );
    for out in [&out, &human] {
        for stream in [&out.stdout, &out.stderr] {
            assert!(
                !String::from_utf8_lossy(stream).contains("CLI-planted"),
                "the key in an output"
            );
        }
    }
}
