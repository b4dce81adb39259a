//! The plan limits in words, for every shell: a row per window with its reset, countdown,
//! source, age and colour, the projection and the extra usage.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::clock::{countdown, describe_age, reset_label, Clock};
use crate::limits::{Limits, Source, Window, WindowId};
use crate::service::Level;

/// One limit window as every shell words it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitRow {
    /// `session`, `weekly`, `model:Opus`.
    pub id: WindowId,
    /// `Session (5h)`, `Weekly`, `Weekly Opus`.
    pub label: String,
    pub used_percent: f64,
    /// Its colour: `operational` below the lowest notification threshold, `degraded` from
    /// it, `outage` from the highest one or at the limit.
    pub tone: Level,
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
    /// A spend limit's amounts: `$21.00 of $50.00`.
    pub amount: Option<String>,
    /// `Session (5h) 42% · resets 3:45pm (1h 20m)`,
    /// `Spend (monthly) 42% · $21.00 of $50.00 · resets 1 Jan 00:00 (27d 3h)`.
    pub line: String,
    /// "at this pace full at 3:10pm": the window fills before its reset at its current pace.
    pub pace: Option<String>,
}

/// `$21.00 of $50.00`, `$21.00 spent`, `$50.00 cap`.
fn usd(used: Option<f64>, limit: Option<f64>) -> Option<String> {
    Some(match (used, limit) {
        (Some(u), Some(l)) => format!("${u:.2} of ${l:.2}"),
        (Some(u), None) => format!("${u:.2} spent"),
        (None, Some(l)) => format!("${l:.2} cap"),
        (None, None) => return None,
    })
}

/// `Session (5h) 42% · resets 3:45pm (1h 20m)`.
fn line(
    label: &str,
    used: f64,
    amount: Option<&str>,
    resets: Option<&str>,
    countdown: Option<&str>,
) -> String {
    let mut line = format!("{label} {used:.0}%");
    if let Some(amount) = amount {
        line += &format!(" · {amount}");
    }
    if let (Some(at), Some(left)) = (resets, countdown) {
        line += &format!(" · resets {at} ({left})");
    }
    line
}

/// A window's colour from its use and the notification thresholds (percents, ascending): from
/// the lowest it is near, from the highest of two or more (or at 100%) it is critical.
pub fn tone(used_percent: f64, thresholds: &[u8]) -> Level {
    let highest = match thresholds {
        [_, .., last] => f64::from(*last),
        _ => 100.0,
    };
    let lowest = thresholds.first().map_or(100.0, |t| f64::from(*t));
    match used_percent {
        u if u >= 100.0 || u >= highest => Level::Outage,
        u if u >= lowest => Level::Degraded,
        _ => Level::Operational,
    }
}

/// The plan limits as the tray, the panel and the terminal show them: the figures themselves
/// (`ccpulse status --json` → `limits`), and beside them each window in words.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LimitsView {
    #[serde(flatten)]
    pub limits: Limits,
    pub rows: Vec<LimitRow>,
    /// "At this pace the session fills at 4:10pm (40m)".
    pub projection_line: Option<String>,
    /// "Extra usage: $12.40 of $50.00".
    pub extra_usage_line: Option<String>,
}

impl LimitsView {
    pub fn row(&self, id: &WindowId) -> Option<&LimitRow> {
        self.rows.iter().find(|r| &r.id == id)
    }
}

pub fn limits_view(
    limits: &Limits,
    thresholds: &[u8],
    now: DateTime<Utc>,
    zone: Tz,
    clock: Clock,
) -> LimitsView {
    let row = |id: WindowId, w: &Window| {
        let id_for_pace = id.clone();
        let (label, resets, countdown) = (
            id.label(),
            w.resets_at.map(|at| reset_label(at, now, zone, clock)),
            w.resets_at.map(|at| countdown(at, now)),
        );
        let amount = match (&id, &limits.spend) {
            (WindowId::Spend(_), Some(s)) => usd(s.used_usd, s.limit_usd),
            _ => None,
        };
        LimitRow {
            line: line(
                &label,
                w.used_percent,
                amount.as_deref(),
                resets.as_deref(),
                countdown.as_deref(),
            ),
            amount,
            id,
            label,
            used_percent: w.used_percent,
            tone: tone(w.used_percent, thresholds),
            resets_at: w.resets_at,
            resets,
            countdown,
            source: w.source,
            source_label: match w.source {
                Source::Statusline => "status line",
                Source::Oauth => "OAuth",
                Source::Claude => "Claude Code",
                Source::Local => "local estimate",
            },
            as_of: w.as_of,
            age: describe_age((now - w.as_of).num_seconds().max(0)),
            pace: limits
                .forecasts
                .iter()
                .find(|f| f.window == id_for_pace)
                .and_then(|f| f.full_at)
                .map(|at| format!("at this pace full at {}", reset_label(at, now, zone, clock))),
        }
    };
    let rows = limits
        .windows()
        .into_iter()
        .map(|(id, w)| row(id, w))
        .collect();
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
        limits: limits.clone(),
        rows,
        projection_line: limits.projection_line(now, zone, clock),
        extra_usage_line: extra_usage,
    }
}

#[cfg(test)]
mod limits_view_tests {
    use super::*;
    use crate::limits::{ExtraUsage, ModelWindow, PaceBasis, Projection};
    use crate::test_support::utc;

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
            spend: None,
            credits: None,
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
            forecasts: vec![],
            errors: vec![],
        };
        let v = limits_view(
            &limits,
            &[80, 95],
            now,
            chrono_tz::Europe::Vienna,
            Clock::H24,
        );
        let lines: Vec<&str> = v.rows.iter().map(|r| r.line.as_str()).collect();
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
            v.projection_line.as_deref(),
            Some("At this pace the session fills at 15:10 (1h 10m)")
        );
        assert_eq!(
            v.extra_usage_line.as_deref(),
            Some("Extra usage: $12.40 of $50.00")
        );
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["session"]["source"], "statusline", "the figures stay");
        assert_eq!(json["rows"][2]["id"], "model:Opus");
        assert_eq!(json["rows"][0]["tone"], "operational");
    }

    #[test]
    fn tones_follow_the_thresholds() {
        let cases = [
            (79.0, &[80u8, 95][..], Level::Operational),
            (80.0, &[80, 95], Level::Degraded),
            (94.9, &[80, 95], Level::Degraded),
            (95.0, &[80, 95], Level::Outage),
            (60.0, &[50], Level::Degraded),
            (99.0, &[50], Level::Degraded),
            (100.0, &[50], Level::Outage),
            (100.0, &[], Level::Outage),
            (90.0, &[], Level::Operational),
        ];
        for (used, thresholds, expected) in cases {
            assert_eq!(tone(used, thresholds), expected, "{used} {thresholds:?}");
        }
    }
}
