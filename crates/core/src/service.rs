//! The service source's state over time: the last good reading, when it was taken, and what went
//! wrong since. A failure never erases the last good reading; it makes it stale.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::status::ServiceStatus;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceSnapshot {
    /// The last good reading.
    pub status: Option<ServiceStatus>,
    /// When the last good reading was confirmed (a 200, or a 304 for it).
    pub fetched_at: Option<DateTime<Utc>>,
    /// The last attempt's error, naming the URL; `None` after a success.
    pub error: Option<String>,
    /// The last attempt reached nothing (no name resolution, no connection): this machine is
    /// probably offline, rather than the page failing.
    #[serde(default)]
    pub offline: bool,
}

impl ServiceSnapshot {
    /// A reading arrived (or a 304 confirmed the one we have).
    pub fn confirmed(&mut self, status: Option<ServiceStatus>, now: DateTime<Utc>) {
        if let Some(status) = status {
            self.status = Some(status);
        }
        self.fetched_at = Some(now);
        self.error = None;
        self.offline = false;
    }

    pub fn failed(&mut self, error: String, offline: bool) {
        self.error = Some(error);
        self.offline = offline;
    }

    /// The data does not reflect the latest attempt (or there is none).
    pub fn stale(&self) -> bool {
        self.status.is_none() || self.error.is_some()
    }

    pub fn age_secs(&self, now: DateTime<Utc>) -> Option<i64> {
        self.fetched_at.map(|t| (now - t).num_seconds().max(0))
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_failure_keeps_the_last_good_reading() {
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let mut s = ServiceSnapshot::default();
        assert!(s.stale());
        s.confirmed(Some(crate::report::tests::sample_status()), t0);
        assert!(!s.stale());
        s.failed("GET http://x/api/v2/summary.json: timed out".into(), false);
        assert!(s.stale());
        assert!(s.status.is_some());
        assert_eq!(s.fetched_at, Some(t0));
        assert_eq!(s.age_secs(t0 + chrono::Duration::seconds(90)), Some(90));
        s.confirmed(None, t0 + chrono::Duration::seconds(120));
        assert!(!s.stale());
        assert!(s.status.is_some(), "a 304 keeps the reading");
    }
}
