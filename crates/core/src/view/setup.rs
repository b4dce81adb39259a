//! The set-up page: what ccpulse found on this machine (Claude Code's login and plan, the
//! transcripts, the status line, the notification service, the tray host, start at login), in
//! words, each with the one action that puts it right. The shells gather the facts; the words,
//! marks and actions are decided here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::alert::{Alert, Kind, Urgency};

/// Claude Code's login, as read (never the token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginFact {
    /// A subscription login: its plan (`max`, `pro`, ...) and when the token expires.
    LoggedIn {
        plan: Option<String>,
        expires_at: Option<DateTime<Utc>>,
    },
    /// Expired at this time: Claude Code renews it when it next runs.
    Expired { at: DateTime<Utc> },
    /// No login where Claude Code keeps it (this file).
    Missing { path: String },
    /// In the macOS Keychain, which ccpulse reads only when asked (`CCPULSE_KEYCHAIN=1`).
    Keychain,
    /// Something else is wrong with it: the reason, in words.
    Unusable { why: String },
}

/// A transcript root and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootFact {
    pub path: String,
    pub exists: bool,
    pub files: u64,
    pub bytes: u64,
}

/// Claude Code's `statusLine` setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusLineFact {
    /// No status line command is set.
    NotSet,
    /// ccpulse is the status line; `chained` is the command shown after it, if any.
    Ours {
        chained: Option<String>,
        by_ccpulse: bool,
    },
    /// Another command is set.
    Other { command: String },
    /// settings.json cannot be read or is not a JSON object: the reason.
    Unreadable { why: String },
}

/// What the tray process knows of the desktop (sent to the panel as it is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesktopFacts {
    /// A StatusNotifierItem host took the tray icon.
    pub tray_host: bool,
    /// The notification service's name and version, or why there is none.
    pub notifications: Result<String, String>,
    /// Start at login: on or off, or why it cannot be known.
    pub autostart: Result<bool, String>,
}

/// Everything the set-up page is a function of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupFacts {
    pub login: LoginFact,
    pub roots: Vec<RootFact>,
    /// Claude Code's settings.json.
    pub settings_path: String,
    pub statusline: StatusLineFact,
    /// `None` until the tray has said (the panel asks it when it opens).
    pub desktop: Option<DesktopFacts>,
}

/// How a finding stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// As it should be.
    Ok,
    /// Works, but something is missing or worth doing.
    Warn,
    /// Not yet known.
    Pending,
}

/// What a button on the page does (the shells act on these ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionId {
    InstallStatusline,
    /// Install, keeping the command already set (`--chain`).
    ChainStatusline,
    UninstallStatusline,
    AutostartOn,
    AutostartOff,
    TestNotification,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    pub id: ActionId,
    pub label: &'static str,
}

/// One finding: what, what was found, how it stands, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// Stable, for tests and the page (`login`, `transcripts`, `statusline`, ...).
    pub id: &'static str,
    pub label: &'static str,
    pub value: String,
    /// More lines under the value (a transcript root each).
    pub details: Vec<String>,
    pub mark: Mark,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetupView {
    pub rows: Vec<Row>,
}

fn row(id: &'static str, label: &'static str, value: String, mark: Mark) -> Row {
    Row {
        id,
        label,
        value,
        details: Vec::new(),
        mark,
        actions: Vec::new(),
    }
}

fn action(id: ActionId) -> Action {
    let label = match id {
        ActionId::InstallStatusline => "Install status line",
        ActionId::ChainStatusline => "Install status line (keep yours after it)",
        ActionId::UninstallStatusline => "Uninstall status line",
        ActionId::AutostartOn => "Start at login",
        ActionId::AutostartOff => "Don't start at login",
        ActionId::TestNotification => "Send a test notification",
    };
    Action { id, label }
}

/// `1.4 MB`, `812 KB`, `0 B`: decimal units, as file managers show sizes.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn login_row(login: &LoginFact, now: DateTime<Utc>) -> Row {
    let (value, mark) = match login {
        LoginFact::LoggedIn { plan, expires_at } => {
            let plan = plan
                .as_deref()
                .map_or_else(|| "a subscription".to_string(), |p| format!("the {p} plan"));
            let expired = expires_at.is_some_and(|at| at <= now);
            if expired {
                (
                    format!("Logged in with {plan}; the login has expired: run `claude`, which renews it"),
                    Mark::Warn,
                )
            } else {
                (format!("Logged in with {plan}"), Mark::Ok)
            }
        }
        LoginFact::Expired { .. } => (
            "The login has expired: run `claude`, which renews it (or /login)".to_string(),
            Mark::Warn,
        ),
        LoginFact::Missing { path } => (
            format!("Not logged in (no {path}): run `claude` and /login; the status line still shows your limits"),
            Mark::Warn,
        ),
        LoginFact::Keychain => (
            "In the macOS Keychain, read only with CCPULSE_KEYCHAIN=1; the status line shows your limits without it".to_string(),
            Mark::Warn,
        ),
        LoginFact::Unusable { why } => (format!("Cannot use the login: {why}"), Mark::Warn),
    };
    row("login", "Claude Code login", value, mark)
}

fn transcripts_row(roots: &[RootFact]) -> Row {
    let present: Vec<&RootFact> = roots.iter().filter(|r| r.exists).collect();
    let (files, bytes) = present
        .iter()
        .fold((0, 0), |(f, b), r| (f + r.files, b + r.bytes));
    let (value, mark) = if files == 0 {
        (
            "No transcripts yet: they appear once Claude Code has been used here".to_string(),
            Mark::Warn,
        )
    } else {
        (
            format!(
                "{}, {}",
                plural(files, "transcript", "transcripts"),
                size(bytes)
            ),
            Mark::Ok,
        )
    };
    let mut r = row("transcripts", "Transcripts", value, mark);
    r.details = roots
        .iter()
        .map(|root| {
            if root.exists {
                format!(
                    "{}: {}, {}",
                    root.path,
                    plural(root.files, "file", "files"),
                    size(root.bytes)
                )
            } else {
                format!("{}: not there", root.path)
            }
        })
        .collect();
    r
}

fn statusline_row(fact: &StatusLineFact, settings: &str) -> Row {
    let (value, mark, actions) = match fact {
        StatusLineFact::NotSet => (
            "Not installed: Claude Code's status line is ccpulse's best source for your limits"
                .to_string(),
            Mark::Warn,
            vec![action(ActionId::InstallStatusline)],
        ),
        StatusLineFact::Ours {
            chained,
            by_ccpulse,
        } => (
            format!(
                "Installed{}{}",
                if *by_ccpulse {
                    " by ccpulse"
                } else {
                    " (set by hand)"
                },
                chained.as_ref().map_or(String::new(), |theirs| format!(
                    ", showing your own after it: {theirs}"
                ))
            ),
            Mark::Ok,
            // Only what ccpulse installed can be taken out again exactly.
            if *by_ccpulse {
                vec![action(ActionId::UninstallStatusline)]
            } else {
                Vec::new()
            },
        ),
        StatusLineFact::Other { command } => (
            format!("Another command is Claude Code's status line: {command}"),
            Mark::Warn,
            vec![action(ActionId::ChainStatusline)],
        ),
        StatusLineFact::Unreadable { why } => (
            format!("Cannot read Claude Code's settings: {why}"),
            Mark::Warn,
            Vec::new(),
        ),
    };
    let mut r = row("statusline", "Status line", value, mark);
    r.details = vec![settings.to_string()];
    r.actions = actions;
    r
}

fn desktop_rows(desktop: Option<&DesktopFacts>) -> Vec<Row> {
    let Some(d) = desktop else {
        return ["notifications", "tray_host", "autostart"]
            .into_iter()
            .zip(["Notifications", "Tray", "Start at login"])
            .map(|(id, label)| row(id, label, "Asking the tray…".to_string(), Mark::Pending))
            .collect();
    };
    let mut notifications = match &d.notifications {
        Ok(server) => row(
            "notifications",
            "Notifications",
            format!("Shown by {server}"),
            Mark::Ok,
        ),
        Err(why) => row(
            "notifications",
            "Notifications",
            format!("No notification service: {why}. ccpulse keeps working; notices are only in the panel and the tray"),
            Mark::Warn,
        ),
    };
    if d.notifications.is_ok() {
        notifications.actions = vec![action(ActionId::TestNotification)];
    }
    let tray = if d.tray_host {
        row(
            "tray_host",
            "Tray",
            "The tray icon is shown".to_string(),
            Mark::Ok,
        )
    } else {
        row(
            "tray_host",
            "Tray",
            "No tray host (StatusNotifierItem) on this desktop: on GNOME add the AppIndicator extension; meanwhile run ccpulse-tray again to open this panel".to_string(),
            Mark::Warn,
        )
    };
    let autostart = match d.autostart {
        Ok(true) => Row {
            actions: vec![action(ActionId::AutostartOff)],
            ..row(
                "autostart",
                "Start at login",
                "On: ccpulse starts when you log in".to_string(),
                Mark::Ok,
            )
        },
        Ok(false) => Row {
            actions: vec![action(ActionId::AutostartOn)],
            ..row("autostart", "Start at login", "Off".to_string(), Mark::Warn)
        },
        Err(ref why) => row(
            "autostart",
            "Start at login",
            format!("Cannot tell: {why}"),
            Mark::Warn,
        ),
    };
    vec![notifications, tray, autostart]
}

/// "Send a test notification": shown at once, outside the policy and the ledger (it is no
/// event, and the user asked for it).
pub fn test_alert(now: DateTime<Utc>) -> Alert {
    Alert {
        key: format!("test/{}", now.timestamp_millis()),
        title: "ccpulse can notify you".into(),
        body: "This is how incidents, 529 waves and your plan limits will be announced.".into(),
        url: None,
        urgency: Urgency::Normal,
        kind: Kind::Incident,
        subject: "test".into(),
        ends: false,
    }
}

/// The set-up page: one row per finding, in the order a new user checks them.
pub fn setup_view(facts: &SetupFacts, now: DateTime<Utc>) -> SetupView {
    let mut rows = vec![
        login_row(&facts.login, now),
        transcripts_row(&facts.roots),
        statusline_row(&facts.statusline, &facts.settings_path),
    ];
    rows.extend(desktop_rows(facts.desktop.as_ref()));
    SetupView { rows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::utc;

    fn facts() -> SetupFacts {
        SetupFacts {
            login: LoginFact::LoggedIn {
                plan: Some("max".into()),
                expires_at: Some(utc("2026-12-03T00:00:00Z")),
            },
            roots: vec![
                RootFact {
                    path: "/home/u/.config/claude".into(),
                    exists: false,
                    files: 0,
                    bytes: 0,
                },
                RootFact {
                    path: "/home/u/.claude".into(),
                    exists: true,
                    files: 2,
                    bytes: 1_450_000,
                },
            ],
            settings_path: "/home/u/.claude/settings.json".into(),
            statusline: StatusLineFact::Other {
                command: "~/bin/line.sh".into(),
            },
            desktop: None,
        }
    }

    fn find<'a>(view: &'a SetupView, id: &str) -> &'a Row {
        view.rows.iter().find(|r| r.id == id).expect("row")
    }

    #[test]
    fn sizes_read_as_a_file_manager_shows_them() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(999), "999 B");
        assert_eq!(size(1_450_000), "1.4 MB");
        assert_eq!(size(812_000), "812 KB");
        assert_eq!(size(3_200_000_000), "3.2 GB");
    }

    #[test]
    fn what_was_found_is_said_with_the_action_that_puts_it_right() {
        let now = utc("2026-12-02T10:00:00Z");
        let view = setup_view(&facts(), now);
        let login = find(&view, "login");
        assert_eq!(login.value, "Logged in with the max plan");
        assert_eq!(login.mark, Mark::Ok);
        let transcripts = find(&view, "transcripts");
        assert_eq!(transcripts.value, "2 transcripts, 1.4 MB");
        assert_eq!(
            transcripts.details,
            [
                "/home/u/.config/claude: not there",
                "/home/u/.claude: 2 files, 1.4 MB"
            ]
        );
        let line = find(&view, "statusline");
        assert!(line.value.ends_with("~/bin/line.sh"), "{}", line.value);
        assert_eq!(line.actions[0].id, ActionId::ChainStatusline);
        // The tray has not said yet.
        assert_eq!(find(&view, "autostart").mark, Mark::Pending);

        let mut f = facts();
        f.login = LoginFact::LoggedIn {
            plan: None,
            expires_at: Some(utc("2026-12-02T09:00:00Z")),
        };
        f.statusline = StatusLineFact::NotSet;
        f.desktop = Some(DesktopFacts {
            tray_host: false,
            notifications: Err("nothing owns org.freedesktop.Notifications".into()),
            autostart: Ok(false),
        });
        let view = setup_view(&f, now);
        assert_eq!(find(&view, "login").mark, Mark::Warn);
        assert!(find(&view, "login").value.contains("expired"));
        assert_eq!(
            find(&view, "statusline").actions[0].id,
            ActionId::InstallStatusline
        );
        assert!(find(&view, "notifications").actions.is_empty());
        assert_eq!(find(&view, "tray_host").mark, Mark::Warn);
        assert_eq!(
            find(&view, "autostart").actions[0].id,
            ActionId::AutostartOn
        );
    }

    #[test]
    fn a_status_line_ccpulse_installed_can_be_taken_out_and_one_set_by_hand_is_left_alone() {
        let now = utc("2026-12-02T10:00:00Z");
        let mut f = facts();
        f.statusline = StatusLineFact::Ours {
            chained: Some("~/bin/line.sh".into()),
            by_ccpulse: true,
        };
        let view = setup_view(&f, now);
        let line = find(&view, "statusline");
        assert_eq!(line.mark, Mark::Ok);
        assert!(line.value.contains("by ccpulse"));
        assert_eq!(line.actions[0].id, ActionId::UninstallStatusline);
        f.statusline = StatusLineFact::Ours {
            chained: None,
            by_ccpulse: false,
        };
        assert!(find(&setup_view(&f, now), "statusline").actions.is_empty());
    }
}
