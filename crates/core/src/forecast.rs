//! The pace of each window, and when it fills: from the window's own readings (the status line,
//! the OAuth usage endpoint, Claude Code's `get_usage`) in its current reset, else, for the
//! session, from local spend (`limits::local`'s projection).
//!
//! **The pace of readings** is an average over the last [`SPAN`]: from the level at the span's
//! start (on the line between the readings either side of it; the window's own start, at 0%,
//! when it began within the span; else the first reading in it) to the level now, divided by the time *to now*, not to
//! the last reading. So when use stops (no new readings, or readings that stay put), the pace
//! falls with every minute; a burst counts for what it added over the hour, not at the rate it
//! went. A single noisy reading: a reading higher than a later one (beyond [`NOISE`]) is left
//! out (usage within a window never goes down), a lower one never lowers the level (the
//! level is the highest reading so far), and the latest reading is not taken on its own word:
//! the pace is the lower of the average to now and the average as it stood at the reading
//! before it, so a spike counts only once the next reading confirms it. A steady climb gives its exact rate
//! both ways. Under [`MIN_SPAN`] of readings there is no pace.

use chrono::{DateTime, Duration, Utc};

use crate::limits::history::{reset_minute, History};
use crate::limits::{Forecast, Limits, PaceBasis, Source, WindowId, SESSION};

/// The readings of the last this long make the pace.
pub const SPAN: Duration = Duration::minutes(60);
/// Fewer minutes of readings than this make no pace.
pub const MIN_SPAN: Duration = Duration::minutes(5);
/// A reading higher than a later one by more than this many points is noise.
pub const NOISE: f64 = 1.0;

/// How long a window lasts, when its start can be known from its reset.
fn length(id: &WindowId) -> Option<Duration> {
    match id {
        WindowId::Session => Some(SESSION),
        WindowId::Weekly | WindowId::Model(_) => Some(Duration::days(7)),
        WindowId::Spend(_) | WindowId::Credits => None,
    }
}

fn hours(d: Duration) -> f64 {
    d.num_milliseconds() as f64 / 3_600_000.0
}

/// The pace of `id`'s readings in its window that resets at `resets_at`, in percent an hour,
/// and the level now; `None` without [`MIN_SPAN`] of readings in the last [`SPAN`].
pub fn readings_pace(
    history: &History,
    id: &WindowId,
    resets_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<(f64, f64)> {
    let minute = reset_minute(resets_at);
    let all: Vec<(DateTime<Utc>, f64)> = history
        .samples()
        .iter()
        .filter(|s| &s.window == id && s.source != Source::Local && s.at <= now)
        .filter(|s| s.resets_at.map(reset_minute) == Some(minute))
        .map(|s| (s.at, s.used_percent))
        .collect();
    // Leave out a reading higher than a later one.
    let mut clean = Vec::with_capacity(all.len());
    let mut lowest_after = f64::INFINITY;
    for p in all.iter().rev() {
        if p.1 <= lowest_after + NOISE {
            clean.push(*p);
        }
        lowest_after = lowest_after.min(p.1);
    }
    clean.reverse();
    let window_start = length(id).map(|l| resets_at - l);
    // Where the span ending at `end` starts, and the level there.
    let start_of = |end: DateTime<Utc>| -> Option<(DateTime<Utc>, f64)> {
        let s = end - SPAN;
        if let Some(ws) = window_start.filter(|ws| *ws > s && *ws <= end) {
            return Some((ws, 0.0));
        }
        let after = clean.iter().find(|p| p.0 > s);
        match (clean.iter().rev().find(|p| p.0 <= s), after) {
            // Between two readings: the level where the line between them crosses the start.
            (Some(b), Some(a)) => {
                let f = hours(s - b.0) / hours(a.0 - b.0);
                Some((s, b.1 + (a.1 - b.1).max(0.0) * f))
            }
            (Some(b), None) => Some((s, b.1)),
            (None, a) => a.copied(),
        }
    };
    // The level after each reading from `start` to `end`: the highest so far.
    let levels = |start: (DateTime<Utc>, f64), end: DateTime<Utc>| {
        let mut level = start.1;
        clean
            .iter()
            .filter(|p| p.0 > start.0 && p.0 <= end)
            .map(|p| {
                level = level.max(p.1);
                (p.0, level)
            })
            .collect::<Vec<_>>()
    };
    let start = start_of(now)?;
    let now_levels = levels(start, now);
    let last = *now_levels.last()?;
    if now - start.0 < MIN_SPAN {
        return None;
    }
    let to_now = (last.1 - start.1).max(0.0) / hours(now - start.0);
    // The same average as it stood at the reading before the latest one.
    let before = now_levels.len().checked_sub(2).map(|i| now_levels[i]);
    let then = before.and_then(|prev| {
        let start = start_of(prev.0)?;
        let level = levels(start, prev.0).last()?.1;
        (prev.0 - start.0 >= MIN_SPAN).then(|| (level - start.1).max(0.0) / hours(prev.0 - start.0))
    });
    Some((then.map_or(to_now, |t| to_now.min(t)), last.1))
}

/// When each window with a reset to come fills at its pace: the pace of its readings, else
/// (the session only) the projection of local spend. A full window has none.
pub fn forecasts(limits: &Limits, history: &History, now: DateTime<Utc>) -> Vec<Forecast> {
    let mut out = Vec::new();
    for (id, w) in limits.windows() {
        let Some(resets_at) = w.resets_at.filter(|r| *r > now) else {
            continue;
        };
        if w.used_percent >= 100.0 {
            continue;
        }
        if let Some((pace, level)) = readings_pace(history, &id, resets_at, now) {
            let full_at = (pace > 0.0)
                .then(|| {
                    let secs = (100.0 - level).max(0.0) / pace * 3600.0;
                    now + Duration::seconds(secs.min(1e9) as i64)
                })
                .filter(|at| *at < resets_at);
            out.push(Forecast {
                window: id,
                full_at,
                percent_per_hour: pace,
                basis: PaceBasis::Readings,
            });
        } else if let (WindowId::Session, Some(p)) = (&id, &limits.projection) {
            if p.basis == PaceBasis::LocalSpend {
                out.push(Forecast {
                    window: id,
                    full_at: p.full_at,
                    percent_per_hour: p.percent_per_hour,
                    basis: p.basis,
                });
            }
        }
    }
    out
}

/// `limits` with its forecasts, the session's projection following its readings when it has
/// some.
pub fn with_forecasts(mut limits: Limits, history: &History, now: DateTime<Utc>) -> Limits {
    limits.forecasts = forecasts(&limits, history, now);
    let session = limits
        .forecasts
        .iter()
        .find(|f| f.window == WindowId::Session && f.basis == PaceBasis::Readings);
    if let Some(f) = session {
        limits.projection = Some(crate::limits::Projection {
            full_at: f.full_at,
            percent_per_hour: f.percent_per_hour,
            basis: f.basis,
        });
    }
    limits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::history::Sample;
    use crate::test_support::utc;

    fn reading(at: DateTime<Utc>, used: f64, resets: DateTime<Utc>) -> Sample {
        Sample {
            at,
            source: Source::Statusline,
            window: WindowId::Session,
            used_percent: used,
            resets_at: Some(resets),
        }
    }

    #[test]
    fn a_steady_climb_gives_its_rate_and_a_spike_is_not_taken_on_its_word() {
        let resets = utc("2026-11-25T17:00:00Z");
        let start = resets - SESSION;
        // 30% an hour, a reading every 5 minutes.
        let mut samples: Vec<Sample> = (1..=24)
            .map(|i| reading(start + Duration::minutes(5 * i), 2.5 * i as f64, resets))
            .collect();
        let h = History::from_samples(samples.clone());
        let now = start + Duration::minutes(120);
        let (pace, level) = readings_pace(&h, &WindowId::Session, resets, now).unwrap();
        assert!((pace - 30.0).abs() < 1e-9, "{pace}");
        assert_eq!(level, 60.0);
        // A spike as the latest reading counts only once confirmed.
        samples.push(reading(now + Duration::minutes(1), 90.0, resets));
        let h = History::from_samples(samples.clone());
        let later = now + Duration::minutes(1);
        let (pace, _) = readings_pace(&h, &WindowId::Session, resets, later).unwrap();
        assert!(pace < 31.0, "{pace}");
        // Then the next reading shows it was noise: it is left out.
        samples.push(reading(now + Duration::minutes(5), 62.5, resets));
        let h = History::from_samples(samples);
        let (pace, level) =
            readings_pace(&h, &WindowId::Session, resets, now + Duration::minutes(5)).unwrap();
        assert_eq!(level, 62.5);
        assert!((pace - 30.0).abs() < 1e-9, "{pace}");
        // Another window's readings, and none: no pace.
        let other = utc("2026-11-25T22:00:00Z");
        assert_eq!(readings_pace(&h, &WindowId::Session, other, now), None);
        assert_eq!(
            readings_pace(&History::default(), &WindowId::Weekly, resets, now),
            None
        );
    }
}
