//! macOS's Notification Center, through notify-rust's NSUserNotificationCenter backend
//! (mac-notification-sys). It sends as whichever application the process says it is: it hooks
//! `NSBundle.mainBundle.bundleIdentifier` and answers with the identifier given to
//! `set_application`, once per process. Left to itself, it would pick one on the first
//! notification (Finder's, after an AppleScript look-up), so ccpulse names its own first: the
//! bundle identifier (`identifier` in `tauri.conf.json`, the `CFBundleIdentifier` of the
//! `.app` the bundler makes).
//!
//! `set_application` succeeds only when Launch Services knows an app with that identifier: an
//! installed or once-opened `ccpulse.app`. Run outside it (the bare binary of a build), it
//! fails, and the library then sends as Terminal (`com.apple.Terminal`): the notifications
//! are still shown, headed "Terminal". The set-up page says which of the two is in use.
//!
//! Waiting for a click (`wait_for_response`) needs the main run loop turning, which the tray's
//! Tauri event loop does.

use std::sync::OnceLock;

/// The set-up page's line, written once when the sender is made.
static SERVICE: OnceLock<String> = OnceLock::new();

pub struct Sender;

impl Sender {
    /// Names the application to send as: call it before the first notification.
    pub fn new(config: &tauri::Config) -> Self {
        let name = config.product_name.as_deref().unwrap_or("ccpulse");
        let line = match notify_rust::set_application(&config.identifier) {
            Ok(()) => {
                tracing::info!("notifications are sent as {}", config.identifier);
                format!(
                    "macOS's Notification Center, as {name} ({})",
                    config.identifier
                )
            }
            Err(e) => {
                tracing::warn!(
                    "cannot send notifications as {} ({e}): they are sent as Terminal",
                    config.identifier
                );
                format!(
                    "macOS's Notification Center, under Terminal's name ({name}.app is not \
                     installed: install it to see its own name)"
                )
            }
        };
        let _ = SERVICE.set(line);
        Sender
    }

    /// Notification Center always reports a click; a button (the link's) shows when the user
    /// lets ccpulse's notifications be alerts rather than banners.
    pub fn actions(&self) -> bool {
        true
    }

    /// The identity is process-wide (see above): nothing to set per notification.
    pub fn address(&self, _n: &mut notify_rust::Notification) {}
}

pub fn service() -> Result<String, String> {
    SERVICE
        .get()
        .cloned()
        .ok_or_else(|| "the notification thread has not started".to_string())
}
