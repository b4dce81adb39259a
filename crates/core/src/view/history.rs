//! The History tab and `ccpulse history`: cost and tokens per day over the last 30 or 90 days,
//! stacked by model; this week against the same days of last week; an hour-of-day by weekday
//! heatmap; and a place for the plan limits over time. Every number, scale and label is made
//! here: the page and the CLI only lay it out.
//!
//! The days are [`crate::usage::daily`]'s rows (the same deduplication and sums as
//! `ccpulse usage daily`), so a day's cost and tokens equal that report's; the heatmap is
//! filled from the same entries in the same pass.

mod heat;
mod limits;
mod scale;
#[cfg(test)]
mod tests;

use std::borrow::Borrow;
use std::collections::HashMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::clock::Clock;
use crate::usage::{daily, DailyRow, Entry, Models, Range};

pub use heat::{HeatCell, HeatRow, Heatmap};
pub use scale::{Scale, Tick};

use super::activity::compact_count;

/// How many series a stacked bar has at most: the most expensive models, then "Other".
pub const NAMED_SERIES: usize = 5;
/// The days the tab offers.
pub const DAY_CHOICES: [u32; 2] = [30, 90];

/// Everything the History tab shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryView {
    /// How many days are shown (the last one is today).
    pub days_shown: u32,
    /// The IANA zone the days and hours are in.
    pub zone: String,
    /// "Last 30 days · Nov 3 – Dec 2".
    pub title: String,
    /// The shown days' sums.
    pub total: Amount,
    /// "$123.45 and 45.6M tokens over 30 days", or that nothing was used.
    pub summary: String,
    /// The legend: a series per model (most expensive first), "Other" last.
    pub series: Vec<Series>,
    /// Every day of the range, oldest first, with no use too.
    pub days: Vec<Day>,
    /// The charts' vertical scales.
    pub cost_scale: Scale,
    pub tokens_scale: Scale,
    pub week: WeekComparison,
    pub heatmap: Heatmap,
    /// The plan limits over time, when a limit history feeds them; absent otherwise (never
    /// made up).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<LimitsOverTime>,
}

/// A cost and a token count, with their labels.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Amount {
    pub cost_usd: f64,
    pub tokens: u64,
    /// "$12.34".
    pub cost_label: String,
    /// "1.2M tokens".
    pub tokens_label: String,
}

impl Amount {
    fn new(cost_usd: f64, tokens: u64) -> Amount {
        Amount {
            cost_usd,
            tokens,
            cost_label: usd(cost_usd),
            tokens_label: format!("{} tokens", compact_count(tokens)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// 0 to [`NAMED_SERIES`]: the colour to draw it in ([`NAMED_SERIES`] is "Other").
    pub index: usize,
    /// The model's name as reports show it, or "Other".
    pub label: String,
    /// Over the shown days.
    pub total: Amount,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Day {
    /// `YYYY-MM-DD`, as `ccpulse usage daily` writes it.
    pub date: String,
    /// "Tue, Dec 2".
    pub label: String,
    /// The axis' label under this bar, on some days only ("Dec 1", or a month "Dec").
    pub axis: Option<String>,
    pub today: bool,
    /// The day's sums (the daily report's `totalCost` and `totalTokens`).
    pub total: Amount,
    /// A segment per series with use that day, in the legend's order.
    pub segments: Vec<Segment>,
    /// What the bar says on hover, focus and to a screen reader:
    /// "Tue, Dec 2: $12.34, 1.2M tokens (claude-opus-4-5 $10.00, …)".
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub series: usize,
    pub label: String,
    pub cost_usd: f64,
    pub tokens: u64,
    pub cost_label: String,
    pub tokens_label: String,
}

/// This week so far against the same days of last week (weeks start on Monday).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekComparison {
    /// "This week (Mon–Wed)".
    pub this_label: String,
    /// "Last week (Mon–Wed)".
    pub last_label: String,
    pub this_week: Amount,
    pub last_week: Amount,
    pub cost_change: Change,
    pub tokens_change: Change,
    /// "This week $12.34, up 20% on the same days of last week ($10.28)".
    pub line: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// `up`, `down`, `same`, or `new` (nothing last week to compare with).
    pub direction: &'static str,
    /// this / last - 1; `None` when last week had nothing.
    pub ratio: Option<f64>,
    /// "+20%", "−5%", "±0%", "new".
    pub label: String,
}

/// The plan limits over time: a series per window of the used share per day, from the limit
/// history ([`HistoryView::with_limits`]); [`history`] alone leaves it out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitsOverTime {
    pub windows: Vec<LimitSeries>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitSeries {
    pub id: String,
    pub label: String,
    pub points: Vec<LimitPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitPoint {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub used_percent: f64,
    /// `42%`.
    pub label: String,
}

/// What to show: how many days (the last one today, in `zone`).
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub days: u32,
    pub zone: Tz,
    pub clock: Clock,
    pub now: DateTime<Utc>,
}

impl Window {
    /// The local date of today and the first day shown.
    fn bounds(&self) -> (NaiveDate, NaiveDate) {
        let today = self.now.with_timezone(&self.zone).date_naive();
        let first = today - Days::new(u64::from(self.days.max(1) - 1));
        (today, first)
    }
}

/// `$1,234.56`.
pub fn usd(v: f64) -> String {
    let cents = (v * 100.0).round() as i64;
    let (whole, frac) = (cents / 100, (cents % 100).abs());
    let digits = whole.abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}${grouped}.{frac:02}")
}

/// The view of `entries` (deduplicated as for the daily report: [`crate::usage::Path::Daily`]).
pub fn history(
    entries: impl IntoIterator<Item = impl Borrow<Entry>>,
    models: &Models,
    window: Window,
) -> HistoryView {
    let (today, first) = window.bounds();
    let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
    let last_monday = monday - Days::new(7);
    let since = first.min(last_monday);
    let mut hours = heat::Hours::new(window.zone, first, today);
    let report = daily(
        entries
            .into_iter()
            .inspect(|e| hours.add(e.borrow(), models)),
        models,
        window.zone,
        Range {
            since: Some(since),
            until: Some(today),
        },
    );
    let rows: HashMap<&str, &DailyRow> = report.daily.iter().map(|r| (&r.date[..], r)).collect();
    let dates: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= today).collect();
    let shown: Vec<Option<&DailyRow>> = dates
        .iter()
        .map(|d| rows.get(&iso(*d)[..]).copied())
        .collect();
    let series = legend(&shown);
    let days: Vec<Day> = dates
        .iter()
        .zip(&shown)
        .map(|(date, row)| day(*date, *row, &series, today, window.days))
        .collect();
    let total = Amount::new(
        days.iter().map(|d| d.total.cost_usd).sum(),
        days.iter().map(|d| d.total.tokens).sum(),
    );
    let sum_of = |from: NaiveDate, to: NaiveDate| {
        let in_span = report.daily.iter().filter(|r| {
            let d = NaiveDate::parse_from_str(&r.date, "%Y-%m-%d").ok();
            d.is_some_and(|d| d >= from && d <= to)
        });
        let (cost, tokens) = in_span.fold((0.0, 0), |(c, t), r| {
            (c + r.sums.total_cost, t + r.sums.total_tokens)
        });
        Amount::new(cost, tokens)
    };
    let week = week(
        sum_of(monday, today),
        sum_of(last_monday, today - Days::new(7)),
        today,
    );
    let max_cost = days.iter().map(|d| d.total.cost_usd).fold(0.0, f64::max);
    let max_tokens = days.iter().map(|d| d.total.tokens).max().unwrap_or(0);
    let summary = if total.tokens == 0 && total.cost_usd == 0.0 {
        format!("No use in the last {} days", window.days)
    } else {
        format!(
            "{} and {} over {} days",
            total.cost_label, total.tokens_label, window.days
        )
    };
    HistoryView {
        days_shown: window.days,
        zone: window.zone.name().to_string(),
        title: format!(
            "Last {} days · {} – {}",
            window.days,
            first.format("%b %-d"),
            today.format("%b %-d")
        ),
        total,
        summary,
        series,
        days,
        cost_scale: scale::money(max_cost),
        tokens_scale: scale::tokens(max_tokens),
        week,
        heatmap: hours.heatmap(window.clock),
        limits: None,
    }
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// The legend: models by their cost over the shown days (then tokens, then name), the first
/// [`NAMED_SERIES`] named, the rest (and use without a model) as "Other".
fn legend(shown: &[Option<&DailyRow>]) -> Vec<Series> {
    let mut models: Vec<(String, f64, u64)> = Vec::new();
    let mut other = (0.0, 0u64);
    for row in shown.iter().flatten() {
        let mut named = (0.0, 0u64);
        for m in &row.sums.model_breakdowns {
            let tokens = breakdown_tokens(m);
            named = (named.0 + m.cost, named.1 + tokens);
            match models.iter_mut().find(|x| x.0 == m.model_name) {
                Some(x) => {
                    x.1 += m.cost;
                    x.2 += tokens;
                }
                None => models.push((m.model_name.clone(), m.cost, tokens)),
            }
        }
        other.0 += (row.sums.total_cost - named.0).max(0.0);
        other.1 += row.sums.total_tokens.saturating_sub(named.1);
    }
    models.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    let mut series: Vec<Series> = Vec::new();
    for (i, (name, cost, tokens)) in models.into_iter().enumerate() {
        if i < NAMED_SERIES {
            series.push(Series {
                index: i,
                label: name,
                total: Amount::new(cost, tokens),
            });
        } else {
            other = (other.0 + cost, other.1 + tokens);
        }
    }
    if other.1 > 0 || other.0 > 0.005 {
        series.push(Series {
            index: NAMED_SERIES,
            label: "Other".into(),
            total: Amount::new(other.0, other.1),
        });
    }
    series
}

fn breakdown_tokens(m: &crate::usage::ModelBreakdown) -> u64 {
    m.input_tokens + m.output_tokens + m.cache_creation_tokens + m.cache_read_tokens
}

fn day(
    date: NaiveDate,
    row: Option<&DailyRow>,
    series: &[Series],
    today: NaiveDate,
    shown: u32,
) -> Day {
    let label = date.format("%a, %b %-d").to_string();
    let axis = if shown <= 31 {
        (date.weekday() == chrono::Weekday::Mon).then(|| date.format("%b %-d").to_string())
    } else {
        (date.day() == 1).then(|| date.format("%b").to_string())
    };
    let Some(row) = row else {
        return Day {
            date: iso(date),
            description: format!("{label}: no use"),
            label,
            axis,
            today: date == today,
            total: Amount::new(0.0, 0),
            segments: Vec::new(),
        };
    };
    let mut segments: Vec<Segment> = series
        .iter()
        .map(|s| Segment {
            series: s.index,
            label: s.label.clone(),
            cost_usd: 0.0,
            tokens: 0,
            cost_label: String::new(),
            tokens_label: String::new(),
        })
        .collect();
    let other = segments.iter().position(|s| s.series == NAMED_SERIES);
    let (mut named_cost, mut named_tokens) = (0.0, 0);
    for m in &row.sums.model_breakdowns {
        let tokens = breakdown_tokens(m);
        named_cost += m.cost;
        named_tokens += tokens;
        let at = segments
            .iter()
            .position(|s| s.label == m.model_name && s.series < NAMED_SERIES)
            .or(other);
        if let Some(at) = at {
            segments[at].cost_usd += m.cost;
            segments[at].tokens += tokens;
        }
    }
    if let Some(at) = other {
        segments[at].cost_usd += (row.sums.total_cost - named_cost).max(0.0);
        segments[at].tokens += row.sums.total_tokens.saturating_sub(named_tokens);
    }
    segments.retain(|s| s.tokens > 0 || s.cost_usd > 0.0);
    for s in &mut segments {
        let a = Amount::new(s.cost_usd, s.tokens);
        (s.cost_label, s.tokens_label) = (a.cost_label, a.tokens_label);
    }
    let total = Amount::new(row.sums.total_cost, row.sums.total_tokens);
    let parts: Vec<String> = segments
        .iter()
        .map(|s| format!("{} {}", s.label, usd(s.cost_usd)))
        .collect();
    let description = if parts.is_empty() {
        format!("{label}: {}, {}", total.cost_label, total.tokens_label)
    } else {
        format!(
            "{label}: {}, {} ({})",
            total.cost_label,
            total.tokens_label,
            parts.join(", ")
        )
    };
    Day {
        date: iso(date),
        label,
        axis,
        today: date == today,
        total,
        segments,
        description,
    }
}

fn change(this: f64, last: f64) -> Change {
    if last <= 0.0 {
        let direction = if this > 0.0 { "new" } else { "same" };
        let label = if this > 0.0 { "new" } else { "±0%" };
        return Change {
            direction,
            ratio: None,
            label: label.into(),
        };
    }
    let ratio = this / last - 1.0;
    let percent = (ratio * 100.0).round();
    let (direction, label) = if percent > 0.0 {
        ("up", format!("+{percent:.0}%"))
    } else if percent < 0.0 {
        ("down", format!("−{:.0}%", -percent))
    } else {
        ("same", "±0%".into())
    };
    Change {
        direction,
        ratio: Some(ratio),
        label,
    }
}

fn week(this_week: Amount, last_week: Amount, today: NaiveDate) -> WeekComparison {
    let span = if today.weekday() == chrono::Weekday::Mon {
        "Mon".to_string()
    } else {
        format!("Mon–{}", today.format("%a"))
    };
    let cost_change = change(this_week.cost_usd, last_week.cost_usd);
    let tokens_change = change(this_week.tokens as f64, last_week.tokens as f64);
    let line = match cost_change.direction {
        "new" => format!(
            "This week {}; nothing on the same days of last week",
            this_week.cost_label
        ),
        "same" if last_week.cost_usd <= 0.0 => "Nothing this week or last week so far".into(),
        "same" => format!(
            "This week {}, the same as the same days of last week",
            this_week.cost_label
        ),
        dir => {
            let pct = cost_change.label.trim_start_matches(['+', '−']);
            format!(
                "This week {}, {dir} {pct} on the same days of last week ({})",
                this_week.cost_label, last_week.cost_label
            )
        }
    };
    WeekComparison {
        this_label: format!("This week ({span})"),
        last_label: format!("Last week ({span})"),
        this_week,
        last_week,
        cost_change,
        tokens_change,
        line,
    }
}
