//! Child processes that never outlive their test.
//!
//! [`ProcessGuard`] owns one spawned child. The child leads a process group of its own, so that
//! whatever it spawns in turn (WebKit's helper processes, for one) goes down with it: on drop the
//! guard sends `SIGTERM` to the whole group, waits a little for the leader to exit, then sends
//! `SIGKILL` to the group and reaps the leader. Its stdout and stderr go to a log file, which
//! [`ProcessGuard::log`] reads back.
//!
//! A guard that never drops (the test process is killed by a timeout, or aborts) can't clean up
//! after itself. For that case every group is also registered with a *reaper*: one small `sh`
//! per test process, in a process group of its own, that reads group ids on a pipe from this
//! process. When this process dies, however it dies, the pipe closes and the reaper kills every
//! group still registered, so no Xvfb or app is left behind. A guard unregisters its group just
//! before it reaps the leader (the group id can't be reused before that).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use rustix::process::{Pid, Signal, WaitId, WaitIdOptions, WaitIdStatus};

use crate::wait::poll_until;

/// How long [`Drop`] gives a process to exit on `SIGTERM` before it sends `SIGKILL`.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(3);

/// How much of the log [`Drop`] echoes to stderr (captured by the test runner, and shown only for
/// failing tests).
const ECHOED_LOG_LINES: usize = 200;

/// A spawned child process, killed (with its process group) and reaped on drop.
///
/// Create one with [`ProcessGuard::spawn`], or with [`crate::Desktop::spawn`], which also gives
/// the child the desktop's environment and puts its log in the desktop's temp dir.
#[derive(Debug)]
pub struct ProcessGuard {
    name: String,
    child: Child,
    log_path: PathBuf,
    /// The exit status, once seen (without reaping: see [`ProcessGuard::exit_status`]).
    status: Option<ExitStatus>,
    reaped: bool,
    echo_log_on_drop: bool,
}

impl ProcessGuard {
    /// Spawns `cmd` as `name` (used in messages), with stdin from `/dev/null` and stdout and
    /// stderr appended to `log_path`.
    ///
    /// The child leads a new process group. The command's environment is used as it is: see
    /// [`crate::Desktop::command`] for one that runs inside a [`crate::Desktop`].
    pub fn spawn(
        name: impl Into<String>,
        mut cmd: Command,
        log_path: impl Into<PathBuf>,
    ) -> Result<Self> {
        let name = name.into();
        let log_path = log_path.into();
        let log = open_log(&log_path)?;
        let log2 = log.try_clone().context("duplicating the log file handle")?;
        cmd.stdin(Stdio::null()).stdout(log).stderr(log2);
        Self::spawn_configured(name, cmd, log_path)
    }

    /// Like [`ProcessGuard::spawn`], but the first line the child writes to stdout is sent on the
    /// returned channel (for `-displayfd 1` or `--print-address=1`); the rest of stdout goes to the
    /// log. The channel is disconnected without a line if the child closes stdout first.
    pub(crate) fn spawn_reading_first_line(
        name: impl Into<String>,
        mut cmd: Command,
        log_path: impl Into<PathBuf>,
    ) -> Result<(Self, mpsc::Receiver<String>)> {
        let name = name.into();
        let log_path = log_path.into();
        let log = open_log(&log_path)?;
        let mut log_for_stdout = log.try_clone().context("duplicating the log file handle")?;
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(log);
        let mut guard = Self::spawn_configured(name, cmd, log_path)?;
        let stdout = guard.child.stdout.take().expect("stdout was piped");
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name(format!("{}-stdout", guard.name))
            .spawn(move || {
                let mut lines = BufReader::new(stdout).lines();
                if let Some(Ok(first)) = lines.next() {
                    let _ = tx.send(first);
                }
                drop(tx);
                // Keep draining, so that the child never writes into a closed pipe. This ends
                // when the child (and all its children) closed stdout, i.e. when they're gone.
                for line in lines.map_while(Result::ok) {
                    let _ = writeln!(log_for_stdout, "{line}");
                }
            })
            .context("starting a thread to read the child's stdout")?;
        Ok((guard, rx))
    }

    fn spawn_configured(name: String, mut cmd: Command, log_path: PathBuf) -> Result<Self> {
        cmd.process_group(0);
        let program = cmd.get_program().to_string_lossy().into_owned();
        let child = cmd
            .spawn()
            .with_context(|| format!("spawning {name} (`{program}`); is it installed?"))?;
        reaper::register(child.id());
        Ok(Self {
            name,
            child,
            log_path,
            status: None,
            reaped: false,
            echo_log_on_drop: true,
        })
    }

    /// Whether [`Drop`] echoes the tail of the log to stderr (default: yes). Test runners only
    /// show a test's stderr when it fails, so this is where a failing test shows the app's log.
    pub fn set_echo_log_on_drop(&mut self, echo: bool) {
        self.echo_log_on_drop = echo;
    }

    /// The name given at spawn.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The child's process id (also its process group id).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The file the child's stdout and stderr go to.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The child's stdout and stderr so far (lossily decoded; empty if nothing was written).
    pub fn log(&self) -> String {
        std::fs::read(&self.log_path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// The exit status if the child has exited, without reaping it.
    ///
    /// The child stays a zombie until the guard drops, so that its process group id can't be
    /// reused by an unrelated process while the guard may still signal that group.
    pub fn exit_status(&mut self) -> Result<Option<ExitStatus>> {
        if self.status.is_none() {
            let pid = Pid::from_child(&self.child);
            let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
            let found = rustix::process::waitid(WaitId::Pid(pid), options)
                .with_context(|| format!("checking whether {} exited", self.name))?;
            self.status = found.as_ref().map(exit_status_of);
        }
        Ok(self.status)
    }

    /// Whether the child is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.exit_status(), Ok(None))
    }

    /// Waits until the child exits, and returns its exit status.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> Result<ExitStatus> {
        let what = format!("{} (pid {}) to exit", self.name, self.pid());
        poll_until(&what, timeout, || self.exit_status()).with_context(|| self.log_excerpt())
    }

    /// Waits until the log satisfies `condition`, and returns the whole log.
    ///
    /// Fails early, with the log, if the child exits first.
    pub fn wait_for_log(
        &mut self,
        what: &str,
        timeout: Duration,
        condition: impl Fn(&str) -> bool,
    ) -> Result<String> {
        let description = format!("the log of {} to show {what}", self.name);
        // Ok(Some(Err(status))): the child exited first, which fails at once.
        let outcome = poll_until(&description, timeout, || {
            if let Some(status) = self.exit_status()? {
                // Whatever it wrote before exiting is in the log by now.
                let log = self.log();
                return Ok(Some(if condition(&log) {
                    Ok(log)
                } else {
                    Err(status)
                }));
            }
            let log = self.log();
            Ok(condition(&log).then_some(Ok(log)))
        })
        .with_context(|| self.log_excerpt())?;
        outcome.map_err(|status| {
            anyhow!(
                "{} exited ({status}) before its log showed {what}",
                self.name
            )
            .context(self.log_excerpt())
        })
    }

    /// Stops the child: `SIGTERM` to its process group, up to `grace` for the leader to exit, then
    /// `SIGKILL` to the group; reaps the leader and returns its exit status.
    ///
    /// Safe to call more than once; [`Drop`] does this with [`DEFAULT_GRACE`].
    pub fn terminate(&mut self, grace: Duration) -> Result<ExitStatus> {
        if self.reaped {
            return Ok(self.status.expect("a reaped child has a status"));
        }
        let pgid = Pid::from_child(&self.child);
        // On an error (which shouldn't happen), signal anyway: that's harmless.
        if !matches!(self.exit_status(), Ok(Some(_))) {
            let _ = rustix::process::kill_process_group(pgid, Signal::TERM);
            let what = format!("{} to exit on SIGTERM", self.name);
            let _ = poll_until(&what, grace, || self.exit_status());
        }
        // Whatever is left of the group (the leader, if it ignored SIGTERM, or its children).
        let _ = rustix::process::kill_process_group(pgid, Signal::KILL);
        reaper::unregister(self.child.id());
        let status = self
            .child
            .wait()
            .with_context(|| format!("reaping {} (pid {})", self.name, self.child.id()))?;
        self.status = Some(status);
        self.reaped = true;
        Ok(status)
    }

    /// Like [`ProcessGuard::terminate`], without the grace period.
    pub fn kill(&mut self) -> Result<ExitStatus> {
        self.terminate(Duration::ZERO)
    }

    /// `log of NAME (PATH):` and the last lines of the log, for error context.
    pub fn log_excerpt(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        let start = lines.len().saturating_sub(ECHOED_LOG_LINES);
        let skipped = if start > 0 {
            format!("[{start} earlier lines skipped]\n")
        } else {
            String::new()
        };
        format!(
            "log of {} ({}):\n{skipped}{}",
            self.name,
            self.log_path.display(),
            lines[start..].join("\n")
        )
    }
}

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        if let Err(e) = self.terminate(DEFAULT_GRACE) {
            eprintln!("ccpulse-tests: stopping {}: {e:#}", self.name);
        }
        if self.echo_log_on_drop {
            let status = self.status.map(|s| s.to_string()).unwrap_or_default();
            eprintln!(
                "----- {} ({status}) -----\n{}\n-----",
                self.name,
                self.log_excerpt()
            );
        }
    }
}

/// The lines `child` writes on its (piped) stdout, as they come, read on a thread of their own.
pub fn stdout_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().expect("stdout is piped");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// The processes of group `pgid` that are alive (zombies excluded), from `/proc`.
///
/// Useful to check that nothing leaked: a [`ProcessGuard`]'s pid is its group id.
pub fn live_processes_in_group(pgid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            // "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses.
            let Some(after_comm) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
                return false;
            };
            let mut fields = after_comm.split_whitespace();
            let state = fields.next();
            let pgrp = fields.nth(1).and_then(|f| f.parse::<u32>().ok());
            state != Some("Z") && state != Some("X") && pgrp == Some(pgid)
        })
        .collect()
}

fn open_log(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening log file {}", path.display()))
}

fn exit_status_of(status: &WaitIdStatus) -> ExitStatus {
    if let Some(code) = status.exit_status() {
        ExitStatus::from_raw((code & 0xff) << 8)
    } else if let Some(signal) = status.terminating_signal() {
        ExitStatus::from_raw(signal | if status.dumped() { 0x80 } else { 0 })
    } else {
        // Not reachable with WEXITED only; report something that isn't success.
        ExitStatus::from_raw(0xff << 8)
    }
}

/// The per-process reaper described in the [module docs](self).
mod reaper {
    use super::*;

    /// Kills the registered groups when stdin closes. It ignores the signals a terminal or a
    /// test runner sends (it has its own process group, so it rarely sees them anyway).
    const SCRIPT: &str = r#"trap '' HUP INT TERM QUIT PIPE
groups=""
while read -r op group; do
  case "$op" in
    add) groups="$groups $group" ;;
    del) kept=""; for g in $groups; do [ "$g" = "$group" ] || kept="$kept $g"; done; groups="$kept" ;;
  esac
done
for g in $groups; do kill -KILL "-$g" 2>/dev/null; done
"#;

    fn stdin() -> &'static Mutex<Option<ChildStdin>> {
        static STDIN: OnceLock<Mutex<Option<ChildStdin>>> = OnceLock::new();
        STDIN.get_or_init(|| {
            let spawned = Command::new("sh")
                .arg("-c")
                .arg(SCRIPT)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn();
            match spawned {
                // The reaper is never waited for: it must outlive this process. Once this
                // process is gone, init (or a subreaper) reaps it.
                Ok(mut child) => Mutex::new(child.stdin.take()),
                Err(e) => {
                    eprintln!("ccpulse-tests: no reaper for orphaned processes ({e}); continuing");
                    Mutex::new(None)
                }
            }
        })
    }

    fn send(line: String) {
        let mut stdin = stdin().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pipe) = stdin.as_mut() {
            if pipe.write_all(line.as_bytes()).is_err() {
                *stdin = None;
            }
        }
    }

    pub(super) fn register(pgid: u32) {
        send(format!("add {pgid}\n"));
    }

    pub(super) fn unregister(pgid: u32) {
        send(format!("del {pgid}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminate_kills_the_whole_group_and_reports_the_signal() {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new("sh");
        // A grandchild that would otherwise outlive the shell.
        cmd.args(["-c", "sleep 300 & echo started; wait"]);
        let mut guard = ProcessGuard::spawn("sh", cmd, dir.path().join("sh.log")).unwrap();
        guard.set_echo_log_on_drop(false);
        guard
            .wait_for_log("'started'", Duration::from_secs(10), |l| {
                l.contains("started")
            })
            .unwrap();
        assert!(guard.is_running());
        let status = guard.terminate(Duration::from_secs(5)).unwrap();
        assert_eq!(status.signal(), Some(Signal::TERM.as_raw()));
        // Nothing of the group is left running (the orphaned `sleep` may linger as a zombie
        // until init reaps it, hence the wait).
        poll_until("the group to be empty", Duration::from_secs(5), || {
            Ok(live_processes_in_group(guard.pid())
                .is_empty()
                .then_some(()))
        })
        .unwrap();
    }

    #[test]
    fn exit_status_does_not_reap() {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo bye; exit 3"]);
        let mut guard = ProcessGuard::spawn("sh", cmd, dir.path().join("sh.log")).unwrap();
        guard.set_echo_log_on_drop(false);
        let status = guard.wait_for_exit(Duration::from_secs(10)).unwrap();
        assert_eq!(status.code(), Some(3));
        // Still a zombie, so still reapable, with the same status.
        assert_eq!(guard.terminate(Duration::ZERO).unwrap().code(), Some(3));
        assert_eq!(guard.log(), "bye\n");
    }

    #[test]
    fn wait_for_log_fails_at_once_when_the_child_exits() {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo oops; exit 1"]);
        let mut guard = ProcessGuard::spawn("sh", cmd, dir.path().join("sh.log")).unwrap();
        guard.set_echo_log_on_drop(false);
        let started = std::time::Instant::now();
        let err = guard
            .wait_for_log("'ready'", Duration::from_secs(30), |l| l.contains("ready"))
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(10));
        let msg = format!("{err:#}");
        assert!(
            msg.contains("exited (exit status: 1) before its log showed 'ready'"),
            "{msg}"
        );
        assert!(msg.contains("oops"), "{msg}");
    }
}
