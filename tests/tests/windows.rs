//! The Windows CLI (`ccpulse.exe`, cross-built with mingw-w64) run under Wine, against the
//! Linux build on the same inputs: the same usage reports (also after lines are appended, read
//! through the usage index), the same status line, the same fix, the same status report of a
//! loopback status page.
//!
//! Ignored in the ordinary run: `cargo xtask test`'s "windows" step builds the `.exe`, makes the
//! Wine prefix, and runs these with `CCPULSE_WINDOWS_BIN` (the `.exe`), `CCPULSE_WINE` (Wine's
//! 64-bit loader) and `WINEPREFIX` set.
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use ccpulse_tests::paths::fixture_roots;
use ccpulse_tests::statuspage::TimelineServer;
use ccpulse_tests::{fixtures_dir, Ccpulse};
use serde_json::Value;

/// A closed port on loopback: where the runs that need no status page or API look.
const NOWHERE: &str = "http://127.0.0.1:9";

const NEEDS: &str = "needs the Windows build and Wine: cargo xtask test runs it";

/// A path as a Windows program under Wine names it (Wine maps `/` to drive `Z:`).
fn windows_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

/// The two builds, each with its own state dir under `home`.
struct Builds {
    home: tempfile::TempDir,
}

impl Builds {
    /// Each build with an empty config file of its own: the defaults.
    fn new() -> Self {
        let home = tempfile::tempdir().unwrap();
        for build in ["linux", "windows"] {
            std::fs::write(home.path().join(format!("{build}-config.toml")), "").unwrap();
        }
        Builds { home }
    }

    /// The Linux `ccpulse`, with `roots` as Claude Code's config dirs.
    fn linux(&self, roots: &[PathBuf]) -> Ccpulse {
        let roots: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
        Ccpulse::new()
            .home(self.home.path())
            .status_url(NOWHERE)
            .api_url(NOWHERE)
            .config_file(self.home.path().join("linux-config.toml"))
            .state_dir(self.home.path().join("linux-state"))
            .claude_config_dir(roots.join(","))
    }

    /// `ccpulse.exe` under Wine, with the same roots named the Windows way.
    fn windows(&self, roots: &[PathBuf]) -> Ccpulse {
        let exe = std::env::var_os("CCPULSE_WINDOWS_BIN").expect(NEEDS);
        let wine = std::env::var_os("CCPULSE_WINE").expect(NEEDS);
        let prefix = std::env::var_os("WINEPREFIX").expect(NEEDS);
        let roots: Vec<String> = roots.iter().map(|r| windows_path(r)).collect();
        Ccpulse::program(wine)
            .arg(exe)
            .env("WINEPREFIX", prefix)
            .env("WINEDEBUG", "-all")
            // Wine finds its server beside its loader, or on PATH.
            .env("PATH", "/usr/lib/wine:/usr/bin:/bin")
            .status_url(NOWHERE)
            .api_url(NOWHERE)
            .config_file(windows_path(&self.home.path().join("windows-config.toml")))
            .state_dir(windows_path(&self.home.path().join("windows-state")))
            .claude_config_dir(roots.join(","))
    }
}

#[track_caller]
fn succeeded(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// The report, and its `scan` section (paths, timings and the index: not comparable).
#[track_caller]
fn report(out: &Output) -> (Value, Value) {
    let mut report: Value = serde_json::from_str(&succeeded(out)).expect("JSON");
    let scan = report
        .as_object_mut()
        .unwrap()
        .remove("scan")
        .expect("a scan section");
    (report, scan)
}

/// A history as Claude Code writes it: `sessions` transcripts of `turns` assistant turns each,
/// across models and days, with a few lines a reader must skip.
fn write_history(root: &Path, sessions: usize, turns: usize) {
    let models = ["claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"];
    for s in 0..sessions {
        let session = format!("00000000-0000-4000-8000-{s:012}");
        let dir = root.join(format!("projects/-home-user-project-{}", s % 3));
        std::fs::create_dir_all(&dir).unwrap();
        let mut file = std::fs::File::create(dir.join(format!("{session}.jsonl"))).unwrap();
        for t in 0..turns {
            writeln!(file, "{}", turn(&session, s, t, models[(s + t) % 3])).unwrap();
            if t % 97 == 13 {
                let torn = turn(&session, s, 100_000 + t, models[0]);
                writeln!(file, "{}", &torn[..torn.len() / 2]).unwrap();
            }
        }
    }
}

/// One assistant turn with its usage, at a time spread over two months.
fn turn(session: &str, s: usize, t: usize, model: &str) -> String {
    let at = chrono::DateTime::parse_from_rfc3339("2026-09-01T00:00:00Z").unwrap()
        + chrono::Duration::minutes(((s * 7919 + t * 131) % (60 * 24 * 61)) as i64);
    serde_json::json!({
        "type": "assistant",
        "sessionId": session,
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "requestId": format!("req_{s:04}{t:06}"),
        "cwd": "/home/user/project",
        "version": "2.1.332",
        "message": {
            "id": format!("msg_{s:04}{t:06}"),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": "ok"}],
            "usage": {
                "input_tokens": 3 + (s * t) % 500,
                "output_tokens": 20 + (t * 17) % 900,
                "cache_creation_input_tokens": (s * 31 + t) % 3000,
                "cache_read_input_tokens": (t * 1013) % 40_000,
            }
        }
    })
    .to_string()
}

/// The real transcripts (Claude Code 2.1.328 and 2.1.332) and a generated history.
fn roots(generated: &Path) -> Vec<PathBuf> {
    let mut roots = fixture_roots("claude-code");
    roots.extend(fixture_roots("claude-code-2.1.332"));
    roots.push(generated.to_path_buf());
    roots
}

#[test]
#[ignore = "needs the Windows build and Wine: cargo xtask test runs it"]
fn usage_reports_equal_the_linux_builds_also_after_appends() {
    let builds = Builds::new();
    let generated = tempfile::tempdir().unwrap();
    write_history(generated.path(), 40, 400);
    let roots = roots(generated.path());
    let reports: [&[&str]; 4] = [
        &["usage", "daily", "--json", "-z", "UTC"],
        &["usage", "session", "--json", "-z", "UTC"],
        &["usage", "monthly", "--json", "-z", "Asia/Tokyo"],
        // The zone from TZ, as a user's shell sets it.
        &["usage", "daily", "--json"],
    ];
    let compare = |round: &str| -> Vec<Value> {
        let mut scans = Vec::new();
        for args in reports {
            let run = |c: Ccpulse| report(&c.env("TZ", "America/New_York").args(args).output());
            let (linux, _) = run(builds.linux(&roots));
            let (windows, scan) = run(builds.windows(&roots));
            assert!(
                linux.as_object().is_some_and(|o| !o.is_empty()),
                "{args:?}: {linux}"
            );
            assert_eq!(windows, linux, "{round}: {args:?}");
            scans.push(scan);
        }
        scans
    };
    let first = compare("the first read");
    assert_eq!(
        first[0]["index"], "built",
        "the first read builds the index: {}",
        first[0]
    );
    assert!(
        first[0]["skippedLines"].as_u64() > Some(0),
        "the torn lines are skipped, not fatal: {}",
        first[0]
    );

    // Claude Code goes on writing: lines appended to one transcript, and a new one.
    let session = "00000000-0000-4000-8000-000000000007";
    let path = generated
        .path()
        .join(format!("projects/-home-user-project-1/{session}.jsonl"));
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    for t in 400..430 {
        writeln!(file, "{}", turn(session, 7, t, "claude-opus-4-1")).unwrap();
    }
    drop(file);
    write_history(&generated.path().join("more"), 1, 25);
    std::fs::rename(
        generated.path().join("more/projects/-home-user-project-0"),
        generated.path().join("projects/-home-user-project-new"),
    )
    .unwrap();
    // The daily and the session reads each keep an index: the first report of each after the
    // appends reads only what was appended; the reports after them find nothing new.
    let after = compare("after appends");
    for (n, scan) in after.iter().enumerate() {
        let want = if n < 2 { "updated" } else { "unchanged" };
        assert_eq!(
            scan["index"], want,
            "the Windows build reads only what was appended: {scan}"
        );
        assert!(scan["indexNote"].is_null(), "{scan}");
    }
}

#[test]
#[ignore = "needs the Windows build and Wine: cargo xtask test runs it"]
fn the_status_line_is_the_same() {
    let builds = Builds::new();
    let none = tempfile::tempdir().unwrap();
    let roots = [none.path().to_path_buf()];
    let inputs = std::fs::read_to_string(
        fixtures_dir().join("claude-code-2.1.332/i-gatewayjwt/statusline.jsonl"),
    )
    .unwrap();
    let input = inputs.lines().last().unwrap();
    assert!(input.contains("rate_limits"), "a feed with limits: {input}");
    let line = |c: Ccpulse| {
        succeeded(
            &c.env("TZ", "UTC")
                .env("LANG", "en_US.UTF-8")
                .arg("statusline")
                .stdin(input)
                .output(),
        )
    };
    // The line counts down to the resets: a Linux run before and after the Windows one, so
    // that a minute turning over in between cannot tell the builds apart.
    let before = line(builds.linux(&roots));
    let windows = line(builds.windows(&roots));
    let after = line(builds.linux(&roots));
    assert!(!before.trim().is_empty());
    assert!(
        windows == before || windows == after,
        "Windows: {windows:?}\nLinux: {before:?} / {after:?}"
    );
}

#[test]
#[ignore = "needs the Windows build and Wine: cargo xtask test runs it"]
fn fix_gives_the_same_advice() {
    let builds = Builds::new();
    let none = tempfile::tempdir().unwrap();
    let roots = [none.path().to_path_buf()];
    for args in [
        vec!["fix", "API Error: Repeated 529 Overloaded errors"],
        vec!["fix", "--json", "Claude usage limit reached"],
        vec!["fix", "--list"],
    ] {
        let linux = succeeded(&builds.linux(&roots).args(&args).output());
        let windows = succeeded(&builds.windows(&roots).args(&args).output());
        assert!(!linux.trim().is_empty(), "{args:?}");
        assert_eq!(windows, linux, "{args:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the Windows build and Wine: cargo xtask test runs it"]
async fn status_reads_a_loopback_status_page() -> anyhow::Result<()> {
    let server = TimelineServer::start().await?;
    server.set_step(1);
    let builds = Builds::new();
    let none = tempfile::tempdir()?;
    let roots = [none.path().to_path_buf()];
    let run = |c: Ccpulse| {
        let out = c
            .status_url(server.uri())
            .args(["status", "--json"])
            .output();
        let status: Value = serde_json::from_str(&succeeded(&out)).expect("JSON");
        status
    };
    let (linux, windows) =
        tokio::task::block_in_place(|| (run(builds.linux(&roots)), run(builds.windows(&roots))));
    let service = |v: &Value| v["service"].clone();
    assert!(
        windows
            .to_string()
            .contains("Elevated errors on Claude Opus 4.5"),
        "{windows:#}"
    );
    assert_eq!(
        incidents(&windows),
        incidents(&linux),
        "{windows:#}\n{linux:#}"
    );
    assert_eq!(service(&windows)["indicator"], service(&linux)["indicator"]);
    Ok(())
}

/// The incidents' names and states in a status report.
fn incidents(status: &Value) -> Vec<(Value, Value)> {
    status["service"]["incidents"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| (i["name"].clone(), i["status"].clone()))
                .collect()
        })
        .unwrap_or_default()
}
