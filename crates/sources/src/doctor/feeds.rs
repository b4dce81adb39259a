//! The checks of what ccpulse reads from Claude Code: whether its status line runs
//! `ccpulse statusline` (and when that last reported), and the transcripts there are to read.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::statusline::{Feed, FEED_FILE};
use crate::usage_log::paths::{transcripts as find_transcripts, Found};

use super::{named, plural, read_json, Check, Verdict};

/// Whether Claude Code's `settings.json` runs `ccpulse statusline`, and when it last reported.
pub fn statusline(settings: Option<&Path>, state_dir: &Path, now: DateTime<Utc>) -> Check {
    let c = named("statusline", "Status line");
    let install = "`ccpulse statusline install` lets Claude Code pass its plan limits to ccpulse";
    let Some(path) = settings else {
        return c.info(format!(
            "no home folder to find Claude Code's settings in; {install}"
        ));
    };
    let command = read_json(path).and_then(|s| {
        s.get("statusLine")?
            .get("command")?
            .as_str()
            .map(str::to_owned)
    });
    match command {
        // As `ccpulse statusline install` writes it.
        Some(command) if command.contains("ccpulse") && command.contains(" statusline") => {
            let feed: Option<Feed> = std::fs::read(state_dir.join(FEED_FILE))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok());
            let last = match feed.and_then(|f| f.received_at) {
                Some(at) => format!(
                    "last report {}",
                    ccpulse_core::clock::describe_age((now - at).num_seconds())
                ),
                None => "no report yet (one comes with each Claude Code reply)".into(),
            };
            c.pass(format!("installed in {}; {last}", path.display()))
        }
        Some(_) => c.info(format!(
            "{} runs another status line command; `ccpulse statusline install --chain` keeps \
             it and adds ccpulse's",
            path.display()
        )),
        None => c.info(format!("not installed: {install}")),
    }
}

/// Which transcript roots exist, and how many transcripts they hold.
pub fn transcripts(roots: &[PathBuf]) -> Check {
    let c = named("transcripts", "Transcripts");
    let (mut files, mut bytes, mut unreadable) = (0usize, 0u64, 0usize);
    for found in find_transcripts(roots) {
        match found {
            Found::File(t) => {
                files += 1;
                bytes += t.len;
            }
            Found::Unreadable { .. } => unreadable += 1,
        }
    }
    let unread = if unreadable > 0 {
        format!(
            "; {unreadable} place{} could not be read",
            plural(unreadable)
        )
    } else {
        String::new()
    };
    let list = |roots: Vec<&PathBuf>| {
        let shown: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
        shown.join(", ")
    };
    if files == 0 {
        let looked = if roots.is_empty() {
            "any folder (no home folder)".to_string()
        } else {
            list(roots.iter().collect())
        };
        return c.verdict(
            Verdict::Warn,
            format!(
                "no transcripts in {looked}{unread}: usage and 529 reports have nothing to \
                 read (set CLAUDE_CONFIG_DIR if Claude Code keeps them elsewhere)"
            ),
            None,
        );
    }
    let existing = list(
        roots
            .iter()
            .filter(|r| r.join("projects").is_dir())
            .collect(),
    );
    c.pass(format!(
        "{files} .jsonl file{}, {} in {existing}{unread}",
        plural(files),
        human_bytes(bytes)
    ))
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::testing::write;

    #[test]
    fn statusline_installed_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let settings = dir.path().join("settings.json");
        let state = dir.path().join("state");
        let now = Utc::now();
        let c = statusline(Some(&settings), &state, now);
        assert_eq!(c.verdict, Verdict::Info);
        assert!(
            c.detail.contains("ccpulse statusline install"),
            "{}",
            c.detail
        );
        write(
            &settings,
            r#"{"statusLine": {"type": "command", "command": "other"}}"#,
        );
        let c = statusline(Some(&settings), &state, now);
        assert!(c.detail.contains("--chain"), "{}", c.detail);
        // As a Windows editor saves it: a BOM and CRLF.
        write(
            &settings,
            "\u{feff}{\r\n\"statusLine\": {\"type\": \"command\", \"command\": \"'/bin/ccpulse' statusline\"}\r\n}\r\n",
        );
        let c = statusline(Some(&settings), &state, now);
        assert_eq!(c.verdict, Verdict::Pass);
        assert!(c
            .detail
            .ends_with("no report yet (one comes with each Claude Code reply)"));
        let feed = Feed {
            received_at: Some(now - chrono::Duration::minutes(5)),
            ..Feed::default()
        };
        write(
            &state.join(FEED_FILE),
            &serde_json::to_string(&feed).unwrap(),
        );
        let c = statusline(Some(&settings), &state, now);
        assert!(c.detail.ends_with("last report 5 min ago"), "{}", c.detail);
    }

    #[test]
    fn transcripts_are_counted_and_sized() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("claude");
        let c = transcripts(std::slice::from_ref(&root));
        assert_eq!(c.verdict, Verdict::Warn);
        write(&root.join("projects/p/a.jsonl"), &"x".repeat(2048));
        write(&root.join("projects/p/b.jsonl"), "{}\n");
        write(&root.join("projects/p/notes.txt"), "no");
        let c = transcripts(&[root.clone(), dir.path().join("missing")]);
        assert_eq!(c.verdict, Verdict::Pass);
        assert_eq!(
            c.detail,
            format!("2 .jsonl files, 2.0 KiB in {}", root.display())
        );
        assert_eq!(human_bytes(5 * 1024 * 1024 + 1), "5.0 MiB");
    }
}
