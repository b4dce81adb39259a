//! What the tray process knows of the desktop, for the set-up page: start at login (through
//! `tauri-plugin-autostart`: an XDG autostart entry on Linux, a LaunchAgent on macOS, the
//! registry on Windows, each pointing at this binary), the notification service, the tray host.

use tauri::AppHandle;
use tauri_plugin_autostart::ManagerExt;

/// The plugin, named so the entry is `ccpulse` (`~/.config/autostart/ccpulse.desktop`).
pub fn autostart_plugin() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    tauri_plugin_autostart::Builder::new()
        .app_name("ccpulse")
        .build()
}

/// Whether ccpulse starts at login.
pub fn autostart(app: &AppHandle) -> Result<bool, String> {
    app.autolaunch().is_enabled().map_err(|e| e.to_string())
}

/// Turn start at login on or off; off removes the entry.
pub fn set_autostart(app: &AppHandle, on: bool) -> Result<(), String> {
    let manager = app.autolaunch();
    let done = if on {
        manager.enable()
    } else {
        manager.disable()
    };
    match done {
        Ok(()) => {
            tracing::info!("start at login turned {}", if on { "on" } else { "off" });
            Ok(())
        }
        Err(e) => {
            tracing::warn!(
                "cannot turn start at login {}: {e}",
                if on { "on" } else { "off" }
            );
            Err(e.to_string())
        }
    }
}
