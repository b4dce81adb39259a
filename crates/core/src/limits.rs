//! Plan limits: the 5-hour session window, the weekly window and per-model weekly caps, merged
//! from the sources that report them (Claude Code's status line feed, the OAuth usage endpoint,
//! local evidence), each figure with where it came from and how old it is; and how reset times
//! read in the user's zone and clock.

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Where a figure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Claude Code's status line input (`rate_limits`).
    Statusline,
    /// The OAuth usage endpoint.
    Oauth,
    /// Local transcripts (limit-hit messages).
    Local,
}

impl Source {
    /// Which of two equally fresh figures wins: the status line comes from Claude Code itself.
    fn priority(self) -> u8 {
        match self {
            Source::Statusline => 0,
            Source::Oauth => 1,
            Source::Local => 2,
        }
    }
}

/// One window as a source reports it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// 0 to 100; more than 100 happens.
    pub used_percent: f64,
    pub resets_at: Option<DateTime<Utc>>,
}

/// A per-model weekly cap as a source reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelReading {
    /// The model's name as the source gives it (`Opus`, `Sonnet`, or a display name).
    pub model: String,
    pub reading: Reading,
}

/// Extra usage (credits beyond the plan), in the currency's major units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtraUsage {
    pub enabled: bool,
    pub used: f64,
    pub limit: Option<f64>,
    pub currency: Option<String>,
}

/// What one source said, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    pub source: Source,
    pub as_of: DateTime<Utc>,
    pub session: Option<Reading>,
    pub weekly: Option<Reading>,
    #[serde(default)]
    pub models: Vec<ModelReading>,
    #[serde(default)]
    pub extra_usage: Option<ExtraUsage>,
}

/// A window as shown: the figure, its reset and its provenance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Window {
    pub used_percent: f64,
    /// `None` once the window has reset and no source has seen the next one yet.
    pub resets_at: Option<DateTime<Utc>>,
    pub source: Source,
    pub as_of: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelWindow {
    pub model: String,
    #[serde(flatten)]
    pub window: Window,
}

/// Everything known of the plan's limits (`ccpulse status --json` → `limits`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Limits {
    pub session: Option<Window>,
    pub weekly: Option<Window>,
    pub models: Vec<ModelWindow>,
    pub extra_usage: Option<ExtraUsage>,
    /// Why a source could not be read (each names the source and what to do).
    pub errors: Vec<String>,
}

/// The window a reading describes now: a window whose reset has passed has started again at 0
/// (its next reset is not known until a source sees it).
fn window(r: &Reading, source: Source, as_of: DateTime<Utc>, now: DateTime<Utc>) -> Window {
    match r.resets_at {
        Some(at) if at <= now => Window {
            used_percent: 0.0,
            resets_at: None,
            source,
            as_of,
        },
        resets_at => Window {
            used_percent: r.used_percent,
            resets_at,
            source,
            as_of,
        },
    }
}

/// The freshest figure for each window; a tie goes to the status line, then OAuth.
pub fn merge(observed: &[Observed], errors: Vec<String>, now: DateTime<Utc>) -> Limits {
    let mut by_freshness: Vec<&Observed> = observed.iter().collect();
    by_freshness.sort_by(|a, b| {
        b.as_of
            .cmp(&a.as_of)
            .then(a.source.priority().cmp(&b.source.priority()))
    });
    let pick = |get: &dyn Fn(&Observed) -> Option<Reading>| {
        by_freshness
            .iter()
            .find_map(|o| get(o).map(|r| window(&r, o.source, o.as_of, now)))
    };
    let mut models: Vec<ModelWindow> = Vec::new();
    for o in &by_freshness {
        for m in &o.models {
            if !models.iter().any(|x| x.model == m.model) {
                models.push(ModelWindow {
                    model: m.model.clone(),
                    window: window(&m.reading, o.source, o.as_of, now),
                });
            }
        }
    }
    Limits {
        session: pick(&|o| o.session),
        weekly: pick(&|o| o.weekly),
        models,
        extra_usage: by_freshness.iter().find_map(|o| o.extra_usage.clone()),
        errors,
    }
}

/// How the user reads clock times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Clock {
    /// `3:45pm`
    H12,
    /// `15:45`
    H24,
}

impl Clock {
    /// The convention of a POSIX locale name (`LC_TIME`, else `LC_ALL`, else `LANG`): 12-hour
    /// where English-speaking countries use it, 24-hour elsewhere (and for `C`/`POSIX`).
    pub fn from_locale(locale: &str) -> Clock {
        let name = locale.split(['.', '@']).next().unwrap_or("");
        match name {
            "en_US" | "en_CA" | "en_AU" | "en_NZ" | "en_PH" | "en_IN" | "en_PK" | "en_EG" => {
                Clock::H12
            }
            _ => Clock::H24,
        }
    }

    fn time(self, t: DateTime<Tz>) -> String {
        match self {
            Clock::H24 => format!("{:02}:{:02}", t.hour(), t.minute()),
            Clock::H12 => {
                let (pm, hour) = t.hour12();
                format!("{hour}:{:02}{}", t.minute(), if pm { "pm" } else { "am" })
            }
        }
    }
}

/// When `at` comes, as the user reads it in `zone`: the time alone today (`3:45pm`), with the
/// weekday within a week (`Mon 12:00am`), with the date beyond (`Dec 3 12:00am`). Days are the
/// zone's calendar days, so DST changes and midnight fall where the user expects.
pub fn reset_label(at: DateTime<Utc>, now: DateTime<Utc>, zone: Tz, clock: Clock) -> String {
    let (at, today) = (
        at.with_timezone(&zone),
        now.with_timezone(&zone).date_naive(),
    );
    let time = clock.time(at);
    let days = (at.date_naive() - today).num_days();
    match days {
        0 => time,
        1..=6 => format!("{} {time}", at.format("%a")),
        _ => match clock {
            Clock::H12 => format!("{} {} {time}", at.format("%b"), at.day()),
            Clock::H24 => format!("{} {} {time}", at.day(), at.format("%b")),
        },
    }
}

/// The time left until `at`: `2h 13m`, `3d 4h`, `45m`, `<1m`; `now` once it has passed.
pub fn countdown(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (at - now).num_seconds();
    if secs <= 0 {
        return "now".into();
    }
    let mins = secs / 60;
    let (d, h, m) = (mins / 1440, mins / 60 % 24, mins % 60);
    match (d, h, m) {
        (0, 0, 0) => "<1m".into(),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn observed(source: Source, as_of: &str, used: f64, resets: &str) -> Observed {
        Observed {
            source,
            as_of: utc(as_of),
            session: Some(Reading {
                used_percent: used,
                resets_at: Some(utc(resets)),
            }),
            weekly: None,
            models: vec![],
            extra_usage: None,
        }
    }

    #[test]
    fn the_freshest_source_wins_and_a_tie_goes_to_the_status_line() {
        let now = utc("2026-07-03T00:00:00Z");
        let a = observed(
            Source::Oauth,
            "2026-07-02T23:50:00Z",
            11.0,
            "2026-07-03T00:30:00Z",
        );
        let b = observed(
            Source::Statusline,
            "2026-07-02T23:40:00Z",
            9.0,
            "2026-07-03T00:30:00Z",
        );
        let l = merge(&[b.clone(), a.clone()], vec![], now);
        let s = l.session.unwrap();
        assert_eq!((s.used_percent, s.source), (11.0, Source::Oauth));
        let tie = Observed {
            as_of: a.as_of,
            ..b
        };
        let s = merge(&[a, tie], vec![], now).session.unwrap();
        assert_eq!((s.used_percent, s.source), (9.0, Source::Statusline));
        assert_eq!(merge(&[], vec![], now), Limits::default());
    }

    #[test]
    fn a_window_past_its_reset_starts_again_at_zero() {
        let o = observed(
            Source::Statusline,
            "2026-07-02T20:00:00Z",
            97.0,
            "2026-07-02T21:00:00Z",
        );
        let s = merge(&[o], vec![], utc("2026-07-02T21:00:00Z"))
            .session
            .unwrap();
        assert_eq!((s.used_percent, s.resets_at), (0.0, None));
    }

    /// Reset labels around the DST changes of two zones, and across midnight, in both clocks.
    #[test]
    fn reset_labels_follow_the_zone_across_dst_and_midnight() {
        let vienna: Tz = "Europe/Vienna".parse().unwrap();
        let new_york: Tz = "America/New_York".parse().unwrap();
        let cases = [
            // Vienna springs forward at 01:00 UTC on 2026-03-29: 03:00 UTC is 05:00 CEST.
            (
                vienna,
                "2026-03-29T00:30:00Z",
                "2026-03-29T03:00:00Z",
                "5:00am",
                "05:00",
            ),
            // And falls back at 01:00 UTC on 2026-10-25: 01:30 UTC is 02:30 CET.
            (
                vienna,
                "2026-10-25T00:10:00Z",
                "2026-10-25T01:30:00Z",
                "2:30am",
                "02:30",
            ),
            // New York springs forward at 07:00 UTC on 2026-03-08: 08:15 UTC is 04:15 EDT.
            (
                new_york,
                "2026-03-08T06:00:00Z",
                "2026-03-08T08:15:00Z",
                "4:15am",
                "04:15",
            ),
            // A reset at local midnight is tomorrow's: weekday shown.
            (
                new_york,
                "2026-11-02T20:00:00Z",
                "2026-11-03T05:00:00Z",
                "Tue 12:00am",
                "Tue 00:00",
            ),
            // 23:59 local is still today.
            (
                vienna,
                "2026-07-01T10:00:00Z",
                "2026-07-01T21:59:00Z",
                "11:59pm",
                "23:59",
            ),
            // Beyond a week: the date.
            (
                vienna,
                "2026-07-01T10:00:00Z",
                "2026-07-09T10:00:00Z",
                "Jul 9 12:00pm",
                "9 Jul 12:00",
            ),
        ];
        for (zone, now, at, h12, h24) in cases {
            let (now, at) = (utc(now), utc(at));
            assert_eq!(reset_label(at, now, zone, Clock::H12), h12, "{zone} {at}");
            assert_eq!(reset_label(at, now, zone, Clock::H24), h24, "{zone} {at}");
        }
    }

    /// Countdowns are real durations: across a DST change an hour is an hour.
    #[test]
    fn countdowns_count_real_time() {
        let now = utc("2026-03-29T00:30:00Z");
        assert_eq!(countdown(utc("2026-03-29T03:00:00Z"), now), "2h 30m");
        assert_eq!(countdown(utc("2026-03-29T00:30:59Z"), now), "<1m");
        assert_eq!(countdown(utc("2026-03-29T01:15:00Z"), now), "45m");
        assert_eq!(countdown(utc("2026-04-01T05:30:00Z"), now), "3d 5h");
        assert_eq!(countdown(now, now), "now");
    }

    #[test]
    fn clock_conventions_come_from_the_locale() {
        assert_eq!(Clock::from_locale("en_US.UTF-8"), Clock::H12);
        assert_eq!(Clock::from_locale("en_GB.UTF-8"), Clock::H24);
        assert_eq!(Clock::from_locale("de_AT.UTF-8@euro"), Clock::H24);
        assert_eq!(Clock::from_locale("C"), Clock::H24);
    }
}
