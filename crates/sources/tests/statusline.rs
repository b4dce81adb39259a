//! Every status line input the real Claude Code 2.1.328 and 2.1.332 wrote in the fixtures is
//! read: the session fields always, the limits where Claude Code sent them.

use std::path::PathBuf;

use ccpulse_sources::state_dir::StateDir;
use ccpulse_sources::statusline::{Feed, Input, FEED_FILE};

#[test]
fn every_real_status_line_input_is_read() {
    // (fixture folder, version, inputs, resets_at of the five-hour and seven-day windows of
    // each input with limits); both versions sent 42 % and 17 %.
    type Version<'a> = (&'a str, &'a str, usize, &'a [(i64, i64)]);
    let versions: [Version; 2] = [
        (
            "claude-code",
            "2.1.328",
            10,
            &[(1_795_570_376, 1_795_822_376)],
        ),
        (
            "claude-code-2.1.332",
            "2.1.332",
            16,
            // i-gatewayjwt, i-oauth-baseurl
            &[
                (1_796_193_743, 1_796_445_743),
                (1_796_193_733, 1_796_445_733),
            ],
        ),
    ];
    for (folder, version, want_lines, want_limits) in versions {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures")
            .join(folder);
        let mut with_limits = Vec::new();
        let mut lines = 0;
        let mut dirs: Vec<_> = std::fs::read_dir(&root).unwrap().flatten().collect();
        dirs.sort_by_key(|d| d.file_name());
        for dir in dirs {
            let Ok(text) = std::fs::read_to_string(dir.path().join("statusline.jsonl")) else {
                continue;
            };
            for line in text.lines() {
                let input = Input::parse(line.as_bytes()).unwrap();
                lines += 1;
                assert!(input.session_id.is_some(), "{line}");
                assert_eq!(input.version.as_deref(), Some(version));
                assert!(input.model.is_some());
                if line.contains("\"rate_limits\"") {
                    with_limits.push(input);
                } else {
                    assert_eq!((input.five_hour, input.seven_day), (None, None));
                }
            }
        }
        assert_eq!(lines, want_lines, "{version}");
        let got: Vec<(f64, f64, i64, i64)> = with_limits
            .iter()
            .map(|i| {
                let (five, week) = (i.five_hour.unwrap(), i.seven_day.unwrap());
                (
                    five.used_percent,
                    week.used_percent,
                    five.resets_at.unwrap().timestamp(),
                    week.resets_at.unwrap().timestamp(),
                )
            })
            .collect();
        let want: Vec<(f64, f64, i64, i64)> = want_limits
            .iter()
            .map(|&(five, week)| (42.0, 17.0, five, week))
            .collect();
        assert_eq!(got, want, "{version}");
    }
}

/// The tray wakes when the feed is written, not when it is read: every round reads the feed,
/// so a wake on reads would spin. The wake decision is `state_dir::is_write`; it is put to the
/// real events of reads and of a write, captured by a watcher of our own on the state dir:
/// every read event must be turned down (this does not depend on when inotify delivers them:
/// the test waits until they are all in), a write event must be taken, and the write must wake
/// `StateDir::watch`.
#[test]
fn the_feed_watch_wakes_on_writes_not_reads() {
    use std::ffi::OsStr;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc};

    use ccpulse_sources::state_dir::is_write;
    use notify::Watcher;

    let dir = tempfile::tempdir().unwrap();
    let state = StateDir::at(dir.path());
    state.write(FEED_FILE, b"{}", false).unwrap();
    let feed = OsStr::new(FEED_FILE);

    // The real events: one inotify instance delivers its events in order, so once the marker
    // written after the reads is seen, every event of the reads has been seen.
    let (events_tx, events) = mpsc::channel();
    let mut raw = notify::recommended_watcher(move |e: notify::Result<notify::Event>| {
        let _ = events_tx.send(e.expect("the raw watch reports an error"));
    })
    .unwrap();
    raw.watch(dir.path(), notify::RecursiveMode::NonRecursive)
        .unwrap();

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
    let marker = OsStr::new("reads-done");
    std::fs::write(dir.path().join(marker), b"").unwrap();
    let reads = collect_until(&events, "the marker written after the reads", |e| {
        names(e, marker)
    });
    let of_feed: Vec<_> = reads.iter().filter(|e| names(e, feed)).collect();
    // inotify reports reads (open, access, close), so the filter has something to refuse.
    // Windows' directory watch reports no reads at all: there, the checks below that a read
    // did not wake the watch and a write did are the whole test.
    if cfg!(target_os = "linux") {
        assert!(
            !of_feed.is_empty(),
            "reading the feed reported no event: {reads:?}"
        );
    }
    for event in &of_feed {
        assert!(!is_write(event, feed), "a read wakes the watch: {event:?}");
    }

    written.store(true, Ordering::SeqCst);
    state.write(FEED_FILE, b"{\"latest\":null}", false).unwrap();
    let write = collect_until(&events, "a write event the filter takes", |e| {
        is_write(e, feed)
    });
    assert!(write.iter().any(|e| names(e, feed)), "{write:?}");
    rx.recv_timeout(WAIT)
        .expect("a write wakes the watcher (StateDir::watch)");
    // The filter's verdict above is the proof; this only adds that `StateDir::watch` did not
    // wake before the write, should its events have come in by then.
    assert!(!early.load(Ordering::SeqCst), "woken by a read");
}

/// How long the test waits for an event before it fails.
const WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Whether `event` is about the file `name`.
fn names(event: &notify::Event, name: &std::ffi::OsStr) -> bool {
    event.paths.iter().any(|p| p.file_name() == Some(name))
}

/// The events received up to and including the first that satisfies `last`; fails after
/// [`WAIT`] without it, saying `what` was awaited and what came.
fn collect_until(
    events: &std::sync::mpsc::Receiver<notify::Event>,
    what: &str,
    last: impl Fn(&notify::Event) -> bool,
) -> Vec<notify::Event> {
    let deadline = std::time::Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match events.recv_timeout(left) {
            Ok(event) => {
                let done = last(&event);
                seen.push(event);
                if done {
                    return seen;
                }
            }
            Err(e) => panic!(
                "no {what} within {WAIT:?} ({e}); {} events came, the last: {:?}",
                seen.len(),
                &seen[seen.len().saturating_sub(5)..]
            ),
        }
    }
}
