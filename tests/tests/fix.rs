//! `ccpulse fix` with the messages Claude Code 2.1.332 prints (issue 16): each one, pasted as a
//! user would, finds its entry first and offers the command to type, in the JSON and in the
//! text.
#![cfg(target_os = "linux")] // the end-to-end harness is Linux's (see the crate's lib.rs)

use std::process::Output;

use ccpulse_tests::Ccpulse;
use serde_json::Value;

/// A message as Claude Code 2.1.332 shows it, the entry it must find, and a command that
/// entry must offer (`None`: the entry offers none, only a setting to change).
const TABLE: &[(&str, &str, Option<&str>)] = &[
    (
        "Usage credits required for 1M context · run /usage-credits to turn them on",
        "long-context-credits",
        Some("/usage-credits"),
    ),
    ("You're out of extra usage", "out-of-usage-credits", Some("/usage-credits")),
    (
        "Your org is out of usage · contact your admin",
        "org-out-of-usage",
        Some("/usage-credits"),
    ),
    ("Fable 5 requires usage credits.", "model-needs-credits", Some("/model")),
    (
        "Claude's response exceeded the 32000 output token maximum. To configure this behavior, \
         set the CLAUDE_CODE_MAX_OUTPUT_TOKENS environment variable.",
        "output-token-maximum",
        None,
    ),
    (
        "Error: Exceeded USD budget (5)",
        "usd-budget",
        Some("claude -p --max-budget-usd"),
    ),
    (
        "You've hit your monthly spend limit · /usage-credits to raise it",
        "spend-limit",
        Some("/usage-credits"),
    ),
    (
        "spend limit reached · resets Aug 8 · request an increase at https://go.corp.example.com/claude-limits",
        "spend-limit",
        Some("/usage-credits"),
    ),
    (
        "You've reached your Fable limit for this week. Switch models?",
        "model-limit",
        Some("/model"),
    ),
    ("You've hit your fast limit · resets in 42m", "fast-limit", Some("/fast")),
    (
        "Claude Sonnet 4.5 was retired on November 30, 2026. Consider switching to a newer model.",
        "model-retired",
        Some("/model"),
    ),
    (
        "Automatic continue cancelled · /rate-limit-options to wait again",
        "auto-continue",
        Some("/rate-limit-options"),
    ),
    (
        "Your usage allocation has been disabled by your admin",
        "usage-credits-unavailable",
        Some("/usage-credits"),
    ),
];

fn fix(home: &std::path::Path, args: &[&str]) -> Output {
    Ccpulse::new()
        .home(home)
        .config_file(home.join("missing/config.toml"))
        .arg("fix")
        .args(args)
        .output()
}

#[test]
fn each_client_message_finds_its_entry_and_offers_its_command() {
    let home = tempfile::tempdir().unwrap();
    for (message, id, command) in TABLE {
        let out = fix(home.path(), &["--json", message]);
        assert!(out.status.success(), "{message:?}: {out:?}");
        let found: Value = serde_json::from_slice(&out.stdout).unwrap();
        let best = &found[0];
        assert_eq!(best["entry"]["id"], *id, "{message:?}: {best}");
        assert_eq!(best["how"]["by"], "pattern", "{message:?}: {best}");
        let commands: Vec<&str> = best["entry"]["commands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        match command {
            Some(c) => assert!(commands.contains(c), "{message:?}: {commands:?}"),
            None => assert!(commands.is_empty(), "{message:?}: {commands:?}"),
        }

        // The text a user reads: the entry's id and the command on its Commands line.
        let out = fix(home.path(), &[message]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(text.contains(&format!("[{id}]")), "{message:?}: {text}");
        if let Some(c) = command {
            let line = text
                .lines()
                .find(|l| l.starts_with("Commands:"))
                .unwrap_or_else(|| panic!("{message:?}: no Commands line: {text}"));
            assert!(line.contains(c), "{message:?}: {line}");
        }
    }
}

#[test]
fn the_output_token_maximum_names_the_variable_to_raise() {
    let home = tempfile::tempdir().unwrap();
    let out = fix(home.path(), &[TABLE[4].0]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Env: CLAUDE_CODE_MAX_OUTPUT_TOKENS"),
        "{text}"
    );
}
