//! The usage watcher follows Claude Code from its very first session: a config dir whose
//! `projects` folder does not exist yet is watched for it, so the first transcript is read
//! moments after it is written (not at the next minute's rescan).

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use ccpulse_core::view::activity::LocalUsage;
use ccpulse_sources::state_dir::StateDir;
use ccpulse_sources::usage_log::watch::{self, WatchOptions};

/// The real Claude Code's `-p` session, its times moved to now.
fn session_now() -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/claude-code/p-ok/projects/-home-user-project");
    let file = std::fs::read_dir(dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let now = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            if v.get("timestamp").is_some() {
                v["timestamp"] = now.clone().into();
            }
            v.to_string() + "\n"
        })
        .collect()
}

#[test]
fn a_projects_folder_made_after_the_start_is_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("claude");
    std::fs::create_dir_all(&root).unwrap();
    let (tx, rx) = mpsc::channel();
    let options = WatchOptions {
        roots: vec![root.clone()],
        state: StateDir::at(tmp.path().join("state")),
        zone: chrono_tz::UTC,
    };
    let _thread = watch::spawn(options, move |local| tx.send(local.usage).is_ok());
    // The first look: nothing there.
    let first = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(
        matches!(first, LocalUsage::Today { tokens: 0, .. }),
        "{first:?}"
    );
    // Claude Code's first session makes the folders and the transcript.
    let project = root.join("projects/-home-user-project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join("9f1b0170.jsonl"), session_now()).unwrap();
    // Read well before the minute's rescan would have found it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(LocalUsage::Today { tokens, .. }) if tokens > 0 => break,
            Ok(_) => {}
            Err(e) => panic!("the new transcript was not read within 10 s: {e}"),
        }
    }
}
