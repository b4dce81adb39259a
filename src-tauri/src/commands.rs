//! The panel's commands: one-line delegations. Errors cross IPC as `{code, message}`.

use std::io::Write;
use std::sync::Mutex;

use serde::Serialize;
use tauri::{AppHandle, State};

use crate::panel_link::{encode, FromPanel, PREFIX};

/// The last view the tray sent, as it came (JSON): written by the thread that reads the tray's
/// lines, read by the page when it starts listening. A copy for display, not the tray's state.
#[derive(Default)]
pub struct Latest(pub Mutex<Option<serde_json::Value>>);

#[derive(Debug, Serialize)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
}

#[tauri::command]
pub fn panel_state(latest: State<'_, Latest>) -> Option<serde_json::Value> {
    latest.0.lock().expect("state lock").clone()
}

pub fn tell_tray(message: &FromPanel) -> Result<(), CommandError> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{PREFIX}{}", encode(message))
        .and_then(|()| out.flush())
        .map_err(|e| CommandError {
            code: "tray_gone",
            message: format!("cannot reach the tray: {e}"),
        })
}

/// Ask the tray for a poll now; the new state arrives as an event.
#[tauri::command]
pub fn refresh_now() -> Result<(), CommandError> {
    tell_tray(&FromPanel::Refresh)
}

/// Put a command on the clipboard (the tray holds it, so it stays after the panel closes).
#[tauri::command]
pub fn copy_text(text: String) -> Result<(), CommandError> {
    tell_tray(&FromPanel::Copy { text })
}

/// The error reference, searched as the user types (`kb::search`).
#[tauri::command]
pub fn reference(query: String) -> Vec<&'static ccpulse_core::kb::Entry> {
    ccpulse_core::kb::search(&query)
}

#[tauri::command]
pub fn open_url(url: String) -> Result<(), CommandError> {
    crate::links::open_in_browser(&url).map_err(|message| CommandError {
        code: "open_url",
        message,
    })
}

#[tauri::command]
pub fn close_panel(app: AppHandle) {
    app.exit(0);
}
