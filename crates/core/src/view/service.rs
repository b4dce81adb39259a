//! The service as every shell shows it (`ccpulse status --json` → `service`, the panel's header,
//! incidents and components, the tray's first lines): the page's reading of the parts the user
//! watches, with its level, words and freshness.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde::Serialize;

use crate::clock::describe_age;
use crate::relevance::Relevance;
use crate::service::{level_of, summary_of, Level, ServiceSnapshot};
use crate::status::{ComponentStatus, Incident, IncidentStatus};

#[derive(Debug, Clone, Serialize)]
pub struct ServiceReport {
    /// `none|minor|major|critical|maintenance|unknown` as the page says it.
    pub indicator: &'static str,
    pub description: String,
    /// ccpulse's reading for the relevant parts: `operational|maintenance|degraded|outage|unknown`.
    pub level: Level,
    /// One line, as in the tray.
    pub summary: String,
    /// The summary and how fresh it is: "… · checked 2 min ago", "Offline; last known …".
    pub status_line: String,
    pub page_url: Option<String>,
    pub components: Vec<ComponentReport>,
    pub incidents: Vec<IncidentReport>,
    pub maintenances: Vec<IncidentReport>,
    pub fetched_at: Option<String>,
    pub age_secs: Option<i64>,
    /// "checked 2 min ago", "OFFLINE: showing what was known 12 min ago", "no reading yet".
    pub freshness: String,
    pub stale: bool,
    pub error: Option<String>,
    /// The last attempt reached nothing: probably no connection.
    pub offline: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComponentReport {
    pub id: String,
    pub name: String,
    pub status: &'static str,
    /// "Degraded performance".
    pub label: &'static str,
    pub level: Level,
    pub relevant: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentReport {
    pub id: String,
    pub name: String,
    pub status: &'static str,
    /// "In progress".
    pub status_label: &'static str,
    pub impact: &'static str,
    pub url: String,
    pub updated_at: Option<String>,
    pub scheduled_for: Option<String>,
    pub scheduled_until: Option<String>,
    pub relevant: bool,
    pub latest_update: Option<UpdateReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpdateReport {
    pub body: String,
    pub status: &'static str,
    pub created_at: Option<String>,
}

fn stamp(t: Option<DateTime<FixedOffset>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, false))
}

fn incident_report(
    i: &Incident,
    relevance: &Relevance,
    page: &crate::status::ServiceStatus,
) -> IncidentReport {
    IncidentReport {
        id: i.id.clone(),
        name: i.name.clone(),
        status: i.status.as_str(),
        status_label: i.status.label(),
        impact: i.impact.as_str(),
        url: i.url.clone(),
        updated_at: stamp(i.updated_at),
        scheduled_for: stamp(i.scheduled_for),
        scheduled_until: stamp(i.scheduled_until),
        relevant: relevance.incident(i, page),
        latest_update: i.latest_update().map(|u| UpdateReport {
            body: u.body.clone(),
            status: u.status.as_str(),
            created_at: stamp(u.created_at),
        }),
    }
}

pub fn service_report(
    snapshot: &ServiceSnapshot,
    relevance: &Relevance,
    now: DateTime<Utc>,
) -> ServiceReport {
    let view = headline(snapshot, relevance, now);
    let page = snapshot.status.as_ref();
    ServiceReport {
        indicator: page.map_or("unknown", |p| p.indicator.as_str()),
        description: page.map_or_else(String::new, |p| p.description.clone()),
        level: view.level,
        summary: view.summary,
        status_line: view.status_line,
        page_url: page.map(|p| p.page_url.clone()).filter(|u| !u.is_empty()),
        components: page
            .map(|p| {
                p.components
                    .iter()
                    .filter(|c| !c.is_group)
                    .map(|c| ComponentReport {
                        id: c.id.clone(),
                        name: c.name.clone(),
                        status: c.status.as_str(),
                        label: c.status.label(),
                        level: component_level(c.status),
                        relevant: relevance.component(c),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        incidents: page
            .map(|p| {
                p.incidents
                    .iter()
                    .filter(|i| !i.status.is_closed())
                    .map(|i| incident_report(i, relevance, p))
                    .collect()
            })
            .unwrap_or_default(),
        maintenances: page
            .map(|p| {
                p.maintenances
                    .iter()
                    .filter(|m| !matches!(m.status, IncidentStatus::Completed))
                    .map(|m| incident_report(m, relevance, p))
                    .collect()
            })
            .unwrap_or_default(),
        fetched_at: snapshot
            .fetched_at
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        age_secs: snapshot.age_secs(now),
        freshness: match (snapshot.age_secs(now), snapshot.stale()) {
            (Some(age), false) => format!("checked {}", describe_age(age)),
            (Some(age), true) => format!("OFFLINE: showing what was known {}", describe_age(age)),
            (None, _) => "no reading yet".to_string(),
        },
        stale: snapshot.stale(),
        error: snapshot.error.clone(),
        offline: snapshot.offline,
    }
}

struct Headline {
    level: Level,
    /// One line for the tooltip / indicator title.
    summary: String,
    /// The first (disabled) menu entry: the summary and how fresh it is.
    status_line: String,
}

fn headline(snapshot: &ServiceSnapshot, relevance: &Relevance, now: DateTime<Utc>) -> Headline {
    let age = snapshot.age_secs(now).map(describe_age);
    match (&snapshot.status, &snapshot.error) {
        (None, None) => Headline {
            level: Level::Unknown,
            summary: "Claude: checking status…".to_string(),
            status_line: "Checking status…".to_string(),
        },
        (None, Some(_)) => Headline {
            level: Level::Unknown,
            summary: "Claude: status unknown (status page unreachable)".to_string(),
            status_line: "Status page unreachable; retrying".to_string(),
        },
        (Some(status), error) => {
            let summary = summary_of(status, relevance);
            let age = age.unwrap_or_default();
            if error.is_some() {
                Headline {
                    level: Level::Unknown,
                    status_line: format!("Offline; last known {age}: {summary}"),
                    summary: format!("{summary} (offline, as of {age})"),
                }
            } else {
                Headline {
                    level: level_of(status, relevance),
                    status_line: format!("{summary} · checked {age}"),
                    summary,
                }
            }
        }
    }
}

/// A component's state as a level (its colour).
fn component_level(status: ComponentStatus) -> Level {
    match status {
        ComponentStatus::Operational => Level::Operational,
        ComponentStatus::DegradedPerformance | ComponentStatus::PartialOutage => Level::Degraded,
        ComponentStatus::MajorOutage => Level::Outage,
        ComponentStatus::UnderMaintenance => Level::Maintenance,
        ComponentStatus::Unknown => Level::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::sample_status;

    #[test]
    fn report_follows_the_json_contract() {
        let now = DateTime::parse_from_rfc3339("2026-03-02T18:20:00Z")
            .unwrap()
            .to_utc();
        let snap = ServiceSnapshot {
            status: Some(sample_status()),
            fetched_at: Some(now - chrono::Duration::seconds(30)),
            error: None,
            offline: false,
        };
        let s = serde_json::to_value(service_report(&snap, &Relevance::default(), now)).unwrap();
        assert_eq!(s["indicator"], "minor");
        assert_eq!(s["level"], "degraded");
        assert_eq!(s["stale"], false);
        assert_eq!(s["error"], serde_json::Value::Null);
        assert_eq!(s["fetched_at"], "2026-03-02T18:19:30Z");
        assert_eq!(s["age_secs"], 30);
        assert_eq!(s["freshness"], "checked just now");
        assert_eq!(
            s["components"][0],
            serde_json::json!({"id": "yyzkbfz2thpt", "name": "Claude Code",
                "status": "degraded_performance", "label": "Degraded performance",
                "level": "degraded", "relevant": true})
        );
        let inc = &s["incidents"][0];
        assert_eq!(inc["id"], "inc1");
        assert_eq!(inc["status"], "identified");
        assert_eq!(inc["status_label"], "Identified");
        assert_eq!(inc["impact"], "minor");
        assert_eq!(inc["updated_at"], "2026-03-02T10:15:00-08:00");
        assert_eq!(
            inc["latest_update"],
            serde_json::json!({"body": "A fix is rolling out.", "status": "identified",
                "created_at": "2026-03-02T10:15:00-08:00"})
        );
        assert_eq!(
            s["summary"],
            "Claude: Elevated errors on Claude Opus (identified)"
        );
        assert_eq!(
            s["status_line"],
            "Claude: Elevated errors on Claude Opus (identified) · checked just now"
        );
    }

    #[test]
    fn no_reading_yet_is_unknown_and_stale() {
        let now = DateTime::parse_from_rfc3339("2026-03-02T18:20:00Z")
            .unwrap()
            .to_utc();
        let snap = ServiceSnapshot {
            status: None,
            fetched_at: None,
            error: Some("GET http://127.0.0.1:9/api/v2/summary.json: connection refused".into()),
            offline: true,
        };
        let r = service_report(&snap, &Relevance::default(), now);
        assert_eq!(r.indicator, "unknown");
        assert_eq!(r.level, Level::Unknown);
        assert!(r.stale);
        assert!(r.error.unwrap().contains("127.0.0.1:9"));
        assert!(r.components.is_empty());
    }
}
