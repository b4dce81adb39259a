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

/// What the local transcripts say for the tray: still being read, or today's use.
#[derive(Debug, Clone, PartialEq)]
pub enum LocalUsage {
    /// The first read of a large history: files read so far, of how many.
    Reading {
        done: usize,
        total: usize,
    },
    Today {
        tokens: u64,
        cost: f64,
    },
}

/// 950, 12.3k, 4.5M, 1.2B.
pub fn compact_count(n: u64) -> String {
    let n = n as f64;
    match n {
        n if n < 1e3 => format!("{n}"),
        n if n < 1e6 => format!("{:.1}k", n / 1e3),
        n if n < 1e9 => format!("{:.1}M", n / 1e6),
        n => format!("{:.1}B", n / 1e9),
    }
}

/// The tray's usage line: "Today: 4.5M tokens · $3.41 (local estimate)".
pub fn usage_line(usage: Option<&LocalUsage>) -> String {
    match usage {
        None => "Today: reading transcripts…".into(),
        Some(LocalUsage::Reading { done, total }) => {
            format!("Reading transcripts: {done} of {total} files")
        }
        Some(LocalUsage::Today { tokens, cost }) => format!(
            "Today: {} tokens · ${cost:.2} (local estimate)",
            compact_count(*tokens)
        ),
    }
}

#[cfg(test)]
mod usage_line_tests {
    use super::*;

    #[test]
    fn usage_lines() {
        assert_eq!(compact_count(950), "950");
        assert_eq!(compact_count(12_345), "12.3k");
        assert_eq!(compact_count(4_500_000), "4.5M");
        assert_eq!(compact_count(1_200_000_000), "1.2B");
        let today = LocalUsage::Today {
            tokens: 4_512_000,
            cost: 3.414,
        };
        assert_eq!(
            usage_line(Some(&today)),
            "Today: 4.5M tokens · $3.41 (local estimate)"
        );
        let reading = LocalUsage::Reading {
            done: 120,
            total: 7799,
        };
        assert_eq!(
            usage_line(Some(&reading)),
            "Reading transcripts: 120 of 7799 files"
        );
    }
}
