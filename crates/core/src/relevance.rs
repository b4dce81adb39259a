//! Which parts of the page matter to someone using Claude Code.
//!
//! Components are matched by id (names change) or, for hand-written configs, by name without
//! regard to case. An incident is relevant when it names a relevant component, or names none at
//! all (Statuspage leaves `components` empty for page-wide incidents such as 529 waves).

use crate::status::{Component, Incident, ServiceStatus};

/// Claude Code (`yyzkbfz2thpt`) and Claude API (`k8w3r06qmzrp`) on status.claude.com.
pub const DEFAULT_COMPONENTS: [&str; 2] = ["yyzkbfz2thpt", "k8w3r06qmzrp"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relevance {
    /// Every component and incident on the page.
    All,
    /// Only these components (ids or names) and the incidents that name them or nothing.
    Components(Vec<String>),
}

impl Default for Relevance {
    fn default() -> Self {
        Self::Components(DEFAULT_COMPONENTS.iter().map(|s| s.to_string()).collect())
    }
}

impl Relevance {
    pub fn component(&self, c: &Component) -> bool {
        match self {
            Self::All => !c.is_group,
            Self::Components(wanted) => wanted
                .iter()
                .any(|w| *w == c.id || w.eq_ignore_ascii_case(&c.name)),
        }
    }

    pub fn incident(&self, incident: &Incident, page: &ServiceStatus) -> bool {
        match self {
            Self::All => true,
            Self::Components(wanted) => {
                incident.component_ids.is_empty()
                    || incident.component_ids.iter().any(|id| {
                        wanted.iter().any(|w| w == id)
                            || page.component(id).is_some_and(|c| self.component(c))
                    })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::{ComponentStatus, Impact, IncidentStatus, Indicator};

    fn component(id: &str, name: &str) -> Component {
        Component {
            id: id.into(),
            name: name.into(),
            status: ComponentStatus::Operational,
            is_group: false,
            updated_at: None,
        }
    }

    fn incident(component_ids: &[&str]) -> Incident {
        Incident {
            id: "i".into(),
            name: "n".into(),
            status: IncidentStatus::Investigating,
            impact: Impact::Minor,
            url: String::new(),
            created_at: None,
            updated_at: None,
            scheduled_for: None,
            scheduled_until: None,
            updates: vec![],
            component_ids: component_ids.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn page() -> ServiceStatus {
        ServiceStatus {
            page_url: String::new(),
            indicator: Indicator::None,
            description: String::new(),
            components: vec![
                component("yyzkbfz2thpt", "Claude Code"),
                component("rwppv331jlwc", "claude.ai"),
                component("xyz", "Claude API (renamed)"),
            ],
            incidents: vec![],
            maintenances: vec![],
        }
    }

    #[test]
    fn default_selection_matches_by_id_not_name() {
        let r = Relevance::default();
        let p = page();
        let cases = [
            ("yyzkbfz2thpt", true),
            ("rwppv331jlwc", false),
            ("xyz", false),
        ];
        for (id, expected) in cases {
            assert_eq!(r.component(p.component(id).unwrap()), expected, "{id}");
        }
    }

    #[test]
    fn names_match_without_case() {
        let r = Relevance::Components(vec!["CLAUDE.AI".into()]);
        let p = page();
        assert!(r.component(p.component("rwppv331jlwc").unwrap()));
        assert!(r.incident(&incident(&["rwppv331jlwc"]), &p));
        assert!(!r.incident(&incident(&["yyzkbfz2thpt"]), &p));
    }

    #[test]
    fn incidents_naming_no_component_are_relevant() {
        let p = page();
        let r = Relevance::default();
        let cases: [(&[&str], bool); 4] = [
            (&[], true),
            (&["yyzkbfz2thpt"], true),
            (&["rwppv331jlwc"], false),
            (&["rwppv331jlwc", "k8w3r06qmzrp"], true),
        ];
        for (ids, expected) in cases {
            assert_eq!(r.incident(&incident(ids), &p), expected, "{ids:?}");
        }
    }

    #[test]
    fn all_skips_group_containers() {
        let mut g = component("g", "Group");
        g.is_group = true;
        assert!(!Relevance::All.component(&g));
        assert!(Relevance::All.component(&component("a", "A")));
    }
}
