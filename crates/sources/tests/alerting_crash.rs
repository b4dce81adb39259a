//! Crash test of the notification ledger: a process that announces notices through
//! `Alerting` as fast as it can (every one a ledger write, with fsync) is killed with SIGKILL
//! at random moments, a hundred times, and restarted each time on the same state dir. After
//! every kill the ledger must load, and across all runs no notice may be shown twice.
//!
//! The writer is this test binary itself, run again as the ignored test `writer` with
//! `CCPULSE_CRASH_STATE` set.

#![cfg(unix)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ccpulse_core::alert::{Alert, AlertLedger, Kind, Urgency};
use ccpulse_core::policy::Policy;
use ccpulse_sources::alerting::{Alerting, LEDGER_FILE};
use ccpulse_sources::state_dir::StateDir;

const STATE_ENV: &str = "CCPULSE_CRASH_STATE";
/// Keys recorded before the first run, so that each write is some 200 KB, as after months of
/// use: a kill then often lands in the middle of one.
const OLD_KEYS: usize = 4000;
const KILLS: usize = 200;

fn notice(n: usize) -> Alert {
    Alert {
        key: format!("crash/{n}"),
        title: format!("Notice {n}"),
        body: String::new(),
        url: None,
        urgency: Urgency::Normal,
        kind: Kind::Incident,
        subject: format!("incident/{n}"),
        ends: false,
    }
}

/// The writer: announce notice 0, 1, 2, ... each once (by its key in the ledger), printing
/// `shown <key>` for what the policy let through, after `Alerting` saved the ledger.
#[test]
#[ignore = "the process the crash test kills; run by `a_kill_at_any_moment_repeats_nothing`"]
fn writer() {
    let Some(dir) = std::env::var_os(STATE_ENV) else {
        return;
    };
    let policy = Policy {
        group: chrono::Duration::zero(),
        ..Policy::default()
    };
    let alerting = Alerting::open(StateDir::at(dir), policy, chrono_tz::UTC);
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").unwrap();
    for n in 0.. {
        let key = notice(n).key;
        let shown = alerting.submit(chrono::Utc::now(), |ledger: &mut AlertLedger| {
            if ledger.contains(&key) {
                return Vec::new();
            }
            ledger.seen.insert(key.clone(), chrono::Utc::now());
            vec![notice(n)]
        });
        for a in shown {
            writeln!(out, "shown {}", a.key).unwrap();
            out.flush().unwrap();
        }
    }
}

/// This test binary again, as the writer on `dir`, its output piped.
fn spawn_writer(dir: &std::path::Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "writer",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(STATE_ENV, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn a_kill_at_any_moment_repeats_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = StateDir::at(dir.path());
    let mut old = AlertLedger::new();
    let long_ago = chrono::Utc::now() - chrono::Duration::days(1);
    for n in 0..OLD_KEYS {
        old.seen
            .insert(format!("incident/old-{n}/update/u{n}"), long_ago);
    }
    state.save(LEDGER_FILE, &old).unwrap();

    let mut shown: Vec<String> = Vec::new();
    let mut mid_write = 0;
    for round in 0..KILLS {
        let mut child = spawn_writer(dir.path());
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Wait until it runs and has shown 0 to 3 notices (conditions, not guesses), then
        // let it write for a random while shorter than about two writes, so that kills land
        // at every point of one: before, during, after the rename.
        let started = Instant::now();
        let mut ready = false;
        let mut wait_for = round % 4;
        while !ready || wait_for > 0 {
            let line = lines.next().expect("the writer ended").unwrap();
            if let Some(key) = line.strip_prefix("shown ") {
                shown.push(key.to_string());
                wait_for -= 1;
            }
            ready |= line.ends_with("ready");
            assert!(started.elapsed() < Duration::from_secs(30));
        }
        std::thread::sleep(Duration::from_micros(fastrand::u64(0..15_000)));
        child.kill().unwrap();
        child.wait().unwrap();
        let leftover = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".tmp"));
        mid_write += usize::from(leftover);
        shown.extend(
            lines
                .map_while(Result::ok)
                .filter_map(|l| l.strip_prefix("shown ").map(String::from)),
        );

        // The ledger is whole after every kill, and holds everything shown so far.
        let ledger: AlertLedger = state
            .load(LEDGER_FILE)
            .unwrap_or_else(|e| panic!("round {round}: {e}"))
            .expect("the ledger exists");
        for key in &shown {
            assert!(
                ledger.contains(key),
                "round {round}: {key} shown, not recorded"
            );
        }
    }
    let distinct: BTreeSet<&String> = shown.iter().collect();
    assert_eq!(distinct.len(), shown.len(), "a notice was shown twice");
    // And it goes on from there: a last run shows new notices.
    let mut child = spawn_writer(dir.path());
    let fresh: Vec<String> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| l.strip_prefix("shown ").map(String::from))
        .take(3)
        .collect();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(fresh.len(), 3);
    for key in &fresh {
        assert!(!shown.contains(key), "{key} shown again after the kills");
    }
    // Kills mid-write left temp files, which the next start removed.
    assert!(mid_write > 0, "no kill landed during a write");
    let temps: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".tmp"))
        .collect();
    assert!(temps.len() <= 1, "leftovers pile up: {temps:?}");
    eprintln!(
        "{KILLS} kills, {mid_write} of them during a ledger write; {} notices shown, none twice",
        shown.len()
    );
}
