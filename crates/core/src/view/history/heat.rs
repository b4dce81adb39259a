//! The hour-of-day by weekday heatmap: use per local hour of each weekday over the shown days.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::{usd, Amount};
use crate::clock::Clock;
use crate::usage::{Entry, Models};
use crate::view::activity::compact_count;

/// Levels of a cell's shade: 0 (no use) to this.
pub const LEVELS: u8 = 4;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Heatmap {
    /// Monday first.
    pub rows: Vec<HeatRow>,
    /// The 24 hours' labels ("00" … "23", or "12am" … "11pm").
    pub hours: Vec<String>,
    /// The hours labelled under the chart.
    pub axis_hours: Vec<usize>,
    /// The busiest cell's sums: what the darkest shade stands for.
    pub max: Amount,
    /// "Hours in Europe/Vienna, over the last 30 days".
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeatRow {
    /// "Mon".
    pub label: String,
    pub cells: Vec<HeatCell>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeatCell {
    pub hour: usize,
    pub cost_usd: f64,
    pub tokens: u64,
    /// 0 (no use) to [`LEVELS`], of the busiest cell's tokens.
    pub level_tokens: u8,
    /// 0 (no use) to [`LEVELS`], of the busiest cell's cost.
    pub level_cost: u8,
    /// "$3.40".
    pub cost_label: String,
    /// "1.2M".
    pub tokens_label: String,
    /// "Mon 14:00–15:00: $3.40, 1.2M tokens".
    pub description: String,
}

/// Sums per weekday and local hour of the entries dated within `first..=last` in `zone`.
pub(super) struct Hours {
    zone: Tz,
    first: NaiveDate,
    last: NaiveDate,
    /// The quarter hour last looked up (seconds since the epoch / 900) and its cell, if in range:
    /// zone offsets are whole quarter hours, so a quarter hour is in one local hour.
    cached: Option<(i64, Option<(usize, usize)>)>,
    sums: [[(f64, u64); 24]; 7],
    days: u32,
}

impl Hours {
    pub(super) fn new(zone: Tz, first: NaiveDate, last: NaiveDate) -> Hours {
        Hours {
            zone,
            first,
            last,
            cached: None,
            sums: [[(0.0, 0); 24]; 7],
            days: (last - first).num_days() as u32 + 1,
        }
    }

    fn cell(&mut self, at: DateTime<Utc>) -> Option<(usize, usize)> {
        let quarter = at.timestamp().div_euclid(900);
        if let Some((q, cell)) = self.cached {
            if q == quarter {
                return cell;
            }
        }
        let local = at.with_timezone(&self.zone);
        let date = local.date_naive();
        let cell = (date >= self.first && date <= self.last).then(|| {
            (
                local.weekday().num_days_from_monday() as usize,
                local.hour() as usize,
            )
        });
        self.cached = Some((quarter, cell));
        cell
    }

    pub(super) fn add(&mut self, e: &Entry, models: &Models) {
        if let Some((day, hour)) = self.cell(e.at) {
            let s = &mut self.sums[day][hour];
            s.0 += e.cost(models);
            s.1 += e.total_tokens();
        }
    }

    pub(super) fn heatmap(&self, clock: Clock) -> Heatmap {
        let hours: Vec<String> = (0..24).map(|h| hour_label(h, clock)).collect();
        let max_cost = self.sums.iter().flatten().map(|s| s.0).fold(0.0, f64::max);
        let max_tokens = self.sums.iter().flatten().map(|s| s.1).max().unwrap_or(0);
        const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let rows = DAYS
            .iter()
            .zip(&self.sums)
            .map(|(day, sums)| HeatRow {
                label: (*day).to_string(),
                cells: sums
                    .iter()
                    .enumerate()
                    .map(|(hour, (cost, tokens))| HeatCell {
                        hour,
                        cost_usd: *cost,
                        tokens: *tokens,
                        level_tokens: level(*tokens as f64, max_tokens as f64),
                        level_cost: level(*cost, max_cost),
                        cost_label: usd(*cost),
                        tokens_label: compact_count(*tokens),
                        description: format!(
                            "{day} {}–{}: {}, {} tokens",
                            hours[hour],
                            hour_label((hour + 1) % 24, clock),
                            usd(*cost),
                            compact_count(*tokens)
                        ),
                    })
                    .collect(),
            })
            .collect();
        Heatmap {
            rows,
            hours,
            axis_hours: vec![0, 6, 12, 18],
            max: Amount::new(max_cost, max_tokens),
            note: format!(
                "Hours in {}, over the last {} days",
                self.zone.name(),
                self.days
            ),
        }
    }
}

fn level(v: f64, max: f64) -> u8 {
    if v <= 0.0 || max <= 0.0 {
        return 0;
    }
    ((v / max * f64::from(LEVELS)).ceil() as u8).clamp(1, LEVELS)
}

fn hour_label(h: usize, clock: Clock) -> String {
    match clock {
        Clock::H24 => format!("{h:02}:00"),
        Clock::H12 => {
            let (n, half) = match h {
                0 => (12, "am"),
                1..=11 => (h, "am"),
                12 => (12, "pm"),
                _ => (h - 12, "pm"),
            };
            format!("{n}{half}")
        }
    }
}
