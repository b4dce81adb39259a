//! Claude Code's status line, worded: `5h 42% ↻3:45pm · wk 18% · Claude ok`; another window
//! (a spend limit, a weekly cap, the usage credits) only once it is near: `spend 85%`.

use crate::limits::WindowId;
use crate::service::Level;
use crate::view::limits::LimitsView;

/// The limits when known, else the session's model and cost; then the service's level
/// (`None`: not known).
pub fn line(
    limits: &LimitsView,
    service: Option<Level>,
    model: Option<&str>,
    cost_usd: Option<f64>,
) -> String {
    let mut parts = Vec::new();
    if let Some(s) = limits.row(&WindowId::Session) {
        let mut part = format!("5h {:.0}%", s.used_percent);
        if let Some(at) = &s.resets {
            part += &format!(" ↻{at}");
        }
        parts.push(part);
    }
    if let Some(w) = limits.row(&WindowId::Weekly) {
        parts.push(format!("wk {:.0}%", w.used_percent));
    }
    for r in &limits.rows {
        let other = !matches!(r.id, WindowId::Session | WindowId::Weekly);
        if other && r.tone != Level::Operational {
            parts.push(format!("{} {:.0}%", r.id.short(), r.used_percent));
        }
    }
    if parts.is_empty() {
        parts.extend(model.map(str::to_owned));
        parts.extend(cost_usd.map(|c| format!("${c:.2}")));
    }
    parts.push(match service {
        Some(Level::Operational) => "Claude ok".into(),
        Some(level) => format!("Claude {}", level.as_str()),
        None => "Claude ?".into(),
    });
    parts.join(" · ")
}
