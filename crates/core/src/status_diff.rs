//! A pure diff of two service states into events.
//!
//! `prev` and `next` are two `summary.json` readings; `history` is what `incidents.json` said
//! (empty when it was not fetched or failed), used only to tell how a departed incident ended.

use crate::status::{Component, ComponentStatus, Incident, IncidentStatus, ServiceStatus};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusEvent {
    IncidentOpened {
        incident: Incident,
    },
    /// A new update was posted; `incident.updates[0]` is it.
    IncidentUpdated {
        incident: Incident,
    },
    /// The incident is over. `confirmed` is false when it only left the summary and the history
    /// could not say how it ended.
    IncidentResolved {
        incident: Incident,
        confirmed: bool,
    },
    ComponentChanged {
        component: Component,
        from: ComponentStatus,
    },
    MaintenanceStarted {
        maintenance: Incident,
    },
    MaintenanceEnded {
        maintenance: Incident,
    },
}

impl StatusEvent {
    /// The ledger key: one notification per key, ever. Incident updates are keyed by
    /// (incident id, update id).
    pub fn key(&self) -> String {
        match self {
            Self::IncidentOpened { incident } | Self::IncidentUpdated { incident } => {
                update_key(incident)
            }
            Self::IncidentResolved { incident, .. } => format!("incident/{}/closed", incident.id),
            Self::ComponentChanged { component, .. } => {
                format!(
                    "{}{}",
                    component_prefix(&component.id),
                    component.status.as_str()
                )
            }
            Self::MaintenanceStarted { maintenance } => {
                format!("maintenance/{}/started", maintenance.id)
            }
            Self::MaintenanceEnded { maintenance } => {
                format!("maintenance/{}/ended", maintenance.id)
            }
        }
    }

    pub fn is_component_change(&self) -> bool {
        matches!(self, Self::ComponentChanged { .. })
    }
}

/// Keys of one component's status share this prefix; a component holds one at a time, so each
/// transition is announced once and a later return to the same status is announced again.
pub fn component_prefix(id: &str) -> String {
    format!("component/{id}/")
}

/// `incident/<id>/update/<latest update id>`.
pub fn update_key(incident: &Incident) -> String {
    let update = incident.latest_update().map_or("none", |u| u.id.as_str());
    format!("incident/{}/update/{}", incident.id, update)
}

/// Incidents open in `prev` and absent from `next`: the shell fetches `incidents.json` for these.
pub fn departed<'a>(prev: &'a ServiceStatus, next: &ServiceStatus) -> Vec<&'a Incident> {
    prev.incidents
        .iter()
        .filter(|i| !i.status.is_closed() && !next.incidents.iter().any(|n| n.id == i.id))
        .collect()
}

pub fn diff(prev: &ServiceStatus, next: &ServiceStatus, history: &[Incident]) -> Vec<StatusEvent> {
    let mut events = Vec::new();

    for inc in &next.incidents {
        let before = prev.incidents.iter().find(|p| p.id == inc.id);
        let was_open = before.is_some_and(|p| !p.status.is_closed());
        if inc.status.is_closed() {
            if before.is_none() || was_open {
                events.push(StatusEvent::IncidentResolved {
                    incident: inc.clone(),
                    confirmed: true,
                });
            }
        } else if !was_open {
            events.push(StatusEvent::IncidentOpened {
                incident: inc.clone(),
            });
        } else if let (Some(before), Some(latest)) = (before, inc.latest_update()) {
            if !before.updates.iter().any(|u| u.id == latest.id) {
                events.push(StatusEvent::IncidentUpdated {
                    incident: inc.clone(),
                });
            }
        }
    }

    for gone in departed(prev, next) {
        let ended = history.iter().find(|h| h.id == gone.id);
        events.push(StatusEvent::IncidentResolved {
            confirmed: ended.is_some_and(|h| h.status.is_closed()),
            incident: ended.unwrap_or(gone).clone(),
        });
    }

    for c in &next.components {
        if let Some(before) = prev.component(&c.id) {
            if before.status != c.status {
                events.push(StatusEvent::ComponentChanged {
                    component: c.clone(),
                    from: before.status,
                });
            }
        }
    }

    for m in &next.maintenances {
        let before = prev.maintenances.iter().find(|p| p.id == m.id);
        let was_running = before.is_some_and(|p| p.status.is_under_way());
        if m.status.is_under_way() && !was_running {
            events.push(StatusEvent::MaintenanceStarted {
                maintenance: m.clone(),
            });
        } else if was_running && m.status.is_closed() {
            events.push(StatusEvent::MaintenanceEnded {
                maintenance: m.clone(),
            });
        }
    }
    for m in &prev.maintenances {
        if m.status.is_under_way() && !next.maintenances.iter().any(|n| n.id == m.id) {
            let mut ended = m.clone();
            ended.status = IncidentStatus::Completed;
            events.push(StatusEvent::MaintenanceEnded { maintenance: ended });
        }
    }
    events
}

/// What is already wrong in `status`, as the events that would have announced it. Used on start
/// (with nothing to diff against) so the ledger can tell what the user has not heard of yet.
pub fn standing(status: &ServiceStatus) -> Vec<StatusEvent> {
    let incidents = status
        .incidents
        .iter()
        .filter(|i| !i.status.is_closed())
        .map(|i| StatusEvent::IncidentOpened {
            incident: i.clone(),
        });
    let maintenances = status
        .maintenances
        .iter()
        .filter(|m| m.status.is_under_way())
        .map(|m| StatusEvent::MaintenanceStarted {
            maintenance: m.clone(),
        });
    let components = status
        .components
        .iter()
        .filter(|c| {
            !matches!(
                c.status,
                ComponentStatus::Operational | ComponentStatus::Unknown
            )
        })
        .map(|c| StatusEvent::ComponentChanged {
            component: c.clone(),
            from: ComponentStatus::Operational,
        });
    incidents.chain(maintenances).chain(components).collect()
}
