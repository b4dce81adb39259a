//! A notification and the one ledger of everything ccpulse notifies.
//!
//! An [`Alert`] is one notice, of a [`Kind`]; the planners (`plan::status`, `plan::limits`,
//! `plan::overload`) make them, each at most once per key. The [`AlertLedger`] holds the keys
//! every planner has announced and the state of the policy they all go through (`policy`). The
//! shell persists it atomically so a restart never repeats a notification.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Ledger entries older than this are forgotten; Statuspage incidents do not live that long.
pub const LEDGER_RETENTION_DAYS: i64 = 90;
/// A notice held back longer than this is old news, dropped.
pub const WAITING_RETENTION: Duration = Duration::hours(24);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Low,
    Normal,
    Critical,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub key: String,
    pub title: String,
    pub body: String,
    pub url: Option<String>,
    pub urgency: Urgency,
    pub kind: Kind,
    /// The condition it speaks of (`incident/<id>`, `component/<id>`, `wave`,
    /// `limit:session`, ...): the policy counts repeats and pairs ends with beginnings by it.
    pub subject: String,
    /// It says the condition ended (resolved, back to operational, reset, wave over).
    pub ends: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertLedger {
    pub version: u32,
    /// key -> when it was announced.
    pub seen: BTreeMap<String, DateTime<Utc>>,
    /// The policy's state (see `policy`); absent from version 1 files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_until: Option<DateTime<Utc>>,
    #[serde(default)]
    pub shown: BTreeMap<String, Shown>,
    #[serde(default)]
    pub kinds_shown: BTreeMap<Kind, DateTime<Utc>>,
    #[serde(default)]
    pub waiting: Vec<Waiting>,
}

/// What was last shown of one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shown {
    pub at: DateTime<Utc>,
    /// When its condition was last announced as begun.
    pub opened_at: Option<DateTime<Utc>>,
    /// Whether the last notice left it open (begun, not ended).
    pub open: bool,
}

/// A notice the policy holds back (paused, quiet hours, a burst, a repeat too soon).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    pub alert: Alert,
    pub since: DateTime<Utc>,
}

impl AlertLedger {
    /// 2: one ledger for every source, with the policy's state.
    pub const VERSION: u32 = 2;

    pub fn new() -> Self {
        Self {
            version: Self::VERSION,
            ..Self::default()
        }
    }

    pub fn contains(&self, key: &str) -> bool {
        self.seen.contains_key(key)
    }

    /// Drop what is too old to matter. Returns whether anything changed.
    pub fn prune(&mut self, now: DateTime<Utc>) -> bool {
        let before = (self.seen.len(), self.shown.len(), self.waiting.len());
        let cutoff = now - Duration::days(LEDGER_RETENTION_DAYS);
        self.seen.retain(|_, at| *at >= cutoff);
        self.shown.retain(|_, s| s.at >= cutoff);
        self.waiting.retain(|w| w.since >= now - WAITING_RETENTION);
        before != (self.seen.len(), self.shown.len(), self.waiting.len())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Incident,
    Component,
    Maintenance,
    Overload,
    Limit,
    /// A window that fills before its reset at the current pace.
    Forecast,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Incident,
        Kind::Component,
        Kind::Maintenance,
        Kind::Overload,
        Kind::Limit,
        Kind::Forecast,
    ];

    /// Its switch in the config file: `notifications.<name> = false`.
    pub fn config_name(self) -> &'static str {
        match self {
            Kind::Incident => "incidents",
            Kind::Component => "components",
            Kind::Maintenance => "maintenance",
            Kind::Overload => "overload",
            Kind::Limit => "limits",
            Kind::Forecast => "forecast",
        }
    }

    pub(crate) fn group_title(self, n: usize) -> String {
        match self {
            Kind::Incident => format!("Claude status: {n} notices"),
            Kind::Component => format!("Claude components: {n} changes"),
            Kind::Maintenance => format!("Claude maintenance: {n} notices"),
            Kind::Overload => format!("Claude overload: {n} notices"),
            Kind::Limit => format!("Plan limits: {n} notices"),
            Kind::Forecast => format!("Limit forecasts: {n} notices"),
        }
    }
}

/// At most `limit` characters, ending in an ellipsis when cut.
pub fn clip(text: &str, limit: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(limit) {
        None => flat,
        Some((cut, _)) => format!("{}…", flat[..cut].trim_end()),
    }
}
