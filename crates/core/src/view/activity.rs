//! Local activity as the shells word it: today's use, the burn rate over the last hour and the
//! API error rate (the tray's usage line, the panel's activity card).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::signals::ApiError;

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
    api_errors: &[ApiError],
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
    use crate::signals::ErrorOrigin;

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
