//! The history of limit readings: every figure a source reported (the status line, the OAuth
//! usage endpoint, Claude Code's `get_usage`, local evidence), with its time, source, window,
//! percent and reset; kept bounded by [`History::compact`], and read by the pace of
//! `forecast` and by charts ([`History::since`], [`History::session_windows`],
//! [`History::daily_peaks`]). The file it lives in is the shell's (`sources::limit_history`).
//!
//! **The bound.** Readings of the last [`FULL_RESOLUTION`] are all kept (the pace needs them).
//! Older ones are downsampled to the highest percent of each bucket of one window and reset:
//! the session window per [`SESSION_STEP`] for [`SESSION_FINE`], then one per 5-hour window;
//! every other window (weekly, a model's cap, spend, credits) per [`OTHER_STEP`] for
//! [`OTHER_FINE`], then one per UTC day; nothing older than [`KEEP`]. A year of readings once a
//! minute of the session, the week and one model's cap (and OAuth's every 5 minutes) keeps
//! 8,851 of them (measured by `sources::limit_history`'s tests: 332 KB on disk, never more
//! than 365 KB).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{Limits, Observed, Reading, Source, WindowId};

/// Every reading this recent is kept as it came.
pub const FULL_RESOLUTION: Duration = Duration::hours(6);
/// The session window, older: the highest reading per this long...
pub const SESSION_STEP: Duration = Duration::minutes(10);
/// ...for this long; older still, the highest of each 5-hour window.
pub const SESSION_FINE: Duration = Duration::days(30);
/// The other windows, older than [`FULL_RESOLUTION`]: the highest per this long...
pub const OTHER_STEP: Duration = Duration::hours(1);
/// ...for this long; older still, the highest per UTC day.
pub const OTHER_FINE: Duration = Duration::days(7);
/// Readings older than this are forgotten.
pub const KEEP: Duration = Duration::days(400);

/// One reading of one window.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// When the source read it (`Observed::as_of`).
    pub at: DateTime<Utc>,
    pub source: Source,
    pub window: WindowId,
    pub used_percent: f64,
    pub resets_at: Option<DateTime<Utc>>,
}

/// The highest percent a window reached, and when the last reading of it was.
#[derive(Debug, Clone, PartialEq)]
pub struct Peak {
    pub resets_at: Option<DateTime<Utc>>,
    pub used_percent: f64,
    pub last_at: DateTime<Utc>,
}

/// Readings, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    samples: Vec<Sample>,
}

/// A reset time to the minute: sources round differently, and a window keeps its identity.
pub fn reset_minute(at: DateTime<Utc>) -> i64 {
    (at.timestamp() + 30).div_euclid(60) * 60
}

fn same_reset(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> bool {
    a.map(reset_minute) == b.map(reset_minute)
}

/// Each window of `o` as a sample.
fn samples_of(o: &Observed) -> Vec<Sample> {
    let sample = |window: WindowId, r: &Reading| Sample {
        at: o.as_of,
        source: o.source,
        window,
        used_percent: r.used_percent,
        resets_at: r.resets_at,
    };
    let mut out = Vec::new();
    out.extend(o.session.as_ref().map(|r| sample(WindowId::Session, r)));
    out.extend(o.weekly.as_ref().map(|r| sample(WindowId::Weekly, r)));
    for m in &o.models {
        out.push(sample(WindowId::Model(m.model.clone()), &m.reading));
    }
    if let Some(s) = &o.spend {
        out.push(sample(WindowId::Spend(s.period.clone()), &s.reading));
    }
    out.extend(o.credits.as_ref().map(|r| sample(WindowId::Credits, r)));
    out
}

impl History {
    /// `samples` in any order.
    pub fn from_samples(mut samples: Vec<Sample>) -> Self {
        samples.sort_by_key(|s| s.at);
        Self { samples }
    }

    /// Oldest first.
    pub fn samples(&self) -> &[Sample] {
        &self.samples
    }

    /// Take in `sample` unless the same source already gave it for that window at that time;
    /// returns whether it was new.
    pub fn insert(&mut self, sample: Sample) -> bool {
        let from = self.samples.partition_point(|s| s.at < sample.at);
        let known = self.samples[from..]
            .iter()
            .take_while(|s| s.at == sample.at)
            .any(|s| s.source == sample.source && s.window == sample.window);
        if known {
            return false;
        }
        let to = self.samples.partition_point(|s| s.at <= sample.at);
        self.samples.insert(to, sample);
        true
    }

    /// Record what a source observed; returns the readings that were new (for the shell to
    /// append to its file).
    pub fn record(&mut self, observed: &Observed) -> Vec<Sample> {
        samples_of(observed)
            .into_iter()
            .filter(|s| self.insert(s.clone()))
            .collect()
    }

    /// Record the windows of `limits` that local evidence gave (a limit hit, the session
    /// carried forward by local spend); returns the new ones.
    pub fn record_local(&mut self, limits: &Limits) -> Vec<Sample> {
        limits
            .windows()
            .into_iter()
            .filter(|(_, w)| w.source == Source::Local)
            .map(|(window, w)| Sample {
                at: w.as_of,
                source: Source::Local,
                window,
                used_percent: w.used_percent,
                resets_at: w.resets_at,
            })
            .filter(|s| self.insert(s.clone()))
            .collect()
    }

    /// Downsample what is older than [`FULL_RESOLUTION`] (see the module's doc for the tiers)
    /// and forget what is older than [`KEEP`]. Returns whether anything was dropped.
    pub fn compact(&mut self, now: DateTime<Utc>) -> bool {
        let before = self.samples.len();
        // (window, reset minute, tier, bucket) -> the index of the highest reading kept.
        let mut best: BTreeMap<(String, Option<i64>, u8, i64), usize> = BTreeMap::new();
        let mut keep = vec![true; self.samples.len()];
        for (i, s) in self.samples.iter().enumerate() {
            let age = now - s.at;
            if age > KEEP {
                keep[i] = false;
                continue;
            }
            let secs = s.at.timestamp();
            let (tier, bucket) = match (&s.window, age) {
                (_, age) if age < FULL_RESOLUTION => continue,
                (WindowId::Session, age) if age < SESSION_FINE => {
                    (1, secs.div_euclid(SESSION_STEP.num_seconds()))
                }
                (WindowId::Session, _) => (2, 0),
                (_, age) if age < OTHER_FINE => (3, secs.div_euclid(OTHER_STEP.num_seconds())),
                (_, _) => (4, secs.div_euclid(86_400)),
            };
            let key = (s.window.key(), s.resets_at.map(reset_minute), tier, bucket);
            match best.get(&key) {
                Some(&j) if self.samples[j].used_percent > s.used_percent => keep[i] = false,
                Some(&j) => {
                    keep[j] = false;
                    best.insert(key, i);
                }
                None => {
                    best.insert(key, i);
                }
            }
        }
        let mut i = 0;
        self.samples.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        self.samples.len() != before
    }

    /// The readings of `window` from `from` on, oldest first.
    pub fn since<'a>(
        &'a self,
        window: &'a WindowId,
        from: DateTime<Utc>,
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        let start = self.samples.partition_point(|s| s.at < from);
        self.samples[start..]
            .iter()
            .filter(move |s| &s.window == window)
    }

    /// The highest percent of each window of `id` (by its reset), oldest first: for the
    /// session, the percent each 5-hour window reached.
    pub fn peaks(&self, id: &WindowId) -> Vec<Peak> {
        let mut out: Vec<Peak> = Vec::new();
        for s in self.samples.iter().filter(|s| &s.window == id) {
            match out
                .iter_mut()
                .rev()
                .find(|p| same_reset(p.resets_at, s.resets_at))
            {
                Some(p) => {
                    p.used_percent = p.used_percent.max(s.used_percent);
                    p.last_at = s.at;
                }
                None => out.push(Peak {
                    resets_at: s.resets_at,
                    used_percent: s.used_percent,
                    last_at: s.at,
                }),
            }
        }
        out.sort_by_key(|p| (p.resets_at, p.last_at));
        out
    }

    /// The session percent through each 5-hour window (its highest), oldest first.
    pub fn session_windows(&self) -> Vec<Peak> {
        self.peaks(&WindowId::Session)
    }

    /// The highest percent of `id` read on each day (in `zone`), oldest first: the weekly
    /// percent per day with [`WindowId::Weekly`].
    pub fn daily_peaks(&self, id: &WindowId, zone: Tz) -> Vec<(NaiveDate, f64)> {
        let mut days: BTreeMap<NaiveDate, f64> = BTreeMap::new();
        for s in self.samples.iter().filter(|s| &s.window == id) {
            let day = s.at.with_timezone(&zone).date_naive();
            let v = days.entry(day).or_insert(s.used_percent);
            *v = v.max(s.used_percent);
        }
        days.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::utc;

    fn sample(at: DateTime<Utc>, window: WindowId, used: f64, resets: DateTime<Utc>) -> Sample {
        Sample {
            at,
            source: Source::Statusline,
            window,
            used_percent: used,
            resets_at: Some(resets),
        }
    }

    #[test]
    fn a_reading_is_recorded_once_per_source_window_and_time() {
        let mut h = History::default();
        let mut o = Observed::empty(Source::Oauth, utc("2026-11-25T10:00:00Z"));
        o.session = Some(Reading {
            used_percent: 12.0,
            resets_at: Some(utc("2026-11-25T13:00:00Z")),
        });
        o.weekly = Some(Reading {
            used_percent: 40.0,
            resets_at: Some(utc("2026-11-28T00:00:00Z")),
        });
        assert_eq!(h.record(&o).len(), 2);
        assert!(h.record(&o).is_empty(), "the same reading again");
        let older = Observed {
            as_of: utc("2026-11-25T09:00:00Z"),
            ..o.clone()
        };
        assert_eq!(h.record(&older).len(), 2);
        assert_eq!(h.samples()[0].at, older.as_of, "kept in time order");
        let statusline = Observed {
            source: Source::Statusline,
            ..o
        };
        assert_eq!(
            h.record(&statusline).len(),
            2,
            "another source at the same time"
        );
        let week: Vec<f64> = h
            .since(&WindowId::Weekly, utc("2026-11-25T09:30:00Z"))
            .map(|s| s.used_percent)
            .collect();
        assert_eq!(week, [40.0, 40.0]);
    }

    #[test]
    fn compaction_keeps_recent_readings_and_the_peaks_of_older_ones() {
        let now = utc("2026-11-25T12:00:00Z");
        let resets = utc("2026-11-25T03:00:00Z");
        let mut h = History::default();
        // Three readings in one 10-minute bucket 10 hours ago, and two recent ones.
        for (m, used) in [(0, 10.0), (3, 30.0), (6, 20.0)] {
            let at = utc("2026-11-25T02:00:00Z") + Duration::minutes(m);
            h.insert(sample(at, WindowId::Session, used, resets));
        }
        let r2 = utc("2026-11-25T15:00:00Z");
        h.insert(sample(
            now - Duration::minutes(2),
            WindowId::Session,
            5.0,
            r2,
        ));
        h.insert(sample(
            now - Duration::minutes(1),
            WindowId::Session,
            5.5,
            r2,
        ));
        assert!(h.compact(now));
        let left: Vec<f64> = h.samples().iter().map(|s| s.used_percent).collect();
        assert_eq!(left, [30.0, 5.0, 5.5]);
        assert!(!h.compact(now), "compaction is stable");
        let peaks = h.session_windows();
        assert_eq!(peaks.len(), 2);
        assert_eq!((peaks[0].used_percent, peaks[1].used_percent), (30.0, 5.5));
        // Past the fine tier, one per window; past KEEP, nothing.
        assert!(h.compact(now + SESSION_FINE + Duration::days(1)));
        assert_eq!(h.samples().len(), 2);
        h.compact(now + KEEP + Duration::days(1));
        assert!(h.samples().is_empty());
    }

    #[test]
    fn the_weekly_percent_per_day_in_the_users_zone() {
        let resets = utc("2026-11-30T00:00:00Z");
        let h = History::from_samples(vec![
            sample(utc("2026-11-25T22:00:00Z"), WindowId::Weekly, 20.0, resets),
            sample(utc("2026-11-26T02:00:00Z"), WindowId::Weekly, 25.0, resets),
            sample(utc("2026-11-26T06:00:00Z"), WindowId::Weekly, 31.0, resets),
        ]);
        let utc_days = h.daily_peaks(&WindowId::Weekly, chrono_tz::UTC);
        assert_eq!(utc_days.len(), 2);
        assert_eq!(utc_days[1].1, 31.0);
        // In New York the first two readings are on the 25th.
        let ny = h.daily_peaks(&WindowId::Weekly, chrono_tz::America::New_York);
        assert_eq!(ny.iter().map(|d| d.1).collect::<Vec<_>>(), [25.0, 31.0]);
    }
}
