//! Desktop notifications through the platform's notification service: the freedesktop service
//! over D-Bus on Linux and the BSDs, toasts on Windows, Notification Center on macOS (all through
//! notify-rust, whose own split is `all(unix, not(target_os = "macos"))` / `windows` / `macos`).
//! Delivery runs on its own thread, in order, so a slow service never stalls the status loop.
//!
//! A click on a notification opens the panel, and one with a link (an incident, a confirmed
//! wave) offers a button that opens it. Each notification is then watched on a thread of its
//! own until it is clicked or closed. On the freedesktop service that needs its `actions`
//! capability; toasts and Notification Center always report clicks.
//!
//! What the D-Bus path has that the others lack, and why no branch stands in for it:
//! - the service's name and version ([`service`]): Windows and macOS have one notification
//!   center each, so there is nothing to ask; [`service`] says which identity we send under;
//! - its capabilities: there is no optional support to probe, actions are always there;
//! - closing a shown notification: ccpulse never closes one, on any platform.

use std::sync::{mpsc, Arc};

use ccpulse_core::alert::Alert;
#[cfg(not(target_os = "macos"))]
use ccpulse_core::alert::Urgency;
use notify_rust::NotificationResponse;

/// What the user asked for from a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    OpenPanel,
    Open(String),
}

pub struct Notifier {
    tx: mpsc::Sender<Alert>,
}

impl Notifier {
    /// Start the notification thread. `config` is the app's (`tauri.conf.json`): on Windows
    /// and macOS notifications are sent under its bundle identifier. Call it on the main
    /// thread, before anything is shown (macOS's identity is set here, once).
    pub fn spawn(
        config: &tauri::Config,
        on_action: impl Fn(Action) + Send + Sync + 'static,
    ) -> Self {
        let (tx, rx) = mpsc::channel::<Alert>();
        let on_action = Arc::new(on_action);
        let sender = platform::Sender::new(config);
        std::thread::Builder::new()
            .name("ccpulse-notify".into())
            .spawn(move || {
                let actions = sender.actions();
                for alert in rx {
                    if let Err(e) = show(&alert, &sender, actions, on_action.clone()) {
                        tracing::warn!("could not show notification {:?}: {e}", alert.title);
                    }
                }
            })
            .expect("spawning the notification thread");
        Self { tx }
    }

    pub fn send(&self, alerts: Vec<Alert>) {
        for alert in alerts {
            let _ = self.tx.send(alert);
        }
    }
}

/// Who shows the notifications, for the set-up page (`dunst 1.9.0`, the system's notification
/// center and the name we send under), or why there is none. On Linux it asks the service over
/// D-Bus: call it off the loop.
pub fn service() -> Result<String, String> {
    platform::service()
}

/// The button that opens the notification's link.
const OPEN_LINK: &str = "open-link";

fn show(
    alert: &Alert,
    sender: &platform::Sender,
    actions: bool,
    on_action: Arc<dyn Fn(Action) + Send + Sync>,
) -> Result<(), notify_rust::error::Error> {
    let mut n = notify_rust::Notification::new();
    n.appname("ccpulse").summary(&alert.title).body(&alert.body);
    sender.address(&mut n);
    // The freedesktop hint, and on Windows the toast's scenario (critical stays on screen
    // until dismissed). NSUserNotification, notify-rust's macOS backend, has no urgency: there
    // every notification is a plain banner (or alert, as the user set it in System Settings).
    #[cfg(not(target_os = "macos"))]
    n.urgency(match alert.urgency {
        Urgency::Low => notify_rust::Urgency::Low,
        Urgency::Normal => notify_rust::Urgency::Normal,
        Urgency::Critical => notify_rust::Urgency::Critical,
    });
    #[cfg(target_os = "macos")]
    let _ = alert.urgency;
    if actions {
        // The freedesktop service reports a click on the body only as the action named
        // `default` (and shows no button for it); toasts and Notification Center report it
        // unasked, and would show `default` as a button of its own.
        #[cfg(all(unix, not(target_os = "macos")))]
        n.action("default", "Open ccpulse");
        if alert.url.is_some() {
            n.action(OPEN_LINK, "Open status page");
        }
    }
    // On macOS `show` only prepares it: the handle sends it, when waited on or dropped.
    let handle = n.show()?;
    if actions {
        let url = alert.url.clone();
        let _ = std::thread::Builder::new()
            .name("ccpulse-notify-action".into())
            .spawn(move || {
                let waited =
                    handle.wait_for_response(|response: &NotificationResponse| match response {
                        NotificationResponse::Default => on_action(Action::OpenPanel),
                        NotificationResponse::Action(id) if id == OPEN_LINK => {
                            on_action(Action::Open(url.unwrap_or_default()));
                        }
                        _ => {}
                    });
                if let Err(e) = waited {
                    tracing::debug!("a notification's answer was lost: {e}");
                }
            });
    }
    Ok(())
}

#[cfg(all(unix, not(target_os = "macos")))]
use freedesktop as platform;
#[cfg(target_os = "macos")]
use notification_center as platform;
#[cfg(windows)]
use toast as platform;

#[cfg(target_os = "macos")]
mod notification_center;
#[cfg(windows)]
mod toast;

/// The freedesktop notification service, over D-Bus.
#[cfg(all(unix, not(target_os = "macos")))]
mod freedesktop {
    /// Nothing to set up: the service names the sender by `appname`.
    pub struct Sender;

    impl Sender {
        pub fn new(_config: &tauri::Config) -> Self {
            Sender
        }

        /// Whether the service shows actions and reports clicks (asked once, at start).
        pub fn actions(&self) -> bool {
            notify_rust::get_capabilities().is_ok_and(|c| c.iter().any(|c| c == "actions"))
        }

        pub fn address(&self, _n: &mut notify_rust::Notification) {}
    }

    pub fn service() -> Result<String, String> {
        match notify_rust::get_server_information() {
            Ok(info) => Ok(format!("{} {}", info.name, info.version)),
            Err(e) => Err(format!("no notification service answers ({e})")),
        }
    }
}
