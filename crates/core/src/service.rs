//! The service source's state over time: the last good reading, when it was taken, and what went
//! wrong since. A failure never erases the last good reading; it makes it stale. And ccpulse's
//! reading of it: the [`Level`] of the parts the user watches, and one line of words.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::relevance::Relevance;
use crate::status::{ComponentStatus, Impact, ServiceStatus};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSnapshot {
    /// The last good reading.
    pub status: Option<ServiceStatus>,
    /// When the last good reading was confirmed (a 200, or a 304 for it).
    pub fetched_at: Option<DateTime<Utc>>,
    /// The last attempt's error, naming the URL; `None` after a success.
    pub error: Option<String>,
    /// The last attempt reached nothing (no name resolution, no connection): this machine is
    /// probably offline, rather than the page failing.
    #[serde(default)]
    pub offline: bool,
}

impl ServiceSnapshot {
    /// A reading arrived (or a 304 confirmed the one we have).
    pub fn confirmed(&mut self, status: Option<ServiceStatus>, now: DateTime<Utc>) {
        if let Some(status) = status {
            self.status = Some(status);
        }
        self.fetched_at = Some(now);
        self.error = None;
        self.offline = false;
    }

    pub fn failed(&mut self, error: String, offline: bool) {
        self.error = Some(error);
        self.offline = offline;
    }

    /// The data does not reflect the latest attempt (or there is none).
    pub fn stale(&self) -> bool {
        self.status.is_none() || self.error.is_some()
    }

    pub fn age_secs(&self, now: DateTime<Utc>) -> Option<i64> {
        self.fetched_at.map(|t| (now - t).num_seconds().max(0))
    }
}

/// Icon states, ordered from best to worst (`Unknown` sits apart: we cannot tell).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Operational,
    Maintenance,
    Degraded,
    Outage,
    Unknown,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operational => "operational",
            Self::Maintenance => "maintenance",
            Self::Degraded => "degraded",
            Self::Outage => "outage",
            Self::Unknown => "unknown",
        }
    }
}

/// Worst relevant state of a reading.
pub fn level_of(status: &ServiceStatus, relevance: &Relevance) -> Level {
    let components = status
        .components
        .iter()
        .filter(|c| relevance.component(c))
        .map(|c| match c.status {
            ComponentStatus::Operational | ComponentStatus::Unknown => Level::Operational,
            ComponentStatus::UnderMaintenance => Level::Maintenance,
            ComponentStatus::DegradedPerformance | ComponentStatus::PartialOutage => {
                Level::Degraded
            }
            ComponentStatus::MajorOutage => Level::Outage,
        });
    let incidents = status
        .incidents
        .iter()
        .filter(|i| !i.status.is_closed() && relevance.incident(i, status))
        .map(|i| match i.impact {
            Impact::Major | Impact::Critical => Level::Outage,
            Impact::Maintenance => Level::Maintenance,
            _ => Level::Degraded,
        });
    let maintenances = status
        .maintenances
        .iter()
        .filter(|m| m.status.is_under_way() && relevance.incident(m, status))
        .map(|_| Level::Maintenance);
    components
        .chain(incidents)
        .chain(maintenances)
        .max()
        .unwrap_or(Level::Operational)
}

/// The one-line summary of a reading, e.g. "Claude: Elevated errors on Opus (investigating)".
pub fn summary_of(status: &ServiceStatus, relevance: &Relevance) -> String {
    let open: Vec<_> = status
        .incidents
        .iter()
        .filter(|i| !i.status.is_closed() && relevance.incident(i, status))
        .collect();
    if let Some(worst) = open.iter().max_by_key(|i| i.impact) {
        let more = match open.len() {
            1 => String::new(),
            n => format!(" +{} more", n - 1),
        };
        return format!(
            "Claude: {} ({}){more}",
            worst.name,
            worst.status.label().to_lowercase()
        );
    }
    let affected: Vec<String> = status
        .components
        .iter()
        .filter(|c| relevance.component(c))
        .filter(|c| {
            !matches!(
                c.status,
                ComponentStatus::Operational | ComponentStatus::Unknown
            )
        })
        .map(|c| format!("{}: {}", c.name, c.status.label().to_lowercase()))
        .collect();
    if !affected.is_empty() {
        return affected.join(", ");
    }
    if let Some(m) = status
        .maintenances
        .iter()
        .find(|m| m.status.is_under_way() && relevance.incident(m, status))
    {
        return format!("Maintenance: {}", m.name);
    }
    if status.incidents.iter().any(|i| !i.status.is_closed()) {
        "Claude: operational (other services affected)".to_string()
    } else {
        "Claude: operational".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_keeps_the_last_good_reading() {
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let mut s = ServiceSnapshot::default();
        assert!(s.stale());
        s.confirmed(Some(crate::test_support::sample_status()), t0);
        assert!(!s.stale());
        s.failed("GET http://x/api/v2/summary.json: timed out".into(), false);
        assert!(s.stale());
        assert!(s.status.is_some());
        assert_eq!(s.fetched_at, Some(t0));
        assert_eq!(s.age_secs(t0 + chrono::Duration::seconds(90)), Some(90));
        s.confirmed(None, t0 + chrono::Duration::seconds(120));
        assert!(!s.stale());
        assert!(s.status.is_some(), "a 304 keeps the reading");
    }
}
