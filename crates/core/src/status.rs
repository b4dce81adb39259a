//! The service-status model: what a Statuspage page says about Claude, in our own terms.
//!
//! Every enum has an `Unknown` variant: a value the page invents tomorrow must never fail a parse,
//! it only degrades to "unknown".

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// The page-wide indicator (`status.indicator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    None,
    Minor,
    Major,
    Critical,
    Maintenance,
    Unknown,
}

impl Indicator {
    pub fn parse(s: &str) -> Self {
        match s {
            "none" => Self::None,
            "minor" => Self::Minor,
            "major" => Self::Major,
            "critical" => Self::Critical,
            "maintenance" => Self::Maintenance,
            _ => Self::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Minor => "minor",
            Self::Major => "major",
            Self::Critical => "critical",
            Self::Maintenance => "maintenance",
            Self::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    Operational,
    DegradedPerformance,
    PartialOutage,
    MajorOutage,
    UnderMaintenance,
    Unknown,
}

impl ComponentStatus {
    pub fn parse(s: &str) -> Self {
        match s {
            "operational" => Self::Operational,
            "degraded_performance" => Self::DegradedPerformance,
            "partial_outage" => Self::PartialOutage,
            "major_outage" => Self::MajorOutage,
            "under_maintenance" => Self::UnderMaintenance,
            _ => Self::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operational => "operational",
            Self::DegradedPerformance => "degraded_performance",
            Self::PartialOutage => "partial_outage",
            Self::MajorOutage => "major_outage",
            Self::UnderMaintenance => "under_maintenance",
            Self::Unknown => "unknown",
        }
    }

    /// Words for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Operational => "Operational",
            Self::DegradedPerformance => "Degraded performance",
            Self::PartialOutage => "Partial outage",
            Self::MajorOutage => "Major outage",
            Self::UnderMaintenance => "Under maintenance",
            Self::Unknown => "Unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
    Postmortem,
    // Scheduled maintenances share the incident shape and use these:
    Scheduled,
    InProgress,
    Verifying,
    Completed,
    Unknown,
}

impl IncidentStatus {
    pub fn parse(s: &str) -> Self {
        match s {
            "investigating" => Self::Investigating,
            "identified" => Self::Identified,
            "monitoring" => Self::Monitoring,
            "resolved" => Self::Resolved,
            "postmortem" => Self::Postmortem,
            "scheduled" => Self::Scheduled,
            "in_progress" => Self::InProgress,
            "verifying" => Self::Verifying,
            "completed" => Self::Completed,
            _ => Self::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Investigating => "investigating",
            Self::Identified => "identified",
            Self::Monitoring => "monitoring",
            Self::Resolved => "resolved",
            Self::Postmortem => "postmortem",
            Self::Scheduled => "scheduled",
            Self::InProgress => "in_progress",
            Self::Verifying => "verifying",
            Self::Completed => "completed",
            Self::Unknown => "unknown",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Investigating => "Investigating",
            Self::Identified => "Identified",
            Self::Monitoring => "Monitoring",
            Self::Resolved => "Resolved",
            Self::Postmortem => "Postmortem",
            Self::Scheduled => "Scheduled",
            Self::InProgress => "In progress",
            Self::Verifying => "Verifying",
            Self::Completed => "Completed",
            Self::Unknown => "Unknown",
        }
    }

    /// A maintenance that is under way (in progress, or being verified).
    pub fn is_under_way(self) -> bool {
        matches!(self, Self::InProgress | Self::Verifying)
    }

    /// True once the incident (or maintenance) is over.
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Resolved | Self::Postmortem | Self::Completed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    None,
    Minor,
    Major,
    Critical,
    Maintenance,
    Unknown,
}

impl Impact {
    pub fn parse(s: &str) -> Self {
        match s {
            "none" => Self::None,
            "minor" => Self::Minor,
            "major" => Self::Major,
            "critical" => Self::Critical,
            "maintenance" => Self::Maintenance,
            _ => Self::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Minor => "minor",
            Self::Major => "major",
            Self::Critical => "critical",
            Self::Maintenance => "maintenance",
            Self::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    pub id: String,
    pub name: String,
    pub status: ComponentStatus,
    /// Group containers (`group: true`) hold other components and are not services themselves.
    pub is_group: bool,
    pub updated_at: Option<DateTime<FixedOffset>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentUpdate {
    pub id: String,
    pub status: IncidentStatus,
    pub body: String,
    pub created_at: Option<DateTime<FixedOffset>>,
}

/// An incident or a scheduled maintenance (Statuspage gives both the same shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub id: String,
    pub name: String,
    pub status: IncidentStatus,
    pub impact: Impact,
    /// Where people read about it.
    pub url: String,
    pub created_at: Option<DateTime<FixedOffset>>,
    pub updated_at: Option<DateTime<FixedOffset>>,
    /// Maintenance window, when this is a scheduled maintenance.
    pub scheduled_for: Option<DateTime<FixedOffset>>,
    pub scheduled_until: Option<DateTime<FixedOffset>>,
    /// Newest first, as the page serves them.
    pub updates: Vec<IncidentUpdate>,
    /// Ids of the components the incident names (may be empty).
    pub component_ids: Vec<String>,
}

impl Incident {
    pub fn latest_update(&self) -> Option<&IncidentUpdate> {
        self.updates.first()
    }
}

/// What one `summary.json` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceStatus {
    pub page_url: String,
    pub indicator: Indicator,
    pub description: String,
    pub components: Vec<Component>,
    /// Unresolved incidents.
    pub incidents: Vec<Incident>,
    /// Upcoming and in-progress scheduled maintenances.
    pub maintenances: Vec<Incident>,
}

impl ServiceStatus {
    pub fn component(&self, id: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.id == id)
    }
}
