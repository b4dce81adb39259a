//! Local dates: which days a report covers ([`Range`]), and the local date of each entry's time,
//! quickly ([`LocalDates`]).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// Which days to report, inclusive, as local dates.
#[derive(Debug, Clone, Copy, Default)]
pub struct Range {
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

/// Local dates of times in one zone, remembered per quarter hour: consecutive entries of a
/// transcript mostly fall in the same one, and a zone lookup costs more than the rest of a
/// report's work per entry.
pub(super) struct LocalDates {
    zone: Tz,
    /// The quarter hour (seconds since the epoch / 900) and its date, when the date is the same
    /// at both ends of it and the offset does not change within it.
    last: Option<(i64, NaiveDate)>,
}

impl LocalDates {
    pub(super) fn new(zone: Tz) -> Self {
        Self { zone, last: None }
    }

    pub(super) fn date(&mut self, at: DateTime<Utc>) -> NaiveDate {
        use chrono::{Offset, TimeZone};
        let quarter = at.timestamp().div_euclid(900);
        if let Some((q, date)) = self.last {
            if q == quarter {
                return date;
            }
        }
        let date = at.with_timezone(&self.zone).date_naive();
        let start = DateTime::<Utc>::from_timestamp(quarter * 900, 0);
        let end = DateTime::<Utc>::from_timestamp(quarter * 900 + 899, 0);
        if let (Some(start), Some(end)) = (start, end) {
            let offset =
                |t: DateTime<Utc>| self.zone.offset_from_utc_datetime(&t.naive_utc()).fix();
            let local = |t: DateTime<Utc>| t.with_timezone(&self.zone).date_naive();
            let steady = offset(start) == offset(end) && local(start) == local(end);
            self.last = steady.then_some((quarter, date));
        }
        date
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The remembered quarter-hour dates equal a zone lookup per time, across DST changes,
    /// half-hour DST (Lord Howe) and a +05:45 offset.
    #[test]
    fn local_dates_equal_a_lookup_per_time() {
        let zones: [Tz; 5] = [
            "Europe/Vienna".parse().unwrap(),
            "America/New_York".parse().unwrap(),
            "Australia/Lord_Howe".parse().unwrap(),
            "Asia/Kathmandu".parse().unwrap(),
            "America/Santiago".parse().unwrap(),
        ];
        for zone in zones {
            let mut dates = LocalDates::new(zone);
            let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
                .unwrap()
                .to_utc();
            let mut t = start;
            while t < start + chrono::Duration::days(366) {
                assert_eq!(
                    dates.date(t),
                    t.with_timezone(&zone).date_naive(),
                    "{zone} {t}"
                );
                t += chrono::Duration::seconds(397);
            }
        }
    }
}
