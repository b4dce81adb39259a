//! What the tray shows: one level for the icon and one line of words.

use chrono::{DateTime, Utc};
use serde::Serialize;

use chrono_tz::Tz;

use crate::limits::{countdown, reset_label, Clock, Limits, Source, Window};
use crate::overload::{Overload, State as OverloadState};
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

/// The panel's activity card: today's use, the burn rate and the API error rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    /// "Today: 4.5M tokens · $3.41 (local estimate)", or the reading progress.
    pub today: String,
    /// USD per hour over the last hour (local estimate); `None` while transcripts are read.
    pub burn_per_hour: Option<f64>,
    /// "Burn rate: $2.10/h over the last hour".
    pub burn: String,
    /// API errors (retries included) of the last 15 minutes, per minute.
    pub errors_per_min: f64,
    /// "API errors: 0.4/min over the last 15 min (6)", or "No API errors in the last 15 min".
    pub errors: String,
}

pub fn activity(
    usage: Option<&LocalUsage>,
    spend: &[(DateTime<Utc>, f64)],
    api_errors: &[crate::signals::ApiError],
    now: DateTime<Utc>,
) -> Activity {
    let read = matches!(usage, Some(LocalUsage::Today { .. }));
    let hour = now - chrono::Duration::hours(1);
    let burn_per_hour = read.then(|| {
        spend
            .iter()
            .filter(|(at, _)| *at > hour && *at <= now)
            .map(|(_, usd)| usd)
            .sum::<f64>()
    });
    let quarter = now - chrono::Duration::minutes(15);
    let recent = api_errors
        .iter()
        .filter(|e| e.at > quarter && e.at <= now)
        .count();
    let errors_per_min = recent as f64 / 15.0;
    Activity {
        today: usage_line(usage),
        burn_per_hour,
        burn: match burn_per_hour {
            Some(b) => format!("Burn rate: ${b:.2}/h over the last hour"),
            None => "Burn rate: not known yet".into(),
        },
        errors_per_min,
        errors: match recent {
            0 => "No API errors in the last 15 min".into(),
            n => format!("API errors: {errors_per_min:.1}/min over the last 15 min ({n})"),
        },
    }
}

/// One limit window as every shell words it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitRow {
    /// `session`, `weekly`, `model:Opus`.
    pub id: String,
    /// `Session (5h)`, `Weekly`, `Weekly Opus`.
    pub label: String,
    pub used_percent: f64,
    pub resets_at: Option<DateTime<Utc>>,
    /// `3:45pm`, `Mon 12:00am`, in the user's zone and clock.
    pub resets: Option<String>,
    /// `1h 20m`.
    pub countdown: Option<String>,
    pub source: Source,
    /// `status line`, `OAuth`, `local estimate`.
    pub source_label: &'static str,
    pub as_of: DateTime<Utc>,
    /// `2 min ago`.
    pub age: String,
}

impl LimitRow {
    /// `Session (5h) 42% · resets 3:45pm (1h 20m)`.
    pub fn line(&self) -> String {
        let mut line = format!("{} {:.0}%", self.label, self.used_percent);
        if let (Some(at), Some(left)) = (&self.resets, &self.countdown) {
            line += &format!(" · resets {at} ({left})");
        }
        line
    }
}

/// The plan limits as the tray, the panel and the terminal show them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LimitsView {
    pub rows: Vec<LimitRow>,
    /// "At this pace the session fills at 4:10pm (40m)".
    pub projection: Option<String>,
    /// "Extra usage: $12.40 of $50.00".
    pub extra_usage: Option<String>,
    pub errors: Vec<String>,
}

pub fn limits_view(limits: &Limits, now: DateTime<Utc>, zone: Tz, clock: Clock) -> LimitsView {
    let row = |id: String, label: String, w: &Window| LimitRow {
        id,
        label,
        used_percent: w.used_percent,
        resets_at: w.resets_at,
        resets: w.resets_at.map(|at| reset_label(at, now, zone, clock)),
        countdown: w.resets_at.map(|at| countdown(at, now)),
        source: w.source,
        source_label: match w.source {
            Source::Statusline => "status line",
            Source::Oauth => "OAuth",
            Source::Local => "local estimate",
        },
        as_of: w.as_of,
        age: describe_age((now - w.as_of).num_seconds().max(0)),
    };
    let mut rows = Vec::new();
    rows.extend(
        limits
            .session
            .as_ref()
            .map(|w| row("session".into(), "Session (5h)".into(), w)),
    );
    rows.extend(
        limits
            .weekly
            .as_ref()
            .map(|w| row("weekly".into(), "Weekly".into(), w)),
    );
    for m in &limits.models {
        rows.push(row(
            format!("model:{}", m.model),
            format!("Weekly {}", m.model),
            &m.window,
        ));
    }
    let projection = limits.projection.as_ref().and_then(|p| {
        let used = limits.session.as_ref()?.used_percent;
        Some(match p.full_at {
            _ if used >= 100.0 => return None,
            Some(at) => format!(
                "At this pace the session fills at {} ({})",
                reset_label(at, now, zone, clock),
                countdown(at, now)
            ),
            None => "At this pace the session lasts until its reset".to_string(),
        })
    });
    let extra_usage = limits.extra_usage.as_ref().map(|e| {
        let unit = match e.currency.as_deref() {
            None | Some("USD") => "$".to_string(),
            Some(other) => format!("{other} "),
        };
        match (e.enabled, e.limit) {
            (false, _) => "Extra usage: off".to_string(),
            (true, Some(limit)) => format!("Extra usage: {unit}{:.2} of {unit}{limit:.2}", e.used),
            (true, None) => format!("Extra usage: {unit}{:.2} used", e.used),
        }
    });
    LimitsView {
        rows,
        projection,
        extra_usage,
        errors: limits.errors.clone(),
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
        .filter(|m| m.model != crate::overload::UNKNOWN_MODEL)
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

/// The tray tooltip: the service summary, an overload wave, then the session and weekly windows.
pub fn tooltip(view: &TrayView, overload: &Overload, limits: &LimitsView) -> String {
    let mut lines = vec![view.summary.clone()];
    lines.extend(overload_line(overload));
    lines.extend(
        limits
            .rows
            .iter()
            .filter(|r| r.id == "session" || r.id == "weekly")
            .map(LimitRow::line),
    );
    lines.join("\n")
}

/// Draw the session gauge onto a square RGBA icon: a ring along its edge, filled clockwise
/// from 12 o'clock to `used_percent` (white; amber from 80%) over a darkened track.
pub fn draw_ring(rgba: &mut [u8], size: u32, used_percent: f64) {
    let size_f = f64::from(size);
    let (center, outer) = (size_f / 2.0, size_f / 2.0);
    let inner = outer - (size_f * 0.14).max(2.0);
    let filled = (used_percent / 100.0).clamp(0.0, 1.0);
    let fill: [u8; 3] = if used_percent >= 80.0 {
        [0xFF, 0xC8, 0x3D]
    } else {
        [0xFF, 0xFF, 0xFF]
    };
    for y in 0..size {
        for x in 0..size {
            let (dx, dy) = (f64::from(x) + 0.5 - center, f64::from(y) + 0.5 - center);
            let r = (dx * dx + dy * dy).sqrt();
            if r < inner || r > outer {
                continue;
            }
            // Clockwise from 12 o'clock, 0 to 1.
            let turn = (dx.atan2(-dy) / std::f64::consts::TAU).rem_euclid(1.0);
            let px = &mut rgba[((y * size + x) * 4) as usize..][..4];
            if turn < filled {
                px[..3].copy_from_slice(&fill);
                px[3] = 0xFF;
            } else {
                for c in &mut px[..3] {
                    *c = (f64::from(*c) * 0.45) as u8;
                }
                px[3] = px[3].max(0xC0);
            }
        }
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

#[cfg(test)]
mod activity_tests {
    use super::*;
    use crate::signals::{ApiError, ErrorOrigin};

    #[test]
    fn burn_rate_and_error_rate_count_only_their_windows() {
        let now = DateTime::parse_from_rfc3339("2026-03-02T18:20:00Z")
            .unwrap()
            .to_utc();
        let min = |m: i64| now - chrono::Duration::minutes(m);
        let spend = [
            (min(90), 5.0),
            (min(59), 1.25),
            (min(2), 0.85),
            (now + chrono::Duration::minutes(1), 9.0),
        ];
        let err = |m: i64| ApiError {
            at: min(m),
            origin: ErrorOrigin::Retry,
            status: Some(529),
            model: None,
            kind: None,
            session_id: None,
        };
        let errors = [err(20), err(14), err(1), err(0)];
        let today = LocalUsage::Today {
            tokens: 4_512_000,
            cost: 3.414,
        };
        let a = activity(Some(&today), &spend, &errors, now);
        assert_eq!(a.burn_per_hour, Some(2.1));
        assert_eq!(a.burn, "Burn rate: $2.10/h over the last hour");
        assert_eq!(a.errors, "API errors: 0.2/min over the last 15 min (3)");
        assert_eq!(a.today, "Today: 4.5M tokens · $3.41 (local estimate)");

        let reading = LocalUsage::Reading { done: 3, total: 9 };
        let a = activity(Some(&reading), &spend, &[], now);
        assert_eq!(a.burn_per_hour, None);
        assert_eq!(a.burn, "Burn rate: not known yet");
        assert_eq!(a.errors, "No API errors in the last 15 min");
    }
}

#[cfg(test)]
mod limits_view_tests {
    use super::*;
    use crate::limits::{ExtraUsage, ModelWindow, PaceBasis, Projection};

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn rows_name_the_reset_the_source_and_the_age() {
        let now = utc("2026-11-25T13:00:00Z");
        let window = |used, resets: &str, source, as_of: &str| Window {
            used_percent: used,
            resets_at: Some(utc(resets)),
            source,
            as_of: utc(as_of),
        };
        let limits = Limits {
            session: Some(window(
                42.0,
                "2026-11-25T15:45:00Z",
                Source::Statusline,
                "2026-11-25T12:58:00Z",
            )),
            weekly: Some(window(
                18.0,
                "2026-11-30T00:00:00Z",
                Source::Oauth,
                "2026-11-25T11:00:00Z",
            )),
            models: vec![ModelWindow {
                model: "Opus".into(),
                window: window(
                    61.0,
                    "2026-11-30T00:00:00Z",
                    Source::Oauth,
                    "2026-11-25T11:00:00Z",
                ),
            }],
            extra_usage: Some(ExtraUsage {
                enabled: true,
                used: 12.4,
                limit: Some(50.0),
                currency: Some("USD".into()),
            }),
            projection: Some(Projection {
                full_at: Some(utc("2026-11-25T14:10:00Z")),
                percent_per_hour: 50.0,
                basis: PaceBasis::LocalSpend,
            }),
            errors: vec![],
        };
        let v = limits_view(&limits, now, chrono_tz::Europe::Vienna, Clock::H24);
        let lines: Vec<String> = v.rows.iter().map(LimitRow::line).collect();
        assert_eq!(
            lines,
            [
                "Session (5h) 42% · resets 16:45 (2h 45m)",
                "Weekly 18% · resets Mon 01:00 (4d 11h)",
                "Weekly Opus 61% · resets Mon 01:00 (4d 11h)",
            ]
        );
        assert_eq!(
            (v.rows[0].source_label, v.rows[0].age.as_str()),
            ("status line", "2 min ago")
        );
        assert_eq!(v.rows[1].age, "2 h ago");
        assert_eq!(
            v.projection.as_deref(),
            Some("At this pace the session fills at 15:10 (1h 10m)")
        );
        assert_eq!(
            v.extra_usage.as_deref(),
            Some("Extra usage: $12.40 of $50.00")
        );
        let view = TrayView {
            level: Level::Operational,
            summary: "Claude: operational".into(),
            status_line: String::new(),
        };
        assert_eq!(
            tooltip(&view, &Overload::default(), &v),
            "Claude: operational\nSession (5h) 42% · resets 16:45 (2h 45m)\nWeekly 18% · resets Mon 01:00 (4d 11h)"
        );
    }

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

    #[test]
    fn the_ring_fills_clockwise_from_twelve() {
        let size = 64u32;
        let at = |rgba: &[u8], x: u32, y: u32| {
            let i = ((y * size + x) * 4) as usize;
            [rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]]
        };
        let base = vec![0x20u8; (size * size * 4) as usize];
        let (top, right, bottom, middle) = ((33, 2), (61, 32), (31, 61), (32, 32));
        let mut quarter = base.clone();
        draw_ring(&mut quarter, size, 30.0);
        assert_eq!(at(&quarter, top.0, top.1), [0xFF; 4]);
        assert_eq!(at(&quarter, right.0, right.1), [0xFF; 4]);
        assert_eq!(
            at(&quarter, bottom.0, bottom.1)[0],
            0x0E,
            "the track is darkened"
        );
        assert_eq!(
            at(&quarter, middle.0, middle.1),
            [0x20; 4],
            "the middle is left alone"
        );
        let mut high = base.clone();
        draw_ring(&mut high, size, 85.0);
        assert_eq!(at(&high, bottom.0, bottom.1), [0xFF, 0xC8, 0x3D, 0xFF]);
        let mut none = base;
        draw_ring(&mut none, size, 0.0);
        assert_ne!(at(&none, top.0, top.1), [0xFF; 4]);
    }
}
