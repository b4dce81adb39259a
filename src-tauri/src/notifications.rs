//! Desktop notifications through the platform's notification service (D-Bus on Linux).
//! Delivery runs on its own thread, in order, so a slow daemon never stalls the status loop.
//!
//! Where the service supports actions (the `actions` capability), a notification opens the
//! panel when clicked, and one with a link (an incident, a confirmed wave) offers to open it.
//! Each such notification is then watched on a thread of its own until it is closed.

use std::sync::{mpsc, Arc};

use ccpulse_core::alert::Alert;
#[cfg(all(unix, not(target_os = "macos")))]
use ccpulse_core::alert::Urgency;

/// What the user asked for from a notification. Only the freedesktop service reports actions
/// to notify-rust; on Windows and macOS a notification is shown without them (the loop still
/// handles both, for the day it can).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(all(unix, not(target_os = "macos"))), allow(dead_code))]
pub enum Action {
    OpenPanel,
    Open(String),
}

pub struct Notifier {
    tx: mpsc::Sender<Alert>,
}

impl Notifier {
    pub fn spawn(on_action: impl Fn(Action) + Send + Sync + 'static) -> Self {
        let (tx, rx) = mpsc::channel::<Alert>();
        let on_action = Arc::new(on_action);
        std::thread::Builder::new()
            .name("ccpulse-notify".into())
            .spawn(move || {
                let actions = supports_actions();
                for alert in rx {
                    if let Err(e) = show(&alert, actions, on_action.clone()) {
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

/// The notification service's name and version (`dunst 1.9.0`), or why there is none. It asks
/// the service over D-Bus: call it off the loop.
#[cfg(all(unix, not(target_os = "macos")))]
pub fn service() -> Result<String, String> {
    match notify_rust::get_server_information() {
        Ok(info) => Ok(format!("{} {}", info.name, info.version)),
        Err(e) => Err(format!("no notification service answers ({e})")),
    }
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
pub fn service() -> Result<String, String> {
    Ok("the system's notification center".into())
}

#[cfg(all(unix, not(target_os = "macos")))]
fn supports_actions() -> bool {
    notify_rust::get_capabilities().is_ok_and(|c| c.iter().any(|c| c == "actions"))
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn supports_actions() -> bool {
    false
}

#[cfg(all(unix, not(target_os = "macos")))]
const OPEN_LINK: &str = "open-link";

fn show(
    alert: &Alert,
    actions: bool,
    on_action: Arc<dyn Fn(Action) + Send + Sync>,
) -> Result<(), notify_rust::error::Error> {
    let mut n = notify_rust::Notification::new();
    n.appname("ccpulse").summary(&alert.title).body(&alert.body);
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        n.urgency(match alert.urgency {
            Urgency::Low => notify_rust::Urgency::Low,
            Urgency::Normal => notify_rust::Urgency::Normal,
            Urgency::Critical => notify_rust::Urgency::Critical,
        });
        if actions {
            n.action("default", "Open ccpulse");
            if alert.url.is_some() {
                n.action(OPEN_LINK, "Open status page");
            }
        }
    }
    // No urgency and no actions there (see `Action`).
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    let _ = (alert.urgency, actions);
    let handle = n.show()?;
    #[cfg(all(unix, not(target_os = "macos")))]
    if actions {
        let url = alert.url.clone();
        let _ = std::thread::Builder::new()
            .name("ccpulse-notify-action".into())
            .spawn(move || {
                handle.wait_for_action(|id| match id {
                    "default" => on_action(Action::OpenPanel),
                    OPEN_LINK => on_action(Action::Open(url.unwrap_or_default())),
                    _ => {}
                })
            });
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    let _ = (handle, on_action);
    Ok(())
}
