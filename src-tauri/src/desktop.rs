//! What the tray process knows of the desktop, for the set-up page: start at login (through
//! `tauri-plugin-autostart`, each entry pointing at this binary; see [`ENTRY`]), the
//! notification service, the tray host.

use tauri::AppHandle;
use tauri_plugin_autostart::ManagerExt;

/// The start-at-login entry's name. Linux: `~/.config/autostart/ccpulse.desktop`, an XDG
/// autostart entry. Windows: the value `ccpulse` under the `Run` key of
/// `HKCU\Software\Microsoft\Windows\CurrentVersion` (`HKLM` when ccpulse runs elevated), the
/// value the NSIS uninstaller removes. macOS: a LaunchAgent, named by the bundle identifier as
/// launchd's labels are (`~/Library/LaunchAgents/dev.ccpulse.tray.plist`).
#[cfg(not(target_os = "macos"))]
const ENTRY: &str = "ccpulse";
#[cfg(target_os = "macos")]
const ENTRY: &str = BUNDLE_IDENTIFIER;

/// `identifier` in `tauri.conf.json` (a test holds them equal): the plugin is built before the
/// app's config can be read.
#[cfg(any(target_os = "macos", test))]
const BUNDLE_IDENTIFIER: &str = "dev.ccpulse.tray";

/// Where the entry is, for the log.
fn entry_place() -> String {
    if cfg!(target_os = "macos") {
        format!("~/Library/LaunchAgents/{ENTRY}.plist")
    } else if cfg!(windows) {
        format!("the {ENTRY} value of the Run key")
    } else {
        format!("~/.config/autostart/{ENTRY}.desktop")
    }
}

/// The plugin. On macOS it writes a LaunchAgent (its default launcher; the other, AppleScript,
/// asks for control of System Events), on Windows a `Run` value, on Linux an XDG entry.
pub fn autostart_plugin() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    tauri_plugin_autostart::Builder::new()
        .app_name(ENTRY)
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
            tracing::info!(
                "start at login turned {} ({})",
                if on { "on" } else { "off" },
                entry_place()
            );
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_bundle_identifier_is_the_configs() {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).expect("valid JSON");
        assert_eq!(config["identifier"], super::BUNDLE_IDENTIFIER);
    }
}
