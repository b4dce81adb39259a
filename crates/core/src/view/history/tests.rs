use chrono::{DateTime, Utc};

use super::*;
use crate::pricing::Billable;
use crate::usage::{daily, Models, Range};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn entry(n: u64, when: &str, model: Option<u16>, output: u64) -> Entry {
    Entry {
        at: at(when),
        message_id: Some(n),
        request_id: Some(n + 1_000_000),
        session: 1,
        model,
        file: 0,
        seq: n as u32,
        tokens: Billable {
            input: 100,
            output,
            cache_write_5m: 0,
            cache_write_1h: 0,
            cache_read: 1000,
        },
        sidechain: false,
        has_speed: false,
        fast: false,
        cost_usd: None,
    }
}

fn models() -> Models {
    let mut m = Models::default();
    for name in [
        "claude-opus-4-5",
        "claude-sonnet-4-5",
        "claude-haiku-4-5",
        "claude-opus-4-1",
        "claude-sonnet-4",
        "claude-3-5-haiku",
        "claude-opus-4",
    ] {
        m.id(name);
    }
    m
}

fn window(days: u32, now: &str, zone: &str) -> Window {
    Window {
        days,
        zone: zone.parse().unwrap(),
        clock: Clock::H24,
        now: at(now),
    }
}

/// Every shown day's numbers are the daily report's for that day; days without use are there
/// too, with nothing in them.
#[test]
fn days_equal_the_daily_report_and_every_day_is_shown() {
    let models = models();
    let entries = vec![
        entry(1, "2026-11-20T10:00:00Z", Some(0), 5000),
        entry(2, "2026-11-20T23:30:00Z", Some(1), 2000),
        entry(3, "2026-11-25T08:00:00Z", Some(0), 100),
        entry(4, "2026-12-02T09:15:00Z", Some(2), 300),
        entry(5, "2026-12-02T09:16:00Z", None, 50),
        // Before the window: in no day and no heatmap cell.
        entry(6, "2026-10-01T09:16:00Z", Some(0), 50),
    ];
    let w = window(30, "2026-12-02T12:00:00Z", "Europe/Vienna");
    let view = history(&entries, &models, w);
    assert_eq!(view.days.len(), 30);
    assert_eq!(view.days[0].date, "2026-11-03");
    assert_eq!(view.days[29].date, "2026-12-02");
    assert!(view.days[29].today);
    let report = daily(&entries, &models, w.zone, Range::default());
    for row in &report.daily {
        let Some(day) = view.days.iter().find(|d| d.date == row.date) else {
            assert_eq!(row.date, "2026-10-01");
            continue;
        };
        assert_eq!(day.total.cost_usd, row.sums.total_cost, "{}", row.date);
        assert_eq!(day.total.tokens, row.sums.total_tokens, "{}", row.date);
        let seg_tokens: u64 = day.segments.iter().map(|s| s.tokens).sum();
        assert_eq!(seg_tokens, row.sums.total_tokens, "{}", row.date);
    }
    // 23:30 UTC is the next day in Vienna.
    let d21 = view.days.iter().find(|d| d.date == "2026-11-21").unwrap();
    assert_eq!(d21.segments.len(), 1);
    assert_eq!(d21.segments[0].label, "claude-sonnet-4-5");
    let empty = view.days.iter().find(|d| d.date == "2026-11-22").unwrap();
    assert_eq!(empty.total.tokens, 0);
    assert_eq!(empty.description, "Sun, Nov 22: no use");
    // The entry without a model is in "Other".
    assert_eq!(view.series.last().unwrap().label, "Other");
    assert_eq!(view.series[0].label, "claude-opus-4-5");
    assert_eq!(view.days[29].label, "Wed, Dec 2");
    assert_eq!(view.title, "Last 30 days · Nov 3 – Dec 2");
    let axis: Vec<&str> = view.days.iter().filter_map(|d| d.axis.as_deref()).collect();
    assert_eq!(axis, ["Nov 9", "Nov 16", "Nov 23", "Nov 30"]);
    assert!(
        view.cost_scale.max
            >= view
                .days
                .iter()
                .map(|d| d.total.cost_usd)
                .fold(0.0, f64::max)
    );
    assert!(view.limits.is_none());
    let json = serde_json::to_value(&view).unwrap();
    assert!(json.get("limits").is_none(), "absent, not null");
}

/// The heatmap sums the shown days' entries by local weekday and hour.
#[test]
fn heatmap_is_in_local_hours() {
    let models = models();
    let entries = vec![
        entry(1, "2026-11-30T13:10:00Z", Some(0), 5000), // Mon 14:10 in Vienna
        entry(2, "2026-11-30T13:50:00Z", Some(0), 5000),
        entry(3, "2026-12-01T22:59:00Z", Some(1), 10), // Tue 23:59
        entry(4, "2026-10-01T09:00:00Z", Some(0), 5000), // not shown
    ];
    let view = history(
        &entries,
        &models,
        window(30, "2026-12-02T12:00:00Z", "Europe/Vienna"),
    );
    let h = &view.heatmap;
    assert_eq!(h.rows.len(), 7);
    assert_eq!(h.rows[0].label, "Mon");
    let mon14 = &h.rows[0].cells[14];
    assert_eq!(mon14.tokens, 2 * 6100);
    assert_eq!(mon14.level_tokens, 4);
    assert_eq!(h.rows[1].cells[23].tokens, 1110);
    assert_eq!(h.rows[1].cells[23].level_tokens, 1);
    let all: u64 = h.rows.iter().flat_map(|r| &r.cells).map(|c| c.tokens).sum();
    assert_eq!(all, 2 * 6100 + 1110);
    assert_eq!(h.max.tokens, 12200);
    assert!(
        mon14.description.starts_with("Mon 14:00–15:00: $"),
        "{}",
        mon14.description
    );
    assert_eq!(h.hours[0], "00:00");
}

#[test]
fn this_week_against_the_same_days_of_last_week() {
    let models = models();
    // Wednesday Dec 2: this week is Mon Nov 30 – Wed Dec 2, last week Nov 23 – 25.
    let entries = vec![
        entry(1, "2026-11-23T10:00:00Z", Some(0), 1000),
        entry(2, "2026-11-26T10:00:00Z", Some(0), 9000), // Thursday: not compared
        entry(3, "2026-11-30T10:00:00Z", Some(0), 1000),
        entry(4, "2026-12-01T10:00:00Z", Some(0), 1000),
    ];
    let view = history(&entries, &models, window(30, "2026-12-02T12:00:00Z", "UTC"));
    let w = &view.week;
    assert_eq!(w.this_label, "This week (Mon–Wed)");
    assert_eq!(w.this_week.tokens, 2 * 2100);
    assert_eq!(w.last_week.tokens, 2100);
    assert_eq!(w.tokens_change.label, "+100%");
    assert_eq!(w.cost_change.direction, "up");
    assert!(
        w.line.contains("up 100% on the same days of last week"),
        "{}",
        w.line
    );
    // Shown days fewer than two weeks: the comparison still has both weeks.
    let short = history(&entries, &models, window(7, "2026-12-02T12:00:00Z", "UTC"));
    assert_eq!(short.days.len(), 7);
    assert_eq!(short.week.last_week.tokens, 2100);
}

#[test]
fn nothing_used_says_so() {
    let view = history(
        Vec::<Entry>::new(),
        &models(),
        window(90, "2026-12-02T12:00:00Z", "UTC"),
    );
    assert_eq!(view.days.len(), 90);
    assert_eq!(view.summary, "No use in the last 90 days");
    assert!(view.series.is_empty());
    assert_eq!(view.week.cost_change.label, "±0%");
    assert_eq!(view.week.line, "Nothing this week or last week so far");
    assert_eq!(view.cost_scale.max, 1.0);
    // 90 days: months on the axis.
    let axis: Vec<&str> = view.days.iter().filter_map(|d| d.axis.as_deref()).collect();
    assert_eq!(axis, ["Oct", "Nov", "Dec"]);
}

#[test]
fn money_is_written_with_cents_and_thousands() {
    assert_eq!(usd(0.0), "$0.00");
    assert_eq!(usd(1234.567), "$1,234.57");
    assert_eq!(usd(12.3), "$12.30");
}
