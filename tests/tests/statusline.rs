//! `ccpulse statusline` as Claude Code runs it: whatever the input, a line and exit 0; the
//! limits it reads reach `ccpulse status --json`; install and uninstall round-trip settings.json.
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use ccpulse_tests::{statusline, Ccpulse};
use serde_json::Value;

/// `ccpulse <args>` in `home`, with Claude Code's folder in `home/claude`.
fn ccpulse(home: &Path, args: &[&str]) -> Ccpulse {
    Ccpulse::in_home(home)
        .claude_config_dir(home.join("claude"))
        // Nothing listens here: `status` reports the service as unreachable.
        .status_url("http://127.0.0.1:9")
        .env("TZ", "UTC")
        .env("LANG", "en_US.UTF-8")
        .args(args)
}

fn statusline(home: &Path, input: &[u8]) -> Output {
    ccpulse(home, &["statusline"]).stdin(input).output()
}

fn line(out: &Output) -> String {
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "{text:?}");
    text.trim_end().to_string()
}

#[test]
fn any_input_gives_a_line_and_exit_0() {
    let home = tempfile::tempdir().unwrap();
    // Before anything was read: the model is not known either.
    assert_eq!(line(&statusline(home.path(), b"")), "Claude ?");
    assert_eq!(line(&statusline(home.path(), b"{not json")), "Claude ?");
    let no_limits = br#"{"session_id":"x","model":{"display_name":"Sonnet 4.5"},"cost":{"total_cost_usd":1.5}}"#;
    assert_eq!(
        line(&statusline(home.path(), no_limits)),
        "Sonnet 4.5 · $1.50 · Claude ?"
    );
    // The next 15:45 UTC.
    let now = chrono::Utc::now().timestamp();
    let resets = (now / 86_400) * 86_400 + 15 * 3600 + 45 * 60;
    let resets = if resets <= now {
        resets + 86_400
    } else {
        resets
    };
    let out = statusline(
        home.path(),
        statusline::input(42.4, resets, 17.6).as_bytes(),
    );
    let text = line(&out);
    assert!(text.starts_with("5h 42% ↻"), "{text}");
    assert!(text.contains(":45pm"), "{text}");
    assert!(text.ends_with(" · wk 18% · Claude ?"), "{text}");
    // A later payload without limits (another session) keeps them.
    assert!(line(&statusline(home.path(), no_limits)).starts_with("5h 42%"));
    // Garbage does not erase them either.
    assert!(line(&statusline(home.path(), b"\xff\xfe")).starts_with("5h 42%"));
}

#[test]
fn concurrent_runs_leave_a_valid_feed_that_status_reports() {
    let home = tempfile::tempdir().unwrap();
    let resets = chrono::Utc::now().timestamp() + 3600;
    let children: Vec<_> = (0..20)
        .map(|i| {
            let mut child = ccpulse(home.path(), &["statusline"])
                .command()
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let input = statusline::input(40.0 + f64::from(i), resets, 17.0);
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
            child
        })
        .collect();
    for child in children {
        line(&child.wait_with_output().unwrap());
    }
    let feed: Value = serde_json::from_slice(
        &std::fs::read(home.path().join("state/statusline-feed.json")).unwrap(),
    )
    .expect("a whole feed file");
    let used = feed["limits"]["session"]["used_percent"].as_f64().unwrap();
    assert!((40.0..60.0).contains(&used), "{feed}");

    let out = ccpulse(home.path(), &["status", "--json"]).output();
    assert!(out.status.success(), "{out:?}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let session = &report["limits"]["session"];
    assert_eq!(session["source"], "statusline");
    assert_eq!(session["used_percent"].as_f64(), Some(used));
    let at = chrono::DateTime::parse_from_rfc3339(session["resets_at"].as_str().unwrap());
    assert_eq!(at.unwrap().timestamp(), resets);
    assert_eq!(report["limits"]["weekly"]["used_percent"], 17.0);
}

#[test]
fn install_and_uninstall_round_trip_settings() {
    let home = tempfile::tempdir().unwrap();
    let settings = home.path().join("claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    let original = "{\n    \"model\": \"opus\",\n    \"statusLine\": {\"type\": \"command\", \"command\": \"echo theirs\"},\n    \"permissions\": {\"allow\": [\"Bash(ls)\"]}\n}\n";
    std::fs::write(&settings, original).unwrap();
    let run = |args: &[&str]| ccpulse(home.path(), args).output();

    // An existing command is not replaced without consent.
    let out = run(&["statusline", "install"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--chain"));
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), original);

    let out = run(&["statusline", "install", "--chain"]);
    assert!(out.status.success(), "{out:?}");
    let installed: Value =
        serde_json::from_str(&std::fs::read_to_string(&settings).unwrap()).unwrap();
    assert_eq!(installed["model"], "opus");
    assert_eq!(installed["permissions"]["allow"][0], "Bash(ls)");
    let cmd = installed["statusLine"]["command"].as_str().unwrap();
    assert!(cmd.contains("statusline --chain 'echo theirs'"), "{cmd}");
    assert_eq!(
        std::fs::read_to_string(settings.with_extension("json.ccpulse-backup")).unwrap(),
        original
    );
    // The installed command runs as Claude Code would run it, chained line included.
    let mut sh = Command::new("sh");
    sh.args(["-c", cmd])
        .env("CCPULSE_STATE_DIR", home.path().join("state"))
        .env("HOME", home.path());
    let out = sh.stdin(Stdio::null()).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .trim_end()
            .ends_with(" · theirs"),
        "{out:?}"
    );

    let out = run(&["statusline", "uninstall"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(std::fs::read_to_string(&settings).unwrap(), original);

    // Without a settings file: install creates one, uninstall removes it again.
    std::fs::remove_file(&settings).unwrap();
    assert!(run(&["statusline", "install"]).status.success());
    assert!(settings.exists());
    assert!(run(&["statusline", "uninstall"]).status.success());
    assert!(!settings.exists());
}
