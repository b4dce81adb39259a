//! Windows toasts. A toast is sent under an AppUserModelID (AUMID), and Windows shows it only
//! if that AUMID belongs to something it knows: for a desktop program, a Start-menu shortcut
//! that carries it. ccpulse's installers make that shortcut: the NSIS one writes
//! `<Start menu>\Programs\ccpulse.lnk` (or in a Start-menu folder, if one is chosen) and the MSI
//! one its Start-menu shortcut, both with the bundle identifier (`identifier` in
//! `tauri.conf.json`, `dev.ccpulse.tray`) as their AUMID.
//!
//! Run uninstalled (a portable copy, a build run in place, an NSIS install with `/NS`, no
//! shortcuts), that AUMID is unknown, and Windows takes toasts sent under it without an error
//! and drops them. So ccpulse looks for the shortcut once, at start: found, it sends under the
//! bundle identifier (the toast bears ccpulse's name and icon); not found, under notify-rust's
//! default, Windows PowerShell's AUMID, which every Windows has registered (the toast is shown,
//! headed "Windows PowerShell"). The set-up page says which of the two is in use.

use std::path::PathBuf;
use std::sync::OnceLock;

/// The set-up page's line, written once when the sender is made.
static SERVICE: OnceLock<String> = OnceLock::new();

pub struct Sender {
    /// The AUMID to send under; `None` for notify-rust's default (Windows PowerShell's).
    app_id: Option<String>,
}

impl Sender {
    pub fn new(config: &tauri::Config) -> Self {
        let name = config.product_name.as_deref().unwrap_or("ccpulse");
        let app_id = match start_menu_shortcut(name) {
            Some(shortcut) => {
                tracing::info!(
                    "notifications are sent as {} (its Start-menu shortcut is {})",
                    config.identifier,
                    shortcut.display()
                );
                let _ = SERVICE.set(format!(
                    "Windows' notification center, as {name} ({})",
                    config.identifier
                ));
                Some(config.identifier.clone())
            }
            None => {
                tracing::info!(
                    "no Start-menu shortcut for {name}: notifications are sent as Windows \
                     PowerShell (toasts under an unregistered app id would be dropped)"
                );
                let _ = SERVICE.set(format!(
                    "Windows' notification center, under Windows PowerShell's name ({name} has \
                     no Start-menu shortcut: install it to see its own name)"
                ));
                None
            }
        };
        Sender { app_id }
    }

    /// Toasts always report a click and show their buttons.
    pub fn actions(&self) -> bool {
        true
    }

    pub fn address(&self, n: &mut notify_rust::Notification) {
        if let Some(app_id) = &self.app_id {
            n.app_id(app_id);
        }
    }
}

pub fn service() -> Result<String, String> {
    SERVICE
        .get()
        .cloned()
        .ok_or_else(|| "the notification thread has not started".to_string())
}

/// The installers' Start-menu shortcut, for this user or for all users: `<name>.lnk` in the
/// Start menu's Programs folder, or in a folder of its own there.
fn start_menu_shortcut(name: &str) -> Option<PathBuf> {
    let file = format!("{name}.lnk");
    ["APPDATA", "ProgramData"]
        .into_iter()
        .filter_map(std::env::var_os)
        .map(|root| PathBuf::from(root).join(r"Microsoft\Windows\Start Menu\Programs"))
        .flat_map(|programs| [programs.join(&file), programs.join(name).join(&file)])
        .find(|shortcut| shortcut.is_file())
}
