//! The user's clock: how a time is written for them (their zone's calendar days, a 12- or
//! 24-hour clock), how long until it comes, and the next time of day in their zone (the pause
//! menu's "until 08:00"). The zone and the clock convention are parameters; the shells read
//! them from the system (`ccpulse_sources::clock`).

use chrono::{DateTime, Datelike, Days, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How the user reads clock times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Clock {
    /// `3:45pm`
    H12,
    /// `15:45`
    H24,
}

impl Clock {
    /// The convention of a locale: a POSIX name (`LC_TIME`, else `LC_ALL`, else `LANG`:
    /// `en_US.UTF-8`) or a BCP 47 tag as Windows and macOS give it (`en-US`): 12-hour where
    /// English-speaking countries use it, 24-hour elsewhere (and for `C`/`POSIX`).
    pub fn from_locale(locale: &str) -> Clock {
        let name = locale
            .split(['.', '@'])
            .next()
            .unwrap_or("")
            .replace('-', "_");
        match name.as_str() {
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

/// "just now", "5 min ago", "3 h ago", "2 days ago".
pub fn describe_age(secs: i64) -> String {
    match secs {
        s if s < 45 => "just now".to_string(),
        s if s < 3600 => format!("{} min ago", (s + 30) / 60),
        s if s < 48 * 3600 => format!("{} h ago", s / 3600),
        s => format!("{} days ago", s / 86400),
    }
}

/// The first `hour:minute` in `zone` after the day of `now` (08:00 tomorrow); `None` on a day
/// that has no such local time.
pub fn tomorrow_at(hour: u32, minute: u32, now: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
    let at = NaiveTime::from_hms_opt(hour, minute, 0)?;
    let tomorrow = now
        .with_timezone(&zone)
        .date_naive()
        .checked_add_days(Days::new(1))?;
    zone.from_local_datetime(&tomorrow.and_time(at))
        .earliest()
        .map(|t| t.to_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::utc;

    #[test]
    fn ages_read_naturally() {
        let cases = [
            (0, "just now"),
            (44, "just now"),
            (45, "1 min ago"),
            (299, "5 min ago"),
            (3600, "1 h ago"),
            (47 * 3600, "47 h ago"),
            (3 * 86400, "3 days ago"),
        ];
        for (secs, expected) in cases {
            assert_eq!(describe_age(secs), expected, "{secs}");
        }
    }

    #[test]
    fn tomorrow_at_eight_is_the_next_local_morning() {
        let vienna: Tz = "Europe/Vienna".parse().unwrap();
        // 23:30 in Vienna (CET, +1): 08:00 the next day is 07:00 UTC.
        assert_eq!(
            tomorrow_at(8, 0, utc("2026-12-02T22:30:00Z"), vienna),
            Some(utc("2026-12-03T07:00:00Z"))
        );
        // 00:30 local on Dec 3 is still Dec 2 in UTC: tomorrow is Dec 4 locally.
        assert_eq!(
            tomorrow_at(8, 0, utc("2026-12-02T23:30:00Z"), vienna),
            Some(utc("2026-12-04T07:00:00Z"))
        );
        // Across the spring DST change (Mar 29, 2026): 08:00 CEST is 06:00 UTC.
        assert_eq!(
            tomorrow_at(8, 0, utc("2026-03-28T12:00:00Z"), vienna),
            Some(utc("2026-03-29T06:00:00Z"))
        );
    }

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
        assert_eq!(
            Clock::from_locale("en-US"),
            Clock::H12,
            "as Windows and macOS name it"
        );
        assert_eq!(Clock::from_locale("de-AT"), Clock::H24);
        assert_eq!(Clock::from_locale("en_GB.UTF-8"), Clock::H24);
        assert_eq!(Clock::from_locale("de_AT.UTF-8@euro"), Clock::H24);
        assert_eq!(Clock::from_locale("C"), Clock::H24);
    }
}
