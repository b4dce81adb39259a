//! What the transcripts say about limits and API errors, for the quota and overload logic.
//!
//! Limit hits carry the reset time: from `apiErrorParams.rate_limit_info` when present, else read
//! from the message text ("You've hit your 5-hour limit · resets 1:31am (UTC)"), or from the old
//! `"Claude AI usage limit reached|<epoch seconds>"` form.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitKind {
    /// The 5-hour session window.
    Session,
    Weekly,
    /// The weekly Opus cap.
    Opus,
    /// The weekly Sonnet cap.
    Sonnet,
    /// A kind this version does not know, as Claude Code named it.
    Other(String),
    /// The old message form does not say which limit.
    Unspecified,
}

impl LimitKind {
    /// From `rate_limit_info.rateLimitType` / `rateLimits.rateLimitType`.
    pub fn from_rate_limit_type(t: &str) -> Self {
        match t {
            "five_hour" => Self::Session,
            "seven_day" => Self::Weekly,
            "seven_day_opus" => Self::Opus,
            "seven_day_sonnet" => Self::Sonnet,
            other => Self::Other(other.to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitHit {
    pub at: DateTime<Utc>,
    pub kind: LimitKind,
    pub resets_at: Option<DateTime<Utc>>,
    pub session_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorOrigin {
    /// A `system`/`api_error` record: one failed attempt that Claude Code retried (`-p` sessions).
    Retry,
    /// An interactive session sent the same request again: the previous attempt failed.
    InteractiveRetry,
    /// Retries ran out (or the error is not retried): the user saw it.
    Final,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub at: DateTime<Utc>,
    pub origin: ErrorOrigin,
    /// HTTP status when recorded (interactive retries do not record it).
    pub status: Option<u16>,
    pub model: Option<String>,
    /// `overloaded_error`, `rate_limit`, `server_error`, ... as recorded.
    pub kind: Option<String>,
    pub session_id: Option<String>,
}

/// Which limit a message names, and its reset time. `at` is when the message was written;
/// `local` is the zone to read a time in when the message names none.
pub fn parse_limit_text(
    text: &str,
    at: DateTime<Utc>,
    local: Tz,
) -> Option<(LimitKind, Option<DateTime<Utc>>)> {
    if let Some(rest) = text.trim().strip_prefix("Claude AI usage limit reached|") {
        let epoch = rest.trim().parse::<i64>().ok()?;
        return Some((LimitKind::Unspecified, Utc.timestamp_opt(epoch, 0).single()));
    }
    let lower = text.to_lowercase();
    let hit = lower
        .find("you've hit your ")
        .or_else(|| lower.find("you have hit your "))?;
    let after = &lower[hit..];
    let kind = if after.contains("5-hour limit") || after.contains("session limit") {
        LimitKind::Session
    } else if after.contains("opus limit") {
        LimitKind::Opus
    } else if after.contains("sonnet limit") {
        LimitKind::Sonnet
    } else if after.contains("weekly limit") {
        LimitKind::Weekly
    } else {
        LimitKind::Other(
            after
                .trim_start_matches("you've hit your ")
                .trim_start_matches("you have hit your ")
                .split(" limit")
                .next()
                .unwrap_or_default()
                .to_string(),
        )
    };
    let resets = after
        .find("resets ")
        .and_then(|i| parse_reset(&text[hit + i + "resets ".len()..], at, local));
    Some((kind, resets))
}

/// "1:31am (UTC)", "3:45pm (Europe/Vienna)", "Mon 12:00am (Europe/Vienna)", "5pm": the first
/// such moment after `at`.
fn parse_reset(text: &str, at: DateTime<Utc>, local: Tz) -> Option<DateTime<Utc>> {
    let (clock, zone) = match text.find('(') {
        Some(open) => {
            let close = text[open..].find(')')? + open;
            (
                text[..open].trim(),
                text[open + 1..close].trim().parse::<Tz>().ok()?,
            )
        }
        None => (text.trim(), local),
    };
    let mut words = clock.split_whitespace().peekable();
    let weekday = words
        .peek()
        .and_then(|w| w.trim_end_matches(',').parse::<Weekday>().ok());
    if weekday.is_some() {
        words.next();
    }
    let time = parse_clock(words.next()?)?;
    let start = at.with_timezone(&zone);
    // Look a week ahead at most: every later day, the first matching wall time after `at`.
    (0..=7).find_map(|days| {
        let date = start.date_naive() + Duration::days(days);
        if weekday.is_some_and(|w| date.weekday() != w) {
            return None;
        }
        // In a DST gap the wall time does not exist; take the first instant after it.
        let local_time = zone
            .from_local_datetime(&date.and_time(time))
            .earliest()
            .or_else(|| {
                zone.from_local_datetime(&(date.and_time(time) + Duration::hours(1)))
                    .earliest()
            })?;
        let utc = local_time.with_timezone(&Utc);
        (utc > at).then_some(utc)
    })
}

/// "1:31am", "12:00am", "5pm", "17:05".
fn parse_clock(word: &str) -> Option<NaiveTime> {
    let w = word.trim().to_lowercase();
    let (digits, pm) = if let Some(d) = w.strip_suffix("am") {
        (d, Some(false))
    } else if let Some(d) = w.strip_suffix("pm") {
        (d, Some(true))
    } else {
        (w.as_str(), None)
    };
    let (h, m) = match digits.split_once(':') {
        Some((h, m)) => (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?),
        None => (digits.parse::<u32>().ok()?, 0),
    };
    let h = match pm {
        Some(pm) if (1..=12).contains(&h) => h % 12 + if pm { 12 } else { 0 },
        Some(_) => return None,
        None => h,
    };
    NaiveTime::from_hms_opt(h, m, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn limit_texts() {
        let at = t("2026-11-24T23:31:33Z"); // a Tuesday
        let vienna: Tz = "Europe/Vienna".parse().unwrap();
        let cases: [(&str, LimitKind, Option<&str>); 8] = [
            (
                "You've hit your 5-hour limit · resets 1:31am (UTC)",
                LimitKind::Session,
                Some("2026-11-25T01:31:00Z"),
            ),
            (
                "You've hit your session limit · resets 3:45pm (Europe/Vienna)",
                LimitKind::Session,
                Some("2026-11-25T14:45:00Z"),
            ),
            (
                "You've hit your weekly limit · resets Mon 12:00am (Europe/Vienna)",
                LimitKind::Weekly,
                Some("2026-11-29T23:00:00Z"),
            ),
            (
                "You've hit your Opus limit · resets 5pm (America/New_York)",
                LimitKind::Opus,
                Some("2026-11-25T22:00:00Z"),
            ),
            (
                "You've hit your weekly limit · resets Mon 12:00am",
                LimitKind::Weekly,
                Some("2026-11-29T23:00:00Z"),
            ),
            (
                "Claude AI usage limit reached|1795570293",
                LimitKind::Unspecified,
                Some("2026-11-25T01:31:33Z"),
            ),
            (
                "You've hit your session limit · resets 3:45pm (Mars/Olympus)",
                LimitKind::Session,
                None,
            ),
            (
                "You've hit your frobnicator limit",
                LimitKind::Other("frobnicator".into()),
                None,
            ),
        ];
        for (text, kind, resets) in cases {
            let (k, r) = parse_limit_text(text, at, vienna).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(k, kind, "{text}");
            assert_eq!(r, resets.map(t), "{text}");
        }
        assert_eq!(
            parse_limit_text("API Error: 529 Overloaded", at, vienna),
            None
        );
    }

    #[test]
    fn reset_times_across_dst_and_midnight() {
        let vienna: Tz = "Europe/Vienna".parse().unwrap();
        // Vienna leaves summer time on 2026-10-25 at 03:00 -> 02:00.
        let before = t("2026-10-24T22:30:00Z"); // 00:30 CEST on the 25th
        let (_, r) = parse_limit_text(
            "You've hit your 5-hour limit · resets 4:00am (Europe/Vienna)",
            before,
            vienna,
        )
        .unwrap();
        assert_eq!(
            r,
            Some(t("2026-10-25T03:00:00Z")),
            "4:00 CET after the change"
        );
        // New York springs forward on 2026-03-08: 2:30am does not exist that day.
        let ny: Tz = "America/New_York".parse().unwrap();
        let (_, r) = parse_limit_text(
            "You've hit your 5-hour limit · resets 2:30am",
            t("2026-03-08T05:00:00Z"),
            ny,
        )
        .unwrap();
        assert_eq!(
            r,
            Some(t("2026-03-08T07:30:00Z")),
            "3:30 EDT, the first instant after the gap"
        );
        // A time already past today means tomorrow.
        let (_, r) = parse_limit_text(
            "You've hit your 5-hour limit · resets 11:00pm (UTC)",
            t("2026-11-24T23:31:00Z"),
            vienna,
        )
        .unwrap();
        assert_eq!(r, Some(t("2026-11-25T23:00:00Z")));
    }

    #[test]
    fn clocks() {
        let cases = [
            ("12:00am", Some((0, 0))),
            ("12:30pm", Some((12, 30))),
            ("1pm", Some((13, 0))),
            ("17:05", Some((17, 5))),
            ("13pm", None),
            ("x", None),
        ];
        for (w, want) in cases {
            assert_eq!(
                parse_clock(w),
                want.map(|(h, m)| NaiveTime::from_hms_opt(h, m, 0).unwrap()),
                "{w}"
            );
        }
    }
}
