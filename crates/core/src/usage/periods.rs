//! The calendar reports: [`daily`], [`weekly`] and [`monthly`] rows of local dates.

use std::borrow::Borrow;
use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};
use chrono_tz::Tz;
use serde::Serialize;

use super::dates::{LocalDates, Range};
use super::sums::{totals_of, Sums, Totals};
use super::{Entry, Models};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyRow {
    pub date: String,
    #[serde(flatten)]
    pub sums: Sums,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyReport {
    pub daily: Vec<DailyRow>,
    pub totals: Totals,
}

/// One row per local date in `zone`, oldest first; entries in dedupe order.
pub fn daily(
    entries: impl IntoIterator<Item = impl Borrow<Entry>>,
    models: &Models,
    zone: Tz,
    range: Range,
) -> DailyReport {
    let mut days: BTreeMap<NaiveDate, Sums> = BTreeMap::new();
    let mut dates = LocalDates::new(zone);
    for e in entries {
        let e = e.borrow();
        let date = dates.date(e.at);
        if range.since.is_some_and(|s| date < s) || range.until.is_some_and(|u| date > u) {
            continue;
        }
        days.entry(date).or_default().add_entry(e, models);
    }
    let daily: Vec<DailyRow> = days
        .into_iter()
        .map(|(date, mut sums)| {
            sums.finish();
            DailyRow {
                date: date.format("%Y-%m-%d").to_string(),
                sums,
            }
        })
        .collect();
    let totals = totals_of(daily.iter().map(|d| &d.sums));
    DailyReport { daily, totals }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekRow {
    /// The first day of the week, `YYYY-MM-DD`.
    pub week: String,
    #[serde(flatten)]
    pub sums: Sums,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthRow {
    /// `YYYY-MM`.
    pub month: String,
    #[serde(flatten)]
    pub sums: Sums,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeeklyReport {
    // Fields in alphabetical order, as the reference prints them.
    pub totals: Totals,
    pub weekly: Vec<WeekRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthlyReport {
    pub monthly: Vec<MonthRow>,
    pub totals: Totals,
}

/// Daily rows summed per key, keys ascending; within a key, rows and their models in order.
fn bucket(days: &[DailyRow], key: impl Fn(&DailyRow) -> String) -> Vec<(String, Sums)> {
    let mut buckets: BTreeMap<String, Sums> = BTreeMap::new();
    for d in days {
        buckets.entry(key(d)).or_default().add_sums(&d.sums);
    }
    buckets
        .into_iter()
        .map(|(k, mut b)| {
            b.finish();
            (k, b)
        })
        .collect()
}

/// Weeks starting on `start` (the reference's default is Sunday). `entries` come from the
/// [`Path::Entries`] deduplication.
pub fn weekly(
    entries: impl IntoIterator<Item = impl Borrow<Entry>>,
    models: &Models,
    zone: Tz,
    range: Range,
    start: Weekday,
) -> WeeklyReport {
    let days = daily(entries, models, zone, range).daily;
    let weekly: Vec<WeekRow> = bucket(&days, |d| {
        let date = NaiveDate::parse_from_str(&d.date, "%Y-%m-%d").expect("rows carry ISO dates");
        let back = (date.weekday().num_days_from_sunday() + 7 - start.num_days_from_sunday()) % 7;
        (date - chrono::Duration::days(i64::from(back)))
            .format("%Y-%m-%d")
            .to_string()
    })
    .into_iter()
    .map(|(week, sums)| WeekRow { week, sums })
    .collect();
    let totals = totals_of(weekly.iter().map(|w| &w.sums));
    WeeklyReport { totals, weekly }
}

/// Calendar months. `entries` come from the [`Path::Entries`] deduplication.
pub fn monthly(
    entries: impl IntoIterator<Item = impl Borrow<Entry>>,
    models: &Models,
    zone: Tz,
    range: Range,
) -> MonthlyReport {
    let days = daily(entries, models, zone, range).daily;
    let monthly: Vec<MonthRow> = bucket(&days, |d| d.date[..7].to_string())
        .into_iter()
        .map(|(month, sums)| MonthRow { month, sums })
        .collect();
    let totals = totals_of(monthly.iter().map(|m| &m.sums));
    MonthlyReport { monthly, totals }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::super::testing::entry;
    use super::*;

    #[test]
    fn daily_rows_in_a_zone() {
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        let mut models = Models::default();
        assert_eq!(models.id("claude-sonnet-4-5"), 0);
        let mut fast = entry("m2", Some("r2"), "s", "2026-11-24T16:00:00Z", 1000, false);
        fast.model = Some(models.id("claude-opus-4-6"));
        fast.fast = true;
        let entries = vec![
            entry("m1", Some("r1"), "s", "2026-11-24T14:59:59Z", 100, false),
            fast,
        ];
        let r = daily(&entries, &models, tokyo, Range::default());
        let dates: Vec<&str> = r.daily.iter().map(|d| d.date.as_str()).collect();
        assert_eq!(dates, ["2026-11-24", "2026-11-25"]);
        assert_eq!(r.daily[1].sums.models_used, ["claude-opus-4-6-fast"]);
        assert_eq!(
            r.daily[1].sums.total_cost,
            (10.0 * 5e-06 + 1000.0 * 2.5e-05) * 6.0
        );
        assert_eq!(r.totals.total_tokens, 110 + 1010);
        let since = Range {
            since: NaiveDate::from_ymd_opt(2026, 11, 25),
            until: None,
        };
        assert_eq!(daily(&entries, &models, tokyo, since).daily.len(), 1);
    }
}
