//! The History tab's plan limits over time, from the limit history the tray keeps: for each day
//! shown, the highest percent read that day of the 5-hour session (so the fullest of that day's
//! windows), of the week, and of each model's week. A day without a reading has no point: the
//! line skips it, nothing is made up.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::limits::history::History;
use crate::limits::WindowId;

use super::{LimitPoint, LimitSeries, LimitsOverTime};

impl super::HistoryView {
    /// The view with its plan limits over time from `history` (`zone`: the view's).
    pub fn with_limits(mut self, history: &History, zone: Tz) -> Self {
        let dates: Vec<NaiveDate> = self
            .days
            .iter()
            .filter_map(|d| NaiveDate::parse_from_str(&d.date, "%Y-%m-%d").ok())
            .collect();
        self.limits = over_time(history, &dates, zone);
        self
    }
}

/// The series over `dates` (the days the view shows, oldest first); `None` when the history has
/// no reading on any of them.
pub fn over_time(history: &History, dates: &[NaiveDate], zone: Tz) -> Option<LimitsOverTime> {
    let (first, last) = (*dates.first()?, *dates.last()?);
    // Session, then Weekly, then the models' weeks by name (`WindowId`'s order).
    let ids: BTreeSet<&WindowId> = history
        .samples()
        .iter()
        .map(|s| &s.window)
        .filter(|w| matches!(w, WindowId::Session | WindowId::Weekly | WindowId::Model(_)))
        .collect();
    let windows: Vec<LimitSeries> = ids
        .into_iter()
        .filter_map(|id| {
            let points: Vec<LimitPoint> = history
                .daily_peaks(id, zone)
                .into_iter()
                .filter(|(day, _)| (first..=last).contains(day))
                .map(|(day, used)| LimitPoint {
                    date: day.format("%Y-%m-%d").to_string(),
                    used_percent: used,
                    label: format!("{used:.0}%"),
                })
                .collect();
            let label = match id {
                WindowId::Session => "Session (5h), the fullest window of the day".to_string(),
                other => other.label(),
            };
            (!points.is_empty()).then(|| LimitSeries {
                id: id.key(),
                label,
                points,
            })
        })
        .collect();
    (!windows.is_empty()).then_some(LimitsOverTime { windows })
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};

    use super::*;
    use crate::limits::history::Sample;
    use crate::limits::Source;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    fn read(at: DateTime<Utc>, window: WindowId, used: f64) -> Sample {
        Sample {
            at,
            source: Source::Statusline,
            window,
            used_percent: used,
            resets_at: Some(at + chrono::Duration::hours(3)),
        }
    }

    #[test]
    fn each_day_has_its_highest_reading_and_days_without_none() {
        let history = History::from_samples(vec![
            read(at(10, 9), WindowId::Session, 40.0),
            read(at(10, 15), WindowId::Session, 85.0),
            read(at(10, 16), WindowId::Session, 10.0),
            read(at(10, 15), WindowId::Weekly, 31.0),
            read(at(12, 8), WindowId::Weekly, 44.5),
            read(at(12, 8), WindowId::Model("Opus".into()), 12.0),
            // Before the days shown.
            read(at(1, 8), WindowId::Weekly, 99.0),
            read(at(12, 8), WindowId::Credits, 50.0),
        ]);
        let dates: Vec<NaiveDate> = (9..=12)
            .map(|d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap())
            .collect();
        let limits = over_time(&history, &dates, chrono_tz::UTC).unwrap();
        let got: Vec<(String, Vec<(String, f64)>)> = limits
            .windows
            .iter()
            .map(|w| {
                let points = w.points.iter().map(|p| (p.date.clone(), p.used_percent));
                (w.id.clone(), points.collect())
            })
            .collect();
        assert_eq!(
            got,
            [
                ("session".into(), vec![("2026-11-10".into(), 85.0)]),
                (
                    "weekly".into(),
                    vec![("2026-11-10".into(), 31.0), ("2026-11-12".into(), 44.5)]
                ),
                ("model:Opus".into(), vec![("2026-11-12".into(), 12.0)]),
            ]
        );
        assert_eq!(limits.windows[2].label, "Weekly Opus");
        assert_eq!(limits.windows[1].points[1].label, "44%");
    }

    #[test]
    fn days_are_the_users() {
        // 23:30 UTC on the 10th is the 11th in Tokyo.
        let late = Utc.with_ymd_and_hms(2026, 11, 10, 23, 30, 0).unwrap();
        let history = History::from_samples(vec![read(late, WindowId::Weekly, 20.0)]);
        let dates: Vec<NaiveDate> = (10..=11)
            .map(|d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap())
            .collect();
        let tokyo = over_time(&history, &dates, chrono_tz::Asia::Tokyo).unwrap();
        assert_eq!(tokyo.windows[0].points[0].date, "2026-11-11");
        let utc = over_time(&history, &dates, chrono_tz::UTC).unwrap();
        assert_eq!(utc.windows[0].points[0].date, "2026-11-10");
    }

    #[test]
    fn no_reading_in_the_days_shown_is_no_section() {
        let history = History::from_samples(vec![read(at(1, 8), WindowId::Weekly, 20.0)]);
        let dates = [NaiveDate::from_ymd_opt(2026, 11, 10).unwrap()];
        assert_eq!(over_time(&history, &dates, chrono_tz::UTC), None);
        assert_eq!(over_time(&History::default(), &dates, chrono_tz::UTC), None);
    }
}
