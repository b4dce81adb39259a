//! From status page readings to notifications, each at most once (keyed by
//! [`StatusEvent::key`]).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::alert::{clip, Alert, AlertLedger, Kind, Urgency};
use crate::kb::INCIDENT_FIX;
use crate::relevance::Relevance;
use crate::status::{ComponentStatus, Impact, Incident, ServiceStatus};
use crate::status_diff::{component_prefix, diff, standing, StatusEvent};

const BODY_LIMIT: usize = 280;

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
            component.status == ComponentStatus::Operational,
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
            format!("{}\n{}", latest_text(incident), INCIDENT_FIX),
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
            if component.status == ComponentStatus::Operational {
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
