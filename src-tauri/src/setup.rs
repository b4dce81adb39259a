//! The panel's set-up page: what ccpulse found on this machine and the actions that put it
//! right. The status line is installed here, in the panel process, by the same code as
//! `ccpulse statusline install`; start at login and the test notification are the tray's, asked
//! over the link. Errors cross IPC as `{code, message}`.

use std::path::PathBuf;
use std::sync::Mutex;

use chrono::Utc;
use tauri::State;

use ccpulse_core::view::setup::{setup_view, ActionId, DesktopFacts, SetupView};
use ccpulse_sources::state_dir::StateDir;
use ccpulse_sources::{setup, statusline_install};

use crate::commands::{tell_tray, CommandError};
use crate::panel_link::FromPanel;

/// What the tray last said for this page: its desktop facts, and the tab to show. Copies for
/// display, written by the thread reading the tray's lines.
#[derive(Default)]
pub struct Received {
    pub desktop: Mutex<Option<DesktopFacts>>,
    pub tab: Mutex<Option<String>>,
}

/// The set-up page as it stands now (off the main thread: it lists the transcripts).
#[tauri::command]
pub async fn setup_state(received: State<'_, Received>) -> Result<SetupView, CommandError> {
    let now = Utc::now();
    let mut facts = setup::facts(&StateDir::default_location(), now);
    facts.desktop = received.desktop.lock().expect("setup lock").clone();
    Ok(setup_view(&facts, now))
}

/// The tab the tray asked for (the first run, "Set up…"), if any.
#[tauri::command]
pub fn panel_tab(received: State<'_, Received>) -> Option<String> {
    received.tab.lock().expect("setup lock").clone()
}

/// The `ccpulse` command beside this binary: the one the status line runs.
fn cli_beside_us() -> Result<PathBuf, CommandError> {
    let exe = std::env::current_exe().map_err(|e| CommandError {
        code: "no_cli",
        message: format!("cannot find this program's folder: {e}"),
    })?;
    let cli = exe.with_file_name(format!("ccpulse{}", std::env::consts::EXE_SUFFIX));
    if cli.is_file() {
        Ok(cli)
    } else {
        Err(CommandError {
            code: "no_cli",
            message: format!(
                "the ccpulse command is not installed beside ccpulse-tray (looked for {})",
                cli.display()
            ),
        })
    }
}

fn installed(
    result: Result<String, statusline_install::InstallError>,
) -> Result<String, CommandError> {
    result.map_err(|e| CommandError {
        code: "statusline",
        message: e.to_string(),
    })
}

/// Do what a button on the page says; returns what to tell the user.
#[tauri::command]
pub async fn setup_action(action: ActionId) -> Result<String, CommandError> {
    let dir = StateDir::default_location();
    match action {
        ActionId::InstallStatusline | ActionId::ChainStatusline => {
            installed(statusline_install::install(
                &cli_beside_us()?,
                action == ActionId::ChainStatusline,
                &dir,
            ))
        }
        ActionId::UninstallStatusline => installed(statusline_install::uninstall(&dir)),
        ActionId::AutostartOn | ActionId::AutostartOff => {
            let on = action == ActionId::AutostartOn;
            tell_tray(&FromPanel::Autostart { on })?;
            Ok(String::new())
        }
        ActionId::TestNotification => {
            tell_tray(&FromPanel::TestNotification)?;
            Ok("Sent: it should be on your screen now.".into())
        }
    }
}
