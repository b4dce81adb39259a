//! Claude Code's status line, worded: `5h 42% ↻3:45pm · wk 18% · Claude ok`.

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
