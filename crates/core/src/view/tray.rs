//! What the tray shows, worded from the [`View`]: the icon's level and session ring, the
//! tooltip, the menu's lines and the pause menu.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::clock::tomorrow_at;
use crate::limits::WindowId;
use crate::service::Level;
use crate::view::View;

/// The session gauge around the icon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ring {
    /// 0 to 100.
    pub used_percent: u8,
    /// At or past the lowest notification threshold: drawn amber.
    pub warn: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayView {
    pub level: Level,
    pub ring: Option<Ring>,
    pub tooltip: String,
    /// The first (disabled) menu entry: the summary and how fresh it is.
    pub status_line: String,
    pub session: String,
    pub weekly: String,
    /// "Today: 4.5M tokens · $3.41 (local estimate)".
    pub usage: String,
    /// "Pause notifications", or "Notifications paused until 14:05".
    pub pause: String,
    pub paused: bool,
}

const LIMITS_UNKNOWN: (&str, &str) = (
    "Plan limits: not known yet",
    "`ccpulse statusline install` lets Claude Code report them",
);

pub fn tray_view(view: &View, zone: Tz) -> TrayView {
    let rows = &view.limits;
    let (session, weekly) = (rows.row(&WindowId::Session), rows.row(&WindowId::Weekly));
    let (session_text, weekly_text) = match (session, weekly) {
        (None, None) => (LIMITS_UNKNOWN.0.to_string(), LIMITS_UNKNOWN.1.to_string()),
        (s, w) => (
            s.map_or("Session (5h): not known".into(), |r| r.line.clone()),
            w.map_or("Weekly: not known".into(), |r| r.line.clone()),
        ),
    };
    let mut tooltip = vec![view.service.summary.clone()];
    tooltip.extend(view.overload.line.clone());
    // A window's line, and when it fills at its pace if that is before its reset.
    let with_pace = |r: &crate::view::limits::LimitRow| match &r.pace {
        Some(p) => format!("{} · {p}", r.line),
        None => r.line.clone(),
    };
    tooltip.extend(session.into_iter().chain(weekly).map(with_pace));
    // Then the other windows: the spend limit always (it stops work as the session does), a
    // weekly cap or the usage credits once they are near.
    tooltip.extend(
        rows.rows
            .iter()
            .filter(|r| match r.id {
                WindowId::Session | WindowId::Weekly => false,
                WindowId::Spend(_) => true,
                WindowId::Model(_) | WindowId::Credits => r.tone != Level::Operational,
            })
            .map(with_pace),
    );
    TrayView {
        level: view.service.level,
        ring: session.map(|r| Ring {
            used_percent: r.used_percent.clamp(0.0, 100.0).round() as u8,
            warn: r.tone != Level::Operational,
        }),
        tooltip: tooltip.join("\n"),
        status_line: view.service.status_line.clone(),
        session: session_text,
        weekly: weekly_text,
        usage: view.activity.today.clone(),
        pause: match view.paused_until {
            Some(until) => format!(
                "Notifications paused until {}",
                until.with_timezone(&zone).format("%H:%M")
            ),
            None => "Pause notifications".to_string(),
        },
        paused: view.paused_until.is_some(),
    }
}

/// The pause menu's choices: (id, label).
pub const PAUSES: [(&str, &str); 4] = [
    ("pause:30", "For 30 minutes"),
    ("pause:60", "For 1 hour"),
    ("pause:240", "For 4 hours"),
    ("pause:tomorrow", "Until 08:00 tomorrow"),
];

/// When a pause chosen at `now` ends; "tomorrow" is 08:00 in the user's zone.
pub fn pause_end(id: &str, now: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
    match id.strip_prefix("pause:")? {
        "tomorrow" => tomorrow_at(8, 0, now, zone),
        minutes => Some(now + Duration::minutes(minutes.parse::<u32>().ok()?.into())),
    }
}

/// Draw the session gauge onto a square RGBA icon: a ring along its edge, filled clockwise
/// from 12 o'clock to `used_percent` (white; amber when `warn`) over a darkened track.
pub fn draw_ring(rgba: &mut [u8], size: u32, used_percent: f64, warn: bool) {
    let size_f = f64::from(size);
    let (center, outer) = (size_f / 2.0, size_f / 2.0);
    let inner = outer - (size_f * 0.14).max(2.0);
    let filled = (used_percent / 100.0).clamp(0.0, 1.0);
    let fill: [u8; 3] = if warn {
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
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::limits::{Limits, Source, Window};
    use crate::overload::{ModelErrors, Overload, State};
    use crate::service::ServiceSnapshot;
    use crate::test_support::utc;
    use crate::view::{build, Facts};

    #[test]
    fn the_tray_says_the_service_the_wave_and_both_windows() {
        let now = utc("2026-11-25T13:00:00Z");
        let window = |used, resets: &str| Window {
            used_percent: used,
            resets_at: Some(utc(resets)),
            source: Source::Statusline,
            as_of: now,
        };
        let limits = Limits {
            session: Some(window(84.0, "2026-11-25T15:45:00Z")),
            weekly: Some(window(18.0, "2026-11-30T00:00:00Z")),
            ..Limits::default()
        };
        let overload = Overload {
            state: State::LocalWave,
            models: vec![ModelErrors {
                model: "claude-opus-4-5".into(),
                retries_15m: 5,
                failures_15m: 0,
            }],
            ..Overload::default()
        };
        let service = ServiceSnapshot {
            status: Some(crate::test_support::sample_status()),
            fetched_at: Some(now),
            error: None,
            offline: false,
        };
        let facts = Facts {
            paused_until: Some(utc("2026-11-25T17:00:00Z")),
            ..Facts::without_local(&service, &limits, &overload)
        };
        let zone = chrono_tz::Europe::Vienna;
        let view = build(
            &facts,
            &Config::default(),
            now,
            zone,
            crate::clock::Clock::H24,
        );
        let tray = tray_view(&view, zone);
        assert_eq!(
            tray.tooltip,
            "Claude: Elevated errors on Claude Opus (identified)\n\
             Overload: 5 errors in 15 min (claude-opus-4-5); not your quota, try /model\n\
             Session (5h) 84% · resets 16:45 (2h 45m)\n\
             Weekly 18% · resets Mon 01:00 (4d 11h)"
        );
        assert_eq!(tray.level, Level::Degraded);
        assert_eq!(
            tray.ring,
            Some(Ring {
                used_percent: 84,
                warn: true
            })
        );
        assert_eq!(tray.pause, "Notifications paused until 18:00");
        assert_eq!(tray.usage, "Today: reading transcripts…");

        // A window that fills before its reset at its pace says when.
        let limits = Limits {
            forecasts: vec![crate::limits::Forecast {
                window: WindowId::Session,
                full_at: Some(utc("2026-11-25T14:10:00Z")),
                percent_per_hour: 14.0,
                basis: crate::limits::PaceBasis::Readings,
            }],
            ..limits
        };
        let facts = Facts::without_local(&service, &limits, &overload);
        let view = build(
            &facts,
            &Config::default(),
            now,
            zone,
            crate::clock::Clock::H12,
        );
        let tooltip = tray_view(&view, zone).tooltip;
        let want = "Session (5h) 84% · resets 4:45pm (2h 45m) · at this pace full at 3:10pm\n\
                    Weekly 18% · resets Mon 1:00am (4d 11h)";
        assert!(tooltip.ends_with(want), "{tooltip}");
    }

    #[test]
    fn a_spend_limit_shows_in_the_tooltip_and_near_windows_in_the_status_line() {
        use crate::limits::{ModelWindow, SpendWindow};
        let now = utc("2026-12-10T12:00:00Z");
        let window = |used, resets: &str| Window {
            used_percent: used,
            resets_at: Some(utc(resets)),
            source: Source::Statusline,
            as_of: now,
        };
        let mut limits = Limits {
            session: Some(window(12.0, "2026-12-10T14:00:00Z")),
            spend: Some(SpendWindow {
                window: window(85.0, "2027-01-01T00:00:00Z"),
                used_usd: Some(42.5),
                limit_usd: Some(50.0),
                period: Some("monthly".into()),
            }),
            models: vec![ModelWindow {
                model: "Fable".into(),
                window: window(30.0, "2026-12-14T00:00:00Z"),
            }],
            ..Limits::default()
        };
        let service = ServiceSnapshot::default();
        let overload = Overload::default();
        let view_of = |limits: &Limits| {
            let facts = Facts::without_local(&service, limits, &overload);
            build(
                &facts,
                &Config::default(),
                now,
                chrono_tz::UTC,
                crate::clock::Clock::H24,
            )
        };
        let view = view_of(&limits);
        let spend = view
            .limits
            .row(&WindowId::Spend(Some("monthly".into())))
            .unwrap();
        assert_eq!(
            spend.line,
            "Spend (monthly) 85% · $42.50 of $50.00 · resets 1 Jan 00:00 (21d 12h)"
        );
        assert_eq!(spend.tone, Level::Degraded);
        let tray = tray_view(&view, chrono_tz::UTC);
        let tips: Vec<&str> = tray.tooltip.lines().skip(1).collect();
        assert_eq!(
            tips,
            [
                "Session (5h) 12% · resets 14:00 (2h 0m)",
                "Spend (monthly) 85% · $42.50 of $50.00 · resets 1 Jan 00:00 (21d 12h)",
            ],
            "a weekly cap far from its limit stays out"
        );
        let line = crate::view::statusline::line(&view.limits, None, None, None);
        assert_eq!(line, "5h 12% ↻14:00 · spend 85% · Claude ?");
        // A cap near its limit joins both; a spend limit far from it leaves the status line.
        limits.models[0].window.used_percent = 96.0;
        limits.spend.as_mut().unwrap().window.used_percent = 10.0;
        let view = view_of(&limits);
        let tray = tray_view(&view, chrono_tz::UTC);
        assert!(tray
            .tooltip
            .contains("\nWeekly Fable 96% · resets Mon 00:00 (3d 12h)"));
        assert!(tray.tooltip.contains("\nSpend (monthly) 10% · "));
        let line = crate::view::statusline::line(&view.limits, None, None, None);
        assert_eq!(line, "5h 12% ↻14:00 · Fable 96% · Claude ?");
    }

    #[test]
    fn pauses_end_when_chosen() {
        let now = utc("2026-12-02T22:30:00Z");
        let vienna = chrono_tz::Europe::Vienna;
        assert_eq!(
            pause_end("pause:30", now, vienna),
            Some(utc("2026-12-02T23:00:00Z"))
        );
        assert_eq!(
            pause_end("pause:240", now, vienna),
            Some(utc("2026-12-03T02:30:00Z"))
        );
        assert_eq!(
            pause_end("pause:tomorrow", now, vienna),
            Some(utc("2026-12-03T07:00:00Z"))
        );
        assert_eq!(pause_end("pause:soon", now, vienna), None);
        assert!(PAUSES
            .iter()
            .all(|(id, _)| pause_end(id, now, vienna).is_some()));
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
        draw_ring(&mut quarter, size, 30.0, false);
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
        draw_ring(&mut high, size, 85.0, true);
        assert_eq!(at(&high, bottom.0, bottom.1), [0xFF, 0xC8, 0x3D, 0xFF]);
        let mut none = base;
        draw_ring(&mut none, size, 0.0, false);
        assert_ne!(at(&none, top.0, top.1), [0xFF; 4]);
    }
}
