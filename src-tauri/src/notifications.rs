//! Desktop notifications through the platform's notification service (D-Bus on Linux).
//! Delivery runs on its own thread, in order, so a slow daemon never stalls the status loop.

use std::sync::mpsc;

use ccpulse_core::alerts::{Alert, Urgency};

pub struct Notifier {
    tx: mpsc::Sender<Alert>,
}

impl Notifier {
    pub fn spawn() -> Self {
        let (tx, rx) = mpsc::channel::<Alert>();
        std::thread::Builder::new()
            .name("ccpulse-notify".into())
            .spawn(move || {
                for alert in rx {
                    if let Err(e) = show(&alert) {
                        eprintln!(
                            "ccpulse: could not show notification {:?}: {e}",
                            alert.title
                        );
                    }
                }
            })
            .expect("spawning the notification thread");
        Self { tx }
    }

    pub fn send(&self, alert: Alert) {
        let _ = self.tx.send(alert);
    }
}

fn show(alert: &Alert) -> Result<(), notify_rust::error::Error> {
    let mut n = notify_rust::Notification::new();
    n.appname("ccpulse").summary(&alert.title).body(&alert.body);
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        n.urgency(match alert.urgency {
            Urgency::Low => notify_rust::Urgency::Low,
            Urgency::Normal => notify_rust::Urgency::Normal,
            Urgency::Critical => notify_rust::Urgency::Critical,
        });
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    let _ = alert.urgency;
    n.show().map(drop)
}
