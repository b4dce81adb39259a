//! What the tray shows: one level for the icon and one line of words.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::relevance::Relevance;
use crate::service::{describe_age, ServiceSnapshot};
use crate::status::{ComponentStatus, Impact, ServiceStatus};

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrayView {
    pub level: Level,
    /// One line for the tooltip / indicator title.
    pub summary: String,
    /// The first (disabled) menu entry: the summary and how fresh it is.
    pub status_line: String,
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

pub fn tray_view(
    snapshot: &ServiceSnapshot,
    relevance: &Relevance,
    now: DateTime<Utc>,
) -> TrayView {
    let age = snapshot.age_secs(now).map(describe_age);
    match (&snapshot.status, &snapshot.error) {
        (None, None) => TrayView {
            level: Level::Unknown,
            summary: "Claude: checking status…".to_string(),
            status_line: "Checking status…".to_string(),
        },
        (None, Some(_)) => TrayView {
            level: Level::Unknown,
            summary: "Claude: status unknown (status page unreachable)".to_string(),
            status_line: "Status page unreachable; retrying".to_string(),
        },
        (Some(status), error) => {
            let summary = summary_of(status, relevance);
            let age = age.unwrap_or_default();
            if error.is_some() {
                TrayView {
                    level: Level::Unknown,
                    status_line: format!("Offline; last known {age}: {summary}"),
                    summary: format!("{summary} (offline, as of {age})"),
                }
            } else {
                TrayView {
                    level: level_of(status, relevance),
                    status_line: format!("{summary} · checked {age}"),
                    summary,
                }
            }
        }
    }
}
