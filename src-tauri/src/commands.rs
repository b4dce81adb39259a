//! The panel's commands: one-line delegations. Errors cross IPC as `{code, message}`.

use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

use crate::app::{PanelState, Shared};
use crate::panel;

#[derive(Debug, Serialize)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
}

#[tauri::command]
pub fn panel_state(shared: State<'_, Shared>) -> PanelState {
    shared.panel_state(chrono::Utc::now())
}

#[tauri::command]
pub fn refresh_now(shared: State<'_, Shared>) {
    shared.refresh.notify_one();
}

#[tauri::command]
pub fn open_url(url: String) -> Result<(), CommandError> {
    crate::tray::open_in_browser(&url).map_err(|message| CommandError {
        code: "open_url",
        message,
    })
}

#[tauri::command]
pub fn close_panel<R: Runtime>(app: AppHandle<R>) {
    panel::close(&app);
}
