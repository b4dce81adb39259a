//! Human text for the terminal, from the same view the JSON prints: the words and colours are
//! the view's, this only lays them out.

use std::fmt::Write;

use ccpulse_core::alert::clip;
use ccpulse_core::service::Level;
use ccpulse_core::view::limits::LimitsView;
use ccpulse_core::view::overload::OverloadView;
use ccpulse_core::view::service::{IncidentReport, ServiceReport};
use ccpulse_core::view::{AdviceCard, View};

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

/// Everything `ccpulse status` prints.
pub fn status(v: &View, color: bool) -> String {
    service(&v.service, color)
        + &advice(&v.advice, color)
        + &overload(&v.overload, color)
        + &limits(&v.limits, color)
}

pub fn service(r: &ServiceReport, color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    let _ = writeln!(out, "{}", p.level(r.level, &p.bold(&r.summary)));
    let freshness = &r.freshness;
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
                p.level(c.level, c.label)
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
        let _ = writeln!(
            out,
            "  {}  {}",
            p.level(r.tone, &r.line),
            p.dim(&format!("{}, {}", r.source_label, r.age))
        );
    }
    for line in v.projection_line.iter().chain(&v.extra_usage_line) {
        let _ = writeln!(out, "  {line}");
    }
    for e in &v.limits.errors {
        let _ = writeln!(out, "  {}", p.dim(e));
    }
    out
}

/// What to do now: each condition, its commands and the entry with the whole fix.
pub fn advice(items: &[AdviceCard], color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    if items.is_empty() {
        return out;
    }
    let _ = writeln!(out, "\n{}", p.bold("What to do now"));
    for AdviceCard { advice: a, level } in items {
        let _ = writeln!(out, "  {}", p.level(*level, &a.title));
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
pub fn overload(o: &OverloadView, color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    if !o.shown {
        return out;
    }
    let _ = writeln!(out, "\n{}", p.bold("Overload (529 and server errors)"));
    let _ = writeln!(
        out,
        "  {}",
        p.level(o.level, o.line.as_deref().unwrap_or("calm"))
    );
    let _ = writeln!(out, "  errors per minute, last hour: {}", o.chart);
    if let Some(i) = &o.overload.incident {
        let _ = writeln!(out, "  {}", p.dim(&i.url));
    }
    out
}
