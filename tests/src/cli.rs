//! Running the CLI (`ccpulse`) the way every black-box test runs it: [`Ccpulse`].
//!
//! Its environment is cleared: the CLI sees only what the test sets (never the home, config
//! or Claude Code folder of whoever runs the tests), so each test says all that its run
//! depends on.
//!
//! ```no_run
//! use ccpulse_tests::Ccpulse;
//!
//! let home = tempfile::tempdir().unwrap();
//! let out = Ccpulse::in_home(home.path())
//!     .status_url("http://127.0.0.1:9") // nothing listens there
//!     .args(["status", "--json"])
//!     .output();
//! assert!(out.status.success());
//! ```

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

use crate::Desktop;

/// A `ccpulse` command to run: the binary under test ([`crate::cli_bin`]) with an empty
/// environment, to which the test adds variables, arguments, a working directory and stdin.
///
/// Consumed by [`Ccpulse::output`] (run to its exit) or [`Ccpulse::command`] (to spawn it with
/// pipes of the test's own).
#[must_use = "a Ccpulse does nothing until it is run with output() or command()"]
pub struct Ccpulse {
    cmd: Command,
    stdin: Option<Vec<u8>>,
}

impl Ccpulse {
    /// `ccpulse` with nothing in its environment.
    pub fn new() -> Self {
        Self::program(crate::cli_bin())
    }

    /// Another program with nothing in its environment: a build of `ccpulse` that runs through
    /// it (Wine) takes that build as its first argument.
    pub fn program(program: impl AsRef<OsStr>) -> Self {
        let mut cmd = Command::new(program);
        cmd.env_clear();
        Ccpulse { cmd, stdin: None }
    }

    /// `ccpulse` living in `home`: `HOME` is `home`, its config dir (`XDG_CONFIG_HOME`)
    /// `home/config` and its state dir (`CCPULSE_STATE_DIR`) `home/state`.
    pub fn in_home(home: &Path) -> Self {
        Self::new()
            .home(home)
            .config_home(home.join("config"))
            .state_dir(home.join("state"))
    }

    /// `ccpulse` on `desktop`, as Claude Code started there runs it: the desktop's environment
    /// ([`Desktop::env`]: its home and XDG dirs, display and bus) and the state dir its tray
    /// app is given ([`Desktop::tray_command`]), so what it writes reaches the tray.
    pub fn on(desktop: &Desktop) -> Self {
        Self::new()
            .envs(desktop.env())
            .state_dir(desktop.state_home().join("ccpulse"))
    }

    /// `HOME`.
    pub fn home(self, dir: impl AsRef<OsStr>) -> Self {
        self.env("HOME", dir)
    }

    /// `XDG_CONFIG_HOME`: where the config file is looked for (`<it>/ccpulse/config.toml`).
    pub fn config_home(self, dir: impl AsRef<OsStr>) -> Self {
        self.env("XDG_CONFIG_HOME", dir)
    }

    /// `CCPULSE_CONFIG`: the config file itself.
    pub fn config_file(self, path: impl AsRef<OsStr>) -> Self {
        self.env("CCPULSE_CONFIG", path)
    }

    /// `CCPULSE_STATE_DIR`.
    pub fn state_dir(self, dir: impl AsRef<OsStr>) -> Self {
        self.env("CCPULSE_STATE_DIR", dir)
    }

    /// `CLAUDE_CONFIG_DIR`: Claude Code's folder, or several separated by commas.
    pub fn claude_config_dir(self, dirs: impl AsRef<OsStr>) -> Self {
        self.env("CLAUDE_CONFIG_DIR", dirs)
    }

    /// `CCPULSE_STATUS_URL`: the Statuspage page.
    pub fn status_url(self, url: impl AsRef<OsStr>) -> Self {
        self.env("CCPULSE_STATUS_URL", url)
    }

    /// `CCPULSE_API_URL`: the usage endpoint's base.
    pub fn api_url(self, url: impl AsRef<OsStr>) -> Self {
        self.env("CCPULSE_API_URL", url)
    }

    /// Any other variable. A later value of the same variable replaces an earlier one.
    pub fn env(mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(name, value);
        self
    }

    /// Several variables, in order.
    pub fn envs<K, V>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.cmd.envs(vars);
        self
    }

    /// The working directory (else the test's).
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.cmd.arg(arg);
        self
    }

    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.cmd.args(args);
        self
    }

    /// `input` on its stdin (through a pipe, then closed), as Claude Code gives a status line
    /// command its input, or a user pipes text in. Without it, stdin is empty (`/dev/null`).
    pub fn stdin(mut self, input: impl AsRef<[u8]>) -> Self {
        self.stdin = Some(input.as_ref().to_vec());
        self
    }

    /// Run it to its exit; its stdout and stderr are collected.
    ///
    /// # Panics
    ///
    /// If it cannot be started, or its stdin not written.
    #[track_caller]
    pub fn output(mut self) -> Output {
        let ran = match &self.stdin {
            Some(input) => crate::statusline::run(&mut self.cmd, input),
            None => self.cmd.output(),
        };
        // Program and arguments only: the environment may hold planted secrets.
        match ran {
            Ok(out) => out,
            Err(e) => {
                let args: Vec<_> = self.cmd.get_args().collect();
                let program = Path::new(self.cmd.get_program()).display();
                panic!("running {program} {args:?}: {e}")
            }
        }
    }

    /// The command, for a test that spawns it with pipes of its own.
    ///
    /// # Panics
    ///
    /// If [`Ccpulse::stdin`] was given: that test writes its stdin itself.
    #[track_caller]
    pub fn command(self) -> Command {
        assert!(
            self.stdin.is_none(),
            "Ccpulse::command: the stdin given to the builder would be lost; write it to the \
             spawned child instead"
        );
        self.cmd
    }
}

impl Default for Ccpulse {
    fn default() -> Self {
        Self::new()
    }
}

/// Run `ccpulse statusline` with `input` as Claude Code does, on the desktop's tray's state dir
/// (its status page unreachable: the line reads no network).
pub fn feed_statusline(desktop: &Desktop, input: &str) -> anyhow::Result<()> {
    statusline_line(desktop, input).map(drop)
}

/// [`feed_statusline`], and the line it printed.
pub fn statusline_line(desktop: &Desktop, input: &str) -> anyhow::Result<String> {
    let out = Ccpulse::on(desktop)
        .status_url("http://127.0.0.1:9")
        .env("TZ", "UTC")
        .env("LANG", "en_US.UTF-8")
        .arg("statusline")
        .stdin(input)
        .output();
    anyhow::ensure!(out.status.success(), "statusline: {out:?}");
    Ok(String::from_utf8(out.stdout)?)
}
