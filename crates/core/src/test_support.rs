//! What the core's unit tests share: a status page reading as the real page writes one.

use chrono::{DateTime, Utc};

use crate::limits::{Observed, Reading, Source};
use crate::status::*;

/// A time written in RFC 3339.
pub(crate) fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// What `source` said of the session at `as_of`: `used` percent, resetting at `resets`.
pub(crate) fn observed(source: Source, as_of: &str, used: f64, resets: &str) -> Observed {
    Observed {
        session: Some(Reading {
            used_percent: used,
            resets_at: Some(utc(resets)),
        }),
        ..Observed::empty(source, utc(as_of))
    }
}

pub(crate) fn sample_status() -> ServiceStatus {
    let t = DateTime::parse_from_rfc3339("2026-03-02T10:15:00-08:00").unwrap();
    ServiceStatus {
        page_url: "https://status.claude.com".into(),
        indicator: Indicator::Minor,
        description: "Minor Service Outage".into(),
        components: vec![
            Component {
                id: "yyzkbfz2thpt".into(),
                name: "Claude Code".into(),
                status: ComponentStatus::DegradedPerformance,
                is_group: false,
                updated_at: Some(t),
            },
            Component {
                id: "rwppv331jlwc".into(),
                name: "claude.ai".into(),
                status: ComponentStatus::Operational,
                is_group: false,
                updated_at: Some(t),
            },
        ],
        incidents: vec![Incident {
            id: "inc1".into(),
            name: "Elevated errors on Claude Opus".into(),
            status: IncidentStatus::Identified,
            impact: Impact::Minor,
            url: "https://status.claude.com/incidents/inc1".into(),
            created_at: Some(t),
            updated_at: Some(t),
            scheduled_for: None,
            scheduled_until: None,
            updates: vec![IncidentUpdate {
                id: "u2".into(),
                status: IncidentStatus::Identified,
                body: "A fix is rolling out.".into(),
                created_at: Some(t),
            }],
            component_ids: vec!["yyzkbfz2thpt".into()],
        }],
        maintenances: vec![],
    }
}
