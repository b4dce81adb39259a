//! The forecast on a virtual clock: `now` is a parameter, nothing sleeps.

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::forecast::{readings_pace, with_forecasts};
use crate::limits::history::History;
use crate::limits::{merge, Observed, Reading, Source, SESSION};
use crate::policy::Policy;
use crate::test_support::utc;

const MARGIN: Duration = Duration::minutes(15);

/// The tray's loop, reduced to the session window: each look records the reading it got (if
/// any), merges, forecasts and plans against the ledger.
struct Sim {
    history: History,
    ledger: AlertLedger,
    last: Vec<Observed>,
}

impl Sim {
    fn new() -> Self {
        Self {
            history: History::default(),
            ledger: AlertLedger::new(),
            last: Vec::new(),
        }
    }

    fn limits(&self, now: DateTime<Utc>) -> Limits {
        with_forecasts(merge(&self.last, vec![], now), &self.history, now)
    }

    fn look(&mut self, now: DateTime<Utc>, reading: Option<(f64, DateTime<Utc>)>) -> Vec<Alert> {
        if let Some((used, resets)) = reading {
            let mut o = Observed::empty(Source::Statusline, now);
            o.session = Some(Reading {
                used_percent: used,
                resets_at: Some(resets),
            });
            self.history.record(&o);
            self.last = vec![o];
        }
        let limits = self.limits(now);
        plan(
            &limits,
            MARGIN,
            &mut self.ledger,
            now,
            chrono_tz::UTC,
            Clock::H12,
        )
    }

    /// Look once a minute from `from` to `to`, a reading every 5 minutes from `percent(t)`
    /// (none where it says `None`); the notices with the minute they came.
    fn run(
        &mut self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        resets: impl Fn(DateTime<Utc>) -> DateTime<Utc>,
        percent: impl Fn(DateTime<Utc>) -> Option<f64>,
    ) -> Vec<(DateTime<Utc>, Alert)> {
        let mut out = Vec::new();
        let mut now = from;
        while now <= to {
            let minutes = (now - from).num_minutes();
            let reading = (minutes % 5 == 0)
                .then(|| percent(now).map(|p| (p.min(100.0), resets(now))))
                .flatten();
            out.extend(self.look(now, reading).into_iter().map(|a| (now, a)));
            now += Duration::minutes(1);
        }
        out
    }
}

fn hours_since(t: DateTime<Utc>, start: DateTime<Utc>) -> f64 {
    (t - start).num_seconds() as f64 / 3600.0
}

#[test]
fn a_steady_pace_gives_exactly_one_notice_at_the_right_time() {
    // 30% an hour from the window's start at noon: full at 3:20pm, 1h 40m before the 5pm reset.
    let start = utc("2026-11-25T12:00:00Z");
    let resets = utc("2026-11-25T17:00:00Z");
    let mut sim = Sim::new();
    let got = sim.run(
        start,
        resets - Duration::minutes(1),
        |_| resets,
        |t| Some(30.0 * hours_since(t, start)),
    );
    let titles: Vec<(DateTime<Utc>, &str)> =
        got.iter().map(|(t, a)| (*t, a.title.as_str())).collect();
    assert_eq!(
        titles,
        [(
            utc("2026-11-25T12:05:00Z"),
            "At this pace the 5-hour limit is reached at 3:20pm, 1h 40m before it resets"
        )]
    );
    let a = &got[0].1;
    assert_eq!((a.kind, a.urgency), (Kind::Forecast, Urgency::Normal));
    assert!(
        a.body.contains("/model") && a.body.contains("/usage-credits"),
        "{}",
        a.body
    );
    assert_eq!(a.key, key(&WindowId::Session, resets));
    // A pace that fills only 10 minutes before the reset is inside the margin: nothing.
    let mut sim = Sim::new();
    let slow = 100.0 / 4.833_333;
    let got = sim.run(
        start,
        resets,
        |_| resets,
        |t| Some(slow * hours_since(t, start)),
    );
    assert!(got.is_empty(), "{got:?}");
    // A pace that never fills: nothing either.
    let mut sim = Sim::new();
    let got = sim.run(
        start,
        resets,
        |_| resets,
        |t| Some(10.0 * hours_since(t, start)),
    );
    assert!(got.is_empty());
}

#[test]
fn a_burst_then_a_pause_gives_no_notice_once_the_pace_falls() {
    let start = utc("2026-11-25T12:00:00Z");
    let resets = utc("2026-11-25T17:00:00Z");
    let burst = utc("2026-11-25T14:00:00Z");
    // 5% an hour until 2pm, then 12 points in 6 minutes (120% an hour: at that rate full
    // by 2:45pm), then nothing.
    let percent = |t: DateTime<Utc>| {
        let m = (t - burst).num_minutes();
        match m {
            m if m <= 0 => Some(5.0 * hours_since(t, start)),
            1..=6 => Some(10.0 + 2.0 * m as f64),
            _ => None,
        }
    };
    let mut sim = Sim::new();
    let mut notices = Vec::new();
    let mut now = start;
    let mut paces = Vec::new();
    while now < resets {
        let m = (now - burst).num_minutes();
        let reading = (m <= 0 && m % 5 == 0 || (1..=6).contains(&m) && m % 2 == 0)
            .then(|| percent(now).map(|p| (p, resets)))
            .flatten();
        notices.extend(sim.look(now, reading));
        if m >= 6 {
            paces.push(readings_pace(&sim.history, &WindowId::Session, resets, now).map(|p| p.0));
        }
        now += Duration::minutes(1);
    }
    assert!(notices.is_empty(), "{notices:?}");
    // The pace falls with every minute of the pause, then there is none.
    let known: Vec<f64> = paces.iter().flatten().copied().collect();
    assert!(known[0] < 14.0, "{known:?}");
    assert!(known.windows(2).all(|w| w[1] <= w[0]), "{known:?}");
    assert!(paces.last().unwrap().is_none());
    // The same burst with the pace the last two readings make would have been announced:
    // 120% an hour from 22% fills at 2:45pm.
    let limits = sim.limits(burst + Duration::minutes(6));
    assert!(
        limits.forecasts.iter().all(|f| f.full_at.is_none()),
        "{limits:?}"
    );
}

#[test]
fn a_reset_rearms_it_and_a_restart_does_not_repeat_it() {
    let start = utc("2026-11-25T12:00:00Z");
    let first = utc("2026-11-25T17:00:00Z");
    let window_of = |t: DateTime<Utc>| if t < first { first } else { first + SESSION };
    let window_start = |t: DateTime<Utc>| window_of(t) - SESSION;
    // 30% an hour, then it stops at 60%: a forecast, no threshold, no hit.
    let percent = |t: DateTime<Utc>| Some((30.0 * hours_since(t, window_start(t))).min(60.0));
    let mut sim = Sim::new();
    let got = sim.run(start, utc("2026-11-25T13:00:00Z"), window_of, percent);
    assert_eq!(got.len(), 1);

    // A restart: the ledger as saved, the history as reloaded (compacted): the same pace,
    // and nothing again.
    let now = utc("2026-11-25T13:00:00Z");
    let saved = serde_json::to_string(&sim.ledger).unwrap();
    let mut reloaded = History::from_samples(sim.history.samples().to_vec());
    reloaded.compact(now);
    assert_eq!(
        readings_pace(&reloaded, &WindowId::Session, first, now),
        readings_pace(&sim.history, &WindowId::Session, first, now)
    );
    let mut sim = Sim {
        history: reloaded,
        ledger: serde_json::from_str(&saved).unwrap(),
        last: sim.last,
    };
    let got = sim.run(now, first - Duration::minutes(1), window_of, percent);
    assert!(got.is_empty(), "{got:?}");

    // The window resets; the limit planner says nothing of a window only forecast, and the
    // next window at the same pace is announced again, once.
    let resets = crate::plan::limits::plan(
        &sim.limits(first + Duration::minutes(1)),
        &[80, 95],
        &mut sim.ledger,
        first + Duration::minutes(1),
        chrono_tz::UTC,
        Clock::H12,
    );
    assert!(resets.is_empty(), "{resets:?}");
    let got = sim.run(
        first,
        first + SESSION - Duration::minutes(1),
        window_of,
        percent,
    );
    let titles: Vec<(DateTime<Utc>, &str)> =
        got.iter().map(|(t, a)| (*t, a.title.as_str())).collect();
    assert_eq!(
        titles,
        [(
            utc("2026-11-25T17:05:00Z"),
            "At this pace the 5-hour limit is reached at 8:20pm, 1h 40m before it resets"
        )]
    );
}

#[test]
fn the_policy_switches_it_off_and_quiet_hours_hold_it() {
    let start = utc("2026-11-25T12:00:00Z");
    let resets = utc("2026-11-25T17:00:00Z");
    let mut sim = Sim::new();
    let got = sim.run(
        start,
        start + Duration::minutes(5),
        |_| resets,
        |t| Some(30.0 * hours_since(t, start)),
    );
    let alert = got[0].1.clone();
    let now = got[0].0;
    let off = Policy {
        muted: vec![Kind::Forecast],
        ..Policy::default()
    };
    let mut ledger = AlertLedger::new();
    assert!(off
        .step(&mut ledger, vec![alert.clone()], now, chrono_tz::UTC)
        .is_empty());
    assert!(ledger.waiting.is_empty(), "dropped, not held");
    let quiet = Policy {
        quiet_hours: Some(crate::policy::QuietHours::parse("11:00-13:00").unwrap()),
        ..Policy::default()
    };
    assert!(quiet
        .step(&mut ledger, vec![alert], now, chrono_tz::UTC)
        .is_empty());
    let out = quiet.step(
        &mut ledger,
        vec![],
        utc("2026-11-25T13:00:00Z"),
        chrono_tz::UTC,
    );
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind, Kind::Forecast);
    // A full window is never forecast.
    let mut sim = Sim::new();
    assert!(sim
        .look(start + Duration::minutes(30), Some((100.0, resets)))
        .is_empty());
}
