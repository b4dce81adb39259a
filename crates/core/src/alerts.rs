//! From status events to notifications, each at most once.
//!
//! The [`AlertLedger`] is the one ledger of everything ccpulse notifies: the keys every planner
//! (this one, `overload`, `limit_alerts`) has announced (see [`StatusEvent::key`]) and the state
//! of the policy they all go through (`policy`). The shell persists it atomically so a restart
//! never repeats a notification.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::policy::Kind;
use crate::relevance::Relevance;
use crate::status::{Impact, Incident, ServiceStatus};
use crate::status_diff::{component_prefix, diff, standing, StatusEvent};

/// Ledger entries older than this are forgotten; Statuspage incidents do not live that long.
pub const LEDGER_RETENTION_DAYS: i64 = 90;
const BODY_LIMIT: usize = 280;

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
        self.waiting
            .retain(|w| w.since >= now - crate::policy::WAITING_RETENTION);
        before != (self.seen.len(), self.shown.len(), self.waiting.len())
    }
}

/// One reading of the page, in context.
pub struct Reading<'a> {
    /// The previous reading (from this run, or the cache of the last run), if any.
    pub prev: Option<&'a ServiceStatus>,
    pub next: &'a ServiceStatus,
    /// `incidents.json`, when fetched because an incident left the summary.
    pub history: &'a [Incident],
    /// First reading since the app started: what is already open is summed up in one alert.
    pub startup: bool,
}

/// Decide what to announce for `reading`, recording it in `ledger`. Returns the alerts in the
/// order to show them; the ledger changed iff the result is non-empty or keys were recorded.
/// What is already open at start-up comes out together, and the policy shows it as one.
pub fn plan(
    reading: &Reading<'_>,
    relevance: &Relevance,
    ledger: &mut AlertLedger,
    now: DateTime<Utc>,
) -> Vec<Alert> {
    let mut events = reading
        .prev
        .map(|p| diff(p, reading.next, reading.history))
        .unwrap_or_default();
    if reading.startup {
        events.extend(standing(reading.next));
    }

    let mut keys = BTreeSet::new();
    let fresh: Vec<(String, StatusEvent)> = events
        .into_iter()
        .filter(|e| is_relevant(e, reading, relevance))
        .map(|e| (e.key(), e))
        .filter(|(k, _)| !ledger.contains(k) && keys.insert(k.clone()))
        .collect();
    for (key, event) in &fresh {
        if let StatusEvent::ComponentChanged { component, .. } = event {
            let prefix = component_prefix(&component.id);
            ledger.seen.retain(|k, _| !k.starts_with(&prefix));
        }
        ledger.seen.insert(key.clone(), now);
    }

    // An incident notice already says the page changed; component flips beside it are noise.
    let has_incident = fresh.iter().any(|(_, e)| !e.is_component_change());
    fresh
        .into_iter()
        .filter(|(_, e)| !(has_incident && e.is_component_change()))
        .map(|(key, e)| alert_for(key, &e))
        .collect()
}

fn is_relevant(event: &StatusEvent, reading: &Reading<'_>, relevance: &Relevance) -> bool {
    let page = reading.next;
    match event {
        StatusEvent::IncidentOpened { incident }
        | StatusEvent::IncidentUpdated { incident }
        | StatusEvent::MaintenanceStarted {
            maintenance: incident,
        }
        | StatusEvent::MaintenanceEnded {
            maintenance: incident,
        } => relevance.incident(incident, page),
        StatusEvent::IncidentResolved { incident, .. } => {
            relevance.incident(incident, page)
                || reading
                    .prev
                    .and_then(|p| p.incidents.iter().find(|i| i.id == incident.id))
                    .is_some_and(|i| relevance.incident(i, reading.prev.unwrap_or(page)))
        }
        StatusEvent::ComponentChanged { component, .. } => relevance.component(component),
    }
}

fn alert_for(key: String, event: &StatusEvent) -> Alert {
    let (kind, subject, ends) = match event {
        StatusEvent::IncidentOpened { incident } | StatusEvent::IncidentUpdated { incident } => {
            (Kind::Incident, format!("incident/{}", incident.id), false)
        }
        StatusEvent::IncidentResolved { incident, .. } => {
            (Kind::Incident, format!("incident/{}", incident.id), true)
        }
        StatusEvent::ComponentChanged { component, .. } => (
            Kind::Component,
            format!("component/{}", component.id),
            component.status == crate::status::ComponentStatus::Operational,
        ),
        StatusEvent::MaintenanceStarted { maintenance } => (
            Kind::Maintenance,
            format!("maintenance/{}", maintenance.id),
            false,
        ),
        StatusEvent::MaintenanceEnded { maintenance } => (
            Kind::Maintenance,
            format!("maintenance/{}", maintenance.id),
            true,
        ),
    };
    let (title, body, url, urgency) = match event {
        StatusEvent::IncidentOpened { incident } => (
            format!("Claude incident: {}", incident.name),
            format!("{}\n{}", latest_text(incident), crate::advice::INCIDENT_FIX),
            Some(incident.url.clone()),
            urgency_of(incident.impact),
        ),
        StatusEvent::IncidentUpdated { incident } => (
            format!("Update: {}", incident.name),
            latest_text(incident),
            Some(incident.url.clone()),
            urgency_of(incident.impact),
        ),
        StatusEvent::IncidentResolved {
            incident,
            confirmed,
        } => (
            format!("Resolved: {}", incident.name),
            if *confirmed {
                latest_text(incident)
            } else {
                "No longer listed as open on the status page.".to_string()
            },
            Some(incident.url.clone()),
            Urgency::Low,
        ),
        StatusEvent::ComponentChanged { component, from } => (
            format!("{}: {}", component.name, component.status.label()),
            format!("Was: {}.", from.label()),
            None,
            if component.status == crate::status::ComponentStatus::Operational {
                Urgency::Low
            } else {
                Urgency::Normal
            },
        ),
        StatusEvent::MaintenanceStarted { maintenance } => (
            format!("Maintenance started: {}", maintenance.name),
            latest_text(maintenance),
            Some(maintenance.url.clone()),
            Urgency::Normal,
        ),
        StatusEvent::MaintenanceEnded { maintenance } => (
            format!("Maintenance finished: {}", maintenance.name),
            latest_text(maintenance),
            Some(maintenance.url.clone()),
            Urgency::Low,
        ),
    };
    Alert {
        key,
        title,
        body,
        url: url.filter(|u| !u.is_empty()),
        urgency,
        kind,
        subject,
        ends,
    }
}

fn urgency_of(impact: Impact) -> Urgency {
    match impact {
        Impact::Major | Impact::Critical => Urgency::Critical,
        _ => Urgency::Normal,
    }
}

/// "<Status>: <latest update text>", cut to a notification-sized length.
fn latest_text(incident: &Incident) -> String {
    match incident.latest_update() {
        Some(u) if !u.body.trim().is_empty() => {
            format!("{}: {}", u.status.label(), clip(u.body.trim(), BODY_LIMIT))
        }
        Some(u) => u.status.label().to_string(),
        None => incident.status.label().to_string(),
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
