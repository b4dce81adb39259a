//! Lenient decoding of Statuspage's `/api/v2/*.json` into core values.
//!
//! A document that is not JSON, or not a Statuspage document at all, is an error. Inside one,
//! nothing fails: unknown keys are ignored, unknown enum values become `Unknown`, and an entry that
//! cannot be understood (no id) is skipped with a warning.

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use ccpulse_core::status::{
    Component, ComponentStatus, Impact, Incident, IncidentStatus, IncidentUpdate, Indicator,
    ServiceStatus,
};

#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    pub value: T,
    /// What was skipped or could not be read, for the log.
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    #[error("not a Statuspage document: {0}")]
    Shape(String),
}

struct Ctx<'a> {
    page_url: &'a str,
    warnings: Vec<String>,
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

impl Ctx<'_> {
    fn time(&mut self, v: &Value, key: &str) -> Option<DateTime<FixedOffset>> {
        let raw = v.get(key)?.as_str()?;
        match DateTime::parse_from_rfc3339(raw) {
            Ok(t) => Some(t),
            Err(e) => {
                self.warnings
                    .push(format!("{key}: bad timestamp {raw:?} ({e})"));
                None
            }
        }
    }

    fn component(&mut self, v: &Value) -> Option<Component> {
        let id = text(v, "id");
        if id.is_empty() {
            self.warnings
                .push("skipped a component without an id".into());
            return None;
        }
        Some(Component {
            name: text(v, "name"),
            status: ComponentStatus::parse(&text(v, "status")),
            is_group: v.get("group").and_then(Value::as_bool).unwrap_or(false),
            updated_at: self.time(v, "updated_at"),
            id,
        })
    }

    fn update(&mut self, v: &Value) -> Option<IncidentUpdate> {
        let id = text(v, "id");
        if id.is_empty() {
            self.warnings
                .push("skipped an incident update without an id".into());
            return None;
        }
        Some(IncidentUpdate {
            status: IncidentStatus::parse(&text(v, "status")),
            body: text(v, "body"),
            created_at: self.time(v, "created_at"),
            id,
        })
    }

    fn incident(&mut self, v: &Value) -> Option<Incident> {
        let id = text(v, "id");
        if id.is_empty() {
            self.warnings
                .push("skipped an incident without an id".into());
            return None;
        }
        let mut updates: Vec<IncidentUpdate> = array(v, "incident_updates")
            .filter_map(|u| self.update(u))
            .collect();
        // Served newest first; make sure of it, the diff relies on updates[0] being the latest.
        updates.sort_by_key(|u| std::cmp::Reverse(u.created_at));
        let mut component_ids: Vec<String> = array(v, "components")
            .map(|c| text(c, "id"))
            .chain(
                array(v, "incident_updates")
                    .flat_map(|u| array(u, "affected_components"))
                    .map(|c| text(c, "code")),
            )
            .filter(|id| !id.is_empty())
            .collect();
        component_ids.sort();
        component_ids.dedup();
        let url = if self.page_url.is_empty() {
            text(v, "shortlink")
        } else {
            format!("{}/incidents/{id}", self.page_url.trim_end_matches('/'))
        };
        Some(Incident {
            name: text(v, "name"),
            status: IncidentStatus::parse(&text(v, "status")),
            impact: Impact::parse(&text(v, "impact")),
            url,
            created_at: self.time(v, "created_at"),
            updated_at: self.time(v, "updated_at"),
            scheduled_for: self.time(v, "scheduled_for"),
            scheduled_until: self.time(v, "scheduled_until"),
            updates,
            component_ids,
            id,
        })
    }
}

/// The elements of `v[key]` when it is an array; nothing for null, missing or another type.
fn array<'v>(v: &'v Value, key: &str) -> impl Iterator<Item = &'v Value> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter())
        .into_iter()
        .flatten()
}

fn root(body: &[u8]) -> Result<Value, ParseError> {
    let v: Value = serde_json::from_slice(body)?;
    if !v.is_object() {
        return Err(ParseError::Shape("the top level is not an object".into()));
    }
    Ok(v)
}

fn page_url(v: &Value, fallback: &str) -> String {
    let url = v.get("page").map(|p| text(p, "url")).unwrap_or_default();
    if url.is_empty() {
        fallback.trim_end_matches('/').to_string()
    } else {
        url.trim_end_matches('/').to_string()
    }
}

/// `summary.json` (also accepts `status.json`, which simply has no components or incidents).
pub fn summary(body: &[u8], fallback_page_url: &str) -> Result<Parsed<ServiceStatus>, ParseError> {
    let v = root(body)?;
    if v.get("status").is_none() && v.get("components").is_none() {
        return Err(ParseError::Shape(
            "it has neither `status` nor `components`".into(),
        ));
    }
    let page_url = page_url(&v, fallback_page_url);
    let mut ctx = Ctx {
        page_url: &page_url,
        warnings: Vec::new(),
    };
    let status = v.get("status").cloned().unwrap_or(Value::Null);
    let components = array(&v, "components")
        .filter_map(|c| ctx.component(c))
        .collect();
    let incidents = array(&v, "incidents")
        .filter_map(|i| ctx.incident(i))
        .collect();
    let maintenances = array(&v, "scheduled_maintenances")
        .filter_map(|m| ctx.incident(m))
        .collect();
    let warnings = ctx.warnings;
    Ok(Parsed {
        value: ServiceStatus {
            indicator: Indicator::parse(&text(&status, "indicator")),
            description: text(&status, "description"),
            components,
            incidents,
            maintenances,
            page_url,
        },
        warnings,
    })
}

/// `incidents.json`: the last 50 incidents, resolved ones included.
pub fn incidents(
    body: &[u8],
    fallback_page_url: &str,
) -> Result<Parsed<Vec<Incident>>, ParseError> {
    let v = root(body)?;
    if v.get("incidents").is_none() {
        return Err(ParseError::Shape("it has no `incidents`".into()));
    }
    let page_url = page_url(&v, fallback_page_url);
    let mut ctx = Ctx {
        page_url: &page_url,
        warnings: Vec::new(),
    };
    let list = array(&v, "incidents")
        .filter_map(|i| ctx.incident(i))
        .collect();
    Ok(Parsed {
        value: list,
        warnings: ctx.warnings,
    })
}
