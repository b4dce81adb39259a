//! [`Desktop`]: a private, headless desktop session for one test.
//!
//! This module starts and stops it and runs processes in it; reading the notifications that
//! reached its daemon is in `notifications`, re-exported here.

mod notifications;

pub use notifications::{parse_dunst_history, Notification};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::process::ProcessGuard;
use crate::wait::poll_until;
use crate::x11::X11;

/// The size of the Xvfb screen.
pub const SCREEN_WIDTH: u32 = 1280;
/// See [`SCREEN_WIDTH`].
pub const SCREEN_HEIGHT: u32 = 800;

/// How long each of Xvfb, dbus-daemon and dunst gets to come up. Generous: parallel tests on a
/// loaded 2-core machine start slowly.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);

/// Set this environment variable to keep the desktop's temp dir (logs, screenshots, the app's
/// config) after the test; its path is printed on stderr.
pub const KEEP_ENV: &str = "CCPULSE_KEEP_DESKTOP";

/// A private headless desktop: its own temp `HOME` and XDG dirs, an Xvfb X server, a D-Bus
/// session bus and a notification daemon (dunst).
///
/// Everything it started is killed when it drops, and the temp dir removed (see [`KEEP_ENV`]).
/// Children a test spawns with [`Desktop::spawn`] run inside it; drop them before the desktop
/// (declare them after it) so that the app goes first.
///
/// The methods block (they run short commands and poll). In an async test, that's fine as long
/// as nothing else on the same thread has to make progress meanwhile; [`crate::SniHost`] runs on
/// a runtime of its own for that reason.
/// The tray's record that its first run is over (`sources::setup::SETUP_FILE`).
const SET_UP_RECORD: &str = "setup.json";

#[derive(Debug)]
pub struct Desktop {
    // Stopped in this order by `Drop`.
    dunst: Option<ProcessGuard>,
    dbus: Option<ProcessGuard>,
    xvfb: Option<ProcessGuard>,
    display: String,
    bus_address: String,
    root: PathBuf,
    dir: Option<tempfile::TempDir>,
}

impl Desktop {
    /// Starts the desktop, and returns once Xvfb accepts connections, the bus is up and dunst
    /// owns `org.freedesktop.Notifications`.
    pub fn new() -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("ccpulse-desktop-")
            .tempdir()
            .context("creating the desktop's temp dir")?;
        let root = dir.path().to_path_buf();
        for sub in ["home", "config", "data", "state", "cache", "logs"] {
            std::fs::create_dir(root.join(sub)).with_context(|| format!("creating {sub}/"))?;
        }
        // A returning user: the tray's first run (the set-up page opening by itself, start at
        // login turned on) is what `Desktop::first_run` asks for.
        std::fs::create_dir(root.join("state/ccpulse")).context("creating state/ccpulse/")?;
        std::fs::write(root.join("state/ccpulse").join(SET_UP_RECORD), "{}")
            .context("planting the set-up record")?;
        let runtime_dir = root.join("runtime");
        std::fs::create_dir(&runtime_dir).context("creating runtime/")?;
        std::fs::set_permissions(
            &runtime_dir,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .context("making runtime/ private (0700)")?;

        let mut desktop = Desktop {
            dunst: None,
            dbus: None,
            xvfb: None,
            display: String::new(),
            bus_address: String::new(),
            root,
            dir: Some(dir),
        };
        desktop.start_xvfb().context("starting Xvfb")?;
        desktop
            .start_dbus()
            .context("starting the D-Bus session bus")?;
        desktop.start_dunst().context("starting dunst")?;
        Ok(desktop)
    }

    fn start_xvfb(&mut self) -> Result<()> {
        let mut cmd = Command::new("Xvfb");
        cmd.args(["-displayfd", "1", "-screen", "0"])
            .arg(format!("{SCREEN_WIDTH}x{SCREEN_HEIGHT}x24"))
            .args(["-nolisten", "tcp", "-noreset"])
            .env("HOME", self.home());
        let (guard, first_line) =
            ProcessGuard::spawn_reading_first_line("Xvfb", cmd, self.logs_dir().join("Xvfb.log"))?;
        let guard = self.xvfb.insert(guard);
        guard.set_echo_log_on_drop(false);
        // Xvfb writes the display number it picked once it accepts connections.
        let number = read_first_line(guard, first_line, "the display number on -displayfd")?;
        let number: u32 = number
            .trim()
            .parse()
            .with_context(|| format!("Xvfb printed {number:?} as display"))?;
        self.display = format!(":{number}");
        Ok(())
    }

    fn start_dbus(&mut self) -> Result<()> {
        let socket = self.runtime_dir().join("bus");
        let config = self.root.join("bus.conf");
        // A session bus without service activation: nothing is started behind the test's back
        // (a real notification daemon, portals, dconf...). A call to a missing service fails at
        // once instead.
        std::fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                socket.display()
            ),
        )
        .context("writing bus.conf")?;
        let mut cmd = Command::new("dbus-daemon");
        cmd.arg("--nofork")
            .arg(format!("--config-file={}", config.display()))
            .arg("--print-address=1")
            .env("HOME", self.home());
        let (guard, first_line) = ProcessGuard::spawn_reading_first_line(
            "dbus-daemon",
            cmd,
            self.logs_dir().join("dbus-daemon.log"),
        )?;
        let guard = self.dbus.insert(guard);
        guard.set_echo_log_on_drop(false);
        let address = read_first_line(guard, first_line, "the bus address on --print-address")?;
        self.bus_address = address.trim().to_string();
        Ok(())
    }

    fn start_dunst(&mut self) -> Result<()> {
        let config = self.root.join("dunstrc");
        // Notifications never time out, and closed ones stay in the history.
        std::fs::write(
            &config,
            "[global]\n    history_length = 1000\n    notification_limit = 0\n    \
             sticky_history = yes\n    idle_threshold = 0\n    show_age_threshold = -1\n    \
             font = Monospace 9\n\
             [urgency_low]\n    timeout = 0\n\
             [urgency_normal]\n    timeout = 0\n\
             [urgency_critical]\n    timeout = 0\n",
        )
        .context("writing dunstrc")?;
        let mut cmd = self.command("dunst");
        cmd.arg("-config").arg(&config);
        let guard = ProcessGuard::spawn("dunst", cmd, self.logs_dir().join("dunst.log"))?;
        let guard = self.dunst.insert(guard);
        guard.set_echo_log_on_drop(false);
        let env = self.env();
        let result = poll_until(
            "dunst to own org.freedesktop.Notifications",
            STARTUP_TIMEOUT,
            || {
                if let Some(status) = self
                    .dunst
                    .as_mut()
                    .and_then(|d| d.exit_status().transpose())
                {
                    bail!("dunst exited ({}) during startup", status?);
                }
                name_has_owner(&env, "org.freedesktop.Notifications")
                    .map(|owned| owned.then_some(()))
            },
        );
        result.with_context(|| {
            self.dunst
                .as_ref()
                .map(|d| d.log_excerpt())
                .unwrap_or_default()
        })
    }

    /// Whether `name` has an owner on the desktop's bus (asked with `dbus-send`).
    pub fn name_has_owner(&self, name: &str) -> Result<bool> {
        name_has_owner(&self.env(), name)
    }

    /// The X display, e.g. `":3"`.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The session bus address, e.g. `"unix:path=/tmp/…/runtime/bus,guid=…"`.
    pub fn bus_address(&self) -> &str {
        &self.bus_address
    }

    /// The temp dir everything else is in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `HOME`.
    pub fn home(&self) -> PathBuf {
        self.root.join("home")
    }

    /// `XDG_CONFIG_HOME`.
    pub fn config_home(&self) -> PathBuf {
        self.root.join("config")
    }

    /// `XDG_DATA_HOME`.
    pub fn data_home(&self) -> PathBuf {
        self.root.join("data")
    }

    /// `XDG_STATE_HOME`.
    pub fn state_home(&self) -> PathBuf {
        self.root.join("state")
    }

    /// Make the next tray started here a first run: the record that set-up happened, which
    /// [`Desktop::new`] plants, is taken away.
    pub fn first_run(&self) -> Result<()> {
        std::fs::remove_file(self.state_home().join("ccpulse").join(SET_UP_RECORD))
            .context("removing the set-up record")
    }

    /// The XDG autostart entry the tray writes for start at login.
    pub fn autostart_entry(&self) -> PathBuf {
        self.home().join(".config/autostart/ccpulse.desktop")
    }

    /// `XDG_CACHE_HOME`.
    pub fn cache_home(&self) -> PathBuf {
        self.root.join("cache")
    }

    /// `XDG_RUNTIME_DIR` (mode 0700; the bus socket is in it).
    pub fn runtime_dir(&self) -> PathBuf {
        self.root.join("runtime")
    }

    /// Where [`Desktop::spawn`] and the desktop's own processes write their logs.
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }

    /// The environment for a process inside the desktop. Added to (not replacing) the inherited
    /// environment:
    ///
    /// - `DISPLAY`, `DBUS_SESSION_BUS_ADDRESS`, `HOME`, `XDG_CONFIG_HOME`, `XDG_DATA_HOME`,
    ///   `XDG_STATE_HOME`, `XDG_CACHE_HOME`, `XDG_RUNTIME_DIR`: this desktop's;
    /// - `NO_AT_BRIDGE=1`: no accessibility bus (there is none to find);
    /// - `GDK_BACKEND=x11`: GTK uses Xvfb even if the test runs inside a Wayland session;
    /// - `GSETTINGS_BACKEND=memory`: no dconf (it would need D-Bus activation, which is off);
    /// - `WEBKIT_DISABLE_DMABUF_RENDERER=1`, `WEBKIT_DISABLE_COMPOSITING_MODE=1`: WebKitGTK
    ///   draws in software, which is what works on a GPU-less X server (otherwise the webview
    ///   may stay blank in screenshots);
    /// - `PATH` without any folder holding a `claude`: ccpulse asks an installed Claude Code for
    ///   the plan's usage, which would reach the real service. A test that wants the client
    ///   runs it in a loopback-only namespace and names it.
    pub fn env(&self) -> Vec<(String, String)> {
        let path = |p: PathBuf| p.to_string_lossy().into_owned();
        let search: Vec<PathBuf> = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default();
        let without_claude = std::env::join_paths(
            search
                .into_iter()
                .filter(|dir| !dir.join("claude").exists()),
        )
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
        [
            ("PATH", without_claude),
            ("DISPLAY", self.display.clone()),
            ("DBUS_SESSION_BUS_ADDRESS", self.bus_address.clone()),
            ("HOME", path(self.home())),
            ("XDG_CONFIG_HOME", path(self.config_home())),
            ("XDG_DATA_HOME", path(self.data_home())),
            ("XDG_STATE_HOME", path(self.state_home())),
            ("XDG_CACHE_HOME", path(self.cache_home())),
            ("XDG_RUNTIME_DIR", path(self.runtime_dir())),
            ("NO_AT_BRIDGE", "1".into()),
            ("GDK_BACKEND", "x11".into()),
            ("GSETTINGS_BACKEND", "memory".into()),
            ("WEBKIT_DISABLE_DMABUF_RENDERER", "1".into()),
            ("WEBKIT_DISABLE_COMPOSITING_MODE", "1".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// A command for `program` with [`Desktop::env`] applied.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.envs(self.env());
        cmd
    }

    /// `ccpulse-tray` on this desktop, with its state dir here, the status page at
    /// `status_url` (polled only at start), the usage endpoint at a dead loopback port, and
    /// `config` appended to its config file. Notices of one kind less than 2 s apart come out
    /// together (20 s by default): sequences take seconds and still go through the grouping.
    pub fn tray_command(&self, status_url: &str, config: &str) -> Result<Command> {
        self.tray_command_for(&crate::tray_bin(), status_url, config)
    }

    /// [`Desktop::tray_command`] for the tray binary at `bin` (the installed
    /// `/usr/bin/ccpulse-tray` of the package test), with the same environment, state dir and
    /// config file.
    pub fn tray_command_for(&self, bin: &Path, status_url: &str, config: &str) -> Result<Command> {
        let path = self.config_home().join("ccpulse/config.toml");
        std::fs::create_dir_all(path.parent().expect("a file in a folder"))?;
        std::fs::write(
            &path,
            format!("[status]\npoll_secs = 3600\n[notifications]\ngroup_secs = 2\n{config}"),
        )?;
        let mut cmd = self.command(bin);
        cmd.env("CCPULSE_STATUS_URL", status_url)
            .env("CCPULSE_STATE_DIR", self.state_home().join("ccpulse"))
            .env("CCPULSE_API_URL", "http://127.0.0.1:9");
        Ok(cmd)
    }

    /// Spawns `cmd` (typically from [`Desktop::command`]) as `name`, logging its stdout and
    /// stderr to `logs/<name>.log` (a free variant of that name if it's taken).
    pub fn spawn(&self, name: &str, cmd: Command) -> Result<ProcessGuard> {
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut log = self.logs_dir().join(format!("{safe}.log"));
        let mut n = 1;
        while log.exists() {
            n += 1;
            log = self.logs_dir().join(format!("{safe}-{n}.log"));
        }
        ProcessGuard::spawn(name, cmd, log)
    }

    /// Saves a screenshot of the whole screen to `path` (format from the extension, e.g. `.png`)
    /// with ImageMagick's `import`.
    pub fn screenshot(&self, path: impl AsRef<Path>) -> Result<()> {
        self.import("root", path.as_ref())
    }

    /// Saves a screenshot of window `window_id` to `path`.
    pub fn screenshot_window(&self, window_id: u32, path: impl AsRef<Path>) -> Result<()> {
        self.import(&format!("{window_id:#x}"), path.as_ref())
    }

    fn import(&self, window: &str, path: &Path) -> Result<()> {
        let out = self
            .command("import")
            .args(["-display", &self.display, "-window", window])
            .arg(path)
            .output()
            .context("running import (package imagemagick)")?;
        if !out.status.success() {
            bail!(
                "`import -window {window} {}` failed ({}): {}",
                path.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    /// A new X connection to the desktop's display.
    pub fn x11(&self) -> Result<X11> {
        X11::connect(&self.display)
    }

    /// See [`X11::wait_for_window`].
    pub fn wait_for_window(&self, title: &str, timeout: Duration) -> Result<u32> {
        self.x11()?.wait_for_window(title, timeout)
    }

    /// See [`X11::close_window`].
    pub fn close_window(&self, window_id: u32) -> Result<()> {
        self.x11()?.close_window(window_id)
    }

    /// See [`X11::window_gone`].
    pub fn window_gone(&self, window_id: u32) -> Result<bool> {
        self.x11()?.window_gone(window_id)
    }

    /// See [`X11::wait_for_window_gone`].
    pub fn wait_for_window_gone(&self, window_id: u32, timeout: Duration) -> Result<()> {
        self.x11()?.wait_for_window_gone(window_id, timeout)
    }

    /// The process ids of Xvfb, dbus-daemon and dunst (for leak checks).
    pub fn service_pids(&self) -> Vec<u32> {
        [&self.xvfb, &self.dbus, &self.dunst]
            .into_iter()
            .flatten()
            .map(ProcessGuard::pid)
            .collect()
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        // Clients first, the X server and the bus last.
        drop(self.dunst.take());
        drop(self.dbus.take());
        drop(self.xvfb.take());
        // Every log goes to the test's output, which `cargo xtask test` keeps (JUnit) and
        // checks for planted secrets.
        let mut logs: Vec<_> = std::fs::read_dir(self.logs_dir())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        logs.sort();
        for log in logs {
            let text = std::fs::read(&log).unwrap_or_default();
            eprintln!(
                "ccpulse-tests: log {}:\n{}",
                log.display(),
                String::from_utf8_lossy(&text)
            );
        }
        if let Some(dir) = self.dir.take() {
            if std::env::var_os(KEEP_ENV).is_some() {
                eprintln!(
                    "ccpulse-tests: kept the desktop's files in {}",
                    dir.keep().display()
                );
            }
        }
    }
}

fn name_has_owner(env: &[(String, String)], name: &str) -> Result<bool> {
    let out = Command::new("dbus-send")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .args([
            "--print-reply=literal",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
        ])
        .arg(format!("string:{name}"))
        .output()
        .context("running dbus-send (package dbus)")?;
    if !out.status.success() {
        bail!(
            "dbus-send NameHasOwner failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).contains("true"))
}

/// Waits for the first stdout line of `guard`'s child, failing with its log if it exits or
/// stays silent.
fn read_first_line(
    guard: &mut ProcessGuard,
    rx: mpsc::Receiver<String>,
    what: &str,
) -> Result<String> {
    match rx.recv_timeout(STARTUP_TIMEOUT) {
        Ok(line) => Ok(line),
        Err(mpsc::RecvTimeoutError::Timeout) => Err(anyhow::anyhow!(
            "timed out after {STARTUP_TIMEOUT:?} waiting for {} to print {what}",
            guard.name()
        ))
        .context(guard.log_excerpt()),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            let status = guard
                .wait_for_exit(Duration::from_secs(5))
                .map(|s| s.to_string());
            Err(anyhow::anyhow!(
                "{} closed stdout without printing {what} (exit: {})",
                guard.name(),
                status.unwrap_or_else(|e| format!("still running? {e}"))
            ))
            .context(guard.log_excerpt())
        }
    }
}
