//! The end-to-end test harness of ccpulse, and its black-box tests (in `tests/tests/`).
//!
//! The tray app (`ccpulse-tray`) and the CLI (`ccpulse`) are tested as a user meets them: as
//! processes on a desktop. This library provides that desktop and the means to look at it:
//!
//! - [`Desktop`]: a private headless desktop for one test: a temp `HOME` and XDG dirs, Xvfb, a
//!   D-Bus session bus and a notification daemon (dunst), torn down on drop. It reads the
//!   notifications that arrived, takes screenshots, and runs processes inside it.
//! - [`SniHost`]: a stand-in for the panel's StatusNotifierItem watcher, so that the app's tray
//!   icon registers; [`Item`] then reads the icon's title, icon and menu, and clicks menu entries.
//! - [`x11`]: finds top-level windows by title and closes them like a window manager would.
//! - [`ProcessGuard`]: a spawned process (and its process group) killed on drop, with its log.
//! - [`Ccpulse`]: the CLI run with an empty environment, to which a test adds its home, state
//!   dir, status page, arguments and stdin.
//! - [`Panel`]: the panel's webview under WebKitWebDriver, opened on a desktop and read and
//!   clicked over WebDriver; the set-up and tear-down of every panel test.
//! - [`paths`]: the fixtures directory and the binaries under test ([`tray_bin`], [`cli_bin`]).
//! - [`statuspage`]: a loopback Statuspage page that plays the incident timeline.
//! - [`statusline`]: Claude Code's status line input, and running a command on it.
//! - [`wait`]: polling with a deadline; nothing here sleeps a fixed time in place of a condition.
//!
//! Fallible calls return [`anyhow::Result`] with context; a timeout's error names what was awaited
//! and what was seen instead. The system tools it runs: `Xvfb` (xvfb), `dbus-daemon`, `dbus-send`
//! (dbus), `dunst`, `dunstctl` (dunst; its `history` needs `busctl` from systemd, without which
//! the history is read over D-Bus directly), `import` (imagemagick), `sh`.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use std::time::{Duration, Instant};
//! use ccpulse_tests::{tray_bin, Desktop, SniHost};
//!
//! let desktop = Desktop::new()?;
//! let host = SniHost::start(&desktop).await?; // before the app
//! let spawned = Instant::now();
//! let app = desktop.spawn("ccpulse-tray", desktop.command(tray_bin()))?;
//! let item = host.wait_for_item(Duration::from_secs(10)).await?;
//! assert!(item.registered_at() - spawned < Duration::from_secs(5), "{}", app.log_excerpt());
//! item.wait_for_title(|t| t.contains("ccpulse"), Duration::from_secs(5)).await?;
//! item.click_label("Quit").await?;
//! # Ok(()) }
//! ```

// The harness drives a Linux desktop (Xvfb, a D-Bus session, dunst, WebKitWebDriver, process
// groups, network namespaces): on other systems the crate is empty. There, the core's and the
// sources' own tests run (under Wine from Linux: `cargo xtask test`; on CI's Windows and macOS
// runners), and `tests/windows.rs` checks the Windows CLI against the Linux one from here.
#![cfg(target_os = "linux")]

pub mod claude_code;
pub mod cli;
pub mod desktop;
pub mod history;
pub mod panel;
pub mod paths;
pub mod process;
pub mod sni;
pub mod statusline;
pub mod statuspage;
mod variant;
pub mod wait;
pub mod x11;

pub use cli::Ccpulse;
pub use desktop::{Desktop, Notification};
pub use panel::Panel;
pub use paths::{cli_bin, fixtures_dir, tray_bin};
pub use process::ProcessGuard;
pub use sni::{Item, MenuEntry, MenuEntryKind, Registration, SniHost, ToolTip};
pub use x11::{WindowInfo, X11};
