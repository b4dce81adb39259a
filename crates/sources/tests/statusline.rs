//! Every status line input the real Claude Code 2.1.328 wrote in the fixtures is read: the
//! session fields always, the limits where Claude Code sent them.

use std::path::PathBuf;

use ccpulse_sources::state_dir::StateDir;
use ccpulse_sources::statusline::{Feed, Input, FEED_FILE};

#[test]
fn every_real_status_line_input_is_read() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/claude-code");
    let mut with_limits = Vec::new();
    let mut lines = 0;
    for dir in std::fs::read_dir(&root).unwrap().flatten() {
        let Ok(text) = std::fs::read_to_string(dir.path().join("statusline.jsonl")) else {
            continue;
        };
        for line in text.lines() {
            let input = Input::parse(line.as_bytes()).unwrap();
            lines += 1;
            assert!(input.session_id.is_some(), "{line}");
            assert_eq!(input.version.as_deref(), Some("2.1.328"));
            assert!(input.model.is_some());
            if line.contains("\"rate_limits\"") {
                with_limits.push(input);
            } else {
                assert_eq!((input.five_hour, input.seven_day), (None, None));
            }
        }
    }
    assert_eq!(lines, 10);
    let [input] = &with_limits[..] else {
        panic!("{with_limits:?}")
    };
    let (five, week) = (input.five_hour.unwrap(), input.seven_day.unwrap());
    assert_eq!((five.used_percent, week.used_percent), (42.0, 17.0));
    assert_eq!(five.resets_at.unwrap().timestamp(), 1_795_570_376);
    assert_eq!(week.resets_at.unwrap().timestamp(), 1_795_822_376);
}

/// The tray wakes when the feed is written, not when it is read: every round reads the feed,
/// so a wake on reads would spin. Reads happen while the watcher runs; a wake before the write
/// fails the test, and the write must wake it.
#[test]
fn the_feed_watch_wakes_on_writes_not_reads() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc};

    let dir = tempfile::tempdir().unwrap();
    let state = StateDir::at(dir.path());
    state.write(FEED_FILE, b"{}", false).unwrap();
    let written = Arc::new(AtomicBool::new(false));
    let early = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let _watcher = state
        .watch(FEED_FILE, {
            let (written, early) = (written.clone(), early.clone());
            move || {
                if !written.load(Ordering::SeqCst) {
                    early.store(true, Ordering::SeqCst);
                }
                let _ = tx.send(());
            }
        })
        .unwrap();
    for _ in 0..200 {
        let _ = Feed::load(&state);
        std::fs::read(dir.path().join(FEED_FILE)).unwrap();
    }
    written.store(true, Ordering::SeqCst);
    state.write(FEED_FILE, b"{\"latest\":null}", false).unwrap();
    rx.recv_timeout(std::time::Duration::from_secs(10))
        .expect("a write wakes the watcher");
    assert!(!early.load(Ordering::SeqCst), "woken by a read");
}
