//! Crash test of the notification ledger and of the atomic writer under it. A writer process
//! announces new notices through `Alerting` (each one a ledger write of some 200 KB, with
//! fsync) and prints `shown KEY` for each notice `submit` hands it (that is, shows). It is made
//! to die, again and again, and restarted each time on the same state dir. After every death:
//! the ledger loads, it holds every notice shown so far, the temp files of earlier writers are
//! gone (removed when the next one started); and across all runs no notice is shown twice.
//!
//! Every death but the random ones is made to happen at a known place, so the test depends on
//! neither the machine's speed nor luck:
//!
//! 1. The kernel: the writer runs with a file size limit below the ledger's size, so the
//!    kernel kills it (SIGXFSZ) in the middle of its first ledger write, whatever the code that
//!    writes. A ledger written in place is then torn.
//! 2. The fault points (`ccpulse_sources::fault`): for each one and several k, the writer dies
//!    (aborts) on its k-th pass there, and says `at POINT K` just before.
//! 3. SIGKILL at random moments: only the invariants, nothing about where the kills landed.
//!
//! The writer is this test binary itself, run again as the ignored test `writer` with
//! `CCPULSE_CRASH_STATE` set.

// The deaths are Unix's: a file size limit (SIGXFSZ) and SIGKILL. Elsewhere the test is
// named as skipped (below), so a Windows run says what it left out.
#![cfg_attr(not(unix), allow(unused))]
#[cfg(not(unix))]
#[test]
#[ignore = "kills its writer with Unix signals (a file size limit's SIGXFSZ, SIGKILL)"]
fn crash_test_of_the_ledger() {}

#[cfg(unix)]
mod unix {

    use std::collections::BTreeSet;
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::process::ExitStatusExt;
    use std::path::Path;
    use std::process::{Child, Command, ExitStatus, Stdio};
    use std::time::{Duration, Instant};

    use ccpulse_core::alert::{Alert, AlertLedger, Kind, Urgency};
    use ccpulse_core::policy::Policy;
    use ccpulse_sources::alerting::{Alerting, LEDGER_FILE};
    use ccpulse_sources::fault;
    use ccpulse_sources::state_dir::StateDir;

    const STATE_ENV: &str = "CCPULSE_CRASH_STATE";
    /// `POINT K`: die on the k-th pass of that fault point.
    const DIE_ENV: &str = "CCPULSE_CRASH_DIE_AT";
    /// How many notices to show before ending normally (default: no end).
    const COUNT_ENV: &str = "CCPULSE_CRASH_COUNT";
    /// Keys recorded before the first run, so that each write is some 200 KB, as after months of
    /// use.
    const OLD_KEYS: usize = 4000;
    /// The writer's file size limit in the kernel phase, in `ulimit -f` blocks (512 or 1024
    /// bytes): far below the ledger's size.
    const FSIZE_BLOCKS: u32 = 64;
    const KERNEL_KILLS: usize = 2;
    /// Each fault point is made to kill the writer on these passes.
    const HITS: [usize; 3] = [1, 2, 5];
    const RANDOM_KILLS: usize = 40;

    const SIGABRT: i32 = 6;
    /// The same number on Linux and macOS.
    const SIGXFSZ: i32 = 25;
    const SIGKILL: i32 = 9;

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

    /// The writer: each `submit` records the first notice that the ledger lacks and hands it on;
    /// what comes back is shown (printed as `shown KEY`).
    #[test]
    #[ignore = "the process the crash test kills; run by `a_death_at_any_moment_repeats_nothing`"]
    fn writer() {
        let Some(dir) = std::env::var_os(STATE_ENV) else {
            return;
        };
        if let Ok(spec) = std::env::var(DIE_ENV) {
            let (point, hit) = spec.split_once(' ').expect("POINT K");
            fault::die_at(point, hit.parse().expect("a pass number"));
        }
        let count: usize = std::env::var(COUNT_ENV).map_or(usize::MAX, |c| c.parse().unwrap());
        let policy = Policy {
            group: chrono::Duration::zero(),
            ..Policy::default()
        };
        let mut alerting = Alerting::open(StateDir::at(dir), policy, chrono_tz::UTC);
        let say = |line: String| {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{line}").unwrap();
            out.flush().unwrap();
        };
        say("ready".into());
        for _ in 0..count {
            let now = chrono::Utc::now();
            let shown = alerting.submit(now, |ledger: &mut AlertLedger| {
                let n = (0..).find(|&n| !ledger.contains(&notice(n).key)).unwrap();
                ledger.seen.insert(notice(n).key, now);
                vec![notice(n)]
            });
            for a in shown {
                say(format!("shown {}", a.key));
            }
        }
        say("done".into());
    }

    /// How the writer is run.
    #[derive(Default)]
    struct Run {
        die_at: Option<(&'static str, usize)>,
        count: Option<usize>,
        limit_file_size: bool,
    }

    impl Run {
        /// This test binary again, as the writer on `state`, its output piped.
        fn spawn(&self, state: &Path) -> Child {
            let exe = std::env::current_exe().unwrap();
            let mut command = if self.limit_file_size {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit -f {FSIZE_BLOCKS} && exec \"$0\" \"$@\""))
                    .arg(exe);
                sh
            } else {
                Command::new(exe)
            };
            command
                .args([
                    "--exact",
                    "unix::writer",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(STATE_ENV, state)
                .env_remove(DIE_ENV)
                .env_remove(COUNT_ENV)
                // Where a core dump would go, if the machine makes them.
                .current_dir(state.parent().unwrap())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit());
            if let Some((point, hit)) = self.die_at {
                command.env(DIE_ENV, format!("{point} {hit}"));
            }
            if let Some(count) = self.count {
                command.env(COUNT_ENV, count.to_string());
            }
            command.spawn().unwrap()
        }

        /// Run the writer until it ends by itself.
        fn to_end(&self, state: &Path) -> Ended {
            let mut child = self.spawn(state);
            let pid = child.id();
            let lines: Vec<String> = BufReader::new(child.stdout.take().unwrap())
                .lines()
                .map_while(Result::ok)
                .collect();
            let status = child.wait().unwrap();
            Ended::new(pid, status, lines)
        }
    }

    /// What one run of the writer did.
    struct Ended {
        pid: u32,
        status: ExitStatus,
        shown: Vec<String>,
        /// Its `at POINT K` line.
        died_at: Option<String>,
        done: bool,
    }

    impl Ended {
        fn new(pid: u32, status: ExitStatus, lines: Vec<String>) -> Self {
            let field = |prefix: &'static str| {
                lines
                    .iter()
                    .filter_map(move |l| l.strip_prefix(prefix).map(String::from))
            };
            Self {
                pid,
                status,
                shown: field("shown ").collect(),
                died_at: field("at ").next_back(),
                done: lines.iter().any(|l| l == "done"),
            }
        }
    }

    /// The state dir, and what every run so far showed.
    struct Test {
        state: StateDir,
        shown: Vec<String>,
        distinct: BTreeSet<String>,
        /// Recorded in the ledger but never shown (a death between the rename and the showing).
        lost: usize,
    }

    impl Test {
        fn ledger(&self, run: &str) -> AlertLedger {
            self.state
                .load(LEDGER_FILE)
                .unwrap_or_else(|e| panic!("{run}: the ledger does not load: {e}"))
                .unwrap_or_else(|| panic!("{run}: the ledger is gone"))
        }

        fn recorded(&self, run: &str) -> usize {
            let ledger = self.ledger(run);
            ledger
                .seen
                .keys()
                .filter(|k| k.starts_with("crash/"))
                .count()
        }

        /// The invariants after a run: nothing shown twice, the ledger loads and holds everything
        /// shown, and the only temp files left are `pid`'s (those of earlier writers were removed
        /// when this one started). Returns how many temp files `pid` left.
        fn after(&mut self, run: &str, pid: u32, shown: Vec<String>) -> usize {
            for key in shown {
                assert!(
                    self.distinct.insert(key.clone()),
                    "{run}: {key} shown a second time"
                );
                self.shown.push(key);
            }
            let ledger = self.ledger(run);
            for key in &self.shown {
                assert!(ledger.contains(key), "{run}: {key} shown, not recorded");
            }
            let temps = temp_files(self.state.root());
            let others: Vec<&(String, u32)> = temps.iter().filter(|(_, p)| *p != pid).collect();
            assert!(
                others.is_empty(),
                "{run}: temp files of earlier writers are left: {others:?}"
            );
            assert!(temps.len() <= 1, "{run}: {temps:?}");
            temps.len()
        }
    }

    /// The ledger's temp files in `dir`, with the pid each is named after.
    fn temp_files(dir: &Path) -> Vec<(String, u32)> {
        let prefix = format!(".{LEDGER_FILE}.");
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|f| f.ends_with(".tmp"))
            .map(|f| {
                let pid = f
                    .strip_prefix(&prefix)
                    .and_then(|rest| rest.split('.').next()?.parse().ok())
                    .unwrap_or_else(|| panic!("a temp file not named after its writer: {f}"));
                (f, pid)
            })
            .collect()
    }

    /// A fault point, and what a death there leaves.
    struct Point {
        name: &'static str,
        /// Passed once per ledger save (so the k-th pass is in the k-th save).
        once_per_save: bool,
        /// Between the temp file's creation and its rename.
        leaves_temp: bool,
        /// After the rename: the notice is recorded, never shown.
        loses_one: bool,
    }

    const POINTS: [Point; 5] = [
        Point {
            name: fault::BEFORE_CREATE,
            once_per_save: true,
            leaves_temp: false,
            loses_one: false,
        },
        Point {
            name: fault::MID_WRITE,
            once_per_save: false,
            leaves_temp: true,
            loses_one: false,
        },
        Point {
            name: fault::BEFORE_RENAME,
            once_per_save: true,
            leaves_temp: true,
            loses_one: false,
        },
        Point {
            name: fault::AFTER_RENAME,
            once_per_save: true,
            leaves_temp: false,
            loses_one: true,
        },
        Point {
            name: fault::BEFORE_SHOW,
            once_per_save: true,
            leaves_temp: false,
            loses_one: true,
        },
    ];

    #[test]
    fn a_death_at_any_moment_repeats_nothing() {
        assert_eq!(
            POINTS.map(|p| p.name),
            fault::ALL,
            "a fault point this test does not know"
        );
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("state");
        std::fs::create_dir(&dir).unwrap();
        let mut test = Test {
            state: StateDir::at(&dir),
            shown: Vec::new(),
            distinct: BTreeSet::new(),
            lost: 0,
        };
        let mut old = AlertLedger::new();
        let long_ago = chrono::Utc::now() - chrono::Duration::days(1);
        for n in 0..OLD_KEYS {
            old.seen
                .insert(format!("incident/old-{n}/update/u{n}"), long_ago);
        }
        test.state.save(LEDGER_FILE, &old).unwrap();
        let size = std::fs::metadata(test.state.path(LEDGER_FILE))
            .unwrap()
            .len();
        assert!(size > 2 * 1024 * u64::from(FSIZE_BLOCKS), "{size} bytes");

        // 1. The kernel kills the writer in the middle of its first ledger write.
        for round in 0..KERNEL_KILLS {
            let run = format!("file size limit, round {round}");
            let ended = Run {
                limit_file_size: true,
                ..Run::default()
            }
            .to_end(&dir);
            assert_eq!(
                ended.status.signal(),
                Some(SIGXFSZ),
                "{run}: {:?}",
                ended.status
            );
            let shown = ended.shown.len();
            let left = test.after(&run, ended.pid, ended.shown);
            assert_eq!(shown, 0, "{run}: notices shown before the first write");
            assert_eq!(left, 1, "{run}: the torn temp file");
        }

        // 2. Death at each fault point, on its k-th pass.
        let mut deaths = 0;
        for point in &POINTS {
            for hit in HITS {
                let run = format!("death at {} {hit}", point.name);
                let recorded = test.recorded(&run);
                let ended = Run {
                    die_at: Some((point.name, hit)),
                    count: Some(3 * hit + 3),
                    ..Run::default()
                }
                .to_end(&dir);
                assert_eq!(
                    ended.died_at.as_deref(),
                    Some(format!("{} {hit}", point.name).as_str()),
                    "{run}: the writer did not die there ({:?}, done: {})",
                    ended.status,
                    ended.done
                );
                assert_eq!(ended.status.signal(), Some(SIGABRT), "{run}");
                deaths += 1;
                let shown = ended.shown.len();
                let left = test.after(&run, ended.pid, ended.shown);
                if point.once_per_save {
                    assert_eq!(shown, hit - 1, "{run}: notices shown before the death");
                }
                assert_eq!(left, usize::from(point.leaves_temp), "{run}: temp files");
                let lost = test.recorded(&run) - recorded - shown;
                assert_eq!(
                    lost,
                    usize::from(point.loses_one),
                    "{run}: recorded, not shown"
                );
                test.lost += lost;
            }
        }

        // 3. SIGKILL at random moments.
        let mut mid_write = 0;
        for round in 0..RANDOM_KILLS {
            let run = format!("random kill {round}");
            let mut child = Run::default().spawn(&dir);
            let pid = child.id();
            let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
            // Running, and 0 to 3 notices shown (conditions, not guesses); then a random while.
            let started = Instant::now();
            let mut seen = Vec::new();
            let (mut ready, mut shown) = (false, 0);
            while !ready || shown < round % 4 {
                let line = lines.next().expect("the writer ended").unwrap();
                // libtest may have begun the line with `test writer ... `.
                ready |= line.ends_with("ready");
                shown += usize::from(line.starts_with("shown "));
                seen.push(line);
                assert!(started.elapsed() < Duration::from_secs(60), "{run}: stuck");
            }
            std::thread::sleep(Duration::from_micros(fastrand::u64(0..15_000)));
            child.kill().unwrap();
            let status = child.wait().unwrap();
            seen.extend(lines.map_while(Result::ok));
            let ended = Ended::new(pid, status, seen);
            assert_eq!(ended.status.signal(), Some(SIGKILL), "{run}");
            mid_write += test.after(&run, ended.pid, ended.shown);
        }

        // And it goes on from there: a last run shows new notices, and leaves nothing behind.
        let ended = Run {
            count: Some(3),
            ..Run::default()
        }
        .to_end(&dir);
        assert!(ended.status.success() && ended.done, "{:?}", ended.status);
        assert_eq!(ended.shown.len(), 3);
        let left = test.after("last run", ended.pid, ended.shown);
        assert_eq!(left, 0, "the last run left a temp file");

        eprintln!(
            "{KERNEL_KILLS} deaths by the file size limit mid-write, {deaths} at fault points \
         ({} notices recorded there but never shown), {RANDOM_KILLS} random kills ({mid_write} \
         left a temp file); {} notices shown, none twice",
            test.lost,
            test.shown.len()
        );
    }
}
