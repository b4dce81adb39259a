//! The notifications that reached a [`Desktop`]'s daemon (dunst): [`Notification`], read from
//! dunst's history with `dunstctl` (or over D-Bus without `busctl`), and the waits on them.

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;
use zbus::{OwnedVariant, Variant};

use super::Desktop;
use crate::variant::{as_string, unwrap_variant};
use crate::wait::poll_until;

/// A notification that reached the desktop's notification daemon (dunst).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The id the daemon gave it; increases with each new notification.
    pub id: i64,
    /// The sender's `app_name`.
    pub appname: String,
    /// The summary (title), as sent (markup not interpreted).
    pub summary: String,
    /// The body, as sent.
    pub body: String,
    /// The `category` hint, or "".
    pub category: String,
    /// "LOW", "NORMAL" or "CRITICAL", if the daemon reports it (dunst 1.9's history doesn't).
    pub urgency: Option<String>,
}

impl Desktop {
    pub fn dunstctl(&self, args: &[&str]) -> Result<String> {
        let out = self
            .command("dunstctl")
            .args(args)
            .output()
            .context("running dunstctl (package dunst)")?;
        if !out.status.success() {
            bail!(
                "`dunstctl {}` failed ({}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        String::from_utf8(out.stdout).context("dunstctl printed non-UTF-8")
    }

    /// Every notification received so far, oldest first.
    ///
    /// Only closed notifications are in dunst's history, so this first closes the ones on
    /// screen (`dunstctl close-all`), which sends their senders `NotificationClosed` (reason 2,
    /// dismissed). Take screenshots of notifications before calling it.
    pub fn notifications(&self) -> Result<Vec<Notification>> {
        self.dunstctl(&["close-all"])?;
        if busctl_available() {
            parse_dunst_history(&self.dunstctl(&["history"])?)
        } else {
            self.history_over_dbus()
        }
    }

    /// dunst's history, oldest first, read with the D-Bus call `dunstctl history` makes
    /// (`org.dunstproject.cmd0.NotificationListHistory`) but without `busctl`, which
    /// `dunstctl history` needs (package systemd). [`Desktop::notifications`] falls back to it.
    pub fn history_over_dbus(&self) -> Result<Vec<Notification>> {
        let address = self.bus_address.clone();
        // A thread and a runtime of its own, so that this works from sync and async code alike.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting a runtime to read dunst's history")?;
            runtime.block_on(async move {
                let conn = zbus::connection::Builder::address(address.as_str())
                    .method_timeout(Duration::from_secs(10))
                    .build()
                    .await
                    .with_context(|| format!("connecting to the bus at {address}"))?;
                let reply = conn
                    .call_method(
                        Some("org.freedesktop.Notifications"),
                        "/org/freedesktop/Notifications",
                        Some("org.dunstproject.cmd0"),
                        "NotificationListHistory",
                        &(),
                    )
                    .await
                    .context("calling dunst's NotificationListHistory")?;
                let list: Vec<HashMap<String, OwnedVariant>> = reply
                    .body()
                    .deserialize()
                    .context("decoding dunst's history")?;
                let mut notifications = list
                    .iter()
                    .map(notification_from_dict)
                    .collect::<Result<Vec<_>>>()?;
                notifications.sort_by_key(|n| n.id);
                Ok(notifications)
            })
        })
        .join()
        .map_err(|_| anyhow::anyhow!("the thread reading dunst's history panicked"))?
    }

    /// Waits until at least `n` notifications arrived, and returns all of them, oldest first.
    pub fn wait_for_notifications(&self, n: usize, timeout: Duration) -> Result<Vec<Notification>> {
        let mut seen = Vec::new();
        let what = format!("{n} notification(s)");
        let result = poll_until(&what, timeout, || {
            seen = self.notifications()?;
            Ok((seen.len() >= n).then(|| seen.clone()))
        });
        result.with_context(|| format!("notifications so far: {seen:#?}"))
    }

    /// Waits until a notification satisfies `condition`, and returns the first that does.
    /// `what` describes the condition for the timeout message.
    pub fn wait_for_notification(
        &self,
        what: &str,
        timeout: Duration,
        condition: impl Fn(&Notification) -> bool,
    ) -> Result<Notification> {
        let mut seen = Vec::new();
        let result = poll_until(&format!("a notification {what}"), timeout, || {
            seen = self.notifications()?;
            Ok(seen.iter().find(|n| condition(n)).cloned())
        });
        result.with_context(|| format!("notifications so far: {seen:#?}"))
    }

    /// Waits until no new notification arrived for `quiet`, and returns them all, oldest first.
    ///
    /// For asserting that something did *not* notify (again): proving absence takes a quiet
    /// period by nature. Fails if notifications keep arriving for `timeout`.
    pub fn notifications_after_quiet(
        &self,
        quiet: Duration,
        timeout: Duration,
    ) -> Result<Vec<Notification>> {
        let mut last = self.notifications()?;
        let mut since = Instant::now();
        let what = format!("{quiet:?} without a new notification");
        let result = poll_until(&what, timeout, || {
            let now = self.notifications()?;
            if now != last {
                last = now;
                since = Instant::now();
            }
            Ok((since.elapsed() >= quiet).then(|| last.clone()))
        });
        result.with_context(|| format!("notifications so far: {last:#?}"))
    }
}

fn busctl_available() -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        Command::new("busctl")
            .arg("--version")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn notification_from_dict(entry: &HashMap<String, OwnedVariant>) -> Result<Notification> {
    let text = |name: &str| -> Result<String> {
        entry
            .get(name)
            .map(|v| as_string(v))
            .transpose()
            .map(Option::unwrap_or_default)
    };
    let id = match entry.get("id").map(|v| unwrap_variant(v)) {
        Some(Variant::I32(id)) => i64::from(*id),
        Some(Variant::U32(id)) => i64::from(*id),
        other => bail!("a notification in dunst's history has no integer id: {other:?}"),
    };
    let urgency = entry.get("urgency").map(|v| match unwrap_variant(v) {
        Variant::Str(s) => s.to_string(),
        Variant::U8(n) => urgency_name(u64::from(*n)),
        Variant::I32(n) => u64::try_from(*n)
            .map(urgency_name)
            .unwrap_or_else(|_| n.to_string()),
        Variant::U32(n) => urgency_name(u64::from(*n)),
        other => other.to_string(),
    });
    Ok(Notification {
        id,
        appname: text("appname")?,
        summary: text("summary")?,
        body: text("body")?,
        category: text("category")?,
        urgency,
    })
}

fn urgency_name(level: u64) -> String {
    match level {
        0 => "LOW".into(),
        1 => "NORMAL".into(),
        2 => "CRITICAL".into(),
        n => n.to_string(),
    }
}

/// Parses `dunstctl history` (busctl's JSON of `aa{sv}`), oldest first.
pub fn parse_dunst_history(json: &str) -> Result<Vec<Notification>> {
    let value: Value = serde_json::from_str(json).context("dunstctl history is not JSON")?;
    let list = value
        .get("data")
        .and_then(|d| d.get(0))
        .and_then(Value::as_array)
        .with_context(|| format!("dunstctl history has no data[0] array: {json}"))?;
    let mut notifications = list
        .iter()
        .map(|entry| {
            let field = |name: &str| entry.get(name).and_then(|f| f.get("data"));
            let text = |name: &str| {
                field(name)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let id = field("id")
                .and_then(Value::as_i64)
                .with_context(|| format!("no id in {entry}"))?;
            let urgency = field("urgency").map(|u| match u {
                Value::String(s) => s.clone(),
                Value::Number(n) => n
                    .as_u64()
                    .map(urgency_name)
                    .unwrap_or_else(|| n.to_string()),
                other => other.to_string(),
            });
            Ok(Notification {
                id,
                appname: text("appname"),
                summary: text("summary"),
                body: text("body"),
                category: text("category"),
                urgency,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    notifications.sort_by_key(|n| n.id);
    Ok(notifications)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dunstctl_history_oldest_first() {
        let json = r#"{"type":"aa{sv}","data":[[
            {"summary":{"type":"s","data":"second"},"body":{"type":"s","data":"b"},
             "appname":{"type":"s","data":"x"},"id":{"type":"i","data":7},
             "urgency":{"type":"s","data":"CRITICAL"}},
            {"summary":{"type":"s","data":"first"},"body":{"type":"s","data":"a & b"},
             "appname":{"type":"s","data":"demo"},"category":{"type":"s","data":"c"},
             "id":{"type":"i","data":2}}
        ]]}"#;
        let n = parse_dunst_history(json).unwrap();
        assert_eq!(n.len(), 2);
        assert_eq!(n[0].summary, "first");
        assert_eq!(n[0].body, "a & b");
        assert_eq!(n[0].appname, "demo");
        assert_eq!(n[0].category, "c");
        assert_eq!(n[0].urgency, None);
        assert_eq!(n[1].id, 7);
        assert_eq!(n[1].urgency.as_deref(), Some("CRITICAL"));
    }

    #[test]
    fn parses_an_empty_history() {
        assert!(parse_dunst_history(r#"{"type":"aa{sv}","data":[[]]}"#)
            .unwrap()
            .is_empty());
    }
}
