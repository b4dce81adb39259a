//! Human text for the terminal, from the same report the JSON prints.

use std::fmt::Write;

use ccpulse_core::advice::{Advice, Tone};
use ccpulse_core::alerts::clip;
use ccpulse_core::overload::Overload;
use ccpulse_core::report::{IncidentReport, ServiceReport};
use ccpulse_core::service::describe_age;
use ccpulse_core::tray_view::{overload_line, sparkline, Level, LimitsView};

pub(crate) struct Paint(pub(crate) bool);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub(crate) fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    pub(crate) fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    fn level(&self, level: Level, s: &str) -> String {
        let code = match level {
            Level::Operational => "32",
            Level::Degraded => "33",
            Level::Outage => "31",
            Level::Maintenance => "34",
            Level::Unknown => "90",
        };
        self.wrap(code, s)
    }
}

fn status_level(status: &str) -> Level {
    match status {
        "operational" => Level::Operational,
        "degraded_performance" | "partial_outage" => Level::Degraded,
        "major_outage" => Level::Outage,
        "under_maintenance" => Level::Maintenance,
        _ => Level::Unknown,
    }
}

fn label(status: &str) -> String {
    let mut s = status.replace('_', " ");
    if let Some(first) = s.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    s
}

fn incident(out: &mut String, p: &Paint, i: &IncidentReport) {
    let mark = if i.relevant { "●" } else { "○" };
    let _ = writeln!(
        out,
        "  {mark} {}  {}",
        p.bold(&i.name),
        p.dim(&format!("{}, impact {}", i.status, i.impact))
    );
    if let Some(u) = &i.latest_update {
        let when = u.created_at.as_deref().unwrap_or("");
        let _ = writeln!(out, "    {} {}", p.dim(when), clip(&u.body, 300));
    }
    if !i.url.is_empty() {
        let _ = writeln!(out, "    {}", p.dim(&i.url));
    }
}

pub fn service(r: &ServiceReport, color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    let _ = writeln!(out, "{}", p.level(r.level, &p.bold(&r.summary)));
    let freshness = match (r.age_secs, r.stale) {
        (Some(age), false) => format!("checked {}", describe_age(age)),
        (Some(age), true) => format!("OFFLINE: showing what was known {}", describe_age(age)),
        (None, _) => "no reading yet".to_string(),
    };
    let page = r.page_url.as_deref().unwrap_or("");
    let _ = writeln!(
        out,
        "  {}",
        p.dim(format!("{freshness}  {page}").trim_end())
    );
    if let Some(e) = &r.error {
        let _ = writeln!(
            out,
            "  {}",
            p.level(Level::Degraded, &format!("error: {e}"))
        );
    }
    if !r.incidents.is_empty() {
        let _ = writeln!(out, "\nIncidents");
        for i in &r.incidents {
            incident(&mut out, &p, i);
        }
    }
    if !r.maintenances.is_empty() {
        let _ = writeln!(out, "\nMaintenance");
        for m in &r.maintenances {
            incident(&mut out, &p, m);
        }
    }
    if !r.components.is_empty() {
        let _ = writeln!(out, "\nComponents (● = watched)");
        let width = r
            .components
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(0);
        let mut components: Vec<_> = r.components.iter().collect();
        components.sort_by_key(|c| !c.relevant);
        for c in components {
            let mark = if c.relevant { "●" } else { "○" };
            let _ = writeln!(
                out,
                "  {mark} {:width$}  {}",
                c.name,
                p.level(status_level(c.status), &label(c.status))
            );
        }
    }
    out
}

/// The plan limits: one row per window with its reset, source and age; the projection.
pub fn limits(v: &LimitsView, color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    let _ = writeln!(out, "\n{}", p.bold("Plan limits"));
    if v.rows.is_empty() {
        let _ = writeln!(
            out,
            "  not known yet: `ccpulse statusline install` lets Claude Code report them"
        );
    }
    for r in &v.rows {
        let level = match r.used_percent {
            u if u >= 95.0 => Level::Outage,
            u if u >= 80.0 => Level::Degraded,
            _ => Level::Operational,
        };
        let _ = writeln!(
            out,
            "  {}  {}",
            p.level(level, &r.line()),
            p.dim(&format!("{}, {}", r.source_label, r.age))
        );
    }
    for line in v.projection.iter().chain(&v.extra_usage) {
        let _ = writeln!(out, "  {line}");
    }
    for e in &v.errors {
        let _ = writeln!(out, "  {}", p.dim(e));
    }
    out
}

/// What to do now: each condition, its commands and the entry with the whole fix.
pub fn advice(items: &[Advice], color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    if items.is_empty() {
        return out;
    }
    let _ = writeln!(out, "\n{}", p.bold("What to do now"));
    for a in items {
        let level = match a.tone {
            Tone::Blocked => Level::Outage,
            Tone::Degraded => Level::Degraded,
            Tone::Info => Level::Maintenance,
        };
        let _ = writeln!(out, "  {}", p.level(level, &a.title));
        let _ = writeln!(out, "    {}", a.detail);
        for s in &a.steps {
            let _ = writeln!(out, "    {}  {}", p.bold(&s.command), p.dim(&s.does));
        }
        let _ = writeln!(
            out,
            "    {}",
            p.dim(&format!("more: ccpulse fix {}", a.entry))
        );
    }
    out
}

/// 529 waves: shown when there is one, or errors in the last hour.
pub fn overload(o: &Overload, color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    let line = overload_line(o);
    if line.is_none() && o.per_minute.iter().all(|n| *n == 0) {
        return out;
    }
    let _ = writeln!(out, "\n{}", p.bold("Overload (529 and server errors)"));
    let _ = writeln!(
        out,
        "  {}",
        p.level(
            if line.is_some() {
                Level::Degraded
            } else {
                Level::Operational
            },
            &line.unwrap_or_else(|| "calm".into())
        )
    );
    let _ = writeln!(
        out,
        "  errors per minute, last hour: {}",
        sparkline(&o.per_minute)
    );
    if let Some(i) = &o.incident {
        let _ = writeln!(out, "  {}", p.dim(&i.url));
    }
    out
}
