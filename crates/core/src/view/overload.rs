//! A 529 wave in words: one line, a chart of the last hour, a colour.

use serde::Serialize;

use crate::overload::{Overload, State as OverloadState, UNKNOWN_MODEL};
use crate::service::Level;

/// The waves as every shell shows them (`ccpulse status --json` → `overload`): the assessment
/// itself, and its words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverloadView {
    #[serde(flatten)]
    pub overload: Overload,
    /// `None` when calm.
    pub line: Option<String>,
    /// Errors per minute of the last hour, as `▁▁▂▅█▃▁`.
    pub chart: String,
    pub level: Level,
    /// Worth a section: a wave, an incident, or errors in the last hour.
    pub shown: bool,
}

pub fn overload_view(o: &Overload) -> OverloadView {
    let line = overload_line(o);
    OverloadView {
        level: if line.is_some() {
            Level::Degraded
        } else {
            Level::Operational
        },
        shown: line.is_some() || o.per_minute.iter().any(|n| *n > 0),
        chart: sparkline(&o.per_minute),
        line,
        overload: o.clone(),
    }
}

/// Errors per minute as a one-line chart: `▁▁▂▅█▃▁`.
pub fn sparkline(counts: &[usize]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let top = counts.iter().copied().max().unwrap_or(0).max(1);
    counts
        .iter()
        .map(|&n| match n {
            0 => BARS[0],
            n => BARS[(1 + (n - 1) * 7 / top).min(7)],
        })
        .collect()
}

/// One line for an overload wave or incident: `Overload: 14 errors in 15 min (claude-opus-4-5);
/// not your quota, try /model`; `None` when calm.
pub fn overload_line(o: &Overload) -> Option<String> {
    let errors: usize = o
        .models
        .iter()
        .map(|m| m.retries_15m + m.failures_15m)
        .sum();
    let top = o
        .models
        .first()
        .filter(|m| m.model != UNKNOWN_MODEL)
        .map(|m| format!(" ({})", m.model))
        .unwrap_or_default();
    match o.state {
        OverloadState::Calm => None,
        OverloadState::StatusOnly => Some(format!(
            "Overload reported: {}",
            o.incident.as_ref().map_or("", |i| i.name.as_str())
        )),
        OverloadState::LocalWave | OverloadState::ConfirmedWave => Some(format!(
            "Overload{}: {errors} errors in 15 min{top}; not your quota, try /model",
            if o.state == OverloadState::ConfirmedWave {
                " (confirmed)"
            } else {
                ""
            }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overload_lines_and_charts() {
        // Any error shows above the baseline.
        assert_eq!(sparkline(&[0, 1, 2, 8, 4, 0]), "▁▂▂█▄▁");
        assert_eq!(sparkline(&[0, 0]), "▁▁");
        let mut o = Overload::default();
        assert_eq!(overload_line(&o), None);
        o.state = OverloadState::LocalWave;
        o.models = vec![crate::overload::ModelErrors {
            model: "claude-opus-4-5".into(),
            retries_15m: 12,
            failures_15m: 2,
        }];
        assert_eq!(
            overload_line(&o).unwrap(),
            "Overload: 14 errors in 15 min (claude-opus-4-5); not your quota, try /model"
        );
    }
}
